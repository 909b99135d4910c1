/* `stemtag diff` end to end on small fixture taxonomies (tests/data/diff):
 * old.json -> new.json moves "budget"/"tax" from economy to politics and adds
 * a tennis topic, so over articles.jsonl exactly d1 moves section and d4
 * gains a topic; the JSON summary, the text report, --tolerance and the exit
 * codes are checked. Runs the real binary ($STEMTAG_BIN) from the source
 * directory (the default language model). */
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

static const char *bin, *src;
static char out[65536];

/* Runs `stemtag diff ARGS` in the source directory; stdout in out; exit status. */
static int run(const char *args)
{
        char cmd[4096];
        snprintf(cmd, sizeof(cmd),
                 "cd '%s' && '%s' diff --old tests/data/diff/old.json %s 2>/dev/null", src, bin,
                 args);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        size_t n = fread(out, 1, sizeof(out) - 1, p);
        out[n] = '\0';
        int st = pclose(p);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static json_t *run_json(const char *args, int want_rc)
{
        char a[2048];
        json_error_t err;
        snprintf(a, sizeof(a), "--json %s", args);
        assert_int_equal(run(a), want_rc);
        json_t *j = json_loads(out, 0, &err);
        if (!j)
                fail_msg("not JSON (%s): %s", err.text, out);
        return j;
}

static json_int_t num(json_t *j, const char *key)
{
        json_t *v = json_object_get(j, key);
        assert_true(json_is_integer(v));
        return json_integer_value(v);
}

/* The change of @p kind from @p from to @p to (NULL: none), or NULL. */
static json_t *find_change(json_t *j, const char *kind, const char *from, const char *to)
{
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(j, "changes"), i, c)
        {
                const char *f = json_string_value(json_object_get(c, "from"));
                const char *t = json_string_value(json_object_get(c, "to"));
                if (!strcmp(json_string_value(json_object_get(c, "kind")), kind) &&
                    (from ? f && !strcmp(f, from) : !f) && (to ? t && !strcmp(t, to) : !t))
                        return c;
        }
        return NULL;
}

static void test_changes(void **state)
{
        (void)state;
        json_t *j = run_json("--new tests/data/diff/new.json tests/data/diff/articles.jsonl", 4);
        assert_int_equal(num(j, "articles"), 6);
        assert_int_equal(num(j, "rejected"), 1); /* the truncated last line */
        assert_int_equal(num(j, "changed"), 2);
        assert_int_equal(num(j, "changed_sections"), 1);
        assert_int_equal(num(j, "changed_topics"), 1);
        assert_true(json_is_true(json_object_get(j, "exceeded")));
        assert_string_equal(json_string_value(json_object_get(j, "old")), "diff-test@1");
        assert_string_equal(json_string_value(json_object_get(j, "new")), "diff-test@2");

        json_t *c = find_change(j, "section", "economy", "politics");
        assert_non_null(c);
        assert_int_equal(num(c, "count"), 1);
        json_t *ex = json_array_get(json_object_get(c, "examples"), 0);
        assert_string_equal(json_string_value(json_object_get(ex, "id")), "d1");
        /* the evidence on each side: the budget keywords on both, parliament only new */
        assert_non_null(strstr(json_string_value(json_object_get(ex, "old")), "economy (budget"));
        assert_non_null(strstr(json_string_value(json_object_get(ex, "new")), "parliament"));

        c = find_change(j, "topic", NULL, "tennis");
        assert_non_null(c);
        assert_int_equal(num(c, "count"), 1);
        assert_int_equal(json_array_size(json_object_get(j, "changes")), 2);

        /* per label: politics gained 1, economy lost 1, tennis gained 1 */
        size_t i;
        json_t *l;
        int seen = 0;
        json_array_foreach(json_object_get(j, "labels"), i, l)
        {
                const char *id = json_string_value(json_object_get(l, "id"));
                if (!strcmp(id, "politics") && num(l, "gained") == 1 && num(l, "lost") == 0)
                        seen |= 1;
                if (!strcmp(id, "economy") && num(l, "gained") == 0 && num(l, "lost") == 1 &&
                    num(l, "old") == 2 && num(l, "new") == 1)
                        seen |= 2;
                if (!strcmp(id, "tennis") && num(l, "gained") == 1 && num(l, "old") == 0)
                        seen |= 4;
        }
        assert_int_equal(seen, 7);
        json_decref(j);
}

static void test_text_report(void **state)
{
        (void)state;
        assert_int_equal(run("--new tests/data/diff/new.json --examples 1 "
                             "tests/data/diff/articles.jsonl"),
                         4);
        assert_non_null(strstr(out, "changed 2 (33.33 %)"));
        assert_non_null(strstr(out, "section economy -> politics"));
        assert_non_null(strstr(out, "topic + tennis"));
        assert_non_null(strstr(out, "d4 \"Tennis final goes to five sets\""));
        assert_non_null(strstr(out, "EXCEEDED"));
}

static void test_tolerance(void **state)
{
        (void)state;
        const char *args = "--new tests/data/diff/new.json tests/data/diff/articles.jsonl";
        char a[1024];
        snprintf(a, sizeof(a), "--tolerance 2 %s", args);
        assert_int_equal(run(a), 0);
        snprintf(a, sizeof(a), "--tolerance 1 %s", args);
        assert_int_equal(run(a), 4);
        snprintf(a, sizeof(a), "--tolerance 40%% %s", args); /* 2.4 of 6 articles */
        assert_int_equal(run(a), 0);
        snprintf(a, sizeof(a), "--tolerance 30%% %s", args); /* 1.8: one allowed */
        assert_int_equal(run(a), 4);
        snprintf(a, sizeof(a), "--tolerance lots %s", args);
        assert_int_equal(run(a), 2);
}

static void test_same_model(void **state)
{
        (void)state;
        json_t *j = run_json("--new tests/data/diff/old.json tests/data/diff/articles.jsonl", 0);
        assert_int_equal(num(j, "changed"), 0);
        assert_int_equal(json_array_size(json_object_get(j, "changes")), 0);
        json_decref(j);
        /* stdin, and a config file as the new side: the same verdict as its taxonomy */
        char conf[] = "/tmp/stemtag-test-diff-XXXXXX.conf";
        int fd = mkstemps(conf, 5);
        assert_true(fd >= 0);
        char text[1024];
        int n = snprintf(text, sizeof(text),
                         "taxonomy.files = %s/tests/data/diff/new.json\n"
                         "langid.model = %s/config/langid.model\n",
                         src, src);
        assert_int_equal(write(fd, text, (size_t)n), n);
        close(fd);
        char a[1024];
        snprintf(a, sizeof(a), "--new %s - < tests/data/diff/articles.jsonl", conf);
        j = run_json(a, 4);
        assert_int_equal(num(j, "changed"), 2);
        assert_string_equal(json_string_value(json_object_get(j, "new")), "diff-test@2");
        json_decref(j);
        unlink(conf);
}

static void test_errors(void **state)
{
        (void)state;
        /* usage */
        assert_int_equal(run("tests/data/diff/articles.jsonl"), 2);
        assert_int_equal(run("--new tests/data/diff/new.json --examples 99 x"), 2);
        /* a taxonomy that does not load */
        assert_int_equal(
            run("--new tests/data/taxonomy/bad-kind.json tests/data/diff/articles.jsonl"), 3);
        assert_int_equal(run("--new tests/data/diff/no-such.json tests/data/diff/articles.jsonl"),
                         3);
        /* an unreadable input file */
        assert_int_equal(run("--new tests/data/diff/new.json tests/data/diff/no-such.jsonl"), 1);
        assert_int_equal(run("--help"), 0);
        assert_non_null(strstr(out, "Exit status"));
}

int main(void)
{
        bin = getenv("STEMTAG_BIN");
        src = getenv("STEMTAG_SOURCE_DIR");
        if (!bin || !src)
                return 77;
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_changes),   cmocka_unit_test(test_text_report),
            cmocka_unit_test(test_tolerance), cmocka_unit_test(test_same_model),
            cmocka_unit_test(test_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
