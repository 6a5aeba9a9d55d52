// SPDX-License-Identifier: MIT
/*
 * accel/kvm-vcpu.c - a KVM vCPU: KVM_RUN, and every exit served through
 * guestmem (port I/O into the I/O address space, MMIO into the memory
 * address space), the coalesced ring drained first.
 *
 * Leaving KVM_RUN on time: a POSIX timer sends SIGUSR1 to this thread at
 * the deadline, and gm_vcpu_kick() sends it from anywhere; the handler sets
 * kvm_run.immediate_exit, so a signal that lands just before KVM_RUN is not
 * lost (KVM_CAP_IMMEDIATE_EXIT, Linux 4.11).
 */
#define _GNU_SOURCE
#include "../base.h"
#include "kvm-internal.h"
#include "vcpu-internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define GM_KICK_SIGNAL SIGUSR1

typedef struct KvmVcpu {
    GmVcpu head;
    GmKvm *kvm;
    int fd;
    struct kvm_run *run;
    size_t run_size;
    pthread_t thread;
    bool running;
} KvmVcpu;

static __thread struct kvm_run *tls_run;

static void kick_handler(int sig)
{
    (void)sig;
    if (tls_run) {
        __atomic_store_n(&tls_run->immediate_exit, 1, __ATOMIC_RELAXED);
    }
}

static void install_kick_handler(void)
{
    struct sigaction old;
    if (sigaction(GM_KICK_SIGNAL, NULL, &old) == 0 &&
        old.sa_handler == SIG_DFL) {
        struct sigaction sa = { .sa_handler = kick_handler };
        sigemptyset(&sa.sa_mask);
        sigaction(GM_KICK_SIGNAL, &sa, NULL); /* no SA_RESTART: EINTR */
    }
}

/* The host's supported CPUID without KVM's paravirtual leaves. */
static bool set_cpuid(KvmVcpu *v, Error **errp)
{
    int nent = 128;
    for (;;) {
        struct kvm_cpuid2 *c =
            calloc(1, sizeof(*c) + (size_t)nent * sizeof(c->entries[0]));
        if (!c) {
            gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
            return false;
        }
        c->nent = (uint32_t)nent;
        if (ioctl(v->kvm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
            int e = errno;
            free(c);
            if (e == E2BIG && nent < 4096) {
                nent *= 2;
                continue;
            }
            gm_error_setg(errp, GM_ERR_IO, "KVM_GET_SUPPORTED_CPUID: %s",
                          strerror(e));
            return false;
        }
        uint32_t out = 0;
        for (uint32_t i = 0; i < c->nent; i++) {
            uint32_t fn = c->entries[i].function;
            if (fn >= 0x40000000u && fn <= 0x400000ffu) {
                continue;
            }
            c->entries[out++] = c->entries[i];
        }
        c->nent = out;
        int rc = ioctl(v->fd, KVM_SET_CPUID2, c);
        int e = errno;
        free(c);
        if (rc < 0) {
            gm_error_setg(errp, GM_ERR_IO, "KVM_SET_CPUID2: %s", strerror(e));
            return false;
        }
        return true;
    }
}

static void map_ring(KvmVcpu *v)
{
    GmKvm *kvm = v->kvm;
    int off = ioctl(kvm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
    if (off <= 0 || (size_t)off * (size_t)kvm->page_size >= v->run_size) {
        return;
    }
    kvm->ring = (struct kvm_coalesced_mmio_ring *)((char *)v->run +
                                                   off * kvm->page_size);
    kvm->ring_max = (unsigned)(((size_t)kvm->page_size -
                                sizeof(struct kvm_coalesced_mmio_ring)) /
                               sizeof(struct kvm_coalesced_mmio));
}

static const GmVcpuOps kvm_vcpu_ops;

GmVcpu *gm_kvm_vcpu_new(GmKvm *kvm, Error **errp)
{
    if (!kvm) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG, "no KVM VM");
        return NULL;
    }
    if (kvm->has_vcpu) {
        gm_error_setg(errp, GM_ERR_IN_USE, "the VM already has its vCPU");
        return NULL;
    }
    KvmVcpu *v = calloc(1, sizeof(*v));
    if (!v) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    v->head.ops = &kvm_vcpu_ops;
    v->head.mem = kvm->mem;
    v->head.io = kvm->io;
    v->kvm = kvm;
    v->fd = ioctl(kvm->vm_fd, KVM_CREATE_VCPU, 0);
    if (v->fd < 0) {
        gm_error_setg(errp, GM_ERR_IO, "KVM_CREATE_VCPU: %s", strerror(errno));
        free(v);
        return NULL;
    }
    int size = ioctl(kvm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size <= 0) {
        gm_error_setg(errp, GM_ERR_IO, "KVM_GET_VCPU_MMAP_SIZE: %s",
                      strerror(errno));
        close(v->fd);
        free(v);
        return NULL;
    }
    v->run_size = (size_t)size;
    v->run =
        mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (v->run == MAP_FAILED) {
        gm_error_setg(errp, GM_ERR_IO, "mmap of the vCPU: %s", strerror(errno));
        close(v->fd);
        free(v);
        return NULL;
    }
    if (!set_cpuid(v, errp)) {
        munmap(v->run, v->run_size);
        close(v->fd);
        free(v);
        return NULL;
    }
    map_ring(v);
    install_kick_handler();
    kvm->has_vcpu = true;
    return &v->head;
}

static void kvm_vcpu_free(GmVcpu *cpu)
{
    KvmVcpu *v = (KvmVcpu *)cpu;
    if (v->kvm->ring && (char *)v->kvm->ring >= (char *)v->run &&
        (char *)v->kvm->ring < (char *)v->run + v->run_size) {
        gm_kvm_flush_coalesced(v->kvm);
        v->kvm->ring = NULL;
    }
    v->kvm->has_vcpu = false;
    munmap(v->run, v->run_size);
    close(v->fd);
    free(v);
}

static void kvm_vcpu_kick(GmVcpu *cpu)
{
    KvmVcpu *v = (KvmVcpu *)cpu;
    /* Another thread, and the kernel, share this byte: atomic stores. */
    __atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_RELAXED);
    if (__atomic_load_n(&v->running, __ATOMIC_ACQUIRE)) {
        pthread_kill(v->thread, GM_KICK_SIGNAL);
    }
}

static int vcpu_error(GmVcpu *cpu, Error **errp, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int vcpu_error(GmVcpu *cpu, Error **errp, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return gm_error_setg(errp, GM_ERR_IO, "%s", msg);
}

static void serve_io(KvmVcpu *v)
{
    struct kvm_run *r = v->run;
    uint8_t *data = (uint8_t *)r + r->io.data_offset;
    for (uint32_t i = 0; i < r->io.count; i++) {
        gm__vcpu_pio(&v->head, r->io.port, data + i * r->io.size, r->io.size,
                     r->io.direction == KVM_EXIT_IO_OUT);
    }
}

static bool interrupts_enabled(KvmVcpu *v)
{
    struct kvm_regs regs;
    if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0) {
        return false;
    }
    return (regs.rflags & 0x200) != 0;
}

/* A timer that sends the kick signal to this thread at @deadline_ns. */
static bool arm_timer(timer_t *t, uint64_t deadline_ns)
{
    struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID,
                           .sigev_signo = GM_KICK_SIGNAL };
    ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    if (timer_create(CLOCK_MONOTONIC, &ev, t) < 0) {
        return false;
    }
    struct itimerspec its = {
        .it_value = { .tv_sec = (time_t)(deadline_ns / 1000000000u),
                      .tv_nsec = (long)(deadline_ns % 1000000000u) },
    };
    /* Repeat every 10 ms in case one lands outside KVM_RUN and the flag
     * is cleared before it is seen. */
    its.it_interval.tv_nsec = 10000000;
    timer_settime(*t, TIMER_ABSTIME, &its, NULL);
    return true;
}

/* Why KVM_RUN was interrupted: the deadline, a kick, or neither (an
 * unrelated signal: run again). */
static bool interrupted(KvmVcpu *v, uint64_t deadline, GmVcpuExit *why)
{
    if (__atomic_exchange_n(&v->head.kicked, 0, __ATOMIC_ACQ_REL)) {
        *why = GM_VCPU_EXIT_STOP;
        return true;
    }
    if (deadline && gm__now_ns() >= deadline) {
        *why = GM_VCPU_EXIT_TIMEOUT;
        return true;
    }
    return false;
}

/* Serve the exit in v->run.  Return: 1 to run on, 0 with *@why to stop,
 * or -code. */
static int serve_exit(KvmVcpu *v, uint64_t deadline, GmVcpuExit *why,
                      Error **errp)
{
    struct kvm_run *r = v->run;
    switch (r->exit_reason) {
    case KVM_EXIT_IO: serve_io(v); return 1;
    case KVM_EXIT_MMIO:
        gm__vcpu_mmio(&v->head, r->mmio.phys_addr, r->mmio.data, r->mmio.len,
                      r->mmio.is_write);
        return 1;
    case KVM_EXIT_HLT:
        if (!interrupts_enabled(v)) {
            *why = GM_VCPU_EXIT_HLT;
            return 0;
        }
        /* No interrupt source exists: the CPU sleeps until the deadline
         * or a kick. */
        while (!interrupted(v, deadline, why)) {
            if (!deadline) {
                pause();
            } else {
                struct timespec ts = { 0, 1000000 };
                nanosleep(&ts, NULL);
            }
        }
        return 0;
    case KVM_EXIT_SHUTDOWN: *why = GM_VCPU_EXIT_SHUTDOWN; return 0;
    case KVM_EXIT_INTERNAL_ERROR:
        return vcpu_error(&v->head, errp, "KVM internal error (suberror %u)",
                          r->internal.suberror);
    case KVM_EXIT_FAIL_ENTRY:
        return vcpu_error(
            &v->head, errp,
            "KVM could not enter the guest (hardware "
            "reason 0x%llx)",
            (unsigned long long)r->fail_entry.hardware_entry_failure_reason);
    case KVM_EXIT_INTR: return interrupted(v, deadline, why) ? 0 : 1;
    default:
        return vcpu_error(&v->head, errp, "unexpected KVM exit %u",
                          r->exit_reason);
    }
}

static int kvm_vcpu_run(GmVcpu *cpu, uint64_t deadline, GmVcpuExit *why,
                        Error **errp)
{
    KvmVcpu *v = (KvmVcpu *)cpu;
    int rc = gm_kvm_check(v->kvm, errp);
    if (rc < 0) {
        return rc;
    }
    timer_t timer;
    bool timed = deadline && arm_timer(&timer, deadline);
    v->thread = pthread_self();
    tls_run = v->run;
    __atomic_store_n(&v->running, true, __ATOMIC_RELEASE);
    for (;;) {
        if (interrupted(v, deadline, why)) {
            rc = 0;
            break;
        }
        __atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_RELAXED);
        if (__atomic_load_n(&cpu->kicked, __ATOMIC_ACQUIRE)) {
            continue;
        }
        int r = ioctl(v->fd, KVM_RUN, 0);
        int e = errno;
        gm_kvm_flush_coalesced(v->kvm);
        if (r < 0) {
            if (e == EINTR || e == EAGAIN) {
                continue;
            }
            rc = vcpu_error(cpu, errp, "KVM_RUN: %s", strerror(e));
            break;
        }
        rc = serve_exit(v, deadline, why, errp);
        if (rc <= 0) {
            break;
        }
        rc = gm_kvm_check(v->kvm, errp);
        if (rc < 0) {
            break;
        }
        if (cpu->stop_requested) {
            *why = GM_VCPU_EXIT_STOP;
            rc = 0;
            break;
        }
    }
    __atomic_store_n(&v->running, false, __ATOMIC_RELEASE);
    tls_run = NULL;
    if (timed) {
        timer_delete(timer);
    }
    return rc;
}

static void seg_out(const struct kvm_segment *s, uint16_t *sel, uint64_t *base,
                    uint32_t *limit)
{
    *sel = s->selector;
    *base = s->base;
    *limit = s->limit;
}

static int kvm_vcpu_get_regs(GmVcpu *cpu, GmVcpuRegs *o, Error **errp)
{
    KvmVcpu *v = (KvmVcpu *)cpu;
    struct kvm_regs r;
    struct kvm_sregs s;
    if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 ||
        ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
        return gm_error_setg(errp, GM_ERR_IO, "KVM_GET_(S)REGS: %s",
                             strerror(errno));
    }
    o->rax = r.rax, o->rbx = r.rbx, o->rcx = r.rcx, o->rdx = r.rdx;
    o->rsi = r.rsi, o->rdi = r.rdi, o->rsp = r.rsp, o->rbp = r.rbp;
    o->rip = r.rip, o->rflags = r.rflags;
    o->cr0 = s.cr0, o->cr2 = s.cr2, o->cr3 = s.cr3, o->cr4 = s.cr4;
    o->efer = s.efer;
    seg_out(&s.cs, &o->cs.selector, &o->cs.base, &o->cs.limit);
    seg_out(&s.ds, &o->ds.selector, &o->ds.base, &o->ds.limit);
    seg_out(&s.es, &o->es.selector, &o->es.base, &o->es.limit);
    seg_out(&s.fs, &o->fs.selector, &o->fs.base, &o->fs.limit);
    seg_out(&s.gs, &o->gs.selector, &o->gs.base, &o->gs.limit);
    seg_out(&s.ss, &o->ss.selector, &o->ss.base, &o->ss.limit);
    o->gdt_base = s.gdt.base, o->gdt_limit = s.gdt.limit;
    o->idt_base = s.idt.base, o->idt_limit = s.idt.limit;
    return 0;
}

static const GmVcpuOps kvm_vcpu_ops = {
    .name = "kvm",
    .run = kvm_vcpu_run,
    .get_regs = kvm_vcpu_get_regs,
    .kick = kvm_vcpu_kick,
    .free = kvm_vcpu_free,
};
