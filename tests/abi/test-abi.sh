#!/bin/sh
# test-abi.sh PROG LIB OTHER-LIB DLOPEN-PROG: TAP.
#  1. PROG, built against this version's headers, needs GUESTMEM_FAST_1;
#  2. it runs with LIB (this version's libguestmem.so);
#  3. it refuses to start with OTHER-LIB, a libguestmem.so of another
#     inline-accessor layout (other-abi.map), put where the dynamic linker
#     looks for LIB's soname: the dynamic linker stops it before main();
#  4. LIB can be loaded with dlopen() (static TLS), and Python's ctypes
#     can load it too.
prog=$1 lib=$2 other=$3 dl=$4
echo "1..4"
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$2"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if readelf -V "$prog" | grep -q "Name: GUESTMEM_FAST_1"; then
    ok "the program needs symbol version GUESTMEM_FAST_1"
else
    readelf -V "$prog" >"$work/log" 2>&1
    not_ok "the program needs symbol version GUESTMEM_FAST_1" "$work/log"
fi
if "$prog" >"$work/log" 2>&1 && grep -q "abi-prog: ok" "$work/log"; then
    ok "it runs with this library"
else
    not_ok "it runs with this library" "$work/log"
fi
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
mkdir "$work/other"
ln -s "$(cd "$(dirname "$other")" && pwd)/$(basename "$other")" \
    "$work/other/$soname"
LD_LIBRARY_PATH="$work/other" "$prog" >"$work/log" 2>&1
status=$?
if [ $status -ne 0 ] && ! grep -q "main reached" "$work/log" &&
    grep -q "GUESTMEM_FAST_1' not found" "$work/log"; then
    ok "refused before main() by a library of another layout ($(head -1 "$work/log" | sed 's/.*: //'))"
else
    echo "status $status" >>"$work/log"
    not_ok "refused before main() by a library of another layout" "$work/log"
fi
# Python itself is not built with a sanitizer: a sanitizer build's
# library cannot be loaded into it (its runtime needs to come first).
python=python3
if ! command -v python3 >/dev/null || ldd "$lib" | grep -q 'lib[atm]san'; then
    python=""
fi
if "$dl" "$lib" >"$work/log" 2>&1 &&
    { [ -z "$python" ] ||
        $python -c "import ctypes, sys; ctypes.CDLL(sys.argv[1]).gm_version()" \
            "$lib" >>"$work/log" 2>&1; }; then
    ok "dlopen() loads it (C${python:+ and Python's ctypes}): its TLS fits the static surplus"
else
    not_ok "dlopen() loads it" "$work/log"
fi
