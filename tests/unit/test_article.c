/* article: each input layout, every rejection reason, dates, derived ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "article.h"

static char *read_fixture(const char *name, size_t *len)
{
        const char *dir = getenv("STEMTAG_TEST_DATA");
        char path[1024];
        snprintf(path, sizeof(path), "%s/articles/%s", dir ? dir : "tests/data", name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        char *buf = malloc(1 << 20);
        assert_non_null(buf);
        *len = fread(buf, 1, 1 << 20, f);
        fclose(f);
        return buf;
}

struct fx {
        struct article a;
        struct article_options o;
};

static int setup(void **state)
{
        struct fx *f = calloc(1, sizeof(*f));
        article_init(&f->a);
        article_options_default(&f->o);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fx *f = *state;
        article_free(&f->a);
        free(f);
        return 0;
}

static int parse(struct fx *f, const char *s)
{
        return article_parse(&f->a, &f->o, s, strlen(s));
}

static void test_json_fields(void **state)
{
        struct fx *f = *state;
        assert_int_equal(parse(f, "{\"id\":\"x1\",\"url\":\"https://n.example/a\",\"title\":\"T\","
                                  "\"body\":\"B b\",\"section\":\"Politik\",\"source\":\"S\","
                                  "\"language\":\"de\",\"published_at\":\"2025-04-28T10:00:00Z\"}"),
                         0);
        assert_int_equal(f->a.format, ARTICLE_FORMAT_JSON);
        assert_string_equal(f->a.id, "x1");
        assert_false(f->a.id_derived);
        assert_string_equal(f->a.url, "https://n.example/a");
        assert_string_equal(f->a.title, "T");
        assert_int_equal(f->a.title_len, 1);
        assert_string_equal(f->a.body, "B b");
        assert_int_equal(f->a.body_len, 3);
        assert_string_equal(f->a.section, "Politik");
        assert_string_equal(f->a.source, "S");
        assert_string_equal(f->a.language, "de");
        assert_string_equal(f->a.published_at, "2025-04-28T10:00:00Z");
        assert_null(f->a.source_fields);
        assert_int_equal(f->a.source_nitems, 0);
        assert_null(article_source_json(&f->a));
}

static void test_json_body_alternatives(void **state)
{
        struct fx *f = *state;
        assert_int_equal(parse(f, "{\"id\":\"1\",\"text\":\"from text\"}"), 0);
        assert_string_equal(f->a.body, "from text");
        assert_int_equal(parse(f, "{\"id\":\"1\",\"content\":\"from content\"}"), 0);
        assert_string_equal(f->a.body, "from content");
        /* body wins over text and content */
        assert_int_equal(parse(f, "{\"content\":\"c\",\"body\":\"b\",\"text\":\"t\"}"), 0);
        assert_string_equal(f->a.body, "b");
        /* a null body falls through to the next name */
        assert_int_equal(parse(f, "{\"body\":null,\"text\":\"t\"}"), 0);
        assert_string_equal(f->a.body, "t");
}

static void test_json_configured_names(void **state)
{
        struct fx *f = *state;
        f->o.fields.title = "headline";
        f->o.fields.body[0] = "articleBody";
        f->o.fields.body[1] = NULL;
        f->o.fields.id = "guid";
        assert_int_equal(parse(f, "{\"guid\":\"g\",\"headline\":\"H\",\"articleBody\":\"A\","
                                  "\"title\":\"not mine\",\"body\":\"not mine either\"}"),
                         0);
        assert_string_equal(f->a.id, "g");
        assert_string_equal(f->a.title, "H");
        assert_string_equal(f->a.body, "A");
        /* the default names are now unknown fields and pass through */
        json_t *sf = article_source_json(&f->a);
        assert_non_null(sf);
        assert_string_equal(json_string_value(json_object_get(sf, "title")), "not mine");
        assert_non_null(json_object_get(sf, "body"));
        assert_null(json_object_get(sf, "headline"));
        json_decref(sf);
}

static void test_json_passthrough_and_numbers(void **state)
{
        struct fx *f = *state;
        assert_int_equal(parse(f, "{\"id\":12345,\"title\":\"T\",\"tags\":[\"a\",\"b\"],"
                                  "\"meta\":{\"k\":1},\"published_at\":1745834400}"),
                         0);
        assert_string_equal(f->a.id, "12345");
        assert_string_equal(f->a.published_at, "2025-04-28T10:00:00Z");
        json_t *sf = article_source_json(&f->a);
        assert_int_equal(json_object_size(sf), 2);
        assert_true(json_is_array(json_object_get(sf, "tags")));
        assert_true(json_is_integer(json_object_get(json_object_get(sf, "meta"), "k")));
        json_decref(sf);
        /* milliseconds are recognised */
        assert_int_equal(parse(f, "{\"title\":\"T\",\"published_at\":1745834400000}"), 0);
        assert_string_equal(f->a.published_at, "2025-04-28T10:00:00Z");
        /* an unknown date string is kept as given */
        assert_int_equal(parse(f, "{\"title\":\"T\",\"published_at\":\"yesterday\"}"), 0);
        assert_string_equal(f->a.published_at, "yesterday");
        assert_int_equal(parse(f, "{\"title\":\"T\",\"published_at\":\"28. April 2025\"}"), 0);
        assert_string_equal(f->a.published_at, "2025-04-28");
}

static void expect_reject(struct fx *f, const char *data, size_t len, enum article_reason r,
                          const char *name)
{
        assert_int_equal(article_parse(&f->a, &f->o, data, len), 1);
        assert_int_equal(f->a.reason, r);
        assert_string_equal(article_reason_name(f->a.reason), name);
        assert_true(strlen(f->a.message) > 0);
}

static void test_rejections(void **state)
{
        struct fx *f = *state;
        expect_reject(f, "", 0, ARTICLE_EMPTY, "empty");
        expect_reject(f, " \n\t\r\n", 5, ARTICLE_EMPTY, "empty");
        expect_reject(f, "{\"title\":\"x\"", 12, ARTICLE_JSON_SYNTAX, "json_syntax");
        expect_reject(f, "{\"title\":\"x\"} trailing", 22, ARTICLE_JSON_SYNTAX, "json_syntax");
        expect_reject(f, "{\"title\":\"a\xff\"}", 14, ARTICLE_INVALID_UTF8, "invalid_utf8");
        expect_reject(f, "{\"title\":[\"x\"]}", 15, ARTICLE_FIELD_TYPE, "field_type");
        assert_non_null(strstr(f->a.message, "title"));
        expect_reject(f, "{\"body\":5}", 10, ARTICLE_FIELD_TYPE, "field_type");
        expect_reject(f, "{\"id\":\"1\",\"url\":\"u\"}", 20, ARTICLE_NO_TEXT, "no_text");
        expect_reject(f, "{\"title\":\"  \",\"body\":\"\\n\"}", 26, ARTICLE_NO_TEXT, "no_text");

        f->o.format = ARTICLE_FORMAT_JSON;
        expect_reject(f, "[1,2]", 5, ARTICLE_JSON_NOT_OBJECT, "json_not_object");
        expect_reject(f, "\"just a string\"", 15, ARTICLE_JSON_NOT_OBJECT, "json_not_object");
        expect_reject(f, "plain words", 11, ARTICLE_JSON_SYNTAX, "json_syntax");
        f->o.format = ARTICLE_FORMAT_AUTO;
        /* auto: a whole non-object JSON value is a JSON producer's mistake, not text */
        expect_reject(f, " [{\"title\":\"x\"}]", 16, ARTICLE_JSON_NOT_OBJECT, "json_not_object");
        expect_reject(f, "\"just a string\"", 15, ARTICLE_JSON_NOT_OBJECT, "json_not_object");
        expect_reject(f, "42", 2, ARTICLE_JSON_NOT_OBJECT, "json_not_object");
        expect_reject(f, "null", 4, ARTICLE_JSON_NOT_OBJECT, "json_not_object");
        /* ...while text that merely opens like one stays text */
        assert_int_equal(article_parse(&f->a, &f->o, "2025: a year in review", 22), 0);
        assert_int_equal(article_parse(&f->a, &f->o, "\"Quoted\" words open this", 24), 0);
        assert_int_equal(article_parse(&f->a, &f->o, "[Update] words open this", 24), 0);

        f->o.max_bytes = 16;
        expect_reject(f, "{\"title\":\"0123456789\"}", 21, ARTICLE_TOO_LARGE, "too_large");
        assert_int_equal(article_parse(&f->a, &f->o, "{\"title\":\"x\"}", 13), 0);
        assert_string_equal(article_reason_name(ARTICLE_OK), "ok");
}

/* The hostile-input table (docs/operations.md): NUL bytes and deep nesting have
 * one answer whatever the format and depth. */
static void test_nul_and_depth(void **state)
{
        struct fx *f = *state;
        static char deep[200001];
        expect_reject(f, "text\0more text", 14, ARTICLE_INVALID_UTF8, "invalid_utf8");
        assert_non_null(strstr(f->a.message, "NUL byte at byte 4"));
        expect_reject(f, "{\"body\":\"a\0b\"}", 14, ARTICLE_INVALID_UTF8, "invalid_utf8");
        expect_reject(f, "{\"body\":\"a\\u0000b\"}", 19, ARTICLE_JSON_SYNTAX, "json_syntax");
        f->o.utf8_policy = ARTICLE_UTF8_REPLACE;
        assert_int_equal(article_parse(&f->a, &f->o, "a\0b\xff", 4), 0);
        assert_true(f->a.utf8_repaired);
        assert_string_equal(f->a.body, "a\xef\xbf\xbd"
                                       "b\xef\xbf\xbd");
        f->o.utf8_policy = ARTICLE_UTF8_REJECT;

        for (size_t depth = ARTICLE_JSON_MAX_DEPTH + 1; depth <= 100000; depth *= 10) {
                memset(deep, '[', depth);
                memset(deep + depth, ']', depth);
                for (int fmt = ARTICLE_FORMAT_AUTO; fmt <= ARTICLE_FORMAT_JSON; fmt++) {
                        f->o.format = (enum article_format)fmt;
                        expect_reject(f, deep, 2 * depth, ARTICLE_JSON_SYNTAX, "json_syntax");
                        assert_non_null(strstr(f->a.message, "nested deeper than 64"));
                }
        }
        f->o.format = ARTICLE_FORMAT_AUTO;
        memset(deep, '[', ARTICLE_JSON_MAX_DEPTH);
        memset(deep + ARTICLE_JSON_MAX_DEPTH, ']', ARTICLE_JSON_MAX_DEPTH);
        expect_reject(f, deep, 2 * ARTICLE_JSON_MAX_DEPTH, ARTICLE_JSON_NOT_OBJECT,
                      "json_not_object");
        /* brackets inside strings do not nest */
        size_t n =
            (size_t)snprintf(deep, sizeof(deep), "{\"title\":\"%0*d\",\"body\":\"b\"}", 100, 0);
        memset(deep + 10, '[', 100);
        assert_int_equal(article_parse(&f->a, &f->o, deep, n), 0);
}

static void test_invalid_utf8_replace(void **state)
{
        struct fx *f = *state;
        const char bad[] = "Caf\xc3 cr\xe8me br\xc3\xbbl\xc3\xa9"
                           "e\xed\xa0\x80!";
        expect_reject(f, bad, sizeof(bad) - 1, ARTICLE_INVALID_UTF8, "invalid_utf8");
        assert_non_null(strstr(f->a.message, "byte 3"));
        f->o.utf8_policy = ARTICLE_UTF8_REPLACE;
        assert_int_equal(article_parse(&f->a, &f->o, bad, sizeof(bad) - 1), 0);
        assert_true(f->a.utf8_repaired);
        /* C3 alone, E8 alone and the surrogate ED A0 80 (3 maximal subparts: ED, A0, 80) */
        assert_string_equal(f->a.body, "Caf\xef\xbf\xbd cr\xef\xbf\xbdme br\xc3\xbbl\xc3\xa9"
                                       "e\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!");
}

static void test_text_layout_fixture(void **state)
{
        struct fx *f = *state;
        size_t len;
        char *buf = read_fixture("politik-de.txt", &len);
        assert_int_equal(article_parse(&f->a, &f->o, buf, len), 0);
        assert_int_equal(f->a.format, ARTICLE_FORMAT_TEXT);
        assert_string_equal(f->a.published_at, "2025-03-03");
        assert_string_equal(f->a.section, "Politik");
        assert_string_equal(f->a.title,
                            "Bundestag streitet über neue Regeln für die Schuldenbremse");
        assert_true(!strncmp(f->a.body, "Nach wochenlangen Verhandlungen", 31));
        assert_non_null(strstr(f->a.body, "gilt in Berlin als offen."));
        assert_int_equal(f->a.body_len, strlen(f->a.body));
        /* paragraphs are kept */
        assert_non_null(strstr(f->a.body, "Generationen.\n\nDer Finanzminister"));
        assert_true(f->a.id_derived);
        assert_null(f->a.url);
        /* the derived id is stable and depends on the content */
        char id[17];
        strcpy(id, f->a.id);
        assert_int_equal(strlen(id), 16);
        assert_int_equal(article_parse(&f->a, &f->o, buf, len), 0);
        assert_string_equal(f->a.id, id);
        buf[len - 3] = 'X';
        assert_int_equal(article_parse(&f->a, &f->o, buf, len), 0);
        assert_string_not_equal(f->a.id, id);
        free(buf);
}

static void test_text_other_layouts(void **state)
{
        struct fx *f = *state;
        size_t len;
        char *buf = read_fixture("no-layout-en.txt", &len);
        assert_int_equal(article_parse(&f->a, &f->o, buf, len), 0);
        assert_null(f->a.title);
        assert_null(f->a.section);
        assert_null(f->a.published_at);
        assert_true(!strncmp(f->a.body, "Heavy rain", 10));
        assert_non_null(strstr(f->a.body, "before the winter."));
        free(buf);

        buf = read_fixture("title-only-layout-fr.txt", &len);
        assert_int_equal(article_parse(&f->a, &f->o, buf, len), 0);
        assert_string_equal(f->a.title, "Les agriculteurs manifestent devant la préfecture");
        assert_null(f->a.section);
        assert_null(f->a.published_at);
        assert_true(!strncmp(f->a.body, "Plusieurs centaines", 19));
        free(buf);

        buf = read_fixture("dated-en.txt", &len);
        assert_int_equal(article_parse(&f->a, &f->o, buf, len), 0);
        assert_string_equal(f->a.published_at, "2025-04-28");
        assert_string_equal(f->a.section, "Sport");
        assert_string_equal(f->a.title, "Local club wins the regional cup after a dramatic final");
        assert_true(!strncmp(f->a.body, "The home team", 13));
        free(buf);

        /* date + title + body, no section; CRLF line ends */
        assert_int_equal(parse(f, "2025-04-28\r\n\r\nA title here\r\n\r\nFirst paragraph.\r\n"), 0);
        assert_string_equal(f->a.published_at, "2025-04-28");
        assert_null(f->a.section);
        assert_string_equal(f->a.title, "A title here");
        assert_string_equal(f->a.body, "First paragraph.");

        /* a single line is all body, even if short */
        assert_int_equal(parse(f, "Just one line"), 0);
        assert_null(f->a.title);
        assert_string_equal(f->a.body, "Just one line");

        /* a first line ending in '.' without a date is not a title */
        assert_int_equal(parse(f, "This is a sentence.\n\nAnd another one."), 0);
        assert_null(f->a.title);
        assert_true(!strncmp(f->a.body, "This is a sentence.", 19));

        /* byte order mark, and text forced even though it starts with '{' */
        f->o.format = ARTICLE_FORMAT_TEXT;
        assert_int_equal(parse(f, "\xEF\xBB\xBF{not json} but text"), 0);
        assert_string_equal(f->a.body, "{not json} but text");
}

static void test_dates(void **state)
{
        (void)state;
        static const struct {
                const char *in, *out;
        } ok[] = {
            {"28. April, 2025", "2025-04-28"},
            {"28. April 2025", "2025-04-28"},
            {"April 28, 2025", "2025-04-28"},
            {"Apr 28 2025", "2025-04-28"},
            {"Montag, 28. April 2025", "2025-04-28"},
            {"3. März 2025", "2025-03-03"},
            {"3. MÄRZ 2025", "2025-03-03"},
            {"1er mai 2025", "2025-05-01"},
            {"le 14 juillet 2024", "2024-07-14"},
            {"15 août 2023", "2023-08-15"},
            {"5 de febrero de 2024", "2024-02-05"},
            {"lunes, 12 de octubre de 2020", "2020-10-12"},
            {"29 febbraio 2024", "2024-02-29"},
            {"2 settembre 2021", "2021-09-02"},
            {"28.04.2025", "2025-04-28"},
            {"04/28/2025", "2025-04-28"},
            {"2025/04/28", "2025-04-28"},
            {"2025-04-28", "2025-04-28"},
            {"2025-04-28T10:00:00Z", "2025-04-28T10:00:00Z"},
            {"2025-04-28 10:00", "2025-04-28T10:00:00"},
            {"2025-04-28T10:00:00.123+02:00", "2025-04-28T10:00:00+02:00"},
            {"2025-04-28T10:00:00+0530", "2025-04-28T10:00:00+05:30"},
            {"2025-04-28t23:59:60z", "2025-04-28T23:59:60Z"},
            {"2025-01-02T03:04:05-14:00", "2025-01-02T03:04:05-14:00"},
            {"2025-01-02T03:04-0900", "2025-01-02T03:04:00-09:00"},
            {"  21 December 2012  ", "2012-12-21"},
        };
        static const char *bad[] = {
            "Politik",
            "29 febbraio 2023",
            "31. April 2025",
            "2025-13-01",
            "April 2025",
            "28 April",
            "In einem historischen Schritt 2025",
            "2025-04-28T25:00",
            "12 Schafe 2024",
            "2025-04-28Z",
            "",
        };
        char out[64];
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                int rc = article_date_iso(ok[i].in, strlen(ok[i].in), out, sizeof(out));
                if (rc != 0)
                        fail_msg("date not recognised: '%s'", ok[i].in);
                assert_string_equal(out, ok[i].out);
        }
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                strcpy(out, "untouched");
                if (article_date_iso(bad[i], strlen(bad[i]), out, sizeof(out)) == 0)
                        fail_msg("'%s' taken for a date: %s", bad[i], out);
                /* a date with a bad time must not leave half a date behind */
                assert_string_equal(out, "untouched");
        }
}

static void test_derived_id_from_url(void **state)
{
        struct fx *f = *state;
        assert_int_equal(parse(f, "{\"url\":\"https://n.example/a\",\"title\":\"T\"}"), 0);
        assert_true(f->a.id_derived);
        char expect[17];
        article_derive_id("https://n.example/a", 19, expect);
        assert_string_equal(f->a.id, expect);
        /* same url, other text: same id (the url identifies the article) */
        assert_int_equal(parse(f, "{\"url\":\"https://n.example/a\",\"title\":\"Other\"}"), 0);
        assert_string_equal(f->a.id, expect);
        /* an empty id counts as missing */
        assert_int_equal(parse(f, "{\"id\":\"\",\"url\":\"https://n.example/a\",\"body\":\"b\"}"),
                         0);
        assert_true(f->a.id_derived);
        assert_string_equal(f->a.id, expect);
}

static void test_reuse_across_sizes(void **state)
{
        struct fx *f = *state;
        /* big then small then big: pointers must always be fresh and right */
        size_t n = 200000;
        char *big = malloc(n + 32);
        memcpy(big, "{\"body\":\"", 9);
        memset(big + 9, 'a', n);
        memcpy(big + 9 + n, "\"}", 3);
        assert_int_equal(article_parse(&f->a, &f->o, big, n + 11), 0);
        assert_int_equal(f->a.body_len, n);
        assert_int_equal(parse(f, "Short\n\ntext body here"), 0);
        assert_string_equal(f->a.title, "Short");
        assert_int_equal(article_parse(&f->a, &f->o, big, n + 11), 0);
        assert_int_equal(strlen(f->a.body), n);
        free(big);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_json_fields, setup, teardown),
            cmocka_unit_test_setup_teardown(test_json_body_alternatives, setup, teardown),
            cmocka_unit_test_setup_teardown(test_json_configured_names, setup, teardown),
            cmocka_unit_test_setup_teardown(test_json_passthrough_and_numbers, setup, teardown),
            cmocka_unit_test_setup_teardown(test_rejections, setup, teardown),
            cmocka_unit_test_setup_teardown(test_nul_and_depth, setup, teardown),
            cmocka_unit_test_setup_teardown(test_invalid_utf8_replace, setup, teardown),
            cmocka_unit_test_setup_teardown(test_text_layout_fixture, setup, teardown),
            cmocka_unit_test_setup_teardown(test_text_other_layouts, setup, teardown),
            cmocka_unit_test(test_dates),
            cmocka_unit_test_setup_teardown(test_derived_id_from_url, setup, teardown),
            cmocka_unit_test_setup_teardown(test_reuse_across_sizes, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
