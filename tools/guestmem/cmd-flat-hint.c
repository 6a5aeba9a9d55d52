// SPDX-License-Identifier: MIT
/*
 * cmd-flat-hint.c - `guestmem flat-hint`: distils from QEMU's `info mtree -f`
 * what an import of the same VM's `info mtree -D` needs (--import-flat), by
 * gm_mtree_flat_hint().  Both inputs must be regular files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guestmem.h"

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
