// SPDX-License-Identifier: MIT
/*
 * diff-kvm.c - seeded random differential test of the KVM backend's slot
 * table against the flat view.
 *
 * Random operations on a region tree under one address space (RAM, RAM
 * over caller memory at odd host offsets, ROM, ROM devices switching romd
 * mode, aliases of all of them and of containers, MMIO, containers; add,
 * delete, move, enable, read-only, alias offset, size, priority by
 * re-adding, dirty logging per region and globally, nested transactions)
 * with a GmKvm attached.  After every commit the slots KVM should have are
 * computed from the flat view alone, by the rule of kvm.h, and compared
 * with gm_kvm_slots() field by field; gm_kvm_check() must have nothing to
 * report.  Every 500 operations the VM itself is asked: KVM_CHECK_EXTENSION
 * answers on its descriptor, and KVM_GET_DIRTY_LOG works on exactly the
 * slots said to log (and finds them clean: no vCPU ran).  Every 2500 a new
 * VM replaces it, made from the view as it stands (gm_kvm_new's replay).
 *
 * The rule, for each section of the view whose region is RAM, ROM or a ROM
 * device in romd mode: trim it inward to whole 4 KiB pages; nothing if that
 * leaves nothing or the host address of its first page is not page
 * aligned; read-only if the section is, or the region is ROM or romd;
 * dirty-logged if the region's dirty-log mask is not 0.
 *
 *   diff-kvm [--seed N] [--ops N] [--fault N] [--verbose]
 * --fault N makes the expectation wrong after N operations (it forgets the
 * trim): the run must then fail, proving that the comparison can fail.
 * Exit status, as diff-render: 0 when every check passed (with one TAP line
 * `ok 1 - ...` on stdout), 1 on a disagreement (the seed and operation
 * number to reproduce it on stderr), 77 (meson's skip) where KVM cannot be
 * used, with `ok 1 # SKIP /dev/kvm: <why>` on stdout and the reason on
 * stderr: never a silent pass.
 */
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include <guestmem/guestmem.h>

#define PAGE 0x1000u
#define SPACE 0x400000u /* regions are placed in the first 4 MiB */
#define MAX_SLOTS 4096
#define EXIT_SKIP 77 /* meson's "skipped" */

enum {
    K_RAM,
    K_RAMPTR, /* memory_region_init_ram_ptr, maybe not page aligned */
    K_ROM,
    K_ROMDEV,
    K_ALIAS,
    K_MMIO,
    K_CONT,
    K_NUM
};

/* How many regions of each kind: 40 with host memory, far below any
 * KVM's slot limit even when aliases and overlaps multiply ranges. */
static const unsigned pool_of[K_NUM] = { 18, 6, 8, 8, 18, 8, 10 };
static const char *const kind_name[K_NUM] = { "ram",    "ramptr", "rom",
                                              "romdev", "alias",  "mmio",
                                              "cont" };

typedef struct Node {
    int kind;
    MemoryRegion mr;
    uint64_t host_size; /* RAM-ish: the host memory behind it */
    uint8_t *buf;       /* K_RAMPTR: what we allocated */
    unsigned vga_logs;  /* memory_region_set_log(VGA) calls not undone */
    unsigned idx;       /* its number among its kind, in its name */
} Node;

static Node *nodes;
static unsigned nnodes;
static MemoryRegion root;
static AddressSpace as;
static GmKvm *kvm;
static int depth;
static bool verbose;
static bool fault_active;
static unsigned long long seed_g, ops_done, checks_done, probes_done;
static unsigned long long slots_seen, max_slots_seen, reattaches;
static uint64_t rng_state;
static GmErrorCode last_err;
static char last_msg[256];
static char last_op[160];

static uint64_t rnd(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static uint64_t below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

static void on_error(const Error *err, void *opaque)
{
    last_err = gm_error_code(err);
    snprintf(last_msg, sizeof(last_msg), "%s", error_get_pretty(err));
}

static void die(const char *what) __attribute__((noreturn));
static void die(const char *what)
{
    fprintf(stderr,
            "diff-kvm: MISMATCH after %llu operations (last: %s): %s\n"
            "  reproduce: diff-kvm --seed %llu --ops %llu\n",
            ops_done, last_op, what, seed_g, ops_done + 1);
    exit(1);
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_op, sizeof(last_op), fmt, ap);
    va_end(ap);
    if (verbose) {
        fprintf(stderr, "%llu: %s\n", ops_done, last_op);
    }
}

/* --- the expectation ------------------------------------------------------- */

typedef struct Want {
    uint64_t gpa, size;
    uint8_t *host;
    bool ro, log;
    const MemoryRegion *mr;
} Want;

static Want want[MAX_SLOTS];
static GmKvmSlot got[MAX_SLOTS];

/* One section's slot by the rule in the file comment; false: none. */
static bool section_slot(const MemoryRegionSection *s, Want *w)
{
    MemoryRegion *mr = s->mr;
    bool romd = memory_region_is_romd(mr);
    if (!memory_region_is_ram(mr) && !romd) {
        return false;
    }
    __uint128_t start = s->offset_within_address_space;
    __uint128_t end = start + (__uint128_t)s->size;
    __uint128_t first = (start + PAGE - 1) & ~(__uint128_t)(PAGE - 1);
    __uint128_t last = end & ~(__uint128_t)(PAGE - 1);
    if (fault_active) {
        first = start; /* wrong on purpose: no trim */
        last = end;
    }
    if (first >= last) {
        return false;
    }
    uint8_t *host = (uint8_t *)memory_region_get_ram_ptr(mr) +
                    s->offset_within_region + (uint64_t)(first - start);
    if (((uintptr_t)host & (PAGE - 1)) && !fault_active) {
        return false;
    }
    *w = (Want){
        .gpa = (uint64_t)first,
        .size = (uint64_t)(last - first),
        .host = host,
        .ro = s->readonly || memory_region_is_rom(mr) || romd,
        .log = memory_region_get_dirty_log_mask(mr) != 0,
        .mr = mr,
    };
    return true;
}

static size_t expected_slots(void)
{
    FlatView *fv = address_space_get_flatview(&as);
    size_t n = 0;
    for (unsigned i = 0; i < gm_flatview_nr(fv); i++) {
        MemoryRegionSection s;
        gm_flatview_section(fv, i, &s);
        if (n < MAX_SLOTS && section_slot(&s, &want[n])) {
            n++;
        }
    }
    flatview_unref(fv);
    return n;
}

static void print_tables(size_t nw, size_t ng)
{
    fprintf(stderr, "  expected (from the flat view):\n");
    for (size_t i = 0; i < nw; i++) {
        fprintf(stderr,
                "    0x%08" PRIx64 " +0x%-6" PRIx64 " host %p%s%s  %s\n",
                want[i].gpa, want[i].size, (void *)want[i].host,
                want[i].ro ? " ro" : "", want[i].log ? " log" : "",
                memory_region_name(want[i].mr));
    }
    fprintf(stderr, "  gm_kvm_slots():\n");
    for (size_t i = 0; i < ng && i < MAX_SLOTS; i++) {
        fprintf(stderr,
                "    0x%08" PRIx64 " +0x%-6" PRIx64 " host %p%s%s"
                "  slot %u\n",
                got[i].guest_phys_addr, got[i].memory_size,
                got[i].userspace_addr, got[i].readonly ? " ro" : "",
                got[i].log_dirty ? " log" : "", got[i].slot);
    }
}

static bool same_slot(const Want *w, const GmKvmSlot *g)
{
    return w->gpa == g->guest_phys_addr && w->size == g->memory_size &&
           w->host == g->userspace_addr && w->ro == g->readonly &&
           w->log == g->log_dirty;
}

/* Slot numbers are KVM's keys: two live slots never share one. */
static void check_ids(size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            if (got[i].slot == got[j].slot) {
                die("two slots share a KVM slot number");
            }
        }
    }
}

static void check_slots(void)
{
    Error *err = NULL;
    if (gm_kvm_check(kvm, &err) < 0) {
        fprintf(stderr, "  gm_kvm_check: %s\n", error_get_pretty(err));
        error_free(err);
        die("a KVM listener met an error");
    }
    size_t nw = expected_slots();
    size_t ng = gm_kvm_slots(kvm, got, MAX_SLOTS);
    if (ng > MAX_SLOTS) {
        die("more slots than this test can hold");
    }
    bool same = nw == ng;
    for (size_t i = 0; same && i < nw; i++) {
        same = same_slot(&want[i], &got[i]);
    }
    if (!same) {
        print_tables(nw, ng);
        die("the slot table differs from the flat view");
    }
    check_ids(ng);
    slots_seen += ng;
    if (ng > max_slots_seen) {
        max_slots_seen = ng;
    }
    checks_done++;
}

/* The VM, asked directly: the descriptor answers, and the slots that log
 * dirty pages are exactly those KVM keeps a (clean) dirty log for. */
static void probe_kvm(void)
{
    int fd = gm_kvm_vm_fd(kvm);
    int nr = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
    if (nr <= 0 || ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0) {
        die("KVM_CHECK_EXTENSION failed on the VM's descriptor");
    }
    size_t n = gm_kvm_slots(kvm, got, MAX_SLOTS);
    if (n > (size_t)nr) {
        die("more slots than KVM_CAP_NR_MEMSLOTS");
    }
    for (size_t i = 0; i < n && i < MAX_SLOTS; i++) {
        uint64_t words = (got[i].memory_size / PAGE + 63) / 64;
        uint64_t *bits = calloc(words, sizeof(uint64_t));
        if (!bits) {
            die("out of memory");
        }
        struct kvm_dirty_log d = { .slot = got[i].slot, .dirty_bitmap = bits };
        int rc = ioctl(fd, KVM_GET_DIRTY_LOG, &d);
        bool clean = true;
        for (uint64_t w = 0; w < words; w++) {
            clean &= bits[w] == 0;
        }
        free(bits);
        char msg[160];
        if ((rc == 0) != got[i].log_dirty || !clean) {
            snprintf(msg, sizeof(msg),
                     "KVM_GET_DIRTY_LOG of slot %u at 0x%" PRIx64
                     " (log_dirty %d) gave %d%s",
                     got[i].slot, got[i].guest_phys_addr, got[i].log_dirty, rc,
                     clean ? "" : " and dirty pages");
            die(msg);
        }
    }
    probes_done++;
}

/* --- the regions ------------------------------------------------------------ */

static uint64_t dev_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void dev_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
}

static const MemoryRegionOps dev_ops = {
    .read = dev_read,
    .write = dev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

/* Sizes: mostly whole pages, then pages and a half, sub-page, and
 * anything. */
static uint64_t random_size(uint64_t max)
{
    uint64_t s;
    switch (below(10)) {
    case 0: s = PAGE * (1 + below(8)) + PAGE / 2; break;
    case 1: s = 0x100 * (1 + below(15)); break;
    case 2: s = 1 + below(0x9000); break;
    case 3: s = 0x10000 * (1 + below(2)); break;
    default: s = PAGE * (1 + below(16)); break;
    }
    return s < max ? s : max;
}

/* Addresses: mostly page aligned (or nothing could be mapped), some 0x100
 * or byte aligned. */
static uint64_t random_addr(uint64_t space)
{
    switch (below(8)) {
    case 0: return below(space / 0x100) * 0x100;
    case 1: return below(space);
    default: return below(space / PAGE) * PAGE;
    }
}

static Node *random_node(int kind)
{
    unsigned first = 0;
    for (int k = 0; k < kind; k++) {
        first += pool_of[k];
    }
    return &nodes[first + below(pool_of[kind])];
}

static bool host_backed(const Node *n)
{
    return n->kind == K_RAM || n->kind == K_RAMPTR || n->kind == K_ROM ||
           n->kind == K_ROMDEV;
}

static void init_node(Node *n, int kind)
{
    char name[24];
    snprintf(name, sizeof(name), "%s%u", kind_name[kind], n->idx);
    n->kind = kind;
    Error *err = NULL;
    bool ok = true;
    switch (kind) {
    case K_RAM:
        n->host_size = random_size(0x20000);
        ok = memory_region_init_ram(&n->mr, NULL, name, n->host_size, &err);
        break;
    case K_RAMPTR: {
        /* Host memory at 0, 0x100 or 0x800 into a page: only the first
         * can ever be mapped. */
        static const uint64_t skew[] = { 0, 0x100, 0x800 };
        n->host_size = random_size(0x10000);
        n->buf = aligned_alloc(PAGE, (n->host_size + 2 * PAGE) & ~(PAGE - 1));
        memory_region_init_ram_ptr(&n->mr, NULL, name, n->host_size,
                                   n->buf + skew[below(3)]);
        break;
    }
    case K_ROM:
        n->host_size = random_size(0x10000);
        ok = memory_region_init_rom(&n->mr, NULL, name, n->host_size, &err);
        break;
    case K_ROMDEV:
        n->host_size = random_size(0x10000);
        ok = memory_region_init_rom_device(&n->mr, NULL, &dev_ops, NULL, name,
                                           n->host_size, &err);
        break;
    case K_MMIO:
        memory_region_init_io(&n->mr, NULL, &dev_ops, NULL, name,
                              random_size(0x10000));
        break;
    case K_CONT:
        /* Big enough to hold a few regions, mostly. */
        memory_region_init(&n->mr, NULL, name,
                           below(4) ? 0x10000 * (1 + below(8))
                                    : random_size(0x40000));
        break;
    }
    if (!ok) {
        fprintf(stderr, "diff-kvm: %s\n", error_get_pretty(err));
        exit(2);
    }
}

/* An alias of a region with host memory or of a container (never of an
 * alias, so that an unmapped alias can always be destroyed). */
static void init_alias(Node *n)
{
    Node *t;
    do {
        t = &nodes[below(nnodes)];
    } while (t->kind == K_ALIAS || t->kind == K_MMIO);
    uint64_t tsize = memory_region_size(&t->mr);
    uint64_t off = random_addr(tsize + PAGE);
    char name[24];
    snprintf(name, sizeof(name), "alias%u", n->idx);
    memory_region_init_alias(&n->mr, NULL, name, &t->mr, off,
                             random_size(0x20000));
    n->kind = K_ALIAS;
    if (below(3) == 0) {
        memory_region_set_readonly(&n->mr, true);
    }
}

static void make_pool(void)
{
    for (int k = 0; k < K_NUM; k++) {
        nnodes += pool_of[k];
    }
    nodes = calloc(nnodes, sizeof(*nodes));
    unsigned i = 0;
    for (int k = 0; k < K_NUM; k++) {
        for (unsigned j = 0; j < pool_of[k]; j++, i++) {
            nodes[i].kind = k;
            nodes[i].idx = j;
            if (k != K_ALIAS) {
                init_node(&nodes[i], k);
            }
        }
    }
    /* Aliases last: their targets exist now. */
    for (unsigned j = 0; j < nnodes; j++) {
        if (nodes[j].kind == K_ALIAS) {
            init_alias(&nodes[j]);
        }
    }
}

/* --- operations -------------------------------------------------------------- */

/* Containers go mostly straight under the root, others one time in
 * three into a container. */
static MemoryRegion *pick_parent(const Node *n)
{
    unsigned in_root = n->kind == K_CONT ? 5 : 3;
    return below(in_root) ? &root : &random_node(K_CONT)->mr;
}

static Node *pick(void)
{
    return &nodes[below(nnodes)];
}

static void op_add(void)
{
    Node *n = pick();
    if (n->mr.container) {
        return;
    }
    MemoryRegion *p = pick_parent(n);
    uint64_t psize = p == &root ? SPACE : memory_region_size(p);
    uint64_t addr = random_addr(psize);
    int prio = (int)below(5) - 2;
    note("add %s to %s at 0x%" PRIx64 " prio %d", memory_region_name(&n->mr),
         memory_region_name(p), addr, prio);
    Error *err = NULL;
    int rc = gm_memory_region_add_subregion(p, addr, &n->mr, prio, &err);
    /* A cycle (a container into itself, or into an alias of itself) is
     * refused; nothing else may be. */
    if (rc < 0 && rc != -GM_ERR_ALIAS_CYCLE) {
        fprintf(stderr, "  %s\n", error_get_pretty(err));
        die("a valid add_subregion was refused");
    }
    error_free(err);
}

static void op_del(void)
{
    Node *n = pick();
    if (!n->mr.container) {
        return;
    }
    note("del %s from %s", memory_region_name(&n->mr),
         memory_region_name(n->mr.container));
    memory_region_del_subregion(n->mr.container, &n->mr);
}

/* Priority by re-adding, as QEMU code does it: delete and add again at
 * the same place, in one transaction. */
static void op_readd(void)
{
    Node *n = pick();
    MemoryRegion *p = n->mr.container;
    if (!p) {
        return;
    }
    int prio = (int)below(5) - 2;
    hwaddr addr = n->mr.addr;
    note("re-add %s at prio %d", memory_region_name(&n->mr), prio);
    memory_region_transaction_begin();
    memory_region_del_subregion(p, &n->mr);
    memory_region_add_subregion_overlap(p, addr, &n->mr, prio);
    memory_region_transaction_commit();
}

static void op_move(void)
{
    Node *n = pick();
    MemoryRegion *p = n->mr.container;
    uint64_t psize = !p || p == &root ? SPACE : memory_region_size(p);
    uint64_t addr = random_addr(psize);
    note("move %s to 0x%" PRIx64, memory_region_name(&n->mr), addr);
    memory_region_set_address(&n->mr, addr);
}

static void op_flag(void)
{
    Node *n = pick();
    switch (below(3)) {
    case 0: {
        /* Mostly enabled, or little would show. */
        bool on = !n->mr.enabled || below(4) != 0;
        note("%s %s", on ? "enable" : "disable", memory_region_name(&n->mr));
        memory_region_set_enabled(&n->mr, on);
        break;
    }
    case 1:
        note("set_readonly %s %d", memory_region_name(&n->mr), !n->mr.readonly);
        memory_region_set_readonly(&n->mr, !n->mr.readonly);
        break;
    default: {
        Node *d = random_node(K_ROMDEV);
        note("romd %s %d", memory_region_name(&d->mr), !d->mr.romd_mode);
        memory_region_rom_device_set_romd(&d->mr, !d->mr.romd_mode);
        break;
    }
    }
}

static void op_alias_offset(void)
{
    Node *n = random_node(K_ALIAS);
    uint64_t off = random_addr(memory_region_size(n->mr.alias) + PAGE);
    note("alias offset %s 0x%" PRIx64, memory_region_name(&n->mr), off);
    memory_region_set_alias_offset(&n->mr, off);
}

static void op_size(void)
{
    Node *n = pick();
    uint64_t max = host_backed(n) ? n->host_size : 0x40000;
    uint64_t size = random_size(max);
    note("size %s 0x%" PRIx64, memory_region_name(&n->mr), size);
    memory_region_set_size(&n->mr, size);
}

/* A new alias, with a new target, where one is not in use (and outside
 * transactions: a view about to be replaced may still show it). */
static void op_realias(void)
{
    Node *n = random_node(K_ALIAS);
    if (n->mr.container || depth > 0) {
        return;
    }
    note("re-create %s", memory_region_name(&n->mr));
    Error *err = NULL;
    if (gm_memory_region_destroy(&n->mr, &err) < 0) {
        fprintf(stderr, "  %s\n", error_get_pretty(err));
        die("destroying an unmapped alias failed");
    }
    init_alias(n);
}

static void op_log(void)
{
    if (below(4) == 0) {
        bool on = gm_global_dirty_tracking() & GLOBAL_DIRTY_MIGRATION;
        note("global dirty log %s", on ? "stop" : "start");
        if (on) {
            memory_global_dirty_log_stop(GLOBAL_DIRTY_MIGRATION);
        } else {
            memory_global_dirty_log_start(GLOBAL_DIRTY_MIGRATION);
        }
        return;
    }
    if (below(8) == 0) {
        note("dirty log sync");
        memory_global_dirty_log_sync();
        return;
    }
    Node *n;
    do {
        n = pick();
    } while (!host_backed(n));
    bool on = n->vga_logs == 0 || (n->vga_logs < 2 && below(2));
    note("set_log %s %d", memory_region_name(&n->mr), on);
    memory_region_set_log(&n->mr, on, DIRTY_MEMORY_VGA);
    n->vga_logs += on ? 1 : -1u;
}

static void op_transaction(void)
{
    /* Short transactions, mostly at depth 0, so that most operations are
     * checked at once. */
    if (depth == 0 ? below(3) == 0 : depth < 3 && below(4) == 0) {
        note("begin");
        memory_region_transaction_begin();
        depth++;
    } else if (depth > 0) {
        note("commit");
        memory_region_transaction_commit();
        depth--;
    }
}

static void one_op(void)
{
    switch (below(20)) {
    case 0:
    case 1:
    case 2:
    case 3: op_add(); break;
    case 4:
    case 5: op_del(); break;
    case 6: op_readd(); break;
    case 7:
    case 8: op_move(); break;
    case 9:
    case 10:
    case 11: op_flag(); break;
    case 12: op_alias_offset(); break;
    case 13: op_size(); break;
    case 14: op_realias(); break;
    case 15:
    case 16:
    case 17: op_log(); break;
    default: op_transaction(); break;
    }
}

/* --- main ----------------------------------------------------------------------- */

static void teardown(void)
{
    gm_kvm_free(kvm);
    address_space_destroy(&as);
    for (unsigned i = 0; i < nnodes; i++) {
        if (nodes[i].mr.container) {
            memory_region_del_subregion(nodes[i].mr.container, &nodes[i].mr);
        }
    }
    /* Aliases first: they pin their targets. */
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned i = 0; i < nnodes; i++) {
            if ((nodes[i].kind == K_ALIAS) == (pass == 0)) {
                gm_memory_region_destroy(&nodes[i].mr, NULL);
                free(nodes[i].buf);
            }
        }
    }
    gm_memory_region_destroy(&root, NULL);
    free(nodes);
}

/* A new VM for the view as it is: gm_kvm_new() replays it, and the old
 * VM's listener is taken down range by range. */
static void reattach(void)
{
    note("new VM");
    gm_kvm_free(kvm);
    Error *err = NULL;
    kvm = gm_kvm_new(&as, NULL, &err);
    if (!kvm) {
        fprintf(stderr, "  gm_kvm_new: %s\n", error_get_pretty(err));
        die("a new VM could not be made for the view");
    }
    reattaches++;
}

static void run(unsigned long long nops, unsigned long long fault_at)
{
    for (ops_done = 0; ops_done < nops; ops_done++) {
        if (fault_at && ops_done == fault_at) {
            fault_active = true;
        }
        one_op();
        if (last_err != GM_OK) {
            fprintf(stderr, "  reported: %s\n", last_msg);
            die("an operation was refused with an error");
        }
        if (depth == 0 && ops_done % 2500 == 1250) {
            reattach();
        }
        if (depth == 0) {
            check_slots();
        }
        if (ops_done % 500 == 0) {
            probe_kvm();
        }
    }
    while (depth > 0) {
        memory_region_transaction_commit();
        depth--;
    }
    check_slots();
    probe_kvm();
}

int main(int argc, char **argv)
{
    unsigned long long seed = 1, nops = 20000, fault_at = 0;
    static const struct option opts[] = {
        { "seed", required_argument, NULL, 's' },
        { "ops", required_argument, NULL, 'n' },
        { "fault", required_argument, NULL, 'f' },
        { "verbose", no_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "s:n:f:v", opts, NULL)) != -1) {
        switch (c) {
        case 's': seed = strtoull(optarg, NULL, 0); break;
        case 'n': nops = strtoull(optarg, NULL, 0); break;
        case 'f': fault_at = strtoull(optarg, NULL, 0); break;
        case 'v': verbose = true; break;
        default: return 2;
        }
    }
    Error *err = NULL;
    if (!gm_kvm_usable(&err)) {
        fprintf(stderr, "diff-kvm: SKIP: /dev/kvm: %s\n",
                error_get_pretty(err));
        printf("1..1\nok 1 # SKIP /dev/kvm: %s\n", error_get_pretty(err));
        error_free(err);
        return EXIT_SKIP;
    }
    seed_g = seed;
    rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
    gm_set_error_handler(on_error, NULL);
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    address_space_init(&as, &root, "diff-kvm");
    make_pool();
    kvm = gm_kvm_new(&as, NULL, &err);
    if (!kvm) {
        fprintf(stderr, "diff-kvm: gm_kvm_new: %s\n", error_get_pretty(err));
        return 1;
    }
    run(nops, fault_at);
    printf("1..1\nok 1 - diff-kvm seed %llu: %llu operations, %llu slot table "
           "checks (%llu slots compared, up to %llu at once), %llu KVM "
           "probes, %llu new VMs, no disagreement\n",
           seed, ops_done, checks_done, slots_seen, max_slots_seen, probes_done,
           reattaches);
    teardown();
    return 0;
}
