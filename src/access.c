// SPDX-License-Identifier: MIT
/*
 * access.c - the access path: address -> flat range -> host memory or
 * device callbacks (see access.h for the rules).
 *
 * This is the hot path of the library.  A RAM access costs one RCU
 * read-side section (a thread-local counter), the dispatch lookup (usually
 * the most-recently-used check), and a memcpy.  MMIO accesses follow QEMU's
 * two-step split: the access is first cut to what the device accepts in one
 * call (memory_access_size), then each piece is adjusted to what the
 * callbacks implement (access_with_adjusted_size), shifting values in the
 * ops' byte order.  The guest is little-endian (x86); DEVICE_NATIVE_ENDIAN
 * therefore means little-endian, and so does the host (guestmem supports
 * little-endian hosts).
 */
#define GM_NO_INLINE_ACCESS /* this file defines the out-of-line ones */
#include "base.h"
#include "state.h"
#include "region-int.h"
#include "ramblock-int.h"
#include "view.h"
#include "listener-int.h"
#include "dirty-int.h"
#include "access-int.h"

#include <urcu/static/urcu-memb.h> /* the reader's state, for gm__fast1 */

/* The inline accessors of access-inline.h implement liburcu memb's reader
 * protocol on pointers kept in gm__fast1; check it is this liburcu's. */
_Static_assert(GM__URCU_NEST_MASK == URCU_GP_CTR_NEST_MASK,
               "liburcu's nesting mask");
_Static_assert(URCU_GP_COUNT == 1, "liburcu's reader count");
_Static_assert(offsetof(struct urcu_gp, futex) == sizeof(unsigned long),
               "liburcu's futex follows its grace-period counter");
_Static_assert(offsetof(struct urcu_reader, ctr) == 0, "liburcu's reader");
_Static_assert(offsetof(FlatView, gen) == 0, "the view's generation first");
_Static_assert(sizeof(GmFastThread) == 144, "GmFastThread's layout");
_Static_assert(offsetof(GmFastThread, mru.lgen) < 64,
               "the fields of a RAM hit in one cache line");

/* The per-thread state of the inline accessors (access-inline.h): the
 * initial-exec model, so that no access calls __tls_get_addr. */
__thread GmFastThread gm__fast1 __attribute__((aligned(64)));

const unsigned *const gm__fast1_global_dirty = &gm__state.global_dirty_tracking;

#define IOMMU_MAX_DEPTH 16

/* --- one region, QEMU's valid/impl rules ------------------------------------ */

static bool ops_big_endian(const MemoryRegionOps *ops)
{
    return ops->endianness == DEVICE_BIG_ENDIAN;
}

static inline __attribute__((always_inline)) bool
access_valid(MemoryRegion *mr, hwaddr addr, unsigned size, bool is_write,
             MemTxAttrs attrs)
{
    const MemoryRegionOps *ops = mr->ops;
    if (!ops) {
        return false;
    }
    if (ops->valid.accepts &&
        !ops->valid.accepts(mr->opaque, addr, size, is_write, attrs)) {
        return false;
    }
    if (!ops->valid.unaligned && (addr & (size - 1))) {
        return false;
    }
    return gm__valid_size(ops, size);
}

bool memory_region_access_valid(MemoryRegion *mr, hwaddr addr, unsigned size,
                                bool is_write, MemTxAttrs attrs)
{
    return gm__mr_valid(mr) && access_valid(mr, addr, size, is_write, attrs);
}

typedef MemTxResult (*Accessor)(MemoryRegion *mr, hwaddr addr, uint64_t *value,
                                unsigned size, int shift, uint64_t mask,
                                MemTxAttrs attrs);

static MemTxResult read_accessor(MemoryRegion *mr, hwaddr addr, uint64_t *value,
                                 unsigned size, int shift, uint64_t mask,
                                 MemTxAttrs attrs)
{
    uint64_t tmp = 0;
    MemTxResult r = MEMTX_OK;
    if (mr->ops->read) {
        tmp = mr->ops->read(mr->opaque, addr, size);
    } else if (mr->ops->read_with_attrs) {
        r = mr->ops->read_with_attrs(mr->opaque, addr, &tmp, size, attrs);
    }
    *value |= shift >= 0 ? (tmp & mask) << shift : (tmp & mask) >> -shift;
    return r;
}

static MemTxResult write_accessor(MemoryRegion *mr, hwaddr addr,
                                  uint64_t *value, unsigned size, int shift,
                                  uint64_t mask, MemTxAttrs attrs)
{
    uint64_t tmp = (shift >= 0 ? *value >> shift : *value << -shift) & mask;
    if (mr->ops->write) {
        mr->ops->write(mr->opaque, addr, tmp, size);
        return MEMTX_OK;
    }
    if (mr->ops->write_with_attrs) {
        return mr->ops->write_with_attrs(mr->opaque, addr, tmp, size, attrs);
    }
    return MEMTX_OK; /* no write callback: the write is ignored */
}

/* Calls @fn on pieces of the size the callbacks implement: a larger access
 * is split, a smaller one widened; each piece's value is shifted into place
 * in the ops' byte order. */
static MemTxResult access_with_adjusted_size(MemoryRegion *mr, hwaddr addr,
                                             uint64_t *value, unsigned size,
                                             Accessor fn, MemTxAttrs attrs)
{
    unsigned min = gm__impl_min(mr->ops);
    unsigned max = gm__impl_max(mr->ops);
    unsigned access = size < max ? size : max;
    if (access < min) {
        access = min;
    }
    uint64_t mask =
        access >= 8 ? UINT64_MAX : (UINT64_C(1) << (access * 8)) - 1;
    MemTxResult r = MEMTX_OK;
    bool big = ops_big_endian(mr->ops);
    for (unsigned i = 0; i < size; i += access) {
        int shift = big ? (int)(size - access - i) * 8 : (int)i * 8;
        r |= fn(mr, addr + i, value, access, shift, mask, attrs);
    }
    return r;
}

/* The value travels in the device's order; swap when the access asks for
 * the other one. */
static void adjust_endianness(const MemoryRegion *mr, uint64_t *v,
                              unsigned size, bool big_op)
{
    if (big_op != ops_big_endian(mr->ops)) {
        *v = gm__fast_swap(*v, size);
    }
}

/* Whether an access of @size is one callback of that same size. */
static inline bool one_call(const MemoryRegionOps *ops, unsigned size)
{
    unsigned min = gm__impl_min(ops);
    unsigned max = gm__impl_max(ops);
    return size >= min && size <= max;
}

static inline __attribute__((always_inline)) MemTxResult
dispatch_read(MemoryRegion *mr, hwaddr addr, uint64_t *pval, unsigned size,
              bool big_op, MemTxAttrs attrs)
{
    while (mr->alias) {
        addr += mr->alias_offset;
        mr = mr->alias;
    }
    *pval = 0;
    if (!access_valid(mr, addr, size, false, attrs)) {
        return MEMTX_DECODE_ERROR;
    }
    MemTxResult r;
    if (one_call(mr->ops, size) && mr->ops->read) {
        /* The common case: the callback takes this size as it is. */
        uint64_t mask =
            size >= 8 ? UINT64_MAX : (UINT64_C(1) << (size * 8)) - 1;
        *pval = mr->ops->read(mr->opaque, addr, size) & mask;
        r = MEMTX_OK;
    } else {
        r = access_with_adjusted_size(mr, addr, pval, size, read_accessor,
                                      attrs);
    }
    adjust_endianness(mr, pval, size, big_op);
    return r;
}

/* A write that matches one of @mr's ioeventfds signals it instead of
 * reaching the device, when no hypervisor does it (QEMU's
 * memory_region_dispatch_write_eventfds).  @data is in the region's order,
 * as the ioeventfd's. */
static bool write_eventfds(MemoryRegion *mr, hwaddr addr, uint64_t data,
                           unsigned size)
{
    for (unsigned i = 0; i < mr->ioeventfd_nb; i++) {
        const struct GmIoeventfd *fd = &mr->ioeventfds[i];
        if (fd->start == addr && (fd->size == 0 || fd->size == size) &&
            (!fd->match_data || fd->data == data)) {
            event_notifier_set(fd->e);
            return true;
        }
    }
    return false;
}

static MemTxResult dispatch_write(MemoryRegion *mr, hwaddr addr, uint64_t data,
                                  unsigned size, bool big_op, MemTxAttrs attrs)
{
    while (mr->alias) {
        addr += mr->alias_offset;
        mr = mr->alias;
    }
    if (!access_valid(mr, addr, size, true, attrs)) {
        return MEMTX_DECODE_ERROR;
    }
    adjust_endianness(mr, &data, size, big_op);
    if (mr->ioeventfd_nb && !gm__state.kvm_eventfds &&
        write_eventfds(mr, addr, data, size)) {
        return MEMTX_OK;
    }
    return access_with_adjusted_size(mr, addr, &data, size, write_accessor,
                                     attrs);
}

MemTxResult memory_region_dispatch_read(MemoryRegion *mr, hwaddr addr,
                                        uint64_t *pval, MemOp op,
                                        MemTxAttrs attrs)
{
    if (!gm__mr_valid(mr) || !pval) {
        return MEMTX_DECODE_ERROR;
    }
    return dispatch_read(mr, addr, pval, memop_size(op), (op & MO_BSWAP) != 0,
                         attrs);
}

MemTxResult memory_region_dispatch_write(MemoryRegion *mr, hwaddr addr,
                                         uint64_t data, MemOp op,
                                         MemTxAttrs attrs)
{
    if (!gm__mr_valid(mr)) {
        return MEMTX_DECODE_ERROR;
    }
    return dispatch_write(mr, addr, data, memop_size(op), (op & MO_BSWAP) != 0,
                          attrs);
}

/* QEMU's memory_access_size: how much of @l one call of @mr's ops may take
 * at @addr: at most valid.max_access_size (default 4), no more than the
 * address's alignment unless the implementation handles unaligned
 * accesses, and a power of two. */
static unsigned mmio_piece(const MemoryRegion *mr, hwaddr l, hwaddr addr)
{
    unsigned max = gm__valid_max(mr->ops);
    if (!mr->ops->impl.unaligned) {
        hwaddr align = addr & -addr;
        if (align != 0 && align < max) {
            max = (unsigned)align;
        }
    }
    if (l > max) {
        l = max;
    }
    unsigned p = 1;
    while (p * 2 <= l) {
        p *= 2;
    }
    return p;
}

/* --- translation ---------------------------------------------------------------- */

/* What serves an address.  Mutable properties (read-only, romd mode) come
 * from the flat range, a snapshot taken at render time, never from the
 * region itself, which a writer may be changing concurrently. */
typedef struct Xlat {
    MemoryRegion *mr; /* NULL: unassigned */
    hwaddr xlat;      /* offset in mr */
    uint8_t *host;    /* host address of the byte, for direct accesses */
    bool readonly;    /* read-only through the path (ROM included) */
    bool dread;       /* reads may copy from host */
    bool dwrite;      /* writes may copy to host */
    uint8_t dirty;    /* dirty-log clients of the range */
} Xlat;

/* Marks a write of @len bytes at offset @off of RAM region @mr dirty for
 * the clients in @mask (the flat range's log mask). */
static inline void mark_dirty(const MemoryRegion *mr, uint8_t mask, hwaddr off,
                              hwaddr len)
{
    if (__builtin_expect(mask != 0, 0) && mr->ram_block) {
        gm__dirty_mark(mr->ram_block->offset + off, len, mask);
    }
}

static inline bool direct_read_x(const Xlat *x)
{
    return x->dread;
}

static inline bool direct_write_x(const Xlat *x)
{
    return x->dwrite;
}

/* RAM that refuses this write (ROM, or read-only on this path). */
static inline bool dropped_write_x(const Xlat *x)
{
    return x->mr->ram && !x->mr->ram_device && x->readonly;
}

/* Finds what serves @addr in @fv; cuts *@plen to what stays in it. */
static Xlat translate(FlatView *fv, hwaddr addr, hwaddr *plen, bool is_write,
                      MemTxAttrs attrs)
{
    Xlat x = { NULL, 0, NULL, false, false, false, 0 };
    for (int depth = 0; depth < IOMMU_MAX_DEPTH; depth++) {
        const FlatRange *fr = gm__flatview_range(fv, addr);
        if (!fr) {
            const FlatRange *next = gm__fv_next(fv, addr);
            if (next && next->start - addr < *plen) {
                *plen = next->start - addr;
            }
            return x;
        }
        /* Host memory is cut at the range's end.  An MMIO access is not:
         * a device may decode a full-width access by its first address
         * whatever lies next to it (0xcf8 and 0xcf9 on PCs), so QEMU 7.2
         * hands the device up to its maximum access size from here, and
         * so does mmio_piece(). */
        bool host = is_write ? fr->direct_write : fr->direct_read;
        if (host || fr->mr->ram || fr->mr->is_iommu) {
            hwaddr in_range = fr->last - addr; /* bytes left, minus one */
            if (in_range < *plen - 1) {
                *plen = in_range + 1;
            }
        }
        hwaddr off = fr->offset_in_region + (addr - fr->start);
        if (__builtin_expect(!fr->mr->is_iommu, 1)) {
            x.mr = fr->mr;
            x.xlat = off;
            x.readonly = fr->readonly;
            x.dread = fr->direct_read;
            x.dwrite = fr->direct_write;
            x.dirty = fr->dirty_log_mask;
            x.host = fr->host ? fr->host + (addr - fr->start) : NULL;
            return x;
        }
        IOMMUMemoryRegion *im =
            caa_container_of(fr->mr, IOMMUMemoryRegion, parent_obj);
        int idx = memory_region_iommu_attrs_to_index(im, attrs);
        IOMMUAccessFlags need = is_write ? IOMMU_WO : IOMMU_RO;
        IOMMUTLBEntry e = im->ops->translate(im, off, need, idx);
        if (!(e.perm & need) || !e.target_as ||
            e.target_as->magic != GM_AS_MAGIC) {
            return x; /* a fault reads as unassigned */
        }
        hwaddr left = (off | e.addr_mask) - off; /* in the page, minus one */
        if (left < *plen - 1) {
            *plen = left + 1;
        }
        addr = (e.translated_addr & ~e.addr_mask) | (off & e.addr_mask);
        fv = gm_consume(e.target_as->current_map);
        if (!fv) {
            return x;
        }
    }
    return x;
}

MemoryRegion *gm__translate(FlatView *fv, hwaddr addr, hwaddr *xlat,
                            hwaddr *len, bool is_write, MemTxAttrs attrs,
                            bool *readonly)
{
    Xlat x = translate(fv, addr, len, is_write, attrs);
    *xlat = x.xlat;
    *readonly = x.readonly;
    return x.mr;
}

MemoryRegion *address_space_translate(AddressSpace *as, hwaddr addr,
                                      hwaddr *xlat, hwaddr *len, bool is_write,
                                      MemTxAttrs attrs)
{
    hwaddr l = len && *len ? *len : 1;
    FlatView *fv = gm_consume(as->current_map);
    Xlat x = translate(fv, addr, &l, is_write, attrs);
    if (xlat) {
        *xlat = x.xlat;
    }
    if (len) {
        *len = l;
    }
    return x.mr;
}

/* --- reads and writes -------------------------------------------------------- */

static MemTxResult flatview_read(FlatView *fv, hwaddr addr, MemTxAttrs attrs,
                                 uint8_t *buf, hwaddr len)
{
    MemTxResult result = MEMTX_OK;
    if (gm__crosses_2p64(addr, len)) {
        memset(buf, 0, len);
        return MEMTX_DECODE_ERROR;
    }
    while (len > 0) {
        hwaddr l = len;
        Xlat x = translate(fv, addr, &l, false, attrs);
        if (!x.mr) {
            memset(buf, 0, l);
            result |= MEMTX_DECODE_ERROR;
        } else if (direct_read_x(&x)) {
            memcpy(buf, x.host, l);
        } else {
            uint64_t v;
            l = mmio_piece(x.mr, l, x.xlat);
            result |=
                dispatch_read(x.mr, x.xlat, &v, (unsigned)l, false, attrs);
            gm__fast_stn(buf, (unsigned)l, v);
        }
        buf += l;
        addr += l;
        len -= l;
    }
    return result;
}

static MemTxResult flatview_write(FlatView *fv, hwaddr addr, MemTxAttrs attrs,
                                  const uint8_t *buf, hwaddr len)
{
    MemTxResult result = MEMTX_OK;
    if (gm__crosses_2p64(addr, len)) {
        return MEMTX_DECODE_ERROR;
    }
    while (len > 0) {
        hwaddr l = len;
        Xlat x = translate(fv, addr, &l, true, attrs);
        if (!x.mr) {
            result |= MEMTX_DECODE_ERROR;
        } else if (direct_write_x(&x)) {
            memcpy(x.host, buf, l);
            mark_dirty(x.mr, x.dirty, x.xlat, l);
        } else if (dropped_write_x(&x)) {
            result |= MEMTX_DECODE_ERROR; /* ROM, or RAM read-only here */
        } else {
            l = mmio_piece(x.mr, l, x.xlat);
            result |=
                dispatch_write(x.mr, x.xlat, gm__fast_ldn(buf, (unsigned)l),
                               (unsigned)l, false, attrs);
        }
        buf += l;
        addr += l;
        len -= l;
    }
    return result;
}

/* --- RCU read-side sections ----------------------------------------------------
 * liburcu's memb reader protocol, run on the pointers gm__fast1 keeps (the
 * thread's reader counter, the grace-period counter) rather than through
 * liburcu's own TLS access, which from a shared library calls
 * __tls_get_addr.  The pointers are taken once per thread; without
 * membarrier (old kernels), and under ThreadSanitizer, liburcu's functions
 * are called instead. */

typedef struct Section {
    unsigned long *ctr; /* the thread's reader counter */
    unsigned long g;    /* what gm__fast_unlock needs */
    bool calls;         /* entered with urcu_memb_read_lock() */
} Section;

static __attribute__((noinline, cold)) void fast_setup(void)
{
    gm__rcu_ensure_registered();
    if (urcu_memb_has_sys_membarrier) {
        gm__fast1.rcu_gp = &urcu_memb_gp.ctr;
        gm__fast1.rcu_ctr = &URCU_TLS(urcu_memb_reader).ctr;
    }
}

void gm__fast1_rcu_wake(void)
{
    urcu_common_wake_up_gp(&urcu_memb_gp);
}

static inline __attribute__((always_inline)) FlatView *enter(AddressSpace *as,
                                                             Section *s)
{
    GmFastThread *t = &gm__fast1;
    if (__builtin_expect(!t->rcu_ctr, 0)) {
        fast_setup();
    }
#ifndef GM_TSAN
    if (__builtin_expect(t->rcu_ctr != NULL, 1)) {
        s->calls = false;
        s->ctr = t->rcu_ctr;
        s->g = gm__fast_lock(t, s->ctr);
        return gm_consume(as->current_map);
    }
#endif
    gm__rcu_ensure_registered();
    s->calls = true;
    urcu_memb_read_lock();
    return gm_consume(as->current_map);
}

static inline __attribute__((always_inline)) void leave(Section *s)
{
#ifndef GM_TSAN
    if (__builtin_expect(!s->calls, 1)) {
        gm__fast_unlock(&gm__fast1, s->ctr, s->g);
        return;
    }
#endif
    gm_tsan_reader_done();
    urcu_memb_read_unlock();
}

static bool as_ok(const AddressSpace *as)
{
    return as && as->magic == GM_AS_MAGIC;
}

MemTxResult address_space_read_full(AddressSpace *as, hwaddr addr,
                                    MemTxAttrs attrs, void *buf, hwaddr len)
{
    if (!as_ok(as) || (!buf && len)) {
        return MEMTX_DECODE_ERROR;
    }
    Section sec;
    FlatView *fv = enter(as, &sec);
    MemTxResult r = flatview_read(fv, addr, attrs, buf, len);
    leave(&sec);
    return r;
}

MemTxResult address_space_read(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                               void *buf, hwaddr len)
{
    return address_space_read_full(as, addr, attrs, buf, len);
}

MemTxResult address_space_write(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                                const void *buf, hwaddr len)
{
    if (!as_ok(as) || (!buf && len)) {
        return MEMTX_DECODE_ERROR;
    }
    Section sec;
    FlatView *fv = enter(as, &sec);
    MemTxResult r = flatview_write(fv, addr, attrs, buf, len);
    leave(&sec);
    return r;
}

MemTxResult address_space_rw(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                             void *buf, hwaddr len, bool is_write)
{
    return is_write ? address_space_write(as, addr, attrs, buf, len)
                    : address_space_read_full(as, addr, attrs, buf, len);
}

MemTxResult address_space_write_rom(AddressSpace *as, hwaddr addr,
                                    MemTxAttrs attrs, const void *buf,
                                    hwaddr len)
{
    if (!as_ok(as) || (!buf && len) || gm__crosses_2p64(addr, len)) {
        return MEMTX_DECODE_ERROR;
    }
    const uint8_t *p = buf;
    Section sec;
    FlatView *fv = enter(as, &sec);
    while (len > 0) {
        hwaddr l = len;
        Xlat x = translate(fv, addr, &l, true, attrs);
        if (x.mr && x.mr->ram_block && (x.mr->ram || x.mr->rom_device)) {
            memcpy(x.mr->ram_block->host + x.xlat, p, l);
            mark_dirty(x.mr, gm__dirty_log_mask_now(x.mr), x.xlat, l);
        }
        p += l;
        addr += l;
        len -= l;
    }
    leave(&sec);
    return MEMTX_OK;
}

MemTxResult address_space_set(AddressSpace *as, hwaddr addr, uint8_t c,
                              hwaddr len, MemTxAttrs attrs)
{
    uint8_t chunk[512];
    MemTxResult r = MEMTX_OK;
    if (gm__crosses_2p64(addr, len)) {
        return MEMTX_DECODE_ERROR;
    }
    memset(chunk, c, sizeof(chunk));
    while (len > 0) {
        hwaddr l = len < sizeof(chunk) ? len : sizeof(chunk);
        r |= address_space_write(as, addr, attrs, chunk, l);
        addr += l;
        len -= l;
    }
    return r;
}

bool address_space_access_valid(AddressSpace *as, hwaddr addr, hwaddr len,
                                bool is_write, MemTxAttrs attrs)
{
    if (!as_ok(as) || gm__crosses_2p64(addr, len)) {
        return false;
    }
    bool ok = true;
    Section sec;
    FlatView *fv = enter(as, &sec);
    while (len > 0 && ok) {
        hwaddr l = len;
        Xlat x = translate(fv, addr, &l, is_write, attrs);
        if (!x.mr) {
            ok = false;
        } else if (!(is_write ? direct_write_x(&x) : direct_read_x(&x))) {
            if (x.mr->ram && !x.mr->ram_device) {
                ok = false;
            } else {
                l = mmio_piece(x.mr, l, x.xlat);
                ok = memory_region_access_valid(x.mr, x.xlat, (unsigned)l,
                                                is_write, attrs);
            }
        }
        addr += l;
        len -= l;
    }
    leave(&sec);
    return ok;
}

/* --- fixed-size loads and stores ----------------------------------------------
 * The inline accessors (access-inline.h) handle the thread's last range;
 * what they cannot do comes here.  In order: the thread's last range (for
 * callers of these functions themselves), the thread's TLB (a page seen
 * before: its host address, no look at the range), then the range from the
 * dispatch structure, and the general path. */

static inline __attribute__((always_inline)) uint64_t width(uint64_t v,
                                                            unsigned size)
{
    return size == 8 ? v : v & ((UINT64_C(1) << (size * 8)) - 1);
}

/* After a TLB hit or a page-table word out of line: the page's range
 * becomes the thread's entry (the inline paths' first check) when the
 * entry is of an older view, or when the access before went to the same
 * range (the same addend: host minus guest address is constant over a
 * range).  A run of accesses to one range then stays inline, while
 * accesses that jump from range to range (many small regions) never read
 * the ranges, whose array outgrows the caches. */
static __attribute__((noinline)) void fill_again(FlatView *fv, hwaddr addr)
{
    (void)gm__flatview_find(fv, addr); /* fills the entry */
}

static inline __attribute__((always_inline)) void
fill_if_again(FlatView *fv, const GmTlbEntry *e, hwaddr addr)
{
    uint64_t key = fv->gen ^ e->addend;
    if (gm__fast1.mru.gen != fv->gen ||
        (gm__fast1.last == key &&
         addr - gm__fast1.mru.start > gm__fast1.mru.lim7 + 7)) {
        fill_again(fv, addr);
    }
    gm__fast1.last = key;
}

/* One load inside a read-side section, from @fv (the view @as publishes). */
static inline __attribute__((always_inline)) uint64_t
load_in(AddressSpace *as, FlatView *fv, hwaddr addr, MemTxAttrs attrs,
        MemTxResult *pr, unsigned size, bool big)
{
    uint64_t v = 0;
    MemTxResult r;
    const GmFastRange *m = &gm__fast1.mru;
    if (m->rgen == fv->gen && addr - m->start <= m->lim7) {
        v = gm__fast_ldn(m->host + (addr - m->start), size);
        *pr = MEMTX_OK;
        return width(big ? gm__fast_swap(v, size) : v, size);
    }
    const GmTlbEntry *e = gm__tlb_find(fv, addr);
    if (!e) {
        e = gm__dispatch_page(fv, addr);
    }
    if (e) {
        fill_if_again(fv, e, addr);
    }
    if (e && (e->flags & GM_FAST_READ) && (addr & 4095) <= 4096 - size) {
        v = gm__fast_ldn((const uint8_t *)(uintptr_t)(addr + e->addend), size);
        *pr = MEMTX_OK;
        return width(big ? gm__fast_swap(v, size) : v, size);
    }
    const FlatRange *fr = gm__flatview_range(fv, addr);
    if (__builtin_expect(fr && fr->direct_read && fr->last - addr >= size - 1,
                         1)) {
        /* RAM: straight from host memory. */
        v = gm__fast_ldn(fr->host + (addr - fr->start), size);
        *pr = MEMTX_OK;
        return width(big ? gm__fast_swap(v, size) : v, size);
    }
    if (fr && (fr->mmio_read_sizes & size) && fr->last - addr >= size - 1) {
        /* MMIO that needs one plain callback (precomputed at render). */
        hwaddr off = fr->offset_in_region + (addr - fr->start);
        if (fr->mmio_unaligned || !(off & (size - 1))) {
            v = width(fr->mr->ops->read(fr->mr->opaque, off, size), size);
            *pr = MEMTX_OK;
            return big ? gm__fast_swap(v, size) : v;
        }
    }
    if (fr && !fr->mr->is_iommu && !fr->mr->ram &&
        fr->last - addr >= size - 1) {
        /* MMIO (or a ROM device out of romd mode): one dispatch. */
        *pr = dispatch_read(fr->mr, fr->offset_in_region + (addr - fr->start),
                            &v, size, big, attrs);
        return width(v, size);
    }
    hwaddr l = size;
    Xlat x = translate(fv, addr, &l, false, attrs);
    if (x.mr && l == size && direct_read_x(&x)) {
        v = gm__fast_ldn(x.host, size);
        if (big) {
            v = gm__fast_swap(v, size);
        }
        r = MEMTX_OK;
    } else if (x.mr && l == size && !(x.mr->ram && !x.mr->ram_device)) {
        r = dispatch_read(x.mr, x.xlat, &v, size, big, attrs);
    } else {
        /* Unassigned, or straddling two ranges: byte by byte. */
        uint8_t b[8];
        r = flatview_read(fv, addr, attrs, b, size);
        v = gm__fast_ldn(b, size);
        if (big) {
            v = gm__fast_swap(v, size);
        }
    }
    *pr = r;
    /* The value has the access's width (a widened device read may have
     * delivered more). */
    return width(v, size);
}

static inline __attribute__((always_inline)) uint64_t
load(AddressSpace *as, hwaddr addr, MemTxAttrs attrs, MemTxResult *result,
     unsigned size, bool big)
{
    uint64_t v = 0;
    MemTxResult r = MEMTX_DECODE_ERROR;
    if (as_ok(as)) {
        Section sec;
        FlatView *fv = enter(as, &sec);
        v = load_in(as, fv, addr, attrs, &r, size, big);
        leave(&sec);
    }
    if (result) {
        *result = r;
    }
    return v;
}

/* Sets the dirty bit of a store of @size at @off of range @fr (logged by
 * the one client of GM_FAST_LOG), inside one page; false if it is not. */
static inline __attribute__((always_inline)) bool
fast_dirty(uint64_t ram, uintptr_t dirty, unsigned size)
{
    if ((ram & 4095) > 4096 - size) {
        return false;
    }
    uint64_t page = ram >> GM_DIRTY_PAGE_BITS;
    uint64_t *w = (uint64_t *)(dirty + (page >> 6) * 8);
    uint64_t bit = UINT64_C(1) << (page & 63);
    if (!(__atomic_load_n(w, __ATOMIC_RELAXED) & bit)) {
        __atomic_fetch_or(w, bit, __ATOMIC_RELAXED);
    }
    return true;
}

/* One store inside a read-side section; @v in the access's order. */
static inline __attribute__((always_inline)) MemTxResult
store_in(AddressSpace *as, FlatView *fv, hwaddr addr, uint64_t v,
         MemTxAttrs attrs, unsigned size, bool big)
{
    uint64_t h = big ? gm__fast_swap(v, size) : v; /* as host memory holds it */
    const GmFastRange *m = &gm__fast1.mru;
    hwaddr off = addr - m->start;
    if (m->wgen == fv->gen && off <= m->lim7) {
        gm__fast_stn(m->host + off, size, h);
        return MEMTX_OK;
    }
    if (m->lgen == fv->gen && off <= m->lim7 &&
        (m->ram + off) % GM_DIRTY_PAGE_SIZE <= GM_DIRTY_PAGE_SIZE - size) {
        gm__fast_stn(m->host + off, size, h);
        fast_dirty(m->ram + off, m->dirty, size);
        return MEMTX_OK;
    }
    const GmTlbEntry *e = gm__tlb_find(fv, addr);
    if (!e) {
        e = gm__dispatch_page(fv, addr);
    }
    if (e) {
        fill_if_again(fv, e, addr);
    }
    if (e && (e->flags & (GM_FAST_WRITE | GM_FAST_LOG)) == GM_FAST_WRITE &&
        (addr & 4095) <= 4096 - size) {
        gm__fast_stn((uint8_t *)(uintptr_t)(addr + e->addend), size, h);
        return MEMTX_OK;
    }
    const FlatRange *fr = gm__flatview_range(fv, addr);
    if (__builtin_expect(fr && fr->direct_write && fr->last - addr >= size - 1,
                         1)) {
        gm__fast_stn(fr->host + (addr - fr->start), size, h);
        mark_dirty(fr->mr, fr->dirty_log_mask,
                   fr->offset_in_region + (addr - fr->start), size);
        return MEMTX_OK;
    }
    hwaddr l = size;
    Xlat x = translate(fv, addr, &l, true, attrs);
    if (x.mr && l == size && direct_write_x(&x)) {
        gm__fast_stn(x.host, size, h);
        mark_dirty(x.mr, x.dirty, x.xlat, size);
        return MEMTX_OK;
    }
    if (x.mr && l == size && !dropped_write_x(&x)) {
        return dispatch_write(x.mr, x.xlat, v, size, big, attrs);
    }
    uint8_t b[8];
    gm__fast_stn(b, size, h);
    return flatview_write(fv, addr, attrs, b, size);
}

static inline __attribute__((always_inline)) void
store(AddressSpace *as, hwaddr addr, uint64_t v, MemTxAttrs attrs,
      MemTxResult *result, unsigned size, bool big)
{
    MemTxResult r = MEMTX_DECODE_ERROR;
    if (as_ok(as)) {
        Section sec;
        FlatView *fv = enter(as, &sec);
        r = store_in(as, fv, addr, v, attrs, size, big);
        leave(&sec);
    }
    if (result) {
        *result = r;
    }
}

uint64_t gm__fast1_load(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                        MemTxResult *result, unsigned op)
{
    bool big = op & GM__FAST_BE;
    switch (op & 15) {
    case 1: return load(as, addr, attrs, result, 1, false);
    case 2: return load(as, addr, attrs, result, 2, big);
    case 4: return load(as, addr, attrs, result, 4, big);
    default: return load(as, addr, attrs, result, 8, big);
    }
}

void gm__fast1_store(AddressSpace *as, hwaddr addr, uint64_t val,
                     MemTxAttrs attrs, MemTxResult *result, unsigned op)
{
    bool big = op & GM__FAST_BE;
    switch (op & 15) {
    case 1: store(as, addr, val, attrs, result, 1, false); break;
    case 2: store(as, addr, val, attrs, result, 2, big); break;
    case 4: store(as, addr, val, attrs, result, 4, big); break;
    default: store(as, addr, val, attrs, result, 8, big); break;
    }
}

/* The exported functions run the inline path of access-inline.h first,
 * so that a caller that cannot inline them (a function pointer, Python's
 * cffi in ABI mode) gets the same few instructions before the call into
 * the rest. */
#define LOADS(name, size, big, type)                                           \
    type address_space_##name(AddressSpace *as, hwaddr addr, MemTxAttrs attrs, \
                              MemTxResult *result)                             \
    {                                                                          \
        return (type)gm__fast_ld(as, addr, attrs, result,                      \
                                 size | (big ? GM__FAST_BE : 0));              \
    }                                                                          \
    type name##_phys(AddressSpace *as, hwaddr addr)                            \
    {                                                                          \
        return (type)gm__fast_ld(as, addr, MEMTXATTRS_UNSPECIFIED, NULL,       \
                                 size | (big ? GM__FAST_BE : 0));              \
    }
#define STORES(name, size, big, type)                                  \
    void address_space_##name(AddressSpace *as, hwaddr addr, type val, \
                              MemTxAttrs attrs, MemTxResult *result)   \
    {                                                                  \
        gm__fast_st(as, addr, val, attrs, result,                      \
                    size | (big ? GM__FAST_BE : 0));                   \
    }                                                                  \
    void name##_phys(AddressSpace *as, hwaddr addr, type val)          \
    {                                                                  \
        gm__fast_st(as, addr, val, MEMTXATTRS_UNSPECIFIED, NULL,       \
                    size | (big ? GM__FAST_BE : 0));                   \
    }

LOADS(ldub, 1, false, uint32_t)
LOADS(lduw_le, 2, false, uint32_t)
LOADS(lduw_be, 2, true, uint32_t)
LOADS(ldl_le, 4, false, uint32_t)
LOADS(ldl_be, 4, true, uint32_t)
LOADS(ldq_le, 8, false, uint64_t)
LOADS(ldq_be, 8, true, uint64_t)
STORES(stb, 1, false, uint32_t)
STORES(stw_le, 2, false, uint32_t)
STORES(stw_be, 2, true, uint32_t)
STORES(stl_le, 4, false, uint32_t)
STORES(stl_be, 4, true, uint32_t)
STORES(stq_le, 8, false, uint64_t)
STORES(stq_be, 8, true, uint64_t)

/* --- batches --------------------------------------------------------------------
 * One read-side section for many accesses (re-entered every BATCH_SECTION
 * accesses, so that a writer waiting for a grace period never waits for a
 * whole batch).  The range of the last access is kept in registers: while
 * the addresses stay in it, a load or store is a comparison and the
 * access.  Anything else goes through load_in/store_in, after which the
 * view is read again (a device callback may have changed it). */
#define BATCH_SECTION 1024

#define BATCH_FNS(N, T)                                                       \
    static inline __attribute__((always_inline)) MemTxResult load_batch_##N(  \
        AddressSpace *as, bool big, const hwaddr *addrs, T *out, size_t n,    \
        MemTxAttrs attrs)                                                     \
    {                                                                         \
        MemTxResult res = MEMTX_OK;                                           \
        for (size_t i = 0; i < n;) {                                          \
            size_t end = n - i > BATCH_SECTION ? i + BATCH_SECTION : n;       \
            Section sec;                                                      \
            FlatView *fv = enter(as, &sec);                                   \
            while (i < end) {                                                 \
                const GmFastRange *m = &gm__fast1.mru;                        \
                if (m->rgen == fv->gen) {                                     \
                    hwaddr start = m->start, lim = m->lim7;                   \
                    const uint8_t *host = m->host;                            \
                    for (; i < end; i++) {                                    \
                        hwaddr off = addrs[i] - start;                        \
                        if (off > lim) {                                      \
                            break;                                            \
                        }                                                     \
                        T v;                                                  \
                        memcpy(&v, host + off, N);                            \
                        out[i] = big ? (T)gm__fast_swap(v, N) : v;            \
                    }                                                         \
                    if (i == end) {                                           \
                        break;                                                \
                    }                                                         \
                }                                                             \
                MemTxResult r;                                                \
                out[i] = (T)load_in(as, fv, addrs[i], attrs, &r, N, big);     \
                res |= r;                                                     \
                i++;                                                          \
                fv = gm_consume(as->current_map);                             \
            }                                                                 \
            leave(&sec);                                                      \
        }                                                                     \
        return res;                                                           \
    }                                                                         \
    static inline __attribute__((always_inline)) MemTxResult store_batch_##N( \
        AddressSpace *as, bool big, const hwaddr *addrs, const T *vals,       \
        size_t n, MemTxAttrs attrs)                                           \
    {                                                                         \
        MemTxResult res = MEMTX_OK;                                           \
        for (size_t i = 0; i < n;) {                                          \
            size_t end = n - i > BATCH_SECTION ? i + BATCH_SECTION : n;       \
            Section sec;                                                      \
            FlatView *fv = enter(as, &sec);                                   \
            while (i < end) {                                                 \
                const GmFastRange *m = &gm__fast1.mru;                        \
                if (m->wgen == fv->gen) {                                     \
                    hwaddr start = m->start, lim = m->lim7;                   \
                    uint8_t *host = m->host;                                  \
                    for (; i < end; i++) {                                    \
                        hwaddr off = addrs[i] - start;                        \
                        if (off > lim) {                                      \
                            break;                                            \
                        }                                                     \
                        T v = big ? (T)gm__fast_swap(vals[i], N) : vals[i];   \
                        memcpy(host + off, &v, N);                            \
                    }                                                         \
                    if (i == end) {                                           \
                        break;                                                \
                    }                                                         \
                }                                                             \
                res |= store_in(as, fv, addrs[i], vals[i], attrs, N, big);    \
                i++;                                                          \
                fv = gm_consume(as->current_map);                             \
            }                                                                 \
            leave(&sec);                                                      \
        }                                                                     \
        return res;                                                           \
    }

BATCH_FNS(1, uint8_t)
BATCH_FNS(2, uint16_t)
BATCH_FNS(4, uint32_t)
BATCH_FNS(8, uint64_t)

MemTxResult gm_address_space_load_batch(AddressSpace *as, MemOp op,
                                        const hwaddr *addrs, void *values,
                                        size_t n, MemTxAttrs attrs)
{
    if (!as_ok(as) || (n && (!addrs || !values))) {
        return MEMTX_DECODE_ERROR;
    }
    bool big = (op & MO_BSWAP) != 0;
    /* The byte order a constant in each loop. */
    switch (memop_size(op) * 2 + big) {
    case 2:
    case 3: return load_batch_1(as, false, addrs, values, n, attrs);
    case 4: return load_batch_2(as, false, addrs, values, n, attrs);
    case 5: return load_batch_2(as, true, addrs, values, n, attrs);
    case 8: return load_batch_4(as, false, addrs, values, n, attrs);
    case 9: return load_batch_4(as, true, addrs, values, n, attrs);
    case 16: return load_batch_8(as, false, addrs, values, n, attrs);
    default: return load_batch_8(as, true, addrs, values, n, attrs);
    }
}

MemTxResult gm_address_space_store_batch(AddressSpace *as, MemOp op,
                                         const hwaddr *addrs,
                                         const void *values, size_t n,
                                         MemTxAttrs attrs)
{
    if (!as_ok(as) || (n && (!addrs || !values))) {
        return MEMTX_DECODE_ERROR;
    }
    bool big = (op & MO_BSWAP) != 0;
    switch (memop_size(op) * 2 + big) {
    case 2:
    case 3: return store_batch_1(as, false, addrs, values, n, attrs);
    case 4: return store_batch_2(as, false, addrs, values, n, attrs);
    case 5: return store_batch_2(as, true, addrs, values, n, attrs);
    case 8: return store_batch_4(as, false, addrs, values, n, attrs);
    case 9: return store_batch_4(as, true, addrs, values, n, attrs);
    case 16: return store_batch_8(as, false, addrs, values, n, attrs);
    default: return store_batch_8(as, true, addrs, values, n, attrs);
    }
}
