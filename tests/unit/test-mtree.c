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
    static MemoryRegion r, c, k;
    static AddressSpace a;
    test_capture_errors();
    memory_region_init(&r, NULL, "r", UINT64_MAX);
    memory_region_init(&c, NULL, "c", 0x2000);
    memory_region_init_io(&k, NULL, NULL, NULL, "k", 0x2000);
    memory_region_add_subregion(&c, 0x1000, &k);
    memory_region_add_subregion(&r, UINT64_MAX - 0x1fff, &c);
    address_space_init(&a, &r, "a");
    char *t = test_mtree(false, false, false, false);
    /* k ends past 2^64 in absolute terms: QEMU flags it. */
    ASSERT(strstr(t, "      [DETECTED OVERFLOW!] fffffffffffff000-"
                     "0000000000000fff (prio 0, i/o): k\n"));
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
    };
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
