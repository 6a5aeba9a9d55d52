// SPDX-License-Identifier: MIT
/*
 * guestmem-prof - the loops of guestmem-bench, one function each, for
 * profilers (scripts/bench-profile.sh): callgrind counts the instructions
 * of each function (inline accessors included, callees added), perf
 * samples where the time goes.  Linked like guestmem-bench: with
 * libguestmem.so, through the headers.
 *
 *   guestmem-prof small          every loop below, 2^20 accesses each
 *   guestmem-prof chase REGIONS  a dependent chase over REGIONS regions of
 *                                4 KiB, and the plain chase over the same
 *                                pages, STEPS each
 *   guestmem-prof cold           independent reads over 64 MiB, per call
 *                                and in batches
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <guestmem/guestmem.h>

#define N (1L << 20) /* a whole number of batches of 1,024 */
#define HOT 16384
#define BIG (64u << 20)

static AddressSpace *as;
static uint32_t *hot, *big;
static volatile uint64_t sink;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void cycle(uint32_t *next, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        next[i] = i;
    }
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(rnd() % i), t = next[i];
        next[i] = next[j];
        next[j] = t;
    }
}

static void *alloc(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    madvise(p, n, MADV_HUGEPAGE);
    memset(p, 1, n);
    return p;
}

__attribute__((noinline)) static uint64_t callee(void *o, hwaddr a,
                                                 unsigned size)
{
    return a + 42 + size;
}

static uint64_t mmio_read(void *o, hwaddr a, unsigned size)
{
    return a + 42 + size;
}

static const MemoryRegionOps mmio_ops = {
    .read = mmio_read,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

#define HOT_BASE 0x8000000ull
#define RAM_BASE 0x100000ull
#define MMIO_BASE 0xfe000000ull
#define MANY_BASE 0x1000000000ull

__attribute__((noinline)) void prof_plain_hot_chase(void)
{
    uint32_t i = 0;
    for (long k = 0; k < N; k++) {
        i = hot[i];
    }
    sink += i;
}

__attribute__((noinline)) void prof_gm_hot_chase(void)
{
    uint32_t i = 0;
    for (long k = 0; k < N; k++) {
        i = ldl_le_phys(as, HOT_BASE + (hwaddr)i * 4);
    }
    sink += i;
}

__attribute__((noinline)) void prof_gm_hot_chase_call(void)
{
    uint32_t (*volatile fp)(AddressSpace *, hwaddr) = ldl_le_phys;
    uint32_t (*f)(AddressSpace *, hwaddr) = fp;
    uint32_t i = 0;
    for (long k = 0; k < N; k++) {
        i = f(as, HOT_BASE + (hwaddr)i * 4);
    }
    sink += i;
}

__attribute__((noinline)) void prof_plain_icall(void)
{
    uint64_t (*volatile fp)(void *, hwaddr, unsigned) = callee;
    uint64_t s = 0;
    for (long k = 0; k < N; k++) {
        s += fp(NULL, (hwaddr)(k & 0x3fc), 4);
    }
    sink += s;
}

__attribute__((noinline)) void prof_gm_mmio(void)
{
    uint64_t s = 0;
    for (long k = 0; k < N; k++) {
        s += ldl_le_phys(as, MMIO_BASE + (hwaddr)(k & 0x3fc));
    }
    sink += s;
}

static uint32_t *idx;

__attribute__((noinline)) void prof_plain_loads(void)
{
    uint64_t s = 0;
    for (long k = 0; k < N; k++) {
        s += big[idx[k]];
    }
    sink += s;
}

__attribute__((noinline)) void prof_gm_loads(void)
{
    uint64_t s = 0;
    for (long k = 0; k < N; k++) {
        s += ldl_le_phys(as, RAM_BASE + (hwaddr)idx[k] * 4);
    }
    sink += s;
}

__attribute__((noinline)) void prof_gm_batch_loads(void)
{
    static hwaddr a[1024];
    static uint32_t v[1024];
    uint64_t s = 0;
    for (long k = 0; k < N; k += 1024) {
        for (long j = 0; j < 1024; j++) {
            a[j] = RAM_BASE + (hwaddr)idx[k + j] * 4;
        }
        gm_address_space_load_batch(as, MO_32, a, v, 1024,
                                    MEMTXATTRS_UNSPECIFIED);
        for (long j = 0; j < 1024; j++) {
            s += v[j];
        }
    }
    sink += s;
}

__attribute__((noinline)) void prof_plain_stores(void)
{
    for (long k = 0; k < N; k++) {
        big[idx[k]] = (uint32_t)k;
    }
}

__attribute__((noinline)) void prof_gm_stores(void)
{
    for (long k = 0; k < N; k++) {
        stl_le_phys(as, RAM_BASE + (hwaddr)idx[k] * 4, (uint32_t)k);
    }
}

__attribute__((noinline)) void prof_gm_stores_dirty(void)
{
    for (long k = 0; k < N; k++) {
        stl_le_phys(as, RAM_BASE + (hwaddr)idx[k] * 4, (uint32_t)k);
    }
}

static uint32_t *pages;
static long steps;

__attribute__((noinline)) void prof_plain_chase_regions(void)
{
    uint32_t i = 0;
    for (long k = 0; k < steps; k++) {
        i = pages[i];
    }
    sink += i;
}

__attribute__((noinline)) void prof_gm_chase_regions(void)
{
    uint32_t i = 0;
    for (long k = 0; k < steps; k++) {
        i = ldl_le_phys(as, MANY_BASE + (hwaddr)(i / 1024) * 8192 +
                                (hwaddr)(i % 1024) * 4);
    }
    sink += i;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "small";
    gm_rcu_register_thread();
    as = &address_space_memory;
    MemoryRegion *sys = get_system_memory();
    if (!strcmp(mode, "chase")) {
        unsigned nreg = argc > 2 ? (unsigned)atoi(argv[2]) : 1000;
        steps = argc > 3 ? atol(argv[3]) : 2000000;
        size_t bytes = (size_t)nreg * 4096;
        pages = alloc(bytes);
        cycle(pages, (uint32_t)(bytes / 4));
        MemoryRegion *regs = calloc(nreg, sizeof(*regs));
        static MemoryRegion box;
        memory_region_init(&box, NULL, "box", (uint64_t)nreg * 8192);
        memory_region_transaction_begin();
        for (unsigned k = 0; k < nreg; k++) {
            memory_region_init_ram_ptr(&regs[k], NULL, "r", 4096,
                                       (uint8_t *)pages + (size_t)k * 4096);
            memory_region_add_subregion(&box, (hwaddr)k * 8192, &regs[k]);
        }
        memory_region_add_subregion(sys, MANY_BASE, &box);
        memory_region_transaction_commit();
        prof_plain_chase_regions();
        prof_gm_chase_regions();
        return 0;
    }
    static MemoryRegion hotram, ram, mmio;
    hot = alloc(HOT);
    cycle(hot, HOT / 4);
    memory_region_init_ram(&hotram, NULL, "hot", HOT, &error_fatal);
    memcpy(memory_region_get_ram_ptr(&hotram), hot, HOT);
    memory_region_init_io(&mmio, NULL, &mmio_ops, NULL, "mmio", 0x1000);
    memory_region_init_ram(&ram, NULL, "ram", BIG, &error_fatal);
    big = alloc(BIG);
    memset(memory_region_get_ram_ptr(&ram), 1, BIG);
    memory_region_add_subregion(sys, HOT_BASE, &hotram);
    memory_region_add_subregion(sys, MMIO_BASE, &mmio);
    memory_region_add_subregion(sys, RAM_BASE, &ram);
    idx = malloc(N * sizeof(*idx));
    for (long k = 0; k < N; k++) {
        idx[k] = (uint32_t)(rnd() % (BIG / 4));
    }
    if (!strcmp(mode, "cold")) {
        for (int r = 0; r < 10; r++) {
            prof_plain_loads();
            prof_gm_loads();
            prof_gm_batch_loads();
        }
        return 0;
    }
    prof_plain_hot_chase();
    prof_gm_hot_chase();
    prof_gm_hot_chase_call();
    prof_plain_icall();
    prof_gm_mmio();
    prof_plain_loads();
    prof_gm_loads();
    prof_gm_batch_loads();
    prof_plain_stores();
    prof_gm_stores();
    memory_region_set_log(&ram, true, DIRTY_MEMORY_VGA);
    prof_gm_stores_dirty();
    return 0;
}
