/* SPDX-License-Identifier: MIT */
/*
 * guestmem/ramblock.h - RAM blocks and the host memory behind them.
 *
 * Every RAM, ROM and ROM-device region owns one RAMBlock: its host memory,
 * its id (idstr), its used and maximum length, and its offset in the
 * ram_addr_t space (the space of the dirty bitmaps, dirty.h), chosen as
 * QEMU's find_ram_offset chooses it.  The block list is kept in QEMU's
 * order (largest maximum length first), which is the order of
 * `info ramblock`.
 *
 * Host memory comes from a memory backend (gm_memory_region_init_backend):
 * anonymous memory, a memfd, or a file (mem-path, including hugetlbfs),
 * shared or private, preallocated or populated on first touch, with QEMU's
 * madvise choices: MADV_HUGEPAGE on all guest RAM, MADV_MERGEABLE when
 * merging is on (QEMU's default), MADV_DONTDUMP when guest memory is kept
 * out of core dumps (off by default, as QEMU's dump-guest-core=on).
 * guestmem does not apply QEMU's MADV_DONTFORK: a library must not break
 * fork() in the program that embeds it, and the kernels that needed it for
 * KVM are long gone.
 *
 * Ids: a block's id is its region's name (up to 255 bytes).  Blocks
 * registered for migration (memory_region_init_ram, _rom, _rom_device,
 * any block made with RAM_MIGRATABLE, backends without @nomigrate) must
 * have distinct ids, as in QEMU, which names
 * blocks by id in its migration stream: a second one is refused with
 * GM_ERR_DUPLICATE ('RAMBlock "pc.bios" already registered'; QEMU 7.2
 * prints that and aborts).  Blocks not registered (_nomigrate, resizeable
 * RAM, a caller's pointer) may share a name; qemu_ram_block_by_name()
 * finds the newest.
 *
 * Files (memory_region_init_ram_from_file, _from_fd, GM_BACKEND_FILE):
 *  - The file must hold every page the block maps: offset plus the size
 *    rounded up to the page size (QEMU 7.2's check).  A smaller file is
 *    refused with GM_ERR_INVALID_ARG (QEMU: "backing store size 0x5 does
 *    not match 'size' option 0x10000"), because a guest access to a page
 *    past the end of a file would raise SIGBUS and end the process.
 *  - A file that holds data is never grown, truncated or written to by
 *    opening it, whether the open succeeds or fails; with RAM_SHARED the
 *    guest's stores reach it (that is what sharing asks for), without it
 *    they stay private.  An empty file, and a file created at a path that
 *    did not exist (mode 0600, removed again if the call fails), is sized
 *    to the block, as QEMU does.  A directory gets an unlinked temporary
 *    file.
 *  - Read-only (@readonly): the file is opened read-only and must exist
 *    and be large enough (QEMU 7.2 accepts an empty one and would raise
 *    SIGBUS on the first access); the region is made read-only, as QEMU
 *    does, so the guest's stores are dropped; the mapping is private, so
 *    not even a store through the host pointer can fault or reach the file.
 *  - What cannot be checked: another process truncating the file later
 *    (a memfd from GM_BACKEND_MEMFD is sealed against it), and huge pages
 *    running out under a lazily populated hugetlbfs or hugetlb memfd
 *    block; both raise SIGBUS on access, as in QEMU.  Preallocate
 *    (@prealloc) to find the second at creation.
 *
 * Thread-safety: creation, resizing and destruction take the update lock;
 * the lookups below take it too and may be called from any thread.
 */
#ifndef GUESTMEM_RAMBLOCK_H
#define GUESTMEM_RAMBLOCK_H

#include <stdio.h>

#include <guestmem/region.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RAM_ADDR_INVALID (~(ram_addr_t)0)

/** qemu_ram_block_by_name: the block whose idstr is @name, or NULL. */
GM_API RAMBlock *qemu_ram_block_by_name(const char *name);
/**
 * qemu_ram_block_from_host: the block whose host memory holds @ptr, or
 * NULL.  *@offset (if not NULL) receives the offset of @ptr in the block,
 * rounded down to the block's page size if @round_offset.
 */
GM_API RAMBlock *qemu_ram_block_from_host(void *ptr, bool round_offset,
                                          ram_addr_t *offset);
/** memory_region_from_host: the region of that block, or NULL. */
GM_API MemoryRegion *memory_region_from_host(void *ptr, ram_addr_t *offset);

/** Accessors of a block (QEMU's names); @rb must be a live block. */
GM_API const char *qemu_ram_get_idstr(RAMBlock *rb);
GM_API ram_addr_t qemu_ram_get_offset(RAMBlock *rb);
GM_API ram_addr_t qemu_ram_get_used_length(RAMBlock *rb);
GM_API ram_addr_t qemu_ram_get_max_length(RAMBlock *rb);
GM_API void *qemu_ram_get_host_addr(RAMBlock *rb);
GM_API size_t qemu_ram_pagesize(RAMBlock *rb);
GM_API bool qemu_ram_is_shared(RAMBlock *rb);
GM_API bool qemu_ram_is_migratable(RAMBlock *rb);
/** qemu_ram_get_fd: the backing file descriptor, or -1 (anonymous). */
GM_API int qemu_ram_get_fd(RAMBlock *rb);
/** memory_region_get_fd: the descriptor behind @mr (through aliases). */
GM_API int memory_region_get_fd(MemoryRegion *mr);

/** RAMBlockIterFunc: called per block; a non-zero return stops the walk. */
typedef int(RAMBlockIterFunc)(RAMBlock *rb, void *opaque);
/** qemu_ram_foreach_block: @func on every block in list order.
 * Return: the first non-zero result, or 0. */
GM_API int qemu_ram_foreach_block(RAMBlockIterFunc func, void *opaque);

/**
 * qemu_ram_resize: resize @block to @newsize bytes, by QEMU 7.2's rules.
 *
 * When @newsize rounded up to the host page size is the block's used
 * length (same host pages), any block, resizeable or not, accepts it: the
 * region's size becomes exactly @newsize and, if that changed it, the
 * resized hook runs with @newsize; the same size is a no-op.  Otherwise
 * the block must be resizeable (memory_region_init_resizeable_ram) and
 * @newsize at most its maximum length: the used length becomes @newsize
 * rounded up to the host page, the region's size @newsize, the old used
 * range is cleaned and the new one starts dirty for every client, and the
 * resized hook runs (after the update lock is dropped) with @newsize.
 * Contents are kept: a shrink does not discard the memory past the new end.
 *
 * Errors (nothing changes: lengths, region size, contents, dirty bits;
 * the hook does not run):
 * GM_ERR_INVALID_ARG: @block NULL; @newsize 0; more than the maximum
 *   length, including sizes that would wrap when rounded up, such as
 *   UINT64_MAX ("Size too large: etc/acpi/tables: 0x20000 > 0x10000 (the
 *   block's maximum)", QEMU's words and the request as given);
 * GM_ERR_WRONG_KIND: a block that is not resizeable asked for other host
 *   pages ("Size mismatch: NAME: 0x40000 != 0x80000 ...", QEMU's words).
 * Context: takes the update lock; not from a listener or the hook.
 * Return: 0 or a negative GmErrorCode.
 */
GM_API int qemu_ram_resize(RAMBlock *block, ram_addr_t newsize, Error **errp);
/** memory_region_ram_resize: qemu_ram_resize() of @mr's block; errors as
 * there, and GM_ERR_WRONG_KIND for a region without a block. */
GM_API void memory_region_ram_resize(MemoryRegion *mr, ram_addr_t newsize,
                                     Error **errp);

/**
 * ram_block_format: `info ramblock` as QEMU 7.2 prints it (a header, then
 * one line per block in list order: idstr, page size, offset, used and
 * total length).  Return: a malloc'd string, or NULL when out of memory.
 */
GM_API char *ram_block_format(void);
/** gm_ramblock_info_fprint: ram_block_format() to @f. */
GM_API void gm_ramblock_info_fprint(FILE *f);

/* --- memory backends ---------------------------------------------------- */

typedef enum GmBackendKind {
    GM_BACKEND_RAM,   /* anonymous memory (memory-backend-ram) */
    GM_BACKEND_MEMFD, /* a memfd (memory-backend-memfd) */
    GM_BACKEND_FILE,  /* a file or a directory (memory-backend-file) */
} GmBackendKind;

/**
 * struct GmBackendConfig - a host memory backend, as QEMU's
 * memory-backend-* objects describe one.  Zero-initialise, then set:
 * @kind and @size (bytes, a multiple of the page size of the memory);
 * @mem_path: for GM_BACKEND_FILE, a file or a directory, such as a
 *   hugetlbfs mount (an unlinked temporary file is made in it).  A file
 *   that does not exist is created and sized; an existing file must hold
 *   @size bytes rounded up to the page, and is never grown or truncated
 *   (an empty one is sized, as QEMU does): see "Files" above;
 * @share: MAP_SHARED (a memfd is always shared, as QEMU's default);
 * @prealloc: populate every page now (what -mem-prealloc does), so the
 *   guest never faults and a host that cannot provide the memory fails
 *   here, with an error, rather than later with SIGBUS;
 * @hugetlb, @hugetlbsize: for GM_BACKEND_MEMFD, huge pages (0: the default
 *   huge page size);
 * @no_merge: do not ask for MADV_MERGEABLE (QEMU's mem-merge=off);
 * @no_dump: MADV_DONTDUMP (QEMU's dump-guest-core=off);
 * @no_reserve: MAP_NORESERVE (QEMU's reserve=off): no swap is reserved,
 *   so a block larger than the host's memory can be made and described,
 *   and the host runs out only if the guest touches too much of it;
 * @nomigrate: leave RAM_MIGRATABLE off (global dirty tracking skips it).
 */
typedef struct GmBackendConfig {
    GmBackendKind kind;
    uint64_t size;
    const char *mem_path;
    bool share;
    bool prealloc;
    bool hugetlb;
    uint64_t hugetlbsize;
    bool no_merge;
    bool no_dump;
    bool no_reserve;
    bool nomigrate;
} GmBackendConfig;

/**
 * gm_memory_region_init_backend: initialise @mr as RAM called @name over a
 * new backend described by @cfg.  A memfd is sized to @size rounded up to
 * its page size (the huge page size with @hugetlb) and sealed.
 * Errors (nothing is left allocated or created, no existing file is
 * changed, @mr stays uninitialised):
 * GM_ERR_INVALID_ARG (size 0 or above 2^62, a path missing for a file
 * backend, hugetlb on a non-memfd backend, an existing file smaller than
 * @size rounded up to its page: see "Files" above), GM_ERR_DUPLICATE (a
 * registered block is called @name already), GM_ERR_IO (the file or memfd
 * cannot be opened, created, sized or mapped; no hugepages; the host's
 * reason is in the message), GM_ERR_NO_MEMORY (the host cannot provide or
 * preallocate @size bytes).
 * Context: update side; takes the update lock.
 * Return: true on success.
 */
GM_API bool gm_memory_region_init_backend(MemoryRegion *mr, Object *owner,
                                          const char *name,
                                          const GmBackendConfig *cfg,
                                          Error **errp);

/* --- system RAM over NUMA nodes ------------------------------------------ */

/* Host memory policies for GmNumaNode.policy (the kernel's MPOL_*). */
#define GM_MPOL_DEFAULT 0
#define GM_MPOL_PREFERRED 1
#define GM_MPOL_BIND 2
#define GM_MPOL_INTERLEAVE 3

/**
 * struct GmNumaNode - one guest NUMA node's RAM.
 * @backend: its memory, a region from gm_memory_region_init_backend() (or
 *   any RAM region) not mapped anywhere;
 * @host_nodes: bitmap of host nodes (bit n = node n) to bind the memory to
 *   with @policy, or 0 to leave the host's policy alone.
 */
typedef struct GmNumaNode {
    MemoryRegion *backend;
    uint64_t host_nodes;
    int policy;
} GmNumaNode;

/**
 * gm_memory_region_allocate_system_memory: system RAM as seed 002 describes
 * QEMU's memory_region_allocate_system_memory.  Without nodes, @mr becomes
 * plain RAM of @ram_size.  With nodes, @mr becomes a container of
 * @ram_size holding each node's backend one after the other, each bound to
 * its host nodes where the host has NUMA.
 * Errors (nothing changes; @mr stays uninitialised): GM_ERR_IN_USE (a
 * backend used twice, or already mapped: "used multiple times"),
 * GM_ERR_INVALID_ARG (the nodes' sizes do not add up to @ram_size, a
 * backend that is not RAM), GM_ERR_UNSUPPORTED (the host refuses the memory
 * policy, e.g. no such host node, or no NUMA support: the reason is in the
 * message), GM_ERR_NO_MEMORY.
 * Return: true on success.
 */
GM_API bool gm_memory_region_allocate_system_memory(
    MemoryRegion *mr, Object *owner, const char *name, uint64_t ram_size,
    const GmNumaNode *nodes, unsigned nr_nodes, Error **errp);

/* --- sizes on the command line ------------------------------------------ */

/**
 * gm_parse_ram_size: read QEMU's -m option as QEMU 7.2 does, into *@out
 * (bytes).  @text is the size, optionally as "size=SIZE".  It must first
 * be a valid size in bytes for gm_parse_size() (so "1.5" is refused: a
 * fraction of a byte); then, when it ends in a digit, it is read again as
 * MiB ("128" is 128 MiB, "010" is 10 MiB, "0x10" is 16 MiB: QEMU 7.2 reads
 * it so and warns that a unit on hex is deprecated); with a unit it means
 * what it says ("1.5G", "1B").  *@out is 0 for "0", which QEMU reads as
 * the machine's default size (128 MiB for pc): the caller substitutes it.
 * Rounding to the machine's granularity (8 KiB for pc) is the machine's.
 * @out: set only on success.
 *
 * Errors (*@out unchanged): GM_ERR_PARSE (not a size; "17592186044416"
 * MiB and more is 2^64 bytes or more), GM_ERR_UNSUPPORTED (",slots=",
 * ",maxmem=": guestmem has no memory hotplug), GM_ERR_INVALID_ARG (@text
 * or @out NULL), GM_ERR_NO_MEMORY.  The message starts with "-m".
 * Context: any thread.
 * Return: 0 or a negative GmErrorCode.
 */
GM_API int gm_parse_ram_size(const char *text, uint64_t *out, Error **errp);

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_RAMBLOCK_H */
