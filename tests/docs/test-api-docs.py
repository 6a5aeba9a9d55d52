#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""test-api-docs.py DOXYGEN DOXYFILE SRCDIR: the API reference, as TAP.

Runs doxygen with the build's Doxyfile (docs/api/Doxyfile.in: the public
headers through kerneldoc-filter.py, WARN_AS_ERROR=FAIL_ON_WARNINGS) into a
temporary directory, then checks that it finished without a warning and
that every GM_API function declared in include/guestmem/*.h is in the
generated index of functions (globals_func*.html), with a page that
documents it.
"""
import glob
import html
import os
import re
import subprocess
import sys
import tempfile

doxygen, doxyfile, src = sys.argv[1], sys.argv[2], sys.argv[3]
results = []


def report(ok, name, detail=""):
    results.append(bool(ok))
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), name))
    if not ok and detail:
        for line in detail.splitlines()[:40]:
            print("#   " + line)


def gm_api_functions():
    """The functions the public headers declare GM_API (as
    tests/install/test-install.sh reads them)."""
    names = set()
    for h in sorted(glob.glob(os.path.join(src, "include/guestmem/*.h"))):
        text = re.sub(r"/\*.*?\*/|//[^\n]*", " ", open(h).read(), flags=re.S)
        text = re.sub(r"(?m)^\s*#.*(\\\n.*)*$", " ", text)
        for m in re.finditer(r"\bGM_API\b([^;{]*)", text):
            decl = m.group(1)
            f = re.search(r"([A-Za-z_]\w*)\s*\(", decl)
            if f and not decl.lstrip().startswith("extern"):
                names.add(f.group(1))
    return names


with tempfile.TemporaryDirectory() as out:
    conf = open(doxyfile).read() + (
        "\nOUTPUT_DIRECTORY = %s\nHTML_OUTPUT = html\n" % out)
    p = subprocess.run([doxygen, "-"], input=conf, capture_output=True,
                       text=True, timeout=600)
    report(p.returncode == 0 and not p.stderr.strip(),
           "doxygen builds the reference without a warning "
           "(WARN_AS_ERROR=FAIL_ON_WARNINGS)", p.stdout + p.stderr)
    index = ""
    for f in sorted(glob.glob(os.path.join(out, "html", "globals_func*.html"))):
        index += html.unescape(open(f).read())
    listed = set(re.findall(r"<li>([A-Za-z_]\w*)\(\)", index))
    declared = gm_api_functions()
    report(len(declared) > 300,
           "%d GM_API functions found in the headers" % len(declared))
    missing = sorted(declared - listed)
    report(not missing, "every GM_API function is in the index of functions",
           "missing: " + " ".join(missing))
    # Each has its own documented entry: a member title on a header's page.
    pages = ""
    for f in glob.glob(os.path.join(out, "html", "*_8h.html")):
        pages += open(f).read()
    titles = set(re.findall(r'class="memtitle">.*?</span>([A-Za-z_]\w*)\(\)'
                            r'</h2>', pages))
    undocumented = sorted(declared - titles)
    report(not undocumented,
           "every GM_API function has its entry on its header's page",
           "missing: " + " ".join(undocumented))
    # The kernel-doc sections came through: parameters, Return:, Context:.
    region = open(os.path.join(out, "html", "region_8h.html")).read()
    report('class="params"' in region and 'class="section return"' in region and
           "<dt>Context:</dt>" in region,
           "region.h's page has parameter lists, Return: and Context:")
    report(os.path.exists(os.path.join(out, "html", "index.html")) and
           "guestmem API reference" in open(
               os.path.join(out, "html", "index.html")).read(),
           "the main page (docs/api/mainpage.md)")

print("1..%d" % len(results))
passed = sum(results)
print("# %d passed, %d failed" % (passed, len(results) - passed))
sys.exit(0 if all(results) else 1)
