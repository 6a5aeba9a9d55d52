// SPDX-License-Identifier: MIT
/*
 * test-mmu-tlb.c - the software TLB (mmu/tlb.c): hits without memory
 * references, rights re-checked on every hit, the walk again for a first
 * write, stale entries until the flush the architecture asks for (INVLPG
 * of 4 KiB and large pages, MOV to CR3 with and without PCIDs, INVPCID's
 * four types), global entries, and a randomized run against a model that
 * knows which translations the TLB may still hold.
 */
#include "../harness/test.h"

#define RAM_SIZE (16u << 20)
#define P GM_X86_PTE_P
#define RW GM_X86_PTE_RW
#define US GM_X86_PTE_US
#define G GM_X86_PTE_G
#define PS GM_X86_PTE_PS

static MemoryRegion root, ram;
static AddressSpace as;
static uint8_t *mem;

static void setup(void)
{
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    ASSERT(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, NULL));
    memory_region_add_subregion(&root, 0, &ram);
    address_space_init(&as, &root, "tlb");
    mem = memory_region_get_ram_ptr(&ram);
}

static void wr(uint64_t a, uint64_t v)
{
    memcpy(mem + a, &v, 8);
}

static uint64_t rd(uint64_t a)
{
    uint64_t v;
    memcpy(&v, mem + a, 8);
    return v;
}

/* 4-level tables at @top (PML4), @top+0x1000 (PDPT), +0x2000 (PD),
 * +0x3000 (PT): VA 0-2 MiB through the PT, 2-4 MiB a 2 MiB page. */
#define PT(top) ((top) + 0x3000)
#define PD(top) ((top) + 0x2000)
static void tables(uint64_t top)
{
    memset(mem + top, 0, 0x4000);
    wr(top, (top + 0x1000) | P | RW | US);
    wr(top + 0x1000, (top + 0x2000) | P | RW | US);
    wr(PD(top), PT(top) | P | RW | US);
    wr(PD(top) + 8, 0x400000 | P | RW | US | PS);
    for (unsigned i = 0; i < 512; i++) {
        wr(PT(top) + i * 8, (0x800000 + i * 0x1000ull) | P | RW | US);
    }
}

static GmX86MmuState state(uint64_t cr3)
{
    GmX86MmuState st = { .cr0 = GM_X86_CR0_PG | GM_X86_CR0_WP,
                         .cr3 = cr3,
                         .cr4 = GM_X86_CR4_PAE | GM_X86_CR4_PGE,
                         .efer = GM_X86_EFER_LMA | GM_X86_EFER_NXE };
    return st;
}

static uint64_t tr(GmTlb *t, const GmX86MmuState *st, uint64_t va, unsigned acc,
                   int *res, unsigned *refs)
{
    GmX86Walk w;
    *res = gm_x86_translate_tlb(t, &as, st, va, acc, &w);
    if (refs) {
        *refs = w.nrefs;
    }
    return w.gpa;
}

TEST(new_and_bad_sizes)
{
    Error *err = NULL;
    ASSERT(!gm_tlb_new(0, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_INVALID_ARG);
    error_free(err);
    ASSERT(!gm_tlb_new(3, NULL));
    ASSERT(!gm_tlb_new(1u << 21, NULL));
    GmTlb *t = gm_tlb_new(1, NULL);
    ASSERT(t);
    gm_tlb_free(t);
    gm_tlb_free(NULL);
    gm_tlb_flush_all(NULL);
}

TEST(hits_take_no_memory_reference)
{
    setup();
    tables(0x100000);
    GmX86MmuState st = state(0x100000);
    GmTlb *t = gm_tlb_new(256, NULL);
    int r;
    unsigned refs;
    ASSERT_ADDR_EQ(tr(t, &st, 0x5123, 0, &r, &refs), 0x805123);
    ASSERT_EQ(r, GM_X86_OK);
    ASSERT_EQ(refs, 4);
    ASSERT_ADDR_EQ(tr(t, &st, 0x5fff, 0, &r, &refs), 0x805fff);
    ASSERT_EQ(refs, 0);
    uint64_t pa;
    ASSERT(gm_tlb_lookup(t, &st, 0x5000, 0, &pa));
    ASSERT_ADDR_EQ(pa, 0x805000);
    ASSERT(!gm_tlb_lookup(t, &st, 0x6000, 0, &pa));
    GmTlbStats s;
    gm_tlb_stats(t, &s);
    ASSERT_EQ(s.hits, 2);
    ASSERT_EQ(s.misses, 2);
    ASSERT_EQ(s.fills, 1);
    /* A large page fills the slot of the 4 KiB page accessed; another 4
     * KiB page of it misses once. */
    ASSERT_ADDR_EQ(tr(t, &st, 0x200010, 0, &r, &refs), 0x400010);
    ASSERT_EQ(refs, 3);
    ASSERT_ADDR_EQ(tr(t, &st, 0x200ff0, 0, &r, &refs), 0x400ff0);
    ASSERT_EQ(refs, 0);
    ASSERT_ADDR_EQ(tr(t, &st, 0x3ff000, 0, &r, &refs), 0x5ff000);
    ASSERT_EQ(refs, 3);
    gm_tlb_free(t);
}

TEST(rights_are_checked_on_every_hit)
{
    setup();
    tables(0x100000);
    wr(PT(0x100000) + 5 * 8, 0x805000 | P | US); /* read-only user */
    GmX86MmuState st = state(0x100000);
    GmTlb *t = gm_tlb_new(64, NULL);
    int r;
    unsigned refs;
    tr(t, &st, 0x5000, GM_X86_ACC_USER, &r, &refs);
    ASSERT_EQ(r, GM_X86_OK);
    /* A write: refused with WP, from the cached rights... */
    GmX86Walk w;
    ASSERT_EQ(gm_x86_translate_tlb(t, &as, &st, 0x5000, GM_X86_ACC_WRITE, &w),
              GM_X86_PAGE_FAULT);
    ASSERT_EQ(w.error_code, GM_X86_PF_P | GM_X86_PF_W);
    /* ... allowed without WP (a supervisor write), after a walk that sets D */
    st.cr0 &= ~GM_X86_CR0_WP;
    tr(t, &st, 0x5000, GM_X86_ACC_WRITE, &r, &refs);
    ASSERT_EQ(r, GM_X86_OK);
    ASSERT_EQ(refs, 4);
    ASSERT(rd(PT(0x100000) + 5 * 8) & GM_X86_PTE_D);
    tr(t, &st, 0x5000, GM_X86_ACC_WRITE, &r, &refs);
    ASSERT_EQ(refs, 0);
    /* SMAP on: the supervisor's hit on a user page is refused. */
    st.cr4 |= GM_X86_CR4_SMAP;
    ASSERT_EQ(gm_x86_translate_tlb(t, &as, &st, 0x5000, 0, &w),
              GM_X86_PAGE_FAULT);
    ASSERT_EQ(gm_x86_translate_tlb(t, &as, &st, 0x5000, GM_X86_ACC_AC, &w),
              GM_X86_OK);
    /* Protection keys: PKRU changes without a flush and counts at once. */
    st.cr4 |= GM_X86_CR4_PKE;
    st.pkru = 1; /* AD0 */
    ASSERT_EQ(gm_x86_translate_tlb(t, &as, &st, 0x5000, GM_X86_ACC_USER, &w),
              GM_X86_PAGE_FAULT);
    ASSERT_EQ(w.error_code, GM_X86_PF_P | GM_X86_PF_U | GM_X86_PF_PK);
    st.pkru = 0;
    ASSERT_EQ(gm_x86_translate_tlb(t, &as, &st, 0x5000, GM_X86_ACC_USER, &w),
              GM_X86_OK);
    gm_tlb_free(t);
}

TEST(first_write_walks_to_set_dirty)
{
    setup();
    tables(0x100000);
    GmX86MmuState st = state(0x100000);
    GmTlb *t = gm_tlb_new(64, NULL);
    int r;
    unsigned refs;
    tr(t, &st, 0x7000, 0, &r, &refs);
    ASSERT(!(rd(PT(0x100000) + 7 * 8) & GM_X86_PTE_D));
    uint64_t pa;
    ASSERT(!gm_tlb_lookup(t, &st, 0x7000, GM_X86_ACC_WRITE, &pa));
    tr(t, &st, 0x7000, GM_X86_ACC_WRITE, &r, &refs);
    ASSERT_EQ(refs, 4);
    ASSERT(rd(PT(0x100000) + 7 * 8) & GM_X86_PTE_D);
    ASSERT(gm_tlb_lookup(t, &st, 0x7000, GM_X86_ACC_WRITE, &pa));
    gm_tlb_free(t);
}

TEST(stale_until_flushed)
{
    setup();
    tables(0x100000);
    GmX86MmuState st = state(0x100000);
    GmTlb *t = gm_tlb_new(256, NULL);
    int r;
    tr(t, &st, 0x9000, 0, &r, NULL);
    tr(t, &st, 0x201000, 0, &r, NULL);
    /* The guest remaps both; the TLB keeps the old translations. */
    wr(PT(0x100000) + 9 * 8, 0xabc000 | P | RW | US);
    wr(PD(0x100000) + 8, 0x600000 | P | RW | US | PS);
    ASSERT_ADDR_EQ(tr(t, &st, 0x9000, 0, &r, NULL), 0x809000);
    ASSERT_ADDR_EQ(tr(t, &st, 0x201000, 0, &r, NULL), 0x401000);
    /* INVLPG of another page of the large page finds it. */
    gm_tlb_flush_page(t, 0, 0x3ff000);
    ASSERT_ADDR_EQ(tr(t, &st, 0x201000, 0, &r, NULL), 0x601000);
    ASSERT_ADDR_EQ(tr(t, &st, 0x9000, 0, &r, NULL), 0x809000);
    gm_tlb_flush_page(t, 0, 0x9abc);
    ASSERT_ADDR_EQ(tr(t, &st, 0x9000, 0, &r, NULL), 0xabc000);
    /* A page whose entry went away faults, and its stale entry goes. */
    wr(PT(0x100000) + 9 * 8, 0);
    ASSERT_ADDR_EQ(tr(t, &st, 0x9000, 0, &r, NULL), 0xabc000);
    gm_tlb_flush_all(t);
    tr(t, &st, 0x9000, 0, &r, NULL);
    ASSERT_EQ(r, GM_X86_PAGE_FAULT);
    gm_tlb_free(t);
}

TEST(pcids_and_global_entries)
{
    setup();
    tables(0x100000);
    tables(0x200000);
    wr(PT(0x200000) + 1 * 8, 0xf01000 | P | RW); /* differs in table 2 */
    wr(PT(0x100000) + 2 * 8, 0x802000 | P | RW | G);
    wr(PT(0x200000) + 2 * 8, 0x802000 | P | RW | G);
    GmX86MmuState a = state(0x100000 | 1), b = state(0x200000 | 2);
    a.cr4 |= GM_X86_CR4_PCIDE;
    b.cr4 |= GM_X86_CR4_PCIDE;
    GmTlb *t = gm_tlb_new(4096, NULL);
    int r;
    unsigned refs;
    ASSERT_ADDR_EQ(tr(t, &a, 0x1000, 0, &r, NULL), 0x801000);
    ASSERT_ADDR_EQ(tr(t, &b, 0x1000, 0, &r, &refs), 0xf01000);
    ASSERT_EQ(refs, 4); /* PCID 2 had no entry */
    /* Both stay: PCID 1's entry survives running PCID 2. */
    ASSERT_ADDR_EQ(tr(t, &a, 0x1000, 0, &r, &refs), 0x801000);
    ASSERT_EQ(refs, 0);
    /* Global entries match every PCID. */
    tr(t, &a, 0x2000, 0, &r, NULL);
    tr(t, &b, 0x2000, 0, &r, &refs);
    ASSERT_EQ(refs, 0);
    /* MOV to CR3 with PCIDs: only that PCID's non-global entries. */
    gm_tlb_flush_pcid(t, 2);
    tr(t, &a, 0x1000, 0, &r, &refs);
    ASSERT_EQ(refs, 0);
    tr(t, &b, 0x1000, 0, &r, &refs);
    ASSERT_EQ(refs, 4);
    tr(t, &b, 0x2000, 0, &r, &refs);
    ASSERT_EQ(refs, 0);
    /* INVPCID type 0 leaves global entries; INVLPG takes them. */
    gm_tlb_flush_page_pcid(t, 1, 0x2000);
    tr(t, &a, 0x2000, 0, &r, &refs);
    ASSERT_EQ(refs, 0);
    gm_tlb_flush_page(t, 1, 0x2000);
    tr(t, &a, 0x2000, 0, &r, &refs);
    ASSERT_EQ(refs, 4);
    /* MOV to CR3 without PCIDs (or INVPCID type 3): all non-global. */
    gm_tlb_flush_nonglobal(t);
    tr(t, &a, 0x1000, 0, &r, &refs);
    ASSERT_EQ(refs, 4);
    tr(t, &b, 0x2000, 0, &r, &refs);
    ASSERT_EQ(refs, 0);
    /* INVPCID type 2: everything. */
    gm_tlb_flush_all(t);
    tr(t, &b, 0x2000, 0, &r, &refs);
    ASSERT_EQ(refs, 4);
    /* Without CR4.PGE, G means nothing. */
    a.cr4 &= ~GM_X86_CR4_PGE;
    tr(t, &a, 0x2000, 0, &r, NULL);
    gm_tlb_flush_nonglobal(t);
    gm_tlb_flush_all(t);
    gm_tlb_free(t);
}

/*
 * At random: remap, flush, access.  The model knows what the TLB may
 * return for a page: the translation of the tables now, or one it was
 * given since that page's last flush.  Every result must be one of those,
 * and after a flush only the current one.
 */
TEST(random_against_a_model)
{
    setup();
    tables(0x100000);
    GmX86MmuState st = state(0x100000);
    GmTlb *t = gm_tlb_new(64, NULL); /* small: collisions */
    enum {
        NPG = 512
    };
    static uint64_t stale[NPG][8]; /* old targets still allowed */
    static unsigned nstale[NPG];
    uint64_t seed = 7;
    unsigned hits = 0;
    for (unsigned i = 0; i < 200000; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        unsigned pg = (seed >> 33) % NPG;
        unsigned op = (seed >> 50) % 16;
        uint64_t pte_at = PT(0x100000) + pg * 8;
        if (op == 0) { /* remap */
            uint64_t old = rd(pte_at) & 0xfffff000ull;
            if (nstale[pg] < 8) {
                stale[pg][nstale[pg]++] = old;
            } else {
                gm_tlb_flush_page(t, 0, (uint64_t)pg << 12);
                nstale[pg] = 0;
            }
            wr(pte_at,
               (0x800000 + ((seed >> 10) % 2048) * 0x1000) | P | RW | US);
        } else if (op == 1) {
            gm_tlb_flush_page(t, 0, ((uint64_t)pg << 12) | (seed & 0xfff));
            nstale[pg] = 0;
        } else if (op == 2 && (seed & 0xff) == 0) {
            gm_tlb_flush_nonglobal(t);
            memset(nstale, 0, sizeof(nstale));
        } else {
            GmX86Walk w;
            uint64_t va = ((uint64_t)pg << 12) | (seed & 0xfff);
            unsigned acc = (seed >> 20) & GM_X86_ACC_WRITE;
            ASSERT_EQ(gm_x86_translate_tlb(t, &as, &st, va, acc, &w),
                      GM_X86_OK);
            hits += w.nrefs == 0;
            uint64_t got = w.gpa & ~0xfffull;
            bool ok = got == (rd(pte_at) & 0xfffff000ull);
            for (unsigned k = 0; k < nstale[pg] && !ok; k++) {
                ok = got == stale[pg][k];
            }
            if (!ok) {
                test_fail(__FILE__, __LINE__,
                          "page %u: 0x%" PRIx64 ", neither current nor "
                          "since the last flush",
                          pg, got);
            }
            ASSERT_EQ(w.gpa & 0xfff, va & 0xfff);
        }
    }
    printf("# %u hits\n", hits);
    ASSERT(hits > 10000);
    gm_tlb_free(t);
}

int main(int argc, char **argv)
{
    static const TestCase tests[] = {
        TEST_ENTRY(new_and_bad_sizes),
        TEST_ENTRY(hits_take_no_memory_reference),
        TEST_ENTRY(rights_are_checked_on_every_hit),
        TEST_ENTRY(first_write_walks_to_set_dirty),
        TEST_ENTRY(stale_until_flushed),
        TEST_ENTRY(pcids_and_global_entries),
        TEST_ENTRY(random_against_a_model),
    };
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
