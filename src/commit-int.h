/* SPDX-License-Identifier: MIT */
/*
 * commit-int.h - private: the commit (commit.c), which every change to the
 * region tree goes through.
 */
#ifndef GUESTMEM_COMMIT_INT_H
#define GUESTMEM_COMMIT_INT_H

#include "base.h"
#include "view.h"

/* --- the commit (commit.c) -------------------------------------------------
 * Every change to the tree runs inside gm__begin() .. gm__commit() and
 * calls gm__mark() on the region it changes, before and after the change:
 * the commit re-renders what was marked. */
/* Commit rounds in a row for changes listener callbacks make (listener.h). */
#define GM_COMMIT_ROUNDS 1024
void gm__begin(void);
void gm__commit(void);
/* Does the work left pending (outside any transaction, lock held). */
void gm__commit_outermost(void);
/* The windows @mr's extent shows in must be rendered again. */
void gm__mark(MemoryRegion *mr);
/* The ioeventfds of @mr changed: recompute them where it shows. */
void gm__mark_fds(MemoryRegion *mr);
/* Every view must be rendered whole. */
void gm__mark_all(void);
/* The lineage of views of an address space rooted at @root: the existing
 * one of its flat-view root, or a whole render; NULL when out of memory. */
struct GmLineage *gm__lineage_of(MemoryRegion *root);
/* Ends every lineage (gm_reset, once no address space is left). */
void gm__lineages_end_all(void);
/* Ends @lin if no address space shows it any more (its views stay until
 * released; what they name is then freed). */
void gm__lineage_release(struct GmLineage *lin);

#endif /* GUESTMEM_COMMIT_INT_H */
