#!/bin/sh
# build-guest.sh SRC.S OUT.bin [INCLUDE-DIR]: assemble a guest firmware
# image with binutils (32-bit), laid out by guests/guest.ld.
set -e
src=$1 out=$2
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
as --32 -I "$here/guests" -o "$tmp/g.o" "$src"
ld -m elf_i386 -T "$here/guests/guest.ld" -o "$tmp/g.elf" "$tmp/g.o"
objcopy -O binary "$tmp/g.elf" "$out"
size=$(wc -c < "$out")
[ "$size" -eq 65536 ] || { echo "build-guest: $out is $size bytes, not 64 KiB" >&2; exit 1; }
