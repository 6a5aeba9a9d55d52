/* t-ud.S - an instruction libx86emu lacks (cmpxchg8b): the software CPU
 * stops with a message that names it; KVM runs it. */
        .include "lib.inc"
main:
        SAY     "before cmpxchg8b\n"
        movl    $0x6400, %edi
        xorl    %eax, %eax
        xorl    %edx, %edx
        movl    $1, %ebx
        xorl    %ecx, %ecx
        cmpxchg8b (%edi)
        SAY     "after cmpxchg8b\n"
        cli
        hlt
