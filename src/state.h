/* SPDX-License-Identifier: MIT */
/*
 * state.h - private: the process-wide state (state.c), one struct, and
 * the registration of threads with RCU that every entry point may need.
 */
#ifndef GUESTMEM_STATE_H
#define GUESTMEM_STATE_H

#include <pthread.h>

#include "base.h"
#include "ramblock-int.h"

/* Set by address_space_init (the address spaces are listed here). */
#define GM_AS_MAGIC 0x5341676dU

/* --- global state (state.c) --------------------------------------------
 * Everything process-wide lives in this one struct, as QEMU's API implies
 * (system memory, the address-space list, the transaction depth). */
typedef struct GmState {
    bool memory_inited;
    MemoryRegion system_memory;
    MemoryRegion system_io;
    AddressSpace as_memory;
    AddressSpace as_io;
    bool io_inited;
    AddressSpace *as_first;
    AddressSpace *as_last;
    unsigned transaction_depth;
    bool update_pending;              /* a view may have changed: render */
    bool notify_pending;              /* QEMU's memory_region_update_pending */
    bool ioeventfd_pending;           /* QEMU's ioeventfd_update_pending */
    bool in_update;                   /* listeners are being called */
    struct MemoryListener *listeners; /* all, by priority */
    struct MemoryListener *listeners_last;
    unsigned global_dirty_tracking; /* GLOBAL_DIRTY_* */
    GmErrorHandler error_handler;
    void *error_opaque;
    /* The RAM blocks, newest first (liburcu's list; ramblock.c makes it
     * empty on first use, the zeroed state being no list yet). */
    struct cds_list_head ram_blocks;
    MemoryRegionOps unassigned_io_ops;
    /* KVM VMs that take ioeventfds (kvm.c): while there is none, a guest
     * write that matches one signals it in the access path, as QEMU does
     * without kvm_eventfds_enabled(). */
    unsigned kvm_eventfds;
    /* The lineages of views (commit.c): one per flat-view root in use, and
     * the one of address spaces that show nothing. */
    struct GmLineage *lineages;
    struct GmLineage *empty_lineage;
    uint64_t sibling_seq; /* subregions.c */
    bool all_marked;      /* every lineage renders whole at the commit */
    /* One recursive mutex serialises every topology change (QEMU's big
     * lock); readers never take it. */
    pthread_mutex_t update_lock;
    /* The generation of the last view made (flatview.c).  Never reset:
     * threads' entries keyed by a generation outlive gm_reset(). */
    uint64_t view_generation;
    /* Where RAM blocks live in the ram_addr_t space (ram-offsets.c). */
    GmRamOffsets ram_offsets;
    /* The dirty bitmaps (dirty.c): per client a table of chunk slots, and
     * the pages the RAM blocks span (only grows while blocks exist). */
    uint64_t **dirty_slots[DIRTY_MEMORY_NUM];
    uint64_t dirty_pages;
    /* The one bounce buffer of address_space_map (map.c) and the clients
     * waiting for it. */
    struct {
        pthread_mutex_t lock;
        bool in_use;
        void *buffer;
        AddressSpace *as;
        hwaddr addr;
        hwaddr len;
        MemTxAttrs attrs;
        struct GmMapClient *clients;
    } bounce;
} GmState;
extern GmState gm__state;

void gm__rcu_register_slow(void);
extern __thread bool gm__rcu_registered
    __attribute__((tls_model("initial-exec")));
static inline void gm__rcu_ensure_registered(void)
{
    if (__builtin_expect(!gm__rcu_registered, 0)) {
        gm__rcu_register_slow();
    }
}

#endif /* GUESTMEM_STATE_H */
