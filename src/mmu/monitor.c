// SPDX-License-Identifier: MIT
/*
 * mmu/monitor.c - QEMU 7.2's x86 monitor views of the page tables:
 * `info tlb`, `info mem` and `gva2gpa`, reproduced to the byte.
 *
 * Source of the formats and of every quirk kept here: QEMU 7.2,
 * target/i386/monitor.c (hmp_info_tlb, hmp_info_mem and their per-mode
 * helpers) and target/i386/helper.c (x86_cpu_get_phys_page_attrs_debug,
 * which the monitor's gva2gpa calls), checked against qemu-system-x86_64
 * 7.2 by tests/mmu/.  This is a separate walk from walk.c on purpose: the
 * monitor does not follow the architecture (it ignores reserved bits and
 * rights, masks addresses its own way, and its 5-level `info mem` tests
 * P inverted), and the point of these functions is to print what QEMU
 * prints.  Entries are read 4 or 8 bytes at a time through the access path,
 * as QEMU's cpu_physical_memory_read does, so MMIO answers as it would.
 */
#include "mmu-internal.h"

#define PG_P GM_X86_PTE_P
#define PG_RW GM_X86_PTE_RW
#define PG_US GM_X86_PTE_US
#define PG_PS GM_X86_PTE_PS
#define QEMU_ADDR_MASK UINT64_C(0x3fffffffff000) /* monitor.c's mask */
#define QEMU_PG_ADDRESS_MASK UINT64_C(0x000ffffffffff000)

typedef struct View {
    AddressSpace *as;
    const GmX86MmuState *st;
    GmLineFn fn;
    void *opaque;
    int stop;       /* what fn returned, once non-zero */
    uint64_t reads; /* entries read, for the progress calls */
    /* info mem */
    uint64_t start;
    int last_prot;
} View;

#define PROGRESS_READS 4096

static uint64_t rd(View *v, uint64_t addr, unsigned size)
{
    uint8_t b[8] = { 0 };
    if (v->fn && ++v->reads % PROGRESS_READS == 0 && !v->stop) {
        v->stop = v->fn(v->opaque, NULL); /* a chance to give up */
    }
    address_space_read(v->as, addr, MEMTXATTRS_UNSPECIFIED, b, size);
    uint64_t x = 0;
    for (unsigned i = 0; i < size; i++) {
        x |= (uint64_t)b[i] << (8 * i);
    }
    return x;
}

/* QEMU's addr_canonical: by CR4.LA57 alone, whatever the mode. */
static uint64_t canon(const GmX86MmuState *st, uint64_t a)
{
    if (st->cr4 & GM_X86_CR4_LA57) {
        if (a & (UINT64_C(1) << 56)) {
            a |= ~((UINT64_C(1) << 57) - 1);
        }
    } else if (a & (UINT64_C(1) << 47)) {
        a |= ~((UINT64_C(1) << 48) - 1);
    }
    return a;
}

static void emit(View *v, const char *line)
{
    if (!v->stop) {
        v->stop = v->fn(v->opaque, line);
    }
}

/* --- info tlb ----------------------------------------------------------- */

static void print_pte(View *v, uint64_t addr, uint64_t pte, uint64_t mask)
{
    char line[64];
    snprintf(line, sizeof(line),
             "%016" PRIx64 ": %016" PRIx64 " %c%c%c%c%c%c%c%c%c\n",
             canon(v->st, addr), pte & mask, pte & GM_X86_PTE_XD ? 'X' : '-',
             pte & GM_X86_PTE_G ? 'G' : '-', pte & PG_PS ? 'P' : '-',
             pte & GM_X86_PTE_D ? 'D' : '-', pte & GM_X86_PTE_A ? 'A' : '-',
             pte & GM_X86_PTE_PCD ? 'C' : '-', pte & GM_X86_PTE_PWT ? 'T' : '-',
             pte & PG_US ? 'U' : '-', pte & PG_RW ? 'W' : '-');
    emit(v, line);
}

static void tlb_32(View *v)
{
    uint32_t pgd = (uint32_t)v->st->cr3 & ~0xfffu;
    for (uint32_t l1 = 0; l1 < 1024 && !v->stop; l1++) {
        uint32_t pde = (uint32_t)rd(v, pgd + l1 * 4, 4);
        if (!(pde & PG_P)) {
            continue;
        }
        if ((pde & PG_PS) && (v->st->cr4 & GM_X86_CR4_PSE)) {
            /* QEMU masks a 4 MiB page with 2 MiB: bit 21 shows. */
            print_pte(v, (uint64_t)(l1 << 22), pde, 0xffe00000u);
            continue;
        }
        for (uint32_t l2 = 0; l2 < 1024 && !v->stop; l2++) {
            uint32_t pte = (uint32_t)rd(v, (pde & ~0xfffu) + l2 * 4, 4);
            if (pte & PG_P) {
                print_pte(v, (uint64_t)((l1 << 22) + (l2 << 12)),
                          pte & ~(uint32_t)PG_PS, ~UINT64_C(0xfff));
            }
        }
    }
}

static void tlb_pae(View *v)
{
    uint64_t pdp = v->st->cr3 & ~UINT64_C(0x1f);
    for (uint32_t l1 = 0; l1 < 4 && !v->stop; l1++) {
        uint64_t pdpe = rd(v, pdp + l1 * 8, 8);
        if (!(pdpe & PG_P)) {
            continue;
        }
        uint64_t pd = pdpe & QEMU_ADDR_MASK;
        for (uint32_t l2 = 0; l2 < 512 && !v->stop; l2++) {
            uint64_t pde = rd(v, pd + l2 * 8, 8);
            if (!(pde & PG_P)) {
                continue;
            }
            if (pde & PG_PS) {
                /* 1 MiB mask, bits 63:52 kept: XD shows in the address. */
                print_pte(v, (uint64_t)((l1 << 30) + (l2 << 21)), pde,
                          ~UINT64_C(0xfffff));
                continue;
            }
            uint64_t pt = pde & QEMU_ADDR_MASK;
            for (uint32_t l3 = 0; l3 < 512 && !v->stop; l3++) {
                uint64_t pte = rd(v, pt + l3 * 8, 8);
                if (pte & PG_P) {
                    print_pte(v,
                              (uint64_t)((l1 << 30) + (l2 << 21) + (l3 << 12)),
                              pte & ~PG_PS, ~UINT64_C(0xfff));
                }
            }
        }
    }
}

static void tlb_la48(View *v, uint64_t l0, uint64_t pml4)
{
    for (uint64_t l1 = 0; l1 < 512 && !v->stop; l1++) {
        uint64_t pml4e = rd(v, pml4 + l1 * 8, 8);
        if (!(pml4e & PG_P)) {
            continue;
        }
        uint64_t pdp = pml4e & QEMU_ADDR_MASK;
        for (uint64_t l2 = 0; l2 < 512 && !v->stop; l2++) {
            uint64_t pdpe = rd(v, pdp + l2 * 8, 8);
            uint64_t a2 = (l0 << 48) + (l1 << 39) + (l2 << 30);
            if (!(pdpe & PG_P)) {
                continue;
            }
            if (pdpe & PG_PS) {
                print_pte(v, a2, pdpe, UINT64_C(0x3ffffc0000000));
                continue;
            }
            uint64_t pd = pdpe & QEMU_ADDR_MASK;
            for (uint64_t l3 = 0; l3 < 512 && !v->stop; l3++) {
                uint64_t pde = rd(v, pd + l3 * 8, 8);
                uint64_t a3 = a2 + (l3 << 21);
                if (!(pde & PG_P)) {
                    continue;
                }
                if (pde & PG_PS) {
                    print_pte(v, a3, pde, UINT64_C(0x3ffffffe00000));
                    continue;
                }
                uint64_t pt = pde & QEMU_ADDR_MASK;
                for (uint64_t l4 = 0; l4 < 512 && !v->stop; l4++) {
                    uint64_t pte = rd(v, pt + l4 * 8, 8);
                    if (pte & PG_P) {
                        print_pte(v, a3 + (l4 << 12), pte & ~PG_PS,
                                  QEMU_ADDR_MASK);
                    }
                }
            }
        }
    }
}

static bool long_mode(const GmX86MmuState *st)
{
    return st->efer & GM_X86_EFER_LMA;
}

int gm_x86_info_tlb(AddressSpace *as, const GmX86MmuState *st, GmLineFn fn,
                    void *opaque)
{
    if (!as || !st || !fn) {
        return -GM_ERR_INVALID_ARG;
    }
    View v = { .as = as, .st = st, .fn = fn, .opaque = opaque };
    if (!(st->cr0 & GM_X86_CR0_PG)) {
        emit(&v, "PG disabled\n");
    } else if (!(st->cr4 & GM_X86_CR4_PAE)) {
        tlb_32(&v);
    } else if (!long_mode(st)) {
        tlb_pae(&v);
    } else if (st->cr4 & GM_X86_CR4_LA57) {
        uint64_t pml5 = st->cr3 & QEMU_ADDR_MASK;
        for (uint64_t l0 = 0; l0 < 512 && !v.stop; l0++) {
            uint64_t pml5e = rd(&v, pml5 + l0 * 8, 8);
            if (pml5e & PG_P) {
                tlb_la48(&v, l0, pml5e & QEMU_ADDR_MASK);
            }
        }
    } else {
        tlb_la48(&v, 0, st->cr3 & QEMU_ADDR_MASK);
    }
    return v.stop;
}

/* --- info mem ----------------------------------------------------------- */

#define PROT_BITS ((int)(PG_US | PG_RW | PG_P))

/* QEMU's mem_print: a range ends where the rights change. */
static void mem_print(View *v, uint64_t end, int prot)
{
    int prot1 = v->last_prot;
    if (prot == prot1) {
        return;
    }
    if (v->start != UINT64_MAX) {
        char line[80];
        snprintf(line, sizeof(line),
                 "%016" PRIx64 "-%016" PRIx64 " %016" PRIx64 " %c%c%c\n",
                 canon(v->st, v->start), canon(v->st, end),
                 canon(v->st, end - v->start), prot1 & PG_US ? 'u' : '-', 'r',
                 prot1 & PG_RW ? 'w' : '-');
        emit(v, line);
    }
    v->start = prot ? end : UINT64_MAX;
    v->last_prot = prot;
}

static void mem_32(View *v)
{
    uint32_t pgd = (uint32_t)v->st->cr3 & ~0xfffu;
    for (uint32_t l1 = 0; l1 < 1024 && !v->stop; l1++) {
        uint32_t pde = (uint32_t)rd(v, pgd + l1 * 4, 4);
        uint64_t end = (uint64_t)(l1 << 22);
        if (!(pde & PG_P)) {
            mem_print(v, end, 0);
        } else if ((pde & PG_PS) && (v->st->cr4 & GM_X86_CR4_PSE)) {
            mem_print(v, end, (int)(pde & PROT_BITS));
        } else {
            for (uint32_t l2 = 0; l2 < 1024 && !v->stop; l2++) {
                uint32_t pte = (uint32_t)rd(v, (pde & ~0xfffu) + l2 * 4, 4);
                end = (uint64_t)((l1 << 22) + (l2 << 12));
                mem_print(v, end,
                          (pte & PG_P) ? (int)(pte & pde & PROT_BITS) : 0);
            }
        }
    }
    mem_print(v, UINT64_C(1) << 32, 0);
}

static void mem_pae(View *v)
{
    uint64_t pdp = v->st->cr3 & ~UINT64_C(0x1f);
    for (uint32_t l1 = 0; l1 < 4 && !v->stop; l1++) {
        uint64_t pdpe = rd(v, pdp + l1 * 8, 8);
        if (!(pdpe & PG_P)) {
            mem_print(v, (uint64_t)(l1 << 30), 0);
            continue;
        }
        uint64_t pd = pdpe & QEMU_ADDR_MASK;
        for (uint32_t l2 = 0; l2 < 512 && !v->stop; l2++) {
            uint64_t pde = rd(v, pd + l2 * 8, 8);
            uint64_t end = (uint64_t)((l1 << 30) + (l2 << 21));
            if (!(pde & PG_P)) {
                mem_print(v, end, 0);
            } else if (pde & PG_PS) {
                mem_print(v, end, (int)(pde & PROT_BITS));
            } else {
                uint64_t pt = pde & QEMU_ADDR_MASK;
                for (uint32_t l3 = 0; l3 < 512 && !v->stop; l3++) {
                    uint64_t pte = rd(v, pt + l3 * 8, 8);
                    end = (uint64_t)((l1 << 30) + (l2 << 21) + (l3 << 12));
                    mem_print(v, end,
                              (pte & PG_P) ? (int)(pte & pde & PROT_BITS) : 0);
                }
            }
        }
    }
    mem_print(v, UINT64_C(1) << 32, 0);
}

static void mem_la48(View *v)
{
    uint64_t pml4 = v->st->cr3 & QEMU_ADDR_MASK;
    for (uint64_t l1 = 0; l1 < 512 && !v->stop; l1++) {
        uint64_t pml4e = rd(v, pml4 + l1 * 8, 8);
        if (!(pml4e & PG_P)) {
            mem_print(v, l1 << 39, 0);
            continue;
        }
        uint64_t pdp = pml4e & QEMU_ADDR_MASK;
        for (uint64_t l2 = 0; l2 < 512 && !v->stop; l2++) {
            uint64_t pdpe = rd(v, pdp + l2 * 8, 8);
            uint64_t a2 = (l1 << 39) + (l2 << 30);
            if (!(pdpe & PG_P)) {
                mem_print(v, a2, 0);
                continue;
            }
            if (pdpe & PG_PS) {
                mem_print(v, a2, (int)(pdpe & pml4e & PROT_BITS));
                continue;
            }
            uint64_t pd = pdpe & QEMU_ADDR_MASK;
            for (uint64_t l3 = 0; l3 < 512 && !v->stop; l3++) {
                uint64_t pde = rd(v, pd + l3 * 8, 8);
                uint64_t a3 = a2 + (l3 << 21);
                if (!(pde & PG_P)) {
                    mem_print(v, a3, 0);
                    continue;
                }
                if (pde & PG_PS) {
                    mem_print(v, a3, (int)(pde & pml4e & pdpe & PROT_BITS));
                    continue;
                }
                uint64_t pt = pde & QEMU_ADDR_MASK;
                uint64_t up = pml4e & pdpe & pde;
                for (uint64_t l4 = 0; l4 < 512 && !v->stop; l4++) {
                    uint64_t pte = rd(v, pt + l4 * 8, 8);
                    mem_print(v, a3 + (l4 << 12),
                              (pte & PG_P) ? (int)(pte & up & PROT_BITS) : 0);
                }
            }
        }
    }
    mem_print(v, UINT64_C(1) << 48, 0);
}

/*
 * QEMU 7.2's mem_info_la57, whose PDPTE and PDE tests are inverted: a
 * present entry prints nothing below it, a not-present one is descended
 * into (its address bits taken as a table).  Every right printed below a
 * not-present entry is ANDed with that entry; where that AND has neither
 * U/S nor R/W (and P is 0 in it), all the rights below are 0, so the
 * subtree's only effect is the first mem_print(base, 0): that is all this
 * does for it, instead of reading up to 2^18 entries.
 */
static void mem_la57(View *v)
{
    uint64_t pml5 = v->st->cr3 & QEMU_ADDR_MASK;
    for (uint64_t l0 = 0; l0 < 512 && !v->stop; l0++) {
        uint64_t pml5e = rd(v, pml5 + l0 * 8, 8);
        uint64_t a0 = l0 << 48;
        if (!(pml5e & PG_P)) {
            mem_print(v, a0, 0);
            continue;
        }
        uint64_t pml4 = pml5e & QEMU_ADDR_MASK;
        for (uint64_t l1 = 0; l1 < 512 && !v->stop; l1++) {
            uint64_t pml4e = rd(v, pml4 + l1 * 8, 8);
            uint64_t a1 = a0 + (l1 << 39);
            if (!(pml4e & PG_P)) {
                mem_print(v, a1, 0);
                continue;
            }
            uint64_t pdp = pml4e & QEMU_ADDR_MASK;
            for (uint64_t l2 = 0; l2 < 512 && !v->stop; l2++) {
                uint64_t pdpe = rd(v, pdp + l2 * 8, 8);
                uint64_t a2 = a1 + (l2 << 30);
                if (pdpe & PG_P) { /* sic */
                    mem_print(v, a2, 0);
                    continue;
                }
                uint64_t up2 = pml5e & pml4e & pdpe;
                if (pdpe & PG_PS) {
                    mem_print(v, a2, (int)(up2 & PROT_BITS));
                    continue;
                }
                if (!(up2 & (PG_US | PG_RW))) {
                    mem_print(v, a2, 0);
                    continue;
                }
                uint64_t pd = pdpe & QEMU_ADDR_MASK;
                for (uint64_t l3 = 0; l3 < 512 && !v->stop; l3++) {
                    uint64_t pde = rd(v, pd + l3 * 8, 8);
                    uint64_t a3 = a2 + (l3 << 21);
                    if (pde & PG_P) { /* sic */
                        mem_print(v, a3, 0);
                        continue;
                    }
                    uint64_t up3 = up2 & pde;
                    if (pde & PG_PS) {
                        mem_print(v, a3, (int)(up3 & PROT_BITS));
                        continue;
                    }
                    if (!(up3 & (PG_US | PG_RW))) {
                        mem_print(v, a3, 0);
                        continue;
                    }
                    uint64_t pt = pde & QEMU_ADDR_MASK;
                    for (uint64_t l4 = 0; l4 < 512 && !v->stop; l4++) {
                        uint64_t pte = rd(v, pt + l4 * 8, 8);
                        mem_print(v, a3 + (l4 << 12),
                                  (pte & PG_P) ? (int)(pte & up3 & PROT_BITS)
                                               : 0);
                    }
                }
            }
        }
    }
    mem_print(v, UINT64_C(1) << 57, 0);
}

int gm_x86_info_mem(AddressSpace *as, const GmX86MmuState *st, GmLineFn fn,
                    void *opaque)
{
    if (!as || !st || !fn) {
        return -GM_ERR_INVALID_ARG;
    }
    View v = {
        .as = as, .st = st, .fn = fn, .opaque = opaque, .start = UINT64_MAX
    };
    if (!(st->cr0 & GM_X86_CR0_PG)) {
        emit(&v, "PG disabled\n");
    } else if (!(st->cr4 & GM_X86_CR4_PAE)) {
        mem_32(&v);
    } else if (!long_mode(st)) {
        mem_pae(&v);
    } else if (st->cr4 & GM_X86_CR4_LA57) {
        mem_la57(&v);
    } else {
        mem_la48(&v);
    }
    return v.stop;
}

/* --- gva2gpa -------------------------------------------------------------- */

bool gm_x86_gva2gpa_debug(AddressSpace *as, const GmX86MmuState *st,
                          uint64_t va, uint64_t *gpa)
{
    if (!as || !st || !gpa) {
        return false;
    }
    View v = { .as = as, .st = st };
    uint64_t addr = va & ~UINT64_C(0xfff); /* the monitor asks for the page */
    uint64_t pte;
    uint64_t page_size;

    if (!(st->cr0 & GM_X86_CR0_PG)) {
        pte = addr;
        page_size = GM_PAGE_4K;
    } else if (st->cr4 & GM_X86_CR4_PAE) {
        uint64_t pdpe;
        bool done = false;
        if (long_mode(st)) {
            bool la57 = st->cr4 & GM_X86_CR4_LA57;
            int64_t sext = (int64_t)addr >> (la57 ? 56 : 47);
            if (sext != 0 && sext != -1) {
                return false;
            }
            uint64_t pml5e = st->cr3;
            if (la57) {
                pml5e = rd(&v,
                           (st->cr3 & ~UINT64_C(0xfff)) +
                               (((addr >> 48) & 0x1ff) << 3),
                           8);
                if (!(pml5e & PG_P)) {
                    return false;
                }
            }
            uint64_t pml4e = rd(&v,
                                (pml5e & QEMU_PG_ADDRESS_MASK) +
                                    (((addr >> 39) & 0x1ff) << 3),
                                8);
            if (!(pml4e & PG_P)) {
                return false;
            }
            pdpe = rd(&v,
                      (pml4e & QEMU_PG_ADDRESS_MASK) +
                          (((addr >> 30) & 0x1ff) << 3),
                      8);
            if (!(pdpe & PG_P)) {
                return false;
            }
            if (pdpe & PG_PS) {
                page_size = GM_PAGE_1G;
                pte = pdpe;
                done = true;
            }
        } else {
            pdpe =
                rd(&v, (st->cr3 & ~UINT64_C(0x1f)) + ((addr >> 27) & 0x18), 8);
            if (!(pdpe & PG_P)) {
                return false;
            }
        }
        if (!done) {
            uint64_t pde = rd(&v,
                              (pdpe & QEMU_PG_ADDRESS_MASK) +
                                  (((addr >> 21) & 0x1ff) << 3),
                              8);
            if (!(pde & PG_P)) {
                return false;
            }
            if (pde & PG_PS) {
                page_size = GM_PAGE_2M;
                pte = pde;
            } else {
                page_size = GM_PAGE_4K;
                pte = rd(&v,
                         (pde & QEMU_PG_ADDRESS_MASK) +
                             (((addr >> 12) & 0x1ff) << 3),
                         8);
            }
            if (!(pte & PG_P)) {
                return false;
            }
        }
    } else {
        uint32_t pde = (uint32_t)rd(
            &v, (st->cr3 & ~UINT64_C(0xfff)) + ((addr >> 20) & 0xffc), 4);
        if (!(pde & PG_P)) {
            return false;
        }
        if ((pde & PG_PS) && (st->cr4 & GM_X86_CR4_PSE)) {
            /* PSE-36: bits 20:13 are physical bits 39:32. */
            pte = pde | ((uint64_t)(pde & 0x1fe000u) << 19);
            page_size = GM_PAGE_4M;
        } else {
            pte = (uint32_t)rd(&v, (pde & ~0xfffu) + ((addr >> 10) & 0xffc), 4);
            if (!(pte & PG_P)) {
                return false;
            }
            page_size = GM_PAGE_4K;
        }
    }
    pte &= QEMU_PG_ADDRESS_MASK & ~(page_size - 1);
    uint32_t page_offset = (uint32_t)(addr & (page_size - 1));
    *gpa = (pte | page_offset) + (va & 0xfff);
    return true;
}

bool gm_x86_format_gva2gpa(AddressSpace *as, const GmX86MmuState *st,
                           uint64_t va, char *buf, size_t size)
{
    uint64_t gpa;
    bool ok = gm_x86_gva2gpa_debug(as, st, va, &gpa);
    if (buf && size) {
        if (ok) {
            snprintf(buf, size, "gpa: %#" PRIx64 "\n", gpa);
        } else {
            snprintf(buf, size, "Unmapped\n");
        }
    }
    return ok;
}
