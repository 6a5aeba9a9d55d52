/* t-loop.S - a guest that never stops: the timeout ends the run. */
        .include "lib.inc"
main:
        SAY     "spinning\n"
1:      incl    %eax
        jmp     1b
