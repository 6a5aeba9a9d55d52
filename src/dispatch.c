// SPDX-License-Identifier: MIT
/*
 * dispatch.c - from an address to the range of a flat view that serves it.
 *
 * Lookups outnumber topology changes by many orders of magnitude, so the
 * structure is only read by the access path, without locks: a radix table
 * over 4 KiB pages, four levels of 512 entries (9 bits each) covering the
 * addresses below 2^48.  An entry is one of
 *   - 0: nothing mapped anywhere in its span;
 *   - LEAF(range): the range covers the whole span (a 1 GiB RAM range is
 *     one level-1 entry, not 262,144 page entries);
 *   - SUB(list): a page holding range boundaries, with the ranges that
 *     touch it in order (searched by binary search);
 *   - NODE(table): the next level's table.
 * A lookup costs one to four dependent loads whatever the number of
 * ranges.  Addresses at or above 2^48 (rare: 64-bit PCI windows) are
 * binary-searched in the view's high array (flatview.c).
 *
 * Each last-level table carries a word per page: for a page that one range
 * a CPU reads directly covers whole, the page's host address with the
 * range's fast flags in its low bits.  The access path (gm__dispatch_page)
 * walks to that word and has the host address without reading the range.
 *
 * The radix is persistent: a commit (gm__rx_update) copies only the tables
 * on the paths to the pages that changed, so consecutive views share all
 * the others.  A table made by the commit under way (its generation) is
 * changed in place; an older one is copied and the original retired, to
 * be freed once no view that can reach it is alive.
 */
#include "base.h"
#include "view.h"

#define LEVELS 4
#define BITS 9
#define FANOUT (1u << BITS)
#define PAGE_BITS 12
#define PAGE_SIZE (UINT64_C(1) << PAGE_BITS)
#define RX_LIMIT ((UINT64_C(1) << GM_RX_LIMIT_BITS) - 1) /* last address */

enum {
    E_LEAF = 1,
    E_SUB = 2,
    E_NODE = 3
};
#define TAG(e) ((unsigned)((e)&3u))
#define PTR(e) ((void *)((e) & ~(uintptr_t)3))
#define MAKE(kind, p) ((uintptr_t)(p) | (kind))

/* A table; the last level's also has a page word per entry. */
typedef struct RxNode {
    uint64_t gen; /* of the commit that made it */
    uintptr_t e[FANOUT];
    uint64_t w[];
} RxNode;

/* The ranges touching one page, in order. */
typedef struct RxSub {
    size_t n;
    const FlatRange *r[];
} RxSub;

/* Page word flags (the range's GM_FAST_READ, _WRITE, _LOG). */
#define PW_READ 1u
#define PW_FLAGS 0xfffu

static unsigned level_shift(unsigned level)
{
    return PAGE_BITS + (LEVELS - 1 - level) * BITS;
}

static unsigned slot_of(hwaddr addr, unsigned level)
{
    return (unsigned)(addr >> level_shift(level)) & (FANOUT - 1);
}

/* --- building ------------------------------------------------------------ */

typedef struct Upd {
    uint64_t gen;
    const FlatRange *const *rs;
    size_t n, cur;
    GmRetired *ret, *born;
    bool oom;
} Upd;

static RxNode *node_new(Upd *u, unsigned level)
{
    size_t words = level == LEVELS - 1 ? FANOUT : 0;
    RxNode *t = calloc(1, sizeof(*t) + words * sizeof(uint64_t));
    if (!t || !gm__retire(u->born, GM_RETIRE_BLOB, t)) {
        free(t);
        u->oom = true;
        return NULL;
    }
    t->gen = u->gen;
    return t;
}

/* The page word of entry @e for the page at @page. */
static uint64_t page_word(uintptr_t e, hwaddr page)
{
    if (TAG(e) != E_LEAF) {
        return 0;
    }
    const FlatRange *fr = PTR(e);
    if (!(fr->fast_flags & GM_FAST_READ) || !fr->host) {
        return 0;
    }
    uint64_t host = (uint64_t)(uintptr_t)(fr->host + (page - fr->start));
    return host & PW_FLAGS ? 0 : host | (fr->fast_flags & PW_FLAGS);
}

static uintptr_t build(Upd *u, unsigned level, hwaddr s, hwaddr e);

/* Fills table @t of @level, whose span starts at @base, from the ranges. */
static void fill_table(Upd *u, RxNode *t, unsigned level, hwaddr base)
{
    unsigned shift = level_shift(level);
    hwaddr span = (UINT64_C(1) << shift) - 1;
    for (unsigned i = 0; i < FANOUT && !u->oom; i++) {
        hwaddr cs = base + ((hwaddr)i << shift);
        t->e[i] = build(u, level, cs, cs + span);
        if (level == LEVELS - 1) {
            t->w[i] = page_word(t->e[i], cs);
        }
    }
}

/* A fresh entry of a table of @level for the span [@s, @e], from the
 * ranges at the cursor (which moves on past those ending before @s). */
static uintptr_t build(Upd *u, unsigned level, hwaddr s, hwaddr e)
{
    while (u->cur < u->n && u->rs[u->cur]->last < s) {
        u->cur++;
    }
    if (u->cur == u->n || u->rs[u->cur]->start > e) {
        return 0;
    }
    const FlatRange *fr = u->rs[u->cur];
    if (fr->start <= s && fr->last >= e) {
        return MAKE(E_LEAF, fr);
    }
    if (level == LEVELS - 1) {
        size_t k = u->cur;
        while (k < u->n && u->rs[k]->start <= e) {
            k++;
        }
        size_t n = k - u->cur;
        RxSub *sub = malloc(sizeof(*sub) + n * sizeof(sub->r[0]));
        if (!sub || !gm__retire(u->born, GM_RETIRE_BLOB, sub)) {
            free(sub);
            u->oom = true;
            return 0;
        }
        sub->n = n;
        memcpy(sub->r, &u->rs[u->cur], n * sizeof(sub->r[0]));
        return MAKE(E_SUB, sub);
    }
    RxNode *t = node_new(u, level + 1);
    if (!t) {
        return 0;
    }
    fill_table(u, t, level + 1, s);
    return MAKE(E_NODE, t);
}

/* @e (an entry of a table of @level) is no longer in the view being
 * made: retire what hangs from it.  Ranges are the commit's business. */
static void retire_entry(Upd *u, uintptr_t e, unsigned level)
{
    if (TAG(e) == E_SUB) {
        u->oom |= !gm__retire(u->ret, GM_RETIRE_BLOB, PTR(e));
    } else if (TAG(e) == E_NODE) {
        RxNode *t = PTR(e);
        for (unsigned i = 0; i < FANOUT; i++) {
            retire_entry(u, t->e[i], level + 1);
        }
        u->oom |= !gm__retire(u->ret, GM_RETIRE_BLOB, t);
    }
}

/* Table @t of @level as this commit may change it: itself if this commit
 * made it, else a copy (the original retired). */
static RxNode *writable(Upd *u, RxNode *t, unsigned level)
{
    if (t->gen == u->gen) {
        return t;
    }
    RxNode *c = node_new(u, level);
    if (!c) {
        return NULL;
    }
    size_t words = level == LEVELS - 1 ? FANOUT : 0;
    memcpy(c->e, t->e, sizeof(t->e) + words * sizeof(uint64_t));
    if (!gm__retire(u->ret, GM_RETIRE_BLOB, t)) {
        u->oom = true;
    }
    return c;
}

/* A table of @level standing for entry @old of the level above (0 or a
 * LEAF) over the span from @base: the same content, one level down. */
static RxNode *expand(Upd *u, uintptr_t old, unsigned level, hwaddr base)
{
    RxNode *t = node_new(u, level);
    if (!t) {
        return NULL;
    }
    unsigned shift = level_shift(level);
    for (unsigned i = 0; i < FANOUT; i++) {
        t->e[i] = old;
        if (level == LEVELS - 1) {
            t->w[i] = page_word(old, base + ((hwaddr)i << shift));
        }
    }
    return t;
}

/* Updates [@lo, @hi] inside table *@pt of @level spanning from @base. */
static void update_table(Upd *u, RxNode **pt, unsigned level, hwaddr base,
                         hwaddr lo, hwaddr hi)
{
    RxNode *t = writable(u, *pt, level);
    if (!t) {
        return;
    }
    *pt = t;
    unsigned shift = level_shift(level);
    hwaddr span = (UINT64_C(1) << shift) - 1;
    for (unsigned i = slot_of(lo, level); i <= slot_of(hi, level) && !u->oom;
         i++) {
        hwaddr cs = base + ((hwaddr)i << shift), ce = cs + span;
        uintptr_t old = t->e[i];
        if (lo <= cs && ce <= hi) {
            t->e[i] = build(u, level, cs, ce);
            retire_entry(u, old, level);
        } else {
            RxNode *child =
                TAG(old) == E_NODE ? PTR(old) : expand(u, old, level + 1, cs);
            if (!child) {
                return;
            }
            update_table(u, &child, level + 1, cs, lo > cs ? lo : cs,
                         hi < ce ? hi : ce);
            t->e[i] = MAKE(E_NODE, child);
        }
        if (level == LEVELS - 1) {
            t->w[i] = page_word(t->e[i], cs);
        }
    }
}

bool gm__rx_update(uintptr_t *root, uint64_t gen, hwaddr lo, hwaddr hi,
                   const FlatRange *const *rs, size_t n, GmRetired *ret,
                   GmRetired *born)
{
    Upd u = { gen, rs, n, 0, ret, born, false };
    if (lo > RX_LIMIT) {
        return true;
    }
    if (hi > RX_LIMIT) {
        hi = RX_LIMIT;
    }
    RxNode *t = *root ? PTR(*root) : node_new(&u, 0);
    if (!t) {
        return false;
    }
    update_table(&u, &t, 0, 0, lo, hi);
    if (!u.oom) {
        *root = MAKE(E_NODE, t);
    }
    return !u.oom;
}

/* --- reading ------------------------------------------------------------- */

const FlatRange *gm__rx_lookup(uintptr_t root, hwaddr addr)
{
    if (addr > RX_LIMIT) {
        return NULL;
    }
    uintptr_t e = root;
    for (unsigned level = 0; TAG(e) == E_NODE; level++) {
        e = ((const RxNode *)PTR(e))->e[slot_of(addr, level)];
    }
    switch (TAG(e)) {
    case E_LEAF: return PTR(e);
    case E_SUB: {
        const RxSub *sub = PTR(e);
        return gm__ranges_find(sub->r, sub->n, addr);
    }
    default: return NULL;
    }
}

static bool push_once(GmRanges *out, const FlatRange *fr)
{
    if (out->n && out->r[out->n - 1] == fr) {
        return true;
    }
    return gm__ranges_push(out, fr);
}

static bool collect(uintptr_t e, unsigned level, hwaddr base, hwaddr lo,
                    hwaddr hi, GmRanges *out)
{
    switch (TAG(e)) {
    case E_LEAF: return push_once(out, PTR(e));
    case E_SUB: {
        const RxSub *sub = PTR(e);
        for (size_t i = 0; i < sub->n; i++) {
            const FlatRange *fr = sub->r[i];
            if (fr->last >= lo && fr->start <= hi && !push_once(out, fr)) {
                return false;
            }
        }
        return true;
    }
    case E_NODE: {
        const RxNode *t = PTR(e);
        unsigned shift = level_shift(level);
        unsigned first = base >= lo ? 0 : slot_of(lo, level);
        hwaddr span_last = base + ((UINT64_C(1) << shift) * FANOUT - 1);
        unsigned last = span_last <= hi ? FANOUT - 1 : slot_of(hi, level);
        for (unsigned i = first; i <= last; i++) {
            if (t->e[i] && !collect(t->e[i], level + 1,
                                    base + ((hwaddr)i << shift), lo, hi, out)) {
                return false;
            }
        }
        return true;
    }
    default: return true;
    }
}

bool gm__rx_collect(uintptr_t root, hwaddr lo, hwaddr hi, GmRanges *out)
{
    if (lo > RX_LIMIT) {
        return true;
    }
    return collect(root, 0, 0, lo, hi < RX_LIMIT ? hi : RX_LIMIT, out);
}

/* The first range starting above @addr under entry @e (of a table of
 * @level - 1, spanning from @base), or NULL. */
static const FlatRange *first_after(uintptr_t e, unsigned level, hwaddr base,
                                    hwaddr addr)
{
    switch (TAG(e)) {
    case E_LEAF: {
        const FlatRange *fr = PTR(e);
        return fr->start > addr ? fr : NULL;
    }
    case E_SUB: {
        const RxSub *sub = PTR(e);
        for (size_t i = 0; i < sub->n; i++) {
            if (sub->r[i]->start > addr) {
                return sub->r[i];
            }
        }
        return NULL;
    }
    case E_NODE: {
        const RxNode *t = PTR(e);
        unsigned shift = level_shift(level);
        unsigned first = base > addr ? 0 : slot_of(addr, level);
        for (unsigned i = first; i < FANOUT; i++) {
            const FlatRange *fr =
                t->e[i] ? first_after(t->e[i], level + 1,
                                      base + ((hwaddr)i << shift), addr)
                        : NULL;
            if (fr) {
                return fr;
            }
        }
        return NULL;
    }
    default: return NULL;
    }
}

const FlatRange *gm__rx_next(uintptr_t root, hwaddr addr)
{
    return addr >= RX_LIMIT ? NULL : first_after(root, 0, 0, addr);
}

static void free_entry(uintptr_t e)
{
    if (TAG(e) == E_SUB) {
        free(PTR(e));
    } else if (TAG(e) == E_NODE) {
        RxNode *t = PTR(e);
        for (unsigned i = 0; i < FANOUT; i++) {
            free_entry(t->e[i]);
        }
        free(t);
    }
}

void gm__rx_free(uintptr_t root)
{
    free_entry(root);
}

/* --- the access path -------------------------------------------------------
 * A radix walk is four dependent loads; an access pattern that jumps between
 * regions misses the most recently used range every time.  Each thread
 * keeps a small direct-mapped cache from (view, page) to, for pages a range
 * may access directly, the page's host address, so that a page it has
 * touched before costs one load and no look at the range.  Views are told
 * apart by generation, which is never reused, so stale entries simply
 * never match. */

__thread const FlatRange *gm__mru_range
    __attribute__((tls_model("initial-exec")));

void gm__fast_fill(const FlatView *fv, const FlatRange *fr)
{
    GmFastRange *m = &gm__fast1.mru;
    uint32_t f = fr->fast_flags;
    uint64_t gen = fv->gen;
    gm__mru_range = fr;
    m->gen = gen;
    m->start = fr->start;
    m->lim7 = fr->last - fr->start - 7; /* fast_flags: 8 bytes or more */
    m->host = fr->host;
    m->rgen = (f & GM_FAST_READ) ? gen : 0;
    m->wgen = (f & (GM_FAST_WRITE | GM_FAST_LOG)) == GM_FAST_WRITE ? gen : 0;
    m->lgen = (f & GM_FAST_LOG) ? gen : 0;
    m->mgen = (f & GM_FAST_MMIO) ? gen : 0;
    if (f & GM_FAST_LOG) {
        m->ram = fr->ram_start;
        m->dirty = fr->dirty_base;
    }
    if (f & GM_FAST_MMIO) {
        m->read = fr->mr->ops->read;
        m->opaque = fr->mr->opaque;
        m->offset = fr->offset_in_region;
        m->mmio_sizes = fr->mmio_read_sizes;
        m->mmio_amask = fr->mmio_unaligned ? 0 : 7;
    }
}

static GmTlbEntry *tlb_get(void)
{
    GmTlbEntry *t = gm__fast1.tlb;
    if (!t) {
        t = calloc((size_t)1 << GM_TLB_BITS, sizeof(GmTlbEntry));
        gm__fast1.tlb = t;
    }
    return t;
}

static void tlb_fill(const FlatView *fv, hwaddr addr, const FlatRange *fr)
{
    hwaddr base = addr & ~(PAGE_SIZE - 1);
    if (fr->start > base || fr->last < base + (PAGE_SIZE - 1)) {
        return; /* the page holds more than this range */
    }
    GmTlbEntry *t = tlb_get();
    if (!t) {
        return;
    }
    GmTlbEntry *e = gm__tlb_slot(t, addr >> PAGE_BITS);
    e->gen = fv->gen;
    e->page = addr >> PAGE_BITS;
    e->addend = fr->host ? (uintptr_t)fr->host - (uintptr_t)fr->start : 0;
    e->idx = 0;
    e->flags = fr->host ? fr->fast_flags : 0;
}

void gm__tlb_thread_exit(void)
{
    free(gm__fast1.tlb);
    gm__fast1.tlb = NULL;
    /* The thread leaves RCU (state.c): the inline accessors must not run
     * until it is registered again. */
    gm__fast1.rcu_ctr = NULL;
    gm__mru_range = NULL;
    memset(&gm__fast1.mru, 0, sizeof(gm__fast1.mru));
}

const GmTlbEntry *gm__dispatch_page(FlatView *fv, hwaddr addr)
{
    if (addr > RX_LIMIT || TAG(fv->rx) != E_NODE) {
        return NULL;
    }
    /* Down to the page table, then its page word (not its entry: one
     * cache line less). */
    const RxNode *t = PTR(fv->rx);
    for (unsigned level = 0; level < LEVELS - 1; level++) {
        uintptr_t e = t->e[slot_of(addr, level)];
        if (TAG(e) != E_NODE) {
            return NULL; /* no page table: one range or nothing spans it */
        }
        t = PTR(e);
    }
    uint64_t w = t->w[slot_of(addr, LEVELS - 1)];
    if (!(w & PW_READ)) {
        return NULL;
    }
    GmTlbEntry *tl = tlb_get();
    if (!tl) {
        return NULL;
    }
    GmTlbEntry *te = gm__tlb_slot(tl, addr >> PAGE_BITS);
    te->gen = fv->gen;
    te->page = addr >> PAGE_BITS;
    te->addend = (uintptr_t)(w & ~(uint64_t)PW_FLAGS) -
                 (uintptr_t)(addr & ~(PAGE_SIZE - 1));
    te->idx = 0;
    te->flags = (uint32_t)(w & PW_FLAGS);
    return te;
}

const FlatRange *gm__flatview_find(FlatView *fv, hwaddr addr)
{
    const FlatRange *fr = gm__fv_lookup(fv, addr);
    if (fr) {
        gm__fast_fill(fv, fr);
        tlb_fill(fv, addr, fr);
    }
    return fr;
}

/* --- printing ------------------------------------------------------------ */

typedef struct PrintCtx {
    FILE *f;
    unsigned next_id;
} PrintCtx;

static void entry_text(uintptr_t e, unsigned child_id, char *buf, size_t n)
{
    switch (TAG(e)) {
    case E_LEAF: {
        const FlatRange *fr = PTR(e);
        snprintf(buf, n, "@%016" PRIx64 " %s", fr->start,
                 memory_region_name(fr->mr));
        break;
    }
    case E_SUB:
        snprintf(buf, n, "search %zu ranges", ((const RxSub *)PTR(e))->n);
        break;
    case E_NODE: snprintf(buf, n, "[%u]", child_id); break;
    default: snprintf(buf, n, "NIL"); break;
    }
}

static void print_table(PrintCtx *c, const RxNode *t, unsigned id)
{
    fprintf(c->f, "      [%u]\n", id);
    unsigned first_child = c->next_id;
    unsigned ids[FANOUT];
    for (unsigned i = 0; i < FANOUT; i++) {
        ids[i] = TAG(t->e[i]) == E_NODE ? c->next_id++ : 0;
    }
    (void)first_child;
    for (unsigned i = 0; i < FANOUT;) {
        unsigned j = i;
        while (j + 1 < FANOUT && t->e[j + 1] == t->e[i] &&
               TAG(t->e[i]) != E_NODE) {
            j++;
        }
        char buf[96];
        entry_text(t->e[i], ids[i], buf, sizeof(buf));
        if (i == j) {
            fprintf(c->f, "\t%3u       %s\n", i, buf);
        } else {
            fprintf(c->f, "\t%3u..%-3u  %s\n", i, j, buf);
        }
        i = j + 1;
    }
    for (unsigned i = 0; i < FANOUT; i++) {
        if (TAG(t->e[i]) == E_NODE) {
            print_table(c, PTR(t->e[i]), ids[i]);
        }
    }
}

void gm__dispatch_print(FILE *f, const FlatView *fv)
{
    fprintf(f, "  Dispatch\n");
    fprintf(f, "    Ranges (%u)", fv->nr);
    if (gm__fast1.mru.gen == fv->gen && gm__mru_range) {
        fprintf(f, ", most recently used @%016" PRIx64, gm__mru_range->start);
    }
    fputc('\n', f);
    fprintf(f,
            "    Nodes (%u bits per level, %u levels, 4 KiB pages below "
            "2^48; above: binary search among %zu)\n",
            (unsigned)BITS, (unsigned)LEVELS, fv->high ? fv->high->n : 0);
    if (TAG(fv->rx) == E_NODE) {
        PrintCtx c = { f, 1 };
        print_table(&c, PTR(fv->rx), 0);
    }
}
