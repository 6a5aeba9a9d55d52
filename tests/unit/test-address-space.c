// SPDX-License-Identifier: MIT
/*
 * test-address-space.c - address spaces (address-space.c): the list they
 * are kept in, and misuse of init and destroy.
 */
#include "../harness/test.h"

static int count_address_spaces(void)
{
    int n = 0;
    for (AddressSpace *a = gm_address_space_next(NULL); a && n < 1000;
         a = gm_address_space_next(a)) {
        n++;
    }
    return n;
}

/* ../shared/cases/api/08: a second init of a live address space returned
 * success and linked it into the list again, which then looped. */
TEST(init_of_a_live_address_space_is_refused)
{
    static MemoryRegion t;
    static AddressSpace as;
    test_capture_errors();
    memory_region_init(&t, NULL, "t", 0x100);
    int before = count_address_spaces();
    address_space_init(&as, &t, "x");
    ASSERT_EQ(count_address_spaces(), before + 1);
    Error *e = NULL;
    ASSERT_EQ(gm_address_space_init(&as, &t, "y", &e), -GM_ERR_IN_USE);
    ASSERT(strstr(error_get_pretty(e), "'x' is already initialised"));
    error_free(e);
    address_space_init(&as, &t, "z");
    ASSERT_EQ(test_last_error(), GM_ERR_IN_USE);
    ASSERT_STR_EQ(as.name, "x");
    ASSERT_EQ(count_address_spaces(), before + 1);
    ASSERT(gm_address_space_find("x") == &as);
    address_space_destroy(&as);
    ASSERT_EQ(count_address_spaces(), before);
    /* Destroyed, it may be initialised again. */
    address_space_init(&as, &t, "again");
    ASSERT_EQ(test_last_error(), GM_OK);
    ASSERT_EQ(count_address_spaces(), before + 1);
    address_space_destroy(&as);
    address_space_destroy(&as); /* twice: a no-op */
    ASSERT_EQ(count_address_spaces(), before);
}

TEST(init_with_bad_arguments_is_refused)
{
    static MemoryRegion never; /* zeroed: not initialised */
    static AddressSpace as;
    Error *e = NULL;
    ASSERT_EQ(gm_address_space_init(NULL, NULL, "n", &e), -GM_ERR_INVALID_ARG);
    error_free(e);
    e = NULL;
    ASSERT_EQ(gm_address_space_init(&as, &never, "n", &e), -GM_ERR_INVALID_ARG);
    error_free(e);
}

int main(int argc, char **argv)
{
    static const TestCase tests[] = {
        TEST_ENTRY(init_of_a_live_address_space_is_refused),
        TEST_ENTRY(init_with_bad_arguments_is_refused),
    };
    return test_main(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
}
