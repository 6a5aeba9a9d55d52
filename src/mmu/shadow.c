// SPDX-License-Identifier: MIT
/*
 * mmu/shadow.c - shadow page tables: the guest's walk composed with EPT,
 * cached as ordinary x86 page tables from guest-linear to host-physical
 * addresses, kept coherent by write-protecting the guest's page tables
 * through the memory model.
 *
 * Filling.  A translation the shadow tables cannot answer (no entry, or
 * one whose rights refuse the access) takes the slow path: the guest's
 * walk over its guest-physical address space (with the guest's A/D
 * updates), then EPT (or the identity).  If both succeed, a 4 KiB shadow
 * leaf is made for the page: host-physical address, the guest's effective
 * U/S, XD (also set when EPT forbids fetches) and key, and R/W only if the
 * guest allows writes, its leaf is already dirty and EPT allows writes -
 * so a first write comes back to the slow path, which sets the guest's D.
 * Upper shadow entries allow everything; shadow walks never set A/D.
 *
 * Coherence.  Every guest page-table page a shadow leaf was derived from
 * (the walk's references) gets an MMIO region of its own over it in the
 * guest's root container, at GM_SHADOW_WP_PRIORITY: reads come from the
 * RAM under it, writes go to that RAM (dirty bitmaps told) and then drop
 * the shadow entries of the linear range the written entries map (the
 * page remembers, per use, which range and level it was walked as).  So
 * a guest that rewrites an entry, by any path through the access path
 * (its own stores, a device's DMA, the walker's A/D updates), can never
 * see a stale shadow translation, INVLPG or not.  A page-table page that
 * is not RAM (MMIO, ROM) cannot be watched: nothing derived from it is
 * cached.  EPT is the host's: a change of it needs a resync
 * (gm_shadow_load_cr3).
 *
 * A guest page that holds page tables is never mapped writable by a shadow
 * leaf (KVM's rule too): a write to it through a shadow translation takes
 * the slow path.  The shadow only translates; the caller's data accesses
 * go through the guest's address space by their gpa to be seen by the
 * protection (a write straight to the hpa in the host's memory is not).
 *
 * The fast path forces CR0.WP = 1 in the shadow walk: with the guest's
 * WP = 0 a supervisor write to a read-only page takes the slow path,
 * which allows it, instead of shadow entries having to lie about R/W.
 */
#include "mmu-internal.h"

#include <stddef.h>

#define SHADOW_MAX_REFS 8

typedef struct WpUse {
    uint64_t base;  /* normalized linear base of what the table maps */
    uint64_t span;  /* bytes one entry maps */
    unsigned esize; /* 4 or 8 */
    unsigned nent;  /* entries in the table */
    unsigned toff;  /* the table's offset in its page (PAE PDPT) */
} WpUse;

typedef struct WpPage {
    GmShadowMmu *s;
    uint64_t gpa;
    MemoryRegion mr;
    uint8_t *host;        /* the RAM under the page */
    MemoryRegion *ram_mr; /* for the dirty bitmaps */
    hwaddr ram_off;
    WpUse *uses;
    unsigned nuses, uses_alloc;
} WpPage;

struct GmShadowMmu {
    AddressSpace *gas;
    MemoryRegion *groot;
    AddressSpace *host;
    GmEptState ept;
    bool has_ept;
    GmX86MmuState st; /* the guest's */
    bool loaded;
    unsigned levels; /* of the shadow tables: 4, or 5 for a LA57 guest */
    /* shadow table storage */
    MemoryRegion sroot, sram;
    AddressSpace sas;
    uint8_t *smem;
    uint64_t *sgpa; /* per leaf slot: the guest-physical page */
    unsigned npages;
    uint32_t *freel;
    unsigned nfree;
    uint64_t root;
    /* write protection */
    WpPage **wp;
    size_t nwp, wp_alloc;
    GmShadowStats stats;
};

/* --- shadow tables ---------------------------------------------------------- */

#define SE_ADDR UINT64_C(0x000ffffffffff000)
#define SE_TABLE (GM_X86_PTE_P | GM_X86_PTE_RW | GM_X86_PTE_US | GM_X86_PTE_A)

static uint64_t *sent(GmShadowMmu *s, uint64_t table, unsigned idx)
{
    return (uint64_t *)(void *)(s->smem + table) + idx;
}

static uint64_t alloc_page(GmShadowMmu *s)
{
    if (!s->nfree) {
        return 0;
    }
    uint64_t pa = (uint64_t)s->freel[--s->nfree] << 12;
    memset(s->smem + pa, 0, 0x1000);
    s->stats.table_pages_used++;
    return pa;
}

static void free_page(GmShadowMmu *s, uint64_t pa)
{
    s->freel[s->nfree++] = (uint32_t)(pa >> 12);
    s->stats.table_pages_used--;
}

/* Frees the table at @table of @level and everything under it. */
static void free_tree(GmShadowMmu *s, uint64_t table, unsigned level)
{
    if (level > 1) {
        for (unsigned i = 0; i < 512; i++) {
            uint64_t e = *sent(s, table, i);
            if (e & GM_X86_PTE_P) {
                free_tree(s, e & SE_ADDR, level - 1);
            }
        }
    }
    free_page(s, table);
}

/* Linear addresses as the shadow tables index them. */
static uint64_t norm(const GmShadowMmu *s, uint64_t va)
{
    return s->levels == 5 ? va & ((UINT64_C(1) << 57) - 1)
                          : va & ((UINT64_C(1) << 48) - 1);
}

/* Drops the shadow entries for [first, last] (normalized). */
static void zap(GmShadowMmu *s, uint64_t table, unsigned level, uint64_t base,
                uint64_t first, uint64_t last)
{
    unsigned shift = 12 + 9 * (level - 1);
    uint64_t span = UINT64_C(1) << shift;
    for (unsigned i = 0; i < 512; i++) {
        uint64_t cb = base + (uint64_t)i * span, cl = cb + span - 1;
        if (cl < first || cb > last) {
            continue;
        }
        uint64_t *e = sent(s, table, i);
        if (!(*e & GM_X86_PTE_P)) {
            continue;
        }
        if (level == 1) {
            *e = 0;
        } else if (cb >= first && cl <= last) {
            free_tree(s, *e & SE_ADDR, level - 1);
            *e = 0;
        } else {
            zap(s, *e & SE_ADDR, level - 1, cb, first, last);
        }
    }
}

static void zap_range(GmShadowMmu *s, uint64_t first, uint64_t last)
{
    if (s->root) {
        zap(s, s->root, s->levels, 0, first, last);
        s->stats.zaps++;
    }
}

static void drop_all_tables(GmShadowMmu *s)
{
    if (s->root) {
        free_tree(s, s->root, s->levels);
        s->root = 0;
    }
}

/* Makes the shadow leaf of @va; false when out of table pages. */
static bool install(GmShadowMmu *s, uint64_t va, uint64_t leaf, uint64_t gpa)
{
    if (!s->root && !(s->root = alloc_page(s))) {
        return false;
    }
    uint64_t nva = norm(s, va);
    uint64_t table = s->root;
    for (unsigned l = s->levels; l > 1; l--) {
        uint64_t *e = sent(s, table, (nva >> (12 + 9 * (l - 1))) & 511);
        if (!(*e & GM_X86_PTE_P)) {
            uint64_t t = alloc_page(s);
            if (!t) {
                return false;
            }
            *e = t | SE_TABLE;
        }
        table = *e & SE_ADDR;
    }
    unsigned idx = (nva >> 12) & 511;
    *sent(s, table, idx) = leaf;
    s->sgpa[(table >> 12) * 512 + idx] = gpa & ~UINT64_C(0xfff);
    s->stats.fills++;
    return true;
}

/* --- write protection ---------------------------------------------------------- */

static uint64_t wp_read(void *opaque, hwaddr addr, unsigned size)
{
    WpPage *p = opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint64_t)p->host[addr + i] << (8 * i);
    }
    return v;
}

static void wp_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    WpPage *p = opaque;
    GmShadowMmu *s = p->s;
    for (unsigned i = 0; i < size; i++) {
        p->host[addr + i] = (uint8_t)(val >> (8 * i));
    }
    memory_region_set_dirty(p->ram_mr, p->ram_off + addr, size);
    s->stats.wp_traps++;
    /* Drop what the written entries map, for every use of the page. */
    for (unsigned k = 0; k < p->nuses; k++) {
        const WpUse *u = &p->uses[k];
        if (addr + size <= u->toff ||
            addr >= u->toff + (uint64_t)u->nent * u->esize) {
            continue;
        }
        uint64_t lo = addr < u->toff ? 0 : (addr - u->toff) / u->esize;
        uint64_t hi = (addr + size - 1 - u->toff) / u->esize;
        if (hi >= u->nent) {
            hi = u->nent - 1;
        }
        zap_range(s, u->base + lo * u->span, u->base + (hi + 1) * u->span - 1);
    }
}

static const MemoryRegionOps wp_ops = {
    .read = wp_read,
    .write = wp_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
};

static WpPage *wp_find(GmShadowMmu *s, uint64_t gpa)
{
    for (size_t i = 0; i < s->nwp; i++) {
        if (s->wp[i]->gpa == gpa) {
            return s->wp[i];
        }
    }
    return NULL;
}

/* Takes R/W away from every shadow leaf that maps guest page @gpa: once it
 * holds page tables, writes to it must come through the slow path. */
static void readonly_leaves_of(GmShadowMmu *s, uint64_t gpa)
{
    for (uint64_t i = 512; i < (uint64_t)s->npages * 512; i++) {
        if (s->sgpa[i] == gpa) {
            uint64_t *e = (uint64_t *)(void *)s->smem + i;
            if ((*e & GM_X86_PTE_P) && (*e & GM_X86_PTE_RW) &&
                (*e & SE_ADDR) != 0) {
                *e &= ~GM_X86_PTE_RW;
            }
        }
    }
}

/* Write-protects the page at @gpa (if it is RAM) and notes the use.
 * Return: false if the page cannot be watched. */
static bool protect(GmShadowMmu *s, uint64_t gpa, const WpUse *use)
{
    WpPage *p = wp_find(s, gpa);
    if (!p) {
        hwaddr xlat, len = 0x1000;
        gm_rcu_read_lock();
        MemoryRegion *mr = address_space_translate(
            s->gas, gpa, &xlat, &len, true, MEMTXATTRS_UNSPECIFIED);
        bool ram = mr && memory_region_is_ram(mr) &&
                   !memory_region_is_ram_device(mr) &&
                   !memory_region_is_rom(mr) && len == 0x1000;
        uint8_t *host =
            ram ? (uint8_t *)memory_region_get_ram_ptr(mr) + xlat : NULL;
        gm_rcu_read_unlock();
        if (!ram || !host) {
            return false;
        }
        if (s->nwp == s->wp_alloc) {
            size_t na = s->wp_alloc ? 2 * s->wp_alloc : 16;
            WpPage **nw = realloc(s->wp, na * sizeof(*nw));
            if (!nw) {
                return false;
            }
            s->wp = nw;
            s->wp_alloc = na;
        }
        p = calloc(1, sizeof(*p));
        if (!p) {
            return false;
        }
        p->s = s;
        p->gpa = gpa;
        p->host = host;
        p->ram_mr = mr;
        p->ram_off = xlat;
        memory_region_init_io(&p->mr, NULL, &wp_ops, p, "shadow-wp", 0x1000);
        memory_region_add_subregion_overlap(s->groot, gpa, &p->mr,
                                            GM_SHADOW_WP_PRIORITY);
        s->wp[s->nwp++] = p;
        s->stats.wp_pages++;
        readonly_leaves_of(s, gpa);
    }
    for (unsigned k = 0; k < p->nuses; k++) {
        const WpUse *u = &p->uses[k];
        if (u->base == use->base && u->span == use->span &&
            u->toff == use->toff) {
            return true;
        }
    }
    if (p->nuses == p->uses_alloc) {
        unsigned na = p->uses_alloc ? 2 * p->uses_alloc : 4;
        WpUse *nu = realloc(p->uses, na * sizeof(*nu));
        if (!nu) {
            return false;
        }
        p->uses = nu;
        p->uses_alloc = na;
    }
    p->uses[p->nuses++] = *use;
    return true;
}

static void unprotect_all(GmShadowMmu *s)
{
    if (!s->nwp) {
        return;
    }
    memory_region_transaction_begin();
    for (size_t i = 0; i < s->nwp; i++) {
        memory_region_del_subregion(s->groot, &s->wp[i]->mr);
    }
    memory_region_transaction_commit();
    for (size_t i = 0; i < s->nwp; i++) {
        gm_memory_region_destroy(&s->wp[i]->mr, NULL);
        free(s->wp[i]->uses);
        free(s->wp[i]);
    }
    s->nwp = 0;
    s->stats.wp_pages = 0;
}

/* What the guest table holding a walk's reference at @level maps. */
static WpUse use_of(const GmShadowMmu *s, GmX86Paging mode, uint64_t va,
                    unsigned level, uint64_t entry_gpa)
{
    WpUse u = { .esize = 8, .nent = 512 };
    uint64_t nva = norm(s, va);
    if (mode == GM_X86_PAGING_32) {
        u.esize = 4;
        u.nent = 1024;
        u.span = level == 2 ? GM_PAGE_4M : GM_PAGE_4K;
    } else if (mode == GM_X86_PAGING_PAE && level == 3) {
        u.nent = 4;
        u.span = GM_PAGE_1G;
        u.toff = (unsigned)(entry_gpa & 0xfe0);
    } else {
        u.span = UINT64_C(1) << (12 + 9 * (level - 1));
    }
    uint64_t size = u.span * u.nent;
    u.base = size >= (UINT64_C(1) << 57) ? 0 : nva & ~(size - 1);
    return u;
}

/* --- the API ----------------------------------------------------------------- */

GmShadowMmu *gm_shadow_new(AddressSpace *guest_as, AddressSpace *host,
                           const GmEptState *ept, unsigned table_pages,
                           Error **errp)
{
    if (!guest_as || !!host != !!ept || table_pages < 8 ||
        table_pages > (1u << 20)) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG,
                      "shadow MMU: a guest address space, host and EPT "
                      "both or neither, and 8 to 2^20 table pages");
        return NULL;
    }
    MemoryRegion *groot = guest_as->root;
    if (!groot || groot->terminates || groot->alias) {
        gm_error_setg(errp, GM_ERR_WRONG_KIND,
                      "shadow MMU: the root of '%s' is not a container",
                      guest_as->name ? guest_as->name : "?");
        return NULL;
    }
    GmShadowMmu *s = calloc(1, sizeof(*s));
    uint32_t *freel = calloc(table_pages, sizeof(*freel));
    uint64_t *sgpa = calloc((size_t)table_pages * 512, sizeof(*sgpa));
    if (!s || !freel || !sgpa) {
        free(s);
        free(freel);
        free(sgpa);
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    s->gas = guest_as;
    s->groot = groot;
    s->host = host;
    if (ept) {
        s->ept = *ept;
        s->has_ept = true;
    }
    s->freel = freel;
    s->sgpa = sgpa;
    s->npages = table_pages;
    char name[64];
    snprintf(name, sizeof(name), "shadow@%p", (void *)s);
    memory_region_init(&s->sroot, NULL, name, UINT64_MAX);
    if (!memory_region_init_ram(&s->sram, NULL, name,
                                (uint64_t)table_pages << 12, errp)) {
        gm_memory_region_destroy(&s->sroot, NULL);
        free(freel);
        free(sgpa);
        free(s);
        return NULL;
    }
    memory_region_add_subregion(&s->sroot, 0, &s->sram);
    address_space_init(&s->sas, &s->sroot, name);
    s->smem = memory_region_get_ram_ptr(&s->sram);
    /* Page 0 is never handed out: 0 means "none". */
    for (unsigned i = table_pages; i-- > 1;) {
        s->freel[s->nfree++] = i;
    }
    return s;
}

void gm_shadow_free(GmShadowMmu *s)
{
    if (!s) {
        return;
    }
    unprotect_all(s);
    address_space_destroy(&s->sas);
    memory_region_del_subregion(&s->sroot, &s->sram);
    gm_memory_region_destroy(&s->sram, NULL);
    gm_memory_region_destroy(&s->sroot, NULL);
    free(s->wp);
    free(s->freel);
    free(s->sgpa);
    free(s);
}

int gm_shadow_load_cr3(GmShadowMmu *s, const GmX86MmuState *st, Error **errp)
{
    if (!s || !st) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG, "no shadow MMU or state");
        return -GM_ERR_INVALID_ARG;
    }
    GmX86Paging mode = gm_x86_paging_mode(st);
    if (mode == GM_X86_PAGING_OFF) {
        gm_error_setg(errp, GM_ERR_UNSUPPORTED,
                      "shadow MMU: the guest has paging off");
        return -GM_ERR_UNSUPPORTED;
    }
    drop_all_tables(s);
    unprotect_all(s);
    s->st = *st;
    s->levels = mode == GM_X86_PAGING_5 ? 5 : 4;
    s->loaded = true;
    s->stats.resyncs++;
    return 0;
}

void gm_shadow_invlpg(GmShadowMmu *s, uint64_t va)
{
    if (s && s->loaded) {
        uint64_t p = norm(s, va) & ~UINT64_C(0xfff);
        zap_range(s, p, p + 0xfff);
    }
}

/* The state the shadow tables are walked with: IA-32e, the guest's
 * protections, CR0.WP forced on. */
static GmX86MmuState shadow_state(const GmShadowMmu *s)
{
    GmX86Paging gm = gm_x86_paging_mode(&s->st);
    bool ia32e = gm == GM_X86_PAGING_4 || gm == GM_X86_PAGING_5;
    uint64_t keep = GM_X86_CR4_SMEP | GM_X86_CR4_SMAP |
                    (ia32e ? GM_X86_CR4_PKE | GM_X86_CR4_PKS : 0);
    GmX86MmuState sh = {
        .cr0 = GM_X86_CR0_PG | GM_X86_CR0_WP,
        .cr3 = s->root,
        .cr4 = GM_X86_CR4_PAE | (s->st.cr4 & keep) |
               (s->levels == 5 ? GM_X86_CR4_LA57 : 0),
        .efer = GM_X86_EFER_LMA | GM_X86_EFER_LME | GM_X86_EFER_NXE,
        .pkru = s->st.pkru,
        .pkrs = s->st.pkrs,
    };
    return sh;
}

int gm_shadow_translate(GmShadowMmu *s, uint64_t va, unsigned access,
                        GmX86Walk *out, bool *fast)
{
    if (!s || !out || gm__x86_access_bad(access)) {
        return -GM_ERR_INVALID_ARG;
    }
    if (fast) {
        *fast = false;
    }
    if (!s->loaded) {
        return -GM_ERR_INVALID_ARG;
    }
    GmX86Paging mode = gm_x86_paging_mode(&s->st);
    uint64_t lva = mode == GM_X86_PAGING_32 || mode == GM_X86_PAGING_PAE
                       ? (uint32_t)va
                       : va;
    /* The fast path: a walk of the shadow tables. */
    if (s->root) {
        GmX86MmuState sh = shadow_state(s);
        GmX86Walk w;
        if (gm__x86_walk(&s->sas, NULL, &sh, lva, access | GM_X86_ACC_NO_AD,
                         &w) == GM_X86_OK) {
            memset(out, 0, offsetof(GmX86Walk, refs));
            out->va = va;
            out->hpa = w.gpa;
            uint64_t table = w.pte_addr & ~UINT64_C(0xfff);
            out->gpa =
                s->sgpa[(table >> 12) * 512 + ((w.pte_addr >> 3) & 511)] |
                (lva & 0xfff);
            out->page_size = GM_PAGE_4K;
            out->level = 1;
            out->user = w.user;
            out->writable = w.writable;
            out->nx = w.nx;
            out->pkey = w.pkey;
            out->dirty = w.writable;
            s->stats.fast++;
            if (fast) {
                *fast = true;
            }
            return GM_X86_OK;
        }
    }
    /* The slow path: the guest's walk, then EPT. */
    s->stats.slow++;
    int r = gm__x86_walk(s->gas, NULL, &s->st, va, access, out);
    if (r != GM_X86_OK) {
        return r;
    }
    bool ept_w = true, ept_x = true;
    out->hpa = out->gpa;
    if (s->has_ept) {
        GmEptWalk ew;
        unsigned acc = (access & (GM_X86_ACC_WRITE | GM_X86_ACC_FETCH |
                                  GM_X86_ACC_NO_AD)) |
                       (out->user ? GM_X86_ACC_USER : 0);
        int er = gm__ept_walk(s->host, &s->ept, out->gpa, acc, false, &ew, NULL,
                              0, NULL);
        if (er != GM_X86_OK) {
            out->fault_gpa = out->gpa;
            out->fault_level = ew.fault_level;
            out->exit_qual = 0;
            if (er == GM_X86_EPT_VIOLATION) {
                out->exit_qual = ew.exit_qual | GM_EPT_QUAL_GLA_VALID |
                                 GM_EPT_QUAL_GLA_FINAL;
                if (s->ept.adv_exit_info) {
                    out->exit_qual |=
                        (out->user ? GM_EPT_QUAL_USER : 0) |
                        (out->writable ? GM_EPT_QUAL_GLA_WRITABLE : 0) |
                        (out->nx ? GM_EPT_QUAL_GLA_NX : 0);
                }
            }
            return er;
        }
        out->hpa = ew.hpa;
        out->memtype = ew.memtype;
        out->ipat = ew.ipat;
        if (!(ew.rights & 1)) {
            return GM_X86_OK; /* execute-only: not expressible, not cached */
        }
        ept_w = ew.rights & 2;
        ept_x = s->ept.mbec ? (out->user ? (ew.rights & 8) : (ew.rights & 4))
                            : (ew.rights & 4);
    }
    if (access & GM_X86_ACC_NO_AD) {
        return GM_X86_OK; /* a probe fills nothing: A may be clear */
    }
    /* Watch every table page the walk read, then cache the page. */
    for (unsigned k = 0; k < out->nrefs; k++) {
        const GmX86Ref *ref = &out->refs[k];
        WpUse u = use_of(s, mode, lva, ref->level, ref->addr);
        if (!protect(s, ref->addr & ~UINT64_C(0xfff), &u)) {
            return GM_X86_OK;
        }
    }
    bool watched = wp_find(s, out->gpa & ~UINT64_C(0xfff)) != NULL;
    uint64_t leaf =
        (out->hpa & SE_ADDR & ~UINT64_C(0xfff)) | GM_X86_PTE_P | GM_X86_PTE_A |
        GM_X86_PTE_D | (out->user ? GM_X86_PTE_US : 0) |
        (out->writable && out->dirty && ept_w && !watched ? GM_X86_PTE_RW : 0) |
        (out->nx || !ept_x ? GM_X86_PTE_XD : 0) |
        ((uint64_t)out->pkey << GM_X86_PTE_PKEY_SHIFT);
    if (!install(s, lva, leaf, out->gpa)) {
        /* Out of table pages: start over, and try once more. */
        drop_all_tables(s);
        install(s, lva, leaf, out->gpa);
    }
    return GM_X86_OK;
}

AddressSpace *gm_shadow_table_space(GmShadowMmu *s)
{
    return s ? &s->sas : NULL;
}

uint64_t gm_shadow_root(const GmShadowMmu *s)
{
    return s ? s->root : 0;
}

void gm_shadow_stats(const GmShadowMmu *s, GmShadowStats *out)
{
    if (s && out) {
        *out = s->stats;
    }
}
