// SPDX-License-Identifier: MIT
/*
 * 04-listener-dirty.c - what a hypervisor backend does with guestmem: guest
 * RAM from a memfd backend, a MemoryListener that keeps "memory slots" in
 * step with the flat view (as a KVM backend would), and a migration-style
 * loop over the dirty bitmap.
 */
#include <inttypes.h>
#include <stdio.h>

#include <guestmem/guestmem.h>

/* The listener: prints the slot operations a KVM backend would issue. */
static void slot_add(MemoryListener *l, MemoryRegionSection *s)
{
    if (memory_region_is_ram(s->mr)) {
        printf("  slot add  0x%08" PRIx64 " +0x%" PRIx64 " (%s%s)\n",
               s->offset_within_address_space, (uint64_t)s->size,
               memory_region_name(s->mr), s->readonly ? ", read-only" : "");
    }
}

static void slot_del(MemoryListener *l, MemoryRegionSection *s)
{
    if (memory_region_is_ram(s->mr)) {
        printf("  slot del  0x%08" PRIx64 " +0x%" PRIx64 " (%s)\n",
               s->offset_within_address_space, (uint64_t)s->size,
               memory_region_name(s->mr));
    }
}

static void log_start(MemoryListener *l, MemoryRegionSection *s, int o, int n)
{
    printf("  dirty logging on for 0x%08" PRIx64 " (clients 0x%x)\n",
           s->offset_within_address_space, n);
}

int main(void)
{
    MemoryRegion ram, rom;
    GmBackendConfig cfg = { .kind = GM_BACKEND_MEMFD, .size = 16 << 20 };
    gm_memory_region_init_backend(&ram, NULL, "guest-ram", &cfg, &error_fatal);
    memory_region_init_rom(&rom, NULL, "firmware", 64 << 10, &error_fatal);
    MemoryRegion *sys = get_system_memory();

    MemoryListener kvm = { .region_add = slot_add,
                           .region_del = slot_del,
                           .log_start = log_start,
                           .name = "slots" };
    printf("register (replays the empty view):\n");
    memory_listener_register(&kvm, &address_space_memory);

    printf("map RAM and firmware in one transaction:\n");
    memory_region_transaction_begin();
    memory_region_add_subregion(sys, 0, &ram);
    memory_region_add_subregion(sys, 0xffff0000, &rom);
    memory_region_transaction_commit();

    printf("start migration-style dirty tracking:\n");
    memory_global_dirty_log_start(GLOBAL_DIRTY_MIGRATION);
    /* New blocks start all dirty: collect that first round. */
    DirtyBitmapSnapshot *s = memory_region_snapshot_and_clear_dirty(
        &ram, 0, 16 << 20, DIRTY_MEMORY_MIGRATION);
    gm_dirty_snapshot_free(s);

    /* The guest writes three pages. */
    for (int i = 0; i < 3; i++) {
        stl_le_phys(&address_space_memory, 0x100000 + i * 0x3000, 0xdead);
    }
    s = memory_region_snapshot_and_clear_dirty(&ram, 0, 16 << 20,
                                               DIRTY_MEMORY_MIGRATION);
    printf("dirty pages to send:");
    for (hwaddr a = 0; a < (16 << 20); a += 4096) {
        if (memory_region_snapshot_get_dirty(&ram, s, a, 4096)) {
            printf(" 0x%" PRIx64, a);
        }
    }
    printf("\n");
    gm_dirty_snapshot_free(s);
    memory_global_dirty_log_stop(GLOBAL_DIRTY_MIGRATION);

    printf("unmap the firmware:\n");
    memory_region_del_subregion(sys, &rom);
    printf("unregister (the listener drops what it holds):\n");
    memory_listener_unregister(&kvm);

    gm_reset();
    gm_memory_region_destroy(&rom, &error_abort);
    gm_memory_region_destroy(&ram, &error_abort);
    return 0;
}
