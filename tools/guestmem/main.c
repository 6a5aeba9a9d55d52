// SPDX-License-Identifier: MIT
/*
 * main.c - the `guestmem` command: a table of subcommands, and the model
 * (imported dump or built machine) they share.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestmem.h"

#include <guestmem/qmp.h>

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} commands[] = {
    { "mtree", cmd_mtree,
      "print `info mtree` of an imported dump or a machine" },
    { "explain", cmd_explain, "say which region serves an address, and why" },
    { "e820", cmd_e820, "print the e820 table of a PC machine" },
    { "ramblock", cmd_ramblock, "print `info ramblock` of a machine" },
    { "run", cmd_run,
      "run guest code on a PC machine (KVM or the software CPU)" },
    { "flat-hint", cmd_flat_hint,
      "distil from `info mtree -f` what an -D import needs" },
    { "tlb", cmd_tlb, "QEMU's `info tlb` for a dump-guest-memory file" },
    { "mem", cmd_mem, "QEMU's `info mem` for a dump-guest-memory file" },
    { "gva2gpa", cmd_gva2gpa,
      "QEMU's `gva2gpa ADDR` for a dump-guest-memory file" },
    { "map", cmd_map, "draw the memory map as an SVG or HTML picture" },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: guestmem COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
    }
    fprintf(f, "\n`guestmem COMMAND --help` describes each command.\n");
}

int tool_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "guestmem: %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int model_opt(ModelOpts *mo, int opt, const char *arg)
{
    switch (opt) {
    case 'I': mo->import = arg; return 1;
    case 'F': mo->import_flat = arg; return 1;
    case 'M': mo->machine = arg; return 1;
    case 'm': mo->mem = arg; return 1;
    case 'B': mo->bios = arg; return 1;
    case 'P': mo->mem_path = arg; return 1;
    case 'R': mo->mem_prealloc = true; return 1;
    case 'S': mo->mem_shared = true; return 1;
    case 'U': mo->memfd = true; return 1;
    default: return 0;
    }
}

int model_args_only(const char *cmd, int argc, char **argv, ModelOpts *mo,
                    const char *usage)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        MODEL_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h" MODEL_SHORT_OPTIONS, longopts,
                            NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return 0;
        }
        if (!model_opt(mo, c, optarg)) {
            fputs(usage, stderr);
            return 2;
        }
    }
    if (optind != argc) {
        return tool_error(cmd, "unexpected argument '%s'", argv[optind]);
    }
    if (mo->import) {
        return tool_error(cmd, "this needs --machine, not --import");
    }
    return -1;
}

bool model_load(const ModelOpts *mo, Model *m)
{
    Error *err = NULL;
    memset(m, 0, sizeof(*m));
    if (!!mo->import == !!mo->machine) {
        tool_error("model", "give exactly one of --import FILE and "
                            "--machine TYPE");
        return false;
    }
    if (mo->import) {
        if (mo->mem || mo->bios || mo->mem_path || mo->mem_prealloc ||
            mo->mem_shared || mo->memfd) {
            tool_error("model", "-m, --bios and the memory backend options "
                                "go with --machine, not --import");
            return false;
        }
        if (strncmp(mo->import, "qmp:", 4) == 0) {
            if (mo->import_flat) {
                tool_error("model", "--import-flat is not used with "
                                    "qmp: (the flat view is asked for)");
                return false;
            }
            m->imp = gm_mtree_import_qmp(mo->import + 4, &err);
        } else {
            m->imp = gm_mtree_import_file(mo->import, mo->import_flat, &err);
        }
        if (!m->imp) {
            tool_error("import", "%s", error_get_pretty(err));
            error_free(err);
            return false;
        }
        return true;
    }
    if (mo->import_flat) {
        tool_error("model", "--import-flat goes with --import");
        return false;
    }
    /* -m as QEMU reads it: no unit is MiB, 0 is the default. */
    uint64_t ram = 0;
    if (mo->mem && gm_parse_ram_size(mo->mem, &ram, &err)) {
        tool_error("machine", "%s", error_get_pretty(err));
        error_free(err);
        return false;
    }
    const char *mv =
        mo->mem && !strncmp(mo->mem, "size=", 5) ? mo->mem + 5 : mo->mem;
    if (mv && (!strncmp(mv, "0x", 2) || !strncmp(mv, "0X", 2)) &&
        strchr("0123456789", mv[strlen(mv) - 1])) {
        fprintf(stderr,
                "guestmem: warning: -m %s is %s MiB (%" PRIu64 " bytes), as "
                "QEMU 7.2 reads it; QEMU deprecates a unit on hex numbers\n",
                mv, mv, ram);
    }
    if (ram == 0) {
        ram = 128ULL << 20; /* QEMU's default for pc */
    }
    GmPcConfig cfg;
    if (gm_pc_config_parse(&cfg, mo->machine, ram, &err)) {
        tool_error("machine", "%s", error_get_pretty(err));
        error_free(err);
        return false;
    }
    if (mo->bios) {
        cfg.bios_path = mo->bios;
    } else if (mo->bios_image) {
        cfg.bios_image = mo->bios_image;
        cfg.bios_image_size = mo->bios_image_size;
    }
    /* -mem-path and friends: pc.ram from a backend, as QEMU does. */
    GmBackendConfig be = { .kind = GM_BACKEND_RAM };
    if (mo->mem_path && mo->memfd) {
        tool_error("machine", "--mem-path and --memfd exclude each other");
        return false;
    }
    if (mo->mem_path || mo->memfd || mo->mem_prealloc || mo->mem_shared) {
        be.kind = mo->mem_path ? GM_BACKEND_FILE
                  : mo->memfd  ? GM_BACKEND_MEMFD
                               : GM_BACKEND_RAM;
        be.mem_path = mo->mem_path;
        be.prealloc = mo->mem_prealloc;
        be.share = mo->mem_shared;
        cfg.ram_backend = &be;
    }
    m->pc = gm_pc_machine_new(&cfg, &err);
    if (!m->pc) {
        tool_error("machine", "%s", error_get_pretty(err));
        error_free(err);
        return false;
    }
    return true;
}

void model_free(Model *m)
{
    gm_mtree_import_free(m->imp);
    gm_pc_machine_free(m->pc);
    memset(m, 0, sizeof(*m));
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("guestmem %s\n", GUESTMEM_VERSION_STRING);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (!strcmp(argv[1], commands[i].name)) {
            int rc = commands[i].fn(argc - 1, argv + 1);
            gm_reset();
            return rc;
        }
    }
    fprintf(stderr, "guestmem: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
