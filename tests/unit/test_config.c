/* config: defaults, file syntax and errors, environment mapping, -X,
 * precedence, relative paths, validation and redaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static char tmpdir[256];

static int setup(void **state)
{
        (void)state;
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/stemtag-test-config-XXXXXX");
        return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
        char cmd[300];
        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        return system(cmd) == 0 ? 0 : -1;
}

/* Writes @p text to tmpdir/@p name (creating one level of subdir); returns the path (static). */
static const char *write_file(const char *name, const char *text)
{
        static char path[512];
        char dir[512], *slash;
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
        snprintf(dir, sizeof(dir), "%s", path);
        slash = strrchr(dir, '/');
        *slash = '\0';
        mkdir(dir, 0700);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        return path;
}

static void test_defaults_match_table(void **state)
{
        struct config *c = config_new();
        (void)state;
        assert_non_null(c);
        assert_true(config_key_count() > 20);
        for (size_t i = 0; i < config_key_count(); i++) {
                const char *name, *def, *doc;
                enum config_type type;
                assert_int_equal(config_key_info(i, &name, &type, &def, &doc), 0);
                assert_string_equal(config_get(c, name), def);
                assert_string_equal(config_source(c, name), "default");
                assert_true(strlen(doc) > 0);
                /* Every enum documents its values before a colon and its default is one. */
                if (type == CONFIG_ENUM)
                        assert_non_null(strchr(doc, '|'));
        }
        assert_int_equal(config_get_int(c, "pipelines"), 1);
        assert_int_equal(config_get_int(c, "input.max.bytes"), 1048576);
        assert_true(config_get_double(c, "classify.title.weight") == 3.0);
        assert_null(config_get(c, "no.such.key"));
        assert_null(config_get(c, "kafka.bootstrap.servers"));
        assert_int_equal(config_key_info(config_key_count(), NULL, NULL, NULL, NULL), -1);
        config_destroy(c);
        config_destroy(NULL);
}

static void test_file_syntax(void **state)
{
        char err[512];
        struct config *c = config_new();
        const char *path = write_file("a.conf", "# comment\n"
                                                "\n"
                                                "   # indented comment\n"
                                                "pipelines = 4\n"
                                                "  input.topics=a, b ,,c  \r\n"
                                                "kafka.sasl.password = p#ss = word\n"
                                                "log.level = debug\n"
                                                "kafka.client.id = one\n"
                                                "kafka.client.id = two\n");
        (void)state;
        assert_int_equal(config_load_file(c, path, err, sizeof(err)), 0);
        assert_int_equal(config_get_int(c, "pipelines"), 4);
        assert_string_equal(config_get(c, "input.topics"), "a, b ,,c");
        {
                const char *const *l = config_get_list(c, "input.topics");
                assert_string_equal(l[0], "a");
                assert_string_equal(l[1], "b");
                assert_string_equal(l[2], "c");
                assert_null(l[3]);
        }
        /* '#' and '=' inside a value are part of it (passwords). */
        assert_string_equal(config_get(c, "kafka.sasl.password"), "p#ss = word");
        assert_string_equal(config_get(c, "kafka.client.id"), "two");
        assert_string_equal(config_get(c, "log.level"), "debug");
        {
                char want[600];
                snprintf(want, sizeof(want), "%s:4", path);
                assert_string_equal(config_source(c, "pipelines"), want);
        }
        assert_string_equal(config_file_path(c), path);
        config_destroy(c);
}

/* Loads @p text as a file and expects failure with every @p needles in the error. */
static void expect_file_error(const char *text, const char *n1, const char *n2)
{
        char err[512] = "";
        struct config *c = config_new();
        const char *path = write_file("bad.conf", text);

        assert_int_equal(config_load_file(c, path, err, sizeof(err)), -1);
        if (!strstr(err, path) || (n1 && !strstr(err, n1)) || (n2 && !strstr(err, n2)))
                fail_msg("error '%s' lacks '%s' / '%s' / '%s'", err, path, n1 ? n1 : "",
                         n2 ? n2 : "");
        config_destroy(c);
}

static void test_file_errors(void **state)
{
        (void)state;
        expect_file_error("# x\ninput.topicz = a\n", ":2:", "'input.topicz'");
        expect_file_error("input.topicz = a\n", "did you mean 'input.topics'", NULL);
        expect_file_error("pipelines = 2\npipelines = many\n", ":2:", "'pipelines'");
        expect_file_error("pipelines = 0\n", "'pipelines'", "out of range");
        expect_file_error("input.max.bytes = 99999999999999999999999\n", "'input.max.bytes'",
                          "integer");
        expect_file_error("input.format = xml\n", "'input.format'", "auto | json | text");
        expect_file_error("log.level = verbose\n", "'log.level'", "'verbose'");
        expect_file_error("classify.title.weight = nan\n", "'classify.title.weight'", "finite");
        expect_file_error("classify.title.weight = -1\n", "'classify.title.weight'", "negative");
        expect_file_error("just words\n", ":1:", "key = value");
        expect_file_error(" = value\n", ":1:", "missing key");
        {
                char err[512];
                struct config *c = config_new();
                assert_int_equal(config_load_file(c, "/nonexistent/x.conf", err, sizeof(err)), -1);
                assert_non_null(strstr(err, "/nonexistent/x.conf"));
                config_destroy(c);
        }
}

static void test_relative_paths_resolved_against_file(void **state)
{
        char err[512], want[600];
        struct config *c = config_new();
        const char *path = write_file("sub/p.conf", "langid.model = lang.model\n"
                                                    "taxonomy.files = t/a.json, /abs/b.json\n"
                                                    "kafka.ssl.ca.location = ca.pem\n");
        (void)state;
        assert_int_equal(config_load_file(c, path, err, sizeof(err)), 0);
        snprintf(want, sizeof(want), "%s/sub/lang.model", tmpdir);
        assert_string_equal(config_get(c, "langid.model"), want);
        snprintf(want, sizeof(want), "%s/sub/t/a.json", tmpdir);
        assert_string_equal(config_get_list(c, "taxonomy.files")[0], want);
        assert_string_equal(config_get_list(c, "taxonomy.files")[1], "/abs/b.json");
        assert_null(config_get_list(c, "taxonomy.files")[2]);
        snprintf(want, sizeof(want), "%s/sub/ca.pem", tmpdir);
        assert_string_equal(config_get(c, "kafka.ssl.ca.location"), want);
        /* -X paths stay relative to the working directory. */
        assert_int_equal(config_set(c, "langid.model", "rel.model", err, sizeof(err)), 0);
        assert_string_equal(config_get(c, "langid.model"), "rel.model");
        config_destroy(c);
}

static void test_env_mapping(void **state)
{
        char key[128], env[128];
        (void)state;
        assert_int_equal(config_env_key("STEMTAG_INPUT_TOPICS", key, sizeof(key)), 1);
        assert_string_equal(key, "input.topics");
        assert_int_equal(config_env_key("STEMTAG_INPUT_FIELD_PUBLISHED_AT", key, sizeof(key)), 1);
        assert_string_equal(key, "input.field.published_at");
        assert_int_equal(config_env_key("STEMTAG_KAFKA_SASL_PASSWORD", key, sizeof(key)), 1);
        assert_string_equal(key, "kafka.sasl.password");
        assert_int_equal(config_env_key("STEMTAG_KAFKA_BOOTSTRAP_SERVERS", key, sizeof(key)), 1);
        assert_string_equal(key, "kafka.bootstrap.servers");
        assert_int_equal(config_env_key("STEMTAG_KAFKA_SOME__THING_X", key, sizeof(key)), 1);
        assert_string_equal(key, "kafka.some_thing.x");
        assert_int_equal(config_env_key("STEMTAG_SOURCE_DIR", key, sizeof(key)), 0);
        assert_int_equal(config_env_key("STEMTAG_CONFIG", key, sizeof(key)), 0);
        assert_int_equal(config_env_key("HOME", key, sizeof(key)), 0);
        assert_int_equal(config_env_key("STEMTAG_KAFKA_", key, sizeof(key)), 0);

        assert_int_equal(config_env_name("kafka.some_thing.x", env, sizeof(env)), 0);
        assert_string_equal(env, "STEMTAG_KAFKA_SOME__THING_X");
        assert_int_equal(config_env_name("input.topics", env, 4), -1);

        /* Round trip and no two keys share a variable. */
        for (size_t i = 0; i < config_key_count(); i++) {
                const char *name;
                config_key_info(i, &name, NULL, NULL, NULL);
                assert_int_equal(config_env_name(name, env, sizeof(env)), 0);
                assert_int_equal(config_env_key(env, key, sizeof(key)), 1);
                assert_string_equal(key, name);
                for (size_t j = 0; j < i; j++) {
                        const char *other;
                        char env2[128];
                        config_key_info(j, &other, NULL, NULL, NULL);
                        config_env_name(other, env2, sizeof(env2));
                        assert_string_not_equal(env, env2);
                }
        }
}

static void test_env_load(void **state)
{
        char err[512];
        struct config *c = config_new();
        char *envp[] = {"HOME=/root",
                        "STEMTAG_PIPELINES=3",
                        "STEMTAG_SOURCE_DIR=/src",
                        "STEMTAG_KAFKA_SASL_PASSWORD=s3cret",
                        "STEMTAG_INPUT_FIELD_PUBLISHED_AT=date",
                        NULL};
        char *bad[] = {"STEMTAG_MAX_INFLIGHT=lots", NULL};
        char *kafka_unknown[] = {"STEMTAG_KAFKA_DIR=/tmp/x", NULL};
        char *kafka_bad[] = {"STEMTAG_KAFKA_ACKS=sometimes", NULL};
        (void)state;
        assert_int_equal(config_load_env(c, envp, err, sizeof(err)), 0);
        assert_int_equal(config_get_int(c, "pipelines"), 3);
        assert_string_equal(config_source(c, "pipelines"), "env STEMTAG_PIPELINES");
        assert_string_equal(config_get(c, "kafka.sasl.password"), "s3cret");
        assert_string_equal(config_get(c, "input.field.published_at"), "date");
        assert_int_equal(config_load_env(c, bad, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "STEMTAG_MAX_INFLIGHT"));
        assert_non_null(strstr(err, "'max.inflight'"));
        assert_int_equal(config_load_env(c, NULL, err, sizeof(err)), 0);
        /* Not a librdkafka property: skipped (warned), the config stays valid. */
        assert_int_equal(config_load_env(c, kafka_unknown, err, sizeof(err)), 0);
        assert_null(config_get(c, "kafka.dir"));
        /* A known property with a bad value is kept and fails validation, naming the variable. */
        assert_int_equal(config_load_env(c, kafka_bad, err, sizeof(err)), 0);
        assert_string_equal(config_get(c, "kafka.acks"), "sometimes");
        assert_int_equal(config_set(c, "langid.model", "", err, sizeof(err)), 0);
        assert_int_equal(config_set(c, "taxonomy.files", "", err, sizeof(err)), 0);
        assert_int_equal(config_set(c, "pipelines", "1", err, sizeof(err)), 0);
        assert_int_equal(config_set(c, "max.inflight", "5", err, sizeof(err)), 0);
        assert_int_equal(config_validate(c, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "env STEMTAG_KAFKA_ACKS"));
        assert_non_null(strstr(err, "kafka.acks"));
        config_destroy(c);
}

static void test_precedence(void **state)
{
        char err[512];
        struct config *c = config_new();
        const char *path = write_file("prec.conf", "pipelines = 2\nmax.inflight = 5\n"
                                                   "stem.cache.entries = 7\n");
        char envline[600];
        char *envp[] = {"STEMTAG_MAX_INFLIGHT=6", "STEMTAG_STEM_CACHE_ENTRIES=8", envline, NULL};
        const char *args[] = {"stem.cache.entries=9", "kafka.client.id = x=y"};
        (void)state;
        snprintf(envline, sizeof(envline), "STEMTAG_CONFIG=%s", path);
        assert_int_equal(config_load(c, NULL, envp, args, 2, err, sizeof(err)), 0);
        assert_int_equal(config_get_int(c, "pipelines"), 2);          /* file */
        assert_int_equal(config_get_int(c, "max.inflight"), 6);       /* env over file */
        assert_int_equal(config_get_int(c, "stem.cache.entries"), 9); /* -X over env */
        assert_string_equal(config_source(c, "stem.cache.entries"), "-X");
        assert_string_equal(config_get(c, "kafka.client.id"), " x=y");
        config_destroy(c);

        c = config_new();
        {
                const char *bad[] = {"novalue"};
                const char *bad2[] = {"=v"};
                const char *bad3[] = {"nokey.here=1"};
                assert_int_equal(config_load(c, NULL, NULL, bad, 1, err, sizeof(err)), -1);
                assert_non_null(strstr(err, "key=value"));
                assert_int_equal(config_load(c, NULL, NULL, bad2, 1, err, sizeof(err)), -1);
                assert_int_equal(config_load(c, NULL, NULL, bad3, 1, err, sizeof(err)), -1);
                assert_non_null(strstr(err, "'nokey.here'"));
                assert_int_equal(config_set(c, "kafka.", "x", err, sizeof(err)), -1);
        }
        config_destroy(c);
}

/* A config whose files exist, so validation only fails where a test breaks it. */
static struct config *valid_config(void)
{
        char err[512], spec[1200];
        struct config *c = config_new();
        char a[512], b[512];

        snprintf(a, sizeof(a), "%s", write_file("model/lang.model", "x"));
        snprintf(b, sizeof(b), "%s", write_file("model/t.json", "{}"));
        assert_int_equal(config_set(c, "langid.model", a, err, sizeof(err)), 0);
        snprintf(spec, sizeof(spec), "%s,%s", b, b);
        assert_int_equal(config_set(c, "taxonomy.files", spec, err, sizeof(err)), 0);
        assert_int_equal(config_validate(c, err, sizeof(err)), 0);
        return c;
}

static void expect_invalid(const char *key, const char *value, const char *needle)
{
        char err[512] = "";
        struct config *c = valid_config();

        assert_int_equal(config_set(c, key, value, err, sizeof(err)), 0);
        assert_int_equal(config_validate(c, err, sizeof(err)), -1);
        if (!strstr(err, key) || (needle && !strstr(err, needle)))
                fail_msg("error '%s' lacks '%s' / '%s'", err, key, needle ? needle : "");
        config_destroy(c);
}

static void test_validate(void **state)
{
        (void)state;
        /* A huge double is a valid (if odd) value; its integer view must not overflow
         * (found by fuzz_config: UBSan float-cast-overflow). */
        {
                char err[256];
                struct config *c = config_new();
                assert_non_null(c);
                assert_int_equal(config_set(c, "classify.title.weight", "1e40", err, sizeof(err)),
                                 0);
                assert_true(config_get_double(c, "classify.title.weight") > 9e39);
                config_destroy(c);
        }
        expect_invalid("langid.model", "/nonexistent/lang.model", "/nonexistent/lang.model");
        expect_invalid("langid.model", "/tmp", "regular file");
        expect_invalid("taxonomy.files", "/nonexistent/t.json", "cannot read");
        expect_invalid("input.topics", " , ", "empty");
        expect_invalid("dlq.topic", "", "empty");
        expect_invalid("output.topics", "news.{sectoin}", "{sectoin}");
        expect_invalid("output.topics", "news.{section", "unclosed");
        expect_invalid("metrics.listen", "9464", "host:port");
        expect_invalid("metrics.listen", "0.0.0.0:70000", "host:port");
        expect_invalid("input.field.body", "a,b,c,d", "1 to 3");
        expect_invalid("kafka.no.such.property", "1", "kafka.no.such.property");
        expect_invalid("kafka.enable.idempotence", "maybe", "kafka.enable.idempotence");
        expect_invalid("kafka.ssl.ca.location", "/nonexistent/ca.pem", "cannot read");
        {
                char err[512];
                struct config *c = valid_config();
                /* Empty paths switch a stage off and are valid; empty listen disables HTTP. */
                assert_int_equal(config_set(c, "langid.model", "", err, sizeof(err)), 0);
                assert_int_equal(config_set(c, "taxonomy.files", "", err, sizeof(err)), 0);
                assert_int_equal(config_set(c, "metrics.listen", "", err, sizeof(err)), 0);
                assert_int_equal(
                    config_set(c, "output.topics", "n.{language}.{section},all", err, sizeof(err)),
                    0);
                assert_int_equal(config_set(c, "metrics.listen", "[::1]:9", err, sizeof(err)), 0);
                assert_int_equal(config_validate(c, err, sizeof(err)), 0);
                /* port 0: any free port (tests, several workers on one host) */
                assert_int_equal(config_set(c, "metrics.listen", "127.0.0.1:0", err, sizeof(err)),
                                 0);
                assert_int_equal(config_set(c, "kafka.bootstrap.servers", "h:1", err, sizeof(err)),
                                 0);
                assert_int_equal(config_validate(c, err, sizeof(err)), 0);
                config_destroy(c);
        }
}

static void kafka_collect(const char *key, const char *value, void *opaque)
{
        char *buf = opaque;
        size_t n = strlen(buf);
        snprintf(buf + n, 512 - n, "%s=%s;", key, value);
}

static void test_foreach_kafka_and_dump(void **state)
{
        char err[512], buf[512] = "";
        struct config *c = config_new();
        char *dump = NULL;
        size_t dump_len = 0;
        FILE *out;
        (void)state;
        assert_int_equal(config_set(c, "kafka.bootstrap.servers", "b:9092", err, sizeof(err)), 0);
        assert_int_equal(config_set(c, "kafka.sasl.password", "hunter2", err, sizeof(err)), 0);
        assert_int_equal(config_set(c, "kafka.ssl.key.password", "kp4ss", err, sizeof(err)), 0);
        assert_int_equal(
            config_set(c, "kafka.sasl.oauthbearer.client.secret", "cs3cr", err, sizeof(err)), 0);
        assert_int_equal(config_set(c, "kafka.sasl.username", "alice", err, sizeof(err)), 0);
        assert_int_equal(config_set(c, "kafka.ssl.key.pem", "PRIVKEY", err, sizeof(err)), 0);
        assert_int_equal(config_set(c, "pipelines", "2", err, sizeof(err)), 0);
        config_foreach_kafka(c, kafka_collect, buf);
        assert_string_equal(buf, "bootstrap.servers=b:9092;sasl.password=hunter2;"
                                 "ssl.key.password=kp4ss;sasl.oauthbearer.client.secret=cs3cr;"
                                 "sasl.username=alice;ssl.key.pem=PRIVKEY;");
        out = open_memstream(&dump, &dump_len);
        assert_non_null(out);
        config_dump(c, out);
        fclose(out);
        assert_null(strstr(dump, "hunter2"));
        assert_null(strstr(dump, "kp4ss"));
        assert_null(strstr(dump, "cs3cr"));
        assert_null(strstr(dump, "alice"));
        assert_null(strstr(dump, "PRIVKEY"));
        assert_non_null(strstr(dump, "kafka.sasl.password = [REDACTED]"));
        assert_non_null(strstr(dump, "kafka.bootstrap.servers = b:9092"));
        assert_non_null(strstr(dump, "pipelines = 2"));
        assert_non_null(strstr(dump, "input.topics = articles.raw"));
        free(dump);

        assert_true(config_is_secret("sasl.password"));
        assert_true(config_is_secret("kafka.ssl.keystore.password"));
        assert_true(config_is_secret("my.secret.thing"));
        assert_false(config_is_secret("kafka.bootstrap.servers"));
        assert_false(config_is_secret("input.topics"));
        config_destroy(c);
}

static void test_log_effective_redacts(void **state)
{
        char err[512], path[300], buf[4096];
        struct config *c = config_new();
        int saved, fd;
        FILE *f;
        size_t n;
        (void)state;

        assert_int_equal(config_set(c, "pipelines", "2", err, sizeof(err)), 0);
        assert_int_equal(config_set(c, "kafka.sasl.password", "hunter2", err, sizeof(err)), 0);
        assert_int_equal(config_set(c, "kafka.client.id", "w1", err, sizeof(err)), 0);
        /* The log writes to stderr: catch it in a file. */
        snprintf(path, sizeof(path), "%s/log.txt", tmpdir);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        assert_true(fd >= 0);
        saved = dup(STDERR_FILENO);
        dup2(fd, STDERR_FILENO);
        config_log_effective(c);
        dup2(saved, STDERR_FILENO);
        close(saved);
        close(fd);
        f = fopen(path, "r");
        assert_non_null(f);
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
        assert_non_null(strstr(buf, "\"event\":\"config\""));
        assert_non_null(strstr(buf, "pipelines=2 (-X)"));
        assert_non_null(strstr(buf, "kafka.client.id=w1"));
        assert_non_null(strstr(buf, "kafka.sasl.password=[REDACTED]"));
        assert_null(strstr(buf, "hunter2"));
        assert_null(strstr(buf, "input.topics")); /* defaults are not listed */
        config_destroy(c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_defaults_match_table),
            cmocka_unit_test(test_file_syntax),
            cmocka_unit_test(test_file_errors),
            cmocka_unit_test(test_relative_paths_resolved_against_file),
            cmocka_unit_test(test_env_mapping),
            cmocka_unit_test(test_env_load),
            cmocka_unit_test(test_precedence),
            cmocka_unit_test(test_validate),
            cmocka_unit_test(test_foreach_kafka_and_dump),
            cmocka_unit_test(test_log_effective_redacts),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
