#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test-q35.py GUESTMEM Q35-PEER DATADIR: the q35 machine against QEMU 7.2.

1. Captures.  For every q35 configuration in DATADIR (-M q35 or pc-q35-*,
   stopped before the guest ran, no devices; see CONFIGS for the list this
   file expects), `guestmem mtree --machine SPEC -m SIZE` with -D, -f and
   neither must print what QEMU printed, in the canonical sense of
   mtreecmp.py, for every group and flat view but the I/O space (the
   machine alone has no I/O devices): "memory" and "cpu-memory-0", the
   cpu-smm-0 space with its smram container, the mch, ICH9-LPC, ich9-ahci
   and ICH9-SMB bus-master spaces, and the pc.ram, pc.bios, pci, smram and
   system groups.  `guestmem ramblock` must print QEMU's pc.ram, pc.bios
   and pc.rom lines.

2. Live.  A QEMU 7.2 (`-S -qtest stdio`, plus QMP for `info mtree`) and
   q35-peer (the same machine and board on guestmem) get the same port and
   memory accesses, step by step (STEPS): the MCH's PAM, SMRAM, ESMRAMC and
   TSEG sizes, D_LCK, F_SMBASE, the extended TSEG query, PCIEXBAR (the
   MMCONFIG window appearing, moving, changing length, ignoring the
   reserved length, covering RAM, disappearing) with configuration reads
   and writes through the window, the bus-master enables of the MCH and
   the LPC bridge, and the LPC's RCBA.  After every step the answers to
   the step's reads, `info mtree -f` and `info mtree -D` (all but the I/O
   space) must be equal.  Then the whole configuration space of 00:00.0
   and 00:1f.0 must be equal byte for byte.

Where qemu-system-x86_64 is not installed, part 2 is a loud SKIP (and so
is part 1 where there are no captures)."""
import json
import os
import re
import select
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtreecmp import Tap, canonical  # noqa: E402

gm, peer, data = sys.argv[1], sys.argv[2], sys.argv[3]
qemu = shutil.which("qemu-system-x86_64")
tap = Tap()
TIMEOUT = 30

# The captures this test expects (capture.sh, -S -nodefaults -accel tcg):
# every RAM-split threshold of q35 (2.75 GiB: 2815M all below, 2816M split
# at 2 GiB), max-ram-below-4g below, at and above the split, smm=off, and
# older machine types (2.4, 4.2: before SMRAM at SMBASE; 5.0: after).
CONFIGS = ["q35-128M", "q35-1G", "q35-2G", "q35-2815M", "q35-2816M",
           "q35-4G", "q35-mrb1G-2G", "q35-mrb1536M-4G", "q35-mrb2560M-2600M",
           "q35-mrb4G-3G", "q35-smmoff-1G", "q35v2.4-4G", "q35v4.2-1G",
           "q35v5.0-1G"]


def skip_io(text, flat):
    """The canonical blocks of an `info mtree` text but the I/O space's."""
    key = ' AS "I/O"' if flat else "address-space: I/O"
    return [(h, b) for h, b in canonical(text) if not any(key in x for x in h)]


def show_diff(want, got):
    import difflib
    a = ["\n".join(h + b) for h, b in want]
    b = ["\n".join(h + b) for h, b in got]
    return "".join(difflib.unified_diff("\n\n".join(a).splitlines(True),
                                        "\n\n".join(b).splitlines(True),
                                        "qemu", "guestmem", n=1))


def machine_args(cmdline):
    argv = shlex.split(cmdline)
    if "-S" not in argv or "-M" not in argv or \
            any(a in argv for a in ("-device", "-vga", "-object")):
        return None
    spec = argv[argv.index("-M") + 1]
    if not re.match(r"^(q35|pc-q35-[\d.]+)(,|$)", spec):
        return None
    mem = argv[argv.index("-m") + 1] if "-m" in argv else "128M"
    return ["--machine", spec, "-m", mem]


def run_gm(args):
    p = subprocess.run([gm] + args, capture_output=True, text=True,
                       timeout=120)
    return p.returncode, p.stdout, p.stderr


def pc_blocks(text):
    return [l for l in text.splitlines()
            if "Block Name" in l or re.match(r"^ *pc\.(ram|bios|rom) ", l)]


def captures():
    present = sorted(n for n in os.listdir(data)
                     if os.path.exists(os.path.join(data, n, "cmdline.txt")))
    for name in CONFIGS:
        if name not in present:
            tap.ok(False, "%s: the capture is there" % name,
                   "make it with ../shared/oracle/capture.sh")
    for name in present:
        d = os.path.join(data, name)
        margs = machine_args(open(os.path.join(d, "cmdline.txt")).readline())
        if not margs:
            continue
        label = "%s: %s" % (name, " ".join(margs))
        for flag, f in (("-D", "mtree-D.txt"), ("-f", "mtree-f.txt"),
                        (None, "mtree.txt")):
            rc, out, err = run_gm(["mtree"] + ([flag] if flag else []) + margs)
            flat = flag == "-f"
            want = skip_io(open(os.path.join(d, f)).read(), flat)
            got = skip_io(out, flat)
            tap.ok(rc == 0 and got == want,
                   "%s: mtree %s (all but I/O)" % (label, flag or "(tree)"),
                   err + show_diff(want, got))
        rc, out, err = run_gm(["ramblock"] + margs)
        want = pc_blocks(open(os.path.join(d, "ramblock.txt")).read())
        got = pc_blocks(out)
        tap.ok(rc == 0 and len(want) == 4 and got == want,
               "%s: info ramblock (pc.ram, pc.bios, pc.rom)" % label,
               err + "\n".join(got) + "\n---\n" + "\n".join(want))


# --- live ---------------------------------------------------------------------

class Peer:
    """A process that speaks (our subset of) qtest on stdin/stdout, every
    read bounded by TIMEOUT."""

    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.buf = b""

    def line(self):
        deadline = time.monotonic() + TIMEOUT
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.p.stdout], [], [], left)[0]:
                raise RuntimeError("no answer in %d s" % TIMEOUT)
            chunk = os.read(self.p.stdout.fileno(), 1 << 16)
            if not chunk:
                raise RuntimeError("the peer closed its output: " +
                                   self.p.stderr.read().decode(errors="replace"))
            self.buf += chunk
        l, self.buf = self.buf.split(b"\n", 1)
        return l.decode(errors="replace")

    def cmd(self, c):
        self.p.stdin.write((c + "\n").encode())
        self.p.stdin.flush()
        text = []
        while True:
            l = self.line()
            if l.startswith("OK"):
                return l[2:].strip(), "\n".join(text)
            if l.startswith(("ERR", "FAIL")):
                raise RuntimeError("%s: %s" % (c, l))
            text.append(l)

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()


class Qmp:
    def __init__(self, path):
        for _ in range(200):
            if os.path.exists(path):
                break
            time.sleep(0.05)
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(TIMEOUT)
        self.s.connect(path)
        self.f = self.s.makefile("rw")
        json.loads(self.f.readline())
        self.call("qmp_capabilities")

    def call(self, cmd, **args):
        req = {"execute": cmd}
        if args:
            req["arguments"] = args
        self.f.write(json.dumps(req) + "\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "return" in r:
                return r["return"]
            if "error" in r:
                raise RuntimeError("%s: %s" % (cmd, r["error"]))

    def hmp(self, c):
        return self.call("human-monitor-command",
                         **{"command-line": c}).replace("\r\n", "\n")

    def close(self):
        self.s.close()


def cfg(devfn, reg, size, val=None):
    """Mechanism #1: the address, then the data port access."""
    w = {1: "b", 2: "w", 4: "l"}[size]
    addr = "outl 0xcf8 0x%x" % (0x80000000 | devfn << 8 | (reg & 0xfc))
    port = 0xcfc + (reg & 3)
    if val is None:
        return [addr, "in%s 0x%x" % (w, port)]
    return [addr, "out%s 0x%x 0x%x" % (w, port, val)]


MCH, LPC = 0x00, 0xf8

# Each step: a title and its accesses.  Reads are compared answer for
# answer; the map after the step is compared whole.
STEPS = [
    ("reset state", cfg(MCH, 0x9c, 4) + cfg(MCH, 0x60, 4)),
    ("PAM: RAM, read-only and write-only segments",
     cfg(MCH, 0x90, 4, 0x33221130) + cfg(MCH, 0x94, 2, 0x1203) +
     cfg(MCH, 0x96, 1, 0x31) + cfg(MCH, 0x90, 4) + cfg(MCH, 0x94, 4)),
    ("PAM: back to PCI, one byte", cfg(MCH, 0x91, 1, 0x00)),
    ("SMRAM: D_OPEN and G_SMRAME", cfg(MCH, 0x9d, 1, 0x4a) +
     cfg(MCH, 0x9c, 4)),
    ("ESMRAMC: H_SMRAME and a 1 MiB TSEG",
     cfg(MCH, 0x9e, 1, 0x81) + cfg(MCH, 0x9c, 4)),
    ("SMRAM closed, TSEG 2 MiB", cfg(MCH, 0x9d, 2, 0x8308)),
    ("TSEG 8 MiB", cfg(MCH, 0x9e, 1, 0x05)),
    ("TSEG extended (QEMU's 16 MiB; 0 on 2.9 and older)",
     cfg(MCH, 0x9e, 1, 0x07) + cfg(MCH, 0x50, 2, 0xffff) +
     cfg(MCH, 0x50, 2)),
    ("TSEG off: T_EN clear", cfg(MCH, 0x9e, 1, 0x06)),
    ("F_SMBASE: query, then lock", cfg(MCH, 0x9c, 1, 0xff) +
     cfg(MCH, 0x9c, 1) + cfg(MCH, 0x9c, 1, 0x02) + cfg(MCH, 0x9c, 1)),
    ("PCIEXBAR: the MMCONFIG window at 0xb0000000",
     cfg(MCH, 0x60, 4, 0xb0000001) + cfg(MCH, 0x60, 4)),
    ("MMCONFIG: reads of present and absent functions, past 256, bus 1",
     ["readl 0xb0000000", "readw 0xb0000002", "readb 0xb000009d",
      "readl 0xb00f8000", "readl 0xb00f8008", "readl 0xb0008000",
      "readl 0xb0000100", "readl 0xb0100000", "readq 0xb0000000",
      "readl 0xb0000061"]),
    ("MMCONFIG: a PAM write through the window",
     ["writeb 0xb0000090 0x30", "writew 0xb0000092 0x1133",
      "readl 0xb0000090"] + cfg(MCH, 0x90, 4)),
    ("PCIEXBAR: moved to 0xe0000000", cfg(MCH, 0x60, 4, 0xe0000001)),
    ("PCIEXBAR: 128 MiB", cfg(MCH, 0x60, 4, 0xe8000003)),
    ("PCIEXBAR: 64 MiB", cfg(MCH, 0x60, 4, 0xec000005)),
    ("PCIEXBAR: reserved length changes nothing",
     cfg(MCH, 0x60, 4, 0xd0000007) + cfg(MCH, 0x64, 4, 0x1)),
    ("PCIEXBAR: above 4 GiB, then over RAM at 0",
     cfg(MCH, 0x60, 4, 0x00000001) + ["readl 0x0", "readl 0x100000"] +
     cfg(MCH, 0x64, 4, 0x0)),
    ("PCIEXBAR: off", cfg(MCH, 0x60, 4, 0x0) + ["readl 0x0"]),
    ("MCH bus mastering", cfg(MCH, 0x04, 2, 0x0004) + cfg(MCH, 0x04, 4)),
    ("LPC: bus mastering and RCBA", cfg(LPC, 0x04, 2, 0x0007) +
     cfg(LPC, 0xf0, 4, 0xfed1c001) + ["readl 0xfed1f410",
                                      "readl 0xfed1f140"]),
    ("LPC: RCBA moved, then off", cfg(LPC, 0xf0, 4, 0xfec10001) +
     ["readl 0xfec13410"] + cfg(LPC, 0xf0, 4, 0xfec10000)),
    ("SMRAM: D_LCK, then D_OPEN and ESMRAMC refused",
     cfg(MCH, 0x9d, 1, 0x1a) + cfg(MCH, 0x9d, 1, 0x4a) +
     cfg(MCH, 0x9e, 1, 0x81) + cfg(MCH, 0x9c, 4)),
]

# The live configurations: the default q35, RAM above 4 GiB, a small
# max-ram-below-4g, the types before SMRAM at SMBASE and before the
# extended TSEG.
LIVE = [("q35", "1G"), ("q35", "4G"), ("q35,max-ram-below-4g=1G", "2G"),
        ("pc-q35-4.2", "1G"), ("pc-q35-2.9", "512M")]


def live(spec, mem):
    label = "live %s -m %s" % (spec, mem)
    tmp = tempfile.mkdtemp(prefix="gm-q35-")
    sock = os.path.join(tmp, "qmp.sock")
    q = p = m = None
    try:
        q = Peer([qemu, "-M", spec, "-m", mem, "-nodefaults", "-display",
                  "none", "-S", "-qtest", "stdio", "-qmp",
                  "unix:%s,server=on,wait=off" % sock])
        m = Qmp(sock)
        p = Peer([peer, "-M", spec, "-m", mem])
        for title, cmds in STEPS:
            a = [q.cmd(c)[0] for c in cmds]
            b = [p.cmd(c)[0] for c in cmds]
            reads = [(c, x, y) for c, x, y in zip(cmds, a, b)
                     if x and (int(x, 16) != int(y, 16) if y else True)]
            tap.ok(not reads, "%s: %s: the reads" % (label, title),
                   "\n".join("%s: qemu %s guestmem %s" % r for r in reads))
            for flag in ("-f", "-D"):
                want = skip_io(m.hmp("info mtree " + flag), flag == "-f")
                got = skip_io(p.cmd("mtree" + flag)[1], flag == "-f")
                tap.ok(got == want, "%s: %s: info mtree %s" %
                       (label, title, flag), show_diff(want, got))
        for devfn, name in ((MCH, "00:00.0 (MCH)"), (LPC, "00:1f.0 (LPC)")):
            cmds = sum((cfg(devfn, r, 4) for r in range(0, 256, 4)), [])
            a = [int(x, 16) for x in (q.cmd(c)[0] for c in cmds) if x]
            b = [int(x, 16) for x in (p.cmd(c)[0] for c in cmds) if x]
            tap.ok(a == b, "%s: configuration space of %s after the steps" %
                   (label, name),
                   "\n".join("0x%02x: qemu %08x guestmem %08x" % (4 * i, x, y)
                             for i, (x, y) in enumerate(zip(a, b)) if x != y))
    except (RuntimeError, OSError, ValueError) as e:
        tap.ok(False, "%s: ran to the end" % label, str(e))
    finally:
        for x in (m,):
            if x:
                x.close()
        for x in (q, p):
            if x:
                x.close()
        shutil.rmtree(tmp, ignore_errors=True)


captures()
if not qemu:
    sys.stderr.write("SKIP live q35 comparisons: qemu-system-x86_64 is not "
                     "installed (Debian: qemu-system-x86)\n")
    for spec, mem in LIVE:
        tap.skip("live %s -m %s against QEMU 7.2" % (spec, mem),
                 "qemu-system-x86_64 is not installed")
else:
    for spec, mem in LIVE:
        live(spec, mem)
sys.exit(tap.done())
