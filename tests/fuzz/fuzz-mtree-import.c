// SPDX-License-Identifier: MIT
/*
 * fuzz-mtree-import.c - libFuzzer target for the `info mtree` importer.
 * The input is a tree dump (any form of `info mtree`), optionally followed
 * by a NUL byte and a -f dump or hint.  Any input must either import (and
 * then print, in every form, and free cleanly) or fail with a one-line
 * error; never crash, leak or leave address spaces behind.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guestmem/guestmem.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 20) {
        return 0;
    }
    char *buf = malloc(size + 2);
    if (!buf) {
        return 0;
    }
    memcpy(buf, data, size);
    buf[size] = buf[size + 1] = '\0';
    const char *dump = buf;
    const char *flat = NULL;
    size_t dl = strlen(buf);
    if (dl < size) {
        flat = buf + dl + 1;
    }
    Error *err = NULL;
    GmMtreeImport *imp = gm_mtree_import(dump, flat, &err);
    if (imp) {
        FILE *f = fopen("/dev/null", "w");
        gm_mtree_fprint(f, false, false, true, true);
        gm_mtree_fprint(f, true, true, false, false);
        /* As the dump said it: its owners (when it had them), the -f
         * dump's order and accelerator marks. */
        for (int form = 0; form < 4; form++) {
            Error *perr = NULL;
            if (gm_mtree_import_fprint(f, imp, form & 1, form == 3, true,
                                       form & 2, &perr) &&
                !perr) {
                abort();
            }
            error_free(perr);
        }
        fclose(f);
        gm_mtree_import_free(imp);
    } else if (!err) {
        abort(); /* a failure must say why */
    } else if (strchr(error_get_pretty(err), '\n')) {
        abort(); /* one line */
    }
    error_free(err);
    if (flat) {
        /* The distillation of the -f facts reads the same texts. */
        err = NULL;
        char *hint = gm_mtree_flat_hint(dump, flat, &err);
        if (!hint && !err) {
            abort();
        }
        free(hint);
        error_free(err);
    }
    if (gm_address_space_next(NULL)) {
        abort(); /* nothing may be left behind */
    }
    free(buf);
    return 0;
}
