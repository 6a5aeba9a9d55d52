// SPDX-License-Identifier: MIT
/*
 * 02-overlap-priority.c - overlapping regions: the higher priority wins, and
 * among equal priorities the region added (or moved) last.  Then `explain`
 * says why for one address.
 */
#include <guestmem/guestmem.h>

int main(void)
{
    MemoryRegion low, high, a, b;
    MemoryRegion *sys = get_system_memory();
    memory_region_init_ram(&low, NULL, "low", 0x10000, &error_fatal);
    memory_region_init_ram(&high, NULL, "high", 0x1000, &error_fatal);
    memory_region_init_io(&a, NULL, NULL, NULL, "a", 0x100);
    memory_region_init_io(&b, NULL, NULL, NULL, "b", 0x100);
    memory_region_add_subregion_overlap(sys, 0, &low, 0);
    memory_region_add_subregion_overlap(sys, 0x4000, &high, 1);
    memory_region_add_subregion(sys, 0x8000, &a);
    memory_region_add_subregion(sys, 0x8080, &b); /* newer: wins the overlap */
    mtree_info(true, false, false, false);
    memory_region_set_address(&a, 0x8040); /* a move: now a is newer */
    mtree_info(true, false, false, false);
    gm_explain_fprint(stdout, &address_space_memory, 0x80a0);

    gm_reset();
    MemoryRegion *all[] = { &low, &high, &a, &b };
    for (int i = 0; i < 4; i++) {
        gm_memory_region_destroy(all[i], &error_abort);
    }
    return 0;
}
