#include "../harness/test.h"
TEST(placeholder_pc) { ASSERT(1); }
int main(int argc, char **argv)
{
    static const TestCase tests[] = { TEST_ENTRY(placeholder_pc) };
    return test_main(tests, 1, argc, argv);
}
