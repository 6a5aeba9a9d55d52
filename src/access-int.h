/* SPDX-License-Identifier: MIT */
/*
 * access-int.h - private: the translation the access path (access.c) and
 * the mappings and caches (map.c) share.
 */
#ifndef GUESTMEM_ACCESS_INT_H
#define GUESTMEM_ACCESS_INT_H

#include "base.h"
#include "view.h"

/* address_space_translate() in view @fv (caller inside a read-side
 * section; *@len in/out, at least 1), and whether the path is read-only,
 * from the same view. */
MemoryRegion *gm__translate(struct FlatView *fv, hwaddr addr, hwaddr *xlat,
                            hwaddr *len, bool is_write, MemTxAttrs attrs,
                            bool *readonly);
/* Forgets the clients waiting for the bounce buffer (gm_reset; map.c). */
void gm__map_reset(void);

#endif /* GUESTMEM_ACCESS_INT_H */
