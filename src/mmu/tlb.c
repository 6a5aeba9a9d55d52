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

typedef struct TlbEntry {
    uint64_t vbase; /* linear base of the page (aligned to its size) */
    uint64_t size;
    uint64_t pbase; /* physical base (gpa) */
    uint64_t hbase; /* host-physical base */
    uint16_t pcid;
    bool valid, global, user, rw, nx, dirty;
    uint8_t pkey;
} TlbEntry;

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

static uint64_t linear(GmX86Paging mode, uint64_t va)
{
    return mode == GM_X86_PAGING_4 || mode == GM_X86_PAGING_5 ? va
                                                              : (uint32_t)va;
}

static void drop(GmTlb *t, TlbEntry *e)
{
    if (e->valid && e->size > GM_PAGE_4K) {
        t->nlarge--;
    }
    e->valid = false;
}

#define PCID_MIX 0x9e5u /* spreads PCIDs over the slots */

static TlbEntry *slot(GmTlb *t, uint64_t va, uint16_t pcid)
{
    return &t->e[((va >> 12) ^ (uint64_t)pcid * PCID_MIX) & t->mask];
}

static TlbEntry *find(GmTlb *t, const GmX86MmuState *st, uint64_t va)
{
    uint16_t pcid = gm_x86_pcid(st);
    TlbEntry *e = slot(t, va, pcid);
    if (e->valid && va - e->vbase < e->size && (e->global || e->pcid == pcid)) {
        return e;
    }
    if (pcid) {
        e = slot(t, va, 0);
        if (e->valid && e->global && va - e->vbase < e->size) {
            return e;
        }
    }
    return NULL;
}

bool gm_tlb_lookup(GmTlb *tlb, const GmX86MmuState *st, uint64_t va,
                   unsigned access, uint64_t *pa)
{
    GmX86Paging mode = gm_x86_paging_mode(st);
    va = linear(mode, va);
    TlbEntry *e = find(tlb, st, va);
    if (!e ||
        gm__x86_rights(st, mode, access, e->user, e->rw, e->nx, e->pkey) ||
        ((access & GM_X86_ACC_WRITE) && !e->dirty)) {
        tlb->stats.misses++;
        return false;
    }
    tlb->stats.hits++;
    *pa = e->hbase + (va - e->vbase);
    return true;
}

static void fill(GmTlb *t, const GmX86MmuState *st, const GmX86Walk *w)
{
    uint64_t va = linear(gm_x86_paging_mode(st), w->va);
    TlbEntry *e = slot(t, va, w->global ? 0 : gm_x86_pcid(st));
    drop(t, e);
    uint64_t off = va & (w->page_size - 1);
    *e = (TlbEntry){
        .vbase = va - off,
        .size = w->page_size,
        .pbase = w->gpa - off,
        .hbase = w->hpa - off,
        .pcid = gm_x86_pcid(st),
        .valid = true,
        .global = w->global,
        .user = w->user,
        .rw = w->writable,
        .nx = w->nx,
        .dirty = w->dirty,
        .pkey = (uint8_t)w->pkey,
    };
    if (w->page_size > GM_PAGE_4K) {
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
    uint64_t lva = linear(mode, va);
    TlbEntry *e = find(tlb, st, lva);
    if (e &&
        !gm__x86_rights(st, mode, access, e->user, e->rw, e->nx, e->pkey) &&
        (!(access & GM_X86_ACC_WRITE) || e->dirty)) {
        tlb->stats.hits++;
        memset(out, 0, sizeof(*out));
        out->va = va;
        out->gpa = e->pbase + (lva - e->vbase);
        out->hpa = e->hbase + (lva - e->vbase);
        out->page_size = e->size;
        out->user = e->user;
        out->writable = e->rw;
        out->nx = e->nx;
        out->global = e->global;
        out->dirty = e->dirty;
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

/* Drops the entries for which @pred holds. */
static void flush_if(GmTlb *t, bool global_too, bool any_pcid, uint16_t pcid)
{
    for (uint64_t i = 0; i <= t->mask; i++) {
        TlbEntry *e = &t->e[i];
        if (!e->valid || (e->global && !global_too)) {
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
        if (e->valid && va - e->vbase < e->size &&
            (e->global ? global_too : e->pcid == pcid)) {
            drop(t, e);
        }
    }
    for (uint64_t i = 0; t->nlarge && i <= t->mask; i++) {
        TlbEntry *e = &t->e[i];
        if (e->valid && e->size > GM_PAGE_4K && va - e->vbase < e->size &&
            (e->global ? global_too : e->pcid == pcid)) {
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
