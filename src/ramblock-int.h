/* SPDX-License-Identifier: MIT */
/*
 * ramblock-int.h - private: RAM blocks (ramblock.c), their place in the
 * ram_addr_t space (ram-offsets.c), and the RAM-device ops.
 */
#ifndef GUESTMEM_RAMBLOCK_INT_H
#define GUESTMEM_RAMBLOCK_INT_H

#include <urcu/list.h>

#include "base.h"

/* --- RAM blocks ------------------------------------------------------- */
struct RAMBlock {
    MemoryRegion *mr;
    uint8_t *host;     /* first byte of guest memory */
    ram_addr_t offset; /* in the ram_addr_t space */
    ram_addr_t used_length;
    ram_addr_t max_length;
    void (*resized)(const char *idstr, uint64_t length, void *host);
    uint32_t flags;
    int fd; /* -1 for anonymous memory */
    size_t page_size;
    void *mmap_base; /* what to munmap, or NULL if not ours */
    size_t mmap_size;
    struct cds_list_head link; /* gm__state.ram_blocks: newest first */
    uint64_t seq;              /* creation order (ram-offsets.c) */
    uint64_t gap;              /* free bytes after its rounded end */
    bool gap_last;             /* no block after it */
    char *idstr;               /* QEMU's id, at most 255 characters */
};
RAMBlock *gm__ramblock_new_anon(MemoryRegion *mr, uint64_t size,
                                uint64_t max_size, uint32_t flags,
                                Error **errp);
RAMBlock *gm__ramblock_new_ptr(MemoryRegion *mr, uint64_t size, void *host);
RAMBlock *gm__ramblock_new_fd(MemoryRegion *mr, uint64_t size, uint32_t flags,
                              int fd, uint64_t offset, bool readonly,
                              Error **errp);
RAMBlock *gm__ramblock_new_file(MemoryRegion *mr, uint64_t size, uint64_t align,
                                uint32_t flags, const char *path, bool readonly,
                                Error **errp);
void gm__ramblock_free(RAMBlock *rb);
/* The list of every RAM block (gm__state.ram_blocks), made empty on first
 * use. */
struct cds_list_head *gm__blocks(void);
/* ram-offsets.c: the blocks sorted by offset, with a histogram of the
 * gaps between them (held in GmState). */
typedef struct GmRamOffsets {
    RAMBlock **buf; /* cap slots: head free ones, then the n blocks */
    RAMBlock **v;   /* buf + head: the blocks, sorted by offset */
    size_t head, n, cap;
    uint64_t hist[64]; /* finite, non-zero gaps by floor(log2) */
    uint64_t seq;
} GmRamOffsets;
/* ram-offsets.c: QEMU's find_ram_offset, fast; and the index behind it. */
uint64_t gm__ram_offset_find(uint64_t size);
bool gm__ram_offset_insert(RAMBlock *rb);
void gm__ram_offset_remove(RAMBlock *rb);
/* Host memory behind RAM devices is accessed through these ops. */
extern const MemoryRegionOps gm__ram_device_ops;
/* The RAM block whose host memory contains @host, or NULL. */
RAMBlock *gm__ramblock_from_host(const void *host, ram_addr_t *offset);

#endif /* GUESTMEM_RAMBLOCK_INT_H */
