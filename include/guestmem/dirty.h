/* SPDX-License-Identifier: MIT */
/*
 * guestmem/dirty.h - dirty-page tracking over the ram_addr_t space.
 *
 * One bitmap per client (DIRTY_MEMORY_VGA, _CODE, _MIGRATION), one bit per
 * 4 KiB page of the ram_addr_t space that RAM blocks are placed in
 * (ramblock.h).  A page's bit is set for every client in the writing
 * region's dirty-log mask by every write path: address_space_write/rw and
 * the st*_phys helpers, address_space_write_rom, address_space_unmap of a
 * written mapping, MemoryRegionCache writes and
 * address_space_cache_invalidate, memory_region_set_dirty, and listeners'
 * log_sync (a KVM dirty log, for instance) through
 * cpu_physical_memory_set_dirty_range.  A region's mask is what
 * memory_region_set_log() asked for, plus DIRTY_MEMORY_MIGRATION on
 * migratable RAM while global dirty tracking is on (listener.h).  New and
 * resized RAM blocks start all dirty for every client, as in QEMU.
 *
 * Differences from QEMU: writes through the API set DIRTY_MEMORY_CODE bits
 * (QEMU turns them into translated-code invalidation, which guestmem does
 * not have); direct writes through a pointer from memory_region_get_ram_ptr
 * are not seen, as in QEMU.
 *
 * Thread-safety: setting, testing and snapshot-and-clear are lock-free and
 * may race with each other from any thread: bits are set with atomic ORs
 * and collected with atomic exchanges, so no write that completes before a
 * snapshot-and-clear is lost (it is in that snapshot or stays for the next
 * one).  Threads must be registered with RCU (gm_rcu_register_thread);
 * guestmem registers a thread on its first access.
 */
#ifndef GUESTMEM_DIRTY_H
#define GUESTMEM_DIRTY_H

#include <guestmem/region.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DIRTY_CLIENTS_ALL ((1 << DIRTY_MEMORY_NUM) - 1)
#define DIRTY_CLIENTS_NOCODE (DIRTY_CLIENTS_ALL & ~(1 << DIRTY_MEMORY_CODE))
/** The granule of the bitmaps (QEMU's TARGET_PAGE_SIZE on x86). */
#define GM_DIRTY_PAGE_BITS 12
#define GM_DIRTY_PAGE_SIZE (1u << GM_DIRTY_PAGE_BITS)

/**
 * DirtyBitmapSnapshot: the bits of one client over [start, end) of the
 * ram_addr_t space, taken and cleared at once.  Free with
 * gm_dirty_snapshot_free() (QEMU uses g_free()).
 */
typedef struct DirtyBitmapSnapshot DirtyBitmapSnapshot;

/**
 * cpu_physical_memory_set_dirty_range: mark [@start, @start + @length) of
 * the ram_addr_t space dirty for every client in @mask.  Pages beyond the
 * last RAM block are ignored.
 */
GM_API void cpu_physical_memory_set_dirty_range(ram_addr_t start,
                                                ram_addr_t length,
                                                uint8_t mask);
/** cpu_physical_memory_get_dirty: whether any page of the range is dirty
 * for @client (false for an invalid client). */
GM_API bool cpu_physical_memory_get_dirty(ram_addr_t start, ram_addr_t length,
                                          unsigned client);
/** cpu_physical_memory_test_and_clear_dirty: clear the range for @client.
 * Return: whether any page was dirty. */
GM_API bool cpu_physical_memory_test_and_clear_dirty(ram_addr_t start,
                                                     ram_addr_t length,
                                                     unsigned client);

/**
 * memory_region_get_dirty: whether any page of [@addr, @addr + @size) of RAM
 * region @mr is dirty for @client.  An invalid @mr, one without host
 * memory, or a range outside it is reported to the error handler and reads
 * as clean.  Context: any thread.
 */
GM_API bool memory_region_get_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size,
                                    unsigned client);
/** memory_region_set_dirty: mark the range dirty for the clients in @mr's
 * dirty-log mask.  Errors as memory_region_get_dirty(). */
GM_API void memory_region_set_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size);
/** memory_region_reset_dirty: clear the range for @client.  Errors as
 * memory_region_get_dirty(). */
GM_API void memory_region_reset_dirty(MemoryRegion *mr, hwaddr addr,
                                      hwaddr size, unsigned client);
/**
 * memory_region_snapshot_and_clear_dirty: first have the listeners sync
 * their logs into the bitmaps (log_sync for @mr), then take the bits of
 * @client over the range, widened to whole 64-page words as QEMU does, and
 * clear them atomically; then tell listeners log_clear and
 * log_global_after_sync.
 * Return: the snapshot (free with gm_dirty_snapshot_free()), or NULL after
 * reporting an error (invalid arguments, out of memory).
 */
GM_API DirtyBitmapSnapshot *
memory_region_snapshot_and_clear_dirty(MemoryRegion *mr, hwaddr addr,
                                       hwaddr size, unsigned client);
/** memory_region_snapshot_get_dirty: whether @snap has any page of
 * [@addr, @addr + @size) of @mr dirty; false (and an error) if the range is
 * outside the snapshot. */
GM_API bool memory_region_snapshot_get_dirty(MemoryRegion *mr,
                                             DirtyBitmapSnapshot *snap,
                                             hwaddr addr, hwaddr size);
/**
 * gm_memory_region_get_dirty_bitmap: @client's bit of every page of
 * [@addr, @addr + @size) of RAM region @mr, as they are now, without
 * clearing them (the per-page query of a whole range, one walk over the
 * bitmap's words instead of a call per page): bit i of @bitmap (word
 * i / 64, bit i % 64) is the i-th 4 KiB page of the ram_addr_t space from
 * the one holding @addr.  @bitmap has room for
 * ((offset of @addr in its page) + @size + 4095) / 4096 bits, rounded up
 * to whole uint64_t words; bits past the range are written as zero.  It
 * does not ask listeners to sync their logs first (as
 * memory_region_snapshot_and_clear_dirty does).
 * Return: the number of dirty pages; 0 (and @bitmap untouched) after
 * reporting an invalid region, range or client to the error handler.
 * Context: any thread.
 */
GM_API uint64_t gm_memory_region_get_dirty_bitmap(MemoryRegion *mr, hwaddr addr,
                                                  hwaddr size, unsigned client,
                                                  uint64_t *bitmap);
/** gm_dirty_snapshot_free: free @snap (NULL is a no-op). */
GM_API void gm_dirty_snapshot_free(DirtyBitmapSnapshot *snap);
/** gm_dirty_snapshot_range: the ram_addr_t range the snapshot covers. */
GM_API void gm_dirty_snapshot_range(const DirtyBitmapSnapshot *snap,
                                    ram_addr_t *start, ram_addr_t *end);

/**
 * gm_dirty_count: the number of dirty pages of @client in
 * [@start, @start + @length) of the ram_addr_t space (a scan of the
 * bitmap: what a migration loop does to size its work).
 */
GM_API uint64_t gm_dirty_count(ram_addr_t start, ram_addr_t length,
                               unsigned client);

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_DIRTY_H */
