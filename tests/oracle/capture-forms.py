#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""capture-forms.py DIR [--settle S] QEMU-ARGS...: start QEMU 7.2 with
QEMU-ARGS (plus -nodefaults -display none and a private QMP socket), and save
`info mtree` in every combination of -f, -d, -o and -D, exactly as QMP's
human-monitor-command returns it (CRLF line ends), one file each:
DIR/info-mtree[-f][-d][-o][-D].txt.  All sixteen come from one QMP session,
so that QEMU's hash-table order is the same in each.  With --settle S the
guest runs S seconds and is stopped before the capture.  DIR/cmdline.txt
records the command line.

    tests/oracle/capture-forms.py tests/oracle/data/pc-kvm-forms \\
        qemu-system-x86_64 -M pc -m 1G -S -accel kvm -device e1000
"""
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

FLAGS = ("-f", "-d", "-o", "-D")


def combos():
    for n in range(len(FLAGS) + 1):
        for c in itertools.combinations(FLAGS, n):
            yield c


def file_name(flags):
    return "info-mtree%s.txt" % "".join(flags)


def hmp(f, cmd):
    req = {"execute": "human-monitor-command",
           "arguments": {"command-line": cmd}}
    f.write(json.dumps(req).encode() + b"\n")
    f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r:
            return r["return"]
        if "error" in r:
            raise RuntimeError("%s: %s" % (cmd, r["error"]))


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    out, args = args[0], args[1:]
    settle = 0.0
    if args[:1] == ["--settle"]:
        settle, args = float(args[1]), args[2:]
    os.makedirs(out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="gm-capture-")
    sock = os.path.join(tmp, "qmp.sock")
    argv = args + ["-nodefaults", "-display", "none", "-qmp",
                   "unix:%s,server=on,wait=off" % sock]
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(60)
        s.connect(sock)
        f = s.makefile("rwb")
        json.loads(f.readline())
        f.write(b'{"execute": "qmp_capabilities"}\n')
        f.flush()
        json.loads(f.readline())
        if settle:
            time.sleep(settle)
            hmp(f, "stop")
        for flags in combos():
            text = hmp(f, " ".join(("info mtree",) + flags))
            with open(os.path.join(out, file_name(flags)), "wb") as o:
                o.write(text.encode())
        s.close()
    finally:
        p.kill()
        p.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    with open(os.path.join(out, "cmdline.txt"), "w") as o:
        o.write(" ".join(argv).replace(sock, "qmp.sock") + "\n")
        o.write("# captured %s\n" % ("after the guest ran %g s, then stop"
                                     % settle if settle else
                                     "with status prelaunch"))


if __name__ == "__main__":
    main()
