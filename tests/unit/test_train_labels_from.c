/* `stemtag train --labels-from source-section` end to end on a small fixture
 * (tests/data/train-source-sections.jsonl, raw articles written for it): the
 * report counts mapped, unmapped and missing labels, the model learns exactly
 * the mapped sections, and bad usage names the option. Runs $STEMTAG_BIN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

static char dir[64];
static const char *bin, *src;

static int setup(void **state)
{
        (void)state;
        bin = getenv("STEMTAG_BIN");
        src = getenv("STEMTAG_SOURCE_DIR");
        snprintf(dir, sizeof(dir), "/tmp/stemtag-test-tlf-XXXXXX");
        return bin && src && mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
        char cmd[128];
        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

/* Runs stemtag train ARGS in the source dir; stdout+stderr in @p out; exit status. */
static int run(const char *args, char *out, size_t out_size)
{
        char cmd[2048];
        snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' train %s 2>&1", src, bin, args);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        size_t n = fread(out, 1, out_size - 1, p);
        out[n] = '\0';
        int st = pclose(p);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_maps_and_trains(void **state)
{
        (void)state;
        char args[512], out[8192];
        snprintf(args, sizeof(args),
                 "--labels-from source-section --input tests/data/train-source-sections.jsonl "
                 "--out '%s/m.json' --min-df 1",
                 dir);
        assert_int_equal(run(args, out, sizeof(out)), 0);
        /* 12 articles: 9 map (Spor, Ekonomi, Politika: aliases), 2 do not
         * (Yazarlar, a columnists' desk), 1 has no section */
        assert_non_null(strstr(out,
                               "12 articles; source section \"section\" mapped for 9 (75.0 %), "
                               "unmapped 2, missing 1"));
        assert_non_null(strstr(out, "Yazarlar"));
        assert_non_null(strstr(out, "(unmapped)"));
        char path[128];
        snprintf(path, sizeof(path), "%s/m.json", dir);
        json_t *m = json_load_file(path, 0, NULL);
        assert_non_null(m);
        json_t *labels = json_object_get(m, "labels");
        assert_int_equal(json_array_size(labels), 3);
        const char *want[] = {"economy-business-finance", "politics", "sport"};
        for (size_t w = 0; w < 3; w++) {
                int found = 0;
                for (size_t i = 0; i < json_array_size(labels); i++)
                        found |= !strcmp(
                            json_string_value(json_object_get(json_array_get(labels, i), "id")),
                            want[w]);
                assert_true(found);
        }
        json_decref(m);
        /* the model classifies: a new Turkish sports headline gets sport */
        char cmd[1024];
        snprintf(cmd, sizeof(cmd),
                 "cd '%s' && echo '{\"title\":\"Takım maçı kazandı\",\"body\":\"Futbolcular "
                 "ligde iki gol attı.\",\"language\":\"tr\"}' | '%s' classify --format jsonl "
                 "--langid none --taxonomy '%s/m.json' 2>&1",
                 src, bin, dir);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        size_t n = fread(out, 1, sizeof(out) - 1, p);
        out[n] = '\0';
        assert_int_equal(pclose(p), 0);
        assert_non_null(strstr(out, "\"section\":{\"id\":\"sport\""));
}

static void test_no_label_maps(void **state)
{
        (void)state;
        char args[512], out[8192];
        /* "title" as the section field: no title is a desk name */
        snprintf(args, sizeof(args),
                 "--labels-from source-section --section-field title --input "
                 "tests/data/train-source-sections.jsonl --out '%s/none.json'",
                 dir);
        assert_int_equal(run(args, out, sizeof(out)), 1);
        assert_non_null(strstr(out, "maps to a section of the taxonomy"));
}

static void test_usage(void **state)
{
        (void)state;
        char out[8192];
        assert_int_equal(run("--labels-from desk --input x --out y", out, sizeof(out)), 2);
        assert_non_null(strstr(out, "--labels-from"));
        assert_int_equal(
            run("--labels-from source-section --kind topic --input x --out y", out, sizeof(out)),
            2);
        assert_non_null(strstr(out, "--kind topic"));
        /* a topic (tests/integration/test_train_topic.sh) instead of a file, not both */
        assert_int_equal(
            run("--labels-from source-section --input x --topic t --out y", out, sizeof(out)), 2);
        assert_non_null(strstr(out, "--input and --topic exclude each other"));
        assert_int_equal(run("--input x --limit 5 --out y", out, sizeof(out)), 2);
        assert_non_null(strstr(out, "apply to --topic only"));
        assert_int_equal(run("--input x -b localhost:9092 --out y", out, sizeof(out)), 2);
        assert_non_null(strstr(out, "apply to --topic only"));
        assert_int_equal(run("--topic t --limit 0 --out y", out, sizeof(out)), 2);
        assert_non_null(strstr(out, "--limit"));
        assert_int_equal(run("--help", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "--labels-from source-section"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_maps_and_trains),
            cmocka_unit_test(test_no_label_maps),
            cmocka_unit_test(test_usage),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
