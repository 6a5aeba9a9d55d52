/* SPDX-License-Identifier: MIT */
/*
 * mmu/mmu-internal.h - what the files of src/mmu/ share: page-table entry
 * access through the access path (reads, and the atomic A/D update), the
 * access-rights rules (used by the walk and by TLB hits), and the walk
 * itself with its optional EPT stage.
 */
#ifndef GUESTMEM_MMU_INTERNAL_H
#define GUESTMEM_MMU_INTERNAL_H

#include "../base.h"

#include <guestmem/mmu.h>

#define GM_PAGE_4K (UINT64_C(1) << 12)
#define GM_PAGE_2M (UINT64_C(1) << 21)
#define GM_PAGE_4M (UINT64_C(1) << 22)
#define GM_PAGE_1G (UINT64_C(1) << 30)

/* Bits [lo, hi] set. */
static inline uint64_t gm__bits(unsigned hi, unsigned lo)
{
    return (hi >= 63 ? ~UINT64_C(0) : (UINT64_C(1) << (hi + 1)) - 1) &
           ~((UINT64_C(1) << lo) - 1);
}

/* MAXPHYADDR of a state (0 means 52), clamped to [32, 52]. */
static inline unsigned gm__phys_bits(unsigned pb)
{
    return pb == 0 || pb > 52 ? 52 : pb < 32 ? 32 : pb;
}

/*
 * Reads the @size-byte (4 or 8) little-endian entry at @addr of @as through
 * the access path; sets *@err when the access path did not say MEMTX_OK.
 */
uint64_t gm__pt_read(AddressSpace *as, uint64_t addr, unsigned size, bool *err);

/*
 * Replaces the entry at @addr (@size bytes) by @new if it still holds @old:
 * a locked compare-and-exchange on RAM, the dirty bitmaps told; on anything
 * else (MMIO, IOMMU, read-only) a read, a compare and a write through the
 * access path.  Return: true if the entry held @old (and was replaced).
 */
bool gm__pt_update(AddressSpace *as, uint64_t addr, unsigned size, uint64_t old,
                   uint64_t new);

/*
 * The access-rights verdict for @access to a translation with effective
 * @user, @rw, @nx and key @pkey, under @st in @mode.  Return: 0 if allowed,
 * else the #PF error-code bits the refusal adds (P, plus PK when the keys
 * refuse it).
 */
uint32_t gm__x86_rights(const GmX86MmuState *st, GmX86Paging mode,
                        unsigned access, bool user, bool rw, bool nx,
                        unsigned pkey);

/* The error-code bits of @access alone (W, U, and I/D where it applies). */
uint32_t gm__x86_pf_base(const GmX86MmuState *st, unsigned access);

/* Whether @access combines flags that cannot go together. */
static inline bool gm__x86_access_bad(unsigned access)
{
    return ((access & GM_X86_ACC_FETCH) && (access & GM_X86_ACC_WRITE)) ||
           ((access & GM_X86_ACC_IMPLICIT) && (access & GM_X86_ACC_USER));
}

/*
 * The walk.  @ept NULL: one dimension, entries read from @as.  Otherwise
 * each entry's guest-physical address goes through @ept into @as (the
 * host's), and so does the result.
 */
int gm__x86_walk(AddressSpace *as, const GmEptState *ept,
                 const GmX86MmuState *st, uint64_t va, unsigned access,
                 GmX86Walk *out);

/*
 * The EPT walk, appending its references to @refs (capacity @cap, count
 * *@nrefs) when @refs is not NULL.  @guest_pt: a guest-paging-structure
 * access (with EPTP.AD: a write for EPT, and both R and W in the exit
 * qualification).
 */
int gm__ept_walk(AddressSpace *host, const GmEptState *ept, uint64_t gpa,
                 unsigned access, bool guest_pt, GmEptWalk *out, GmX86Ref *refs,
                 unsigned cap, unsigned *nrefs);

#endif
