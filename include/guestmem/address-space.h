/* SPDX-License-Identifier: MIT */
/*
 * guestmem/address-space.h - address spaces, transactions and flat views.
 *
 * An AddressSpace is what a CPU or a device sees: a root MemoryRegion and a
 * name.  The tree under the root is rendered into a FlatView, the sorted
 * list of non-overlapping ranges that says, for every address, which region
 * serves it and at what offset.  Rendering follows QEMU 7.2's rules exactly
 * (priority, age among equal priorities, clipping, aliases, disabled
 * regions, read-only propagation, merging of adjacent pieces).
 *
 * When it changes: at the commit of the outermost transaction
 * (memory_region_transaction_begin/commit), or at once when a change is made
 * outside any transaction.  Address spaces whose roots render the same tree
 * share one FlatView, as in QEMU (all-disabled roots share the empty view).
 *
 * Where the view differs from QEMU 7.2's, on purpose: QEMU looks for a
 * view's root by walking down from the address space's root through an
 * alias that shows all of its target, or a container whose only enabled
 * child covers it from 0, and in doing so drops a read-only (or
 * nonvolatile) flag on the way.  A read-only alias alone at 0 of the root
 * thus leaves QEMU's view writable, and guest writes reach the RAM behind
 * it.  guestmem stops that walk at a read-only or nonvolatile region: the
 * view's ranges keep the flag (writes are refused), its root (`info mtree
 * -f`'s "Root memory region") is that region rather than its target, and
 * such an address space shares its view only with those of the same root.
 *
 * How long a pointer stays valid: a FlatView is immutable once published and
 * reference-counted.  Inside rcu_read_lock() the view returned by
 * address_space_to_flatview() stays valid until rcu_read_unlock(); outside,
 * take a reference with address_space_get_flatview() and drop it with
 * flatview_unref().  Retired views are freed after an RCU grace period.
 *
 * Threads that read views without a reference must be registered with RCU
 * (gm_rcu_register_thread()); see docs/conventions.md.
 */
#ifndef GUESTMEM_ADDRESS_SPACE_H
#define GUESTMEM_ADDRESS_SPACE_H

#include <guestmem/region.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct FlatView FlatView;
typedef struct AddressSpace AddressSpace;

/**
 * struct AddressSpace - a named view of a region tree.
 * @name: owned copy of the name given to address_space_init().
 * @root: the root region (its use count pins it).
 */
struct AddressSpace {
    char *name;
    MemoryRegion *root;
    /* private: */
    FlatView *current_map; /* RCU-published */
    AddressSpace *next;    /* the global list, in creation order */
    AddressSpace *prev;
    uint32_t magic;
    struct MemoryListener *listeners; /* by priority (listener.h) */
    struct MemoryListener *listeners_last;
    struct GmIoeventfd *ioeventfds; /* as delivered to listeners */
    unsigned ioeventfd_nb;
};

/**
 * MemoryRegionSection: one range of a flat view (QEMU's struct).
 * @size: bytes (Int128: may be 2^64).
 * @mr: the region that serves the range (never an alias or container).
 * @fv: the view it comes from (not referenced).
 * @offset_within_region: where the range starts inside @mr.
 * @offset_within_address_space: where it starts in the address space.
 * @readonly: guest writes are refused (ROM, or read-only through an alias).
 * @nonvolatile: persistent memory.
 */
typedef struct MemoryRegionSection {
    Int128 size;
    MemoryRegion *mr;
    FlatView *fv;
    hwaddr offset_within_region;
    hwaddr offset_within_address_space;
    bool readonly;
    bool nonvolatile;
} MemoryRegionSection;

/* ---------------------------------------------------------------------- */

/**
 * get_system_memory: the "system" container (2^64 bytes), created on first
 * use together with the "memory" address space over it.
 * Return: the region; NULL only when the host is out of memory at the
 * first call: the error goes to the error handler, nothing is left half
 * made, and a later call tries again.
 * Context: update side.
 */
GM_API MemoryRegion *get_system_memory(void);

/**
 * get_system_io: the "io" region (64 KiB of port I/O), created on first use
 * with the "I/O" address space over it.  Unassigned port reads return all
 * ones and writes are ignored, as in QEMU.
 * Return: the region; NULL only when out of memory at the first call, as
 * get_system_memory().
 */
GM_API MemoryRegion *get_system_io(void);

/** gm_address_space_memory/io: the "memory" and "I/O" address spaces
 * (created on first use, with get_system_memory()/get_system_io()); NULL
 * only when out of memory at the first call, as get_system_memory(). */
GM_API AddressSpace *gm_address_space_memory(void);
GM_API AddressSpace *gm_address_space_io(void);
#define address_space_memory (*gm_address_space_memory())
#define address_space_io (*gm_address_space_io())

/**
 * address_space_init: make @as a view of @root called @name.
 * Misuse (@root not initialised, @as NULL) is reported to the error handler
 * and leaves @as unusable; see gm_address_space_init().
 * Ownership: @as holds a use of @root until address_space_destroy().
 * Context: update side.
 */
GM_API void address_space_init(AddressSpace *as, MemoryRegion *root,
                               const char *name);
/** gm_address_space_init: address_space_init() with an error.
 * Return: 0 or -GM_ERR_INVALID_ARG / -GM_ERR_NO_MEMORY. */
GM_API int gm_address_space_init(AddressSpace *as, MemoryRegion *root,
                                 const char *name, Error **errp);

/**
 * address_space_destroy: undo address_space_init().  The view is released
 * after an RCU grace period; @as may be reused at once.  NULL or an
 * uninitialised @as is a no-op.
 */
GM_API void address_space_destroy(AddressSpace *as);

/**
 * gm_address_space_find: the first address space (in creation order) named
 * @name, or NULL.
 */
GM_API AddressSpace *gm_address_space_find(const char *name);

/**
 * gm_address_space_next: iterate the address spaces in creation order:
 * NULL gives the first, the last gives NULL.
 */
GM_API AddressSpace *gm_address_space_next(AddressSpace *as);

/**
 * memory_region_transaction_begin/commit: group changes so that they become
 * visible together.  Transactions nest; only the outermost commit renders.
 * A commit without a begin is reported to the error handler and ignored.
 * Context: update side.
 */
GM_API void memory_region_transaction_begin(void);
GM_API void memory_region_transaction_commit(void);
/** gm_transaction_depth: how many transactions are open. */
GM_API unsigned gm_transaction_depth(void);

/* ---------------------------------------------------------------------- */

/**
 * address_space_to_flatview: the current view of @as.
 * Context: inside rcu_read_lock(); valid until rcu_read_unlock().
 */
GM_API FlatView *address_space_to_flatview(AddressSpace *as);

/**
 * address_space_get_flatview: the current view of @as, with a reference.
 * Ownership: drop it with flatview_unref().  Context: any registered thread.
 */
GM_API FlatView *address_space_get_flatview(AddressSpace *as);

GM_API void flatview_ref(FlatView *view);
/** flatview_unref: the last reference frees the view after a grace period.
 * NULL is a no-op. */
GM_API void flatview_unref(FlatView *view);

/** gm_flatview_root: the region the view was rendered from (NULL for the
 * empty view of an address space whose root shows nothing). */
GM_API MemoryRegion *gm_flatview_root(const FlatView *view);

/** gm_flatview_nr: the number of ranges. */
GM_API unsigned gm_flatview_nr(const FlatView *view);

/**
 * gm_flatview_section: range @i (0 <= @i < gm_flatview_nr()) as a section.
 * Return: false if @i is out of range (then *@out is untouched).
 */
GM_API bool gm_flatview_section(FlatView *view, unsigned i,
                                MemoryRegionSection *out);

/**
 * gm_flatview_lookup: the whole range that contains @addr, as a section
 * (@addr - offset_within_address_space is the offset into it).
 * Return: false if nothing is mapped at @addr.
 * Context: hold a reference on @view or the RCU read lock.
 */
GM_API bool gm_flatview_lookup(FlatView *view, hwaddr addr,
                               MemoryRegionSection *out);

/**
 * gm_address_space_check: checks the view @as publishes against a render
 * of the whole tree from scratch (the renderer QEMU's commit always runs),
 * range by range, and the view's own structure: its count of ranges, the
 * dispatch radix and the page words the access path reads, for every
 * range.  For tests and fuzzers of code that changes the tree: a commit
 * renders only the windows a change can affect (docs/design.md), and this
 * is the check that nothing outside them needed it.
 * Cost: a whole render, O(regions + ranges).
 * Return: 0 when they agree; -GM_ERR_MISMATCH with the first difference in
 * @errp; -GM_ERR_INVALID_ARG (@as NULL or not initialised);
 * -GM_ERR_NO_MEMORY.
 * Context: update side, outside a transaction (inside one, the tree may
 * hold changes the view does not show yet: -GM_ERR_BUSY).
 */
GM_API int gm_address_space_check(AddressSpace *as, Error **errp);

/** flatview_cb: called by flatview_for_each_range(); return true to stop. */
typedef bool (*flatview_cb)(Int128 start, Int128 len, const MemoryRegion *mr,
                            hwaddr offset_in_region, void *opaque);

/** flatview_for_each_range: call @cb for every range in address order. */
GM_API void flatview_for_each_range(FlatView *fv, flatview_cb cb, void *opaque);

/**
 * memory_region_find: where [@addr, @addr + @size) of @mr is visible.
 * Follows @mr's containers to a root that is an address space's root and
 * looks the address up in its view.  The returned section's mr is NULL when
 * nothing is found; otherwise it is the region at that address (possibly
 * not @mr, if something hides it), clipped to the requested range, and its
 * mr is pinned with memory_region_ref(): call memory_region_unref() on it.
 * Context: update side or any registered thread.
 */
GM_API MemoryRegionSection memory_region_find(MemoryRegion *mr, hwaddr addr,
                                              uint64_t size);

/* ---------------------------------------------------------------------- */

/** gm_rcu_register_thread/unregister: make the calling thread an RCU reader
 * (liburcu's memb flavour).  The thread that first calls any guestmem
 * function is registered automatically. */
GM_API void gm_rcu_register_thread(void);
GM_API void gm_rcu_unregister_thread(void);
/** gm_rcu_read_lock/unlock: an RCU read-side critical section. */
GM_API void gm_rcu_read_lock(void);
GM_API void gm_rcu_read_unlock(void);

/**
 * gm_reset: destroy every address space, the system regions and all views,
 * and wait for reclamation, returning guestmem to its initial state.  Regions
 * the caller initialised are left alone (detach and destroy them first).
 * For tests and for embedders that restart a machine.  Context: update side.
 */
GM_API void gm_reset(void);

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_ADDRESS_SPACE_H */
