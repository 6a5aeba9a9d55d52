/* SPDX-License-Identifier: MIT */
/*
 * accel/vcpu-internal.h - the vCPU interface each accelerator implements
 * (kvm-vcpu.c, emu.c); vcpu.c holds what they share.
 */
#ifndef GUESTMEM_ACCEL_VCPU_INTERNAL_H
#define GUESTMEM_ACCEL_VCPU_INTERNAL_H

#include <guestmem/vcpu.h>

typedef struct GmVcpuOps {
    const char *name;
    /* Run until an exit or @deadline_ns (CLOCK_MONOTONIC, 0: none). */
    int (*run)(GmVcpu *cpu, uint64_t deadline_ns, GmVcpuExit *why,
               Error **errp);
    int (*get_regs)(GmVcpu *cpu, GmVcpuRegs *regs, Error **errp);
    void (*kick)(GmVcpu *cpu);
    void (*free)(GmVcpu *cpu);
} GmVcpuOps;

/* The head of every accelerator's vCPU. */
struct GmVcpu {
    const GmVcpuOps *ops;
    AddressSpace *mem, *io;
    bool stop_requested; /* gm_vcpu_stop(), on the vCPU thread */
    int kicked;          /* gm_vcpu_kick(), atomic */
    bool dead;           /* shut down or failed: no more runs */
    uint64_t exits;
    uint64_t instructions;
};

/* CLOCK_MONOTONIC now, in nanoseconds. */
uint64_t gm__now_ns(void);

/* Serve one port access of @size bytes (1, 2 or 4) at @port, through the
 * I/O address space; @data is in the guest's (little-endian) order. */
void gm__vcpu_pio(GmVcpu *cpu, uint16_t port, void *data, unsigned size,
                  bool is_write);
/* Serve one memory access through the memory address space. */
MemTxResult gm__vcpu_mmio(GmVcpu *cpu, uint64_t addr, void *data, unsigned size,
                          bool is_write);

#endif
