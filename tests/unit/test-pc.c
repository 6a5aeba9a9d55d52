// SPDX-License-Identifier: MIT
/*
 * test-pc.c - the PC machine's memory map (machine/pc.c): the RAM split of
 * QEMU's pc_init1 with the four worked examples of the seed article, the
 * `>=` boundary, option and firmware errors, PAM and SMRAM programming, and
 * the e820 table.
 */
#define _GNU_SOURCE
#include "../harness/test.h"

#include <unistd.h>

#define GiB (UINT64_C(1) << 30)
#define MiB (UINT64_C(1) << 20)

static GmPcMachine *machine(const char *spec, uint64_t ram)
{
    GmPcConfig cfg;
    Error *err = NULL;
    if (gm_pc_config_parse(&cfg, spec, ram, &err)) {
        test_fail(__FILE__, __LINE__, "%s", error_get_pretty(err));
    }
    GmPcMachine *pc = gm_pc_machine_new(&cfg, &err);
    if (!pc) {
        if (gm_error_code(err) == GM_ERR_IO) {
            test_skip("no BIOS image (install Debian's seabios package)");
        }
        test_fail(__FILE__, __LINE__, "%s", error_get_pretty(err));
    }
    return pc;
}

static void expect_split(const char *spec, uint64_t ram, uint64_t below,
                         uint64_t above)
{
    GmPcMachine *pc = machine(spec, ram);
    ASSERT_ADDR_EQ(gm_pc_below_4g(pc), below);
    ASSERT_ADDR_EQ(gm_pc_above_4g(pc), above);
    gm_pc_machine_free(pc);
}

TEST(worked_examples_of_the_split)
{
    /* The four examples of QEMU's comment (seed article 002). */
    expect_split("pc-i440fx-1.7", 4 * GiB, 3584 * MiB, 512 * MiB);
    expect_split("pc", 4 * GiB, 3072 * MiB, 1024 * MiB);
    expect_split("pc,max-ram-below-4g=2G", 4 * GiB, 2048 * MiB, 2048 * MiB);
    expect_split("pc,max-ram-below-4g=4G", 3968 * MiB, 3968 * MiB, 0);
}

TEST(split_boundary_is_inclusive)
{
    expect_split("pc", 3584 * MiB, 3072 * MiB, 512 * MiB); /* >=, not > */
    expect_split("pc", 3584 * MiB - 8192, 3584 * MiB - 8192, 0);
    expect_split("pc", 128 * MiB, 128 * MiB, 0);
    expect_split("pc-i440fx-1.7", 3584 * MiB, 3584 * MiB, 0);
    expect_split("pc,max-ram-below-4g=1536M", 2 * GiB, 1536 * MiB, 512 * MiB);
}

TEST(config_errors)
{
    GmPcConfig cfg = { .ram_size = 42 };
    Error *err = NULL;
    ASSERT_EQ(gm_pc_config_parse(&cfg, "q99", GiB, &err), -GM_ERR_NOT_FOUND);
    error_free(err);
    err = NULL;
    ASSERT_EQ(gm_pc_config_parse(&cfg, "pc,max-ram-below-4g=5G", GiB, &err),
              -GM_ERR_INVALID_ARG);
    error_free(err);
    err = NULL;
    ASSERT_EQ(gm_pc_config_parse(&cfg, "pc,max-ram-below-4g=lots", GiB, &err),
              -GM_ERR_PARSE);
    error_free(err);
    err = NULL;
    ASSERT_EQ(gm_pc_config_parse(&cfg, "pc,smm=maybe", GiB, &err),
              -GM_ERR_PARSE);
    ASSERT(strstr(error_get_pretty(err), "smm: 'on', 'off' or 'auto'"));
    error_free(err);
    err = NULL;
    ASSERT_EQ(gm_pc_config_parse(&cfg, "pc,smm", GiB, &err), -GM_ERR_PARSE);
    error_free(err);
    err = NULL;
    ASSERT_EQ(gm_pc_config_parse(&cfg, "pc", 0, &err), -GM_ERR_INVALID_ARG);
    error_free(err);
    ASSERT_EQ(cfg.ram_size, 42); /* untouched */
    ASSERT_EQ(gm_pc_config_parse(&cfg, "pc-i440fx-2.0", 1000, NULL), 0);
    ASSERT_EQ(cfg.ram_size, 8192); /* rounded up like QEMU */
    ASSERT(cfg.gigabyte_align);
    ASSERT_EQ(gm_pc_config_parse(&cfg, "pc-i440fx-1.3", GiB, NULL),
              -GM_ERR_NOT_FOUND);
}

/* smm= on the i440fx, as QEMU 7.2 takes it: recorded, the map the same
 * (tests/oracle/data/pc-smmoff-1G is QEMU's own). */
/* The type name a configuration carries is a constant of the library's:
 * parsing another spec does not change it (it was a shared buffer). */
TEST(config_type_name_stays)
{
    GmPcConfig a, b;
    ASSERT_EQ(gm_pc_config_parse(&a, "pc-i440fx-2.5", 128 << 20, NULL), 0);
    ASSERT_EQ(gm_pc_config_parse(&b, "pc-q35-4.0.1", 128 << 20, NULL), 0);
    ASSERT_STR_EQ(a.machine_type, "pc-i440fx-2.5");
    ASSERT_STR_EQ(b.machine_type, "pc-q35-4.0.1");
}

TEST(config_smm)
{
    GmPcConfig cfg;
    ASSERT_EQ(gm_pc_config_parse(&cfg, "pc,smm=off", GiB, NULL), 0);
    ASSERT(cfg.smm_off && cfg.chipset == GM_PC_I440FX);
    ASSERT_EQ(gm_pc_config_parse(&cfg,
                                 "pc-i440fx-1.7,smm=on,"
                                 "max-ram-below-4g=2G",
                                 GiB, NULL),
              0);
    ASSERT(!cfg.smm_off && cfg.max_ram_below_4g == 2 * GiB);
    ASSERT_EQ(gm_pc_config_parse(&cfg, "pc,smm=auto", GiB, NULL), 0);
    ASSERT(!cfg.smm_off);
}

TEST(bad_bios_leaves_nothing)
{
    GmPcConfig cfg;
    Error *err = NULL;
    ASSERT_EQ(gm_pc_config_parse(&cfg, "pc", GiB, NULL), 0);
    cfg.bios_path = "/nonexistent/bios.bin";
    ASSERT(!gm_pc_machine_new(&cfg, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_IO);
    error_free(err);
    err = NULL;
    char path[] = "/tmp/guestmem-bios-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    ASSERT_EQ(write(fd, "short", 5), 5);
    close(fd);
    cfg.bios_path = path;
    ASSERT(!gm_pc_machine_new(&cfg, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_INVALID_ARG);
    ASSERT(strstr(error_get_pretty(err), "multiple of 64 KiB"));
    error_free(err);
    unlink(path);
    ASSERT(get_system_memory()->subregions == NULL);
    ASSERT(gm_address_space_find("cpu-memory-0") == NULL);
    /* And a good machine can still be built afterwards. */
    GmPcMachine *pc = machine("pc", GiB);
    gm_pc_machine_free(pc);
}

TEST(one_machine_per_process)
{
    GmPcMachine *pc = machine("pc", GiB);
    GmPcConfig cfg;
    Error *err = NULL;
    ASSERT_EQ(gm_pc_config_parse(&cfg, "pc", GiB, NULL), 0);
    ASSERT(!gm_pc_machine_new(&cfg, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_IN_USE);
    error_free(err);
    gm_pc_machine_free(pc);
    pc = machine("pc", GiB); /* free really freed */
    gm_pc_machine_free(pc);
}

static char *memory_ranges(void)
{
    return test_ranges(gm_address_space_find("memory"));
}

TEST(reset_state_and_pam)
{
    GmPcMachine *pc = machine("pc", GiB);
    char *r = memory_ranges();
    ASSERT_STR_EQ(r, "0-bffff pc.ram@0\n"
                     "c0000-dffff pc.rom@0 ro\n"
                     "e0000-fffff pc.bios@20000 ro\n"
                     "100000-3fffffff pc.ram@100000\n"
                     "fec00000-fec00fff ioapic@0\n"
                     "fed00000-fed003ff hpet@0\n"
                     "fee00000-feefffff apic-msi@0\n"
                     "fffc0000-ffffffff pc.bios@0 ro\n");
    free(r);
    /* PAM 0 (0xf0000) to RAM, then read-only; segment 1 (0xc0000) RAM. */
    ASSERT_EQ(gm_pc_set_pam(pc, 0, 3, NULL), 0);
    ASSERT_EQ(gm_pc_set_pam(pc, 1, 1, NULL), 0);
    r = memory_ranges();
    ASSERT(strstr(r, "c0000-c3fff pc.ram@c0000 ro\n"
                     "c4000-dffff pc.rom@4000 ro\n"
                     "e0000-effff pc.bios@20000 ro\n"
                     "f0000-3fffffff pc.ram@f0000\n"));
    free(r);
    ASSERT_EQ(gm_pc_set_pam(pc, 13, 0, NULL), -GM_ERR_INVALID_ARG);
    ASSERT_EQ(gm_pc_set_pam(pc, 0, 4, NULL), -GM_ERR_INVALID_ARG);
    /* SMRAM: D_OPEN shows RAM at 0xa0000 to everyone. */
    gm_pc_set_smram(pc, 0x40 | 0x02);
    r = memory_ranges();
    ASSERT(strstr(r, "0-bffff pc.ram@0"));
    free(r);
    gm_pc_set_smram(pc, 0x02);
    r = test_ranges(gm_address_space_find("cpu-smm-0"));
    ASSERT(strstr(r, "0-bffff pc.ram@0"));
    free(r);
    gm_pc_machine_free(pc);
}

TEST(bios_content_and_isa_alias)
{
    GmPcMachine *pc = machine("pc", 128 * MiB);
    FILE *f = fopen(GM_PC_BIOS_DIR "/bios-256k.bin", "rb");
    ASSERT(f);
    static uint8_t img[256 * 1024];
    ASSERT_EQ(fread(img, 1, sizeof(img), f), sizeof(img));
    fclose(f);
    AddressSpace *as = gm_address_space_find("memory");
    FlatView *fv = address_space_get_flatview(as);
    MemoryRegionSection s;
    ASSERT(gm_flatview_lookup(fv, 0xffff0, &s)); /* the reset vector, low */
    uint8_t *host = memory_region_get_ram_ptr(s.mr);
    hwaddr off = s.offset_within_region + (0xffff0 - 0xe0000);
    ASSERT_EQ(memcmp(host + off, img + sizeof(img) - 16, 16), 0);
    ASSERT(gm_flatview_lookup(fv, 0xfffffff0, &s));
    ASSERT_EQ(s.offset_within_region + (0xfffffff0 - 0xfffc0000), 0x3fff0);
    flatview_unref(fv);
    gm_pc_machine_free(pc);
}

TEST(e820)
{
    GmPcMachine *pc = machine("pc", 6 * GiB);
    GmE820Entry e[4];
    ASSERT_EQ(gm_pc_e820(pc, e, 4), 2);
    ASSERT_ADDR_EQ(e[0].address, 0);
    ASSERT_ADDR_EQ(e[0].length, 3 * GiB);
    ASSERT_ADDR_EQ(e[1].address, 4 * GiB);
    ASSERT_ADDR_EQ(e[1].length, 3 * GiB);
    ASSERT_EQ(e[1].type, 1);
    gm_pc_machine_free(pc);
}

int main(int argc, char **argv)
{
    static const TestCase tests[] = {
        TEST_ENTRY(worked_examples_of_the_split),
        TEST_ENTRY(split_boundary_is_inclusive),
        TEST_ENTRY(config_errors),
        TEST_ENTRY(config_smm),
        TEST_ENTRY(bad_bios_leaves_nothing),
        TEST_ENTRY(one_machine_per_process),
        TEST_ENTRY(reset_state_and_pam),
        TEST_ENTRY(bios_content_and_isa_alias),
        TEST_ENTRY(e820),
        TEST_ENTRY(config_type_name_stays),
    };
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
