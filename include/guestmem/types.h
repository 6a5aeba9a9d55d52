/* SPDX-License-Identifier: MIT */
/*
 * guestmem/types.h - the basic types every other guestmem header uses.
 *
 * Addresses are hwaddr (64 bits).  Region sizes can be 2^64, which does not
 * fit in 64 bits, so QEMU's Int128 is kept at the API boundary where QEMU's
 * own signatures use it (MemoryRegionSection.size); everything else takes a
 * uint64_t size in which UINT64_MAX means 2^64, exactly as QEMU does.
 *
 * MemTxResult and MemTxAttrs are the access-path status and attributes of
 * QEMU's memory API, with the same values.
 */
#ifndef GUESTMEM_TYPES_H
#define GUESTMEM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define GM_API __attribute__((visibility("default")))
#else
#define GM_API
#endif

#if !defined(__SIZEOF_INT128__)
#error \
    "guestmem needs a compiler with 128-bit integers (gcc or clang on a 64-bit host)"
#endif

/** hwaddr: a guest physical address, or an offset inside a region. */
typedef uint64_t hwaddr;
#define HWADDR_MAX UINT64_MAX
#define HWADDR_PRIx "016" PRIx64

/** ram_addr_t: an offset in the space of all RAM blocks (see ramblock.h). */
typedef uint64_t ram_addr_t;

/**
 * Int128: a signed 128-bit integer, used where a value can be 2^64.
 * Only the handful of helpers below are provided; guestmem's own code keeps
 * closed [start, last] ranges in 64 bits instead.
 */
typedef __int128_t Int128;

static inline Int128 int128_make64(uint64_t a)
{
    return (Int128)a;
}
static inline Int128 int128_2_64(void)
{
    return (Int128)1 << 64;
}
static inline Int128 int128_zero(void)
{
    return 0;
}
static inline Int128 int128_one(void)
{
    return 1;
}
static inline uint64_t int128_get64(Int128 a)
{
    return (uint64_t)a;
}
static inline Int128 int128_add(Int128 a, Int128 b)
{
    return a + b;
}
static inline Int128 int128_sub(Int128 a, Int128 b)
{
    return a - b;
}
static inline bool int128_eq(Int128 a, Int128 b)
{
    return a == b;
}
static inline bool int128_lt(Int128 a, Int128 b)
{
    return a < b;
}
static inline bool int128_ge(Int128 a, Int128 b)
{
    return a >= b;
}
static inline bool int128_nz(Int128 a)
{
    return a != 0;
}

/**
 * MemTxResult: outcome of one access.  A bit mask, as in QEMU: results of the
 * pieces of a split access are OR-ed together.
 */
typedef uint32_t MemTxResult;
#define MEMTX_OK 0
#define MEMTX_ERROR (1U << 0)        /* device returned an error */
#define MEMTX_DECODE_ERROR (1U << 1) /* nothing at that address */
#define MEMTX_ACCESS_ERROR (1U << 2) /* access denied (e.g. IOMMU permission) */

/**
 * MemTxAttrs: attributes that travel with an access, passed to the
 * _with_attrs callbacks untouched.  The fields are QEMU's.
 */
typedef struct MemTxAttrs {
    unsigned int unspecified : 1;   /* no attributes were given */
    unsigned int secure : 1;        /* Arm TrustZone secure access */
    unsigned int space : 2;         /* Arm security space */
    unsigned int user : 1;          /* unprivileged access */
    unsigned int memory : 1;        /* "memory" rather than device access */
    unsigned int requester_id : 16; /* PCI requester id, or CPU index */
    unsigned int byte_swap : 1;     /* invert the endianness of the access */
    unsigned int target_tlb_bit0 : 1;
    unsigned int target_tlb_bit1 : 1;
    unsigned int target_tlb_bit2 : 1;
} MemTxAttrs;

#define MEMTXATTRS_UNSPECIFIED ((MemTxAttrs){ .unspecified = 1 })

/** device_endian: the byte order a MemoryRegionOps callback works in. */
enum device_endian {
    DEVICE_NATIVE_ENDIAN, /* the guest's order; guestmem's guests are little-endian */
    DEVICE_BIG_ENDIAN,
    DEVICE_LITTLE_ENDIAN,
};

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_TYPES_H */
