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

/* The view address space @as gets from this commit: shared with an earlier
 * address space of the same flat-view root, kept if rendering changed
 * nothing, else freshly rendered.  One reference; NULL when out of memory. */
static FlatView *next_view(AddressSpace *as, FlatView **views, unsigned i,
                           bool render)
{
    MemoryRegion *r = gm__flatview_root_of(as->root);
    unsigned j = 0;
    for (AddressSpace *p = gm__state.as_first; p != as; p = p->next, j++) {
        if (gm__flatview_root_of(p->root) == r) {
            flatview_ref(views[j]);
            return views[j];
        }
    }
    (void)i;
    FlatView *old = as->current_map;
    if (!render) {
        flatview_ref(old);
        return old;
    }
    FlatView *fv = gm__render(r);
    if (fv && old && gm__flatview_equal(old, fv)) {
        flatview_unref(fv);
        fv = old;
        flatview_ref(fv);
    }
    return fv;
}

bool gm__update_topology(void)
{
    bool render = gm__state.update_pending;
    bool notify = gm__state.notify_pending;
    unsigned n = 0;
    for (AddressSpace *as = gm__state.as_first; as; as = as->next) {
        n++;
    }
    FlatView **views = calloc(n ? n : 1, sizeof(*views));
    bool ok = views != NULL;
    unsigned i = 0;
    for (AddressSpace *as = gm__state.as_first; ok && as; as = as->next, i++) {
        views[i] = next_view(as, views, i, render);
        ok = views[i] != NULL;
    }
    if (!ok) {
        for (unsigned k = 0; views && k < i; k++) {
            if (views[k]) {
                flatview_unref(views[k]);
            }
        }
        free(views);
        Error *err = NULL;
        gm_error_setg(&err, GM_ERR_NO_MEMORY,
                      "out of memory rendering the flat views; the previous "
                      "views stay in place");
        gm__report(err);
        return false;
    }
    gm__state.update_pending = false;
    gm__state.notify_pending = false;
    /* A view that changed although QEMU would not have been pending is
     * still announced: listeners must never miss a change. */
    i = 0;
    for (AddressSpace *as = gm__state.as_first; as; as = as->next, i++) {
        notify |= views[i] != as->current_map;
    }
    if (notify) {
        gm__state.ioeventfd_pending = false;
    }
    gm__listeners_commit(views, notify);
    free(views);
    return true;
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
