// SPDX-License-Identifier: MIT
/*
 * mtree-print.c - `info mtree`, in QEMU 7.2's format.
 *
 * The tree form prints one group per distinct root (the names of the address
 * spaces sharing it sorted by strcmp, as QEMU sorts them), then one
 * "memory-region:" group for every region that some alias points at, in the
 * order the aliases were met (the list grows while it is printed, so targets
 * met inside those groups are printed too).  Siblings print by address, then
 * higher priority first, then in list order (newest first among equals).
 * A disabled region is skipped unless `disabled`, but its children are
 * printed all the same, one level deeper.  A region whose window wraps past
 * 2^64 gets QEMU's "[DETECTED OVERFLOW!] " before its indentation, even when
 * it is hidden (QEMU prints the marker before deciding to show the line).
 *
 * The flat form prints one block per FlatView with every address space that
 * uses it.  QEMU orders groups and blocks by hash-table iteration, which
 * carries no meaning; guestmem uses creation order, except for an import of
 * an `info mtree -f` dump, whose order is kept (see mtree-internal.h).
 *
 * Trees can be as deep and as wide as a caller makes them: the walk keeps
 * its own stack on the heap, siblings are sorted in O(n log n), and every
 * "seen" set is a hash map, so printing is O(n log n) in the regions and
 * address spaces, with no recursion.
 *
 * The second half reads the format back, for the importer: the grammar of
 * a line (owners, overflow markers, CRLF), the -f form (parsed, checked
 * against rendered views, distilled into flat_hint.py's facts), and a
 * print compared with a dump line by line.
 */
#define _GNU_SOURCE
#include "mtree-internal.h"
#include "state.h"
#include "view.h"

#include <ctype.h>

/* A child to print, with its position in the sibling list (the sort is
 * stable on it, as QEMU's insertion into its print queue is). */
typedef struct Kid {
    const MemoryRegion *mr;
    size_t idx;
} Kid;

typedef struct KidVec {
    Kid *v;
    size_t n, cap;
} KidVec;

static bool kid_push(KidVec *k, const MemoryRegion *mr, size_t idx)
{
    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 64;
        Kid *v = realloc(k->v, cap * sizeof(*v));
        if (!v) {
            return false; /* printing is best effort under memory pressure */
        }
        k->v = v;
        k->cap = cap;
    }
    k->v[k->n++] = (Kid){ mr, idx };
    return true;
}

/* By address, then higher priority first, then list order. */
static int kid_cmp(const void *a, const void *b)
{
    const Kid *x = a, *y = b;
    if (x->mr->addr != y->mr->addr) {
        return x->mr->addr < y->mr->addr ? -1 : 1;
    }
    if (x->mr->priority != y->mr->priority) {
        return x->mr->priority > y->mr->priority ? -1 : 1;
    }
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

#define SPACES16 "                "
#define SPACES64 SPACES16 SPACES16 SPACES16 SPACES16

/* QEMU's MR_SIZE: the size minus one, 0 for an empty region (64 bits). */
static uint64_t mr_size_m1(Int128 size)
{
    return size == 0 ? 0 : (uint64_t)(size - 1);
}

typedef struct PrintCtx {
    FILE *f;
    const GmMtreeImport *imp;
    bool owner;
    bool disabled;
    /* Alias targets to print as "memory-region:" groups, in the order met. */
    const MemoryRegion **aliases;
    size_t naliases, cap_aliases;
    GmPtrMap alias_seen;
    KidVec kids; /* the children of every region on the walk's stack */
} PrintCtx;

static void print_owner(PrintCtx *ctx, const MemoryRegion *mr)
{
    FILE *f = ctx->f;
    const char *text = gm__import_owner(ctx->imp, mr);
    if (text) {
        fputs(text, f);
    } else if (!mr->owner) {
        fputs(" orphan", f);
    } else {
        fprintf(f, " owner:{%s path=%s}",
                gm_object_is_device(mr->owner) ? "dev" : "obj",
                gm_object_path(mr->owner));
    }
}

static void queue_alias(PrintCtx *ctx, const MemoryRegion *target)
{
    if (gm__ptrmap_get(&ctx->alias_seen, target, NULL)) {
        return;
    }
    if (ctx->naliases == ctx->cap_aliases) {
        size_t cap = ctx->cap_aliases ? 2 * ctx->cap_aliases : 16;
        const MemoryRegion **v = realloc(ctx->aliases, cap * sizeof(*v));
        if (!v) {
            return;
        }
        ctx->aliases = v;
        ctx->cap_aliases = cap;
    }
    if (gm__ptrmap_put(&ctx->alias_seen, target, ctx->naliases)) {
        ctx->aliases[ctx->naliases++] = target;
    }
}

/* Appends "%016" PRIx64 of @v at @p (printf is the bulk of printing a
 * wide tree otherwise). */
static char *put_hex16(char *p, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--) {
        p[i] = digits[v & 15];
        v >>= 4;
    }
    return p + 16;
}

/* "START-END (prio P, KIND): " */
static void put_range(FILE *f, hwaddr start, hwaddr end, int prio, bool nv,
                      const char *kind)
{
    char buf[96], *p = buf;
    p = put_hex16(p, start);
    *p++ = '-';
    p = put_hex16(p, end);
    p += snprintf(p, 40, " (prio %d, %s", prio, nv ? "nv-" : "");
    size_t k = strlen(kind);
    memcpy(p, kind, k);
    p += k;
    memcpy(p, "): ", 3);
    p += 3;
    fwrite(buf, 1, (size_t)(p - buf), f);
}

/* Prints the line of @mr (in a container whose window starts at @base) as
 * QEMU's mtree_print_mr does; returns the start of @mr's window. */
static hwaddr print_line(PrintCtx *ctx, const MemoryRegion *mr, size_t level,
                         hwaddr base)
{
    FILE *f = ctx->f;
    hwaddr start = base + mr->addr;
    hwaddr end = start + mr_size_m1(mr->size);

    if (start < base || end < start) {
        fputs("[DETECTED OVERFLOW!] ", f);
    }
    if (mr->alias) {
        queue_alias(ctx, mr->alias);
    }
    if (!mr->enabled && !ctx->disabled) {
        return start;
    }
    /* Two spaces a level: a tree n deep prints O(n^2) of them. */
    static const char spaces[] = SPACES64 SPACES64 SPACES64 SPACES64;
    for (size_t n = 2 * level; n;) {
        size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
        fwrite(spaces, 1, k, f);
        n -= k;
    }
    put_range(f, start, end, mr->priority, mr->nonvolatile,
              gm_memory_region_type(mr));
    if (mr->alias) {
        char buf[40];
        fputs("alias ", f);
        fputs(memory_region_name(mr), f);
        fputs(" @", f);
        fputs(memory_region_name(mr->alias), f);
        buf[0] = ' ';
        put_hex16(buf + 1, mr->alias_offset);
        buf[17] = '-';
        put_hex16(buf + 18, mr->alias_offset + mr_size_m1(mr->size));
        fwrite(buf, 1, 34, f);
    } else {
        fputs(memory_region_name(mr), f);
    }
    if (!mr->enabled) {
        fputs(" [disabled]", f);
    }
    if (ctx->owner) {
        print_owner(ctx, mr);
    }
    fputc('\n', f);
    return start;
}

/* Appends @mr's children to ctx->kids in print order. */
static void collect_kids(PrintCtx *ctx, const MemoryRegion *mr)
{
    size_t begin = ctx->kids.n, idx = 0;
    bool sorted = true;
    for (const MemoryRegion *c = mr->subregions; c; c = c->sibling_next) {
        if (!kid_push(&ctx->kids, c, idx++)) {
            break;
        }
        size_t n = ctx->kids.n;
        if (n - begin > 1 &&
            kid_cmp(&ctx->kids.v[n - 2], &ctx->kids.v[n - 1]) > 0) {
            sorted = false;
        }
    }
    if (!sorted) {
        qsort(ctx->kids.v + begin, ctx->kids.n - begin, sizeof(Kid), kid_cmp);
    }
}

typedef struct Frame {
    size_t level;
    hwaddr start;            /* the window start of the region */
    size_t begin, next, end; /* its children: ctx->kids.v[begin..end) */
} Frame;

/* Prints @root at level 1 and everything under it, depth first, with an
 * explicit stack.  The children of the regions on the stack are kept on
 * one stack too (ctx->kids): each frame owns the slice its region's
 * children were appended to, and gives it back when it is popped. */
static void print_tree(PrintCtx *ctx, const MemoryRegion *root)
{
    Frame *stack = NULL;
    size_t depth = 0, cap = 0;
    const MemoryRegion *mr = root;
    size_t level = 1;
    hwaddr base = 0;
    ctx->kids.n = 0;
    for (;;) {
        if (mr) {
            hwaddr start = print_line(ctx, mr, level, base);
            size_t begin = ctx->kids.n;
            collect_kids(ctx, mr);
            if (depth == cap) {
                size_t ncap = cap ? 2 * cap : 64;
                Frame *s = realloc(stack, ncap * sizeof(*s));
                if (!s) {
                    break;
                }
                stack = s;
                cap = ncap;
            }
            stack[depth++] = (Frame){ level, start, begin, begin, ctx->kids.n };
            mr = NULL;
        }
        if (!depth) {
            break;
        }
        Frame *top = &stack[depth - 1];
        if (top->next < top->end) {
            mr = ctx->kids.v[top->next++].mr;
            level = top->level + 1;
            base = top->start;
        } else {
            ctx->kids.n = top->begin;
            depth--;
        }
    }
    free(stack);
    ctx->kids.n = 0;
}

static int cmp_names(const void *a, const void *b)
{
    const AddressSpace *x = *(AddressSpace *const *)a;
    const AddressSpace *y = *(AddressSpace *const *)b;
    return strcmp(x->name, y->name);
}

/* The address spaces to print, in creation order (an import's own, or all). */
static AddressSpace **spaces_of(const GmMtreeImport *imp, size_t *n)
{
    size_t cnt = 0;
    if (imp) {
        cnt = imp->nspaces;
    } else {
        for (AddressSpace *as = gm__state.as_first; as; as = as->next) {
            cnt++;
        }
    }
    AddressSpace **v = calloc(cnt ? cnt : 1, sizeof(*v));
    if (!v) {
        *n = 0;
        return NULL;
    }
    if (imp) {
        for (size_t i = 0; i < cnt; i++) {
            v[i] = &imp->spaces[i];
        }
    } else {
        size_t i = 0;
        for (AddressSpace *as = gm__state.as_first; as; as = as->next) {
            v[i++] = as;
        }
    }
    *n = cnt;
    return v;
}

/* Sorts @v[0..n) so that the elements of each group (same key) are
 * together, groups in order of first appearance, members in their order. */
static bool group_by(AddressSpace **v, size_t n, bool by_view,
                     size_t **group_end, size_t *ngroups)
{
    GmPtrMap first = { 0 };
    size_t *gid = malloc((n ? n : 1) * sizeof(size_t));
    size_t *count = calloc(n ? n : 1, sizeof(size_t));
    AddressSpace **out = malloc((n ? n : 1) * sizeof(*out));
    bool ok = gid && count && out;
    size_t ng = 0;
    for (size_t i = 0; ok && i < n; i++) {
        const void *key = by_view ? (const void *)v[i]->current_map
                                  : (const void *)v[i]->root;
        size_t g;
        if (!gm__ptrmap_get(&first, key, &g)) {
            g = ng++;
            ok = gm__ptrmap_put(&first, key, g);
        }
        gid[i] = g;
        count[g]++;
    }
    if (ok) {
        /* Counting sort: start of each group, then place in order. */
        size_t pos = 0;
        for (size_t g = 0; g < ng; g++) {
            size_t c = count[g];
            count[g] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++) {
            out[count[gid[i]]++] = v[i];
        }
        memcpy(v, out, n * sizeof(*v));
        /* count[g] is now the end of group g. */
        *group_end = count;
        *ngroups = ng;
        count = NULL;
    }
    gm__ptrmap_free(&first);
    free(gid);
    free(count);
    free(out);
    return ok;
}

static void print_trees(PrintCtx *ctx)
{
    FILE *f = ctx->f;
    size_t n, *end = NULL, ng = 0;
    AddressSpace **v = spaces_of(ctx->imp, &n);
    if (!v || !group_by(v, n, false, &end, &ng)) {
        free(v);
        return;
    }
    for (size_t g = 0, begin = 0; g < ng; begin = end[g++]) {
        qsort(v + begin, end[g] - begin, sizeof(*v), cmp_names);
        for (size_t i = begin; i < end[g]; i++) {
            fprintf(f, "address-space: %s\n", v[i]->name);
        }
        print_tree(ctx, v[begin]->root);
        fputc('\n', f);
    }
    free(end);
    free(v);
    for (size_t i = 0; i < ctx->naliases; i++) {
        const MemoryRegion *mr = ctx->aliases[i];
        fprintf(f, "memory-region: %s\n", memory_region_name(mr));
        print_tree(ctx, mr);
        fputc('\n', f);
    }
}

static void print_flatview(PrintCtx *ctx, AddressSpace **as, size_t nas,
                           unsigned number, bool dispatch)
{
    FILE *f = ctx->f;
    FlatView *fv = as[0]->current_map;
    fprintf(f, "FlatView #%u\n", number);
    for (size_t i = 0; i < nas; i++) {
        fprintf(f, " AS \"%s\", root: %s", as[i]->name,
                memory_region_name(as[i]->root));
        if (as[i]->root->alias) {
            fprintf(f, ", alias %s", memory_region_name(as[i]->root->alias));
        }
        fputc('\n', f);
    }
    fprintf(f, " Root memory region: %s\n",
            fv->root ? memory_region_name(fv->root) : "(none)");
    if (fv->nr == 0) {
        fputs("  No rendered FlatView\n\n", f);
        return;
    }
    const FlatRange *const *rs = gm__fv_ranges(fv);
    for (unsigned i = 0; rs && i < fv->nr; i++) {
        const FlatRange *fr = rs[i];
        fputs("  ", f);
        put_range(f, fr->start, fr->last, fr->mr->priority, fr->nonvolatile,
                  fr->readonly ? "rom" : gm_memory_region_type(fr->mr));
        fputs(memory_region_name(fr->mr), f);
        if (fr->offset_in_region) {
            char buf[18] = " @";
            put_hex16(buf + 2, fr->offset_in_region);
            fwrite(buf, 1, 18, f);
        }
        if (ctx->owner) {
            print_owner(ctx, fr->mr);
        }
        fputs(gm__import_suffix(ctx->imp, as[0], i, fr->start), f);
        fputc('\n', f);
    }
    if (dispatch && fv->root) {
        gm__dispatch_print(f, fv);
    }
    fputc('\n', f);
}

typedef struct Ranked {
    AddressSpace *as;
    size_t rank, idx;
} Ranked;

static int ranked_cmp(const void *a, const void *b)
{
    const Ranked *x = a, *y = b;
    if (x->rank != y->rank) {
        return x->rank < y->rank ? -1 : 1;
    }
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void print_flatviews(PrintCtx *ctx, bool dispatch)
{
    size_t n, *end = NULL, ng = 0, k = 0;
    AddressSpace **v = spaces_of(ctx->imp, &n);
    Ranked *r = malloc((n ? n : 1) * sizeof(*r));
    if (!v || !r) {
        free(v);
        free(r);
        return;
    }
    /* Address spaces without a view print nothing. */
    for (size_t i = 0; i < n; i++) {
        if (v[i]->current_map) {
            r[k] = (Ranked){ v[i], gm__import_flat_rank(ctx->imp, v[i]), i };
            k++;
        }
    }
    /* The -f dump's order where known; the rest after, in creation order. */
    qsort(r, k, sizeof(*r), ranked_cmp);
    for (size_t i = 0; i < k; i++) {
        v[i] = r[i].as;
    }
    free(r);
    if (group_by(v, k, true, &end, &ng)) {
        for (size_t g = 0, begin = 0; g < ng; begin = end[g++]) {
            print_flatview(ctx, v + begin, end[g] - begin, (unsigned)g,
                           dispatch);
        }
    }
    free(end);
    free(v);
}

void gm__mtree_print(FILE *f, const GmMtreeImport *imp, bool flatview,
                     bool dispatch_tree, bool owner, bool disabled)
{
    if (!f) {
        return;
    }
    PrintCtx ctx = { .f = f, .imp = imp, .owner = owner, .disabled = disabled };
    if (flatview) {
        print_flatviews(&ctx, dispatch_tree);
    } else {
        print_trees(&ctx);
    }
    free(ctx.aliases);
    free(ctx.kids.v);
    gm__ptrmap_free(&ctx.alias_seen);
}

void gm_mtree_fprint(FILE *f, bool flatview, bool dispatch_tree, bool owner,
                     bool disabled)
{
    gm__mtree_print(f, NULL, flatview, dispatch_tree, owner, disabled);
}

void mtree_info(bool flatview, bool dispatch_tree, bool owner, bool disabled)
{
    gm_mtree_fprint(stdout, flatview, dispatch_tree, owner, disabled);
}

int gm_mtree_import_fprint(FILE *f, const GmMtreeImport *imp, bool flatview,
                           bool dispatch_tree, bool owner, bool disabled,
                           Error **errp)
{
    if (!f || !imp) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "no stream or no import to print");
    }
    if (owner && !imp->has_owners) {
        return gm_error_setg(errp, GM_ERR_NOT_FOUND,
                             "the dump names no owners (import the output "
                             "of `info mtree -o -D` to print them)");
    }
    gm__mtree_print(f, imp, flatview, dispatch_tree, owner, disabled);
    return 0;
}

/* --- comparing a print with a dump ---------------------------------------- */

/* The next line of the dump that is not blank, without "\r\n"; false at
 * the end. */
typedef struct CmpIn {
    const char *p, *end;
    uint32_t lineno;
} CmpIn;

static bool blank(const char *s, size_t n)
{
    size_t i = 0;
    while (n - i >= 8 && !memcmp(s + i, "        ", 8)) {
        i += 8; /* indentation, mostly */
    }
    for (; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') {
            return false;
        }
    }
    return true;
}

static bool next_nonblank(CmpIn *in, const char **s, size_t *n)
{
    while (in->p < in->end) {
        const char *eol = memchr(in->p, '\n', (size_t)(in->end - in->p));
        size_t len = eol ? (size_t)(eol - in->p) : (size_t)(in->end - in->p);
        *s = in->p;
        in->p = eol ? eol + 1 : in->end;
        in->lineno++;
        while (len && (*s)[len - 1] == '\r') {
            len--;
        }
        if (!blank(*s, len)) {
            *n = len;
            return true;
        }
    }
    return false;
}

typedef struct Cmp {
    CmpIn in;
    char *acc; /* the printed line so far */
    size_t n, cap;
    bool differ, oom;
    char *got, *want;
} Cmp;

static char *dupn(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static void cmp_line(Cmp *c, const char *s, size_t n)
{
    const char *w;
    size_t wn;
    if (c->differ || blank(s, n)) {
        return;
    }
    if (!next_nonblank(&c->in, &w, &wn)) {
        c->differ = true;
        c->got = dupn(s, n);
    } else if (wn != n || memcmp(w, s, n)) {
        c->differ = true;
        c->got = dupn(s, n);
        c->want = dupn(w, wn);
    }
}

static ssize_t cmp_write(void *cookie, const char *buf, size_t size)
{
    Cmp *c = cookie;
    size_t i = 0;
    while (i < size && !c->differ) {
        const char *nl = memchr(buf + i, '\n', size - i);
        size_t k = nl ? (size_t)(nl - (buf + i)) : size - i;
        if (!c->n && nl) {
            cmp_line(c, buf + i, k); /* a whole line: no copy */
        } else {
            if (c->n + k > c->cap) {
                size_t cap = c->cap ? c->cap : 256;
                while (cap < c->n + k) {
                    cap *= 2;
                }
                char *a = realloc(c->acc, cap);
                if (!a) {
                    c->oom = c->differ = true;
                    break;
                }
                c->acc = a;
                c->cap = cap;
            }
            memcpy(c->acc + c->n, buf + i, k);
            c->n += k;
            if (nl) {
                cmp_line(c, c->acc, c->n);
                c->n = 0;
            }
        }
        i += k + (nl != NULL);
    }
    return (ssize_t)size;
}

int gm__mtree_compare(const GmMtreeImport *imp, const char *text, bool owner,
                      bool disabled, uint32_t *line, char **got, char **want)
{
    Cmp c = { .in = { text, text + strlen(text), 0 } };
    cookie_io_functions_t io = { .write = cmp_write };
    FILE *f = fopencookie(&c, "w", io);
    if (!f) {
        return -1;
    }
    gm__mtree_print(f, imp, false, false, owner, disabled);
    fclose(f);
    if (!c.differ && c.n) {
        cmp_line(&c, c.acc, c.n); /* an unfinished last line */
    }
    const char *w;
    size_t wn;
    if (!c.differ && next_nonblank(&c.in, &w, &wn)) {
        c.differ = true;
        c.want = dupn(w, wn);
    }
    free(c.acc);
    *line = c.in.lineno;
    *got = c.got;
    *want = c.want;
    if (c.oom) {
        free(c.got);
        free(c.want);
        *got = *want = NULL;
        return -1;
    }
    return c.differ;
}

/* ==========================================================================
 * Reading the text back.  The importer (mtree-import.c) reads the format
 * this file prints; what it shares with the checks below lives here: the
 * grammar of a line, the -f form (parsed, checked against rendered views,
 * distilled), and the comparison of a print with a dump (above).
 * ========================================================================== */

const char *const gm__kind_names[] = { "ram", "rom", "romd", "ramd", "i/o" };

/* Up to 80 bytes of @s for an error message: one line, printable. */
const char *gm__quote(const char *s, size_t len, char buf[84])
{
    size_t n = len > 80 ? 80 : len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    strcpy(buf + n, len > 80 ? "..." : "");
    return buf;
}

uint64_t gm__hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    }
    /* FNV's low bits hardly mix ("r1", "r2", ... would share buckets). */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

/* The entry of @s in @t, made (flags 0, empty list) if @create. */
GmNameEnt *gm__name_get(GmNameTab *t, const char *s, size_t len, bool create)
{
    if (create && 2 * (t->n + 1) > t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 256;
        GmNameEnt *e = calloc(cap, sizeof(*e));
        if (!e) {
            return NULL;
        }
        for (size_t i = 0; i < t->cap; i++) {
            if (t->e[i].s) {
                size_t k = gm__hash_bytes(t->e[i].s, t->e[i].len) & (cap - 1);
                while (e[k].s) {
                    k = (k + 1) & (cap - 1);
                }
                e[k] = t->e[i];
            }
        }
        free(t->e);
        t->e = e;
        t->cap = cap;
    }
    if (!t->cap) {
        return NULL;
    }
    size_t k = gm__hash_bytes(s, len) & (t->cap - 1);
    for (; t->e[k].s; k = (k + 1) & (t->cap - 1)) {
        if (gm__str_eq(t->e[k].s, t->e[k].len, s, len)) {
            return &t->e[k];
        }
    }
    if (!create) {
        return NULL;
    }
    t->e[k] = (GmNameEnt){ s, (uint32_t)len, 0, GM_NONE, GM_NONE };
    t->n++;
    return &t->e[k];
}

/* The lines of a text, without their "\n" and any "\r" before it. */
bool gm__next_line(GmLines *l, const char **s, size_t *len)
{
    if (l->p >= l->end) {
        return false;
    }
    const char *eol = memchr(l->p, '\n', (size_t)(l->end - l->p));
    size_t n = eol ? (size_t)(eol - l->p) : (size_t)(l->end - l->p);
    *s = l->p;
    l->p = eol ? eol + 1 : l->end;
    while (n && (*s)[n - 1] == '\r') {
        n--;
    }
    *len = n;
    l->lineno++;
    return true;
}

/* How many spaces @s[0..n) starts with (eight at a time: a deep tree is
 * mostly indentation). */
size_t gm__count_spaces(const char *s, size_t n)
{
    size_t i = 0;
    while (n - i >= 8 && !memcmp(s + i, "        ", 8)) {
        i += 8;
    }
    while (i < n && s[i] == ' ') {
        i++;
    }
    return i;
}

bool gm__is_blank(const char *s, size_t n)
{
    for (size_t i = gm__count_spaces(s, n); i < n; i++) {
        if (!isspace((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* Lower-case hex digits, as QEMU prints them: their values, else 0xff. */
static const uint8_t hex_digit[256] = {
    ['0'] = 0,  ['1'] = 1,  ['2'] = 2,  ['3'] = 3,  ['4'] = 4,  ['5'] = 5,
    ['6'] = 6,  ['7'] = 7,  ['8'] = 8,  ['9'] = 9,  ['a'] = 10, ['b'] = 11,
    ['c'] = 12, ['d'] = 13, ['e'] = 14, ['f'] = 15,
};

bool gm__parse_hex(const char *s, size_t len, hwaddr *out)
{
    if (len == 0 || len > 16) {
        return false;
    }
    hwaddr v = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        uint8_t d = hex_digit[c];
        if (d == 0 && c != '0') {
            return false;
        }
        v = (v << 4) | d;
    }
    *out = v;
    return true;
}

static const char overflow_mark[] = "[DETECTED OVERFLOW!] ";
#define OVERFLOW_LEN (sizeof(overflow_mark) - 1)

/* Skips QEMU's overflow markers: printed before the indentation, once for
 * each region on the way that wraps past 2^64 (hidden ones included). */
size_t gm__skip_marks(const char *s, size_t len)
{
    size_t i = 0;
    while (len - i >= OVERFLOW_LEN &&
           memcmp(s + i, overflow_mark, OVERFLOW_LEN) == 0) {
        i += OVERFLOW_LEN;
    }
    return i;
}

/* Parses "START-END (prio P, KIND): REST", indented by two spaces per level
 * (after any overflow markers; guestmem once printed them after the
 * indentation, which is read too).  False if it is not one. */
bool gm__parse_range_line(const char *s, size_t len, GmLine *ln)
{
    size_t i = gm__skip_marks(s, len);
    size_t sp = gm__count_spaces(s + i, len - i);
    if (sp % 2) {
        return false;
    }
    ln->level = (uint32_t)(sp / 2);
    const char *p = s + i + sp, *end = s + len;
    p += gm__skip_marks(p, (size_t)(end - p));
    if (end - p < 34 || p[16] != '-' || !gm__parse_hex(p, 16, &ln->start) ||
        !gm__parse_hex(p + 17, 16, &ln->end)) {
        return false;
    }
    p += 33;
    static const char prio[] = " (prio ";
    if ((size_t)(end - p) < sizeof(prio) || memcmp(p, prio, 7) != 0) {
        return false;
    }
    p += 7;
    bool neg = p < end && *p == '-';
    p += neg;
    int64_t v = 0;
    const char *digits = p;
    while (p < end && isdigit((unsigned char)*p) && v <= (int64_t)1 << 32) {
        v = v * 10 + (*p++ - '0');
    }
    v = neg ? -v : v;
    if (p == digits || (p - digits > 1 && *digits == '0') || v < INT32_MIN ||
        v > INT32_MAX || end - p < 2 || p[0] != ',' || p[1] != ' ') {
        return false;
    }
    ln->prio = (int32_t)v;
    p += 2;
    ln->nv = false;
    if (end - p > 3 && memcmp(p, "nv-", 3) == 0) {
        ln->nv = true;
        p += 3;
    }
    const char *k = p;
    while (p < end && *p != ')') {
        p++;
    }
    size_t klen = (size_t)(p - k);
    ln->kind = GM_K_IO + 1;
    for (uint8_t kd = 0; kd <= GM_K_IO; kd++) {
        if (gm__str_eq(k, klen, gm__kind_names[kd],
                       strlen(gm__kind_names[kd]))) {
            ln->kind = kd;
        }
    }
    if (ln->kind > GM_K_IO || end - p < 3 || p[1] != ':' || p[2] != ' ') {
        return false;
    }
    ln->rest = p + 3;
    ln->restlen = (size_t)(end - ln->rest);
    return true;
}

/* Length of " LABEL{...}" at the end of @s[0..n), 0 if it is not there.
 * The braces hold "dev"/"obj" and a path, an id or a type: no braces. */
static size_t brace_suffix(const char *s, size_t n, const char *label)
{
    if (!n || s[n - 1] != '}') {
        return 0;
    }
    size_t i = n - 1;
    while (i > 0 && s[i - 1] != '{' && s[i - 1] != '}') {
        i--;
    }
    size_t l = strlen(label);
    if (i == 0 || s[i - 1] != '{' || i < l || memcmp(s + i - l, label, l)) {
        return 0;
    }
    return n - (i - l);
}

/* Length of the owner text QEMU's -o puts at the end of a line: " orphan",
 * " owner:{...}", " parent:{...}" or both of the last two; 0 if none. */
size_t gm__owner_suffix(const char *s, size_t n)
{
    if (n >= 7 && memcmp(s + n - 7, " orphan", 7) == 0) {
        return 7;
    }
    size_t p = brace_suffix(s, n, " parent:{");
    return p + brace_suffix(s, n - p, " owner:{");
}

bool gm__ends_with(const char *s, size_t len, const char *suffix,
                   size_t *newlen)
{
    size_t n = strlen(suffix);
    if (len >= n && memcmp(s + len - n, suffix, n) == 0) {
        *newlen = len - n;
        return true;
    }
    return false;
}

/* Errors of the -f reader: the first one is kept. */
typedef struct FlatReader {
    GmNameTab *names;
    Error **errp;
    int err;
} FlatReader;

static int rfail(FlatReader *im, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int rfail(FlatReader *im, const char *fmt, ...)
{
    if (!im->err) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        im->err = gm_error_setg(im->errp, GM_ERR_PARSE, "%s", msg);
    }
    return im->err;
}

static int room(FlatReader *im)
{
    if (!im->err) {
        im->err = gm_error_setg(im->errp, GM_ERR_NO_MEMORY, "out of memory");
    }
    return im->err;
}

static uint32_t name_flags(GmNameTab *t, const char *s, size_t len)
{
    GmNameEnt *e = gm__name_get(t, s, len, false);
    return e ? e->flags : 0;
}

/* Splits the text after the kind of a flat range: "NAME[ @OFFSET][ OWNER]
 * [ KVM]", the last being QEMU's mark of ranges its accelerator maps.
 * False when the parts asked for are not there. */
static bool split_flat_rest(const char *rest, size_t n, bool strip_accel,
                            bool owners, GmFlatRange *r)
{
    size_t len = n;
    r->suffix = (GmStr){ rest + n, 0 };
    if (strip_accel) {
        if (!gm__ends_with(rest, len, " KVM", &len)) {
            return false;
        }
        r->suffix = (GmStr){ rest + len, (uint32_t)(n - len) };
    }
    if (owners) {
        size_t o = gm__owner_suffix(rest, len);
        if (!o) {
            return false;
        }
        len -= o;
    }
    r->has_offset = false;
    r->offset = 0;
    if (len > 18 && rest[len - 18] == ' ' && rest[len - 17] == '@' &&
        gm__parse_hex(rest + len - 16, 16, &r->offset)) {
        r->has_offset = true;
        len -= 18;
    }
    r->name = (GmStr){ rest, (uint32_t)len };
    return true;
}

static int flat_fail(FlatReader *im, uint32_t line, const char *what,
                     const char *s, size_t n)
{
    char q[84];
    return rfail(im, "flat dump, line %u: %s: '%s'", (unsigned)line, what,
                 gm__quote(s, n, q));
}

/* Reads the text of `info mtree -f` (any of -d, -o; LF or CRLF; with or
 * without accelerator marks), or the facts distilled from it, into
 * @f.  Anything else is refused.  @names: the tree's region names (to
 * tell a " KVM" mark from a name that ends so), where "# not rendered:"
 * lines of distilled facts are marked GM_N_EMPTY. */
int gm__flat_parse(GmFlat *f, const char *text, GmNameTab *names, Error **errp)
{
    FlatReader reader = { .names = names, .errp = errp }, *im = &reader;
    size_t len = strlen(text);
    if (len > GM_MTREE_MAX_INPUT) {
        return rfail(im, "the flat dump is larger than %zu MiB",
                     GM_MTREE_MAX_INPUT >> 20);
    }
    GmLines l = { text, text + len, 0 };
    const char *s;
    size_t n;
    bool in_dispatch = false, seen = false;
    GmFlatBlock *blk = NULL;
    /* Where the raw rest of each range starts and ends (split below). */
    const char **rest = NULL;
    size_t *restlen = NULL, cap_rest = 0, cap_restlen = 0;
    while (!im->err && gm__next_line(&l, &s, &n)) {
        uint32_t ln_no = l.lineno;
        if (gm__is_blank(s, n)) {
            in_dispatch = false;
            continue;
        }
        if (!seen && (!strncmp(s, "address-space: ", n < 15 ? n : 15) ||
                      !strncmp(s, "memory-region: ", n < 15 ? n : 15))) {
            flat_fail(im, ln_no,
                      "this is an `info mtree` tree, not `info mtree -f` "
                      "output",
                      s, n);
            break;
        }
        seen = true;
        GmLine ln;
        static const char nr[] = "# not rendered: ";
        if (n > 10 && !memcmp(s, "FlatView #", 10)) {
            if (!gm__grow(&f->b, f->nb, &f->cap_b, sizeof(GmFlatBlock))) {
                room(im);
                break;
            }
            blk = &f->b[f->nb++];
            *blk = (GmFlatBlock){ .line = ln_no,
                                  .first_as = f->nas,
                                  .first_range = f->nr };
            in_dispatch = false;
        } else if (n > 5 && !memcmp(s, " AS \"", 5)) {
            /* ' AS "NAME", root: ROOT[, alias TARGET]' */
            const char *r = NULL, *a = NULL;
            for (size_t i = 5; i + 9 <= n; i++) {
                if (!memcmp(s + i, "\", root: ", 9)) {
                    r = s + i;
                }
            }
            if (!blk || blk->nranges || blk->root.s || !r) {
                flat_fail(im, ln_no, "misplaced or malformed AS line", s, n);
                break;
            }
            for (const char *q = r + 9; q + 8 <= s + n; q++) {
                if (!memcmp(q, ", alias ", 8)) {
                    a = q;
                }
            }
            if (!gm__grow(&f->as, f->nas, &f->cap_as, sizeof(GmFlatAs))) {
                room(im);
                break;
            }
            const char *rend = a ? a : s + n;
            f->as[f->nas++] = (GmFlatAs){
                .name = { s + 5, (uint32_t)(r - s - 5) },
                .root = { r + 9, (uint32_t)(rend - r - 9) },
                .alias = { a ? a + 8 : NULL,
                           a ? (uint32_t)(s + n - a - 8) : 0 },
                .line = ln_no,
            };
            blk->nas++;
        } else if (n >= 21 && !memcmp(s, " Root memory region: ", 21)) {
            if (!blk || blk->root.s || blk->nranges) {
                flat_fail(im, ln_no, "misplaced Root memory region line", s, n);
                break;
            }
            blk->root = (GmStr){ s + 21, (uint32_t)(n - 21) };
        } else if (gm__str_eq(s, n, "  No rendered FlatView", 22)) {
            if (!blk || !blk->root.s || blk->nranges) {
                flat_fail(im, ln_no, "misplaced line", s, n);
                break;
            }
            blk->empty = true;
        } else if (gm__str_eq(s, n, "  Dispatch", 10)) {
            in_dispatch = true;
        } else if (in_dispatch && (s[0] == '\t' || !strncmp(s, "    ", 4))) {
            /* QEMU's own dispatch structure (-d): nothing to import. */
        } else if (n >= sizeof(nr) - 1 && !memcmp(s, nr, sizeof(nr) - 1)) {
            GmNameEnt *e = gm__name_get(im->names, s + sizeof(nr) - 1,
                                        n - (sizeof(nr) - 1), true);
            if (!e) {
                room(im);
                break;
            }
            e->flags |= GM_N_EMPTY;
            f->has_not_rendered = true;
        } else if (gm__parse_range_line(s, n, &ln) && ln.level == 1) {
            if (!blk || !blk->root.s || blk->empty || in_dispatch) {
                flat_fail(im, ln_no, "range outside a FlatView block", s, n);
                break;
            }
            if (!gm__grow(&f->r, f->nr, &f->cap_r, sizeof(GmFlatRange)) ||
                !gm__grow(&rest, f->nr, &cap_rest, sizeof(*rest)) ||
                !gm__grow(&restlen, f->nr, &cap_restlen, sizeof(*restlen))) {
                room(im);
                break;
            }
            f->r[f->nr] = (GmFlatRange){ .start = ln.start,
                                         .end = ln.end,
                                         .prio = ln.prio,
                                         .kind = ln.kind,
                                         .nv = ln.nv,
                                         .line = ln_no };
            rest[f->nr] = ln.rest;
            restlen[f->nr] = ln.restlen;
            f->nr++;
            blk->nranges++;
        } else {
            flat_fail(im, ln_no, "not an `info mtree -f` line", s, n);
            break;
        }
    }
    if (!im->err && !seen) {
        rfail(im, "%s", "the flat dump is empty");
    }
    if (!im->err) {
        /* -o prints an owner on every range, or on none. */
        bool owners = f->nr > 0;
        for (size_t i = 0; i < f->nr && owners; i++) {
            size_t k = restlen[i];
            gm__ends_with(rest[i], k, " KVM", &k);
            owners = gm__owner_suffix(rest[i], k) != 0;
        }
        for (size_t i = 0; i < f->nr; i++) {
            GmFlatRange *r = &f->r[i];
            GmFlatRange alt = *r;
            bool ok = split_flat_rest(rest[i], restlen[i], true, owners, r);
            /* A name that itself ends in " KVM" wins over the mark. */
            if (!ok || !(name_flags(im->names, r->name.s, r->name.len) &
                         GM_N_REGION)) {
                if (split_flat_rest(rest[i], restlen[i], false, owners, &alt) &&
                    (!ok || (name_flags(im->names, alt.name.s, alt.name.len) &
                             GM_N_REGION))) {
                    *r = alt;
                    ok = true;
                }
            }
            if (!ok) {
                flat_fail(im, r->line, "malformed range", rest[i], restlen[i]);
                break;
            }
        }
    }
    free(rest);
    free(restlen);
    return im->err;
}

void gm__flat_free(GmFlat *f)
{
    free(f->as);
    free(f->r);
    free(f->b);
    memset(f, 0, sizeof(*f));
}

/* --- step 8: the result must print what was read ------------------------- */

static void describe_range(char *buf, size_t n, hwaddr start, hwaddr end,
                           int prio, bool nv, const char *kind,
                           const char *name, size_t name_len, hwaddr off)
{
    char q[84];
    int k = snprintf(
        buf, n, "%016" PRIx64 "-%016" PRIx64 " (prio %d, %s%s): %s", start, end,
        prio, nv ? "nv-" : "", kind, gm__quote(name, name_len, q));
    if (off && k > 0 && (size_t)k < n) {
        snprintf(buf + k, n - (size_t)k, " @%016" PRIx64, off);
    }
}

static int flat_mismatch(FlatReader *im, uint32_t line, const char *want,
                         const char *got)
{
    return rfail(im,
                 "flat dump, line %u: QEMU shows '%s' where the tree rebuilt "
                 "from the dump renders %s%s%s (are both dumps of the same VM, "
                 "taken at the same moment?)",
                 (unsigned)line, want, got[0] ? "'" : "",
                 got[0] ? got : "nothing", got[0] ? "'" : "");
}

/* Whether the rendered @fv shows exactly the ranges of block @fb. */
static bool block_matches(const GmFlat *f, const GmFlatBlock *fb, FlatView *fv,
                          size_t *bad)
{
    const char *root = fv->root ? memory_region_name(fv->root) : "(none)";
    *bad = 0;
    if (!gm__str_eq(fb->root.s, fb->root.len, root, strlen(root))) {
        *bad = SIZE_MAX;
        return false;
    }
    const FlatRange *const *rs = gm__fv_ranges(fv);
    if (fv->nr && !rs) {
        return false;
    }
    for (size_t i = 0; i < fb->nranges || i < fv->nr; i++) {
        *bad = i;
        if (i >= fb->nranges || i >= fv->nr) {
            return false;
        }
        const GmFlatRange *r = &f->r[fb->first_range + i];
        const FlatRange *fr = rs[i];
        const char *kind = fr->readonly ? "rom" : gm_memory_region_type(fr->mr);
        const char *name = memory_region_name(fr->mr);
        if (r->start != fr->start || r->end != fr->last ||
            r->prio != fr->mr->priority || r->nv != fr->nonvolatile ||
            strcmp(gm__kind_names[r->kind], kind) ||
            !gm__str_eq(r->name.s, r->name.len, name, strlen(name)) ||
            r->has_offset != (fr->offset_in_region != 0) ||
            r->offset != fr->offset_in_region) {
            return false;
        }
    }
    return true;
}

/* Checks the rendered views against a whole -f dump and keeps its order
 * and accelerator marks for printing. */
int gm__flat_check(GmMtreeImport *res, const GmFlat *f, Error **errp)
{
    FlatReader reader = { .errp = errp }, *im = &reader;
    GmNameTab by_name = { 0 };
    GmPtrMap views = { 0 };
    uint32_t *next =
        malloc((res->nspaces ? res->nspaces : 1) * sizeof(uint32_t));
    res->flat_rank = malloc((res->nspaces ? res->nspaces : 1) * sizeof(size_t));
    res->block_of = malloc((res->nspaces ? res->nspaces : 1) * sizeof(size_t));
    res->blocks = calloc(f->nb ? f->nb : 1, sizeof(GmImportBlock));
    char want[256], got[256], q[84];
    if (!next || !res->flat_rank || !res->block_of || !res->blocks) {
        room(im);
        goto out;
    }
    res->nblocks = f->nb;
    for (size_t i = res->nspaces; i-- > 0;) {
        AddressSpace *as = &res->spaces[i];
        GmNameEnt *e = gm__name_get(&by_name, as->name, strlen(as->name), true);
        if (!e) {
            room(im);
            goto out;
        }
        next[i] = e->head;
        e->head = (uint32_t)i;
        res->flat_rank[i] = SIZE_MAX;
        res->block_of[i] = SIZE_MAX;
    }
    size_t rank = 0;
    for (size_t bi = 0; bi < f->nb && !im->err; bi++) {
        const GmFlatBlock *fb = &f->b[bi];
        FlatView *fv = NULL;
        if (!fb->nas) {
            rfail(im, "flat dump, line %u: a FlatView with no address space",
                  (unsigned)fb->line);
            break;
        }
        for (size_t a = 0; a < fb->nas; a++) {
            const GmFlatAs *fa = &f->as[fb->first_as + a];
            GmNameEnt *e =
                gm__name_get(&by_name, fa->name.s, fa->name.len, false);
            uint32_t pick = GM_NONE, any = GM_NONE;
            /* Names repeat (two e1000 devices): take the first unclaimed
             * space of that name and root whose view fits the block. */
            for (uint32_t k = e ? e->head : GM_NONE; k != GM_NONE;
                 k = next[k]) {
                AddressSpace *as = &res->spaces[k];
                const char *rn = memory_region_name(as->root);
                size_t bad;
                if (res->block_of[k] != SIZE_MAX ||
                    !gm__str_eq(fa->root.s, fa->root.len, rn, strlen(rn))) {
                    continue;
                }
                if (any == GM_NONE) {
                    any = k;
                }
                if ((fv && as->current_map == fv) ||
                    (!fv && block_matches(f, fb, as->current_map, &bad))) {
                    pick = k;
                    break;
                }
            }
            if (pick == GM_NONE) {
                pick = any;
            }
            if (pick == GM_NONE) {
                rfail(im,
                      "flat dump, line %u: address space '%s' (root %.*s) is "
                      "not in the tree dump: not the same VM?",
                      (unsigned)fa->line,
                      gm__quote(fa->name.s, fa->name.len, q),
                      (int)(fa->root.len > 80 ? 80 : fa->root.len), fa->root.s);
                break;
            }
            res->block_of[pick] = bi;
            res->flat_rank[pick] = rank++;
            if (!fv) {
                fv = res->spaces[pick].current_map;
            } else if (res->spaces[pick].current_map != fv) {
                rfail(im,
                      "flat dump, line %u: QEMU shares one flat view between "
                      "'%s' and the address spaces above it, the rebuilt tree "
                      "does not",
                      (unsigned)fa->line,
                      gm__quote(fa->name.s, fa->name.len, q));
                break;
            }
        }
        if (im->err) {
            break;
        }
        size_t other;
        if (gm__ptrmap_get(&views, fv, &other)) {
            rfail(im,
                  "flat dump, line %u: the rebuilt tree renders one view for "
                  "this block and the one at line %u, QEMU two",
                  (unsigned)fb->line, (unsigned)f->b[other].line);
            break;
        }
        if (!gm__ptrmap_put(&views, fv, bi)) {
            room(im);
            break;
        }
        size_t bad;
        if (!block_matches(f, fb, fv, &bad)) {
            if (bad == SIZE_MAX) {
                rfail(im,
                      "flat dump, line %u: QEMU's view has root '%s', the "
                      "rebuilt one '%s'",
                      (unsigned)fb->line,
                      gm__quote(fb->root.s, fb->root.len, q),
                      fv->root ? memory_region_name(fv->root) : "(none)");
                break;
            }
            got[0] = want[0] = '\0';
            if (bad < fv->nr) {
                const FlatRange *fr = gm__fv_ranges(fv)[bad];
                const char *nm = memory_region_name(fr->mr);
                describe_range(got, sizeof(got), fr->start, fr->last,
                               fr->mr->priority, fr->nonvolatile,
                               fr->readonly ? "rom"
                                            : gm_memory_region_type(fr->mr),
                               nm, strlen(nm), fr->offset_in_region);
            }
            uint32_t line = fb->line;
            if (bad < fb->nranges) {
                const GmFlatRange *r = &f->r[fb->first_range + bad];
                describe_range(want, sizeof(want), r->start, r->end, r->prio,
                               r->nv, gm__kind_names[r->kind], r->name.s,
                               r->name.len, r->offset);
                line = r->line;
            } else {
                strcpy(want, "nothing more");
            }
            flat_mismatch(im, line, want, got);
            break;
        }
        /* The accelerator marks, to print them again. */
        GmImportBlock *ib = &res->blocks[bi];
        ib->nr = fb->nranges;
        ib->start = malloc((ib->nr ? ib->nr : 1) * sizeof(hwaddr));
        ib->suffix = calloc(ib->nr ? ib->nr : 1, sizeof(uint32_t));
        if (!ib->start || !ib->suffix) {
            room(im);
            break;
        }
        for (size_t i = 0; i < ib->nr && !im->err; i++) {
            const GmFlatRange *r = &f->r[fb->first_range + i];
            ib->start[i] = r->start;
            if (r->suffix.len) {
                if (!gm__import_intern(res, r->suffix.s, r->suffix.len,
                                       &ib->suffix[i])) {
                    room(im);
                }
            }
        }
    }
    for (size_t i = 0; i < res->nspaces && !im->err; i++) {
        if (res->block_of[i] == SIZE_MAX) {
            rfail(im,
                  "address space '%s' of the tree dump is not in the flat "
                  "dump: not the same VM?",
                  res->spaces[i].name);
        }
    }
out:
    free(by_name.e);
    free(next);
    gm__ptrmap_free(&views);
    return im->err;
}

/* --- what an import keeps for printing ------------------------------------ */

bool gm__import_intern(GmMtreeImport *imp, const char *s, size_t len,
                       uint32_t *off)
{
    if (imp->strings_len + len + 1 > UINT32_MAX) {
        return false;
    }
    while (imp->strings_len + len + 1 > imp->strings_cap) {
        size_t cap = imp->strings_cap ? 2 * imp->strings_cap : 4096;
        char *p = realloc(imp->strings, cap);
        if (!p) {
            return false;
        }
        imp->strings = p;
        imp->strings_cap = cap;
    }
    *off = (uint32_t)imp->strings_len;
    memcpy(imp->strings + *off, s, len);
    imp->strings[*off + len] = '\0';
    imp->strings_len += len + 1;
    return true;
}

/* Names in strcmp order, as flat_hint.py sorts them. */
static int name_cmp(const void *a, const void *b)
{
    const GmNameEnt *x = *(const GmNameEnt *const *)a;
    const GmNameEnt *y = *(const GmNameEnt *const *)b;
    int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

char *gm__flat_hint_text(const char *text, const GmFlat *f, GmNameTab *names,
                         Error **errp)
{
    char *out = NULL;
    size_t len = 0, nempty = 0;
    GmNameEnt **empty = malloc((names->n ? names->n : 1) * sizeof(*empty));
    FILE *o = empty ? open_memstream(&out, &len) : NULL;
    if (!o) {
        free(empty);
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    /* The same selection as the oracle's flat_hint.py: every line but the
     * ranges of childless regions that are what their kind says. */
    GmLines l = { text, text + strlen(text), 0 };
    const char *s;
    size_t n, r = 0;
    while (gm__next_line(&l, &s, &n)) {
        if (r < f->nr && f->r[r].line == l.lineno) {
            const GmFlatRange *fr = &f->r[r++];
            uint32_t fl = name_flags(names, fr->name.s, fr->name.len);
            if (!(fl & GM_N_HAS_KIDS) &&
                !(fr->kind == GM_K_ROM && !(fl & (1u << GM_K_ROM)))) {
                continue;
            }
        }
        fprintf(o, "%.*s\n", (int)n, s);
    }
    /* Like flat_hint.py, which splits on newlines: a final newline leaves
     * one empty last line. */
    if (!*text || text[strlen(text) - 1] == '\n') {
        fputc('\n', o);
    }
    for (size_t i = 0; i < names->cap; i++) {
        GmNameEnt *e = &names->e[i];
        if (e->s && (e->flags & GM_N_LEAF_IO) && !(e->flags & GM_N_IN_FLAT)) {
            empty[nempty++] = e;
        }
    }
    qsort(empty, nempty, sizeof(*empty), name_cmp);
    for (size_t i = 0; i < nempty; i++) {
        fprintf(o, "# not rendered: %.*s\n", (int)empty[i]->len, empty[i]->s);
    }
    free(empty);
    if (fclose(o) != 0) {
        free(out);
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    return out;
}
