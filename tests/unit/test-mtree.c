#include "../harness/test.h"
TEST(placeholder_mtree) { ASSERT(1); }
int main(int argc, char **argv)
{
    static const TestCase tests[] = { TEST_ENTRY(placeholder_mtree) };
    return test_main(tests, 1, argc, argv);
}
