#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test-forms.py GUESTMEM DATADIR: every form of `info mtree` that QEMU 7.2
prints, as its QMP socket delivers it (CRLF line ends), imported and printed
again byte for byte.

Each DATADIR/*-forms/ folder holds the sixteen combinations of -f, -d, -o
and -D from one QEMU session (capture-forms.py).  For each:
  - every tree dump made with -D (with or without -d, -o), with every flat
    dump (with or without -d, -o; KVM marks where the VM ran under KVM),
    imports, and prints exactly what QEMU printed: the tree with -D, the
    tree without, the flat views (in QEMU's order, with its " KVM" marks),
    and with -o the owners; -f -d gives QEMU's ranges (the dispatch
    structure below them is guestmem's own);
  - the same with LF line ends, and without the flat dump (-D only);
  - a plain tree dump (no -D) either imports and prints again exactly, or
    is refused with one line on stderr and a non-zero exit;
  - a flat dump given as the tree is refused the same way, and so is
    -o asked of a dump made without it."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtreecmp import Tap  # noqa: E402

gm, data = sys.argv[1], sys.argv[2]
tap = Tap()
FLAGS = ("-f", "-d", "-o", "-D")


def name(flags):
    return "info-mtree%s.txt" % "".join(f for f in FLAGS if f in flags)


def lf(text):
    return text.replace("\r\n", "\n")


def run(args):
    p = subprocess.run([gm] + args, capture_output=True, text=True,
                       timeout=120)
    return p.returncode, p.stdout, p.stderr


def ranges_only(text):
    """-f -d output without the dispatch sections."""
    out, skip = [], False
    for line in lf(text).split("\n"):
        if line == "  Dispatch":
            skip = True
        elif not line:
            skip = False
        if not skip:
            out.append(line)
    return "\n".join(out)


def first_diff(want, got):
    w, g = lf(want).split("\n"), got.split("\n")
    for i in range(max(len(w), len(g))):
        a = w[i] if i < len(w) else "(end)"
        b = g[i] if i < len(g) else "(end)"
        if a != b:
            return "line %d:\n  qemu:     %s\n  guestmem: %s" % (i + 1, a, b)
    return ""


def one_line_refusal(rc, out, err):
    return rc != 0 and out == "" and err.count("\n") == 1 and \
        err.startswith("guestmem: ")


def check_prints(d, label, args, owners):
    """The prints of one import against QEMU's captures."""
    o = ["-o"] if owners else []
    for flags, cmp in ((["-D"], None), ([], None), (["-f"], None),
                       (["-f", "-d"], ranges_only)):
        rc, out, err = run(["mtree"] + flags + o + args)
        want = open(os.path.join(d, name(flags + o)), newline="").read()
        if cmp:
            ok = rc == 0 and cmp(out) == cmp(want)
            why = err + first_diff(cmp(want), cmp(out))
        else:
            ok = rc == 0 and out == lf(want)
            why = err + first_diff(want, out)
        tap.ok(ok, "%s: mtree %s" % (label, " ".join(flags + o) or "(tree)"),
               why)


with tempfile.TemporaryDirectory() as tmp:
    for cfg in sorted(os.listdir(data)):
        d = os.path.join(data, cfg)
        if not cfg.endswith("-forms"):
            continue
        trees_d = [f for f in (["-D"], ["-d", "-D"], ["-o", "-D"],
                               ["-d", "-o", "-D"])]
        flats = [["-f"] + x for x in ([], ["-d"], ["-o"], ["-d", "-o"],
                                      ["-D"], ["-d", "-D"], ["-o", "-D"],
                                      ["-d", "-o", "-D"])]
        for t in trees_d:
            for fl in flats:
                args = ["--import", os.path.join(d, name(t)),
                        "--import-flat", os.path.join(d, name(fl))]
                check_prints(d, "%s: %s + %s" % (cfg, name(t), name(fl)),
                             args, "-o" in t)
        # LF line ends, and no flat dump at all.
        for t in (["-o", "-D"], ["-D"]):
            lfd = os.path.join(tmp, cfg + "-lf" + "".join(t) + ".txt")
            lff = os.path.join(tmp, cfg + "-lf-f.txt")
            with open(lfd, "w") as f:
                f.write(lf(open(os.path.join(d, name(t)), newline="").read()))
            with open(lff, "w") as f:
                f.write(lf(open(os.path.join(d, name(["-f"])),
                                newline="").read()))
            check_prints(d, "%s: LF %s + LF -f" % (cfg, name(t)),
                         ["--import", lfd, "--import-flat", lff], "-o" in t)
        for t in trees_d:
            rc, out, err = run(["mtree", "-D"] + (["-o"] if "-o" in t else [])
                               + ["--import", os.path.join(d, name(t))])
            want = open(os.path.join(d, name(t)), newline="").read()
            tap.ok(rc == 0 and out == lf(want),
                   "%s: %s alone, printed again" % (cfg, name(t)),
                   err + first_diff(want, out))
        # Plain trees: exact, or refused in one line.
        for t in ([], ["-d"], ["-o"], ["-d", "-o"]):
            for fl in (None, ["-f"]):
                args = ["--import", os.path.join(d, name(t))]
                if fl:
                    args += ["--import-flat", os.path.join(d, name(fl))]
                rc, out, err = run(["mtree"] + (["-o"] if "-o" in t else [])
                                   + args)
                want = open(os.path.join(d, name(t)), newline="").read()
                tap.ok(one_line_refusal(rc, out, err) or
                       (rc == 0 and out == lf(want)),
                       "%s: plain %s%s: exact or refused" %
                       (cfg, name(t), " + -f" if fl else ""),
                       err + out[:2000])
        # The flat form is not a tree; -o needs owners.
        for fl in flats:
            rc, out, err = run(["mtree", "--import", os.path.join(d, name(fl))])
            tap.ok(one_line_refusal(rc, out, err) and "info mtree -f" in err,
                   "%s: %s as the tree: refused" % (cfg, name(fl)), err)
        rc, out, err = run(["mtree", "-o", "--import",
                            os.path.join(d, name(["-D"]))])
        tap.ok(one_line_refusal(rc, out, err) and "-o" in err,
               "%s: -o of a dump without owners: refused" % cfg, err)
        rc, out, err = run(["mtree", "--import", os.path.join(d, name(["-D"])),
                            "--import-flat", os.path.join(d, name(["-D"]))])
        tap.ok(one_line_refusal(rc, out, err) and "flat dump" in err,
               "%s: a tree as the flat dump: refused" % cfg, err)
sys.exit(tap.done())
