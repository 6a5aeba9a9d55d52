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
};

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
    return d;
}

void gm__dispatch_free(GmDispatch *d)
{
    if (d) {
        free(d->nodes);
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
 * regions misses the MRU every time.  Each thread keeps a small
 * direct-mapped cache from (view, page) to range, so that a page it has
 * touched before costs one load.  Views are told apart by generation, which
 * is never reused, so stale entries simply never match. */
__thread GmTlbEntry *gm__tlb __attribute__((tls_model("initial-exec")));

static inline GmTlbEntry *tlb_slot(GmTlbEntry *t, uint64_t page)
{
    return &t[(page * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - GM_TLB_BITS)];
}

static inline long tlb_lookup(const FlatView *fv, hwaddr addr)
{
    GmTlbEntry *t = gm__tlb;
    uint64_t page = addr >> PAGE_BITS;
    if (t) {
        const GmTlbEntry *e = tlb_slot(t, page);
        if (e->gen == fv->gen && e->page == page) {
            return e->idx;
        }
    }
    return -1;
}

static void tlb_fill(const FlatView *fv, hwaddr addr, uint32_t idx)
{
    const FlatRange *fr = &fv->ranges[idx];
    hwaddr base = addr & ~(hwaddr)((1u << PAGE_BITS) - 1);
    if (fr->start > base || fr->last < base + ((1u << PAGE_BITS) - 1)) {
        return; /* the page holds more than this range */
    }
    if (!gm__tlb) {
        gm__tlb = calloc((size_t)1 << GM_TLB_BITS, sizeof(GmTlbEntry));
        if (!gm__tlb) {
            return;
        }
    }
    GmTlbEntry *e = tlb_slot(gm__tlb, addr >> PAGE_BITS);
    e->gen = fv->gen;
    e->page = addr >> PAGE_BITS;
    e->idx = idx;
}

void gm__tlb_thread_exit(void)
{
    free(gm__tlb);
    gm__tlb = NULL;
}

long gm__dispatch_lookup(const GmDispatch *d, FlatView *fv, hwaddr addr)
{
    /* The caller (gm__flatview_range) has tried the MRU range already. */
    long r;
    if (!d->radix || (addr >> RADIX_LIMIT_BITS)) {
        r = search(fv, d->radix ? d->high_first : 0, addr);
    } else if ((r = tlb_lookup(fv, addr)) >= 0) {
        /* a page seen before in this view */
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
    if (r >= 0) {
        __atomic_store_n(&fv->mru, (uint32_t)r, __ATOMIC_RELAXED);
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
    fprintf(f, "    Ranges (%u), most recently used #%u\n", fv->nr,
            __atomic_load_n(&((FlatView *)fv)->mru, __ATOMIC_RELAXED));
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
