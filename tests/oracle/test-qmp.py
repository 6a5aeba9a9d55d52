#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test-qmp.py GUESTMEM: `guestmem mtree --import qmp:SOCKET` against a real
QEMU that this test starts (Debian's qemu-system-x86_64, TCG, on a unix
socket in a private directory).  For each configuration the test asks QEMU
itself for `info mtree -f`, `-D` and the plain tree over its own QMP
connection, then lets guestmem import the VM through the same socket and
print the same three forms; they must be identical in the canonical sense.
Also checks the errors: a socket nobody listens on, and a peer that is not
QMP."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtreecmp import Tap, canonical, diff  # noqa: E402

gm = sys.argv[1]
tap = Tap()
qemu = shutil.which("qemu-system-x86_64")

CONFIGS = [
    ("pc-256M", ["-M", "pc", "-m", "256M", "-S"], 0),
    ("q35-1G-dev", ["-M", "q35", "-m", "1G", "-S", "-device", "e1000"], 0),
    ("pc-512M-booted", ["-M", "pc", "-m", "512M", "-vga", "std"], 2.5),
]


def hmp(path, cmds):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(20)
    s.connect(path)
    f = s.makefile("rw")
    json.loads(f.readline())
    out = []
    for c in [None] + cmds:
        req = {"execute": "qmp_capabilities"} if c is None else \
            {"execute": "human-monitor-command", "arguments": {"command-line": c}}
        f.write(json.dumps(req) + "\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "return" in r or "error" in r:
                break
        if c is not None:
            out.append(r.get("return", "").replace("\r\n", "\n"))
    s.close()
    return out


def run_config(name, args, settle):
    d = tempfile.mkdtemp(prefix="gm-qmp-")
    sock = os.path.join(d, "qmp.sock")
    p = subprocess.Popen([qemu] + args + ["-nodefaults", "-accel", "tcg",
                                          "-display", "none", "-qmp",
                                          "unix:%s,server=on,wait=off" % sock],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        if settle:
            time.sleep(settle)
            hmp(sock, ["stop"])
        want = dict(zip(("-f", "-D", ""), hmp(sock, ["info mtree -f",
                                                     "info mtree -D",
                                                     "info mtree"])))
        for flag in ("-f", "-D", ""):
            r = subprocess.run([gm, "mtree"] + ([flag] if flag else []) +
                               ["--import", "qmp:" + sock],
                               capture_output=True, text=True, timeout=60)
            tap.ok(r.returncode == 0 and canonical(r.stdout) == canonical(want[flag]),
                   "%s: mtree %s via qmp" % (name, flag or "(tree)"),
                   r.stderr + diff(want[flag], r.stdout))
    finally:
        p.kill()
        p.wait()
        shutil.rmtree(d, ignore_errors=True)


def fake_peer(path):
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    srv.listen(1)

    def serve():
        c, _ = srv.accept()
        c.sendall(b"220 smtp.example ESMTP\r\n")
        time.sleep(0.5)
        c.close()
        srv.close()
    threading.Thread(target=serve, daemon=True).start()


d = tempfile.mkdtemp(prefix="gm-qmp-")
r = subprocess.run([gm, "mtree", "--import", "qmp:" + os.path.join(d, "none")],
                   capture_output=True, text=True, timeout=30)
tap.ok(r.returncode != 0 and "cannot connect" in r.stderr,
       "no listener: clear error", r.stderr)
fake_peer(os.path.join(d, "fake"))
r = subprocess.run([gm, "mtree", "--import", "qmp:" + os.path.join(d, "fake")],
                   capture_output=True, text=True, timeout=30)
tap.ok(r.returncode != 0 and "QMP" in r.stderr, "not a QMP peer: clear error",
       r.stderr)
shutil.rmtree(d, ignore_errors=True)

if qemu is None:
    tap.skip("real QEMU", "qemu-system-x86_64 not installed (make deps installs it)")
else:
    for name, args, settle in CONFIGS:
        run_config(name, args, settle)
sys.exit(tap.done())
