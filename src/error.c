// SPDX-License-Identifier: MIT
/*
 * error.c - the Error type, its helpers, and the handler that receives the
 * errors of QEMU's void functions.
 *
 * An Error is a heap string plus a GmErrorCode.  error_abort and error_fatal
 * are sentinels compared by address: a caller passing them asks for the
 * process to end, which is the caller's decision, never the library's.
 */
#include "base.h"
#include "state.h"

Error *error_abort;
Error *error_fatal;

/* Handed out when memory runs out while reporting an error; never freed. */
static Error oom_error = { GM_ERR_NO_MEMORY, (char *)"out of memory" };

static const char *const code_names[GM_ERR__COUNT] = {
    [GM_OK] = "success",
    [GM_ERR_INVALID_ARG] = "invalid argument",
    [GM_ERR_RANGE_OVERFLOW] = "range goes past 2^64",
    [GM_ERR_HAS_CONTAINER] = "region already has a container",
    [GM_ERR_NOT_CHILD] = "region is not a subregion of that container",
    [GM_ERR_ALIAS_CYCLE] = "change would create a cycle",
    [GM_ERR_IN_USE] = "region is in use",
    [GM_ERR_WRONG_KIND] = "operation does not apply to this kind of region",
    [GM_ERR_NO_MEMORY] = "out of memory",
    [GM_ERR_IO] = "input/output error",
    [GM_ERR_PARSE] = "malformed input",
    [GM_ERR_NOT_FOUND] = "not found",
    [GM_ERR_UNSUPPORTED] = "not supported",
    [GM_ERR_DUPLICATE] = "name already taken",
    [GM_ERR_BUSY] = "not allowed from a listener callback",
    [GM_ERR_MISMATCH] = "the model's state differs from what it should be",
};

const char *gm_strerror(int code)
{
    if (code < 0) {
        code = -code;
    }
    if (code >= GM_ERR__COUNT) {
        return "unknown error";
    }
    return code_names[code];
}

char *gm__strdup(const char *s)
{
    if (!s) {
        return NULL;
    }
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) {
        memcpy(p, s, n);
    }
    return p;
}

static char *vformat(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (s) {
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    }
    return s;
}

char *gm__asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    return s;
}

/* Ends the process if the caller passed one of the sentinels. */
static void handle_sentinels(Error **errp, Error *err)
{
    if (errp == &error_abort) {
        fprintf(stderr, "guestmem: unexpected error: %s\n", err->msg);
        abort();
    }
    if (errp == &error_fatal) {
        fprintf(stderr, "guestmem: %s\n", err->msg);
        exit(1);
    }
}

static void set_error(Error **errp, GmErrorCode code, const char *fmt,
                      va_list ap)
{
    if (!errp) {
        return;
    }
    Error *err = malloc(sizeof(*err));
    char *msg = vformat(fmt, ap);
    if (!err || !msg) {
        /* Out of memory while reporting: keep a static message so that the
         * caller still sees a failure. */
        free(err);
        free(msg);
        if (errp != &error_abort && errp != &error_fatal && !*errp) {
            *errp = &oom_error;
        }
        return;
    }
    err->code = code;
    err->msg = msg;
    handle_sentinels(errp, err);
    if (*errp) {
        fprintf(stderr, "guestmem: error set twice, dropping: %s\n", msg);
        free(msg);
        free(err);
        return;
    }
    *errp = err;
}

void error_setg(Error **errp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(errp, GM_ERR_INVALID_ARG, fmt, ap);
    va_end(ap);
}

int gm_error_setg(Error **errp, GmErrorCode code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(errp, code, fmt, ap);
    va_end(ap);
    return -(int)code;
}

const char *error_get_pretty(const Error *err)
{
    return err ? err->msg : "";
}

GmErrorCode gm_error_code(const Error *err)
{
    return err ? err->code : GM_OK;
}

void error_free(Error *err)
{
    if (!err || err == &oom_error) {
        return;
    }
    free(err->msg);
    free(err);
}

void error_propagate(Error **dst_errp, Error *local_err)
{
    if (!local_err) {
        return;
    }
    handle_sentinels(dst_errp, local_err);
    if (!dst_errp || *dst_errp) {
        error_free(local_err);
        return;
    }
    *dst_errp = local_err;
}

void error_prepend(Error *const *errp, const char *fmt, ...)
{
    if (!errp || !*errp) {
        return;
    }
    Error *err = *errp;
    va_list ap;
    va_start(ap, fmt);
    char *prefix = vformat(fmt, ap);
    va_end(ap);
    if (!prefix) {
        return;
    }
    char *msg = gm__asprintf("%s%s", prefix, err->msg);
    free(prefix);
    if (msg) {
        free(err->msg);
        err->msg = msg;
    }
}

void error_report_err(Error *err)
{
    if (err) {
        fprintf(stderr, "guestmem: %s\n", err->msg);
        error_free(err);
    }
}

void gm_set_error_handler(GmErrorHandler fn, void *opaque)
{
    gm__state.error_handler = fn;
    gm__state.error_opaque = opaque;
}

void gm__report(Error *err)
{
    if (!err) {
        return;
    }
    if (gm__state.error_handler) {
        gm__state.error_handler(err, gm__state.error_opaque);
    } else {
        fprintf(stderr, "guestmem: %s\n", err->msg);
    }
    error_free(err);
}

void gm__assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "guestmem: internal invariant broken: %s (%s:%d)\n", expr,
            file, line);
    abort();
}
