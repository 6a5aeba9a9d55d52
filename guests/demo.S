/* demo.S - the built-in guest of `guestmem run`: it shows the memory model
 * at work, from inside a guest, and says so on the debug console.  Every
 * access below goes through guestmem: under KVM as memory slots it keeps
 * and exits it serves, under the software CPU one access at a time. */
        .include "lib.inc"

        .set DEMO, 0xfebf0000           /* the demo MMIO device */
        .set PAM0, 0x59                 /* i440fx: 0xf0000-0xfffff */

main:
        SAY     "guestmem demo guest: started at the reset vector (real mode, CS base 0xffff0000), now in 32-bit protected mode\n"

        /* The chipset, through PCI configuration mechanism #1. */
        movl    $0x0000, %eax
        call    pci_readl
        cmpl    $0x12378086, %eax
        CHECK   "00:00.0 is the i440fx host bridge 8086:1237"
        movl    $0x0800, %eax
        call    pci_readl
        cmpl    $0x70008086, %eax
        CHECK   "00:01.0 is the PIIX3 ISA bridge 8086:7000"
        movl    $0x1800, %eax
        call    pci_readl
        cmpl    $0xffffffff, %eax
        CHECK   "an absent PCI function (00:03.0) reads all ones"

        /* RAM below 4 GiB. */
        movl    $0x00100000, %edi
        movl    $0x600dcafe, (%edi)
        cmpl    $0x600dcafe, (%edi)
        CHECK   "RAM below 4 GiB: a dword written at 1 MiB reads back"

        /* ROM: the BIOS cannot be written through the guest path. */
        movl    BASE, %ebx
        notl    BASE
        cmpl    %ebx, BASE
        CHECK   "ROM write protection: a write to pc.bios at 0xffff0000 is refused"

        /* PAM: shadow the BIOS into RAM, as firmware does. */
        SAY     "PAM shadowing of 0xf0000-0xfffff (i440fx register 0x59):\n"
        movl    $PAM0, %eax
        movb    $0x30, %cl              /* RAM, read and write */
        call    pci_writeb
        movl    $BASE, %esi             /* copy from the alias below 4 GiB */
        movl    $0xf0000, %edi
        movl    $0x4000, %ecx
        rep movsl
        movl    0xf0000, %eax
        cmpl    BASE, %eax
        CHECK   "  0x30 (RAM): the BIOS copied into shadow RAM reads back"
        movl    $0x5ca1ab1e, 0xf0010
        cmpl    $0x5ca1ab1e, 0xf0010
        CHECK   "  0x30 (RAM): shadow RAM is writable"
        movl    $PAM0, %eax
        movb    $0x10, %cl              /* RAM, read only */
        call    pci_writeb
        movl    $0xdeadbeef, 0xf0010
        cmpl    $0x5ca1ab1e, 0xf0010
        CHECK   "  0x10 (read-only): a write to shadowed BIOS memory is refused"
        movl    $PAM0, %eax
        movb    $0x00, %cl              /* back to the ROM (isa-bios) */
        call    pci_writeb
        movl    0xf0010, %eax
        cmpl    BASE + 0x10, %eax
        CHECK   "  0x00 (PCI): reads come from the BIOS ROM again"

        /* The MMIO device. */
        cmpl    $0x56444d47, DEMO
        CHECK   "MMIO: the demo device at 0xfebf0000 answers GMDV"
        movl    $0x12345678, DEMO + 0x04
        cmpl    $0x12345678, DEMO + 0x04
        CHECK   "MMIO: its scratch register keeps a value"

        /* RAM above 4 GiB: out of a 32-bit CPU's reach, but not of the
         * device's DMA, which goes through the same address space. */
        movb    $0x5b, %al
        call    cmos_read
        movb    %al, %bl
        movb    $0x5c, %al
        call    cmos_read
        orb     %al, %bl
        jz      no_high_ram
        movl    $0x00100000, DEMO + 0x08        /* source: 1 MiB */
        movl    $0, DEMO + 0x0c
        movl    $0x00001000, DEMO + 0x10        /* destination: 4 GiB + 4 KiB */
        movl    $1, DEMO + 0x14
        movl    $16, DEMO + 0x18
        movl    $1, DEMO + 0x1c
        movl    $0x00001000, DEMO + 0x08        /* and back to 1 MiB + 64 KiB */
        movl    $1, DEMO + 0x0c
        movl    $0x00110000, DEMO + 0x10
        movl    $0, DEMO + 0x14
        movl    $1, DEMO + 0x1c
        cmpl    $0, DEMO + 0x1c
        CHECK   "RAM above 4 GiB: DMA through it succeeded"
        cmpl    $0x600dcafe, 0x110000
        CHECK   "RAM above 4 GiB: data copied to 0x100001000 and back is intact"
        jmp     coalesced
no_high_ram:
        SAY     "(no RAM above 4 GiB with this -m: run with -m 5G to see it)\n"

coalesced:
        /* 64 writes into the coalesced window: under KVM they wait in the
         * ring without an exit; the read of the counter, a region that
         * flushes, drains them first. */
        movl    $DEMO + 0x100, %edi
        movl    $1, %eax
        movl    $64, %ecx
1:      movl    %eax, (%edi)
        addl    $4, %edi
        loop    1b
        cmpl    $64, DEMO + 0x24
        CHECK   "coalesced MMIO: a burst of 64 writes all reached the device, in order, before its next read"

        /* The doorbell: an ioeventfd signals without the device seeing
         * the write. */
        movl    $1, DEMO + 0x20
        cmpl    $1, DEMO + 0x2c
        CHECK   "ioeventfd: the doorbell write signalled the eventfd"
        cmpl    $0, DEMO + 0x30
        CHECK   "ioeventfd: the device itself never saw the write"

        /* Pages written on purpose, for the dirty log the host prints. */
        movl    $0x00300000, %edi
        movl    $1, (%edi)
        movl    $1, 0x1000(%edi)
        SAY     "dirty pages: this guest just wrote 0x300000 and 0x301000; before, it wrote its stack and variables (0x6000-0x7fff), the shadowed BIOS (0xf0000-0xfffff), 0x100000, 0x110000 and, with RAM above 4 GiB, 0x100001000; with --dirty-log the host lists what it saw\n"

        FINISH
