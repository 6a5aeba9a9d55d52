// SPDX-License-Identifier: MIT
/*
 * dispatch.c - from an address to the range of a flat view that serves it.
 *
 * Lookups outnumber topology changes by many orders of magnitude (every
 * guest access does one; a commit happens when a device is reprogrammed), so
 * the structure is built once per view and only read afterwards, without
 * locks.  It is a radix table over 4 KiB pages: four levels of 512 entries
 * (9 bits each) cover addresses below 2^48.  An entry is one of
 *   - EMPTY: nothing mapped anywhere in its span;
 *   - LEAF(i): range i covers its whole span (a 1 GiB RAM range is one
 *     level-1 entry, not 262,144 page entries);
 *   - SUB(i): a page holding range boundaries; i is the first range that
 *     touches the page, and a binary search from there finds the one;
 *   - NODE(n): the next level's table n.
 * So a lookup costs one to four dependent loads, whatever the number of
 * ranges (QEMU's table, by contrast, refuses views of 4,096 sections or
 * more).  Before all that, a lookup tries the range that answered last
 * (MRU), which hot accesses to one region always hit.  Addresses at or above
 * 2^48 (rare: 64-bit PCI windows) are binary-searched among the ranges that
 * reach there.  Entries are 32-bit; a view with more than 2^30 ranges
 * falls back to binary search entirely.
 *
 * Each page table (the last level) has beside it a table of page words: for
 * a page that one range a CPU reads directly covers whole, the page's host
 * address with the range's fast flags in its low bits.  The access path
 * (gm__dispatch_page) walks to that word and has the host address without
 * reading the range: with many small regions the array of ranges is far
 * larger than the caches, and reading a range would cost a second miss on
 * top of the page table's.
 */
#include "internal.h"

#define LEVELS 4
#define BITS 9
#define FANOUT (1u << BITS)
#define PAGE_BITS 12
#define RADIX_LIMIT_BITS (PAGE_BITS + LEVELS * BITS) /* 48 */

enum {
    E_EMPTY = 0,
    E_LEAF = 1,
    E_SUB = 2,
    E_NODE = 3
};
#define ENTRY(kind, v) (((uint32_t)(v) << 2) | (kind))
#define KIND(e) ((e)&3)
#define VAL(e) ((e) >> 2)

struct GmDispatch {
    uint32_t *nodes; /* nnodes tables of FANOUT entries; table 0 is the root */
    unsigned nnodes;
    unsigned cap;
    unsigned high_first; /* first range reaching 2^48 or above */
    bool radix;          /* false: binary search only */
    /* Page words: words[pt[n] * FANOUT + i] for page table n (pt[n] is
     * UINT32_MAX for the other tables): the host address of page i |
     * PW_* flags, or 0 when no range read directly covers it whole. */
    uint32_t *pt;
    uint64_t *words;
};
/* Page word flags (the range's GM_FAST_READ, _WRITE, _LOG, shifted). */
#define PW_READ 1u
#define PW_FLAGS 0xfffu

static unsigned level_shift(unsigned level)
{
    return PAGE_BITS + (LEVELS - 1 - level) * BITS;
}

static long new_node(GmDispatch *d)
{
    if (d->nnodes == d->cap) {
        unsigned cap = d->cap ? d->cap * 2 : 16;
        if (cap > (1u << 29)) {
            return -1;
        }
        uint32_t *n = realloc(d->nodes, (size_t)cap * FANOUT * sizeof(*n));
        if (!n) {
            return -1;
        }
        d->nodes = n;
        d->cap = cap;
    }
    memset(&d->nodes[(size_t)d->nnodes * FANOUT], 0, FANOUT * sizeof(uint32_t));
    return d->nnodes++;
}

/* Marks [start, last] (inside the radix limit) as served by range @ri, in
 * table @node at @level. */
static bool insert(GmDispatch *d, unsigned node, unsigned level, hwaddr start,
                   hwaddr last, uint32_t ri)
{
    unsigned shift = level_shift(level);
    for (hwaddr a = start; a <= last;) {
        unsigned idx = (unsigned)(a >> shift) & (FANOUT - 1);
        hwaddr span_start = a & ~((UINT64_C(1) << shift) - 1);
        hwaddr span_last = span_start + ((UINT64_C(1) << shift) - 1);
        hwaddr piece_last = last < span_last ? last : span_last;
        uint32_t *e = &d->nodes[(size_t)node * FANOUT + idx];
        if (a == span_start && piece_last == span_last) {
            *e = ENTRY(E_LEAF, ri);
        } else if (level == LEVELS - 1) {
            if (KIND(*e) != E_SUB) {
                /* Ranges arrive in address order: the first to touch the
                 * page is the one to search from. */
                *e = ENTRY(E_SUB, ri);
            }
        } else {
            if (KIND(*e) != E_NODE) {
                long n = new_node(d);
                if (n < 0) {
                    return false;
                }
                e = &d->nodes[(size_t)node * FANOUT + idx]; /* realloc'd */
                *e = ENTRY(E_NODE, n);
            }
            if (!insert(d, VAL(*e), level + 1, a, piece_last, ri)) {
                return false;
            }
        }
        if (piece_last == UINT64_MAX) {
            break;
        }
        a = piece_last + 1;
    }
    return true;
}

/* Numbers the page tables under table @node at @level (its span starts at
 * @base), and with @fv fills their page words (the second pass). */
static void walk_words(GmDispatch *d, const FlatView *fv, unsigned node,
                       unsigned level, hwaddr base, unsigned *npt)
{
    if (level == LEVELS - 1) {
        if (!fv) {
            d->pt[node] = (*npt)++;
            return;
        }
        uint64_t *w = &d->words[(size_t)d->pt[node] * FANOUT];
        for (unsigned i = 0; i < FANOUT; i++) {
            uint32_t e = d->nodes[(size_t)node * FANOUT + i];
            if (KIND(e) != E_LEAF) {
                continue;
            }
            hwaddr a = base | ((hwaddr)i << PAGE_BITS);
            const FlatRange *fr = &fv->ranges[VAL(e)];
            if (!(fr->fast_flags & GM_FAST_READ) || !fr->host) {
                continue;
            }
            uint64_t host = (uint64_t)(uintptr_t)(fr->host + (a - fr->start));
            if (!(host & PW_FLAGS)) {
                w[i] = host | (fr->fast_flags & PW_FLAGS);
            }
        }
        return;
    }
    for (unsigned i = 0; i < FANOUT; i++) {
        uint32_t e = d->nodes[(size_t)node * FANOUT + i];
        if (KIND(e) == E_NODE) {
            walk_words(d, fv, VAL(e), level + 1,
                       base | ((hwaddr)i << level_shift(level)), npt);
        }
    }
}

GmDispatch *gm__dispatch_build(FlatView *fv)
{
    GmDispatch *d = calloc(1, sizeof(*d));
    if (!d) {
        return NULL;
    }
    const hwaddr limit = (UINT64_C(1) << RADIX_LIMIT_BITS) - 1;
    d->high_first = fv->nr;
    for (unsigned i = 0; i < fv->nr; i++) {
        if (fv->ranges[i].last > limit) {
            d->high_first = i;
            break;
        }
    }
    d->radix = fv->nr < (1u << 30);
    if (d->radix && new_node(d) < 0) {
        free(d);
        return NULL;
    }
    for (unsigned i = 0; d->radix && i < fv->nr; i++) {
        const FlatRange *fr = &fv->ranges[i];
        if (fr->start > limit) {
            break;
        }
        hwaddr last = fr->last < limit ? fr->last : limit;
        if (!insert(d, 0, 0, fr->start, last, i)) {
            free(d->nodes);
            free(d);
            return NULL;
        }
    }
    if (d->radix) {
        unsigned npt = 0;
        d->pt = malloc((size_t)d->nnodes * sizeof(uint32_t));
        if (d->pt) {
            memset(d->pt, 0xff, (size_t)d->nnodes * sizeof(uint32_t));
            walk_words(d, NULL, 0, 0, 0, &npt);
            d->words =
                calloc((size_t)(npt ? npt : 1) * FANOUT, sizeof(uint64_t));
        }
        if (!d->pt || !d->words) {
            free(d->pt);
            free(d->words);
            free(d->nodes);
            free(d);
            return NULL;
        }
        walk_words(d, fv, 0, 0, 0, &npt);
    }
    return d;
}

void gm__dispatch_free(GmDispatch *d)
{
    if (d) {
        free(d->nodes);
        free(d->pt);
        free(d->words);
        free(d);
    }
}

/* Binary search for the range containing @addr among ranges [lo, nr). */
static long search(const FlatView *fv, unsigned lo, hwaddr addr)
{
    unsigned hi = fv->nr;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (fv->ranges[mid].last < addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < fv->nr && fv->ranges[lo].start <= addr) {
        return lo;
    }
    return -1;
}

/* --- the per-thread TLB ----------------------------------------------------
 * A radix walk is four dependent loads; an access pattern that jumps between
 * regions misses the most recently used range every time.  Each thread
 * keeps a small direct-mapped cache from (view, page) to range and, for
 * pages the range may access directly, the page's host address, so that a
 * page it has touched before costs one load and no look at the range.
 * Views are told apart by generation, which is never reused, so stale
 * entries simply never match. */

static void tlb_fill(const FlatView *fv, hwaddr addr, uint32_t idx)
{
    const FlatRange *fr = &fv->ranges[idx];
    hwaddr base = addr & ~(hwaddr)((1u << PAGE_BITS) - 1);
    if (fr->start > base || fr->last < base + ((1u << PAGE_BITS) - 1)) {
        return; /* the page holds more than this range */
    }
    GmTlbEntry *t = gm__fast1.tlb;
    if (!t) {
        t = calloc((size_t)1 << GM_TLB_BITS, sizeof(GmTlbEntry));
        if (!t) {
            return;
        }
        gm__fast1.tlb = t;
    }
    GmTlbEntry *e = gm__tlb_slot(t, addr >> PAGE_BITS);
    e->gen = fv->gen;
    e->page = addr >> PAGE_BITS;
    e->addend = fr->host ? (uintptr_t)fr->host - (uintptr_t)fr->start : 0;
    e->idx = idx;
    e->flags = fr->host ? fr->fast_flags : 0;
}

void gm__tlb_thread_exit(void)
{
    free(gm__fast1.tlb);
    gm__fast1.tlb = NULL;
    /* The thread leaves RCU (state.c): the inline accessors must not run
     * until it is registered again. */
    gm__fast1.rcu_ctr = NULL;
    memset(&gm__fast1.mru, 0, sizeof(gm__fast1.mru));
}

const GmTlbEntry *gm__dispatch_page(FlatView *fv, hwaddr addr)
{
    const GmDispatch *d = fv->dispatch;
    if (!d || !d->radix || (addr >> RADIX_LIMIT_BITS)) {
        return NULL;
    }
    /* Down to the page table, then its page word (not its entry: one
     * cache line less). */
    const uint32_t *t = d->nodes;
    uint32_t e = t[(addr >> level_shift(0)) & (FANOUT - 1)];
    for (unsigned level = 1; level < LEVELS - 1 && KIND(e) == E_NODE; level++) {
        e = t[(size_t)VAL(e) * FANOUT +
              ((addr >> level_shift(level)) & (FANOUT - 1))];
    }
    if (KIND(e) != E_NODE) {
        return NULL; /* no page table: one range or nothing spans it all */
    }
    uint64_t w = d->words[(size_t)d->pt[VAL(e)] * FANOUT +
                          ((addr >> PAGE_BITS) & (FANOUT - 1))];
    if (!(w & PW_READ)) {
        return NULL;
    }
    GmTlbEntry *tl = gm__fast1.tlb;
    if (!tl) {
        tl = calloc((size_t)1 << GM_TLB_BITS, sizeof(GmTlbEntry));
        if (!tl) {
            return NULL;
        }
        gm__fast1.tlb = tl;
    }
    GmTlbEntry *te = gm__tlb_slot(tl, addr >> PAGE_BITS);
    te->gen = fv->gen;
    te->page = addr >> PAGE_BITS;
    te->addend = (uintptr_t)(w & ~(uint64_t)PW_FLAGS) -
                 (uintptr_t)(addr & ~(hwaddr)((1u << PAGE_BITS) - 1));
    te->idx = UINT32_MAX; /* the range is not read: gm__dispatch_lookup
                           * walks again if it needs it */
    te->flags = (uint32_t)(w & PW_FLAGS);
    return te;
}

long gm__dispatch_lookup(const GmDispatch *d, FlatView *fv, hwaddr addr)
{
    /* The caller (gm__flatview_range) has tried the thread's last range. */
    long r;
    const GmTlbEntry *te;
    if (!d->radix || (addr >> RADIX_LIMIT_BITS)) {
        r = search(fv, d->radix ? d->high_first : 0, addr);
    } else if ((te = gm__tlb_find(fv, addr)) != NULL && te->idx != UINT32_MAX) {
        r = te->idx; /* a page seen before in this view */
    } else {
        const uint32_t *t = d->nodes;
        uint32_t e = t[(addr >> level_shift(0)) & (FANOUT - 1)];
        unsigned level = 1;
        while (KIND(e) == E_NODE) {
            e = t[(size_t)VAL(e) * FANOUT +
                  ((addr >> level_shift(level)) & (FANOUT - 1))];
            level++;
        }
        switch (KIND(e)) {
        case E_LEAF: r = VAL(e); break;
        case E_SUB: r = search(fv, VAL(e), addr); break;
        default: return -1;
        }
        if (r >= 0) {
            tlb_fill(fv, addr, (uint32_t)r);
        }
    }
    return r;
}

static const char *entry_text(uint32_t e, char *buf, size_t n)
{
    switch (KIND(e)) {
    case E_LEAF: snprintf(buf, n, "#%u", VAL(e)); break;
    case E_SUB: snprintf(buf, n, "search from #%u", VAL(e)); break;
    case E_NODE: snprintf(buf, n, "[%u]", VAL(e)); break;
    default: snprintf(buf, n, "NIL"); break;
    }
    return buf;
}

void gm__dispatch_print(FILE *f, const GmDispatch *d, const FlatView *fv)
{
    fprintf(f, "  Dispatch\n");
    if (gm__fast1.mru.gen == fv->gen) {
        fprintf(f, "    Ranges (%u), most recently used #%u\n", fv->nr,
                gm__fast1.mru.idx);
    } else {
        fprintf(f, "    Ranges (%u)\n", fv->nr);
    }
    for (unsigned i = 0; i < fv->nr; i++) {
        const FlatRange *fr = &fv->ranges[i];
        fprintf(f, "      #%u @%016" PRIx64 "..%016" PRIx64 " %s%s%s\n", i,
                fr->start, fr->last, memory_region_name(fr->mr),
                fr->readonly ? " [RO]" : "",
                fr->mr->ram && !fr->mr->ram_device ? "" : " [MMIO]");
    }
    if (!d->radix) {
        fprintf(f, "    Binary search only\n");
        return;
    }
    fprintf(f,
            "    Nodes (%u bits per level, %u levels, 4 KiB pages below "
            "2^48; above: binary search from #%u)\n",
            (unsigned)BITS, (unsigned)LEVELS, d->high_first);
    for (unsigned n = 0; n < d->nnodes; n++) {
        const uint32_t *t = &d->nodes[(size_t)n * FANOUT];
        fprintf(f, "      [%u]\n", n);
        for (unsigned i = 0; i < FANOUT;) {
            unsigned j = i;
            while (j + 1 < FANOUT && t[j + 1] == t[i]) {
                j++;
            }
            char buf[48];
            if (i == j) {
                fprintf(f, "\t%3u       %s\n", i, entry_text(t[i], buf, 48));
            } else {
                fprintf(f, "\t%3u..%-3u  %s\n", i, j,
                        entry_text(t[i], buf, 48));
            }
            i = j + 1;
        }
    }
}
