/* SPDX-License-Identifier: MIT */
/*
 * guestmem/kvm.h - the KVM backend: a VM whose memory slots follow the
 * flat view.
 *
 * gm_kvm_new() opens /dev/kvm, creates a VM and registers two
 * MemoryListeners, one on the memory address space and one on the port-I/O
 * address space.  From then on every commit keeps KVM's state equal to the
 * views, as QEMU 7.2's kvm_memory_listener does, with one deliberate
 * difference (QEMU-FACTS.md, "Limits QEMU has"):
 *
 *   - memory slots: one per RAM, ROM or romd range of the flat view, trimmed
 *     inward to host pages (the sub-page ends stay unmapped, so the guest's
 *     accesses there exit and go through the access path, which serves them
 *     exactly).  A range is mapped KVM_MEM_READONLY when the guest must not
 *     write it: ROM, a ROM device in romd mode, and every read-only section,
 *     including a read-only alias of RAM (QEMU 7.2 maps that one writable:
 *     the i440fx `pam-rom` alias lets a guest write shadowed BIOS memory
 *     there; here the write exits and is refused by the access path).
 *     KVM_MEM_LOG_DIRTY_PAGES while the region's dirty-log mask is not 0.
 *   - dirty logging: log_sync reads KVM_GET_DIRTY_LOG of every slot of the
 *     section and sets the pages in the bitmaps of the clients that log the
 *     region (memory_global_dirty_log_sync() and
 *     memory_region_snapshot_and_clear_dirty() call it).
 *   - coalesced MMIO and PIO: KVM_(UN)REGISTER_COALESCED_MMIO for every
 *     coalesced range; the ring is drained (each entry written through the
 *     access path) before every exit is served, so a region that needs the
 *     flush never sees an access ahead of older buffered writes.
 *   - ioeventfds: KVM_IOEVENTFD, memory and port, with and without datamatch.
 *
 * Errors a listener cannot return (a slot past KVM_CAP_NR_MEMSLOTS, an ioctl
 * the kernel refuses) are kept: gm_kvm_check() returns the first, and
 * gm_vcpu_run() refuses to run the guest while one is pending.
 *
 * Thread-safety: create, free and the listeners run on the update side;
 * gm_kvm_slots() takes the update lock.  One GmKvm per address space pair.
 * Source of the facts: Linux's Documentation/virt/kvm/api.rst (the ioctls)
 * and QEMU 7.2's accel/kvm/kvm-all.c (what a VMM maps, and when).
 */
#ifndef GUESTMEM_KVM_H
#define GUESTMEM_KVM_H

#include <guestmem/listener.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct GmKvm GmKvm;

/**
 * gm_kvm_usable: whether /dev/kvm can run a guest here (it opens, the API
 * version is 12, a VM can be created and has the capabilities guestmem
 * needs: user memory, read-only memory, ioeventfd, coalesced MMIO).
 * Return: true, or false with the reason in @errp (GM_ERR_UNSUPPORTED when
 * /dev/kvm is absent or lacks a capability, GM_ERR_IO when it cannot be
 * opened, e.g. for lack of permission).
 */
GM_API bool gm_kvm_usable(Error **errp);

/**
 * gm_kvm_new: create a VM whose slots follow @mem's flat view and whose
 * port ioeventfds and coalesced PIO follow @io's (NULL: no port
 * listener).  The current views are replayed at once.
 * Errors: as gm_kvm_usable(); GM_ERR_IN_USE if @mem already has a GmKvm;
 * GM_ERR_NO_MEMORY.  A slot the replay could not map is reported here too
 * (the VM is then freed).  Ownership: free with gm_kvm_free(), after every
 * vCPU of it.  Context: update side.
 */
GM_API GmKvm *gm_kvm_new(AddressSpace *mem, AddressSpace *io, Error **errp);

/** gm_kvm_free: unregister the listeners, close the VM.  NULL: no-op. */
GM_API void gm_kvm_free(GmKvm *kvm);

/** gm_kvm_vm_fd: the VM's file descriptor (owned by @kvm). */
GM_API int gm_kvm_vm_fd(const GmKvm *kvm);

/**
 * gm_kvm_check: the first error a listener met since the last call (and
 * clears it).  Return: 0, or -code with the message in @errp.
 */
GM_API int gm_kvm_check(GmKvm *kvm, Error **errp);

/**
 * gm_kvm_set_slot_limit: use at most @limit slots (for tests of the limit;
 * 0 restores KVM_CAP_NR_MEMSLOTS).  Slots already in use stay.
 */
GM_API void gm_kvm_set_slot_limit(GmKvm *kvm, unsigned limit);

/**
 * GmKvmSlot: one memory slot as guestmem gave it to KVM.
 * @slot: KVM's slot number.  @guest_phys_addr, @memory_size: bytes, both
 * page aligned.  @userspace_addr: the host address.  @readonly: mapped
 * KVM_MEM_READONLY.  @log_dirty: KVM_MEM_LOG_DIRTY_PAGES.
 */
typedef struct GmKvmSlot {
    uint32_t slot;
    uint64_t guest_phys_addr;
    uint64_t memory_size;
    void *userspace_addr;
    bool readonly;
    bool log_dirty;
} GmKvmSlot;

/**
 * gm_kvm_slots: copy the slots in use, sorted by guest address, into @out
 * (at most @max).  Return: how many there are.  Takes the update lock.
 */
GM_API size_t gm_kvm_slots(GmKvm *kvm, GmKvmSlot *out, size_t max);

/** gm_kvm_flush_coalesced: write out what the coalesced ring holds (through
 * the access path, in order).  Needs a vCPU (the ring is mapped with it);
 * without one it is a no-op.  Context: the vCPU thread. */
GM_API void gm_kvm_flush_coalesced(GmKvm *kvm);

/** gm_kvm_stats: counters since creation (for benchmarks and tests). */
typedef struct GmKvmStats {
    uint64_t slot_sets;      /* KVM_SET_USER_MEMORY_REGION calls */
    uint64_t coalesced_seen; /* ring entries written out */
    uint64_t dirty_syncs;    /* KVM_GET_DIRTY_LOG calls */
} GmKvmStats;
GM_API void gm_kvm_stats(const GmKvm *kvm, GmKvmStats *out);

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_KVM_H */
