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
 * Importing rebuilds a region tree from any form QEMU 7.2 prints `info
 * mtree` in: the tree of `info mtree -D` (exactly), or of plain `info mtree`
 * (which hides disabled regions: imported only when the rebuilt tree prints
 * the same text), with or without -o owners, LF or CRLF line ends; beside it,
 * from `info mtree -f` of the same VM (with or without -d, -o and accelerator
 * marks), only what the tree cannot say: which `i/o` regions with
 * subregions fill their gaps, which ranges are read-only through an alias,
 * which childless `i/o` regions are empty containers.  The flat views are
 * always rendered from the rebuilt tree, and an import is checked before it
 * is returned: printed again, the tree must give the dump's lines, and the
 * rendered views the -f dump's ranges.  What does not is refused with one
 * line saying where, never imported differently.  gm_mtree_import_fprint()
 * prints an import with what the model has no field for (the dump's owners,
 * QEMU's order of flat views, the " KVM" marks), so that its output can be
 * compared with QEMU's own.
 *
 * Every input is bounded: dumps up to GM_MTREE_MAX_INPUT (512 MiB), files
 * that are not regular within 30 s, whatever a writer sends meanwhile.  A
 * running QEMU's QMP socket is read by the companion library
 * libguestmem-qmp (guestmem/qmp.h: gm_mtree_import_qmp()), within bounds
 * of its own.  Parsing, building,
 * checking and printing take time linear (printing: n log n) in the size of
 * the text, and no stack depth that grows with the tree.
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
 * @dump, the text of `info mtree -D` (or of plain `info mtree`, see above;
 * with or without -o).
 * @flat: NULL, the text of `info mtree -f` of the same VM (with or without
 *        -d and -o), or the facts that QEMU's oracle flat_hint.py (and
 *        gm_mtree_flat_hint()) extracts from it (told apart by content).
 *
 * The address spaces are created with address_space_init(), in the order of
 * the dump, and so appear in mtree_info() and gm_address_space_find().
 * Imported RAM is real anonymous host memory (reserved lazily); imported
 * MMIO regions have no device behind it: reads return 0 and writes are
 * ignored.
 *
 * A -D dump is read literally: every line is a region, the child of the
 * nearest line above it indented one level less, even when it lies outside
 * that region's window (QEMU allows that and clips it when rendering).  A
 * dump with no " [disabled]" line and no line indented two levels below the
 * one above reads the same either way.  Only a plain dump that shows hidden
 * regions (children printed one level deeper than their siblings) gets
 * stand-in disabled "(hidden)" containers, each just wide enough for what it
 * holds; such an import is refused when the stand-ins cannot give back the
 * same text.
 *
 * Errors: GM_ERR_PARSE with the line number (and "flat dump, line N" for
 * @flat): a line that is not `info mtree` text, bad indentation, an alias
 * whose target is never described, a region past 2^64, an alias cycle, an
 * `info mtree -f` dump given as @dump or a tree as @flat, a dump larger than
 * GM_MTREE_MAX_INPUT or naming more than GM_MTREE_MAX_SPACES address
 * spaces, an import that would not print the dump again, a rendered view
 * that differs from a whole @flat dump (not the same VM, or not the same
 * moment); GM_ERR_NO_MEMORY.  docs/ERRORS.md lists them all.
 * On error nothing is left behind: no region or address space survives.
 * Ownership: free the result with gm_mtree_import_free().
 * Context: update side.
 * Return: the import, or NULL on error.
 */
GM_API GmMtreeImport *gm_mtree_import(const char *dump, const char *flat,
                                      Error **errp);

/** GM_MTREE_MAX_INPUT: the largest dump (file, pipe or QMP answer) read. */
#define GM_MTREE_MAX_INPUT ((size_t)512 << 20)
/** GM_MTREE_MAX_SPACES: the most address spaces a dump may name. */
#define GM_MTREE_MAX_SPACES 16384

/**
 * gm_mtree_import_file: gm_mtree_import() on the contents of @path, with
 * @flat_path (or NULL).  A path that is not a regular file (a pipe, a
 * terminal, /dev/stdin) must deliver its text within 30 s.
 * Errors: as gm_mtree_import(), prefixed with @path; GM_ERR_IO (cannot open
 * or read, a directory, a socket, nothing within 30 s); GM_ERR_PARSE (a NUL
 * byte: not text; larger than GM_MTREE_MAX_INPUT).
 */
GM_API GmMtreeImport *gm_mtree_import_file(const char *path,
                                           const char *flat_path, Error **errp);

/**
 * gm_mtree_import_fprint: print the address spaces of @imp as QEMU printed
 * them: mtree_info()'s forms (@flatview, @dispatch_tree, @owner, @disabled
 * as there), with the owner text of the dump for each imported region, the
 * flat views and their address spaces in the order of the -f dump when one
 * was imported (QEMU's hash order; else creation order), and the
 * accelerator marks (" KVM") it showed.  -d shows guestmem's own dispatch
 * structure, not QEMU's.
 * Errors: GM_ERR_INVALID_ARG (@f or @imp NULL); GM_ERR_NOT_FOUND (@owner,
 * and the dump had no owners: it was not printed with -o).
 * Context: update side (reads the tree).
 * Return: 0, or a negative GmErrorCode.
 */
GM_API int gm_mtree_import_fprint(FILE *f, const GmMtreeImport *imp,
                                  bool flatview, bool dispatch_tree, bool owner,
                                  bool disabled, Error **errp);

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
