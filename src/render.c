// SPDX-License-Identifier: MIT
/*
 * render.c - turning a region tree into a FlatView.
 *
 * The rules are QEMU 7.2's (render_memory_region, flatview_simplify and
 * memory_region_get_flatview_root), restated:
 *   1. a disabled region shows nothing, and neither does its subtree;
 *   2. a region is clipped to its container's window, and to what the
 *      aliases above it let through;
 *   3. an alias renders its target, shifted so that alias_offset lands on
 *      the alias's address;
 *   4. children are rendered in list order (priority, then newest first);
 *      each only fills addresses nothing rendered before it covers;
 *   5. a region that terminates (RAM, ROM, MMIO, a container with its own
 *      ops) then fills what its children left; a pure container does not,
 *      so what lies under it shows through;
 *   6. read-only and nonvolatile are inherited down the path;
 *   7. finally, neighbouring ranges of the same region at consecutive
 *      offsets with the same attributes are merged.
 * Arithmetic is in 128 bits: sizes reach 2^64 and an alias can put a
 * target's base below zero.
 */
#include "base.h"
#include "region-int.h"
#include "view.h"
#include "render-int.h"

typedef struct AddrRange {
    Int128 start;
    Int128 size;
} AddrRange;

static Int128 range_end(AddrRange r)
{
    return r.start + r.size;
}

static bool range_contains(AddrRange r, Int128 addr)
{
    return addr >= r.start && addr - r.start < r.size;
}

static bool range_intersects(AddrRange a, AddrRange b)
{
    return range_contains(a, b.start) || range_contains(b, a.start);
}

static AddrRange range_intersection(AddrRange a, AddrRange b)
{
    Int128 start = a.start > b.start ? a.start : b.start;
    Int128 ea = range_end(a), eb = range_end(b);
    Int128 end = ea < eb ? ea : eb;
    return (AddrRange){ start, end - start };
}

/* While rendering, ranges live in a gap buffer: an array with one hole
 * that moves to wherever the last insertion happened.  Siblings are
 * rendered newest first, which for regions added in address order means
 * descending addresses: every insertion lands at the same spot, and with
 * the hole there it costs O(1) instead of moving the whole array (100,000
 * regions would otherwise take seconds). */
typedef struct RenderCtx {
    FlatRange *a;
    unsigned cap;
    unsigned gap_start, gap_end; /* the hole is a[gap_start .. gap_end) */
    bool failed;                 /* out of memory */
    GmRegions cand;              /* subregions from indexes (Frame) */
    bool lists_only;             /* never the indexes (the test oracle) */
} RenderCtx;

static unsigned rc_len(const RenderCtx *c)
{
    return c->cap - (c->gap_end - c->gap_start);
}

static FlatRange *rc_at(RenderCtx *c, unsigned i)
{
    return &c->a[i < c->gap_start ? i : i + (c->gap_end - c->gap_start)];
}

static void rc_move_gap(RenderCtx *c, unsigned pos)
{
    unsigned hole = c->gap_end - c->gap_start;
    if (pos < c->gap_start) {
        unsigned n = c->gap_start - pos;
        memmove(&c->a[pos + hole], &c->a[pos], n * sizeof(FlatRange));
    } else if (pos > c->gap_start) {
        unsigned n = pos - c->gap_start;
        memmove(&c->a[c->gap_start], &c->a[c->gap_end], n * sizeof(FlatRange));
    }
    c->gap_start = pos;
    c->gap_end = pos + hole;
}

static bool rc_insert(RenderCtx *c, unsigned pos, const FlatRange *fr)
{
    if (c->gap_start == c->gap_end) {
        unsigned len = rc_len(c);
        unsigned cap = c->cap ? c->cap * 2 : 64;
        FlatRange *a = realloc(c->a, (size_t)cap * sizeof(*a));
        if (!a) {
            return false;
        }
        /* The hole becomes the new space at the end. */
        c->a = a;
        c->cap = cap;
        c->gap_start = len;
        c->gap_end = cap;
    }
    rc_move_gap(c, pos);
    c->a[c->gap_start++] = *fr;
    return true;
}

/* First index whose range ends after @addr (all before it end at or below). */
static unsigned first_ending_after(RenderCtx *c, Int128 addr)
{
    unsigned lo = 0, hi = rc_len(c);
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if ((Int128)rc_at(c, mid)->last + 1 <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static void insert_piece(RenderCtx *ctx, unsigned pos, FlatRange fr,
                         Int128 start, Int128 size)
{
    fr.start = (hwaddr)start;
    fr.last = (hwaddr)(start + size - 1);
    if (!rc_insert(ctx, pos, &fr)) {
        ctx->failed = true;
    }
}

/* A region being rendered: where it sits, what it may show, what it
 * inherits, and the next child to render: from its subregion list, or,
 * when only part of a large container is rendered, from the subregions
 * its index says meet the clip (ctx->cand[cand_next .. cand_end), in list
 * order). */
typedef struct Frame {
    MemoryRegion *mr;
    Int128 base;
    AddrRange clip;
    bool readonly, nonvolatile;
    bool indexed;
    MemoryRegion *next;
    size_t cand_first, cand_next, cand_end;
} Frame;

/* Containers with more subregions than this that are only partly inside
 * the clip are walked through their index. */
#define INDEX_MIN_SUBREGIONS 8

/* Rules 1-3 and 6 for @mr placed under a container at @base: false if it
 * shows nothing, else the frame of the region that really renders (the
 * end of any chain of aliases). */
static bool enter(MemoryRegion *mr, Int128 base, AddrRange clip, bool readonly,
                  bool nonvolatile, Frame *out)
{
    for (;;) {
        if (!mr->enabled) {
            return false;
        }
        base += (Int128)mr->addr;
        readonly |= mr->readonly;
        nonvolatile |= mr->nonvolatile;
        AddrRange self = { base, mr->size };
        if (!range_intersects(self, clip)) {
            return false;
        }
        clip = range_intersection(self, clip);
        if (!mr->alias) {
            break;
        }
        base -= (Int128)mr->alias->addr;
        base -= (Int128)mr->alias_offset;
        mr = mr->alias;
    }
    *out = (Frame){ mr,    base,           clip, readonly, nonvolatile,
                    false, mr->subregions, 0,    0,        0 };
    return true;
}

/* Chooses how @f walks its children: the list, or the index. */
static void choose_children(RenderCtx *ctx, Frame *f)
{
    MemoryRegion *mr = f->mr;
    bool whole = f->clip.start == f->base && f->clip.size == mr->size;
    if (whole || ctx->lists_only || mr->nr_subregions <= INDEX_MIN_SUBREGIONS) {
        return;
    }
    uint64_t lo = (uint64_t)(f->clip.start - f->base);
    uint64_t hi = (uint64_t)(f->clip.start + f->clip.size - 1 - f->base);
    f->indexed = true;
    f->cand_first = f->cand_next = ctx->cand.n;
    if (!gm__subregions_meeting(mr, lo, hi, &ctx->cand)) {
        ctx->failed = true;
    }
    f->cand_end = ctx->cand.n;
}

static MemoryRegion *next_child(RenderCtx *ctx, Frame *f)
{
    if (f->indexed) {
        return f->cand_next < f->cand_end ? ctx->cand.r[f->cand_next++] : NULL;
    }
    MemoryRegion *sub = f->next;
    if (sub) {
        f->next = sub->sibling_next;
    }
    return sub;
}

/* Rule 5: a terminating region fills, in its clip, what nothing rendered
 * before it covers. */
static void fill(RenderCtx *ctx, const Frame *f)
{
    MemoryRegion *mr = f->mr;
    FlatRange fr = {
        .mr = mr,
        .dirty_log_mask = gm__dirty_log_mask(mr),
        .romd_mode = mr->romd_mode,
        .readonly = f->readonly,
        .nonvolatile = f->nonvolatile,
    };
    hwaddr offset = (hwaddr)(f->clip.start - f->base);
    Int128 at = f->clip.start;
    Int128 remain = f->clip.size;
    unsigned i = first_ending_after(ctx, at);

    /* Fill the gaps between the ranges already rendered. */
    for (; i < rc_len(ctx) && remain > 0; ++i) {
        const FlatRange *r = rc_at(ctx, i);
        Int128 rstart = (Int128)r->start;
        Int128 rend = (Int128)r->last + 1;
        if (at >= rend) {
            continue;
        }
        if (at < rstart) {
            Int128 now = rstart - at < remain ? rstart - at : remain;
            fr.offset_in_region = offset;
            insert_piece(ctx, i, fr, at, now);
            if (ctx->failed) {
                return;
            }
            ++i;
            at += now;
            offset += (hwaddr)now;
            remain -= now;
            if (remain == 0) {
                break;
            }
        }
        Int128 stop = at + remain < rend ? at + remain : rend;
        Int128 now = stop - at;
        at += now;
        offset += (hwaddr)now;
        remain -= now;
    }
    if (remain > 0) {
        fr.offset_in_region = offset;
        insert_piece(ctx, i, fr, at, remain);
    }
}

/* Rule 4 in depth-first order, on a stack of our own: the tree's depth is
 * the caller's to choose (a million nested containers must not overflow
 * the thread's stack).  Only what meets @clip is rendered. */
static void render_region(RenderCtx *ctx, MemoryRegion *root, AddrRange clip)
{
    size_t n = 0, cap = 64;
    Frame *stack = malloc(cap * sizeof(*stack));
    if (!stack) {
        ctx->failed = true;
        return;
    }
    if (enter(root, 0, clip, false, false, &stack[0])) {
        choose_children(ctx, &stack[0]);
        n = 1;
    }
    while (n > 0 && !ctx->failed) {
        Frame *top = &stack[n - 1];
        MemoryRegion *sub = next_child(ctx, top);
        if (!sub) {
            n--;
            if (stack[n].indexed) {
                ctx->cand.n = stack[n].cand_first;
            }
            if (stack[n].mr->terminates) {
                fill(ctx, &stack[n]);
            }
            continue;
        }
        Frame child;
        if (!enter(sub, top->base, top->clip, top->readonly, top->nonvolatile,
                   &child)) {
            continue;
        }
        if (n == cap) {
            Frame *bigger = realloc(stack, 2 * cap * sizeof(*stack));
            if (!bigger) {
                ctx->failed = true;
                break;
            }
            stack = bigger;
            cap *= 2;
        }
        choose_children(ctx, &child);
        stack[n++] = child;
    }
    free(stack);
}

void gm__flatview_simplify(FlatRange *a, size_t *n)
{
    size_t out = 0;
    for (size_t i = 0; i < *n; i++) {
        if (out > 0 && gm__range_can_merge(&a[out - 1], &a[i])) {
            a[out - 1].last = a[i].last;
            continue;
        }
        a[out++] = a[i];
    }
    *n = out;
}

MemoryRegion *gm__flatview_root_of(MemoryRegion *mr)
{
    while (mr && mr->enabled) {
        /* QEMU 7.2 walks on through a read-only (or nonvolatile) region
         * here and so loses the flag for the whole view: a read-only alias
         * alone at the root lets the guest write the RAM behind it.  Stop
         * at such a region: it roots the view and its flag is rendered. */
        if (mr->readonly || mr->nonvolatile) {
            return mr;
        }
        if (mr->alias) {
            if (!mr->alias_offset && mr->size >= mr->alias->size) {
                /* The whole target is visible: use it, to share views. */
                mr = mr->alias;
                continue;
            }
        } else if (!mr->terminates) {
            unsigned found = 0;
            MemoryRegion *next = NULL;
            for (MemoryRegion *c = mr->subregions; c; c = c->sibling_next) {
                if (!c->enabled) {
                    continue;
                }
                if (++found > 1) {
                    next = NULL;
                    break;
                }
                if (!c->addr && mr->size >= c->size) {
                    next = c;
                }
            }
            if (found == 0) {
                return NULL;
            }
            if (next) {
                mr = next;
                continue;
            }
        }
        return mr;
    }
    return NULL;
}

bool gm__render_window(MemoryRegion *root, hwaddr lo, hwaddr hi,
                       FlatRange **out, size_t *n)
{
    return gm__render_clip(root, lo, hi, false, out, n);
}

bool gm__render_clip(MemoryRegion *root, hwaddr lo, hwaddr hi, bool lists_only,
                     FlatRange **out, size_t *n)
{
    RenderCtx ctx = { 0 };
    ctx.lists_only = lists_only;
    if (root) {
        AddrRange clip = { (Int128)lo, (Int128)hi - (Int128)lo + 1 };
        render_region(&ctx, root, clip);
    }
    free(ctx.cand.r);
    if (ctx.failed) {
        free(ctx.a);
        return false;
    }
    /* Close the hole: the caller owns the array from here on. */
    if (ctx.a) {
        rc_move_gap(&ctx, rc_len(&ctx));
    }
    *out = ctx.a;
    *n = ctx.a ? rc_len(&ctx) : 0;
    return true;
}

FlatView *gm__render(MemoryRegion *root)
{
    FlatRange *vals;
    size_t n;
    if (!gm__render_window(root, 0, UINT64_MAX, &vals, &n)) {
        return NULL;
    }
    gm__flatview_simplify(vals, &n);
    FlatView *fv = gm__flatview_build(root, vals, n);
    free(vals);
    return fv;
}
