/* reload: SIGHUP -> new config -> new model -> swap; see reload.h. */
#include "reload.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "log.h"
#include "metrics.h"

struct reloader {
        struct reload_options o;
        pthread_t thread;
        sem_t wake;
        atomic_int stopping;
        atomic_ulong completed;
        pthread_mutex_t mu; /* one reload at a time; guards retired */
        /* Configs whose strings a loaded model may still point into: kept
         * until reloader_stop (a handful per process lifetime). */
        struct config **retired;
        size_t n_retired, cap_retired;
        struct sigaction old_action;
};

/* The handler needs a target; only one reloader exists per process. */
static struct reloader *volatile reload_target;

static void reload_on_sighup(int sig)
{
        int saved = errno;
        struct reloader *r = reload_target;

        (void)sig;
        if (r)
                sem_post(&r->wake); /* async-signal-safe */
        errno = saved;
}

/* Keys whose new value only a restart applies: everything the model load
 * does not read. */
static int key_applies_on_reload(const char *key)
{
        return !strncmp(key, "langid.", 7) || !strcmp(key, "taxonomy.files") ||
               !strncmp(key, "classify.", 9) || !strcmp(key, "log.level");
}

static void log_restart_keys(const struct config *old, const struct config *new)
{
        char keys[1024];
        size_t n = 0;

        keys[0] = '\0';
        for (size_t i = 0; i < config_key_count(); i++) {
                const char *name;
                config_key_info(i, &name, NULL, NULL, NULL);
                if (key_applies_on_reload(name) ||
                    !strcmp(config_get(old, name), config_get(new, name)))
                        continue;
                n += (size_t)snprintf(keys + n, n < sizeof(keys) ? sizeof(keys) - n : 0, "%s%s",
                                      n ? ", " : "", name);
                if (n >= sizeof(keys))
                        break;
        }
        if (keys[0])
                log_event(LOG_WARN, "reload_restart_needed",
                          "changed keys apply only after a restart: %s", keys);
}

static int retire(struct reloader *r, struct config *c)
{
        if (r->n_retired == r->cap_retired) {
                size_t ncap = r->cap_retired ? r->cap_retired * 2 : 4;
                struct config **n;
                if (ncap > SIZE_MAX / sizeof(*n))
                        return -1;
                n = realloc(r->retired, ncap * sizeof(*n));
                if (!n)
                        return -1;
                r->retired = n;
                r->cap_retired = ncap;
        }
        r->retired[r->n_retired++] = c;
        return 0;
}

int reloader_reload_now(struct reloader *r, char *errstr, size_t errstr_size)
{
        struct config *c;
        struct pipeline_model *model;
        char err[1024];
        int rc = -1;

        struct timespec t0, t1;

        pthread_mutex_lock(&r->mu);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        log_event(LOG_INFO, "reload_start", "reloading language model and taxonomy (config %s)",
                  r->o.config_path ? r->o.config_path : "none");
        c = config_new();
        if (!c) {
                snprintf(err, sizeof(err), "out of memory");
                goto fail;
        }
        if (config_load(c, r->o.config_path, r->o.envp, r->o.args, r->o.n_args, err, sizeof(err)) <
                0 ||
            config_validate(c, err, sizeof(err)) < 0)
                goto fail;
        if (retire(r, c) < 0) {
                snprintf(err, sizeof(err), "out of memory");
                goto fail;
        }
        model = r->o.load(c, err, sizeof(err));
        if (!model) {
                r->n_retired--; /* nothing points into it */
                goto fail;
        }
        r->o.swap(r->o.swap_opaque, model);
        {
                int lvl = log_level_parse(config_get(c, "log.level"));
                if (lvl >= 0)
                        log_set_level((enum log_level)lvl);
        }
        if (r->o.current)
                log_restart_keys(r->o.current, c);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        log_event(LOG_INFO, "reload_ok",
                  "new model in service after %.1f ms: langid.model=%s taxonomy.files=%s",
                  (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
                  config_get(c, "langid.model"), config_get(c, "taxonomy.files"));
        if (r->o.metrics)
                metrics_model_reload(r->o.metrics, 1);
        pthread_mutex_unlock(&r->mu);
        return 0;
fail:
        log_event(LOG_ERROR, "reload_failed", "old model stays in service: %s", err);
        if (r->o.metrics) {
                metrics_model_reload(r->o.metrics, 0);
                metrics_error(r->o.metrics, "reload");
        }
        if (errstr && errstr_size)
                snprintf(errstr, errstr_size, "%s", err);
        if (c && (r->n_retired == 0 || r->retired[r->n_retired - 1] != c))
                config_destroy(c);
        pthread_mutex_unlock(&r->mu);
        return rc;
}

static void *reload_thread(void *arg)
{
        struct reloader *r = arg;

        for (;;) {
                if (sem_wait(&r->wake) < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                if (atomic_load(&r->stopping))
                        break;
                reloader_reload_now(r, NULL, 0);
                atomic_fetch_add(&r->completed, 1);
        }
        return NULL;
}

struct reloader *reloader_start(const struct reload_options *opts, char *errstr, size_t errstr_size)
{
        struct reloader *r;
        struct sigaction sa;
        sigset_t all, old;
        int err;

        if (!opts->load || !opts->swap) {
                snprintf(errstr, errstr_size, "reload: load and swap hooks are required");
                return NULL;
        }
        if (reload_target) {
                snprintf(errstr, errstr_size, "reload: a reloader is already running");
                return NULL;
        }
        r = calloc(1, sizeof(*r));
        if (!r) {
                snprintf(errstr, errstr_size, "reload: out of memory");
                return NULL;
        }
        r->o = *opts;
        atomic_init(&r->stopping, 0);
        atomic_init(&r->completed, 0);
        pthread_mutex_init(&r->mu, NULL);
        sem_init(&r->wake, 0, 0);
        /* The thread must not take signals meant for the worker's own handlers. */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        err = pthread_create(&r->thread, NULL, reload_thread, r);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (err) {
                snprintf(errstr, errstr_size, "reload: cannot start thread: %s", strerror(err));
                sem_destroy(&r->wake);
                pthread_mutex_destroy(&r->mu);
                free(r);
                return NULL;
        }
        reload_target = r;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = reload_on_sighup;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = SA_RESTART;
        sigaction(SIGHUP, &sa, &r->old_action);
        return r;
}

unsigned long reloader_completed(const struct reloader *r)
{
        return atomic_load(&((struct reloader *)r)->completed);
}

void reloader_stop(struct reloader *r)
{
        if (!r)
                return;
        sigaction(SIGHUP, &r->old_action, NULL);
        reload_target = NULL;
        atomic_store(&r->stopping, 1);
        sem_post(&r->wake);
        pthread_join(r->thread, NULL);
        for (size_t i = 0; i < r->n_retired; i++)
                config_destroy(r->retired[i]);
        free(r->retired);
        sem_destroy(&r->wake);
        pthread_mutex_destroy(&r->mu);
        free(r);
}
