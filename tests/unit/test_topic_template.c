/* topic_template: output topic templates parse and expand as docs/worker.md says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "topic_template.h"

static void test_parse_list(void **state)
{
        struct topic_templates rt;
        char err[256];
        (void)state;

        assert_int_equal(
            topic_templates_parse(&rt, " articles.enriched , articles.{section},x.{language}", err,
                                  sizeof(err)),
            0);
        assert_int_equal(rt.count, 3);
        assert_string_equal(rt.tmpl[0], "articles.enriched");
        assert_string_equal(rt.tmpl[1], "articles.{section}");
        assert_int_equal(rt.has_placeholder[0], 0);
        assert_int_equal(rt.has_placeholder[1], 1);
        assert_int_equal(rt.has_placeholder[2], 1);
        topic_templates_clear(&rt);
}

static void test_parse_errors(void **state)
{
        struct topic_templates rt;
        char err[256];
        (void)state;

        assert_int_equal(topic_templates_parse(&rt, "a.{sektion}", err, sizeof(err)), -1);
        assert_non_null(strstr(err, "a.{sektion}"));
        assert_int_equal(topic_templates_parse(&rt, " , ", err, sizeof(err)), -1);
        assert_non_null(strstr(err, "no output topic"));
        /* the rules config validation used to keep apart from the router's */
        assert_int_equal(topic_templates_parse(&rt, "a.{section", err, sizeof(err)), -1);
        assert_non_null(strstr(err, "unclosed"));
        assert_int_equal(topic_templates_parse(&rt, "a.section}", err, sizeof(err)), -1);
        assert_non_null(strstr(err, "stray"));
        assert_int_equal(
            topic_templates_parse(&rt, "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", err, sizeof(err)), -1);
        assert_non_null(strstr(err, "more than 16"));
        assert_int_equal(topic_template_check("x.{language}.{section}", err, sizeof(err)), 0);
}

static void test_expand(void **state)
{
        char out[64];
        (void)state;

        assert_int_equal(
            topic_template_expand("articles.{section}", "sport", "de", out, sizeof(out)), 0);
        assert_string_equal(out, "articles.sport");
        assert_int_equal(topic_template_expand("{language}.{section}.x", "economy-business-finance",
                                               "pt", out, sizeof(out)),
                         0);
        assert_string_equal(out, "pt.economy-business-finance.x");
        /* no section -> "none"; undetermined language -> "und" */
        assert_int_equal(
            topic_template_expand("a.{section}.{language}", NULL, NULL, out, sizeof(out)), 0);
        assert_string_equal(out, "a.none.und");
        /* characters Kafka refuses in topic names become '_' */
        assert_int_equal(topic_template_expand("t.{section}", "geo:KP/x y", "en", out, sizeof(out)),
                         0);
        assert_string_equal(out, "t.geo_KP_x_y");
        /* too long for the buffer: an error, never a truncated name */
        assert_int_equal(topic_template_expand("abcdefgh.{section}", "sport", "en", out, 10), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse_list),
            cmocka_unit_test(test_parse_errors),
            cmocka_unit_test(test_expand),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
