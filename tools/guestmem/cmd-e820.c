// SPDX-License-Identifier: MIT
/*
 * cmd-e820.c - `guestmem e820`: the e820 table a PC machine gives its
 * firmware, with the chipset windows firmware reserves, in address order.
 */
#include <inttypes.h>
#include <stdio.h>

#include "guestmem.h"

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
