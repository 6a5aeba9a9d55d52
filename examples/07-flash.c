// SPDX-License-Identifier: MIT
/*
 * 07-flash.c - a parallel NOR flash with the Intel command set (the kind
 * QEMU's pflash_cfi01 models, written here from the datasheet's commands),
 * mapped below 4 GiB as firmware flash.  It is a ROM device: in "read
 * array" mode the guest reads the flash contents straight from host memory
 * (romd mode: no callback, and a hypervisor can map it read-only), and
 * every write goes to the device's callback.  A command that changes what
 * reads return (read ID, read status, program, erase) takes the device out
 * of romd mode with memory_region_rom_device_set_romd(), from inside its
 * write callback, as QEMU's flash does; "read array" (0xff) puts it back.
 *
 * A MemoryListener shows that each switch changes the flat view (the
 * range's kind goes from romd to i/o and back), which is what makes a KVM
 * backend drop and re-create the read-only memory slot.  The program
 * checks every step and exits non-zero on the first difference.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guestmem/guestmem.h>

#define FLASH_SIZE (256 << 10)
#define BLOCK_SIZE (64 << 10)
#define FLASH_BASE (0x100000000ull - FLASH_SIZE)

enum {
    MODE_ARRAY,
    MODE_ID,
    MODE_STATUS,
    MODE_PROGRAM,
    MODE_ERASE
};

typedef struct Flash {
    MemoryRegion mem;
    uint8_t *storage; /* the region's host memory */
    int mode;
    uint8_t status; /* bit 7: ready; bit 5: erase error; bit 4: program error */
    unsigned reads; /* read callbacks (none in array mode) */
} Flash;

static uint64_t flash_read(void *opaque, hwaddr addr, unsigned size)
{
    Flash *f = opaque;
    f->reads++;
    switch (f->mode) {
    case MODE_ID: /* manufacturer at 0, device at 1 */
        return (addr & 1) ? 0x18 : 0x89;
    case MODE_ARRAY: { /* not reached while in romd mode */
        uint64_t v = 0;
        memcpy(&v, f->storage + addr, size);
        return v;
    }
    default: return f->status;
    }
}

static void flash_set_mode(Flash *f, int mode)
{
    f->mode = mode;
    /* Only "read array" lets reads bypass the device. */
    memory_region_rom_device_set_romd(&f->mem, mode == MODE_ARRAY);
}

static void flash_write(void *opaque, hwaddr addr, uint64_t data, unsigned size)
{
    Flash *f = opaque;
    uint8_t cmd = data;

    switch (f->mode) {
    case MODE_PROGRAM:
        /* Programming can only clear bits; a word wider than a byte is
         * programmed little-endian, as the bus carries it. */
        for (unsigned i = 0; i < size; i++) {
            f->storage[addr + i] &= (uint8_t)(data >> (8 * i));
        }
        memory_region_set_dirty(&f->mem, addr, size);
        f->status |= 0x80;
        flash_set_mode(f, MODE_STATUS);
        return;
    case MODE_ERASE:
        if (cmd == 0xd0) { /* confirm */
            memset(f->storage + (addr & ~(hwaddr)(BLOCK_SIZE - 1)), 0xff,
                   BLOCK_SIZE);
            memory_region_set_dirty(&f->mem, addr & ~(hwaddr)(BLOCK_SIZE - 1),
                                    BLOCK_SIZE);
        } else {
            f->status |= 0x30; /* command sequence error */
        }
        f->status |= 0x80;
        flash_set_mode(f, MODE_STATUS);
        return;
    }
    switch (cmd) {
    case 0xff: /* read array */ flash_set_mode(f, MODE_ARRAY); break;
    case 0x90: /* read identifier */ flash_set_mode(f, MODE_ID); break;
    case 0x70: /* read status */ flash_set_mode(f, MODE_STATUS); break;
    case 0x50: /* clear status */ f->status = 0x80; break;
    case 0x10:
    case 0x40: /* program: the next write is the data */
        flash_set_mode(f, MODE_PROGRAM);
        break;
    case 0x20: /* block erase: the next write confirms */
        flash_set_mode(f, MODE_ERASE);
        break;
    default: f->status |= 0x30; flash_set_mode(f, MODE_STATUS);
    }
}

static const MemoryRegionOps flash_ops = {
    .read = flash_read,
    .write = flash_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
};

/* The listener: what the flat view shows at the flash's address. */
static char last_kind[8];

static void on_add(MemoryListener *l, MemoryRegionSection *s)
{
    if (s->offset_within_address_space == FLASH_BASE) {
        snprintf(last_kind, sizeof(last_kind), "%s",
                 memory_region_is_romd(s->mr) ? "romd" : "i/o");
        printf("  listener: 0x%" PRIx64 " is now %s\n",
               s->offset_within_address_space, last_kind);
    }
}

#define CHECK(cond)                                                      \
    do {                                                                 \
        if (!(cond)) {                                                   \
            fprintf(stderr, "07-flash: %s:%d: %s\n", __FILE__, __LINE__, \
                    #cond);                                              \
            exit(1);                                                     \
        }                                                                \
    } while (0)

int main(void)
{
    static Flash f;
    AddressSpace *as = &address_space_memory;
    MemTxResult r;

    memory_region_init_rom_device(&f.mem, NULL, &flash_ops, &f, "system.flash0",
                                  FLASH_SIZE, &error_fatal);
    f.storage = memory_region_get_ram_ptr(&f.mem);
    f.status = 0x80;
    /* The firmware image: a pattern, and a jump at the reset vector. */
    for (unsigned i = 0; i < FLASH_SIZE; i++) {
        f.storage[i] = (uint8_t)(i * 7);
    }
    memcpy(f.storage + FLASH_SIZE - 16, "\xea\x5b\xe0\x00\xf0", 5);

    MemoryListener l = { .region_add = on_add, .name = "flash-watch" };
    memory_listener_register(&l, as);
    memory_region_add_subregion(get_system_memory(), FLASH_BASE, &f.mem);
    CHECK(strcmp(last_kind, "romd") == 0);

    /* Array mode: reads come from memory, the device is not called. */
    CHECK(ldub_phys(as, 0xfffffff0) == 0xea);
    uint32_t word;
    memcpy(&word, f.storage + 0x100, 4);
    CHECK(ldl_le_phys(as, FLASH_BASE + 0x100) == word);
    CHECK(f.reads == 0);
    printf("read array: reset vector byte 0x%02x, no callback\n",
           ldub_phys(as, 0xfffffff0));

    /* Read identifier: out of romd mode, reads reach the callback. */
    stb_phys(as, FLASH_BASE, 0x90);
    CHECK(strcmp(last_kind, "i/o") == 0 && !memory_region_is_romd(&f.mem));
    CHECK(ldub_phys(as, FLASH_BASE) == 0x89);
    CHECK(ldub_phys(as, FLASH_BASE + 1) == 0x18);
    CHECK(f.reads == 2);
    printf("read identifier: 0x89 0x18 through the callback\n");
    stb_phys(as, FLASH_BASE, 0xff);
    CHECK(strcmp(last_kind, "romd") == 0 && memory_region_is_romd(&f.mem));

    /* Program a word: bits only clear; then status mode until 0xff. */
    uint32_t old = ldl_le_phys(as, FLASH_BASE + 0x2000);
    stb_phys(as, FLASH_BASE + 0x2000, 0x40);
    stl_le_phys(as, FLASH_BASE + 0x2000, 0x12345678);
    CHECK(ldub_phys(as, FLASH_BASE) == 0x80); /* status: ready */
    stb_phys(as, FLASH_BASE, 0xff);
    CHECK(ldl_le_phys(as, FLASH_BASE + 0x2000) == (old & 0x12345678));
    printf("program: 0x%08x & 0x12345678 = 0x%08x\n", old,
           ldl_le_phys(as, FLASH_BASE + 0x2000));

    /* Writes in romd mode still go to the device, never to the memory:
     * an ordinary store is a (bad) command, not a change of contents. */
    uint8_t before = f.storage[0x3000];
    stb_phys(as, FLASH_BASE + 0x3000, 0x00);
    CHECK(f.storage[0x3000] == before && (ldub_phys(as, FLASH_BASE) & 0x30));
    stb_phys(as, FLASH_BASE, 0x50); /* clear status */
    stb_phys(as, FLASH_BASE, 0xff);

    /* Erase the second block. */
    stb_phys(as, FLASH_BASE + BLOCK_SIZE, 0x20);
    stb_phys(as, FLASH_BASE + BLOCK_SIZE, 0xd0);
    CHECK(ldub_phys(as, FLASH_BASE) == 0x80);
    stb_phys(as, FLASH_BASE, 0xff);
    CHECK(ldl_le_phys(as, FLASH_BASE + BLOCK_SIZE + 0x40) == 0xffffffff);
    CHECK(ldub_phys(as, FLASH_BASE + 2 * BLOCK_SIZE) ==
          (uint8_t)(2 * BLOCK_SIZE * 7));
    printf("block erase: 0x%" PRIx64 "-0x%" PRIx64 " reads 0xff\n",
           (uint64_t)FLASH_BASE + BLOCK_SIZE,
           (uint64_t)FLASH_BASE + 2 * BLOCK_SIZE - 1);

    /* Out of romd mode the device's access rules apply: a bulk read of 8
     * bytes is split into pieces of valid.max_access_size (4), while one
     * 8-byte load is refused, as in QEMU. */
    stb_phys(as, FLASH_BASE, 0x70);
    uint8_t st[8];
    r = address_space_read(as, FLASH_BASE, MEMTXATTRS_UNSPECIFIED, st, 8);
    CHECK(r == MEMTX_OK && st[0] == 0x80 && st[4] == 0x80 && st[1] == 0);
    address_space_ldq_le(as, FLASH_BASE, MEMTXATTRS_UNSPECIFIED, &r);
    CHECK(r == MEMTX_DECODE_ERROR);
    stb_phys(as, FLASH_BASE, 0xff);

    memory_listener_unregister(&l);
    memory_region_del_subregion(get_system_memory(), &f.mem);
    gm_reset();
    CHECK(gm_memory_region_destroy(&f.mem, NULL) == 0);
    printf("ok\n");
    return 0;
}
