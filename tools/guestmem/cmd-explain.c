// SPDX-License-Identifier: MIT
/*
 * cmd-explain.c - `guestmem explain`: which region serves an address of an
 * address space, and why (gm_explain_fprint()).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

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
