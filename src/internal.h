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

/* --- flat views -------------------------------------------------------- */
typedef struct FlatRange {
    MemoryRegion *mr;
    hwaddr start; /* first address covered */
    hwaddr last;  /* last address covered (closed range) */
    hwaddr offset_in_region;
    /* What the access path needs, precomputed so that a RAM access touches
     * nothing but this struct (gm__flatview_finish). */
    uint8_t *host;     /* host address of start, or NULL */
    bool direct_read;  /* reads copy from host */
    bool direct_write; /* writes copy to host */
    /* MMIO reads of these sizes (the size's own bit: 1, 2, 4, 8) are one
     * call of ops->read with nothing to check but alignment: no accepts,
     * valid and impl both allow the size, little-endian device. */
    uint8_t mmio_read_sizes;
    bool mmio_unaligned; /* ops->valid.unaligned */
    uint8_t dirty_log_mask;
    bool romd_mode;
    bool readonly;
    bool nonvolatile;
    /* What a thread's GmFastRange of this range says (access-inline.h):
     * GM_FAST_* flags, and for GM_FAST_LOG the bitmap base of the one
     * logging client (its chunk made for good at render time). */
    uint32_t fast_flags;
    uint64_t ram_start; /* ram_addr_t of start, for RAM */
    uintptr_t dirty_base;
} FlatRange;

typedef struct GmDispatch GmDispatch;
typedef struct FlatView FlatView;
/* Index of the range containing @addr, or -1 (updates the view's MRU);
 * gm__flatview_range() below tries the MRU first and is what to call. */
long gm__flatview_find(FlatView *fv, hwaddr addr);

struct FlatView {
    /* Unique per view ever made (never 0): keys the per-thread entries.
     * First, where the inline accessors read it (access-inline.h). */
    uint64_t gen;
    struct rcu_head rcu;
    unsigned long ref; /* atomic */
    FlatRange *ranges;
    unsigned nr;
    unsigned nr_allocated;
    MemoryRegion *root;
    GmDispatch *dispatch;
};

/* The calling thread's most recently used range becomes range @idx of
 * @fv (the inline accessors' entry). */
void gm__fast_fill(const FlatView *fv, uint32_t idx);

/* The range containing @addr: the one this thread used last if it
 * matches, else the per-thread TLB and the dispatch structure (which make
 * it the one used last).  Inline: this is every access's first step.
 * Per thread, so that readers on several cores never write shared lines. */
static inline const FlatRange *gm__flatview_range(FlatView *fv, hwaddr addr)
{
    const GmFastRange *m = &gm__fast1.mru;
    if (__builtin_expect(m->gen == fv->gen, 1)) {
        const FlatRange *fr = &fv->ranges[m->idx];
        if (fr->start <= addr && addr <= fr->last) {
            return fr;
        }
    }
    long i = gm__flatview_find(fv, addr);
    return i < 0 ? NULL : &fv->ranges[i];
}

FlatView *gm__flatview_new(MemoryRegion *root);
/* Takes a reference unless the count already fell to zero. */
bool flatview_tryref(FlatView *view);
/* Renders @root into a new view (one reference), as QEMU's
 * generate_memory_topology does; NULL on allocation failure. */
FlatView *gm__render(MemoryRegion *root);
bool gm__flatview_equal(const FlatView *a, const FlatView *b);
void gm__flatview_simplify(FlatView *fv);
/* Fills the access-path fields of every range. */
void gm__flatview_finish(FlatView *fv);
/* The region whose view an address space with root @mr gets (QEMU's
 * memory_region_get_flatview_root); NULL when nothing can be visible. */
MemoryRegion *gm__flatview_root_of(MemoryRegion *mr);

void gm__section_from_range(FlatView *fv, const FlatRange *fr,
                            MemoryRegionSection *out);

/* --- dispatch ---------------------------------------------------------- */
/* The per-thread translation cache of dispatch.c (gm__fast1.tlb): page ->
 * range of one view (by generation), with the host address of the page
 * for direct accesses, filled on radix walks for pages a single range
 * covers whole.  Allocated on first use, freed at thread exit. */
typedef GmFastTlbEntry GmTlbEntry;
#define GM_TLB_BITS GM__FAST_TLB_BITS
static inline GmTlbEntry *gm__tlb_slot(GmTlbEntry *t, uint64_t page)
{
    return &t[(page ^ (page >> GM_TLB_BITS)) & ((1u << GM_TLB_BITS) - 1)];
}
/* The thread's TLB entry for @addr in @fv, or NULL. */
static inline const GmTlbEntry *gm__tlb_find(const FlatView *fv, hwaddr addr)
{
    return gm__fast_tlb(&gm__fast1, fv->gen, addr);
}
/* For the access path: when the page of @addr in @fv is one that a range
 * read directly covers whole, the thread's TLB entry for it, filled from
 * the page table's word alone (the range itself is not read); else NULL,
 * and the caller looks the range up. */
const GmTlbEntry *gm__dispatch_page(FlatView *fv, hwaddr addr);
GmDispatch *gm__dispatch_build(FlatView *fv);
void gm__dispatch_free(GmDispatch *d);
long gm__dispatch_lookup(const GmDispatch *d, FlatView *fv, hwaddr addr);
void gm__dispatch_print(FILE *f, const GmDispatch *d, const FlatView *fv);

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
MemoryRegion *gm__translate(FlatView *fv, hwaddr addr, hwaddr *xlat,
                            hwaddr *len, bool is_write, MemTxAttrs attrs,
                            bool *readonly);
/* The next range starting after @addr (its index), or fv->nr. */
unsigned gm__flatview_next(const FlatView *fv, hwaddr addr);
/* Host memory behind RAM devices is accessed through these ops. */
extern const MemoryRegionOps gm__ram_device_ops;
/* The RAM block whose host memory contains @host, or NULL. */
RAMBlock *gm__ramblock_from_host(const void *host, ram_addr_t *offset);
/* Open/close a transaction around one change; commit renders if needed. */
void gm__begin(void);
void gm__mark_pending(void);
void gm__commit(void);
/* Does the work left pending (outside any transaction, lock held). */
void gm__commit_outermost(void);

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
/* The listener rounds of a commit: views[i] is the new view of the i-th
 * address space (one reference each, consumed).  @notify: QEMU would run
 * its begin/pass/commit round. */
void gm__listeners_commit(FlatView **views, bool notify);
/* Recomputes and delivers every address space's ioeventfds. */
void gm__ioeventfds_update_all(void);
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

#endif /* GUESTMEM_INTERNAL_H */
