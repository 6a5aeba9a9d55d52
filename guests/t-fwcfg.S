/* t-fwcfg.S - QEMU's fw_cfg from the guest's side: the signature and the
 * RAM size over the I/O interface, the first etc/e820 entry over DMA; the
 * host test compares the printed values with -m. */
        .include "lib.inc"
        .set DESC, 0x6200       /* a FWCfgDmaAccess, big-endian fields */
        .set BUF, 0x6300

/* select: item %ax. */
select:
        pushl   %edx
        movw    $0x510, %dx
        outw    %ax, %dx
        popl    %edx
        ret

/* read4: %eax = the next 4 bytes, little-endian. */
read4:
        pushl   %ecx
        pushl   %edx
        movw    $0x511, %dx
        movl    $4, %ecx
1:      inb     %dx, %al
        rorl    $8, %eax
        loop    1b
        popl    %edx
        popl    %ecx
        ret

main:
        movw    $0x0000, %ax
        call    select
        call    read4
        cmpl    $0x554d4551, %eax       /* "QEMU" */
        CHECK   "fw_cfg signature is QEMU"
        movw    $0x0001, %ax
        call    select
        call    read4
        cmpl    $3, %eax
        CHECK   "fw_cfg ID is 3 (traditional and DMA)"
        movw    $0x0003, %ax
        call    select
        call    read4
        movl    %eax, %ebx
        call    read4
        SAY     "ram size 0x"
        call    puthex
        movl    %ebx, %eax
        call    puthex
        SAY     "\n"
        /* The directory through DMA: select 0x19, read 4 + 64 bytes. */
        movl    $0x0a001900, DESC       /* BE: 0x0019000a = select|read */
        movl    $0x44000000, DESC + 4   /* BE length 0x44 */
        movl    $0, DESC + 8
        movl    $0x00630000, DESC + 12  /* BE address 0x6300 */
        movl    $0, %eax
        movw    $0x514, %dx
        outl    %eax, %dx
        movl    $0x00620000, %eax       /* BE 0x6200 */
        movw    $0x518, %dx
        outl    %eax, %dx
        cmpl    $0, DESC
        CHECK   "fw_cfg DMA completed without error"
        movl    BUF, %eax
        bswapl  %eax
        SAY     "files 0x"
        call    puthex
        SAY     "\n"
        movl    BUF + 4 + 8, %eax       /* first file's name */
        cmpl    $0x2f637465, %eax       /* "etc/" */
        CHECK   "the first file is under etc/"
        FINISH
