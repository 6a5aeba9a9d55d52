// SPDX-License-Identifier: MIT
/*
 * cmd-ramblock.c - `guestmem ramblock`: QEMU's `info ramblock` of a built
 * machine, with pc.ram on the memory backend the options choose.
 */
#include <stdio.h>

#include "guestmem.h"

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
