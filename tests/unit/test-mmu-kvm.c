// SPDX-License-Identifier: MIT
/*
 * test-mmu-kvm.c - guestmem's page walk against the real MMU: a guest of
 * guests/t-paging*.S builds its page tables and turns paging on under KVM
 * (guestmem's own KVM VM and vCPU, kvm.h and vcpu.h); then, for a few
 * thousand linear addresses, KVM_TRANSLATE (KVM's walk of the guest's
 * tables, with the vCPU's CR0/CR3/CR4/EFER) and gm_x86_translate() over
 * the same memory must agree: translated or not, and to which physical
 * address.  KVM's walk sets accessed flags as the CPU does; the entries
 * each translation changed are compared too (guestmem's walk run on the
 * tables as they were before KVM's).
 *
 * Under nested KVM, 32-bit and PAE guests are the ones that run reliably;
 * the 4-level guest (compatibility mode) runs too where the host allows.
 * Without a usable /dev/kvm every test skips, saying why.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "../harness/test.h"

extern const unsigned char gm_t_paging32_guest[];
extern const unsigned int gm_t_paging32_guest_size;
extern const unsigned char gm_t_paging_pae_guest[];
extern const unsigned int gm_t_paging_pae_guest_size;
extern const unsigned char gm_t_paging_lm4_guest[];
extern const unsigned int gm_t_paging_lm4_guest_size;
extern const unsigned char gm_t_paging_lm5_guest[];
extern const unsigned int gm_t_paging_lm5_guest_size;

#define RAM_SIZE (32u << 20)
#define TABLES 0x100000u
#define TABLES_SIZE 0x10000u /* what the guests use of RAM from TABLES */

static MemoryRegion ram, bios;

static void skip_because(const char *what, Error *err)
{
    char reason[512];
    snprintf(reason, sizeof(reason), "%s: %s", what,
             err ? error_get_pretty(err) : "unavailable");
    error_free(err);
    fprintf(stderr, "# SKIP %s\n", reason);
    test_skip(reason);
}

/* The vCPU's file descriptor: the one /proc/self/fd names kvm-vcpu:0. */
static int vcpu_fd(void)
{
    DIR *d = opendir("/proc/self/fd");
    int fd = -1;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char path[300], link[256];
        snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, link, sizeof(link) - 1);
        if (n > 0) {
            link[n] = 0;
            if (!strcmp(link, "anon_inode:kvm-vcpu:0")) {
                fd = atoi(e->d_name);
            }
        }
    }
    if (d) {
        closedir(d);
    }
    return fd;
}

/* What the guest's CPUID says (guestmem gives it what KVM supports):
 * MAXPHYADDR, 1 GiB pages and PSE-36, which decide reserved bits. */
static void guest_cpu_features(GmX86MmuState *st)
{
    int kfd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    /* The header and its entries in one allocation (a struct with a
     * flexible member inside another is a GNU extension clang refuses). */
    struct kvm_cpuid2 *h =
        calloc(1, sizeof(*h) + 256 * sizeof(struct kvm_cpuid_entry2));
    ASSERT(kfd >= 0 && h);
    h->nent = 256;
    ASSERT(ioctl(kfd, KVM_GET_SUPPORTED_CPUID, h) == 0);
    close(kfd);
    struct {
        struct kvm_cpuid_entry2 *e;
        struct {
            uint32_t nent;
        } h;
    } c = { h->entries, { h->nent } };
    st->phys_bits = 36;
    st->no_1g_pages = true;
    st->no_pse36 = true;
    for (unsigned i = 0; i < c.h.nent; i++) {
        const struct kvm_cpuid_entry2 *e = &c.e[i];
        if (e->function == 0x80000008) {
            st->phys_bits = e->eax & 0xff;
        } else if (e->function == 0x80000001) {
            st->no_1g_pages = !(e->edx & (1u << 26));
        } else if (e->function == 1) {
            st->no_pse36 = !(e->edx & (1u << 17));
        }
    }
    free(h);
}

typedef struct Run {
    GmKvm *kvm;
    GmVcpu *cpu;
    GmX86MmuState st;
    int fd;
    bool set_by_sregs;
} Run;

/*
 * Runs @img under KVM until it halts with paging on.  Where this KVM
 * shuts the guest down on the instruction that turns paging on (its MOV
 * to CR4 or CR0; the tables are built by then), the state the guest was
 * about to set (CR3 = TABLES, @cr4 and @efer bits, CR0.PG and WP) is set
 * with KVM_SET_SREGS instead, and the test skips if KVM refuses that too.
 */
static void run_guest(Run *r, const unsigned char *img, unsigned size,
                      uint64_t cr4, uint64_t efer)
{
    Error *err = NULL;
    if (!gm_kvm_usable(&err)) {
        skip_because("/dev/kvm", err);
    }
    MemoryRegion *sys = get_system_memory();
    ASSERT(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, NULL));
    ASSERT(memory_region_init_rom(&bios, NULL, "bios", size, NULL));
    memcpy(memory_region_get_ram_ptr(&bios), img, size);
    memory_region_add_subregion(sys, 0, &ram);
    memory_region_add_subregion(sys, 0x100000000ull - size, &bios);
    r->kvm = gm_kvm_new(gm_address_space_memory(), gm_address_space_io(), &err);
    if (!r->kvm) {
        skip_because("KVM VM", err);
    }
    r->cpu = gm_kvm_vcpu_new(r->kvm, &err);
    if (!r->cpu) {
        skip_because("KVM vCPU", err);
    }
    GmVcpuExit why;
    if (gm_vcpu_run(r->cpu, 20000, &why, &err) < 0) {
        test_fail(__FILE__, __LINE__, "run: %s", error_get_pretty(err));
    }
    r->fd = vcpu_fd();
    ASSERT(r->fd >= 0);
    struct kvm_sregs sr;
    ASSERT(ioctl(r->fd, KVM_GET_SREGS, &sr) == 0);
    r->set_by_sregs = false;
    if (why == GM_VCPU_EXIT_SHUTDOWN && !(sr.cr0 & GM_X86_CR0_PG) && size > 0) {
        sr.cr3 = TABLES;
        sr.cr4 |= cr4;
        sr.efer |= efer;
        if (efer & GM_X86_EFER_LME) {
            sr.efer |= GM_X86_EFER_LMA;
        }
        sr.cr0 = (sr.cr0 & ~0x60000000ull) | GM_X86_CR0_PG | GM_X86_CR0_WP;
        uint64_t want = sr.cr0;
        if (ioctl(r->fd, KVM_SET_SREGS, &sr) < 0) {
            test_skip("this KVM refuses paging on for the guest");
        }
        ASSERT(ioctl(r->fd, KVM_GET_SREGS, &sr) == 0);
        if (!(sr.cr0 & GM_X86_CR0_PG) || (sr.cr4 & cr4) != cr4) {
            char reason[256];
            snprintf(reason, sizeof(reason),
                     "this KVM will not run the guest in this paging mode "
                     "(it shut down on the guest's move to CR4/CR0, and "
                     "KVM_SET_SREGS of CR0 %#llx CR4 %#llx read back CR0 "
                     "%#llx CR4 %#llx)",
                     (unsigned long long)want,
                     (unsigned long long)(sr.cr4 | cr4),
                     (unsigned long long)sr.cr0, (unsigned long long)sr.cr4);
            test_skip(reason);
        }
        r->set_by_sregs = true;
        printf("# paging turned on with KVM_SET_SREGS: this KVM shut the "
               "guest down on its own move to CR4/CR0\n");
    } else if (why != GM_VCPU_EXIT_HLT) {
        gm_vcpu_dump(r->cpu, stderr);
        char reason[128];
        snprintf(reason, sizeof(reason),
                 "the guest did not reach hlt under this KVM (exit %d)",
                 (int)why);
        test_skip(reason);
    }
    memset(&r->st, 0, sizeof(r->st));
    r->st.cr0 = sr.cr0;
    r->st.cr3 = sr.cr3;
    r->st.cr4 = sr.cr4;
    r->st.efer = sr.efer;
    guest_cpu_features(&r->st);
    ASSERT(sr.cr0 & GM_X86_CR0_PG);
}

static void finish(Run *r)
{
    gm_vcpu_free(r->cpu);
    gm_kvm_free(r->kvm);
    gm_reset();
}

/* The addresses to compare: every 4 KiB page of the first 48 MiB and of
 * the top 8 MiB, the start and middle of each 4 MiB, and more. */
static size_t sample(uint64_t *out, size_t max, bool wide)
{
    size_t n = 0;
    for (uint64_t a = 0; a < (48u << 20) && n < max; a += 0x1000) {
        out[n++] = a + (a >> 12) % 0xff8;
    }
    for (uint64_t a = 0xff800000u; a < 0x100000000ull && n < max; a += 0x1000) {
        out[n++] = a + 0x10;
    }
    for (uint64_t a = 0; a < 0x100000000ull && n < max; a += 1u << 21) {
        out[n++] = a + 0x234;
    }
    if (wide) {
        static const uint64_t more[] = {
            0x40000000ull,         0x7fffff000ull,        0x80000000ull,
            0xc0001000ull,         0x100000000ull,        0x140000000ull,
            0x180000000ull,        0x1c0000000ull,        0x7fffffffff000ull,
            0x800000000000ull,     0xffff800000000000ull, 0xffff800000201000ull,
            0xffffffffc0000000ull, 0xffffffffffe00000ull, 0xfffffffffffff000ull,
            0x0000960000000000ull, 0xffff960000000000ull, 0x00ff000000000000ull,
            0xff00000000000000ull, 0xffffff7fc0000000ull, 0xffffff8000000000ull,
            0xffffffffffdff000ull,
        };
        for (size_t i = 0; i < sizeof(more) / sizeof(more[0]) && n < max; i++) {
            out[n++] = more[i];
        }
    }
    return n;
}

/* Compares KVM_TRANSLATE with gm_x86_translate for each address, and the
 * accessed flags each one sets. */
static void compare(Run *r, bool wide)
{
    static uint64_t addrs[20000];
    size_t n = sample(addrs, 20000, wide);
    AddressSpace *as = gm_address_space_memory();
    uint8_t *host = memory_region_get_ram_ptr(&ram);
    static uint8_t before[TABLES_SIZE], after_kvm[TABLES_SIZE];
    unsigned valid = 0, ad_set = 0, mismatches = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t va = addrs[i];
        if (gm_x86_canonical(&r->st, va) != va) {
            /* The CPU raises #GP before any walk; KVM_TRANSLATE does not
             * look at the upper bits at all. */
            GmX86Walk w;
            ASSERT_EQ(gm_x86_translate(as, &r->st, va, GM_X86_ACC_READ, &w),
                      GM_X86_GP);
            continue;
        }
        memcpy(before, host + TABLES, TABLES_SIZE);
        struct kvm_translation tr = { .linear_address = va };
        if (ioctl(r->fd, KVM_TRANSLATE, &tr) < 0) {
            test_fail(__FILE__, __LINE__, "KVM_TRANSLATE: %s", strerror(errno));
        }
        memcpy(after_kvm, host + TABLES, TABLES_SIZE);
        memcpy(host + TABLES, before, TABLES_SIZE);
        GmX86Walk w;
        int res = gm_x86_translate(as, &r->st, va, GM_X86_ACC_READ, &w);
        if (!!tr.valid != (res == GM_X86_OK)) {
            fprintf(stderr,
                    "# 0x%" PRIx64 ": KVM says %s, guestmem %d (error code "
                    "%#x, level %u)\n",
                    va, tr.valid ? "valid" : "invalid", res, w.error_code,
                    w.fault_level);
            if (++mismatches == 20) {
                break;
            }
            continue;
        }
        if (tr.valid) {
            valid++;
            if (tr.physical_address != w.gpa) {
                test_fail(__FILE__, __LINE__,
                          "0x%" PRIx64 ": KVM 0x%llx, guestmem 0x%" PRIx64, va,
                          (unsigned long long)tr.physical_address, w.gpa);
            }
        }
        if (memcmp(before, after_kvm, TABLES_SIZE)) {
            ad_set++; /* KVM's walk set accessed flags */
        }
        for (unsigned off = 0; off < TABLES_SIZE; off += 4) {
            uint32_t k, g;
            memcpy(&k, after_kvm + off, 4);
            memcpy(&g, host + TABLES + off, 4);
            if (k != g) {
                test_fail(__FILE__, __LINE__,
                          "0x%" PRIx64 ": the entry at 0x%x is 0x%x after "
                          "KVM's walk, 0x%x after guestmem's",
                          va, TABLES + off, k, g);
            }
        }
        memcpy(host + TABLES, before, TABLES_SIZE);
    }
    ASSERT_EQ(mismatches, 0);
    printf("# %zu addresses, %u translated, as KVM_TRANSLATE has it; %u of "
           "the walks set accessed flags, the same ones as KVM's\n",
           n, valid, ad_set);
    ASSERT(ad_set > 0);
    ASSERT(valid > 100);
    ASSERT(valid < n);
}

TEST(paging32_matches_kvm_translate)
{
    Run r;
    run_guest(&r, gm_t_paging32_guest, gm_t_paging32_guest_size,
              GM_X86_CR4_PSE | GM_X86_CR4_PGE, 0);
    ASSERT_EQ(gm_x86_paging_mode(&r.st), GM_X86_PAGING_32);
    compare(&r, false);
    finish(&r);
}

TEST(pae_matches_kvm_translate)
{
    Run r;
    run_guest(&r, gm_t_paging_pae_guest, gm_t_paging_pae_guest_size,
              GM_X86_CR4_PAE | GM_X86_CR4_PGE, GM_X86_EFER_NXE);
    ASSERT_EQ(gm_x86_paging_mode(&r.st), GM_X86_PAGING_PAE);
    compare(&r, false);
    finish(&r);
}

TEST(four_level_matches_kvm_translate)
{
    Run r;
    run_guest(&r, gm_t_paging_lm4_guest, gm_t_paging_lm4_guest_size,
              GM_X86_CR4_PAE | GM_X86_CR4_PGE,
              GM_X86_EFER_NXE | GM_X86_EFER_LME);
    ASSERT_EQ(gm_x86_paging_mode(&r.st), GM_X86_PAGING_4);
    compare(&r, true);
    finish(&r);
}

TEST(five_level_matches_kvm_translate)
{
    Run r;
    run_guest(&r, gm_t_paging_lm5_guest, gm_t_paging_lm5_guest_size,
              GM_X86_CR4_PAE | GM_X86_CR4_PGE | GM_X86_CR4_LA57,
              GM_X86_EFER_NXE | GM_X86_EFER_LME);
    if (gm_x86_paging_mode(&r.st) != GM_X86_PAGING_5) {
        test_skip("this KVM does not give the guest LA57");
    }
    compare(&r, true);
    finish(&r);
}

int main(int argc, char **argv)
{
    static const TestCase tests[] = {
        TEST_ENTRY(paging32_matches_kvm_translate),
        TEST_ENTRY(pae_matches_kvm_translate),
        TEST_ENTRY(four_level_matches_kvm_translate),
        TEST_ENTRY(five_level_matches_kvm_translate),
    };
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
