# SPDX-License-Identifier: MIT
"""What keeps C pointers valid: Python objects stay alive while the
library uses them, and nothing is freed under it."""
import gc
import logging
import weakref

import pytest

import guestmem as gm


def test_mapped_region_outlives_its_name(sysmem, mem):
    sysmem.add_subregion(0x1000, gm.MemoryRegion.io(
        "anon", 0x10, read=lambda a, s: 0x42))
    gc.collect()
    assert mem.ldub(0x1000) == 0x42  # the callback's closure is alive
    s = mem.lookup(0x1000)
    sysmem.del_subregion(s.mr)
    ref = weakref.ref(s.mr)
    del s
    gc.collect()
    assert ref() is None  # unmapped and unreferenced: destroyed


def test_destroy_rules(sysmem):
    r = gm.MemoryRegion.ram("r", 0x1000)
    sysmem.add_subregion(0, r)
    with pytest.raises(gm.InUseError) as e:
        r.destroy()
    assert "cannot destroy 'r'" in str(e.value)
    sysmem.del_subregion(r)
    r.destroy()
    with pytest.raises(gm.InvalidArgumentError):
        r.size
    with pytest.raises(gm.InvalidArgumentError):
        sysmem.destroy()  # the library's own
    with gm.MemoryRegion.ram("ctx", 0x1000) as c:
        assert c.size == 0x1000
    with pytest.raises(gm.InvalidArgumentError):
        c.name


def test_ram_views_block_destroy():
    r = gm.MemoryRegion.ram("r", 0x1000)
    view = r.get_ram_ptr()
    part = view[0:16]
    with pytest.raises(gm.InUseError):
        r.destroy()  # the slice still points into it
    with pytest.raises(ValueError):
        view[0]  # the view itself was released by the attempt
    part.release()
    r.destroy()


def test_unreferenced_region_with_live_slice_is_kept():
    r = gm.MemoryRegion.ram("r", 0x1000)
    part = r.get_ram_ptr()[0:8]
    part[0] = 0x99
    ref = weakref.ref(r)
    del r
    gc.collect()
    assert part[0] == 0x99  # the memory was not freed under the slice
    assert ref() is not None
    part.release()
    gc.collect()
    assert ref() is None  # destroyed with the last slice
    gm.MemoryRegion.ram("r", 0x1000).destroy()  # its RAM block id is free


def test_alias_keeps_target(sysmem, mem):
    ram = gm.MemoryRegion.ram("target", 0x1000)
    ram.get_ram_ptr()[0:1] = b"\x07"
    alias = gm.MemoryRegion.alias("a", ram, 0, 0x1000)
    ref = weakref.ref(ram)
    del ram
    gc.collect()
    assert ref() is not None
    sysmem.add_subregion(0, alias)
    assert mem.ldub(0) == 7
    sysmem.del_subregion(alias)
    alias.destroy()
    gc.collect()
    assert ref() is None


def test_address_space_keeps_root():
    root = gm.MemoryRegion.container("root", 1 << 32)
    ram = gm.MemoryRegion.ram("ram", 0x1000)
    root.add_subregion(0, ram)
    with gm.AddressSpace(root, "dma") as dma:
        assert gm.AddressSpace.find("dma") is dma
        assert dma.root is root
        with pytest.raises(gm.InUseError):
            root.destroy()
        dma.stl_le(0, 5)
        assert dma.ldl_le(0) == 5
    assert gm.AddressSpace.find("dma") is None
    with pytest.raises(gm.InvalidArgumentError):
        dma.ldl_le(0)
    root.destroy()  # its subregion is removed first
    assert not ram.is_mapped()


def test_dropped_address_space_is_destroyed():
    root = gm.MemoryRegion.container("root", 0x1000)
    gm.AddressSpace(root, "gone")
    gc.collect()
    assert gm.AddressSpace.find("gone") is None


def test_destroy_from_callback_is_refused(sysmem, mem):
    victim = gm.MemoryRegion.ram("victim", 0x1000)
    seen = []

    def read(addr, size):
        try:
            victim.destroy()
        except gm.BusyError as e:
            seen.append(e)
        return 0

    sysmem.add_subregion(0, gm.MemoryRegion.io("dev", 4, read=read))
    mem.ldub(0)
    assert len(seen) == 1


def test_finalizer_inside_callback_is_deferred(sysmem, mem):
    """A region whose last reference dies inside a callback (where the
    grace period a destroy waits for cannot end) is destroyed later."""
    made = []

    def read(addr, size):
        r = gm.MemoryRegion.ram("temp%d" % len(made), 0x1000)
        made.append(weakref.ref(r))
        del r  # finalized here, inside the callback
        return 1

    sysmem.add_subregion(0, gm.MemoryRegion.io("dev", 4, read=read))
    assert mem.ldub(0) == 1
    assert made[0]() is not None  # deferred
    gm.get_system_memory()  # the next call finishes it
    gc.collect()
    assert made[0]() is None


def test_listener_object_kept_while_registered(sysmem, mem):
    adds = []

    class L(gm.MemoryListener):
        def region_add(self, s):
            adds.append(s.mr.name)

    L().register(mem)
    gc.collect()
    sysmem.add_subregion(0, gm.MemoryRegion.ram("later", 0x1000))
    assert adds == ["later"]


def test_reset_forgets_everything(sysmem, mem):
    ram = gm.MemoryRegion.ram("ram", 0x1000)
    sysmem.add_subregion(0, ram)

    class L(gm.MemoryListener):
        def region_add(self, s):
            pass

    lis = L()
    lis.register(mem)
    gm.reset()
    assert not lis.registered and not ram.is_mapped()
    with pytest.raises(gm.InvalidArgumentError):
        mem.ldub(0)
    ram.destroy()
    assert gm.address_space_memory().name == "memory"


def test_error_handler_outside_captures(caplog):
    got = []
    gm.set_error_handler(got.append)
    try:
        # A void function called from C code (here: through cffi directly,
        # bypassing the module's capture) reaches the handler.
        gm._lib.memory_region_set_enabled(gm._ffi.NULL, True)
    finally:
        gm.set_error_handler(None)
    assert len(got) == 1 and isinstance(got[0], gm.InvalidArgumentError)
    with caplog.at_level(logging.WARNING, logger="guestmem"):
        gm._lib.memory_region_set_enabled(gm._ffi.NULL, True)
    assert "guestmem: " in caplog.text


def test_void_function_errors_raise(sysmem):
    ram = gm.MemoryRegion.ram("ram", 0x1000)
    with pytest.raises(gm.WrongKindError) as e:
        ram.rom_device_set_romd(False)
    assert e.value.code == gm._lib.GM_ERR_WRONG_KIND
    assert e.value.code_name == "GM_ERR_WRONG_KIND"
    assert "ram" in str(e.value)
    with pytest.raises(gm.GuestmemError):
        ram.set_log(True, 99)
    with pytest.raises(gm.GuestmemError):
        gm.memory_region_transaction_commit()  # without a begin
