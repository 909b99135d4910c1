/* hash: FNV-1a reference vectors (derived article ids depend on them staying put). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "hash.h"

static void test_fnv1a_vectors(void **state)
{
        (void)state;
        /* Published FNV-1a 64 test vectors. */
        assert_int_equal(hash_fnv1a("", 0, HASH_FNV_SEED), 0xcbf29ce484222325ULL);
        assert_int_equal(hash_fnv1a("a", 1, HASH_FNV_SEED), 0xaf63dc4c8601ec8cULL);
        assert_int_equal(hash_fnv1a("foobar", 6, HASH_FNV_SEED), 0x85944171f73967e8ULL);
}

static void test_fnv1a_continues(void **state)
{
        (void)state;
        uint64_t h = hash_fnv1a("foo", 3, HASH_FNV_SEED);
        assert_int_equal(hash_fnv1a("bar", 3, h), hash_fnv1a("foobar", 6, HASH_FNV_SEED));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fnv1a_vectors),
            cmocka_unit_test(test_fnv1a_continues),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
