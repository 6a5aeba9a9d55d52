// SPDX-License-Identifier: MIT
/*
 * commit-bench.c - what one change to the region tree costs, against the
 * number of regions in the view, beside Unicorn 2 and rust-vmm vm-memory.
 *
 *   commit-bench [--quick] [--vmmem PATH] [--tsv FILE] [--md FILE]
 *
 * For N = 10 .. 1,000,000 RAM regions of 4 KiB (a hole of 4 KiB after
 * each) built in one transaction, it times each change below as one
 * commit (the median of many), with no listener and with one KVM-style
 * listener (region_add, region_del, log_start, log_stop; no region_nop):
 *   add      a region into a hole in the middle;   del  the same out again;
 *   move     a region from the middle to a hole and back (each move timed);
 *   enable   a region disabled and enabled again (each timed);
 *   readonly a region made read-only and writable again;
 *   alias    the offset of an alias in the view changed.
 * Also: the build in one transaction (time, and resident memory per region
 * beyond the MemoryRegion structs), and 100,000 regions added one commit
 * each.  Peers, in the same run: Unicorn's uc_mem_map of one page into a
 * map of N pages (up to the count it accepts) and vm-memory's
 * insert_region into a map of N regions (bench/vmmem, "commit" mode).
 * Linked with libguestmem.so as `pkg-config --libs guestmem` links.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <guestmem/guestmem.h>
#ifdef HAVE_UNICORN
#include <unicorn/unicorn.h>
#endif

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return v[n / 2];
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof(line), f)) {
        if (!strncmp(line, "VmRSS:", 6)) {
            kib = strtol(line + 6, NULL, 10);
        }
    }
    if (f) {
        fclose(f);
    }
    return kib;
}

/* A KVM-style listener: what a hypervisor's slot table does per event,
 * reduced to bookkeeping. */
typedef struct Kvmish {
    MemoryListener l;
    unsigned long adds, dels, logs;
    uint64_t bytes;
} Kvmish;

static void k_add(MemoryListener *l, MemoryRegionSection *s)
{
    Kvmish *k = (Kvmish *)l;
    k->adds++;
    k->bytes += (uint64_t)s->size;
}

static void k_del(MemoryListener *l, MemoryRegionSection *s)
{
    Kvmish *k = (Kvmish *)l;
    k->dels++;
    k->bytes -= (uint64_t)s->size;
}

static void k_log(MemoryListener *l, MemoryRegionSection *s, int o, int n)
{
    ((Kvmish *)l)->logs++;
}

enum {
    OP_ADD,
    OP_DEL,
    OP_MOVE,
    OP_ENABLE,
    OP_READONLY,
    OP_ALIAS,
    NOPS
};
static const char *op_names[NOPS] = { "add",       "delete",
                                      "move",      "enable/disable",
                                      "read-only", "alias offset" };

#define MAXSIZES 6
static const unsigned sizes[MAXSIZES] = {
    10, 100, 1000, 10000, 100000, 1000000
};
static double op_us[MAXSIZES][2][NOPS];
static double build_s[MAXSIZES], bytes_per_region[MAXSIZES];
static double uc_us[MAXSIZES], vm_us[MAXSIZES];
static uint8_t host_page[4096] __attribute__((aligned(4096)));

static FILE *tsv;

static void emit(const char *key, double v, const char *unit)
{
    if (tsv) {
        fprintf(tsv, "%s\t%.6g\t%s\n", key, v, unit);
    }
}

/* Times @op on a view of @n regions (median of @reps). */
static double time_op(int op, MemoryRegion *box, MemoryRegion *regs, unsigned n,
                      MemoryRegion *extra, MemoryRegion *alias, int reps)
{
    double *ts = calloc((size_t)reps, sizeof(double));
    MemoryRegion *mid = &regs[n / 2];
    hwaddr hole = (hwaddr)(n / 2) * 8192 + 4096;
    hwaddr home = mid->addr;
    for (int k = 0; k < reps; k++) {
        double t = 0;
        switch (op) {
        case OP_ADD:
            t = now();
            memory_region_add_subregion(box, hole, extra);
            t = now() - t;
            memory_region_del_subregion(box, extra);
            break;
        case OP_DEL:
            memory_region_add_subregion(box, hole, extra);
            t = now();
            memory_region_del_subregion(box, extra);
            t = now() - t;
            break;
        case OP_MOVE:
            t = now();
            memory_region_set_address(mid, k & 1 ? home : hole);
            t = now() - t;
            break;
        case OP_ENABLE:
            t = now();
            memory_region_set_enabled(mid, k & 1);
            t = now() - t;
            break;
        case OP_READONLY:
            t = now();
            memory_region_set_readonly(mid, !(k & 1));
            t = now() - t;
            break;
        case OP_ALIAS:
            t = now();
            memory_region_set_alias_offset(alias, k & 1 ? 0 : 0x1000);
            t = now() - t;
            break;
        }
        ts[k] = t;
    }
    memory_region_set_address(mid, home);
    memory_region_set_enabled(mid, true);
    memory_region_set_readonly(mid, false);
    double m = median(ts, reps);
    free(ts);
    return m * 1e6;
}

static void run_size(int si, bool quick)
{
    unsigned n = sizes[si];
    MemoryRegion *sys = get_system_memory();
    MemoryRegion *regs = calloc(n, sizeof(*regs));
    static MemoryRegion box, extra, alias_ram, alias;
    /* The structs are the caller's: count them out of the memory. */
    memset(regs, 0, (size_t)n * sizeof(*regs));
    for (unsigned k = 0; k < n; k++) {
        memory_region_init_ram_ptr(&regs[k], NULL, "r", 4096, host_page);
    }
    memory_region_init(&box, NULL, "box", (uint64_t)n * 8192 + 8192);
    long before = rss_kib();
    double t = now();
    memory_region_transaction_begin();
    for (unsigned k = 0; k < n; k++) {
        memory_region_add_subregion(&box, (hwaddr)k * 8192, &regs[k]);
    }
    memory_region_add_subregion(sys, 0x100000000ull, &box);
    memory_region_transaction_commit();
    build_s[si] = now() - t;
    /* Resident memory moves by pages: per region only for large N. */
    bytes_per_region[si] =
        n >= 100000 ? (double)(rss_kib() - before) * 1024.0 / n : -1;
    memory_region_init_ram_ptr(&extra, NULL, "extra", 4096, host_page);
    memory_region_init_ram_ptr(&alias_ram, NULL, "alias-ram", 0x10000,
                               host_page);
    memory_region_init_alias(&alias, NULL, "alias", &alias_ram, 0, 0x2000);
    memory_region_add_subregion(&box, (hwaddr)(n / 3) * 8192 + 4096, &alias);
    int reps = n >= 1000000 ? 51 : quick ? 51 : 201;
    for (int l = 0; l < 2; l++) {
        static Kvmish k;
        if (l == 1) {
            k = (Kvmish){ .l = { .region_add = k_add,
                                 .region_del = k_del,
                                 .log_start = k_log,
                                 .log_stop = k_log,
                                 .name = "kvm-like" } };
            memory_listener_register(&k.l, &address_space_memory);
        }
        for (int op = 0; op < NOPS; op++) {
            op_us[si][l][op] = time_op(op, &box, regs, n, &extra, &alias, reps);
        }
        if (l == 1) {
            memory_listener_unregister(&k.l);
        }
    }
    memory_region_transaction_begin();
    memory_region_del_subregion(sys, &box);
    memory_region_transaction_commit();
    memory_region_del_subregion(&box, &alias);
    gm_memory_region_destroy(&alias, NULL);
    gm_memory_region_destroy(&alias_ram, NULL);
    gm_memory_region_destroy(&extra, NULL);
    gm_memory_region_destroy(&box, NULL);
    /* Newest first: not timed, and cheaper for the RAM-block index. */
    for (unsigned k = n; k-- > 0;) {
        gm_memory_region_destroy(&regs[k], NULL);
    }
    free(regs);
}

/* 100,000 regions added one commit each. */
static double one_by_one(unsigned n)
{
    MemoryRegion *regs = calloc(n, sizeof(*regs));
    static MemoryRegion box;
    memory_region_init(&box, NULL, "box1", (uint64_t)n * 8192);
    memory_region_add_subregion(get_system_memory(), 0x200000000000ull, &box);
    double t = now();
    for (unsigned k = 0; k < n; k++) {
        memory_region_init_ram_ptr(&regs[k], NULL, "r", 4096, host_page);
        memory_region_add_subregion(&box, (hwaddr)k * 8192, &regs[k]);
    }
    t = now() - t;
    memory_region_transaction_begin();
    memory_region_del_subregion(get_system_memory(), &box);
    memory_region_transaction_commit();
    gm_memory_region_destroy(&box, NULL);
    for (unsigned k = 0; k < n; k++) {
        gm_memory_region_destroy(&regs[k], NULL);
    }
    free(regs);
    return t;
}

#ifdef HAVE_UNICORN
/* uc_mem_map of one page into a map of @n pages (with a hole after each),
 * and its uc_mem_unmap; NaN when Unicorn refuses @n. */
static double unicorn_one(unsigned n)
{
    uc_engine *uc;
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK) {
        return -1;
    }
    for (unsigned k = 0; k < n; k++) {
        if (uc_mem_map(uc, 0x100000000ull + (uint64_t)k * 8192, 4096,
                       UC_PROT_ALL) != UC_ERR_OK) {
            uc_close(uc);
            return -1;
        }
    }
    double ts[21];
    uint64_t hole = 0x100000000ull + (uint64_t)(n / 2) * 8192 + 4096;
    for (int k = 0; k < 21; k++) {
        double t = now();
        uc_mem_map(uc, hole, 4096, UC_PROT_ALL);
        ts[k] = now() - t;
        uc_mem_unmap(uc, hole, 4096);
    }
    uc_close(uc);
    return median(ts, 21) * 1e6;
}
#endif

static void vmmem_figures(const char *path, bool quick)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "%s commit%s", path, quick ? "-quick" : "");
    FILE *p = popen(cmd, "r");
    char line[256];
    while (p && fgets(line, sizeof(line), p)) {
        unsigned n;
        double v;
        if (sscanf(line, "vmm_insert_region_into_%u %lf", &n, &v) == 2) {
            for (int i = 0; i < MAXSIZES; i++) {
                if (sizes[i] == n) {
                    vm_us[i] = v;
                }
            }
        }
    }
    if (p) {
        pclose(p);
    }
}

static void fmt(char *b, size_t n, double v)
{
    if (v < 0) {
        snprintf(b, n, "-");
    } else {
        snprintf(b, n, "%.3g", v);
    }
}

int main(int argc, char **argv)
{
    bool quick = false;
    const char *vmmem = NULL, *md = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            quick = true;
        } else if (!strcmp(argv[i], "--vmmem") && i + 1 < argc) {
            vmmem = argv[++i];
        } else if (!strcmp(argv[i], "--tsv") && i + 1 < argc) {
            tsv = fopen(argv[++i], "w");
        } else if (!strcmp(argv[i], "--md") && i + 1 < argc) {
            md = argv[++i];
        } else {
            fprintf(stderr, "usage: commit-bench [--quick] [--vmmem PATH] "
                            "[--tsv FILE] [--md FILE]\n");
            return 2;
        }
    }
    int nsizes = quick ? 5 : 6;
    for (int i = 0; i < MAXSIZES; i++) {
        uc_us[i] = vm_us[i] = -1;
    }
    (void)get_system_memory();
    for (int i = 0; i < nsizes; i++) {
        double t0 = now();
        run_size(i, quick);
        fprintf(stderr, "commit-bench: %u regions: %.1f s\n", sizes[i],
                now() - t0);
#ifdef HAVE_UNICORN
        /* Unicorn 2.0.1 asserts (exec.c, phys_section_add) at 4,096
         * mapped sections. */
        if (sizes[i] <= 1000) {
            uc_us[i] = unicorn_one(sizes[i]);
        }
#endif
    }
    double obo = one_by_one(quick ? 20000 : 100000);
    if (vmmem) {
        vmmem_figures(vmmem, quick);
    }
    printf("commit-bench (%s): one change, one commit; us, the median\n\n",
           quick ? "quick" : "full");
    printf("%9s %-6s", "regions", "lis.");
    for (int op = 0; op < NOPS; op++) {
        printf(" %14s", op_names[op]);
    }
    printf(" %10s %10s %10s %10s\n", "build (s)", "B/region", "Unicorn",
           "vm-memory");
    FILE *mdf = md ? fopen(md, "w") : NULL;
    if (mdf) {
        fprintf(mdf, "| regions in the view | listeners |");
        for (int op = 0; op < NOPS; op++) {
            fprintf(mdf, " %s (us) |", op_names[op]);
        }
        fprintf(mdf, " build in one transaction (s) | resident bytes per "
                     "region | Unicorn: map one page (us) | vm-memory: "
                     "insert_region (us) |\n| ---: | ---: |");
        for (int op = 0; op < NOPS + 4; op++) {
            fprintf(mdf, " ---: |");
        }
        fputc('\n', mdf);
    }
    for (int i = 0; i < nsizes; i++) {
        for (int l = 0; l < 2; l++) {
            char b[4][24];
            fmt(b[0], 24, l ? -1 : build_s[i]);
            fmt(b[1], 24, l ? -1 : bytes_per_region[i]);
            fmt(b[2], 24, l ? -1 : uc_us[i]);
            fmt(b[3], 24, l ? -1 : vm_us[i]);
            printf("%9u %-6s", sizes[i], l ? "1 KVM" : "none");
            if (mdf) {
                fprintf(mdf, "| %u | %s |", sizes[i],
                        l ? "1, KVM-style" : "none");
            }
            for (int op = 0; op < NOPS; op++) {
                printf(" %14.3g", op_us[i][l][op]);
                if (mdf) {
                    fprintf(mdf, " %.3g |", op_us[i][l][op]);
                }
                char key[96];
                snprintf(key, sizeof(key), "commit_%s_%u_%s",
                         l ? "kvm" : "none", sizes[i], op_names[op]);
                for (char *c = key; *c; c++) {
                    if (*c == ' ' || *c == '/' || *c == '-') {
                        *c = '_';
                    }
                }
                emit(key, op_us[i][l][op], "us");
            }
            printf(" %10s %10s %10s %10s\n", b[0], b[1], b[2], b[3]);
            if (mdf) {
                fprintf(mdf, " %s | %s | %s | %s |\n", b[0], b[1], b[2], b[3]);
            }
        }
        char key[64];
        snprintf(key, sizeof(key), "commit_build_%u_s", sizes[i]);
        emit(key, build_s[i], "s");
        snprintf(key, sizeof(key), "commit_bytes_per_region_%u", sizes[i]);
        emit(key, bytes_per_region[i], "B");
        snprintf(key, sizeof(key), "commit_unicorn_%u", sizes[i]);
        emit(key, uc_us[i], "us");
        snprintf(key, sizeof(key), "commit_vmmem_%u", sizes[i]);
        emit(key, vm_us[i], "us");
    }
    printf("\n%u regions added one commit each: %.3g s\n",
           quick ? 20000 : 100000, obo);
    emit("commit_one_by_one_s", obo, "s");
    if (mdf) {
        fprintf(mdf, "\n%s regions added one commit each: %.3g s\n",
                quick ? "20,000" : "100,000", obo);
        fclose(mdf);
    }
    if (tsv) {
        fclose(tsv);
    }
    return 0;
}
