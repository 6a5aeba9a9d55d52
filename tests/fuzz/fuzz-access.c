// SPDX-License-Identifier: MIT
/*
 * fuzz-access.c - libFuzzer target for the guest path's one promise: ROM
 * (read-only RAM), ROM devices, RAM seen only through read-only aliases,
 * and RAM that is not mapped never change through it.  The input builds a small tree (RAM, ROM,
 * ROM devices in and out of romd mode, MMIO, aliases with random offsets,
 * read-only flags, containers, priorities) and then runs guest-path writes
 * of every kind (write, set, st*, map and unmap, caches) mixed with
 * topology changes.  After every step, each byte of host memory that no
 * writable range of the flat view shows must still hold what it held
 * before; the writable set is computed from the view's sections, not from
 * the access path under test.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guestmem/guestmem.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N 10
#define BLOCK 0x3000
#define WINDOW 0x20000

typedef struct In {
    const uint8_t *p;
    size_t n;
} In;

static unsigned take(In *in, unsigned bound)
{
    unsigned v = 0;
    for (int i = 0; i < 2 && in->n; i++) {
        v = v << 8 | *in->p++;
        in->n--;
    }
    return bound ? v % bound : v;
}

static void quiet(const Error *err, void *opaque) {}

static uint64_t mmio_read(void *o, hwaddr a, unsigned s)
{
    return 0x5a;
}

static void mmio_write(void *o, hwaddr a, uint64_t v, unsigned s) {}

static const MemoryRegionOps mmio_ops = {
    .read = mmio_read,
    .write = mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
};

enum {
    K_RAM,
    K_ROM,
    K_ROMD,
    K_MMIO,
    K_ALIAS,
    K_CONTAINER,
    K_KINDS
};

static MemoryRegion pool[N];
static int kind[N];
static MemoryRegion root;
static AddressSpace as;
static uint8_t *host[N];           /* host memory of RAM, ROM, ROM devices */
static uint8_t shadow[N][BLOCK];   /* what it must still hold */
static uint8_t writable[N][BLOCK]; /* shown by a writable range */

/* Mark, per host byte, whether some writable range of the view shows it. */
static char last_op[96]; /* for FUZZ_DEBUG */

static void compute_writable(void)
{
    memset(writable, 0, sizeof(writable));
    FlatView *fv = address_space_get_flatview(&as);
    for (unsigned i = 0; i < gm_flatview_nr(fv); i++) {
        MemoryRegionSection s;
        gm_flatview_section(fv, i, &s);
        for (int k = 0; k < N; k++) {
            /* ROM made writable with set_readonly(false) is RAM, as in
             * QEMU; a ROM device's writes always go to its callbacks. */
            if (s.mr != &pool[k] || kind[k] == K_ROMD || s.readonly) {
                continue;
            }
            uint64_t off = s.offset_within_region;
            uint64_t len = (uint64_t)s.size;
            if (off < BLOCK) {
                memset(&writable[k][off], 1,
                       len < BLOCK - off ? len : BLOCK - off);
            }
        }
    }
    flatview_unref(fv);
}

/* Every protected byte unchanged; writable ones follow the guest. */
static void check_and_resync(void)
{
    for (int k = 0; k < N; k++) {
        if (!host[k] || !memcmp(host[k], shadow[k], BLOCK)) {
            continue;
        }
        for (int b = 0; b < BLOCK; b++) {
            if (!writable[k][b] && host[k][b] != shadow[k][b]) {
                if (getenv("FUZZ_DEBUG")) {
                    fprintf(stderr,
                            "region %d (kind %d) byte 0x%x changed "
                            "after %s\n",
                            k, kind[k], b, last_op);
                    gm_mtree_fprint(stderr, false, false, false, true);
                    gm_mtree_fprint(stderr, true, false, false, false);
                }
                abort(); /* the guest path changed protected memory */
            }
            shadow[k][b] = host[k][b];
        }
    }
}

static void make(int k, In *in)
{
    char name[8] = { 'r', (char)('0' + k), 0 };
    kind[k] = (int)take(in, K_KINDS);
    host[k] = NULL;
    switch (kind[k]) {
    case K_RAM:
        memory_region_init_ram(&pool[k], NULL, name, BLOCK, NULL);
        break;
    case K_ROM:
        memory_region_init_rom(&pool[k], NULL, name, BLOCK, NULL);
        break;
    case K_ROMD:
        memory_region_init_rom_device(&pool[k], NULL, &mmio_ops, NULL, name,
                                      BLOCK, NULL);
        break;
    case K_MMIO:
        memory_region_init_io(&pool[k], NULL, &mmio_ops, NULL, name, BLOCK);
        break;
    case K_ALIAS: {
        int t = k ? (int)take(in, (unsigned)k) : -1;
        if (t < 0 || kind[t] == K_ALIAS) {
            kind[k] = K_CONTAINER;
            memory_region_init(&pool[k], NULL, name, BLOCK);
            break;
        }
        hwaddr off = take(in, BLOCK);
        memory_region_init_alias(&pool[k], NULL, name, &pool[t], off,
                                 1 + take(in, BLOCK));
        break;
    }
    default:
        kind[k] = K_CONTAINER;
        memory_region_init(&pool[k], NULL, name, BLOCK);
        break;
    }
    if (kind[k] == K_RAM || kind[k] == K_ROM || kind[k] == K_ROMD) {
        host[k] = memory_region_get_ram_ptr(&pool[k]);
        for (int b = 0; b < BLOCK; b++) {
            host[k][b] = (uint8_t)(b * 131 + k); /* ROM loads go in direct */
        }
        memcpy(shadow[k], host[k], BLOCK);
    }
}

static void place(int k, In *in)
{
    /* Into the root, or into an earlier container. */
    MemoryRegion *parent = &root;
    unsigned c = take(in, N + 2);
    if (c < (unsigned)k && kind[c] == K_CONTAINER) {
        parent = &pool[c];
    }
    hwaddr at = parent == &root ? take(in, WINDOW) : take(in, BLOCK);
    memory_region_add_subregion_overlap(parent, at, &pool[k],
                                        (int)take(in, 5) - 2);
    if (take(in, 4) == 0) {
        memory_region_set_readonly(&pool[k], true);
    }
}

static void guest_write(In *in)
{
    const MemTxAttrs A = MEMTXATTRS_UNSPECIFIED;
    hwaddr addr = take(in, WINDOW + BLOCK);
    unsigned len = 1 + take(in, 64);
    uint8_t buf[64];
    memset(buf, 0xee, sizeof(buf));
    MemTxResult r;
    unsigned op = take(in, 9);
    snprintf(last_op, sizeof(last_op), "op %u at 0x%" PRIx64 " len %u", op,
             addr, len);
    switch (op) {
    case 0: address_space_write(&as, addr, A, buf, len); break;
    case 1: address_space_set(&as, addr, 0xdd, len * 64, A); break;
    case 2: address_space_stb(&as, addr, 0xcc, A, &r); break;
    case 3: address_space_stw_le(&as, addr, 0xcccc, A, &r); break;
    case 4: address_space_stl_be(&as, addr, 0xcccccccc, A, &r); break;
    case 5: stq_le_phys(&as, addr, 0xccccccccccccccccull); break;
    case 6: {
        hwaddr l = len;
        void *p = address_space_map(&as, addr, &l, true, A);
        if (p) {
            memset(p, 0xbb, l);
            address_space_unmap(&as, p, l, true, l);
        }
        break;
    }
    case 7: {
        MemoryRegionCache c;
        if (address_space_cache_init(&c, &as, addr, len, true) > 0) {
            address_space_write_cached(&c, 0, buf, 1);
            address_space_stl_le_cached(&c, 0, 0xaaaaaaaa, A, &r);
            address_space_cache_destroy(&c);
        }
        break;
    }
    default: address_space_rw(&as, addr, A, buf, len, true); break;
    }
}

static void topology(In *in)
{
    int k = (int)take(in, N);
    switch (take(in, 4)) {
    case 0: memory_region_set_readonly(&pool[k], !pool[k].readonly); break;
    case 1: memory_region_set_enabled(&pool[k], !pool[k].enabled); break;
    case 2:
        if (kind[k] == K_ROMD) {
            memory_region_rom_device_set_romd(&pool[k], !pool[k].romd_mode);
        }
        break;
    default:
        if (kind[k] == K_ALIAS) {
            memory_region_set_alias_offset(&pool[k], take(in, BLOCK));
        }
        break;
    }
    compute_writable();
}

/* Detach and destroy everything, aliases before their targets. */
static void teardown(void)
{
    address_space_destroy(&as);
    memory_region_transaction_begin();
    for (int k = 0; k < N; k++) {
        if (pool[k].container) {
            memory_region_del_subregion(pool[k].container, &pool[k]);
        }
    }
    memory_region_transaction_commit();
    for (int k = N; k-- > 0;) {
        if (gm_memory_region_destroy(&pool[k], NULL) < 0) {
            abort(); /* something still holds it */
        }
    }
    if (gm_memory_region_destroy(&root, NULL) < 0) {
        abort();
    }
    memset(host, 0, sizeof(host));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    In in = { data, size };
    gm_set_error_handler(quiet, NULL);
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    address_space_init(&as, &root, "fuzz");
    memory_region_transaction_begin();
    for (int k = 0; k < N; k++) {
        make(k, &in);
    }
    for (int k = 0; k < N; k++) {
        place(k, &in);
    }
    memory_region_transaction_commit();
    compute_writable();
    check_and_resync();
    while (in.n) {
        if (take(&in, 8) == 0) {
            topology(&in);
        } else {
            guest_write(&in);
        }
        check_and_resync();
    }
    teardown();
    return 0;
}
