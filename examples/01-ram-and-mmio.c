// SPDX-License-Identifier: MIT
/*
 * 01-ram-and-mmio.c - RAM and a device register block in the system
 * memory, printed like QEMU's `info mtree -f`.
 */
#include <guestmem/guestmem.h>

static uint64_t uart_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0x60; /* transmitter empty */
}

static const MemoryRegionOps uart_ops = {
    .read = uart_read,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

int main(void)
{
    MemoryRegion ram, uart;
    memory_region_init_ram(&ram, NULL, "ram", 64 << 20, &error_fatal);
    memory_region_init_io(&uart, NULL, &uart_ops, NULL, "uart", 8);
    memory_region_add_subregion(get_system_memory(), 0, &ram);
    memory_region_add_subregion_overlap(get_system_memory(), 0x3f8, &uart, 1);
    mtree_info(true, false, false, false);

    /* Tear down: regions are detached and destroyed before they go out of
     * scope, so that no view (not even one waiting for RCU) names them. */
    gm_reset();
    gm_memory_region_destroy(&uart, &error_abort);
    gm_memory_region_destroy(&ram, &error_abort);
    return 0;
}
