// SPDX-License-Identifier: MIT
/*
 * region.c - MemoryRegion: initialisation, placement, properties, lifetime.
 *
 * A container keeps its subregions in one doubly linked list sorted by
 * priority, highest first, and among equal priorities newest first.  That
 * order is the whole of QEMU's overlap rule: rendering walks the list and a
 * region only fills what earlier siblings left uncovered, so "higher
 * priority wins, then the one added last".  A move (set_address) re-inserts
 * the region, which makes it the newest of its priority, as in QEMU.
 *
 * Every public entry validates everything first and then changes state, so a
 * refused call leaves the tree exactly as it was.  Changes to regions that
 * cannot be visible (not in a container, not a root, not aliased) need no
 * re-render; the rest mark the update pending for the next commit.
 *
 * Lifetime: view_refs counts the flat ranges (in current and retired views)
 * that name a region; alias_users and root_users count aliases and address
 * spaces pointing at it.  gm_memory_region_destroy() refuses while any of
 * those, or a container, still holds the region (view references are
 * drained by an RCU grace period first).
 */
#include "base.h"
#include "state.h"
#include "region-int.h"
#include "ramblock-int.h"
#include "commit-int.h"

/* Accesses to a region without ops (a reservation) are refused, which the
 * access path reports as MEMTX_DECODE_ERROR. */
static bool unassigned_accepts(void *opaque, hwaddr addr, unsigned size,
                               bool is_write, MemTxAttrs attrs)
{
    return false;
}

static const MemoryRegionOps unassigned_mem_ops = {
    .valid.accepts = unassigned_accepts,
    .endianness = DEVICE_NATIVE_ENDIAN,
};

/* Reports @err to the handler of QEMU's void functions. */
static void report(Error *err)
{
    gm__report(err);
}

/* QEMU's memory_region_update_pending: whether the commit notifies the
 * listeners (a full begin / pass / commit round), set under the same
 * conditions as QEMU sets it, visible or not. */
static void notify_if(bool cond)
{
    if (cond) {
        gm__state.notify_pending = true;
    }
}

int gm__region_check_init(MemoryRegion *mr, const char *name, Error **errp)
{
    if (!mr) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "cannot initialise region '%s': the region "
                             "pointer is NULL",
                             name ? name : "");
    }
    /* Initialising a region that is still part of the model would forget
     * its links while others point at it (destroying its container then
     * walks a broken list).  A never-initialised struct holds garbage, so
     * only a struct that carries the magic and is in use is refused. */
    if (mr->magic == GM_MR_MAGIC &&
        (mr->container || mr->subregions || mr->alias_users || mr->root_users ||
         __atomic_load_n(&mr->view_refs, __ATOMIC_RELAXED) ||
         __atomic_load_n(&mr->map_users, __ATOMIC_RELAXED))) {
        return gm_error_setg(errp, GM_ERR_IN_USE,
                             "cannot initialise region '%s' again as '%s': it "
                             "is still in use (mapped, a container, an alias "
                             "target or an address-space root); destroy it "
                             "first",
                             memory_region_name(mr), name ? name : "");
    }
    return 0;
}

/* For the void constructors: report a refused initialisation. */
static bool init_ok(MemoryRegion *mr, const char *name)
{
    Error *err = NULL;
    if (gm__region_check_init(mr, name, &err)) {
        report(err);
        return false;
    }
    return true;
}

void gm__region_init_common(MemoryRegion *mr, Object *owner, const char *name,
                            gm_u128 size)
{
    memset(mr, 0, sizeof(*mr));
    mr->owner = owner;
    mr->size = (Int128)size;
    mr->enabled = true;
    mr->name = gm__strdup(name);
    mr->magic = GM_MR_MAGIC;
}

void memory_region_init(MemoryRegion *mr, Object *owner, const char *name,
                        uint64_t size)
{
    if (!init_ok(mr, name)) {
        return;
    }
    gm__region_init_common(mr, owner, name, gm__size_from_u64(size));
}

void memory_region_init_io(MemoryRegion *mr, Object *owner,
                           const MemoryRegionOps *ops, void *opaque,
                           const char *name, uint64_t size)
{
    if (!init_ok(mr, name)) {
        return;
    }
    gm__region_init_common(mr, owner, name, gm__size_from_u64(size));
    mr->ops = ops ? ops : &unassigned_mem_ops;
    mr->opaque = opaque;
    mr->terminates = true;
}

void memory_region_init_reservation(MemoryRegion *mr, Object *owner,
                                    const char *name, uint64_t size)
{
    memory_region_init_io(mr, owner, NULL, mr, name, size);
}

static int check_ram_size(uint64_t size, Error **errp)
{
    if (size == 0 || size == UINT64_MAX || size > (UINT64_C(1) << 63)) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "RAM size 0x%" PRIx64 " is out of range "
                             "(1 byte to 2^63)",
                             size);
    }
    return 0;
}

/* The steps every kind of RAM region shares: before its block is made
 * (the block points back at the region)... */
static void ram_begin(MemoryRegion *mr, Object *owner, const char *name,
                      gm_u128 size)
{
    gm__region_init_common(mr, owner, name, size);
    mr->ram = true;
    mr->terminates = true;
}

/* ... and after: @rb NULL (its maker failed and said why) undoes the
 * initialisation, so that a refused call leaves no half-made region. */
static bool ram_end(MemoryRegion *mr, RAMBlock *rb)
{
    mr->ram_block = rb;
    if (!rb) {
        free(mr->name);
        memset(mr, 0, sizeof(*mr));
        return false;
    }
    return true;
}

bool gm__region_init_ram_flags(MemoryRegion *mr, Object *owner,
                               const char *name, uint64_t size, uint32_t flags,
                               Error **errp)
{
    if (!mr) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG, "region is NULL");
        return false;
    }
    if (gm__region_check_init(mr, name, errp) || check_ram_size(size, errp)) {
        return false;
    }
    ram_begin(mr, owner, name, size);
    return ram_end(mr, gm__ramblock_new_anon(mr, size, size, flags, errp));
}

bool memory_region_init_ram_flags_nomigrate(MemoryRegion *mr, Object *owner,
                                            const char *name, uint64_t size,
                                            uint32_t ram_flags, Error **errp)
{
    const uint32_t allowed = RAM_SHARED | RAM_NORESERVE | RAM_MIGRATABLE |
                             RAM_UF_ZEROPAGE | RAM_PMEM | RAM_UF_WRITEPROTECT |
                             RAM_PROTECTED;
    if (ram_flags & ~allowed) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG,
                      "unsupported RAM flags 0x%x for anonymous RAM",
                      ram_flags & ~allowed);
        return false;
    }
    return gm__region_init_ram_flags(mr, owner, name, size, ram_flags, errp);
}

bool memory_region_init_ram_nomigrate(MemoryRegion *mr, Object *owner,
                                      const char *name, uint64_t size,
                                      Error **errp)
{
    return gm__region_init_ram_flags(mr, owner, name, size, 0, errp);
}

bool memory_region_init_ram(MemoryRegion *mr, Object *owner, const char *name,
                            uint64_t size, Error **errp)
{
    return gm__region_init_ram_flags(mr, owner, name, size, RAM_MIGRATABLE,
                                     errp);
}

bool memory_region_init_resizeable_ram(
    MemoryRegion *mr, Object *owner, const char *name, uint64_t size,
    uint64_t max_size,
    void (*resized)(const char *idstr, uint64_t length, void *host),
    Error **errp)
{
    if (gm__region_check_init(mr, name, errp) || check_ram_size(size, errp) ||
        check_ram_size(max_size, errp)) {
        return false;
    }
    if (size > max_size) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG,
                      "resizeable RAM: size 0x%" PRIx64
                      " exceeds max_size 0x%" PRIx64,
                      size, max_size);
        return false;
    }
    ram_begin(mr, owner, name, size);
    if (!ram_end(mr, gm__ramblock_new_anon(mr, size, max_size, RAM_RESIZEABLE,
                                           errp))) {
        return false;
    }
    mr->ram_block->resized = resized;
    return true;
}

bool memory_region_init_ram_from_file(MemoryRegion *mr, Object *owner,
                                      const char *name, uint64_t size,
                                      uint64_t align, uint32_t ram_flags,
                                      const char *path, bool readonly,
                                      Error **errp)
{
    if (!mr || !path) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG, "region or path is NULL");
        return false;
    }
    if (gm__region_check_init(mr, name, errp) || check_ram_size(size, errp)) {
        return false;
    }
    ram_begin(mr, owner, name, size);
    return ram_end(mr, gm__ramblock_new_file(mr, size, align, ram_flags, path,
                                             readonly, errp));
}

bool memory_region_init_ram_from_fd(MemoryRegion *mr, Object *owner,
                                    const char *name, uint64_t size,
                                    uint32_t ram_flags, int fd,
                                    ram_addr_t offset, Error **errp)
{
    if (!mr || fd < 0) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG, "region NULL or bad fd %d", fd);
        return false;
    }
    if (gm__region_check_init(mr, name, errp) || check_ram_size(size, errp)) {
        return false;
    }
    ram_begin(mr, owner, name, size);
    return ram_end(
        mr, gm__ramblock_new_fd(mr, size, ram_flags, fd, offset, false, errp));
}

void memory_region_init_ram_ptr(MemoryRegion *mr, Object *owner,
                                const char *name, uint64_t size, void *ptr)
{
    if (!init_ok(mr, name)) {
        return;
    }
    ram_begin(mr, owner, name, gm__size_from_u64(size));
    mr->ram_block = gm__ramblock_new_ptr(mr, size, ptr);
    if (!mr->ram_block) {
        Error *err = NULL;
        gm_error_setg(&err, GM_ERR_NO_MEMORY,
                      "RAM region '%s': out of memory for its block",
                      memory_region_name(mr));
        report(err);
    }
}

void memory_region_init_ram_device_ptr(MemoryRegion *mr, Object *owner,
                                       const char *name, uint64_t size,
                                       void *ptr)
{
    if (!init_ok(mr, name)) {
        return;
    }
    memory_region_init_ram_ptr(mr, owner, name, size, ptr);
    if (mr) {
        mr->ram_device = true;
        mr->ops = &gm__ram_device_ops;
        mr->opaque = mr;
    }
}

bool memory_region_init_rom_nomigrate(MemoryRegion *mr, Object *owner,
                                      const char *name, uint64_t size,
                                      Error **errp)
{
    if (!gm__region_init_ram_flags(mr, owner, name, size, 0, errp)) {
        return false;
    }
    mr->readonly = true;
    return true;
}

bool memory_region_init_rom(MemoryRegion *mr, Object *owner, const char *name,
                            uint64_t size, Error **errp)
{
    /* Registered for migration, as QEMU's vmstate_register_ram does. */
    if (!gm__region_init_ram_flags(mr, owner, name, size, RAM_MIGRATABLE,
                                   errp)) {
        return false;
    }
    mr->readonly = true;
    return true;
}

bool memory_region_init_rom_device(MemoryRegion *mr, Object *owner,
                                   const MemoryRegionOps *ops, void *opaque,
                                   const char *name, uint64_t size,
                                   Error **errp)
{
    if (!gm__region_init_ram_flags(mr, owner, name, size, RAM_MIGRATABLE,
                                   errp)) {
        return false;
    }
    mr->ram = false;
    mr->rom_device = true;
    mr->romd_mode = true;
    mr->ops = ops ? ops : &unassigned_mem_ops;
    mr->opaque = opaque;
    return true;
}

int gm_memory_region_init_alias(MemoryRegion *mr, Object *owner,
                                const char *name, MemoryRegion *orig,
                                hwaddr offset, uint64_t size, Error **errp)
{
    int rc = gm__region_check_init(mr, name, errp);
    if (rc) {
        return rc;
    }
    if (!gm__mr_valid(orig)) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "alias '%s': target is NULL or not initialised",
                             name ? name : "");
    }
    if (orig == mr) {
        return gm_error_setg(errp, GM_ERR_ALIAS_CYCLE,
                             "alias '%s' cannot point at itself",
                             name ? name : "");
    }
    gm_u128 sz = gm__size_from_u64(size);
    if (!gm__fits(offset, sz)) {
        return gm_error_setg(errp, GM_ERR_RANGE_OVERFLOW,
                             "alias '%s': offset 0x%" PRIx64
                             " + size 0x%" PRIx64 " goes past 2^64",
                             name ? name : "", offset, size);
    }
    gm__region_init_common(mr, owner, name, sz);
    mr->alias = orig;
    mr->alias_offset = offset;
    gm__alias_link(mr, orig);
    return 0;
}

void memory_region_init_alias(MemoryRegion *mr, Object *owner, const char *name,
                              MemoryRegion *orig, hwaddr offset, uint64_t size)
{
    Error *err = NULL;
    int rc =
        gm_memory_region_init_alias(mr, owner, name, orig, offset, size, &err);
    if (rc) {
        /* A usable empty region, as QEMU's would be, unless the struct is
         * someone's live region. */
        if (mr && rc != -GM_ERR_IN_USE) {
            gm__region_init_common(mr, owner, name, 0);
        }
        report(err);
    }
}

/* A set of alias targets already walked (open addressing on pointers):
 * many aliases may share a target, and walking it once per alias could
 * take exponential time. */
typedef struct Seen {
    const MemoryRegion **slot;
    size_t cap, n;
} Seen;

static size_t seen_hash(const MemoryRegion *mr, size_t cap)
{
    return (size_t)(((uintptr_t)mr >> 4) * UINT64_C(0x9e3779b97f4a7c15)) &
           (cap - 1);
}

/* Adds @mr; 1 if it was new, 0 if seen, -1 out of memory. */
static int seen_add(Seen *s, const MemoryRegion *mr)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        const MemoryRegion **slot = calloc(cap, sizeof(*slot));
        if (!slot) {
            return -1;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (s->slot[i]) {
                size_t j = seen_hash(s->slot[i], cap);
                while (slot[j]) {
                    j = (j + 1) & (cap - 1);
                }
                slot[j] = s->slot[i];
            }
        }
        free(s->slot);
        s->slot = slot;
        s->cap = cap;
    }
    size_t j = seen_hash(mr, s->cap);
    while (s->slot[j]) {
        if (s->slot[j] == mr) {
            return 0;
        }
        j = (j + 1) & (s->cap - 1);
    }
    s->slot[j] = mr;
    s->n++;
    return 1;
}

/* Whether walking down from @from (children and alias targets) reaches
 * @target: 1 yes, 0 no, -1 out of memory.  Adding @from under @target
 * makes a cycle exactly then: an ancestor of @target that @from reached
 * would lead back down to @target through its children.  Iterative, each
 * region once: the cost is the size of what hangs under @from, whatever
 * the depth of @target (a chain of a million containers built one add at
 * a time stays linear). */
static int reaches(const MemoryRegion *from, const MemoryRegion *target)
{
    size_t n = 0, cap = 64;
    const MemoryRegion **stack = malloc(cap * sizeof(*stack));
    Seen seen = { 0 };
    int found = 0;
    if (!stack) {
        return -1;
    }
    stack[n++] = from;
    while (n > 0 && !found) {
        const MemoryRegion *x = stack[--n];
        if (x == target) {
            found = 1;
            break;
        }
        const MemoryRegion *next[2] = { NULL, x->subregions };
        if (x->alias) {
            int r = seen_add(&seen, x->alias);
            if (r < 0) {
                found = -1;
                break;
            }
            next[0] = r ? x->alias : NULL;
        }
        for (unsigned k = 0; k < 2; k++) {
            for (const MemoryRegion *c = next[k]; c;
                 c = k ? c->sibling_next : NULL) {
                if (n == cap) {
                    const MemoryRegion **bigger =
                        realloc(stack, 2 * cap * sizeof(*stack));
                    if (!bigger) {
                        found = -1;
                        break;
                    }
                    stack = bigger;
                    cap *= 2;
                }
                stack[n++] = c;
            }
        }
    }
    free(stack);
    free(seen.slot);
    return found;
}

int gm_memory_region_add_subregion(MemoryRegion *mr, hwaddr offset,
                                   MemoryRegion *subregion, int priority,
                                   Error **errp)
{
    if (!gm__mr_valid(mr) || !gm__mr_valid(subregion)) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "add_subregion: region NULL or not initialised");
    }
    if (subregion->container) {
        return gm_error_setg(errp, GM_ERR_HAS_CONTAINER,
                             "cannot add '%s' to '%s': already a subregion "
                             "of '%s'",
                             memory_region_name(subregion),
                             memory_region_name(mr),
                             memory_region_name(subregion->container));
    }
    if (mr->alias) {
        return gm_error_setg(errp, GM_ERR_WRONG_KIND,
                             "cannot add '%s' to alias '%s': an alias shows "
                             "only its target",
                             memory_region_name(subregion),
                             memory_region_name(mr));
    }
    if (!gm__fits(offset, gm__mr_size(subregion))) {
        return gm_error_setg(errp, GM_ERR_RANGE_OVERFLOW,
                             "cannot add '%s' at 0x%" PRIx64
                             ": it would end past 2^64",
                             memory_region_name(subregion), offset);
    }
    int cycle = reaches(subregion, mr);
    if (cycle < 0) {
        return gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
    }
    if (cycle) {
        return gm_error_setg(errp, GM_ERR_ALIAS_CYCLE,
                             "cannot add '%s' to '%s': '%s' would contain "
                             "itself",
                             memory_region_name(subregion),
                             memory_region_name(mr), memory_region_name(mr));
    }
    gm__begin();
    /* Before: the new offset also moves @subregion in any view rendered
     * from it (a flat-view root's own address counts there). */
    gm__mark(subregion);
    memory_region_ref(subregion);
    subregion->container = mr;
    subregion->addr = offset;
    subregion->priority = priority;
    gm__subregion_link(mr, subregion);
    gm__mark(subregion);
    notify_if(mr->enabled && subregion->enabled);
    gm__commit();
    return 0;
}

void memory_region_add_subregion(MemoryRegion *mr, hwaddr offset,
                                 MemoryRegion *subregion)
{
    Error *err = NULL;
    if (gm_memory_region_add_subregion(mr, offset, subregion, 0, &err)) {
        report(err);
    }
}

void memory_region_add_subregion_overlap(MemoryRegion *mr, hwaddr offset,
                                         MemoryRegion *subregion, int priority)
{
    Error *err = NULL;
    if (gm_memory_region_add_subregion(mr, offset, subregion, priority, &err)) {
        report(err);
    }
}

int gm_memory_region_del_subregion(MemoryRegion *mr, MemoryRegion *subregion,
                                   Error **errp)
{
    if (!gm__mr_valid(mr) || !gm__mr_valid(subregion)) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "del_subregion: region NULL or not initialised");
    }
    if (subregion->container != mr) {
        return gm_error_setg(errp, GM_ERR_NOT_CHILD,
                             "cannot delete '%s' from '%s': not its subregion",
                             memory_region_name(subregion),
                             memory_region_name(mr));
    }
    gm__begin();
    gm__mark(subregion);
    notify_if(mr->enabled && subregion->enabled);
    gm__subregion_unlink(mr, subregion);
    subregion->container = NULL;
    gm__commit();
    memory_region_unref(subregion);
    return 0;
}

void memory_region_del_subregion(MemoryRegion *mr, MemoryRegion *subregion)
{
    Error *err = NULL;
    if (gm_memory_region_del_subregion(mr, subregion, &err)) {
        report(err);
    }
}

/* --- properties --------------------------------------------------------- */

static int check_valid(const MemoryRegion *mr, const char *what, Error **errp)
{
    if (!gm__mr_valid(mr)) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "%s: region NULL or not initialised", what);
    }
    return 0;
}

static void set_flag(MemoryRegion *mr, bool *flag, bool value, const char *what)
{
    Error *err = NULL;
    if (check_valid(mr, what, &err)) {
        report(err);
        return;
    }
    if (*flag == value) {
        return;
    }
    gm__begin();
    *flag = value;
    gm__mark(mr);
    notify_if(flag == &mr->enabled || mr->enabled);
    gm__commit();
}

void memory_region_set_enabled(MemoryRegion *mr, bool enabled)
{
    set_flag(mr, mr ? &mr->enabled : NULL, enabled, "set_enabled");
}

void memory_region_set_readonly(MemoryRegion *mr, bool readonly)
{
    set_flag(mr, mr ? &mr->readonly : NULL, readonly, "set_readonly");
}

void memory_region_set_nonvolatile(MemoryRegion *mr, bool nonvolatile)
{
    set_flag(mr, mr ? &mr->nonvolatile : NULL, nonvolatile, "set_nonvolatile");
}

/* Re-inserts @mr among its siblings, as the newest of its priority. */
static void reinsert(MemoryRegion *mr)
{
    MemoryRegion *parent = mr->container;
    gm__subregion_unlink(parent, mr);
    gm__subregion_link(parent, mr);
}

int gm_memory_region_set_address(MemoryRegion *mr, hwaddr addr, Error **errp)
{
    if (check_valid(mr, "set_address", errp)) {
        return -GM_ERR_INVALID_ARG;
    }
    if (addr == mr->addr) {
        return 0;
    }
    if (!gm__fits(addr, gm__mr_size(mr))) {
        return gm_error_setg(errp, GM_ERR_RANGE_OVERFLOW,
                             "cannot move '%s' to 0x%" PRIx64
                             ": it would end past 2^64",
                             memory_region_name(mr), addr);
    }
    gm__begin();
    gm__mark(mr);
    if (mr->container) {
        /* Out of the index while its key changes. */
        gm__subregion_unlink(mr->container, mr);
        mr->addr = addr;
        gm__subregion_link(mr->container, mr);
        notify_if(mr->container->enabled && mr->enabled);
    } else {
        mr->addr = addr;
    }
    gm__mark(mr);
    gm__commit();
    return 0;
}

void memory_region_set_address(MemoryRegion *mr, hwaddr addr)
{
    Error *err = NULL;
    if (gm_memory_region_set_address(mr, addr, &err)) {
        report(err);
    }
}

int gm_memory_region_set_priority(MemoryRegion *mr, int priority, Error **errp)
{
    if (check_valid(mr, "set_priority", errp)) {
        return -GM_ERR_INVALID_ARG;
    }
    gm__begin();
    mr->priority = priority;
    if (mr->container) {
        reinsert(mr);
        notify_if(mr->container->enabled && mr->enabled);
    }
    gm__mark(mr);
    gm__commit();
    return 0;
}

int gm_memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset,
                                      Error **errp)
{
    if (check_valid(mr, "set_alias_offset", errp)) {
        return -GM_ERR_INVALID_ARG;
    }
    if (!mr->alias) {
        return gm_error_setg(errp, GM_ERR_WRONG_KIND,
                             "set_alias_offset: '%s' is not an alias",
                             memory_region_name(mr));
    }
    if (!gm__fits(offset, gm__mr_size(mr))) {
        return gm_error_setg(errp, GM_ERR_RANGE_OVERFLOW,
                             "alias '%s': offset 0x%" PRIx64
                             " + size goes past 2^64",
                             memory_region_name(mr), offset);
    }
    if (offset == mr->alias_offset) {
        return 0;
    }
    gm__begin();
    mr->alias_offset = offset;
    gm__mark(mr);
    notify_if(mr->enabled);
    gm__commit();
    return 0;
}

void memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset)
{
    Error *err = NULL;
    if (gm_memory_region_set_alias_offset(mr, offset, &err)) {
        report(err);
    }
}

int gm_memory_region_set_size(MemoryRegion *mr, uint64_t size, Error **errp)
{
    if (check_valid(mr, "set_size", errp)) {
        return -GM_ERR_INVALID_ARG;
    }
    gm_u128 sz = gm__size_from_u64(size);
    if (!gm__fits(mr->addr, sz) ||
        (mr->alias && !gm__fits(mr->alias_offset, sz))) {
        return gm_error_setg(errp, GM_ERR_RANGE_OVERFLOW,
                             "cannot resize '%s' to 0x%" PRIx64
                             ": it would end past 2^64",
                             memory_region_name(mr), size);
    }
    if (mr->ram_block && sz > mr->ram_block->used_length) {
        return gm_error_setg(
            errp, GM_ERR_INVALID_ARG,
            "cannot resize '%s' to 0x%" PRIx64 ": more than its 0x%" PRIx64
            " bytes of host memory",
            memory_region_name(mr), size, (uint64_t)mr->ram_block->used_length);
    }
    if ((gm_u128)mr->size == sz) {
        return 0;
    }
    gm__begin();
    gm__mark(mr);
    gm__subregion_resize(mr, sz);
    gm__mark(mr);
    notify_if(true);
    gm__commit();
    return 0;
}

void memory_region_set_size(MemoryRegion *mr, uint64_t size)
{
    Error *err = NULL;
    if (gm_memory_region_set_size(mr, size, &err)) {
        report(err);
    }
}

void memory_region_rom_device_set_romd(MemoryRegion *mr, bool romd_mode)
{
    Error *err = NULL;
    if (check_valid(mr, "rom_device_set_romd", &err)) {
        report(err);
        return;
    }
    if (!mr->rom_device) {
        gm_error_setg(&err, GM_ERR_WRONG_KIND,
                      "rom_device_set_romd: '%s' is not a ROM device",
                      memory_region_name(mr));
        report(err);
        return;
    }
    set_flag(mr, &mr->romd_mode, romd_mode, "rom_device_set_romd");
}

void memory_region_set_log(MemoryRegion *mr, bool log, unsigned client)
{
    Error *err = NULL;
    if (check_valid(mr, "set_log", &err)) {
        report(err);
        return;
    }
    if (client != DIRTY_MEMORY_VGA && client != DIRTY_MEMORY_CODE) {
        gm_error_setg(&err, GM_ERR_INVALID_ARG,
                      "set_log: client %u is not VGA or CODE", client);
        report(err);
        return;
    }
    /* A count per client, as QEMU counts VGA logging users: logging
     * stops when the last user stops it. */
    uint16_t *count = &mr->log_count[client == DIRTY_MEMORY_CODE];
    if (!log && *count == 0) {
        gm_error_setg(&err, GM_ERR_INVALID_ARG,
                      "set_log: '%s' is not being logged for client %u",
                      memory_region_name(mr), client);
        report(err);
        return;
    }
    uint16_t old = *count;
    *count = log ? (uint16_t)(old + 1) : (uint16_t)(old - 1);
    if (!old == !*count) {
        return;
    }
    uint8_t mask = (uint8_t)(1u << client);
    gm__begin();
    mr->dirty_log_mask =
        (uint8_t)((mr->dirty_log_mask & ~mask) | (log ? mask : 0));
    gm__mark(mr);
    notify_if(mr->enabled);
    gm__commit();
}

/* --- lifetime ----------------------------------------------------------- */

void gm__region_view_ref(MemoryRegion *mr)
{
    __atomic_add_fetch(&mr->view_refs, 1, __ATOMIC_RELAXED);
    gm_object_ref(mr->owner);
}

void gm__region_view_unref(MemoryRegion *mr)
{
    Object *owner = mr->owner;
    __atomic_sub_fetch(&mr->view_refs, 1, __ATOMIC_RELEASE);
    gm_object_unref(owner);
}

void memory_region_ref(MemoryRegion *mr)
{
    if (mr) {
        gm_object_ref(mr->owner);
    }
}

void memory_region_unref(MemoryRegion *mr)
{
    if (mr) {
        gm_object_unref(mr->owner);
    }
}

int gm_memory_region_destroy(MemoryRegion *mr, Error **errp)
{
    if (check_valid(mr, "destroy", errp)) {
        return -GM_ERR_INVALID_ARG;
    }
    if (mr->container) {
        return gm_error_setg(errp, GM_ERR_IN_USE,
                             "cannot destroy '%s': still a subregion of '%s'",
                             memory_region_name(mr),
                             memory_region_name(mr->container));
    }
    if (mr->alias_users) {
        return gm_error_setg(errp, GM_ERR_IN_USE,
                             "cannot destroy '%s': target of %u alias(es)",
                             memory_region_name(mr), mr->alias_users);
    }
    if (mr->root_users) {
        return gm_error_setg(errp, GM_ERR_IN_USE,
                             "cannot destroy '%s': root of %u address "
                             "space(s)",
                             memory_region_name(mr), mr->root_users);
    }
    if (__atomic_load_n(&mr->map_users, __ATOMIC_ACQUIRE)) {
        return gm_error_setg(errp, GM_ERR_IN_USE,
                             "cannot destroy '%s': %lu live map(s) or "
                             "cache(s) point into it",
                             memory_region_name(mr), mr->map_users);
    }
    if (__atomic_load_n(&mr->view_refs, __ATOMIC_ACQUIRE)) {
        if (gm__state.transaction_depth) {
            return gm_error_setg(errp, GM_ERR_IN_USE,
                                 "cannot destroy '%s' inside a transaction: "
                                 "the published view still shows it",
                                 memory_region_name(mr));
        }
        /* Only retired views can still name it: let readers finish. */
        urcu_memb_synchronize_rcu();
        gm_tsan_grace_over();
        urcu_memb_barrier();
        if (__atomic_load_n(&mr->view_refs, __ATOMIC_ACQUIRE)) {
            return gm_error_setg(errp, GM_ERR_IN_USE,
                                 "cannot destroy '%s': a flat view still "
                                 "refers to it",
                                 memory_region_name(mr));
        }
    }
    gm__begin();
    while (mr->subregions) {
        MemoryRegion *sub = mr->subregions;
        gm_memory_region_del_subregion(mr, sub, NULL);
    }
    gm__commit();
    if (mr->alias) {
        gm__alias_unlink(mr, mr->alias);
    }
    if (mr->lineage) {
        /* A view root removed and destroyed in one transaction: its
         * lineage ends at the commit. */
        mr->lineage->orphan = true;
        mr->lineage->root = NULL;
        mr->lineage = NULL;
    }
    if (mr->destructor) {
        mr->destructor(mr);
    }
    gm__ramblock_free(mr->ram_block);
    free(mr->coalesced);
    free(mr->ioeventfds);
    free(mr->name);
    memset(mr, 0, sizeof(*mr));
    return 0;
}

/* --- queries ------------------------------------------------------------ */

uint64_t memory_region_size(const MemoryRegion *mr)
{
    if (!mr) {
        return 0;
    }
    gm_u128 s = gm__mr_size(mr);
    return s == ((gm_u128)1 << 64) ? UINT64_MAX : (uint64_t)s;
}

const char *memory_region_name(const MemoryRegion *mr)
{
    return mr && mr->name ? mr->name : "";
}

bool memory_region_is_ram(const MemoryRegion *mr)
{
    return mr && mr->ram;
}

bool memory_region_is_ram_device(const MemoryRegion *mr)
{
    return mr && mr->ram_device;
}

bool memory_region_is_romd(const MemoryRegion *mr)
{
    return mr && mr->rom_device && mr->romd_mode;
}

bool memory_region_is_rom(const MemoryRegion *mr)
{
    return mr && mr->ram && mr->readonly;
}

bool memory_region_is_nonvolatile(const MemoryRegion *mr)
{
    return mr && mr->nonvolatile;
}

bool memory_region_is_iommu(const MemoryRegion *mr)
{
    while (mr && mr->alias) {
        mr = mr->alias;
    }
    return mr && mr->is_iommu;
}

bool memory_region_is_enabled(const MemoryRegion *mr)
{
    return mr && mr->enabled;
}

bool memory_region_is_mapped(const MemoryRegion *mr)
{
    return mr && (mr->container || mr->root_users);
}

uint8_t gm__dirty_log_mask(const MemoryRegion *mr)
{
    return gm__dirty_log_mask_now(mr); /* one rule, region-int.h */
}

uint8_t memory_region_get_dirty_log_mask(const MemoryRegion *mr)
{
    return mr ? gm__dirty_log_mask(mr) : 0;
}

Object *memory_region_owner(const MemoryRegion *mr)
{
    return mr ? mr->owner : NULL;
}

uint8_t *gm__region_host(const MemoryRegion *mr)
{
    return mr->ram_block ? mr->ram_block->host : NULL;
}

void *memory_region_get_ram_ptr(MemoryRegion *mr)
{
    hwaddr offset = 0;
    while (mr && mr->alias) {
        offset += mr->alias_offset;
        mr = mr->alias;
    }
    if (!mr || !mr->ram_block) {
        return NULL;
    }
    return mr->ram_block->host + offset;
}

ram_addr_t memory_region_get_ram_addr(MemoryRegion *mr)
{
    return mr && mr->ram_block ? mr->ram_block->offset : RAM_ADDR_INVALID;
}

const char *gm_memory_region_type(const MemoryRegion *mr)
{
    while (mr && mr->alias) {
        mr = mr->alias;
    }
    if (!mr) {
        return "i/o";
    }
    if (memory_region_is_ram_device(mr)) {
        return "ramd";
    }
    if (memory_region_is_romd(mr)) {
        return "romd";
    }
    if (memory_region_is_rom(mr)) {
        return "rom";
    }
    if (memory_region_is_ram(mr)) {
        return "ram";
    }
    return "i/o";
}
