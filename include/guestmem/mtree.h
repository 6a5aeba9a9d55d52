/* SPDX-License-Identifier: MIT */
/*
 * guestmem/mtree.h - `info mtree`: printing, importing and explaining.
 *
 * Printing reproduces QEMU 7.2's monitor command byte for byte: the tree of
 * every address space (grouped by root), the regions aliased from it, and
 * with @flatview the rendered FlatView of every address space (grouped by
 * shared view).  QEMU prints groups in hash-table order, which carries no
 * meaning; guestmem prints them in creation order.  `-o` prints guestmem's
 * owners in QEMU's layout; `-d` prints guestmem's own dispatch structure.
 *
 * Importing rebuilds a region tree from the text of `info mtree -D` (and,
 * best effort, of plain `info mtree`), taking from an `info mtree -f` dump of
 * the same VM only what the -D text cannot say (which `i/o` regions with
 * subregions fill their gaps, which ranges are read-only through an alias,
 * which childless `i/o` regions are empty containers).  The flat views are
 * always rendered from the rebuilt tree.
 */
#ifndef GUESTMEM_MTREE_H
#define GUESTMEM_MTREE_H

#include <stdio.h>

#include <guestmem/address-space.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * mtree_info: print `info mtree` to stdout, as QEMU 7.2 does.
 * @flatview: print the flat views (`-f`) instead of the trees.
 * @dispatch_tree: with @flatview, add each view's dispatch structure (`-d`).
 * @owner: add owners (`-o`).
 * @disabled: show disabled regions too, marked ` [disabled]` (`-D`).
 * Context: update side (reads the tree).
 */
GM_API void mtree_info(bool flatview, bool dispatch_tree, bool owner,
                       bool disabled);

/** gm_mtree_fprint: mtree_info() to @f. */
GM_API void gm_mtree_fprint(FILE *f, bool flatview, bool dispatch_tree,
                            bool owner, bool disabled);

/** GmMtreeImport: the regions and address spaces rebuilt from a dump. */
typedef struct GmMtreeImport GmMtreeImport;

/**
 * gm_mtree_import: rebuild the regions and address spaces described by
 * @dump (the text of `info mtree -D`, or of plain `info mtree`).
 * @flat: NULL, the text of `info mtree -f` of the same VM, or the hint that
 *        QEMU's oracle flat_hint.py extracts from it (detected by content).
 *
 * The address spaces are created with address_space_init() and so appear in
 * mtree_info() and gm_address_space_find().  Imported RAM is real anonymous
 * host memory (reserved lazily); imported MMIO regions have no device behind
 * them: reads return 0 and writes are ignored.
 *
 * Errors: GM_ERR_PARSE with the line number for malformed text (bad line
 * syntax, bad indentation, an alias whose target is never described, a
 * region past 2^64, an alias cycle); GM_ERR_NO_MEMORY.  On error nothing is
 * left behind: no region or address space survives.
 * Ownership: free the result with gm_mtree_import_free().
 * Context: update side.
 * Return: the import, or NULL on error.
 */
GM_API GmMtreeImport *gm_mtree_import(const char *dump, const char *flat,
                                      Error **errp);

/**
 * gm_mtree_import_file: gm_mtree_import() on the contents of @path, with
 * @flat_path (or NULL).  Errors as gm_mtree_import(), plus GM_ERR_IO.
 */
GM_API GmMtreeImport *gm_mtree_import_file(const char *path,
                                           const char *flat_path, Error **errp);

/**
 * gm_mtree_import_qmp: ask a running QEMU for `info mtree -D` and
 * `info mtree -f` through its QMP socket (human-monitor-command) and import
 * them.  @socket_path: the path of a unix socket (QEMU's
 * `-qmp unix:PATH,server=on,wait=off`).
 * Errors: GM_ERR_IO (connect, read or write failed, or timed out after
 * 10 s), GM_ERR_PARSE (not a QMP peer, or QEMU answered with an error), and
 * those of gm_mtree_import().
 */
GM_API GmMtreeImport *gm_mtree_import_qmp(const char *socket_path,
                                          Error **errp);

/**
 * gm_qmp_hmp: run the monitor command @cmd through the QMP socket
 * @socket_path and return its output (malloc'd; free() it), or NULL on error
 * (GM_ERR_IO, GM_ERR_PARSE).
 */
GM_API char *gm_qmp_hmp(const char *socket_path, const char *cmd, Error **errp);

/**
 * gm_mtree_flat_hint: extract from an `info mtree -f` dump (@flat) the facts
 * that the -D dump @dump cannot say, in the format of QEMU's oracle
 * flat_hint.py.  Return: malloc'd text (free() it), or NULL with GM_ERR_PARSE.
 */
GM_API char *gm_mtree_flat_hint(const char *dump, const char *flat,
                                Error **errp);

/** gm_mtree_import_free: destroy what the import built.  NULL: no-op. */
GM_API void gm_mtree_import_free(GmMtreeImport *imp);

/**
 * gm_explain_fprint: print to @f which region serves @addr in @as and why:
 * the chain of containers and aliases from the root, at each level the
 * candidates that cover the address with their priorities and the rule that
 * picked one (priority, or age among equal priorities), and the offset inside
 * the final region; then the flat-view range that serves it.
 * Return: true if something serves @addr, false if it is unassigned (which
 * is also printed).
 */
GM_API bool gm_explain_fprint(FILE *f, AddressSpace *as, hwaddr addr);

/**
 * gm_resolve: the naive reference for one address: walk the tree of @as from
 * its root, as rendering would, and report the region that serves @addr.
 * @out: filled with the region, the offset inside it, and the read-only and
 * nonvolatile state accumulated on the way (size is 1).
 * Return: false if nothing serves @addr.  Slow (linear in the tree); used by
 * tests and by gm_explain_fprint().
 */
GM_API bool gm_resolve(MemoryRegion *root, hwaddr addr,
                       MemoryRegionSection *out);

/**
 * gm_parse_size: read a size in bytes as QEMU 7.2 reads one (qemu_strtosz,
 * the sizes of -object and -machine options) into *@out.
 * @text: decimal digits with an optional fraction ("1.5G"), or 0x and hex
 *   digits (no fraction), then at most one unit, B, K, M, G, T, P or E in
 *   either case (powers of 1024); no unit is bytes.  Leading zeros are
 *   decimal ("010" is 10).  Nothing may follow the unit ("1GB", "1GiB" are
 *   refused, as in QEMU).  A fraction is exact, rounded half up to the
 *   byte (QEMU 7.2 rounds it through a double first: the two agree up to
 *   P, and differ by a few bytes at E, where QEMU 7.2 also drops a fraction
 *   that rounds to 1.0: 15.99999999999999999E is 2^64 - 12 here, 15E there).
 * @out: set only on success.
 *
 * Errors (*@out unchanged): GM_ERR_PARSE for empty text, a sign or space
 * in front, an unknown unit or text after it, a fraction without a unit or
 * after hex, and a value of 2^64 or more ("16E", "0x10000000000000000");
 * GM_ERR_NO_MEMORY.  For -m, where a number without a unit is MiB, see
 * gm_parse_ram_size() in ramblock.h.
 * Context: any thread.
 * Return: 0 or a negative GmErrorCode.
 */
GM_API int gm_parse_size(const char *text, uint64_t *out, Error **errp);

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_MTREE_H */
