#!/bin/sh
# run-tests.sh BUILD: every test of guestmem, in the normal build and (unless
# QUICK=1) again under AddressSanitizer + UndefinedBehaviorSanitizer, the
# concurrency tests under ThreadSanitizer, and a minute of each libFuzzer
# target; then one closing line "N passed, N failed" over all of them.
set -u
build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 2
status=0

run_suite() { # DIR [meson test options]
    dir=$1
    shift
    meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" || status=1
}

run_suite "$build"
if [ "${QUICK:-0}" != 1 ]; then
    san=build-asan
    if [ ! -f "$san/build.ninja" ]; then
        meson setup "$san" -Db_sanitize=address,undefined -Db_lundef=false \
            -Ddiff_ops=200000 -Dbuildtype=debug >/dev/null || status=1
    fi
    ninja -C "$san" >/dev/null || status=1
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        run_suite "$san"
    # ThreadSanitizer: the concurrency stress test, the unit tests and the
    # differential test.
    tsan=build-tsan
    if [ ! -f "$tsan/build.ninja" ]; then
        meson setup "$tsan" -Db_sanitize=thread -Db_lundef=false \
            -Ddiff_ops=20000 >/dev/null || status=1
    fi
    ninja -C "$tsan" >/dev/null || status=1
    TSAN_OPTIONS="suppressions=$here/tests/tsan.supp halt_on_error=1" \
        run_suite "$tsan" --suite stress --suite unit --suite differential
    dirs="$build $san $tsan"
    # Fuzzing: each libFuzzer target for a while (FUZZ_SECONDS, default
    # 60) with clang, from a copy of its corpus; a crash fails the run and
    # leaves the input in $fuzz/crashes.  The corpora themselves are
    # replayed in every build above.
    fuzz=build-fuzz
    if [ ! -f "$fuzz/build.ninja" ]; then
        CC=clang meson setup "$fuzz" -Dfuzz=true -Db_lundef=false \
            -Dbuildtype=debugoptimized >/dev/null || status=1
    fi
    # Only the fuzz targets: the rest of the tree is built with gcc above.
    ninja -C "$fuzz" tests/fuzz/fuzz-access tests/fuzz/fuzz-ops \
        tests/fuzz/fuzz-mtree-import tests/fuzz/fuzz-core \
        tests/fuzz/fuzz-qmp >/dev/null ||
        status=1
    mkdir -p "$fuzz/crashes"
    for t in access ops mtree-import core qmp; do
        work=$(mktemp -d)
        cp "$here/tests/fuzz/corpus/$t/"* "$work/" 2>/dev/null
        if "$fuzz/tests/fuzz/fuzz-$t" -max_total_time="${FUZZ_SECONDS:-60}" \
            -artifact_prefix="$fuzz/crashes/$t-" -print_final_stats=1 \
            "$work" >"$fuzz/fuzz-$t.log" 2>&1; then
            echo "fuzz-$t: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)' \
                "$fuzz/fuzz-$t.log"), no crash"
        else
            echo "fuzz-$t: FAILED (see $fuzz/fuzz-$t.log)"
            tail -30 "$fuzz/fuzz-$t.log"
            status=1
            fuzz_failed=1
        fi
        rm -rf "$work"
    done
else
    dirs="$build"
fi

# One total over every build: the TAP results of each test program, and
# one result for each test that is not TAP.
FUZZ_FAILED=${fuzz_failed:-} python3 - $dirs <<'PY'
import json, re, sys
passed = failed = skipped = 0
for d in sys.argv[1:]:
    try:
        lines = open(d + "/meson-logs/testlog.json").read().splitlines()
    except OSError:
        failed += 1
        continue
    for line in lines:
        t = json.loads(line)
        ok = t["result"] in ("OK", "EXPECTEDFAIL", "SKIP")
        tap = [l for l in (t.get("stdout") or "").splitlines()
               if re.match(r"^(not )?ok \d+", l)]
        if t.get("protocol") == "tap" or tap:
            for l in tap:
                if l.startswith("not ok") and "# TODO" not in l:
                    failed += 1
                elif "# SKIP" in l:
                    skipped += 1
                else:
                    passed += 1
            if not ok and not any(l.startswith("not ok") and
                                  "# TODO" not in l for l in tap):
                failed += 1
        else:
            passed += ok
            failed += not ok
import os
if os.environ.get("FUZZ_FAILED"):
    failed += 1
print("%d passed, %d failed%s" % (passed, failed,
      ", %d skipped" % skipped if skipped else ""))
sys.exit(1 if failed else 0)
PY
[ $? -eq 0 ] || status=1
exit $status
