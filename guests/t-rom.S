/* t-rom.S - what the guest must not change or see: the BIOS ROM (at 4 GiB
 * and through its isa-bios alias with PAM at reset), the option-ROM area,
 * and unassigned memory (reads 0, writes vanish). */
        .include "lib.inc"
main:
        movl    BASE + 0x100, %ebx
        notl    BASE + 0x100
        cmpl    %ebx, BASE + 0x100
        CHECK   "pc.bios at 0xffff0100 is not writable"
        movl    0xf0100, %ebx
        cmpl    %ebx, BASE + 0x100
        CHECK   "isa-bios at 0xf0100 shows the BIOS"
        notl    0xf0100
        cmpl    %ebx, 0xf0100
        CHECK   "isa-bios at 0xf0100 is not writable"
        movl    0xc0000, %ebx
        movl    $0x11223344, 0xc0000
        cmpl    %ebx, 0xc0000
        CHECK   "pc.rom at 0xc0000 is not writable"
        movl    $0x55667788, 0xe0000000
        cmpl    $0, 0xe0000000
        CHECK   "unassigned memory at 0xe0000000 reads 0 after a write"
        movw    $0x1234, %dx
        inb     %dx, %al
        cmpb    $0xff, %al
        CHECK   "an unassigned port reads all ones"
        FINISH
