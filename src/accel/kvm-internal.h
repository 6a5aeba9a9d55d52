/* SPDX-License-Identifier: MIT */
/*
 * accel/kvm-internal.h - what the KVM VM (kvm.c) and its vCPU
 * (kvm-vcpu.c) share.
 */
#ifndef GUESTMEM_ACCEL_KVM_INTERNAL_H
#define GUESTMEM_ACCEL_KVM_INTERNAL_H

#include <guestmem/vcpu.h>

#include <linux/kvm.h>

typedef struct GmKvmSlotEntry {
    uint32_t slot;
    uint32_t flags; /* KVM_MEM_* */
    uint64_t gpa;
    uint64_t size;
    uint8_t *host;
    ram_addr_t ram_addr; /* of the first byte, for dirty logs */
    MemoryRegion *mr;
} GmKvmSlotEntry;

struct GmKvm {
    int kvm_fd;
    int vm_fd;
    long page_size;
    AddressSpace *mem, *io;
    MemoryListener mem_listener, io_listener;
    bool io_registered;
    unsigned nr_slots_cap; /* KVM_CAP_NR_MEMSLOTS */
    unsigned slot_limit;
    GmKvmSlotEntry *slots; /* sorted by gpa */
    size_t nslots, slots_alloc;
    uint32_t *free_ids; /* slot ids given back, reused first */
    size_t nfree;
    uint32_t next_id;
    Error *pending;                       /* first error a listener met */
    struct kvm_coalesced_mmio_ring *ring; /* mapped with the vCPU */
    unsigned ring_max;
    bool has_vcpu;
    bool counted; /* in gm__state.kvm_eventfds */
    GmKvmStats stats;
};

/* Open /dev/kvm and check it; on success *@kvm_fd is open. */
bool gm__kvm_open(int *kvm_fd, Error **errp);

#endif
