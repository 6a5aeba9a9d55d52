// SPDX-License-Identifier: MIT
/*
 * dirty-log.c - dirty logging as listeners see it: global dirty tracking
 * (memory_global_dirty_log_start/stop, which turn the migration client
 * on for migratable RAM and re-render every view so that flat ranges carry
 * it), log_sync before a bitmap is read, and log_clear when a part of one
 * is cleared.  The bitmaps themselves are dirty.c's.
 */
#include "base.h"
#include "state.h"
#include "region-int.h"
#include "view.h"
#include "commit-int.h"
#include "listener-int.h"

/* --- dirty logging, globally ------------------------------------------------ */

unsigned int gm_global_dirty_tracking(void)
{
    return __atomic_load_n(&gm__state.global_dirty_tracking, __ATOMIC_RELAXED);
}

/* Re-renders every view so that migration bits follow the global state. */
static void refresh_migration_bits(void)
{
    gm__begin();
    gm__mark_all();
    gm__state.notify_pending = true;
    gm__commit();
}

void memory_global_dirty_log_start(unsigned int flags)
{
    if (!flags || (flags & ~GLOBAL_DIRTY_MASK)) {
        Error *err = NULL;
        gm_error_setg(&err, GM_ERR_INVALID_ARG,
                      "memory_global_dirty_log_start: bad flags 0x%x", flags);
        gm__report(err);
        return;
    }
    gm_update_lock();
    unsigned old = gm__state.global_dirty_tracking;
    __atomic_store_n(&gm__state.global_dirty_tracking, old | flags,
                     __ATOMIC_RELAXED);
    if (!old) {
        CALL_GLOBAL(log_global_start, FORWARD);
        refresh_migration_bits();
    }
    gm_update_unlock();
}

void memory_global_dirty_log_stop(unsigned int flags)
{
    Error *err = NULL;
    gm_update_lock();
    if (!flags || (flags & ~GLOBAL_DIRTY_MASK) ||
        (gm__state.global_dirty_tracking & flags) != flags) {
        gm_update_unlock();
        gm_error_setg(&err, GM_ERR_INVALID_ARG,
                      "memory_global_dirty_log_stop: flags 0x%x are not on",
                      flags);
        gm__report(err);
        return;
    }
    unsigned now = gm__state.global_dirty_tracking & ~flags;
    __atomic_store_n(&gm__state.global_dirty_tracking, now, __ATOMIC_RELAXED);
    if (!now) {
        refresh_migration_bits();
        CALL_GLOBAL(log_global_stop, REVERSE);
    }
    gm_update_unlock();
}

/* log_sync for the logged ranges of @mr (all regions if NULL). */
void gm__sync_dirty(MemoryRegion *mr)
{
    gm_update_lock();
    FOR_EACH_LISTENER (l, FORWARD) {
        if (l->log_sync) {
            FlatView *fv = l->address_space->current_map;
            const FlatRange *const *rs = gm__fv_ranges(fv);
            for (unsigned i = 0; rs && i < fv->nr; i++) {
                const FlatRange *fr = rs[i];
                if (fr->dirty_log_mask && (!mr || fr->mr == mr)) {
                    MemoryRegionSection s;
                    gm__section_from_range(fv, fr, &s);
                    l->log_sync(l, &s);
                }
            }
        } else if (l->log_sync_global) {
            l->log_sync_global(l);
        }
    }
    gm_update_unlock();
}

void memory_global_dirty_log_sync(void)
{
    gm__sync_dirty(NULL);
}

void memory_global_after_dirty_log_sync(void)
{
    gm_update_lock();
    CALL_GLOBAL(log_global_after_sync, FORWARD);
    gm_update_unlock();
}

void memory_region_clear_dirty_bitmap(MemoryRegion *mr, hwaddr start,
                                      hwaddr len)
{
    if (!gm__mr_valid(mr)) {
        return;
    }
    gm_update_lock();
    FOR_EACH_LISTENER (l, FORWARD) {
        if (!l->log_clear) {
            continue;
        }
        FlatView *fv = l->address_space->current_map;
        const FlatRange *const *rs = gm__fv_ranges(fv);
        for (unsigned i = 0; rs && i < fv->nr; i++) {
            const FlatRange *fr = rs[i];
            if (!fr->dirty_log_mask || fr->mr != mr) {
                continue;
            }
            MemoryRegionSection s;
            gm__section_from_range(fv, fr, &s);
            gm_u128 sec_start =
                s.offset_within_region > start ? s.offset_within_region : start;
            gm_u128 sec_end = (gm_u128)s.offset_within_region + (gm_u128)s.size;
            gm_u128 want_end = (gm_u128)start + len;
            if (want_end < sec_end) {
                sec_end = want_end;
            }
            if (sec_start >= sec_end) {
                continue;
            }
            s.offset_within_address_space +=
                (hwaddr)(sec_start - s.offset_within_region);
            s.offset_within_region = (hwaddr)sec_start;
            s.size = (Int128)(sec_end - sec_start);
            l->log_clear(l, &s);
        }
    }
    gm_update_unlock();
}
