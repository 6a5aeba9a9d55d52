/* SPDX-License-Identifier: MIT */
/*
 * internal.h - private layouts and helpers shared by the files of src/.
 *
 * Nothing here is part of the API.  Conventions used throughout src/:
 *  - ranges are closed, [start, last], in 64 bits; only rendering works in
 *    128-bit arithmetic, because a region can be 2^64 bytes long and aliases
 *    can move the base below zero;
 *  - functions named gm__* are shared between files; static helpers are not
 *    prefixed;
 *  - every public entry checks its arguments before changing anything.
 */
#ifndef GUESTMEM_INTERNAL_H
#define GUESTMEM_INTERNAL_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu/urcu-memb.h>

#include <guestmem/guestmem.h>
#include <guestmem/listener.h>
#include <guestmem/dirty.h>
#include <guestmem/ramblock.h>

/* Cheap invariant checks on our own state (never on caller input). */
#define gm_assert(x)                                 \
    do {                                             \
        if (!(x)) {                                  \
            gm__assert_fail(#x, __FILE__, __LINE__); \
        }                                            \
    } while (0)
#ifdef GM_EXPENSIVE_CHECKS
#define gm_assert_expensive(x) gm_assert(x)
#else
#define gm_assert_expensive(x) ((void)0)
#endif
void gm__assert_fail(const char *expr, const char *file, int line)
    __attribute__((noreturn));

#define GM_MR_MAGIC 0x4d52676dU /* "gmRM": set by every region init */
#define GM_AS_MAGIC 0x5341676dU

typedef unsigned __int128 gm_u128;

/* Publication of a pointer to readers (release) and its reading
 * (acquire).  On x86 both are plain moves; written with C11 atomics so
 * that ThreadSanitizer sees the ordering that RCU relies on. */
#define gm_publish(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define gm_consume(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)

/* ThreadSanitizer cannot see liburcu's grace periods (membarrier); these
 * annotations give it the same edges: every read-side section's end
 * happens before any reclamation that waited for it. */
#if defined(__SANITIZE_THREAD__)
#define GM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GM_TSAN 1
#endif
#endif
#ifdef GM_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
extern char gm__tsan_grace;
#define gm_tsan_reader_done() __tsan_release(&gm__tsan_grace)
#define gm_tsan_grace_over() __tsan_acquire(&gm__tsan_grace)
#else
#define gm_tsan_reader_done() ((void)0)
#define gm_tsan_grace_over() ((void)0)
#endif

/* --- errors ----------------------------------------------------------- */
struct Error {
    GmErrorCode code;
    char *msg;
};
/* Hands @err to the installed handler (for QEMU's void functions), then
 * frees it.  NULL is a no-op. */
void gm__report(Error *err);

/* --- objects ---------------------------------------------------------- */
struct Object {
    unsigned long refcount;
    bool is_device;
    char path[];
};

/* --- RAM blocks ------------------------------------------------------- */
struct RAMBlock {
    MemoryRegion *mr;
    uint8_t *host;     /* first byte of guest memory */
    ram_addr_t offset; /* in the ram_addr_t space */
    ram_addr_t used_length;
    ram_addr_t max_length;
    void (*resized)(const char *idstr, uint64_t length, void *host);
    uint32_t flags;
    int fd; /* -1 for anonymous memory */
    size_t page_size;
    void *mmap_base; /* what to munmap, or NULL if not ours */
    size_t mmap_size;
    RAMBlock *next; /* the block list, newest first */
    RAMBlock *prev;
    uint64_t seq;  /* creation order (ram-offsets.c) */
    uint64_t gap;  /* free bytes after its rounded end */
    bool gap_last; /* no block after it */
    char *idstr;   /* QEMU's id, at most 255 characters */
};
RAMBlock *gm__ramblock_new_anon(MemoryRegion *mr, uint64_t size,
                                uint64_t max_size, uint32_t flags,
                                Error **errp);
RAMBlock *gm__ramblock_new_ptr(MemoryRegion *mr, uint64_t size, void *host);
RAMBlock *gm__ramblock_new_fd(MemoryRegion *mr, uint64_t size, uint32_t flags,
                              int fd, uint64_t offset, bool readonly,
                              Error **errp);
RAMBlock *gm__ramblock_new_file(MemoryRegion *mr, uint64_t size, uint64_t align,
                                uint32_t flags, const char *path, bool readonly,
                                Error **errp);
void gm__ramblock_free(RAMBlock *rb);
/* ram-offsets.c: QEMU's find_ram_offset, fast; and the index behind it. */
uint64_t gm__ram_offset_find(uint64_t size);
bool gm__ram_offset_insert(RAMBlock *rb);
void gm__ram_offset_remove(RAMBlock *rb);

/* --- flat views, lineages and dispatch: view.h ------------------------- */
/* (included below, after the state and the region helpers it uses) */

/* A growable array of regions. */
typedef struct GmRegions {
    MemoryRegion **r;
    size_t n, cap;
    bool failed;
} GmRegions;
bool gm__regions_push(GmRegions *v, MemoryRegion *mr);

/* --- global state (state.c) --------------------------------------------
 * Everything process-wide lives in this one struct, as QEMU's API implies
 * (system memory, the address-space list, the transaction depth). */
typedef struct GmState {
    bool memory_inited;
    MemoryRegion system_memory;
    MemoryRegion system_io;
    AddressSpace as_memory;
    AddressSpace as_io;
    bool io_inited;
    AddressSpace *as_first;
    AddressSpace *as_last;
    unsigned transaction_depth;
    bool update_pending;              /* a view may have changed: render */
    bool notify_pending;              /* QEMU's memory_region_update_pending */
    bool ioeventfd_pending;           /* QEMU's ioeventfd_update_pending */
    bool in_update;                   /* listeners are being called */
    struct MemoryListener *listeners; /* all, by priority */
    struct MemoryListener *listeners_last;
    unsigned global_dirty_tracking; /* GLOBAL_DIRTY_* */
    GmErrorHandler error_handler;
    void *error_opaque;
    RAMBlock *ram_blocks; /* newest first */
    MemoryRegionOps unassigned_io_ops;
    /* KVM VMs that take ioeventfds (kvm.c): while there is none, a guest
     * write that matches one signals it in the access path, as QEMU does
     * without kvm_eventfds_enabled(). */
    unsigned kvm_eventfds;
    /* The lineages of views (commit.c): one per flat-view root in use, and
     * the one of address spaces that show nothing. */
    struct GmLineage *lineages;
    struct GmLineage *empty_lineage;
    uint64_t sibling_seq; /* subregions.c */
    bool all_marked;      /* every lineage renders whole at the commit */
} GmState;
extern GmState gm__state;

void gm__rcu_register_slow(void);
extern __thread bool gm__rcu_registered
    __attribute__((tls_model("initial-exec")));
static inline void gm__rcu_ensure_registered(void)
{
    if (__builtin_expect(!gm__rcu_registered, 0)) {
        gm__rcu_register_slow();
    }
}
/* address_space_translate() in view @fv (caller inside a read-side
 * section; *@len in/out, at least 1), and whether the path is read-only,
 * from the same view. */
MemoryRegion *gm__translate(struct FlatView *fv, hwaddr addr, hwaddr *xlat,
                            hwaddr *len, bool is_write, MemTxAttrs attrs,
                            bool *readonly);
/* Host memory behind RAM devices is accessed through these ops. */
extern const MemoryRegionOps gm__ram_device_ops;
/* The RAM block whose host memory contains @host, or NULL. */
RAMBlock *gm__ramblock_from_host(const void *host, ram_addr_t *offset);

/* --- the commit (commit.c) -------------------------------------------------
 * Every change to the tree runs inside gm__begin() .. gm__commit() and
 * calls gm__mark() on the region it changes, before and after the change:
 * the commit re-renders what was marked. */
void gm__begin(void);
void gm__commit(void);
/* Does the work left pending (outside any transaction, lock held). */
void gm__commit_outermost(void);
/* The windows @mr's extent shows in must be rendered again. */
void gm__mark(MemoryRegion *mr);
/* The ioeventfds of @mr changed: recompute them where it shows. */
void gm__mark_fds(MemoryRegion *mr);
/* Every view must be rendered whole. */
void gm__mark_all(void);
/* The lineage of views of an address space rooted at @root: the existing
 * one of its flat-view root, or a whole render; NULL when out of memory. */
struct GmLineage *gm__lineage_of(MemoryRegion *root);
/* Ends @lin if no address space shows it any more (its views stay until
 * released; what they name is then freed). */
void gm__lineage_release(struct GmLineage *lin);
/* Ends every lineage (gm_reset, once no address space is left). */
void gm__lineages_end_all(void);

/* --- listeners (listener.c) ------------------------------------------------ */
struct GmCoalescedRange {
    hwaddr start; /* inside the region */
    uint64_t size;
};
struct GmIoeventfd {
    gm_u128 start; /* region offset, or address once delivered */
    gm_u128 size;  /* 0: any access size */
    bool match_data;
    uint64_t data;
    EventNotifier *e;
};
/* QEMU's begin and commit rounds over every listener. */
void gm__listeners_begin(void);
void gm__listeners_end(void);
/* One of the two passes over the ranges that changed (old and new, each in
 * address order): deletions (@adding false), or additions and what stayed. */
struct FlatRange;
void gm__topology_pass(AddressSpace *as, struct FlatView *cur,
                       const struct FlatRange *const *old, size_t nold,
                       const struct FlatRange *const *new, size_t nnew,
                       bool adding);
/* Recomputes the ioeventfds of @as that meet [@lo, @hi] and delivers the
 * difference; gm__ioeventfds_update: all of them. */
void gm__ioeventfds_update_span(AddressSpace *as, hwaddr lo, hwaddr hi);
void gm__ioeventfds_update(AddressSpace *as);
void gm__listeners_detach_all(AddressSpace *as);
/* The dirty-log mask of @mr as flat ranges carry it (QEMU's
 * memory_region_get_dirty_log_mask): its own, plus MIGRATION for migratable
 * RAM and IOMMUs while global dirty tracking is on. */
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

/* --- dirty bitmaps (dirty.c) ------------------------------------------------ */
/* Sets the bits; caller inside an RCU read-side section. */
void gm__dirty_set(ram_addr_t start, ram_addr_t length, uint8_t mask);

#define GM_DIRTY_CHUNK_PAGES (UINT64_C(1) << 18) /* 1 GiB of 4 KiB pages */
#define GM_DIRTY_MAX_CHUNKS (1u << 16)           /* 64 TiB of RAM */
/* Per client, a slot per chunk: NULL (clean), the shared all-ones chunk,
 * or a chunk of its own (dirty.c). */
extern uint64_t **gm__dirty_slots[DIRTY_MEMORY_NUM];
extern uint64_t gm__dirty_pages;

/* gm__dirty_set for the common case, inline: an access inside one page of
 * a chunk that exists.  A page already dirty costs a load per client, no
 * locked instruction. */
static inline void gm__dirty_mark(ram_addr_t start, ram_addr_t length,
                                  uint8_t mask)
{
    uint64_t page = start >> GM_DIRTY_PAGE_BITS;
    if (__builtin_expect(
            page != (start + length - 1) >> GM_DIRTY_PAGE_BITS ||
                page >= __atomic_load_n(&gm__dirty_pages, __ATOMIC_RELAXED),
            0)) {
        gm__dirty_set(start, length, mask);
        return;
    }
    uint64_t bit = UINT64_C(1) << (page % 64);
    for (unsigned c = 0; mask; c++, mask >>= 1) {
        if (!(mask & 1)) {
            continue;
        }
        uint64_t **slots =
            __atomic_load_n(&gm__dirty_slots[c], __ATOMIC_ACQUIRE);
        uint64_t *chunk = __atomic_load_n(&slots[page / GM_DIRTY_CHUNK_PAGES],
                                          __ATOMIC_ACQUIRE);
        if (!chunk) {
            gm__dirty_set(start, length, (uint8_t)(1u << c));
            continue;
        }
        uint64_t *w = &chunk[(page % GM_DIRTY_CHUNK_PAGES) / 64];
        if (!(__atomic_load_n(w, __ATOMIC_RELAXED) & bit)) {
            __atomic_fetch_or(w, bit, __ATOMIC_RELAXED);
        }
    }
}
/* The chunk of its own of @client's bitmap that holds @page's bit, made
 * now if the slot is clean or all dirty (it stays for good); NULL when out
 * of memory or beyond the pages RAM blocks span. */
uint64_t *gm__dirty_chunk(unsigned client, uint64_t page);
/* Makes the bitmaps cover @pages pages (update side); false on OOM. */
bool gm__dirty_grow(uint64_t pages);

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
/* Whether [@addr, @addr + @len) goes past the last address, 2^64 - 1: such
 * an access, map or cache is refused whole (it would otherwise wrap to
 * address 0). */
static inline bool gm__crosses_2p64(hwaddr addr, hwaddr len)
{
    return len && addr + (len - 1) < addr;
}

/* Last byte of a region of size @size placed at @addr, or false when the
 * region would go past 2^64 (a size of 0 never overflows). */
static inline bool gm__fits(hwaddr addr, gm_u128 size)
{
    return (gm_u128)addr + size <= ((gm_u128)1 << 64);
}
static inline gm_u128 gm__size_from_u64(uint64_t size)
{
    return size == UINT64_MAX ? ((gm_u128)1 << 64) : size;
}
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

/* The reference walk of gm_resolve() from @mr, whose container starts at
 * @base (explain.c).  Return: 1 if something serves @addr, 0 if nothing,
 * -1 if the walk gave up after GM_RESOLVE_BUDGET steps (only crafted trees
 * of overlapping aliases get there). */
#define GM_RESOLVE_BUDGET (1ul << 23)
/* The regions on the serving path, leaf first, with their window starts. */
#define GM_RESOLVE_PATH_MAX 64
typedef struct GmResolvePath {
    MemoryRegion *mr[GM_RESOLVE_PATH_MAX];
    Int128 base[GM_RESOLVE_PATH_MAX];
    size_t n;
} GmResolvePath;
/* @budget (optional): steps allowed, decremented by those used, shared by
 * a series of calls; NULL: GM_RESOLVE_BUDGET for this call. */
int gm__resolve_at(MemoryRegion *mr, Int128 base, hwaddr addr,
                   MemoryRegionSection *out, GmResolvePath *path,
                   unsigned long *budget);

/* --- small helpers -------------------------------------------------------- */
char *gm__strdup(const char *s);
char *gm__asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

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

#endif /* GUESTMEM_INTERNAL_H */
