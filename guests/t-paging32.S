/* t-paging32.S - 32-bit paging with CR4.PSE: 4 KiB pages of every flag
 * combination, 4 MiB pages (PSE-36 high address bits, PAT, a reserved bit
 * 21), not-present entries with junk in them, a page table shared by two
 * directory entries, page tables in ROM and where nothing is mapped. */
        .include "lib.inc"
        .include "t-paging.inc"

        .set PD, TABLES
        .set PT_ID, TABLES + 0x1000     /* 0-4 MiB 1:1, supervisor */
        .set PT_VAR, TABLES + 0x2000    /* 4-8 MiB: flag combinations */

main:
        ZERO_TABLES 3
        IDENTITY PT_ID, 1024, 0x003, 4
        VARIETY PT_VAR, 1024, 0x01000000, 4
        E32     PD, 0, PT_ID + 0x003            /* P RW */
        E32     PD, 1, PT_VAR + 0x007           /* P RW US */
        E32     PD, 2, 0x00c00000 + (0x12 << 13) + 0x083 /* 4 MiB at 0x12_00c0_0000 */
        E32     PD, 3, 0x01400000 + 0x00200000 + 0x1e5   /* bit 21 (reserved) */
        E32     PD, 4, 0x01800000 + 0x1000 + 0x09b       /* PAT, PWT, PCD */
        E32     PD, 5, 0x01c00082               /* PS, not present */
        E32     PD, 6, 0xdeadbee0               /* junk, not present */
        E32     PD, 7, 0xe0000007               /* table where nothing is */
        E32     PD, 8, 0xffff0007               /* table in the ROM */
        E32     PD, 9, 0x02400000 + 0x0e7       /* 4 MiB user, A, D */
        E32     PD, 0x300, PT_ID + 0x007        /* the 1:1 table again */
        E32     PD, 0x301, PT_VAR + 0x005       /* read-only user */
        E32     PD, 1023, 0xffc00000 + 0x183    /* the code: 4 MiB, G */

        movl    %cr4, %eax
        orl     $0x90, %eax                     /* PSE, PGE */
        movl    %eax, %cr4
        movl    $PD, %eax
        movl    %eax, %cr3
        movl    %cr0, %eax
        andl    $0x9fffffff, %eax               /* caches on (CD, NW clear) */
        orl     $0x80010000, %eax               /* PG, WP */
        movl    %eax, %cr0
        PAGING_DONE
