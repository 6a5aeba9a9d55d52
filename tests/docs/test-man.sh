#!/bin/sh
# test-man.sh MANPAGE SRCDIR: the built guestmem(1), as TAP.  It renders
# with groff and man without a warning, and it cannot fall behind the
# tool: every command of main.c's table and every long option of
# tools/guestmem/ must appear in it.
set -u
man_page=$1
src=$2
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
    n=$((n + 1))
    failed=$((failed + 1))
    echo "not ok $n - $1"
    [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/# /' | head -40
}
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LANG=C.UTF-8 MANWIDTH=80

# groff: -ww turns every warning on, -z formats without output.
if groff -man -Tutf8 -ww -z "$man_page" 2>"$tmp/groff.err" &&
    [ ! -s "$tmp/groff.err" ]; then
    ok "groff -man -Tutf8 -ww renders guestmem.1 without a warning"
else
    not_ok "groff -man -Tutf8 -ww renders guestmem.1 without a warning" \
        "$(cat "$tmp/groff.err")"
fi
if command -v man >/dev/null; then
    if man --warnings -l "$man_page" >"$tmp/man.txt" 2>"$tmp/man.err" &&
        [ ! -s "$tmp/man.err" ] && grep -q "^NAME" "$tmp/man.txt"; then
        ok "man -l renders guestmem.1 without a warning"
    else
        not_ok "man -l renders guestmem.1 without a warning" \
            "$(cat "$tmp/man.err")"
    fi
else
    skip "man -l renders guestmem.1" "man is not installed (package man-db)"
    groff -man -Tutf8 -P-cbou "$man_page" >"$tmp/man.txt" 2>/dev/null
fi
text=$tmp/man.txt
for section in NAME SYNOPSIS DESCRIPTION COMMANDS "EXIT STATUS" EXAMPLES \
    FILES; do
    if grep -q "^$section\$" "$text"; then
        ok "section $section"
    else
        not_ok "section $section"
    fi
done

# Every command of main.c's table has its entry under COMMANDS (a line
# that starts with the command's name), and help too.
cmds=$(sed -n 's/^ *{ *"\([a-z0-9-]*\)", *cmd_.*/\1/p' \
    "$src/tools/guestmem/main.c")
if [ -z "$cmds" ]; then
    not_ok "main.c's table of commands found"
fi
sed -n '/^COMMANDS$/,/^[A-Z]/p' "$text" >"$tmp/commands.txt"
for c in $cmds help; do
    if grep -q "^       $c\( \|\$\)" "$tmp/commands.txt"; then
        ok "command $c is described under COMMANDS"
    else
        not_ok "command $c is described under COMMANDS"
    fi
done

# Every long option of the tool's option tables.
opts=$(cat "$src"/tools/guestmem/*.c "$src"/tools/guestmem/*.h |
    grep -o '"[a-z0-9-]*", *\(no\|required\|optional\)_argument' |
    sed 's/^"\([a-z0-9-]*\)".*/\1/' | sort -u)
for o in $opts; do
    if grep -q -- "--$o\b" "$text"; then
        ok "option --$o is in the man page"
    else
        not_ok "option --$o is in the man page"
    fi
done

echo "1..$n"
echo "# $((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
