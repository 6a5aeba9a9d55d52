#!/bin/sh
# demo.sh BUILD: the main job.  A guest runs on guestmem's PC machine (under
# KVM where /dev/kvm works, else on the libx86emu software CPU) and shows
# the memory model at work from inside; then the machine's memory tree and
# flat view as QEMU 7.2's `info mtree` prints them, one address explained,
# the e820 table and the RAM blocks.
set -e
gm=${1:-build}/guestmem
echo "### guestmem run -m 5G --dirty-log --stats   (the built-in demo guest)"
"$gm" run -m 5G --dirty-log --stats --timeout 60
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
