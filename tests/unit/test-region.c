// SPDX-License-Identifier: MIT
/*
 * test-region.c - region kinds, properties, misuse and lifetime (region.c,
 * ramblock.c, object.c, error.c).
 */
#define _GNU_SOURCE
#include "../harness/test.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static MemoryRegion root;
static AddressSpace as;

static void setup(void)
{
    test_capture_errors();
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    address_space_init(&as, &root, "test");
}

TEST(kinds_print_like_qemu)
{
    static MemoryRegion c, ram, rom, romd, io, alias, ramd, nv;
    static char buf[4096];
    static const MemoryRegionOps ops = { 0 };
    setup();
    memory_region_init(&c, NULL, "c", 0x1000);
    ASSERT(memory_region_init_ram(&ram, NULL, "ram", 0x1000, NULL));
    ASSERT(memory_region_init_rom(&rom, NULL, "rom", 0x1000, NULL));
    ASSERT(memory_region_init_rom_device(&romd, NULL, &ops, NULL, "romd",
                                         0x1000, NULL));
    memory_region_init_io(&io, NULL, &ops, NULL, "io", 0x1000);
    memory_region_init_alias(&alias, NULL, "alias", &rom, 0, 0x1000);
    memory_region_init_ram_device_ptr(&ramd, NULL, "ramd", sizeof(buf), buf);
    ASSERT(memory_region_init_ram(&nv, NULL, "nv", 0x1000, NULL));
    memory_region_set_nonvolatile(&nv, true);
    ASSERT_STR_EQ(gm_memory_region_type(&c), "i/o");
    ASSERT_STR_EQ(gm_memory_region_type(&ram), "ram");
    ASSERT_STR_EQ(gm_memory_region_type(&rom), "rom");
    ASSERT_STR_EQ(gm_memory_region_type(&romd), "romd");
    ASSERT_STR_EQ(gm_memory_region_type(&io), "i/o");
    ASSERT_STR_EQ(gm_memory_region_type(&alias), "rom");
    ASSERT_STR_EQ(gm_memory_region_type(&ramd), "ramd");
    memory_region_rom_device_set_romd(&romd, false);
    ASSERT_STR_EQ(gm_memory_region_type(&romd), "i/o");
    memory_region_add_subregion(&root, 0x10000, &nv);
    char *t = test_mtree(false, false, false, false);
    ASSERT(strstr(t, "0000000000010000-0000000000010fff (prio 0, nv-ram): nv"));
    free(t);
    ASSERT_EQ(test_last_error(), GM_OK);
}

TEST(sizes_zero_and_2_64)
{
    static MemoryRegion big, zero;
    setup();
    memory_region_init(&big, NULL, "big", UINT64_MAX);
    ASSERT_ADDR_EQ(memory_region_size(&big), UINT64_MAX);
    ASSERT(big.size == int128_2_64());
    memory_region_init_io(&zero, NULL, NULL, NULL, "zero", 0);
    ASSERT_EQ(memory_region_size(&zero), 0);
    memory_region_add_subregion(&root, 0x1000, &zero);
    ASSERT_EQ(test_last_error(), GM_OK);
    char *r = test_ranges(&as);
    ASSERT_STR_EQ(r, ""); /* a region of size 0 never shows */
    free(r);
    /* RAM cannot be 0 or 2^64 bytes. */
    static MemoryRegion ram;
    Error *err = NULL;
    ASSERT(!memory_region_init_ram(&ram, NULL, "r", 0, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_INVALID_ARG);
    error_free(err);
    err = NULL;
    ASSERT(!memory_region_init_ram(&ram, NULL, "r", UINT64_MAX, &err));
    error_free(err);
}

TEST(region_ending_at_2_64_minus_1)
{
    static MemoryRegion top, over;
    setup();
    ASSERT(memory_region_init_ram(&top, NULL, "top", 0x1000, NULL));
    memory_region_add_subregion(&root, UINT64_MAX - 0xfff, &top);
    ASSERT_EQ(test_last_error(), GM_OK);
    char *r = test_ranges(&as);
    ASSERT_STR_EQ(r, "fffffffffffff000-ffffffffffffffff top@0\n");
    free(r);
    ASSERT(memory_region_init_ram(&over, NULL, "over", 0x1000, NULL));
    memory_region_add_subregion(&root, UINT64_MAX - 0xffe, &over);
    ASSERT_EQ(test_last_error(), GM_ERR_RANGE_OVERFLOW);
    ASSERT(over.container == NULL);
}

TEST(add_twice_is_refused)
{
    static MemoryRegion a, c;
    setup();
    memory_region_init(&c, NULL, "c", 0x10000);
    memory_region_init_io(&a, NULL, NULL, NULL, "a", 0x100);
    memory_region_add_subregion(&root, 0, &a);
    memory_region_add_subregion(&c, 0, &a);
    ASSERT_EQ(test_last_error(), GM_ERR_HAS_CONTAINER);
    ASSERT(a.container == &root);
    ASSERT(c.subregions == NULL);
    Error *err = NULL;
    ASSERT_EQ(gm_memory_region_add_subregion(&c, 0, &a, 0, &err),
              -GM_ERR_HAS_CONTAINER);
    ASSERT(strstr(error_get_pretty(err), "already a subregion of 'root'"));
    error_free(err);
}

TEST(del_not_child_is_refused)
{
    static MemoryRegion a, c;
    setup();
    memory_region_init(&c, NULL, "c", 0x10000);
    memory_region_init_io(&a, NULL, NULL, NULL, "a", 0x100);
    memory_region_add_subregion(&root, 0, &a);
    memory_region_del_subregion(&c, &a);
    ASSERT_EQ(test_last_error(), GM_ERR_NOT_CHILD);
    ASSERT(a.container == &root);
    memory_region_del_subregion(&root, &a);
    ASSERT_EQ(test_last_error(), GM_OK);
    ASSERT(a.container == NULL && root.subregions == NULL);
}

TEST(cycles_are_refused)
{
    static MemoryRegion a, b, al;
    setup();
    memory_region_init(&a, NULL, "a", 0x10000);
    memory_region_init(&b, NULL, "b", 0x10000);
    memory_region_add_subregion(&a, 0, &b);
    memory_region_add_subregion(&b, 0, &a); /* a contains b */
    ASSERT_EQ(test_last_error(), GM_ERR_ALIAS_CYCLE);
    memory_region_add_subregion(&a, 0, &a);
    ASSERT_EQ(test_last_error(), GM_ERR_ALIAS_CYCLE);
    /* An alias of a, placed inside b (inside a): a cycle through the alias. */
    memory_region_init_alias(&al, NULL, "al", &a, 0, 0x100);
    memory_region_add_subregion(&b, 0x100, &al);
    ASSERT_EQ(test_last_error(), GM_ERR_ALIAS_CYCLE);
    ASSERT(al.container == NULL);
    Error *err = NULL;
    static MemoryRegion self;
    ASSERT_EQ(gm_memory_region_init_alias(&self, NULL, "s", &self, 0, 1, &err),
              -GM_ERR_INVALID_ARG); /* not initialised yet: refused */
    error_free(err);
    memory_region_add_subregion(&root, 0, &a);
    ASSERT_EQ(test_last_error(), GM_OK);
}

TEST(alias_onto_alias_and_offsets)
{
    static MemoryRegion ram, a1, a2;
    setup();
    ASSERT(memory_region_init_ram(&ram, NULL, "ram", 0x10000, NULL));
    memory_region_init_alias(&a1, NULL, "a1", &ram, 0x1000, 0x8000);
    memory_region_init_alias(&a2, NULL, "a2", &a1, 0x2000, 0x1000);
    memory_region_add_subregion(&root, 0x100000, &a2);
    char *r = test_ranges(&as);
    ASSERT_STR_EQ(r, "100000-100fff ram@3000\n");
    free(r);
    memory_region_set_alias_offset(&a2, 0x3000);
    r = test_ranges(&as);
    ASSERT_STR_EQ(r, "100000-100fff ram@4000\n");
    free(r);
    memory_region_set_alias_offset(&ram, 0);
    ASSERT_EQ(test_last_error(), GM_ERR_WRONG_KIND);
    memory_region_set_alias_offset(&a2, UINT64_MAX);
    ASSERT_EQ(test_last_error(), GM_ERR_RANGE_OVERFLOW);
    ASSERT_ADDR_EQ(a2.alias_offset, 0x3000);
    ASSERT(memory_region_get_ram_ptr(&a2) ==
           (uint8_t *)memory_region_get_ram_ptr(&ram) + 0x4000);
}

TEST(alias_into_alias_container_refused)
{
    static MemoryRegion c, al, x;
    setup();
    memory_region_init(&c, NULL, "c", 0x1000);
    memory_region_init_alias(&al, NULL, "al", &c, 0, 0x1000);
    memory_region_init_io(&x, NULL, NULL, NULL, "x", 0x10);
    memory_region_add_subregion(&al, 0, &x);
    ASSERT_EQ(test_last_error(), GM_ERR_WRONG_KIND);
}

TEST(destroy_in_use_is_refused)
{
    static MemoryRegion ram, al;
    setup();
    ASSERT(memory_region_init_ram(&ram, NULL, "ram", 0x1000, NULL));
    memory_region_add_subregion(&root, 0, &ram);
    Error *err = NULL;
    ASSERT_EQ(gm_memory_region_destroy(&ram, &err), -GM_ERR_IN_USE);
    error_free(err);
    err = NULL;
    memory_region_del_subregion(&root, &ram);
    memory_region_init_alias(&al, NULL, "al", &ram, 0, 0x1000);
    ASSERT_EQ(gm_memory_region_destroy(&ram, &err), -GM_ERR_IN_USE);
    error_free(err);
    err = NULL;
    ASSERT_EQ(gm_memory_region_destroy(&root, &err), -GM_ERR_IN_USE); /* root */
    error_free(err);
    ASSERT_EQ(gm_memory_region_destroy(&al, NULL), 0);
    ASSERT_EQ(gm_memory_region_destroy(&ram, NULL), 0);
    ASSERT(ram.magic == 0);
    /* Destroying a container detaches its children. */
    static MemoryRegion c, k;
    memory_region_init(&c, NULL, "c", 0x1000);
    memory_region_init_io(&k, NULL, NULL, NULL, "k", 0x10);
    memory_region_add_subregion(&c, 0, &k);
    ASSERT_EQ(gm_memory_region_destroy(&c, NULL), 0);
    ASSERT(k.container == NULL);
    ASSERT_EQ(gm_memory_region_destroy(&k, NULL), 0);
}

TEST(destroy_inside_transaction_while_visible)
{
    static MemoryRegion ram;
    setup();
    ASSERT(memory_region_init_ram(&ram, NULL, "ram", 0x1000, NULL));
    memory_region_add_subregion(&root, 0, &ram);
    memory_region_transaction_begin();
    memory_region_del_subregion(&root, &ram);
    Error *err = NULL;
    /* The published view still shows it: refused until the commit. */
    ASSERT_EQ(gm_memory_region_destroy(&ram, &err), -GM_ERR_IN_USE);
    error_free(err);
    memory_region_transaction_commit();
    ASSERT_EQ(gm_memory_region_destroy(&ram, NULL), 0);
}

TEST(owner_pinned_while_in_view)
{
    Object *owner = gm_object_new("/machine/dev", true);
    static MemoryRegion io;
    setup();
    memory_region_init_io(&io, owner, NULL, NULL, "io", 0x10);
    ASSERT_EQ(gm_object_refcount(owner), 1);
    memory_region_add_subregion(&root, 0x100, &io);
    ASSERT(gm_object_refcount(owner) >= 2); /* container + view */
    memory_region_del_subregion(&root, &io);
    ASSERT_EQ(gm_memory_region_destroy(&io, NULL), 0);
    ASSERT_EQ(gm_object_refcount(owner), 1);
    gm_object_unref(owner);
}

TEST(ram_from_fd_round_trip)
{
    static MemoryRegion ram;
    setup();
    int fd = memfd_create("guestmem-test", MFD_CLOEXEC);
    ASSERT(fd >= 0);
    ASSERT(memory_region_init_ram_from_fd(&ram, NULL, "memfd", 0x10000,
                                          RAM_SHARED, fd, 0, NULL));
    uint8_t *host = memory_region_get_ram_ptr(&ram);
    memcpy(host + 0x1234, "guestmem", 8);
    char back[9] = { 0 };
    ASSERT_EQ(pread(fd, back, 8, 0x1234), 8);
    ASSERT_STR_EQ(back, "guestmem");
    ASSERT_EQ(gm_memory_region_destroy(&ram, NULL), 0);
    close(fd);
}

TEST(ram_from_file_errors_and_round_trip)
{
    static MemoryRegion ram;
    Error *err = NULL;
    setup();
    ASSERT(!memory_region_init_ram_from_file(
        &ram, NULL, "f", 0x1000, 0, RAM_SHARED, "/nonexistent/dir/file", false,
        &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_IO);
    ASSERT(strstr(error_get_pretty(err), "/nonexistent/dir/file"));
    error_free(err);
    char path[] = "/tmp/guestmem-test-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    ASSERT(memory_region_init_ram_from_file(&ram, NULL, "f", 0x2000, 0,
                                            RAM_SHARED, path, false, NULL));
    memcpy((uint8_t *)memory_region_get_ram_ptr(&ram) + 0x1ff0, "hello", 5);
    char back[6] = { 0 };
    ASSERT_EQ(pread(fd, back, 5, 0x1ff0), 5);
    ASSERT_STR_EQ(back, "hello");
    ASSERT_EQ(gm_memory_region_destroy(&ram, NULL), 0);
    close(fd);
    unlink(path);
    /* A directory: a temporary file is made and unlinked. */
    ASSERT(memory_region_init_ram_from_file(&ram, NULL, "d", 0x1000, 0, 0,
                                            "/tmp", false, NULL));
    ASSERT_EQ(gm_memory_region_destroy(&ram, NULL), 0);
}

TEST(resizeable_ram_limits)
{
    static MemoryRegion ram;
    Error *err = NULL;
    setup();
    ASSERT(!memory_region_init_resizeable_ram(&ram, NULL, "r", 0x2000, 0x1000,
                                              NULL, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_INVALID_ARG);
    error_free(err);
    ASSERT(memory_region_init_resizeable_ram(&ram, NULL, "r", 0x1000, 0x4000,
                                             NULL, NULL));
    memory_region_set_size(&ram, 0x2000); /* beyond used length */
    ASSERT_EQ(test_last_error(), GM_ERR_INVALID_ARG);
    memory_region_set_size(&ram, 0x800);
    ASSERT_EQ(test_last_error(), GM_OK);
    ASSERT_EQ(memory_region_size(&ram), 0x800);
}

TEST(setters_validate)
{
    setup();
    memory_region_set_enabled(NULL, true);
    ASSERT_EQ(test_last_error(), GM_ERR_INVALID_ARG);
    static MemoryRegion junk;
    memset(&junk, 0x5a, sizeof(junk));
    memory_region_set_readonly(&junk, true);
    ASSERT_EQ(test_last_error(), GM_ERR_INVALID_ARG);
    memory_region_add_subregion(&root, 0, &junk);
    ASSERT_EQ(test_last_error(), GM_ERR_INVALID_ARG);
    static MemoryRegion io;
    memory_region_init_io(&io, NULL, NULL, NULL, "io", 0x10);
    memory_region_rom_device_set_romd(&io, false);
    ASSERT_EQ(test_last_error(), GM_ERR_WRONG_KIND);
    memory_region_set_log(&io, true, DIRTY_MEMORY_MIGRATION);
    ASSERT_EQ(test_last_error(), GM_ERR_INVALID_ARG);
    memory_region_set_log(&io, true, DIRTY_MEMORY_VGA);
    ASSERT_EQ(memory_region_get_dirty_log_mask(&io), 1 << DIRTY_MEMORY_VGA);
    memory_region_transaction_commit(); /* without begin */
    ASSERT_EQ(test_last_error(), GM_ERR_INVALID_ARG);
    ASSERT_EQ(gm_transaction_depth(), 0);
}

TEST(error_api)
{
    Error *err = NULL;
    ASSERT_EQ(gm_error_setg(&err, GM_ERR_NOT_FOUND, "no %s", "thing"),
              -GM_ERR_NOT_FOUND);
    ASSERT_STR_EQ(error_get_pretty(err), "no thing");
    error_prepend(&err, "ctx: ");
    ASSERT_STR_EQ(error_get_pretty(err), "ctx: no thing");
    Error *dst = NULL;
    error_propagate(&dst, err);
    ASSERT(dst == err);
    ASSERT_EQ(gm_error_code(dst), GM_ERR_NOT_FOUND);
    ASSERT_STR_EQ(gm_strerror(-GM_ERR_IN_USE), "region is in use");
    ASSERT_STR_EQ(gm_strerror(9999), "unknown error");
    error_free(dst);
    error_free(NULL);
    error_setg(NULL, "dropped");
}

/* QEMU's find_ram_offset, written out naively, over the test's own copy of
 * QEMU's block list (largest first, then oldest). */
typedef struct Blk {
    uint64_t off, len;
    bool live;
} Blk;

static uint64_t naive_offset(Blk *b, int n, const int *order, uint64_t size)
{
    uint64_t offset = UINT64_MAX, mingap = UINT64_MAX;
    bool any = false;
    for (int k = 0; k < n; k++) {
        Blk *x = &b[order[k]];
        if (!x->live) {
            continue;
        }
        any = true;
        uint64_t cand =
            (x->off + x->len + (256 << 10) - 1) & ~(uint64_t)((256 << 10) - 1);
        uint64_t next = UINT64_MAX;
        for (int j = 0; j < n; j++) {
            if (b[j].live && b[j].off >= cand && b[j].off < next) {
                next = b[j].off;
            }
        }
        if (next - cand >= size && next - cand < mingap) {
            offset = cand;
            mingap = next - cand;
        }
    }
    return any ? offset : 0;
}

TEST(ram_offsets_match_qemu)
{
    enum {
        N = 300
    };
    static MemoryRegion mrs[N];
    static Blk blk[N];
    static int order[N];
    int norder = 0;
    uint64_t r = 12345;
    setup();
    for (int step = 0; step < 3000; step++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        int i = (int)((r >> 33) % N);
        if (!blk[i].live) {
            static const uint64_t sizes[] = { 0x1000,  0x3000,   0x40000,
                                              0x41000, 0x100000, 0x200000 };
            uint64_t size = sizes[(r >> 20) % 6];
            /* Insert into the list like QEMU: before the first smaller. */
            int pos = 0;
            while (pos < norder && blk[order[pos]].len >= size) {
                pos++;
            }
            blk[i].len = size;
            uint64_t want = naive_offset(blk, N, order, size);
            char name[16]; /* migratable blocks need unique ids */
            snprintf(name, sizeof(name), "b%d", i);
            ASSERT(memory_region_init_ram(&mrs[i], NULL, name, size, NULL));
            ASSERT_ADDR_EQ(memory_region_get_ram_addr(&mrs[i]), want);
            blk[i].off = want;
            blk[i].live = true;
            memmove(&order[pos + 1], &order[pos], (norder - pos) * sizeof(int));
            order[pos] = i;
            norder++;
        } else {
            ASSERT_EQ(gm_memory_region_destroy(&mrs[i], NULL), 0);
            blk[i].live = false;
            int pos = 0;
            while (order[pos] != i) {
                pos++;
            }
            memmove(&order[pos], &order[pos + 1],
                    (norder - pos - 1) * sizeof(int));
            norder--;
        }
    }
}

/* ../shared/cases/api/07: initialising a region that is still mapped was
 * accepted, and destroying its container then looped forever.  Every
 * constructor refuses a live region and leaves it as it was; NULL is
 * reported too. */
TEST(reinit_of_a_live_region_is_refused)
{
    static MemoryRegion c, s, t, al;
    static uint8_t buf[0x100];
    setup();
    memory_region_init(&c, NULL, "c", 0x10000);
    memory_region_init(&s, NULL, "s", 0x100);
    memory_region_add_subregion(&c, 0, &s);
    memory_region_init(&s, NULL, "s2", 0x100);
    ASSERT_EQ(test_last_error(), GM_ERR_IN_USE);
    memory_region_init_io(&s, NULL, NULL, NULL, "s3", 0x100);
    ASSERT_EQ(test_last_error(), GM_ERR_IN_USE);
    memory_region_init_ram_ptr(&s, NULL, "s4", sizeof(buf), buf);
    ASSERT_EQ(test_last_error(), GM_ERR_IN_USE);
    Error *err = NULL;
    ASSERT(!memory_region_init_ram(&s, NULL, "s5", 0x1000, &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_IN_USE);
    error_free(err);
    err = NULL;
    memory_region_init(&t, NULL, "t", 0x100);
    ASSERT_EQ(gm_memory_region_init_alias(&s, NULL, "s6", &t, 0, 0x100, &err),
              -GM_ERR_IN_USE);
    error_free(err);
    /* A container with children, and an alias target, are live too. */
    memory_region_init(&c, NULL, "c2", 0x10000);
    ASSERT_EQ(test_last_error(), GM_ERR_IN_USE);
    memory_region_init_alias(&al, NULL, "al", &t, 0, 0x100);
    memory_region_init(&t, NULL, "t2", 0x100);
    ASSERT_EQ(test_last_error(), GM_ERR_IN_USE);
    ASSERT_STR_EQ(memory_region_name(&s), "s");
    ASSERT(s.container == &c);
    /* The container's destroy ends (it looped) and frees its child. */
    ASSERT_EQ(gm_memory_region_destroy(&c, NULL), 0);
    ASSERT(s.container == NULL);
    ASSERT_EQ(gm_memory_region_destroy(&s, NULL), 0);
    /* Destroyed, a region may be initialised again. */
    memory_region_init(&s, NULL, "again", 0x100);
    ASSERT_EQ(test_last_error(), GM_OK);
    ASSERT_STR_EQ(memory_region_name(&s), "again");
    memory_region_init(NULL, NULL, "null", 0x100);
    ASSERT_EQ(test_last_error(), GM_ERR_INVALID_ARG);
    memory_region_init_io(NULL, NULL, NULL, NULL, "null", 0x100);
    ASSERT_EQ(test_last_error(), GM_ERR_INVALID_ARG);
    memory_region_init_ram_ptr(NULL, NULL, "null", 0x100, buf);
    ASSERT_EQ(test_last_error(), GM_ERR_INVALID_ARG);
}

/* A million nested containers, each added under the last inside one
 * transaction: adding costs what hangs under the new child (nothing),
 * not the depth, and the commit renders on a stack of its own.  (It took
 * minutes, and 1,000,000 levels overflowed nothing only by luck.) */
TEST(a_million_nested_containers)
{
    enum {
        N = 1000000
    };
    static uint8_t b[0x1000];
    static MemoryRegion leaf;
    MemoryRegion *m = calloc(N, sizeof(*m));
    ASSERT(m);
    setup();
    memory_region_init_ram_ptr(&leaf, NULL, "ram", sizeof(b), b);
    b[0] = 0x5a;
    for (long i = 0; i < N; i++) {
        memory_region_init(&m[i], NULL, "c", 0x10000);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    memory_region_transaction_begin();
    memory_region_add_subregion(&root, 0, &m[0]);
    for (long i = 1; i < N; i++) {
        memory_region_add_subregion(&m[i - 1], 0, &m[i]);
    }
    memory_region_add_subregion(&m[N - 1], 0, &leaf);
    memory_region_transaction_commit();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ASSERT_EQ(test_last_error(), GM_OK);
    ASSERT_EQ(ldub_phys(&as, 0), 0x5a);
    /* A cycle at the bottom of the chain is still found. */
    memory_region_add_subregion(&leaf, 0, &m[0]);
    ASSERT_EQ(test_last_error(), GM_ERR_HAS_CONTAINER);
    /* Generous: linear work takes well under a second on any machine;
     * the quadratic version took minutes. */
    double s = (double)(t1.tv_sec - t0.tv_sec) +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "1,000,000 nested adds and a commit: %.2f s\n", s);
    ASSERT(s < 30);
}

int main(int argc, char **argv)
{
    static const TestCase tests[] = {
        TEST_ENTRY(kinds_print_like_qemu),
        TEST_ENTRY(sizes_zero_and_2_64),
        TEST_ENTRY(region_ending_at_2_64_minus_1),
        TEST_ENTRY(add_twice_is_refused),
        TEST_ENTRY(del_not_child_is_refused),
        TEST_ENTRY(cycles_are_refused),
        TEST_ENTRY(alias_onto_alias_and_offsets),
        TEST_ENTRY(alias_into_alias_container_refused),
        TEST_ENTRY(destroy_in_use_is_refused),
        TEST_ENTRY(destroy_inside_transaction_while_visible),
        TEST_ENTRY(owner_pinned_while_in_view),
        TEST_ENTRY(ram_from_fd_round_trip),
        TEST_ENTRY(ram_from_file_errors_and_round_trip),
        TEST_ENTRY(resizeable_ram_limits),
        TEST_ENTRY(setters_validate),
        TEST_ENTRY(error_api),
        TEST_ENTRY(ram_offsets_match_qemu),
        TEST_ENTRY(reinit_of_a_live_region_is_refused),
        TEST_ENTRY(a_million_nested_containers),
    };
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
