/* t-triple.S - a triple fault: an IDT of limit 0, then int3.  KVM reports
 * a shutdown; the run ends with a message and a register dump. */
        .include "lib.inc"
main:
        SAY     "about to triple fault\n"
        lidt    null_idt
        ud2
        SAY     "not reached\n"
        cli
        hlt
null_idt:
        .word   0
        .long   0
