// SPDX-License-Identifier: MIT
/*
 * fuzz-core.c - libFuzzer target for QEMU dump-guest-memory files
 * (mmu/core.c) and what reads them: the monitor views and the page walk.
 * Any input must either open (and then be walked in every paging mode,
 * printed as `info tlb` and `info mem` and freed cleanly) or fail with a
 * one-line error; never crash, leak or hang.  The views are bounded by
 * their callback (lines and progress calls), as a caller of pathological
 * tables would bound them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guestmem/guestmem.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct Budget {
    unsigned lines, ticks;
} Budget;

static int bounded(void *opaque, const char *line)
{
    Budget *b = opaque;
    if (!line) {
        return ++b->ticks > 64;
    }
    if (!strchr(line, '\n') || strchr(line, '\n')[1]) {
        abort(); /* one line per call */
    }
    return ++b->lines > 2000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (4u << 20)) {
        return 0;
    }
    Error *err = NULL;
    GmCore *c = gm_core_open_buffer(data, size, &err);
    if (!c) {
        const char *msg = error_get_pretty(err);
        if (!msg || !*msg || strchr(msg, '\n')) {
            abort(); /* every failure is one line */
        }
        error_free(err);
        return 0;
    }
    AddressSpace *as = gm_core_address_space(c);
    unsigned ncpu = gm_core_nr_cpus(c);
    for (unsigned i = 0; i < ncpu && i < 2; i++) {
        GmCoreCpu cpu;
        if (gm_core_cpu(c, i, &cpu)) {
            abort();
        }
        static const uint64_t cr4s[] = { 0, GM_X86_CR4_PSE, GM_X86_CR4_PAE,
                                         GM_X86_CR4_PAE,
                                         GM_X86_CR4_PAE | GM_X86_CR4_LA57 };
        for (unsigned m = 0; m < 5; m++) {
            GmX86MmuState st = cpu.mmu;
            if (m > 0) {
                st.cr0 |= GM_X86_CR0_PG;
                st.cr4 = cr4s[m] | GM_X86_CR4_SMEP | GM_X86_CR4_PKE;
                st.efer = m >= 3 ? GM_X86_EFER_LMA | GM_X86_EFER_NXE
                                 : GM_X86_EFER_NXE;
            }
            Budget b = { 0 };
            gm_x86_info_tlb(as, &st, bounded, &b);
            b = (Budget){ 0 };
            gm_x86_info_mem(as, &st, bounded, &b);
            uint64_t va = cpu.rip ^ ((uint64_t)size << 12);
            for (unsigned k = 0; k < 8; k++, va = va * 0x9e3779b97f4a7c15ull) {
                char line[64];
                gm_x86_format_gva2gpa(as, &st, va, line, sizeof(line));
                GmX86Walk w;
                gm_x86_translate(as, &st, va, k & 6, &w);
                gm_x86_translate(as, &st, va, GM_X86_ACC_NO_AD, &w);
            }
        }
    }
    gm_core_free(c);
    return 0;
}
