# SPDX-License-Identifier: MIT
"""pytest setup for the Python bindings.

The module under test is the one PYTHONPATH points at: meson's test runs
them with PYTHONPATH=<build>/python (the extension linked with the build's
libguestmem.so); tests/install runs them against an installed copy.  Every
test starts from guestmem's initial state: the fixture below resets it
and collects what the test left behind.
"""
import gc
import os

import pytest

import guestmem as gm


class TapReporter:
    """TAP for meson on the file descriptor GUESTMEM_TAP_FD (run.py passes
    the test's stdout there and sends pytest's own report to stderr): one
    line per test, failures' reports as diagnostics."""

    def __init__(self, fd):
        self.n = 0
        self.fd = fd

    def _line(self, text):
        os.write(self.fd, (text + "\n").encode())

    def pytest_runtest_logreport(self, report):
        path, _, test = report.nodeid.partition("::")
        name = "python/%s::%s" % (os.path.basename(path), test)
        if report.when == "call" or (report.when == "setup"
                                     and not report.passed):
            self.n += 1
            if report.skipped:
                reason = report.longrepr[2] if isinstance(
                    report.longrepr, tuple) else "skipped"
                self._line("ok %d - %s # SKIP %s" % (self.n, name, reason))
            elif report.passed:
                self._line("ok %d - %s" % (self.n, name))
            else:
                self._line("not ok %d - %s" % (self.n, name))
                for line in str(report.longrepr).splitlines():
                    self._line("# " + line)
        elif report.when == "teardown" and report.failed:
            self.n += 1
            self._line("not ok %d - %s (teardown)" % (self.n, name))
            for line in str(report.longrepr).splitlines():
                self._line("# " + line)

    def pytest_collectreport(self, report):
        if report.failed:
            self.n += 1
            self._line("not ok %d - collecting %s" % (self.n, report.nodeid))
            for line in str(report.longrepr).splitlines():
                self._line("# " + line)

    def pytest_sessionfinish(self, session, exitstatus):
        self._line("1..%d" % self.n)


def pytest_configure(config):
    fd = os.environ.get("GUESTMEM_TAP_FD")
    if fd:
        config.pluginmanager.register(TapReporter(int(fd)), "guestmem-tap")


def pytest_report_header(config):
    return "guestmem %s from %s" % (gm.version(), os.path.dirname(gm.__file__))


@pytest.fixture(autouse=True)
def fresh_guestmem():
    gc.collect()
    gm.reset()
    yield
    gc.collect()
    gm.reset()
    gc.collect()
    # Everything the test made is gone: no region is held for the library
    # or kept because the library still used it.
    from guestmem import _regions
    assert _regions._pins == {}
    assert _regions._kept_forever == []
    assert _regions._deferred == []


@pytest.fixture
def sysmem():
    return gm.get_system_memory()


@pytest.fixture
def mem():
    return gm.address_space_memory()
