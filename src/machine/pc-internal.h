/* SPDX-License-Identifier: MIT */
/*
 * machine/pc-internal.h - the PC machine's state, shared by the files that
 * build it: pc.c (what both chipsets share: RAM, firmware, the PCI window,
 * PAM, the CPU address spaces, and the i440fx's SMRAM) and q35.c (the Q35
 * MCH: SMRAM/TSEG/SMBASE, PCIEXBAR and its MMCONFIG window, the bus-master
 * address spaces of bus 0).
 */
#ifndef GUESTMEM_MACHINE_PC_INTERNAL_H
#define GUESTMEM_MACHINE_PC_INTERNAL_H

#include "../base.h"

#define GiB (UINT64_C(1) << 30)
#define MiB (UINT64_C(1) << 20)
#define KiB (UINT64_C(1) << 10)

#define PAM_SEGMENTS 13

typedef struct GmQ35 GmQ35;

/* A PCI configuration accessor for bus 0 (devfn, register, size), as the
 * board serves mechanism #1: the q35 MMCONFIG window reaches the same
 * functions through it. */
typedef uint32_t (*GmPciConfigRead)(void *opaque, unsigned devfn, unsigned reg,
                                    unsigned size);
typedef void (*GmPciConfigWrite)(void *opaque, unsigned devfn, unsigned reg,
                                 uint32_t val, unsigned size);

struct GmPcMachine {
    GmPcConfig cfg;
    uint64_t below_4g, above_4g;
    /* owner_host: the i440fx, or the q35's MCH. */
    Object *owner_host, *owner_cpu, *owner_ioapic, *owner_hpet, *owner_apic;
    /* pc.ram's: QEMU 7.2 makes -m a memory backend object, /objects/pc.ram */
    Object *owner_ram;
    MemoryRegion ram, ram_below_4g, ram_above_4g, pci;
    MemoryRegion bios, isa_bios, option_rom;
    MemoryRegion smram_region, smram, smram_low;
    /* pam[seg][0]: pam-pci into pci, [1]: pam-rom, [2]: pam-pci into RAM,
     * [3]: pam-ram, indexed by the PAM attribute that enables them. */
    MemoryRegion pam[PAM_SEGMENTS][4];
    unsigned pam_current[PAM_SEGMENTS];
    MemoryRegion ioapic, hpet, apic_msi;
    MemoryRegion cpu_as_root, cpu_smram, cpu_as_mem;
    AddressSpace cpu_memory, cpu_smm;
    /* The q35 chipset (q35.c); NULL on the i440fx. */
    GmQ35 *q35;
    /* Bus 0 as the board serves it (NULL: no board; the MCH alone). */
    GmPciConfigRead pci_read;
    GmPciConfigWrite pci_write;
    void *pci_opaque;
    /* What was made, for teardown on error or free. */
    MemoryRegion *made[PAM_SEGMENTS * 4 + 48];
    size_t nmade;
    bool as_made;
};

/* pc.c: building blocks both chipsets use. */
void gm__pc_remember(GmPcMachine *pc, MemoryRegion *mr);
bool gm__pc_add(MemoryRegion *parent, hwaddr addr, MemoryRegion *mr, int prio,
                Error **errp);
bool gm__pc_alias(GmPcMachine *pc, MemoryRegion *mr, Object *owner,
                  const char *name, MemoryRegion *orig, hwaddr off,
                  uint64_t size, Error **errp);
/* The 13 PAM segments of 4 aliases each, owned by @pc->owner_host. */
bool gm__pc_init_pams(GmPcMachine *pc, Error **errp);

/* q35.c */
void gm__q35_split_ram(const GmPcConfig *cfg, uint64_t *below, uint64_t *above);
/* What mch_realize adds to the map, then the MCH's reset. */
bool gm__q35_build(GmPcMachine *pc, Error **errp);
/* The bus-master address spaces of bus 0, after the CPU's. */
bool gm__q35_build_bus_masters(GmPcMachine *pc, Error **errp);
void gm__q35_reset(GmPcMachine *pc);
/* Teardown: the bus-master address spaces first, the rest (owners) once
 * the regions are gone.  Both are no-ops on the i440fx. */
void gm__q35_free_address_spaces(GmPcMachine *pc);
void gm__q35_free(GmPcMachine *pc);
size_t gm__q35_e820_reserved(const GmPcMachine *pc, GmE820Entry *out,
                             size_t max);

/* The board tells the machine how to reach bus 0 (NULL: detach), and
 * drives the bus-master enable of the functions it serves (q35: @devfn
 * 0xf8 is the ICH9 LPC bridge).  Return: false if @devfn has no bus-master
 * address space. */
void gm__pc_set_pci_bus(GmPcMachine *pc, GmPciConfigRead rd,
                        GmPciConfigWrite wr, void *opaque);
bool gm__q35_set_bus_master(GmPcMachine *pc, unsigned devfn, bool enabled);

#endif
