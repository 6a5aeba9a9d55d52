#!/bin/sh
# bench.sh BUILD [--quick]: builds the vm-memory peer offline (bench/vmmem,
# against Debian's vendored crates), makes sure the build found Unicorn,
# and runs guestmem-bench - linked with libguestmem.so as pkg-config links
# a program - with the static library's figures, Unicorn, vm-memory and
# the plain machine in the same run.
#
# Everything goes to BUILD/: the raw output (bench-run.txt: a header saying
# what ran where, then the program's tables), every figure (bench.tsv), the
# Markdown tables (bench-table.md) and the plot of cost against region
# count (regions.svg).  A full run (not --quick) then profiles the access
# path (scripts/bench-profile.sh: instruction counts, TLS calls, perf
# samples) and replaces what docs/PERFORMANCE.md is written from:
# docs/bench-run.txt, docs/bench-profile.txt, docs/regions.svg and the
# tables between the "bench:begin" and "bench:end" marks of
# docs/PERFORMANCE.md; then commit-bench (one change against the size of
# the view) writes bench-commit-run.txt, commit.svg and the table between
# the "bench-commit:begin" and "bench-commit:end" marks.  `make bench` is
# this one command.
set -e
build=${1:-build}
shift || true
quick=""
if [ "${1:-}" = "--quick" ]; then
    quick=--quick
fi
if ! grep -q HAVE_UNICORN "$build/build.ninja" 2>/dev/null; then
    meson setup --reconfigure "$build" >/dev/null
fi
ninja -C "$build" bench/guestmem-bench bench/guestmem-bench-static >/dev/null
vmmem=""
if command -v cargo >/dev/null 2>&1; then
    (cd bench/vmmem && cargo build --release --offline -q) &&
        vmmem=bench/vmmem/target/release/guestmem-vmmem
fi
version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo '?'; }
{
    echo "# ${quick:+quick }run of scripts/bench.sh (make bench${quick:+-quick})," \
        "$(date -u +%Y-%m-%dT%H:%MZ), guestmem $(git describe --always --dirty 2>/dev/null || echo '?')"
    echo "# $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')," \
        "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# $(cc --version | head -1); Unicorn $(version libunicorn-dev), vm-memory $(version librust-vm-memory-dev)," \
        "THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"
    echo "# pkg-config --libs guestmem (this build, uninstalled):" \
        "$(PKG_CONFIG_PATH=$build/meson-uninstalled pkg-config --libs guestmem 2>/dev/null || echo '?')"
    echo "# guestmem-bench runs with: $(ldd "$build/bench/guestmem-bench" | grep -o 'libguestmem[^ ]* => [^ ]*' | tr '\n' ' ')"
    echo
    "$build/bench/guestmem-bench" ${vmmem:+--vmmem "$vmmem"} \
        --static "$build/bench/guestmem-bench-static" \
        --tsv "$build/bench.tsv" --md "$build/bench-table.md" $quick
} | tee "$build/bench-run.txt"
python3 scripts/plot-regions.py "$build/bench.tsv" "$build/regions.svg"
echo "raw output: $build/bench-run.txt; plot: $build/regions.svg"
# One change to the tree against the size of the view (issue 10), with the
# peers' figures from the same run.
ninja -C "$build" bench/commit-bench >/dev/null
{
    echo "# ${quick:+quick }commit-bench run of scripts/bench.sh," \
        "$(date -u +%Y-%m-%dT%H:%MZ), guestmem $(git describe --always --dirty 2>/dev/null || echo '?')"
    echo "# $(uname -srm), $(nproc) cores, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# commit-bench runs with: $(ldd "$build/bench/commit-bench" | grep -o 'libguestmem[^ ]* => [^ ]*' | tr '\n' ' ')"
    echo
    "$build/bench/commit-bench" ${vmmem:+--vmmem "$vmmem"} \
        --tsv "$build/bench-commit.tsv" --md "$build/bench-commit-table.md" $quick
} 2>&1 | tee "$build/bench-commit-run.txt"
python3 scripts/plot-regions.py --commit "$build/bench-commit.tsv" "$build/commit.svg"
if [ -z "$quick" ]; then
    # Where the time goes (instruction counts, TLS calls, perf samples).
    ./scripts/bench-profile.sh "$build" | tee "$build/bench-profile.txt"
    cp "$build/bench-profile.txt" docs/bench-profile.txt
    cp "$build/bench-run.txt" docs/bench-run.txt
    cp "$build/regions.svg" docs/regions.svg
    cp "$build/bench-commit-run.txt" docs/bench-commit-run.txt
    cp "$build/commit.svg" docs/commit.svg
    python3 - "$build/bench-table.md" "$build/bench-commit-table.md" docs/PERFORMANCE.md <<'PY'
import sys
path = sys.argv[3]
doc = open(path).read()
for src, mark in ((sys.argv[1], "bench"), (sys.argv[2], "bench-commit")):
    table = open(src).read().rstrip("\n")
    begin, end = "<!-- %s:begin -->" % mark, "<!-- %s:end -->" % mark
    if begin in doc and end in doc:
        head, rest = doc.split(begin, 1)
        _, tail = rest.split(end, 1)
        doc = head + begin + "\n" + table + "\n" + end + tail
        print("docs/PERFORMANCE.md: %s tables replaced from this run" % mark)
open(path, "w").write(doc)
PY
    echo "docs/bench-run.txt, docs/bench-profile.txt and docs/regions.svg replaced from this run"
fi
