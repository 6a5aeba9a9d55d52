#!/bin/sh
# bench-profile.sh BUILD: where the access path's time goes, for
# docs/PERFORMANCE.md (run by bench.sh after a full run):
#  1. instructions per access of each loop of bench/guestmem-prof.c
#     (callgrind: inline code and callees included; stable under load);
#  2. which functions of libguestmem.so call __tls_get_addr;
#  3. perf samples (cpu-clock) of the chases over 1,000 and 100,000 regions
#     and of independent reads over 64 MiB, by function.
set -e
build=${1:-build}
ninja -C "$build" bench/guestmem-prof >/dev/null
prof=$build/bench/guestmem-prof
lib=$(ldd "$prof" | sed -n 's/.*libguestmem[^ ]* => \([^ ]*\) .*/\1/p')
echo "# scripts/bench-profile.sh, $(date -u +%Y-%m-%dT%H:%MZ)," \
    "guestmem $(git describe --always --dirty 2>/dev/null || echo '?'), $lib"
echo
echo "## 1. Instructions per access (valgrind --tool=callgrind $prof small;"
echo "##    2^20 accesses per loop; inline code and callees included)"
if command -v valgrind >/dev/null 2>&1; then
    valgrind --tool=callgrind --callgrind-out-file="$build/prof.cg" \
        "$prof" small >/dev/null 2>&1
    callgrind_annotate --inclusive=yes --threshold=100 "$build/prof.cg" 2>/dev/null |
        python3 -c '
import re, sys
seen = set()
for line in sys.stdin:
    m = re.match(r"\s*([\d,]+) \(.*?\)\s+\S*:(prof_\w+)", line)
    if m and m.group(2) not in seen:
        seen.add(m.group(2))
        print("%-28s %7.1f" % (m.group(2), int(m.group(1).replace(",", "")) / 2**20))
'
else
    echo "(valgrind not installed)"
fi
echo
echo "## 2. Functions of libguestmem.so that call __tls_get_addr"
objdump -d "$lib" | awk '/^[0-9a-f]+ <.*>:$/ { f = $2 } /call.*__tls_get_addr/ { print f }' |
    sort | uniq -c
echo
if command -v perf >/dev/null 2>&1; then
    for run in "chase 1000 20000000" "chase 100000 8000000" "cold"; do
        echo "## 3. perf record -e cpu-clock $prof $run (samples by function, > 1 %)"
        perf record -q -e cpu-clock -o "$build/prof.perf" $prof $run >/dev/null 2>&1
        perf report -i "$build/prof.perf" --no-children --stdio --sort symbol 2>/dev/null |
            grep -E '^ +[0-9.]+%' | awk '$1 + 0 > 1' | head -8
        echo
    done
else
    echo "## 3. (perf not installed)"
fi
