// SPDX-License-Identifier: MIT
/*
 * flatview.c - flat ranges, the FlatView object and its lineage: storage,
 * reference counting, lookups, and when what a commit replaced is freed.
 *
 * A view is never changed after it is published, so readers need no lock.
 * Its ranges are objects of their own, shared by every view of the lineage
 * that has them; each holds a use of its region (view_refs) and thereby of
 * the region's owner.  A view's last reference hands it to call_rcu; once
 * every reader that could have seen it has left its read-side section, it
 * leaves its lineage's list of live views, and every batch of things that
 * commits retired and that only views older than the oldest live one could
 * reach is freed.  A lineage that has ended (no address space shows it) is
 * freed whole with its last view.
 */
#include "base.h"
#include "state.h"
#include "region-int.h"
#include "ramblock-int.h"
#include "view.h"
#include "render-int.h"
#include "dirty-int.h"

/* --- range arrays ---------------------------------------------------------- */

bool gm__ranges_push(GmRanges *v, const FlatRange *fr)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 16;
        const FlatRange **r = realloc(v->r, cap * sizeof(*r));
        if (!r) {
            return false;
        }
        v->r = r;
        v->cap = cap;
    }
    v->r[v->n++] = fr;
    return true;
}

void gm__ranges_free(GmRanges *v)
{
    free(v->r);
    v->r = NULL;
    v->n = v->cap = 0;
}

/* --- ranges ------------------------------------------------------------------ */

/* The access sizes for which a read of @fr's MMIO region is a single plain
 * callback that QEMU's rules would neither refuse (beyond alignment), split
 * nor byte-swap for a little-endian access. */
static uint8_t mmio_read_sizes(const FlatRange *fr)
{
    const MemoryRegion *mr = fr->mr;
    const MemoryRegionOps *ops = mr->ops;
    if (fr->direct_read || mr->is_iommu || mr->ram || !ops || !ops->read ||
        ops->valid.accepts || ops->endianness == DEVICE_BIG_ENDIAN) {
        return 0;
    }
    uint8_t sizes = 0;
    for (unsigned size = 1; size <= 8; size *= 2) {
        bool valid = gm__valid_size(ops, size);
        unsigned imin = gm__impl_min(ops);
        unsigned imax = gm__impl_max(ops);
        if (valid && size >= imin && size <= imax) {
            sizes |= (uint8_t)size;
        }
    }
    return sizes;
}

/* The flags of the per-thread entry of @fr (access-inline.h): what the
 * inline accessors may do with it alone. */
static uint32_t fast_flags(FlatRange *fr)
{
    uint32_t flags = 0;
    if (fr->last - fr->start < 7) {
        return 0; /* the entry's bound check assumes room for 8 bytes */
    }
    if (fr->direct_read) {
        flags |= GM_FAST_READ;
    }
    if (fr->mmio_read_sizes) {
        flags |= GM_FAST_MMIO;
    }
    if (!fr->direct_write) {
        return flags;
    }
    uint8_t mask = fr->dirty_log_mask;
    if (!mask) {
        return flags | GM_FAST_WRITE;
    }
    /* Logged: inline only for one client, a range inside one chunk of the
     * bitmaps, and that chunk made for good now (a chunk of its own is
     * never replaced, dirty.c), so that its address stays valid for as
     * long as the range. */
    if (mask & (mask - 1)) {
        return flags;
    }
    unsigned client = (unsigned)__builtin_ctz(mask);
    uint64_t first = fr->ram_start >> GM_DIRTY_PAGE_BITS;
    uint64_t last =
        (fr->ram_start + (fr->last - fr->start)) >> GM_DIRTY_PAGE_BITS;
    if (fr->ram_start + (fr->last - fr->start) < fr->ram_start ||
        first / GM_DIRTY_CHUNK_PAGES != last / GM_DIRTY_CHUNK_PAGES ||
        last >= __atomic_load_n(&gm__state.dirty_pages, __ATOMIC_ACQUIRE)) {
        return flags;
    }
    uint64_t *chunk = gm__dirty_chunk(client, first);
    if (!chunk) {
        return flags;
    }
    uint64_t chunk_first_word =
        first / GM_DIRTY_CHUNK_PAGES * (GM_DIRTY_CHUNK_PAGES / 64);
    fr->dirty_base = (uintptr_t)chunk - chunk_first_word * sizeof(uint64_t);
    return flags | GM_FAST_WRITE | GM_FAST_LOG;
}

/* Fills the access-path fields of @fr from its region and attributes. */
static void range_finish(FlatRange *fr)
{
    const MemoryRegion *mr = fr->mr;
    bool ram = mr->ram && !mr->ram_device;
    fr->direct_read = ram || (mr->rom_device && fr->romd_mode);
    fr->direct_write = ram && !fr->readonly;
    fr->host = fr->direct_read && mr->ram_block
                   ? mr->ram_block->host + fr->offset_in_region
                   : NULL;
    if (!fr->host) {
        fr->direct_read = fr->direct_write = false;
    }
    fr->ram_start =
        mr->ram_block ? mr->ram_block->offset + fr->offset_in_region : 0;
    fr->mmio_read_sizes = mmio_read_sizes(fr);
    fr->mmio_unaligned = mr->ops && mr->ops->valid.unaligned;
    fr->dirty_base = 0;
    fr->fast_flags = fast_flags(fr);
}

FlatRange *gm__range_new(const FlatRange *proto)
{
    FlatRange *fr = malloc(sizeof(*fr));
    if (!fr) {
        return NULL;
    }
    *fr = (FlatRange){
        .mr = proto->mr,
        .start = proto->start,
        .last = proto->last,
        .offset_in_region = proto->offset_in_region,
        .dirty_log_mask = proto->dirty_log_mask,
        .romd_mode = proto->romd_mode,
        .readonly = proto->readonly,
        .nonvolatile = proto->nonvolatile,
    };
    range_finish(fr);
    gm__region_view_ref(fr->mr);
    return fr;
}

void gm__range_free(FlatRange *fr)
{
    if (fr) {
        gm__region_view_unref(fr->mr);
        free(fr);
    }
}

/* The attributes QEMU's flat ranges compare besides their place. */
static bool same_attrs(const FlatRange *a, const FlatRange *b)
{
    return a->romd_mode == b->romd_mode && a->readonly == b->readonly &&
           a->nonvolatile == b->nonvolatile;
}

bool gm__range_equal(const FlatRange *a, const FlatRange *b)
{
    return a->mr == b->mr && a->start == b->start && a->last == b->last &&
           a->offset_in_region == b->offset_in_region && same_attrs(a, b);
}

bool gm__range_same(const FlatRange *a, const FlatRange *b)
{
    return gm__range_equal(a, b) && a->dirty_log_mask == b->dirty_log_mask &&
           a->host == b->host && a->ram_start == b->ram_start &&
           a->fast_flags == b->fast_flags && a->dirty_base == b->dirty_base &&
           a->mmio_read_sizes == b->mmio_read_sizes &&
           a->mmio_unaligned == b->mmio_unaligned;
}

bool gm__range_can_merge(const FlatRange *a, const FlatRange *b)
{
    gm_u128 size_a = (gm_u128)a->last - a->start + 1;
    return a->last != UINT64_MAX && a->last + 1 == b->start && a->mr == b->mr &&
           (gm_u128)a->offset_in_region + size_a == b->offset_in_region &&
           a->dirty_log_mask == b->dirty_log_mask && same_attrs(a, b);
}

/* --- retired batches --------------------------------------------------------- */

struct GmRetired {
    uint64_t gen; /* freed once no live view is older than this */
    GmRetired *next;
    size_t n, cap;
    uintptr_t *items; /* pointer | 1 for a range */
};

GmRetired *gm__retired_new(void)
{
    return calloc(1, sizeof(GmRetired));
}

bool gm__retire(GmRetired *r, GmRetireKind kind, void *p)
{
    if (!r) {
        return true; /* a first view: nothing older to retire */
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        uintptr_t *items = realloc(r->items, cap * sizeof(*items));
        if (!items) {
            return false;
        }
        r->items = items;
        r->cap = cap;
    }
    r->items[r->n++] = (uintptr_t)p | (kind == GM_RETIRE_RANGE);
    return true;
}

void gm__retired_free(GmRetired *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        uintptr_t it = r->items[i];
        if (it & 1) {
            gm__range_free((FlatRange *)(it & ~(uintptr_t)1));
        } else {
            free((void *)it);
        }
    }
    free(r->items);
    free(r);
}

void gm__retired_drop(GmRetired *r)
{
    if (r) {
        free(r->items);
        free(r);
    }
}

/* --- views ---------------------------------------------------------------------- */

FlatView *gm__flatview_alloc(MemoryRegion *root)
{
    FlatView *fv = calloc(1, sizeof(*fv));
    if (!fv) {
        return NULL;
    }
    fv->ref = 1;
    fv->root = root;
    fv->gen =
        __atomic_add_fetch(&gm__state.view_generation, 1, __ATOMIC_RELAXED);
    return fv;
}

#define RX_LIMIT ((UINT64_C(1) << GM_RX_LIMIT_BITS) - 1)

const FlatRange *gm__fv_lookup(const FlatView *fv, hwaddr addr)
{
    if (addr <= RX_LIMIT) {
        return gm__rx_lookup(fv->rx, addr);
    }
    const GmHigh *h = fv->high;
    return h ? gm__ranges_find(h->r, h->n, addr) : NULL;
}

const FlatRange *gm__fv_next(const FlatView *fv, hwaddr addr)
{
    const FlatRange *fr = gm__rx_next(fv->rx, addr);
    if (fr) {
        return fr;
    }
    for (size_t i = 0; fv->high && i < fv->high->n; i++) {
        if (fv->high->r[i]->start > addr) {
            return fv->high->r[i];
        }
    }
    return NULL;
}

bool gm__fv_collect(const FlatView *fv, hwaddr lo, hwaddr hi, GmRanges *out)
{
    if (!gm__rx_collect(fv->rx, lo, hi, out)) {
        return false;
    }
    for (size_t i = 0; hi > RX_LIMIT && fv->high && i < fv->high->n; i++) {
        const FlatRange *fr = fv->high->r[i];
        if (fr->last < lo || fr->start > hi ||
            (out->n && out->r[out->n - 1] == fr)) {
            continue;
        }
        if (!gm__ranges_push(out, fr)) {
            return false;
        }
    }
    return true;
}

const FlatRange *const *gm__fv_ranges(FlatView *fv)
{
    const FlatRange **idx = __atomic_load_n(&fv->index, __ATOMIC_ACQUIRE);
    if (idx || fv->nr == 0) {
        return idx;
    }
    GmRanges all = { 0 };
    if (!gm__fv_collect(fv, 0, UINT64_MAX, &all)) {
        gm__ranges_free(&all);
        return NULL;
    }
    gm_assert(all.n == fv->nr);
    const FlatRange **none = NULL;
    if (!__atomic_compare_exchange_n(&fv->index, &none, all.r, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        free(all.r); /* another thread made it first */
        return none;
    }
    return all.r;
}

/* --- lineages --------------------------------------------------------------- */

GmLineage *gm__lineage_new(FlatView *fv)
{
    GmLineage *lin = calloc(1, sizeof(*lin));
    if (!lin) {
        return NULL;
    }
    pthread_mutex_init(&lin->lock, NULL);
    lin->root = fv->root;
    lin->current = fv;
    lin->oldest = lin->newest = fv;
    lin->rx = fv->rx;
    lin->high = fv->high;
    fv->lin = lin;
    flatview_ref(fv); /* the lineage's own, dropped when it ends */
    return lin;
}

void gm__lineage_publish(GmLineage *lin, FlatView *fv, GmRetired *ret)
{
    FlatView *old = lin->current;
    flatview_ref(fv);
    pthread_mutex_lock(&lin->lock);
    fv->lin = lin;
    fv->older = lin->newest;
    fv->newer = NULL;
    if (lin->newest) {
        lin->newest->newer = fv;
    } else {
        lin->oldest = fv;
    }
    lin->newest = fv;
    lin->current = fv;
    lin->rx = fv->rx;
    lin->high = fv->high;
    if (ret) {
        ret->gen = fv->gen;
        ret->next = NULL;
        if (lin->retired_last) {
            lin->retired_last->next = ret;
        } else {
            lin->retired_first = ret;
        }
        lin->retired_last = ret;
    }
    pthread_mutex_unlock(&lin->lock);
    flatview_unref(old);
}

/* Frees the newest content of an ended lineage: its tables and ranges. */
static void free_content(uintptr_t rx, GmHigh *high)
{
    GmRanges all = { 0 };
    bool ok = gm__rx_collect(rx, 0, UINT64_MAX, &all);
    gm_assert(ok); /* only a failed allocation: rather leak than crash */
    for (size_t i = 0; i < all.n; i++) {
        gm__range_free((FlatRange *)all.r[i]);
    }
    for (size_t i = 0; high && i < high->n; i++) {
        if (!(all.n && all.r[all.n - 1] == high->r[i])) {
            gm__range_free((FlatRange *)high->r[i]);
        }
    }
    gm__ranges_free(&all);
    gm__rx_free(rx);
    free(high);
}

/* With the lock held: frees the batches no live view can reach; true if
 * the lineage is over (ended and no live view) and must be freed. */
static bool reclaim_locked(GmLineage *lin)
{
    uint64_t min = lin->oldest ? lin->oldest->gen : UINT64_MAX;
    while (lin->retired_first && lin->retired_first->gen <= min) {
        GmRetired *r = lin->retired_first;
        lin->retired_first = r->next;
        if (!lin->retired_first) {
            lin->retired_last = NULL;
        }
        gm__retired_free(r);
    }
    return lin->closed && !lin->oldest;
}

static void lineage_free(GmLineage *lin)
{
    free_content(lin->rx, lin->high);
    while (lin->retired_first) {
        GmRetired *r = lin->retired_first;
        lin->retired_first = r->next;
        gm__retired_free(r);
    }
    free(lin->win);
    free(lin->fdwin);
    free(lin->changes);
    pthread_mutex_destroy(&lin->lock);
    free(lin);
}

void gm__lineage_close(GmLineage *lin)
{
    FlatView *current = lin->current;
    pthread_mutex_lock(&lin->lock);
    lin->closed = true;
    lin->current = NULL;
    pthread_mutex_unlock(&lin->lock);
    /* The lineage ends with the last of its views (maybe this one). */
    flatview_unref(current);
}

/* @fv's last reference is gone and no reader can see it any more. */
static void view_dead(FlatView *fv)
{
    GmLineage *lin = fv->lin;
    pthread_mutex_lock(&lin->lock);
    if (fv->older) {
        fv->older->newer = fv->newer;
    } else {
        lin->oldest = fv->newer;
    }
    if (fv->newer) {
        fv->newer->older = fv->older;
    } else {
        lin->newest = fv->older;
    }
    bool over = reclaim_locked(lin);
    pthread_mutex_unlock(&lin->lock);
    if (over) {
        lineage_free(lin);
    }
    free(fv->index);
    free(fv);
}

static void flatview_free_rcu(struct rcu_head *head)
{
    gm_tsan_grace_over();
    view_dead(caa_container_of(head, FlatView, rcu));
}

void flatview_ref(FlatView *view)
{
    if (view) {
        __atomic_add_fetch(&view->ref, 1, __ATOMIC_RELAXED);
    }
}

bool flatview_tryref(FlatView *view)
{
    unsigned long old = __atomic_load_n(&view->ref, __ATOMIC_RELAXED);
    while (old) {
        if (__atomic_compare_exchange_n(&view->ref, &old, old + 1, true,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            return true;
        }
    }
    return false;
}

void flatview_unref(FlatView *view)
{
    if (view && __atomic_sub_fetch(&view->ref, 1, __ATOMIC_ACQ_REL) == 0) {
        gm__rcu_ensure_registered();
        gm_tsan_reader_done(); /* hand-over to the reclaim thread */
        urcu_memb_call_rcu(&view->rcu, flatview_free_rcu);
    }
}

/* --- sections and the public queries ----------------------------------------- */

void gm__section_from_range(FlatView *fv, const FlatRange *fr,
                            MemoryRegionSection *out)
{
    out->size = (Int128)((gm_u128)fr->last - fr->start + 1);
    out->mr = fr->mr;
    out->fv = fv;
    out->offset_within_region = fr->offset_in_region;
    out->offset_within_address_space = fr->start;
    out->readonly = fr->readonly;
    out->nonvolatile = fr->nonvolatile;
}

MemoryRegion *gm_flatview_root(const FlatView *view)
{
    return view ? view->root : NULL;
}

unsigned gm_flatview_nr(const FlatView *view)
{
    return view ? view->nr : 0;
}

bool gm_flatview_section(FlatView *view, unsigned i, MemoryRegionSection *out)
{
    if (!view || !out || i >= view->nr) {
        return false;
    }
    const FlatRange *const *rs = gm__fv_ranges(view);
    if (!rs) {
        return false;
    }
    gm__section_from_range(view, rs[i], out);
    return true;
}

bool gm_flatview_lookup(FlatView *view, hwaddr addr, MemoryRegionSection *out)
{
    if (!view || !out) {
        return false;
    }
    const FlatRange *fr = gm__flatview_range(view, addr);
    if (!fr) {
        return false;
    }
    gm__section_from_range(view, fr, out);
    return true;
}

void flatview_for_each_range(FlatView *fv, flatview_cb cb, void *opaque)
{
    if (!fv || !cb) {
        return;
    }
    const FlatRange *const *rs = gm__fv_ranges(fv);
    for (unsigned i = 0; rs && i < fv->nr; i++) {
        const FlatRange *fr = rs[i];
        Int128 len = (Int128)((gm_u128)fr->last - fr->start + 1);
        if (cb((Int128)fr->start, len, fr->mr, fr->offset_in_region, opaque)) {
            break;
        }
    }
}

/* --- whole views ------------------------------------------------------------- */

void gm__range_init(FlatRange *fr)
{
    range_finish(fr);
}

FlatView *gm__flatview_build(MemoryRegion *root, const FlatRange *vals,
                             size_t n)
{
    FlatView *fv = gm__flatview_alloc(root);
    const FlatRange **rs = malloc((n ? n : 1) * sizeof(*rs));
    GmRetired *born = gm__retired_new();
    GmHigh *high = NULL;
    bool ok = fv && rs && born;
    size_t made = 0, nhigh = 0;
    for (; ok && made < n; made++) {
        FlatRange *fr = gm__range_new(&vals[made]);
        ok = fr && gm__retire(born, GM_RETIRE_RANGE, fr);
        if (!ok) {
            gm__range_free(fr);
            break;
        }
        rs[made] = fr;
        nhigh += fr->last > RX_LIMIT;
    }
    if (ok && n) {
        ok = gm__rx_update(&fv->rx, fv->gen, 0, RX_LIMIT, rs, n, NULL, born);
    }
    if (ok && nhigh) {
        high = malloc(sizeof(*high) + nhigh * sizeof(high->r[0]));
        ok = high != NULL;
        for (size_t i = n - nhigh; ok && i < n; i++) {
            high->r[i - (n - nhigh)] = rs[i];
        }
        if (high) {
            high->n = nhigh;
        }
    }
    if (ok) {
        fv->high = high;
        fv->nr = (unsigned)n;
        ok = gm__lineage_new(fv) != NULL;
    }
    free(rs);
    if (!ok) {
        gm__retired_free(born); /* the ranges and tables made */
        free(high);
        free(fv);
        return NULL;
    }
    gm__retired_drop(born);
    return fv;
}
