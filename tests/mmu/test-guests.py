#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test-guests.py GUESTMEM GUEST-DIR: page tables of every mode, built by
guestmem's own guests, read by QEMU 7.2's monitor and by guestmem from a
dump of the same moment.

Each guest of guests/t-paging*.S builds page tables (every flag
combination, large pages, reserved bits, junk in not-present entries,
tables in ROM and where nothing is mapped, shared tables, ...), turns
paging on and halts.  It runs as the BIOS of qemu-system-x86_64 (TCG,
-cpu max); once it has halted, QEMU prints `info tlb`, `info mem` and
`gva2gpa` for a few thousand addresses, and `dump-guest-memory` writes the
dump that `guestmem tlb/mem/gva2gpa --core` must read to the same bytes.
The --cr3 and --paging overrides are checked the same way: the same dump
read as another mode must print what QEMU prints for that mode (a second
QEMU run of the same guest told to stop before it turns paging on cannot
give that, so the overrides are compared with guestmem's own reading of
the matching guest instead).

Skips (TAP "1..0 # SKIP") when qemu-system-x86_64 is not installed."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mmuhelp import Qmp, Tap  # noqa: E402

GUESTS = [
    # guest, -cpu, what CR4/EFER must say
    ("t-paging32", "max", "32-bit"),
    ("t-paging-pae", "max", "PAE"),
    ("t-paging-lm4", "max,-la57", "4-level"),
    ("t-paging-lm5", "max,+la57", "5-level"),
]




def mode_of(regs):
    cr4 = int(re.search(r"CR4=([0-9a-f]+)", regs).group(1), 16)
    efer = int(re.search(r"EFER=([0-9a-f]+)", regs).group(1), 16)
    if not cr4 & 0x20:
        return "32-bit"
    if not efer & 0x400:
        return "PAE"
    return "5-level" if cr4 & 0x1000 else "4-level"


def samples(tlb, mode):
    """Addresses for gva2gpa: every page `info tlb` lists (at an offset),
    the start and middle of every top-level range, and edge cases."""
    out = []
    for i, line in enumerate(tlb.splitlines()):
        if ":" in line:
            out.append(int(line.split(":")[0], 16) + (i * 0x2c8) % 0x1000)
    if mode in ("32-bit", "PAE"):
        out += [i << 22 | 0x123 for i in range(1024)]
        out += [0x100000000 + 0x5000, 0xffffffff]
    else:
        top = 56 if mode == "5-level" else 47
        out += [(i << (top - 8)) | 0x456 for i in range(512)]
        out += [0x0000800000000000, 0xffff7fffffffffff, 0xff7fffffffffffff,
                0x00ff000000000000, 0xffffffffffffffff, 0x100000000]
    return out


def capture(qemu, guest, cpu, d):
    sock = os.path.join(d, "qmp.sock")
    p = subprocess.Popen(
        [qemu, "-accel", "tcg", "-cpu", cpu, "-m", "32M", "-nodefaults",
         "-display", "none", "-bios", guest,
         "-qmp", "unix:%s,server=on,wait=off" % sock],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        q = Qmp(sock, 300)
        t0 = time.time()
        while True:
            regs = q.hmp("info registers")
            cr0 = re.search(r"CR0=([0-9a-f]+)", regs)
            if "HLT=1" in regs and cr0 and int(cr0.group(1), 16) >> 31:
                break
            if time.time() - t0 > 30:
                raise RuntimeError("the guest did not halt with paging on")
            time.sleep(0.1)
        q.hmp("stop")
        t = time.time()
        got = {"regs": regs, "tlb": q.hmp("info tlb")}
        t1 = time.time()
        got["mem"] = q.hmp("info mem")
        t2 = time.time()
        got["samples"] = samples(got["tlb"], mode_of(regs))
        got["gva2gpa"] = "".join(q.hmp("gva2gpa 0x%x" % a)
                                 for a in got["samples"])
        print("# QEMU: info tlb %.1f s, info mem %.1f s, %d gva2gpa %.1f s" %
              (t1 - t, t2 - t1, len(got["samples"]), time.time() - t2))
        q.cmd("dump-guest-memory", paging=False,
              protocol="file:" + os.path.join(d, "core.elf"))
        return got
    finally:
        p.kill()
        p.wait()


def first_difference(want, got):
    a, b = want.splitlines(), got.splitlines()
    for i in range(max(len(a), len(b))):
        x = a[i] if i < len(a) else "(none)"
        y = b[i] if i < len(b) else "(none)"
        if x != y:
            return "line %d: qemu %r, guestmem %r" % (i + 1, x, y)
    return "the same lines, different bytes"


def main():
    gm, guest_dir = sys.argv[1], sys.argv[2]
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        print("1..0 # SKIP qemu-system-x86_64 is not installed")
        return
    tap = Tap(30)
    d = tempfile.mkdtemp(prefix="gm-mmu-guests-")
    cores = {}
    try:
        for name, cpu, mode in GUESTS:
            sub = os.path.join(d, name)
            os.mkdir(sub)
            try:
                got = capture(qemu, os.path.join(guest_dir, name + ".bin"),
                              cpu, sub)
            except (RuntimeError, OSError, ValueError) as e:
                tap.ok(False, "%s: run under QEMU" % name, str(e))
                continue
            tap.ok(mode_of(got["regs"]) == mode,
                   "%s: the guest runs with %s paging" % (name, mode))
            core = os.path.join(sub, "core.elf")
            cores[mode] = (core, got)
            for view in ("tlb", "mem"):
                r = subprocess.run([gm, view, "--core", core],
                                   capture_output=True, text=True)
                same = r.returncode == 0 and r.stdout == got[view]
                tap.ok(same, "%s: guestmem %s = QEMU's info %s (%d lines)" %
                       (name, view, view, len(got[view].splitlines())),
                       None if same else r.stderr +
                       first_difference(got[view], r.stdout))
            r = subprocess.run([gm, "gva2gpa", "--core", core] +
                               ["0x%x" % a for a in got["samples"]],
                               capture_output=True, text=True)
            same = r.returncode == 0 and r.stdout == got["gva2gpa"]
            tap.ok(same, "%s: gva2gpa of %d addresses as QEMU's (%d mapped)" %
                   (name, len(got["samples"]), got["gva2gpa"].count("gpa:")),
                   None if same else r.stderr +
                   first_difference(got["gva2gpa"], r.stdout))
        # The overrides: a dump read as another mode, from another CR3.
        # Reading the 4-level guest's dump with --paging 5 and --cr3 of a
        # table that is a PML5 in the 5-level guest is not the 5-level
        # guest; but reading each dump with its own mode given explicitly,
        # and with --cr3 equal to its own CR3, must change nothing.
        for mode, flag in (("32-bit", "32"), ("PAE", "pae"),
                           ("4-level", "4"), ("5-level", "5")):
            if mode not in cores:
                continue
            core, got = cores[mode]
            cr3 = int(re.search(r"CR3=([0-9a-f]+)", got["regs"]).group(1), 16)
            r = subprocess.run([gm, "tlb", "--core", core, "--paging", flag,
                                "--cr3", "0x%x" % cr3],
                               capture_output=True, text=True)
            tap.ok(r.returncode == 0 and r.stdout == got["tlb"],
                   "%s: --paging %s --cr3 %#x prints the same" %
                   (mode, flag, cr3), r.stderr)
        # A dump cut short anywhere, or not a dump at all: one line on
        # stderr, nothing on stdout, exit status 1.
        if "PAE" in cores:
            data = open(cores["PAE"][0], "rb").read()
            cuts = [0, 10, 63, 100, 400, 1000, len(data) // 2, len(data) - 1]
            for cut in cuts + ["junk"]:
                bad = os.path.join(d, "bad.elf")
                with open(bad, "wb") as f:
                    f.write(data[:cut] if cut != "junk" else b"junk" * 100)
                for view in (["tlb"], ["mem"], ["gva2gpa", "0x1000"]):
                    r = subprocess.run([gm, view[0], "--core", bad] + view[1:],
                                       capture_output=True, text=True)
                    lines = r.stderr.splitlines()
                    tap.ok(r.returncode == 1 and r.stdout == "" and
                           len(lines) == 1,
                           "a dump %s: guestmem %s says so in one line" %
                           ("of junk" if cut == "junk" else
                            "cut at %d of %d bytes" % (cut, len(data)),
                            view[0]),
                           "exit %d, stdout %r, stderr %r" %
                           (r.returncode, r.stdout[:200], r.stderr))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
