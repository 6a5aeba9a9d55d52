// SPDX-License-Identifier: MIT
/*
 * board-dump.c - guestmem's side of tests/oracle/test-board.py: build the
 * pc machine for -m SIZE and its board (pc-board.h), then read what a guest
 * can read of the board, through the I/O address space only, in the line
 * format test-board.py also builds from a live QEMU over qtest:
 *
 *   pci 00:00.0 HEX        the 256 bytes of configuration space (dwords
 *   pci 00:01.0 HEX        read at 0xcfc after 0xcf8 writes)
 *   cmos HEX               the 128 CMOS bytes (0x70 index, 0x71 data)
 *   fwcfg 0xKEY HEX        16 bytes of items 0x00, 0x01, 0x03, 0x05, 0x0f
 *                          (byte reads at 0x511 after a 16-bit select at
 *                          0x510; past an item's end the device gives 0)
 *   dir-sorted 0|1         whether the file directory is in name order
 *   file NAME SIZE HEX     the directory entry of etc/e820 and its content
 *   dma NAME CONTROL HEX   the same file read by a fw_cfg DMA request
 *   dma-signature HEX      8 byte reads of 0x514-0x51b
 *
 * Options: -m SIZE (default 128M), -M SPEC (default pc), -w
 * DEVFN,REG,SIZE,VAL (a configuration write through mechanism #1, before
 * the dump; repeatable, in order), --mtree (after the dump, a line
 * "mtree-f" and then `info mtree -f`).
 *
 * --qtest instead answers a subset of QEMU's qtest protocol on stdin
 * (in/out b/w/l, read/write b/w/l/q, read/write ADDR SIZE), one "OK ..."
 * line per command, so the test can run the same probes on both.
 */
#include <guestmem/guestmem.h>
#include <guestmem/pc-board.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FW_CFG_FILE_DIR 0x19
#define DMA_DESC 0x10000 /* where the DMA descriptor goes in guest RAM */
#define DMA_BUF 0x11000  /* and where the data goes */

static const MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;

/* --- port and memory accesses as a CPU makes them ------------------------- */

static void out(uint16_t port, uint32_t val, unsigned size)
{
    uint8_t b[4];
    for (unsigned i = 0; i < size; i++) {
        b[i] = (uint8_t)(val >> (8 * i));
    }
    address_space_write(gm_address_space_io(), port, attrs, b, size);
}

static uint32_t in(uint16_t port, unsigned size)
{
    uint8_t b[4] = { 0 };
    address_space_read(gm_address_space_io(), port, attrs, b, size);
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        v |= (uint32_t)b[i] << (8 * i);
    }
    return v;
}

static void mem_write(uint64_t addr, const void *buf, size_t len)
{
    address_space_write(gm_address_space_memory(), addr, attrs, buf, len);
}

static void mem_read(uint64_t addr, void *buf, size_t len)
{
    address_space_read(gm_address_space_memory(), addr, attrs, buf, len);
}

static void print_hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        printf("%02x", p[i]);
    }
}

static uint32_t get_be(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[n - 1 - i] = (uint8_t)(v >> (8 * i));
    }
}

static uint32_t bswap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

/* --- the dump ------------------------------------------------------------- */

static void dump_pci(unsigned devfn)
{
    uint8_t config[256];
    for (unsigned reg = 0; reg < 256; reg += 4) {
        out(0xcf8, 0x80000000u | devfn << 8 | reg, 4);
        uint32_t v = in(0xcfc, 4);
        for (unsigned i = 0; i < 4; i++) {
            config[reg + i] = (uint8_t)(v >> (8 * i));
        }
    }
    printf("pci 00:%02x.%u ", devfn >> 3, devfn & 7);
    print_hex(config, sizeof(config));
    printf("\n");
}

static void dump_cmos(void)
{
    uint8_t cmos[128];
    for (unsigned i = 0; i < 128; i++) {
        out(0x70, i, 1);
        cmos[i] = (uint8_t)in(0x71, 1);
    }
    printf("cmos ");
    print_hex(cmos, sizeof(cmos));
    printf("\n");
}

static void fw_read(uint16_t key, uint8_t *buf, size_t len)
{
    out(0x510, key, 2);
    for (size_t i = 0; i < len; i++) {
        buf[i] = (uint8_t)in(0x511, 1);
    }
}

/* A file's directory entry; false if the directory does not list it. */
static bool find_file(const char *name, uint32_t *size, uint16_t *select,
                      bool *sorted)
{
    uint8_t count_be[4];
    fw_read(FW_CFG_FILE_DIR, count_be, 4);
    uint32_t count = get_be(count_be, 4);
    bool found = false;
    char prev[57] = "";
    *sorted = true;
    /* The selector keeps its offset: entries follow the count. */
    for (uint32_t i = 0; i < count && i < 4096; i++) {
        uint8_t e[64];
        for (unsigned j = 0; j < 64; j++) {
            e[j] = (uint8_t)in(0x511, 1);
        }
        char n[57];
        memcpy(n, e + 8, 56);
        n[56] = 0;
        if (i && strcmp(prev, n) >= 0) {
            *sorted = false;
        }
        memcpy(prev, n, sizeof(prev));
        if (!strcmp(n, name)) {
            *size = get_be(e, 4);
            *select = (uint16_t)get_be(e + 4, 2);
            found = true;
        }
    }
    return found;
}

/* A DMA read of @len bytes of item @select into DMA_BUF, as SeaBIOS makes
 * it: the descriptor in RAM, its address written big-endian, high half
 * first.  Return: the control word after the transfer. */
static uint32_t dma_read(uint16_t select, uint32_t len, uint8_t *buf)
{
    uint8_t desc[16];
    put_be(desc, (uint32_t)select << 16 | 0x08 | 0x02, 4);
    put_be(desc + 4, len, 4);
    put_be(desc + 8, DMA_BUF, 8);
    mem_write(DMA_DESC, desc, sizeof(desc));
    out(0x514, 0, 4);
    out(0x518, bswap32(DMA_DESC), 4);
    mem_read(DMA_BUF, buf, len);
    uint8_t ctl[4];
    mem_read(DMA_DESC, ctl, 4);
    return get_be(ctl, 4);
}

static void dump_fw_cfg(void)
{
    static const uint16_t keys[] = { 0x00, 0x01, 0x03, 0x05, 0x0f };
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        uint8_t buf[16];
        fw_read(keys[k], buf, sizeof(buf));
        printf("fwcfg 0x%04x ", keys[k]);
        print_hex(buf, sizeof(buf));
        printf("\n");
    }
    uint32_t size = 0;
    uint16_t select = 0;
    bool sorted;
    bool found = find_file("etc/e820", &size, &select, &sorted);
    printf("dir-sorted %d\n", sorted);
    if (!found || size > 4096) {
        printf("file etc/e820 missing\n");
        return;
    }
    uint8_t *buf = calloc(1, size + 8);
    fw_read(select, buf, size + 8); /* 8 bytes past the end: zeros */
    printf("file etc/e820 %" PRIu32 " ", size);
    print_hex(buf, size + 8);
    printf("\n");
    memset(buf, 0xaa, size + 8);
    mem_write(DMA_BUF, buf, size + 8);
    uint32_t control = dma_read(select, size + 8, buf);
    printf("dma etc/e820 0x%08" PRIx32 " ", control);
    print_hex(buf, size + 8);
    printf("\n");
    free(buf);
    uint8_t sig[8];
    for (unsigned i = 0; i < 8; i++) {
        sig[i] = (uint8_t)in((uint16_t)(0x514 + i), 1);
    }
    printf("dma-signature ");
    print_hex(sig, sizeof(sig));
    printf("\n");
}

/* --- the qtest subset ------------------------------------------------------ */

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static void qtest_bytes(const char *addr_s, const char *size_s,
                        const char *data)
{
    uint64_t addr = strtoull(addr_s, NULL, 0);
    uint64_t size = strtoull(size_s, NULL, 0);
    if (size > (1u << 20)) {
        printf("ERR size\n");
        return;
    }
    uint8_t *buf = calloc(1, size ? size : 1);
    if (!data) {
        mem_read(addr, buf, size);
        printf("OK 0x");
        print_hex(buf, size);
        printf("\n");
    } else {
        if (data[0] == '0' && data[1] == 'x') {
            data += 2;
        }
        for (uint64_t i = 0; i < size && data[2 * i] && data[2 * i + 1]; i++) {
            buf[i] =
                (uint8_t)(hexval(data[2 * i]) << 4 | hexval(data[2 * i + 1]));
        }
        mem_write(addr, buf, size);
        printf("OK\n");
    }
    free(buf);
}

static unsigned width(char c)
{
    return c == 'b' ? 1 : c == 'w' ? 2 : c == 'l' ? 4 : c == 'q' ? 8 : 0;
}

static void qtest_line(char *line)
{
    char *argv[4] = { 0 };
    int argc = 0;
    for (char *t = strtok(line, " \t\r\n"); t && argc < 4;
         t = strtok(NULL, " \t\r\n")) {
        argv[argc++] = t;
    }
    if (!argc) {
        return;
    }
    const char *c = argv[0];
    size_t n = strlen(c);
    unsigned w = n ? width(c[n - 1]) : 0;
    if (!strncmp(c, "out", 3) && n == 4 && w && w < 8 && argc == 3) {
        out((uint16_t)strtoul(argv[1], NULL, 0),
            (uint32_t)strtoull(argv[2], NULL, 0), w);
        printf("OK\n");
    } else if (!strncmp(c, "in", 2) && n == 3 && w && w < 8 && argc == 2) {
        printf("OK 0x%04" PRIx32 "\n",
               in((uint16_t)strtoul(argv[1], NULL, 0), w));
    } else if (!strcmp(c, "read") && argc == 3) {
        qtest_bytes(argv[1], argv[2], NULL);
    } else if (!strcmp(c, "write") && argc == 4) {
        qtest_bytes(argv[1], argv[2], argv[3]);
    } else if (!strncmp(c, "read", 4) && n == 5 && w && argc == 2) {
        uint8_t b[8] = { 0 };
        uint64_t v = 0;
        mem_read(strtoull(argv[1], NULL, 0), b, w);
        for (unsigned i = 0; i < w; i++) {
            v |= (uint64_t)b[i] << (8 * i);
        }
        printf("OK 0x%0*" PRIx64 "\n", (int)(2 * w), v);
    } else if (!strncmp(c, "write", 5) && n == 6 && w && argc == 3) {
        uint8_t b[8];
        uint64_t v = strtoull(argv[2], NULL, 0);
        for (unsigned i = 0; i < w; i++) {
            b[i] = (uint8_t)(v >> (8 * i));
        }
        mem_write(strtoull(argv[1], NULL, 0), b, w);
        printf("OK\n");
    } else {
        printf("ERR unknown command '%s'\n", c);
    }
}

static void qtest_loop(void)
{
    char line[1 << 16];
    while (fgets(line, sizeof(line), stdin)) {
        qtest_line(line);
        fflush(stdout);
    }
}

/* --- main ------------------------------------------------------------------ */

static int usage(void)
{
    fprintf(stderr, "usage: board-dump [-m SIZE] [-M SPEC] "
                    "[-w DEVFN,REG,SIZE,VAL]... [--mtree] [--qtest]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *spec = "pc", *mem = "128M";
    const char **writes = calloc((size_t)argc, sizeof(*writes));
    size_t nwrites = 0;
    bool mtree = false, qtest = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-m") && i + 1 < argc) {
            mem = argv[++i];
        } else if (!strcmp(argv[i], "-M") && i + 1 < argc) {
            spec = argv[++i];
        } else if (!strcmp(argv[i], "-w") && i + 1 < argc) {
            writes[nwrites++] = argv[++i];
        } else if (!strcmp(argv[i], "--mtree")) {
            mtree = true;
        } else if (!strcmp(argv[i], "--qtest")) {
            qtest = true;
        } else {
            free(writes);
            return usage();
        }
    }
    Error *err = NULL;
    uint64_t ram;
    GmPcConfig cfg;
    GmPcMachine *pc = NULL;
    GmPcBoard *board = NULL;
    if (gm_parse_size(mem, &ram, &err) ||
        gm_pc_config_parse(&cfg, spec, ram, &err) ||
        !(pc = gm_pc_machine_new(&cfg, &err)) ||
        !(board = gm_pc_board_new(pc, NULL, &err))) {
        fprintf(stderr, "board-dump: %s\n", error_get_pretty(err));
        error_free(err);
        gm_pc_machine_free(pc);
        free(writes);
        return 1;
    }
    for (size_t i = 0; i < nwrites; i++) {
        unsigned long f[4];
        const char *t = writes[i];
        char *end = NULL;
        int nf = 0;
        while (nf < 4) {
            f[nf++] = strtoul(t, &end, 0);
            if (end == t || (*end != ',' && *end)) {
                break;
            }
            t = end + 1;
            if (!*end) {
                break;
            }
        }
        if (nf != 4 || *end || f[0] > 0xff || f[1] > 0xff ||
            f[3] > 0xffffffff || (f[2] != 1 && f[2] != 2 && f[2] != 4)) {
            fprintf(stderr, "board-dump: bad -w '%s'\n", writes[i]);
            free(writes);
            gm_pc_board_free(board);
            gm_pc_machine_free(pc);
            return 2;
        }
        out(0xcf8, 0x80000000u | (uint32_t)f[0] << 8 | (f[1] & 0xfc), 4);
        out((uint16_t)(0xcfc + (f[1] & 3)), (uint32_t)f[3], (unsigned)f[2]);
    }
    if (qtest) {
        qtest_loop();
    } else {
        dump_pci(0x00);
        dump_pci(0x08);
        dump_cmos();
        dump_fw_cfg();
        if (mtree) {
            printf("mtree-f\n");
            fflush(stdout);
            gm_mtree_fprint(stdout, true, false, false, false);
        }
    }
    fflush(stdout);
    free(writes);
    gm_pc_board_free(board);
    gm_pc_machine_free(pc);
    return 0;
}
