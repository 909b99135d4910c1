/* stemtag's top level: --help lists every command, `help <cmd>` and
 * `<cmd> --help` work, --version names the git revision and the libraries,
 * unknown commands fail with the usage exit code. Runs $STEMTAG_BIN. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

static int run(const char *args, char *out, size_t out_size)
{
        char cmd[1024];
        FILE *p;
        size_t n;
        int st;

        snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", getenv("STEMTAG_BIN"), args);
        p = popen(cmd, "r");
        assert_non_null(p);
        n = fread(out, 1, out_size - 1, p);
        out[n] = '\0';
        st = pclose(p);
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_help_lists_commands(void **state)
{
        static const char *const cmds[] = {"run",  "classify",   "train",
                                           "eval", "train-lang", "check-config"};
        char out[8192];
        (void)state;

        assert_int_equal(run("--help", out, sizeof(out)), 0);
        for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
                char want[64];
                snprintf(want, sizeof(want), "  %s ", cmds[i]);
                if (!strstr(out, want))
                        fail_msg("--help does not list '%s'", cmds[i]);
        }
        assert_non_null(strstr(out, "Exit status"));
        assert_int_equal(run("", out, sizeof(out)), 2);
        assert_non_null(strstr(out, "Usage: stemtag"));
        assert_int_equal(run("frobnicate", out, sizeof(out)), 2);
        assert_non_null(strstr(out, "unknown command 'frobnicate'"));
        assert_int_equal(run("help check-config", out, sizeof(out)), 0);
        assert_non_null(strstr(out, "Usage: stemtag check-config"));
        assert_int_equal(run("help frobnicate", out, sizeof(out)), 2);
        /* Every command answers `<command> --help` with its usage, exit 0. */
        for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
                char args[64], want[64];
                snprintf(args, sizeof(args), "%s --help", cmds[i]);
                snprintf(want, sizeof(want), "Usage: stemtag %s", cmds[i]);
                if (run(args, out, sizeof(out)) != 0 || !strstr(out, want))
                        fail_msg("`stemtag %s --help` did not print '%s' and exit 0", cmds[i],
                                 want);
        }
}

static void test_version(void **state)
{
        char out[4096];
        (void)state;

        assert_int_equal(run("--version", out, sizeof(out)), 0);
        assert_true(!strncmp(out, "stemtag ", 8));
        assert_non_null(strstr(out, "(git "));
        assert_null(strstr(out, "(git )"));
        assert_non_null(strstr(out, "librdkafka"));
        assert_non_null(strstr(out, "jansson"));
        assert_non_null(strstr(out, "utf8proc"));
        assert_non_null(strstr(out, "libmicrohttpd"));
        assert_non_null(strstr(out, "libstemmer"));
        assert_int_equal(run("-V", out, sizeof(out)), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_help_lists_commands),
            cmocka_unit_test(test_version),
        };
        if (!getenv("STEMTAG_BIN"))
                return 77;
        return cmocka_run_group_tests(tests, NULL, NULL);
}
