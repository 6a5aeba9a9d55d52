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
#include "internal.h"

#include <pthread.h>

#define BOUNCE_MAX 4096

typedef struct MapClient {
    void (*cb)(void *opaque);
    void *opaque;
    struct MapClient *next;
} MapClient;

static struct {
    pthread_mutex_t lock;
    bool in_use;
    void *buffer;
    AddressSpace *as;
    hwaddr addr;
    hwaddr len;
    MemTxAttrs attrs;
    MapClient *clients;
} bounce = { .lock = PTHREAD_MUTEX_INITIALIZER };

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
    MemoryRegion *mr =
        address_space_translate(as, addr, &xlat, &l, is_write, attrs);
    bool direct = false;
    if (mr && mr->ram && !mr->ram_device) {
        MemoryRegionSection s;
        FlatView *fv = gm_consume(as->current_map);
        direct = !is_write || (gm_flatview_lookup(fv, addr, &s) && !s.readonly);
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
        MemoryRegion *m2 =
            address_space_translate(as, addr + done, &x2, &l2, is_write, attrs);
        if (m2 != mr || x2 != xlat + done) {
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
                                                gm__dirty_log_mask(rb->mr));
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
    MemoryRegion *mr = address_space_translate(as, addr, &xlat, &l, is_write,
                                               MEMTXATTRS_UNSPECIFIED);
    if (!mr) {
        gm_rcu_read_unlock();
        return -1;
    }
    MemoryRegionSection s;
    bool ro =
        gm_flatview_lookup(gm_consume(as->current_map), addr, &s) && s.readonly;
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
                                            len, gm__dirty_log_mask(mr));
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

#define CACHED_LOAD(name, size, type)                                         \
    type address_space_##name##_cached(MemoryRegionCache *cache, hwaddr addr, \
                                       MemTxAttrs attrs, MemTxResult *result) \
    {                                                                         \
        uint8_t b[8] = { 0 };                                                 \
        MemTxResult r = address_space_read_cached(cache, addr, b, size);      \
        if (result) {                                                         \
            *result = r;                                                      \
        }                                                                     \
        uint64_t v = 0;                                                       \
        memcpy(&v, b, size);                                                  \
        return (type)v;                                                       \
    }
#define CACHED_STORE(name, size, type)                                        \
    void address_space_##name##_cached(MemoryRegionCache *cache, hwaddr addr, \
                                       type val, MemTxAttrs attrs,            \
                                       MemTxResult *result)                   \
    {                                                                         \
        uint64_t v = val;                                                     \
        MemTxResult r = address_space_write_cached(cache, addr, &v, size);    \
        if (result) {                                                         \
            *result = r;                                                      \
        }                                                                     \
    }

CACHED_LOAD(lduw_le, 2, uint32_t)
CACHED_LOAD(ldl_le, 4, uint32_t)
CACHED_LOAD(ldq_le, 8, uint64_t)
CACHED_STORE(stw_le, 2, uint32_t)
CACHED_STORE(stl_le, 4, uint32_t)
CACHED_STORE(stq_le, 8, uint64_t)
