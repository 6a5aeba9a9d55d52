// SPDX-License-Identifier: MIT
/*
 * size.c - sizes as QEMU 7.2 reads them (its qemu_strtosz): a decimal
 * number with an optional fraction, or 0x and hex digits, then at most one
 * unit letter (B, K, M, G, T, P, E: powers of 1024, either case), and
 * nothing else.  Leading zeros are decimal ("010" is ten), a fraction needs
 * a unit, and the result must stay below 2^64.
 *
 * The fraction is exact: its decimal digits are doubled once per bit of
 * the unit, so 1.1E is 1.1 * 2^60 rounded half up to the byte.  QEMU 7.2
 * goes through a double, which gives the same bytes for every unit up to
 * P and for any fraction of 15 digits or fewer, but loses bytes at E (its
 * 1.1E is 6 bytes more) and drops a fraction that rounds to 1.0
 * (15.99999999999999999E reads as 15E there, 2^64 - 12 here).
 *
 * On top of that, gm_parse_ram_size() reads -m as QEMU's command line does.
 */
#include "base.h"

#include <ctype.h>

static unsigned unit_shift(char c)
{
    switch (toupper((unsigned char)c)) {
    case 'B': return 0;
    case 'K': return 10;
    case 'M': return 20;
    case 'G': return 30;
    case 'T': return 40;
    case 'P': return 50;
    case 'E': return 60;
    default: return ~0u;
    }
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * round(0.DIGITS * 2^@shift), half up, for the @n decimal digits at @d:
 * each doubling of the decimal fraction carries one bit out of its first
 * digit.  Exact for any number of digits.  *@out < 2^60 + 1.
 */
static bool fraction_bits(const char *d, size_t n, unsigned shift,
                          uint64_t *out)
{
    while (n && d[n - 1] == '0') {
        n--;
    }
    uint8_t *dig = malloc(n ? n : 1);
    if (!dig) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        dig[i] = (uint8_t)(d[i] - '0');
    }
    uint64_t bits = 0;
    for (unsigned b = 0; b < shift; b++) {
        unsigned carry = 0;
        for (size_t i = n; i-- > 0;) {
            unsigned v = dig[i] * 2u + carry;
            dig[i] = (uint8_t)(v % 10);
            carry = v / 10;
        }
        bits = bits << 1 | carry;
    }
    /* What is left is the fraction of a byte: round half up. */
    *out = bits + (n && dig[0] >= 5);
    free(dig);
    return true;
}

int gm_parse_size(const char *text, uint64_t *out, Error **errp)
{
    if (!text || !out || !*text) {
        return gm_error_setg(errp, GM_ERR_PARSE, "empty size");
    }
    const char *p = text;
    if (!isdigit((unsigned char)*p)) {
        return gm_error_setg(errp, GM_ERR_PARSE,
                             "size '%s' does not start with a digit", text);
    }
    uint64_t whole = 0;
    const char *frac = NULL;
    size_t nfrac = 0;
    bool hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
    if (hex) {
        p += 2;
        if (hex_digit(*p) < 0) {
            return gm_error_setg(errp, GM_ERR_PARSE,
                                 "size '%s': no hex digits after 0x", text);
        }
        for (int h; (h = hex_digit(*p)) >= 0; p++) {
            if (whole >> 60) {
                return gm_error_setg(errp, GM_ERR_PARSE,
                                     "size '%s' is too large (2^64 bytes or "
                                     "more)",
                                     text);
            }
            whole = whole << 4 | (uint64_t)h;
        }
        if (*p == '.') {
            return gm_error_setg(errp, GM_ERR_PARSE,
                                 "size '%s': a hex size takes no fraction",
                                 text);
        }
    } else {
        for (; isdigit((unsigned char)*p); p++) {
            unsigned d = (unsigned)(*p - '0');
            if (whole > (UINT64_MAX - d) / 10) {
                return gm_error_setg(errp, GM_ERR_PARSE,
                                     "size '%s' is too large (2^64 bytes or "
                                     "more)",
                                     text);
            }
            whole = whole * 10 + d;
        }
        if (*p == '.') {
            frac = ++p;
            while (isdigit((unsigned char)*p)) {
                p++;
            }
            nfrac = (size_t)(p - frac);
        }
    }
    unsigned shift = 0;
    if (*p) {
        shift = unit_shift(*p);
        if (shift == ~0u) {
            return gm_error_setg(errp, GM_ERR_PARSE,
                                 "size '%s': unknown unit '%s' (one of B, K, "
                                 "M, G, T, P, E)",
                                 text, p);
        }
        if (p[1]) {
            return gm_error_setg(errp, GM_ERR_PARSE,
                                 "size '%s': '%s' after the unit (write 1G, "
                                 "not 1GB or 1GiB)",
                                 text, p + 1);
        }
    }
    if (shift == 0 && nfrac && strspn(frac, "0") < nfrac) {
        return gm_error_setg(errp, GM_ERR_PARSE,
                             "size '%s': a fraction of a byte (a fraction "
                             "needs a unit: K, M, G, T, P or E)",
                             text);
    }
    uint64_t fbits = 0;
    if (nfrac && !fraction_bits(frac, nfrac, shift, &fbits)) {
        return gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
    }
    if ((shift && whole > (UINT64_MAX >> shift)) ||
        (whole << shift) > UINT64_MAX - fbits) {
        return gm_error_setg(errp, GM_ERR_PARSE,
                             "size '%s' is too large (2^64 bytes or more)",
                             text);
    }
    *out = (whole << shift) + fbits;
    return 0;
}

int gm_parse_ram_size(const char *text, uint64_t *out, Error **errp)
{
    if (!text || !out) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG, "-m: no size");
    }
    const char *v = text;
    if (!strncmp(v, "size=", 5)) {
        v += 5;
    }
    if (strchr(v, ',')) {
        return gm_error_setg(errp, GM_ERR_UNSUPPORTED,
                             "-m %s: only the size is supported (guestmem "
                             "has no memory hotplug: no slots=, maxmem=)",
                             text);
    }
    /* QEMU checks the text as a size in bytes first ("1.5" is refused
     * there: a fraction of a byte), then reads a number without a unit
     * as MiB. */
    uint64_t bytes;
    size_t n = strlen(v);
    bool hex = v[0] == '0' && (v[1] == 'x' || v[1] == 'X');
    if (n && !hex && isdigit((unsigned char)v[n - 1]) && strchr(v, '.') &&
        gm_parse_size(v, &bytes, NULL) == -GM_ERR_PARSE) {
        return gm_error_setg(errp, GM_ERR_PARSE,
                             "-m %s: a number without a unit is whole MiB "
                             "(QEMU 7.2 refuses a fraction there too: write "
                             "%sM)",
                             text, v);
    }
    int rc = gm_parse_size(v, &bytes, errp);
    if (rc) {
        error_prepend(errp, "-m: ");
        return rc;
    }
    if (!isdigit((unsigned char)v[n - 1])) {
        *out = bytes;
        return 0;
    }
    char *mib = gm__asprintf("%sM", v);
    if (!mib) {
        return gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
    }
    rc = gm_parse_size(mib, &bytes, NULL);
    free(mib);
    if (rc) {
        return gm_error_setg(errp, GM_ERR_PARSE,
                             "-m %s: %s MiB is 2^64 bytes or more (a number "
                             "without a unit is MiB)",
                             text, v);
    }
    *out = bytes;
    return 0;
}
