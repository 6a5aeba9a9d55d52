# SPDX-License-Identifier: MIT
"""install-dir.py PREFIX: where `meson install` puts the guestmem package.

Debian's python3 looks in /usr/local/lib/python3.X/dist-packages (its
`posix_local` scheme, for what the administrator installs) and in
/usr/lib/python3/dist-packages (`deb_system`, for Debian's packages).  Meson
1.0 (Debian 12's) would pick /usr/local/lib/python3/dist-packages, which is
not on that path, so the directory is chosen here: those two for the
prefixes /usr/local and /usr, and PREFIX/lib/python3.X/site-packages for any
other prefix (for --prefix=$HOME/.local that is Python's per-user
directory, on the path by default; elsewhere, add it to PYTHONPATH).
"""
import sys
import sysconfig

prefix = sys.argv[1].rstrip("/") or "/"
schemes = sysconfig.get_scheme_names()
if prefix == "/usr" and "deb_system" in schemes:
    path = sysconfig.get_path("purelib", "deb_system")
elif prefix == "/usr/local" and "posix_local" in schemes:
    path = sysconfig.get_path("purelib", "posix_local")
else:
    base = {"base": prefix, "platbase": prefix, "installed_base": prefix,
            "installed_platbase": prefix}
    path = sysconfig.get_path("purelib", "posix_prefix", vars=base)
print(path)
