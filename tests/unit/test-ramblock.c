// SPDX-License-Identifier: MIT
/*
 * test-ramblock.c - RAM blocks and backends (ramblock.c, backend.c):
 * `info ramblock` order and format, lookups, resizeable RAM, memfd and file
 * backends round-tripping data through a second mapping of the same file
 * descriptor, preallocation measured by the process's RSS, and failures
 * that leave nothing behind.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../harness/test.h"

static const MemTxAttrs A = MEMTXATTRS_UNSPECIFIED;

static int count_block(RAMBlock *rb, void *opaque)
{
    (*(int *)opaque)++;
    return 0;
}

static int nr_blocks(void)
{
    int n = 0;
    qemu_ram_foreach_block(count_block, &n);
    return n;
}

TEST(info_ramblock_order_and_format)
{
    test_capture_errors();
    static MemoryRegion a, b, c, d;
    ASSERT(memory_region_init_ram(&a, NULL, "small", 0x1000, NULL));
    ASSERT(memory_region_init_ram(&b, NULL, "big", 0x100000, NULL));
    ASSERT(memory_region_init_rom(&c, NULL, "odd", 0x100, NULL));
    ASSERT(memory_region_init_ram(&d, NULL, "small2", 0x1000, NULL));
    char *s = ram_block_format();
    /* Largest first; equal sizes in creation order; lengths page-rounded;
     * offsets by QEMU's find_ram_offset (each after the last, word
     * aligned). */
    ASSERT_STR_EQ(s, "              Block Name    PSize              Offset    "
                     "           Used              Total\n"
                     "                     big    4 KiB  0x0000000000040000 "
                     "0x0000000000100000 0x0000000000100000\n"
                     "                   small    4 KiB  0x0000000000000000 "
                     "0x0000000000001000 0x0000000000001000\n"
                     "                     odd    4 KiB  0x0000000000140000 "
                     "0x0000000000001000 0x0000000000001000\n"
                     "                  small2    4 KiB  0x0000000000180000 "
                     "0x0000000000001000 0x0000000000001000\n");
    free(s);
    ASSERT(qemu_ram_block_by_name("odd") == c.ram_block);
    ASSERT(qemu_ram_block_by_name("nope") == NULL);
    ram_addr_t off = 0;
    uint8_t *p = memory_region_get_ram_ptr(&b);
    ASSERT(qemu_ram_block_from_host(p + 0x1234, true, &off) == b.ram_block);
    ASSERT_EQ(off, 0x1000);
    ASSERT(memory_region_from_host(p + 0x1234, &off) == &b);
    ASSERT_EQ(off, 0x1234);
    ASSERT(memory_region_from_host(&off, NULL) == NULL);
    ASSERT_EQ(qemu_ram_get_used_length(c.ram_block), 0x1000);
    ASSERT(qemu_ram_is_migratable(c.ram_block));
    ASSERT(!qemu_ram_is_shared(a.ram_block));
    ASSERT_EQ(qemu_ram_get_fd(a.ram_block), -1);
    ASSERT_EQ(nr_blocks(), 4);
}

static int resized_calls;
static uint64_t resized_len;

static void on_resized(const char *id, uint64_t len, void *host)
{
    resized_calls++;
    resized_len = len;
}

TEST(resizeable_ram)
{
    test_capture_errors();
    static MemoryRegion r, root;
    static AddressSpace as;
    ASSERT(memory_region_init_resizeable_ram(&r, NULL, "rs", 0x2000, 0x10000,
                                             on_resized, NULL));
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    memory_region_add_subregion(&root, 0, &r);
    address_space_init(&as, &root, "rs");
    memory_region_reset_dirty(&r, 0, 0x2000, DIRTY_MEMORY_VGA);
    Error *err = NULL;
    memory_region_ram_resize(&r, 0x8000, &err);
    ASSERT(err == NULL);
    ASSERT_EQ(memory_region_size(&r), 0x8000);
    ASSERT_EQ(qemu_ram_get_used_length(r.ram_block), 0x8000);
    ASSERT_EQ(qemu_ram_get_max_length(r.ram_block), 0x10000);
    ASSERT_EQ(resized_calls, 1);
    ASSERT_EQ(resized_len, 0x8000);
    /* The new used range starts dirty; the view grew with it. */
    ASSERT(memory_region_get_dirty(&r, 0x7000, 1, DIRTY_MEMORY_VGA));
    stl_le_phys(&as, 0x7ffc, 0xabcd);
    ASSERT_ADDR_EQ(ldl_le_phys(&as, 0x7ffc), 0xabcd);
    /* Past the maximum, or not resizeable: an error, nothing changes. */
    ASSERT_EQ(qemu_ram_resize(r.ram_block, 0x20000, NULL), -GM_ERR_INVALID_ARG);
    ASSERT_EQ(memory_region_size(&r), 0x8000);
    static MemoryRegion fixed;
    ASSERT(memory_region_init_ram(&fixed, NULL, "fixed", 0x1000, NULL));
    ASSERT_EQ(qemu_ram_resize(fixed.ram_block, 0x2000, NULL),
              -GM_ERR_WRONG_KIND);
    ASSERT_EQ(resized_calls, 1);
}

/* A second mapping of the block's own descriptor sees the guest's writes
 * and the guest sees the second mapping's. */
static void round_trip_through_fd(MemoryRegion *mr, AddressSpace *as,
                                  uint64_t size)
{
    int fd = qemu_ram_get_fd(mr->ram_block);
    ASSERT(fd >= 0);
    ASSERT_EQ(memory_region_get_fd(mr), fd);
    uint8_t *second =
        mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ASSERT(second != MAP_FAILED);
    const char msg[] = "through the guest";
    ASSERT_EQ(address_space_write(as, 0x3000, A, msg, sizeof(msg)), MEMTX_OK);
    ASSERT_EQ(memcmp(second + 0x3000, msg, sizeof(msg)), 0);
    strcpy((char *)second + size - 64, "through the fd");
    char back[32] = { 0 };
    ASSERT_EQ(address_space_read(as, size - 64, A, back, 15), MEMTX_OK);
    ASSERT_STR_EQ(back, "through the fd");
    munmap(second, size);
}

TEST(memfd_backend_round_trip)
{
    test_capture_errors();
    static MemoryRegion m, root;
    static AddressSpace as;
    GmBackendConfig cfg = { .kind = GM_BACKEND_MEMFD, .size = 1 << 20 };
    Error *err = NULL;
    ASSERT(gm_memory_region_init_backend(&m, NULL, "mfd", &cfg, &err));
    ASSERT(qemu_ram_is_shared(m.ram_block));
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    memory_region_add_subregion(&root, 0, &m);
    address_space_init(&as, &root, "mfd");
    round_trip_through_fd(&m, &as, 1 << 20);
    /* Sealed: the memfd cannot be shrunk under the guest. */
    ASSERT(ftruncate(qemu_ram_get_fd(m.ram_block), 4096) < 0);
}

TEST(file_backend_round_trip_and_temp_file)
{
    test_capture_errors();
    char dir[] = "/tmp/gm-test-XXXXXX";
    ASSERT(mkdtemp(dir) != NULL);
    char path[128];
    snprintf(path, sizeof(path), "%s/guest.img", dir);
    static MemoryRegion f, t, root;
    static AddressSpace as;
    GmBackendConfig cfg = { .kind = GM_BACKEND_FILE,
                            .size = 1 << 20,
                            .mem_path = path,
                            .share = true };
    ASSERT(gm_memory_region_init_backend(&f, NULL, "file", &cfg, NULL));
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    memory_region_add_subregion(&root, 0, &f);
    address_space_init(&as, &root, "file");
    round_trip_through_fd(&f, &as, 1 << 20);
    /* Shared: the data is in the file itself. */
    int fd = open(path, O_RDONLY);
    ASSERT(fd >= 0);
    char buf[18] = { 0 };
    ASSERT_EQ(pread(fd, buf, 17, 0x3000), 17);
    ASSERT_STR_EQ(buf, "through the guest");
    close(fd);
    /* A directory: an unlinked temporary file, so nothing is left. */
    GmBackendConfig tcfg = { .kind = GM_BACKEND_FILE,
                             .size = 1 << 16,
                             .mem_path = dir };
    ASSERT(gm_memory_region_init_backend(&t, NULL, "tmp", &tcfg, NULL));
    DIR *dp = opendir(dir);
    int entries = 0;
    for (struct dirent *e; (e = readdir(dp));) {
        entries += e->d_name[0] != '.';
    }
    closedir(dp);
    ASSERT_EQ(entries, 1); /* guest.img only */
    unlink(path);
    rmdir(dir);
}

TEST(prealloc_populates_lazy_does_not)
{
    test_capture_errors();
    const uint64_t size = 64 << 20;
    static MemoryRegion lazy, eager, shared;
    long r0 = test_status_kib("VmRSS");
    GmBackendConfig cfg = { .kind = GM_BACKEND_RAM, .size = size };
    ASSERT(gm_memory_region_init_backend(&lazy, NULL, "lazy", &cfg, NULL));
    long r1 = test_status_kib("VmRSS");
    ASSERT(r1 - r0 < 8 * 1024); /* nothing touched yet */
    cfg.prealloc = true;
    ASSERT(gm_memory_region_init_backend(&eager, NULL, "eager", &cfg, NULL));
    long r2 = test_status_kib("VmRSS");
    if (r2 - r1 < 60 * 1024) {
        test_fail(__FILE__, __LINE__, "prealloc grew RSS by %ld KiB only",
                  r2 - r1);
    }
    /* A preallocated memfd counts as shared memory in RSS too. */
    GmBackendConfig mcfg = { .kind = GM_BACKEND_MEMFD,
                             .size = size,
                             .prealloc = true };
    ASSERT(gm_memory_region_init_backend(&shared, NULL, "shm", &mcfg, NULL));
    long r3 = test_status_kib("VmRSS");
    if (r3 - r2 < 60 * 1024) {
        test_fail(__FILE__, __LINE__, "memfd prealloc grew RSS by %ld KiB",
                  r3 - r2);
    }
}

TEST(failures_leave_nothing_behind)
{
    test_capture_errors();
    int before = nr_blocks();
    static MemoryRegion m;
    Error *err = NULL;
    GmBackendConfig cfg = { .kind = GM_BACKEND_FILE,
                            .size = 1 << 20,
                            .mem_path = "/nonexistent-dir/x/guest.img" };
    ASSERT(!gm_memory_region_init_backend(&m, NULL, "nofile", &cfg, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_IO);
    error_free(err);
    err = NULL;
    /* More than the host can map. */
    GmBackendConfig huge = { .kind = GM_BACKEND_RAM,
                             .size = UINT64_C(1) << 61 };
    ASSERT(!gm_memory_region_init_backend(&m, NULL, "huge", &huge, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_NO_MEMORY);
    error_free(err);
    err = NULL;
    /* A memfd of huge pages where the host has none reserved (or a size
     * that is not a multiple of the huge page size). */
    GmBackendConfig hp = { .kind = GM_BACKEND_MEMFD,
                           .size = 4096,
                           .hugetlb = true,
                           .prealloc = true };
    bool ok = gm_memory_region_init_backend(&m, NULL, "hp", &hp, &err);
    if (ok) {
        gm_memory_region_destroy(&m, NULL);
    } else {
        ASSERT(gm_error_code(err) == GM_ERR_IO ||
               gm_error_code(err) == GM_ERR_NO_MEMORY);
        error_free(err);
        err = NULL;
    }
    /* Invalid configurations. */
    GmBackendConfig bad = { .kind = GM_BACKEND_FILE, .size = 4096 };
    ASSERT(!gm_memory_region_init_backend(&m, NULL, "nopath", &bad, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_INVALID_ARG);
    error_free(err);
    err = NULL;
    GmBackendConfig zero = { .kind = GM_BACKEND_RAM, .size = 0 };
    ASSERT(!gm_memory_region_init_backend(&m, NULL, "zero", &zero, &err));
    error_free(err);
    ASSERT_EQ(nr_blocks(), before);
    ASSERT(m.magic == 0); /* left uninitialised */
}

/* The first hugetlbfs mount, or NULL. */
static char *hugetlbfs_mount(void)
{
    static char dir[256];
    FILE *f = fopen("/proc/mounts", "r");
    char line[512], fs[64];
    while (f && fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%*s %255s %63s", dir, fs) == 2 &&
            !strcmp(fs, "hugetlbfs") && access(dir, W_OK) == 0) {
            fclose(f);
            return dir;
        }
    }
    if (f) {
        fclose(f);
    }
    return NULL;
}

TEST(hugetlbfs_mem_path)
{
    test_capture_errors();
    char *dir = hugetlbfs_mount();
    if (!dir) {
        test_skip("no writable hugetlbfs mount on this host");
    }
    static MemoryRegion h;
    Error *err = NULL;
    GmBackendConfig cfg = { .kind = GM_BACKEND_FILE,
                            .size = 2 << 20,
                            .mem_path = dir,
                            .prealloc = true };
    if (!gm_memory_region_init_backend(&h, NULL, "huge", &cfg, &err)) {
        /* Mounted but no free huge pages: a clear error, nothing left. */
        ASSERT(gm_error_code(err) == GM_ERR_IO ||
               gm_error_code(err) == GM_ERR_NO_MEMORY);
        error_free(err);
        test_skip("hugetlbfs mounted but no free huge pages");
    }
    ASSERT(qemu_ram_pagesize(h.ram_block) >= (2u << 20));
    char *s = ram_block_format();
    ASSERT(strstr(s, " MiB ") != NULL);
    free(s);
}

TEST(numa_system_memory)
{
    test_capture_errors();
    static MemoryRegion n0, n1, sysram, sysram2, root;
    static AddressSpace as;
    GmBackendConfig cfg = { .kind = GM_BACKEND_RAM, .size = 1 << 20 };
    ASSERT(gm_memory_region_init_backend(&n0, NULL, "node0", &cfg, NULL));
    ASSERT(gm_memory_region_init_backend(&n1, NULL, "node1", &cfg, NULL));
    Error *err = NULL;
    /* One backend for two nodes: refused, nothing mapped. */
    GmNumaNode twice[2] = { { &n0, 0, 0 }, { &n0, 0, 0 } };
    ASSERT(!gm_memory_region_allocate_system_memory(&sysram, NULL, "ram",
                                                    2 << 20, twice, 2, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_IN_USE);
    ASSERT(strstr(error_get_pretty(err), "used multiple times") != NULL);
    error_free(err);
    err = NULL;
    ASSERT(sysram.magic == 0 && n0.container == NULL);
    /* Sizes that do not add up. */
    GmNumaNode one[1] = { { &n0, 0, 0 } };
    ASSERT(!gm_memory_region_allocate_system_memory(&sysram, NULL, "ram",
                                                    2 << 20, one, 1, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_INVALID_ARG);
    error_free(err);
    err = NULL;
    /* A host node that does not exist: the host refuses, nothing mapped. */
    GmNumaNode far[2] = { { &n0, 0, 0 },
                          { &n1, UINT64_C(1) << 63, GM_MPOL_BIND } };
    ASSERT(!gm_memory_region_allocate_system_memory(&sysram, NULL, "ram",
                                                    2 << 20, far, 2, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_UNSUPPORTED);
    error_free(err);
    err = NULL;
    ASSERT(n0.container == NULL && n1.container == NULL);
    /* Two nodes, the second bound to host node 0 (every Linux host with
     * NUMA support has it; without, the refusal is clean). */
    GmNumaNode two[2] = { { &n0, 0, 0 }, { &n1, 1, GM_MPOL_BIND } };
    if (!gm_memory_region_allocate_system_memory(&sysram, NULL, "ram", 2 << 20,
                                                 two, 2, &err)) {
        ASSERT_EQ(gm_error_code(err), GM_ERR_UNSUPPORTED);
        error_free(err);
        err = NULL;
        two[1].host_nodes = 0;
        two[1].policy = 0;
        ASSERT(gm_memory_region_allocate_system_memory(&sysram, NULL, "ram",
                                                       2 << 20, two, 2, NULL));
    }
    ASSERT(n0.container == &sysram && n0.addr == 0);
    ASSERT(n1.container == &sysram && n1.addr == (1 << 20));
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    memory_region_add_subregion(&root, 0, &sysram);
    address_space_init(&as, &root, "numa");
    stl_le_phys(&as, (1 << 20) + 16, 0x5eed);
    ASSERT_EQ(*(uint32_t *)((uint8_t *)memory_region_get_ram_ptr(&n1) + 16),
              0x5eed);
    /* Without nodes: plain RAM. */
    ASSERT(gm_memory_region_allocate_system_memory(&sysram2, NULL, "plain",
                                                   1 << 20, NULL, 0, NULL));
    ASSERT(memory_region_is_ram(&sysram2));
}

static const TestCase tests[] = {
    TEST_ENTRY(info_ramblock_order_and_format),
    TEST_ENTRY(resizeable_ram),
    TEST_ENTRY(memfd_backend_round_trip),
    TEST_ENTRY(file_backend_round_trip_and_temp_file),
    TEST_ENTRY(prealloc_populates_lazy_does_not),
    TEST_ENTRY(failures_leave_nothing_behind),
    TEST_ENTRY(hugetlbfs_mem_path),
    TEST_ENTRY(numa_system_memory),
};

int main(int argc, char **argv)
{
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
