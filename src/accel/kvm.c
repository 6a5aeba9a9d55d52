// SPDX-License-Identifier: MIT
/*
 * accel/kvm.c - a KVM VM fed by MemoryListeners: memory slots, dirty logs,
 * coalesced MMIO/PIO zones and ioeventfds follow every commit (kvm.h).
 *
 * The slot table mirrors what KVM was given, sorted by guest address; it
 * is changed only from listener callbacks (update lock held).  Sections are
 * trimmed inward to whole host pages: KVM maps pages, and the guest's
 * accesses to the unmapped ends exit and are served by the access path, so
 * nothing is lost by the trim.
 */
#include "../base.h"
#include "../state.h"
#include "../view.h"
#include "../listener-int.h"
#include "kvm-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* Where QEMU puts KVM's real-mode helpers on Intel without unrestricted
 * guest: an identity-map page and three TSS pages below the BIOS, in the
 * PCI hole. */
#define GM_KVM_IDENTITY_MAP 0xfeffc000UL
#define GM_KVM_TSS (GM_KVM_IDENTITY_MAP + 0x1000)

static void kvm_fail(GmKvm *kvm, GmErrorCode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void kvm_fail(GmKvm *kvm, GmErrorCode code, const char *fmt, ...)
{
    if (kvm->pending) {
        return; /* the first error is the one that explains the rest */
    }
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    gm_error_setg(&kvm->pending, code, "%s", msg);
}

bool gm__kvm_open(int *kvm_fd, Error **errp)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        gm_error_setg(errp, e == ENOENT ? GM_ERR_UNSUPPORTED : GM_ERR_IO,
                      "cannot open /dev/kvm: %s", strerror(e));
        return false;
    }
    int version = ioctl(fd, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION) {
        close(fd);
        gm_error_setg(errp, GM_ERR_UNSUPPORTED,
                      "/dev/kvm has API version %d, guestmem needs %d", version,
                      KVM_API_VERSION);
        return false;
    }
    static const struct {
        int cap;
        const char *name;
    } caps[] = {
        { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
        { KVM_CAP_READONLY_MEM, "KVM_CAP_READONLY_MEM" },
        { KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
        { KVM_CAP_COALESCED_MMIO, "KVM_CAP_COALESCED_MMIO" },
    };
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        if (ioctl(fd, KVM_CHECK_EXTENSION, caps[i].cap) <= 0) {
            close(fd);
            gm_error_setg(errp, GM_ERR_UNSUPPORTED, "/dev/kvm lacks %s",
                          caps[i].name);
            return false;
        }
    }
    *kvm_fd = fd;
    return true;
}

bool gm_kvm_usable(Error **errp)
{
    int fd;
    if (!gm__kvm_open(&fd, errp)) {
        return false;
    }
    int vm = ioctl(fd, KVM_CREATE_VM, 0);
    if (vm < 0) {
        gm_error_setg(errp, GM_ERR_IO, "KVM_CREATE_VM: %s", strerror(errno));
        close(fd);
        return false;
    }
    close(vm);
    close(fd);
    return true;
}

/* --- the slot table ----------------------------------------------------- */

static int set_slot(GmKvm *kvm, const GmKvmSlotEntry *s, uint64_t size)
{
    struct kvm_userspace_memory_region r = {
        .slot = s->slot,
        .flags = s->flags,
        .guest_phys_addr = s->gpa,
        .memory_size = size,
        .userspace_addr = (uintptr_t)s->host,
    };
    kvm->stats.slot_sets++;
    if (ioctl(kvm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
        return -errno;
    }
    return 0;
}

static size_t slot_index(const GmKvm *kvm, uint64_t gpa)
{
    size_t lo = 0, hi = kvm->nslots;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (kvm->slots[mid].gpa < gpa) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static bool take_id(GmKvm *kvm, uint32_t *id)
{
    unsigned limit = kvm->slot_limit ? kvm->slot_limit : kvm->nr_slots_cap;
    if (kvm->nslots >= limit) {
        return false;
    }
    if (kvm->nfree) {
        *id = kvm->free_ids[--kvm->nfree];
        return true;
    }
    *id = kvm->next_id++;
    return true;
}

static void give_id(GmKvm *kvm, uint32_t id)
{
    /* Room for every id ever handed out was made in slot_insert(). */
    kvm->free_ids[kvm->nfree++] = id;
}

/* Room for one more slot and for every id, before an id is taken. */
static bool slots_reserve(GmKvm *kvm)
{
    if (kvm->nslots < kvm->slots_alloc) {
        return true;
    }
    size_t n = kvm->slots_alloc ? kvm->slots_alloc * 2 : 16;
    GmKvmSlotEntry *s = realloc(kvm->slots, n * sizeof(*s));
    if (!s) {
        return false;
    }
    kvm->slots = s;
    uint32_t *f = realloc(kvm->free_ids, n * sizeof(*f));
    if (!f) {
        return false;
    }
    kvm->free_ids = f;
    kvm->slots_alloc = n;
    return true;
}

static void slot_insert(GmKvm *kvm, GmKvmSlotEntry *e)
{
    size_t i = slot_index(kvm, e->gpa);
    memmove(&kvm->slots[i + 1], &kvm->slots[i], (kvm->nslots - i) * sizeof(*e));
    kvm->slots[i] = *e;
    kvm->nslots++;
}

static bool section_wants_slot(const MemoryRegionSection *s)
{
    MemoryRegion *mr = s->mr;
    return memory_region_is_ram(mr) || memory_region_is_romd(mr);
}

/* The page-aligned part of @s: [*gpa, *gpa + *size) at @host. */
static bool section_pages(const GmKvm *kvm, const MemoryRegionSection *s,
                          uint64_t *gpa, uint64_t *size, uint8_t **host,
                          ram_addr_t *ram_addr)
{
    uint64_t page = (uint64_t)kvm->page_size;
    uint64_t start = s->offset_within_address_space;
    Int128 end128 = int128_add(int128_make64(start), s->size);
    uint64_t first = (start + page - 1) & ~(page - 1);
    if (first < start) {
        return false; /* the range starts in the last page below 2^64 */
    }
    Int128 last128 = end128 & ~(Int128)(page - 1);
    if (int128_ge(int128_make64(first), last128)) {
        return false;
    }
    uint8_t *base = memory_region_get_ram_ptr(s->mr);
    if (!base) {
        return false;
    }
    uint64_t skip = first - start;
    *host = base + s->offset_within_region + skip;
    if ((uintptr_t)*host & (page - 1)) {
        return false; /* host and guest pages do not line up: leave to MMIO */
    }
    *gpa = first;
    *size = (uint64_t)int128_sub(last128, int128_make64(first));
    *ram_addr =
        memory_region_get_ram_addr(s->mr) + s->offset_within_region + skip;
    return true;
}

static uint32_t section_flags(const MemoryRegionSection *s)
{
    uint32_t flags = 0;
    MemoryRegion *mr = s->mr;
    if (s->readonly || mr->readonly || memory_region_is_romd(mr)) {
        flags |= KVM_MEM_READONLY;
    }
    if (memory_region_get_dirty_log_mask(mr)) {
        flags |= KVM_MEM_LOG_DIRTY_PAGES;
    }
    return flags;
}

static GmKvm *mem_owner(MemoryListener *l)
{
    return (GmKvm *)((char *)l - offsetof(GmKvm, mem_listener));
}

static GmKvm *io_owner(MemoryListener *l)
{
    return (GmKvm *)((char *)l - offsetof(GmKvm, io_listener));
}

static void region_add(MemoryListener *l, MemoryRegionSection *s)
{
    GmKvm *kvm = mem_owner(l);
    GmKvmSlotEntry e = { .mr = s->mr, .flags = section_flags(s) };
    if (!section_wants_slot(s) ||
        !section_pages(kvm, s, &e.gpa, &e.size, &e.host, &e.ram_addr)) {
        return;
    }
    if (!slots_reserve(kvm)) {
        kvm_fail(kvm, GM_ERR_NO_MEMORY, "out of memory for the slot table");
        return;
    }
    if (!take_id(kvm, &e.slot)) {
        kvm_fail(kvm, GM_ERR_UNSUPPORTED,
                 "KVM memory slots exhausted: '%s' at 0x%" PRIx64
                 " needs slot %zu, KVM allows %u",
                 memory_region_name(s->mr), e.gpa, kvm->nslots + 1,
                 kvm->slot_limit ? kvm->slot_limit : kvm->nr_slots_cap);
        return;
    }
    int rc = set_slot(kvm, &e, e.size);
    if (rc < 0) {
        give_id(kvm, e.slot);
        kvm_fail(kvm, GM_ERR_IO,
                 "KVM_SET_USER_MEMORY_REGION for '%s' at 0x%" PRIx64
                 " (0x%" PRIx64 " bytes): %s",
                 memory_region_name(s->mr), e.gpa, e.size, strerror(-rc));
        return;
    }
    slot_insert(kvm, &e);
}

/* The slot made for @s, or NULL. */
static GmKvmSlotEntry *slot_of(GmKvm *kvm, const MemoryRegionSection *s)
{
    uint64_t gpa, size;
    uint8_t *host;
    ram_addr_t ra;
    if (!section_pages(kvm, s, &gpa, &size, &host, &ra)) {
        return NULL;
    }
    size_t i = slot_index(kvm, gpa);
    if (i < kvm->nslots && kvm->slots[i].gpa == gpa &&
        kvm->slots[i].size == size) {
        return &kvm->slots[i];
    }
    return NULL;
}

static void sync_slot(GmKvm *kvm, const GmKvmSlotEntry *e);

static void region_del(MemoryListener *l, MemoryRegionSection *s)
{
    GmKvm *kvm = mem_owner(l);
    GmKvmSlotEntry *e = slot_of(kvm, s);
    if (!e) {
        return;
    }
    /* A range that changes (a PAM switch merges RAM ranges, say) loses its
     * slot: keep what the guest dirtied in it, as QEMU does. */
    if (e->flags & KVM_MEM_LOG_DIRTY_PAGES) {
        sync_slot(kvm, e);
    }
    int rc = set_slot(kvm, e, 0);
    if (rc < 0) {
        kvm_fail(kvm, GM_ERR_IO, "deleting KVM slot %u at 0x%" PRIx64 ": %s",
                 e->slot, e->gpa, strerror(-rc));
    }
    give_id(kvm, e->slot);
    size_t i = (size_t)(e - kvm->slots);
    memmove(&kvm->slots[i], &kvm->slots[i + 1],
            (kvm->nslots - i - 1) * sizeof(*e));
    kvm->nslots--;
}

/* Dirty logging switched on or off for a range that stays: same slot,
 * new flags (KVM allows changing the flags of a slot in place). */
static void log_change(MemoryListener *l, MemoryRegionSection *s, int old,
                       int new_mask)
{
    GmKvm *kvm = mem_owner(l);
    GmKvmSlotEntry *e = slot_of(kvm, s);
    if (!e) {
        return;
    }
    uint32_t flags = section_flags(s);
    if (flags == e->flags) {
        return;
    }
    uint32_t before = e->flags;
    e->flags = flags;
    int rc = set_slot(kvm, e, e->size);
    if (rc < 0) {
        e->flags = before;
        kvm_fail(kvm, GM_ERR_IO, "changing the flags of KVM slot %u: %s",
                 e->slot, strerror(-rc));
    }
}

/* KVM_GET_DIRTY_LOG of slot @e into the bitmaps of the clients that log
 * its region (KVM clears its log as it hands it over). */
static void sync_slot(GmKvm *kvm, const GmKvmSlotEntry *e)
{
    uint8_t mask = memory_region_get_dirty_log_mask(e->mr);
    uint64_t page = (uint64_t)kvm->page_size;
    uint64_t pages = e->size / page;
    size_t words = (size_t)((pages + 63) / 64);
    uint64_t *bits = calloc(words ? words : 1, sizeof(uint64_t));
    if (!bits) {
        kvm_fail(kvm, GM_ERR_NO_MEMORY, "out of memory for a dirty log");
        return;
    }
    struct kvm_dirty_log d = { .slot = e->slot, .dirty_bitmap = bits };
    kvm->stats.dirty_syncs++;
    if (ioctl(kvm->vm_fd, KVM_GET_DIRTY_LOG, &d) < 0) {
        kvm_fail(kvm, GM_ERR_IO, "KVM_GET_DIRTY_LOG of slot %u: %s", e->slot,
                 strerror(errno));
        free(bits);
        return;
    }
    for (size_t w = 0; w < words; w++) {
        uint64_t word = bits[w];
        while (word) {
            unsigned b = (unsigned)__builtin_ctzll(word);
            word &= word - 1;
            uint64_t p = (uint64_t)w * 64 + b;
            cpu_physical_memory_set_dirty_range(e->ram_addr + p * page, page,
                                                mask);
        }
    }
    free(bits);
}

/* log_sync: every logging slot that section @s covers. */
static void log_sync(MemoryListener *l, MemoryRegionSection *s)
{
    GmKvm *kvm = mem_owner(l);
    uint64_t start = s->offset_within_address_space;
    Int128 end = int128_add(int128_make64(start), s->size);
    for (size_t i = slot_index(kvm, start);
         i < kvm->nslots && int128_lt(int128_make64(kvm->slots[i].gpa), end);
         i++) {
        if (kvm->slots[i].flags & KVM_MEM_LOG_DIRTY_PAGES) {
            sync_slot(kvm, &kvm->slots[i]);
        }
    }
}

/* --- coalesced MMIO and PIO ------------------------------------------------ */

static void coalesce(GmKvm *kvm, hwaddr addr, hwaddr len, bool pio, bool add)
{
    struct kvm_coalesced_mmio_zone z = { .addr = addr, .size = (uint32_t)len };
    if (pio) {
        z.pio = 1;
    }
    if (len > UINT32_MAX) {
        kvm_fail(kvm, GM_ERR_UNSUPPORTED,
                 "coalesced range at 0x%" PRIx64 " is larger than KVM takes",
                 addr);
        return;
    }
    unsigned long req =
        add ? KVM_REGISTER_COALESCED_MMIO : KVM_UNREGISTER_COALESCED_MMIO;
    if (ioctl(kvm->vm_fd, req, &z) < 0) {
        kvm_fail(kvm, GM_ERR_IO, "%s at 0x%" PRIx64 ": %s",
                 add ? "KVM_REGISTER_COALESCED_MMIO"
                     : "KVM_UNREGISTER_COALESCED_MMIO",
                 addr, strerror(errno));
    }
}

static void mem_coalesced_add(MemoryListener *l, MemoryRegionSection *s,
                              hwaddr addr, hwaddr len)
{
    coalesce(mem_owner(l), addr, len, false, true);
}

static void mem_coalesced_del(MemoryListener *l, MemoryRegionSection *s,
                              hwaddr addr, hwaddr len)
{
    coalesce(mem_owner(l), addr, len, false, false);
}

static void io_coalesced_add(MemoryListener *l, MemoryRegionSection *s,
                             hwaddr addr, hwaddr len)
{
    coalesce(io_owner(l), addr, len, true, true);
}

static void io_coalesced_del(MemoryListener *l, MemoryRegionSection *s,
                             hwaddr addr, hwaddr len)
{
    coalesce(io_owner(l), addr, len, true, false);
}

void gm_kvm_flush_coalesced(GmKvm *kvm)
{
    struct kvm_coalesced_mmio_ring *ring = kvm ? kvm->ring : NULL;
    if (!ring) {
        return;
    }
    while (ring->first != __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE)) {
        struct kvm_coalesced_mmio *m = &ring->coalesced_mmio[ring->first];
        uint32_t len = m->len <= sizeof(m->data) ? m->len : sizeof(m->data);
        AddressSpace *as = m->pio ? kvm->io : kvm->mem;
        if (as) {
            address_space_write(as, m->phys_addr, MEMTXATTRS_UNSPECIFIED,
                                m->data, len);
        }
        kvm->stats.coalesced_seen++;
        __atomic_store_n(&ring->first, (ring->first + 1) % kvm->ring_max,
                         __ATOMIC_RELEASE);
    }
}

/* --- ioeventfds ----------------------------------------------------------- */

static void ioeventfd(GmKvm *kvm, MemoryRegionSection *s, bool match,
                      uint64_t data, EventNotifier *e, bool pio, bool add)
{
    struct kvm_ioeventfd io = {
        .datamatch = match ? data : 0,
        .addr = s->offset_within_address_space,
        .len = (uint32_t)int128_get64(s->size),
        .fd = event_notifier_get_fd(e),
    };
    if (match) {
        io.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
    }
    if (pio) {
        io.flags |= KVM_IOEVENTFD_FLAG_PIO;
    }
    if (!add) {
        io.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
    }
    if (ioctl(kvm->vm_fd, KVM_IOEVENTFD, &io) < 0) {
        kvm_fail(kvm, GM_ERR_IO,
                 "KVM_IOEVENTFD %s %s 0x%" PRIx64 " (%u bytes): %s",
                 add ? "assign" : "deassign", pio ? "port" : "address",
                 (uint64_t)io.addr, io.len, strerror(errno));
    }
}

static void mem_eventfd_add(MemoryListener *l, MemoryRegionSection *s,
                            bool match, uint64_t data, EventNotifier *e)
{
    ioeventfd(mem_owner(l), s, match, data, e, false, true);
}

static void mem_eventfd_del(MemoryListener *l, MemoryRegionSection *s,
                            bool match, uint64_t data, EventNotifier *e)
{
    ioeventfd(mem_owner(l), s, match, data, e, false, false);
}

static void io_eventfd_add(MemoryListener *l, MemoryRegionSection *s,
                           bool match, uint64_t data, EventNotifier *e)
{
    ioeventfd(io_owner(l), s, match, data, e, true, true);
}

static void io_eventfd_del(MemoryListener *l, MemoryRegionSection *s,
                           bool match, uint64_t data, EventNotifier *e)
{
    ioeventfd(io_owner(l), s, match, data, e, true, false);
}

/* --- the VM ----------------------------------------------------------------- */

static bool vm_create(GmKvm *kvm, Error **errp)
{
    if (!gm__kvm_open(&kvm->kvm_fd, errp)) {
        return false;
    }
    kvm->vm_fd = ioctl(kvm->kvm_fd, KVM_CREATE_VM, 0);
    if (kvm->vm_fd < 0) {
        gm_error_setg(errp, GM_ERR_IO, "KVM_CREATE_VM: %s", strerror(errno));
        return false;
    }
    int n = ioctl(kvm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
    kvm->nr_slots_cap = n > 0 ? (unsigned)n : 32;
    /* Intel without unrestricted guest runs real mode in vm86 and needs
     * these two; elsewhere they are harmless (AMD ignores the TSS). */
    uint64_t idmap = GM_KVM_IDENTITY_MAP;
    if (ioctl(kvm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) >
            0 &&
        ioctl(kvm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0) {
        gm_error_setg(errp, GM_ERR_IO, "KVM_SET_IDENTITY_MAP_ADDR: %s",
                      strerror(errno));
        return false;
    }
    if (ioctl(kvm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)GM_KVM_TSS) < 0) {
        gm_error_setg(errp, GM_ERR_IO, "KVM_SET_TSS_ADDR: %s", strerror(errno));
        return false;
    }
    return true;
}

static void listeners_init(GmKvm *kvm)
{
    MemoryListener *m = &kvm->mem_listener;
    m->region_add = region_add;
    m->region_del = region_del;
    m->log_start = log_change;
    m->log_stop = log_change;
    m->log_sync = log_sync;
    m->coalesced_io_add = mem_coalesced_add;
    m->coalesced_io_del = mem_coalesced_del;
    m->eventfd_add = mem_eventfd_add;
    m->eventfd_del = mem_eventfd_del;
    m->priority = 10; /* QEMU's MEMORY_LISTENER_PRIORITY_ACCEL */
    m->name = "kvm-memory";
    MemoryListener *io = &kvm->io_listener;
    io->coalesced_io_add = io_coalesced_add;
    io->coalesced_io_del = io_coalesced_del;
    io->eventfd_add = io_eventfd_add;
    io->eventfd_del = io_eventfd_del;
    io->priority = 10;
    io->name = "kvm-io";
}

/* QEMU registers KVM's listeners before any device exists, so its replay
 * of a view has no coalesced ranges or ioeventfds in it.  A GmKvm may come
 * after the devices: give KVM what the view already has. */
static void replay_extras(GmKvm *kvm, AddressSpace *as, bool pio)
{
    gm_update_lock();
    FlatView *fv = as->current_map;
    const FlatRange *const *rs = fv ? gm__fv_ranges(fv) : NULL;
    for (unsigned i = 0; rs && i < fv->nr; i++) {
        const FlatRange *fr = rs[i];
        for (unsigned j = 0; j < fr->mr->nr_coalesced; j++) {
            const struct GmCoalescedRange *c = &fr->mr->coalesced[j];
            __int128 shift = (__int128)fr->start - fr->offset_in_region;
            __int128 cs = (__int128)c->start + shift;
            __int128 ce = cs + (__int128)c->size;
            __int128 fs = fr->start, fe = (__int128)fr->last + 1;
            __int128 st = cs > fs ? cs : fs, en = ce < fe ? ce : fe;
            if (st < en) {
                coalesce(kvm, (hwaddr)st, (hwaddr)(en - st), pio, true);
            }
        }
    }
    for (unsigned i = 0; i < as->ioeventfd_nb; i++) {
        const struct GmIoeventfd *fd = &as->ioeventfds[i];
        MemoryRegionSection sec = {
            .fv = fv,
            .offset_within_address_space = (hwaddr)fd->start,
            .size = (Int128)fd->size,
        };
        ioeventfd(kvm, &sec, fd->match_data, fd->data, fd->e, pio, true);
    }
    gm_update_unlock();
}

/* Whether a GmKvm already follows @as: its memory listener is there. */
static bool has_kvm(const AddressSpace *as)
{
    for (const MemoryListener *l = as->listeners; l; l = l->as_next) {
        if (l->region_add == region_add) {
            return true;
        }
    }
    return false;
}

GmKvm *gm_kvm_new(AddressSpace *mem, AddressSpace *io, Error **errp)
{
    if (!mem) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG, "no memory address space");
        return NULL;
    }
    if (has_kvm(mem)) {
        gm_error_setg(errp, GM_ERR_IN_USE,
                      "address space '%s' already has a KVM VM", mem->name);
        return NULL;
    }
    GmKvm *kvm = calloc(1, sizeof(*kvm));
    if (!kvm) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    kvm->kvm_fd = kvm->vm_fd = -1;
    kvm->page_size = sysconf(_SC_PAGESIZE);
    kvm->mem = mem;
    kvm->io = io;
    if (!vm_create(kvm, errp)) {
        gm_kvm_free(kvm);
        return NULL;
    }
    listeners_init(kvm);
    if (gm_memory_listener_register(&kvm->mem_listener, mem, errp) < 0) {
        gm_kvm_free(kvm);
        return NULL;
    }
    if (io) {
        if (gm_memory_listener_register(&kvm->io_listener, io, errp) < 0) {
            gm_kvm_free(kvm);
            return NULL;
        }
        kvm->io_registered = true;
    }
    replay_extras(kvm, mem, false);
    if (io) {
        replay_extras(kvm, io, true);
    }
    if (gm_kvm_check(kvm, errp) < 0) {
        gm_kvm_free(kvm);
        return NULL;
    }
    gm__state.kvm_eventfds++;
    kvm->counted = true;
    return kvm;
}

void gm_kvm_free(GmKvm *kvm)
{
    if (!kvm) {
        return;
    }
    if (kvm->counted) {
        gm__state.kvm_eventfds--;
    }
    if (kvm->mem_listener.address_space) {
        memory_listener_unregister(&kvm->mem_listener);
    }
    if (kvm->io_registered) {
        memory_listener_unregister(&kvm->io_listener);
    }
    if (kvm->vm_fd >= 0) {
        close(kvm->vm_fd);
    }
    if (kvm->kvm_fd >= 0) {
        close(kvm->kvm_fd);
    }
    error_free(kvm->pending);
    free(kvm->slots);
    free(kvm->free_ids);
    free(kvm);
}

int gm_kvm_vm_fd(const GmKvm *kvm)
{
    return kvm ? kvm->vm_fd : -1;
}

int gm_kvm_check(GmKvm *kvm, Error **errp)
{
    if (!kvm) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG, "no KVM VM");
    }
    if (!kvm->pending) {
        return 0;
    }
    Error *e = kvm->pending;
    kvm->pending = NULL;
    int code = (int)gm_error_code(e);
    error_propagate(errp, e);
    return -code;
}

void gm_kvm_set_slot_limit(GmKvm *kvm, unsigned limit)
{
    if (kvm) {
        kvm->slot_limit = limit;
    }
}

size_t gm_kvm_slots(GmKvm *kvm, GmKvmSlot *out, size_t max)
{
    if (!kvm) {
        return 0;
    }
    gm_update_lock();
    size_t n = kvm->nslots;
    for (size_t i = 0; i < n && i < max; i++) {
        const GmKvmSlotEntry *e = &kvm->slots[i];
        out[i] = (GmKvmSlot){
            .slot = e->slot,
            .guest_phys_addr = e->gpa,
            .memory_size = e->size,
            .userspace_addr = e->host,
            .readonly = (e->flags & KVM_MEM_READONLY) != 0,
            .log_dirty = (e->flags & KVM_MEM_LOG_DIRTY_PAGES) != 0,
        };
    }
    gm_update_unlock();
    return n;
}

void gm_kvm_stats(const GmKvm *kvm, GmKvmStats *out)
{
    if (kvm && out) {
        *out = kvm->stats;
    }
}
