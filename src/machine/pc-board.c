// SPDX-License-Identifier: MIT
/*
 * machine/pc-board.c - the PC board: the small ISA devices (CMOS RAM,
 * port 92, debug consoles, debug exit) and the placing of every device of
 * the board in the I/O address space (pc-board.h).
 *
 * CMOS contents are QEMU 7.2's pc_cmos_init() values, checked byte for byte
 * against a live QEMU (tests/oracle/test-board.py).
 */
#include "board-internal.h"
#include "pc-internal.h"

#include <time.h>

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)

/* --- CMOS RAM (the MC146818 RTC's 128 bytes) --------------------------- */

static uint8_t bcd(int v)
{
    return (uint8_t)(((v / 10) % 10) << 4 | (v % 10));
}

static void cmos_put16(uint8_t *cmos, unsigned at, uint64_t v)
{
    cmos[at] = (uint8_t)v;
    cmos[at + 1] = (uint8_t)(v >> 8);
}

static uint64_t clamp16(uint64_t v)
{
    return v > 65535 ? 65535 : v;
}

static void cmos_init(GmPcBoard *b)
{
    uint8_t *c = b->cmos;
    uint64_t below = gm_pc_below_4g(b->pc), above = gm_pc_above_4g(b->pc);
    c[0x0a] = 0x26; /* 32.768 kHz time base, 1024 Hz rate */
    c[0x0b] = 0x02; /* 24-hour, BCD */
    c[0x0d] = 0x80; /* valid RAM and time */
    c[0x14] = 0x06; /* equipment: FPU, display */
    /* Base memory (KiB, at most 640), extended memory (KiB above 1 MiB, at
     * most 65535), memory between 16 MiB and 4 GiB and above 4 GiB (64 KiB
     * units). */
    cmos_put16(c, 0x15, below / KiB < 640 ? below / KiB : 640);
    uint64_t ext = below > MiB ? clamp16((below - MiB) / KiB) : 0;
    cmos_put16(c, 0x17, ext);
    cmos_put16(c, 0x30, ext);
    cmos_put16(c, 0x34,
               below > 16 * MiB ? clamp16((below - 16 * MiB) / (64 * KiB)) : 0);
    uint64_t high = above / (64 * KiB);
    c[0x5b] = (uint8_t)high;
    c[0x5c] = (uint8_t)(high >> 8);
    c[0x5d] = (uint8_t)(high >> 16);
    /* Boot order "cad": hard disk, floppy, CD-ROM; floppy signature check
     * on. */
    c[0x3d] = 0x12;
    c[0x38] = 0x30;
    c[0x5f] = 0; /* CPUs - 1 */
}

/* The time registers read the host's UTC time, as QEMU's default clock. */
static uint8_t cmos_time(unsigned index)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    switch (index) {
    case 0x00: return bcd(tm.tm_sec);
    case 0x02: return bcd(tm.tm_min);
    case 0x04: return bcd(tm.tm_hour);
    case 0x06: return bcd(tm.tm_wday + 1);
    case 0x07: return bcd(tm.tm_mday);
    case 0x08: return bcd(tm.tm_mon + 1);
    case 0x09: return bcd(tm.tm_year % 100);
    case 0x32:
    case 0x37: return bcd(19 + tm.tm_year / 100);
    default: return 0;
    }
}

uint8_t gm_pc_cmos_read(GmPcBoard *b, unsigned index)
{
    if (!b || index > 127) {
        return 0xff;
    }
    switch (index) {
    case 0x00:
    case 0x02:
    case 0x04:
    case 0x06:
    case 0x07:
    case 0x08:
    case 0x09:
    case 0x32:
    case 0x37: return cmos_time(index);
    default: return b->cmos[index];
    }
}

/* 0x70 selects (bit 7 is the NMI mask, not part of the index); 0x71 reads
 * and writes the selected byte. */
/* Even offsets are the index port, odd ones the data port, also past the
 * region's two bytes (a wide access reaches it whole, as in QEMU). */
static uint64_t rtc_read(void *opaque, hwaddr addr, unsigned size)
{
    GmPcBoard *b = opaque;
    return !(addr & 1) ? 0xff : gm_pc_cmos_read(b, b->cmos_index);
}

static void rtc_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    GmPcBoard *b = opaque;
    if (!(addr & 1)) {
        b->cmos_index = (uint8_t)(val & 0x7f);
    } else if (b->cmos_index >= 0x0e || b->cmos_index == 0x0b ||
               b->cmos_index == 0x0a) {
        b->cmos[b->cmos_index] = (uint8_t)val; /* NVRAM, and control A/B */
    }
}

static const MemoryRegionOps rtc_ops = {
    .read = rtc_read,
    .write = rtc_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

/* --- PIIX3 reset control (0xcf9) ------------------------------------------- */

/* QEMU's piix3-reset-control: bit 1 chooses a hard reset, bit 2 resets;
 * the register keeps bit 1.  Placed at priority 1 inside pci-conf-idx's
 * window, as QEMU does, which also splits its coalesced range. */
static uint64_t piix_rcr_read(void *opaque, hwaddr addr, unsigned size)
{
    return ((GmPcBoard *)opaque)->piix_rcr;
}

static void piix_rcr_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
    GmPcBoard *b = opaque;
    if (val & 4) {
        if (b->cfg.reset) {
            b->cfg.reset(b->cfg.opaque);
        }
        return;
    }
    b->piix_rcr = (uint8_t)(val & 2);
}

static const MemoryRegionOps piix_rcr_ops = {
    .read = piix_rcr_read,
    .write = piix_rcr_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

/* --- port 92, debug consoles, debug exit --------------------------------- */

static uint64_t port92_read(void *opaque, hwaddr addr, unsigned size)
{
    return ((GmPcBoard *)opaque)->port92;
}

static void port92_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    GmPcBoard *b = opaque;
    uint8_t old = b->port92;
    b->port92 = (uint8_t)val;
    if ((val & 1) && !(old & 1) && b->cfg.reset) {
        b->cfg.reset(b->cfg.opaque);
    }
}

static const MemoryRegionOps port92_ops = {
    .read = port92_read,
    .write = port92_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

#define DEBUGCON_READBACK 0xe9 /* what SeaBIOS checks for */

static uint64_t debugcon_read(void *opaque, hwaddr addr, unsigned size)
{
    return DEBUGCON_READBACK;
}

static void debugcon_write(GmPcBoard *b, uint16_t port, uint64_t val)
{
    if (b->cfg.console) {
        b->cfg.console(b->cfg.opaque, port, (uint8_t)val);
    }
}

static void debugcon_e9_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    debugcon_write(opaque, 0xe9, val);
}

static void debugcon_402_write(void *opaque, hwaddr addr, uint64_t val,
                               unsigned size)
{
    debugcon_write(opaque, 0x402, val);
}

static const MemoryRegionOps debugcon_e9_ops = {
    .read = debugcon_read,
    .write = debugcon_e9_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static const MemoryRegionOps debugcon_402_ops = {
    .read = debugcon_read,
    .write = debugcon_402_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static uint64_t debug_exit_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void debug_exit_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    GmPcBoard *b = opaque;
    if (b->cfg.exit) {
        b->cfg.exit(b->cfg.opaque, (uint32_t)(val << 1) | 1);
    }
}

static const MemoryRegionOps debug_exit_ops = {
    .read = debug_exit_read,
    .write = debug_exit_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

/* --- placing it all ------------------------------------------------------------ */

static bool place(GmPcBoard *b, MemoryRegion *mr, const MemoryRegionOps *ops,
                  const char *name, hwaddr port, uint64_t size, Error **errp)
{
    memory_region_init_io(mr, NULL, ops, b, name, size);
    if (gm_memory_region_add_subregion(get_system_io(), port, mr, 0, errp)) {
        gm_memory_region_destroy(mr, NULL);
        return false;
    }
    b->placed[b->nplaced++] = mr;
    return true;
}

/* The ports the board takes must be free: a second board, or a user's
 * device there, would silently lose to or shadow ours. */
static bool ports_free(Error **errp)
{
    static const hwaddr ports[] = { 0x70,  0x92,  0xe9,  0xf4,
                                    0x402, 0x510, 0xcf8, 0xcfc };
    MemoryRegion *io = get_system_io();
    for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
        MemoryRegionSection s = memory_region_find(io, ports[i], 1);
        if (s.mr && s.mr != io) {
            memory_region_unref(s.mr);
            gm_error_setg(errp, GM_ERR_IN_USE,
                          "I/O port 0x%" PRIx64 " is taken by '%s'", ports[i],
                          memory_region_name(s.mr));
            return false;
        }
        if (s.mr) {
            memory_region_unref(s.mr);
        }
    }
    return true;
}

static void unplace(GmPcBoard *b)
{
    memory_region_transaction_begin();
    if (b->rtc_index.container) {
        gm_memory_region_del_subregion(&b->rtc, &b->rtc_index, NULL);
    }
    for (size_t i = b->nplaced; i-- > 0;) {
        gm_memory_region_del_subregion(get_system_io(), b->placed[i], NULL);
    }
    memory_region_transaction_commit();
    for (size_t i = b->nplaced; i-- > 0;) {
        gm_memory_region_destroy(b->placed[i], NULL);
    }
    gm_memory_region_destroy(&b->rtc_index, NULL); /* NULL error: unmade */
    b->nplaced = 0;
}

static bool build(GmPcBoard *b, Error **errp)
{
    /* QEMU's pc map: the i440fx's configuration ports coalesce writes to
     * the address register and flush before the data register. */
    if (!place(b, &b->conf_idx, &gm__pci_conf_idx_ops, "pci-conf-idx", 0xcf8, 4,
               errp) ||
        !place(b, &b->conf_data, &gm__pci_conf_data_ops, "pci-conf-data", 0xcfc,
               4, errp)) {
        return false;
    }
    memory_region_add_coalescing(&b->conf_idx, 0, 4);
    memory_region_set_flush_coalesced(&b->conf_data);
    if (gm_pc_chipset(b->pc) == GM_PC_Q35) {
        /* ICH9's reset control sits inside pci-conf-idx, above it. */
        memory_region_init_io(&b->lpc_reset, NULL, &gm__lpc_rst_cnt_ops, b,
                              "lpc-reset-control", 1);
        if (gm_memory_region_add_subregion(get_system_io(), 0xcf9,
                                           &b->lpc_reset, 1, errp)) {
            gm_memory_region_destroy(&b->lpc_reset, NULL);
            return false;
        }
        b->placed[b->nplaced++] = &b->lpc_reset;
    } else {
        memory_region_init_io(&b->piix_reset, NULL, &piix_rcr_ops, b,
                              "piix3-reset-control", 1);
        if (gm_memory_region_add_subregion(get_system_io(), 0xcf9,
                                           &b->piix_reset, 1, errp)) {
            gm_memory_region_destroy(&b->piix_reset, NULL);
            return false;
        }
        b->placed[b->nplaced++] = &b->piix_reset;
    }
    if (!place(b, &b->rtc, &rtc_ops, "rtc", 0x70, 2, errp)) {
        return false;
    }
    /* QEMU's RTC: writes to the index port (rtc-index, the same callbacks)
     * are coalesced, and the data port flushes them first. */
    memory_region_init_io(&b->rtc_index, NULL, &rtc_ops, b, "rtc-index", 1);
    if (gm_memory_region_add_subregion(&b->rtc, 0, &b->rtc_index, 0, errp)) {
        return false;
    }
    memory_region_add_coalescing(&b->rtc_index, 0, 1);
    memory_region_set_flush_coalesced(&b->rtc);
    return place(b, &b->port92_mr, &port92_ops, "port92", 0x92, 1, errp) &&
           place(b, &b->fw_comb, &gm__fw_cfg_comb_ops, "fwcfg", 0x510, 2,
                 errp) &&
           place(b, &b->fw_dma, &gm__fw_cfg_dma_ops, "fwcfg.dma", 0x514, 8,
                 errp) &&
           place(b, &b->debugcon_e9, &debugcon_e9_ops, "isa-debugcon", 0xe9, 1,
                 errp) &&
           place(b, &b->debugcon_402, &debugcon_402_ops, "isa-debugcon", 0x402,
                 1, errp) &&
           place(b, &b->debug_exit, &debug_exit_ops, "isa-debug-exit", 0xf4, 4,
                 errp);
}

/* What is not in the I/O space: the RCRB (in the system memory while
 * RCBA enables it), the machine's way to bus 0, fw_cfg's files. */
static void free_rest(GmPcBoard *b)
{
    if (b->rcrb.container) {
        gm_memory_region_del_subregion(b->rcrb.container, &b->rcrb, NULL);
    }
    gm_memory_region_destroy(&b->rcrb, NULL);
    gm__pc_set_pci_bus(b->pc, NULL, NULL, NULL);
    gm__q35_set_bus_master(b->pc, 0xf8, false);
    gm__fw_cfg_free(b);
    free(b);
}

GmPcBoard *gm_pc_board_new(GmPcMachine *pc, const GmPcBoardConfig *cfg,
                           Error **errp)
{
    if (!pc) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG, "no PC machine");
        return NULL;
    }
    if (!ports_free(errp)) {
        return NULL;
    }
    GmPcBoard *b = calloc(1, sizeof(*b));
    if (!b) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    b->pc = pc;
    if (cfg) {
        b->cfg = *cfg;
    }
    /* q35: the LPC bridge's chipset configuration block, placed in the
     * system memory when firmware programs RCBA. */
    memory_region_init_io(&b->rcrb, NULL, &gm__lpc_rcrb_ops, b, "lpc-rcrb-mmio",
                          GM_RCRB_SIZE);
    gm__pci_host_init(b);
    cmos_init(b);
    if (!gm__fw_cfg_init(b, errp)) {
        free_rest(b);
        return NULL;
    }
    memory_region_transaction_begin();
    bool ok = build(b, errp);
    memory_region_transaction_commit();
    if (!ok) {
        unplace(b);
        free_rest(b);
        return NULL;
    }
    return b;
}

void gm_pc_board_free(GmPcBoard *b)
{
    if (!b) {
        return;
    }
    memory_region_clear_coalescing(&b->conf_idx);
    memory_region_clear_coalescing(&b->rtc_index);
    unplace(b);
    free_rest(b);
}
