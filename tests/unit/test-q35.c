// SPDX-License-Identifier: MIT
/*
 * test-q35.c - the q35 machine (machine/q35.c) and its board (ich9-lpc.c,
 * pci-host.c): the RAM split at every threshold, machine types and their
 * compatibility switches, the MCH's reset state, and what each of its
 * registers does to the map (PAM, SMRAM, ESMRAMC/TSEG, D_LCK, F_SMBASE,
 * the extended TSEG query, PCIEXBAR and configuration accesses through
 * the MMCONFIG window, bus mastering), the LPC bridge's RCBA and reset
 * control, e820, misuse and teardown.  tests/oracle/test-q35.py holds the
 * same behaviour against a live QEMU 7.2.
 */
#include "../harness/test.h"

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

/* The name of the region that serves @addr in address space @as. */
static const char *at(const char *as, uint64_t addr)
{
    static char name[64];
    AddressSpace *a = gm_address_space_find(as);
    ASSERT(a);
    MemoryRegionSection s = memory_region_find(a->root, addr, 1);
    if (!s.mr) {
        return "(nothing)";
    }
    snprintf(name, sizeof(name), "%s", memory_region_name(s.mr));
    memory_region_unref(s.mr);
    return name;
}

#define ASSERT_AT(as, addr, want)                        \
    do {                                                 \
        const char *got_ = at(as, addr);                 \
        if (strcmp(got_, want)) {                        \
            test_fail(__FILE__, __LINE__,                \
                      "%s at 0x%" PRIx64 ": '%s', not "  \
                      "'%s'",                            \
                      as, (uint64_t)(addr), got_, want); \
        }                                                \
    } while (0)

static uint32_t readl(const char *as, uint64_t addr)
{
    uint8_t b[4] = { 0 };
    address_space_read(gm_address_space_find(as), addr, MEMTXATTRS_UNSPECIFIED,
                       b, 4);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
           (uint32_t)b[3] << 24;
}

static void writel(const char *as, uint64_t addr, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
                     (uint8_t)(v >> 24) };
    address_space_write(gm_address_space_find(as), addr, MEMTXATTRS_UNSPECIFIED,
                        b, 4);
}

static void expect_split(const char *spec, uint64_t ram, uint64_t below,
                         uint64_t above)
{
    GmPcMachine *pc = machine(spec, ram);
    ASSERT_ADDR_EQ(gm_pc_below_4g(pc), below);
    ASSERT_ADDR_EQ(gm_pc_above_4g(pc), above);
    gm_pc_machine_free(pc);
}

TEST(split_at_every_threshold)
{
    /* Below 2.75 GiB all RAM is low; from 2.75 GiB on (>=) it splits at
     * 2 GiB; max-ram-below-4g only lowers the split. */
    expect_split("q35", 128 * MiB, 128 * MiB, 0);
    expect_split("q35", 2 * GiB, 2 * GiB, 0);
    expect_split("q35", 2815 * MiB, 2815 * MiB, 0);
    expect_split("q35", 0xb0000000 - 8192, 0xb0000000 - 8192, 0);
    expect_split("q35", 2816 * MiB, 2 * GiB, 768 * MiB);
    expect_split("q35", 4 * GiB, 2 * GiB, 2 * GiB);
    expect_split("q35,max-ram-below-4g=1G", 2 * GiB, 1 * GiB, 1 * GiB);
    expect_split("q35,max-ram-below-4g=1G", 1 * GiB, 1 * GiB, 0);
    expect_split("q35,max-ram-below-4g=2560M", 2600 * MiB, 2560 * MiB,
                 40 * MiB);
    expect_split("q35,max-ram-below-4g=4G", 3 * GiB, 2 * GiB, 1 * GiB);
    expect_split("q35,max-ram-below-4g=1536M", 4 * GiB, 1536 * MiB, 2560 * MiB);
    /* The older types split the same way. */
    expect_split("pc-q35-2.4", 4 * GiB, 2 * GiB, 2 * GiB);
}

TEST(machine_types_and_options)
{
    GmPcConfig cfg;
    Error *err = NULL;
    ASSERT_EQ(gm_pc_config_parse(&cfg, "q35", GiB, NULL), 0);
    ASSERT_EQ(cfg.chipset, GM_PC_Q35);
    ASSERT(!strcmp(cfg.machine_type, "pc-q35-7.2"));
    ASSERT(!cfg.q35_no_smbase_smram && !cfg.q35_no_ext_tseg && !cfg.smm_off);
    ASSERT_EQ(gm_pc_config_parse(&cfg, "pc-q35-5.0", GiB, NULL), 0);
    ASSERT(!cfg.q35_no_smbase_smram);
    ASSERT_EQ(gm_pc_config_parse(&cfg, "pc-q35-4.2", GiB, NULL), 0);
    ASSERT(cfg.q35_no_smbase_smram && !cfg.q35_no_ext_tseg);
    ASSERT_EQ(gm_pc_config_parse(&cfg, "pc-q35-4.0.1", GiB, NULL), 0);
    ASSERT(cfg.q35_no_smbase_smram);
    ASSERT_EQ(gm_pc_config_parse(&cfg, "pc-q35-2.10", GiB, NULL), 0);
    ASSERT(!cfg.q35_no_ext_tseg);
    ASSERT_EQ(gm_pc_config_parse(&cfg, "pc-q35-2.9", GiB, NULL), 0);
    ASSERT(cfg.q35_no_ext_tseg);
    ASSERT_EQ(gm_pc_config_parse(&cfg, "pc-q35-2.4,smm=off", GiB, NULL), 0);
    ASSERT(cfg.smm_off && cfg.chipset == GM_PC_Q35);
    ASSERT_EQ(gm_pc_config_parse(&cfg, "q35,smm=auto", GiB, NULL), 0);
    ASSERT(!cfg.smm_off);
    static const char *unknown[] = { "pc-q35-2.3",     "pc-q35-2.13",
                                     "pc-q35-7.3",     "pc-q35-04.2",
                                     "pc-q35-1.7",     "pc-q35-4.1.1",
                                     "pc-q35-",        "q35x",
                                     "pc-i440fx-4.0.1" };
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        ASSERT_EQ(gm_pc_config_parse(&cfg, unknown[i], GiB, &err),
                  -GM_ERR_NOT_FOUND);
        ASSERT(strstr(error_get_pretty(err), "pc-q35-2.4 .. pc-q35-7.2"));
        error_free(err);
        err = NULL;
    }
    ASSERT_EQ(gm_pc_config_parse(&cfg, "q35,smm=maybe", GiB, &err),
              -GM_ERR_PARSE);
    error_free(err);
    err = NULL;
    ASSERT_EQ(gm_pc_config_parse(&cfg, "q35,max-ram-below-4g=5G", GiB, &err),
              -GM_ERR_INVALID_ARG);
    error_free(err);
}

TEST(reset_state)
{
    GmPcMachine *pc = machine("q35", GiB);
    ASSERT_EQ(gm_pc_chipset(pc), GM_PC_Q35);
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0, 4), 0x29c08086);
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0x2c, 4), 0x11001af4);
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0x08, 4), 0x06000000);
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0x50, 2), 16);
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0x60, 4), 0xb0000000);
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0x9c, 4), 0x00380200);
    ASSERT(!gm_pc_mmcfg(pc, NULL, NULL));
    ASSERT_EQ(gm_pc_tseg_size(pc), 0);
    /* PAM: PCI everywhere, so the BIOS shows at 0xf0000. */
    ASSERT_AT("memory", 0xf0000, "pc.bios");
    /* smram-region shows PCI there, and PCI has nothing: RAM shows
     * through, as in QEMU's flat view. */
    ASSERT_AT("memory", 0xa0000, "pc.ram");
    ASSERT_AT("memory", 0x30000, "pc.ram"); /* no SMBASE blackhole */
    ASSERT_AT("memory", 0xfeda0000, "(nothing)");
    ASSERT_AT("cpu-smm-0", 0xa0000, "pc.ram"); /* smram-low off: the same */
    ASSERT_AT("mch", 0x1000, "(nothing)");     /* no bus mastering */
    ASSERT_AT("ICH9-LPC", 0x1000, "(nothing)");
    ASSERT(gm_address_space_find("ich9-ahci"));
    ASSERT(gm_address_space_find("ICH9-SMB"));
    gm_pc_machine_free(pc);

    pc = machine("pc-q35-2.9", GiB);
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0x50, 2), 0);
    gm_pc_machine_free(pc);
}

TEST(pam)
{
    GmPcMachine *pc = machine("q35", GiB);
    gm_pc_mch_config_write(pc, 0x90, 0x30, 1); /* 0xf0000: RAM */
    ASSERT_AT("memory", 0xf0000, "pc.ram");
    /* 0xc0000 read-only (writes dropped), 0xc4000 "write-only", which
     * QEMU maps as RAM both ways (its pam-pci alias into RAM). */
    gm_pc_mch_config_write(pc, 0x91, 0x33, 1);
    writel("memory", 0xc0000, 0x12345678);
    gm_pc_mch_config_write(pc, 0x91, 0x21, 1);
    writel("memory", 0xc0000, 0x9abcdef0);
    ASSERT_EQ(readl("memory", 0xc0000), 0x12345678);
    ASSERT_AT("memory", 0xc0000, "pc.ram");
    ASSERT_AT("memory", 0xc4000, "pc.ram");
    ASSERT_AT("memory", 0xc8000, "pc.rom");
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0x90, 2), 0x2130);
    gm_pc_mch_config_write(pc, 0x90, 0, 4);
    ASSERT_AT("memory", 0xf0000, "pc.bios");
    gm_pc_machine_free(pc);
}

TEST(smram_and_tseg)
{
    GmPcMachine *pc = machine("q35", GiB);
    /* D_OPEN | G_SMRAME: low SMRAM shows to everyone and to SMM. */
    gm_pc_mch_config_write(pc, 0x9d, 0x4a, 1);
    ASSERT_AT("memory", 0xa0000, "pc.ram");
    ASSERT_AT("cpu-smm-0", 0xa0000, "pc.ram");
    /* H_SMRAME and a 1 MiB TSEG: SMRAM moves to 0xfeda0000, open. */
    gm_pc_mch_config_write(pc, 0x9e, 0x81, 1);
    ASSERT_EQ(gm_pc_tseg_size(pc), MiB);
    ASSERT_AT("memory", 0xfeda0000, "pc.ram");
    ASSERT_AT("cpu-smm-0", 0xfeda0000, "pc.ram");
    ASSERT_AT("memory", GiB - MiB, "tseg-blackhole");
    ASSERT_EQ(readl("memory", GiB - MiB), 0xffffffff);
    ASSERT_AT("cpu-smm-0", GiB - MiB, "pc.ram");
    ASSERT_AT("memory", GiB - MiB - 4096, "pc.ram");
    /* Closed: only SMM sees high SMRAM. */
    gm_pc_mch_config_write(pc, 0x9d, 0x0a, 1);
    ASSERT_AT("memory", 0xfeda0000, "(nothing)");
    ASSERT_AT("cpu-smm-0", 0xfeda0000, "pc.ram");
    /* The sizes: 2, 8 and the extended 16 MiB. */
    static const struct {
        uint8_t esmramc;
        uint64_t size;
    } sizes[] = {
        { 0x83, 2 * MiB }, { 0x85, 8 * MiB }, { 0x87, 16 * MiB }, { 0x86, 0 }
    };
    for (size_t i = 0; i < 4; i++) {
        gm_pc_mch_config_write(pc, 0x9e, sizes[i].esmramc, 1);
        ASSERT_EQ(gm_pc_tseg_size(pc), sizes[i].size);
        ASSERT_AT("memory", GiB - 1,
                  sizes[i].size ? "tseg-blackhole" : "pc.ram");
    }
    /* Without G_SMRAME there is no TSEG either. */
    gm_pc_mch_config_write(pc, 0x9e, 0x85, 1);
    gm_pc_mch_config_write(pc, 0x9d, 0x02, 1);
    ASSERT_EQ(gm_pc_tseg_size(pc), 0);
    gm_pc_machine_free(pc);

    pc = machine("pc-q35-2.9", GiB); /* no extended TSEG: size 3 is 0 */
    gm_pc_mch_config_write(pc, 0x9d, 0x0a, 1);
    gm_pc_mch_config_write(pc, 0x9e, 0x07, 1);
    ASSERT_EQ(gm_pc_tseg_size(pc), 0);
    gm_pc_mch_config_write(pc, 0x50, 0xffff, 2);
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0x50, 2), 0xffff);
    gm_pc_machine_free(pc);
}

static int reported;
static void count_reports(const Error *err, void *opaque)
{
    reported++;
}

TEST(tseg_larger_than_low_ram)
{
    /* QEMU would map the blackhole at a wrapped address; guestmem leaves
     * it out, reports nothing (the guest chose it), and recovers. */
    GmPcMachine *pc = machine("q35", 8 * MiB);
    gm_set_error_handler(count_reports, NULL);
    gm_pc_mch_config_write(pc, 0x9d, 0x0a, 1);
    gm_pc_mch_config_write(pc, 0x9e, 0x07, 1); /* 16 MiB */
    ASSERT_EQ(gm_pc_tseg_size(pc), 16 * MiB);
    ASSERT_AT("memory", 0, "pc.ram");
    GmE820Entry e[4];
    ASSERT_EQ(gm_pc_e820_reserved(pc, e, 4), 1); /* MMCONFIG only */
    gm_pc_mch_config_write(pc, 0x9e, 0x01, 1);   /* 1 MiB */
    ASSERT_AT("memory", 7 * MiB, "tseg-blackhole");
    ASSERT_AT("cpu-smm-0", 7 * MiB, "pc.ram");
    ASSERT_EQ(reported, 0);
    gm_set_error_handler(NULL, NULL);
    gm_pc_machine_free(pc);
}

TEST(d_lck_locks_smram)
{
    GmPcMachine *pc = machine("q35", GiB);
    gm_pc_mch_config_write(pc, 0x9e, 0x80, 1); /* H_SMRAME */
    gm_pc_mch_config_write(pc, 0x9d, 0x4a, 1);
    ASSERT_AT("memory", 0xfeda0000, "pc.ram"); /* open */
    gm_pc_mch_config_write(pc, 0x9d, 0x5a, 1); /* D_OPEN with D_LCK */
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0x9d, 1), 0x1a);
    ASSERT_AT("memory", 0xfeda0000, "(nothing)");
    gm_pc_mch_config_write(pc, 0x9d, 0x4a, 1); /* refused but for D_CLS */
    gm_pc_mch_config_write(pc, 0x9e, 0x01, 1); /* refused */
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0x9c, 4), 0x00b81a00);
    ASSERT_AT("memory", 0xfeda0000, "(nothing)");
    gm_pc_mch_config_write(pc, 0x9d, 0x20, 1);
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0x9d, 1), 0x3a);
    gm_pc_machine_free(pc);
}

TEST(smram_at_smbase)
{
    GmPcMachine *pc = machine("q35", GiB);
    gm_pc_mch_config_write(pc, 0x9c, 0x02, 1); /* before the query: dropped */
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0x9c, 1), 0);
    gm_pc_mch_config_write(pc, 0x9c, 0xff, 1);
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0x9c, 1), 0x01);
    ASSERT_AT("memory", 0x30000, "pc.ram");
    gm_pc_mch_config_write(pc, 0x9c, 0x02, 1);
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0x9c, 1), 0x02);
    ASSERT_AT("memory", 0x30000, "smbase-blackhole");
    ASSERT_AT("memory", 0x4ffff, "smbase-blackhole");
    ASSERT_AT("cpu-smm-0", 0x30000, "pc.ram");
    gm_pc_mch_config_write(pc, 0x9c, 0x00, 1); /* locked */
    ASSERT_AT("memory", 0x30000, "smbase-blackhole");
    gm_pc_machine_free(pc);

    pc = machine("pc-q35-4.2", GiB); /* a plain register there */
    gm_pc_mch_config_write(pc, 0x9c, 0xff, 1);
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0x9c, 1), 0xff);
    gm_pc_mch_config_write(pc, 0x9c, 0x02, 1);
    ASSERT_AT("memory", 0x30000, "pc.ram");
    gm_pc_machine_free(pc);
}

TEST(mmconfig_window)
{
    GmPcMachine *pc = machine("q35", GiB);
    uint64_t base = 0, size = 0;
    gm_pc_mch_config_write(pc, 0x60, 0xb0000001, 4);
    ASSERT(gm_pc_mmcfg(pc, &base, &size));
    ASSERT_ADDR_EQ(base, 0xb0000000);
    ASSERT_ADDR_EQ(size, 256 * MiB);
    ASSERT_AT("memory", 0xb0000000, "pcie-mmcfg-mmio");
    /* Configuration space through the window (no board: the MCH only). */
    ASSERT_EQ(readl("memory", 0xb0000000), 0x29c08086);
    ASSERT_EQ(readl("memory", 0xb00f8000), 0xffffffff);
    ASSERT_EQ(readl("memory", 0xb0000100), 0xffffffff); /* past 256 */
    ASSERT_EQ(readl("memory", 0xb0100000), 0xffffffff); /* bus 1 */
    writel("memory", 0xb0000090, 0x30); /* PAM0 through the window */
    ASSERT_AT("memory", 0xf0000, "pc.ram");
    /* Length and place: 128 and 64 MiB keep bits 35:28 only, as QEMU. */
    gm_pc_mch_config_write(pc, 0x60, 0xe8000003, 4);
    ASSERT(gm_pc_mmcfg(pc, &base, &size));
    ASSERT_ADDR_EQ(base, 0xe0000000);
    ASSERT_ADDR_EQ(size, 128 * MiB);
    gm_pc_mch_config_write(pc, 0x60, 0xec000005, 4);
    ASSERT(gm_pc_mmcfg(pc, &base, &size));
    ASSERT_ADDR_EQ(size, 64 * MiB);
    gm_pc_mch_config_write(pc, 0x60, 0xd0000007, 4); /* reserved: no change */
    ASSERT(gm_pc_mmcfg(pc, &base, &size));
    ASSERT_ADDR_EQ(base, 0xe0000000);
    ASSERT_ADDR_EQ(size, 64 * MiB);
    /* Over RAM at 0 it wins: it is the newest region of priority 0. */
    gm_pc_mch_config_write(pc, 0x60, 0x00000001, 4);
    ASSERT_AT("memory", 0, "pcie-mmcfg-mmio");
    ASSERT_AT("memory", 256 * MiB, "pc.ram");
    gm_pc_mch_config_write(pc, 0x64, 0x1, 4); /* above 4 GiB */
    ASSERT(gm_pc_mmcfg(pc, &base, NULL));
    ASSERT_ADDR_EQ(base, 4 * GiB);
    ASSERT_AT("memory", 0, "pc.ram");
    gm_pc_mch_config_write(pc, 0x60, 0, 4);
    ASSERT(!gm_pc_mmcfg(pc, NULL, NULL));
    gm_pc_machine_free(pc);
}

TEST(bus_mastering)
{
    GmPcMachine *pc = machine("q35", GiB);
    writel("memory", 0x1000, 0xcafe);
    ASSERT_EQ(readl("mch", 0x1000), 0);
    gm_pc_mch_config_write(pc, 0x04, 0x0007, 2);
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0x04, 2), 0x0007);
    ASSERT_EQ(readl("mch", 0x1000), 0xcafe);
    gm_pc_mch_config_write(pc, 0x04, 0x0000, 2);
    ASSERT_AT("mch", 0x1000, "(nothing)");
    gm_pc_machine_free(pc);
}

TEST(e820)
{
    GmPcMachine *pc = machine("q35", 4 * GiB);
    GmE820Entry e[4];
    ASSERT_EQ(gm_pc_e820(pc, e, 4), 2);
    ASSERT_ADDR_EQ(e[0].length, 2 * GiB);
    ASSERT_ADDR_EQ(e[1].address, 4 * GiB);
    ASSERT_ADDR_EQ(e[1].length, 2 * GiB);
    /* Reserved: MMCONFIG where PCIEXBAR says (enabled or not), TSEG. */
    ASSERT_EQ(gm_pc_e820_reserved(pc, e, 4), 1);
    ASSERT_ADDR_EQ(e[0].address, 0xb0000000);
    ASSERT_ADDR_EQ(e[0].length, 256 * MiB);
    ASSERT_EQ(e[0].type, 2);
    gm_pc_mch_config_write(pc, 0x9d, 0x0a, 1);
    gm_pc_mch_config_write(pc, 0x9e, 0x05, 1);
    gm_pc_mch_config_write(pc, 0x60, 0xe0000003, 4);
    ASSERT_EQ(gm_pc_e820_reserved(pc, e, 4), 2);
    ASSERT_ADDR_EQ(e[0].address, 0xe0000000);
    ASSERT_ADDR_EQ(e[0].length, 128 * MiB);
    ASSERT_ADDR_EQ(e[1].address, 2 * GiB - 8 * MiB);
    ASSERT_ADDR_EQ(e[1].length, 8 * MiB);
    ASSERT_EQ(gm_pc_e820_reserved(pc, e, 1), 2); /* count, not stored */
    gm_pc_machine_free(pc);
}

TEST(misuse_on_the_i440fx)
{
    GmPcMachine *pc = machine("pc", GiB);
    ASSERT_EQ(gm_pc_chipset(pc), GM_PC_I440FX);
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0, 4), 0xffffffff);
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0, 1), 0xff);
    gm_pc_mch_config_write(pc, 0x90, 0x30, 1);
    ASSERT_AT("memory", 0xf0000, "pc.bios");
    ASSERT(!gm_pc_mmcfg(pc, NULL, NULL));
    ASSERT_EQ(gm_pc_tseg_size(pc), 0);
    GmE820Entry e[2];
    ASSERT_EQ(gm_pc_e820_reserved(pc, e, 2), 0);
    gm_pc_machine_free(pc);
    ASSERT_EQ(gm_pc_mch_config_read(NULL, 0, 2), 0xffff);
    gm_pc_mch_config_write(NULL, 0, 0, 4);
    ASSERT_EQ(gm_pc_chipset(NULL), GM_PC_I440FX);
    pc = machine("q35", GiB);
    /* Out of the space, odd sizes: all ones, nothing written. */
    ASSERT_EQ(gm_pc_mch_config_read(pc, 256, 4), 0xffffffff);
    ASSERT_EQ(gm_pc_mch_config_read(pc, 0, 3), 0xffffff);
    ASSERT_EQ(gm_pc_mch_config_read(pc, 254, 4), 0x0000); /* cut at 256 */
    gm_pc_mch_config_write(pc, 0x90, 0x30, 3);
    ASSERT_AT("memory", 0xf0000, "pc.bios");
    gm_pc_machine_free(pc);
}

static int resets;
static void on_reset(void *opaque)
{
    resets++;
}

TEST(board_lpc_and_mmconfig)
{
    GmPcMachine *pc = machine("q35", GiB);
    GmPcBoardConfig bc = { .reset = on_reset };
    Error *err = NULL;
    GmPcBoard *b = gm_pc_board_new(pc, &bc, &err);
    ASSERT(b);
    ASSERT_EQ(gm_pc_pci_config_read(b, 0x00, 0, 4), 0x29c08086);
    ASSERT_EQ(gm_pc_pci_config_read(b, 0xf8, 0, 4), 0x29188086);
    ASSERT_EQ(gm_pc_pci_config_read(b, 0xf8, 0x08, 4), 0x06010002);
    ASSERT_EQ(gm_pc_pci_config_read(b, 0xf8, 0x0e, 1), 0x80);
    ASSERT_EQ(gm_pc_pci_config_read(b, 0xf8, 0x60, 4), 0x80808080);
    ASSERT_EQ(gm_pc_pci_config_read(b, 0x08, 0, 4), 0xffffffff); /* no PIIX */
    /* Mechanism #1 reaches the MCH: a PAM write changes the map. */
    uint8_t v[4] = { 0x90, 0x00, 0x00, 0x80 };
    address_space_write(gm_address_space_io(), 0xcf8, MEMTXATTRS_UNSPECIFIED, v,
                        4);
    uint8_t pam = 0x30;
    address_space_write(gm_address_space_io(), 0xcfc, MEMTXATTRS_UNSPECIFIED,
                        &pam, 1);
    ASSERT_AT("memory", 0xf0000, "pc.ram");
    /* The MMCONFIG window reaches the LPC bridge once there is a board. */
    gm_pc_mch_config_write(pc, 0x60, 0xb0000001, 4);
    ASSERT_EQ(readl("memory", 0xb00f8000), 0x29188086);
    writel("memory", 0xb00f80f0, 0xfed1c001); /* RCBA */
    ASSERT_AT("memory", 0xfed1c000, "lpc-rcrb-mmio");
    ASSERT_EQ(readl("memory", 0xfed1f410), 0x20);
    writel("memory", 0xfed1c010, 0x1234);
    ASSERT_EQ(readl("memory", 0xfed1c010), 0x1234);
    gm_pc_pci_config_write(b, 0xf8, 0xf0, 0xfec10001, 4);
    ASSERT_AT("memory", 0xfed1c000, "(nothing)");
    ASSERT_EQ(readl("memory", 0xfec10010), 0x1234);
    /* LPC bus mastering. */
    gm_pc_pci_config_write(b, 0xf8, 0x04, 0x4, 2);
    ASSERT_AT("ICH9-LPC", 0x1000, "pc.ram");
    /* 0xcf9: reset control, above pci-conf-idx. */
    uint8_t r = 0x0e;
    address_space_write(gm_address_space_io(), 0xcf9, MEMTXATTRS_UNSPECIFIED,
                        &r, 1);
    ASSERT_EQ(resets, 1);
    r = 0x0a;
    address_space_write(gm_address_space_io(), 0xcf9, MEMTXATTRS_UNSPECIFIED,
                        &r, 1);
    r = 0;
    address_space_read(gm_address_space_io(), 0xcf9, MEMTXATTRS_UNSPECIFIED, &r,
                       1);
    ASSERT_EQ(r, 0x0a);
    /* Freed with RCBA on: the block leaves the system memory. */
    gm_pc_board_free(b);
    ASSERT_AT("memory", 0xfec10000, "(nothing)");
    ASSERT_AT("ICH9-LPC", 0x1000, "(nothing)");
    ASSERT_EQ(readl("memory", 0xb00f8000), 0xffffffff);
    gm_pc_machine_free(pc);
}

TEST(teardown_leaves_nothing)
{
    GmPcMachine *pc = machine("q35", 4 * GiB);
    gm_pc_mch_config_write(pc, 0x60, 0xb0000001, 4);
    gm_pc_mch_config_write(pc, 0x9c, 0xff, 1);
    gm_pc_mch_config_write(pc, 0x9c, 0x02, 1);
    gm_pc_machine_free(pc);
    ASSERT(!get_system_memory()->subregions);
    ASSERT(!gm_address_space_find("mch"));
    ASSERT(!gm_address_space_find("cpu-smm-0"));
    pc = machine("q35", GiB); /* and again */
    gm_pc_machine_free(pc);
    pc = machine("pc", GiB); /* or the other chipset */
    gm_pc_machine_free(pc);
}

static const TestCase tests[] = {
    TEST_ENTRY(split_at_every_threshold),
    TEST_ENTRY(machine_types_and_options),
    TEST_ENTRY(reset_state),
    TEST_ENTRY(pam),
    TEST_ENTRY(smram_and_tseg),
    TEST_ENTRY(tseg_larger_than_low_ram),
    TEST_ENTRY(d_lck_locks_smram),
    TEST_ENTRY(smram_at_smbase),
    TEST_ENTRY(mmconfig_window),
    TEST_ENTRY(bus_mastering),
    TEST_ENTRY(e820),
    TEST_ENTRY(misuse_on_the_i440fx),
    TEST_ENTRY(board_lpc_and_mmconfig),
    TEST_ENTRY(teardown_leaves_nothing),
};

int main(int argc, char **argv)
{
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
