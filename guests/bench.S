/* bench.S - the exit benchmarks of bench/run-kvm-bench.py, from inside the
 * guest.  The same image runs on guestmem's pc (guestmem run, KVM or the
 * software CPU) and on QEMU 7.2's pc (KVM or TCG).  Each workload is run
 * WARM times, then timed with rdtsc over N iterations; the guest prints
 * one line per workload on port 0xe9:
 *
 *     bench NAME CYCLES cycles/op
 *
 * (rdtsc ticks per iteration, rounded down), and ends with a write of
 * 0x10 to the debug-exit port (exit status 0x21 = 33; 0x11, status 35, if
 * a sanity check failed).  Under libx86emu rdtsc counts instructions, not
 * time: the driver does not report those lines as cycles.
 *
 * Before each timed loop the guest prints "# go NAME N": the host
 * timestamps that line and the result line, which times the workload from
 * outside too (the only clock for libx86emu, whose rdtsc counts
 * instructions, not time).
 *
 * Workloads (an "op" is one iteration of the timed loop):
 *   ram-read            4-byte read of RAM: the same loop with no exit,
 *                       the floor under the others
 *   cpuid               cpuid (leaf 0): an exit KVM serves in the kernel
 *   pio-in              inb from 0x402 (isa-debugcon's readback, 0xe9)
 *   pio-out             outb of 0x02 to 0x92 (port 92, A20 on; no reset)
 *   mmio-read-hpet      4-byte read of 0xfed00000 (QEMU's HPET; guestmem's
 *                       hpet window): served in userspace by both
 *   pio-burst16-plain   16 outb to 0x92, then inb from 0x92
 *   pio-burst16-coalesced  16 outb to 0xcf8 (coalesced PIO in both
 *                       machines: QEMU 7.2's zones there are 0xcf8 and
 *                       0xcfa-0xcfb, around the PIIX3 reset register at
 *                       0xcf9; a 1-byte write does not change the address
 *                       register), then inl from 0xcfc, which flushes
 *   pio-burst16-cf8-dword  16 outl to 0xcf8, then inl from 0xcfc: one zone
 *                       holds the whole dword in guestmem, none in QEMU
 *   pio-burst16-rtc     16 outb to 0x70, then inb from 0x71: QEMU 7.2
 *                       coalesces 0x70 (rtc-index), guestmem does not
 *   pam-toggle          i440fx PAM register 0x5a set to 0x33 or 0x00
 *                       (alternately) through 0xcf8/0xcfe, then a 4-byte
 *                       read of 0xc0000: one memory topology change each
 * and, only where the demo MMIO device answers "GMDV" at 0xfebf0000
 * (guestmem run --demo-device):
 *   mmio-read-demo      4-byte read of the demo device's id register
 *   mmio-write-demo     4-byte write of 2 to its doorbell (no ioeventfd
 *                       match: served in userspace)
 *   mmio-ioeventfd      4-byte write of 1 to the doorbell (the ioeventfd
 *                       matches: KVM signals the eventfd in the kernel)
 *   mmio-burst16-plain  16 writes to its scratch register, then a read
 *   mmio-burst16-coalesced  16 writes to its coalesced window (0x100),
 *                       then a read of its counter, which drains the ring
 */
        .include "lib.inc"

        .set DEMO, 0xfebf0000
        .set HPET, 0xfed00000
        .set T0_LO, 0x6400      /* dwords of RAM: the start of a timing */
        .set T0_HI, 0x6404
        .set WARM, 0x6408       /* iterations of warm-up */
        .set ITERS, 0x640c      /* timed iterations */
        .set HAVE_DEMO, 0x6410  /* 1 if the demo device answered */
        .set DECBUF, 0x6420     /* 12 bytes for putdec */
        .set SCRATCH, 0x6440    /* a dword of RAM for ram-read */
        .set OK_EXIT, 0x10
        .set BAD_EXIT, 0x11

/* putdec: print %eax as an unsigned decimal. */
putdec:
        pushl   %eax
        pushl   %ecx
        pushl   %edx
        pushl   %edi
        movl    $DECBUF + 11, %edi
        movb    $0, (%edi)
        movl    $10, %ecx
1:      xorl    %edx, %edx
        divl    %ecx
        addb    $'0', %dl
        decl    %edi
        movb    %dl, (%edi)
        testl   %eax, %eax
        jnz     1b
        pushl   %esi
        movl    %edi, %esi
        call    puts
        popl    %esi
        popl    %edi
        popl    %edx
        popl    %ecx
        popl    %eax
        ret

/* bench: run the workload at %edi (a loop of %ecx iterations; it may
 * clobber %eax, %ebx, %ecx, %edx) WARM times, then ITERS times under
 * rdtsc, and print "bench NAME CYCLES cycles/op" with NAME at %esi. */
bench:
        pushl   %esi
        movl    WARM, %ecx
        call    *%edi
        SAY     "# go "
        call    puts
        SAY     " "
        movl    ITERS, %eax
        call    putdec
        SAY     "\n"
        movl    (%esp), %esi
        rdtsc
        movl    %eax, T0_LO
        movl    %edx, T0_HI
        movl    ITERS, %ecx
        call    *%edi
        rdtsc
        subl    T0_LO, %eax
        sbbl    T0_HI, %edx
        divl    ITERS
        popl    %esi
        pushl   %eax
        SAY     "bench "
        call    puts
        SAY     " "
        popl    %eax
        call    putdec
        SAY     " cycles/op\n"
        ret

/* BENCH "name", function, warm-up, iterations */
        .macro  BENCH name, fn, warm, iters
        movl    $\warm, WARM
        movl    $\iters, ITERS
        movl    $\fn, %edi
        movl    $.Lname\@, %esi
        call    bench
        .section .rodata
.Lname\@: .asciz "\name"
        .text
        .endm

/* --- the workloads: each a loop of %ecx iterations ------------------------ */

w_ram_read:
1:      movl    SCRATCH, %eax
        loop    1b
        ret

w_cpuid:
        pushl   %ecx
        xorl    %eax, %eax
        cpuid
        popl    %ecx
        loop    w_cpuid
        ret

w_pio_in:
        movw    $0x402, %dx
1:      inb     %dx, %al
        loop    1b
        ret

w_pio_out:
        movb    $0x02, %al              /* A20 on, no reset */
1:      outb    %al, $0x92
        loop    1b
        ret

w_mmio_hpet:
1:      movl    HPET, %eax
        loop    1b
        ret

w_pio_burst_plain:
        movb    $0x02, %al
        .rept   16
        outb    %al, $0x92
        .endr
        inb     $0x92, %al
        loop    w_pio_burst_plain
        ret

/* 0xcf8 holds 0x80000000 (00:00.0 register 0) from the checks. */
w_pio_burst_coalesced:
        movb    $0x5a, %al              /* ignored: not a dword write */
        movw    $0xcf8, %dx
        .rept   16
        outb    %al, %dx
        .endr
        movw    $0xcfc, %dx
        inl     %dx, %eax
        loop    w_pio_burst_coalesced
        ret

w_pio_burst_dword:
        movl    $0x80000000, %eax       /* 00:00.0 register 0 */
        movw    $0xcf8, %dx
        .rept   16
        outl    %eax, %dx
        .endr
        movw    $0xcfc, %dx
        inl     %dx, %eax
        loop    w_pio_burst_dword
        ret

w_pio_burst_rtc:
        movb    $0x0f, %al              /* CMOS index 0x0f, NMI enabled */
        .rept   16
        outb    %al, $0x70
        .endr
        inb     $0x71, %al
        loop    w_pio_burst_rtc
        ret

/* One PAM change per iteration: 0x33 (RAM, read-write) and 0x00 (the PCI
 * side: pc.rom) in turn for both 16 KiB halves of 0xc0000-0xc7fff. */
w_pam:
        movl    $0x80000058, %eax       /* 00:00.0 dword 0x58 */
        movw    $0xcf8, %dx
        outl    %eax, %dx
        movw    $0xcfe, %dx             /* byte 0x5a */
        movb    %cl, %al
        andb    $1, %al
        negb    %al
        andb    $0x33, %al              /* odd %ecx: 0x33, even: 0x00 */
        outb    %al, %dx
        movl    0xc0000, %eax
        loop    w_pam
        ret

w_mmio_demo_read:
1:      movl    DEMO, %eax
        loop    1b
        ret

w_mmio_demo_write:
1:      movl    $2, DEMO + 0x20
        loop    1b
        ret

w_ioeventfd:
1:      movl    $1, DEMO + 0x20
        loop    1b
        ret

w_mmio_burst_plain:
        .rept   16
        movl    %ecx, DEMO + 0x04
        .endr
        movl    DEMO + 0x24, %eax
        loop    w_mmio_burst_plain
        ret

w_mmio_burst_coalesced:
        .irp    off, 0x100,0x104,0x108,0x10c,0x110,0x114,0x118,0x11c,0x120,0x124,0x128,0x12c,0x130,0x134,0x138,0x13c
        movl    %ecx, DEMO + \off
        .endr
        movl    DEMO + 0x24, %eax
        loop    w_mmio_burst_coalesced
        ret

/* --- checks that the workloads do what they say -------------------------- */

set_pam5a:
        movl    $0x5a, %eax
        call    pci_writeb
        ret

checks:
        movw    $0x402, %dx
        inb     %dx, %al
        cmpb    $0xe9, %al
        CHECK   "port 0x402 reads back 0xe9 (isa-debugcon)"
        movl    $0, %eax
        call    pci_readl
        cmpl    $0x12378086, %eax
        CHECK   "00:00.0 is the i440fx"
        movl    $0x80000000, %eax
        call    pci_readl
        movl    $0x5a, %eax
        movw    $0xcf8, %dx
        outb    %al, %dx
        movw    $0xcfc, %dx
        inl     %dx, %eax
        cmpl    $0x12378086, %eax
        CHECK   "a byte written to 0xcf8 leaves the address register alone"
        movb    $0x33, %cl
        call    set_pam5a
        movl    $0x600dcafe, 0xc0000
        cmpl    $0x600dcafe, 0xc0000
        CHECK   "PAM 0x5a = 0x33: 0xc0000 is RAM"
        movb    $0x00, %cl
        call    set_pam5a
        cmpl    $0x600dcafe, 0xc0000
        setne   %al
        cmpb    $1, %al
        CHECK   "PAM 0x5a = 0x00: 0xc0000 is the PCI side (pc.rom), not that RAM"
        movl    $0, HAVE_DEMO
        cmpl    $0x56444d47, DEMO
        jne     1f
        movl    $1, HAVE_DEMO
        SAY     "# demo device: present\n"
        ret
1:      SAY     "# demo device: absent (its workloads are skipped)\n"
        ret

main:
        SAY     "# guestmem bench guest\n"
        call    checks
        BENCH   "ram-read", w_ram_read, 2000, 50000
        BENCH   "cpuid", w_cpuid, 2000, 50000
        BENCH   "pio-in", w_pio_in, 2000, 50000
        BENCH   "pio-out", w_pio_out, 2000, 50000
        BENCH   "mmio-read-hpet", w_mmio_hpet, 2000, 50000
        BENCH   "pio-burst16-plain", w_pio_burst_plain, 200, 5000
        movl    $0x80000000, %eax
        call    pci_readl
        BENCH   "pio-burst16-coalesced", w_pio_burst_coalesced, 200, 5000
        BENCH   "pio-burst16-cf8-dword", w_pio_burst_dword, 200, 5000
        BENCH   "pio-burst16-rtc", w_pio_burst_rtc, 200, 5000
        BENCH   "pam-toggle", w_pam, 100, 2000
        cmpl    $0, HAVE_DEMO
        je      1f
        BENCH   "mmio-read-demo", w_mmio_demo_read, 2000, 50000
        BENCH   "mmio-write-demo", w_mmio_demo_write, 2000, 50000
        BENCH   "mmio-ioeventfd", w_ioeventfd, 2000, 50000
        BENCH   "mmio-burst16-plain", w_mmio_burst_plain, 200, 5000
        BENCH   "mmio-burst16-coalesced", w_mmio_burst_coalesced, 200, 5000
1:      cmpl    $0, FAILURES
        jne     2f
        SAY     "# done\n"
        movl    $OK_EXIT, %eax
        outl    %eax, $EXIT_PORT
2:      SAY     "# some checks failed\n"
        movl    $BAD_EXIT, %eax
        outl    %eax, $EXIT_PORT
        cli
        hlt
