# SPDX-License-Identifier: MIT
"""Accesses: reads, writes, ld/st, attributes, results, and what a Python
callback that fails turns into."""
import logging
import threading

import pytest

import guestmem as gm


@pytest.fixture
def ram(sysmem):
    r = gm.MemoryRegion.ram("ram", 0x10000)
    sysmem.add_subregion(0, r)
    return r


def test_ld_st_every_width(ram, mem):
    for st, ld, v in ((mem.stb, mem.ldub, 0xab),
                      (mem.stw_le, mem.lduw_le, 0xabcd),
                      (mem.stw_be, mem.lduw_be, 0xabcd),
                      (mem.stl_le, mem.ldl_le, 0x89abcdef),
                      (mem.stl_be, mem.ldl_be, 0x89abcdef),
                      (mem.stq_le, mem.ldq_le, 0x0123456789abcdef),
                      (mem.stq_be, mem.ldq_be, 0x0123456789abcdef)):
        st(0x100, v)
        assert ld(0x100) == v
    mem.stw_be(0x200, 0x1234)
    assert mem.read(0x200, 2) == b"\x12\x34"
    mem.stl(0x300, 0x11223344)  # target order: little-endian
    assert mem.read(0x300, 4) == b"\x44\x33\x22\x11" and mem.ldl(0x300) == 0x11223344


def test_unassigned(ram, mem):
    with pytest.raises(gm.MemTxError) as e:
        mem.read(0xfff0, 0x20)  # half RAM, half nothing
    assert e.value.result == gm.MEMTX_DECODE_ERROR
    assert len(e.value.value) == 0x20 and e.value.value[0x10:] == bytes(16)
    with pytest.raises(gm.MemTxError) as e:
        mem.ldl_le(0x100000)
    assert e.value.value == 0
    assert not mem.access_valid(0x100000, 4, False)
    assert mem.access_valid(0, 4, True)


def test_set_and_dma(ram, mem):
    mem.set(0x10, 0x5a, 8)
    assert mem.read(0x10, 8) == b"\x5a" * 8
    mem.dma_write(0x20, b"dma!")
    assert mem.dma_read(0x20, 4) == b"dma!"


def test_attrs_reach_callbacks(sysmem, mem):
    got = []

    def read(addr, size, attrs):
        got.append(attrs)
        return 7

    dev = gm.MemoryRegion.io("dev", 4, read=read, with_attrs=True)
    sysmem.add_subregion(0x1000, dev)
    assert mem.ldub(0x1000) == 7
    assert mem.ldub(0x1000, gm.MemTxAttrs(secure=True, requester_id=0x42)) == 7
    assert got[0].unspecified and got[0] == gm.MEMTXATTRS_UNSPECIFIED
    assert got[1].secure and got[1].requester_id == 0x42
    assert not got[1].unspecified


def test_callback_chooses_result(sysmem, mem):
    def read(addr, size):
        raise gm.MemTxError("busy", gm.MEMTX_ACCESS_ERROR)

    dev = gm.MemoryRegion.io("dev", 4, read=read)
    sysmem.add_subregion(0x1000, dev)
    with pytest.raises(gm.MemTxError) as e:
        mem.ldl_le(0x1000)
    assert e.value.result == gm.MEMTX_ACCESS_ERROR
    assert dev.callback_errors == []  # a chosen result is not a failure


def test_raising_callback_is_a_failed_access(sysmem, mem, caplog):
    def read(addr, size):
        return 1 // 0

    def write(addr, value, size):
        raise RuntimeError("device on fire")

    dev = gm.MemoryRegion.io("hot", 4, read=read, write=write)
    sysmem.add_subregion(0x1000, dev)
    with caplog.at_level(logging.ERROR, logger="guestmem"):
        with pytest.raises(gm.MemTxError) as e:
            mem.ldl_le(0x1000)
        assert e.value.result == gm.MEMTX_ERROR and e.value.value == 0
        with pytest.raises(gm.MemTxError):
            mem.stl_le(0x1000, 5)
    assert [type(x) for x in dev.callback_errors] == [ZeroDivisionError,
                                                      RuntimeError]
    assert "region 'hot' raised ZeroDivisionError" in caplog.text
    assert "device on fire" in caplog.text


def test_bad_return_value(sysmem, mem):
    dev = gm.MemoryRegion.io("none", 4, read=lambda a, s: None)
    sysmem.add_subregion(0x1000, dev)
    with pytest.raises(gm.MemTxError):
        mem.ldl_le(0x1000)
    assert isinstance(dev.callback_errors[0], TypeError)
    big = gm.MemoryRegion.io("big", 4, read=lambda a, s: (1 << 70) | 0x1234)
    sysmem.add_subregion(0x2000, big)
    assert mem.lduw_le(0x2000) == 0x1234  # masked, as QEMU masks


def test_accepts(sysmem, mem):
    def accepts(addr, size, is_write, attrs):
        if addr == 3:
            raise ValueError("no")
        return not is_write

    dev = gm.MemoryRegion.io("picky", 4, read=lambda a, s: 9,
                             write=lambda a, v, s: None, accepts=accepts)
    sysmem.add_subregion(0x1000, dev)
    assert mem.ldub(0x1000) == 9
    with pytest.raises(gm.MemTxError):
        mem.stb(0x1000, 1)
    with pytest.raises(gm.MemTxError):
        mem.ldub(0x1003)
    assert isinstance(dev.callback_errors[-1], ValueError)


def test_big_endian_device(sysmem, mem):
    dev = gm.MemoryRegion.io("be", 4, read=lambda a, s: 0x11223344,
                             endianness="big", valid=(4, 4), impl=(4, 4))
    sysmem.add_subregion(0x1000, dev)
    assert mem.read(0x1000, 4) == b"\x11\x22\x33\x44"
    assert mem.ldl_be(0x1000) == 0x11223344


def test_callback_may_change_topology(sysmem, mem):
    """A device that switches itself (QEMU's pflash leaves romd mode from
    its write callback) works from Python too."""
    def write(addr, value, size):
        flash.romd = value == 0xff

    flash = gm.MemoryRegion.rom_device("flash", 0x1000, read=lambda a, s: 0x80,
                                       write=write, data=b"\x42")
    sysmem.add_subregion(0x100000, flash)
    mem.stb(0x100000, 0x70)
    assert mem.ldub(0x100000) == 0x80
    mem.stb(0x100000, 0xff)
    assert mem.ldub(0x100000) == 0x42


def test_threads(ram, mem, sysmem):
    """Python threads read while the main thread changes the map."""
    stop = threading.Event()
    errors = []

    def reader():
        while not stop.is_set():
            try:
                v = mem.ldub(0x10)
                assert v == 0x77
            except BaseException as e:  # pragma: no cover
                errors.append(e)
                return

    mem.stb(0x10, 0x77)
    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(200):
        mr = gm.MemoryRegion.io("x%d" % i, 0x1000, read=lambda a, s: i)
        sysmem.add_subregion_overlap(0x20000, mr, 1)
        sysmem.del_subregion(mr)
        mr.destroy()
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
