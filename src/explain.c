// SPDX-License-Identifier: MIT
/*
 * explain.c - the naive per-address reference resolver, and `explain`.
 *
 * gm_resolve() walks the tree for one address exactly as the rendering rules
 * (render.c) describe, without building anything: disabled regions show
 * nothing, each region clips to its own window, aliases redirect into their
 * target, children are tried in list order (priority, newest first) and the
 * first that serves the address wins, and a terminating region serves what
 * no child does.  It is deliberately simple, so that tests can trust it as
 * the reference for the flat views; gm_explain_fprint() is the same walk
 * with a commentary.
 */
#include "internal.h"

/* Whether @addr lies in @mr's window when @mr's container starts at @base;
 * also returns the window's base. */
static bool covers(const MemoryRegion *mr, Int128 base, hwaddr addr,
                   Int128 *mr_base)
{
    Int128 b = base + (Int128)mr->addr;
    *mr_base = b;
    return (Int128)addr >= b && (Int128)addr - b < mr->size;
}

/* Misses already seen behind aliases, as (target, offset in it): an alias
 * that shows the same place of the same region again cannot claim what the
 * first one did not, and without this a tree whose aliases share targets
 * (a DAG) would be walked once per path: exponentially often. */
typedef struct MissEntry {
    const MemoryRegion *mr;
    Int128 off;
} MissEntry;

typedef struct MissTable {
    MissEntry *e;
    size_t n, cap; /* cap: 0 or a power of two */
} MissTable;

typedef struct Misses {
    MissTable t;
    unsigned long steps;  /* calls so far */
    unsigned long budget; /* the most allowed */
    bool exhausted;
    GmResolvePath *path; /* if not NULL, receives the serving path */
} Misses;

/* Records @mr (window at @b) on the serving path, leaf first. */
static void path_push(Misses *m, MemoryRegion *mr, Int128 b)
{
    GmResolvePath *p = m->path;
    if (p && p->n < GM_RESOLVE_PATH_MAX) {
        p->mr[p->n] = mr;
        p->base[p->n] = b;
        p->n++;
    }
}

static size_t miss_hash(const MemoryRegion *mr, Int128 off, size_t cap)
{
    uint64_t h = (uint64_t)(uintptr_t)mr * UINT64_C(0x9E3779B97F4A7C15);
    h ^= (uint64_t)off * UINT64_C(0xC2B2AE3D27D4EB4F);
    h ^= (uint64_t)((unsigned __int128)off >> 64);
    return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static bool miss_seen(const MissTable *m, const MemoryRegion *mr, Int128 off)
{
    if (!m->cap) {
        return false;
    }
    for (size_t i = miss_hash(mr, off, m->cap); m->e[i].mr;
         i = (i + 1) & (m->cap - 1)) {
        if (m->e[i].mr == mr && m->e[i].off == off) {
            return true;
        }
    }
    return false;
}

/* Best effort: when memory runs out the walk is only slower. */
static void miss_add(MissTable *m, const MemoryRegion *mr, Int128 off)
{
    if (2 * (m->n + 1) > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        MissTable g = { calloc(cap, sizeof(*m->e)), 0, cap };
        if (!g.e) {
            return;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (m->e[i].mr) {
                miss_add(&g, m->e[i].mr, m->e[i].off);
            }
        }
        free(m->e);
        *m = g;
    }
    size_t i = miss_hash(mr, off, m->cap);
    while (m->e[i].mr) {
        i = (i + 1) & (m->cap - 1);
    }
    m->e[i].mr = mr;
    m->e[i].off = off;
    m->n++;
}

static bool resolve(MemoryRegion *mr, Int128 base, hwaddr addr, bool ro,
                    bool nv, MemoryRegionSection *out, Misses *misses)
{
    Int128 b;
    if (++misses->steps > misses->budget) {
        /* Overlapping aliases that all miss can make the walk exponential
         * (only a crafted tree does that); give up rather than hang. */
        misses->exhausted = true;
        return false;
    }
    if (!mr->enabled || !covers(mr, base, addr, &b)) {
        return false;
    }
    ro |= mr->readonly;
    nv |= mr->nonvolatile;
    if (mr->alias) {
        Int128 tb = b - (Int128)mr->alias->addr - (Int128)mr->alias_offset;
        Int128 key = (Int128)addr - tb;
        if (miss_seen(&misses->t, mr->alias, key)) {
            return false;
        }
        if (resolve(mr->alias, tb, addr, ro, nv, out, misses)) {
            path_push(misses, mr, b);
            return true;
        }
        if (!misses->exhausted) {
            miss_add(&misses->t, mr->alias, key);
        }
        return false;
    }
    for (MemoryRegion *c = mr->subregions; c; c = c->sibling_next) {
        if (resolve(c, b, addr, ro, nv, out, misses)) {
            path_push(misses, mr, b);
            return true;
        }
        if (misses->exhausted) {
            return false;
        }
    }
    if (!mr->terminates) {
        return false;
    }
    out->mr = mr;
    out->offset_within_region = (hwaddr)((Int128)addr - b);
    out->offset_within_address_space = addr;
    out->size = 1;
    out->readonly = ro;
    out->nonvolatile = nv;
    out->fv = NULL;
    path_push(misses, mr, b);
    return true;
}

/* 1: something serves @addr (*@out), 0: nothing, -1: too intricate. */
static int resolve_once(MemoryRegion *mr, Int128 base, hwaddr addr,
                        MemoryRegionSection *out, GmResolvePath *path,
                        unsigned long *budget)
{
    Misses misses = { .t = { NULL, 0, 0 },
                      .path = path,
                      .budget = budget ? *budget : GM_RESOLVE_BUDGET };
    if (path) {
        path->n = 0;
    }
    bool r = resolve(mr, base, addr, false, false, out, &misses);
    free(misses.t.e);
    if (budget) {
        *budget = misses.steps >= *budget ? 0 : *budget - misses.steps;
    }
    return r ? 1 : misses.exhausted ? -1 : 0;
}

int gm__resolve_at(MemoryRegion *mr, Int128 base, hwaddr addr,
                   MemoryRegionSection *out, GmResolvePath *path,
                   unsigned long *budget)
{
    return resolve_once(mr, base, addr, out, path, budget);
}

bool gm_resolve(MemoryRegion *root, hwaddr addr, MemoryRegionSection *out)
{
    MemoryRegionSection tmp;
    if (!gm__mr_valid(root)) {
        return false;
    }
    return resolve_once(root, 0, addr, out ? out : &tmp, NULL, NULL) > 0;
}

/* --- explain ------------------------------------------------------------ */

static const char *kind_of(const MemoryRegion *mr)
{
    if (mr->alias) {
        return "alias";
    }
    if (mr->is_iommu) {
        return "iommu";
    }
    if (mr->ram_device) {
        return "ram device";
    }
    if (mr->rom_device) {
        return mr->romd_mode ? "rom device (romd)" : "rom device (mmio)";
    }
    if (mr->ram) {
        return mr->readonly ? "rom" : "ram";
    }
    if (mr->terminates) {
        return mr->subregions ? "i/o with subregions" : "i/o";
    }
    return "container";
}

static void indent(FILE *f, unsigned depth)
{
    for (unsigned i = 0; i < depth; i++) {
        fputs("  ", f);
    }
}

static void describe(FILE *f, const MemoryRegion *mr, Int128 b)
{
    hwaddr start = (hwaddr)b;
    hwaddr last = mr->size ? (hwaddr)(b + mr->size - 1) : start;
    fprintf(f, "%s (%s, prio %d) %016" PRIx64 "-%016" PRIx64,
            memory_region_name(mr), kind_of(mr), mr->priority, start, last);
}

static bool explain(FILE *f, MemoryRegion *mr, Int128 b, hwaddr addr,
                    unsigned depth, bool ro)
{
    ro |= mr->readonly;
    if (mr->alias) {
        MemoryRegion *t = mr->alias;
        Int128 tb = b - (Int128)t->addr - (Int128)mr->alias_offset;
        indent(f, depth);
        fprintf(
            f, "alias: address 0x%" PRIx64 " is offset 0x%" PRIx64 " in '%s'\n",
            addr, (hwaddr)((Int128)addr - b) + mr->alias_offset,
            memory_region_name(t));
        Int128 tbase;
        if (!t->enabled || !covers(t, tb, addr, &tbase)) {
            indent(f, depth);
            fprintf(f, "'%s' is %s there: nothing is visible\n",
                    memory_region_name(t),
                    t->enabled ? "not present" : "disabled");
            return false;
        }
        indent(f, depth);
        describe(f, t, tbase);
        fputc('\n', f);
        return explain(f, t, tbase, addr, depth, ro);
    }

    MemoryRegion *winner = NULL;
    bool any = false;
    for (MemoryRegion *c = mr->subregions; c; c = c->sibling_next) {
        Int128 cb;
        if (!covers(c, b, addr, &cb)) {
            continue;
        }
        if (!any) {
            indent(f, depth + 1);
            fputs("subregions covering the address, in the order they are "
                  "tried (priority, then newest first):\n",
                  f);
            any = true;
        }
        indent(f, depth + 2);
        describe(f, c, cb);
        MemoryRegionSection s;
        int found;
        if (winner) {
            fprintf(f, ": hidden by '%s' (%s)\n", memory_region_name(winner),
                    c->priority < winner->priority
                        ? "higher priority"
                        : "same priority, added later");
        } else if (!c->enabled) {
            fputs(": disabled\n", f);
        } else if ((found = resolve_once(c, b, addr, &s, NULL, NULL)) < 0) {
            fputs(": too intricate to resolve (overlapping aliases)\n", f);
        } else if (!found) {
            fputs(": shows nothing at this address\n", f);
        } else {
            fputs(": SERVES IT\n", f);
            winner = c;
        }
    }
    if (winner) {
        Int128 wb;
        covers(winner, b, addr, &wb);
        indent(f, depth + 1);
        fputs("-> ", f);
        describe(f, winner, wb);
        fputc('\n', f);
        return explain(f, winner, wb, addr, depth + 1, ro);
    }
    indent(f, depth + 1);
    if (mr->terminates) {
        if (any) {
            fputs("no subregion serves it, so the region itself does\n", f);
            indent(f, depth + 1);
        }
        fprintf(f, "'%s' serves the address at offset 0x%" PRIx64 "%s\n",
                memory_region_name(mr), (hwaddr)((Int128)addr - b),
                ro ? " (read-only on this path)" : "");
        return true;
    }
    fprintf(f,
            "'%s' is a pure container and no subregion serves the "
            "address: what lies under it shows through\n",
            memory_region_name(mr));
    return false;
}

bool gm_explain_fprint(FILE *f, AddressSpace *as, hwaddr addr)
{
    if (!f || !as || as->magic != GM_AS_MAGIC) {
        return false;
    }
    MemoryRegion *root = as->root;
    fprintf(f, "address 0x%016" PRIx64 " in address space \"%s\"\n", addr,
            as->name);
    Int128 b;
    bool found = false;
    if (!root->enabled || !covers(root, 0, addr, &b)) {
        fprintf(f, "the root '%s' %s\n", memory_region_name(root),
                root->enabled ? "does not cover it" : "is disabled");
    } else {
        describe(f, root, b);
        fputc('\n', f);
        found = explain(f, root, b, addr, 0, false);
    }
    FlatView *fv = address_space_get_flatview(as);
    MemoryRegionSection s;
    if (gm_flatview_lookup(fv, addr, &s)) {
        hwaddr last = s.offset_within_address_space + (hwaddr)(s.size - 1);
        fprintf(
            f,
            "flat view: %016" PRIx64 "-%016" PRIx64
            " (prio %d, %s): %s @%016" PRIx64 ", offset 0x%" PRIx64 " here\n",
            s.offset_within_address_space, last, s.mr->priority,
            s.readonly ? "rom" : gm_memory_region_type(s.mr),
            memory_region_name(s.mr), s.offset_within_region,
            s.offset_within_region + (addr - s.offset_within_address_space));
    } else {
        fputs("flat view: unassigned (reads give MEMTX_DECODE_ERROR)\n", f);
    }
    flatview_unref(fv);
    return found;
}
