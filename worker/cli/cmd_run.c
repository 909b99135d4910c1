/* run: the Kafka worker. Loads the config like check-config, loads the model,
 * then hands over to worker_run (worker/kafka/worker.h). SIGTERM/SIGINT stop
 * it gracefully; fatal errors exit non-zero with one message naming the cause
 * (docs/configuration.md "Exit codes"). */
#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_kafka.h"
#include "cli_config.h"
#include "commands.h"
#include "config.h"
#include "config_pipeline.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "reload.h"
#include "pipeline.h"
#include "worker.h"

extern char **environ;

static struct worker *volatile run_worker; /* for the signal handler only */
/* SIGTERM/SIGINT before the worker exists (loading the model takes a
 * moment, longer under sanitizers): remembered, and honoured as a clean stop
 * once the worker is there, instead of the default action's exit 143. */
static volatile sig_atomic_t run_stop_pending;

static void run_on_signal(int sig)
{
        (void)sig;
        if (run_worker)
                worker_stop(run_worker);
        else
                run_stop_pending = 1;
}

static void run_swap_model(void *opaque, struct pipeline_model *model)
{
        worker_swap_model(opaque, model);
}

static void run_usage(FILE *out)
{
        fprintf(out, "Usage: stemtag run [-c FILE] [-X key=value]...\n\n"
                     "Consumes raw articles from Kafka, tags them and produces enriched records\n"
                     "(docs/worker.md). Config sources, later wins: defaults, FILE (or the\n"
                     "config search, `stemtag --help`), STEMTAG_* environment, -X. kafka.* keys go "
                     "to librdkafka\n"
                     "(both clients; kafka.consumer.* / kafka.producer.* to one of them).\n\n"
                     "Options:\n"
                     "  -c, --config FILE   config file\n"
                     "  -X key=value        set one key (repeatable)\n"
                     "  -h, --help          this help\n\n"
                     "SIGTERM/SIGINT: stop fetching, finish in-flight work, commit, leave the\n"
                     "group, flush, exit 0. Exit status: 0 clean stop, 1 fatal Kafka error,\n"
                     "2 bad usage or config, 3 model cannot be loaded.\n");
}

/* The worker's options from the loaded config (borrowing its strings). */
/* glibc gives each new thread a malloc arena of its own, up to eight per
 * core, and an arena keeps what its thread frees. librdkafka's threads
 * allocate fetch and produce buffers of every size, so with an arena each
 * they held 8-12 MB between them, and the worker's RSS grew with time (a
 * paced 15 s run: 61-66 MB). One arena per classification thread plus one
 * for librdkafka's and the rest: bench_worker peak RSS 55-58 -> 52-54 MB at
 * full rate, 53 MB paced, and no more CPU per message. MALLOC_ARENA_MAX or
 * glibc.malloc.arena_max in GLIBC_TUNABLES set by the operator win. Called
 * before librdkafka starts its threads. */
static void run_limit_malloc_arenas(int pipelines)
{
#ifdef __GLIBC__
        const char *tunables = getenv("GLIBC_TUNABLES");
        int arenas = (pipelines > 1 ? pipelines : 1) + 1;

        if (getenv("MALLOC_ARENA_MAX") || (tunables && strstr(tunables, "glibc.malloc.arena_max")))
                return;
        if (!mallopt(M_ARENA_MAX, arenas))
                log_event(LOG_WARN, "malloc_arenas", "mallopt(M_ARENA_MAX, %d) refused", arenas);
#else
        (void)pipelines;
#endif
}

static void run_worker_options(const struct config *c, const char **kafka,
                               struct pipeline_options *popts, struct metrics *metrics,
                               struct worker_options *wo)
{
        const char *guarantee = config_get(c, "processing.guarantee");

        memset(wo, 0, sizeof(*wo));
        wo->input_topics = config_get(c, "input.topics");
        wo->output_topics = config_get(c, "output.topics");
        wo->dlq_topic = config_get(c, "dlq.topic");
        wo->dlq_max_bytes = config_get_int(c, "dlq.max.bytes");
        wo->exactly_once = guarantee && !strcmp(guarantee, "exactly_once");
        wo->pipelines = (int)config_get_int(c, "pipelines");
        wo->max_inflight = config_get_int(c, "max.inflight");
        wo->shutdown_timeout_ms = config_get_int(c, "shutdown.timeout.ms");
        wo->txn_max_messages = config_get_int(c, "transaction.max.messages");
        wo->txn_max_ms = config_get_int(c, "transaction.max.ms");
        wo->commit_interval_ms = config_get_int(c, "commit.interval.ms");
        wo->kafka = kafka;
        wo->pipeline = popts;
        wo->metrics = metrics;
}

/* SIGHUP's default action kills: until the reloader owns it (after
 * worker_new, which may wait for brokers) it is ignored. SIGTERM and SIGINT
 * are ours from the start. */
static void run_install_signals(void)
{
        struct sigaction sa;

        signal(SIGHUP, SIG_IGN);
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = run_on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
}

/* The metrics endpoints first, so a port clash fails before connecting and
 * the probes answer while worker_new waits for brokers (/readyz: not ready;
 * /healthz: healthy for health.stall.ms). NULL when metrics.listen is empty. */
static struct http_server *run_start_http(const struct config *c, struct metrics *metrics)
{
        const char *listen = config_get(c, "metrics.listen");
        struct http_server *http;
        char err[512];

        if (!listen || !*listen)
                return NULL;
        http = http_start(listen, metrics, config_get_int(c, "health.stall.ms"), err, sizeof(err));
        if (!http)
                LOG_FATAL(EXIT_USAGE, "metrics_listen_failed", "metrics.listen: %s", err);
        log_event(LOG_INFO, "http_listening", "metrics, healthz, readyz on %s (port %d)", listen,
                  http_port(http));
        return http;
}

/* The SIGHUP reloader, re-reading the config the way this process did. */
static struct reloader *run_start_reloader(const struct cli_config_args *args,
                                           const struct config *c, struct metrics *metrics,
                                           struct worker *w)
{
        struct reload_options ro;
        struct reloader *reloader;
        char err[512];

        memset(&ro, 0, sizeof(ro));
        ro.config_path = args->path;
        ro.envp = environ;
        ro.args = args->xs;
        ro.n_args = args->n_x;
        ro.load = config_load_model;
        ro.swap = run_swap_model;
        ro.swap_opaque = w;
        ro.metrics = metrics;
        ro.current = c;
        reloader = reloader_start(&ro, err, sizeof(err));
        if (!reloader)
                LOG_FATAL(EXIT_FAILURE_RUNTIME, "reload_start_failed", "%s", err);
        return reloader;
}

int cmd_run(int argc, char **argv)
{
        static const struct option longopts[] = {
            {"config", required_argument, NULL, 'c'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        struct cli_config_args args;
        int opt, rc;
        struct config *c;
        struct pipeline_options popts;
        struct pipeline_model *model;
        struct worker_options wo;
        const char **kafka;
        struct worker *w;
        struct metrics *metrics;
        struct http_server *http;
        struct reloader *reloader;
        const char *level;
        char err[1024];

        /* 1. arguments */
        cli_config_args_init(&args, argc);
        optind = 1;
        while ((opt = getopt_long(argc, argv, "c:X:h", longopts, NULL)) != -1) {
                if (cli_config_args_take(&args, opt, optarg))
                        continue;
                run_usage(opt == 'h' ? stdout : stderr);
                cli_config_args_free(&args);
                return opt == 'h' ? EXIT_OK : EXIT_USAGE;
        }
        if (optind < argc) {
                fprintf(stderr, "stemtag run: unexpected argument '%s'\n", argv[optind]);
                run_usage(stderr);
                cli_config_args_free(&args);
                return EXIT_USAGE;
        }
        run_install_signals();

        /* 2. config and model: every config error exits 2 before connecting */
        c = cli_config_load(&args, 1, err, sizeof(err));
        if (!c)
                LOG_FATAL(EXIT_USAGE, "bad_config", "%s", err);
        level = config_get(c, "log.level");
        if (level && log_level_parse(level) >= 0)
                log_set_level((enum log_level)log_level_parse(level));
        config_log_effective(c); /* ops: one startup line, secrets redacted */
        if (config_to_pipeline_options(c, &popts, err, sizeof(err)) < 0)
                LOG_FATAL(EXIT_USAGE, "bad_config", "%s", err);
        model = config_load_model(c, err, sizeof(err));
        if (!model)
                LOG_FATAL(EXIT_MODEL, "model_load_failed", "%s", err);

        /* 3. operations endpoints, then the worker (which waits for brokers) */
        kafka = cli_kafka_pairs(c);
        metrics = metrics_new();
        if (!kafka || !metrics)
                LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
        metrics_set_build_info(metrics, STEMTAG_VERSION, STEMTAG_GIT_REV); /* ops: build_info */
        http = run_start_http(c, metrics);
        run_worker_options(c, kafka, &popts, metrics, &wo);
        run_limit_malloc_arenas(wo.pipelines);
        w = worker_new(&wo, model, err, sizeof(err));
        if (!w) {
                http_stop(http);
                LOG_FATAL(EXIT_FAILURE_RUNTIME, "worker_start_failed", "%s", err);
        }

        metrics_set_pull(metrics, worker_metrics_pull, w);

        /* 4. run until stopped */
        reloader = run_start_reloader(&args, c, metrics, w);

        run_worker = w;
        if (run_stop_pending) /* a stop asked for while starting */
                worker_stop(w);

        rc = worker_run(w, err, sizeof(err));
        run_worker = NULL;
        reloader_stop(reloader);
        http_stop(http);
        metrics_set_pull(metrics, NULL, NULL);
        worker_destroy(w);
        metrics_destroy(metrics);
        if (rc < 0)
                LOG_FATAL(EXIT_FAILURE_RUNTIME, "worker_failed", "%s", err);
        free(kafka);
        cli_config_args_free(&args);
        config_destroy(c);
        return EXIT_OK;
}
