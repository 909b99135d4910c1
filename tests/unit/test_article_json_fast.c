/* article: the JSON fast path must agree with the Jansson path on every input
 * (accept/reject, reason, every field, source_fields), including the inputs
 * it hands over to Jansson. Generated input, fixed seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "article.h"

static uint64_t rng = 0x243f6a8885a308d3ULL;

static uint32_t rnd(uint32_t n)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (uint32_t)((rng >> 16) % n);
}

static const char *const keys[] = {
    "\"id\"",      "\"url\"",       "\"title\"",        "\"body\"",   "\"text\"",
    "\"content\"", "\"section\"",   "\"published_at\"", "\"source\"", "\"language\"",
    "\"label\"",   "\"lang\"",      "\"meta\"",         "\"\"",       "\"ti\\u0074le\"",
    "\"tags\"",    "\"id\\u0000\"", "\"b\\\"q\"",
};

static const char *const values[] = {
    "\"plain\"",
    "\"Grüße aus Köln\"",
    "\"esc \\\" \\\\ \\/ \\b\\f\\n\\r\\t\"",
    "\"\\u00e9\\u20AC\"",
    "\"\\ud83d\\ude00 emoji\"",
    "null",
    "true",
    "0",
    "-3.5e+2",
    "[]",
    "{}",
    "[1,\"a\",{\"k\":[null]}]",
    "\"28. April, 2025\"",
    "\"2025-04-28T10:00:00Z\"",
    "\"\"",
    "\"Worte und Sätze\"",
    "\"x\"",
    "\"y z\"",
    "1745834400",
};

/* Values Jansson rejects or that a known field may not hold. */
static const char *const odd_values[] = {
    "\"\\ud83d lone high\"",
    "\"\\ude00 lone low\"",
    "\"nul \\u0000\"",
    "\"\\x bad escape\"",
    "\"ctl \x01 raw\"",
    "null",
    "true",
    "false",
    "0",
    "-0",
    "12",
    "-3.5e+2",
    "1.",
    "01",
    "123456789012345678901234567890",
    "1e400",
    "[]",
    "{}",
    "[1,\"a\",{\"k\":[null]}]",
    "{\"a\":{\"b\":{\"c\":[1,2,{\"d\":\"e\"}]}}}",
    "[1,]",
    "{\"a\"1}",
    "\"28. April, 2025\"",
    "\"2025-04-28T10:00:00Z\"",
    "1745834400",
    "\"\"",
    "\"   \"",
    "\"unterminated",
};

static size_t gen(char *buf, size_t cap)
{
        size_t n = 0;
#define PUT(str)                                                                                   \
        do {                                                                                       \
                const char *p_ = (str);                                                            \
                size_t l_ = strlen(p_);                                                            \
                if (n + l_ < cap) {                                                                \
                        memcpy(buf + n, p_, l_);                                                   \
                        n += l_;                                                                   \
                }                                                                                  \
        } while (0)
        static const char *const ws[] = {"", " ", "\n", "\t ", "\r\n"};
        PUT(ws[rnd(5)]);
        PUT(rnd(20) ? "{" : "[");
        int members = (int)rnd(7);
        for (int m = 0; m < members; m++) {
                if (m)
                        PUT(rnd(30) ? "," : "");
                PUT(ws[rnd(5)]);
                PUT(keys[rnd(sizeof(keys) / sizeof(keys[0]))]);
                PUT(ws[rnd(5)]);
                PUT(rnd(40) ? ":" : "=");
                PUT(ws[rnd(5)]);
                if (rnd(8))
                        PUT(values[rnd(sizeof(values) / sizeof(values[0]))]);
                else
                        PUT(odd_values[rnd(sizeof(odd_values) / sizeof(odd_values[0]))]);
        }
        PUT(ws[rnd(5)]);
        PUT(rnd(20) ? "}" : "");
        PUT(rnd(20) ? ws[rnd(5)] : " x");
#undef PUT
        /* sometimes one random byte is changed */
        if (n && rnd(10) == 0)
                buf[rnd((uint32_t)n)] = "{}[]\",:\\ 0a"[rnd(11)];
        return n;
}

static void same_str(const char *what, const char *a, const char *b, const char *input)
{
        if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
                fail_msg("%s differs: fast '%s' vs jansson '%s' on input: %s", what,
                         a ? a : "(null)", b ? b : "(null)", input);
}

static void test_fast_equals_jansson(void **state)
{
        (void)state;
        struct article fast, ref;
        struct article_options of, orf;
        article_init(&fast);
        article_init(&ref);
        article_options_default(&of);
        of.format = ARTICLE_FORMAT_JSON;
        orf = of;
        orf.json_reference = 1;
        char buf[4096];
        int fast_taken = 0, accepted = 0, rejected = 0;
        for (int it = 0; it < 200000; it++) {
                size_t n = gen(buf, sizeof(buf) - 1);
                buf[n] = '\0';
                int rf = article_parse(&fast, &of, buf, n);
                int rr = article_parse(&ref, &orf, buf, n);
                if (rf != rr)
                        fail_msg("outcome differs (fast %d, jansson %d) on input: %s", rf, rr, buf);
                if (rf) {
                        rejected++;
                        assert_int_equal(fast.reason, ref.reason);
                        assert_string_equal(fast.message, ref.message);
                        continue;
                }
                accepted++;
                fast_taken += fast.root == NULL; /* only the Jansson path keeps a tree */
                same_str("id", fast.id, ref.id, buf);
                same_str("url", fast.url, ref.url, buf);
                same_str("title", fast.title, ref.title, buf);
                same_str("body", fast.body, ref.body, buf);
                same_str("section", fast.section, ref.section, buf);
                same_str("published_at", fast.published_at, ref.published_at, buf);
                same_str("source", fast.source, ref.source, buf);
                same_str("language", fast.language, ref.language, buf);
                assert_int_equal(fast.title_len, ref.title_len);
                assert_int_equal(fast.body_len, ref.body_len);
                assert_int_equal(fast.id_derived, ref.id_derived);
                if ((fast.source_fields == NULL) != (ref.source_fields == NULL) ||
                    (fast.source_fields && !json_equal(fast.source_fields, ref.source_fields)))
                        fail_msg("source_fields differ on input: %s", buf);
                if (fast.source_fields) { /* same member order too */
                        char *a = json_dumps(fast.source_fields, JSON_COMPACT);
                        char *b = json_dumps(ref.source_fields, JSON_COMPACT);
                        if (strcmp(a, b))
                                fail_msg("source_fields order differs: %s vs %s", a, b);
                        free(a);
                        free(b);
                }
        }
        print_message("accepted %d (fast path %d), rejected %d\n", accepted, fast_taken, rejected);
        /* the generator must exercise both paths and both outcomes */
        assert_true(fast_taken > 8000);
        assert_true(accepted - fast_taken > 1500);
        assert_true(rejected > 20000);
        article_free(&fast);
        article_free(&ref);
}

static void test_fast_on_real_shapes(void **state)
{
        (void)state;
        struct article a;
        struct article_options o;
        article_init(&a);
        article_options_default(&o);
        const char *s =
            "{\"id\": \"bbc-1\", \"title\": \"Dollar gains\", \"body\": \"The "
            "dollar \\\"rose\\\".\\nMore.\", \"label\": \"business\", \"lang\": \"en\"}";
        assert_int_equal(article_parse(&a, &o, s, strlen(s)), 0);
        assert_null(a.root); /* the fast path took it */
        assert_string_equal(a.body, "The dollar \"rose\".\nMore.");
        assert_int_equal(a.body_len, strlen(a.body));
        assert_string_equal(json_string_value(json_object_get(a.source_fields, "label")),
                            "business");
        /* a known field that is a number goes the Jansson way */
        const char *t = "{\"id\": 42, \"title\": \"x\"}";
        assert_int_equal(article_parse(&a, &o, t, strlen(t)), 0);
        assert_non_null(a.root);
        assert_string_equal(a.id, "42");
        article_free(&a);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fast_equals_jansson),
            cmocka_unit_test(test_fast_on_real_shapes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
