/* route: output topic templates parse and expand as docs/worker.md says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "route.h"

static void test_parse_list(void **state)
{
        struct route_templates rt;
        char err[256];
        (void)state;

        assert_int_equal(
            route_templates_parse(&rt, " articles.enriched , articles.{section},x.{language}", err,
                                  sizeof(err)),
            0);
        assert_int_equal(rt.count, 3);
        assert_string_equal(rt.tmpl[0], "articles.enriched");
        assert_string_equal(rt.tmpl[1], "articles.{section}");
        assert_int_equal(rt.has_placeholder[0], 0);
        assert_int_equal(rt.has_placeholder[1], 1);
        assert_int_equal(rt.has_placeholder[2], 1);
        route_templates_clear(&rt);
}

static void test_parse_errors(void **state)
{
        struct route_templates rt;
        char err[256];
        (void)state;

        assert_int_equal(route_templates_parse(&rt, "a.{sektion}", err, sizeof(err)), -1);
        assert_non_null(strstr(err, "a.{sektion}"));
        assert_int_equal(route_templates_parse(&rt, " , ", err, sizeof(err)), -1);
        assert_non_null(strstr(err, "output.topics"));
}

static void test_expand(void **state)
{
        char out[64];
        (void)state;

        assert_int_equal(route_expand("articles.{section}", "sport", "de", out, sizeof(out)), 0);
        assert_string_equal(out, "articles.sport");
        assert_int_equal(route_expand("{language}.{section}.x", "economy-business-finance", "pt",
                                      out, sizeof(out)),
                         0);
        assert_string_equal(out, "pt.economy-business-finance.x");
        /* no section -> "none"; undetermined language -> "und" */
        assert_int_equal(route_expand("a.{section}.{language}", NULL, NULL, out, sizeof(out)), 0);
        assert_string_equal(out, "a.none.und");
        /* characters Kafka refuses in topic names become '_' */
        assert_int_equal(route_expand("t.{section}", "geo:KP/x y", "en", out, sizeof(out)), 0);
        assert_string_equal(out, "t.geo_KP_x_y");
        /* too long for the buffer: an error, never a truncated name */
        assert_int_equal(route_expand("abcdefgh.{section}", "sport", "en", out, 10), -1);
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
