/* t-basic.S - the run's plumbing: both debug consoles print, and a write
 * of 0x2a to the debug-exit port ends the run with status 0x55. */
        .include "lib.inc"
main:
        SAY     "hello from port 0xe9\n"
        movl    $msg402, %esi
        movw    $0x402, %dx
1:      lodsb
        testb   %al, %al
        jz      2f
        outb    %al, %dx
        jmp     1b
2:      movl    $0x2a, %eax
        outl    %eax, $EXIT_PORT
        SAY     "not reached\n"
        cli
        hlt
msg402: .asciz  "hello from port 0x402\n"
