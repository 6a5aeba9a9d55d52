// SPDX-License-Identifier: MIT
/*
 * mtree-import.c - rebuilding a region tree from `info mtree` text.
 *
 * The dump prints every address space's tree, then a "memory-region:" group
 * for each alias target.  The same region can therefore be printed several
 * times: as a child, as an address-space root, and again as an alias
 * target's group with its whole subtree.  Names are not unique (the pc
 * machine has two "pam-pci" per PAM segment), so occurrences are matched by
 * structure instead: two printed subtrees are the same region when their
 * name, relative address, size, priority, kind, flags, owner and children
 * all agree.
 *
 * What kind of dump it is decides how lines are read.  A -D dump (any line
 * " [disabled]") and a dump that cannot tell (no disabled region, no line
 * indented two levels below the one above) are taken literally: each line
 * is a region, a child of the line above it one level less indented, even
 * where it lies outside that line's window (QEMU allows it and clips it when
 * rendering).  Only a plain `info mtree` dump, which hides disabled regions
 * and prints their children one level deeper, is read with guesses: stand-in
 * "(hidden)" regions, disabled, just wide enough for what they hold.
 *
 * The steps:
 *   1. parse every line into occurrence nodes (in document order, which is
 *      preorder: a subtree is a contiguous run of nodes), one tree per group;
 *   2. give every node a class (union-find): each "memory-region:" group and
 *      each address-space root is unioned with the first structurally equal
 *      occurrence elsewhere (found through a hash of the subtree), and their
 *      children pairwise;
 *   3. resolve each alias's "@target" to the class of a "memory-region:"
 *      group of that name (several groups of one name: the first whose size
 *      fits the alias window);
 *   4. create one MemoryRegion per class: RAM, ROM, ROM device, RAM device,
 *      MMIO or container (the -f facts decide between the last two); aliases
 *      after their targets;
 *   5. link subregions top-down, each container's in reverse print order, so
 *      that siblings of equal address and priority keep their printed order;
 *   6. mark read-only the aliases the -f facts show as `rom`;
 *   7. create the address spaces, all in one transaction;
 *   8. check the result: printed again, the tree must give the dump's lines
 *      (gm__mtree_compare), and with a whole -f dump, the rendered views its
 *      ranges (gm__flat_check); what does not is refused, never returned.
 * On any error everything made so far is destroyed again.
 *
 * Every step is linear in the size of the text (hash tables instead of
 * scans, no recursion: dumps can be 100 MB wide or 100,000 levels deep).
 * The grammar of a line and the -f form are read by mtree-print.c, beside
 * the code that prints them.
 */
#include "mtree-internal.h"
#include "region-int.h"
#include "ramblock-int.h"
#include "view.h"

#include <stdarg.h>

/* How the tree text is read (see the top of the file). */
typedef enum {
    MODE_LITERAL,
    MODE_D,
    MODE_PLAIN
} Mode;

typedef struct Node {
    const char *name;   /* into the text; not NUL-terminated */
    const char *target; /* alias target name, NULL if not an alias */
    const char *owner;  /* " owner:{...}" etc., NULL if none */
    uint32_t name_len, target_len, owner_len;
    uint32_t line;
    hwaddr start, end, alias_start;
    int32_t prio;
    uint8_t kind;
    bool nv, disabled, synthetic, as_root;
    uint32_t level;
    uint32_t parent; /* node index, or GM_NONE */
    uint32_t size;   /* nodes in the subtree, itself included */
    uint32_t nkids;
    uint64_t hash; /* of the subtree's structure */
} Node;

typedef struct Group {
    bool is_as;
    uint32_t line;
    size_t first_name, nnames; /* into Importer.names */
    uint32_t root;             /* node, or GM_NONE */
} Group;

typedef struct RomHint {
    size_t block;
    hwaddr start, last;
} RomHint;

typedef struct Importer {
    const char *text;
    Mode mode;
    bool has_owners;
    Node *nodes;
    size_t nnodes, cap_nodes;
    Group *groups;
    size_t ngroups, cap_groups;
    GmStr *names;
    size_t nnames, cap_names;
    uint32_t *uf;        /* union-find parent per node */
    GmNameTab names_tab; /* the dump's region names */
    GmFlat flat;         /* the -f dump, or its distilled facts */
    bool have_hint, full_flat;
    RomHint *roms;
    size_t nroms, cap_roms;
    Error **errp;
    int err;
} Importer;

/* --- small utilities ------------------------------------------------------ */

static int fail(Importer *im, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(Importer *im, uint32_t line, const char *fmt, ...)
{
    if (im->err) {
        return im->err;
    }
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (line) {
        im->err = gm_error_setg(im->errp, GM_ERR_PARSE, "line %u: %s",
                                (unsigned)line, msg);
    } else {
        im->err = gm_error_setg(im->errp, GM_ERR_PARSE, "%s", msg);
    }
    return im->err;
}

static int oom(Importer *im)
{
    if (!im->err) {
        im->err = gm_error_setg(im->errp, GM_ERR_NO_MEMORY, "out of memory");
    }
    return im->err;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
}

static uint32_t name_flags(GmNameTab *t, const char *s, size_t len)
{
    GmNameEnt *e = gm__name_get(t, s, len, false);
    return e ? e->flags : 0;
}

/* Fills the name, alias and owner part of @node from the text after the
 * kind: "NAME" or "alias NAME @TARGET START-END", then " [disabled]", then
 * the owner with -o. */
static bool parse_rest(Importer *im, Node *node, const char *r, size_t n)
{
    if (im->has_owners) {
        size_t o = gm__owner_suffix(r, n);
        if (!o) {
            return false;
        }
        node->owner = r + n - o;
        node->owner_len = (uint32_t)o;
        n -= o;
    }
    node->disabled = gm__ends_with(r, n, " [disabled]", &n);
    if (n > 6 && memcmp(r, "alias ", 6) == 0) {
        if (n < 6 + 2 + 34) {
            return false;
        }
        const char *range = r + n - 33;
        hwaddr astart, aend;
        if (range[-1] != ' ' || range[16] != '-' ||
            !gm__parse_hex(range, 16, &astart) ||
            !gm__parse_hex(range + 17, 16, &aend)) {
            return false;
        }
        const char *body = r + 6;
        size_t blen = (size_t)(range - 1 - body);
        const char *at = NULL;
        for (size_t i = 0; i + 1 < blen; i++) {
            if (body[i] == ' ' && body[i + 1] == '@') {
                at = body + i;
                break;
            }
        }
        if (!at) {
            return false;
        }
        node->name = body;
        node->name_len = (uint32_t)(at - body);
        node->target = at + 2;
        node->target_len = (uint32_t)(blen - (size_t)(at - body) - 2);
        node->alias_start = astart;
        /* The printed end is the window's: it must agree with the size. */
        return aend - astart == node->end - node->start;
    }
    node->name = r;
    node->name_len = (uint32_t)n;
    return true;
}

static gm_u128 printed_size(hwaddr start, hwaddr end)
{
    if (end >= start) {
        return (gm_u128)end - start + 1;
    }
    /* The printed end wrapped: the region crosses 2^64 in absolute terms. */
    return ((gm_u128)1 << 64) - start + end + 1;
}

static gm_u128 node_size(const Node *n)
{
    return printed_size(n->start, n->end);
}

/* --- step 1: parsing -------------------------------------------------------- */

static Node *add_node(Importer *im, uint32_t parent, uint32_t level,
                      uint32_t line)
{
    if (im->nnodes >= GM_NONE - 1 ||
        !gm__grow(&im->nodes, im->nnodes, &im->cap_nodes, sizeof(Node))) {
        oom(im);
        return NULL;
    }
    Node *n = &im->nodes[im->nnodes++];
    memset(n, 0, sizeof(*n));
    n->parent = parent;
    n->level = level;
    n->line = line;
    n->size = 1;
    return n;
}

static const char hidden_name[] = "(hidden)";

/* What kind of dump it is, and whether it was printed with -o; refuses the
 * flat form here, with a clear word. */
static int classify(Importer *im, const char *text, size_t len)
{
    GmLines l = { text, text + len, 0 };
    const char *s;
    size_t n;
    bool any = false, all_owners = true, jump = false;
    /* " [disabled]" before an owner (as -o prints it), or at the end. */
    bool disabled_o = false, disabled = false;
    bool first = true, prev_alias = false;
    uint32_t prev = 0;
    while (gm__next_line(&l, &s, &n)) {
        size_t m = gm__skip_marks(s, n);
        s += m;
        n -= m;
        if (gm__is_blank(s, n)) {
            continue;
        }
        if (first && n >= 10 && memcmp(s, "FlatView #", 10) == 0) {
            return fail(im, l.lineno, "%s",
                        "this is `info mtree -f` output (flat views); the "
                        "tree to import is `info mtree -D` (the -f dump goes "
                        "with it as the flat dump)");
        }
        first = false;
        GmLine ln;
        if (!gm__parse_range_line(s, n, &ln)) {
            prev = 0; /* a header, or an error found by the parse */
            continue;
        }
        any = true;
        size_t o = gm__owner_suffix(ln.rest, ln.restlen), rl;
        all_owners &= o != 0;
        disabled_o |=
            o && gm__ends_with(ln.rest, ln.restlen - o, " [disabled]", &rl);
        disabled |= gm__ends_with(ln.rest, ln.restlen, " [disabled]", &rl);
        /* Deeper than one level below the line above, or below an alias
         * (which has no subregions of its own to print): only hidden
         * regions make that. */
        jump |= ln.level > prev + 1 || (ln.level == prev + 1 && prev_alias);
        prev = ln.level;
        prev_alias = ln.restlen > 6 && !memcmp(ln.rest, "alias ", 6);
    }
    im->has_owners = any && all_owners;
    /* Without -o, owner-like ends are part of names. */
    disabled = im->has_owners ? disabled_o : disabled;
    im->mode = disabled ? MODE_D : jump ? MODE_PLAIN : MODE_LITERAL;
    return 0;
}

static bool in_window(const Node *p, hwaddr start)
{
    return start >= p->start && start <= p->end;
}

static int parse_dump(Importer *im, const char *text)
{
    size_t len = strlen(text);
    if (len > GM_MTREE_MAX_INPUT) {
        return fail(im, 0, "the dump is larger than %zu MiB",
                    GM_MTREE_MAX_INPUT >> 20);
    }
    if (classify(im, text, len)) {
        return im->err;
    }
    Group *g = NULL;
    uint32_t *stack = NULL; /* the nodes above the current line */
    size_t depth = 0, cap = 0;
    bool in_header = false;
    GmLines l = { text, text + len, 0 };
    const char *p;
    size_t n;
    char q[84];
    while (!im->err && gm__next_line(&l, &p, &n)) {
        uint32_t lineno = l.lineno;
        size_t m = gm__skip_marks(p, n);
        if (gm__is_blank(p + m, n - m)) {
            in_header = false;
            continue;
        }
        static const char as_hdr[] = "address-space: ";
        static const char mr_hdr[] = "memory-region: ";
        bool is_as = n - m >= 15 && memcmp(p + m, as_hdr, 15) == 0;
        bool is_mr = n - m >= 15 && memcmp(p + m, mr_hdr, 15) == 0;
        if (is_as || is_mr) {
            /* Consecutive address-space headers name one root. */
            if (!(is_as && in_header && g && g->is_as && g->root == GM_NONE)) {
                if (!gm__grow(&im->groups, im->ngroups, &im->cap_groups,
                              sizeof(Group))) {
                    oom(im);
                    break;
                }
                g = &im->groups[im->ngroups++];
                *g = (Group){ .is_as = is_as,
                              .line = lineno,
                              .first_name = im->nnames,
                              .root = GM_NONE };
            }
            if (!gm__grow(&im->names, im->nnames, &im->cap_names,
                          sizeof(GmStr))) {
                oom(im);
                break;
            }
            im->names[im->nnames++] =
                (GmStr){ p + m + 15, (uint32_t)(n - m - 15) };
            g->nnames++;
            in_header = true;
            depth = 0;
            continue;
        }
        GmLine ln;
        if (!gm__parse_range_line(p, n, &ln)) {
            fail(im, lineno, "not an `info mtree` line: '%s'",
                 gm__quote(p, n, q));
            break;
        }
        if (!g) {
            fail(im, lineno, "%s",
                 "region line before any address-space: or memory-region: "
                 "header");
            break;
        }
        in_header = false;
        if (ln.level < 1) {
            fail(im, lineno, "%s", "region line without indentation");
            break;
        }
        if (g->root == GM_NONE && ln.level != 1) {
            fail(im, lineno, "%s",
                 im->mode == MODE_PLAIN
                     ? "the group's root region is hidden (disabled): a plain "
                       "`info mtree` dump cannot be imported exactly; import "
                       "`info mtree -D`"
                     : "the first region of a group must be at indentation "
                       "level 1");
            break;
        }
        if (g->root != GM_NONE && ln.level == 1) {
            fail(im, lineno, "%s",
                 "a group has one root region; a second one at level 1 is "
                 "not allowed");
            break;
        }
        while (depth > 0 && im->nodes[stack[depth - 1]].level >= ln.level) {
            depth--;
        }
        uint32_t parent = depth ? stack[depth - 1] : GM_NONE;
        if (im->mode != MODE_PLAIN) {
            if (parent != GM_NONE && im->nodes[parent].level + 1 != ln.level) {
                fail(im, lineno, "%s",
                     "indented two levels or more below the line above, "
                     "which `info mtree -D` never does");
                break;
            }
        } else {
            /* Plain `info mtree` hides disabled regions but prints their
             * children one level deeper.  A line one level below an alias,
             * or outside the window of the line above, belongs to such a
             * hidden sibling rather than to that line. */
            Node *pn = parent != GM_NONE ? &im->nodes[parent] : NULL;
            if (pn && !pn->synthetic && pn->level + 1 == ln.level &&
                pn->parent != GM_NONE &&
                (pn->target || !in_window(pn, ln.start))) {
                depth--;
                parent = pn->parent;
            }
            while (parent != GM_NONE &&
                   im->nodes[parent].level + 1 < ln.level) {
                uint32_t lv = im->nodes[parent].level + 1;
                Node *h = add_node(im, parent, lv, lineno);
                if (!h) {
                    break;
                }
                h->name = hidden_name;
                h->name_len = sizeof(hidden_name) - 1;
                h->kind = GM_K_IO;
                h->disabled = true;
                h->synthetic = true;
                h->start = ln.start; /* the window is fixed later */
                h->end = ln.end;
                if (!gm__grow(&stack, depth, &cap, sizeof(*stack))) {
                    oom(im);
                    break;
                }
                parent = stack[depth++] = (uint32_t)(im->nnodes - 1);
            }
            if (im->err) {
                break;
            }
        }
        Node *nd = add_node(im, parent, ln.level, lineno);
        if (!nd) {
            break;
        }
        nd->start = ln.start;
        nd->end = ln.end;
        nd->prio = ln.prio;
        nd->nv = ln.nv;
        nd->kind = ln.kind;
        if (!parse_rest(im, nd, ln.rest, ln.restlen)) {
            fail(im, lineno, "%s",
                 im->has_owners ? "malformed region name, alias or owner"
                                : "malformed region name or alias suffix");
            break;
        }
        uint32_t idx = (uint32_t)(im->nnodes - 1);
        if (g->root == GM_NONE) {
            g->root = idx;
            nd->as_root = g->is_as;
        }
        if (!gm__grow(&stack, depth, &cap, sizeof(*stack))) {
            oom(im);
            break;
        }
        stack[depth++] = idx;
    }
    free(stack);
    if (im->err) {
        return im->err;
    }
    if (im->ngroups == 0) {
        return fail(im, 0, "%s",
                    len ? "no address-space or memory-region group found"
                        : "the dump is empty");
    }
    for (size_t i = 0; i < im->ngroups; i++) {
        Group *gr = &im->groups[i];
        if (gr->root == GM_NONE) {
            GmStr *nm = &im->names[gr->first_name];
            return fail(im, gr->line, "%s %.*s has no region tree%s",
                        gr->is_as ? "address-space:" : "memory-region:",
                        (int)(nm->len > 200 ? 200 : nm->len), nm->s,
                        im->mode == MODE_PLAIN
                            ? " (its root is disabled: import `info mtree -D`)"
                            : "");
        }
    }
    return 0;
}

/* Sizes, kid counts, the windows of stand-ins and the structural hashes,
 * children before parents (reverse document order). */
static void finish_nodes(Importer *im)
{
    for (size_t i = im->nnodes; i-- > 0;) {
        Node *n = &im->nodes[i];
        if (n->parent != GM_NONE) {
            Node *p = &im->nodes[n->parent];
            p->size += n->size;
            p->nkids++;
            if (p->synthetic) {
                /* A stand-in is just wide enough for what it holds. */
                if (n->start < p->start) {
                    p->start = n->start;
                }
                if (n->end > p->end) {
                    p->end = n->end;
                }
            }
        }
    }
    /* Hashes need the final windows (relative addresses). */
    for (size_t i = im->nnodes; i-- > 0;) {
        Node *n = &im->nodes[i];
        hwaddr rel = n->parent != GM_NONE
                         ? n->start - im->nodes[n->parent].start
                         : n->start;
        gm_u128 size = node_size(n);
        uint64_t h = gm__hash_bytes(n->name, n->name_len);
        h = mix(h, n->target ? gm__hash_bytes(n->target, n->target_len) : 1);
        h = mix(h, n->owner ? gm__hash_bytes(n->owner, n->owner_len) : 2);
        h = mix(h, rel);
        h = mix(h, (uint64_t)size);
        h = mix(h, (uint64_t)(size >> 64));
        h = mix(h, (uint64_t)(int64_t)n->prio);
        h = mix(h, n->kind);
        h = mix(h, n->alias_start);
        h = mix(h, (uint64_t)n->nv | ((uint64_t)n->disabled << 1) |
                       ((uint64_t)n->nkids << 2));
        /* Children: their hashes in order. */
        for (size_t k = i + 1; k < i + n->size; k += im->nodes[k].size) {
            h = mix(h, im->nodes[k].hash);
        }
        n->hash = h;
    }
}

/* --- step 2: classes ---------------------------------------------------------- */

static uint32_t uf_find(Importer *im, uint32_t i)
{
    while (im->uf[i] != i) {
        im->uf[i] = im->uf[im->uf[i]];
        i = im->uf[i];
    }
    return i;
}

static hwaddr rel_addr(const Importer *im, const Node *n)
{
    return n->parent != GM_NONE ? n->start - im->nodes[n->parent].start
                                : n->start;
}

static bool same_str(const char *a, uint32_t al, const char *b, uint32_t bl)
{
    if (!a || !b) {
        return a == b;
    }
    return gm__str_eq(a, al, b, bl);
}

/* Whether the subtrees at @a and @b print the same (both runs of nodes in
 * preorder, so position by position). */
static bool same_subtree(const Importer *im, uint32_t a, uint32_t b)
{
    if (im->nodes[a].size != im->nodes[b].size) {
        return false;
    }
    for (uint32_t i = 0; i < im->nodes[a].size; i++) {
        const Node *x = &im->nodes[a + i], *y = &im->nodes[b + i];
        if (x->hash != y->hash || x->nkids != y->nkids ||
            rel_addr(im, x) != rel_addr(im, y) ||
            x->end - x->start != y->end - y->start || x->prio != y->prio ||
            x->nv != y->nv || x->disabled != y->disabled ||
            x->alias_start != y->alias_start || x->kind != y->kind ||
            !same_str(x->name, x->name_len, y->name, y->name_len) ||
            !same_str(x->target, x->target_len, y->target, y->target_len) ||
            !same_str(x->owner, x->owner_len, y->owner, y->owner_len)) {
            return false;
        }
    }
    return true;
}

static void union_subtrees(Importer *im, uint32_t a, uint32_t b)
{
    for (uint32_t i = 0; i < im->nodes[a].size; i++) {
        uint32_t ra = uf_find(im, a + i), rb = uf_find(im, b + i);
        if (ra != rb) {
            /* Keep the earlier node as representative. */
            if (ra < rb) {
                im->uf[rb] = ra;
            } else {
                im->uf[ra] = rb;
            }
        }
    }
}

/* Open hash from subtree hashes to lists of nodes in document order. */
typedef struct HashIdx {
    uint32_t *head; /* per bucket */
    uint32_t *next; /* per node */
    size_t mask;
} HashIdx;

static bool hashidx_build(HashIdx *x, const Importer *im, bool as_roots)
{
    size_t cap = 64;
    while (cap < 2 * im->nnodes) {
        cap *= 2;
    }
    x->mask = cap - 1;
    x->head = malloc(cap * sizeof(uint32_t));
    x->next = malloc((im->nnodes ? im->nnodes : 1) * sizeof(uint32_t));
    if (!x->head || !x->next) {
        return false;
    }
    memset(x->head, 0xff, cap * sizeof(uint32_t));
    for (size_t i = im->nnodes; i-- > 0;) {
        const Node *n = &im->nodes[i];
        if (as_roots ? n->as_root : n->parent != GM_NONE) {
            size_t b = n->hash & x->mask;
            x->next[i] = x->head[b];
            x->head[b] = (uint32_t)i;
        }
    }
    return true;
}

static void hashidx_free(HashIdx *x)
{
    free(x->head);
    free(x->next);
}

/* The first node of @x's list for @r's hash, outside @r's subtree, equal
 * to it; GM_NONE if there is none. */
static uint32_t first_equal(const Importer *im, const HashIdx *x, uint32_t r)
{
    const Node *rn = &im->nodes[r];
    for (uint32_t c = x->head[rn->hash & x->mask]; c != GM_NONE;
         c = x->next[c]) {
        if (c >= r && c < r + rn->size) {
            continue;
        }
        if (im->nodes[c].hash == rn->hash && same_subtree(im, r, c)) {
            return c;
        }
    }
    return GM_NONE;
}

/* Unions the root of each group with the first equal occurrence that is a
 * child somewhere (or, for a memory-region group, an address-space root). */
static int match_groups(Importer *im)
{
    HashIdx kids = { 0 }, roots = { 0 };
    if (!hashidx_build(&kids, im, false) || !hashidx_build(&roots, im, true)) {
        hashidx_free(&kids);
        hashidx_free(&roots);
        return oom(im);
    }
    for (size_t k = 0; k < im->ngroups; k++) {
        Group *g = &im->groups[k];
        uint32_t c = first_equal(im, &kids, g->root);
        if (!g->is_as) {
            uint32_t c2 = first_equal(im, &roots, g->root);
            if (c2 < c) {
                c = c2;
            }
        }
        if (c != GM_NONE) {
            union_subtrees(im, g->root, c);
        }
    }
    hashidx_free(&kids);
    hashidx_free(&roots);
    return 0;
}

/* --- step 3 and 4: building ---------------------------------------------------- */

static uint64_t placeholder_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void placeholder_write(void *opaque, hwaddr addr, uint64_t data,
                              unsigned size)
{
}

/* Imported MMIO has no device behind it. */
static const MemoryRegionOps imported_io_ops = {
    .read = placeholder_read,
    .write = placeholder_write,
    .endianness = DEVICE_NATIVE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};

typedef struct Build {
    Importer *im;
    GmMtreeImport *res;
    uint32_t *cls_of; /* node index -> class number */
    uint32_t *rep;    /* class number -> representative node */
    uint32_t *target; /* class number -> class of alias target, or GM_NONE */
    bool *has_kids;   /* class number -> some occurrence has subregions */
    size_t ncls;
    GmNameTab groups_by_name; /* memory-region groups, listed via gnext */
    uint32_t *gnext;
} Build;

/* How many groups of one name an alias looks through for one that fits. */
#define ALIAS_TARGET_TRIES 64

/* The class of the "memory-region:" group an alias @n points at. */
static uint32_t alias_target_class(Build *b, const Node *n)
{
    Importer *im = b->im;
    GmNameEnt *e =
        gm__name_get(&b->groups_by_name, n->target, n->target_len, false);
    uint32_t first = GM_NONE;
    unsigned tries = 0;
    for (uint32_t k = e ? e->head : GM_NONE;
         k != GM_NONE && tries < ALIAS_TARGET_TRIES; k = b->gnext[k], tries++) {
        const Node *root = &im->nodes[im->groups[k].root];
        uint32_t cls = b->cls_of[im->groups[k].root];
        if (first == GM_NONE) {
            first = cls;
        }
        if ((gm_u128)n->alias_start + node_size(n) <= node_size(root) &&
            (n->kind == root->kind || root->target)) {
            return cls;
        }
    }
    return first;
}

/* A NUL-terminated copy of a name, in a buffer reused from call to call. */
static const char *cname(Build *b, const char *s, uint32_t len, char **buf,
                         size_t *cap)
{
    if (len + 1 > *cap) {
        char *nb = realloc(*buf, len + 1);
        if (!nb) {
            oom(b->im);
            return NULL;
        }
        *buf = nb;
        *cap = len + 1;
    }
    memcpy(*buf, s, len);
    (*buf)[len] = '\0';
    return *buf;
}

static int init_class(Build *b, size_t c, char **buf, size_t *cap)
{
    Importer *im = b->im;
    Node *n = &im->nodes[b->rep[c]];
    MemoryRegion *mr = &b->res->regions[c];
    gm_u128 size128 = node_size(n);
    uint64_t size =
        size128 == ((gm_u128)1 << 64) ? UINT64_MAX : (uint64_t)size128;
    Error *err = NULL;
    const char *name = cname(b, n->name, n->name_len, buf, cap);
    if (!name) {
        return im->err;
    }
    if (n->target) {
        MemoryRegion *orig = &b->res->regions[b->target[c]];
        if (gm_memory_region_init_alias(mr, NULL, name, orig, n->alias_start,
                                        size, &err)) {
            fail(im, n->line, "%s", error_get_pretty(err));
            error_free(err);
            return im->err;
        }
    } else if (n->kind != GM_K_IO) {
        if (!gm__region_init_ram_flags(mr, NULL, name, size, RAM_NORESERVE,
                                       &err)) {
            fail(im, n->line, "%s", error_get_pretty(err));
            error_free(err);
            return im->err;
        }
        if (n->kind == GM_K_ROM) {
            mr->readonly = true;
        } else if (n->kind == GM_K_RAMD) {
            mr->ram_device = true;
            mr->ops = &gm__ram_device_ops;
            mr->opaque = mr;
        } else if (n->kind == GM_K_ROMD) {
            mr->ram = false;
            mr->rom_device = true;
            mr->romd_mode = true;
            mr->ops = &imported_io_ops;
        }
    } else {
        uint32_t fl = im->have_hint
                          ? name_flags(&im->names_tab, n->name, n->name_len)
                          : 0;
        bool mmio = b->has_kids[c] ? (fl & GM_N_FILLS) : !(fl & GM_N_EMPTY);
        if (n->synthetic) {
            mmio = false;
        }
        if (mmio) {
            memory_region_init_io(mr, NULL, &imported_io_ops, NULL, name, size);
        } else {
            memory_region_init(mr, NULL, name, size);
        }
        /* 2^64 - 1 bytes, which the uint64_t API cannot say. */
        mr->size = (Int128)size128;
    }
    mr->nonvolatile = n->nv;
    mr->enabled = !n->disabled;
    if (n->owner) {
        if (!gm__import_intern(b->res, n->owner, n->owner_len,
                               &b->res->owner[c])) {
            return oom(im);
        }
    }
    b->res->made[c] = true;
    b->res->made_order[b->res->nmade++] = c;
    return 0;
}

/* Non-aliases first, then each alias after the chain of aliases it points
 * through. */
static int build_regions(Build *b)
{
    Importer *im = b->im;
    char *buf = NULL;
    size_t cap = 0;
    uint32_t *chain = malloc((b->ncls ? b->ncls : 1) * sizeof(uint32_t));
    uint8_t *state = calloc(b->ncls ? b->ncls : 1, 1); /* 1: on a chain */
    if (!chain || !state) {
        oom(im);
        goto out;
    }
    for (size_t c = 0; c < b->ncls && !im->err; c++) {
        if (!im->nodes[b->rep[c]].target) {
            init_class(b, c, &buf, &cap);
        }
    }
    for (size_t c = 0; c < b->ncls && !im->err; c++) {
        size_t n = 0;
        uint32_t x = (uint32_t)c;
        while (!b->res->made[x]) {
            if (state[x]) {
                Node *rn = &im->nodes[b->rep[x]];
                fail(im, rn->line, "alias '%.*s' is part of an alias cycle",
                     (int)(rn->name_len > 200 ? 200 : rn->name_len), rn->name);
                goto out;
            }
            state[x] = 1;
            chain[n++] = x;
            x = b->target[x];
        }
        while (n && !im->err) {
            init_class(b, chain[--n], &buf, &cap);
        }
    }
out:
    free(buf);
    free(chain);
    free(state);
    return im->err;
}

typedef struct KidOrder {
    int32_t prio;
    uint32_t pos; /* in print order */
    uint32_t node;
} KidOrder;

static int kid_order_cmp(const void *a, const void *b)
{
    const KidOrder *x = a, *y = b;
    if (x->prio != y->prio) {
        return x->prio < y->prio ? -1 : 1;
    }
    return x->pos > y->pos ? -1 : x->pos < y->pos;
}

/* Links every class's children into it, top-down: a class's children go in
 * before the children of any region under it or aliased from it (so that
 * adding a subregion never has a filled subtree to search for cycles), and
 * each container's in the order below. */
static int link_children(Build *b)
{
    Importer *im = b->im;
    size_t nc = b->ncls;
    uint32_t *indeg = calloc(nc ? nc : 1, sizeof(uint32_t));
    uint32_t *queue = malloc((nc ? nc : 1) * sizeof(uint32_t));
    bool *linked = calloc(nc ? nc : 1, sizeof(bool));
    bool *done = calloc(nc ? nc : 1, sizeof(bool));
    if (!indeg || !queue || !linked || !done) {
        oom(im);
        goto out;
    }
    for (size_t c = 0; c < nc; c++) {
        const Node *r = &im->nodes[b->rep[c]];
        for (uint32_t k = b->rep[c] + 1; k < b->rep[c] + r->size;
             k += im->nodes[k].size) {
            indeg[b->cls_of[k]]++;
        }
        if (b->target[c] != GM_NONE) {
            indeg[b->target[c]]++;
        }
    }
    size_t qh = 0, qt = 0;
    for (size_t c = 0; c < nc; c++) {
        if (!indeg[c]) {
            queue[qt++] = (uint32_t)c;
        }
    }
    /* Classes left over sit on a containment cycle: add_subregion refuses
     * those with a precise error, so take them in order. */
    for (size_t next = 0; !im->err;) {
        uint32_t c;
        if (qh < qt) {
            c = queue[qh++];
        } else {
            while (next < nc && done[next]) {
                next++;
            }
            if (next == nc) {
                break;
            }
            c = (uint32_t)next;
        }
        if (done[c]) {
            continue;
        }
        done[c] = true;
        const Node *r = &im->nodes[b->rep[c]];
        MemoryRegion *parent = &b->res->regions[c];
        /* The children of the representative, in the order they are
         * added: by priority, lowest first, and among equal priorities the
         * last printed first (so the first printed is the newest, as QEMU
         * lists equals).  Each then goes to the head of the sibling list:
         * no walk along it, however many siblings there are. */
        uint32_t nk = 0;
        KidOrder *kids = malloc((r->nkids ? r->nkids : 1) * sizeof(*kids));
        if (!kids) {
            oom(im);
            break;
        }
        for (uint32_t k = b->rep[c] + 1; k < b->rep[c] + r->size;
             k += im->nodes[k].size) {
            kids[nk] = (KidOrder){ im->nodes[k].prio, nk, k };
            nk++;
        }
        qsort(kids, nk, sizeof(*kids), kid_order_cmp);
        for (uint32_t i = 0; i < nk && !im->err; i++) {
            const Node *n = &im->nodes[kids[i].node];
            uint32_t kc = b->cls_of[kids[i].node];
            MemoryRegion *mr = &b->res->regions[kc];
            if (--indeg[kc] == 0 && !done[kc]) {
                queue[qt++] = kc;
            }
            if (linked[kc]) {
                if (mr->container != parent) {
                    fail(im, n->line,
                         "region '%.*s' appears in two different containers",
                         (int)(n->name_len > 200 ? 200 : n->name_len), n->name);
                }
                continue;
            }
            Error *err = NULL;
            if (gm_memory_region_add_subregion(parent, rel_addr(im, n), mr,
                                               n->prio, &err)) {
                fail(im, n->line, "%s", error_get_pretty(err));
                error_free(err);
            }
            linked[kc] = true;
        }
        free(kids);
        if (b->target[c] != GM_NONE && --indeg[b->target[c]] == 0 &&
            !done[b->target[c]]) {
            queue[qt++] = b->target[c];
        }
    }
    /* Roots of groups keep their printed address and priority too. */
    for (size_t k = 0; k < im->ngroups && !im->err; k++) {
        const Node *r = &im->nodes[im->groups[k].root];
        MemoryRegion *mr = &b->res->regions[b->cls_of[im->groups[k].root]];
        if (!mr->container) {
            mr->priority = r->prio;
            mr->addr = r->start;
        }
    }
out:
    free(indeg);
    free(queue);
    free(linked);
    free(done);
    return im->err;
}

/* --- the -f facts ---------------------------------------------------------- */

/* The names of the dump's regions, with what the hints need to know. */
static int index_names(Importer *im)
{
    for (size_t i = 0; i < im->nnodes; i++) {
        const Node *n = &im->nodes[i];
        if (n->target || n->synthetic) {
            continue;
        }
        GmNameEnt *e = gm__name_get(&im->names_tab, n->name, n->name_len, true);
        if (!e) {
            return oom(im);
        }
        e->flags |= GM_N_REGION | (1u << n->kind);
        e->flags |= n->nkids             ? GM_N_HAS_KIDS
                    : n->kind == GM_K_IO ? GM_N_LEAF_IO
                                         : 0;
    }
    return 0;
}

/* What the -f text says that the tree cannot: which regions with
 * subregions fill their gaps, which ranges are read-only through an alias,
 * and (from a whole -f dump) which childless i/o regions render nothing. */
static int apply_flat_facts(Importer *im)
{
    GmFlat *f = &im->flat;
    bool hintish_only = true;
    for (size_t b = 0; b < f->nb; b++) {
        for (size_t i = 0; i < f->b[b].nranges; i++) {
            GmFlatRange *r = &f->r[f->b[b].first_range + i];
            GmNameEnt *e =
                gm__name_get(&im->names_tab, r->name.s, r->name.len, false);
            uint32_t fl = e ? e->flags : 0;
            bool rom_of_non_rom =
                r->kind == GM_K_ROM && !(fl & (1u << GM_K_ROM));
            hintish_only &= (fl & GM_N_HAS_KIDS) || rom_of_non_rom;
            if (!e) {
                continue;
            }
            e->flags |= GM_N_IN_FLAT | (fl & GM_N_HAS_KIDS ? GM_N_FILLS : 0);
            if (rom_of_non_rom) {
                if (!gm__grow(&im->roms, im->nroms, &im->cap_roms,
                              sizeof(RomHint))) {
                    return oom(im);
                }
                im->roms[im->nroms++] = (RomHint){ b, r->start, r->end };
            }
        }
    }
    /* The distilled facts hold only those lines and "# not rendered:". */
    im->full_flat = !f->has_not_rendered && !hintish_only;
    if (im->full_flat) {
        for (size_t i = 0; i < im->names_tab.cap; i++) {
            GmNameEnt *e = &im->names_tab.e[i];
            if (e->s && (e->flags & GM_N_LEAF_IO) &&
                !(e->flags & GM_N_IN_FLAT)) {
                e->flags |= GM_N_EMPTY;
            }
        }
    }
    return 0;
}

static int apply_rom_hints(Build *b)
{
    Importer *im = b->im;
    if (!im->nroms) {
        return 0;
    }
    /* Address-space groups by name. */
    GmNameTab by_name = { 0 };
    uint32_t *next = malloc(im->ngroups * sizeof(uint32_t));
    size_t *stamp = calloc(im->ngroups, sizeof(size_t));
    if (!next || !stamp) {
        oom(im);
        goto out;
    }
    for (size_t k = 0; k < im->ngroups && !im->err; k++) {
        Group *g = &im->groups[k];
        next[k] = GM_NONE;
        for (size_t a = 0; g->is_as && a < g->nnames; a++) {
            GmStr *nm = &im->names[g->first_name + a];
            GmNameEnt *e = gm__name_get(&by_name, nm->s, nm->len, true);
            if (!e) {
                oom(im);
                goto out;
            }
            if (e->tail != k && e->head != k) {
                if (e->tail == GM_NONE) {
                    e->head = (uint32_t)k;
                } else if (next[e->tail] == GM_NONE) {
                    next[e->tail] = (uint32_t)k;
                }
                e->tail = (uint32_t)k;
            }
        }
    }
    /* Resolving is cheap for any dump QEMU prints (a few hundred steps per
     * address); a crafted one could make it exponential, so all hints
     * together get a bounded number of steps. */
    unsigned long budget = GM_RESOLVE_BUDGET;
    for (size_t i = 0; i < im->nroms && !im->err; i++) {
        RomHint *rr = &im->roms[i];
        GmFlatBlock *fb = &im->flat.b[rr->block];
        for (size_t a = 0; a < fb->nas && !im->err; a++) {
            GmFlatAs *fa = &im->flat.as[fb->first_as + a];
            GmNameEnt *e =
                gm__name_get(&by_name, fa->name.s, fa->name.len, false);
            for (uint32_t k = e ? e->head : GM_NONE; k != GM_NONE;
                 k = next[k]) {
                if (stamp[k] == i + 1) {
                    continue;
                }
                stamp[k] = i + 1;
                MemoryRegion *root =
                    &b->res->regions[b->cls_of[im->groups[k].root]];
                /* The range may span several aliases (PAM segments): mark
                 * each one that serves part of it. */
                hwaddr at = rr->start, done = at;
                int r;
                while ((r = gm__mark_readonly_path(root, at, &done, &budget)) >
                           0 &&
                       done < rr->last) {
                    at = done + 1;
                }
                if (r < 0) {
                    im->err = gm_error_setg(
                        im->errp, GM_ERR_PARSE,
                        "the read-only hint at 0x%" PRIx64
                        " cannot be applied: the dump's aliases overlap "
                        "too intricately to resolve an address",
                        at);
                    break;
                }
            }
        }
    }
out:
    free(by_name.e);
    free(next);
    free(stamp);
    return im->err;
}

/* --- driver ------------------------------------------------------------------ */

static void importer_free(Importer *im)
{
    free(im->nodes);
    free(im->groups);
    free(im->names);
    free(im->uf);
    free(im->names_tab.e);
    gm__flat_free(&im->flat);
    free(im->roms);
}

void gm_mtree_import_free(GmMtreeImport *imp)
{
    if (!imp) {
        return;
    }
    for (size_t i = 0; i < imp->nspaces; i++) {
        address_space_destroy(&imp->spaces[i]);
    }
    memory_region_transaction_begin();
    for (size_t c = 0; c < imp->nregions; c++) {
        MemoryRegion *mr = &imp->regions[c];
        if (imp->made[c] && mr->container) {
            gm_memory_region_del_subregion(mr->container, mr, NULL);
        }
    }
    memory_region_transaction_commit();
    /* Aliases were made after their targets: undo in reverse. */
    for (size_t i = imp->nmade; i-- > 0;) {
        size_t c = imp->made_order[i];
        if (gm_memory_region_destroy(&imp->regions[c], NULL) == 0) {
            imp->made[c] = false;
        }
    }
    free(imp->regions);
    free(imp->made);
    free(imp->made_order);
    free(imp->spaces);
    free(imp->strings);
    free(imp->owner);
    free(imp->flat_rank);
    free(imp->block_of);
    for (size_t i = 0; i < imp->nblocks; i++) {
        free(imp->blocks[i].start);
        free(imp->blocks[i].suffix);
    }
    free(imp->blocks);
    free(imp);
}

static int number_classes(Build *b)
{
    Importer *im = b->im;
    size_t n = im->nnodes;
    for (size_t i = 0; i < n; i++) {
        b->cls_of[i] = GM_NONE;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t r = uf_find(im, (uint32_t)i);
        if (b->cls_of[r] == GM_NONE) {
            b->cls_of[r] = (uint32_t)b->ncls;
            b->rep[b->ncls++] = r;
        }
        b->cls_of[i] = b->cls_of[r];
        if (im->nodes[i].nkids) {
            b->has_kids[b->cls_of[i]] = true;
        }
    }
    /* Memory-region groups by name, in document order. */
    for (size_t k = im->ngroups; k-- > 0;) {
        Group *g = &im->groups[k];
        b->gnext[k] = GM_NONE;
        if (g->is_as) {
            continue;
        }
        GmStr *nm = &im->names[g->first_name];
        GmNameEnt *e = gm__name_get(&b->groups_by_name, nm->s, nm->len, true);
        if (!e) {
            return oom(im);
        }
        b->gnext[k] = e->head;
        e->head = (uint32_t)k;
    }
    for (size_t c = 0; c < b->ncls; c++) {
        b->target[c] = GM_NONE;
        Node *rn = &im->nodes[b->rep[c]];
        if (rn->target) {
            uint32_t t = alias_target_class(b, rn);
            if (t == GM_NONE) {
                char q[84];
                return fail(im, rn->line,
                            "alias target '%s' is never described by a "
                            "memory-region: group",
                            gm__quote(rn->target, rn->target_len, q));
            }
            b->target[c] = t;
        }
    }
    return 0;
}

static int make_spaces(Build *b)
{
    Importer *im = b->im;
    GmMtreeImport *res = b->res;
    char *buf = NULL;
    size_t cap = 0;
    for (size_t k = 0; k < im->ngroups && !im->err; k++) {
        Group *g = &im->groups[k];
        MemoryRegion *root = &res->regions[b->cls_of[g->root]];
        for (size_t a = 0; g->is_as && a < g->nnames; a++) {
            GmStr *nm = &im->names[g->first_name + a];
            const char *name = cname(b, nm->s, nm->len, &buf, &cap);
            Error *err = NULL;
            if (!name) {
                break;
            }
            if (gm_address_space_init(&res->spaces[res->nspaces], root, name,
                                      &err)) {
                fail(im, g->line, "%s", error_get_pretty(err));
                error_free(err);
                break;
            }
            res->nspaces++;
        }
    }
    free(buf);
    return im->err;
}

/* Prints the import again and compares it with the dump, line by line. */
static int verify_tree(Importer *im, GmMtreeImport *res)
{
    uint32_t line = 0;
    char *got = NULL, *want = NULL;
    int r = gm__mtree_compare(res, im->text, im->has_owners,
                              im->mode != MODE_PLAIN, &line, &got, &want);
    if (r < 0) {
        oom(im);
    } else if (r > 0) {
        char q1[84], q2[84];
        fail(im, line,
             "the dump cannot be rebuilt exactly: it says '%s', the rebuilt "
             "tree prints %s%s%s%s",
             want ? gm__quote(want, strlen(want), q1) : "nothing more",
             got ? "'" : "",
             got ? gm__quote(got, strlen(got), q2) : "nothing more",
             got ? "'" : "",
             im->mode == MODE_PLAIN
                 ? " (a plain `info mtree` dump hides disabled regions: "
                   "import `info mtree -D`)"
                 : "");
    }
    free(got);
    free(want);
    return im->err;
}

static GmMtreeImport *build(Importer *im)
{
    size_t n = im->nnodes;
    Build b = { .im = im };
    GmMtreeImport *res = calloc(1, sizeof(*res));
    im->uf = malloc((n ? n : 1) * sizeof(uint32_t));
    b.cls_of = malloc((n ? n : 1) * sizeof(uint32_t));
    b.rep = malloc((n ? n : 1) * sizeof(uint32_t));
    b.target = malloc((n ? n : 1) * sizeof(uint32_t));
    b.has_kids = calloc(n ? n : 1, sizeof(bool));
    b.gnext = malloc((im->ngroups ? im->ngroups : 1) * sizeof(uint32_t));
    if (!res || !im->uf || !b.cls_of || !b.rep || !b.target || !b.has_kids ||
        !b.gnext) {
        oom(im);
        goto out;
    }
    b.res = res;
    res->has_owners = im->has_owners;
    uint32_t none;
    if (!gm__import_intern(res, "", 0, &none)) { /* offset 0: no text */
        oom(im);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        im->uf[i] = (uint32_t)i;
    }
    if (match_groups(im) || number_classes(&b)) {
        goto out;
    }
    size_t ncls = b.ncls ? b.ncls : 1, nas = 0;
    for (size_t k = 0; k < im->ngroups; k++) {
        nas += im->groups[k].is_as ? im->groups[k].nnames : 0;
    }
    /* A VM has a few hundred (one per PCI function and a few more); each
     * new address space looks at all the others (address-space.c), so a
     * crafted dump of millions would take hours. */
    if (nas > GM_MTREE_MAX_SPACES) {
        fail(im, 0,
             "the dump has %zu address spaces, more than the %d "
             "guestmem imports",
             nas, GM_MTREE_MAX_SPACES);
        goto out;
    }
    res->regions = calloc(ncls, sizeof(MemoryRegion));
    res->made = calloc(ncls, sizeof(bool));
    res->made_order = malloc(ncls * sizeof(size_t));
    res->owner = calloc(ncls, sizeof(uint32_t));
    res->spaces = calloc(nas ? nas : 1, sizeof(AddressSpace));
    res->nregions = b.ncls;
    if (!res->regions || !res->made || !res->made_order || !res->owner ||
        !res->spaces) {
        oom(im);
        goto out;
    }
    memory_region_transaction_begin();
    if (!build_regions(&b) && !link_children(&b) && !apply_rom_hints(&b)) {
        make_spaces(&b);
    }
    memory_region_transaction_commit();
    if (!im->err && im->full_flat) {
        im->err = gm__flat_check(res, &im->flat, im->errp);
    }
    if (!im->err) {
        verify_tree(im, res);
    }
out:
    free(b.cls_of);
    free(b.rep);
    free(b.target);
    free(b.has_kids);
    free(b.gnext);
    free(b.groups_by_name.e);
    if (im->err) {
        gm_mtree_import_free(res);
        return NULL;
    }
    return res;
}

/* Steps 1 to 3 on @dump and @flat (either may fail). */
static int read_texts(Importer *im, const char *dump, const char *flat)
{
    im->text = dump;
    if (parse_dump(im, dump)) {
        return im->err;
    }
    finish_nodes(im);
    if (flat) {
        /* Only the -f facts are looked up by region name. */
        if (index_names(im)) {
            return im->err;
        }
        im->have_hint = true;
        if ((im->err =
                 gm__flat_parse(&im->flat, flat, &im->names_tab, im->errp)) ||
            apply_flat_facts(im)) {
            return im->err;
        }
    }
    return 0;
}

GmMtreeImport *gm_mtree_import(const char *dump, const char *flat, Error **errp)
{
    if (!dump) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG, "no dump text");
        return NULL;
    }
    Importer im = { .errp = errp };
    GmMtreeImport *res = NULL;
    if (!read_texts(&im, dump, flat)) {
        res = build(&im);
    }
    importer_free(&im);
    return res;
}

GmMtreeImport *gm_mtree_import_file(const char *path, const char *flat_path,
                                    Error **errp)
{
    if (!path) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG, "no dump file given");
        return NULL;
    }
    char *dump = gm__read_input(path, errp);
    if (!dump) {
        return NULL;
    }
    char *flat = NULL;
    if (flat_path && !(flat = gm__read_input(flat_path, errp))) {
        free(dump);
        return NULL;
    }
    GmMtreeImport *res = gm_mtree_import(dump, flat, errp);
    if (!res) {
        error_prepend(errp, "%s: ", path);
    }
    free(dump);
    free(flat);
    return res;
}

/* What the printer asks of an import (mtree-internal.h). */
const char *gm__import_owner(const GmMtreeImport *imp, const MemoryRegion *mr)
{
    if (!imp || !imp->has_owners || mr < imp->regions ||
        mr >= imp->regions + imp->nregions) {
        return NULL;
    }
    uint32_t off = imp->owner[mr - imp->regions];
    return off ? imp->strings + off : NULL;
}

size_t gm__import_flat_rank(const GmMtreeImport *imp, const AddressSpace *as)
{
    if (!imp || !imp->flat_rank || as < imp->spaces ||
        as >= imp->spaces + imp->nspaces) {
        return SIZE_MAX;
    }
    return imp->flat_rank[as - imp->spaces];
}

const char *gm__import_suffix(const GmMtreeImport *imp, const AddressSpace *as,
                              size_t i, hwaddr start)
{
    if (!imp || !imp->block_of || as < imp->spaces ||
        as >= imp->spaces + imp->nspaces) {
        return "";
    }
    size_t b = imp->block_of[as - imp->spaces];
    if (b >= imp->nblocks || i >= imp->blocks[b].nr ||
        imp->blocks[b].start[i] != start) {
        return "";
    }
    return imp->strings + imp->blocks[b].suffix[i];
}

char *gm_mtree_flat_hint(const char *dump, const char *flat, Error **errp)
{
    if (!dump || !flat) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG, "dump or flat text missing");
        return NULL;
    }
    Importer im = { .errp = errp };
    char *out = NULL;
    if (!read_texts(&im, dump, flat)) {
        out = gm__flat_hint_text(flat, &im.flat, &im.names_tab, errp);
    }
    importer_free(&im);
    return out;
}
