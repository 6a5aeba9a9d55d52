// SPDX-License-Identifier: MIT
/*
 * mtree-import.c - rebuilding a region tree from `info mtree -D` text.
 *
 * The dump prints every address space's tree, then a "memory-region:" group
 * for each alias target.  The same region can therefore be printed several
 * times: as a child, as an address-space root, and again as an alias
 * target's group with its whole subtree.  Names are not unique (the pc
 * machine has two "pam-pci" per PAM segment), so occurrences are matched by
 * structure instead: two printed subtrees are the same region when their
 * name, relative address, size, priority, kind, flags and children all agree.
 *
 * The steps:
 *   1. parse every line into occurrence trees (Node), one per group;
 *   2. give every node a class (union-find): each "memory-region:" group and
 *      each address-space root is unioned with the first structurally equal
 *      occurrence elsewhere, and their children pairwise;
 *   3. resolve each alias's "@target" to the class of a "memory-region:"
 *      group of that name (several groups of one name: the first whose size
 *      fits the alias window);
 *   4. create one MemoryRegion per class: RAM, ROM, ROM device, RAM device,
 *      MMIO or container (the -f facts decide between the last two);
 *      aliases after their targets; subregions in reverse print order, so
 *      that siblings of equal address and priority keep their printed order;
 *   5. mark read-only the aliases the -f facts show as `rom`;
 *   6. create the address spaces, all in one transaction.
 * On any error everything made so far is destroyed again.
 */
#include "internal.h"

#include <ctype.h>
#include <errno.h>

typedef struct Node Node;
struct Node {
    char *name;
    char *target; /* alias target name, NULL if not an alias */
    hwaddr start, end;
    hwaddr alias_start;
    gm_u128 size;
    int prio;
    char kind[8];
    bool nv, disabled, synthetic;
    int line;
    int level;
    Node *parent;
    Node **kids;
    size_t nkids;
    size_t index;  /* position in the flat node array */
    uint64_t hash; /* structural hash of the subtree */
};

typedef struct Group {
    bool is_as;
    char **names; /* address-space names, or the memory-region name */
    size_t nnames;
    Node *root;
} Group;

typedef struct Hint {
    char **parent_names; /* i/o regions with subregions that fill gaps */
    size_t nparents;
    char **empty_names; /* childless i/o regions that render nothing */
    size_t nempty;
    struct RomRange {
        char **as_names;
        size_t nas;
        hwaddr start;
        hwaddr last;
    } * roms;
    size_t nroms;
} Hint;

typedef struct Importer {
    Node **nodes;
    size_t nnodes;
    Group *groups;
    size_t ngroups;
    size_t *uf; /* union-find parent per node */
    Hint hint;
    bool have_hint;
    Error **errp;
    int err;
} Importer;

struct GmMtreeImport {
    MemoryRegion *regions; /* one per class */
    bool *made;
    size_t nregions;
    AddressSpace *spaces;
    size_t nspaces;
};

/* --- small utilities ------------------------------------------------------ */

static int fail(Importer *im, int line, const char *fmt, const char *arg)
{
    if (!im->err) {
        if (line > 0) {
            char *m = gm__asprintf(fmt, arg);
            im->err = gm_error_setg(im->errp, GM_ERR_PARSE, "line %d: %s", line,
                                    m ? m : "malformed input");
            free(m);
        } else {
            im->err = gm_error_setg(im->errp, GM_ERR_PARSE, fmt, arg);
        }
    }
    return im->err;
}

static bool push(void *vecp, size_t *n, size_t elem, const void *val)
{
    char **vec = vecp;
    char *v = realloc(*vec, (*n + 1) * elem);
    if (!v) {
        return false;
    }
    memcpy(v + *n * elem, val, elem);
    *vec = v;
    (*n)++;
    return true;
}

static bool parse_hex(const char *s, size_t len, hwaddr *out)
{
    if (len == 0 || len > 16) {
        return false;
    }
    hwaddr v = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        int d = isdigit(c)               ? c - '0'
                : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                         : -1;
        if (d < 0) {
            return false;
        }
        v = (v << 4) | (hwaddr)d;
    }
    *out = v;
    return true;
}

/* A parsed region line. */
typedef struct Line {
    int level;
    hwaddr start, end;
    int prio;
    char kind[8];
    bool nv;
    const char *rest; /* after "): ", up to the end of line */
    size_t restlen;
} Line;

/* Parses "START-END (prio P, KIND): REST"; false if it is not one. */
static bool parse_range_line(const char *s, size_t len, Line *ln)
{
    size_t sp = 0;
    while (sp < len && s[sp] == ' ') {
        sp++;
    }
    ln->level = (int)(sp / 2);
    const char *p = s + sp, *end = s + len;
    static const char overflow[] = "[DETECTED OVERFLOW!] ";
    if ((size_t)(end - p) > sizeof(overflow) - 1 &&
        memcmp(p, overflow, sizeof(overflow) - 1) == 0) {
        p += sizeof(overflow) - 1;
    }
    if (end - p < 34 || p[16] != '-' || !parse_hex(p, 16, &ln->start) ||
        !parse_hex(p + 17, 16, &ln->end)) {
        return false;
    }
    p += 33;
    static const char prio[] = " (prio ";
    if ((size_t)(end - p) < sizeof(prio) || memcmp(p, prio, 7) != 0) {
        return false;
    }
    p += 7;
    char *q;
    long pr = strtol(p, &q, 10);
    if (q == p || q >= end || *q != ',' || pr < INT32_MIN || pr > INT32_MAX) {
        return false;
    }
    ln->prio = (int)pr;
    p = q + 1;
    if (p >= end || *p != ' ') {
        return false;
    }
    p++;
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
    if (p >= end || klen == 0 || klen >= sizeof(ln->kind)) {
        return false;
    }
    memcpy(ln->kind, k, klen);
    ln->kind[klen] = '\0';
    if (strcmp(ln->kind, "ram") && strcmp(ln->kind, "rom") &&
        strcmp(ln->kind, "romd") && strcmp(ln->kind, "ramd") &&
        strcmp(ln->kind, "i/o")) {
        return false;
    }
    if (end - p < 3 || p[1] != ':' || p[2] != ' ') {
        return false;
    }
    ln->rest = p + 3;
    ln->restlen = (size_t)(end - ln->rest);
    return true;
}

static char *dupn(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static bool ends_with(const char *s, size_t len, const char *suffix,
                      size_t *newlen)
{
    size_t n = strlen(suffix);
    if (len >= n && memcmp(s + len - n, suffix, n) == 0) {
        *newlen = len - n;
        return true;
    }
    return false;
}

/* Fills the name/alias part of @node from the text after the kind. */
static bool parse_rest(Node *node, const char *r, size_t n)
{
    node->disabled = ends_with(r, n, " [disabled]", &n);
    if (n > 6 && memcmp(r, "alias ", 6) == 0) {
        /* "alias NAME @TARGET OFFSTART-OFFEND" */
        if (n < 6 + 2 + 34) {
            return false;
        }
        const char *range = r + n - 33;
        hwaddr astart, aend;
        if (range[-1] != ' ' || range[16] != '-' ||
            !parse_hex(range, 16, &astart) ||
            !parse_hex(range + 17, 16, &aend)) {
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
        node->name = dupn(body, (size_t)(at - body));
        node->target = dupn(at + 2, blen - (size_t)(at - body) - 2);
        node->alias_start = astart;
        return node->name && node->target;
    }
    node->name = dupn(r, n);
    return node->name != NULL;
}

static void node_free(Node *n)
{
    if (!n) {
        return;
    }
    free(n->name);
    free(n->target);
    free(n->kids);
    free(n);
}

/* --- step 1: parsing -------------------------------------------------------- */

static Node *add_node(Importer *im, Node *parent, int level, int line)
{
    Node *n = calloc(1, sizeof(*n));
    if (!n || !push(&im->nodes, &im->nnodes, sizeof(n), &n)) {
        free(n);
        im->err = gm_error_setg(im->errp, GM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    n->index = im->nnodes - 1;
    n->parent = parent;
    n->level = level;
    n->line = line;
    if (parent && !push(&parent->kids, &parent->nkids, sizeof(n), &n)) {
        im->err = gm_error_setg(im->errp, GM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    return n;
}

static gm_u128 printed_size(hwaddr start, hwaddr end)
{
    if (end >= start) {
        return (gm_u128)end - start + 1;
    }
    /* The printed end wrapped: the region crosses 2^64 in absolute terms. */
    return ((gm_u128)1 << 64) - start + end + 1;
}

static int parse_dump(Importer *im, const char *text)
{
    Group *g = NULL;
    Node *stack[256];
    int depth = 0; /* nodes on the stack */
    int lineno = 0;
    bool in_header = false;
    for (const char *p = text; *p && !im->err;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *next = eol ? eol + 1 : p + len;
        lineno++;
        if (len && p[len - 1] == '\r') {
            len--;
        }
        bool blank = true;
        for (size_t i = 0; i < len; i++) {
            blank &= isspace((unsigned char)p[i]) != 0;
        }
        if (blank) {
            in_header = false;
            p = next;
            continue;
        }
        static const char as_hdr[] = "address-space: ";
        static const char mr_hdr[] = "memory-region: ";
        bool is_as = len >= 15 && memcmp(p, as_hdr, 15) == 0;
        bool is_mr = len >= 15 && memcmp(p, mr_hdr, 15) == 0;
        if (is_as || is_mr) {
            char *name = dupn(p + 15, len - 15);
            if (!name) {
                return im->err = gm_error_setg(im->errp, GM_ERR_NO_MEMORY,
                                               "out of memory");
            }
            if (!(is_as && in_header && g && g->is_as && !g->root)) {
                Group ng = { .is_as = is_as };
                if (!push(&im->groups, &im->ngroups, sizeof(ng), &ng)) {
                    free(name);
                    return im->err = gm_error_setg(im->errp, GM_ERR_NO_MEMORY,
                                                   "out of memory");
                }
                g = &im->groups[im->ngroups - 1];
            }
            if (!push(&g->names, &g->nnames, sizeof(name), &name)) {
                free(name);
                return im->err = gm_error_setg(im->errp, GM_ERR_NO_MEMORY,
                                               "out of memory");
            }
            in_header = true;
            depth = 0;
            p = next;
            continue;
        }
        Line ln;
        if (!parse_range_line(p, len, &ln)) {
            char *t = dupn(p, len > 80 ? 80 : len);
            fail(im, lineno, "not an `info mtree` line: '%s'", t ? t : "");
            free(t);
            break;
        }
        if (!g) {
            fail(im, lineno, "%s",
                 "region line before any address-space: "
                 "or memory-region: header");
            break;
        }
        in_header = false;
        if (ln.level < 1) {
            fail(im, lineno, "%s", "region line without indentation");
            break;
        }
        if (!g->root && ln.level != 1) {
            fail(im, lineno, "%s",
                 "the first region of a group must be at "
                 "indentation level 1");
            break;
        }
        if (g->root && ln.level == 1) {
            fail(im, lineno, "%s",
                 "a group has one root region; a second "
                 "one at level 1 is not allowed");
            break;
        }
        if (ln.level > 250) {
            fail(im, lineno, "%s", "indentation too deep");
            break;
        }
        while (depth > 0 && stack[depth - 1]->level >= ln.level) {
            depth--;
        }
        Node *parent = depth ? stack[depth - 1] : NULL;
        /* Plain `info mtree` hides disabled regions but prints their
         * children one level deeper.  A line one level below an alias, or
         * outside the window of the line above, belongs to such a hidden
         * sibling rather than to that line. */
        if (parent && parent->level + 1 == ln.level && parent->parent &&
            (parent->target || ln.start < parent->start ||
             ln.start > parent->end)) {
            depth--;
            parent = parent->parent;
        }
        while (parent && parent->level + 1 < ln.level) {
            Node *h = add_node(im, parent, parent->level + 1, lineno);
            if (!h) {
                break;
            }
            h->name = gm__strdup("(hidden)");
            h->start = ln.start;
            h->end = parent->end;
            h->size = printed_size(h->start, h->end);
            strcpy(h->kind, "i/o");
            h->disabled = true;
            h->synthetic = true;
            stack[depth++] = h;
            parent = h;
        }
        if (im->err) {
            break;
        }
        Node *n = add_node(im, parent, ln.level, lineno);
        if (!n) {
            break;
        }
        n->start = ln.start;
        n->end = ln.end;
        n->size = printed_size(ln.start, ln.end);
        n->prio = ln.prio;
        n->nv = ln.nv;
        memcpy(n->kind, ln.kind, sizeof(n->kind));
        if (!parse_rest(n, ln.rest, ln.restlen)) {
            fail(im, lineno, "%s", "malformed region name or alias suffix");
            break;
        }
        if (!g->root) {
            g->root = n;
        }
        stack[depth++] = n;
        p = next;
    }
    if (!im->err) {
        for (size_t i = 0; i < im->ngroups; i++) {
            if (!im->groups[i].root && !im->groups[i].is_as) {
                return fail(im, 0, "memory-region: %s has no region line",
                            im->groups[i].names[0]);
            }
        }
        /* An address-space header with no tree shares the next group's
         * root (QEMU prints all names of one root, then the tree once). */
        if (im->ngroups && !im->groups[im->ngroups - 1].root) {
            return fail(im, 0, "address-space: %s has no region tree",
                        im->groups[im->ngroups - 1].names[0]);
        }
        if (im->ngroups == 0) {
            return fail(im, 0, "%s",
                        "no address-space or memory-region "
                        "group found");
        }
    }
    return im->err;
}

/* --- step 2: classes ---------------------------------------------------------- */

static size_t uf_find(Importer *im, size_t i)
{
    while (im->uf[i] != i) {
        im->uf[i] = im->uf[im->uf[i]];
        i = im->uf[i];
    }
    return i;
}

static hwaddr rel_addr(const Node *n)
{
    return n->parent ? n->start - n->parent->start : n->start;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; s && *s; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    }
    return h;
}

static void compute_hashes(Node *n)
{
    uint64_t h = hash_str(n->name);
    h = mix(h, hash_str(n->target));
    h = mix(h, rel_addr(n));
    h = mix(h, (uint64_t)n->size);
    h = mix(h, (uint64_t)(n->size >> 64));
    h = mix(h, (uint64_t)(int64_t)n->prio);
    h = mix(h, hash_str(n->kind));
    h = mix(h, n->alias_start);
    h = mix(h, (uint64_t)n->nv | ((uint64_t)n->disabled << 1));
    for (size_t i = 0; i < n->nkids; i++) {
        compute_hashes(n->kids[i]);
        h = mix(h, n->kids[i]->hash);
    }
    n->hash = h;
}

static bool same_node(const Node *a, const Node *b)
{
    if (a->hash != b->hash || a->nkids != b->nkids ||
        rel_addr(a) != rel_addr(b) || a->size != b->size ||
        a->prio != b->prio || a->nv != b->nv || a->disabled != b->disabled ||
        a->alias_start != b->alias_start || strcmp(a->kind, b->kind) ||
        strcmp(a->name, b->name) || (!a->target != !b->target) ||
        (a->target && strcmp(a->target, b->target))) {
        return false;
    }
    for (size_t i = 0; i < a->nkids; i++) {
        if (!same_node(a->kids[i], b->kids[i])) {
            return false;
        }
    }
    return true;
}

static void union_trees(Importer *im, Node *a, Node *b)
{
    size_t ra = uf_find(im, a->index), rb = uf_find(im, b->index);
    if (ra != rb) {
        /* Keep the earlier node as representative. */
        if (ra < rb) {
            im->uf[rb] = ra;
        } else {
            im->uf[ra] = rb;
        }
    }
    for (size_t i = 0; i < a->nkids; i++) {
        union_trees(im, a->kids[i], b->kids[i]);
    }
}

static bool in_subtree(const Node *n, const Node *root)
{
    for (; n; n = n->parent) {
        if (n == root) {
            return true;
        }
    }
    return false;
}

/* Unions the root of group @g with the first equal occurrence that is a
 * child somewhere (or, for a memory-region group, an address-space root). */
static void match_group(Importer *im, Group *g)
{
    Node *r = g->root;
    for (size_t i = 0; i < im->nnodes; i++) {
        Node *c = im->nodes[i];
        if (in_subtree(c, r)) {
            continue;
        }
        bool candidate = c->parent != NULL;
        if (!candidate && !g->is_as) {
            for (size_t k = 0; k < im->ngroups; k++) {
                if (im->groups[k].is_as && im->groups[k].root == c) {
                    candidate = true;
                }
            }
        }
        if (candidate && same_node(r, c)) {
            union_trees(im, r, c);
            return;
        }
    }
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

static bool name_in(char **v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i], name) == 0) {
            return true;
        }
    }
    return false;
}

/* The class of the "memory-region:" group an alias @n points at. */
static long alias_target_class(Importer *im, const Node *n)
{
    long first = -1;
    for (size_t k = 0; k < im->ngroups; k++) {
        Group *g = &im->groups[k];
        if (g->is_as || strcmp(g->names[0], n->target) != 0) {
            continue;
        }
        long cls = (long)uf_find(im, g->root->index);
        if (first < 0) {
            first = cls;
        }
        if ((gm_u128)n->alias_start + n->size <= g->root->size &&
            (strcmp(n->kind, g->root->kind) == 0 || g->root->target)) {
            return cls;
        }
    }
    return first;
}

typedef struct Build {
    Importer *im;
    GmMtreeImport *res;
    size_t *cls_of; /* node index -> class number */
    Node **rep;     /* class number -> representative node */
    long *target;   /* class number -> class of alias target, or -1 */
    size_t ncls;
} Build;

static int init_class(Build *b, size_t c)
{
    Importer *im = b->im;
    Node *n = b->rep[c];
    MemoryRegion *mr = &b->res->regions[c];
    uint64_t size =
        n->size == ((gm_u128)1 << 64) ? UINT64_MAX : (uint64_t)n->size;
    Error *err = NULL;
    bool has_kids = false;
    for (size_t i = 0; i < im->nnodes && !has_kids; i++) {
        Node *k = im->nodes[i];
        has_kids = k->parent && b->cls_of[k->parent->index] == c;
    }
    if (n->target) {
        MemoryRegion *orig = &b->res->regions[b->target[c]];
        if (gm_memory_region_init_alias(mr, NULL, n->name, orig, n->alias_start,
                                        size, &err)) {
            fail(im, n->line, "%s", error_get_pretty(err));
            error_free(err);
            return im->err;
        }
    } else if (!strcmp(n->kind, "ram") || !strcmp(n->kind, "rom") ||
               !strcmp(n->kind, "ramd") || !strcmp(n->kind, "romd")) {
        if (!gm__region_init_ram_flags(mr, NULL, n->name, size, RAM_NORESERVE,
                                       &err)) {
            fail(im, n->line, "%s", error_get_pretty(err));
            error_free(err);
            return im->err;
        }
        if (!strcmp(n->kind, "rom")) {
            mr->readonly = true;
        } else if (!strcmp(n->kind, "ramd")) {
            mr->ram_device = true;
            mr->ops = &gm__ram_device_ops;
            mr->opaque = mr;
        } else if (!strcmp(n->kind, "romd")) {
            mr->ram = false;
            mr->rom_device = true;
            mr->romd_mode = true;
            mr->ops = &imported_io_ops;
        }
    } else {
        bool mmio;
        if (has_kids) {
            mmio = im->have_hint &&
                   name_in(im->hint.parent_names, im->hint.nparents, n->name);
        } else {
            mmio = !(im->have_hint &&
                     name_in(im->hint.empty_names, im->hint.nempty, n->name));
        }
        if (n->synthetic) {
            mmio = false;
        }
        if (mmio) {
            memory_region_init_io(mr, NULL, &imported_io_ops, NULL, n->name,
                                  size);
        } else {
            memory_region_init(mr, NULL, n->name, size);
        }
    }
    mr->nonvolatile = n->nv;
    mr->enabled = !n->disabled;
    b->res->made[c] = true;
    return 0;
}

static int build_regions(Build *b)
{
    Importer *im = b->im;
    /* Non-aliases first, then aliases whose target is ready, repeatedly. */
    size_t left = 0;
    for (size_t c = 0; c < b->ncls; c++) {
        if (!b->rep[c]->target) {
            if (init_class(b, c)) {
                return im->err;
            }
        } else {
            left++;
        }
    }
    while (left) {
        size_t done = 0;
        for (size_t c = 0; c < b->ncls; c++) {
            if (b->res->made[c] || !b->rep[c]->target ||
                !b->res->made[b->target[c]]) {
                continue;
            }
            if (init_class(b, c)) {
                return im->err;
            }
            done++;
        }
        if (!done) {
            for (size_t c = 0; c < b->ncls; c++) {
                if (!b->res->made[c]) {
                    return fail(im, b->rep[c]->line,
                                "alias '%s' is part of an alias cycle",
                                b->rep[c]->name);
                }
            }
        }
        left -= done;
    }
    return 0;
}

static int link_children(Build *b)
{
    Importer *im = b->im;
    bool *linked = calloc(b->ncls ? b->ncls : 1, sizeof(bool));
    if (!linked) {
        return im->err =
                   gm_error_setg(im->errp, GM_ERR_NO_MEMORY, "out of memory");
    }
    /* Walk nodes in reverse document order: the last printed sibling is
     * added first, so the first printed ends up newest. */
    for (size_t i = im->nnodes; i-- > 0 && !im->err;) {
        Node *n = im->nodes[i];
        if (!n->parent) {
            continue;
        }
        size_t c = b->cls_of[n->index], pc = b->cls_of[n->parent->index];
        MemoryRegion *mr = &b->res->regions[c];
        MemoryRegion *parent = &b->res->regions[pc];
        if (linked[c]) {
            if (mr->container != parent) {
                fail(im, n->line,
                     "region '%s' appears in two different "
                     "containers",
                     n->name);
            }
            continue;
        }
        Error *err = NULL;
        if (gm_memory_region_add_subregion(parent, rel_addr(n), mr, n->prio,
                                           &err)) {
            fail(im, n->line, "%s", error_get_pretty(err));
            error_free(err);
        }
        linked[c] = true;
    }
    /* Roots of groups keep their printed priority too. */
    for (size_t k = 0; k < im->ngroups; k++) {
        Node *r = im->groups[k].root;
        if (r) {
            MemoryRegion *mr = &b->res->regions[b->cls_of[r->index]];
            if (!mr->container) {
                mr->priority = r->prio;
                mr->addr = r->start;
            }
        }
    }
    free(linked);
    return im->err;
}

/* Marks read-only the alias nearest the leaf on the path that serves @addr
 * (or, with no alias on it, the innermost container).  *@done receives the
 * last address of the marked region's window, so that the caller can
 * continue after it.
 * Return: 1 when marked; 0 when nothing serves @addr or nothing could be
 * marked (the hint does not fit the tree: the caller stops following it);
 * -1 when the tree is too intricate to resolve. */
static int mark_readonly_path(MemoryRegion *root, hwaddr addr, hwaddr *done,
                              unsigned long *budget)
{
    MemoryRegionSection s;
    GmResolvePath path;
    int found = gm__resolve_at(root, 0, addr, &s, &path, budget);
    if (found <= 0) {
        return found;
    }
    /* path.mr[0] is the leaf; the deepest alias above it, or else its
     * innermost container, is what a read-only hint speaks of. */
    size_t pick = path.n;
    for (size_t i = 1; i < path.n; i++) {
        if (path.mr[i]->alias) {
            pick = i;
            break;
        }
    }
    if (pick == path.n && path.n > 1) {
        pick = 1;
    }
    if (pick == path.n) {
        return 0;
    }
    MemoryRegion *mark = path.mr[pick];
    mark->readonly = true;
    Int128 last = path.base[pick] + mark->size - 1;
    *done = last > (Int128)UINT64_MAX ? UINT64_MAX
            : last > (Int128)addr     ? (hwaddr)last
                                      : addr;
    return 1;
}

/* The tree of an address-space group: its own, or (for a header with no
 * tree, printed just before another group of the same root) the next one. */
static Node *group_tree(Importer *im, Group *g)
{
    while (!g->root && g + 1 < im->groups + im->ngroups) {
        g++;
    }
    return g->root;
}

static int apply_rom_hints(Build *b)
{
    Importer *im = b->im;
    /* Resolving is cheap for any dump QEMU prints (a few hundred steps per
     * address); a crafted one could make it exponential, so all hints
     * together get a bounded number of steps. */
    unsigned long budget = GM_RESOLVE_BUDGET;
    for (size_t i = 0; i < im->hint.nroms; i++) {
        struct RomRange *rr = &im->hint.roms[i];
        for (size_t k = 0; k < im->ngroups; k++) {
            Group *g = &im->groups[k];
            if (!g->is_as) {
                continue;
            }
            bool match = false;
            for (size_t a = 0; a < g->nnames; a++) {
                match |= name_in(rr->as_names, rr->nas, g->names[a]);
            }
            Node *tree = group_tree(im, g);
            if (!match || !tree) {
                continue;
            }
            MemoryRegion *root = &b->res->regions[b->cls_of[tree->index]];
            /* The range may span several aliases (PAM segments): mark each
             * one that serves part of it. */
            hwaddr a = rr->start, done = a;
            int r;
            while ((r = mark_readonly_path(root, a, &done, &budget)) > 0 &&
                   done < rr->last) {
                a = done + 1;
            }
            if (r < 0) {
                return im->err = gm_error_setg(
                           im->errp, GM_ERR_PARSE,
                           "the read-only hint at 0x%" PRIx64
                           " cannot be applied: the dump's aliases overlap "
                           "too intricately to resolve an address",
                           a);
            }
        }
    }
    return 0;
}

/* --- the -f facts ---------------------------------------------------------- */

static void hint_free(Hint *h)
{
    for (size_t i = 0; i < h->nparents; i++) {
        free(h->parent_names[i]);
    }
    for (size_t i = 0; i < h->nempty; i++) {
        free(h->empty_names[i]);
    }
    for (size_t i = 0; i < h->nroms; i++) {
        for (size_t k = 0; k < h->roms[i].nas; k++) {
            free(h->roms[i].as_names[k]);
        }
        free(h->roms[i].as_names);
    }
    free(h->parent_names);
    free(h->empty_names);
    free(h->roms);
    memset(h, 0, sizeof(*h));
}

/* Name of a flat-view line: "NAME" or "NAME @OFFSET". */
static char *flat_line_name(const Line *ln)
{
    const char *r = ln->rest;
    size_t n = ln->restlen;
    if (n > 18 && r[n - 18] == ' ' && r[n - 17] == '@') {
        hwaddr off;
        if (parse_hex(r + n - 16, 16, &off)) {
            n -= 18;
        }
    }
    return dupn(r, n);
}

/* Kinds printed for each region name in the -D dump (non-alias lines). */
static bool dump_has_kind(Importer *im, const char *name, const char *kind)
{
    for (size_t i = 0; i < im->nnodes; i++) {
        Node *n = im->nodes[i];
        if (!n->target && !strcmp(n->name, name) && !strcmp(n->kind, kind)) {
            return true;
        }
    }
    return false;
}

static bool dump_has_parent_named(Importer *im, const char *name)
{
    for (size_t i = 0; i < im->nnodes; i++) {
        Node *n = im->nodes[i];
        if (!n->target && n->nkids && !strcmp(n->name, name)) {
            return true;
        }
    }
    return false;
}

/* Reads hint text (or a whole -f dump, distilled first) into im->hint. */
static int parse_hint(Importer *im, const char *text)
{
    Hint *h = &im->hint;
    char **as_names = NULL;
    size_t nas = 0;
    bool in_header = false;
    int lineno = 0;
    for (const char *p = text; *p && !im->err;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        const char *next = eol ? eol + 1 : p + len;
        lineno++;
        Line ln;
        static const char nr[] = "# not rendered: ";
        if (len >= 10 && memcmp(p, "FlatView #", 10) == 0) {
            in_header = true;
            for (size_t i = 0; i < nas; i++) {
                free(as_names[i]);
            }
            nas = 0;
        } else if (len > 5 && memcmp(p, " AS \"", 5) == 0 && in_header) {
            const char *q = memchr(p + 5, '"', len - 5);
            char *name = q ? dupn(p + 5, (size_t)(q - p - 5)) : NULL;
            if (!name || !push(&as_names, &nas, sizeof(name), &name)) {
                free(name);
                fail(im, lineno, "%s", "malformed AS line in the flat dump");
            }
        } else if (len >= sizeof(nr) - 1 &&
                   memcmp(p, nr, sizeof(nr) - 1) == 0) {
            char *name = dupn(p + sizeof(nr) - 1, len - (sizeof(nr) - 1));
            if (!name ||
                !push(&h->empty_names, &h->nempty, sizeof(name), &name)) {
                free(name);
                fail(im, lineno, "%s", "out of memory");
            }
        } else if (parse_range_line(p, len, &ln)) {
            in_header = false;
            char *name = flat_line_name(&ln);
            if (!name) {
                fail(im, lineno, "%s", "out of memory");
                break;
            }
            if (!strcmp(ln.kind, "rom") && !dump_has_kind(im, name, "rom")) {
                struct RomRange rr = { NULL, 0, ln.start, ln.end };
                for (size_t i = 0; i < nas; i++) {
                    char *d = gm__strdup(as_names[i]);
                    if (d) {
                        push(&rr.as_names, &rr.nas, sizeof(d), &d);
                    }
                }
                push(&h->roms, &h->nroms, sizeof(rr), &rr);
            }
            if (dump_has_parent_named(im, name) &&
                !name_in(h->parent_names, h->nparents, name)) {
                push(&h->parent_names, &h->nparents, sizeof(name), &name);
                name = NULL;
            }
            free(name);
        }
        p = next;
    }
    for (size_t i = 0; i < nas; i++) {
        free(as_names[i]);
    }
    free(as_names);
    return im->err;
}

/* Whether @flat is a full `info mtree -f` dump rather than the hint: a hint
 * holds only lines of regions with subregions and `rom` lines of non-ROM
 * regions, plus "# not rendered:" lines. */
static bool is_full_flat_dump(Importer *im, const char *flat)
{
    if (strstr(flat, "\n# not rendered: ") ||
        !strncmp(flat, "# not rendered: ", 16)) {
        return false;
    }
    for (const char *p = flat; *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        Line ln;
        if (parse_range_line(p, len, &ln)) {
            char *name = flat_line_name(&ln);
            bool hintish =
                name &&
                (dump_has_parent_named(im, name) ||
                 (!strcmp(ln.kind, "rom") && !dump_has_kind(im, name, "rom")));
            free(name);
            if (!hintish) {
                return true;
            }
        }
        p = eol ? eol + 1 : p + len;
    }
    return false;
}

/* Childless i/o names of the dump that no line of the full -f dump names. */
static int add_unrendered(Importer *im, const char *flat)
{
    for (size_t i = 0; i < im->nnodes; i++) {
        Node *n = im->nodes[i];
        if (n->target || n->nkids || strcmp(n->kind, "i/o") ||
            name_in(im->hint.empty_names, im->hint.nempty, n->name)) {
            continue;
        }
        bool seen = false;
        for (const char *p = flat; *p && !seen;) {
            const char *eol = strchr(p, '\n');
            size_t len = eol ? (size_t)(eol - p) : strlen(p);
            Line ln;
            if (parse_range_line(p, len, &ln)) {
                char *name = flat_line_name(&ln);
                seen = name && !strcmp(name, n->name);
                free(name);
            }
            p = eol ? eol + 1 : p + len;
        }
        if (!seen) {
            char *d = gm__strdup(n->name);
            if (!d ||
                !push(&im->hint.empty_names, &im->hint.nempty, sizeof(d), &d)) {
                free(d);
                return im->err = gm_error_setg(im->errp, GM_ERR_NO_MEMORY,
                                               "out of memory");
            }
        }
    }
    return 0;
}

/* --- driver ------------------------------------------------------------------ */

static void importer_free(Importer *im)
{
    for (size_t i = 0; i < im->nnodes; i++) {
        node_free(im->nodes[i]);
    }
    for (size_t i = 0; i < im->ngroups; i++) {
        for (size_t k = 0; k < im->groups[i].nnames; k++) {
            free(im->groups[i].names[k]);
        }
        free(im->groups[i].names);
    }
    free(im->nodes);
    free(im->groups);
    free(im->uf);
    hint_free(&im->hint);
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
    /* Aliases before their targets: destroy whatever is free, repeatedly. */
    bool progress = true;
    while (progress) {
        progress = false;
        for (size_t c = 0; c < imp->nregions; c++) {
            if (imp->made[c] && imp->regions[c].alias_users == 0 &&
                gm_memory_region_destroy(&imp->regions[c], NULL) == 0) {
                imp->made[c] = false;
                progress = true;
            }
        }
    }
    free(imp->regions);
    free(imp->made);
    free(imp->spaces);
    free(imp);
}

static GmMtreeImport *build(Importer *im)
{
    size_t n = im->nnodes;
    im->uf = malloc((n ? n : 1) * sizeof(size_t));
    Build b = { .im = im };
    b.cls_of = malloc((n ? n : 1) * sizeof(size_t));
    b.rep = malloc((n ? n : 1) * sizeof(Node *));
    b.target = malloc((n ? n : 1) * sizeof(long));
    GmMtreeImport *res = calloc(1, sizeof(*res));
    if (!im->uf || !b.cls_of || !b.rep || !b.target || !res) {
        im->err = gm_error_setg(im->errp, GM_ERR_NO_MEMORY, "out of memory");
        goto out;
    }
    b.res = res;
    for (size_t i = 0; i < n; i++) {
        im->uf[i] = i;
    }
    for (size_t k = 0; k < im->ngroups; k++) {
        if (im->groups[k].root) {
            compute_hashes(im->groups[k].root);
        }
    }
    for (size_t k = 0; k < im->ngroups; k++) {
        if (im->groups[k].root) {
            match_group(im, &im->groups[k]);
        }
    }
    /* Number the classes. */
    for (size_t i = 0; i < n; i++) {
        b.cls_of[i] = SIZE_MAX;
    }
    for (size_t i = 0; i < n; i++) {
        size_t r = uf_find(im, i);
        if (b.cls_of[r] == SIZE_MAX) {
            b.cls_of[r] = b.ncls;
            b.rep[b.ncls++] = im->nodes[r];
        }
        b.cls_of[i] = b.cls_of[r];
    }
    for (size_t c = 0; c < b.ncls; c++) {
        b.target[c] = -1;
        Node *rn = b.rep[c];
        if (rn->target) {
            long t = alias_target_class(im, rn);
            if (t < 0) {
                fail(im, rn->line,
                     "alias target '%s' is never described "
                     "by a memory-region: group",
                     rn->target);
                goto out;
            }
            b.target[c] = (long)b.cls_of[t];
        }
    }
    res->regions = calloc(b.ncls ? b.ncls : 1, sizeof(MemoryRegion));
    res->made = calloc(b.ncls ? b.ncls : 1, sizeof(bool));
    res->nregions = b.ncls;
    size_t nas = 0;
    for (size_t k = 0; k < im->ngroups; k++) {
        if (im->groups[k].is_as) {
            nas += im->groups[k].nnames;
        }
    }
    res->spaces = calloc(nas ? nas : 1, sizeof(AddressSpace));
    if (!res->regions || !res->made || !res->spaces) {
        im->err = gm_error_setg(im->errp, GM_ERR_NO_MEMORY, "out of memory");
        goto out;
    }
    memory_region_transaction_begin();
    if (!build_regions(&b) && !link_children(&b)) {
        apply_rom_hints(&b);
        /* Address-space groups with no tree share the next group's root. */
        for (size_t k = 0; k < im->ngroups && !im->err; k++) {
            Group *g = &im->groups[k];
            if (!g->is_as) {
                continue;
            }
            Node *tree = group_tree(im, g);
            if (!tree) {
                fail(im, 0, "address-space: %s has no region tree",
                     g->names[0]);
                break;
            }
            MemoryRegion *root = &res->regions[b.cls_of[tree->index]];
            for (size_t a = 0; a < g->nnames; a++) {
                Error *err = NULL;
                if (gm_address_space_init(&res->spaces[res->nspaces], root,
                                          g->names[a], &err)) {
                    fail(im, 0, "%s", error_get_pretty(err));
                    error_free(err);
                    break;
                }
                res->nspaces++;
            }
        }
    }
    memory_region_transaction_commit();
out:
    free(b.cls_of);
    free(b.rep);
    free(b.target);
    if (im->err) {
        gm_mtree_import_free(res);
        return NULL;
    }
    return res;
}

GmMtreeImport *gm_mtree_import(const char *dump, const char *flat, Error **errp)
{
    if (!dump) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG, "no dump text");
        return NULL;
    }
    Importer im = { .errp = errp };
    GmMtreeImport *res = NULL;
    if (parse_dump(&im, dump)) {
        goto out;
    }
    if (flat) {
        im.have_hint = true;
        if (parse_hint(&im, flat)) {
            goto out;
        }
        if (is_full_flat_dump(&im, flat) && add_unrendered(&im, flat)) {
            goto out;
        }
    }
    res = build(&im);
out:
    importer_free(&im);
    return res;
}

static char *read_file(const char *path, Error **errp)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        gm_error_setg(errp, GM_ERR_IO, "cannot open '%s': %s", path,
                      strerror(errno));
        return NULL;
    }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            break;
        }
        if (n + 1 == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    bool bad = ferror(f);
    fclose(f);
    if (!buf) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory reading '%s'",
                      path);
        return NULL;
    }
    if (bad) {
        free(buf);
        gm_error_setg(errp, GM_ERR_IO, "cannot read '%s'", path);
        return NULL;
    }
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
        free(buf);
        gm_error_setg(errp, GM_ERR_PARSE, "'%s' is not text (contains NUL)",
                      path);
        return NULL;
    }
    return buf;
}

GmMtreeImport *gm_mtree_import_file(const char *path, const char *flat_path,
                                    Error **errp)
{
    if (!path) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG, "no dump file given");
        return NULL;
    }
    char *dump = read_file(path, errp);
    if (!dump) {
        return NULL;
    }
    char *flat = NULL;
    if (flat_path && !(flat = read_file(flat_path, errp))) {
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

static int strcmp_ptr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *gm_mtree_flat_hint(const char *dump, const char *flat, Error **errp)
{
    if (!dump || !flat) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG, "dump or flat text missing");
        return NULL;
    }
    Importer im = { .errp = errp };
    char *out = NULL;
    size_t len = 0;
    FILE *f = NULL;
    if (parse_dump(&im, dump)) {
        goto done;
    }
    f = open_memstream(&out, &len);
    if (!f) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        goto done;
    }
    /* The same selection as the oracle's flat_hint.py. */
    for (const char *p = flat; *p;) {
        const char *eol = strchr(p, '\n');
        size_t n = eol ? (size_t)(eol - p) : strlen(p);
        Line ln;
        if (!parse_range_line(p, n, &ln)) {
            fprintf(f, "%.*s\n", (int)n, p);
        } else {
            char *name = flat_line_name(&ln);
            if (name && (dump_has_parent_named(&im, name) ||
                         (!strcmp(ln.kind, "rom") &&
                          !dump_has_kind(&im, name, "rom")))) {
                fprintf(f, "%.*s\n", (int)n, p);
            }
            free(name);
        }
        p = eol ? eol + 1 : p + n;
    }
    /* Like flat_hint.py, which splits on newlines: a final newline leaves
     * one empty last line. */
    if (!*flat || flat[strlen(flat) - 1] == '\n') {
        fputc('\n', f);
    }
    if (add_unrendered(&im, flat) == 0) {
        /* Sorted, as flat_hint.py prints them. */
        if (im.hint.nempty) {
            qsort(im.hint.empty_names, im.hint.nempty, sizeof(char *),
                  strcmp_ptr);
        }
        for (size_t i = 0; i < im.hint.nempty; i++) {
            fprintf(f, "# not rendered: %s\n", im.hint.empty_names[i]);
        }
    }
    fclose(f);
    f = NULL;
done:
    importer_free(&im);
    if (im.err) {
        free(out);
        return NULL;
    }
    return out;
}
