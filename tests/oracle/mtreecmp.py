# SPDX-License-Identifier: MIT
"""Helpers shared by the oracle tests: the canonical form of `info mtree`
output, the facts of a -f dump that a -D dump lacks, and a tiny TAP
reporter.

QEMU prints address-space groups, FlatView blocks and the AS lines inside a
block in hash-table order, which carries no meaning; everything else counts.
So a dump is compared as a sorted list of blocks, each block with its header
lines sorted and its region lines in order."""
import re
import sys

RANGE = re.compile(r'^( *)([0-9a-f]{16})-([0-9a-f]{16}) \(prio -?\d+, ([^)]+)\): (.*)$')


def canonical(text):
    blocks, head, body = [], [], []
    flat = "FlatView #" in text

    def flush():
        if head or body:
            blocks.append((tuple(sorted(head)), tuple(body)))

    for line in text.splitlines():
        line = line.rstrip()
        if not line:
            continue
        starts = line.startswith("FlatView #") if flat else \
            line.startswith(("address-space:", "memory-region:"))
        if starts:
            if body or (flat and head):
                flush()
                head, body = [], []
            if not flat:
                head.append(line)
        elif flat and line.startswith(" AS "):
            head.append(line)
        else:
            body.append(line)
    flush()
    return sorted(blocks)


def diff(expected, got):
    import difflib
    a = ["\n".join(h + b) for h, b in canonical(expected)]
    b = ["\n".join(h + b) for h, b in canonical(got)]
    return "".join(difflib.unified_diff("\n\n".join(a).splitlines(True),
                                        "\n\n".join(b).splitlines(True),
                                        "qemu", "guestmem", n=1))


def region_name(rest):
    m = re.match(r'^alias (.*) @\S+ [0-9a-f]+-[0-9a-f]+( \[disabled\])?$', rest)
    if m:
        return m.group(1), True
    return re.sub(r' \[disabled\]$', '', rest), False


def flat_facts(dump, flat):
    """What an importer needs from `info mtree -f` beside the -D dump: the
    flat lines of regions that have subregions, the `rom` lines of regions
    that are not ROM, and the childless i/o regions that never render."""
    parents, leaves, kinds = set(), set(), {}
    lines = dump.split("\n")
    parsed = [RANGE.match(l) for l in lines]
    for i, m in enumerate(parsed):
        if not m:
            continue
        name, is_alias = region_name(m.group(5))
        if is_alias:
            continue
        nxt = parsed[i + 1] if i + 1 < len(parsed) else None
        kinds.setdefault(name, set()).add(m.group(4))
        if nxt is not None and len(nxt.group(1)) > len(m.group(1)):
            parents.add(name)
        elif m.group(4) == "i/o":
            leaves.add(name)
    out, rendered = [], set()
    for line in flat.split("\n"):
        m = RANGE.match(line)
        if not m:
            out.append(line)
            continue
        name = m.group(5).split(" @")[0]
        rendered.add(name)
        if name in parents or (m.group(4) == "rom" and "rom" not in kinds.get(name, ())):
            out.append(line)
    out += ["# not rendered: " + n for n in sorted(leaves - rendered)]
    return "\n".join(out) + "\n"


class Tap:
    def __init__(self):
        self.n = self.passed = self.failed = self.skipped = 0

    def ok(self, cond, name, detail=""):
        self.n += 1
        if cond:
            self.passed += 1
            print("ok %d - %s" % (self.n, name))
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.n, name))
            for l in detail.splitlines()[:40]:
                print("# " + l)
        sys.stdout.flush()

    def skip(self, name, why):
        self.n += 1
        self.skipped += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, why))

    def done(self):
        print("1..%d" % self.n)
        tail = ", %d skipped" % self.skipped if self.skipped else ""
        print("# %d passed, %d failed%s" % (self.passed, self.failed, tail))
        return 1 if self.failed else 0
