/* config_pipeline: config keys -> struct pipeline_options, and the model
 * load used at start-up and by SIGHUP reload. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "config_pipeline.h"
#include "pipeline.h"

static void set(struct config *c, const char *k, const char *v)
{
        char err[512];
        if (config_set(c, k, v, err, sizeof(err)) < 0)
                fail_msg("%s", err);
}

static void test_defaults_and_overrides(void **state)
{
        struct config *c = config_new();
        struct pipeline_options o;
        char err[512];
        (void)state;

        assert_int_equal(config_to_pipeline_options(c, &o, err, sizeof(err)), 0);
        assert_int_equal(o.article.format, ARTICLE_FORMAT_AUTO);
        assert_int_equal(o.article.utf8_policy, ARTICLE_UTF8_REJECT);
        assert_int_equal(o.article.max_bytes, 1048576);
        assert_string_equal(o.article.fields.body[0], "body");
        assert_string_equal(o.article.fields.body[1], "text");
        assert_string_equal(o.article.fields.body[2], "content");
        assert_null(o.article.fields.body[3]);
        assert_string_equal(o.langid_model_path, "config/langid.model");
        assert_string_equal(o.taxonomy_paths[0], "config/taxonomy");
        assert_true(o.title_weight == 3.0);
        assert_int_equal(o.topics_top_k, 8);

        set(c, "input.format", "text");
        set(c, "input.utf8.policy", "replace");
        set(c, "input.max.bytes", "4096");
        set(c, "input.field.body", " article_body ");
        set(c, "input.field.published_at", "date");
        set(c, "langid.model", "");
        set(c, "taxonomy.files", "");
        set(c, "classify.title.weight", "2.5");
        set(c, "classify.topics.top.k", "3");
        set(c, "stem.cache.entries", "0");
        assert_int_equal(config_to_pipeline_options(c, &o, err, sizeof(err)), 0);
        assert_int_equal(o.article.format, ARTICLE_FORMAT_TEXT);
        assert_int_equal(o.article.utf8_policy, ARTICLE_UTF8_REPLACE);
        assert_int_equal(o.article.max_bytes, 4096);
        assert_string_equal(o.article.fields.body[0], "article_body");
        assert_null(o.article.fields.body[1]);
        assert_string_equal(o.article.fields.published_at, "date");
        assert_null(o.langid_model_path); /* empty = detection off */
        assert_null(o.taxonomy_paths);    /* empty = no classifier */
        assert_true(o.title_weight == 2.5);
        assert_int_equal(o.topics_top_k, 3);
        assert_int_equal(o.stem_cache_entries, 0);

        set(c, "input.field.body", "a,b,c,d");
        assert_int_equal(config_to_pipeline_options(c, &o, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "input.field.body"));
        config_destroy(c);
}

static void test_load_model(void **state)
{
        struct config *c = config_new();
        struct pipeline_model *m;
        char err[512];
        (void)state;

        set(c, "langid.model", "");
        set(c, "taxonomy.files", "");
        m = config_load_model(c, err, sizeof(err));
        if (!m)
                fail_msg("config_load_model: %s", err);
        pipeline_model_unref(m);
        config_destroy(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_defaults_and_overrides),
            cmocka_unit_test(test_load_model),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
