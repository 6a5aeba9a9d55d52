# SPDX-License-Identifier: MIT
"""Listeners written in Python, transactions, eventfds, coalesced MMIO and
dirty bitmaps."""
import logging

import pytest

import guestmem as gm


class Recorder(gm.MemoryListener):
    def __init__(self, priority=0, name=None):
        self.priority = priority
        self.name = name
        self.events = []

    def begin(self):
        self.events.append(("begin",))

    def commit(self):
        self.events.append(("commit",))

    def region_add(self, s):
        self.events.append(("add", s.mr.name, s.offset_within_address_space,
                            s.size))

    def region_del(self, s):
        self.events.append(("del", s.mr.name, s.offset_within_address_space,
                            s.size))

    def clear(self):
        self.events = []


def test_replay_add_del(sysmem, mem):
    ram = gm.MemoryRegion.ram("ram", 0x10000)
    sysmem.add_subregion(0, ram)
    rec = Recorder()
    rec.register(mem)
    assert rec.registered
    assert rec.events == [("begin",), ("add", "ram", 0, 0x10000), ("commit",)]
    rec.clear()
    dev = gm.MemoryRegion.io("dev", 0x1000, read=lambda a, s: 0)
    sysmem.add_subregion_overlap(0x8000, dev, 1)
    assert ("del", "ram", 0, 0x10000) in rec.events
    assert ("add", "dev", 0x8000, 0x1000) in rec.events
    assert ("add", "ram", 0x9000, 0x7000) in rec.events
    rec.clear()
    rec.unregister()
    assert not rec.registered
    dels = [e for e in rec.events if e[0] == "del"]
    assert dels == [("del", "ram", 0, 0x8000), ("del", "dev", 0x8000, 0x1000),
                    ("del", "ram", 0x9000, 0x7000)]


def test_transaction_batches(sysmem, mem):
    rec = Recorder()
    rec.register(mem)
    rec.clear()
    regions = [gm.MemoryRegion.ram("r%d" % i, 0x1000) for i in range(4)]
    with gm.transaction():
        for i, r in enumerate(regions):
            sysmem.add_subregion(i * 0x1000, r)
        assert gm.transaction_depth() == 1
        assert mem.flatview() == []  # not yet visible
    assert gm.transaction_depth() == 0
    assert rec.events[0] == ("begin",) and rec.events[-1] == ("commit",)
    assert rec.events.count(("begin",)) == 1
    assert [e[1] for e in rec.events if e[0] == "add"] == ["r0", "r1", "r2",
                                                           "r3"]


def test_transaction_commits_on_exception(sysmem, mem):
    r = gm.MemoryRegion.ram("r", 0x1000)
    with pytest.raises(KeyError):
        with gm.transaction():
            sysmem.add_subregion(0, r)
            raise KeyError("x")
    assert gm.transaction_depth() == 0
    assert mem.lookup(0).mr is r


def test_priority_order(sysmem, mem):
    order = []

    class L(gm.MemoryListener):
        def begin(self):
            order.append(self.name)

    a, b = L(), L()
    a.priority, a.name = 10, "a"
    b.priority, b.name = 1, "b"
    a.register(mem)
    b.register(mem)
    order.clear()
    sysmem.add_subregion(0, gm.MemoryRegion.ram("r", 0x1000))
    assert order == ["b", "a"]  # begin: ascending priority


def test_raising_listener_is_logged(sysmem, mem, caplog):
    class Bad(gm.MemoryListener):
        def region_add(self, s):
            raise RuntimeError("listener broke on " + s.mr.name)

    good = Recorder()
    bad = Bad()
    good.register(mem)
    with caplog.at_level(logging.ERROR, logger="guestmem"):
        bad.register(mem)
        sysmem.add_subregion(0, gm.MemoryRegion.ram("r", 0x1000))
    assert len(bad.errors) == 1 and "broke on r" in str(bad.errors[0])
    assert "listener Bad: region_add raised RuntimeError" in caplog.text
    assert ("add", "r", 0, 0x1000) in good.events  # the commit went on


def test_listener_change_runs_in_a_later_round(sysmem, mem):
    """A change made from a callback is not applied in the middle of the
    delivery: the library marks it pending and renders it in a further
    round once the current one is delivered."""
    late = gm.MemoryRegion.ram("late", 0x1000)

    class Meddler(Recorder):
        def commit(self):
            super().commit()
            if not late.is_mapped():
                sysmem.add_subregion(0x5000, late)

    m = Meddler()
    m.register(mem)
    assert m.errors == []
    assert mem.lookup(0x5000).mr is late
    assert m.events == [("begin",), ("commit",), ("begin",),
                        ("add", "late", 0x5000, 0x1000), ("commit",)]


def test_eventfd_and_coalescing(sysmem, mem):
    seen = []

    class L(gm.MemoryListener):
        def eventfd_add(self, s, match_data, data, notifier):
            seen.append(("eventfd_add", s.offset_within_address_space,
                         match_data, data, notifier))

        def eventfd_del(self, s, match_data, data, notifier):
            seen.append(("eventfd_del", notifier))

        def coalesced_io_add(self, s, addr, length):
            seen.append(("coalesced_add", addr, length))

    writes = []
    dev = gm.MemoryRegion.io("dev", 0x100, read=lambda a, s: 0,
                             write=lambda a, v, s: writes.append((a, v)))
    sysmem.add_subregion(0xd000, dev)
    listener = L()
    listener.register(mem)
    with gm.EventNotifier() as doorbell:
        dev.add_eventfd(0x10, 4, True, 1, doorbell)
        assert ("eventfd_add", 0xd010, True, 1, doorbell) in seen
        mem.stl_le(0xd010, 1)  # matches: the eventfd, not the callback
        assert doorbell.test_and_clear() and writes == []
        mem.stl_le(0xd010, 2)  # does not match
        assert not doorbell.test_and_clear() and writes == [(0x10, 2)]
        with pytest.raises(gm.InUseError):
            doorbell.close()
        dev.del_eventfd(0x10, 4, True, 1, doorbell)
        assert ("eventfd_del", doorbell) in seen
    dev.add_coalescing(0x80, 0x10)
    assert ("coalesced_add", 0xd080, 0x10) in seen
    listener.unregister()


def test_dirty_log(sysmem, mem):
    starts = []

    class L(gm.MemoryListener):
        def log_start(self, s, old, new):
            starts.append((s.mr.name, old, new))

    ram = gm.MemoryRegion.ram("vram", 0x10000)
    sysmem.add_subregion(0, ram)
    lis = L()
    lis.register(mem)
    ram.set_log(True, gm.DIRTY_MEMORY_VGA)
    assert ram.dirty_log_mask & (1 << gm.DIRTY_MEMORY_VGA)
    assert ("vram", 0, 1 << gm.DIRTY_MEMORY_VGA) in starts
    ram.reset_dirty(0, 0x10000, gm.DIRTY_MEMORY_VGA)
    assert not ram.get_dirty(0, 0x10000, gm.DIRTY_MEMORY_VGA)
    mem.stl_le(0x3004, 1)
    assert ram.get_dirty(0x3000, 0x1000, gm.DIRTY_MEMORY_VGA)
    assert not ram.get_dirty(0x4000, 0x1000, gm.DIRTY_MEMORY_VGA)
    assert gm.dirty_count(ram.ram_addr, 0x10000, gm.DIRTY_MEMORY_VGA) == 1
    with ram.snapshot_and_clear_dirty(0, 0x10000, gm.DIRTY_MEMORY_VGA) as snap:
        assert snap.get_dirty(0x3000, 0x1000)
        assert not snap.get_dirty(0x5000, 0x1000)
        start, end = snap.range
        assert start <= ram.ram_addr < end
    assert not ram.get_dirty(0x3000, 0x1000, gm.DIRTY_MEMORY_VGA)
    # Writes through get_ram_ptr() are not seen (as in QEMU).
    view = ram.get_ram_ptr()
    view[0x6000] = 1
    view.release()
    assert not ram.get_dirty(0x6000, 1, gm.DIRTY_MEMORY_VGA)
    ram.set_dirty(0x6000, 1)
    assert ram.get_dirty(0x6000, 1, gm.DIRTY_MEMORY_VGA)
    with pytest.raises(gm.GuestmemError):
        ram.get_dirty(0x20000, 0x1000, gm.DIRTY_MEMORY_VGA)  # outside it
    lis.unregister()


def test_global_dirty_log(sysmem, mem):
    events = []

    class L(gm.MemoryListener):
        def log_global_start(self):
            events.append("start")

        def log_global_stop(self):
            events.append("stop")

        def log_sync(self, s):
            events.append(("sync", s.mr.name))

    ram = gm.MemoryRegion.ram("ram", 0x10000)
    sysmem.add_subregion(0, ram)
    lis = L()
    lis.register(mem)
    gm.memory_global_dirty_log_start(gm.GLOBAL_DIRTY_MIGRATION)
    assert gm.global_dirty_tracking() == gm.GLOBAL_DIRTY_MIGRATION
    assert ram.dirty_log_mask & (1 << gm.DIRTY_MEMORY_MIGRATION)
    gm.memory_global_dirty_log_sync()
    assert ("sync", "ram") in events
    gm.memory_global_dirty_log_stop(gm.GLOBAL_DIRTY_MIGRATION)
    assert events[0] == "start" and events[-1] == "stop"
    with pytest.raises(gm.GuestmemError):
        gm.memory_global_dirty_log_stop(gm.GLOBAL_DIRTY_MIGRATION)
    lis.unregister()
