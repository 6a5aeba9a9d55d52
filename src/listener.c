// SPDX-License-Identifier: MIT
/*
 * listener.c - memory listeners: registration, calling them, and the
 * difference between two flat views delivered on commit (the topology
 * pass), with the replay a listener gets when it registers or leaves.
 *
 * The order of every call is QEMU 7.2's (see listener.h); the listener
 * lists are kept sorted by priority, ties in registration order, so that
 * "forward" walks them head to tail and "reverse" tail to head
 * (listener-int.h).  What listeners hear about besides the topology lives
 * with its concept: ioeventfds in ioeventfd.c, coalesced MMIO in
 * coalesced.c, global dirty logging and log syncs in dirty-log.c.
 */
#include "base.h"
#include "state.h"
#include "view.h"
#include "commit-int.h"
#include "listener-int.h"

/* --- calling listeners ---------------------------------------------------- */

void gm__listeners_call_global(size_t offset, GmDirection dir)
{
    FOR_EACH_LISTENER (l, dir) {
        void (*cb)(MemoryListener *);
        memcpy(&cb, (char *)l + offset, sizeof(cb));
        if (cb) {
            cb(l);
        }
    }
}

typedef enum {
    EV_ADD,
    EV_DEL,
    EV_NOP
} RegionEvent;

static void call_region(AddressSpace *as, FlatView *fv, const FlatRange *fr,
                        RegionEvent ev, GmDirection dir)
{
    MemoryRegionSection s;
    gm__section_from_range(fv, fr, &s);
    FOR_EACH_AS_LISTENER (l, as, dir) {
        void (*cb)(MemoryListener *, MemoryRegionSection *) =
            ev == EV_ADD   ? l->region_add
            : ev == EV_DEL ? l->region_del
                           : l->region_nop;
        if (cb) {
            cb(l, &s);
        }
    }
}

static void call_log(AddressSpace *as, FlatView *fv, const FlatRange *fr,
                     bool start, int old_mask, int new_mask)
{
    MemoryRegionSection s;
    gm__section_from_range(fv, fr, &s);
    FOR_EACH_AS_LISTENER (l, as, start ? FORWARD : REVERSE) {
        void (*cb)(MemoryListener *, MemoryRegionSection *, int, int) =
            start ? l->log_start : l->log_stop;
        if (cb) {
            cb(l, &s, old_mask, new_mask);
        }
    }
}

/* --- the difference between two views ------------------------------------- */

/* One of QEMU's two passes over the sorted ranges @old and @new: the
 * first (adding false) deletes what went, the second adds what came and
 * reports what stayed.  Sections name @cur, the view still published. */
void gm__topology_pass(AddressSpace *as, FlatView *cur,
                       const FlatRange *const *old, size_t nold,
                       const FlatRange *const *new, size_t nnew, bool adding)
{
    size_t io = 0, in = 0;
    while (io < nold || in < nnew) {
        const FlatRange *fo = io < nold ? old[io] : NULL;
        const FlatRange *fn = in < nnew ? new[in] : NULL;
        if (fo && (!fn || fo->start < fn->start ||
                   (fo->start == fn->start && !gm__range_equal(fo, fn)))) {
            if (!adding) {
                gm__coalesced_announce(as, cur, fo, false);
                call_region(as, cur, fo, EV_DEL, REVERSE);
            }
            io++;
        } else if (fo && fn && gm__range_equal(fo, fn)) {
            if (adding) {
                call_region(as, cur, fn, EV_NOP, FORWARD);
                if (fn->dirty_log_mask & ~fo->dirty_log_mask) {
                    call_log(as, cur, fn, true, fo->dirty_log_mask,
                             fn->dirty_log_mask);
                }
                if (fo->dirty_log_mask & ~fn->dirty_log_mask) {
                    call_log(as, cur, fn, false, fo->dirty_log_mask,
                             fn->dirty_log_mask);
                }
            }
            io++;
            in++;
        } else {
            if (adding) {
                call_region(as, cur, fn, EV_ADD, FORWARD);
                gm__coalesced_announce(as, cur, fn, true);
            }
            in++;
        }
    }
}

void gm__listeners_begin(void)
{
    CALL_GLOBAL(begin, FORWARD);
}

void gm__listeners_end(void)
{
    CALL_GLOBAL(commit, FORWARD);
}

/* --- registration ------------------------------------------------------------ */

/* Both lists are sorted by priority, registration order among equals.
 * The search runs from the tail: listeners mostly come in ascending or
 * equal priority, so registering one costs O(1) however many there are
 * (100,000 registrations took 20 s scanning from the head). */
static void link_global(MemoryListener *l)
{
    MemoryListener *p = gm__state.listeners_last;
    while (p && p->priority > l->priority) {
        p = p->prev;
    }
    MemoryListener *o = p ? p->next : gm__state.listeners;
    /* Insert before @o (or at the tail). */
    l->next = o;
    l->prev = o ? o->prev : gm__state.listeners_last;
    if (l->prev) {
        l->prev->next = l;
    } else {
        gm__state.listeners = l;
    }
    if (o) {
        o->prev = l;
    } else {
        gm__state.listeners_last = l;
    }
}

static void link_as(AddressSpace *as, MemoryListener *l)
{
    MemoryListener *p = as->listeners_last;
    while (p && p->priority > l->priority) {
        p = p->as_prev;
    }
    MemoryListener *o = p ? p->as_next : as->listeners;
    l->as_next = o;
    l->as_prev = o ? o->as_prev : as->listeners_last;
    if (l->as_prev) {
        l->as_prev->as_next = l;
    } else {
        as->listeners = l;
    }
    if (o) {
        o->as_prev = l;
    } else {
        as->listeners_last = l;
    }
}

static void unlink_both(MemoryListener *l)
{
    AddressSpace *as = l->address_space;
    if (l->prev) {
        l->prev->next = l->next;
    } else {
        gm__state.listeners = l->next;
    }
    if (l->next) {
        l->next->prev = l->prev;
    } else {
        gm__state.listeners_last = l->prev;
    }
    if (l->as_prev) {
        l->as_prev->as_next = l->as_next;
    } else {
        as->listeners = l->as_next;
    }
    if (l->as_next) {
        l->as_next->as_prev = l->as_prev;
    } else {
        as->listeners_last = l->as_prev;
    }
    l->next = l->prev = l->as_next = l->as_prev = NULL;
    l->address_space = NULL;
}

static void replay_add(MemoryListener *l, AddressSpace *as)
{
    if (l->begin) {
        l->begin(l);
    }
    if (gm__state.global_dirty_tracking && l->log_global_start) {
        l->log_global_start(l);
    }
    FlatView *fv = as->current_map;
    const FlatRange *const *rs = gm__fv_ranges(fv);
    for (unsigned i = 0; rs && i < fv->nr; i++) {
        const FlatRange *fr = rs[i];
        MemoryRegionSection s;
        gm__section_from_range(fv, fr, &s);
        if (l->region_add) {
            l->region_add(l, &s);
        }
        if (fr->dirty_log_mask && l->log_start) {
            l->log_start(l, &s, 0, fr->dirty_log_mask);
        }
    }
    if (l->commit) {
        l->commit(l);
    }
}

static void replay_del(MemoryListener *l, AddressSpace *as)
{
    if (l->begin) {
        l->begin(l);
    }
    FlatView *fv = as->current_map;
    const FlatRange *const *rs = fv ? gm__fv_ranges(fv) : NULL;
    for (unsigned i = 0; rs && i < fv->nr; i++) {
        const FlatRange *fr = rs[i];
        MemoryRegionSection s;
        gm__section_from_range(fv, fr, &s);
        if (fr->dirty_log_mask && l->log_stop) {
            l->log_stop(l, &s, fr->dirty_log_mask, 0);
        }
        if (l->region_del) {
            l->region_del(l, &s);
        }
    }
    if (l->commit) {
        l->commit(l);
    }
}

int gm_memory_listener_register(MemoryListener *listener, AddressSpace *as,
                                Error **errp)
{
    if (!listener || !as || as->magic != GM_AS_MAGIC) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "memory_listener_register: listener or address "
                             "space NULL or not initialised");
    }
    if (listener->address_space) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "memory_listener_register: '%s' is already "
                             "registered",
                             listener->name ? listener->name : "listener");
    }
    if (listener->log_sync && listener->log_sync_global) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "memory_listener_register: '%s' sets both "
                             "log_sync and log_sync_global",
                             listener->name ? listener->name : "listener");
    }
    gm_update_lock();
    if (gm__state.in_update) {
        gm_update_unlock();
        return gm_error_setg(errp, GM_ERR_BUSY,
                             "memory_listener_register from a listener "
                             "callback");
    }
    listener->address_space = as;
    link_global(listener);
    link_as(as, listener);
    gm__state.in_update = true;
    replay_add(listener, as);
    gm__state.in_update = false;
    if (!gm__state.transaction_depth) {
        gm__commit_outermost(); /* changes made by the callbacks */
    }
    gm_update_unlock();
    return 0;
}

void memory_listener_register(MemoryListener *listener, AddressSpace *as)
{
    Error *err = NULL;
    if (gm_memory_listener_register(listener, as, &err)) {
        gm__report(err);
    }
}

void memory_listener_unregister(MemoryListener *listener)
{
    if (!listener || !listener->address_space) {
        return;
    }
    gm_update_lock();
    bool was = gm__state.in_update;
    gm__state.in_update = true;
    replay_del(listener, listener->address_space);
    gm__state.in_update = was;
    unlink_both(listener);
    if (!was && !gm__state.transaction_depth) {
        gm__commit_outermost();
    }
    gm_update_unlock();
}

void address_space_remove_listeners(AddressSpace *as)
{
    if (!as || as->magic != GM_AS_MAGIC) {
        return;
    }
    while (as->listeners) {
        memory_listener_unregister(as->listeners);
    }
}

void gm__listeners_detach_all(AddressSpace *as)
{
    address_space_remove_listeners(as);
}
