// SPDX-License-Identifier: MIT
/*
 * cmd-tlb.c - `guestmem tlb`, `guestmem mem` and `guestmem gva2gpa`: QEMU
 * 7.2's `info tlb`, `info mem` and `gva2gpa` for a guest read from a QEMU
 * dump-guest-memory ELF file (mmu.h), in QEMU's exact output format.
 *
 * The three share this file because they are one concept, as in QEMU's
 * monitor: a walk of one vCPU's page tables in a dump.  They take the same
 * options (--core, --cpu, --cr3, --paging), open and check the dump the same
 * way and differ only in what they print of the walk, so one run() serves
 * all three and the commands are its three View values.
 *
 * The dump is opened and checked whole before anything is printed: a bad
 * file gets one line on stderr and exit status 1, never part of an answer.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestmem.h"

typedef enum {
    VIEW_TLB,
    VIEW_MEM,
    VIEW_GVA2GPA
} View;

static const char *const view_name[] = { "tlb", "mem", "gva2gpa" };
static const char *const view_what[] = { "QEMU's `info tlb`",
                                         "QEMU's `info mem`",
                                         "QEMU's `gva2gpa ADDR`" };

static void help(View v, FILE *f)
{
    fprintf(f,
            "usage: guestmem %s --core FILE [--cpu N] [--cr3 VALUE] "
            "[--paging 32|pae|4|5]%s\n"
            "  %s, in QEMU 7.2's format, for the guest in FILE, an ELF file\n"
            "  written by QEMU's `dump-guest-memory FILE` (without -p).\n"
            "  --cpu N       the vCPU whose registers to use (default 0, as "
            "the monitor)\n"
            "  --cr3 VALUE   walk from this CR3 instead of the dump's\n"
            "  --paging M    take the paging mode as M instead of what CR0, "
            "CR4 and\n"
            "                e_machine say: 32-bit, PAE, 4-level or 5-level\n",
            view_name[v], v == VIEW_GVA2GPA ? " ADDR..." : "", view_what[v]);
    if (v == VIEW_GVA2GPA) {
        fputs("  Each ADDR (0x... or decimal) gets QEMU's answer on a line of "
              "its own.\n",
              f);
    }
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-') {
        return false;
    }
    unsigned long long x = strtoull(s, &end, 0);
    if (errno || *end) {
        return false;
    }
    *out = x;
    return true;
}

static int put_line(void *opaque, const char *line)
{
    return line && fputs(line, (FILE *)opaque) == EOF ? 1 : 0;
}

/* Applies --paging to @st. */
static bool set_paging(GmX86MmuState *st, const char *mode)
{
    st->cr0 |= GM_X86_CR0_PG;
    st->cr4 &= ~(GM_X86_CR4_PAE | GM_X86_CR4_LA57);
    st->efer &= ~(GM_X86_EFER_LMA | GM_X86_EFER_LME);
    if (!strcmp(mode, "32")) {
        return true;
    }
    st->cr4 |= GM_X86_CR4_PAE;
    if (!strcmp(mode, "pae")) {
        return true;
    }
    st->efer |= GM_X86_EFER_LMA | GM_X86_EFER_LME;
    if (!strcmp(mode, "4")) {
        return true;
    }
    st->cr4 |= GM_X86_CR4_LA57;
    return !strcmp(mode, "5");
}

static int run(View v, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "core", required_argument, NULL, 'c' },
        { "cpu", required_argument, NULL, 'C' },
        { "cr3", required_argument, NULL, '3' },
        { "paging", required_argument, NULL, 'p' },
        { NULL, 0, NULL, 0 },
    };
    const char *cmd = view_name[v];
    const char *core_path = NULL, *paging = NULL, *cr3_arg = NULL;
    uint64_t cpu_index = 0, cr3 = 0;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'h': help(v, stdout); return 0;
        case 'c': core_path = optarg; break;
        case 'C':
            if (!parse_u64(optarg, &cpu_index)) {
                return tool_usage(cmd, "bad --cpu '%s'", optarg);
            }
            break;
        case '3':
            cr3_arg = optarg;
            if (!parse_u64(optarg, &cr3)) {
                return tool_usage(cmd, "bad --cr3 '%s'", optarg);
            }
            break;
        case 'p': paging = optarg; break;
        default: return tool_bad_option(cmd, c, argv);
        }
    }
    if (v == VIEW_GVA2GPA ? optind == argc : optind != argc) {
        return tool_usage(cmd,
                          v == VIEW_GVA2GPA ? "give an address"
                                            : "unexpected argument '%s'",
                          argv[optind < argc ? optind : argc - 1]);
    }
    int naddr = argc - optind;
    uint64_t *addrs = NULL;
    if (v == VIEW_GVA2GPA) {
        addrs = calloc((size_t)naddr, sizeof(*addrs));
        if (!addrs) {
            return tool_error(cmd, "out of memory");
        }
        for (int i = 0; i < naddr; i++) {
            if (!parse_u64(argv[optind + i], &addrs[i])) {
                free(addrs);
                return tool_usage(cmd, "bad address '%s' (0x... or decimal)",
                                  argv[optind + i]);
            }
        }
    }
    GmX86MmuState probe = { 0 };
    if (!core_path || (paging && !set_paging(&probe, paging))) {
        free(addrs);
        return tool_usage(cmd,
                          !core_path ? "--core FILE is required"
                                     : "--paging takes 32, pae, 4 or 5, not "
                                       "'%s'",
                          paging);
    }
    Error *err = NULL;
    GmCore *core = gm_core_open(core_path, &err);
    if (!core) {
        free(addrs);
        tool_error(cmd, "%s", error_get_pretty(err));
        error_free(err);
        return 1;
    }
    GmCoreCpu cpu;
    int rc = 0;
    if (gm_core_cpu(core, (unsigned)cpu_index, &cpu) ||
        cpu_index >= gm_core_nr_cpus(core)) {
        rc = tool_error(cmd, "no vCPU %" PRIu64 " (the dump has %u)", cpu_index,
                        gm_core_nr_cpus(core));
        gm_core_free(core);
        free(addrs);
        return rc;
    }
    GmX86MmuState st = cpu.mmu;
    if (cr3_arg) {
        st.cr3 = cr3;
    }
    if (paging) {
        set_paging(&st, paging);
    }
    AddressSpace *as = gm_core_address_space(core);
    if (v == VIEW_GVA2GPA) {
        for (int i = 0; i < naddr; i++) {
            char line[64];
            gm_x86_format_gva2gpa(as, &st, addrs[i], line, sizeof(line));
            fputs(line, stdout);
        }
    } else if (v == VIEW_TLB) {
        gm_x86_info_tlb(as, &st, put_line, stdout);
    } else {
        gm_x86_info_mem(as, &st, put_line, stdout);
    }
    if (fflush(stdout) || ferror(stdout)) {
        rc = tool_error(cmd, "writing the output: %s", strerror(errno));
    }
    gm_core_free(core);
    free(addrs);
    return rc;
}

int cmd_tlb(int argc, char **argv)
{
    return run(VIEW_TLB, argc, argv);
}

int cmd_mem(int argc, char **argv)
{
    return run(VIEW_MEM, argc, argv);
}

int cmd_gva2gpa(int argc, char **argv)
{
    return run(VIEW_GVA2GPA, argc, argv);
}
