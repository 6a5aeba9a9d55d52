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

static bool resolve(MemoryRegion *mr, Int128 base, hwaddr addr, bool ro,
                    bool nv, MemoryRegionSection *out)
{
    Int128 b;
    if (!mr->enabled || !covers(mr, base, addr, &b)) {
        return false;
    }
    ro |= mr->readonly;
    nv |= mr->nonvolatile;
    if (mr->alias) {
        Int128 tb = b - (Int128)mr->alias->addr - (Int128)mr->alias_offset;
        return resolve(mr->alias, tb, addr, ro, nv, out);
    }
    for (MemoryRegion *c = mr->subregions; c; c = c->sibling_next) {
        if (resolve(c, b, addr, ro, nv, out)) {
            return true;
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
    return true;
}

bool gm__resolve_at(MemoryRegion *mr, Int128 base, hwaddr addr,
                    MemoryRegionSection *out)
{
    return resolve(mr, base, addr, false, false, out);
}

bool gm_resolve(MemoryRegion *root, hwaddr addr, MemoryRegionSection *out)
{
    MemoryRegionSection tmp;
    if (!gm__mr_valid(root)) {
        return false;
    }
    return resolve(root, 0, addr, false, false, out ? out : &tmp);
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
        if (winner) {
            fprintf(f, ": hidden by '%s' (%s)\n", memory_region_name(winner),
                    c->priority < winner->priority
                        ? "higher priority"
                        : "same priority, added later");
        } else if (!c->enabled) {
            fputs(": disabled\n", f);
        } else if (!resolve(c, b, addr, false, false, &s)) {
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
