// SPDX-License-Identifier: MIT
/*
 * mmu/tlb.c - a software TLB for one vCPU.
 *
 * Direct-mapped on the 4 KiB linear page and the PCID: slot = ((va >> 12)
 * ^ pcid * K) & mask, so the same page of two address spaces can be cached
 * at once; global entries live at their PCID-0 slot and a lookup that
 * misses its own slot tries that one (a second probe on misses only).  An
 * entry keeps its page's base and size, so a 2 MiB, 4 MiB or 1 GiB page
 * sits in the slot of the 4 KiB page that was accessed (other 4 KiB pages of
 * it miss once and fill their own slots), exactly like QEMU's softmmu TLB.
 * Entries keep the effective rights, not verdicts: a hit re-runs the
 * rights check against the current CR0.WP, CR4.SMEP/SMAP/PKE/PKS, PKRU,
 * PKRS and EFLAGS.AC, as the CPU does, and a write to a page whose leaf was
 * not dirty misses so that the walk sets D.
 *
 * Flushing one address must also find the large pages that contain it in
 * other slots: the TLB counts its large entries and scans only while there
 * are some.  The hit path is a few loads and compares; bench/mmu-bench.c
 * compares it with a plain array lookup.
 */
#include "mmu-internal.h"

#include <stddef.h>

/* 24 bytes: the hit path touches one cache line. */
typedef struct TlbEntry {
    uint64_t vbase; /* linear base of the page (aligned to its size) */
    uint64_t pbase; /* physical base (the walk's gpa, which is its hpa) */
    uint16_t pcid;
    uint8_t shift; /* log2 of the page size; 0: an empty slot */
    uint8_t flags; /* TE_* */
    uint8_t pkey;
} TlbEntry;

#define TE_GLOBAL 1u
#define TE_USER 2u
#define TE_RW 4u
#define TE_NX 8u
#define TE_DIRTY 16u

struct GmTlb {
    TlbEntry *e;
    uint64_t mask;
    unsigned nlarge; /* valid entries with size > 4 KiB */
    GmTlbStats stats;
};

GmTlb *gm_tlb_new(unsigned entries, Error **errp)
{
    if (entries == 0 || entries > (1u << 20) || (entries & (entries - 1))) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG,
                      "TLB size %u: a power of two from 1 to 2^20 expected",
                      entries);
        return NULL;
    }
    GmTlb *t = calloc(1, sizeof(*t));
    TlbEntry *e = calloc(entries, sizeof(*e));
    if (!t || !e) {
        free(t);
        free(e);
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    t->e = e;
    t->mask = entries - 1;
    return t;
}

void gm_tlb_free(GmTlb *tlb)
{
    if (tlb) {
        free(tlb->e);
        free(tlb);
    }
}

static bool ia32e(GmX86Paging mode)
{
    return mode == GM_X86_PAGING_4 || mode == GM_X86_PAGING_5;
}

static void drop(GmTlb *t, TlbEntry *e)
{
    if (e->shift > 12) {
        t->nlarge--;
    }
    e->shift = 0;
}

#define PCID_MIX 0x9e5u /* spreads PCIDs over the slots */

static TlbEntry *slot(GmTlb *t, uint64_t va, uint16_t pcid)
{
    return &t->e[((va >> 12) ^ (uint64_t)pcid * PCID_MIX) & t->mask];
}

static bool holds(const TlbEntry *e, uint64_t va)
{
    return e->shift && ((va - e->vbase) >> e->shift) == 0;
}

static TlbEntry *find(GmTlb *t, uint16_t pcid, uint64_t va)
{
    TlbEntry *e = slot(t, va, pcid);
    if (holds(e, va) && ((e->flags & TE_GLOBAL) || e->pcid == pcid)) {
        return e;
    }
    if (pcid) {
        e = slot(t, va, 0);
        if ((e->flags & TE_GLOBAL) && holds(e, va)) {
            return e;
        }
    }
    return NULL;
}

/* Whether a hit on @e serves @access now. */
static bool serves(const GmX86MmuState *st, GmX86Paging mode, const TlbEntry *e,
                   unsigned access)
{
    if ((access & GM_X86_ACC_WRITE) && !(e->flags & TE_DIRTY)) {
        return false; /* the walk must set D */
    }
    return !gm__x86_rights(st, mode, access, e->flags & TE_USER,
                           e->flags & TE_RW, e->flags & TE_NX, e->pkey);
}

bool gm_tlb_lookup(GmTlb *tlb, const GmX86MmuState *st, uint64_t va,
                   unsigned access, uint64_t *pa)
{
    GmX86Paging mode = gm_x86_paging_mode(st);
    uint16_t pcid = 0;
    if (ia32e(mode)) {
        pcid = (st->cr4 & GM_X86_CR4_PCIDE) ? (uint16_t)(st->cr3 & 0xfff) : 0;
    } else {
        va = (uint32_t)va;
    }
    TlbEntry *e = find(tlb, pcid, va);
    if (!e || !serves(st, mode, e, access)) {
        tlb->stats.misses++;
        return false;
    }
    tlb->stats.hits++;
    *pa = e->pbase + (va - e->vbase);
    return true;
}

static void fill(GmTlb *t, const GmX86MmuState *st, const GmX86Walk *w)
{
    GmX86Paging mode = gm_x86_paging_mode(st);
    uint64_t va = ia32e(mode) ? w->va : (uint32_t)w->va;
    TlbEntry *e = slot(t, va, w->global ? 0 : gm_x86_pcid(st));
    drop(t, e);
    uint64_t off = va & (w->page_size - 1);
    *e = (TlbEntry){
        .vbase = va - off,
        .pbase = w->gpa - off,
        .pcid = gm_x86_pcid(st),
        .shift = (uint8_t)__builtin_ctzll(w->page_size),
        .flags = (uint8_t)((w->global ? TE_GLOBAL : 0) |
                           (w->user ? TE_USER : 0) | (w->writable ? TE_RW : 0) |
                           (w->nx ? TE_NX : 0) | (w->dirty ? TE_DIRTY : 0)),
        .pkey = (uint8_t)w->pkey,
    };
    if (e->shift > 12) {
        t->nlarge++;
    }
    t->stats.fills++;
}

int gm_x86_translate_tlb(GmTlb *tlb, AddressSpace *as, const GmX86MmuState *st,
                         uint64_t va, unsigned access, GmX86Walk *out)
{
    if (!tlb || !as || !st || !out || gm__x86_access_bad(access)) {
        return -GM_ERR_INVALID_ARG;
    }
    GmX86Paging mode = gm_x86_paging_mode(st);
    uint64_t lva = ia32e(mode) ? va : (uint32_t)va;
    TlbEntry *e = find(tlb, gm_x86_pcid(st), lva);
    if (e && serves(st, mode, e, access)) {
        tlb->stats.hits++;
        memset(out, 0, offsetof(GmX86Walk, refs));
        out->va = va;
        out->gpa = out->hpa = e->pbase + (lva - e->vbase);
        out->page_size = UINT64_C(1) << e->shift;
        out->user = e->flags & TE_USER;
        out->writable = e->flags & TE_RW;
        out->nx = e->flags & TE_NX;
        out->global = e->flags & TE_GLOBAL;
        out->dirty = e->flags & TE_DIRTY;
        out->pkey = e->pkey;
        return GM_X86_OK;
    }
    tlb->stats.misses++;
    int r = gm__x86_walk(as, NULL, st, va, access, out);
    if (r == GM_X86_OK && mode != GM_X86_PAGING_OFF &&
        !(access & GM_X86_ACC_NO_AD)) {
        fill(tlb, st, out);
    } else if (r != GM_X86_OK && e) {
        /* The CPU drops the entry of a faulting page. */
        drop(tlb, e);
    }
    return r;
}

void gm_tlb_flush_all(GmTlb *tlb)
{
    if (!tlb) {
        return;
    }
    memset(tlb->e, 0, (tlb->mask + 1) * sizeof(*tlb->e));
    tlb->nlarge = 0;
    tlb->stats.flushes++;
}

/* Drops the valid entries of @pcid (any, with @any_pcid), global ones
 * too if @global_too. */
static void flush_if(GmTlb *t, bool global_too, bool any_pcid, uint16_t pcid)
{
    for (uint64_t i = 0; i <= t->mask; i++) {
        TlbEntry *e = &t->e[i];
        if (!e->shift || ((e->flags & TE_GLOBAL) && !global_too)) {
            continue;
        }
        if (any_pcid || e->pcid == pcid) {
            drop(t, e);
        }
    }
    t->stats.flushes++;
}

void gm_tlb_flush_nonglobal(GmTlb *tlb)
{
    if (tlb) {
        flush_if(tlb, false, true, 0);
    }
}

void gm_tlb_flush_pcid(GmTlb *tlb, uint16_t pcid)
{
    if (tlb) {
        flush_if(tlb, false, false, pcid);
    }
}

/* Drops the entries whose page holds @va, of @pcid (and global ones if
 * @global_too). */
static void flush_addr(GmTlb *t, uint16_t pcid, uint64_t va, bool global_too)
{
    for (unsigned k = 0; k < 2; k++) {
        TlbEntry *e = slot(t, va, k ? 0 : pcid);
        if (holds(e, va) &&
            ((e->flags & TE_GLOBAL) ? global_too : e->pcid == pcid)) {
            drop(t, e);
        }
    }
    for (uint64_t i = 0; t->nlarge && i <= t->mask; i++) {
        TlbEntry *e = &t->e[i];
        if (e->shift > 12 && holds(e, va) &&
            ((e->flags & TE_GLOBAL) ? global_too : e->pcid == pcid)) {
            drop(t, e);
        }
    }
    t->stats.flushes++;
}

void gm_tlb_flush_page(GmTlb *tlb, uint16_t pcid, uint64_t va)
{
    if (tlb) {
        flush_addr(tlb, pcid, va, true);
    }
}

void gm_tlb_flush_page_pcid(GmTlb *tlb, uint16_t pcid, uint64_t va)
{
    if (tlb) {
        flush_addr(tlb, pcid, va, false);
    }
}

void gm_tlb_stats(const GmTlb *tlb, GmTlbStats *out)
{
    if (tlb && out) {
        *out = tlb->stats;
    }
}
