// SPDX-License-Identifier: MIT
/*
 * guestmem-bench - guestmem side by side with the bare machine, Unicorn 2
 * and rust-vmm's vm-memory, measured in one run so that ratios hold on a
 * noisy machine (SPEC section 3).
 *
 *   guestmem-bench [--quick] [--vmmem PATH] [--static PATH] [--tsv FILE]
 *                  [--md FILE]
 *   guestmem-bench --child [--quick]    (the access rows only, as lines)
 *
 * What users get: this program is linked with libguestmem.so, as
 * `pkg-config --libs guestmem` links a program, and uses the headers'
 * inline accessors as any program built against them does.  --static
 * runs the same program linked with libguestmem.a (bench/meson.build) for
 * the access rows and shows its ratios beside.
 *
 * Like for like: "hot" accesses stay inside 16 KiB of a 64 MiB region (the
 * software path alone), "cold" ones range over all 64 MiB; "independent"
 * addresses are known in advance (the CPU overlaps plain loads), "chase"
 * reads the next index from the value just read (dependent loads, the only
 * fair comparison with a load's latency).  All guest RAM is written before
 * timing, and the guest RAM and the plain buffers both ask for transparent
 * huge pages.  Each access row is measured in ROUNDS rounds, the plain loop
 * and guestmem's alternating; a row shows the medians, and its ratio is
 * the median of the rounds' ratios, so that a burst of load from other
 * processes moves both sides of one ratio.  vm-memory is measured by a
 * small Rust program (bench/vmmem), started from here when it has been
 * built; Unicorn is linked in when Debian's libunicorn-dev was found.
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

#ifndef GM_BENCH_LINK
#define GM_BENCH_LINK "?"
#endif

#define MiB (1ull << 20)
#define BIG (64 * MiB)
#define HOT (16 * 1024)
#define RAM_BASE 0x100000ull
#define HOT_BASE 0x8000000ull
#define MMIO_BASE 0xfe000000ull
#define MANY_BASE 0x1000000000ull

static bool quick, child;
static int rounds;
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

static volatile uint64_t sink;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    double c[128];
    memcpy(c, v, (size_t)n * sizeof(*v));
    qsort(c, (size_t)n, sizeof(*c), cmp_double);
    return n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
}

static void emit(const char *metric, double v, const char *unit)
{
    if (tsv) {
        fprintf(tsv, "%s\t%.4g\t%s\n", metric, v, unit);
    }
}

/* --- the table --------------------------------------------------------------- */

typedef enum {
    K_RATIO, /* ns: guestmem / plain must stay under limit */
    K_RATE,  /* GB/s: guestmem / plain must reach limit */
    K_ABS,   /* guestmem alone must stay under limit (unit) */
    K_VS_VM, /* guestmem must not be slower than vm-memory */
    K_INFO,  /* no target */
} Kind;

typedef struct Row {
    const char *key; /* short id: TSV, and the static child's lines */
    const char *workload;
    const char *unit;
    const char *target;
    Kind kind;
    double limit;
    double hw, gm, ratio;   /* this process (the shared library) */
    double st_ratio, st_gm; /* the static child */
    double uc, vm;          /* the peers */
} Row;

static Row rows[64];
static int nrows;

static Row *row(const char *key, const char *workload, const char *unit,
                const char *target, Kind kind, double limit)
{
    Row *r = &rows[nrows++];
    *r = (Row){ key, workload, unit, target, kind, limit, -1,
                -1,  -1,       -1,   -1,     -1,   -1 };
    return r;
}

static Row *find_row(const char *key)
{
    for (int i = 0; i < nrows; i++) {
        if (!strcmp(rows[i].key, key)) {
            return &rows[i];
        }
    }
    return NULL;
}

/* Measures @plain and @gm alternately, rounds times, @n operations each;
 * fills the row's medians and the median of the rounds' ratios. */
static void measure(Row *r, double (*plain)(long), double (*gm)(long), long n)
{
    double hw[32], g[32], q[32];
    for (int k = 0; k < rounds; k++) {
        hw[k] = plain(n);
        g[k] = gm(n);
        q[k] = g[k] / hw[k];
    }
    r->hw = median(hw, rounds);
    r->gm = median(g, rounds);
    r->ratio = median(q, rounds);
}

/* --- the bare machine -------------------------------------------------------- */

static uint32_t *plain_buf, *hot_buf;
static uint32_t *idx_cold, *idx_hot;
static AddressSpace *as;

static double plain_chase_in(const uint32_t *mem, long steps)
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

static double plain_loads_in(const uint32_t *mem, const uint32_t *idx, long n)
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

static double plain_hot_loads(long n)
{
    return plain_loads_in(hot_buf, idx_hot, n);
}
static double plain_hot_chase(long n)
{
    return plain_chase_in(hot_buf, n);
}
static double plain_cold_loads(long n)
{
    return plain_loads_in(plain_buf, idx_cold, n);
}
static double plain_cold_chase(long n)
{
    return plain_chase_in(plain_buf, n);
}

static uint32_t *plain_wbuf; /* stores go here: plain_buf keeps its cycle */

static double plain_stores(long n)
{
    double t = now();
    for (long k = 0; k < n; k++) {
        plain_wbuf[idx_cold[k]] = (uint32_t)k;
    }
    return (now() - t) / n * 1e9;
}

__attribute__((noinline)) static uint64_t constant_cb(void *o, hwaddr a,
                                                      unsigned size)
{
    (void)o;
    return a + 42 + size;
}

static double plain_icall(long n)
{
    uint64_t (*volatile fp)(void *, hwaddr, unsigned) = constant_cb;
    uint64_t s = 0;
    double t = now();
    for (long k = 0; k < n; k++) {
        s += fp(NULL, (hwaddr)(k & 0x3fc), 4);
    }
    sink += s;
    return (now() - t) / n * 1e9;
}

/* --- guestmem ----------------------------------------------------------------- */

static double gm_chase_in(hwaddr base, long steps)
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

static double gm_loads_in(hwaddr base, const uint32_t *idx, long n)
{
    uint64_t s = 0;
    double t = now();
    for (long k = 0; k < n; k++) {
        s += ldl_le_phys(as, base + (hwaddr)idx[k] * 4);
    }
    sink += s;
    return (now() - t) / n * 1e9;
}

/* The batch API: addresses computed from the indices in blocks (inside
 * the clock, as the plain loop computes its addresses), then loaded. */
#define BLOCK 1024
static double gm_batch_loads_in(hwaddr base, const uint32_t *idx, long n)
{
    static hwaddr a[BLOCK];
    static uint32_t v[BLOCK];
    uint64_t s = 0;
    double t = now();
    for (long k = 0; k < n; k += BLOCK) {
        long m = n - k < BLOCK ? n - k : BLOCK;
        for (long j = 0; j < m; j++) {
            a[j] = base + (hwaddr)idx[k + j] * 4;
        }
        gm_address_space_load_batch(as, MO_32, a, v, (size_t)m,
                                    MEMTXATTRS_UNSPECIFIED);
        for (long j = 0; j < m; j++) {
            s += v[j];
        }
    }
    sink += s;
    return (now() - t) / n * 1e9;
}

static double gm_hot_loads(long n)
{
    return gm_loads_in(HOT_BASE, idx_hot, n);
}
static double gm_hot_chase(long n)
{
    return gm_chase_in(HOT_BASE, n);
}
static double gm_cold_loads(long n)
{
    return gm_loads_in(RAM_BASE, idx_cold, n);
}
static double gm_cold_batch(long n)
{
    return gm_batch_loads_in(RAM_BASE, idx_cold, n);
}
static double gm_cold_chase(long n)
{
    return gm_chase_in(RAM_BASE, n);
}

/* Through the exported function, not inlined: what a caller gets that
 * cannot use the headers (Python's cffi in ABI mode, dlsym, a function
 * pointer). */
static double gm_hot_chase_call(long steps)
{
    uint32_t (*volatile fp)(AddressSpace *, hwaddr) = ldl_le_phys;
    uint32_t (*f)(AddressSpace *, hwaddr) = fp;
    uint32_t i = 0;
    for (long k = 0; k < 100000; k++) {
        i = f(as, HOT_BASE + (hwaddr)i * 4);
    }
    double t = now();
    for (long k = 0; k < steps; k++) {
        i = f(as, HOT_BASE + (hwaddr)i * 4);
    }
    double ns = (now() - t) / steps * 1e9;
    sink += i;
    return ns;
}

static double gm_stores(long n)
{
    double t = now();
    for (long k = 0; k < n; k++) {
        stl_le_phys(as, RAM_BASE + (hwaddr)idx_cold[k] * 4, (uint32_t)k);
    }
    return (now() - t) / n * 1e9;
}

static double gm_batch_stores(long n)
{
    static hwaddr a[BLOCK];
    static uint32_t v[BLOCK];
    double t = now();
    for (long k = 0; k < n; k += BLOCK) {
        long m = n - k < BLOCK ? n - k : BLOCK;
        for (long j = 0; j < m; j++) {
            a[j] = RAM_BASE + (hwaddr)idx_cold[k + j] * 4;
            v[j] = (uint32_t)(k + j);
        }
        gm_address_space_store_batch(as, MO_32, a, v, (size_t)m,
                                     MEMTXATTRS_UNSPECIFIED);
    }
    return (now() - t) / n * 1e9;
}

static double gm_mmio(long n)
{
    uint64_t s = 0;
    double t = now();
    for (long k = 0; k < n; k++) {
        s += ldl_le_phys(as, MMIO_BASE + (hwaddr)(k & 0x3fc));
    }
    sink += s;
    return (now() - t) / n * 1e9;
}

static uint64_t mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    return addr + 42 + size;
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

/* --- other processes: vm-memory, and this program over the static library - */

/* Runs @cmd and hands each "name value unit" line to @fn. */
static void run_child(const char *cmd, void (*fn)(const char *line))
{
    FILE *p = popen(cmd, "r");
    if (!p) {
        return;
    }
    char line[512];
    while (fgets(line, sizeof(line), p)) {
        fn(line);
    }
    pclose(p);
}

static const struct {
    const char *metric, *key;
} vm_map[] = {
    { "vmm_hot_read4_random", "hot_ind" },
    { "vmm_hot_read4_chase", "hot_chase" },
    { "vmm_read4_random", "cold_ind" },
    { "vmm_read4_chase", "cold_chase" },
    { "vmm_write4_random", "wr" },
    { "vmm_write4_random_dirty", "wr_dirty" },
    { "vmm_1000_read4_chase", "chase_1000" },
    { "vmm_bulk_read", "bulk_read" },
    { "vmm_bulk_write", "bulk_write" },
    { "vmm_dirty_scan_64m", "dirty_collect" },
    { "vmm_dirty_at_64m", "dirty_query" },
    { "vmm_insert_region_tail", "add_one_each" },
    { "vmm_insert_region_into_100000", "add_1_to_100k" },
};

static void vm_line(const char *line)
{
    char metric[128], unit[32];
    double v;
    if (sscanf(line, "%127s %lf %31s", metric, &v, unit) != 3) {
        return;
    }
    emit(metric, v, unit);
    for (size_t i = 0; i < sizeof(vm_map) / sizeof(vm_map[0]); i++) {
        Row *r = find_row(vm_map[i].key);
        if (r && !strcmp(vm_map[i].metric, metric)) {
            r->vm = v;
        }
    }
}

static void static_line(const char *line)
{
    char key[64];
    double hw, gm, q;
    if (sscanf(line, "row %63s %lf %lf %lf", key, &hw, &gm, &q) != 4) {
        return;
    }
    Row *r = find_row(key);
    if (r) {
        r->st_gm = gm;
        r->st_ratio = q;
        char m[96];
        snprintf(m, sizeof(m), "static_%s_ratio", key);
        emit(m, q, "x");
    }
}

/* --- the access rows ------------------------------------------------------- */

static MemoryRegion ram, hotram, mmio;

static void access_rows(long N)
{
    Row *r;
    r = row("hot_ind", "4-byte read, hot, independent", "ns", "-", K_INFO, 0);
    measure(r, plain_hot_loads, gm_hot_loads, N);
    r = row("hot_chase", "4-byte read, hot, chase", "ns", "< 3x plain chase",
            K_RATIO, 3);
    measure(r, plain_hot_chase, gm_hot_chase, N);
    r = row("hot_chase_call", "4-byte read, hot, chase, out-of-line call", "ns",
            "-", K_INFO, 0);
    measure(r, plain_hot_chase, gm_hot_chase_call, N);
    r = row("cold_ind", "4-byte read, cold, independent", "ns",
            "< 2x plain load", K_RATIO, 2);
    measure(r, plain_cold_loads, gm_cold_loads, N);
    r = row("cold_batch", "4-byte read, cold, independent, batch API", "ns",
            "< 2x plain load", K_RATIO, 2);
    measure(r, plain_cold_loads, gm_cold_batch, N);
    r = row("cold_chase", "4-byte read, cold, chase", "ns",
            "< 1.1x plain chase", K_RATIO, 1.1);
    measure(r, plain_cold_chase, gm_cold_chase, N / 4);
    r = row("wr", "4-byte write, cold", "ns", "< 2x plain store", K_RATIO, 2);
    measure(r, plain_stores, gm_stores, N);
    r = row("wr_batch", "4-byte write, cold, batch API", "ns",
            "< 2x plain store", K_RATIO, 2);
    measure(r, plain_stores, gm_batch_stores, N);
    /* The same with a client logging the region: every store also sets a
     * bit in the dirty bitmap. */
    r = row("wr_dirty", "4-byte write, cold, dirty logging on", "ns",
            "< 2.5x plain store", K_RATIO, 2.5);
    memory_region_set_log(&ram, true, DIRTY_MEMORY_VGA);
    measure(r, plain_stores, gm_stores, N);
    memory_region_set_log(&ram, false, DIRTY_MEMORY_VGA);
    /* MMIO whose callback returns a constant, against an indirect call of
     * the same function type. */
    r = row("mmio", "4-byte MMIO read vs an indirect call", "ns",
            "< 3x indirect call", K_RATIO, 3);
    measure(r, plain_icall, gm_mmio, N);
}

/* --- the run ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    const char *vmmem = NULL, *static_bench = NULL, *md = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            quick = true;
        } else if (!strcmp(argv[i], "--child")) {
            child = true;
        } else if (!strcmp(argv[i], "--vmmem") && i + 1 < argc) {
            vmmem = argv[++i];
        } else if (!strcmp(argv[i], "--static") && i + 1 < argc) {
            static_bench = argv[++i];
        } else if (!strcmp(argv[i], "--tsv") && i + 1 < argc) {
            tsv = fopen(argv[++i], "w");
        } else if (!strcmp(argv[i], "--md") && i + 1 < argc) {
            md = argv[++i];
        } else {
            fprintf(stderr,
                    "usage: guestmem-bench [--quick] [--vmmem PATH] "
                    "[--static PATH] [--tsv FILE] [--md FILE] | --child\n");
            return 2;
        }
    }
    const long N = quick ? 2000000 : 10000000;
    rounds = quick ? 3 : 5;
    gm_rcu_register_thread();

    /* One 64 MiB region; its words form a random cycle, in the guest and in
     * a plain host buffer alike. */
    plain_buf = big_alloc(BIG);
    make_cycle(plain_buf, BIG / 4);
    plain_wbuf = big_alloc(BIG);
    hot_buf = big_alloc(HOT);
    make_cycle(hot_buf, HOT / 4);
    memory_region_init_ram(&ram, NULL, "ram", BIG, &error_fatal);
    memory_region_init_ram(&hotram, NULL, "hot", HOT, &error_fatal);
    madvise(memory_region_get_ram_ptr(&ram), BIG, MADV_HUGEPAGE);
    memcpy(memory_region_get_ram_ptr(&ram), plain_buf, BIG);
    memcpy(memory_region_get_ram_ptr(&hotram), hot_buf, HOT);
    memory_region_init_io(&mmio, NULL, &mmio_ops, NULL, "mmio", 0x1000);
    MemoryRegion *sys = get_system_memory();
    as = &address_space_memory;
    memory_region_add_subregion(sys, RAM_BASE, &ram);
    memory_region_add_subregion(sys, HOT_BASE, &hotram);
    memory_region_add_subregion(sys, MMIO_BASE, &mmio);
    idx_cold = malloc(N * sizeof(uint32_t));
    idx_hot = malloc(N * sizeof(uint32_t));
    for (long k = 0; k < N; k++) {
        idx_cold[k] = (uint32_t)(rnd() % (BIG / 4));
        idx_hot[k] = (uint32_t)(rnd() % (HOT / 4));
    }

    access_rows(N);
    if (child) {
        for (int i = 0; i < nrows; i++) {
            printf("row %s %.4g %.4g %.4g\n", rows[i].key, rows[i].hw,
                   rows[i].gm, rows[i].ratio);
        }
        return 0;
    }

#ifdef HAVE_UNICORN
    uc_open(UC_ARCH_X86, UC_MODE_64, &uc);
    uc_mem_map(uc, UC_BASE, BIG, UC_PROT_ALL);
    uc_mem_write(uc, UC_BASE, hot_buf, HOT);
    find_row("hot_ind")->uc = uc_loads(idx_hot, N / 4);
    find_row("hot_chase")->uc = uc_chase(N / 4);
    uc_mem_write(uc, UC_BASE, plain_buf, BIG);
    find_row("cold_ind")->uc = uc_loads(idx_cold, N / 4);
    find_row("cold_chase")->uc = uc_chase(N / 8);
    find_row("wr")->uc = uc_stores(idx_cold, N / 4);
    {
        uc_mmio_map(uc, MMIO_BASE, 0x1000, uc_mmio_cb, NULL, NULL, NULL);
        uint64_t s = 0;
        long n = N / 4;
        double t = now();
        for (long k = 0; k < n; k++) {
            uint32_t v;
            uc_mem_read(uc, MMIO_BASE + (uint64_t)(k & 0x3fc), &v, 4);
            s += v;
        }
        sink += s;
        find_row("mmio")->uc = (now() - t) / n * 1e9;
    }
#endif

    /* The dirty bitmap of 64 MiB, every page dirty: asking it page by
     * page without clearing (SPEC's "dirty-bitmap scan": guestmem, one
     * call that walks the bitmap's words, then a test per page; vm-memory,
     * dirty_at per page), and collecting it (snapshot-and-clear; vm-memory:
     * AtomicBitmap::get_and_reset), each timed alone, medians. */
    Row *query = row("dirty_query", "dirty bitmap of 64 MiB, per-page query",
                     "us", "<= vm-memory", K_VS_VM, 0);
    Row *query1 = row("dirty_query_calls", "per-page query, one call per page",
                      "us", "-", K_INFO, 0);
    Row *collect = row("dirty_collect", "dirty bitmap of 64 MiB, collected",
                       "us", "-", K_INFO, 0);
    memory_region_set_log(&ram, true, DIRTY_MEMORY_VGA);
    {
        double ts[101], tq[101], tc[21];
        static uint64_t bits[BIG / 4096 / 64];
        uint64_t dirty = 0;
        for (int k = 0; k < 101; k++) {
            memory_region_set_dirty(&ram, 0, BIG);
            double t = now();
            gm_memory_region_get_dirty_bitmap(&ram, 0, BIG, DIRTY_MEMORY_VGA,
                                              bits);
            for (uint64_t p = 0; p < BIG / 4096; p++) {
                dirty += (bits[p / 64] >> (p % 64)) & 1;
            }
            tq[k] = now() - t;
            if (k < 21) {
                t = now();
                for (uint64_t p = 0; p < BIG / 4096; p++) {
                    dirty += memory_region_get_dirty(&ram, p * 4096, 4096,
                                                     DIRTY_MEMORY_VGA);
                }
                tc[k] = now() - t;
            }
            t = now();
            DirtyBitmapSnapshot *snap = memory_region_snapshot_and_clear_dirty(
                &ram, 0, BIG, DIRTY_MEMORY_VGA);
            ts[k] = now() - t;
            gm_dirty_snapshot_free(snap);
        }
        sink += dirty;
        collect->gm = median(ts, 101) * 1e6;
        query->gm = median(tq, 101) * 1e6;
        query1->gm = median(tc, 21) * 1e6;
    }
    memory_region_set_log(&ram, false, DIRTY_MEMORY_VGA);

    /* Bulk copies of 64 MiB, GB/s (higher is better). */
    uint8_t *dst = big_alloc(BIG);
    Row *br = row("bulk_read", "bulk read 64 MiB", "GB/s", ">= 95% of memcpy",
                  K_RATE, 0.95);
    Row *bw = row("bulk_write", "bulk write 64 MiB", "GB/s", ">= 95% of memcpy",
                  K_RATE, 0.95);
    {
        int reps = quick ? 3 : 10;
        double h[32], gr[32], gw[32], qr[32], qw[32];
        for (int k = 0; k < rounds; k++) {
            double t = now();
            for (int j = 0; j < reps; j++) {
                memcpy(dst, plain_buf, BIG);
            }
            h[k] = reps * (double)BIG / (now() - t) / 1e9;
            t = now();
            for (int j = 0; j < reps; j++) {
                address_space_read(as, RAM_BASE, MEMTXATTRS_UNSPECIFIED, dst,
                                   BIG);
            }
            gr[k] = reps * (double)BIG / (now() - t) / 1e9;
            t = now();
            for (int j = 0; j < reps; j++) {
                address_space_write(as, RAM_BASE, MEMTXATTRS_UNSPECIFIED, dst,
                                    BIG);
            }
            gw[k] = reps * (double)BIG / (now() - t) / 1e9;
            qr[k] = gr[k] / h[k];
            qw[k] = gw[k] / h[k];
        }
        br->hw = bw->hw = median(h, rounds);
        br->gm = median(gr, rounds);
        bw->gm = median(gw, rounds);
        br->ratio = median(qr, rounds);
        bw->ratio = median(qw, rounds);
#ifdef HAVE_UNICORN
        double t = now();
        for (int j = 0; j < reps; j++) {
            uc_mem_read(uc, UC_BASE, dst, BIG);
        }
        br->uc = reps * (double)BIG / (now() - t) / 1e9;
        t = now();
        for (int j = 0; j < reps; j++) {
            uc_mem_write(uc, UC_BASE, dst, BIG);
        }
        bw->uc = reps * (double)BIG / (now() - t) / 1e9;
#endif
    }

    /* Chases over many 4 KiB regions, and the plain chase over the same
     * host pages.  Regions are added in one transaction. */
    static const unsigned counts[] = { 1, 10, 100, 1000, 10000, 100000 };
    struct {
        unsigned regions;
        double plain_ns, chase_ns, ratio, add_one_us, build_ms;
    } sweep[6];
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
        memory_region_add_subregion(sys, MANY_BASE, &box);
        memory_region_transaction_commit();
        double build = now() - t;
        long steps = quick ? 1000000 : 4000000;
        double hw[32], g[32], q[32];
        for (int k = 0; k < rounds; k++) {
            /* Plain: the same cycle through the same host pages. */
            hw[k] = plain_chase_in(pages, steps);
            /* guestmem: region r is guest page 2r (a hole after each),
             * host page r; slot s is page s/1024, word s%1024. */
            uint32_t i = 0;
            for (long j = 0; j < 100000; j++) {
                i = ldl_le_phys(as, MANY_BASE + (hwaddr)(i / 1024) * 8192 +
                                        (hwaddr)(i % 1024) * 4);
            }
            double t2 = now();
            for (long j = 0; j < steps; j++) {
                i = ldl_le_phys(as, MANY_BASE + (hwaddr)(i / 1024) * 8192 +
                                        (hwaddr)(i % 1024) * 4);
            }
            g[k] = (now() - t2) / steps * 1e9;
            sink += i;
            q[k] = g[k] / hw[k];
        }
        sweep[c].regions = nreg;
        sweep[c].build_ms = build * 1e3;
        sweep[c].plain_ns = median(hw, rounds);
        sweep[c].chase_ns = median(g, rounds);
        sweep[c].ratio = median(q, rounds);
        if (nreg == 1 || nreg >= 1000) {
            static char keys[6][32], names[6][64];
            snprintf(keys[c], 32, "chase_%u", nreg);
            snprintf(names[c], 64, "chase over %u regions of 4 KiB", nreg);
            Row *cr =
                row(keys[c], names[c], "ns",
                    nreg >= 100000 ? "< 2x plain chase"
                    : nreg >= 1000 ? "< 1.5x plain chase"
                                   : "-",
                    nreg >= 1000 ? K_RATIO : K_INFO, nreg >= 100000 ? 2 : 1.5);
            cr->hw = sweep[c].plain_ns;
            cr->gm = sweep[c].chase_ns;
            cr->ratio = sweep[c].ratio;
        }
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
            sweep[c].add_one_us = median(ts, 5) * 1e6;
            gm_memory_region_destroy(&extra, NULL);
        }
        if (nreg == 100000) {
            Row *tx = row("tx_100k", "add 100,000 regions in one transaction",
                          "s", "< 0.2 s", K_ABS, 0.2);
            tx->gm = build;
            Row *one = row("add_1_to_100k", "add 1 region to a view of 100,000",
                           "us", "< 20 us", K_ABS, 20);
            one->gm = sweep[c].add_one_us;
        }
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

    /* Adding N regions one commit each (the cost grows with the view);
     * the last 10 % per add.  vm-memory: insert_region, which returns a
     * new map each time. */
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
            memory_region_init_ram_ptr(&regs[k], NULL, "r", 4096, plain_buf);
            memory_region_add_subregion(&box2, (hwaddr)k * 8192, &regs[k]);
        }
        double total = now() - t;
        static char name[96];
        snprintf(name, sizeof(name),
                 "add %u regions, one commit each (last 10 %%, per add)", n);
        Row *ar = row("add_one_each", name, "us", "-", K_INFO, 0);
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
        Row *ro = row("ro_page", "read-only one page inside 64 MiB", "us",
                      "< 50 us", K_ABS, 50);
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

    /* The other processes, now, so that their figures land in this run:
     * the static library's access rows, and vm-memory. */
    char cmd[4096];
    if (static_bench && access(static_bench, X_OK) == 0) {
        snprintf(cmd, sizeof(cmd), "%s --child%s", static_bench,
                 quick ? " --quick" : "");
        run_child(cmd, static_line);
    }
    if (vmmem && access(vmmem, X_OK) == 0) {
        snprintf(cmd, sizeof(cmd), "%s %s", vmmem, quick ? "quick" : "full");
        run_child(cmd, vm_line);
    }

    /* The table. */
    FILE *mdf = md ? fopen(md, "w") : NULL;
    printf("guestmem-bench (%s, %s library): %ld accesses per figure, "
           "%d rounds; ns per access unless stated; ratio = guestmem / "
           "plain, the median of the rounds' ratios\n\n",
           quick ? "quick" : "full", GM_BENCH_LINK, N, rounds);
    printf("%-52s %8s %9s %7s %7s %9s %9s  %-20s %s\n", "workload", "plain",
           "guestmem", "ratio", "static", "unicorn", "vm-mem", "target", "met");
    if (mdf) {
        fprintf(mdf, "| workload | unit | plain | guestmem | ratio | "
                     "static lib ratio | Unicorn 2 | vm-memory | target | "
                     "met |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | "
                     "---: | --- | --- |\n");
    }
    for (int i = 0; i < nrows; i++) {
        Row *x = &rows[i];
        char b[6][24];
        double v[6] = { x->hw, x->gm, x->ratio, x->st_ratio, x->uc, x->vm };
        for (int k = 0; k < 6; k++) {
            if (v[k] < 0) {
                snprintf(b[k], 24, "-");
            } else if (k == 2 || k == 3) {
                snprintf(b[k], 24, "%.2fx", v[k]);
            } else {
                snprintf(b[k], 24, "%.3g", v[k]);
            }
        }
        const char *met = "";
        switch (x->kind) {
        case K_RATIO:
            met = x->ratio < 0 ? "" : x->ratio < x->limit ? "yes" : "NO";
            break;
        case K_RATE:
            met = x->ratio < 0 ? "" : x->ratio >= x->limit ? "yes" : "NO";
            break;
        case K_ABS: met = x->gm < x->limit ? "yes" : "NO"; break;
        case K_VS_VM:
            met = x->vm < 0 ? "" : x->gm <= x->vm ? "yes" : "NO";
            break;
        case K_INFO: break;
        }
        printf("%-52s %8s %9s %7s %7s %9s %9s  %-20s %s  %s\n", x->workload,
               b[0], b[1], b[2], b[3], b[4], b[5], x->target, met, x->unit);
        if (mdf) {
            fprintf(mdf,
                    "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                    x->workload, x->unit, b[0], b[1], b[2], b[3], b[4], b[5],
                    x->target, met);
        }
        emit(x->key, x->gm, x->unit);
        if (x->ratio >= 0) {
            char m[96];
            snprintf(m, sizeof(m), "%s_ratio", x->key);
            emit(m, x->ratio, "x");
        }
    }
    printf("\nOne commit (a region added), us, against regions in the view "
           "and listeners\n%9s %12s %12s %12s\n",
           "regions", "0 listeners", "1 listener", "4 listeners");
    if (mdf) {
        fprintf(mdf, "\n| regions in the view | one commit, 0 listeners (us) "
                     "| 1 listener | 4 listeners |\n| ---: | ---: | ---: | "
                     "---: |\n");
    }
    for (int c = 0; c < 4; c++) {
        printf("%9u %12.3g %12.3g %12.3g\n", creg[c], commit_us[c][0],
               commit_us[c][1], commit_us[c][2]);
        if (mdf) {
            fprintf(mdf, "| %u | %.3g | %.3g | %.3g |\n", creg[c],
                    commit_us[c][0], commit_us[c][1], commit_us[c][2]);
        }
    }
    printf("\nCost against the number of regions (4 KiB each, a hole after "
           "each)\n");
    printf("%9s %12s %12s %8s %14s %16s\n", "regions", "plain chase",
           "gm chase", "ratio", "add 1 (us)", "build, 1 tx (ms)");
    if (mdf) {
        fprintf(mdf, "\n| regions | plain chase (ns) | guestmem chase (ns) | "
                     "ratio | add 1 region (us) | build all in one "
                     "transaction (ms) |\n| ---: | ---: | ---: | ---: | ---: | "
                     "---: |\n");
    }
    for (int c = 0; c < 6; c++) {
        printf("%9u %12.3g %12.3g %7.2fx %14.3g %16.3g\n", sweep[c].regions,
               sweep[c].plain_ns, sweep[c].chase_ns, sweep[c].ratio,
               sweep[c].add_one_us, sweep[c].build_ms);
        if (mdf) {
            fprintf(mdf, "| %u | %.3g | %.3g | %.2fx | %.3g | %.3g |\n",
                    sweep[c].regions, sweep[c].plain_ns, sweep[c].chase_ns,
                    sweep[c].ratio, sweep[c].add_one_us, sweep[c].build_ms);
        }
        char m[64];
        snprintf(m, sizeof(m), "sweep_%u_plain_chase", sweep[c].regions);
        emit(m, sweep[c].plain_ns, "ns");
        snprintf(m, sizeof(m), "sweep_%u_gm_chase", sweep[c].regions);
        emit(m, sweep[c].chase_ns, "ns");
        snprintf(m, sizeof(m), "sweep_%u_add_one", sweep[c].regions);
        emit(m, sweep[c].add_one_us, "us");
        snprintf(m, sizeof(m), "sweep_%u_build", sweep[c].regions);
        emit(m, sweep[c].build_ms, "ms");
    }
    if (mdf) {
        fclose(mdf);
    }
    if (tsv) {
        fclose(tsv);
    }
    return 0;
}
