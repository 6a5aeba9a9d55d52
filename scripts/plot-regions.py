#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""plot-regions.py TSV SVG: draws, from guestmem-bench's --tsv output, the
cost against the number of regions (1 to 100,000): a dependent 4-byte read
(guestmem and the plain chase over the same host pages) and the cost of
adding one region with one commit.
plot-regions.py --commit TSV SVG: from commit-bench's --tsv output, one
change (one commit) against the regions in the view (10 to 1,000,000),
beside vm-memory's insert_region and Unicorn's uc_mem_map.
Plain SVG, no plotting library."""
import math
import sys


def load(path):
    series = {}
    for line in open(path):
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 3 or not parts[0].startswith("sweep_"):
            continue
        _, n, what = parts[0].split("_", 2)
        series.setdefault(what, []).append((int(n), float(parts[1])))
    return {k: sorted(v) for k, v in series.items()}


def panel(out, x0, title, unit, lines, xmin=1, xmax=100000):
    """One log-log panel 420x300 at x offset x0; lines: (label, colour, pts)."""
    w, h, left, top = 420, 300, 60, 40
    pts = [p for _, _, ps in lines for p in ps if p[1] > 0]
    ymin = 10 ** math.floor(math.log10(min(y for _, y in pts)))
    ymax = 10 ** math.ceil(math.log10(max(y for _, y in pts)))
    if ymax <= ymin:
        ymax = ymin * 10

    def px(x):
        return x0 + left + (math.log10(x) - math.log10(xmin)) / (
            math.log10(xmax) - math.log10(xmin)) * (w - left - 20)

    def py(y):
        return top + (1 - (math.log10(y) - math.log10(ymin)) / (
            math.log10(ymax) - math.log10(ymin))) * (h - top - 50)

    out.append(f'<text x="{x0 + w / 2}" y="20" text-anchor="middle" '
               f'font-weight="bold">{title}</text>')
    out.append(f'<rect x="{x0 + left}" y="{top}" width="{w - left - 20}" '
               f'height="{h - top - 50}" fill="none" stroke="#888"/>')
    x = xmin
    while x <= xmax:
        out.append(f'<text x="{px(x):.1f}" y="{h - 32}" text-anchor="middle" '
                   f'font-size="11">{x:,}</text>')
        x *= 10
    y = ymin
    while y <= ymax * 1.0001:
        out.append(f'<line x1="{x0 + left}" x2="{x0 + w - 20}" y1="{py(y):.1f}" '
                   f'y2="{py(y):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 + left - 4}" y="{py(y) + 4:.1f}" '
                   f'text-anchor="end" font-size="11">{y:g}</text>')
        y *= 10
    out.append(f'<text x="{x0 + w / 2}" y="{h - 12}" text-anchor="middle" '
               f'font-size="12">regions</text>')
    out.append(f'<text x="{x0 + 14}" y="{top + (h - top - 50) / 2}" '
               f'font-size="12" transform="rotate(-90 {x0 + 14} '
               f'{top + (h - top - 50) / 2})" text-anchor="middle">{unit}'
               f'</text>')
    for i, (label, colour, ps) in enumerate(lines):
        ps = [p for p in ps if p[1] > 0]
        path = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in ps)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                   f'stroke-width="2"/>')
        for a, b in ps:
            out.append(f'<circle cx="{px(a):.1f}" cy="{py(b):.1f}" r="3" '
                       f'fill="{colour}"/>')
        out.append(f'<text x="{x0 + left + 8}" y="{top + 16 + 14 * i}" '
                   f'font-size="12" fill="{colour}">{label}</text>')


def commit_plot(tsv, svg):
    series = {}
    for line in open(tsv):
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 3 or not parts[0].startswith("commit_"):
            continue
        key, v = parts[0], float(parts[1])
        for name in ("none", "kvm", "unicorn", "vmmem"):
            pre = "commit_" + name + "_"
            if key.startswith(pre):
                rest = key[len(pre):]
                n, _, op = rest.partition("_")
                if n.isdigit() and v > 0:
                    series.setdefault((name, op), []).append((int(n), v))
    s = {k: sorted(v) for k, v in series.items()}
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="860" height="300" '
           'font-family="sans-serif" font-size="13">',
           '<rect width="100%" height="100%" fill="white"/>']
    panel(out, 0, "add one region (one commit)", "us",
          [("guestmem", "#c0392b", s.get(("none", "add"), [])),
           ("guestmem, KVM-style listener", "#e67e22",
            s.get(("kvm", "add"), [])),
           ("vm-memory insert_region", "#2980b9", s.get(("vmmem", ""), [])),
           ("Unicorn uc_mem_map", "#27ae60", s.get(("unicorn", ""), []))],
          xmin=10, xmax=1000000)
    panel(out, 430, "other changes, guestmem", "us",
          [(op.replace("_", " "), c, s.get(("none", op), []))
           for op, c in (("move", "#8e44ad"), ("enable_disable", "#16a085"),
                         ("read_only", "#7f8c8d"),
                         ("alias_offset", "#d35400"))],
          xmin=10, xmax=1000000)
    out.append("</svg>")
    open(svg, "w").write("\n".join(out) + "\n")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--commit":
        commit_plot(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) != 3:
        sys.exit("usage: plot-regions.py BENCH.TSV OUT.SVG")
    s = load(sys.argv[1])
    if "gm_chase" not in s:
        sys.exit("plot-regions: no sweep_* figures in " + sys.argv[1])
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="860" height="300" '
           'font-family="sans-serif" font-size="13">',
           '<rect width="100%" height="100%" fill="white"/>']
    panel(out, 0, "dependent 4-byte read", "ns per read",
          [("guestmem", "#c0392b", s["gm_chase"]),
           ("plain load, same pages", "#2c3e50", s["plain_chase"])])
    panel(out, 430, "add one region (one commit)", "us",
          [("guestmem", "#c0392b", s["add_one"])])
    out.append("</svg>")
    open(sys.argv[2], "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
