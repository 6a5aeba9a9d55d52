// SPDX-License-Identifier: MIT
/*
 * diff-render.c - seeded random differential test of the region tree and
 * its flat views against a deliberately naive model.
 *
 * The test keeps its own model of every region (parent, priority, the
 * sequence number of its last insertion, flags, alias target) and resolves
 * an address by walking that model: children sorted by priority and then
 * by recency, aliases followed, disabled subtrees skipped.  It shares no code
 * with the library.  After every change that is committed it checks the
 * library's FlatView against the model over the whole address space: every
 * boundary of the view must be a boundary of some region window, each piece
 * between candidate boundaries must resolve to the same region, offset and
 * attributes at both ends, and no two neighbouring ranges may be mergeable.
 * Misuse (adding a mapped region, cycles, deleting from the wrong parent,
 * destroying a region in use) must be refused with the right code and leave
 * the view unchanged.
 *
 *   diff-render [--seed N] [--ops N] [--fault N] [--verbose]
 * --fault N corrupts the model (never the library) after N operations: the
 * run must then fail, proving that the comparison can fail.
 * Exit 0 when every check passed; on failure the seed and operation number
 * are printed, and the same command line reproduces it.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guestmem/guestmem.h>

#define POOL 28
#define MAXKIDS POOL
#define SPACE 0x10000 /* most regions live in the first 64 KiB */

enum {
    K_CONT,
    K_IO,
    K_IOKIDS,
    K_RAM,
    K_ALIAS
};

typedef struct Node {
    bool live;
    int kind;
    MemoryRegion mr;
    struct Node *parent;
    uint64_t seq;
    hwaddr addr;
    __uint128_t size;
    int prio;
    bool enabled, readonly, nv;
    struct Node *alias;
    hwaddr alias_offset;
    unsigned alias_users;
    bool is_root;
} Node;

static Node pool[POOL];
static Node rootn; /* the address space root, a 2^64 container */
static AddressSpace as, as2, as3;
static MemoryRegion as3_root, as3_alias;
static uint64_t seq_counter;
static uint64_t rng_state;
static unsigned long long ops_done, checks_done;
static int depth;
static bool verbose;
#define RAM_BYTES 0x4000
static uint8_t ram_mem[POOL][RAM_BYTES];    /* the library's host memory */
static uint8_t ram_shadow[POOL][RAM_BYTES]; /* what the model expects */
static unsigned long long accesses_done;
static const MemoryRegionOps io_ops = { 0 };
static GmErrorCode last_err;

static uint64_t rnd(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static uint64_t below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

static void on_error(const Error *err, void *opaque)
{
    last_err = gm_error_code(err);
}

static unsigned long long seed_g;

static void die(const char *what)
{
    fprintf(stderr,
            "diff-render: MISMATCH after %llu operations: %s\n"
            "  reproduce: diff-render --seed %llu --ops %llu\n",
            ops_done, what, seed_g, ops_done);
    exit(1);
}

/* --- the model ------------------------------------------------------------ */

static bool fault_active; /* --fault: the model gets ties wrong */

static int node_cmp(const void *a, const void *b)
{
    const Node *x = *(Node *const *)a, *y = *(Node *const *)b;
    if (x->prio != y->prio) {
        return x->prio > y->prio ? -1 : 1;
    }
    if (fault_active) {
        return x->seq < y->seq ? -1 : 1; /* oldest first: wrong on purpose */
    }
    return x->seq > y->seq ? -1 : 1; /* newest first */
}

static size_t kids_of(const Node *n, Node **out)
{
    size_t k = 0;
    for (int i = 0; i < POOL; i++) {
        if (pool[i].live && pool[i].parent == n) {
            out[k++] = &pool[i];
        }
    }
    qsort(out, k, sizeof(*out), node_cmp);
    return k;
}

static bool terminates(const Node *n)
{
    return n == &rootn ? false : n->kind != K_CONT && n->kind != K_ALIAS;
}

typedef struct Hit {
    const Node *n;
    hwaddr off;
    bool ro, nv;
} Hit;

static bool model_resolve(const Node *n, __int128 base, __uint128_t addr,
                          bool ro, bool nv, Hit *hit)
{
    if (!n->enabled) {
        return false;
    }
    __int128 b = base + (__int128)n->addr;
    if ((__int128)addr < b || (__int128)addr - b >= (__int128)n->size) {
        return false;
    }
    ro |= n->readonly;
    nv |= n->nv;
    if (n->kind == K_ALIAS) {
        return model_resolve(
            n->alias, b - (__int128)n->alias->addr - (__int128)n->alias_offset,
            addr, ro, nv, hit);
    }
    Node *kids[MAXKIDS];
    size_t k = kids_of(n, kids);
    for (size_t i = 0; i < k; i++) {
        if (model_resolve(kids[i], b, addr, ro, nv, hit)) {
            return true;
        }
    }
    if (!terminates(n)) {
        return false;
    }
    hit->n = n;
    hit->off = (hwaddr)((__int128)addr - b);
    hit->ro = ro;
    hit->nv = nv;
    return true;
}

/* Collects the start and end+1 of every window reachable from @n. */
static __uint128_t *bounds;
static size_t nbounds, capbounds;

static void add_bound(__int128 v)
{
    if (v < 0 || v > ((__int128)1 << 64)) {
        return;
    }
    if (nbounds == capbounds) {
        capbounds = capbounds ? capbounds * 2 : 1024;
        bounds = realloc(bounds, capbounds * sizeof(*bounds));
    }
    bounds[nbounds++] = (__uint128_t)v;
}

static void collect(const Node *n, __int128 base, __int128 lo, __int128 hi,
                    int budget)
{
    if (!n->enabled || budget <= 0) {
        return;
    }
    __int128 b = base + (__int128)n->addr;
    __int128 s = b > lo ? b : lo;
    __int128 e = b + (__int128)n->size < hi ? b + (__int128)n->size : hi;
    if (s >= e) {
        return;
    }
    add_bound(s);
    add_bound(e);
    if (n->kind == K_ALIAS) {
        collect(n->alias,
                b - (__int128)n->alias->addr - (__int128)n->alias_offset, s, e,
                budget - 1);
        return;
    }
    for (int i = 0; i < POOL; i++) {
        if (pool[i].live && pool[i].parent == n) {
            collect(&pool[i], b, s, e, budget - 1);
        }
    }
}

static int cmp_u128(const void *a, const void *b)
{
    __uint128_t x = *(const __uint128_t *)a, y = *(const __uint128_t *)b;
    return x < y ? -1 : x > y;
}

static bool is_bound(__uint128_t v)
{
    size_t lo = 0, hi = nbounds;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (bounds[mid] < v) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < nbounds && bounds[lo] == v;
}

static void check_point(FlatView *fv, __uint128_t a)
{
    if (a >> 64) {
        return;
    }
    Hit h;
    bool want = model_resolve(&rootn, 0, a, false, false, &h);
    MemoryRegionSection s;
    bool got = gm_flatview_lookup(fv, (hwaddr)a, &s);
    char msg[256];
    if (want != got) {
        snprintf(msg, sizeof(msg), "address 0x%" PRIx64 ": model %s, view %s",
                 (uint64_t)a, want ? memory_region_name(&h.n->mr) : "nothing",
                 got ? memory_region_name(s.mr) : "nothing");
        die(msg);
    }
    if (!want) {
        return;
    }
    hwaddr off =
        s.offset_within_region + ((hwaddr)a - s.offset_within_address_space);
    if (s.mr != &h.n->mr || off != h.off || s.readonly != h.ro ||
        s.nonvolatile != h.nv) {
        snprintf(msg, sizeof(msg),
                 "address 0x%" PRIx64 ": model %s@%" PRIx64 "%s%s, view "
                 "%s@%" PRIx64 "%s%s",
                 (uint64_t)a, memory_region_name(&h.n->mr), h.off,
                 h.ro ? " ro" : "", h.nv ? " nv" : "", memory_region_name(s.mr),
                 off, s.readonly ? " ro" : "", s.nonvolatile ? " nv" : "");
        die(msg);
    }
}

static void check_view(void)
{
    FlatView *fv = address_space_get_flatview(&as);
    nbounds = 0;
    add_bound(0);
    collect(&rootn, 0, 0, (__int128)1 << 64, 12);
    qsort(bounds, nbounds, sizeof(*bounds), cmp_u128);
    size_t u = 0;
    for (size_t i = 0; i < nbounds; i++) {
        if (u == 0 || bounds[u - 1] != bounds[i]) {
            bounds[u++] = bounds[i];
        }
    }
    nbounds = u;
    for (size_t i = 0; i + 1 < nbounds; i++) {
        check_point(fv, bounds[i]);
        check_point(fv, bounds[i + 1] - 1);
    }
    /* The view splits only where some window does, and never needlessly. */
    unsigned nr = gm_flatview_nr(fv);
    MemoryRegionSection prev = { 0 };
    for (unsigned i = 0; i < nr; i++) {
        MemoryRegionSection s;
        gm_flatview_section(fv, i, &s);
        __uint128_t start = s.offset_within_address_space;
        __uint128_t end = start + (__uint128_t)s.size;
        if (!is_bound(start) || !is_bound(end)) {
            die("a flat range boundary lies where no region window starts "
                "or ends");
        }
        if (i && prev.mr == s.mr &&
            (__uint128_t)prev.offset_within_address_space +
                    (__uint128_t)prev.size ==
                start &&
            (__uint128_t)prev.offset_within_region + (__uint128_t)prev.size ==
                s.offset_within_region &&
            prev.readonly == s.readonly && prev.nonvolatile == s.nonvolatile) {
            die("two neighbouring ranges should have been merged");
        }
        prev = s;
    }
    if (address_space_to_flatview(&as2) != fv ||
        address_space_to_flatview(&as3) != fv) {
        die("address spaces with the same root do not share one view");
    }
    flatview_unref(fv);
    checks_done++;
}

/* --- a listener's own copy of the view ------------------------------------
 * It applies every region_add/del it hears to a sorted array; after every
 * commit the array must equal the FlatView, range for range. */

typedef struct CopyListener {
    MemoryListener l;
    MemoryRegionSection *s;
    size_t n, cap;
    bool in_round;
    unsigned long long rounds;
} CopyListener;

static CopyListener copy_a, copy_c;

static bool same_section(const MemoryRegionSection *a,
                         const MemoryRegionSection *b)
{
    return a->offset_within_address_space == b->offset_within_address_space &&
           a->size == b->size && a->mr == b->mr &&
           a->offset_within_region == b->offset_within_region &&
           a->readonly == b->readonly && a->nonvolatile == b->nonvolatile;
}

/* Index of the first section starting at or after @addr. */
static size_t copy_find(CopyListener *c, hwaddr addr)
{
    size_t lo = 0, hi = c->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->s[mid].offset_within_address_space < addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static void copy_begin(MemoryListener *l)
{
    CopyListener *c = (CopyListener *)l;
    if (c->in_round) {
        die("listener: begin inside a round");
    }
    c->in_round = true;
}

static void copy_commit(MemoryListener *l)
{
    CopyListener *c = (CopyListener *)l;
    if (!c->in_round) {
        die("listener: commit without begin");
    }
    c->in_round = false;
    c->rounds++;
}

static void copy_add(MemoryListener *l, MemoryRegionSection *s)
{
    CopyListener *c = (CopyListener *)l;
    if (!c->in_round) {
        die("listener: region_add outside a round");
    }
    size_t i = copy_find(c, s->offset_within_address_space);
    __uint128_t end = (__uint128_t)s->offset_within_address_space + s->size;
    if ((i < c->n && c->s[i].offset_within_address_space < end) ||
        (i > 0 && (__uint128_t)c->s[i - 1].offset_within_address_space +
                          c->s[i - 1].size >
                      s->offset_within_address_space)) {
        die("listener: region_add overlaps a range the listener holds");
    }
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->s = realloc(c->s, c->cap * sizeof(*c->s));
    }
    memmove(&c->s[i + 1], &c->s[i], (c->n - i) * sizeof(*c->s));
    c->s[i] = *s;
    c->n++;
}

static void copy_del(MemoryListener *l, MemoryRegionSection *s)
{
    CopyListener *c = (CopyListener *)l;
    size_t i = copy_find(c, s->offset_within_address_space);
    if (!c->in_round || i >= c->n || !same_section(&c->s[i], s)) {
        die("listener: region_del of a range the listener does not hold");
    }
    memmove(&c->s[i], &c->s[i + 1], (c->n - i - 1) * sizeof(*c->s));
    c->n--;
}

static void copy_nop(MemoryListener *l, MemoryRegionSection *s)
{
    CopyListener *c = (CopyListener *)l;
    size_t i = copy_find(c, s->offset_within_address_space);
    if (!c->in_round || i >= c->n || !same_section(&c->s[i], s)) {
        die("listener: region_nop of a range the listener does not hold");
    }
}

static void copy_init(CopyListener *c, AddressSpace *space, unsigned prio)
{
    c->l = (MemoryListener){ .begin = copy_begin,
                             .commit = copy_commit,
                             .region_add = copy_add,
                             .region_del = copy_del,
                             .region_nop = copy_nop,
                             .priority = prio,
                             .name = "copy" };
    memory_listener_register(&c->l, space);
}

static void check_copy(CopyListener *c, AddressSpace *space)
{
    if (c->in_round) {
        die("listener: a round was left open");
    }
    FlatView *fv = address_space_get_flatview(space);
    unsigned nr = gm_flatview_nr(fv);
    if (nr != c->n) {
        die("listener: its copy has a different number of ranges");
    }
    for (unsigned i = 0; i < nr; i++) {
        MemoryRegionSection s;
        gm_flatview_section(fv, i, &s);
        if (!same_section(&s, &c->s[i])) {
            die("listener: its copy differs from the flat view");
        }
    }
    flatview_unref(fv);
}

/* --- operations ------------------------------------------------------------ */

static Node *pick_live(void)
{
    for (int tries = 0; tries < 8; tries++) {
        Node *n = &pool[below(POOL)];
        if (n->live) {
            return n;
        }
    }
    return NULL;
}

static Node *pick_container(void)
{
    if (below(3) == 0) {
        return &rootn;
    }
    Node *n = pick_live();
    if (n && (n->kind == K_CONT || n->kind == K_IOKIDS)) {
        return n;
    }
    return &rootn;
}

static bool model_reaches(const Node *from, const Node *target)
{
    if (from == target) {
        return true;
    }
    if (from->kind == K_ALIAS) {
        return model_reaches(from->alias, target);
    }
    for (int i = 0; i < POOL; i++) {
        if (pool[i].live && pool[i].parent == from &&
            model_reaches(&pool[i], target)) {
            return true;
        }
    }
    return false;
}

static bool model_cycle(const Node *parent, const Node *sub)
{
    for (const Node *a = parent; a; a = a->parent) {
        if (model_reaches(sub, a)) {
            return true;
        }
    }
    return false;
}

static hwaddr random_addr(__uint128_t size)
{
    if (below(50) == 0 && size <= 0x10000) {
        return UINT64_MAX - (hwaddr)size + 1 - below(2) * 0x1000;
    }
    return below(SPACE / 0x100) * 0x100 + (below(4) ? 0 : below(0x100));
}

static __uint128_t random_size(void)
{
    switch (below(6)) {
    case 0: return 1 + below(0x10);
    case 1: return 0x100 * (1 + below(0x10));
    case 2: return 0x1000 * (1 + below(4));
    case 3: return below(40) ? 0x800 : 0;
    default: return 0x100 + below(0x2000);
    }
}

static void op_create(void)
{
    Node *n = NULL;
    for (int i = 0; i < POOL; i++) {
        if (!pool[i].live) {
            n = &pool[i];
            break;
        }
    }
    if (!n) {
        return;
    }
    int idx = (int)(n - pool);
    char name[16];
    snprintf(name, sizeof(name), "r%d", idx);
    memset(n, 0, sizeof(*n));
    n->kind = (int)below(5);
    n->size = random_size();
    n->enabled = true;
    uint64_t sz64 = (uint64_t)n->size;
    switch (n->kind) {
    case K_CONT: memory_region_init(&n->mr, NULL, name, sz64); break;
    case K_IO:
    case K_IOKIDS:
        memory_region_init_io(&n->mr, NULL, &io_ops, NULL, name, sz64);
        break;
    case K_RAM:
        if (n->size == 0 || n->size > RAM_BYTES) {
            n->size = RAM_BYTES;
        }
        memset(ram_mem[idx], 0, RAM_BYTES);
        memset(ram_shadow[idx], 0, RAM_BYTES);
        memory_region_init_ram_ptr(&n->mr, NULL, name, (uint64_t)n->size,
                                   ram_mem[idx]);
        break;
    case K_ALIAS: {
        Node *t = pick_live();
        if (!t) {
            t = &rootn;
        }
        n->alias = t;
        n->alias_offset = below(0x2000);
        memory_region_init_alias(&n->mr, NULL, name, &t->mr, n->alias_offset,
                                 sz64);
        t->alias_users++;
        break;
    }
    }
    n->live = true;
}

static void op_add(void)
{
    Node *n = pick_live(), *p = pick_container();
    if (!n) {
        return;
    }
    hwaddr addr = random_addr(n->size);
    int prio = (int)below(5) - 2;
    GmErrorCode want = GM_OK;
    if (n->parent || n == p) {
        want = n->parent ? GM_ERR_HAS_CONTAINER : GM_ERR_ALIAS_CYCLE;
    } else if ((__uint128_t)addr + n->size > ((__uint128_t)1 << 64)) {
        want = GM_ERR_RANGE_OVERFLOW;
    } else if (model_cycle(p, n)) {
        want = GM_ERR_ALIAS_CYCLE;
    }
    Error *err = NULL;
    int rc = gm_memory_region_add_subregion(&p->mr, addr, &n->mr, prio, &err);
    if (rc != -(int)want) {
        fprintf(stderr, "add %s to %s: got %d (%s), want %d\n",
                memory_region_name(&n->mr), memory_region_name(&p->mr), rc,
                error_get_pretty(err), -(int)want);
        die("add_subregion answered unexpectedly");
    }
    error_free(err);
    if (want == GM_OK) {
        n->parent = p;
        n->addr = addr;
        n->prio = prio;
        n->seq = ++seq_counter;
    }
}

static void op_del(void)
{
    Node *n = pick_live();
    if (!n) {
        return;
    }
    if (!n->parent || below(10) == 0) {
        Node *p = pick_container();
        memory_region_del_subregion(&p->mr, &n->mr);
        GmErrorCode want = n->parent == p ? GM_OK : GM_ERR_NOT_CHILD;
        if (last_err != want) {
            die("del_subregion answered unexpectedly");
        }
        last_err = GM_OK;
        if (want == GM_OK) {
            n->parent = NULL;
        }
        return;
    }
    memory_region_del_subregion(&n->parent->mr, &n->mr);
    n->parent = NULL;
}

static void op_destroy(void)
{
    Node *n = pick_live();
    if (!n) {
        return;
    }
    bool in_use = n->parent || n->alias_users;
    bool has_kids = false;
    for (int i = 0; i < POOL; i++) {
        has_kids |= pool[i].live && pool[i].parent == n;
    }
    if (depth > 0 && !in_use) {
        return; /* refused mid-transaction if the view still shows it */
    }
    int rc = gm_memory_region_destroy(&n->mr, NULL);
    if ((rc == 0) == in_use) {
        die("destroy answered unexpectedly");
    }
    if (rc == 0) {
        if (has_kids) {
            for (int i = 0; i < POOL; i++) {
                if (pool[i].live && pool[i].parent == n) {
                    pool[i].parent = NULL;
                }
            }
        }
        if (n->alias) {
            n->alias->alias_users--;
        }
        n->live = false;
    }
}

static void op_property(void)
{
    Node *n = pick_live();
    if (!n) {
        return;
    }
    switch (below(7)) {
    case 0:
        n->enabled = !n->enabled;
        memory_region_set_enabled(&n->mr, n->enabled);
        break;
    case 1:
        n->readonly = !n->readonly;
        memory_region_set_readonly(&n->mr, n->readonly);
        break;
    case 2:
        n->nv = !n->nv;
        memory_region_set_nonvolatile(&n->mr, n->nv);
        break;
    case 3: {
        hwaddr a = random_addr(n->size);
        if ((__uint128_t)a + n->size > ((__uint128_t)1 << 64)) {
            return;
        }
        if (a != n->addr) {
            n->addr = a;
            if (n->parent) {
                n->seq = ++seq_counter;
            }
        }
        memory_region_set_address(&n->mr, a);
        break;
    }
    case 4: {
        int prio = (int)below(5) - 2;
        n->prio = prio;
        if (n->parent) {
            n->seq = ++seq_counter;
        }
        gm_memory_region_set_priority(&n->mr, prio, NULL);
        break;
    }
    case 5:
        if (n->kind == K_ALIAS) {
            n->alias_offset = below(0x2000);
            memory_region_set_alias_offset(&n->mr, n->alias_offset);
        }
        break;
    case 6:
        if (n->kind != K_RAM) {
            __uint128_t s = random_size();
            if ((__uint128_t)n->addr + s <= ((__uint128_t)1 << 64) &&
                (n->kind != K_ALIAS ||
                 (__uint128_t)n->alias_offset + s <= ((__uint128_t)1 << 64))) {
                n->size = s;
                memory_region_set_size(&n->mr, (uint64_t)s);
            }
        }
        break;
    }
    if (last_err != GM_OK) {
        die("a valid property change was refused");
    }
}

/* One random read or write through the API, checked byte by byte against
 * the model and the shadow copy of every RAM region. */
static void op_access(void)
{
    hwaddr addr =
        below(50) == 0 ? UINT64_MAX - below(0x20000) : below(SPACE + 0x1000);
    unsigned len = 1 + (unsigned)below(below(4) ? 8 : 64);
    if (addr + len - 1 < addr) {
        len = (unsigned)(UINT64_MAX - addr + 1);
    }
    bool is_write = below(2);
    uint8_t buf[64], want[64];
    MemTxResult want_r = MEMTX_OK;
    for (unsigned i = 0; i < len; i++) {
        buf[i] = (uint8_t)rnd();
        want[i] = 0;
    }
    for (unsigned i = 0; i < len; i++) {
        Hit h;
        if (!model_resolve(&rootn, 0, (__uint128_t)addr + i, false, false,
                           &h)) {
            want_r |= MEMTX_DECODE_ERROR;
            continue;
        }
        if (h.n->kind != K_RAM) {
            /* This test's MMIO reads 0 and ignores writes.  QEMU does not
             * cut an MMIO access at the region's end: the device takes a
             * piece of up to its maximum size (4 for these ops), no larger
             * than the alignment of its offset, a power of two, whatever
             * lies after it. */
            unsigned piece = len - i < 4 ? len - i : 4;
            hwaddr align = h.off & -h.off;
            if (align && align < piece) {
                piece = (unsigned)align;
            }
            while (piece & (piece - 1)) {
                piece &= piece - 1;
            }
            i += piece - 1;
            continue;
        }
        uint8_t *shadow = &ram_shadow[h.n - pool][h.off];
        if (!is_write) {
            want[i] = *shadow;
        } else if (h.ro) {
            want_r |= MEMTX_DECODE_ERROR;
        } else {
            *shadow = buf[i];
        }
    }
    MemTxResult r =
        address_space_rw(&as, addr, MEMTXATTRS_UNSPECIFIED, buf, len, is_write);
    char msg[160];
    if (r != want_r) {
        snprintf(msg, sizeof(msg),
                 "%s of %u at 0x%" PRIx64 ": result %u, "
                 "model %u",
                 is_write ? "write" : "read", len, addr, r, want_r);
        die(msg);
    }
    if (!is_write && memcmp(buf, want, len)) {
        snprintf(msg, sizeof(msg), "read of %u at 0x%" PRIx64 ": wrong bytes",
                 len, addr);
        die(msg);
    }
    accesses_done++;
}

static void check_ram_contents(void)
{
    for (int i = 0; i < POOL; i++) {
        if (pool[i].live && pool[i].kind == K_RAM &&
            memcmp(ram_mem[i], ram_shadow[i], RAM_BYTES)) {
            die("RAM contents differ from the shadow copy");
        }
    }
}

int main(int argc, char **argv)
{
    unsigned long long seed = 1, nops = 100000, fault_at = 0;
    static const struct option opts[] = {
        { "seed", required_argument, NULL, 's' },
        { "ops", required_argument, NULL, 'n' },
        { "fault", required_argument, NULL, 'f' },
        { "verbose", no_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "s:n:f:v", opts, NULL)) != -1) {
        switch (c) {
        case 's': seed = strtoull(optarg, NULL, 0); break;
        case 'n': nops = strtoull(optarg, NULL, 0); break;
        case 'f': fault_at = strtoull(optarg, NULL, 0); break;
        case 'v': verbose = true; break;
        default: return 2;
        }
    }
    seed_g = seed;
    rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
    gm_set_error_handler(on_error, NULL);

    memory_region_init(&rootn.mr, NULL, "root", UINT64_MAX);
    rootn.size = (__uint128_t)1 << 64;
    rootn.enabled = true;
    rootn.kind = K_CONT;
    rootn.live = false;
    address_space_init(&as, &rootn.mr, "diff");
    address_space_init(&as2, &rootn.mr, "diff2");
    memory_region_init(&as3_root, NULL, "bus master container", UINT64_MAX);
    memory_region_init_alias(&as3_alias, NULL, "bus master", &rootn.mr, 0,
                             UINT64_MAX);
    memory_region_add_subregion(&as3_root, 0, &as3_alias);
    address_space_init(&as3, &as3_root, "diff3");
    copy_init(&copy_a, &as, 1);
    copy_init(&copy_c, &as3, 0);

    for (ops_done = 0; ops_done < nops; ops_done++) {
        if (fault_at && ops_done == fault_at) {
            /* Corrupt the model only (equal priorities resolved oldest
             * first); later checks must notice. */
            fault_active = true;
        }
        switch (below(16)) {
        case 0:
        case 1:
        case 2: op_create(); break;
        case 3:
        case 4:
        case 5:
        case 6: op_add(); break;
        case 7:
        case 8: op_del(); break;
        case 9: op_destroy(); break;
        case 10:
            if (depth < 3 && below(3) == 0) {
                memory_region_transaction_begin();
                depth++;
            }
            break;
        case 11:
            if (depth > 0) {
                memory_region_transaction_commit();
                depth--;
            }
            break;
        default: op_property(); break;
        }
        if (last_err != GM_OK) {
            die("an unexpected error was reported");
        }
        if (depth == 0) {
            check_view();
            check_copy(&copy_a, &as);
            check_copy(&copy_c, &as3);
            /* Accesses see the committed view, so check them there. */
            for (int k = 0; k < 2; k++) {
                op_access();
            }
            if (ops_done % 1024 == 0) {
                check_ram_contents();
            }
        }
    }
    while (depth > 0) {
        memory_region_transaction_commit();
        depth--;
    }
    check_view();
    check_ram_contents();
    check_copy(&copy_a, &as);
    printf("diff-render: seed %llu: %llu operations, %llu full view checks, "
           "%llu checked accesses, %llu listener rounds, no disagreement\n",
           seed, ops_done, checks_done, accesses_done, copy_a.rounds);
    return 0;
}
