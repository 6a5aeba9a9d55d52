// SPDX-License-Identifier: MIT
/*
 * test-device-api.c - guestmem/dma.h and guestmem/version.h: the DMA
 * helpers, cpu_physical_memory_*, target-endian loads and stores, the
 * *_phys_cached and target-endian cache accessors, the MemOp names, and the
 * version.  Standalone (TAP on stdout, no test harness), because it is
 * built twice: in the tree (tests/meson.build) and out of the tree against
 * the installed library with `pkg-config --cflags --libs guestmem`
 * (tests/install/test-install.sh), where it also proves that these symbols
 * are exported.
 */
#include <stdio.h>
#include <string.h>

#include <guestmem/guestmem.h>

static int n, failed;

#define OK(cond, ...)                                                         \
    do {                                                                      \
        n++;                                                                  \
        if (cond) {                                                           \
            printf("ok %d - ", n);                                            \
        } else {                                                              \
            failed++;                                                         \
            printf("not ok %d - (%s:%d: %s) ", n, __FILE__, __LINE__, #cond); \
        }                                                                     \
        printf(__VA_ARGS__);                                                  \
        printf("\n");                                                         \
    } while (0)

/* A device that records its last access and answers with a pattern. */
typedef struct Dev {
    hwaddr addr;
    unsigned size;
    uint64_t written;
    unsigned reads, writes;
} Dev;

static uint64_t dev_read(void *opaque, hwaddr addr, unsigned size)
{
    Dev *d = opaque;
    d->addr = addr;
    d->size = size;
    d->reads++;
    return UINT64_C(0x0807060504030201); /* the access path masks it */
}

static void dev_write(void *opaque, hwaddr addr, uint64_t v, unsigned size)
{
    Dev *d = opaque;
    d->addr = addr;
    d->size = size;
    d->written = v;
    d->writes++;
}

static const MemoryRegionOps dev_ops = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};

static void test_version(void)
{
    OK(strcmp(gm_version(), GUESTMEM_VERSION_STRING) == 0,
       "gm_version() is the headers' version (%s)", gm_version());
    OK(gm_version_number() == GUESTMEM_VERSION_NUMBER,
       "gm_version_number() 0x%06x", gm_version_number());
    OK(GUESTMEM_CHECK_VERSION(0, 1, 0) && !GUESTMEM_CHECK_VERSION(99, 0, 0),
       "GUESTMEM_CHECK_VERSION");
}

static void test_memop_names(void)
{
    OK(MO_UB == MO_8 && MO_LEUW == MO_16 && MO_LEUL == MO_32 &&
           MO_LEUQ == MO_64 && MO_TEUL == MO_LEUL,
       "little-endian and target names");
    OK(MO_BEUL == (MO_BE | MO_32) && memop_size(MO_BEUQ) == 8 &&
           memop_size(MO_TEUW) == 2,
       "big-endian names and sizes");
    OK((MO_SIGN & (MO_SIZE | MO_BSWAP)) == 0 && (MO_SL & MO_SIZE) == MO_32 &&
           (MO_SSIZE & MO_SIGN),
       "MO_SIGN is a bit of its own");
}

static void test_cpu_physical_memory(MemoryRegion *ram, Dev *dev)
{
    uint8_t buf[16] = "cpu-physical!", out[16] = { 0 };
    cpu_physical_memory_write(0x1000, buf, sizeof(buf));
    cpu_physical_memory_read(0x1000, out, sizeof(out));
    OK(memcmp(buf, out, sizeof(buf)) == 0, "cpu_physical_memory_write/read");
    memset(out, 0xee, sizeof(out));
    cpu_physical_memory_rw(0x7fffff8, out, 16, false); /* half unassigned */
    OK(out[8] == 0 && out[15] == 0, "unassigned bytes read as zero");

    hwaddr len = 0x2000;
    uint8_t *p = cpu_physical_memory_map(0x3000, &len, true);
    OK(p == (uint8_t *)memory_region_get_ram_ptr(ram) + 0x3000 && len == 0x2000,
       "cpu_physical_memory_map gives RAM's host memory");
    memory_region_set_log(ram, true, DIRTY_MEMORY_VGA);
    memory_region_reset_dirty(ram, 0, 1 << 20, DIRTY_MEMORY_VGA);
    p[0x1000] = 0x5a;
    cpu_physical_memory_unmap(p, len, true, 0x1001);
    OK(ldub_phys(&address_space_memory, 0x4000) == 0x5a &&
           memory_region_get_dirty(ram, 0x4000, 1, DIRTY_MEMORY_VGA) &&
           !memory_region_get_dirty(ram, 0x5000, 1, DIRTY_MEMORY_VGA),
       "cpu_physical_memory_unmap marks what was written dirty");
    memory_region_set_log(ram, false, DIRTY_MEMORY_VGA);

    OK(!cpu_physical_memory_is_io(0x1000), "RAM is not io");
    OK(cpu_physical_memory_is_io(0x100000) && dev->reads == 0,
       "MMIO is io (and nothing is read)");
    OK(cpu_physical_memory_is_io(0x20000000), "unassigned is io");
}

static void test_native(void)
{
    AddressSpace *as = &address_space_memory;
    MemTxResult r = 1;
    address_space_stl(as, 0x2000, 0x11223344, MEMTXATTRS_UNSPECIFIED, &r);
    OK(r == MEMTX_OK && ldub_phys(as, 0x2000) == 0x44 &&
           address_space_ldl(as, 0x2000, MEMTXATTRS_UNSPECIFIED, &r) ==
               0x11223344,
       "address_space_stl/ldl are little-endian");
    stw_phys(as, 0x2010, 0xabcd);
    stq_phys(as, 0x2018, UINT64_C(0x0102030405060708));
    OK(lduw_phys(as, 0x2010) == 0xabcd && ldub_phys(as, 0x2010) == 0xcd &&
           ldq_phys(as, 0x2018) == UINT64_C(0x0102030405060708) &&
           ldl_phys(as, 0x2018) == 0x05060708,
       "stw/stq/lduw/ldl/ldq_phys");
    address_space_stw(as, 0x2020, 0x1234, MEMTXATTRS_UNSPECIFIED, NULL);
    address_space_stq(as, 0x2028, 7, MEMTXATTRS_UNSPECIFIED, NULL);
    OK(address_space_lduw(as, 0x2020, MEMTXATTRS_UNSPECIFIED, NULL) == 0x1234 &&
           address_space_ldq(as, 0x2028, MEMTXATTRS_UNSPECIFIED, NULL) == 7,
       "address_space_stw/stq/lduw/ldq");
    address_space_ldl(as, 0x20000000, MEMTXATTRS_UNSPECIFIED, &r);
    OK(r == MEMTX_DECODE_ERROR, "unassigned: MEMTX_DECODE_ERROR");
}

static void test_dma(Dev *dev)
{
    AddressSpace *as = &address_space_memory;
    MemTxAttrs a = MEMTXATTRS_UNSPECIFIED;
    uint8_t buf[32];

    OK(dma_memory_valid(as, 0, 0x1000, DMA_DIRECTION_FROM_DEVICE, a) &&
           !dma_memory_valid(as, 0x20000000, 4, DMA_DIRECTION_TO_DEVICE, a),
       "dma_memory_valid");
    OK(dma_memory_set(as, 0x6000, 0xa5, 32, a) == MEMTX_OK &&
           dma_memory_read(as, 0x6000, buf, 32, a) == MEMTX_OK &&
           buf[0] == 0xa5 && buf[31] == 0xa5,
       "dma_memory_set, dma_memory_read");
    memcpy(buf, "dma-write", 10);
    OK(dma_memory_write(as, 0x6100, buf, 10, a) == MEMTX_OK &&
           dma_memory_rw(as, 0x6100, buf + 16, 10, DMA_DIRECTION_TO_DEVICE,
                         a) == MEMTX_OK &&
           memcmp(buf + 16, "dma-write", 10) == 0,
       "dma_memory_write, dma_memory_rw");
    OK(dma_memory_read(as, 0x7fffff0, buf, 32, a) == MEMTX_DECODE_ERROR,
       "a DMA reaching past RAM: MEMTX_DECODE_ERROR");
    OK(dma_memory_rw_relaxed(as, 0x6100, buf, 4, DMA_DIRECTION_TO_DEVICE, a) ==
           MEMTX_OK,
       "dma_memory_rw_relaxed");

    uint8_t b8;
    uint16_t b16;
    uint32_t b32;
    uint64_t b64;
    OK(stb_dma(as, 0x6200, 0x9c, a) == MEMTX_OK &&
           ldub_dma(as, 0x6200, &b8, a) == MEMTX_OK && b8 == 0x9c,
       "stb_dma/ldub_dma");
    OK(stw_le_dma(as, 0x6210, 0x1234, a) == MEMTX_OK &&
           lduw_be_dma(as, 0x6210, &b16, a) == MEMTX_OK && b16 == 0x3412 &&
           stw_be_dma(as, 0x6210, 0x1234, a) == MEMTX_OK &&
           lduw_le_dma(as, 0x6210, &b16, a) == MEMTX_OK && b16 == 0x3412,
       "st/ldw le/be _dma");
    OK(stl_le_dma(as, 0x6220, 0x11223344, a) == MEMTX_OK &&
           ldl_be_dma(as, 0x6220, &b32, a) == MEMTX_OK && b32 == 0x44332211 &&
           stl_be_dma(as, 0x6220, 1, a) == MEMTX_OK &&
           ldl_le_dma(as, 0x6220, &b32, a) == MEMTX_OK && b32 == 0x01000000,
       "st/ldl le/be _dma");
    OK(stq_le_dma(as, 0x6230, 1, a) == MEMTX_OK &&
           ldq_be_dma(as, 0x6230, &b64, a) == MEMTX_OK &&
           b64 == UINT64_C(1) << 56 &&
           stq_be_dma(as, 0x6230, 2, a) == MEMTX_OK &&
           ldq_le_dma(as, 0x6230, &b64, a) == MEMTX_OK &&
           b64 == UINT64_C(2) << 56,
       "st/ldq le/be _dma");
    OK(ldl_le_dma(as, 0x20000000, &b32, a) == MEMTX_DECODE_ERROR && b32 == 0,
       "ldl_le_dma of nothing: MEMTX_DECODE_ERROR, 0");

    /* A device sees one access of the full width, as from QEMU's helpers. */
    OK(ldq_le_dma(as, 0x100008, &b64, a) == MEMTX_OK && dev->size == 8 &&
           dev->addr == 8 && b64 == UINT64_C(0x0807060504030201),
       "ldq_le_dma of MMIO: one 8-byte access");
    OK(stl_be_dma(as, 0x100010, 0xaabbccdd, a) == MEMTX_OK && dev->size == 4 &&
           dev->written == 0xddccbbaa,
       "stl_be_dma of MMIO: one 4-byte access, swapped for the LE device");

    /* dma_memory_map of MMIO: the bounce buffer, written back at unmap. */
    dma_addr_t len = 16;
    unsigned writes = dev->writes;
    uint8_t *p =
        dma_memory_map(as, 0x100020, &len, DMA_DIRECTION_FROM_DEVICE, a);
    OK(p && len == 16, "dma_memory_map of MMIO: a bounce buffer");
    if (p) {
        memset(p, 0x42, len);
        dma_memory_unmap(as, p, len, DMA_DIRECTION_FROM_DEVICE, len);
        OK(dev->writes > writes && (dev->written & 0xff) == 0x42,
           "dma_memory_unmap writes the bounce buffer to the device");
    }
}

static void test_cached(void)
{
    AddressSpace *as = &address_space_memory;
    MemoryRegionCache c = MEMORY_REGION_CACHE_INVALID;
    MemTxResult r = 1;

    OK(address_space_cache_init(&c, as, 0x8000, 0x100, true) == 0x100,
       "cache over 0x100 bytes of RAM");
    stb_phys_cached(&c, 0, 0x11);
    stw_le_phys_cached(&c, 2, 0x2233);
    stw_be_phys_cached(&c, 4, 0x2233);
    stl_le_phys_cached(&c, 8, 0x44556677);
    stl_be_phys_cached(&c, 12, 0x44556677);
    stq_le_phys_cached(&c, 16, UINT64_C(0x8899aabbccddeeff));
    stq_be_phys_cached(&c, 24, UINT64_C(0x8899aabbccddeeff));
    OK(ldub_phys(as, 0x8000) == 0x11 && ldub_phys(as, 0x8002) == 0x33 &&
           ldub_phys(as, 0x8004) == 0x22 && ldub_phys(as, 0x8008) == 0x77 &&
           ldub_phys(as, 0x800c) == 0x44 && ldub_phys(as, 0x8010) == 0xff &&
           ldub_phys(as, 0x8018) == 0x88,
       "st*_phys_cached: byte order in memory");
    OK(ldub_phys_cached(&c, 0) == 0x11 &&
           lduw_le_phys_cached(&c, 2) == 0x2233 &&
           lduw_be_phys_cached(&c, 4) == 0x2233 &&
           ldl_le_phys_cached(&c, 8) == 0x44556677 &&
           ldl_be_phys_cached(&c, 12) == 0x44556677 &&
           ldq_le_phys_cached(&c, 16) == UINT64_C(0x8899aabbccddeeff) &&
           ldq_be_phys_cached(&c, 24) == UINT64_C(0x8899aabbccddeeff),
       "ld*_phys_cached read them back");
    stw_phys_cached(&c, 32, 0xbeef);
    stl_phys_cached(&c, 36, 0xdeadbeef);
    stq_phys_cached(&c, 40, 42);
    OK(lduw_phys_cached(&c, 32) == 0xbeef &&
           ldl_phys_cached(&c, 36) == 0xdeadbeef &&
           ldq_phys_cached(&c, 40) == 42 && lduw_le_phys(as, 0x8020) == 0xbeef,
       "target-endian *_phys_cached");
    address_space_stl_cached(&c, 48, 5, MEMTXATTRS_UNSPECIFIED, &r);
    OK(r == MEMTX_OK &&
           address_space_ldl_cached(&c, 48, MEMTXATTRS_UNSPECIFIED, &r) == 5 &&
           address_space_lduw_cached(&c, 48, MEMTXATTRS_UNSPECIFIED, &r) == 5 &&
           address_space_ldq_cached(&c, 48, MEMTXATTRS_UNSPECIFIED, &r) == 5,
       "address_space_{ld,st}*_cached (target order)");
    address_space_stw_cached(&c, 56, 6, MEMTXATTRS_UNSPECIFIED, &r);
    address_space_stq_cached(&c, 64, 7, MEMTXATTRS_UNSPECIFIED, &r);
    OK(lduw_le_phys(as, 0x8038) == 6 && ldq_le_phys(as, 0x8040) == 7,
       "address_space_stw/stq_cached");
    OK(ldl_le_phys_cached(&c, 0x100) == 0, "outside the cache: 0");
    stl_phys_cached(&c, 0xfe, 0xffffffff);
    OK(ldub_phys(as, 0x80fe) == 0 && ldub_phys(as, 0x8100) == 0,
       "a store leaving the cache does nothing");
    address_space_cache_destroy(&c);

    OK(address_space_cache_init(&c, as, 0x8000, 0x100, false) == 0x100,
       "read-only cache");
    stl_phys_cached(&c, 0, 0);
    OK(ldub_phys(as, 0x8000) == 0x11, "a store through it does nothing");
    address_space_cache_destroy(&c);
}

int main(void)
{
    static MemoryRegion ram, mmio;
    static Dev dev;
    memory_region_init_ram(&ram, NULL, "ram", 128 << 20, &error_fatal);
    memory_region_init_io(&mmio, NULL, &dev_ops, &dev, "dev", 0x1000);
    memory_region_add_subregion(get_system_memory(), 0, &ram);
    /* The device at 0x100000 hides that page of RAM. */
    memory_region_add_subregion_overlap(get_system_memory(), 0x100000, &mmio,
                                        1);

    test_version();
    test_memop_names();
    test_cpu_physical_memory(&ram, &dev);
    test_native();
    test_dma(&dev);
    test_cached();

    gm_reset();
    gm_memory_region_destroy(&mmio, NULL);
    gm_memory_region_destroy(&ram, NULL);
    printf("1..%d\n", n);
    return failed != 0;
}
