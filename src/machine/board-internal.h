/* SPDX-License-Identifier: MIT */
/*
 * machine/board-internal.h - the PC board's state, shared by its device
 * files: pci-host.c (configuration mechanism #1, i440fx, PIIX3; on q35 the
 * MCH through the machine), ich9-lpc.c (q35's LPC bridge), fw-cfg.c and
 * pc-board.c (CMOS, port 92, debug console and exit, setup).
 */
#ifndef GUESTMEM_MACHINE_BOARD_INTERNAL_H
#define GUESTMEM_MACHINE_BOARD_INTERNAL_H

#include <guestmem/pc-board.h>

#define PCI_CONFIG_SPACE 256

typedef struct PciFunction {
    bool present;
    uint8_t config[PCI_CONFIG_SPACE];
    uint8_t wmask[PCI_CONFIG_SPACE];   /* bits the guest can write */
    uint8_t w1cmask[PCI_CONFIG_SPACE]; /* bits a 1 clears */
    /* Called after a write that touched [reg, reg + size). */
    void (*written)(GmPcBoard *board, unsigned reg, unsigned size);
    /* The same, with the configuration space as it was before it. */
    void (*written_before)(GmPcBoard *board, unsigned reg, unsigned size,
                           const uint8_t *before);
} PciFunction;

#define GM_RCRB_SIZE 0x4000 /* ICH9's chipset configuration block */

typedef struct FwCfgFile {
    char name[56];
    uint8_t *data;
    uint32_t len;
} FwCfgFile;

typedef struct FwCfgItem {
    uint16_t key;
    const uint8_t *data; /* points into the board; not owned */
    uint32_t len;
} FwCfgItem;

struct GmPcBoard {
    GmPcMachine *pc;
    GmPcBoardConfig cfg;
    /* PCI */
    uint32_t pci_conf_reg;
    PciFunction i440fx, piix3;
    MemoryRegion conf_idx, conf_data;
    /* q35: the ICH9 LPC bridge (00:1f.0), its reset control and RCRB */
    PciFunction lpc;
    MemoryRegion lpc_reset, rcrb;
    uint8_t rst_cnt;
    uint8_t rcrb_bytes[GM_RCRB_SIZE];
    /* CMOS */
    uint8_t cmos[128];
    uint8_t cmos_index;
    MemoryRegion rtc, rtc_index;
    MemoryRegion piix_reset; /* i440fx machines: PIIX3's reset control */
    uint8_t piix_rcr;
    /* small ISA devices */
    uint8_t port92;
    MemoryRegion port92_mr, debugcon_e9, debugcon_402, debug_exit;
    /* fw_cfg */
    MemoryRegion fw_comb, fw_dma;
    uint16_t fw_select;
    uint32_t fw_offset;
    uint64_t fw_dma_addr;
    FwCfgFile *files;
    size_t nfiles;
    uint8_t *file_dir;
    uint32_t file_dir_len;
    uint8_t fw_id[4], fw_ram_size[8], fw_nb_cpus[2], fw_max_cpus[2];
    uint8_t fw_uuid[16], fw_numa[16], fw_irq0[4], fw_zero16[2];
    uint8_t fw_hpet[1 + 8 * 15];
    /* What pc-board.c placed, for removal. */
    MemoryRegion *placed[16];
    size_t nplaced;
};

/* pci-host.c */
void gm__pci_host_init(GmPcBoard *b);
extern const MemoryRegionOps gm__pci_conf_idx_ops, gm__pci_conf_data_ops;

/* ich9-lpc.c */
void gm__ich9_lpc_init(GmPcBoard *b);
extern const MemoryRegionOps gm__lpc_rst_cnt_ops, gm__lpc_rcrb_ops;

/* fw-cfg.c */
bool gm__fw_cfg_init(GmPcBoard *b, Error **errp);
void gm__fw_cfg_free(GmPcBoard *b);
extern const MemoryRegionOps gm__fw_cfg_comb_ops, gm__fw_cfg_dma_ops;

#endif
