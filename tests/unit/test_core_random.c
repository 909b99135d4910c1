/* core: invariants of the pure path on generated input (fixed seed, so
 * failures reproduce): every message is either a record that parses as JSON
 * or a rejection with a known reason; token spans stay inside their field;
 * normal forms are valid UTF-8. Under ASan/UBSan this is the cheap cousin of
 * the fuzz target. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "pipeline.h"
#include "text.h"

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t next_u32(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (uint32_t)(rng >> 16);
}

/* Pieces that exercise the tokenizer's special cases and the parsers. */
static const char *const pieces[] = {
    "a",
    "Z",
    "I",
    "İ",
    "ß",
    "é",
    "e\xCC\x81",
    "ς",
    "Σ",
    "ё",
    "ж",
    "ա",
    "ש",
    "״",
    "ع",
    "\xD9\x8E",
    "क",
    "\xE0\xA5\x8D",
    "\xE0\xA4\xBE",
    "த",
    "\xE0\xAF\x8D",
    "'",
    "\xE2\x80\x99",
    "-",
    ".",
    ",",
    "@",
    " ",
    "\n",
    "\n\n",
    "\t",
    "\xC2\xA0",
    "\xC2\xAD",
    "\xE2\x80\x8D",
    "·",
    "0",
    "7",
    "٣",
    "http://x.y/z",
    "www.a.b",
    "x@y.z",
    "{",
    "}",
    "\"",
    ":",
    "[",
    "]",
    "\\",
    "\\u00e9",
    "\\ud83d\\ude00",
    "28. April, 2025",
    "Politik",
    "{\"title\":\"",
    "\"body\":\"",
    "\"language\":\"tr\"",
    "\"language\":\"fr\"",
    "\"id\":1",
    "null",
    "\xFF",
    "\xC3",
    "\xED\xA0\x80",
    "\xF0\x9F\x98\x80",
    "\x01",
    "\x7F",
    "l'",
    "qu'",
    "'da",
};

static size_t gen(char *buf, size_t cap)
{
        size_t n = 0, k = next_u32() % 60;
        if (next_u32() % 3 == 0) {
                const char *pre = "{\"title\":\"";
                memcpy(buf, pre, strlen(pre));
                n = strlen(pre);
        }
        for (size_t i = 0; i < k; i++) {
                const char *p = pieces[next_u32() % (sizeof(pieces) / sizeof(pieces[0]))];
                size_t l = strlen(p);
                if (n + l + 2 >= cap)
                        break;
                memcpy(buf + n, p, l);
                n += l;
        }
        if (buf[0] == '{' && next_u32() % 2) {
                buf[n++] = '"';
                buf[n++] = '}';
        }
        return n;
}

static void check_tokens(const struct text_tokens *t, const struct article *a)
{
        for (size_t i = 0; i < t->n; i++) {
                const struct text_token *k = &t->v[i];
                size_t field_len = k->field == TEXT_FIELD_TITLE ? a->title_len : a->body_len;
                assert_true(k->len > 0);
                assert_true((size_t)k->off + k->len <= field_len);
                assert_true((size_t)k->norm_off + k->norm_len <= t->buf_len);
                assert_true((size_t)k->stem_off + k->stem_len <= t->buf_len);
                assert_int_equal(text_utf8_validate(text_token_norm(t, i), k->norm_len, NULL), 0);
        }
}

static void run(enum article_utf8_policy policy, enum article_format fmt, int iterations)
{
        struct pipeline_options o;
        pipeline_options_default(&o);
        o.article.utf8_policy = policy;
        o.article.format = fmt;
        o.stem_cache_entries = 64; /* small: eviction happens */
        o.processed_at = "2000-01-01T00:00:00Z";
        char err[256];
        struct pipeline_model *m = pipeline_model_load(&o, err, sizeof(err));
        struct pipeline_ctx *c = pipeline_ctx_new(&o);
        assert_non_null(m);
        assert_non_null(c);
        static const char *reasons[] = {"empty",       "too_large",       "invalid_utf8",
                                        "json_syntax", "json_not_object", "field_type",
                                        "no_text"};
        char buf[2048];
        int ok = 0, rejected = 0;
        for (int it = 0; it < iterations; it++) {
                size_t n = gen(buf, sizeof(buf));
                struct pipeline_source src = {.line = it};
                struct pipeline_result r;
                assert_int_equal(pipeline_process(c, m, buf, n, &src, &r), 0);
                if (r.ok) {
                        ok++;
                        json_error_t je;
                        json_t *j = json_loadb(r.json, r.json_len, 0, &je);
                        if (!j)
                                fail_msg("record is not JSON (%s): %s", je.text, r.json);
                        json_decref(j);
                        check_tokens(r.tokens, r.article);
                } else {
                        rejected++;
                        int known = 0;
                        for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
                                known |= !strcmp(r.reason, reasons[i]);
                        assert_true(known);
                        assert_true(policy == ARTICLE_UTF8_REJECT ||
                                    strcmp(r.reason, "invalid_utf8"));
                }
        }
        /* the generator must reach both outcomes, or this test checks little */
        assert_true(ok > iterations / 10);
        if (fmt != ARTICLE_FORMAT_TEXT) /* text only rejects empty input */
                assert_true(rejected > iterations / 20);
        pipeline_ctx_destroy(c);
        pipeline_model_unref(m);
}

static void test_auto_reject(void **state)
{
        (void)state;
        run(ARTICLE_UTF8_REJECT, ARTICLE_FORMAT_AUTO, 20000);
}

static void test_auto_replace(void **state)
{
        (void)state;
        run(ARTICLE_UTF8_REPLACE, ARTICLE_FORMAT_AUTO, 20000);
}

static void test_text_replace(void **state)
{
        (void)state;
        run(ARTICLE_UTF8_REPLACE, ARTICLE_FORMAT_TEXT, 10000);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_auto_reject),
            cmocka_unit_test(test_auto_replace),
            cmocka_unit_test(test_text_replace),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
