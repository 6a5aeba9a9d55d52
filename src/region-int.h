/* SPDX-License-Identifier: MIT */
/*
 * region-int.h - private: regions (region.c), how they hang together
 * (subregions.c), owners (object.c), and the region properties the
 * renderer and the access path read.
 */
#ifndef GUESTMEM_REGION_INT_H
#define GUESTMEM_REGION_INT_H

#include "base.h"
#include "ramblock-int.h"

#define GM_MR_MAGIC 0x4d52676dU /* "gmRM": set by every region init */

/* --- objects ---------------------------------------------------------- */
struct Object {
    unsigned long refcount;
    bool is_device;
    char path[];
};

/* A growable array of regions. */
typedef struct GmRegions {
    MemoryRegion **r;
    size_t n, cap;
    bool failed;
} GmRegions;
bool gm__regions_push(GmRegions *v, MemoryRegion *mr);

/* --- regions ------------------------------------------------------------ */
static inline bool gm__mr_valid(const MemoryRegion *mr)
{
    return mr && mr->magic == GM_MR_MAGIC;
}
static inline gm_u128 gm__mr_size(const MemoryRegion *mr)
{
    return (gm_u128)mr->size;
}
static inline bool gm__size_nonzero(const MemoryRegion *mr)
{
    return mr->size != 0;
}
/* The access sizes a device implements when its ops leave them 0 (QEMU's
 * defaults: 1 and 4 bytes). */
static inline unsigned gm__impl_min(const MemoryRegionOps *ops)
{
    return ops->impl.min_access_size ? ops->impl.min_access_size : 1;
}
static inline unsigned gm__impl_max(const MemoryRegionOps *ops)
{
    return ops->impl.max_access_size ? ops->impl.max_access_size : 4;
}
/* Whether the device accepts accesses of @size bytes by its valid sizes
 * (a valid maximum of 0 accepts every size, as in QEMU), and the largest
 * size it accepts (4 when it leaves it 0). */
static inline bool gm__valid_size(const MemoryRegionOps *ops, unsigned size)
{
    return !ops->valid.max_access_size || (size <= ops->valid.max_access_size &&
                                           size >= ops->valid.min_access_size);
}
static inline unsigned gm__valid_max(const MemoryRegionOps *ops)
{
    return ops->valid.max_access_size ? ops->valid.max_access_size : 4;
}
/* subregions.c: the sibling list and the address index of a container,
 * and the aliases of a region. */
void gm__subregion_link(MemoryRegion *parent, MemoryRegion *sub);
void gm__subregion_unlink(MemoryRegion *parent, MemoryRegion *sub);
/* Appends to @out the subregions of @c meeting its offsets [@lo, @hi], in
 * list order; false when out of memory. */
bool gm__subregions_meeting(MemoryRegion *c, uint64_t lo, uint64_t hi,
                            GmRegions *out);
/* Sets @mr's size, keeping its container's index in step. */
void gm__subregion_resize(MemoryRegion *mr, gm_u128 size);
void gm__alias_link(MemoryRegion *alias, MemoryRegion *target);
void gm__alias_unlink(MemoryRegion *alias, MemoryRegion *target);
void gm__region_view_ref(MemoryRegion *mr);
void gm__region_view_unref(MemoryRegion *mr);
/* The region's contents start here in host memory (NULL if none). */
uint8_t *gm__region_host(const MemoryRegion *mr);
/* 0, or why @mr cannot be initialised: NULL, or a live region (mapped, a
 * container, an alias target, a root, in a view or a map). */
int gm__region_check_init(MemoryRegion *mr, const char *name, Error **errp);
/* Initialise @mr as RAM over @rb (used by the importer and machines). */
void gm__region_init_common(MemoryRegion *mr, Object *owner, const char *name,
                            gm_u128 size);
bool gm__region_init_ram_flags(MemoryRegion *mr, Object *owner,
                               const char *name, uint64_t size, uint32_t flags,
                               Error **errp);
uint8_t gm__dirty_log_mask(const MemoryRegion *mr);
/* The same from the read side (any thread, while a writer may start or
 * stop global tracking): the global flag read atomically. */
static inline uint8_t gm__dirty_log_mask_now(const MemoryRegion *mr)
{
    uint8_t mask = mr->dirty_log_mask;
    if (gm_global_dirty_tracking() &&
        ((mr->ram_block && (mr->ram_block->flags & RAM_MIGRATABLE)) ||
         mr->is_iommu)) {
        mask |= 1u << DIRTY_MEMORY_MIGRATION;
    }
    return mask;
}

#endif /* GUESTMEM_REGION_INT_H */
