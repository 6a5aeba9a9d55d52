// SPDX-License-Identifier: MIT
/*
 * demo-device.c - the MMIO device of `guestmem run`'s demo and test
 * guests, at 0xfebf0000 (where QEMU's firmware puts PCI BARs): a scratch
 * register, a DMA engine that copies through the memory address space (so
 * a 32-bit guest can reach RAM above 4 GiB), a doorbell served by an
 * ioeventfd, and a window of coalesced MMIO whose writes the device counts.
 *
 *   0x00 R   "GMDV"            0x04 RW  scratch
 *   0x08 RW  DMA source (low, high at 0x0c)
 *   0x10 RW  DMA destination (low, high at 0x14)
 *   0x18 RW  DMA length        0x1c W   1: copy; R: MemTxResult of the last
 *   0x20 W   doorbell (ioeventfd, value 1); writes that reach the device
 *            are counted at 0x30
 *   0x24 R   writes seen in the coalesced window   0x28 R  their sum
 *   0x2c R   1 if the doorbell's eventfd was signalled (and clears it)
 *   0x30 R   doorbell writes that reached the device
 *   0x100-0x1ff W  the coalesced window
 */
#include <string.h>

#include "run.h"

#define DEMO_ID 0x56444d47u /* "GMDV" */

static uint64_t demo_read(void *opaque, hwaddr addr, unsigned size)
{
    DemoDevice *d = opaque;
    switch (addr) {
    case 0x00: return DEMO_ID;
    case 0x04: return d->scratch;
    case 0x08: return (uint32_t)d->src;
    case 0x0c: return d->src >> 32;
    case 0x10: return (uint32_t)d->dst;
    case 0x14: return d->dst >> 32;
    case 0x18: return d->len;
    case 0x1c: return d->dma_result;
    case 0x24: return d->coalesced_writes;
    case 0x28: return d->coalesced_sum;
    case 0x2c: return event_notifier_test_and_clear(&d->doorbell) ? 1 : 0;
    case 0x30: return d->doorbell_writes;
    default: return 0;
    }
}

static void dma_copy(DemoDevice *d)
{
    uint8_t buf[4096];
    uint64_t done = 0;
    d->dma_result = MEMTX_OK;
    while (done < d->len) {
        uint64_t n = d->len - done < sizeof(buf) ? d->len - done : sizeof(buf);
        d->dma_result |= address_space_read(d->as, d->src + done,
                                            MEMTXATTRS_UNSPECIFIED, buf, n);
        d->dma_result |= address_space_write(d->as, d->dst + done,
                                             MEMTXATTRS_UNSPECIFIED, buf, n);
        done += n;
    }
}

static void set_low(uint64_t *r, uint64_t v)
{
    *r = (*r & ~(uint64_t)UINT32_MAX) | (uint32_t)v;
}

static void set_high(uint64_t *r, uint64_t v)
{
    *r = (uint32_t)*r | v << 32;
}

static void demo_write(void *opaque, hwaddr addr, uint64_t v, unsigned size)
{
    DemoDevice *d = opaque;
    if (addr >= 0x100 && addr < 0x200) {
        d->coalesced_writes++;
        d->coalesced_sum += (uint32_t)v;
        return;
    }
    switch (addr) {
    case 0x04: d->scratch = (uint32_t)v; break;
    case 0x08: set_low(&d->src, v); break;
    case 0x0c: set_high(&d->src, v); break;
    case 0x10: set_low(&d->dst, v); break;
    case 0x14: set_high(&d->dst, v); break;
    case 0x18: d->len = (uint32_t)v; break;
    case 0x1c:
        if (v == 1) {
            dma_copy(d);
        }
        break;
    case 0x20: d->doorbell_writes++; break;
    default: break;
    }
}

static const MemoryRegionOps demo_ops = {
    .read = demo_read,
    .write = demo_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
};

bool demo_device_init(DemoDevice *d, Error **errp)
{
    memset(d, 0, sizeof(*d));
    d->as = gm_address_space_memory();
    int rc = event_notifier_init(&d->doorbell, 0);
    if (rc < 0) {
        gm_error_setg(errp, GM_ERR_IO, "eventfd: %s", strerror(-rc));
        return false;
    }
    memory_region_init_io(&d->mr, NULL, &demo_ops, d, "guestmem-demo", 0x1000);
    if (gm_memory_region_add_subregion(get_system_memory(), DEMO_DEVICE_BASE,
                                       &d->mr, 0, errp)) {
        gm_memory_region_destroy(&d->mr, NULL);
        event_notifier_cleanup(&d->doorbell);
        return false;
    }
    memory_region_add_coalescing(&d->mr, 0x100, 0x100);
    memory_region_add_eventfd(&d->mr, 0x20, 4, true, 1, &d->doorbell);
    d->mapped = true;
    return true;
}

void demo_device_fini(DemoDevice *d)
{
    if (!d->mapped) {
        return;
    }
    memory_region_del_eventfd(&d->mr, 0x20, 4, true, 1, &d->doorbell);
    memory_region_clear_coalescing(&d->mr);
    gm_memory_region_del_subregion(get_system_memory(), &d->mr, NULL);
    gm_memory_region_destroy(&d->mr, NULL);
    event_notifier_cleanup(&d->doorbell);
    d->mapped = false;
}
