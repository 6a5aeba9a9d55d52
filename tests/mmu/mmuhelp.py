# SPDX-License-Identifier: MIT
"""mmuhelp.py - what the MMU test scripts (test-guests.py, test-linux.py)
share: TAP output, and a client for a live QEMU's QMP socket."""
import json
import socket
import sys


class Tap:
    """TAP lines on stdout; done() prints the plan and exits 1 on failure."""

    def __init__(self, detail_lines=30):
        self.n = 0
        self.failed = 0
        self.detail_lines = detail_lines

    def ok(self, cond, what, detail=None):
        self.n += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, what))
        if not cond:
            self.failed += 1
            for line in (detail or "").splitlines()[:self.detail_lines]:
                print("#   " + line)
        sys.stdout.flush()

    def done(self):
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)


class Qmp:
    """One QMP connection: the handshake, commands, HMP lines (timeout in
    seconds for every read)."""

    def __init__(self, path, timeout):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.f = self.s.makefile("rw")
        json.loads(self.f.readline())
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        req = {"execute": name}
        if args:
            req["arguments"] = args
        self.f.write(json.dumps(req) + "\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "error" in r:
                raise RuntimeError("%s: %s" % (name, r["error"]))
            if "return" in r:
                return r["return"]

    def hmp(self, line):
        return self.cmd("human-monitor-command",
                        **{"command-line": line}).replace("\r\n", "\n")
