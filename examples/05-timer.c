// SPDX-License-Identifier: MIT
/*
 * 05-timer.c - a timer device with 64-bit registers and a 32-bit
 * implementation, the arrangement of an HPET: guests may access every
 * register with 4- or 8-byte loads and stores (MemoryRegionOps.valid 4..8),
 * while the device's callbacks only ever see 4-byte halves (.impl 4..4).
 * The access path splits an 8-byte access into two calls, low half first
 * for this little-endian device, and refuses 1- and 2-byte accesses and
 * unaligned ones before the device sees them.
 *
 * Registers (all 64 bits):
 *   0x000 CAP      read-only: [63:32] counter period in femtoseconds,
 *                  [15:8] number of timers - 1, [7:0] revision
 *   0x010 CONFIG   bit 0: the main counter runs
 *   0x020 STATUS   bit 0: timer 0 fired; write 1 to clear
 *   0x0f0 COUNTER  the main counter; writable while stopped
 *   0x108 CMP      timer 0 fires when the counter reaches it
 * Time is a virtual clock that main() advances, so that every run is the
 * same.  The program checks what a guest would see and exits non-zero on
 * the first difference.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <guestmem/guestmem.h>

#define T_CAP 0x000
#define T_CONFIG 0x010
#define T_STATUS 0x020
#define T_COUNTER 0x0f0
#define T_CMP 0x108
#define PERIOD_NS 10 /* a 100 MHz counter */

typedef struct Timer {
    MemoryRegion mmio;
    uint64_t now_ns; /* the virtual clock */
    uint64_t config;
    uint64_t status;
    uint64_t counter; /* while stopped; when started, at start_ns */
    uint64_t start_ns;
    uint64_t cmp;
    bool armed;     /* one shot: CMP written, not fired yet */
    unsigned calls; /* callbacks seen: each is a 4-byte access */
    unsigned irqs;
} Timer;

static uint64_t timer_counter(const Timer *t)
{
    if (!(t->config & 1)) {
        return t->counter;
    }
    return t->counter + (t->now_ns - t->start_ns) / PERIOD_NS;
}

static uint64_t timer_reg(const Timer *t, hwaddr reg)
{
    switch (reg) {
    case T_CAP: return (uint64_t)(PERIOD_NS * 1000000) << 32 | 0 << 8 | 1;
    case T_CONFIG: return t->config;
    case T_STATUS: return t->status;
    case T_COUNTER: return timer_counter(t);
    case T_CMP: return t->cmp;
    default: return 0; /* reserved registers read as zero */
    }
}

/* Fire timer 0 once, when the counter has reached the comparator. */
static void timer_update(Timer *t)
{
    if ((t->config & 1) && t->armed && timer_counter(t) >= t->cmp) {
        t->armed = false;
        t->status |= 1;
        t->irqs++;
    }
}

/* Both callbacks see one 32-bit half: @addr & 4 says which. */
static uint64_t timer_read(void *opaque, hwaddr addr, unsigned size)
{
    Timer *t = opaque;
    t->calls++;
    if (size != 4) {
        abort(); /* impl.min/max_access_size promise it never happens */
    }
    return (uint32_t)(timer_reg(t, addr & ~7) >> ((addr & 4) * 8));
}

static void timer_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    Timer *t = opaque;
    hwaddr reg = addr & ~7;
    unsigned shift = (addr & 4) * 8;
    uint64_t mask = (uint64_t)0xffffffff << shift;
    uint64_t v = (timer_reg(t, reg) & ~mask) | (data << shift & mask);

    t->calls++;
    if (size != 4) {
        abort();
    }
    switch (reg) {
    case T_CONFIG:
        if ((v & 1) && !(t->config & 1)) {
            t->start_ns = t->now_ns; /* start counting from here */
        } else if (!(v & 1) && (t->config & 1)) {
            t->counter = timer_counter(t); /* freeze */
        }
        t->config = v & 1;
        break;
    case T_STATUS:
        t->status &= ~v; /* write 1 to clear */
        break;
    case T_COUNTER:
        if (!(t->config & 1)) {
            t->counter = v;
        }
        break;
    case T_CMP:
        t->cmp = v;
        t->armed = true;
        break;
    }
    timer_update(t);
}

static const MemoryRegionOps timer_ops = {
    .read = timer_read,
    .write = timer_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static void timer_advance(Timer *t, uint64_t ns)
{
    t->now_ns += ns;
    timer_update(t);
}

#define CHECK(cond)                                                      \
    do {                                                                 \
        if (!(cond)) {                                                   \
            fprintf(stderr, "05-timer: %s:%d: %s\n", __FILE__, __LINE__, \
                    #cond);                                              \
            exit(1);                                                     \
        }                                                                \
    } while (0)

int main(void)
{
    static Timer t;
    const hwaddr base = 0xfed00000;
    AddressSpace *as = &address_space_memory;
    MemTxResult r;

    memory_region_init_io(&t.mmio, NULL, &timer_ops, &t, "timer", 0x400);
    memory_region_add_subregion(get_system_memory(), base, &t.mmio);

    /* An 8-byte read is two 4-byte calls, combined in guest order. */
    uint64_t cap =
        address_space_ldq_le(as, base + T_CAP, MEMTXATTRS_UNSPECIFIED, &r);
    CHECK(r == MEMTX_OK && t.calls == 2);
    CHECK(cap >> 32 == PERIOD_NS * 1000000 && (cap & 0xff) == 1);
    printf("CAP = 0x%016" PRIx64 " (period %" PRIu64 " fs), 2 calls\n", cap,
           cap >> 32);
    /* A 4-byte read of the high half is one call. */
    CHECK(address_space_ldl_le(as, base + T_CAP + 4, MEMTXATTRS_UNSPECIFIED,
                               &r) == cap >> 32);
    CHECK(r == MEMTX_OK && t.calls == 3);

    /* Narrower than valid.min_access_size, or unaligned: refused before
     * the device is called. */
    uint8_t byte;
    r = address_space_read(as, base + T_CAP, MEMTXATTRS_UNSPECIFIED, &byte, 1);
    CHECK(r == MEMTX_DECODE_ERROR && t.calls == 3);
    address_space_ldq_le(as, base + T_CAP + 4, MEMTXATTRS_UNSPECIFIED, &r);
    CHECK(r == MEMTX_DECODE_ERROR && t.calls == 3);
    printf("1-byte and unaligned 8-byte accesses refused, device not "
           "called\n");

    /* Program the counter and the comparator with 8-byte stores (two
     * calls each), then start it. */
    address_space_stq_le(as, base + T_COUNTER, 0xfffffff0,
                         MEMTXATTRS_UNSPECIFIED, &r);
    CHECK(r == MEMTX_OK && t.calls == 5 && t.counter == 0xfffffff0);
    stq_le_phys(as, base + T_CMP, 0x100000100); /* past the 32-bit wrap */
    CHECK(t.cmp == 0x100000100);
    stl_le_phys(as, base + T_CONFIG, 1);
    timer_advance(&t, 100 * PERIOD_NS);
    /* The 64-bit counter carries into its high half: a guest reading it
     * in one 8-byte access gets a consistent value. */
    uint64_t c = ldq_le_phys(as, base + T_COUNTER);
    CHECK(c == UINT64_C(0xfffffff0) + 100);
    printf("counter after 1 us: 0x%" PRIx64 "\n", c);
    CHECK(t.irqs == 0);
    timer_advance(&t, 200 * PERIOD_NS);
    CHECK(t.irqs == 1 && (ldq_le_phys(as, base + T_STATUS) & 1));
    printf("timer 0 fired at counter 0x%" PRIx64 "\n",
           ldq_le_phys(as, base + T_COUNTER));
    stq_le_phys(as, base + T_STATUS, 1); /* acknowledge */
    CHECK(ldq_le_phys(as, base + T_STATUS) == 0);

    /* Stopped, the counter holds still and takes writes. */
    stl_le_phys(as, base + T_CONFIG, 0);
    uint64_t held = ldq_le_phys(as, base + T_COUNTER);
    timer_advance(&t, 1000);
    CHECK(ldq_le_phys(as, base + T_COUNTER) == held);

    memory_region_del_subregion(get_system_memory(), &t.mmio);
    gm_reset();
    CHECK(gm_memory_region_destroy(&t.mmio, NULL) == 0);
    printf("ok\n");
    return 0;
}
