/* bench-mem.S - the instruction-rate benchmark of bench/run-kvm-bench.py:
 * a memory-bound loop, the same image on every engine (guestmem's KVM and
 * software CPU, QEMU 7.2's KVM and TCG).
 *
 * It writes one dword per 64-byte line of 8 MiB of RAM at 16 MiB, runs one
 * pass as warm-up, then PASSES passes of a loop that sums one dword per
 * line (stride 64, so every load touches a new cache line and the working
 * set is larger than the last-level cache of the machines measured).
 * The guest prints, on port 0xe9:
 *
 *     # mem-loop start                  (the host timestamps this line)
 *     # mem-loop end                    (and this one)
 *     bench mem-sum-pass CYCLES cycles/op          (rdtsc ticks per pass)
 *     bench mem-sum-instructions N instructions/op (per pass, counted
 *                                       from the code: 4 per line + 3)
 *     bench mem-sum-passes PASSES count
 *
 * and exits through the debug-exit port with 0x10 (status 33).  Under
 * libx86emu rdtsc counts instructions, so there CYCLES is the executed
 * instruction count per pass: it checks N.
 */
        .include "lib.inc"

        .set BUF, 0x01000000            /* 16 MiB */
        .set BUF_SIZE, 0x00800000       /* 8 MiB */
        .set STRIDE, 64
        .set LINES, BUF_SIZE / STRIDE
        .set PASSES, 8
        .set T0_LO, 0x6400
        .set T0_HI, 0x6404
        .set SUM, 0x6408
        .set DECBUF, 0x6420

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

/* passes: %ecx passes of the summing loop; the sum accumulates in %eax.
 * Instructions per pass: 4 per line, plus movl, decl and jnz. */
passes:
1:      movl    $BUF, %esi
2:      addl    (%esi), %eax
        addl    $STRIDE, %esi
        cmpl    $BUF + BUF_SIZE, %esi
        jb      2b
        decl    %ecx
        jnz     1b
        ret

main:
        SAY     "# guestmem bench guest: memory-bound loop\n"
        /* Touch every line (and so every page) once. */
        movl    $BUF, %edi
        movl    $LINES, %ecx
1:      movl    %ecx, (%edi)
        addl    $STRIDE, %edi
        loop    1b
        xorl    %eax, %eax
        movl    $1, %ecx
        call    passes                  /* warm-up */
        SAY     "# mem-loop start\n"
        rdtsc
        movl    %eax, T0_LO
        movl    %edx, T0_HI
        xorl    %eax, %eax
        movl    $PASSES, %ecx
        call    passes
        movl    %eax, SUM
        rdtsc
        subl    T0_LO, %eax
        sbbl    T0_HI, %edx
        movl    $PASSES, %ecx
        divl    %ecx
        SAY     "# mem-loop end\n"
        SAY     "bench mem-sum-pass "
        call    putdec
        SAY     " cycles/op\n"
        SAY     "bench mem-sum-instructions "
        movl    $LINES * 4 + 3, %eax
        call    putdec
        SAY     " instructions/op\n"
        SAY     "bench mem-sum-passes "
        movl    $PASSES, %eax
        call    putdec
        SAY     " count\n"
        /* The sum of LINES..1 (each line holds its countdown index), once
         * per pass: checks that every load read what was written. */
        movl    $LINES * (LINES + 1) / 2 * PASSES, %eax
        cmpl    SUM, %eax
        CHECK   "the sum over every pass is right"
        cmpl    $0, FAILURES
        jne     2f
        movl    $0x10, %eax
        outl    %eax, $EXIT_PORT
2:      movl    $0x11, %eax
        outl    %eax, $EXIT_PORT
        cli
        hlt
