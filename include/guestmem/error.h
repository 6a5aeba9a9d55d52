/* SPDX-License-Identifier: MIT */
/*
 * guestmem/error.h - errors, in QEMU's Error ** style, plus guestmem's codes.
 *
 * Three channels carry failures out of guestmem (docs/conventions.md):
 *  - functions with QEMU's signatures that take an `Error **errp` (last
 *    argument) set exactly one Error on failure and never touch *errp on
 *    success.  Pass NULL to ignore the details, &error_abort or &error_fatal
 *    to end the process (your choice, never the library's);
 *  - accesses return a MemTxResult (types.h);
 *  - QEMU functions that return void and have no error channel
 *    (memory_region_add_subregion, memory_region_set_enabled, ...) check
 *    their arguments, change nothing on misuse, and report the error to the
 *    process-wide handler installed with gm_set_error_handler().  Each has a
 *    gm_-prefixed twin that returns the error instead.
 *
 * Every Error carries a GmErrorCode, so callers can branch on the kind of
 * failure without parsing the message.
 */
#ifndef GUESTMEM_ERROR_H
#define GUESTMEM_ERROR_H

#include <guestmem/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * GmErrorCode: the kind of a failure.  gm_ functions return the negative
 * value (-GM_ERR_OVERLAP, ...) and 0 on success.
 */
typedef enum GmErrorCode {
    GM_OK = 0,
    GM_ERR_INVALID_ARG = 1, /* a NULL pointer or a value out of its domain */
    GM_ERR_RANGE_OVERFLOW,  /* address + size goes past 2^64 */
    GM_ERR_HAS_CONTAINER,   /* the region is already mapped in a container */
    GM_ERR_NOT_CHILD,   /* the region is not a subregion of that container */
    GM_ERR_ALIAS_CYCLE, /* the change would make a region reach itself */
    GM_ERR_IN_USE,      /* still mapped, aliased, a root, or referenced */
    GM_ERR_WRONG_KIND, /* the operation does not apply to this kind of region */
    GM_ERR_NO_MEMORY,  /* host memory could not be allocated */
    GM_ERR_IO,         /* a file or socket operation failed */
    GM_ERR_PARSE,      /* malformed input text */
    GM_ERR_NOT_FOUND,  /* no such name */
    GM_ERR_UNSUPPORTED, /* valid but not supported here */
    GM_ERR_DUPLICATE,   /* a name that must be unique is taken */
    GM_ERR_BUSY,        /* not allowed from inside a listener callback */
    GM_ERR_MISMATCH,    /* a self-check found state that differs from what it
                         * should be (gm_address_space_check) */
    GM_ERR__COUNT
} GmErrorCode;

/** Error: an error message with its GmErrorCode.  Opaque. */
typedef struct Error Error;

/**
 * error_abort: pass &error_abort as errp to abort() on any error.
 * error_fatal: pass &error_fatal to print the error and exit(1).
 * These end the process because the caller asked for it; guestmem itself
 * never does.
 */
GM_API extern Error *error_abort;
GM_API extern Error *error_fatal;

/**
 * error_setg: report a failure with a printf-style message.
 * @errp: where to store the new Error; NULL to discard it.  Must point to a
 *        NULL Error * (setting an error twice is a programming error and the
 *        second message is dropped, with a warning on stderr).
 *
 * The code of an error set this way is GM_ERR_INVALID_ARG; guestmem itself
 * uses gm_error_setg() with a precise code.
 * Context: any thread.
 */
GM_API void error_setg(Error **errp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * gm_error_setg: like error_setg(), with an explicit @code.
 * Return: -@code, so that a gm_ function can `return gm_error_setg(...)`.
 */
GM_API int gm_error_setg(Error **errp, GmErrorCode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * error_get_pretty: the message of @err.
 * Return: a string owned by @err, valid until error_free(@err).
 */
GM_API const char *error_get_pretty(const Error *err);

/** gm_error_code: the GmErrorCode of @err (GM_OK for NULL). */
GM_API GmErrorCode gm_error_code(const Error *err);

/** gm_strerror: a short description of @code (positive or negative). */
GM_API const char *gm_strerror(int code);

/**
 * error_free: free @err.  NULL is a harmless no-op.
 */
GM_API void error_free(Error *err);

/**
 * error_propagate: move @local_err into *@dst_errp (or free it if @dst_errp
 * is NULL or already holds an error).  @local_err may be NULL.
 */
GM_API void error_propagate(Error **dst_errp, Error *local_err);

/**
 * error_prepend: put a printf-style prefix in front of *@errp's message.
 * No-op when @errp or *@errp is NULL.
 */
GM_API void error_prepend(Error *const *errp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** error_report_err: print @err's message on stderr and free it. */
GM_API void error_report_err(Error *err);

/**
 * GmErrorHandler: receives the errors of QEMU's void functions.
 * @err is owned by guestmem and valid only during the call.
 */
typedef void (*GmErrorHandler)(const Error *err, void *opaque);

/**
 * gm_set_error_handler: install the process-wide handler for errors of the
 * void QEMU functions (see the top of this file).  NULL restores the default,
 * which prints "guestmem: <message>" on stderr.
 * Context: update side (call with no other thread changing the memory map).
 */
GM_API void gm_set_error_handler(GmErrorHandler fn, void *opaque);

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_ERROR_H */
