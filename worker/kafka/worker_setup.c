/* worker_setup: options -> librdkafka configuration (our defaults, the
 * user's kafka.* keys, what the guarantees need), fail-fast topic checks, and
 * worker_new. Shared state: worker_internal.h. */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "log.h"
#include "metrics.h"
#include "offset_tracker.h"
#include "payload_pool.h"
#include "route.h"
#include "worker_internal.h"

static void worker_split_inputs(struct worker *w, const char *spec)
{
        const char *p = spec ? spec : "";
        while (*p && w->input_count < WORKER_MAX_INPUT_TOPICS) {
                const char *end = strchr(p, ',');
                size_t len = end ? (size_t)(end - p) : strlen(p);
                while (len && (*p == ' ' || *p == '\t')) {
                        p++;
                        len--;
                }
                while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
                        len--;
                if (len)
                        w->input_topics[w->input_count++] = strndup(p, len);
                p = end ? end + 1 : p + strlen(p);
        }
}

static int worker_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *errstr,
                           size_t errstr_size)
{
        char err[512];
        if (rd_kafka_conf_set(conf, key, value, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
                snprintf(errstr, errstr_size, "kafka.%s: %s", key, err);
                return -1;
        }
        return 0;
}

static int worker_has_kafka_key(const struct worker_options *o, const char *key)
{
        for (const char *const *kv = o->kafka; kv && kv[0] && kv[1]; kv += 2)
                if (!strcmp(kv[0], key))
                        return 1;
        return 0;
}

/* kafka.group.instance.id (static membership), or NULL. Borrowed from @p o. */
static const char *worker_static_instance(const struct worker_options *o)
{
        const char *v = NULL;
        for (const char *const *kv = o->kafka; kv && kv[0] && kv[1]; kv += 2)
                if (!strcmp(kv[0], "group.instance.id") ||
                    !strcmp(kv[0], "consumer.group.instance.id"))
                        v = kv[1];
        return v && *v ? v : NULL;
}

/* The worker's librdkafka defaults (client NULL: both clients). */
static const struct {
        const char *client, *key, *value;
} worker_kafka_defaults[] = {
    {NULL, "client.id", "stemtag"},
    {"consumer", "group.id", "stemtag"},
    {"consumer", "partition.assignment.strategy", "cooperative-sticky"},
    {"consumer", "auto.offset.reset", "earliest"},
    /* A SIGKILLed member is noticed after 10 s, not librdkafka's 45 s
     * (docs/operations.md "Failover": the trade-off). */
    {"consumer", "session.timeout.ms", "10000"},
    {"consumer", "heartbeat.interval.ms", "2000"},
    /* Bounded prefetch for the 64 MB RSS budget (the library default is
     * 64 MB); the bound is per partition. With fetch.queue.backoff.ms below,
     * 2 MB (~1,200 articles, 35 ms of work each) never runs dry: one worker
     * on 4 partitions peaked at 55 MB where 4 MB gave 60-65 and 8 MB 60-67,
     * at the same msg/s (docs/kafka.md). */
    {"consumer", "queued.max.messages.kbytes", "2048"},
    /* Once that queue is full librdkafka looks again only after this (1000 ms
     * by default; before 2.2 always ~1 s): a CPU-bound worker read about one
     * queue-full per second and waited for the rest (docs/kafka.md). 10 ms
     * refills the queue long before it runs dry, for a few wake-ups. */
    {"consumer", "fetch.queue.backoff.ms", "10"},
    /* Fewer, larger produce requests: a tenth of the broker-thread and
     * poller wake-ups of 5 ms. Worker msg per CPU-second / classify's
     * 0.74-0.81 -> 0.90-0.99 (docs/kafka.md); the latency it adds is small
     * beside the consumer side's. */
    {"producer", "linger.ms", "50"},
};

int worker_kafka_default(size_t i, const char **client, const char **key, const char **value)
{
        if (i >= sizeof(worker_kafka_defaults) / sizeof(worker_kafka_defaults[0]))
                return -1;
        *client = worker_kafka_defaults[i].client;
        *key = worker_kafka_defaults[i].key;
        *value = worker_kafka_defaults[i].value;
        return 0;
}

int worker_kafka_conf_apply(rd_kafka_conf_t *conf, const char *const *kafka, int consumer,
                            char *errstr, size_t errstr_size)
{
        const char *side = consumer ? "consumer." : "producer.";
        const char *other = consumer ? "producer." : "consumer.";
        const char *client, *dkey, *dvalue;

        rd_kafka_conf_set_log_cb(conf, worker_on_log); /* JSON lines like ours */
        for (size_t i = 0; worker_kafka_default(i, &client, &dkey, &dvalue) == 0; i++)
                if ((!client || !strcmp(client, consumer ? "consumer" : "producer")) &&
                    worker_conf_set(conf, dkey, dvalue, errstr, errstr_size))
                        return -1;
        for (const char *const *kv = kafka; kv && kv[0] && kv[1]; kv += 2) {
                const char *key = kv[0];
                if (!strncmp(key, other, strlen(other)))
                        continue;
                if (!strncmp(key, side, strlen(side)))
                        key += strlen(side);
                if (!strcmp(key, "group.id") && !consumer)
                        continue;
                if (worker_conf_set(conf, key, kv[1], errstr, errstr_size))
                        return -1;
        }
        return 0;
}

/* Our defaults, then the user's kafka.* keys, then what the guarantees need. */
static rd_kafka_conf_t *worker_conf(struct worker *w, const struct worker_options *o, int consumer,
                                    char *errstr, size_t errstr_size)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char txid[256], host[128];

        rd_kafka_conf_set_opaque(conf, w);
        rd_kafka_conf_set_error_cb(conf, worker_on_error);
        if (o->metrics) {
                /* lag, queue depth and broker state for /metrics (before the
                 * user's keys, which may override the interval) */
                rd_kafka_conf_set_stats_cb(conf, worker_on_stats);
                if (worker_conf_set(conf, "statistics.interval.ms", "5000", errstr, errstr_size))
                        goto fail;
        }
        if (worker_kafka_conf_apply(conf, o->kafka, consumer, errstr, errstr_size))
                goto fail;
        if (consumer) {
                rd_kafka_conf_set_rebalance_cb(conf, worker_on_rebalance);
                rd_kafka_conf_set_offset_commit_cb(conf, worker_on_commit);
                /* commits are ours (worker_commit_maybe), never librdkafka's timer */
                if (worker_conf_set(conf, "enable.auto.offset.store", "false", errstr,
                                    errstr_size) ||
                    worker_conf_set(conf, "enable.auto.commit", "false", errstr, errstr_size) ||
                    (w->exactly_once && worker_conf_set(conf, "isolation.level", "read_committed",
                                                        errstr, errstr_size)))
                        goto fail;
        } else {
                rd_kafka_conf_set_dr_msg_cb(conf, worker_on_delivery);
                if (worker_conf_set(conf, "enable.idempotence", "true", errstr, errstr_size))
                        goto fail;
                if (w->exactly_once && !worker_has_kafka_key(o, "transactional.id") &&
                    !worker_has_kafka_key(o, "producer.transactional.id")) {
                        /* unique per process: two replicas on one host must not fence
                         * each other; a crashed process's open transaction is aborted by
                         * the broker after transaction.timeout.ms */
                        char group[128] = "stemtag";
                        const char *instance = worker_static_instance(o);
                        for (const char *const *kv = o->kafka; kv && kv[0] && kv[1]; kv += 2)
                                if (!strcmp(kv[0], "group.id") ||
                                    !strcmp(kv[0], "consumer.group.id"))
                                        snprintf(group, sizeof(group), "%s", kv[1]);
                        if (gethostname(host, sizeof(host)))
                                snprintf(host, sizeof(host), "unknown");
                        host[sizeof(host) - 1] = '\0';
                        /* a static member is one stable replica: its restart fences
                         * (aborts) its predecessor's open transaction at once */
                        int len;
                        if (instance)
                                len = snprintf(txid, sizeof(txid), "%s-%s", group, instance);
                        else
                                len = snprintf(txid, sizeof(txid), "%s-%s-%ld", group, host,
                                               (long)getpid());
                        /* a cut id could collide with another replica's: refuse it */
                        if (len < 0 || (size_t)len >= sizeof(txid)) {
                                snprintf(errstr, errstr_size,
                                         "transactional.id from consumer.group.id is too long "
                                         "(%zu bytes max)",
                                         sizeof(txid) - 1);
                                goto fail;
                        }
                        if (worker_conf_set(conf, "transactional.id", txid, errstr, errstr_size))
                                goto fail;
                }
        }
        return conf;
fail:
        rd_kafka_conf_destroy(conf);
        return NULL;
}

static int worker_check_topic(struct worker *w, const char *name, const char *what, char *errstr,
                              size_t errstr_size)
{
        rd_kafka_topic_t *rkt;
        char err[512];
        int rc = route_registry_lookup(w->registry, name, WORKER_METADATA_TIMEOUT_MS, &rkt, err,
                                       sizeof(err));
        if (rc == 1)
                return 0;
        /* Serve the producer's pending error events (nothing else polls it
         * yet): the error callback may know the real cause, e.g. SASL
         * authentication failed. Report that, not the metadata timeout it led to. */
        if (rc < 0)
                rd_kafka_poll(w->producer, 0);
        if (rc == 0)
                snprintf(errstr, errstr_size, "%s topic %s does not exist", what, name);
        else if (atomic_load(&w->failed))
                snprintf(errstr, errstr_size, "%s", w->fail_msg);
        else
                snprintf(errstr, errstr_size, "cannot check %s topic %s (brokers unreachable?): %s",
                         what, name, err);
        return -1;
}

/* Settings copied from @p o and checked (no Kafka client yet). */
static int worker_settings(struct worker *w, const struct worker_options *o, char *errstr,
                           size_t errstr_size)
{
        w->metrics = o->metrics;
        w->exactly_once = o->exactly_once;
        w->max_inflight = o->max_inflight > 0 ? o->max_inflight : 1;
        w->dlq_max_bytes = o->dlq_max_bytes > 0 ? (size_t)o->dlq_max_bytes : 0;
        w->shutdown_timeout_ms = o->shutdown_timeout_ms > 0 ? o->shutdown_timeout_ms : 1;
        w->txn_max_messages = o->txn_max_messages > 0 ? o->txn_max_messages : 1;
        w->txn_max_ms = o->txn_max_ms > 0 ? o->txn_max_ms : 1;
        w->commit_interval_ms = o->commit_interval_ms > 0 ? o->commit_interval_ms : 1000;
        w->static_instance = worker_static_instance(o) ? strdup(worker_static_instance(o)) : NULL;
        w->dlq_topic = strdup(o->dlq_topic ? o->dlq_topic : "");
        w->track = otrack_new();
        w->txn_offsets = rd_kafka_topic_partition_list_new(8);
        if (!w->dlq_topic || !w->track) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        if (!*w->dlq_topic) {
                snprintf(errstr, errstr_size, "dlq.topic: empty (a dead-letter topic is required)");
                return -1;
        }
        worker_split_inputs(w, o->input_topics);
        if (!w->input_count) {
                snprintf(errstr, errstr_size, "input.topics: no input topic given");
                return -1;
        }
        {
                char why[384];
                if (topic_templates_parse(&w->routes, o->output_topics, why, sizeof(why))) {
                        snprintf(errstr, errstr_size, "output.topics: %s", why);
                        return -1;
                }
        }
        if (!worker_has_kafka_key(o, "bootstrap.servers") &&
            !worker_has_kafka_key(o, "metadata.broker.list")) {
                snprintf(errstr, errstr_size, "kafka.bootstrap.servers is not set");
                return -1;
        }
        return 0;
}

/* One client (producer: consumer = 0) of @p o's configuration, or NULL. */
static rd_kafka_t *worker_client_new(struct worker *w, const struct worker_options *o, int consumer,
                                     char *errstr, size_t errstr_size)
{
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        char err[512];

        if (!(conf = worker_conf(w, o, consumer, errstr, errstr_size)))
                return NULL;
        rk = rd_kafka_new(consumer ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER, conf, err, sizeof(err));
        if (!rk) {
                rd_kafka_conf_destroy(conf);
                snprintf(errstr, errstr_size, "%s: %s", consumer ? "consumer" : "producer", err);
        }
        return rk;
}

/* The producer, the consumer and the producer's topic registry. */
static int worker_clients(struct worker *w, const struct worker_options *o, char *errstr,
                          size_t errstr_size)
{
        if (!(w->producer = worker_client_new(w, o, 0, errstr, errstr_size)) ||
            !(w->consumer = worker_client_new(w, o, 1, errstr, errstr_size)))
                return -1;
        rd_kafka_poll_set_consumer(w->consumer);
        w->registry = route_registry_new(w->producer);
        if (!w->registry) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        return 0;
}

/* Fail fast on what cannot heal by itself: missing fixed topics. */
static int worker_check_topics(struct worker *w, char *errstr, size_t errstr_size)
{
        char err[512];

        if (worker_check_topic(w, w->dlq_topic, "dlq.topic", errstr, errstr_size))
                return -1;
        route_registry_lookup(w->registry, w->dlq_topic, 0, &w->dlq_rkt, err, sizeof(err));
        for (int i = 0; i < w->routes.count; i++)
                if (!w->routes.has_placeholder[i] &&
                    worker_check_topic(w, w->routes.tmpl[i], "output.topics", errstr, errstr_size))
                        return -1;
        for (int i = 0; i < w->input_count; i++)
                if (w->input_topics[i][0] != '^' &&
                    worker_check_topic(w, w->input_topics[i], "input.topics", errstr, errstr_size))
                        return -1;
        if (atomic_load(&w->failed)) {
                snprintf(errstr, errstr_size, "%s", w->fail_msg);
                return -1;
        }
        return 0;
}

/* One pipeline context per classification thread (one in all when the
 * consumer thread classifies), each with its hand-off queue. */
static int worker_contexts(struct worker *w, const struct worker_options *o, char *errstr,
                           size_t errstr_size)
{
        int nctx;

        w->nthreads = o->pipelines > 1 ? o->pipelines : 0;
        nctx = w->nthreads ? w->nthreads : 1;
        w->threads = calloc((size_t)nctx, sizeof(*w->threads));
        if (!w->threads) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        for (int i = 0; i < nctx; i++) {
                struct worker_thread *t = &w->threads[i];
                w->nctx = i + 1;
                t->w = w;
                pthread_mutex_init(&t->lock, NULL);
                pthread_cond_init(&t->cond, NULL);
                t->ctx = pipeline_ctx_new(o->pipeline);
                t->pool = payload_pool_new();
                if (!t->ctx || !t->pool) {
                        snprintf(errstr, errstr_size, "pipeline context: out of memory");
                        return -1;
                }
                if (w->nthreads) {
                        /* A short hand-off queue: the consumer thread waits when it is
                         * full (a few ms of classification), so unclassified messages
                         * do not pin fetch buffers by the thousand (RSS). */
                        t->cap = WORKER_THREAD_QUEUE;
                        t->ring = calloc(t->cap, sizeof(*t->ring));
                        if (!t->ring) {
                                snprintf(errstr, errstr_size, "out of memory");
                                return -1;
                        }
                }
        }
        return 0;
}

struct worker *worker_new(const struct worker_options *o, struct pipeline_model *model,
                          char *errstr, size_t errstr_size)
{
        struct worker *w = calloc(1, sizeof(*w));

        if (!w) {
                snprintf(errstr, errstr_size, "out of memory");
                pipeline_model_unref(model);
                return NULL;
        }
        pthread_mutex_init(&w->model_lock, NULL);
        sem_init(&w->stop_sem, 0, 0); /* cannot fail: not shared, value 0 */
        w->model = model;
        if (worker_settings(w, o, errstr, errstr_size) ||
            worker_clients(w, o, errstr, errstr_size) ||
            worker_check_topics(w, errstr, errstr_size) ||
            worker_contexts(w, o, errstr, errstr_size)) {
                worker_destroy(w);
                return NULL;
        }
        return w;
}
