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
 * with a commentary.  Both keep their own stack: a tree may be as deep as
 * its caller makes it, and none of this recurses.
 */
#include "mtree-internal.h"
#include "state.h"
#include "region-int.h"
#include "view.h"

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
    /* If not NULL, receives the whole serving path, root first (malloc'd;
     * NULL when out of memory). */
    MemoryRegion ***full;
    size_t *nfull;
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

/* One region on the walk's stack: its window start, what is inherited down
 * to it, and where its walk stands (the next child to try, or whether its
 * alias target was tried). */
typedef struct RFrame {
    MemoryRegion *mr;
    Int128 b;
    Int128 key; /* an alias: the address as an offset in its target */
    MemoryRegion *next;
    bool ro, nv, tried;
} RFrame;

/* The walk of gm_resolve(), depth first with its own stack (a caller's tree
 * can be as deep as it likes).  A region that shows nothing at @addr pops
 * with "no"; the first terminating region that does ends the walk, and the
 * stack is then the serving path. */
static bool resolve(MemoryRegion *root, Int128 base, hwaddr addr,
                    MemoryRegionSection *out, Misses *misses)
{
    RFrame *st = NULL;
    size_t n = 0, cap = 0;
    bool found = false;
    MemoryRegion *enter = root; /* the region to try next, if any */
    Int128 enter_base = base;
    bool ro = false, nv = false;
    for (;;) {
        if (enter) {
            MemoryRegion *mr = enter;
            Int128 b;
            enter = NULL;
            if (++misses->steps > misses->budget) {
                /* Overlapping aliases that all miss can make the walk
                 * exponential (only a crafted tree does that); give up
                 * rather than hang. */
                misses->exhausted = true;
                break;
            }
            if (mr->enabled && covers(mr, enter_base, addr, &b)) {
                if (n == cap) {
                    size_t ncap = cap ? 2 * cap : 32;
                    RFrame *s = realloc(st, ncap * sizeof(*s));
                    if (!s) {
                        misses->exhausted = true;
                        break;
                    }
                    st = s;
                    cap = ncap;
                }
                st[n++] = (RFrame){ .mr = mr,
                                    .b = b,
                                    .next = mr->alias ? NULL : mr->subregions,
                                    .ro = ro || mr->readonly,
                                    .nv = nv || mr->nonvolatile };
            }
        }
        if (!n) {
            break;
        }
        RFrame *t = &st[n - 1];
        MemoryRegion *al = t->mr->alias;
        if (al) {
            if (!t->tried) {
                t->tried = true;
                Int128 tb =
                    t->b - (Int128)al->addr - (Int128)t->mr->alias_offset;
                t->key = (Int128)addr - tb;
                if (!miss_seen(&misses->t, al, t->key)) {
                    enter = al;
                    enter_base = tb;
                    ro = t->ro;
                    nv = t->nv;
                    continue;
                }
            } else {
                /* The target showed nothing here: remember it. */
                miss_add(&misses->t, al, t->key);
            }
            n--;
            continue;
        }
        if (t->next) {
            enter = t->next;
            t->next = enter->sibling_next;
            enter_base = t->b;
            ro = t->ro;
            nv = t->nv;
            continue;
        }
        if (t->mr->terminates) {
            out->mr = t->mr;
            out->offset_within_region = (hwaddr)((Int128)addr - t->b);
            out->offset_within_address_space = addr;
            out->size = 1;
            out->readonly = t->ro;
            out->nonvolatile = t->nv;
            out->fv = NULL;
            found = true;
            break;
        }
        n--;
    }
    if (found) {
        for (size_t i = n; i-- > 0;) {
            path_push(misses, st[i].mr, st[i].b);
        }
        if (misses->full) {
            *misses->full = malloc(n * sizeof(MemoryRegion *));
            *misses->nfull = *misses->full ? n : 0;
            for (size_t i = 0; *misses->full && i < n; i++) {
                (*misses->full)[i] = st[i].mr;
            }
        }
    }
    free(st);
    return found;
}

/* 1: something serves @addr (*@out), 0: nothing, -1: too intricate.
 * @full (optional): receives the serving path, root first (free() it). */
static int resolve_once(MemoryRegion *mr, Int128 base, hwaddr addr,
                        MemoryRegionSection *out, GmResolvePath *path,
                        unsigned long *budget, MemoryRegion ***full,
                        size_t *nfull)
{
    Misses misses = { .t = { NULL, 0, 0 },
                      .path = path,
                      .full = full,
                      .nfull = nfull,
                      .budget = budget ? *budget : GM_RESOLVE_BUDGET };
    if (path) {
        path->n = 0;
    }
    if (full) {
        *full = NULL;
        *nfull = 0;
    }
    bool r = resolve(mr, base, addr, out, &misses);
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
    return resolve_once(mr, base, addr, out, path, budget, NULL, NULL);
}

bool gm_resolve(MemoryRegion *root, hwaddr addr, MemoryRegionSection *out)
{
    MemoryRegionSection tmp;
    if (!gm__mr_valid(root)) {
        return false;
    }
    return resolve_once(root, 0, addr, out ? out : &tmp, NULL, NULL, NULL,
                        NULL) > 0;
}

/* The import's read-only hints (mtree-import.c) follow the same walk. */
/* Marks read-only the alias nearest the leaf on the path that serves @addr
 * (or, with no alias on it, the innermost container).  *@done receives the
 * last address of the marked region's window, so that the caller can
 * continue after it.
 * Return: 1 when marked; 0 when nothing serves @addr or nothing could be
 * marked (the hint does not fit the tree: the caller stops following it);
 * -1 when the tree is too intricate to resolve. */
int gm__mark_readonly_path(MemoryRegion *root, hwaddr addr, hwaddr *done,
                           unsigned long *budget)
{
    MemoryRegionSection s;
    GmResolvePath path;
    int found = gm__resolve_at(root, 0, addr, &s, &path, budget);
    if (found <= 0) {
        return found;
    }
    /* path.mr[0] is the leaf; the deepest alias above it, or else its
     * innermost container, is what a read-only hint speaks of. */
    size_t pick = path.n;
    for (size_t i = 1; i < path.n; i++) {
        if (path.mr[i]->alias) {
            pick = i;
            break;
        }
    }
    if (pick == path.n && path.n > 1) {
        pick = 1;
    }
    if (pick == path.n) {
        return 0;
    }
    MemoryRegion *mark = path.mr[pick];
    mark->readonly = true;
    Int128 last = path.base[pick] + mark->size - 1;
    *done = last > (Int128)UINT64_MAX ? UINT64_MAX
            : last > (Int128)addr     ? (hwaddr)last
                                      : addr;
    return 1;
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

#define SPACES16 "                "
#define SPACES64 SPACES16 SPACES16 SPACES16 SPACES16

static void indent(FILE *f, size_t depth)
{
    static const char spaces[] = SPACES64 SPACES64 SPACES64 SPACES64;
    for (size_t n = 2 * depth; n;) {
        size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
        fwrite(spaces, 1, k, f);
        n -= k;
    }
}

static void describe(FILE *f, const MemoryRegion *mr, Int128 b)
{
    hwaddr start = (hwaddr)b;
    hwaddr last = mr->size ? (hwaddr)(b + mr->size - 1) : start;
    fprintf(f, "%s (%s, prio %d) %016" PRIx64 "-%016" PRIx64,
            memory_region_name(mr), kind_of(mr), mr->priority, start, last);
}

/* What one walk from the root found: the serving path, root first (status
 * 1), nothing (0), or too intricate to say (-1: then each candidate is
 * resolved on its own, as far as its budget goes). */
typedef struct Served {
    MemoryRegion **mr;
    size_t n;
    int status;
} Served;

/* The commentary, one level per turn of the loop: down through aliases and
 * the winning subregion until a region serves @addr or nothing does.
 * @k: where @mr is on the serving path. */
static bool explain(FILE *f, MemoryRegion *mr, Int128 b, hwaddr addr,
                    const Served *sv)
{
    size_t depth = 0, k = 0;
    bool ro = false;
    for (;;) {
        bool on_path = sv->status == 1 && k + 1 < sv->n && sv->mr[k] == mr;
        ro |= mr->readonly;
        if (mr->alias) {
            MemoryRegion *t = mr->alias;
            Int128 tb = b - (Int128)t->addr - (Int128)mr->alias_offset;
            /* Say which part of which region the alias shows, and where:
             * an address served through an alias (isa-bios below 1 MiB)
             * reads as the target's offset, not as an address of its own. */
            indent(f, depth);
            fprintf(f,
                    "alias: '%s' is the alias of '%s' at offset 0x%" PRIx64
                    " (it shows '%s' 0x%" PRIx64 "-0x%" PRIx64 " at %016" PRIx64
                    "-%016" PRIx64 ")\n",
                    memory_region_name(mr), memory_region_name(t),
                    mr->alias_offset, memory_region_name(t), mr->alias_offset,
                    (hwaddr)((Int128)mr->alias_offset + mr->size - 1),
                    (hwaddr)b, (hwaddr)(b + mr->size - 1));
            indent(f, depth);
            fprintf(f,
                    "alias: address 0x%" PRIx64 " is offset 0x%" PRIx64
                    " in '%s'\n",
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
            fprintf(f, " (where '%s' puts all of it)\n",
                    memory_region_name(mr));
            k += on_path;
            mr = t;
            b = tbase;
            continue;
        }

        /* The child the walk from the root went down, if it did. */
        MemoryRegion *serving = on_path ? sv->mr[k + 1] : NULL;
        MemoryRegion *winner = NULL;
        bool any = false;
        for (MemoryRegion *c = mr->subregions; c; c = c->sibling_next) {
            Int128 cb;
            if (!covers(c, b, addr, &cb)) {
                continue;
            }
            if (!any) {
                indent(f, depth + 1);
                fputs("subregions covering the address, in the order they "
                      "are tried (priority, then newest first):\n",
                      f);
                any = true;
            }
            indent(f, depth + 2);
            describe(f, c, cb);
            MemoryRegionSection s;
            int found = sv->status < 0 ? resolve_once(c, b, addr, &s, NULL,
                                                      NULL, NULL, NULL)
                                       : c == serving;
            if (winner) {
                fprintf(f, ": hidden by '%s' (%s)\n",
                        memory_region_name(winner),
                        c->priority < winner->priority
                            ? "higher priority"
                            : "same priority, added later");
            } else if (!c->enabled) {
                fputs(": disabled\n", f);
            } else if (found < 0) {
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
            k += winner == serving;
            mr = winner;
            b = wb;
            depth++;
            continue;
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
}

/* One line: the region that serves the address, and the aliases the
 * walk went through to reach it, each with its target and offset. */
static void served_by(FILE *f, const Served *sv, const MemoryRegionSection *s)
{
    fprintf(f, "served by '%s' at offset 0x%" PRIx64 "%s",
            memory_region_name(s->mr), s->offset_within_region,
            s->readonly ? " (read-only)" : "");
    const char *sep = ", through ";
    for (size_t i = 0; i < sv->n; i++) {
        const MemoryRegion *mr = sv->mr[i];
        if (mr->alias) {
            fprintf(f, "%salias '%s' of '%s' at offset 0x%" PRIx64, sep,
                    memory_region_name(mr), memory_region_name(mr->alias),
                    mr->alias_offset);
            sep = ", then ";
        }
    }
    fputc('\n', f);
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
        /* One walk finds the serving path; the commentary follows it (a
         * walk per level would be quadratic in the depth). */
        Served sv;
        MemoryRegionSection s;
        sv.status = resolve_once(root, 0, addr, &s, NULL, NULL, &sv.mr, &sv.n);
        if (sv.status == 1 && !sv.mr) {
            sv.status = -1; /* out of memory: the slow way */
        }
        found = explain(f, root, b, addr, &sv);
        if (found && sv.status == 1) {
            served_by(f, &sv, &s);
        }
        free(sv.mr);
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
