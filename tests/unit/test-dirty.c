// SPDX-License-Identifier: MIT
/*
 * test-dirty.c - dirty tracking (dirty.c and the write paths): new blocks
 * start dirty, every write path sets the bits of the logging clients and
 * only those, snapshot-and-clear, global migration tracking, random writes
 * through every path against a shadow record, and snapshot-and-clear racing
 * with writer threads losing no page.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include "../harness/test.h"

#define PAGE 4096u
#define RAM_SIZE (256 * PAGE)

static MemoryRegion root, ram, rom;
static AddressSpace as;
static const MemTxAttrs A = MEMTXATTRS_UNSPECIFIED;

static void setup(void)
{
    test_capture_errors();
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    ASSERT(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, NULL));
    ASSERT(memory_region_init_rom(&rom, NULL, "rom", 4 * PAGE, NULL));
    memory_region_add_subregion(&root, 0, &ram);
    memory_region_add_subregion(&root, 0x100000, &rom);
    address_space_init(&as, &root, "test");
}

static void clear_all(MemoryRegion *mr, hwaddr size)
{
    for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
        memory_region_reset_dirty(mr, 0, size, c);
    }
}

TEST(new_blocks_start_dirty_for_every_client)
{
    setup();
    for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
        ASSERT(memory_region_get_dirty(&ram, 0, RAM_SIZE, c));
        ASSERT(memory_region_get_dirty(&ram, RAM_SIZE - 1, 1, c));
    }
    ASSERT_EQ(gm_dirty_count(memory_region_get_ram_addr(&ram), RAM_SIZE,
                             DIRTY_MEMORY_VGA),
              RAM_SIZE / PAGE);
    clear_all(&ram, RAM_SIZE);
    ASSERT(!memory_region_get_dirty(&ram, 0, RAM_SIZE, DIRTY_MEMORY_VGA));
    ASSERT_EQ(gm_dirty_count(memory_region_get_ram_addr(&ram), RAM_SIZE,
                             DIRTY_MEMORY_VGA),
              0);
}

TEST(writes_mark_only_logging_clients)
{
    setup();
    clear_all(&ram, RAM_SIZE);
    uint32_t v = 1;
    /* Nobody logging: a write marks nothing. */
    address_space_write(&as, 0x1000, A, &v, 4);
    for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
        ASSERT(!memory_region_get_dirty(&ram, 0, RAM_SIZE, c));
    }
    memory_region_set_log(&ram, true, DIRTY_MEMORY_VGA);
    address_space_write(&as, 0x1ffe, A, &v, 4); /* straddles pages 1 and 2 */
    ASSERT(memory_region_get_dirty(&ram, 0x1000, PAGE, DIRTY_MEMORY_VGA));
    ASSERT(memory_region_get_dirty(&ram, 0x2000, PAGE, DIRTY_MEMORY_VGA));
    ASSERT(!memory_region_get_dirty(&ram, 0x3000, PAGE, DIRTY_MEMORY_VGA));
    ASSERT(!memory_region_get_dirty(&ram, 0, RAM_SIZE, DIRTY_MEMORY_MIGRATION));
    /* The fixed-size stores. */
    stl_le_phys(&as, 0x5000, 7);
    ASSERT(memory_region_get_dirty(&ram, 0x5000, 1, DIRTY_MEMORY_VGA));
    stq_be_phys(&as, 0x6ffc, 7); /* crosses a page: the slow path */
    ASSERT(memory_region_get_dirty(&ram, 0x7000, 1, DIRTY_MEMORY_VGA));
    /* Reads never dirty. */
    memory_region_reset_dirty(&ram, 0, RAM_SIZE, DIRTY_MEMORY_VGA);
    (void)ldl_le_phys(&as, 0x9000);
    ASSERT(!memory_region_get_dirty(&ram, 0, RAM_SIZE, DIRTY_MEMORY_VGA));
    memory_region_set_log(&ram, false, DIRTY_MEMORY_VGA);
    stl_le_phys(&as, 0x9000, 7);
    ASSERT(!memory_region_get_dirty(&ram, 0, RAM_SIZE, DIRTY_MEMORY_VGA));
}

TEST(rom_map_and_cache_writes)
{
    setup();
    memory_region_set_log(&rom, true, DIRTY_MEMORY_VGA);
    memory_region_set_log(&ram, true, DIRTY_MEMORY_VGA);
    clear_all(&rom, 4 * PAGE);
    clear_all(&ram, RAM_SIZE);
    uint8_t b[16] = { 1 };
    /* A guest write into ROM is dropped: clean. */
    address_space_write(&as, 0x100000, A, b, 16);
    ASSERT(!memory_region_get_dirty(&rom, 0, 4 * PAGE, DIRTY_MEMORY_VGA));
    /* Firmware loading through write_rom: dirty. */
    address_space_write_rom(&as, 0x101000, A, b, 16);
    ASSERT(memory_region_get_dirty(&rom, 0x1000, PAGE, DIRTY_MEMORY_VGA));
    ASSERT(!memory_region_get_dirty(&rom, 0, PAGE, DIRTY_MEMORY_VGA));
    /* A written mapping is dirty once unmapped, for what was written. */
    hwaddr len = 3 * PAGE;
    uint8_t *p = address_space_map(&as, 0x10000, &len, true, A);
    ASSERT(p != NULL);
    ASSERT_EQ(len, 3 * PAGE);
    memset(p, 9, PAGE + 1);
    ASSERT(!memory_region_get_dirty(&ram, 0x10000, PAGE, DIRTY_MEMORY_VGA));
    address_space_unmap(&as, p, len, true, PAGE + 1);
    ASSERT(memory_region_get_dirty(&ram, 0x10000, 2 * PAGE, DIRTY_MEMORY_VGA));
    ASSERT(!memory_region_get_dirty(&ram, 0x12000, PAGE, DIRTY_MEMORY_VGA));
    /* A read-only mapping leaves it clean. */
    memory_region_reset_dirty(&ram, 0, RAM_SIZE, DIRTY_MEMORY_VGA);
    len = PAGE;
    p = address_space_map(&as, 0x20000, &len, false, A);
    address_space_unmap(&as, p, len, false, len);
    ASSERT(!memory_region_get_dirty(&ram, 0, RAM_SIZE, DIRTY_MEMORY_VGA));
    /* Caches: writes, and invalidate after a direct write. */
    MemoryRegionCache c;
    ASSERT(address_space_cache_init(&c, &as, 0x30000, 4 * PAGE, true) > 0);
    uint32_t v = 5;
    ASSERT_EQ(address_space_write_cached(&c, 0x1000, &v, 4), MEMTX_OK);
    ASSERT(memory_region_get_dirty(&ram, 0x31000, 1, DIRTY_MEMORY_VGA));
    address_space_cache_invalidate(&c, 0x3000, 8);
    ASSERT(memory_region_get_dirty(&ram, 0x33000, 1, DIRTY_MEMORY_VGA));
    ASSERT(!memory_region_get_dirty(&ram, 0x32000, 1, DIRTY_MEMORY_VGA));
    address_space_cache_destroy(&c);
}

TEST(snapshot_and_clear)
{
    setup();
    memory_region_set_log(&ram, true, DIRTY_MEMORY_VGA);
    clear_all(&ram, RAM_SIZE);
    stl_le_phys(&as, 3 * PAGE, 1);
    stl_le_phys(&as, 70 * PAGE + 8, 1);
    DirtyBitmapSnapshot *s = memory_region_snapshot_and_clear_dirty(
        &ram, 2 * PAGE, 100 * PAGE, DIRTY_MEMORY_VGA);
    ASSERT(s != NULL);
    ram_addr_t first, last;
    gm_dirty_snapshot_range(s, &first, &last);
    /* Widened to whole 64-page words. */
    ASSERT_EQ(first % (64 * PAGE), 0);
    ASSERT_EQ(last % (64 * PAGE), 0);
    ASSERT(memory_region_snapshot_get_dirty(&ram, s, 3 * PAGE, 1));
    ASSERT(memory_region_snapshot_get_dirty(&ram, s, 70 * PAGE, PAGE));
    ASSERT(!memory_region_snapshot_get_dirty(&ram, s, 4 * PAGE, 60 * PAGE));
    /* Cleared in the bitmap. */
    ASSERT(!memory_region_get_dirty(&ram, 0, RAM_SIZE, DIRTY_MEMORY_VGA));
    /* Outside the snapshot: an error, not a read past it. */
    ASSERT(!memory_region_snapshot_get_dirty(&ram, s, 200 * PAGE, PAGE));
    ASSERT_EQ(test_last_error(), GM_ERR_RANGE_OVERFLOW);
    gm_dirty_snapshot_free(s);
    /* Misuse. */
    ASSERT(memory_region_snapshot_and_clear_dirty(&ram, RAM_SIZE, PAGE, 0) ==
           NULL);
    ASSERT_EQ(test_last_error(), GM_ERR_RANGE_OVERFLOW);
    ASSERT(!memory_region_get_dirty(&ram, 0, PAGE, 7));
    ASSERT_EQ(test_last_error(), GM_ERR_INVALID_ARG);
    static MemoryRegion box;
    memory_region_init(&box, NULL, "box", PAGE);
    ASSERT(!memory_region_get_dirty(&box, 0, PAGE, 0));
    ASSERT_EQ(test_last_error(), GM_ERR_WRONG_KIND);
}

TEST(global_tracking_marks_migration)
{
    setup();
    static MemoryRegion plain;
    static uint8_t backing[PAGE];
    memory_region_init_ram_ptr(&plain, NULL, "plain", PAGE, backing);
    memory_region_add_subregion(&root, 0x200000, &plain);
    clear_all(&ram, RAM_SIZE);
    clear_all(&plain, PAGE);
    memory_global_dirty_log_start(GLOBAL_DIRTY_MIGRATION);
    /* QEMU's memory_region_get_dirty_log_mask includes the global bit for
     * migratable RAM (what a KVM listener reads to set its slot flags). */
    ASSERT_EQ(memory_region_get_dirty_log_mask(&ram),
              1 << DIRTY_MEMORY_MIGRATION);
    ASSERT_EQ(memory_region_get_dirty_log_mask(&plain), 0);
    stl_le_phys(&as, 0x4000, 1);
    stl_le_phys(&as, 0x200000, 1);
    ASSERT(memory_region_get_dirty(&ram, 0x4000, 4, DIRTY_MEMORY_MIGRATION));
    ASSERT(!memory_region_get_dirty(&ram, 0x4000, 4, DIRTY_MEMORY_VGA));
    /* RAM that is not migratable (a caller's pointer) is not tracked. */
    ASSERT(!memory_region_get_dirty(&plain, 0, 4, DIRTY_MEMORY_MIGRATION));
    memory_global_dirty_log_stop(GLOBAL_DIRTY_MIGRATION);
    memory_region_reset_dirty(&ram, 0, RAM_SIZE, DIRTY_MEMORY_MIGRATION);
    stl_le_phys(&as, 0x4000, 1);
    ASSERT(!memory_region_get_dirty(&ram, 0, RAM_SIZE, DIRTY_MEMORY_MIGRATION));
}

/* Random writes through every path, against a record of the pages each
 * should have dirtied. */
TEST(random_writes_match_a_shadow_record)
{
    setup();
    memory_region_set_log(&ram, true, DIRTY_MEMORY_VGA);
    static bool shadow[RAM_SIZE / PAGE];
    uint64_t rng = 99;
    for (int round = 0; round < 20; round++) {
        clear_all(&ram, RAM_SIZE);
        memset(shadow, 0, sizeof(shadow));
        for (int i = 0; i < 200; i++) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            hwaddr len = 1 + (rng >> 40) % (3 * PAGE);
            hwaddr addr = (rng >> 8) % (RAM_SIZE - len);
            unsigned path = (unsigned)(rng >> 60) % 4;
            uint8_t buf[3 * PAGE];
            memset(buf, (int)i, sizeof(buf));
            if (path == 0) {
                address_space_write(&as, addr, A, buf, len);
            } else if (path == 1) {
                len = 4;
                stl_le_phys(&as, addr, (uint32_t)i);
            } else if (path == 2) {
                hwaddr l = len;
                void *p = address_space_map(&as, addr, &l, true, A);
                ASSERT(p && l == len);
                memcpy(p, buf, l);
                address_space_unmap(&as, p, l, true, l);
            } else {
                address_space_write_rom(&as, addr, A, buf, len);
            }
            for (hwaddr pg = addr / PAGE; pg <= (addr + len - 1) / PAGE; pg++) {
                shadow[pg] = true;
            }
        }
        DirtyBitmapSnapshot *s = memory_region_snapshot_and_clear_dirty(
            &ram, 0, RAM_SIZE, DIRTY_MEMORY_VGA);
        for (unsigned pg = 0; pg < RAM_SIZE / PAGE; pg++) {
            bool got =
                memory_region_snapshot_get_dirty(&ram, s, (hwaddr)pg * PAGE, 1);
            if (got != shadow[pg]) {
                test_fail(__FILE__, __LINE__, "round %d page %u: %d != %d",
                          round, pg, got, shadow[pg]);
            }
        }
        gm_dirty_snapshot_free(s);
    }
}

/* Writers on both cores while the main thread collects with
 * snapshot-and-clear.  A writer reads the round number before and after
 * each store: the store's bit must show up in a snapshot taken between
 * those two rounds (inclusive, plus one), or the bitmap lost it. */
#define WRITERS 2
#define ROUNDS 300
#define PAGES (RAM_SIZE / PAGE)
static volatile bool stop_writers;
static int cur_round;
static int last_r0[PAGES], last_r1[PAGES];
static bool wrote[PAGES];
static bool dirty_in[ROUNDS + 1][PAGES];
static unsigned long writes[WRITERS]; /* progress of each writer */
static unsigned long barrier_word;

static void *writer(void *arg)
{
    int id = (int)(intptr_t)arg;
    gm_rcu_register_thread();
    uint64_t rng = 1234 + (uint64_t)id;
    while (!__atomic_load_n(&stop_writers, __ATOMIC_SEQ_CST)) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned pg = (unsigned)(rng >> 33) % PAGES;
        pg = (pg & ~1u) | (unsigned)id; /* each writer owns its pages */
        int r0 = __atomic_load_n(&cur_round, __ATOMIC_SEQ_CST);
        stl_le_phys(&as, (hwaddr)pg * PAGE + 8, (uint32_t)rng);
        /* A full barrier (a locked RMW; TSan refuses bare fences). */
        __atomic_fetch_add(&barrier_word, 0, __ATOMIC_SEQ_CST);
        int r1 = __atomic_load_n(&cur_round, __ATOMIC_SEQ_CST);
        last_r0[pg] = r0;
        last_r1[pg] = r1;
        wrote[pg] = true;
        __atomic_fetch_add(&writes[id], 1, __ATOMIC_RELAXED);
    }
    gm_rcu_unregister_thread();
    return NULL;
}

static void collect(int round)
{
    __atomic_store_n(&cur_round, round, __ATOMIC_SEQ_CST);
    DirtyBitmapSnapshot *s = memory_region_snapshot_and_clear_dirty(
        &ram, 0, RAM_SIZE, DIRTY_MEMORY_VGA);
    ASSERT(s != NULL);
    for (unsigned pg = 0; pg < PAGES; pg++) {
        dirty_in[round][pg] =
            memory_region_snapshot_get_dirty(&ram, s, (hwaddr)pg * PAGE, PAGE);
    }
    gm_dirty_snapshot_free(s);
}

TEST(snapshot_and_clear_racing_writers_loses_nothing)
{
    setup();
    memory_region_set_log(&ram, true, DIRTY_MEMORY_VGA);
    clear_all(&ram, RAM_SIZE);
    pthread_t t[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        pthread_create(&t[i], NULL, writer, (void *)(intptr_t)i);
    }
    for (int round = 0; round < ROUNDS; round++) {
        /* Let the writers make progress between collections, however the
         * scheduler treats us. */
        for (int w = 0; w < WRITERS; w++) {
            unsigned long w0 = __atomic_load_n(&writes[w], __ATOMIC_RELAXED);
            while (__atomic_load_n(&writes[w], __ATOMIC_RELAXED) < w0 + 32) {
                sched_yield();
            }
        }
        collect(round);
    }
    __atomic_store_n(&stop_writers, true, __ATOMIC_SEQ_CST);
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(t[i], NULL);
    }
    collect(ROUNDS); /* after the last write of every page */
    unsigned checked = 0;
    for (unsigned pg = 0; pg < PAGES; pg++) {
        if (!wrote[pg]) {
            continue;
        }
        int hi = last_r1[pg] + 1 > ROUNDS ? ROUNDS : last_r1[pg] + 1;
        bool found = false;
        for (int k = last_r0[pg]; k <= hi && !found; k++) {
            found = dirty_in[k][pg];
        }
        if (!found) {
            test_fail(__FILE__, __LINE__,
                      "page %u: its last write (rounds %d..%d) is in no "
                      "snapshot",
                      pg, last_r0[pg], last_r1[pg]);
        }
        checked++;
    }
    ASSERT(checked > PAGES / 2);
}

/* Misuse of the new entry points: NULLs, ranges past 2^64, bad clients.
 * Nothing may crash; errors go to the handler. */
TEST(misuse_is_reported_not_fatal)
{
    setup();
    cpu_physical_memory_set_dirty_range(UINT64_MAX - 10, 100, 7);
    ASSERT(!cpu_physical_memory_get_dirty(UINT64_MAX - 10, 100, 0));
    ASSERT(!cpu_physical_memory_get_dirty(0, 0, 0));
    ASSERT(!cpu_physical_memory_get_dirty(0, PAGE, 9));
    ASSERT(!cpu_physical_memory_test_and_clear_dirty(0, PAGE, 9));
    ASSERT_EQ(gm_dirty_count(0, PAGE, 9), 0);
    memory_region_set_dirty(NULL, 0, 1);
    ASSERT_EQ(test_last_error(), GM_ERR_WRONG_KIND);
    memory_region_reset_dirty(&ram, RAM_SIZE - 1, 2, 0);
    ASSERT_EQ(test_last_error(), GM_ERR_RANGE_OVERFLOW);
    ASSERT(memory_region_snapshot_and_clear_dirty(NULL, 0, 1, 0) == NULL);
    ASSERT(!memory_region_snapshot_get_dirty(&ram, NULL, 0, 1));
    gm_dirty_snapshot_free(NULL);
    memory_region_clear_dirty_bitmap(NULL, 0, 1);
    memory_global_dirty_log_start(0);
    ASSERT_EQ(test_last_error(), GM_ERR_INVALID_ARG);
    memory_global_dirty_log_start(0x100);
    ASSERT_EQ(test_last_error(), GM_ERR_INVALID_ARG);
    memory_listener_register(NULL, &as);
    ASSERT_EQ(test_last_error(), GM_ERR_INVALID_ARG);
    memory_listener_unregister(NULL);
    address_space_remove_listeners(NULL);
    memory_region_add_coalescing(NULL, 0, 1);
    ASSERT_EQ(test_last_error(), GM_ERR_INVALID_ARG);
    memory_region_set_coalescing(NULL);
    ASSERT_EQ(test_last_error(), GM_ERR_INVALID_ARG);
    memory_region_clear_coalescing(NULL);
    memory_region_add_eventfd(&ram, 0, 4, false, 0, NULL);
    ASSERT_EQ(test_last_error(), GM_ERR_INVALID_ARG);
    ASSERT_EQ(event_notifier_init(NULL, 0), -EINVAL);
    ASSERT_EQ(event_notifier_set(NULL), -EINVAL);
    ASSERT_EQ(event_notifier_get_fd(NULL), -1);
    event_notifier_cleanup(NULL);
    ASSERT(qemu_ram_block_by_name(NULL) == NULL);
    ASSERT(qemu_ram_get_idstr(NULL) == NULL);
    ASSERT_EQ(qemu_ram_get_fd(NULL), -1);
    ASSERT_EQ(memory_region_get_fd(NULL), -1);
    ASSERT_EQ(qemu_ram_foreach_block(NULL, NULL), 0);
    ASSERT_EQ(qemu_ram_resize(NULL, 1, NULL), -GM_ERR_INVALID_ARG);
    Error *err = NULL;
    memory_region_ram_resize(NULL, 1, &err);
    ASSERT_EQ(gm_error_code(err), GM_ERR_WRONG_KIND);
    error_free(err);
    ASSERT(!gm_memory_region_init_backend(NULL, NULL, "x", NULL, NULL));
    static MemoryRegion m;
    ASSERT(!gm_memory_region_init_backend(&m, NULL, "x", NULL, NULL));
    ASSERT(!gm_memory_region_allocate_system_memory(NULL, NULL, "x", 1, NULL, 0,
                                                    NULL));
    ASSERT(!gm_memory_region_allocate_system_memory(&m, NULL, "x", 1, NULL, 2,
                                                    NULL));
}

/* A new block starts all dirty without a bitmap of its own: 4 GiB of RAM
 * (never touched) costs no bitmap memory until pages are cleared. */
TEST(big_blocks_start_dirty_without_bitmap_memory)
{
    test_capture_errors();
    static MemoryRegion big;
    const uint64_t GiB = UINT64_C(1) << 30, pages = GiB / PAGE;
    /* A first small block sets up the bitmaps' slot tables. */
    static MemoryRegion small;
    ASSERT(memory_region_init_ram(&small, NULL, "small", PAGE, NULL));
    /* Anonymous RSS: code pages faulted in on first use count in VmRSS. */
    long r0 = test_status_kib("RssAnon");
    ASSERT(memory_region_init_ram_flags_nomigrate(&big, NULL, "big", 4 * GiB,
                                                  RAM_NORESERVE, NULL));
    long r1 = test_status_kib("RssAnon");
#ifndef __SANITIZE_THREAD__
    /* (ThreadSanitizer's own shadow memory grows with what the process
     * does, so the figure means nothing there.) */
    if (r1 - r0 > 256) {
        test_fail(__FILE__, __LINE__, "4 GiB of new RAM cost %ld KiB", r1 - r0);
    }
#else
    (void)r0;
    (void)r1;
#endif
    ram_addr_t base = memory_region_get_ram_addr(&big);
    for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
        ASSERT_EQ(gm_dirty_count(base, 4 * GiB, c), 4 * pages);
    }
    /* Clearing a whole GiB, part of one, and one page of another. */
    memory_region_reset_dirty(&big, 0, GiB, DIRTY_MEMORY_VGA);
    memory_region_reset_dirty(&big, GiB, 16 * PAGE, DIRTY_MEMORY_VGA);
    memory_region_reset_dirty(&big, 3 * GiB + 5 * PAGE, 1, DIRTY_MEMORY_VGA);
    ASSERT_EQ(gm_dirty_count(base, 4 * GiB, DIRTY_MEMORY_VGA),
              3 * pages - 16 - 1);
    ASSERT(!memory_region_get_dirty(&big, 0, GiB, DIRTY_MEMORY_VGA));
    ASSERT(memory_region_get_dirty(&big, GiB + 16 * PAGE, 1, DIRTY_MEMORY_VGA));
    ASSERT(!memory_region_get_dirty(&big, 3 * GiB + 5 * PAGE, 1,
                                    DIRTY_MEMORY_VGA));
    /* Other clients untouched. */
    ASSERT_EQ(gm_dirty_count(base, 4 * GiB, DIRTY_MEMORY_MIGRATION), 4 * pages);
    /* A snapshot of a whole all-dirty GiB, and of the cleared one. */
    DirtyBitmapSnapshot *s = memory_region_snapshot_and_clear_dirty(
        &big, 2 * GiB, GiB, DIRTY_MEMORY_VGA);
    ASSERT(memory_region_snapshot_get_dirty(&big, s, 2 * GiB, PAGE));
    ASSERT(memory_region_snapshot_get_dirty(&big, s, 3 * GiB - PAGE, PAGE));
    gm_dirty_snapshot_free(s);
    ASSERT(!memory_region_get_dirty(&big, 2 * GiB, GiB, DIRTY_MEMORY_VGA));
    /* Setting one page of a clean GiB gives it a chunk of its own. */
    cpu_physical_memory_set_dirty_range(base + 7 * PAGE, 1,
                                        1 << DIRTY_MEMORY_VGA);
    ASSERT_EQ(gm_dirty_count(base, GiB, DIRTY_MEMORY_VGA), 1);
    ASSERT_EQ(gm_dirty_count(base, 4 * GiB, DIRTY_MEMORY_VGA),
              pages - 16 + pages - 1 + 1);
}

static const TestCase tests[] = {
    TEST_ENTRY(big_blocks_start_dirty_without_bitmap_memory),
    TEST_ENTRY(misuse_is_reported_not_fatal),
    TEST_ENTRY(new_blocks_start_dirty_for_every_client),
    TEST_ENTRY(writes_mark_only_logging_clients),
    TEST_ENTRY(rom_map_and_cache_writes),
    TEST_ENTRY(snapshot_and_clear),
    TEST_ENTRY(global_tracking_marks_migration),
    TEST_ENTRY(random_writes_match_a_shadow_record),
    TEST_ENTRY(snapshot_and_clear_racing_writers_loses_nothing),
};

int main(int argc, char **argv)
{
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
