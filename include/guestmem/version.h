/* SPDX-License-Identifier: MIT */
/*
 * guestmem/version.h - which guestmem a program was built with, and which
 * one it runs with.
 *
 * The GUESTMEM_VERSION_* macros (guestmem.h) are the version of the headers
 * a program was compiled against; gm_version() is the version of the
 * library it was loaded with.  They can differ when a program built against
 * one release runs with another of the same soname (docs/install.md says
 * when the soname changes).  A program that wants to refuse a mismatch
 * compares the two at startup:
 *
 *     if (gm_version_number() != GUESTMEM_VERSION_NUMBER) ...
 *
 * Versions are MAJOR.MINOR.PATCH; GUESTMEM_VERSION_NUMBER packs them as
 * 0xMMmmpp, so that numbers compare in release order.
 */
#ifndef GUESTMEM_VERSION_H
#define GUESTMEM_VERSION_H

#include <guestmem/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* GUESTMEM_VERSION_MAJOR/_MINOR/_PATCH/_STRING are defined in guestmem.h;
 * these expand them where they are used. */

/** GUESTMEM_VERSION_NUMBER: the headers' version as 0xMMmmpp. */
#define GUESTMEM_VERSION_NUMBER                                       \
    ((GUESTMEM_VERSION_MAJOR << 16) | (GUESTMEM_VERSION_MINOR << 8) | \
     GUESTMEM_VERSION_PATCH)

/**
 * GUESTMEM_CHECK_VERSION: true when the headers are version
 * @major.@minor.@patch or later (for #if and for code).
 */
#define GUESTMEM_CHECK_VERSION(major, minor, patch) \
    (GUESTMEM_VERSION_NUMBER >= (((major) << 16) | ((minor) << 8) | (patch)))

/**
 * gm_version: the version of the library this process runs with, as
 * "MAJOR.MINOR.PATCH".
 * Return: a static string; never NULL.
 * Context: any thread, no lock; may be called before any other function.
 */
GM_API const char *gm_version(void);

/**
 * gm_version_number: the same version packed as GUESTMEM_VERSION_NUMBER is.
 * Context: any thread, no lock.
 */
GM_API unsigned gm_version_number(void);

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_VERSION_H */
