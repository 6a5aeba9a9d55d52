#!/bin/sh
# post-install.sh LIBDIR: run by `meson install` after it has copied the
# files.  Debian's dynamic linker finds libraries in /usr/lib and
# /usr/local/lib (and their multiarch directories) through the cache that
# ldconfig writes, so a new libguestmem.so.* there is only found after
# ldconfig has run: run it.  Nothing is done for a staged install (DESTDIR:
# the package's own trigger does it) or without root (an install into a
# prefix of one's own: the rpath in guestmem.pc finds the library).
libdir=$1
[ -n "${DESTDIR:-}" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    if command -v ldconfig >/dev/null 2>&1; then
        ldconfig || echo "post-install: ldconfig failed; run it as root" >&2
    elif [ -x /sbin/ldconfig ]; then
        /sbin/ldconfig || echo "post-install: ldconfig failed" >&2
    fi
fi
case "$libdir" in
/usr/lib* | /usr/local/lib*)
    [ "$(id -u)" -eq 0 ] ||
        echo "guestmem: installed without root: run \`sudo ldconfig\` so" \
            "that programs find libguestmem" ;;
*) echo "guestmem: installed in $libdir; programs built with" \
    "\`pkg-config --libs guestmem\` carry an rpath to it" ;;
esac
exit 0
