/* SPDX-License-Identifier: MIT */
/*
 * guestmem/access-inline.h - the inline fast paths of the fixed-size loads
 * and stores of access.h (included by it; do not include it alone).
 *
 * QEMU keeps its MemoryRegionCache accessors inline, because a call per
 * access costs more than the access itself; guestmem does the same for
 * them and for address_space_{ld,st}*() and {ld,st}*_phys():
 *
 *  - a load or store of RAM that falls inside the range this thread used
 *    last in the address space's published view costs a few instructions
 *    (an RCU read-side section, one comparison, the host access, and for a
 *    store into a range whose dirty log one client follows, the test and
 *    set of the page's bit); one in a page the thread has used before in
 *    that view costs a probe of the thread's TLB more;
 *  - a load from MMIO whose callback takes the size as it is (no accepts,
 *    valid and impl both allow it, a little-endian device) is one indirect
 *    call;
 *  - everything else (another range, a range other ranges share a page
 *    with, ROM and read-only aliases on a store, several dirty clients, an
 *    access that leaves the range or a 4 KiB page of a logged range,
 *    IOMMUs, unassigned addresses, threads not yet known to guestmem, a
 *    kernel without membarrier) calls the out-of-line path, which does
 *    what access.h describes and refreshes the thread's entry.
 *
 * The inline and the out-of-line paths give the same results: the entry a
 * thread keeps is a copy of one range of one view, made at render time
 * (flatview.c) and tagged with that view's generation, which no other view
 * ever gets; it is used only while that view is the address space's
 * current one, read inside an RCU read-side section, so a commit running
 * concurrently is seen the same way as by the out-of-line path (the old or
 * the new view, never a mix).
 *
 * ABI: the layouts below are read by code inlined into programs.  They
 * carry a version, GM_FAST_ABI; the symbols the inline code refers to are
 * named after it (gm__fast1, gm__fast1_*) and exported in the ELF symbol
 * version node GUESTMEM_FAST_1 (src/libguestmem.map).  A library with
 * another layout exports another node, so the dynamic linker refuses to
 * start a program built against these headers with it ("version
 * `GUESTMEM_FAST_1' not found"), rather than let it misread the layout
 * (tests/abi).  Define GM_NO_INLINE_ACCESS before including guestmem
 * headers to call the out-of-line functions instead.
 *
 * Thread-local storage: gm__fast1 uses the initial-exec model (no
 * __tls_get_addr on any access).  It is 128 bytes; a process that loads
 * libguestmem.so with dlopen() (Python's cffi, for one) finds them in
 * glibc's static TLS surplus (512 bytes for dlopen'ed libraries by default;
 * glibc.rtld.optional_static_tls raises it).  liburcu's own reader state
 * is reached through a pointer kept there, never by a TLS access of
 * liburcu's, so dlopen() of libguestmem.so does not need static TLS for
 * liburcu (which it could not get: liburcu aligns its TLS to 128 bytes).
 */
#ifndef GUESTMEM_ACCESS_INLINE_H
#define GUESTMEM_ACCESS_INLINE_H

#ifndef GUESTMEM_ACCESS_H
#error "include <guestmem/access.h>, not <guestmem/access-inline.h>"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** GM_FAST_ABI: the version of the layouts the inline accessors read. */
#define GM_FAST_ABI 1

/* private: everything below; the names may change with GM_FAST_ABI. */

/* What a range allows the inline paths (GmFastTlbEntry.flags) */
#define GM_FAST_READ 1u  /* loads copy from host memory */
#define GM_FAST_WRITE 2u /* stores copy to host memory */
#define GM_FAST_LOG 4u   /* stores also set the page's bit in a bitmap */
#define GM_FAST_MMIO 8u  /* loads of some sizes are one callback */

/* One range of one view, as a thread keeps it (the range it used last).
 * What the inline paths may do with it is said by generations: a field
 * holds the view's generation when the range allows that access, 0
 * otherwise, so that one comparison with the published view's generation
 * checks both that the view is still current and the permission.  The
 * bound is last - start - 7 (ranges of 8 bytes or more only): an access
 * at offset <= lim7 fits whatever its size; the last 7 bytes go out of
 * line. */
typedef struct GmFastRange {
    uint64_t rgen;   /* loads copy from host memory */
    uint64_t wgen;   /* stores copy to host memory, nothing logs the range */
    hwaddr start;    /* first address of the range */
    hwaddr lim7;     /* last - start - 7 */
    uint8_t *host;   /* host address of @start (rgen, wgen, lgen) */
    uint64_t lgen;   /* stores copy to host memory and set a dirty bit */
    uint64_t ram;    /* lgen: ram_addr_t of @start */
    uintptr_t dirty; /* lgen: page p's bitmap word is at dirty + p / 64 * 8 */
    uint64_t mgen;   /* loads of a size in @mmio_sizes call @read */
    hwaddr offset;   /* mgen: offset of @start in the region */
    uint64_t (*read)(void *opaque, hwaddr addr, unsigned size); /* mgen */
    void *opaque;                                               /* mgen */
    uint8_t mmio_sizes; /* mgen: sizes (1, 2, 4, 8 as bits) */
    uint8_t mmio_amask; /* mgen: 0 if ops->valid.unaligned, else 7 */
    uint16_t pad;
    uint32_t idx; /* the range's index in its view (library use) */
    uint64_t gen; /* the view's generation (library use) */
} GmFastRange;

/* The per-thread TLB: 4,096 entries, direct-mapped by page; an entry
 * holds a page of one view that one range covers whole, and for RAM the
 * page's host address (addend: host = guest address + addend). */
typedef struct GmFastTlbEntry {
    uint64_t gen;     /* the view's generation; 0: empty */
    uint64_t page;    /* guest address >> 12 */
    uintptr_t addend; /* READ, WRITE */
    uint32_t idx;     /* the range's index in its view (library use) */
    uint32_t flags;   /* the range's GM_FAST_* */
} GmFastTlbEntry;
#define GM__FAST_TLB_BITS 12

/* The per-thread state (144 bytes, one per thread; initial-exec TLS). */
typedef struct GmFastThread {
    /* liburcu (memb flavour): this thread's reader counter and the
     * grace-period counter (its futex word follows it, 8 bytes on).  NULL
     * until the thread is registered and membarrier is known to work:
     * then only the out-of-line path runs. */
    unsigned long *rcu_ctr;
    unsigned long *rcu_gp;
    GmFastRange mru;     /* the range this thread used last */
    GmFastTlbEntry *tlb; /* the per-thread TLB, or NULL until first used */
    uint64_t last; /* library use: the range the last out-of-line access used */
} GmFastThread;

GM_API extern __thread GmFastThread gm__fast1
    __attribute__((tls_model("initial-exec")));

/* The out-of-line paths.  @op: the size in bytes, | 16 for big-endian. */
#define GM__FAST_BE 16u
GM_API uint64_t gm__fast1_load(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                               MemTxResult *result, unsigned op);
GM_API void gm__fast1_store(AddressSpace *as, hwaddr addr, uint64_t val,
                            MemTxAttrs attrs, MemTxResult *result, unsigned op);
GM_API uint64_t gm__fast1_load_cached(MemoryRegionCache *cache, hwaddr addr,
                                      MemTxResult *result, unsigned op);
GM_API void gm__fast1_store_cached(MemoryRegionCache *cache, hwaddr addr,
                                   uint64_t val, MemTxResult *result,
                                   unsigned op);
/* Marks [addr, addr + size) of the cache dirty for the region's clients. */
GM_API void gm__fast1_cache_dirty(MemoryRegionCache *cache, hwaddr addr,
                                  unsigned size);
/* Wakes a writer waiting for readers (liburcu's wake_up_gp). */
GM_API void gm__fast1_rcu_wake(void);
/* Global dirty tracking is on (gm_global_dirty_tracking() != 0). */
GM_API extern const unsigned *const gm__fast1_global_dirty;

/* liburcu memb's reader protocol (liburcu 0.11 and later; the library
 * checks these against liburcu's own headers when it is built). */
#define GM__URCU_NEST_MASK ((1UL << (sizeof(unsigned long) * 4)) - 1)

#if defined(__SANITIZE_THREAD__)
#define GM__FAST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GM__FAST_TSAN 1
#endif
#endif

/* Helpers: always inlined (GNU C's extern inline, so that the public
 * extern inline functions below may use them). */
#define GM__FAST_HELPER \
    extern __inline__ __attribute__((__gnu_inline__, __always_inline__))

/* Enters a read-side section; returns what gm__fast_unlock needs (0: the
 * thread was in one already). */
GM__FAST_HELPER unsigned long gm__fast_lock(GmFastThread *t, unsigned long *ctr)
{
#ifdef GM__FAST_TSAN
    (void)t;
    (void)ctr;
    gm_rcu_read_lock(); /* ThreadSanitizer sees liburcu's own calls */
    return 1;
#else
    unsigned long c = __atomic_load_n(ctr, __ATOMIC_RELAXED);
    if (c & GM__URCU_NEST_MASK) {
        return 0; /* nested: the outer section protects us */
    }
    unsigned long g = __atomic_load_n(t->rcu_gp, __ATOMIC_RELAXED);
    __atomic_store_n(ctr, g, __ATOMIC_RELAXED);
    /* membarrier: the writer orders readers; a compiler barrier here */
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    return g; /* never 0: liburcu's counter always holds a count of 1 */
#endif
}

GM__FAST_HELPER void gm__fast_unlock(GmFastThread *t, unsigned long *ctr,
                                     unsigned long g)
{
#ifdef GM__FAST_TSAN
    (void)t;
    (void)ctr;
    (void)g;
    gm_rcu_read_unlock();
#else
    if (g) {
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        __atomic_store_n(ctr, g - 1, __ATOMIC_RELAXED);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        if (__builtin_expect(__atomic_load_n((const int *)(t->rcu_gp + 1),
                                             __ATOMIC_RELAXED) == -1,
                             0)) {
            gm__fast1_rcu_wake();
        }
    }
#endif
}

GM__FAST_HELPER uint64_t gm__fast_ldn(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1: return *p;
    case 2: {
        uint16_t v;
        __builtin_memcpy(&v, p, 2);
        return v;
    }
    case 4: {
        uint32_t v;
        __builtin_memcpy(&v, p, 4);
        return v;
    }
    default: {
        uint64_t v;
        __builtin_memcpy(&v, p, 8);
        return v;
    }
    }
}

GM__FAST_HELPER void gm__fast_stn(uint8_t *p, unsigned size, uint64_t v)
{
    switch (size) {
    case 1: *p = (uint8_t)v; break;
    case 2: {
        uint16_t x = (uint16_t)v;
        __builtin_memcpy(p, &x, 2);
        break;
    }
    case 4: {
        uint32_t x = (uint32_t)v;
        __builtin_memcpy(p, &x, 4);
        break;
    }
    default: __builtin_memcpy(p, &v, 8); break;
    }
}

GM__FAST_HELPER uint64_t gm__fast_swap(uint64_t v, unsigned size)
{
    switch (size) {
    case 2: return __builtin_bswap16((uint16_t)v);
    case 4: return __builtin_bswap32((uint32_t)v);
    case 8: return __builtin_bswap64(v);
    default: return v;
    }
}

/* The generation of the view @as publishes now (its first field); call
 * inside the section.  ~0 when there is none: no entry has it. */
GM__FAST_HELPER uint64_t gm__fast_gen(AddressSpace *as)
{
    const uint64_t *fv =
        (const uint64_t *)__atomic_load_n(&as->current_map, __ATOMIC_ACQUIRE);
    return fv ? *fv : ~(uint64_t)0;
}

/* The thread's TLB entry for @addr in the view of generation @gen, or
 * NULL. */
GM__FAST_HELPER const GmFastTlbEntry *gm__fast_tlb(const GmFastThread *t,
                                                   uint64_t gen, hwaddr addr)
{
    const GmFastTlbEntry *tlb = t->tlb;
    if (!tlb) {
        return 0;
    }
    uint64_t page = addr >> 12;
    const GmFastTlbEntry *e = &tlb[(page ^ (page >> GM__FAST_TLB_BITS)) &
                                   ((1u << GM__FAST_TLB_BITS) - 1)];
    return e->gen == gen && e->page == page ? e : 0;
}

/* A load through the thread's entry or TLB: true and *@pv when it could. */
GM__FAST_HELPER int gm__fast_load(AddressSpace *as, hwaddr addr, unsigned size,
                                  uint64_t *pv)
{
    GmFastThread *t = &gm__fast1;
    unsigned long *ctr = t->rcu_ctr;
    if (__builtin_expect(!ctr || !as, 0)) {
        return 0;
    }
    unsigned long g = gm__fast_lock(t, ctr);
    int hit = 0;
    uint64_t gen = gm__fast_gen(as);
    hwaddr off = addr - t->mru.start;
    if (__builtin_expect(gen == t->mru.rgen && off <= t->mru.lim7, 1)) {
        *pv = gm__fast_ldn(t->mru.host + off, size);
        hit = 1;
    } else if (gen == t->mru.mgen && (t->mru.mmio_sizes & size) &&
               off <= t->mru.lim7) {
        hwaddr o = t->mru.offset + off;
        if (!(o & (size - 1) & t->mru.mmio_amask)) {
            *pv = t->mru.read(t->mru.opaque, o, size);
            hit = 1;
        }
    } else {
        const GmFastTlbEntry *e = gm__fast_tlb(t, gen, addr);
        if (e && (e->flags & GM_FAST_READ) && (addr & 4095) <= 4096 - size) {
            *pv = gm__fast_ldn((const uint8_t *)(addr + e->addend), size);
            hit = 1;
        }
    }
    gm__fast_unlock(t, ctr, g);
    return hit;
}

/* A store through the thread's entry or TLB: true when it could. */
GM__FAST_HELPER int gm__fast_store(AddressSpace *as, hwaddr addr, unsigned size,
                                   uint64_t v)
{
    GmFastThread *t = &gm__fast1;
    unsigned long *ctr = t->rcu_ctr;
    if (__builtin_expect(!ctr || !as, 0)) {
        return 0;
    }
    unsigned long g = gm__fast_lock(t, ctr);
    int hit = 0;
    uint64_t gen = gm__fast_gen(as);
    hwaddr off = addr - t->mru.start;
    if (__builtin_expect(gen == t->mru.wgen && off <= t->mru.lim7, 1)) {
        gm__fast_stn(t->mru.host + off, size, v);
        hit = 1;
    } else if (gen == t->mru.lgen && off <= t->mru.lim7) {
        uint64_t ra = t->mru.ram + off;
        if ((ra & 4095) <= 4096 - size) { /* one page, one bit */
            gm__fast_stn(t->mru.host + off, size, v);
            uint64_t page = ra >> 12;
            uint64_t *w = (uint64_t *)(t->mru.dirty + (page >> 6) * 8);
            uint64_t bit = (uint64_t)1 << (page & 63);
            if (!(__atomic_load_n(w, __ATOMIC_RELAXED) & bit)) {
                __atomic_fetch_or(w, bit, __ATOMIC_RELAXED);
            }
            hit = 1;
        }
    } else {
        const GmFastTlbEntry *e = gm__fast_tlb(t, gen, addr);
        if (e && (e->flags & (GM_FAST_WRITE | GM_FAST_LOG)) == GM_FAST_WRITE &&
            (addr & 4095) <= 4096 - size) {
            gm__fast_stn((uint8_t *)(addr + e->addend), size, v);
            hit = 1;
        }
    }
    gm__fast_unlock(t, ctr, g);
    return hit;
}

GM__FAST_HELPER uint64_t gm__fast_value(uint64_t v, unsigned op)
{
    unsigned size = op & 15;
    if (op & GM__FAST_BE) {
        v = gm__fast_swap(v, size);
    }
    return size == 8 ? v : v & ((UINT64_C(1) << (size * 8)) - 1);
}

GM__FAST_HELPER uint64_t gm__fast_ld(AddressSpace *as, hwaddr addr,
                                     MemTxAttrs attrs, MemTxResult *result,
                                     unsigned op)
{
    uint64_t v;
    if (__builtin_expect(gm__fast_load(as, addr, op & 15, &v), 1)) {
        if (result) {
            *result = MEMTX_OK;
        }
        return gm__fast_value(v, op);
    }
    return gm__fast1_load(as, addr, attrs, result, op);
}

GM__FAST_HELPER void gm__fast_st(AddressSpace *as, hwaddr addr, uint64_t v,
                                 MemTxAttrs attrs, MemTxResult *result,
                                 unsigned op)
{
    unsigned size = op & 15;
    uint64_t x = (op & GM__FAST_BE) ? gm__fast_swap(v, size) : v;
    if (__builtin_expect(gm__fast_store(as, addr, size, x), 1)) {
        if (result) {
            *result = MEMTX_OK;
        }
        return;
    }
    gm__fast1_store(as, addr, v, attrs, result, op);
}

/* MemoryRegionCache: RAM caches (cache->ptr) are read and written
 * directly, as QEMU's inline accessors do; a written byte is marked dirty
 * for the region's clients when any client logs it (one test of the
 * region's mask and of global tracking when none does). */
GM__FAST_HELPER uint64_t gm__fast_ld_cached(MemoryRegionCache *cache,
                                            hwaddr addr, MemTxResult *result,
                                            unsigned op)
{
    unsigned size = op & 15;
    if (__builtin_expect(cache && cache->ptr && addr < cache->len &&
                             size <= cache->len - addr,
                         1)) {
        if (result) {
            *result = MEMTX_OK;
        }
        return gm__fast_value(gm__fast_ldn(cache->ptr + addr, size), op);
    }
    return gm__fast1_load_cached(cache, addr, result, op);
}

GM__FAST_HELPER void gm__fast_st_cached(MemoryRegionCache *cache, hwaddr addr,
                                        uint64_t v, MemTxResult *result,
                                        unsigned op)
{
    unsigned size = op & 15;
    if (__builtin_expect(cache && cache->ptr && cache->is_write &&
                             addr < cache->len && size <= cache->len - addr,
                         1)) {
        gm__fast_stn(cache->ptr + addr, size,
                     (op & GM__FAST_BE) ? gm__fast_swap(v, size) : v);
        if (__builtin_expect(
                cache->mr->dirty_log_mask ||
                    __atomic_load_n(gm__fast1_global_dirty, __ATOMIC_RELAXED),
                0)) {
            gm__fast1_cache_dirty(cache, addr, size);
        }
        if (result) {
            *result = MEMTX_OK;
        }
        return;
    }
    gm__fast1_store_cached(cache, addr, v, result, op);
}

/* The public functions, inline (GNU C's extern inline: the library has
 * the same functions out of line, for calls that are not inlined and for
 * taking their address). */
#if !defined(GM_NO_INLINE_ACCESS) && defined(__GNUC__)
#define GM__INLINE \
    extern __inline__ __attribute__((__gnu_inline__, __always_inline__))

#define GM__LD(name, op, type)                                                \
    GM__INLINE type address_space_##name(                                     \
        AddressSpace *as, hwaddr addr, MemTxAttrs attrs, MemTxResult *result) \
    {                                                                         \
        return (type)gm__fast_ld(as, addr, attrs, result, op);                \
    }                                                                         \
    GM__INLINE type name##_phys(AddressSpace *as, hwaddr addr)                \
    {                                                                         \
        return (type)gm__fast_ld(as, addr, MEMTXATTRS_UNSPECIFIED, 0, op);    \
    }                                                                         \
    GM__INLINE type address_space_##name##_cached(                            \
        MemoryRegionCache *cache, hwaddr addr, MemTxAttrs attrs,              \
        MemTxResult *result)                                                  \
    {                                                                         \
        (void)attrs;                                                          \
        return (type)gm__fast_ld_cached(cache, addr, result, op);             \
    }
#define GM__ST(name, op, type)                                             \
    GM__INLINE void address_space_##name(AddressSpace *as, hwaddr addr,    \
                                         type val, MemTxAttrs attrs,       \
                                         MemTxResult *result)              \
    {                                                                      \
        gm__fast_st(as, addr, val, attrs, result, op);                     \
    }                                                                      \
    GM__INLINE void name##_phys(AddressSpace *as, hwaddr addr, type val)   \
    {                                                                      \
        gm__fast_st(as, addr, val, MEMTXATTRS_UNSPECIFIED, 0, op);         \
    }                                                                      \
    GM__INLINE void address_space_##name##_cached(                         \
        MemoryRegionCache *cache, hwaddr addr, type val, MemTxAttrs attrs, \
        MemTxResult *result)                                               \
    {                                                                      \
        (void)attrs;                                                       \
        gm__fast_st_cached(cache, addr, val, result, op);                  \
    }

GM__LD(ldub, 1, uint32_t)
GM__LD(lduw_le, 2, uint32_t)
GM__LD(lduw_be, 2 | GM__FAST_BE, uint32_t)
GM__LD(ldl_le, 4, uint32_t)
GM__LD(ldl_be, 4 | GM__FAST_BE, uint32_t)
GM__LD(ldq_le, 8, uint64_t)
GM__LD(ldq_be, 8 | GM__FAST_BE, uint64_t)
GM__ST(stb, 1, uint32_t)
GM__ST(stw_le, 2, uint32_t)
GM__ST(stw_be, 2 | GM__FAST_BE, uint32_t)
GM__ST(stl_le, 4, uint32_t)
GM__ST(stl_be, 4 | GM__FAST_BE, uint32_t)
GM__ST(stq_le, 8, uint64_t)
GM__ST(stq_be, 8 | GM__FAST_BE, uint64_t)

#undef GM__LD
#undef GM__ST
#undef GM__INLINE
#endif /* !GM_NO_INLINE_ACCESS */

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_ACCESS_INLINE_H */
