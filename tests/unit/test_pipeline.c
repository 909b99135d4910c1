/* pipeline: the record built from JSON and text articles (parsed back with
 * Jansson and checked field by field), rejections, source coordinates. */
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
#include "stem.h"

struct fx {
        struct pipeline_options o;
        struct pipeline_model *m;
        struct pipeline_ctx *c;
};

static int setup(void **state)
{
        struct fx *f = calloc(1, sizeof(*f));
        pipeline_options_default(&f->o);
        f->o.processed_at = "2026-01-02T03:04:05.000Z";
        char err[256];
        f->m = pipeline_model_load(&f->o, err, sizeof(err));
        f->c = pipeline_ctx_new(&f->o);
        assert_non_null(f->m);
        assert_non_null(f->c);
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fx *f = *state;
        pipeline_ctx_destroy(f->c);
        pipeline_model_unref(f->m);
        free(f);
        return 0;
}

/* Runs @s and parses the record; the caller decrefs. */
static json_t *run(struct fx *f, const char *s, const struct pipeline_source *src,
                   struct pipeline_result *r)
{
        assert_int_equal(pipeline_process(f->c, f->m, s, strlen(s), src, r), 0);
        assert_true(r->ok);
        assert_int_equal(strlen(r->json), r->json_len);
        assert_true(r->json_len > 0);
        assert_int_equal(r->json[r->json_len - 1], '}'); /* compact, no newline */
        assert_null(strchr(r->json, '\n'));
        json_error_t err;
        json_t *j = json_loadb(r->json, r->json_len, 0, &err);
        if (!j)
                fail_msg("record is not JSON: %s: %s", err.text, r->json);
        return j;
}

static const char *str(json_t *j, const char *key)
{
        return json_string_value(json_object_get(j, key));
}

static void test_json_record(void **state)
{
        struct fx *f = *state;
        struct pipeline_source src = {
            .topic = "articles.raw", .partition = 3, .offset = 1234, .line = -1};
        struct pipeline_result r;
        json_t *j = run(
            f,
            "{\"id\":\"a-1\",\"url\":\"https://n.example/1\",\"title\":\"Wahl \\\"heute\\\"\","
            "\"body\":\"Die Regierungen\\nstreiten.\",\"language\":\"de\",\"section\":\"Politik\","
            "\"published_at\":\"28. April, 2025\",\"source\":\"Zeitung\",\"paywall\":true}",
            &src, &r);
        assert_string_equal(str(j, "schema"), "stemtag.article.v1");
        assert_string_equal(str(j, "id"), "a-1");
        assert_null(json_object_get(j, "id_derived"));
        assert_string_equal(str(j, "url"), "https://n.example/1");
        assert_string_equal(str(j, "title"), "Wahl \"heute\"");
        assert_string_equal(str(j, "published_at"), "2025-04-28");
        assert_string_equal(str(j, "source"), "Zeitung");
        assert_true(json_is_null(json_object_get(j, "language")));
        assert_true(json_is_null(json_object_get(j, "section")));
        assert_true(json_is_null(json_object_get(j, "topics")));
        assert_true(json_is_true(json_object_get(json_object_get(j, "source_fields"), "paywall")));
        json_t *in = json_object_get(j, "input");
        assert_string_equal(str(in, "topic"), "articles.raw");
        assert_int_equal(json_integer_value(json_object_get(in, "partition")), 3);
        assert_int_equal(json_integer_value(json_object_get(in, "offset")), 1234);
        assert_null(json_object_get(in, "line"));
        json_t *cl = json_object_get(j, "classifier");
        assert_string_equal(str(cl, "version"), PIPELINE_CLASSIFIER_VERSION);
        assert_true(json_is_null(json_object_get(cl, "taxonomy")));
        assert_string_equal(str(j, "processed_at"), "2026-01-02T03:04:05.000Z");
        /* result fields */
        assert_string_equal(r.id, "a-1");
        assert_string_equal(r.language, "und");
        assert_null(r.section);
        assert_null(r.reason);
        /* tokens were stemmed with the hint (de) */
        const struct text_tokens *t = r.tokens;
        assert_int_equal(t->n, 5); /* wahl heute die regierungen streiten */
        assert_int_equal(t->v[0].field, TEXT_FIELD_TITLE);
        assert_int_equal(t->v[3].field, TEXT_FIELD_BODY);
        assert_int_equal(t->v[3].stem_len, 6);
        assert_memory_equal(text_token_stem(t, 3), "regier", 6);
        json_decref(j);
}

static void test_text_record_line_and_derived_id(void **state)
{
        struct fx *f = *state;
        struct pipeline_source src = {.topic = NULL, .line = 7};
        struct pipeline_result r;
        json_t *j =
            run(f, "28. April 2025\n\nPolitik\n\nEin Titel\n\nDer Text des Artikels.\n", &src, &r);
        assert_string_equal(str(j, "title"), "Ein Titel");
        assert_string_equal(str(j, "published_at"), "2025-04-28");
        assert_true(json_is_null(json_object_get(j, "url")));
        assert_true(json_is_true(json_object_get(j, "id_derived")));
        assert_int_equal(strlen(str(j, "id")), 16);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "input"), "line")),
                         7);
        assert_null(json_object_get(j, "source_fields"));
        assert_null(json_object_get(j, "source"));
        /* no hint: tokens keep their normal form as stem */
        assert_int_equal(r.tokens->v[0].stem_len, r.tokens->v[0].norm_len);
        json_decref(j);
        /* no source at all: "input" is null */
        j = run(f, "{\"title\":\"x\"}", NULL, &r);
        assert_true(json_is_null(json_object_get(j, "input")));
        json_decref(j);
}

static void test_rejections_and_stats(void **state)
{
        struct fx *f = *state;
        struct pipeline_result r;
        assert_int_equal(pipeline_process(f->c, f->m, "{\"title\":", 9, NULL, &r), 0);
        assert_false(r.ok);
        assert_string_equal(r.reason, "json_syntax");
        assert_true(strlen(r.message) > 0);
        assert_null(r.json);
        assert_int_equal(pipeline_process(f->c, f->m, "", 0, NULL, &r), 0);
        assert_string_equal(r.reason, "empty");
        assert_int_equal(pipeline_process(f->c, f->m, "ok text", 7, NULL, &r), 0);
        assert_true(r.ok);
        const char *twice = "{\"body\":\"Häuser Häuser\",\"language\":\"de\"}";
        assert_int_equal(pipeline_process(f->c, f->m, twice, strlen(twice), NULL, &r), 0);
        assert_true(r.ok);
        struct pipeline_stats st;
        pipeline_ctx_stats(f->c, &st);
        assert_int_equal(st.processed, 2);
        assert_int_equal(st.rejected, 2);
        assert_int_equal(st.stem_cache_misses, 1);
        assert_int_equal(st.stem_cache_hits, 1);
}

static void test_escaping_and_control_chars(void **state)
{
        struct fx *f = *state;
        struct pipeline_result r;
        json_t *j =
            run(f, "{\"title\":\"tab\\there \\u0001 back\\\\slash \\u2028 ünï\"}", NULL, &r);
        assert_string_equal(str(j, "title"), "tab\there \x01 back\\slash \xE2\x80\xA8 ünï");
        json_decref(j);
}

static void test_model_refcount(void **state)
{
        struct fx *f = *state;
        assert_ptr_equal(pipeline_model_ref(f->m), f->m);
        pipeline_model_unref(f->m); /* back to one: teardown frees it */
        pipeline_model_unref(NULL);
        pipeline_ctx_destroy(NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_json_record, setup, teardown),
            cmocka_unit_test_setup_teardown(test_text_record_line_and_derived_id, setup, teardown),
            cmocka_unit_test_setup_teardown(test_rejections_and_stats, setup, teardown),
            cmocka_unit_test_setup_teardown(test_escaping_and_control_chars, setup, teardown),
            cmocka_unit_test_setup_teardown(test_model_refcount, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
