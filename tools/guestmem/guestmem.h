/* SPDX-License-Identifier: MIT */
/*
 * guestmem.h (tool) - what the subcommands of the `guestmem` CLI share: the
 * model they work on (an imported dump or a built machine) and the options
 * that select it.
 */
#ifndef GUESTMEM_TOOL_H
#define GUESTMEM_TOOL_H

#include <guestmem/guestmem.h>

/* Options that select the model, shared by the commands that work on one
 * (mtree, explain, e820, ramblock, run, map). */
typedef struct ModelOpts {
    const char *import;      /* FILE or qmp:SOCKET */
    const char *import_flat; /* FILE */
    const char *machine;     /* TYPE[,max-ram-below-4g=SIZE] */
    const char *mem;         /* -m SIZE */
    const char *bios;        /* --bios FILE */
    const char *mem_path;    /* --mem-path FILE|DIR */
    bool mem_prealloc;       /* --mem-prealloc */
    bool mem_shared;         /* --mem-shared */
    bool memfd;              /* --memfd */
    const void *bios_image;  /* firmware in memory (run's demo guest) */
    size_t bios_image_size;
} ModelOpts;

typedef struct Model {
    GmMtreeImport *imp;
    GmPcMachine *pc;
} Model;

/* Recognises a model option; returns 1 if @opt (a getopt_long value) was
 * one and stored @arg, 0 otherwise. */
int model_opt(ModelOpts *mo, int opt, const char *arg);
/* Long options for the model; terminate the caller's table with these. */
#define MODEL_LONG_OPTIONS                               \
    { "import", required_argument, NULL, 'I' },          \
        { "import-flat", required_argument, NULL, 'F' }, \
        { "machine", required_argument, NULL, 'M' },     \
        { "bios", required_argument, NULL, 'B' },        \
        { "memory", required_argument, NULL, 'm' },      \
        { "mem-path", required_argument, NULL, 'P' },    \
        { "mem-prealloc", no_argument, NULL, 'R' },      \
        { "mem-shared", no_argument, NULL, 'S' },        \
    {                                                    \
        "memfd", no_argument, NULL, 'U'                  \
    }
#define MODEL_SHORT_OPTIONS "M:m:"

/* Parses the arguments of a command that takes only machine options (and
 * --help, which prints @usage).  Return: -1 to go on, else the exit
 * status. */
int model_args_only(const char *cmd, int argc, char **argv, ModelOpts *mo,
                    const char *usage);
/* Builds the model.  Return: 0, or after one line on stderr the exit
 * status: 2 for options that do not go together or do not parse (a usage
 * error), 1 when the model cannot be built (a runtime error). */
int model_open(const ModelOpts *mo, Model *m);
void model_free(Model *m);

/* Exit statuses: 1 for a runtime error, 2 for a usage error. */
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

/* The subcommand being run, for messages (main() sets it). */
extern const char *tool_cmd;
/* Prints "guestmem: CMD: message" on stderr; returns 1 (the exit status
 * of a runtime error). */
int tool_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A usage error: prints "guestmem: CMD: message (see guestmem CMD --help)"
 * on stderr, one line; returns 2. */
int tool_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* What getopt_long() returned for a bad option ('?', or ':' when the short
 * options start with ':'), as one tool_usage() line; returns 2.  Call with
 * opterr = 0, right after getopt_long(). */
int tool_bad_option(const char *cmd, int c, char **argv);

/* The subcommands, one file each (cmd-NAME.c), listed in main.c's table.
 * Each takes its arguments from its name on (argv[0] is "NAME") and
 * returns the exit status. */
/* cmd-mtree.c: QEMU's `info mtree` of a model. */
int cmd_mtree(int argc, char **argv);
/* cmd-explain.c: which region serves an address, and why. */
int cmd_explain(int argc, char **argv);
/* cmd-e820.c: the e820 table of a PC machine. */
int cmd_e820(int argc, char **argv);
/* cmd-flat-hint.c: what an -D import needs from `info mtree -f`. */
int cmd_flat_hint(int argc, char **argv);
/* cmd-ramblock.c: QEMU's `info ramblock` of a machine. */
int cmd_ramblock(int argc, char **argv);
/* cmd-run.c: guest code on a PC machine (run.h). */
int cmd_run(int argc, char **argv);
/* cmd-tlb.c: guest page tables of a QEMU dump (mmu.h); three views of one
 * walk, so one file. */
int cmd_tlb(int argc, char **argv);
int cmd_mem(int argc, char **argv);
int cmd_gva2gpa(int argc, char **argv);
/* cmd-map.c: a picture of the memory map (SVG or HTML). */
int cmd_map(int argc, char **argv);

#endif
