#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test-oracle.py GUESTMEM DATADIR: guestmem against output captured from
the real QEMU 7.2 (tests/oracle/data/*/, one folder per configuration, made
by capture.sh; line 1 of cmdline.txt is the QEMU command line).

For every configuration:
  - `mtree -f`, `mtree -D` and `mtree` rebuilt from mtree-D.txt plus the -f
    facts must equal QEMU's (in the canonical sense of mtreecmp.py), given
    either the distilled facts or the whole -f dump;
  - guestmem's own distillation (`guestmem flat-hint`) must equal this
    script's;
and for every pc configuration captured before the guest ran with no extra
devices, `--machine` must build the same "memory" tree and flat view."""
import os
import re
import shlex
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mtreecmp import Tap, canonical, diff, flat_facts  # noqa: E402

gm, data = sys.argv[1], sys.argv[2]
tap = Tap()


def run(args):
    p = subprocess.run([gm] + args, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def group(text, header):
    """The block of `text` that has `header` among its header lines."""
    for head, body in canonical(text):
        if header in head:
            return head, body
    return None


def memory_flat(text):
    for head, body in canonical(text):
        if ' AS "memory", root: system' in head:
            return [l for l in body if not l.startswith(" Root")]
    return None


def ramblock_args(cmdline):
    """The --machine arguments for a pc configuration whose pc.ram, pc.bios
    and pc.rom blocks guestmem can reproduce: any pc, booted or not, with
    devices (they add their blocks after these), but no -object (a memory
    backend made before the machine takes its place in ram_addr_t space)."""
    argv = shlex.split(cmdline)
    if "-object" in argv or "-M" not in argv:
        return None
    spec = argv[argv.index("-M") + 1]
    if not re.match(r"^pc(-i440fx-[\d.]+)?(,|$)", spec):
        return None
    mem = argv[argv.index("-m") + 1] if "-m" in argv else "128M"
    extra = []
    if "-mem-path" in argv:
        extra += ["--mem-path", argv[argv.index("-mem-path") + 1]]
    if "-mem-prealloc" in argv:
        extra += ["--mem-prealloc"]
    return ["--machine", spec, "-m", mem] + extra


def pc_block_lines(text):
    return [l for l in text.splitlines()
            if "Block Name" in l or re.match(r"^ *pc\.(ram|bios|rom) ", l)]


def machine_args(cmdline):
    argv = shlex.split(cmdline)
    if "-S" not in argv or any(a in argv for a in ("-device", "-vga", "-object")):
        return None
    spec = argv[argv.index("-M") + 1]
    if not re.match(r"^pc(-i440fx-[\d.]+)?(,|$)", spec):
        return None
    mem = argv[argv.index("-m") + 1] if "-m" in argv else "128M"
    return ["--machine", spec, "-m", mem]


with tempfile.TemporaryDirectory() as tmp:
    for name in sorted(os.listdir(data)):
        d = os.path.join(data, name)
        if not os.path.exists(os.path.join(d, "mtree-D.txt")):
            continue
        dump = open(os.path.join(d, "mtree-D.txt")).read()
        flat = open(os.path.join(d, "mtree-f.txt")).read()
        hint = os.path.join(tmp, name + ".hint")
        facts = flat_facts(dump, flat)
        with open(hint, "w") as f:
            f.write(facts)
        rc, out, err = run(["flat-hint", os.path.join(d, "mtree-D.txt"),
                            os.path.join(d, "mtree-f.txt")])
        tap.ok(rc == 0 and out == facts, "%s: guestmem flat-hint" % name,
               err + diff(facts, out))
        for flatarg, label in ((hint, "facts"), (os.path.join(d, "mtree-f.txt"), "full -f")):
            for flag, expect in (("-f", "mtree-f.txt"), ("-D", "mtree-D.txt"),
                                 (None, "mtree.txt")):
                args = ["mtree"] + ([flag] if flag else []) + [
                    "--import", os.path.join(d, "mtree-D.txt"),
                    "--import-flat", flatarg]
                rc, out, err = run(args)
                want = open(os.path.join(d, expect)).read()
                tap.ok(rc == 0 and canonical(out) == canonical(want),
                       "%s: import (%s) mtree %s" % (name, label, flag or "(tree)"),
                       err + diff(want, out))
        margs = machine_args(open(os.path.join(d, "cmdline.txt")).readline())
        if margs:
            rc, out, err = run(["mtree", "-f"] + margs)
            want = memory_flat(flat)
            tap.ok(rc == 0 and memory_flat(out) == want,
                   "%s: %s flat view of \"memory\"" % (name, " ".join(margs)),
                   err + "\n".join(memory_flat(out) or []) + "\n---\n" + "\n".join(want))
            rc, out, err = run(["mtree", "-D"] + margs)
            want = group(dump, "address-space: memory")
            tap.ok(rc == 0 and group(out, "address-space: memory") == want,
                   "%s: %s tree of \"memory\"" % (name, " ".join(margs)),
                   err + "\n".join(str(group(out, "address-space: memory"))))
        rargs = ramblock_args(open(os.path.join(d, "cmdline.txt")).readline())
        rb = os.path.join(d, "ramblock.txt")
        if rargs and os.path.exists(rb):
            rc, out, err = run(["ramblock"] + rargs)
            want = pc_block_lines(open(rb).read())
            got = pc_block_lines(out)
            tap.ok(rc == 0 and len(want) == 4 and got == want,
                   "%s: %s info ramblock (pc.ram, pc.bios, pc.rom)" %
                   (name, " ".join(rargs)),
                   err + "\n".join(got) + "\n---\n" + "\n".join(want))
sys.exit(tap.done())
