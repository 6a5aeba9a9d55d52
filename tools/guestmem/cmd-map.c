// SPDX-License-Identifier: MIT
/*
 * cmd-map.c - `guestmem map`: a picture of a model's memory map, as a
 * standalone SVG or one self-contained HTML page (inline SVG, a little CSS,
 * the ranges and their explanations as JSON, and map.js for hover, click
 * and zoom; nothing fetched).
 *
 * Each chosen address space is drawn as a vertical bar, its flat view from
 * address 0 down to the end of its root region, or only the window that
 * --range names.  Every flat range and every unassigned gap is a box.
 * Address maps span up to 2^64 bytes with MMIO ranges of a few bytes, so the
 * scale is not linear: a range's height grows with log2 of its size from a
 * minimum that fits one label line, and gaps grow more slowly, up to a cap,
 * with a break mark past 1 MiB.  The picture keeps order and the rough size
 * ratio; the labels carry the exact addresses.  docs/map.md shows one.
 *
 * Everything comes through the public API: address spaces by
 * gm_address_space_next(), ranges by gm_flatview_section(), what `guestmem
 * explain` says of each box's start (and the aliases a range is reached
 * through) from gm_explain_fprint(), and (HTML only) the region tree from
 * the `info mtree` text.  Region names come from imported dumps, so they
 * are hostile input: every byte of them goes through put_esc() (markup) or
 * put_json() (the page's data), which escape what could end the element and
 * replace what XML cannot carry; map.js writes them with textContent only.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#include "guestmem.h"

#define MAX_AS 16
/* Past this many boxes the explanations (and so the alias chains) are left
 * out: each one walks the tree, so a huge import would take quadratic time.
 * The page also keeps at most MAX_EXPLAIN_BYTES of explanation text. */
#define MAX_EXPLAINED 4096
#define MAX_EXPLAIN_BYTES (8u << 20)
/* Labels longer than this (in characters) are cut; the full text is in the
 * hover details. */
#define NAME_CUT 48
#define VIA_CUT 48

/* Geometry, in SVG user units (pixels). */
#define RANGE_MIN_H 16.0
#define RANGE_PER_DOUBLING 4.0
#define GAP_MIN_H 10.0
#define GAP_PER_DOUBLING 1.0
#define GAP_MAX_H 34.0
#define BREAK_FROM 20 /* log2: gaps larger than 1 MiB get a break mark */
#define BAR_W 90.0
#define LABEL_MAX_W 430.0
#define CHAR_W 6.7       /* monospace 11px */
#define LABEL_CHAR_W 5.8 /* sans-serif 11px, on average */
#define TOP 96.0

typedef struct Seg {
    uint64_t start, last;
    bool gap;
    bool ro;
    const char *name; /* owned by the region; valid while the model is */
    const char *kind; /* gm_memory_region_type() */
    uint64_t offset;  /* offset_within_region */
    char *via;        /* alias chain, malloc'd, or NULL */
    char *explain;    /* what `guestmem explain` prints (HTML), or NULL */
    bool explained;   /* gm_explain_fprint() was asked */
} Seg;

typedef struct Column {
    const char *name;
    AddressSpace *as;
    Seg *segs; /* the whole flat view, gaps included */
    size_t nr;
    uint64_t last;   /* the last address of the address space */
    uint64_t lo, hi; /* the window drawn (both included) */
    unsigned digits; /* hex digits of an address */
    double label_w;  /* room for the longest label */
    double height;   /* of the boxes in the window */
    double x0;       /* where the column starts */
} Column;

static void help(FILE *f)
{
    fputs(
        "usage: guestmem map (--svg | --html) [-o FILE] [--as NAME]... MODEL\n"
        "  MODEL as for `guestmem mtree` (--import ... or --machine ...);\n"
        "    -I and -F are short for --import and --import-flat\n"
        "  --svg       a standalone SVG picture of the flat views\n"
        "  --html      one self-contained HTML page: the picture, what\n"
        "              `guestmem explain` says of a range on hover or\n"
        "              click, zoom to any range, and the region tree\n"
        "  -o FILE     write to FILE (default: standard output)\n"
        "  --as NAME   the address space to draw; may be repeated\n"
        "              (default: \"memory\" and \"I/O\")\n"
        "  --range LO-HI  draw only the addresses LO to HI (both included,\n"
        "              e.g. 0xe0000-0xfffff); address spaces that end\n"
        "              below LO are left out\n"
        "  The scale is compressed: see docs/map.md.\n",
        f);
}

/* ---------------------------------------------------------------------- */
/* Escaping */

/* Length of the UTF-8 sequence at @s (at most @n bytes) if it is a
 * well-formed character that XML 1.0 allows, else 0. */
static size_t utf8_ok(const unsigned char *s, size_t n)
{
    uint32_t c;
    size_t len;
    if (s[0] < 0x80) {
        return s[0] >= 0x20 && s[0] != 0x7f ? 1 : 0;
    } else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        len = 2;
        c = s[0] & 0x1f;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        len = 3;
        c = s[0] & 0x0f;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        len = 4;
        c = s[0] & 0x07;
    } else {
        return 0;
    }
    if (len > n) {
        return 0;
    }
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        c = c << 6 | (s[i] & 0x3f);
    }
    /* Overlong forms, surrogates, beyond U+10FFFF, U+FFFE and U+FFFF. */
    if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
        (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff || c == 0xfffe ||
        c == 0xffff) {
        return 0;
    }
    return len;
}

/*
 * put_esc_nl: write @s as XML/HTML text or attribute value: the five markup
 * characters as entities, anything XML cannot carry (control characters,
 * malformed UTF-8) as U+FFFD, except newlines when @nl.  At most @cut
 * characters, then an ellipsis (0: no limit).
 */
static void put_esc_nl(FILE *f, const char *s, size_t cut, bool nl)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), chars = 0;
    while (n) {
        if (cut && chars == cut) {
            fputs("\xe2\x80\xa6", f);
            return;
        }
        size_t len = nl && *p == '\n' ? 1 : utf8_ok(p, n);
        chars++;
        if (!len) {
            fputs("\xef\xbf\xbd", f);
            p++;
            n--;
            continue;
        }
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fwrite(p, 1, len, f);
        }
        p += len;
        n -= len;
    }
}

static void put_esc(FILE *f, const char *s, size_t cut)
{
    put_esc_nl(f, s, cut, false);
}

/*
 * put_json: write @s as a JSON string inside a <script> element: what XML
 * cannot carry as U+FFFD (as put_esc() does, so that the page's text and
 * its data agree), newlines as \n, and <, >, & as \u escapes, so that
 * nothing in it can end the element or open a comment.
 */
static void put_json(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    fputc('"', f);
    while (n) {
        size_t len = *p == '\n' ? 1 : utf8_ok(p, n);
        if (!len) {
            fputs("\xef\xbf\xbd", f);
            p++;
            n--;
            continue;
        }
        switch (*p) {
        case '\n': fputs("\\n", f); break;
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '<': fputs("\\u003c", f); break;
        case '>': fputs("\\u003e", f); break;
        case '&': fputs("\\u0026", f); break;
        default:
            /* U+2028 and U+2029 end a line in older JavaScript. */
            if (len == 3 && p[0] == 0xe2 && p[1] == 0x80 &&
                (p[2] == 0xa8 || p[2] == 0xa9)) {
                fprintf(f, "\\u202%c", p[2] == 0xa8 ? '8' : '9');
            } else {
                fwrite(p, 1, len, f);
            }
        }
        p += len;
        n -= len;
    }
    fputc('"', f);
}

/* How many characters put_esc(@s, @cut) writes. */
static size_t chars_cut(const char *s, size_t cut)
{
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        chars += (*p & 0xc0) != 0x80;
    }
    return cut && chars > cut ? cut + 1 : chars;
}

/* ---------------------------------------------------------------------- */
/* Collecting the ranges */

/* The CSS class (and colour) of a kind as gm_memory_region_type() names it. */
static const char *kind_class(const char *kind)
{
    if (!strcmp(kind, "ram")) {
        return "ram";
    } else if (!strcmp(kind, "rom")) {
        return "rom";
    } else if (!strcmp(kind, "romd")) {
        return "romd";
    } else if (!strcmp(kind, "ramd")) {
        return "ramd";
    } else if (!strcmp(kind, "i/o")) {
        return "io";
    }
    return "other";
}

static int log2_size(uint64_t start, uint64_t last)
{
    uint64_t span = last - start; /* size - 1, so that 2^64 fits */
    int b = 0;
    while (span) {
        b++;
        span >>= 1;
    }
    return b;
}

/* The height of a box for @start..@last (map.js computes the same from the
 * page's "geom"). */
static double box_height(bool gap, uint64_t start, uint64_t last)
{
    int b = log2_size(start, last);
    if (gap) {
        double h = GAP_MIN_H + (b > 12 ? (b - 12) * GAP_PER_DOUBLING : 0);
        return h > GAP_MAX_H ? GAP_MAX_H : h;
    }
    return RANGE_MIN_H + (b > 12 ? (b - 12) * RANGE_PER_DOUBLING : 0);
}

/* What gm_explain_fprint() (`guestmem explain`) prints for @addr, malloc'd;
 * NULL when out of memory. */
static char *explain_text(AddressSpace *as, uint64_t addr)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        return NULL;
    }
    gm_explain_fprint(f, as, addr);
    if (fclose(f)) {
        free(text);
        return NULL;
    }
    return text;
}

/* The aliases a range is reached through, from the chain that @text (an
 * explanation) prints ("-> NAME (alias, prio N) START-LAST"), joined with
 * arrows; NULL if none. */
static char *alias_chain(const char *explanation)
{
    char *text = strdup(explanation), *via = NULL, *save = NULL;
    size_t vlen = 0;
    if (!text) {
        return NULL;
    }
    FILE *v = open_memstream(&via, &vlen);
    if (!v) {
        free(text);
        return NULL;
    }
    for (char *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        line += strspn(line, " ");
        if (strncmp(line, "-> ", 3)) {
            continue;
        }
        line += 3;
        /* The name may hold anything; the last " (" is the kind's. */
        char *paren = NULL;
        for (char *q = strstr(line, " ("); q; q = strstr(q + 1, " (")) {
            paren = q;
        }
        if (!paren || strncmp(paren, " (alias, ", 9)) {
            continue;
        }
        *paren = 0;
        fprintf(v, "%s%s", vlen ? " \xe2\x86\x92 " : "", line);
        fflush(v);
    }
    fclose(v);
    free(text);
    if (via && !*via) {
        free(via);
        via = NULL;
    }
    return via;
}

static bool push(Column *col, size_t *cap, const Seg *s)
{
    if (col->nr == *cap) {
        size_t n = *cap ? *cap * 2 : 64;
        Seg *p = realloc(col->segs, n * sizeof(*p));
        if (!p) {
            return false;
        }
        col->segs = p;
        *cap = n;
    }
    col->segs[col->nr++] = *s;
    return true;
}

static bool push_gap(Column *col, size_t *cap, uint64_t start, uint64_t last)
{
    Seg s = { .start = start, .last = last, .gap = true };
    return push(col, cap, &s);
}

static bool in_window(const Column *col, const Seg *s)
{
    return s->last >= col->lo && s->start <= col->hi;
}

/* Fills @col from the current flat view of @as, window 0 to its end.
 * Return: false on allocation failure. */
static bool collect(Column *col, AddressSpace *as)
{
    FlatView *fv = address_space_get_flatview(as);
    uint64_t end = as->root ? memory_region_size(as->root) : 0;
    size_t cap = 0;
    Int128 next = 0; /* first address not yet drawn */
    bool ok = true;
    unsigned n = gm_flatview_nr(fv);

    col->name = as->name ? as->name : "";
    col->as = as;
    col->digits = end == UINT64_MAX || end > (1ULL << 32) ? 16
                  : end > (1ULL << 16)                    ? 8
                                                          : 4;
    for (unsigned i = 0; ok && i < n; i++) {
        MemoryRegionSection sec;
        if (!gm_flatview_section(fv, i, &sec) || !sec.mr || sec.size <= 0) {
            continue;
        }
        Int128 start = sec.offset_within_address_space;
        if (start > next) {
            ok = push_gap(col, &cap, (uint64_t)next, (uint64_t)(start - 1));
        }
        Seg s = {
            .start = (uint64_t)start,
            .last = (uint64_t)(start + sec.size - 1),
            .ro = sec.readonly,
            .name = memory_region_name(sec.mr),
            .kind = gm_memory_region_type(sec.mr),
            .offset = sec.offset_within_region,
        };
        ok = ok && push(col, &cap, &s);
        next = start + sec.size;
    }
    /* The root's size is the end of the address space (UINT64_MAX: 2^64). */
    Int128 limit = end == UINT64_MAX ? (Int128)1 << 64 : (Int128)end;
    if (ok && next < limit) {
        ok = push_gap(col, &cap, (uint64_t)next, (uint64_t)(limit - 1));
    }
    flatview_unref(fv);
    col->last = limit ? (uint64_t)(limit - 1) : 0;
    col->lo = 0;
    col->hi = col->last;
    return ok;
}

/*
 * explain: what `guestmem explain` says of the start of each box of @col
 * (ranges only, unless @keep), while *@explained < MAX_EXPLAINED: the alias
 * chain of each range and, with @keep (the page), the whole text while
 * *@bytes stays within MAX_EXPLAIN_BYTES.  @window: the boxes in the
 * window, else the others.  Return: false on allocation failure.
 */
static bool explain(Column *col, bool keep, bool window, size_t *explained,
                    size_t *bytes)
{
    for (size_t i = 0; i < col->nr && *explained < MAX_EXPLAINED; i++) {
        Seg *s = &col->segs[i];
        if (s->explained || (s->gap && !keep) || in_window(col, s) != window) {
            continue;
        }
        char *text = explain_text(col->as, s->start);
        if (!text) {
            return false;
        }
        s->explained = true;
        ++*explained;
        if (!s->gap) {
            s->via = alias_chain(text);
        }
        size_t len = strlen(text);
        if (keep && *bytes + len <= MAX_EXPLAIN_BYTES) {
            s->explain = text;
            *bytes += len;
        } else {
            free(text);
        }
    }
    return true;
}

/* The window's height, and room for the longest label of the window (of
 * every box with @all: the page's script draws any window). */
static void measure(Column *col, bool all)
{
    col->height = 0;
    col->label_w = 120;
    for (size_t i = 0; i < col->nr; i++) {
        const Seg *s = &col->segs[i];
        bool in = in_window(col, s);
        if (in) {
            col->height +=
                box_height(s->gap, s->start > col->lo ? s->start : col->lo,
                           s->last < col->hi ? s->last : col->hi);
        }
        if (!s->gap && (in || all)) {
            /* "name @0xOFFSET kind read-only via ..." (bold name: +2) */
            size_t chars = chars_cut(s->name, NAME_CUT) + 2 +
                           (s->offset ? 19 : 0) + 1 + strlen(s->kind) +
                           (s->ro ? 10 : 0) +
                           (s->via ? 5 + chars_cut(s->via, VIA_CUT) : 0);
            double w = chars * LABEL_CHAR_W;
            col->label_w = w > col->label_w ? w : col->label_w;
        }
    }
    col->label_w = col->label_w > LABEL_MAX_W ? LABEL_MAX_W : col->label_w;
}

/* ---------------------------------------------------------------------- */
/* The picture */

static void put_size(FILE *f, uint64_t start, uint64_t last)
{
    static const char *const units[] = { "B",   "KiB", "MiB", "GiB",
                                         "TiB", "PiB", "EiB" };
    if (start == 0 && last == UINT64_MAX) {
        fputs("16 EiB", f);
        return;
    }
    uint64_t size = last - start + 1;
    unsigned u = 0;
    while (u < 6 && size >= 1024 && size % 1024 == 0) {
        size /= 1024;
        u++;
    }
    if (size >= 10240 && u < 6) {
        /* Not a round number: one decimal in the largest unit. */
        double d = (double)size;
        while (u < 6 && d >= 1024) {
            d /= 1024;
            u++;
        }
        fprintf(f, "%.1f %s", d, units[u]);
        return;
    }
    fprintf(f, "%" PRIu64 " %s", size, units[u]);
}

static void put_range(FILE *f, const Column *col, uint64_t start, uint64_t last)
{
    fprintf(f, "%0*" PRIx64 "-%0*" PRIx64, (int)col->digits, start,
            (int)col->digits, last);
}

/* The hover details of a box, as plain text (malloc'd; NULL when out of
 * memory): its whole range, its size, the region, offset, kind and chain. */
static char *details_text(const Column *col, const Seg *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        return NULL;
    }
    put_range(f, col, s->start, s->last);
    fputs(" (", f);
    put_size(f, s->start, s->last);
    fputs(")\n", f);
    if (s->gap) {
        fputs("unassigned", f);
    } else {
        fprintf(f, "%s @0x%" PRIx64 "\n%s%s", s->name, s->offset, s->kind,
                s->ro ? ", read-only" : "");
        if (s->via) {
            fprintf(f, "\nvia %s", s->via);
        }
    }
    if (fclose(f)) {
        free(text);
        return NULL;
    }
    return text;
}

static double column_width(const Column *col)
{
    return (2 * col->digits + 1) * CHAR_W + 16 + BAR_W + 8 + col->label_w;
}

static void put_break_mark(FILE *f, double x, double y)
{
    for (int k = -1; k <= 1; k += 2) {
        fprintf(f, "<path class=\"brk\" d=\"M%.1f %.1f", x - 4, y + k * 3);
        for (int i = 0; i < 10; i++) {
            fprintf(f, " l%.1f %d", (BAR_W + 8) / 10, i % 2 ? 4 : -4);
        }
        fputs("\"/>", f);
    }
    fputc('\n', f);
}

/* Where a column's addresses end (right-aligned), its bar starts and its
 * labels start. */
static double col_ax(const Column *col)
{
    return col->x0 + (2 * col->digits + 1) * CHAR_W + 8;
}

static double col_bx(const Column *col)
{
    return col_ax(col) + 8;
}

static double col_lx(const Column *col)
{
    return col_bx(col) + BAR_W + 8;
}

static bool windowed(const Column *col)
{
    return col->lo != 0 || col->hi != col->last;
}

/* The boxes of @col's window: each range and gap that meets it, cut to it.
 * data-start and data-last are the part drawn, data-i the box's index in
 * the page's data, the <title> is the whole range's details. */
static bool put_column(FILE *f, const Column *col, size_t index)
{
    double ax = col_ax(col), bx = col_bx(col), lx = col_lx(col), y = TOP;
    fprintf(f, "<g class=\"as\" data-col=\"%zu\" data-as=\"", index);
    put_esc(f, col->name, 0);
    fprintf(f,
            "\">\n<text class=\"ash\" x=\"%.1f\" y=\"%.1f\">"
            "address space: ",
            col->x0, TOP - 12);
    put_esc(f, col->name, NAME_CUT);
    fputs("<tspan class=\"win\">", f);
    if (windowed(col)) {
        fputs(", ", f);
        put_range(f, col, col->lo, col->hi);
    }
    fputs("</tspan></text>\n", f);
    for (size_t i = 0; i < col->nr; i++) {
        const Seg *s = &col->segs[i];
        if (!in_window(col, s)) {
            continue;
        }
        uint64_t start = s->start > col->lo ? s->start : col->lo;
        uint64_t last = s->last < col->hi ? s->last : col->hi;
        const char *cls = s->gap ? "gap" : kind_class(s->kind);
        double h = box_height(s->gap, start, last), ty = y + h / 2 + 4;
        char *details = details_text(col, s);
        if (!details) {
            return false;
        }
        fprintf(f,
                "<g class=\"seg %s%s\" tabindex=\"0\" data-i=\"%zu\" "
                "data-start=\"0x%" PRIx64 "\" data-last=\"0x%" PRIx64 "\"",
                cls, s->ro ? " ro" : "", i, start, last);
        if (!s->gap) {
            fputs(" data-name=\"", f);
            put_esc(f, s->name, 0);
            fprintf(f, "\" data-kind=\"%s\"", s->kind);
            if (s->via) {
                fputs(" data-via=\"", f);
                put_esc(f, s->via, 0);
                fputc('"', f);
            }
        }
        fputs("><title>", f);
        put_esc_nl(f, details, 0, true);
        free(details);
        fprintf(f,
                "</title>\n<rect class=\"box\" x=\"%.1f\" y=\"%.1f\" "
                "width=\"%.1f\" height=\"%.1f\"/>",
                bx, y, BAR_W, h);
        if (s->ro) {
            fprintf(f,
                    "<rect class=\"hatch\" x=\"%.1f\" y=\"%.1f\" "
                    "width=\"%.1f\" height=\"%.1f\"/>",
                    bx, y, BAR_W, h);
        }
        fprintf(f, "\n<text class=\"addr\" x=\"%.1f\" y=\"%.1f\">", ax, ty);
        put_range(f, col, start, last);
        fprintf(f, "</text>\n<text class=\"lbl\" x=\"%.1f\" y=\"%.1f\">", lx,
                ty);
        if (s->gap) {
            fputs("<tspan class=\"k\">unassigned</tspan>", f);
        } else {
            fputs("<tspan class=\"n\">", f);
            put_esc(f, s->name, NAME_CUT);
            fputs("</tspan>", f);
            if (s->offset) {
                fprintf(f, " @0x%" PRIx64, s->offset);
            }
            fprintf(f, " <tspan class=\"k\">%s%s</tspan>", s->kind,
                    s->ro && strcmp(s->kind, "rom") ? " read-only" : "");
            if (s->via) {
                fputs(" <tspan class=\"v\">via ", f);
                put_esc(f, s->via, VIA_CUT);
                fputs("</tspan>", f);
            }
        }
        fputs("</text>\n", f);
        if (s->gap && log2_size(start, last) > BREAK_FROM) {
            put_break_mark(f, bx, y + h / 2);
        }
        fputs("</g>\n", f);
        y += h;
    }
    fputs("</g>\n", f);
    return true;
}

/* Colours by kind; the hatching marks read-only ranges. */
static const char svg_style[] =
    "text{font-family:sans-serif;font-size:11px;fill:#222}\n"
    ".title{font-size:16px;font-weight:bold}\n"
    ".ash{font-size:13px;font-weight:bold}\n"
    ".addr{font-family:monospace;text-anchor:end}\n"
    ".n{font-weight:bold}.k{fill:#555;font-style:italic}.v{fill:#666}\n"
    ".box{stroke:#333;stroke-width:0.6}\n"
    ".ram .box{fill:#7cc47c}.rom .box{fill:#6fa8dc}"
    ".romd .box{fill:#b48ad8}.ramd .box{fill:#c5e17a}"
    ".io .box{fill:#f6b26b}.other .box{fill:#cccccc}\n"
    ".gap .box{fill:#f4f4f4;stroke:#aaa;stroke-dasharray:3 2}\n"
    ".hatch{fill:url(#gm-ro);stroke:none;pointer-events:none}\n"
    ".brk{fill:none;stroke:#777;stroke-width:1.2}\n"
    ".seg:hover .box,.seg:focus .box{stroke:#000;stroke-width:2}\n"
    ".seg.pin .box{stroke:#c00;stroke-width:2.5}\n"
    ".win{font-family:monospace;font-size:11px;font-weight:normal}\n"
    ".sel{fill:#36c;fill-opacity:0.15;stroke:#36c}\n";

static void put_legend(FILE *f, double y)
{
    static const struct {
        const char *cls, *text;
        bool ro;
    } items[] = {
        { "ram", "RAM", false },         { "rom", "ROM", false },
        { "romd", "ROM device", false }, { "ramd", "RAM device", false },
        { "io", "MMIO / I/O", false },   { "gap", "unassigned", false },
        { "ram ro", "read-only", true },
    };
    double x = 16;
    for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
        fprintf(f,
                "<g class=\"legend %s\"><rect class=\"box\" x=\"%.1f\" "
                "y=\"%.1f\" width=\"22\" height=\"12\"/>",
                items[i].cls, x, y);
        if (items[i].ro) {
            fprintf(f,
                    "<rect class=\"hatch\" x=\"%.1f\" y=\"%.1f\" "
                    "width=\"22\" height=\"12\"/>",
                    x, y);
        }
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">%s</text></g>\n", x + 28,
                y + 10, items[i].text);
        x += 40 + 7 * strlen(items[i].text);
    }
}

/* Places the columns side by side; the picture's width. */
static double place(Column *cols, size_t n)
{
    double w = 16;
    for (size_t i = 0; i < n; i++) {
        cols[i].x0 = w;
        w += column_width(&cols[i]) + 32;
    }
    return w < 760 ? 760 : w;
}

static bool put_svg(FILE *f, Column *cols, size_t n, const char *title)
{
    double w = place(cols, n), h = 0;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        h = cols[i].height > h ? cols[i].height : h;
    }
    h += TOP + 24;
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
            "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" class=\"gm-map\">\n",
            w, h, w, h);
    fprintf(f, "<style>\n%s</style>\n", svg_style);
    fputs("<defs><pattern id=\"gm-ro\" width=\"6\" height=\"6\" "
          "patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
          "<rect width=\"2\" height=\"6\" fill=\"#000\" fill-opacity=\"0.3\"/>"
          "</pattern></defs>\n",
          f);
    fprintf(f,
            "<rect class=\"bg\" width=\"%.0f\" height=\"%.0f\" "
            "fill=\"#fff\"/>\n",
            w, h);
    fputs("<text class=\"title\" x=\"16\" y=\"26\">", f);
    put_esc(f, title, 0);
    fputs("</text>\n", f);
    put_legend(f, 40);
    for (size_t i = 0; ok && i < n; i++) {
        ok = put_column(f, &cols[i], i);
    }
    fputs("</svg>\n", f);
    return ok;
}

/* ---------------------------------------------------------------------- */
/* The region tree (HTML), from the `info mtree` text */

typedef struct TreeLine {
    size_t indent;
    const char *range; /* "START-LAST", or NULL if the line did not parse */
    const char *kind;
    const char *prio;
    const char *label;
} TreeLine;

/* Splits a region line of `info mtree` in place:
 * "  START-LAST (prio P, KIND): LABEL". */
static void parse_tree_line(char *line, TreeLine *t)
{
    memset(t, 0, sizeof(*t));
    t->indent = strspn(line, " ");
    t->label = line + t->indent;
    char *p = line + t->indent;
    char *sp = strchr(p, ' ');
    if (!sp || strncmp(sp, " (prio ", 7)) {
        return;
    }
    char *comma = strchr(sp + 7, ',');
    char *close = comma ? strstr(comma, "): ") : NULL;
    if (!close || comma[1] != ' ') {
        return;
    }
    *sp = *comma = *close = 0;
    t->range = p;
    t->prio = sp + 7;
    t->kind = comma + 2;
    t->label = close + 3;
}

static const char *tree_class(const TreeLine *t, bool has_children)
{
    if (!t->range) {
        return "other";
    }
    if (has_children && !strcmp(t->kind, "i/o") &&
        strncmp(t->label, "alias ", 6)) {
        return "cont";
    }
    return kind_class(t->kind);
}

/* One block of region lines as nested lists, by indentation. */
static void put_tree_block(FILE *f, const TreeLine *lines, size_t n)
{
    size_t *ind = calloc(n + 1, sizeof(*ind));
    size_t depth = 0;
    if (!ind) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const TreeLine *t = &lines[i];
        bool kids = i + 1 < n && lines[i + 1].indent > t->indent;
        /* Close the lists deeper than this line; then it is a sibling of
         * the last item, or starts a list inside it (`info mtree` indents
         * the children of hidden regions deeper than one step). */
        while (depth && ind[depth - 1] > t->indent) {
            fputs("</li></ul>\n", f);
            depth--;
        }
        if (depth == 0 || ind[depth - 1] < t->indent) {
            fputs(depth ? "\n<ul>" : "<ul class=\"mt\">", f);
            ind[depth++] = t->indent;
        } else {
            fputs("</li>\n", f);
        }
        fprintf(f, "<li class=\"t-%s\"><span class=\"sw\"></span>",
                tree_class(t, kids));
        if (t->range) {
            fputs("<code>", f);
            put_esc(f, t->range, 0);
            fputs("</code> ", f);
        }
        put_esc(f, t->label, 0);
        if (t->range) {
            fputs(" <i>(", f);
            put_esc(f, t->kind, 0);
            fputs(", prio ", f);
            put_esc(f, t->prio, 0);
            fputs(")</i>", f);
        }
    }
    while (depth--) {
        fputs("</li></ul>\n", f);
    }
    free(ind);
}

static bool chosen(const Column *cols, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(cols[i].name, name)) {
            return true;
        }
    }
    return false;
}

/*
 * The tree of each chosen address space, then the alias targets that QEMU
 * prints outside them ("memory-region:" blocks).  Address spaces with one
 * root share a block, headed by all their names, as `info mtree` prints.
 * Return: false if the text could not be had.
 */
static bool put_tree(FILE *f, const Model *m, const Column *cols, size_t n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *t = open_memstream(&text, &len);
    if (!t) {
        return false;
    }
    if (m->imp) {
        Error *err = NULL;
        if (gm_mtree_import_fprint(t, m->imp, false, false, false, false,
                                   &err)) {
            error_free(err);
        }
    } else {
        gm_mtree_fprint(t, false, false, false, false);
    }
    fclose(t);

    /* At most one line per byte pair of text; blocks are cut at blank
     * lines and headers. */
    TreeLine *lines = malloc((len / 2 + 1) * sizeof(*lines));
    if (!lines) {
        free(text);
        return false;
    }
    /* The headers of the current group of address spaces. */
    const char **heads = malloc((len / 2 + 1) * sizeof(*heads));
    if (!heads) {
        free(lines);
        free(text);
        return false;
    }
    fputs("<section class=\"tree\"><h2>Region tree</h2>\n", f);
    bool targets = false, show = false;
    size_t nl = 0, nh = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save);;
         line = strtok_r(NULL, "\n", &save)) {
        bool as_head = line && !strncmp(line, "address-space: ", 15);
        bool mr_head = line && !strncmp(line, "memory-region: ", 15);
        if (!line || as_head || mr_head) {
            if (nl && show) {
                put_tree_block(f, lines, nl);
            }
            if (nl || mr_head) {
                nh = 0;
            }
            nl = 0;
        }
        if (!line) {
            break;
        }
        if (as_head) {
            heads[nh++] = line + 15;
            continue;
        }
        if (mr_head) {
            if (!targets) {
                fputs("<details><summary>Alias targets outside the "
                      "address spaces</summary>\n",
                      f);
                targets = true;
            }
            fputs("<h4>memory-region: ", f);
            put_esc(f, line + 15, 0);
            fputs("</h4>\n", f);
            show = true;
            continue;
        }
        if (nl == 0 && nh) {
            /* The first line under a group of headers: shown if any of
             * them was chosen, headed by all of them. */
            show = false;
            for (size_t i = 0; i < nh; i++) {
                show = show || chosen(cols, n, heads[i]);
            }
            if (show) {
                fputs("<h3>address space: ", f);
                for (size_t i = 0; i < nh; i++) {
                    fputs(i ? ", " : "", f);
                    put_esc(f, heads[i], 0);
                }
                fputs("</h3>\n", f);
            }
        }
        parse_tree_line(line, &lines[nl++]);
    }
    if (targets) {
        fputs("</details>\n", f);
    }
    fputs("</section>\n", f);
    free(heads);
    free(lines);
    free(text);
    return true;
}

/* ---------------------------------------------------------------------- */
/* The HTML page */

static const char html_style[] =
    "body{font-family:sans-serif;margin:16px;color:#222}\n"
    ".wrap{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}\n"
    ".pic{flex:none}\n"
    ".side{flex:1;min-width:360px}\n"
    "#zoom{font-size:13px;margin:0 0 4px 16px}\n"
    "#zoom input{font-family:monospace;width:15em}\n"
    "#z-msg{color:#a00;margin-left:8px}\n"
    ".hint{font-size:12px;color:#555;margin:0 0 0 16px;max-width:60em}\n"
    "#panel{position:sticky;top:0;background:#fffbe6;border:1px solid "
    "#d8c77a;padding:6px 10px;max-height:60vh;overflow:auto}\n"
    "#detail,#explain{white-space:pre-wrap;font-family:monospace;"
    "font-size:12px;margin:0}\n"
    "#detail{min-height:4.5em}\n"
    "#explain{border-top:1px solid #d8c77a;margin-top:6px;padding-top:6px}"
    "#explain:empty{display:none}\n"
    ".tree{font-size:12px}.tree code{font-size:11px}\n"
    "ul.mt,ul.mt ul{list-style:none;margin:0;padding-left:16px}\n"
    "ul.mt li{white-space:nowrap}.side{overflow-x:auto}\n"
    "ul.mt ul{border-left:1px dotted #999}\n"
    ".sw{display:inline-block;width:10px;height:10px;margin-right:4px;"
    "border:1px solid #333;vertical-align:middle}\n"
    ".t-ram>.sw{background:#7cc47c}.t-rom>.sw{background:#6fa8dc}"
    ".t-romd>.sw{background:#b48ad8}.t-ramd>.sw{background:#c5e17a}"
    ".t-io>.sw{background:#f6b26b}.t-other>.sw{background:#ccc}"
    ".t-cont>.sw{background:#fff;border-style:dashed}\n";

/* map.js (tools/guestmem/map.js), by scripts/bin2c.py. */
extern const unsigned char gm_map_js[];
extern const unsigned int gm_map_js_size;

static void put_hex_json(FILE *f, const char *key, uint64_t v)
{
    fprintf(f, "\"%s\":\"%" PRIx64 "\"", key, v);
}

/*
 * The page's data, for map.js: the geometry of the picture, and each
 * column's boxes (the whole flat view, gaps included, whatever the window)
 * with their details and, for the first ones, what `guestmem explain`
 * says of their start.  Return: false when out of memory.
 */
static bool put_data(FILE *f, const Column *cols, size_t n, size_t boxes,
                     size_t explained)
{
    fprintf(f,
            "{\"geom\":{\"top\":%.1f,\"barW\":%.1f,\"rangeMin\":%.1f,"
            "\"rangePer\":%.1f,\"gapMin\":%.1f,\"gapPer\":%.1f,"
            "\"gapMax\":%.1f,\"breakFrom\":%d,\"nameCut\":%d,\"viaCut\":%d},\n"
            "\"boxes\":%zu,\"explained\":%zu,\n\"cols\":[",
            TOP, BAR_W, RANGE_MIN_H, RANGE_PER_DOUBLING, GAP_MIN_H,
            GAP_PER_DOUBLING, GAP_MAX_H, BREAK_FROM, NAME_CUT, VIA_CUT, boxes,
            explained);
    for (size_t c = 0; c < n; c++) {
        const Column *col = &cols[c];
        fputs(c ? ",\n{\"name\":" : "\n{\"name\":", f);
        put_json(f, col->name);
        fprintf(f, ",\"digits\":%u,", col->digits);
        put_hex_json(f, "last", col->last);
        fputc(',', f);
        put_hex_json(f, "lo", col->lo);
        fputc(',', f);
        put_hex_json(f, "hi", col->hi);
        fprintf(f, ",\"ax\":%.1f,\"bx\":%.1f,\"lx\":%.1f,\"segs\":[\n",
                col_ax(col), col_bx(col), col_lx(col));
        for (size_t i = 0; i < col->nr; i++) {
            const Seg *s = &col->segs[i];
            char *details = details_text(col, s);
            if (!details) {
                return false;
            }
            fputs(i ? ",\n{" : "{", f);
            put_hex_json(f, "s", s->start);
            fputc(',', f);
            put_hex_json(f, "l", s->last);
            fprintf(f, ",\"c\":\"%s\"", s->gap ? "gap" : kind_class(s->kind));
            if (!s->gap) {
                fprintf(f, ",\"k\":\"%s\",\"ro\":%d,\"n\":", s->kind, s->ro);
                put_json(f, s->name);
                fputc(',', f);
                put_hex_json(f, "o", s->offset);
                if (s->via) {
                    fputs(",\"v\":", f);
                    put_json(f, s->via);
                }
            }
            fputs(",\"d\":", f);
            put_json(f, details);
            free(details);
            if (s->explain) {
                fputs(",\"x\":", f);
                put_json(f, s->explain);
            }
            fputc('}', f);
        }
        fputs("]}", f);
    }
    fputs("]}\n", f);
    return true;
}

static bool put_html(FILE *f, const Model *m, Column *cols, size_t n,
                     const char *title)
{
    size_t boxes = 0, explained = 0;
    for (size_t c = 0; c < n; c++) {
        boxes += cols[c].nr;
        for (size_t i = 0; i < cols[c].nr; i++) {
            explained += cols[c].segs[i].explain != NULL;
        }
    }
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "\n<title>",
          f);
    put_esc(f, title, 0);
    fprintf(f, "</title>\n<style>\n%s</style></head>\n<body>\n", html_style);
    fputs("<div class=\"wrap\"><div class=\"pic\">\n"
          "<form id=\"zoom\" autocomplete=\"off\"><label>Zoom "
          "<select id=\"z-as\"></select></label> "
          "<label>from <input id=\"z-lo\" spellcheck=\"false\"></label> "
          "<label>to <input id=\"z-hi\" spellcheck=\"false\"></label> "
          "<button type=\"submit\" id=\"z-go\">Zoom</button> "
          "<button type=\"button\" id=\"z-reset\">Reset</button>"
          "<span id=\"z-msg\"></span></form>\n"
          "<p class=\"hint\">Point at a range for what <code>guestmem "
          "explain</code> says of its first address; click it to keep that. "
          "Zoom: give the first and last address (hex), drag along a bar, "
          "turn the wheel over a bar, or double-click a range.",
          f);
    if (explained < boxes) {
        fprintf(f,
                " The explanations of %zu of the %zu boxes are in the page "
                "(at most %d, %u MiB); <code>guestmem explain</code> gives "
                "the others.",
                explained, boxes, MAX_EXPLAINED, MAX_EXPLAIN_BYTES >> 20);
    }
    fputs("</p>\n", f);
    bool ok = put_svg(f, cols, n, title);
    fputs("</div>\n<div class=\"side\"><div id=\"panel\"><div id=\"detail\">"
          "Point at a range for its details.</div><pre id=\"explain\"></pre>"
          "</div>\n",
          f);
    ok = put_tree(f, m, cols, n) && ok;
    fputs("</div></div>\n<script type=\"application/json\" id=\"gm-data\">", f);
    ok = ok && put_data(f, cols, n, boxes, explained);
    fputs("</script>\n<script>\n", f);
    fwrite(gm_map_js, 1, gm_map_js_size, f);
    fputs("</script>\n</body></html>\n", f);
    return ok;
}

/* ---------------------------------------------------------------------- */

enum {
    OPT_SVG = 256,
    OPT_HTML,
    OPT_RANGE
};

static bool write_out(const char *path, const char *buf, size_t len)
{
    FILE *f = path ? fopen(path, "w") : stdout;
    if (!f) {
        tool_error("map", "%s: %s", path, strerror(errno));
        return false;
    }
    bool ok = fwrite(buf, 1, len, f) == len;
    if (path) {
        ok = fclose(f) == 0 && ok;
    } else {
        ok = fflush(stdout) == 0 && ok;
    }
    if (!ok) {
        tool_error("map", "%s: %s", path ? path : "standard output",
                   strerror(errno));
    }
    return ok;
}

/* Parses --range's LO-HI (each as gm_parse_size() takes it: 0x..., decimal,
 * K/M/G suffixes).  Return: false if it does not parse or LO > HI. */
static bool parse_window(const char *arg, uint64_t *lo, uint64_t *hi)
{
    const char *dash = strchr(arg, '-');
    Error *err = NULL;
    if (!dash || dash == arg || !dash[1] || dash - arg > 63) {
        return false;
    }
    char first[64];
    memcpy(first, arg, dash - arg);
    first[dash - arg] = 0;
    if (gm_parse_size(first, lo, &err) || gm_parse_size(dash + 1, hi, &err)) {
        error_free(err);
        return false;
    }
    return *lo <= *hi;
}

int cmd_map(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "svg", no_argument, NULL, OPT_SVG },
        { "html", no_argument, NULL, OPT_HTML },
        { "output", required_argument, NULL, 'o' },
        { "as", required_argument, NULL, 'A' },
        { "range", required_argument, NULL, OPT_RANGE },
        MODEL_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
    };
    ModelOpts mo = { 0 };
    const char *names[MAX_AS], *out = NULL;
    size_t nnames = 0;
    bool svg = false, html = false, window = false;
    uint64_t lo = 0, hi = UINT64_MAX;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":ho:I:F:" MODEL_SHORT_OPTIONS,
                            longopts, NULL)) != -1) {
        switch (c) {
        case 'h': help(stdout); return 0;
        case OPT_SVG: svg = true; break;
        case OPT_HTML: html = true; break;
        case 'o': out = optarg; break;
        case 'A':
            if (nnames == MAX_AS) {
                return tool_usage("map", "at most %d --as", MAX_AS);
            }
            names[nnames++] = optarg;
            break;
        case OPT_RANGE:
            if (!parse_window(optarg, &lo, &hi)) {
                return tool_usage("map",
                                  "bad --range '%s': give LO-HI, LO <= HI "
                                  "(e.g. 0xe0000-0xfffff)",
                                  optarg);
            }
            window = true;
            break;
        default:
            if (!model_opt(&mo, c, optarg)) {
                return tool_bad_option("map", c, argv);
            }
        }
    }
    if (optind != argc) {
        return tool_usage("map", "unexpected argument '%s'", argv[optind]);
    }
    if (svg == html) {
        return tool_usage("map", "give one of --svg and --html");
    }
    Model m;
    int rc = model_open(&mo, &m);
    if (rc) {
        return rc;
    }

    /* The address spaces: those asked for, or "memory" and "I/O". */
    AddressSpace *spaces[MAX_AS];
    size_t n = 0;
    rc = 1;
    if (nnames) {
        for (size_t i = 0; i < nnames; i++) {
            spaces[n] = gm_address_space_find(names[i]);
            if (!spaces[n++]) {
                tool_error("map",
                           "no address space '%s' (see `guestmem "
                           "mtree`)",
                           names[i]);
                model_free(&m);
                return 1;
            }
        }
    } else {
        static const char *const defaults[] = { "memory", "I/O" };
        for (size_t i = 0; i < 2; i++) {
            AddressSpace *as = gm_address_space_find(defaults[i]);
            if (as) {
                spaces[n++] = as;
            }
        }
        if (!n) {
            tool_error("map", "no address space \"memory\" or \"I/O\"; "
                              "choose one with --as");
            model_free(&m);
            return 1;
        }
    }

    Column cols[MAX_AS];
    size_t explained = 0, bytes = 0, drawn = 0;
    bool ok = true;
    memset(cols, 0, sizeof(cols));
    for (size_t i = 0; ok && i < n; i++) {
        ok = collect(&cols[drawn], spaces[i]);
        if (!ok) {
            drawn++; /* freed below */
            break;
        }
        /* With --range, the address spaces that end below it are left
         * out. */
        if (window && cols[drawn].last < lo) {
            free(cols[drawn].segs);
            memset(&cols[drawn], 0, sizeof(cols[drawn]));
            continue;
        }
        cols[drawn].lo = lo;
        cols[drawn].hi = hi < cols[drawn].last ? hi : cols[drawn].last;
        drawn++;
    }
    if (ok && !drawn) {
        tool_error("map",
                   "no address space drawn reaches 0x%" PRIx64 " (--range)",
                   lo);
        free(cols[0].segs);
        model_free(&m);
        return 1;
    }
    n = drawn;
    /* The boxes in the windows first, then (the page, which zooms out) the
     * others; each column's label room as the page's script needs it. */
    for (size_t i = 0; ok && i < n; i++) {
        ok = explain(&cols[i], html, true, &explained, &bytes);
    }
    for (size_t i = 0; ok && html && i < n; i++) {
        ok = explain(&cols[i], html, false, &explained, &bytes);
    }
    for (size_t i = 0; ok && i < n; i++) {
        measure(&cols[i], html);
    }

    char title[256];
    if (mo.import) {
        const char *base = strrchr(mo.import, '/');
        snprintf(title, sizeof(title), "guestmem map: %s",
                 base ? base + 1 : mo.import);
    } else {
        snprintf(title, sizeof(title), "guestmem map: %s, -m %s", mo.machine,
                 mo.mem ? mo.mem : "128M");
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = ok ? open_memstream(&buf, &len) : NULL;
    if (f) {
        if (svg) {
            fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
            ok = put_svg(f, cols, n, title);
        } else {
            ok = put_html(f, &m, cols, n, title);
        }
        ok = fclose(f) == 0 && ok;
    } else {
        ok = false;
    }
    if (!ok) {
        tool_error("map", "out of memory");
    } else if (write_out(out, buf, len)) {
        rc = 0;
    }
    free(buf);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < cols[i].nr; j++) {
            free(cols[i].segs[j].via);
            free(cols[i].segs[j].explain);
        }
        free(cols[i].segs);
    }
    model_free(&m);
    return rc;
}
