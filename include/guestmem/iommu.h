/* SPDX-License-Identifier: MIT */
/*
 * guestmem/iommu.h - IOMMU memory regions.
 *
 * An IOMMU region sits in a device's address space and translates every
 * access that reaches it: its translate callback turns an I/O virtual
 * address into an IOMMUTLBEntry (target address space, translated address,
 * the size of the mapping as a mask, and the permissions).  Notifiers
 * registered on the region hear of mapping changes (MAP and UNMAP events),
 * so that e.g. vhost or VFIO can keep their own tables in step.
 *
 * QEMU builds IOMMU regions through QOM classes; guestmem takes the class's
 * callbacks as an IOMMUMemoryRegionOps table instead
 * (gm_memory_region_init_iommu()).  The notifier API keeps QEMU's names.
 */
#ifndef GUESTMEM_IOMMU_H
#define GUESTMEM_IOMMU_H

#include <guestmem/region.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct AddressSpace AddressSpace;
typedef struct IOMMUMemoryRegion IOMMUMemoryRegion;

/** IOMMUAccessFlags: permissions of a translation (QEMU's values). */
typedef enum {
    IOMMU_NONE = 0,
    IOMMU_RO = 1,
    IOMMU_WO = 2,
    IOMMU_RW = 3,
} IOMMUAccessFlags;

#define IOMMU_ACCESS_FLAG(r, w) (((r) ? IOMMU_RO : 0) | ((w) ? IOMMU_WO : 0))

/**
 * IOMMUTLBEntry: one translation.
 * @target_as: where the translated address lives.
 * @iova: the input address, aligned down to the mapping (iova & ~addr_mask).
 * @translated_addr: the output address of the start of the mapping.
 * @addr_mask: mapping size minus one (0xfff for a 4 KiB page).
 * @perm: what the mapping allows; IOMMU_NONE means no mapping (a fault).
 */
typedef struct IOMMUTLBEntry {
    AddressSpace *target_as;
    hwaddr iova;
    hwaddr translated_addr;
    hwaddr addr_mask;
    IOMMUAccessFlags perm;
} IOMMUTLBEntry;

/** IOMMUNotifierFlag: which events a notifier wants. */
typedef enum {
    IOMMU_NOTIFIER_NONE = 0,
    IOMMU_NOTIFIER_UNMAP = 0x1,
    IOMMU_NOTIFIER_MAP = 0x2,
    IOMMU_NOTIFIER_DEVIOTLB_UNMAP = 0x4,
} IOMMUNotifierFlag;

#define IOMMU_NOTIFIER_IOTLB_EVENTS (IOMMU_NOTIFIER_MAP | IOMMU_NOTIFIER_UNMAP)
#define IOMMU_NOTIFIER_ALL \
    (IOMMU_NOTIFIER_IOTLB_EVENTS | IOMMU_NOTIFIER_DEVIOTLB_UNMAP)

/** IOMMUTLBEvent: a MAP or UNMAP of @entry. */
typedef struct IOMMUTLBEvent {
    IOMMUNotifierFlag type;
    IOMMUTLBEntry entry;
} IOMMUTLBEvent;

typedef struct IOMMUNotifier IOMMUNotifier;
typedef void (*IOMMUNotify)(IOMMUNotifier *notifier, IOMMUTLBEntry *data);

/**
 * struct IOMMUNotifier - a listener for mapping changes of one IOMMU region.
 * Fill it with iommu_notifier_init(); the caller owns it.
 */
struct IOMMUNotifier {
    IOMMUNotify notify;
    IOMMUNotifierFlag notifier_flags;
    hwaddr start; /* first IOVA of interest */
    hwaddr end;   /* last IOVA of interest (inclusive) */
    int iommu_idx;
    /* private: */
    IOMMUNotifier *next;
};

/** iommu_notifier_init: fill @n (QEMU's helper). @end is inclusive. */
static inline void iommu_notifier_init(IOMMUNotifier *n, IOMMUNotify fn,
                                       IOMMUNotifierFlag flags, hwaddr start,
                                       hwaddr end, int iommu_idx)
{
    n->notify = fn;
    n->notifier_flags = flags;
    n->start = start;
    n->end = end;
    n->iommu_idx = iommu_idx;
    n->next = NULL;
}

/**
 * IOMMUMemoryRegionOps: the callbacks of an IOMMU (QEMU's
 * IOMMUMemoryRegionClass methods).
 * @translate: required.  Translate @addr for an access of kind @flag
 *   (IOMMU_RO for reads, IOMMU_WO for writes, IOMMU_NONE for a lookup)
 *   under index @iommu_idx.  Return perm IOMMU_NONE for "no mapping".
 *   Called from readers: must not block, may run on any thread.
 * @notify_flag_changed: optional; told when the union of the notifiers'
 *   flags changes.  Return 0, or a negative errno to refuse the notifier.
 * @attrs_to_index: optional; the index for @attrs (default 0).
 * @num_indexes: optional; how many indexes exist (default 1).
 */
typedef struct IOMMUMemoryRegionOps {
    IOMMUTLBEntry (*translate)(IOMMUMemoryRegion *iommu, hwaddr addr,
                               IOMMUAccessFlags flag, int iommu_idx);
    int (*notify_flag_changed)(IOMMUMemoryRegion *iommu,
                               IOMMUNotifierFlag old_flags,
                               IOMMUNotifierFlag new_flags, Error **errp);
    int (*attrs_to_index)(IOMMUMemoryRegion *iommu, MemTxAttrs attrs);
    int (*num_indexes)(IOMMUMemoryRegion *iommu);
} IOMMUMemoryRegionOps;

/**
 * struct IOMMUMemoryRegion - an IOMMU region; embed it in your IOMMU's state
 * and use container_of() in the callbacks.  @parent_obj is an ordinary
 * MemoryRegion for every region function.
 */
struct IOMMUMemoryRegion {
    MemoryRegion parent_obj;
    const IOMMUMemoryRegionOps *ops;
    /* private: */
    IOMMUNotifier *notifiers;
    IOMMUNotifierFlag iommu_notify_flags;
};

/**
 * gm_memory_region_init_iommu: initialise @iommu_mr as an IOMMU region of
 * @size bytes with callbacks @ops (which must outlive it).
 * Errors: @ops or its translate NULL: GM_ERR_INVALID_ARG, nothing changed.
 * Undo: gm_memory_region_destroy(&@iommu_mr->parent_obj).
 * Context: update side.
 * Return: 0 or a negative GmErrorCode.
 */
GM_API int gm_memory_region_init_iommu(IOMMUMemoryRegion *iommu_mr,
                                       Object *owner,
                                       const IOMMUMemoryRegionOps *ops,
                                       const char *name, uint64_t size,
                                       Error **errp);

/** memory_region_get_iommu: the IOMMU region behind @mr (through aliases),
 * or NULL. */
GM_API IOMMUMemoryRegion *memory_region_get_iommu(MemoryRegion *mr);

/**
 * memory_region_register_iommu_notifier: start telling @n of mapping changes.
 * Errors: @n without flags or with start > end (GM_ERR_INVALID_ARG), @mr not
 * an IOMMU (GM_ERR_WRONG_KIND), or refused by notify_flag_changed.
 * Context: update side.  Return: 0 or a negative GmErrorCode.
 */
GM_API int memory_region_register_iommu_notifier(MemoryRegion *mr,
                                                 IOMMUNotifier *n,
                                                 Error **errp);

/** memory_region_unregister_iommu_notifier: stop telling @n; no-op if @n is
 * not registered. */
GM_API void memory_region_unregister_iommu_notifier(MemoryRegion *mr,
                                                    IOMMUNotifier *n);

/**
 * memory_region_notify_iommu: tell every notifier of @iommu_mr registered for
 * @iommu_idx, whose range overlaps the event's and whose flags include the
 * event's type, about @event (QEMU's rules: a MAP goes to MAP notifiers, an
 * UNMAP to UNMAP notifiers).
 */
GM_API void memory_region_notify_iommu(IOMMUMemoryRegion *iommu_mr,
                                       int iommu_idx, IOMMUTLBEvent event);

/** memory_region_iommu_num_indexes: the number of IOMMU indexes (>= 1). */
GM_API int memory_region_iommu_num_indexes(IOMMUMemoryRegion *iommu_mr);

/** memory_region_iommu_attrs_to_index: the index for @attrs. */
GM_API int memory_region_iommu_attrs_to_index(IOMMUMemoryRegion *iommu_mr,
                                              MemTxAttrs attrs);

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_IOMMU_H */
