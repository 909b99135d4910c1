/* hash: FNV-1a reference vectors (derived article ids depend on them staying
 * put), and hash_stem against the byte-by-byte definition of its doc comment
 * (the record fingerprint's step 1). */
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

/* hash_stem as its comment (and fingerprint.h step 1) defines it, a byte at a time. */
static uint64_t stem_hash_reference(const unsigned char *s, size_t len)
{
        uint64_t h = HASH_STEM_SEED ^ (uint64_t)len * 0x9e3779b97f4a7c15ULL;
        for (size_t i = 0; i < len; i += 8) {
                uint64_t w = 0;
                for (size_t k = 0; k < 8 && i + k < len; k++)
                        w |= (uint64_t)s[i + k] << (8 * k);
                uint64_t y = (h ^ w) * 0xff51afd7ed558ccdULL;
                h = y ^ (y >> 32);
        }
        return h;
}

static void test_hash_stem_definition(void **state)
{
        (void)state;
        unsigned char buf[64];
        for (size_t i = 0; i < sizeof(buf); i++)
                buf[i] = (unsigned char)(i * 37 + 11); /* bytes above 0x7f too */
        for (size_t off = 0; off < 3; off++)           /* unaligned starts */
                for (size_t len = 0; len + off <= 40; len++)
                        assert_int_equal(hash_stem((const char *)buf + off, len),
                                         stem_hash_reference(buf + off, len));
        /* the tail is zero-padded, but the length keeps "a" and "a\0" apart */
        assert_true(hash_stem("a", 1) != hash_stem("a\0", 2));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fnv1a_vectors),
            cmocka_unit_test(test_fnv1a_continues),
            cmocka_unit_test(test_hash_stem_definition),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
