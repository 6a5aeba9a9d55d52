#!/bin/sh
# lint.sh WHAT: the style checks, run as tests.
#   format    every C file as .clang-format says (clang-format --dry-run)
#   cppcheck  the library and the tool, warnings as errors
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here" || exit 2
case "${1:-}" in
format)
    bad=0
    for f in $(git ls-files '*.c' '*.h' 2>/dev/null || find src include tools tests bench examples -name '*.[ch]'); do
        if clang-format --dry-run "$f" 2>&1 | grep -q warning; then
            echo "not formatted: $f (clang-format -i $f)"
            bad=1
        fi
    done
    exit $bad
    ;;
cppcheck)
    # liburcu's list macros (cds_list_for_each_entry) read as loops.
    urcu_list=$(ls /usr/include/urcu/list.h /usr/include/*/urcu/list.h \
        2>/dev/null | head -1)
    exec cppcheck --quiet --enable=warning,performance,portability --std=c11 \
        -I include ${urcu_list:+--include="$urcu_list"} \
        --suppress=missingIncludeSystem --error-exitcode=1 src tools
    ;;
*)
    echo "usage: lint.sh format|cppcheck" >&2
    exit 2
    ;;
esac
