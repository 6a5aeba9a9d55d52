#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test-map.py GUESTMEM DATADIR: `guestmem map` (docs/map.md), as TAP.

For `--machine pc -m 128M`, `--machine q35 -m 4G`, a captured QEMU 7.2
dump (DATADIR/pc-1G-booted, tree and flat dump) and a dump whose region
names hold markup (`<script>`, `&`, quotes, bytes that are not UTF-8):
  - the --svg output and the SVG inside the --html output parse as XML;
  - their boxes are the flat view that `guestmem mtree -f` prints, range
    for range, with the gaps between them, from 0 to the end of the
    address space; known ranges are there (pc.ram, pc.bios reached through
    isa-bios, pc.ram above 4 GiB through ram-above-4g);
  - the page's data (JSON in <script type="application/json">) parses and
    holds every box, with what `guestmem explain` prints for its start
    (checked against the tool for known ranges); hostile names come out as
    text: the HTML has two script elements (that data and map.js) and no
    element from a name, and the data has no '<';
  - --range LO-HI draws that window only: `mtree -f`'s ranges cut to it,
    the address spaces that end below LO left out;
  - chromium (Debian's package, headless) renders the HTML: the screenshot
    is not blank and holds the colours of RAM, ROM and MMIO, and the DOM
    after scripts ran (--dump-dom) holds the range labels.
Bad input: one line `guestmem: map: ...`, nothing written; status 2 and
`(see guestmem map --help)` for a usage error (an unknown option, neither
or both of --svg and --html, no model, a stray argument), status 1 for a
runtime error (an unknown address space, a missing dump, an unwritable
-o, a --range no address space reaches).  Clicking, zooming and the
explanation panel in a real browser: tests/map/test-map-browser.py.  The chromium checks are a loud SKIP where chromium is absent or
cannot start; every other check runs everywhere.
"""
import collections
import html.parser
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
import zlib

GM, DATA = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
SVG_NS = "{http://www.w3.org/2000/svg}"
results = []


def report(ok, name, detail=""):
    results.append(ok)
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), name))
    if not ok and detail:
        for line in str(detail).splitlines()[:40]:
            print("#   " + line)


def skip(name, why):
    results.append(True)
    print("ok %d - %s # SKIP %s" % (len(results), name, why))
    sys.stderr.write("SKIP %s: %s\n" % (name, why))


def gm(*args):
    return subprocess.run([GM] + list(args), capture_output=True,
                          timeout=120)


# ---------------------------------------------------------------------------
# The flat view as `guestmem mtree -f` prints it, for comparison.

def flat_views(model):
    """{AS name: [(start, last, name)]} from `guestmem mtree -f`."""
    p = gm("mtree", "-f", *model)
    views, current = {}, []
    # As the picture shows them: bytes that are not UTF-8 and control
    # characters are U+FFFD.
    text = "".join("\ufffd" if ord(c) < 0x20 and c != "\n" or c == "\x7f"
                   else c for c in p.stdout.decode("utf-8", "replace"))
    for raw in text.splitlines():
        if raw.startswith("FlatView #"):
            current = []
        elif raw.startswith(' AS "'):
            views[raw[5:raw.rindex('"')]] = current
        elif raw.startswith("  ") and " (prio " in raw:
            rng, rest = raw.strip().split(" ", 1)
            start, last = (int(x, 16) for x in rng.split("-"))
            name = rest.split("): ", 1)[1]
            if " @" in name and name.rsplit(" @", 1)[1].strip() and all(
                    c in "0123456789abcdef"
                    for c in name.rsplit(" @", 1)[1]):
                name = name.rsplit(" @", 1)[0]
            current.append((start, last, name))
    return views


def svg_segments(root):
    """{AS name: [seg dicts]} from a parsed SVG."""
    out = {}
    for col in root.iter(SVG_NS + "g"):
        if "as" not in (col.get("class") or "").split():
            continue
        segs = []
        for g in col.iter(SVG_NS + "g"):
            cls = (g.get("class") or "").split()
            if "seg" not in cls:
                continue
            segs.append(dict(start=int(g.get("data-start"), 16),
                             last=int(g.get("data-last"), 16),
                             gap="gap" in cls, ro="ro" in cls,
                             name=g.get("data-name"), via=g.get("data-via"),
                             kind=g.get("data-kind"), cls=cls,
                             has_box=g.find(SVG_NS + "rect") is not None))
        out[col.get("data-as")] = segs
    return out


def check_svg(title, svg_bytes, flat, ends, expect):
    """The SVG parses, each chosen address space is its flat view plus gaps
    covering 0..end, and each (as, start, name, via-part) in @expect is
    there."""
    try:
        root = ET.fromstring(svg_bytes)
    except ET.ParseError as e:
        report(False, title + ": parses as XML", e)
        return None
    report(root.tag == SVG_NS + "svg", title + ": parses as XML, <svg> root")
    segs = svg_segments(root)
    for as_name, end in ends.items():
        got = segs.get(as_name)
        if got is None:
            report(False, "%s: address space %s drawn" % (title, as_name),
                   "drawn: %s" % sorted(segs))
            continue
        ranges = [(s["start"], s["last"], s["name"]) for s in got
                  if not s["gap"]]
        want = flat.get(as_name, [])
        report(ranges == want,
               "%s: %s is the flat view of `mtree -f` (%d ranges)" %
               (title, as_name, len(want)),
               "\n".join("%r" % (x,) for x in
                         [("svg",) + r for r in ranges if r not in want] +
                         [("mtree",) + r for r in want if r not in ranges]))
        cover, nxt = True, 0
        for s in got:
            cover = cover and s["start"] == nxt and s["has_box"]
            nxt = s["last"] + 1
        report(cover and nxt == end,
               "%s: %s boxes cover 0-%x with the gaps between" %
               (title, as_name, end - 1))
    for as_name, start, name, via in expect:
        hit = [s for s in segs.get(as_name, [])
               if s["start"] == start and s["name"] == name and
               (via is None or via in (s["via"] or ""))]
        report(bool(hit), "%s: a box for %s at %#x%s" %
               (title, name, start, " via " + via if via else ""))
    return segs


class Elements(html.parser.HTMLParser):
    """The start tags and the text of an HTML document."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def elements(doc):
    p = Elements()
    p.feed(doc)
    p.close()
    return p


# Every element cmd-map.c and map.js write; a name that became markup adds
# others.
PAGE_TAGS = {"html", "head", "meta", "title", "style", "body", "div", "svg",
             "defs", "pattern", "rect", "text", "tspan", "g", "path",
             "section", "h2", "h3", "h4", "ul", "li", "span", "code", "i",
             "details", "summary", "script", "form", "label", "select",
             "option", "input", "button", "p", "pre"}


def own_elements(tags):
    return tags.count("script") == 2 and set(tags) <= PAGE_TAGS


def page_data(doc):
    """The page's JSON data, or None."""
    tag = '<script type="application/json" id="gm-data">'
    i = doc.find(tag)
    j = doc.find("</script>", i)
    if i < 0 or j < 0:
        return None, ""
    raw = doc[i + len(tag):j]
    try:
        return json.loads(raw), raw
    except ValueError:
        return None, raw


def check_data(title, doc, html_segs, model, explain_at):
    """The page's data: every drawn box, explanations for all of them (the
    pages tested are small) equal to `guestmem explain` at @explain_at."""
    data, raw = page_data(doc)
    report(data is not None and "<" not in raw,
           title + ": the page's data parses as JSON and holds no '<'")
    if data is None:
        return
    ok, missing = True, 0
    for col in data["cols"]:
        drawn = html_segs.get(col["name"], [])
        boxes = [(int(b["s"], 16), int(b["l"], 16), b.get("n"))
                 for b in col["segs"]]
        ok = ok and boxes == [(d["start"], d["last"], d["name"])
                              for d in drawn]
        missing += sum("x" not in b for b in col["segs"])
    report(ok and missing == 0 and data["explained"] == data["boxes"],
           "%s: the data holds every box drawn, each with its explanation"
           % title, "missing: %d" % missing)
    for as_name, addr in explain_at:
        want = gm("explain", "--as", as_name, "%#x" % addr,
                  *model).stdout.decode("utf-8", "replace")
        got = [b.get("x") for c in data["cols"] if c["name"] == as_name
               for b in c["segs"] if int(b["s"], 16) == addr]
        report(got == [want],
               "%s: the data's explanation of %s %#x is `guestmem explain`'s"
               % (title, as_name, addr), "%r\n%r" % (got, want))


def inline_svg(doc):
    i, j = doc.find("<svg"), doc.rfind("</svg>")
    return doc[i:j + 6].encode() if i >= 0 and j > i else b""


# ---------------------------------------------------------------------------
# Chromium

def find_chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def chromium(browser, profile, *args):
    return subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu",
         "--no-first-run", "--user-data-dir=" + profile] + list(args),
        capture_output=True, timeout=180)


def chromium_reason(browser, tmp):
    """None if headless chromium can render a page here, else why not."""
    if not browser:
        return ("chromium is absent (Debian package chromium; "
                "scripts/install-deps.sh installs it)")
    page = os.path.join(tmp, "probe.html")
    with open(page, "w") as f:
        f.write("<!DOCTYPE html><p id=probe>probe</p>")
    try:
        p = chromium(browser, os.path.join(tmp, "profile"), "--dump-dom",
                     "file://" + page)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "chromium cannot start: %s" % e
    if b'id="probe"' not in p.stdout:
        err = p.stderr.decode(errors="replace").strip().splitlines()
        return "chromium cannot start (status %d): %s" % (
            p.returncode, err[-1] if err else "no output")
    return None


def png_pixels(path):
    """(width, height, Counter of RGB tuples) of an 8-bit RGB or RGBA PNG,
    decoded with zlib alone."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("PNG form %d/%d/%d not decoded here" %
                         (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    prev = bytearray(stride)
    colours = collections.Counter()
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ft == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xff
        elif ft == 2:
            line = bytearray((a + b) & 0xff for a, b in zip(line, prev))
        elif ft == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xff
        elif ft == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 0xff
        colours.update(zip(line[0::bpp], line[1::bpp], line[2::bpp]))
        prev = line
    return w, h, colours


# Box fills of cmd-map.c's style.  The legend's swatches are 20x10 pixels
# inside their border; a box is at least 88x14, ROM hatched over a third.
FILLS = {"RAM": (0x7c, 0xc4, 0x7c), "ROM": (0x6f, 0xa8, 0xdc),
         "MMIO": (0xf6, 0xb2, 0x6b)}
BOX_PIXELS = 600


def render(title, browser, tmp, page, labels, fills, segs,
           shot_size="1800,1200"):
    """Screenshot and DOM of @page in headless chromium."""
    shot = os.path.join(tmp, "shot.png")
    if os.path.exists(shot):
        os.unlink(shot)
    p = chromium(browser, os.path.join(tmp, "profile"),
                 "--hide-scrollbars", "--screenshot=" + shot,
                 "--window-size=" + shot_size, "file://" + page)
    if not os.path.exists(shot):
        report(False, title + ": chromium takes a screenshot",
               p.stderr.decode(errors="replace"))
    else:
        try:
            w, h, colours = png_pixels(shot)
            missing = [k for k in fills if colours[FILLS[k]] < BOX_PIXELS]
            report(len(colours) > 1 and not missing,
                   "%s: the screenshot (%dx%d) is not blank and has boxes "
                   "of %s" % (title, w, h, ", ".join(fills)),
                   "%d colours; missing: %s (pixels: %s)" % (
                       len(colours), missing,
                       {k: colours[v] for k, v in FILLS.items()}))
        except (ValueError, zlib.error, struct.error, TypeError) as e:
            report(False, title + ": the screenshot decodes", e)
    p = chromium(browser, os.path.join(tmp, "profile"), "--dump-dom",
                 "file://" + page)
    dom = p.stdout.decode("utf-8", "replace")
    text = "".join(elements(dom).text)
    missing = [x for x in labels if x not in text]
    report(p.returncode == 0 and not missing,
           "%s: the rendered DOM holds the range labels" % title,
           "missing: %r" % missing)
    report('data-bound="%d"' % segs in dom,
           "%s: the page's script ran and bound the %d ranges" %
           (title, segs))
    return dom


# ---------------------------------------------------------------------------

HOSTILE_NAME = "<script>alert(1)</script> & \"q\" 's"
HOSTILE = (
    "address-space: memory\n"
    "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
    "    0000000000000000-0000000000000fff (prio 0, ram): %(n)s\n"
    "    0000000000001000-0000000000001fff (prio 0, i/o): a&b<c>\xff\x01]]>\n"
    "    0000000000002000-0000000000002fff (prio 0, ram): alias <b>al</b> "
    "@%(n)s 0000000000000000-0000000000000fff\n"
    "\n"
    "address-space: I/O\n"
    "  0000000000000000-000000000000ffff (prio 0, i/o): io\n"
    "\n"
    "memory-region: %(n)s\n"
    "  0000000000000000-0000000000000fff (prio 0, ram): %(n)s\n"
    "\n") % {"n": HOSTILE_NAME}


def main():
    tmp = tempfile.mkdtemp(prefix="test-map-")
    browser = find_chromium()
    no_browser = chromium_reason(browser, tmp)
    booted = os.path.join(DATA, "pc-1G-booted")
    hostile = os.path.join(tmp, "hostile&<x>.txt")
    with open(hostile, "wb") as f:
        f.write(HOSTILE.encode().replace(b"\xc3\xbf", b"\xff"))
    mem, io = 1 << 64, 1 << 16
    models = [
        ("pc -m 128M", ["--machine", "pc", "-m", "128M"],
         {"memory": mem, "I/O": io},
         [("memory", 0xe0000), ("memory", 0xfec01000), ("I/O", 0)],
         [("memory", 0, "pc.ram", "ram-below-4g"),
          ("memory", 0xc0000, "pc.rom", None),
          ("memory", 0xe0000, "pc.bios", "isa-bios"),
          ("memory", 0xfffc0000, "pc.bios", None),
          ("memory", 0xfec00000, "ioapic", None)],
         ["pc.ram", "pc.bios", "isa-bios", "ioapic",
          "00000000000e0000-00000000000fffff", "unassigned"],
         ["RAM", "ROM", "MMIO"]),
        ("q35 -m 4G", ["--machine", "q35", "-m", "4G"],
         {"memory": mem, "I/O": io}, [("memory", 0x100000000)],
         [("memory", 0x100000000, "pc.ram", "ram-above-4g"),
          ("memory", 0xe0000, "pc.bios", "isa-bios")],
         ["pc.ram", "ram-above-4g", "0000000100000000-000000017fffffff"],
         ["RAM", "ROM", "MMIO"]),
        ("QEMU dump pc-1G-booted",
         ["--import", os.path.join(booted, "mtree-D.txt"),
          "--import-flat", os.path.join(booted, "mtree-f.txt")],
         {"memory": mem, "I/O": io}, [("memory", 0xfebc0000), ("I/O", 0x60)],
         [("memory", 0xfd000000, "vga.vram", None),
          ("memory", 0xfebc0000, "e1000-mmio", None),
          ("I/O", 0x60, "i8042-data", None)],
         ["vga.vram", "e1000-mmio", "i8042-data", "kvmvapic-rom"],
         ["RAM", "ROM", "MMIO"]),
        ("hostile names", ["--import", hostile], {"memory": mem, "I/O": io},
         [],
         [("memory", 0, HOSTILE_NAME, None),
          ("memory", 0x2000, HOSTILE_NAME, "<b>al</b>")],
         [HOSTILE_NAME, "<b>al</b>", "a&b<c>"], ["RAM", "MMIO"]),
    ]
    if no_browser:
        sys.stderr.write("SKIP chromium checks: %s\n" % no_browser)
    for title, model, ends, explain_at, expect, labels, fills in models:
        flat = flat_views(model)
        p = gm("map", "--svg", *model)
        report(p.returncode == 0 and not p.stderr,
               title + ": --svg exits 0, nothing on stderr", p.stderr)
        check_svg(title + " --svg", p.stdout, flat, ends, expect)
        page = os.path.join(tmp, "map.html")
        p = gm("map", "--html", "-o", page, *model)
        report(p.returncode == 0 and not p.stdout and not p.stderr,
               title + ": --html -o FILE exits 0, prints nothing",
               p.stderr)
        doc = open(page, encoding="utf-8").read()
        html_segs = check_svg(title + " --html's SVG", inline_svg(doc), flat,
                              ends, []) or {}
        check_data(title, doc, html_segs, model, explain_at)
        parsed = elements(doc)
        text = "".join(parsed.text)
        report(own_elements(parsed.tags),
               title + ": the page's only scripts are its own, no element "
               "from a name", sorted(set(parsed.tags) - PAGE_TAGS))
        report(all(x in text for x in labels),
               title + ": the page's text holds the labels",
               [x for x in labels if x not in text])
        report("http:" not in doc.replace("http://www.w3.org/2000/svg", "")
               and "https:" not in doc and " src=" not in doc,
               title + ": the page loads nothing from outside")
        if "pc" in title and "QEMU" not in title:
            report("Region tree" in text and "ram-below-4g" in text,
                   title + ": the page has the region tree")
        if no_browser:
            skip(title + ": rendered by chromium", no_browser)
        else:
            dom = render(title, browser, tmp, page, labels, fills,
                         sum(len(v) for v in html_segs.values()))
            tags = elements(dom).tags
            report(own_elements(tags),
                   title + ": the rendered DOM has no element from a name",
                   sorted(set(tags) - PAGE_TAGS))

    # -I and -F, short for --import and --import-flat.
    long_form = gm("map", "--svg", "--import",
                   os.path.join(booted, "mtree-D.txt"), "--import-flat",
                   os.path.join(booted, "mtree-f.txt"))
    short_form = gm("map", "--svg", "-I", os.path.join(booted, "mtree-D.txt"),
                    "-F", os.path.join(booted, "mtree-f.txt"))
    report(short_form.returncode == 0 and
           short_form.stdout == long_form.stdout,
           "-I and -F draw what --import and --import-flat draw")

    # --as, and bad input.
    p = gm("map", "--svg", "--as", "I/O", "--machine", "pc")
    segs = svg_segments(ET.fromstring(p.stdout)) if p.returncode == 0 else {}
    report(list(segs) == ["I/O"], "--as I/O draws only I/O", list(segs))
    # --range: the window only, cut to it; I/O ends below 0xc0000.
    pc = ["--machine", "pc", "-m", "128M"]
    flat = flat_views(pc)
    for window, lo, hi, spaces in [
            ("0xc0000-0xfffff", 0xc0000, 0xfffff, ["memory"]),
            ("0xfd000000-0xfeffffff", 0xfd000000, 0xfeffffff, ["memory"]),
            ("0x60-0x1000", 0x60, 0x1000, ["memory", "I/O"])]:
        p = gm("map", "--svg", "--range", window, *pc)
        try:
            segs = svg_segments(ET.fromstring(p.stdout))
        except ET.ParseError:
            segs = {}
        good = p.returncode == 0 and list(segs) == spaces
        for as_name in spaces:
            got = segs.get(as_name, [])
            want = [(max(a, lo), min(b, hi), n) for a, b, n in flat[as_name]
                    if b >= lo and a <= hi]
            cover, nxt = True, lo
            for x in got:
                cover = cover and x["start"] == nxt
                nxt = x["last"] + 1
            good = good and cover and nxt == hi + 1 and want == [
                (x["start"], x["last"], x["name"]) for x in got
                if not x["gap"]]
        report(good, "--range %s draws %s, `mtree -f`'s ranges cut to the "
               "window" % (window, " and ".join(spaces)),
               "%r" % {k: [(x["start"], x["last"], x["name"]) for x in v]
                       for k, v in segs.items()})
    whole = svg_segments(ET.fromstring(gm("map", "--svg", *pc).stdout))
    p = gm("map", "--html", "--range", "0xc0000-0xfffff", *pc)
    doc = p.stdout.decode("utf-8", "replace")
    data, _ = page_data(doc)
    report(p.returncode == 0 and data is not None and
           [c["name"] for c in data["cols"]] == ["memory"] and
           data["cols"][0]["lo"] == "c0000" and
           len(data["cols"][0]["segs"]) == len(whole["memory"]) and
           len(svg_segments(ET.fromstring(inline_svg(doc)))["memory"]) == 2,
           "--html --range: the picture is the window, the data the whole "
           "flat view (the page zooms out)")
    # A huge import: explanations for the first 4096 boxes, and the page
    # says so.
    big = os.path.join(tmp, "big.txt")
    with open(big, "w") as f:
        f.write("address-space: memory\n"
                "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n")
        for i in range(5000):
            f.write("    %016x-%016x (prio 0, ram): r%d\n" %
                    (i * 0x2000, i * 0x2000 + 0xfff, i))
    p = gm("map", "--html", "--import", big)
    doc = p.stdout.decode("utf-8", "replace")
    data, _ = page_data(doc)
    segs = data["cols"][0]["segs"] if data else []
    report(p.returncode == 0 and data is not None and
           data["boxes"] == 10000 and data["explained"] == 4096 and
           sum("x" in b for b in segs) == 4096 and "x" in segs[4095] and
           "x" not in segs[4096] and
           "The explanations of 4096 of the 10000 boxes" in doc,
           "a huge import: explanations of the first 4096 boxes, and the "
           "page says so")
    out = os.path.join(tmp, "untouched.svg")
    for args, status, why in [
            (["--svg", "--as", "nope", "--machine", "pc", "-o", out], 1,
             "an unknown address space"),
            (["--machine", "pc"], 2, "neither --svg nor --html"),
            (["--svg", "--html", "--machine", "pc"], 2, "both"),
            (["--svg"], 2, "no model"),
            (["--svg", "--import", os.path.join(tmp, "absent")], 1,
             "a dump that does not exist"),
            (["--svg", "--machine", "pc", "-o",
              os.path.join(tmp, "no", "dir.svg")], 1, "an unwritable -o"),
            (["--svg", "--machine", "pc", "stray"], 2, "a stray argument"),
            (["--svg", "--bogus", "--machine", "pc"], 2, "an unknown option"),
            (["--svg", "--range", "0xfffff-0xc0000", "--machine", "pc"], 2,
             "a --range whose LO is above HI"),
            (["--svg", "--range", "0xc0000", "--machine", "pc"], 2,
             "a --range without HI"),
            (["--svg", "--range", "0xc0000-zz", "--machine", "pc"], 2,
             "a --range that does not parse"),
            (["--svg", "--as", "I/O", "--range", "0x10000-0x20000",
              "--machine", "pc", "-o", out], 1,
             "a --range no address space reaches"),
    ]:
        p = gm("map", *args)
        err = p.stderr.decode(errors="replace")
        usage = err.endswith(" (see guestmem map --help)\n")
        good = (p.returncode == status and not p.stdout and
                err.count("\n") == 1 and err.startswith("guestmem: map: ") and
                usage == (status == 2))
        report(good and not os.path.exists(out),
               "%s: status %d, one line%s" % (
                   why, status, " (see --help)" if status == 2 else ""),
               "status %d, stderr %r" % (p.returncode, err))
    p = gm("map", "--help")
    report(p.returncode == 0 and b"usage: guestmem map" in p.stdout,
           "--help prints the usage")

    shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % len(results))
    return 0 if all(results) else 1


sys.exit(main())
