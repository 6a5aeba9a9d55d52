#!/bin/sh
# bench.sh BUILD [guestmem-bench options]: builds the vm-memory peer
# offline (bench/vmmem, against Debian's vendored crates), makes sure the
# build found Unicorn, and runs guestmem-bench with both peers beside it.
# The table goes to stdout; the raw figures to BUILD/bench.tsv, and the
# plot of cost against region count to BUILD/regions.svg.
set -e
build=${1:-build}
shift || true
if ! grep -q HAVE_UNICORN "$build/build.ninja" 2>/dev/null; then
    meson setup --reconfigure "$build" >/dev/null
fi
ninja -C "$build" bench/guestmem-bench >/dev/null
vmmem=""
if command -v cargo >/dev/null 2>&1; then
    (cd bench/vmmem && cargo build --release --offline -q) &&
        vmmem=bench/vmmem/target/release/guestmem-vmmem
fi
"$build/bench/guestmem-bench" ${vmmem:+--vmmem "$vmmem"} \
    --tsv "$build/bench.tsv" "$@"
python3 scripts/plot-regions.py "$build/bench.tsv" "$build/regions.svg"
echo "plot: $build/regions.svg"
