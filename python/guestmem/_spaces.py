# SPDX-License-Identifier: MIT
"""Address spaces, flat views, accesses, transactions, listeners and
eventfds."""
import contextlib
import weakref

from ._guestmem_cffi import ffi, lib
from . import _errors
from ._errors import call, capture, in_callback, log, MemTxError, memtx_name
from ._regions import (addr_of, attrs_arg, drain_deferred, pin, unpin,
                       wrap_region)
from . import _regions

_own_as = weakref.WeakValueDictionary()  # address -> Python-made AddressSpace
_foreign_as = {}


def wrap_as(p):
    if p == ffi.NULL:
        return None
    key = addr_of(p)
    a = _own_as.get(key) or _foreign_as.get(key)
    if a is None:
        a = AddressSpace._wrap_foreign(p)
        _foreign_as[key] = a
    return a


class Section:
    """One range of a flat view (QEMU's MemoryRegionSection), copied out of
    the library: ``mr`` serves ``size`` bytes from
    ``offset_within_address_space``, starting ``offset_within_region`` into
    it."""

    __slots__ = ("mr", "offset_within_address_space", "offset_within_region",
                 "size", "readonly", "nonvolatile")

    @classmethod
    def _from(cls, s):
        self = cls.__new__(cls)
        self.mr = wrap_region(s.mr)
        self.offset_within_address_space = s.offset_within_address_space
        self.offset_within_region = s.offset_within_region
        size = ffi.new("uint64_t *")
        big = ffi.new("int *")
        lib.gmpy_section_size(s, size, big)
        self.size = 1 << 64 if big[0] else size[0]
        self.readonly = bool(s.readonly)
        self.nonvolatile = bool(s.nonvolatile)
        return self

    @property
    def last(self):
        """The last address of the range (closed ranges, as the library)."""
        return self.offset_within_address_space + self.size - 1

    def __eq__(self, other):
        return isinstance(other, Section) and all(
            getattr(self, f) is getattr(other, f) if f == "mr" else
            getattr(self, f) == getattr(other, f) for f in self.__slots__)

    def __repr__(self):
        return ("<Section 0x%x-0x%x %s @0x%x%s>" % (
            self.offset_within_address_space, self.last,
            self.mr.name if self.mr else None, self.offset_within_region,
            " ro" if self.readonly else ""))


# --- accesses ----------------------------------------------------------------------

def _result_ptr():
    """A MemTxResult out-parameter, one per thread (accesses are made
    from any thread)."""
    r = getattr(_errors._tls, "result", None)
    if r is None:
        r = _errors._tls.result = ffi.new("MemTxResult *")
    return r


def _ld(fn, size):
    def load(self, addr, attrs=None):
        self._check()
        r = _result_ptr()
        v = fn(self._ptr, addr, attrs_arg(attrs), r)
        if r[0] != lib.MEMTX_OK:
            raise MemTxError("%d-byte load at 0x%x of '%s': %s"
                             % (size, addr, self.name, memtx_name(r[0])),
                             r[0], v)
        return v
    load.__doc__ = "address_space_%s: one %d-byte load." % (
        fn.__name__[len("address_space_"):] if hasattr(fn, "__name__")
        else "ld", size)
    return load


def _st(fn, size):
    def store(self, addr, value, attrs=None):
        self._check()
        r = _result_ptr()
        fn(self._ptr, addr, value, attrs_arg(attrs), r)
        if r[0] != lib.MEMTX_OK:
            raise MemTxError("%d-byte store at 0x%x of '%s': %s"
                             % (size, addr, self.name, memtx_name(r[0])),
                             r[0])
    store.__doc__ = "one %d-byte store" % size
    return store


class AddressSpace:
    """An address space (QEMU's AddressSpace): what a CPU or a device sees
    of a region tree.  ``AddressSpace(root, name)`` is address_space_init;
    ``destroy()`` (or the end of the last reference, or a ``with`` block)
    address_space_destroy.  The library's own ("memory", "I/O", those of a
    machine or an import) come from ``address_space_memory()``,
    ``address_space_io()``, ``AddressSpace.find(name)`` and
    ``address_spaces()``.

    Accesses raise MemTxError when the result is not MEMTX_OK; the error
    carries the result and what was read anyway.
    """

    def __init__(self, root, name):
        drain_deferred()
        root._check()
        p = lib.calloc(1, ffi.sizeof("AddressSpace"))
        if p == ffi.NULL:
            raise _errors.OutOfMemoryError("out of memory",
                                           lib.GM_ERR_NO_MEMORY)
        self._ptr = ffi.cast("AddressSpace *", p)
        self._owned = True
        self._dead = False
        try:
            call(lib.gm_address_space_init, self._ptr, root._ptr,
                 _regions._name_arg(name))
        except BaseException:
            lib.free(p)
            self._dead = True
            raise
        self._root = root
        pin(root, ("root", addr_of(self._ptr)))
        _own_as[addr_of(self._ptr)] = self

    @classmethod
    def _wrap_foreign(cls, p):
        self = cls.__new__(cls)
        self._ptr = p
        self._owned = False
        self._dead = False
        self._root = None
        return self

    @staticmethod
    def find(name):
        """gm_address_space_find: the first address space called @name, or
        None."""
        drain_deferred()
        return wrap_as(lib.gm_address_space_find(name.encode()))

    def _check(self):
        if self._dead:
            raise _errors.InvalidArgumentError("address space was destroyed")
        drain_deferred()

    @property
    def name(self):
        self._check()
        return ffi.string(self._ptr.name).decode()

    @property
    def root(self):
        self._check()
        return wrap_region(self._ptr.root)

    def __repr__(self):
        if self._dead:
            return "<guestmem.AddressSpace (destroyed)>"
        return "<guestmem.AddressSpace '%s'>" % self.name

    # -- flat view --

    def flatview(self):
        """The current flat view: a list of Section, in address order."""
        self._check()
        fv = lib.address_space_get_flatview(self._ptr)
        try:
            out = []
            s = ffi.new("MemoryRegionSection *")
            for i in range(lib.gm_flatview_nr(fv)):
                if lib.gm_flatview_section(fv, i, s):
                    out.append(Section._from(s))
            return out
        finally:
            lib.flatview_unref(fv)

    def lookup(self, addr):
        """The flat-view range serving @addr (a Section), or None."""
        self._check()
        fv = lib.address_space_get_flatview(self._ptr)
        try:
            s = ffi.new("MemoryRegionSection *")
            if lib.gm_flatview_lookup(fv, addr, s):
                return Section._from(s)
            return None
        finally:
            lib.flatview_unref(fv)

    def translate(self, addr, length=1, is_write=False, attrs=None):
        """address_space_translate: (region or None, offset in it, length
        that stays in it)."""
        self._check()
        xlat = ffi.new("hwaddr *")
        plen = ffi.new("hwaddr *", length)
        mr = lib.gmpy_translate(self._ptr, addr, xlat, plen, bool(is_write),
                                (attrs or _regions.MEMTXATTRS_UNSPECIFIED)._pack())
        return wrap_region(mr), xlat[0], plen[0]

    def explain(self, addr):
        """gm_explain_fprint as a string: which region serves @addr, why."""
        self._check()
        served = ffi.new("int *")
        return _regions.take_string(lib.gmpy_explain(self._ptr, addr, served))

    # -- accesses --

    def read(self, addr, size, attrs=None):
        """address_space_read: @size bytes at @addr, as bytes."""
        self._check()
        buf = ffi.new("uint8_t[]", size) if size else ffi.new("uint8_t[1]")
        r = lib.address_space_read(self._ptr, addr, attrs_arg(attrs), buf,
                                   size)
        data = ffi.buffer(buf, size)[:]
        if r != lib.MEMTX_OK:
            raise MemTxError("read of %d bytes at 0x%x of '%s': %s"
                             % (size, addr, self.name, memtx_name(r)), r,
                             data)
        return data

    def write(self, addr, data, attrs=None):
        """address_space_write: @data (bytes-like) at @addr."""
        self._check()
        buf = ffi.from_buffer(data)
        r = lib.address_space_write(self._ptr, addr, attrs_arg(attrs), buf,
                                    len(buf))
        if r != lib.MEMTX_OK:
            raise MemTxError("write of %d bytes at 0x%x of '%s': %s"
                             % (len(buf), addr, self.name, memtx_name(r)), r)

    def write_rom(self, addr, data, attrs=None):
        """address_space_write_rom: write RAM and ROM alike (a loader)."""
        self._check()
        buf = ffi.from_buffer(data)
        r = lib.address_space_write_rom(self._ptr, addr, attrs_arg(attrs),
                                        buf, len(buf))
        if r != lib.MEMTX_OK:
            raise MemTxError("ROM write at 0x%x: %s" % (addr, memtx_name(r)),
                             r)

    def set(self, addr, c, length, attrs=None):
        """address_space_set: fill @length bytes with @c."""
        self._check()
        r = lib.address_space_set(self._ptr, addr, c, length,
                                  attrs_arg(attrs))
        if r != lib.MEMTX_OK:
            raise MemTxError("set at 0x%x: %s" % (addr, memtx_name(r)), r)

    def access_valid(self, addr, length, is_write, attrs=None):
        """address_space_access_valid."""
        self._check()
        return bool(lib.address_space_access_valid(
            self._ptr, addr, length, bool(is_write), attrs_arg(attrs)))

    def dma_read(self, addr, size, attrs=None):
        """dma_memory_read (a barrier, then a read)."""
        self._check()
        buf = ffi.new("uint8_t[]", max(size, 1))
        r = lib.dma_memory_read(self._ptr, addr, buf, size, attrs_arg(attrs))
        data = ffi.buffer(buf, size)[:]
        if r != lib.MEMTX_OK:
            raise MemTxError("DMA read at 0x%x: %s" % (addr, memtx_name(r)),
                             r, data)
        return data

    def dma_write(self, addr, data, attrs=None):
        """dma_memory_write (a barrier, then a write)."""
        self._check()
        buf = ffi.from_buffer(data)
        r = lib.dma_memory_write(self._ptr, addr, buf, len(buf),
                                 attrs_arg(attrs))
        if r != lib.MEMTX_OK:
            raise MemTxError("DMA write at 0x%x: %s" % (addr, memtx_name(r)),
                             r)

    ldub = _ld(lib.address_space_ldub, 1)
    lduw_le = _ld(lib.address_space_lduw_le, 2)
    lduw_be = _ld(lib.address_space_lduw_be, 2)
    ldl_le = _ld(lib.address_space_ldl_le, 4)
    ldl_be = _ld(lib.address_space_ldl_be, 4)
    ldq_le = _ld(lib.address_space_ldq_le, 8)
    ldq_be = _ld(lib.address_space_ldq_be, 8)
    stb = _st(lib.address_space_stb, 1)
    stw_le = _st(lib.address_space_stw_le, 2)
    stw_be = _st(lib.address_space_stw_be, 2)
    stl_le = _st(lib.address_space_stl_le, 4)
    stl_be = _st(lib.address_space_stl_be, 4)
    stq_le = _st(lib.address_space_stq_le, 8)
    stq_be = _st(lib.address_space_stq_be, 8)
    # The target-endian names (guestmem's target is little-endian).
    lduw = lduw_le
    ldl = ldl_le
    ldq = ldq_le
    stw = stw_le
    stl = stl_le
    stq = stq_le

    # -- the end --

    def destroy(self):
        """address_space_destroy (its listeners are unregistered)."""
        if not self._owned:
            raise _errors.InvalidArgumentError(
                "address space '%s' belongs to the library" % self.name)
        self._check()
        if in_callback():
            raise _errors.BusyError("cannot destroy an address space from "
                                    "inside a callback", lib.GM_ERR_BUSY)
        lib.address_space_destroy(self._ptr)
        self._after_destroy()

    def _after_destroy(self):
        key = addr_of(self._ptr)
        for l in [l for l in _registered.values()
                  if l.address_space is self]:
            l._forget()
        if self._root is not None:
            unpin(self._root, ("root", key))
            self._root = None
        _own_as.pop(key, None)
        lib.free(self._ptr)
        self._dead = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if not self._dead:
            self.destroy()
        return False

    def __del__(self):
        if ((_regions is None or _regions._shutting_down) or not getattr(self, "_owned", False)
                or self._dead):
            return
        if in_callback():
            _regions._deferred.append(self)
            return
        self._finalize()

    def _finalize(self):
        lib.address_space_destroy(self._ptr)
        self._after_destroy()


def address_space_memory():
    """The "memory" address space (QEMU's address_space_memory)."""
    drain_deferred()
    return wrap_as(lib.gm_address_space_memory())


def address_space_io():
    """The "I/O" address space (QEMU's address_space_io)."""
    drain_deferred()
    return wrap_as(lib.gm_address_space_io())


def address_spaces():
    """Every address space, in creation order."""
    drain_deferred()
    out = []
    p = lib.gm_address_space_next(ffi.NULL)
    while p != ffi.NULL:
        out.append(wrap_as(p))
        p = lib.gm_address_space_next(p)
    return out


@contextlib.contextmanager
def transaction():
    """memory_region_transaction_begin/commit around the block: the changes
    in it become visible together (at the outermost commit, which also
    runs when the block raises)."""
    drain_deferred()
    lib.memory_region_transaction_begin()
    try:
        yield
    finally:
        with capture():
            lib.memory_region_transaction_commit()


# --- eventfds ------------------------------------------------------------------------

_notifiers = weakref.WeakValueDictionary()


class EventNotifier:
    """An eventfd (QEMU's EventNotifier): ``fd``, ``set()``,
    ``test_and_clear()``; closed by ``close()`` or at its end."""

    def __init__(self, active=False):
        p = lib.calloc(1, ffi.sizeof("EventNotifier"))
        if p == ffi.NULL:
            raise _errors.OutOfMemoryError("out of memory",
                                           lib.GM_ERR_NO_MEMORY)
        self._ptr = ffi.cast("EventNotifier *", p)
        self._owned = True
        r = lib.event_notifier_init(self._ptr, int(bool(active)))
        if r < 0:
            lib.free(p)
            self._ptr = None
            raise OSError(-r, "event_notifier_init failed")
        _notifiers[addr_of(self._ptr)] = self

    @classmethod
    def _lookup(cls, p):
        if p == ffi.NULL:
            return None
        n = _notifiers.get(addr_of(p))
        if n is None:  # one made by C code: wrap without owning it
            n = cls.__new__(cls)
            n._ptr = p
            n._owned = False
        return n

    @property
    def fd(self):
        return lib.event_notifier_get_fd(self._ptr)

    def set(self):
        r = lib.event_notifier_set(self._ptr)
        if r < 0:
            raise OSError(-r, "event_notifier_set failed")

    def test_and_clear(self):
        """Whether it was signalled; clears it."""
        return bool(lib.event_notifier_test_and_clear(self._ptr))

    def close(self):
        if self._owned and self._ptr is not None:
            if addr_of(self._ptr) in _regions._pins:
                raise _errors.InUseError("the notifier is still attached to "
                                         "a region (del_eventfd first)",
                                         lib.GM_ERR_IN_USE)
            _notifiers.pop(addr_of(self._ptr), None)
            lib.event_notifier_cleanup(self._ptr)
            lib.free(self._ptr)
            self._ptr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def __del__(self):
        if not (_regions is None or _regions._shutting_down) and getattr(self, "_ptr", None):
            self.close()


# --- listeners -----------------------------------------------------------------------

# The order of the GMPY_* constants in build_ffi.py.
_CALLBACKS = ("begin", "commit", "region_add", "region_del", "region_nop",
              "log_start", "log_stop", "log_sync", "log_sync_global",
              "log_clear", "log_global_start", "log_global_stop",
              "log_global_after_sync", "eventfd_add", "eventfd_del",
              "coalesced_io_add", "coalesced_io_del")
_NO_ARGS = {0, 1, 8, 10, 11, 12}
_SECTION = {2, 3, 4, 7, 9}
_LOG = {5, 6}
_EVENTFD = {13, 14}
_registered = {}  # address of the C listener -> MemoryListener


class MemoryListener:
    """A memory listener (QEMU's MemoryListener).  Subclass it and define
    any of the callbacks, with QEMU's names and arguments (a Section where
    QEMU passes a MemoryRegionSection):

        begin(), commit(), region_add(s), region_del(s), region_nop(s),
        log_start(s, old_mask, new_mask), log_stop(s, old, new),
        log_sync(s), log_sync_global(), log_clear(s), log_global_start(),
        log_global_stop(), log_global_after_sync(),
        eventfd_add(s, match_data, data, notifier), eventfd_del(...),
        coalesced_io_add(s, addr, len), coalesced_io_del(s, addr, len)

    Callbacks left undefined stay NULL for the library, as in C.  Set
    ``priority`` and ``name`` (class or instance attributes) before
    ``register(address_space)``; registering replays the current view.
    A callback that raises is logged to the ``guestmem`` logger and kept in
    ``errors``; the commit goes on.  Callbacks run with the update lock
    held: they may read but not change the memory map.
    """

    priority = 0
    name = None

    def register(self, address_space):
        """memory_listener_register on @address_space."""
        drain_deferred()
        address_space._check()
        if getattr(self, "_ptr", None) is not None:
            raise _errors.InvalidArgumentError("listener already registered")
        if not hasattr(self, "errors"):
            self.errors = []
        mask = 0
        for i, n in enumerate(_CALLBACKS):
            if callable(getattr(self, n, None)):
                mask |= 1 << i
        self._handle = ffi.new_handle(self)
        name = self.name if self.name is not None else type(self).__name__
        ptr = lib.gmpy_listener_new(mask, self.priority, name.encode(),
                                    self._handle)
        if ptr == ffi.NULL:
            raise _errors.OutOfMemoryError("out of memory",
                                           lib.GM_ERR_NO_MEMORY)
        self._ptr = ptr
        self.address_space = address_space
        _registered[addr_of(ptr)] = self
        try:
            call(lib.gm_memory_listener_register, ptr, address_space._ptr)
        except BaseException:
            self._forget()
            raise

    def unregister(self):
        """memory_listener_unregister (log_stop and region_del first)."""
        if getattr(self, "_ptr", None) is None:
            return
        if in_callback():
            raise _errors.BusyError("cannot unregister from inside a "
                                    "callback", lib.GM_ERR_BUSY)
        lib.memory_listener_unregister(self._ptr)
        self._forget()

    @property
    def registered(self):
        return getattr(self, "_ptr", None) is not None

    def _forget(self):
        _registered.pop(addr_of(self._ptr), None)
        lib.gmpy_listener_free(self._ptr)
        self._ptr = None
        self.address_space = None


@ffi.def_extern()
def gmpy_py_listener(handle, kind, s, old, new, match_data, data, e, addr,
                     length):
    with _errors.CALLBACK_SCOPE:
        listener = ffi.from_handle(handle)
        name = _CALLBACKS[kind]
        try:
            fn = getattr(listener, name)
            if kind in _NO_ARGS:
                fn()
            elif kind in _SECTION:
                fn(Section._from(s))
            elif kind in _LOG:
                fn(Section._from(s), old, new)
            elif kind in _EVENTFD:
                fn(Section._from(s), bool(match_data), data,
                   EventNotifier._lookup(e))
            else:
                fn(Section._from(s), addr, length)
        except BaseException as exc:
            errs = listener.errors
            errs.append(exc)
            del errs[:-64]
            log.error("guestmem: listener %s: %s raised %s: %s",
                      listener.name or type(listener).__name__, name,
                      type(exc).__name__, exc, exc_info=exc)


def forget_all_spaces():
    """After gm_reset(): every address space and listener is gone."""
    for a in list(_own_as.values()):
        if not a._dead:
            key = addr_of(a._ptr)
            if a._root is not None:
                unpin(a._root, ("root", key))
                a._root = None
            lib.free(a._ptr)
            a._dead = True
    _own_as.clear()
    for a in _foreign_as.values():
        a._dead = True
    _foreign_as.clear()
    for l in list(_registered.values()):
        l._forget()
