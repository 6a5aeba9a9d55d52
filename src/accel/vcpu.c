// SPDX-License-Identifier: MIT
/*
 * accel/vcpu.c - what every vCPU shares: the run entry point with its
 * deadline, stop and kick, register dumps, and the two ways a CPU reaches
 * the model (port I/O and memory) with the attributes QEMU's x86 CPUs use.
 */
#include "../base.h"
#include "vcpu-internal.h"

#include <time.h>

uint64_t gm__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static MemTxAttrs cpu_attrs(void)
{
    /* QEMU's x86 CPUs access memory with requester_id = CPU index 0. */
    MemTxAttrs a = { 0 };
    return a;
}

void gm__vcpu_pio(GmVcpu *cpu, uint16_t port, void *data, unsigned size,
                  bool is_write)
{
    cpu->exits++;
    if (!cpu->io) {
        if (!is_write) {
            memset(data, 0xff, size);
        }
        return;
    }
    address_space_rw(cpu->io, port, cpu_attrs(), data, size, is_write);
}

MemTxResult gm__vcpu_mmio(GmVcpu *cpu, uint64_t addr, void *data, unsigned size,
                          bool is_write)
{
    cpu->exits++;
    return address_space_rw(cpu->mem, addr, cpu_attrs(), data, size, is_write);
}

int gm_vcpu_run(GmVcpu *cpu, uint64_t timeout_ms, GmVcpuExit *why, Error **errp)
{
    if (!cpu || !why) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG, "no vCPU or exit");
    }
    if (cpu->dead) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG,
                             "the vCPU shut down or failed; it cannot run "
                             "again");
    }
    if (timeout_ms > UINT64_MAX / 2000000u) {
        timeout_ms = 0; /* centuries: no limit */
    }
    uint64_t deadline = timeout_ms ? gm__now_ns() + timeout_ms * 1000000u : 0;
    gm_rcu_register_thread();
    cpu->stop_requested = false;
    int rc = cpu->ops->run(cpu, deadline, why, errp);
    if (rc < 0 || *why == GM_VCPU_EXIT_SHUTDOWN) {
        cpu->dead = true;
    }
    return rc;
}

void gm_vcpu_stop(GmVcpu *cpu)
{
    if (cpu) {
        cpu->stop_requested = true;
    }
}

void gm_vcpu_kick(GmVcpu *cpu)
{
    if (cpu) {
        __atomic_store_n(&cpu->kicked, 1, __ATOMIC_RELEASE);
        if (cpu->ops->kick) {
            cpu->ops->kick(cpu);
        }
    }
}

void gm_vcpu_free(GmVcpu *cpu)
{
    if (cpu) {
        cpu->ops->free(cpu);
    }
}

const char *gm_vcpu_accel(const GmVcpu *cpu)
{
    return cpu ? cpu->ops->name : "";
}

int gm_vcpu_get_regs(GmVcpu *cpu, GmVcpuRegs *regs, Error **errp)
{
    if (!cpu || !regs) {
        return gm_error_setg(errp, GM_ERR_INVALID_ARG, "no vCPU or regs");
    }
    memset(regs, 0, sizeof(*regs));
    return cpu->ops->get_regs(cpu, regs, errp);
}

void gm_vcpu_dump(GmVcpu *cpu, FILE *f)
{
    GmVcpuRegs r;
    if (gm_vcpu_get_regs(cpu, &r, NULL) < 0) {
        fprintf(f, "(registers unavailable)\n");
        return;
    }
    fprintf(f,
            "EAX=%08" PRIx64 " EBX=%08" PRIx64 " ECX=%08" PRIx64
            " EDX=%08" PRIx64 "\n"
            "ESI=%08" PRIx64 " EDI=%08" PRIx64 " EBP=%08" PRIx64
            " ESP=%08" PRIx64 "\n"
            "EIP=%08" PRIx64 " EFL=%08" PRIx64 " CR0=%08" PRIx64
            " CR3=%08" PRIx64 " CR4=%08" PRIx64 "\n",
            r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp, r.rsp, r.rip,
            r.rflags, r.cr0, r.cr3, r.cr4);
    const struct {
        const char *n;
        uint16_t sel;
        uint64_t base;
        uint32_t limit;
    } segs[] = {
        { "ES", r.es.selector, r.es.base, r.es.limit },
        { "CS", r.cs.selector, r.cs.base, r.cs.limit },
        { "SS", r.ss.selector, r.ss.base, r.ss.limit },
        { "DS", r.ds.selector, r.ds.base, r.ds.limit },
        { "FS", r.fs.selector, r.fs.base, r.fs.limit },
        { "GS", r.gs.selector, r.gs.base, r.gs.limit },
    };
    for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
        fprintf(f, "%s =%04x %08" PRIx64 " %08x\n", segs[i].n, segs[i].sel,
                segs[i].base, segs[i].limit);
    }
    fprintf(f, "GDT=     %08" PRIx64 " %08x\nIDT=     %08" PRIx64 " %08x\n",
            r.gdt_base, r.gdt_limit, r.idt_base, r.idt_limit);
}

uint64_t gm_vcpu_instructions(const GmVcpu *cpu)
{
    return cpu ? cpu->instructions : 0;
}

uint64_t gm_vcpu_exits(const GmVcpu *cpu)
{
    return cpu ? cpu->exits : 0;
}
