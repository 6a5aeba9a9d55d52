#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test-cli.py GUESTMEM: the command line of `guestmem`, as TAP.

- Help: `guestmem help CMD` prints what `guestmem CMD --help` prints, for
  every command of the overview (the table of main.c), on stdout with
  exit status 0; `guestmem help` prints the overview.
- Usage errors (unknown options, missing values, wrong arguments, options
  that do not go together, values that do not parse) of every command:
  exactly one line on stderr, `guestmem: CMD: ... (see guestmem CMD
  --help)`, nothing on stdout, exit status 2.
- Runtime errors (missing files, a model that cannot be built): one line,
  `guestmem: CMD: ...`, exit status 1.
- `--machine pc,smm=off` (QEMU 7.2 builds the same map as `pc`), the
  minimum -m of `run`'s demo guest, and `explain`'s label for addresses
  served through the isa-bios alias.
"""
import os
import re
import subprocess
import sys
import tempfile

GM = os.path.abspath(sys.argv[1])
results = []


def report(ok, name, detail=""):
    results.append(bool(ok))
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), name))
    if not ok and detail:
        for line in detail.splitlines()[:40]:
            print("#   " + line)


def gm(args, timeout=120):
    p = subprocess.run([GM] + args, capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def show(rc, out, err):
    return "exit %d\n--- stdout\n%s--- stderr\n%s" % (rc, out[:2000], err)


def commands():
    """The commands of the overview (main.c's table)."""
    rc, out, _ = gm(["--help"])
    names, inside = [], False
    for line in out.splitlines():
        if line == "commands:":
            inside = True
        elif inside and not line.strip():
            break
        elif inside:
            names.append(line.split()[0])
    return [n for n in names if n != "help"]


def usage_error(args, cmd, pattern, title=None):
    rc, out, err = gm(args)
    lines = err.splitlines()
    prefix = "guestmem: %s: " % cmd if cmd else "guestmem: "
    hint = " (see guestmem %s--help)" % (cmd + " " if cmd else "")
    ok = (rc == 2 and out == "" and len(lines) == 1 and
          lines[0].startswith(prefix) and lines[0].endswith(hint) and
          re.search(pattern, lines[0]))
    report(ok, title or "usage error: guestmem %s -> one line, status 2" %
           " ".join(args), show(rc, out, err))


def runtime_error(args, cmd, pattern):
    rc, out, err = gm(args)
    lines = err.splitlines()
    ok = (rc == 1 and out == "" and len(lines) == 1 and
          lines[0].startswith("guestmem: %s: " % cmd) and
          re.search(pattern, lines[0]))
    report(ok, "runtime error: guestmem %s -> one line, status 1" %
           " ".join(args), show(rc, out, err))


def help_texts():
    cmds = commands()
    report(len(cmds) >= 9 and "mtree" in cmds and "gva2gpa" in cmds,
           "the overview lists the commands", " ".join(cmds))
    rc, overview, err = gm(["help"])
    rc2, overview2, _ = gm(["--help"])
    report(rc == 0 and rc2 == 0 and overview == overview2 and err == "",
           "guestmem help prints the overview, as --help does")
    for c in cmds:
        rc, out, err = gm([c, "--help"])
        rc2, out2, err2 = gm(["help", c])
        report(rc == 0 and rc2 == 0 and out.startswith("usage: guestmem " + c)
               and out == out2 and err == "" and err2 == "",
               "guestmem help %s prints guestmem %s --help" % (c, c),
               show(rc, out, err) + show(rc2, out2, err2))
    usage_error(["help", "no-such-command"], None,
                r"^guestmem: help: unknown command 'no-such-command'")
    usage_error(["help", "mtree", "explain"], None, r"help: give one command")
    usage_error([], None, r"give a command")
    usage_error(["no-such-command"], None, r"unknown command 'no-such-command'")
    usage_error(["--no-such-option"], None,
                r"unknown option '--no-such-option'")
    return cmds


def usage_errors(cmds):
    for c in cmds:
        usage_error([c, "--no-such-option"], c,
                    r"unknown option '--no-such-option'")
        usage_error([c, "-Z"], c, r"unknown option '-Z'")
        usage_error([c, "--help=yes"], c, r"option '--help' takes no value")
    model = ["--machine", "pc"]
    cases = [
        (["mtree", "--machine"], r"option '--machine' needs a value"),
        (["mtree", "-m"], r"option '-m' needs a value"),
        (["mtree"], r"give exactly one of --import FILE and --machine TYPE"),
        (["mtree", "-d"] + model, r"-d goes with -f"),
        (["mtree", "extra"] + model, r"unexpected argument 'extra'"),
        (["mtree", "--machine", "q99"], r"--machine: unknown machine type"),
        (["mtree", "--machine", "pc,smm=maybe"], r"smm: 'on', 'off' or 'auto'"),
        (["mtree", "--machine", "pc,frob=1"], r"unknown machine option"),
        (["mtree", "--machine", "pc", "-m", "1.5"], r"-m 1.5: a number"),
        (["mtree", "--import", "x", "-m", "1G"], r"go with --machine"),
        (["mtree", "--import-flat", "x", "--machine", "pc"],
         r"--import-flat goes with --import"),
        (["mtree", "--import", "qmp:/x", "--import-flat", "y"],
         r"--import-flat is not used with qmp:"),
        (["ramblock", "--machine", "pc", "--mem-path", "/tmp", "--memfd"],
         r"exclude each other"),
        (["explain"] + model, r"give exactly one address, not 0"),
        (["explain"] + model + ["1", "2"], r"give exactly one address, not 2"),
        (["explain"] + model + ["zz"], r"bad address 'zz'"),
        (["explain", "--as"], r"option '--as' needs a value"),
        (["e820"], r"--machine TYPE is required"),
        (["e820", "--import", "x"], r"this needs --machine, not --import"),
        (["e820"] + model + ["junk"], r"unexpected argument 'junk'"),
        (["ramblock"], r"--machine TYPE is required"),
        (["flat-hint"], r"give two files, MTREE-D.txt and MTREE-F.txt, not 0"),
        (["flat-hint", "a"], r"not 1"),
        (["flat-hint", "-x", "a", "b"], r"unknown option '-x'"),
        (["run", "--accel", "tcg"], r"--accel: 'kvm' or 'emu', not 'tcg'"),
        (["run", "--timeout", "soon"], r"--timeout: whole seconds"),
        (["run", "--import", "x"], r"runs a --machine, not an --import"),
        (["run", "extra"], r"unexpected argument 'extra'"),
        (["run", "--machine", "q35"], r"on q35 give --bios FILE"),
        (["run", "--machine", "q99"], r"unknown machine type 'q99'"),
        (["tlb"], r"--core FILE is required"),
        (["tlb", "--core", "x", "extra"], r"unexpected argument 'extra'"),
        (["tlb", "--cpu", "x"], r"bad --cpu 'x'"),
        (["mem", "--cr3", "-1"], r"bad --cr3 '-1'"),
        (["mem", "--core", "x", "--paging", "7"], r"--paging takes 32, pae"),
        (["gva2gpa", "--core", "x"], r"give an address"),
        (["gva2gpa", "--core", "x", "zz"], r"bad address 'zz'"),
        (["map"] + model, r"give one of --svg and --html"),
        (["map", "--svg", "--html"] + model, r"give one of --svg and --html"),
        (["map", "--svg"], r"give exactly one of --import FILE and --machine"),
        (["map", "--svg", "-o"], r"option '-o' needs a value"),
        (["map", "--svg", "stray"] + model, r"unexpected argument 'stray'"),
        (["map", "--svg", "--machine", "q99"], r"--machine: unknown machine"),
        (["map", "--svg", "--import", "x", "-m", "1G"], r"go with --machine"),
    ]
    for args, pattern in cases:
        usage_error(args, args[0], pattern)


def runtime_errors():
    with tempfile.TemporaryDirectory() as d:
        missing = os.path.join(d, "missing.txt")
        runtime_error(["mtree", "--import", missing], "mtree",
                      r"No such file")
        runtime_error(["explain", "--import", missing, "0"], "explain",
                      r"No such file")
        runtime_error(["flat-hint", missing, missing], "flat-hint",
                      r"cannot read")
        runtime_error(["tlb", "--core", missing], "tlb", r"No such file")
        runtime_error(["gva2gpa", "--core", missing, "0"], "gva2gpa",
                      r"No such file")
        runtime_error(["ramblock", "--machine", "pc", "--bios", missing],
                      "ramblock", r"could not load PC BIOS")
        runtime_error(["explain", "--machine", "pc", "--as", "nowhere", "0"],
                      "explain", r"no address space named 'nowhere'")
        runtime_error(["map", "--svg", "--import", missing], "map",
                      r"No such file")
        runtime_error(["map", "--svg", "--machine", "pc", "--as", "nowhere"],
                      "map", r"no address space 'nowhere'")
        runtime_error(["map", "--svg", "--machine", "pc", "-o",
                       os.path.join(d, "no", "dir.svg")], "map",
                      r"No such file")


def smm():
    rc, want, err = gm(["mtree", "-f", "--machine", "pc", "-m", "1G"])
    for spec in ("pc,smm=off", "pc,smm=on", "pc-i440fx-7.2,smm=auto"):
        rc2, got, err2 = gm(["mtree", "-f", "--machine", spec, "-m", "1G"])
        report(rc == 0 and rc2 == 0 and got == want and "cpu-smm-0" in got,
               "--machine %s builds pc's map (as QEMU 7.2 does)" % spec,
               err + err2)
    rc, out, err = gm(["mtree", "-D", "--machine", "pc,smm=off"])
    report(rc == 0 and "smram-region" in out and "smram-low" in out,
           "pc,smm=off keeps smram-region and the smram container", err)


def run_minimum():
    usage_error(["run", "-m", "2M"], "run",
                r"-m 2M: the built-in demo guest needs at least 4 MiB of RAM "
                r".*give -m 4M or more",
                "run -m 2M: one line naming the demo guest's minimum")
    usage_error(["run", "-m", "1B"], "run", r"at least 4 MiB",
                "run -m 1B: the same")
    rc, out, err = gm(["run", "--accel", "emu", "-m", "4M", "--timeout",
                       "60"])
    report(rc == 0 and "all checks passed" in out,
           "run -m 4M (the minimum): the demo guest passes", show(rc, out, err))


def explain_isa_bios():
    for machine in ("pc", "q35"):
        for addr, off in (("0xe0000", "0x20000"), ("0xffff0", "0x3fff0")):
            rc, out, err = gm(["explain", "--machine", machine, addr])
            want = [
                "alias: 'isa-bios' is the alias of 'pc.bios' at offset "
                "0x20000 (it shows 'pc.bios' 0x20000-0x3ffff at "
                "00000000000e0000-00000000000fffff)\n",
                "served by 'pc.bios' at offset %s (read-only), through "
                "alias 'pam-pci' of 'pci' at offset " % off,
                "then alias 'isa-bios' of 'pc.bios' at offset 0x20000\n",
            ]
            missing = [w for w in want if w not in out]
            report(rc == 0 and not missing,
                   "explain --machine %s %s: served through the alias "
                   "isa-bios of pc.bios at offset 0x20000" % (machine, addr),
                   "missing: %r\n%s" % (missing, show(rc, out, err)))
    rc, out, err = gm(["explain", "--machine", "pc", "0xfffffff0"])
    report(rc == 0 and "served by 'pc.bios' at offset 0x3fff0 (read-only)\n"
           in out and "isa-bios' is the alias" not in out,
           "explain --machine pc 0xfffffff0: pc.bios itself, no alias",
           show(rc, out, err))


cmds = help_texts()
usage_errors(cmds)
runtime_errors()
smm()
run_minimum()
explain_isa_bios()
print("1..%d" % len(results))
passed = sum(results)
print("# %d passed, %d failed" % (passed, len(results) - passed))
sys.exit(0 if all(results) else 1)
