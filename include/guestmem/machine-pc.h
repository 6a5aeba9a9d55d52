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
 */
#ifndef GUESTMEM_MACHINE_PC_H
#define GUESTMEM_MACHINE_PC_H

#include <guestmem/address-space.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * GmPcConfig: what `-M TYPE[,max-ram-below-4g=SIZE] -m SIZE [-bios FILE]`
 * says.  Fill it with gm_pc_config_parse(), or by hand.
 * @ram_size: guest RAM in bytes (QEMU's default is 128 MiB).
 * @max_ram_below_4g: 0 for QEMU's default (3.5 GiB); at most 4 GiB.
 * @gigabyte_align: true for `pc` and new types, false for pc-i440fx-1.7.
 * @bios_path: the firmware image; NULL for the machine type's default
 *             (Debian's seabios: bios-256k.bin, or bios.bin for 1.7).
 * @machine_type: the canonical type name, for messages.
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
} GmPcConfig;

/** GM_PC_BIOS_DIR: where the default firmware images are looked up. */
#define GM_PC_BIOS_DIR "/usr/share/seabios"

/**
 * gm_pc_config_parse: fill @cfg from a machine spec such as "pc",
 * "pc-i440fx-1.7" or "pc,max-ram-below-4g=2G", and @ram_size.
 * Known types: pc, pc-i440fx-1.7, pc-i440fx-2.0 .. pc-i440fx-7.2.
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
 * shows SMRAM to every CPU, G_SMRAME (bit 3) enables it for SMM.
 */
GM_API void gm_pc_set_smram(GmPcMachine *pc, uint8_t smram);

/** GmE820Entry: one line of the BIOS e820 table. */
typedef struct GmE820Entry {
    uint64_t address;
    uint64_t length;
    uint32_t type; /* 1 RAM, 2 reserved */
} GmE820Entry;

/**
 * gm_pc_e820: the e820 table QEMU gives the firmware for this map.
 * Return: the number of entries; at most @max are stored in @out.
 */
GM_API size_t gm_pc_e820(const GmPcMachine *pc, GmE820Entry *out, size_t max);

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_MACHINE_PC_H */
