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
#include <time.h>
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

/* --- resizing (QEMU 7.2's qemu_ram_resize) -------------------------------- */

static int resized_calls;
static uint64_t resized_len;

static void on_resized(const char *id, uint64_t len, void *host)
{
    resized_calls++;
    resized_len = len;
}

/* What a failed resize must leave alone. */
typedef struct BlockState {
    uint64_t used, max, size;
    int calls;
    bool dirty_last_page;
} BlockState;

static BlockState block_state(MemoryRegion *mr)
{
    RAMBlock *rb = mr->ram_block;
    return (BlockState){
        qemu_ram_get_used_length(rb),
        qemu_ram_get_max_length(rb),
        memory_region_size(mr),
        resized_calls,
        memory_region_get_dirty(mr, qemu_ram_get_used_length(rb) - 1, 1,
                                DIRTY_MEMORY_VGA),
    };
}

static void assert_unchanged(MemoryRegion *mr, BlockState was)
{
    BlockState now = block_state(mr);
    ASSERT_ADDR_EQ(now.used, was.used);
    ASSERT_ADDR_EQ(now.max, was.max);
    ASSERT_ADDR_EQ(now.size, was.size);
    ASSERT_EQ(now.calls, was.calls);
    ASSERT_EQ(now.dirty_last_page, was.dirty_last_page);
}

/* Resizes @mr to @size and expects error @code with exactly @msg. */
static void resize_fails(MemoryRegion *mr, uint64_t size, GmErrorCode code,
                         const char *msg)
{
    BlockState was = block_state(mr);
    Error *err = NULL;
    ASSERT_EQ(qemu_ram_resize(mr->ram_block, size, &err), -(int)code);
    ASSERT_EQ(gm_error_code(err), code);
    if (msg) {
        ASSERT_STR_EQ(error_get_pretty(err), msg);
    }
    error_free(err);
    assert_unchanged(mr, was);
}

/* api/01-ram-resize-wrap.c: UINT64_MAX rounded up to the page wraps to 0;
 * it must be "too large", with the block, its size and its contents as
 * they were. */
TEST(resize_past_2_64_is_too_large)
{
    test_capture_errors();
    static MemoryRegion r;
    ASSERT(memory_region_init_resizeable_ram(&r, NULL, "rr", 0x1000, 0x4000,
                                             on_resized, NULL));
    uint8_t *p = memory_region_get_ram_ptr(&r);
    memset(p, 0xab, 0x1000);
    memory_region_reset_dirty(&r, 0, 0x1000, DIRTY_MEMORY_VGA);
    resize_fails(&r, UINT64_MAX, GM_ERR_INVALID_ARG,
                 "Size too large: rr: 0xffffffffffffffff > 0x4000 (the "
                 "block's maximum)");
    /* Every size whose rounding wraps, and the first one past the
     * maximum. */
    resize_fails(&r, UINT64_MAX - 0xffe, GM_ERR_INVALID_ARG, NULL);
    resize_fails(&r, UINT64_MAX - 0xfff, GM_ERR_INVALID_ARG, NULL);
    resize_fails(&r, 0x4001, GM_ERR_INVALID_ARG,
                 "Size too large: rr: 0x4001 > 0x4000 (the block's "
                 "maximum)");
    resize_fails(&r, 0, GM_ERR_INVALID_ARG,
                 "cannot resize 'rr' to 0 bytes (1 byte to its maximum of "
                 "0x4000)");
    ASSERT_EQ(p[0], 0xab);
    ASSERT_EQ(p[0xfff], 0xab);
    ASSERT_EQ(resized_calls, 0);
    /* The maximum itself is fine. */
    ASSERT_EQ(qemu_ram_resize(r.ram_block, 0x4000, NULL), 0);
    ASSERT_EQ(memory_region_size(&r), 0x4000);
    ASSERT_EQ(p[0xfff], 0xab);
}

/* ram/resize-errors.c: QEMU's errors name the block and the request as
 * given, with QEMU's words ("Size mismatch", "Size too large"). */
TEST(resize_errors_name_the_request)
{
    test_capture_errors();
    static MemoryRegion rom, acpi;
    ASSERT(memory_region_init_rom(&rom, NULL, "0000:00:03.0/virtio-net-pci.rom",
                                  0x80000, NULL));
    ASSERT(memory_region_init_resizeable_ram(&acpi, NULL, "etc/acpi/tables",
                                             0x1000, 0x10000, NULL, NULL));
    resize_fails(&rom, 0x40000, GM_ERR_WRONG_KIND,
                 "Size mismatch: 0000:00:03.0/virtio-net-pci.rom: 0x40000 != "
                 "0x80000 (the block is not resizeable: only a size within "
                 "its 0x80000 bytes of host pages is accepted)");
    /* Its own size: fine, as in QEMU (migration resizes every block to
     * the length in the stream). */
    Error *err = NULL;
    memory_region_ram_resize(&rom, 0x80000, &err);
    ASSERT(err == NULL);
    ASSERT_EQ(memory_region_size(&rom), 0x80000);
    resize_fails(&acpi, 0x20000, GM_ERR_INVALID_ARG,
                 "Size too large: etc/acpi/tables: 0x20000 > 0x10000 (the "
                 "block's maximum)");
    resize_fails(&acpi, 0x300000, GM_ERR_INVALID_ARG,
                 "Size too large: etc/acpi/tables: 0x300000 > 0x10000 (the "
                 "block's maximum)");
    /* A region without a block. */
    static MemoryRegion io;
    memory_region_init_io(&io, NULL, NULL, NULL, "io", 0x10);
    memory_region_ram_resize(&io, 0x10, &err);
    ASSERT_EQ(gm_error_code(err), GM_ERR_WRONG_KIND);
    error_free(err);
    ASSERT_EQ(qemu_ram_resize(NULL, 0x1000, NULL), -GM_ERR_INVALID_ARG);
}

/* ram/resize-within-same-pages.c: a byte-exact size within the same host
 * pages sets the region's size and calls the hook (QEMU's "exec: Fix for
 * qemu_ram_resize() callback"); only the same size is a no-op. */
TEST(resize_within_same_pages)
{
    test_capture_errors();
    static MemoryRegion mr;
    ASSERT(memory_region_init_resizeable_ram(
        &mr, NULL, "etc/acpi/tables", 0x1000, 0x10000, on_resized, NULL));
    Error *err = NULL;
    memory_region_ram_resize(&mr, 0x1800, &err);
    ASSERT(err == NULL);
    ASSERT_EQ(resized_calls, 1);
    ASSERT_EQ(resized_len, 0x1800);
    ASSERT_EQ(memory_region_size(&mr), 0x1800);
    ASSERT_EQ(qemu_ram_get_used_length(mr.ram_block), 0x2000);
    /* Still two pages: the size and the hook follow, the block does not;
     * nothing is dirtied. */
    memory_region_reset_dirty(&mr, 0, 0x2000, DIRTY_MEMORY_VGA);
    memory_region_ram_resize(&mr, 0x1c00, &err);
    ASSERT(err == NULL);
    ASSERT_EQ(resized_calls, 2);
    ASSERT_EQ(resized_len, 0x1c00);
    ASSERT_EQ(memory_region_size(&mr), 0x1c00);
    ASSERT_EQ(qemu_ram_get_used_length(mr.ram_block), 0x2000);
    ASSERT(!memory_region_get_dirty(&mr, 0, 0x1c00, DIRTY_MEMORY_VGA));
    /* The same size: a no-op, no hook. */
    memory_region_ram_resize(&mr, 0x1c00, &err);
    ASSERT(err == NULL);
    ASSERT_EQ(resized_calls, 2);
    /* A fixed block accepts a size within its pages too, as in QEMU. */
    static MemoryRegion fixed;
    ASSERT(memory_region_init_ram(&fixed, NULL, "fixed", 0x800, NULL));
    ASSERT_EQ(qemu_ram_resize(fixed.ram_block, 0x800, NULL), 0);
    ASSERT_EQ(qemu_ram_resize(fixed.ram_block, 0xc00, NULL), 0);
    ASSERT_EQ(memory_region_size(&fixed), 0xc00);
    ASSERT_EQ(qemu_ram_get_used_length(fixed.ram_block), 0x1000);
    resize_fails(&fixed, 0x1001, GM_ERR_WRONG_KIND, NULL);
}

/* A shrink keeps what lies past the new end, as in QEMU: growing again
 * shows it. */
TEST(resize_shrink_keeps_contents)
{
    test_capture_errors();
    static MemoryRegion mr;
    ASSERT(memory_region_init_resizeable_ram(&mr, NULL, "r", 0x4000, 0x4000,
                                             NULL, NULL));
    uint8_t *p = memory_region_get_ram_ptr(&mr);
    p[0x3000] = 0x5a;
    ASSERT_EQ(qemu_ram_resize(mr.ram_block, 0x1000, NULL), 0);
    ASSERT_EQ(qemu_ram_resize(mr.ram_block, 0x4000, NULL), 0);
    ASSERT_EQ(p[0x3000], 0x5a);
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

/* --- backing files: too small is refused, users' files stay as they were -- */

/* A file's whole contents, to compare before and after. */
typedef struct FileImage {
    char path[96];
    size_t size;
    uint8_t *bytes;
} FileImage;

/* Makes a file of @size bytes of a pattern in a fresh directory. */
static FileImage make_file(const char *name, size_t size)
{
    FileImage f = { { 0 }, size, malloc(size ? size : 1) };
    char dir[] = "/tmp/gm-files-XXXXXX";
    ASSERT(mkdtemp(dir) != NULL);
    snprintf(f.path, sizeof(f.path), "%s/%s", dir, name);
    for (size_t i = 0; i < size; i++) {
        f.bytes[i] = (uint8_t)(i * 7 + 3);
    }
    int fd = open(f.path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    ASSERT(fd >= 0);
    ASSERT_EQ(write(fd, f.bytes, size), (ssize_t)size);
    close(fd);
    return f;
}

/* The file is byte for byte and size for size what make_file() wrote. */
static void assert_file_unchanged(const FileImage *f)
{
    struct stat st;
    ASSERT_EQ(stat(f->path, &st), 0);
    ASSERT_EQ(st.st_size, (off_t)f->size);
    uint8_t *now = malloc(f->size ? f->size : 1);
    int fd = open(f->path, O_RDONLY);
    ASSERT(fd >= 0);
    ASSERT_EQ(read(fd, now, f->size), (ssize_t)f->size);
    close(fd);
    ASSERT_EQ(memcmp(now, f->bytes, f->size), 0);
    free(now);
}

static void remove_file(FileImage *f)
{
    unlink(f->path);
    *strrchr(f->path, '/') = '\0';
    rmdir(f->path);
    free(f->bytes);
}

/* Opens @f as RAM of @size and expects the refusal @code with @needle in
 * its message; nothing may be left: no block, an uninitialised region,
 * the file as it was. */
static void file_refused(FileImage *f, uint64_t size, uint32_t flags,
                         bool readonly, const char *needle)
{
    static MemoryRegion m;
    int before = nr_blocks();
    Error *err = NULL;
    ASSERT(!memory_region_init_ram_from_file(&m, NULL, "f", size, 0, flags,
                                             f->path, readonly, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_INVALID_ARG);
    if (!strstr(error_get_pretty(err), needle)) {
        test_fail(__FILE__, __LINE__, "'%s' not in '%s'", needle,
                  error_get_pretty(err));
    }
    error_free(err);
    ASSERT(m.magic == 0);
    ASSERT_EQ(nr_blocks(), before);
    assert_file_unchanged(f);
}

/* api/03-ro-file-too-small-sigbus.c: a 5-byte file behind 64 KiB of RAM.
 * Accepted, a guest read at 0x8000 raised SIGBUS; QEMU 7.2 refuses it
 * ("backing store size 0x5 does not match 'size' option 0x10000"), and so
 * does guestmem, read-only or not, shared or not. */
TEST(file_smaller_than_region_is_refused)
{
    test_capture_errors();
    FileImage f = make_file("small.bin", 5);
    const char *qemu = "backing store size 0x5 does not match 'size' option "
                       "0x10000";
    file_refused(&f, 0x10000, 0, true, qemu);
    file_refused(&f, 0x10000, RAM_SHARED, true, qemu);
    file_refused(&f, 0x10000, 0, false, qemu);
    file_refused(&f, 0x10000, RAM_SHARED, false, qemu);
    file_refused(&f, 0x10000, 0, false, "never grown or truncated");
    remove_file(&f);
    /* The size is rounded up to the page first, as QEMU does: a 5000-byte
     * file cannot back 5000 bytes of RAM (its second page would be partly
     * missing); QEMU: "backing store size 0x1388 does not match 'size'
     * option 0x2000". */
    f = make_file("p5000.bin", 5000);
    file_refused(&f, 5000, 0, false,
                 "backing store size 0x1388 does not match 'size' option "
                 "0x2000");
    file_refused(&f, 5000, 0, true, "0x1388");
    remove_file(&f);
    /* An empty file read-only: nothing to map (QEMU 7.2 maps it anyway and
     * the first guest access raises SIGBUS). */
    f = make_file("empty.bin", 0);
    file_refused(&f, 0x1000, 0, true,
                 "backing store size 0x0 does not match 'size' option "
                 "0x1000");
    remove_file(&f);
}

/* The same through an fd and through a --mem-path backend. */
TEST(small_fd_and_backend_file_are_refused)
{
    test_capture_errors();
    FileImage f = make_file("guest.img", 5000);
    static MemoryRegion m;
    Error *err = NULL;
    int fd = open(f.path, O_RDWR);
    ASSERT(fd >= 0);
    ASSERT(!memory_region_init_ram_from_fd(&m, NULL, "fd", 0x10000, RAM_SHARED,
                                           fd, 0, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_INVALID_ARG);
    error_free(err);
    err = NULL;
    /* An offset that leaves too little of a large enough file. */
    ASSERT(!memory_region_init_ram_from_fd(&m, NULL, "fd", 0x1000, 0, fd,
                                           0x1000, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_INVALID_ARG);
    error_free(err);
    err = NULL;
    close(fd);
    assert_file_unchanged(&f);
    /* `guestmem ramblock --mem-path FILE -m 1G` grew a 5,000-byte file to
     * 1 GiB; QEMU refuses it. */
    GmBackendConfig cfg = { .kind = GM_BACKEND_FILE,
                            .size = 1 << 30,
                            .mem_path = f.path };
    for (int share = 0; share < 2; share++) {
        cfg.share = share;
        cfg.prealloc = share;
        ASSERT(!gm_memory_region_init_backend(&m, NULL, "pc.ram", &cfg, &err));
        ASSERT_EQ(gm_error_code(err), GM_ERR_INVALID_ARG);
        ASSERT(strstr(error_get_pretty(err),
                      "backing store size 0x1388 does not match 'size' "
                      "option 0x40000000") != NULL);
        error_free(err);
        err = NULL;
        ASSERT(m.magic == 0);
        assert_file_unchanged(&f);
    }
    remove_file(&f);
}

/* Files large enough are accepted and, opened without RAM_SHARED, stay
 * byte for byte as they were whatever the guest does; read-only files
 * also make the region read-only, as QEMU does, so that a store neither
 * reaches the file nor faults. */
TEST(accepted_files_stay_unchanged)
{
    test_capture_errors();
    static MemoryRegion root, ro, priv, shared;
    static AddressSpace as;
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    address_space_init(&as, &root, "files");
    FileImage exact = make_file("exact.bin", 0x10000);
    FileImage big = make_file("big.bin", 70000);
    /* Read-only: reads see the file, stores are dropped. */
    ASSERT(memory_region_init_ram_from_file(&ro, NULL, "ro", 0x10000, 0, 0,
                                            exact.path, true, NULL));
    ASSERT(memory_region_is_rom(&ro));
    memory_region_add_subregion(&root, 0, &ro);
    MemTxResult res;
    ASSERT_EQ(address_space_ldub(&as, 0x8000, A, &res), exact.bytes[0x8000]);
    ASSERT_EQ(res, MEMTX_OK);
    address_space_stb(&as, 0x8000, 0x55, A, &res);
    ASSERT_EQ(address_space_ldub(&as, 0x8000, A, NULL), exact.bytes[0x8000]);
    /* Even a store through the host pointer cannot fault or reach it. */
    ((volatile uint8_t *)memory_region_get_ram_ptr(&ro))[0x10] = 0x77;
    /* Private, on a larger file: the guest's stores stay in memory. */
    ASSERT(memory_region_init_ram_from_file(&priv, NULL, "priv", 0x10000, 0, 0,
                                            big.path, false, NULL));
    memory_region_add_subregion(&root, 0x10000, &priv);
    ASSERT_EQ(address_space_ldub(&as, 0x10000 + 0x1234, A, NULL),
              big.bytes[0x1234]);
    address_space_stl_le(&as, 0x10000 + 0x1234, 0xdeadbeef, A, &res);
    ASSERT_EQ(res, MEMTX_OK);
    ASSERT_ADDR_EQ(address_space_ldl_le(&as, 0x10000 + 0x1234, A, NULL),
                   0xdeadbeef);
    memory_region_del_subregion(&root, &ro);
    memory_region_del_subregion(&root, &priv);
    ASSERT_EQ(gm_memory_region_destroy(&ro, NULL), 0);
    ASSERT_EQ(gm_memory_region_destroy(&priv, NULL), 0);
    assert_file_unchanged(&exact);
    assert_file_unchanged(&big);
    /* Shared asks for the guest's stores to reach the file - and only
     * them: its size does not change. */
    ASSERT(memory_region_init_ram_from_file(&shared, NULL, "shared", 0x10000, 0,
                                            RAM_SHARED, big.path, false, NULL));
    ((uint8_t *)memory_region_get_ram_ptr(&shared))[0x20] = 0x99;
    ASSERT_EQ(gm_memory_region_destroy(&shared, NULL), 0);
    big.bytes[0x20] = 0x99;
    assert_file_unchanged(&big);
    remove_file(&exact);
    remove_file(&big);
}

/* What is sized: an empty file (as QEMU), a file created at a missing
 * path (removed again on failure), and an empty memfd given by fd. */
TEST(empty_and_new_files_are_sized)
{
    test_capture_errors();
    static MemoryRegion e, n, m, d;
    FileImage f = make_file("empty.bin", 0);
    ASSERT(memory_region_init_ram_from_file(&e, NULL, "e", 0x3000, 0, 0, f.path,
                                            false, NULL));
    struct stat st;
    ASSERT_EQ(stat(f.path, &st), 0);
    ASSERT_EQ(st.st_size, 0x3000);
    /* A path that does not exist yet is created; a failure removes it. */
    char fresh[128];
    snprintf(fresh, sizeof(fresh), "%s.new", f.path);
    ASSERT(memory_region_init_ram_from_file(&n, NULL, "n", 0x2000, 0, 0, fresh,
                                            false, NULL));
    ASSERT_EQ(stat(fresh, &st), 0);
    ASSERT_EQ(st.st_size, 0x2000);
    ASSERT_EQ(gm_memory_region_destroy(&n, NULL), 0);
    unlink(fresh);
    /* 2^62 bytes: created, then it cannot be sized or mapped. */
    Error *err = NULL;
    ASSERT(!memory_region_init_ram_from_file(&d, NULL, "n", UINT64_C(1) << 62,
                                             0, 0, fresh, false, &err));
    ASSERT(gm_error_code(err) == GM_ERR_IO ||
           gm_error_code(err) == GM_ERR_NO_MEMORY);
    error_free(err);
    err = NULL;
    ASSERT(stat(fresh, &st) != 0);
    int fd = memfd_create("gm", MFD_CLOEXEC);
    ASSERT(memory_region_init_ram_from_fd(&m, NULL, "m", 0x5000, RAM_SHARED, fd,
                                          0, NULL));
    ASSERT_EQ(fstat(fd, &st), 0);
    ASSERT_EQ(st.st_size, 0x5000);
    close(fd);
    /* A read-only open of a missing file: refused, nothing created. */
    ASSERT(!memory_region_init_ram_from_file(&d, NULL, "d", 0x1000, 0, 0, fresh,
                                             true, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_IO);
    error_free(err);
    ASSERT(stat(fresh, &st) != 0);
    ASSERT_EQ(gm_memory_region_destroy(&e, NULL), 0);
    remove_file(&f);
}

/* A memfd backend of a size that is not a multiple of the page works (its
 * memfd is sized to whole pages; QEMU 7.2 refuses it with "backing store
 * size 0x1388 does not match 'size' option 0x2000"). */
TEST(memfd_backend_of_odd_size)
{
    test_capture_errors();
    static MemoryRegion m;
    GmBackendConfig cfg = { .kind = GM_BACKEND_MEMFD, .size = 5000 };
    ASSERT(gm_memory_region_init_backend(&m, NULL, "odd", &cfg, NULL));
    struct stat st;
    ASSERT_EQ(fstat(qemu_ram_get_fd(m.ram_block), &st), 0);
    ASSERT_EQ(st.st_size, 0x2000);
    ASSERT_EQ(memory_region_size(&m), 5000);
}

/* --- ids ------------------------------------------------------------------ */

/* QEMU 7.2: 'RAMBlock "pc.bios" already registered, abort!' (for example
 * -object memory-backend-ram,id=pc.bios,... -machine memory-backend=pc.bios).
 * guestmem refuses the second block and changes nothing. */
TEST(duplicate_ids_are_refused)
{
    test_capture_errors();
    static MemoryRegion a, b, c, r, f, x, y;
    ASSERT(memory_region_init_rom(&a, NULL, "pc.bios", 0x40000, NULL));
    int before = nr_blocks();
    Error *err = NULL;
    ASSERT(!memory_region_init_ram(&b, NULL, "pc.bios", 0x1000, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_DUPLICATE);
    ASSERT_STR_EQ(error_get_pretty(err),
                  "RAMBlock \"pc.bios\" already registered (the ids of "
                  "migratable RAM blocks must be unique)");
    error_free(err);
    err = NULL;
    ASSERT(b.magic == 0);
    ASSERT(!memory_region_init_ram_flags_nomigrate(&r, NULL, "pc.bios", 0x1000,
                                                   RAM_MIGRATABLE, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_DUPLICATE);
    error_free(err);
    err = NULL;
    /* A backend of that name: refused before its file is created. */
    char path[] = "/tmp/gm-dup-XXXXXX";
    ASSERT(mkdtemp(path) != NULL);
    char file[64];
    snprintf(file, sizeof(file), "%s/ram", path);
    GmBackendConfig cfg = { .kind = GM_BACKEND_FILE,
                            .size = 0x1000,
                            .mem_path = file };
    ASSERT(!gm_memory_region_init_backend(&f, NULL, "pc.bios", &cfg, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_DUPLICATE);
    error_free(err);
    err = NULL;
    ASSERT(access(file, F_OK) != 0);
    rmdir(path);
    ASSERT_EQ(nr_blocks(), before);
    ASSERT(qemu_ram_block_by_name("pc.bios") == a.ram_block);
    /* Not registered for migration: no id in QEMU, so names may repeat. */
    ASSERT(memory_region_init_ram_nomigrate(&x, NULL, "pc.bios", 0x1000, NULL));
    ASSERT(memory_region_init_ram_nomigrate(&y, NULL, "pc.bios", 0x1000, NULL));
    /* Once the first is gone the name is free again. */
    ASSERT_EQ(gm_memory_region_destroy(&a, NULL), 0);
    ASSERT(memory_region_init_ram(&c, NULL, "pc.bios", 0x1000, NULL));
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

/* A million RAM blocks made and destroyed in creation order, then in
 * reverse: each removal costs O(1) at either end of the offset index (in
 * creation order it moved the whole index each time and took minutes),
 * and the offsets stay QEMU's: each block after the last, on a bitmap
 * word. */
static void million_blocks(bool reverse)
{
    enum {
        N = 1000000
    };
    static uint8_t host[0x1000];
    MemoryRegion *m = calloc(N, sizeof(*m));
    ASSERT(m);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < N; i++) {
        memory_region_init_ram_ptr(&m[i], NULL, "r", sizeof(host), host);
    }
    ram_addr_t base = memory_region_get_ram_addr(&m[0]);
    ASSERT_ADDR_EQ(memory_region_get_ram_addr(&m[1]) - base, 0x40000);
    ASSERT_ADDR_EQ(memory_region_get_ram_addr(&m[N - 1]) - base,
                   (uint64_t)(N - 1) * 0x40000);
    for (long k = 0; k < N; k++) {
        long i = reverse ? N - 1 - k : k;
        ASSERT_EQ(gm_memory_region_destroy(&m[i], NULL), 0);
        if (k == N / 2) {
            /* A new block takes the smallest gap that fits: after the
             * last block still there. */
            MemoryRegion extra;
            memory_region_init_ram_ptr(&extra, NULL, "x", sizeof(host), host);
            ASSERT_ADDR_EQ(memory_region_get_ram_addr(&extra) - base,
                           reverse ? (uint64_t)(N - k - 1) * 0x40000
                                   : (uint64_t)N * 0x40000);
            ASSERT_EQ(gm_memory_region_destroy(&extra, NULL), 0);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    free(m);
    double s = (double)(t1.tv_sec - t0.tv_sec) +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "1,000,000 RAM blocks made and destroyed%s: %.2f s\n",
            reverse ? " in reverse" : "", s);
    ASSERT(s < 30); /* generous: it takes about a second */
}

TEST(a_million_blocks_destroyed_in_creation_order)
{
    million_blocks(false);
}

TEST(a_million_blocks_destroyed_in_reverse)
{
    million_blocks(true);
}

static const TestCase tests[] = {
    TEST_ENTRY(info_ramblock_order_and_format),
    TEST_ENTRY(resize_past_2_64_is_too_large),
    TEST_ENTRY(resize_errors_name_the_request),
    TEST_ENTRY(resize_within_same_pages),
    TEST_ENTRY(resize_shrink_keeps_contents),
    TEST_ENTRY(resizeable_ram),
    TEST_ENTRY(memfd_backend_round_trip),
    TEST_ENTRY(file_backend_round_trip_and_temp_file),
    TEST_ENTRY(prealloc_populates_lazy_does_not),
    TEST_ENTRY(failures_leave_nothing_behind),
    TEST_ENTRY(file_smaller_than_region_is_refused),
    TEST_ENTRY(small_fd_and_backend_file_are_refused),
    TEST_ENTRY(accepted_files_stay_unchanged),
    TEST_ENTRY(empty_and_new_files_are_sized),
    TEST_ENTRY(memfd_backend_of_odd_size),
    TEST_ENTRY(duplicate_ids_are_refused),
    TEST_ENTRY(hugetlbfs_mem_path),
    TEST_ENTRY(numa_system_memory),
    TEST_ENTRY(a_million_blocks_destroyed_in_creation_order),
    TEST_ENTRY(a_million_blocks_destroyed_in_reverse),
};

int main(int argc, char **argv)
{
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
