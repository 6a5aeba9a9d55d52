// SPDX-License-Identifier: MIT
/*
 * test-mmu.c - the x86 page walk (mmu/walk.c): page tables of every mode
 * (32-bit with PSE and PSE-36, PAE, 4-level, 5-level) built in guest RAM
 * by the tests, every combination of U/S, R/W and XD over the levels
 * checked, for every kind of access, against the SDM's access-rights rules
 * as restated here independently (ref_allowed), with the #PF error code;
 * reserved bits of every level, protection keys, accessed and dirty flags
 * (only on success, top down, seen by dirty logging), page tables in ROM,
 * MMIO and unassigned memory, the restart when an entry changes under the
 * update, and the memory references a walk takes.
 */
#include "../harness/test.h"

#define RAM_SIZE (64u << 20)
#define PG GM_X86_CR0_PG
#define WP GM_X86_CR0_WP
#define P GM_X86_PTE_P
#define RW GM_X86_PTE_RW
#define US GM_X86_PTE_US
#define A GM_X86_PTE_A
#define D GM_X86_PTE_D
#define PS GM_X86_PTE_PS
#define XD GM_X86_PTE_XD

static MemoryRegion root, ram;
static AddressSpace as;
static uint8_t *mem;
static uint64_t next_table;

static void setup(void)
{
    test_capture_errors();
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    ASSERT(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, NULL));
    memory_region_add_subregion(&root, 0, &ram);
    address_space_init(&as, &root, "mmu");
    mem = memory_region_get_ram_ptr(&ram);
    next_table = 0x100000;
}

static void teardown(void)
{
    address_space_destroy(&as);
    memory_region_del_subregion(&root, &ram);
    ASSERT_EQ(gm_memory_region_destroy(&ram, NULL), 0);
    ASSERT_EQ(gm_memory_region_destroy(&root, NULL), 0);
}

static uint64_t new_table(void)
{
    uint64_t t = next_table;
    next_table += 0x1000;
    ASSERT(next_table <= RAM_SIZE / 2);
    memset(mem + t, 0, 0x1000);
    return t;
}

static uint64_t rd(uint64_t pa, unsigned size)
{
    uint64_t v = 0;
    memcpy(&v, mem + pa, size);
    return v;
}

static void wr(uint64_t pa, unsigned size, uint64_t v)
{
    memcpy(mem + pa, &v, size);
}

/* --- building tables ------------------------------------------------------ */

static unsigned levels_of(GmX86Paging m)
{
    return (unsigned)m;
}

static unsigned esize(GmX86Paging m)
{
    return m == GM_X86_PAGING_32 ? 4 : 8;
}

static unsigned index_of(GmX86Paging m, uint64_t va, unsigned level)
{
    if (m == GM_X86_PAGING_32) {
        return (unsigned)((va >> (level == 2 ? 22 : 12)) & 1023);
    }
    if (m == GM_X86_PAGING_PAE && level == 3) {
        return (unsigned)((va >> 30) & 3);
    }
    return (unsigned)((va >> (12 + 9 * (level - 1))) & 511);
}

/* The entries of one translation, top first. */
typedef struct Path {
    uint64_t addr[6];
    unsigned n;
} Path;

/*
 * Maps @va to @pa in the tables under @top with a leaf at @leaf (1 for
 * 4 KiB; 2 for 2/4 MiB; 3 for 1 GiB), entry flags @fl[level] (the address
 * and, for large leaves, PS are added).  Tables on the way are made as
 * needed; an existing table is kept and its entry's flags replaced.
 */
static Path map(GmX86Paging m, uint64_t top, uint64_t va, uint64_t pa,
                unsigned leaf, const uint64_t *fl)
{
    Path p = { .n = 0 };
    uint64_t table = top;
    unsigned sz = esize(m);
    uint64_t amask = sz == 4 ? 0xfffff000u : 0x000ffffffffff000ull;
    for (unsigned l = levels_of(m); l >= leaf; l--) {
        uint64_t ea = table + index_of(m, va, l) * sz;
        p.addr[p.n++] = ea;
        if (l == leaf) {
            wr(ea, sz, pa | fl[l] | (leaf > 1 ? PS : 0));
            break;
        }
        uint64_t e = rd(ea, sz);
        uint64_t next = e & amask;
        if (!next) {
            next = new_table();
        }
        wr(ea, sz, next | fl[l]);
        table = next;
    }
    return p;
}

static GmX86MmuState state(GmX86Paging m, uint64_t cr3)
{
    GmX86MmuState st = { .cr0 = PG, .cr3 = cr3 };
    if (m != GM_X86_PAGING_32) {
        st.cr4 |= GM_X86_CR4_PAE;
        st.efer |= GM_X86_EFER_NXE;
    } else {
        st.cr4 |= GM_X86_CR4_PSE;
    }
    if (m >= GM_X86_PAGING_4) {
        st.efer |= GM_X86_EFER_LME | GM_X86_EFER_LMA;
    }
    if (m == GM_X86_PAGING_5) {
        st.cr4 |= GM_X86_CR4_LA57;
    }
    return st;
}

/* The top table for @m: a PDPT is 32 bytes, but a page keeps things
 * simple. */
static uint64_t top_table(void)
{
    return new_table();
}

static const GmX86Paging all_modes[] = { GM_X86_PAGING_32, GM_X86_PAGING_PAE,
                                         GM_X86_PAGING_4, GM_X86_PAGING_5 };

/* --- the reference: SDM 4.6.1, restated ---------------------------------- */

typedef struct Acc {
    bool user, write, fetch, implicit, ac;
} Acc;

static unsigned acc_flags(Acc a)
{
    return (a.user ? GM_X86_ACC_USER : 0) | (a.write ? GM_X86_ACC_WRITE : 0) |
           (a.fetch ? GM_X86_ACC_FETCH : 0) |
           (a.implicit ? GM_X86_ACC_IMPLICIT : 0) | (a.ac ? GM_X86_ACC_AC : 0);
}

/* Whether the SDM allows @a to an address whose translation has the
 * effective user-mode @u, writable @w and execute-disable @x. */
static bool ref_allowed(const GmX86MmuState *st, Acc a, bool u, bool w, bool x)
{
    bool wp = st->cr0 & WP, smep = st->cr4 & GM_X86_CR4_SMEP;
    bool smap = st->cr4 & GM_X86_CR4_SMAP;
    bool xd = x && (st->efer & GM_X86_EFER_NXE) && (st->cr4 & GM_X86_CR4_PAE);
    if (a.user) { /* CPL 3, explicit */
        if (!u) {
            return false;
        }
        if (a.fetch) {
            return !xd;
        }
        return !a.write || w;
    }
    /* Supervisor-mode access. */
    if (a.fetch) {
        if (u && smep) {
            return false;
        }
        return !xd;
    }
    if (u && smap && (a.implicit || !a.ac)) {
        return false; /* SMAP: user pages, unless explicit with AC */
    }
    if (!a.write) {
        return true;
    }
    return !wp || w;
}

static uint32_t ref_error(const GmX86MmuState *st, Acc a)
{
    uint32_t e = (a.write ? GM_X86_PF_W : 0) | (a.user ? GM_X86_PF_U : 0);
    if (a.fetch &&
        ((st->cr4 & GM_X86_CR4_SMEP) ||
         ((st->cr4 & GM_X86_CR4_PAE) && (st->efer & GM_X86_EFER_NXE)))) {
        e |= GM_X86_PF_ID;
    }
    return e;
}

/* Every access the matrix tries. */
static size_t all_accesses(Acc *out)
{
    size_t n = 0;
    for (unsigned kind = 0; kind < 3; kind++) {
        bool write = kind == 1, fetch = kind == 2;
        out[n++] = (Acc){ .user = true, .write = write, .fetch = fetch };
        out[n++] = (Acc){ .write = write, .fetch = fetch };
        out[n++] = (Acc){ .write = write, .fetch = fetch, .ac = true };
        if (!fetch) {
            out[n++] = (Acc){ .write = write, .implicit = true };
            out[n++] = (Acc){ .write = write, .implicit = true, .ac = true };
        }
    }
    return n;
}

/* --- the matrix ------------------------------------------------------------ */

/*
 * For @m: one 4 KiB page per combination of U/S, R/W and XD in the upper
 * levels (all at once) and in the leaf; every CR0.WP, CR4.SMEP, CR4.SMAP,
 * EFER.NXE and every access; the verdict, the error code and the A/D
 * flags afterwards against the reference.
 */
static void rights_matrix(GmX86Paging m)
{
    setup();
    bool has_xd = m != GM_X86_PAGING_32;
    unsigned combos = has_xd ? 64 : 16;
    Path paths[64];
    uint64_t tops[64]; /* one hierarchy each: upper entries not shared */
    uint64_t saved[64][6];
    for (unsigned c = 0; c < combos; c++) {
        uint64_t up =
            P | ((c & 1) ? US : 0) | ((c & 2) ? RW : 0) | ((c & 16) ? XD : 0);
        uint64_t lf =
            P | ((c & 4) ? US : 0) | ((c & 8) ? RW : 0) | ((c & 32) ? XD : 0);
        uint64_t fl[6] = { 0, lf, up, up, up, up };
        if (m == GM_X86_PAGING_PAE) {
            fl[3] = P; /* a PDPTE has no rights */
        }
        uint64_t va = 0x40000000ull + (uint64_t)c * (4ull << 20) + 0x5000;
        tops[c] = top_table();
        paths[c] = map(m, tops[c], va, 0x200000 + c * 0x1000, 1, fl);
        for (unsigned i = 0; i < paths[c].n; i++) {
            saved[c][i] = rd(paths[c].addr[i], esize(m));
        }
    }
    Acc accs[16];
    size_t nacc = all_accesses(accs);
    unsigned checked = 0;
    for (unsigned cfg = 0; cfg < 16; cfg++) {
        GmX86MmuState st = state(m, 0);
        st.cr0 |= (cfg & 1) ? WP : 0;
        st.cr4 |= (cfg & 2) ? GM_X86_CR4_SMEP : 0;
        st.cr4 |= (cfg & 4) ? GM_X86_CR4_SMAP : 0;
        if (!(cfg & 8)) {
            st.efer &= ~GM_X86_EFER_NXE;
        } else if (!has_xd) {
            continue;
        }
        for (unsigned c = 0; c < combos; c++) {
            bool u = (c & 1) && (c & 4), w = (c & 2) && (c & 8);
            bool x = (c & 16) || (c & 32);
            uint64_t va = 0x40000000ull + (uint64_t)c * (4ull << 20) + 0x5123;
            st.cr3 = tops[c];
            for (size_t i = 0; i < nacc; i++) {
                Acc a = accs[i];
                for (unsigned k = 0; k < paths[c].n; k++) {
                    wr(paths[c].addr[k], esize(m), saved[c][k]);
                }
                GmX86Walk wk;
                int r = gm_x86_translate(&as, &st, va, acc_flags(a), &wk);
                bool nxe = st.efer & GM_X86_EFER_NXE;
                if (has_xd && !nxe && x) {
                    /* XD without EFER.NXE is a reserved bit. */
                    ASSERT_EQ(r, GM_X86_PAGE_FAULT);
                    ASSERT_EQ(wk.error_code,
                              ref_error(&st, a) | GM_X86_PF_P | GM_X86_PF_RSVD);
                    ASSERT_EQ(wk.fault_level,
                              (c & 16) ? levels_of(m) - (m == GM_X86_PAGING_PAE)
                                       : 1);
                } else if (ref_allowed(&st, a, u, w, x)) {
                    if (r != GM_X86_OK) {
                        test_fail(__FILE__, __LINE__,
                                  "mode %d cfg %u combo %u access %zu: "
                                  "fault %#x, the SDM allows it",
                                  (int)m, cfg, c, i, wk.error_code);
                    }
                    ASSERT_ADDR_EQ(wk.gpa, 0x200000 + c * 0x1000 + 0x123);
                    ASSERT_EQ(wk.user, u);
                    ASSERT_EQ(wk.writable, w);
                    ASSERT_EQ(wk.nx, x && nxe);
                    /* A everywhere (not in a PAE PDPTE), D in the leaf on
                     * a write. */
                    for (unsigned k = 0; k < paths[c].n; k++) {
                        uint64_t e = rd(paths[c].addr[k], esize(m));
                        bool pdpte = m == GM_X86_PAGING_PAE && k == 0;
                        ASSERT_EQ(!!(e & A), !pdpte);
                        bool leaf = k == paths[c].n - 1;
                        ASSERT_EQ(!!(e & D), leaf && a.write);
                    }
                    ASSERT_EQ(wk.dirty, a.write);
                } else {
                    if (r != GM_X86_PAGE_FAULT) {
                        test_fail(__FILE__, __LINE__,
                                  "mode %d cfg %u combo %u access %zu: "
                                  "allowed, the SDM refuses it",
                                  (int)m, cfg, c, i);
                    }
                    ASSERT_EQ(wk.error_code, ref_error(&st, a) | GM_X86_PF_P);
                    ASSERT_EQ(wk.fault_level, 0);
                    ASSERT_ADDR_EQ(wk.fault_addr, va);
                    for (unsigned k = 0; k < paths[c].n; k++) {
                        ASSERT_ADDR_EQ(rd(paths[c].addr[k], esize(m)),
                                       saved[c][k]);
                    }
                }
                checked++;
            }
        }
    }
    printf("# mode %d: %u accesses checked\n", (int)m, checked);
    teardown();
}

TEST(rights_matrix_32bit)
{
    rights_matrix(GM_X86_PAGING_32);
}
TEST(rights_matrix_pae)
{
    rights_matrix(GM_X86_PAGING_PAE);
}
TEST(rights_matrix_4level)
{
    rights_matrix(GM_X86_PAGING_4);
}
TEST(rights_matrix_5level)
{
    rights_matrix(GM_X86_PAGING_5);
}

/* --- modes and addresses ---------------------------------------------------- */

TEST(paging_mode_follows_cr0_cr4_efer)
{
    GmX86MmuState st = { 0 };
    ASSERT_EQ(gm_x86_paging_mode(&st), GM_X86_PAGING_OFF);
    st.cr4 = GM_X86_CR4_PAE | GM_X86_CR4_LA57;
    st.efer = GM_X86_EFER_LME | GM_X86_EFER_LMA;
    ASSERT_EQ(gm_x86_paging_mode(&st), GM_X86_PAGING_OFF); /* PG decides */
    st.cr0 = PG;
    ASSERT_EQ(gm_x86_paging_mode(&st), GM_X86_PAGING_5);
    st.cr4 = GM_X86_CR4_PAE;
    ASSERT_EQ(gm_x86_paging_mode(&st), GM_X86_PAGING_4);
    st.efer = GM_X86_EFER_LME; /* LME without LMA is not IA-32e */
    ASSERT_EQ(gm_x86_paging_mode(&st), GM_X86_PAGING_PAE);
    st.cr4 = GM_X86_CR4_PSE;
    ASSERT_EQ(gm_x86_paging_mode(&st), GM_X86_PAGING_32);
    ASSERT_EQ(gm_x86_paging_mode(NULL), GM_X86_PAGING_OFF);
}

TEST(paging_off_is_the_identity_on_32_bits)
{
    setup();
    GmX86MmuState st = { 0 };
    GmX86Walk w;
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x123456789ull, GM_X86_ACC_WRITE, &w),
              GM_X86_OK);
    ASSERT_ADDR_EQ(w.gpa, 0x23456789);
    ASSERT_EQ(w.nrefs, 0);
    teardown();
}

TEST(bad_arguments)
{
    setup();
    GmX86MmuState st = state(GM_X86_PAGING_4, 0x100000);
    GmX86Walk w;
    ASSERT_EQ(gm_x86_translate(NULL, &st, 0, 0, &w), -GM_ERR_INVALID_ARG);
    ASSERT_EQ(gm_x86_translate(&as, NULL, 0, 0, &w), -GM_ERR_INVALID_ARG);
    ASSERT_EQ(gm_x86_translate(&as, &st, 0, 0, NULL), -GM_ERR_INVALID_ARG);
    ASSERT_EQ(
        gm_x86_translate(&as, &st, 0, GM_X86_ACC_WRITE | GM_X86_ACC_FETCH, &w),
        -GM_ERR_INVALID_ARG);
    ASSERT_EQ(gm_x86_translate(&as, &st, 0,
                               GM_X86_ACC_USER | GM_X86_ACC_IMPLICIT, &w),
              -GM_ERR_INVALID_ARG);
    teardown();
}

TEST(non_canonical_addresses_are_gp)
{
    setup();
    uint64_t top = top_table();
    const uint64_t fl[6] = { 0, P | RW, P | RW, P | RW, P | RW, P | RW };
    map(GM_X86_PAGING_4, top, 0xffff800000001000ull, 0x5000, 1, fl);
    GmX86MmuState st = state(GM_X86_PAGING_4, top);
    GmX86Walk w;
    ASSERT_EQ(gm_x86_translate(&as, &st, 0xffff800000001234ull, 0, &w),
              GM_X86_OK);
    ASSERT_ADDR_EQ(w.gpa, 0x5234);
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x0000800000001234ull, 0, &w),
              GM_X86_GP);
    ASSERT_EQ(w.nrefs, 0);
    ASSERT_EQ(gm_x86_translate(&as, &st, 0xfff0800000001234ull, 0, &w),
              GM_X86_GP);
    ASSERT_EQ(gm_x86_canonical(&st, 0x0000800000001234ull),
              0xffff800000001234ull);
    /* 5-level: 57 bits. */
    uint64_t top5 = top_table();
    map(GM_X86_PAGING_5, top5, 0x00f0000000001000ull, 0x6000, 1, fl);
    st = state(GM_X86_PAGING_5, top5);
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x00f0000000001000ull, 0, &w),
              GM_X86_OK);
    ASSERT_ADDR_EQ(w.gpa, 0x6000);
    ASSERT_EQ(w.nrefs, 5);
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x0100000000001000ull, 0, &w),
              GM_X86_GP); /* bit 56 set, 63:57 clear */
    ASSERT_EQ(gm_x86_canonical(&st, 0x0100000000000000ull),
              0xff00000000000000ull);
    /* 4-level's canonical upper half is not 5-level's. */
    ASSERT_EQ(gm_x86_translate(&as, &st, 0xffff800000001234ull, 0, &w),
              GM_X86_PAGE_FAULT);
    teardown();
}

TEST(pcid_and_global)
{
    GmX86MmuState st = state(GM_X86_PAGING_4, 0x100123);
    ASSERT_EQ(gm_x86_pcid(&st), 0); /* CR4.PCIDE off */
    st.cr4 |= GM_X86_CR4_PCIDE;
    ASSERT_EQ(gm_x86_pcid(&st), 0x123);
    st = state(GM_X86_PAGING_PAE, 0x100020);
    st.cr4 |= GM_X86_CR4_PCIDE;
    ASSERT_EQ(gm_x86_pcid(&st), 0); /* only in IA-32e paging */

    setup();
    uint64_t top = top_table();
    const uint64_t fl[6] = { 0, P | RW | GM_X86_PTE_G, P, P, P, P };
    map(GM_X86_PAGING_4, top, 0x1000, 0x7000, 1, fl);
    st = state(GM_X86_PAGING_4, top);
    GmX86Walk w;
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, 0, &w), GM_X86_OK);
    ASSERT(!w.global); /* G without CR4.PGE */
    st.cr4 |= GM_X86_CR4_PGE;
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, 0, &w), GM_X86_OK);
    ASSERT(w.global);
    teardown();
}

/* --- page sizes ------------------------------------------------------------ */

TEST(large_pages_of_every_mode)
{
    setup();
    const uint64_t fl[6] = { 0,           P | RW,      P | RW | US,
                             P | RW | US, P | RW | US, P | RW | US };
    GmX86Walk w;
    /* 32-bit: 4 MiB with CR4.PSE; without it PS is ignored. */
    uint64_t pd = top_table();
    Path p = map(GM_X86_PAGING_32, pd, 0x00c00000, 0x01400000, 2, fl);
    GmX86MmuState st = state(GM_X86_PAGING_32, pd);
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x00d23456, 0, &w), GM_X86_OK);
    ASSERT_ADDR_EQ(w.gpa, 0x01523456);
    ASSERT_EQ(w.page_size, 4u << 20);
    ASSERT_EQ(w.level, 2);
    ASSERT_EQ(w.nrefs, 1);
    st.cr4 &= ~GM_X86_CR4_PSE;
    /* The PDE now points at a table at 0x01400000 (zeros): not present. */
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x00d23456, 0, &w), GM_X86_PAGE_FAULT);
    ASSERT_EQ(w.fault_level, 1);
    ASSERT_EQ(w.nrefs, 2);
    ASSERT_ADDR_EQ(w.refs[1].addr, 0x01400000 + (0x123 * 4));
    /* PSE-36: PDE bits 20:13 are physical bits 39:32. */
    st.cr4 |= GM_X86_CR4_PSE;
    wr(p.addr[0], 4, 0x01400000 | (0x5a << 13) | P | PS);
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x00d23456, 0, &w), GM_X86_OK);
    ASSERT_ADDR_EQ(w.gpa, 0x5a01523456ull);

    /* PAE and IA-32e: 2 MiB; IA-32e: 1 GiB. */
    uint64_t pdpt = top_table();
    const uint64_t fpae[6] = { 0, P | RW, P | RW | US, P };
    map(GM_X86_PAGING_PAE, pdpt, 0x40200000, 0x00600000, 2, fpae);
    st = state(GM_X86_PAGING_PAE, pdpt);
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x40345678, 0, &w), GM_X86_OK);
    ASSERT_ADDR_EQ(w.gpa, 0x00745678);
    ASSERT_EQ(w.page_size, 2u << 20);
    ASSERT_EQ(w.nrefs, 2);
    for (unsigned m = GM_X86_PAGING_4; m <= GM_X86_PAGING_5; m++) {
        uint64_t top = top_table();
        map((GmX86Paging)m, top, 0x80000000ull, 0x1c0000000ull, 3, fl);
        map((GmX86Paging)m, top, 0xc0000000ull, 0x00800000, 2, fl);
        st = state((GmX86Paging)m, top);
        ASSERT_EQ(gm_x86_translate(&as, &st, 0x81234567ull, 0, &w), GM_X86_OK);
        ASSERT_ADDR_EQ(w.gpa, 0x1c1234567ull);
        ASSERT_EQ(w.page_size, 1u << 30);
        ASSERT_EQ(w.level, 3);
        ASSERT_EQ(w.nrefs, m - 2);
        ASSERT_EQ(gm_x86_translate(&as, &st, 0xc0012345ull, 0, &w), GM_X86_OK);
        ASSERT_ADDR_EQ(w.gpa, 0x00812345);
        ASSERT_EQ(w.nrefs, m - 1);
        /* Without 1 GiB pages, PS in a PDPTE is reserved. */
        st.no_1g_pages = true;
        ASSERT_EQ(gm_x86_translate(&as, &st, 0x81234567ull, 0, &w),
                  GM_X86_PAGE_FAULT);
        ASSERT_EQ(w.error_code, GM_X86_PF_P | GM_X86_PF_RSVD);
        ASSERT_EQ(w.fault_level, 3);
    }
    teardown();
}

/* --- reserved bits ------------------------------------------------------------ */

/* Maps 0x40000000 with a leaf at @leaf, sets @bits in the entry at
 * @level, and checks the walk's verdict. */
static void rsvd_case(GmX86Paging m, unsigned leaf, unsigned level,
                      uint64_t bits, bool reserved, unsigned phys_bits,
                      const char *what)
{
    uint64_t top = top_table();
    const uint64_t fl[6] = { 0,           P | RW | US, P | RW | US,
                             P | RW | US, P | RW | US, P | RW | US };
    uint64_t f2[6];
    memcpy(f2, fl, sizeof(f2));
    if (m == GM_X86_PAGING_PAE) {
        f2[3] = P;
    }
    Path p =
        map(m, top, 0x40000000, leaf == 3 ? 0x40000000 : 0x00400000, leaf, f2);
    unsigned idx = levels_of(m) - level;
    wr(p.addr[idx], esize(m), rd(p.addr[idx], esize(m)) | bits);
    uint64_t before[6];
    for (unsigned k = 0; k < p.n; k++) {
        before[k] = rd(p.addr[k], esize(m));
    }
    GmX86MmuState st = state(m, top);
    st.phys_bits = phys_bits;
    GmX86Walk w;
    int r = gm_x86_translate(&as, &st, 0x40000000, GM_X86_ACC_WRITE, &w);
    if (reserved) {
        if (r != GM_X86_PAGE_FAULT ||
            w.error_code != (GM_X86_PF_P | GM_X86_PF_W | GM_X86_PF_RSVD) ||
            w.fault_level != level) {
            test_fail(__FILE__, __LINE__,
                      "%s: result %d error %#x level %u, expected a "
                      "reserved-bit fault at level %u",
                      what, r, w.error_code, w.fault_level, level);
        }
        for (unsigned k = 0; k < p.n; k++) { /* nothing was set */
            ASSERT_ADDR_EQ(rd(p.addr[k], esize(m)), before[k]);
        }
    } else if (r != GM_X86_OK) {
        test_fail(__FILE__, __LINE__, "%s: fault %#x, not reserved", what,
                  w.error_code);
    }
}

TEST(reserved_bits_of_every_level)
{
    setup();
    /* 32-bit: only a 4 MiB PDE has reserved bits. */
    rsvd_case(GM_X86_PAGING_32, 2, 2, 1ull << 21, true, 0, "32 PDE bit 21");
    rsvd_case(GM_X86_PAGING_32, 2, 2, 0xffull << 13, false, 40,
              "32 PDE 20:13, MAXPHYADDR 40");
    rsvd_case(GM_X86_PAGING_32, 2, 2, 1ull << 17, true, 36,
              "32 PDE bit 17, MAXPHYADDR 36");
    rsvd_case(GM_X86_PAGING_32, 2, 2, 1ull << 16, false, 36,
              "32 PDE bit 16, MAXPHYADDR 36");
    rsvd_case(GM_X86_PAGING_32, 1, 1, 0xfff00000, false, 0, "32 PTE");
    /* PAE: PDPTE bits 2:1, 8:5, 63:M; PDE/PTE 62:M; 2 MiB 20:13. */
    rsvd_case(GM_X86_PAGING_PAE, 1, 3, RW, true, 0, "PAE PDPTE R/W");
    rsvd_case(GM_X86_PAGING_PAE, 1, 3, US, true, 0, "PAE PDPTE U/S");
    rsvd_case(GM_X86_PAGING_PAE, 1, 3, A, true, 0, "PAE PDPTE bit 5");
    rsvd_case(GM_X86_PAGING_PAE, 1, 3, 1ull << 8, true, 0, "PAE PDPTE 8");
    rsvd_case(GM_X86_PAGING_PAE, 1, 3, GM_X86_PTE_PWT | GM_X86_PTE_PCD, false,
              0, "PAE PDPTE PWT PCD");
    rsvd_case(GM_X86_PAGING_PAE, 1, 3, XD, true, 0, "PAE PDPTE XD");
    rsvd_case(GM_X86_PAGING_PAE, 1, 2, 1ull << 52, true, 0, "PAE PDE 52");
    rsvd_case(GM_X86_PAGING_PAE, 1, 1, 1ull << 62, true, 0, "PAE PTE 62");
    rsvd_case(GM_X86_PAGING_PAE, 1, 1, 1ull << 40, true, 40,
              "PAE PTE 40, MAXPHYADDR 40");
    rsvd_case(GM_X86_PAGING_PAE, 1, 1, 1ull << 39, false, 40,
              "PAE PTE 39, MAXPHYADDR 40");
    rsvd_case(GM_X86_PAGING_PAE, 2, 2, 1ull << 13, true, 0, "PAE 2M bit 13");
    rsvd_case(GM_X86_PAGING_PAE, 2, 2, 1ull << 20, true, 0, "PAE 2M bit 20");
    rsvd_case(GM_X86_PAGING_PAE, 2, 2, 1ull << 12, false, 0, "PAE 2M PAT");
    /* IA-32e: 51:M; PS in PML4E/PML5E; 1 GiB 29:13; 2 MiB 20:13; 62:52
     * ignored. */
    for (unsigned m = GM_X86_PAGING_4; m <= GM_X86_PAGING_5; m++) {
        GmX86Paging mm = (GmX86Paging)m;
        rsvd_case(mm, 1, 4, PS, true, 0, "PML4E PS");
        if (m == 5) {
            rsvd_case(mm, 1, 5, PS, true, 0, "PML5E PS");
            rsvd_case(mm, 1, 5, 1ull << 45, true, 45, "PML5E 45, M 45");
        }
        rsvd_case(mm, 1, 4, 1ull << 51, true, 48, "PML4E 51, M 48");
        rsvd_case(mm, 1, 3, 1ull << 46, true, 46, "PDPTE 46, M 46");
        rsvd_case(mm, 1, 1, 1ull << 50, false, 0, "PTE 50, M 52");
        rsvd_case(mm, 1, 1, 0x7ffull << 52, false, 0, "PTE 62:52 ignored");
        rsvd_case(mm, 3, 3, 1ull << 13, true, 0, "1G bit 13");
        rsvd_case(mm, 3, 3, 1ull << 29, true, 0, "1G bit 29");
        rsvd_case(mm, 3, 3, 1ull << 12, false, 0, "1G PAT");
        rsvd_case(mm, 2, 2, 1ull << 20, true, 0, "2M bit 20");
        rsvd_case(mm, 2, 2, 1ull << 12, false, 0, "2M PAT");
    }
    teardown();
}

TEST(not_present_at_every_level)
{
    setup();
    for (size_t i = 0; i < 4; i++) {
        GmX86Paging m = all_modes[i];
        for (unsigned level = levels_of(m); level >= 1; level--) {
            uint64_t top = top_table();
            const uint64_t fl[6] = {
                0,           P | RW | US,
                P | RW | US, m == GM_X86_PAGING_PAE ? P : P | RW | US,
                P | RW | US, P | RW | US
            };
            Path p = map(m, top, 0x40000000, 0x9000, 1, fl);
            unsigned idx = levels_of(m) - level;
            /* P clear, everything else junk: never a reserved-bit fault. */
            wr(p.addr[idx], esize(m),
               esize(m) == 4 ? 0xfffffffeull : 0xfffffffffffffffeull);
            GmX86MmuState st = state(m, top);
            st.cr4 |= GM_X86_CR4_SMEP;
            GmX86Walk w;
            ASSERT_EQ(gm_x86_translate(&as, &st, 0x40000000,
                                       GM_X86_ACC_FETCH | GM_X86_ACC_USER, &w),
                      GM_X86_PAGE_FAULT);
            ASSERT_EQ(w.error_code, GM_X86_PF_U | GM_X86_PF_ID);
            ASSERT_EQ(w.fault_level, level);
            ASSERT_EQ(w.nrefs, levels_of(m) - level + 1);
            for (unsigned k = 0; k < idx; k++) {
                ASSERT(!(rd(p.addr[k], esize(m)) & A));
            }
        }
    }
    teardown();
}

TEST(fetch_error_code_has_id_only_with_nx_or_smep)
{
    setup();
    uint64_t pd = top_table();
    GmX86MmuState st = state(GM_X86_PAGING_32, pd);
    GmX86Walk w;
    /* 32-bit paging, no SMEP: I/D stays clear even for a fetch. */
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, GM_X86_ACC_FETCH, &w),
              GM_X86_PAGE_FAULT);
    ASSERT_EQ(w.error_code, 0);
    st.cr4 |= GM_X86_CR4_SMEP;
    gm_x86_translate(&as, &st, 0x1000, GM_X86_ACC_FETCH, &w);
    ASSERT_EQ(w.error_code, GM_X86_PF_ID);
    /* PAE with NXE: set; without NXE and SMEP: clear. */
    uint64_t pdpt = top_table();
    st = state(GM_X86_PAGING_PAE, pdpt);
    gm_x86_translate(&as, &st, 0x1000, GM_X86_ACC_FETCH, &w);
    ASSERT_EQ(w.error_code, GM_X86_PF_ID);
    st.efer &= ~GM_X86_EFER_NXE;
    gm_x86_translate(&as, &st, 0x1000, GM_X86_ACC_FETCH, &w);
    ASSERT_EQ(w.error_code, 0);
    teardown();
}

/* --- protection keys ------------------------------------------------------- */

TEST(protection_keys)
{
    setup();
    for (unsigned m = GM_X86_PAGING_4; m <= GM_X86_PAGING_5; m++) {
        uint64_t top = top_table();
        uint64_t key5 = 5ull << GM_X86_PTE_PKEY_SHIFT;
        const uint64_t fu[6] = { 0,           P | RW | US | key5, P | RW | US,
                                 P | RW | US, P | RW | US,        P | RW | US };
        const uint64_t fs[6] = { 0,           P | RW | key5, P | RW | US,
                                 P | RW | US, P | RW | US,   P | RW | US };
        const uint64_t fro[6] = { 0,           P | US | key5, P | RW | US,
                                  P | RW | US, P | RW | US,   P | RW | US };
        map((GmX86Paging)m, top, 0x1000, 0x8000, 1, fu);  /* user page */
        map((GmX86Paging)m, top, 0x2000, 0x9000, 1, fs);  /* supervisor */
        map((GmX86Paging)m, top, 0x3000, 0xa000, 1, fro); /* user, RO */
        GmX86MmuState st = state((GmX86Paging)m, top);
        st.cr0 |= WP;
        GmX86Walk w;
        const unsigned U = GM_X86_ACC_USER, W = GM_X86_ACC_WRITE;
        /* Keys off: the key is reported, nothing checked. */
        st.pkru = 0xffffffff;
        ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, U | W, &w), GM_X86_OK);
        ASSERT_EQ(w.pkey, 5);
        st.cr4 |= GM_X86_CR4_PKE;
        /* AD5: no data access to the user page, in any mode. */
        st.pkru = 1u << 10;
        ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, U, &w), GM_X86_PAGE_FAULT);
        ASSERT_EQ(w.error_code, GM_X86_PF_P | GM_X86_PF_U | GM_X86_PF_PK);
        ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, GM_X86_ACC_AC, &w),
                  GM_X86_PAGE_FAULT);
        ASSERT_EQ(w.error_code, GM_X86_PF_P | GM_X86_PF_PK);
        /* Fetches ignore keys; so do supervisor pages under PKRU. */
        ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, U | GM_X86_ACC_FETCH, &w),
                  GM_X86_OK);
        ASSERT_EQ(gm_x86_translate(&as, &st, 0x2000, W, &w), GM_X86_OK);
        /* WD5: writes refused (user always, supervisor with WP). */
        st.pkru = 2u << 10;
        ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, U, &w), GM_X86_OK);
        ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, U | W, &w),
                  GM_X86_PAGE_FAULT);
        ASSERT_EQ(w.error_code,
                  GM_X86_PF_P | GM_X86_PF_U | GM_X86_PF_W | GM_X86_PF_PK);
        ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, W | GM_X86_ACC_AC, &w),
                  GM_X86_PAGE_FAULT);
        st.cr0 &= ~WP;
        ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, W | GM_X86_ACC_AC, &w),
                  GM_X86_OK);
        ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, U | W, &w),
                  GM_X86_PAGE_FAULT);
        st.cr0 |= WP;
        /* The SDM sets PK whenever the keys refuse, even when R/W refuses
         * too (QEMU's TCG would not). */
        ASSERT_EQ(gm_x86_translate(&as, &st, 0x3000, U | W, &w),
                  GM_X86_PAGE_FAULT);
        ASSERT_EQ(w.error_code,
                  GM_X86_PF_P | GM_X86_PF_U | GM_X86_PF_W | GM_X86_PF_PK);
        /* Another key is untouched by PKRU's bits for key 5. */
        st.pkru = ~(3u << 10);
        ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, U | W, &w), GM_X86_OK);
        /* PKS: supervisor pages under IA32_PKRS. */
        st.pkru = 0;
        st.cr4 |= GM_X86_CR4_PKS;
        st.pkrs = 1u << 10;
        ASSERT_EQ(gm_x86_translate(&as, &st, 0x2000, 0, &w), GM_X86_PAGE_FAULT);
        ASSERT_EQ(w.error_code, GM_X86_PF_P | GM_X86_PF_PK);
        st.pkrs = 2u << 10;
        ASSERT_EQ(gm_x86_translate(&as, &st, 0x2000, 0, &w), GM_X86_OK);
        ASSERT_EQ(gm_x86_translate(&as, &st, 0x2000, W, &w), GM_X86_PAGE_FAULT);
        ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, W | GM_X86_ACC_AC, &w),
                  GM_X86_OK); /* a user page: PKRS does not apply */
        /* Nothing was set by the refused accesses: A only where allowed. */
    }
    /* PAE paging has no keys: bits 62:59 are reserved there. */
    uint64_t pdpt = top_table();
    const uint64_t fk[6] = { 0, P | RW | US | (5ull << 59), P | RW | US, P };
    map(GM_X86_PAGING_PAE, pdpt, 0x1000, 0x8000, 1, fk);
    GmX86MmuState st = state(GM_X86_PAGING_PAE, pdpt);
    st.cr4 |= GM_X86_CR4_PKE;
    GmX86Walk w;
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, 0, &w), GM_X86_PAGE_FAULT);
    ASSERT_EQ(w.error_code, GM_X86_PF_P | GM_X86_PF_RSVD);
    teardown();
}

/* --- accessed and dirty ------------------------------------------------------ */

TEST(accessed_and_dirty_flags)
{
    setup();
    uint64_t top = top_table();
    const uint64_t fl[6] = { 0, P | RW, P | RW, P | RW, P | RW, P | RW };
    Path p4k = map(GM_X86_PAGING_4, top, 0x1000, 0x8000, 1, fl);
    Path p2m = map(GM_X86_PAGING_4, top, 0x40000000, 0x400000, 2, fl);
    GmX86MmuState st = state(GM_X86_PAGING_4, top);
    GmX86Walk w;
    /* A probe changes nothing. */
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000,
                               GM_X86_ACC_WRITE | GM_X86_ACC_NO_AD, &w),
              GM_X86_OK);
    for (unsigned k = 0; k < p4k.n; k++) {
        ASSERT(!(rd(p4k.addr[k], 8) & (A | D)));
    }
    ASSERT(!w.dirty);
    /* A read sets A everywhere, no D. */
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, 0, &w), GM_X86_OK);
    for (unsigned k = 0; k < p4k.n; k++) {
        ASSERT_EQ(rd(p4k.addr[k], 8) & (A | D), A);
    }
    ASSERT_EQ(w.pte & (A | D), A);
    /* A write sets D in the leaf only. */
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, GM_X86_ACC_WRITE, &w),
              GM_X86_OK);
    ASSERT_EQ(rd(p4k.addr[3], 8) & (A | D), A | D);
    ASSERT_EQ(rd(p4k.addr[2], 8) & D, 0);
    ASSERT(w.dirty);
    ASSERT_ADDR_EQ(w.pte_addr, p4k.addr[3]);
    /* A large page's leaf gets D too. */
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x40001000, GM_X86_ACC_WRITE, &w),
              GM_X86_OK);
    ASSERT_EQ(rd(p2m.addr[2], 8) & (A | D | PS), A | D | PS);
    /* A refused write leaves the flags: make the leaf read-only, clear. */
    wr(p4k.addr[3], 8, 0x8000 | P);
    st.cr0 |= WP;
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, GM_X86_ACC_WRITE, &w),
              GM_X86_PAGE_FAULT);
    ASSERT_ADDR_EQ(rd(p4k.addr[3], 8), 0x8000 | P);
    /* 32-bit entries are updated as 4-byte words. */
    uint64_t pd = top_table();
    const uint64_t f32[6] = { 0, P | RW, P | RW };
    Path p32 = map(GM_X86_PAGING_32, pd, 0x3000, 0x9000, 1, f32);
    wr(p32.addr[1] + 4, 4, 0x11223344); /* the next PTE must not change */
    st = state(GM_X86_PAGING_32, pd);
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x3000, GM_X86_ACC_WRITE, &w),
              GM_X86_OK);
    ASSERT_EQ(rd(p32.addr[1], 4), 0x9000 | P | RW | A | D);
    ASSERT_EQ(rd(p32.addr[1] + 4, 4), 0x11223344);
    teardown();
}

TEST(ad_updates_reach_dirty_logging)
{
    setup();
    uint64_t top = top_table();
    const uint64_t fl[6] = { 0, P | RW, P | RW, P | RW, P | RW, P | RW };
    Path p = map(GM_X86_PAGING_4, top, 0x1000, 0x8000, 1, fl);
    memory_region_set_log(&ram, true, DIRTY_MEMORY_VGA);
    memory_region_reset_dirty(&ram, 0, RAM_SIZE, DIRTY_MEMORY_VGA);
    GmX86MmuState st = state(GM_X86_PAGING_4, top);
    GmX86Walk w;
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, GM_X86_ACC_NO_AD, &w),
              GM_X86_OK);
    ASSERT(!memory_region_get_dirty(&ram, 0, RAM_SIZE, DIRTY_MEMORY_VGA));
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, 0, &w), GM_X86_OK);
    for (unsigned k = 0; k < p.n; k++) {
        ASSERT(memory_region_get_dirty(&ram, p.addr[k] & ~0xfffull, 0x1000,
                                       DIRTY_MEMORY_VGA));
    }
    /* The data page is not dirtied by a translation. */
    ASSERT(!memory_region_get_dirty(&ram, 0x8000, 0x1000, DIRTY_MEMORY_VGA));
    /* Nothing to set: nothing dirtied. */
    memory_region_reset_dirty(&ram, 0, RAM_SIZE, DIRTY_MEMORY_VGA);
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, 0, &w), GM_X86_OK);
    ASSERT(!memory_region_get_dirty(&ram, 0, RAM_SIZE, DIRTY_MEMORY_VGA));
    /* A write dirties only the leaf's page. */
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x1000, GM_X86_ACC_WRITE, &w),
              GM_X86_OK);
    ASSERT(memory_region_get_dirty(&ram, p.addr[3] & ~0xfffull, 0x1000,
                                   DIRTY_MEMORY_VGA));
    ASSERT(!memory_region_get_dirty(&ram, p.addr[0] & ~0xfffull, 0x1000,
                                    DIRTY_MEMORY_VGA));
    memory_region_set_log(&ram, false, DIRTY_MEMORY_VGA);
    teardown();
}

/* --- tables outside plain RAM ------------------------------------------------ */

/* An MMIO page table: entry reads come as 8-byte device reads; after
 * @flip_after reads, the device "changes" the leaf (as another CPU
 * would), so the first A/D exchange fails and the walk restarts. */
typedef struct PtDev {
    uint64_t e[512];
    unsigned reads, writes, flip_after;
    uint64_t flip_to;
} PtDev;

static uint64_t ptdev_read(void *opaque, hwaddr addr, unsigned size)
{
    PtDev *d = opaque;
    d->reads++;
    if (d->flip_after && d->reads == d->flip_after) {
        d->e[0] = d->flip_to;
    }
    uint64_t v = d->e[addr / 8];
    return size == 8 ? v : (v >> (8 * (addr % 8))) & ((1ull << (8 * size)) - 1);
}

static void ptdev_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    PtDev *d = opaque;
    d->writes++;
    ASSERT_EQ(size, 8);
    d->e[addr / 8] = val;
}

static const MemoryRegionOps ptdev_ops = {
    .read = ptdev_read,
    .write = ptdev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 8, .max_access_size = 8 },
};

TEST(tables_in_mmio_rom_and_nowhere)
{
    setup();
    static PtDev dev;
    memset(&dev, 0, sizeof(dev));
    MemoryRegion mmio, rom;
    memory_region_init_io(&mmio, NULL, &ptdev_ops, &dev, "pt-dev", 0x1000);
    memory_region_add_subregion(&root, 0x10000000, &mmio);
    ASSERT(memory_region_init_rom(&rom, NULL, "pt-rom", 0x1000, NULL));
    memory_region_add_subregion(&root, 0x10001000, &rom);

    uint64_t top = top_table();
    const uint64_t fl[6] = { 0, P | RW, P | RW, P | RW, P | RW, P | RW };
    Path p = map(GM_X86_PAGING_4, top, 0x1000, 0x8000, 1, fl);
    /* The PT (level 1) of 0x0000-0x1fffff moves into the device. */
    wr(p.addr[2], 8, 0x10000000 | P | RW);
    dev.e[1] = 0x8000 | P | RW;
    GmX86MmuState st = state(GM_X86_PAGING_4, top);
    GmX86Walk w;
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x1234, GM_X86_ACC_WRITE, &w),
              GM_X86_OK);
    ASSERT_ADDR_EQ(w.gpa, 0x8234);
    ASSERT_EQ(dev.e[1], 0x8000 | P | RW | A | D); /* written by the device */
    ASSERT(dev.writes >= 1);

    /* The restart: the entry changes between the read and the update. */
    dev.e[0] = 0x9000 | P | RW;
    dev.reads = 0;
    dev.flip_after = 2; /* the update's read sees the new value */
    dev.flip_to = 0xa000 | P | RW;
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x0042, 0, &w), GM_X86_OK);
    ASSERT_ADDR_EQ(w.gpa, 0xa042); /* the walk started again */
    ASSERT_EQ(dev.e[0], 0xa000 | P | RW | A);
    dev.flip_after = 0;

    /* Tables in ROM are read; their flags cannot be set. */
    uint64_t *r = memory_region_get_ram_ptr(&rom);
    r[2] = 0xb000 | P | RW;
    wr(p.addr[2], 8, 0x10001000 | P | RW | A);
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x2010, GM_X86_ACC_WRITE, &w),
              GM_X86_OK);
    ASSERT_ADDR_EQ(w.gpa, 0xb010);
    ASSERT_EQ(r[2], 0xb000 | P | RW);

    /* A table where nothing is mapped reads as zeros: not present. */
    wr(p.addr[2], 8, 0x20000000 | P | RW);
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x2010, 0, &w), GM_X86_PAGE_FAULT);
    ASSERT(w.pt_read_error);
    ASSERT_EQ(w.fault_level, 1);

    memory_region_del_subregion(&root, &mmio);
    memory_region_del_subregion(&root, &rom);
    gm_memory_region_destroy(&mmio, NULL);
    gm_memory_region_destroy(&rom, NULL);
    teardown();
}

TEST(pae_loaded_pdptes)
{
    setup();
    uint64_t pdpt = top_table();
    const uint64_t fl[6] = { 0, P | RW, P | RW, P };
    map(GM_X86_PAGING_PAE, pdpt, 0x40001000, 0x7000, 1, fl);
    GmX86MmuState st = state(GM_X86_PAGING_PAE, pdpt);
    GmX86Walk w;
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x40001000, 0, &w), GM_X86_OK);
    ASSERT_EQ(w.nrefs, 3);
    /* Loaded registers win over memory, and are not memory references. */
    st.pdpte_loaded = true;
    st.pdpte[1] = rd(pdpt + 8, 8);
    wr(pdpt + 8, 8, 0);
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x40001000, 0, &w), GM_X86_OK);
    ASSERT_EQ(w.nrefs, 2);
    ASSERT_ADDR_EQ(w.gpa, 0x7000);
    st.pdpte[1] |= RW; /* reserved in a PDPTE: the load would #GP */
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x40001000, 0, &w), GM_X86_GP);
    st.pdpte[1] = 0;
    ASSERT_EQ(gm_x86_translate(&as, &st, 0x40001000, 0, &w), GM_X86_PAGE_FAULT);
    ASSERT_EQ(w.fault_level, 3);
    teardown();
}

TEST(references_of_a_walk)
{
    setup();
    for (size_t i = 0; i < 4; i++) {
        GmX86Paging m = all_modes[i];
        uint64_t top = top_table();
        const uint64_t fl[6] = { 0,      P | RW,
                                 P | RW, m == GM_X86_PAGING_PAE ? P : P | RW,
                                 P | RW, P | RW };
        Path p = map(m, top, 0x12345000, 0x8000, 1, fl);
        GmX86MmuState st = state(m, top);
        GmX86Walk w;
        ASSERT_EQ(gm_x86_translate(&as, &st, 0x12345678, 0, &w), GM_X86_OK);
        ASSERT_EQ(w.nrefs, levels_of(m));
        for (unsigned k = 0; k < w.nrefs; k++) {
            ASSERT_ADDR_EQ(w.refs[k].addr, p.addr[k]);
            ASSERT_EQ(w.refs[k].kind, GM_X86_REF_GUEST);
            ASSERT_EQ(w.refs[k].level, levels_of(m) - k);
        }
    }
    teardown();
}

/* Random tables, random accesses: the walk never crashes, a success
 * always lands where the leaf says, and a fault never sets a flag. */
TEST(random_tables_hold_together)
{
    setup();
    uint64_t seed = 12345;
    unsigned ok = 0, faults = 0;
    for (unsigned round = 0; round < 20000; round++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        GmX86Paging m = all_modes[(seed >> 33) % 4];
        if (round % 500 == 0) {
            next_table = 0x100000;
        }
        uint64_t top = 0x100000 + ((seed >> 20) % 64) * 0x1000;
        /* Fill a few random entries in the first 64 tables. */
        for (unsigned k = 0; k < 8; k++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            uint64_t t = 0x100000 + ((seed >> 40) % 64) * 0x1000;
            uint64_t e =
                (0x100000 + ((seed >> 20) % 64) * 0x1000) | (seed & 0x1ff) |
                ((seed >> 3) & (1ull << 63)) |
                ((seed & 7) == 0 ? ((seed >> 7) & 0x7ff0000000000000ull) : 0);
            wr(t + ((seed >> 50) % 512) * 8, 8, e);
        }
        GmX86MmuState st = state(m, top);
        st.cr0 |= (seed & 1) ? WP : 0;
        st.cr4 |= (seed & 2) ? GM_X86_CR4_SMEP : 0;
        st.cr4 |= (seed & 4) ? GM_X86_CR4_SMAP : 0;
        st.phys_bits = 36 + (seed >> 60);
        uint64_t va = seed ^ (seed << 17);
        if (m == GM_X86_PAGING_4) {
            va = (uint64_t)((int64_t)(va << 16) >> 16);
        } else if (m == GM_X86_PAGING_5) {
            va = (uint64_t)((int64_t)(va << 7) >> 7);
        }
        unsigned acc = (seed >> 8) & (GM_X86_ACC_WRITE | GM_X86_ACC_USER);
        static uint8_t before[0x40000];
        memcpy(before, mem + 0x100000, sizeof(before));
        GmX86Walk w;
        int r = gm_x86_translate(&as, &st, va, acc, &w);
        if (r == GM_X86_OK) {
            ok++;
            uint64_t leaf = rd(w.pte_addr, esize(m));
            ASSERT(leaf & P);
            ASSERT_EQ(w.gpa & 0xfff, va & 0xfff);
        } else {
            ASSERT_EQ(r, GM_X86_PAGE_FAULT);
            faults++;
            ASSERT(!memcmp(before, mem + 0x100000, sizeof(before)));
        }
    }
    printf("# %u translated, %u faults\n", ok, faults);
    ASSERT(ok > 100);
    teardown();
}

int main(int argc, char **argv)
{
    static const TestCase tests[] = {
        TEST_ENTRY(paging_mode_follows_cr0_cr4_efer),
        TEST_ENTRY(paging_off_is_the_identity_on_32_bits),
        TEST_ENTRY(bad_arguments),
        TEST_ENTRY(non_canonical_addresses_are_gp),
        TEST_ENTRY(pcid_and_global),
        TEST_ENTRY(large_pages_of_every_mode),
        TEST_ENTRY(reserved_bits_of_every_level),
        TEST_ENTRY(not_present_at_every_level),
        TEST_ENTRY(fetch_error_code_has_id_only_with_nx_or_smep),
        TEST_ENTRY(rights_matrix_32bit),
        TEST_ENTRY(rights_matrix_pae),
        TEST_ENTRY(rights_matrix_4level),
        TEST_ENTRY(rights_matrix_5level),
        TEST_ENTRY(protection_keys),
        TEST_ENTRY(accessed_and_dirty_flags),
        TEST_ENTRY(ad_updates_reach_dirty_logging),
        TEST_ENTRY(tables_in_mmio_rom_and_nowhere),
        TEST_ENTRY(pae_loaded_pdptes),
        TEST_ENTRY(references_of_a_walk),
        TEST_ENTRY(random_tables_hold_together),
    };
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
