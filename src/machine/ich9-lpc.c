// SPDX-License-Identifier: MIT
/*
 * machine/ich9-lpc.c - the q35 board's ICH9 LPC bridge (00:1f.0,
 * 8086:2918): its configuration space, the reset control register at port
 * 0xcf9 (`lpc-reset-control`, priority 1 over `pci-conf-idx`, as in QEMU),
 * and its root complex register block: RCBA (0xf0) maps `lpc-rcrb-mmio`
 * (16 KiB of chipset configuration, priority 1) into the system memory
 * where firmware puts it, as QEMU's ich9_lpc_rcba_update does.
 *
 * Reset contents, write masks and the RCRB's reset bytes were read from a
 * live QEMU 7.2 over qtest.  Out of scope: the power management I/O space
 * that PMBASE/ACPI_CTRL place (ich9-pm), interrupt routing, SMI.
 */
#include "board-internal.h"
#include "pc-internal.h"

#define LPC_DEVFN 0xf8
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MASTER 0x04
#define PCI_STATUS 0x06
#define LPC_PMBASE 0x40
#define LPC_GEN_PMCON_1 0xa0
#define LPC_GEN_PMCON_1_SMI_LOCK 0x10
#define LPC_RCBA 0xf0
#define LPC_RCBA_EN 0x1u
#define LPC_RCBA_BA_MASK 0xffffc000u
#define RST_CNT_CPU 0x04  /* reset now */
#define RST_CNT_KEEP 0x0a /* FULL_RST, SYS_RST */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static bool overlaps(unsigned reg, unsigned size, unsigned start, unsigned len)
{
    return reg < start + len && start < reg + size;
}

/* RCBA moved or turned on/off: the block leaves its old place and takes
 * the new one (a re-add even where nothing moved). */
static void rcba_update(GmPcBoard *b, uint32_t old)
{
    uint32_t rcba = get32(b->lpc.config + LPC_RCBA);
    MemoryRegion *system = get_system_memory();
    memory_region_transaction_begin();
    if ((old & LPC_RCBA_EN) && b->rcrb.container) {
        memory_region_del_subregion(system, &b->rcrb);
    }
    if (rcba & LPC_RCBA_EN) {
        gm_memory_region_add_subregion(system, rcba & LPC_RCBA_BA_MASK,
                                       &b->rcrb, 1, NULL);
    }
    memory_region_transaction_commit();
}

static void lpc_written(GmPcBoard *b, unsigned reg, unsigned size,
                        const uint8_t *before)
{
    uint8_t *c = b->lpc.config;
    if (overlaps(reg, size, PCI_COMMAND, 2)) {
        gm__q35_set_bus_master(b->pc, LPC_DEVFN,
                               c[PCI_COMMAND] & PCI_COMMAND_MASTER);
    }
    if (overlaps(reg, size, LPC_RCBA, 4)) {
        rcba_update(b, get32(before + LPC_RCBA));
    }
    /* SMI_LOCK: once set it stays set until reset. */
    if (c[LPC_GEN_PMCON_1] & LPC_GEN_PMCON_1_SMI_LOCK) {
        b->lpc.wmask[LPC_GEN_PMCON_1] &= (uint8_t)~LPC_GEN_PMCON_1_SMI_LOCK;
    }
}

void gm__ich9_lpc_init(GmPcBoard *b)
{
    PciFunction *f = &b->lpc;
    memset(f, 0, sizeof(*f));
    f->present = true;
    uint8_t *c = f->config, *w = f->wmask;
    put16(c + 0x00, 0x8086);
    put16(c + 0x02, 0x2918);
    c[0x08] = 0x02;          /* revision */
    put16(c + 0x0a, 0x0601); /* ISA bridge */
    c[0x0e] = 0x80;          /* multi-function */
    put16(c + 0x2c, 0x1af4);
    put16(c + 0x2e, 0x1100);
    c[LPC_PMBASE] = 0x01;      /* an I/O space indicator */
    memset(c + 0x60, 0x80, 4); /* PIRQA-D routing: disabled */
    memset(c + 0x68, 0x80, 4); /* PIRQE-H */
    put16(w + PCI_COMMAND, 0x0507);
    w[0x0c] = 0xff;
    w[0x3c] = 0xff;
    memset(w + 0x40, 0xff, 256 - 0x40);
    w[LPC_PMBASE] = 0x87;
    w[LPC_PMBASE + 2] = 0;
    w[LPC_PMBASE + 3] = 0;
    put16(f->w1cmask + PCI_STATUS, 0xf900);
    f->written_before = lpc_written;

    /* The chipset configuration registers' reset values: the device
     * interrupt routes of D25-D31 and GCS. */
    memset(b->rcrb_bytes, 0, sizeof(b->rcrb_bytes));
    put32(b->rcrb_bytes + 0x3140, 0x00003210);
    put32(b->rcrb_bytes + 0x3144, 0x32103210);
    put32(b->rcrb_bytes + 0x3148, 0x00003210);
    put32(b->rcrb_bytes + 0x314c, 0x00003210);
    put32(b->rcrb_bytes + 0x3150, 0x00003210);
    put32(b->rcrb_bytes + 0x3410, 0x00000020);
    b->rst_cnt = 0;
}

/* --- 0xcf9: reset control -------------------------------------------------- */

static uint64_t rst_cnt_read(void *opaque, hwaddr addr, unsigned size)
{
    return ((GmPcBoard *)opaque)->rst_cnt;
}

static void rst_cnt_write(void *opaque, hwaddr addr, uint64_t val,
                          unsigned size)
{
    GmPcBoard *b = opaque;
    if (val & RST_CNT_CPU) {
        if (b->cfg.reset) {
            b->cfg.reset(b->cfg.opaque);
        }
        return;
    }
    b->rst_cnt = (uint8_t)(val & RST_CNT_KEEP);
}

const MemoryRegionOps gm__lpc_rst_cnt_ops = {
    .read = rst_cnt_read,
    .write = rst_cnt_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

/* --- the root complex register block ------------------------------------- */

/* Offsets wrap within the 16 KiB and an access is cut at its end. */
static unsigned rcrb_span(hwaddr *addr, unsigned size)
{
    *addr &= GM_RCRB_SIZE - 1;
    return *addr + size >= GM_RCRB_SIZE ? (unsigned)(GM_RCRB_SIZE - *addr)
                                        : size;
}

static uint64_t rcrb_read(void *opaque, hwaddr addr, unsigned size)
{
    GmPcBoard *b = opaque;
    unsigned n = rcrb_span(&addr, size);
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)b->rcrb_bytes[addr + i] << (8 * i);
    }
    return v;
}

static void rcrb_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    GmPcBoard *b = opaque;
    unsigned n = rcrb_span(&addr, size);
    for (unsigned i = 0; i < n; i++) {
        b->rcrb_bytes[addr + i] = (uint8_t)(val >> (8 * i));
    }
}

const MemoryRegionOps gm__lpc_rcrb_ops = {
    .read = rcrb_read,
    .write = rcrb_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};
