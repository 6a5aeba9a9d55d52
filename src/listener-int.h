/* SPDX-License-Identifier: MIT */
/*
 * listener-int.h - private: walking the listener lists, for the files that
 * call listeners (listener.c, ioeventfd.c, coalesced.c, dirty-log.c).
 *
 * Both lists (every listener, and each address space's own) are sorted by
 * priority, ties in registration order: a forward walk goes head to tail,
 * a reverse walk tail to head, as QEMU 7.2 orders its calls.
 */
#ifndef GUESTMEM_LISTENER_INT_H
#define GUESTMEM_LISTENER_INT_H

#include <stddef.h>

#include "internal.h"

/* The order of a walk over listeners: QEMU's forward (by priority) or
 * reverse. */
typedef enum {
    FORWARD,
    REVERSE
} GmDirection;

/* Each listener of @as in @dir order. */
#define FOR_EACH_AS_LISTENER(l, as, dir)                              \
    for (MemoryListener *l = (dir) == FORWARD ? (as)->listeners       \
                                              : (as)->listeners_last; \
         l; l = (dir) == FORWARD ? l->as_next : l->as_prev)

/* Each listener of every address space in @dir order. */
#define FOR_EACH_LISTENER(l, dir)                                         \
    for (MemoryListener *l = (dir) == FORWARD ? gm__state.listeners       \
                                              : gm__state.listeners_last; \
         l; l = (dir) == FORWARD ? l->next : l->prev)

/* Calls the argument-less callback at @offset in MemoryListener of every
 * listener, in @dir order. */
void gm__listeners_call_global(size_t offset, GmDirection dir);
#define CALL_GLOBAL(field, dir) \
    gm__listeners_call_global(offsetof(MemoryListener, field), dir)

/* coalesced.c: tells the listeners of @as about the coalesced ranges of
 * fr->mr that @fr shows (added or, @add false, removed). */
void gm__coalesced_announce(AddressSpace *as, FlatView *fv, const FlatRange *fr,
                            bool add);

#endif /* GUESTMEM_LISTENER_INT_H */
