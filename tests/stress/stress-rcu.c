// SPDX-License-Identifier: MIT
/*
 * stress-rcu.c - readers on every core while a writer changes the topology.
 *
 * Two RAM regions filled with 0xAA and 0xBB bytes and an MMIO region
 * answering 0xCC bytes take turns serving the same addresses: the writer
 * enables and disables them in transactions, moves them, changes
 * priorities, and destroys and recreates one (so views are retired and
 * reclaimed all the time).  Readers read 8 bytes at a time through the API
 * and check that every read was answered from one view: all eight bytes the
 * same, one of the three patterns, MEMTX_OK, or nothing mapped at all
 * (zeroes with MEMTX_DECODE_ERROR).  Run under ThreadSanitizer in
 * `make test`; exits non-zero on the first torn or wrong read.
 *   stress-rcu [WRITER-ITERATIONS]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guestmem/guestmem.h>

#define ADDR 0x10000
#define SIZE 0x1000

static MemoryRegion root, ra, rb, io, spare;
static AddressSpace as;
static atomic_bool stop;
static atomic_ulong reads_ok, reads_empty;

static uint64_t io_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0xccccccccccccccccULL;
}

static const MemoryRegionOps io_ops = {
    .read = io_read,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};

static void *reader(void *arg)
{
    unsigned long ok = 0, empty = 0;
    unsigned seed = (unsigned)(uintptr_t)arg;
    gm_rcu_register_thread();
    while (!atomic_load(&stop)) {
        seed = seed * 1103515245 + 12345;
        hwaddr a = ADDR + ((seed >> 8) % (SIZE / 8)) * 8;
        uint8_t b[8];
        MemTxResult r =
            address_space_read(&as, a, MEMTXATTRS_UNSPECIFIED, b, 8);
        bool same = true;
        for (int i = 1; i < 8; i++) {
            same &= b[i] == b[0];
        }
        bool known =
            b[0] == 0xaa || b[0] == 0xbb || b[0] == 0xcc || b[0] == 0x00;
        if (!same || !known || (r != MEMTX_OK) != (b[0] == 0)) {
            fprintf(stderr,
                    "stress-rcu: torn or wrong read at 0x%llx: "
                    "%02x %02x .. %02x, result %u\n",
                    (unsigned long long)a, b[0], b[1], b[7], r);
            exit(1);
        }
        if (r == MEMTX_OK) {
            ok++;
        } else {
            empty++;
        }
        /* A lookup through a held view, too. */
        FlatView *fv = address_space_get_flatview(&as);
        MemoryRegionSection s;
        gm_flatview_lookup(fv, a, &s);
        flatview_unref(fv);
    }
    atomic_fetch_add(&reads_ok, ok);
    atomic_fetch_add(&reads_empty, empty);
    gm_rcu_unregister_thread();
    return NULL;
}

static void make_spare(void)
{
    memory_region_init_ram(&spare, NULL, "spare", SIZE, &error_abort);
    memset(memory_region_get_ram_ptr(&spare), 0xbb, SIZE);
}

int main(int argc, char **argv)
{
    unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    memory_region_init_ram(&ra, NULL, "a", SIZE, &error_abort);
    memory_region_init_ram(&rb, NULL, "b", SIZE, &error_abort);
    memset(memory_region_get_ram_ptr(&ra), 0xaa, SIZE);
    memset(memory_region_get_ram_ptr(&rb), 0xbb, SIZE);
    memory_region_init_io(&io, NULL, &io_ops, NULL, "io", SIZE);
    memory_region_add_subregion_overlap(&root, ADDR, &ra, 1);
    memory_region_add_subregion_overlap(&root, ADDR, &rb, 0);
    address_space_init(&as, &root, "stress");
    make_spare();

    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        pthread_create(&t[i], NULL, reader, (void *)(uintptr_t)(i + 1));
    }
    for (unsigned long i = 0; i < iters; i++) {
        switch (i % 6) {
        case 0: /* swap which RAM wins, atomically */
            memory_region_transaction_begin();
            memory_region_set_enabled(&ra, !ra.enabled);
            memory_region_set_enabled(&rb, !ra.enabled);
            memory_region_transaction_commit();
            break;
        case 1: /* MMIO on top */
            memory_region_add_subregion_overlap(&root, ADDR, &io, 2);
            break;
        case 2: memory_region_del_subregion(&root, &io); break;
        case 3: /* move one away and back: gaps and re-insertion */
            memory_region_set_address(&ra, ADDR + SIZE * 4);
            memory_region_set_address(&ra, ADDR);
            break;
        case 4: /* a region that comes and goes for real */
            memory_region_add_subregion_overlap(&root, ADDR, &spare, 3);
            break;
        case 5:
            memory_region_del_subregion(&root, &spare);
            /* A reader holding the old view (address_space_get_flatview)
             * pins the region, and destroy rightly refuses until it lets
             * go: retry, but not forever. */
            for (int tries = 0;; tries++) {
                Error *err = NULL;
                if (gm_memory_region_destroy(&spare, &err) == 0) {
                    break;
                }
                if (gm_error_code(err) != GM_ERR_IN_USE || tries == 1000) {
                    fprintf(stderr, "stress-rcu: destroy failed: %s\n",
                            error_get_pretty(err));
                    return 1;
                }
                error_free(err);
                sched_yield();
            }
            make_spare();
            break;
        }
    }
    atomic_store(&stop, true);
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
    }
    printf("stress-rcu: %lu topology changes, %lu reads from a region, %lu "
           "from an empty view, none torn\n",
           iters, (unsigned long)atomic_load(&reads_ok),
           (unsigned long)atomic_load(&reads_empty));
    gm_reset();
    gm_memory_region_destroy(&io, NULL);
    gm_memory_region_destroy(&spare, NULL);
    gm_memory_region_destroy(&ra, NULL);
    gm_memory_region_destroy(&rb, NULL);
    gm_memory_region_destroy(&root, NULL);
    return 0;
}
