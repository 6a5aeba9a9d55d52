// SPDX-License-Identifier: MIT
/*
 * map.c - zero-copy mappings (address_space_map/unmap), the bounce buffer
 * and its waiting clients, and MemoryRegionCache.
 *
 * A map of RAM returns a pointer into the region's host memory and pins the
 * region (map_users) until the unmap, so it cannot be destroyed under a
 * device doing DMA.  Anything else goes through the single bounce buffer,
 * as in QEMU: a device that finds it busy registers a callback and retries
 * when it is released.  The block list, map clients and bounce state are
 * guarded by one small mutex (maps are rare compared to accesses).
 */
#define GM_NO_INLINE_ACCESS /* the out-of-line cached accessors are here */
#include "base.h"
#include "state.h"
#include "region-int.h"
#include "ramblock-int.h"
#include "view.h"
#include "access-int.h"

#include <pthread.h>

#define BOUNCE_MAX 4096

typedef struct GmMapClient {
    void (*cb)(void *opaque);
    void *opaque;
    struct GmMapClient *next;
} MapClient;

/* The bounce buffer and its clients live in the process-wide state. */
#define bounce (gm__state.bounce)

static void pin(MemoryRegion *mr)
{
    __atomic_add_fetch(&mr->map_users, 1, __ATOMIC_RELAXED);
    memory_region_ref(mr);
}

static void unpin(MemoryRegion *mr)
{
    memory_region_unref(mr);
    __atomic_sub_fetch(&mr->map_users, 1, __ATOMIC_RELEASE);
}

/* Calls and forgets every waiting client; called with bounce.lock held,
 * which it drops around the callbacks. */
static void notify_clients_locked(void)
{
    while (bounce.clients && !bounce.in_use) {
        MapClient *c = bounce.clients;
        bounce.clients = c->next;
        pthread_mutex_unlock(&bounce.lock);
        c->cb(c->opaque);
        free(c);
        pthread_mutex_lock(&bounce.lock);
    }
}

void gm__map_reset(void)
{
    pthread_mutex_lock(&bounce.lock);
    while (bounce.clients) {
        MapClient *c = bounce.clients;
        bounce.clients = c->next;
        free(c);
    }
    pthread_mutex_unlock(&bounce.lock);
}

int gm_address_space_register_map_client(void (*cb)(void *opaque), void *opaque)
{
    if (!cb) {
        return -GM_ERR_INVALID_ARG;
    }
    MapClient *c = malloc(sizeof(*c));
    if (!c) {
        return -GM_ERR_NO_MEMORY;
    }
    c->cb = cb;
    c->opaque = opaque;
    pthread_mutex_lock(&bounce.lock);
    c->next = bounce.clients;
    bounce.clients = c;
    notify_clients_locked();
    pthread_mutex_unlock(&bounce.lock);
    return 0;
}

void gm_address_space_unregister_map_client(void (*cb)(void *opaque),
                                            void *opaque)
{
    pthread_mutex_lock(&bounce.lock);
    for (MapClient **pp = &bounce.clients; *pp; pp = &(*pp)->next) {
        if ((*pp)->cb == cb && (*pp)->opaque == opaque) {
            MapClient *c = *pp;
            *pp = c->next;
            free(c);
            break;
        }
    }
    pthread_mutex_unlock(&bounce.lock);
}

void *address_space_map(AddressSpace *as, hwaddr addr, hwaddr *plen,
                        bool is_write, MemTxAttrs attrs)
{
    if (!as || as->magic != GM_AS_MAGIC || !plen || *plen == 0 ||
        gm__crosses_2p64(addr, *plen)) {
        if (plen) {
            *plen = 0;
        }
        return NULL;
    }
    hwaddr want = *plen;
    gm_rcu_read_lock();
    hwaddr xlat, l = want;
    bool ro;
    FlatView *fv = gm_consume(as->current_map);
    /* The region and whether the path is read-only from the same view: a
     * writer may publish another between two lookups. */
    MemoryRegion *mr = gm__translate(fv, addr, &xlat, &l, is_write, attrs, &ro);
    bool direct = false;
    if (mr && mr->ram && !mr->ram_device) {
        direct = !is_write || !ro;
    }
    if (!direct) {
        if (!mr) {
            gm_rcu_read_unlock();
            *plen = 0;
            return NULL;
        }
        pthread_mutex_lock(&bounce.lock);
        if (bounce.in_use) {
            pthread_mutex_unlock(&bounce.lock);
            gm_rcu_read_unlock();
            *plen = 0;
            return NULL;
        }
        l = l < BOUNCE_MAX ? l : BOUNCE_MAX;
        void *buf = aligned_alloc(BOUNCE_MAX, BOUNCE_MAX);
        if (!buf) {
            pthread_mutex_unlock(&bounce.lock);
            gm_rcu_read_unlock();
            *plen = 0;
            return NULL;
        }
        bounce.in_use = true;
        bounce.buffer = buf;
        bounce.as = as;
        bounce.addr = addr;
        bounce.len = l;
        bounce.attrs = attrs;
        pthread_mutex_unlock(&bounce.lock);
        gm_rcu_read_unlock();
        if (!is_write) {
            address_space_read(as, addr, attrs, buf, l);
        }
        *plen = l;
        return buf;
    }
    /* Extend over following ranges that continue the same host memory. */
    hwaddr done = l;
    while (done < want) {
        hwaddr x2, l2 = want - done;
        bool ro2;
        MemoryRegion *m2 =
            gm__translate(fv, addr + done, &x2, &l2, is_write, attrs, &ro2);
        if (m2 != mr || x2 != xlat + done || (is_write && ro2)) {
            break;
        }
        done += l2;
    }
    pin(mr);
    void *ptr = mr->ram_block->host + xlat;
    gm_rcu_read_unlock();
    *plen = done;
    return ptr;
}

void address_space_unmap(AddressSpace *as, void *buffer, hwaddr len,
                         bool is_write, hwaddr access_len)
{
    if (!buffer) {
        return;
    }
    pthread_mutex_lock(&bounce.lock);
    if (bounce.in_use && buffer == bounce.buffer) {
        AddressSpace *bas = bounce.as;
        hwaddr baddr = bounce.addr;
        MemTxAttrs battrs = bounce.attrs;
        hwaddr blen = bounce.len;
        pthread_mutex_unlock(&bounce.lock);
        if (is_write) {
            address_space_write(bas, baddr, battrs, buffer,
                                access_len < blen ? access_len : blen);
        }
        pthread_mutex_lock(&bounce.lock);
        free(bounce.buffer);
        bounce.buffer = NULL;
        bounce.in_use = false;
        notify_clients_locked();
        pthread_mutex_unlock(&bounce.lock);
        return;
    }
    pthread_mutex_unlock(&bounce.lock);
    ram_addr_t off = 0;
    RAMBlock *rb = gm__ramblock_from_host(buffer, &off);
    if (rb) {
        if (is_write && access_len) {
            cpu_physical_memory_set_dirty_range(rb->offset + off, access_len,
                                                gm__dirty_log_mask_now(rb->mr));
        }
        unpin(rb->mr);
    }
}

/* --- MemoryRegionCache ------------------------------------------------------ */

int64_t address_space_cache_init(MemoryRegionCache *cache, AddressSpace *as,
                                 hwaddr addr, hwaddr len, bool is_write)
{
    if (!cache) {
        return -1;
    }
    *cache = MEMORY_REGION_CACHE_INVALID;
    if (!as || as->magic != GM_AS_MAGIC || len == 0 ||
        gm__crosses_2p64(addr, len)) {
        return -1;
    }
    gm_rcu_read_lock();
    hwaddr xlat, l = len;
    bool ro;
    MemoryRegion *mr = gm__translate(gm_consume(as->current_map), addr, &xlat,
                                     &l, is_write, MEMTXATTRS_UNSPECIFIED, &ro);
    if (!mr) {
        gm_rcu_read_unlock();
        return -1;
    }
    pin(mr);
    gm_rcu_read_unlock();
    cache->mr = mr;
    cache->xlat = xlat;
    cache->len = l;
    cache->is_write = is_write;
    cache->readonly = ro;
    cache->as = as;
    cache->addr = addr;
    if (mr->ram && !mr->ram_device && !(is_write && cache->readonly)) {
        cache->ptr = mr->ram_block->host + xlat;
    }
    return (int64_t)l;
}

static bool in_cache(const MemoryRegionCache *c, hwaddr addr, hwaddr len)
{
    return c && c->mr && addr < c->len && len <= c->len - addr;
}

/* A write through the cache's host pointer: dirty for the region's
 * clients, as QEMU's invalidate_and_set_dirty. */
static void cache_dirty(MemoryRegionCache *cache, hwaddr addr, hwaddr len)
{
    MemoryRegion *mr = cache->mr;
    if (mr->ram_block && len) {
        cpu_physical_memory_set_dirty_range(mr->ram_block->offset +
                                                cache->xlat + addr,
                                            len, gm__dirty_log_mask_now(mr));
    }
}

void address_space_cache_invalidate(MemoryRegionCache *cache, hwaddr addr,
                                    hwaddr access_len)
{
    if (in_cache(cache, addr, access_len) && cache->ptr) {
        cache_dirty(cache, addr, access_len);
    }
}

void address_space_cache_destroy(MemoryRegionCache *cache)
{
    if (!cache || !cache->mr) {
        return;
    }
    unpin(cache->mr);
    *cache = MEMORY_REGION_CACHE_INVALID;
}

MemTxResult address_space_read_cached(MemoryRegionCache *cache, hwaddr addr,
                                      void *buf, hwaddr len)
{
    if (!in_cache(cache, addr, len)) {
        return MEMTX_DECODE_ERROR;
    }
    if (cache->ptr) {
        memcpy(buf, cache->ptr + addr, len);
        return MEMTX_OK;
    }
    return address_space_read(cache->as, cache->addr + addr,
                              MEMTXATTRS_UNSPECIFIED, buf, len);
}

MemTxResult address_space_write_cached(MemoryRegionCache *cache, hwaddr addr,
                                       const void *buf, hwaddr len)
{
    if (!in_cache(cache, addr, len) || !cache->is_write) {
        return MEMTX_DECODE_ERROR;
    }
    if (cache->ptr) {
        memcpy(cache->ptr + addr, buf, len);
        cache_dirty(cache, addr, len);
        return MEMTX_OK;
    }
    return address_space_write(cache->as, cache->addr + addr,
                               MEMTXATTRS_UNSPECIFIED, buf, len);
}

/* The fixed-size accessors, out of line (access-inline.h has them inline):
 * a RAM cache reads and writes host memory; anything else goes through
 * the address space at the cache's address, as QEMU's _cached_slow
 * accessors do, so that MMIO sees exactly what address_space_ld/st give. */
uint64_t gm__fast1_load_cached(MemoryRegionCache *cache, hwaddr addr,
                               MemTxResult *result, unsigned op)
{
    unsigned size = op & 15;
    uint64_t v = 0;
    MemTxResult r = MEMTX_DECODE_ERROR;
    if (in_cache(cache, addr, size)) {
        if (cache->ptr) {
            memcpy(&v, cache->ptr + addr, size);
            v = gm__fast_value(v, op);
            r = MEMTX_OK;
        } else {
            v = gm__fast1_load(cache->as, cache->addr + addr,
                               MEMTXATTRS_UNSPECIFIED, &r, op);
        }
    }
    if (result) {
        *result = r;
    }
    return v;
}

void gm__fast1_store_cached(MemoryRegionCache *cache, hwaddr addr, uint64_t val,
                            MemTxResult *result, unsigned op)
{
    unsigned size = op & 15;
    MemTxResult r = MEMTX_DECODE_ERROR;
    if (in_cache(cache, addr, size) && cache->is_write) {
        if (cache->ptr) {
            uint64_t v = (op & GM__FAST_BE) ? gm__fast_swap(val, size) : val;
            memcpy(cache->ptr + addr, &v, size);
            cache_dirty(cache, addr, size);
            r = MEMTX_OK;
        } else {
            gm__fast1_store(cache->as, cache->addr + addr, val,
                            MEMTXATTRS_UNSPECIFIED, &r, op);
        }
    }
    if (result) {
        *result = r;
    }
}

void gm__fast1_cache_dirty(MemoryRegionCache *cache, hwaddr addr, unsigned size)
{
    cache_dirty(cache, addr, size);
}

#define CACHED_LOAD(name, op, type)                                           \
    type address_space_##name##_cached(MemoryRegionCache *cache, hwaddr addr, \
                                       MemTxAttrs attrs, MemTxResult *result) \
    {                                                                         \
        (void)attrs;                                                          \
        return (type)gm__fast_ld_cached(cache, addr, result, op);             \
    }
#define CACHED_STORE(name, op, type)                                          \
    void address_space_##name##_cached(MemoryRegionCache *cache, hwaddr addr, \
                                       type val, MemTxAttrs attrs,            \
                                       MemTxResult *result)                   \
    {                                                                         \
        (void)attrs;                                                          \
        gm__fast_st_cached(cache, addr, val, result, op);                     \
    }

CACHED_LOAD(ldub, 1, uint32_t)
CACHED_LOAD(lduw_le, 2, uint32_t)
CACHED_LOAD(lduw_be, 2 | GM__FAST_BE, uint32_t)
CACHED_LOAD(ldl_le, 4, uint32_t)
CACHED_LOAD(ldl_be, 4 | GM__FAST_BE, uint32_t)
CACHED_LOAD(ldq_le, 8, uint64_t)
CACHED_LOAD(ldq_be, 8 | GM__FAST_BE, uint64_t)
CACHED_STORE(stb, 1, uint32_t)
CACHED_STORE(stw_le, 2, uint32_t)
CACHED_STORE(stw_be, 2 | GM__FAST_BE, uint32_t)
CACHED_STORE(stl_le, 4, uint32_t)
CACHED_STORE(stl_be, 4 | GM__FAST_BE, uint32_t)
CACHED_STORE(stq_le, 8, uint64_t)
CACHED_STORE(stq_be, 8 | GM__FAST_BE, uint64_t)
