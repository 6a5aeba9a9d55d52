/* SPDX-License-Identifier: MIT */
/*
 * guestmem/pc-board.h - the PC platform devices a guest needs to start on
 * guestmem's pc map, as QEMU 7.2 models them:
 *
 *   0xcf8/0xcfc   PCI configuration mechanism #1 (`pci-conf-idx`, coalesced
 *                 PIO, and `pci-conf-data`, which flushes the coalesced
 *                 buffer first), with
 *                 00:00.0 the i440fx host bridge 8086:1237 rev 2: its PAM
 *                   registers (0x59-0x5f) and SMRAM (0x72, reset 0x02)
 *                   change the memory map at once, through gm_pc_set_pam()
 *                   and gm_pc_set_smram(); byte 0x57 holds the RAM size in
 *                   8 MiB units (at most 255) as QEMU puts it there;
 *                 00:01.0 the PIIX3 ISA bridge 8086:7000 (multi-function);
 *                 every other function reads all ones.  Reset values and
 *                 write masks are QEMU 7.2's (checked against a live QEMU
 *                 with qtest, tests/oracle/test-board.py).
 *   0x70/0x71     CMOS RAM (`rtc`): the RTC time in BCD, status registers
 *                 A-D, and QEMU's memory-size bytes (0x15-0x18, 0x30/0x31,
 *                 0x34/0x35, 0x5b-0x5d) from the machine's RAM split.
 *   0x92          port 92 (`port92`): A20 reads as enabled; bit 0 resets.
 *   0x510-0x511   QEMU's fw_cfg I/O interface (selector, data) and
 *   0x514-0x51b   its DMA interface: signature "QEMU", ID 3 (traditional
 *                 and DMA), RAM size, CPU counts, the file directory with
 *                 `etc/e820` built from gm_pc_e820(); more files with
 *                 gm_pc_board_add_file().  Format: QEMU's docs/specs/
 *                 fw_cfg.rst (items and their byte orders).
 *   0xe9, 0x402   debug consoles (`isa-debugcon`): bytes written go to
 *                 @console; reads return 0xe9, which firmware checks.
 *   0xf4          `isa-debug-exit`: a write of V calls @exit with status
 *                 (V << 1) | 1.
 *
 * Everything is placed in get_system_io() and removed by gm_pc_board_free().
 * Callbacks run on the thread that makes the access (the vCPU's).
 */
#ifndef GUESTMEM_PC_BOARD_H
#define GUESTMEM_PC_BOARD_H

#include <guestmem/machine-pc.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct GmPcBoard GmPcBoard;

/**
 * GmPcBoardConfig: where the board's outputs go.  Every callback may be
 * NULL (the output is dropped).
 * @console: one byte written to debug port @port (0xe9 or 0x402).
 * @exit: a write to the debug-exit port; @status is (V << 1) | 1.
 * @reset: the guest asked for a reset (port 0x92 bit 0).
 */
typedef struct GmPcBoardConfig {
    void (*console)(void *opaque, uint16_t port, uint8_t byte);
    void (*exit)(void *opaque, uint32_t status);
    void (*reset)(void *opaque);
    void *opaque;
} GmPcBoardConfig;

/**
 * gm_pc_board_new: add the devices above to @pc's I/O space.
 * Errors: GM_ERR_INVALID_ARG (no machine), GM_ERR_IN_USE (the ports are
 * taken, e.g. a second board), GM_ERR_NO_MEMORY.  Nothing is left behind on
 * error.  Ownership: free with gm_pc_board_free() before the machine.
 */
GM_API GmPcBoard *gm_pc_board_new(GmPcMachine *pc, const GmPcBoardConfig *cfg,
                                  Error **errp);

/** gm_pc_board_free: remove the devices.  NULL is a no-op. */
GM_API void gm_pc_board_free(GmPcBoard *board);

/**
 * gm_pc_board_add_file: add a fw_cfg file @name (at most 55 bytes) with a
 * copy of @len bytes of @data, listed in the directory in name order (as
 * QEMU sorts it).  Errors: GM_ERR_INVALID_ARG (name too long or empty),
 * GM_ERR_DUPLICATE (name taken), GM_ERR_NO_MEMORY, GM_ERR_UNSUPPORTED (more
 * than 4,064 files: the selector space).
 */
GM_API int gm_pc_board_add_file(GmPcBoard *board, const char *name,
                                const void *data, size_t len, Error **errp);

/**
 * gm_pc_pci_config_read / _write: configuration space of bus 0 function
 * @devfn (device << 3 | function), @size 1, 2 or 4 bytes at @reg (0-255,
 * unaligned allowed; bytes past 255 are not there), as mechanism #1 reaches
 * it; for VMMs and tests.  A read of an absent function, or of @reg past
 * 255, returns all ones; a write there is ignored.
 */
GM_API uint32_t gm_pc_pci_config_read(GmPcBoard *board, unsigned devfn,
                                      unsigned reg, unsigned size);
GM_API void gm_pc_pci_config_write(GmPcBoard *board, unsigned devfn,
                                   unsigned reg, uint32_t val, unsigned size);

/** gm_pc_cmos_read: CMOS byte @index (0-127); for tests. */
GM_API uint8_t gm_pc_cmos_read(GmPcBoard *board, unsigned index);

#ifdef __cplusplus
}
#endif

#endif /* GUESTMEM_PC_BOARD_H */
