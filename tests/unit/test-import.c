#include "../harness/test.h"
TEST(placeholder_import) { ASSERT(1); }
int main(int argc, char **argv)
{
    static const TestCase tests[] = { TEST_ENTRY(placeholder_import) };
    return test_main(tests, 1, argc, argv);
}
