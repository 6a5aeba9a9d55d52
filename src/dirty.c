// SPDX-License-Identifier: MIT
/*
 * dirty.c - the dirty bitmaps: one per client over the ram_addr_t space.
 *
 * Each bitmap is a fixed table of slots, one per chunk of CHUNK_PAGES bits
 * (1 GiB of guest memory).  A slot is NULL (every page clean), FULL (the
 * shared read-only all-ones chunk: every page dirty, which is how a new
 * RAM block starts, as in QEMU, without touching memory) or a chunk of its
 * own, made on the first write that needs it.  Slots only ever go NULL ->
 * FULL/chunk and FULL -> chunk/NULL, and a chunk, once installed, stays
 * for good, so lock-free setters and collectors can race freely: setters
 * test before they set (a FULL chunk reads as set and is never written),
 * collectors exchange whole words.  The table of slots is allocated once,
 * untouched pages of it cost nothing.
 */
#include "base.h"
#include "region-int.h"
#include "ramblock-int.h"
#include "listener-int.h"
#include "dirty-int.h"

#include <guestmem/dirty.h>

#define CHUNK_PAGES GM_DIRTY_CHUNK_PAGES
#define WORD_BITS 64
#define CHUNK_WORDS (CHUNK_PAGES / WORD_BITS)

/* The all-dirty chunk every FULL slot points to (read-only data). */
static const uint64_t full_chunk[CHUNK_WORDS] = { [0 ... CHUNK_WORDS - 1] =
                                                      UINT64_MAX };
#define FULL ((uint64_t *)full_chunk)

struct DirtyBitmapSnapshot {
    ram_addr_t start, end;
    uint64_t bits[];
};

/* Makes the bitmaps cover @pages pages.  Update side (lock held).
 * Return: false when out of memory or past GM_DIRTY_MAX_CHUNKS chunks. */
bool gm__dirty_grow(uint64_t pages)
{
    if (pages > (uint64_t)GM_DIRTY_MAX_CHUNKS * CHUNK_PAGES) {
        return false;
    }
    for (int c = 0; c < DIRTY_MEMORY_NUM; c++) {
        if (!gm__state.dirty_slots[c]) {
            uint64_t **t = calloc(GM_DIRTY_MAX_CHUNKS, sizeof(*t));
            if (!t) {
                return false;
            }
            __atomic_store_n(&gm__state.dirty_slots[c], t, __ATOMIC_RELEASE);
        }
    }
    if (pages > gm__state.dirty_pages) {
        __atomic_store_n(&gm__state.dirty_pages, pages, __ATOMIC_RELEASE);
    }
    return true;
}

void gm__dirty_reset(void)
{
    for (int c = 0; c < DIRTY_MEMORY_NUM; c++) {
        uint64_t **t = gm__state.dirty_slots[c];
        for (unsigned i = 0; t && i < GM_DIRTY_MAX_CHUNKS; i++) {
            if (t[i] && t[i] != FULL) {
                free(t[i]);
            }
        }
        free(t);
        gm__state.dirty_slots[c] = NULL;
    }
    gm__state.dirty_pages = 0;
}

static uint64_t **slots_of(unsigned client)
{
    return __atomic_load_n(&gm__state.dirty_slots[client], __ATOMIC_ACQUIRE);
}

static uint64_t *slot_load(uint64_t **slot)
{
    return __atomic_load_n(slot, __ATOMIC_ACQUIRE);
}

static bool slot_swap(uint64_t **slot, uint64_t *old, uint64_t *new)
{
    return __atomic_compare_exchange_n(slot, &old, new, false, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

/* A chunk of its own for a slot that is NULL, made zero (for a setter) or
 * replacing FULL, made all ones (for a collector).  NULL on OOM. */
static uint64_t *slot_materialise(uint64_t **slot)
{
    for (;;) {
        uint64_t *cur = slot_load(slot);
        if (cur && cur != FULL) {
            return cur;
        }
        uint64_t *n = malloc(CHUNK_WORDS * sizeof(uint64_t));
        if (!n) {
            return NULL;
        }
        memset(n, cur == FULL ? 0xff : 0, CHUNK_WORDS * sizeof(uint64_t));
        if (slot_swap(slot, cur, n)) {
            return n;
        }
        free(n); /* someone else changed the slot first: look again */
    }
}

uint64_t *gm__dirty_chunk(unsigned client, uint64_t page)
{
    uint64_t **slots = slots_of(client);
    if (!slots ||
        page >= __atomic_load_n(&gm__state.dirty_pages, __ATOMIC_ACQUIRE)) {
        return NULL;
    }
    return slot_materialise(&slots[page / CHUNK_PAGES]);
}

typedef enum {
    OP_SET,
    OP_TEST,
    OP_CLEAR,
    OP_COUNT
} BitOp;

/* One word: the bits of @mask in *@w, for @op.  Return: true to stop. */
static bool word_op(uint64_t *w, uint64_t mask, BitOp op, uint64_t *acc)
{
    switch (op) {
    case OP_SET:
        /* Test first: re-dirtying a dirty page (the common case) then
         * costs a load, not a locked instruction; a FULL chunk is never
         * written. */
        if ((__atomic_load_n(w, __ATOMIC_RELAXED) & mask) != mask) {
            __atomic_fetch_or(w, mask, __ATOMIC_RELAXED);
        }
        return false;
    case OP_TEST: return (__atomic_load_n(w, __ATOMIC_RELAXED) & mask) != 0;
    case OP_CLEAR:
        if ((__atomic_load_n(w, __ATOMIC_RELAXED) & mask) &&
            (__atomic_fetch_and(w, ~mask, __ATOMIC_RELAXED) & mask)) {
            *acc = 1;
        }
        return false;
    default:
        *acc += (uint64_t)__builtin_popcountll(
            __atomic_load_n(w, __ATOMIC_RELAXED) & mask);
        return false;
    }
}

/* Pages [p, last] of one chunk (p's), whole or in part. */
static bool chunk_op(uint64_t **slot, uint64_t p, uint64_t last, BitOp op,
                     uint64_t *acc)
{
    bool whole = p % CHUNK_PAGES == 0 && last - p + 1 >= CHUNK_PAGES;
    uint64_t *chunk = slot_load(slot);
    switch (op) {
    case OP_SET:
        if (chunk == FULL) {
            return false;
        }
        if (!chunk && whole && slot_swap(slot, NULL, FULL)) {
            return false;
        }
        chunk = slot_materialise(slot);
        if (!chunk) {
            return false; /* out of memory: the bits cannot be kept */
        }
        break;
    case OP_TEST:
    case OP_COUNT:
        if (!chunk) {
            return false;
        }
        break;
    case OP_CLEAR:
        if (!chunk) {
            return false;
        }
        if (chunk == FULL && whole && slot_swap(slot, FULL, NULL)) {
            *acc = 1;
            return false;
        }
        chunk = slot_materialise(slot);
        if (!chunk) {
            return false; /* the bits stay set: over-reporting is safe */
        }
        break;
    }
    uint64_t end = p - p % CHUNK_PAGES + CHUNK_PAGES - 1;
    if (end > last) {
        end = last;
    }
    while (p <= end) {
        unsigned bit = (unsigned)(p % WORD_BITS);
        uint64_t n = WORD_BITS - bit;
        if (n > end - p + 1) {
            n = end - p + 1;
        }
        uint64_t mask = (n == WORD_BITS ? UINT64_MAX : ((UINT64_C(1) << n) - 1))
                        << bit;
        if (word_op(&chunk[(p % CHUNK_PAGES) / WORD_BITS], mask, op, acc)) {
            return true;
        }
        p += n;
    }
    return false;
}

/* @op over pages [first, last] of @client's bitmap, clipped to the pages
 * RAM blocks span.  Return: true if a test found a dirty page. */
static bool bitmap_op(unsigned client, uint64_t first, uint64_t last, BitOp op,
                      uint64_t *acc)
{
    uint64_t **slots = slots_of(client);
    uint64_t limit = __atomic_load_n(&gm__state.dirty_pages, __ATOMIC_ACQUIRE);
    if (!slots || first >= limit || first > last) {
        return false;
    }
    if (last >= limit) {
        last = limit - 1;
    }
    for (uint64_t p = first; p <= last; p = p - p % CHUNK_PAGES + CHUNK_PAGES) {
        if (chunk_op(&slots[p / CHUNK_PAGES], p, last, op, acc)) {
            return true;
        }
        if (p - p % CHUNK_PAGES + CHUNK_PAGES < p) {
            break; /* wrapped */
        }
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

void gm__dirty_set(ram_addr_t start, ram_addr_t length, uint8_t mask)
{
    uint64_t first, last, acc = 0;
    if (!page_range(start, length, &first, &last)) {
        return;
    }
    for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
        if (mask & (1u << c)) {
            bitmap_op(c, first, last, OP_SET, &acc);
        }
    }
}

void cpu_physical_memory_set_dirty_range(ram_addr_t start, ram_addr_t length,
                                         uint8_t mask)
{
    gm__dirty_set(start, length, mask);
}

bool cpu_physical_memory_get_dirty(ram_addr_t start, ram_addr_t length,
                                   unsigned client)
{
    uint64_t first, last, acc = 0;
    if (client >= DIRTY_MEMORY_NUM ||
        !page_range(start, length, &first, &last)) {
        return false;
    }
    return bitmap_op(client, first, last, OP_TEST, &acc);
}

bool cpu_physical_memory_test_and_clear_dirty(ram_addr_t start,
                                              ram_addr_t length,
                                              unsigned client)
{
    uint64_t first, last, any = 0;
    if (client >= DIRTY_MEMORY_NUM ||
        !page_range(start, length, &first, &last)) {
        return false;
    }
    bitmap_op(client, first, last, OP_CLEAR, &any);
    return any != 0;
}

uint64_t gm_dirty_count(ram_addr_t start, ram_addr_t length, unsigned client)
{
    uint64_t first, last, n = 0;
    if (client >= DIRTY_MEMORY_NUM ||
        !page_range(start, length, &first, &last)) {
        return 0;
    }
    bitmap_op(client, first, last, OP_COUNT, &n);
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
                                        gm__dirty_log_mask_now(mr));
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

/* The 64 bits of @client's bitmap from @page on (bit 0: @page), as they
 * are now; pages past @limit read clean. */
static uint64_t bits_at(uint64_t **slots, uint64_t page, uint64_t limit)
{
    unsigned s = (unsigned)(page % WORD_BITS);
    uint64_t w[2] = { 0, 0 };
    for (unsigned k = 0; k < (s ? 2u : 1u); k++) {
        uint64_t p = page - s + (uint64_t)k * WORD_BITS;
        if (p >= limit) {
            break;
        }
        const uint64_t *chunk = slot_load(&slots[p / CHUNK_PAGES]);
        if (chunk) {
            w[k] = __atomic_load_n(&chunk[(p % CHUNK_PAGES) / WORD_BITS],
                                   __ATOMIC_RELAXED);
        }
    }
    uint64_t v = s ? (w[0] >> s) | (w[1] << (WORD_BITS - s)) : w[0];
    if (page + WORD_BITS > limit) {
        v &= page >= limit ? 0 : (UINT64_C(1) << (limit - page)) - 1;
    }
    return v;
}

uint64_t gm_memory_region_get_dirty_bitmap(MemoryRegion *mr, hwaddr addr,
                                           hwaddr size, unsigned client,
                                           uint64_t *bitmap)
{
    if (!region_range_ok(mr, addr, size, "gm_memory_region_get_dirty_bitmap",
                         client, true)) {
        return 0;
    }
    uint64_t first, last;
    if (!bitmap ||
        !page_range(mr->ram_block->offset + addr, size, &first, &last)) {
        return 0;
    }
    uint64_t n = last - first + 1, dirty = 0;
    uint64_t **slots = slots_of(client);
    uint64_t limit = __atomic_load_n(&gm__state.dirty_pages, __ATOMIC_ACQUIRE);
    for (uint64_t i = 0; i < n; i += WORD_BITS) {
        uint64_t v = slots ? bits_at(slots, first + i, limit) : 0;
        if (n - i < WORD_BITS) {
            v &= (UINT64_C(1) << (n - i)) - 1;
        }
        bitmap[i / WORD_BITS] = v;
        dirty += (uint64_t)__builtin_popcountll(v);
    }
    return dirty;
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
    /* Word by word, each taken and cleared in one exchange; FULL chunks
     * are made real first (or dropped whole when the snapshot covers
     * them). */
    uint64_t **slots = slots_of(client);
    uint64_t limit = __atomic_load_n(&gm__state.dirty_pages, __ATOMIC_ACQUIRE);
    uint64_t page = first >> GM_DIRTY_PAGE_BITS;
    for (uint64_t i = 0; slots && i < words && page < limit;) {
        uint64_t **slot = &slots[page / CHUNK_PAGES];
        uint64_t in_chunk = CHUNK_PAGES - page % CHUNK_PAGES;
        uint64_t here = in_chunk / WORD_BITS;
        if (here > words - i) {
            here = words - i;
        }
        uint64_t *chunk = slot_load(slot);
        if (chunk == FULL && here == CHUNK_WORDS &&
            slot_swap(slot, FULL, NULL)) {
            memset(&snap->bits[i], 0xff, here * sizeof(uint64_t));
            chunk = NULL;
        } else if (chunk == FULL) {
            chunk = slot_materialise(slot);
            if (!chunk) {
                /* Report all dirty and leave them set: safe. */
                memset(&snap->bits[i], 0xff, here * sizeof(uint64_t));
            }
        }
        for (uint64_t k = 0; chunk && k < here; k++) {
            uint64_t *w = &chunk[(page % CHUNK_PAGES) / WORD_BITS + k];
            /* Skip the locked exchange for clean words. */
            if (__atomic_load_n(w, __ATOMIC_RELAXED)) {
                snap->bits[i + k] = __atomic_exchange_n(w, 0, __ATOMIC_ACQ_REL);
            }
        }
        i += here;
        page += here * WORD_BITS;
    }
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
