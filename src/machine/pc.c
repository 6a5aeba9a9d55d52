// SPDX-License-Identifier: MIT
/*
 * machine/pc.c - the memory map of QEMU 7.2's `pc` machine (i440fx + PIIX),
 * and what the `q35` machine shares with it (q35.c adds the MCH's part).
 *
 * Built in the order QEMU builds it (pc_init1: pc_memory_init, firmware,
 * option ROM area, then i440fx_init with the PCI window, SMRAM and PAM),
 * because among siblings of equal priority the order of creation is what
 * decides overlaps and print order.  Sizes and addresses are QEMU's:
 *   pc.ram split at lowmem into ram-below-4g (at 0) and ram-above-4g (at
 *   4 GiB); pci at priority -1 over the whole system; pc.bios at
 *   4 GiB - size with isa-bios (its last 128 KiB) at 1 MiB - 128 KiB,
 *   priority 1, both read-only; pc.rom (128 KiB at 0xc0000, priority 1,
 *   read-only); smram-region (0xa0000-0xbffff of pci, priority 1, enabled
 *   at reset); the smram container with smram-low (0xa0000 of pc.ram),
 *   disabled at reset; 13 PAM segments of 4 aliases each (priority 1, all
 *   disabled but pam-pci into pci); ioapic, hpet and apic-msi (priority
 *   4096).
 */
#include "pc-internal.h"
#include "../ramblock-int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAM_BIOS_BASE 0xf0000
#define PAM_BIOS_SIZE 0x10000
#define PAM_EXPAN_BASE 0xc0000
#define PAM_EXPAN_SIZE 0x04000
#define SMRAM_D_OPEN 0x40
#define SMRAM_G_SMRAME 0x08
#define SMRAM_RESET 0x02

typedef struct MachineType {
    const char *name;
    GmPcChipset chipset;
    bool gigabyte_align;
    const char *bios;
    /* q35 compatibility switches (QEMU's pc_compat_* tables) */
    bool no_smbase_smram, no_ext_tseg;
} MachineType;

/* Whether @v is a version QEMU 7.2 has machine types for, from
 * @first_major.@first_minor on (1.x ends at 1.7, 2.x at 2.12, 3.x at 3.1,
 * 4.x to 7.x at .2; and the one three-part version, 4.0.1, when
 * @with_401).  Written as QEMU writes it: no leading zeros or signs. */
static bool known_version(const char *v, int first_major, int first_minor,
                          bool with_401, int *major, int *minor)
{
    static const int last_minor[] = { 0, 7, 12, 1, 2, 2, 2, 2 };
    char tail, canon[16];
    if (with_401 && !strcmp(v, "4.0.1")) {
        *major = 4;
        *minor = 0;
        return true;
    }
    if (sscanf(v, "%d.%d%c", major, minor, &tail) != 2 ||
        *major < first_major || *major > 7 || *minor < 0 ||
        *minor > last_minor[*major] ||
        (*major == first_major && *minor < first_minor)) {
        return false;
    }
    snprintf(canon, sizeof(canon), "%d.%d", *major, *minor);
    return !strcmp(canon, v);
}

/* Every versioned machine type name, so that a parsed configuration can
 * point at a constant (GmPcConfig.machine_type outlives the spec). */
static const char *const type_names[] = {
    "pc-i440fx-1.4",  "pc-i440fx-1.5", "pc-i440fx-1.6",  "pc-i440fx-1.7",
    "pc-i440fx-2.0",  "pc-i440fx-2.1", "pc-i440fx-2.2",  "pc-i440fx-2.3",
    "pc-i440fx-2.4",  "pc-i440fx-2.5", "pc-i440fx-2.6",  "pc-i440fx-2.7",
    "pc-i440fx-2.8",  "pc-i440fx-2.9", "pc-i440fx-2.10", "pc-i440fx-2.11",
    "pc-i440fx-2.12", "pc-i440fx-3.0", "pc-i440fx-3.1",  "pc-i440fx-4.0",
    "pc-i440fx-4.1",  "pc-i440fx-4.2", "pc-i440fx-5.0",  "pc-i440fx-5.1",
    "pc-i440fx-5.2",  "pc-i440fx-6.0", "pc-i440fx-6.1",  "pc-i440fx-6.2",
    "pc-i440fx-7.0",  "pc-i440fx-7.1", "pc-i440fx-7.2",  "pc-q35-2.4",
    "pc-q35-2.5",     "pc-q35-2.6",    "pc-q35-2.7",     "pc-q35-2.8",
    "pc-q35-2.9",     "pc-q35-2.10",   "pc-q35-2.11",    "pc-q35-2.12",
    "pc-q35-3.0",     "pc-q35-3.1",    "pc-q35-4.0",     "pc-q35-4.0.1",
    "pc-q35-4.1",     "pc-q35-4.2",    "pc-q35-5.0",     "pc-q35-5.1",
    "pc-q35-5.2",     "pc-q35-6.0",    "pc-q35-6.1",     "pc-q35-6.2",
    "pc-q35-7.0",     "pc-q35-7.1",    "pc-q35-7.2",
};

static const char *interned(const char *name)
{
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++) {
        if (!strcmp(type_names[i], name)) {
            return type_names[i];
        }
    }
    return NULL;
}

static bool lookup_type(const char *name, size_t len, MachineType *out)
{
    static const char i440fx[] = "pc-i440fx-", q35[] = "pc-q35-";
    char buf[32];
    int major, minor;
    if (len >= sizeof(buf)) {
        return false;
    }
    memcpy(buf, name, len);
    buf[len] = '\0';
    if (!strcmp(buf, "pc")) {
        *out = (MachineType){ "pc-i440fx-7.2", GM_PC_I440FX, true,
                              "bios-256k.bin", false,        false };
        return true;
    }
    if (!strcmp(buf, "q35")) {
        *out = (MachineType){ "pc-q35-7.2",    GM_PC_Q35, true,
                              "bios-256k.bin", false,     false };
        return true;
    }
    if (!strncmp(buf, i440fx, sizeof(i440fx) - 1)) {
        /* 1.4-1.7, 2.0-2.12, 3.0-3.1, 4.0-4.2, 5.0-5.2, 6.0-6.2, 7.0-7.2.
         * Up to 1.7 the RAM split is not gigabyte-aligned and the default
         * firmware is the 128 KiB bios.bin. */
        if (!known_version(buf + sizeof(i440fx) - 1, 1, 4, false, &major,
                           &minor)) {
            return false;
        }
        bool old = major == 1;
        const char *canon = interned(buf);
        if (!canon) {
            return false;
        }
        *out = (MachineType){ canon, GM_PC_I440FX,
                              !old,  old ? "bios.bin" : "bios-256k.bin",
                              false, false };
        return true;
    }
    if (!strncmp(buf, q35, sizeof(q35) - 1)) {
        /* 2.4-2.12, 3.0-3.1, 4.0, 4.0.1, 4.1-4.2, 5.0-5.2, 6.0-6.2, 7.0-7.2.
         * pc_compat_4_2 turns the MCH's SMRAM at SMBASE off, pc_compat_2_9
         * its extended TSEG. */
        if (!known_version(buf + sizeof(q35) - 1, 2, 4, true, &major, &minor)) {
            return false;
        }
        const char *canon = interned(buf);
        if (!canon) {
            return false;
        }
        *out = (MachineType){ canon,     GM_PC_Q35,
                              true,      "bios-256k.bin",
                              major < 5, major == 2 && minor <= 9 };
        return true;
    }
    return false;
}

int gm_pc_config_parse(GmPcConfig *cfg, const char *spec, uint64_t ram_size,
                       Error **errp)
{
    if (!cfg || !spec) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG, "machine spec missing");
    }
    size_t tlen = strcspn(spec, ",");
    MachineType mt;
    if (!lookup_type(spec, tlen, &mt)) {
        return gm_error_setg(
            errp, GM_ERR_NOT_FOUND,
            "unknown machine type '%.*s' (known: " GM_PC_MACHINE_TYPES ")",
            (int)tlen, spec);
    }
    uint64_t max_below = 0;
    bool smm_off = false;
    for (const char *p = spec + tlen; *p == ',';) {
        p++;
        size_t n = strcspn(p, ",");
        static const char key[] = "max-ram-below-4g=";
        static const char smm[] = "smm=";
        /* smm= on either chipset: QEMU 7.2 builds the same map with
         * smm=off (the i440fx's smram-region and smram container and the
         * MCH's SMRAM regions, and cpu-smm-0, exist either way). */
        if (n > sizeof(smm) - 1 && !strncmp(p, smm, sizeof(smm) - 1)) {
            const char *v = p + sizeof(smm) - 1;
            size_t vl = n - (sizeof(smm) - 1);
            if ((vl == 2 && !strncmp(v, "on", 2)) ||
                (vl == 4 && !strncmp(v, "auto", 4))) {
                smm_off = false;
            } else if (vl == 3 && !strncmp(v, "off", 3)) {
                smm_off = true;
            } else {
                return gm_error_setg(errp, GM_ERR_PARSE,
                                     "smm: 'on', 'off' or 'auto', not "
                                     "'%.*s'",
                                     (int)vl, v);
            }
        } else if (n > sizeof(key) - 1 && !strncmp(p, key, sizeof(key) - 1)) {
            char val[64];
            size_t vl = n - (sizeof(key) - 1);
            if (vl >= sizeof(val)) {
                return gm_error_setg(errp, GM_ERR_PARSE,
                                     "max-ram-below-4g: value too long");
            }
            memcpy(val, p + sizeof(key) - 1, vl);
            val[vl] = '\0';
            int rc = gm_parse_size(val, &max_below, errp);
            if (rc) {
                error_prepend(errp, "max-ram-below-4g: ");
                return rc;
            }
            if (max_below > 4 * GiB) {
                return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                                     "max-ram-below-4g=%" PRIu64 " is above 4G",
                                     max_below);
            }
        } else {
            return gm_error_setg(errp, GM_ERR_PARSE,
                                 "unknown machine option '%.*s' (known: "
                                 "max-ram-below-4g=SIZE, smm=on|off|auto)",
                                 (int)n, p);
        }
        p += n;
    }
    if (ram_size == 0) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG, "RAM size is 0");
    }
    /* QEMU rounds -m up to 8 KiB. */
    if (ram_size > UINT64_MAX - 8191) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG, "RAM size too large");
    }
    ram_size = (ram_size + 8191) & ~UINT64_C(8191);
    *cfg = (GmPcConfig){
        .ram_size = ram_size,
        .max_ram_below_4g = max_below,
        .gigabyte_align = mt.gigabyte_align,
        .bios_path = NULL,
        .machine_type = mt.name,
        .chipset = mt.chipset,
        .smm_off = smm_off,
        .q35_no_smbase_smram = mt.no_smbase_smram,
        .q35_no_ext_tseg = mt.no_ext_tseg,
    };
    if (!mt.gigabyte_align) {
        cfg->bios_path = GM_PC_BIOS_DIR "/bios.bin";
    }
    return 0;
}

/* QEMU's split of RAM below and above 4 GiB (pc_init1). */
static void split_ram(const GmPcConfig *cfg, uint64_t *below, uint64_t *above)
{
    uint64_t max_below =
        cfg->max_ram_below_4g ? cfg->max_ram_below_4g : 0xe0000000;
    uint64_t lowmem = max_below;
    if (cfg->ram_size >= max_below && cfg->gigabyte_align &&
        lowmem > 0xc0000000) {
        lowmem = 0xc0000000;
    }
    if (cfg->ram_size >= lowmem) {
        *above = cfg->ram_size - lowmem;
        *below = lowmem;
    } else {
        *above = 0;
        *below = cfg->ram_size;
    }
}

void gm__pc_remember(GmPcMachine *pc, MemoryRegion *mr)
{
    gm_assert(pc->nmade < sizeof(pc->made) / sizeof(pc->made[0]));
    pc->made[pc->nmade++] = mr;
}

bool gm__pc_add(MemoryRegion *parent, hwaddr addr, MemoryRegion *mr, int prio,
                Error **errp)
{
    return gm_memory_region_add_subregion(parent, addr, mr, prio, errp) == 0;
}

static uint64_t window_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void window_write(void *opaque, hwaddr addr, uint64_t v, unsigned size)
{
}

/* The chipset windows: their device models are out of scope, so the
 * windows read as zero and ignore writes. */
static const MemoryRegionOps window_ops = {
    .read = window_read,
    .write = window_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};

/* The firmware's bytes: from @cfg's image or its file.  Return: a
 * malloc'ed copy, or NULL with @errp set. */
static uint8_t *bios_bytes(const GmPcConfig *cfg, uint64_t *size, Error **errp)
{
    char default_path[256];
    const char *path = cfg->bios_path;
    if (cfg->bios_image) {
        path = "(built-in image)";
        *size = cfg->bios_image_size;
    } else if (!path) {
        snprintf(default_path, sizeof(default_path), "%s/bios-256k.bin",
                 GM_PC_BIOS_DIR);
        path = default_path;
    }
    FILE *f = NULL;
    if (!cfg->bios_image) {
        /* O_NONBLOCK: a FIFO must not block the open (it is refused
         * below as not a regular file); regular files ignore the flag. */
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        f = fd >= 0 ? fdopen(fd, "rb") : NULL;
        if (!f) {
            int e = errno;
            if (fd >= 0) {
                close(fd);
            }
            gm_error_setg(errp, GM_ERR_IO, "could not load PC BIOS '%s': %s%s",
                          path, strerror(e),
                          cfg->bios_path ? ""
                                         : " (install Debian's seabios "
                                           "package, or give --bios FILE)");
            return NULL;
        }
        struct stat st;
        if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
            fclose(f);
            gm_error_setg(errp, GM_ERR_IO, "PC BIOS '%s' is not a regular file",
                          path);
            return NULL;
        }
        *size = (uint64_t)st.st_size;
    }
    if (*size == 0 || *size % (64 * KiB) || *size > 16 * MiB) {
        if (f) {
            fclose(f);
        }
        gm_error_setg(errp, GM_ERR_INVALID_ARG,
                      "PC BIOS '%s' has %" PRIu64 " bytes: it must be a "
                      "multiple of 64 KiB, at most 16 MiB",
                      path, *size);
        return NULL;
    }
    uint8_t *buf = malloc((size_t)*size);
    if (!buf) {
        if (f) {
            fclose(f);
        }
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    if (!f) {
        memcpy(buf, cfg->bios_image, (size_t)*size);
        return buf;
    }
    size_t got = fread(buf, 1, (size_t)*size, f);
    fclose(f);
    if (got != *size) {
        free(buf);
        gm_error_setg(errp, GM_ERR_IO, "short read of PC BIOS '%s'", path);
        return NULL;
    }
    return buf;
}

static bool load_bios(GmPcMachine *pc, MemoryRegion *pci, Error **errp)
{
    uint64_t size = 0;
    uint8_t *image = bios_bytes(&pc->cfg, &size, errp);
    if (!image) {
        return false;
    }
    if (!memory_region_init_ram(&pc->bios, NULL, "pc.bios", size, errp)) {
        free(image);
        return false;
    }
    gm__pc_remember(pc, &pc->bios);
    memcpy(pc->bios.ram_block->host, image, (size_t)size);
    free(image);
    pc->bios.readonly = true;
    uint64_t isa_size = size < 128 * KiB ? size : 128 * KiB;
    if (gm_memory_region_init_alias(&pc->isa_bios, NULL, "isa-bios", &pc->bios,
                                    size - isa_size, isa_size, errp)) {
        return false;
    }
    gm__pc_remember(pc, &pc->isa_bios);
    if (!gm__pc_add(pci, 0x100000 - isa_size, &pc->isa_bios, 1, errp)) {
        return false;
    }
    pc->isa_bios.readonly = true;
    return gm__pc_add(pci, (uint32_t)(-(uint32_t)size), &pc->bios, 0, errp);
}

bool gm__pc_alias(GmPcMachine *pc, MemoryRegion *mr, Object *owner,
                  const char *name, MemoryRegion *orig, hwaddr off,
                  uint64_t size, Error **errp)
{
    if (gm_memory_region_init_alias(mr, owner, name, orig, off, size, errp)) {
        return false;
    }
    gm__pc_remember(pc, mr);
    return true;
}

/* One PAM segment: four aliases at the same address and priority, all
 * disabled; the order of creation is QEMU's init_pam(), and it decides
 * the order `info mtree` prints them in. */
static bool init_pam(GmPcMachine *pc, unsigned seg, hwaddr start, uint64_t size,
                     MemoryRegion *system, Error **errp)
{
    MemoryRegion *a = pc->pam[seg];
    Object *o = pc->owner_host;
    if (!gm__pc_alias(pc, &a[3], o, "pam-ram", &pc->ram, start, size, errp) ||
        !gm__pc_alias(pc, &a[1], o, "pam-rom", &pc->ram, start, size, errp) ||
        !gm__pc_alias(pc, &a[0], o, "pam-pci", &pc->pci, start, size, errp) ||
        !gm__pc_alias(pc, &a[2], o, "pam-pci", &pc->ram, start, size, errp)) {
        return false;
    }
    a[1].readonly = true;
    for (unsigned i = 0; i < 4; i++) {
        a[i].enabled = false;
        if (!gm__pc_add(system, start, &a[i], 1, errp)) {
            return false;
        }
    }
    pc->pam_current[seg] = 0;
    return true;
}

bool gm__pc_init_pams(GmPcMachine *pc, Error **errp)
{
    MemoryRegion *system = get_system_memory();
    if (!init_pam(pc, 0, PAM_BIOS_BASE, PAM_BIOS_SIZE, system, errp)) {
        return false;
    }
    for (unsigned i = 1; i < PAM_SEGMENTS; i++) {
        if (!init_pam(pc, i, PAM_EXPAN_BASE + (i - 1) * PAM_EXPAN_SIZE,
                      PAM_EXPAN_SIZE, system, errp)) {
            return false;
        }
    }
    return true;
}

static bool make_window(GmPcMachine *pc, MemoryRegion *mr, Object *owner,
                        const char *name, uint64_t size, MemoryRegion *system,
                        hwaddr addr, int prio, Error **errp)
{
    memory_region_init_io(mr, owner, &window_ops, pc, name, size);
    gm__pc_remember(pc, mr);
    return gm__pc_add(system, addr, mr, prio, errp);
}

/* i440fx_init: the PCI window, SMRAM and PAM of the i440fx. */
static bool i440fx_build(GmPcMachine *pc, Error **errp)
{
    MemoryRegion *system = get_system_memory();
    Object *o = pc->owner_host;
    if (!gm__pc_add(system, 0, &pc->pci, -1, errp)) {
        return false;
    }
    if (!gm__pc_alias(pc, &pc->smram_region, o, "smram-region", &pc->pci,
                      0xa0000, 0x20000, errp) ||
        !gm__pc_add(system, 0xa0000, &pc->smram_region, 1, errp)) {
        return false;
    }
    memory_region_init(&pc->smram, o, "smram", 4 * GiB);
    gm__pc_remember(pc, &pc->smram);
    if (!gm__pc_alias(pc, &pc->smram_low, o, "smram-low", &pc->ram, 0xa0000,
                      0x20000, errp) ||
        !gm__pc_add(&pc->smram, 0xa0000, &pc->smram_low, 0, errp)) {
        return false;
    }
    if (!gm__pc_init_pams(pc, errp)) {
        return false;
    }
    for (unsigned i = 0; i < PAM_SEGMENTS; i++) {
        gm_pc_set_pam(pc, i, 0, NULL);
    }
    gm_pc_set_smram(pc, SMRAM_RESET);
    return true;
}

static bool build(GmPcMachine *pc, Error **errp)
{
    MemoryRegion *system = get_system_memory();
    bool q35 = pc->cfg.chipset == GM_PC_Q35;
    if (q35) {
        gm__q35_split_ram(&pc->cfg, &pc->below_4g, &pc->above_4g);
    } else {
        split_ram(&pc->cfg, &pc->below_4g, &pc->above_4g);
    }
    if (pc->above_4g > (UINT64_C(1) << 52)) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG,
                      "0x%" PRIx64 " bytes of RAM do not fit the guest's "
                      "physical address space",
                      pc->cfg.ram_size);
        return false;
    }
    /* pc.ram is reserved lazily (MAP_NORESERVE): describing a machine
     * (mtree, e820, ramblock) must cost nothing even with more RAM than
     * the host has; only the pages a guest touches take memory.  QEMU
     * reserves swap here and fails for -m beyond RAM + swap; `guestmem run`
     * refuses -m above the host's memory itself. */
    if (pc->cfg.ram_backend) {
        /* -mem-path / -mem-prealloc: the backend QEMU creates is called
         * "pc.ram" too. */
        GmBackendConfig be = *pc->cfg.ram_backend;
        be.size = pc->cfg.ram_size;
        be.no_reserve = true;
        if (!gm_memory_region_init_backend(&pc->ram, pc->owner_ram, "pc.ram",
                                           &be, errp)) {
            return false;
        }
    } else if (!memory_region_init_ram_flags_nomigrate(
                   &pc->ram, pc->owner_ram, "pc.ram", pc->cfg.ram_size,
                   RAM_MIGRATABLE | RAM_NORESERVE, errp)) {
        return false;
    }
    gm__pc_remember(pc, &pc->ram);
    /* pc_memory_init */
    if (!gm__pc_alias(pc, &pc->ram_below_4g, NULL, "ram-below-4g", &pc->ram, 0,
                      pc->below_4g, errp) ||
        !gm__pc_add(system, 0, &pc->ram_below_4g, 0, errp)) {
        return false;
    }
    if (pc->above_4g) {
        if (!gm__pc_alias(pc, &pc->ram_above_4g, NULL, "ram-above-4g", &pc->ram,
                          pc->below_4g, pc->above_4g, errp) ||
            !gm__pc_add(system, 4 * GiB, &pc->ram_above_4g, 0, errp)) {
            return false;
        }
    }
    memory_region_init(&pc->pci, NULL, "pci", UINT64_MAX);
    gm__pc_remember(pc, &pc->pci);
    /* pc_system_firmware_init, then the option ROM area. */
    if (!load_bios(pc, &pc->pci, errp)) {
        return false;
    }
    if (!memory_region_init_ram(&pc->option_rom, NULL, "pc.rom", 128 * KiB,
                                errp)) {
        return false;
    }
    gm__pc_remember(pc, &pc->option_rom);
    pc->option_rom.readonly = true;
    if (!gm__pc_add(&pc->pci, 0xc0000, &pc->option_rom, 1, errp)) {
        return false;
    }
    /* The host bridge: i440fx_init, or the q35 host's MCH. */
    if (!(q35 ? gm__q35_build(pc, errp) : i440fx_build(pc, errp))) {
        return false;
    }
    /* The chipset's fixed windows. */
    if (!make_window(pc, &pc->ioapic, pc->owner_ioapic, "ioapic", 0x1000,
                     system, 0xfec00000, 0, errp) ||
        !make_window(pc, &pc->hpet, pc->owner_hpet, "hpet", 0x400, system,
                     0xfed00000, 0, errp) ||
        !make_window(pc, &pc->apic_msi, pc->owner_apic, "apic-msi", 0x100000,
                     system, 0xfee00000, 4096, errp)) {
        return false;
    }
    /* The CPU's two address spaces (TCG): normal and SMM. */
    memory_region_init(&pc->cpu_as_root, pc->owner_cpu, "memory", UINT64_MAX);
    gm__pc_remember(pc, &pc->cpu_as_root);
    if (!gm__pc_alias(pc, &pc->cpu_as_mem, pc->owner_cpu, "memory", system, 0,
                      UINT64_MAX, errp) ||
        !gm__pc_add(&pc->cpu_as_root, 0, &pc->cpu_as_mem, 0, errp) ||
        !gm__pc_alias(pc, &pc->cpu_smram, pc->owner_cpu, "smram", &pc->smram, 0,
                      4 * GiB, errp) ||
        !gm__pc_add(&pc->cpu_as_root, 0, &pc->cpu_smram, 1, errp)) {
        return false;
    }
    if (gm_address_space_init(&pc->cpu_memory, system, "cpu-memory-0", errp)) {
        return false;
    }
    if (gm_address_space_init(&pc->cpu_smm, &pc->cpu_as_root, "cpu-smm-0",
                              errp)) {
        address_space_destroy(&pc->cpu_memory);
        return false;
    }
    pc->as_made = true;
    if (q35) {
        /* The bus-master address spaces come at machine-done time in
         * QEMU, then the MCH's reset programs the map. */
        if (!gm__q35_build_bus_masters(pc, errp)) {
            return false;
        }
        gm__q35_reset(pc);
    }
    return true;
}

static void teardown(GmPcMachine *pc)
{
    gm__q35_free_address_spaces(pc);
    if (pc->as_made) {
        address_space_destroy(&pc->cpu_memory);
        address_space_destroy(&pc->cpu_smm);
    }
    memory_region_transaction_begin();
    for (size_t i = pc->nmade; i-- > 0;) {
        MemoryRegion *mr = pc->made[i];
        if (mr->container) {
            gm_memory_region_del_subregion(mr->container, mr, NULL);
        }
    }
    memory_region_transaction_commit();
    for (size_t i = pc->nmade; i-- > 0;) {
        gm_memory_region_destroy(pc->made[i], NULL);
    }
    gm__q35_free(pc);
    gm_object_unref(pc->owner_host);
    gm_object_unref(pc->owner_cpu);
    gm_object_unref(pc->owner_ioapic);
    gm_object_unref(pc->owner_hpet);
    gm_object_unref(pc->owner_apic);
    gm_object_unref(pc->owner_ram);
}

GmPcMachine *gm_pc_machine_new(const GmPcConfig *cfg, Error **errp)
{
    if (!cfg || cfg->ram_size == 0) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG, "no RAM size given");
        return NULL;
    }
    if (cfg->chipset != GM_PC_I440FX && cfg->chipset != GM_PC_Q35) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG, "unknown chipset %d",
                      (int)cfg->chipset);
        return NULL;
    }
    MemoryRegion *system = get_system_memory();
    if (!system) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY,
                      "out of memory creating the system memory");
        return NULL;
    }
    if (system->subregions) {
        gm_error_setg(errp, GM_ERR_IN_USE,
                      "the system memory already holds regions (one PC "
                      "machine per process)");
        return NULL;
    }
    GmPcMachine *pc = calloc(1, sizeof(*pc));
    if (!pc) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    pc->cfg = *cfg;
    /* The owners' QOM paths as QEMU 7.2 names them (`info mtree -o`). */
    bool q35 = cfg->chipset == GM_PC_Q35;
    pc->owner_host = gm_object_new(
        q35 ? "/machine/q35/mch" : "/machine/unattached/device[2]", true);
    pc->owner_cpu = gm_object_new("/machine/unattached/device[0]", true);
    pc->owner_ioapic = gm_object_new(
        q35 ? "/machine/q35/ioapic" : "/machine/i440fx/ioapic", true);
    pc->owner_hpet = gm_object_new(q35 ? "/machine/unattached/device[7]"
                                       : "/machine/unattached/device[8]",
                                   true);
    pc->owner_apic = gm_object_new("/machine/unattached/device[0]/lapic", true);
    pc->owner_ram = gm_object_new("/objects/pc.ram", false);
    memory_region_transaction_begin();
    bool ok = pc->owner_host && pc->owner_cpu && pc->owner_ioapic &&
              pc->owner_hpet && pc->owner_apic && pc->owner_ram;
    if (!ok) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
    } else {
        ok = build(pc, errp);
    }
    memory_region_transaction_commit();
    if (!ok) {
        teardown(pc);
        free(pc);
        return NULL;
    }
    return pc;
}

void gm_pc_machine_free(GmPcMachine *pc)
{
    if (!pc) {
        return;
    }
    teardown(pc);
    free(pc);
}

uint64_t gm_pc_below_4g(const GmPcMachine *pc)
{
    return pc ? pc->below_4g : 0;
}

uint64_t gm_pc_above_4g(const GmPcMachine *pc)
{
    return pc ? pc->above_4g : 0;
}

MemoryRegion *gm_pc_ram(GmPcMachine *pc)
{
    return pc ? &pc->ram : NULL;
}

int gm_pc_set_pam(GmPcMachine *pc, unsigned idx, unsigned attr, Error **errp)
{
    if (!pc || idx >= PAM_SEGMENTS || attr > 3) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "PAM segment %u / attribute %u out of range "
                             "(0-12 / 0-3)",
                             idx, attr);
    }
    memory_region_transaction_begin();
    memory_region_set_enabled(&pc->pam[idx][pc->pam_current[idx]], false);
    pc->pam_current[idx] = attr;
    memory_region_set_enabled(&pc->pam[idx][attr], true);
    memory_region_transaction_commit();
    return 0;
}

void gm_pc_set_smram(GmPcMachine *pc, uint8_t smram)
{
    if (!pc) {
        return;
    }
    if (pc->q35) {
        /* The MCH's SMRAM register, with its own rules (D_LCK, H_SMRAME). */
        gm_pc_mch_config_write(pc, 0x9d, smram, 1);
        return;
    }
    memory_region_transaction_begin();
    memory_region_set_enabled(&pc->smram_region, !(smram & SMRAM_D_OPEN));
    memory_region_set_enabled(&pc->smram, (smram & SMRAM_G_SMRAME) != 0);
    memory_region_transaction_commit();
}

size_t gm_pc_e820(const GmPcMachine *pc, GmE820Entry *out, size_t max)
{
    if (!pc) {
        return 0;
    }
    GmE820Entry e[2] = {
        { 0, pc->below_4g, 1 },
        { 4 * GiB, pc->above_4g, 1 },
    };
    size_t n = pc->above_4g ? 2 : 1;
    for (size_t i = 0; i < n && i < max; i++) {
        out[i] = e[i];
    }
    return n;
}

size_t gm_pc_e820_reserved(const GmPcMachine *pc, GmE820Entry *out, size_t max)
{
    return pc && pc->q35 ? gm__q35_e820_reserved(pc, out, max) : 0;
}

GmPcChipset gm_pc_chipset(const GmPcMachine *pc)
{
    return pc ? pc->cfg.chipset : GM_PC_I440FX;
}

void gm__pc_set_pci_bus(GmPcMachine *pc, GmPciConfigRead rd,
                        GmPciConfigWrite wr, void *opaque)
{
    pc->pci_read = rd;
    pc->pci_write = wr;
    pc->pci_opaque = opaque;
}
