// SPDX-License-Identifier: MIT
/*
 * address-space.c - address spaces and the commit that renders their views.
 *
 * On commit every address space is given the view of its "flat-view root"
 * (render.c): address spaces whose roots lead to the same region share one
 * FlatView, as in QEMU.  A freshly rendered view that equals the one already
 * published is dropped and the old one kept, so readers and listeners see a
 * new view only when something they can observe changed.  Views are
 * published with rcu_assign_pointer and retired through call_rcu.
 */
#include "internal.h"

static void set_view(AddressSpace *as, FlatView *fv)
{
    FlatView *old = as->current_map;
    if (old == fv) {
        return;
    }
    flatview_ref(fv);
    gm_publish(as->current_map, fv);
    flatview_unref(old);
}

/* Renders the view for flat-view root @r and installs it in every address
 * space whose root leads to @r.  Keeps a published view when the new one
 * equals it. Return: false on allocation failure (nothing changed). */
static bool update_root(MemoryRegion *r)
{
    FlatView *fv = gm__render(r);
    if (!fv) {
        return false;
    }
    for (AddressSpace *as = gm__state.as_first; as; as = as->next) {
        FlatView *old = as->current_map;
        if (old && old != fv && gm__flatview_root_of(as->root) == r &&
            gm__flatview_equal(old, fv)) {
            flatview_unref(fv);
            fv = old;
            flatview_ref(fv);
            break;
        }
    }
    for (AddressSpace *as = gm__state.as_first; as; as = as->next) {
        if (gm__flatview_root_of(as->root) == r) {
            set_view(as, fv);
        }
    }
    flatview_unref(fv);
    return true;
}

void gm__update_topology(void)
{
    gm__state.update_pending = false;
    /* Each distinct flat-view root once, in address-space order. */
    for (AddressSpace *as = gm__state.as_first; as; as = as->next) {
        MemoryRegion *r = gm__flatview_root_of(as->root);
        bool seen = false;
        for (AddressSpace *p = gm__state.as_first; p != as; p = p->next) {
            if (gm__flatview_root_of(p->root) == r) {
                seen = true;
                break;
            }
        }
        if (!seen && !update_root(r)) {
            gm__state.update_pending = true;
            Error *err = NULL;
            gm_error_setg(&err, GM_ERR_NO_MEMORY,
                          "out of memory rendering the view of '%s'; the "
                          "previous view stays in place",
                          as->name);
            gm__report(err);
        }
    }
}

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
    gm__rcu_ensure_registered();
    memset(as, 0, sizeof(*as));
    as->name = gm__strdup(name ? name : "anonymous");
    if (!as->name) {
        return gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
    }
    as->root = root;
    /* Share the view of another address space with the same flat-view root
     * if there is one (even mid-transaction: it is the last committed
     * state, as in QEMU); otherwise render it now, so that the new address
     * space is usable at once. */
    MemoryRegion *r = gm__flatview_root_of(root);
    FlatView *fv = NULL;
    for (AddressSpace *o = gm__state.as_first; o; o = o->next) {
        if (o->current_map && gm__flatview_root_of(o->root) == r) {
            fv = o->current_map;
            flatview_ref(fv);
            break;
        }
    }
    if (!fv) {
        fv = gm__render(r);
        if (!fv) {
            free(as->name);
            as->name = NULL;
            return gm_error_setg(errp, GM_ERR_NO_MEMORY,
                                 "out of memory rendering '%s'", name);
        }
    }
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
