// SPDX-License-Identifier: MIT
/*
 * fuzz-ops.c - libFuzzer target for sequences of region operations.  Each
 * input byte pair is one operation on a pool of regions (create, add with
 * priority, delete, move, enable, read-only, alias offset, resize,
 * transactions, destroy, misuse, dirty logging, coalesced MMIO,
 * ioeventfds, global dirty tracking); after each commit the flat view is
 * checked against the reference resolver gm_resolve() at every range
 * boundary, and a listener's count of the ranges it was given against the
 * view.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <guestmem/guestmem.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N 12

static void quiet(const Error *err, void *opaque) {}

/* A listener that counts the ranges it holds. */
static long held;
static int rounds_open;

static void l_add(MemoryListener *l, MemoryRegionSection *s)
{
    held++;
}
static void l_del(MemoryListener *l, MemoryRegionSection *s)
{
    if (--held < 0) {
        abort();
    }
}
static void l_begin(MemoryListener *l)
{
    rounds_open++;
}
static void l_commit(MemoryListener *l)
{
    rounds_open--;
}

static void check(AddressSpace *as)
{
    FlatView *fv = address_space_get_flatview(as);
    if (held != (long)gm_flatview_nr(fv) || rounds_open != 0) {
        abort();
    }
    for (unsigned i = 0; i < gm_flatview_nr(fv); i++) {
        MemoryRegionSection s, r;
        gm_flatview_section(fv, i, &s);
        hwaddr ends[2] = { s.offset_within_address_space,
                           s.offset_within_address_space +
                               (hwaddr)(s.size - 1) };
        for (int k = 0; k < 2; k++) {
            if (!gm_resolve(as->root, ends[k], &r) || r.mr != s.mr ||
                r.offset_within_region !=
                    s.offset_within_region +
                        (ends[k] - s.offset_within_address_space)) {
                abort();
            }
        }
    }
    flatview_unref(fv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t ram[0x1000];
    MemoryRegion root, mr[N];
    bool live[N] = { false };
    AddressSpace as;
    int depth = 0;
    gm_set_error_handler(quiet, NULL);
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    address_space_init(&as, &root, "fuzz");
    static EventNotifier ev;
    MemoryListener l = { .region_add = l_add,
                         .region_del = l_del,
                         .begin = l_begin,
                         .commit = l_commit,
                         .name = "fuzz" };
    held = 0;
    rounds_open = 0;
    memory_listener_register(&l, &as);
    for (size_t i = 0; i + 1 < size; i += 2) {
        unsigned op = data[i] % 19, a = data[i] / 19 % N, v = data[i + 1];
        MemoryRegion *m = &mr[a];
        MemoryRegion *b = live[v % N] ? &mr[v % N] : &root;
        switch (op) {
        case 0:
            if (!live[a]) {
                memory_region_init(m, NULL, "c", 0x100u * (v + 1));
                live[a] = true;
            }
            break;
        case 1:
            if (!live[a]) {
                memory_region_init_io(m, NULL, NULL, NULL, "io", v + 1);
                live[a] = true;
            }
            break;
        case 2:
            if (!live[a]) {
                memory_region_init_ram_ptr(m, NULL, "ram", sizeof(ram), ram);
                live[a] = true;
            }
            break;
        case 3:
            if (!live[a] && b != &root) {
                memory_region_init_alias(m, NULL, "al", b, v & 0xf0, 0x80);
                live[a] = m->magic != 0;
            }
            break;
        case 4:
        case 5:
            if (live[a]) {
                memory_region_add_subregion_overlap(b, (hwaddr)v << 4, m,
                                                    (int)(v % 3) - 1);
            }
            break;
        case 6:
            if (live[a] && m->container) {
                memory_region_del_subregion(m->container, m);
            }
            break;
        case 7:
            if (live[a]) {
                memory_region_set_address(m, (hwaddr)v << 3);
            }
            break;
        case 8:
            if (live[a]) {
                memory_region_set_enabled(m, v & 1);
            }
            break;
        case 9:
            if (live[a]) {
                memory_region_set_readonly(m, v & 1);
            }
            break;
        case 10:
            if (live[a]) {
                memory_region_set_alias_offset(m, v);
                memory_region_set_size(m, v * 0x10u);
            }
            break;
        case 11:
            if (depth < 4) {
                memory_region_transaction_begin();
                depth++;
            }
            break;
        case 12:
            if (depth) {
                memory_region_transaction_commit();
                depth--;
            }
            break;
        case 13:
            if (live[a] && gm_memory_region_destroy(m, NULL) == 0) {
                live[a] = false;
            }
            break;
        case 14:
            if (live[a]) {
                memory_region_set_log(m, v & 1, DIRTY_MEMORY_VGA);
            }
            break;
        case 15:
            if (live[a]) {
                if (v & 1) {
                    memory_region_add_coalescing(m, v & 0x30, 0x10);
                } else {
                    memory_region_clear_coalescing(m);
                }
            }
            break;
        case 16:
            if (live[a]) {
                if (v & 1) {
                    memory_region_add_eventfd(m, v & 0x38, 4, v & 2, v, &ev);
                } else {
                    memory_region_del_eventfd(m, v & 0x38, 4, v & 2, v, &ev);
                }
            }
            break;
        case 17:
            if (v & 1) {
                memory_global_dirty_log_start(GLOBAL_DIRTY_MIGRATION);
            } else {
                memory_global_dirty_log_stop(GLOBAL_DIRTY_MIGRATION);
            }
            break;
        case 18:
            if (live[a] && m->ram_block) {
                stb_phys(&as, (hwaddr)v << 4, (uint8_t)v);
                memory_region_get_dirty(m, 0, 0x100, v % 3);
                memory_region_reset_dirty(m, 0, 0x100, v % 3);
            }
            break;
        }
        if (!depth) {
            check(&as);
        }
    }
    while (depth--) {
        memory_region_transaction_commit();
    }
    check(&as);
    if (gm_global_dirty_tracking()) {
        memory_global_dirty_log_stop(GLOBAL_DIRTY_MIGRATION);
    }
    memory_listener_unregister(&l);
    if (held != 0) {
        abort();
    }
    address_space_destroy(&as);
    /* Tear down: detach, then destroy until nothing is left. */
    memory_region_transaction_begin();
    for (int i = 0; i < N; i++) {
        if (live[i] && mr[i].container) {
            memory_region_del_subregion(mr[i].container, &mr[i]);
        }
    }
    memory_region_transaction_commit();
    for (int pass = 0; pass < N; pass++) {
        for (int i = 0; i < N; i++) {
            if (live[i] && gm_memory_region_destroy(&mr[i], NULL) == 0) {
                live[i] = false;
            }
        }
    }
    gm_memory_region_destroy(&root, NULL);
    for (int i = 0; i < N; i++) {
        if (live[i]) {
            abort(); /* something could not be destroyed */
        }
    }
    return 0;
}
