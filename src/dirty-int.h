/* SPDX-License-Identifier: MIT */
/*
 * dirty-int.h - private: the dirty bitmaps (dirty.c) and their inline
 * one-page marking on the store fast path.
 */
#ifndef GUESTMEM_DIRTY_INT_H
#define GUESTMEM_DIRTY_INT_H

#include "base.h"
#include "state.h"

/* --- dirty bitmaps (dirty.c) ------------------------------------------------ */
/* Sets the bits; caller inside an RCU read-side section. */
void gm__dirty_set(ram_addr_t start, ram_addr_t length, uint8_t mask);

#define GM_DIRTY_CHUNK_PAGES (UINT64_C(1) << 18) /* 1 GiB of 4 KiB pages */
#define GM_DIRTY_MAX_CHUNKS (1u << 16)           /* 64 TiB of RAM */
/* Per client, a slot per chunk: NULL (clean), the shared all-ones chunk,
 * or a chunk of its own (dirty.c). */

/* gm__dirty_set for the common case, inline: an access inside one page of
 * a chunk that exists.  A page already dirty costs a load per client, no
 * locked instruction. */
static inline void gm__dirty_mark(ram_addr_t start, ram_addr_t length,
                                  uint8_t mask)
{
    uint64_t page = start >> GM_DIRTY_PAGE_BITS;
    if (__builtin_expect(page != (start + length - 1) >> GM_DIRTY_PAGE_BITS ||
                             page >= __atomic_load_n(&gm__state.dirty_pages,
                                                     __ATOMIC_RELAXED),
                         0)) {
        gm__dirty_set(start, length, mask);
        return;
    }
    uint64_t bit = UINT64_C(1) << (page % 64);
    for (unsigned c = 0; mask; c++, mask >>= 1) {
        if (!(mask & 1)) {
            continue;
        }
        uint64_t **slots =
            __atomic_load_n(&gm__state.dirty_slots[c], __ATOMIC_ACQUIRE);
        uint64_t *chunk = __atomic_load_n(&slots[page / GM_DIRTY_CHUNK_PAGES],
                                          __ATOMIC_ACQUIRE);
        if (!chunk) {
            gm__dirty_set(start, length, (uint8_t)(1u << c));
            continue;
        }
        uint64_t *w = &chunk[(page % GM_DIRTY_CHUNK_PAGES) / 64];
        if (!(__atomic_load_n(w, __ATOMIC_RELAXED) & bit)) {
            __atomic_fetch_or(w, bit, __ATOMIC_RELAXED);
        }
    }
}
/* The chunk of its own of @client's bitmap that holds @page's bit, made
 * now if the slot is clean or all dirty (it stays for good); NULL when out
 * of memory or beyond the pages RAM blocks span. */
uint64_t *gm__dirty_chunk(unsigned client, uint64_t page);
/* Makes the bitmaps cover @pages pages (update side); false on OOM. */
bool gm__dirty_grow(uint64_t pages);
/* Frees the bitmaps (gm_reset, once no RAM block and no view is left). */
void gm__dirty_reset(void);

#endif /* GUESTMEM_DIRTY_INT_H */
