// SPDX-License-Identifier: MIT
/*
 * machine/pci-host.c - PCI configuration mechanism #1 on ports 0xcf8/0xcfc
 * and the two functions of the pc machine's bus 0 that firmware needs: the
 * i440fx host bridge (00:00.0), whose PAM and SMRAM registers reshape the
 * memory map, and the PIIX3 ISA bridge (00:01.0).  On q35, 00:00.0 is the
 * MCH, whose configuration space the machine keeps (q35.c), and 00:1f.0
 * the ICH9 LPC bridge (ich9-lpc.c); the machine's MMCONFIG window reaches
 * the same functions through gm_pc_pci_config_read/_write.
 *
 * Reset contents are QEMU 7.2's, read from a live QEMU over qtest; write
 * masks follow QEMU's pci_init_wmask (command bits, cache line size,
 * interrupt line, and all of the device-specific space 0x40-0xff) and its
 * write-1-to-clear status bits.
 */
#include "board-internal.h"
#include "pc-internal.h"

#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_CACHE_LINE_SIZE 0x0c
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_HEADER_SIZE 0x40

#define I440FX_PAM 0x59
#define I440FX_PAM_SIZE 7
#define I440FX_SMRAM 0x72
#define I440FX_RAM_SIZE_BYTE 0x57 /* RAM in 8 MiB units, for coreboot */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* What every conventional function of QEMU's has in common. */
static void function_init(PciFunction *f, uint16_t vendor, uint16_t device,
                          uint8_t revision, uint16_t class_id)
{
    memset(f, 0, sizeof(*f));
    f->present = true;
    put16(f->config + 0x00, vendor);
    put16(f->config + 0x02, device);
    f->config[0x08] = revision;
    put16(f->config + 0x0a, class_id);
    /* QEMU's subsystem ids for its machines: Red Hat, QEMU. */
    put16(f->config + 0x2c, 0x1af4);
    put16(f->config + 0x2e, 0x1100);
    f->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    f->wmask[PCI_INTERRUPT_LINE] = 0xff;
    /* I/O, memory, bus master, SERR, INTx disable: QEMU's 0x0507 (its
     * parity-response bit stays 0). */
    put16(f->wmask + PCI_COMMAND, 0x0001 | 0x0002 | 0x0004 | 0x0100 | 0x0400);
    memset(f->wmask + PCI_HEADER_SIZE, 0xff,
           PCI_CONFIG_SPACE - PCI_HEADER_SIZE);
    /* Parity, target and master aborts, system error, detected parity. */
    put16(f->w1cmask + PCI_STATUS, 0xf900);
}

static bool overlaps(unsigned reg, unsigned size, unsigned start, unsigned len)
{
    return reg < start + len && start < reg + size;
}

/* The i440fx's PAM nibbles: segment 0 (0xf0000) is the high nibble of 0x59,
 * then the 16 KiB segments from 0xc0000 take the low and high nibbles of
 * 0x5a..0x5f in turn. */
static unsigned pam_attr(const uint8_t *config, unsigned seg)
{
    uint8_t reg = config[I440FX_PAM + (seg + 1) / 2];
    return (seg & 1 ? reg : reg >> 4) & 3;
}

static void i440fx_written(GmPcBoard *b, unsigned reg, unsigned size)
{
    if (!overlaps(reg, size, I440FX_PAM, I440FX_PAM_SIZE) &&
        !overlaps(reg, size, I440FX_SMRAM, 1)) {
        return;
    }
    /* One transaction, as QEMU's i440fx_update_memory_mappings. */
    memory_region_transaction_begin();
    for (unsigned seg = 0; seg < 13; seg++) {
        gm_pc_set_pam(b->pc, seg, pam_attr(b->i440fx.config, seg), NULL);
    }
    gm_pc_set_smram(b->pc, b->i440fx.config[I440FX_SMRAM]);
    memory_region_transaction_commit();
}

static uint32_t bus0_read(void *opaque, unsigned devfn, unsigned reg,
                          unsigned size)
{
    return gm_pc_pci_config_read(opaque, devfn, reg, size);
}

static void bus0_write(void *opaque, unsigned devfn, unsigned reg, uint32_t val,
                       unsigned size)
{
    gm_pc_pci_config_write(opaque, devfn, reg, val, size);
}

void gm__pci_host_init(GmPcBoard *b)
{
    if (gm_pc_chipset(b->pc) == GM_PC_Q35) {
        gm__ich9_lpc_init(b);
        gm__pc_set_pci_bus(b->pc, bus0_read, bus0_write, b);
        return;
    }
    PciFunction *h = &b->i440fx;
    function_init(h, 0x8086, 0x1237, 0x02, 0x0600);
    h->config[I440FX_SMRAM] = 0x02;
    uint64_t ram = gm_pc_below_4g(b->pc) + gm_pc_above_4g(b->pc);
    uint64_t units = ram / (8u << 20);
    h->config[I440FX_RAM_SIZE_BYTE] = (uint8_t)(units > 255 ? 255 : units);
    h->written = i440fx_written;

    PciFunction *isa = &b->piix3;
    function_init(isa, 0x8086, 0x7000, 0x00, 0x0601);
    put16(isa->config + PCI_STATUS, 0x0200); /* DEVSEL medium */
    isa->config[0x0e] = 0x80;                /* multi-function */
    /* PIIX3 reset values QEMU gives (datasheet defaults): ISA clock, the
     * PIRQ routes disabled, top of memory, SERIRQ and APIC base. */
    isa->config[0x4c] = 0x4d;
    isa->config[0x4e] = 0x03;
    memset(isa->config + 0x60, 0x80, 4);
    isa->config[0x69] = 0x02;
    isa->config[0x70] = 0x80;
    isa->config[0x76] = 0x0c;
    isa->config[0x77] = 0x0c;
    isa->config[0x78] = 0x02;
    isa->config[0xa0] = 0x08;
    isa->config[0xa8] = 0x0f;
}

static PciFunction *function_at(GmPcBoard *b, unsigned devfn)
{
    if (gm_pc_chipset(b->pc) == GM_PC_Q35) {
        return devfn == 0xf8 ? &b->lpc : NULL; /* 00:00.0: the machine's */
    }
    switch (devfn) {
    case 0x00: return &b->i440fx;
    case 0x08: return &b->piix3;
    default: return NULL;
    }
}

/* The bytes [@reg, @reg + @size) of a function's space that exist: QEMU
 * serves unaligned accesses too, and cuts them at the end of the space. */
static unsigned config_len(unsigned reg, unsigned size)
{
    if (reg >= PCI_CONFIG_SPACE || (size != 1 && size != 2 && size != 4)) {
        return 0;
    }
    return reg + size <= PCI_CONFIG_SPACE ? size : PCI_CONFIG_SPACE - reg;
}

uint32_t gm_pc_pci_config_read(GmPcBoard *b, unsigned devfn, unsigned reg,
                               unsigned size)
{
    if (b && devfn == 0 && gm_pc_chipset(b->pc) == GM_PC_Q35) {
        return gm_pc_mch_config_read(b->pc, reg, size);
    }
    PciFunction *f = b ? function_at(b, devfn) : NULL;
    unsigned n = config_len(reg, size);
    if (!f || !n) {
        return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint32_t)f->config[reg + i] << (8 * i);
    }
    return v;
}

void gm_pc_pci_config_write(GmPcBoard *b, unsigned devfn, unsigned reg,
                            uint32_t val, unsigned size)
{
    if (b && devfn == 0 && gm_pc_chipset(b->pc) == GM_PC_Q35) {
        gm_pc_mch_config_write(b->pc, reg, val, size);
        return;
    }
    PciFunction *f = b ? function_at(b, devfn) : NULL;
    unsigned n = config_len(reg, size);
    if (!f || !n) {
        return;
    }
    uint8_t before[PCI_CONFIG_SPACE];
    if (f->written_before) {
        memcpy(before, f->config, sizeof(before));
    }
    for (unsigned i = 0; i < n; i++) {
        uint8_t byte = (uint8_t)(val >> (8 * i));
        uint8_t *c = &f->config[reg + i];
        uint8_t w = f->wmask[reg + i], w1c = f->w1cmask[reg + i];
        *c = (uint8_t)((*c & ~w) | (byte & w));
        *c = (uint8_t)(*c & ~(byte & w1c));
    }
    if (f->written) {
        f->written(b, reg, n);
    }
    if (f->written_before) {
        f->written_before(b, reg, n, before);
    }
}

/* 0xcf8: the address register.  Only whole 32-bit writes set it (QEMU's
 * pci_host_config_write); reads return it. */
static uint64_t conf_idx_read(void *opaque, hwaddr addr, unsigned size)
{
    GmPcBoard *b = opaque;
    /* The whole register at any offset, cut to the access's size (QEMU's
     * pci_host_config_read returns it unshifted). */
    return b->pci_conf_reg;
}

static void conf_idx_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
    GmPcBoard *b = opaque;
    if (addr == 0 && size == 4) {
        b->pci_conf_reg = (uint32_t)val;
    }
}

const MemoryRegionOps gm__pci_conf_idx_ops = {
    .read = conf_idx_read,
    .write = conf_idx_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

/* Decode the address register for an access at 0xcfc + @addr: enabled,
 * bus 0, and the register.  Return: the devfn, or -1. */
static int conf_target(const GmPcBoard *b, hwaddr addr, unsigned *reg)
{
    uint32_t r = b->pci_conf_reg;
    if (!(r & 0x80000000u) || ((r >> 16) & 0xff) != 0) {
        return -1;
    }
    /* Bits 1:0 of the address register count too, as in QEMU: the register
     * is (address | port offset) within the 256-byte space. */
    *reg = (unsigned)((r | (addr & 3)) & 0xff);
    return (int)((r >> 8) & 0xff);
}

static uint64_t conf_data_read(void *opaque, hwaddr addr, unsigned size)
{
    GmPcBoard *b = opaque;
    unsigned reg;
    int devfn = conf_target(b, addr, &reg);
    if (devfn < 0) {
        return ~(uint64_t)0;
    }
    return gm_pc_pci_config_read(b, (unsigned)devfn, reg, size);
}

static void conf_data_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    GmPcBoard *b = opaque;
    unsigned reg;
    int devfn = conf_target(b, addr, &reg);
    if (devfn >= 0) {
        gm_pc_pci_config_write(b, (unsigned)devfn, reg, (uint32_t)val, size);
    }
}

const MemoryRegionOps gm__pci_conf_data_ops = {
    .read = conf_data_read,
    .write = conf_data_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};
