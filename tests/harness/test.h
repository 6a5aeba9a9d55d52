/* SPDX-License-Identifier: MIT */
/*
 * test.h - guestmem's small test harness.
 *
 * A test file defines TEST(name) functions and lists them in a TestCase
 * table passed to test_main().  Each test runs in a child process (a crash
 * fails one test, not the run), prints TAP, and the run ends with the line
 * "N passed, N failed".  Asserts print the expression and both operands.
 * `prog NAME` runs one test in-process (for gdb).
 */
#ifndef GUESTMEM_TEST_H
#define GUESTMEM_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <guestmem/guestmem.h>

typedef struct TestCase {
    const char *name;
    void (*fn)(void);
} TestCase;

#define TEST(name) static void test_##name(void)
#define TEST_ENTRY(name)   \
    {                      \
#name, test_##name \
    }

int test_main(const TestCase *tests, size_t n, int argc, char **argv);
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
/* Marks the running test skipped with a reason (ends the test). */
void test_skip(const char *reason) __attribute__((noreturn));

#define ASSERT(x)                                            \
    do {                                                     \
        if (!(x)) {                                          \
            test_fail(__FILE__, __LINE__, "ASSERT(%s)", #x); \
        }                                                    \
    } while (0)

#define ASSERT_EQ(a, b)                                                     \
    do {                                                                    \
        long long a_ = (long long)(a), b_ = (long long)(b);                 \
        if (a_ != b_) {                                                     \
            test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, \
                      a_, b_);                                              \
        }                                                                   \
    } while (0)

#define ASSERT_ADDR_EQ(a, b)                                               \
    do {                                                                   \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                   \
        if (a_ != b_) {                                                    \
            test_fail(__FILE__, __LINE__,                                  \
                      "%s == %s: 0x%" PRIx64 " != 0x%" PRIx64, #a, #b, a_, \
                      b_);                                                 \
        }                                                                  \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                            \
    do {                                                               \
        const char *a_ = (a), *b_ = (b);                               \
        if (!a_ || !b_ || strcmp(a_, b_)) {                            \
            test_fail(__FILE__, __LINE__,                              \
                      "%s == %s:\n--- got:\n%s\n--- "                  \
                      "expected:\n%s",                                 \
                      #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
        }                                                              \
    } while (0)

/* --- helpers for guestmem tests ------------------------------------------ */

/* Records errors reported by QEMU's void functions (gm_set_error_handler). */
void test_capture_errors(void);
/* The code of the last captured error, then clears it (GM_OK if none). */
GmErrorCode test_last_error(void);

/* Runs mtree printing into a malloc'd string. */
char *test_mtree(bool flat, bool dispatch, bool owner, bool disabled);
/* Just the ranges of @as's flat view, one "start-last name@offset flags"
 * line each, for compact expectations. */
char *test_ranges(AddressSpace *as);

/* A "Name: N kB" line of /proc/self/status (VmRSS, RssAnon, ...), or -1. */
long test_status_kib(const char *field);

#endif
