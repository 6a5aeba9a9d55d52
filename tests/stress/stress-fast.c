// SPDX-License-Identifier: MIT
/*
 * stress-fast.c - the inline accessors of access-inline.h, the per-thread
 * TLB and the batch API, on every core, while a writer commits.
 *
 * Window L (loads only) is served in turn by RAM of 0xAA bytes, RAM of
 * 0xBB bytes (destroyed and made again, so views and their regions are
 * retired and freed under the readers), an MMIO region answering 0xCC
 * bytes, or nothing.  Readers load 1, 2, 4 and 8 bytes through the inline
 * ld*_phys, through the out-of-line functions and in batches, and check
 * that every value came from one view: all bytes equal, one of the
 * patterns, or zero with MEMTX_DECODE_ERROR.
 *
 * Window S (stores) is served in turn by a scratch RAM region that a
 * client logs, a ROM of 0xDD bytes, a read-only alias of RAM of 0xEE
 * bytes, MMIO, or nothing; the writer also turns global dirty tracking on
 * and off (views with another log mask).  Readers store there inline, out
 * of line, in batches and through a MemoryRegionCache.  At the end: ROM
 * and the RAM behind the read-only alias never changed, and every page of
 * the scratch RAM that changed has its dirty bit (cleared before the run,
 * never cleared during it).
 *
 * Run under ThreadSanitizer and AddressSanitizer in `make test`.
 *   stress-fast [WRITER-ITERATIONS]
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guestmem/guestmem.h>

#define L 0x10000
#define S 0x40000
#define SIZE 0x4000
#define READERS 3

static MemoryRegion root, ra, rb, io, scratch, rom, rop, ro;
static AddressSpace as;
static atomic_bool stop;
static atomic_ulong loads, stores;

static uint64_t io_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0xccccccccccccccccULL;
}

static void io_write(void *opaque, hwaddr addr, uint64_t v, unsigned size) {}

static const MemoryRegionOps io_ops = {
    .read = io_read,
    .write = io_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};

static void fail(const char *what, hwaddr a, unsigned size, uint64_t v,
                 MemTxResult r)
{
    fprintf(stderr, "stress-fast: %s at 0x%llx, %u bytes: 0x%llx, result %u\n",
            what, (unsigned long long)a, size, (unsigned long long)v, r);
    exit(1);
}

/* One value of @size bytes from one view: all its bytes one pattern. */
static void check(hwaddr a, unsigned size, uint64_t v, MemTxResult r)
{
    uint8_t b = (uint8_t)v;
    for (unsigned i = 1; i < size; i++) {
        if ((uint8_t)(v >> (8 * i)) != b) {
            fail("torn load", a, size, v, r);
        }
    }
    if (b != 0xaa && b != 0xbb && b != 0xcc && b != 0) {
        fail("wrong load", a, size, v, r);
    }
    if ((r != MEMTX_OK) != (b == 0)) {
        fail("load result", a, size, v, r);
    }
}

static uint64_t load(unsigned kind, unsigned size, hwaddr a, MemTxResult *r)
{
    static uint32_t (*volatile f32[3])(AddressSpace *, hwaddr, MemTxAttrs,
                                       MemTxResult *) = {
        address_space_ldub, address_space_lduw_le, address_space_ldl_le
    };
    static uint64_t (*volatile f64)(AddressSpace *, hwaddr, MemTxAttrs,
                                    MemTxResult *) = address_space_ldq_le;
    const MemTxAttrs A = MEMTXATTRS_UNSPECIFIED;
    if (kind == 0) { /* inline */
        switch (size) {
        case 1: return address_space_ldub(&as, a, A, r);
        case 2: return address_space_lduw_le(&as, a, A, r);
        case 4: return address_space_ldl_le(&as, a, A, r);
        default: return address_space_ldq_le(&as, a, A, r);
        }
    }
    switch (size) { /* out of line */
    case 1: return f32[0](&as, a, A, r);
    case 2: return f32[1](&as, a, A, r);
    case 4: return f32[2](&as, a, A, r);
    default: return f64(&as, a, A, r);
    }
}

static void store(unsigned kind, unsigned size, hwaddr a, uint64_t v)
{
    static void (*volatile f32)(AddressSpace *, hwaddr, uint32_t) = stl_le_phys;
    switch (kind) {
    case 0:
        switch (size) {
        case 1: stb_phys(&as, a, (uint32_t)v); break;
        case 2: stw_le_phys(&as, a, (uint32_t)v); break;
        case 4: stl_le_phys(&as, a, (uint32_t)v); break;
        default: stq_le_phys(&as, a, v); break;
        }
        break;
    default: f32(&as, a & ~(hwaddr)3, (uint32_t)v); break;
    }
}

static void *reader(void *arg)
{
    unsigned long nl = 0, ns = 0;
    unsigned id = (unsigned)(uintptr_t)arg, seed = id;
    gm_rcu_register_thread();
    while (!atomic_load(&stop)) {
        seed = seed * 1103515245 + 12345;
        unsigned size = 1u << ((seed >> 4) & 3);
        unsigned kind = (seed >> 6) & 3;
        /* Aligned, and now and then straddling two pages, or the last
         * bytes of the window. */
        hwaddr a = L + ((seed >> 8) % (SIZE / size)) * size;
        if (kind == 3) {
            hwaddr addrs[64];
            uint64_t vals[64];
            for (int i = 0; i < 64; i++) {
                seed = seed * 1103515245 + 12345;
                addrs[i] = L + ((seed >> 8) % (SIZE / 8)) * 8;
            }
            MemTxResult r = gm_address_space_load_batch(
                &as, MO_64, addrs, vals, 64, MEMTXATTRS_UNSPECIFIED);
            for (int i = 0; i < 64; i++) {
                check(addrs[i], 8, vals[i],
                      vals[i] ? MEMTX_OK : MEMTX_DECODE_ERROR);
            }
            if (r & ~MEMTX_DECODE_ERROR) {
                fail("batch result", addrs[0], 8, 0, r);
            }
            nl += 64;
        } else {
            MemTxResult r;
            uint64_t v = load(kind & 1, size, a, &r);
            check(a, size, v, r);
            nl++;
        }
        /* A store into this reader's slice of window S (guest memory
         * the readers share would race for real): 4 KiB across a page
         * boundary. */
        hwaddr slice = S + 0x800 + 0x1000 * (hwaddr)(id - 1);
        hwaddr s = slice + ((seed >> 12) % (0x1000 / size - 1)) * size;
        if ((seed & 0x300) == 0x300) {
            s += size / 2; /* unaligned, sometimes across the page */
        }
        uint64_t v = 0x1111111111111111ull * ((seed >> 20 & 7) + 1);
        if (kind == 2) {
            hwaddr addrs[8];
            uint32_t vals[8];
            for (int i = 0; i < 8; i++) {
                addrs[i] = slice + ((s - slice + 4 * (hwaddr)i * 97) % 0xffc &
                                    ~(hwaddr)3);
                vals[i] = (uint32_t)v;
            }
            gm_address_space_store_batch(&as, MO_32, addrs, vals, 8,
                                         MEMTXATTRS_UNSPECIFIED);
        } else if (kind == 3) {
            MemoryRegionCache c;
            if (address_space_cache_init(&c, &as, S, SIZE, true) > 0) {
                address_space_stl_le_cached(&c, (s - S) & ~(hwaddr)3,
                                            (uint32_t)v, MEMTXATTRS_UNSPECIFIED,
                                            NULL);
                address_space_cache_destroy(&c);
            }
        } else {
            store(kind, size, s, v);
        }
        ns++;
    }
    atomic_fetch_add(&loads, nl);
    atomic_fetch_add(&stores, ns);
    gm_rcu_unregister_thread();
    return NULL;
}

static void make_b(void)
{
    memory_region_init_ram(&rb, NULL, "b", SIZE, &error_abort);
    memset(memory_region_get_ram_ptr(&rb), 0xbb, SIZE);
}

static int destroy_b(void)
{
    /* A reader's cache or held view pins the region for a moment. */
    for (int tries = 0;; tries++) {
        Error *err = NULL;
        if (gm_memory_region_destroy(&rb, &err) == 0) {
            return 0;
        }
        if (gm_error_code(err) != GM_ERR_IN_USE || tries == 100000) {
            fprintf(stderr, "stress-fast: destroy failed: %s\n",
                    error_get_pretty(err));
            return 1;
        }
        error_free(err);
        sched_yield();
    }
}

int main(int argc, char **argv)
{
    unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    memory_region_init_ram(&ra, NULL, "a", SIZE, &error_abort);
    memset(memory_region_get_ram_ptr(&ra), 0xaa, SIZE);
    make_b();
    memory_region_init_io(&io, NULL, &io_ops, NULL, "io", SIZE);
    memory_region_init_ram(&scratch, NULL, "scratch", SIZE, &error_abort);
    memory_region_init_rom(&rom, NULL, "rom", SIZE, &error_abort);
    memset(memory_region_get_ram_ptr(&rom), 0xdd, SIZE);
    memory_region_init_ram(&rop, NULL, "rop", SIZE, &error_abort);
    memset(memory_region_get_ram_ptr(&rop), 0xee, SIZE);
    memory_region_init_alias(&ro, NULL, "ro", &rop, 0, SIZE);
    memory_region_set_readonly(&ro, true);
    memory_region_add_subregion_overlap(&root, L, &ra, 1);
    memory_region_add_subregion_overlap(&root, L, &rb, 0);
    memory_region_add_subregion_overlap(&root, S, &scratch, 0);
    address_space_init(&as, &root, "stress-fast");
    memory_region_set_log(&scratch, true, DIRTY_MEMORY_VGA);
    memset(memory_region_get_ram_ptr(&scratch), 0, SIZE);
    memory_region_reset_dirty(&scratch, 0, SIZE, DIRTY_MEMORY_VGA);

    pthread_t t[READERS];
    for (int i = 0; i < READERS; i++) {
        pthread_create(&t[i], NULL, reader, (void *)(uintptr_t)(i + 1));
    }
    for (unsigned long i = 0; i < iters; i++) {
        switch (i % 10) {
        case 0: /* swap which RAM wins in L, atomically */
            memory_region_transaction_begin();
            memory_region_set_enabled(&ra, !ra.enabled);
            memory_region_set_enabled(&rb, !ra.enabled);
            memory_region_transaction_commit();
            break;
        case 1: memory_region_add_subregion_overlap(&root, L, &io, 2); break;
        case 2: memory_region_del_subregion(&root, &io); break;
        case 3: /* B goes for real, and comes back */
            memory_region_del_subregion(&root, &rb);
            if (destroy_b()) {
                return 1;
            }
            make_b();
            memory_region_add_subregion_overlap(&root, L, &rb, 0);
            break;
        case 4: memory_region_add_subregion_overlap(&root, S, &rom, 1); break;
        case 5:
            memory_region_del_subregion(&root, &rom);
            memory_region_add_subregion_overlap(&root, S, &ro, 1);
            break;
        case 6:
            memory_region_del_subregion(&root, &ro);
            memory_region_set_enabled(&scratch, false);
            break;
        case 7: memory_region_set_enabled(&scratch, true); break;
        case 8: memory_global_dirty_log_start(GLOBAL_DIRTY_MIGRATION); break;
        case 9: memory_global_dirty_log_stop(GLOBAL_DIRTY_MIGRATION); break;
        }
    }
    atomic_store(&stop, true);
    for (int i = 0; i < READERS; i++) {
        pthread_join(t[i], NULL);
    }
    const uint8_t *p = memory_region_get_ram_ptr(&rom);
    const uint8_t *q = memory_region_get_ram_ptr(&rop);
    const uint8_t *w = memory_region_get_ram_ptr(&scratch);
    unsigned long changed = 0;
    for (unsigned i = 0; i < SIZE; i++) {
        if (p[i] != 0xdd || q[i] != 0xee) {
            fail("a store reached ROM or a read-only alias", S + i, 1,
                 p[i] != 0xdd ? p[i] : q[i], 0);
        }
        if (w[i] && !memory_region_get_dirty(&scratch, i & ~4095u, 4096,
                                             DIRTY_MEMORY_VGA)) {
            fail("a store changed a page left clean", S + i, 1, w[i], 0);
        }
        changed += w[i] != 0;
    }
    printf("stress-fast: %lu topology changes, %lu loads and %lu stores, "
           "none torn, ROM and the read-only alias untouched, %lu scratch "
           "bytes written and their pages dirty\n",
           iters, (unsigned long)atomic_load(&loads),
           (unsigned long)atomic_load(&stores), changed);
    gm_reset();
    gm_memory_region_destroy(&io, NULL);
    gm_memory_region_destroy(&ra, NULL);
    gm_memory_region_destroy(&rb, NULL);
    gm_memory_region_destroy(&scratch, NULL);
    gm_memory_region_destroy(&rom, NULL);
    gm_memory_region_destroy(&ro, NULL);
    gm_memory_region_destroy(&rop, NULL);
    gm_memory_region_destroy(&root, NULL);
    return changed ? 0 : 1;
}
