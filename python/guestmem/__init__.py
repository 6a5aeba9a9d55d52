# SPDX-License-Identifier: MIT
"""guestmem: QEMU 7.2's guest memory model, from Python.

    import guestmem as gm
    ram = gm.MemoryRegion.ram("ram", 64 << 20)
    uart = gm.MemoryRegion.io("uart", 8, read=lambda addr, size: 0x60)
    gm.get_system_memory().add_subregion(0, ram)
    gm.get_system_memory().add_subregion_overlap(0x3f8, uart, 1)
    print(gm.mtree(flatview=True))

The names are QEMU's where QEMU has one (MemoryRegion, AddressSpace,
MemoryListener, add_subregion_overlap, ldl_le, DIRTY_MEMORY_VGA, ...);
errors are exceptions carrying the library's message and GmErrorCode.
docs/python.md has the whole tour.  The module is a cffi extension
compiled against guestmem's headers and linked with libguestmem.so.
"""
from ._guestmem_cffi import ffi as _ffi, lib as _lib
from ._errors import (GuestmemError, InvalidArgumentError, RangeOverflowError,
                      HasContainerError, NotChildError, AliasCycleError,
                      InUseError, WrongKindError, OutOfMemoryError,
                      GuestmemIOError, ParseError, NotFoundError,
                      UnsupportedError, DuplicateError, BusyError, MemTxError,
                      set_error_handler)
from ._regions import (MemoryRegion, MemoryRegionOps, MemTxAttrs,
                       MEMTXATTRS_UNSPECIFIED, Object, DirtyBitmapSnapshot,
                       get_system_memory, get_system_io)
from ._spaces import (AddressSpace, Section, MemoryListener, EventNotifier,
                      address_space_memory, address_space_io, address_spaces,
                      transaction)
from ._tools import (mtree, mtree_info, explain, resolve, MtreeImport,
                     mtree_import, mtree_import_file, mtree_import_qmp,
                     qmp_hmp, mtree_flat_hint, parse_size, parse_ram_size,
                     E820Entry, PcMachine, memory_global_dirty_log_start,
                     memory_global_dirty_log_stop,
                     memory_global_dirty_log_sync, global_dirty_tracking,
                     dirty_count, ram_block_format, version,
                     transaction_depth, reset)


def memory_region_transaction_begin():
    """QEMU's name; prefer ``with guestmem.transaction():``."""
    _lib.memory_region_transaction_begin()


def memory_region_transaction_commit():
    """QEMU's name; prefer ``with guestmem.transaction():``."""
    from ._errors import capture
    with capture():
        _lib.memory_region_transaction_commit()


__version__ = version()
#: The version of the headers the extension was compiled with.
HEADERS_VERSION = "%d.%d.%d" % (_lib.GUESTMEM_VERSION_MAJOR,
                                _lib.GUESTMEM_VERSION_MINOR,
                                _lib.GUESTMEM_VERSION_PATCH)

MEMTX_OK = _lib.MEMTX_OK
MEMTX_ERROR = _lib.MEMTX_ERROR
MEMTX_DECODE_ERROR = _lib.MEMTX_DECODE_ERROR
MEMTX_ACCESS_ERROR = _lib.MEMTX_ACCESS_ERROR
DEVICE_NATIVE_ENDIAN = _lib.DEVICE_NATIVE_ENDIAN
DEVICE_BIG_ENDIAN = _lib.DEVICE_BIG_ENDIAN
DEVICE_LITTLE_ENDIAN = _lib.DEVICE_LITTLE_ENDIAN
DIRTY_MEMORY_VGA = _lib.DIRTY_MEMORY_VGA
DIRTY_MEMORY_CODE = _lib.DIRTY_MEMORY_CODE
DIRTY_MEMORY_MIGRATION = _lib.DIRTY_MEMORY_MIGRATION
DIRTY_MEMORY_NUM = _lib.DIRTY_MEMORY_NUM
GLOBAL_DIRTY_MIGRATION = _lib.GLOBAL_DIRTY_MIGRATION
GLOBAL_DIRTY_DIRTY_RATE = _lib.GLOBAL_DIRTY_DIRTY_RATE
GLOBAL_DIRTY_LIMIT = _lib.GLOBAL_DIRTY_LIMIT
RAM_SHARED = _lib.RAM_SHARED
RAM_NORESERVE = _lib.RAM_NORESERVE
RAM_PMEM = _lib.RAM_PMEM
DIRTY_PAGE_SIZE = _lib.GM_DIRTY_PAGE_SIZE
UINT64_MAX = (1 << 64) - 1

__all__ = [n for n in dir() if not n.startswith("_")]
