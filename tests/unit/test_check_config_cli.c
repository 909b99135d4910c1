/* `stemtag check-config` end to end: exit codes, errors naming file/line/key,
 * unreadable files, env and -X precedence, redacted --dump. Runs the real
 * binary ($STEMTAG_BIN) through the shell. */
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

static char dir[256];
static const char *bin;

static int setup(void **state)
{
        FILE *f;
        char path[512];
        (void)state;
        bin = getenv("STEMTAG_BIN");
        if (!bin)
                return -1;
        snprintf(dir, sizeof(dir), "/tmp/stemtag-test-cc-XXXXXX");
        if (!mkdtemp(dir))
                return -1;
        /* check-config loads the language model for real: use the committed one */
        snprintf(path, sizeof(path), "cp '%s/config/langid.model' '%s/lang.model'",
                 getenv("STEMTAG_SOURCE_DIR") ? getenv("STEMTAG_SOURCE_DIR") : ".", dir);
        (void)f;
        return system(path) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        char cmd[300];
        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

static void write_conf(const char *text)
{
        char path[512];
        FILE *f;
        snprintf(path, sizeof(path), "%s/t.conf", dir);
        f = fopen(path, "w");
        assert_non_null(f);
        fprintf(f, "langid.model = lang.model\ntaxonomy.files =\n%s", text);
        fclose(f);
}

/* Runs `env -i [ENV] stemtag check-config -c t.conf ARGS`, output (stdout+stderr) in @p out. */
static int run(const char *env, const char *args, char *out, size_t out_size)
{
        char cmd[2048];
        FILE *p;
        size_t n;
        int st;

        snprintf(cmd, sizeof(cmd), "env -i %s '%s' check-config -c '%s/t.conf' %s 2>&1", env, bin,
                 dir, args);
        p = popen(cmd, "r");
        assert_non_null(p);
        n = fread(out, 1, out_size - 1, p);
        out[n] = '\0';
        st = pclose(p);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_valid_and_invalid(void **state)
{
        char out[8192];
        (void)state;

        write_conf("pipelines = 2\n");
        assert_int_equal(run("", "", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "config ok"));

        write_conf("# c\npipelnes = 2\n");
        assert_int_equal(run("", "", out, sizeof(out)), 2);
        assert_non_null(strstr(out, "t.conf:4"));
        assert_non_null(strstr(out, "'pipelnes'"));
        assert_non_null(strstr(out, "did you mean 'pipelines'"));

        write_conf("taxonomy.files = nothere.json\n");
        assert_int_equal(run("", "", out, sizeof(out)), 2);
        assert_non_null(strstr(out, "taxonomy.files"));
        assert_non_null(strstr(out, "nothere.json"));

        write_conf("");
        assert_int_equal(run("STEMTAG_MAX_INFLIGHT=-5", "", out, sizeof(out)), 2);
        assert_non_null(strstr(out, "STEMTAG_MAX_INFLIGHT"));
        assert_int_equal(run("", "-X kafka.acks=sometimes", out, sizeof(out)), 2);
        assert_non_null(strstr(out, "kafka.acks"));
        assert_int_equal(run("", "-X nokey", out, sizeof(out)), 2);
        assert_int_equal(run("", "extra-arg", out, sizeof(out)), 2);
        assert_int_equal(run("", "--help", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "Usage: stemtag check-config"));
}

static void test_dump_precedence_and_redaction(void **state)
{
        char out[16384];
        (void)state;

        write_conf("pipelines = 2\nmax.inflight = 10\nkafka.sasl.password = fromfile\n");
        assert_int_equal(run("STEMTAG_MAX_INFLIGHT=20 STEMTAG_KAFKA_SASL_PASSWORD=fromenv "
                             "STEMTAG_KAFKA_BOOTSTRAP_SERVERS=b:1",
                             "-X max.inflight=30 --dump", out, sizeof(out)),
                         0);
        assert_non_null(strstr(out, "\npipelines = 2\n"));
        assert_non_null(strstr(out, "\nmax.inflight = 30\n"));
        assert_non_null(strstr(out, "kafka.bootstrap.servers = b:1\n"));
        assert_non_null(strstr(out, "kafka.sasl.password = [REDACTED]\n"));
        assert_null(strstr(out, "fromfile"));
        assert_null(strstr(out, "fromenv"));

        /* Invalid after loading: the dump still shows what was loaded, the
         * error follows, the exit status says invalid. */
        write_conf("taxonomy.files = nothere.json\nkafka.sasl.password = fromfile\n");
        assert_int_equal(run("", "--dump", out, sizeof(out)), 2);
        assert_non_null(strstr(out, "kafka.sasl.password = [REDACTED]\n"));
        assert_non_null(strstr(out, "nothere.json"));
        assert_null(strstr(out, "fromfile"));
        assert_null(strstr(out, "config ok"));
}

/* A taxonomy that does not load: exit 3 like `run`, not 2 (the config is fine). */
static void test_broken_taxonomy_exit_3(void **state)
{
        char out[8192], path[512];
        FILE *f;
        (void)state;

        snprintf(path, sizeof(path), "%s/bad-taxonomy.json", dir);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs("{\"format\": \"stemtag.taxonomy.v1\", \"labels\": [", f); /* cut short */
        fclose(f);
        write_conf("");
        char arg[600];
        snprintf(arg, sizeof(arg), "-X taxonomy.files=%s", path);
        assert_int_equal(run("", arg, out, sizeof(out)), 3);
        assert_non_null(strstr(out, "bad-taxonomy.json"));
}

/* A misspelt STEMTAG_* variable is named, with the key it probably meant;
 * the project's own tool variables are not. */
static void test_unknown_env_named(void **state)
{
        char out[8192];
        (void)state;

        write_conf("");
        assert_int_equal(run("STEMTAG_PIPELNES=3 STEMTAG_SOURCE_DIR=/x", "", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "config_env_unknown"));
        assert_non_null(strstr(out, "STEMTAG_PIPELNES is not a config variable (did you mean "
                                    "STEMTAG_PIPELINES?)"));
        assert_null(strstr(out, "STEMTAG_SOURCE_DIR"));
        assert_int_equal(run("STEMTAG_PIPELINES=3", "", out, sizeof(out)), 0);
        assert_null(strstr(out, "config_env_unknown"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_valid_and_invalid),
            cmocka_unit_test(test_dump_precedence_and_redaction),
            cmocka_unit_test(test_unknown_env_named),
            cmocka_unit_test(test_broken_taxonomy_exit_3),
        };
        if (!getenv("STEMTAG_BIN"))
                return 77;
        return cmocka_run_group_tests(tests, setup, teardown);
}
