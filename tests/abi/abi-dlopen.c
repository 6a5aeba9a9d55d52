// SPDX-License-Identifier: MIT
/*
 * abi-dlopen.c - loads libguestmem.so with dlopen(), as Python's cffi does:
 * its initial-exec TLS (gm__fast1) must find room in glibc's static TLS
 * surplus, and liburcu's must not need any.  Then one access through
 * functions found with dlsym().
 *   abi-dlopen PATH-TO-LIBGUESTMEM.so
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    void *h = argc > 1 ? dlopen(argv[1], RTLD_NOW | RTLD_LOCAL) : NULL;
    if (!h) {
        fprintf(stderr, "abi-dlopen: %s\n", argc > 1 ? dlerror() : "no path");
        return 1;
    }
    void *(*asm_)(void) = (void *(*)(void))dlsym(h, "gm_address_space_memory");
    uint32_t (*ld)(void *, uint64_t) =
        (uint32_t(*)(void *, uint64_t))dlsym(h, "ldl_le_phys");
    if (!asm_ || !ld) {
        fprintf(stderr, "abi-dlopen: dlsym failed\n");
        return 1;
    }
    void *as = asm_();
    /* Nothing mapped: an unassigned read gives 0 (through the library's
     * RCU reader, on this thread's gm__fast1). */
    uint32_t v = ld(as, 0x1000);
    printf("abi-dlopen: loaded, ldl_le_phys -> %u\n", v);
    return v == 0 ? 0 : 1;
}
