// SPDX-License-Identifier: MIT
/*
 * diff-commit.c - seeded random differential test of the incremental
 * commit against the whole-tree renderer.
 *
 * A commit renders only the windows a change can affect and splices them
 * into a view that shares the rest (src/commit.c).  This test drives every
 * kind of change (add, delete, move, resize, enable, read-only, priority,
 * alias offset, romd, dirty logging, global dirty tracking, ioeventfds,
 * destroy), alone and in transactions, on trees with aliases into changing
 * targets, address spaces that share a view and address spaces rooted
 * inside the tree.  After every commit it checks, for each address space:
 *   - the view equals a render of the whole tree from scratch
 *     (gm_address_space_check: range by range, and the view's own lookup
 *     structures);
 *   - what a listener without region_nop heard is exactly the difference of
 *     the two whole views, in QEMU's order (computed here from copies of
 *     the views, with no code of the library's): region_del in address
 *     order, then region_add, log_start and log_stop in address order;
 *   - a listener with region_nop heard region_nop for every range that
 *     stayed;
 *   - the ioeventfd events are the difference of the two sets of
 *     ioeventfds the whole views imply.
 *
 *   diff-commit [--seed N] [--ops N] [--fault N] [--verbose]
 * --fault N makes the expected events wrong after N operations: the run
 * must then fail, proving that the comparison can fail.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guestmem/guestmem.h>

#define POOL 40
#define NAS 4
#define BUF 0x4000

enum {
    K_CONT,
    K_IO,
    K_RAM,
    K_ROMD,
    K_ALIAS
};

static MemoryRegion pool[POOL];
static int kind[POOL];
static bool inited[POOL];
static uint8_t mem[POOL][BUF];
static MemoryRegion root, root_alias, root_alias_off;
static AddressSpace as[NAS];
static const char *as_name[NAS] = { "mem", "shared", "offset", "inner" };
static uint64_t rng;
static unsigned long long seed_g, ops_done, checks;
static long fault_at = -1;
static bool verbose;
static EventNotifier notifiers[4];

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

static void die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "diff-commit: seed %llu, op %llu: ", seed_g, ops_done);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    exit(1);
}

static uint64_t io_read(void *o, hwaddr a, unsigned s)
{
    return 0;
}

static void io_write(void *o, hwaddr a, uint64_t v, unsigned s) {}

static const MemoryRegionOps io_ops = {
    .read = io_read,
    .write = io_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

/* --- views as the test copies them ------------------------------------------ */

typedef struct Range {
    hwaddr start;
    uint64_t size; /* size - 1 when the range is the whole 2^64 */
    const MemoryRegion *mr;
    hwaddr offset;
    bool readonly, nonvolatile;
    uint8_t mask;
    bool romd; /* QEMU's flatrange_equal compares it */
} Range;

typedef struct Fd Fd;
typedef struct View {
    Range *r;
    size_t n;
    Fd *fds; /* the ioeventfds it implied when copied */
    size_t nfds;
} View;

static View copy_view(AddressSpace *space)
{
    FlatView *fv = address_space_get_flatview(space);
    View v = { calloc(gm_flatview_nr(fv) + 1, sizeof(Range)),
               gm_flatview_nr(fv), NULL, 0 };
    for (size_t i = 0; i < v.n; i++) {
        MemoryRegionSection s;
        gm_flatview_section(fv, (unsigned)i, &s);
        v.r[i] = (Range){ s.offset_within_address_space,
                          (uint64_t)(s.size - 1),
                          s.mr,
                          s.offset_within_region,
                          s.readonly,
                          s.nonvolatile,
                          memory_region_get_dirty_log_mask(s.mr),
                          memory_region_is_romd(s.mr) };
    }
    flatview_unref(fv);
    return v;
}

static bool same(const Range *a, const Range *b)
{
    return a->start == b->start && a->size == b->size && a->mr == b->mr &&
           a->offset == b->offset && a->readonly == b->readonly &&
           a->nonvolatile == b->nonvolatile && a->romd == b->romd;
}

/* --- the expected events: QEMU's two passes over two whole views --------- */

static char expect[NAS][1 << 16], heard[NAS][1 << 16];
static char expect_nop[NAS][1 << 16], heard_nop[NAS][1 << 16];

static void say(char *buf, const char *what, const Range *r)
{
    size_t len = strlen(buf);
    if (len + 200 > (1 << 16)) {
        return; /* enough to tell; both sides stop at the same place */
    }
    snprintf(buf + len, (1 << 16) - len,
             "%s %" PRIx64 "+%" PRIx64 " %s@%" PRIx64 "\n", what, r->start,
             r->size, memory_region_name(r->mr), r->offset);
}

static void passes(char *buf, const View *o, const View *n, bool nops)
{
    for (int adding = 0; adding < 2; adding++) {
        size_t io = 0, in = 0;
        while (io < o->n || in < n->n) {
            const Range *fo = io < o->n ? &o->r[io] : NULL;
            const Range *fn = in < n->n ? &n->r[in] : NULL;
            if (fo && (!fn || fo->start < fn->start ||
                       (fo->start == fn->start && !same(fo, fn)))) {
                if (!adding) {
                    say(buf, "del", fo);
                }
                io++;
            } else if (fo && fn && same(fo, fn)) {
                if (adding) {
                    if (nops) {
                        say(buf, "nop", fn);
                    }
                    if (fn->mask & ~fo->mask) {
                        say(buf, "log_start", fn);
                    }
                    if (fo->mask & ~fn->mask) {
                        say(buf, "log_stop", fn);
                    }
                }
                io++;
                in++;
            } else {
                if (adding) {
                    say(buf, "add", fn);
                }
                in++;
            }
        }
    }
}

/* --- recording listeners ------------------------------------------------------ */

typedef struct Rec {
    MemoryListener l;
    char *buf;
} Rec;

static Rec rec[NAS], rec_nop[NAS];
static bool round_seen[NAS]; /* a begin .. commit round since the check */

static void on_begin(MemoryListener *l)
{
    round_seen[(Rec *)l - rec_nop] = true;
}

static void section_range(const MemoryRegionSection *s, Range *r)
{
    *r = (Range){ s->offset_within_address_space,
                  (uint64_t)(s->size - 1),
                  s->mr,
                  s->offset_within_region,
                  s->readonly,
                  s->nonvolatile,
                  0,
                  false };
}

#define REC_CB(name, what)                                      \
    static void name(MemoryListener *l, MemoryRegionSection *s) \
    {                                                           \
        Range r;                                                \
        section_range(s, &r);                                   \
        say(((Rec *)l)->buf, what, &r);                         \
    }
REC_CB(on_add, "add")
REC_CB(on_del, "del")
REC_CB(on_nop, "nop")

static void on_log_start(MemoryListener *l, MemoryRegionSection *s, int o,
                         int n)
{
    Range r;
    section_range(s, &r);
    say(((Rec *)l)->buf, "log_start", &r);
}

static void on_log_stop(MemoryListener *l, MemoryRegionSection *s, int o, int n)
{
    Range r;
    section_range(s, &r);
    say(((Rec *)l)->buf, "log_stop", &r);
}

/* ioeventfds: what the listener was told, kept as a set of lines. */
static char fd_heard[NAS][1 << 14];

static void fd_line(char *buf, const char *what, hwaddr a, uint64_t size,
                    bool match, uint64_t data, EventNotifier *e)
{
    size_t len = strlen(buf);
    if (len + 100 > (1 << 14)) {
        return;
    }
    snprintf(buf + len, (1 << 14) - len,
             "%s %" PRIx64 "+%" PRIx64 " %d %" PRIx64 " %d\n", what, a, size,
             match, data, (int)(e - notifiers));
}

static void on_fd_add(MemoryListener *l, MemoryRegionSection *s, bool match,
                      uint64_t data, EventNotifier *e)
{
    fd_line(fd_heard[(Rec *)l - rec], "add", s->offset_within_address_space,
            (uint64_t)s->size, match, data, e);
}

static void on_fd_del(MemoryListener *l, MemoryRegionSection *s, bool match,
                      uint64_t data, EventNotifier *e)
{
    fd_line(fd_heard[(Rec *)l - rec], "del", s->offset_within_address_space,
            (uint64_t)s->size, match, data, e);
}

/* The ioeventfds a whole view implies (each added region's registrations
 * the test keeps), sorted as QEMU sorts them. */
struct Fd {
    hwaddr addr;
    uint64_t size;
    bool match;
    uint64_t data;
    int e;
};

typedef struct FdReg {
    int region;
    hwaddr offset;
    unsigned size;
    bool match;
    uint64_t data;
    int e;
} FdReg;

static FdReg fdregs[64];
static size_t nfdregs;

static int fd_cmp(const void *a, const void *b)
{
    const Fd *x = a, *y = b;
    if (x->addr != y->addr) {
        return x->addr < y->addr ? -1 : 1;
    }
    if (x->size != y->size) {
        return x->size < y->size ? -1 : 1;
    }
    if (x->match != y->match) {
        return x->match < y->match ? -1 : 1;
    }
    if (x->match && x->data != y->data) {
        return x->data < y->data ? -1 : 1;
    }
    return (x->e > y->e) - (x->e < y->e);
}

static size_t view_fds(const View *v, Fd *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n; i++) {
        const Range *r = &v->r[i];
        for (size_t k = 0; k < nfdregs; k++) {
            const FdReg *f = &fdregs[k];
            if (&pool[f->region] != r->mr) {
                continue;
            }
            __int128 at = (__int128)f->offset + r->start - r->offset;
            __uint128_t rend = (__uint128_t)r->start + r->size + 1;
            if (at < 0) {
                continue;
            }
            bool meets =
                ((__uint128_t)at >= r->start && (__uint128_t)at < rend) ||
                (r->start >= (__uint128_t)at &&
                 r->start < (__uint128_t)at + f->size);
            if (meets && n < cap) {
                out[n++] = (Fd){ (hwaddr)at, f->size, f->match, f->data, f->e };
            }
        }
    }
    qsort(out, n, sizeof(*out), fd_cmp);
    return n;
}

/* --- setup and operations ---------------------------------------------------- */

static void init_region(int i)
{
    char name[16];
    snprintf(name, sizeof(name), "r%d", i);
    uint64_t size = below(4) == 0 ? 0x1000 * (1 + below(BUF / 0x1000))
                                  : 0x10 * (1 + below(BUF / 0x10));
    kind[i] = (int)below(5);
    if (kind[i] == K_ALIAS) {
        int t = (int)below(POOL);
        if (t == i || !inited[t] || kind[t] == K_ALIAS) {
            kind[i] = K_CONT;
        } else {
            uint64_t tsize = memory_region_size(&pool[t]);
            uint64_t off = below(tsize + 1);
            memory_region_init_alias(&pool[i], NULL, name, &pool[t], off,
                                     1 + below(tsize + 0x800));
            inited[i] = true;
            return;
        }
    }
    switch (kind[i]) {
    case K_CONT:
        memory_region_init(&pool[i], NULL, name,
                           below(3) ? size : UINT64_C(1) << (20 + below(30)));
        break;
    case K_IO:
        memory_region_init_io(&pool[i], NULL, &io_ops, NULL, name, size);
        break;
    case K_RAM:
        memory_region_init_ram_ptr(&pool[i], NULL, name, size, mem[i]);
        break;
    default: {
        Error *err = NULL;
        if (!memory_region_init_rom_device(&pool[i], NULL, &io_ops, NULL, name,
                                           size, &err)) {
            error_free(err);
            memory_region_init_io(&pool[i], NULL, &io_ops, NULL, name, size);
            kind[i] = K_IO;
        }
        break;
    }
    }
    inited[i] = true;
}

static MemoryRegion *pick_container(void)
{
    for (int tries = 0; tries < 8; tries++) {
        int i = (int)below(POOL + 3);
        if (i >= POOL) {
            return &root;
        }
        if (inited[i] && kind[i] == K_CONT) {
            return &pool[i];
        }
    }
    return &root;
}

static void op(void)
{
    int i = (int)below(POOL);
    MemoryRegion *mr = &pool[i];
    Error *err = NULL;
    unsigned what = (unsigned)below(14);
    if (verbose) {
        fprintf(stderr, "op %llu: %u on r%d\n", ops_done, what, i);
    }
    switch (what) {
    case 0:
    case 1:
    case 2: {
        MemoryRegion *c = pick_container();
        uint64_t csize = memory_region_size(c);
        hwaddr at = c == &root ? below(0x40000) : below(csize ? csize : 1);
        if (below(8) == 0) {
            at = (UINT64_C(1) << 48) - 0x2000 + below(0x4000); /* high */
        }
        gm_memory_region_add_subregion(c, at, mr, (int)below(5) - 2, &err);
        break;
    }
    case 3:
        if (mr->container) {
            gm_memory_region_del_subregion(mr->container, mr, &err);
        }
        break;
    case 4:
        gm_memory_region_set_address(mr, mr->addr ^ (0x10 << below(14)), &err);
        break;
    case 5:
        gm_memory_region_set_size(
            mr, 1 + below(2 * memory_region_size(mr) + 16), &err);
        break;
    case 6: memory_region_set_enabled(mr, !mr->enabled); break;
    case 7: memory_region_set_readonly(mr, !mr->readonly); break;
    case 8: gm_memory_region_set_priority(mr, (int)below(5) - 2, &err); break;
    case 9:
        if (mr->alias) {
            gm_memory_region_set_alias_offset(mr, below(0x2000), &err);
        } else if (kind[i] == K_ROMD) {
            memory_region_rom_device_set_romd(mr, !mr->romd_mode);
        }
        break;
    case 10:
        if (kind[i] == K_RAM) {
            bool on = memory_region_get_dirty_log_mask(mr) & 1;
            memory_region_set_log(mr, !on, DIRTY_MEMORY_VGA);
        }
        break;
    case 11:
        if (kind[i] == K_IO && nfdregs < 64 && memory_region_size(mr) >= 8) {
            FdReg f = { i,
                        below(memory_region_size(mr) - 7) & ~(hwaddr)3,
                        below(2) ? 4 : 0,
                        below(2),
                        below(3),
                        (int)below(4) };
            f.match = f.size && f.match;
            /* One registration per address: deleting one is then never
             * ambiguous (QEMU's match takes a size-0 one for any). */
            for (size_t k = 0; k < nfdregs; k++) {
                if (fdregs[k].region == i && fdregs[k].offset == f.offset) {
                    return;
                }
            }
            memory_region_add_eventfd(mr, f.offset, f.size, f.match, f.data,
                                      &notifiers[f.e]);
            fdregs[nfdregs++] = f;
        } else if (nfdregs) {
            size_t k = below(nfdregs);
            FdReg f = fdregs[k];
            if (!gm_memory_region_del_eventfd(&pool[f.region], f.offset, f.size,
                                              f.match, f.data, &notifiers[f.e],
                                              &err)) {
                fdregs[k] = fdregs[--nfdregs];
            }
        }
        break;
    case 12:
        if (below(8) == 0) {
            if (gm_global_dirty_tracking()) {
                memory_global_dirty_log_stop(GLOBAL_DIRTY_MIGRATION);
            } else {
                memory_global_dirty_log_start(GLOBAL_DIRTY_MIGRATION);
            }
        }
        break;
    default:
        /* Destroy and make again (refused while in use). */
        if (!mr->container && !gm_memory_region_destroy(mr, NULL)) {
            for (size_t k = 0; k < nfdregs;) {
                if (fdregs[k].region == i) {
                    fdregs[k] = fdregs[--nfdregs];
                } else {
                    k++;
                }
            }
            inited[i] = false;
            init_region(i);
        }
        break;
    }
    error_free(err);
}

static void check(View *before)
{
    for (int a = 0; a < NAS; a++) {
        Error *err = NULL;
        if (gm_address_space_check(&as[a], &err)) {
            if (verbose) {
                gm_mtree_fprint(stderr, false, false, false, true);
                gm_mtree_fprint(stderr, true, false, false, false);
            }
            die("%s: %s", as_name[a], error_get_pretty(err));
        }
        View now = copy_view(&as[a]);
        expect[a][0] = expect_nop[a][0] = 0;
        passes(expect[a], &before[a], &now, false);
        /* QEMU runs its passes only in a begin .. commit round (not for
         * changes nothing can see); region_nop is heard only there. */
        if (round_seen[a]) {
            passes(expect_nop[a], &before[a], &now, true);
        }
        if (fault_at >= 0 && (long)ops_done >= fault_at) {
            strcat(expect[a], "del 0+0 fault@0\n");
        }
        if (strcmp(expect[a], heard[a])) {
            fprintf(stderr, "expected:\n%s\nheard:\n%s", expect[a], heard[a]);
            die("%s: the listener's events are not the difference of the "
                "views%s",
                as_name[a], "");
        }
        if (strcmp(expect_nop[a], heard_nop[a])) {
            fprintf(stderr, "expected:\n%s\nheard:\n%s", expect_nop[a],
                    heard_nop[a]);
            die("%s: the region_nop listener's events differ%s", as_name[a],
                "");
        }
        /* ioeventfds: the difference of the implied sets. */
        now.fds = malloc(512 * sizeof(Fd));
        now.nfds = view_fds(&now, now.fds, 512);
        const Fd *fo = before[a].fds, *fn = now.fds;
        size_t no = before[a].nfds, nn = now.nfds;
        char want[1 << 14] = "";
        size_t io = 0, in = 0;
        while (io < no || in < nn) {
            if (io < no && (in == nn || fd_cmp(&fo[io], &fn[in]) < 0)) {
                fd_line(want, "del", fo[io].addr, fo[io].size, fo[io].match,
                        fo[io].data, &notifiers[fo[io].e]);
                io++;
            } else if (in < nn && (io == no || fd_cmp(&fn[in], &fo[io]) < 0)) {
                fd_line(want, "add", fn[in].addr, fn[in].size, fn[in].match,
                        fn[in].data, &notifiers[fn[in].e]);
                in++;
            } else {
                io++;
                in++;
            }
        }
        if (strcmp(want, fd_heard[a])) {
            for (size_t k = 0; k < nfdregs; k++) {
                fprintf(stderr, "reg r%d +%" PRIx64 " size %u e%d\n",
                        fdregs[k].region, fdregs[k].offset, fdregs[k].size,
                        fdregs[k].e);
            }
            for (size_t k = 0; k < now.n; k++) {
                fprintf(stderr,
                        "range %" PRIx64 "+%" PRIx64 " %s@%" PRIx64 "\n",
                        now.r[k].start, now.r[k].size,
                        memory_region_name(now.r[k].mr), now.r[k].offset);
            }
            fprintf(stderr, "expected:\n%s\nheard:\n%s", want, fd_heard[a]);
            die("%s: ioeventfd events differ%s", as_name[a], "");
        }
        free(before[a].r);
        free(before[a].fds);
        before[a] = now;
        heard[a][0] = heard_nop[a][0] = fd_heard[a][0] = 0;
        round_seen[a] = false;
        checks++;
    }
}

int main(int argc, char **argv)
{
    unsigned long long nops = 4000;
    seed_g = 1;
    static const struct option longopts[] = {
        { "seed", required_argument, NULL, 's' },
        { "ops", required_argument, NULL, 'n' },
        { "fault", required_argument, NULL, 'f' },
        { "verbose", no_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's': seed_g = strtoull(optarg, NULL, 0); break;
        case 'n': nops = strtoull(optarg, NULL, 0); break;
        case 'f': fault_at = strtol(optarg, NULL, 0); break;
        case 'v': verbose = true; break;
        default: return 2;
        }
    }
    rng = seed_g * 0x9e3779b97f4a7c15ull + 1;
    gm_set_error_handler(NULL, NULL);
    for (int e = 0; e < 4; e++) {
        event_notifier_init(&notifiers[e], 0);
    }
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    for (int i = 0; i < POOL; i++) {
        init_region(i);
    }
    /* "shared" shows root through a whole alias (the same view as "mem");
     * "offset" through an alias that moves it; "inner" is rooted at a
     * container that may itself be mapped in root. */
    memory_region_init_alias(&root_alias, NULL, "root-alias", &root, 0,
                             UINT64_MAX);
    memory_region_init_alias(&root_alias_off, NULL, "root-off", &root, 0x1000,
                             0x100000);
    address_space_init(&as[0], &root, as_name[0]);
    address_space_init(&as[1], &root_alias, as_name[1]);
    address_space_init(&as[2], &root_alias_off, as_name[2]);
    int inner = 0;
    while (kind[inner] != K_CONT) {
        inner++;
    }
    address_space_init(&as[3], &pool[inner], as_name[3]);
    View before[NAS];
    for (int a = 0; a < NAS; a++) {
        rec[a].buf = heard[a];
        rec[a].l = (MemoryListener){ .region_add = on_add,
                                     .region_del = on_del,
                                     .log_start = on_log_start,
                                     .log_stop = on_log_stop,
                                     .eventfd_add = on_fd_add,
                                     .eventfd_del = on_fd_del,
                                     .name = "rec" };
        rec_nop[a].buf = heard_nop[a];
        rec_nop[a].l = (MemoryListener){ .region_add = on_add,
                                         .region_del = on_del,
                                         .region_nop = on_nop,
                                         .begin = on_begin,
                                         .log_start = on_log_start,
                                         .log_stop = on_log_stop,
                                         .name = "rec-nop" };
        memory_listener_register(&rec[a].l, &as[a]);
        memory_listener_register(&rec_nop[a].l, &as[a]);
        heard[a][0] = heard_nop[a][0] = fd_heard[a][0] = 0;
        before[a] = copy_view(&as[a]);
        before[a].fds = malloc(512 * sizeof(Fd));
        before[a].nfds = 0;
    }
    for (ops_done = 0; ops_done < nops; ops_done++) {
        if (below(4) == 0) {
            memory_region_transaction_begin();
            for (uint64_t k = 1 + below(6); k > 0; k--) {
                op();
            }
            memory_region_transaction_commit();
        } else {
            op();
        }
        check(before);
    }
    printf("diff-commit: seed %llu: %llu operations, %llu checks, all "
           "agree\n",
           seed_g, ops_done, checks);
    for (int a = 0; a < NAS; a++) {
        free(before[a].r);
        free(before[a].fds);
    }
    return 0;
}
