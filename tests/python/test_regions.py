# SPDX-License-Identifier: MIT
"""Regions of every kind, subregions and priorities, through the flat view
and accesses."""
import mmap
import os

import pytest

import guestmem as gm


def names(address_space):
    return [(s.offset_within_address_space, s.last, s.mr.name)
            for s in address_space.flatview()]


def test_version():
    assert gm.version() == gm.__version__ == gm.HEADERS_VERSION
    major, minor, patch = (int(x) for x in gm.version().split("."))
    assert gm._lib.gm_version_number() == major << 16 | minor << 8 | patch


def test_ram(sysmem, mem):
    ram = gm.MemoryRegion.ram("ram", 1 << 20)
    assert ram.name == "ram" and ram.size == 1 << 20 and ram.type == "ram"
    assert ram.is_ram() and not ram.is_rom() and not ram.is_mapped()
    sysmem.add_subregion(0x10000, ram)
    assert ram.is_mapped() and ram.container_region is sysmem
    mem.write(0x10010, b"hello")
    assert mem.read(0x10010, 5) == b"hello"
    view = ram.get_ram_ptr()
    assert bytes(view[0x10:0x15]) == b"hello"
    view[0:4] = b"\x01\x02\x03\x04"
    assert mem.ldl_le(0x10000) == 0x04030201
    assert mem.ldl_be(0x10000) == 0x01020304
    view.release()


def test_container_size_2_64(sysmem):
    assert sysmem.size == 1 << 64
    c = gm.MemoryRegion.container("big", 1 << 64)
    assert c.size == 1 << 64 and c.type == "i/o"


def test_rom_refuses_writes(sysmem, mem):
    rom = gm.MemoryRegion.rom("rom", 0x1000, data=b"\xeb\xfe")
    sysmem.add_subregion(0xf0000, rom)
    assert rom.is_rom() and rom.type == "rom"
    assert mem.read(0xf0000, 2) == b"\xeb\xfe"
    with pytest.raises(gm.MemTxError) as e:
        mem.stb(0xf0000, 0)
    assert e.value.result == gm.MEMTX_DECODE_ERROR
    assert mem.ldub(0xf0000) == 0xeb
    mem.write_rom(0xf0000, b"\x90")  # the loader's path writes ROM
    assert mem.ldub(0xf0000) == 0x90


def test_rom_device_romd_mode(sysmem, mem):
    calls = []

    def read(addr, size):
        calls.append(("r", addr, size))
        return 0x80

    def write(addr, value, size):
        calls.append(("w", addr, value, size))

    flash = gm.MemoryRegion.rom_device("flash", 0x10000, read=read,
                                       write=write, data=b"\x11\x22")
    sysmem.add_subregion(0xfff00000, flash)
    assert flash.romd and flash.type == "romd"
    assert mem.ldub(0xfff00000) == 0x11 and calls == []  # from memory
    mem.stb(0xfff00000, 0x70)  # writes always reach the device
    assert calls == [("w", 0, 0x70, 1)]
    flash.romd = False
    assert flash.type == "i/o" and not flash.is_romd()
    assert mem.ldub(0xfff00001) == 0x80
    assert calls[-1] == ("r", 1, 1)
    flash.rom_device_set_romd(True)
    assert mem.ldub(0xfff00001) == 0x22


def test_io_callbacks_and_sizes(sysmem, mem):
    seen = []
    regs = {}

    def read(addr, size):
        seen.append(("r", addr, size))
        return regs.get(addr, 0)

    def write(addr, value, size):
        seen.append(("w", addr, value, size))
        regs[addr] = value

    # A 32-bit device that accepts 8-byte accesses: they are split.
    dev = gm.MemoryRegion.io("dev", 0x100, read=read, write=write,
                             endianness="little", valid=(4, 8), impl=(4, 4))
    sysmem.add_subregion(0x1000, dev)
    mem.stq_le(0x1008, 0x1122334455667788)
    assert seen == [("w", 8, 0x55667788, 4), ("w", 12, 0x11223344, 4)]
    assert mem.ldq_le(0x1008) == 0x1122334455667788
    with pytest.raises(gm.MemTxError):  # below valid.min_access_size
        mem.ldub(0x1008)


def test_io_without_ops_refuses(sysmem, mem):
    dead = gm.MemoryRegion.io("dead", 0x10)
    sysmem.add_subregion(0x2000, dead)
    with pytest.raises(gm.MemTxError):
        mem.ldl_le(0x2000)


def test_reservation(sysmem, mem):
    hole = gm.MemoryRegion.reservation("hole", 0x1000)
    sysmem.add_subregion(0x3000, hole)
    with pytest.raises(gm.MemTxError) as e:
        mem.read(0x3000, 4)
    assert e.value.result & gm.MEMTX_DECODE_ERROR


def test_alias(sysmem, mem):
    ram = gm.MemoryRegion.ram("ram", 0x10000)
    ram.get_ram_ptr()[0x8000:0x8004] = b"abcd"
    win = gm.MemoryRegion.alias("win", ram, 0x8000, 0x1000)
    assert win.alias_target is ram and win.alias_offset == 0x8000
    sysmem.add_subregion(0x100000, win)
    assert mem.read(0x100000, 4) == b"abcd"
    assert bytes(win.get_ram_ptr()[:4]) == b"abcd"
    win.alias_offset = 0x8001
    assert mem.read(0x100000, 3) == b"bcd"
    with pytest.raises(gm.InUseError):
        ram.destroy()  # the alias holds it


def test_alias_cycle_refused():
    a = gm.MemoryRegion.container("a", 0x1000)
    b = gm.MemoryRegion.alias("b", a, 0, 0x1000)
    with pytest.raises(gm.AliasCycleError):
        a.add_subregion(0, b)


def test_priorities(sysmem, mem):
    low = gm.MemoryRegion.io("low", 0x1000, read=lambda a, s: 1)
    high = gm.MemoryRegion.io("high", 0x100, read=lambda a, s: 2)
    sysmem.add_subregion_overlap(0x10000, low, 0)
    sysmem.add_subregion_overlap(0x10800, high, 1)
    assert mem.ldub(0x10800) == 2 and mem.ldub(0x10000) == 1
    assert names(mem)[:3] == [(0x10000, 0x107ff, "low"),
                              (0x10800, 0x108ff, "high"),
                              (0x10900, 0x10fff, "low")]
    high.priority = -1
    assert mem.ldub(0x10800) == 1
    # Equal priorities: the newest wins.
    same = gm.MemoryRegion.io("same", 0x100, read=lambda a, s: 3)
    sysmem.add_subregion_overlap(0x10800, same, 0)
    assert mem.ldub(0x10800) == 3
    same.enabled = False
    assert not same.enabled and mem.ldub(0x10800) == 1
    high.addr = 0x20000
    assert high.addr == 0x20000 and mem.ldub(0x20000) == 2
    sysmem.del_subregion(high)
    with pytest.raises(gm.MemTxError):
        mem.ldub(0x20000)
    with pytest.raises(gm.NotChildError):
        sysmem.del_subregion(high)


def test_readonly_alias_refuses_writes(sysmem, mem):
    ram = gm.MemoryRegion.ram("ram", 0x1000)
    ro = gm.MemoryRegion.alias("ro", ram, 0, 0x1000)
    ro.readonly = True
    assert ro.readonly
    sysmem.add_subregion(0, ro)
    with pytest.raises(gm.MemTxError):
        mem.stb(0, 1)
    assert mem.lookup(0).readonly


def test_ram_from_buffer(sysmem, mem):
    buf = bytearray(0x2000)
    mr = gm.MemoryRegion.ram_from_buffer("buf", buf)
    sysmem.add_subregion(0x40000, mr)
    mem.stl_le(0x40004, 0xcafef00d)
    assert buf[4:8] == b"\x0d\xf0\xfe\xca"
    with pytest.raises(BufferError):
        buf.extend(b"x")  # the region holds the buffer


def test_ram_from_fd_and_file(sysmem, mem, tmp_path):
    fd = os.memfd_create("guestmem-test")
    try:
        os.ftruncate(fd, 0x10000)
        mr = gm.MemoryRegion.ram_from_fd("memfd", 0x10000, fd,
                                         flags=gm.RAM_SHARED)
        sysmem.add_subregion(0x80000, mr)
        mem.write(0x80000, b"shared")
        with mmap.mmap(fd, 0x10000) as m:
            assert m[:6] == b"shared"
    finally:
        os.close(fd)
    path = tmp_path / "mem"
    mr2 = gm.MemoryRegion.ram_from_file("file", 0x10000, str(path),
                                        flags=gm.RAM_SHARED)
    sysmem.add_subregion(0x90000, mr2)
    mem.write(0x90010, b"file")
    assert path.read_bytes()[0x10:0x14] == b"file"
    with pytest.raises(gm.GuestmemIOError):
        gm.MemoryRegion.ram_from_file("bad", 0x1000, "/nonexistent/dir/x")


def test_owner_and_mtree_owner():
    owner = gm.Object("/machine/unattached/mydev", is_device=True)
    mr = gm.MemoryRegion.ram("owned", 0x1000, owner=owner)
    gm.get_system_memory().add_subregion(0, mr)
    assert mr.owner is owner and owner.is_device
    assert "owner:{dev path=/machine/unattached/mydev}" in gm.mtree(owner=True)


def test_subregion_of_own_container(mem, sysmem):
    board = gm.MemoryRegion.container("board", 0x100000)
    ram = gm.MemoryRegion.ram("r", 0x1000)
    board.add_subregion(0x1000, ram)
    sysmem.add_subregion(0x200000, board)
    assert mem.translate(0x201004)[0] is ram
    mr, xlat, plen = mem.translate(0x201004, 0x100)
    assert (xlat, plen) == (4, 0x100)
    assert mem.translate(0x300000)[0] is None


def test_size_and_errors(sysmem):
    r = gm.MemoryRegion.container("c", 0x1000)
    r.size = 0x2000
    assert r.size == 0x2000
    with pytest.raises(gm.InvalidArgumentError):
        gm.MemoryRegion.ram("zero", 0)
    with pytest.raises(gm.RangeOverflowError):
        sysmem.add_subregion(0xfffffffffffff000, gm.MemoryRegion.ram("x", 0x2000))
