// SPDX-License-Identifier: MIT
/*
 * ram-offsets.c - where each RAM block lives in the ram_addr_t space.
 *
 * The rule is QEMU's find_ram_offset: every block end is rounded up to
 * 256 KiB (so that each block starts on a word of the dirty bitmaps); the
 * gap from there to the next block start is a candidate; the smallest
 * candidate gap that fits wins, and among equal gaps the block that comes
 * first in QEMU's block list (largest first, then oldest).  QEMU computes
 * this with two nested loops over all blocks, which is fine for its dozen
 * blocks and hopeless for 100,000 RAM regions.  Here blocks are kept sorted
 * by offset with each one's gap cached, and a histogram of the finite gaps
 * (by power of two) answers "could any gap before the last block fit?"
 * When it cannot - always, while blocks are only ever added - the answer
 * is the last block's candidate, found at once; otherwise the full rule
 * runs.  Either way the offsets are QEMU's.
 *
 * The sorted array keeps free slots at its front as well as its back, and
 * an insertion or removal moves whichever side of it is shorter: blocks
 * come and go mostly at the ends (created in offset order, destroyed in
 * creation order or in reverse), which then cost O(1), where moving the
 * tail made destroying 1,000,000 blocks in creation order take minutes.
 */
#include "base.h"
#include "ramblock-int.h"
#include "state.h"

#define ALIGN (UINT64_C(64) << 12) /* BITS_PER_LONG << TARGET_PAGE_BITS */
#define INF UINT64_MAX

/* The index lives in the process-wide state (state.h). */
#define ix (gm__state.ram_offsets)

static uint64_t cand_of(const RAMBlock *b)
{
    uint64_t end = b->offset + b->max_length;
    if (end > INF - ALIGN) {
        return INF;
    }
    return (end + ALIGN - 1) & ~(ALIGN - 1);
}

/* floor(log2(@gap)); a block of 0 bytes (a caller's empty pointer) counts
 * as 1, since clz of 0 is undefined. */
static int bucket(uint64_t gap)
{
    return 63 - __builtin_clzll(gap | 1);
}

static void hist_add(uint64_t gap, int delta)
{
    if (gap != INF && gap != 0) {
        ix.hist[bucket(gap)] += (uint64_t)delta;
    }
}

/* Recomputes the cached gap of block i (keeping the histogram right): the
 * distance from its rounded end to the first block starting there or
 * later, or "last" when there is none. */
static void refresh(size_t i)
{
    RAMBlock *b = ix.v[i];
    if (!b->gap_last) {
        hist_add(b->gap, -1);
    }
    uint64_t cand = cand_of(b);
    size_t j = i + 1;
    while (j < ix.n && ix.v[j]->offset < cand) {
        j++;
    }
    b->gap_last = j == ix.n;
    b->gap = b->gap_last ? INF - cand : ix.v[j]->offset - cand;
    if (!b->gap_last) {
        hist_add(b->gap, +1);
    }
}

/* After a block was inserted at or removed from position @p, refreshes
 * the blocks before it whose next block may have changed: a block's next
 * can only change if it skips over every block between it and @p. */
static void refresh_before(size_t p)
{
    for (size_t j = p; j-- > 0;) {
        refresh(j);
        if (j == 0 || cand_of(ix.v[j - 1]) <= ix.v[j]->offset) {
            break;
        }
    }
}

static int by_list_order(const void *a, const void *b)
{
    const RAMBlock *x = *(RAMBlock *const *)a, *y = *(RAMBlock *const *)b;
    if (x->max_length != y->max_length) {
        return x->max_length > y->max_length ? -1 : 1;
    }
    return x->seq < y->seq ? -1 : 1;
}

/* QEMU's rule, over all blocks in QEMU's list order. */
static uint64_t full_scan(uint64_t size)
{
    RAMBlock **order = malloc(ix.n * sizeof(*order));
    if (!order) {
        return INF;
    }
    memcpy(order, ix.v, ix.n * sizeof(*order));
    qsort(order, ix.n, sizeof(*order), by_list_order);
    uint64_t offset = INF, mingap = INF;
    for (size_t k = 0; k < ix.n; k++) {
        uint64_t cand = cand_of(order[k]);
        uint64_t gap = order[k]->gap;
        if (cand != INF && gap >= size && gap < mingap) {
            offset = cand;
            mingap = gap;
        }
    }
    free(order);
    return offset;
}

uint64_t gm__ram_offset_find(uint64_t size)
{
    if (ix.n == 0) {
        return 0;
    }
    int k = bucket(size);
    bool maybe = false;
    for (int b = k; b < 64 && !maybe; b++) {
        maybe = ix.hist[b] != 0;
    }
    if (!maybe) {
        /* No gap before the last block can fit: the best fit is after the
         * last block (the smallest of the unbounded gaps). */
        uint64_t cand = cand_of(ix.v[ix.n - 1]);
        return cand != INF && INF - cand >= size ? cand : INF;
    }
    return full_scan(size);
}

static size_t position(uint64_t offset)
{
    size_t lo = 0, hi = ix.n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ix.v[mid]->offset < offset) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Room for one more block at the back: the front's free slots taken back
 * when they are at least half the array, else a larger array.  Amortised
 * O(1) per insertion. */
static bool make_room_at_back(void)
{
    if (ix.head + ix.n < ix.cap) {
        return true;
    }
    if (ix.head && ix.head >= ix.cap / 2) {
        memmove(ix.buf, ix.v, ix.n * sizeof(*ix.v));
        ix.head = 0;
        ix.v = ix.buf;
        return true;
    }
    size_t cap = ix.cap ? ix.cap * 2 : 64;
    RAMBlock **buf = realloc(ix.buf, cap * sizeof(*buf));
    if (!buf) {
        return false;
    }
    ix.buf = buf;
    ix.v = buf + ix.head;
    ix.cap = cap;
    return true;
}

bool gm__ram_offset_insert(RAMBlock *rb)
{
    size_t p = position(rb->offset);
    if (ix.head && p < ix.n / 2) {
        /* The front is shorter and has room: move it one slot down. */
        ix.v--;
        ix.head--;
        memmove(&ix.v[0], &ix.v[1], p * sizeof(*ix.v));
    } else {
        if (!make_room_at_back()) {
            return false;
        }
        memmove(&ix.v[p + 1], &ix.v[p], (ix.n - p) * sizeof(*ix.v));
    }
    rb->seq = ++ix.seq;
    ix.v[p] = rb;
    ix.n++;
    rb->gap_last = true; /* nothing counted for it yet */
    refresh(p);
    refresh_before(p);
    return true;
}

void gm__ram_offset_remove(RAMBlock *rb)
{
    size_t p = position(rb->offset);
    while (p < ix.n && ix.v[p] != rb) {
        p++;
    }
    if (p == ix.n) {
        return;
    }
    if (!rb->gap_last) {
        hist_add(rb->gap, -1);
    }
    /* Close the hole from the shorter side; either way the blocks after
     * it are at p on. */
    if (p < ix.n / 2) {
        memmove(&ix.v[1], &ix.v[0], p * sizeof(*ix.v));
        ix.v++;
        ix.head++;
    } else {
        memmove(&ix.v[p], &ix.v[p + 1], (ix.n - p - 1) * sizeof(*ix.v));
    }
    ix.n--;
    refresh_before(p);
    if (ix.n == 0) {
        free(ix.buf);
        memset(&ix, 0, sizeof(ix));
    }
}
