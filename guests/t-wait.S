/* t-wait.S - hlt with interrupts on waits for an interrupt that never
 * comes: only the timeout ends the run (status 124). */
        .include "lib.inc"
main:
        SAY     "waiting with interrupts on\n"
        sti
        hlt
        SAY     "not reached\n"
        movl    $1, %eax
        outl    %eax, $EXIT_PORT
