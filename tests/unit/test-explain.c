// SPDX-License-Identifier: MIT
/*
 * test-explain.c - the reference resolver and `explain` (explain.c).
 */
#include "../harness/test.h"

static char *explain(AddressSpace *as, hwaddr addr, bool *found)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    *found = gm_explain_fprint(f, as, addr);
    fclose(f);
    return buf;
}

TEST(explains_priority_age_and_aliases)
{
    static const MemoryRegionOps ops = { 0 };
    static MemoryRegion root, ram, al, a, b, cont;
    static AddressSpace as;
    test_capture_errors();
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    ASSERT(memory_region_init_ram(&ram, NULL, "ram", 0x10000, NULL));
    memory_region_init_alias(&al, NULL, "window", &ram, 0x4000, 0x1000);
    memory_region_init_io(&a, NULL, &ops, NULL, "older", 0x100);
    memory_region_init_io(&b, NULL, &ops, NULL, "newer", 0x100);
    memory_region_init(&cont, NULL, "empty", 0x1000);
    memory_region_add_subregion(&root, 0x1000, &al);
    memory_region_add_subregion(&root, 0x2000, &a);
    memory_region_add_subregion(&root, 0x2000, &b);
    memory_region_add_subregion_overlap(&root, 0x3000, &cont, 5);
    address_space_init(&as, &root, "space");
    bool found;
    char *t = explain(&as, 0x1010, &found);
    ASSERT(found);
    ASSERT(strstr(t, "window (alias, prio 0)"));
    ASSERT(strstr(t, "is offset 0x4010 in 'ram'"));
    ASSERT(strstr(t, "'ram' serves the address at offset 0x4010"));
    /* What the alias shows, and the one line that names it. */
    ASSERT(strstr(t, "alias: 'window' is the alias of 'ram' at offset 0x4000 "
                     "(it shows 'ram' 0x4000-0x4fff at 0000000000001000-"
                     "0000000000001fff)\n"));
    ASSERT(strstr(t, "(where 'window' puts all of it)\n"));
    ASSERT(strstr(t, "served by 'ram' at offset 0x4010, through alias "
                     "'window' of 'ram' at offset 0x4000\n"));
    ASSERT(strstr(t, "flat view: 0000000000001000-0000000000001fff (prio 0, "
                     "ram): ram @0000000000004000, offset 0x4010 here"));
    free(t);
    t = explain(&as, 0x2010, &found);
    ASSERT(found);
    ASSERT(strstr(t, "newer (i/o, prio 0) 0000000000002000-00000000000020ff: "
                     "SERVES IT"));
    ASSERT(strstr(t, "served by 'newer' at offset 0x10\n")); /* no alias */
    ASSERT(strstr(t, "older (i/o, prio 0) 0000000000002000-00000000000020ff: "
                     "hidden by 'newer' (same priority, added later)"));
    free(t);
    t = explain(&as, 0x3010, &found);
    ASSERT(!found);
    ASSERT(strstr(t, "empty (container, prio 5) 0000000000003000-"
                     "0000000000003fff: shows nothing at this address"));
    ASSERT(strstr(t, "flat view: unassigned"));
    ASSERT(!strstr(t, "served by"));
    free(t);
    /* The reference agrees with the flat view. */
    MemoryRegionSection s, v;
    FlatView *fv = address_space_get_flatview(&as);
    for (hwaddr x = 0; x < 0x5000; x += 0x80) {
        bool r = gm_resolve(&root, x, &s);
        bool l = gm_flatview_lookup(fv, x, &v);
        ASSERT_EQ(r, l);
        if (r) {
            ASSERT(s.mr == v.mr);
            ASSERT_ADDR_EQ(s.offset_within_region,
                           v.offset_within_region +
                               (x - v.offset_within_address_space));
        }
    }
    flatview_unref(fv);
}

int main(int argc, char **argv)
{
    static const TestCase tests[] = {
        TEST_ENTRY(explains_priority_age_and_aliases),
    };
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
