// SPDX-License-Identifier: MIT
/*
 * mmu/walk.c - the x86 page walk: 32-bit (4 KiB, 4 MiB with PSE and
 * PSE-36), PAE, 4-level and 5-level paging, in one dimension (tables in
 * the guest-physical address space) or two (each table address translated
 * through EPT first, ept.c).
 *
 * A walk reads one entry per level, top down, through the access path
 * (gm__pt_read), checks P and the reserved bits of each entry as it goes,
 * and the access rights (gm__x86_rights) once it has the leaf: the order
 * in which the CPU reports faults.  Only then, and only if the access is
 * allowed, does it set the accessed flags from the top down and the dirty
 * flag in the leaf, each with a compare-and-exchange (gm__pt_update).  If
 * an entry changed between the read and the exchange the whole walk starts
 * again, as the CPU's page-miss handler does; a walk therefore never sets
 * A in an entry it did not use, nor D for a translation it did not make.
 *
 * Cost: one access-path load per level (a RAM load after a flat-view
 * lookup, ~10 ns), nothing allocated; the bench (bench/mmu-bench.c)
 * measures it.
 */
#include "mmu-internal.h"
#include "../ramblock-int.h"
#include "../view.h"
#include "../dirty-int.h"

#include <stddef.h>

GmX86Paging gm_x86_paging_mode(const GmX86MmuState *st)
{
    if (!st || !(st->cr0 & GM_X86_CR0_PG)) {
        return GM_X86_PAGING_OFF;
    }
    if (!(st->cr4 & GM_X86_CR4_PAE)) {
        return GM_X86_PAGING_32;
    }
    if (!(st->efer & GM_X86_EFER_LMA)) {
        return GM_X86_PAGING_PAE;
    }
    return (st->cr4 & GM_X86_CR4_LA57) ? GM_X86_PAGING_5 : GM_X86_PAGING_4;
}

uint16_t gm_x86_pcid(const GmX86MmuState *st)
{
    GmX86Paging m = gm_x86_paging_mode(st);
    if ((m == GM_X86_PAGING_4 || m == GM_X86_PAGING_5) &&
        (st->cr4 & GM_X86_CR4_PCIDE)) {
        return (uint16_t)(st->cr3 & 0xfff);
    }
    return 0;
}

uint64_t gm_x86_canonical(const GmX86MmuState *st, uint64_t va)
{
    switch (gm_x86_paging_mode(st)) {
    case GM_X86_PAGING_4: return (uint64_t)((int64_t)(va << 16) >> 16);
    case GM_X86_PAGING_5: return (uint64_t)((int64_t)(va << 7) >> 7);
    default: return va;
    }
}

/* --- entries through the access path ------------------------------------- */

uint64_t gm__pt_read(AddressSpace *as, uint64_t addr, unsigned size, bool *err)
{
    MemTxResult r = MEMTX_OK;
    uint64_t v =
        size == 8 ? address_space_ldq_le(as, addr, MEMTXATTRS_UNSPECIFIED, &r)
                  : address_space_ldl_le(as, addr, MEMTXATTRS_UNSPECIFIED, &r);
    if (r != MEMTX_OK) {
        *err = true;
    }
    return v;
}

bool gm__pt_update(AddressSpace *as, uint64_t addr, unsigned size, uint64_t old,
                   uint64_t new)
{
    gm_rcu_read_lock();
    FlatView *fv = address_space_to_flatview(as);
    const FlatRange *fr = fv ? gm__flatview_range(fv, addr) : NULL;
    if (fr && fr->direct_write && fr->host && !fr->mr->is_iommu &&
        addr + size - 1 <= fr->last && addr + size - 1 >= addr) {
        uint8_t *h = fr->host + (addr - fr->start);
        if (((uintptr_t)h & (size - 1)) == 0) {
            bool ok;
            if (size == 8) {
                uint64_t expect = old;
                ok = __atomic_compare_exchange_n((uint64_t *)(void *)h, &expect,
                                                 new, false, __ATOMIC_SEQ_CST,
                                                 __ATOMIC_SEQ_CST);
            } else {
                uint32_t expect = (uint32_t)old;
                ok = __atomic_compare_exchange_n(
                    (uint32_t *)(void *)h, &expect, (uint32_t) new, false,
                    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
            }
            if (ok && fr->dirty_log_mask && fr->mr->ram_block) {
                gm__dirty_mark(fr->mr->ram_block->offset +
                                   fr->offset_in_region + (addr - fr->start),
                               size, fr->dirty_log_mask);
            }
            gm_rcu_read_unlock();
            return ok;
        }
    }
    gm_rcu_read_unlock();
    /* Not plain RAM: what QEMU does too (its slow path), minus the
     * exclusive section: read, compare, write. */
    bool err = false;
    if (gm__pt_read(as, addr, size, &err) != old) {
        return false;
    }
    uint8_t buf[8];
    for (unsigned i = 0; i < size; i++) {
        buf[i] = (uint8_t)(new >> (8 * i));
    }
    address_space_write(as, addr, MEMTXATTRS_UNSPECIFIED, buf, size);
    return true;
}

/* --- access rights -------------------------------------------------------- */

uint32_t gm__x86_pf_base(const GmX86MmuState *st, unsigned access)
{
    uint32_t e = access & (GM_X86_PF_W | GM_X86_PF_U);
    if ((access & GM_X86_ACC_FETCH) &&
        ((st->cr4 & GM_X86_CR4_SMEP) ||
         ((st->cr4 & GM_X86_CR4_PAE) && (st->efer & GM_X86_EFER_NXE)))) {
        e |= GM_X86_PF_ID;
    }
    return e;
}

uint32_t gm__x86_rights(const GmX86MmuState *st, GmX86Paging mode,
                        unsigned access, bool user, bool rw, bool nx,
                        unsigned pkey)
{
    bool write = access & GM_X86_ACC_WRITE;
    bool fetch = access & GM_X86_ACC_FETCH;
    bool wp = st->cr0 & GM_X86_CR0_WP;
    bool bad = false;

    if (access & GM_X86_ACC_USER) {
        bad = !user || (write && !rw) || (fetch && nx);
    } else if (fetch) {
        bad = nx || (user && (st->cr4 & GM_X86_CR4_SMEP));
    } else {
        /* SMAP: supervisor data accesses to user pages, unless explicit
         * with EFLAGS.AC set.  CR0.WP = 0 lets supervisor writes ignore
         * R/W (SDM 4.6.1). */
        bad = (user && (st->cr4 & GM_X86_CR4_SMAP) &&
               ((access & GM_X86_ACC_IMPLICIT) || !(access & GM_X86_ACC_AC))) ||
              (write && !rw && wp);
    }

    /* Protection keys: IA-32e paging, data accesses only.  The SDM sets
     * PK whenever the keys refuse, whatever U/S and R/W said. */
    bool pk = false;
    if ((mode == GM_X86_PAGING_4 || mode == GM_X86_PAGING_5) && !fetch) {
        uint32_t reg = 0;
        bool on = false;
        if (user && (st->cr4 & GM_X86_CR4_PKE)) {
            reg = st->pkru;
            on = true;
        } else if (!user && (st->cr4 & GM_X86_CR4_PKS)) {
            reg = st->pkrs;
            on = true;
        }
        if (on) {
            bool ad = (reg >> (2 * pkey)) & 1;
            bool wd = (reg >> (2 * pkey + 1)) & 1;
            pk = ad || (wd && write && ((access & GM_X86_ACC_USER) || wp));
        }
    }
    if (!bad && !pk) {
        return 0;
    }
    return GM_X86_PF_P | (pk ? GM_X86_PF_PK : 0);
}

/* --- the walk --------------------------------------------------------------- */

#define WALK_RESTART 100 /* an entry changed under the A/D update */
#define WALK_MAX_RESTARTS 1000

typedef struct Used {
    uint64_t gaddr; /* guest-physical address of the entry */
    uint64_t val;
    unsigned level;
    bool no_a; /* a PAE PDPTE: no accessed flag */
} Used;

typedef struct Walker {
    AddressSpace *as;
    const GmEptState *ept;
    const GmX86MmuState *st;
    GmX86Walk *out;
    unsigned access;
    unsigned size; /* entry size: 4 or 8 */
    Used used[5];
    unsigned nused;
} Walker;

static void add_ref(GmX86Walk *out, uint64_t addr, GmX86RefKind kind,
                    unsigned level)
{
    if (out->nrefs < GM_X86_MAX_REFS) {
        out->refs[out->nrefs++] = (GmX86Ref){ .addr = addr,
                                              .kind = (uint8_t)kind,
                                              .level = (uint8_t)level };
    }
}

/* Exit-qualification bits for the guest linear address, on a violation. */
static uint64_t gla_bits(const Walker *w, bool final)
{
    uint64_t q = GM_EPT_QUAL_GLA_VALID;
    if (final) {
        q |= GM_EPT_QUAL_GLA_FINAL;
        if (w->ept->adv_exit_info) {
            q |= (w->out->user ? GM_EPT_QUAL_USER : 0) |
                 (w->out->writable ? GM_EPT_QUAL_GLA_WRITABLE : 0) |
                 (w->out->nx ? GM_EPT_QUAL_GLA_NX : 0);
        }
    }
    return q;
}

/* Where the entry at guest-physical @gaddr lives in w->as: itself, or its
 * EPT translation (a guest-paging-structure access). */
static int locate(Walker *w, uint64_t gaddr, unsigned level, bool write,
                  bool record, uint64_t *addr)
{
    if (!w->ept) {
        *addr = gaddr;
        return GM_X86_OK;
    }
    GmEptWalk ew;
    unsigned acc =
        (write ? GM_X86_ACC_WRITE : 0) | (w->access & GM_X86_ACC_NO_AD);
    int r = gm__ept_walk(w->as, w->ept, gaddr, acc, true, &ew,
                         record ? w->out->refs : NULL, GM_X86_MAX_REFS,
                         &w->out->nrefs);
    if (ew.pt_read_error) {
        w->out->pt_read_error = true;
    }
    if (r != GM_X86_OK) {
        w->out->exit_qual =
            r == GM_X86_EPT_VIOLATION ? ew.exit_qual | gla_bits(w, false) : 0;
        w->out->fault_gpa = gaddr;
        w->out->fault_level = level;
        return r;
    }
    *addr = ew.hpa;
    return GM_X86_OK;
}

/* Reads the entry at guest-physical @gaddr, recording the reference. */
static int read_entry(Walker *w, uint64_t gaddr, unsigned level, uint64_t *val)
{
    uint64_t a;
    int r = locate(w, gaddr, level, false, true, &a);
    if (r != GM_X86_OK) {
        return r;
    }
    add_ref(w->out, a, GM_X86_REF_GUEST, level);
    *val = gm__pt_read(w->as, a, w->size, &w->out->pt_read_error);
    w->used[w->nused++] = (Used){ .gaddr = gaddr, .val = *val, .level = level };
    return GM_X86_OK;
}

static int page_fault(Walker *w, uint32_t bits, unsigned level)
{
    GmX86Walk *out = w->out;
    out->error_code = gm__x86_pf_base(w->st, w->access) | bits;
    out->fault_addr = out->va;
    out->fault_level = level;
    return GM_X86_PAGE_FAULT;
}

/* Sets A on every entry used and D on the leaf for a write. */
static int update_ad(Walker *w)
{
    bool write = w->access & GM_X86_ACC_WRITE;
    for (unsigned i = 0; i < w->nused; i++) {
        Used *u = &w->used[i];
        bool leaf = i == w->nused - 1;
        uint64_t want = u->val;
        if (!u->no_a) {
            want |= GM_X86_PTE_A;
        }
        if (leaf && write) {
            want |= GM_X86_PTE_D;
        }
        if (want == u->val) {
            continue;
        }
        uint64_t a;
        int r = locate(w, u->gaddr, u->level, true, false, &a);
        if (r != GM_X86_OK) {
            return r;
        }
        if (!gm__pt_update(w->as, a, w->size, u->val, want)) {
            return WALK_RESTART;
        }
        u->val = want;
    }
    return GM_X86_OK;
}

/* IA-32e paging, 4 or 5 levels. */
static int walk_ia32e(Walker *w, unsigned levels, uint64_t *pa,
                      uint64_t *leaf_val, unsigned *leaf_level, bool *user,
                      bool *rw, bool *nx)
{
    const GmX86MmuState *st = w->st;
    uint64_t va = w->out->va;
    unsigned top = levels == 5 ? 56 : 47;
    int64_t sext = (int64_t)va >> top;
    if (sext != 0 && sext != -1) {
        return GM_X86_GP;
    }
    unsigned m = gm__phys_bits(st->phys_bits);
    uint64_t addr_mask = gm__bits(m - 1, 12);
    uint64_t rsvd = m < 52 ? gm__bits(51, m) : 0;
    bool nxe = st->efer & GM_X86_EFER_NXE;
    if (!nxe) {
        rsvd |= GM_X86_PTE_XD;
    }
    uint64_t table = st->cr3 & addr_mask;
    for (unsigned l = levels; l >= 1; l--) {
        unsigned shift = 12 + 9 * (l - 1);
        uint64_t e;
        int r = read_entry(w, table + ((va >> shift) & 511) * 8, l, &e);
        if (r != GM_X86_OK) {
            return r;
        }
        if (!(e & GM_X86_PTE_P)) {
            return page_fault(w, 0, l);
        }
        uint64_t bad = rsvd;
        bool ps = (e & GM_X86_PTE_PS) && l >= 2;
        if (l >= 4) {
            bad |= GM_X86_PTE_PS;
        } else if (l == 3 && ps) {
            bad |= st->no_1g_pages ? GM_X86_PTE_PS : gm__bits(29, 13);
        } else if (l == 2 && ps) {
            bad |= gm__bits(20, 13);
        }
        if (e & bad) {
            return page_fault(w, GM_X86_PF_P | GM_X86_PF_RSVD, l);
        }
        *user = *user && (e & GM_X86_PTE_US);
        *rw = *rw && (e & GM_X86_PTE_RW);
        *nx = *nx || (nxe && (e & GM_X86_PTE_XD));
        if (l == 1 || ps) {
            uint64_t size = UINT64_C(1) << shift;
            *pa = (e & addr_mask & ~(size - 1)) | (va & (size - 1));
            *leaf_val = e;
            *leaf_level = l;
            w->out->page_size = size;
            w->out->pkey = (unsigned)((e >> GM_X86_PTE_PKEY_SHIFT) & 15);
            return GM_X86_OK;
        }
        table = e & addr_mask;
    }
    return GM_X86_OK; /* not reached: level 1 is a leaf */
}

/* PAE paging: the PDPTE (from memory, or as loaded), then PD and PT. */
static int walk_pae(Walker *w, uint64_t *pa, uint64_t *leaf_val,
                    unsigned *leaf_level, bool *user, bool *rw, bool *nx)
{
    const GmX86MmuState *st = w->st;
    uint32_t va = (uint32_t)w->out->va;
    unsigned m = gm__phys_bits(st->phys_bits);
    uint64_t addr_mask = gm__bits(m - 1, 12);
    bool nxe = st->efer & GM_X86_EFER_NXE;
    uint64_t pdpte;
    unsigned idx = va >> 30;
    uint64_t pdpte_rsvd = gm__bits(63, m) | gm__bits(2, 1) | gm__bits(8, 5);
    if (st->pdpte_loaded) {
        pdpte = st->pdpte[idx];
        if ((pdpte & GM_X86_PTE_P) && (pdpte & pdpte_rsvd)) {
            return GM_X86_GP; /* the MOV to CR3 would have failed */
        }
    } else {
        uint64_t pdpt = st->cr3 & 0xffffffe0u;
        int r = read_entry(w, pdpt + idx * 8, 3, &pdpte);
        if (r != GM_X86_OK) {
            return r;
        }
        w->used[w->nused - 1].no_a = true;
    }
    if (!(pdpte & GM_X86_PTE_P)) {
        return page_fault(w, 0, 3);
    }
    if (pdpte & pdpte_rsvd) {
        return page_fault(w, GM_X86_PF_P | GM_X86_PF_RSVD, 3);
    }
    uint64_t rsvd = gm__bits(62, m) | (nxe ? 0 : GM_X86_PTE_XD);
    uint64_t table = pdpte & addr_mask;
    for (unsigned l = 2; l >= 1; l--) {
        unsigned shift = 12 + 9 * (l - 1);
        uint64_t e;
        int r = read_entry(w, table + ((va >> shift) & 511) * 8, l, &e);
        if (r != GM_X86_OK) {
            return r;
        }
        if (!(e & GM_X86_PTE_P)) {
            return page_fault(w, 0, l);
        }
        bool ps = l == 2 && (e & GM_X86_PTE_PS);
        if (e & (rsvd | (ps ? gm__bits(20, 13) : 0))) {
            return page_fault(w, GM_X86_PF_P | GM_X86_PF_RSVD, l);
        }
        *user = *user && (e & GM_X86_PTE_US);
        *rw = *rw && (e & GM_X86_PTE_RW);
        *nx = *nx || (nxe && (e & GM_X86_PTE_XD));
        if (l == 1 || ps) {
            uint64_t size = UINT64_C(1) << shift;
            *pa = (e & addr_mask & ~(size - 1)) | (va & (size - 1));
            *leaf_val = e;
            *leaf_level = l;
            w->out->page_size = size;
            return GM_X86_OK;
        }
        table = e & addr_mask;
    }
    return GM_X86_OK;
}

/* 32-bit paging: PDE (4 MiB with CR4.PSE) and PTE, 4-byte entries. */
static int walk_32(Walker *w, uint64_t *pa, uint64_t *leaf_val,
                   unsigned *leaf_level, bool *user, bool *rw)
{
    const GmX86MmuState *st = w->st;
    uint32_t va = (uint32_t)w->out->va;
    unsigned m = gm__phys_bits(st->phys_bits);
    uint64_t pde;
    int r = read_entry(w, (st->cr3 & 0xfffff000u) + (va >> 22) * 4, 2, &pde);
    if (r != GM_X86_OK) {
        return r;
    }
    if (!(pde & GM_X86_PTE_P)) {
        return page_fault(w, 0, 2);
    }
    *user = pde & GM_X86_PTE_US;
    *rw = pde & GM_X86_PTE_RW;
    if ((pde & GM_X86_PTE_PS) && (st->cr4 & GM_X86_CR4_PSE)) {
        /* Bits 20:13 are physical-address bits 39:32 (PSE-36), up to
         * MAXPHYADDR; bit 21 and the bits beyond are reserved. */
        unsigned hi = m > 40 ? 40 : m;
        uint64_t bad = UINT64_C(1) << 21;
        if (st->no_pse36) {
            bad |= gm__bits(20, 13);
        } else if (hi < 40) {
            bad |= gm__bits(20, hi - 19);
        }
        if (pde & bad) {
            return page_fault(w, GM_X86_PF_P | GM_X86_PF_RSVD, 2);
        }
        *pa = (pde & 0xffc00000u) | (((pde >> 13) & 0xff) << 32) |
              (va & 0x3fffffu);
        *leaf_val = pde;
        *leaf_level = 2;
        w->out->page_size = GM_PAGE_4M;
        return GM_X86_OK;
    }
    uint64_t pte;
    r = read_entry(w, (pde & 0xfffff000u) + ((va >> 12) & 1023) * 4, 1, &pte);
    if (r != GM_X86_OK) {
        return r;
    }
    if (!(pte & GM_X86_PTE_P)) {
        return page_fault(w, 0, 1);
    }
    *user = *user && (pte & GM_X86_PTE_US);
    *rw = *rw && (pte & GM_X86_PTE_RW);
    *pa = (pte & 0xfffff000u) | (va & 0xfffu);
    *leaf_val = pte;
    *leaf_level = 1;
    w->out->page_size = GM_PAGE_4K;
    return GM_X86_OK;
}

/* Translates the final guest-physical address through EPT (two
 * dimensions), filling hpa and the memory type. */
static int final_stage(Walker *w)
{
    GmX86Walk *out = w->out;
    if (!w->ept) {
        out->hpa = out->gpa;
        return GM_X86_OK;
    }
    GmEptWalk ew;
    unsigned acc =
        (w->access & (GM_X86_ACC_WRITE | GM_X86_ACC_FETCH | GM_X86_ACC_NO_AD)) |
        (out->user ? GM_X86_ACC_USER : 0);
    int r = gm__ept_walk(w->as, w->ept, out->gpa, acc, false, &ew, out->refs,
                         GM_X86_MAX_REFS, &out->nrefs);
    if (ew.pt_read_error) {
        out->pt_read_error = true;
    }
    if (r != GM_X86_OK) {
        out->exit_qual =
            r == GM_X86_EPT_VIOLATION ? ew.exit_qual | gla_bits(w, true) : 0;
        out->fault_gpa = out->gpa;
        out->fault_level = ew.fault_level;
        return r;
    }
    out->hpa = ew.hpa;
    out->memtype = ew.memtype;
    out->ipat = ew.ipat;
    return GM_X86_OK;
}

static int walk_once(Walker *w)
{
    GmX86Walk *out = w->out;
    const GmX86MmuState *st = w->st;
    GmX86Paging mode = gm_x86_paging_mode(st);
    uint64_t pa = 0, leaf = 0;
    unsigned level = 0;
    bool user = true, rw = true, nx = false;
    int r;

    w->nused = 0;
    w->size = mode == GM_X86_PAGING_32 ? 4 : 8;
    switch (mode) {
    case GM_X86_PAGING_OFF:
        out->gpa = out->va & 0xffffffffu;
        out->page_size = GM_PAGE_4K;
        out->user = out->writable = true;
        return final_stage(w);
    case GM_X86_PAGING_32:
        r = walk_32(w, &pa, &leaf, &level, &user, &rw);
        break;
    case GM_X86_PAGING_PAE:
        r = walk_pae(w, &pa, &leaf, &level, &user, &rw, &nx);
        break;
    default:
        r = walk_ia32e(w, (unsigned)mode, &pa, &leaf, &level, &user, &rw, &nx);
        break;
    }
    if (r != GM_X86_OK) {
        return r;
    }
    out->user = user;
    out->writable = rw;
    out->nx = nx;
    out->level = level;
    out->gpa = pa;
    out->pte = leaf;
    out->pte_addr = w->nused ? w->used[w->nused - 1].gaddr : 0;
    uint32_t bits =
        gm__x86_rights(st, mode, w->access, user, rw, nx, out->pkey);
    if (bits) {
        return page_fault(w, bits, 0);
    }
    if (!(w->access & GM_X86_ACC_NO_AD)) {
        r = update_ad(w);
        if (r != GM_X86_OK) {
            return r;
        }
        if (w->nused) {
            out->pte = w->used[w->nused - 1].val;
        }
    }
    out->dirty = out->pte & GM_X86_PTE_D;
    out->global = (out->pte & GM_X86_PTE_G) && (st->cr4 & GM_X86_CR4_PGE);
    return final_stage(w);
}

int gm__x86_walk(AddressSpace *as, const GmEptState *ept,
                 const GmX86MmuState *st, uint64_t va, unsigned access,
                 GmX86Walk *out)
{
    Walker w = { .as = as, .ept = ept, .st = st, .out = out, .access = access };
    for (unsigned tries = 0;; tries++) {
        /* Everything but the references (only nrefs of them are valid):
         * clearing the whole struct was a third of a walk's time. */
        memset(out, 0, offsetof(GmX86Walk, refs));
        out->va = va;
        int r = walk_once(&w);
        if (r != WALK_RESTART) {
            return r;
        }
        if (tries == WALK_MAX_RESTARTS) {
            /* Someone rewrites the tables faster than we can walk them:
             * translate without the update rather than spin forever. */
            w.access |= GM_X86_ACC_NO_AD;
        }
    }
}

int gm_x86_translate(AddressSpace *as, const GmX86MmuState *st, uint64_t va,
                     unsigned access, GmX86Walk *out)
{
    if (!as || !st || !out || gm__x86_access_bad(access)) {
        return -GM_ERR_INVALID_ARG;
    }
    return gm__x86_walk(as, NULL, st, va, access, out);
}

int gm_x86_translate_2d(AddressSpace *host, const GmEptState *ept,
                        const GmX86MmuState *guest, uint64_t va,
                        unsigned access, GmX86Walk *out)
{
    if (!host || !ept || !guest || !out || gm__x86_access_bad(access)) {
        return -GM_ERR_INVALID_ARG;
    }
    unsigned len = (unsigned)((ept->eptp >> 3) & 7) + 1;
    if (len != 4 && len != 5) {
        return -GM_ERR_INVALID_ARG;
    }
    return gm__x86_walk(host, ept, guest, va, access, out);
}
