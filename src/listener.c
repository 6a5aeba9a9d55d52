// SPDX-License-Identifier: MIT
/*
 * listener.c - memory listeners: registration, the difference between two
 * flat views delivered on commit, coalesced MMIO ranges and ioeventfds.
 *
 * The order of every call is QEMU 7.2's (see listener.h); the listener
 * lists are kept sorted by priority, ties in registration order, so that
 * "forward" walks them head to tail and "reverse" tail to head.
 */
#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"

/* --- event notifiers ------------------------------------------------------- */

int event_notifier_init(EventNotifier *e, int active)
{
    if (!e) {
        return -EINVAL;
    }
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) {
        e->rfd = e->wfd = -1;
        e->initialized = false;
        return -errno;
    }
    e->rfd = e->wfd = fd;
    e->initialized = true;
    if (active) {
        event_notifier_set(e);
    }
    return 0;
}

void event_notifier_cleanup(EventNotifier *e)
{
    if (!e || !e->initialized) {
        return;
    }
    close(e->rfd);
    e->rfd = e->wfd = -1;
    e->initialized = false;
}

int event_notifier_get_fd(const EventNotifier *e)
{
    return e && e->initialized ? e->rfd : -1;
}

int event_notifier_set(EventNotifier *e)
{
    if (!e || !e->initialized) {
        return -EINVAL;
    }
    uint64_t one = 1;
    ssize_t n;
    do {
        n = write(e->wfd, &one, sizeof(one));
    } while (n < 0 && errno == EINTR);
    return n < 0 && errno != EAGAIN ? -errno : 0;
}

int event_notifier_test_and_clear(EventNotifier *e)
{
    if (!e || !e->initialized) {
        return 0;
    }
    uint64_t v = 0;
    ssize_t n;
    do {
        n = read(e->rfd, &v, sizeof(v));
    } while (n < 0 && errno == EINTR);
    return n == sizeof(v) && v != 0;
}

/* --- calling listeners ---------------------------------------------------- */

typedef enum {
    FORWARD,
    REVERSE
} Direction;

/* Each listener of @as in @dir order. */
#define FOR_EACH_AS_LISTENER(l, as, dir)                              \
    for (MemoryListener *l = (dir) == FORWARD ? (as)->listeners       \
                                              : (as)->listeners_last; \
         l; l = (dir) == FORWARD ? l->as_next : l->as_prev)

/* Each listener of every address space in @dir order. */
#define FOR_EACH_LISTENER(l, dir)                                         \
    for (MemoryListener *l = (dir) == FORWARD ? gm__state.listeners       \
                                              : gm__state.listeners_last; \
         l; l = (dir) == FORWARD ? l->next : l->prev)

static void call_global(size_t offset, Direction dir)
{
    FOR_EACH_LISTENER(l, dir)
    {
        void (*cb)(MemoryListener *);
        memcpy(&cb, (char *)l + offset, sizeof(cb));
        if (cb) {
            cb(l);
        }
    }
}
#define CALL_GLOBAL(field, dir) \
    call_global(offsetof(MemoryListener, field), dir)

typedef enum {
    EV_ADD,
    EV_DEL,
    EV_NOP
} RegionEvent;

static void call_region(AddressSpace *as, FlatView *fv, const FlatRange *fr,
                        RegionEvent ev, Direction dir)
{
    MemoryRegionSection s;
    gm__section_from_range(fv, fr, &s);
    FOR_EACH_AS_LISTENER(l, as, dir)
    {
        void (*cb)(MemoryListener *, MemoryRegionSection *) =
            ev == EV_ADD   ? l->region_add
            : ev == EV_DEL ? l->region_del
                           : l->region_nop;
        if (cb) {
            cb(l, &s);
        }
    }
}

static void call_log(AddressSpace *as, FlatView *fv, const FlatRange *fr,
                     bool start, int old_mask, int new_mask)
{
    MemoryRegionSection s;
    gm__section_from_range(fv, fr, &s);
    FOR_EACH_AS_LISTENER(l, as, start ? FORWARD : REVERSE)
    {
        void (*cb)(MemoryListener *, MemoryRegionSection *, int, int) =
            start ? l->log_start : l->log_stop;
        if (cb) {
            cb(l, &s, old_mask, new_mask);
        }
    }
}

/* --- coalesced MMIO ------------------------------------------------------- */

/* Tells the listeners of @as about the part of coalesced range @c of
 * fr->mr that @fr shows (nothing if it shows none of it). */
static void coalesced_notify(AddressSpace *as, FlatView *fv,
                             const FlatRange *fr,
                             const struct GmCoalescedRange *c, bool add)
{
    __int128 shift = (__int128)fr->start - (__int128)fr->offset_in_region;
    __int128 cs = (__int128)c->start + shift;
    __int128 ce = cs + (__int128)c->size; /* exclusive */
    __int128 fs = fr->start;
    __int128 fe = (__int128)fr->last + 1;
    bool meets = (fs >= cs && fs < ce) || (cs >= fs && cs < fe);
    if (!meets) {
        return;
    }
    __int128 s = cs > fs ? cs : fs;
    __int128 e = ce < fe ? ce : fe;
    MemoryRegionSection sec;
    gm__section_from_range(fv, fr, &sec);
    FOR_EACH_AS_LISTENER(l, as, add ? FORWARD : REVERSE)
    {
        void (*cb)(MemoryListener *, MemoryRegionSection *, hwaddr, hwaddr) =
            add ? l->coalesced_io_add : l->coalesced_io_del;
        if (cb) {
            cb(l, &sec, (hwaddr)s, (hwaddr)(e - s));
        }
    }
}

static void coalesced_all(AddressSpace *as, FlatView *fv, const FlatRange *fr,
                          bool add)
{
    for (unsigned i = 0; i < fr->mr->nr_coalesced; i++) {
        coalesced_notify(as, fv, fr, &fr->mr->coalesced[i], add);
    }
}

/* --- the difference between two views ------------------------------------- */

static bool same_range(const FlatRange *a, const FlatRange *b)
{
    return a->mr == b->mr && a->start == b->start && a->last == b->last &&
           a->offset_in_region == b->offset_in_region &&
           a->romd_mode == b->romd_mode && a->readonly == b->readonly &&
           a->nonvolatile == b->nonvolatile;
}

/* One of QEMU's two passes over the sorted ranges @old and @new: the
 * first (adding false) deletes what went, the second adds what came and
 * reports what stayed.  Sections name @cur, the view still published. */
void gm__topology_pass(AddressSpace *as, FlatView *cur,
                       const FlatRange *const *old, size_t nold,
                       const FlatRange *const *new, size_t nnew, bool adding)
{
    size_t io = 0, in = 0;
    while (io < nold || in < nnew) {
        const FlatRange *fo = io < nold ? old[io] : NULL;
        const FlatRange *fn = in < nnew ? new[in] : NULL;
        if (fo && (!fn || fo->start < fn->start ||
                   (fo->start == fn->start && !same_range(fo, fn)))) {
            if (!adding) {
                coalesced_all(as, cur, fo, false);
                call_region(as, cur, fo, EV_DEL, REVERSE);
            }
            io++;
        } else if (fo && fn && same_range(fo, fn)) {
            if (adding) {
                call_region(as, cur, fn, EV_NOP, FORWARD);
                if (fn->dirty_log_mask & ~fo->dirty_log_mask) {
                    call_log(as, cur, fn, true, fo->dirty_log_mask,
                             fn->dirty_log_mask);
                }
                if (fo->dirty_log_mask & ~fn->dirty_log_mask) {
                    call_log(as, cur, fn, false, fo->dirty_log_mask,
                             fn->dirty_log_mask);
                }
            }
            io++;
            in++;
        } else {
            if (adding) {
                call_region(as, cur, fn, EV_ADD, FORWARD);
                coalesced_all(as, cur, fn, true);
            }
            in++;
        }
    }
}

void gm__listeners_begin(void)
{
    CALL_GLOBAL(begin, FORWARD);
}

void gm__listeners_end(void)
{
    CALL_GLOBAL(commit, FORWARD);
}

/* --- ioeventfds ---------------------------------------------------------------- */

/* QEMU's sort order of ioeventfds. */
static bool fd_before(const struct GmIoeventfd *a, const struct GmIoeventfd *b)
{
    if (a->start != b->start) {
        return a->start < b->start;
    }
    if (a->size != b->size) {
        return a->size < b->size;
    }
    if (a->match_data != b->match_data) {
        return a->match_data < b->match_data;
    }
    if (a->match_data && a->data != b->data) {
        return a->data < b->data;
    }
    return (uintptr_t)a->e < (uintptr_t)b->e;
}

static void call_eventfd(AddressSpace *as, const struct GmIoeventfd *fd,
                         bool add)
{
    MemoryRegionSection s = {
        .fv = as->current_map,
        .offset_within_address_space = (hwaddr)fd->start,
        .size = (Int128)fd->size,
    };
    /* QEMU walks deletions forward and additions in reverse. */
    FOR_EACH_AS_LISTENER(l, as, add ? REVERSE : FORWARD)
    {
        void (*cb)(MemoryListener *, MemoryRegionSection *, bool, uint64_t,
                   EventNotifier *) = add ? l->eventfd_add : l->eventfd_del;
        if (cb) {
            cb(l, &s, fd->match_data, fd->data, fd->e);
        }
    }
}

static bool range_meets(gm_u128 s1, gm_u128 n1, gm_u128 s2, gm_u128 n2)
{
    return (s2 >= s1 && s2 < s1 + n1) || (s1 >= s2 && s1 < s2 + n2);
}

static int fd_order(const void *a, const void *b)
{
    const struct GmIoeventfd *x = a, *y = b;
    return fd_before(x, y) ? -1 : fd_before(y, x);
}

/* Whether ioeventfd @fd (at an address) meets [@lo, @hi]. */
static bool fd_meets(const struct GmIoeventfd *fd, hwaddr lo, hwaddr hi)
{
    gm_u128 last = fd->size ? fd->start + fd->size - 1 : fd->start;
    return fd->start <= hi && last >= lo;
}

static bool fds_push(struct GmIoeventfd **fds, unsigned *nb, unsigned *cap,
                     const struct GmIoeventfd *fd)
{
    if (*nb == *cap) {
        unsigned ncap = *cap ? *cap * 2 : 4;
        struct GmIoeventfd *n = realloc(*fds, ncap * sizeof(*n));
        if (!n) {
            return false;
        }
        *fds = n;
        *cap = ncap;
    }
    (*fds)[(*nb)++] = *fd;
    return true;
}

/* The ioeventfds of @as's view that meet [@lo, @hi], sorted. */
static bool fds_in_view(AddressSpace *as, hwaddr lo, hwaddr hi,
                        struct GmIoeventfd **out, unsigned *nout)
{
    /* An ioeventfd spans at most 8 bytes: those meeting the span come
     * from ranges within 8 bytes of it. */
    GmRanges rs = { 0 };
    hwaddr clo = lo > 8 ? lo - 8 : 0;
    hwaddr chi = hi < UINT64_MAX - 8 ? hi + 8 : UINT64_MAX;
    unsigned nb = 0, cap = 0;
    struct GmIoeventfd *fds = NULL;
    bool ok = gm__fv_collect(as->current_map, clo, chi, &rs);
    for (size_t r = 0; ok && r < rs.n; r++) {
        const FlatRange *fr = rs.r[r];
        for (unsigned i = 0; ok && i < fr->mr->ioeventfd_nb; i++) {
            struct GmIoeventfd fd = fr->mr->ioeventfds[i];
            __int128 at = (__int128)fd.start + (__int128)fr->start -
                          (__int128)fr->offset_in_region;
            if (at < 0) {
                continue;
            }
            fd.start = (gm_u128)at;
            gm_u128 fsize = (gm_u128)fr->last - fr->start + 1;
            if (!range_meets(fr->start, fsize, fd.start, fd.size) ||
                !fd_meets(&fd, lo, hi)) {
                continue;
            }
            ok = fds_push(&fds, &nb, &cap, &fd);
        }
    }
    gm__ranges_free(&rs);
    if (!ok) {
        free(fds);
        return false;
    }
    if (nb) {
        qsort(fds, nb, sizeof(*fds), fd_order);
    }
    *out = fds;
    *nout = nb;
    return true;
}

void gm__ioeventfds_update_span(AddressSpace *as, hwaddr lo, hwaddr hi)
{
    struct GmIoeventfd *fds = NULL, *keep = NULL, *old = NULL, *all = NULL;
    unsigned nb = 0, nkeep = 0, nold = 0, capk = 0, capo = 0;
    if (!fds_in_view(as, lo, hi, &fds, &nb)) {
        gm__state.ioeventfd_pending = true; /* retried at the next commit */
        return;
    }
    bool ok = true;
    for (unsigned i = 0; ok && i < as->ioeventfd_nb; i++) {
        const struct GmIoeventfd *fd = &as->ioeventfds[i];
        ok = fd_meets(fd, lo, hi) ? fds_push(&old, &nold, &capo, fd)
                                  : fds_push(&keep, &nkeep, &capk, fd);
    }
    all = malloc(((size_t)nkeep + nb + 1) * sizeof(*all));
    if (!ok || !all) {
        free(fds);
        free(keep);
        free(old);
        free(all);
        gm__state.ioeventfd_pending = true;
        return;
    }
    /* Symmetric difference of the two sorted sets, in QEMU's order. */
    unsigned io = 0, in = 0;
    while (io < nold || in < nb) {
        if (io < nold && (in == nb || fd_before(&old[io], &fds[in]))) {
            call_eventfd(as, &old[io++], false);
        } else if (in < nb && (io == nold || fd_before(&fds[in], &old[io]))) {
            call_eventfd(as, &fds[in++], true);
        } else {
            io++;
            in++;
        }
    }
    /* The new set: the kept ones and the span's, merged in order. */
    unsigned k = 0, n = 0, a = 0;
    while (k < nkeep || n < nb) {
        if (n == nb || (k < nkeep && !fd_before(&fds[n], &keep[k]))) {
            all[a++] = keep[k++];
        } else {
            all[a++] = fds[n++];
        }
    }
    free(fds);
    free(keep);
    free(old);
    free(as->ioeventfds);
    as->ioeventfds = all;
    as->ioeventfd_nb = a;
}

void gm__ioeventfds_update(AddressSpace *as)
{
    gm__ioeventfds_update_span(as, 0, UINT64_MAX);
}

static bool valid_fd_size(unsigned size)
{
    return size == 0 || size == 1 || size == 2 || size == 4 || size == 8;
}

/* The data as the region's byte order stores it (QEMU adjusts it once,
 * at registration). */
static uint64_t fd_data(const MemoryRegion *mr, unsigned size, uint64_t data)
{
    bool big = mr->ops && mr->ops->endianness == DEVICE_BIG_ENDIAN;
    if (!size || !big) {
        return data;
    }
    switch (size) {
    case 2: return __builtin_bswap16((uint16_t)data);
    case 4: return __builtin_bswap32((uint32_t)data);
    case 8: return __builtin_bswap64(data);
    default: return data;
    }
}

static int check_fd_args(MemoryRegion *mr, hwaddr addr, unsigned size,
                         EventNotifier *e, Error **errp)
{
    if (!gm__mr_valid(mr) || !e) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "eventfd: region or notifier NULL or not "
                             "initialised");
    }
    if (!valid_fd_size(size)) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "eventfd on '%s': size %u is not 0, 1, 2, 4 or 8",
                             memory_region_name(mr), size);
    }
    if ((gm_u128)addr + size > gm__mr_size(mr)) {
        return gm_error_setg(errp, GM_ERR_RANGE_OVERFLOW,
                             "eventfd on '%s': 0x%" PRIx64 "+%u is outside "
                             "the region",
                             memory_region_name(mr), addr, size);
    }
    return 0;
}

void memory_region_add_eventfd(MemoryRegion *mr, hwaddr addr, unsigned size,
                               bool match_data, uint64_t data, EventNotifier *e)
{
    Error *err = NULL;
    if (check_fd_args(mr, addr, size, e, &err)) {
        gm__report(err);
        return;
    }
    struct GmIoeventfd fd = { addr, size, match_data, fd_data(mr, size, data),
                              e };
    struct GmIoeventfd *n =
        realloc(mr->ioeventfds, (mr->ioeventfd_nb + 1) * sizeof(*n));
    if (!n) {
        gm_error_setg(&err, GM_ERR_NO_MEMORY, "eventfd on '%s': out of memory",
                      memory_region_name(mr));
        gm__report(err);
        return;
    }
    gm__begin();
    mr->ioeventfds = n;
    unsigned i = 0;
    while (i < mr->ioeventfd_nb && !fd_before(&fd, &n[i])) {
        i++;
    }
    memmove(&n[i + 1], &n[i], (mr->ioeventfd_nb - i) * sizeof(*n));
    n[i] = fd;
    mr->ioeventfd_nb++;
    gm__mark_fds(mr);
    gm__commit();
}

/* QEMU's equality of ioeventfds: a wildcard size on either side matches
 * any registration at the same address. */
static bool fd_equal(const struct GmIoeventfd *a, const struct GmIoeventfd *b)
{
    if (a->start != b->start) {
        return false;
    }
    if (!a->size || !b->size) {
        return true;
    }
    return a->size == b->size && a->match_data == b->match_data &&
           (!a->match_data || a->data == b->data) && a->e == b->e;
}

int gm_memory_region_del_eventfd(MemoryRegion *mr, hwaddr addr, unsigned size,
                                 bool match_data, uint64_t data,
                                 EventNotifier *e, Error **errp)
{
    if (check_fd_args(mr, addr, size, e, errp)) {
        return -GM_ERR_INVALID_ARG;
    }
    struct GmIoeventfd fd = { addr, size, match_data, fd_data(mr, size, data),
                              e };
    unsigned i = 0;
    while (i < mr->ioeventfd_nb && !fd_equal(&fd, &mr->ioeventfds[i])) {
        i++;
    }
    if (i == mr->ioeventfd_nb) {
        return gm_error_setg(errp, GM_ERR_NOT_FOUND,
                             "del_eventfd: no such ioeventfd at 0x%" PRIx64
                             " of '%s'",
                             addr, memory_region_name(mr));
    }
    gm__begin();
    memmove(&mr->ioeventfds[i], &mr->ioeventfds[i + 1],
            (mr->ioeventfd_nb - i - 1) * sizeof(*mr->ioeventfds));
    mr->ioeventfd_nb--;
    gm__mark_fds(mr);
    gm__commit();
    return 0;
}

void memory_region_del_eventfd(MemoryRegion *mr, hwaddr addr, unsigned size,
                               bool match_data, uint64_t data, EventNotifier *e)
{
    Error *err = NULL;
    if (gm_memory_region_del_eventfd(mr, addr, size, match_data, data, e,
                                     &err)) {
        gm__report(err);
    }
}

/* --- coalesced MMIO: the API ------------------------------------------------- */

/* Every view that shows @mr hears about coalesced range @c at once. */
static void coalesced_update(MemoryRegion *mr, const struct GmCoalescedRange *c,
                             bool add)
{
    for (AddressSpace *as = gm__state.as_first; as; as = as->next) {
        FlatView *fv = as->current_map;
        const FlatRange *const *rs =
            fv && as->listeners ? gm__fv_ranges(fv) : NULL;
        for (unsigned i = 0; rs && i < fv->nr; i++) {
            if (rs[i]->mr == mr) {
                coalesced_notify(as, fv, rs[i], c, add);
            }
        }
    }
}

void memory_region_add_coalescing(MemoryRegion *mr, hwaddr offset,
                                  uint64_t size)
{
    Error *err = NULL;
    if (!gm__mr_valid(mr)) {
        gm_error_setg(&err, GM_ERR_INVALID_ARG,
                      "add_coalescing: region NULL or not initialised");
    } else if (!size || (gm_u128)offset + size > gm__mr_size(mr)) {
        gm_error_setg(&err, GM_ERR_RANGE_OVERFLOW,
                      "add_coalescing on '%s': [0x%" PRIx64 ", +0x%" PRIx64
                      ") is empty or outside the region",
                      memory_region_name(mr), offset, size);
    }
    if (err) {
        gm__report(err);
        return;
    }
    struct GmCoalescedRange *n =
        realloc(mr->coalesced, (mr->nr_coalesced + 1) * sizeof(*n));
    if (!n) {
        gm_error_setg(&err, GM_ERR_NO_MEMORY, "add_coalescing: out of memory");
        gm__report(err);
        return;
    }
    gm_update_lock();
    mr->coalesced = n;
    n[mr->nr_coalesced] = (struct GmCoalescedRange){ offset, size };
    mr->nr_coalesced++;
    coalesced_update(mr, &n[mr->nr_coalesced - 1], true);
    mr->flush_coalesced_mmio = true;
    gm_update_unlock();
}

void memory_region_clear_coalescing(MemoryRegion *mr)
{
    if (!gm__mr_valid(mr) || !mr->nr_coalesced) {
        return;
    }
    gm_update_lock();
    mr->flush_coalesced_mmio = false;
    /* First to last, each removed before the listeners hear of it. */
    while (mr->nr_coalesced) {
        struct GmCoalescedRange c = mr->coalesced[0];
        memmove(&mr->coalesced[0], &mr->coalesced[1],
                (mr->nr_coalesced - 1) * sizeof(c));
        mr->nr_coalesced--;
        coalesced_update(mr, &c, false);
    }
    free(mr->coalesced);
    mr->coalesced = NULL;
    gm_update_unlock();
}

void memory_region_set_coalescing(MemoryRegion *mr)
{
    if (!gm__mr_valid(mr)) {
        Error *err = NULL;
        gm_error_setg(&err, GM_ERR_INVALID_ARG,
                      "set_coalescing: region NULL or not initialised");
        gm__report(err);
        return;
    }
    memory_region_clear_coalescing(mr);
    memory_region_add_coalescing(mr, 0, memory_region_size(mr));
}

void memory_region_set_flush_coalesced(MemoryRegion *mr)
{
    if (gm__mr_valid(mr)) {
        mr->flush_coalesced_mmio = true;
    }
}

void memory_region_clear_flush_coalesced(MemoryRegion *mr)
{
    if (gm__mr_valid(mr) && !mr->nr_coalesced) {
        mr->flush_coalesced_mmio = false;
    }
}

bool gm_memory_region_flush_coalesced(const MemoryRegion *mr)
{
    return gm__mr_valid(mr) && mr->flush_coalesced_mmio;
}

/* --- registration ------------------------------------------------------------ */

/* Both lists are sorted by priority, registration order among equals.
 * The search runs from the tail: listeners mostly come in ascending or
 * equal priority, so registering one costs O(1) however many there are
 * (100,000 registrations took 20 s scanning from the head). */
static void link_global(MemoryListener *l)
{
    MemoryListener *p = gm__state.listeners_last;
    while (p && p->priority > l->priority) {
        p = p->prev;
    }
    MemoryListener *o = p ? p->next : gm__state.listeners;
    /* Insert before @o (or at the tail). */
    l->next = o;
    l->prev = o ? o->prev : gm__state.listeners_last;
    if (l->prev) {
        l->prev->next = l;
    } else {
        gm__state.listeners = l;
    }
    if (o) {
        o->prev = l;
    } else {
        gm__state.listeners_last = l;
    }
}

static void link_as(AddressSpace *as, MemoryListener *l)
{
    MemoryListener *p = as->listeners_last;
    while (p && p->priority > l->priority) {
        p = p->as_prev;
    }
    MemoryListener *o = p ? p->as_next : as->listeners;
    l->as_next = o;
    l->as_prev = o ? o->as_prev : as->listeners_last;
    if (l->as_prev) {
        l->as_prev->as_next = l;
    } else {
        as->listeners = l;
    }
    if (o) {
        o->as_prev = l;
    } else {
        as->listeners_last = l;
    }
}

static void unlink_both(MemoryListener *l)
{
    AddressSpace *as = l->address_space;
    if (l->prev) {
        l->prev->next = l->next;
    } else {
        gm__state.listeners = l->next;
    }
    if (l->next) {
        l->next->prev = l->prev;
    } else {
        gm__state.listeners_last = l->prev;
    }
    if (l->as_prev) {
        l->as_prev->as_next = l->as_next;
    } else {
        as->listeners = l->as_next;
    }
    if (l->as_next) {
        l->as_next->as_prev = l->as_prev;
    } else {
        as->listeners_last = l->as_prev;
    }
    l->next = l->prev = l->as_next = l->as_prev = NULL;
    l->address_space = NULL;
}

static void replay_add(MemoryListener *l, AddressSpace *as)
{
    if (l->begin) {
        l->begin(l);
    }
    if (gm__state.global_dirty_tracking && l->log_global_start) {
        l->log_global_start(l);
    }
    FlatView *fv = as->current_map;
    const FlatRange *const *rs = gm__fv_ranges(fv);
    for (unsigned i = 0; rs && i < fv->nr; i++) {
        const FlatRange *fr = rs[i];
        MemoryRegionSection s;
        gm__section_from_range(fv, fr, &s);
        if (l->region_add) {
            l->region_add(l, &s);
        }
        if (fr->dirty_log_mask && l->log_start) {
            l->log_start(l, &s, 0, fr->dirty_log_mask);
        }
    }
    if (l->commit) {
        l->commit(l);
    }
}

static void replay_del(MemoryListener *l, AddressSpace *as)
{
    if (l->begin) {
        l->begin(l);
    }
    FlatView *fv = as->current_map;
    const FlatRange *const *rs = fv ? gm__fv_ranges(fv) : NULL;
    for (unsigned i = 0; rs && i < fv->nr; i++) {
        const FlatRange *fr = rs[i];
        MemoryRegionSection s;
        gm__section_from_range(fv, fr, &s);
        if (fr->dirty_log_mask && l->log_stop) {
            l->log_stop(l, &s, fr->dirty_log_mask, 0);
        }
        if (l->region_del) {
            l->region_del(l, &s);
        }
    }
    if (l->commit) {
        l->commit(l);
    }
}

int gm_memory_listener_register(MemoryListener *listener, AddressSpace *as,
                                Error **errp)
{
    if (!listener || !as || as->magic != GM_AS_MAGIC) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "memory_listener_register: listener or address "
                             "space NULL or not initialised");
    }
    if (listener->address_space) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "memory_listener_register: '%s' is already "
                             "registered",
                             listener->name ? listener->name : "listener");
    }
    if (listener->log_sync && listener->log_sync_global) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "memory_listener_register: '%s' sets both "
                             "log_sync and log_sync_global",
                             listener->name ? listener->name : "listener");
    }
    gm_update_lock();
    if (gm__state.in_update) {
        gm_update_unlock();
        return gm_error_setg(errp, GM_ERR_BUSY,
                             "memory_listener_register from a listener "
                             "callback");
    }
    listener->address_space = as;
    link_global(listener);
    link_as(as, listener);
    gm__state.in_update = true;
    replay_add(listener, as);
    gm__state.in_update = false;
    if (!gm__state.transaction_depth) {
        gm__commit_outermost(); /* changes made by the callbacks */
    }
    gm_update_unlock();
    return 0;
}

void memory_listener_register(MemoryListener *listener, AddressSpace *as)
{
    Error *err = NULL;
    if (gm_memory_listener_register(listener, as, &err)) {
        gm__report(err);
    }
}

void memory_listener_unregister(MemoryListener *listener)
{
    if (!listener || !listener->address_space) {
        return;
    }
    gm_update_lock();
    bool was = gm__state.in_update;
    gm__state.in_update = true;
    replay_del(listener, listener->address_space);
    gm__state.in_update = was;
    unlink_both(listener);
    if (!was && !gm__state.transaction_depth) {
        gm__commit_outermost();
    }
    gm_update_unlock();
}

void address_space_remove_listeners(AddressSpace *as)
{
    if (!as || as->magic != GM_AS_MAGIC) {
        return;
    }
    while (as->listeners) {
        memory_listener_unregister(as->listeners);
    }
}

void gm__listeners_detach_all(AddressSpace *as)
{
    address_space_remove_listeners(as);
}

/* --- dirty logging, globally ------------------------------------------------ */

uint8_t gm__dirty_log_mask(const MemoryRegion *mr)
{
    uint8_t mask = mr->dirty_log_mask;
    if (gm__state.global_dirty_tracking &&
        ((mr->ram_block && (mr->ram_block->flags & RAM_MIGRATABLE)) ||
         mr->is_iommu)) {
        mask |= 1u << DIRTY_MEMORY_MIGRATION;
    }
    return mask;
}

unsigned int gm_global_dirty_tracking(void)
{
    return __atomic_load_n(&gm__state.global_dirty_tracking, __ATOMIC_RELAXED);
}

/* Re-renders every view so that migration bits follow the global state. */
static void refresh_migration_bits(void)
{
    gm__begin();
    gm__mark_all();
    gm__state.notify_pending = true;
    gm__commit();
}

void memory_global_dirty_log_start(unsigned int flags)
{
    if (!flags || (flags & ~GLOBAL_DIRTY_MASK)) {
        Error *err = NULL;
        gm_error_setg(&err, GM_ERR_INVALID_ARG,
                      "memory_global_dirty_log_start: bad flags 0x%x", flags);
        gm__report(err);
        return;
    }
    gm_update_lock();
    unsigned old = gm__state.global_dirty_tracking;
    __atomic_store_n(&gm__state.global_dirty_tracking, old | flags,
                     __ATOMIC_RELAXED);
    if (!old) {
        CALL_GLOBAL(log_global_start, FORWARD);
        refresh_migration_bits();
    }
    gm_update_unlock();
}

void memory_global_dirty_log_stop(unsigned int flags)
{
    Error *err = NULL;
    gm_update_lock();
    if (!flags || (flags & ~GLOBAL_DIRTY_MASK) ||
        (gm__state.global_dirty_tracking & flags) != flags) {
        gm_update_unlock();
        gm_error_setg(&err, GM_ERR_INVALID_ARG,
                      "memory_global_dirty_log_stop: flags 0x%x are not on",
                      flags);
        gm__report(err);
        return;
    }
    unsigned now = gm__state.global_dirty_tracking & ~flags;
    __atomic_store_n(&gm__state.global_dirty_tracking, now, __ATOMIC_RELAXED);
    if (!now) {
        refresh_migration_bits();
        CALL_GLOBAL(log_global_stop, REVERSE);
    }
    gm_update_unlock();
}

/* log_sync for the logged ranges of @mr (all regions if NULL). */
void gm__sync_dirty(MemoryRegion *mr)
{
    gm_update_lock();
    FOR_EACH_LISTENER(l, FORWARD)
    {
        if (l->log_sync) {
            FlatView *fv = l->address_space->current_map;
            const FlatRange *const *rs = gm__fv_ranges(fv);
            for (unsigned i = 0; rs && i < fv->nr; i++) {
                const FlatRange *fr = rs[i];
                if (fr->dirty_log_mask && (!mr || fr->mr == mr)) {
                    MemoryRegionSection s;
                    gm__section_from_range(fv, fr, &s);
                    l->log_sync(l, &s);
                }
            }
        } else if (l->log_sync_global) {
            l->log_sync_global(l);
        }
    }
    gm_update_unlock();
}

void memory_global_dirty_log_sync(void)
{
    gm__sync_dirty(NULL);
}

void memory_global_after_dirty_log_sync(void)
{
    gm_update_lock();
    CALL_GLOBAL(log_global_after_sync, FORWARD);
    gm_update_unlock();
}

void memory_region_clear_dirty_bitmap(MemoryRegion *mr, hwaddr start,
                                      hwaddr len)
{
    if (!gm__mr_valid(mr)) {
        return;
    }
    gm_update_lock();
    FOR_EACH_LISTENER(l, FORWARD)
    {
        if (!l->log_clear) {
            continue;
        }
        FlatView *fv = l->address_space->current_map;
        const FlatRange *const *rs = gm__fv_ranges(fv);
        for (unsigned i = 0; rs && i < fv->nr; i++) {
            const FlatRange *fr = rs[i];
            if (!fr->dirty_log_mask || fr->mr != mr) {
                continue;
            }
            MemoryRegionSection s;
            gm__section_from_range(fv, fr, &s);
            gm_u128 sec_start =
                s.offset_within_region > start ? s.offset_within_region : start;
            gm_u128 sec_end = (gm_u128)s.offset_within_region + (gm_u128)s.size;
            gm_u128 want_end = (gm_u128)start + len;
            if (want_end < sec_end) {
                sec_end = want_end;
            }
            if (sec_start >= sec_end) {
                continue;
            }
            s.offset_within_address_space +=
                (hwaddr)(sec_start - s.offset_within_region);
            s.offset_within_region = (hwaddr)sec_start;
            s.size = (Int128)(sec_end - sec_start);
            l->log_clear(l, &s);
        }
    }
    gm_update_unlock();
}
