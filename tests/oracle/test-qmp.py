#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test-qmp.py GUESTMEM: `guestmem mtree --import qmp:SOCKET` against a real
QEMU that this test starts (Debian's qemu-system-x86_64, TCG, on a unix
socket in a private directory).  For each configuration the test asks QEMU
itself for `info mtree -f`, `-D`, the plain tree and `-o -D` over its own
QMP connection, then lets guestmem import the VM through the same socket
and print the same forms; they must be identical byte for byte (QEMU's
order of flat views is kept), line ends aside.  A second client while
guestmem waits is told the socket is busy.

Also checks every way an input can fail to come, in parallel (each is
bounded: 10 s for a greeting and the handshake, 30 s for a pipe): a socket
nobody listens on, a path that is not a socket, and the fake peers of
qmp-peer.py: garbage, silence, a closed connection, not QMP, a greeting one
byte every 5 s, events and no answer, a 400 MB string that never ends, an
error, bad JSON, a NUL in the answer, a dump that is not one; and a pipe
nobody writes to.  Each must end within its bound with one line on stderr saying what was
waited for, and a non-zero exit."""
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
    """Imports over QMP must print exactly what QEMU prints."""
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
        forms = (("-f",), ("-D",), (), ("-o", "-D"), ("-f", "-o"))
        want = dict(zip(forms, hmp(sock, ["info mtree " + " ".join(f)
                                          for f in forms])))
        for flags in forms:
            r = subprocess.run([gm, "mtree"] + list(flags) +
                               ["--import", "qmp:" + sock],
                               capture_output=True, text=True, timeout=60)
            tap.ok(r.returncode == 0 and r.stdout == want[flags],
                   "%s: mtree %s via qmp" % (name, " ".join(flags) or "(tree)"),
                   r.stderr + diff(want[flags], r.stdout))
        # QEMU serves one QMP client at a time: hold it, and guestmem must
        # give up within its bound and say why.
        holder = socket.socket(socket.AF_UNIX)
        holder.connect(sock)
        holder.recv(4096)
        t0 = time.time()
        r = subprocess.run([gm, "mtree", "--import", "qmp:" + sock],
                           capture_output=True, text=True, timeout=60)
        took = time.time() - t0
        holder.close()
        tap.ok(r.returncode != 0 and "socket busy?" in r.stderr and
               r.stderr.count("\n") == 1 and took < 15,
               "%s: a busy QMP socket: clear error within 10 s" % name,
               "%.1f s: %s" % (took, r.stderr))
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


here = os.path.dirname(os.path.abspath(__file__))
forms = os.path.join(here, "data", "pc-kvm-forms")
# mode: (what stderr must say, the most seconds it may take)
PEERS = {
    "garbage": ("greet", 5),
    "silent": ("no greeting from", 15),
    "close": ("closed the connection before the greeting", 5),
    "notqmp": ("did not greet like a QMP server (it said '220 smtp ready')", 5),
    "drip": ("but no complete greeting within 10 s", 15),
    "events": ("no answer to qmp_capabilities from", 15),
    "huge": ("in one message while we waited for the answer to "
             "qmp_capabilities", 10),
    "error": ("QEMU refused 'info mtree -o -D': no A way \"x\"", 5),
    "badjson": ("malformed answer to 'info mtree -o -D'", 5),
    "nul": ("holds a NUL character", 5),
    "garbagedump": ("not an `info mtree` line", 5),
}


def peer_case(mode, d, results):
    sock = os.path.join(d, mode + ".sock")
    peer = subprocess.Popen([sys.executable, os.path.join(here, "qmp-peer.py"),
                             mode, sock], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        t0 = time.time()
        r = subprocess.run([gm, "mtree", "--import", "qmp:" + sock],
                           capture_output=True, text=True, timeout=120)
        results[mode] = (r, time.time() - t0)
    finally:
        peer.kill()
        peer.wait()


def fifo_case(d, results):
    """A pipe that a writer holds open and never writes to."""
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    w = os.open(fifo, os.O_RDWR)
    t0 = time.time()
    r = subprocess.run([gm, "mtree", "--import", fifo], capture_output=True,
                       text=True, timeout=120)
    results["fifo"] = (r, time.time() - t0)
    os.close(w)


d = tempfile.mkdtemp(prefix="gm-qmp-")
r = subprocess.run([gm, "mtree", "--import", "qmp:" + os.path.join(d, "none")],
                   capture_output=True, text=True, timeout=30)
tap.ok(r.returncode != 0 and "no QMP socket at" in r.stderr,
       "no socket: clear error", r.stderr)
r = subprocess.run([gm, "mtree", "--import", "qmp:/etc/passwd"],
                   capture_output=True, text=True, timeout=30)
tap.ok(r.returncode != 0 and "not a socket" in r.stderr,
       "not a socket: clear error", r.stderr)
fake_peer(os.path.join(d, "fake"))
r = subprocess.run([gm, "mtree", "--import", "qmp:" + os.path.join(d, "fake")],
                   capture_output=True, text=True, timeout=30)
tap.ok(r.returncode != 0 and "QMP" in r.stderr, "not a QMP peer: clear error",
       r.stderr)
# Slow and hostile peers, all at once (the slow ones take their 10 or 30 s).
results = {}
threads = [threading.Thread(target=peer_case, args=(m, d, results))
           for m in PEERS]
threads.append(threading.Thread(target=fifo_case, args=(d, results)))
for t in threads:
    t.start()
for t in threads:
    t.join()
for mode, (needle, bound) in list(PEERS.items()) + [
        ("fifo", ("does anything write to it?", 40))]:
    r, took = results[mode]
    tap.ok(r.returncode != 0 and needle in r.stderr and
           r.stderr.count("\n") == 1 and r.stdout == "" and took < bound,
           "peer %s: one line within %d s" % (mode, bound),
           "%.1f s, exit %d: %s" % (took, r.returncode, r.stderr))
# A peer that serves dumps: a QMP import is checked like a file import.
sock = os.path.join(d, "file.sock")
peer = subprocess.Popen([sys.executable, os.path.join(here, "qmp-peer.py"),
                         "file", sock, os.path.join(forms, "info-mtree-o-D.txt"),
                         os.path.join(forms, "info-mtree-f.txt")])
for _ in range(100):
    if os.path.exists(sock):
        break
    time.sleep(0.05)
r = subprocess.run([gm, "mtree", "-f", "--import", "qmp:" + sock],
                   capture_output=True, text=True, timeout=60)
peer.kill()
peer.wait()
want = open(os.path.join(forms, "info-mtree-f.txt"), newline="").read()
tap.ok(r.returncode == 0 and r.stdout == want.replace("\r\n", "\n"),
       "peer serving a KVM VM's dumps: flat views as QEMU printed them",
       r.stderr + diff(want, r.stdout))
shutil.rmtree(d, ignore_errors=True)

if qemu is None:
    tap.skip("real QEMU", "qemu-system-x86_64 not installed (make deps installs it)")
else:
    for name, args, settle in CONFIGS:
        run_config(name, args, settle)
sys.exit(tap.done())
