// SPDX-License-Identifier: MIT
/*
 * test-import-scale.c - the importer's cost grows linearly with the dump.
 *
 * Issue 9: a dump of 174,000 sibling lines (10 MB, as wide-dump-gen.py
 * writes it) took 44 s to import and 100 MB did not finish in 5 minutes.
 * These tests check the complexity, not a tight time: importing four times
 * the lines must cost under ten times as much (quadratic would be
 * sixteen), measured in CPU time (best of three, so that a busy machine
 * does not decide), plus a generous cap on the 10 MB dump.  The same for the
 * other dimensions a dump can grow in: alias groups, priorities, address
 * spaces (capped), and depth.
 */
#define _GNU_SOURCE
#include "../harness/test.h"

#include <time.h>

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* wide-dump-gen.py's dump: @n siblings in "system". */
static char *wide_dump(long n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fputs("address-space: memory\n"
          "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n",
          f);
    for (long i = 0; i < n; i++) {
        fprintf(f, "    %016lx-%016lx (prio 0, i/o): r%ld\n", i * 0x1000L,
                i * 0x1000L + 0xfff, i);
    }
    fclose(f);
    return buf;
}

/* @n siblings whose priorities rise with their address: each added one
 * would walk the whole sibling list if they were added in print order. */
static char *prio_dump(long n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fputs("address-space: memory\n"
          "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n",
          f);
    for (long i = 0; i < n; i++) {
        fprintf(f, "    %016lx-%016lx (prio %ld, i/o): r%ld\n", i * 0x1000L,
                i * 0x1000L + 0xfff, i, i);
    }
    fclose(f);
    return buf;
}

/* @n aliases in "system", each into its own "memory-region:" group. */
static char *alias_dump(long n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fputs("address-space: memory\n"
          "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n",
          f);
    for (long i = 0; i < n; i++) {
        fprintf(f,
                "    %016lx-%016lx (prio 0, i/o): alias a%ld @t%ld "
                "0000000000000000-0000000000000fff\n",
                i * 0x1000L, i * 0x1000L + 0xfff, i, i);
    }
    fputs("\n", f);
    for (long i = 0; i < n; i++) {
        fprintf(f,
                "memory-region: t%ld\n"
                "  0000000000000000-0000000000000fff (prio 0, i/o): t%ld\n"
                "\n",
                i, i);
    }
    fclose(f);
    return buf;
}

/* Best of three: CPU seconds to import @dump (with @flat) and free it. */
static double import_cost(const char *dump, const char *flat)
{
    double best = 1e9;
    for (int i = 0; i < 3; i++) {
        double t0 = cpu_seconds();
        Error *err = NULL;
        GmMtreeImport *imp = gm_mtree_import(dump, flat, &err);
        if (!imp) {
            test_fail(__FILE__, __LINE__, "import: %s", error_get_pretty(err));
        }
        gm_mtree_import_free(imp);
        double t = cpu_seconds() - t0;
        best = t < best ? t : best;
    }
    return best;
}

static void expect_linear(const char *what, double small, double big)
{
    printf("# %s: x1 %.3f s, x4 %.3f s (ratio %.1f)\n", what, small, big,
           big / small);
    /* Linear is 4 (nearer 6 in practice: bigger tables miss the caches
     * more); quadratic would be 16. */
    if (big > 10 * small + 0.05) {
        test_fail(__FILE__, __LINE__,
                  "%s: 4x the input took %.1fx the time (%.3f s, %.3f s)", what,
                  big / small, small, big);
    }
}

TEST(wide_dump_is_linear)
{
    char *a = wide_dump(20000), *b = wide_dump(80000);
    expect_linear("20k vs 80k siblings", import_cost(a, NULL),
                  import_cost(b, NULL));
    free(a);
    free(b);
}

/* The same with a -f dump beside it: the -f facts are looked up by name. */
TEST(wide_dump_with_flat_is_linear)
{
    char *fa = NULL, *fb = NULL;
    char *a = wide_dump(20000), *b = wide_dump(80000);
    for (int k = 0; k < 2; k++) {
        Error *err = NULL;
        GmMtreeImport *imp = gm_mtree_import(k ? b : a, NULL, &err);
        ASSERT(imp);
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        gm_mtree_import_fprint(f, imp, true, false, false, false, NULL);
        fclose(f);
        *(k ? &fb : &fa) = buf;
        gm_mtree_import_free(imp);
    }
    expect_linear("20k vs 80k siblings with -f", import_cost(a, fa),
                  import_cost(b, fb));
    free(a);
    free(b);
    free(fa);
    free(fb);
}

TEST(alias_groups_are_linear)
{
    char *a = alias_dump(5000), *b = alias_dump(20000);
    expect_linear("5k vs 20k alias groups", import_cost(a, NULL),
                  import_cost(b, NULL));
    free(a);
    free(b);
}

TEST(sibling_priorities_are_linear)
{
    char *a = prio_dump(20000), *b = prio_dump(80000);
    expect_linear("20k vs 80k priorities", import_cost(a, NULL),
                  import_cost(b, NULL));
    free(a);
    free(b);
}

/* Each address space made looks at all the others (address-space.c): a
 * dump may name GM_MTREE_MAX_SPACES of them, which a VM never nears. */
TEST(address_spaces_are_capped)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (int i = 0; i <= GM_MTREE_MAX_SPACES; i++) {
        fprintf(f,
                "address-space: as%d\n"
                "  0000000000000000-0000000000000fff (prio 0, i/o): r%d\n\n",
                i, i);
    }
    fclose(f);
    Error *err = NULL;
    ASSERT(!gm_mtree_import(buf, NULL, &err));
    ASSERT(strstr(error_get_pretty(err), "16385 address spaces, more than"));
    error_free(err);
    ASSERT(!gm_address_space_next(NULL));
    free(buf);
}

/* The dump of issue 9 (10 MB): seconds, not 44 s (the cap is generous for
 * sanitizer builds). */
TEST(wide_dump_10mb)
{
    char *d = wide_dump(174000);
    ASSERT(strlen(d) > 10000000);
    double t0 = cpu_seconds();
    Error *err = NULL;
    GmMtreeImport *imp = gm_mtree_import(d, NULL, &err);
    ASSERT(imp);
    double t = cpu_seconds() - t0;
    printf("# 174,000 lines (%zu bytes): %.2f s\n", strlen(d), t);
    ASSERT(t < 30);
    gm_mtree_import_free(imp);
    free(d);
}

/* A tree 4,000 levels deep (16 MB of indentation) imports and prints back;
 * no step recurses once per level. */
TEST(deep_dump_round_trip)
{
    enum {
        N = 4000
    };
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fputs("address-space: as\n", f);
    for (int i = 0; i <= N; i++) {
        fprintf(f, "%*s0000000000000000-%016x (prio 0, %s): %s\n", 2 * (i + 1),
                "", i == N ? 0xfff : 0xffff, i == N ? "ram" : "i/o",
                i == N ? "ram" : "c");
    }
    fputs("\n", f);
    fclose(f);
    Error *err = NULL;
    GmMtreeImport *imp = gm_mtree_import(buf, NULL, &err);
    if (!imp) {
        test_fail(__FILE__, __LINE__, "import: %s", error_get_pretty(err));
    }
    char *again = test_mtree(false, false, false, true);
    ASSERT_STR_EQ(again, buf);
    AddressSpace *as = gm_address_space_find("as");
    ASSERT(as);
    MemoryRegionSection s;
    ASSERT(gm_resolve(as->root, 0x10, &s));
    ASSERT_STR_EQ(memory_region_name(s.mr), "ram");
    gm_mtree_import_free(imp);
    free(again);
    free(buf);
}

int main(int argc, char **argv)
{
    static const TestCase tests[] = {
        TEST_ENTRY(wide_dump_is_linear),
        TEST_ENTRY(wide_dump_with_flat_is_linear),
        TEST_ENTRY(alias_groups_are_linear),
        TEST_ENTRY(sibling_priorities_are_linear),
        TEST_ENTRY(address_spaces_are_capped),
        TEST_ENTRY(wide_dump_10mb),
        TEST_ENTRY(deep_dump_round_trip),
    };
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
