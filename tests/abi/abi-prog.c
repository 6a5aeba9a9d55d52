// SPDX-License-Identifier: MIT
/*
 * abi-prog.c - a program built against this version's headers, using the
 * inline accessors (access-inline.h), linked with libguestmem.so.  It says
 * when main() is reached, so that test-abi.sh can tell a refusal by the
 * dynamic linker (before main) from a failure of the program.
 */
#include <stdio.h>

#include <guestmem/guestmem.h>

int main(void)
{
    printf("abi-prog: main reached\n");
    fflush(stdout);
    static MemoryRegion ram;
    static MemoryRegionCache c;
    memory_region_init_ram(&ram, NULL, "ram", 0x10000, &error_fatal);
    memory_region_add_subregion(get_system_memory(), 0x10000, &ram);
    AddressSpace *as = &address_space_memory;
    stl_le_phys(as, 0x10010, 0xdeadbeef);
    stq_be_phys(as, 0x10020, 0x0102030405060708ull);
    address_space_cache_init(&c, as, 0x10000, 0x100, true);
    address_space_stw_le_cached(&c, 0x30, 0xabcd, MEMTXATTRS_UNSPECIFIED, NULL);
    int ok = ldl_le_phys(as, 0x10010) == 0xdeadbeef &&
             ldq_le_phys(as, 0x10020) == 0x0807060504030201ull &&
             address_space_lduw_le_cached(&c, 0x30, MEMTXATTRS_UNSPECIFIED,
                                          NULL) == 0xabcd &&
             ldub_phys(as, 0x10031) == 0xab;
    address_space_cache_destroy(&c);
    printf("abi-prog: %s (inline accessors, layout %d)\n", ok ? "ok" : "WRONG",
           GM_FAST_ABI);
    return ok ? 0 : 1;
}
