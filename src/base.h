/* SPDX-License-Identifier: MIT */
/*
 * base.h - what every file of src/ shares: invariant checks, the
 * 128-bit type and range arithmetic, publication to RCU readers and its
 * ThreadSanitizer annotations, error reporting, and string helpers.
 *
 * Nothing here is part of the API.  Conventions used throughout src/:
 *  - ranges are closed, [start, last], in 64 bits; only rendering works in
 *    128-bit arithmetic, because a region can be 2^64 bytes long and aliases
 *    can move the base below zero;
 *  - functions named gm__* are shared between files; static helpers are not
 *    prefixed;
 *  - every public entry checks its arguments before changing anything;
 *  - each concept has its private header (state.h, region-int.h,
 *    ramblock-int.h, view.h, render-int.h, commit-int.h, listener-int.h,
 *    dirty-int.h, access-int.h); a file includes those it uses.
 */
#ifndef GUESTMEM_BASE_H
#define GUESTMEM_BASE_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu/urcu-memb.h>

#include <guestmem/guestmem.h>
#include <guestmem/listener.h>
#include <guestmem/dirty.h>
#include <guestmem/ramblock.h>

/* Cheap invariant checks on our own state (never on caller input). */
#define gm_assert(x)                                 \
    do {                                             \
        if (!(x)) {                                  \
            gm__assert_fail(#x, __FILE__, __LINE__); \
        }                                            \
    } while (0)
#ifdef GM_EXPENSIVE_CHECKS
#define gm_assert_expensive(x) gm_assert(x)
#else
#define gm_assert_expensive(x) ((void)0)
#endif
void gm__assert_fail(const char *expr, const char *file, int line)
    __attribute__((noreturn));

typedef unsigned __int128 gm_u128;

/* Publication of a pointer to readers (release) and its reading
 * (acquire).  On x86 both are plain moves; written with C11 atomics so
 * that ThreadSanitizer sees the ordering that RCU relies on. */
#define gm_publish(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define gm_consume(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)

/* ThreadSanitizer cannot see liburcu's grace periods (membarrier); these
 * annotations give it the same edges: every read-side section's end
 * happens before any reclamation that waited for it. */
#if defined(__SANITIZE_THREAD__)
#define GM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define GM_TSAN 1
#endif
#endif
#ifdef GM_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
extern char gm__tsan_grace;
#define gm_tsan_reader_done() __tsan_release(&gm__tsan_grace)
#define gm_tsan_grace_over() __tsan_acquire(&gm__tsan_grace)
#else
#define gm_tsan_reader_done() ((void)0)
#define gm_tsan_grace_over() ((void)0)
#endif

/* --- errors ----------------------------------------------------------- */
struct Error {
    GmErrorCode code;
    char *msg;
};
/* Hands @err to the installed handler (for QEMU's void functions), then
 * frees it.  NULL is a no-op. */
void gm__report(Error *err);

/* --- ranges ---------------------------------------------------------- */
/* Whether [@addr, @addr + @len) goes past the last address, 2^64 - 1: such
 * an access, map or cache is refused whole (it would otherwise wrap to
 * address 0). */
static inline bool gm__crosses_2p64(hwaddr addr, hwaddr len)
{
    return len && addr + (len - 1) < addr;
}

/* Last byte of a region of size @size placed at @addr, or false when the
 * region would go past 2^64 (a size of 0 never overflows). */
static inline bool gm__fits(hwaddr addr, gm_u128 size)
{
    return (gm_u128)addr + size <= ((gm_u128)1 << 64);
}
static inline gm_u128 gm__size_from_u64(uint64_t size)
{
    return size == UINT64_MAX ? ((gm_u128)1 << 64) : size;
}

/* --- small helpers -------------------------------------------------------- */
char *gm__strdup(const char *s);
char *gm__asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* GUESTMEM_BASE_H */
