// SPDX-License-Identifier: MIT
/*
 * version.c - the library's own version, for programs that compare it with
 * the headers they were built with (guestmem/version.h).  The numbers come
 * from guestmem.h, the one place they are written; tests/install checks
 * that they equal meson's project version and pkg-config's --modversion.
 */
#include <guestmem/guestmem.h>

const char *gm_version(void)
{
    return GUESTMEM_VERSION_STRING;
}

unsigned gm_version_number(void)
{
    return GUESTMEM_VERSION_NUMBER;
}
