/* classify_default: the shipped taxonomy (config/taxonomy) and language model
 * through the whole pure path, on tests/data/seed-layout-de.txt: a German
 * article we wrote in the layout of ../shared/examples/seed-article-de.txt
 * (date, section, title, paragraphs) about the same kind of news. Pins what
 * the issue asks of the default taxonomy on such an article. */
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

static char src_dir[1024], data_dir[1024];

static char *read_file(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        char *buf = malloc(1 << 16);
        assert_non_null(buf);
        *len = fread(buf, 1, (1 << 16) - 1, f);
        fclose(f);
        return buf;
}

static int has_topic(json_t *topics, const char *id)
{
        size_t i;
        json_t *t;
        json_array_foreach(topics, i, t)
        {
                if (!strcmp(json_string_value(json_object_get(t, "id")), id))
                        return json_array_size(json_object_get(t, "evidence")) > 0;
        }
        return 0;
}

static void test_seed_layout_article(void **state)
{
        (void)state;
        char langid[1200], tx[1200], article[1200];
        snprintf(langid, sizeof(langid), "%s/config/langid.model", src_dir);
        snprintf(tx, sizeof(tx), "%s/config/taxonomy", src_dir);
        const char *paths[2] = {tx, NULL};
        struct pipeline_options o;
        pipeline_options_default(&o);
        o.langid_model_path = langid;
        o.taxonomy_paths = paths;
        o.article.format = ARTICLE_FORMAT_TEXT;
        char err[512];
        struct pipeline_model *m = pipeline_model_load(&o, err, sizeof(err));
        if (!m)
                fail_msg("%s", err);
        struct pipeline_ctx *ctx = pipeline_ctx_new(&o);
        assert_non_null(ctx);
        snprintf(article, sizeof(article), "%s/seed-layout-de.txt", data_dir);
        size_t len;
        char *text = read_file(article, &len);
        struct pipeline_result r;
        struct pipeline_source src = {.topic = NULL, .line = 1};
        assert_int_equal(pipeline_process(ctx, m, text, len, &src, &r), 0);
        assert_true(r.ok);
        json_error_t e;
        json_t *rec = json_loadb(r.json, r.json_len, 0, &e);
        if (!rec)
                fail_msg("record is not JSON: %s", e.text);
        print_message("%.*s\n", (int)r.json_len, r.json);

        assert_string_equal(
            json_string_value(json_object_get(json_object_get(rec, "language"), "code")), "de");
        json_t *section = json_object_get(rec, "section");
        const char *sid = json_string_value(json_object_get(section, "id"));
        assert_non_null(sid);
        assert_true(!strcmp(sid, "politics") || !strcmp(sid, "conflict-war-peace"));
        assert_string_equal(r.section, sid);
        assert_string_equal(json_string_value(json_object_get(section, "source_label")), "Politik");
        assert_true(json_string_value(json_object_get(section, "iptc")) != NULL);

        json_t *topics = json_object_get(rec, "topics");
        assert_true(has_topic(topics, "armed-conflict"));
        assert_true(has_topic(topics, "diplomacy"));
        assert_true(has_topic(topics, "geo:RU"));
        assert_true(has_topic(topics, "geo:KP"));
        assert_true(has_topic(topics, "geo:UA"));
        const char *tv =
            json_string_value(json_object_get(json_object_get(rec, "classifier"), "taxonomy"));
        assert_non_null(tv);
        assert_non_null(strstr(tv, "@"));

        json_decref(rec);
        free(text);
        pipeline_ctx_destroy(ctx);
        pipeline_model_unref(m);
}

/* One record of @p msg through a pipeline with (or without) the default model
 * and taxonomy; returns the parsed record (caller decrefs). */
static json_t *record_of(const char *msg, int with_langid, int with_taxonomy)
{
        char langid[1200], tx[1200];
        snprintf(langid, sizeof(langid), "%s/config/langid.model", src_dir);
        snprintf(tx, sizeof(tx), "%s/config/taxonomy", src_dir);
        const char *paths[2] = {tx, NULL};
        struct pipeline_options o;
        pipeline_options_default(&o);
        o.langid_model_path = with_langid ? langid : NULL;
        o.taxonomy_paths = with_taxonomy ? paths : NULL;
        char err[512];
        struct pipeline_model *m = pipeline_model_load(&o, err, sizeof(err));
        assert_non_null(m);
        struct pipeline_ctx *c = pipeline_ctx_new(&o);
        assert_non_null(c);
        struct pipeline_source src = {.partition = -1, .offset = -1, .line = 1};
        struct pipeline_result r;
        assert_int_equal(pipeline_process(c, m, msg, strlen(msg), &src, &r), 0);
        assert_true(r.ok);
        json_error_t je;
        json_t *rec = json_loadb(r.json, r.json_len, 0, &je);
        assert_non_null(rec);
        pipeline_ctx_destroy(c);
        pipeline_model_unref(m);
        return rec;
}

/* docs/classifier.md "Nothing found": null = no answer, [] = empty list; und = the model
 * ran and no language won; topics null only without a taxonomy. Every tag
 * that is given carries confidence and evidence. */
static void test_nothing_found_contract(void **state)
{
        (void)state;
        const char *nothing = "{\"title\":\"12345\",\"body\":\"67890 2024\"}";
        json_t *rec = record_of(nothing, 1, 1);
        json_t *lang = json_object_get(rec, "language");
        assert_string_equal(json_string_value(json_object_get(lang, "code")), "und");
        assert_true(json_is_null(json_object_get(rec, "section")));
        assert_true(json_is_array(json_object_get(rec, "topics")));
        assert_int_equal(json_array_size(json_object_get(rec, "topics")), 0);
        json_decref(rec);

        rec = record_of(nothing, 0, 0);
        assert_true(json_is_null(json_object_get(rec, "language")));
        assert_true(json_is_null(json_object_get(rec, "section")));
        assert_true(json_is_null(json_object_get(rec, "topics")));
        json_decref(rec);

        rec = record_of("{\"title\":\"Goalkeeper saves penalty as United win the league\","
                        "\"body\":\"The striker scored twice and the coach praised the squad "
                        "after the match at the stadium.\"}",
                        1, 1);
        json_t *sec = json_object_get(rec, "section");
        assert_string_equal(json_string_value(json_object_get(sec, "id")), "sport");
        double conf = json_number_value(json_object_get(sec, "confidence"));
        assert_true(conf > 0.5 && conf <= 1.0);
        assert_true(json_array_size(json_object_get(sec, "evidence")) > 0);
        size_t i;
        json_t *t;
        assert_true(json_array_size(json_object_get(rec, "topics")) > 0);
        json_array_foreach(json_object_get(rec, "topics"), i, t)
        {
                double tc = json_number_value(json_object_get(t, "confidence"));
                assert_true(json_is_number(json_object_get(t, "confidence")));
                assert_true(tc >= 0.0 && tc <= 1.0);
                assert_true(json_array_size(json_object_get(t, "evidence")) > 0);
        }
        json_decref(rec);
}

static double section_confidence_of(const char *article)
{
        json_t *rec = record_of(article, 1, 1);
        json_t *sec = json_object_get(rec, "section");
        assert_string_equal(json_string_value(json_object_get(sec, "id")), "politics");
        double conf = json_number_value(json_object_get(sec, "confidence"));
        json_decref(rec);
        return conf;
}

/* docs/classifier.md "Confidence": the same single keyword earns a short text
 * (a headline alone, < CONF_SHORT_TOKENS tokens) less confidence than a longer
 * one, and more distinct keywords earn more. */
static void test_section_confidence_length_and_evidence(void **state)
{
        (void)state;
        const char *tail = ", und es war an diesem Tag alles so, wie es sich alle vorher "
                           "gedacht hatten.";
        char buf[512];
        double short_one = section_confidence_of("{\"body\":\"Der Bundestag stimmt heute ab.\"}");
        snprintf(buf, sizeof(buf), "{\"body\":\"Der Bundestag stimmt heute ab%s\"}", tail);
        double long_one = section_confidence_of(buf);
        snprintf(buf, sizeof(buf),
                 "{\"body\":\"Der Bundestag und der Bundesrat stimmen heute ab%s\"}", tail);
        double long_more = section_confidence_of(buf);
        assert_true(short_one > 0.0 && short_one < long_one);
        assert_true(long_one < long_more && long_more <= 1.0);
}

int main(void)
{
        const char *s = getenv("STEMTAG_SOURCE_DIR"), *d = getenv("STEMTAG_TEST_DATA");
        if (!s || !d) {
                fprintf(stderr, "STEMTAG_SOURCE_DIR / STEMTAG_TEST_DATA not set\n");
                return 77;
        }
        snprintf(src_dir, sizeof(src_dir), "%s", s);
        snprintf(data_dir, sizeof(data_dir), "%s", d);
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_seed_layout_article),
            cmocka_unit_test(test_nothing_found_contract),
            cmocka_unit_test(test_section_confidence_length_and_evidence),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
