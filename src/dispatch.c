// SPDX-License-Identifier: MIT
/*
 * dispatch.c - from an address to the range of a flat view that serves it.
 *
 * Lookups outnumber topology changes by many orders of magnitude (every
 * guest access does one; a commit happens when a device is reprogrammed), so
 * the structure is built once per view and only read afterwards.  This
 * version keeps the start addresses of the ranges in one dense array and
 * binary-searches it: log2(n) steps over a cache-friendly array, with no
 * limit on the number of ranges (QEMU's table stops at 4,096 sections).
 */
#include "internal.h"

struct GmDispatch {
    unsigned nr;
    hwaddr starts[]; /* starts[i] == ranges[i].start */
};

GmDispatch *gm__dispatch_build(FlatView *fv)
{
    GmDispatch *d = malloc(sizeof(*d) + (size_t)fv->nr * sizeof(hwaddr));
    if (!d) {
        return NULL;
    }
    d->nr = fv->nr;
    for (unsigned i = 0; i < fv->nr; i++) {
        d->starts[i] = fv->ranges[i].start;
    }
    return d;
}

void gm__dispatch_free(GmDispatch *d)
{
    free(d);
}

long gm__dispatch_lookup(const GmDispatch *d, const FlatView *fv, hwaddr addr)
{
    /* Find the last start <= addr. */
    unsigned lo = 0, hi = d->nr;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (d->starts[mid] <= addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == 0) {
        return -1;
    }
    long i = (long)lo - 1;
    return fv->ranges[i].last >= addr ? i : -1;
}

void gm__dispatch_print(FILE *f, const GmDispatch *d, const FlatView *fv)
{
    unsigned levels = 0;
    for (unsigned n = d->nr; n > 1; n = (n + 1) / 2) {
        levels++;
    }
    fprintf(f, "  Dispatch\n");
    fprintf(f, "    Sorted range starts (%u, binary search: at most %u steps)\n",
            d->nr, levels + 1);
    for (unsigned i = 0; i < d->nr; i++) {
        const FlatRange *fr = &fv->ranges[i];
        fprintf(f, "      #%u @%016" PRIx64 "..%016" PRIx64 " %s%s%s\n", i,
                fr->start, fr->last, memory_region_name(fr->mr),
                fr->readonly ? " [RO]" : "",
                fr->mr->ram ? "" : " [MMIO]");
    }
}
