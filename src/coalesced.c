// SPDX-License-Identifier: MIT
/*
 * coalesced.c - coalesced MMIO: the ranges of a region whose writes a
 * hypervisor may batch (memory_region_add/clear/set_coalescing), and the
 * coalesced_io_add/del calls listeners get for the part of each range a
 * view shows, both when a range is added or cleared and when the topology
 * pass (listener.c) adds or removes a flat range of such a region.
 */
#include "base.h"
#include "state.h"
#include "region-int.h"
#include "view.h"
#include "listener-int.h"

/* --- coalesced MMIO ------------------------------------------------------- */

/* Tells the listeners of @as about the part of coalesced range @c of
 * fr->mr that @fr shows (nothing if it shows none of it). */
static void coalesced_notify(AddressSpace *as, FlatView *fv,
                             const FlatRange *fr,
                             const struct GmCoalescedRange *c, bool add)
{
    __int128 shift = (__int128)fr->start - (__int128)fr->offset_in_region;
    __int128 cs = (__int128)c->start + shift;
    __int128 ce = cs + (__int128)c->size; /* exclusive */
    __int128 fs = fr->start;
    __int128 fe = (__int128)fr->last + 1;
    bool meets = (fs >= cs && fs < ce) || (cs >= fs && cs < fe);
    if (!meets) {
        return;
    }
    __int128 s = cs > fs ? cs : fs;
    __int128 e = ce < fe ? ce : fe;
    MemoryRegionSection sec;
    gm__section_from_range(fv, fr, &sec);
    FOR_EACH_AS_LISTENER (l, as, add ? FORWARD : REVERSE) {
        void (*cb)(MemoryListener *, MemoryRegionSection *, hwaddr, hwaddr) =
            add ? l->coalesced_io_add : l->coalesced_io_del;
        if (cb) {
            cb(l, &sec, (hwaddr)s, (hwaddr)(e - s));
        }
    }
}

void gm__coalesced_announce(AddressSpace *as, FlatView *fv, const FlatRange *fr,
                            bool add)
{
    for (unsigned i = 0; i < fr->mr->nr_coalesced; i++) {
        coalesced_notify(as, fv, fr, &fr->mr->coalesced[i], add);
    }
}

/* --- coalesced MMIO: the API ------------------------------------------------- */

/* Every view that shows @mr hears about coalesced range @c at once. */
static void coalesced_update(MemoryRegion *mr, const struct GmCoalescedRange *c,
                             bool add)
{
    for (AddressSpace *as = gm__state.as_first; as; as = as->next) {
        FlatView *fv = as->current_map;
        const FlatRange *const *rs =
            fv && as->listeners ? gm__fv_ranges(fv) : NULL;
        for (unsigned i = 0; rs && i < fv->nr; i++) {
            if (rs[i]->mr == mr) {
                coalesced_notify(as, fv, rs[i], c, add);
            }
        }
    }
}

void memory_region_add_coalescing(MemoryRegion *mr, hwaddr offset,
                                  uint64_t size)
{
    Error *err = NULL;
    if (!gm__mr_valid(mr)) {
        gm_error_setg(&err, GM_ERR_INVALID_ARG,
                      "add_coalescing: region NULL or not initialised");
    } else if (!size || (gm_u128)offset + size > gm__mr_size(mr)) {
        gm_error_setg(&err, GM_ERR_RANGE_OVERFLOW,
                      "add_coalescing on '%s': [0x%" PRIx64 ", +0x%" PRIx64
                      ") is empty or outside the region",
                      memory_region_name(mr), offset, size);
    }
    if (err) {
        gm__report(err);
        return;
    }
    struct GmCoalescedRange *n =
        realloc(mr->coalesced, (mr->nr_coalesced + 1) * sizeof(*n));
    if (!n) {
        gm_error_setg(&err, GM_ERR_NO_MEMORY, "add_coalescing: out of memory");
        gm__report(err);
        return;
    }
    gm_update_lock();
    mr->coalesced = n;
    n[mr->nr_coalesced] = (struct GmCoalescedRange){ offset, size };
    mr->nr_coalesced++;
    coalesced_update(mr, &n[mr->nr_coalesced - 1], true);
    mr->flush_coalesced_mmio = true;
    gm_update_unlock();
}

void memory_region_clear_coalescing(MemoryRegion *mr)
{
    if (!gm__mr_valid(mr) || !mr->nr_coalesced) {
        return;
    }
    gm_update_lock();
    mr->flush_coalesced_mmio = false;
    /* First to last, each removed before the listeners hear of it. */
    while (mr->nr_coalesced) {
        struct GmCoalescedRange c = mr->coalesced[0];
        memmove(&mr->coalesced[0], &mr->coalesced[1],
                (mr->nr_coalesced - 1) * sizeof(c));
        mr->nr_coalesced--;
        coalesced_update(mr, &c, false);
    }
    free(mr->coalesced);
    mr->coalesced = NULL;
    gm_update_unlock();
}

void memory_region_set_coalescing(MemoryRegion *mr)
{
    if (!gm__mr_valid(mr)) {
        Error *err = NULL;
        gm_error_setg(&err, GM_ERR_INVALID_ARG,
                      "set_coalescing: region NULL or not initialised");
        gm__report(err);
        return;
    }
    memory_region_clear_coalescing(mr);
    memory_region_add_coalescing(mr, 0, memory_region_size(mr));
}

void memory_region_set_flush_coalesced(MemoryRegion *mr)
{
    if (gm__mr_valid(mr)) {
        mr->flush_coalesced_mmio = true;
    }
}

void memory_region_clear_flush_coalesced(MemoryRegion *mr)
{
    if (gm__mr_valid(mr) && !mr->nr_coalesced) {
        mr->flush_coalesced_mmio = false;
    }
}

bool gm_memory_region_flush_coalesced(const MemoryRegion *mr)
{
    return gm__mr_valid(mr) && mr->flush_coalesced_mmio;
}
