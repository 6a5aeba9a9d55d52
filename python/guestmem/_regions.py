# SPDX-License-Identifier: MIT
"""MemoryRegion, its callbacks (MemoryRegionOps) and owners (Object).

Lifetime, the one rule that keeps the C side safe: a region's struct lives
in C memory (calloc) that is freed only after gm_memory_region_destroy()
succeeded.  While the library holds a pointer to a region (it is mapped in
a container, aliased, or the root of an address space) its Python object
is *pinned* in ``_pins``, so that neither it nor the handle its callbacks
reach it through can be collected.  An object that is no longer referenced
is destroyed by its finalizer; if the library still uses it (destroy
fails) it is kept alive for good rather than freed under the library.
Finalizers that run inside a callback (where destroying would wait for
the RCU grace period the callback itself holds up) are deferred to the
next call into this module.
"""
import atexit
import sys
import weakref

from ._guestmem_cffi import ffi, lib
from . import _errors
from ._errors import call, capture, error, in_callback, log, MemTxError

UINT64_MAX = (1 << 64) - 1
_MASK64 = UINT64_MAX

# --- registries -------------------------------------------------------------

_own = weakref.WeakValueDictionary()  # address -> Python-made MemoryRegion
_foreign = {}  # address -> wrapper of a region the library made
_pins = {}  # address -> [object, set of reasons the C side holds it]
_kept_forever = []  # objects the library may still use after their end
_deferred = []  # finalizations postponed out of a callback
_shutting_down = False


@atexit.register
def _at_exit():
    # The process is ending: leave the C side as it is instead of tearing
    # it down in whatever order the interpreter finalizes objects.
    global _shutting_down
    _shutting_down = True


def addr_of(p):
    return int(ffi.cast("uintptr_t", p))


def pin(obj, reason):
    entry = _pins.setdefault(addr_of(obj._ptr), [obj, set()])
    entry[1].add(reason)


def unpin(obj, reason):
    key = addr_of(obj._ptr)
    entry = _pins.get(key)
    if entry:
        entry[1].discard(reason)
        if not entry[1]:
            del _pins[key]


def unpin_reason_everywhere(reason):
    for key in [k for k, e in _pins.items() if reason in e[1]]:
        _pins[key][1].discard(reason)
        if not _pins[key][1]:
            del _pins[key]


def recheck_pins():
    """After the library removed regions by itself (a machine or an import
    freed, gm_reset): drop the pins of subregions it detached."""
    for key in list(_pins):
        obj, reasons = _pins[key]
        if isinstance(obj, MemoryRegion) and not obj._dead:
            if obj._ptr.container == ffi.NULL:
                for r in [r for r in reasons if r[0] == "sub"]:
                    reasons.discard(r)
        if not reasons:
            del _pins[key]


def invalidate_foreign(keep=()):
    """Forget wrappers of library-made regions (their memory may be gone)."""
    keep = {addr_of(p) for p in keep}
    for key in list(_foreign):
        if key not in keep:
            _foreign.pop(key)._dead = True


def _retry_finalize(mr):
    if not _shutting_down and not mr._dead:
        if in_callback():
            _deferred.append(mr)
        else:
            mr._finalize()


def retry_kept():
    """Try again to destroy what the library was still using when its last
    Python reference went (after gm_reset(), say)."""
    kept = _kept_forever[:]
    del _kept_forever[:]
    for mr in kept:
        if not mr._dead:
            mr._finalize()


def drain_deferred():
    """Finish what finalizers inside callbacks postponed."""
    while _deferred and not in_callback():
        _deferred.pop()._finalize()


def wrap_region(p):
    """The Python object of region pointer @p (None for NULL)."""
    if p == ffi.NULL:
        return None
    key = addr_of(p)
    mr = _own.get(key)
    if mr is None:
        mr = _foreign.get(key)
    if mr is None:
        mr = MemoryRegion._wrap_foreign(p)
        _foreign[key] = mr
    return mr


def _size_arg(size):
    """Python sizes are exact: 2**64 is the whole space (QEMU's UINT64_MAX)."""
    size = int(size)
    if size == 1 << 64:
        return UINT64_MAX
    if size < 0 or size > UINT64_MAX:
        raise _errors.InvalidArgumentError("size %d out of range" % size)
    return size


def _name_arg(name):
    if name is None:
        return ffi.NULL
    return name.encode() if isinstance(name, str) else bytes(name)


def take_string(p):
    """A malloc'd C string as str; frees it."""
    if p == ffi.NULL:
        raise _errors.OutOfMemoryError("out of memory", lib.GM_ERR_NO_MEMORY)
    try:
        return ffi.string(p).decode("utf-8", "replace")
    finally:
        lib.free(p)


# --- owners ----------------------------------------------------------------------


class Object:
    """An owner (QEMU's QOM parent of a region), for ``info mtree -o`` and
    for QEMU's rule that a region in use pins its owner."""

    def __init__(self, path, is_device=True):
        self._ptr = lib.gm_object_new(_name_arg(path), bool(is_device))
        if self._ptr == ffi.NULL:
            raise _errors.InvalidArgumentError("cannot create object %r"
                                               % (path,))

    @property
    def path(self):
        return ffi.string(lib.gm_object_path(self._ptr)).decode()

    @property
    def is_device(self):
        return bool(lib.gm_object_is_device(self._ptr))

    def __repr__(self):
        return "<guestmem.Object %s>" % self.path

    def __del__(self):
        if not _shutting_down and getattr(self, "_ptr", None) is not None:
            lib.gm_object_unref(self._ptr)
            self._ptr = None


def _owner_arg(owner):
    return owner._ptr if owner is not None else ffi.NULL


# --- callbacks ---------------------------------------------------------------------

_ENDIAN = {
    "native": lib.DEVICE_NATIVE_ENDIAN,
    "big": lib.DEVICE_BIG_ENDIAN,
    "little": lib.DEVICE_LITTLE_ENDIAN,
}


class MemoryRegionOps:
    """The callbacks of an MMIO region or ROM device, with QEMU's access
    rules (see MemoryRegionOps in guestmem/region.h).

    ``read(addr, size) -> int`` and ``write(addr, value, size)``; with
    ``with_attrs=True`` both get a final ``attrs`` (MemTxAttrs) argument.
    A callback that raises MemTxError makes the access fail with its
    ``result``; any other exception makes it fail with MEMTX_ERROR (and is
    logged to the ``guestmem`` logger and kept in the region's
    ``callback_errors``).  ``accepts(addr, size, is_write, attrs) -> bool``
    may refuse an access (an exception refuses it).  ``valid`` and
    ``impl`` are (min, max) access sizes, 0 meaning QEMU's defaults.
    """

    def __init__(self, read=None, write=None, *, endianness="native",
                 valid=(0, 0), valid_unaligned=False, accepts=None,
                 impl=(0, 0), impl_unaligned=False, with_attrs=False):
        self.read = read
        self.write = write
        self.accepts = accepts
        self.endianness = _ENDIAN.get(endianness, endianness)
        self.valid = tuple(valid)
        self.valid_unaligned = valid_unaligned
        self.impl = tuple(impl)
        self.impl_unaligned = impl_unaligned
        self.with_attrs = with_attrs

    def _new_c_ops(self):
        ops = lib.gmpy_ops_new(self.read is not None, self.write is not None,
                               self.accepts is not None, int(self.endianness),
                               self.valid[0], self.valid[1],
                               bool(self.valid_unaligned), self.impl[0],
                               self.impl[1], bool(self.impl_unaligned))
        if ops == ffi.NULL:
            raise _errors.OutOfMemoryError("out of memory",
                                           lib.GM_ERR_NO_MEMORY)
        return ops


def _callback_failed(mr, what, exc):
    errs = mr.callback_errors
    errs.append(exc)
    del errs[:-16]
    log.error("guestmem: %s callback of region '%s' raised %s: %s", what,
              mr.name, type(exc).__name__, exc, exc_info=exc)


@ffi.def_extern()
def gmpy_py_read(handle, addr, data, size, attrs):
    with _errors.CALLBACK_SCOPE:
        mr = ffi.from_handle(handle)
        try:
            ops = mr._pyops
            if ops.with_attrs:
                v = ops.read(addr, size, MemTxAttrs._unpack(attrs))
            else:
                v = ops.read(addr, size)
            if not isinstance(v, int):
                raise TypeError("read callback returned %r, not an int" % (v,))
            data[0] = v & _MASK64
            return lib.MEMTX_OK
        except MemTxError as e:
            data[0] = 0
            return e.result or lib.MEMTX_ERROR
        except BaseException as e:
            data[0] = 0
            _callback_failed(mr, "read", e)
            return lib.MEMTX_ERROR


@ffi.def_extern()
def gmpy_py_write(handle, addr, value, size, attrs):
    with _errors.CALLBACK_SCOPE:
        mr = ffi.from_handle(handle)
        try:
            ops = mr._pyops
            if ops.with_attrs:
                ops.write(addr, value, size, MemTxAttrs._unpack(attrs))
            else:
                ops.write(addr, value, size)
            return lib.MEMTX_OK
        except MemTxError as e:
            return e.result or lib.MEMTX_ERROR
        except BaseException as e:
            _callback_failed(mr, "write", e)
            return lib.MEMTX_ERROR


@ffi.def_extern()
def gmpy_py_accepts(handle, addr, size, is_write, attrs):
    with _errors.CALLBACK_SCOPE:
        mr = ffi.from_handle(handle)
        try:
            return 1 if mr._pyops.accepts(addr, size, bool(is_write),
                                          MemTxAttrs._unpack(attrs)) else 0
        except BaseException as e:
            _callback_failed(mr, "accepts", e)
            return 0


class MemTxAttrs:
    """QEMU's MemTxAttrs.  ``MemTxAttrs()`` is MEMTXATTRS_UNSPECIFIED;
    give any field to make specified attributes."""

    __slots__ = ("unspecified", "secure", "space", "user", "memory",
                 "requester_id", "byte_swap")

    def __init__(self, *, unspecified=None, secure=False, space=0, user=False,
                 memory=False, requester_id=0, byte_swap=False):
        given = secure or space or user or memory or requester_id or byte_swap
        self.unspecified = (not given) if unspecified is None else unspecified
        self.secure = bool(secure)
        self.space = int(space) & 3
        self.user = bool(user)
        self.memory = bool(memory)
        self.requester_id = int(requester_id) & 0xFFFF
        self.byte_swap = bool(byte_swap)

    def _pack(self):
        return (int(self.unspecified) | int(self.secure) << 1
                | self.space << 2 | int(self.user) << 4
                | int(self.memory) << 5 | int(self.byte_swap) << 6
                | self.requester_id << 16)

    @classmethod
    def _unpack(cls, p):
        a = cls.__new__(cls)
        a.unspecified = bool(p & 1)
        a.secure = bool(p >> 1 & 1)
        a.space = p >> 2 & 3
        a.user = bool(p >> 4 & 1)
        a.memory = bool(p >> 5 & 1)
        a.byte_swap = bool(p >> 6 & 1)
        a.requester_id = p >> 16 & 0xFFFF
        return a

    def __eq__(self, other):
        return isinstance(other, MemTxAttrs) and self._pack() == other._pack()

    def __hash__(self):
        return self._pack()

    def __repr__(self):
        if self.unspecified:
            return "MemTxAttrs(unspecified)"
        return "MemTxAttrs(%s)" % ", ".join(
            "%s=%r" % (f, getattr(self, f)) for f in self.__slots__[1:]
            if getattr(self, f))


MEMTXATTRS_UNSPECIFIED = MemTxAttrs()
_UNSPEC = MEMTXATTRS_UNSPECIFIED._pack()
_UNSPEC_C = lib.gmpy_attrs(_UNSPEC)  # a struct value, passed by copy


def attrs_arg(attrs):
    return _UNSPEC_C if attrs is None else lib.gmpy_attrs(attrs._pack())


# --- regions ---------------------------------------------------------------------


class MemoryRegion:
    """A node of the memory tree (QEMU's MemoryRegion).

    Made by the class methods named after QEMU's init functions:
    ``container``, ``ram``, ``rom``, ``rom_device``, ``io``, ``alias``,
    ``reservation``, ``ram_from_file``, ``ram_from_fd``,
    ``ram_from_buffer``.  Regions the library made (the system memory, a
    machine's regions) are wrapped on demand and never destroyed from
    Python.  ``destroy()`` is gm_memory_region_destroy(); a region that is
    no longer referenced from Python nor used by the library is destroyed
    when it is collected.  A region is also a context manager that
    destroys it at the end of the block.
    """

    def __init__(self, *args, **kwargs):
        raise TypeError("make regions with MemoryRegion.ram(), .io(), "
                        ".container(), .alias(), ...")

    # -- construction --

    @classmethod
    def _blank(cls, owner):
        drain_deferred()
        self = cls.__new__(cls)
        p = lib.calloc(1, ffi.sizeof("MemoryRegion"))
        if p == ffi.NULL:
            raise _errors.OutOfMemoryError("out of memory",
                                           lib.GM_ERR_NO_MEMORY)
        self._ptr = ffi.cast("MemoryRegion *", p)
        self._owned = True
        self._dead = False
        self._inited = False
        self._c_ops = ffi.NULL
        self._pyops = None
        self._handle = None
        self._keep = []
        self._owner = owner
        self._alias_target = None
        self._ram_exporter = None
        self._ram_views = []
        self.callback_errors = []
        return self

    def _born(self):
        self._inited = True
        _own[addr_of(self._ptr)] = self
        return self

    def _abort(self):
        if self._c_ops != ffi.NULL:
            lib.free(self._c_ops)
            self._c_ops = ffi.NULL
        lib.free(self._ptr)
        self._dead = True

    @classmethod
    def _wrap_foreign(cls, p):
        self = cls.__new__(cls)
        self._ptr = p
        self._owned = False
        self._dead = False
        self._inited = True
        self._pyops = None
        self._alias_target = None
        self._ram_exporter = None
        self._ram_views = []
        self.callback_errors = []
        return self

    def _init_checked(self, fn, *args):
        """Call an init function that takes errp; undo the allocation on
        failure."""
        try:
            call(fn, self._ptr, *args)
        except BaseException:
            self._abort()
            raise
        return self._born()

    def _init_void(self, fn, *args):
        try:
            with capture():
                fn(self._ptr, *args)
        except BaseException:
            self._abort()
            raise
        return self._born()

    @classmethod
    def container(cls, name, size, owner=None):
        """memory_region_init: a container of @size bytes (2**64 allowed)."""
        self = cls._blank(owner)
        return self._init_void(lib.memory_region_init, _owner_arg(owner),
                               _name_arg(name), _size_arg(size))

    @classmethod
    def ram(cls, name, size, owner=None, *, flags=0):
        """memory_region_init_ram (or _flags_nomigrate with RAM_* @flags)."""
        self = cls._blank(owner)
        if flags:
            return self._init_checked(lib.memory_region_init_ram_flags_nomigrate,
                                      _owner_arg(owner), _name_arg(name),
                                      _size_arg(size), flags)
        return self._init_checked(lib.memory_region_init_ram,
                                  _owner_arg(owner), _name_arg(name),
                                  _size_arg(size))

    @classmethod
    def ram_from_file(cls, name, size, path, owner=None, *, flags=0,
                      align=0, readonly=False):
        """memory_region_init_ram_from_file (mem-path)."""
        self = cls._blank(owner)
        import os
        return self._init_checked(lib.memory_region_init_ram_from_file,
                                  _owner_arg(owner), _name_arg(name),
                                  _size_arg(size), align, flags,
                                  os.fsencode(path), bool(readonly))

    @classmethod
    def ram_from_fd(cls, name, size, fd, owner=None, *, flags=0, offset=0):
        """memory_region_init_ram_from_fd (the region dups @fd)."""
        self = cls._blank(owner)
        return self._init_checked(lib.memory_region_init_ram_from_fd,
                                  _owner_arg(owner), _name_arg(name),
                                  _size_arg(size), flags, fd, offset)

    @classmethod
    def ram_from_buffer(cls, name, buffer, owner=None):
        """memory_region_init_ram_ptr over a writable Python buffer
        (bytearray, mmap, ...), kept alive as long as the region."""
        self = cls._blank(owner)
        buf = ffi.from_buffer(buffer, require_writable=True)
        if len(buf) == 0:
            self._abort()
            raise _errors.InvalidArgumentError("empty buffer")
        self._keep.append((buffer, buf))
        return self._init_void(lib.memory_region_init_ram_ptr,
                               _owner_arg(owner), _name_arg(name), len(buf),
                               buf)

    @classmethod
    def rom(cls, name, size, owner=None, *, data=None):
        """memory_region_init_rom; @data (bytes) is copied to its start."""
        self = cls._blank(owner)
        self._init_checked(lib.memory_region_init_rom, _owner_arg(owner),
                           _name_arg(name), _size_arg(size))
        if data is not None:
            self._load(data)
        return self

    @classmethod
    def rom_device(cls, name, size, ops=None, owner=None, *, data=None,
                   **callbacks):
        """memory_region_init_rom_device: host memory read in romd mode,
        @ops (a MemoryRegionOps, or read=/write=... given here) otherwise
        and for writes; @data is copied to its start."""
        self = cls._blank(owner)
        self._set_ops(ops, callbacks)
        self._init_checked(lib.memory_region_init_rom_device,
                           _owner_arg(owner), self._c_ops,
                           self._handle or ffi.NULL, _name_arg(name),
                           _size_arg(size))
        if data is not None:
            self._load(data)
        return self

    @classmethod
    def io(cls, name, size, ops=None, owner=None, **callbacks):
        """memory_region_init_io: MMIO or port I/O served by @ops (a
        MemoryRegionOps, or its arguments given here: read=, write=,
        endianness=, valid=, impl=, ...).  Without callbacks the region
        refuses every access."""
        self = cls._blank(owner)
        self._set_ops(ops, callbacks)
        return self._init_void(
            lambda mr, o, n, s: lib.memory_region_init_io(
                mr, o, self._c_ops, self._handle or ffi.NULL, n, s),
            _owner_arg(owner), _name_arg(name), _size_arg(size))

    @classmethod
    def alias(cls, name, target, offset, size, owner=None):
        """memory_region_init_alias: a window of @size bytes onto @target
        from @offset.  @target stays alive while the alias exists."""
        target._check()
        self = cls._blank(owner)
        self._init_checked(lib.gm_memory_region_init_alias,
                           _owner_arg(owner), _name_arg(name), target._ptr,
                           offset, _size_arg(size))
        self._alias_target = target
        pin(target, ("alias", addr_of(self._ptr)))
        return self

    @classmethod
    def reservation(cls, name, size, owner=None):
        """memory_region_init_reservation: every access fails."""
        self = cls._blank(owner)
        return self._init_void(lib.memory_region_init_reservation,
                               _owner_arg(owner), _name_arg(name),
                               _size_arg(size))

    def _set_ops(self, ops, callbacks):
        if ops is None and callbacks:
            ops = MemoryRegionOps(**callbacks)
        elif callbacks:
            raise TypeError("give either ops or its arguments, not both")
        if ops is not None:
            self._pyops = ops
            self._c_ops = ops._new_c_ops()
            self._handle = ffi.new_handle(self)

    def _load(self, data):
        mv = self.get_ram_ptr()
        try:
            mv[:len(data)] = data
        finally:
            mv.release()

    # -- state --

    def _check(self):
        if self._dead:
            raise _errors.InvalidArgumentError("region was destroyed")
        drain_deferred()

    def __repr__(self):
        if self._dead:
            return "<guestmem.MemoryRegion (destroyed)>"
        return "<guestmem.MemoryRegion '%s' %s size 0x%x>" % (
            self.name, self.type, self.size)

    @property
    def name(self):
        self._check()
        return ffi.string(lib.memory_region_name(self._ptr)).decode()

    @property
    def size(self):
        """The size in bytes (2**64 for the whole space)."""
        self._check()
        s = lib.memory_region_size(self._ptr)
        return 1 << 64 if s == UINT64_MAX else s

    @size.setter
    def size(self, size):
        self.set_size(size)

    @property
    def type(self):
        """What `info mtree` prints: ram, rom, romd, ramd or i/o."""
        self._check()
        return ffi.string(lib.gm_memory_region_type(self._ptr)).decode()

    @property
    def addr(self):
        """The offset inside the container."""
        self._check()
        return self._ptr.addr

    @addr.setter
    def addr(self, addr):
        self.set_address(addr)

    @property
    def priority(self):
        self._check()
        return self._ptr.priority

    @priority.setter
    def priority(self, priority):
        self.set_priority(priority)

    @property
    def enabled(self):
        self._check()
        return bool(lib.memory_region_is_enabled(self._ptr))

    @enabled.setter
    def enabled(self, enabled):
        self.set_enabled(enabled)

    @property
    def readonly(self):
        self._check()
        return bool(self._ptr.readonly)

    @readonly.setter
    def readonly(self, readonly):
        self.set_readonly(readonly)

    @property
    def nonvolatile(self):
        self._check()
        return bool(lib.memory_region_is_nonvolatile(self._ptr))

    @nonvolatile.setter
    def nonvolatile(self, nonvolatile):
        self.set_nonvolatile(nonvolatile)

    @property
    def romd(self):
        """ROM device: whether reads come from host memory (romd mode)."""
        self._check()
        return bool(self._ptr.romd_mode)

    @romd.setter
    def romd(self, romd_mode):
        self.rom_device_set_romd(romd_mode)

    @property
    def alias_offset(self):
        self._check()
        return self._ptr.alias_offset

    @alias_offset.setter
    def alias_offset(self, offset):
        self.set_alias_offset(offset)

    @property
    def container_region(self):
        """The region this one is mapped in, or None."""
        self._check()
        return wrap_region(self._ptr.container)

    @property
    def alias_target(self):
        """The region an alias shows, or None."""
        self._check()
        return wrap_region(self._ptr.alias)

    @property
    def owner(self):
        self._check()
        return getattr(self, "_owner", None)

    def is_ram(self):
        self._check()
        return bool(lib.memory_region_is_ram(self._ptr))

    def is_rom(self):
        self._check()
        return bool(lib.memory_region_is_rom(self._ptr))

    def is_romd(self):
        self._check()
        return bool(lib.memory_region_is_romd(self._ptr))

    def is_ram_device(self):
        self._check()
        return bool(lib.memory_region_is_ram_device(self._ptr))

    def is_mapped(self):
        self._check()
        return bool(lib.memory_region_is_mapped(self._ptr))

    @property
    def ram_addr(self):
        """Where its host memory starts in the ram_addr_t space (the dirty
        bitmaps' space), or None without host memory."""
        self._check()
        a = lib.memory_region_get_ram_addr(self._ptr)
        return None if a == lib.RAM_ADDR_INVALID else a

    def get_ram_ptr(self):
        """memory_region_get_ram_ptr: the region's host memory as a
        writable memoryview, through aliases.  Writes through it
        are not dirty-tracked, as in QEMU.  The region cannot be destroyed
        while views of it (or slices of them) are alive; destroy() releases
        the views get_ram_ptr() returned, not slices or copies made of
        them."""
        self._check()
        if self._ram_exporter is None:
            p = lib.memory_region_get_ram_ptr(self._ptr)
            if p == ffi.NULL:
                raise _errors.WrongKindError(
                    "region '%s' has no host memory" % self.name,
                    lib.GM_ERR_WRONG_KIND)
            size, mr, off = self.size, self._ptr, 0
            while mr.alias != ffi.NULL:
                off += mr.alias_offset
                mr = mr.alias
            size = min(size, lib.memory_region_size(mr) - off)
            self._ram_exporter = ffi.buffer(p, size)
        mv = memoryview(self._ram_exporter)
        self._ram_views = [r for r in self._ram_views if r() is not None]
        self._ram_views.append(weakref.ref(mv))
        return mv

    def _release_ram_views(self):
        if self._ram_exporter is None:
            return
        for r in self._ram_views:
            v = r()
            if v is not None:
                try:
                    v.release()
                except BufferError:
                    pass
        self._ram_views = []
        # Ours and getrefcount's own: anything more is a live view.
        if sys.getrefcount(self._ram_exporter) > 2:
            raise _errors.InUseError(
                "cannot destroy '%s': views of its RAM are still alive"
                % self.name, lib.GM_ERR_IN_USE)
        self._ram_exporter = None

    # -- placing regions --

    def add_subregion(self, offset, subregion):
        """memory_region_add_subregion."""
        self.add_subregion_overlap(offset, subregion, 0)

    def add_subregion_overlap(self, offset, subregion, priority):
        """memory_region_add_subregion_overlap."""
        self._check()
        subregion._check()
        call(lib.gm_memory_region_add_subregion, self._ptr, offset,
             subregion._ptr, priority)
        pin(subregion, ("sub", addr_of(self._ptr)))

    def del_subregion(self, subregion):
        """memory_region_del_subregion."""
        self._check()
        subregion._check()
        call(lib.gm_memory_region_del_subregion, self._ptr, subregion._ptr)
        unpin(subregion, ("sub", addr_of(self._ptr)))

    def set_enabled(self, enabled):
        self._check()
        with capture():
            lib.memory_region_set_enabled(self._ptr, bool(enabled))

    def set_readonly(self, readonly):
        self._check()
        with capture():
            lib.memory_region_set_readonly(self._ptr, bool(readonly))

    def set_nonvolatile(self, nonvolatile):
        self._check()
        with capture():
            lib.memory_region_set_nonvolatile(self._ptr, bool(nonvolatile))

    def set_address(self, addr):
        self._check()
        call(lib.gm_memory_region_set_address, self._ptr, addr)

    def set_alias_offset(self, offset):
        self._check()
        call(lib.gm_memory_region_set_alias_offset, self._ptr, offset)

    def set_size(self, size):
        self._check()
        self._release_ram_views()
        call(lib.gm_memory_region_set_size, self._ptr, _size_arg(size))

    def set_priority(self, priority):
        """gm_memory_region_set_priority (QEMU deletes and re-adds)."""
        self._check()
        call(lib.gm_memory_region_set_priority, self._ptr, priority)

    def rom_device_set_romd(self, romd_mode):
        """memory_region_rom_device_set_romd."""
        self._check()
        with capture():
            lib.memory_region_rom_device_set_romd(self._ptr, bool(romd_mode))

    # -- dirty logging --

    def set_log(self, log, client):
        """memory_region_set_log: start or stop logging for @client
        (DIRTY_MEMORY_VGA or DIRTY_MEMORY_CODE)."""
        self._check()
        with capture():
            lib.memory_region_set_log(self._ptr, bool(log), client)

    @property
    def dirty_log_mask(self):
        self._check()
        return lib.memory_region_get_dirty_log_mask(self._ptr)

    def get_dirty(self, addr, size, client):
        self._check()
        with capture():
            r = lib.memory_region_get_dirty(self._ptr, addr, size, client)
        return bool(r)

    def set_dirty(self, addr, size):
        self._check()
        with capture():
            lib.memory_region_set_dirty(self._ptr, addr, size)

    def reset_dirty(self, addr, size, client):
        self._check()
        with capture():
            lib.memory_region_reset_dirty(self._ptr, addr, size, client)

    def snapshot_and_clear_dirty(self, addr, size, client):
        """memory_region_snapshot_and_clear_dirty: a DirtyBitmapSnapshot
        (a context manager; its get_dirty(addr, size) asks it)."""
        self._check()
        with capture():
            snap = lib.memory_region_snapshot_and_clear_dirty(
                self._ptr, addr, size, client)
        if snap == ffi.NULL:
            raise _errors.OutOfMemoryError("snapshot failed",
                                           lib.GM_ERR_NO_MEMORY)
        return DirtyBitmapSnapshot(self, snap)

    # -- coalesced MMIO and ioeventfds --

    def add_coalescing(self, offset, size):
        self._check()
        with capture():
            lib.memory_region_add_coalescing(self._ptr, offset, size)

    def set_coalescing(self):
        self._check()
        with capture():
            lib.memory_region_set_coalescing(self._ptr)

    def clear_coalescing(self):
        self._check()
        with capture():
            lib.memory_region_clear_coalescing(self._ptr)

    def add_eventfd(self, addr, size, match_data, data, notifier):
        """memory_region_add_eventfd: a guest write of @size bytes at @addr
        (with value @data if @match_data) signals @notifier."""
        self._check()
        with capture():
            lib.memory_region_add_eventfd(self._ptr, addr, size,
                                          bool(match_data), data,
                                          notifier._ptr)
        pin(notifier, ("eventfd", addr_of(self._ptr), addr, size,
                       bool(match_data), data))

    def del_eventfd(self, addr, size, match_data, data, notifier):
        self._check()
        call(lib.gm_memory_region_del_eventfd, self._ptr, addr, size,
             bool(match_data), data, notifier._ptr)
        unpin(notifier, ("eventfd", addr_of(self._ptr), addr, size,
                         bool(match_data), data))

    # -- the end --

    def destroy(self):
        """gm_memory_region_destroy: fails (InUseError) while the region is
        mapped, aliased, a root, or its RAM views are alive."""
        if not self._owned:
            raise _errors.InvalidArgumentError(
                "region '%s' belongs to the library" % self.name)
        self._check()
        if in_callback():
            raise _errors.BusyError("cannot destroy a region from inside a "
                                    "callback", lib.GM_ERR_BUSY)
        self._release_ram_views()
        call(lib.gm_memory_region_destroy, self._ptr)
        self._after_destroy()

    def _after_destroy(self):
        key = addr_of(self._ptr)
        unpin_reason_everywhere(("sub", key))
        for k in list(_pins):
            reasons = _pins[k][1]
            for r in [r for r in reasons if r[0] == "eventfd" and r[1] == key]:
                reasons.discard(r)
            if not reasons:
                del _pins[k]
        if self._alias_target is not None:
            unpin(self._alias_target, ("alias", key))
            self._alias_target = None
        _own.pop(key, None)
        if self._c_ops != ffi.NULL:
            lib.free(self._c_ops)
            self._c_ops = ffi.NULL
        lib.free(self._ptr)
        self._dead = True
        self._handle = None
        self._keep = []

    def _finalize(self):
        """Destroy after the last Python reference went; keep everything if
        the library still uses the region."""
        try:
            try:
                self._release_ram_views()
            except _errors.InUseError:
                # Slices of its RAM are alive: try again when the last one
                # is gone (they hold the exporter, nothing else does).
                exporter, self._ram_exporter = self._ram_exporter, None
                weakref.finalize(exporter, _retry_finalize, self)
                return
            errp = ffi.new("Error **")
            if lib.gm_memory_region_destroy(self._ptr, errp) == 0:
                self._after_destroy()
                return
            lib.error_free(errp[0])
        except Exception:
            pass
        _kept_forever.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if not self._dead:
            self.destroy()
        return False

    def __del__(self):
        if (_shutting_down or not getattr(self, "_owned", False)
                or self._dead or not self._inited):
            return
        if in_callback():
            _deferred.append(self)
        else:
            self._finalize()


class DirtyBitmapSnapshot:
    """The bits memory_region_snapshot_and_clear_dirty() took and cleared."""

    def __init__(self, mr, ptr):
        self._mr = mr
        self._ptr = ptr

    def get_dirty(self, addr, size):
        """memory_region_snapshot_get_dirty for [addr, addr + size) of the
        region."""
        if self._ptr is None:
            raise _errors.InvalidArgumentError("snapshot was freed")
        with capture():
            r = lib.memory_region_snapshot_get_dirty(self._mr._ptr, self._ptr,
                                                     addr, size)
        return bool(r)

    @property
    def range(self):
        """(start, end) of the ram_addr_t range the snapshot covers."""
        start = ffi.new("ram_addr_t *")
        end = ffi.new("ram_addr_t *")
        lib.gm_dirty_snapshot_range(self._ptr, start, end)
        return start[0], end[0]

    def free(self):
        if self._ptr is not None:
            lib.gm_dirty_snapshot_free(self._ptr)
            self._ptr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.free()
        return False

    def __del__(self):
        if not _shutting_down:
            self.free()


def get_system_memory():
    """The "system" container (QEMU's get_system_memory())."""
    drain_deferred()
    return wrap_region(lib.get_system_memory())


def get_system_io():
    """The "io" region (QEMU's get_system_io())."""
    drain_deferred()
    return wrap_region(lib.get_system_io())
