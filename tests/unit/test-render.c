// SPDX-License-Identifier: MIT
/*
 * test-render.c - FlatView rendering and sharing (render.c, flatview.c,
 * address-space.c): one test per rule in docs/design.md and per rendering
 * fact of QEMU-FACTS.md.
 */
#include "../harness/test.h"

static MemoryRegion root;
static AddressSpace as;

static void setup(void)
{
    test_capture_errors();
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    address_space_init(&as, &root, "test");
}

static void io(MemoryRegion *mr, const char *name, uint64_t size)
{
    static const MemoryRegionOps ops = { 0 };
    memory_region_init_io(mr, NULL, &ops, NULL, name, size);
}

#define EXPECT_RANGES(text)          \
    do {                             \
        char *r_ = test_ranges(&as); \
        ASSERT_STR_EQ(r_, text);     \
        free(r_);                    \
    } while (0)

TEST(higher_priority_wins)
{
    static MemoryRegion lo, hi;
    setup();
    io(&lo, "lo", 0x3000);
    io(&hi, "hi", 0x1000);
    memory_region_add_subregion_overlap(&root, 0x1000, &hi, 1);
    memory_region_add_subregion_overlap(&root, 0, &lo, 0);
    EXPECT_RANGES("0-fff lo@0\n1000-1fff hi@0\n2000-2fff lo@2000\n");
}

TEST(equal_priority_newest_wins)
{
    static MemoryRegion a, b;
    setup();
    io(&a, "a", 0x2000);
    io(&b, "b", 0x2000);
    memory_region_add_subregion(&root, 0, &a);
    memory_region_add_subregion(&root, 0x1000, &b);
    EXPECT_RANGES("0-fff a@0\n1000-2fff b@0\n");
}

TEST(move_makes_region_newest)
{
    static MemoryRegion a, b;
    setup();
    io(&a, "a", 0x2000);
    io(&b, "b", 0x2000);
    memory_region_add_subregion(&root, 0x1000, &a);
    memory_region_add_subregion(&root, 0x2000, &b); /* b newer: wins */
    EXPECT_RANGES("1000-1fff a@0\n2000-3fff b@0\n");
    memory_region_set_address(&a, 0x1000); /* same: no change */
    EXPECT_RANGES("1000-1fff a@0\n2000-3fff b@0\n");
    memory_region_set_address(&a, 0x1800); /* real move: a newest */
    EXPECT_RANGES("1800-37ff a@0\n3800-3fff b@1800\n");
}

TEST(property_changes_do_not_reorder)
{
    static MemoryRegion a, b;
    setup();
    io(&a, "a", 0x2000);
    io(&b, "b", 0x2000);
    memory_region_add_subregion(&root, 0x0, &a);
    memory_region_add_subregion(&root, 0x1000, &b);
    memory_region_set_enabled(&a, false);
    memory_region_set_enabled(&a, true);
    memory_region_set_readonly(&a, true);
    memory_region_set_readonly(&a, false);
    memory_region_set_size(&a, 0x2800);
    EXPECT_RANGES("0-fff a@0\n1000-2fff b@0\n");
}

TEST(pure_container_shows_through)
{
    static MemoryRegion under, cont, kid;
    setup();
    io(&under, "under", 0x4000);
    memory_region_init(&cont, NULL, "cont", 0x4000);
    io(&kid, "kid", 0x1000);
    memory_region_add_subregion(&cont, 0x1000, &kid);
    memory_region_add_subregion_overlap(&root, 0, &under, 0);
    memory_region_add_subregion_overlap(&root, 0, &cont, 1);
    EXPECT_RANGES("0-fff under@0\n1000-1fff kid@0\n2000-3fff under@2000\n");
}

TEST(io_with_children_fills_its_gaps)
{
    static MemoryRegion under, rtc, idx;
    setup();
    io(&under, "under", 0x4000);
    io(&rtc, "rtc", 0x4000);
    io(&idx, "idx", 0x1000);
    memory_region_add_subregion(&rtc, 0x1000, &idx);
    memory_region_add_subregion_overlap(&root, 0, &under, 0);
    memory_region_add_subregion_overlap(&root, 0, &rtc, 1);
    EXPECT_RANGES("0-fff rtc@0\n1000-1fff idx@0\n2000-3fff rtc@2000\n");
}

TEST(disabled_hides_subtree)
{
    static MemoryRegion cont, kid;
    setup();
    memory_region_init(&cont, NULL, "cont", 0x4000);
    io(&kid, "kid", 0x1000);
    memory_region_add_subregion(&cont, 0, &kid);
    memory_region_add_subregion(&root, 0x10000, &cont);
    memory_region_set_enabled(&cont, false);
    EXPECT_RANGES("");
    char *t = test_mtree(false, false, false, false);
    ASSERT(!strstr(t, "): cont"));
    ASSERT(strstr(t, "      0000000000010000-0000000000010fff (prio 0, i/o): "
                     "kid\n"));
    free(t);
    t = test_mtree(false, false, false, true);
    ASSERT(strstr(t, "    0000000000010000-0000000000013fff (prio 0, i/o): "
                     "cont [disabled]\n"));
    free(t);
}

TEST(clipped_to_container)
{
    static MemoryRegion cont, kid;
    setup();
    memory_region_init(&cont, NULL, "cont", 0x1000);
    io(&kid, "kid", 0x4000);
    memory_region_add_subregion(&cont, 0x800, &kid);
    memory_region_add_subregion(&root, 0x10000, &cont);
    EXPECT_RANGES("10800-10fff kid@0\n");
}

TEST(alias_window_and_readonly)
{
    static MemoryRegion ram, al;
    setup();
    ASSERT(memory_region_init_ram(&ram, NULL, "ram", 0x10000, NULL));
    memory_region_init_alias(&al, NULL, "al", &ram, 0x2000, 0x1000);
    memory_region_add_subregion(&root, 0x100000, &al);
    memory_region_set_readonly(&al, true);
    EXPECT_RANGES("100000-100fff ram@2000 ro\n");
    char *t = test_mtree(true, false, false, false);
    ASSERT(strstr(t, "  0000000000100000-0000000000100fff (prio 0, rom): ram "
                     "@0000000000002000\n"));
    free(t);
    t = test_mtree(false, false, false, false);
    /* The tree prints the target's kind and the aliased range. */
    ASSERT(strstr(t, "(prio 0, ram): alias al @ram "
                     "0000000000002000-0000000000002fff\n"));
    ASSERT(strstr(t, "memory-region: ram\n  0000000000000000-000000000000ffff "
                     "(prio 0, ram): ram\n"));
    free(t);
}

TEST(adjacent_pieces_merge)
{
    static MemoryRegion ram, a1, a2, a3;
    setup();
    ASSERT(memory_region_init_ram(&ram, NULL, "ram", 0x10000, NULL));
    memory_region_init_alias(&a1, NULL, "a1", &ram, 0, 0x1000);
    memory_region_init_alias(&a2, NULL, "a2", &ram, 0x1000, 0x1000);
    memory_region_init_alias(&a3, NULL, "a3", &ram, 0x5000, 0x1000);
    memory_region_add_subregion(&root, 0, &a1);
    memory_region_add_subregion(&root, 0x1000, &a2); /* contiguous: merge */
    memory_region_add_subregion(&root, 0x2000, &a3); /* offset jumps */
    EXPECT_RANGES("0-1fff ram@0\n2000-2fff ram@5000\n");
    memory_region_set_readonly(&a2, true); /* attributes differ */
    EXPECT_RANGES("0-fff ram@0\n1000-1fff ram@1000 ro\n2000-2fff ram@5000\n");
}

TEST(single_byte_regions)
{
    static MemoryRegion a, b;
    setup();
    io(&a, "a", 1);
    io(&b, "b", 1);
    memory_region_add_subregion(&root, 0x70, &a);
    memory_region_add_subregion(&root, 0x71, &b);
    EXPECT_RANGES("70-70 a@0\n71-71 b@0\n");
}

TEST(shared_flatviews)
{
    static MemoryRegion other, bm, bm_alias;
    static AddressSpace as2, as3, dev;
    setup();
    address_space_init(&as2, &root, "test2");
    memory_region_init(&other, NULL, "other", 0x1000);
    address_space_init(&as3, &other, "empty");
    ASSERT(address_space_to_flatview(&as) == address_space_to_flatview(&as2));
    /* A root that is an alias of the whole of root shares root's view. */
    memory_region_init(&bm, NULL, "bus master container", UINT64_MAX);
    memory_region_init_alias(&bm_alias, NULL, "bus master", &root, 0,
                             UINT64_MAX);
    memory_region_add_subregion(&bm, 0, &bm_alias);
    address_space_init(&dev, &bm, "dev");
    ASSERT(address_space_to_flatview(&dev) == address_space_to_flatview(&as));
    memory_region_set_enabled(&bm_alias, false);
    FlatView *fv = address_space_to_flatview(&dev);
    ASSERT(gm_flatview_root(fv) == NULL);
    ASSERT(fv == address_space_to_flatview(&as3)); /* the empty view */
    char *t = test_mtree(true, false, false, false);
    ASSERT(strstr(t, " AS \"test\", root: root\n AS \"test2\", root: root\n"));
    ASSERT(strstr(t, " AS \"empty\", root: other\n AS \"dev\", root: bus "
                     "master container\n Root memory region: (none)\n  No "
                     "rendered FlatView\n"));
    free(t);
    t = test_mtree(false, false, false, false);
    ASSERT(strstr(t, "address-space: test\naddress-space: test2\n"));
    free(t);
    address_space_destroy(&as2);
    address_space_destroy(&as3);
    address_space_destroy(&dev);
}

TEST(transactions_batch_changes)
{
    static MemoryRegion a, b;
    setup();
    io(&a, "a", 0x1000);
    io(&b, "b", 0x1000);
    FlatView *before = address_space_to_flatview(&as);
    memory_region_transaction_begin();
    memory_region_transaction_begin();
    memory_region_add_subregion(&root, 0, &a);
    memory_region_transaction_commit();
    memory_region_add_subregion(&root, 0x1000, &b);
    ASSERT(address_space_to_flatview(&as) == before); /* nothing yet */
    ASSERT_EQ(gm_transaction_depth(), 1);
    memory_region_transaction_commit();
    ASSERT(address_space_to_flatview(&as) != before);
    EXPECT_RANGES("0-fff a@0\n1000-1fff b@0\n");
    /* A commit that changes nothing visible keeps the view. */
    FlatView *now = address_space_to_flatview(&as);
    memory_region_transaction_begin();
    memory_region_set_enabled(&a, false);
    memory_region_set_enabled(&a, true);
    memory_region_transaction_commit();
    ASSERT(address_space_to_flatview(&as) == now);
}

TEST(memory_region_find_section)
{
    static MemoryRegion ram, c;
    setup();
    memory_region_init(&c, NULL, "c", 0x100000);
    ASSERT(memory_region_init_ram(&ram, NULL, "ram", 0x10000, NULL));
    memory_region_add_subregion(&c, 0x4000, &ram);
    memory_region_add_subregion(&root, 0x100000, &c);
    MemoryRegionSection s = memory_region_find(&ram, 0x100, 0x100000);
    ASSERT(s.mr == &ram);
    ASSERT_ADDR_EQ(s.offset_within_address_space, 0x104100);
    ASSERT_ADDR_EQ(s.offset_within_region, 0x100);
    ASSERT_ADDR_EQ((uint64_t)s.size, 0x10000 - 0x100);
    memory_region_unref(s.mr);
    s = memory_region_find(&c, 0, 0x10);
    ASSERT(s.mr == NULL);
}

TEST(root_with_address)
{
    /* A root's own address shifts its view, as in QEMU. */
    static MemoryRegion r, k;
    static AddressSpace a2;
    setup();
    memory_region_init(&r, NULL, "r", 0x10000);
    io(&k, "k", 0x100);
    memory_region_add_subregion(&r, 0x10, &k);
    memory_region_set_address(&r, 0x1000);
    address_space_init(&a2, &r, "shifted");
    char *t = test_mtree(true, false, false, false);
    ASSERT(strstr(t, "  0000000000001010-000000000000110f (prio 0, i/o): k\n"));
    free(t);
    address_space_destroy(&a2);
}

int main(int argc, char **argv)
{
    static const TestCase tests[] = {
        TEST_ENTRY(higher_priority_wins),
        TEST_ENTRY(equal_priority_newest_wins),
        TEST_ENTRY(move_makes_region_newest),
        TEST_ENTRY(property_changes_do_not_reorder),
        TEST_ENTRY(pure_container_shows_through),
        TEST_ENTRY(io_with_children_fills_its_gaps),
        TEST_ENTRY(disabled_hides_subtree),
        TEST_ENTRY(clipped_to_container),
        TEST_ENTRY(alias_window_and_readonly),
        TEST_ENTRY(adjacent_pieces_merge),
        TEST_ENTRY(single_byte_regions),
        TEST_ENTRY(shared_flatviews),
        TEST_ENTRY(transactions_batch_changes),
        TEST_ENTRY(memory_region_find_section),
        TEST_ENTRY(root_with_address),
    };
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
