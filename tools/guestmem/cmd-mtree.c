// SPDX-License-Identifier: MIT
/*
 * cmd-mtree.c - `guestmem mtree`: QEMU's `info mtree` for a model.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "guestmem.h"

static void help(FILE *f)
{
    fputs(
        "usage: guestmem mtree [-f] [-d] [-o] [-D] MODEL\n"
        "  MODEL is one of:\n"
        "    --import FILE [--import-flat FLAT]  a QEMU `info mtree -D` dump\n"
        "        (with or without -o; plain `info mtree` when it can be\n"
        "        rebuilt exactly); FLAT is `info mtree -f` of the same VM\n"
        "        (any of -d, -o), or `guestmem flat-hint`'s output, for what "
        "the -D\n"
        "        text cannot say.  FILE may be a pipe (/dev/stdin)\n"
        "    --import qmp:SOCKET                 ask a running QEMU's QMP "
        "socket\n"
        "    --machine TYPE[,max-ram-below-4g=SIZE][,smm=on|off] [-m SIZE]\n"
        "              [--bios FILE]\n"
        "        TYPE: " GM_PC_MACHINE_TYPES "\n"
        "        (default -m 128M)\n"
        "  -f  print the flat views        -d  with -f, the dispatch "
        "structure\n"
        "  -o  print owners                -D  show disabled regions too\n"
        "  An import prints as QEMU printed it: the dump's owners (-o needs a\n"
        "  dump made with -o), the -f dump's order of views.\n",
        f);
}

int cmd_mtree(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        MODEL_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
    };
    ModelOpts mo = { 0 };
    bool flat = false, dispatch = false, owner = false, disabled = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":fdoDh" MODEL_SHORT_OPTIONS, longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'f': flat = true; break;
        case 'd': dispatch = true; break;
        case 'o': owner = true; break;
        case 'D': disabled = true; break;
        case 'h': help(stdout); return 0;
        default:
            if (!model_opt(&mo, c, optarg)) {
                return tool_bad_option("mtree", c, argv);
            }
        }
    }
    if (optind != argc) {
        return tool_usage("mtree", "unexpected argument '%s'", argv[optind]);
    }
    if (dispatch && !flat) {
        return tool_usage("mtree", "-d goes with -f");
    }
    Model m;
    int rc = model_open(&mo, &m);
    if (rc) {
        return rc;
    }
    if (m.imp) {
        /* An import prints as QEMU printed it: the dump's owners, the -f
         * dump's order of views, its accelerator marks. */
        Error *err = NULL;
        if (gm_mtree_import_fprint(stdout, m.imp, flat, dispatch, owner,
                                   disabled, &err)) {
            tool_error("mtree", "-o: %s", error_get_pretty(err));
            error_free(err);
            model_free(&m);
            return 1;
        }
    } else {
        mtree_info(flat, dispatch, owner, disabled);
    }
    model_free(&m);
    return fflush(stdout) == 0 ? 0 : 1;
}
