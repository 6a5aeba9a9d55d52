#!/bin/sh
# demo.sh BUILD: the main job: the PC machine's memory tree and flat view,
# built by guestmem exactly as QEMU 7.2 builds them, one address explained,
# the e820 table and the RAM blocks (`info ramblock`).
set -e
gm=${1:-build}/guestmem
echo "### guestmem mtree --machine pc -m 1G    (QEMU's \`info mtree\`)"
"$gm" mtree --machine pc -m 1G
echo "### guestmem mtree -f --machine pc -m 1G (QEMU's \`info mtree -f\`)"
"$gm" mtree -f --machine pc -m 1G
echo "### guestmem explain --machine pc -m 1G 0xe1234"
"$gm" explain --machine pc -m 1G 0xe1234
echo "### guestmem e820 --machine pc -m 6G"
"$gm" e820 --machine pc -m 6G
echo "### guestmem ramblock --machine pc -m 1G   (QEMU's \`info ramblock\`)"
"$gm" ramblock --machine pc -m 1G
