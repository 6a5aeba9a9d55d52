// SPDX-License-Identifier: MIT
/*
 * cmd-run.c - `guestmem run`: a PC machine (pc or q35) built by guestmem,
 * its board devices, and one vCPU (KVM, or libx86emu where KVM is not
 * usable) running a firmware image from the reset vector.  Debug ports
 * print to stdout; the run ends on the guest's debug-exit write, `hlt` with
 * interrupts off, a triple fault, an error, or the timeout, each with its
 * exit status.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

#define EXIT_TIMEOUT 124

typedef struct Run {
    GmVcpu *cpu;
    bool exited;
    uint32_t exit_status;
    bool reset;
    int last_console; /* last byte written, for the newline at the end */
} Run;

static void help(FILE *f)
{
    fputs(
        "usage: guestmem run [--machine TYPE[,...]] [-m SIZE] [--bios FILE]\n"
        "                    [--accel kvm|emu] [--timeout SECONDS]\n"
        "                    [--demo-device] [--dirty-log] [--stats]\n"
        "  Runs guest code from the x86 reset vector on guestmem's pc map.\n"
        "  TYPE: " GM_PC_MACHINE_TYPES "\n"
        "  (default pc; q35 needs --bios: the demo guest programs the\n"
        "  i440fx).\n"
        "  --bios FILE     firmware image (a multiple of 64 KiB, at most\n"
        "                  16 MiB), e.g. /usr/share/seabios/bios-256k.bin;\n"
        "                  without it, the built-in demo guest runs (it\n"
        "                  needs -m 4M or more)\n"
        "  --accel         kvm (default where /dev/kvm works) or emu\n"
        "                  (the libx86emu software CPU)\n"
        "  --timeout S     end the run after S seconds (exit status 124;\n"
        "                  0, the default: no limit)\n"
        "  --demo-device   map the demo MMIO device at 0xfebf0000 (always\n"
        "                  there for the demo guest)\n"
        "  --dirty-log     track the pages the guest writes (MIGRATION\n"
        "                  bitmap) and list them at the end\n"
        "  --stats         print exit and access counts at the end\n"
        "  Ports 0xe9 and 0x402 print to stdout; a write of V to port 0xf4\n"
        "  exits with status (V << 1) | 1; hlt with interrupts off exits 0.\n",
        f);
}

static void on_console(void *opaque, uint16_t port, uint8_t byte)
{
    Run *r = opaque;
    fputc(byte, stdout);
    if (byte == '\n') {
        fflush(stdout);
    }
    r->last_console = byte;
}

static void on_exit_port(void *opaque, uint32_t status)
{
    Run *r = opaque;
    r->exited = true;
    r->exit_status = status;
    gm_vcpu_stop(r->cpu);
}

static void on_reset(void *opaque)
{
    Run *r = opaque;
    r->reset = true;
    gm_vcpu_stop(r->cpu);
}

/* -m larger than the host's memory cannot be backed: say so at once
 * rather than fail on the guest's first touch of it. */
static bool fits_host(uint64_t ram)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || size <= 0) {
        return true;
    }
    uint64_t host = (uint64_t)pages * (uint64_t)size;
    if (ram > host) {
        tool_error("run",
                   "-m: %" PRIu64 " MiB of guest RAM is more than "
                   "this host's %" PRIu64 " MiB",
                   ram >> 20, host >> 20);
        return false;
    }
    return true;
}

/* The accelerator: as asked, or KVM where it works, else emu. */
static GmVcpu *make_cpu(const char *accel, GmKvm **kvm)
{
    Error *err = NULL;
    bool want_kvm = accel && !strcmp(accel, "kvm");
    if (!accel) {
        if (gm_kvm_usable(&err)) {
            want_kvm = true;
            fprintf(stderr, "guestmem: run: accelerator: kvm\n");
        } else {
            fprintf(stderr,
                    "guestmem: run: accelerator: emu (libx86emu; KVM not "
                    "usable: %s)\n",
                    error_get_pretty(err));
            error_free(err);
            err = NULL;
        }
    }
    GmVcpu *cpu = NULL;
    if (want_kvm) {
        *kvm =
            gm_kvm_new(gm_address_space_memory(), gm_address_space_io(), &err);
        if (*kvm) {
            cpu = gm_kvm_vcpu_new(*kvm, &err);
        }
    } else {
        cpu = gm_emu_vcpu_new(gm_address_space_memory(), gm_address_space_io(),
                              &err);
    }
    if (!cpu) {
        tool_error("run", "%s", error_get_pretty(err));
        error_free(err);
    }
    return cpu;
}

/* The pages of pc.ram the guest wrote since the start, as ranges. */
static void print_dirty(GmPcMachine *pc)
{
    MemoryRegion *ram = gm_pc_ram(pc);
    uint64_t size = memory_region_size(ram);
    memory_global_dirty_log_sync();
    DirtyBitmapSnapshot *snap = memory_region_snapshot_and_clear_dirty(
        ram, 0, size, DIRTY_MEMORY_MIGRATION);
    if (!snap) {
        return;
    }
    printf("dirty pages of pc.ram (DIRTY_MEMORY_MIGRATION), as offsets into "
           "it (RAM above 4 GiB starts at offset 0x%" PRIx64 "):",
           gm_pc_below_4g(pc));
    uint64_t start = UINT64_MAX, pages = 0;
    for (uint64_t a = 0; a <= size; a += 4096) {
        bool d =
            a < size && memory_region_snapshot_get_dirty(ram, snap, a, 4096);
        if (d) {
            pages++;
            if (start == UINT64_MAX) {
                start = a;
            }
        } else if (start != UINT64_MAX) {
            printf(" 0x%" PRIx64 "-0x%" PRIx64, start, a - 1);
            start = UINT64_MAX;
        }
    }
    printf(" (%" PRIu64 " pages)\n", pages);
    gm_dirty_snapshot_free(snap);
}

static void start_dirty_log(GmPcMachine *pc)
{
    MemoryRegion *ram = gm_pc_ram(pc);
    memory_global_dirty_log_start(GLOBAL_DIRTY_MIGRATION);
    /* New RAM starts all dirty: begin from a clean bitmap. */
    gm_dirty_snapshot_free(memory_region_snapshot_and_clear_dirty(
        ram, 0, memory_region_size(ram), DIRTY_MEMORY_MIGRATION));
}

static int finish(Run *r, GmVcpuExit why, uint64_t timeout_s)
{
    if (r->last_console >= 0 && r->last_console != '\n') {
        fputc('\n', stdout);
    }
    fflush(stdout);
    switch (why) {
    case GM_VCPU_EXIT_HLT: return 0;
    case GM_VCPU_EXIT_STOP:
        if (r->reset) {
            fprintf(stderr, "guestmem: run: the guest asked for a reset "
                            "(port 0x92); stopped\n");
            return 0;
        }
        return r->exited ? (int)r->exit_status : 0;
    case GM_VCPU_EXIT_SHUTDOWN:
        fprintf(stderr, "guestmem: run: triple fault (shutdown)\n");
        gm_vcpu_dump(r->cpu, stderr);
        return 1;
    case GM_VCPU_EXIT_TIMEOUT:
        fprintf(stderr, "guestmem: run: timed out after %" PRIu64 " s\n",
                timeout_s);
        return EXIT_TIMEOUT;
    }
    return 1;
}

typedef struct RunOpts {
    ModelOpts mo;
    const char *accel;
    uint64_t timeout_s;
    bool demo_device, dirty_log, stats;
} RunOpts;

static int parse(int argc, char **argv, RunOpts *o)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "accel", required_argument, NULL, 'a' },
        { "timeout", required_argument, NULL, 't' },
        { "demo-device", no_argument, NULL, 'd' },
        { "dirty-log", no_argument, NULL, 'D' },
        { "stats", no_argument, NULL, 's' },
        MODEL_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
    };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h" MODEL_SHORT_OPTIONS, longopts,
                            NULL)) != -1) {
        char *end;
        switch (c) {
        case 'h': help(stdout); return 0;
        case 'a':
            if (strcmp(optarg, "kvm") && strcmp(optarg, "emu")) {
                return tool_usage("run", "--accel: 'kvm' or 'emu', not '%s'",
                                  optarg);
            }
            o->accel = optarg;
            break;
        case 't':
            o->timeout_s = strtoull(optarg, &end, 10);
            if (*optarg < '0' || *optarg > '9' || *end ||
                o->timeout_s > 1000000) {
                return tool_usage("run",
                                  "--timeout: whole seconds "
                                  "(0-1000000), not '%s'",
                                  optarg);
            }
            break;
        case 'd': o->demo_device = true; break;
        case 'D': o->dirty_log = true; break;
        case 's': o->stats = true; break;
        default:
            if (!model_opt(&o->mo, c, optarg)) {
                return tool_bad_option("run", c, argv);
            }
        }
    }
    if (optind != argc) {
        return tool_usage("run", "unexpected argument '%s'", argv[optind]);
    }
    if (o->mo.import || o->mo.import_flat) {
        return tool_usage("run", "runs a --machine, not an --import");
    }
    if (!o->mo.machine) {
        o->mo.machine = "pc";
    }
    if (!o->mo.bios) {
        o->mo.bios_image = gm_demo_guest;
        o->mo.bios_image_size = gm_demo_guest_size;
        o->demo_device = true;
    }
    return -1;
}

static void print_stats(Run *r, GmKvm *kvm, DemoDevice *demo)
{
    fprintf(stderr, "guestmem: run: %s: %" PRIu64 " exits served",
            gm_vcpu_accel(r->cpu), gm_vcpu_exits(r->cpu));
    if (gm_vcpu_instructions(r->cpu)) {
        fprintf(stderr, ", %" PRIu64 " instructions",
                gm_vcpu_instructions(r->cpu));
    }
    if (kvm) {
        GmKvmStats st;
        gm_kvm_stats(kvm, &st);
        fprintf(stderr,
                ", %" PRIu64 " slot updates, %" PRIu64
                " coalesced writes drained, %" PRIu64 " dirty-log reads",
                st.slot_sets, st.coalesced_seen, st.dirty_syncs);
    }
    if (demo->mapped) {
        fprintf(stderr,
                ", demo device: %u coalesced writes, %u doorbell "
                "writes reached it",
                demo->coalesced_writes, demo->doorbell_writes);
    }
    fputc('\n', stderr);
}

int cmd_run(int argc, char **argv)
{
    RunOpts o = { 0 };
    int rc = parse(argc, argv, &o);
    if (rc >= 0) {
        return rc;
    }
    /* -m as model_open reads it (which reports a bad one); 0: default. */
    uint64_t ram = 0;
    Error *err = NULL;
    if (o.mo.mem && gm_parse_ram_size(o.mo.mem, &ram, NULL) == 0) {
        if (!o.mo.bios && ram && ram < DEMO_GUEST_MIN_RAM) {
            return tool_usage("run",
                              "-m %s: the built-in demo guest needs at least "
                              "%u MiB of RAM (it uses RAM up to 0x%x); give "
                              "-m %uM or more, or --bios FILE",
                              o.mo.mem, DEMO_GUEST_MIN_RAM >> 20,
                              DEMO_GUEST_RAM_LAST, DEMO_GUEST_MIN_RAM >> 20);
        }
        if (!fits_host(ram ? ram : 128ULL << 20)) {
            return EXIT_RUNTIME;
        }
    }
    Model m;
    if ((rc = model_open(&o.mo, &m))) {
        return rc;
    }
    if (gm_pc_chipset(m.pc) == GM_PC_Q35 && !o.mo.bios) {
        model_free(&m);
        return tool_usage("run",
                          "the built-in demo guest programs the "
                          "i440fx's PAM registers: on q35 give "
                          "--bios FILE (e.g. %s/bios-256k.bin)",
                          GM_PC_BIOS_DIR);
    }
    Run r = { .last_console = -1 };
    GmPcBoardConfig bc = { on_console, on_exit_port, on_reset, &r };
    GmPcBoard *board = gm_pc_board_new(m.pc, &bc, &err);
    DemoDevice demo = { 0 };
    GmKvm *kvm = NULL;
    bool dirty_started = false;
    rc = 1;
    if (!board) {
        tool_error("run", "%s", error_get_pretty(err));
        error_free(err);
        goto out;
    }
    if (o.demo_device && !demo_device_init(&demo, &err)) {
        tool_error("run", "demo device: %s", error_get_pretty(err));
        error_free(err);
        goto out;
    }
    r.cpu = make_cpu(o.accel, &kvm);
    if (!r.cpu) {
        goto out;
    }
    if (o.dirty_log) {
        start_dirty_log(m.pc);
        dirty_started = true;
    }
    GmVcpuExit why;
    if (gm_vcpu_run(r.cpu, o.timeout_s * 1000, &why, &err) < 0) {
        fflush(stdout);
        tool_error("run", "%s", error_get_pretty(err));
        error_free(err);
        gm_vcpu_dump(r.cpu, stderr);
        goto out;
    }
    rc = finish(&r, why, o.timeout_s);
    if (o.dirty_log) {
        print_dirty(m.pc);
    }
    if (o.stats) {
        print_stats(&r, kvm, &demo);
    }
out:
    fflush(stdout);
    if (dirty_started) {
        memory_global_dirty_log_stop(GLOBAL_DIRTY_MIGRATION);
    }
    gm_vcpu_free(r.cpu);
    gm_kvm_free(kvm);
    demo_device_fini(&demo);
    gm_pc_board_free(board);
    model_free(&m);
    return rc;
}
