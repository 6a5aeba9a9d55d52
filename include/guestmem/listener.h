/* SPDX-License-Identifier: MIT */
/*
 * guestmem/listener.h - memory listeners, coalesced MMIO and ioeventfds.
 *
 * A MemoryListener is how a hypervisor backend (KVM slots, vhost, VFIO) or
 * any other consumer follows an address space: it is told, on every commit
 * of the outermost transaction, exactly what changed between the old and
 * the new FlatView, in QEMU 7.2's order:
 *
 *   begin                      every listener, ascending priority
 *   for each address space, in creation order, if it has listeners:
 *     region_del               ranges gone or changed, in address order,
 *                              listeners in descending priority (each
 *                              preceded by coalesced_io_del for its
 *                              coalesced ranges)
 *     region_add / region_nop  new and unchanged ranges, in address order,
 *                              ascending priority; region_add is followed
 *                              by coalesced_io_add; an unchanged range whose
 *                              dirty-log mask grew gets log_start
 *                              (ascending), one whose mask shrank gets
 *                              log_stop (descending)
 *     eventfd_del / eventfd_add  the ioeventfds that went / came, in QEMU's
 *                              sort order (del ascending, add descending)
 *   commit                     every listener, ascending priority
 *
 * Two ranges are "unchanged" when region, addresses, offset, romd mode,
 * read-only and nonvolatile are equal (the dirty-log mask is not part of
 * it).  A commit after which no view can have changed still runs the round
 * when QEMU would (QEMU renders afresh on every pending commit): listeners
 * then see begin and commit (and region_nop per range, below).  Which
 * changes make a commit pending follows QEMU too (e.g. adding a subregion
 * to an enabled container, even one that is not mapped anywhere).
 *
 * Cost: a commit re-renders only the windows its changes can affect, and
 * the passes run over those windows: the events are the same as QEMU's
 * passes over the whole views, minus region_nop for the ranges outside
 * them.  region_nop asks for every unchanged range by definition, so an
 * address space with a listener that sets it gets both passes over the
 * whole old and new views: O(ranges) per commit for that address space
 * only.  Leave region_nop NULL unless you need it.
 *
 * A listener registered late is replayed the current view (begin, the
 * global log start if dirty tracking is on, region_add and log_start per
 * range, commit); one unregistered sees log_stop and region_del per range.
 *
 * Callbacks run on the thread that commits, with the update lock held; they
 * may read views and regions.  A change to the tree made from a callback
 * is not part of the round being delivered: it is committed in a further
 * round right after this one.  Callbacks that still change the tree after
 * 1,024 rounds in a row (one that moves the very region it is told about
 * never settles) get a GM_ERR_BUSY error through the error handler; the
 * views then show the last round's state, and what changed since is
 * committed with the next commit.  Registering a listener from a callback
 * is refused (-GM_ERR_BUSY).
 * MemoryRegionSection.fv points at the view still published while the
 * passes run (the one being replaced), as in QEMU.
 */
#ifndef GUESTMEM_LISTENER_H
#define GUESTMEM_LISTENER_H

#include <guestmem/address-space.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct EventNotifier - an eventfd (QEMU's type): @rfd == @wfd, or -1
 * when not initialised.
 */
typedef struct EventNotifier {
    int rfd;
    int wfd;
    bool initialized;
} EventNotifier;

/** event_notifier_init: create the eventfd, signalled if @active.
 * Return: 0 or -errno (the notifier is left uninitialised). */
GM_API int event_notifier_init(EventNotifier *e, int active);
/** event_notifier_cleanup: close it; a no-op on an uninitialised one. */
GM_API void event_notifier_cleanup(EventNotifier *e);
/** event_notifier_get_fd: the file descriptor (what KVM is given). */
GM_API int event_notifier_get_fd(const EventNotifier *e);
/** event_notifier_set: signal it.  Return: 0 or -errno. */
GM_API int event_notifier_set(EventNotifier *e);
/** event_notifier_test_and_clear: whether it was signalled; clears it. */
GM_API int event_notifier_test_and_clear(EventNotifier *e);

typedef struct MemoryListener MemoryListener;

/**
 * struct MemoryListener - callbacks for changes of one address space.
 * Every callback may be NULL.  @priority orders listeners: ascending for
 * "forward" calls (add, nop, log_start, begin, commit), descending for
 * "reverse" ones (del, log_stop); among equal priorities, registration
 * order.  @name appears in diagnostics.  The private fields belong to
 * guestmem; zero the whole struct before filling it.
 */
struct MemoryListener {
    void (*begin)(MemoryListener *listener);
    void (*commit)(MemoryListener *listener);
    void (*region_add)(MemoryListener *listener, MemoryRegionSection *section);
    void (*region_del)(MemoryListener *listener, MemoryRegionSection *section);
    void (*region_nop)(MemoryListener *listener, MemoryRegionSection *section);
    void (*log_start)(MemoryListener *listener, MemoryRegionSection *section,
                      int old_mask, int new_mask);
    void (*log_stop)(MemoryListener *listener, MemoryRegionSection *section,
                     int old_mask, int new_mask);
    void (*log_sync)(MemoryListener *listener, MemoryRegionSection *section);
    void (*log_sync_global)(MemoryListener *listener);
    void (*log_clear)(MemoryListener *listener, MemoryRegionSection *section);
    void (*log_global_start)(MemoryListener *listener);
    void (*log_global_stop)(MemoryListener *listener);
    void (*log_global_after_sync)(MemoryListener *listener);
    void (*eventfd_add)(MemoryListener *listener, MemoryRegionSection *section,
                        bool match_data, uint64_t data, EventNotifier *e);
    void (*eventfd_del)(MemoryListener *listener, MemoryRegionSection *section,
                        bool match_data, uint64_t data, EventNotifier *e);
    void (*coalesced_io_add)(MemoryListener *listener,
                             MemoryRegionSection *section, hwaddr addr,
                             hwaddr len);
    void (*coalesced_io_del)(MemoryListener *listener,
                             MemoryRegionSection *section, hwaddr addr,
                             hwaddr len);
    unsigned priority;
    const char *name;
    /* private: */
    AddressSpace *address_space;
    MemoryListener *next, *prev;       /* all listeners, by priority */
    MemoryListener *as_next, *as_prev; /* this address space's */
};

/**
 * memory_listener_register: attach @listener to @as and replay the current
 * view to it (see the file comment).  Misuse (NULL or uninitialised
 * arguments, a listener already registered, both log_sync and
 * log_sync_global set) is reported to the error handler and changes
 * nothing; gm_memory_listener_register() returns it instead.
 * Context: update side; takes the update lock.
 */
GM_API void memory_listener_register(MemoryListener *listener,
                                     AddressSpace *as);
/** gm_memory_listener_register: the same with an error.
 * Return: 0, -GM_ERR_INVALID_ARG or -GM_ERR_BUSY (inside a callback). */
GM_API int gm_memory_listener_register(MemoryListener *listener,
                                       AddressSpace *as, Error **errp);
/**
 * memory_listener_unregister: detach @listener after telling it log_stop
 * and region_del for every range of its view.  A listener not registered
 * is a no-op.  Context: update side.
 */
GM_API void memory_listener_unregister(MemoryListener *listener);

/** address_space_remove_listeners: unregister every listener of @as.
 * address_space_destroy() does this itself (QEMU requires the caller to). */
GM_API void address_space_remove_listeners(AddressSpace *as);

/* --- coalesced MMIO ------------------------------------------------------ */

/**
 * memory_region_add_coalescing: declare [@offset, @offset + @size) of MMIO
 * region @mr as coalesced (writes may be batched by the hypervisor).
 * Listeners are told at once (coalesced_io_add for every range of every
 * view where @mr is visible), as in QEMU; later commits keep them informed.
 * Errors (reported to the handler; nothing changes): @mr invalid, the range
 * empty or outside @mr, out of memory.
 */
GM_API void memory_region_add_coalescing(MemoryRegion *mr, hwaddr offset,
                                         uint64_t size);
/** memory_region_set_coalescing: replace @mr's coalesced ranges by all of
 * it. */
GM_API void memory_region_set_coalescing(MemoryRegion *mr);
/** memory_region_clear_coalescing: remove all of @mr's coalesced ranges
 * (coalesced_io_del to the listeners). */
GM_API void memory_region_clear_coalescing(MemoryRegion *mr);
/** memory_region_set_flush_coalesced / _clear_flush_coalesced: whether an
 * access to @mr must first flush the coalesced-MMIO buffer (the flag the KVM
 * backend reads; clearing keeps it while coalesced ranges remain). */
GM_API void memory_region_set_flush_coalesced(MemoryRegion *mr);
GM_API void memory_region_clear_flush_coalesced(MemoryRegion *mr);
/** gm_memory_region_flush_coalesced: the flag above. */
GM_API bool gm_memory_region_flush_coalesced(const MemoryRegion *mr);

/* --- ioeventfd --------------------------------------------------------------- */

/**
 * memory_region_add_eventfd: signal @e when the guest writes @size bytes
 * (0: any size) at @addr of @mr, with value @data if @match_data.  @data
 * is given in the guest's byte order and stored in the region's, as in
 * QEMU.  Listeners get eventfd_add at the commit (now, outside a
 * transaction).  Errors (reported; nothing changes): @mr or @e invalid,
 * @size not 0/1/2/4/8, the range outside @mr, out of memory.
 */
GM_API void memory_region_add_eventfd(MemoryRegion *mr, hwaddr addr,
                                      unsigned size, bool match_data,
                                      uint64_t data, EventNotifier *e);
/** memory_region_del_eventfd: undo memory_region_add_eventfd() with the
 * same arguments.  Deleting one that is not there is an error
 * (GM_ERR_NOT_FOUND, reported) that changes nothing (QEMU aborts). */
GM_API void memory_region_del_eventfd(MemoryRegion *mr, hwaddr addr,
                                      unsigned size, bool match_data,
                                      uint64_t data, EventNotifier *e);
/** gm_memory_region_del_eventfd: the same with an error.
 * Return: 0, -GM_ERR_INVALID_ARG or -GM_ERR_NOT_FOUND. */
GM_API int gm_memory_region_del_eventfd(MemoryRegion *mr, hwaddr addr,
                                        unsigned size, bool match_data,
                                        uint64_t data, EventNotifier *e,
                                        Error **errp);

/* --- dirty logging, globally -------------------------------------------------- */

#define GLOBAL_DIRTY_MIGRATION (1U << 0)
#define GLOBAL_DIRTY_DIRTY_RATE (1U << 1)
#define GLOBAL_DIRTY_LIMIT (1U << 2)
#define GLOBAL_DIRTY_MASK (0x7)

/**
 * memory_global_dirty_log_start: add @flags (GLOBAL_DIRTY_*) to the global
 * dirty tracking.  When tracking goes from off to on, every listener gets
 * log_global_start (ascending) and a commit follows, in which migratable RAM
 * gains DIRTY_MEMORY_MIGRATION in its log mask (log_start per range).
 * Invalid @flags are reported and ignored.
 */
GM_API void memory_global_dirty_log_start(unsigned int flags);
/**
 * memory_global_dirty_log_stop: remove @flags; when tracking goes off, a
 * commit drops the migration bit (log_stop per range), then every listener
 * gets log_global_stop (descending).  guestmem has no VM run state, so the
 * stop is never deferred as QEMU defers it for a stopped VM.  Stopping
 * flags that are not on is reported and ignored.
 */
GM_API void memory_global_dirty_log_stop(unsigned int flags);
/** gm_global_dirty_tracking: the GLOBAL_DIRTY_* flags now on. */
GM_API unsigned int gm_global_dirty_tracking(void);
/**
 * memory_global_dirty_log_sync: ask every listener to push its dirty log
 * into the bitmaps: log_sync once per logged range of its address space,
 * or log_sync_global once.
 */
GM_API void memory_global_dirty_log_sync(void);
/** memory_global_after_dirty_log_sync: log_global_after_sync to every
 * listener. */
GM_API void memory_global_after_dirty_log_sync(void);
/**
 * memory_region_clear_dirty_bitmap: tell listeners with log_clear that
 * [@start, @start + @len) of @mr was collected (one call per logged range of
 * their view that intersects it, clipped to it).
 */
GM_API void memory_region_clear_dirty_bitmap(MemoryRegion *mr, hwaddr start,
                                             hwaddr len);

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_LISTENER_H */
