#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test-map-browser.py GUESTMEM OUTDIR: `guestmem map --html` in a real
browser (docs/map.md), as TAP.

Debian's chromium, headless, driven by chromedriver (chromium-driver)
through python3-selenium, loads the page of `--machine pc -m 128M` and:
  - the page's script ran, bound every box, and logged no error;
  - a click on pc.bios at 0xe0000 (reached through isa-bios) shows in the
    panel the text `guestmem explain --machine pc -m 128M 0xe0000` prints
    (compared with whitespace normalised), and keeps it there when the
    pointer leaves; pointing at another box shows that one's;
  - zoomed to 0xc0000-0xfffff with the form, the memory column draws
    exactly the ranges of `guestmem mtree -f` in that window (cut to it),
    with gaps between, and the I/O column is untouched; a bad address is
    refused with a message;
  - a double click zooms to a range, a drag along the bar to the ranges
    dragged over, the wheel over the bar zooms in around the pointer and
    out again, and Reset draws the whole flat view again;
the same click for q35 -m 1G; and for a dump whose names hold markup, the
explanation and the zoomed boxes show the names as text and add no element.
Screenshots are kept in OUTDIR (map-pc.png, map-pc-zoom.png, map-q35.png:
docs/map-pc.png and docs/map-q35.png are copies of the first and last).
Where selenium, chromium or chromedriver is absent or cannot start, the
whole test is a loud SKIP (TAP `1..0 # SKIP`, and the reason on stderr).
"""
import os
import subprocess
import sys
import tempfile
import time

GM, OUT = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
results = []


def report(ok, name, detail=""):
    results.append(bool(ok))
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), name))
    if not ok and detail:
        for line in str(detail).splitlines()[:40]:
            print("#   " + line)
    sys.stdout.flush()


def skip_all(why):
    print("1..0 # SKIP %s" % why)
    sys.stderr.write("SKIP test-map-browser: %s\n" % why)
    sys.exit(0)


def gm(*args):
    p = subprocess.run([GM] + list(args), capture_output=True, timeout=120)
    return p.stdout.decode("utf-8", "replace")


def norm(text):
    return " ".join(text.split())


def flat_view(model, as_name="memory"):
    """[(start, last, name)] of @as_name from `guestmem mtree -f`."""
    view, current = {}, []
    for raw in gm("mtree", "-f", *model).splitlines():
        if raw.startswith("FlatView #"):
            current = []
        elif raw.startswith(' AS "'):
            view[raw[5:raw.rindex('"')]] = current
        elif raw.startswith("  ") and " (prio " in raw:
            rng, rest = raw.strip().split(" ", 1)
            start, last = (int(x, 16) for x in rng.split("-"))
            name = rest.split("): ", 1)[1]
            tail = name.rsplit(" @", 1)
            if len(tail) == 2 and tail[1] and all(
                    c in "0123456789abcdef" for c in tail[1]):
                name = tail[0]
            current.append((start, last, name))
    return view.get(as_name, [])


def in_window(view, lo, hi):
    return [(max(s, lo), min(e, hi), n) for s, e, n in view
            if e >= lo and s <= hi]


try:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.actions.wheel_input import ScrollOrigin
    from selenium.webdriver.common.by import By
except ImportError as e:
    skip_all("python3-selenium is absent (%s; scripts/install-deps.sh "
             "installs it)" % e)

browser = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser")
                if os.path.exists(p)), None)
driver_path = next((p for p in ("/usr/bin/chromedriver",)
                    if os.path.exists(p)), None)
if not browser or not driver_path:
    skip_all("chromium or chromedriver is absent (Debian packages chromium, "
             "chromium-driver; scripts/install-deps.sh installs them)")


def start():
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for a in ("--headless", "--no-sandbox", "--disable-gpu",
              "--no-first-run", "--hide-scrollbars",
              "--window-size=1900,1200"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver_path), options=opts)


try:
    D = start()
except WebDriverException as e:
    skip_all("chromium cannot start under chromedriver: %s" %
             str(e).strip().splitlines()[0])


def css(sel, within=None):
    return (within or D).find_elements(By.CSS_SELECTOR, sel)


def text(elem_id):
    return D.find_element(By.ID, elem_id).get_attribute("textContent")


def drawn(as_name):
    """[(start, last, name or None for a gap)] of a column as drawn."""
    out = []
    for g in css('g.as[data-as="%s"] g.seg' % as_name):
        gap = "gap" in g.get_attribute("class").split()
        out.append((int(g.get_attribute("data-start"), 16),
                    int(g.get_attribute("data-last"), 16),
                    None if gap else g.get_attribute("data-name")))
    return out


def covers(boxes, lo, hi):
    nxt = lo
    for s, e, _ in boxes:
        if s != nxt:
            return False
        nxt = e + 1
    return nxt == hi + 1


def box(as_name, start):
    found = css('g.as[data-as="%s"] g.seg[data-start="%#x"] rect.box' %
                (as_name, start))
    return found[0] if found else None


def errors():
    return [e["message"] for e in D.get_log("browser")
            if e.get("level") == "SEVERE"]


def load(page):
    D.get("file://" + page)
    bound = D.find_element(By.ID, "detail").get_attribute("data-bound")
    n = len(css("g.seg"))
    report(bound == str(n) and n > 0 and not errors(),
           "%s: the page's script ran and bound the %d boxes, no error" %
           (os.path.basename(page), n), errors())


def zoom(as_name, lo, hi):
    D.execute_script(
        "var s=document.getElementById('z-as');"
        "for(var i=0;i<s.options.length;i++)"
        "if(s.options[i].textContent===arguments[0])s.selectedIndex=i;",
        as_name)
    for field, value in (("z-lo", lo), ("z-hi", hi)):
        e = D.find_element(By.ID, field)
        e.clear()
        e.send_keys(value)
    D.find_element(By.ID, "z-go").click()


def shot(name):
    """A screenshot of the whole page into OUTDIR/@name."""
    h = D.execute_script("return Math.max(document.body.scrollHeight,"
                         "document.documentElement.scrollHeight)")
    D.set_window_size(1900, min(max(int(h) + 40, 400), 4000))
    path = os.path.join(OUT, name)
    ok = D.save_screenshot(path)
    D.set_window_size(1900, 1200)
    with open(path, "rb") as f:
        head = f.read(8)
    report(ok and head == b"\x89PNG\r\n\x1a\n" and
           os.path.getsize(path) > 10000,
           "screenshot kept: %s" % path)


def check_click(title, model, page, start):
    """Click the memory box at @start: the panel shows `explain`'s text."""
    want = gm("explain", *model, "%#x" % start)
    b = box("memory", start)
    if b is None:
        report(False, "%s: a box at %#x" % (title, start))
        return
    b.click()
    got = text("explain")
    report(norm(got) == norm(want) and want.strip(),
           "%s: a click on the box at %#x shows what `guestmem explain "
           "%#x` prints" % (title, start, start),
           "panel:\n%s\nexplain:\n%s" % (got, want))
    pinned = css('g.as[data-as="memory"] g.seg.pin')
    report(len(pinned) == 1 and
           pinned[0].get_attribute("data-start") == "%#x" % start,
           "%s: the clicked box is marked" % title)


def main():
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="test-map-browser-")
    pc = ["--machine", "pc", "-m", "128M"]
    page = os.path.join(tmp, "pc.html")
    subprocess.run([GM, "map", "--html", "-o", page] + pc, check=True)
    load(page)
    full = drawn("memory")
    flat = flat_view(pc)
    report([b for b in full if b[2] is not None] == flat and
           covers(full, 0, (1 << 64) - 1),
           "pc: the memory column is the flat view of `mtree -f`")
    io_before = drawn("I/O")

    # A click keeps pc.bios's explanation; pointing elsewhere shows another,
    # leaving the picture shows the kept one again.
    check_click("pc", pc, page, 0xe0000)
    report("pc.bios" in text("detail") and "isa-bios" in text("detail"),
           "pc: the details name pc.bios and isa-bios", text("detail"))
    ActionChains(D).move_to_element(box("memory", 0)).perform()
    report(norm(text("explain")) ==
           norm(gm("explain", *pc, "0x0")),
           "pc: pointing at pc.ram at 0 shows its explanation",
           text("explain"))
    ActionChains(D).move_to_element(
        D.find_element(By.CSS_SELECTOR, "h2")).perform()
    report(norm(text("explain")) == norm(gm("explain", *pc, "0xe0000")),
           "pc: leaving the picture shows the clicked box's again")
    shot("map-pc.png")

    # The form: 0xc0000-0xfffff.
    lo, hi = 0xc0000, 0xfffff
    zoom("memory", "0xc0000", "0xfffff")
    got = drawn("memory")
    want = in_window(flat, lo, hi)
    report([b for b in got if b[2] is not None] == want and
           covers(got, lo, hi),
           "pc: zoomed to %#x-%#x, the drawn ranges are `mtree -f`'s in "
           "that window (%d)" % (lo, hi, len(want)),
           "drawn: %r\nwant: %r" % (got, want))
    header = css('g.as[data-as="memory"] text.ash')[0].text
    report("00000000000c0000-00000000000fffff" in header,
           "pc: the column's header names the window", header)
    report(drawn("I/O") == io_before, "pc: the I/O column is untouched")
    report(len(css('g.as[data-as="memory"] g.seg.pin')) == 1,
           "pc: the clicked box is still marked after the zoom")
    check_click("pc zoomed", pc, page, 0xc0000)
    shot("map-pc-zoom.png")
    zoom("memory", "0xfffff", "0xc0000")
    report(drawn("memory") == got and text("z-msg"),
           "pc: a window whose first address is after its last is refused "
           "with a message (%s)" % text("z-msg"))
    zoom("memory", "0xc0000", "nope")
    report(drawn("memory") == got and text("z-msg"),
           "pc: an address that is not hex is refused with a message")

    # Reset, then a double click, a drag and the wheel.
    D.find_element(By.ID, "z-reset").click()
    report(drawn("memory") == full, "pc: Reset draws the whole flat view")
    ActionChains(D).double_click(box("memory", 0x100000)).perform()
    got = drawn("memory")
    report(got == [(0x100000, 0x7ffffff, "pc.ram")],
           "pc: a double click zooms to the range (pc.ram at 0x100000)", got)
    D.find_element(By.ID, "z-reset").click()
    top, bottom = box("memory", 0xc0000), box("memory", 0xe0000)
    h1, h2 = top.rect["height"], bottom.rect["height"]
    ActionChains(D).move_to_element_with_offset(top, 0, -h1 / 2 + 1) \
        .click_and_hold().move_by_offset(0, 10) \
        .move_to_element_with_offset(bottom, 0, h2 / 2 - 1) \
        .release().perform()
    got = drawn("memory")
    report(got == in_window(flat, lo, hi),
           "pc: a drag from the top of pc.rom to the bottom of pc.bios zooms "
           "to %#x-%#x" % (lo, hi), got)
    D.find_element(By.ID, "z-reset").click()
    ram = box("memory", 0x100000)
    ActionChains(D).scroll_from_origin(ScrollOrigin.from_element(ram),
                                       0, -120).perform()
    got = drawn("memory")
    report(got and got[0][0] <= 0x4000000 <= got[-1][1] and
           got[-1][1] - got[0][0] < (1 << 40) and len(got) < len(full),
           "pc: the wheel over the middle of pc.ram zooms in around it", got)
    before = got
    time.sleep(0.3)
    ActionChains(D).scroll_from_origin(
        ScrollOrigin.from_element(box("memory", before[0][0])),
        0, 120).perform()
    got = drawn("memory")
    report(got and got[0][0] < before[0][0] and got[-1][1] > before[-1][1],
           "pc: the wheel the other way zooms out", got)
    report(not errors(), "pc: no script error", errors())

    # q35 -m 1G: the same click.
    q35 = ["--machine", "q35", "-m", "1G"]
    page = os.path.join(tmp, "q35.html")
    subprocess.run([GM, "map", "--html", "-o", page] + q35, check=True)
    load(page)
    check_click("q35", q35, page, 0xe0000)
    shot("map-q35.png")

    # A huge import: a box past the 4096 explained ones names the command.
    big = os.path.join(tmp, "big.txt")
    with open(big, "w") as f:
        f.write("address-space: memory\n"
                "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n")
        for i in range(3000):
            f.write("    %016x-%016x (prio 0, ram): r%d\n" %
                    (i * 0x2000, i * 0x2000 + 0xfff, i))
    page = os.path.join(tmp, "big.html")
    subprocess.run([GM, "map", "--html", "-o", page, "--import", big],
                   check=True)
    load(page)
    zoom("memory", "0x176e000", "0x176ffff")
    b = box("memory", 0x176e000)
    if b is not None:
        b.click()
    report(b is not None and "r2999" in text("detail") and
           "guestmem explain 0x176e000" in text("explain"),
           "huge import: the panel of a box past the 4096 explained names "
           "the command to run", text("explain"))

    # Hostile names: the explanation and the zoomed boxes carry them as text.
    name = "<img src=x onerror=alert(1)> & \"q\" 's"
    dump = os.path.join(tmp, "hostile.txt")
    with open(dump, "w") as f:
        f.write("address-space: memory\n"
                "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
                "    0000000000000000-0000000000000fff (prio 0, ram): %s\n"
                "    0000000000001000-0000000000001fff (prio 0, i/o): "
                "</script><b>x</b>\n\n"
                "address-space: I/O\n"
                "  0000000000000000-000000000000ffff (prio 0, i/o): io\n\n"
                % name)
    page = os.path.join(tmp, "hostile.html")
    subprocess.run([GM, "map", "--html", "-o", page, "--import", dump],
                   check=True)
    load(page)
    box("memory", 0).click()
    report(name in text("explain") and name in text("detail"),
           "hostile: the explanation and details show the name as text",
           text("explain"))
    zoom("memory", "0", "0x1fff")
    got = drawn("memory")
    report([n for _, _, n in got] == [name, "</script><b>x</b>"],
           "hostile: zoomed, the boxes carry the names as text", got)
    count = D.execute_script(
        "return [document.scripts.length,"
        "document.querySelectorAll('img,b').length]")
    report(count == [2, 0],
           "hostile: the page has its two scripts and no element from a "
           "name", count)

    D.quit()
    print("1..%d" % len(results))
    return 0 if all(results) else 1


try:
    sys.exit(main())
finally:
    try:
        D.quit()
    except Exception:
        pass
