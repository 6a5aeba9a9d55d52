// SPDX-License-Identifier: MIT
/*
 * main.c - the `guestmem` command: the table of subcommands and the
 * dispatcher (with `guestmem help [CMD]`), the one-line error and usage
 * messages every command prints, and the model (imported dump or built
 * machine) and its options that they share.  Each subcommand lives in its
 * own cmd-NAME.c (guestmem.h).
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

static const size_t n_commands = sizeof(commands) / sizeof(commands[0]);

const char *tool_cmd = "guestmem";

static void usage(FILE *f)
{
    fprintf(f, "usage: guestmem COMMAND [OPTIONS]\n\ncommands:\n");
    for (size_t i = 0; i < n_commands; i++) {
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
    }
    fprintf(f, "  %-9s %s\n", "help",
            "this text, or `help COMMAND`: a "
            "command's own");
    fprintf(f, "\n`guestmem help COMMAND` (or `guestmem COMMAND --help`) "
               "describes each command.\n"
               "Exit status: 0 on success, 1 on an error, 2 on a usage "
               "error.\n");
}

static void vmessage(const char *cmd, const char *fmt, va_list ap)
{
    if (cmd) {
        fprintf(stderr, "guestmem: %s: ", cmd);
    } else {
        fputs("guestmem: ", stderr);
    }
    vfprintf(stderr, fmt, ap);
}

int tool_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(cmd, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_RUNTIME;
}

int tool_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(cmd, fmt, ap);
    va_end(ap);
    if (cmd) {
        fprintf(stderr, " (see guestmem %s --help)\n", cmd);
    } else {
        fputs(" (see guestmem --help)\n", stderr);
    }
    return EXIT_USAGE;
}

int tool_bad_option(const char *cmd, int c, char **argv)
{
    /* getopt_long has moved optind past the option it could not take. */
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    if (!strncmp(arg, "--", 2)) {
        int len = (int)strcspn(arg, "=");
        if (c == ':') {
            return tool_usage(cmd, "option '%.*s' needs a value", len, arg);
        }
        if (arg[len] == '=' && optopt) {
            return tool_usage(cmd, "option '%.*s' takes no value", len, arg);
        }
        return tool_usage(cmd, "unknown option '%.*s'", len, arg);
    }
    if (c == ':') {
        return tool_usage(cmd, "option '-%c' needs a value", optopt);
    }
    if (optopt > ' ' && optopt < 127) {
        return tool_usage(cmd, "unknown option '-%c'", optopt);
    }
    return tool_usage(cmd, "unknown option '%s'", arg);
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
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h" MODEL_SHORT_OPTIONS, longopts,
                            NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return 0;
        }
        if (!model_opt(mo, c, optarg)) {
            return tool_bad_option(cmd, c, argv);
        }
    }
    if (optind != argc) {
        return tool_usage(cmd, "unexpected argument '%s'", argv[optind]);
    }
    if (mo->import || mo->import_flat) {
        return tool_usage(cmd, "this needs --machine, not --import");
    }
    if (!mo->machine) {
        return tool_usage(cmd, "--machine TYPE is required");
    }
    return -1;
}

/* An error of the library: one line, usage or runtime. */
static int lib_error(Error *err, int status, const char *what)
{
    const char *cmd = tool_cmd;
    if (status == EXIT_USAGE) {
        tool_usage(cmd, "%s%s", what, error_get_pretty(err));
    } else {
        tool_error(cmd, "%s%s", what, error_get_pretty(err));
    }
    error_free(err);
    return status;
}

int model_open(const ModelOpts *mo, Model *m)
{
    const char *cmd = tool_cmd;
    Error *err = NULL;
    memset(m, 0, sizeof(*m));
    if (!!mo->import == !!mo->machine) {
        return tool_usage(cmd, "give exactly one of --import FILE and "
                               "--machine TYPE");
    }
    if (mo->import) {
        if (mo->mem || mo->bios || mo->mem_path || mo->mem_prealloc ||
            mo->mem_shared || mo->memfd) {
            return tool_usage(cmd, "-m, --bios and the memory backend "
                                   "options go with --machine, not --import");
        }
        if (strncmp(mo->import, "qmp:", 4) == 0) {
            if (mo->import_flat) {
                return tool_usage(cmd, "--import-flat is not used with "
                                       "qmp: (the flat view is asked for)");
            }
            m->imp = gm_mtree_import_qmp(mo->import + 4, &err);
        } else {
            m->imp = gm_mtree_import_file(mo->import, mo->import_flat, &err);
        }
        return m->imp ? 0 : lib_error(err, EXIT_RUNTIME, "");
    }
    if (mo->import_flat) {
        return tool_usage(cmd, "--import-flat goes with --import");
    }
    if (mo->mem_path && mo->memfd) {
        return tool_usage(cmd, "--mem-path and --memfd exclude each other");
    }
    /* -m as QEMU reads it: no unit is MiB, 0 is the default. */
    uint64_t ram = 0;
    if (mo->mem && gm_parse_ram_size(mo->mem, &ram, &err)) {
        return lib_error(err, EXIT_USAGE, "");
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
        /* All of it comes from the command line: a usage error. */
        GmErrorCode code = gm_error_code(err);
        bool spec = code == GM_ERR_PARSE || code == GM_ERR_NOT_FOUND ||
                    strstr(error_get_pretty(err), "max-ram-below-4g");
        return lib_error(err, EXIT_USAGE, spec ? "--machine: " : "");
    }
    if (mo->bios) {
        cfg.bios_path = mo->bios;
    } else if (mo->bios_image) {
        cfg.bios_image = mo->bios_image;
        cfg.bios_image_size = mo->bios_image_size;
    }
    /* -mem-path and friends: pc.ram from a backend, as QEMU does. */
    GmBackendConfig be = { .kind = GM_BACKEND_RAM };
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
    return m->pc ? 0 : lib_error(err, EXIT_RUNTIME, "");
}

void model_free(Model *m)
{
    gm_mtree_import_free(m->imp);
    gm_pc_machine_free(m->pc);
    memset(m, 0, sizeof(*m));
}

static int find_command(const char *name)
{
    for (size_t i = 0; i < n_commands; i++) {
        if (!strcmp(name, commands[i].name)) {
            return (int)i;
        }
    }
    return -1;
}

static int run_command(int i, int argc, char **argv)
{
    tool_cmd = commands[i].name;
    int rc = commands[i].fn(argc, argv);
    gm_reset();
    return rc;
}

/* `guestmem help [COMMAND]`: the overview, or COMMAND --help. */
static int help_command(int argc, char **argv)
{
    if (argc == 1) {
        usage(stdout);
        return 0;
    }
    if (argc > 2) {
        return tool_usage(NULL, "help: give one command, not %d", argc - 1);
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    int i = find_command(argv[1]);
    if (i < 0) {
        return tool_usage(NULL, "help: unknown command '%s'", argv[1]);
    }
    char *args[] = { argv[1], (char *)"--help", NULL };
    return run_command(i, 2, args);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        return tool_usage(NULL, "give a command");
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "help")) {
        return help_command(argc - 1, argv + 1);
    }
    if (!strcmp(argv[1], "--version")) {
        printf("guestmem %s\n", GUESTMEM_VERSION_STRING);
        return 0;
    }
    int i = find_command(argv[1]);
    if (i >= 0) {
        return run_command(i, argc - 1, argv + 1);
    }
    if (argv[1][0] == '-') {
        return tool_usage(NULL, "unknown option '%s'", argv[1]);
    }
    return tool_usage(NULL, "unknown command '%s'", argv[1]);
}
