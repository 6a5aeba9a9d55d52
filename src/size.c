// SPDX-License-Identifier: MIT
/*
 * size.c - sizes with QEMU's suffixes (K, M, G, T, P, E; powers of 1024).
 */
#include "internal.h"

#include <ctype.h>
#include <errno.h>

int gm_parse_size(const char *text, uint64_t *out, Error **errp)
{
    if (!text || !out || !*text) {
        return gm_error_setg(errp, GM_ERR_PARSE, "empty size");
    }
    const char *p = text;
    if (!isdigit((unsigned char)*p)) {
        return gm_error_setg(errp, GM_ERR_PARSE, "size '%s' is not a number",
                             text);
    }
    errno = 0;
    char *end;
    unsigned long long whole = strtoull(p, &end, 0);
    if (errno) {
        return gm_error_setg(errp, GM_ERR_PARSE, "size '%s' is too large",
                             text);
    }
    /* An optional fraction, as QEMU accepts "1.5G". */
    double frac = 0;
    if (*end == '.' && end[1] && isdigit((unsigned char)end[1])) {
        frac = strtod(end, &end);
    }
    unsigned shift = 0;
    switch (toupper((unsigned char)*end)) {
    case 'B':
        shift = 0;
        end++;
        break;
    case 'K':
        shift = 10;
        end++;
        break;
    case 'M':
        shift = 20;
        end++;
        break;
    case 'G':
        shift = 30;
        end++;
        break;
    case 'T':
        shift = 40;
        end++;
        break;
    case 'P':
        shift = 50;
        end++;
        break;
    case 'E':
        shift = 60;
        end++;
        break;
    case '\0': break;
    default:
        return gm_error_setg(errp, GM_ERR_PARSE,
                             "size '%s': unknown suffix '%s'", text, end);
    }
    if (*end == 'B' || *end == 'b') {
        end++;
    }
    if (*end) {
        return gm_error_setg(errp, GM_ERR_PARSE,
                             "size '%s': trailing characters '%s'", text, end);
    }
    if (shift && whole > (UINT64_MAX >> shift)) {
        return gm_error_setg(errp, GM_ERR_PARSE, "size '%s' is too large",
                             text);
    }
    uint64_t v = (uint64_t)whole << shift;
    if (frac > 0) {
        double extra = frac * (double)(UINT64_C(1) << shift);
        if ((double)(UINT64_MAX - v) < extra) {
            return gm_error_setg(errp, GM_ERR_PARSE, "size '%s' is too large",
                                 text);
        }
        v += (uint64_t)extra;
    }
    *out = v;
    return 0;
}
