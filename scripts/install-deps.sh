#!/bin/sh
# install-deps.sh: installs, on Debian 12, the packages guestmem's build,
# demo, tests and docs need (chromium renders `guestmem map` pages in
# tests/map/test-map.py, and with chromium-driver and python3-selenium
# tests/map/test-map-browser.py clicks and zooms them; scdoc: the man
# page; doxygen: `make docs` and the installed API reference), if any is
# missing.  Runs apt-get as root, or through sudo when not root.
# "install-deps.sh bench" adds the benchmark's peers
# (Unicorn 2, rust-vmm vm-memory and the Rust toolchain to build it
# offline) and perf.
set -e
PKGS="gcc make meson ninja-build pkg-config liburcu-dev libx86emu-dev libjson-c-dev \
seabios python3 \
qemu-system-x86 clang clang-format cppcheck git \
python3-cffi python3-dev python3-pytest chromium chromium-driver \
python3-selenium scdoc doxygen"
if [ "$1" = bench ]; then
    PKGS="$PKGS libunicorn-dev librust-vm-memory-dev cargo linux-perf"
fi
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $missing
