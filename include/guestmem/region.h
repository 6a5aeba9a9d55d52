/* SPDX-License-Identifier: MIT */
/*
 * guestmem/region.h - MemoryRegion: the nodes of the guest memory tree.
 *
 * A MemoryRegion is one of:
 *  - a container (memory_region_init): groups subregions, has no content of
 *    its own; where no subregion covers it, whatever lies under the container
 *    in its parent shows through;
 *  - RAM (memory_region_init_ram and friends): backed by host memory;
 *  - ROM (memory_region_init_rom): RAM that the guest cannot write;
 *  - a ROM device (memory_region_init_rom_device): reads come from host
 *    memory while in "romd" mode, everything goes to callbacks otherwise;
 *  - MMIO / port I/O (memory_region_init_io): every access calls ops;
 *  - an alias (memory_region_init_alias): a window onto part of another
 *    region, of any kind, at an offset that can change;
 *  - an IOMMU region (iommu.h), a reservation (memory_region_init_reservation).
 *
 * Regions are caller-allocated (usually embedded in a device's state) and
 * initialised in place; guestmem never frees the struct.  A region is placed
 * in a container with memory_region_add_subregion(); among overlapping
 * siblings the higher priority wins and, at equal priority, the one added
 * last.  Changes made between memory_region_transaction_begin() and _commit()
 * (address-space.h) become visible to the guest together at the commit.
 *
 * Sizes are uint64_t, UINT64_MAX meaning 2^64 (the whole address space), as
 * in QEMU.  Lifetime: see gm_memory_region_destroy().
 */
#ifndef GUESTMEM_REGION_H
#define GUESTMEM_REGION_H

#include <guestmem/error.h>
#include <guestmem/object.h>
#include <guestmem/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct MemoryRegion MemoryRegion;
typedef struct RAMBlock RAMBlock;

/**
 * MemoryRegionOps: the callbacks of an MMIO region or ROM device, and the
 * access sizes they take.  The fields and their meaning are QEMU's:
 *
 * @read/@write: plain callbacks; used when the _with_attrs ones are NULL.
 * @read_with_attrs/@write_with_attrs: the same with the access attributes and
 *   a MemTxResult.
 * @endianness: the byte order of the values the callbacks take and give.
 * @valid: what the device accepts.  An access outside these limits fails.
 *   min/max_access_size of 0 mean 1 and 4; @accepts (optional) may refuse
 *   any access.
 * @impl: what the callbacks implement.  Larger accesses are split into
 *   several calls and smaller ones widened, as in QEMU.  0 means: 1 and 4.
 *
 * The access path that honours these is in access.h.
 */
typedef struct MemoryRegionOps {
    uint64_t (*read)(void *opaque, hwaddr addr, unsigned size);
    void (*write)(void *opaque, hwaddr addr, uint64_t data, unsigned size);
    MemTxResult (*read_with_attrs)(void *opaque, hwaddr addr, uint64_t *data,
                                   unsigned size, MemTxAttrs attrs);
    MemTxResult (*write_with_attrs)(void *opaque, hwaddr addr, uint64_t data,
                                    unsigned size, MemTxAttrs attrs);
    enum device_endian endianness;
    struct {
        unsigned min_access_size;
        unsigned max_access_size;
        bool unaligned;
        bool (*accepts)(void *opaque, hwaddr addr, unsigned size, bool is_write,
                        MemTxAttrs attrs);
    } valid;
    struct {
        unsigned min_access_size;
        unsigned max_access_size;
        bool unaligned;
    } impl;
} MemoryRegionOps;

/* Dirty-log clients (dirty.h), as bit numbers in a region's log mask. */
#define DIRTY_MEMORY_VGA 0
#define DIRTY_MEMORY_CODE 1
#define DIRTY_MEMORY_MIGRATION 2
#define DIRTY_MEMORY_NUM 3

/* RAM flags for memory_region_init_ram_flags_nomigrate() and the file/fd
 * constructors (QEMU's values). */
#define RAM_PREALLOC (1 << 0) /* host memory supplied by the caller */
#define RAM_SHARED (1 << 1)   /* MAP_SHARED rather than MAP_PRIVATE */
#define RAM_RESIZEABLE (1 << 2)
#define RAM_UF_ZEROPAGE (1 << 3)
#define RAM_MIGRATABLE (1 << 4)
#define RAM_PMEM (1 << 5) /* persistent memory */
#define RAM_UF_WRITEPROTECT (1 << 6)
#define RAM_NORESERVE (1 << 7) /* do not reserve swap space */
#define RAM_PROTECTED (1 << 8)

/**
 * struct MemoryRegion - one node of the memory tree.
 *
 * The fields above "private:" may be read (under the update lock, or by the
 * thread that owns the region before it is mapped); change them only through
 * the functions below, which keep the flat views and listeners in step.
 */
struct MemoryRegion {
    Object *owner; /* pinned while the region is in use; may be NULL */
    const MemoryRegionOps *ops; /* MMIO callbacks, or NULL */
    void *opaque;               /* first argument of every callback */
    MemoryRegion *container;    /* the region this one is mapped in, or NULL */
    Int128 size;                /* in bytes; may be 2^64 */
    hwaddr addr;                /* offset inside the container */
    MemoryRegion *alias;        /* target of an alias, or NULL */
    hwaddr alias_offset;        /* where the alias window starts in @alias */
    int32_t priority;           /* relative to siblings only */
    bool ram;                   /* RAM or ROM: host memory backs it */
    bool rom_device;
    bool romd_mode; /* ROM device: reads go to host memory */
    bool readonly;  /* the guest cannot write (ROM, set_readonly) */
    bool nonvolatile;
    bool ram_device; /* host memory of a device (e.g. a BAR) */
    bool enabled;
    bool terminates; /* a leaf: accesses stop here */
    bool is_iommu;
    uint8_t dirty_log_mask; /* bit per DIRTY_MEMORY_* client logging it */
    char *name;             /* owned copy; may be NULL */
    RAMBlock *ram_block;    /* host memory of RAM, ROM and ROM devices */
    /* private: */
    MemoryRegion *subregions; /* first child: highest priority, newest first */
    MemoryRegion *sibling_next;
    MemoryRegion *sibling_prev;
    unsigned nr_subregions;
    uint64_t sibling_seq; /* order among siblings: newer is larger */
    /* The container's index of its subregions by address (a treap keyed by
     * addr, with the greatest last address of each subtree), so that a
     * commit renders only the subregions that meet a changed window. */
    MemoryRegion *index_root; /* as a container */
    bool index_built;         /* made on first use, then kept in step */
    MemoryRegion *index_left, *index_right;
    uint64_t index_max_last;
    /* The aliases whose target this is, and this alias among its target's. */
    MemoryRegion *alias_user_first;
    MemoryRegion *alias_user_next, *alias_user_prev;
    struct GmLineage *lineage; /* flat views rendered from this region */
    unsigned alias_users;      /* aliases whose target this is */
    unsigned root_users;       /* address spaces whose root this is */
    unsigned long view_refs;   /* flat ranges referring to it (atomic) */
    unsigned long map_users;   /* live maps and caches into it (atomic) */
    uint32_t magic;            /* set by the init functions */
    uint16_t log_count[2];     /* memory_region_set_log() per VGA/CODE */
    bool flush_coalesced_mmio;
    unsigned nr_coalesced;
    struct GmCoalescedRange *coalesced; /* memory_region_add_coalescing() */
    unsigned ioeventfd_nb;
    struct GmIoeventfd *ioeventfds; /* sorted as QEMU sorts them */
    void (*destructor)(MemoryRegion *mr);
};

/* ----------------------------------------------------------------------
 * Initialisation.  Each init function fills a caller-allocated region in
 * place (any previous content is ignored); the undo is
 * gm_memory_region_destroy().  @name is copied and may be NULL.  Sizes are
 * in bytes, UINT64_MAX meaning 2^64.  A new region is enabled, at address
 * 0, priority 0, in no container.
 * Context (all of them): update side; no RCU read lock needed.
 * ---------------------------------------------------------------------- */

/**
 * memory_region_init: a container.
 * @mr: the region to initialise.  @owner: may be NULL.  @name: may be NULL.
 * @size: 0 to 2^64 (UINT64_MAX).
 */
GM_API void memory_region_init(MemoryRegion *mr, Object *owner,
                               const char *name, uint64_t size);

/**
 * memory_region_init_io: an MMIO or port-I/O region.
 * @ops: callbacks (must outlive the region); NULL gives a region that
 *       refuses every access (as QEMU's unassigned ops).
 * @opaque: passed to every callback.
 */
GM_API void memory_region_init_io(MemoryRegion *mr, Object *owner,
                                  const MemoryRegionOps *ops, void *opaque,
                                  const char *name, uint64_t size);

/**
 * memory_region_init_reservation: reserve an address range; every access to
 * it fails with MEMTX_DECODE_ERROR.  Prints as `i/o`.
 */
GM_API void memory_region_init_reservation(MemoryRegion *mr, Object *owner,
                                           const char *name, uint64_t size);

/**
 * memory_region_init_ram: RAM backed by fresh anonymous host memory.
 * @size: 1 byte to 2^63; the host allocation is rounded up to the page size.
 * Errors: GM_ERR_INVALID_ARG (size 0 or 2^64), GM_ERR_NO_MEMORY (mmap
 * failed).  On error @mr is left uninitialised.
 * Ownership: the host memory belongs to the region and is unmapped by
 * gm_memory_region_destroy().
 * Return: true on success.
 */
GM_API bool memory_region_init_ram(MemoryRegion *mr, Object *owner,
                                   const char *name, uint64_t size,
                                   Error **errp);

/** memory_region_init_ram_nomigrate: as memory_region_init_ram(). */
GM_API bool memory_region_init_ram_nomigrate(MemoryRegion *mr, Object *owner,
                                             const char *name, uint64_t size,
                                             Error **errp);

/**
 * memory_region_init_ram_flags_nomigrate: RAM with RAM_* flags (RAM_SHARED
 * maps the anonymous memory shared, RAM_NORESERVE skips swap reservation).
 * Errors as memory_region_init_ram(); unknown flags: GM_ERR_INVALID_ARG.
 */
GM_API bool
memory_region_init_ram_flags_nomigrate(MemoryRegion *mr, Object *owner,
                                       const char *name, uint64_t size,
                                       uint32_t ram_flags, Error **errp);

/**
 * memory_region_init_resizeable_ram: RAM whose used size can later change
 * between 1 and @max_size (memory_region_ram_resize()); host memory for
 * @max_size is reserved at once.  @resized is called after each resize.
 * Errors: as memory_region_init_ram(); @size > @max_size: GM_ERR_INVALID_ARG.
 */
GM_API bool memory_region_init_resizeable_ram(
    MemoryRegion *mr, Object *owner, const char *name, uint64_t size,
    uint64_t max_size,
    void (*resized)(const char *idstr, uint64_t length, void *host),
    Error **errp);

/**
 * memory_region_init_ram_from_file: RAM backed by a file (mem-path).
 * @path: a regular file or a directory (a temporary file is made in it and
 *        unlinked), including a hugetlbfs mount.  A missing file is created
 *        and an empty one sized to @size, as QEMU 7.2 does; a file that
 *        holds data must hold at least @size bytes (rounded up to its
 *        pages) and is never grown, truncated or written by the call.
 * @align: alignment of the host mapping, 0 for the file's page size.
 * @ram_flags: RAM_SHARED for MAP_SHARED (guest stores reach the file),
 *             RAM_PMEM, RAM_NORESERVE.
 * @readonly: open the file read-only and map it private; the region is
 *            read-only (guest writes are refused), as in QEMU.  The file
 *            must exist and hold @size bytes.
 * Errors (docs/ERRORS.md, "Files and descriptors"): GM_ERR_INVALID_ARG (a
 * file smaller than the region, an empty read-only file), GM_ERR_IO (the
 * file cannot be opened, sized or mapped: the reason from the host is in
 * the message), GM_ERR_DUPLICATE (the block's id is taken).  Nothing is
 * left behind on error: a file created by the call is removed again.
 */
GM_API bool memory_region_init_ram_from_file(MemoryRegion *mr, Object *owner,
                                             const char *name, uint64_t size,
                                             uint64_t align, uint32_t ram_flags,
                                             const char *path, bool readonly,
                                             Error **errp);

/**
 * memory_region_init_ram_from_fd: RAM backed by an open file descriptor
 * (a memfd, a file, a hugetlbfs file) from @offset.  The region keeps its
 * own duplicate of @fd; the caller keeps @fd.
 * Errors: GM_ERR_IO (the descriptor cannot be sized or mapped),
 * GM_ERR_INVALID_ARG.
 */
GM_API bool memory_region_init_ram_from_fd(MemoryRegion *mr, Object *owner,
                                           const char *name, uint64_t size,
                                           uint32_t ram_flags, int fd,
                                           ram_addr_t offset, Error **errp);

/**
 * memory_region_init_ram_ptr: RAM backed by host memory the caller owns.
 * @ptr: @size bytes that must stay valid until the region is destroyed.
 */
GM_API void memory_region_init_ram_ptr(MemoryRegion *mr, Object *owner,
                                       const char *name, uint64_t size,
                                       void *ptr);

/**
 * memory_region_init_ram_device_ptr: like memory_region_init_ram_ptr(), for
 * memory of a device (a mapped PCI BAR); prints as `ramd`, and accesses from
 * the API go through the MMIO path at their exact size.
 */
GM_API void memory_region_init_ram_device_ptr(MemoryRegion *mr, Object *owner,
                                              const char *name, uint64_t size,
                                              void *ptr);

/**
 * memory_region_init_rom: read-only RAM.  Guest writes are dropped; load
 * content with memory_region_get_ram_ptr() or the ROM loader.
 */
GM_API bool memory_region_init_rom(MemoryRegion *mr, Object *owner,
                                   const char *name, uint64_t size,
                                   Error **errp);

/** memory_region_init_rom_nomigrate: as memory_region_init_rom(). */
GM_API bool memory_region_init_rom_nomigrate(MemoryRegion *mr, Object *owner,
                                             const char *name, uint64_t size,
                                             Error **errp);

/**
 * memory_region_init_rom_device: host memory plus callbacks.  In romd mode
 * (the initial state) reads come from host memory and writes go to @ops;
 * out of it, everything goes to @ops.
 */
GM_API bool memory_region_init_rom_device(MemoryRegion *mr, Object *owner,
                                          const MemoryRegionOps *ops,
                                          void *opaque, const char *name,
                                          uint64_t size, Error **errp);

/**
 * memory_region_init_alias: a window of @size bytes onto @orig from
 * @offset.  @orig may be any kind of region, an alias included, and need not
 * be mapped anywhere.  While the alias exists @orig cannot be destroyed.
 * Misuse (@orig NULL or not initialised, @offset + @size past 2^64) is
 * reported to the error handler and leaves @mr an empty container; use
 * gm_memory_region_init_alias() to get the error.
 */
GM_API void memory_region_init_alias(MemoryRegion *mr, Object *owner,
                                     const char *name, MemoryRegion *orig,
                                     hwaddr offset, uint64_t size);

/** gm_memory_region_init_alias: memory_region_init_alias() with an error.
 * Return: 0, or -GM_ERR_INVALID_ARG / -GM_ERR_RANGE_OVERFLOW (then @mr is
 * left uninitialised). */
GM_API int gm_memory_region_init_alias(MemoryRegion *mr, Object *owner,
                                       const char *name, MemoryRegion *orig,
                                       hwaddr offset, uint64_t size,
                                       Error **errp);

/**
 * gm_memory_region_destroy: undo an init function.
 *
 * A region in a container, the target of an alias, or the root of an address
 * space is still in use: the call fails with GM_ERR_IN_USE and changes
 * nothing.  A container's subregions are removed from it first (they stay
 * initialised).  If retired flat views still refer to the region, the call
 * waits for an RCU grace period so that no reader can still reach it.  After
 * success the struct may be freed or reused; host memory owned by the region
 * is released.
 * Context: update side, outside rcu_read_lock() and outside a transaction
 * if the region was ever visible (GM_ERR_IN_USE otherwise).
 * Return: 0 or -GM_ERR_IN_USE / -GM_ERR_INVALID_ARG.
 */
GM_API int gm_memory_region_destroy(MemoryRegion *mr, Error **errp);

/* ----------------------------------------------------------------------
 * Placing regions.  Changes become visible at the commit of the outermost
 * transaction (immediately when none is open).
 * ---------------------------------------------------------------------- */

/**
 * memory_region_add_subregion: map @subregion at @offset inside @mr, at
 * priority 0, not expected to overlap siblings (overlaps still resolve by
 * priority and age, as in QEMU).
 *
 * Misuse changes nothing and is reported to the error handler:
 * @subregion already in a container (GM_ERR_HAS_CONTAINER), @mr an alias or
 * not a container-capable region (GM_ERR_WRONG_KIND), @offset + size past
 * 2^64 (GM_ERR_RANGE_OVERFLOW), a cycle (GM_ERR_ALIAS_CYCLE: @mr inside
 * @subregion, directly or through aliases).
 * Ownership: @mr holds a use of @subregion until memory_region_del_subregion().
 * Context: update side.
 */
GM_API void memory_region_add_subregion(MemoryRegion *mr, hwaddr offset,
                                        MemoryRegion *subregion);

/**
 * memory_region_add_subregion_overlap: as memory_region_add_subregion(), at
 * @priority.  Higher priority hides lower among @mr's children; at equal
 * priority the subregion added last wins.
 */
GM_API void memory_region_add_subregion_overlap(MemoryRegion *mr, hwaddr offset,
                                                MemoryRegion *subregion,
                                                int priority);

/** gm_memory_region_add_subregion: the add functions with an error.
 * Return: 0 or a negative GmErrorCode (see memory_region_add_subregion()). */
GM_API int gm_memory_region_add_subregion(MemoryRegion *mr, hwaddr offset,
                                          MemoryRegion *subregion, int priority,
                                          Error **errp);

/**
 * memory_region_del_subregion: unmap @subregion from @mr.
 * Misuse (@subregion not a child of @mr: GM_ERR_NOT_CHILD) changes nothing
 * and is reported to the error handler.
 */
GM_API void memory_region_del_subregion(MemoryRegion *mr,
                                        MemoryRegion *subregion);

/** gm_memory_region_del_subregion: memory_region_del_subregion() with an error. */
GM_API int gm_memory_region_del_subregion(MemoryRegion *mr,
                                          MemoryRegion *subregion,
                                          Error **errp);

/* ----------------------------------------------------------------------
 * Properties.  Setters report misuse to the error handler and change
 * nothing; each has a gm_ twin returning the error.  Context: update side.
 * ---------------------------------------------------------------------- */

/** memory_region_set_enabled: show or hide @mr (and everything under it). */
GM_API void memory_region_set_enabled(MemoryRegion *mr, bool enabled);

/** memory_region_set_readonly: make guest writes through @mr fail (for RAM,
 * and for everything seen through an alias). */
GM_API void memory_region_set_readonly(MemoryRegion *mr, bool readonly);

/** memory_region_set_nonvolatile: mark @mr's memory persistent (prints `nv-`). */
GM_API void memory_region_set_nonvolatile(MemoryRegion *mr, bool nonvolatile);

/**
 * memory_region_set_address: move @mr inside its container.  A real move
 * removes and re-adds @mr, so it becomes the newest among siblings of its
 * priority (QEMU's behaviour); setting the current address does nothing.
 * Misuse: GM_ERR_RANGE_OVERFLOW.
 */
GM_API void memory_region_set_address(MemoryRegion *mr, hwaddr addr);
GM_API int gm_memory_region_set_address(MemoryRegion *mr, hwaddr addr,
                                        Error **errp);

/** memory_region_set_alias_offset: move an alias's window inside its target.
 * Misuse: not an alias (GM_ERR_WRONG_KIND), past 2^64 (GM_ERR_RANGE_OVERFLOW). */
GM_API void memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset);
GM_API int gm_memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset,
                                             Error **errp);

/**
 * memory_region_set_size: change @mr's size (UINT64_MAX: 2^64).  For RAM this
 * changes only the guest-visible window (use memory_region_ram_resize() to
 * resize resizeable RAM): it cannot exceed the host memory
 * (GM_ERR_INVALID_ARG).  Past 2^64 at its address: GM_ERR_RANGE_OVERFLOW.
 */
GM_API void memory_region_set_size(MemoryRegion *mr, uint64_t size);
GM_API int gm_memory_region_set_size(MemoryRegion *mr, uint64_t size,
                                     Error **errp);

/** memory_region_rom_device_set_romd: switch a ROM device in or out of romd
 * mode.  Misuse: not a ROM device (GM_ERR_WRONG_KIND). */
GM_API void memory_region_rom_device_set_romd(MemoryRegion *mr, bool romd_mode);

/** gm_memory_region_set_priority: change @mr's priority among its siblings;
 * like a move, it re-inserts @mr as the newest of its new priority.
 * (QEMU has no such call; there one deletes and re-adds.) */
GM_API int gm_memory_region_set_priority(MemoryRegion *mr, int priority,
                                         Error **errp);

/**
 * memory_region_set_log: start or stop dirty logging of @mr for @client
 * (DIRTY_MEMORY_VGA or _CODE; migration logging is global).
 */
GM_API void memory_region_set_log(MemoryRegion *mr, bool log, unsigned client);

/* ----------------------------------------------------------------------
 * Queries.  Context: any thread that owns the region or holds the update
 * lock.
 * ---------------------------------------------------------------------- */

/** memory_region_size: the size, with 2^64 given as UINT64_MAX. */
GM_API uint64_t memory_region_size(const MemoryRegion *mr);
/** memory_region_name: the name ("" for none); owned by @mr. */
GM_API const char *memory_region_name(const MemoryRegion *mr);
GM_API bool memory_region_is_ram(const MemoryRegion *mr);
GM_API bool memory_region_is_ram_device(const MemoryRegion *mr);
GM_API bool memory_region_is_romd(const MemoryRegion *mr);
GM_API bool memory_region_is_rom(const MemoryRegion *mr);
GM_API bool memory_region_is_nonvolatile(const MemoryRegion *mr);
GM_API bool memory_region_is_iommu(const MemoryRegion *mr);
GM_API bool memory_region_is_enabled(const MemoryRegion *mr);
/** memory_region_is_mapped: whether @mr is in a container or is an
 * address-space root. */
GM_API bool memory_region_is_mapped(const MemoryRegion *mr);
/** memory_region_get_dirty_log_mask: the DIRTY_MEMORY_* clients logging @mr:
 * those set with memory_region_set_log(), plus DIRTY_MEMORY_MIGRATION for
 * migratable RAM (and IOMMU regions) while global dirty tracking is on, as
 * QEMU 7.2 computes it (without its TCG-only DIRTY_MEMORY_CODE bit). */
GM_API uint8_t memory_region_get_dirty_log_mask(const MemoryRegion *mr);
/** memory_region_owner: the owner given at init (may be NULL). */
GM_API Object *memory_region_owner(const MemoryRegion *mr);
/**
 * memory_region_get_ram_ptr: host address of the first byte of @mr's memory
 * (through aliases).  NULL if @mr is not backed by host memory.
 * Valid until the backing region is destroyed.
 */
GM_API void *memory_region_get_ram_ptr(MemoryRegion *mr);

/**
 * gm_memory_region_type: the kind QEMU's `info mtree` prints for @mr: "ram",
 * "rom", "romd", "ramd" or "i/o" (containers and MMIO), following aliases to
 * their final target.
 */
GM_API const char *gm_memory_region_type(const MemoryRegion *mr);

/** RAM_ADDR_INVALID: what memory_region_get_ram_addr() gives without RAM. */
#define RAM_ADDR_INVALID (~(ram_addr_t)0)

/**
 * memory_region_get_ram_addr: where @mr's host memory starts in the
 * ram_addr_t space (the space of the dirty bitmaps), chosen as QEMU's
 * find_ram_offset chooses it; RAM_ADDR_INVALID if @mr has no host memory.
 */
GM_API ram_addr_t memory_region_get_ram_addr(MemoryRegion *mr);

/** memory_region_ref/unref: pin @mr's owner (QEMU's rule; no-op without one). */
GM_API void memory_region_ref(MemoryRegion *mr);
GM_API void memory_region_unref(MemoryRegion *mr);

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_REGION_H */
