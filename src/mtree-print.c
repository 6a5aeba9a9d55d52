// SPDX-License-Identifier: MIT
/*
 * mtree-print.c - `info mtree`, in QEMU 7.2's format.
 *
 * The tree form prints one group per distinct root (the names of the address
 * spaces sharing it sorted by strcmp, as QEMU sorts them), then one
 * "memory-region:" group for every region that some alias points at, in the
 * order the aliases were met (the list grows while it is printed, so targets
 * met inside those groups are printed too).  Siblings print by address, then
 * higher priority first, then in list order (newest first among equals).
 * A disabled region is skipped unless `disabled`, but its children are
 * printed all the same, one level deeper.
 *
 * The flat form prints one block per FlatView with every address space that
 * uses it.  QEMU orders groups by hash-table iteration; guestmem uses
 * creation order.
 */
#include "internal.h"

typedef struct MrList {
    const MemoryRegion **v;
    size_t n, cap;
} MrList;

static void list_push(MrList *l, const MemoryRegion *mr)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        const MemoryRegion **v = realloc(l->v, cap * sizeof(*v));
        if (!v) {
            return; /* printing is best effort under memory pressure */
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = mr;
}

static bool list_has(const MrList *l, const MemoryRegion *mr)
{
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i] == mr) {
            return true;
        }
    }
    return false;
}

/* QEMU's MR_SIZE: the size minus one, 0 for an empty region (64 bits). */
static uint64_t mr_size_m1(Int128 size)
{
    return size == 0 ? 0 : (uint64_t)(size - 1);
}

static void print_owner(FILE *f, const MemoryRegion *mr)
{
    if (!mr->owner) {
        fputs(" orphan", f);
        return;
    }
    fprintf(f, " owner:{%s path=%s}",
            gm_object_is_device(mr->owner) ? "dev" : "obj",
            gm_object_path(mr->owner));
}

typedef struct PrintCtx {
    FILE *f;
    bool owner;
    bool disabled;
    MrList aliases;
} PrintCtx;

static void print_region(PrintCtx *ctx, const MemoryRegion *mr, unsigned level,
                         hwaddr base)
{
    FILE *f = ctx->f;
    hwaddr start = base + mr->addr;
    hwaddr end = start + mr_size_m1(mr->size);
    bool show = mr->enabled || ctx->disabled;

    if (show) {
        for (unsigned i = 0; i < level; i++) {
            fputs("  ", f);
        }
        if (start < base || end < start) {
            fputs("[DETECTED OVERFLOW!] ", f);
        }
        fprintf(f, "%016" PRIx64 "-%016" PRIx64 " (prio %d, %s%s): ", start,
                end, mr->priority, mr->nonvolatile ? "nv-" : "",
                gm_memory_region_type(mr));
        if (mr->alias) {
            fprintf(f, "alias %s @%s %016" PRIx64 "-%016" PRIx64,
                    memory_region_name(mr), memory_region_name(mr->alias),
                    mr->alias_offset, mr->alias_offset + mr_size_m1(mr->size));
        } else {
            fputs(memory_region_name(mr), f);
        }
        fputs(mr->enabled ? "" : " [disabled]", f);
        if (ctx->owner) {
            print_owner(f, mr);
        }
        fputc('\n', f);
    }
    if (mr->alias && !list_has(&ctx->aliases, mr->alias)) {
        list_push(&ctx->aliases, mr->alias);
    }

    /* Children by address, then priority (higher first), then list order. */
    MrList kids = { 0 };
    for (const MemoryRegion *c = mr->subregions; c; c = c->sibling_next) {
        list_push(&kids, c);
        size_t i = kids.n - 1;
        while (i > 0 && (c->addr < kids.v[i - 1]->addr ||
                         (c->addr == kids.v[i - 1]->addr &&
                          c->priority > kids.v[i - 1]->priority))) {
            kids.v[i] = kids.v[i - 1];
            i--;
        }
        kids.v[i] = c;
    }
    for (size_t i = 0; i < kids.n; i++) {
        print_region(ctx, kids.v[i], level + 1, start);
    }
    free(kids.v);
}

static int cmp_names(const void *a, const void *b)
{
    const AddressSpace *x = *(AddressSpace *const *)a;
    const AddressSpace *y = *(AddressSpace *const *)b;
    return strcmp(x->name, y->name);
}

static void print_trees(PrintCtx *ctx)
{
    FILE *f = ctx->f;
    size_t nas = 0;
    for (AddressSpace *as = gm__state.as_first; as; as = as->next) {
        nas++;
    }
    AddressSpace **group = calloc(nas ? nas : 1, sizeof(*group));
    if (!group) {
        return;
    }
    for (AddressSpace *as = gm__state.as_first; as; as = as->next) {
        bool seen = false;
        for (AddressSpace *p = gm__state.as_first; p != as; p = p->next) {
            seen |= p->root == as->root;
        }
        if (seen) {
            continue;
        }
        size_t n = 0;
        for (AddressSpace *o = as; o; o = o->next) {
            if (o->root == as->root) {
                group[n++] = o;
            }
        }
        qsort(group, n, sizeof(*group), cmp_names);
        for (size_t i = 0; i < n; i++) {
            fprintf(f, "address-space: %s\n", group[i]->name);
        }
        print_region(ctx, as->root, 1, 0);
        fputc('\n', f);
    }
    free(group);
    for (size_t i = 0; i < ctx->aliases.n; i++) {
        const MemoryRegion *mr = ctx->aliases.v[i];
        fprintf(f, "memory-region: %s\n", memory_region_name(mr));
        print_region(ctx, mr, 1, 0);
        fputc('\n', f);
    }
}

static void print_flatview(PrintCtx *ctx, FlatView *fv, unsigned number,
                           bool dispatch)
{
    FILE *f = ctx->f;
    fprintf(f, "FlatView #%u\n", number);
    for (AddressSpace *as = gm__state.as_first; as; as = as->next) {
        if (as->current_map != fv) {
            continue;
        }
        fprintf(f, " AS \"%s\", root: %s", as->name,
                memory_region_name(as->root));
        if (as->root->alias) {
            fprintf(f, ", alias %s", memory_region_name(as->root->alias));
        }
        fputc('\n', f);
    }
    fprintf(f, " Root memory region: %s\n",
            fv->root ? memory_region_name(fv->root) : "(none)");
    if (fv->nr == 0) {
        fputs("  No rendered FlatView\n\n", f);
        return;
    }
    for (unsigned i = 0; i < fv->nr; i++) {
        const FlatRange *fr = &fv->ranges[i];
        fprintf(f, "  %016" PRIx64 "-%016" PRIx64 " (prio %d, %s%s): %s",
                fr->start, fr->last, fr->mr->priority,
                fr->nonvolatile ? "nv-" : "",
                fr->readonly ? "rom" : gm_memory_region_type(fr->mr),
                memory_region_name(fr->mr));
        if (fr->offset_in_region) {
            fprintf(f, " @%016" PRIx64, fr->offset_in_region);
        }
        if (ctx->owner) {
            print_owner(f, fr->mr);
        }
        fputc('\n', f);
    }
    if (dispatch && fv->root) {
        gm__dispatch_print(f, fv->dispatch, fv);
    }
    fputc('\n', f);
}

static void print_flatviews(PrintCtx *ctx, bool dispatch)
{
    unsigned number = 0;
    for (AddressSpace *as = gm__state.as_first; as; as = as->next) {
        bool seen = false;
        for (AddressSpace *p = gm__state.as_first; p != as; p = p->next) {
            seen |= p->current_map == as->current_map;
        }
        if (!seen && as->current_map) {
            print_flatview(ctx, as->current_map, number++, dispatch);
        }
    }
}

void gm_mtree_fprint(FILE *f, bool flatview, bool dispatch_tree, bool owner,
                     bool disabled)
{
    if (!f) {
        return;
    }
    PrintCtx ctx = { .f = f, .owner = owner, .disabled = disabled };
    if (flatview) {
        print_flatviews(&ctx, dispatch_tree);
    } else {
        print_trees(&ctx);
    }
    free(ctx.aliases.v);
}

void mtree_info(bool flatview, bool dispatch_tree, bool owner, bool disabled)
{
    gm_mtree_fprint(stdout, flatview, dispatch_tree, owner, disabled);
}
