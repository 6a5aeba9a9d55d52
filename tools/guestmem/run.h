/* SPDX-License-Identifier: MIT */
/*
 * run.h (tool) - what `guestmem run` is made of: the command (cmd-run.c),
 * the demo MMIO device (demo-device.c) and the built-in demo guest image
 * (generated from guests/demo.S at build time).
 */
#ifndef GUESTMEM_TOOL_RUN_H
#define GUESTMEM_TOOL_RUN_H

#include "guestmem.h"

#define DEMO_DEVICE_BASE 0xfebf0000u

typedef struct DemoDevice {
    MemoryRegion mr;
    AddressSpace *as;
    EventNotifier doorbell;
    uint32_t scratch, len, dma_result;
    uint64_t src, dst;
    uint32_t coalesced_writes, coalesced_sum, doorbell_writes;
    bool mapped;
} DemoDevice;

/* Map the device at DEMO_DEVICE_BASE of the system memory. */
bool demo_device_init(DemoDevice *d, Error **errp);
void demo_device_fini(DemoDevice *d);

/* The RAM the demo guest uses (guests/demo.S): its stack and variables
 * at 0x6000, 1 MiB, 0x110000 and the two pages it writes at 0x300000 for
 * the dirty log; the last byte, and the -m it needs (rounded up to MiB). */
#define DEMO_GUEST_RAM_LAST 0x301fffu
#define DEMO_GUEST_MIN_RAM (4u << 20)

/* The demo guest: a 64 KiB firmware image. */
extern const unsigned char gm_demo_guest[];
extern const unsigned int gm_demo_guest_size;

#endif
