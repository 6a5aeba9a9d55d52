// SPDX-License-Identifier: MIT
/*
 * test-mmu-shadow.c - shadow page tables (mmu/shadow.c): fills, the fast
 * path, write protection of guest page tables through the memory model
 * (coherent without INVLPG), INVLPG and CR3 loads, tables that cannot be
 * watched, and a randomized run in which every shadow translation must
 * equal the guest's walk composed with EPT - results, addresses, error
 * codes, exit qualifications and the guest's A/D flags - while the guest
 * rewrites its tables, switches CR3 and changes its control registers.
 */
#include "../harness/test.h"

#define GUEST_SIZE (4u << 20)
#define HOST_SIZE (32u << 20)
#define P GM_X86_PTE_P
#define RW GM_X86_PTE_RW
#define US GM_X86_PTE_US
#define XD GM_X86_PTE_XD
#define R GM_EPT_R
#define W GM_EPT_W
#define X GM_EPT_X
#define WB (6ull << GM_EPT_MT_SHIFT)

static MemoryRegion groot, gram, hroot, hram;
static AddressSpace gas, host;
static uint8_t *gmem, *hmem;

static void setup(void)
{
    memory_region_init(&groot, NULL, "groot", UINT64_MAX);
    ASSERT(memory_region_init_ram(&gram, NULL, "gram", GUEST_SIZE, NULL));
    memory_region_add_subregion(&groot, 0, &gram);
    address_space_init(&gas, &groot, "guest");
    gmem = memory_region_get_ram_ptr(&gram);
    memory_region_init(&hroot, NULL, "hroot", UINT64_MAX);
    ASSERT(memory_region_init_ram(&hram, NULL, "hram", HOST_SIZE, NULL));
    memory_region_add_subregion(&hroot, 0, &hram);
    address_space_init(&host, &hroot, "host");
    hmem = memory_region_get_ram_ptr(&hram);
}

static uint64_t grd(uint64_t a)
{
    uint64_t v;
    memcpy(&v, gmem + a, 8);
    return v;
}

/* Guest stores go through the access path: the way a guest writes. */
static void gwr(uint64_t a, uint64_t v)
{
    stq_le_phys(&gas, a, v);
}

static void hwr(uint64_t a, uint64_t v)
{
    memcpy(hmem + a, &v, 8);
}

/* EPT over the guest's 4 MiB: guest page g at host 16 MiB + perm(g). */
static uint64_t ept_top;
static uint64_t hpage(uint64_t g)
{
    return 0x1000000 + ((g * 29 + 5) % (GUEST_SIZE >> 12)) * 0x1000ull;
}

static void build_ept(unsigned rights_seed)
{
    ept_top = 0x100000;
    uint64_t next = ept_top + 0x1000;
    memset(hmem + ept_top, 0, 0x1000);
    for (uint64_t g = 0; g < (GUEST_SIZE >> 12); g++) {
        uint64_t t = ept_top;
        for (unsigned l = 4; l > 1; l--) {
            uint64_t a = t + (((g << 12) >> (12 + 9 * (l - 1))) & 511) * 8;
            uint64_t e;
            memcpy(&e, hmem + a, 8);
            if (!(e & 7)) {
                memset(hmem + next, 0, 0x1000);
                e = next | R | W | X;
                hwr(a, e);
                next += 0x1000;
            }
            t = e & 0x000ffffffffff000ull;
        }
        unsigned r = R | W | X;
        if (rights_seed) {
            unsigned k = (unsigned)((g * rights_seed) >> 3) % 16;
            r = k == 0 ? R : k == 1 ? R | X : k == 2 ? 0 : R | W | X;
        }
        hwr(t + (g & 511) * 8, hpage(g) | r | WB);
    }
}

static GmEptState ept(void)
{
    GmEptState e = { .eptp = ept_top | GM_EPTP_MT_WB | GM_EPTP_WALK4 };
    return e;
}

/* A 4-level guest hierarchy at @top mapping @n pages from @va. */
static uint64_t next_gtable;
static uint64_t gtable(void)
{
    uint64_t t = next_gtable;
    next_gtable += 0x1000;
    for (unsigned i = 0; i < 512; i++) {
        gwr(t + i * 8, 0);
    }
    return t;
}

static uint64_t gmap(uint64_t top, uint64_t va, uint64_t gpa, uint64_t flags)
{
    uint64_t t = top;
    for (unsigned l = 4; l > 1; l--) {
        uint64_t a = t + ((va >> (12 + 9 * (l - 1))) & 511) * 8;
        uint64_t e = grd(a);
        if (!(e & P)) {
            e = gtable() | P | RW | US;
            gwr(a, e);
        }
        t = e & 0x000ffffffffff000ull;
    }
    uint64_t a = t + ((va >> 12) & 511) * 8;
    gwr(a, gpa | flags);
    return a;
}

static GmX86MmuState gstate(uint64_t cr3)
{
    GmX86MmuState st = { .cr0 = GM_X86_CR0_PG | GM_X86_CR0_WP,
                         .cr3 = cr3,
                         .cr4 = GM_X86_CR4_PAE,
                         .efer = GM_X86_EFER_LMA | GM_X86_EFER_NXE };
    return st;
}

TEST(bad_arguments)
{
    setup();
    Error *err = NULL;
    ASSERT(!gm_shadow_new(NULL, NULL, NULL, 64, &err));
    error_free(err);
    err = NULL;
    GmEptState e = { 0 };
    ASSERT(!gm_shadow_new(&gas, NULL, &e, 64, &err)); /* host w/o EPT */
    error_free(err);
    err = NULL;
    ASSERT(!gm_shadow_new(&gas, NULL, NULL, 2, &err));
    error_free(err);
    /* The root must be a container. */
    AddressSpace flat;
    address_space_init(&flat, &gram, "ram-root");
    err = NULL;
    ASSERT(!gm_shadow_new(&flat, NULL, NULL, 64, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_WRONG_KIND);
    error_free(err);
    address_space_destroy(&flat);
    GmShadowMmu *s = gm_shadow_new(&gas, NULL, NULL, 64, NULL);
    GmX86Walk w;
    ASSERT_EQ(gm_shadow_translate(s, 0, 0, &w, NULL), -GM_ERR_INVALID_ARG);
    GmX86MmuState off = { 0 };
    err = NULL;
    ASSERT_EQ(gm_shadow_load_cr3(s, &off, &err), -GM_ERR_UNSUPPORTED);
    error_free(err);
    gm_shadow_free(s);
    gm_shadow_free(NULL);
}

TEST(fills_then_fast_and_coherent_without_invlpg)
{
    setup();
    next_gtable = 0x100000;
    uint64_t top = gtable();
    uint64_t pte = gmap(top, 0x400000, 0x200000, P | RW | US);
    build_ept(0);
    GmEptState e = ept();
    GmShadowMmu *s = gm_shadow_new(&gas, &host, &e, 64, NULL);
    GmX86MmuState st = gstate(top);
    ASSERT_EQ(gm_shadow_load_cr3(s, &st, NULL), 0);
    GmX86Walk w;
    bool fast;
    ASSERT_EQ(gm_shadow_translate(s, 0x400123, 0, &w, &fast), GM_X86_OK);
    ASSERT(!fast);
    ASSERT_ADDR_EQ(w.gpa, 0x200123);
    ASSERT_ADDR_EQ(w.hpa, hpage(0x200) + 0x123);
    ASSERT_EQ(gm_shadow_translate(s, 0x400456, 0, &w, &fast), GM_X86_OK);
    ASSERT(fast);
    ASSERT_ADDR_EQ(w.gpa, 0x200456);
    ASSERT_ADDR_EQ(w.hpa, hpage(0x200) + 0x456);
    /* The shadow tables are real page tables: walk them. */
    GmX86MmuState sh = { .cr0 = GM_X86_CR0_PG,
                         .cr3 = gm_shadow_root(s),
                         .cr4 = GM_X86_CR4_PAE,
                         .efer = GM_X86_EFER_LMA | GM_X86_EFER_NXE };
    ASSERT_EQ(gm_x86_translate(gm_shadow_table_space(s), &sh, 0x400789,
                               GM_X86_ACC_NO_AD, &w),
              GM_X86_OK);
    ASSERT_ADDR_EQ(w.gpa, hpage(0x200) + 0x789);
    /* The leaf is read-only until the guest's D is set: the first write
     * takes the slow path, sets D, and then writes are fast. */
    ASSERT(!(grd(pte) & GM_X86_PTE_D));
    ASSERT_EQ(gm_shadow_translate(s, 0x400000, GM_X86_ACC_WRITE, &w, &fast),
              GM_X86_OK);
    ASSERT(!fast);
    ASSERT(grd(pte) & GM_X86_PTE_D);
    ASSERT_EQ(gm_shadow_translate(s, 0x400000, GM_X86_ACC_WRITE, &w, &fast),
              GM_X86_OK);
    ASSERT(fast);
    /* The guest remaps the page (a store through its address space):
     * the very next translation sees it, no INVLPG. */
    GmShadowStats before;
    gm_shadow_stats(s, &before);
    gwr(pte, 0x300000 | P | RW | US);
    GmShadowStats after;
    gm_shadow_stats(s, &after);
    ASSERT_EQ(after.wp_traps, before.wp_traps + 1);
    ASSERT_EQ(gm_shadow_translate(s, 0x400000, 0, &w, &fast), GM_X86_OK);
    ASSERT(!fast);
    ASSERT_ADDR_EQ(w.gpa, 0x300000);
    ASSERT_ADDR_EQ(w.hpa, hpage(0x300));
    /* Unmapped: a page fault, as the guest's walk says. */
    gwr(pte, 0);
    ASSERT_EQ(gm_shadow_translate(s, 0x400000, GM_X86_ACC_USER, &w, &fast),
              GM_X86_PAGE_FAULT);
    ASSERT_EQ(w.error_code, GM_X86_PF_U);
    /* A write to an upper-level entry drops everything under it. */
    gwr(pte, 0x300000 | P | RW | US);
    gm_shadow_translate(s, 0x400000, 0, &w, &fast);
    gm_shadow_translate(s, 0x400000, 0, &w, &fast);
    ASSERT(fast);
    gwr(top, grd(top) & ~US); /* PML4E 0 loses U/S */
    ASSERT_EQ(gm_shadow_translate(s, 0x400000, GM_X86_ACC_USER, &w, &fast),
              GM_X86_PAGE_FAULT);
    ASSERT_EQ(w.error_code, GM_X86_PF_P | GM_X86_PF_U);
    ASSERT(!fast);
    gm_shadow_free(s);
}

TEST(invlpg_cr3_and_unwatched_tables)
{
    setup();
    next_gtable = 0x100000;
    uint64_t top1 = gtable(), top2 = gtable();
    gmap(top1, 0x1000, 0x10000, P | RW);
    gmap(top2, 0x1000, 0x20000, P | RW);
    GmShadowMmu *s = gm_shadow_new(&gas, NULL, NULL, 64, NULL);
    GmX86MmuState st = gstate(top1);
    gm_shadow_load_cr3(s, &st, NULL);
    GmX86Walk w;
    bool fast;
    gm_shadow_translate(s, 0x1000, 0, &w, &fast);
    ASSERT_ADDR_EQ(w.hpa, 0x10000); /* no EPT: hpa = gpa */
    gm_shadow_translate(s, 0x1000, 0, &w, &fast);
    ASSERT(fast);
    gm_shadow_invlpg(s, 0x1abc);
    gm_shadow_translate(s, 0x1000, 0, &w, &fast);
    ASSERT(!fast);
    /* CR3 load: everything goes, the regions too. */
    GmShadowStats ss;
    gm_shadow_stats(s, &ss);
    ASSERT(ss.wp_pages >= 4);
    st.cr3 = top2;
    gm_shadow_load_cr3(s, &st, NULL);
    gm_shadow_stats(s, &ss);
    ASSERT_EQ(ss.wp_pages, 0);
    ASSERT_EQ(ss.resyncs, 2);
    ASSERT_EQ(gm_shadow_translate(s, 0x1000, 0, &w, &fast), GM_X86_OK);
    ASSERT_ADDR_EQ(w.gpa, 0x20000);
    /* A guest page table in ROM cannot be watched: never cached. */
    MemoryRegion rom;
    ASSERT(memory_region_init_rom(&rom, NULL, "pt-rom", 0x1000, NULL));
    memory_region_add_subregion(&groot, 0x800000, &rom);
    uint64_t *r = memory_region_get_ram_ptr(&rom);
    r[3] = 0x30000 | P | RW | GM_X86_PTE_A | GM_X86_PTE_D;
    /* The PD entry of 0-2 MiB now points at the ROM. */
    uint64_t pdpt = grd(top2) & 0x000ffffffffff000ull;
    uint64_t pd = grd(pdpt) & 0x000ffffffffff000ull;
    gwr(pd, 0x800000 | P | RW | GM_X86_PTE_A);
    ASSERT_EQ(gm_shadow_translate(s, 0x3000, 0, &w, &fast), GM_X86_OK);
    ASSERT_ADDR_EQ(w.gpa, 0x30000);
    ASSERT_EQ(gm_shadow_translate(s, 0x3000, 0, &w, &fast), GM_X86_OK);
    ASSERT(!fast);
    gm_shadow_free(s);
    memory_region_del_subregion(&groot, &rom);
    gm_memory_region_destroy(&rom, NULL);
}

TEST(page_table_pages_are_never_writable_through_the_shadow)
{
    setup();
    next_gtable = 0x100000;
    uint64_t top = gtable();
    /* The guest maps one of its own tables (the PML4) at 0x5000. */
    gmap(top, 0x5000, top, P | RW | GM_X86_PTE_A | GM_X86_PTE_D);
    GmShadowMmu *s = gm_shadow_new(&gas, NULL, NULL, 64, NULL);
    GmX86MmuState st = gstate(top);
    gm_shadow_load_cr3(s, &st, NULL);
    GmX86Walk w;
    bool fast;
    ASSERT_EQ(gm_shadow_translate(s, 0x5000, GM_X86_ACC_WRITE, &w, &fast),
              GM_X86_OK);
    ASSERT_EQ(gm_shadow_translate(s, 0x5000, GM_X86_ACC_WRITE, &w, &fast),
              GM_X86_OK);
    ASSERT(!fast); /* always the slow path for writes */
    ASSERT_EQ(gm_shadow_translate(s, 0x5000, 0, &w, &fast), GM_X86_OK);
    ASSERT(fast); /* reads are fine */
    gm_shadow_free(s);
}

/* --- the randomized check ------------------------------------------------------- */

/* The reference: the guest's walk over its guest-physical memory, then
 * EPT of the result. */
static int reference(const GmX86MmuState *st, const GmEptState *e, uint64_t va,
                     unsigned acc, GmX86Walk *w)
{
    int r = gm_x86_translate(&gas, st, va, acc, w);
    if (r != GM_X86_OK || !e) {
        w->hpa = w->gpa;
        return r;
    }
    GmEptWalk ew;
    unsigned eacc = (acc & (GM_X86_ACC_WRITE | GM_X86_ACC_FETCH)) |
                    (w->user ? GM_X86_ACC_USER : 0);
    r = gm_ept_translate(&host, e, w->gpa, eacc, &ew);
    if (r != GM_X86_OK) {
        w->exit_qual =
            r == GM_X86_EPT_VIOLATION
                ? ew.exit_qual | GM_EPT_QUAL_GLA_VALID | GM_EPT_QUAL_GLA_FINAL
                : 0;
        w->fault_gpa = w->gpa;
        return r;
    }
    w->hpa = ew.hpa;
    return GM_X86_OK;
}

static void random_run(uint64_t seed, unsigned steps, bool with_ept)
{
    setup();
    build_ept(with_ept ? 7 : 0);
    GmEptState e = ept();
    next_gtable = 0x100000;
    /* Two hierarchies over guest pages 0x100-0x17f; data anywhere. */
    uint64_t tops[2] = { gtable(), gtable() };
    for (unsigned h = 0; h < 2; h++) {
        for (unsigned i = 0; i < 1500; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            uint64_t va =
                ((seed >> 20) & 0x3f) << 12 | ((seed >> 26) & 0x3) << 21 |
                ((seed >> 29) & 0x1) << 30 | ((seed >> 31) & 0x1) << 39;
            uint64_t fl = P | RW | US | (seed & 0x160);
            if ((seed >> 8) % 4 == 0) {
                fl &= ~((seed >> 10) & 1 ? RW : US);
            }
            gmap(tops[h], va, ((seed >> 40) % 1024) << 12,
                 fl | ((seed >> 12) % 7 == 0 ? XD : 0) |
                     ((seed >> 50) & 15) << GM_X86_PTE_PKEY_SHIFT);
        }
    }
    GmShadowMmu *s = gm_shadow_new(&gas, with_ept ? &host : NULL,
                                   with_ept ? &e : NULL, 256, NULL);
    ASSERT(s);
    GmX86MmuState st = gstate(tops[0]);
    ASSERT_EQ(gm_shadow_load_cr3(s, &st, NULL), 0);
    static uint8_t snap[GUEST_SIZE], after_ref[GUEST_SIZE];
    unsigned ok = 0, faults = 0, exits = 0, fast_n = 0;
    for (unsigned i = 0; i < steps; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        unsigned op = (unsigned)(seed >> 58);
        if (op < 4) { /* the guest rewrites an entry of its tables */
            uint64_t ntables = (next_gtable - 0x100000) >> 12;
            uint64_t t = 0x100000 + ((seed >> 20) % ntables) * 0x1000;
            uint64_t idx = (seed >> 30) % 8;
            uint64_t old = grd(t + idx * 8);
            /* Not present (the address kept), or present again with
             * other flags. */
            uint64_t v = (seed >> 33) % 5 == 0
                             ? old & ~P
                             : (old & 0x000ffffffffff000ull) | P | RW | US |
                                   ((seed >> 40) & 0x160);
            if ((seed >> 36) % 4 == 0) {
                v &= ~((seed >> 38) & 1 ? RW : US);
            }
            gwr(t + idx * 8, v);
        } else if (op == 4) {
            gm_shadow_invlpg(s, (seed >> 8) & 0xffffffffffull);
        } else if (op == 5 && (seed & 7) == 0) { /* CR3 or CR0/CR4 change */
            st.cr3 = tops[(seed >> 10) & 1];
            st.cr0 = GM_X86_CR0_PG | ((seed >> 11) & 1 ? GM_X86_CR0_WP : 0);
            st.cr4 = GM_X86_CR4_PAE | ((seed >> 12) & 1 ? GM_X86_CR4_SMEP : 0) |
                     ((seed >> 13) & 1 ? GM_X86_CR4_SMAP : 0) |
                     ((seed >> 14) & 1 ? GM_X86_CR4_PKE : 0) |
                     ((seed >> 15) & 1 ? GM_X86_CR4_PKS : 0);
            st.pkru =
                (uint32_t)(seed >> 16) & 0x55555555u & (uint32_t)(seed >> 20);
            st.pkrs =
                (uint32_t)(seed >> 24) & 0xaaaaaaaau & (uint32_t)(seed >> 28);
            ASSERT_EQ(gm_shadow_load_cr3(s, &st, NULL), 0);
        } else {
            uint64_t va = ((seed >> 20) & 0x3f) << 12 |
                          ((seed >> 26) & 0x3) << 21 |
                          ((seed >> 29) & 0x1) << 30 |
                          ((seed >> 31) & 0x1) << 39 | (seed & 0xfff);
            unsigned acc = (seed >> 40) & (GM_X86_ACC_WRITE | GM_X86_ACC_USER);
            if (!(acc & GM_X86_ACC_WRITE) && (seed >> 44) % 3 == 0) {
                acc |= GM_X86_ACC_FETCH;
            }
            if ((seed >> 46) & 1) {
                acc |= GM_X86_ACC_AC;
            }
            /* The guest's A/D land in its tables only. */
            size_t tl = next_gtable - 0x100000;
            memcpy(snap, gmem + 0x100000, tl);
            GmX86Walk wr_, ws;
            int rr = reference(&st, with_ept ? &e : NULL, va, acc, &wr_);
            memcpy(after_ref, gmem + 0x100000, tl);
            memcpy(gmem + 0x100000, snap,
                   tl); /* undone, unseen by the shadow */
            bool fast;
            int rs = gm_shadow_translate(s, va, acc, &ws, &fast);
            fast_n += fast;
            if (rs != rr) {
                test_fail(__FILE__, __LINE__,
                          "step %u va 0x%" PRIx64 " access %#x: shadow %d "
                          "(%s), reference %d",
                          i, va, acc, rs, fast ? "fast" : "slow", rr);
            }
            if (rr == GM_X86_OK) {
                ok++;
                ASSERT_ADDR_EQ(ws.gpa, wr_.gpa);
                ASSERT_ADDR_EQ(ws.hpa, wr_.hpa);
            } else if (rr == GM_X86_PAGE_FAULT) {
                faults++;
                ASSERT_EQ(ws.error_code, wr_.error_code);
            } else {
                exits++;
                ASSERT_EQ(ws.exit_qual, wr_.exit_qual);
                ASSERT_ADDR_EQ(ws.fault_gpa, wr_.fault_gpa);
            }
            if (memcmp(gmem + 0x100000, after_ref, tl)) {
                test_fail(__FILE__, __LINE__,
                          "step %u: the guest's A/D differ after the shadow "
                          "translation",
                          i);
            }
        }
    }
    GmShadowStats ss;
    gm_shadow_stats(s, &ss);
    printf("# %u translated (%u fast), %u page faults, %u EPT exits; %" PRIu64
           " fills, %" PRIu64 " write-protect traps, %" PRIu64 " zaps\n",
           ok, fast_n, faults, exits, ss.fills, ss.wp_traps, ss.zaps);
    fflush(stdout);
    ASSERT(ok > 200 && faults > 100 && fast_n > 100);
    ASSERT(ss.wp_traps > 100);
    if (with_ept) {
        ASSERT(exits > 10);
    }
    gm_shadow_free(s);
}

TEST(random_shadow_equals_walk_without_ept)
{
    random_run(1, 20000, false);
}

TEST(random_shadow_equals_walk_composed_with_ept)
{
    random_run(2, 20000, true);
}

TEST(random_shadow_equals_walk_composed_with_ept_seed3)
{
    random_run(3, 20000, true);
}

int main(int argc, char **argv)
{
    static const TestCase tests[] = {
        TEST_ENTRY(bad_arguments),
        TEST_ENTRY(fills_then_fast_and_coherent_without_invlpg),
        TEST_ENTRY(invlpg_cr3_and_unwatched_tables),
        TEST_ENTRY(page_table_pages_are_never_writable_through_the_shadow),
        TEST_ENTRY(random_shadow_equals_walk_without_ept),
        TEST_ENTRY(random_shadow_equals_walk_composed_with_ept),
        TEST_ENTRY(random_shadow_equals_walk_composed_with_ept_seed3),
    };
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
