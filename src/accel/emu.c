// SPDX-License-Identifier: MIT
/*
 * accel/emu.c - the software vCPU: Debian's libx86emu (real and 32-bit
 * protected mode, no paging), with its one memory-and-port callback wired to
 * guestmem's access path, so instruction fetches, loads, stores and port
 * accesses see exactly what a KVM guest's exits see.
 *
 * libx86emu runs until an instruction stops it; this file runs it in
 * slices of instructions so that the deadline and kicks are checked, and
 * tells apart why it stopped: `hlt`, a device's gm_vcpu_stop(), an
 * instruction it lacks (#UD raised by its decoder: reported with the
 * bytes), or a fetch it could not make.
 */
#include "../base.h"
#include "vcpu-internal.h"

#ifdef GM_HAVE_X86EMU

#include <time.h>
#include <x86emu.h>

#define SLICE 20000 /* instructions between deadline checks */

typedef struct EmuVcpu {
    GmVcpu head;
    x86emu_t *emu;
    bool undefined; /* #UD: an instruction libx86emu does not know */
    bool shutdown;  /* an interrupt with no gate: a triple fault */
    uint8_t ud_bytes[6];
    uint32_t ud_cs, ud_eip;
} EmuVcpu;

static EmuVcpu *emu_of(x86emu_t *emu)
{
    return emu->_private;
}

static unsigned size_of(unsigned type)
{
    switch (type & 0xff) {
    case X86EMU_MEMIO_16: return 2;
    case X86EMU_MEMIO_32: return 4;
    default: return 1;
    }
}

static uint32_t load(AddressSpace *as, uint32_t addr, unsigned size)
{
    const MemTxAttrs a = MEMTXATTRS_UNSPECIFIED;
    switch (size) {
    case 4: return address_space_ldl_le(as, addr, a, NULL);
    case 2: return address_space_lduw_le(as, addr, a, NULL);
    default: return address_space_ldub(as, addr, a, NULL);
    }
}

static unsigned memio(x86emu_t *emu, uint32_t addr, uint32_t *val,
                      unsigned type)
{
    EmuVcpu *v = emu_of(emu);
    unsigned size = size_of(type);
    uint8_t buf[4] = { 0 };
    switch (type & ~0xffu) {
    case X86EMU_MEMIO_R:
    case X86EMU_MEMIO_X:
        /* One fixed-size load, as a CPU makes it (QEMU's TCG dispatches a
         * load to MMIO at its size too); RAM takes the access path's inline
         * fast path.  Unassigned memory reads 0 (the access path's value);
         * an x86 CPU does not fault on it, as in QEMU. */
        *val = load(v->head.mem, addr, size);
        return 0;
    case X86EMU_MEMIO_W:
        for (unsigned i = 0; i < size; i++) {
            buf[i] = (uint8_t)(*val >> (8 * i));
        }
        address_space_write(v->head.mem, addr, MEMTXATTRS_UNSPECIFIED, buf,
                            size);
        break;
    case X86EMU_MEMIO_I:
        gm__vcpu_pio(&v->head, (uint16_t)addr, buf, size, false);
        *val = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 |
               (uint32_t)buf[2] << 16 | (uint32_t)buf[3] << 24;
        break;
    case X86EMU_MEMIO_O:
        for (unsigned i = 0; i < size; i++) {
            buf[i] = (uint8_t)(*val >> (8 * i));
        }
        gm__vcpu_pio(&v->head, (uint16_t)addr, buf, size, true);
        break;
    default: return 1;
    }
    if (v->head.stop_requested ||
        __atomic_load_n(&v->head.kicked, __ATOMIC_ACQUIRE)) {
        x86emu_stop(emu);
    }
    return 0;
}

static int intr(x86emu_t *emu, uint8_t num, unsigned type)
{
    EmuVcpu *v = emu_of(emu);
    if ((type & 0xff) == INTR_TYPE_FAULT && num == 6) {
        /* libx86emu raises #UD for what its decoder does not know; keep
         * the instruction's first bytes for the message.  ud2 (0f 0b) is
         * the guest's own #UD and is delivered. */
        v->ud_cs = emu->x86.saved_cs;
        v->ud_eip = emu->x86.saved_eip;
        address_space_read(
            v->head.mem, (uint32_t)(emu->x86.R_CS_BASE + v->ud_eip),
            MEMTXATTRS_UNSPECIFIED, v->ud_bytes, sizeof(v->ud_bytes));
        if (v->ud_bytes[0] != 0x0f || v->ud_bytes[1] != 0x0b) {
            v->undefined = true;
            x86emu_stop(emu);
            return 1;
        }
    }
    /* A vector whose gate lies past the IDT's (or IVT's) limit: the CPU
     * faults, fails to deliver that too, and shuts down.  libx86emu would
     * read past the table instead. */
    bool pe = emu->x86.R_CR0 & 1;
    uint32_t last = (uint32_t)num * (pe ? 8 : 4) + (pe ? 7 : 3);
    if (last > emu->x86.R_IDT_LIMIT) {
        v->shutdown = true;
        x86emu_stop(emu);
        return 1;
    }
    return 0; /* through the IVT or IDT, as the CPU does */
}

/* CPUID of a plain 32-bit CPU: what libx86emu implements, and no
 * hypervisor leaves (as QEMU's TCG). */
static void cpuid(x86emu_t *emu)
{
    uint32_t leaf = emu->x86.R_EAX;
    uint32_t a = 0, b = 0, c = 0, d = 0;
    if (leaf == 0) {
        a = 1;
        b = 0x756e6547; /* "GenuineIntel" */
        d = 0x49656e69;
        c = 0x6c65746e;
    } else if (leaf == 1) {
        a = 0x00000633;            /* family 6, model 3, stepping 3 */
        d = (1u << 4) | (1u << 5); /* TSC, MSR */
    }
    emu->x86.R_EAX = a;
    emu->x86.R_EBX = b;
    emu->x86.R_ECX = c;
    emu->x86.R_EDX = d;
}

static const GmVcpuOps emu_vcpu_ops;

GmVcpu *gm_emu_vcpu_new(AddressSpace *mem, AddressSpace *io, Error **errp)
{
    if (!mem) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG, "no memory address space");
        return NULL;
    }
    EmuVcpu *v = calloc(1, sizeof(*v));
    if (!v) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    v->emu = x86emu_new(X86EMU_PERM_RWX, X86EMU_PERM_RW);
    if (!v->emu) {
        free(v);
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    v->head.ops = &emu_vcpu_ops;
    v->head.mem = mem;
    v->head.io = io;
    v->emu->_private = v;
    x86emu_set_memio_handler(v->emu, memio);
    x86emu_set_intr_handler(v->emu, intr);
    x86emu_set_cpuid_handler(v->emu, cpuid);
    /* The x86 reset state: libx86emu's reset puts CS's base at 0xf0000;
     * the CPU's is 0xffff0000 until the first far jump. */
    v->emu->x86.R_CS_BASE = 0xffff0000u;
    return &v->head;
}

static void emu_vcpu_free(GmVcpu *cpu)
{
    EmuVcpu *v = (EmuVcpu *)cpu;
    x86emu_done(v->emu);
    free(v);
}

static bool halted_on_hlt(const x86emu_t *emu)
{
    return emu->x86.instr_len > 0 &&
           emu->x86.instr_buf[emu->x86.instr_len - 1] == 0xf4;
}

static int report_ud(EmuVcpu *v, Error **errp)
{
    char bytes[3 * sizeof(v->ud_bytes) + 1];
    for (unsigned i = 0; i < sizeof(v->ud_bytes); i++) {
        snprintf(bytes + 3 * i, 4, "%02x ", v->ud_bytes[i]);
    }
    bytes[3 * sizeof(v->ud_bytes) - 1] = '\0';
    return gm_error_setg(errp, GM_ERR_UNSUPPORTED,
                         "the software CPU (libx86emu) does not implement "
                         "the instruction at %04x:%08x (it starts with bytes "
                         "%s); try --accel kvm",
                         v->ud_cs, v->ud_eip, bytes);
}

static bool wait_or_deadline(GmVcpu *cpu, uint64_t deadline, GmVcpuExit *why)
{
    if (__atomic_exchange_n(&cpu->kicked, 0, __ATOMIC_ACQ_REL)) {
        *why = GM_VCPU_EXIT_STOP;
        return true;
    }
    if (deadline && gm__now_ns() >= deadline) {
        *why = GM_VCPU_EXIT_TIMEOUT;
        return true;
    }
    return false;
}

static int emu_vcpu_run(GmVcpu *cpu, uint64_t deadline, GmVcpuExit *why,
                        Error **errp)
{
    EmuVcpu *v = (EmuVcpu *)cpu;
    x86emu_t *emu = v->emu;
    for (;;) {
        if (wait_or_deadline(cpu, deadline, why)) {
            return 0;
        }
        uint64_t before = emu->x86.R_TSC;
        emu->max_instr = before + SLICE;
        unsigned rs = x86emu_run(emu, X86EMU_RUN_MAX_INSTR);
        cpu->instructions += emu->x86.R_TSC - before;
        if (v->undefined) {
            v->undefined = false;
            return report_ud(v, errp);
        }
        if (v->shutdown) {
            *why = GM_VCPU_EXIT_SHUTDOWN;
            return 0;
        }
        if (cpu->stop_requested) {
            *why = GM_VCPU_EXIT_STOP;
            return 0;
        }
        if (rs & X86EMU_RUN_MAX_INSTR) {
            continue;
        }
        if (rs & X86EMU_RUN_NO_EXEC) {
            return gm_error_setg(errp, GM_ERR_IO,
                                 "the software CPU could not fetch at "
                                 "%04x:%08x",
                                 emu->x86.R_CS, emu->x86.R_EIP);
        }
        if (halted_on_hlt(emu)) {
            if (!(emu->x86.R_EFLG & FB_IF)) {
                *why = GM_VCPU_EXIT_HLT;
                return 0;
            }
            /* No interrupt source: sleep until the deadline or a kick. */
            while (!wait_or_deadline(cpu, deadline, why)) {
                struct timespec ts = { 0, 1000000 };
                nanosleep(&ts, NULL);
            }
            return 0;
        }
        /* A kick seen inside memio: the loop head reports it. */
    }
}

static int emu_vcpu_get_regs(GmVcpu *cpu, GmVcpuRegs *o, Error **errp)
{
    x86emu_regs_t *x = &((EmuVcpu *)cpu)->emu->x86;
    o->rax = x->R_EAX, o->rbx = x->R_EBX, o->rcx = x->R_ECX;
    o->rdx = x->R_EDX, o->rsi = x->R_ESI, o->rdi = x->R_EDI;
    o->rsp = x->R_ESP, o->rbp = x->R_EBP, o->rip = x->R_EIP;
    o->rflags = x->R_EFLG;
    o->cr0 = x->R_CR0, o->cr2 = x->R_CR2, o->cr3 = x->R_CR3;
    o->cr4 = x->R_CR4;
#define SEG(n, i)                  \
    o->n.selector = x->seg[i].sel; \
    o->n.base = x->seg[i].base;    \
    o->n.limit = x->seg[i].limit
    SEG(es, R_ES_INDEX);
    SEG(cs, R_CS_INDEX);
    SEG(ss, R_SS_INDEX);
    SEG(ds, R_DS_INDEX);
    SEG(fs, R_FS_INDEX);
    SEG(gs, R_GS_INDEX);
#undef SEG
    o->gdt_base = x->R_GDT_BASE, o->gdt_limit = (uint16_t)x->R_GDT_LIMIT;
    o->idt_base = x->R_IDT_BASE, o->idt_limit = (uint16_t)x->R_IDT_LIMIT;
    return 0;
}

static const GmVcpuOps emu_vcpu_ops = {
    .name = "emu",
    .run = emu_vcpu_run,
    .get_regs = emu_vcpu_get_regs,
    .free = emu_vcpu_free,
};

#else /* !GM_HAVE_X86EMU */

GmVcpu *gm_emu_vcpu_new(AddressSpace *mem, AddressSpace *io, Error **errp)
{
    gm_error_setg(errp, GM_ERR_UNSUPPORTED,
                  "guestmem was built without libx86emu (Debian package "
                  "libx86emu-dev): no software CPU");
    return NULL;
}

#endif
