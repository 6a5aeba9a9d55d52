# SPDX-License-Identifier: MIT
"""Errors: the library's three channels (docs/conventions.md) as exceptions.

- Functions with an ``Error **errp`` are called with one, and a set error
  becomes the exception of its GmErrorCode, with the library's message.
- QEMU's void functions report misuse to the process-wide error handler;
  the module installs its own handler, and a call made inside ``_capture()``
  turns what was reported during it into an exception.  Reports made
  outside any capture (by C code of the embedding program, say) go to
  ``set_error_handler()``'s function, or to the ``guestmem`` logger.
- Accesses return a MemTxResult; a result other than MEMTX_OK becomes
  ``MemTxError``.
"""
import logging
import threading

from ._guestmem_cffi import ffi, lib

log = logging.getLogger("guestmem")


class GuestmemError(Exception):
    """An error reported by libguestmem.

    ``code`` is the GmErrorCode (an int, ``code_name`` its name) and the
    message is the library's own.
    """

    code = lib.GM_ERR_INVALID_ARG

    def __init__(self, message, code=None):
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def code_name(self):
        return _CODE_NAMES.get(self.code, "GM_ERR_%d" % self.code)


class InvalidArgumentError(GuestmemError, ValueError):
    code = lib.GM_ERR_INVALID_ARG


class RangeOverflowError(GuestmemError, ValueError):
    code = lib.GM_ERR_RANGE_OVERFLOW


class HasContainerError(GuestmemError):
    code = lib.GM_ERR_HAS_CONTAINER


class NotChildError(GuestmemError):
    code = lib.GM_ERR_NOT_CHILD


class AliasCycleError(GuestmemError):
    code = lib.GM_ERR_ALIAS_CYCLE


class InUseError(GuestmemError):
    code = lib.GM_ERR_IN_USE


class WrongKindError(GuestmemError, TypeError):
    code = lib.GM_ERR_WRONG_KIND


class OutOfMemoryError(GuestmemError, MemoryError):
    code = lib.GM_ERR_NO_MEMORY


class GuestmemIOError(GuestmemError):
    code = lib.GM_ERR_IO


class ParseError(GuestmemError, ValueError):
    code = lib.GM_ERR_PARSE


class NotFoundError(GuestmemError, LookupError):
    code = lib.GM_ERR_NOT_FOUND


class UnsupportedError(GuestmemError):
    code = lib.GM_ERR_UNSUPPORTED


class DuplicateError(GuestmemError):
    code = lib.GM_ERR_DUPLICATE


class BusyError(GuestmemError):
    code = lib.GM_ERR_BUSY


class MemTxError(GuestmemError):
    """An access that did not return MEMTX_OK.

    ``result`` is the MemTxResult (a bit mask: MEMTX_ERROR,
    MEMTX_DECODE_ERROR, MEMTX_ACCESS_ERROR); ``value`` what a load or read
    produced anyway (unassigned bytes read as zero), or None for a store.
    """

    def __init__(self, message, result, value=None):
        super().__init__(message, lib.GM_ERR_INVALID_ARG)
        self.result = result
        self.value = value


_CLASSES = {cls.code: cls for cls in (
    InvalidArgumentError, RangeOverflowError, HasContainerError,
    NotChildError, AliasCycleError, InUseError, WrongKindError,
    OutOfMemoryError, GuestmemIOError, ParseError, NotFoundError,
    UnsupportedError, DuplicateError, BusyError)}
_CODE_NAMES = {
    getattr(lib, n): n for n in dir(lib)
    if n.startswith("GM_ERR_") and n != "GM_ERR__COUNT"
}


def error(code, message):
    """The exception for GmErrorCode @code (positive or negative)."""
    code = abs(int(code))
    return _CLASSES.get(code, GuestmemError)(message, code)


def _take(err):
    """Turn a C Error into an exception and free it."""
    msg = ffi.string(lib.error_get_pretty(err)).decode("utf-8", "replace")
    code = int(lib.gm_error_code(err))
    lib.error_free(err)
    return error(code, msg)


def call(fn, *args):
    """Call a C function whose last argument is ``Error **errp``; raise the
    error it sets, else return its result."""
    errp = ffi.new("Error **")
    r = fn(*args, errp)
    if errp[0] != ffi.NULL:
        raise _take(errp[0])
    return r


def memtx_name(result):
    names = [n for n, bit in (("MEMTX_ERROR", lib.MEMTX_ERROR),
                              ("MEMTX_DECODE_ERROR", lib.MEMTX_DECODE_ERROR),
                              ("MEMTX_ACCESS_ERROR", lib.MEMTX_ACCESS_ERROR))
             if result & bit]
    return "|".join(names) or "0x%x" % result


# --- the error handler of QEMU's void functions, and callback depth ---------

_tls = threading.local()
_user_handler = None


class capture:
    """Collect what the error handler receives on this thread during the
    block, and raise the first report as an exception at its end."""

    def __enter__(self):
        stack = getattr(_tls, "captures", None)
        if stack is None:
            stack = _tls.captures = []
        self.errors = []
        stack.append(self.errors)
        return self

    def __exit__(self, exc_type, exc, tb):
        _tls.captures.pop()
        if exc_type is None and self.errors:
            code, msg = self.errors[0]
            raise error(code, msg)
        return False


@ffi.def_extern()
def gmpy_py_error(err, opaque):
    try:
        msg = ffi.string(lib.error_get_pretty(err)).decode("utf-8", "replace")
        code = int(lib.gm_error_code(err))
        stack = getattr(_tls, "captures", None)
        if stack:
            stack[-1].append((code, msg))
        elif _user_handler is not None:
            _user_handler(error(code, msg))
        else:
            log.warning("guestmem: %s", msg)
    except BaseException:  # never let an exception unwind into C
        log.exception("guestmem: error handler failed")


def set_error_handler(fn):
    """Where errors of QEMU's void functions go when no Python call of this
    module made them (e.g. C code in the same process): ``fn(exception)``,
    or None for the ``guestmem`` logger (the default)."""
    global _user_handler
    _user_handler = fn


def in_callback():
    """Whether this thread is inside a callback from the library (MMIO,
    listener), where the update side cannot be entered."""
    return getattr(_tls, "depth", 0) > 0


class _CallbackScope:
    """``with CALLBACK_SCOPE:`` around the Python side of a callback."""

    __slots__ = ()

    def __enter__(self):
        _tls.depth = getattr(_tls, "depth", 0) + 1

    def __exit__(self, *exc):
        _tls.depth -= 1
        return False


CALLBACK_SCOPE = _CallbackScope()


lib.gmpy_set_error_handler(1)
