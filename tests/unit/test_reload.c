/* reload: SIGHUP loads a new model through the hooks and swaps it; a failing
 * config or model keeps the old one; no swap ever sees a NULL model. The
 * model is faked (a counter) so this test needs nothing from core. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "metrics.h"
#include "reload.h"

static char dir[256], conf_path[300], model_path[300];
static atomic_int loads, swaps, fail_next_load;
static struct pipeline_model *installed;
static char last_langid[300];

/* Fake model: a heap int numbered by load order. */
static struct pipeline_model *fake_load(const struct config *c, char *errstr, size_t errstr_size)
{
        int *m;

        if (atomic_exchange(&fail_next_load, 0)) {
                snprintf(errstr, errstr_size, "%s: broken taxonomy (fake)",
                         config_get(c, "taxonomy.files"));
                return NULL;
        }
        m = malloc(sizeof(*m));
        assert_non_null(m);
        *m = atomic_fetch_add(&loads, 1) + 1;
        snprintf(last_langid, sizeof(last_langid), "%s", config_get(c, "langid.model"));
        return (struct pipeline_model *)m;
}

static void fake_swap(void *opaque, struct pipeline_model *m)
{
        (void)opaque;
        assert_non_null(m);
        free(installed);
        installed = m;
        atomic_fetch_add(&swaps, 1);
}

static void write_text(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static int setup(void **state)
{
        char text[1024];
        (void)state;
        snprintf(dir, sizeof(dir), "/tmp/stemtag-test-reload-XXXXXX");
        if (!mkdtemp(dir))
                return -1;
        snprintf(model_path, sizeof(model_path), "%s/lang.model", dir);
        write_text(model_path, "x");
        snprintf(text, sizeof(text), "%s/t.json", dir);
        write_text(text, "{}");
        snprintf(conf_path, sizeof(conf_path), "%s/w.conf", dir);
        write_text(conf_path, "langid.model = lang.model\ntaxonomy.files = t.json\n");
        return 0;
}

static int teardown(void **state)
{
        char cmd[300];
        (void)state;
        free(installed);
        installed = NULL;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

static void wait_completed(struct reloader *r, unsigned long n)
{
        time_t deadline = time(NULL) + 30;
        while (reloader_completed(r) < n) {
                if (time(NULL) > deadline)
                        fail_msg("reload after SIGHUP did not complete within 30 s");
                usleep(1000); /* poll; the condition ends the wait */
        }
}

static void test_reload_now_and_failures(void **state)
{
        struct metrics *m = metrics_new();
        struct reload_options o = {
            .config_path = conf_path, .load = fake_load, .swap = fake_swap, .metrics = m};
        char err[1024];
        struct reloader *r;
        char *text;
        (void)state;

        r = reloader_start(&o, err, sizeof(err));
        assert_non_null(r);
        /* A second reloader in the same process is refused. */
        assert_null(reloader_start(&o, err, sizeof(err)));

        assert_int_equal(reloader_reload_now(r, err, sizeof(err)), 0);
        assert_int_equal(atomic_load(&swaps), 1);
        assert_int_equal(*(int *)installed, 1);
        assert_string_equal(last_langid, model_path); /* resolved against the config file */

        /* Model load fails: old model stays, reason reported. */
        atomic_store(&fail_next_load, 1);
        assert_int_equal(reloader_reload_now(r, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "broken taxonomy"));
        assert_int_equal(atomic_load(&swaps), 1);
        assert_int_equal(*(int *)installed, 1);

        /* Config turns invalid (unreadable model file): old model stays, key named. */
        write_text(conf_path, "langid.model = missing.model\n");
        assert_int_equal(reloader_reload_now(r, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "langid.model"));
        assert_int_equal(atomic_load(&swaps), 1);

        /* Fixed again: the next reload goes through. */
        write_text(conf_path, "langid.model = lang.model\ntaxonomy.files = t.json\n");
        assert_int_equal(reloader_reload_now(r, err, sizeof(err)), 0);
        assert_int_equal(*(int *)installed, 2);

        text = metrics_render(m, NULL);
        assert_non_null(strstr(text, "stemtag_model_reloads_total{result=\"ok\"} 2\n"));
        assert_non_null(strstr(text, "stemtag_model_reloads_total{result=\"failed\"} 2\n"));
        free(text);
        reloader_stop(r);
        metrics_destroy(m);
}

static void test_sighup_triggers_reload(void **state)
{
        struct reload_options o = {.config_path = conf_path, .load = fake_load, .swap = fake_swap};
        char err[256];
        struct reloader *r;
        int before = atomic_load(&swaps);
        (void)state;

        write_text(conf_path, "langid.model = lang.model\ntaxonomy.files = t.json\n");
        r = reloader_start(&o, err, sizeof(err));
        assert_non_null(r);
        assert_int_equal(kill(getpid(), SIGHUP), 0);
        wait_completed(r, 1);
        assert_int_equal(atomic_load(&swaps), before + 1);
        assert_int_equal(kill(getpid(), SIGHUP), 0);
        wait_completed(r, 2);
        assert_int_equal(atomic_load(&swaps), before + 2);
        reloader_stop(r);
        reloader_stop(NULL);
        {
                /* After stop the process no longer reloads; SIGHUP's disposition is back. */
                struct sigaction cur;
                sigaction(SIGHUP, NULL, &cur);
                assert_true(cur.sa_handler == SIG_DFL);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_reload_now_and_failures),
            cmocka_unit_test(test_sighup_triggers_reload),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
