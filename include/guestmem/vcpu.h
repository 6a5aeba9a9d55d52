/* SPDX-License-Identifier: MIT */
/*
 * guestmem/vcpu.h - an x86 vCPU whose every memory and port access goes
 * through guestmem: a KVM vCPU (its MMIO and port-I/O exits dispatched into
 * the address spaces) or a software CPU (Debian's libx86emu, real and
 * 32-bit protected mode, every fetch, load, store and port access through
 * the access path).
 *
 * A vCPU starts in the x86 reset state (real mode, CS selector 0xf000 with
 * base 0xffff0000, IP 0xfff0).  gm_vcpu_run() runs it until one of:
 *   GM_VCPU_EXIT_HLT       `hlt` with EFLAGS.IF clear (nothing could wake it)
 *   GM_VCPU_EXIT_STOP      a device called gm_vcpu_stop() (e.g. a debug-exit
 *                          port); the run returns after that access completes
 *   GM_VCPU_EXIT_SHUTDOWN  triple fault (KVM_EXIT_SHUTDOWN), or a software
 *                          CPU fault the guest cannot handle
 *   GM_VCPU_EXIT_TIMEOUT   the time limit passed (`hlt` with IF set waits
 *                          for it, as no interrupt source exists)
 * and returns an error (the run cannot go on) for KVM internal errors, an
 * instruction libx86emu lacks (named in the message), a failed ioctl, or a
 * pending gm_kvm_check() error.
 *
 * Accesses: MMIO exits go to the memory address space, port I/O to the I/O
 * address space, with MEMTXATTRS_UNSPECIFIED and the CPU index 0 as
 * requester; MemoryRegionOps constraints, endianness and unassigned-access
 * rules apply as for any access (an unassigned port reads all ones, an
 * unassigned memory read 0).
 *
 * Thread-safety: one thread runs a vCPU; gm_vcpu_stop() is for callbacks on
 * that thread, gm_vcpu_kick() for any thread.  The KVM vCPU uses SIGUSR1
 * (QEMU's SIG_IPI) to leave KVM_RUN; it installs a handler that does
 * nothing if the signal's disposition is the default.
 */
#ifndef GUESTMEM_VCPU_H
#define GUESTMEM_VCPU_H

#include <stdio.h>

#include <guestmem/kvm.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct GmVcpu GmVcpu;

typedef enum GmVcpuExit {
    GM_VCPU_EXIT_HLT = 1,
    GM_VCPU_EXIT_STOP,
    GM_VCPU_EXIT_SHUTDOWN,
    GM_VCPU_EXIT_TIMEOUT,
} GmVcpuExit;

/**
 * gm_kvm_vcpu_new: vCPU 0 of @kvm, in the reset state, with the CPUID the
 * host's KVM supports minus the KVM paravirtual leaves (0x40000000-
 * 0x400000ff: guestmem offers no kvmclock, so firmware sees the CPU QEMU's
 * TCG shows).  Errors: GM_ERR_IO (an ioctl failed, with errno's text),
 * GM_ERR_IN_USE (@kvm already has a vCPU), GM_ERR_NO_MEMORY.
 */
GM_API GmVcpu *gm_kvm_vcpu_new(GmKvm *kvm, Error **errp);

/**
 * gm_emu_vcpu_new: a software vCPU (libx86emu) over @mem and @io.
 * Errors: GM_ERR_UNSUPPORTED (guestmem built without libx86emu),
 * GM_ERR_INVALID_ARG, GM_ERR_NO_MEMORY.
 */
GM_API GmVcpu *gm_emu_vcpu_new(AddressSpace *mem, AddressSpace *io,
                               Error **errp);

/** gm_vcpu_free: NULL is a no-op.  Not while it runs. */
GM_API void gm_vcpu_free(GmVcpu *cpu);

/** gm_vcpu_accel: "kvm" or "emu". */
GM_API const char *gm_vcpu_accel(const GmVcpu *cpu);

/**
 * gm_vcpu_run: run until an exit listed in the file comment, or for at most
 * @timeout_ms milliseconds (0: no limit).  May be called again after any
 * exit but SHUTDOWN and errors, and goes on where it stopped.
 * Return: 0 with *@why set, or -code with the reason in @errp.
 */
GM_API int gm_vcpu_run(GmVcpu *cpu, uint64_t timeout_ms, GmVcpuExit *why,
                       Error **errp);

/** gm_vcpu_stop: from a device callback on the vCPU thread: end the
 * current gm_vcpu_run() with GM_VCPU_EXIT_STOP once the access returns. */
GM_API void gm_vcpu_stop(GmVcpu *cpu);

/** gm_vcpu_kick: from any thread: make gm_vcpu_run() return soon with
 * GM_VCPU_EXIT_STOP.  Async-signal-safe. */
GM_API void gm_vcpu_kick(GmVcpu *cpu);

/**
 * GmVcpuRegs: the architectural state a run leaves (for dumps and tests).
 * Segment bases and limits are the hidden parts, as the CPU holds them.
 */
typedef struct GmVcpuRegs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp, rip, rflags;
    uint64_t cr0, cr2, cr3, cr4, efer;
    struct {
        uint16_t selector;
        uint64_t base;
        uint32_t limit;
    } cs, ds, es, fs, gs, ss;
    uint64_t gdt_base, idt_base;
    uint16_t gdt_limit, idt_limit;
} GmVcpuRegs;

/** gm_vcpu_get_regs: the state after the last run.  Return: 0 or -code. */
GM_API int gm_vcpu_get_regs(GmVcpu *cpu, GmVcpuRegs *regs, Error **errp);

/** gm_vcpu_dump: the registers in a few lines (for "why did it stop"). */
GM_API void gm_vcpu_dump(GmVcpu *cpu, FILE *f);

/** gm_vcpu_instructions: instructions the software CPU executed (0 for
 * KVM, which does not count them). */
GM_API uint64_t gm_vcpu_instructions(const GmVcpu *cpu);

/** gm_vcpu_exits: exits served (KVM) or accesses to MMIO and ports (emu). */
GM_API uint64_t gm_vcpu_exits(const GmVcpu *cpu);

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_VCPU_H */
