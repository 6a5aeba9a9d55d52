#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test-linux.py GUESTMEM CACHE-DIR: a real Linux guest's page tables, read
by guestmem from a dump, against QEMU 7.2's own monitor.

Debian's kernel (linux-image-cloud-amd64) and a busybox initramfs
(busybox-static) are fetched with `apt-get download` into CACHE-DIR (kept
between runs).  For 4-level paging (-cpu max,-la57) and for 5-level paging
(-cpu max,+la57) the kernel boots under qemu-system-x86_64 with TCG; once
the initramfs's /init has run (it prints a marker on the serial port) the
VM is stopped and QEMU is asked for `info tlb`, `info mem`, `gva2gpa` of
sample addresses, and `dump-guest-memory` of that same moment.  guestmem's
`tlb`, `mem` and `gva2gpa --core DUMP` must print exactly the same bytes.

Skips (TAP "1..0 # SKIP") with the reason when QEMU or the packages cannot
be had.  Takes about two minutes, most of it QEMU's own `info mem` under
5-level paging.  --keep leaves the dumps in CACHE-DIR/run-*."""
import gzip
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mmuhelp import Qmp, Tap  # noqa: E402

MARKER = b"GUESTMEM-INIT-RAN"
BOOT_TIMEOUT = 300


def skip(why):
    print("1..0 # SKIP %s" % why)
    sys.exit(0)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


# --- the guest's files -------------------------------------------------------

def fetch(pkg, cache):
    """The .deb of @pkg in @cache, downloading it with apt-get if needed.
    A metapackage is followed to the package it depends on."""
    for f in os.listdir(cache):
        if f.startswith(pkg + "_") and f.endswith(".deb"):
            return os.path.join(cache, f)
    r = run(["apt-get", "download", pkg], cwd=cache, timeout=600)
    if r.returncode != 0:
        skip("cannot download %s with apt-get: %s" %
             (pkg, (r.stderr.strip().splitlines() or ["?"])[-1]))
    for f in os.listdir(cache):
        if f.startswith(pkg + "_") and f.endswith(".deb"):
            return os.path.join(cache, f)
    skip("apt-get download %s left no .deb" % pkg)


def deb_member(path, prefix):
    """The member of a .deb (an ar archive) whose name starts with @prefix
    (data.tar or control.tar), as its name and bytes."""
    data = open(path, "rb").read()
    if not data.startswith(b"!<arch>\n"):
        raise RuntimeError("%s is not a .deb" % path)
    off = 8
    while off + 60 <= len(data):
        name = data[off:off + 16].decode().strip().rstrip("/")
        size = int(data[off + 48:off + 58].decode().strip())
        body = data[off + 60:off + 60 + size]
        if name.startswith(prefix):
            return name, body
        off += 60 + size + (size & 1)
    raise RuntimeError("%s has no %s" % (path, prefix))


def deb_extract(path, want, part="data.tar"):
    """The bytes of the first file in @path's @part whose name matches the
    regular expression @want."""
    name, body = deb_member(path, part)
    if name.endswith(".zst"):
        r = subprocess.run(["zstd", "-dc"], input=body, capture_output=True)
        if r.returncode != 0:
            raise RuntimeError("zstd could not unpack %s" % path)
        body, mode = r.stdout, "r:"
    else:
        mode = "r:*"
    with tarfile.open(fileobj=io.BytesIO(body), mode=mode) as t:
        for m in t.getmembers():
            if m.isfile() and re.search(want, m.name):
                return m.name, t.extractfile(m).read()
    raise RuntimeError("%s holds nothing like %s" % (path, want))


def kernel_package(cache):
    """The versioned kernel package the metapackage depends on."""
    meta = fetch("linux-image-cloud-amd64", cache)
    _, control = deb_extract(meta, r"(^|/)control$", "control.tar")
    m = re.search(r"^Depends:\s*([a-z0-9.+-]+)", control.decode(), re.M)
    if not m:
        skip("cannot read the dependency of %s" % meta)
    return fetch(m.group(1), cache)


def cpio_newc(files):
    """A newc cpio archive of (name, mode, data, rdev-major, rdev-minor)."""
    out = bytearray()

    def pad():
        while len(out) % 4:
            out.append(0)
    for ino, (name, mode, data, rmaj, rmin) in enumerate(
            files + [("TRAILER!!!", 0, b"", 0, 0)], 1):
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rmaj, rmin,
                  len(name) + 1, 0]
        out += b"070701" + "".join("%08x" % f for f in fields).encode()
        out += name.encode() + b"\0"
        pad()
        out += data
        pad()
    return bytes(out)


INIT = b"""#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
echo GUESTMEM-INIT-RAN
exec /bin/busybox sleep 1000000
"""


def prepare(cache):
    kernel = os.path.join(cache, "vmlinuz")
    initrd = os.path.join(cache, "initrd.gz")
    if not os.path.exists(kernel):
        deb = kernel_package(cache)
        _, k = deb_extract(deb, r"^\./boot/vmlinuz-")
        open(kernel + ".tmp", "wb").write(k)
        os.rename(kernel + ".tmp", kernel)
    if not os.path.exists(initrd):
        deb = fetch("busybox-static", cache)
        _, bb = deb_extract(deb, r"^\./bin/busybox$")
        arc = cpio_newc([("bin", 0o40755, b"", 0, 0),
                         ("proc", 0o40755, b"", 0, 0),
                         ("dev", 0o40755, b"", 0, 0),
                         ("dev/console", 0o20600, b"", 5, 1),
                         ("bin/busybox", 0o100755, bb, 0, 0),
                         ("init", 0o100755, INIT, 0, 0)])
        open(initrd + ".tmp", "wb").write(gzip.compress(arc))
        os.rename(initrd + ".tmp", initrd)
    return kernel, initrd


# --- QEMU ----------------------------------------------------------------------



def boot_and_capture(qemu, cpu, kernel, initrd, d):
    """Boots, stops after /init ran, and returns QEMU's answers; the dump
    is left in d/core.elf."""
    sock = os.path.join(d, "qmp.sock")
    serial = os.path.join(d, "serial.txt")
    p = subprocess.Popen(
        [qemu, "-accel", "tcg", "-cpu", cpu, "-m", "256M", "-nodefaults",
         "-display", "none", "-no-reboot", "-kernel", kernel, "-initrd",
         initrd, "-append", "console=ttyS0 quiet panic=-1",
         "-serial", "file:" + serial,
         "-qmp", "unix:%s,server=on,wait=off" % sock],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        t0 = time.time()
        while True:
            if p.poll() is not None:
                raise RuntimeError("QEMU exited: %s" % p.stderr.read().decode())
            if os.path.exists(serial) and MARKER in open(serial, "rb").read():
                break
            if time.time() - t0 > BOOT_TIMEOUT:
                raise RuntimeError("no %s on the serial port after %d s" %
                                   (MARKER.decode(), BOOT_TIMEOUT))
            time.sleep(0.2)
        boot = time.time() - t0
        q = Qmp(sock, 600)
        q.hmp("stop")
        got = {"boot": boot}
        got["regs"] = q.hmp("info registers")
        got["tlb"] = q.hmp("info tlb")
        t1 = time.time()
        got["mem"] = q.hmp("info mem")
        got["mem_time"] = time.time() - t1
        got["samples"] = samples(got["tlb"], got["regs"])
        got["gva2gpa"] = [q.hmp("gva2gpa 0x%x" % a) for a in got["samples"]]
        q.cmd("dump-guest-memory", paging=False,
              protocol="file:" + os.path.join(d, "core.elf"))
        return got
    finally:
        p.kill()
        p.wait()


def samples(tlb, regs):
    """Addresses to ask gva2gpa about: mapped ones from `info tlb` (first,
    last and spread in between, at page offsets), the registers, and
    unmapped and non-canonical ones."""
    mapped = [int(l.split(":")[0], 16) for l in tlb.splitlines() if ":" in l]
    out = []
    if mapped:
        step = max(1, len(mapped) // 24)
        for i, a in enumerate(mapped[::step] + [mapped[-1]]):
            out.append(a + (i * 0x123) % 0x1000)
    for reg in ("RIP", "RSP", "RBP"):
        m = re.search(reg + r"=([0-9a-f]+)", regs)
        if m:
            out.append(int(m.group(1), 16))
    out += [0, 0x1000, 0x7fffffffe000, 0x0000800000000000,
            0x00ff800000000000, 0xff00000000000000, 0xffff800000000123,
            0xffffffffffffffff]
    return out


# --- the test -----------------------------------------------------------------

def main():
    keep = "--keep" in sys.argv
    args = [a for a in sys.argv[1:] if a != "--keep"]
    gm, cache = args[0], args[1]
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        skip("qemu-system-x86_64 is not installed")
    os.makedirs(cache, exist_ok=True)
    try:
        kernel, initrd = prepare(cache)
    except (RuntimeError, OSError, tarfile.TarError) as e:
        skip("cannot unpack the guest: %s" % e)
    tap = Tap(40)
    for label, cpu, la57 in (("4-level", "max,-la57", False),
                             ("5-level", "max,+la57", True)):
        d = tempfile.mkdtemp(prefix="run-%s-" % label, dir=cache)
        try:
            got = boot_and_capture(qemu, cpu, kernel, initrd, d)
        except (RuntimeError, OSError, ValueError) as e:
            tap.ok(False, "%s: boot and capture" % label, str(e))
            shutil.rmtree(d, ignore_errors=True)
            continue
        print("# %s: /init ran after %.1f s; QEMU's info mem took %.1f s" %
              (label, got["boot"], got["mem_time"]))
        cr4 = int(re.search(r"CR4=([0-9a-f]+)", got["regs"]).group(1), 16)
        tap.ok(bool(cr4 & (1 << 12)) == la57,
               "%s: the guest runs with CR4.LA57 %s" %
               (label, "set" if la57 else "clear"))
        core = os.path.join(d, "core.elf")
        for view in ("tlb", "mem"):
            r = run([gm, view, "--core", core], timeout=600)
            want = got[view]
            same = r.returncode == 0 and r.stdout == want
            detail = None
            if not same:
                detail = "exit %d, stderr %s\n" % (r.returncode, r.stderr)
                a, b = want.splitlines(), r.stdout.splitlines()
                for i in range(max(len(a), len(b))):
                    x = a[i] if i < len(a) else "(none)"
                    y = b[i] if i < len(b) else "(none)"
                    if x != y:
                        detail += "line %d: qemu %r, guestmem %r\n" % (i + 1,
                                                                       x, y)
                        break
            tap.ok(same, "%s: guestmem %s = QEMU's info %s (%d lines)" %
                   (label, view, view, len(want.splitlines())), detail)
        bad = []
        for a, want in zip(got["samples"], got["gva2gpa"]):
            r = run([gm, "gva2gpa", "--core", core, "0x%x" % a], timeout=60)
            if r.returncode != 0 or r.stdout != want:
                bad.append("0x%x: qemu %r, guestmem %r %s" %
                           (a, want, r.stdout, r.stderr.strip()))
        tap.ok(not bad, "%s: gva2gpa of %d addresses as QEMU's (%d mapped)" %
               (label, len(got["samples"]),
                sum(1 for w in got["gva2gpa"] if w.startswith("gpa"))),
               "\n".join(bad))
        if keep:
            print("# kept %s" % d)
        else:
            shutil.rmtree(d, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
