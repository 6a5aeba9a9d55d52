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


@pytest.fixture
def sysmem():
    return gm.get_system_memory()


@pytest.fixture
def mem():
    return gm.address_space_memory()
