// SPDX-License-Identifier: MIT
/*
 * ioeventfd.c - event notifiers and ioeventfds: the registration API
 * (memory_region_add/del_eventfd) and, per address space, the set of
 * ioeventfds its view shows, recomputed over the windows a commit changed
 * and delivered to listeners as QEMU's eventfd_add/eventfd_del.
 *
 * A region keeps its ioeventfds sorted in QEMU's order at region offsets;
 * an address space keeps those its view shows, at addresses, in the same
 * order, so that a commit's difference is one merge of two sorted sets.
 */
#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base.h"
#include "state.h"
#include "region-int.h"
#include "view.h"
#include "commit-int.h"
#include "listener-int.h"

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
    FOR_EACH_AS_LISTENER (l, as, add ? REVERSE : FORWARD) {
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
    return size && big ? gm__fast_swap(data, size) : data;
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
