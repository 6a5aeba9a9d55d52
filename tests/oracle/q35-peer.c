// SPDX-License-Identifier: MIT
/*
 * q35-peer.c - guestmem's side of tests/oracle/test-q35.py: build a PC
 * machine (-M SPEC, -m SIZE; q35 by default) and its board, then answer,
 * on stdin/stdout, the part of QEMU's qtest protocol the test uses, so the
 * same port and memory accesses can be made on a live QEMU and here:
 *
 *   outb|outw|outl PORT VAL       -> OK
 *   inb|inw|inl PORT              -> OK 0xVAL
 *   readb|readw|readl|readq ADDR  -> OK 0xVAL
 *   writeb|writew|writel|writeq ADDR VAL -> OK
 *
 * plus what QEMU answers over its monitor instead:
 *
 *   mtree-f | mtree-D             -> `info mtree -f` / `info mtree -D`,
 *                                    then a line "OK"
 *
 * Accesses go through the "cpu-memory-0" and "I/O" address spaces, as
 * qtest's go through the first CPU's.  Unknown commands answer "ERR".
 */
#include <guestmem/guestmem.h>
#include <guestmem/pc-board.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const MemTxAttrs attrs = MEMTXATTRS_UNSPECIFIED;

static unsigned width(char c)
{
    return c == 'b' ? 1 : c == 'w' ? 2 : c == 'l' ? 4 : c == 'q' ? 8 : 0;
}

static void put(uint8_t *b, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t get(const uint8_t *b, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)b[i] << (8 * i);
    }
    return v;
}

static void command(char *line)
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
    uint8_t b[8] = { 0 };
    AddressSpace *mem = gm_address_space_find("cpu-memory-0");
    if (!strcmp(c, "mtree-f") || !strcmp(c, "mtree-D")) {
        bool flat = c[6] == 'f';
        gm_mtree_fprint(stdout, flat, false, false, !flat);
        printf("OK\n");
    } else if (!strncmp(c, "out", 3) && n == 4 && w && w < 8 && argc == 3) {
        put(b, strtoull(argv[2], NULL, 0), w);
        address_space_write(gm_address_space_io(),
                            (hwaddr)strtoul(argv[1], NULL, 0), attrs, b, w);
        printf("OK\n");
    } else if (!strncmp(c, "in", 2) && n == 3 && w && w < 8 && argc == 2) {
        address_space_read(gm_address_space_io(),
                           (hwaddr)strtoul(argv[1], NULL, 0), attrs, b, w);
        printf("OK 0x%04" PRIx64 "\n", get(b, w));
    } else if (!strncmp(c, "read", 4) && n == 5 && w && argc == 2) {
        address_space_read(mem, strtoull(argv[1], NULL, 0), attrs, b, w);
        printf("OK 0x%016" PRIx64 "\n", get(b, w));
    } else if (!strncmp(c, "write", 5) && n == 6 && w && argc == 3) {
        put(b, strtoull(argv[2], NULL, 0), w);
        address_space_write(mem, strtoull(argv[1], NULL, 0), attrs, b, w);
        printf("OK\n");
    } else {
        printf("ERR unknown command '%s'\n", c);
    }
}

int main(int argc, char **argv)
{
    const char *spec = "q35", *mem = "128M";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-M") && i + 1 < argc) {
            spec = argv[++i];
        } else if (!strcmp(argv[i], "-m") && i + 1 < argc) {
            mem = argv[++i];
        } else {
            fprintf(stderr, "usage: q35-peer [-M SPEC] [-m SIZE]\n");
            return 2;
        }
    }
    Error *err = NULL;
    uint64_t ram = 0;
    GmPcConfig cfg;
    GmPcMachine *pc = NULL;
    GmPcBoard *board = NULL;
    if (gm_parse_ram_size(mem, &ram, &err) ||
        gm_pc_config_parse(&cfg, spec, ram, &err) ||
        !(pc = gm_pc_machine_new(&cfg, &err)) ||
        !(board = gm_pc_board_new(pc, NULL, &err))) {
        fprintf(stderr, "q35-peer: %s\n", error_get_pretty(err));
        error_free(err);
        gm_pc_machine_free(pc);
        return 1;
    }
    char line[4096];
    while (fgets(line, sizeof(line), stdin)) {
        command(line);
        fflush(stdout);
    }
    gm_pc_board_free(board);
    gm_pc_machine_free(pc);
    gm_reset();
    return 0;
}
