// SPDX-License-Identifier: MIT
/*
 * 03-alias-pci-hole.c - one RAM block shown below and above a PCI hole
 * through two aliases, as the pc machine does, and a transaction that
 * changes two things at once.
 */
#include <guestmem/guestmem.h>

int main(void)
{
    MemoryRegion ram, below, above, pci, bar;
    MemoryRegion *sys = get_system_memory();
    memory_region_init_ram(&ram, NULL, "ram", 0x30000, &error_fatal);
    memory_region_init_alias(&below, NULL, "ram-below", &ram, 0, 0x20000);
    memory_region_init_alias(&above, NULL, "ram-above", &ram, 0x20000, 0x10000);
    memory_region_init(&pci, NULL, "pci", UINT64_MAX);
    memory_region_init_io(&bar, NULL, NULL, NULL, "bar0", 0x1000);
    memory_region_add_subregion(&pci, 0x28000, &bar);
    memory_region_add_subregion(sys, 0, &below);
    memory_region_add_subregion(sys, 0x40000, &above);
    memory_region_add_subregion_overlap(sys, 0, &pci, -1);
    mtree_info(false, false, false, false);
    mtree_info(true, false, false, false);

    /* Move the BAR and hide the upper RAM in one step. */
    memory_region_transaction_begin();
    memory_region_set_address(&bar, 0x30000);
    memory_region_set_enabled(&above, false);
    memory_region_transaction_commit();
    mtree_info(true, false, false, false);

    gm_reset();
    MemoryRegion *all[] = { &below, &above, &pci, &bar, &ram };
    for (int i = 0; i < 5; i++) {
        gm_memory_region_destroy(all[i], &error_abort);
    }
    return 0;
}
