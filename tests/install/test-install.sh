#!/bin/sh
# test-install.sh SRCDIR BUILDDIR: the README's install, tried as a user
# would, with TAP on stdout (one line per check).
#
# 1. Into a prefix of one's own (no root needed): a build of SRCDIR
#    configured with --prefix=BUILDDIR/install-test/prefix is installed
#    (the prefix is emptied first, so every run starts fresh); then, out of
#    the tree and with nothing but pkg-config (no LD_LIBRARY_PATH), the
#    README's program, every example and test-device-api.c are built and
#    run, libguestmem.a is linked statically, the soname, the version and
#    the exported symbols are checked, and the Python module's hello world
#    and tests run against the installed package.  The companion library
#    libguestmem-qmp gets the same checks (soname, exports of
#    guestmem/qmp.h, tests/install/test-qmp-api.c built with
#    `pkg-config guestmem-qmp`, shared and static), and a program of
#    libguestmem alone must not load it or json-c.  The man page and
#    (where doxygen is installed) the API reference, share/doc/guestmem/api,
#    are installed too.
# 2. As root only (CI): the README's own step, `meson install -C BUILDDIR`
#    into /usr/local, then the README's program built with plain
#    `pkg-config --cflags --libs guestmem` and the Python hello world, run
#    as root and as nobody.  Unless the files were there before, they are
#    uninstalled afterwards (and ldconfig run again), so that the next run
#    starts from a machine that never had guestmem, as CI's does.
set -u
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
work=$build/install-test
prefix=$work/prefix
python=/usr/bin/python3
[ -x $python ] || python=python3
n=0
failed=0

ok() { # NAME: pass
    n=$((n + 1))
    echo "ok $n - $1"
}
not_ok() { # NAME [LOGFILE]: fail, with the log as diagnostics
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
    [ -n "${2:-}" ] && [ -f "$2" ] && sed 's/^/# /' "$2" | tail -40
}
skip() { # NAME REASON
    n=$((n + 1))
    echo "ok $n - $1 # SKIP $2"
}
check() { # NAME COMMAND...: run COMMAND, log in $work/log
    name=$1
    shift
    if "$@" >"$work/log" 2>&1; then ok "$name"; else not_ok "$name" "$work/log"; fi
}
finish() {
    echo "1..$n"
    [ $failed -eq 0 ]
    exit $?
}

mkdir -p "$work"
version=$(sed -n 's/^#define GUESTMEM_VERSION_STRING "\(.*\)"$/\1/p' \
    "$src/include/guestmem/guestmem.h")
project_version=$(sed -n "s/^ *version : '\(.*\)',$/\1/p" "$src/meson.build" |
    head -1)

# The README's C program (the block under "## Quick start") and Python
# hello world (the block under "## Python"): 4-space-indented lines.
readme_block() { # HEADING
    awk -v h="$1" '
        $0 == h { inside = 1; next }
        inside && /^## / { exit }
        inside && /^    / { code = 1; print substr($0, 5); next }
        inside && code && /^$/ { print ""; next }
        inside && code { exit }' "$src/README.md"
}
readme_block "## Quick start" >"$work/readme.c"
readme_block "## Python" >"$work/readme.py"
if grep -q "int main" "$work/readme.c" && grep -q "import guestmem" \
    "$work/readme.py"; then
    ok "the README's C program and Python hello world found"
else
    not_ok "the README's C program and Python hello world found"
fi

# --- 1. a prefix of one's own ---------------------------------------------------

(
    set -e
    if [ ! -f "$work/build/build.ninja" ]; then
        rm -rf "$work/build" # an interrupted setup, if anything
        meson setup "$work/build" "$src" --prefix="$prefix" -Dtests=false
    fi
    ninja -C "$work/build"
    rm -rf "$prefix"
    meson install -C "$work/build" --no-rebuild
) >"$work/log" 2>&1
if [ $? -eq 0 ]; then
    ok "meson install into $prefix"
else
    not_ok "meson install into $prefix" "$work/log"
    finish
fi

pc=$(find "$prefix" -name guestmem.pc | head -1)
export PKG_CONFIG_PATH="$(dirname "$pc")"
libdir=$(pkg-config --variable=libdir guestmem)
soname=$(readelf -d "$libdir/libguestmem.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
major=${version%%.*}
minor=${version#*.}
minor=${minor%%.*}
if [ "$major" = 0 ]; then want_soname=libguestmem.so.0.$minor; else want_soname=libguestmem.so.$major; fi
if [ "$soname" = "$want_soname" ] && [ -L "$libdir/$soname" ] &&
    [ "$(readlink "$libdir/libguestmem.so")" = "$soname" ]; then
    ok "soname $soname, with its symlinks"
else
    echo "soname '$soname', want '$want_soname'" >"$work/log"
    ls -l "$libdir" >>"$work/log"
    not_ok "soname $want_soname, with its symlinks" "$work/log"
fi
# libguestmem-qmp: the same soname rule, and the same version.
qmp_soname=$(readelf -d "$libdir/libguestmem-qmp.so" 2>/dev/null |
    sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
want_qmp_soname=$(echo "$want_soname" | sed 's/^libguestmem/libguestmem-qmp/')
if [ "$qmp_soname" = "$want_qmp_soname" ] && [ -L "$libdir/$qmp_soname" ] &&
    [ "$(readlink "$libdir/libguestmem-qmp.so")" = "$qmp_soname" ] &&
    [ "$(pkg-config --modversion guestmem-qmp)" = "$version" ]; then
    ok "libguestmem-qmp: soname $qmp_soname, with its symlinks; guestmem-qmp.pc says $version"
else
    echo "soname '$qmp_soname', want '$want_qmp_soname'" >"$work/log"
    ls -l "$libdir" >>"$work/log"
    not_ok "libguestmem-qmp: soname $want_qmp_soname, with its symlinks" "$work/log"
fi
if [ "$(pkg-config --modversion guestmem)" = "$version" ] &&
    [ "$project_version" = "$version" ]; then
    ok "one version: guestmem.h, meson.build and guestmem.pc say $version"
else
    not_ok "one version: guestmem.h ($version), meson.build ($project_version), guestmem.pc ($(pkg-config --modversion guestmem))"
fi

# The man page, where scdoc built it (scripts/install-deps.sh installs
# scdoc): share/man/man1/guestmem.1, and man finds it there.
if command -v scdoc >/dev/null; then
    if [ -f "$prefix/share/man/man1/guestmem.1" ] &&
        MANPATH="$prefix/share/man" man -w guestmem 2>/dev/null |
        grep -q "^$prefix/share/man/man1/guestmem.1"; then
        ok "man page installed: $prefix/share/man/man1/guestmem.1 (man -w finds it)"
    else
        find "$prefix" -name 'guestmem.1*' >"$work/log" 2>&1
        not_ok "man page installed in $prefix/share/man/man1" "$work/log"
    fi
else
    skip "man page installed" "scdoc is not installed (scripts/install-deps.sh)"
fi

# The API reference, where doxygen built it (scripts/install-deps.sh
# installs doxygen): share/doc/guestmem/api/index.html, the index of
# functions with gm_address_space_init in it, and every local link of both
# pages leads to an installed file.
api=$prefix/share/doc/guestmem/api
if command -v doxygen >/dev/null; then
    if [ -f "$api/index.html" ] && [ -f "$api/globals_func.html" ] &&
        grep -q "gm_address_space_init" "$api"/globals_func*.html &&
        $python - "$api" >"$work/log" 2>&1 <<'PY'
import os, re, sys
api = sys.argv[1]
for page in ("index.html", "globals_func.html"):
    text = open(os.path.join(api, page), encoding="utf-8").read()
    links = {l for l in re.findall(r'(?:href|src)="([^"#?]*)', text)
             if l and ":" not in l}
    if not links:
        sys.exit("%s: no local link" % page)
    for link in sorted(links):
        if not os.path.exists(os.path.join(api, link)):
            sys.exit("%s links to %s, which is not installed" % (page, link))
PY
    then
        ok "API reference installed: $api/index.html, its links lead to installed files"
    else
        ls "$api" 2>&1 | head -20 >>"$work/log"
        not_ok "API reference installed in $api" "$work/log"
    fi
else
    skip "API reference installed" "doxygen is not installed (scripts/install-deps.sh)"
fi

# Exported symbols: every one is declared in an installed header, and every
# GM_API function and variable the headers declare is exported (a program
# that calls it links).  libguestmem-qmp's header is guestmem/qmp.h,
# libguestmem's are all the others.
check_exports() { # LIBRARY HEADER...: true if they agree (else $work/log says how)
    lib=$1
    shift
    nm -D --defined-only "$lib" |
        awk '$2 ~ /^[TDBRVWiu]$/ { print $3 }' | sed 's/@.*//' | sort -u >"$work/exported"
    $python - "$work/exported" "$@" >"$work/log" 2>&1 <<'PY'
import re, sys
text = ""
for h in sorted(sys.argv[2:]):
    src = re.sub(r"/\*.*?\*/|//[^\n]*", " ", open(h).read(), flags=re.S)
    text += re.sub(r"(?m)^\s*#.*(\\\n.*)*$", " ", src)  # no #define GM_API
declared = set()
for m in re.finditer(r"\bGM_API\b([^;{]*)", text):
    decl = m.group(1)
    f = re.search(r"([A-Za-z_]\w*)\s*\(", decl)
    v = re.search(r"([A-Za-z_]\w*)\s*$", decl.strip())
    if f and not decl.lstrip().startswith("extern"):
        declared.add(f.group(1))
    elif v:
        declared.add(v.group(1))
exported = set(open(sys.argv[1]).read().split())
words = set(re.findall(r"\w+", text))
for s in sorted(exported - words):
    print("exported, not declared in a header:", s)
for s in sorted(declared - exported):
    print("declared GM_API, not exported:", s)
PY
    [ ! -s "$work/log" ] && [ -s "$work/exported" ]
}
core_headers=$(ls "$prefix/include/guestmem/"*.h | grep -v '/qmp\.h$')
if check_exports "$libdir/libguestmem.so" $core_headers; then
    ok "exported symbols ($(wc -l <"$work/exported")): each declared in a header, each GM_API declaration exported"
else
    not_ok "exported symbols: each declared in a header, each GM_API declaration exported" "$work/log"
fi
if check_exports "$libdir/libguestmem-qmp.so" "$prefix/include/guestmem/qmp.h"; then
    ok "libguestmem-qmp exports exactly what guestmem/qmp.h declares ($(wc -l <"$work/exported") symbols)"
else
    not_ok "libguestmem-qmp exports exactly what guestmem/qmp.h declares" "$work/log"
fi
nm -D "$libdir/libguestmem.so" |
    grep -iE ' (socket|connect|json_[a-z_]*)(@|$)|qmp' >"$work/log"
if [ ! -s "$work/log" ]; then
    ok "libguestmem.so holds no socket client and no JSON reader"
else
    not_ok "libguestmem.so holds no socket client and no JSON reader" "$work/log"
fi

# Out-of-tree builds with pkg-config only; the programs run without
# LD_LIBRARY_PATH (guestmem.pc's rpath finds the library).
cflags="-std=gnu11 -Wall -Wextra -Wno-unused-parameter -Werror"
run_prog() { # NAME SOURCE [PACKAGE]: build with pkg-config, run, check ldd
    name=$1
    pc=${3:-guestmem}
    (
        set -e
        cc $cflags "$2" $(pkg-config --cflags --libs $pc) -o "$work/$name"
        env -u LD_LIBRARY_PATH "$work/$name"
        ldd "$work/$name" | grep -q "libguestmem.*=> $libdir/"
        if [ $pc = guestmem-qmp ]; then
            ldd "$work/$name" | grep -q "libguestmem-qmp.*=> $libdir/"
            ldd "$work/$name" | grep -q "libjson-c"
        fi
    ) >"$work/log" 2>&1
}
if run_prog readme "$work/readme.c"; then
    ok "the README's program, built with pkg-config, runs"
else
    not_ok "the README's program, built with pkg-config, runs" "$work/log"
fi
if ldd "$work/readme" >"$work/log" 2>&1 &&
    ! grep -qE "libguestmem-qmp|libjson-c" "$work/log"; then
    ok "a program of libguestmem alone loads neither libguestmem-qmp nor json-c"
else
    not_ok "a program of libguestmem alone loads neither libguestmem-qmp nor json-c" "$work/log"
fi
for ex in "$src"/examples/*.c; do
    name=$(basename "$ex" .c)
    if run_prog "$name" "$ex"; then ok "example $name out of tree"; else not_ok "example $name out of tree" "$work/log"; fi
done
if run_prog test-device-api "$src/tests/install/test-device-api.c" &&
    ! grep -q "^not ok" "$work/log"; then
    ok "test-device-api out of tree ($(grep -c '^ok' "$work/log") checks)"
else
    not_ok "test-device-api out of tree" "$work/log"
fi
if run_prog test-qmp-api "$src/tests/install/test-qmp-api.c" guestmem-qmp &&
    ! grep -q "^not ok" "$work/log"; then
    ok "test-qmp-api out of tree with pkg-config guestmem-qmp ($(grep -c '^ok' "$work/log") checks)"
else
    not_ok "test-qmp-api out of tree with pkg-config guestmem-qmp" "$work/log"
fi
check "static link of test-qmp-api with pkg-config --static guestmem-qmp" sh -c '
    cc $0 "$1/tests/install/test-qmp-api.c" $(pkg-config --cflags guestmem-qmp) \
        "$3/libguestmem-qmp.a" "$3/libguestmem.a" \
        $(pkg-config --static --libs guestmem-qmp |
            sed "s/-lguestmem-qmp//; s/-lguestmem//") \
        -o "$2/qmp-static" &&
    ! ldd "$2/qmp-static" | grep -q libguestmem && "$2/qmp-static"' \
    "$cflags" "$src" "$work" "$libdir"
check "static link with pkg-config --static" sh -c '
    cc $0 "$1/readme.c" $(pkg-config --cflags guestmem) "$2/libguestmem.a" \
        $(pkg-config --static --libs guestmem | sed "s/-lguestmem//") \
        -o "$1/readme-static" &&
    ! ldd "$1/readme-static" | grep -q libguestmem && "$1/readme-static"' \
    "$cflags" "$work" "$libdir"

# The Python module, installed: the hello world from a neutral directory,
# then the tests against the installed package.
pydir=$($python "$src/python/install-dir.py" "$prefix")
if [ -f "$pydir/guestmem/__init__.py" ]; then
    check "Python hello world against the installed module" sh -c '
        cd / && env -u LD_LIBRARY_PATH PYTHONPATH="$1" \
            PYTHONDONTWRITEBYTECODE=1 "$2" "$3" |
            grep -q "^0x60$" &&
        PYTHONPATH="$1" "$2" -c "import guestmem, sys;
sys.exit(not guestmem.__file__.startswith(\"$1/\"))"' \
        sh "$pydir" "$python" "$work/readme.py"
    check "Python tests against the installed module" env -u LD_LIBRARY_PATH \
        PYTHONPATH="$pydir" PYTHONDONTWRITEBYTECODE=1 \
        $python "$src/tests/python/run.py"
else
    skip "Python module" "not built (python3-cffi or python3-dev missing)"
fi

# --- 2. the README's step, as root --------------------------------------------------

if [ "$(id -u)" -ne 0 ]; then
    skip "meson install -C build into /usr/local" "not root"
    finish
fi
build_prefix=$(meson introspect --buildoptions "$build" |
    $python -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"][0])')
if [ "$build_prefix" != /usr/local ]; then
    skip "meson install -C build into /usr/local" "$build is configured for $build_prefix"
    finish
fi
sys_libdir=/usr/local/$(meson introspect --buildoptions "$build" |
    $python -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="libdir"][0])')
# The marker says this test installed what is there (a run interrupted
# before it uninstalled): that is not a user's install.
marker=$work/installed-into-usr-local
preexisting=no
[ -e "$sys_libdir/libguestmem.so" ] && [ ! -e "$marker" ] && preexisting=yes
[ $preexisting = no ] && touch "$marker"
if [ $preexisting = no ] && ldconfig -p | grep -q libguestmem; then
    ldconfig # a stale cache entry from an earlier, interrupted run
fi
check "meson install -C $(basename "$build") (the README's step)" \
    meson install -C "$build" --no-rebuild
tmp=$(mktemp -d)
chmod 755 "$tmp"
(
    set -e
    cd "$tmp"
    env -u PKG_CONFIG_PATH cc "$work/readme.c" $(env -u PKG_CONFIG_PATH pkg-config --cflags --libs guestmem) -o prog
) >"$work/log" 2>&1 && ok "the README's program builds with plain pkg-config" ||
    not_ok "the README's program builds with plain pkg-config" "$work/log"
check "it starts, as root" env -u LD_LIBRARY_PATH "$tmp/prog"
check "it starts, as nobody" setpriv --reuid=nobody --regid=nogroup \
    --clear-groups env -u LD_LIBRARY_PATH "$tmp/prog"
if [ -f "$build/python/guestmem/__init__.py" ]; then
    cp "$work/readme.py" "$tmp/hello.py"
    chmod 644 "$tmp/hello.py"
    check "Python hello world, as root" sh -c "cd / && PYTHONDONTWRITEBYTECODE=1 env -u PYTHONPATH -u LD_LIBRARY_PATH $python $tmp/hello.py | grep -q '^0x60$'"
    check "Python hello world, as nobody" setpriv --reuid=nobody \
        --regid=nogroup --clear-groups sh -c "cd / && PYTHONDONTWRITEBYTECODE=1 env -u PYTHONPATH -u LD_LIBRARY_PATH $python $tmp/hello.py | grep -q '^0x60$'"
fi
rm -rf "$tmp"
if [ $preexisting = no ]; then
    # Uninstall what this run installed: the files meson lists, then the
    # directories it made (only if empty), then the linker cache.
    log=$build/meson-logs/install-log.txt
    find /usr/local -path '*/guestmem/__pycache__' -type d -prune \
        -exec rm -rf {} + 2>/dev/null
    grep -v '^#' "$log" | while read -r f; do
        [ -d "$f" ] && [ ! -L "$f" ] || rm -f "$f"
    done
    grep -v '^#' "$log" | sort -r | while read -r f; do
        [ -d "$f" ] && [ ! -L "$f" ] && rmdir "$f" 2>/dev/null
    done
    rmdir /usr/local/include/guestmem /usr/local/lib/python3*/dist-packages/guestmem 2>/dev/null
    # The API reference's directories, which the log does not list.
    [ -d /usr/local/share/doc/guestmem ] &&
        find /usr/local/share/doc/guestmem -depth -type d -empty -delete
    ldconfig
    if ldconfig -p | grep -q libguestmem || [ -e "$sys_libdir/libguestmem.so" ]; then
        not_ok "uninstalled again (the next run starts fresh)"
    else
        rm -f "$marker"
        ok "uninstalled again (the next run starts fresh)"
    fi
else
    skip "uninstall" "guestmem was installed in /usr/local before this run; left installed"
fi
finish
