// SPDX-License-Identifier: MIT
/*
 * iommu.c - IOMMU regions and their notifiers.
 *
 * An IOMMU region is a leaf of the tree (it terminates rendering); accesses
 * that reach it are translated by its callback (access path).  Notifiers are
 * a plain list per region: registration is rare and the list is short.
 * The union of the notifiers' flags is passed to notify_flag_changed so the
 * IOMMU model can start or stop generating events.
 */
#include "base.h"
#include "region-int.h"

int gm_memory_region_init_iommu(IOMMUMemoryRegion *iommu_mr, Object *owner,
                                const IOMMUMemoryRegionOps *ops,
                                const char *name, uint64_t size, Error **errp)
{
    if (!iommu_mr || !ops || !ops->translate) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "IOMMU region '%s': region, ops or translate "
                             "callback is NULL",
                             name ? name : "");
    }
    MemoryRegion *mr = &iommu_mr->parent_obj;
    int rc = gm__region_check_init(mr, name, errp);
    if (rc) {
        return rc;
    }
    gm__region_init_common(mr, owner, name, gm__size_from_u64(size));
    mr->terminates = true;
    mr->is_iommu = true;
    iommu_mr->ops = ops;
    iommu_mr->notifiers = NULL;
    iommu_mr->iommu_notify_flags = IOMMU_NOTIFIER_NONE;
    return 0;
}

IOMMUMemoryRegion *memory_region_get_iommu(MemoryRegion *mr)
{
    while (mr && mr->alias) {
        mr = mr->alias;
    }
    if (!mr || !mr->is_iommu) {
        return NULL;
    }
    return caa_container_of(mr, IOMMUMemoryRegion, parent_obj);
}

static IOMMUNotifierFlag union_flags(const IOMMUMemoryRegion *im,
                                     const IOMMUNotifier *extra,
                                     const IOMMUNotifier *without)
{
    IOMMUNotifierFlag f = IOMMU_NOTIFIER_NONE;
    for (const IOMMUNotifier *n = im->notifiers; n; n = n->next) {
        if (n != without) {
            f |= n->notifier_flags;
        }
    }
    if (extra) {
        f |= extra->notifier_flags;
    }
    return f;
}

int memory_region_register_iommu_notifier(MemoryRegion *mr, IOMMUNotifier *n,
                                          Error **errp)
{
    IOMMUMemoryRegion *im = memory_region_get_iommu(mr);
    if (!im) {
        return gm_error_setg(errp, GM_ERR_WRONG_KIND,
                             "'%s' is not an IOMMU region",
                             memory_region_name(mr));
    }
    if (!n || !n->notify || n->notifier_flags == IOMMU_NOTIFIER_NONE ||
        n->start > n->end) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "IOMMU notifier: NULL, no flags, no callback, "
                             "or start > end");
    }
    int nidx = memory_region_iommu_num_indexes(im);
    if (n->iommu_idx < 0 || n->iommu_idx >= nidx) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "IOMMU notifier: index %d out of 0..%d",
                             n->iommu_idx, nidx - 1);
    }
    for (IOMMUNotifier *o = im->notifiers; o; o = o->next) {
        if (o == n) {
            return gm_error_setg(errp, GM_ERR_DUPLICATE,
                                 "IOMMU notifier already registered");
        }
    }
    IOMMUNotifierFlag nf = union_flags(im, n, NULL);
    if (nf != im->iommu_notify_flags && im->ops->notify_flag_changed) {
        int ret =
            im->ops->notify_flag_changed(im, im->iommu_notify_flags, nf, errp);
        if (ret) {
            return ret < 0 ? ret : -GM_ERR_UNSUPPORTED;
        }
    }
    im->iommu_notify_flags = nf;
    n->next = im->notifiers;
    im->notifiers = n;
    return 0;
}

void memory_region_unregister_iommu_notifier(MemoryRegion *mr, IOMMUNotifier *n)
{
    IOMMUMemoryRegion *im = memory_region_get_iommu(mr);
    if (!im || !n) {
        return;
    }
    for (IOMMUNotifier **pp = &im->notifiers; *pp; pp = &(*pp)->next) {
        if (*pp == n) {
            *pp = n->next;
            n->next = NULL;
            IOMMUNotifierFlag nf = union_flags(im, NULL, NULL);
            if (nf != im->iommu_notify_flags && im->ops->notify_flag_changed) {
                im->ops->notify_flag_changed(im, im->iommu_notify_flags, nf,
                                             NULL);
            }
            im->iommu_notify_flags = nf;
            return;
        }
    }
}

void memory_region_notify_iommu(IOMMUMemoryRegion *iommu_mr, int iommu_idx,
                                IOMMUTLBEvent event)
{
    if (!iommu_mr) {
        return;
    }
    hwaddr start = event.entry.iova;
    hwaddr last = event.entry.iova + event.entry.addr_mask;
    for (IOMMUNotifier *n = iommu_mr->notifiers; n; n = n->next) {
        if (n->iommu_idx != iommu_idx || !(n->notifier_flags & event.type)) {
            continue;
        }
        if (n->end < start || n->start > last) {
            continue;
        }
        IOMMUTLBEntry entry = event.entry;
        n->notify(n, &entry);
    }
}

int memory_region_iommu_num_indexes(IOMMUMemoryRegion *iommu_mr)
{
    if (iommu_mr && iommu_mr->ops->num_indexes) {
        int n = iommu_mr->ops->num_indexes(iommu_mr);
        return n > 0 ? n : 1;
    }
    return 1;
}

int memory_region_iommu_attrs_to_index(IOMMUMemoryRegion *iommu_mr,
                                       MemTxAttrs attrs)
{
    if (iommu_mr && iommu_mr->ops->attrs_to_index) {
        return iommu_mr->ops->attrs_to_index(iommu_mr, attrs);
    }
    return 0;
}
