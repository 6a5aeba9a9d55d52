/* t-paging-pae.S - PAE paging with EFER.NXE: 4 KiB pages of every flag
 * combination with XD, reserved bits 62:52 and physical bits above 4 GiB
 * in their high halves, 2 MiB pages (XD, a reserved bit 20, PAT, high
 * address bits), a not-present PDPTE, junk in not-present entries, tables
 * in ROM, where nothing is mapped, and shared. */
        .include "lib.inc"
        .include "t-paging.inc"

        .set PDPT, TABLES               /* 4 entries, 32-byte aligned */
        .set PD0, TABLES + 0x1000       /* 0-1 GiB */
        .set PD1, TABLES + 0x2000       /* 1-2 GiB */
        .set PD3, TABLES + 0x3000       /* 3-4 GiB */
        .set PT_ID, TABLES + 0x4000     /* 0-2 MiB 1:1, supervisor */
        .set PT_VAR, TABLES + 0x5000    /* 2-4 MiB: flag combinations */

main:
        ZERO_TABLES 6
        IDENTITY PT_ID, 512, 0x003, 8
        movl    $0xfff0000f, %ebx       /* XD, 62:52, address bits 35:32 */
        VARIETY PT_VAR, 512, 0x01000000, 8
        E64     PDPT, 0, PD0 + 0x001, 0
        E64     PDPT, 1, PD1 + 0x019, 0                 /* PWT, PCD */
        E64     PDPT, 2, 0x12345670, 0x9abcdef0         /* not present */
        E64     PDPT, 3, PD3 + 0x001, 0
        E64     PD0, 0, PT_ID + 0x003, 0
        E64     PD0, 1, PT_VAR + 0x007, 0
        E64     PD0, 2, 0x00600000 + 0x083, 0x80000000  /* 2 MiB, XD */
        E64     PD0, 3, 0x00800000 + 0x00100000 + 0x0e7, 0 /* bit 20 */
        E64     PD0, 4, 0x00a00000 + 0x1000 + 0x083, 0x00000001 /* PAT, 4G+ */
        E64     PD0, 5, 0xfffffffe, 0xffffffff          /* not present */
        E64     PD0, 6, 0xe0000007, 0                   /* table where nothing is */
        E64     PD0, 7, 0xffff0007, 0                   /* table in the ROM */
        E64     PD0, 8, 0x01000000 + 0x0a7, 0xfff00000  /* 62:52 and XD */
        E64     PD0, 9, PT_VAR + 0x005, 0x80000000      /* XD on a table */
        E64     PD1, 0, PT_ID + 0x007, 0                /* the 1:1 table again */
        E64     PD1, 511, 0x7fe00000 + 0x1e3, 0         /* 2 MiB, G, A, D */
        E64     PD3, 511, 0xffe00000 + 0x183, 0         /* the code: 2 MiB, G */

        movl    $0xc0000080, %ecx       /* EFER.NXE */
        rdmsr
        orl     $0x800, %eax
        wrmsr
        movl    %cr4, %eax
        orl     $0xa0, %eax             /* PAE, PGE */
        movl    %eax, %cr4
        movl    $PDPT, %eax
        movl    %eax, %cr3
        movl    %cr0, %eax
        orl     $0x80010000, %eax       /* PG, WP */
        movl    %eax, %cr0
        PAGING_DONE
