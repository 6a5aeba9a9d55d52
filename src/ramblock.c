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
 *
 * Two rules keep a guest from killing its host process through a file
 * mapping: a file must hold every page the block maps (QEMU's "backing
 * store size ... does not match" check; a page wholly past the end of a
 * file raises SIGBUS on access), and a read-only file is mapped private
 * and writable while its region is read-only, so that no store, from the
 * guest or through a host pointer, can fault.  And one rule for users'
 * files: a file that holds data is never grown, truncated or written
 * (unless the block is shared, where writing it is the point); only an
 * empty file - one made here, or an empty one given, as QEMU does - is
 * sized.
 *
 * Ids: blocks registered for migration (RAM_MIGRATABLE, what QEMU's
 * vmstate_register_ram marks) must have distinct ids, as in QEMU, whose
 * migration stream names blocks by id.
 */
#define _GNU_SOURCE
#include "base.h"
#include "state.h"
#include "region-int.h"
#include "ramblock-int.h"
#include "dirty-int.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define HUGETLBFS_MAGIC 0x958458f6
#define IDSTR_MAX 255 /* QEMU keeps ids in 256 bytes */

static uint64_t host_page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (uint64_t)p : 4096;
}

/* @v rounded up to a multiple of @align (a power of two) in *@out; false
 * when that is 2^64 or more. */
static bool round_up_checked(uint64_t v, uint64_t align, uint64_t *out)
{
    if (v > UINT64_MAX - (align - 1)) {
        return false;
    }
    *out = (v + align - 1) & ~(align - 1);
    return true;
}

struct cds_list_head *gm__blocks(void)
{
    if (!gm__state.ram_blocks.next) {
        CDS_INIT_LIST_HEAD(&gm__state.ram_blocks);
    }
    return &gm__state.ram_blocks;
}

/* The registered block called @name other than @self, or NULL.  Only
 * blocks registered for migration have ids in QEMU; the others (nomigrate,
 * a caller's pointer) may repeat a name.  Under the update lock. */
static RAMBlock *registered_twin(const char *name, uint32_t flags,
                                 const RAMBlock *self)
{
    if (!(flags & RAM_MIGRATABLE)) {
        return NULL;
    }
    RAMBlock *rb;
    cds_list_for_each_entry (rb, gm__blocks(), link) {
        if (rb != self && (rb->flags & RAM_MIGRATABLE) &&
            !strncmp(rb->idstr, name, IDSTR_MAX)) {
            return rb;
        }
    }
    return NULL;
}

static int duplicate_error(const char *name, Error **errp)
{
    return gm_error_setg(errp, GM_ERR_DUPLICATE,
                         "RAMBlock \"%.*s\" already registered (the ids of "
                         "migratable RAM blocks must be unique)",
                         IDSTR_MAX, name);
}

/* Refuses a name that is taken before anything is mapped or created; the
 * check that counts is repeated when the block is published. */
static int check_name(MemoryRegion *mr, uint32_t flags, Error **errp)
{
    const char *name = memory_region_name(mr);
    gm_update_lock();
    bool taken = registered_twin(name, flags, NULL) != NULL;
    gm_update_unlock();
    return taken ? duplicate_error(name, errp) : 0;
}

static void block_delete(RAMBlock *rb)
{
    free(rb->idstr);
    free(rb);
}

static RAMBlock *block_new(MemoryRegion *mr, uint64_t size, uint64_t max_size,
                           uint32_t flags, Error **errp)
{
    RAMBlock *rb = calloc(1, sizeof(*rb));
    if (!rb) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory for a RAM block");
        return NULL;
    }
    CDS_INIT_LIST_HEAD(&rb->link);
    rb->mr = mr;
    /* QEMU rounds both lengths up to the host page size. */
    uint64_t used, max;
    if (!round_up_checked(size, host_page_size(), &used) ||
        !round_up_checked(max_size, host_page_size(), &max)) {
        free(rb);
        gm_error_setg(errp, GM_ERR_INVALID_ARG,
                      "RAM size 0x%" PRIx64 " is too large", max_size);
        return NULL;
    }
    rb->used_length = used;
    rb->max_length = max;
    rb->flags = flags;
    rb->fd = -1;
    rb->page_size = host_page_size();
    /* QEMU keeps ids in 256 bytes; so do we, but only as many as used. */
    rb->idstr = strndup(memory_region_name(mr), IDSTR_MAX);
    if (!rb->idstr) {
        free(rb);
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory for a RAM block");
        return NULL;
    }
    return rb;
}

static RAMBlock *block_publish_locked(RAMBlock *rb, Error **errp)
{
    if (registered_twin(rb->idstr, rb->flags, rb)) {
        duplicate_error(rb->idstr, errp);
        return NULL;
    }
    ram_addr_t offset = gm__ram_offset_find(rb->max_length);
    if (offset == UINT64_MAX) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY,
                      "no room in the RAM address space for '%s'", rb->idstr);
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
                      "no dirty bitmaps for '%s': RAM would end at 0x%" PRIx64
                      " in ram_addr_t space (at most 64 TiB), or out of "
                      "memory",
                      rb->idstr, (uint64_t)(offset + rb->max_length));
        return NULL;
    }
    cpu_physical_memory_set_dirty_range(offset, rb->used_length,
                                        DIRTY_CLIENTS_ALL);
    cds_list_add(&rb->link, gm__blocks());
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
                                uint64_t max_size, uint32_t flags, Error **errp)
{
    if (check_name(mr, flags, errp)) {
        return NULL;
    }
    RAMBlock *rb = block_new(mr, size, max_size, flags, errp);
    if (!rb) {
        return NULL;
    }
    size_t len = rb->max_length;
    int mflags =
        MAP_ANONYMOUS | ((flags & RAM_SHARED) ? MAP_SHARED : MAP_PRIVATE);
    if (flags & RAM_NORESERVE) {
        mflags |= MAP_NORESERVE;
    }
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, mflags, -1, 0);
    if (p == MAP_FAILED) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY,
                      "cannot allocate 0x%" PRIx64 " bytes of RAM for '%s': %s",
                      max_size, rb->idstr, strerror(errno));
        block_delete(rb);
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
        block_delete(rb);
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
        block_delete(rb);
        return NULL;
    }
    return rb;
}

/* The bytes behind @fd, in *@out; false when the kind of file does not
 * say (a character device such as a DAX device: its mapping is trusted). */
static bool backing_size(int fd, const struct stat *st, uint64_t *out)
{
    if (S_ISREG(st->st_mode)) {
        *out = (uint64_t)st->st_size;
        return true;
    }
    if (S_ISBLK(st->st_mode)) {
        off_t end = lseek(fd, 0, SEEK_END);
        if (end >= 0) {
            *out = (uint64_t)end;
            return true;
        }
    }
    return false;
}

/*
 * A block over @fd from @offset.  @what names the file in messages.
 * @readonly: the file is open read-only; it is mapped private and writable
 * (nothing reaches the file, and a store cannot fault).
 */
static RAMBlock *fd_block(MemoryRegion *mr, uint64_t size, uint32_t flags,
                          int fd, uint64_t offset, bool readonly,
                          const char *what, Error **errp)
{
    struct stat st;
    if (fstat(fd, &st) < 0) {
        gm_error_setg(errp, GM_ERR_IO, "cannot stat %s: %s", what,
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
    uint64_t len;
    if (offset % rb->page_size) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG,
                      "offset 0x%" PRIx64 " is not a multiple of the page "
                      "size 0x%zx",
                      offset, rb->page_size);
        block_delete(rb);
        return NULL;
    }
    if (!round_up_checked(size, rb->page_size, &len) ||
        offset > UINT64_MAX - len || offset + len > (uint64_t)INT64_MAX) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG,
                      "0x%" PRIx64 " bytes at offset 0x%" PRIx64
                      " of %s go past the largest file offset",
                      size, offset, what);
        block_delete(rb);
        return NULL;
    }
    /* A page wholly past the end of the file raises SIGBUS when touched:
     * the file must hold every page of the mapping (QEMU 7.2's check, on
     * the page-rounded size).  An empty file holds no data and is sized,
     * as QEMU sizes it: a new file, or an empty memfd.  A file with data is
     * never grown or truncated, and a read-only one cannot be sized. */
    uint64_t have;
    if (backing_size(fd, &st, &have) && have < offset + len) {
        if (have != 0 || readonly) {
            char rounded[64] = "";
            if (len != size) {
                snprintf(rounded, sizeof(rounded),
                         " (0x%" PRIx64 " rounded up to whole pages)", size);
            }
            gm_error_setg(errp, GM_ERR_INVALID_ARG,
                          "%s is too small: it holds 0x%" PRIx64
                          " bytes, RAM '%s' maps 0x%" PRIx64 "%s from offset "
                          "0x%" PRIx64 " (QEMU: backing store size 0x%" PRIx64
                          " does not match 'size' option 0x%" PRIx64
                          "); a file that holds data is never grown or "
                          "truncated",
                          what, have, rb->idstr, len, rounded, offset, have,
                          len);
            block_delete(rb);
            return NULL;
        }
        if (ftruncate(fd, (off_t)(offset + len)) < 0) {
            gm_error_setg(errp, GM_ERR_IO,
                          "cannot size %s to 0x%" PRIx64 " bytes: %s", what,
                          offset + len, strerror(errno));
            block_delete(rb);
            return NULL;
        }
    }
    int dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dupfd < 0) {
        gm_error_setg(errp, GM_ERR_IO,
                      "cannot duplicate the descriptor of %s: %s", what,
                      strerror(errno));
        block_delete(rb);
        return NULL;
    }
    int mflags = (flags & RAM_SHARED) && !readonly ? MAP_SHARED : MAP_PRIVATE;
    if ((flags & RAM_NORESERVE) || readonly) {
        mflags |= MAP_NORESERVE;
    }
    void *p =
        mmap(NULL, len, PROT_READ | PROT_WRITE, mflags, dupfd, (off_t)offset);
    if (p == MAP_FAILED) {
        gm_error_setg(errp, errno == ENOMEM ? GM_ERR_NO_MEMORY : GM_ERR_IO,
                      "cannot map 0x%" PRIx64 " bytes of %s: %s", len, what,
                      strerror(errno));
        close(dupfd);
        block_delete(rb);
        return NULL;
    }
    rb->fd = dupfd;
    rb->host = p;
    rb->mmap_base = p;
    rb->mmap_size = len;
    if (!block_publish(rb, errp)) {
        block_unmap(rb);
        block_delete(rb);
        return NULL;
    }
    return rb;
}

RAMBlock *gm__ramblock_new_fd(MemoryRegion *mr, uint64_t size, uint32_t flags,
                              int fd, uint64_t offset, bool readonly,
                              Error **errp)
{
    if (check_name(mr, flags, errp)) {
        return NULL;
    }
    char what[32];
    snprintf(what, sizeof(what), "fd %d", fd);
    return fd_block(mr, size, flags, fd, offset, readonly, what, errp);
}

/* An unlinked temporary file in @dir (a hugetlbfs mount, say), named after
 * the region; -1 after setting an error. */
static int temp_file_in(const char *dir, MemoryRegion *mr, char **what,
                        Error **errp)
{
    char *tmpl =
        gm__asprintf("%s/guestmem_%s.XXXXXX", dir, memory_region_name(mr));
    if (!tmpl) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return -1;
    }
    for (char *c = tmpl + strlen(dir) + 1; *c; c++) {
        if (*c == '/') {
            *c = '_';
        }
    }
    int fd = mkostemp(tmpl, O_CLOEXEC);
    if (fd < 0) {
        gm_error_setg(errp, GM_ERR_IO, "cannot create a file in '%s': %s", dir,
                      strerror(errno));
        free(tmpl);
        return -1;
    }
    unlink(tmpl);
    *what = tmpl;
    return fd;
}

RAMBlock *gm__ramblock_new_file(MemoryRegion *mr, uint64_t size, uint64_t align,
                                uint32_t flags, const char *path, bool readonly,
                                Error **errp)
{
    if (check_name(mr, flags, errp)) {
        return NULL;
    }
    struct stat st;
    bool created = false;
    char *what = NULL;
    int fd;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        fd = temp_file_in(path, mr, &what, errp);
        if (fd < 0) {
            return NULL;
        }
    } else {
        fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && !readonly) {
            /* O_EXCL: a file that appears meanwhile is not ours to size. */
            fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            created = fd >= 0;
        }
        if (fd < 0) {
            gm_error_setg(errp, GM_ERR_IO,
                          "cannot open backing file '%s'%s: %s", path,
                          readonly ? " read-only" : "", strerror(errno));
            return NULL;
        }
        what = gm__asprintf("backing file '%s'", path);
        if (!what) {
            close(fd);
            if (created) {
                unlink(path);
            }
            gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
            return NULL;
        }
    }
    RAMBlock *rb = fd_block(mr, size, flags, fd, 0, readonly, what, errp);
    close(fd);
    free(what);
    if (rb && align && (uintptr_t)rb->host % align) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG,
                      "mapping of '%s' is not aligned to 0x%" PRIx64, path,
                      align);
        gm__ramblock_free(rb);
        rb = NULL;
    }
    if (!rb) {
        if (created) {
            unlink(path);
        }
        return NULL;
    }
    /* QEMU makes the region of a read-only file read-only: the guest's
     * stores are dropped, as for ROM. */
    if (readonly) {
        mr->readonly = true;
    }
    return rb;
}

void gm__ramblock_free(RAMBlock *rb)
{
    if (!rb) {
        return;
    }
    gm_update_lock();
    cds_list_del_init(&rb->link); /* a block never listed links to itself */
    gm__ram_offset_remove(rb);
    gm_update_unlock();
    block_unmap(rb);
    block_delete(rb);
}

RAMBlock *gm__ramblock_from_host(const void *host, ram_addr_t *offset)
{
    const uint8_t *p = host;
    RAMBlock *found = NULL;
    gm_update_lock();
    RAMBlock *rb;
    cds_list_for_each_entry (rb, gm__blocks(), link) {
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

/* --- the public block API (ramblock.h) ----------------------------------- */

RAMBlock *qemu_ram_block_by_name(const char *name)
{
    RAMBlock *found = NULL;
    gm_update_lock();
    RAMBlock *rb;
    cds_list_for_each_entry (rb, gm__blocks(), link) {
        if (name && !strcmp(rb->idstr, name)) {
            found = rb;
            break;
        }
    }
    gm_update_unlock();
    return found;
}

RAMBlock *qemu_ram_block_from_host(void *ptr, bool round_offset,
                                   ram_addr_t *offset)
{
    ram_addr_t off = 0;
    RAMBlock *rb = gm__ramblock_from_host(ptr, &off);
    if (rb && offset) {
        *offset = round_offset ? off & ~(ram_addr_t)(rb->page_size - 1) : off;
    }
    return rb;
}

MemoryRegion *memory_region_from_host(void *ptr, ram_addr_t *offset)
{
    RAMBlock *rb = qemu_ram_block_from_host(ptr, false, offset);
    return rb ? rb->mr : NULL;
}

const char *qemu_ram_get_idstr(RAMBlock *rb)
{
    return rb ? rb->idstr : NULL;
}

ram_addr_t qemu_ram_get_offset(RAMBlock *rb)
{
    return rb ? rb->offset : RAM_ADDR_INVALID;
}

ram_addr_t qemu_ram_get_used_length(RAMBlock *rb)
{
    return rb ? rb->used_length : 0;
}

ram_addr_t qemu_ram_get_max_length(RAMBlock *rb)
{
    return rb ? rb->max_length : 0;
}

void *qemu_ram_get_host_addr(RAMBlock *rb)
{
    return rb ? rb->host : NULL;
}

size_t qemu_ram_pagesize(RAMBlock *rb)
{
    return rb ? rb->page_size : 0;
}

bool qemu_ram_is_shared(RAMBlock *rb)
{
    return rb && (rb->flags & RAM_SHARED);
}

bool qemu_ram_is_migratable(RAMBlock *rb)
{
    return rb && (rb->flags & RAM_MIGRATABLE);
}

int qemu_ram_get_fd(RAMBlock *rb)
{
    return rb ? rb->fd : -1;
}

int memory_region_get_fd(MemoryRegion *mr)
{
    while (gm__mr_valid(mr) && mr->alias) {
        mr = mr->alias;
    }
    return gm__mr_valid(mr) && mr->ram_block ? mr->ram_block->fd : -1;
}

/* The blocks in QEMU's list order: largest maximum length first, equal
 * lengths in creation order (a new block goes after its equals).  A
 * malloc'd array of *@n blocks, or NULL. */
static int cmp_list_order(const void *a, const void *b)
{
    const RAMBlock *x = *(RAMBlock *const *)a, *y = *(RAMBlock *const *)b;
    if (x->max_length != y->max_length) {
        return x->max_length > y->max_length ? -1 : 1;
    }
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static RAMBlock **blocks_in_list_order(size_t *n)
{
    *n = 0;
    RAMBlock *rb;
    cds_list_for_each_entry (rb, gm__blocks(), link) {
        (*n)++;
    }
    RAMBlock **v = malloc((*n ? *n : 1) * sizeof(*v));
    if (!v) {
        return NULL;
    }
    size_t i = 0;
    cds_list_for_each_entry (rb, gm__blocks(), link) {
        v[i++] = rb;
    }
    qsort(v, *n, sizeof(*v), cmp_list_order);
    return v;
}

int qemu_ram_foreach_block(RAMBlockIterFunc func, void *opaque)
{
    if (!func) {
        return 0;
    }
    gm_update_lock();
    size_t n;
    RAMBlock **v = blocks_in_list_order(&n);
    int ret = 0;
    for (size_t i = 0; v && i < n && !ret; i++) {
        ret = func(v[i], opaque);
    }
    free(v);
    gm_update_unlock();
    return ret;
}

/* QEMU's size_to_str: three significant digits and a binary unit. */
static void size_str(char *buf, size_t len, uint64_t v)
{
    static const char *const units[] = { "B",   "KiB", "MiB", "GiB",
                                         "TiB", "PiB", "EiB" };
    int u = 0;
    double d = (double)v;
    while (d >= 1024 && u < 6) {
        d /= 1024;
        u++;
    }
    snprintf(buf, len, "%0.3g %s", d, units[u]);
}

char *ram_block_format(void)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f) {
        return NULL;
    }
    gm_update_lock();
    fprintf(f, "%24s %8s  %18s %18s %18s\n", "Block Name", "PSize", "Offset",
            "Used", "Total");
    size_t n;
    RAMBlock **v = blocks_in_list_order(&n);
    for (size_t i = 0; v && i < n; i++) {
        char ps[32];
        size_str(ps, sizeof(ps), v[i]->page_size);
        fprintf(
            f, "%24s %8s  0x%016" PRIx64 " 0x%016" PRIx64 " 0x%016" PRIx64 "\n",
            v[i]->idstr, ps, (uint64_t)v[i]->offset,
            (uint64_t)v[i]->used_length, (uint64_t)v[i]->max_length);
    }
    gm_update_unlock();
    bool failed = !v;
    free(v);
    if (fclose(f) != 0 || failed) {
        free(out);
        return NULL;
    }
    return out;
}

void gm_ramblock_info_fprint(FILE *f)
{
    char *s = ram_block_format();
    if (s) {
        fputs(s, f);
        free(s);
    }
}

/*
 * QEMU 7.2's rules, in its order: a size within the block's current host
 * pages only sets the region's (byte-exact) size and tells the resized
 * hook if that size changed, for any block; anything else needs a
 * resizeable block and at most its maximum.  Sizes are checked before the
 * page rounding can wrap (QEMU's own rounding wraps UINT64_MAX to 0).
 * Under the update lock; *@hook says whether the resized hook is due.
 */
static int resize_locked(RAMBlock *block, uint64_t newsize, bool *hook,
                         Error **errp)
{
    uint64_t aligned;
    bool fits = round_up_checked(newsize, host_page_size(), &aligned);
    if (newsize && fits && aligned == block->used_length) {
        if (newsize != memory_region_size(block->mr)) {
            memory_region_set_size(block->mr, newsize);
            *hook = true;
        }
        return 0;
    }
    if (!(block->flags & RAM_RESIZEABLE)) {
        return gm_error_setg(errp, GM_ERR_WRONG_KIND,
                             "Size mismatch: %s: 0x%" PRIx64 " != 0x%" PRIx64
                             " (the block is not resizeable: only a size "
                             "within its 0x%" PRIx64 " bytes of host pages "
                             "is accepted)",
                             block->idstr, newsize,
                             memory_region_size(block->mr),
                             (uint64_t)block->used_length);
    }
    if (newsize == 0) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "cannot resize '%s' to 0 bytes (1 byte to its "
                             "maximum of 0x%" PRIx64 ")",
                             block->idstr, (uint64_t)block->max_length);
    }
    if (!fits || aligned > block->max_length) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "Size too large: %s: 0x%" PRIx64 " > 0x%" PRIx64
                             " (the block's maximum)",
                             block->idstr, newsize,
                             (uint64_t)block->max_length);
    }
    /* As QEMU: the old used range is cleaned, the new one starts dirty.
     * Memory past the new end keeps its contents, as in QEMU (a later
     * growth shows them again). */
    for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
        cpu_physical_memory_test_and_clear_dirty(block->offset,
                                                 block->used_length, c);
    }
    block->used_length = aligned;
    cpu_physical_memory_set_dirty_range(block->offset, aligned,
                                        DIRTY_CLIENTS_ALL);
    memory_region_set_size(block->mr, newsize);
    *hook = true;
    return 0;
}

int qemu_ram_resize(RAMBlock *block, ram_addr_t newsize, Error **errp)
{
    if (!block) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "qemu_ram_resize: block is NULL");
    }
    bool hook = false;
    gm_update_lock();
    int rc = resize_locked(block, newsize, &hook, errp);
    gm_update_unlock();
    if (hook && block->resized) {
        block->resized(block->idstr, newsize, block->host);
    }
    return rc;
}

void memory_region_ram_resize(MemoryRegion *mr, ram_addr_t newsize,
                              Error **errp)
{
    if (!gm__mr_valid(mr) || !mr->ram_block) {
        gm_error_setg(errp, GM_ERR_WRONG_KIND,
                      "memory_region_ram_resize: region NULL, not initialised "
                      "or without host memory");
        return;
    }
    qemu_ram_resize(mr->ram_block, newsize, errp);
}

/* --- RAM devices -------------------------------------------------------------- */

static uint64_t ram_device_read(void *opaque, hwaddr addr, unsigned size)
{
    MemoryRegion *mr = opaque;
    return gm__fast_ldn(mr->ram_block->host + addr, size);
}

static void ram_device_write(void *opaque, hwaddr addr, uint64_t v,
                             unsigned size)
{
    MemoryRegion *mr = opaque;
    gm__fast_stn(mr->ram_block->host + addr, size, v);
}

const MemoryRegionOps gm__ram_device_ops = {
    .read = ram_device_read,
    .write = ram_device_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8, .unaligned = true },
};
