/* t-pam.S - all 13 PAM segments of the i440fx (register 0x59 bits 4-5 for
 * 0xf0000, then the low and high nibbles of 0x5a..0x5f for the 16 KiB
 * segments from 0xc0000): per segment, attribute 3 makes it RAM (a write
 * reads back), 1 read-only RAM (a write is refused), 0 the PCI side (the
 * RAM value is no longer seen), and 3 again shows the RAM kept its value.
 * Under KVM each switch changes the memory slots while the guest runs. */
        .include "lib.inc"
        .set SEG_REG, 0x6100    /* dword: the PAM register of the segment */
        .set SEG_SHIFT, 0x6104  /* dword: 0 (low nibble) or 4 (high) */

/* set_pam: attribute %bl for the segment in SEG_REG/SEG_SHIFT; the other
 * nibble of the register is kept. */
set_pam:
        pushl   %ecx
        pushl   %edx
        movl    SEG_REG, %eax
        call    pci_readl
        movl    SEG_REG, %ecx
        andl    $3, %ecx
        shll    $3, %ecx
        shrl    %cl, %eax               /* the register's byte in %al */
        movl    SEG_SHIFT, %ecx
        movb    $0x0f, %dl
        shlb    %cl, %dl
        notb    %dl
        andb    %dl, %al                /* clear our nibble */
        movb    %bl, %dl
        shlb    %cl, %dl
        orb     %dl, %al
        movb    %al, %cl
        movl    SEG_REG, %eax
        call    pci_writeb
        popl    %edx
        popl    %ecx
        ret

/* check_segment: %edi = base of the segment. */
check_segment:
        movb    $3, %bl
        call    set_pam
        movl    %edi, %eax
        xorl    $0x5a5a5a5a, %eax
        movl    %eax, (%edi)
        cmpl    %eax, (%edi)
        CHECK   "RAM (attribute 3): a write reads back"
        movb    $1, %bl
        call    set_pam
        movl    $0xdeadbeef, (%edi)
        movl    %edi, %eax
        xorl    $0x5a5a5a5a, %eax
        cmpl    %eax, (%edi)
        CHECK   "read-only (attribute 1): the write is refused"
        movb    $0, %bl
        call    set_pam
        movl    %edi, %eax
        xorl    $0x5a5a5a5a, %eax
        cmpl    %eax, (%edi)
        setne   %cl                     /* 1: the RAM value is not seen */
        cmpl    $0xe0000, %edi
        jb      1f
        cmpl    $0xf0000, %edi
        jae     1f
        /* 0xe0000-0xeffff: nothing is there on the PCI side with a 64 KiB
         * BIOS (isa-bios covers 0xf0000 up, pc.rom 0xc0000-0xdffff), so the
         * pam-pci alias is transparent and RAM shows through, as in QEMU. */
        cmpb    $0, %cl
        CHECK   "PCI (attribute 0): nothing on the PCI side, RAM shows through"
        jmp     2f
1:      cmpb    $1, %cl
        CHECK   "PCI (attribute 0): the ROM hides the RAM value"
2:
        movb    $3, %bl
        call    set_pam
        movl    %edi, %eax
        xorl    $0x5a5a5a5a, %eax
        cmpl    %eax, (%edi)
        CHECK   "RAM again: the value was kept"
        ret

main:
        /* Segment 0: 0xf0000, register 0x59, high nibble. */
        movl    $0x59, SEG_REG
        movl    $4, SEG_SHIFT
        SAY     "segment 0xf0000:\n"
        movl    $0xf0000, %edi
        call    check_segment
        /* Segments 1..12: 0xc0000 + 16 KiB each. */
        movl    $0xc0000, %edi
        movl    $1, %esi
seg_loop:
        movl    %esi, %eax
        incl    %eax
        shrl    $1, %eax
        addl    $0x59, %eax
        movl    %eax, SEG_REG
        movl    %esi, %eax
        andl    $1, %eax
        xorl    $1, %eax
        shll    $2, %eax
        movl    %eax, SEG_SHIFT
        SAY     "segment "
        movl    %edi, %eax
        call    puthex
        SAY     ":\n"
        pushl   %esi
        call    check_segment
        popl    %esi
        addl    $0x4000, %edi
        incl    %esi
        cmpl    $13, %esi
        jne     seg_loop
        FINISH
