// SPDX-License-Identifier: MIT
/*
 * test-mmu-core.c - QEMU dump-guest-memory files (mmu/core.c) and QEMU's
 * monitor views (mmu/monitor.c).
 *
 * The dumps are built here, in QEMU 7.2's layout (dump/dump.c and
 * target/i386/arch_dump.c): ELF64 or ELF32 core files, "CORE" and "QEMU"
 * notes per vCPU, RAM in PT_LOAD segments at their guest-physical
 * addresses.  Every prefix of a valid dump, and each malformed field, must
 * fail with one line and leave nothing behind.  The monitor views are
 * checked against outputs QEMU 7.2 printed for the same tables, quirks
 * included (tests/mmu/test-guests.py compares whole outputs with a live
 * QEMU).
 */
#include <fcntl.h>
#include <unistd.h>

#include "../harness/test.h"

/* --- building dumps ---------------------------------------------------------- */

typedef struct Seg {
    uint64_t paddr;
    uint64_t size;
    const uint8_t *data; /* NULL: a pattern */
} Seg;

typedef struct Buf {
    uint8_t *p;
    size_t n, cap;
} Buf;

static void put(Buf *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        ASSERT(b->p);
    }
    if (d) {
        memcpy(b->p + b->n, d, n);
    } else {
        memset(b->p + b->n, 0, n);
    }
    b->n += n;
}

static void put_le(Buf *b, uint64_t v, unsigned size)
{
    uint8_t x[8];
    for (unsigned i = 0; i < size; i++) {
        x[i] = (uint8_t)(v >> (8 * i));
    }
    put(b, x, size);
}

static void set_le(uint8_t *p, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void note(Buf *b, const char *name, uint32_t type, const uint8_t *desc,
                 uint32_t dsz)
{
    uint32_t nsz = (uint32_t)strlen(name) + 1;
    put_le(b, nsz, 4);
    put_le(b, dsz, 4);
    put_le(b, type, 4);
    put(b, name, nsz);
    put(b, NULL, ((nsz + 3) & ~3u) - nsz);
    put(b, desc, dsz);
    put(b, NULL, ((dsz + 3) & ~3u) - dsz);
}

/* QEMUCPUState: version 1, 440 bytes; rip and the CRs given. */
static void qemu_cpu_state(uint8_t *d, uint64_t rip, const uint64_t *cr)
{
    memset(d, 0, 440);
    set_le(d, 1, 4);
    set_le(d + 4, 440, 4);
    set_le(d + 8 + 6 * 8, 0x8000, 8); /* rsp */
    set_le(d + 8 + 16 * 8, rip, 8);
    set_le(d + 8 + 17 * 8, 0x202, 8);
    for (unsigned i = 0; i < 5; i++) {
        set_le(d + 392 + 8 * i, cr[i], 8);
    }
}

typedef struct DumpSpec {
    bool is64;
    uint16_t machine; /* 62 or 3 */
    const Seg *segs;
    unsigned nsegs;
    unsigned ncpus;
    const uint64_t *cr; /* 5 per vCPU */
    bool xnum;          /* e_phnum = PN_XNUM, count in section 0 */
} DumpSpec;

/* A dump laid out as QEMU lays it out: header, (section header,)
 * program headers, notes, memory. */
static Buf make_dump(const DumpSpec *s)
{
    Buf b = { 0 };
    unsigned ehsz = s->is64 ? 64 : 52, phsz = s->is64 ? 56 : 32;
    unsigned shsz = s->is64 ? 64 : 40;
    unsigned phnum = s->nsegs + 1;
    Buf notes = { 0 };
    for (unsigned c = 0; c < s->ncpus; c++) {
        uint8_t prstatus[336] = { 0 };
        note(&notes, "CORE", 1, prstatus, s->is64 ? 336 : 144);
        uint8_t st[440];
        qemu_cpu_state(st, 0x1000 + c, s->cr + 5 * c);
        note(&notes, "QEMU", 0, st, 440);
    }
    uint64_t shoff = s->xnum ? ehsz : 0;
    uint64_t phoff = ehsz + (s->xnum ? shsz : 0);
    uint64_t note_off = phoff + (uint64_t)phnum * phsz;
    uint64_t data_off = note_off + notes.n;
    /* ELF header. */
    uint8_t id[16] = { 0x7f, 'E', 'L', 'F', s->is64 ? 2 : 1, 1, 1 };
    put(&b, id, 16);
    put_le(&b, 4, 2); /* ET_CORE */
    put_le(&b, s->machine, 2);
    put_le(&b, 1, 4);
    unsigned w = s->is64 ? 8 : 4;
    put_le(&b, 0, w);     /* entry */
    put_le(&b, phoff, w); /* phoff */
    put_le(&b, shoff, w); /* shoff */
    put_le(&b, 0, 4);     /* flags */
    put_le(&b, 8, 2);     /* e_ehsize: QEMU 7.2 writes 8 */
    put_le(&b, phsz, 2);
    put_le(&b, s->xnum ? 0xffff : phnum, 2);
    put_le(&b, shsz, 2);
    put_le(&b, s->xnum ? 1 : 0, 2);
    put_le(&b, 0, 2);
    ASSERT_EQ(b.n, ehsz);
    if (s->xnum) {
        uint8_t sh[64] = { 0 };
        set_le(sh + (s->is64 ? 44 : 28), phnum, 4);
        put(&b, sh, shsz);
    }
    /* Program headers: the note, then memory. */
    uint64_t off = data_off;
    for (unsigned i = 0; i < phnum; i++) {
        uint32_t type = i == 0 ? 4 : 1;
        uint64_t o = i == 0 ? note_off : off;
        uint64_t pa = i == 0 ? 0 : s->segs[i - 1].paddr;
        uint64_t sz = i == 0 ? notes.n : s->segs[i - 1].size;
        if (s->is64) {
            put_le(&b, type, 4);
            put_le(&b, 0, 4);
            put_le(&b, o, 8);
            put_le(&b, 0, 8);
            put_le(&b, pa, 8);
            put_le(&b, sz, 8);
            put_le(&b, sz, 8);
            put_le(&b, 0, 8);
        } else {
            put_le(&b, type, 4);
            put_le(&b, o, 4);
            put_le(&b, 0, 4);
            put_le(&b, pa, 4);
            put_le(&b, sz, 4);
            put_le(&b, sz, 4);
            put_le(&b, 0, 4);
            put_le(&b, 0, 4);
        }
        if (i > 0) {
            off += sz;
        }
    }
    put(&b, notes.p, notes.n);
    free(notes.p);
    for (unsigned i = 0; i < s->nsegs; i++) {
        size_t at = b.n;
        put(&b, s->segs[i].data, s->segs[i].size);
        if (!s->segs[i].data) {
            for (uint64_t k = 0; k < s->segs[i].size; k++) {
                b.p[at + k] = (uint8_t)(k * 7 + i);
            }
        }
    }
    return b;
}

/* A small 64-bit dump: 64 KiB at 0 (4-level tables in it), 4 KiB at
 * 0x100000 and 4 KiB at 4 GiB; two vCPUs. */
static uint8_t low[0x10000];
static const uint64_t crs2[10] = { 0x80050033, 0, 0x1234, 0x1000, 0x20,
                                   0x80000011, 0, 0,      0x5000, 0x10 };

static Buf small_dump(bool is64, uint16_t machine)
{
    memset(low, 0, sizeof(low));
    /* 4-level: PML4 0x1000 -> PDPT 0x2000 -> PD 0x3000 -> PT 0x4000. */
    set_le(low + 0x1000, 0x2003, 8);
    set_le(low + 0x2000, 0x3003, 8);
    set_le(low + 0x3000, 0x4007, 8);
    set_le(low + 0x4000 + 8 * 1, 0x100000 | 0x67, 8);
    set_le(low + 0x4000 + 8 * 2, 0x100000000ull | 0x8000000000000005ull, 8);
    static const Seg segs[] = {
        { 0x100000000ull, 0x1000, NULL },
        { 0, sizeof(low), low },
        { 0x100000, 0x1000, NULL },
    };
    DumpSpec s = { .is64 = is64,
                   .machine = machine,
                   .segs = segs,
                   .nsegs = 3,
                   .ncpus = 2,
                   .cr = crs2 };
    return make_dump(&s);
}

static GmCore *open_ok(const Buf *b)
{
    Error *err = NULL;
    GmCore *c = gm_core_open_buffer(b->p, b->n, &err);
    if (!c) {
        test_fail(__FILE__, __LINE__, "gm_core_open_buffer: %s",
                  error_get_pretty(err));
    }
    return c;
}

static void expect_error(const Buf *b, size_t len, const char *needle)
{
    Error *err = NULL;
    GmCore *c = gm_core_open_buffer(b->p, len, &err);
    if (c) {
        gm_core_free(c);
        test_fail(__FILE__, __LINE__, "%zu bytes: opened, '%s' expected", len,
                  needle);
    }
    ASSERT(err);
    ASSERT_EQ(gm_error_code(err), GM_ERR_PARSE);
    const char *msg = error_get_pretty(err);
    ASSERT(!strchr(msg, '\n'));
    if (needle && !strstr(msg, needle)) {
        test_fail(__FILE__, __LINE__, "'%s' does not say '%s'", msg, needle);
    }
    error_free(err);
}

/* --- opening dumps ------------------------------------------------------------ */

TEST(a_64bit_dump_opens)
{
    Buf b = small_dump(true, 62);
    GmCore *c = open_ok(&b);
    ASSERT_EQ(gm_core_nr_cpus(c), 2);
    GmCoreSegment segs[4];
    ASSERT_EQ(gm_core_segments(c, segs, 4), 3);
    ASSERT_ADDR_EQ(segs[0].paddr, 0); /* sorted */
    ASSERT_ADDR_EQ(segs[1].paddr, 0x100000);
    ASSERT_ADDR_EQ(segs[2].paddr, 0x100000000ull);
    ASSERT_EQ(segs[2].size, 0x1000);
    GmCoreCpu cpu;
    ASSERT_EQ(gm_core_cpu(c, 0, &cpu), 0);
    ASSERT_ADDR_EQ(cpu.rip, 0x1000);
    ASSERT_ADDR_EQ(cpu.rsp, 0x8000);
    ASSERT_ADDR_EQ(cpu.cr[0], 0x80050033);
    ASSERT_ADDR_EQ(cpu.cr[2], 0x1234);
    ASSERT_ADDR_EQ(cpu.mmu.cr3, 0x1000);
    ASSERT_EQ(gm_x86_paging_mode(&cpu.mmu), GM_X86_PAGING_4); /* EM_X86_64 */
    ASSERT_EQ(gm_core_cpu(c, 1, &cpu), 0);
    ASSERT_ADDR_EQ(cpu.rip, 0x1001);
    ASSERT_EQ(gm_x86_paging_mode(&cpu.mmu), GM_X86_PAGING_32);
    ASSERT_EQ(gm_core_cpu(c, 2, &cpu), -GM_ERR_INVALID_ARG);
    /* The memory is there, where the segments say. */
    AddressSpace *as = gm_core_address_space(c);
    ASSERT_EQ(ldub_phys(as, 0x100000 + 3), 23); /* pattern 7k + 2 */
    ASSERT_EQ(ldub_phys(as, 0x100000000ull + 5), (uint8_t)35);
    ASSERT_ADDR_EQ(ldq_le_phys(as, 0x2000), 0x3003);
    ASSERT_EQ(ldub_phys(as, 0x200000), 0); /* nothing there */
    /* The walk works on it. */
    GmCoreCpu c0;
    gm_core_cpu(c, 0, &c0);
    GmX86Walk w;
    ASSERT_EQ(gm_x86_translate(as, &c0.mmu, 0x1234, GM_X86_ACC_NO_AD, &w),
              GM_X86_OK);
    ASSERT_ADDR_EQ(w.gpa, 0x100234);
    gm_core_free(c);
    free(b.p);
}

TEST(a_32bit_dump_opens)
{
    Buf b = small_dump(false, 3);
    /* ELF32 cannot say 4 GiB: QEMU writes ELF64 then; drop that segment
     * by making the dump of the first two only. */
    free(b.p);
    static const Seg segs[] = { { 0, sizeof(low), low },
                                { 0x100000, 0x1000, NULL } };
    DumpSpec s = { .is64 = false,
                   .machine = 3,
                   .segs = segs,
                   .nsegs = 2,
                   .ncpus = 1,
                   .cr = crs2 + 5 };
    b = make_dump(&s);
    GmCore *c = open_ok(&b);
    GmCoreCpu cpu;
    ASSERT_EQ(gm_core_cpu(c, 0, &cpu), 0);
    ASSERT_EQ(gm_x86_paging_mode(&cpu.mmu), GM_X86_PAGING_32);
    ASSERT(!(cpu.mmu.efer & GM_X86_EFER_LMA));
    ASSERT_EQ(ldub_phys(gm_core_address_space(c), 0x100001), 8);
    gm_core_free(c);
    free(b.p);
    /* ELF64 with EM_386: a 32-bit guest with RAM above 4 GiB. */
    b = small_dump(true, 3);
    c = open_ok(&b);
    gm_core_cpu(c, 0, &cpu);
    ASSERT_EQ(gm_x86_paging_mode(&cpu.mmu), GM_X86_PAGING_PAE);
    gm_core_free(c);
    free(b.p);
}

TEST(pn_xnum_count_in_section_zero)
{
    static const Seg segs[] = { { 0, 0x1000, NULL } };
    DumpSpec s = { .is64 = true,
                   .machine = 62,
                   .segs = segs,
                   .nsegs = 1,
                   .ncpus = 1,
                   .cr = crs2,
                   .xnum = true };
    Buf b = make_dump(&s);
    GmCore *c = open_ok(&b);
    ASSERT_EQ(gm_core_segments(c, NULL, 0), 1);
    gm_core_free(c);
    /* A section whose bytes are not all there (QEMU's .shstrtab is last in
     * the file): refused. */
    set_le(b.p + 64 + 4, 3, 4);        /* SHT_STRTAB */
    set_le(b.p + 64 + 24, b.n - 5, 8); /* sh_offset */
    set_le(b.p + 64 + 32, 11, 8);      /* sh_size */
    expect_error(&b, b.n, "section 0");
    /* Without the section: refused. */
    set_le(b.p + 60, 0, 2); /* e_shnum */
    expect_error(&b, b.n, "PN_XNUM");
    free(b.p);
}

TEST(every_prefix_of_a_dump_is_refused)
{
    Buf b = small_dump(true, 62);
    for (size_t len = 0; len < b.n; len++) {
        expect_error(&b, len, NULL);
    }
    GmCore *c = open_ok(&b);
    gm_core_free(c);
    free(b.p);
}

TEST(malformed_fields_are_named)
{
    Buf b = small_dump(true, 62);
    uint8_t *copy = malloc(b.n);
    Buf m = { copy, b.n, b.n };
#define CORRUPT(off, val, size, needle)    \
    do {                                   \
        memcpy(copy, b.p, b.n);            \
        set_le(copy + (off), (val), size); \
        expect_error(&m, m.n, needle);     \
    } while (0)
    CORRUPT(0, 0x464c457e, 4, "not an ELF file");
    CORRUPT(4, 3, 1, "class 3");
    CORRUPT(5, 2, 1, "little-endian");
    CORRUPT(16, 2, 2, "not a core file");
    CORRUPT(18, 40, 2, "machine 40");
    CORRUPT(54, 32, 2, "program header size");
    CORRUPT(56, 0, 2, "no program headers");
    CORRUPT(56, 0xfffe, 2, "run past the end");
    CORRUPT(32, 0xfffffffffffffff0ull, 8, "program headers");
    /* Segment 1 (memory): file offset past the end; memsz != filesz;
     * 2^64 overflow; overlap with segment 2. */
    uint64_t ph1 = 64 + 56;
    CORRUPT(ph1 + 8, 0xffffffffffff0000ull, 8, "truncated?");
    CORRUPT(ph1 + 40, 0x2000, 8, "p_memsz");
    CORRUPT(ph1 + 24, 0xfffffffffffff800ull, 8, "2^64");
    CORRUPT(ph1 + 24, 0xff0, 8, "overlap");
    /* The notes: cut short, a QEMU state too small, a wrong version, no
     * CPU at all. */
    uint64_t note_off = 64 + 4 * 56;
    CORRUPT(64 + 32, 10, 8, "cut short"); /* PT_NOTE's filesz */
    CORRUPT(note_off + 4, 0x100000, 4, "runs past");
    uint64_t qemu_note = note_off + 12 + 8 + 336; /* after CORE */
    CORRUPT(qemu_note + 4, 100, 4, "at least");
    CORRUPT(qemu_note + 20, 2, 4, "version 2");
    CORRUPT(qemu_note + 24, 8, 4, "says it has");
    memcpy(copy, b.p, b.n);
    set_le(copy + 64, 7, 4); /* the PT_NOTE becomes something else */
    expect_error(&m, m.n, "no QEMU CPU state note");
    memcpy(copy, b.p, b.n);
    for (unsigned i = 1; i < 4; i++) {
        set_le(copy + 64 + i * 56, 6, 4); /* no PT_LOAD left */
    }
    expect_error(&m, m.n, "no memory");
#undef CORRUPT
    free(copy);
    free(b.p);
}

TEST(files_missing_empty_or_not_regular)
{
    Error *err = NULL;
    ASSERT(!gm_core_open("/nonexistent/dump.elf", &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_IO);
    ASSERT(strstr(error_get_pretty(err), "/nonexistent/dump.elf"));
    error_free(err);
    err = NULL;
    ASSERT(!gm_core_open("/", &err));
    ASSERT_EQ(gm_error_code(err), GM_ERR_IO);
    error_free(err);
    char path[] = "/tmp/gm-core-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    err = NULL;
    ASSERT(!gm_core_open(path, &err));
    ASSERT(strstr(error_get_pretty(err), "empty file"));
    error_free(err);
    /* A real file works, from the mapping. */
    Buf b = small_dump(true, 62);
    ASSERT_EQ(write(fd, b.p, b.n), (ssize_t)b.n);
    close(fd);
    GmCore *c = gm_core_open(path, &err);
    ASSERT(c);
    ASSERT_ADDR_EQ(ldq_le_phys(gm_core_address_space(c), 0x3000), 0x4007);
    /* Writes stay private. */
    stq_le_phys(gm_core_address_space(c), 0x3000, 0x1234);
    ASSERT_ADDR_EQ(ldq_le_phys(gm_core_address_space(c), 0x3000), 0x1234);
    gm_core_free(c);
    c = gm_core_open(path, &err);
    ASSERT_ADDR_EQ(ldq_le_phys(gm_core_address_space(c), 0x3000), 0x4007);
    gm_core_free(c);
    /* Two dumps open at once. */
    GmCore *c1 = gm_core_open(path, NULL), *c2 = gm_core_open(path, NULL);
    ASSERT(c1 && c2);
    gm_core_free(c1);
    gm_core_free(c2);
    unlink(path);
    free(b.p);
    gm_core_free(NULL);
    ASSERT(!gm_core_open_buffer(NULL, 10, NULL));
}

/* --- the monitor views --------------------------------------------------------- */

typedef struct Lines {
    char *s;
    size_t n;
    unsigned count, stop_after, ticks, stop_ticks;
} Lines;

static int collect(void *opaque, const char *line)
{
    Lines *l = opaque;
    if (!line) {
        l->ticks++;
        return l->stop_ticks && l->ticks == l->stop_ticks ? 9 : 0;
    }
    size_t k = strlen(line);
    l->s = realloc(l->s, l->n + k + 1);
    memcpy(l->s + l->n, line, k + 1);
    l->n += k;
    l->count++;
    return l->stop_after && l->count == l->stop_after ? 7 : 0;
}

static MemoryRegion root, ram;
static AddressSpace as;
static uint8_t *mem;

static void setup_ram(void)
{
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    ASSERT(memory_region_init_ram(&ram, NULL, "ram", 16u << 20, NULL));
    memory_region_add_subregion(&root, 0, &ram);
    address_space_init(&as, &root, "mon");
    mem = memory_region_get_ram_ptr(&ram);
}

static char *view(bool tlb, const GmX86MmuState *st)
{
    Lines l = { .s = strdup("") };
    int r = tlb ? gm_x86_info_tlb(&as, st, collect, &l)
                : gm_x86_info_mem(&as, st, collect, &l);
    ASSERT_EQ(r, 0);
    return l.s;
}

static char *gva2gpa(const GmX86MmuState *st, uint64_t va)
{
    static char buf[64];
    gm_x86_format_gva2gpa(&as, st, va, buf, sizeof(buf));
    return buf;
}

TEST(paging_off)
{
    setup_ram();
    GmX86MmuState st = { .cr0 = 0x11 };
    char *s = view(true, &st);
    ASSERT_STR_EQ(s, "PG disabled\n");
    free(s);
    s = view(false, &st);
    ASSERT_STR_EQ(s, "PG disabled\n");
    free(s);
    /* gva2gpa is the identity then, on 64 bits, and prints 0 as "0". */
    ASSERT_STR_EQ(gva2gpa(&st, 0x123456789abcull), "gpa: 0x123456789abc\n");
    ASSERT_STR_EQ(gva2gpa(&st, 0), "gpa: 0\n");
}

TEST(info_tlb_and_mem_32bit_quirks)
{
    setup_ram();
    /* PD at 0x1000: a 4 MiB page at 0 with bit 21 and PSE-36 bits set
     * (QEMU shows bit 21 and not 39:32), a table at 0x2000 for 4-8 MiB
     * with a PAT page and a read-only user page. */
    set_le(mem + 0x1000, 0x00200000 | (0x12 << 13) | 0x1e7, 4);
    set_le(mem + 0x1004, 0x2007, 4);
    set_le(mem + 0x2000, 0x5000 | 0x0e5, 4); /* PAT (bit 7) hidden */
    set_le(mem + 0x2004, 0x6000 | 0x007, 4);
    set_le(mem + 0x2008, 0x7000 | 0x001, 4);
    GmX86MmuState st = { .cr0 = GM_X86_CR0_PG,
                         .cr3 = 0x1000,
                         .cr4 = GM_X86_CR4_PSE };
    char *s = view(true, &st);
    ASSERT_STR_EQ(s, "0000000000000000: 0000000000200000 -GPDA--UW\n"
                     "0000000000400000: 0000000000005000 ---DA--U-\n"
                     "0000000000401000: 0000000000006000 -------UW\n"
                     "0000000000402000: 0000000000007000 ---------\n");
    free(s);
    s = view(false, &st);
    ASSERT_STR_EQ(s,
                  "0000000000000000-0000000000400000 0000000000400000 urw\n"
                  "0000000000400000-0000000000401000 0000000000001000 ur-\n"
                  "0000000000401000-0000000000402000 0000000000001000 urw\n"
                  "0000000000402000-0000000000403000 0000000000001000 -r-\n");
    free(s);
    /* gva2gpa: PSE-36 counts there. */
    ASSERT_STR_EQ(gva2gpa(&st, 0x123456), "gpa: 0x1200123456\n");
    ASSERT_STR_EQ(gva2gpa(&st, 0x401fff), "gpa: 0x6fff\n");
    ASSERT_STR_EQ(gva2gpa(&st, 0x403000), "Unmapped\n");
    ASSERT_STR_EQ(gva2gpa(&st, 0x800000), "Unmapped\n");
    /* Without CR4.PSE the PDE is a table pointer (at 0x00240000...). */
    st.cr4 = 0;
    ASSERT_STR_EQ(gva2gpa(&st, 0x123456), "Unmapped\n");
}

TEST(info_tlb_pae_keeps_xd_in_the_address)
{
    setup_ram();
    set_le(mem + 0x1000, 0x2001, 8);                       /* PDPTE 0 */
    set_le(mem + 0x2000, 0x8000000000600000ull | 0xe3, 8); /* 2 MiB, XD */
    set_le(mem + 0x2008, 0x3007, 8);                       /* table */
    set_le(mem + 0x3000, 0x8000000123456000ull | 0x67, 8); /* XD */
    GmX86MmuState st = { .cr0 = GM_X86_CR0_PG,
                         .cr3 = 0x1000,
                         .cr4 = GM_X86_CR4_PAE,
                         .efer = GM_X86_EFER_NXE };
    char *s = view(true, &st);
    ASSERT_STR_EQ(s, "0000000000000000: 8000000000600000 X-PDA---W\n"
                     "0000000000200000: 8000000123456000 X--DA--UW\n");
    free(s);
    s = view(false, &st);
    ASSERT_STR_EQ(s,
                  "0000000000000000-0000000000200000 0000000000200000 -rw\n"
                  "0000000000200000-0000000000201000 0000000000001000 urw\n");
    free(s);
    ASSERT_STR_EQ(gva2gpa(&st, 0x200abc), "gpa: 0x123456abc\n");
    ASSERT_STR_EQ(gva2gpa(&st, 0x123), "gpa: 0x600123\n");
}

TEST(info_views_4_and_5_level)
{
    setup_ram();
    /* 4-level: PML4[0] and PML4[511] -> PDPT 0x2000; a 1 GiB page with
     * bits 51:50 (hidden by QEMU's mask), a PD with a 2 MiB page. */
    set_le(mem + 0x1000, 0x2007, 8);
    set_le(mem + 0x1000 + 511 * 8, 0x2003, 8);
    set_le(mem + 0x2000, 0x000c000040000000ull | 0x1e3, 8); /* 1 GiB, G */
    set_le(mem + 0x2008, 0x3007, 8);
    set_le(mem + 0x3000, 0x00a00000 | 0x87, 8);
    GmX86MmuState st = { .cr0 = GM_X86_CR0_PG,
                         .cr3 = 0x1000,
                         .cr4 = GM_X86_CR4_PAE,
                         .efer = GM_X86_EFER_LMA | GM_X86_EFER_NXE };
    char *s = view(true, &st);
    ASSERT_STR_EQ(s, "0000000000000000: 0000000040000000 -GPDA---W\n"
                     "0000000040000000: 0000000000a00000 --P----UW\n"
                     "ffffff8000000000: 0000000040000000 -GPDA---W\n"
                     "ffffff8040000000: 0000000000a00000 --P----UW\n");
    free(s);
    s = view(false, &st);
    ASSERT_STR_EQ(s,
                  "0000000000000000-0000000040000000 0000000040000000 -rw\n"
                  "0000000040000000-0000000040200000 0000000000200000 urw\n"
                  "ffffff8000000000-ffffff8040200000 0000000040200000 -rw\n");
    free(s);
    ASSERT_STR_EQ(gva2gpa(&st, 0xffffff8000000123ull),
                  "gpa: 0xc000040000123\n");
    ASSERT_STR_EQ(gva2gpa(&st, 0x0000800000000000ull), "Unmapped\n");
    /* 5-level: PML5[0] -> the same PML4: QEMU's `info mem` tests P of
     * PDPTEs and PDEs inverted, so present ones print nothing. */
    set_le(mem + 0x4000, 0x1007, 8);
    st.cr3 = 0x4000;
    st.cr4 |= GM_X86_CR4_LA57;
    s = view(true, &st);
    ASSERT_STR_EQ(s, "0000000000000000: 0000000040000000 -GPDA---W\n"
                     "0000000040000000: 0000000000a00000 --P----UW\n"
                     "0000ff8000000000: 0000000040000000 -GPDA---W\n"
                     "0000ff8040000000: 0000000000a00000 --P----UW\n");
    free(s);
    s = view(false, &st);
    ASSERT_STR_EQ(s, "");
    free(s);
    /* ... and not-present ones are descended into: PDPTE 2, not present
     * but U and W, pointing at 0x5000, whose PDE 0 is a not-present
     * "2 MiB page" with U and W. */
    set_le(mem + 0x2010, 0x5006, 8);
    set_le(mem + 0x5000, 0x86, 8);
    s = view(false, &st);
    ASSERT_STR_EQ(s,
                  "0000000080000000-0000000080200000 0000000000200000 urw\n"
                  "0000ff8080000000-0000ff8080200000 0000000000200000 -rw\n");
    free(s);
}

TEST(views_stop_when_told)
{
    setup_ram();
    /* A self-referencing PML4: every entry present, pointing at itself:
     * 2^36 lines.  The callback stops it, and is called with NULL on the
     * way. */
    for (unsigned i = 0; i < 512; i++) {
        set_le(mem + 0x1000 + i * 8, 0x1007, 8);
    }
    GmX86MmuState st = { .cr0 = GM_X86_CR0_PG,
                         .cr3 = 0x1000,
                         .cr4 = GM_X86_CR4_PAE,
                         .efer = GM_X86_EFER_LMA };
    Lines l = { .s = strdup(""), .stop_after = 10000 };
    ASSERT_EQ(gm_x86_info_tlb(&as, &st, collect, &l), 7);
    ASSERT_EQ(l.count, 10000);
    ASSERT(l.ticks >= 2);
    free(l.s);
    /* Present tables over empty ones: no line, many reads; stopped by the
     * NULL calls. */
    for (unsigned i = 0; i < 512; i++) {
        set_le(mem + 0x2000 + i * 8, 0x3007, 8);
        set_le(mem + 0x3000 + i * 8, 0x4007, 8);
        set_le(mem + 0x1000 + i * 8, 0x2007, 8);
    }
    Lines l2 = { .s = strdup(""), .stop_ticks = 100 };
    ASSERT_EQ(gm_x86_info_tlb(&as, &st, collect, &l2), 9);
    ASSERT_EQ(l2.count, 0);
    ASSERT_EQ(l2.ticks, 100);
    free(l2.s);
    ASSERT_EQ(gm_x86_info_tlb(NULL, &st, collect, &l2), -GM_ERR_INVALID_ARG);
    ASSERT_EQ(gm_x86_info_mem(&as, NULL, collect, &l2), -GM_ERR_INVALID_ARG);
}

int main(int argc, char **argv)
{
    static const TestCase tests[] = {
        TEST_ENTRY(a_64bit_dump_opens),
        TEST_ENTRY(a_32bit_dump_opens),
        TEST_ENTRY(pn_xnum_count_in_section_zero),
        TEST_ENTRY(every_prefix_of_a_dump_is_refused),
        TEST_ENTRY(malformed_fields_are_named),
        TEST_ENTRY(files_missing_empty_or_not_regular),
        TEST_ENTRY(paging_off),
        TEST_ENTRY(info_tlb_and_mem_32bit_quirks),
        TEST_ENTRY(info_tlb_pae_keeps_xd_in_the_address),
        TEST_ENTRY(info_views_4_and_5_level),
        TEST_ENTRY(views_stop_when_told),
    };
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
