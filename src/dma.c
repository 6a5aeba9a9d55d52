// SPDX-License-Identifier: MIT
/*
 * dma.c - the device-side helpers of guestmem/dma.h: DMA with QEMU 7.2's
 * signatures, cpu_physical_memory_*, target-endian loads and stores, and
 * the MemoryRegionCache accessors access.h does not have.
 *
 * Nothing here reaches into the access path's internals: every function is
 * a composition of access.h's public calls, so the splitting, result and
 * dirty-tracking rules are the access path's own.  QEMU has most of these
 * as static inlines in its headers; here they are exported functions, so
 * that bindings (the Python module) can call them too.  The target is
 * little-endian, so "native" means _le.
 */
#include <guestmem/guestmem.h>

#include <string.h>

/* --- DMA ----------------------------------------------------------------- */

/* ThreadSanitizer does not model fences (gcc refuses them under
 * -fsanitize=thread); a sequentially consistent read-modify-write is as
 * strong a barrier and one it understands. */
#if defined(__SANITIZE_THREAD__)
#define DMA_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define DMA_TSAN 1
#endif
#endif

void dma_barrier(AddressSpace *as, DMADirection dir)
{
    (void)as;
    (void)dir;
#ifdef DMA_TSAN
    static int dummy;
    __atomic_fetch_add(&dummy, 0, __ATOMIC_SEQ_CST);
#else
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

bool dma_memory_valid(AddressSpace *as, dma_addr_t addr, dma_addr_t len,
                      DMADirection dir, MemTxAttrs attrs)
{
    return address_space_access_valid(as, addr, len,
                                      dir == DMA_DIRECTION_FROM_DEVICE, attrs);
}

MemTxResult dma_memory_rw_relaxed(AddressSpace *as, dma_addr_t addr, void *buf,
                                  dma_addr_t len, DMADirection dir,
                                  MemTxAttrs attrs)
{
    return address_space_rw(as, addr, attrs, buf, len,
                            dir == DMA_DIRECTION_FROM_DEVICE);
}

MemTxResult dma_memory_rw(AddressSpace *as, dma_addr_t addr, void *buf,
                          dma_addr_t len, DMADirection dir, MemTxAttrs attrs)
{
    dma_barrier(as, dir);
    return dma_memory_rw_relaxed(as, addr, buf, len, dir, attrs);
}

MemTxResult dma_memory_read(AddressSpace *as, dma_addr_t addr, void *buf,
                            dma_addr_t len, MemTxAttrs attrs)
{
    return dma_memory_rw(as, addr, buf, len, DMA_DIRECTION_TO_DEVICE, attrs);
}

MemTxResult dma_memory_write(AddressSpace *as, dma_addr_t addr, const void *buf,
                             dma_addr_t len, MemTxAttrs attrs)
{
    dma_barrier(as, DMA_DIRECTION_FROM_DEVICE);
    return address_space_write(as, addr, attrs, buf, len);
}

MemTxResult dma_memory_set(AddressSpace *as, dma_addr_t addr, uint8_t c,
                           dma_addr_t len, MemTxAttrs attrs)
{
    dma_barrier(as, DMA_DIRECTION_FROM_DEVICE);
    return address_space_set(as, addr, c, len, attrs);
}

void *dma_memory_map(AddressSpace *as, dma_addr_t addr, dma_addr_t *len,
                     DMADirection dir, MemTxAttrs attrs)
{
    return address_space_map(as, addr, len, dir == DMA_DIRECTION_FROM_DEVICE,
                             attrs);
}

void dma_memory_unmap(AddressSpace *as, void *buffer, dma_addr_t len,
                      DMADirection dir, dma_addr_t access_len)
{
    address_space_unmap(as, buffer, len, dir == DMA_DIRECTION_FROM_DEVICE,
                        access_len);
}

/* One barrier, then the access path's own fixed-size access, so that an
 * MMIO target sees one access of the full width, as in QEMU. */
#define DMA_LOAD(name, type, asname)                                      \
    MemTxResult name##_dma(AddressSpace *as, dma_addr_t addr, type *pval, \
                           MemTxAttrs attrs)                              \
    {                                                                     \
        MemTxResult r = MEMTX_OK;                                         \
        dma_barrier(as, DMA_DIRECTION_TO_DEVICE);                         \
        *pval = (type)address_space_##asname(as, addr, attrs, &r);        \
        return r;                                                         \
    }
#define DMA_STORE(name, type, asname)                                   \
    MemTxResult name##_dma(AddressSpace *as, dma_addr_t addr, type val, \
                           MemTxAttrs attrs)                            \
    {                                                                   \
        MemTxResult r = MEMTX_OK;                                       \
        dma_barrier(as, DMA_DIRECTION_FROM_DEVICE);                     \
        address_space_##asname(as, addr, val, attrs, &r);               \
        return r;                                                       \
    }

DMA_LOAD(ldub, uint8_t, ldub)
DMA_LOAD(lduw_le, uint16_t, lduw_le)
DMA_LOAD(lduw_be, uint16_t, lduw_be)
DMA_LOAD(ldl_le, uint32_t, ldl_le)
DMA_LOAD(ldl_be, uint32_t, ldl_be)
DMA_LOAD(ldq_le, uint64_t, ldq_le)
DMA_LOAD(ldq_be, uint64_t, ldq_be)
DMA_STORE(stb, uint8_t, stb)
DMA_STORE(stw_le, uint16_t, stw_le)
DMA_STORE(stw_be, uint16_t, stw_be)
DMA_STORE(stl_le, uint32_t, stl_le)
DMA_STORE(stl_be, uint32_t, stl_be)
DMA_STORE(stq_le, uint64_t, stq_le)
DMA_STORE(stq_be, uint64_t, stq_be)

/* --- cpu_physical_memory_* --------------------------------------------------- */

void cpu_physical_memory_rw(hwaddr addr, void *buf, hwaddr len, bool is_write)
{
    address_space_rw(gm_address_space_memory(), addr, MEMTXATTRS_UNSPECIFIED,
                     buf, len, is_write);
}

void cpu_physical_memory_read(hwaddr addr, void *buf, hwaddr len)
{
    cpu_physical_memory_rw(addr, buf, len, false);
}

void cpu_physical_memory_write(hwaddr addr, const void *buf, hwaddr len)
{
    address_space_write(gm_address_space_memory(), addr, MEMTXATTRS_UNSPECIFIED,
                        buf, len);
}

void *cpu_physical_memory_map(hwaddr addr, hwaddr *plen, bool is_write)
{
    return address_space_map(gm_address_space_memory(), addr, plen, is_write,
                             MEMTXATTRS_UNSPECIFIED);
}

void cpu_physical_memory_unmap(void *buffer, hwaddr len, bool is_write,
                               hwaddr access_len)
{
    address_space_unmap(gm_address_space_memory(), buffer, len, is_write,
                        access_len);
}

bool cpu_physical_memory_is_io(hwaddr addr)
{
    hwaddr xlat, len = 1;
    gm_rcu_read_lock();
    MemoryRegion *mr =
        address_space_translate(gm_address_space_memory(), addr, &xlat, &len,
                                false, MEMTXATTRS_UNSPECIFIED);
    bool io = !mr || !(memory_region_is_ram(mr) || memory_region_is_romd(mr));
    gm_rcu_read_unlock();
    return io;
}

/* --- target-endian loads and stores ------------------------------------------- */

uint32_t address_space_lduw(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                            MemTxResult *result)
{
    return address_space_lduw_le(as, addr, attrs, result);
}

uint32_t address_space_ldl(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                           MemTxResult *result)
{
    return address_space_ldl_le(as, addr, attrs, result);
}

uint64_t address_space_ldq(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                           MemTxResult *result)
{
    return address_space_ldq_le(as, addr, attrs, result);
}

void address_space_stw(AddressSpace *as, hwaddr addr, uint32_t val,
                       MemTxAttrs attrs, MemTxResult *result)
{
    address_space_stw_le(as, addr, val, attrs, result);
}

void address_space_stl(AddressSpace *as, hwaddr addr, uint32_t val,
                       MemTxAttrs attrs, MemTxResult *result)
{
    address_space_stl_le(as, addr, val, attrs, result);
}

void address_space_stq(AddressSpace *as, hwaddr addr, uint64_t val,
                       MemTxAttrs attrs, MemTxResult *result)
{
    address_space_stq_le(as, addr, val, attrs, result);
}

uint32_t lduw_phys(AddressSpace *as, hwaddr addr)
{
    return lduw_le_phys(as, addr);
}

uint32_t ldl_phys(AddressSpace *as, hwaddr addr)
{
    return ldl_le_phys(as, addr);
}

uint64_t ldq_phys(AddressSpace *as, hwaddr addr)
{
    return ldq_le_phys(as, addr);
}

void stw_phys(AddressSpace *as, hwaddr addr, uint32_t val)
{
    stw_le_phys(as, addr, val);
}

void stl_phys(AddressSpace *as, hwaddr addr, uint32_t val)
{
    stl_le_phys(as, addr, val);
}

void stq_phys(AddressSpace *as, hwaddr addr, uint64_t val)
{
    stq_le_phys(as, addr, val);
}

/* --- cached accessors ------------------------------------------------------------
 * The target-endian names of access.h's little-endian ones. */

#define CACHED_NATIVE_LD(name, type)                                          \
    type address_space_##name##_cached(MemoryRegionCache *cache, hwaddr addr, \
                                       MemTxAttrs attrs, MemTxResult *result) \
    {                                                                         \
        return address_space_##name##_le_cached(cache, addr, attrs, result);  \
    }
#define CACHED_NATIVE_ST(name, type)                                          \
    void address_space_##name##_cached(MemoryRegionCache *cache, hwaddr addr, \
                                       type val, MemTxAttrs attrs,            \
                                       MemTxResult *result)                   \
    {                                                                         \
        address_space_##name##_le_cached(cache, addr, val, attrs, result);    \
    }

CACHED_NATIVE_LD(lduw, uint32_t)
CACHED_NATIVE_LD(ldl, uint32_t)
CACHED_NATIVE_LD(ldq, uint64_t)
CACHED_NATIVE_ST(stw, uint32_t)
CACHED_NATIVE_ST(stl, uint32_t)
CACHED_NATIVE_ST(stq, uint64_t)

/* The *_phys_cached forms go through address_space_read/write_cached
 * (which check the range and the direction) and assemble the bytes in the
 * requested order. */
static uint64_t cached_load(MemoryRegionCache *cache, hwaddr addr,
                            unsigned size, bool big)
{
    uint8_t b[8] = { 0 };
    address_space_read_cached(cache, addr, b, size);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)b[big ? i : size - 1 - i] << (8 * (size - 1 - i));
    }
    return v; /* 0 when the range was refused: b stayed zero */
}

static void cached_store(MemoryRegionCache *cache, hwaddr addr, unsigned size,
                         bool big, uint64_t val)
{
    uint8_t b[8];
    for (unsigned i = 0; i < size; i++) {
        b[big ? size - 1 - i : i] = (uint8_t)(val >> (8 * i));
    }
    address_space_write_cached(cache, addr, b, size);
}

#define PHYS_CACHED_LD(name, type, size, big)                      \
    type name##_phys_cached(MemoryRegionCache *cache, hwaddr addr) \
    {                                                              \
        return (type)cached_load(cache, addr, size, big);          \
    }
#define PHYS_CACHED_ST(name, type, size, big)                                \
    void name##_phys_cached(MemoryRegionCache *cache, hwaddr addr, type val) \
    {                                                                        \
        cached_store(cache, addr, size, big, val);                           \
    }

PHYS_CACHED_LD(ldub, uint32_t, 1, false)
PHYS_CACHED_LD(lduw_le, uint32_t, 2, false)
PHYS_CACHED_LD(lduw_be, uint32_t, 2, true)
PHYS_CACHED_LD(lduw, uint32_t, 2, false)
PHYS_CACHED_LD(ldl_le, uint32_t, 4, false)
PHYS_CACHED_LD(ldl_be, uint32_t, 4, true)
PHYS_CACHED_LD(ldl, uint32_t, 4, false)
PHYS_CACHED_LD(ldq_le, uint64_t, 8, false)
PHYS_CACHED_LD(ldq_be, uint64_t, 8, true)
PHYS_CACHED_LD(ldq, uint64_t, 8, false)
PHYS_CACHED_ST(stb, uint32_t, 1, false)
PHYS_CACHED_ST(stw_le, uint32_t, 2, false)
PHYS_CACHED_ST(stw_be, uint32_t, 2, true)
PHYS_CACHED_ST(stw, uint32_t, 2, false)
PHYS_CACHED_ST(stl_le, uint32_t, 4, false)
PHYS_CACHED_ST(stl_be, uint32_t, 4, true)
PHYS_CACHED_ST(stl, uint32_t, 4, false)
PHYS_CACHED_ST(stq_le, uint64_t, 8, false)
PHYS_CACHED_ST(stq_be, uint64_t, 8, true)
PHYS_CACHED_ST(stq, uint64_t, 8, false)
