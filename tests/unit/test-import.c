// SPDX-License-Identifier: MIT
/*
 * test-import.c - the `info mtree -D` importer (mtree-import.c): malformed
 * input is refused with a line number and leaves nothing behind, and a
 * synthetic tree survives print -> import -> print unchanged.
 */
#include "../harness/test.h"

static unsigned count_spaces(void)
{
    unsigned n = 0;
    for (AddressSpace *a = gm_address_space_next(NULL); a;
         a = gm_address_space_next(a)) {
        n++;
    }
    return n;
}

static void expect_parse_error(const char *dump, const char *needle)
{
    Error *err = NULL;
    GmMtreeImport *imp = gm_mtree_import(dump, NULL, &err);
    if (imp) {
        test_fail(__FILE__, __LINE__, "import of bad input succeeded:\n%s",
                  dump);
    }
    ASSERT_EQ(gm_error_code(err), GM_ERR_PARSE);
    if (!strstr(error_get_pretty(err), needle)) {
        test_fail(__FILE__, __LINE__, "message '%s' lacks '%s'",
                  error_get_pretty(err), needle);
    }
    error_free(err);
    ASSERT_EQ(count_spaces(), 0);
}

#define R(line) "  " line "\n"

TEST(malformed_input_is_refused)
{
    expect_parse_error("", "no address-space");
    expect_parse_error("hello\n", "line 1: not an `info mtree` line");
    expect_parse_error(R("0000000000000000-000000000000ffff (prio 0, i/o): io"),
                       "before any address-space");
    expect_parse_error(
        "address-space: x\n"
        "  0000000000000000-000000000000zzzz (prio 0, i/o): io\n",
        "line 2");
    expect_parse_error(
        "address-space: x\n"
        "  0000000000000000-000000000000ffff (prio 0, bad): io\n",
        "line 2");
    expect_parse_error("address-space: x\n"
                       "  0000000000000000-000000000000ffff (prio 0, i/o): a\n"
                       "  0000000000000000-000000000000ffff (prio 0, i/o): b\n",
                       "line 3: a group has one root");
    expect_parse_error(
        "address-space: x\n"
        "    0000000000000000-000000000000ffff (prio 0, i/o): a\n",
        "level 1");
    expect_parse_error("address-space: x\n"
                       "  0000000000000000-ffffffffffffffff (prio 0, i/o): s\n"
                       "    0000000000000000-0000000000000fff (prio 0, ram): "
                       "alias a @nowhere 0000000000000000-0000000000000fff\n",
                       "never described");
    /* An alias pointing at an alias pointing back. */
    expect_parse_error("address-space: x\n"
                       "  0000000000000000-ffffffffffffffff (prio 0, i/o): s\n"
                       "    0000000000000000-0000000000000fff (prio 0, i/o): "
                       "alias a @b 0000000000000000-0000000000000fff\n"
                       "\n"
                       "memory-region: b\n"
                       "  0000000000000000-0000000000000fff (prio 0, i/o): "
                       "alias b @a 0000000000000000-0000000000000fff\n"
                       "\n"
                       "memory-region: a\n"
                       "  0000000000000000-0000000000000fff (prio 0, i/o): "
                       "alias a @b 0000000000000000-0000000000000fff\n",
                       "cycle");
    /* A child that ends past 2^64 inside its container. */
    expect_parse_error(
        "address-space: x\n"
        "  0000000000000000-ffffffffffffffff (prio 0, i/o): s\n"
        "    ffffffffffffff00-00000000000000ff (prio 0, i/o): k\n",
        "past 2^64");
    expect_parse_error("memory-region: lonely\n\n", "no region line");
}

TEST(file_errors)
{
    Error *err = NULL;
    ASSERT(!gm_mtree_import_file("/nonexistent/mtree.txt", NULL, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_IO);
    error_free(err);
}

/* Builds a tree with every kind and the tricky cases, in its own address
 * spaces. */
static MemoryRegion sys, io_root, rtc, rtc_idx, empty, ram, nvram, romd, rom,
    al_ro, al_rom, ramd, pci, bar, hidden, hidden_kid, bm, bm_alias, overlap_a,
    overlap_b;
static AddressSpace as_mem, as_io, as_dev, as_cpu;
static uint8_t ramd_buf[0x1000];

static void build_tree(void)
{
    static const MemoryRegionOps ops = { 0 };
    test_capture_errors();
    memory_region_transaction_begin();
    memory_region_init(&sys, NULL, "system", UINT64_MAX);
    memory_region_init_io(&io_root, NULL, &ops, NULL, "io", 0x10000);
    memory_region_init_io(&rtc, NULL, &ops, NULL, "rtc", 2);
    memory_region_init_io(&rtc_idx, NULL, &ops, NULL, "rtc-index", 1);
    memory_region_add_subregion(&rtc, 0, &rtc_idx);
    memory_region_add_subregion(&io_root, 0x70, &rtc);
    memory_region_init(&empty, NULL, "empty-window", 0x100);
    memory_region_add_subregion(&io_root, 0x200, &empty);
    ASSERT(memory_region_init_ram(&ram, NULL, "ram", 0x100000, NULL));
    memory_region_add_subregion(&sys, 0, &ram);
    ASSERT(memory_region_init_ram(&nvram, NULL, "nv", 0x10000, NULL));
    memory_region_set_nonvolatile(&nvram, true);
    memory_region_add_subregion(&sys, 0x200000, &nvram);
    ASSERT(memory_region_init_rom_device(&romd, NULL, &ops, NULL, "flash",
                                         0x20000, NULL));
    memory_region_add_subregion(&sys, 0x300000, &romd);
    ASSERT(memory_region_init_rom(&rom, NULL, "rom", 0x1000, NULL));
    memory_region_add_subregion(&sys, 0x400000, &rom);
    memory_region_init_alias(&al_ro, NULL, "ro-window", &ram, 0x8000, 0x4000);
    memory_region_set_readonly(&al_ro, true);
    memory_region_add_subregion_overlap(&sys, 0x8000, &al_ro, 1);
    memory_region_init_alias(&al_rom, NULL, "rom-window", &rom, 0x800, 0x800);
    memory_region_add_subregion(&sys, 0x500000, &al_rom);
    memory_region_init_ram_device_ptr(&ramd, NULL, "bar-ram", sizeof(ramd_buf),
                                      ramd_buf);
    memory_region_init(&pci, NULL, "pci", UINT64_MAX);
    memory_region_init_io(&bar, NULL, &ops, NULL, "bar", 0x1000);
    memory_region_add_subregion(&pci, 0xfe000000, &bar);
    memory_region_add_subregion(&pci, 0xfe001000, &ramd);
    memory_region_add_subregion_overlap(&sys, 0, &pci, -1);
    memory_region_init(&hidden, NULL, "hidden", 0x1000);
    memory_region_init_io(&hidden_kid, NULL, &ops, NULL, "hidden-kid", 0x10);
    memory_region_add_subregion(&hidden, 0x10, &hidden_kid);
    memory_region_set_enabled(&hidden, false);
    memory_region_add_subregion(&sys, 0x600000, &hidden);
    memory_region_init_io(&overlap_a, NULL, &ops, NULL, "twin", 0x100);
    memory_region_init_io(&overlap_b, NULL, &ops, NULL, "twin", 0x100);
    memory_region_add_subregion(&sys, 0x700000, &overlap_a);
    memory_region_add_subregion(&sys, 0x700000, &overlap_b);
    memory_region_init(&bm, NULL, "bus master container", UINT64_MAX);
    memory_region_init_alias(&bm_alias, NULL, "bus master", &sys, 0,
                             UINT64_MAX);
    memory_region_add_subregion(&bm, 0, &bm_alias);
    /* Names in sorted order, as the import recreates them. */
    address_space_init(&as_cpu, &sys, "cpu-memory-0");
    address_space_init(&as_mem, &sys, "memory");
    address_space_init(&as_io, &io_root, "I/O");
    address_space_init(&as_dev, &bm, "dev");
    memory_region_transaction_commit();
    ASSERT_EQ(test_last_error(), GM_OK);
}

static void drop_spaces(void)
{
    address_space_destroy(&as_mem);
    address_space_destroy(&as_cpu);
    address_space_destroy(&as_io);
    address_space_destroy(&as_dev);
}

TEST(round_trip_with_hint)
{
    build_tree();
    char *d = test_mtree(false, false, false, true);
    char *t = test_mtree(false, false, false, false);
    char *f = test_mtree(true, false, false, false);
    drop_spaces();
    ASSERT_EQ(count_spaces(), 0);
    Error *err = NULL;
    char *hint = gm_mtree_flat_hint(d, f, &err);
    ASSERT(hint);
    /* The hint names what -D cannot say. */
    ASSERT(strstr(hint, "(prio 0, i/o): rtc @0000000000000001\n"));
    ASSERT(strstr(hint, "(prio 0, rom): ram @0000000000008000\n"));
    ASSERT(strstr(hint, "# not rendered: empty-window\n"));
    for (int pass = 0; pass < 2; pass++) {
        /* pass 0: the hint; pass 1: the whole -f dump. */
        GmMtreeImport *imp = gm_mtree_import(d, pass ? f : hint, &err);
        if (!imp) {
            test_fail(__FILE__, __LINE__, "import: %s", error_get_pretty(err));
        }
        char *d2 = test_mtree(false, false, false, true);
        char *t2 = test_mtree(false, false, false, false);
        char *f2 = test_mtree(true, false, false, false);
        ASSERT_STR_EQ(d2, d);
        ASSERT_STR_EQ(t2, t);
        ASSERT_STR_EQ(f2, f);
        free(d2);
        free(t2);
        free(f2);
        gm_mtree_import_free(imp);
        ASSERT_EQ(count_spaces(), 0);
    }
    free(hint);
    free(d);
    free(t);
    free(f);
}

TEST(plain_mtree_best_effort)
{
    build_tree();
    char *t = test_mtree(false, false, false, false);
    drop_spaces();
    Error *err = NULL;
    GmMtreeImport *imp = gm_mtree_import(t, NULL, &err);
    if (!imp) {
        test_fail(__FILE__, __LINE__, "import: %s", error_get_pretty(err));
    }
    /* The hidden region's child was printed one level deeper: a stand-in
     * disabled container keeps the printed tree identical. */
    char *t2 = test_mtree(false, false, false, false);
    ASSERT_STR_EQ(t2, t);
    free(t2);
    gm_mtree_import_free(imp);
    free(t);
}

int main(int argc, char **argv)
{
    static const TestCase tests[] = {
        TEST_ENTRY(malformed_input_is_refused),
        TEST_ENTRY(file_errors),
        TEST_ENTRY(round_trip_with_hint),
        TEST_ENTRY(plain_mtree_best_effort),
    };
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
