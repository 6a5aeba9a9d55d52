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
#if !defined(__SANITIZE_THREAD__)
#define _LGPL_SOURCE /* inline RCU read-side primitives (liburcu permits it) */
#endif
#include "internal.h"

#define IOMMU_MAX_DEPTH 16

/* --- byte helpers ------------------------------------------------------- */

static inline uint64_t load_le(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1: return p[0];
    case 2: {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    case 4: {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    default: {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    }
}

static inline void store_le(uint8_t *p, unsigned size, uint64_t v)
{
    switch (size) {
    case 1: p[0] = (uint8_t)v; break;
    case 2: {
        uint16_t t = (uint16_t)v;
        memcpy(p, &t, 2);
        break;
    }
    case 4: {
        uint32_t t = (uint32_t)v;
        memcpy(p, &t, 4);
        break;
    }
    default: memcpy(p, &v, 8); break;
    }
}

static inline uint64_t bswap(uint64_t v, unsigned size)
{
    switch (size) {
    case 2: return __builtin_bswap16((uint16_t)v);
    case 4: return __builtin_bswap32((uint32_t)v);
    case 8: return __builtin_bswap64(v);
    default: return v;
    }
}

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
    if (!ops->valid.max_access_size) {
        return true; /* zero: everything is valid, for compatibility */
    }
    return size <= ops->valid.max_access_size &&
           size >= ops->valid.min_access_size;
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
    unsigned min =
        mr->ops->impl.min_access_size ? mr->ops->impl.min_access_size : 1;
    unsigned max =
        mr->ops->impl.max_access_size ? mr->ops->impl.max_access_size : 4;
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
        *v = bswap(*v, size);
    }
}

/* Whether an access of @size is one callback of that same size. */
static inline bool one_call(const MemoryRegionOps *ops, unsigned size)
{
    unsigned min = ops->impl.min_access_size ? ops->impl.min_access_size : 1;
    unsigned max = ops->impl.max_access_size ? ops->impl.max_access_size : 4;
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
    unsigned max =
        mr->ops->valid.max_access_size ? mr->ops->valid.max_access_size : 4;
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

/* --- RAM devices -------------------------------------------------------------- */

static uint64_t ram_device_read(void *opaque, hwaddr addr, unsigned size)
{
    MemoryRegion *mr = opaque;
    return load_le(mr->ram_block->host + addr, size);
}

static void ram_device_write(void *opaque, hwaddr addr, uint64_t v,
                             unsigned size)
{
    MemoryRegion *mr = opaque;
    store_le(mr->ram_block->host + addr, size, v);
}

const MemoryRegionOps gm__ram_device_ops = {
    .read = ram_device_read,
    .write = ram_device_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
};

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
            unsigned n = gm__flatview_next(fv, addr);
            if (n < fv->nr && fv->ranges[n].start - addr < *plen) {
                *plen = fv->ranges[n].start - addr;
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
            store_le(buf, (unsigned)l, v);
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
            result |= dispatch_write(x.mr, x.xlat, load_le(buf, (unsigned)l),
                                     (unsigned)l, false, attrs);
        }
        buf += l;
        addr += l;
        len -= l;
    }
    return result;
}

static inline FlatView *enter(AddressSpace *as)
{
    gm__rcu_ensure_registered();
    urcu_memb_read_lock();
    return gm_consume(as->current_map);
}

static inline void leave(void)
{
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
    FlatView *fv = enter(as);
    MemTxResult r = flatview_read(fv, addr, attrs, buf, len);
    leave();
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
    FlatView *fv = enter(as);
    MemTxResult r = flatview_write(fv, addr, attrs, buf, len);
    leave();
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
    FlatView *fv = enter(as);
    while (len > 0) {
        hwaddr l = len;
        Xlat x = translate(fv, addr, &l, true, attrs);
        if (x.mr && x.mr->ram_block && (x.mr->ram || x.mr->rom_device)) {
            memcpy(x.mr->ram_block->host + x.xlat, p, l);
            mark_dirty(x.mr, gm__dirty_log_mask(x.mr), x.xlat, l);
        }
        p += l;
        addr += l;
        len -= l;
    }
    leave();
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
    FlatView *fv = enter(as);
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
    leave();
    return ok;
}

/* --- fixed-size loads and stores ---------------------------------------------- */

static inline __attribute__((always_inline)) uint64_t
load(AddressSpace *as, hwaddr addr, MemTxAttrs attrs, MemTxResult *result,
     unsigned size, bool big)
{
    uint64_t v = 0;
    MemTxResult r;
    if (!as_ok(as)) {
        r = MEMTX_DECODE_ERROR;
        goto out;
    }
    FlatView *fv = enter(as);
    const FlatRange *fr = gm__flatview_range(fv, addr);
    if (__builtin_expect(fr && fr->direct_read && fr->last - addr >= size - 1,
                         1)) {
        /* RAM: straight from host memory. */
        v = load_le(fr->host + (addr - fr->start), size);
        leave();
        if (result) {
            *result = MEMTX_OK;
        }
        v = big ? bswap(v, size) : v;
        return size == 8 ? v : v & ((UINT64_C(1) << (size * 8)) - 1);
    }
    if (fr && (fr->mmio_read_sizes & size) && fr->last - addr >= size - 1) {
        /* MMIO that needs one plain callback (precomputed at render). */
        hwaddr off = fr->offset_in_region + (addr - fr->start);
        if (fr->mmio_unaligned || !(off & (size - 1))) {
            v = fr->mr->ops->read(fr->mr->opaque, off, size);
            leave();
            if (result) {
                *result = MEMTX_OK;
            }
            v = size == 8 ? v : v & ((UINT64_C(1) << (size * 8)) - 1);
            return big ? bswap(v, size) : v;
        }
    }
    if (fr && !fr->mr->is_iommu && !fr->mr->ram &&
        fr->last - addr >= size - 1) {
        /* MMIO (or a ROM device out of romd mode): one dispatch. */
        r = dispatch_read(fr->mr, fr->offset_in_region + (addr - fr->start), &v,
                          size, big, attrs);
        leave();
        if (result) {
            *result = r;
        }
        return size == 8 ? v : v & ((UINT64_C(1) << (size * 8)) - 1);
    }
    hwaddr l = size;
    Xlat x = translate(fv, addr, &l, false, attrs);
    if (x.mr && l == size && direct_read_x(&x)) {
        v = load_le(x.host, size);
        if (big) {
            v = bswap(v, size);
        }
        r = MEMTX_OK;
    } else if (x.mr && l == size && !(x.mr->ram && !x.mr->ram_device)) {
        r = dispatch_read(x.mr, x.xlat, &v, size, big, attrs);
    } else {
        /* Unassigned, or straddling two ranges: byte by byte. */
        uint8_t b[8];
        r = flatview_read(fv, addr, attrs, b, size);
        v = load_le(b, size);
        if (big) {
            v = bswap(v, size);
        }
    }
    leave();
out:
    if (result) {
        *result = r;
    }
    /* The value has the access's width (a widened device read may have
     * delivered more). */
    return size == 8 ? v : v & ((UINT64_C(1) << (size * 8)) - 1);
}

static inline __attribute__((always_inline)) void
store(AddressSpace *as, hwaddr addr, uint64_t v, MemTxAttrs attrs,
      MemTxResult *result, unsigned size, bool big)
{
    MemTxResult r;
    if (!as_ok(as)) {
        r = MEMTX_DECODE_ERROR;
        goto out;
    }
    FlatView *fv = enter(as);
    const FlatRange *fr = gm__flatview_range(fv, addr);
    if (__builtin_expect(fr && fr->direct_write && fr->last - addr >= size - 1,
                         1)) {
        store_le(fr->host + (addr - fr->start), size, big ? bswap(v, size) : v);
        mark_dirty(fr->mr, fr->dirty_log_mask,
                   fr->offset_in_region + (addr - fr->start), size);
        leave();
        if (result) {
            *result = MEMTX_OK;
        }
        return;
    }
    hwaddr l = size;
    Xlat x = translate(fv, addr, &l, true, attrs);
    if (x.mr && l == size && direct_write_x(&x)) {
        store_le(x.host, size, big ? bswap(v, size) : v);
        mark_dirty(x.mr, x.dirty, x.xlat, size);
        r = MEMTX_OK;
    } else if (x.mr && l == size && !dropped_write_x(&x)) {
        r = dispatch_write(x.mr, x.xlat, v, size, big, attrs);
    } else {
        uint8_t b[8];
        store_le(b, size, big ? bswap(v, size) : v);
        r = flatview_write(fv, addr, attrs, b, size);
    }
    leave();
out:
    if (result) {
        *result = r;
    }
}

#define LOADS(name, size, big, type)                                           \
    type address_space_##name(AddressSpace *as, hwaddr addr, MemTxAttrs attrs, \
                              MemTxResult *result)                             \
    {                                                                          \
        return (type)load(as, addr, attrs, result, size, big);                 \
    }                                                                          \
    type name##_phys(AddressSpace *as, hwaddr addr)                            \
    {                                                                          \
        return (type)load(as, addr, MEMTXATTRS_UNSPECIFIED, NULL, size, big);  \
    }
#define STORES(name, size, big, type)                                  \
    void address_space_##name(AddressSpace *as, hwaddr addr, type val, \
                              MemTxAttrs attrs, MemTxResult *result)   \
    {                                                                  \
        store(as, addr, val, attrs, result, size, big);                \
    }                                                                  \
    void name##_phys(AddressSpace *as, hwaddr addr, type val)          \
    {                                                                  \
        store(as, addr, val, MEMTXATTRS_UNSPECIFIED, NULL, size, big); \
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
