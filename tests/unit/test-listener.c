// SPDX-License-Identifier: MIT
/*
 * test-listener.c - memory listeners (listener.c): the exact sequence of
 * callbacks for scripted topology changes (add, delete, move, resize,
 * enable, read-only, alias offset, nested transactions, invisible changes),
 * priorities, late registration, dirty-log starts and stops, coalesced MMIO
 * and ioeventfds; and a listener that keeps its own copy of the view.
 */
#include <stdarg.h>

#include "../harness/test.h"

#include <time.h>

/* --- a listener that writes down what it hears ---------------------------- */

typedef struct Rec {
    MemoryListener l;
    const char *tag;
    bool quiet_nop; /* leave region_nop out of the log */
} Rec;

static char journal[16384];

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    size_t n = strlen(journal);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(journal + n, sizeof(journal) - n, fmt, ap);
    va_end(ap);
}

static const char *tag(MemoryListener *l)
{
    return ((Rec *)l)->tag;
}

static void sec(const char *what, MemoryListener *l, MemoryRegionSection *s)
{
    uint64_t size = (uint64_t)s->size;
    note("%s:%s %" PRIx64 "+%" PRIx64 " %s@%" PRIx64 "%s\n", tag(l), what,
         s->offset_within_address_space, size, memory_region_name(s->mr),
         s->offset_within_region, s->readonly ? " ro" : "");
}

static void on_begin(MemoryListener *l)
{
    note("%s:begin\n", tag(l));
}
static void on_commit(MemoryListener *l)
{
    note("%s:commit\n", tag(l));
}
static void on_add(MemoryListener *l, MemoryRegionSection *s)
{
    sec("add", l, s);
}
static void on_del(MemoryListener *l, MemoryRegionSection *s)
{
    sec("del", l, s);
}
static void on_nop(MemoryListener *l, MemoryRegionSection *s)
{
    if (!((Rec *)l)->quiet_nop) {
        sec("nop", l, s);
    }
}
static void on_log_start(MemoryListener *l, MemoryRegionSection *s, int o,
                         int n)
{
    note("%s:log_start %" PRIx64 " %d->%d\n", tag(l),
         s->offset_within_address_space, o, n);
}
static void on_log_stop(MemoryListener *l, MemoryRegionSection *s, int o, int n)
{
    note("%s:log_stop %" PRIx64 " %d->%d\n", tag(l),
         s->offset_within_address_space, o, n);
}
static void on_global_start(MemoryListener *l)
{
    note("%s:log_global_start\n", tag(l));
}
static void on_global_stop(MemoryListener *l)
{
    note("%s:log_global_stop\n", tag(l));
}
static void on_sync(MemoryListener *l, MemoryRegionSection *s)
{
    sec("log_sync", l, s);
}
static void on_eventfd_add(MemoryListener *l, MemoryRegionSection *s, bool m,
                           uint64_t d, EventNotifier *e)
{
    note("%s:eventfd_add %" PRIx64 "+%" PRIx64 " %s %" PRIx64 "\n", tag(l),
         s->offset_within_address_space, (uint64_t)s->size, m ? "match" : "any",
         d);
}
static void on_eventfd_del(MemoryListener *l, MemoryRegionSection *s, bool m,
                           uint64_t d, EventNotifier *e)
{
    note("%s:eventfd_del %" PRIx64 "+%" PRIx64 "\n", tag(l),
         s->offset_within_address_space, (uint64_t)s->size);
}
static void on_co_add(MemoryListener *l, MemoryRegionSection *s, hwaddr a,
                      hwaddr n)
{
    note("%s:coalesced_add %" PRIx64 "+%" PRIx64 "\n", tag(l), a, n);
}
static void on_co_del(MemoryListener *l, MemoryRegionSection *s, hwaddr a,
                      hwaddr n)
{
    note("%s:coalesced_del %" PRIx64 "+%" PRIx64 "\n", tag(l), a, n);
}

static void rec_init(Rec *r, const char *t, unsigned priority)
{
    memset(r, 0, sizeof(*r));
    r->tag = t;
    r->l = (MemoryListener){
        .begin = on_begin,
        .commit = on_commit,
        .region_add = on_add,
        .region_del = on_del,
        .region_nop = on_nop,
        .log_start = on_log_start,
        .log_stop = on_log_stop,
        .log_global_start = on_global_start,
        .log_global_stop = on_global_stop,
        .log_sync = on_sync,
        .eventfd_add = on_eventfd_add,
        .eventfd_del = on_eventfd_del,
        .coalesced_io_add = on_co_add,
        .coalesced_io_del = on_co_del,
        .priority = priority,
        .name = t,
    };
}

static uint64_t dev_read(void *o, hwaddr a, unsigned s)
{
    return 0;
}
static void dev_write(void *o, hwaddr a, uint64_t v, unsigned s) {}
static const MemoryRegionOps dev_ops = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

static MemoryRegion root, ram, dev, box;
static AddressSpace as;

/* root (container) with ram at 0 (0x2000) and dev (MMIO) at 0x10000. */
static void setup(void)
{
    test_capture_errors();
    memory_region_init(&root, NULL, "root", 0x100000);
    ASSERT(memory_region_init_ram(&ram, NULL, "ram", 0x2000, NULL));
    memory_region_init_io(&dev, NULL, &dev_ops, NULL, "dev", 0x100);
    memory_region_add_subregion(&root, 0, &ram);
    memory_region_add_subregion(&root, 0x10000, &dev);
    address_space_init(&as, &root, "test");
    journal[0] = 0;
}

#define EXPECT(text)              \
    ASSERT_STR_EQ(journal, text); \
    journal[0] = 0

/* --- tests ------------------------------------------------------------------- */

TEST(register_replays_current_view)
{
    setup();
    Rec a;
    rec_init(&a, "A", 0);
    memory_listener_register(&a.l, &as);
    EXPECT("A:begin\n"
           "A:add 0+2000 ram@0\n"
           "A:add 10000+100 dev@0\n"
           "A:commit\n");
    memory_listener_unregister(&a.l);
    EXPECT("A:begin\n"
           "A:del 0+2000 ram@0\n"
           "A:del 10000+100 dev@0\n"
           "A:commit\n");
    memory_listener_unregister(&a.l); /* not registered: nothing */
    EXPECT("");
}

TEST(add_delete_and_priorities)
{
    setup();
    Rec a, b;
    rec_init(&a, "A", 10);
    rec_init(&b, "B", 1);
    memory_listener_register(&a.l, &as);
    memory_listener_register(&b.l, &as);
    journal[0] = 0;
    static MemoryRegion hole;
    memory_region_init_io(&hole, NULL, &dev_ops, NULL, "hole", 0x1000);
    /* Covers the upper half of ram at a higher priority. */
    memory_region_add_subregion_overlap(&root, 0x1000, &hole, 1);
    EXPECT("B:begin\nA:begin\n"
           /* old ram range changed: deleted, highest priority first */
           "A:del 0+2000 ram@0\nB:del 0+2000 ram@0\n"
           "B:add 0+1000 ram@0\nA:add 0+1000 ram@0\n"
           "B:add 1000+1000 hole@0\nA:add 1000+1000 hole@0\n"
           "B:nop 10000+100 dev@0\nA:nop 10000+100 dev@0\n"
           "B:commit\nA:commit\n");
    memory_region_del_subregion(&root, &hole);
    EXPECT("B:begin\nA:begin\n"
           "A:del 0+1000 ram@0\nB:del 0+1000 ram@0\n"
           "A:del 1000+1000 hole@0\nB:del 1000+1000 hole@0\n"
           "B:add 0+2000 ram@0\nA:add 0+2000 ram@0\n"
           "B:nop 10000+100 dev@0\nA:nop 10000+100 dev@0\n"
           "B:commit\nA:commit\n");
}

TEST(move_resize_enable_readonly)
{
    setup();
    Rec a;
    rec_init(&a, "A", 0);
    a.quiet_nop = true;
    memory_listener_register(&a.l, &as);
    journal[0] = 0;
    memory_region_set_address(&dev, 0x20000);
    EXPECT("A:begin\nA:del 10000+100 dev@0\nA:add 20000+100 dev@0\n"
           "A:commit\n");
    memory_region_set_size(&dev, 0x80);
    EXPECT("A:begin\nA:del 20000+100 dev@0\nA:add 20000+80 dev@0\n"
           "A:commit\n");
    memory_region_set_enabled(&dev, false);
    EXPECT("A:begin\nA:del 20000+80 dev@0\nA:commit\n");
    memory_region_set_enabled(&dev, false); /* no change: no round */
    EXPECT("");
    memory_region_set_enabled(&dev, true);
    EXPECT("A:begin\nA:add 20000+80 dev@0\nA:commit\n");
    memory_region_set_readonly(&ram, true);
    EXPECT("A:begin\nA:del 0+2000 ram@0\nA:add 0+2000 ram@0 ro\n"
           "A:commit\n");
}

TEST(alias_offset_and_nested_transactions)
{
    setup();
    static MemoryRegion win;
    memory_region_init_alias(&win, NULL, "win", &ram, 0, 0x1000);
    memory_region_add_subregion(&root, 0x40000, &win);
    Rec a;
    rec_init(&a, "A", 0);
    a.quiet_nop = true;
    memory_listener_register(&a.l, &as);
    journal[0] = 0;
    memory_region_set_alias_offset(&win, 0x1000);
    EXPECT("A:begin\nA:del 40000+1000 ram@0\nA:add 40000+1000 ram@1000\n"
           "A:commit\n");
    memory_region_transaction_begin();
    memory_region_transaction_begin();
    memory_region_set_alias_offset(&win, 0);
    memory_region_set_address(&win, 0x50000);
    memory_region_transaction_commit();
    EXPECT(""); /* the inner commit delivers nothing */
    memory_region_transaction_commit();
    EXPECT("A:begin\nA:del 40000+1000 ram@1000\nA:add 50000+1000 ram@0\n"
           "A:commit\n");
}

TEST(invisible_changes_follow_qemus_pending_rules)
{
    setup();
    Rec a;
    rec_init(&a, "A", 0);
    memory_listener_register(&a.l, &as);
    journal[0] = 0;
    /* An enabled container mapped nowhere: QEMU still renders and every
     * range is reported unchanged. */
    memory_region_init(&box, NULL, "box", 0x1000);
    static MemoryRegion inner;
    memory_region_init_io(&inner, NULL, &dev_ops, NULL, "inner", 0x10);
    memory_region_add_subregion(&box, 0, &inner);
    EXPECT("A:begin\nA:nop 0+2000 ram@0\nA:nop 10000+100 dev@0\n"
           "A:commit\n");
    /* A disabled container: not pending at all. */
    memory_region_del_subregion(&box, &inner);
    journal[0] = 0;
    memory_region_set_enabled(&box, false);
    journal[0] = 0;
    memory_region_add_subregion(&box, 0, &inner);
    EXPECT("");
    /* A transaction with no change: nothing either. */
    memory_region_transaction_begin();
    memory_region_transaction_commit();
    EXPECT("");
}

TEST(dirty_log_start_stop_and_counts)
{
    setup();
    Rec a;
    rec_init(&a, "A", 0);
    a.quiet_nop = true;
    memory_listener_register(&a.l, &as);
    journal[0] = 0;
    memory_region_set_log(&ram, true, DIRTY_MEMORY_VGA);
    EXPECT("A:begin\nA:log_start 0 0->1\nA:commit\n");
    memory_region_set_log(&ram, true, DIRTY_MEMORY_VGA); /* second user */
    EXPECT("");
    memory_region_set_log(&ram, false, DIRTY_MEMORY_VGA);
    EXPECT("");
    memory_region_set_log(&ram, false, DIRTY_MEMORY_VGA);
    EXPECT("A:begin\nA:log_stop 0 1->0\nA:commit\n");
    memory_region_set_log(&ram, false, DIRTY_MEMORY_VGA); /* not logging */
    ASSERT_EQ(test_last_error(), GM_ERR_INVALID_ARG);
    EXPECT("");

    /* Global tracking: the migration bit on migratable RAM only. */
    memory_global_dirty_log_start(GLOBAL_DIRTY_MIGRATION);
    EXPECT("A:log_global_start\nA:begin\nA:log_start 0 0->4\nA:commit\n");
    ASSERT_EQ(gm_global_dirty_tracking(), GLOBAL_DIRTY_MIGRATION);
    memory_global_dirty_log_start(GLOBAL_DIRTY_DIRTY_RATE); /* already on */
    EXPECT("");
    memory_global_dirty_log_sync();
    EXPECT("A:log_sync 0+2000 ram@0\n");
    /* A late listener is told the tracking is on. */
    Rec b;
    rec_init(&b, "B", 5);
    memory_listener_register(&b.l, &as);
    EXPECT("B:begin\nB:log_global_start\nB:add 0+2000 ram@0\n"
           "B:log_start 0 0->4\nB:add 10000+100 dev@0\nB:commit\n");
    memory_listener_unregister(&b.l);
    EXPECT("B:begin\nB:log_stop 0 4->0\nB:del 0+2000 ram@0\n"
           "B:del 10000+100 dev@0\nB:commit\n");
    memory_global_dirty_log_stop(GLOBAL_DIRTY_MIGRATION);
    EXPECT(""); /* DIRTY_RATE still on */
    memory_global_dirty_log_stop(GLOBAL_DIRTY_DIRTY_RATE);
    EXPECT("A:begin\nA:log_stop 0 4->0\nA:commit\nA:log_global_stop\n");
    memory_global_dirty_log_stop(GLOBAL_DIRTY_MIGRATION); /* not on */
    ASSERT_EQ(test_last_error(), GM_ERR_INVALID_ARG);
    ASSERT_EQ(gm_global_dirty_tracking(), 0);
}

TEST(coalesced_mmio)
{
    setup();
    Rec a;
    rec_init(&a, "A", 0);
    a.quiet_nop = true;
    memory_listener_register(&a.l, &as);
    journal[0] = 0;
    memory_region_add_coalescing(&dev, 0x10, 0x20);
    EXPECT("A:coalesced_add 10010+20\n");
    ASSERT(gm_memory_region_flush_coalesced(&dev));
    /* Moving the region re-announces it at the new place. */
    memory_region_set_address(&dev, 0x30000);
    EXPECT("A:begin\nA:coalesced_del 10010+20\nA:del 10000+100 dev@0\n"
           "A:add 30000+100 dev@0\nA:coalesced_add 30010+20\nA:commit\n");
    /* Half hidden behind a higher-priority region: only the visible part. */
    static MemoryRegion cover;
    memory_region_init_io(&cover, NULL, &dev_ops, NULL, "cover", 0x18);
    memory_region_add_subregion_overlap(&root, 0x30000, &cover, 1);
    EXPECT("A:begin\nA:coalesced_del 30010+20\nA:del 30000+100 dev@0\n"
           "A:add 30000+18 cover@0\nA:add 30018+e8 dev@18\n"
           "A:coalesced_add 30018+18\nA:commit\n");
    memory_region_clear_coalescing(&dev);
    EXPECT("A:coalesced_del 30018+18\n");
    ASSERT(!gm_memory_region_flush_coalesced(&dev));
    memory_region_add_coalescing(&dev, 0xf0, 0x20); /* past the end */
    ASSERT_EQ(test_last_error(), GM_ERR_RANGE_OVERFLOW);
    EXPECT("");
}

TEST(ioeventfds)
{
    setup();
    Rec a;
    rec_init(&a, "A", 0);
    a.quiet_nop = true;
    memory_listener_register(&a.l, &as);
    journal[0] = 0;
    EventNotifier e1, e2;
    ASSERT_EQ(event_notifier_init(&e1, 0), 0);
    ASSERT_EQ(event_notifier_init(&e2, 0), 0);
    ASSERT(event_notifier_get_fd(&e1) >= 0);
    memory_region_add_eventfd(&dev, 0x40, 4, true, 0x1234, &e1);
    EXPECT("A:eventfd_add 10040+4 match 1234\n");
    memory_region_add_eventfd(&dev, 0x8, 2, false, 0, &e2);
    EXPECT("A:eventfd_add 10008+2 any 0\n");
    /* Moving the device moves the eventfds: deletions after the region
     * pass, in sort order. */
    memory_region_set_address(&dev, 0x20000);
    EXPECT("A:begin\nA:del 10000+100 dev@0\nA:add 20000+100 dev@0\n"
           "A:eventfd_del 10008+2\nA:eventfd_del 10040+4\n"
           "A:eventfd_add 20008+2 any 0\nA:eventfd_add 20040+4 match 1234\n"
           "A:commit\n");
    memory_region_del_eventfd(&dev, 0x40, 4, true, 0x1234, &e1);
    EXPECT("A:eventfd_del 20040+4\n");
    memory_region_del_eventfd(&dev, 0x40, 4, true, 0x1234, &e1);
    ASSERT_EQ(test_last_error(), GM_ERR_NOT_FOUND);
    memory_region_add_eventfd(&dev, 0xfe, 4, false, 0, &e1); /* past end */
    ASSERT_EQ(test_last_error(), GM_ERR_RANGE_OVERFLOW);
    memory_region_add_eventfd(&dev, 0, 3, false, 0, &e1);
    ASSERT_EQ(test_last_error(), GM_ERR_INVALID_ARG);
    EXPECT("");
    /* The notifier is a real eventfd. */
    ASSERT_EQ(event_notifier_test_and_clear(&e2), 0);
    ASSERT_EQ(event_notifier_set(&e2), 0);
    ASSERT_EQ(event_notifier_test_and_clear(&e2), 1);
    ASSERT_EQ(event_notifier_test_and_clear(&e2), 0);
    event_notifier_cleanup(&e1);
    event_notifier_cleanup(&e2);
}

static int deferred_rounds;
static MemoryRegion late_region;

static int register_result = 1;

static void commit_adds_region(MemoryListener *l)
{
    on_commit(l);
    if (deferred_rounds++ == 0) {
        memory_region_add_subregion(&root, 0x60000, &late_region);
        /* Registering from a callback is refused. */
        static MemoryListener other;
        register_result = gm_memory_listener_register(&other, &as, NULL);
    }
}

TEST(change_from_a_callback_is_a_further_round)
{
    setup();
    Rec a;
    rec_init(&a, "A", 0);
    a.quiet_nop = true;
    a.l.commit = commit_adds_region;
    memory_region_init_io(&late_region, NULL, &dev_ops, NULL, "late", 0x10);
    memory_listener_register(&a.l, &as);
    /* The replay's commit added a region: the next round delivers it. */
    EXPECT("A:begin\nA:add 0+2000 ram@0\nA:add 10000+100 dev@0\nA:commit\n"
           "A:begin\nA:add 60000+10 late@0\nA:commit\n");
    ASSERT_EQ(register_result, -GM_ERR_BUSY);
    Rec b;
    rec_init(&b, "B", 0);
    b.l.log_sync = on_sync;
    b.l.log_sync_global = on_global_start;
    ASSERT_EQ(gm_memory_listener_register(&b.l, &as, NULL),
              -GM_ERR_INVALID_ARG);
    ASSERT_EQ(gm_memory_listener_register(&a.l, &as, NULL),
              -GM_ERR_INVALID_ARG); /* already registered */
}

/* --- a listener that rebuilds the view from the events ---------------------- */

typedef struct Copy {
    MemoryListener l;
    MemoryRegionSection s[64];
    int n;
} Copy;

static int find_sec(Copy *c, MemoryRegionSection *s)
{
    for (int i = 0; i < c->n; i++) {
        if (c->s[i].offset_within_address_space ==
                s->offset_within_address_space &&
            c->s[i].mr == s->mr && c->s[i].size == s->size &&
            c->s[i].offset_within_region == s->offset_within_region &&
            c->s[i].readonly == s->readonly) {
            return i;
        }
    }
    return -1;
}

static void copy_add(MemoryListener *l, MemoryRegionSection *s)
{
    Copy *c = (Copy *)l;
    ASSERT(find_sec(c, s) < 0);
    ASSERT(c->n < 64);
    c->s[c->n++] = *s;
}

static void copy_del(MemoryListener *l, MemoryRegionSection *s)
{
    Copy *c = (Copy *)l;
    int i = find_sec(c, s);
    ASSERT(i >= 0);
    c->s[i] = c->s[--c->n];
}

static void copy_nop(MemoryListener *l, MemoryRegionSection *s)
{
    ASSERT(find_sec((Copy *)l, s) >= 0);
}

static void copy_matches_view(Copy *c)
{
    FlatView *fv = address_space_get_flatview(&as);
    unsigned nr = gm_flatview_nr(fv);
    ASSERT_EQ(c->n, nr);
    for (unsigned i = 0; i < nr; i++) {
        MemoryRegionSection s;
        gm_flatview_section(fv, i, &s);
        ASSERT(find_sec(c, &s) >= 0);
    }
    flatview_unref(fv);
}

TEST(a_listeners_copy_equals_the_view)
{
    setup();
    static Copy c;
    c.l = (MemoryListener){ .region_add = copy_add,
                            .region_del = copy_del,
                            .region_nop = copy_nop,
                            .name = "copy" };
    memory_listener_register(&c.l, &as);
    copy_matches_view(&c);
    static MemoryRegion r[8];
    uint64_t rng = 12345;
    for (int step = 0; step < 400; step++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned k = (unsigned)(rng >> 33) % 8;
        unsigned what = (unsigned)(rng >> 45) % 4;
        hwaddr at = ((rng >> 20) % 0x30) * 0x400;
        if (!r[k].name) {
            memory_region_init_io(&r[k], NULL, &dev_ops, NULL, "r", 0x800);
        }
        if (what == 0 && !r[k].container) {
            memory_region_add_subregion_overlap(&root, at, &r[k],
                                                (int)(rng >> 60) % 3 - 1);
        } else if (what == 1 && r[k].container) {
            memory_region_del_subregion(&root, &r[k]);
        } else if (what == 2) {
            memory_region_set_address(&r[k], at);
        } else {
            memory_region_set_enabled(&r[k], !r[k].enabled);
        }
        copy_matches_view(&c);
    }
}

static unsigned order_seen[8];
static unsigned order_n;

static void note_begin(MemoryListener *l)
{
    if (order_n < 8) {
        order_seen[order_n++] =
            l->priority * 100 + (unsigned)(l->name[0] - 'a');
    }
}

/* ../shared/cases/api/11: registering took time in proportion to the
 * listeners already there (100,000 took 20 s).  It is O(1) for the usual
 * ascending or equal priorities, and the order stays QEMU's: by priority,
 * then registration order. */
TEST(registering_many_listeners_is_linear)
{
    enum {
        N = 100000
    };
    MemoryListener *l = calloc(N, sizeof(*l));
    ASSERT(l);
    setup();
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = 0; i < N; i++) {
        l[i].name = "many";
        memory_listener_register(&l[i], &as);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(stderr, "100,000 registrations: %.3f s\n", s);
    ASSERT(s < 10); /* linear: milliseconds; quadratic: 20 s */
    for (long i = 0; i < N; i++) {
        memory_listener_unregister(&l[i]);
    }
    free(l);
    /* Mixed priorities still land in order: c(2) a(1) d(1) b(0) e(3). */
    static MemoryListener m[5];
    const char *names[] = { "c", "a", "d", "b", "e" };
    const unsigned prio[] = { 2, 1, 1, 0, 3 };
    for (int i = 0; i < 5; i++) {
        m[i].name = names[i];
        m[i].priority = prio[i];
        m[i].begin = note_begin;
        memory_listener_register(&m[i], &as);
    }
    order_n = 0;
    memory_region_set_enabled(&dev, false);
    ASSERT_EQ(order_n, 5);
    const unsigned want[] = { 1, 100, 103, 202, 304 }; /* b a d c e */
    for (int i = 0; i < 5; i++) {
        ASSERT_EQ(order_seen[i], want[i]);
    }
    for (int i = 0; i < 5; i++) {
        memory_listener_unregister(&m[i]);
    }
}

/* A listener whose region_add enables the next region of a chain: 100
 * rounds, each from a callback, settle (the view then equals a whole
 * render); one that moves the region it is told about never settles and
 * is reported, not left silently stale. */
static MemoryRegion chain[100];
static unsigned chain_n;

static void enable_next(MemoryListener *l, MemoryRegionSection *s)
{
    for (unsigned k = 0; k + 1 < chain_n; k++) {
        if (s->mr == &chain[k]) {
            memory_region_set_enabled(&chain[k + 1], true);
        }
    }
}

static void move_self(MemoryListener *l, MemoryRegionSection *s)
{
    if (s->mr == &chain[0]) {
        memory_region_set_address(&chain[0], chain[0].addr ^ 0x1000);
    }
}

TEST(callback_chains_settle_or_are_reported)
{
    setup();
    chain_n = 100;
    memory_region_transaction_begin();
    for (unsigned k = 0; k < chain_n; k++) {
        memory_region_init_io(&chain[k], NULL, &dev_ops, NULL, "c", 0x100);
        memory_region_set_enabled(&chain[k], k == 0);
        memory_region_add_subregion(&root, 0x20000 + k * 0x1000, &chain[k]);
    }
    memory_region_transaction_commit();
    MemoryListener l = { .region_add = enable_next, .name = "chain" };
    memory_region_set_enabled(&chain[0], false);
    memory_listener_register(&l, &as);
    memory_region_set_enabled(&chain[0], true);
    ASSERT_EQ(test_last_error(), GM_OK);
    for (unsigned k = 0; k < chain_n; k++) {
        ASSERT(chain[k].enabled);
    }
    ASSERT_EQ(gm_address_space_check(&as, NULL), 0);
    memory_listener_unregister(&l);

    MemoryListener m = { .region_add = move_self, .name = "mover" };
    memory_listener_register(&m, &as);
    ASSERT_EQ(test_last_error(), GM_ERR_BUSY);
    memory_listener_unregister(&m);
}

static const TestCase tests[] = {
    TEST_ENTRY(registering_many_listeners_is_linear),
    TEST_ENTRY(register_replays_current_view),
    TEST_ENTRY(add_delete_and_priorities),
    TEST_ENTRY(move_resize_enable_readonly),
    TEST_ENTRY(alias_offset_and_nested_transactions),
    TEST_ENTRY(invisible_changes_follow_qemus_pending_rules),
    TEST_ENTRY(dirty_log_start_stop_and_counts),
    TEST_ENTRY(coalesced_mmio),
    TEST_ENTRY(ioeventfds),
    TEST_ENTRY(change_from_a_callback_is_a_further_round),
    TEST_ENTRY(callback_chains_settle_or_are_reported),
    TEST_ENTRY(a_listeners_copy_equals_the_view),
};

int main(int argc, char **argv)
{
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
