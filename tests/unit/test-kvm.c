// SPDX-License-Identifier: MIT
/*
 * test-kvm.c - the KVM backend (accel/kvm.c) and the vCPUs (vcpu.h).
 *
 * First the slot table, scripted: which flat ranges become KVM memory
 * slots, with which flags, trimmed how; the slot limit, a second VM on one
 * address space, dirty-log flags.  Then real guests: tiny real-mode
 * programs, assembled below byte by byte, run from a ROM at the reset
 * vector and checked by what they leave in RAM and what the devices saw.
 * The programs that do not depend on KVM run on the software CPU too
 * (libx86emu), so that their checks also run where /dev/kvm does not.
 *
 * Without a usable /dev/kvm the KVM tests skip, saying why on stdout (TAP)
 * and stderr; they never pass silently.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../harness/test.h"

#define PAGE 0x1000u

/* --- skipping ---------------------------------------------------------- */

static void skip_loudly(const char *what, Error *err)
{
    char reason[512];
    snprintf(reason, sizeof(reason), "%s: %s", what, error_get_pretty(err));
    error_free(err);
    fprintf(stderr, "# SKIP %s\n", reason);
    test_skip(reason);
}

/* KVM tests run wherever gm_kvm_usable() succeeds and skip elsewhere. */
static void need_kvm(void)
{
    Error *err = NULL;
    if (!gm_kvm_usable(&err)) {
        skip_loudly("/dev/kvm", err);
    }
}

#define EXPECT_OK(cond, err)                                           \
    do {                                                               \
        if (!(cond)) {                                                 \
            test_fail(__FILE__, __LINE__, "%s failed: %s", #cond,      \
                      (err) ? error_get_pretty(err) : "(no message)"); \
        }                                                              \
    } while (0)

/* --- the slot table, scripted ------------------------------------------ */

static MemoryRegion root;
static AddressSpace as;
static GmKvm *kvm;
static GmKvmSlot slot[64];

static void slots_setup(void)
{
    need_kvm();
    test_capture_errors();
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    address_space_init(&as, &root, "kvm-test");
    Error *err = NULL;
    kvm = gm_kvm_new(&as, NULL, &err);
    EXPECT_OK(kvm != NULL, err);
}

/* The slot table now, after checking that no listener met an error. */
static size_t slots_now(void)
{
    Error *err = NULL;
    int rc = gm_kvm_check(kvm, &err);
    EXPECT_OK(rc == 0, err);
    return gm_kvm_slots(kvm, slot, sizeof(slot) / sizeof(slot[0]));
}

/* Undo slots_setup() and the regions of the test, given in the order they
 * were made (aliases after their targets), so that an in-process run
 * (`test-kvm NAME`, for the leak checker) ends clean. */
static void slots_done_list(MemoryRegion *const *mr, size_t n)
{
    gm_kvm_free(kvm);
    kvm = NULL;
    address_space_destroy(&as);
    for (size_t i = 0; i < n; i++) {
        if (mr[i]->container) {
            memory_region_del_subregion(mr[i]->container, mr[i]);
        }
    }
    Error *err = NULL;
    for (size_t i = n; i-- > 0;) {
        EXPECT_OK(gm_memory_region_destroy(mr[i], &err) == 0, err);
    }
    EXPECT_OK(gm_memory_region_destroy(&root, &err) == 0, err);
}

#define SLOTS_DONE(...)                                           \
    do {                                                          \
        MemoryRegion *const made_[] = { __VA_ARGS__ };            \
        slots_done_list(made_, sizeof(made_) / sizeof(made_[0])); \
    } while (0)

static void expect_slot(const GmKvmSlot *s, uint64_t gpa, uint64_t size,
                        const void *host, bool ro, bool log)
{
    ASSERT_ADDR_EQ(s->guest_phys_addr, gpa);
    ASSERT_ADDR_EQ(s->memory_size, size);
    ASSERT_ADDR_EQ((uintptr_t)s->userspace_addr, (uintptr_t)host);
    ASSERT_EQ(s->readonly, ro);
    ASSERT_EQ(s->log_dirty, log);
}

static void new_ram(MemoryRegion *mr, const char *name, uint64_t size)
{
    Error *err = NULL;
    EXPECT_OK(memory_region_init_ram(mr, NULL, name, size, &err), err);
}

TEST(kvm_new_without_address_space_fails_cleanly)
{
    /* No /dev/kvm needed: the arguments are checked first. */
    Error *err = NULL;
    ASSERT(gm_kvm_new(NULL, NULL, &err) == NULL);
    ASSERT(err != NULL);
    ASSERT_EQ(gm_error_code(err), GM_ERR_INVALID_ARG);
    error_free(err);
    ASSERT(gm_kvm_new(NULL, NULL, NULL) == NULL);
    err = NULL;
    ASSERT_EQ(gm_kvm_check(NULL, &err), -GM_ERR_INVALID_ARG);
    error_free(err);
    ASSERT_EQ(gm_kvm_slots(NULL, slot, 4), 0);
    ASSERT_EQ(gm_kvm_vm_fd(NULL), -1);
    err = NULL;
    ASSERT(gm_kvm_vcpu_new(NULL, &err) == NULL);
    ASSERT_EQ(gm_error_code(err), GM_ERR_INVALID_ARG);
    error_free(err);
    gm_kvm_free(NULL);
    gm_kvm_set_slot_limit(NULL, 3);
    gm_kvm_flush_coalesced(NULL);
}

TEST(ram_gives_one_writable_slot)
{
    slots_setup();
    ASSERT_EQ(slots_now(), 0);
    MemoryRegion ram;
    new_ram(&ram, "ram", 0x10000);
    memory_region_add_subregion(&root, 0x100000, &ram);
    ASSERT_EQ(slots_now(), 1);
    expect_slot(&slot[0], 0x100000, 0x10000, memory_region_get_ram_ptr(&ram),
                false, false);
    /* MMIO and an empty container next to it make no slot. */
    static const MemoryRegionOps ops = { 0 };
    MemoryRegion io, cont;
    memory_region_init_io(&io, NULL, &ops, NULL, "io", 0x1000);
    memory_region_init(&cont, NULL, "cont", 0x4000);
    memory_region_add_subregion(&root, 0x200000, &io);
    memory_region_add_subregion(&root, 0x300000, &cont);
    ASSERT_EQ(slots_now(), 1);
    /* Moving the RAM moves the slot. */
    memory_region_set_address(&ram, 0x400000);
    ASSERT_EQ(slots_now(), 1);
    expect_slot(&slot[0], 0x400000, 0x10000, memory_region_get_ram_ptr(&ram),
                false, false);
    SLOTS_DONE(&ram, &io, &cont);
}

TEST(rom_and_readonly_alias_give_readonly_slots)
{
    slots_setup();
    MemoryRegion rom, ram, ro, rw;
    Error *err = NULL;
    EXPECT_OK(memory_region_init_rom(&rom, NULL, "rom", 0x2000, &err), err);
    new_ram(&ram, "ram", 0x10000);
    memory_region_init_alias(&ro, NULL, "ro", &ram, 0x4000, 0x2000);
    memory_region_init_alias(&rw, NULL, "rw", &ram, 0x8000, 0x1000);
    memory_region_set_readonly(&ro, true);
    memory_region_add_subregion(&root, 0x1000, &rom);
    memory_region_add_subregion(&root, 0x100000, &ram);
    memory_region_add_subregion(&root, 0x200000, &ro);
    memory_region_add_subregion(&root, 0x300000, &rw);
    ASSERT_EQ(slots_now(), 4);
    uint8_t *host = memory_region_get_ram_ptr(&ram);
    expect_slot(&slot[0], 0x1000, 0x2000, memory_region_get_ram_ptr(&rom), true,
                false);
    expect_slot(&slot[1], 0x100000, 0x10000, host, false, false);
    expect_slot(&slot[2], 0x200000, 0x2000, host + 0x4000, true, false);
    expect_slot(&slot[3], 0x300000, 0x1000, host + 0x8000, false, false);
    /* Made writable again: a writable slot in its place. */
    memory_region_set_readonly(&ro, false);
    ASSERT_EQ(slots_now(), 4);
    expect_slot(&slot[2], 0x200000, 0x2000, host + 0x4000, false, false);
    SLOTS_DONE(&rom, &ram, &ro, &rw);
}

static void flash_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
}

TEST(rom_device_slot_follows_romd_mode)
{
    slots_setup();
    static const MemoryRegionOps ops = { .write = flash_write };
    MemoryRegion flash;
    Error *err = NULL;
    EXPECT_OK(memory_region_init_rom_device(&flash, NULL, &ops, NULL, "flash",
                                            0x4000, &err),
              err);
    memory_region_add_subregion(&root, 0xfffc0000, &flash);
    void *host = memory_region_get_ram_ptr(&flash);
    ASSERT_EQ(slots_now(), 1);
    expect_slot(&slot[0], 0xfffc0000, 0x4000, host, true, false);
    memory_region_rom_device_set_romd(&flash, false);
    ASSERT_EQ(slots_now(), 0);
    memory_region_rom_device_set_romd(&flash, true);
    ASSERT_EQ(slots_now(), 1);
    expect_slot(&slot[0], 0xfffc0000, 0x4000, host, true, false);
    SLOTS_DONE(&flash);
}

TEST(unaligned_sections_are_trimmed_to_pages)
{
    slots_setup();
    /* RAM at 0x1800: its guest pages start 0x800 into host pages, so no
     * page of it can be mapped; the guest reaches it all through exits. */
    MemoryRegion ram, ram2, win, small, odd;
    new_ram(&ram, "ram", 0x3000);
    memory_region_add_subregion(&root, 0x1800, &ram);
    ASSERT_EQ(slots_now(), 0);
    /* The same placement through an alias 0x800 into its RAM lines the
     * pages up: the section is trimmed inward to [0x2000, 0x4000). */
    new_ram(&ram2, "ram2", 0x8000);
    memory_region_init_alias(&win, NULL, "win", &ram2, 0x800, 0x5000);
    memory_region_add_subregion(&root, 0x101800, &win);
    ASSERT_EQ(slots_now(), 1);
    uint8_t *host = memory_region_get_ram_ptr(&ram2);
    expect_slot(&slot[0], 0x102000, 0x4000, host + 0x1000, false, false);
    /* Less than a page once trimmed: no slot. */
    new_ram(&small, "small", 0x1000);
    memory_region_add_subregion(&root, 0x10800, &small);
    ASSERT_EQ(slots_now(), 1);
    /* Page-aligned in the guest but not on the host (an alias 0x100 into
     * its RAM): no slot either. */
    memory_region_init_alias(&odd, NULL, "odd", &ram2, 0x100, 0x2000);
    memory_region_add_subregion(&root, 0x20000, &odd);
    ASSERT_EQ(slots_now(), 1);
    /* Covering part of the window splits it into two ranges; each keeps
     * its whole pages only. */
    static const MemoryRegionOps ops = { 0 };
    MemoryRegion hole;
    memory_region_init_io(&hole, NULL, &ops, NULL, "hole", 0x100);
    memory_region_add_subregion_overlap(&root, 0x103080, &hole, 1);
    ASSERT_EQ(slots_now(), 2);
    expect_slot(&slot[0], 0x102000, 0x1000, host + 0x1000, false, false);
    expect_slot(&slot[1], 0x104000, 0x2000, host + 0x3000, false, false);
    memory_region_set_address(&hole, 0x105f80);
    ASSERT_EQ(slots_now(), 1);
    expect_slot(&slot[0], 0x102000, 0x3000, host + 0x1000, false, false);
    SLOTS_DONE(&ram, &ram2, &win, &small, &odd, &hole);
}

TEST(disabling_a_region_removes_its_slot)
{
    slots_setup();
    MemoryRegion a, b, cont;
    new_ram(&a, "a", 0x2000);
    new_ram(&b, "b", 0x2000);
    memory_region_init(&cont, NULL, "cont", 0x100000);
    memory_region_add_subregion(&cont, 0x0, &b);
    memory_region_add_subregion(&root, 0x10000, &a);
    memory_region_add_subregion(&root, 0x100000, &cont);
    ASSERT_EQ(slots_now(), 2);
    memory_region_set_enabled(&a, false);
    ASSERT_EQ(slots_now(), 1);
    ASSERT_ADDR_EQ(slot[0].guest_phys_addr, 0x100000);
    /* Disabling a container hides what is in it. */
    memory_region_set_enabled(&cont, false);
    ASSERT_EQ(slots_now(), 0);
    memory_region_set_enabled(&a, true);
    memory_region_set_enabled(&cont, true);
    ASSERT_EQ(slots_now(), 2);
    memory_region_del_subregion(&root, &a);
    ASSERT_EQ(slots_now(), 1);
    SLOTS_DONE(&a, &b, &cont);
}

TEST(slot_limit_is_an_error_not_an_abort)
{
    slots_setup();
    gm_kvm_set_slot_limit(kvm, 4);
    MemoryRegion ram[7], more;
    for (unsigned i = 0; i < 7; i++) {
        char name[16];
        snprintf(name, sizeof(name), "ram%u", i);
        new_ram(&ram[i], name, PAGE);
        memory_region_add_subregion(&root, 0x100000 + i * 0x10000, &ram[i]);
    }
    Error *err = NULL;
    ASSERT_EQ(gm_kvm_check(kvm, &err), -GM_ERR_UNSUPPORTED);
    ASSERT(err != NULL);
    const char *msg = error_get_pretty(err);
    fprintf(stderr, "# the expected error: %s\n", msg);
    ASSERT(strstr(msg, "slot") != NULL);
    ASSERT(strstr(msg, "allows 4") != NULL);
    error_free(err);
    ASSERT_EQ(gm_kvm_slots(kvm, slot, 64), 4);
    /* Reported once: the check cleared it. */
    err = NULL;
    ASSERT_EQ(gm_kvm_check(kvm, &err), 0);
    ASSERT(err == NULL);
    /* A vCPU refuses to run while such an error is pending. */
    new_ram(&more, "more", PAGE);
    memory_region_add_subregion(&root, 0x900000, &more);
    ASSERT_EQ(gm_kvm_slots(kvm, slot, 64), 4);
    GmVcpu *cpu = gm_kvm_vcpu_new(kvm, &err);
    EXPECT_OK(cpu != NULL, err);
    GmVcpuExit why;
    ASSERT_EQ(gm_vcpu_run(cpu, 100, &why, &err), -GM_ERR_UNSUPPORTED);
    ASSERT(strstr(error_get_pretty(err), "slot") != NULL);
    error_free(err);
    gm_vcpu_free(cpu);
    /* Back to KVM's own limit: new ranges get slots again. */
    gm_kvm_set_slot_limit(kvm, 0);
    memory_region_set_address(&more, 0xa00000);
    ASSERT_EQ(slots_now(), 5);
    SLOTS_DONE(&ram[0], &ram[1], &ram[2], &ram[3], &ram[4], &ram[5], &ram[6],
               &more);
}

/* KVM refuses a slot past the guest's physical address width (EINVAL on
 * Linux since 5.19; older kernels take it, and the test skips): reported
 * by gm_kvm_check(), never fatal. */
static void add_unmappable_ram(MemoryRegion *mr)
{
    new_ram(mr, "far", 0x10000);
    memory_region_add_subregion(&root, 0xfff0000000000000ull, mr);
}

static void expect_refused_slot(size_t slots_before)
{
    Error *err = NULL;
    int rc = gm_kvm_check(kvm, &err);
    if (rc == 0 && gm_kvm_slots(kvm, slot, 64) == slots_before + 1) {
        test_skip("this kernel maps a slot at 0xfff0000000000000");
    }
    ASSERT_EQ(rc, -GM_ERR_IO);
    ASSERT(strstr(error_get_pretty(err), "KVM_SET_USER_MEMORY_REGION"));
    ASSERT(strstr(error_get_pretty(err), "'far'"));
    error_free(err);
    ASSERT_EQ(gm_kvm_slots(kvm, slot, 64), slots_before);
}

TEST(slot_kvm_refuses_is_an_error)
{
    slots_setup();
    MemoryRegion low, far;
    new_ram(&low, "low", 0x10000);
    memory_region_add_subregion(&root, 0, &low);
    ASSERT_EQ(slots_now(), 1);
    add_unmappable_ram(&far);
    expect_refused_slot(1);
    /* Its removal is quiet, and the table still works. */
    memory_region_del_subregion(&root, &far);
    memory_region_set_address(&low, 0x100000);
    ASSERT_EQ(slots_now(), 1);
    ASSERT_ADDR_EQ(slot[0].guest_phys_addr, 0x100000);
    SLOTS_DONE(&low, &far);
}

/* The same as the very first slot of a VM, in a child process: a crash
 * inside the add (a signal, or a sanitizer's report and exit) is told
 * apart from a failed check by a byte the child sends once the add has
 * returned. */
TEST(first_slot_kvm_refuses_is_an_error)
{
    slots_setup();
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        MemoryRegion far;
        add_unmappable_ram(&far);
        ASSERT_EQ(write(fds[1], "a", 1), 1);
        expect_refused_slot(0);
        fflush(NULL);
        _exit(0);
    }
    close(fds[1]);
    char added;
    /* The child got as far as adding the region (the crash was there). */
    ASSERT_EQ(read(fds[0], &added, 1), 1);
    close(fds[0]);
    int status;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    ASSERT(ok);
    slots_done_list(NULL, 0);
}

TEST(second_vm_on_one_address_space_is_in_use)
{
    slots_setup();
    Error *err = NULL;
    ASSERT(gm_kvm_new(&as, NULL, &err) == NULL);
    ASSERT_EQ(gm_error_code(err), GM_ERR_IN_USE);
    error_free(err);
    /* Once the first is gone, a new one may come. */
    gm_kvm_free(kvm);
    err = NULL;
    kvm = gm_kvm_new(&as, NULL, &err);
    EXPECT_OK(kvm != NULL, err);
    slots_done_list(NULL, 0);
}

/* The same with more VMs alive, each on its own address space. */
TEST(second_vm_is_in_use_among_many)
{
    enum {
        N = 12
    };
    static MemoryRegion roots[N];
    static AddressSpace spaces[N];
    GmKvm *vms[N];
    need_kvm();
    Error *err = NULL;
    for (unsigned i = 0; i < N; i++) {
        memory_region_init(&roots[i], NULL, "root", UINT64_MAX);
        address_space_init(&spaces[i], &roots[i], "space");
        vms[i] = gm_kvm_new(&spaces[i], NULL, &err);
        EXPECT_OK(vms[i] != NULL, err);
    }
    ASSERT(gm_kvm_new(&spaces[N - 1], NULL, &err) == NULL);
    ASSERT_EQ(gm_error_code(err), GM_ERR_IN_USE);
    error_free(err);
    for (unsigned i = 0; i < N; i++) {
        gm_kvm_free(vms[i]);
        address_space_destroy(&spaces[i]);
        EXPECT_OK(gm_memory_region_destroy(&roots[i], &err) == 0, err);
    }
}

TEST(dirty_logging_sets_the_slot_flag)
{
    slots_setup();
    MemoryRegion ram, rom;
    Error *err = NULL;
    new_ram(&ram, "ram", 0x10000);
    EXPECT_OK(memory_region_init_rom(&rom, NULL, "rom", 0x1000, &err), err);
    memory_region_add_subregion(&root, 0x100000, &ram);
    memory_region_add_subregion(&root, 0x200000, &rom);
    void *host = memory_region_get_ram_ptr(&ram);
    ASSERT_EQ(slots_now(), 2);
    expect_slot(&slot[0], 0x100000, 0x10000, host, false, false);
    memory_global_dirty_log_start(GLOBAL_DIRTY_MIGRATION);
    ASSERT_EQ(slots_now(), 2);
    expect_slot(&slot[0], 0x100000, 0x10000, host, false, true);
    ASSERT_EQ(slot[1].log_dirty, memory_region_get_dirty_log_mask(&rom) != 0);
    ASSERT(slot[1].readonly);
    memory_global_dirty_log_stop(GLOBAL_DIRTY_MIGRATION);
    ASSERT_EQ(slots_now(), 2);
    expect_slot(&slot[0], 0x100000, 0x10000, host, false, false);
    ASSERT(!slot[1].log_dirty);
    /* A region's own logging (VGA) sets it too, until the last stop. */
    memory_region_set_log(&ram, true, DIRTY_MEMORY_VGA);
    ASSERT_EQ(slots_now(), 2);
    ASSERT(slot[0].log_dirty);
    memory_region_set_log(&ram, false, DIRTY_MEMORY_VGA);
    ASSERT_EQ(slots_now(), 2);
    ASSERT(!slot[0].log_dirty);
    SLOTS_DONE(&ram, &rom);
}

/* --- a real-mode guest ---------------------------------------------------
 * The machine: RAM at 0, a 64 KiB ROM at 0xffff0000 (the program, entered
 * through the reset vector) aliased at 0xf0000 as on a PC, a second ROM at
 * 0xe0000, a read-only alias of RAM at 0xc0000, MMIO devices at 0xd0000
 * and up, and port devices at 0x500 and 0x510.  The programs use only
 * near jumps (CS keeps its reset base 0xffff0000), no stack, and
 * interrupts off. */

#define RAM_SIZE 0x80000u
#define ROM_SIZE 0x10000u
#define RO_ALIAS_OFFSET 0x10000u /* where in RAM the read-only alias looks */
#define IDT_DESC 0xa000u         /* a zero-limit IDT descriptor, in ROM */
#define GDT_OFF 0xa100u          /* a flat GDT, in ROM */
#define PM_CODE 0xb000u          /* 32-bit code, in ROM */

typedef enum Accel {
    ACCEL_KVM,
    ACCEL_EMU
} Accel;

static MemoryRegion ram, bios, bios_alias, rom2, ram_ro;
static MemoryRegion mmio, flush, coal, doorbell, port, stop_port;
static MemoryRegion flash, tail, odd;
static EventNotifier bell;
static GmKvm *vm;
static GmVcpu *cpu;

/* What the devices saw, in order. */
typedef struct Event {
    char kind; /* 'R' or 'W' */
    const char *dev;
    hwaddr addr;
    unsigned size;
    uint64_t value;
} Event;

static Event events[64];
static unsigned nevents;

static void record(char kind, const char *dev, hwaddr addr, unsigned size,
                   uint64_t value)
{
    if (nevents < sizeof(events) / sizeof(events[0])) {
        events[nevents++] = (Event){ kind, dev, addr, size, value };
    }
}

/* What a device read gives: different for every address and size. */
static uint64_t read_value(hwaddr addr, unsigned size)
{
    uint64_t v = 0x8badf00d5eed1234ull ^ (addr * 0x0101010101010101ull);
    return size >= 8 ? v : v & ((1ull << (8 * size)) - 1);
}

static uint64_t dev_read(void *opaque, hwaddr addr, unsigned size)
{
    uint64_t v = read_value(addr, size);
    record('R', opaque, addr, size, v);
    return v;
}

static void dev_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    record('W', opaque, addr, size, data);
}

static void stop_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    record('W', opaque, addr, size, data);
    gm_vcpu_stop(cpu);
}

static const MemoryRegionOps dev_ops = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

static const MemoryRegionOps stop_ops = {
    .read = dev_read,
    .write = stop_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

static void expect_event(unsigned i, char kind, const char *dev, hwaddr addr,
                         unsigned size, uint64_t value)
{
    if (i >= nevents) {
        test_fail(__FILE__, __LINE__,
                  "event %u (%c %s+0x%" PRIx64 ") "
                  "missing: only %u events",
                  i, kind, dev, addr, nevents);
    }
    const Event *e = &events[i];
    if (e->kind != kind || strcmp(e->dev, dev) || e->addr != addr ||
        e->size != size || e->value != value) {
        test_fail(__FILE__, __LINE__,
                  "event %u: got %c %s+0x%" PRIx64 " size %u value 0x%" PRIx64
                  ", want %c %s+0x%" PRIx64 " size %u value 0x%" PRIx64,
                  i, e->kind, e->dev, e->addr, e->size, e->value, kind, dev,
                  addr, size, value);
    }
}

/* --- a few x86 instructions, assembled by hand ---------------------------- */

typedef struct Prog {
    uint8_t *code; /* the ROM's host memory, from offset 0 */
    size_t n;
} Prog;

static void emit(Prog *p, unsigned n, const uint8_t *bytes)
{
    memcpy(p->code + p->n, bytes, n);
    p->n += n;
}

#define EMIT(p, ...)                                    \
    emit((p), sizeof((const uint8_t[]){ __VA_ARGS__ }), \
         (const uint8_t[]){ __VA_ARGS__ })
#define LE16(v) (uint8_t)(v), (uint8_t)((v) >> 8)
#define LE32(v) LE16(v), LE16((v) >> 16)

static void i_cli(Prog *p)
{
    EMIT(p, 0xfa);
}

static void i_sti(Prog *p)
{
    EMIT(p, 0xfb);
}

static void i_hlt(Prog *p)
{
    EMIT(p, 0xf4);
}

/* mov ax, seg; mov ds, ax */
static void i_ds(Prog *p, uint16_t seg)
{
    EMIT(p, 0xb8, LE16(seg), 0x8e, 0xd8);
}

/* mov ax, seg; mov es, ax */
static void i_es(Prog *p, uint16_t seg)
{
    EMIT(p, 0xb8, LE16(seg), 0x8e, 0xc0);
}

/* mov byte/word/dword [ds:off], imm */
static void i_st8(Prog *p, uint16_t off, uint8_t v)
{
    EMIT(p, 0xc6, 0x06, LE16(off), v);
}

static void i_st16(Prog *p, uint16_t off, uint16_t v)
{
    EMIT(p, 0xc7, 0x06, LE16(off), LE16(v));
}

static void i_st32(Prog *p, uint16_t off, uint32_t v)
{
    EMIT(p, 0x66, 0xc7, 0x06, LE16(off), LE32(v));
}

/* mov al/eax, [ds:off] */
static void i_ld8(Prog *p, uint16_t off)
{
    EMIT(p, 0xa0, LE16(off));
}

static void i_ld32(Prog *p, uint16_t off)
{
    EMIT(p, 0x66, 0xa1, LE16(off));
}

/* mov [es:off], al/eax */
static void i_st_al_es(Prog *p, uint16_t off)
{
    EMIT(p, 0x26, 0xa2, LE16(off));
}

static void i_st_eax_es(Prog *p, uint16_t off)
{
    EMIT(p, 0x26, 0x66, 0xa3, LE16(off));
}

/* mov dx, port; mov al/ax/eax, v; out dx, al/ax/eax */
static void i_out8(Prog *p, uint16_t port_nr, uint8_t v)
{
    EMIT(p, 0xba, LE16(port_nr), 0xb0, v, 0xee);
}

static void i_out16(Prog *p, uint16_t port_nr, uint16_t v)
{
    EMIT(p, 0xba, LE16(port_nr), 0xb8, LE16(v), 0xef);
}

static void i_out32(Prog *p, uint16_t port_nr, uint32_t v)
{
    EMIT(p, 0xba, LE16(port_nr), 0x66, 0xb8, LE32(v), 0x66, 0xef);
}

/* mov dx, port; in al, dx */
static void i_in8(Prog *p, uint16_t port_nr)
{
    EMIT(p, 0xba, LE16(port_nr), 0xec);
}

static void i_jmp_self(Prog *p)
{
    EMIT(p, 0xeb, 0xfe);
}

/* Into 32-bit protected mode with flat code (0x08) and data (0x10)
 * segments, going on at ROM offset @pm_off (physical 0xffff0000 + it).
 * The GDT and its descriptor are put in the ROM at GDT_OFF. */
static void i_enter_pm32(Prog *p, uint16_t pm_off)
{
    /* Accessed bits already set: the CPU would otherwise write them,
     * and the GDT is in ROM. */
    static const uint8_t gdt[] = {
        0,    0,    0, 0, 0, 0,    0,    0,    /* null */
        0xff, 0xff, 0, 0, 0, 0x9b, 0xcf, 0x00, /* code: base 0, 4 GiB */
        0xff, 0xff, 0, 0, 0, 0x93, 0xcf, 0x00, /* data: base 0, 4 GiB */
    };
    const uint8_t desc[] = { LE16(sizeof(gdt) - 1),
                             LE32(0xffff0000u + GDT_OFF + 8) };
    memcpy(p->code + GDT_OFF, desc, sizeof(desc));
    memcpy(p->code + GDT_OFF + 8, gdt, sizeof(gdt));
    /* o32 lgdt [cs:GDT_OFF]: all 32 bits of the base */
    EMIT(p, 0x66, 0x2e, 0x0f, 0x01, 0x16, LE16(GDT_OFF));
    EMIT(p, 0x0f, 0x20, 0xc0); /* mov eax, cr0 */
    EMIT(p, 0x0c, 0x01);       /* or al, 1 */
    EMIT(p, 0x0f, 0x22, 0xc0); /* mov cr0, eax */
    /* jmp dword 0x08:(0xffff0000 + pm_off) */
    EMIT(p, 0x66, 0xea, LE32(0xffff0000u + pm_off), LE16(0x08));
}

/* 32-bit code: the flat data segment in DS and SS. */
static void i_pm32_flat_data(Prog *p)
{
    EMIT(p, 0xb8, LE32(0x10)); /* mov eax, 0x10 */
    EMIT(p, 0x8e, 0xd8);       /* mov ds, eax */
    EMIT(p, 0x8e, 0xd0);       /* mov ss, eax */
}

/* 32-bit code: lidt [abs]; xor ecx, ecx; div ecx (a #DE) */
static void i_pm32_lidt_div0(Prog *p, uint32_t abs)
{
    EMIT(p, 0x0f, 0x01, 0x1d, LE32(abs), 0x31, 0xc9, 0xf7, 0xf1);
}

/* --- the machine -------------------------------------------------------- */

static void init_rom(MemoryRegion *mr, const char *name, uint64_t size,
                     uint8_t fill)
{
    Error *err = NULL;
    EXPECT_OK(memory_region_init_rom(mr, NULL, name, size, &err), err);
    memset(memory_region_get_ram_ptr(mr), fill, size);
}

/* The regions of the machine, not yet mapped. */
static void machine_regions(void)
{
    new_ram(&ram, "ram", RAM_SIZE);
    init_rom(&bios, "bios", ROM_SIZE, 0);
    init_rom(&rom2, "rom2", PAGE, 0x5c);
    memory_region_init_alias(&bios_alias, NULL, "bios-alias", &bios, 0,
                             ROM_SIZE);
    memory_region_init_alias(&ram_ro, NULL, "ram-ro", &ram, RO_ALIAS_OFFSET,
                             PAGE);
    memory_region_set_readonly(&ram_ro, true);
    memory_region_init_io(&mmio, NULL, &dev_ops, "mmio", "mmio", PAGE);
    memory_region_init_io(&flush, NULL, &dev_ops, "flush", "flush", PAGE);
    memory_region_init_io(&coal, NULL, &dev_ops, "coal", "coal", PAGE);
    memory_region_init_io(&doorbell, NULL, &dev_ops, "doorbell", "doorbell",
                          PAGE);
    memory_region_init_io(&port, NULL, &dev_ops, "port", "port", 8);
    memory_region_init_io(&stop_port, NULL, &stop_ops, "stop", "stop", 1);
    Error *err = NULL;
    EXPECT_OK(memory_region_init_rom_device(&flash, NULL, &dev_ops, "flash",
                                            "flash", 0x2000, &err),
              err);
    memset(memory_region_get_ram_ptr(&flash), 0xf1, 0x2000);
    /* RAM whose end is not page aligned, and RAM whose host pages do not
     * line up with the guest's: partly or not at all in KVM slots. */
    new_ram(&tail, "tail", 0x1800);
    new_ram(&odd, "odd", 0x2000);
}

static void machine_map(void)
{
    MemoryRegion *sys = get_system_memory(), *io = get_system_io();
    memory_region_add_subregion(sys, 0, &ram);
    memory_region_add_subregion(sys, 0xffff0000, &bios);
    memory_region_add_subregion(sys, 0xf0000, &bios_alias);
    memory_region_add_subregion(sys, 0xe0000, &rom2);
    memory_region_add_subregion(sys, 0xc0000, &ram_ro);
    memory_region_add_subregion(sys, 0xd0000, &mmio);
    memory_region_add_subregion(sys, 0xd1000, &flush);
    memory_region_add_subregion(sys, 0xd2000, &coal);
    memory_region_add_subregion(sys, 0xd3000, &doorbell);
    memory_region_add_subregion(sys, 0xd4000, &flash);
    memory_region_add_subregion(sys, 0x90000, &tail);
    memory_region_add_subregion(sys, 0x92800, &odd);
    memory_region_add_subregion(io, 0x500, &port);
    memory_region_add_subregion(io, 0x510, &stop_port);
}

static void machine_init(void)
{
    test_capture_errors();
    machine_regions();
    machine_map();
    memory_region_set_flush_coalesced(&flush);
    memory_region_add_coalescing(&coal, 0, 0x100);
    ASSERT_EQ(event_notifier_init(&bell, 0), 0);
    memory_region_add_eventfd(&doorbell, 0x10, 4, true, 0x42, &bell);
    ASSERT_EQ(test_last_error(), GM_OK);
}

/* The program starts at ROM offset 0; the reset vector (0xfff0) jumps
 * there: jmp near rel16, rel = 0 - 0xfff3. */
static Prog program(void)
{
    uint8_t *rom = memory_region_get_ram_ptr(&bios);
    const uint8_t reset[] = { 0xe9, LE16(0x000d) };
    memcpy(rom + 0xfff0, reset, sizeof(reset));
    Prog p = { rom, 0 };
    i_cli(&p);
    return p;
}

static void start_cpu(Accel accel)
{
    Error *err = NULL;
    if (accel == ACCEL_KVM) {
        need_kvm();
        vm = gm_kvm_new(gm_address_space_memory(), gm_address_space_io(), &err);
        EXPECT_OK(vm != NULL, err);
        cpu = gm_kvm_vcpu_new(vm, &err);
        EXPECT_OK(cpu != NULL, err);
        ASSERT_STR_EQ(gm_vcpu_accel(cpu), "kvm");
        return;
    }
    cpu =
        gm_emu_vcpu_new(gm_address_space_memory(), gm_address_space_io(), &err);
    if (!cpu && gm_error_code(err) == GM_ERR_UNSUPPORTED) {
        skip_loudly("libx86emu", err);
    }
    EXPECT_OK(cpu != NULL, err);
    ASSERT_STR_EQ(gm_vcpu_accel(cpu), "emu");
}

/* Run, expecting an exit rather than an error. */
static GmVcpuExit run(uint64_t timeout_ms)
{
    GmVcpuExit why = 0;
    Error *err = NULL;
    if (gm_vcpu_run(cpu, timeout_ms, &why, &err) < 0) {
        gm_vcpu_dump(cpu, stderr);
        test_fail(__FILE__, __LINE__, "gm_vcpu_run: %s", error_get_pretty(err));
    }
    return why;
}

static void expect_exit(GmVcpuExit got, GmVcpuExit want)
{
    if (got != want) {
        gm_vcpu_dump(cpu, stderr);
        test_fail(__FILE__, __LINE__, "exit %d, want %d", (int)got, (int)want);
    }
}

/* Tear down in the order the lifetimes ask: vCPU, VM, views, regions
 * (aliases before their targets).  The harness runs each test in its own
 * process; this keeps an in-process run (`test-kvm NAME`) leak-free. */
static void machine_done(void)
{
    gm_vcpu_free(cpu);
    gm_kvm_free(vm);
    cpu = NULL;
    vm = NULL;
    gm_reset();
    MemoryRegion *order[] = { &bios_alias, &ram_ro, &ram,  &bios,     &rom2,
                              &mmio,       &flush,  &coal, &doorbell, &port,
                              &stop_port,  &flash,  &tail, &odd };
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        Error *err = NULL;
        EXPECT_OK(gm_memory_region_destroy(order[i], &err) == 0, err);
    }
    event_notifier_cleanup(&bell);
}

static uint8_t *ram_at(hwaddr addr)
{
    return (uint8_t *)memory_region_get_ram_ptr(&ram) + addr;
}

/* --- (a) stores to RAM, hlt, and the dirty pages ------------------------- */

/* Exactly the pages of the migration bitmap that are dirty are @want. */
static void expect_dirty_pages(const uint64_t *want, size_t n)
{
    memory_global_dirty_log_sync();
    DirtyBitmapSnapshot *s = memory_region_snapshot_and_clear_dirty(
        &ram, 0, RAM_SIZE, DIRTY_MEMORY_MIGRATION);
    ASSERT(s != NULL);
    for (uint64_t pg = 0; pg < RAM_SIZE / PAGE; pg++) {
        bool dirty = memory_region_snapshot_get_dirty(&ram, s, pg * PAGE, 1);
        bool wanted = false;
        for (size_t i = 0; i < n; i++) {
            wanted |= want[i] == pg;
        }
        if (dirty != wanted) {
            test_fail(__FILE__, __LINE__, "page 0x%" PRIx64 " is %s, want %s",
                      pg, dirty ? "dirty" : "clean",
                      wanted ? "dirty" : "clean");
        }
    }
    gm_dirty_snapshot_free(s);
}

static void expect_all_dirty(void)
{
    DirtyBitmapSnapshot *s = memory_region_snapshot_and_clear_dirty(
        &ram, 0, RAM_SIZE, DIRTY_MEMORY_MIGRATION);
    ASSERT(s != NULL);
    ASSERT(memory_region_snapshot_get_dirty(&ram, s, 0, 1));
    ASSERT(memory_region_snapshot_get_dirty(&ram, s, RAM_SIZE - 1, 1));
    gm_dirty_snapshot_free(s);
    expect_dirty_pages(NULL, 0);
}

static void guest_stores_then_hlt(Accel accel)
{
    machine_init();
    Prog p = program();
    i_ds(&p, 0);
    i_st8(&p, 0x1000, 0x11);
    i_st16(&p, 0x3004, 0x2222);
    i_st32(&p, 0x7ffc, 0x33333333);
    i_st32(&p, 0x8ffe, 0x55555555); /* straddles pages 8 and 9 */
    i_ds(&p, 0x4000);
    i_st8(&p, 0x5678, 0x44); /* 0x45678 */
    i_hlt(&p);
    start_cpu(accel);
    memory_global_dirty_log_start(GLOBAL_DIRTY_MIGRATION);
    /* New RAM starts all dirty: collect that first. */
    expect_all_dirty();
    expect_exit(run(5000), GM_VCPU_EXIT_HLT);
    /* RAM is written in place, with no exit: the dirty pages come from
     * KVM's dirty log (or, for libx86emu, from the access path). */
    ASSERT_EQ(gm_vcpu_exits(cpu), 0);
    ASSERT_EQ(*ram_at(0x1000), 0x11);
    ASSERT_EQ(ram_at(0x3004)[0], 0x22);
    ASSERT_EQ(ram_at(0x3004)[1], 0x22);
    ASSERT_EQ(ram_at(0x7ffc)[3], 0x33);
    ASSERT_EQ(ram_at(0x8ffe)[0], 0x55);
    ASSERT_EQ(ram_at(0x8ffe)[3], 0x55);
    ASSERT_EQ(*ram_at(0x45678), 0x44);
    ASSERT_EQ(nevents, 0);
    const uint64_t pages[] = { 0x1, 0x3, 0x7, 0x8, 0x9, 0x45 };
    expect_dirty_pages(pages, sizeof(pages) / sizeof(pages[0]));
    if (vm) {
        GmKvmStats st;
        gm_kvm_stats(vm, &st);
        ASSERT(st.dirty_syncs > 0);
    }
    /* Collected: nothing is dirty any more. */
    expect_dirty_pages(NULL, 0);
    memory_global_dirty_log_stop(GLOBAL_DIRTY_MIGRATION);
    machine_done();
}

TEST(kvm_guest_stores_then_hlt)
{
    guest_stores_then_hlt(ACCEL_KVM);
}

TEST(emu_guest_stores_then_hlt)
{
    guest_stores_then_hlt(ACCEL_EMU);
}

/* --- (b) writes to ROM and a read-only alias change nothing --------------- */

static void guest_writes_readonly(Accel accel)
{
    machine_init();
    for (unsigned i = 0; i < PAGE; i++) {
        ram_at(RO_ALIAS_OFFSET)[i] = (uint8_t)(i * 7 + 1);
    }
    Prog p = program();
    i_ds(&p, 0xf000); /* the ROM through its alias at 0xf0000 */
    i_st8(&p, 0x8000, 0x77);
    i_st32(&p, 0x8010, 0x12345678);
    i_ds(&p, 0xe000); /* rom2 */
    i_st8(&p, 0x0010, 0x77);
    i_st16(&p, 0x0ffe, 0x7777);
    i_ds(&p, 0xc000); /* the read-only alias of RAM */
    i_st8(&p, 0x0010, 0x77);
    i_st32(&p, 0x0020, 0x99999999);
    i_es(&p, 0);
    i_ld8(&p, 0x0030); /* reads through it work */
    i_st_al_es(&p, 0x2000);
    i_hlt(&p);
    start_cpu(accel);
    expect_exit(run(5000), GM_VCPU_EXIT_HLT);
    const uint8_t *rom = memory_region_get_ram_ptr(&bios);
    for (unsigned i = 0x8000; i < 0x8020; i++) {
        ASSERT_EQ(rom[i], 0);
    }
    const uint8_t *r2 = memory_region_get_ram_ptr(&rom2);
    for (unsigned i = 0; i < PAGE; i++) {
        ASSERT_EQ(r2[i], 0x5c);
    }
    for (unsigned i = 0; i < PAGE; i++) {
        ASSERT_EQ(ram_at(RO_ALIAS_OFFSET)[i], (uint8_t)(i * 7 + 1));
    }
    ASSERT_EQ(*ram_at(0x2000), (uint8_t)(0x30 * 7 + 1));
    ASSERT_EQ(nevents, 0);
    machine_done();
}

TEST(kvm_guest_writes_to_rom_change_nothing)
{
    guest_writes_readonly(ACCEL_KVM);
}

TEST(emu_guest_writes_to_rom_change_nothing)
{
    guest_writes_readonly(ACCEL_EMU);
}

/* --- (c) MMIO writes and reads ------------------------------------------- */

static void guest_mmio(Accel accel)
{
    machine_init();
    Prog p = program();
    i_es(&p, 0);
    i_ds(&p, 0xd000);
    i_st8(&p, 0x0001, 0xa1);
    i_st16(&p, 0x0002, 0xb2b3);
    i_st32(&p, 0x0004, 0xc4c5c6c7);
    i_ld32(&p, 0x0010);
    i_st_eax_es(&p, 0x2000);
    i_ld8(&p, 0x0021);
    i_st_al_es(&p, 0x2004);
    i_hlt(&p);
    start_cpu(accel);
    expect_exit(run(5000), GM_VCPU_EXIT_HLT);
    ASSERT_EQ(nevents, 5);
    expect_event(0, 'W', "mmio", 0x1, 1, 0xa1);
    expect_event(1, 'W', "mmio", 0x2, 2, 0xb2b3);
    expect_event(2, 'W', "mmio", 0x4, 4, 0xc4c5c6c7);
    expect_event(3, 'R', "mmio", 0x10, 4, read_value(0x10, 4));
    expect_event(4, 'R', "mmio", 0x21, 1, read_value(0x21, 1));
    uint32_t got;
    memcpy(&got, ram_at(0x2000), 4);
    ASSERT_ADDR_EQ(got, read_value(0x10, 4));
    ASSERT_EQ(*ram_at(0x2004), read_value(0x21, 1));
    machine_done();
}

TEST(kvm_guest_mmio)
{
    guest_mmio(ACCEL_KVM);
}

TEST(emu_guest_mmio)
{
    guest_mmio(ACCEL_EMU);
}

/* --- (d) port I/O -------------------------------------------------------- */

static void guest_pio(Accel accel)
{
    machine_init();
    Prog p = program();
    i_ds(&p, 0);
    i_out8(&p, 0x500, 0x5a);
    i_out16(&p, 0x502, 0xbeef);
    i_out32(&p, 0x504, 0xcafef00d);
    i_in8(&p, 0x506);
    EMIT(&p, 0xa2, LE16(0x2008)); /* mov [0x2008], al */
    i_out8(&p, 0x5f0, 0x01);      /* nothing there: ignored */
    i_hlt(&p);
    start_cpu(accel);
    expect_exit(run(5000), GM_VCPU_EXIT_HLT);
    ASSERT_EQ(nevents, 4);
    expect_event(0, 'W', "port", 0, 1, 0x5a);
    expect_event(1, 'W', "port", 2, 2, 0xbeef);
    expect_event(2, 'W', "port", 4, 4, 0xcafef00d);
    expect_event(3, 'R', "port", 6, 1, read_value(6, 1));
    ASSERT_EQ(*ram_at(0x2008), read_value(6, 1));
    machine_done();
}

TEST(kvm_guest_port_io)
{
    guest_pio(ACCEL_KVM);
}

TEST(emu_guest_port_io)
{
    guest_pio(ACCEL_EMU);
}

/* --- (e) a device stops the run ----------------------------------------- */

static void guest_stop(Accel accel)
{
    machine_init();
    Prog p = program();
    i_ds(&p, 0);
    i_out8(&p, 0x510, 1);
    i_st8(&p, 0x2010, 0x99);
    i_hlt(&p);
    start_cpu(accel);
    expect_exit(run(5000), GM_VCPU_EXIT_STOP);
    expect_event(0, 'W', "stop", 0, 1, 1);
    ASSERT_EQ(*ram_at(0x2010), 0); /* the store after the out has not run */
    /* Run again: it goes on where it stopped. */
    expect_exit(run(5000), GM_VCPU_EXIT_HLT);
    ASSERT_EQ(*ram_at(0x2010), 0x99);
    ASSERT_EQ(nevents, 1);
    machine_done();
}

TEST(kvm_guest_stopped_by_device)
{
    guest_stop(ACCEL_KVM);
}

TEST(emu_guest_stopped_by_device)
{
    guest_stop(ACCEL_EMU);
}

/* gm_vcpu_kick() from another thread ends a run that would never end. */
static void *kick_soon(void *arg)
{
    struct timespec ts = { 0, 50 * 1000000 };
    nanosleep(&ts, NULL);
    gm_vcpu_kick(arg);
    return NULL;
}

static void guest_kicked(Accel accel)
{
    machine_init();
    Prog p = program();
    i_jmp_self(&p);
    start_cpu(accel);
    pthread_t t;
    ASSERT_EQ(pthread_create(&t, NULL, kick_soon, cpu), 0);
    expect_exit(run(5000), GM_VCPU_EXIT_STOP);
    ASSERT_EQ(pthread_join(t, NULL), 0);
    machine_done();
}

TEST(kvm_guest_kicked_from_another_thread)
{
    guest_kicked(ACCEL_KVM);
}

TEST(emu_guest_kicked_from_another_thread)
{
    guest_kicked(ACCEL_EMU);
}

/* --- (f) a loop, and hlt with interrupts on, end at the deadline ------------ */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void expect_timeout(uint64_t ms)
{
    uint64_t t0 = now_ms();
    expect_exit(run(ms), GM_VCPU_EXIT_TIMEOUT);
    uint64_t took = now_ms() - t0;
    if (took + 5 < ms || took > 1000) {
        test_fail(__FILE__, __LINE__,
                  "a %" PRIu64 " ms run took %" PRIu64 " ms", ms, took);
    }
}

static void guest_loops(Accel accel)
{
    machine_init();
    Prog p = program();
    i_jmp_self(&p);
    start_cpu(accel);
    expect_timeout(200);
    expect_timeout(100); /* and again */
    machine_done();
}

static void guest_sleeps(Accel accel)
{
    machine_init();
    Prog p = program();
    i_sti(&p);
    i_hlt(&p);
    i_jmp_self(&p);
    start_cpu(accel);
    expect_timeout(200);
    machine_done();
}

TEST(kvm_guest_loop_times_out)
{
    guest_loops(ACCEL_KVM);
}

TEST(emu_guest_loop_times_out)
{
    guest_loops(ACCEL_EMU);
}

TEST(kvm_guest_hlt_with_interrupts_on_times_out)
{
    guest_sleeps(ACCEL_KVM);
}

TEST(emu_guest_hlt_with_interrupts_on_times_out)
{
    guest_sleeps(ACCEL_EMU);
}

/* --- a ROM device: reads from memory in romd mode, else the device ----------- */

static void guest_rom_device(Accel accel)
{
    machine_init();
    Prog p = program();
    i_es(&p, 0);
    i_ds(&p, 0xd400);
    i_ld8(&p, 0x0010); /* romd: host memory */
    i_st_al_es(&p, 0x2020);
    i_st8(&p, 0x0011, 0x3c); /* writes always go to the device */
    i_out8(&p, 0x510, 1);    /* stop: the host leaves romd mode */
    i_ld8(&p, 0x0010);       /* now the device */
    i_st_al_es(&p, 0x2021);
    i_hlt(&p);
    start_cpu(accel);
    expect_exit(run(5000), GM_VCPU_EXIT_STOP);
    ASSERT_EQ(*ram_at(0x2020), 0xf1);
    ASSERT_EQ(nevents, 2);
    expect_event(0, 'W', "flash", 0x11, 1, 0x3c);
    ASSERT_EQ(((uint8_t *)memory_region_get_ram_ptr(&flash))[0x11], 0xf1);
    memory_region_rom_device_set_romd(&flash, false);
    expect_exit(run(5000), GM_VCPU_EXIT_HLT);
    ASSERT_EQ(nevents, 3);
    expect_event(2, 'R', "flash", 0x10, 1, read_value(0x10, 1));
    ASSERT_EQ(*ram_at(0x2021), read_value(0x10, 1));
    machine_done();
}

TEST(kvm_guest_rom_device)
{
    guest_rom_device(ACCEL_KVM);
}

TEST(emu_guest_rom_device)
{
    guest_rom_device(ACCEL_EMU);
}

/* --- RAM that KVM maps in part, or not at all ------------------------------ */

static void guest_unaligned_ram(Accel accel)
{
    machine_init();
    uint8_t *t = memory_region_get_ram_ptr(&tail);
    uint8_t *o = memory_region_get_ram_ptr(&odd);
    t[0x1010] = 0x6e;
    Prog p = program();
    i_es(&p, 0);
    i_ds(&p, 0x9000);
    i_st8(&p, 0x0ffc, 0xa1);        /* in the slot */
    i_st32(&p, 0x0ffe, 0xa2a3a4a5); /* across the slot's end */
    i_st8(&p, 0x17ff, 0xa6);        /* the last byte, past the slot */
    i_ld8(&p, 0x1010);
    i_st_al_es(&p, 0x2030);
    i_ds(&p, 0x9280);
    i_st16(&p, 0x0000, 0xb1b2);
    i_st8(&p, 0x1fff, 0xb3);
    i_hlt(&p);
    start_cpu(accel);
    if (accel == ACCEL_KVM) {
        /* tail: its first page only; odd: nothing. */
        GmKvmSlot sl[16];
        size_t n = gm_kvm_slots(vm, sl, 16);
        bool tail_seen = false;
        for (size_t i = 0; i < n && i < 16; i++) {
            ASSERT(sl[i].guest_phys_addr + sl[i].memory_size <= 0x92800 ||
                   sl[i].guest_phys_addr >= 0x94800);
            if (sl[i].guest_phys_addr == 0x90000) {
                ASSERT_ADDR_EQ(sl[i].memory_size, PAGE);
                tail_seen = true;
            }
        }
        ASSERT(tail_seen);
    }
    expect_exit(run(5000), GM_VCPU_EXIT_HLT);
    ASSERT_EQ(t[0xffc], 0xa1);
    ASSERT_EQ(t[0xffe], 0xa5);
    ASSERT_EQ(t[0xfff], 0xa4);
    ASSERT_EQ(t[0x1000], 0xa3);
    ASSERT_EQ(t[0x1001], 0xa2);
    ASSERT_EQ(t[0x17ff], 0xa6);
    ASSERT_EQ(*ram_at(0x2030), 0x6e);
    ASSERT_EQ(o[0], 0xb2);
    ASSERT_EQ(o[1], 0xb1);
    ASSERT_EQ(o[0x1fff], 0xb3);
    ASSERT_EQ(nevents, 0);
    machine_done();
}

TEST(kvm_guest_unaligned_ram)
{
    guest_unaligned_ram(ACCEL_KVM);
}

TEST(emu_guest_unaligned_ram)
{
    guest_unaligned_ram(ACCEL_EMU);
}

/* --- (g) triple fault ----------------------------------------------------- */

/* In protected mode with an IDT of limit 0, a divide error cannot be
 * delivered: #GP, then #DF, then shutdown.  Real mode is no good for this
 * (KVM's real-mode interrupt delivery does not check the IDT limit), nor
 * is `int3` where KVM emulates protected mode (as under PVM, whose
 * emulator has no `int n` outside real mode: an internal error). */
static void guest_triple(Accel accel)
{
    machine_init();
    Prog p = program();
    i_enter_pm32(&p, PM_CODE);
    Prog pm = { p.code, PM_CODE };
    i_pm32_flat_data(&pm);
    i_pm32_lidt_div0(&pm, 0xffff0000u + IDT_DESC); /* 6 zero bytes */
    i_hlt(&pm);
    start_cpu(accel);
    expect_exit(run(5000), GM_VCPU_EXIT_SHUTDOWN);
    /* A CPU that shut down cannot run again. */
    GmVcpuExit why;
    Error *err = NULL;
    ASSERT(gm_vcpu_run(cpu, 100, &why, &err) < 0);
    error_free(err);
    machine_done();
}

TEST(kvm_guest_triple_fault_shuts_down)
{
    guest_triple(ACCEL_KVM);
}

TEST(emu_guest_triple_fault_shuts_down)
{
    guest_triple(ACCEL_EMU);
}

/* --- (h) an ioeventfd takes the matching write ------------------------------ */

static void guest_ioeventfd(Accel accel)
{
    machine_init();
    Prog p = program();
    i_ds(&p, 0xd300);
    i_st32(&p, 0x10, 0x42); /* matches: the eventfd, not the device */
    i_st32(&p, 0x10, 0x43); /* does not: the device */
    i_hlt(&p);
    start_cpu(accel);
    ASSERT_EQ(event_notifier_test_and_clear(&bell), 0);
    expect_exit(run(5000), GM_VCPU_EXIT_HLT);
    ASSERT(event_notifier_test_and_clear(&bell));
    ASSERT_EQ(nevents, 1);
    expect_event(0, 'W', "doorbell", 0x10, 4, 0x43);
    machine_done();
}

TEST(kvm_guest_ioeventfd)
{
    guest_ioeventfd(ACCEL_KVM);
}

TEST(emu_guest_ioeventfd)
{
    guest_ioeventfd(ACCEL_EMU);
}

/* --- (i) coalesced MMIO ---------------------------------------------------- */

TEST(kvm_guest_coalesced_mmio)
{
    machine_init();
    Prog p = program();
    i_ds(&p, 0xd200);
    i_st8(&p, 0x00, 1);
    i_st16(&p, 0x02, 0x0202);
    i_st32(&p, 0x04, 0x03030303);
    i_st8(&p, 0x01, 4);
    i_ds(&p, 0xd100);
    i_ld8(&p, 0x00); /* the flush region: the four writes come first */
    i_ds(&p, 0xd200);
    i_st8(&p, 0x10, 5);
    i_st8(&p, 0x11, 6);
    i_hlt(&p); /* the run's end delivers the last two */
    start_cpu(ACCEL_KVM);
    expect_exit(run(5000), GM_VCPU_EXIT_HLT);
    ASSERT_EQ(nevents, 7);
    expect_event(0, 'W', "coal", 0x00, 1, 1);
    expect_event(1, 'W', "coal", 0x02, 2, 0x0202);
    expect_event(2, 'W', "coal", 0x04, 4, 0x03030303);
    expect_event(3, 'W', "coal", 0x01, 1, 4);
    expect_event(4, 'R', "flush", 0x00, 1, read_value(0, 1));
    expect_event(5, 'W', "coal", 0x10, 1, 5);
    expect_event(6, 'W', "coal", 0x11, 1, 6);
    /* They really went through KVM's ring. */
    GmKvmStats st;
    gm_kvm_stats(vm, &st);
    ASSERT_EQ(st.coalesced_seen, 6);
    machine_done();
}

int main(int argc, char **argv)
{
    static const TestCase tests[] = {
        TEST_ENTRY(kvm_new_without_address_space_fails_cleanly),
        TEST_ENTRY(ram_gives_one_writable_slot),
        TEST_ENTRY(rom_and_readonly_alias_give_readonly_slots),
        TEST_ENTRY(rom_device_slot_follows_romd_mode),
        TEST_ENTRY(unaligned_sections_are_trimmed_to_pages),
        TEST_ENTRY(disabling_a_region_removes_its_slot),
        TEST_ENTRY(slot_limit_is_an_error_not_an_abort),
        TEST_ENTRY(slot_kvm_refuses_is_an_error),
        TEST_ENTRY(first_slot_kvm_refuses_is_an_error),
        TEST_ENTRY(second_vm_on_one_address_space_is_in_use),
        TEST_ENTRY(second_vm_is_in_use_among_many),
        TEST_ENTRY(dirty_logging_sets_the_slot_flag),
        TEST_ENTRY(kvm_guest_stores_then_hlt),
        TEST_ENTRY(emu_guest_stores_then_hlt),
        TEST_ENTRY(kvm_guest_writes_to_rom_change_nothing),
        TEST_ENTRY(emu_guest_writes_to_rom_change_nothing),
        TEST_ENTRY(kvm_guest_mmio),
        TEST_ENTRY(emu_guest_mmio),
        TEST_ENTRY(kvm_guest_port_io),
        TEST_ENTRY(emu_guest_port_io),
        TEST_ENTRY(kvm_guest_stopped_by_device),
        TEST_ENTRY(emu_guest_stopped_by_device),
        TEST_ENTRY(kvm_guest_kicked_from_another_thread),
        TEST_ENTRY(emu_guest_kicked_from_another_thread),
        TEST_ENTRY(kvm_guest_loop_times_out),
        TEST_ENTRY(emu_guest_loop_times_out),
        TEST_ENTRY(kvm_guest_hlt_with_interrupts_on_times_out),
        TEST_ENTRY(emu_guest_hlt_with_interrupts_on_times_out),
        TEST_ENTRY(kvm_guest_rom_device),
        TEST_ENTRY(emu_guest_rom_device),
        TEST_ENTRY(kvm_guest_unaligned_ram),
        TEST_ENTRY(emu_guest_unaligned_ram),
        TEST_ENTRY(kvm_guest_triple_fault_shuts_down),
        TEST_ENTRY(emu_guest_triple_fault_shuts_down),
        TEST_ENTRY(kvm_guest_ioeventfd),
        TEST_ENTRY(emu_guest_ioeventfd),
        TEST_ENTRY(kvm_guest_coalesced_mmio),
    };
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
