/* SPDX-License-Identifier: MIT */
/*
 * guestmem/machine-pc.h - the memory map of QEMU's PC machine (i440fx).
 *
 * Builds, in the system memory and I/O regions, what QEMU 7.2's pc_init1()
 * and pc_memory_init() build for the `memory` address space: `pc.ram` split
 * at `lowmem` into the `ram-below-4g` and `ram-above-4g` aliases, the `pci`
 * container at priority -1, the BIOS image as `pc.bios` just below 4 GiB with
 * its last 128 KiB aliased as `isa-bios` below 1 MiB, the `pc.rom` option ROM
 * area, the i440fx's PAM aliases and SMRAM regions in their reset state, and
 * the chipset's fixed MMIO windows (ioapic, hpet, apic-msi).  The devices
 * behind those windows are out of scope: their regions read 0 and ignore
 * writes.  Also the `cpu-memory-0` and `cpu-smm-0` address spaces and the
 * e820 table.
 *
 * The RAM split (QEMU's rule):
 *   lowmem = max-ram-below-4g (default 3.5 GiB);
 *   if ram >= lowmem-limit and the machine type aligns to gigabytes (all but
 *   pc-i440fx-1.7 and older), lowmem = min(lowmem, 3 GiB);
 *   below = min(ram, lowmem); above = ram - below, mapped at 4 GiB.
 *
 * The same machine with the q35 chipset (`q35`, pc-q35-2.4 .. 7.2) is QEMU
 * 7.2's pc_q35_init with the Q35 host bridge (MCH, 00:00.0, 8086:29c0):
 * the same RAM, firmware, PCI window and PAM, then the MCH's smram-region,
 * smram-open-high (0xfeda0000), the smram container (smram-low, smram-high,
 * tseg-window, smbase-window), tseg-blackhole and smbase-blackhole, the
 * MMCONFIG window `pcie-mmcfg-mmio` that PCIEXBAR maps, and the bus-master
 * address spaces of bus 0 (mch, ICH9-LPC, ich9-ahci, ICH9-SMB).  The MCH's
 * configuration registers (gm_pc_mch_config_write) reshape the map as in
 * QEMU.  Its RAM split:
 *   lowmem = 2 GiB if ram >= 2.75 GiB (0xb0000000), else 2.75 GiB;
 *   lowmem = min(lowmem, max-ram-below-4g (default 4 GiB));
 *   below = min(ram, lowmem); above = ram - below, mapped at 4 GiB.
 */
#ifndef GUESTMEM_MACHINE_PC_H
#define GUESTMEM_MACHINE_PC_H

#include <guestmem/address-space.h>

#ifdef __cplusplus
extern "C" {
#endif

/** GmPcChipset: the host bridge and south bridge of a PC machine. */
typedef enum GmPcChipset {
    GM_PC_I440FX = 0, /* `pc`: i440fx + PIIX3 */
    GM_PC_Q35 = 1,    /* `q35`: Q35 MCH + ICH9 */
} GmPcChipset;

/**
 * GmPcConfig: what `-M TYPE[,max-ram-below-4g=SIZE][,smm=on|off]
 * -m SIZE [-bios FILE]` says.  Fill it with gm_pc_config_parse(), or by hand.
 * @ram_size: guest RAM in bytes (QEMU's default is 128 MiB).
 * @max_ram_below_4g: 0 for QEMU's default (3.5 GiB); at most 4 GiB.
 * @gigabyte_align: true for `pc` and new types, false for pc-i440fx-1.7
 *                  (the i440fx split only).
 * @bios_path: the firmware image; NULL for the machine type's default
 *             (Debian's seabios: bios-256k.bin, or bios.bin for 1.7).
 * @machine_type: the canonical type name, for messages (a constant of the
 *   library: it stays valid whatever is parsed later).
 */
typedef struct GmPcConfig {
    uint64_t ram_size;
    uint64_t max_ram_below_4g;
    bool gigabyte_align;
    const char *bios_path;
    const char *machine_type;
    /* A firmware image in memory, used instead of @bios_path when not NULL
     * (copied; the same size rules apply). */
    const void *bios_image;
    size_t bios_image_size;
    /* Where pc.ram's host memory comes from (its size is @ram_size); NULL:
     * anonymous memory, as memory_region_init_ram(). */
    const struct GmBackendConfig *ram_backend;
    /* The chipset (0, the i440fx, when filled by hand without it). */
    GmPcChipset chipset;
    /* smm=off (on pc or q35).  Recorded only: QEMU 7.2 builds the same
     * map (the i440fx's smram-region and smram container, the MCH's SMRAM
     * regions, and cpu-smm-0 exist either way). */
    bool smm_off;
    /* The q35 compatibility switches of older machine types that change
     * the map (false: QEMU 7.2's behaviour):
     * @q35_no_smbase_smram: pc-q35-4.2 and older ("smbase-smram=off"):
     *   F_SMBASE (0x9c) is a plain register; smbase-blackhole and
     *   smbase-window exist but never turn on.
     * @q35_no_ext_tseg: pc-q35-2.9 and older ("extended-tseg-mbytes=0"):
     *   0x50 does not answer the 0xffff query, and ESMRAMC's TSEG size 3
     *   means 0 MiB instead of 16. */
    bool q35_no_smbase_smram;
    bool q35_no_ext_tseg;
} GmPcConfig;

/** GM_PC_MACHINE_TYPES: the machine types gm_pc_config_parse() knows, as
 * one line for help texts and messages (the one list: the CLI prints it). */
#define GM_PC_MACHINE_TYPES                                              \
    "pc, pc-i440fx-1.4 .. pc-i440fx-7.2, q35, pc-q35-2.4 .. pc-q35-7.2 " \
    "(and pc-q35-4.0.1)"

/** GM_PC_BIOS_DIR: where the default firmware images are looked up. */
#define GM_PC_BIOS_DIR "/usr/share/seabios"

/**
 * gm_pc_config_parse: fill @cfg from a machine spec such as "pc",
 * "pc-i440fx-1.7", "q35,smm=off", "pc,smm=off" or
 * "pc,max-ram-below-4g=2G", and @ram_size.  Known types: pc, pc-i440fx-1.4 .. pc-i440fx-7.2, q35,
 * pc-q35-2.4 .. pc-q35-7.2 (and pc-q35-4.0.1); options max-ram-below-4g=SIZE
 * and smm=on|off|auto.
 * Errors: GM_ERR_NOT_FOUND (unknown type), GM_ERR_PARSE (bad option or
 * size), GM_ERR_INVALID_ARG (max-ram-below-4g above 4 GiB, RAM of 0 bytes).
 * @cfg is untouched on error.
 */
GM_API int gm_pc_config_parse(GmPcConfig *cfg, const char *spec,
                              uint64_t ram_size, Error **errp);

/** GmPcMachine: a built PC memory map.  Opaque. */
typedef struct GmPcMachine GmPcMachine;

/**
 * gm_pc_machine_new: build the map of @cfg into get_system_memory() and
 * get_system_io(), and create the cpu-memory-0 and cpu-smm-0 address spaces.
 * The BIOS file is read into `pc.bios`.
 * Errors: GM_ERR_IO (BIOS unreadable), GM_ERR_INVALID_ARG (BIOS size 0, not
 * a multiple of 64 KiB, or over 16 MiB; RAM that does not fit), GM_ERR_IN_USE
 * (the system memory already holds regions: one PC machine per process),
 * GM_ERR_NO_MEMORY.  On error nothing is left behind.
 * Ownership: free with gm_pc_machine_free().  Context: update side.
 */
GM_API GmPcMachine *gm_pc_machine_new(const GmPcConfig *cfg, Error **errp);

/** gm_pc_machine_free: remove and destroy everything the machine built.
 * NULL is a no-op. */
GM_API void gm_pc_machine_free(GmPcMachine *pc);

/** gm_pc_below_4g/above_4g: the RAM split of the machine, in bytes. */
GM_API uint64_t gm_pc_below_4g(const GmPcMachine *pc);
GM_API uint64_t gm_pc_above_4g(const GmPcMachine *pc);

/** gm_pc_ram: the `pc.ram` region (host memory of all guest RAM). */
GM_API MemoryRegion *gm_pc_ram(GmPcMachine *pc);

/**
 * gm_pc_set_pam: program PAM segment @idx (0: 0xf0000-0xfffff, 1-12: the
 * 16 KiB segments from 0xc0000) to @attr: 0 PCI, 1 read-only (reads RAM,
 * writes go to PCI), 2 write-only, 3 RAM.  As the i440fx's PAM registers do.
 * Errors: GM_ERR_INVALID_ARG for @idx > 12 or @attr > 3.
 */
GM_API int gm_pc_set_pam(GmPcMachine *pc, unsigned idx, unsigned attr,
                         Error **errp);

/**
 * gm_pc_set_smram: apply an i440fx SMRAM register value: D_OPEN (bit 6)
 * shows SMRAM to every CPU, G_SMRAME (bit 3) enables it for SMM.  On q35
 * this writes the MCH's SMRAM register (0x9d) through
 * gm_pc_mch_config_write(), with the MCH's rules.
 */
GM_API void gm_pc_set_smram(GmPcMachine *pc, uint8_t smram);

/** GmE820Entry: one line of the BIOS e820 table. */
typedef struct GmE820Entry {
    uint64_t address;
    uint64_t length;
    uint32_t type; /* 1 RAM, 2 reserved */
} GmE820Entry;

/**
 * gm_pc_e820: the e820 table QEMU gives the firmware for this map
 * (fw_cfg's etc/e820: the RAM below and above 4 GiB).
 * Return: the number of entries; at most @max are stored in @out.
 */
GM_API size_t gm_pc_e820(const GmPcMachine *pc, GmE820Entry *out, size_t max);

/**
 * gm_pc_e820_reserved: the chipset's windows that firmware reserves in the
 * e820 table it gives the OS (type 2), in the chipset's current state.
 * q35: the MMCONFIG window where PCIEXBAR puts it (SeaBIOS and OVMF enable
 * it at its reset address, 0xb0000000, 256 MiB; while it is disabled this
 * reports that address and PCIEXBAR's length), then TSEG when ESMRAMC
 * enables it (the top of the RAM below 4 GiB).  The i440fx: none.
 * Return: the number of entries; at most @max are stored in @out.
 */
GM_API size_t gm_pc_e820_reserved(const GmPcMachine *pc, GmE820Entry *out,
                                  size_t max);

/** gm_pc_chipset: the machine's chipset (GM_PC_I440FX for NULL). */
GM_API GmPcChipset gm_pc_chipset(const GmPcMachine *pc);

/**
 * gm_pc_mch_config_read / _write: the q35 MCH's configuration space
 * (00:00.0, 256 bytes; @size 1, 2 or 4 at @reg, cut at the end of the
 * space), as a guest reaches it through 0xcf8/0xcfc or MMCONFIG.  Reset
 * contents and write masks are QEMU 7.2's; a write takes effect at once,
 * in one transaction, as in QEMU's mch_write_config:
 *   0x04     command: bit 2 enables the "mch" bus-master address space;
 *   0x50     extended TSEG size in MiB: writing 0xffff reads back 16
 *            (0 on pc-q35-2.9 and older);
 *   0x60-67  PCIEXBAR: bit 0 maps `pcie-mmcfg-mmio` at bits 35:28 (for
 *            every length, as QEMU 7.2 does), 256, 128 or 64 MiB long by
 *            bits 2:1 (3 is reserved and changes nothing); reads and
 *            writes there reach the configuration space of bus 0;
 *   0x90-96  PAM0-6, as the i440fx's PAM;
 *   0x9c     F_SMBASE: 0xff asks, then bit 1 locks SMRAM at SMBASE
 *            (smbase-blackhole, smbase-window) on 4.2-and-newer types;
 *   0x9d     SMRAM: D_OPEN, D_CLS, D_LCK (locks D_OPEN and ESMRAMC),
 *            G_SMRAME;
 *   0x9e     ESMRAMC: H_SMRAME (SMRAM at 0xfeda0000), TSEG size, T_EN
 *            (tseg-blackhole and tseg-window below the top of low RAM).
 * On a machine that is not q35 the read returns all ones and the write
 * does nothing.  Context: update side (the vCPU thread in `guestmem run`).
 */
GM_API uint32_t gm_pc_mch_config_read(GmPcMachine *pc, unsigned reg,
                                      unsigned size);
GM_API void gm_pc_mch_config_write(GmPcMachine *pc, unsigned reg, uint32_t val,
                                   unsigned size);

/**
 * gm_pc_mmcfg: where the q35 MMCONFIG window is mapped.
 * Return: true with @base and @size set while PCIEXBAR enables it; false
 * otherwise (and on the i440fx).
 */
GM_API bool gm_pc_mmcfg(const GmPcMachine *pc, uint64_t *base, uint64_t *size);

/** gm_pc_tseg_size: the q35 TSEG size ESMRAMC enables now, 0 if none. */
GM_API uint64_t gm_pc_tseg_size(const GmPcMachine *pc);

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_MACHINE_PC_H */
