// SPDX-License-Identifier: MIT
/*
 * test-access.c - the access path (access.c, map.c): RAM, ROM, unassigned,
 * read-only aliases, ROM and RAM devices, IOMMUs, maps, caches, and the
 * splitting and combining of MMIO accesses by QEMU's valid/impl rules.
 */
#include "../harness/test.h"

static MemoryRegion root, ram, rom;
static AddressSpace as;

static bool set_up;

static void setup(void)
{
    if (set_up) {
        return;
    }
    set_up = true;
    test_capture_errors();
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    ASSERT(memory_region_init_ram(&ram, NULL, "ram", 0x10000, NULL));
    ASSERT(memory_region_init_rom(&rom, NULL, "rom", 0x1000, NULL));
    memory_region_add_subregion(&root, 0, &ram);
    memory_region_add_subregion(&root, 0x20000, &rom);
    address_space_init(&as, &root, "test");
}

TEST(ram_round_trip_and_byte_order)
{
    setup();
    const MemTxAttrs A = MEMTXATTRS_UNSPECIFIED;
    uint8_t in[16], out[16];
    for (int i = 0; i < 16; i++) {
        in[i] = (uint8_t)(i * 7 + 1);
    }
    ASSERT_EQ(address_space_write(&as, 0x100, A, in, 16), MEMTX_OK);
    ASSERT_EQ(address_space_read(&as, 0x100, A, out, 16), MEMTX_OK);
    ASSERT_EQ(memcmp(in, out, 16), 0);
    stl_le_phys(&as, 0x200, 0x11223344);
    ASSERT_ADDR_EQ(ldl_le_phys(&as, 0x200), 0x11223344);
    ASSERT_ADDR_EQ(ldl_be_phys(&as, 0x200), 0x44332211);
    ASSERT_ADDR_EQ(ldub_phys(&as, 0x200), 0x44);
    stq_be_phys(&as, 0x208, 0x0102030405060708ULL);
    ASSERT_ADDR_EQ(ldub_phys(&as, 0x208), 0x01);
    ASSERT_ADDR_EQ(ldq_le_phys(&as, 0x208), 0x0807060504030201ULL);
    stw_be_phys(&as, 0x210, 0xabcd);
    ASSERT_ADDR_EQ(lduw_le_phys(&as, 0x210), 0xcdab);
    uint8_t *host = memory_region_get_ram_ptr(&ram);
    ASSERT_EQ(host[0x200], 0x44);
}

TEST(unassigned_and_rom)
{
    setup();
    const MemTxAttrs A = MEMTXATTRS_UNSPECIFIED;
    uint8_t buf[8];
    memset(buf, 0x55, sizeof(buf));
    MemTxResult r;
    /* Straddles the end of RAM: the RAM part is read, the rest is zero. */
    stl_le_phys(&as, 0xfffc, 0xdeadbeef);
    ASSERT_EQ(address_space_read(&as, 0xfffc, A, buf, 8), MEMTX_DECODE_ERROR);
    ASSERT_ADDR_EQ(buf[0] | buf[1] << 8 | buf[2] << 16 | (uint32_t)buf[3] << 24,
                   0xdeadbeef);
    ASSERT_EQ(buf[4] | buf[5] | buf[6] | buf[7], 0);
    ASSERT_EQ(address_space_ldl_le(&as, 0x30000, A, &r), 0);
    ASSERT_EQ(r, MEMTX_DECODE_ERROR);
    address_space_stl_le(&as, 0x30000, 1, A, &r);
    ASSERT_EQ(r, MEMTX_DECODE_ERROR);
    /* ROM: reads work, writes are dropped; the ROM loader path writes. */
    address_space_stl_le(&as, 0x20000, 0x12345678, A, &r);
    ASSERT_EQ(r, MEMTX_DECODE_ERROR);
    ASSERT_EQ(ldl_le_phys(&as, 0x20000), 0);
    uint32_t v = 0x12345678;
    ASSERT_EQ(address_space_write_rom(&as, 0x20000, A, &v, 4), MEMTX_OK);
    ASSERT_ADDR_EQ(ldl_le_phys(&as, 0x20000), 0x12345678);
    ASSERT(!address_space_access_valid(&as, 0x20000, 4, true, A));
    ASSERT(address_space_access_valid(&as, 0x20000, 4, false, A));
    ASSERT(!address_space_access_valid(&as, 0xfff0, 0x20, false, A));
}

TEST(readonly_alias_drops_writes)
{
    static MemoryRegion al;
    setup();
    memory_region_init_alias(&al, NULL, "ro", &ram, 0x1000, 0x1000);
    memory_region_set_readonly(&al, true);
    memory_region_add_subregion(&root, 0x40000, &al);
    stl_le_phys(&as, 0x1000, 0xcafe);
    ASSERT_ADDR_EQ(ldl_le_phys(&as, 0x40000), 0xcafe);
    MemTxResult r;
    address_space_stl_le(&as, 0x40000, 1, MEMTXATTRS_UNSPECIFIED, &r);
    ASSERT_EQ(r, MEMTX_DECODE_ERROR);
    ASSERT_ADDR_EQ(ldl_le_phys(&as, 0x1000), 0xcafe);
}

TEST(io_space_reads_all_ones)
{
    MemTxResult r;
    AddressSpace *io = &address_space_io;
    ASSERT_ADDR_EQ(address_space_ldub(io, 0x80, MEMTXATTRS_UNSPECIFIED, &r),
                   0xff);
    ASSERT_EQ(r, MEMTX_OK);
    ASSERT_ADDR_EQ(address_space_ldl_le(io, 0x80, MEMTXATTRS_UNSPECIFIED, &r),
                   0xffffffff);
    address_space_stb(io, 0x80, 1, MEMTXATTRS_UNSPECIFIED, &r);
    ASSERT_EQ(r, MEMTX_OK);
    /* The memory space answers unassigned reads with 0 and an error. */
    ASSERT_EQ(address_space_ldl_le(&address_space_memory, 0x1000,
                                   MEMTXATTRS_UNSPECIFIED, &r),
              0);
    ASSERT_EQ(r, MEMTX_DECODE_ERROR);
}

/* --- a recording device ---------------------------------------------------- */

typedef struct Call {
    bool write;
    hwaddr addr;
    unsigned size;
    uint64_t val;
} Call;

typedef struct Dev {
    MemoryRegion mr;
    MemoryRegionOps ops;
    uint8_t mem[64]; /* what the device "holds", read in its byte order */
    Call calls[64];
    int ncalls;
    unsigned requester;
    bool fail;
} Dev;

static uint64_t dev_get(Dev *d, hwaddr addr, unsigned size)
{
    uint64_t v = 0;
    bool big = d->ops.endianness == DEVICE_BIG_ENDIAN;
    for (unsigned i = 0; i < size; i++) {
        uint64_t b = d->mem[(addr + i) % sizeof(d->mem)];
        v |= big ? b << (8 * (size - 1 - i)) : b << (8 * i);
    }
    return v;
}

static void dev_put(Dev *d, hwaddr addr, unsigned size, uint64_t v)
{
    bool big = d->ops.endianness == DEVICE_BIG_ENDIAN;
    for (unsigned i = 0; i < size; i++) {
        unsigned sh = big ? 8 * (size - 1 - i) : 8 * i;
        d->mem[(addr + i) % sizeof(d->mem)] = (uint8_t)(v >> sh);
    }
}

static MemTxResult dev_read(void *opaque, hwaddr addr, uint64_t *data,
                            unsigned size, MemTxAttrs attrs)
{
    Dev *d = opaque;
    *data = dev_get(d, addr, size);
    d->calls[d->ncalls++ % 64] = (Call){ false, addr, size, *data };
    d->requester = attrs.requester_id;
    return d->fail ? MEMTX_ERROR : MEMTX_OK;
}

static MemTxResult dev_write(void *opaque, hwaddr addr, uint64_t data,
                             unsigned size, MemTxAttrs attrs)
{
    Dev *d = opaque;
    dev_put(d, addr, size, data);
    d->calls[d->ncalls++ % 64] = (Call){ true, addr, size, data };
    return d->fail ? MEMTX_ERROR : MEMTX_OK;
}

static Dev dev;

static void dev_setup(enum device_endian end, unsigned vmin, unsigned vmax,
                      bool vunaligned, unsigned imin, unsigned imax,
                      bool iunaligned)
{
    setup();
    if (dev.mr.magic) {
        memory_region_del_subregion(&root, &dev.mr);
        ASSERT_EQ(gm_memory_region_destroy(&dev.mr, NULL), 0);
    }
    memset(&dev, 0, sizeof(dev));
    dev.ops = (MemoryRegionOps){
        .read_with_attrs = dev_read,
        .write_with_attrs = dev_write,
        .endianness = end,
        .valid = { vmin, vmax, vunaligned, NULL },
        .impl = { imin, imax, iunaligned },
    };
    for (unsigned i = 0; i < sizeof(dev.mem); i++) {
        dev.mem[i] = (uint8_t)(0x10 + i);
    }
    memory_region_init_io(&dev.mr, NULL, &dev.ops, &dev, "dev", 64);
    memory_region_add_subregion(&root, 0x50000, &dev.mr);
}

#define CALL(i, w, a, s, v)                   \
    do {                                      \
        ASSERT_EQ(dev.calls[i].write, w);     \
        ASSERT_ADDR_EQ(dev.calls[i].addr, a); \
        ASSERT_EQ(dev.calls[i].size, s);      \
        ASSERT_ADDR_EQ(dev.calls[i].val, v);  \
    } while (0)

TEST(split_table)
{
    const MemTxAttrs A = { .requester_id = 7 };
    MemTxResult r;
    /* impl max 1: a 4-byte load becomes four byte calls, combined LE. */
    dev_setup(DEVICE_LITTLE_ENDIAN, 1, 4, false, 1, 1, false);
    ASSERT_ADDR_EQ(address_space_ldl_le(&as, 0x50000, A, &r), 0x13121110);
    ASSERT_EQ(r, MEMTX_OK);
    ASSERT_EQ(dev.ncalls, 4);
    CALL(0, false, 0, 1, 0x10);
    CALL(3, false, 3, 1, 0x13);
    ASSERT_EQ(dev.requester, 7);
    /* The same on a big-endian device: the first byte is the most
     * significant; a big-endian load gives the device's value. */
    dev_setup(DEVICE_BIG_ENDIAN, 1, 4, false, 1, 1, false);
    ASSERT_ADDR_EQ(address_space_ldl_be(&as, 0x50000, A, &r), 0x10111213);
    ASSERT_ADDR_EQ(address_space_ldl_le(&as, 0x50000, A, &r), 0x13121110);
    /* impl min 4: a byte load is widened to 4 bytes at the same address. */
    dev_setup(DEVICE_LITTLE_ENDIAN, 1, 4, true, 4, 4, false);
    ASSERT_ADDR_EQ(address_space_ldub(&as, 0x50001, A, &r), 0x11);
    ASSERT_EQ(dev.ncalls, 1);
    CALL(0, false, 1, 4, 0x14131211);
    /* A byte write widened: the value is masked into the low byte. */
    address_space_stb(&as, 0x50004, 0xaa, A, &r);
    CALL(1, true, 4, 4, 0xaa);
    /* valid max 2: an 8-byte read is done as four 2-byte dispatches. */
    dev_setup(DEVICE_LITTLE_ENDIAN, 1, 2, false, 1, 2, false);
    uint8_t buf[8];
    ASSERT_EQ(address_space_read(&as, 0x50008, A, buf, 8), MEMTX_OK);
    ASSERT_EQ(dev.ncalls, 4);
    CALL(0, false, 8, 2, 0x1918);
    CALL(3, false, 14, 2, 0x1f1e);
    ASSERT_EQ(buf[0], 0x18);
    ASSERT_EQ(buf[7], 0x1f);
    /* Alignment caps a piece: 4 bytes at offset 2 go as 2 + 2. */
    dev_setup(DEVICE_LITTLE_ENDIAN, 1, 4, false, 1, 4, false);
    ASSERT_EQ(address_space_read(&as, 0x50002, A, buf, 4), MEMTX_OK);
    ASSERT_EQ(dev.ncalls, 2);
    CALL(0, false, 2, 2, 0x1312);
    CALL(1, false, 4, 2, 0x1514);
    /* An unaligned fixed-size load the device does not accept fails. */
    dev.ncalls = 0;
    ASSERT_EQ(address_space_ldl_le(&as, 0x50001, A, &r), 0);
    ASSERT_EQ(r, MEMTX_DECODE_ERROR);
    ASSERT_EQ(dev.ncalls, 0);
    /* valid min 4: a byte access is refused. */
    dev_setup(DEVICE_LITTLE_ENDIAN, 4, 4, false, 4, 4, false);
    address_space_ldub(&as, 0x50000, A, &r);
    ASSERT_EQ(r, MEMTX_DECODE_ERROR);
    ASSERT_EQ(dev.ncalls, 0);
    /* Errors of the callbacks are passed on. */
    dev_setup(DEVICE_LITTLE_ENDIAN, 1, 4, false, 1, 4, false);
    dev.fail = true;
    address_space_ldl_le(&as, 0x50000, A, &r);
    ASSERT_EQ(r, MEMTX_ERROR);
}

/* Every combination: bytes read through the API equal the device's bytes,
 * writes land where they should, and no call exceeds what impl allows. */
TEST(split_exhaustive)
{
    static const unsigned vmaxs[] = { 0, 1, 2, 4, 8 };
    static const unsigned imaxs[] = { 0, 1, 2, 4, 8 };
    static const unsigned imins[] = { 0, 1, 2, 4 };
    unsigned combos = 0;
    for (int end = 0; end < 2; end++) {
        for (unsigned a = 0; a < 5; a++) {
            for (unsigned b = 0; b < 5; b++) {
                for (unsigned c = 0; c < 4; c++) {
                    for (int un = 0; un < 2; un++) {
                        unsigned imax = imaxs[b], imin = imins[c];
                        if (imax && imin > imax) {
                            continue;
                        }
                        dev_setup(end ? DEVICE_BIG_ENDIAN
                                      : DEVICE_LITTLE_ENDIAN,
                                  0, vmaxs[a], un, imin, imax, un);
                        for (unsigned off = 0; off < 8; off++) {
                            for (unsigned len = 1; len <= 16; len++) {
                                uint8_t buf[16], want[16];
                                for (unsigned i = 0; i < len; i++) {
                                    want[i] = dev.mem[(off + i) % 64];
                                }
                                dev.ncalls = 0;
                                MemTxResult r = address_space_read(
                                    &as, 0x50000 + off, MEMTXATTRS_UNSPECIFIED,
                                    buf, len);
                                ASSERT_EQ(r, MEMTX_OK);
                                ASSERT_EQ(memcmp(buf, want, len), 0);
                                unsigned lim = imax ? imax : 4;
                                unsigned lo = imin ? imin : 1;
                                for (int i = 0; i < dev.ncalls && i < 64; i++) {
                                    ASSERT(dev.calls[i].size <=
                                           (lim > lo ? lim : lo));
                                }
                                combos++;
                            }
                        }
                        /* A write of 8 bytes, read back the same way. */
                        uint8_t w[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, back[8];
                        ASSERT_EQ(address_space_write(&as, 0x50010,
                                                      MEMTXATTRS_UNSPECIFIED, w,
                                                      8),
                                  MEMTX_OK);
                        if (!imin || imin <= 1 || (un && imin <= 8)) {
                            ASSERT_EQ(address_space_read(&as, 0x50010,
                                                         MEMTXATTRS_UNSPECIFIED,
                                                         back, 8),
                                      MEMTX_OK);
                            ASSERT_EQ(memcmp(w, back, 8), 0);
                        }
                    }
                }
            }
        }
    }
    ASSERT(combos > 5000);
}

TEST(rom_device_and_ram_device)
{
    static MemoryRegion romd, ramd;
    static uint8_t devmem[0x100];
    setup();
    dev_setup(DEVICE_LITTLE_ENDIAN, 1, 4, false, 1, 4, false);
    ASSERT(memory_region_init_rom_device(&romd, NULL, &dev.ops, &dev, "flash",
                                         0x1000, NULL));
    uint8_t *host = memory_region_get_ram_ptr(&romd);
    host[0] = 0x77;
    memory_region_add_subregion(&root, 0x60000, &romd);
    dev.ncalls = 0;
    ASSERT_EQ(ldub_phys(&as, 0x60000), 0x77); /* romd: from memory */
    ASSERT_EQ(dev.ncalls, 0);
    stb_phys(&as, 0x60000, 0x99); /* writes: to the device */
    ASSERT_EQ(dev.ncalls, 1);
    ASSERT_EQ(host[0], 0x77);
    memory_region_rom_device_set_romd(&romd, false);
    ASSERT_EQ(ldub_phys(&as, 0x60000), 0x99); /* now the device answers */
    memory_region_init_ram_device_ptr(&ramd, NULL, "bar", sizeof(devmem),
                                      devmem);
    memory_region_add_subregion(&root, 0x70000, &ramd);
    stl_le_phys(&as, 0x70004, 0xa1b2c3d4);
    ASSERT_ADDR_EQ(devmem[4] | (uint32_t)devmem[7] << 24, 0xa10000d4);
    ASSERT_ADDR_EQ(ldq_le_phys(&as, 0x70000), 0xa1b2c3d400000000ULL);
}

/* An IOMMU that maps its pages 1:1 + 0x1000 into "test", read-only for odd
 * pages. */
static IOMMUTLBEntry iommu_translate(IOMMUMemoryRegion *im, hwaddr addr,
                                     IOMMUAccessFlags flag, int idx)
{
    IOMMUTLBEntry e = { &as, addr & ~0xfffULL, (addr & ~0xfffULL) + 0x1000,
                        0xfff, (addr >> 12) & 1 ? IOMMU_RO : IOMMU_RW };
    return e;
}

TEST(iommu_translates_and_checks_permissions)
{
    static const IOMMUMemoryRegionOps ops = { .translate = iommu_translate };
    static IOMMUMemoryRegion im;
    static MemoryRegion dma_root;
    static AddressSpace dma;
    setup();
    ASSERT_EQ(
        gm_memory_region_init_iommu(&im, NULL, &ops, "iommu", 0x10000, NULL),
        0);
    memory_region_init(&dma_root, NULL, "dma", UINT64_MAX);
    memory_region_add_subregion(&dma_root, 0, &im.parent_obj);
    address_space_init(&dma, &dma_root, "dma");
    stl_le_phys(&as, 0x1010, 0x5a5a5a5a);
    ASSERT_ADDR_EQ(ldl_le_phys(&dma, 0x10), 0x5a5a5a5a);
    MemTxResult r;
    address_space_stl_le(&dma, 0x1010, 7, MEMTXATTRS_UNSPECIFIED, &r);
    ASSERT_EQ(r, MEMTX_DECODE_ERROR); /* page 1 is read-only */
    ASSERT_ADDR_EQ(ldl_le_phys(&as, 0x2010), 0);
    address_space_stl_le(&dma, 0x2010, 7, MEMTXATTRS_UNSPECIFIED, &r);
    ASSERT_EQ(r, MEMTX_OK);
    ASSERT_ADDR_EQ(ldl_le_phys(&as, 0x3010), 7);
    /* A read across two IOMMU pages is translated page by page. */
    uint8_t buf[8];
    stl_le_phys(&as, 0x1ffc, 0x04030201);
    stl_le_phys(&as, 0x2000, 0x08070605);
    ASSERT_EQ(address_space_read(&dma, 0x0ffc, MEMTXATTRS_UNSPECIFIED, buf, 8),
              MEMTX_OK);
    ASSERT_EQ(buf[0], 1);
    ASSERT_EQ(buf[7], 8);
}

static int map_client_calls;

static void map_client(void *opaque)
{
    map_client_calls++;
}

TEST(map_unmap_and_bounce)
{
    setup();
    dev_setup(DEVICE_LITTLE_ENDIAN, 1, 4, false, 1, 4, false);
    hwaddr len = 0x20000;
    uint8_t *p =
        address_space_map(&as, 0x100, &len, true, MEMTXATTRS_UNSPECIFIED);
    ASSERT(p == (uint8_t *)memory_region_get_ram_ptr(&ram) + 0x100);
    ASSERT_ADDR_EQ(len, 0x10000 - 0x100); /* cut to the RAM */
    p[0] = 0x42;
    Error *err = NULL;
    memory_region_del_subregion(&root, &ram);
    ASSERT_EQ(gm_memory_region_destroy(&ram, &err), -GM_ERR_IN_USE);
    error_free(err);
    memory_region_add_subregion(&root, 0, &ram);
    address_space_unmap(&as, p, len, true, 1);
    ASSERT_EQ(ldub_phys(&as, 0x100), 0x42);
    /* MMIO: the bounce buffer, filled for a read, written back on unmap. */
    len = 8;
    uint8_t *b =
        address_space_map(&as, 0x50000, &len, false, MEMTXATTRS_UNSPECIFIED);
    ASSERT(b);
    ASSERT_EQ(b[3], 0x13);
    hwaddr len2 = 8;
    ASSERT(
        !address_space_map(&as, 0x50000, &len2, false, MEMTXATTRS_UNSPECIFIED));
    ASSERT_EQ(len2, 0);
    ASSERT_EQ(gm_address_space_register_map_client(map_client, NULL), 0);
    ASSERT_EQ(map_client_calls, 0);
    b[0] = 0xee;
    address_space_unmap(&as, b, len, true, 1);
    ASSERT_EQ(map_client_calls, 1);
    ASSERT_EQ(dev.mem[0], 0xee);
    ASSERT_EQ(gm_address_space_register_map_client(map_client, NULL), 0);
    ASSERT_EQ(map_client_calls, 2); /* free now: called at once */
    len = 8;
    ASSERT(!address_space_map(&as, 0x90000, &len, false,
                              MEMTXATTRS_UNSPECIFIED)); /* nothing there */
}

TEST(caches)
{
    MemoryRegionCache c = MEMORY_REGION_CACHE_INVALID;
    setup();
    ASSERT_EQ(address_space_cache_init(&c, &as, 0xff00, 0x1000, true), 0x100);
    address_space_stl_le_cached(&c, 0x10, 0xfeedf00d, MEMTXATTRS_UNSPECIFIED,
                                NULL);
    ASSERT_ADDR_EQ(ldl_le_phys(&as, 0xff10), 0xfeedf00d);
    ASSERT_ADDR_EQ(
        address_space_ldl_le_cached(&c, 0x10, MEMTXATTRS_UNSPECIFIED, NULL),
        0xfeedf00d);
    MemTxResult r;
    address_space_ldl_le_cached(&c, 0xfe, MEMTXATTRS_UNSPECIFIED, &r);
    ASSERT_EQ(r, MEMTX_DECODE_ERROR); /* past the cached range */
    memory_region_del_subregion(&root, &ram);
    Error *err = NULL;
    ASSERT_EQ(gm_memory_region_destroy(&ram, &err), -GM_ERR_IN_USE);
    error_free(err);
    address_space_cache_destroy(&c);
    ASSERT_EQ(gm_memory_region_destroy(&ram, NULL), 0);
    ASSERT_EQ(address_space_cache_init(&c, &as, 0x90000, 4, false), -1);
}

/* The fixed-size loads take a shortcut for MMIO that is one plain callback;
 * whatever the ops, they must agree with the general path, QEMU's
 * memory_region_dispatch_read of the same size.  (A buffer read is not the
 * reference: QEMU splits it by impl.unaligned and lets unaligned pieces
 * through where the fixed-size loads refuse them.) */
static uint64_t pattern_read(void *opaque, hwaddr addr, unsigned size)
{
    return (addr * 0x0101010101010101ULL) ^ (size * 0x11ULL);
}

TEST(fixed_size_loads_agree_with_buffer_reads)
{
    setup();
    static MemoryRegionOps variants[] = {
        { .read = pattern_read, .endianness = DEVICE_LITTLE_ENDIAN },
        { .read = pattern_read, .endianness = DEVICE_BIG_ENDIAN },
        { .read = pattern_read,
          .endianness = DEVICE_LITTLE_ENDIAN,
          .valid = { .min_access_size = 1,
                     .max_access_size = 8,
                     .unaligned = true },
          .impl = { .min_access_size = 1,
                    .max_access_size = 8,
                    .unaligned = true } },
        { .read = pattern_read,
          .endianness = DEVICE_LITTLE_ENDIAN,
          .valid = { .min_access_size = 4,
                     .max_access_size = 4,
                     .unaligned = false },
          .impl = { .min_access_size = 4,
                    .max_access_size = 4,
                    .unaligned = false } },
        { .read = pattern_read,
          .endianness = DEVICE_LITTLE_ENDIAN,
          .valid = { .min_access_size = 1,
                     .max_access_size = 8,
                     .unaligned = false },
          .impl = { .min_access_size = 2,
                    .max_access_size = 2,
                    .unaligned = false } },
        { .read = pattern_read,
          .endianness = DEVICE_NATIVE_ENDIAN,
          .valid = { .min_access_size = 1,
                     .max_access_size = 4,
                     .unaligned = true },
          .impl = { .min_access_size = 1,
                    .max_access_size = 4,
                    .unaligned = false } },
        { .read = pattern_read,
          .endianness = DEVICE_BIG_ENDIAN,
          .valid = { .min_access_size = 1,
                     .max_access_size = 8,
                     .unaligned = true },
          .impl = { .min_access_size = 1,
                    .max_access_size = 8,
                    .unaligned = true } },
    };
    const MemTxAttrs a = MEMTXATTRS_UNSPECIFIED;
    for (unsigned v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
        static MemoryRegion pat;
        memory_region_init_io(&pat, NULL, &variants[v], NULL, "pat", 0x100);
        memory_region_add_subregion(&root, 0x50000, &pat);
        for (hwaddr off = 0; off < 16; off++) {
            for (unsigned size = 1; size <= 8; size *= 2) {
                uint64_t want = 0;
                MemTxResult rb = memory_region_dispatch_read(
                    &pat, off, &want, size_memop(size) | MO_LE, a);
                /* As QEMU, a narrow access through a wider implementation
                 * can carry extra bits; every user keeps @size bytes. */
                if (size < 8) {
                    want &= (UINT64_C(1) << (size * 8)) - 1;
                }
                MemTxResult rl;
                uint64_t got =
                    size == 1 ? address_space_ldub(&as, 0x50000 + off, a, &rl)
                    : size == 2
                        ? address_space_lduw_le(&as, 0x50000 + off, a, &rl)
                    : size == 4
                        ? address_space_ldl_le(&as, 0x50000 + off, a, &rl)
                        : address_space_ldq_le(&as, 0x50000 + off, a, &rl);
                if (got != want || rl != rb) {
                    test_fail(__FILE__, __LINE__,
                              "variant %u, offset %u, size %u: load 0x%" PRIx64
                              " (%u), dispatch 0x%" PRIx64 " (%u)",
                              v, (unsigned)off, size, got, rl, want, rb);
                }
            }
        }
        memory_region_del_subregion(&root, &pat);
        ASSERT_EQ(gm_memory_region_destroy(&pat, NULL), 0);
    }
}

/* ../shared/cases/api/04: nothing wraps past 2^64 to address 0.  Every
 * entry point that takes a range refuses one that crosses it, whole. */
TEST(ranges_crossing_2p64_are_refused)
{
    static uint8_t lo[0x1000], hi[0x1000];
    static MemoryRegion r, low, top;
    static AddressSpace a;
    const MemTxAttrs A = MEMTXATTRS_UNSPECIFIED;
    memset(lo, 0x11, sizeof(lo));
    memset(hi, 0x22, sizeof(hi));
    memory_region_init(&r, NULL, "r", UINT64_MAX);
    memory_region_init_ram_ptr(&low, NULL, "low", 0x1000, lo);
    memory_region_init_ram_ptr(&top, NULL, "top", 0x1000, hi);
    memory_region_add_subregion(&r, 0, &low);
    memory_region_add_subregion(&r, UINT64_MAX - 0xfff, &top);
    address_space_init(&a, &r, "wrap");
    MemTxResult res = MEMTX_OK;
    ASSERT_ADDR_EQ(address_space_ldq_le(&a, UINT64_MAX - 3, A, &res), 0);
    ASSERT_EQ(res, MEMTX_DECODE_ERROR);
    ASSERT_EQ(address_space_ldl_le(&a, UINT64_MAX - 1, A, &res), 0);
    ASSERT_EQ(res, MEMTX_DECODE_ERROR);
    address_space_stq_le(&a, UINT64_MAX - 3, 0x9999999999999999ull, A, &res);
    ASSERT_EQ(res, MEMTX_DECODE_ERROR);
    uint8_t b[16];
    memset(b, 0x99, sizeof(b));
    ASSERT_EQ(address_space_write(&a, UINT64_MAX - 7, A, b, 16),
              MEMTX_DECODE_ERROR);
    ASSERT_EQ(address_space_write_rom(&a, UINT64_MAX - 7, A, b, 16),
              MEMTX_DECODE_ERROR);
    ASSERT_EQ(address_space_set(&a, UINT64_MAX - 7, 0x99, 16, A),
              MEMTX_DECODE_ERROR);
    ASSERT_EQ(address_space_read(&a, UINT64_MAX - 7, A, b, 16),
              MEMTX_DECODE_ERROR);
    for (int i = 0; i < 16; i++) {
        ASSERT_EQ(b[i], 0); /* refused reads give zeros, as unassigned */
    }
    ASSERT(!address_space_access_valid(&a, UINT64_MAX - 7, 16, true, A));
    hwaddr len = 16;
    ASSERT(!address_space_map(&a, UINT64_MAX - 7, &len, true, A));
    ASSERT_EQ(len, 0);
    MemoryRegionCache c;
    ASSERT_EQ(address_space_cache_init(&c, &a, UINT64_MAX - 7, 16, true), -1);
    /* Neither end was touched; the last byte itself is fine. */
    for (int i = 0; i < 0x1000; i++) {
        ASSERT_EQ(lo[i], 0x11);
        ASSERT_EQ(hi[i], 0x22);
    }
    ASSERT_EQ(address_space_read(&a, UINT64_MAX, A, b, 1), MEMTX_OK);
    ASSERT_EQ(b[0], 0x22);
    ASSERT_EQ(address_space_write(&a, UINT64_MAX - 7, A, b, 8), MEMTX_OK);
    address_space_destroy(&a);
}

/* ../shared/cases/api/02: a read-only alias alone at 0 of the root.  QEMU
 * 7.2 roots the view at the alias's target and loses the flag; guestmem
 * keeps it, so no guest-path write reaches the RAM. */
TEST(readonly_alias_alone_at_root_stays_readonly)
{
    static uint8_t prot[0x1000];
    static MemoryRegion r, ram2, ro;
    static AddressSpace a;
    const MemTxAttrs A = MEMTXATTRS_UNSPECIFIED;
    memset(prot, 0xa5, sizeof(prot));
    memory_region_init(&r, NULL, "r", UINT64_MAX);
    memory_region_init_ram_ptr(&ram2, NULL, "ram", sizeof(prot), prot);
    memory_region_init_alias(&ro, NULL, "ro-alias", &ram2, 0, sizeof(prot));
    memory_region_set_readonly(&ro, true);
    memory_region_add_subregion(&r, 0, &ro);
    address_space_init(&a, &r, "ro");
    uint8_t b[16];
    memset(b, 0x11, sizeof(b));
    ASSERT_EQ(address_space_write(&a, 0x10, A, b, 16), MEMTX_DECODE_ERROR);
    const hwaddr lens[] = { 1, 16, 0x100, 0xff0, 0x2000 };
    for (unsigned i = 0; i < 5; i++) {
        ASSERT(address_space_set(&a, 0x10, 0x55, lens[i], A) &
               MEMTX_DECODE_ERROR);
    }
    MemTxResult res;
    address_space_stl_le(&a, 0, 1, A, &res);
    ASSERT_EQ(res, MEMTX_DECODE_ERROR);
    stb_phys(&a, 0x20, 1);
    for (unsigned i = 0; i < sizeof(prot); i++) {
        ASSERT_EQ(prot[i], 0xa5);
    }
    /* Reads go through; the view is rooted at the alias. */
    ASSERT_EQ(ldub_phys(&a, 0x10), 0xa5);
    FlatView *fv = address_space_get_flatview(&a);
    ASSERT(gm_flatview_root(fv) == &ro);
    MemoryRegionSection s;
    ASSERT(gm_flatview_section(fv, 0, &s));
    ASSERT(s.readonly);
    flatview_unref(fv);
    address_space_destroy(&a);
}

/* --- the inline accessors against the out-of-line ones ------------------------
 * access-inline.h serves some accesses in the caller; the library's
 * exported functions (taken by address, so never inlined) serve all.  For
 * every kind of range, offsets at and around range and page boundaries,
 * every size and both byte orders, loads must give the same value and
 * result, and stores the same memory, dirty bits and device calls, with
 * the thread's entry primed on the range itself (the inline path runs) and
 * on another range (it falls back). */

typedef struct ICall {
    uintptr_t dev;
    bool write;
    hwaddr addr;
    unsigned size;
    uint64_t val;
} ICall;
static ICall icalls[4096];
static unsigned nicalls;

static uint64_t inl_read(void *opaque, hwaddr addr, unsigned size)
{
    icalls[nicalls++ % 4096] =
        (ICall){ (uintptr_t)opaque, false, addr, size, 0 };
    return 0x0123456789abcdefull ^ (addr * 0x9e3779b97f4a7c15ull) ^
           (uintptr_t)opaque ^ size;
}

static void inl_write(void *opaque, hwaddr addr, uint64_t v, unsigned size)
{
    icalls[nicalls++ % 4096] =
        (ICall){ (uintptr_t)opaque, true, addr, size, v };
}

#define NMMIO 6
static const MemoryRegionOps inl_ops[NMMIO] = {
    { .read = inl_read,
      .write = inl_write,
      .endianness = DEVICE_LITTLE_ENDIAN,
      .valid = { 1, 8, false, NULL },
      .impl = { 1, 8, false } },
    { .read = inl_read,
      .write = inl_write,
      .endianness = DEVICE_BIG_ENDIAN,
      .valid = { 1, 8, false, NULL },
      .impl = { 1, 8, false } },
    { .read = inl_read,
      .write = inl_write,
      .endianness = DEVICE_LITTLE_ENDIAN,
      .valid = { 1, 8, true, NULL },
      .impl = { 1, 8, true } },
    { .read = inl_read,
      .write = inl_write,
      .endianness = DEVICE_LITTLE_ENDIAN,
      .valid = { 4, 4, false, NULL },
      .impl = { 4, 4, false } },
    { .read = inl_read,
      .write = inl_write,
      .endianness = DEVICE_LITTLE_ENDIAN,
      .valid = { 1, 8, false, NULL },
      .impl = { 2, 2, false } },
    { .read = inl_read,
      .write = inl_write,
      .endianness = DEVICE_NATIVE_ENDIAN },
};

static MemoryRegion iroot, ia, ib, ic, irom, iro, iromd, imm[NMMIO];
static MemoryRegion itiny[3];
static AddressSpace ias;
#define IMG 5
static uint8_t *img[IMG];
static const size_t img_len[IMG] = { 0x10000, 0x10000, 0x10000, 0x1000,
                                     0x1000 };
static uint8_t *base_img[IMG];

static void inline_setup(void)
{
    static bool done;
    if (done) {
        return;
    }
    done = true;
    test_capture_errors();
    memory_region_init(&iroot, NULL, "iroot", 0x200000);
    ASSERT(memory_region_init_ram(&ia, NULL, "ia", 0x10000, NULL));
    ASSERT(memory_region_init_ram(&ib, NULL, "ib", 0x10000, NULL));
    ASSERT(memory_region_init_ram(&ic, NULL, "ic", 0x10000, NULL));
    ASSERT(memory_region_init_rom(&irom, NULL, "irom", 0x1000, NULL));
    ASSERT(memory_region_init_rom_device(&iromd, NULL, &inl_ops[0],
                                         (void *)(uintptr_t)0x100, "iromd",
                                         0x1000, NULL));
    memory_region_init_alias(&iro, NULL, "iro", &ia, 0x8000, 0x1000);
    memory_region_set_readonly(&iro, true);
    memory_region_add_subregion(&iroot, 0x000000, &ia);
    memory_region_add_subregion(&iroot, 0x010000, &ib);
    memory_region_add_subregion(&iroot, 0x020000, &ic);
    memory_region_add_subregion(&iroot, 0x030000, &irom);
    memory_region_add_subregion(&iroot, 0x031000, &iro);
    memory_region_add_subregion(&iroot, 0x032000, &iromd);
    for (int k = 0; k < NMMIO; k++) {
        memory_region_init_io(&imm[k], NULL, &inl_ops[k],
                              (void *)(uintptr_t)(0x200 + k), "imm", 0x100);
        memory_region_add_subregion(&iroot, 0x033000 + 0x100 * (hwaddr)k,
                                    &imm[k]);
    }
    /* Ranges of 5, 3 and 0xff8 bytes back to back (all of RAM "ia"). */
    memory_region_init_alias(&itiny[0], NULL, "t5", &ia, 0x100, 5);
    memory_region_init_alias(&itiny[1], NULL, "t3", &ia, 0x200, 3);
    memory_region_init_alias(&itiny[2], NULL, "t0", &ia, 0x300, 0xff8);
    memory_region_add_subregion(&iroot, 0x034000, &itiny[0]);
    memory_region_add_subregion(&iroot, 0x034005, &itiny[1]);
    memory_region_add_subregion(&iroot, 0x034008, &itiny[2]);
    memory_region_set_log(&ib, true, DIRTY_MEMORY_VGA);
    memory_region_set_log(&ic, true, DIRTY_MEMORY_VGA);
    memory_region_set_log(&ic, true, DIRTY_MEMORY_CODE);
    address_space_init(&ias, &iroot, "inline");
    MemoryRegion *imgs[IMG] = { &ia, &ib, &ic, &irom, &iromd };
    for (int k = 0; k < IMG; k++) {
        img[k] = memory_region_get_ram_ptr(imgs[k]);
        for (size_t i = 0; i < img_len[k]; i++) {
            img[k][i] = (uint8_t)(i * 7 + k * 31 + (i >> 8));
        }
        base_img[k] = malloc(img_len[k]);
        memcpy(base_img[k], img[k], img_len[k]);
    }
}

/* What a store left: changed words of the images (restored after), dirty
 * words of ib and ic per client (cleared after), device calls. */
typedef struct Effect {
    MemTxResult r;
    unsigned nchanged;
    uint64_t changed[8][3];
    uint64_t dirty[2][DIRTY_MEMORY_NUM];
    unsigned ncalls;
    ICall calls[8];
} Effect;

static void effect_take(Effect *e, unsigned calls_before)
{
    e->nchanged = 0;
    for (int k = 0; k < IMG; k++) {
        for (size_t w = 0; w < img_len[k] / 8; w++) {
            uint64_t x, y;
            memcpy(&x, img[k] + w * 8, 8);
            memcpy(&y, base_img[k] + w * 8, 8);
            if (x != y) {
                ASSERT(e->nchanged < 8);
                e->changed[e->nchanged][0] = (uint64_t)k;
                e->changed[e->nchanged][1] = w;
                e->changed[e->nchanged][2] = x;
                e->nchanged++;
                memcpy(img[k] + w * 8, &y, 8);
            }
        }
    }
    MemoryRegion *logged[2] = { &ib, &ic };
    for (int k = 0; k < 2; k++) {
        for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
            uint64_t bits = 0;
            gm_memory_region_get_dirty_bitmap(logged[k], 0, 0x10000, c, &bits);
            e->dirty[k][c] = bits;
            memory_region_reset_dirty(logged[k], 0, 0x10000, c);
        }
    }
    e->ncalls = nicalls - calls_before;
    ASSERT(e->ncalls <= 8);
    for (unsigned i = 0; i < e->ncalls; i++) {
        e->calls[i] = icalls[(calls_before + i) % 4096];
    }
}

static void effect_clear(void)
{
    Effect e;
    effect_take(&e, nicalls);
}

static void effects_equal(const Effect *a, const Effect *b, hwaddr addr,
                          unsigned size, bool big)
{
    if (a->r != b->r || a->nchanged != b->nchanged || a->ncalls != b->ncalls ||
        memcmp(a->changed, b->changed, sizeof(a->changed[0]) * a->nchanged) ||
        memcmp(a->dirty, b->dirty, sizeof(a->dirty))) {
        test_fail(__FILE__, __LINE__,
                  "store of %u bytes (%s) at 0x%" PRIx64
                  ": inline result %u, %u words, %u calls; out of line "
                  "%u, %u words, %u calls; dirty ib 0x%" PRIx64 "/0x%" PRIx64,
                  size, big ? "BE" : "LE", addr, a->r, a->nchanged, a->ncalls,
                  b->r, b->nchanged, b->ncalls, a->dirty[0][0], b->dirty[0][0]);
    }
    for (unsigned i = 0; i < a->ncalls; i++) {
        ASSERT(a->calls[i].dev == b->calls[i].dev &&
               a->calls[i].write == b->calls[i].write &&
               a->calls[i].addr == b->calls[i].addr &&
               a->calls[i].size == b->calls[i].size &&
               a->calls[i].val == b->calls[i].val);
    }
}

typedef uint64_t (*LoadFn)(AddressSpace *, hwaddr, MemTxAttrs, MemTxResult *);
typedef void (*StoreFn)(AddressSpace *, hwaddr, uint64_t, MemTxAttrs,
                        MemTxResult *);

/* The inline accessors, one per shape (each compiled inline here). */
static uint64_t inl_load(unsigned size, bool big, hwaddr a, MemTxResult *r)
{
    const MemTxAttrs A = MEMTXATTRS_UNSPECIFIED;
    switch (size * 2 + big) {
    case 2: return address_space_ldub(&ias, a, A, r);
    case 4: return address_space_lduw_le(&ias, a, A, r);
    case 5: return address_space_lduw_be(&ias, a, A, r);
    case 8: return address_space_ldl_le(&ias, a, A, r);
    case 9: return address_space_ldl_be(&ias, a, A, r);
    case 16: return address_space_ldq_le(&ias, a, A, r);
    default: return address_space_ldq_be(&ias, a, A, r);
    }
}

static void inl_store(unsigned size, bool big, hwaddr a, uint64_t v,
                      MemTxResult *r)
{
    const MemTxAttrs A = MEMTXATTRS_UNSPECIFIED;
    switch (size * 2 + big) {
    case 2: address_space_stb(&ias, a, (uint32_t)v, A, r); break;
    case 4: address_space_stw_le(&ias, a, (uint32_t)v, A, r); break;
    case 5: address_space_stw_be(&ias, a, (uint32_t)v, A, r); break;
    case 8: address_space_stl_le(&ias, a, (uint32_t)v, A, r); break;
    case 9: address_space_stl_be(&ias, a, (uint32_t)v, A, r); break;
    case 16: address_space_stq_le(&ias, a, v, A, r); break;
    default: address_space_stq_be(&ias, a, v, A, r); break;
    }
}

/* The exported functions, called through pointers the compiler cannot
 * see through. */
static uint64_t ool_load(unsigned size, bool big, hwaddr a, MemTxResult *r)
{
    static uint32_t (*volatile l32[5])(AddressSpace *, hwaddr, MemTxAttrs,
                                       MemTxResult *) = {
        address_space_ldub, address_space_lduw_le, address_space_lduw_be,
        address_space_ldl_le, address_space_ldl_be
    };
    static uint64_t (*volatile l64[2])(
        AddressSpace *, hwaddr, MemTxAttrs,
        MemTxResult *) = { address_space_ldq_le, address_space_ldq_be };
    const MemTxAttrs A = MEMTXATTRS_UNSPECIFIED;
    switch (size * 2 + big) {
    case 2: return l32[0](&ias, a, A, r);
    case 4: return l32[1](&ias, a, A, r);
    case 5: return l32[2](&ias, a, A, r);
    case 8: return l32[3](&ias, a, A, r);
    case 9: return l32[4](&ias, a, A, r);
    case 16: return l64[0](&ias, a, A, r);
    default: return l64[1](&ias, a, A, r);
    }
}

static void ool_store(unsigned size, bool big, hwaddr a, uint64_t v,
                      MemTxResult *r)
{
    static void (*volatile s32[5])(AddressSpace *, hwaddr, uint32_t, MemTxAttrs,
                                   MemTxResult *) = {
        address_space_stb, address_space_stw_le, address_space_stw_be,
        address_space_stl_le, address_space_stl_be
    };
    static void (*volatile s64[2])(AddressSpace *, hwaddr, uint64_t, MemTxAttrs,
                                   MemTxResult *) = { address_space_stq_le,
                                                      address_space_stq_be };
    const MemTxAttrs A = MEMTXATTRS_UNSPECIFIED;
    switch (size * 2 + big) {
    case 2: s32[0](&ias, a, (uint32_t)v, A, r); break;
    case 4: s32[1](&ias, a, (uint32_t)v, A, r); break;
    case 5: s32[2](&ias, a, (uint32_t)v, A, r); break;
    case 8: s32[3](&ias, a, (uint32_t)v, A, r); break;
    case 9: s32[4](&ias, a, (uint32_t)v, A, r); break;
    case 16: s64[0](&ias, a, v, A, r); break;
    default: s64[1](&ias, a, v, A, r); break;
    }
}

/* The addresses to try: around every range's ends and the pages inside. */
static unsigned inline_addrs(hwaddr *out, unsigned max)
{
    static const hwaddr ends[] = {
        0x000000, 0x001000, 0x008000, 0x00f000, 0x010000, 0x011000,
        0x020000, 0x021000, 0x030000, 0x031000, 0x032000, 0x033000,
        0x033100, 0x033200, 0x033300, 0x033400, 0x033500, 0x033600,
        0x034000, 0x034005, 0x034008, 0x035000, 0x036000,
    };
    unsigned n = 0;
    for (unsigned i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
        for (int d = -9; d <= 9; d++) {
            if ((hwaddr)((int64_t)ends[i] + d) < 0x200000 && n < max) {
                out[n++] = (hwaddr)((int64_t)ends[i] + d);
            }
        }
    }
    return n;
}

TEST(inline_and_out_of_line_agree)
{
    inline_setup();
    hwaddr addrs[1024];
    unsigned na = inline_addrs(addrs, 1024);
    effect_clear();
    unsigned checked = 0;
    for (unsigned ai = 0; ai < na; ai++) {
        hwaddr a = addrs[ai];
        for (unsigned size = 1; size <= 8; size *= 2) {
            for (int big = 0; big < 2; big++) {
                if (size == 1 && big) {
                    continue;
                }
                for (int prime = 0; prime < 2; prime++) {
                    /* The thread's entry: this range (the inline path
                     * runs), or another (it falls back). */
                    MemTxResult r0, r1, r2;
                    hwaddr p = prime ? 0x20008 : a;
                    (void)ool_load(1, false, p, &r0);
                    unsigned c0 = nicalls;
                    uint64_t vi = inl_load(size, big, a, &r1);
                    unsigned ci = nicalls - c0;
                    (void)ool_load(1, false, p, &r0);
                    c0 = nicalls;
                    uint64_t vo = ool_load(size, big, a, &r2);
                    unsigned co = nicalls - c0;
                    if (vi != vo || r1 != r2 || ci != co) {
                        test_fail(__FILE__, __LINE__,
                                  "load of %u bytes (%s) at 0x%" PRIx64
                                  ": inline 0x%" PRIx64 " (%u, %u calls), "
                                  "out of line 0x%" PRIx64 " (%u, %u calls)",
                                  size, big ? "BE" : "LE", a, vi, r1, ci, vo,
                                  r2, co);
                    }
                    effect_clear();
                    uint64_t v = 0xf1e2d3c4b5a69788ull ^ (a << 8) ^ size;
                    Effect ei, eo;
                    (void)ool_load(1, false, p, &r0);
                    effect_clear();
                    c0 = nicalls;
                    inl_store(size, big, a, v, &ei.r);
                    effect_take(&ei, c0);
                    (void)ool_load(1, false, p, &r0);
                    effect_clear();
                    c0 = nicalls;
                    ool_store(size, big, a, v, &eo.r);
                    effect_take(&eo, c0);
                    effects_equal(&ei, &eo, a, size, big);
                    checked++;
                }
            }
        }
    }
    ASSERT(checked > 1000);
}

/* The same for MemoryRegionCache: RAM caches (read-write, and read-only
 * through the read-only alias), an MMIO one; inside and past the end. */
TEST(inline_and_out_of_line_caches_agree)
{
    inline_setup();
    static uint32_t (*volatile l4)(MemoryRegionCache *, hwaddr, MemTxAttrs,
                                   MemTxResult *) = address_space_ldl_be_cached;
    static void (*volatile s8)(MemoryRegionCache *, hwaddr, uint64_t,
                               MemTxAttrs, MemTxResult *) =
        address_space_stq_le_cached;
    const MemTxAttrs A = MEMTXATTRS_UNSPECIFIED;
    MemoryRegionCache caches[4];
    ASSERT_EQ(address_space_cache_init(&caches[0], &ias, 0x010100, 0x100, true),
              0x100);
    ASSERT_EQ(address_space_cache_init(&caches[1], &ias, 0x031000, 0x100, true),
              0x100);
    ASSERT_EQ(address_space_cache_init(&caches[2], &ias, 0x033000, 0x100, true),
              0x100);
    ASSERT_EQ(address_space_cache_init(&caches[3], &ias, 0x000ff0, 0x20, false),
              0x20);
    effect_clear();
    for (int k = 0; k < 4; k++) {
        MemoryRegionCache *c = &caches[k];
        for (hwaddr off = 0; off < 0x108; off += 3) {
            MemTxResult r1, r2;
            unsigned c0 = nicalls;
            uint32_t vi = address_space_ldl_be_cached(c, off, A, &r1);
            unsigned ci = nicalls - c0;
            c0 = nicalls;
            uint32_t vo = l4(c, off, A, &r2);
            unsigned co = nicalls - c0;
            if (vi != vo || r1 != r2 || ci != co) {
                test_fail(__FILE__, __LINE__,
                          "cache %d, offset 0x%x: inline 0x%x (%u), out of "
                          "line 0x%x (%u)",
                          k, (unsigned)off, vi, r1, vo, r2);
            }
            Effect ei, eo;
            uint64_t v = 0x1122334455667788ull + off;
            c0 = nicalls;
            address_space_stq_le_cached(c, off, v, A, &ei.r);
            effect_take(&ei, c0);
            c0 = nicalls;
            s8(c, off, v, A, &eo.r);
            effect_take(&eo, c0);
            effects_equal(&ei, &eo, off, 8, false);
        }
        address_space_cache_destroy(c);
    }
}

/* A store with dirty logging on sets the page's bit for exactly the
 * clients logging the range, through every store path; the per-page
 * query sees what the collection then takes. */
TEST(dirty_bits_of_stores_and_the_per_page_query)
{
    inline_setup();
    effect_clear();
    stl_le_phys(&ias, 0x010000 + 5 * 4096 + 8, 1);  /* ib: VGA */
    stl_le_phys(&ias, 0x010000 + 5 * 4096 + 16, 1); /* again: no change */
    stq_le_phys(&ias, 0x010000 + 7 * 4096 - 4, 1);  /* pages 6 and 7 */
    stw_le_phys(&ias, 0x020000 + 9 * 4096, 1);      /* ic: VGA and CODE */
    uint64_t bits = 0;
    ASSERT_EQ(gm_memory_region_get_dirty_bitmap(&ib, 0, 0x10000,
                                                DIRTY_MEMORY_VGA, &bits),
              3);
    ASSERT_ADDR_EQ(bits, (1u << 5) | (1u << 6) | (1u << 7));
    ASSERT_EQ(gm_memory_region_get_dirty_bitmap(&ib, 0, 0x10000,
                                                DIRTY_MEMORY_CODE, &bits),
              0);
    ASSERT_EQ(gm_memory_region_get_dirty_bitmap(&ic, 0, 0x10000,
                                                DIRTY_MEMORY_CODE, &bits),
              1);
    ASSERT_ADDR_EQ(bits, 1u << 9);
    /* A range that starts inside a word and ends inside another: pages 6
     * and 7 are bits 1 and 2 from page 5. */
    uint64_t two[2] = { ~0ull, ~0ull };
    ASSERT_EQ(gm_memory_region_get_dirty_bitmap(&ib, 5 * 4096 + 100, 3 * 4096,
                                                DIRTY_MEMORY_VGA, two),
              3);
    ASSERT_ADDR_EQ(two[0], 0x7);   /* pages 5..8: 5, 6, 7 dirty, 8 clean */
    ASSERT_ADDR_EQ(two[1], ~0ull); /* one word only */
    /* Against the per-page calls, over a pattern. */
    for (unsigned p = 0; p < 16; p += 3) {
        stb_phys(&ias, 0x010000 + (hwaddr)p * 4096 + p, 1);
    }
    uint64_t all = 0;
    gm_memory_region_get_dirty_bitmap(&ib, 0, 0x10000, DIRTY_MEMORY_VGA, &all);
    for (unsigned p = 0; p < 16; p++) {
        ASSERT_EQ((all >> p) & 1,
                  memory_region_get_dirty(&ib, (hwaddr)p * 4096, 4096,
                                          DIRTY_MEMORY_VGA));
    }
    DirtyBitmapSnapshot *snap = memory_region_snapshot_and_clear_dirty(
        &ib, 0, 0x10000, DIRTY_MEMORY_VGA);
    for (unsigned p = 0; p < 16; p++) {
        ASSERT_EQ((all >> p) & 1, memory_region_snapshot_get_dirty(
                                      &ib, snap, (hwaddr)p * 4096, 4096));
    }
    gm_dirty_snapshot_free(snap);
    ASSERT_EQ(gm_memory_region_get_dirty_bitmap(&ib, 0, 0x10000,
                                                DIRTY_MEMORY_VGA, &bits),
              0);
    /* Refused arguments: reported, nothing written. */
    bits = 42;
    ASSERT_EQ(gm_memory_region_get_dirty_bitmap(&ib, 0, 0x20000,
                                                DIRTY_MEMORY_VGA, &bits),
              0);
    ASSERT_EQ(test_last_error(), GM_ERR_RANGE_OVERFLOW);
    ASSERT_EQ(bits, 42);
    ASSERT_EQ(gm_memory_region_get_dirty_bitmap(&imm[0], 0, 0x10,
                                                DIRTY_MEMORY_VGA, &bits),
              0);
    ASSERT_EQ(test_last_error(), GM_ERR_WRONG_KIND);
}

/* The batch API gives what one access at a time gives, in order, with a
 * device callback that changes the view in the middle of a batch. */
static MemoryRegion *batch_toggle;
static uint64_t toggling_read(void *opaque, hwaddr addr, unsigned size)
{
    memory_region_set_enabled(batch_toggle, !batch_toggle->enabled);
    return 0x5a;
}
static const MemoryRegionOps toggling_ops = {
    .read = toggling_read,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

TEST(batches_agree_with_single_accesses)
{
    inline_setup();
    hwaddr addrs[1024];
    unsigned na = inline_addrs(addrs, 1024);
    const MemTxAttrs A = MEMTXATTRS_UNSPECIFIED;
    for (unsigned size = 1; size <= 8; size *= 2) {
        for (int big = 0; big < (size > 1 ? 2 : 1); big++) {
            MemOp op = size_memop(size) | (big ? MO_BE : MO_LE);
            uint64_t got[1024], want[1024];
            uint8_t raw[1024 * 8];
            MemTxResult rw = MEMTX_OK, r;
            unsigned c0 = nicalls;
            for (unsigned i = 0; i < na; i++) {
                want[i] = ool_load(size, big, addrs[i], &r);
                rw |= r;
            }
            unsigned cw = nicalls - c0;
            c0 = nicalls;
            MemTxResult rb =
                gm_address_space_load_batch(&ias, op, addrs, raw, na, A);
            ASSERT_EQ(nicalls - c0, cw);
            ASSERT_EQ(rb, rw);
            for (unsigned i = 0; i < na; i++) {
                got[i] = 0;
                memcpy(&got[i], raw + i * size, size);
                if (got[i] != want[i]) {
                    test_fail(__FILE__, __LINE__,
                              "batch load %u (%s) at 0x%" PRIx64 ": 0x%" PRIx64
                              ", single 0x%" PRIx64,
                              size, big ? "BE" : "LE", addrs[i], got[i],
                              want[i]);
                }
            }
            /* Stores: the batch, then one at a time, same effects. */
            for (unsigned i = 0; i < na; i++) {
                uint64_t v = 0x0102030405060708ull * (i + 1);
                memcpy(raw + i * size, &v, size);
            }
            effect_clear();
            c0 = nicalls;
            Effect eb, es;
            eb.r = gm_address_space_store_batch(&ias, op, addrs, raw, na, A);
            /* Too many changes for Effect: compare whole images. */
            uint8_t *after[IMG];
            for (int k = 0; k < IMG; k++) {
                after[k] = malloc(img_len[k]);
                memcpy(after[k], img[k], img_len[k]);
                memcpy(img[k], base_img[k], img_len[k]);
            }
            unsigned cb = nicalls - c0;
            effect_clear();
            es.r = MEMTX_OK;
            c0 = nicalls;
            for (unsigned i = 0; i < na; i++) {
                uint64_t v = 0;
                memcpy(&v, raw + i * size, size);
                ool_store(size, big, addrs[i], v, &r);
                es.r |= r;
            }
            ASSERT_EQ(nicalls - c0, cb);
            ASSERT_EQ(eb.r, es.r);
            for (int k = 0; k < IMG; k++) {
                ASSERT(memcmp(after[k], img[k], img_len[k]) == 0);
                memcpy(img[k], base_img[k], img_len[k]);
                free(after[k]);
            }
            effect_clear();
        }
    }
    /* A callback that changes the view in the middle: the loads after it
     * see the new view. */
    static MemoryRegion tog, shadow;
    memory_region_init_io(&tog, NULL, &toggling_ops, NULL, "tog", 0x10);
    ASSERT(memory_region_init_ram(&shadow, NULL, "shadow", 0x1000, NULL));
    memset(memory_region_get_ram_ptr(&shadow), 0x77, 0x1000);
    memory_region_add_subregion(&iroot, 0x040000, &tog);
    memory_region_add_subregion_overlap(&iroot, 0x041000, &shadow, 1);
    batch_toggle = &shadow;
    hwaddr seq[4] = { 0x041000, 0x040000, 0x041000, 0x040000 };
    uint8_t out[4];
    gm_address_space_load_batch(&ias, MO_8, seq, out, 4, A);
    ASSERT_EQ(out[0], 0x77);
    ASSERT_EQ(out[1], 0x5a);
    ASSERT_EQ(out[2], 0); /* shadow disabled by the callback: unassigned */
    ASSERT_EQ(out[3], 0x5a);
    ASSERT_EQ(ldub_phys(&ias, 0x041000), 0x77); /* enabled again */
    memory_region_del_subregion(&iroot, &shadow);
    memory_region_del_subregion(&iroot, &tog);
}

int main(int argc, char **argv)
{
    static const TestCase tests[] = {
        TEST_ENTRY(fixed_size_loads_agree_with_buffer_reads),
        TEST_ENTRY(ranges_crossing_2p64_are_refused),
        TEST_ENTRY(readonly_alias_alone_at_root_stays_readonly),
        TEST_ENTRY(ram_round_trip_and_byte_order),
        TEST_ENTRY(unassigned_and_rom),
        TEST_ENTRY(readonly_alias_drops_writes),
        TEST_ENTRY(io_space_reads_all_ones),
        TEST_ENTRY(split_table),
        TEST_ENTRY(split_exhaustive),
        TEST_ENTRY(rom_device_and_ram_device),
        TEST_ENTRY(iommu_translates_and_checks_permissions),
        TEST_ENTRY(map_unmap_and_bounce),
        TEST_ENTRY(caches),
        TEST_ENTRY(inline_and_out_of_line_agree),
        TEST_ENTRY(inline_and_out_of_line_caches_agree),
        TEST_ENTRY(dirty_bits_of_stores_and_the_per_page_query),
        TEST_ENTRY(batches_agree_with_single_accesses),
    };
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
