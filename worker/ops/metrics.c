/* metrics: Prometheus registry, librdkafka statistics, health state. */
#include "metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "hash.h"

/* Processing latency buckets (seconds): the pure path takes tens of
 * microseconds to a few milliseconds per article. */
static const double hist_bounds[] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                     0.025,   0.05,   0.1,     0.25,   0.5,   1.0,    2.5};
#define HIST_N (sizeof(hist_bounds) / sizeof(hist_bounds[0]))

/* Label table: open addressing, entries published with release stores and
 * never removed, so lookups need no lock. */
#define LABEL_SLOTS 1024
#define LABEL_LIMIT 768 /* past this many distinct values, fold into "_other" */

struct label_entry {
        atomic_uint_fast64_t n;
        char *a, *b; /* kind, value */
};

struct label_table {
        _Atomic(struct label_entry *) slot[LABEL_SLOTS];
        size_t used; /* under mu */
        pthread_mutex_t mu;
};

struct lag_entry {
        char *topic;
        int32_t partition;
        int64_t lag;
};

struct metrics {
        atomic_uint_fast64_t hist[HIST_N + 1]; /* last: +Inf */
        atomic_uint_fast64_t hist_sum_ns;
        struct label_table tags, errors;
        atomic_uint_fast64_t reloads_ok, reloads_failed;
        atomic_int_fast64_t last_reload_ok_ms; /* wall clock, 0 = never */
        atomic_int_fast64_t heartbeat_ms;      /* monotonic */
        int64_t started_ms;                    /* monotonic */
        atomic_int brokers_up;                 /* -1 unknown, 0 down, 1 up */
        atomic_int cgrp_up;                    /* -1 unknown, 0, 1 */
        atomic_int_fast64_t producer_queue;    /* -1 unknown */

        pthread_mutex_t mu; /* pull callback, lag table, build info */
        char version[64], revision[64];
        metrics_pull_fn pull;
        void *pull_opaque;
        struct lag_entry *lag;
        size_t n_lag;
};

static int64_t now_ms(clockid_t clk)
{
        struct timespec ts;
        clock_gettime(clk, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void label_table_init(struct label_table *t)
{
        for (size_t i = 0; i < LABEL_SLOTS; i++)
                atomic_init(&t->slot[i], NULL);
        t->used = 0;
        pthread_mutex_init(&t->mu, NULL);
}

static void label_table_free(struct label_table *t)
{
        for (size_t i = 0; i < LABEL_SLOTS; i++) {
                struct label_entry *e = atomic_load(&t->slot[i]);
                if (e) {
                        free(e->a);
                        free(e->b);
                        free(e);
                }
        }
        pthread_mutex_destroy(&t->mu);
}

static uint64_t label_hash(const char *a, const char *b)
{
        uint64_t h = hash_fnv1a(a, strlen(a), HASH_FNV_SEED);
        h = hash_fnv1a("\xff", 1, h);
        return hash_fnv1a(b, strlen(b), h);
}

/* Finds (or, under the mutex, inserts) the entry for (a, b). NULL on OOM. */
static struct label_entry *label_get(struct label_table *t, const char *a, const char *b)
{
        uint64_t h = label_hash(a, b);
        size_t i = (size_t)(h % LABEL_SLOTS);
        struct label_entry *e;

        for (size_t probe = 0; probe < LABEL_SLOTS; probe++, i = (i + 1) % LABEL_SLOTS) {
                e = atomic_load_explicit(&t->slot[i], memory_order_acquire);
                if (!e)
                        break;
                if (!strcmp(e->a, a) && !strcmp(e->b, b))
                        return e;
        }
        pthread_mutex_lock(&t->mu);
        if (t->used >= LABEL_LIMIT && strcmp(b, "_other")) {
                pthread_mutex_unlock(&t->mu);
                return label_get(t, a, "_other");
        }
        i = (size_t)(h % LABEL_SLOTS);
        for (size_t probe = 0; probe < LABEL_SLOTS; probe++, i = (i + 1) % LABEL_SLOTS) {
                e = atomic_load_explicit(&t->slot[i], memory_order_acquire);
                if (!e)
                        break;
                if (!strcmp(e->a, a) && !strcmp(e->b, b)) {
                        pthread_mutex_unlock(&t->mu);
                        return e; /* another thread inserted it meanwhile */
                }
        }
        e = calloc(1, sizeof(*e));
        if (e) {
                e->a = strdup(a);
                e->b = strdup(b);
                if (!e->a || !e->b) {
                        free(e->a);
                        free(e->b);
                        free(e);
                        e = NULL;
                }
        }
        if (e) {
                atomic_init(&e->n, 0);
                atomic_store_explicit(&t->slot[i], e, memory_order_release);
                t->used++;
        }
        pthread_mutex_unlock(&t->mu);
        return e;
}

static void label_inc(struct label_table *t, const char *a, const char *b)
{
        struct label_entry *e = label_get(t, a ? a : "", b ? b : "");
        if (e)
                atomic_fetch_add_explicit(&e->n, 1, memory_order_relaxed);
}

struct metrics *metrics_new(void)
{
        struct metrics *m = calloc(1, sizeof(*m));

        if (!m)
                return NULL;
        for (size_t i = 0; i <= HIST_N; i++)
                atomic_init(&m->hist[i], 0);
        atomic_init(&m->hist_sum_ns, 0);
        label_table_init(&m->tags);
        label_table_init(&m->errors);
        atomic_init(&m->reloads_ok, 0);
        atomic_init(&m->reloads_failed, 0);
        atomic_init(&m->last_reload_ok_ms, 0);
        m->started_ms = now_ms(CLOCK_MONOTONIC);
        atomic_init(&m->heartbeat_ms, 0);
        atomic_init(&m->brokers_up, -1);
        atomic_init(&m->cgrp_up, -1);
        atomic_init(&m->producer_queue, -1);
        pthread_mutex_init(&m->mu, NULL);
        return m;
}

static void lag_free(struct lag_entry *lag, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(lag[i].topic);
        free(lag);
}

void metrics_destroy(struct metrics *m)
{
        if (!m)
                return;
        label_table_free(&m->tags);
        label_table_free(&m->errors);
        lag_free(m->lag, m->n_lag);
        pthread_mutex_destroy(&m->mu);
        free(m);
}

void metrics_set_build_info(struct metrics *m, const char *version, const char *revision)
{
        pthread_mutex_lock(&m->mu);
        snprintf(m->version, sizeof(m->version), "%s", version ? version : "");
        snprintf(m->revision, sizeof(m->revision), "%s", revision ? revision : "");
        pthread_mutex_unlock(&m->mu);
}

void metrics_set_pull(struct metrics *m, metrics_pull_fn fn, void *opaque)
{
        pthread_mutex_lock(&m->mu);
        m->pull = fn;
        m->pull_opaque = opaque;
        pthread_mutex_unlock(&m->mu);
}

void metrics_observe_processing(struct metrics *m, double seconds)
{
        size_t b = 0;

        if (!(seconds >= 0))
                seconds = 0;
        while (b < HIST_N && seconds > hist_bounds[b])
                b++;
        atomic_fetch_add_explicit(&m->hist[b], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&m->hist_sum_ns, (uint_fast64_t)(seconds * 1e9 + 0.5),
                                  memory_order_relaxed);
}

void metrics_tag(struct metrics *m, const char *kind, const char *value)
{
        label_inc(&m->tags, kind, value ? value : "none");
}

void metrics_error(struct metrics *m, const char *kind)
{
        label_inc(&m->errors, kind, "");
}

void metrics_model_reload(struct metrics *m, int ok)
{
        if (ok) {
                atomic_fetch_add_explicit(&m->reloads_ok, 1, memory_order_relaxed);
                atomic_store(&m->last_reload_ok_ms, now_ms(CLOCK_REALTIME));
        } else {
                atomic_fetch_add_explicit(&m->reloads_failed, 1, memory_order_relaxed);
        }
}

void metrics_heartbeat(struct metrics *m)
{
        atomic_store_explicit(&m->heartbeat_ms, now_ms(CLOCK_MONOTONIC), memory_order_relaxed);
}

void metrics_set_brokers_up(struct metrics *m, int up)
{
        atomic_store(&m->brokers_up, up ? 1 : 0);
}

void metrics_set_producer_queue(struct metrics *m, int64_t n)
{
        atomic_store(&m->producer_queue, n);
}

/* Any broker in state UP counts as reachable; "brokers" lists bootstrap and
 * learned brokers alike. Returns -1 when the document has no brokers. */
static int stats_brokers_up(json_t *root)
{
        json_t *brokers = json_object_get(root, "brokers"), *b;
        const char *name;
        int seen = 0;

        if (!json_is_object(brokers))
                return -1;
        json_object_foreach(brokers, name, b)
        {
                const char *state = json_string_value(json_object_get(b, "state"));
                seen = 1;
                if (state && !strcmp(state, "UP"))
                        return 1;
        }
        return seen ? 0 : -1;
}

static int lag_cmp(const void *a, const void *b)
{
        const struct lag_entry *x = a, *y = b;
        int c = strcmp(x->topic, y->topic);
        return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* Lag of partitions this consumer is fetching; librdkafka reports -1 until
 * it knows both the committed offset and the high watermark. */
static int stats_lag(json_t *root, struct lag_entry **out, size_t *n_out)
{
        json_t *topics = json_object_get(root, "topics"), *t, *p;
        const char *tname, *pname;
        struct lag_entry *lag = NULL;
        size_t n = 0, cap = 0;

        *out = NULL;
        *n_out = 0;
        if (!json_is_object(topics))
                return 0;
        json_object_foreach(topics, tname, t)
        {
                json_t *parts = json_object_get(t, "partitions");
                json_object_foreach(parts, pname, p)
                {
                        json_int_t part = json_integer_value(json_object_get(p, "partition"));
                        json_t *lagv = json_object_get(p, "consumer_lag");
                        json_t *desired = json_object_get(p, "desired");

                        if (part < 0 || !json_is_integer(lagv) || json_integer_value(lagv) < 0)
                                continue;
                        if (desired && !json_is_true(desired))
                                continue;
                        if (n == cap) {
                                size_t ncap = cap ? cap * 2 : 16;
                                struct lag_entry *nl;
                                if (ncap > SIZE_MAX / sizeof(*nl))
                                        goto oom;
                                nl = realloc(lag, ncap * sizeof(*nl));
                                if (!nl)
                                        goto oom;
                                lag = nl;
                                cap = ncap;
                        }
                        lag[n].topic = strdup(tname);
                        if (!lag[n].topic)
                                goto oom;
                        lag[n].partition = (int32_t)part;
                        lag[n].lag = json_integer_value(lagv);
                        n++;
                }
        }
        if (n)
                qsort(lag, n, sizeof(*lag), lag_cmp);
        *out = lag;
        *n_out = n;
        return 0;
oom:
        lag_free(lag, n);
        return -1;
}

int metrics_stats_json(struct metrics *m, const char *json, size_t len)
{
        json_error_t jerr;
        json_t *root = json_loadb(json, len, 0, &jerr);
        const char *type;
        int up;

        if (!json_is_object(root)) {
                json_decref(root);
                metrics_error(m, "stats");
                return -1;
        }
        up = stats_brokers_up(root);
        if (up >= 0)
                atomic_store(&m->brokers_up, up);
        type = json_string_value(json_object_get(root, "type"));
        if (type && !strcmp(type, "producer")) {
                json_t *cnt = json_object_get(root, "msg_cnt");
                if (json_is_integer(cnt))
                        atomic_store(&m->producer_queue, json_integer_value(cnt));
        } else if (type && !strcmp(type, "consumer")) {
                json_t *cgrp = json_object_get(root, "cgrp");
                struct lag_entry *lag, *old;
                size_t n, n_old;

                if (json_is_object(cgrp)) {
                        const char *state = json_string_value(json_object_get(cgrp, "state"));
                        atomic_store(&m->cgrp_up, state && !strcmp(state, "up"));
                }
                if (stats_lag(root, &lag, &n) < 0) {
                        json_decref(root);
                        metrics_error(m, "stats");
                        return -1;
                }
                pthread_mutex_lock(&m->mu);
                old = m->lag;
                n_old = m->n_lag;
                m->lag = lag;
                m->n_lag = n;
                pthread_mutex_unlock(&m->mu);
                lag_free(old, n_old);
        }
        json_decref(root);
        return 0;
}

/* Growable output buffer; a failed allocation sticks and render returns NULL. */
struct buf {
        char *p;
        size_t len, cap;
        int oom;
};

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void buf_printf(struct buf *b, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (b->oom)
                return;
        for (;;) {
                va_start(ap, fmt);
                n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
                va_end(ap);
                if (n < 0) {
                        b->oom = 1;
                        return;
                }
                if ((size_t)n < b->cap - b->len) {
                        b->len += (size_t)n;
                        return;
                }
                {
                        size_t ncap = b->cap * 2 + (size_t)n;
                        char *np = realloc(b->p, ncap);
                        if (!np) {
                                b->oom = 1;
                                return;
                        }
                        b->p = np;
                        b->cap = ncap;
                }
        }
}

/* Label values escaped per the text format: backslash, quote, newline. */
static void buf_label(struct buf *b, const char *s)
{
        for (; *s; s++) {
                if (*s == '\\')
                        buf_printf(b, "\\\\");
                else if (*s == '"')
                        buf_printf(b, "\\\"");
                else if (*s == '\n')
                        buf_printf(b, "\\n");
                else
                        buf_printf(b, "%c", *s);
        }
}

static void head(struct buf *b, const char *name, const char *type, const char *help)
{
        buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

char *metrics_render(struct metrics *m, size_t *len_out)
{
        struct metrics_worker_values w;
        struct buf b = {0};
        uint64_t cum = 0;
        int64_t q;

        memset(&w, 0, sizeof(w));
        w.assigned = -1;
        b.cap = 8192;
        b.p = malloc(b.cap);
        if (!b.p)
                return NULL;
        b.p[0] = '\0';

        pthread_mutex_lock(&m->mu);
        if (m->pull)
                m->pull(m->pull_opaque, &w);

        head(&b, "stemtag_messages_consumed_total", "counter",
             "Input messages consumed from Kafka.");
        buf_printf(&b, "stemtag_messages_consumed_total %llu\n", (unsigned long long)w.consumed);
        head(&b, "stemtag_messages_produced_total", "counter",
             "Enriched records acknowledged by the broker.");
        buf_printf(&b, "stemtag_messages_produced_total %llu\n", (unsigned long long)w.produced);
        head(&b, "stemtag_messages_dead_lettered_total", "counter",
             "Messages written to the dead-letter topic, by reason.");
        for (size_t i = 0; i < w.n_reasons && i < METRICS_MAX_REASONS; i++) {
                buf_printf(&b, "stemtag_messages_dead_lettered_total{reason=\"");
                buf_label(&b, w.dlq_reason[i] ? w.dlq_reason[i] : "other");
                buf_printf(&b, "\"} %llu\n", (unsigned long long)w.dlq_count[i]);
        }

        head(&b, "stemtag_processing_seconds", "histogram",
             "Time one message spends in the pure path (parse to record).");
        for (size_t i = 0; i < HIST_N; i++) {
                cum += atomic_load_explicit(&m->hist[i], memory_order_relaxed);
                buf_printf(&b, "stemtag_processing_seconds_bucket{le=\"%g\"} %llu\n",
                           hist_bounds[i], (unsigned long long)cum);
        }
        cum += atomic_load_explicit(&m->hist[HIST_N], memory_order_relaxed);
        buf_printf(&b, "stemtag_processing_seconds_bucket{le=\"+Inf\"} %llu\n",
                   (unsigned long long)cum);
        buf_printf(&b, "stemtag_processing_seconds_sum %.9f\n",
                   (double)atomic_load_explicit(&m->hist_sum_ns, memory_order_relaxed) / 1e9);
        buf_printf(&b, "stemtag_processing_seconds_count %llu\n", (unsigned long long)cum);

        head(&b, "stemtag_tags_total", "counter",
             "Tags assigned, by kind (language, section) and value.");
        for (size_t i = 0; i < LABEL_SLOTS; i++) {
                struct label_entry *e =
                    atomic_load_explicit(&m->tags.slot[i], memory_order_acquire);
                if (!e)
                        continue;
                buf_printf(&b, "stemtag_tags_total{kind=\"");
                buf_label(&b, e->a);
                buf_printf(&b, "\",value=\"");
                buf_label(&b, e->b);
                buf_printf(&b, "\"} %llu\n", (unsigned long long)atomic_load(&e->n));
        }

        head(&b, "stemtag_consumer_lag", "gauge",
             "Messages behind the high watermark per assigned partition (librdkafka statistics).");
        for (size_t i = 0; i < m->n_lag; i++) {
                buf_printf(&b, "stemtag_consumer_lag{topic=\"");
                buf_label(&b, m->lag[i].topic);
                buf_printf(&b, "\",partition=\"%d\"} %lld\n", (int)m->lag[i].partition,
                           (long long)m->lag[i].lag);
        }

        head(&b, "stemtag_rebalances_total", "counter", "Consumer group rebalance events.");
        buf_printf(&b, "stemtag_rebalances_total %llu\n", (unsigned long long)w.rebalances);

        q = atomic_load(&m->producer_queue);
        head(&b, "stemtag_producer_queue_messages", "gauge",
             "Messages waiting in the producer queue (librdkafka msg_cnt).");
        buf_printf(&b, "stemtag_producer_queue_messages %lld\n", (long long)(q < 0 ? 0 : q));

        head(&b, "stemtag_errors_total", "counter", "Errors by kind.");
        buf_printf(&b, "stemtag_errors_total{kind=\"kafka\"} %llu\n",
                   (unsigned long long)w.kafka_errors);
        buf_printf(&b, "stemtag_errors_total{kind=\"delivery\"} %llu\n",
                   (unsigned long long)w.delivery_errors);
        for (size_t i = 0; i < LABEL_SLOTS; i++) {
                struct label_entry *e =
                    atomic_load_explicit(&m->errors.slot[i], memory_order_acquire);
                if (!e)
                        continue;
                buf_printf(&b, "stemtag_errors_total{kind=\"");
                buf_label(&b, e->a);
                buf_printf(&b, "\"} %llu\n", (unsigned long long)atomic_load(&e->n));
        }

        head(&b, "stemtag_inflight_messages", "gauge", "Consumed messages not yet acknowledged.");
        buf_printf(&b, "stemtag_inflight_messages %lld\n", (long long)w.inflight);
        head(&b, "stemtag_assigned_partitions", "gauge",
             "Input partitions assigned to this worker.");
        buf_printf(&b, "stemtag_assigned_partitions %lld\n",
                   (long long)(w.assigned < 0 ? 0 : w.assigned));
        head(&b, "stemtag_input_paused", "gauge", "1 while input is paused by backpressure.");
        buf_printf(&b, "stemtag_input_paused %d\n", w.paused);
        head(&b, "stemtag_input_pauses_total", "counter",
             "Times input was paused by backpressure.");
        buf_printf(&b, "stemtag_input_pauses_total %llu\n", (unsigned long long)w.pauses);
        head(&b, "stemtag_commits_total", "counter", "Offset commits (or committed transactions).");
        buf_printf(&b, "stemtag_commits_total %llu\n", (unsigned long long)w.commits);
        head(&b, "stemtag_build_info", "gauge", "Always 1; the labels name the build.");
        buf_printf(&b, "stemtag_build_info{version=\"");
        buf_label(&b, m->version);
        buf_printf(&b, "\",revision=\"");
        buf_label(&b, m->revision);
        buf_printf(&b, "\",librdkafka=\"");
        buf_label(&b, rd_kafka_version_str());
        buf_printf(&b, "\"} 1\n");
        pthread_mutex_unlock(&m->mu);

        head(&b, "stemtag_model_reloads_total", "counter", "SIGHUP model reloads, by result.");
        buf_printf(&b, "stemtag_model_reloads_total{result=\"ok\"} %llu\n",
                   (unsigned long long)atomic_load(&m->reloads_ok));
        buf_printf(&b, "stemtag_model_reloads_total{result=\"failed\"} %llu\n",
                   (unsigned long long)atomic_load(&m->reloads_failed));
        head(&b, "stemtag_broker_up", "gauge",
             "1 when a broker is reachable, 0 when all are down, -1 unknown yet.");
        buf_printf(&b, "stemtag_broker_up %d\n", atomic_load(&m->brokers_up));

        if (b.oom) {
                free(b.p);
                return NULL;
        }
        if (len_out)
                *len_out = b.len;
        return b.p;
}

int metrics_healthy(struct metrics *m, int64_t stall_ms, char *why, size_t why_size)
{
        int64_t now = now_ms(CLOCK_MONOTONIC);
        int64_t hb = atomic_load_explicit(&m->heartbeat_ms, memory_order_relaxed);
        int64_t since = now - (hb ? hb : m->started_ms);

        if (since <= stall_ms)
                return 1;
        snprintf(why, why_size, "%s %lld ms ago (limit %lld ms)",
                 hb ? "worker loop last turned" : "worker loop has not started; process started",
                 (long long)since, (long long)stall_ms);
        return 0;
}

int metrics_ready(struct metrics *m, char *why, size_t why_size)
{
        struct metrics_worker_values w;
        int brokers = atomic_load(&m->brokers_up), cgrp = atomic_load(&m->cgrp_up);

        memset(&w, 0, sizeof(w));
        w.assigned = -1;
        pthread_mutex_lock(&m->mu);
        if (m->pull)
                m->pull(m->pull_opaque, &w);
        pthread_mutex_unlock(&m->mu);
        if (brokers == 0) {
                snprintf(why, why_size, "no broker reachable");
                return 0;
        }
        if (w.assigned > 0 || cgrp == 1)
                return 1;
        snprintf(why, why_size, "no partitions assigned and consumer group not joined (state %s)",
                 cgrp < 0 ? "unknown: no statistics yet" : "not up");
        return 0;
}
