// SPDX-License-Identifier: MIT
/*
 * ramblock.c - host memory behind RAM, ROM and ROM-device regions.
 *
 * Each block gets an offset in the ram_addr_t space (the space dirty bitmaps
 * are indexed by), chosen as QEMU's find_ram_offset does: the smallest gap
 * after an existing block, aligned so that every block starts on a bitmap
 * word, that fits the new block.  Host memory is anonymous, a caller's
 * pointer, or a mapping of a file descriptor (memfd, a file, hugetlbfs).
 * Resizeable blocks reserve their maximum size at once.
 */
#define _GNU_SOURCE
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define HUGETLBFS_MAGIC 0x958458f6

static uint64_t host_page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (uint64_t)p : 4096;
}

static uint64_t round_up(uint64_t v, uint64_t align)
{
    return (v + align - 1) & ~(align - 1);
}

static RAMBlock *block_new(MemoryRegion *mr, uint64_t size, uint64_t max_size,
                           uint32_t flags, Error **errp)
{
    RAMBlock *rb = calloc(1, sizeof(*rb));
    if (!rb) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory for a RAM block");
        return NULL;
    }
    rb->mr = mr;
    /* QEMU rounds both lengths up to the host page size. */
    rb->used_length = round_up(size, host_page_size());
    rb->max_length = round_up(max_size, host_page_size());
    rb->flags = flags;
    rb->fd = -1;
    rb->page_size = host_page_size();
    snprintf(rb->idstr, sizeof(rb->idstr), "%s", memory_region_name(mr));
    return rb;
}

static RAMBlock *block_publish_locked(RAMBlock *rb, Error **errp)
{
    ram_addr_t offset = gm__ram_offset_find(rb->max_length);
    if (offset == UINT64_MAX) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY,
                      "no room in the RAM address space for '%s'",
                      rb->idstr);
        return NULL;
    }
    rb->offset = offset;
    if (!gm__ram_offset_insert(rb)) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory for '%s'",
                      rb->idstr);
        return NULL;
    }
    /* The bitmaps must cover the block before anyone can write to it; a
     * new block starts all dirty, as in QEMU. */
    uint64_t end_pages = (offset + rb->max_length + GM_DIRTY_PAGE_SIZE - 1) >>
                         GM_DIRTY_PAGE_BITS;
    if (!gm__dirty_grow(end_pages)) {
        gm__ram_offset_remove(rb);
        gm_error_setg(errp, GM_ERR_NO_MEMORY,
                      "out of memory for the dirty bitmaps of '%s'",
                      rb->idstr);
        return NULL;
    }
    cpu_physical_memory_set_dirty_range(offset, rb->used_length,
                                        DIRTY_CLIENTS_ALL);
    rb->next = gm__state.ram_blocks;
    rb->prev = NULL;
    if (rb->next) {
        rb->next->prev = rb;
    }
    gm__state.ram_blocks = rb;
    return rb;
}

/* Places @rb in the ram_addr_t space and the block list.  Under the
 * update lock: blocks may be created from any thread. */
static RAMBlock *block_publish(RAMBlock *rb, Error **errp)
{
    gm_update_lock();
    RAMBlock *r = block_publish_locked(rb, errp);
    gm_update_unlock();
    return r;
}

static void block_unmap(RAMBlock *rb)
{
    if (rb->mmap_base) {
        munmap(rb->mmap_base, rb->mmap_size);
    }
    if (rb->fd >= 0) {
        close(rb->fd);
    }
}

RAMBlock *gm__ramblock_new_anon(MemoryRegion *mr, uint64_t size,
                                uint64_t max_size, uint32_t flags,
                                Error **errp)
{
    RAMBlock *rb = block_new(mr, size, max_size, flags, errp);
    if (!rb) {
        return NULL;
    }
    size_t len = round_up(max_size, rb->page_size);
    int mflags = MAP_ANONYMOUS | ((flags & RAM_SHARED) ? MAP_SHARED
                                                       : MAP_PRIVATE);
    if (flags & RAM_NORESERVE) {
        mflags |= MAP_NORESERVE;
    }
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, mflags, -1, 0);
    if (p == MAP_FAILED) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY,
                      "cannot allocate 0x%" PRIx64 " bytes of RAM for '%s': %s",
                      max_size, rb->idstr, strerror(errno));
        free(rb);
        return NULL;
    }
    rb->host = p;
    rb->mmap_base = p;
    rb->mmap_size = len;
    /* QEMU's choices for anonymous guest RAM: transparent huge pages, and
     * same-page merging (mem-merge=on is its default).  Core dumps keep
     * guest memory (dump-guest-core=on). */
    madvise(p, len, MADV_HUGEPAGE);
    madvise(p, len, MADV_MERGEABLE);
    if (!block_publish(rb, errp)) {
        block_unmap(rb);
        free(rb);
        return NULL;
    }
    return rb;
}

RAMBlock *gm__ramblock_new_ptr(MemoryRegion *mr, uint64_t size, void *host)
{
    RAMBlock *rb = block_new(mr, size, size, RAM_PREALLOC, NULL);
    if (!rb) {
        return NULL;
    }
    rb->host = host;
    if (!block_publish(rb, NULL)) {
        free(rb);
        return NULL;
    }
    return rb;
}

RAMBlock *gm__ramblock_new_fd(MemoryRegion *mr, uint64_t size, uint32_t flags,
                              int fd, uint64_t offset, bool readonly,
                              Error **errp)
{
    struct stat st;
    if (fstat(fd, &st) < 0) {
        gm_error_setg(errp, GM_ERR_IO, "cannot stat fd %d: %s", fd,
                      strerror(errno));
        return NULL;
    }
    RAMBlock *rb = block_new(mr, size, size, flags, errp);
    if (!rb) {
        return NULL;
    }
    struct statfs sfs;
    if (fstatfs(fd, &sfs) == 0 && sfs.f_type == HUGETLBFS_MAGIC) {
        rb->page_size = (size_t)sfs.f_bsize;
    }
    if (offset % rb->page_size) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG,
                      "offset 0x%" PRIx64 " is not a multiple of the page "
                      "size 0x%zx",
                      offset, rb->page_size);
        free(rb);
        return NULL;
    }
    size_t len = round_up(size, rb->page_size);
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < offset + len &&
        !readonly && ftruncate(fd, (off_t)(offset + len)) < 0) {
        gm_error_setg(errp, GM_ERR_IO,
                      "cannot size the backing file to 0x%" PRIx64 ": %s",
                      offset + len, strerror(errno));
        free(rb);
        return NULL;
    }
    int dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dupfd < 0) {
        gm_error_setg(errp, GM_ERR_IO, "cannot duplicate fd %d: %s", fd,
                      strerror(errno));
        free(rb);
        return NULL;
    }
    int prot = PROT_READ | (readonly ? 0 : PROT_WRITE);
    int mflags = (flags & RAM_SHARED) ? MAP_SHARED : MAP_PRIVATE;
    if (flags & RAM_NORESERVE) {
        mflags |= MAP_NORESERVE;
    }
    void *p = mmap(NULL, len, prot, mflags, dupfd, (off_t)offset);
    if (p == MAP_FAILED) {
        gm_error_setg(errp, GM_ERR_IO, "cannot map 0x%zx bytes of fd %d: %s",
                      len, fd, strerror(errno));
        close(dupfd);
        free(rb);
        return NULL;
    }
    rb->fd = dupfd;
    rb->host = p;
    rb->mmap_base = p;
    rb->mmap_size = len;
    if (!block_publish(rb, errp)) {
        block_unmap(rb);
        free(rb);
        return NULL;
    }
    return rb;
}

RAMBlock *gm__ramblock_new_file(MemoryRegion *mr, uint64_t size,
                                uint64_t align, uint32_t flags,
                                const char *path, bool readonly, Error **errp)
{
    struct stat st;
    bool created = false;
    int fd;
    char *tmpl = NULL;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        tmpl = gm__asprintf("%s/guestmem_%s.XXXXXX", path,
                            memory_region_name(mr));
        if (!tmpl) {
            gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
            return NULL;
        }
        for (char *c = tmpl + strlen(path) + 1; *c; c++) {
            if (*c == '/') {
                *c = '_';
            }
        }
        fd = mkstemp(tmpl);
        if (fd >= 0) {
            unlink(tmpl);
        }
    } else {
        fd = open(path, readonly ? O_RDONLY : O_RDWR);
        if (fd < 0 && errno == ENOENT && !readonly) {
            fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
            created = fd >= 0;
        }
    }
    if (fd < 0) {
        gm_error_setg(errp, GM_ERR_IO, "cannot open backing file '%s': %s",
                      tmpl ? tmpl : path, strerror(errno));
        free(tmpl);
        return NULL;
    }
    free(tmpl);
    RAMBlock *rb = gm__ramblock_new_fd(mr, size, flags, fd, 0, readonly, errp);
    close(fd);
    if (!rb) {
        if (created) {
            unlink(path);
        }
        return NULL;
    }
    if (align && (uintptr_t)rb->host % align) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG,
                      "mapping of '%s' is not aligned to 0x%" PRIx64, path,
                      align);
        gm__ramblock_free(rb);
        if (created) {
            unlink(path);
        }
        return NULL;
    }
    return rb;
}

void gm__ramblock_free(RAMBlock *rb)
{
    if (!rb) {
        return;
    }
    gm_update_lock();
    if (rb->prev) {
        rb->prev->next = rb->next;
    } else if (gm__state.ram_blocks == rb) {
        gm__state.ram_blocks = rb->next;
    }
    if (rb->next) {
        rb->next->prev = rb->prev;
    }
    gm__ram_offset_remove(rb);
    gm_update_unlock();
    block_unmap(rb);
    free(rb);
}

RAMBlock *gm__ramblock_from_host(const void *host, ram_addr_t *offset)
{
    const uint8_t *p = host;
    RAMBlock *found = NULL;
    gm_update_lock();
    for (RAMBlock *rb = gm__state.ram_blocks; rb; rb = rb->next) {
        if (rb->host && p >= rb->host && p < rb->host + rb->max_length) {
            if (offset) {
                *offset = (ram_addr_t)(p - rb->host);
            }
            found = rb;
            break;
        }
    }
    gm_update_unlock();
    return found;
}
