/* SPDX-License-Identifier: MIT */
/*
 * guestmem/dma.h - the rest of the device-side API QEMU 7.2's devices call:
 * DMA helpers (QEMU's sysemu/dma.h), cpu_physical_memory_*, the
 * target-endian ("native") ld/st helpers, more MemoryRegionCache accessors
 * and the MemOp names built from MO_8..MO_64, MO_LE and MO_BE.
 *
 * Everything here is a thin layer over access.h: a DMA read is an
 * address_space_read() after a memory barrier, a native-endian load is a
 * little-endian one (guestmem's guests are little-endian x86, as QEMU's
 * target for the pc machine), a cached big-endian load reads the bytes
 * through the cache and swaps them.  The rules of access.h apply
 * unchanged: splitting of MMIO accesses, MemTxResult values, read-only
 * aliases refusing writes, dirty tracking of every write.
 *
 * Where guestmem differs from QEMU 7.2, each declaration says so.  In
 * short: every function here is an exported function rather than a static
 * inline; the _cached accessors return MEMTX_DECODE_ERROR outside the
 * cached range where QEMU asserts; and the numeric values of the MemOp
 * names follow access.h's MemOp (MO_SIZE 3, MO_BSWAP 8, so MO_SIGN is 4),
 * not QEMU 7.2's (MO_SIZE 7, MO_SIGN 8, MO_BSWAP 0x10): use the names.
 *
 * Context: all of these are read-side, like access.h: lock-free, from any
 * thread, concurrently with topology changes.
 */
#ifndef GUESTMEM_DMA_H
#define GUESTMEM_DMA_H

#include <inttypes.h>

#include <guestmem/access.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --- MemOp names ------------------------------------------------------------
 * QEMU spells a load or store as size | sign | byte order.  guestmem's
 * accessors take no sign (they return unsigned values, as the ld*_phys
 * helpers do), so MO_SIGN only exists for code that builds MemOps. */
#define MO_SIGN 4 /* QEMU 7.2: 0x08 */
#define MO_SSIZE (MO_SIZE | MO_SIGN)
#define MO_UB MO_8
#define MO_UW MO_16
#define MO_UL MO_32
#define MO_UQ MO_64
#define MO_SB (MO_SIGN | MO_8)
#define MO_SW (MO_SIGN | MO_16)
#define MO_SL (MO_SIGN | MO_32)
#define MO_SQ (MO_SIGN | MO_64)
#define MO_TE MO_LE /* the target's order: little-endian */
#define MO_LEUW (MO_LE | MO_UW)
#define MO_LEUL (MO_LE | MO_UL)
#define MO_LEUQ (MO_LE | MO_UQ)
#define MO_LESW (MO_LE | MO_SW)
#define MO_LESL (MO_LE | MO_SL)
#define MO_LESQ (MO_LE | MO_SQ)
#define MO_BEUW (MO_BE | MO_UW)
#define MO_BEUL (MO_BE | MO_UL)
#define MO_BEUQ (MO_BE | MO_UQ)
#define MO_BESW (MO_BE | MO_SW)
#define MO_BESL (MO_BE | MO_SL)
#define MO_BESQ (MO_BE | MO_SQ)
#define MO_TEUW (MO_TE | MO_UW)
#define MO_TEUL (MO_TE | MO_UL)
#define MO_TEUQ (MO_TE | MO_UQ)
#define MO_TESW (MO_TE | MO_SW)
#define MO_TESL (MO_TE | MO_SL)
#define MO_TESQ (MO_TE | MO_SQ)

/* --- DMA --------------------------------------------------------------------- */

/** dma_addr_t: a bus address seen by a DMA-capable device (QEMU's type). */
typedef uint64_t dma_addr_t;
#define DMA_ADDR_BITS 64
#define DMA_ADDR_FMT "%" PRIx64

/**
 * DMADirection: TO_DEVICE reads guest memory (the device consumes it),
 * FROM_DEVICE writes it.  QEMU's values.
 */
typedef enum DMADirection {
    DMA_DIRECTION_TO_DEVICE = 0,
    DMA_DIRECTION_FROM_DEVICE = 1,
} DMADirection;

/**
 * dma_barrier: order the device's earlier accesses before its later ones
 * (a full memory barrier, as QEMU's smp_mb()).  @as and @dir are unused.
 */
GM_API void dma_barrier(AddressSpace *as, DMADirection dir);

/**
 * dma_memory_valid: whether a DMA of @len bytes at @addr of @as in
 * direction @dir would be accepted everywhere (address_space_access_valid()).
 * Calls no device callback.
 */
GM_API bool dma_memory_valid(AddressSpace *as, dma_addr_t addr, dma_addr_t len,
                             DMADirection dir, MemTxAttrs attrs);

/**
 * dma_memory_rw_relaxed: address_space_rw() without the barrier; @dir
 * FROM_DEVICE writes @buf to guest memory, TO_DEVICE fills @buf.
 * Return: as address_space_rw(): MEMTX_OK or the OR of the pieces' errors.
 */
GM_API MemTxResult dma_memory_rw_relaxed(AddressSpace *as, dma_addr_t addr,
                                         void *buf, dma_addr_t len,
                                         DMADirection dir, MemTxAttrs attrs);

/** dma_memory_rw: dma_barrier(), then dma_memory_rw_relaxed(). */
GM_API MemTxResult dma_memory_rw(AddressSpace *as, dma_addr_t addr, void *buf,
                                 dma_addr_t len, DMADirection dir,
                                 MemTxAttrs attrs);

/** dma_memory_read: dma_memory_rw() in direction TO_DEVICE. */
GM_API MemTxResult dma_memory_read(AddressSpace *as, dma_addr_t addr, void *buf,
                                   dma_addr_t len, MemTxAttrs attrs);

/** dma_memory_write: dma_memory_rw() in direction FROM_DEVICE. */
GM_API MemTxResult dma_memory_write(AddressSpace *as, dma_addr_t addr,
                                    const void *buf, dma_addr_t len,
                                    MemTxAttrs attrs);

/**
 * dma_memory_set: fill @len bytes at @addr with @c, after a barrier
 * (address_space_set()).
 */
GM_API MemTxResult dma_memory_set(AddressSpace *as, dma_addr_t addr, uint8_t c,
                                  dma_addr_t len, MemTxAttrs attrs);

/**
 * dma_memory_map: address_space_map() for a DMA in direction @dir: a host
 * pointer to RAM (with *@len cut to the contiguous part) or the bounce
 * buffer.  Return: NULL when nothing can be mapped (see address_space_map()).
 * Ownership: pair with dma_memory_unmap().
 */
GM_API void *dma_memory_map(AddressSpace *as, dma_addr_t addr, dma_addr_t *len,
                            DMADirection dir, MemTxAttrs attrs);

/**
 * dma_memory_unmap: end a dma_memory_map(); @access_len bytes were
 * transferred (written to guest memory if @dir is FROM_DEVICE, which marks
 * them dirty).
 */
GM_API void dma_memory_unmap(AddressSpace *as, void *buffer, dma_addr_t len,
                             DMADirection dir, dma_addr_t access_len);

/*
 * ld*_dma / st*_dma: one DMA load or store of 1, 2, 4 or 8 bytes in the
 * given byte order (no suffix: 1 byte), with a barrier first, as QEMU 7.2's
 * (which returns the MemTxResult and passes the value through *@pval).
 * On failure *@pval is what the access path read (0 for unassigned bytes).
 */
GM_API MemTxResult ldub_dma(AddressSpace *as, dma_addr_t addr, uint8_t *pval,
                            MemTxAttrs attrs);
GM_API MemTxResult lduw_le_dma(AddressSpace *as, dma_addr_t addr,
                               uint16_t *pval, MemTxAttrs attrs);
GM_API MemTxResult lduw_be_dma(AddressSpace *as, dma_addr_t addr,
                               uint16_t *pval, MemTxAttrs attrs);
GM_API MemTxResult ldl_le_dma(AddressSpace *as, dma_addr_t addr, uint32_t *pval,
                              MemTxAttrs attrs);
GM_API MemTxResult ldl_be_dma(AddressSpace *as, dma_addr_t addr, uint32_t *pval,
                              MemTxAttrs attrs);
GM_API MemTxResult ldq_le_dma(AddressSpace *as, dma_addr_t addr, uint64_t *pval,
                              MemTxAttrs attrs);
GM_API MemTxResult ldq_be_dma(AddressSpace *as, dma_addr_t addr, uint64_t *pval,
                              MemTxAttrs attrs);
GM_API MemTxResult stb_dma(AddressSpace *as, dma_addr_t addr, uint8_t val,
                           MemTxAttrs attrs);
GM_API MemTxResult stw_le_dma(AddressSpace *as, dma_addr_t addr, uint16_t val,
                              MemTxAttrs attrs);
GM_API MemTxResult stw_be_dma(AddressSpace *as, dma_addr_t addr, uint16_t val,
                              MemTxAttrs attrs);
GM_API MemTxResult stl_le_dma(AddressSpace *as, dma_addr_t addr, uint32_t val,
                              MemTxAttrs attrs);
GM_API MemTxResult stl_be_dma(AddressSpace *as, dma_addr_t addr, uint32_t val,
                              MemTxAttrs attrs);
GM_API MemTxResult stq_le_dma(AddressSpace *as, dma_addr_t addr, uint64_t val,
                              MemTxAttrs attrs);
GM_API MemTxResult stq_be_dma(AddressSpace *as, dma_addr_t addr, uint64_t val,
                              MemTxAttrs attrs);

/* --- the CPU's view: address_space_memory -------------------------------------- */

/**
 * cpu_physical_memory_rw: read or write @len bytes at @addr of
 * address_space_memory.  As in QEMU the result is dropped: unassigned bytes
 * read as zero, refused writes vanish.  Use address_space_rw() to see it.
 */
GM_API void cpu_physical_memory_rw(hwaddr addr, void *buf, hwaddr len,
                                   bool is_write);
/** cpu_physical_memory_read: cpu_physical_memory_rw() reading. */
GM_API void cpu_physical_memory_read(hwaddr addr, void *buf, hwaddr len);
/** cpu_physical_memory_write: cpu_physical_memory_rw() writing. */
GM_API void cpu_physical_memory_write(hwaddr addr, const void *buf, hwaddr len);
/**
 * cpu_physical_memory_map: address_space_map() on address_space_memory
 * with unspecified attributes.  Pair with cpu_physical_memory_unmap().
 */
GM_API void *cpu_physical_memory_map(hwaddr addr, hwaddr *plen, bool is_write);
/** cpu_physical_memory_unmap: address_space_unmap() on address_space_memory. */
GM_API void cpu_physical_memory_unmap(void *buffer, hwaddr len, bool is_write,
                                      hwaddr access_len);
/**
 * cpu_physical_memory_is_io: whether @addr of address_space_memory is
 * served by something other than RAM or a ROM device in romd mode (MMIO, or
 * nothing at all).
 */
GM_API bool cpu_physical_memory_is_io(hwaddr addr);

/* --- target-endian ("native") loads and stores ------------------------------------
 * QEMU's address_space_{lduw,ldl,ldq,stw,stl,stq} and {lduw,ldl,ldq,stw,
 * stl,stq}_phys use the target's byte order; guestmem's is little-endian,
 * so these are the _le forms under QEMU's names. */
GM_API uint32_t address_space_lduw(AddressSpace *as, hwaddr addr,
                                   MemTxAttrs attrs, MemTxResult *result);
GM_API uint32_t address_space_ldl(AddressSpace *as, hwaddr addr,
                                  MemTxAttrs attrs, MemTxResult *result);
GM_API uint64_t address_space_ldq(AddressSpace *as, hwaddr addr,
                                  MemTxAttrs attrs, MemTxResult *result);
GM_API void address_space_stw(AddressSpace *as, hwaddr addr, uint32_t val,
                              MemTxAttrs attrs, MemTxResult *result);
GM_API void address_space_stl(AddressSpace *as, hwaddr addr, uint32_t val,
                              MemTxAttrs attrs, MemTxResult *result);
GM_API void address_space_stq(AddressSpace *as, hwaddr addr, uint64_t val,
                              MemTxAttrs attrs, MemTxResult *result);
GM_API uint32_t lduw_phys(AddressSpace *as, hwaddr addr);
GM_API uint32_t ldl_phys(AddressSpace *as, hwaddr addr);
GM_API uint64_t ldq_phys(AddressSpace *as, hwaddr addr);
GM_API void stw_phys(AddressSpace *as, hwaddr addr, uint32_t val);
GM_API void stl_phys(AddressSpace *as, hwaddr addr, uint32_t val);
GM_API void stq_phys(AddressSpace *as, hwaddr addr, uint64_t val);

/* --- MemoryRegionCache accessors --------------------------------------------------
 * access.h has address_space_{ldub,lduw,ldl,ldq,stb,stw,stl,stq}_{le,be}
 * _cached; these complete QEMU 7.2's set with the target-endian names and
 * the *_phys_cached forms (unspecified attributes, result dropped), all
 * calls of access.h's.  @addr is relative to the cache's start.  Outside
 * the cached range, or a store through a cache made for reading:
 * MEMTX_DECODE_ERROR, nothing is done and loads return 0 (QEMU asserts). */
GM_API uint32_t address_space_lduw_cached(MemoryRegionCache *cache, hwaddr addr,
                                          MemTxAttrs attrs,
                                          MemTxResult *result);
GM_API uint32_t address_space_ldl_cached(MemoryRegionCache *cache, hwaddr addr,
                                         MemTxAttrs attrs, MemTxResult *result);
GM_API uint64_t address_space_ldq_cached(MemoryRegionCache *cache, hwaddr addr,
                                         MemTxAttrs attrs, MemTxResult *result);
GM_API void address_space_stw_cached(MemoryRegionCache *cache, hwaddr addr,
                                     uint32_t val, MemTxAttrs attrs,
                                     MemTxResult *result);
GM_API void address_space_stl_cached(MemoryRegionCache *cache, hwaddr addr,
                                     uint32_t val, MemTxAttrs attrs,
                                     MemTxResult *result);
GM_API void address_space_stq_cached(MemoryRegionCache *cache, hwaddr addr,
                                     uint64_t val, MemTxAttrs attrs,
                                     MemTxResult *result);

GM_API uint32_t ldub_phys_cached(MemoryRegionCache *cache, hwaddr addr);
GM_API uint32_t lduw_le_phys_cached(MemoryRegionCache *cache, hwaddr addr);
GM_API uint32_t lduw_be_phys_cached(MemoryRegionCache *cache, hwaddr addr);
GM_API uint32_t lduw_phys_cached(MemoryRegionCache *cache, hwaddr addr);
GM_API uint32_t ldl_le_phys_cached(MemoryRegionCache *cache, hwaddr addr);
GM_API uint32_t ldl_be_phys_cached(MemoryRegionCache *cache, hwaddr addr);
GM_API uint32_t ldl_phys_cached(MemoryRegionCache *cache, hwaddr addr);
GM_API uint64_t ldq_le_phys_cached(MemoryRegionCache *cache, hwaddr addr);
GM_API uint64_t ldq_be_phys_cached(MemoryRegionCache *cache, hwaddr addr);
GM_API uint64_t ldq_phys_cached(MemoryRegionCache *cache, hwaddr addr);
GM_API void stb_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                            uint32_t val);
GM_API void stw_le_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                               uint32_t val);
GM_API void stw_be_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                               uint32_t val);
GM_API void stw_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                            uint32_t val);
GM_API void stl_le_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                               uint32_t val);
GM_API void stl_be_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                               uint32_t val);
GM_API void stl_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                            uint32_t val);
GM_API void stq_le_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                               uint64_t val);
GM_API void stq_be_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                               uint64_t val);
GM_API void stq_phys_cached(MemoryRegionCache *cache, hwaddr addr,
                            uint64_t val);

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_DMA_H */
