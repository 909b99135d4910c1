/* article: the JSON fast path must agree with the Jansson path on every input
 * (accept/reject, reason, every field, source_fields), including the inputs
 * it hands over to Jansson, and the records written from both must be the
 * same bytes (the fast path keeps unknown members as items, not a Jansson
 * tree). Generated input, fixed seed. */
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
#include "jscan.h"
#include "record.h"

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
    "9223372036854775807",
    "-9223372036854775808",
    "-12",
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

static size_t jansson_allocs;

static void *counting_malloc(size_t n)
{
        jansson_allocs++;
        return malloc(n);
}

static void counting_free(void *p)
{
        free(p);
}

static void same_str(const char *what, const char *a, const char *b, const char *input)
{
        if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
                fail_msg("%s differs: fast '%s' vs jansson '%s' on input: %s", what,
                         a ? a : "(null)", b ? b : "(null)", input);
}

/* source_fields of both as trees: equal, and in the same member order */
static void same_source_fields(const struct article *fast, const struct article *ref,
                               const char *input)
{
        json_t *f = article_source_json(fast), *r = article_source_json(ref);
        if ((f == NULL) != (r == NULL) || (f && !json_equal(f, r)))
                fail_msg("source_fields differ on input: %s", input);
        if (f) {
                char *a = json_dumps(f, JSON_COMPACT);
                char *b = json_dumps(r, JSON_COMPACT);
                if (strcmp(a, b))
                        fail_msg("source_fields order differs: %s vs %s", a, b);
                free(a);
                free(b);
        }
        json_decref(f);
        json_decref(r);
}

/* The records of both, with the same tags: the same bytes. */
static void same_record(const struct article *fast, const struct article *ref, const char *input)
{
        static struct record_buf bf, br;
        struct record_tags tags = {.language = "de", .language_confidence = 0.5};
        struct record_input in = {.line = 7};
        assert_int_equal(record_build(&bf, fast, &tags, &in, "2025-01-01T00:00:00Z"), 0);
        assert_int_equal(record_build(&br, ref, &tags, &in, "2025-01-01T00:00:00Z"), 0);
        if (bf.len != br.len || memcmp(bf.p, br.p, bf.len))
                fail_msg("records differ on input: %s\nfast:    %s\njansson: %s", input, bf.p,
                         br.p);
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
                same_source_fields(&fast, &ref, buf);
                same_record(&fast, &ref, buf);
        }
        print_message("accepted %d (fast path %d), rejected %d\n", accepted, fast_taken, rejected);
        /* the generator must exercise both paths and both outcomes */
        assert_true(fast_taken > 8000);
        assert_true(accepted - fast_taken > 1500);
        assert_true(rejected > 20000);
        article_free(&fast);
        article_free(&ref);
}

/* Unknown member values of every kind, the corners included: escapes, \u
 * sequences and surrogate pairs, integers at and past the int64 limits, -0,
 * reals whose %.6g text needs Jansson's fix-ups (".0", exponent digits),
 * underflow and overflow, arrays (nested, empty, with an object inside),
 * objects, and repeated keys. */
static const char *const member_values[] = {
    "\"plain\"",
    "\"\"",
    "\"Grüße \\\" \\\\ \\/ \\b\\f\\n\\r\\t\"",
    "\"\\u0001\\u001f\\u007f\\u00e9\\u20AC\\uFFFF\"",
    "\"\\ud83d\\ude00\\uD834\\uDD1E\"",
    "\"\xc3\xa9\xe2\x82\xac \xf0\x9f\x98\x80\"",
    "true",
    "false",
    "null",
    "0",
    "-0",
    "7",
    "-42",
    "9223372036854775807",
    "-9223372036854775808",
    "0.0",
    "-0.0",
    "0.1",
    "1.5",
    "-3.5e+2",
    "1e5",
    "1E-5",
    "1e-7",
    "2.5e+15",
    "123456.5",
    "1234567.0",
    "1e21",
    "1.7976931348623157e308",
    "4.9e-324",
    "2.5e-400",
    "3.14159265358979",
    "100000000000000000000000.0",
    "0.000001",
    "0.0000001",
    "1.00000000000000000000000000000000000000000000000000000000000000001",
    "[]",
    "[\"a\",1,2.5,true,false,null]",
    "[[],[[\"x\"]],[1e2,-0]]",
    "[ \"sp\" , [ 1 ] ]",
    "[1,{\"k\":\"v\"}]",
    "{}",
    "{\"k\":1.5,\"a\":[1,{\"b\":null}]}",
    "{\"d\":1,\"d\":2}",
};

/* values Jansson rejects: NUL, a lone surrogate, numbers it cannot hold */
static const char *const member_bad_values[] = {
    "\"\\u0000 nul\"",
    "\"\\udc00 lone\"",
    "9223372036854775808",
    "-9223372036854775809",
    "123456789012345678901234567890",
    "1e400",
    "-1e400",
    "[9223372036854775808]",
    "{\"big\":1e400}",
};

static const char *const member_keys[] = {
    "\"label\"", "\"lang\"", "\"category\"", "\"\"", "\"k\\u00e9y\"", "\"q\\\"k\"", "\"score\"",
};

static void test_unknown_members_records(void **state)
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
        int items = 0, jansson_items = 0, accepted = 0, rejected = 0;
        size_t nv = sizeof(member_values) / sizeof(member_values[0]);
        size_t nk = sizeof(member_keys) / sizeof(member_keys[0]);
        size_t nb = sizeof(member_bad_values) / sizeof(member_bad_values[0]);
        for (int it = 0; it < 100000; it++) {
                size_t n = 0;
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{\"title\":\"T\"");
                int members = 1 + (int)rnd(5);
                for (int m = 0; m < members; m++) {
                        /* mostly distinct keys; sometimes one again */
                        const char *key = rnd(6) ? member_keys[rnd((uint32_t)nk)] : "\"label\"";
                        /* one member in 12 has a value Jansson rejects, or a NUL key */
                        const char *v = member_values[rnd((uint32_t)nv)];
                        if (!rnd(12))
                                v = member_bad_values[rnd((uint32_t)nb)];
                        if (!rnd(200))
                                key = "\"n\\u0000\"";
                        else if (!rnd(30)) /* a known field, maybe not a string */
                                key = rnd(2) ? "\"ti\\u0074le\"" : "\"body\"";
                        n += (size_t)snprintf(buf + n, sizeof(buf) - n, ",%s%s:%s", key,
                                              rnd(4) ? "" : " ", v);
                }
                n += (size_t)snprintf(buf + n, sizeof(buf) - n, "}");
                assert_true(n < sizeof(buf));
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
                if (fast.source_nitems) {
                        items++;
                        for (size_t k = 0; k < fast.source_nitems; k++)
                                jansson_items += fast.source_items[k].kind == ARTICLE_ITEM_JSON;
                }
                same_source_fields(&fast, &ref, buf);
                same_record(&fast, &ref, buf);
        }
        print_message("accepted %d (as items %d, %d Jansson values among them), rejected %d\n",
                      accepted, items, jansson_items, rejected);
        /* every way must be taken often: items, objects kept by Jansson,
         * Jansson's path for the whole message, rejections (big numbers) */
        assert_true(items > 20000);
        assert_true(jansson_items > 5000);
        assert_true(accepted - items > 5000);
        assert_true(rejected > 10000);
        article_free(&fast);
        article_free(&ref);
}

/* The common shapes take the items path: no Jansson value is allocated
 * (counted through Jansson's allocator hooks; a tree per message, as the
 * Jansson path and the fast path before the items builds, would count). */
static void test_items_common_case(void **state)
{
        (void)state;
        struct article a;
        struct article_options o;
        article_init(&a);
        article_options_default(&o);
        const char *s = "{\"id\":\"r-1\",\"title\":\"T\",\"body\":\"B\",\"label\":[\"acq\","
                        "\"earn\"],\"lang\":\"en\",\"n\":-12,\"x\":0.25,\"ok\":true,\"z\":null}";
        assert_int_equal(article_parse(&a, &o, s, strlen(s)), 0);
        assert_null(a.root);
        assert_null(a.source_fields);
        static const enum article_item_kind want[] = {
            ARTICLE_ITEM_KEY,       ARTICLE_ITEM_ARRAY, ARTICLE_ITEM_STRING, ARTICLE_ITEM_STRING,
            ARTICLE_ITEM_ARRAY_END, ARTICLE_ITEM_KEY,   ARTICLE_ITEM_STRING, ARTICLE_ITEM_KEY,
            ARTICLE_ITEM_INT,       ARTICLE_ITEM_KEY,   ARTICLE_ITEM_REAL,   ARTICLE_ITEM_KEY,
            ARTICLE_ITEM_TRUE,      ARTICLE_ITEM_KEY,   ARTICLE_ITEM_NULL,
        };
        assert_int_equal(a.source_nitems, sizeof(want) / sizeof(want[0]));
        for (size_t k = 0; k < a.source_nitems; k++)
                assert_int_equal(a.source_items[k].kind, want[k]);
        assert_string_equal(a.source_items[0].v.str, "label");
        assert_int_equal(a.source_items[8].v.i, -12);
        struct record_buf b;
        record_buf_init(&b);
        struct record_tags tags = {0};
        assert_int_equal(record_build(&b, &a, &tags, NULL, "t"), 0);
        assert_non_null(strstr(b.p, ",\"source_fields\":{\"label\":[\"acq\",\"earn\"],\"lang\":"
                                    "\"en\",\"n\":-12,\"x\":0.25,\"ok\":true,\"z\":null},"));
        /* again, with the buffers grown: no allocation through Jansson */
        json_set_alloc_funcs(counting_malloc, counting_free);
        jansson_allocs = 0;
        for (int k = 0; k < 100; k++) {
                assert_int_equal(article_parse(&a, &o, s, strlen(s)), 0);
                assert_int_equal(record_build(&b, &a, &tags, NULL, "t"), 0);
        }
        size_t fast_allocs = jansson_allocs;
        /* the counter does count: the Jansson path builds a tree */
        o.json_reference = 1;
        assert_int_equal(article_parse(&a, &o, s, strlen(s)), 0);
        json_set_alloc_funcs(malloc, free);
        assert_int_equal(fast_allocs, 0);
        assert_true(jansson_allocs > 0);
        article_free(&a); /* its tree was counted, so freed by counting_free */
        record_buf_free(&b);
}

/* jscan_plain_end (16, then 8 bytes at a time) finds what a byte loop finds,
 * from every start, with the special byte at every position of a word. */
static void test_jscan_matches_byte_loop(void **state)
{
        (void)state;
        static const unsigned char special[] = {'"', '\\', 0x00, 0x01, 0x1F};
        static const unsigned char plain[] = {' ',  'a',  0x20, 0x7F, 0x80, 0xC3,
                                              0xFF, 0x5B, 0x5D, 0x21, 0x23};
        char buf[80];
        for (int it = 0; it < 20000; it++) {
                size_t n = rnd(sizeof(buf) + 1);
                for (size_t k = 0; k < n; k++)
                        buf[k] = (char)(rnd(12) ? plain[rnd(sizeof(plain))]
                                                : special[rnd(sizeof(special))]);
                for (size_t i = 0; i <= n; i++) {
                        size_t want = i;
                        while (want < n && buf[want] != '"' && buf[want] != '\\' &&
                               (unsigned char)buf[want] >= 0x20)
                                want++;
                        assert_int_equal(jscan_plain_end(buf, i, n), want);
                }
        }
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
        json_t *sf = article_source_json(&a);
        assert_string_equal(json_string_value(json_object_get(sf, "label")), "business");
        json_decref(sf);
        /* an integer id or Unix time takes the fast path too */
        const char *t = "{\"id\": -0, \"title\": \"x\", \"published_at\": 1745834400000}";
        assert_int_equal(article_parse(&a, &o, t, strlen(t)), 0);
        assert_null(a.root);
        assert_string_equal(a.id, "0");
        assert_string_equal(a.published_at, "2025-04-28T10:00:00Z");
        /* a real there, or a number in another known field, goes the Jansson way */
        const char *u = "{\"id\": 4.2, \"title\": \"x\"}";
        assert_int_equal(article_parse(&a, &o, u, strlen(u)), 1);
        assert_non_null(a.root);
        assert_int_equal(a.reason, ARTICLE_FIELD_TYPE);
        const char *v = "{\"id\": 42, \"title\": 7}";
        assert_int_equal(article_parse(&a, &o, v, strlen(v)), 1);
        assert_non_null(a.root);
        article_free(&a);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_fast_equals_jansson),
            cmocka_unit_test(test_fast_on_real_shapes),
            cmocka_unit_test(test_unknown_members_records),
            cmocka_unit_test(test_items_common_case),
            cmocka_unit_test(test_jscan_matches_byte_loop),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
