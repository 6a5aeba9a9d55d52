# SPDX-License-Identifier: MIT
"""run.py [PYTEST ARGS]: the Python tests, as meson runs them: TAP on
stdout (one line per test, for run-tests.sh's count), pytest's own report
on stderr.  The guestmem module is whichever PYTHONPATH finds (meson sets
it to the build's).  Needs Debian's python3-pytest."""
import os
import sys

try:
    import pytest
except ImportError:
    print("1..1\nnot ok 1 - python3-pytest is missing "
          "(scripts/install-deps.sh installs it)")
    sys.exit(1)

tap = os.dup(1)
os.dup2(2, 1)
os.environ["GUESTMEM_TAP_FD"] = str(tap)
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "-rfE",
                      os.path.dirname(os.path.abspath(__file__))]
                     + sys.argv[1:]))
