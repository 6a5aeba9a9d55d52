// SPDX-License-Identifier: MIT
/*
 * test-mtree.c - `info mtree` printing (mtree-print.c): the exact text of
 * each form for small trees.
 */
#include "../harness/test.h"

static MemoryRegion sys, pci, rom, ram, below, isa, off, pam[4];
static AddressSpace as, as_b;

/* A miniature pc: RAM alias, pci container under it at -1, a ROM with an
 * alias, and four equal-priority aliases at one address (the PAM rule). */
static void build(void)
{
    test_capture_errors();
    memory_region_init(&sys, NULL, "system", UINT64_MAX);
    ASSERT(memory_region_init_ram(&ram, NULL, "pc.ram", 0x100000, NULL));
    memory_region_init_alias(&below, NULL, "ram-below-4g", &ram, 0, 0x100000);
    memory_region_add_subregion(&sys, 0, &below);
    memory_region_init(&pci, NULL, "pci", UINT64_MAX);
    ASSERT(memory_region_init_rom(&rom, NULL, "pc.bios", 0x40000, NULL));
    memory_region_init_alias(&isa, NULL, "isa-bios", &rom, 0x20000, 0x20000);
    memory_region_add_subregion_overlap(&pci, 0xe0000, &isa, 1);
    memory_region_add_subregion(&pci, 0xfffc0000, &rom);
    memory_region_add_subregion_overlap(&sys, 0, &pci, -1);
    const char *names[4] = { "pam-pci", "pam-rom", "pam-pci", "pam-ram" };
    static MemoryRegion *targets[4] = { &pci, &ram, &ram, &ram };
    for (int i = 0; i < 4; i++) {
        memory_region_init_alias(&pam[i], NULL, names[i], targets[i], 0xf0000,
                                 0x10000);
        memory_region_set_enabled(&pam[i], i == 0);
        memory_region_add_subregion_overlap(&sys, 0xf0000, &pam[i], 1);
    }
    memory_region_init(&off, NULL, "off", 0x1000);
    memory_region_set_enabled(&off, false);
    memory_region_add_subregion(&sys, 0x200000, &off);
    address_space_init(&as, &sys, "memory");
    address_space_init(&as_b, &sys, "cpu-memory-0");
}

TEST(tree)
{
    build();
    char *t = test_mtree(false, false, false, false);
    ASSERT_STR_EQ(
        t, "address-space: cpu-memory-0\n"
           "address-space: memory\n"
           "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
           "    0000000000000000-00000000000fffff (prio 0, ram): alias "
           "ram-below-4g @pc.ram 0000000000000000-00000000000fffff\n"
           "    0000000000000000-ffffffffffffffff (prio -1, i/o): pci\n"
           "      00000000000e0000-00000000000fffff (prio 1, rom): alias "
           "isa-bios @pc.bios 0000000000020000-000000000003ffff\n"
           "      00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\n"
           "    00000000000f0000-00000000000fffff (prio 1, i/o): alias pam-pci "
           "@pci 00000000000f0000-00000000000fffff\n"
           "\n"
           "memory-region: pc.ram\n"
           "  0000000000000000-00000000000fffff (prio 0, ram): pc.ram\n"
           "\n"
           "memory-region: pc.bios\n"
           "  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\n"
           "\n"
           "memory-region: pci\n"
           "  0000000000000000-ffffffffffffffff (prio -1, i/o): pci\n"
           "    00000000000e0000-00000000000fffff (prio 1, rom): alias "
           "isa-bios @pc.bios 0000000000020000-000000000003ffff\n"
           "    00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\n"
           "\n");
    free(t);
}

TEST(tree_with_disabled)
{
    build();
    char *t = test_mtree(false, false, false, true);
    /* Newest first among equal address and priority: pam-ram (added last)
     * prints first, then pam-pci into RAM, pam-rom, pam-pci into pci. */
    ASSERT(strstr(
        t, "    00000000000f0000-00000000000fffff (prio 1, ram): alias pam-ram "
           "@pc.ram 00000000000f0000-00000000000fffff [disabled]\n"
           "    00000000000f0000-00000000000fffff (prio 1, ram): alias pam-pci "
           "@pc.ram 00000000000f0000-00000000000fffff [disabled]\n"
           "    00000000000f0000-00000000000fffff (prio 1, ram): alias pam-rom "
           "@pc.ram 00000000000f0000-00000000000fffff [disabled]\n"
           "    00000000000f0000-00000000000fffff (prio 1, i/o): alias pam-pci "
           "@pci 00000000000f0000-00000000000fffff\n"
           "    0000000000200000-0000000000200fff (prio 0, i/o): off "
           "[disabled]\n"));
    free(t);
}

TEST(flat)
{
    build();
    char *t = test_mtree(true, false, false, false);
    ASSERT_STR_EQ(t,
                  "FlatView #0\n"
                  " AS \"memory\", root: system\n"
                  " AS \"cpu-memory-0\", root: system\n"
                  " Root memory region: system\n"
                  "  0000000000000000-00000000000effff (prio 0, ram): pc.ram\n"
                  "  00000000000f0000-00000000000fffff (prio 0, rom): pc.bios "
                  "@0000000000030000\n"
                  "  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\n"
                  "\n");
    free(t);
    /* Program the PAM segment read-only: RAM reads, printed rom. */
    memory_region_transaction_begin();
    memory_region_set_enabled(&pam[0], false);
    memory_region_set_readonly(&pam[1], true);
    memory_region_set_enabled(&pam[1], true);
    memory_region_transaction_commit();
    t = test_mtree(true, false, false, false);
    ASSERT(strstr(
        t, "  0000000000000000-00000000000effff (prio 0, ram): pc.ram\n"
           "  00000000000f0000-00000000000fffff (prio 0, rom): pc.ram "
           "@00000000000f0000\n"
           "  00000000fffc0000-00000000ffffffff (prio 0, rom): pc.bios\n"));
    free(t);
}

TEST(dispatch_and_owner)
{
    Object *o = gm_object_new("/machine/dev", true);
    static MemoryRegion r, k;
    static AddressSpace a;
    test_capture_errors();
    memory_region_init(&r, NULL, "r", 0x10000);
    memory_region_init_io(&k, o, NULL, NULL, "k", 0x100);
    memory_region_add_subregion(&r, 0x100, &k);
    address_space_init(&a, &r, "a");
    char *t = test_mtree(true, true, true, false);
    ASSERT(strstr(t, "  0000000000000100-00000000000001ff (prio 0, i/o): k "
                     "owner:{dev path=/machine/dev}\n"));
    ASSERT(strstr(t, "  Dispatch\n"));
    free(t);
    t = test_mtree(false, false, true, false);
    ASSERT(strstr(t, "(prio 0, i/o): r orphan\n"));
    free(t);
    gm_object_unref(o);
}

TEST(overflow_marker)
{
    static MemoryRegion r, c, k, h;
    static AddressSpace a;
    test_capture_errors();
    memory_region_init(&r, NULL, "r", UINT64_MAX);
    memory_region_init(&c, NULL, "c", 0x2000);
    memory_region_init_io(&k, NULL, NULL, NULL, "k", 0x2000);
    memory_region_init_io(&h, NULL, NULL, NULL, "h", 0x2000);
    memory_region_add_subregion(&c, 0x1000, &k);
    memory_region_add_subregion(&c, 0x1800, &h);
    memory_region_set_enabled(&h, false);
    memory_region_add_subregion(&r, UINT64_MAX - 0x1fff, &c);
    address_space_init(&a, &r, "a");
    char *t = test_mtree(false, false, false, false);
    /* k ends past 2^64 in absolute terms: QEMU flags it before the
     * indentation (mtree_print_mr prints the marker, then decides whether
     * the line is shown), so the hidden h leaves its marker too, in front
     * of the blank line that ends the group. */
    ASSERT_STR_EQ(t, "address-space: a\n"
                     "  0000000000000000-ffffffffffffffff (prio 0, i/o): r\n"
                     "    ffffffffffffe000-ffffffffffffffff (prio 0, i/o): c\n"
                     "[DETECTED OVERFLOW!]       fffffffffffff000-"
                     "0000000000000fff (prio 0, i/o): k\n"
                     "[DETECTED OVERFLOW!] \n");
    free(t);
    t = test_mtree(false, false, false, true);
    ASSERT(strstr(t, "\n[DETECTED OVERFLOW!]       fffffffffffff800-"
                     "00000000000017ff (prio 0, i/o): h [disabled]\n"));
    free(t);
}

/* The printers keep their own stack: 100,000 nested containers (the depth
 * at which a recursive walk overflowed an 8 MiB stack was about 65,000)
 * print and explain without trouble. */
TEST(deep_nesting)
{
    enum {
        N = 100000
    };
    static uint8_t buf[0x1000];
    static MemoryRegion root, m[N + 1];
    static AddressSpace space;
    test_capture_errors();
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    memory_region_init_ram_ptr(&m[N], NULL, "ram", 0x1000, buf);
    for (long i = 0; i < N; i++) {
        memory_region_init(&m[i], NULL, "c", 0x10000);
    }
    memory_region_transaction_begin();
    memory_region_add_subregion(&root, 0, &m[0]);
    for (long i = 1; i <= N; i++) {
        memory_region_add_subregion(&m[i - 1], 0, &m[i]);
    }
    address_space_init(&space, &root, "as");
    memory_region_transaction_commit();
    ASSERT_EQ(test_last_error(), GM_OK);
    /* Two spaces a level: 10 GB of indentation, to /dev/null. */
    FILE *f = fopen("/dev/null", "w");
    ASSERT(f);
    gm_mtree_fprint(f, false, false, false, true);
    gm_mtree_fprint(f, true, false, true, false);
    fclose(f);
    MemoryRegionSection s;
    ASSERT(gm_resolve(&root, 0x10, &s));
    ASSERT(s.mr == &m[N]);
    ASSERT_ADDR_EQ(s.offset_within_region, 0x10);
    /* The last lines of the tree, as QEMU would print them. */
    char *t = test_mtree(true, false, false, false);
    ASSERT(strstr(t, "  0000000000000000-0000000000000fff (prio 0, ram): "
                     "ram\n"));
    free(t);
}

/* explain follows one walk from the root, not one per level. */
TEST(deep_explain)
{
    enum {
        N = 20000
    };
    static uint8_t buf[0x1000];
    static MemoryRegion root, m[N + 1];
    static AddressSpace space;
    test_capture_errors();
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    memory_region_init_ram_ptr(&m[N], NULL, "ram", 0x1000, buf);
    for (long i = 0; i < N; i++) {
        memory_region_init(&m[i], NULL, "c", 0x10000);
    }
    memory_region_transaction_begin();
    memory_region_add_subregion(&root, 0, &m[0]);
    for (long i = 1; i <= N; i++) {
        memory_region_add_subregion(&m[i - 1], 0, &m[i]);
    }
    address_space_init(&space, &root, "as");
    memory_region_transaction_commit();
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    ASSERT(gm_explain_fprint(f, &space, 0x20));
    fclose(f);
    ASSERT(strstr(out, "'ram' serves the address at offset 0x20\n"));
    ASSERT(!strstr(out, "shows nothing"));
    free(out);
}

/* Siblings print by address, then priority, then newest first, however
 * many there are (a sort, not an insertion per child). */
TEST(wide_sibling_order)
{
    enum {
        N = 3000
    };
    static MemoryRegion root, k[N];
    static AddressSpace space;
    test_capture_errors();
    memory_region_init(&root, NULL, "root", 0x100000);
    memory_region_transaction_begin();
    for (int i = 0; i < N; i++) {
        char name[16];
        snprintf(name, sizeof(name), "k%d", i);
        memory_region_init(&k[i], NULL, name, 0x10);
        /* Descending addresses, and pairs sharing address and priority. */
        memory_region_add_subregion_overlap(&root, (hwaddr)(N - i) / 2 * 0x10,
                                            &k[i], i % 3 == 0);
    }
    address_space_init(&space, &root, "as");
    memory_region_transaction_commit();
    char *t = test_mtree(false, false, false, false);
    const char *p = strchr(strchr(t, '\n') + 1, '\n') + 1;
    hwaddr prev_addr = 0;
    int prev_prio = 1, prev_idx = -1;
    for (int n = 0; n < N; n++) {
        unsigned long long start;
        int prio, idx;
        ASSERT(sscanf(p, "    %llx-%*x (prio %d, i/o): k%d", &start, &prio,
                      &idx) == 3);
        if (n) {
            ASSERT(
                start > prev_addr ||
                (start == prev_addr &&
                 (prio < prev_prio || (prio == prev_prio && idx < prev_idx))));
        }
        prev_addr = start;
        prev_prio = prio;
        prev_idx = idx;
        p = strchr(p, '\n') + 1;
    }
    free(t);
}

int main(int argc, char **argv)
{
    static const TestCase tests[] = {
        TEST_ENTRY(tree),
        TEST_ENTRY(tree_with_disabled),
        TEST_ENTRY(flat),
        TEST_ENTRY(dispatch_and_owner),
        TEST_ENTRY(overflow_marker),
        TEST_ENTRY(deep_nesting),
        TEST_ENTRY(deep_explain),
        TEST_ENTRY(wide_sibling_order),
    };
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
