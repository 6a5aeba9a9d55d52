/* SPDX-License-Identifier: MIT */
/*
 * view.h - private: flat ranges, flat views and their lineages, the
 * dispatch radix (flatview.c, dispatch.c), as the renderer (render.c) and
 * the commit (commit.c) make them and the access path reads them.
 *
 * A FlatView is immutable once published.  Consecutive views of one
 * flat-view root form a lineage: a commit derives the next view from the
 * current one by replacing the ranges of the windows that changed, and the
 * two share everything else (ranges, radix tables) instead of copying it.
 * What a commit replaces is retired into the lineage and freed once no
 * older view of the lineage is alive and an RCU grace period has passed.
 */
#ifndef GUESTMEM_VIEW_H
#define GUESTMEM_VIEW_H

#include <pthread.h>

#include <urcu/urcu-memb.h>

#include <guestmem/guestmem.h>

/* One range of a view: immutable, shared by every view of its lineage that
 * has it, freed when retired (it holds a view reference on its region). */
typedef struct FlatRange {
    MemoryRegion *mr;
    hwaddr start; /* first address covered */
    hwaddr last;  /* last address covered (closed range) */
    hwaddr offset_in_region;
    /* What the access path needs, precomputed so that a RAM access touches
     * nothing but this struct (gm__range_finish). */
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

/* A growable array of range pointers, in address order. */
typedef struct GmRanges {
    const FlatRange **r;
    size_t n, cap;
} GmRanges;
bool gm__ranges_push(GmRanges *v, const FlatRange *fr);
/* The range of @r (@n ranges in address order) containing @addr, or NULL:
 * a binary search for the first one ending at or after it. */
static inline const FlatRange *gm__ranges_find(const FlatRange *const *r,
                                               size_t n, hwaddr addr)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid]->last < addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < n && r[lo]->start <= addr ? r[lo] : NULL;
}
void gm__ranges_free(GmRanges *v);

/* Things a commit replaced, freed together (flatview.c). */
typedef struct GmRetired GmRetired;
typedef enum {
    GM_RETIRE_RANGE, /* a FlatRange */
    GM_RETIRE_NODE,  /* a radix table */
    GM_RETIRE_BLOB   /* anything else malloc'ed (SUB lists, high arrays) */
} GmRetireKind;

typedef struct GmLineage GmLineage;
typedef struct FlatView FlatView;

/* A view: its ranges are the radix (addresses below 2^48) and the high
 * array (ranges reaching 2^48 or above, which may also start below). */
typedef struct GmHigh {
    size_t n;
    const FlatRange *r[];
} GmHigh;

struct FlatView {
    /* Unique per view ever made (never 0), increasing: keys the
     * per-thread entries and orders views.  First, where the inline
     * accessors read it (access-inline.h). */
    uint64_t gen;
    struct rcu_head rcu;
    unsigned long ref; /* atomic */
    MemoryRegion *root;
    GmLineage *lin;
    uintptr_t rx; /* the radix's root entry (dispatch.c) */
    GmHigh *high; /* or NULL */
    unsigned nr;  /* ranges */
    /* The live views of the lineage, oldest first (lineage lock). */
    FlatView *older, *newer;
    /* Every range in order, made on first use (gm__fv_ranges). */
    const FlatRange **index;
};

/* --- ranges (flatview.c) --------------------------------------------------- */
/* A new range (one view reference on fr->mr) with the access-path fields
 * computed; NULL when out of memory. */
FlatRange *gm__range_new(const FlatRange *proto);
void gm__range_free(FlatRange *fr);
/* QEMU's flatrange_equal: the same region, place and attributes (the
 * dirty-log mask aside: listeners hear of its changes as log_start/stop). */
bool gm__range_equal(const FlatRange *a, const FlatRange *b);
/* Whether two ranges carry the same content, derived fields included. */
bool gm__range_same(const FlatRange *a, const FlatRange *b);
/* QEMU's flatview_simplify rule: @b continues @a. */
bool gm__range_can_merge(const FlatRange *a, const FlatRange *b);

/* --- views (flatview.c) ----------------------------------------------------- */
FlatView *gm__flatview_alloc(MemoryRegion *root);
/* Every range of @fv in address order (built on first use and kept with
 * the view); NULL only when out of memory.  fv->nr entries. */
const FlatRange *const *gm__fv_ranges(FlatView *fv);
/* Appends to @out the ranges of @fv overlapping [@lo, @hi], in order. */
bool gm__fv_collect(const FlatView *fv, hwaddr lo, hwaddr hi, GmRanges *out);
/* The range containing @addr, or NULL (no side effect). */
const FlatRange *gm__fv_lookup(const FlatView *fv, hwaddr addr);
/* The first range starting above @addr, or NULL. */
const FlatRange *gm__fv_next(const FlatView *fv, hwaddr addr);
bool flatview_tryref(FlatView *view);
void gm__section_from_range(FlatView *fv, const FlatRange *fr,
                            MemoryRegionSection *out);

/* --- lineages (flatview.c) ----------------------------------------------- */
struct GmLineage {
    MemoryRegion *root;   /* the flat-view root; NULL once closed */
    FlatView *current;    /* the newest view (the address spaces hold it) */
    pthread_mutex_t lock; /* the live list and the retired batches */
    FlatView *oldest, *newest; /* live views */
    GmRetired *retired_first, *retired_last;
    bool closed;
    /* The newest content, freed when the lineage ends. */
    uintptr_t rx;
    GmHigh *high;
    /* Commit state (update lock): pending windows, the view before this
     * commit, and what changed (commit.c). */
    struct GmWindow *win;
    size_t nwin, capwin;
    struct GmWindow *fdwin;
    size_t nfdwin, capfdwin;
    bool full;
    bool used;     /* some address space has it (during a commit) */
    bool replaced; /* a whole render took over its root */
    bool orphan;   /* its root region was destroyed */
    bool fds_all;  /* rendered whole: every ioeventfd is recomputed */
    FlatView *before;
    struct GmChange *changes;
    size_t nchanges, capchanges;
    GmLineage *next; /* gm__state.lineages */
};

/* A lineage whose first view, @fv (rendered whole), is published by the
 * caller; NULL when out of memory. */
GmLineage *gm__lineage_new(FlatView *fv);
/* Links @fv (its content owned by @lin from now) as the newest view, and
 * files @ret (may be NULL) as retired at @fv's generation. */
void gm__lineage_publish(GmLineage *lin, FlatView *fv, GmRetired *ret);
/* No further view comes: the lineage ends with its last live view. */
void gm__lineage_close(GmLineage *lin);

/* A batch of retired things (flatview.c). */
GmRetired *gm__retired_new(void);
bool gm__retire(GmRetired *r, GmRetireKind kind, void *p);
/* Frees what @r holds right away (nobody can see it) and @r. */
void gm__retired_free(GmRetired *r);
/* Forgets what @r holds (it stays in use) and frees @r. */
void gm__retired_drop(GmRetired *r);

/* --- the per-thread entry and the dispatch radix (dispatch.c) ------------- */
/* The calling thread's most recently used range becomes @fr of @fv (the
 * inline accessors' entry). */
extern __thread const FlatRange *gm__mru_range
    __attribute__((tls_model("initial-exec")));
void gm__fast_fill(const FlatView *fv, const FlatRange *fr);

/* The range containing @addr: the dispatch radix, which makes it the
 * thread's entry; NULL if nothing is mapped there. */
const FlatRange *gm__flatview_find(FlatView *fv, hwaddr addr);

/* The range containing @addr: the one this thread used last if it
 * matches, else gm__flatview_find.  Inline: this is every access's first
 * step.  Per thread, so that readers on several cores never write shared
 * lines. */
static inline const FlatRange *gm__flatview_range(FlatView *fv, hwaddr addr)
{
    const GmFastRange *m = &gm__fast1.mru;
    const FlatRange *fr = gm__mru_range;
    if (__builtin_expect(m->gen == fv->gen && fr, 1)) {
        if (fr->start <= addr && addr <= fr->last) {
            return fr;
        }
    }
    return gm__flatview_find(fv, addr);
}

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
 * the page table's word alone (the range itself is not read); else NULL. */
const GmTlbEntry *gm__dispatch_page(FlatView *fv, hwaddr addr);
void gm__tlb_thread_exit(void);

/* Radix entries: 0 (nothing mapped), or a tagged pointer. */
#define GM_RX_LIMIT_BITS 48
/* Makes the radix rooted at *@root describe, for the pages [@lo, @hi]
 * (page-aligned, below 2^48), the ranges @rs (in order: every range of the
 * new view that overlaps those pages).  Tables made at generation @gen are
 * changed in place, older ones copied and retired into @ret; everything
 * new is recorded in @born (freed by the caller if the commit fails).
 * False when out of memory. */
bool gm__rx_update(uintptr_t *root, uint64_t gen, hwaddr lo, hwaddr hi,
                   const FlatRange *const *rs, size_t n, GmRetired *ret,
                   GmRetired *born);
/* Appends the ranges under @root overlapping [@lo, @hi] (below 2^48). */
bool gm__rx_collect(uintptr_t root, hwaddr lo, hwaddr hi, GmRanges *out);
const FlatRange *gm__rx_lookup(uintptr_t root, hwaddr addr);
const FlatRange *gm__rx_next(uintptr_t root, hwaddr addr);
/* Frees the tables and SUB lists under @root (not the ranges). */
void gm__rx_free(uintptr_t root);
/* Frees one table or SUB list that gm__rx_update retired. */
void gm__rx_free_one(void *p);
void gm__dispatch_print(FILE *f, const FlatView *fv);

#endif /* GUESTMEM_VIEW_H */
