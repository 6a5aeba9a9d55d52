// SPDX-License-Identifier: MIT
/*
 * test.c - the harness of test.h: forks a child per test, prints TAP and a
 * closing "N passed, N failed" line.
 */
#define _GNU_SOURCE
#include "test.h"

#include <stdarg.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXIT_SKIP 77

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "# FAIL %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    _exit(1);
}

void test_skip(const char *reason)
{
    printf("# SKIP: %s\n", reason);
    fflush(stdout);
    _exit(EXIT_SKIP);
}

static GmErrorCode last_error;

static void capture(const Error *err, void *opaque)
{
    (void)opaque;
    last_error = gm_error_code(err);
}

void test_capture_errors(void)
{
    last_error = GM_OK;
    gm_set_error_handler(capture, NULL);
}

GmErrorCode test_last_error(void)
{
    GmErrorCode c = last_error;
    last_error = GM_OK;
    return c;
}

char *test_mtree(bool flat, bool dispatch, bool owner, bool disabled)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gm_mtree_fprint(f, flat, dispatch, owner, disabled);
    fclose(f);
    return buf;
}

char *test_ranges(AddressSpace *as)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    FlatView *fv = address_space_get_flatview(as);
    for (unsigned i = 0; i < gm_flatview_nr(fv); i++) {
        MemoryRegionSection s;
        gm_flatview_section(fv, i, &s);
        fprintf(f, "%" PRIx64 "-%" PRIx64 " %s@%" PRIx64 "%s\n",
                s.offset_within_address_space,
                s.offset_within_address_space + (uint64_t)(s.size - 1),
                memory_region_name(s.mr), s.offset_within_region,
                s.readonly ? " ro" : "");
    }
    flatview_unref(fv);
    fclose(f);
    return buf;
}

static int run_one(const TestCase *t)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 1;
    }
    if (pid == 0) {
        alarm(600);
        /* Tests keep their regions on their own stack, so the process
         * ends right after the test rather than tearing down. */
        t->fn();
        fflush(stdout);
        _exit(0);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
    }
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    fprintf(stderr, "# test '%s' died with signal %d\n", t->name,
            WTERMSIG(status));
    return 1;
}

int test_main(const TestCase *tests, size_t n, int argc, char **argv)
{
    if (argc > 1) {
        for (size_t i = 0; i < n; i++) {
            if (!strcmp(tests[i].name, argv[1])) {
                tests[i].fn();
                printf("ok - %s\n", tests[i].name);
                return 0;
            }
        }
        fprintf(stderr, "no test named '%s'\n", argv[1]);
        return 2;
    }
    unsigned passed = 0, failed = 0, skipped = 0;
    printf("1..%zu\n", n);
    for (size_t i = 0; i < n; i++) {
        int rc = run_one(&tests[i]);
        if (rc == 0) {
            passed++;
            printf("ok %zu - %s\n", i + 1, tests[i].name);
        } else if (rc == EXIT_SKIP) {
            skipped++;
            printf("ok %zu - %s # SKIP\n", i + 1, tests[i].name);
        } else {
            failed++;
            printf("not ok %zu - %s\n", i + 1, tests[i].name);
        }
    }
    /* A TAP comment, so that meson accepts it; scripts/run-tests.sh prints
     * the plain total line for the whole run. */
    printf("# %u passed, %u failed", passed, failed);
    if (skipped) {
        printf(", %u skipped", skipped);
    }
    printf("\n");
    return failed ? 1 : 0;
}

long test_status_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof(line), f)) {
        if (!strncmp(line, field, n) && line[n] == ':') {
            kib = strtol(line + n + 1, NULL, 10);
            break;
        }
    }
    if (f) {
        fclose(f);
    }
    return kib;
}
