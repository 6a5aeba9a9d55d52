// SPDX-License-Identifier: MIT
/*
 * commit.c - the one way back up from the region tree to the views:
 * transactions, marking what a change can affect, rendering only that,
 * publishing the new views and telling the listeners.
 *
 * Every change to the tree marks, before and after it, the windows it can
 * affect in each view: the changed region's own extent, carried up through
 * its containers and through every alias that shows it, to each region
 * that is the flat-view root of a lineage (mark_walk).  At the end of the
 * outermost transaction each lineage with marks derives its next view
 * (update_lineage):
 *   1. the windows are sorted and merged, and widened so that no range of
 *      the current view lies in two of them;
 *   2. each window is rendered on its own (render.c: the renderer clips to
 *      the window and reaches the subregions that meet it through their
 *      containers' indexes), the pieces of the ranges it cuts are added at
 *      its edges, and the result is merged as QEMU's flatview_simplify
 *      merges, so that it equals the window of a whole render;
 *   3. ranges that came out identical are kept (the same objects), the
 *      others replace them in a copy of the view that shares everything
 *      else: the radix copies only the tables on the changed paths.
 * The new view is published by RCU as before; what it replaced is retired
 * into the lineage (flatview.c).  Listeners get QEMU's events computed
 * from the changed windows only; an address space with a listener that
 * sets region_nop, which QEMU calls for every unchanged range, gets the
 * full pass.  Whatever cannot be done by windows (the global dirty log
 * switched, a flat-view root that changed, a marking walk past its
 * budget) renders the view whole into a new lineage, as QEMU always does.
 */
#include "base.h"
#include "state.h"
#include "region-int.h"
#include "view.h"
#include "render-int.h"
#include "commit-int.h"
#include "listener-int.h"

#define RX_LIMIT ((UINT64_C(1) << GM_RX_LIMIT_BITS) - 1)
/* A marking walk that takes more steps than this (crafted trees of
 * aliases of aliases) marks everything instead. */
#define MARK_BUDGET 4096
/* More marked windows than this in one lineage: render it whole. */
#define MAX_WINDOWS (1u << 20)

typedef struct GmWindow {
    hwaddr lo, hi;
} GmWindow;

/* What one window of a commit changed: the ranges it replaced and those
 * that replace them, over [lo, hi]. */
typedef struct GmChange {
    GmRanges old, new;
    hwaddr lo, hi;
} GmChange;

/* --- marking ------------------------------------------------------------------ */

static void add_window(GmLineage *lin, bool fds, hwaddr lo, hwaddr hi)
{
    GmWindow **w = fds ? &lin->fdwin : &lin->win;
    size_t *n = fds ? &lin->nfdwin : &lin->nwin;
    size_t *cap = fds ? &lin->capfdwin : &lin->capwin;
    if (lin->full) {
        return;
    }
    if (*n == *cap) {
        size_t ncap = *cap ? 2 * *cap : 16;
        GmWindow *nw =
            ncap <= MAX_WINDOWS ? realloc(*w, ncap * sizeof(**w)) : NULL;
        if (!nw) {
            lin->full = true; /* out of memory or too many: all of it */
            return;
        }
        *w = nw;
        *cap = ncap;
    }
    (*w)[(*n)++] = (GmWindow){ lo, hi };
}

void gm__mark_all(void)
{
    for (GmLineage *lin = gm__state.lineages; lin; lin = lin->next) {
        lin->full = true;
    }
    gm__state.update_pending = true;
    gm__state.all_marked = true; /* until the commit: no more walks */
}

typedef struct MarkItem {
    MemoryRegion *mr;
    uint64_t lo, hi; /* offsets inside mr */
} MarkItem;

#define MARK_STACK 64

typedef struct MarkStack {
    MarkItem item[MARK_STACK];
    size_t n;
} MarkStack;

/* False when the stack is full (only crafted fan-outs of aliases). */
static bool mark_push(MarkStack *st, MemoryRegion *mr, uint64_t lo, uint64_t hi)
{
    if (st->n == MARK_STACK) {
        return false;
    }
    st->item[st->n++] = (MarkItem){ mr, lo, hi };
    return true;
}

/* Marks the windows [@lo, @hi] of @mr (offsets inside it) can show in:
 * for the views rendered from a region above it, through containers and
 * aliases.  @fds: for ioeventfds only (nothing to render).  A walk past
 * its budget marks everything. */
static void mark_walk(MemoryRegion *mr, uint64_t lo, uint64_t hi, bool fds)
{
    MarkStack st;
    unsigned steps = 0;
    st.n = 0;
    mark_push(&st, mr, lo, hi);
    while (st.n > 0) {
        MarkItem it = st.item[--st.n];
        MemoryRegion *x = it.mr;
        if (++steps > MARK_BUDGET) {
            gm__mark_all();
            return;
        }
        if (x->lineage) {
            gm_u128 a = (gm_u128)it.lo + x->addr, b = (gm_u128)it.hi + x->addr;
            if (!(a >> 64)) {
                add_window(x->lineage, fds, (hwaddr)a,
                           b >> 64 ? UINT64_MAX : (hwaddr)b);
            }
        }
        MemoryRegion *c = x->container;
        if (c && c->enabled) {
            gm_u128 a = (gm_u128)it.lo + x->addr, b = (gm_u128)it.hi + x->addr;
            gm_u128 csize = gm__mr_size(c);
            if (a < csize &&
                !mark_push(&st, c, (uint64_t)a,
                           (uint64_t)(b < csize ? b : csize - 1))) {
                gm__mark_all();
                return;
            }
        }
        for (MemoryRegion *a = x->alias_user_first; a; a = a->alias_user_next) {
            /* @a shows x's [alias_offset, alias_offset + size) from 0. */
            gm_u128 asize = gm__mr_size(a);
            if (!a->enabled || it.hi < a->alias_offset || !asize) {
                continue;
            }
            uint64_t s = it.lo > a->alias_offset ? it.lo - a->alias_offset : 0;
            uint64_t e = it.hi - a->alias_offset;
            if (s >= asize) {
                continue;
            }
            if (!mark_push(&st, a, s,
                           (gm_u128)e < asize ? e : (uint64_t)(asize - 1))) {
                gm__mark_all();
                return;
            }
        }
    }
}

void gm__mark(MemoryRegion *mr)
{
    gm_u128 size = gm__mr_size(mr);
    if (size && !gm__state.all_marked &&
        (mr->container || mr->alias_users || mr->lineage)) {
        mark_walk(mr, 0, (uint64_t)(size - 1), false);
    }
    gm__state.update_pending = true;
}

void gm__mark_fds(MemoryRegion *mr)
{
    gm_u128 size = gm__mr_size(mr);
    if (size && (mr->container || mr->alias_users || mr->lineage)) {
        mark_walk(mr, 0, (uint64_t)(size - 1), true);
    }
    gm__state.ioeventfd_pending = true;
}

/* --- windows ------------------------------------------------------------------ */

static int window_order(const void *a, const void *b)
{
    const GmWindow *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sorts and merges @w (touching windows become one); returns the count. */
static size_t merge_windows(GmWindow *w, size_t n)
{
    if (n == 0) {
        return 0;
    }
    qsort(w, n, sizeof(*w), window_order);
    size_t out = 0;
    for (size_t i = 1; i < n; i++) {
        if (w[out].hi == UINT64_MAX || w[i].lo <= w[out].hi + 1) {
            if (w[i].hi > w[out].hi) {
                w[out].hi = w[i].hi;
            }
        } else {
            w[++out] = w[i];
        }
    }
    return out + 1;
}

/* --- one lineage ---------------------------------------------------------------- */

typedef struct Update {
    GmLineage *lin;
    FlatView *fv; /* the view being made */
    GmRetired *ret, *born;
    bool oom;
} Update;

static void changes_clear(GmLineage *lin)
{
    for (size_t i = 0; i < lin->nchanges; i++) {
        gm__ranges_free(&lin->changes[i].old);
        gm__ranges_free(&lin->changes[i].new);
    }
    lin->nchanges = 0;
}

static bool push_change(GmLineage *lin, GmChange *c)
{
    if (lin->nchanges == lin->capchanges) {
        size_t cap = lin->capchanges ? 2 * lin->capchanges : 8;
        GmChange *n = realloc(lin->changes, cap * sizeof(*n));
        if (!n) {
            return false;
        }
        lin->changes = n;
        lin->capchanges = cap;
    }
    lin->changes[lin->nchanges++] = *c;
    return true;
}

/* The value of @fr cut to [@lo, @hi] (inside it). */
static FlatRange cut(const FlatRange *fr, hwaddr lo, hwaddr hi)
{
    FlatRange v = *fr;
    v.offset_in_region += lo - fr->start;
    v.start = lo;
    v.last = hi;
    return v;
}

/* The new ranges of window [@lo, @hi] whose current ranges are @old (all
 * that overlap [lo - 1, hi + 1]): the render of the window between the
 * parts of @old outside it, merged; identical ranges are @old's objects. */
static bool new_ranges(Update *u, hwaddr lo, hwaddr hi, const GmRanges *old,
                       GmRanges *out)
{
    FlatRange *vals;
    size_t n;
    if (!gm__render_window(u->lin->root, lo, hi, &vals, &n)) {
        return false;
    }
    /* Room for the two edge pieces. */
    FlatRange *seq = malloc((n + 2) * sizeof(*seq));
    if (!seq) {
        free(vals);
        return false;
    }
    size_t m = 0;
    if (old->n && old->r[0]->start < lo) {
        seq[m++] = cut(old->r[0], old->r[0]->start, lo - 1);
    }
    if (n) {
        memcpy(&seq[m], vals, n * sizeof(*vals));
    }
    m += n;
    free(vals);
    if (old->n && old->r[old->n - 1]->last > hi) {
        const FlatRange *l = old->r[old->n - 1];
        seq[m++] = cut(l, hi + 1, l->last);
    }
    gm__flatview_simplify(seq, &m);
    bool ok = true;
    size_t j = 0;
    for (size_t i = 0; ok && i < m; i++) {
        gm__range_init(&seq[i]);
        while (j < old->n && old->r[j]->start < seq[i].start) {
            j++;
        }
        const FlatRange *fr = NULL;
        if (j < old->n && gm__range_same(old->r[j], &seq[i])) {
            fr = old->r[j];
        } else {
            FlatRange *made = gm__range_new(&seq[i]);
            ok = made && gm__retire(u->born, GM_RETIRE_RANGE, made);
            if (!ok) {
                gm__range_free(made);
            }
            fr = made;
        }
        ok = ok && gm__ranges_push(out, fr);
    }
    free(seq);
    return ok;
}

static bool same_list(const GmRanges *a, const GmRanges *b)
{
    return a->n == b->n &&
           (!a->n || !memcmp(a->r, b->r, a->n * sizeof(a->r[0])));
}

/* Replaces @c->old by @c->new in the view being made. */
static bool splice(Update *u, const GmChange *c)
{
    FlatView *fv = u->fv;
    /* Ranges of @old not kept are retired (both lists are in order). */
    for (size_t i = 0, j = 0; i < c->old.n; i++) {
        while (j < c->new.n && c->new.r[j]->start < c->old.r[i]->start) {
            j++;
        }
        if (!(j < c->new.n && c->new.r[j] == c->old.r[i]) &&
            !gm__retire(u->ret, GM_RETIRE_RANGE, (void *)c->old.r[i])) {
            return false;
        }
    }
    /* The radix over the pages of [lo, hi]: every range of the new view
     * there, neighbours sharing the edge pages included. */
    if (c->lo <= RX_LIMIT) {
        hwaddr plo = c->lo & ~(hwaddr)4095;
        hwaddr phi = (c->hi > RX_LIMIT ? RX_LIMIT : c->hi) | 4095;
        GmRanges page = { 0 }, rs = { 0 };
        bool ok = gm__rx_collect(fv->rx, plo, phi, &page);
        for (size_t i = 0; ok && i < page.n && page.r[i]->last < c->lo; i++) {
            ok = gm__ranges_push(&rs, page.r[i]);
        }
        for (size_t i = 0; ok && i < c->new.n; i++) {
            ok = gm__ranges_push(&rs, c->new.r[i]);
        }
        for (size_t i = 0; ok && i < page.n; i++) {
            if (page.r[i]->start > c->hi) {
                ok = gm__ranges_push(&rs, page.r[i]);
            }
        }
        ok = ok && gm__rx_update(&fv->rx, fv->gen, plo, phi, rs.r, rs.n, u->ret,
                                 u->born);
        gm__ranges_free(&page);
        gm__ranges_free(&rs);
        if (!ok) {
            return false;
        }
    }
    if (c->hi > RX_LIMIT) {
        GmHigh *old = fv->high;
        size_t on = old ? old->n : 0, cap = on + c->new.n;
        GmHigh *h = malloc(sizeof(*h) + (cap ? cap : 1) * sizeof(h->r[0]));
        if (!h || !gm__retire(u->born, GM_RETIRE_BLOB, h) ||
            (old && !gm__retire(u->ret, GM_RETIRE_BLOB, old))) {
            free(h);
            return false;
        }
        size_t k = 0;
        for (size_t i = 0; i < on && old->r[i]->last < c->lo; i++) {
            h->r[k++] = old->r[i];
        }
        for (size_t i = 0; i < c->new.n; i++) {
            if (c->new.r[i]->last > RX_LIMIT) {
                h->r[k++] = c->new.r[i];
            }
        }
        for (size_t i = 0; i < on; i++) {
            if (old->r[i]->start > c->hi) {
                h->r[k++] = old->r[i];
            }
        }
        h->n = k;
        fv->high = h;
    }
    fv->nr = (unsigned)(fv->nr + c->new.n - c->old.n);
    return true;
}

/* Renders the marked windows of @lin into its next view.  1: published,
 * 0: nothing changed, -1: out of memory (nothing changed). */
static int update_lineage(GmLineage *lin)
{
    FlatView *cur = lin->current;
    size_t nw = merge_windows(lin->win, lin->nwin);
    lin->nwin = 0;
    if (nw == 0) {
        return 0;
    }
    Update u = { lin, gm__flatview_alloc(lin->root), gm__retired_new(),
                 gm__retired_new(), false };
    if (!u.fv || !u.ret || !u.born) {
        goto fail;
    }
    u.fv->rx = cur->rx;
    u.fv->high = cur->high;
    u.fv->nr = cur->nr;
    for (size_t k = 0; k < nw;) {
        GmChange c = { { 0 }, { 0 }, lin->win[k].lo, lin->win[k].hi };
        k++;
        /* Widen the window to the ranges it cuts (and those touching it,
         * which may merge with what it renders); take in the next windows
         * as long as they meet that. */
        for (;;) {
            hwaddr elo = c.lo ? c.lo - 1 : 0;
            hwaddr ehi = c.hi == UINT64_MAX ? c.hi : c.hi + 1;
            c.old.n = 0;
            if (!gm__fv_collect(u.fv, elo, ehi, &c.old)) {
                goto fail_change;
            }
            hwaddr alo =
                c.old.n && c.old.r[0]->start < c.lo ? c.old.r[0]->start : c.lo;
            hwaddr ahi = c.old.n && c.old.r[c.old.n - 1]->last > c.hi
                             ? c.old.r[c.old.n - 1]->last
                             : c.hi;
            if (k < nw && ahi != UINT64_MAX && lin->win[k].lo <= ahi + 2) {
                c.hi = lin->win[k].hi > c.hi ? lin->win[k].hi : c.hi;
                k++;
                continue;
            }
            if (!new_ranges(&u, c.lo, c.hi, &c.old, &c.new)) {
                goto fail_change;
            }
            c.lo = alo;
            c.hi = ahi;
            break;
        }
        if (same_list(&c.old, &c.new)) {
            gm__ranges_free(&c.old);
            gm__ranges_free(&c.new);
            continue;
        }
        if (!splice(&u, &c) || !push_change(lin, &c)) {
            goto fail_change;
        }
        continue;
    fail_change:
        gm__ranges_free(&c.old);
        gm__ranges_free(&c.new);
        goto fail;
    }
    if (lin->nchanges == 0) {
        gm__retired_drop(u.ret);
        gm__retired_free(u.born);
        free(u.fv);
        return 0;
    }
    gm__retired_drop(u.born);
    gm__lineage_publish(lin, u.fv, u.ret);
    flatview_unref(u.fv); /* the lineage and the address spaces hold it */
    return 1;
fail:
    changes_clear(lin);
    gm__retired_drop(u.ret);
    gm__retired_free(u.born);
    free(u.fv);
    return -1;
}

/* --- the commit ------------------------------------------------------------------- */

static GmLineage **lineage_slot(MemoryRegion *r)
{
    return r ? &r->lineage : &gm__state.empty_lineage;
}

static bool views_equal(FlatView *a, FlatView *b)
{
    if (a->nr != b->nr || a->root != b->root) {
        return false;
    }
    const FlatRange *const *x = gm__fv_ranges(a);
    const FlatRange *const *y = gm__fv_ranges(b);
    if (a->nr && (!x || !y)) {
        return false;
    }
    for (unsigned i = 0; i < a->nr; i++) {
        if (!gm__range_same(x[i], y[i])) {
            return false;
        }
    }
    return true;
}

static void lineage_link(GmLineage *lin)
{
    lin->next = gm__state.lineages;
    gm__state.lineages = lin;
}

/* A whole render of @r into a new lineage, registered as @r's. */
static GmLineage *lineage_render(MemoryRegion *r)
{
    FlatView *fv = gm__render(r);
    if (!fv) {
        return NULL;
    }
    GmLineage *lin = fv->lin;
    flatview_unref(fv); /* the lineage holds it */
    /* Made inside a transaction whose changes no longer mark windows. */
    lin->full = gm__state.all_marked;
    *lineage_slot(r) = lin;
    lineage_link(lin);
    return lin;
}

GmLineage *gm__lineage_of(MemoryRegion *root)
{
    MemoryRegion *r = gm__flatview_root_of(root);
    GmLineage *lin = *lineage_slot(r);
    return lin ? lin : lineage_render(r);
}

/* @lin must be rendered whole: a new lineage replaces it, unless the
 * render shows nothing new. */
static int rerender(GmLineage *lin)
{
    lin->full = false;
    lin->fds_all = true; /* its fd marks were not kept */
    lin->nwin = 0;
    FlatView *fv = gm__render(lin->root);
    if (!fv) {
        return -1;
    }
    if (views_equal(fv, lin->current)) {
        GmLineage *spare = fv->lin;
        flatview_unref(fv);
        gm__lineage_close(spare);
        return 0;
    }
    GmLineage *nl = fv->lin;
    flatview_unref(fv);
    *lineage_slot(lin->root) = nl;
    lineage_link(nl);
    lin->replaced = true;
    return 1;
}

static bool has_nop(AddressSpace *as)
{
    for (MemoryListener *l = as->listeners; l; l = l->as_next) {
        if (l->region_nop) {
            return true;
        }
    }
    return false;
}

/* QEMU's two passes over everything (@old and @new whole). */
static void full_passes(AddressSpace *as, FlatView *old, FlatView *new)
{
    const FlatRange *const *o = gm__fv_ranges(old);
    const FlatRange *const *n = gm__fv_ranges(new);
    if ((old->nr && !o) || (new->nr && !n)) {
        Error *err = NULL;
        gm_error_setg(&err, GM_ERR_NO_MEMORY,
                      "out of memory telling the listeners of '%s'", as->name);
        gm__report(err);
        return;
    }
    gm__topology_pass(as, old, o, old->nr, n, new->nr, false);
    gm__topology_pass(as, old, o, old->nr, n, new->nr, true);
}

/* The spans whose ioeventfds may have changed for an address space that
 * went from @lin's view before this commit to its current one. */
static bool fd_spans(GmLineage *lin, bool rendered, GmWindow **out, size_t *n)
{
    size_t cap = lin->nfdwin + (rendered ? lin->nchanges : 0);
    GmWindow *w = malloc((cap ? cap : 1) * sizeof(*w));
    if (!w) {
        return false;
    }
    size_t k = 0;
    for (size_t i = 0; i < lin->nfdwin; i++) {
        w[k++] = lin->fdwin[i];
    }
    for (size_t i = 0; rendered && i < lin->nchanges; i++) {
        w[k++] = (GmWindow){ lin->changes[i].lo, lin->changes[i].hi };
    }
    *n = merge_windows(w, k);
    *out = w;
    return true;
}

static void set_view(AddressSpace *as, FlatView *fv)
{
    FlatView *old = as->current_map;
    if (old == fv) {
        return;
    }
    flatview_ref(fv);
    gm_publish(as->current_map, fv);
    flatview_unref(old);
}

/* Tells @as's listeners (@notify) and ioeventfds (@fds) about its move
 * from @old to @lin's current view, and publishes that. */
static void deliver(AddressSpace *as, FlatView *old, GmLineage *lin,
                    bool notify, bool fds)
{
    FlatView *new = lin->current;
    /* Windows describe exactly the step from lin->before to new. */
    bool stepped = old == lin->before && old != new;
    bool windowed = old == new || stepped;
    if (notify && as->listeners) {
        if (!windowed || has_nop(as)) {
            full_passes(as, old, new);
        } else {
            for (int adding = 0; adding < 2; adding++) {
                for (size_t i = 0; i < lin->nchanges && stepped; i++) {
                    const GmChange *c = &lin->changes[i];
                    gm__topology_pass(as, old, c->old.r, c->old.n, c->new.r,
                                      c->new.n, adding);
                }
            }
        }
    }
    set_view(as, new);
    if (!notify && !fds) {
        return;
    }
    GmWindow *w = NULL;
    size_t nw = 0;
    if (windowed && !lin->fds_all && fd_spans(lin, stepped, &w, &nw)) {
        for (size_t i = 0; i < nw; i++) {
            gm__ioeventfds_update_span(as, w[i].lo, w[i].hi);
        }
    } else {
        gm__ioeventfds_update_span(as, 0, UINT64_MAX);
    }
    free(w);
}

static void lineage_forget(GmLineage *lin)
{
    if (!lin->replaced && lin->root && *lineage_slot(lin->root) == lin) {
        *lineage_slot(lin->root) = NULL;
    } else if (!lin->root && gm__state.empty_lineage == lin) {
        gm__state.empty_lineage = NULL;
    }
    changes_clear(lin);
    gm__lineage_close(lin);
}

/* Renders what is marked, publishes, tells the listeners.  False when out
 * of memory (the views stay as they were, the marks pending). */
static bool update_topology(void)
{
    bool notify = gm__state.notify_pending;
    bool fds = gm__state.ioeventfd_pending;
    Error *err = NULL;
    /* Each lineage with marks derives its next view. */
    for (GmLineage *lin = gm__state.lineages; lin; lin = lin->next) {
        lin->before = lin->current;
        lin->used = false;
        int r = lin->orphan ? 0
                : lin->full ? rerender(lin)
                            : update_lineage(lin);
        lin->nwin = 0;
        if (r < 0) {
            gm_error_setg(&err, GM_ERR_NO_MEMORY,
                          "out of memory rendering the flat views; the "
                          "previous views stay in place");
            gm__report(err);
            return false;
        }
        notify |= r > 0;
    }
    gm__state.all_marked = false;
    /* The lineage of each address space (new ones rendered whole). */
    size_t nas = 0;
    for (AddressSpace *as = gm__state.as_first; as; as = as->next) {
        nas++;
    }
    GmLineage **lins = calloc(nas ? nas : 1, sizeof(*lins));
    if (!lins) {
        gm_error_setg(&err, GM_ERR_NO_MEMORY, "out of memory committing");
        gm__report(err);
        return false;
    }
    size_t i = 0;
    for (AddressSpace *as = gm__state.as_first; as; as = as->next, i++) {
        lins[i] = gm__lineage_of(as->root);
        if (!lins[i]) {
            /* Out of memory for a whole render: keep the old view. */
            gm_error_setg(&err, GM_ERR_NO_MEMORY,
                          "out of memory rendering '%s'; its view stays",
                          as->name);
            gm__report(err);
            lins[i] = as->current_map->lin;
        }
        if (!lins[i]->before) {
            lins[i]->before = lins[i]->current; /* made just now */
        }
        lins[i]->used = true;
        /* A view that changed although QEMU would not have been pending
         * is still announced: listeners must never miss a change. */
        notify |= lins[i]->current != as->current_map;
    }
    gm__state.update_pending = false;
    gm__state.notify_pending = false;
    gm__state.ioeventfd_pending = false;
    if (notify) {
        gm__listeners_begin();
    }
    i = 0;
    for (AddressSpace *as = gm__state.as_first; as; as = as->next, i++) {
        deliver(as, as->current_map, lins[i], notify, fds);
    }
    free(lins);
    /* Lineages no address space shows any more end. */
    for (GmLineage **p = &gm__state.lineages; *p;) {
        GmLineage *lin = *p;
        lin->nfdwin = 0;
        lin->fds_all = false;
        changes_clear(lin);
        lin->before = NULL;
        if (lin->used) {
            p = &lin->next;
            continue;
        }
        *p = lin->next;
        lineage_forget(lin);
    }
    if (notify) {
        gm__listeners_end();
    }
    return true;
}

void gm__lineage_release(GmLineage *lin)
{
    for (AddressSpace *as = gm__state.as_first; as; as = as->next) {
        if (as->current_map && as->current_map->lin == lin) {
            return;
        }
    }
    for (GmLineage **p = &gm__state.lineages; *p; p = &(*p)->next) {
        if (*p == lin) {
            *p = lin->next;
            lineage_forget(lin);
            return;
        }
    }
}

void gm__lineages_end_all(void)
{
    while (gm__state.lineages) {
        GmLineage *lin = gm__state.lineages;
        gm__state.lineages = lin->next;
        lineage_forget(lin);
    }
}

/* --- transactions --------------------------------------------------------------- */

void gm__begin(void)
{
    gm__rcu_ensure_registered();
    gm_update_lock();
    gm__state.transaction_depth++;
}

/* The end of the outermost transaction: render, tell the listeners, hand
 * out ioeventfds.  A change made from a listener callback only marks work
 * pending; it is done in a further round once this one is delivered. */
void gm__commit_outermost(void)
{
    if (gm__state.in_update) {
        return;
    }
    gm__state.in_update = true;
    /* Bounded: rounds only repeat for changes made from callbacks, and
     * callbacks that keep changing the tree (one that moves the region it
     * is told about) would never settle. */
    int round = 0;
    for (; round < GM_COMMIT_ROUNDS &&
           (gm__state.update_pending || gm__state.notify_pending ||
            gm__state.ioeventfd_pending);
         round++) {
        if (!update_topology()) {
            break;
        }
    }
    gm__state.in_update = false;
    if (round == GM_COMMIT_ROUNDS &&
        (gm__state.update_pending || gm__state.ioeventfd_pending)) {
        Error *err = NULL;
        gm_error_setg(&err, GM_ERR_BUSY,
                      "listener callbacks changed the tree in %d commit "
                      "rounds in a row without settling; the views show "
                      "the state after the last round, the changes made "
                      "since are committed with the next commit",
                      GM_COMMIT_ROUNDS);
        gm__report(err);
    }
}

void gm__commit(void)
{
    gm_assert(gm__state.transaction_depth > 0);
    if (--gm__state.transaction_depth == 0) {
        gm__commit_outermost();
    }
    gm_update_unlock();
}

void memory_region_transaction_begin(void)
{
    gm__begin();
}

void memory_region_transaction_commit(void)
{
    if (gm__state.transaction_depth == 0) {
        Error *err = NULL;
        gm_error_setg(&err, GM_ERR_INVALID_ARG,
                      "memory_region_transaction_commit without a begin");
        gm__report(err);
        return;
    }
    gm__commit();
}

unsigned gm_transaction_depth(void)
{
    return gm__state.transaction_depth;
}

/* --- self-check -------------------------------------------------------------------- */

static int range_text(char *buf, size_t n, const FlatRange *fr)
{
    if (!fr) {
        return snprintf(buf, n, "(none)");
    }
    return snprintf(buf, n,
                    "%016" PRIx64 "-%016" PRIx64 " %s @0x%" PRIx64 "%s%s%s",
                    fr->start, fr->last, memory_region_name(fr->mr),
                    fr->offset_in_region, fr->readonly ? " ro" : "",
                    fr->nonvolatile ? " nv" : "", fr->romd_mode ? " romd" : "");
}

/* The view's own structure: lookups at both ends of every range, and the
 * page words of the pages it covers whole. */
static int check_structure(AddressSpace *as, FlatView *fv,
                           const FlatRange *const *rs, Error **errp)
{
    char t[200];
    for (unsigned i = 0; i < fv->nr; i++) {
        const FlatRange *fr = rs[i];
        if ((i && rs[i - 1]->last >= fr->start) ||
            (i && gm__range_can_merge(rs[i - 1], fr)) ||
            gm__fv_lookup(fv, fr->start) != fr ||
            gm__fv_lookup(fv, fr->last) != fr) {
            range_text(t, sizeof(t), fr);
            return gm_error_setg(errp, GM_ERR_MISMATCH,
                                 "view of '%s': range #%u (%s) is out of "
                                 "order, unmerged or not found by lookup",
                                 as->name, i, t);
        }
        hwaddr page = (fr->start + 4095) & ~(hwaddr)4095;
        if (page && page - 1 + 4096 <= fr->last && page <= RX_LIMIT &&
            (fr->fast_flags & GM_FAST_READ) &&
            !((uintptr_t)(fr->host + (page - fr->start)) & 4095)) {
            const GmTlbEntry *e = gm__dispatch_page(fv, page);
            if (e && e->addend != (uintptr_t)fr->host - (uintptr_t)fr->start) {
                range_text(t, sizeof(t), fr);
                return gm_error_setg(errp, GM_ERR_MISMATCH,
                                     "view of '%s': the page word of "
                                     "0x%" PRIx64 " disagrees with %s",
                                     as->name, page, t);
            }
        }
    }
    if (fv->nr && gm__fv_next(fv, rs[fv->nr - 1]->start)) {
        return gm_error_setg(errp, GM_ERR_MISMATCH,
                             "view of '%s': a range after the last one",
                             as->name);
    }
    return 0;
}

int gm_address_space_check(AddressSpace *as, Error **errp)
{
    if (!as || as->magic != GM_AS_MAGIC) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "address space NULL or not initialised");
    }
    gm_update_lock();
    if (gm__state.transaction_depth) {
        gm_update_unlock();
        return gm_error_setg(errp, GM_ERR_BUSY,
                             "gm_address_space_check inside a transaction");
    }
    FlatView *fv = as->current_map;
    MemoryRegion *r = gm__flatview_root_of(as->root);
    FlatRange *vals = NULL;
    size_t n = 0;
    const FlatRange *const *rs = gm__fv_ranges(fv);
    int rc = 0;
    if ((fv->nr && !rs) ||
        !gm__render_clip(r, 0, UINT64_MAX, true, &vals, &n)) {
        rc = gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        goto out;
    }
    gm__flatview_simplify(vals, &n);
    if (fv->root != r) {
        rc = gm_error_setg(errp, GM_ERR_MISMATCH,
                           "view of '%s' rendered from '%s', the tree says "
                           "'%s'",
                           as->name, memory_region_name(fv->root),
                           memory_region_name(r));
        goto out;
    }
    for (size_t i = 0; i < n || i < fv->nr; i++) {
        const FlatRange *got = i < fv->nr ? rs[i] : NULL;
        if (i < n) {
            gm__range_init(&vals[i]);
        }
        if (!got || i >= n || !gm__range_same(got, &vals[i])) {
            char g[200], w[200];
            range_text(g, sizeof(g), got);
            range_text(w, sizeof(w), i < n ? &vals[i] : NULL);
            rc = gm_error_setg(errp, GM_ERR_MISMATCH,
                               "view of '%s', range #%zu: %s; a whole render "
                               "gives %s",
                               as->name, i, g, w);
            goto out;
        }
    }
    rc = check_structure(as, fv, rs, errp);
out:
    free(vals);
    gm_update_unlock();
    return rc;
}
