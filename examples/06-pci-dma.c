// SPDX-License-Identifier: MIT
/*
 * 06-pci-dma.c - a PCI-style DMA engine, built the way QEMU's PCI devices
 * are:
 *  - its registers are an MMIO region (BAR 0) that the "firmware" maps
 *    into the PCI memory window, moves, and unmaps by writing the BAR and
 *    the COMMAND register's memory-enable bit;
 *  - it reaches guest memory through its own bus-master address space: a
 *    container holding an alias of the system memory that is enabled only
 *    while COMMAND's bus-master bit is set (QEMU's bus_master_enable_region),
 *    so a device that has not been allowed to master gets decode errors;
 *  - the guest starts a transfer by writing a doorbell register that is an
 *    ioeventfd: the write does not reach the device's callback but signals
 *    an eventfd, which the device's I/O thread waits on (with KVM the kernel
 *    does the signalling; here guestmem's access path does, as QEMU's
 *    memory_region_dispatch_write does without KVM);
 *  - the I/O thread reads a descriptor with ldq_le_dma()/ldl_le_dma(), copies
 *    through dma_memory_map() (zero-copy for RAM) or, where that gives
 *    less, dma_memory_read()/dma_memory_write(), and writes the descriptor's
 *    status back with stl_le_dma().
 * A MemoryListener on the CPU's address space sees the doorbell's eventfd
 * come and go with the BAR, as a KVM backend would.  The program checks
 * each step and exits non-zero on the first difference.
 */
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <guestmem/guestmem.h>

/* BAR 0 registers */
#define R_ID 0x00       /* read-only: 0x1234abcd */
#define R_DESC 0x08     /* 64-bit bus address of the descriptor */
#define R_DONE 0x10     /* read-only: descriptors processed */
#define R_DOORBELL 0x18 /* write anything: process R_DESC (an ioeventfd) */
#define BAR_SIZE 0x1000

/* PCI COMMAND register bits */
#define PCI_COMMAND_MEMORY 0x2
#define PCI_COMMAND_MASTER 0x4

/* The descriptor, in guest memory, little-endian. */
#define D_SRC 0
#define D_DST 8
#define D_LEN 16
#define D_FLAGS 20 /* written by the device */
#define D_FLAG_DONE 1
#define D_FLAG_ERROR 2

#define BAR_UNMAPPED UINT64_MAX

typedef struct DmaDev {
    MemoryRegion bar;
    MemoryRegion *pci_mem;  /* the window BARs are mapped in */
    MemoryRegion bm_root;   /* bus master: container ... */
    MemoryRegion bm_enable; /* ... and the switchable alias in it */
    AddressSpace bm_as;
    EventNotifier doorbell;
    EventNotifier stop;
    pthread_t iothread;
    uint16_t command;
    uint64_t bar_addr;    /* what the BAR register says */
    uint64_t bar_mapped;  /* where BAR 0 is mapped, or BAR_UNMAPPED */
    uint64_t desc;        /* shared with the I/O thread */
    uint32_t done;        /* shared with the I/O thread */
    unsigned writes_seen; /* write callbacks */
} DmaDev;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "06-pci-dma: %s:%d: %s\n", __FILE__, __LINE__, \
                    #cond);                                                \
            exit(1);                                                       \
        }                                                                  \
    } while (0)

/* --- the device's registers ---------------------------------------------- */

static uint64_t bar_read(void *opaque, hwaddr addr, unsigned size)
{
    DmaDev *d = opaque;
    switch (addr) {
    case R_ID: return 0x1234abcd;
    case R_DESC: return __atomic_load_n(&d->desc, __ATOMIC_ACQUIRE);
    case R_DONE: return __atomic_load_n(&d->done, __ATOMIC_ACQUIRE);
    default: return 0;
    }
}

static void bar_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    DmaDev *d = opaque;
    d->writes_seen++;
    if (addr == R_DESC) {
        __atomic_store_n(&d->desc, data, __ATOMIC_RELEASE);
    }
    /* R_DOORBELL never gets here while its ioeventfd is attached. */
}

static const MemoryRegionOps bar_ops = {
    .read = bar_read,
    .write = bar_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 8 },
};

/* --- DMA, on the I/O thread -------------------------------------------------- */

static uint32_t dma_copy(AddressSpace *as, uint64_t src, uint64_t dst,
                         uint32_t len, MemTxAttrs attrs)
{
    while (len) {
        dma_addr_t plen = len;
        void *p =
            dma_memory_map(as, src, &plen, DMA_DIRECTION_TO_DEVICE, attrs);
        MemTxResult r;
        if (p) { /* RAM: straight from the guest's memory */
            r = dma_memory_write(as, dst, p, plen, attrs);
            dma_memory_unmap(as, p, plen, DMA_DIRECTION_TO_DEVICE, plen);
        } else { /* not mappable: through a buffer */
            uint8_t buf[256];
            plen = len < sizeof(buf) ? len : sizeof(buf);
            r = dma_memory_read(as, src, buf, plen, attrs);
            r |= dma_memory_write(as, dst, buf, plen, attrs);
        }
        if (r != MEMTX_OK) {
            return D_FLAG_DONE | D_FLAG_ERROR;
        }
        src += plen;
        dst += plen;
        len -= plen;
    }
    return D_FLAG_DONE;
}

static void dma_run(DmaDev *d)
{
    /* The requester id a PCI device at 00:03.0 puts on its requests. */
    MemTxAttrs attrs = { .requester_id = 0x18 };
    uint64_t desc = __atomic_load_n(&d->desc, __ATOMIC_ACQUIRE);
    uint64_t src, dst;
    uint32_t len;
    MemTxResult r = ldq_le_dma(&d->bm_as, desc + D_SRC, &src, attrs);
    r |= ldq_le_dma(&d->bm_as, desc + D_DST, &dst, attrs);
    r |= ldl_le_dma(&d->bm_as, desc + D_LEN, &len, attrs);
    if (r == MEMTX_OK) {
        stl_le_dma(&d->bm_as, desc + D_FLAGS,
                   dma_copy(&d->bm_as, src, dst, len, attrs), attrs);
    } /* else: it cannot even read its descriptor; nothing to report to */
    __atomic_add_fetch(&d->done, 1, __ATOMIC_RELEASE);
}

static void *iothread_main(void *opaque)
{
    DmaDev *d = opaque;
    struct pollfd fds[2] = {
        { .fd = event_notifier_get_fd(&d->doorbell), .events = POLLIN },
        { .fd = event_notifier_get_fd(&d->stop), .events = POLLIN },
    };
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            continue;
        }
        if (fds[1].revents) {
            return NULL;
        }
        if (event_notifier_test_and_clear(&d->doorbell)) {
            dma_run(d);
        }
    }
}

/* --- PCI plumbing: what config-space writes do ------------------------------ */

static void pci_update_mappings(DmaDev *d)
{
    uint64_t want =
        (d->command & PCI_COMMAND_MEMORY) ? d->bar_addr : BAR_UNMAPPED;
    if (want == d->bar_mapped) {
        return;
    }
    if (d->bar_mapped != BAR_UNMAPPED) {
        memory_region_del_subregion(d->pci_mem, &d->bar);
    }
    if (want != BAR_UNMAPPED) {
        memory_region_add_subregion_overlap(d->pci_mem, want, &d->bar, 1);
    }
    d->bar_mapped = want;
}

static void pci_write_command(DmaDev *d, uint16_t command)
{
    d->command = command;
    memory_region_set_enabled(&d->bm_enable, command & PCI_COMMAND_MASTER);
    pci_update_mappings(d);
}

static void pci_write_bar(DmaDev *d, uint64_t addr)
{
    d->bar_addr = addr;
    pci_update_mappings(d);
}

static void dma_realize(DmaDev *d, MemoryRegion *pci_mem)
{
    d->pci_mem = pci_mem;
    d->bar_mapped = BAR_UNMAPPED;
    memory_region_init_io(&d->bar, NULL, &bar_ops, d, "dma-bar0", BAR_SIZE);
    CHECK(event_notifier_init(&d->doorbell, 0) == 0);
    CHECK(event_notifier_init(&d->stop, 0) == 0);
    memory_region_add_eventfd(&d->bar, R_DOORBELL, 4, false, 0, &d->doorbell);

    memory_region_init(&d->bm_root, NULL, "bus master container", UINT64_MAX);
    memory_region_init_alias(&d->bm_enable, NULL, "bus master",
                             get_system_memory(), 0, UINT64_MAX);
    memory_region_set_enabled(&d->bm_enable, false);
    memory_region_add_subregion(&d->bm_root, 0, &d->bm_enable);
    address_space_init(&d->bm_as, &d->bm_root, "dma-dev");
    CHECK(pthread_create(&d->iothread, NULL, iothread_main, d) == 0);
}

static void dma_unrealize(DmaDev *d)
{
    event_notifier_set(&d->stop);
    pthread_join(d->iothread, NULL);
    pci_write_command(d, 0);
    address_space_destroy(&d->bm_as);
    memory_region_del_subregion(&d->bm_root, &d->bm_enable);
    CHECK(gm_memory_region_destroy(&d->bm_enable, NULL) == 0);
    CHECK(gm_memory_region_destroy(&d->bm_root, NULL) == 0);
    memory_region_del_eventfd(&d->bar, R_DOORBELL, 4, false, 0, &d->doorbell);
    CHECK(gm_memory_region_destroy(&d->bar, NULL) == 0);
    event_notifier_cleanup(&d->doorbell);
    event_notifier_cleanup(&d->stop);
}

/* --- a listener that watches ioeventfds, as a KVM backend does ------------ */

static uint64_t eventfd_at = BAR_UNMAPPED;

static void on_eventfd_add(MemoryListener *l, MemoryRegionSection *s,
                           bool match_data, uint64_t data, EventNotifier *e)
{
    eventfd_at = s->offset_within_address_space;
    printf("  listener: eventfd_add at 0x%" PRIx64 "\n", eventfd_at);
}

static void on_eventfd_del(MemoryListener *l, MemoryRegionSection *s,
                           bool match_data, uint64_t data, EventNotifier *e)
{
    printf("  listener: eventfd_del at 0x%" PRIx64 "\n",
           s->offset_within_address_space);
    eventfd_at = BAR_UNMAPPED;
}

/* --- the guest's side ------------------------------------------------------------- */

/* Ring the doorbell at BAR @bar and wait for the device to count it. */
static void guest_kick(AddressSpace *as, uint64_t bar, uint64_t desc)
{
    uint32_t before = ldl_le_phys(as, bar + R_DONE);
    stq_le_phys(as, bar + R_DESC, desc);
    stl_le_phys(as, bar + R_DOORBELL, 1);
    for (int i = 0; i < 5000; i++) {
        if (ldl_le_phys(as, bar + R_DONE) != before) {
            return;
        }
        nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
    }
    CHECK(!"the device did not answer within 5 s");
}

static void guest_descriptor(AddressSpace *as, uint64_t desc, uint64_t src,
                             uint64_t dst, uint32_t len)
{
    stq_le_phys(as, desc + D_SRC, src);
    stq_le_phys(as, desc + D_DST, dst);
    stl_le_phys(as, desc + D_LEN, len);
    stl_le_phys(as, desc + D_FLAGS, 0);
}

int main(void)
{
    static MemoryRegion ram, pci;
    static DmaDev dev;
    AddressSpace *as = &address_space_memory;
    MemoryRegion *sys = get_system_memory();

    memory_region_init_ram(&ram, NULL, "ram", 16 << 20, &error_fatal);
    memory_region_init(&pci, NULL, "pci", UINT64_MAX);
    memory_region_add_subregion(sys, 0, &ram);
    memory_region_add_subregion_overlap(sys, 0, &pci, -1);

    MemoryListener kvm = { .eventfd_add = on_eventfd_add,
                           .eventfd_del = on_eventfd_del,
                           .name = "ioeventfds" };
    memory_listener_register(&kvm, as);

    dma_realize(&dev, &pci);
    printf("firmware: BAR0 at 0xfe000000, memory decoding on\n");
    pci_write_bar(&dev, 0xfe000000);
    pci_write_command(&dev, PCI_COMMAND_MEMORY);
    CHECK(eventfd_at == 0xfe000000 + R_DOORBELL);
    CHECK(ldl_le_phys(as, 0xfe000000 + R_ID) == 0x1234abcd);

    /* 8 KiB of a pattern at 0x10000, a descriptor at 0x1000. */
    for (unsigned i = 0; i < 8192; i += 4) {
        stl_le_phys(as, 0x10000 + i, i * 0x01010101u);
    }
    guest_descriptor(as, 0x1000, 0x10000, 0x20000, 8192);

    printf("guest: DMA without bus mastering\n");
    unsigned writes = dev.writes_seen;
    guest_kick(as, 0xfe000000, 0x1000);
    CHECK(dev.writes_seen == writes + 1); /* R_DESC, not the doorbell */
    CHECK(ldl_le_phys(as, 0x1000 + D_FLAGS) == 0); /* it could not write */
    CHECK(ldl_le_phys(as, 0x20000) == 0);

    printf("guest: DMA with bus mastering\n");
    memory_region_set_log(&ram, true, DIRTY_MEMORY_VGA);
    memory_region_reset_dirty(&ram, 0, 16 << 20, DIRTY_MEMORY_VGA);
    pci_write_command(&dev, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    guest_kick(as, 0xfe000000, 0x1000);
    CHECK(ldl_le_phys(as, 0x1000 + D_FLAGS) == D_FLAG_DONE);
    for (unsigned i = 0; i < 8192; i += 4) {
        CHECK(ldl_le_phys(as, 0x20000 + i) == i * 0x01010101u);
    }
    /* The device's writes went through the access path, so the pages it
     * wrote (and the descriptor's) are dirty, and no other. */
    CHECK(memory_region_get_dirty(&ram, 0x20000, 8192, DIRTY_MEMORY_VGA));
    CHECK(memory_region_get_dirty(&ram, 0x1000, 4096, DIRTY_MEMORY_VGA));
    CHECK(!memory_region_get_dirty(&ram, 0x10000, 8192, DIRTY_MEMORY_VGA));
    memory_region_set_log(&ram, false, DIRTY_MEMORY_VGA);

    printf("firmware: BAR0 moves to 0xfe100000\n");
    pci_write_bar(&dev, 0xfe100000);
    CHECK(eventfd_at == 0xfe100000 + R_DOORBELL);
    MemTxResult r;
    address_space_ldl_le(as, 0xfe000000 + R_ID, MEMTXATTRS_UNSPECIFIED, &r);
    CHECK(r == MEMTX_DECODE_ERROR); /* nothing there any more */
    CHECK(ldl_le_phys(as, 0xfe100000 + R_ID) == 0x1234abcd);

    printf("guest: DMA from an address nothing serves\n");
    guest_descriptor(as, 0x1000, 0x40000000, 0x30000, 64);
    guest_kick(as, 0xfe100000, 0x1000);
    CHECK(ldl_le_phys(as, 0x1000 + D_FLAGS) == (D_FLAG_DONE | D_FLAG_ERROR));

    printf("firmware: memory decoding off\n");
    pci_write_command(&dev, 0);
    CHECK(eventfd_at == BAR_UNMAPPED);

    dma_unrealize(&dev);
    memory_listener_unregister(&kvm);
    memory_region_del_subregion(sys, &pci);
    memory_region_del_subregion(sys, &ram);
    gm_reset();
    CHECK(gm_memory_region_destroy(&pci, NULL) == 0);
    CHECK(gm_memory_region_destroy(&ram, NULL) == 0);
    printf("ok\n");
    return 0;
}
