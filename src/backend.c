// SPDX-License-Identifier: MIT
/*
 * backend.c - host memory backends (QEMU's memory-backend-ram, -memfd and
 * -file): where guest RAM comes from, how it is mapped, and whether it is
 * populated up front.  The mapping itself is ramblock.c's; this file turns
 * a GmBackendConfig into the right descriptor and flags, preallocates, and
 * applies QEMU's madvise choices.
 */
#define _GNU_SOURCE
#include "base.h"
#include "region-int.h"
#include "ramblock-int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004U
#endif
#define MFD_HUGE_SHIFT 26

static int check_config(const GmBackendConfig *cfg, Error **errp)
{
    if (!cfg) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG, "backend: no config");
    }
    if (cfg->size == 0 || cfg->size > (UINT64_C(1) << 62)) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "backend: size 0x%" PRIx64 " is out of range",
                             cfg->size);
    }
    if (cfg->kind == GM_BACKEND_FILE && (!cfg->mem_path || !*cfg->mem_path)) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "backend: a file backend needs mem-path");
    }
    if (cfg->hugetlb && cfg->kind != GM_BACKEND_MEMFD) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "backend: hugetlb applies to memfd backends; "
                             "for files, give a hugetlbfs mem-path");
    }
    if (cfg->kind > GM_BACKEND_FILE) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "backend: unknown kind %d", (int)cfg->kind);
    }
    return 0;
}

/* A memfd of @size bytes rounded up to its page size (so that the mapping
 * of whole pages is backed: QEMU 7.2 refuses a memfd backend whose size is
 * not a multiple of the page); -1 after setting an error. */
static int make_memfd(const char *name, const GmBackendConfig *cfg,
                      Error **errp)
{
    unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
    if (cfg->hugetlb) {
        flags |= MFD_HUGETLB;
        if (cfg->hugetlbsize) {
            unsigned shift = (unsigned)__builtin_ctzll(cfg->hugetlbsize);
            flags |= shift << MFD_HUGE_SHIFT;
        }
    }
    int fd = memfd_create(name ? name : "guestmem", flags);
    if (fd < 0) {
        gm_error_setg(errp, GM_ERR_IO, "cannot create a memfd%s: %s",
                      cfg->hugetlb ? " of huge pages" : "", strerror(errno));
        return -1;
    }
    struct statfs sfs;
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    if (cfg->hugetlb && fstatfs(fd, &sfs) == 0 && sfs.f_bsize > 0) {
        page = (uint64_t)sfs.f_bsize; /* the huge page size */
    }
    /* check_config keeps sizes below 2^62: no wrap. */
    uint64_t len = (cfg->size + page - 1) & ~(page - 1);
    if (ftruncate(fd, (off_t)len) < 0) {
        gm_error_setg(errp, GM_ERR_IO,
                      "cannot size the memfd to 0x%" PRIx64 ": %s%s", len,
                      strerror(errno),
                      cfg->hugetlb ? " (not enough huge pages?)" : "");
        close(fd);
        return -1;
    }
    /* Sealed against growing and shrinking, as QEMU's memfd backend. */
    fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL);
    return fd;
}

/* Makes every page of [p, p + len) present.  MADV_POPULATE_WRITE where the
 * kernel has it (it reports failure instead of raising SIGBUS); else touch
 * each page, which for shared memory must keep the contents. */
static int prealloc(uint8_t *p, size_t len, size_t page, Error **errp)
{
    if (madvise(p, len, MADV_POPULATE_WRITE) == 0) {
        return 0;
    }
    if (errno != EINVAL) {
        return gm_error_setg(errp, GM_ERR_NO_MEMORY,
                             "cannot preallocate 0x%zx bytes of guest "
                             "memory: %s",
                             len, strerror(errno));
    }
    for (size_t off = 0; off < len; off += page) {
        /* Read and write back: a shared file keeps its contents. */
        volatile uint8_t *b = p + off;
        uint8_t v = *b;
        *b = v;
    }
    return 0;
}

bool gm_memory_region_init_backend(MemoryRegion *mr, Object *owner,
                                   const char *name, const GmBackendConfig *cfg,
                                   Error **errp)
{
    if (!mr) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG, "backend: region is NULL");
        return false;
    }
    if (check_config(cfg, errp)) {
        return false;
    }
    uint32_t flags = cfg->nomigrate ? 0 : RAM_MIGRATABLE;
    if (cfg->share || cfg->kind == GM_BACKEND_MEMFD) {
        flags |= RAM_SHARED;
    }
    if (cfg->no_reserve) {
        flags |= RAM_NORESERVE;
    }
    /* A file this call creates goes again if preallocation fails. */
    struct stat st;
    bool new_file =
        cfg->kind == GM_BACKEND_FILE && stat(cfg->mem_path, &st) != 0;
    bool ok;
    switch (cfg->kind) {
    case GM_BACKEND_RAM:
        ok = gm__region_init_ram_flags(mr, owner, name, cfg->size, flags, errp);
        break;
    case GM_BACKEND_MEMFD: {
        int fd = make_memfd(name, cfg, errp);
        if (fd < 0) {
            return false;
        }
        ok = memory_region_init_ram_from_fd(mr, owner, name, cfg->size, flags,
                                            fd, 0, errp);
        close(fd); /* the block keeps its own duplicate */
        break;
    }
    default:
        ok = memory_region_init_ram_from_file(
            mr, owner, name, cfg->size, 0, flags, cfg->mem_path, false, errp);
        break;
    }
    if (!ok) {
        return false;
    }
    RAMBlock *rb = mr->ram_block;
    size_t len = rb->mmap_size ? rb->mmap_size : rb->max_length;
    if (cfg->kind != GM_BACKEND_RAM) {
        madvise(rb->host, len, MADV_HUGEPAGE);
    }
    if (!cfg->no_merge) {
        madvise(rb->host, len, MADV_MERGEABLE);
    } else {
        madvise(rb->host, len, MADV_UNMERGEABLE);
    }
    if (cfg->no_dump) {
        madvise(rb->host, len, MADV_DONTDUMP);
    }
    if (cfg->prealloc && prealloc(rb->host, len, rb->page_size, errp)) {
        gm_memory_region_destroy(mr, NULL);
        if (new_file) {
            unlink(cfg->mem_path);
        }
        return false;
    }
    return true;
}
