# SPDX-License-Identifier: MIT
"""build_ffi.py OUTPUT.c: write the C source of guestmem's Python extension.

The bindings use cffi's API mode (Debian's python3-cffi): this script
declares, in cffi's C subset, the part of guestmem's API the Python module
calls, and cffi turns it into one C file that meson compiles against the
real headers and links with libguestmem.so (and libguestmem-qmp.so, for
the QMP functions).  Compiling against the headers
is the point: every struct size (MemoryRegion, AddressSpace, ...) and every
function signature below is checked by the C compiler, so the module can
never disagree with the library about a layout (ABI mode would copy the
layouts into Python and break silently when a private field is added).

Python callbacks (MMIO, listeners, the error handler) are cffi
`extern "Python"` functions, reached from small C trampolines written here:
the trampolines have the library's exact callback signatures and hand the
Python side only plain scalars (MemTxAttrs is packed into an integer).
"""
import sys

import cffi

CDEF = r"""
typedef uint64_t hwaddr;
typedef uint64_t ram_addr_t;
typedef uint32_t MemTxResult;
#define MEMTX_OK ...
#define MEMTX_ERROR ...
#define MEMTX_DECODE_ERROR ...
#define MEMTX_ACCESS_ERROR ...

typedef enum GmErrorCode {
    GM_OK, GM_ERR_INVALID_ARG, GM_ERR_RANGE_OVERFLOW, GM_ERR_HAS_CONTAINER,
    GM_ERR_NOT_CHILD, GM_ERR_ALIAS_CYCLE, GM_ERR_IN_USE, GM_ERR_WRONG_KIND,
    GM_ERR_NO_MEMORY, GM_ERR_IO, GM_ERR_PARSE, GM_ERR_NOT_FOUND,
    GM_ERR_UNSUPPORTED, GM_ERR_DUPLICATE, GM_ERR_BUSY, GM_ERR__COUNT, ...
} GmErrorCode;

typedef struct { ...; } MemTxAttrs;
typedef struct Error Error;
typedef struct Object Object;
typedef struct RAMBlock RAMBlock;
typedef struct FlatView FlatView;
typedef struct MemoryRegionOps MemoryRegionOps;
typedef struct MemoryListener MemoryListener;
typedef struct GmMtreeImport GmMtreeImport;
typedef struct GmPcMachine GmPcMachine;
typedef struct DirtyBitmapSnapshot DirtyBitmapSnapshot;

typedef struct MemoryRegion MemoryRegion;
struct MemoryRegion {
    Object *owner;
    MemoryRegion *container;
    hwaddr addr;
    MemoryRegion *alias;
    hwaddr alias_offset;
    int32_t priority;
    bool ram;
    bool rom_device;
    bool romd_mode;
    bool readonly;
    bool nonvolatile;
    bool enabled;
    RAMBlock *ram_block;
    ...;
};

typedef struct AddressSpace {
    char *name;
    MemoryRegion *root;
    ...;
} AddressSpace;

typedef struct {
    MemoryRegion *mr;
    FlatView *fv;
    hwaddr offset_within_region;
    hwaddr offset_within_address_space;
    bool readonly;
    bool nonvolatile;
    ...;
} MemoryRegionSection;

typedef struct EventNotifier {
    int rfd;
    int wfd;
    bool initialized;
    ...;
} EventNotifier;

typedef struct GmPcConfig {
    uint64_t ram_size;
    uint64_t max_ram_below_4g;
    bool gigabyte_align;
    const char *bios_path;
    const char *machine_type;
    const void *bios_image;
    size_t bios_image_size;
    ...;
} GmPcConfig;

typedef struct GmE820Entry {
    uint64_t address;
    uint64_t length;
    uint32_t type;
    ...;
} GmE820Entry;

#define DEVICE_NATIVE_ENDIAN ...
#define DEVICE_BIG_ENDIAN ...
#define DEVICE_LITTLE_ENDIAN ...
#define DIRTY_MEMORY_VGA ...
#define DIRTY_MEMORY_CODE ...
#define DIRTY_MEMORY_MIGRATION ...
#define DIRTY_MEMORY_NUM ...
#define RAM_SHARED ...
#define RAM_NORESERVE ...
#define RAM_PMEM ...
#define GLOBAL_DIRTY_MIGRATION ...
#define GLOBAL_DIRTY_DIRTY_RATE ...
#define GLOBAL_DIRTY_LIMIT ...
#define GM_DIRTY_PAGE_SIZE ...
#define RAM_ADDR_INVALID ...
#define GUESTMEM_VERSION_MAJOR ...
#define GUESTMEM_VERSION_MINOR ...
#define GUESTMEM_VERSION_PATCH ...

/* error.h */
const char *error_get_pretty(const Error *err);
GmErrorCode gm_error_code(const Error *err);
const char *gm_strerror(int code);
void error_free(Error *err);
typedef void (*GmErrorHandler)(const Error *err, void *opaque);
void gm_set_error_handler(GmErrorHandler fn, void *opaque);

/* version.h */
const char *gm_version(void);
unsigned gm_version_number(void);

/* object.h */
Object *gm_object_new(const char *path, bool is_device);
void gm_object_ref(Object *obj);
void gm_object_unref(Object *obj);
const char *gm_object_path(const Object *obj);
bool gm_object_is_device(const Object *obj);

/* region.h */
void memory_region_init(MemoryRegion *mr, Object *owner, const char *name,
                        uint64_t size);
void memory_region_init_io(MemoryRegion *mr, Object *owner,
                           const MemoryRegionOps *ops, void *opaque,
                           const char *name, uint64_t size);
void memory_region_init_reservation(MemoryRegion *mr, Object *owner,
                                    const char *name, uint64_t size);
bool memory_region_init_ram(MemoryRegion *mr, Object *owner, const char *name,
                            uint64_t size, Error **errp);
bool memory_region_init_ram_flags_nomigrate(MemoryRegion *mr, Object *owner,
                                            const char *name, uint64_t size,
                                            uint32_t ram_flags, Error **errp);
bool memory_region_init_ram_from_file(MemoryRegion *mr, Object *owner,
                                      const char *name, uint64_t size,
                                      uint64_t align, uint32_t ram_flags,
                                      const char *path, bool readonly,
                                      Error **errp);
bool memory_region_init_ram_from_fd(MemoryRegion *mr, Object *owner,
                                    const char *name, uint64_t size,
                                    uint32_t ram_flags, int fd,
                                    ram_addr_t offset, Error **errp);
void memory_region_init_ram_ptr(MemoryRegion *mr, Object *owner,
                                const char *name, uint64_t size, void *ptr);
bool memory_region_init_rom(MemoryRegion *mr, Object *owner, const char *name,
                            uint64_t size, Error **errp);
bool memory_region_init_rom_device(MemoryRegion *mr, Object *owner,
                                   const MemoryRegionOps *ops, void *opaque,
                                   const char *name, uint64_t size,
                                   Error **errp);
int gm_memory_region_init_alias(MemoryRegion *mr, Object *owner,
                                const char *name, MemoryRegion *orig,
                                hwaddr offset, uint64_t size, Error **errp);
int gm_memory_region_destroy(MemoryRegion *mr, Error **errp);
int gm_memory_region_add_subregion(MemoryRegion *mr, hwaddr offset,
                                   MemoryRegion *subregion, int priority,
                                   Error **errp);
int gm_memory_region_del_subregion(MemoryRegion *mr, MemoryRegion *subregion,
                                   Error **errp);
void memory_region_set_enabled(MemoryRegion *mr, bool enabled);
void memory_region_set_readonly(MemoryRegion *mr, bool readonly);
void memory_region_set_nonvolatile(MemoryRegion *mr, bool nonvolatile);
int gm_memory_region_set_address(MemoryRegion *mr, hwaddr addr, Error **errp);
int gm_memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset,
                                      Error **errp);
int gm_memory_region_set_size(MemoryRegion *mr, uint64_t size, Error **errp);
void memory_region_rom_device_set_romd(MemoryRegion *mr, bool romd_mode);
int gm_memory_region_set_priority(MemoryRegion *mr, int priority,
                                  Error **errp);
void memory_region_set_log(MemoryRegion *mr, bool log, unsigned client);
uint64_t memory_region_size(const MemoryRegion *mr);
const char *memory_region_name(const MemoryRegion *mr);
bool memory_region_is_ram(const MemoryRegion *mr);
bool memory_region_is_ram_device(const MemoryRegion *mr);
bool memory_region_is_romd(const MemoryRegion *mr);
bool memory_region_is_rom(const MemoryRegion *mr);
bool memory_region_is_nonvolatile(const MemoryRegion *mr);
bool memory_region_is_iommu(const MemoryRegion *mr);
bool memory_region_is_enabled(const MemoryRegion *mr);
bool memory_region_is_mapped(const MemoryRegion *mr);
uint8_t memory_region_get_dirty_log_mask(const MemoryRegion *mr);
void *memory_region_get_ram_ptr(MemoryRegion *mr);
const char *gm_memory_region_type(const MemoryRegion *mr);
ram_addr_t memory_region_get_ram_addr(MemoryRegion *mr);

/* ramblock.h */
char *ram_block_format(void);
int gm_parse_ram_size(const char *text, uint64_t *out, Error **errp);
int gm_parse_size(const char *text, uint64_t *out, Error **errp);

/* address-space.h */
MemoryRegion *get_system_memory(void);
MemoryRegion *get_system_io(void);
AddressSpace *gm_address_space_memory(void);
AddressSpace *gm_address_space_io(void);
int gm_address_space_init(AddressSpace *as, MemoryRegion *root,
                          const char *name, Error **errp);
void address_space_destroy(AddressSpace *as);
AddressSpace *gm_address_space_find(const char *name);
AddressSpace *gm_address_space_next(AddressSpace *as);
void memory_region_transaction_begin(void);
void memory_region_transaction_commit(void);
unsigned gm_transaction_depth(void);
FlatView *address_space_get_flatview(AddressSpace *as);
void flatview_unref(FlatView *view);
MemoryRegion *gm_flatview_root(const FlatView *view);
unsigned gm_flatview_nr(const FlatView *view);
bool gm_flatview_section(FlatView *view, unsigned i, MemoryRegionSection *out);
bool gm_flatview_lookup(FlatView *view, hwaddr addr, MemoryRegionSection *out);
void gm_reset(void);

/* access.h */
MemTxResult address_space_read(AddressSpace *as, hwaddr addr,
                               MemTxAttrs attrs, void *buf, hwaddr len);
MemTxResult address_space_write(AddressSpace *as, hwaddr addr,
                                MemTxAttrs attrs, const void *buf, hwaddr len);
MemTxResult address_space_write_rom(AddressSpace *as, hwaddr addr,
                                    MemTxAttrs attrs, const void *buf,
                                    hwaddr len);
MemTxResult address_space_set(AddressSpace *as, hwaddr addr, uint8_t c,
                              hwaddr len, MemTxAttrs attrs);
bool address_space_access_valid(AddressSpace *as, hwaddr addr, hwaddr len,
                                bool is_write, MemTxAttrs attrs);
uint32_t address_space_ldub(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                            MemTxResult *result);
uint32_t address_space_lduw_le(AddressSpace *as, hwaddr addr,
                               MemTxAttrs attrs, MemTxResult *result);
uint32_t address_space_lduw_be(AddressSpace *as, hwaddr addr,
                               MemTxAttrs attrs, MemTxResult *result);
uint32_t address_space_ldl_le(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                              MemTxResult *result);
uint32_t address_space_ldl_be(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                              MemTxResult *result);
uint64_t address_space_ldq_le(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                              MemTxResult *result);
uint64_t address_space_ldq_be(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                              MemTxResult *result);
void address_space_stb(AddressSpace *as, hwaddr addr, uint32_t val,
                       MemTxAttrs attrs, MemTxResult *result);
void address_space_stw_le(AddressSpace *as, hwaddr addr, uint32_t val,
                          MemTxAttrs attrs, MemTxResult *result);
void address_space_stw_be(AddressSpace *as, hwaddr addr, uint32_t val,
                          MemTxAttrs attrs, MemTxResult *result);
void address_space_stl_le(AddressSpace *as, hwaddr addr, uint32_t val,
                          MemTxAttrs attrs, MemTxResult *result);
void address_space_stl_be(AddressSpace *as, hwaddr addr, uint32_t val,
                          MemTxAttrs attrs, MemTxResult *result);
void address_space_stq_le(AddressSpace *as, hwaddr addr, uint64_t val,
                          MemTxAttrs attrs, MemTxResult *result);
void address_space_stq_be(AddressSpace *as, hwaddr addr, uint64_t val,
                          MemTxAttrs attrs, MemTxResult *result);

/* dma.h */
MemTxResult dma_memory_read(AddressSpace *as, uint64_t addr, void *buf,
                            uint64_t len, MemTxAttrs attrs);
MemTxResult dma_memory_write(AddressSpace *as, uint64_t addr, const void *buf,
                             uint64_t len, MemTxAttrs attrs);

/* listener.h */
int event_notifier_init(EventNotifier *e, int active);
void event_notifier_cleanup(EventNotifier *e);
int event_notifier_get_fd(const EventNotifier *e);
int event_notifier_set(EventNotifier *e);
int event_notifier_test_and_clear(EventNotifier *e);
int gm_memory_listener_register(MemoryListener *listener, AddressSpace *as,
                                Error **errp);
void memory_listener_unregister(MemoryListener *listener);
void memory_region_add_coalescing(MemoryRegion *mr, hwaddr offset,
                                  uint64_t size);
void memory_region_set_coalescing(MemoryRegion *mr);
void memory_region_clear_coalescing(MemoryRegion *mr);
void memory_region_add_eventfd(MemoryRegion *mr, hwaddr addr, unsigned size,
                               bool match_data, uint64_t data,
                               EventNotifier *e);
int gm_memory_region_del_eventfd(MemoryRegion *mr, hwaddr addr, unsigned size,
                                 bool match_data, uint64_t data,
                                 EventNotifier *e, Error **errp);
void memory_global_dirty_log_start(unsigned int flags);
void memory_global_dirty_log_stop(unsigned int flags);
unsigned int gm_global_dirty_tracking(void);
void memory_global_dirty_log_sync(void);

/* dirty.h */
bool memory_region_get_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size,
                             unsigned client);
void memory_region_set_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size);
void memory_region_reset_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size,
                               unsigned client);
DirtyBitmapSnapshot *memory_region_snapshot_and_clear_dirty(
    MemoryRegion *mr, hwaddr addr, hwaddr size, unsigned client);
bool memory_region_snapshot_get_dirty(MemoryRegion *mr,
                                      DirtyBitmapSnapshot *snap, hwaddr addr,
                                      hwaddr size);
void gm_dirty_snapshot_free(DirtyBitmapSnapshot *snap);
void gm_dirty_snapshot_range(const DirtyBitmapSnapshot *snap,
                             ram_addr_t *start, ram_addr_t *end);
uint64_t gm_dirty_count(ram_addr_t start, ram_addr_t length, unsigned client);

/* mtree.h */
GmMtreeImport *gm_mtree_import(const char *dump, const char *flat,
                               Error **errp);
GmMtreeImport *gm_mtree_import_file(const char *path, const char *flat_path,
                                    Error **errp);
char *gm_mtree_flat_hint(const char *dump, const char *flat, Error **errp);
void gm_mtree_import_free(GmMtreeImport *imp);
bool gm_resolve(MemoryRegion *root, hwaddr addr, MemoryRegionSection *out);

/* qmp.h (libguestmem-qmp) */
GmMtreeImport *gm_mtree_import_qmp(const char *socket_path, Error **errp);
char *gm_qmp_hmp(const char *socket_path, const char *cmd, Error **errp);

/* machine-pc.h */
int gm_pc_config_parse(GmPcConfig *cfg, const char *spec, uint64_t ram_size,
                       Error **errp);
GmPcMachine *gm_pc_machine_new(const GmPcConfig *cfg, Error **errp);
void gm_pc_machine_free(GmPcMachine *pc);
uint64_t gm_pc_below_4g(const GmPcMachine *pc);
uint64_t gm_pc_above_4g(const GmPcMachine *pc);
MemoryRegion *gm_pc_ram(GmPcMachine *pc);
int gm_pc_set_pam(GmPcMachine *pc, unsigned idx, unsigned attr, Error **errp);
void gm_pc_set_smram(GmPcMachine *pc, uint8_t smram);
size_t gm_pc_e820(const GmPcMachine *pc, GmE820Entry *out, size_t max);

/* libc */
void *calloc(size_t nmemb, size_t size);
void free(void *ptr);

/* The module's own C helpers (below, in SOURCE). */
MemTxAttrs gmpy_attrs(uint32_t packed);
uint32_t gmpy_attrs_pack(MemTxAttrs attrs);
MemoryRegionOps *gmpy_ops_new(int has_read, int has_write, int has_accepts,
                              int endianness, unsigned valid_min,
                              unsigned valid_max, bool valid_unaligned,
                              unsigned impl_min, unsigned impl_max,
                              bool impl_unaligned);
MemoryListener *gmpy_listener_new(uint32_t callbacks, unsigned priority,
                                  const char *name, void *handle);
void gmpy_listener_free(MemoryListener *l);
void gmpy_section_size(const MemoryRegionSection *s, uint64_t *size,
                       int *is_2_64);
char *gmpy_mtree(bool flatview, bool dispatch_tree, bool owner,
                 bool disabled);
char *gmpy_explain(AddressSpace *as, hwaddr addr, int *served);
char *gmpy_import_format(const GmMtreeImport *imp, bool flatview,
                         bool dispatch_tree, bool owner, bool disabled,
                         Error **errp);
MemoryRegion *gmpy_translate(AddressSpace *as, hwaddr addr, hwaddr *xlat,
                             hwaddr *len, bool is_write, uint32_t attrs);
void gmpy_set_error_handler(int on);

extern "Python" uint32_t gmpy_py_read(void *, uint64_t, uint64_t *, unsigned,
                                      uint32_t);
extern "Python" uint32_t gmpy_py_write(void *, uint64_t, uint64_t, unsigned,
                                       uint32_t);
extern "Python" int gmpy_py_accepts(void *, uint64_t, unsigned, int,
                                    uint32_t);
extern "Python" void gmpy_py_listener(void *, int, MemoryRegionSection *, int,
                                      int, int, uint64_t, EventNotifier *,
                                      uint64_t, uint64_t);
extern "Python" void gmpy_py_error(const Error *, void *);
"""

SOURCE = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guestmem/guestmem.h>
#include <guestmem/qmp.h>

static uint32_t gmpy_py_read(void *, uint64_t, uint64_t *, unsigned,
                             uint32_t);
static uint32_t gmpy_py_write(void *, uint64_t, uint64_t, unsigned, uint32_t);
static int gmpy_py_accepts(void *, uint64_t, unsigned, int, uint32_t);
static void gmpy_py_listener(void *, int, MemoryRegionSection *, int, int,
                             int, uint64_t, EventNotifier *, uint64_t,
                             uint64_t);
static void gmpy_py_error(const Error *, void *);

/* MemTxAttrs <-> one integer: bit 0 unspecified, 1 secure, 2-3 space,
 * 4 user, 5 memory, 6 byte_swap, 16-31 requester_id. */
static MemTxAttrs gmpy_attrs(uint32_t p)
{
    MemTxAttrs a;
    memset(&a, 0, sizeof(a));
    a.unspecified = p & 1;
    a.secure = (p >> 1) & 1;
    a.space = (p >> 2) & 3;
    a.user = (p >> 4) & 1;
    a.memory = (p >> 5) & 1;
    a.byte_swap = (p >> 6) & 1;
    a.requester_id = (p >> 16) & 0xffff;
    return a;
}

static uint32_t gmpy_attrs_pack(MemTxAttrs a)
{
    return (uint32_t)a.unspecified | (uint32_t)a.secure << 1 |
           (uint32_t)a.space << 2 | (uint32_t)a.user << 4 |
           (uint32_t)a.memory << 5 | (uint32_t)a.byte_swap << 6 |
           (uint32_t)a.requester_id << 16;
}

/* --- MMIO: the region's opaque is the Python handle of its region. */
static MemTxResult gmpy_mmio_read(void *opaque, hwaddr addr, uint64_t *data,
                                  unsigned size, MemTxAttrs attrs)
{
    return gmpy_py_read(opaque, addr, data, size, gmpy_attrs_pack(attrs));
}

static MemTxResult gmpy_mmio_write(void *opaque, hwaddr addr, uint64_t data,
                                   unsigned size, MemTxAttrs attrs)
{
    return gmpy_py_write(opaque, addr, data, size, gmpy_attrs_pack(attrs));
}

static bool gmpy_mmio_accepts(void *opaque, hwaddr addr, unsigned size,
                              bool is_write, MemTxAttrs attrs)
{
    return gmpy_py_accepts(opaque, addr, size, is_write,
                           gmpy_attrs_pack(attrs)) != 0;
}

static MemoryRegionOps *gmpy_ops_new(int has_read, int has_write,
                                     int has_accepts, int endianness,
                                     unsigned valid_min, unsigned valid_max,
                                     bool valid_unaligned, unsigned impl_min,
                                     unsigned impl_max, bool impl_unaligned)
{
    MemoryRegionOps *ops = calloc(1, sizeof(*ops));
    if (!ops) {
        return NULL;
    }
    ops->read_with_attrs = has_read ? gmpy_mmio_read : NULL;
    ops->write_with_attrs = has_write ? gmpy_mmio_write : NULL;
    ops->endianness = (enum device_endian)endianness;
    ops->valid.min_access_size = valid_min;
    ops->valid.max_access_size = valid_max;
    ops->valid.unaligned = valid_unaligned;
    ops->valid.accepts = has_accepts ? gmpy_mmio_accepts : NULL;
    ops->impl.min_access_size = impl_min;
    ops->impl.max_access_size = impl_max;
    ops->impl.unaligned = impl_unaligned;
    return ops;
}

/* --- listeners: one C struct per Python listener, its handle beside it. */
typedef struct GmpyListener {
    MemoryListener ml; /* first: a MemoryListener * is a GmpyListener * */
    void *handle;
    char *name;
} GmpyListener;

enum {
    GMPY_BEGIN, GMPY_COMMIT, GMPY_REGION_ADD, GMPY_REGION_DEL,
    GMPY_REGION_NOP, GMPY_LOG_START, GMPY_LOG_STOP, GMPY_LOG_SYNC,
    GMPY_LOG_SYNC_GLOBAL, GMPY_LOG_CLEAR, GMPY_LOG_GLOBAL_START,
    GMPY_LOG_GLOBAL_STOP, GMPY_LOG_GLOBAL_AFTER_SYNC, GMPY_EVENTFD_ADD,
    GMPY_EVENTFD_DEL, GMPY_COALESCED_IO_ADD, GMPY_COALESCED_IO_DEL,
};

#define GMPY_H(l) (((GmpyListener *)(l))->handle)
#define GMPY_CALL(l, kind, s, a, b, m, d, e, x, y) \
    gmpy_py_listener(GMPY_H(l), kind, s, a, b, m, d, e, x, y)

static void gl_begin(MemoryListener *l)
{
    GMPY_CALL(l, GMPY_BEGIN, NULL, 0, 0, 0, 0, NULL, 0, 0);
}
static void gl_commit(MemoryListener *l)
{
    GMPY_CALL(l, GMPY_COMMIT, NULL, 0, 0, 0, 0, NULL, 0, 0);
}
static void gl_region_add(MemoryListener *l, MemoryRegionSection *s)
{
    GMPY_CALL(l, GMPY_REGION_ADD, s, 0, 0, 0, 0, NULL, 0, 0);
}
static void gl_region_del(MemoryListener *l, MemoryRegionSection *s)
{
    GMPY_CALL(l, GMPY_REGION_DEL, s, 0, 0, 0, 0, NULL, 0, 0);
}
static void gl_region_nop(MemoryListener *l, MemoryRegionSection *s)
{
    GMPY_CALL(l, GMPY_REGION_NOP, s, 0, 0, 0, 0, NULL, 0, 0);
}
static void gl_log_start(MemoryListener *l, MemoryRegionSection *s, int o,
                         int n)
{
    GMPY_CALL(l, GMPY_LOG_START, s, o, n, 0, 0, NULL, 0, 0);
}
static void gl_log_stop(MemoryListener *l, MemoryRegionSection *s, int o,
                        int n)
{
    GMPY_CALL(l, GMPY_LOG_STOP, s, o, n, 0, 0, NULL, 0, 0);
}
static void gl_log_sync(MemoryListener *l, MemoryRegionSection *s)
{
    GMPY_CALL(l, GMPY_LOG_SYNC, s, 0, 0, 0, 0, NULL, 0, 0);
}
static void gl_log_sync_global(MemoryListener *l)
{
    GMPY_CALL(l, GMPY_LOG_SYNC_GLOBAL, NULL, 0, 0, 0, 0, NULL, 0, 0);
}
static void gl_log_clear(MemoryListener *l, MemoryRegionSection *s)
{
    GMPY_CALL(l, GMPY_LOG_CLEAR, s, 0, 0, 0, 0, NULL, 0, 0);
}
static void gl_log_global_start(MemoryListener *l)
{
    GMPY_CALL(l, GMPY_LOG_GLOBAL_START, NULL, 0, 0, 0, 0, NULL, 0, 0);
}
static void gl_log_global_stop(MemoryListener *l)
{
    GMPY_CALL(l, GMPY_LOG_GLOBAL_STOP, NULL, 0, 0, 0, 0, NULL, 0, 0);
}
static void gl_log_global_after_sync(MemoryListener *l)
{
    GMPY_CALL(l, GMPY_LOG_GLOBAL_AFTER_SYNC, NULL, 0, 0, 0, 0, NULL, 0, 0);
}
static void gl_eventfd_add(MemoryListener *l, MemoryRegionSection *s,
                           bool match_data, uint64_t data, EventNotifier *e)
{
    GMPY_CALL(l, GMPY_EVENTFD_ADD, s, 0, 0, match_data, data, e, 0, 0);
}
static void gl_eventfd_del(MemoryListener *l, MemoryRegionSection *s,
                           bool match_data, uint64_t data, EventNotifier *e)
{
    GMPY_CALL(l, GMPY_EVENTFD_DEL, s, 0, 0, match_data, data, e, 0, 0);
}
static void gl_coalesced_io_add(MemoryListener *l, MemoryRegionSection *s,
                                hwaddr addr, hwaddr len)
{
    GMPY_CALL(l, GMPY_COALESCED_IO_ADD, s, 0, 0, 0, 0, NULL, addr, len);
}
static void gl_coalesced_io_del(MemoryListener *l, MemoryRegionSection *s,
                                hwaddr addr, hwaddr len)
{
    GMPY_CALL(l, GMPY_COALESCED_IO_DEL, s, 0, 0, 0, 0, NULL, addr, len);
}

/* @callbacks: bit GMPY_x set for each callback the Python listener has;
 * the others stay NULL, as a C listener would leave them. */
static MemoryListener *gmpy_listener_new(uint32_t callbacks,
                                         unsigned priority, const char *name,
                                         void *handle)
{
    GmpyListener *g = calloc(1, sizeof(*g));
    if (!g) {
        return NULL;
    }
    MemoryListener *l = &g->ml;
#define SET(bit, field, fn)                \
    if (callbacks & (1u << (bit))) {       \
        l->field = fn;                     \
    }
    SET(GMPY_BEGIN, begin, gl_begin)
    SET(GMPY_COMMIT, commit, gl_commit)
    SET(GMPY_REGION_ADD, region_add, gl_region_add)
    SET(GMPY_REGION_DEL, region_del, gl_region_del)
    SET(GMPY_REGION_NOP, region_nop, gl_region_nop)
    SET(GMPY_LOG_START, log_start, gl_log_start)
    SET(GMPY_LOG_STOP, log_stop, gl_log_stop)
    SET(GMPY_LOG_SYNC, log_sync, gl_log_sync)
    SET(GMPY_LOG_SYNC_GLOBAL, log_sync_global, gl_log_sync_global)
    SET(GMPY_LOG_CLEAR, log_clear, gl_log_clear)
    SET(GMPY_LOG_GLOBAL_START, log_global_start, gl_log_global_start)
    SET(GMPY_LOG_GLOBAL_STOP, log_global_stop, gl_log_global_stop)
    SET(GMPY_LOG_GLOBAL_AFTER_SYNC, log_global_after_sync,
        gl_log_global_after_sync)
    SET(GMPY_EVENTFD_ADD, eventfd_add, gl_eventfd_add)
    SET(GMPY_EVENTFD_DEL, eventfd_del, gl_eventfd_del)
    SET(GMPY_COALESCED_IO_ADD, coalesced_io_add, gl_coalesced_io_add)
    SET(GMPY_COALESCED_IO_DEL, coalesced_io_del, gl_coalesced_io_del)
#undef SET
    l->priority = priority;
    g->name = name ? strdup(name) : NULL;
    l->name = g->name;
    g->handle = handle;
    return l;
}

static void gmpy_listener_free(MemoryListener *l)
{
    if (l) {
        free(((GmpyListener *)l)->name);
        free(l);
    }
}

static void gmpy_section_size(const MemoryRegionSection *s, uint64_t *size,
                              int *is_2_64)
{
    *is_2_64 = s->size == int128_2_64();
    *size = (uint64_t)s->size;
}

/* --- text output of the FILE * printers, as malloc'd strings. */
static char *gmpy_mtree(bool flatview, bool dispatch_tree, bool owner,
                        bool disabled)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        return NULL;
    }
    gm_mtree_fprint(f, flatview, dispatch_tree, owner, disabled);
    fclose(f);
    return buf;
}

static char *gmpy_explain(AddressSpace *as, hwaddr addr, int *served)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        return NULL;
    }
    *served = gm_explain_fprint(f, as, addr);
    fclose(f);
    return buf;
}

/* gm_mtree_import_fprint() is newer than the rest of mtree.h: declared
 * weak, so that the module also loads with a library that lacks it (and
 * says so when it is called). */
int gm_mtree_import_fprint(FILE *f, const GmMtreeImport *imp, bool flatview,
                           bool dispatch_tree, bool owner, bool disabled,
                           Error **errp);
#pragma weak gm_mtree_import_fprint

static char *gmpy_import_format(const GmMtreeImport *imp, bool flatview,
                                bool dispatch_tree, bool owner, bool disabled,
                                Error **errp)
{
    if (!gm_mtree_import_fprint) {
        gm_error_setg(errp, GM_ERR_UNSUPPORTED,
                      "this libguestmem has no gm_mtree_import_fprint");
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    int r = gm_mtree_import_fprint(f, imp, flatview, dispatch_tree, owner,
                                   disabled, errp);
    fclose(f);
    if (r < 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static MemoryRegion *gmpy_translate(AddressSpace *as, hwaddr addr,
                                    hwaddr *xlat, hwaddr *len, bool is_write,
                                    uint32_t attrs)
{
    gm_rcu_read_lock();
    MemoryRegion *mr =
        address_space_translate(as, addr, xlat, len, is_write,
                                gmpy_attrs(attrs));
    gm_rcu_read_unlock();
    return mr;
}

static void gmpy_set_error_handler(int on)
{
    gm_set_error_handler(on ? gmpy_py_error : NULL, NULL);
}
"""


def main():
    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    ffi.set_source("guestmem._guestmem_cffi", SOURCE)
    ffi.emit_c_code(sys.argv[1])


if __name__ == "__main__":
    main()
