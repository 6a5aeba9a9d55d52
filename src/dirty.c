// SPDX-License-Identifier: MIT
/*
 * dirty.c - the dirty bitmaps: one per client over the ram_addr_t space.
 *
 * Each bitmap is an array of fixed chunks (CHUNK_PAGES bits each), found
 * through a table of chunk pointers.  The table only grows (when RAM blocks
 * extend the space); a grown table is published with RCU and the old one
 * freed after a grace period, so setters never lock.  Chunks themselves
 * never move, so a bit set through an old table lands in the same word.
 */
#include "internal.h"

#include <guestmem/dirty.h>

#define CHUNK_PAGES GM_DIRTY_CHUNK_PAGES
#define WORD_BITS 64
#define CHUNK_WORDS (CHUNK_PAGES / WORD_BITS)

#define tables gm__dirty_tables
DirtyTable *gm__dirty_tables[DIRTY_MEMORY_NUM];

struct DirtyBitmapSnapshot {
    ram_addr_t start, end;
    uint64_t bits[];
};

static void table_free_rcu(struct rcu_head *h)
{
    gm_tsan_grace_over();
    free((char *)h - offsetof(DirtyTable, rcu));
}

/* Makes every table cover @pages pages.  Update side (lock held).
 * Return: false when out of memory (the tables are as they were). */
bool gm__dirty_grow(uint64_t pages)
{
    uint64_t need = (pages + CHUNK_PAGES - 1) / CHUNK_PAGES;
    for (int c = 0; c < DIRTY_MEMORY_NUM; c++) {
        DirtyTable *old = tables[c];
        uint64_t have = old ? old->nchunks : 0;
        if (have >= need) {
            continue;
        }
        DirtyTable *t = calloc(1, sizeof(*t) + need * sizeof(uint64_t *));
        if (!t) {
            return false;
        }
        t->nchunks = need;
        for (uint64_t i = 0; i < have; i++) {
            t->chunk[i] = old->chunk[i];
        }
        for (uint64_t i = have; i < need; i++) {
            t->chunk[i] = calloc(CHUNK_WORDS, sizeof(uint64_t));
            if (!t->chunk[i]) {
                for (uint64_t k = have; k < i; k++) {
                    free(t->chunk[k]);
                }
                free(t);
                return false;
            }
        }
        gm_publish(tables[c], t);
        if (old) {
            gm_tsan_reader_done(); /* hand-over to the reclaim thread */
            urcu_memb_call_rcu(&old->rcu, table_free_rcu);
        }
    }
    return true;
}

/* Calls @fn on each word touched by pages [first, last] of @t, with the
 * mask of the bits concerned; stops early if @fn returns true. */
typedef bool (*WordFn)(uint64_t *word, uint64_t mask, void *opaque);

static bool for_each_word(DirtyTable *t, uint64_t first, uint64_t last,
                          WordFn fn, void *opaque)
{
    if (!t || first > last) {
        return false;
    }
    uint64_t limit = t->nchunks * CHUNK_PAGES;
    if (first >= limit) {
        return false;
    }
    if (last >= limit) {
        last = limit - 1;
    }
    for (uint64_t p = first; p <= last;) {
        uint64_t *chunk = t->chunk[p / CHUNK_PAGES];
        uint64_t w = (p % CHUNK_PAGES) / WORD_BITS;
        unsigned bit = (unsigned)(p % WORD_BITS);
        uint64_t n = WORD_BITS - bit;
        if (n > last - p + 1) {
            n = last - p + 1;
        }
        uint64_t mask = (n == WORD_BITS ? UINT64_MAX : ((UINT64_C(1) << n) - 1))
                        << bit;
        if (fn(&chunk[w], mask, opaque)) {
            return true;
        }
        p += n;
    }
    return false;
}

static bool word_set(uint64_t *w, uint64_t mask, void *o)
{
    (void)o;
    /* Test first: re-dirtying a dirty page (the common case) then costs a
     * load, not a locked instruction. */
    if ((__atomic_load_n(w, __ATOMIC_RELAXED) & mask) != mask) {
        __atomic_fetch_or(w, mask, __ATOMIC_RELAXED);
    }
    return false;
}

static bool word_test(uint64_t *w, uint64_t mask, void *o)
{
    (void)o;
    return (__atomic_load_n(w, __ATOMIC_RELAXED) & mask) != 0;
}

static bool word_clear(uint64_t *w, uint64_t mask, void *o)
{
    bool *any = o;
    if (__atomic_fetch_and(w, ~mask, __ATOMIC_RELAXED) & mask) {
        *any = true;
    }
    return false;
}

static bool page_range(ram_addr_t start, ram_addr_t length, uint64_t *first,
                       uint64_t *last)
{
    if (!length) {
        return false;
    }
    *first = start >> GM_DIRTY_PAGE_BITS;
    ram_addr_t end = start + length - 1;
    if (end < start) {
        end = UINT64_MAX;
    }
    *last = end >> GM_DIRTY_PAGE_BITS;
    return true;
}

static DirtyTable *table(unsigned client)
{
    return gm_consume(tables[client]);
}

void gm__dirty_set(ram_addr_t start, ram_addr_t length, uint8_t mask)
{
    uint64_t first, last;
    if (!page_range(start, length, &first, &last)) {
        return;
    }
    for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
        if (mask & (1u << c)) {
            for_each_word(table(c), first, last, word_set, NULL);
        }
    }
}

void cpu_physical_memory_set_dirty_range(ram_addr_t start, ram_addr_t length,
                                         uint8_t mask)
{
    gm__rcu_ensure_registered();
    urcu_memb_read_lock();
    gm__dirty_set(start, length, mask);
    gm_tsan_reader_done();
    urcu_memb_read_unlock();
}

bool cpu_physical_memory_get_dirty(ram_addr_t start, ram_addr_t length,
                                   unsigned client)
{
    uint64_t first, last;
    if (client >= DIRTY_MEMORY_NUM ||
        !page_range(start, length, &first, &last)) {
        return false;
    }
    gm__rcu_ensure_registered();
    urcu_memb_read_lock();
    bool r = for_each_word(table(client), first, last, word_test, NULL);
    gm_tsan_reader_done();
    urcu_memb_read_unlock();
    return r;
}

bool cpu_physical_memory_test_and_clear_dirty(ram_addr_t start,
                                              ram_addr_t length,
                                              unsigned client)
{
    uint64_t first, last;
    if (client >= DIRTY_MEMORY_NUM ||
        !page_range(start, length, &first, &last)) {
        return false;
    }
    bool any = false;
    gm__rcu_ensure_registered();
    urcu_memb_read_lock();
    for_each_word(table(client), first, last, word_clear, &any);
    gm_tsan_reader_done();
    urcu_memb_read_unlock();
    return any;
}

static bool word_count(uint64_t *w, uint64_t mask, void *o)
{
    *(uint64_t *)o += (uint64_t)__builtin_popcountll(
        __atomic_load_n(w, __ATOMIC_RELAXED) & mask);
    return false;
}

uint64_t gm_dirty_count(ram_addr_t start, ram_addr_t length, unsigned client)
{
    uint64_t first, last, n = 0;
    if (client >= DIRTY_MEMORY_NUM ||
        !page_range(start, length, &first, &last)) {
        return 0;
    }
    gm__rcu_ensure_registered();
    urcu_memb_read_lock();
    for_each_word(table(client), first, last, word_count, &n);
    gm_tsan_reader_done();
    urcu_memb_read_unlock();
    return n;
}

/* --- per region -------------------------------------------------------------- */

/* Checks @mr has host memory and the range lies inside it. */
static bool region_range_ok(MemoryRegion *mr, hwaddr addr, hwaddr size,
                            const char *what, unsigned client,
                            bool check_client)
{
    Error *err = NULL;
    if (!gm__mr_valid(mr) || !mr->ram_block) {
        gm_error_setg(&err, GM_ERR_WRONG_KIND,
                      "%s: region NULL, not initialised or without host "
                      "memory",
                      what);
    } else if ((gm_u128)addr + size > mr->ram_block->used_length) {
        gm_error_setg(&err, GM_ERR_RANGE_OVERFLOW,
                      "%s: [0x%" PRIx64 ", +0x%" PRIx64 ") is outside '%s'",
                      what, addr, size, memory_region_name(mr));
    } else if (check_client && client >= DIRTY_MEMORY_NUM) {
        gm_error_setg(&err, GM_ERR_INVALID_ARG, "%s: no dirty client %u", what,
                      client);
    }
    if (err) {
        gm__report(err);
        return false;
    }
    return true;
}

bool memory_region_get_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size,
                             unsigned client)
{
    if (!region_range_ok(mr, addr, size, "memory_region_get_dirty", client,
                         true)) {
        return false;
    }
    return cpu_physical_memory_get_dirty(mr->ram_block->offset + addr, size,
                                         client);
}

void memory_region_set_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size)
{
    if (!region_range_ok(mr, addr, size, "memory_region_set_dirty", 0, false)) {
        return;
    }
    cpu_physical_memory_set_dirty_range(mr->ram_block->offset + addr, size,
                                        gm__dirty_log_mask(mr));
}

void memory_region_reset_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size,
                               unsigned client)
{
    if (!region_range_ok(mr, addr, size, "memory_region_reset_dirty", client,
                         true)) {
        return;
    }
    cpu_physical_memory_test_and_clear_dirty(mr->ram_block->offset + addr, size,
                                             client);
}

void gm__sync_dirty(MemoryRegion *mr);

DirtyBitmapSnapshot *memory_region_snapshot_and_clear_dirty(MemoryRegion *mr,
                                                            hwaddr addr,
                                                            hwaddr size,
                                                            unsigned client)
{
    if (!region_range_ok(mr, addr, size,
                         "memory_region_snapshot_and_clear_dirty", client,
                         true)) {
        return NULL;
    }
    gm__sync_dirty(mr);
    ram_addr_t start = mr->ram_block->offset + addr;
    const uint64_t align = (uint64_t)WORD_BITS << GM_DIRTY_PAGE_BITS;
    ram_addr_t first = start & ~(align - 1);
    ram_addr_t last = (start + size + align - 1) & ~(align - 1);
    uint64_t words = (last - first) / align;
    DirtyBitmapSnapshot *snap =
        calloc(1, sizeof(*snap) + (words ? words : 1) * sizeof(uint64_t));
    if (!snap) {
        Error *err = NULL;
        gm_error_setg(&err, GM_ERR_NO_MEMORY,
                      "memory_region_snapshot_and_clear_dirty: out of memory");
        gm__report(err);
        return NULL;
    }
    snap->start = first;
    snap->end = last;
    gm__rcu_ensure_registered();
    urcu_memb_read_lock();
    DirtyTable *t = table(client);
    uint64_t page = first >> GM_DIRTY_PAGE_BITS;
    for (uint64_t i = 0; t && i < words; i++, page += WORD_BITS) {
        if (page / CHUNK_PAGES >= t->nchunks) {
            break;
        }
        uint64_t *w =
            &t->chunk[page / CHUNK_PAGES][(page % CHUNK_PAGES) / WORD_BITS];
        /* Skip the locked exchange for clean words. */
        if (__atomic_load_n(w, __ATOMIC_RELAXED)) {
            snap->bits[i] = __atomic_exchange_n(w, 0, __ATOMIC_ACQ_REL);
        }
    }
    gm_tsan_reader_done();
    urcu_memb_read_unlock();
    memory_region_clear_dirty_bitmap(mr, addr, size);
    memory_global_after_dirty_log_sync();
    return snap;
}

bool memory_region_snapshot_get_dirty(MemoryRegion *mr,
                                      DirtyBitmapSnapshot *snap, hwaddr addr,
                                      hwaddr size)
{
    if (!snap ||
        !region_range_ok(mr, addr, size, "memory_region_snapshot_get_dirty", 0,
                         false)) {
        return false;
    }
    ram_addr_t start = mr->ram_block->offset + addr;
    if (start < snap->start || (gm_u128)start + size > snap->end) {
        Error *err = NULL;
        gm_error_setg(&err, GM_ERR_RANGE_OVERFLOW,
                      "memory_region_snapshot_get_dirty: range outside the "
                      "snapshot");
        gm__report(err);
        return false;
    }
    uint64_t first, last;
    if (!page_range(start - snap->start, size, &first, &last)) {
        return false;
    }
    for (uint64_t p = first; p <= last; p++) {
        if (snap->bits[p / WORD_BITS] & (UINT64_C(1) << (p % WORD_BITS))) {
            return true;
        }
    }
    return false;
}

void gm_dirty_snapshot_free(DirtyBitmapSnapshot *snap)
{
    free(snap);
}

void gm_dirty_snapshot_range(const DirtyBitmapSnapshot *snap, ram_addr_t *start,
                             ram_addr_t *end)
{
    if (start) {
        *start = snap ? snap->start : 0;
    }
    if (end) {
        *end = snap ? snap->end : 0;
    }
}
