// SPDX-License-Identifier: MIT
/*
 * mmu/core.c - QEMU dump-guest-memory ELF files as guests to walk.
 *
 * The format (QEMU 7.2, dump/dump.c and target/i386/arch_dump.c): an ELF
 * core file (ET_CORE), 64-bit or 32-bit, little-endian; e_machine is
 * EM_X86_64 when the first vCPU is in IA-32e mode, else EM_386 (and the
 * class is 64-bit anyway when RAM reaches past 4 GiB).  One PT_NOTE segment
 * holds, per vCPU, a "CORE" NT_PRSTATUS note and a "QEMU" note of type 0
 * whose descriptor is QEMUCPUState: version (1), size, then rax rbx rcx rdx
 * rsi rdi rsp rbp r8-r15 rip rflags (8 bytes each), ten segments (cs ds es
 * fs gs ss ldt tr gdt idt: selector, limit, flags, pad as 4 bytes each and a
 * 8-byte base), cr[0..4], and from QEMU 7.1 kernel_gs_base.  Without
 * paging (-p), each PT_LOAD has the guest-physical address of a block of
 * RAM in p_paddr and its bytes at p_offset.  QEMU writes e_phnum = PN_XNUM
 * (0xffff) and the real count in section 0's sh_info when there are
 * 65535 segments or more, and it writes e_ehsize wrong (8), so e_ehsize is
 * not checked.  Notes are padded to 4 bytes in both classes.
 *
 * Everything is validated before any region is made: the input is
 * untrusted (tests/fuzz/fuzz-core.c), and a bad file gets one line naming
 * the problem and the place, never a partial guest.
 */
#include "mmu-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define EM_386 3
#define EM_X86_64 62
#define ET_CORE 4
#define PT_LOAD 1
#define PT_NOTE 4
#define NT_PRSTATUS 1
#define PN_XNUM 0xffff
#define MAX_SEGMENTS (1u << 20)
#define MAX_CPUS 4096
#define QEMU_CPU_STATE_MIN 432 /* through cr[4] */

typedef struct CoreSeg {
    uint64_t paddr, size, offset;
} CoreSeg;

struct GmCore {
    uint8_t *data; /* the file's bytes (mapped or copied) */
    size_t len;
    bool mapped;
    MemoryRegion root;
    MemoryRegion *regions;
    CoreSeg *segs;
    unsigned nsegs;
    AddressSpace as;
    bool as_inited;
    GmCoreCpu *cpus;
    unsigned ncpus, cpus_alloc;
};

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* Whether [off, off + len) lies within the @n bytes of the file. */
static bool inside(uint64_t off, uint64_t len, size_t n)
{
    return off <= n && len <= n - off;
}

static int fail(Error **errp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int fail(Error **errp, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    gm_error_setg(errp, GM_ERR_PARSE, "%s", msg);
    return -GM_ERR_PARSE;
}

static int seg_cmp(const void *a, const void *b)
{
    const CoreSeg *x = a, *y = b;
    return x->paddr < y->paddr ? -1 : x->paddr > y->paddr;
}

/* One "QEMU" note: a vCPU. */
static int parse_cpu(GmCore *c, const uint8_t *d, uint32_t dsz, bool lma,
                     unsigned note, Error **errp)
{
    if (dsz < QEMU_CPU_STATE_MIN) {
        return fail(errp,
                    "note %u: QEMU CPU state of %" PRIu32
                    " bytes, at least %u expected",
                    note, dsz, QEMU_CPU_STATE_MIN);
    }
    uint32_t version = le32(d), size = le32(d + 4);
    if (version != 1) {
        return fail(errp,
                    "note %u: QEMU CPU state version %" PRIu32
                    ", only 1 is known",
                    note, version);
    }
    if (size < QEMU_CPU_STATE_MIN || size > dsz) {
        return fail(errp,
                    "note %u: QEMU CPU state says it has %" PRIu32
                    " bytes, the note has %" PRIu32,
                    note, size, dsz);
    }
    if (c->ncpus == MAX_CPUS) {
        return fail(errp, "more than %u vCPUs", MAX_CPUS);
    }
    if (c->ncpus == c->cpus_alloc) {
        unsigned na = c->cpus_alloc ? 2 * c->cpus_alloc : 4;
        GmCoreCpu *nc = realloc(c->cpus, na * sizeof(*nc));
        if (!nc) {
            gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
            return -GM_ERR_NO_MEMORY;
        }
        c->cpus = nc;
        c->cpus_alloc = na;
    }
    GmCoreCpu *cpu = &c->cpus[c->ncpus++];
    memset(cpu, 0, sizeof(*cpu));
    cpu->rsp = le64(d + 8 + 6 * 8);
    cpu->rip = le64(d + 8 + 16 * 8);
    cpu->rflags = le64(d + 8 + 17 * 8);
    for (unsigned i = 0; i < 5; i++) {
        cpu->cr[i] = le64(d + 392 + 8 * i);
    }
    if (size >= 440) {
        cpu->kernel_gs_base = le64(d + 432);
    }
    cpu->mmu.cr0 = cpu->cr[0];
    cpu->mmu.cr3 = cpu->cr[3];
    cpu->mmu.cr4 = cpu->cr[4];
    cpu->mmu.efer =
        GM_X86_EFER_NXE | (lma ? GM_X86_EFER_LME | GM_X86_EFER_LMA : 0);
    return 0;
}

static int parse_notes(GmCore *c, uint64_t off, uint64_t len, bool lma,
                       unsigned *note, Error **errp)
{
    const uint8_t *p = c->data + off;
    uint64_t left = len;
    while (left > 0) {
        if (left < 12) {
            return fail(errp,
                        "note %u at offset %#" PRIx64 ": header cut short",
                        *note, off + len - left);
        }
        uint64_t nsz = le32(p), dsz = le32(p + 4);
        uint32_t type = le32(p + 8);
        uint64_t npad = (nsz + 3) & ~UINT64_C(3);
        uint64_t dpad = (dsz + 3) & ~UINT64_C(3);
        if (12 + npad > left || dsz > left - 12 - npad) {
            return fail(errp,
                        "note %u at offset %#" PRIx64 ": runs past its segment",
                        *note, off + len - left);
        }
        const uint8_t *name = p + 12, *desc = p + 12 + npad;
        if (nsz == 5 && !memcmp(name, "QEMU", 5) && type == 0) {
            int r = parse_cpu(c, desc, (uint32_t)dsz, lma, *note, errp);
            if (r) {
                return r;
            }
        }
        uint64_t step = 12 + npad + dpad;
        if (step > left) {
            step = left; /* the last note's padding may be missing */
        }
        p += step;
        left -= step;
        (*note)++;
    }
    return 0;
}

static int parse(GmCore *c, Error **errp)
{
    const uint8_t *d = c->data;
    size_t n = c->len;
    if (n < 16 || memcmp(d, "\177ELF", 4)) {
        return fail(errp, "not an ELF file");
    }
    bool is64 = d[4] == 2;
    if (d[4] != 1 && d[4] != 2) {
        return fail(errp, "ELF class %u unknown", d[4]);
    }
    if (d[5] != 1) {
        return fail(errp, "not a little-endian ELF file");
    }
    size_t ehsize = is64 ? 64 : 52;
    if (n < ehsize) {
        return fail(errp, "ELF header cut short (%zu of %zu bytes)", n, ehsize);
    }
    uint16_t type = le16(d + 16), machine = le16(d + 18);
    if (type != ET_CORE) {
        return fail(errp, "ELF type %u, not a core file (4)", type);
    }
    if (machine != EM_386 && machine != EM_X86_64) {
        return fail(errp, "ELF machine %u is not x86 (3 or 62)", machine);
    }
    bool lma = machine == EM_X86_64;
    uint64_t phoff = is64 ? le64(d + 32) : le32(d + 28);
    uint64_t shoff = is64 ? le64(d + 40) : le32(d + 32);
    unsigned phentsize = le16(d + (is64 ? 54 : 42));
    uint64_t phnum = le16(d + (is64 ? 56 : 44));
    unsigned shentsize = le16(d + (is64 ? 58 : 46));
    unsigned shnum = le16(d + (is64 ? 60 : 48));
    if (phentsize != (is64 ? 56u : 32u)) {
        return fail(errp, "program header size %u, %u expected", phentsize,
                    is64 ? 56 : 32);
    }
    if (phnum == PN_XNUM) {
        /* The real count is in section 0's sh_info. */
        if (shnum < 1 || shentsize != (is64 ? 64u : 40u) ||
            !inside(shoff, shentsize, n)) {
            return fail(errp, "e_phnum is PN_XNUM but section 0 is missing "
                              "or cut short");
        }
        phnum = le32(d + shoff + (is64 ? 44 : 28));
    }
    if (phnum == 0) {
        return fail(errp, "no program headers");
    }
    /* QEMU 7.2 writes section headers too (a .shstrtab, last in the
     * file): a dump cut anywhere, even in there, is refused. */
    if (shnum) {
        if (shentsize != (is64 ? 64u : 40u) ||
            !inside(shoff, (uint64_t)shnum * shentsize, n)) {
            return fail(errp,
                        "section headers (%u at offset %#" PRIx64
                        ") run past the end of the file (%zu bytes)",
                        shnum, shoff, n);
        }
        for (unsigned i = 0; i < shnum; i++) {
            const uint8_t *sh = d + shoff + (uint64_t)i * shentsize;
            uint32_t stype = le32(sh + 4);
            uint64_t soff = is64 ? le64(sh + 24) : le32(sh + 16);
            uint64_t ssize = is64 ? le64(sh + 32) : le32(sh + 20);
            if (stype != 0 && stype != 8 /* NOBITS */ &&
                !inside(soff, ssize, n)) {
                return fail(errp,
                            "section %u: bytes %#" PRIx64 "+%#" PRIx64
                            " lie past the end of the file (%zu bytes): "
                            "truncated?",
                            i, soff, ssize, n);
            }
        }
    }
    if (phnum > MAX_SEGMENTS + 1) {
        return fail(errp, "%" PRIu64 " program headers: more than %u", phnum,
                    MAX_SEGMENTS + 1);
    }
    if (!inside(phoff, phnum * phentsize, n)) {
        return fail(errp,
                    "program headers (%" PRIu64 " at offset %#" PRIx64
                    ") run past the end of the file (%zu bytes)",
                    phnum, phoff, n);
    }
    c->segs = calloc(phnum, sizeof(*c->segs));
    if (!c->segs) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return -GM_ERR_NO_MEMORY;
    }
    unsigned note = 0;
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = d + phoff + i * phentsize;
        uint32_t ptype = le32(ph);
        uint64_t off, paddr, filesz, memsz;
        if (is64) {
            off = le64(ph + 8);
            paddr = le64(ph + 24);
            filesz = le64(ph + 32);
            memsz = le64(ph + 40);
        } else {
            off = le32(ph + 4);
            paddr = le32(ph + 12);
            filesz = le32(ph + 16);
            memsz = le32(ph + 20);
        }
        if (ptype != PT_LOAD && ptype != PT_NOTE) {
            continue;
        }
        if (!inside(off, filesz, n)) {
            return fail(errp,
                        "segment %" PRIu64 ": bytes %#" PRIx64 "+%#" PRIx64
                        " lie past the end of the file (%zu bytes): "
                        "truncated?",
                        i, off, filesz, n);
        }
        if (ptype == PT_NOTE) {
            int r = parse_notes(c, off, filesz, lma, &note, errp);
            if (r) {
                return r;
            }
            continue;
        }
        if (filesz != memsz) {
            return fail(errp,
                        "segment %" PRIu64 ": p_filesz %#" PRIx64
                        " != p_memsz %#" PRIx64 " (QEMU writes them equal)",
                        i, filesz, memsz);
        }
        if (memsz == 0) {
            continue;
        }
        if (paddr + memsz - 1 < paddr) {
            return fail(errp,
                        "segment %" PRIu64 ": %#" PRIx64 "+%#" PRIx64
                        " goes past 2^64",
                        i, paddr, memsz);
        }
        if (c->nsegs == MAX_SEGMENTS) {
            return fail(errp, "more than %u RAM segments", MAX_SEGMENTS);
        }
        c->segs[c->nsegs++] =
            (CoreSeg){ .paddr = paddr, .size = memsz, .offset = off };
    }
    if (c->ncpus == 0) {
        return fail(errp, "no QEMU CPU state note: not a dump-guest-memory "
                          "file of an x86 guest?");
    }
    if (c->nsegs == 0) {
        return fail(errp, "no memory (PT_LOAD) segments");
    }
    qsort(c->segs, c->nsegs, sizeof(*c->segs), seg_cmp);
    for (unsigned i = 1; i < c->nsegs; i++) {
        const CoreSeg *a = &c->segs[i - 1], *b = &c->segs[i];
        if (b->paddr <= a->paddr + a->size - 1) {
            return fail(errp, "segments overlap at guest-physical %#" PRIx64,
                        b->paddr);
        }
    }
    return 0;
}

/* Makes the address space: one RAM region per segment, over the file. */
static int build(GmCore *c, Error **errp)
{
    c->regions = calloc(c->nsegs, sizeof(*c->regions));
    if (!c->regions) {
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return -GM_ERR_NO_MEMORY;
    }
    char name[64];
    snprintf(name, sizeof(name), "core@%p", (void *)c);
    memory_region_init(&c->root, NULL, name, UINT64_MAX);
    memory_region_transaction_begin();
    int ret = 0;
    unsigned made = 0;
    for (unsigned i = 0; i < c->nsegs; i++) {
        snprintf(name, sizeof(name), "core@%p.%u", (void *)c, i);
        memory_region_init_ram_ptr(&c->regions[i], NULL, name, c->segs[i].size,
                                   c->data + c->segs[i].offset);
        if (!c->regions[i].ram_block) {
            gm_error_setg(errp, GM_ERR_NO_MEMORY,
                          "out of memory for segment %u", i);
            ret = -GM_ERR_NO_MEMORY;
            break;
        }
        made++;
        memory_region_add_subregion(&c->root, c->segs[i].paddr, &c->regions[i]);
    }
    memory_region_transaction_commit();
    if (ret == 0) {
        snprintf(name, sizeof(name), "core@%p", (void *)c);
        ret = gm_address_space_init(&c->as, &c->root, name, errp);
        c->as_inited = ret == 0;
    }
    if (ret) {
        memory_region_transaction_begin();
        for (unsigned i = 0; i < made; i++) {
            memory_region_del_subregion(&c->root, &c->regions[i]);
        }
        memory_region_transaction_commit();
        for (unsigned i = 0; i < made; i++) {
            gm_memory_region_destroy(&c->regions[i], NULL);
        }
        gm_memory_region_destroy(&c->root, NULL);
        free(c->regions);
        c->regions = NULL;
        c->nsegs = 0;
    }
    return ret;
}

static GmCore *finish(GmCore *c, Error **errp)
{
    if (parse(c, errp) || build(c, errp)) {
        free(c->segs);
        free(c->cpus);
        if (c->mapped) {
            munmap(c->data, c->len);
        } else {
            free(c->data);
        }
        free(c);
        return NULL;
    }
    return c;
}

GmCore *gm_core_open(const char *path, Error **errp)
{
    if (!path) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG, "no file name");
        return NULL;
    }
    /* O_NONBLOCK: a FIFO must not block the open; it is refused below. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        gm_error_setg(errp, GM_ERR_IO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat sb;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        int e = errno;
        close(fd);
        gm_error_setg(errp, GM_ERR_IO, "%s: %s", path,
                      S_ISREG(sb.st_mode) ? strerror(e) : "not a regular file");
        return NULL;
    }
    if (sb.st_size < 16) {
        close(fd);
        gm_error_setg(errp, GM_ERR_PARSE, "%s: %s", path,
                      sb.st_size ? "not an ELF file (too short)"
                                 : "empty file");
        return NULL;
    }
    GmCore *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    c->len = (size_t)sb.st_size;
    /* Private and writable: guest writes (A/D updates) stay in memory. */
    void *m = mmap(NULL, c->len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (m == MAP_FAILED) {
        free(c);
        gm_error_setg(errp, GM_ERR_IO, "%s: mmap: %s", path, strerror(e));
        return NULL;
    }
    c->data = m;
    c->mapped = true;
    Error *err = NULL;
    GmCore *r = finish(c, &err);
    if (!r) {
        GmErrorCode code = gm_error_code(err);
        gm_error_setg(errp, code, "%s: %s", path, error_get_pretty(err));
        error_free(err);
    }
    return r;
}

GmCore *gm_core_open_buffer(const void *data, size_t len, Error **errp)
{
    if (!data && len) {
        gm_error_setg(errp, GM_ERR_INVALID_ARG, "no data");
        return NULL;
    }
    GmCore *c = calloc(1, sizeof(*c));
    uint8_t *copy = malloc(len ? len : 1);
    if (!c || !copy) {
        free(c);
        free(copy);
        gm_error_setg(errp, GM_ERR_NO_MEMORY, "out of memory");
        return NULL;
    }
    if (len) {
        memcpy(copy, data, len);
    }
    c->data = copy;
    c->len = len;
    return finish(c, errp);
}

void gm_core_free(GmCore *c)
{
    if (!c) {
        return;
    }
    if (c->as_inited) {
        address_space_destroy(&c->as);
    }
    memory_region_transaction_begin();
    for (unsigned i = 0; i < c->nsegs; i++) {
        memory_region_del_subregion(&c->root, &c->regions[i]);
    }
    memory_region_transaction_commit();
    for (unsigned i = 0; i < c->nsegs; i++) {
        gm_memory_region_destroy(&c->regions[i], NULL);
    }
    if (c->regions) {
        gm_memory_region_destroy(&c->root, NULL);
    }
    free(c->regions);
    free(c->segs);
    free(c->cpus);
    if (c->mapped) {
        munmap(c->data, c->len);
    } else {
        free(c->data);
    }
    free(c);
}

AddressSpace *gm_core_address_space(GmCore *core)
{
    return core ? &core->as : NULL;
}

unsigned gm_core_nr_cpus(const GmCore *core)
{
    return core ? core->ncpus : 0;
}

int gm_core_cpu(const GmCore *core, unsigned index, GmCoreCpu *out)
{
    if (!core || !out || index >= core->ncpus) {
        return -GM_ERR_INVALID_ARG;
    }
    *out = core->cpus[index];
    return 0;
}

size_t gm_core_segments(const GmCore *core, GmCoreSegment *out, size_t max)
{
    if (!core) {
        return 0;
    }
    for (size_t i = 0; i < core->nsegs && i < max; i++) {
        out[i] = (GmCoreSegment){ core->segs[i].paddr, core->segs[i].size };
    }
    return core->nsegs;
}
