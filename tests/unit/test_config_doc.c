/* config docs: docs/configuration.md's config table (section "operations") and
 * config/stemtag.conf must list exactly the keys of config_keys.def with the
 * same defaults, in both directions; the librdkafka defaults the worker sets
 * (worker_kafka_default) are the ones docs/worker.md names, with the same values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "worker.h"

static char *read_all(const char *path)
{
        FILE *f = fopen(path, "r");
        char *buf;
        long n;

        if (!f)
                return NULL;
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc((size_t)n + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
        buf[n] = '\0';
        fclose(f);
        return buf;
}

static char *source_file(const char *rel)
{
        char path[1024];
        const char *src = getenv("STEMTAG_SOURCE_DIR");

        snprintf(path, sizeof(path), "%s/%s", src ? src : ".", rel);
        return read_all(path);
}

/* Copies the text of a `code` cell (between the first pair of backticks of
 * @p cell, which ends at the next unescaped '|') into @p out. */
static int cell_code(const char *cell, char *out, size_t out_size)
{
        const char *a = strchr(cell, '`'), *bar = cell, *b;

        while ((bar = strchr(bar, '|')) && bar > cell && bar[-1] == '\\')
                bar++;
        if (!a || (bar && a > bar))
                return -1;
        b = strchr(a + 1, '`');
        if (!b || (size_t)(b - a - 1) >= out_size)
                return -1;
        memcpy(out, a + 1, (size_t)(b - a - 1));
        out[b - a - 1] = '\0';
        return 0;
}

static int known_index(const char *key)
{
        for (size_t i = 0; i < config_key_count(); i++) {
                const char *name;
                config_key_info(i, &name, NULL, NULL, NULL);
                if (!strcmp(name, key))
                        return (int)i;
        }
        return -1;
}

/* @p key: "consumer.X", "producer.X" or "X" (both clients), as after "kafka.". */
static void check_kafka_default(const char *key, const char *value)
{
        const char *client, *k, *v, *want_client = NULL;

        if (!strncmp(key, "consumer.", 9) || !strncmp(key, "producer.", 9)) {
                want_client = !strncmp(key, "consumer.", 9) ? "consumer" : "producer";
                key += 9;
        }
        for (size_t i = 0; worker_kafka_default(i, &client, &k, &v) == 0; i++) {
                if (strcmp(k, key) || (client && want_client && strcmp(client, want_client)) ||
                    (!client) != (!want_client))
                        continue;
                if (strcmp(v, value))
                        fail_msg("docs/worker.md gives kafka %s default '%s', the worker sets '%s'",
                                 key, value, v);
                return;
        }
        fail_msg("docs/worker.md documents a kafka default '%s=%s' the worker does not set", key,
                 value);
}

/* The "Worker defaults that `kafka.*` may override:" sentence lists every
 * worker_kafka_default() as `key=value`, nothing else. */
static void test_readme_kafka_defaults(void **state)
{
        char *readme = source_file("docs/worker.md");
        const char *intro = "may override:"; /* "Worker defaults that `kafka.*` may override:" */
        char *start, *end, *p;
        const char *client, *k, *v;
        char want[256];
        int listed = 0, known = 0;
        (void)state;

        assert_non_null(readme);
        start = strstr(readme, "Worker defaults that");
        if (start)
                start = strstr(start, intro);
        if (!start)
                fail_msg("docs/worker.md lacks the sentence '%s'", intro);
        start += strlen(intro);
        end = strstr(start, "Always forced");
        assert_non_null(end);
        *end = '\0';
        for (size_t i = 0; worker_kafka_default(i, &client, &k, &v) == 0; i++) {
                snprintf(want, sizeof(want), "`%s=%s`", k, v);
                if (!strstr(start, want))
                        fail_msg("docs/worker.md's worker defaults lack %s", want);
                known++;
        }
        for (p = start; (p = strchr(p, '`')); p++) {
                char *q = strchr(p + 1, '`');
                assert_non_null(q);
                listed++;
                p = q;
        }
        if (listed != known)
                fail_msg("docs/worker.md lists %d worker defaults of kafka.*, the worker sets %d",
                         listed, known);
        free(readme);
}

static void test_readme_table_matches_keys(void **state)
{
        char *readme = source_file("docs/configuration.md");
        char *start, *end, *line;
        size_t n_keys = config_key_count();
        int *seen;
        (void)state;

        if (!readme)
                fail_msg("docs/configuration.md not found under STEMTAG_SOURCE_DIR");
        start = strstr(readme, "<!-- section: operations -->");
        end = strstr(readme, "<!-- /section: operations -->");
        assert_non_null(start);
        assert_non_null(end);
        *end = '\0';
        seen = calloc(n_keys, sizeof(*seen));
        assert_non_null(seen);
        /* The config table is the one whose header starts "| Key | Default |";
         * it ends at the first line that is not a table row. */
        start = strstr(start, "\n| Key | Default |");
        if (!start)
                fail_msg(
                    "docs/configuration.md operations section has no '| Key | Default |' table");
        for (line = strtok(start, "\n"); line; line = strtok(NULL, "\n")) {
                char key[128], def[512];
                const char *second;
                const char *name, *want;
                int idx;

                if (line[0] != '|')
                        break;
                if (strncmp(line, "| `", 3))
                        continue;
                assert_int_equal(cell_code(line + 1, key, sizeof(key)), 0);
                if (!strcmp(key, "kafka.*"))
                        continue; /* pass-through row */
                if (!strncmp(key, "kafka.", 6)) {
                        /* a worker default of librdkafka, documented with its value */
                        const char *second_cell = strchr(line + 1, '|');
                        assert_non_null(second_cell);
                        if (cell_code(second_cell + 1, def, sizeof(def)) < 0)
                                fail_msg("docs/configuration.md row of '%s' has no `default` cell",
                                         key);
                        check_kafka_default(key + 6, def);
                        continue;
                }
                idx = known_index(key);
                if (idx < 0)
                        fail_msg("docs/configuration.md documents '%s', which config_keys.def does "
                                 "not know",
                                 key);
                if (seen[idx])
                        fail_msg("docs/configuration.md documents '%s' twice", key);
                seen[idx] = 1;
                second = strchr(line + 1, '|');
                assert_non_null(second);
                config_key_info((size_t)idx, &name, NULL, &want, NULL);
                if (!*want) {
                        if (!strstr(second, "(empty)"))
                                fail_msg("docs/configuration.md default of '%s' should be (empty)",
                                         key);
                        continue;
                }
                if (cell_code(second + 1, def, sizeof(def)) < 0)
                        fail_msg("docs/configuration.md row of '%s' has no `default` cell", key);
                if (strcmp(def, want))
                        fail_msg("docs/configuration.md default of '%s' is '%s', config_keys.def "
                                 "says '%s'",
                                 key, def, want);
                {
                        /* The Environment column is the variable config_load_env reads. */
                        char env[200], want_env[160];
                        assert_int_equal(config_env_name(key, want_env, sizeof(want_env)), 0);
                        snprintf(env, sizeof(env), "| `%s` |", want_env);
                        if (!strstr(line, env))
                                fail_msg("docs/configuration.md row of '%s' does not give its "
                                         "variable %s",
                                         key, want_env);
                }
        }
        for (size_t i = 0; i < n_keys; i++) {
                const char *name;
                config_key_info(i, &name, NULL, NULL, NULL);
                if (!seen[i])
                        fail_msg(
                            "config key '%s' is missing from docs/configuration.md's config table",
                            name);
        }
        free(seen);
        free(readme);
}

static void test_default_conf_lists_every_key(void **state)
{
        char *conf = source_file("config/stemtag.conf");
        (void)state;

        if (!conf)
                fail_msg("config/stemtag.conf not found under STEMTAG_SOURCE_DIR");
        for (size_t i = 0; i < config_key_count(); i++) {
                const char *name, *def;
                char want[1024];
                config_key_info(i, &name, NULL, &def, NULL);
                /* "# key = default" (commented default), also for path keys
                 * that the file sets relative to itself. */
                snprintf(want, sizeof(want), "\n# %s = %s\n", name, def);
                if (!strstr(conf, want)) {
                        snprintf(want, sizeof(want), "\n# %s = %s ", name, def);
                        if (!strstr(conf, want))
                                fail_msg("config/stemtag.conf lacks '# %s = %s'", name, def);
                }
        }
        free(conf);
}

static void test_default_conf_loads(void **state)
{
        char path[1024], err[1024];
        const char *src = getenv("STEMTAG_SOURCE_DIR");
        struct config *c = config_new();
        (void)state;

        snprintf(path, sizeof(path), "%s/config/stemtag.conf", src ? src : ".");
        if (config_load_file(c, path, err, sizeof(err)) < 0)
                fail_msg("%s", err);
        /* Its paths are resolved next to it, not against the working directory. */
        assert_non_null(strstr(config_get(c, "langid.model"), "config/langid.model"));
        assert_string_equal(config_get(c, "kafka.bootstrap.servers"), "localhost:9092");
        config_destroy(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_readme_table_matches_keys),
            cmocka_unit_test(test_readme_kafka_defaults),
            cmocka_unit_test(test_default_conf_lists_every_key),
            cmocka_unit_test(test_default_conf_loads),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
