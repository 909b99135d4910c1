/* cases: runs `stemtag classify` on every tests/cases/<name>/ and compares its
 * output with expected.jsonl (subset match, see tests/cases/README.md). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

static const char *bin, *cases_dir;

/* Every member of @want is in @got with an equal value (objects recursively). */
static int subset(json_t *want, json_t *got, char *path, size_t path_size)
{
        if (!json_is_object(want) || !json_is_object(got))
                return json_equal(want, got);
        const char *key;
        json_t *v;
        json_object_foreach(want, key, v)
        {
                json_t *g = json_object_get(got, key);
                if (!g || !subset(v, g, path, path_size)) {
                        /* prepend: the path is built from the inside out */
                        char joined[512];
                        snprintf(joined, sizeof(joined), "%s%s%s", key, path[0] ? "." : "", path);
                        size_t l = strlen(joined) < path_size ? strlen(joined) : path_size - 1;
                        memcpy(path, joined, l);
                        path[l] = '\0';
                        return 0;
                }
        }
        return 1;
}

static void run_case(const char *name)
{
        char dir[1024], path[1200], cmd[4096], args[1024] = "";
        snprintf(dir, sizeof(dir), "%s/%s", cases_dir, name);
        snprintf(path, sizeof(path), "%s/args", dir);
        FILE *f = fopen(path, "r");
        if (f) {
                if (!fgets(args, sizeof(args), f))
                        args[0] = '\0';
                args[strcspn(args, "\n")] = '\0';
                fclose(f);
        } else {
                DIR *d = opendir(dir);
                struct dirent *e;
                while (d && (e = readdir(d)))
                        if (!strncmp(e->d_name, "input.", 6))
                                snprintf(args, sizeof(args), "'%s'", e->d_name);
                if (d)
                        closedir(d);
        }
        assert_true(args[0]);
        snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' classify %s", dir, bin, args);
        FILE *out = popen(cmd, "r");
        assert_non_null(out);
        snprintf(path, sizeof(path), "%s/expected.jsonl", dir);
        FILE *exp = fopen(path, "r");
        assert_non_null(exp);

        char *got_line = NULL, *want_line = NULL;
        size_t got_cap = 0, want_cap = 0;
        int lineno = 0;
        for (;;) {
                ssize_t gl = getline(&got_line, &got_cap, out);
                ssize_t wl = getline(&want_line, &want_cap, exp);
                if (gl < 0 && wl < 0)
                        break;
                lineno++;
                if (gl < 0 || wl < 0)
                        fail_msg("case %s: %s output line %d", name,
                                 gl < 0 ? "missing" : "unexpected", lineno);
                json_error_t err;
                json_t *want = json_loads(want_line, 0, &err);
                if (!want)
                        fail_msg("case %s: expected line %d is not JSON: %s", name, lineno,
                                 err.text);
                json_t *got = json_loads(got_line, 0, &err);
                if (!got)
                        fail_msg("case %s: output line %d is not JSON: %s", name, lineno, got_line);
                char where[256] = "";
                if (!subset(want, got, where, sizeof(where)))
                        fail_msg("case %s line %d: member %s differs\n  got: %s", name, lineno,
                                 where, got_line);
                json_decref(want);
                json_decref(got);
        }
        free(got_line);
        free(want_line);
        fclose(exp);
        int status = pclose(out);
        assert_int_equal(status, 0); /* rejected articles never fail the tool */
}

static void test_all_cases(void **state)
{
        (void)state;
        DIR *d = opendir(cases_dir);
        assert_non_null(d);
        struct dirent *e;
        int n = 0;
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                char p[1200];
                struct stat st;
                snprintf(p, sizeof(p), "%s/%s", cases_dir, e->d_name);
                if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
                        print_message("case %s\n", e->d_name);
                        run_case(e->d_name);
                        n++;
                }
        }
        closedir(d);
        assert_true(n >= 5);
}

int main(void)
{
        static char dir[1024];
        const char *src = getenv("STEMTAG_SOURCE_DIR");
        bin = getenv("STEMTAG_BIN");
        if (!src || !bin) {
                fprintf(stderr, "STEMTAG_SOURCE_DIR and STEMTAG_BIN must be set (ctest does)\n");
                return 1;
        }
        snprintf(dir, sizeof(dir), "%s/tests/cases", src);
        cases_dir = dir;
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_all_cases),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
