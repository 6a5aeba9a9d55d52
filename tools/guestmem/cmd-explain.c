// SPDX-License-Identifier: MIT
/*
 * cmd-explain.c - `guestmem explain`: which region serves an address, and
 * why; and `guestmem e820`.
 */
#include <getopt.h>
#include <unistd.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guestmem.h"

static void help(FILE *f)
{
    fputs("usage: guestmem explain MODEL [--as NAME] ADDR\n"
          "  MODEL as for `guestmem mtree` (--import ... or --machine ...)\n"
          "  --as NAME  the address space (default \"memory\")\n"
          "  ADDR       a guest address (0x... or decimal; K/M/G suffixes)\n",
          f);
}

int cmd_explain(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "as", required_argument, NULL, 'A' },
        MODEL_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
    };
    ModelOpts mo = { 0 };
    const char *as_name = "memory";
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h" MODEL_SHORT_OPTIONS, longopts,
                            NULL)) != -1) {
        if (c == 'h') {
            help(stdout);
            return 0;
        } else if (c == 'A') {
            as_name = optarg;
        } else if (!model_opt(&mo, c, optarg)) {
            return tool_bad_option("explain", c, argv);
        }
    }
    if (optind + 1 != argc) {
        return tool_usage("explain", "give exactly one address, not %d",
                          argc - optind);
    }
    uint64_t addr;
    Error *err = NULL;
    if (gm_parse_size(argv[optind], &addr, &err)) {
        tool_usage("explain", "bad address '%s': %s", argv[optind],
                   error_get_pretty(err));
        error_free(err);
        return EXIT_USAGE;
    }
    Model m;
    int rc = model_open(&mo, &m);
    if (rc) {
        return rc;
    }
    AddressSpace *as = gm_address_space_find(as_name);
    if (!as) {
        rc = tool_error("explain", "no address space named '%s'", as_name);
    } else {
        gm_explain_fprint(stdout, as, addr);
    }
    model_free(&m);
    return rc;
}

int cmd_e820(int argc, char **argv)
{
    ModelOpts mo = { 0 };
    int rc = model_args_only("e820", argc, argv, &mo,
                             "usage: guestmem e820 --machine TYPE[,...] "
                             "[-m SIZE]\n"
                             "  TYPE: " GM_PC_MACHINE_TYPES "\n");
    if (rc >= 0) {
        return rc;
    }
    Model m;
    if ((rc = model_open(&mo, &m))) {
        return rc;
    }
    /* QEMU's table (etc/e820), then the chipset's windows that firmware
     * reserves (q35: MMCONFIG, TSEG), in address order. */
    GmE820Entry e[8];
    size_t n = gm_pc_e820(m.pc, e, 8);
    n = n > 8 ? 8 : n;
    size_t r = gm_pc_e820_reserved(m.pc, e + n, 8 - n);
    n = n + r > 8 ? 8 : n + r;
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i; j > 0 && e[j].address < e[j - 1].address; j--) {
            GmE820Entry t = e[j];
            e[j] = e[j - 1];
            e[j - 1] = t;
        }
    }
    for (size_t i = 0; i < n; i++) {
        printf("%016" PRIx64 "-%016" PRIx64 " %s\n", e[i].address,
               e[i].address + e[i].length - 1,
               e[i].type == 1 ? "usable" : "reserved");
    }
    model_free(&m);
    return 0;
}

static char *slurp(const char *path)
{
    /* A regular file only: a FIFO would block (O_NONBLOCK keeps the open
     * from waiting for a writer). */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) {
            close(fd);
            errno = EINVAL;
        }
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        close(fd);
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += got;
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
            }
            buf = nb;
        }
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
    }
    return buf;
}

int cmd_flat_hint(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs("usage: guestmem flat-hint MTREE-D.txt MTREE-F.txt\n"
                  "  prints what `--import-flat` needs from the -f dump "
                  "(QEMU's\n"
                  "  `info mtree -f`) beside the -D dump (`info mtree -D`) "
                  "of the same VM\n",
                  stdout);
            return 0;
        }
        if (!strncmp(argv[i], "--help=", 7)) {
            return tool_usage("flat-hint", "option '--help' takes no value");
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            return tool_usage("flat-hint", "unknown option '%s'", argv[i]);
        }
    }
    if (argc != 3) {
        return tool_usage("flat-hint",
                          "give two files, MTREE-D.txt and MTREE-F.txt, "
                          "not %d",
                          argc - 1);
    }
    char *d = slurp(argv[1]), *f = slurp(argv[2]);
    if (!d || !f) {
        free(d);
        free(f);
        return tool_error("flat-hint", "cannot read '%s'",
                          d ? argv[2] : argv[1]);
    }
    Error *err = NULL;
    char *hint = gm_mtree_flat_hint(d, f, &err);
    free(d);
    free(f);
    if (!hint) {
        tool_error("flat-hint", "%s", error_get_pretty(err));
        error_free(err);
        return 1;
    }
    fputs(hint, stdout);
    free(hint);
    return 0;
}

/* `guestmem ramblock`: QEMU's `info ramblock` of a built machine. */
int cmd_ramblock(int argc, char **argv)
{
    ModelOpts mo = { 0 };
    int rc = model_args_only(
        "ramblock", argc, argv, &mo,
        "usage: guestmem ramblock --machine TYPE[,...] [-m SIZE] "
        "[--bios FILE]\n"
        "         [--mem-path FILE|DIR | --memfd] [--mem-prealloc] "
        "[--mem-shared]\n"
        "  TYPE: " GM_PC_MACHINE_TYPES "\n"
        "  prints `info ramblock`: id, page size, offset, used and "
        "total length\n"
        "  --mem-path   back pc.ram with a file, or a temporary file "
        "in a directory\n"
        "               (a hugetlbfs mount gives huge pages)\n"
        "  --memfd      back pc.ram with a memfd\n"
        "  --mem-prealloc  populate all of pc.ram now\n"
        "  --mem-shared    map it MAP_SHARED\n");
    if (rc >= 0) {
        return rc;
    }
    Model m;
    if ((rc = model_open(&mo, &m))) {
        return rc;
    }
    gm_ramblock_info_fprint(stdout);
    model_free(&m);
    return fflush(stdout) == 0 ? 0 : 1;
}
