// SPDX-License-Identifier: MIT
/*
 * guestmem-bench - guestmem side by side with the bare machine, Unicorn 2
 * and rust-vmm's vm-memory, measured in one run so that ratios hold on a
 * noisy machine (SPEC section 3).
 *
 *   guestmem-bench [--quick] [--vmmem PATH] [--tsv FILE]
 *
 * Like for like: "hot" accesses stay inside 16 KiB of a 64 MiB region (the
 * software path alone), "cold" ones range over all 64 MiB; "independent"
 * addresses are known in advance (the CPU overlaps plain loads), "chase"
 * reads the next index from the value just read (dependent loads, the only
 * fair comparison with a load's latency).  All guest RAM is written before
 * timing.  vm-memory is measured by a small Rust program (bench/vmmem),
 * started from here when it has been built; Unicorn is linked in when
 * Debian's libunicorn-dev was found at build time.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <guestmem/guestmem.h>

#ifdef HAVE_UNICORN
#include <unicorn/unicorn.h>
#endif

#define MiB (1ull << 20)
#define BIG (64 * MiB)
#define HOT (16 * 1024)

static bool quick;
static FILE *tsv;

/* --- helpers --------------------------------------------------------------- */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A random single cycle over n slots (Sattolo), so a chase visits all. */
static void make_cycle(uint32_t *next, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        next[i] = i;
    }
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(rnd() % i);
        uint32_t t = next[i];
        next[i] = next[j];
        next[j] = t;
    }
}

static void *big_alloc(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    /* Guest RAM asks for transparent huge pages; so does the plain buffer,
     * so that both pay the same TLB costs. */
    madvise(p, n, MADV_HUGEPAGE);
    memset(p, 1, n);
    return p;
}

typedef struct Row {
    const char *workload;
    double hw, gm, uc, vm;
    const char *unit;
    const char *target;
    double limit; /* gm/hw must stay under this; 0: see text */
} Row;

static Row rows[64];
static int nrows;
static Row scratch; /* sweep points not shown in the main table */

/* One point of the cost-against-region-count series. */
typedef struct Sweep {
    unsigned regions;
    double plain_ns, chase_ns; /* dependent 4-byte reads */
    double add_one_us;         /* one region added, one commit */
    double build_ms;           /* all regions added in one transaction */
} Sweep;

static Row *row(const char *workload, const char *unit, const char *target,
                double limit)
{
    Row *r = &rows[nrows++];
    *r = (Row){ workload, -1, -1, -1, -1, unit, target, limit };
    return r;
}

static void emit(const char *metric, double v, const char *unit)
{
    if (tsv) {
        fprintf(tsv, "%s\t%.4g\t%s\n", metric, v, unit);
    }
}

static volatile uint64_t sink;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return v[n / 2];
}

/* --- the bare machine -------------------------------------------------------- */

static double plain_chase(const uint32_t *mem, long steps)
{
    uint32_t i = 0;
    for (long k = 0; k < 100000; k++) {
        i = mem[i];
    }
    double t = now();
    for (long k = 0; k < steps; k++) {
        i = mem[i];
    }
    double ns = (now() - t) / steps * 1e9;
    sink += i;
    return ns;
}

static double plain_loads(const uint32_t *mem, const uint32_t *idx, long n)
{
    uint64_t s = 0;
    double t = now();
    for (long k = 0; k < n; k++) {
        s += mem[idx[k]];
    }
    double ns = (now() - t) / n * 1e9;
    sink += s;
    return ns;
}

static double plain_stores(uint32_t *mem, const uint32_t *idx, long n)
{
    double t = now();
    for (long k = 0; k < n; k++) {
        mem[idx[k]] = (uint32_t)k;
    }
    return (now() - t) / n * 1e9;
}

__attribute__((noinline)) static uint64_t constant_cb(void *o, uint64_t a)
{
    (void)o;
    return a + 42;
}

static double plain_icall(long n)
{
    uint64_t (*volatile fp)(void *, uint64_t) = constant_cb;
    uint64_t s = 0;
    double t = now();
    for (long k = 0; k < n; k++) {
        s += fp(NULL, (uint64_t)k);
    }
    sink += s;
    return (now() - t) / n * 1e9;
}

/* --- guestmem ----------------------------------------------------------------- */

static AddressSpace *as;

static double gm_chase(hwaddr base, long steps)
{
    uint32_t i = 0;
    for (long k = 0; k < 100000; k++) {
        i = ldl_le_phys(as, base + (hwaddr)i * 4);
    }
    double t = now();
    for (long k = 0; k < steps; k++) {
        i = ldl_le_phys(as, base + (hwaddr)i * 4);
    }
    double ns = (now() - t) / steps * 1e9;
    sink += i;
    return ns;
}

static double gm_loads(hwaddr base, const uint32_t *idx, long n)
{
    uint64_t s = 0;
    double t = now();
    for (long k = 0; k < n; k++) {
        s += ldl_le_phys(as, base + (hwaddr)idx[k] * 4);
    }
    sink += s;
    return (now() - t) / n * 1e9;
}

static double gm_stores(hwaddr base, const uint32_t *idx, long n)
{
    double t = now();
    for (long k = 0; k < n; k++) {
        stl_le_phys(as, base + (hwaddr)idx[k] * 4, (uint32_t)k);
    }
    return (now() - t) / n * 1e9;
}

/* A chase through N regions of 4 KiB: region r is guest page 2r (a hole
 * after each), host page r of @host; slot s is page s/1024, word s%1024. */
static hwaddr slot_addr(hwaddr base, uint32_t s)
{
    return base + (hwaddr)(s / 1024) * 8192 + (hwaddr)(s % 1024) * 4;
}

static double gm_chase_regions(hwaddr base, long steps)
{
    uint32_t i = 0;
    for (long k = 0; k < 100000; k++) {
        i = ldl_le_phys(as, slot_addr(base, i));
    }
    double t = now();
    for (long k = 0; k < steps; k++) {
        i = ldl_le_phys(as, slot_addr(base, i));
    }
    double ns = (now() - t) / steps * 1e9;
    sink += i;
    return ns;
}

static uint64_t mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    return addr + 42;
}

static const MemoryRegionOps mmio_ops = {
    .read = mmio_read,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

/* A listener doing what a hypervisor backend does per event, minimally:
 * count, and look at the section. */
typedef struct BenchListener {
    MemoryListener l;
    unsigned long events;
    uint64_t bytes;
} BenchListener;

static void bl_region(MemoryListener *l, MemoryRegionSection *s)
{
    BenchListener *b = (BenchListener *)l;
    b->events++;
    b->bytes += (uint64_t)s->size;
}

static void bench_listener_init(BenchListener *b)
{
    memset(b, 0, sizeof(*b));
    b->l.region_add = bl_region;
    b->l.region_del = bl_region;
    b->l.region_nop = bl_region;
    b->l.name = "bench";
}

/* --- Unicorn ---------------------------------------------------------------- */

#ifdef HAVE_UNICORN
static uc_engine *uc;
#define UC_BASE 0x100000ull

static double uc_loads(const uint32_t *idx, long n)
{
    uint64_t s = 0;
    double t = now();
    for (long k = 0; k < n; k++) {
        uint32_t v;
        uc_mem_read(uc, UC_BASE + (uint64_t)idx[k] * 4, &v, 4);
        s += v;
    }
    sink += s;
    return (now() - t) / n * 1e9;
}

static double uc_stores(const uint32_t *idx, long n)
{
    double t = now();
    for (long k = 0; k < n; k++) {
        uint32_t v = (uint32_t)k;
        uc_mem_write(uc, UC_BASE + (uint64_t)idx[k] * 4, &v, 4);
    }
    return (now() - t) / n * 1e9;
}

static double uc_chase(long steps)
{
    uint32_t i = 0;
    double t = now();
    for (long k = 0; k < steps; k++) {
        uc_mem_read(uc, UC_BASE + (uint64_t)i * 4, &i, 4);
    }
    sink += i;
    return (now() - t) / steps * 1e9;
}

static uint64_t uc_mmio_cb(uc_engine *e, uint64_t off, unsigned size, void *u)
{
    return off + 42;
}
#endif

/* --- vm-memory (a separate process) --------------------------------------- */

static void run_vmmem(const char *path, Row **by_metric, const char **names,
                      int n)
{
    if (!path || access(path, X_OK) != 0) {
        return;
    }
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "%s %s", path, quick ? "quick" : "full");
    FILE *p = popen(cmd, "r");
    if (!p) {
        return;
    }
    char line[512];
    while (fgets(line, sizeof(line), p)) {
        char metric[128], unit[32];
        double v;
        if (sscanf(line, "%127s %lf %31s", metric, &v, unit) != 3) {
            continue;
        }
        emit(metric, v, unit);
        for (int i = 0; i < n; i++) {
            if (!strcmp(names[i], metric)) {
                by_metric[i]->vm = v;
            }
        }
    }
    pclose(p);
}

/* --- the run ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    const char *vmmem = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            quick = true;
        } else if (!strcmp(argv[i], "--vmmem") && i + 1 < argc) {
            vmmem = argv[++i];
        } else if (!strcmp(argv[i], "--tsv") && i + 1 < argc) {
            tsv = fopen(argv[++i], "w");
        } else {
            fprintf(stderr, "usage: guestmem-bench [--quick] [--vmmem PATH] "
                            "[--tsv FILE]\n");
            return 2;
        }
    }
    const long N = quick ? 2000000 : 10000000;
    gm_rcu_register_thread();

    /* One 64 MiB region; its words form a random cycle, in the guest and in
     * a plain host buffer alike. */
    uint32_t *plain = big_alloc(BIG);
    make_cycle(plain, BIG / 4);
    uint32_t *hot = big_alloc(HOT);
    make_cycle(hot, HOT / 4);
    static MemoryRegion ram, hotram, mmio;
    memory_region_init_ram(&ram, NULL, "ram", BIG, &error_fatal);
    memory_region_init_ram(&hotram, NULL, "hot", HOT, &error_fatal);
    memcpy(memory_region_get_ram_ptr(&ram), plain, BIG);
    memcpy(memory_region_get_ram_ptr(&hotram), hot, HOT);
    memory_region_init_io(&mmio, NULL, &mmio_ops, NULL, "mmio", 0x1000);
    MemoryRegion *sys = get_system_memory();
    as = &address_space_memory;
    memory_region_add_subregion(sys, 0x100000, &ram);
    memory_region_add_subregion(sys, 0x8000000, &hotram);
    memory_region_add_subregion(sys, 0xfe000000, &mmio);
    uint32_t *idx_cold = malloc(N * sizeof(uint32_t));
    uint32_t *idx_hot = malloc(N * sizeof(uint32_t));
    for (long k = 0; k < N; k++) {
        idx_cold[k] = (uint32_t)(rnd() % (BIG / 4));
        idx_hot[k] = (uint32_t)(rnd() % (HOT / 4));
    }

#ifdef HAVE_UNICORN
    uc_open(UC_ARCH_X86, UC_MODE_64, &uc);
    uc_mem_map(uc, UC_BASE, BIG, UC_PROT_ALL);
    uc_mem_write(uc, UC_BASE, plain, BIG);
#endif

    Row *r;
    r = row("4-byte read, hot, independent", "ns", "-", 0);
    r->hw = plain_loads(hot, idx_hot, N);
    r->gm = gm_loads(0x8000000, idx_hot, N);
#ifdef HAVE_UNICORN
    uc_mem_write(uc, UC_BASE, hot, HOT);
    r->uc = uc_loads(idx_hot, N);
#endif
    Row *hot_chase =
        row("4-byte read, hot, chase", "ns", "< 3x plain chase", 3);
    hot_chase->hw = plain_chase(hot, N);
    hot_chase->gm = gm_chase(0x8000000, N);
#ifdef HAVE_UNICORN
    hot_chase->uc = uc_chase(N / 4);
    uc_mem_write(uc, UC_BASE, plain, HOT);
#endif
    Row *cold =
        row("4-byte read, cold, independent", "ns", "< 2x plain load", 2);
    cold->hw = plain_loads(plain, idx_cold, N);
    cold->gm = gm_loads(0x100000, idx_cold, N);
#ifdef HAVE_UNICORN
    cold->uc = uc_loads(idx_cold, N / 4);
#endif
    Row *cchase =
        row("4-byte read, cold, chase", "ns", "< 1.1x plain chase", 1.1);
    cchase->hw = plain_chase(plain, N / 2);
    cchase->gm = gm_chase(0x100000, N / 2);
#ifdef HAVE_UNICORN
    cchase->uc = uc_chase(N / 8);
#endif
    Row *wr =
        row("4-byte write, cold, independent", "ns", "< 2x plain store", 2);
    wr->hw = plain_stores(plain, idx_cold, N);
    wr->gm = gm_stores(0x100000, idx_cold, N);
#ifdef HAVE_UNICORN
    wr->uc = uc_stores(idx_cold, N / 4);
#endif
    /* The same with a client logging the region: every store also sets a
     * bit in the dirty bitmap. */
    Row *wrd = row("4-byte write, cold, dirty logging on", "ns",
                   "< 2.5x plain store", 2.5);
    wrd->hw = wr->hw;
    memory_region_set_log(&ram, true, DIRTY_MEMORY_VGA);
    wrd->gm = gm_stores(0x100000, idx_cold, N);
    /* Collecting the log of 64 MiB, every page dirty: snapshot-and-clear
     * (vm-memory: AtomicBitmap::get_and_reset of the same size). */
    Row *scan = row("dirty-bitmap scan of 64 MiB", "us", "<= vm-memory", 0);
    {
        double ts[21];
        for (int k = 0; k < 21; k++) {
            memory_region_set_dirty(&ram, 0, BIG);
            double t = now();
            DirtyBitmapSnapshot *snap = memory_region_snapshot_and_clear_dirty(
                &ram, 0, BIG, DIRTY_MEMORY_VGA);
            ts[k] = now() - t;
            gm_dirty_snapshot_free(snap);
        }
        scan->gm = median(ts, 21) * 1e6;
    }
    memory_region_set_log(&ram, false, DIRTY_MEMORY_VGA);

    /* MMIO whose callback returns a constant, against an indirect call. */
    Row *mm = row("4-byte MMIO read, constant", "ns", "< 3x indirect call", 3);
    mm->hw = plain_icall(N);
    {
        uint64_t s = 0;
        double t = now();
        for (long k = 0; k < N; k++) {
            s += ldl_le_phys(as, 0xfe000000 + (hwaddr)(k & 0x3fc));
        }
        sink += s;
        mm->gm = (now() - t) / N * 1e9;
    }
#ifdef HAVE_UNICORN
    {
        uc_mmio_map(uc, 0xfe000000, 0x1000, uc_mmio_cb, NULL, NULL, NULL);
        uint64_t s = 0;
        long n = N / 4;
        double t = now();
        for (long k = 0; k < n; k++) {
            uint32_t v;
            uc_mem_read(uc, 0xfe000000 + (uint64_t)(k & 0x3fc), &v, 4);
            s += v;
        }
        sink += s;
        mm->uc = (now() - t) / n * 1e9;
    }
#endif

    /* Bulk copies of 64 MiB, GB/s (higher is better). */
    uint8_t *dst = big_alloc(BIG);
    Row *br = row("bulk read 64 MiB", "GB/s", ">= 95% of memcpy", 0);
    Row *bw = row("bulk write 64 MiB", "GB/s", ">= 95% of memcpy", 0);
    {
        int reps = quick ? 3 : 10;
        double t = now();
        for (int k = 0; k < reps; k++) {
            memcpy(dst, plain, BIG);
        }
        br->hw = bw->hw = reps * (double)BIG / (now() - t) / 1e9;
        t = now();
        for (int k = 0; k < reps; k++) {
            address_space_read(as, 0x100000, MEMTXATTRS_UNSPECIFIED, dst, BIG);
        }
        br->gm = reps * (double)BIG / (now() - t) / 1e9;
        t = now();
        for (int k = 0; k < reps; k++) {
            address_space_write(as, 0x100000, MEMTXATTRS_UNSPECIFIED, dst, BIG);
        }
        bw->gm = reps * (double)BIG / (now() - t) / 1e9;
#ifdef HAVE_UNICORN
        t = now();
        for (int k = 0; k < reps; k++) {
            uc_mem_read(uc, UC_BASE, dst, BIG);
        }
        br->uc = reps * (double)BIG / (now() - t) / 1e9;
        t = now();
        for (int k = 0; k < reps; k++) {
            uc_mem_write(uc, UC_BASE, dst, BIG);
        }
        bw->uc = reps * (double)BIG / (now() - t) / 1e9;
#endif
    }

    /* Chases over many 4 KiB regions, and the plain chase over the same
     * host pages.  Regions are added in one transaction. */
    static const unsigned counts[] = { 1, 10, 100, 1000, 10000, 100000 };
    Row *chase_rows[6] = { NULL };
    Row *tx100k = NULL;
    Sweep sweep[6];
    for (int c = 0; c < 6; c++) {
        unsigned nreg = counts[c];
        size_t bytes = (size_t)nreg * 4096;
        uint32_t *pages = big_alloc(bytes);
        make_cycle(pages, (uint32_t)(bytes / 4));
        MemoryRegion *regs = calloc(nreg, sizeof(*regs));
        static MemoryRegion box;
        memory_region_init(&box, NULL, "box", (uint64_t)nreg * 8192);
        double t = now();
        memory_region_transaction_begin();
        for (unsigned k = 0; k < nreg; k++) {
            memory_region_init_ram_ptr(&regs[k], NULL, "r", 4096,
                                       (uint8_t *)pages + (size_t)k * 4096);
            memory_region_add_subregion(&box, (hwaddr)k * 8192, &regs[k]);
        }
        memory_region_add_subregion(sys, 0x1000000000ull, &box);
        memory_region_transaction_commit();
        double build = now() - t;
        char name[96];
        snprintf(name, sizeof(name), "chase over %u regions of 4 KiB", nreg);
        Sweep *sw = &sweep[c];
        sw->regions = nreg;
        sw->build_ms = build * 1e3;
        bool in_table = nreg == 1 || nreg >= 1000;
        Row *cr = chase_rows[c] =
            in_table ? row(strdup(name), "ns",
                           nreg >= 100000 ? "< 2x plain chase"
                           : nreg >= 1000 ? "< 1.5x plain chase"
                                          : "-",
                           nreg >= 100000 ? 2
                           : nreg >= 1000 ? 1.5
                                          : 0)
                     : &scratch;
        long steps = quick ? 1000000 : 4000000;
        /* Plain: the same cycle through the same host pages. */
        {
            uint32_t i = 0;
            for (long k = 0; k < 100000; k++) {
                i = pages[i];
            }
            double t2 = now();
            for (long k = 0; k < steps; k++) {
                i = pages[i];
            }
            cr->hw = (now() - t2) / steps * 1e9;
            sink += i;
        }
        cr->gm = gm_chase_regions(0x1000000000ull, steps);
        sw->plain_ns = cr->hw;
        sw->chase_ns = cr->gm;
        /* One more region into the view of N (a hole), and out again. */
        {
            static MemoryRegion extra;
            memory_region_init_ram_ptr(&extra, NULL, "extra", 4096, pages);
            double ts[5];
            for (int k = 0; k < 5; k++) {
                double t3 = now();
                memory_region_add_subregion(&box, 4096, &extra);
                ts[k] = now() - t3;
                memory_region_del_subregion(&box, &extra);
            }
            sw->add_one_us = median(ts, 5) * 1e6;
            gm_memory_region_destroy(&extra, NULL);
        }
        if (nreg == 100000) {
            tx100k = row("add 100,000 regions in one transaction", "s",
                         "< 0.2 s", 0);
            tx100k->gm = build;
            Row *one =
                row("add 1 region to a view of 100,000", "us", "< 20 us", 0);
            one->gm = sw->add_one_us;
        }
        emit(name, cr->gm, "ns");
        /* Tear down in one transaction. */
        memory_region_transaction_begin();
        memory_region_del_subregion(sys, &box);
        memory_region_transaction_commit();
        gm_memory_region_destroy(&box, NULL);
        for (unsigned k = 0; k < nreg; k++) {
            gm_memory_region_destroy(&regs[k], NULL);
        }
        free(regs);
        munmap(pages, bytes);
    }

    /* Adding N regions one commit each (the cost grows with the view). */
    {
        unsigned n = quick ? 1000 : 4000;
        MemoryRegion *regs = calloc(n, sizeof(*regs));
        static MemoryRegion box2;
        memory_region_init(&box2, NULL, "box2", (uint64_t)n * 8192);
        memory_region_add_subregion(sys, 0x2000000000ull, &box2);
        double t = now(), tail = 0;
        for (unsigned k = 0; k < n; k++) {
            if (k == n - n / 10) {
                tail = now();
            }
            memory_region_init_ram_ptr(&regs[k], NULL, "r", 4096, plain);
            memory_region_add_subregion(&box2, (hwaddr)k * 8192, &regs[k]);
        }
        double total = now() - t;
        char name[96];
        snprintf(name, sizeof(name), "add %u regions, one commit each", n);
        Row *ar = row(strdup(name), "us", "(last 10%, per add)", 0);
        ar->gm = (now() - tail) / (n / 10) * 1e6;
        emit("add_one_commit_total_s", total, "s");
#ifdef HAVE_UNICORN
        uc_engine *u2;
        uc_open(UC_ARCH_X86, UC_MODE_64, &u2);
        uc_mem_region *rg;
        uint32_t cnt;
        uc_mem_regions(u2, &rg, &cnt); /* lazy init outside the clock */
        uc_free(rg);
        double t0 = now();
        for (unsigned k = 0; k < n; k++) {
            if (k == n - n / 10) {
                t0 = now();
            }
            uc_mem_map(u2, 0x100000000ull + (uint64_t)k * 8192, 4096,
                       UC_PROT_ALL);
        }
        ar->uc = (now() - t0) / (n / 10) * 1e6;
        uc_close(u2);
#endif
        memory_region_del_subregion(sys, &box2);
        gm_memory_region_destroy(&box2, NULL);
        for (unsigned k = 0; k < n; k++) {
            gm_memory_region_destroy(&regs[k], NULL);
        }
        free(regs);
    }

    /* Make one page of the 64 MiB region read-only (a read-only alias on
     * top), as Unicorn's uc_mem_protect of one page. */
    {
        Row *ro = row("read-only one page inside 64 MiB", "us", "< 50 us", 0);
        static MemoryRegion al;
        memory_region_init_alias(&al, NULL, "ro-page", &ram, 0x100000, 4096);
        memory_region_set_readonly(&al, true);
        /* The median of repeated changes: one change alone mostly measures
         * the page faults of memory the allocator has not used yet. */
        double ts[101];
        for (int k = 0; k < 101; k++) {
            double t = now();
            memory_region_add_subregion_overlap(sys, 0x200000, &al, 1);
            ts[k] = now() - t;
            if (k < 100) {
                memory_region_del_subregion(sys, &al);
            }
        }
        ro->gm = median(ts, 101) * 1e6;
#ifdef HAVE_UNICORN
        double t = now();
        uc_mem_protect(uc, UC_BASE + 0x100000, 4096, UC_PROT_READ);
        ro->uc = (now() - t) * 1e6;
#endif
    }

    /* The cost of one commit (a region added) against the number of
     * regions in the view and of listeners following it. */
    static const unsigned creg[] = { 10, 100, 1000, 10000 };
    static const unsigned clis[] = { 0, 1, 4 };
    double commit_us[4][3];
    for (int c = 0; c < 4; c++) {
        unsigned nreg = creg[c];
        MemoryRegion *regs = calloc(nreg, sizeof(*regs));
        static MemoryRegion box3, extra3;
        memory_region_init(&box3, NULL, "box3", (uint64_t)nreg * 8192 + 8192);
        memory_region_transaction_begin();
        for (unsigned k = 0; k < nreg; k++) {
            memory_region_init_io(&regs[k], NULL, &mmio_ops, NULL, "r", 4096);
            memory_region_add_subregion(&box3, (hwaddr)k * 8192, &regs[k]);
        }
        memory_region_add_subregion(sys, 0x3000000000ull, &box3);
        memory_region_transaction_commit();
        memory_region_init_io(&extra3, NULL, &mmio_ops, NULL, "x", 4096);
        static BenchListener ls[4];
        unsigned have = 0;
        for (int l = 0; l < 3; l++) {
            while (have < clis[l]) {
                bench_listener_init(&ls[have]);
                memory_listener_register(&ls[have].l, as);
                have++;
            }
            double ts[9];
            for (int k = 0; k < 9; k++) {
                double t = now();
                memory_region_add_subregion(&box3, (hwaddr)nreg * 8192,
                                            &extra3);
                ts[k] = now() - t;
                memory_region_del_subregion(&box3, &extra3);
            }
            commit_us[c][l] = median(ts, 9) * 1e6;
            char m[64];
            snprintf(m, sizeof(m), "commit_%u_regions_%u_listeners", nreg,
                     clis[l]);
            emit(m, commit_us[c][l], "us");
        }
        for (unsigned k = 0; k < have; k++) {
            memory_listener_unregister(&ls[k].l);
        }
        memory_region_transaction_begin();
        memory_region_del_subregion(sys, &box3);
        memory_region_transaction_commit();
        gm_memory_region_destroy(&box3, NULL);
        gm_memory_region_destroy(&extra3, NULL);
        for (unsigned k = 0; k < nreg; k++) {
            gm_memory_region_destroy(&regs[k], NULL);
        }
        free(regs);
    }

    /* vm-memory, run now so its figures land in the same table. */
    const char *vm_names[] = {
        "vmm_hot_read4_random",    "vmm_hot_read4_chase",
        "vmm_read4_random",        "vmm_read4_chase",
        "vmm_write4_random",       "vmm_1000_read4_chase",
        "vmm_bulk_read",           "vmm_bulk_write",
        "vmm_write4_random_dirty", "vmm_dirty_scan_64m"
    };
    Row *vm_rows[] = { &rows[0],      hot_chase, cold, cchase, wr,
                       chase_rows[3], br,        bw,   wrd,    scan };
    run_vmmem(vmmem, vm_rows, vm_names, 10);

    /* The table. */
    printf("guestmem-bench (%s): %ld accesses per figure; ns per access "
           "unless stated; ratio = guestmem / plain\n\n",
           quick ? "quick" : "full", N);
    printf("%-40s %9s %9s %9s %9s %8s  %-22s %s\n", "workload", "plain",
           "guestmem", "unicorn", "vm-mem", "ratio", "target", "met");
    for (int i = 0; i < nrows; i++) {
        Row *x = &rows[i];
        char b[4][16];
        double *v[4] = { &x->hw, &x->gm, &x->uc, &x->vm };
        for (int k = 0; k < 4; k++) {
            if (*v[k] < 0) {
                snprintf(b[k], 16, "-");
            } else {
                snprintf(b[k], 16, "%.3g", *v[k]);
            }
        }
        char ratio[16] = "-";
        const char *met = "";
        if (x->hw > 0 && x->gm > 0) {
            bool rate = !strcmp(x->unit, "GB/s");
            double q = rate ? x->gm / x->hw : x->gm / x->hw;
            snprintf(ratio, sizeof(ratio), "%.2fx", q);
            if (rate) {
                met = q >= 0.95 ? "yes" : "NO";
            } else if (x->limit > 0) {
                met = q < x->limit ? "yes" : "NO";
            }
        } else if (!strcmp(x->target, "<= vm-memory") && x->vm > 0) {
            met = x->gm <= x->vm ? "yes" : "NO";
        } else if (!strcmp(x->target, "< 20 us")) {
            met = x->gm < 20 ? "yes" : "NO";
        } else if (!strcmp(x->target, "< 50 us")) {
            met = x->gm < 50 ? "yes" : "NO";
        } else if (!strcmp(x->target, "< 0.2 s")) {
            met = x->gm < 0.2 ? "yes" : "NO";
        }
        printf("%-40s %9s %9s %9s %9s %8s  %-22s %s  %s\n", x->workload, b[0],
               b[1], b[2], b[3], ratio, x->target, met, x->unit);
        emit(x->workload, x->gm, x->unit);
    }
    printf("\nOne commit (a region added), us, against regions in the view "
           "and listeners\n%9s %12s %12s %12s\n",
           "regions", "0 listeners", "1 listener", "4 listeners");
    for (int c = 0; c < 4; c++) {
        printf("%9u %12.3g %12.3g %12.3g\n", creg[c], commit_us[c][0],
               commit_us[c][1], commit_us[c][2]);
    }
    printf("\nCost against the number of regions (4 KiB each, a hole after "
           "each)\n");
    printf("%9s %12s %12s %8s %14s %16s\n", "regions", "plain chase",
           "gm chase", "ratio", "add 1 (us)", "build, 1 tx (ms)");
    for (int c = 0; c < 6; c++) {
        Sweep *sw = &sweep[c];
        printf("%9u %12.3g %12.3g %7.2fx %14.3g %16.3g\n", sw->regions,
               sw->plain_ns, sw->chase_ns, sw->chase_ns / sw->plain_ns,
               sw->add_one_us, sw->build_ms);
        char m[64];
        snprintf(m, sizeof(m), "sweep_%u_plain_chase", sw->regions);
        emit(m, sw->plain_ns, "ns");
        snprintf(m, sizeof(m), "sweep_%u_gm_chase", sw->regions);
        emit(m, sw->chase_ns, "ns");
        snprintf(m, sizeof(m), "sweep_%u_add_one", sw->regions);
        emit(m, sw->add_one_us, "us");
        snprintf(m, sizeof(m), "sweep_%u_build", sw->regions);
        emit(m, sw->build_ms, "ms");
    }
    if (tsv) {
        fclose(tsv);
    }
    return 0;
}
