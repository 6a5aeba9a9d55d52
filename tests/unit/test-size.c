// SPDX-License-Identifier: MIT
/*
 * test-size.c - sizes (size.c) and what a size costs: gm_parse_size()
 * against the values QEMU 7.2 gives for the same text (read back from
 * `-machine pc,max-ram-below-4g=TEXT`, whose error prints the value), the
 * wrap of /work/shared/cases/api/05, -m as QEMU reads it (compared with
 * `query-memory-size-summary` of QEMU 7.2 started with that -m), and a
 * 1 TiB pc machine that must cost no memory, in the library and through
 * `guestmem mtree` (the GUESTMEM environment variable names the tool).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../harness/test.h"

static void size_is(const char *text, uint64_t want)
{
    uint64_t v = 12345;
    Error *err = NULL;
    int rc = gm_parse_size(text, &v, &err);
    if (rc || v != want) {
        test_fail(__FILE__, __LINE__,
                  "gm_parse_size(\"%s\"): rc %d, 0x%" PRIx64
                  " (expected 0x%" PRIx64 ") %s",
                  text, rc, v, want, err ? error_get_pretty(err) : "");
    }
}

static void size_fails(const char *text, const char *needle)
{
    uint64_t v = 12345;
    Error *err = NULL;
    int rc = gm_parse_size(text, &v, &err);
    if (rc != -GM_ERR_PARSE || v != 12345 || !err ||
        gm_error_code(err) != GM_ERR_PARSE ||
        !strstr(error_get_pretty(err), needle)) {
        test_fail(__FILE__, __LINE__,
                  "gm_parse_size(\"%s\"): rc %d, value 0x%" PRIx64
                  ", error '%s' (expected GM_ERR_PARSE with '%s')",
                  text, rc, v, err ? error_get_pretty(err) : "(none)", needle);
    }
    error_free(err);
}

/* api/05-parse-size-wrap.c: the fraction of these rounded up to a whole
 * unit and 15E + 1E wrapped to 0 "successfully".  The exact values (the
 * decimal fraction times the unit, rounded half up; checked with Python's
 * decimal module) fit below 2^64. */
TEST(fractions_near_2_64_do_not_wrap)
{
    size_is("15.99999999999999999E", UINT64_C(18446744073709551604));
    size_is("16383.99999999999999P", UINT64_C(18446744073709551605));
    size_is("1.9999999999999999999E", UINT64_C(2305843009213693952));
    /* 2^64 - 0.0012: rounds to 2^64, which does not fit. */
    size_fails("15.999999999999999999999E", "too large");
    size_fails("16E", "too large");
    size_fails("16384P", "too large");
    size_fails("18446744073709551616", "too large");
    size_fails("0x10000000000000000", "too large");
    size_fails("0x1000000000000000K", "too large");
    size_is("18446744073709551615", UINT64_MAX);
    size_is("0xffffffffffffffff", UINT64_MAX);
    size_is("15E", UINT64_C(17293822569102704640));
}

/* Each value is what QEMU 7.2 printed for the same text. */
TEST(sizes_as_qemu_reads_them)
{
    size_is("8G", UINT64_C(8589934592));
    size_is("0x200000000", UINT64_C(8589934592));
    size_is("5000000000", UINT64_C(5000000000));
    size_is("5000000000B", UINT64_C(5000000000));
    size_is("5g", UINT64_C(5368709120));
    size_is("1.5G", UINT64_C(1610612736));
    size_is("4.3G", UINT64_C(4617089843));
    size_is("4.1G", UINT64_C(4402341478));
    size_is("0.3M", 314573);
    size_is("2.675K", 2739);
    size_is("1.K", 1024);
    size_is("5.", 5);
    size_is("5.0", 5);
    size_is("0x10", 16);
    size_is("010", 10); /* decimal, not octal */
    size_is("0xAK", 10240);
    size_is("1.0000000000000000000000001E", UINT64_C(1152921504606846976));
    /* Where QEMU 7.2's double loses bytes (it prints 1268213655067531680):
     * 1.1 * 2^60 = 1268213655067531673.6. */
    size_is("1.1E", UINT64_C(1268213655067531674));
    /* QEMU 7.2 refuses all of these. */
    size_fails("", "empty");
    size_fails("1.5", "fraction of a byte");
    size_fails("4.5B", "fraction of a byte");
    size_fails("1e3G", "'3G' after the unit");
    size_fails("0x1.8G", "no fraction");
    size_fails("0x10.5", "no fraction");
    size_fails("0x", "no hex digits");
    size_fails("5GiB", "after the unit");
    size_fails("5GB", "after the unit");
    size_fails("5X", "unknown unit");
    size_fails("-1", "digit");
    size_fails("+1", "digit");
    /* QEMU skips leading spaces; guestmem refuses them. */
    size_fails(" 5G", "digit");
    uint64_t v = 7;
    ASSERT_EQ(gm_parse_size(NULL, &v, NULL), -GM_ERR_PARSE);
    ASSERT_EQ(gm_parse_size("1", NULL, NULL), -GM_ERR_PARSE);
    ASSERT_EQ(v, 7);
}

static void ram_is(const char *text, uint64_t want)
{
    uint64_t v = 12345;
    Error *err = NULL;
    int rc = gm_parse_ram_size(text, &v, &err);
    if (rc || v != want) {
        test_fail(__FILE__, __LINE__,
                  "gm_parse_ram_size(\"%s\"): rc %d, 0x%" PRIx64
                  " (expected 0x%" PRIx64 ") %s",
                  text, rc, v, want, err ? error_get_pretty(err) : "");
    }
}

static void ram_fails(const char *text, GmErrorCode code, const char *needle)
{
    uint64_t v = 12345;
    Error *err = NULL;
    int rc = gm_parse_ram_size(text, &v, &err);
    if (rc != -(int)code || v != 12345 || !err ||
        strncmp(error_get_pretty(err), "-m", 2) ||
        !strstr(error_get_pretty(err), needle)) {
        test_fail(__FILE__, __LINE__,
                  "gm_parse_ram_size(\"%s\"): rc %d, error '%s' (expected "
                  "code %d with '%s')",
                  text, rc, err ? error_get_pretty(err) : "(none)", code,
                  needle);
    }
    error_free(err);
}

/* -m: the base-memory QEMU 7.2 reports for each (before pc's rounding to
 * 8 KiB, which gm_pc_config_parse does: -m 1B is 8 KiB there too). */
TEST(dash_m_as_qemu_reads_it)
{
    ram_is("128", UINT64_C(128) << 20);
    ram_is("1.5G", UINT64_C(1610612736));
    ram_is("010", UINT64_C(10) << 20);
    ram_is("0x10", UINT64_C(16) << 20); /* QEMU: deprecated, 16 MiB */
    ram_is("0x10M", UINT64_C(16) << 20);
    ram_is("128M", UINT64_C(128) << 20);
    ram_is("128m", UINT64_C(128) << 20);
    ram_is("128K", 131072);
    ram_is("1", UINT64_C(1) << 20);
    ram_is("1B", 1);
    ram_is("1.5M", 1572864);
    ram_is("0xA", 10); /* no digit at the end: bytes, as in QEMU */
    ram_is("size=256", UINT64_C(256) << 20);
    ram_is("0", 0); /* QEMU: the default size */
    ram_is("17592186044415", UINT64_MAX - ((UINT64_C(1) << 20) - 1));
    ram_fails("1.5", GM_ERR_PARSE, "whole MiB");
    ram_fails("0.5", GM_ERR_PARSE, "whole MiB");
    ram_fails("1e3", GM_ERR_PARSE, "after the unit");
    ram_fails("0x1.8", GM_ERR_PARSE, "no fraction");
    ram_fails("-1", GM_ERR_PARSE, "digit");
    ram_fails("16E", GM_ERR_PARSE, "too large");
    ram_fails("16384P", GM_ERR_PARSE, "too large");
    ram_fails("17592186044416", GM_ERR_PARSE, "2^64 bytes or more");
    ram_fails("128 ", GM_ERR_PARSE, "unknown unit");
    ram_fails("5GB", GM_ERR_PARSE, "after the unit");
    ram_fails("", GM_ERR_PARSE, "empty");
    ram_fails("256,slots=2", GM_ERR_UNSUPPORTED, "hotplug");
    ram_fails("256,maxmem=1G", GM_ERR_UNSUPPORTED, "hotplug");
    uint64_t v;
    ASSERT_EQ(gm_parse_ram_size(NULL, &v, NULL), -GM_ERR_INVALID_ARG);
}

/* Describing a machine must not allocate its RAM: pc.ram is reserved
 * lazily, so 1 TiB on a smaller host builds, prints and costs nothing. */
TEST(pc_machine_of_1_tib_costs_nothing)
{
#ifdef __SANITIZE_THREAD__
    /* ThreadSanitizer confines the application to a few ranges of about
     * 1 TiB each, so whether 1 TiB fits depends on the layout of the
     * run; 64 GiB shows the same laziness there. */
    const uint64_t size = UINT64_C(64) << 30;
#else
    const uint64_t size = UINT64_C(1) << 40;
#endif
    long before = test_status_kib("VmRSS");
    GmPcConfig cfg;
    Error *err = NULL;
    ASSERT_EQ(gm_pc_config_parse(&cfg, "pc", size, &err), 0);
    GmPcMachine *pc = gm_pc_machine_new(&cfg, &err);
    if (!pc) {
        test_fail(__FILE__, __LINE__, "%s", error_get_pretty(err));
    }
    char *s = test_mtree(false, false, false, false);
    char want[160];
    snprintf(want, sizeof(want),
             "0000000100000000-%016" PRIx64 " (prio 0, ram): alias "
             "ram-above-4g @pc.ram 00000000c0000000-%016" PRIx64,
             size + UINT64_C(0x3fffffff), size - 1);
    if (!strstr(s, want)) {
        test_fail(__FILE__, __LINE__, "no line \"%s\" in:\n%s", want, s);
    }
    free(s);
    long after = test_status_kib("VmRSS");
    if (after - before > 32 * 1024) {
        test_fail(__FILE__, __LINE__, "a %" PRIu64 " GiB machine took %ld KiB",
                  size >> 30, after - before);
    }
    RAMBlock *rb = qemu_ram_block_by_name("pc.ram");
    ASSERT_ADDR_EQ(qemu_ram_get_used_length(rb), size);
    gm_pc_machine_free(pc);
}

/* Runs the guestmem tool with @args, its output in @out (a path, or NULL
 * for /dev/null); the exit status, and its peak RSS in *@maxrss_kib. */
static int run_tool(const char *const *args, const char *out, long *maxrss_kib)
{
    const char *tool = getenv("GUESTMEM");
    if (!tool) {
        test_skip("GUESTMEM (the guestmem tool) not set");
    }
    char *argv[16];
    int n = 0;
    argv[n++] = (char *)tool;
    for (; args[n - 1] && n < 15; n++) {
        argv[n] = (char *)args[n - 1];
    }
    argv[n] = NULL;
    pid_t pid = fork();
    ASSERT(pid >= 0);
    if (pid == 0) {
        int fd =
            open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(tool, argv);
        _exit(127);
    }
    int status;
    struct rusage ru;
    ASSERT_EQ(wait4(pid, &status, 0, &ru), pid);
    if (maxrss_kib) {
        *maxrss_kib = ru.ru_maxrss;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    ASSERT(f != NULL);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* `guestmem mtree --machine pc -m 1T` failed on a 24 GiB host; it works on
 * any host now and costs a few MiB of RSS at most. */
TEST(cli_mtree_of_1_tib)
{
#ifdef __SANITIZE_THREAD__
    /* ThreadSanitizer keeps the application to a part of the address
     * space where 1 TiB does not fit, reserved or not. */
    test_skip("ThreadSanitizer's address space has no room for 1 TiB");
#endif
    char out[] = "/tmp/gm-cli-XXXXXX";
    int fd = mkstemp(out);
    ASSERT(fd >= 0);
    close(fd);
    long rss = 0;
    const char *args[] = { "mtree", "--machine", "pc", "-m", "1T", NULL };
    int rc = run_tool(args, out, &rss);
    char *text = slurp(out);
    if (rc != 0) {
        test_fail(__FILE__, __LINE__, "exit %d: %s", rc, text);
    }
    ASSERT(strstr(text, "alias ram-above-4g @pc.ram "
                        "00000000c0000000-000000ffffffffff") != NULL);
    if (rss > 64 * 1024) {
        test_fail(__FILE__, __LINE__, "guestmem mtree -m 1T peaked at %ld KiB",
                  rss);
    }
    unlink(out);
}

/* The CLI's -m means what it means to QEMU; `run` still refuses more
 * RAM than the host has. */
TEST(cli_dash_m)
{
    char out[] = "/tmp/gm-cli-XXXXXX";
    int fd = mkstemp(out);
    ASSERT(fd >= 0);
    close(fd);
    static const struct {
        const char *m, *used;
    } cases[] = {
        { "128", "0x0000000008000000" },  { "010", "0x0000000000a00000" },
        { "1.5G", "0x0000000060000000" }, { "0x10", "0x0000000001000000" },
        { "1B", "0x0000000000002000" },   { "0", "0x0000000008000000" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *args[] = { "ramblock", "--machine", "pc",
                               "-m",       cases[i].m,  NULL };
        int rc = run_tool(args, out, NULL);
        char *text = slurp(out);
        char want[64];
        snprintf(want, sizeof(want), "0x0000000000000000 %s", cases[i].used);
        if (rc != 0 || !strstr(text, want)) {
            test_fail(__FILE__, __LINE__, "-m %s: exit %d, no '%s' in:\n%s",
                      cases[i].m, rc, want, text);
        }
    }
    /* A -m that does not parse is a usage error: exit status 2. */
    const char *bad[] = { "ramblock", "--machine", "pc", "-m", "1.5", NULL };
    ASSERT_EQ(run_tool(bad, out, NULL), 2);
    ASSERT(strstr(slurp(out), "-m 1.5: a number without a unit is whole "
                              "MiB") != NULL);
    const char *run[] = { "run", "-m", "1P", "--timeout", "1", NULL };
    ASSERT_EQ(run_tool(run, out, NULL), 1);
    ASSERT(strstr(slurp(out), "more than this host's") != NULL);
    unlink(out);
}

/* `--mem-path FILE` with a 5,000-byte file: refused, the file as it was. */
TEST(cli_mem_path_small_file)
{
    char path[] = "/tmp/gm-cli-img-XXXXXX";
    int fd = mkstemp(path);
    ASSERT(fd >= 0);
    static uint8_t bytes[5000], back[5000];
    for (size_t i = 0; i < sizeof(bytes); i++) {
        bytes[i] = (uint8_t)(i * 13);
    }
    ASSERT_EQ(write(fd, bytes, sizeof(bytes)), (ssize_t)sizeof(bytes));
    close(fd);
    char out[] = "/tmp/gm-cli-XXXXXX";
    fd = mkstemp(out);
    ASSERT(fd >= 0);
    close(fd);
    const char *args[] = { "ramblock", "--machine",  "pc", "-m",
                           "1G",       "--mem-path", path, NULL };
    ASSERT_EQ(run_tool(args, out, NULL), 1);
    ASSERT(strstr(slurp(out), "backing store size 0x1388 does not match "
                              "'size' option 0x40000000") != NULL);
    struct stat st;
    ASSERT_EQ(stat(path, &st), 0);
    ASSERT_EQ(st.st_size, 5000);
    fd = open(path, O_RDONLY);
    ASSERT_EQ(read(fd, back, sizeof(back)), (ssize_t)sizeof(back));
    close(fd);
    ASSERT_EQ(memcmp(back, bytes, sizeof(bytes)), 0);
    unlink(path);
    unlink(out);
}

static const TestCase tests[] = {
    TEST_ENTRY(fractions_near_2_64_do_not_wrap),
    TEST_ENTRY(sizes_as_qemu_reads_them),
    TEST_ENTRY(dash_m_as_qemu_reads_it),
    TEST_ENTRY(pc_machine_of_1_tib_costs_nothing),
    TEST_ENTRY(cli_mtree_of_1_tib),
    TEST_ENTRY(cli_dash_m),
    TEST_ENTRY(cli_mem_path_small_file),
};

int main(int argc, char **argv)
{
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
