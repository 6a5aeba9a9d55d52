// SPDX-License-Identifier: MIT
/*
 * machine/fw-cfg.c - QEMU's firmware configuration device on the PC's I/O
 * ports: a 16-bit selector at 0x510 and byte-wide data at 0x511 (one
 * region, "fwcfg", as QEMU maps it), and
 * the DMA interface at 0x514 (a big-endian 64-bit address register whose
 * low-half write starts a transfer described in guest memory).
 *
 * Item numbers, byte orders and the DMA descriptor come from QEMU's
 * docs/specs/fw_cfg.rst.  DMA reads and writes guest memory through the
 * memory address space, so they obey the map like any device's DMA.
 */
#include "../base.h"
#include "board-internal.h"

#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_ID 0x01
#define FW_CFG_UUID 0x02
#define FW_CFG_RAM_SIZE 0x03
#define FW_CFG_NOGRAPHIC 0x04
#define FW_CFG_NB_CPUS 0x05
#define FW_CFG_NUMA 0x0d
#define FW_CFG_BOOT_MENU 0x0e
#define FW_CFG_MAX_CPUS 0x0f
#define FW_CFG_FILE_DIR 0x19
#define FW_CFG_FILE_FIRST 0x20
#define FW_CFG_FILE_MAX 0x1000 /* selectors 0x20..0xfff */
#define FW_CFG_IRQ0_OVERRIDE 0x8002
#define FW_CFG_HPET 0x8004
#define FW_CFG_WRITE_CHANNEL 0x4000
#define HPET_FW_CFG_SIZE (1 + 8 * 15) /* count, then 8 packed entries */

#define DMA_CTL_ERROR 0x01
#define DMA_CTL_READ 0x02
#define DMA_CTL_SKIP 0x04
#define DMA_CTL_SELECT 0x08
#define DMA_CTL_WRITE 0x10
#define DMA_SIGNATURE UINT64_C(0x51454d5520434647) /* "QEMU CFG" */

static void le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void be(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[n - 1 - i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t from_be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

/* The directory: a big-endian count, then per file a big-endian size,
 * selector and reserved word and a 56-byte name. */
static bool rebuild_dir(GmPcBoard *b)
{
    uint32_t len = 4 + (uint32_t)b->nfiles * 64;
    uint8_t *d = calloc(1, len);
    if (!d) {
        return false;
    }
    be(d, b->nfiles, 4);
    for (size_t i = 0; i < b->nfiles; i++) {
        uint8_t *e = d + 4 + i * 64;
        be(e, b->files[i].len, 4);
        be(e + 4, FW_CFG_FILE_FIRST + i, 2);
        memcpy(e + 8, b->files[i].name, sizeof(b->files[i].name));
    }
    free(b->file_dir);
    b->file_dir = d;
    b->file_dir_len = len;
    return true;
}

int gm_pc_board_add_file(GmPcBoard *b, const char *name, const void *data,
                         size_t len, Error **errp)
{
    if (!b || !name || !*name || strlen(name) > 55 || (len && !data) ||
        len > UINT32_MAX) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "fw_cfg file: a name of 1-55 bytes and data "
                             "under 4 GiB");
    }
    if (b->nfiles >= FW_CFG_FILE_MAX - FW_CFG_FILE_FIRST) {
        return gm_error_setg(errp, GM_ERR_UNSUPPORTED,
                             "fw_cfg has no selector left for '%s'", name);
    }
    size_t at = 0;
    while (at < b->nfiles && strcmp(b->files[at].name, name) < 0) {
        at++;
    }
    if (at < b->nfiles && !strcmp(b->files[at].name, name)) {
        return gm_error_setg(errp, GM_ERR_DUPLICATE, "fw_cfg file '%s' exists",
                             name);
    }
    uint8_t *copy = malloc(len ? len : 1);
    FwCfgFile *f = realloc(b->files, (b->nfiles + 1) * sizeof(*f));
    if (!copy || !f) {
        free(copy);
        if (f) {
            b->files = f;
        }
        return gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
    }
    b->files = f;
    if (len) {
        memcpy(copy, data, len);
    }
    memmove(&f[at + 1], &f[at], (b->nfiles - at) * sizeof(*f));
    memset(&f[at], 0, sizeof(*f));
    memcpy(f[at].name, name, strlen(name));
    f[at].data = copy;
    f[at].len = (uint32_t)len;
    b->nfiles++;
    if (!rebuild_dir(b)) {
        /* Take the file out again: nothing changes on error. */
        free(copy);
        memmove(&f[at], &f[at + 1], (b->nfiles - at - 1) * sizeof(*f));
        b->nfiles--;
        return gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
    }
    return 0;
}

/* The bytes of item @key, or false if there is no such item. */
static bool item(GmPcBoard *b, uint16_t key, const uint8_t **data,
                 uint32_t *len)
{
    static const uint8_t signature[4] = { 'Q', 'E', 'M', 'U' };
    const struct {
        uint16_t key;
        const uint8_t *data;
        uint32_t len;
    } fixed[] = {
        { FW_CFG_SIGNATURE, signature, 4 },
        { FW_CFG_ID, b->fw_id, 4 },
        { FW_CFG_UUID, b->fw_uuid, 16 },
        { FW_CFG_RAM_SIZE, b->fw_ram_size, 8 },
        { FW_CFG_NOGRAPHIC, b->fw_zero16, 2 },
        { FW_CFG_NB_CPUS, b->fw_nb_cpus, 2 },
        { FW_CFG_NUMA, b->fw_numa, 16 },
        { FW_CFG_BOOT_MENU, b->fw_zero16, 2 },
        { FW_CFG_MAX_CPUS, b->fw_max_cpus, 2 },
        { FW_CFG_FILE_DIR, b->file_dir, b->file_dir_len },
        { FW_CFG_IRQ0_OVERRIDE, b->fw_irq0, 4 },
        { FW_CFG_HPET, b->fw_hpet, HPET_FW_CFG_SIZE },
    };
    /* The write-channel bit does not choose the item (QEMU masks it). */
    key &= (uint16_t)~FW_CFG_WRITE_CHANNEL;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        if (fixed[i].key == key) {
            *data = fixed[i].data;
            *len = fixed[i].len;
            return true;
        }
    }
    if (key >= FW_CFG_FILE_FIRST &&
        (size_t)(key - FW_CFG_FILE_FIRST) < b->nfiles) {
        *data = b->files[key - FW_CFG_FILE_FIRST].data;
        *len = b->files[key - FW_CFG_FILE_FIRST].len;
        return true;
    }
    return false;
}

static void e820_file(GmPcBoard *b, Error **errp)
{
    GmE820Entry e[8];
    size_t n = gm_pc_e820(b->pc, e, 8);
    uint8_t buf[8 * 20];
    for (size_t i = 0; i < n && i < 8; i++) {
        le(buf + i * 20, e[i].address, 8);
        le(buf + i * 20 + 8, e[i].length, 8);
        le(buf + i * 20 + 16, e[i].type, 4);
    }
    gm_pc_board_add_file(b, "etc/e820", buf, (n < 8 ? n : 8) * 20, errp);
}

bool gm__fw_cfg_init(GmPcBoard *b, Error **errp)
{
    le(b->fw_id, 3, 4); /* traditional interface and DMA */
    le(b->fw_ram_size, gm_pc_below_4g(b->pc) + gm_pc_above_4g(b->pc), 8);
    le(b->fw_nb_cpus, 1, 2);
    le(b->fw_max_cpus, 1, 2);
    /* NUMA: no nodes (count 0), then CPU 0's node (0). */
    le(b->fw_irq0, 1, 4);
    /* One HPET block, QEMU's: event timer block id 0x8086a201 at
     * 0xfed00000, minimum tick and page protection 0. */
    b->fw_hpet[0] = 1;
    le(b->fw_hpet + 1, 0x8086a201u, 4);
    le(b->fw_hpet + 5, 0xfed00000u, 8);
    if (!rebuild_dir(b)) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return false;
    }
    Error *err = NULL;
    e820_file(b, &err);
    if (err) {
        error_propagate(errp, err);
        return false;
    }
    return true;
}

void gm__fw_cfg_free(GmPcBoard *b)
{
    for (size_t i = 0; i < b->nfiles; i++) {
        free(b->files[i].data);
    }
    free(b->files);
    free(b->file_dir);
    b->files = NULL;
    b->file_dir = NULL;
    b->nfiles = 0;
}

static void select_item(GmPcBoard *b, uint16_t key)
{
    b->fw_select = key;
    b->fw_offset = 0;
}

/* 0x510-0x511, one region as in QEMU ("fwcfg"): a 16-bit write at 0x510
 * selects an item (and rewinds it); a byte read at either port returns the
 * next byte of the selected item, 0 past its end or for an item that does
 * not exist; byte writes (the old data write) are ignored, as QEMU 7.2 has
 * no writable item on this port. */
static uint64_t comb_read(void *opaque, hwaddr addr, unsigned size)
{
    GmPcBoard *b = opaque;
    const uint8_t *d;
    uint32_t len;
    if (!item(b, b->fw_select, &d, &len) || b->fw_offset >= len) {
        return 0;
    }
    return d[b->fw_offset++];
}

static void comb_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    if (size == 2) {
        select_item(opaque, (uint16_t)val);
    }
}

static bool comb_accepts(void *opaque, hwaddr addr, unsigned size,
                         bool is_write, MemTxAttrs attrs)
{
    return size == 1 || (is_write && size == 2 && addr == 0);
}

/* No maximum of its own (QEMU's default, 4): a wider access reaches the
 * region whole and is refused by comb_accepts, reading 0. */
const MemoryRegionOps gm__fw_cfg_comb_ops = {
    .read = comb_read,
    .write = comb_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .accepts = comb_accepts },
};

/* One DMA request: the descriptor at b->fw_dma_addr (control, length,
 * address, all big-endian), then the control word written back as 0 or
 * DMA_CTL_ERROR. */
static void dma_transfer(GmPcBoard *b)
{
    AddressSpace *as = gm_address_space_memory();
    uint8_t desc[16];
    uint64_t at = b->fw_dma_addr;
    b->fw_dma_addr = 0;
    if (address_space_read(as, at, MEMTXATTRS_UNSPECIFIED, desc, 16) !=
        MEMTX_OK) {
        uint8_t err[4];
        be(err, DMA_CTL_ERROR, 4);
        address_space_write(as, at, MEMTXATTRS_UNSPECIFIED, err, 4);
        return;
    }
    uint32_t control = (uint32_t)from_be(desc, 4);
    uint32_t length = (uint32_t)from_be(desc + 4, 4);
    uint64_t addr = from_be(desc + 8, 8);
    if (control & DMA_CTL_SELECT) {
        select_item(b, (uint16_t)(control >> 16));
    }
    uint32_t result = 0;
    const uint8_t *d;
    uint32_t len;
    bool have = item(b, b->fw_select, &d, &len);
    if (control & DMA_CTL_READ) {
        uint32_t avail = have && b->fw_offset < len ? len - b->fw_offset : 0;
        uint32_t n = length < avail ? length : avail;
        if (n && address_space_write(as, addr, MEMTXATTRS_UNSPECIFIED,
                                     d + b->fw_offset, n) != MEMTX_OK) {
            result = DMA_CTL_ERROR;
        }
        /* Past the end the device gives zeros. */
        if (length > n &&
            address_space_set(as, addr + n, 0, length - n,
                              MEMTXATTRS_UNSPECIFIED) != MEMTX_OK) {
            result = DMA_CTL_ERROR;
        }
        b->fw_offset += n;
    } else if (control & DMA_CTL_WRITE) {
        result = DMA_CTL_ERROR; /* no writable items */
    } else if (control & DMA_CTL_SKIP) {
        uint32_t avail = have && b->fw_offset < len ? len - b->fw_offset : 0;
        b->fw_offset += length < avail ? length : avail;
    }
    uint8_t out[4];
    be(out, result, 4);
    address_space_write(as, at, MEMTXATTRS_UNSPECIFIED, out, 4);
}

/* 0x514-0x51b: big-endian.  A 32-bit write at 0 sets the high half; one
 * at 4 the low half and starts the transfer; a 64-bit write at 0 does
 * both.  Reads return the signature "QEMU CFG". */
static uint64_t dma_read(void *opaque, hwaddr addr, unsigned size)
{
    unsigned shift = (unsigned)(8 - addr - size) * 8;
    uint64_t v = DMA_SIGNATURE >> shift;
    return size == 8 ? v : v & ((UINT64_C(1) << (8 * size)) - 1);
}

static void dma_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    GmPcBoard *b = opaque;
    if (size == 4 && addr == 0) {
        b->fw_dma_addr = val << 32;
    } else if (size == 4 && addr == 4) {
        b->fw_dma_addr |= val;
        dma_transfer(b);
    } else if (size == 8 && addr == 0) {
        b->fw_dma_addr = val;
        dma_transfer(b);
    }
}

static bool dma_accepts(void *opaque, hwaddr addr, unsigned size, bool is_write,
                        MemTxAttrs attrs)
{
    return !is_write || (size == 4 && (addr == 0 || addr == 4)) ||
           (size == 8 && addr == 0);
}

const MemoryRegionOps gm__fw_cfg_dma_ops = {
    .read = dma_read,
    .write = dma_write,
    .endianness = DEVICE_BIG_ENDIAN,
    .valid = { .min_access_size = 1,
               .max_access_size = 8,
               .accepts = dma_accepts },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};
