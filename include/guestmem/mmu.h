/* SPDX-License-Identifier: MIT */
/*
 * guestmem/mmu.h - guest virtual memory on x86: the page walk from a
 * guest-virtual address (GVA) to a guest-physical one (GPA), EPT from GPA to
 * host-physical (HPA), the two together, a software TLB, shadow page
 * tables, QEMU's `info tlb`, `info mem` and `gva2gpa`, and QEMU's
 * dump-guest-memory ELF files as input.
 *
 *   GVA --(guest page tables, CR3)--> GPA --(EPT, EPTP)--> HPA
 *   GVA --(shadow page tables)-------------------------> HPA
 *
 * Every page-table entry is read through the access path of an
 * AddressSpace (access.h), so tables may live in RAM, ROM, behind aliases
 * or in MMIO, exactly as the flat view says.  Accessed and dirty flags are
 * set as the processor sets them: only when the whole access succeeds,
 * with an atomic compare-and-exchange on RAM (the walk restarts when the
 * entry changed under it), through the dirty bitmaps (dirty.h) so that a
 * dirty-logging client sees the page-table page written.  Page tables in
 * MMIO or behind an IOMMU are updated with a read and a write, not
 * atomically.
 *
 * The architecture: Intel SDM volume 3, chapter 4 (paging: modes, access
 * rights, protection keys, reserved bits, A/D, the #PF error code) and
 * chapter 29 (EPT); where the SDM and QEMU 7.2's TCG differ, the SDM wins
 * and the difference is named at the function.  The QEMU formats come from
 * QEMU 7.2 (target/i386/monitor.c, helper.c, dump/dump.c, arch_dump.c) and
 * were checked against qemu-system-x86_64 7.2 (tests/mmu/).
 *
 * Thread-safety: the walks are read-side (access.h): lock-free, from any
 * thread, concurrently with topology changes.  A GmTlb and a GmShadowMmu
 * belong to one vCPU thread at a time.  A GmCore is immutable once opened
 * and may be walked from several threads.
 */
#ifndef GUESTMEM_MMU_H
#define GUESTMEM_MMU_H

#include <stdio.h>

#include <guestmem/access.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --- architectural bits ---------------------------------------------------- */

#define GM_X86_CR0_WP (1ull << 16)
#define GM_X86_CR0_PG (1ull << 31)
#define GM_X86_CR4_PSE (1ull << 4)
#define GM_X86_CR4_PAE (1ull << 5)
#define GM_X86_CR4_PGE (1ull << 7)
#define GM_X86_CR4_LA57 (1ull << 12)
#define GM_X86_CR4_PCIDE (1ull << 17)
#define GM_X86_CR4_SMEP (1ull << 20)
#define GM_X86_CR4_SMAP (1ull << 21)
#define GM_X86_CR4_PKE (1ull << 22)
#define GM_X86_CR4_PKS (1ull << 24)
#define GM_X86_EFER_LME (1ull << 8)
#define GM_X86_EFER_LMA (1ull << 10)
#define GM_X86_EFER_NXE (1ull << 11)

/* Paging-structure entry bits (all modes; XD and the key only in 64-bit
 * entries). */
#define GM_X86_PTE_P (1ull << 0)
#define GM_X86_PTE_RW (1ull << 1)
#define GM_X86_PTE_US (1ull << 2)
#define GM_X86_PTE_PWT (1ull << 3)
#define GM_X86_PTE_PCD (1ull << 4)
#define GM_X86_PTE_A (1ull << 5)
#define GM_X86_PTE_D (1ull << 6)
#define GM_X86_PTE_PS (1ull << 7) /* large page; PAT in a 4 KiB PTE */
#define GM_X86_PTE_G (1ull << 8)
#define GM_X86_PTE_XD (1ull << 63)
#define GM_X86_PTE_PKEY_SHIFT 59

/* #PF error code bits (SDM 4.7). */
#define GM_X86_PF_P (1u << 0)    /* the entry was present: a rights fault */
#define GM_X86_PF_W (1u << 1)    /* a write */
#define GM_X86_PF_U (1u << 2)    /* a user-mode access */
#define GM_X86_PF_RSVD (1u << 3) /* a reserved bit was set */
#define GM_X86_PF_ID (1u << 4)   /* an instruction fetch (see below) */
#define GM_X86_PF_PK (1u << 5)   /* protection keys refused it */

/* --- the walk's input ------------------------------------------------------- */

/**
 * GmX86Paging: the paging mode, valued as its number of levels.
 * %GM_X86_PAGING_OFF: CR0.PG = 0, addresses are physical.
 * %GM_X86_PAGING_32: 2 levels of 4-byte entries, 4 KiB and (CR4.PSE) 4 MiB.
 * %GM_X86_PAGING_PAE: a 4-entry PDPT and 2 levels of 8-byte entries.
 * %GM_X86_PAGING_4, %GM_X86_PAGING_5: IA-32e paging, 48- and 57-bit.
 */
typedef enum GmX86Paging {
    GM_X86_PAGING_OFF = 0,
    GM_X86_PAGING_32 = 2,
    GM_X86_PAGING_PAE = 3,
    GM_X86_PAGING_4 = 4,
    GM_X86_PAGING_5 = 5,
} GmX86Paging;

/**
 * GmX86MmuState: what the walk needs of a vCPU.  Zero-initialise, then fill
 * the registers; the zero values of the rest describe a CPU with 52
 * physical-address bits, 1 GiB pages and PSE-36.
 * @cr0, @cr3, @cr4, @efer: the registers (the mode follows from CR0.PG,
 *     CR4.PAE, EFER.LMA and CR4.LA57, as on the CPU; LME alone is not LMA).
 * @pkru: PKRU, user-mode protection keys (CR4.PKE).
 * @pkrs: IA32_PKRS, supervisor-mode protection keys (CR4.PKS).
 * @phys_bits: MAXPHYADDR, 32 to 52 (0: 52): bits at and above it in an
 *     entry are reserved.
 * @no_1g_pages: CPUID.80000001H:EDX.Page1GB = 0: PS in a PDPTE is reserved.
 * @no_pse36: CPUID.1:EDX.PSE-36 = 0: a 4 MiB page's bits 20:13 are
 *     reserved instead of physical-address bits 39:32.
 * @pdpte: PAE only, with @pdpte_loaded: the four PDPTEs as the CPU loaded
 *     them at the last MOV to CR3 (the CPU walks from these registers, not
 *     from memory); without @pdpte_loaded they are read from memory on each
 *     walk, as QEMU's TCG does.
 */
typedef struct GmX86MmuState {
    uint64_t cr0, cr3, cr4, efer;
    uint32_t pkru, pkrs;
    unsigned phys_bits;
    bool no_1g_pages;
    bool no_pse36;
    bool pdpte_loaded;
    uint64_t pdpte[4];
} GmX86MmuState;

/** gm_x86_paging_mode: the mode @st is in (never fails). */
GM_API GmX86Paging gm_x86_paging_mode(const GmX86MmuState *st);

/**
 * gm_x86_pcid: the PCID of @st: CR3 bits 11:0 with CR4.PCIDE in IA-32e
 * paging, else 0.
 */
GM_API uint16_t gm_x86_pcid(const GmX86MmuState *st);

/*
 * Access flags (the @access argument).  A plain read is 0.  The WRITE, USER
 * and FETCH values are the #PF error-code bits they turn into.
 *   GM_X86_ACC_WRITE     a data write
 *   GM_X86_ACC_USER      a user-mode access (CPL 3, not implicit)
 *   GM_X86_ACC_FETCH     an instruction fetch (not with WRITE)
 *   GM_X86_ACC_IMPLICIT  an implicit supervisor-mode access (GDT, IDT, TSS,
 *                        ...): SMAP refuses user pages whatever EFLAGS.AC
 *                        (not with USER)
 *   GM_X86_ACC_AC        EFLAGS.AC = 1 (SMAP lets explicit supervisor data
 *                        accesses reach user pages)
 *   GM_X86_ACC_NO_AD     do not set accessed/dirty flags (a debugger's probe)
 */
#define GM_X86_ACC_READ 0u
#define GM_X86_ACC_WRITE (1u << 1)
#define GM_X86_ACC_USER (1u << 2)
#define GM_X86_ACC_FETCH (1u << 4)
#define GM_X86_ACC_IMPLICIT (1u << 8)
#define GM_X86_ACC_AC (1u << 9)
#define GM_X86_ACC_NO_AD (1u << 10)

/* --- the walk's output ------------------------------------------------------ */

/** GmX86Result: how a translation ended (positive; errors are negative). */
typedef enum GmX86Result {
    GM_X86_OK = 0,
    GM_X86_PAGE_FAULT = 1,    /* #PF: see error_code and fault_addr */
    GM_X86_GP = 2,            /* #GP: a non-canonical address, or (PAE) a
                                 loaded PDPTE with reserved bits */
    GM_X86_EPT_VIOLATION = 3, /* VM exit: see exit_qual and fault_gpa */
    GM_X86_EPT_MISCONFIG = 4, /* VM exit: see fault_gpa */
} GmX86Result;

/** GmX86RefKind: what one memory reference of a walk read. */
typedef enum GmX86RefKind {
    GM_X86_REF_GUEST = 1, /* an entry of the guest's page tables */
    GM_X86_REF_EPT = 2,   /* an EPT entry */
} GmX86RefKind;

/**
 * GmX86Ref: one memory reference: the physical address of the entry read
 * (in the address space that holds it: the guest's in one dimension, the
 * host's in two), its kind and its level (5 = PML5 ... 1 = PT; the PAE
 * PDPTE is level 3).
 */
typedef struct GmX86Ref {
    uint64_t addr;
    uint8_t kind;
    uint8_t level;
} GmX86Ref;

/* 5-level guest and 5-level EPT: 5 * (5 + 1) + 5 references. */
#define GM_X86_MAX_REFS 40

/**
 * GmX86Walk: everything a translation found out.
 * @va: the linear address asked for.
 * @gpa: (OK) the physical address of that byte; in two dimensions the
 *     guest-physical one.
 * @hpa: (OK) the host-physical address (= @gpa in one dimension).
 * @page_size: (OK) 4 KiB, 2 MiB, 4 MiB or 1 GiB (of the guest page).
 * @level: (OK) the level of the leaf entry (1 = PTE).
 * @pte, @pte_addr: (OK) the leaf entry, as it is after the walk's A/D
 *     update, and where it lives (a guest-physical address).
 * @user, @writable, @nx: (OK) the effective U/S, R/W and XD of the
 *     translation (AND of U/S and R/W, OR of XD over the levels).
 * @global: (OK) G set in the leaf and CR4.PGE on.
 * @dirty: (OK) D is set in the leaf (after the update).
 * @pkey: (OK) the protection key (IA-32e paging), 0 otherwise.
 * @memtype, @ipat: (OK, two dimensions) the EPT memory type and
 *     ignore-PAT bit of the final translation.
 * @error_code, @fault_addr: (PAGE_FAULT) the #PF error code and the address
 *     for CR2.
 * @fault_level: (PAGE_FAULT, EPT_*) the level the walk stopped at; 0 for a
 *     fault found after the walk (access rights).
 * @exit_qual, @fault_gpa: (EPT_VIOLATION, EPT_MISCONFIG) the exit
 *     qualification (violations only) and the guest-physical address.
 * @pt_read_error: a page-table read did not return MEMTX_OK; the walk went
 *     on with the value the access path gave (0 for nothing mapped), as
 *     QEMU's does.
 * @nrefs, @refs: the memory references of the walk (reads of entries), in
 *     order (only the first @nrefs are set); A/D writes are not counted.
 */
typedef struct GmX86Walk {
    uint64_t va;
    uint64_t gpa;
    uint64_t hpa;
    uint64_t page_size;
    unsigned level;
    uint64_t pte;
    uint64_t pte_addr;
    bool user, writable, nx, global, dirty;
    unsigned pkey;
    uint8_t memtype;
    bool ipat;
    uint32_t error_code;
    uint64_t fault_addr;
    unsigned fault_level;
    uint64_t exit_qual;
    uint64_t fault_gpa;
    bool pt_read_error;
    unsigned nrefs;
    GmX86Ref refs[GM_X86_MAX_REFS];
} GmX86Walk;

/**
 * gm_x86_translate: translate @va for one access as the CPU in state @st
 * would, reading the page tables from @as.
 * @as: the guest-physical address space (page tables and all).
 * @st: the vCPU's paging state.
 * @va: a linear address (32-bit modes use its low 32 bits).
 * @access: GM_X86_ACC_* flags.
 * @out: filled in full (see GmX86Walk) whatever the result.
 *
 * In order, as the CPU checks: a non-canonical address (IA-32e) is #GP; at
 * each level an entry with P = 0 is a not-present #PF and one with a
 * reserved bit set (bits at or above MAXPHYADDR, XD without EFER.NXE, PS
 * where no page can be, a large page's low address bits, PAE PDPTE bits)
 * a reserved-bit #PF; then the access rights (U/S, R/W with CR0.WP, XD,
 * SMEP, SMAP with EFLAGS.AC and implicit accesses, and in IA-32e paging
 * protection keys, PKRU for user pages under CR4.PKE, PKRS for supervisor
 * pages under CR4.PKS).  The error code has P, W, U, RSVD, I/D (for a fetch
 * when CR4.SMEP, or CR4.PAE with EFER.NXE) and PK (whenever the keys refuse
 * a data access to a present page, even if U/S or R/W refused it too: the
 * SDM's rule; QEMU 7.2's TCG sets PK only when the other rights allowed
 * the access).  On success, unless GM_X86_ACC_NO_AD: A in every entry used
 * and, for a write, D in the leaf, from the top level down.
 *
 * With paging off the address is the physical one and nothing is read.
 *
 * Return: GM_X86_OK, GM_X86_PAGE_FAULT or GM_X86_GP; -GM_ERR_INVALID_ARG for
 * NULL pointers or contradicting flags (FETCH with WRITE, IMPLICIT with
 * USER).  Context: read-side (access.h); any thread.
 */
GM_API int gm_x86_translate(AddressSpace *as, const GmX86MmuState *st,
                            uint64_t va, unsigned access, GmX86Walk *out);

/**
 * gm_x86_canonical: @va sign-extended from bit 47 (4-level) or 56
 * (5-level), unchanged in other modes; QEMU's addr_canonical().
 */
GM_API uint64_t gm_x86_canonical(const GmX86MmuState *st, uint64_t va);

/* --- EPT ---------------------------------------------------------------------- */

/* EPTP and EPT entry bits (SDM 25.6.11, 29.3.2). */
#define GM_EPTP_MT_UC 0ull
#define GM_EPTP_MT_WB 6ull
#define GM_EPTP_WALK4 (3ull << 3) /* page-walk length - 1 */
#define GM_EPTP_WALK5 (4ull << 3)
#define GM_EPTP_AD (1ull << 6) /* accessed and dirty flags enabled */
#define GM_EPT_R (1ull << 0)
#define GM_EPT_W (1ull << 1)
#define GM_EPT_X (1ull << 2) /* supervisor-mode execute with MBEC */
#define GM_EPT_MT_SHIFT 3
#define GM_EPT_IPAT (1ull << 6)
#define GM_EPT_PS (1ull << 7)
#define GM_EPT_A (1ull << 8)
#define GM_EPT_D (1ull << 9)
#define GM_EPT_XU (1ull << 10) /* user-mode execute with MBEC */

/* EPT-violation exit-qualification bits (SDM 28.2.1, table 28-7). */
#define GM_EPT_QUAL_READ (1ull << 0)
#define GM_EPT_QUAL_WRITE (1ull << 1)
#define GM_EPT_QUAL_FETCH (1ull << 2)
#define GM_EPT_QUAL_READABLE (1ull << 3)
#define GM_EPT_QUAL_WRITABLE (1ull << 4)
#define GM_EPT_QUAL_EXECUTABLE (1ull << 5)
#define GM_EPT_QUAL_USER_EXEC (1ull << 6)
#define GM_EPT_QUAL_GLA_VALID (1ull << 7)
#define GM_EPT_QUAL_GLA_FINAL (1ull << 8)
#define GM_EPT_QUAL_USER (1ull << 9)
#define GM_EPT_QUAL_GLA_WRITABLE (1ull << 10)
#define GM_EPT_QUAL_GLA_NX (1ull << 11)

/**
 * GmEptState: the EPT configuration of a VM.
 * @eptp: the EPT pointer (walk length 4 or 5, A/D enable, table address).
 * @phys_bits: MAXPHYADDR of the host, 32 to 52 (0: 52).
 * @exec_only: IA32_VMX_EPT_VPID_CAP bit 0: execute-only entries (X without
 *     R) are allowed; otherwise they are a misconfiguration.
 * @mbec: mode-based execute control on: X allows supervisor-mode fetches
 *     and XU (bit 10) user-mode ones.
 * @no_1g_pages: the CPU lacks 1 GiB EPT pages (bit 7 of a PDPTE reserved).
 * @adv_exit_info: the CPU reports bits 9-11 of the exit qualification
 *     (advanced information for EPT violations).
 */
typedef struct GmEptState {
    uint64_t eptp;
    unsigned phys_bits;
    bool exec_only;
    bool mbec;
    bool no_1g_pages;
    bool adv_exit_info;
} GmEptState;

/**
 * GmEptWalk: the outcome of one EPT translation.
 * @gpa: the address asked for.  @hpa, @page_size, @level, @entry,
 * @entry_addr: (OK) the result, the leaf's size and level, the leaf entry
 * after the A/D update and where it lives.  @memtype, @ipat: (OK) the
 * leaf's memory type (0 UC, 1 WC, 4 WT, 5 WP, 6 WB) and ignore-PAT bit.
 * @rights: AND over the entries used of R (bit 0), W (1), X (2) and, with
 * MBEC, XU (3).  @exit_qual: (EPT_VIOLATION) the exit qualification without
 * the guest-linear-address bits (7 and up), which gm_x86_translate_2d adds.
 * @fault_level: (EPT_*) where the walk stopped.  @nrefs, @refs: the entries
 * read, in order.
 */
typedef struct GmEptWalk {
    uint64_t gpa;
    uint64_t hpa;
    uint64_t page_size;
    unsigned level;
    uint64_t entry;
    uint64_t entry_addr;
    uint8_t memtype;
    bool ipat;
    unsigned rights;
    uint64_t exit_qual;
    unsigned fault_level;
    bool pt_read_error;
    unsigned nrefs;
    GmX86Ref refs[5];
} GmEptWalk;

/**
 * gm_ept_translate: translate the guest-physical @gpa through the EPT of
 * @ept, whose tables are read from the host-physical address space @host.
 * @access: GM_X86_ACC_WRITE or GM_X86_ACC_FETCH (a read is 0);
 *     GM_X86_ACC_USER selects XU for a fetch under MBEC; GM_X86_ACC_NO_AD
 *     leaves the EPT A/D flags alone.
 *
 * An entry with bits 2:0 = 0 (and, with MBEC, XU = 0) is not present: an
 * EPT violation.  A present entry that is write-only, write-execute,
 * execute-only without @exec_only, has reserved bits (at or above
 * MAXPHYADDR, 7:3 in a non-leaf, bit 7 in a PML5E/PML4E or in a PDPTE
 * without 1 GiB pages, the low address bits of a large page) or a leaf
 * memory type of 2, 3 or 7 is an EPT misconfiguration (checked first, as
 * the CPU does).  Then the rights: a read needs R, a write W, a fetch X
 * (XU for user-mode fetches under MBEC) in every entry.  With EPTP.AD, A is
 * set in every entry used and D in the leaf for a write, on success only.
 *
 * Return: GM_X86_OK, GM_X86_EPT_VIOLATION or GM_X86_EPT_MISCONFIG;
 * -GM_ERR_INVALID_ARG for NULL pointers, a walk length other than 4 or 5,
 * or FETCH with WRITE.  Context: read-side.
 */
GM_API int gm_ept_translate(AddressSpace *host, const GmEptState *ept,
                            uint64_t gpa, unsigned access, GmEptWalk *out);

/**
 * gm_x86_translate_2d: the two-dimensional walk: the guest's page walk of
 * @va (state @guest), where CR3 and every guest page-table entry address is
 * a guest-physical address translated through @ept before it is read from
 * @host, and the final guest-physical address is translated too.
 *
 * Every reference is recorded (out->refs): for 4-level guest paging over a
 * 4-level EPT, 4 EPT reads before each of the 4 guest entries, and 4 for
 * the final address: 24.  Guest-paging-structure reads are EPT reads, and
 * guest A/D updates EPT writes; with EPTP.AD every guest-paging-structure
 * access counts as a write for EPT (SDM 29.3.3.2), and an EPT violation
 * there sets both the read and write bits of the exit qualification.  The
 * exit qualification has the guest-linear-address bits: GLA_VALID always,
 * GLA_FINAL when the final address faulted (not a paging-structure entry),
 * and with @ept->adv_exit_info and GLA_FINAL the guest's U/S, R/W and XD.
 * A guest #PF is reported as in gm_x86_translate (with the references up
 * to it).  out->gpa is guest-physical and out->hpa host-physical.
 *
 * Return: as gm_x86_translate, plus GM_X86_EPT_VIOLATION and
 * GM_X86_EPT_MISCONFIG (out->fault_gpa is the guest-physical address).
 * Context: read-side.
 */
GM_API int gm_x86_translate_2d(AddressSpace *host, const GmEptState *ept,
                               const GmX86MmuState *guest, uint64_t va,
                               unsigned access, GmX86Walk *out);

/* --- software TLB ---------------------------------------------------------- */

/**
 * GmTlb: a software TLB of one vCPU: successful translations keyed by
 * linear page and PCID, global entries (G with CR4.PGE) matching every
 * PCID.  Entries keep the effective U/S, R/W, XD, the key and the dirty
 * state of their leaf; a hit re-applies the access-rights rules with the
 * current CR0/CR4/PKRU/PKRS/AC (the CPU caches rights, not verdicts), and
 * a write to a page whose leaf was not dirty, or any access the rights
 * refuse, walks again.  What the TLB does not do by itself, as on the CPU:
 * notice changes of the page tables (flush with the calls below, as
 * INVLPG, MOV to CR3 and INVPCID do), and tell address spaces apart (use
 * one TLB per guest-physical address space).  Entries hold guest-physical
 * addresses from one-dimensional walks.
 * Cost: a hit is a slot read and the rights check (bench/mmu-bench.c);
 * flushing a page is O(1) while no large page is cached, else a scan, as
 * are flushes by PCID and of all non-global entries.
 * Thread-safety: none; one vCPU thread.  The walks it makes are read-side.
 */
typedef struct GmTlb GmTlb;

/**
 * gm_tlb_new: a TLB of @entries 4 KiB-page slots (a power of two, 1 to
 * 2^20), direct-mapped; large pages take the slot of the 4 KiB page that
 * was accessed.  Errors: GM_ERR_INVALID_ARG, GM_ERR_NO_MEMORY.
 * Ownership: free with gm_tlb_free().
 */
GM_API GmTlb *gm_tlb_new(unsigned entries, Error **errp);
/** gm_tlb_free: NULL is a no-op. */
GM_API void gm_tlb_free(GmTlb *tlb);

/**
 * gm_x86_translate_tlb: gm_x86_translate() behind @tlb: a hit gives the
 * result without reading memory (out->nrefs = 0, and only @gpa, @hpa,
 * @page_size, @user, @writable, @nx, @global, @dirty and @pkey are set); a
 * miss walks and fills the TLB on success.  A fault fills nothing and
 * drops a stale entry of that page.  Return: as gm_x86_translate().
 */
GM_API int gm_x86_translate_tlb(GmTlb *tlb, AddressSpace *as,
                                const GmX86MmuState *st, uint64_t va,
                                unsigned access, GmX86Walk *out);

/**
 * gm_tlb_lookup: the fast path alone: true and *@pa if @va hits for
 * @access in state @st, false otherwise (nothing but the hit and miss
 * counters changes).
 */
GM_API bool gm_tlb_lookup(GmTlb *tlb, const GmX86MmuState *st, uint64_t va,
                          unsigned access, uint64_t *pa);

/** gm_tlb_flush_all: drop everything, global entries too (INVPCID type 2,
 * or a change of CR4.PGE, PAE, PSE, LA57, PCIDE or CR0.PG). */
GM_API void gm_tlb_flush_all(GmTlb *tlb);
/** gm_tlb_flush_nonglobal: drop all non-global entries of every PCID
 * (INVPCID type 3; MOV to CR3 without PCIDs). */
GM_API void gm_tlb_flush_nonglobal(GmTlb *tlb);
/** gm_tlb_flush_pcid: drop the non-global entries of @pcid (MOV to CR3
 * with PCIDs and bit 63 clear; INVPCID type 1). */
GM_API void gm_tlb_flush_pcid(GmTlb *tlb, uint16_t pcid);
/**
 * gm_tlb_flush_page: INVLPG of @va in PCID @pcid: the entries of @pcid and
 * the global entries whose page (of whatever size) contains @va.
 * (INVPCID type 0 leaves global entries: gm_tlb_flush_page_pcid.)
 */
GM_API void gm_tlb_flush_page(GmTlb *tlb, uint16_t pcid, uint64_t va);
/** gm_tlb_flush_page_pcid: INVPCID type 0: the non-global entries of
 * @pcid whose page contains @va. */
GM_API void gm_tlb_flush_page_pcid(GmTlb *tlb, uint16_t pcid, uint64_t va);

/** GmTlbStats: counters since gm_tlb_new(). */
typedef struct GmTlbStats {
    uint64_t hits, misses, fills, flushes;
} GmTlbStats;
GM_API void gm_tlb_stats(const GmTlb *tlb, GmTlbStats *out);

/* --- shadow page tables ---------------------------------------------------- */

/**
 * GmShadowMmu: shadow page tables for one vCPU: 4-level (5-level for a
 * LA57 guest) tables that map the guest's linear addresses straight to
 * host-physical ones, built on demand from the guest's page walk composed
 * with EPT (or with the identity when there is no EPT), and kept coherent:
 * every guest page-table page a shadow entry was derived from is
 * write-protected through the memory model (an MMIO region over it, of
 * priority GM_SHADOW_WP_PRIORITY, in the guest's root container); a write
 * to it, by the guest or anyone through the access path, goes to RAM and
 * drops the shadow entries of the linear range that page maps.  A CR3 load
 * drops everything (resync) and INVLPG drops one page.
 *
 * Shadow leaves are 4 KiB; they carry the guest's effective U/S and XD, the
 * key, and R/W only when the guest allows writes, its leaf is dirty, EPT
 * allows writes and the page holds no guest page table, so that the first
 * write takes the slow path and sets the guest's D flag.  A guest page
 * table that is not RAM (ROM, MMIO) cannot be watched: nothing derived
 * from it is cached.  EPT belongs to the host: after changing it, call
 * gm_shadow_load_cr3().  The tables live in RAM of their own
 * (gm_shadow_table_space()), where gm_x86_translate() can walk them with
 * CR3 = gm_shadow_root().
 * Thread-safety: one thread, on the update side (fills add regions).
 */
typedef struct GmShadowMmu GmShadowMmu;
#define GM_SHADOW_WP_PRIORITY 0x40000000

/**
 * gm_shadow_new: shadow tables for a guest whose physical memory is @guest_as
 * (its root must be a container: write-protection regions are added to it),
 * translated to host-physical addresses by @ept over @host (both NULL: the
 * identity, HPA = GPA).  @table_pages: room for shadow tables, in 4 KiB
 * pages (at least 8).
 * Errors: GM_ERR_INVALID_ARG, GM_ERR_WRONG_KIND (the root is not a
 * container), GM_ERR_NO_MEMORY.  Ownership: gm_shadow_free(), before the
 * address spaces go.  Context: update side (adds regions while it runs).
 */
GM_API GmShadowMmu *gm_shadow_new(AddressSpace *guest_as, AddressSpace *host,
                                  const GmEptState *ept, unsigned table_pages,
                                  Error **errp);
/** gm_shadow_free: removes its regions and frees the tables; NULL: no-op. */
GM_API void gm_shadow_free(GmShadowMmu *s);

/**
 * gm_shadow_load_cr3: the guest loaded CR3 (or changed CR0, CR4, EFER):
 * take @st as the guest's state and drop every shadow entry and
 * write-protection.  Return: 0, or -GM_ERR_UNSUPPORTED with paging off.
 */
GM_API int gm_shadow_load_cr3(GmShadowMmu *s, const GmX86MmuState *st,
                              Error **errp);
/** gm_shadow_invlpg: the guest ran INVLPG @va: drop its shadow entry. */
GM_API void gm_shadow_invlpg(GmShadowMmu *s, uint64_t va);

/**
 * gm_shadow_translate: translate @va through the shadow tables (a walk of
 * them, CR0.WP forced on); on a shadow miss or refusal, the guest's walk
 * composed with EPT (the shadow "page fault"), which fills the shadow
 * entry when it succeeds.  out->hpa is host-physical; out->gpa
 * guest-physical (on the fast path, the page the entry was made from).
 * On the fast path only @va, @gpa, @hpa, @page_size (4 KiB), @level,
 * @user, @writable (whether writes are fast), @nx and @pkey are set.
 * *@fast (may be NULL) tells which path answered.  The result is always
 * what the guest's walk followed by EPT gives at that moment
 * (tests/unit/test-mmu-shadow.c checks it at random); the shadow only
 * translates, and writes the guest makes must go through @guest_as (by
 * gpa) for the protection to see them.
 * Return: as gm_x86_translate (plus the EPT results); -GM_ERR_INVALID_ARG
 * before gm_shadow_load_cr3().
 * Context: update side: a fill may add write-protection regions.
 */
GM_API int gm_shadow_translate(GmShadowMmu *s, uint64_t va, unsigned access,
                               GmX86Walk *out, bool *fast);

/** gm_shadow_table_space: the address space the shadow tables live in. */
GM_API AddressSpace *gm_shadow_table_space(GmShadowMmu *s);
/** gm_shadow_root: the shadow CR3 (physical address of the top table). */
GM_API uint64_t gm_shadow_root(const GmShadowMmu *s);

/** GmShadowStats: counters since creation. */
typedef struct GmShadowStats {
    uint64_t fast, slow, fills, wp_traps, zaps, resyncs, wp_pages,
        table_pages_used;
} GmShadowStats;
GM_API void gm_shadow_stats(const GmShadowMmu *s, GmShadowStats *out);

/* --- QEMU's monitor views (format of QEMU 7.2's target/i386/monitor.c) ----- */

/**
 * GmLineFn: receives each line (with its '\n') of a monitor view; return
 * non-zero to stop the view early.  It is also called with @line NULL
 * after every 4096 entries read, so that a caller can give up on
 * pathological tables: self-referencing IA-32e tables make `info tlb`
 * print up to 2^36 lines, and tables of present entries over empty ones
 * read as many entries without printing any, in QEMU as here.
 */
typedef int (*GmLineFn)(void *opaque, const char *line);

/**
 * gm_x86_info_tlb: QEMU 7.2's `info tlb` for a CPU in state @st over @as,
 * line by line, with QEMU's quirks kept: every present leaf as
 * "%016x: %016x XGPDACTUW", the address canonical, the physical address
 * masked as QEMU masks it (32-bit 4 MiB pages show bit 21; PAE entries keep
 * bits 63:52, so XD shows in the address; IA-32e masks bits 49:12), PAT
 * of 4 KiB entries hidden; "PG disabled" with paging off.  Tables are read
 * with plain reads (no A/D changes), as QEMU's cpu_physical_memory_read.
 * Return: 0, the non-zero value @fn returned, or -GM_ERR_INVALID_ARG.
 * Context: read-side.
 */
GM_API int gm_x86_info_tlb(AddressSpace *as, const GmX86MmuState *st,
                           GmLineFn fn, void *opaque);

/**
 * gm_x86_info_mem: QEMU 7.2's `info mem`: ranges of equal U/S, R/W and P,
 * "%016x-%016x %016x %c%c%c" (start, end, size, all canonicalised, "u" or
 * "-", "r", "w" or "-"), rights ANDed down the levels as QEMU does (not the
 * PAE PDPTE, nor a 32-bit 4 MiB PDE with anything).  For 5-level paging
 * QEMU 7.2 tests P of the PDPTE and PDE inverted (it descends into
 * not-present entries and skips present ones, so it lists nothing for
 * sane tables); this reproduces it, skipping only subtrees whose result is
 * provably empty, so it does not take QEMU's minute.
 * Return and context: as gm_x86_info_tlb().
 */
GM_API int gm_x86_info_mem(AddressSpace *as, const GmX86MmuState *st,
                           GmLineFn fn, void *opaque);

/**
 * gm_x86_gva2gpa_debug: QEMU 7.2's debug translation
 * (x86_cpu_get_phys_page_attrs_debug, behind the monitor's gva2gpa and
 * gdb): the page of @va, with no rights, reserved-bit or A/D handling; 32-bit
 * PSE-36 honoured; a non-canonical address is unmapped; paging off is the
 * identity.  Return: true and *@gpa (the byte's address), or false for
 * "Unmapped".  Context: read-side.
 */
GM_API bool gm_x86_gva2gpa_debug(AddressSpace *as, const GmX86MmuState *st,
                                 uint64_t va, uint64_t *gpa);

/**
 * gm_x86_format_gva2gpa: the monitor's reply to `gva2gpa @va`: "gpa: %#x\n"
 * (QEMU's "%#" PRIx64, so a zero prints "gpa: 0") or "Unmapped\n", into
 * @buf of @size bytes (64 are enough).  Return: as gm_x86_gva2gpa_debug().
 */
GM_API bool gm_x86_format_gva2gpa(AddressSpace *as, const GmX86MmuState *st,
                                  uint64_t va, char *buf, size_t size);

/* --- QEMU dump-guest-memory files ------------------------------------------ */

/**
 * GmCore: a guest read from an ELF file written by QEMU's
 * `dump-guest-memory` (without -p, so that segments are guest-physical):
 * each PT_LOAD segment becomes RAM at its p_paddr in an address space of
 * its own, and each vCPU's state comes from its "QEMU" note
 * (QEMUCPUState: general registers, segments, CR0-CR4) and its "CORE"
 * NT_PRSTATUS note.  EFER is not in the file: EFER.LMA and LME are taken to
 * be set when e_machine is EM_X86_64, as QEMU writes EM_X86_64 exactly when
 * the first vCPU is in IA-32e mode; NXE is assumed set.
 * Validation is complete before anything is returned: a short file, a bad
 * header, a segment past the end of the file, overlapping or overflowing
 * segments, malformed notes and a missing CPU note each fail with one
 * line saying what and where.
 */
typedef struct GmCore GmCore;

/**
 * gm_core_open: read @path.  Segments are mapped from the file
 * (copy-on-write: writes through the address space never reach the file).
 * Errors: GM_ERR_IO (cannot open or map; the reason), GM_ERR_PARSE (not a
 * QEMU x86 dump, or malformed: the first problem), GM_ERR_NO_MEMORY.
 * Ownership: gm_core_free().  Context: update side (builds regions).
 */
GM_API GmCore *gm_core_open(const char *path, Error **errp);

/**
 * gm_core_open_buffer: the same from @len bytes at @data (copied; the
 * caller keeps @data).  For tests and fuzzing.
 */
GM_API GmCore *gm_core_open_buffer(const void *data, size_t len, Error **errp);

/** gm_core_free: undo gm_core_open(); NULL is a no-op.  Update side. */
GM_API void gm_core_free(GmCore *core);

/** gm_core_address_space: the dump's guest-physical memory (RAM segments;
 * nothing else is mapped).  Valid until gm_core_free(). */
GM_API AddressSpace *gm_core_address_space(GmCore *core);

/** gm_core_nr_cpus: how many vCPUs the file describes (at least 1). */
GM_API unsigned gm_core_nr_cpus(const GmCore *core);

/**
 * GmCoreCpu: one vCPU of a dump: QEMUCPUState's registers (rip, rsp,
 * rflags, cr0-cr4) and the paging state derived from them (@mmu).
 */
typedef struct GmCoreCpu {
    uint64_t rip, rsp, rflags;
    uint64_t cr[5];
    uint64_t kernel_gs_base;
    GmX86MmuState mmu;
} GmCoreCpu;

/** gm_core_cpu: vCPU @index.  Return: 0 or -GM_ERR_INVALID_ARG. */
GM_API int gm_core_cpu(const GmCore *core, unsigned index, GmCoreCpu *out);

/** GmCoreSegment: one RAM segment: guest-physical start and size. */
typedef struct GmCoreSegment {
    uint64_t paddr, size;
} GmCoreSegment;
/** gm_core_segments: copy up to @max segments, sorted; return how many. */
GM_API size_t gm_core_segments(const GmCore *core, GmCoreSegment *out,
                               size_t max);

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_MMU_H */
