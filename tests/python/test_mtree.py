# SPDX-License-Identifier: MIT
"""`info mtree` to a string, imports of QEMU dumps, explain, and the pc
machine."""
import os
import pathlib
import shutil
import subprocess
import time

import pytest

import guestmem as gm

DATA = pathlib.Path(__file__).resolve().parents[1] / "oracle" / "data"


def test_mtree_strings(sysmem):
    ram = gm.MemoryRegion.ram("ram", 0x10000)
    uart = gm.MemoryRegion.io("uart", 8, read=lambda a, s: 0x60)
    sysmem.add_subregion(0, ram)
    sysmem.add_subregion_overlap(0x3f8, uart, 1)
    tree = gm.mtree()
    assert tree.startswith("address-space: memory\n")
    assert ("    00000000000003f8-00000000000003ff (prio 1, i/o): uart\n"
            in tree)
    flat = gm.mtree(flatview=True)
    assert flat.startswith("FlatView #0\n AS \"memory\", root: system\n")
    assert ("  0000000000000400-000000000000ffff (prio 0, ram): ram "
            "@0000000000000400\n" in flat)
    uart.enabled = False
    assert "uart" not in gm.mtree()
    assert "uart [disabled]" in gm.mtree(disabled=True)


def test_mtree_info_prints(sysmem, capsys):
    gm.mtree_info(flatview=True)
    assert capsys.readouterr().out == gm.mtree(flatview=True)


def test_import_file_roundtrip():
    d = DATA / "pc-1G"
    with gm.mtree_import_file(d / "mtree-D.txt", d / "mtree-f.txt") as imp:
        names = [a.name for a in gm.address_spaces()]
        assert "memory" in names and "i440FX" in names
        mem = gm.AddressSpace.find("memory")
        assert mem.lookup(0x1000).mr.name == "pc.ram"
        # The rebuilt tree prints the dump again.
        ref = (d / "mtree-D.txt").read_text()
        assert gm.mtree(disabled=True) == ref
        try:
            assert imp.format(disabled=True) == ref
        except gm.UnsupportedError:
            pass  # a library without gm_mtree_import_fprint
        # Imported RAM is real memory.
        mem.stl_le(0x1000, 0x12345678)
        assert mem.ldl_le(0x1000) == 0x12345678
    assert gm.AddressSpace.find("i440FX") is None


def test_listener_on_an_imported_space():
    d = DATA / "pc-1G"
    adds = []

    class L(gm.MemoryListener):
        def region_add(self, s):
            adds.append(s.mr.name)

    imp = gm.mtree_import_file(d / "mtree-D.txt", d / "mtree-f.txt")
    lis = L()
    lis.register(gm.AddressSpace.find("memory"))
    assert "pc.ram" in adds
    imp.free()  # its address spaces go, and their listeners with them
    assert not lis.registered
    lis.unregister()  # a no-op now


def test_import_text_and_errors():
    text = (DATA / "isapc-32M" / "mtree-D.txt").read_text()
    imp = gm.mtree_import(text)
    assert gm.AddressSpace.find("memory") is not None
    imp.free()
    with pytest.raises(gm.ParseError) as e:
        gm.mtree_import("this is not a dump\n")
    assert "line 1" in str(e.value)
    with pytest.raises(gm.GuestmemIOError):
        gm.mtree_import_file("/nonexistent/mtree.txt")
    with pytest.raises(gm.GuestmemIOError):
        gm.mtree_import_qmp("/nonexistent/qmp.sock")


def test_flat_hint():
    d = DATA / "pc-1G"
    hint = gm.mtree_flat_hint((d / "mtree-D.txt").read_text(),
                              (d / "mtree-f.txt").read_text())
    assert isinstance(hint, str)


def test_explain_and_resolve(sysmem, mem):
    ram = gm.MemoryRegion.ram("ram", 0x10000)
    dev = gm.MemoryRegion.io("dev", 0x100, read=lambda a, s: 0)
    sysmem.add_subregion(0, ram)
    sysmem.add_subregion_overlap(0x1000, dev, 2)
    text = gm.explain(mem, 0x1010)
    assert "'dev' serves the address at offset 0x10" in text
    assert "hidden by 'dev' (higher priority)" in text
    s = gm.resolve(sysmem, 0x1010)
    assert s.mr is dev and s.offset_within_region == 0x10
    assert gm.resolve(sysmem, 0x100000) is None


@pytest.mark.skipif(not os.path.exists("/usr/share/seabios/bios-256k.bin"),
                    reason="Debian's seabios is not installed")
def test_pc_machine_default_bios():
    with gm.PcMachine("pc", "4G") as pc:
        assert (pc.below_4g, pc.above_4g) == (3 << 30, 1 << 30)
        assert pc.ram.name == "pc.ram" and pc.ram.size == 4 << 30
        e820 = pc.e820()
        assert e820[0] == (0, 3 << 30, 1) and e820[0].type == 1
        mem = gm.address_space_memory()
        assert "isa-bios" in gm.explain(mem, 0xe1234)
        names = [a.name for a in gm.address_spaces()]
        assert "cpu-memory-0" in names and "cpu-smm-0" in names
        # PAM: make 0xe0000-0xe3fff (segment 9) RAM, then write it.
        pc.set_pam(9, 3)
        mem.stl_le(0xe1234, 0xfeedface)
        assert mem.ldl_le(0xe1234) == 0xfeedface
        with pytest.raises(gm.InvalidArgumentError):
            pc.set_pam(13, 0)
        pc.set_smram(0x0a)
    assert gm.AddressSpace.find("cpu-memory-0") is None


def test_pc_machine_options_and_errors():
    image = b"\xff" * 0x10000
    with gm.PcMachine("pc,max-ram-below-4g=2G", 3 << 30,
                      bios_image=image) as pc:
        assert (pc.below_4g, pc.above_4g) == (2 << 30, 1 << 30)
        mem = gm.address_space_memory()
        assert mem.read(0xfffffff0, 4) == b"\xff" * 4
        with pytest.raises(gm.InUseError):
            gm.PcMachine("pc", 1 << 30, bios_image=image)  # one per process
    with pytest.raises(gm.NotFoundError):
        gm.PcMachine("no-such-machine", 1 << 30, bios_image=image)
    with pytest.raises(gm.InvalidArgumentError):
        gm.PcMachine("pc", 1 << 30, bios_image=b"\xff" * 1000)
    with pytest.raises(gm.GuestmemIOError):
        gm.PcMachine("pc", 1 << 30, bios="/nonexistent/bios.bin")
    assert gm.parse_size("1.5G") == 3 << 29
    assert gm.parse_ram_size("128") == 128 << 20
    with pytest.raises(gm.ParseError):
        gm.parse_size("1GB")


def test_python_regions_on_the_pc_map():
    image = b"\xff" * 0x10000
    with gm.PcMachine("pc", 1 << 30, bios_image=image):
        dev = gm.MemoryRegion.io("mydev", 0x1000, read=lambda a, s: 0x5a)
        gm.get_system_memory().add_subregion_overlap(0xfed00000, dev, 5)
        assert gm.address_space_memory().ldub(0xfed00010) == 0x5a
    # The machine is gone; the system memory and the Python region stay.
    assert gm.address_space_memory().ldub(0xfed00010) == 0x5a
    gm.get_system_memory().del_subregion(dev)
    dev.destroy()


@pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None,
                    reason="qemu-system-x86_64 is not installed")
def test_import_from_a_live_qemu(tmp_path):
    """gm_mtree_import_qmp against Debian's QEMU 7.2, started here."""
    sock = str(tmp_path / "qmp.sock")
    qemu = subprocess.Popen(
        ["qemu-system-x86_64", "-M", "pc", "-m", "256M", "-S", "-nodefaults",
         "-accel", "tcg", "-display", "none",
         "-qmp", "unix:%s,server=on,wait=off" % sock],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        with gm.mtree_import_qmp(sock) as imp:
            mem = gm.AddressSpace.find("memory")
            assert mem.lookup(0x1000).mr.name == "pc.ram"
            assert "pc.bios" in gm.explain(mem, 0xffff0000)
            try:
                assert "address-space: memory" in imp.format()
            except gm.UnsupportedError:
                pass
        out = gm.qmp_hmp(sock, "info mtree -f")
        assert "FlatView" in out
    finally:
        qemu.kill()
        qemu.wait()
