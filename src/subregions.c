// SPDX-License-Identifier: MIT
/*
 * subregions.c - how regions hang together: a container's subregions, in
 * the order that decides overlaps and in an index by address, and the
 * aliases of each region.
 *
 * The list is sorted by priority, highest first, and among equal
 * priorities newest first: that order is the whole of QEMU's overlap rule
 * (rendering walks it, and a region only fills what earlier siblings left
 * uncovered).  Every insertion takes a new sibling_seq, so the list order
 * is also "priority descending, then sibling_seq descending", which lets a
 * commit sort any subset of the siblings back into list order.
 *
 * The index is a treap over the subregions keyed by address, each node
 * carrying the greatest last address of its subtree: the subregions that
 * meet a window come out in O(log n + k), so rendering one changed window
 * of a container of a million regions does not walk the million.  The
 * treap's priorities are a hash of the region's address: no state, and
 * expected depth O(log n).  A container's index is made the first time a
 * window needs it and kept in step from then on, so that filling a
 * container in one transaction costs no more than the list.
 */
#include "base.h"
#include "state.h"
#include "region-int.h"

static uint64_t last_of(const MemoryRegion *x)
{
    gm_u128 size = gm__mr_size(x);
    return size ? x->addr + (uint64_t)(size - 1) : x->addr;
}

static uint64_t heap_prio(const MemoryRegion *x)
{
    return ((uint64_t)(uintptr_t)x >> 4) * UINT64_C(0x9e3779b97f4a7c15);
}

static bool key_less(const MemoryRegion *a, const MemoryRegion *b)
{
    return a->addr < b->addr ||
           (a->addr == b->addr && (uintptr_t)a < (uintptr_t)b);
}

static void pull(MemoryRegion *t)
{
    uint64_t m = last_of(t);
    if (t->index_left && t->index_left->index_max_last > m) {
        m = t->index_left->index_max_last;
    }
    if (t->index_right && t->index_right->index_max_last > m) {
        m = t->index_right->index_max_last;
    }
    t->index_max_last = m;
}

static MemoryRegion *rotate_right(MemoryRegion *t)
{
    MemoryRegion *l = t->index_left;
    t->index_left = l->index_right;
    l->index_right = t;
    pull(t);
    pull(l);
    return l;
}

static MemoryRegion *rotate_left(MemoryRegion *t)
{
    MemoryRegion *r = t->index_right;
    t->index_right = r->index_left;
    r->index_left = t;
    pull(t);
    pull(r);
    return r;
}

static MemoryRegion *index_insert(MemoryRegion *t, MemoryRegion *x)
{
    if (!t) {
        x->index_left = x->index_right = NULL;
        x->index_max_last = last_of(x);
        return x;
    }
    if (key_less(x, t)) {
        t->index_left = index_insert(t->index_left, x);
        if (heap_prio(t->index_left) > heap_prio(t)) {
            return rotate_right(t);
        }
    } else {
        t->index_right = index_insert(t->index_right, x);
        if (heap_prio(t->index_right) > heap_prio(t)) {
            return rotate_left(t);
        }
    }
    pull(t);
    return t;
}

static MemoryRegion *index_join(MemoryRegion *a, MemoryRegion *b)
{
    if (!a) {
        return b;
    }
    if (!b) {
        return a;
    }
    if (heap_prio(a) > heap_prio(b)) {
        a->index_right = index_join(a->index_right, b);
        pull(a);
        return a;
    }
    b->index_left = index_join(a, b->index_left);
    pull(b);
    return b;
}

static MemoryRegion *index_remove(MemoryRegion *t, MemoryRegion *x)
{
    if (!t) {
        return NULL;
    }
    if (t == x) {
        MemoryRegion *j = index_join(t->index_left, t->index_right);
        x->index_left = x->index_right = NULL;
        return j;
    }
    if (key_less(x, t)) {
        t->index_left = index_remove(t->index_left, x);
    } else {
        t->index_right = index_remove(t->index_right, x);
    }
    pull(t);
    return t;
}

void gm__subregion_link(MemoryRegion *parent, MemoryRegion *sub)
{
    MemoryRegion *prev = NULL, *other = parent->subregions;
    while (other && sub->priority < other->priority) {
        prev = other;
        other = other->sibling_next;
    }
    /* other is the first sibling with priority <= ours: we go before it. */
    sub->sibling_prev = prev;
    sub->sibling_next = other;
    if (other) {
        other->sibling_prev = sub;
    }
    if (prev) {
        prev->sibling_next = sub;
    } else {
        parent->subregions = sub;
    }
    sub->sibling_seq = ++gm__state.sibling_seq;
    parent->nr_subregions++;
    if (parent->index_built) {
        parent->index_root = index_insert(parent->index_root, sub);
    }
}

void gm__subregion_unlink(MemoryRegion *parent, MemoryRegion *sub)
{
    if (sub->sibling_prev) {
        sub->sibling_prev->sibling_next = sub->sibling_next;
    } else {
        parent->subregions = sub->sibling_next;
    }
    if (sub->sibling_next) {
        sub->sibling_next->sibling_prev = sub->sibling_prev;
    }
    sub->sibling_next = sub->sibling_prev = NULL;
    parent->nr_subregions--;
    if (parent->index_built) {
        parent->index_root = index_remove(parent->index_root, sub);
    }
}

static void query(MemoryRegion *t, uint64_t lo, uint64_t hi, GmRegions *out)
{
    while (t && t->index_max_last >= lo) {
        query(t->index_left, lo, hi, out);
        if (t->addr > hi) {
            return;
        }
        if (last_of(t) >= lo && gm__size_nonzero(t)) {
            if (!gm__regions_push(out, t)) {
                out->failed = true;
                return;
            }
        }
        t = t->index_right; /* the right subtree, without recursing */
    }
}

static int list_order(const void *a, const void *b)
{
    const MemoryRegion *x = *(MemoryRegion *const *)a;
    const MemoryRegion *y = *(MemoryRegion *const *)b;
    if (x->priority != y->priority) {
        return x->priority > y->priority ? -1 : 1;
    }
    return x->sibling_seq > y->sibling_seq ? -1
                                           : x->sibling_seq < y->sibling_seq;
}

bool gm__subregions_meeting(MemoryRegion *c, uint64_t lo, uint64_t hi,
                            GmRegions *out)
{
    size_t first = out->n;
    if (!c->index_built) {
        /* Made when a window first needs it: a container filled in one
         * transaction and rendered whole never pays for it. */
        for (MemoryRegion *s = c->subregions; s; s = s->sibling_next) {
            c->index_root = index_insert(c->index_root, s);
        }
        c->index_built = true;
    }
    query(c->index_root, lo, hi, out);
    if (out->failed) {
        return false;
    }
    if (out->n - first > 1) {
        qsort(&out->r[first], out->n - first, sizeof(out->r[0]), list_order);
    }
    return true;
}

bool gm__regions_push(GmRegions *v, MemoryRegion *mr)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 32;
        MemoryRegion **r = realloc(v->r, cap * sizeof(*r));
        if (!r) {
            return false;
        }
        v->r = r;
        v->cap = cap;
    }
    v->r[v->n++] = mr;
    return true;
}

/* --- aliases ----------------------------------------------------------------- */

void gm__alias_link(MemoryRegion *alias, MemoryRegion *target)
{
    alias->alias_user_prev = NULL;
    alias->alias_user_next = target->alias_user_first;
    if (target->alias_user_first) {
        target->alias_user_first->alias_user_prev = alias;
    }
    target->alias_user_first = alias;
    target->alias_users++;
}

void gm__alias_unlink(MemoryRegion *alias, MemoryRegion *target)
{
    if (alias->alias_user_prev) {
        alias->alias_user_prev->alias_user_next = alias->alias_user_next;
    } else {
        target->alias_user_first = alias->alias_user_next;
    }
    if (alias->alias_user_next) {
        alias->alias_user_next->alias_user_prev = alias->alias_user_prev;
    }
    alias->alias_user_next = alias->alias_user_prev = NULL;
    target->alias_users--;
}

void gm__subregion_resize(MemoryRegion *mr, gm_u128 size)
{
    MemoryRegion *c = mr->container;
    bool indexed = c && c->index_built;
    if (indexed) {
        c->index_root = index_remove(c->index_root, mr);
    }
    mr->size = (Int128)size;
    if (indexed) {
        c->index_root = index_insert(c->index_root, mr);
    }
}
