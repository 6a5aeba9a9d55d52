/* SPDX-License-Identifier: MIT */
/*
 * listener-int.h - private: walking the listener lists, for the files that
 * call listeners (listener.c, ioeventfd.c, coalesced.c, dirty-log.c).
 *
 * Both lists (every listener, and each address space's own) are sorted by
 * priority, ties in registration order: a forward walk goes head to tail,
 * a reverse walk tail to head, as QEMU 7.2 orders its calls.
 */
#ifndef GUESTMEM_LISTENER_INT_H
#define GUESTMEM_LISTENER_INT_H

#include <stddef.h>

#include "base.h"
#include "state.h"
#include "view.h"

/* --- listeners (listener.c) ------------------------------------------------ */
struct GmCoalescedRange {
    hwaddr start; /* inside the region */
    uint64_t size;
};
struct GmIoeventfd {
    gm_u128 start; /* region offset, or address once delivered */
    gm_u128 size;  /* 0: any access size */
    bool match_data;
    uint64_t data;
    EventNotifier *e;
};
/* QEMU's begin and commit rounds over every listener. */
void gm__listeners_begin(void);
void gm__listeners_end(void);
/* One of the two passes over the ranges that changed (old and new, each in
 * address order): deletions (@adding false), or additions and what stayed. */
void gm__topology_pass(AddressSpace *as, struct FlatView *cur,
                       const struct FlatRange *const *old, size_t nold,
                       const struct FlatRange *const *new, size_t nnew,
                       bool adding);
/* Recomputes the ioeventfds of @as that meet [@lo, @hi] and delivers the
 * difference; gm__ioeventfds_update: all of them. */
void gm__ioeventfds_update_span(AddressSpace *as, hwaddr lo, hwaddr hi);
void gm__ioeventfds_update(AddressSpace *as);
void gm__listeners_detach_all(AddressSpace *as);
/* The dirty-log mask of @mr as flat ranges carry it (QEMU's
 * memory_region_get_dirty_log_mask): its own, plus MIGRATION for migratable
 * RAM and IOMMUs while global dirty tracking is on. */
/* log_sync for the logged ranges of @mr (all regions if NULL; dirty-log.c). */
void gm__sync_dirty(MemoryRegion *mr);

/* The order of a walk over listeners: QEMU's forward (by priority) or
 * reverse. */
typedef enum {
    FORWARD,
    REVERSE
} GmDirection;

/* Each listener of @as in @dir order. */
#define FOR_EACH_AS_LISTENER(l, as, dir)                              \
    for (MemoryListener *l = (dir) == FORWARD ? (as)->listeners       \
                                              : (as)->listeners_last; \
         l; l = (dir) == FORWARD ? l->as_next : l->as_prev)

/* Each listener of every address space in @dir order. */
#define FOR_EACH_LISTENER(l, dir)                                         \
    for (MemoryListener *l = (dir) == FORWARD ? gm__state.listeners       \
                                              : gm__state.listeners_last; \
         l; l = (dir) == FORWARD ? l->next : l->prev)

/* Calls the argument-less callback at @offset in MemoryListener of every
 * listener, in @dir order. */
void gm__listeners_call_global(size_t offset, GmDirection dir);
#define CALL_GLOBAL(field, dir) \
    gm__listeners_call_global(offsetof(MemoryListener, field), dir)

/* coalesced.c: tells the listeners of @as about the coalesced ranges of
 * fr->mr that @fr shows (added or, @add false, removed). */
void gm__coalesced_announce(AddressSpace *as, FlatView *fv, const FlatRange *fr,
                            bool add);

#endif /* GUESTMEM_LISTENER_INT_H */
