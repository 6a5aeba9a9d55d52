// SPDX-License-Identifier: MIT
/*
 * machine/q35.c - the part of QEMU 7.2's `q35` machine that differs from
 * `pc`: its RAM split, the Q35 host bridge's MCH (00:00.0, 8086:29c0) with
 * the memory regions its configuration registers switch, the MMCONFIG
 * window, and the bus-master address spaces of bus 0.
 *
 * pc.c builds RAM, firmware and the PCI window in pc_memory_init's order
 * and calls gm__q35_build() where QEMU realizes the MCH; what that adds,
 * in QEMU's order (it decides the order of equal-priority siblings):
 *
 *   system  pci (prio -1), smram-region (0xa0000, prio 1, on),
 *           smram-open-high (0xfeda0000, prio 1, off), tseg-blackhole
 *           (top of low RAM, size 0, prio 1, off), smbase-blackhole
 *           (0x30000, 128 KiB, prio 1, off), the 13 PAM segments; later,
 *           pcie-mmcfg-mmio (prio 0) while PCIEXBAR enables it;
 *   smram   smram-low (0xa0000), smram-high (0xfeda0000), tseg-window,
 *           smbase-window: what an SMM CPU sees over the normal map
 *           (cpu-smm-0).  The container is always enabled; the MCH turns
 *           its children on and off.
 *
 * The MCH's configuration space lives here, so that the map follows it
 * whether a guest writes it through the board's 0xcf8/0xcfc, through the
 * MMCONFIG window, or a VMM through gm_pc_mch_config_write().  The update
 * functions follow QEMU's mch_update_*: each register write runs the
 * updates whose registers it touched, each in its own transaction, in
 * QEMU's order, and they delete and re-add what QEMU deletes and re-adds
 * (tseg-blackhole on every SMRAM or ESMRAMC write, the MMCONFIG window on
 * every PCIEXBAR write), since that makes the region the newest of its
 * priority.  Register numbers and bits are Intel's (3 Series chipset
 * datasheet) as QEMU implements them; reset values and write masks were
 * read from a live QEMU 7.2 (tests/oracle/test-q35.py checks them).
 */
#include "pc-internal.h"

/* MCH configuration registers */
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MASTER 0x04
#define PCI_STATUS 0x06
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_HEADER_SIZE 0x40
#define MCH_EXT_TSEG_MBYTES 0x50 /* 2 bytes */
#define MCH_EXT_TSEG_QUERY 0xffff
#define MCH_EXT_TSEG_DEFAULT 16
#define MCH_PCIEXBAR 0x60 /* 8 bytes */
#define MCH_PCIEXBAR_DEFAULT UINT64_C(0xb0000000)
#define MCH_PCIEXBAR_EN UINT64_C(1)
/* The base: bits 35:28, whatever the length.  (The datasheet adds bits
 * 27 and 26 for the 128 and 64 MiB lengths; QEMU 7.2 does not use them:
 * 0xe8000003 maps 128 MiB at 0xe0000000.  Checked live by test-q35.py.) */
#define MCH_PCIEXBAR_ADMSK UINT64_C(0xff0000000)
#define MCH_PAM0 0x90
#define MCH_PAM_SIZE 7
#define MCH_F_SMBASE 0x9c
#define MCH_F_SMBASE_QUERY 0xff
#define MCH_F_SMBASE_IN_RAM 0x01
#define MCH_F_SMBASE_LCK 0x02
#define MCH_SMRAM 0x9d /* with ESMRAMC: 2 bytes */
#define MCH_SMRAM_D_OPEN 0x40
#define MCH_SMRAM_D_CLS 0x20
#define MCH_SMRAM_D_LCK 0x10
#define MCH_SMRAM_G_SMRAME 0x08
#define MCH_SMRAM_DEFAULT 0x02 /* C_BASE_SEG: 0xa0000, hardwired */
#define MCH_ESMRAMC 0x9e
#define MCH_ESMRAMC_H_SMRAME 0x80
#define MCH_ESMRAMC_TSEG_SZ 0x06
#define MCH_ESMRAMC_T_EN 0x01
#define MCH_ESMRAMC_DEFAULT 0x38 /* SM_CACHE, SM_L1, SM_L2 */

#define SMRAM_C_BASE 0xa0000
#define SMRAM_C_SIZE 0x20000
#define SMRAM_HIGH_BASE 0xfeda0000
#define SMBASE_ADDR 0x30000
#define SMBASE_SIZE 0x20000
#define MMCFG_SIZE_MAX (256 * MiB)

#define BUS_MASTERS 4

typedef struct BusMaster {
    const char *name, *owner;
    unsigned devfn;
    Object *obj;
    MemoryRegion container, enable;
    AddressSpace as;
    bool as_made;
} BusMaster;

struct GmQ35 {
    uint8_t config[256], wmask[256], w1cmask[256];
    MemoryRegion open_high_smram, high_smram;
    MemoryRegion tseg_blackhole, tseg_window;
    MemoryRegion smbase_blackhole, smbase_window;
    Object *owner_pcie_host; /* /machine/q35: the MMCONFIG window's */
    MemoryRegion mmcfg;
    bool mmcfg_mapped;
    uint64_t tseg_size;
    BusMaster bm[BUS_MASTERS];
};

void gm__q35_split_ram(const GmPcConfig *cfg, uint64_t *below, uint64_t *above)
{
    /* Keep 512 MiB for PCI and 256 MiB for MMCONFIG below 4 GiB while the
     * RAM fits; else split at 2 GiB (gigabyte-aligned); then the user's
     * max-ram-below-4g caps it (0: 4 GiB). */
    uint64_t lowmem = cfg->ram_size >= 0xb0000000 ? 0x80000000 : 0xb0000000;
    uint64_t max = cfg->max_ram_below_4g ? cfg->max_ram_below_4g : 4 * GiB;
    if (lowmem > max) {
        lowmem = max;
    }
    if (cfg->ram_size >= lowmem) {
        *above = cfg->ram_size - lowmem;
        *below = lowmem;
    } else {
        *above = 0;
        *below = cfg->ram_size;
    }
}

/* --- the MMCONFIG window ------------------------------------------------ */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

/* Bus 0 as the board serves it, or the MCH alone without a board. */
static uint32_t bus0_read(GmPcMachine *pc, unsigned devfn, unsigned reg,
                          unsigned size)
{
    if (pc->pci_read) {
        return pc->pci_read(pc->pci_opaque, devfn, reg, size);
    }
    if (devfn == 0) {
        return gm_pc_mch_config_read(pc, reg, size);
    }
    return 0xffffffffu;
}

static void bus0_write(GmPcMachine *pc, unsigned devfn, unsigned reg,
                       uint32_t val, unsigned size)
{
    if (pc->pci_write) {
        pc->pci_write(pc->pci_opaque, devfn, reg, val, size);
    } else if (devfn == 0) {
        gm_pc_mch_config_write(pc, reg, val, size);
    }
}

/* The ECAM layout: bus in bits 27:20 (QEMU decodes 28:20), device and
 * function in 19:12, register in 11:0.  Only bus 0 exists; a function's
 * bytes past its 256 (conventional PCI) read all ones, as in QEMU. */
static uint64_t mmcfg_read(void *opaque, hwaddr addr, unsigned size)
{
    unsigned bus = (unsigned)(addr >> 20) & 0x1ff;
    unsigned reg = (unsigned)addr & 0xfff;
    if (bus != 0 || reg >= 256) {
        return ~(uint64_t)0;
    }
    return bus0_read(opaque, (unsigned)(addr >> 12) & 0xff, reg, size);
}

static void mmcfg_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    unsigned bus = (unsigned)(addr >> 20) & 0x1ff;
    unsigned reg = (unsigned)addr & 0xfff;
    if (bus == 0 && reg < 256) {
        bus0_write(opaque, (unsigned)(addr >> 12) & 0xff, reg, (uint32_t)val,
                   size);
    }
}

/* QEMU's pcie_mmcfg_ops: no access constraints of its own, so accesses
 * of 1 to 4 bytes, aligned, as the memory core's defaults allow. */
static const MemoryRegionOps mmcfg_ops = {
    .read = mmcfg_read,
    .write = mmcfg_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

/* --- blackholes ------------------------------------------------------- */

static uint64_t blackhole_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0xffffffff;
}

static void blackhole_write(void *opaque, hwaddr addr, uint64_t v,
                            unsigned size)
{
}

/* What the rest of the system sees where SMRAM hides: all ones, writes
 * dropped; 4-byte accesses inside, 1 to 4 outside, as QEMU's. */
static const MemoryRegionOps blackhole_ops = {
    .read = blackhole_read,
    .write = blackhole_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

/* --- the MCH's register updates (QEMU's mch_update_*) ------------------- */

static void update_pam(GmPcMachine *pc)
{
    const uint8_t *c = pc->q35->config;
    memory_region_transaction_begin();
    for (unsigned seg = 0; seg < PAM_SEGMENTS; seg++) {
        /* Segment 0 is PAM0's high nibble; then the low and high nibbles
         * of PAM1..PAM6 in turn. */
        uint8_t r = c[MCH_PAM0 + (seg + 1) / 2];
        gm_pc_set_pam(pc, seg, (seg & 1 ? r : r >> 4) & 3, NULL);
    }
    memory_region_transaction_commit();
}

static void update_pciexbar(GmPcMachine *pc)
{
    GmQ35 *q = pc->q35;
    uint64_t bar = get64(q->config + MCH_PCIEXBAR), length;
    switch ((bar >> 1) & 3) {
    case 0: length = 256 * MiB; break;
    case 1: length = 128 * MiB; break;
    case 2: length = 64 * MiB; break;
    default: return; /* reserved: QEMU logs a guest error and keeps the map */
    }
    /* Unmapped and mapped again even where nothing moves: it becomes the
     * newest region of its priority, as in QEMU's pcie_host_mmcfg_update. */
    memory_region_transaction_begin();
    if (q->mmcfg_mapped) {
        memory_region_del_subregion(get_system_memory(), &q->mmcfg);
        q->mmcfg_mapped = false;
    }
    if (bar & MCH_PCIEXBAR_EN) {
        memory_region_set_size(&q->mmcfg, length);
        q->mmcfg_mapped = gm_memory_region_add_subregion(
                              get_system_memory(), bar & MCH_PCIEXBAR_ADMSK,
                              &q->mmcfg, 0, NULL) == 0;
    }
    memory_region_transaction_commit();
}

static uint64_t tseg_size(const GmPcMachine *pc)
{
    const GmQ35 *q = pc->q35;
    uint8_t smram = q->config[MCH_SMRAM], esmramc = q->config[MCH_ESMRAMC];
    if (!(esmramc & MCH_ESMRAMC_T_EN) || !(smram & MCH_SMRAM_G_SMRAME)) {
        return 0;
    }
    switch ((esmramc & MCH_ESMRAMC_TSEG_SZ) >> 1) {
    case 0: return 1 * MiB;
    case 1: return 2 * MiB;
    case 2: return 8 * MiB;
    default: return pc->cfg.q35_no_ext_tseg ? 0 : MCH_EXT_TSEG_DEFAULT * MiB;
    }
}

static void update_smram(GmPcMachine *pc)
{
    GmQ35 *q = pc->q35;
    uint8_t *c = q->config;
    bool h_smrame = c[MCH_ESMRAMC] & MCH_ESMRAMC_H_SMRAME;
    /* D_LCK: D_OPEN clears and stays clear; only D_CLS stays writable. */
    if (c[MCH_SMRAM] & MCH_SMRAM_D_LCK) {
        c[MCH_SMRAM] &= (uint8_t)~MCH_SMRAM_D_OPEN;
        q->wmask[MCH_SMRAM] = MCH_SMRAM_D_CLS;
        q->wmask[MCH_ESMRAMC] = 0;
    }
    memory_region_transaction_begin();
    if (c[MCH_SMRAM] & MCH_SMRAM_D_OPEN) {
        /* Open: low SMRAM shows to everyone unless H_SMRAME moves it up,
         * where it then shows. */
        memory_region_set_enabled(&pc->smram_region, h_smrame);
        memory_region_set_enabled(&q->open_high_smram, h_smrame);
    } else {
        memory_region_set_enabled(&pc->smram_region, true);
        memory_region_set_enabled(&q->open_high_smram, false);
    }
    bool g = c[MCH_SMRAM] & MCH_SMRAM_G_SMRAME;
    memory_region_set_enabled(&pc->smram_low, g && !h_smrame);
    memory_region_set_enabled(&q->high_smram, g && h_smrame);

    uint64_t size = tseg_size(pc);
    uint64_t at = pc->below_4g - size;
    q->tseg_size = size;
    MemoryRegion *system = get_system_memory();
    if (q->tseg_blackhole.container) {
        memory_region_del_subregion(system, &q->tseg_blackhole);
    }
    memory_region_set_enabled(&q->tseg_blackhole, size != 0);
    gm_memory_region_set_size(&q->tseg_blackhole, size, NULL);
    /* A TSEG larger than the RAM below 4 GiB would start below 0: QEMU
     * maps it at the wrapped address; guestmem's checks refuse that, so
     * the blackhole stays out and the window where it was (the gm_ calls
     * report nothing: the guest chose the size; docs/design.md, 6). */
    gm_memory_region_add_subregion(system, at, &q->tseg_blackhole, 1, NULL);
    memory_region_set_enabled(&q->tseg_window, size != 0);
    gm_memory_region_set_size(&q->tseg_window, size, NULL);
    gm_memory_region_set_address(&q->tseg_window, at, NULL);
    gm_memory_region_set_alias_offset(&q->tseg_window, at, NULL);
    memory_region_transaction_commit();
}

static void update_ext_tseg(GmPcMachine *pc)
{
    uint8_t *reg = pc->q35->config + MCH_EXT_TSEG_MBYTES;
    if (!pc->cfg.q35_no_ext_tseg && get16(reg) == MCH_EXT_TSEG_QUERY) {
        put16(reg, MCH_EXT_TSEG_DEFAULT);
    }
}

static void update_smbase(GmPcMachine *pc)
{
    GmQ35 *q = pc->q35;
    uint8_t *reg = q->config + MCH_F_SMBASE;
    if (pc->cfg.q35_no_smbase_smram) {
        return;
    }
    if (*reg == MCH_F_SMBASE_QUERY) {
        /* Firmware asks; the answer: SMRAM at SMBASE, lockable. */
        q->wmask[MCH_F_SMBASE] = MCH_F_SMBASE_LCK;
        *reg = MCH_F_SMBASE_IN_RAM;
        return;
    }
    if (q->wmask[MCH_F_SMBASE] == 0xff) {
        *reg = 0; /* not negotiated: what was written is dropped */
    }
    bool lck = *reg & MCH_F_SMBASE_LCK;
    if (lck) {
        q->wmask[MCH_F_SMBASE] &= (uint8_t)~MCH_F_SMBASE_LCK;
        *reg = MCH_F_SMBASE_LCK;
    }
    memory_region_transaction_begin();
    memory_region_set_enabled(&q->smbase_blackhole, lck);
    memory_region_set_enabled(&q->smbase_window, lck);
    memory_region_transaction_commit();
}

static bool overlaps(unsigned reg, unsigned size, unsigned start, unsigned len)
{
    return reg < start + len && start < reg + size;
}

/* The bytes [@reg, @reg + @size) of the 256-byte space that exist. */
static unsigned config_len(unsigned reg, unsigned size)
{
    if (reg >= 256 || (size != 1 && size != 2 && size != 4)) {
        return 0;
    }
    return reg + size <= 256 ? size : 256 - reg;
}

uint32_t gm_pc_mch_config_read(GmPcMachine *pc, unsigned reg, unsigned size)
{
    unsigned n = config_len(reg, size);
    if (!pc || !pc->q35 || !n) {
        return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint32_t)pc->q35->config[reg + i] << (8 * i);
    }
    return v;
}

void gm_pc_mch_config_write(GmPcMachine *pc, unsigned reg, uint32_t val,
                            unsigned size)
{
    unsigned n = config_len(reg, size);
    if (!pc || !pc->q35 || !n) {
        return;
    }
    GmQ35 *q = pc->q35;
    for (unsigned i = 0; i < n; i++) {
        uint8_t byte = (uint8_t)(val >> (8 * i));
        uint8_t *c = &q->config[reg + i];
        uint8_t w = q->wmask[reg + i], w1c = q->w1cmask[reg + i];
        *c = (uint8_t)((*c & ~w) | (byte & w));
        *c = (uint8_t)(*c & ~(byte & w1c));
    }
    /* pci_default_write_config, then mch_write_config's updates. */
    if (overlaps(reg, n, PCI_COMMAND, 2)) {
        memory_region_set_enabled(&q->bm[0].enable,
                                  q->config[PCI_COMMAND] & PCI_COMMAND_MASTER);
    }
    if (overlaps(reg, n, MCH_PAM0, MCH_PAM_SIZE)) {
        update_pam(pc);
    }
    if (overlaps(reg, n, MCH_PCIEXBAR, 8)) {
        update_pciexbar(pc);
    }
    if (overlaps(reg, n, MCH_SMRAM, 2)) {
        update_smram(pc);
    }
    if (overlaps(reg, n, MCH_EXT_TSEG_MBYTES, 2)) {
        update_ext_tseg(pc);
    }
    if (overlaps(reg, n, MCH_F_SMBASE, 1)) {
        update_smbase(pc);
    }
}

/* mch_reset: the registers' reset values, then every update. */
void gm__q35_reset(GmPcMachine *pc)
{
    GmQ35 *q = pc->q35;
    uint8_t *c = q->config, *w = q->wmask;
    memset(c, 0, sizeof(q->config));
    memset(w, 0, sizeof(q->wmask));
    memset(q->w1cmask, 0, sizeof(q->w1cmask));
    put16(c + 0x00, 0x8086);
    put16(c + 0x02, 0x29c0);
    put16(c + 0x0a, 0x0600); /* host bridge */
    /* QEMU's subsystem ids for its machines: Red Hat, QEMU.  SeaBIOS
     * checks them before it says "Running on QEMU (q35)". */
    put16(c + 0x2c, 0x1af4);
    put16(c + 0x2e, 0x1100);
    /* QEMU's pci_init_wmask and pci_init_w1cmask. */
    put16(w + PCI_COMMAND, 0x0507);
    w[PCI_CACHE_LINE_SIZE] = 0xff;
    w[PCI_INTERRUPT_LINE] = 0xff;
    memset(w + PCI_HEADER_SIZE, 0xff, 256 - PCI_HEADER_SIZE);
    put16(q->w1cmask + PCI_STATUS, 0xf900);
    for (unsigned i = 0; i < 8; i++) {
        c[MCH_PCIEXBAR + i] = (uint8_t)(MCH_PCIEXBAR_DEFAULT >> (8 * i));
    }
    c[MCH_SMRAM] = MCH_SMRAM_DEFAULT;
    c[MCH_ESMRAMC] = MCH_ESMRAMC_DEFAULT;
    w[MCH_SMRAM] = MCH_SMRAM_D_OPEN | MCH_SMRAM_D_CLS | MCH_SMRAM_D_LCK |
                   MCH_SMRAM_G_SMRAME;
    w[MCH_ESMRAMC] =
        MCH_ESMRAMC_H_SMRAME | MCH_ESMRAMC_TSEG_SZ | MCH_ESMRAMC_T_EN;
    if (!pc->cfg.q35_no_ext_tseg) {
        put16(c + MCH_EXT_TSEG_MBYTES, MCH_EXT_TSEG_QUERY);
    }
    c[MCH_F_SMBASE] = 0;
    w[MCH_F_SMBASE] = 0xff;
    memory_region_transaction_begin();
    memory_region_set_enabled(&q->bm[0].enable, false);
    update_pciexbar(pc);
    update_pam(pc);
    update_smram(pc);
    update_ext_tseg(pc);
    update_smbase(pc);
    memory_region_transaction_commit();
}

/* --- building --------------------------------------------------------- */

static bool io_region(GmPcMachine *pc, MemoryRegion *mr, const char *name,
                      uint64_t size)
{
    memory_region_init_io(mr, pc->owner_host, &blackhole_ops, NULL, name, size);
    gm__pc_remember(pc, mr);
    return true;
}

bool gm__q35_build(GmPcMachine *pc, Error **errp)
{
    GmQ35 *q = calloc(1, sizeof(*q));
    if (!q) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return false;
    }
    pc->q35 = q;
    MemoryRegion *system = get_system_memory();
    Object *o = pc->owner_host;
    uint64_t below = pc->below_4g;
    /* pcie_host_init: the MMCONFIG window exists from the start, unmapped
     * until PCIEXBAR enables it. */
    q->owner_pcie_host = gm_object_new("/machine/q35", true);
    if (!q->owner_pcie_host) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return false;
    }
    memory_region_init_io(&q->mmcfg, q->owner_pcie_host, &mmcfg_ops, pc,
                          "pcie-mmcfg-mmio", MMCFG_SIZE_MAX);
    gm__pc_remember(pc, &q->mmcfg);
    /* mch_realize */
    if (!gm__pc_add(system, 0, &pc->pci, -1, errp) ||
        !gm__pc_alias(pc, &pc->smram_region, o, "smram-region", &pc->pci,
                      SMRAM_C_BASE, SMRAM_C_SIZE, errp) ||
        !gm__pc_add(system, SMRAM_C_BASE, &pc->smram_region, 1, errp) ||
        !gm__pc_alias(pc, &q->open_high_smram, o, "smram-open-high", &pc->ram,
                      SMRAM_C_BASE, SMRAM_C_SIZE, errp)) {
        return false;
    }
    q->open_high_smram.enabled = false;
    if (!gm__pc_add(system, SMRAM_HIGH_BASE, &q->open_high_smram, 1, errp)) {
        return false;
    }
    memory_region_init(&pc->smram, o, "smram", 4 * GiB);
    gm__pc_remember(pc, &pc->smram);
    if (!gm__pc_alias(pc, &pc->smram_low, o, "smram-low", &pc->ram,
                      SMRAM_C_BASE, SMRAM_C_SIZE, errp) ||
        !gm__pc_add(&pc->smram, SMRAM_C_BASE, &pc->smram_low, 0, errp) ||
        !gm__pc_alias(pc, &q->high_smram, o, "smram-high", &pc->ram,
                      SMRAM_C_BASE, SMRAM_C_SIZE, errp) ||
        !gm__pc_add(&pc->smram, SMRAM_HIGH_BASE, &q->high_smram, 0, errp) ||
        !io_region(pc, &q->tseg_blackhole, "tseg-blackhole", 0)) {
        return false;
    }
    q->tseg_blackhole.enabled = false;
    if (!gm__pc_add(system, below, &q->tseg_blackhole, 1, errp) ||
        !gm__pc_alias(pc, &q->tseg_window, o, "tseg-window", &pc->ram, below, 0,
                      errp)) {
        return false;
    }
    q->tseg_window.enabled = false;
    if (!gm__pc_add(&pc->smram, below, &q->tseg_window, 0, errp) ||
        !io_region(pc, &q->smbase_blackhole, "smbase-blackhole", SMBASE_SIZE)) {
        return false;
    }
    q->smbase_blackhole.enabled = false;
    if (!gm__pc_add(system, SMBASE_ADDR, &q->smbase_blackhole, 1, errp) ||
        !gm__pc_alias(pc, &q->smbase_window, o, "smbase-window", &pc->ram,
                      SMBASE_ADDR, SMBASE_SIZE, errp)) {
        return false;
    }
    q->smbase_window.enabled = false;
    return gm__pc_add(&pc->smram, SMBASE_ADDR, &q->smbase_window, 0, errp) &&
           gm__pc_init_pams(pc, errp);
}

/* The devices of bus 0 that QEMU's q35 has even with -nodefaults, each
 * with its bus-master address space (pci_init_bus_master): a container
 * holding a disabled alias of the system memory that the function's
 * command register enables. */
static const struct {
    const char *name, *owner;
    unsigned devfn;
} bus_masters[BUS_MASTERS] = {
    { "mch", NULL, 0x00 },
    { "ICH9-LPC", "/machine/unattached/device[2]", 0xf8 },
    { "ich9-ahci", "/machine/unattached/device[15]", 0xfa },
    { "ICH9-SMB", "/machine/unattached/device[16]", 0xfb },
};

bool gm__q35_build_bus_masters(GmPcMachine *pc, Error **errp)
{
    GmQ35 *q = pc->q35;
    MemoryRegion *system = get_system_memory();
    for (unsigned i = 0; i < BUS_MASTERS; i++) {
        BusMaster *b = &q->bm[i];
        b->name = bus_masters[i].name;
        b->devfn = bus_masters[i].devfn;
        Object *o = pc->owner_host;
        if (bus_masters[i].owner) {
            b->obj = gm_object_new(bus_masters[i].owner, true);
            if (!b->obj) {
                gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
                return false;
            }
            o = b->obj;
        }
        memory_region_init(&b->container, o, "bus master container",
                           UINT64_MAX);
        gm__pc_remember(pc, &b->container);
        if (!gm__pc_alias(pc, &b->enable, o, "bus master", system, 0,
                          UINT64_MAX, errp)) {
            return false;
        }
        b->enable.enabled = false;
        if (!gm__pc_add(&b->container, 0, &b->enable, 0, errp) ||
            gm_address_space_init(&b->as, &b->container, b->name, errp)) {
            return false;
        }
        b->as_made = true;
    }
    return true;
}

bool gm__q35_set_bus_master(GmPcMachine *pc, unsigned devfn, bool enabled)
{
    for (unsigned i = 0; pc->q35 && i < BUS_MASTERS; i++) {
        if (pc->q35->bm[i].devfn == devfn && pc->q35->bm[i].as_made) {
            memory_region_set_enabled(&pc->q35->bm[i].enable, enabled);
            return true;
        }
    }
    return false;
}

void gm__q35_free_address_spaces(GmPcMachine *pc)
{
    for (unsigned i = 0; pc->q35 && i < BUS_MASTERS; i++) {
        if (pc->q35->bm[i].as_made) {
            address_space_destroy(&pc->q35->bm[i].as);
            pc->q35->bm[i].as_made = false;
        }
    }
}

void gm__q35_free(GmPcMachine *pc)
{
    GmQ35 *q = pc->q35;
    if (!q) {
        return;
    }
    for (unsigned i = 0; i < BUS_MASTERS; i++) {
        gm_object_unref(q->bm[i].obj);
    }
    gm_object_unref(q->owner_pcie_host);
    free(q);
    pc->q35 = NULL;
}

/* --- what the map says -------------------------------------------------- */

bool gm_pc_mmcfg(const GmPcMachine *pc, uint64_t *base, uint64_t *size)
{
    if (!pc || !pc->q35 || !pc->q35->mmcfg_mapped) {
        return false;
    }
    if (base) {
        *base = pc->q35->mmcfg.addr;
    }
    if (size) {
        *size = memory_region_size(&pc->q35->mmcfg);
    }
    return true;
}

uint64_t gm_pc_tseg_size(const GmPcMachine *pc)
{
    return pc && pc->q35 ? pc->q35->tseg_size : 0;
}

size_t gm__q35_e820_reserved(const GmPcMachine *pc, GmE820Entry *out,
                             size_t max)
{
    const GmQ35 *q = pc->q35;
    GmE820Entry e[2];
    size_t n = 0;
    uint64_t bar = get64(q->config + MCH_PCIEXBAR);
    static const uint64_t lengths[] = { 256 * MiB, 128 * MiB, 64 * MiB, 0 };
    uint64_t len = lengths[(bar >> 1) & 3];
    if (q->mmcfg_mapped) {
        e[n++] =
            (GmE820Entry){ q->mmcfg.addr, memory_region_size(&q->mmcfg), 2 };
    } else if (len) {
        e[n++] = (GmE820Entry){ bar & MCH_PCIEXBAR_ADMSK, len, 2 };
    }
    if (q->tseg_size && q->tseg_size <= pc->below_4g) {
        e[n++] = (GmE820Entry){ pc->below_4g - q->tseg_size, q->tseg_size, 2 };
    }
    for (size_t i = 0; i < n && i < max; i++) {
        out[i] = e[i];
    }
    return n;
}
