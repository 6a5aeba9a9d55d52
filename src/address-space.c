// SPDX-License-Identifier: MIT
/*
 * address-space.c - address spaces: creation, the list, reading the view
 * they publish, and memory_region_find.
 *
 * An address space shows the view of its "flat-view root" (render.c):
 * address spaces whose roots lead to the same region share one lineage of
 * views (commit.c), as they share one FlatView in QEMU.  Views are
 * published with rcu_assign_pointer and retired through call_rcu.
 */
#include "base.h"
#include "state.h"
#include "region-int.h"
#include "view.h"
#include "commit-int.h"
#include "listener-int.h"

int gm_address_space_init(AddressSpace *as, MemoryRegion *root,
                          const char *name, Error **errp)
{
    if (!as) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG, "address space is NULL");
    }
    if (!gm__mr_valid(root)) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "address space '%s': root region NULL or not "
                             "initialised",
                             name ? name : "");
    }
    /* A live address space initialised again would be linked twice into
     * the list (which then loops); a stale magic alone (garbage, or one
     * destroyed) does not count. */
    if (as->magic == GM_AS_MAGIC) {
        for (AddressSpace *o = gm__state.as_first; o; o = o->next) {
            if (o == as) {
                return gm_error_setg(errp, GM_ERR_IN_USE,
                                     "address space '%s' is already "
                                     "initialised; destroy it first",
                                     as->name ? as->name : "");
            }
        }
    }
    gm__rcu_ensure_registered();
    memset(as, 0, sizeof(*as));
    as->name = gm__strdup(name ? name : "anonymous");
    if (!as->name) {
        return gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
    }
    as->root = root;
    /* Share the view of the lineage of its flat-view root if there is one
     * (even mid-transaction: it is the last committed state, as in QEMU);
     * otherwise render it now, so that the new address space is usable at
     * once. */
    GmLineage *lin = gm__lineage_of(root);
    if (!lin) {
        free(as->name);
        as->name = NULL;
        return gm_error_setg(errp, GM_ERR_NO_MEMORY,
                             "out of memory rendering '%s'", name);
    }
    FlatView *fv = lin->current;
    flatview_ref(fv);
    root->root_users++;
    as->magic = GM_AS_MAGIC;
    as->prev = gm__state.as_last;
    if (gm__state.as_last) {
        gm__state.as_last->next = as;
    } else {
        gm__state.as_first = as;
    }
    gm__state.as_last = as;
    gm_publish(as->current_map, fv);
    gm__ioeventfds_update(as);
    return 0;
}

void address_space_init(AddressSpace *as, MemoryRegion *root, const char *name)
{
    Error *err = NULL;
    if (gm_address_space_init(as, root, name, &err)) {
        gm__report(err);
    }
}

void address_space_destroy(AddressSpace *as)
{
    if (!as || as->magic != GM_AS_MAGIC) {
        return;
    }
    gm__listeners_detach_all(as);
    free(as->ioeventfds);
    if (as->prev) {
        as->prev->next = as->next;
    } else {
        gm__state.as_first = as->next;
    }
    if (as->next) {
        as->next->prev = as->prev;
    } else {
        gm__state.as_last = as->prev;
    }
    as->root->root_users--;
    FlatView *fv = as->current_map;
    gm_publish(as->current_map, NULL);
    gm__lineage_release(fv->lin);
    flatview_unref(fv);
    free(as->name);
    memset(as, 0, sizeof(*as));
}

AddressSpace *gm_address_space_find(const char *name)
{
    for (AddressSpace *as = gm__state.as_first; name && as; as = as->next) {
        if (strcmp(as->name, name) == 0) {
            return as;
        }
    }
    return NULL;
}

AddressSpace *gm_address_space_next(AddressSpace *as)
{
    return as ? as->next : gm__state.as_first;
}

FlatView *address_space_to_flatview(AddressSpace *as)
{
    return gm_consume(as->current_map);
}

FlatView *address_space_get_flatview(AddressSpace *as)
{
    gm__rcu_ensure_registered();
    urcu_memb_read_lock();
    FlatView *fv;
    /* The writer may drop the last reference of the view we just loaded;
     * then a newer view is already published: load again. */
    do {
        fv = gm_consume(as->current_map);
    } while (fv && !flatview_tryref(fv));
    gm_tsan_reader_done();
    urcu_memb_read_unlock();
    return fv;
}

MemoryRegionSection memory_region_find(MemoryRegion *mr, hwaddr addr,
                                       uint64_t size)
{
    MemoryRegionSection ret = { 0 };
    if (!gm__mr_valid(mr) || size == 0) {
        return ret;
    }
    gm_u128 abs = (gm_u128)addr + mr->addr;
    MemoryRegion *root = mr;
    while (root->container) {
        root = root->container;
        abs += root->addr;
    }
    if (abs >> 64) {
        return ret;
    }
    AddressSpace *as = NULL;
    for (AddressSpace *a = gm__state.as_first; a; a = a->next) {
        if (a->root == root) {
            as = a;
            break;
        }
    }
    if (!as) {
        return ret;
    }
    FlatView *fv = address_space_get_flatview(as);
    const FlatRange *fr = gm__flatview_range(fv, (hwaddr)abs);
    if (fr) {
        gm_u128 want_last = abs + size - 1;
        gm_u128 last = want_last < fr->last ? want_last : fr->last;
        ret.mr = fr->mr;
        ret.fv = fv;
        ret.offset_within_address_space = (hwaddr)abs;
        ret.offset_within_region =
            fr->offset_in_region + ((hwaddr)abs - fr->start);
        ret.size = (Int128)(last - abs + 1);
        ret.readonly = fr->readonly;
        ret.nonvolatile = fr->nonvolatile;
        memory_region_ref(ret.mr);
    }
    flatview_unref(fv);
    return ret;
}
