#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""gen-core-corpus.py DIR: the seed corpus of fuzz-core.c: small dumps in
QEMU 7.2's dump-guest-memory layout (ELF64 and ELF32, "CORE" and "QEMU"
notes, RAM segments), with page tables of each paging mode in them, and a
few broken ones (cut short, bad notes, overlapping segments, PN_XNUM)."""
import os
import struct
import sys


def note(name, typ, desc):
    n = name.encode() + b"\0"
    out = struct.pack("<III", len(n), len(desc), typ)
    out += n + b"\0" * (-len(n) % 4) + desc + b"\0" * (-len(desc) % 4)
    return out


def cpu_state(cr, rip=0x1000):
    regs = [0] * 18
    regs[6] = 0x8000
    regs[16] = rip
    regs[17] = 0x202
    d = struct.pack("<II", 1, 440) + struct.pack("<18Q", *regs)
    d += b"\0" * 240 + struct.pack("<5Q", *cr) + struct.pack("<Q", 0)
    return d


def dump(segs, crs, is64=True, machine=62, xnum=False):
    notes = b""
    for cr in crs:
        notes += note("CORE", 1, b"\0" * (336 if is64 else 144))
        notes += note("QEMU", 0, cpu_state(cr))
    ehsz, phsz, shsz = (64, 56, 64) if is64 else (52, 32, 40)
    phnum = len(segs) + 1
    shoff = ehsz if xnum else 0
    phoff = ehsz + (shsz if xnum else 0)
    note_off = phoff + phnum * phsz
    off = note_off + len(notes)
    w = "Q" if is64 else "I"
    eh = b"\x7fELF" + bytes([2 if is64 else 1, 1, 1]) + b"\0" * 9
    eh += struct.pack("<HHI" + w * 3 + "IHHHHHH", 4, machine, 1, 0, phoff,
                      shoff, 0, 8, phsz, 0xffff if xnum else phnum, shsz,
                      1 if xnum else 0, 0)
    sh = b""
    if xnum:
        sh = bytearray(shsz)
        struct.pack_into("<I", sh, 44 if is64 else 28, phnum)
        sh = bytes(sh)
    ph = b""
    data = b""
    for i in range(phnum):
        if i == 0:
            typ, o, pa, sz = 4, note_off, 0, len(notes)
        else:
            pa, body = segs[i - 1]
            typ, o, sz = 1, off + len(data), len(body)
            data += body
        if is64:
            ph += struct.pack("<IIQQQQQQ", typ, 0, o, 0, pa, sz, sz, 0)
        else:
            ph += struct.pack("<IIIIIIII", typ, o, 0, pa, sz, sz, 0, 0)
    return eh + sh + ph + notes + data


def tables(entries, size=0x8000):
    mem = bytearray(size)
    for addr, val, width in entries:
        struct.pack_into("<Q" if width == 8 else "<I", mem, addr, val)
    return bytes(mem)


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    out = {}
    # 4-level: PML4 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000,
    # a 1 GiB page, a 2 MiB page, XD and keys.
    lm = tables([(0x1000, 0x2007, 8), (0x1ff8, 0x2003, 8),
                 (0x2000, 0x3007, 8), (0x2008, 0x400001e3 | 1 << 63, 8),
                 (0x3000, 0x4007, 8), (0x3008, 0x00a000e7 | 5 << 59, 8),
                 (0x4000, 0x5067, 8), (0x4008, 0x6005 | 1 << 63, 8),
                 (0x5000, 0x1007, 8), (0x2010, 0x5006, 8)])
    cr4 = [0x80050033, 0, 0, 0x1000, 0x20]
    out["lm4"] = dump([(0, lm)], [cr4])
    out["lm5"] = dump([(0, lm)], [[0x80050033, 0, 0, 0x5000, 0x1020]])
    out["lm4-two-cpus-high-ram"] = dump(
        [(0, lm), (0x100000000, b"\x07" * 0x1000)], [cr4, cr4])
    # 32-bit with PSE: PD 0x1000, a 4 MiB page, a table at 0x2000.
    p32 = tables([(0x1000, 0x002241e7, 4), (0x1004, 0x2007, 4),
                  (0x2000, 0x50e5, 4), (0x2004, 0x6007, 4)])
    out["p32"] = dump([(0, p32)], [[0x80000011, 0, 0, 0x1000, 0x10]],
                      is64=False, machine=3)
    # PAE: PDPT 0x1000, PD 0x2000, PT 0x3000.
    pae = tables([(0x1000, 0x2001, 8), (0x2000, 0x8000000000600000 | 0xe3, 8),
                  (0x2008, 0x3007, 8), (0x3000, 0x8000000123456067, 8)])
    out["pae"] = dump([(0, pae)], [[0x80000011, 0, 0, 0x1000, 0x20]],
                      machine=3)
    out["xnum"] = dump([(0, lm)], [cr4], xnum=True)
    out["paging-off"] = dump([(0, b"\0" * 0x1000)], [[0x11, 0, 0, 0, 0]])
    good = out["lm4"]
    out["cut-in-notes"] = good[:300]
    out["cut-in-memory"] = good[:len(good) - 100]
    out["overlap"] = dump([(0, lm), (0x4000, b"\0" * 0x1000)], [cr4])
    bad = bytearray(good)
    struct.pack_into("<I", bad, 64 + 56 * 2 + (12 + 8 + 336) + 12 + 8, 2)
    out["qemu-note-version-2"] = bytes(bad)
    out["not-elf"] = b"hello, world\n" * 4
    for name, body in out.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(body)


if __name__ == "__main__":
    main()
