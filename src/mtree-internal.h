/* SPDX-License-Identifier: MIT */
/*
 * mtree-internal.h - what the `info mtree` printer (mtree-print.c), the
 * importer (mtree-import.c) and its file reader (mtree-input.c) share: the
 * layout of an import, the printer's entry point, a pointer map, and the
 * limits on input.
 *
 * An import keeps, beside the regions and address spaces it made, what the
 * dumps said that the model has no field for: the owner text of each region
 * (`info mtree -o`), the order in which QEMU printed the flat views and
 * their address spaces (hash-table order in QEMU, not recoverable from the
 * model), and the accelerator marks (" KVM") of each flat range.  The
 * printer asks for them through the gm__import_* functions below.
 */
#ifndef GUESTMEM_MTREE_INTERNAL_H
#define GUESTMEM_MTREE_INTERNAL_H

#include "base.h"

/* How long a pipe or a character device may take to deliver a dump. */
#define GM_MTREE_INPUT_TIMEOUT_MS 30000

/* One flat view block of the imported `info mtree -f` dump. */
typedef struct GmImportBlock {
    size_t nr;        /* ranges */
    hwaddr *start;    /* start of each range, to check it still matches */
    uint32_t *suffix; /* offset of its accelerator mark in strings, or 0 */
} GmImportBlock;

struct GmMtreeImport {
    MemoryRegion *regions; /* one per class of equal occurrences */
    bool *made;            /* regions[i] was initialised */
    size_t nregions;
    size_t *made_order; /* classes in the order they were initialised */
    size_t nmade;
    AddressSpace *spaces; /* in the order of the -D dump */
    size_t nspaces;
    /* What the text said and the model does not keep. */
    char *strings; /* pool of NUL-terminated texts; offset 0 is "" */
    size_t strings_len, strings_cap;
    uint32_t *owner;   /* per region: offset of " owner:{...}" text, or 0 */
    bool has_owners;   /* the tree dump was printed with -o */
    size_t *flat_rank; /* per space: position in the -f dump, or SIZE_MAX */
    size_t *block_of;  /* per space: its block, or SIZE_MAX */
    GmImportBlock *blocks;
    size_t nblocks;
};

/* Appends @s[0..len) to @imp's strings; *@off receives its offset.
 * Return: false when out of memory. */
bool gm__import_intern(GmMtreeImport *imp, const char *s, size_t len,
                       uint32_t *off);

/* The owner text the dump printed for @mr (" owner:{...}", " orphan"...),
 * or NULL when @mr is not an imported region or the dump had no owners. */
const char *gm__import_owner(const GmMtreeImport *imp, const MemoryRegion *mr);
/* Where @as was printed among the address spaces of the -f dump, or
 * SIZE_MAX if unknown. */
size_t gm__import_flat_rank(const GmMtreeImport *imp, const AddressSpace *as);
/* The accelerator mark (" KVM") QEMU printed after range @i, starting at
 * @start, of the view @as was printed in; "" if none or unknown. */
const char *gm__import_suffix(const GmMtreeImport *imp, const AddressSpace *as,
                              size_t i, hwaddr start);

/* Prints `info mtree` to @f: of every address space in creation order when
 * @imp is NULL, else of @imp's address spaces, with the owners, flat-view
 * order and accelerator marks its dumps gave. */
void gm__mtree_print(FILE *f, const GmMtreeImport *imp, bool flatview,
                     bool dispatch_tree, bool owner, bool disabled);

/* Prints the trees of @imp (with @owner and @disabled as `info mtree`'s -o
 * and -D) and compares the lines with those of @text, blank lines and line
 * ends aside.  Return: 0 if they are the same; 1 if not, with *@line the
 * line of @text where they part and *@got / *@want (malloc'd, NULL for "no
 * more lines") the two lines; -1 when out of memory. */
int gm__mtree_compare(const GmMtreeImport *imp, const char *text, bool owner,
                      bool disabled, uint32_t *line, char **got, char **want);

/* The contents of the file, pipe or character device @path as a string,
 * read within GM_MTREE_MAX_INPUT bytes and, for what is not a regular file,
 * GM_MTREE_INPUT_TIMEOUT_MS; refused with a clear error if it holds a NUL
 * byte, is a directory or a socket.  Return: malloc'd text, or NULL with
 * GM_ERR_IO or GM_ERR_PARSE (mtree-input.c). */
char *gm__read_input(const char *path, Error **errp);

/* --- the line format, read back (mtree-print.c) ---------------------------- */

#define GM_NONE UINT32_MAX

/* The kinds QEMU prints, as read (gm__kind_names[GM_K_*]). */
enum {
    GM_K_RAM,
    GM_K_ROM,
    GM_K_ROMD,
    GM_K_RAMD,
    GM_K_IO
};
extern const char *const gm__kind_names[];

/* A piece of a text: not NUL-terminated. */
typedef struct GmStr {
    const char *s;
    uint32_t len;
} GmStr;

static inline bool gm__str_eq(const char *a, size_t alen, const char *b,
                              size_t blen)
{
    return alen == blen && memcmp(a, b, alen) == 0;
}

/* Makes room for one more element in the vector *@vecp of @n elements.
 * Return: false when out of memory. */
static inline bool gm__grow(void *vecp, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap) {
        return true;
    }
    size_t ncap = *cap ? 2 * *cap : 64;
    void *v = realloc(*(void **)vecp, ncap * elem);
    if (!v) {
        return false;
    }
    *(void **)vecp = v;
    *cap = ncap;
    return true;
}

/* The lines of a text (gm__next_line: without "\n" or a "\r" before it). */
typedef struct GmLines {
    const char *p, *end;
    uint32_t lineno;
} GmLines;
bool gm__next_line(GmLines *l, const char **s, size_t *len);
size_t gm__count_spaces(const char *s, size_t n);
bool gm__is_blank(const char *s, size_t n);
bool gm__parse_hex(const char *s, size_t len, hwaddr *out);
/* The length of the "[DETECTED OVERFLOW!] " markers @s starts with. */
size_t gm__skip_marks(const char *s, size_t len);
bool gm__ends_with(const char *s, size_t len, const char *suffix,
                   size_t *newlen);
/* Up to 80 bytes of @s for an error message: one line, printable. */
const char *gm__quote(const char *s, size_t len, char buf[84]);
uint64_t gm__hash_bytes(const char *s, size_t n);

/* A region line: "START-END (prio P, KIND): REST", two spaces a level. */
typedef struct GmLine {
    uint32_t level;
    hwaddr start, end;
    int32_t prio;
    uint8_t kind;
    bool nv;
    const char *rest; /* after "): ", up to the end of line */
    size_t restlen;
} GmLine;
bool gm__parse_range_line(const char *s, size_t len, GmLine *ln);
/* The length of the owner text -o puts at the end of a line (" orphan",
 * " owner:{...}", " parent:{...}", or both of the last), 0 if none. */
size_t gm__owner_suffix(const char *s, size_t n);

/* A string-keyed hash table; each entry heads a list (through an index
 * array its user owns) and carries flags. */
typedef struct GmNameEnt {
    const char *s;
    uint32_t len;
    uint32_t flags;
    uint32_t head; /* first item of the entry's list, or GM_NONE */
    uint32_t tail;
} GmNameEnt;

typedef struct GmNameTab {
    GmNameEnt *e;
    size_t n, cap;
} GmNameTab;

/* The entry of @s in @t, made (flags 0, empty list) if @create; NULL if
 * not there, or out of memory. */
GmNameEnt *gm__name_get(GmNameTab *t, const char *s, size_t len, bool create);

/* Flags of the tree dump's region names. */
enum {
    GM_N_REGION = 1 << 5,   /* a non-alias line has it (bits 0-4: kinds) */
    GM_N_HAS_KIDS = 1 << 6, /* ... and one of them has subregions */
    GM_N_LEAF_IO = 1 << 7,  /* ... or is a childless i/o region */
    GM_N_FILLS = 1 << 8,    /* the -f facts: it fills the gaps between kids */
    GM_N_EMPTY = 1 << 9,    /* the -f facts: childless, renders nothing */
    GM_N_IN_FLAT = 1 << 10, /* a range of the -f dump names it */
};

/* --- the -f form, read back (mtree-print.c) -------------------------------- */

typedef struct GmFlatAs {
    GmStr name, root, alias;
    uint32_t line;
} GmFlatAs;

typedef struct GmFlatRange {
    hwaddr start, end, offset;
    int32_t prio;
    uint8_t kind;
    bool nv, has_offset;
    GmStr name, suffix; /* suffix: the accelerator's mark, " KVM" */
    uint32_t line;
} GmFlatRange;

typedef struct GmFlatBlock {
    uint32_t line;
    GmStr root;
    bool empty; /* "No rendered FlatView" */
    size_t first_as, nas, first_range, nranges;
} GmFlatBlock;

typedef struct GmFlat {
    GmFlatAs *as;
    size_t nas, cap_as;
    GmFlatRange *r;
    size_t nr, cap_r;
    GmFlatBlock *b;
    size_t nb, cap_b;
    bool has_not_rendered; /* distilled facts, not a whole -f dump */
} GmFlat;

/* Reads the text of `info mtree -f` (any of -d and -o; LF or CRLF; with or
 * without accelerator marks), or the facts distilled from it, into @f
 * (free it with gm__flat_free()).  @names: the tree's region names, to
 * tell a " KVM" mark from a name that ends so; "# not rendered:" lines mark
 * theirs GM_N_EMPTY.  Anything that is not -f text is refused
 * (GM_ERR_PARSE, "flat dump, line N: ..."). */
int gm__flat_parse(GmFlat *f, const char *text, GmNameTab *names, Error **errp);
void gm__flat_free(GmFlat *f);
/* Checks the rendered views of @imp's address spaces against the whole
 * -f dump @f, block by block and range by range, and keeps its order of
 * views and address spaces and its accelerator marks for printing.
 * Errors: GM_ERR_PARSE saying where they part. */
int gm__flat_check(GmMtreeImport *imp, const GmFlat *f, Error **errp);
/* The facts flat_hint.py distils from the -f text @text (parsed into @f;
 * @names flagged by the tree and the -f dump).  Return: malloc'd text. */
char *gm__flat_hint_text(const char *text, const GmFlat *f, GmNameTab *names,
                         Error **errp);

/* Marks read-only the alias nearest the leaf of the path that serves @addr
 * under @root (explain.c); *@done: the last address of its window.
 * Return: 1 marked, 0 nothing to mark, -1 too intricate to resolve. */
int gm__mark_readonly_path(MemoryRegion *root, hwaddr addr, hwaddr *done,
                           unsigned long *budget);

/* --- a map from pointers to indices (open addressing) -------------------- */
typedef struct GmPtrMap {
    const void **key;
    size_t *val;
    size_t n, cap; /* cap: 0 or a power of two */
} GmPtrMap;

static inline size_t gm__ptr_hash(const void *p, size_t cap)
{
    uint64_t h = (uint64_t)(uintptr_t)p * UINT64_C(0x9E3779B97F4A7C15);
    return (size_t)(h ^ (h >> 32)) & (cap - 1);
}

/* Return: true and *@val if @key is in @m. */
static inline bool gm__ptrmap_get(const GmPtrMap *m, const void *key,
                                  size_t *val)
{
    if (!m->cap) {
        return false;
    }
    for (size_t i = gm__ptr_hash(key, m->cap); m->key[i];
         i = (i + 1) & (m->cap - 1)) {
        if (m->key[i] == key) {
            if (val) {
                *val = m->val[i];
            }
            return true;
        }
    }
    return false;
}

/* Sets @key (not NULL) to @val.  Return: false when out of memory. */
static inline bool gm__ptrmap_put(GmPtrMap *m, const void *key, size_t val)
{
    if (2 * (m->n + 1) > m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 64;
        GmPtrMap g = { calloc(cap, sizeof(*g.key)), calloc(cap, sizeof(size_t)),
                       0, cap };
        if (!g.key || !g.val) {
            free(g.key);
            free(g.val);
            return false;
        }
        for (size_t i = 0; i < m->cap; i++) {
            if (m->key[i]) {
                gm__ptrmap_put(&g, m->key[i], m->val[i]);
            }
        }
        free(m->key);
        free(m->val);
        *m = g;
    }
    size_t i = gm__ptr_hash(key, m->cap);
    while (m->key[i] && m->key[i] != key) {
        i = (i + 1) & (m->cap - 1);
    }
    if (!m->key[i]) {
        m->key[i] = key;
        m->n++;
    }
    m->val[i] = val;
    return true;
}

static inline void gm__ptrmap_free(GmPtrMap *m)
{
    free(m->key);
    free(m->val);
    memset(m, 0, sizeof(*m));
}

/* The reference walk of gm_resolve() from @mr, whose container starts at
 * @base (explain.c).  Return: 1 if something serves @addr, 0 if nothing,
 * -1 if the walk gave up after GM_RESOLVE_BUDGET steps (only crafted trees
 * of overlapping aliases get there). */
#define GM_RESOLVE_BUDGET (1ul << 23)
/* The regions on the serving path, leaf first, with their window starts. */
#define GM_RESOLVE_PATH_MAX 64
typedef struct GmResolvePath {
    MemoryRegion *mr[GM_RESOLVE_PATH_MAX];
    Int128 base[GM_RESOLVE_PATH_MAX];
    size_t n;
} GmResolvePath;
/* @budget (optional): steps allowed, decremented by those used, shared by
 * a series of calls; NULL: GM_RESOLVE_BUDGET for this call. */
int gm__resolve_at(MemoryRegion *mr, Int128 base, hwaddr addr,
                   MemoryRegionSection *out, GmResolvePath *path,
                   unsigned long *budget);

#endif /* GUESTMEM_MTREE_INTERNAL_H */
