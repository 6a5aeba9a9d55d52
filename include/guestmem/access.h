/* SPDX-License-Identifier: MIT */
/*
 * guestmem/access.h - reading and writing guest memory through an address
 * space, as QEMU's exec/memory.h API does.
 *
 * Every access looks its address up in the address space's current flat
 * view (dispatch.c), then:
 *  - RAM, ROM reads and ROM devices in romd mode (reads): copied to or from
 *    host memory directly;
 *  - MMIO (and RAM devices, ROM device writes, ROM devices out of romd
 *    mode): split into calls of the region's MemoryRegionOps, at most
 *    ops->valid.max_access_size (default 4) bytes each and no more than the
 *    address's alignment allows; each call is then adjusted to what the ops
 *    implement (larger accesses split, smaller ones widened and shifted, in
 *    the ops' byte order), exactly as QEMU 7.2 does;
 *  - IOMMU regions: translated through the IOMMU's callback, with its
 *    permission checked, into the target address space;
 *  - nothing mapped: reads give zeroes, writes are dropped.
 * Results (types.h): MEMTX_OK; MEMTX_DECODE_ERROR for unassigned addresses,
 * writes to ROM (or to RAM through a read-only alias), accesses the device
 * refuses (valid sizes, alignment, accepts()), IOMMU faults; MEMTX_ERROR
 * and others as the device's _with_attrs callbacks return them.  The result
 * of a split access is the OR of its pieces, and every piece is done even
 * when one fails.
 *
 * One deliberate difference from QEMU: QEMU's API lets address_space_write()
 * store into RAM seen through a read-only alias (only the CPU's TLB and KVM
 * honour such an alias).  guestmem drops the write and reports
 * MEMTX_DECODE_ERROR, as the CPU sees it.
 *
 * Context: every function here is read-side: lock-free, callable from any
 * thread concurrently with topology changes; each access sees either the
 * old or the new view, never a mix within one lookup.  Callbacks run on the
 * calling thread inside an RCU read-side critical section: they must not
 * change the topology synchronously or wait for a grace period.
 */
#ifndef GUESTMEM_ACCESS_H
#define GUESTMEM_ACCESS_H

#include <guestmem/address-space.h>

#ifdef __cplusplus
extern "C" {
#endif

/** MemOp: the size (log2) and byte order of one access.  QEMU's names; the
 * numbers are guestmem's own (QEMU 7.2's MO_SIZE is 7 and its MO_BSWAP 0x10,
 * beside MO_SIGN 0x08, which guestmem has no use for): use the names. */
typedef enum MemOp {
    MO_8 = 0,
    MO_16 = 1,
    MO_32 = 2,
    MO_64 = 3,
    MO_SIZE = 3,
    MO_BSWAP = 8, /* the opposite of the host's order; the host is LE */
    MO_LE = 0,
    MO_BE = MO_BSWAP,
} MemOp;

/** size_memop: the MemOp for @size bytes (1, 2, 4 or 8). */
static inline MemOp size_memop(unsigned size)
{
    return (MemOp)(size == 8   ? MO_64
                   : size == 4 ? MO_32
                   : size == 2 ? MO_16
                               : MO_8);
}

/** memop_size: the number of bytes of @op. */
static inline unsigned memop_size(MemOp op)
{
    return 1u << (op & MO_SIZE);
}

/**
 * address_space_read: read @len bytes at @addr of @as into @buf.
 * Return: MEMTX_OK, or the OR of the pieces' errors (unassigned bytes read
 * as zero).
 */
GM_API MemTxResult address_space_read(AddressSpace *as, hwaddr addr,
                                      MemTxAttrs attrs, void *buf, hwaddr len);
/** address_space_read_full: the same as address_space_read(). */
GM_API MemTxResult address_space_read_full(AddressSpace *as, hwaddr addr,
                                           MemTxAttrs attrs, void *buf,
                                           hwaddr len);
/** address_space_write: write @len bytes of @buf at @addr of @as. */
GM_API MemTxResult address_space_write(AddressSpace *as, hwaddr addr,
                                       MemTxAttrs attrs, const void *buf,
                                       hwaddr len);
/** address_space_rw: address_space_read() or _write(). */
GM_API MemTxResult address_space_rw(AddressSpace *as, hwaddr addr,
                                    MemTxAttrs attrs, void *buf, hwaddr len,
                                    bool is_write);
/**
 * address_space_write_rom: write into RAM and ROM alike (the firmware
 * loader's path); MMIO ranges are skipped.
 */
GM_API MemTxResult address_space_write_rom(AddressSpace *as, hwaddr addr,
                                           MemTxAttrs attrs, const void *buf,
                                           hwaddr len);
/** address_space_set: fill @len bytes at @addr with @c. */
GM_API MemTxResult address_space_set(AddressSpace *as, hwaddr addr, uint8_t c,
                                     hwaddr len, MemTxAttrs attrs);
/**
 * address_space_access_valid: whether an access of @len bytes at @addr
 * would be accepted everywhere (something mapped, and every device piece's
 * valid constraints met).  Calls no read or write callback.
 */
GM_API bool address_space_access_valid(AddressSpace *as, hwaddr addr,
                                       hwaddr len, bool is_write,
                                       MemTxAttrs attrs);

/**
 * address_space_translate: the region that serves @addr and the offset in
 * it (*@xlat), with *@len cut to what stays in that region; IOMMUs on the
 * way are translated.  NULL when nothing serves @addr (then *@len is cut
 * to the gap).
 * Context: inside gm_rcu_read_lock(); the region stays valid until
 * gm_rcu_read_unlock().
 */
GM_API MemoryRegion *address_space_translate(AddressSpace *as, hwaddr addr,
                                             hwaddr *xlat, hwaddr *len,
                                             bool is_write, MemTxAttrs attrs);

/* --- fixed-size loads and stores ----------------------------------------- *
 * address_space_{ldub,lduw,ldl,ldq}[_le|_be] and the st counterparts: one
 * access of 1, 2, 4 or 8 bytes in the given byte order (host order is
 * little-endian; a big-endian load of RAM swaps).  @result may be NULL.
 * The *_phys forms use MEMTXATTRS_UNSPECIFIED and drop the result.
 * An access that straddles two ranges is done piece by piece.
 * These (and the _cached ones below) are inline functions in GNU C, with a
 * few-instruction path for RAM and single-callback MMIO reads
 * (access-inline.h); the library exports the same functions out of line. */
GM_API uint32_t address_space_ldub(AddressSpace *as, hwaddr addr,
                                   MemTxAttrs attrs, MemTxResult *result);
GM_API uint32_t address_space_lduw_le(AddressSpace *as, hwaddr addr,
                                      MemTxAttrs attrs, MemTxResult *result);
GM_API uint32_t address_space_lduw_be(AddressSpace *as, hwaddr addr,
                                      MemTxAttrs attrs, MemTxResult *result);
GM_API uint32_t address_space_ldl_le(AddressSpace *as, hwaddr addr,
                                     MemTxAttrs attrs, MemTxResult *result);
GM_API uint32_t address_space_ldl_be(AddressSpace *as, hwaddr addr,
                                     MemTxAttrs attrs, MemTxResult *result);
GM_API uint64_t address_space_ldq_le(AddressSpace *as, hwaddr addr,
                                     MemTxAttrs attrs, MemTxResult *result);
GM_API uint64_t address_space_ldq_be(AddressSpace *as, hwaddr addr,
                                     MemTxAttrs attrs, MemTxResult *result);
GM_API void address_space_stb(AddressSpace *as, hwaddr addr, uint32_t val,
                              MemTxAttrs attrs, MemTxResult *result);
GM_API void address_space_stw_le(AddressSpace *as, hwaddr addr, uint32_t val,
                                 MemTxAttrs attrs, MemTxResult *result);
GM_API void address_space_stw_be(AddressSpace *as, hwaddr addr, uint32_t val,
                                 MemTxAttrs attrs, MemTxResult *result);
GM_API void address_space_stl_le(AddressSpace *as, hwaddr addr, uint32_t val,
                                 MemTxAttrs attrs, MemTxResult *result);
GM_API void address_space_stl_be(AddressSpace *as, hwaddr addr, uint32_t val,
                                 MemTxAttrs attrs, MemTxResult *result);
GM_API void address_space_stq_le(AddressSpace *as, hwaddr addr, uint64_t val,
                                 MemTxAttrs attrs, MemTxResult *result);
GM_API void address_space_stq_be(AddressSpace *as, hwaddr addr, uint64_t val,
                                 MemTxAttrs attrs, MemTxResult *result);

GM_API uint32_t ldub_phys(AddressSpace *as, hwaddr addr);
GM_API uint32_t lduw_le_phys(AddressSpace *as, hwaddr addr);
GM_API uint32_t lduw_be_phys(AddressSpace *as, hwaddr addr);
GM_API uint32_t ldl_le_phys(AddressSpace *as, hwaddr addr);
GM_API uint32_t ldl_be_phys(AddressSpace *as, hwaddr addr);
GM_API uint64_t ldq_le_phys(AddressSpace *as, hwaddr addr);
GM_API uint64_t ldq_be_phys(AddressSpace *as, hwaddr addr);
GM_API void stb_phys(AddressSpace *as, hwaddr addr, uint32_t val);
GM_API void stw_le_phys(AddressSpace *as, hwaddr addr, uint32_t val);
GM_API void stw_be_phys(AddressSpace *as, hwaddr addr, uint32_t val);
GM_API void stl_le_phys(AddressSpace *as, hwaddr addr, uint32_t val);
GM_API void stl_be_phys(AddressSpace *as, hwaddr addr, uint32_t val);
GM_API void stq_le_phys(AddressSpace *as, hwaddr addr, uint64_t val);
GM_API void stq_be_phys(AddressSpace *as, hwaddr addr, uint64_t val);

/**
 * gm_address_space_load_batch: @n loads of memop_size(@op) bytes (1, 2, 4
 * or 8) at @addrs[i], in @op's byte order, into @values[i], an array of
 * elements of that size (uint8_t, uint16_t, uint32_t or uint64_t), all in
 * one RCU read-side section.  Each load is done exactly as the matching
 * address_space_ld*() would do it (unassigned bytes read as zero, MMIO
 * through the callbacks); a device callback that changes the topology is
 * seen by the loads after it.  For independent accesses whose addresses
 * are known in advance: the loop over RAM is a few instructions per load,
 * so the CPU overlaps their cache misses as it does plain loads.
 * Return: MEMTX_OK, or the OR of every load's result.
 */
GM_API MemTxResult gm_address_space_load_batch(AddressSpace *as, MemOp op,
                                               const hwaddr *addrs,
                                               void *values, size_t n,
                                               MemTxAttrs attrs);
/** gm_address_space_store_batch: the store counterpart (@values[i] to
 * @addrs[i], in order; dirty bits set as by address_space_st*()). */
GM_API MemTxResult gm_address_space_store_batch(AddressSpace *as, MemOp op,
                                                const hwaddr *addrs,
                                                const void *values, size_t n,
                                                MemTxAttrs attrs);

/* --- one access to one region ---------------------------------------------- */

/**
 * memory_region_dispatch_read: one access of memop_size(@op) bytes at
 * offset @addr of @mr through its ops (following aliases), with QEMU's
 * valid/impl handling; *@pval receives the value in @op's byte order.
 * Return: MEMTX_DECODE_ERROR (and *@pval = 0) if the ops refuse the access.
 */
GM_API MemTxResult memory_region_dispatch_read(MemoryRegion *mr, hwaddr addr,
                                               uint64_t *pval, MemOp op,
                                               MemTxAttrs attrs);
/** memory_region_dispatch_write: the write counterpart. */
GM_API MemTxResult memory_region_dispatch_write(MemoryRegion *mr, hwaddr addr,
                                                uint64_t data, MemOp op,
                                                MemTxAttrs attrs);
/** memory_region_access_valid: whether @mr's ops accept that access. */
GM_API bool memory_region_access_valid(MemoryRegion *mr, hwaddr addr,
                                       unsigned size, bool is_write,
                                       MemTxAttrs attrs);

/* --- direct mappings ------------------------------------------------------ */

/**
 * address_space_map: a host pointer to [@addr, @addr + *@plen) for
 * zero-copy DMA.  RAM gives a pointer into its host memory, with *@plen cut
 * to the contiguous part; anything else gets the bounce buffer (at most
 * 4 KiB; for reads it is filled first), of which there is one: while it is
 * in use further such maps return NULL with *@plen = 0 (see
 * gm_address_space_register_map_client()).
 * Ownership: pair every non-NULL result with address_space_unmap(); the
 * region cannot be destroyed meanwhile (GM_ERR_IN_USE).
 * Return: the pointer, or NULL (nothing mapped at @addr, or bounce busy,
 * or *@plen == 0).
 */
GM_API void *address_space_map(AddressSpace *as, hwaddr addr, hwaddr *plen,
                               bool is_write, MemTxAttrs attrs);
/**
 * address_space_unmap: end a mapping; @access_len bytes were written if
 * @is_write (a bounce buffer is written back then).  Unknown pointers are
 * ignored.
 */
GM_API void address_space_unmap(AddressSpace *as, void *buffer, hwaddr len,
                                bool is_write, hwaddr access_len);

/**
 * gm_address_space_register_map_client: call @cb(@opaque) once, when the
 * bounce buffer is free (at once if it is free now).  QEMU takes a bottom
 * half here (cpu_register_map_client); guestmem takes a callback, run on
 * the thread that frees the buffer.
 * Return: 0, or -GM_ERR_NO_MEMORY / -GM_ERR_INVALID_ARG.
 */
GM_API int gm_address_space_register_map_client(void (*cb)(void *opaque),
                                                void *opaque);
/** gm_address_space_unregister_map_client: cancel a pending callback. */
GM_API void gm_address_space_unregister_map_client(void (*cb)(void *opaque),
                                                   void *opaque);

/* --- caches --------------------------------------------------------------- */

/**
 * MemoryRegionCache: a translation of one range kept for repeated accesses
 * (virtio rings).  Fields are private.
 */
typedef struct MemoryRegionCache {
    uint8_t *ptr;     /* direct host pointer, or NULL */
    hwaddr xlat;      /* offset in @mr */
    hwaddr len;       /* bytes usable from the cache's start */
    MemoryRegion *mr; /* the region, pinned */
    bool is_write;
    bool readonly;
    AddressSpace *as;
    hwaddr addr;
} MemoryRegionCache;

#define MEMORY_REGION_CACHE_INVALID ((MemoryRegionCache){ .mr = NULL })

/**
 * address_space_cache_init: translate [@addr, @addr + @len) once.
 * Return: how many bytes the cache covers (may be less than @len: the part
 * in one region), or -1 if nothing is mapped at @addr.
 * Ownership: undo with address_space_cache_destroy(); the region cannot be
 * destroyed meanwhile.
 */
GM_API int64_t address_space_cache_init(MemoryRegionCache *cache,
                                        AddressSpace *as, hwaddr addr,
                                        hwaddr len, bool is_write);
/** address_space_cache_invalidate: note a write done directly through the
 * cache's memory: its pages are marked dirty for the region's clients. */
GM_API void address_space_cache_invalidate(MemoryRegionCache *cache,
                                           hwaddr addr, hwaddr access_len);
/** address_space_cache_destroy: release the cache (no-op if invalid). */
GM_API void address_space_cache_destroy(MemoryRegionCache *cache);
/**
 * address_space_read_cached / _write_cached: access [@addr, @addr + @len)
 * relative to the cache's start.  Out of the cached range: MEMTX_DECODE_ERROR
 * and nothing done (QEMU asserts instead).
 */
GM_API MemTxResult address_space_read_cached(MemoryRegionCache *cache,
                                             hwaddr addr, void *buf,
                                             hwaddr len);
GM_API MemTxResult address_space_write_cached(MemoryRegionCache *cache,
                                              hwaddr addr, const void *buf,
                                              hwaddr len);
/* Fixed-size accesses through a cache (QEMU's set); out of the cached
 * range: MEMTX_DECODE_ERROR and 0. */
GM_API uint32_t address_space_ldub_cached(MemoryRegionCache *cache, hwaddr addr,
                                          MemTxAttrs attrs,
                                          MemTxResult *result);
GM_API uint32_t address_space_lduw_le_cached(MemoryRegionCache *cache,
                                             hwaddr addr, MemTxAttrs attrs,
                                             MemTxResult *result);
GM_API uint32_t address_space_lduw_be_cached(MemoryRegionCache *cache,
                                             hwaddr addr, MemTxAttrs attrs,
                                             MemTxResult *result);
GM_API uint32_t address_space_ldl_le_cached(MemoryRegionCache *cache,
                                            hwaddr addr, MemTxAttrs attrs,
                                            MemTxResult *result);
GM_API uint32_t address_space_ldl_be_cached(MemoryRegionCache *cache,
                                            hwaddr addr, MemTxAttrs attrs,
                                            MemTxResult *result);
GM_API uint64_t address_space_ldq_le_cached(MemoryRegionCache *cache,
                                            hwaddr addr, MemTxAttrs attrs,
                                            MemTxResult *result);
GM_API uint64_t address_space_ldq_be_cached(MemoryRegionCache *cache,
                                            hwaddr addr, MemTxAttrs attrs,
                                            MemTxResult *result);
GM_API void address_space_stb_cached(MemoryRegionCache *cache, hwaddr addr,
                                     uint32_t val, MemTxAttrs attrs,
                                     MemTxResult *result);
GM_API void address_space_stw_le_cached(MemoryRegionCache *cache, hwaddr addr,
                                        uint32_t val, MemTxAttrs attrs,
                                        MemTxResult *result);
GM_API void address_space_stw_be_cached(MemoryRegionCache *cache, hwaddr addr,
                                        uint32_t val, MemTxAttrs attrs,
                                        MemTxResult *result);
GM_API void address_space_stl_le_cached(MemoryRegionCache *cache, hwaddr addr,
                                        uint32_t val, MemTxAttrs attrs,
                                        MemTxResult *result);
GM_API void address_space_stl_be_cached(MemoryRegionCache *cache, hwaddr addr,
                                        uint32_t val, MemTxAttrs attrs,
                                        MemTxResult *result);
GM_API void address_space_stq_le_cached(MemoryRegionCache *cache, hwaddr addr,
                                        uint64_t val, MemTxAttrs attrs,
                                        MemTxResult *result);
GM_API void address_space_stq_be_cached(MemoryRegionCache *cache, hwaddr addr,
                                        uint64_t val, MemTxAttrs attrs,
                                        MemTxResult *result);

/**
 * gm_update_lock / gm_update_unlock: the one writer lock (recursive).
 * Every topology change takes it for its own duration; hold it yourself
 * around a sequence of changes that other writer threads must not
 * interleave with.  Readers never take it.
 */
GM_API void gm_update_lock(void);
GM_API void gm_update_unlock(void);

#ifdef __cplusplus
}
#endif

#include <guestmem/access-inline.h>

#endif /* GUESTMEM_ACCESS_H */
