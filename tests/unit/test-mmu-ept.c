// SPDX-License-Identifier: MIT
/*
 * test-mmu-ept.c - EPT (mmu/ept.c) and the two-dimensional walk: 4- and
 * 5-level EPT with 4 KiB, 2 MiB and 1 GiB leaves, the rights and exit
 * qualification of violations, misconfigurations, mode-based execute
 * control, the EPT accessed and dirty flags, and the 2D walk's references
 * (24 for 4 + 4 levels), its exits on guest-paging-structure and final
 * accesses, guest A/D updates as EPT writes, and a randomized check that
 * the 2D walk equals the guest's walk over a guest-physical address space
 * built from the same EPT mapping (aliases of host pages).
 */
#include "../harness/test.h"

#define HOST_SIZE (64u << 20)
#define R GM_EPT_R
#define W GM_EPT_W
#define X GM_EPT_X
#define WB (6ull << GM_EPT_MT_SHIFT)
#define P GM_X86_PTE_P
#define RW GM_X86_PTE_RW
#define US GM_X86_PTE_US

static MemoryRegion hroot, hram;
static AddressSpace host;
static uint8_t *hmem;
static uint64_t next_page;

static void setup(void)
{
    memory_region_init(&hroot, NULL, "hroot", UINT64_MAX);
    ASSERT(memory_region_init_ram(&hram, NULL, "hram", HOST_SIZE, NULL));
    memory_region_add_subregion(&hroot, 0, &hram);
    address_space_init(&host, &hroot, "host");
    hmem = memory_region_get_ram_ptr(&hram);
    next_page = 0x100000;
}

static uint64_t page(void)
{
    uint64_t p = next_page;
    next_page += 0x1000;
    ASSERT(next_page < HOST_SIZE / 2);
    memset(hmem + p, 0, 0x1000);
    return p;
}

static uint64_t rd(uint64_t a)
{
    uint64_t v;
    memcpy(&v, hmem + a, 8);
    return v;
}

static void wr(uint64_t a, uint64_t v)
{
    memcpy(hmem + a, &v, 8);
}

/* Maps @gpa to @hpa with a leaf at @leaf (1: 4 KiB, 2: 2 MiB, 3: 1 GiB)
 * carrying @lf; tables on the way get @nf.  Returns the entries' host
 * addresses, top first, in @path (if not NULL). */
static unsigned ept_map(uint64_t top, unsigned levels, uint64_t gpa,
                        uint64_t hpa, unsigned leaf, uint64_t lf, uint64_t nf,
                        uint64_t *path)
{
    uint64_t t = top;
    unsigned n = 0;
    for (unsigned l = levels; l >= leaf; l--) {
        uint64_t a = t + ((gpa >> (12 + 9 * (l - 1))) & 511) * 8;
        if (path) {
            path[n] = a;
        }
        n++;
        if (l == leaf) {
            wr(a, hpa | lf | (leaf > 1 ? GM_EPT_PS : 0));
            break;
        }
        uint64_t e = rd(a);
        uint64_t next = e & 0x000ffffffffff000ull;
        if (!next) {
            next = page();
        }
        wr(a, next | nf);
        t = next;
    }
    return n;
}

static GmEptState ept_state(uint64_t top, unsigned levels, bool ad)
{
    GmEptState e = { .eptp = top | GM_EPTP_MT_WB |
                             (levels == 5 ? GM_EPTP_WALK5 : GM_EPTP_WALK4) |
                             (ad ? GM_EPTP_AD : 0) };
    return e;
}

/* --- EPT alone ----------------------------------------------------------------- */

TEST(ept_translates_every_page_size)
{
    setup();
    for (unsigned levels = 4; levels <= 5; levels++) {
        uint64_t top = page();
        ept_map(top, levels, 0x1000, 0x7000, 1, R | W | X | WB, R | W | X,
                NULL);
        ept_map(top, levels, 0x40200000, 0x00600000, 2,
                R | (5ull << GM_EPT_MT_SHIFT) | GM_EPT_IPAT, R | W | X, NULL);
        ept_map(top, levels, 0x80000000ull, 0x1c0000000ull, 3, R | X | WB,
                R | W | X, NULL);
        GmEptState e = ept_state(top, levels, false);
        GmEptWalk w;
        ASSERT_EQ(gm_ept_translate(&host, &e, 0x1234, GM_X86_ACC_WRITE, &w),
                  GM_X86_OK);
        ASSERT_ADDR_EQ(w.hpa, 0x7234);
        ASSERT_EQ(w.nrefs, levels);
        ASSERT_EQ(w.page_size, 0x1000);
        ASSERT_EQ(w.memtype, 6);
        ASSERT(!w.ipat);
        ASSERT_EQ(w.rights, 7);
        ASSERT_EQ(gm_ept_translate(&host, &e, 0x40345678, 0, &w), GM_X86_OK);
        ASSERT_ADDR_EQ(w.hpa, 0x00745678);
        ASSERT_EQ(w.page_size, 2u << 20);
        ASSERT_EQ(w.level, 2);
        ASSERT_EQ(w.memtype, 5);
        ASSERT(w.ipat);
        ASSERT_EQ(
            gm_ept_translate(&host, &e, 0x87654321ull, GM_X86_ACC_FETCH, &w),
            GM_X86_OK);
        ASSERT_ADDR_EQ(w.hpa, 0x1c7654321ull);
        ASSERT_EQ(w.level, 3);
        ASSERT_EQ(w.nrefs, levels - 2);
    }
    GmEptState bad = { .eptp = 0x1000 | (2ull << 3) };
    GmEptWalk w;
    ASSERT_EQ(gm_ept_translate(&host, &bad, 0, 0, &w), -GM_ERR_INVALID_ARG);
}

TEST(ept_violations_and_their_qualification)
{
    setup();
    uint64_t top = page();
    uint64_t path[5];
    ept_map(top, 4, 0x1000, 0x7000, 1, R | WB, R | W | X, path);
    GmEptState e = ept_state(top, 4, false);
    GmEptWalk w;
    /* A read-only page: reads pass, writes and fetches exit. */
    ASSERT_EQ(gm_ept_translate(&host, &e, 0x1000, 0, &w), GM_X86_OK);
    ASSERT_EQ(gm_ept_translate(&host, &e, 0x1000, GM_X86_ACC_WRITE, &w),
              GM_X86_EPT_VIOLATION);
    ASSERT_EQ(w.exit_qual, GM_EPT_QUAL_WRITE | GM_EPT_QUAL_READABLE);
    ASSERT_EQ(gm_ept_translate(&host, &e, 0x1000, GM_X86_ACC_FETCH, &w),
              GM_X86_EPT_VIOLATION);
    ASSERT_EQ(w.exit_qual, GM_EPT_QUAL_FETCH | GM_EPT_QUAL_READABLE);
    /* The rights are the AND over the levels. */
    wr(path[3], 0x7000 | R | W | X | WB);
    wr(path[1], rd(path[1]) & ~W);
    ASSERT_EQ(gm_ept_translate(&host, &e, 0x1000, GM_X86_ACC_WRITE, &w),
              GM_X86_EPT_VIOLATION);
    ASSERT_EQ(w.exit_qual, GM_EPT_QUAL_WRITE | GM_EPT_QUAL_READABLE |
                               GM_EPT_QUAL_EXECUTABLE);
    /* Not present at each level: the AND is 0 there. */
    for (unsigned l = 0; l < 4; l++) {
        uint64_t save = rd(path[l]);
        wr(path[l], save & ~7ull);
        ASSERT_EQ(gm_ept_translate(&host, &e, 0x1000, 0, &w),
                  GM_X86_EPT_VIOLATION);
        ASSERT_EQ(w.exit_qual, GM_EPT_QUAL_READ);
        ASSERT_EQ(w.fault_level, 4 - l);
        ASSERT_EQ(w.nrefs, l + 1);
        wr(path[l], save);
    }
    /* Nothing mapped at all. */
    ASSERT_EQ(gm_ept_translate(&host, &e, 0x8000000, GM_X86_ACC_FETCH, &w),
              GM_X86_EPT_VIOLATION);
    ASSERT_EQ(w.exit_qual, GM_EPT_QUAL_FETCH);
}

TEST(ept_rights_matrix)
{
    setup();
    unsigned checked = 0;
    for (unsigned leaf_r = 0; leaf_r < 8; leaf_r++) {
        for (unsigned up_r = 1; up_r < 8; up_r++) {
            for (int eo = 0; eo < 2; eo++) {
                uint64_t top = page();
                ept_map(top, 4, 0x3000, 0x9000, 1, leaf_r | WB, up_r, NULL);
                GmEptState e = ept_state(top, 4, false);
                e.exec_only = eo;
                bool mis = false;
                for (unsigned v = 0; v < 2; v++) {
                    unsigned r = v ? leaf_r : up_r;
                    if (!r) {
                        continue;
                    }
                    mis |=
                        ((r & W) && !(r & R)) || ((r & X) && !(r & R) && !eo);
                }
                for (unsigned a = 0; a < 3; a++) {
                    unsigned acc = a == 1   ? GM_X86_ACC_WRITE
                                   : a == 2 ? GM_X86_ACC_FETCH
                                            : 0;
                    GmEptWalk w;
                    int res = gm_ept_translate(&host, &e, 0x3000, acc, &w);
                    unsigned and = leaf_r & up_r;
                    bool upper_present = up_r != 0;
                    int want;
                    if (upper_present && ((up_r & W) && !(up_r & R))) {
                        want = GM_X86_EPT_MISCONFIG;
                    } else if ((up_r & X) && !(up_r & R) && !eo) {
                        want = GM_X86_EPT_MISCONFIG;
                    } else if (!leaf_r) {
                        want = GM_X86_EPT_VIOLATION;
                    } else if (mis) {
                        want = GM_X86_EPT_MISCONFIG;
                    } else {
                        unsigned need = a == 1 ? W : a == 2 ? X : R;
                        want = (and&need) ? GM_X86_OK : GM_X86_EPT_VIOLATION;
                    }
                    if (res != want) {
                        test_fail(__FILE__, __LINE__,
                                  "leaf %u upper %u exec-only %d access %u: "
                                  "%d, expected %d",
                                  leaf_r, up_r, eo, a, res, want);
                    }
                    if (res == GM_X86_EPT_VIOLATION) {
                        uint64_t kind = a == 1   ? GM_EPT_QUAL_WRITE
                                        : a == 2 ? GM_EPT_QUAL_FETCH
                                                 : GM_EPT_QUAL_READ;
                        ASSERT_EQ(w.exit_qual, kind | ((uint64_t) and << 3));
                    }
                    checked++;
                }
            }
        }
    }
    printf("# %u EPT accesses checked\n", checked);
}

TEST(ept_misconfigurations)
{
    setup();
    struct {
        unsigned leaf, level; /* the entry to spoil, and the leaf level */
        uint64_t bits;
        const char *what;
    } cases[] = {
        { 1, 1, 2ull << GM_EPT_MT_SHIFT, "memory type 2" },
        { 1, 1, 3ull << GM_EPT_MT_SHIFT, "memory type 3" },
        { 1, 1, 7ull << GM_EPT_MT_SHIFT, "memory type 7" },
        { 1, 4, GM_EPT_PS, "PS in a PML4E" },
        { 1, 4, 1ull << 3, "bit 3 of a PML4E" },
        { 1, 2, GM_EPT_IPAT, "IPAT in a non-leaf" },
        { 1, 1, 1ull << 46, "bit 46 with MAXPHYADDR 46" },
        { 2, 2, 1ull << 12, "bit 12 of a 2 MiB leaf" },
        { 2, 2, 1ull << 20, "bit 20 of a 2 MiB leaf" },
        { 3, 3, 1ull << 29, "bit 29 of a 1 GiB leaf" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t top = page(), path[5];
        uint64_t hpa = cases[i].leaf == 3 ? 0x40000000 : 0x200000;
        ept_map(top, 4, 0x40000000, hpa, cases[i].leaf, R | W | X | WB,
                R | W | X, path);
        uint64_t at = path[4 - cases[i].level];
        uint64_t v = rd(at);
        if (cases[i].bits & (7ull << GM_EPT_MT_SHIFT) &&
            cases[i].level == cases[i].leaf) {
            v &= ~(7ull << GM_EPT_MT_SHIFT); /* replace the memory type */
        }
        wr(at, v | cases[i].bits);
        GmEptState es = ept_state(top, 4, true);
        es.phys_bits = 46;
        GmEptWalk w;
        int r = gm_ept_translate(&host, &es, 0x40000000, 0, &w);
        if (r != GM_X86_EPT_MISCONFIG) {
            test_fail(__FILE__, __LINE__, "%s: %d, a misconfiguration expected",
                      cases[i].what, r);
        }
        ASSERT_EQ(w.fault_level, cases[i].level);
        for (unsigned k = 0; k < 5 - cases[i].leaf; k++) {
            ASSERT(!(rd(path[k]) & GM_EPT_A)); /* nothing set */
        }
    }
    /* 1 GiB leaves where the CPU has none. */
    uint64_t top = page();
    ept_map(top, 4, 0x40000000, 0x40000000, 3, R | WB, R | W | X, NULL);
    GmEptState es = ept_state(top, 4, false);
    GmEptWalk w;
    ASSERT_EQ(gm_ept_translate(&host, &es, 0x40000000, 0, &w), GM_X86_OK);
    es.no_1g_pages = true;
    ASSERT_EQ(gm_ept_translate(&host, &es, 0x40000000, 0, &w),
              GM_X86_EPT_MISCONFIG);
}

TEST(ept_mode_based_execute)
{
    setup();
    uint64_t top = page();
    ept_map(top, 4, 0x1000, 0x7000, 1, R | X | WB, R | W | X | GM_EPT_XU, NULL);
    ept_map(top, 4, 0x2000, 0x8000, 1, R | GM_EPT_XU | WB,
            R | W | X | GM_EPT_XU, NULL);
    GmEptState e = ept_state(top, 4, false);
    e.mbec = true;
    GmEptWalk w;
    const unsigned F = GM_X86_ACC_FETCH, U = GM_X86_ACC_USER;
    ASSERT_EQ(gm_ept_translate(&host, &e, 0x1000, F, &w), GM_X86_OK);
    ASSERT_EQ(gm_ept_translate(&host, &e, 0x1000, F | U, &w),
              GM_X86_EPT_VIOLATION);
    ASSERT_EQ(w.exit_qual, GM_EPT_QUAL_FETCH | GM_EPT_QUAL_READABLE |
                               GM_EPT_QUAL_EXECUTABLE);
    ASSERT_EQ(gm_ept_translate(&host, &e, 0x2000, F | U, &w), GM_X86_OK);
    ASSERT_EQ(gm_ept_translate(&host, &e, 0x2000, F, &w), GM_X86_EPT_VIOLATION);
    ASSERT_EQ(w.exit_qual,
              GM_EPT_QUAL_FETCH | GM_EPT_QUAL_READABLE | GM_EPT_QUAL_USER_EXEC);
    /* Without MBEC, XU is ignored and X serves everyone. */
    e.mbec = false;
    ASSERT_EQ(gm_ept_translate(&host, &e, 0x1000, F | U, &w), GM_X86_OK);
    ASSERT_EQ(gm_ept_translate(&host, &e, 0x2000, F | U, &w),
              GM_X86_EPT_VIOLATION);
}

TEST(ept_accessed_and_dirty)
{
    setup();
    uint64_t top = page(), path[4];
    ept_map(top, 4, 0x1000, 0x7000, 1, R | W | WB, R | W | X, path);
    ept_map(top, 4, 0x2000, 0x8000, 1, R | WB, R | W | X, NULL);
    GmEptState e = ept_state(top, 4, false);
    GmEptWalk w;
    ASSERT_EQ(gm_ept_translate(&host, &e, 0x1000, GM_X86_ACC_WRITE, &w),
              GM_X86_OK);
    for (unsigned k = 0; k < 4; k++) {
        ASSERT(!(rd(path[k]) & (GM_EPT_A | GM_EPT_D))); /* A/D off */
    }
    e.eptp |= GM_EPTP_AD;
    ASSERT_EQ(gm_ept_translate(&host, &e, 0x1000, 0, &w), GM_X86_OK);
    for (unsigned k = 0; k < 4; k++) {
        ASSERT_EQ(rd(path[k]) & (GM_EPT_A | GM_EPT_D), GM_EPT_A);
    }
    ASSERT_EQ(gm_ept_translate(&host, &e, 0x1000, GM_X86_ACC_WRITE, &w),
              GM_X86_OK);
    ASSERT_EQ(rd(path[3]) & (GM_EPT_A | GM_EPT_D), GM_EPT_A | GM_EPT_D);
    ASSERT_EQ(rd(path[2]) & GM_EPT_D, 0);
    ASSERT(w.entry & GM_EPT_D);
    /* A violation sets nothing; a probe neither. */
    uint64_t before = rd(path[2]);
    ASSERT_EQ(gm_ept_translate(&host, &e, 0x2000, GM_X86_ACC_WRITE, &w),
              GM_X86_EPT_VIOLATION);
    ASSERT_EQ(rd(path[2]), before);
    wr(path[3], rd(path[3]) & ~(GM_EPT_A | GM_EPT_D));
    ASSERT_EQ(gm_ept_translate(&host, &e, 0x1000,
                               GM_X86_ACC_WRITE | GM_X86_ACC_NO_AD, &w),
              GM_X86_OK);
    ASSERT_EQ(rd(path[3]) & (GM_EPT_A | GM_EPT_D), 0);
}

/* --- two dimensions -------------------------------------------------------------- */

/* A guest whose guest-physical page g is host page map_base + g (EPT with
 * 4 KiB leaves, R/W/X, for @npages pages); guest tables are written in
 * host memory at their EPT translation. */
typedef struct Guest2D {
    uint64_t ept_top;
    unsigned ept_levels;
    uint64_t map_base;
    uint64_t npages;
    uint64_t next_gpage; /* guest-physical pages for guest tables */
} Guest2D;

static void guest_init(Guest2D *g, unsigned ept_levels, uint64_t npages,
                       bool large_ept)
{
    g->ept_top = page();
    g->ept_levels = ept_levels;
    g->map_base = 0x1000000; /* host 16 MiB */
    g->npages = npages;
    g->next_gpage = 0x100;
    if (large_ept) {
        for (uint64_t a = 0; a < npages * 0x1000; a += 2u << 20) {
            ept_map(g->ept_top, ept_levels, a, g->map_base + a, 2,
                    R | W | X | WB, R | W | X, NULL);
        }
    } else {
        for (uint64_t p = 0; p < npages; p++) {
            ept_map(g->ept_top, ept_levels, p << 12, g->map_base + (p << 12), 1,
                    R | W | X | WB, R | W | X, NULL);
        }
    }
}

static uint64_t g2h(const Guest2D *g, uint64_t gpa)
{
    return g->map_base + gpa;
}

static uint64_t guest_table(Guest2D *g)
{
    uint64_t gpa = (g->next_gpage++) << 12;
    memset(hmem + g2h(g, gpa), 0, 0x1000);
    return gpa;
}

/* A guest 4 KiB mapping (IA-32e, @levels 4 or 5) of @va to @gpa;
 * returns the guest-physical addresses of its entries. */
static void guest_map(Guest2D *g, uint64_t top, unsigned levels, uint64_t va,
                      uint64_t gpa, uint64_t flags, uint64_t *path)
{
    uint64_t t = top;
    for (unsigned l = levels; l >= 1; l--) {
        uint64_t a = t + ((va >> (12 + 9 * (l - 1))) & 511) * 8;
        if (path) {
            path[levels - l] = a;
        }
        if (l == 1) {
            wr(g2h(g, a), gpa | flags);
            return;
        }
        uint64_t e = rd(g2h(g, a));
        uint64_t next = e & 0x000ffffffffff000ull;
        if (!next) {
            next = guest_table(g);
        }
        wr(g2h(g, a), next | P | RW | US);
        t = next;
    }
}

static GmX86MmuState guest_state(uint64_t cr3, unsigned levels)
{
    GmX86MmuState st = { .cr0 = GM_X86_CR0_PG | GM_X86_CR0_WP,
                         .cr3 = cr3,
                         .cr4 = GM_X86_CR4_PAE,
                         .efer = GM_X86_EFER_LMA | GM_X86_EFER_NXE };
    if (levels == 5) {
        st.cr4 |= GM_X86_CR4_LA57;
    }
    return st;
}

TEST(two_d_references)
{
    setup();
    for (unsigned gl = 4; gl <= 5; gl++) {
        for (unsigned el = 4; el <= 5; el++) {
            next_page = 0x100000;
            Guest2D g;
            guest_init(&g, el, 1024, false);
            uint64_t top = guest_table(&g);
            uint64_t path[5];
            guest_map(&g, top, gl, 0x12345000, 0x3000, P | RW | US, path);
            GmX86MmuState st = guest_state(top, gl);
            GmEptState e = ept_state(g.ept_top, el, false);
            GmX86Walk w;
            ASSERT_EQ(gm_x86_translate_2d(&host, &e, &st, 0x12345678, 0, &w),
                      GM_X86_OK);
            ASSERT_ADDR_EQ(w.gpa, 0x3678);
            ASSERT_ADDR_EQ(w.hpa, g2h(&g, 0x3678));
            ASSERT_EQ(w.nrefs, gl * (el + 1) + el);
            if (gl == 4 && el == 4) {
                ASSERT_EQ(w.nrefs, 24);
            }
            /* The order: el EPT reads, then the guest entry, per level;
             * then el EPT reads for the final address. */
            unsigned k = 0;
            for (unsigned l = 0; l < gl; l++) {
                for (unsigned j = 0; j < el; j++, k++) {
                    ASSERT_EQ(w.refs[k].kind, GM_X86_REF_EPT);
                    ASSERT_EQ(w.refs[k].level, el - j);
                }
                ASSERT_EQ(w.refs[k].kind, GM_X86_REF_GUEST);
                ASSERT_EQ(w.refs[k].level, gl - l);
                ASSERT_ADDR_EQ(w.refs[k].addr, g2h(&g, path[l]));
                k++;
            }
            for (unsigned j = 0; j < el; j++, k++) {
                ASSERT_EQ(w.refs[k].kind, GM_X86_REF_EPT);
            }
            ASSERT_EQ(w.memtype, 6);
        }
    }
    /* Large EPT pages and a large guest page take fewer. */
    next_page = 0x100000;
    Guest2D g;
    guest_init(&g, 4, 1024, true);
    uint64_t top = guest_table(&g);
    guest_map(&g, top, 4, 0x1000, 0x3000, P | RW, NULL);
    GmX86MmuState st = guest_state(top, 4);
    GmEptState e = ept_state(g.ept_top, 4, false);
    GmX86Walk w;
    ASSERT_EQ(gm_x86_translate_2d(&host, &e, &st, 0x1000, 0, &w), GM_X86_OK);
    ASSERT_EQ(w.nrefs, 4 * 4 + 3);
}

TEST(two_d_exits)
{
    setup();
    Guest2D g;
    guest_init(&g, 4, 1024, false);
    uint64_t top = guest_table(&g);
    uint64_t path[4];
    guest_map(&g, top, 4, 0x5000, 0x9000, P | RW | US, path);
    GmX86MmuState st = guest_state(top, 4);
    GmEptState e = ept_state(g.ept_top, 4, false);
    GmX86Walk w;
    GmEptWalk ew;
    /* The PD page (a guest paging structure) not present in EPT. */
    uint64_t pd_gpa = path[2] & ~0xfffull;
    ASSERT_EQ(gm_ept_translate(&host, &e, pd_gpa, 0, &ew), GM_X86_OK);
    uint64_t leaf = ew.entry_addr, saved = rd(leaf);
    wr(leaf, 0);
    ASSERT_EQ(gm_x86_translate_2d(&host, &e, &st, 0x5000, 0, &w),
              GM_X86_EPT_VIOLATION);
    ASSERT_ADDR_EQ(w.fault_gpa, path[2]);
    ASSERT_EQ(w.exit_qual, GM_EPT_QUAL_READ | GM_EPT_QUAL_GLA_VALID);
    ASSERT_EQ(w.fault_level, 2);
    ASSERT_EQ(w.nrefs, 4 + 1 + 4 + 1 + 4); /* stopped in the third EPT walk */
    /* With EPT A/D, a guest-paging-structure access is a write: a
     * read-only PD page is a violation with R and W in the qualification. */
    wr(leaf, saved & ~W);
    ASSERT_EQ(gm_x86_translate_2d(&host, &e, &st, 0x5000, GM_X86_ACC_NO_AD, &w),
              GM_X86_OK);
    e.eptp |= GM_EPTP_AD;
    ASSERT_EQ(gm_x86_translate_2d(&host, &e, &st, 0x5000, GM_X86_ACC_NO_AD, &w),
              GM_X86_EPT_VIOLATION);
    ASSERT_EQ(w.exit_qual, GM_EPT_QUAL_READ | GM_EPT_QUAL_WRITE |
                               GM_EPT_QUAL_READABLE | GM_EPT_QUAL_EXECUTABLE |
                               GM_EPT_QUAL_GLA_VALID);
    e.eptp &= ~GM_EPTP_AD;
    /* Without EPT A/D, the read passes and the guest's A update (an EPT
     * write) exits: W set, the access to a paging structure. */
    ASSERT_EQ(gm_x86_translate_2d(&host, &e, &st, 0x5000, 0, &w),
              GM_X86_EPT_VIOLATION);
    ASSERT_EQ(w.exit_qual, GM_EPT_QUAL_WRITE | GM_EPT_QUAL_READABLE |
                               GM_EPT_QUAL_EXECUTABLE | GM_EPT_QUAL_GLA_VALID);
    ASSERT_ADDR_EQ(w.fault_gpa, path[2]);
    /* Once A is set, no write is needed. */
    wr(g2h(&g, path[2]), rd(g2h(&g, path[2])) | GM_X86_PTE_A);
    ASSERT_EQ(gm_x86_translate_2d(&host, &e, &st, 0x5000, 0, &w), GM_X86_OK);
    wr(leaf, saved);
    /* The final access: GLA_FINAL, and the guest's rights with
     * advanced information. */
    uint64_t data_gpa = 0x9000;
    ASSERT_EQ(gm_ept_translate(&host, &e, data_gpa, 0, &ew), GM_X86_OK);
    uint64_t dleaf = ew.entry_addr;
    wr(dleaf, rd(dleaf) & ~X);
    ASSERT_EQ(gm_x86_translate_2d(&host, &e, &st, 0x5000, GM_X86_ACC_FETCH, &w),
              GM_X86_EPT_VIOLATION);
    ASSERT_EQ(w.exit_qual, GM_EPT_QUAL_FETCH | GM_EPT_QUAL_READABLE |
                               GM_EPT_QUAL_WRITABLE | GM_EPT_QUAL_GLA_VALID |
                               GM_EPT_QUAL_GLA_FINAL);
    ASSERT_ADDR_EQ(w.fault_gpa, 0x9000);
    ASSERT_ADDR_EQ(w.gpa, 0x9000);
    e.adv_exit_info = true;
    ASSERT_EQ(gm_x86_translate_2d(&host, &e, &st, 0x5000,
                                  GM_X86_ACC_FETCH | GM_X86_ACC_USER, &w),
              GM_X86_EPT_VIOLATION);
    ASSERT_EQ(w.exit_qual, GM_EPT_QUAL_FETCH | GM_EPT_QUAL_READABLE |
                               GM_EPT_QUAL_WRITABLE | GM_EPT_QUAL_GLA_VALID |
                               GM_EPT_QUAL_GLA_FINAL | GM_EPT_QUAL_USER |
                               GM_EPT_QUAL_GLA_WRITABLE);
    /* The guest's A/D were set before the final access exited. */
    ASSERT(rd(g2h(&g, path[3])) & GM_X86_PTE_A);
    /* A guest page fault is a page fault. */
    ASSERT_EQ(gm_x86_translate_2d(&host, &e, &st, 0x7000, GM_X86_ACC_WRITE, &w),
              GM_X86_PAGE_FAULT);
    ASSERT_EQ(w.error_code, GM_X86_PF_W);
    ASSERT_EQ(w.nrefs, 4 * 5); /* the PTE read, not present */
    /* A misconfigured EPT entry on the way. */
    wr(leaf, (saved & ~(7ull << GM_EPT_MT_SHIFT)) | (2ull << GM_EPT_MT_SHIFT));
    ASSERT_EQ(gm_x86_translate_2d(&host, &e, &st, 0x5000, 0, &w),
              GM_X86_EPT_MISCONFIG);
    ASSERT_ADDR_EQ(w.fault_gpa, path[2]);
    wr(leaf, saved);
}

/*
 * The 2D walk against the composition, at random: a guest-physical
 * address space made of host pages (one alias per page, at the EPT
 * mapping's target), random guest tables and EPT rights; for each random
 * access, gm_x86_translate over the guest space followed by
 * gm_ept_translate of its result must give what gm_x86_translate_2d gives,
 * and leave memory the same.
 */
TEST(two_d_equals_the_composition)
{
    setup();
    enum {
        NP = 256
    };
    static MemoryRegion groot, alias[NP];
    static AddressSpace gas;
    memory_region_init(&groot, NULL, "groot", UINT64_MAX);
    uint64_t ept_top = page();
    uint64_t seed = 99;
    /* Guest page p is host page 0x2000000 + perm(p); EPT rights random
     * (reads mostly allowed). */
    memory_region_transaction_begin();
    for (unsigned p = 0; p < NP; p++) {
        uint64_t hp = 0x2000000 + ((p * 37 + 11) % NP) * 0x1000ull;
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        unsigned rights = (seed >> 40) % 8 ? R | W | X : R;
        if ((seed >> 50) % 16 == 0) {
            rights = R | X;
        }
        ept_map(ept_top, 4, (uint64_t)p << 12, hp, 1, rights | WB, R | W | X,
                NULL);
        memory_region_init_alias(&alias[p], NULL, "g", &hram, hp, 0x1000);
        memory_region_add_subregion(&groot, (uint64_t)p << 12, &alias[p]);
    }
    memory_region_transaction_commit();
    address_space_init(&gas, &groot, "guest");
    GmEptState e = ept_state(ept_top, 4, false);
    /* Random 4-level guest tables in guest pages 1..63 (page 1 the top),
     * data pages anywhere. */
    for (unsigned i = 0; i < 3000; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t t = (1 + (seed >> 58)) << 12; /* a table page, 1..64 */
        uint64_t target = ((seed >> 20) % 64 + 1) << 12;
        if ((seed & 3) == 0) {
            target = ((seed >> 24) % NP) << 12;
        }
        uint64_t entry =
            target | (seed & 0x1e7) | P | ((seed >> 44) % 4 ? RW | US : 0);
        if ((seed >> 8) % 11 == 0) {
            entry |= GM_X86_PTE_XD;
        }
        stq_le_phys(&gas, t + ((seed >> 30) % 8) * 8, entry);
    }
    GmX86MmuState st = guest_state(1 << 12, 4);
    unsigned ok = 0, pf = 0, exits = 0;
    static uint8_t snap[NP * 0x1000], after2[NP * 0x1000];
    for (unsigned i = 0; i < 10000; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        /* Entries sit at indices 0-7 of each table: aim there, mostly. */
        uint64_t va = seed & 0xfff;
        for (unsigned l = 0; l < 4; l++) {
            va |= ((seed >> (12 + 3 * l)) & 7) << (12 + 9 * l);
        }
        if (i % 16 == 0) {
            va = (uint64_t)((int64_t)(seed << 16) >> 16);
        }
        unsigned acc = (seed >> 5) & (GM_X86_ACC_WRITE | GM_X86_ACC_USER);
        if (!(acc & GM_X86_ACC_WRITE) && (seed >> 9) % 3 == 0) {
            acc |= GM_X86_ACC_FETCH;
        }
        memcpy(snap, hmem + 0x2000000, sizeof(snap));
        GmX86Walk w2;
        int r2 = gm_x86_translate_2d(&host, &e, &st, va, acc, &w2);
        memcpy(after2, hmem + 0x2000000, sizeof(snap));
        memcpy(hmem + 0x2000000, snap, sizeof(snap));
        GmX86Walk w1;
        int r1 = gm_x86_translate(&gas, &st, va, acc, &w1);
        if (r2 == GM_X86_EPT_VIOLATION || r2 == GM_X86_EPT_MISCONFIG) {
            exits++;
            /* An exit on a paging structure happens before the guest walk
             * ends; on the final access, the guest walk succeeded. */
            if (w2.exit_qual & GM_EPT_QUAL_GLA_FINAL) {
                ASSERT_EQ(r1, GM_X86_OK);
                ASSERT_ADDR_EQ(w2.fault_gpa, w1.gpa);
            }
        } else {
            ASSERT_EQ(r2, r1);
            if (r1 == GM_X86_OK) {
                ok++;
                ASSERT_ADDR_EQ(w2.gpa, w1.gpa);
                GmEptWalk ew;
                ASSERT_EQ(
                    gm_ept_translate(&host, &e, w1.gpa, GM_X86_ACC_NO_AD, &ew),
                    GM_X86_OK);
                ASSERT_ADDR_EQ(w2.hpa, ew.hpa);
                ASSERT_EQ(w2.user, w1.user);
                ASSERT_EQ(w2.writable, w1.writable);
                ASSERT_EQ(w2.nx, w1.nx);
            } else {
                pf++;
                ASSERT_EQ(w2.error_code, w1.error_code);
                ASSERT_EQ(w2.fault_level, w1.fault_level);
            }
            ASSERT(!memcmp(after2, hmem + 0x2000000, sizeof(snap)));
        }
    }
    printf("# %u translated, %u page faults, %u EPT exits\n", ok, pf, exits);
    fflush(stdout);
    ASSERT(ok > 100 && pf > 100 && exits > 10);
    address_space_destroy(&gas);
}

int main(int argc, char **argv)
{
    static const TestCase tests[] = {
        TEST_ENTRY(ept_translates_every_page_size),
        TEST_ENTRY(ept_violations_and_their_qualification),
        TEST_ENTRY(ept_rights_matrix),
        TEST_ENTRY(ept_misconfigurations),
        TEST_ENTRY(ept_mode_based_execute),
        TEST_ENTRY(ept_accessed_and_dirty),
        TEST_ENTRY(two_d_references),
        TEST_ENTRY(two_d_exits),
        TEST_ENTRY(two_d_equals_the_composition),
    };
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
