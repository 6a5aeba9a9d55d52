// SPDX-License-Identifier: MIT
/*
 * mmu-bench.c - what guest virtual memory costs (mmu.h): page walks per
 * second in each paging mode (every entry read through the access path),
 * the two-dimensional walk, a TLB hit beside a plain array lookup of the
 * same translation, and a shadow-table hit.
 *
 *   build/bench/mmu-bench [SECONDS-PER-ROW]
 *
 * One table per run; every row in the same process, over the same random
 * addresses (16 MiB of 4 KiB pages, a fresh random order per row), so the
 * ratios hold on a noisy machine.  Medians of 5 runs of each row.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <guestmem/guestmem.h>

#define RAM_SIZE (256u << 20)
#define PAGES 4096u /* 16 MiB mapped with 4 KiB pages */
#define P GM_X86_PTE_P
#define RW GM_X86_PTE_RW
#define A GM_X86_PTE_A

static MemoryRegion root, ram;
static AddressSpace as;
static uint8_t *mem;
static uint64_t next_table = 0x100000;
static double seconds = 0.2;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t table(void)
{
    uint64_t t = next_table;
    next_table += 0x1000;
    memset(mem + t, 0, 0x1000);
    return t;
}

static uint64_t rd(uint64_t a, unsigned sz)
{
    uint64_t v = 0;
    memcpy(&v, mem + a, sz);
    return v;
}

static void wr(uint64_t a, unsigned sz, uint64_t v)
{
    memcpy(mem + a, &v, sz);
}

/* Maps PAGES 4 KiB pages from VA 0x40000000 in mode @levels (2: 32-bit,
 * 3: PAE, 4, 5), A already set (a walk then only reads). */
static uint64_t build(unsigned levels)
{
    unsigned sz = levels == 2 ? 4 : 8;
    uint64_t top = table();
    for (uint64_t i = 0; i < PAGES; i++) {
        uint64_t va = 0x40000000ull + i * 0x1000;
        uint64_t t = top;
        for (unsigned l = levels; l >= 1; l--) {
            unsigned idx = levels == 2
                               ? (unsigned)(va >> (l == 2 ? 22 : 12)) & 1023
                           : levels == 3 && l == 3
                               ? (unsigned)(va >> 30) & 3
                               : (unsigned)(va >> (12 + 9 * (l - 1))) & 511;
            uint64_t ea = t + idx * sz;
            if (l == 1) {
                wr(ea, sz, (0x8000000 + i * 0x1000) | P | RW | A);
                break;
            }
            uint64_t e = rd(ea, sz);
            if (!(e & P)) {
                e = table() | P | (levels == 3 && l == 3 ? 0 : RW | A);
                wr(ea, sz, e);
            }
            t = e & (sz == 4 ? 0xfffff000u : 0x000ffffffffff000ull);
        }
    }
    return top;
}

static GmX86MmuState state(unsigned levels, uint64_t cr3)
{
    GmX86MmuState st = { .cr0 = GM_X86_CR0_PG, .cr3 = cr3 };
    st.cr4 = levels == 2 ? GM_X86_CR4_PSE : GM_X86_CR4_PAE;
    if (levels >= 4) {
        st.efer = GM_X86_EFER_LMA | GM_X86_EFER_NXE;
    }
    if (levels == 5) {
        st.cr4 |= GM_X86_CR4_LA57;
    }
    return st;
}

static uint64_t order[PAGES];
static uint64_t seed = 42;

static void shuffle(void)
{
    for (unsigned i = 0; i < PAGES; i++) {
        order[i] = i;
    }
    for (unsigned i = PAGES - 1; i > 0; i--) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        unsigned j = (unsigned)((seed >> 33) % (i + 1));
        uint64_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

typedef uint64_t (*Op)(void *ctx, uint64_t va);

static volatile uint64_t sink;

/* Nanoseconds per call of @op over the random pages: the median of 5. */
static double measure(Op op, void *ctx)
{
    double runs[5];
    for (unsigned r = 0; r < 5; r++) {
        shuffle();
        uint64_t n = 0, acc = 0, t0 = now_ns(),
                 budget = (uint64_t)(seconds * 1e9 / 5);
        uint64_t t1;
        do {
            for (unsigned i = 0; i < PAGES; i++) {
                acc += op(ctx, 0x40000000ull + order[i] * 0x1000 + 0x10);
            }
            n += PAGES;
            t1 = now_ns();
        } while (t1 - t0 < budget);
        sink += acc;
        runs[r] = (double)(t1 - t0) / (double)n;
    }
    for (unsigned i = 0; i < 5; i++) {
        for (unsigned j = i + 1; j < 5; j++) {
            if (runs[j] < runs[i]) {
                double t = runs[i];
                runs[i] = runs[j];
                runs[j] = t;
            }
        }
    }
    return runs[2];
}

typedef struct Ctx {
    GmX86MmuState st;
    GmTlb *tlb;
    GmEptState ept;
    GmShadowMmu *shadow;
    uint64_t *array;
} Ctx;

static uint64_t op_walk(void *c, uint64_t va)
{
    GmX86Walk w;
    gm_x86_translate(&as, &((Ctx *)c)->st, va, 0, &w);
    return w.gpa;
}

static uint64_t op_walk_2d(void *c, uint64_t va)
{
    Ctx *x = c;
    GmX86Walk w;
    gm_x86_translate_2d(&as, &x->ept, &x->st, va, 0, &w);
    return w.hpa;
}

static uint64_t op_tlb_lookup(void *c, uint64_t va)
{
    Ctx *x = c;
    uint64_t pa = 0;
    gm_tlb_lookup(x->tlb, &x->st, va, 0, &pa);
    return pa;
}

static uint64_t op_tlb_translate(void *c, uint64_t va)
{
    Ctx *x = c;
    GmX86Walk w;
    gm_x86_translate_tlb(x->tlb, &as, &x->st, va, 0, &w);
    return w.gpa;
}

static uint64_t op_array(void *c, uint64_t va)
{
    Ctx *x = c;
    uint64_t page = (va - 0x40000000ull) >> 12;
    return x->array[page] + (va & 0xfff);
}

static uint64_t op_shadow(void *c, uint64_t va)
{
    GmX86Walk w;
    gm_shadow_translate(((Ctx *)c)->shadow, va, 0, &w, NULL);
    return w.hpa;
}

/* EPT mapping guest-physical [0, 256 MiB) 1:1 with 2 MiB leaves (4
 * levels), in the same memory. */
static uint64_t build_ept(void)
{
    uint64_t top = table(), pdpt = table(), pd = table();
    wr(top, 8, pdpt | 7);
    wr(pdpt, 8, pd | 7);
    for (unsigned i = 0; i < RAM_SIZE >> 21; i++) {
        wr(pd + i * 8, 8, ((uint64_t)i << 21) | 7 | (6ull << 3) | GM_EPT_PS);
    }
    return top;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        seconds = atof(argv[1]);
    }
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, &error_fatal);
    memory_region_add_subregion(&root, 0, &ram);
    address_space_init(&as, &root, "bench");
    mem = memory_region_get_ram_ptr(&ram);
    memset(mem, 0, RAM_SIZE); /* touch it all */

    printf("guest virtual memory, %u random 4 KiB pages (16 MiB), medians "
           "of 5\n\n",
           PAGES);
    printf("%-44s %10s %14s\n", "operation", "ns/op", "per second");
    static const char *names[] = {
        "", "", "32-bit", "PAE", "4-level", "5-level"
    };
    Ctx c4 = { 0 };
    for (unsigned levels = 2; levels <= 5; levels++) {
        Ctx c = { .st = state(levels, build(levels)) };
        double ns = measure(op_walk, &c);
        char row[64];
        snprintf(row, sizeof(row), "page walk, %s (%u reads)", names[levels],
                 levels);
        printf("%-44s %10.1f %14.0f\n", row, ns, 1e9 / ns);
        if (levels == 4) {
            c4 = c;
        }
    }
    /* Two dimensions: 4-level guest over 4-level EPT with 2 MiB leaves
     * (3 EPT reads each): 4 * (3 + 1) + 3 = 19 reads. */
    c4.ept =
        (GmEptState){ .eptp = build_ept() | GM_EPTP_MT_WB | GM_EPTP_WALK4 };
    double ns2d = measure(op_walk_2d, &c4);
    printf("%-44s %10.1f %14.0f\n", "2D walk, 4-level over EPT (19 reads)",
           ns2d, 1e9 / ns2d);

    /* The TLB, warmed; beside a plain array of page -> address. */
    c4.tlb = gm_tlb_new(8192, &error_fatal);
    for (unsigned i = 0; i < PAGES; i++) {
        GmX86Walk w;
        gm_x86_translate_tlb(c4.tlb, &as, &c4.st, 0x40000000ull + i * 0x1000ull,
                             0, &w);
    }
    c4.array = calloc(PAGES, sizeof(uint64_t));
    for (unsigned i = 0; i < PAGES; i++) {
        c4.array[i] = 0x8000000 + i * 0x1000ull;
    }
    double t_arr = measure(op_array, &c4);
    double t_look = measure(op_tlb_lookup, &c4);
    double t_tr = measure(op_tlb_translate, &c4);
    printf("%-44s %10.1f %14.0f\n", "plain array lookup (page -> address)",
           t_arr, 1e9 / t_arr);
    printf("%-44s %10.1f %14.0f   (%.1fx the array)\n",
           "TLB hit, gm_tlb_lookup", t_look, 1e9 / t_look, t_look / t_arr);
    printf("%-44s %10.1f %14.0f   (%.1fx the array)\n",
           "TLB hit, gm_x86_translate_tlb", t_tr, 1e9 / t_tr, t_tr / t_arr);

    /* Shadow tables, warmed (no EPT): a hit is a 4-level walk of them. */
    c4.shadow = gm_shadow_new(&as, NULL, NULL, 64, &error_fatal);
    gm_shadow_load_cr3(c4.shadow, &c4.st, &error_fatal);
    for (unsigned i = 0; i < PAGES; i++) {
        GmX86Walk w;
        gm_shadow_translate(c4.shadow, 0x40000000ull + i * 0x1000ull, 0, &w,
                            NULL);
    }
    double t_sh = measure(op_shadow, &c4);
    printf("%-44s %10.1f %14.0f\n", "shadow hit (a walk of the shadow tables)",
           t_sh, 1e9 / t_sh);
    gm_shadow_free(c4.shadow);
    gm_tlb_free(c4.tlb);
    free(c4.array);
    return 0;
}
