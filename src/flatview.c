// SPDX-License-Identifier: MIT
/*
 * flatview.c - the FlatView object: storage, reference counting, lookups.
 *
 * A view is built once (render.c) and never changed after it is published,
 * so readers need no lock.  Every range holds a use of its region
 * (view_refs) and thereby of the region's owner; the view's last reference
 * hands it to call_rcu, which frees it after every reader that could have
 * seen it has left its read-side critical section.
 */
#include "internal.h"

FlatView *gm__flatview_new(MemoryRegion *root)
{
    FlatView *fv = calloc(1, sizeof(*fv));
    if (!fv) {
        return NULL;
    }
    static uint64_t generation;
    fv->ref = 1;
    fv->root = root;
    fv->gen = __atomic_add_fetch(&generation, 1, __ATOMIC_RELAXED);
    return fv;
}

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
        bool valid = !ops->valid.max_access_size ||
                     (size <= ops->valid.max_access_size &&
                      size >= ops->valid.min_access_size);
        unsigned imin =
            ops->impl.min_access_size ? ops->impl.min_access_size : 1;
        unsigned imax =
            ops->impl.max_access_size ? ops->impl.max_access_size : 4;
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
     * long as the view. */
    if (mask & (mask - 1)) {
        return flags;
    }
    unsigned client = (unsigned)__builtin_ctz(mask);
    uint64_t first = fr->ram_start >> GM_DIRTY_PAGE_BITS;
    uint64_t last =
        (fr->ram_start + (fr->last - fr->start)) >> GM_DIRTY_PAGE_BITS;
    if (fr->ram_start + (fr->last - fr->start) < fr->ram_start ||
        first / GM_DIRTY_CHUNK_PAGES != last / GM_DIRTY_CHUNK_PAGES ||
        last >= __atomic_load_n(&gm__dirty_pages, __ATOMIC_ACQUIRE)) {
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

void gm__flatview_finish(FlatView *fv)
{
    for (unsigned i = 0; i < fv->nr; i++) {
        FlatRange *fr = &fv->ranges[i];
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
}

void gm__fast_fill(const FlatView *fv, uint32_t idx)
{
    const FlatRange *fr = &fv->ranges[idx];
    GmFastRange *m = &gm__fast1.mru;
    uint32_t f = fr->fast_flags;
    uint64_t gen = fv->gen;
    m->gen = gen;
    m->idx = idx;
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

static bool range_equal(const FlatRange *a, const FlatRange *b)
{
    return a->mr == b->mr && a->start == b->start && a->last == b->last &&
           a->offset_in_region == b->offset_in_region &&
           a->dirty_log_mask == b->dirty_log_mask &&
           a->romd_mode == b->romd_mode && a->readonly == b->readonly &&
           a->nonvolatile == b->nonvolatile;
}

bool gm__flatview_equal(const FlatView *a, const FlatView *b)
{
    if (a->nr != b->nr || a->root != b->root) {
        return false;
    }
    for (unsigned i = 0; i < a->nr; i++) {
        if (!range_equal(&a->ranges[i], &b->ranges[i])) {
            return false;
        }
    }
    return true;
}

static void flatview_free(FlatView *fv)
{
    for (unsigned i = 0; i < fv->nr; i++) {
        gm__region_view_unref(fv->ranges[i].mr);
    }
    gm__dispatch_free(fv->dispatch);
    free(fv->ranges);
    free(fv);
}

static void flatview_free_rcu(struct rcu_head *head)
{
    gm_tsan_grace_over();
    flatview_free(caa_container_of(head, FlatView, rcu));
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

long gm__flatview_find(FlatView *fv, hwaddr addr)
{
    if (fv->dispatch) {
        long i = gm__dispatch_lookup(fv->dispatch, fv, addr);
        if (i >= 0) {
            gm__fast_fill(fv, (uint32_t)i);
        }
        return i;
    }
    unsigned lo = 0, hi = fv->nr;
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

unsigned gm__flatview_next(const FlatView *fv, hwaddr addr)
{
    unsigned lo = 0, hi = fv->nr;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (fv->ranges[mid].start <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

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
    gm__section_from_range(view, &view->ranges[i], out);
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
    for (unsigned i = 0; i < fv->nr; i++) {
        const FlatRange *fr = &fv->ranges[i];
        Int128 len = (Int128)((gm_u128)fr->last - fr->start + 1);
        if (cb((Int128)fr->start, len, fr->mr, fr->offset_in_region, opaque)) {
            break;
        }
    }
}

MemoryRegionSection memory_region_find(MemoryRegion *mr, hwaddr addr,
                                       uint64_t size)
{
    MemoryRegionSection ret = { 0 };
    if (!gm__mr_valid(mr) || size == 0) {
        return ret;
    }
    gm_u128 abs = (gm_u128)addr + mr->addr;
    MemoryRegion *root = mr;
    while (root->container) {
        root = root->container;
        abs += root->addr;
    }
    if (abs >> 64) {
        return ret;
    }
    AddressSpace *as = NULL;
    for (AddressSpace *a = gm__state.as_first; a; a = a->next) {
        if (a->root == root) {
            as = a;
            break;
        }
    }
    if (!as) {
        return ret;
    }
    FlatView *fv = address_space_get_flatview(as);
    const FlatRange *fr = gm__flatview_range(fv, (hwaddr)abs);
    if (fr) {
        gm_u128 want_last = abs + size - 1;
        gm_u128 last = want_last < fr->last ? want_last : fr->last;
        ret.mr = fr->mr;
        ret.fv = fv;
        ret.offset_within_address_space = (hwaddr)abs;
        ret.offset_within_region =
            fr->offset_in_region + ((hwaddr)abs - fr->start);
        ret.size = (Int128)(last - abs + 1);
        ret.readonly = fr->readonly;
        ret.nonvolatile = fr->nonvolatile;
        memory_region_ref(ret.mr);
    }
    flatview_unref(fv);
    return ret;
}
