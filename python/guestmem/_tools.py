# SPDX-License-Identifier: MIT
"""`info mtree` printing and importing, explain, the PC machine, dirty
tracking over the ram_addr_t space, sizes, and starting over."""
import os

from ._guestmem_cffi import ffi, lib
from . import _errors, _regions, _spaces
from ._errors import call, capture, in_callback
from ._regions import drain_deferred, take_string, wrap_region


def mtree(flatview=False, dispatch_tree=False, owner=False, disabled=False):
    """`info mtree` as QEMU 7.2 prints it, as a string (gm_mtree_fprint):
    the trees, or with @flatview the flat views (-f); @dispatch_tree (-d),
    @owner (-o) and @disabled (-D) as there."""
    drain_deferred()
    return take_string(lib.gmpy_mtree(bool(flatview), bool(dispatch_tree),
                                      bool(owner), bool(disabled)))


def mtree_info(flatview=False, dispatch_tree=False, owner=False,
               disabled=False):
    """QEMU's mtree_info(): print mtree() to sys.stdout."""
    print(mtree(flatview, dispatch_tree, owner, disabled), end="")


def explain(address_space, addr):
    """gm_explain_fprint as a string: which region serves @addr in
    @address_space, the containers, aliases and priorities on the way."""
    return address_space.explain(addr)


def resolve(root, addr):
    """gm_resolve: the naive tree walk for one address; a Section of one
    byte, or None."""
    root._check()
    s = ffi.new("MemoryRegionSection *")
    if not lib.gm_resolve(root._ptr, addr, s):
        return None
    return _spaces.Section._from(s)


def _after_library_removed_regions():
    _regions.invalidate_foreign()
    _regions.recheck_pins()
    _regions.retry_kept()


class MtreeImport:
    """The regions and address spaces rebuilt from an `info mtree` dump
    (gm_mtree_import*).  Its address spaces are found with
    ``AddressSpace.find()`` and ``address_spaces()``; ``format()`` prints
    it as QEMU did; ``free()`` (or the end of the last reference, or a
    ``with`` block) removes everything it built."""

    def __init__(self, ptr):
        self._ptr = ptr

    def format(self, flatview=False, dispatch_tree=False, owner=False,
               disabled=False):
        """gm_mtree_import_fprint as a string."""
        self._check()
        return take_string(call(lib.gmpy_import_format, self._ptr,
                                bool(flatview), bool(dispatch_tree),
                                bool(owner), bool(disabled)))

    def _check(self):
        if self._ptr is None:
            raise _errors.InvalidArgumentError("import was freed")

    def free(self):
        if self._ptr is not None:
            if in_callback():
                raise _errors.BusyError("not from a callback",
                                        lib.GM_ERR_BUSY)
            lib.gm_mtree_import_free(self._ptr)
            self._ptr = None
            _forget_foreign_spaces()
            _after_library_removed_regions()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.free()
        return False

    def __del__(self):
        if not (_regions is None or _regions._shutting_down) and getattr(self, "_ptr", None):
            if in_callback():
                _regions._deferred.append(self)
            else:
                self.free()

    _finalize = free


def _forget_foreign_spaces():
    """After a machine or an import was freed: the address spaces it made
    are gone, and with them (address_space_destroy) their listeners."""
    alive = {_regions.addr_of(p) for p in (lib.gm_address_space_memory(),
                                           lib.gm_address_space_io())}
    p = lib.gm_address_space_next(ffi.NULL)
    while p != ffi.NULL:
        alive.add(_regions.addr_of(p))
        p = lib.gm_address_space_next(p)
    for key in list(_spaces._foreign_as):
        if key not in alive:
            a = _spaces._foreign_as.pop(key)
            a._dead = True
            for listener in [l for l in _spaces._registered.values()
                             if l.address_space is a]:
                listener._forget()


def _text(s):
    if s is None:
        return ffi.NULL
    return s.encode() if isinstance(s, str) else bytes(s)


def mtree_import(dump, flat=None):
    """gm_mtree_import: rebuild the tree of an `info mtree -D` dump (text),
    with the facts only the `info mtree -f` dump @flat gives."""
    drain_deferred()
    return MtreeImport(call(lib.gm_mtree_import, _text(dump), _text(flat)))


def mtree_import_file(path, flat_path=None):
    """gm_mtree_import_file."""
    drain_deferred()
    return MtreeImport(call(lib.gm_mtree_import_file, os.fsencode(path),
                            ffi.NULL if flat_path is None
                            else os.fsencode(flat_path)))


def mtree_import_qmp(socket_path):
    """gm_mtree_import_qmp: import from a running QEMU's QMP socket."""
    drain_deferred()
    return MtreeImport(call(lib.gm_mtree_import_qmp,
                            os.fsencode(socket_path)))


def qmp_hmp(socket_path, command):
    """gm_qmp_hmp: a monitor command through QMP; its output."""
    return take_string(call(lib.gm_qmp_hmp, os.fsencode(socket_path),
                            command.encode()))


def mtree_flat_hint(dump, flat):
    """gm_mtree_flat_hint: the facts of @flat that @dump cannot say."""
    return take_string(call(lib.gm_mtree_flat_hint, _text(dump), _text(flat)))


# --- the PC machine ---------------------------------------------------------------


def parse_size(text):
    """gm_parse_size: a size as QEMU reads one ("1.5G", "0x1000")."""
    out = ffi.new("uint64_t *")
    call(lib.gm_parse_size, text.encode(), out)
    return out[0]


def parse_ram_size(text):
    """gm_parse_ram_size: a size as -m reads one (no unit: MiB)."""
    out = ffi.new("uint64_t *")
    call(lib.gm_parse_ram_size, text.encode(), out)
    return out[0]


class E820Entry(tuple):
    __slots__ = ()

    def __new__(cls, address, length, type):
        return tuple.__new__(cls, (address, length, type))

    address = property(lambda self: self[0])
    length = property(lambda self: self[1])
    type = property(lambda self: self[2])

    def __repr__(self):
        return "E820Entry(address=0x%x, length=0x%x, type=%d)" % self


class PcMachine:
    """QEMU's pc machine memory map (gm_pc_config_parse and
    gm_pc_machine_new) in the system memory and I/O regions.

    @spec is `-M`'s value ("pc", "pc-i440fx-7.2",
    "pc,max-ram-below-4g=2G"); @ram_size `-m`'s (an int in bytes, or a
    string as -m reads it).  @bios is the firmware file (default: Debian's
    SeaBIOS), or @bios_image its bytes.  ``free()`` (or a ``with`` block,
    or the end of the last reference) removes it.
    """

    def __init__(self, spec="pc", ram_size=128 << 20, *, bios=None,
                 bios_image=None):
        drain_deferred()
        if isinstance(ram_size, str):
            ram_size = parse_ram_size(ram_size) or 128 << 20
        cfg = ffi.new("GmPcConfig *")
        call(lib.gm_pc_config_parse, cfg, spec.encode(), ram_size)
        keep = []
        if bios is not None:
            b = ffi.new("char[]", os.fsencode(bios))
            keep.append(b)
            cfg.bios_path = b
        if bios_image is not None:
            img = ffi.from_buffer(bios_image)
            keep.append(img)
            cfg.bios_image = img
            cfg.bios_image_size = len(img)
        self._ptr = None
        self._ptr = call(lib.gm_pc_machine_new, cfg)

    def _check(self):
        if self._ptr is None:
            raise _errors.InvalidArgumentError("machine was freed")

    @property
    def below_4g(self):
        self._check()
        return lib.gm_pc_below_4g(self._ptr)

    @property
    def above_4g(self):
        self._check()
        return lib.gm_pc_above_4g(self._ptr)

    @property
    def ram(self):
        """The `pc.ram` region."""
        self._check()
        return wrap_region(lib.gm_pc_ram(self._ptr))

    def set_pam(self, idx, attr):
        """gm_pc_set_pam: PAM segment @idx to @attr (0 PCI, 1 read-only,
        2 write-only, 3 RAM)."""
        self._check()
        call(lib.gm_pc_set_pam, self._ptr, idx, attr)

    def set_smram(self, value):
        """gm_pc_set_smram: an i440fx SMRAM register value."""
        self._check()
        with capture():
            lib.gm_pc_set_smram(self._ptr, value)

    def e820(self):
        """The e820 table: a list of E820Entry(address, length, type)."""
        self._check()
        n = lib.gm_pc_e820(self._ptr, ffi.NULL, 0)
        out = ffi.new("GmE820Entry[]", max(n, 1))
        n = lib.gm_pc_e820(self._ptr, out, n)
        return [E820Entry(e.address, e.length, e.type) for e in out[0:n]]

    def free(self):
        if self._ptr is not None:
            if in_callback():
                raise _errors.BusyError("not from a callback",
                                        lib.GM_ERR_BUSY)
            lib.gm_pc_machine_free(self._ptr)
            self._ptr = None
            _forget_foreign_spaces()
            _after_library_removed_regions()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.free()
        return False

    def __del__(self):
        if not (_regions is None or _regions._shutting_down) and getattr(self, "_ptr", None):
            if in_callback():
                _regions._deferred.append(self)
            else:
                self.free()

    _finalize = free


# --- dirty tracking over the ram_addr_t space -------------------------------------


def memory_global_dirty_log_start(flags=lib.GLOBAL_DIRTY_MIGRATION):
    drain_deferred()
    with capture():
        lib.memory_global_dirty_log_start(flags)


def memory_global_dirty_log_stop(flags=lib.GLOBAL_DIRTY_MIGRATION):
    drain_deferred()
    with capture():
        lib.memory_global_dirty_log_stop(flags)


def memory_global_dirty_log_sync():
    drain_deferred()
    lib.memory_global_dirty_log_sync()


def global_dirty_tracking():
    """gm_global_dirty_tracking: the GLOBAL_DIRTY_* flags now on."""
    return lib.gm_global_dirty_tracking()


def dirty_count(start, length, client):
    """gm_dirty_count: dirty pages of @client in [start, start + length)
    of the ram_addr_t space."""
    return lib.gm_dirty_count(start, length, client)


def ram_block_format():
    """`info ramblock` as QEMU 7.2 prints it."""
    return take_string(lib.ram_block_format())


# --- the rest ------------------------------------------------------------------------


def version():
    """gm_version(): the version of the library in use."""
    return ffi.string(lib.gm_version()).decode()


def transaction_depth():
    return lib.gm_transaction_depth()


def reset():
    """gm_reset(): destroy every address space and the system regions,
    and return guestmem to its initial state.  Regions made from Python
    are detached and destroyed when no longer referenced."""
    if in_callback():
        raise _errors.BusyError("not from a callback", lib.GM_ERR_BUSY)
    drain_deferred()
    lib.gm_reset()
    _spaces.forget_all_spaces()
    _regions.invalidate_foreign()
    _regions.recheck_pins()
    _regions.retry_kept()
