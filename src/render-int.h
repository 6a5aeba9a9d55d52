/* SPDX-License-Identifier: MIT */
/*
 * render-int.h - private: rendering a region tree, or a window of it, into
 * flat ranges (render.c), as the commit and the self-checks use it.
 */
#ifndef GUESTMEM_RENDER_INT_H
#define GUESTMEM_RENDER_INT_H

#include "base.h"
#include "view.h"

/* --- rendering (render.c) ---------------------------------------------- */
/* The ranges of a view rendered from @root, clipped to [@lo, @hi], in
 * order and not yet merged (*@out: malloc'ed, the caller frees it). */
bool gm__render_window(MemoryRegion *root, hwaddr lo, hwaddr hi,
                       FlatRange **out, size_t *n);
/* The same; @lists_only: walk every container's list, never its index
 * (what the self-check compares with, sharing the least with commits). */
bool gm__render_clip(MemoryRegion *root, hwaddr lo, hwaddr hi, bool lists_only,
                     FlatRange **out, size_t *n);
/* QEMU's flatview_simplify over @n values of @a. */
void gm__flatview_simplify(FlatRange *a, size_t *n);
/* A whole render of @root into a new view (one reference) with a lineage
 * of its own; NULL when out of memory. */
FlatView *gm__render(MemoryRegion *root);
/* The region whose view an address space with root @mr gets (QEMU's
 * memory_region_get_flatview_root); NULL when nothing can be visible. */
MemoryRegion *gm__flatview_root_of(MemoryRegion *mr);
/* A view of the ranges @vals (merged, in order) with a new lineage. */
FlatView *gm__flatview_build(MemoryRegion *root, const FlatRange *vals,
                             size_t n);
/* The access-path fields of a range value. */
void gm__range_init(FlatRange *fr);

#endif /* GUESTMEM_RENDER_INT_H */
