/* t-hlt.S - hlt with interrupts off ends the run with status 0. */
        .include "lib.inc"
main:
        SAY     "halting with interrupts off\n"
        cli
        hlt
        SAY     "not reached\n"
        movl    $1, %eax
        outl    %eax, $EXIT_PORT
