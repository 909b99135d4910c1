/* worker: consume -> classify -> produce, after librdkafka's examples/transactions.c
 * and INTRODUCTION.md "At-least-once processing". */
#include "worker.h"

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
#include "route.h"

#define WORKER_METADATA_TIMEOUT_MS 10000
#define WORKER_MAX_INPUT_TOPICS    64
#define WORKER_THREAD_QUEUE        256 /* messages waiting per classification thread */

struct worker_job {
        rd_kafka_message_t *msg;
        struct otrack_entry *entry;
};

/* One classification thread (or, with pipelines = 1, the consumer thread's
 * own context: tid unused). */
struct worker_thread {
        struct worker *w;
        pthread_t tid;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        struct worker_job *ring;
        size_t cap, head, len;
        int stop;    /* finish the queue, then exit */
        int abandon; /* drop queued jobs without producing (shutdown timed out) */
        struct pipeline_ctx *ctx;
        struct pipeline_model *model; /* this thread's reference */
        unsigned gen;
};

struct worker {
        /* settings */
        int exactly_once;
        long long max_inflight, shutdown_timeout_ms, txn_max_messages, txn_max_ms;
        long long commit_interval_ms;
        size_t dlq_max_bytes;
        char *dlq_topic;
        char *static_instance; /* kafka.group.instance.id, or NULL (dynamic member) */
        char *input_topics[WORKER_MAX_INPUT_TOPICS];
        int input_count;
        struct topic_templates routes;

        rd_kafka_t *consumer, *producer;
        struct metrics *metrics; /* borrowed, may be NULL */
        struct route_registry *registry;
        rd_kafka_topic_t *dlq_rkt; /* borrowed from the registry */
        struct otrack *track;
        struct worker_stats stats;

        /* model swap */
        pthread_mutex_t model_lock;
        struct pipeline_model *model;
        atomic_uint model_gen;

        struct worker_thread *threads; /* nctx contexts */
        int nctx;
        int nthreads; /* running threads; 0: classify on the consumer thread */
        pthread_t poller;
        atomic_int poller_stop;
        int poller_started;

        atomic_int stop;
        atomic_int failed;
        char fail_msg[512];
        int paused;

        /* at_least_once commits (consumer thread) */
        int commit_due;           /* offsets stored since the last commit request */
        int committed_once;       /* a commit was requested since start */
        long long last_commit_ms; /* when the last commit was requested */

        /* exactly_once */
        int txn_open;
        long long txn_msgs, txn_start_ms;
        rd_kafka_topic_partition_list_t *txn_offsets;
};

static long long worker_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void worker_sleep_ms(long ms)
{
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) && errno == EINTR)
                ;
}

/* Records the first fatal cause; worker_run stops and reports it. */
__attribute__((format(printf, 2, 3))) static void worker_fail(struct worker *w, const char *fmt,
                                                              ...)
{
        int zero = 0;
        va_list ap;
        /* the message is written before the flag is published */
        static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;

        pthread_mutex_lock(&fail_lock);
        if (atomic_load(&w->failed)) {
                pthread_mutex_unlock(&fail_lock);
                return;
        }
        va_start(ap, fmt);
        vsnprintf(w->fail_msg, sizeof(w->fail_msg), fmt, ap);
        va_end(ap);
        atomic_compare_exchange_strong(&w->failed, &zero, 1);
        pthread_mutex_unlock(&fail_lock);
}

/* ---- producing (pipeline threads) ---- */

/* Produces one message, waiting while the producer queue is full (the poller
 * thread keeps draining it): never drops. Takes over @p hdrs. On error the
 * entry is not marked: the caller decides (worker_mark_failed or dead-letter). */
static rd_kafka_resp_err_t worker_produce(struct worker *w, rd_kafka_topic_t *rkt,
                                          const void *value, size_t value_len, const void *key,
                                          size_t key_len, rd_kafka_headers_t *hdrs,
                                          struct otrack_entry *e)
{
        rd_kafka_resp_err_t err;

        otrack_entry_hold(e);
        for (;;) {
                err = rd_kafka_producev(
                    w->producer, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_KEY(key, key_len),
                    RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(e), RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                WSTAT_ADD(w->stats.queue_full, 1);
                worker_sleep_ms(1);
        }
        if (err) {
                rd_kafka_headers_destroy(hdrs);
                otrack_entry_release(e, 0);
        }
        return err;
}

/* The entry's offset must never be stored (nor committed in a transaction). */
static void worker_mark_failed(struct otrack_entry *e, rd_kafka_resp_err_t err)
{
        otrack_entry_hold(e);
        otrack_entry_release(e, err);
}

static rd_kafka_headers_t *worker_copy_headers(rd_kafka_message_t *m)
{
        rd_kafka_headers_t *in = NULL;
        if (rd_kafka_message_headers(m, &in) == RD_KAFKA_RESP_ERR_NO_ERROR && in)
                return rd_kafka_headers_copy(in);
        return rd_kafka_headers_new(8);
}

static void worker_dead_letter(struct worker *w, rd_kafka_message_t *m, struct otrack_entry *e,
                               const char *reason, const char *message)
{
        rd_kafka_headers_t *h = worker_copy_headers(m);
        rd_kafka_timestamp_type_t tstype;
        int64_t ts = rd_kafka_message_timestamp(m, &tstype);
        char num[32];
        rd_kafka_resp_err_t err;

        /* the input's own headers are the first N: `stemtag replay` restores
         * exactly those, even when one is named like ours */
        snprintf(num, sizeof(num), "%zu", rd_kafka_header_cnt(h));
        rd_kafka_header_add(h, "stemtag-source-headers", -1, num, -1);
        rd_kafka_header_add(h, "stemtag-reason", -1, reason, -1);
        rd_kafka_header_add(h, "stemtag-message", -1, message ? message : "", -1);
        rd_kafka_header_add(h, "stemtag-source-topic", -1, rd_kafka_topic_name(m->rkt), -1);
        snprintf(num, sizeof(num), "%" PRId32, m->partition);
        rd_kafka_header_add(h, "stemtag-source-partition", -1, num, -1);
        snprintf(num, sizeof(num), "%" PRId64, m->offset);
        rd_kafka_header_add(h, "stemtag-source-offset", -1, num, -1);
        snprintf(num, sizeof(num), "%" PRId64, ts);
        rd_kafka_header_add(h, "stemtag-source-timestamp", -1, num, -1);
        /* A value larger than the dead-letter topic accepts would fail on every
         * restart and block its partition for good: keep a prefix and say so. */
        size_t len = m->len;
        if (w->dlq_max_bytes && len > w->dlq_max_bytes) {
                snprintf(num, sizeof(num), "%zu", m->len);
                rd_kafka_header_add(h, "stemtag-truncated", -1, num, -1);
                len = w->dlq_max_bytes;
        }
        err = worker_produce(w, w->dlq_rkt, m->payload, len, m->key, m->key_len, h, e);
        if (err)
                worker_mark_failed(e, err);
        if (err)
                log_event(LOG_ERROR, "dlq_produce_failed", "dead-letter for %s [%d] @%lld: %s",
                          rd_kafka_topic_name(m->rkt), (int)m->partition, (long long)m->offset,
                          rd_kafka_err2str(err));
}

static void worker_produce_record(struct worker *w, rd_kafka_message_t *m, struct otrack_entry *e,
                                  const struct pipeline_result *res)
{
        char names[TOPIC_TEMPLATE_MAX][TOPIC_NAME_MAX];
        rd_kafka_topic_t *rkts[TOPIC_TEMPLATE_MAX];
        char errstr[512];
        int n = 0;

        /* Resolve every route first: an article is either complete in all its
         * outputs or in the dead-letter topic, never half-routed. */
        for (int i = 0; i < w->routes.count; i++) {
                int rc, dup = 0;
                if (topic_template_expand(w->routes.tmpl[i], res->section, res->language, names[n],
                                          sizeof(names[n]))) {
                        snprintf(errstr, sizeof(errstr),
                                 "output topic from template %s is too long", w->routes.tmpl[i]);
                        worker_dead_letter(w, m, e, "route_missing", errstr);
                        return;
                }
                for (int j = 0; j < n; j++)
                        dup |= !strcmp(names[j], names[n]);
                if (dup)
                        continue;
                while ((rc = route_registry_lookup(w->registry, names[n], 5000, &rkts[n], errstr,
                                                   sizeof(errstr))) < 0) {
                        /* broker unreachable: wait (backpressure), never guess */
                        if (atomic_load(&w->failed))
                                return;
                        log_event(LOG_WARN, "route_lookup", "%s; retrying", errstr);
                        worker_sleep_ms(500);
                }
                if (rc == 0) {
                        char msg[1024];
                        snprintf(msg, sizeof(msg),
                                 "output topic %.250s (template %.250s) does not exist", names[n],
                                 w->routes.tmpl[i]);
                        worker_dead_letter(w, m, e, "route_missing", msg);
                        return;
                }
                n++;
        }
        for (int i = 0; i < n; i++) {
                rd_kafka_headers_t *h = worker_copy_headers(m);
                rd_kafka_resp_err_t err;

                rd_kafka_header_add(h, "content-type", -1, "application/json", -1);
                rd_kafka_header_add(h, "stemtag-language", -1,
                                    res->language ? res->language : "und", -1);
                if (res->section)
                        rd_kafka_header_add(h, "stemtag-section", -1, res->section, -1);
                err =
                    worker_produce(w, rkts[i], res->json, res->json_len, m->key, m->key_len, h, e);
                if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE && i == 0) {
                        /* nothing produced yet: a bad input, not a broken worker */
                        snprintf(errstr, sizeof(errstr),
                                 "record of %zu bytes is too large for %.250s", res->json_len,
                                 names[i]);
                        worker_dead_letter(w, m, e, "produce_error", errstr);
                        return;
                } else if (err) {
                        worker_mark_failed(e, err);
                        log_event(LOG_ERROR, "produce_failed", "%s for %s [%d] @%lld: %s", names[i],
                                  rd_kafka_topic_name(m->rkt), (int)m->partition,
                                  (long long)m->offset, rd_kafka_err2str(err));
                        return;
                }
        }
}

static void worker_thread_refresh_model(struct worker_thread *t)
{
        struct worker *w = t->w;
        unsigned gen = atomic_load(&w->model_gen);
        struct pipeline_model *old;

        if (gen == t->gen && t->model)
                return;
        pthread_mutex_lock(&w->model_lock);
        old = t->model;
        t->model = pipeline_model_ref(w->model);
        t->gen = atomic_load(&w->model_gen);
        pthread_mutex_unlock(&w->model_lock);
        pipeline_model_unref(old);
}

/* The whole pure path for one message, then its outputs. Any pipeline thread. */
static void worker_handle(struct worker_thread *t, rd_kafka_message_t *m, struct otrack_entry *e)
{
        struct worker *w = t->w;
        struct pipeline_source src = {rd_kafka_topic_name(m->rkt), m->partition, m->offset, -1};
        struct pipeline_result res;
        int rc;

        struct timespec t0, t1;

        worker_thread_refresh_model(t);
        memset(&res, 0, sizeof(res));
        if (w->metrics)
                clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = pipeline_process(t->ctx, t->model, m->payload ? (const char *)m->payload : "",
                              m->payload ? m->len : 0, &src, &res);
        if (w->metrics && rc == 0) {
                clock_gettime(CLOCK_MONOTONIC, &t1);
                metrics_observe_processing(w->metrics, (double)(t1.tv_sec - t0.tv_sec) +
                                                           (t1.tv_nsec - t0.tv_nsec) / 1e9);
                if (res.ok) {
                        metrics_tag(w->metrics, "language", res.language ? res.language : "und");
                        metrics_tag(w->metrics, "section", res.section ? res.section : "none");
                }
        }
        if (rc < 0) {
                worker_fail(w, "classifying %s [%d] @%lld failed: out of memory",
                            rd_kafka_topic_name(m->rkt), (int)m->partition, (long long)m->offset);
                otrack_entry_release(e, RD_KAFKA_RESP_ERR__FAIL);
        } else {
                if (res.ok)
                        worker_produce_record(w, m, e, &res);
                else
                        worker_dead_letter(w, m, e, res.reason ? res.reason : "other", res.message);
                otrack_entry_release(e, 0);
        }
        rd_kafka_message_destroy(m);
}

static void *worker_thread_main(void *arg)
{
        struct worker_thread *t = arg;
        for (;;) {
                struct worker_job job;
                int abandon;
                pthread_mutex_lock(&t->lock);
                while (!t->len && !t->stop)
                        pthread_cond_wait(&t->cond, &t->lock);
                if (!t->len) {
                        pthread_mutex_unlock(&t->lock);
                        break;
                }
                job = t->ring[t->head];
                t->head = (t->head + 1) % t->cap;
                t->len--;
                abandon = t->abandon;
                pthread_cond_broadcast(&t->cond); /* room for the dispatcher */
                pthread_mutex_unlock(&t->lock);
                if (abandon) {
                        /* not produced, so its offset is never stored: redelivered later */
                        otrack_entry_release(job.entry, RD_KAFKA_RESP_ERR__DESTROY);
                        rd_kafka_message_destroy(job.msg);
                } else {
                        worker_handle(t, job.msg, job.entry);
                }
        }
        return NULL;
}

static void worker_dispatch(struct worker *w, rd_kafka_message_t *m, struct otrack_entry *e)
{
        struct worker_thread *t;
        unsigned h = 0;

        if (!w->nthreads) {
                worker_handle(&w->threads[0], m, e);
                return;
        }
        for (const char *p = rd_kafka_topic_name(m->rkt); *p; p++)
                h = h * 31 + (unsigned char)*p;
        t = &w->threads[(h + (unsigned)m->partition) % (unsigned)w->nthreads];
        pthread_mutex_lock(&t->lock);
        while (t->len == t->cap)
                pthread_cond_wait(&t->cond, &t->lock);
        t->ring[(t->head + t->len) % t->cap] = (struct worker_job){m, e};
        t->len++;
        pthread_cond_broadcast(&t->cond);
        pthread_mutex_unlock(&t->lock);
}

/* ---- librdkafka callbacks ---- */

static void worker_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        struct worker *w = opaque;
        struct otrack_entry *e = m->_private;

        if (m->err) {
                WSTAT_ADD(w->stats.delivery_errors, 1);
        } else if (!strcmp(rd_kafka_topic_name(m->rkt), w->dlq_topic)) {
                rd_kafka_headers_t *h = NULL;
                const void *val = NULL;
                size_t len = 0;
                char reason[32] = "other";
                if (!rd_kafka_message_headers(m, &h) &&
                    !rd_kafka_header_get_last(h, "stemtag-reason", &val, &len) && val &&
                    len < sizeof(reason)) {
                        memcpy(reason, val, len);
                        reason[len] = '\0';
                }
                WSTAT_ADD(w->stats.dead_lettered[worker_dlq_reason_index(reason)], 1);
        } else {
                WSTAT_ADD(w->stats.produced, 1);
        }
        if (e)
                otrack_entry_release(e, m->err);
}

static void worker_on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
        struct worker *w = opaque;
        char buf[512];

        WSTAT_ADD(w->stats.errors, 1);
        switch (err) {
        case RD_KAFKA_RESP_ERR__FATAL:
                rd_kafka_fatal_error(rk, buf, sizeof(buf));
                worker_fail(w, "fatal Kafka error (%s): %s", rd_kafka_name(rk), buf);
                break;
        case RD_KAFKA_RESP_ERR__AUTHENTICATION:
        case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
        case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
        case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
        case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
        case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
                worker_fail(w, "Kafka authentication/authorization failed: %s", reason);
                break;
        case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
                if (w->metrics)
                        metrics_set_brokers_up(w->metrics, 0);
                log_event(LOG_WARN, "kafka_error", "%s: %s", rd_kafka_err2name(err), reason);
                break;
        default:
                log_event(LOG_WARN, "kafka_error", "%s: %s", rd_kafka_err2name(err), reason);
        }
}

static int worker_on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
        struct worker *w = opaque;
        if (w->metrics)
                metrics_stats_json(w->metrics, json, len);
        return 0; /* librdkafka frees json */
}

static void worker_on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
        /* kafka.* keys go to both clients; each ignores the other's keys */
        if (!strcmp(fac, "CONFWARN") && strstr(buf, "will be ignored by this"))
                level = 7;
        log_event(level <= 3   ? LOG_ERROR
                  : level <= 4 ? LOG_WARN
                  : level <= 6 ? LOG_INFO
                               : LOG_DEBUG,
                  "librdkafka", "%s: %s", fac, buf);
}

static void *worker_poller_main(void *arg)
{
        struct worker *w = arg;
        while (!atomic_load(&w->poller_stop))
                rd_kafka_poll(w->producer, 50);
        return NULL;
}

/* ---- offsets, drains, transactions (consumer thread) ---- */

/* Adds or updates @p src's partitions in @p dst. */
static void worker_offsets_merge(rd_kafka_topic_partition_list_t *dst,
                                 const rd_kafka_topic_partition_list_t *src)
{
        for (int i = 0; i < src->cnt; i++) {
                rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(
                    dst, src->elems[i].topic, src->elems[i].partition);
                if (!p)
                        p = rd_kafka_topic_partition_list_add(dst, src->elems[i].topic,
                                                              src->elems[i].partition);
                p->offset = src->elems[i].offset;
        }
}

/* Pops acknowledged work. at_least_once: stores the offsets; exactly_once:
 * collects them for the open transaction. */
static void worker_advance(struct worker *w)
{
        rd_kafka_topic_partition_list_t *done;
        struct otrack_entry *failed = NULL;
        size_t popped;

        if (!otrack_count(w->track))
                return;
        done = rd_kafka_topic_partition_list_new(8);
        popped = otrack_advance(w->track, done, &failed);
        if (popped) {
                atomic_fetch_sub(&w->stats.inflight, (int_fast64_t)popped);
        }
        if (done->cnt) {
                if (w->exactly_once) {
                        worker_offsets_merge(w->txn_offsets, done);
                } else {
                        rd_kafka_resp_err_t err = rd_kafka_offsets_store(w->consumer, done);
                        if (err && err != RD_KAFKA_RESP_ERR__STATE)
                                log_event(LOG_WARN, "offsets_store", "%s", rd_kafka_err2str(err));
                        else
                                w->commit_due = 1;
                }
        }
        rd_kafka_topic_partition_list_destroy(done);
        if (failed && !w->exactly_once)
                worker_fail(w,
                            "output for %s [%d] @%lld could not be delivered: %s (offset not "
                            "stored; it will be processed again after restart)",
                            otrack_entry_topic(failed), (int)otrack_entry_partition(failed),
                            (long long)otrack_entry_offset(failed),
                            rd_kafka_err2str(otrack_entry_error(failed)));
}

/* Waits until the work for @p parts (NULL: all) is acknowledged, storing
 * offsets as it goes. 0 when drained, -1 on deadline or failure. */
static int worker_drain(struct worker *w, const rd_kafka_topic_partition_list_t *parts,
                        long long deadline_ms)
{
        for (;;) {
                worker_advance(w);
                if (!otrack_pending(w->track, parts)) {
                        worker_advance(w);
                        return 0;
                }
                if (worker_now_ms() >= deadline_ms)
                        return -1;
                if (atomic_load(&w->failed) && !w->exactly_once)
                        return -1;
                worker_sleep_ms(1);
        }
}

static void worker_forget(struct worker *w, const rd_kafka_topic_partition_list_t *parts)
{
        for (int i = 0; i < parts->cnt; i++)
                otrack_forget(w->track, parts->elems[i].topic, parts->elems[i].partition);
        worker_advance(w);
}

/* Result of every offset commit, async (served by consumer_poll) or sync
 * (served inside rd_kafka_commit_queue): the one place commits are counted. */
static void worker_on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                             rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
        struct worker *w = opaque;
        (void)rk;
        (void)offsets;
        if (!err)
                WSTAT_ADD(w->stats.commits, 1);
        else if (err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                log_event(LOG_WARN, "commit_failed", "offset commit: %s", rd_kafka_err2str(err));
}

static void worker_commit_sync(struct worker *w, const char *why)
{
        rd_kafka_resp_err_t err =
            rd_kafka_commit_queue(w->consumer, NULL, NULL, worker_on_commit, w);
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                log_event(LOG_WARN, "commit_failed", "commit on %s: %s", why,
                          rd_kafka_err2str(err));
        w->commit_due = 0;
        w->committed_once = 1;
        w->last_commit_ms = worker_now_ms();
}

/* at_least_once: commits what is stored, asynchronously, right after the first
 * outputs are acknowledged and then every commit.interval.ms, so a crash
 * redoes at most about commit.interval.ms of work (docs/operations.md "Duplicates after a crash").
 */
static void worker_commit_maybe(struct worker *w, long long now)
{
        if (w->exactly_once || !w->commit_due)
                return;
        if (w->committed_once && now - w->last_commit_ms < w->commit_interval_ms)
                return;
        rd_kafka_resp_err_t err = rd_kafka_commit(w->consumer, NULL, 1);
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                log_event(LOG_WARN, "commit_failed", "periodic commit: %s", rd_kafka_err2str(err));
        w->commit_due = 0;
        w->committed_once = 1;
        w->last_commit_ms = now;
}

static void worker_txn_begin(struct worker *w)
{
        rd_kafka_error_t *error = rd_kafka_begin_transaction(w->producer);
        if (error) {
                worker_fail(w, "begin_transaction: %s", rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
                return;
        }
        w->txn_open = 1;
        w->txn_msgs = 0;
        w->txn_start_ms = worker_now_ms();
}

/* Aborts the open transaction and rewinds every assigned partition to its
 * last committed offset (examples/transactions.c: rewind_consumer). */
static void worker_txn_abort(struct worker *w, const char *why)
{
        rd_kafka_error_t *error;
        rd_kafka_topic_partition_list_t *a = NULL;

        log_event(LOG_WARN, "txn_abort", "aborting transaction: %s", why);
        /* no thread may produce into the next transaction what belonged here */
        worker_drain(w, NULL, worker_now_ms() + w->shutdown_timeout_ms);
        error = rd_kafka_abort_transaction(w->producer, -1);
        if (error) {
                worker_fail(w, "abort_transaction: %s", rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
        }
        WSTAT_ADD(w->stats.txn_aborts, 1);
        w->txn_open = 0;
        otrack_forget_all(w->track);
        worker_advance(w);
        rd_kafka_topic_partition_list_destroy(w->txn_offsets);
        w->txn_offsets = rd_kafka_topic_partition_list_new(8);

        if (rd_kafka_assignment(w->consumer, &a) || !a)
                return;
        if (a->cnt) {
                rd_kafka_resp_err_t err = rd_kafka_committed(w->consumer, a, 10000);
                if (err) {
                        worker_fail(w, "rewind after abort: committed offsets: %s",
                                    rd_kafka_err2str(err));
                } else {
                        for (int i = 0; i < a->cnt; i++)
                                if (a->elems[i].offset < 0)
                                        a->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
                        error = rd_kafka_seek_partitions(w->consumer, a, 10000);
                        if (error) {
                                worker_fail(w, "rewind after abort: seek: %s",
                                            rd_kafka_error_string(error));
                                rd_kafka_error_destroy(error);
                        }
                }
        }
        rd_kafka_topic_partition_list_destroy(a);
}

/* Commits the open transaction with the consumed offsets. 0 / -1 (aborted). */
static int worker_txn_commit(struct worker *w, long long deadline_ms)
{
        rd_kafka_error_t *error = NULL;
        rd_kafka_consumer_group_metadata_t *cgmd;
        struct otrack_entry *failed = NULL;
        rd_kafka_topic_partition_list_t *done;

        if (!w->txn_open)
                return 0;
        if (worker_drain(w, NULL, deadline_ms)) {
                worker_txn_abort(w, "in-flight messages not acknowledged in time");
                return -1;
        }
        done = rd_kafka_topic_partition_list_new(8);
        otrack_advance(w->track, done, &failed);
        worker_offsets_merge(w->txn_offsets, done);
        rd_kafka_topic_partition_list_destroy(done);
        if (failed) {
                char why[300];
                snprintf(why, sizeof(why), "delivery failed for %s [%d] @%lld: %s",
                         otrack_entry_topic(failed), (int)otrack_entry_partition(failed),
                         (long long)otrack_entry_offset(failed),
                         rd_kafka_err2str(otrack_entry_error(failed)));
                worker_txn_abort(w, why);
                return -1;
        }
        if (w->txn_offsets->cnt) {
                cgmd = rd_kafka_consumer_group_metadata(w->consumer);
                error = rd_kafka_send_offsets_to_transaction(w->producer, w->txn_offsets, cgmd, -1);
                rd_kafka_consumer_group_metadata_destroy(cgmd);
        }
        while (!error) {
                error = rd_kafka_commit_transaction(w->producer, -1);
                if (!error)
                        break;
                if (rd_kafka_error_is_retriable(error) && worker_now_ms() < deadline_ms) {
                        rd_kafka_error_destroy(error);
                        error = NULL;
                        continue;
                }
                break;
        }
        if (error) {
                char why[300];
                snprintf(why, sizeof(why), "commit: %s", rd_kafka_error_string(error));
                if (rd_kafka_error_txn_requires_abort(error) || rd_kafka_error_is_retriable(error))
                        worker_txn_abort(w, why);
                else
                        worker_fail(w, "transaction %s", why);
                rd_kafka_error_destroy(error);
                return -1;
        }
        rd_kafka_topic_partition_list_destroy(w->txn_offsets);
        w->txn_offsets = rd_kafka_topic_partition_list_new(8);
        w->txn_open = 0;
        WSTAT_ADD(w->stats.commits, 1);
        return 0;
}

static void worker_set_paused(struct worker *w, int pause)
{
        rd_kafka_topic_partition_list_t *a = NULL;

        if (rd_kafka_assignment(w->consumer, &a) || !a)
                return;
        if (pause)
                rd_kafka_pause_partitions(w->consumer, a);
        else
                rd_kafka_resume_partitions(w->consumer, a);
        rd_kafka_topic_partition_list_destroy(a);
        w->paused = pause;
        atomic_store(&w->stats.paused, pause);
        if (pause)
                WSTAT_ADD(w->stats.pauses, 1);
        log_event(LOG_DEBUG, pause ? "paused" : "resumed", "%lld messages in flight",
                  (long long)otrack_count(w->track));
}

static void worker_log_partitions(const char *event, const rd_kafka_topic_partition_list_t *parts)
{
        char buf[1024];
        size_t pos = 0;
        buf[0] = '\0';
        for (int i = 0; i < parts->cnt && pos + 64 < sizeof(buf); i++)
                pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "%s%s[%d]", i ? "," : "",
                                        parts->elems[i].topic, (int)parts->elems[i].partition);
        log_event(LOG_INFO, event, "%d partitions: %s", parts->cnt, buf);
}

static void worker_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        struct worker *w = opaque;
        int cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
        rd_kafka_error_t *error = NULL;
        rd_kafka_resp_err_t aerr = 0;

        WSTAT_ADD(w->stats.rebalances, 1);
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                worker_log_partitions("assigned", parts);
                if (cooperative)
                        error = rd_kafka_incremental_assign(rk, parts);
                else
                        aerr = rd_kafka_assign(rk, parts);
                if (w->paused)
                        rd_kafka_pause_partitions(rk, parts);
                atomic_fetch_add(&w->stats.assigned, parts->cnt);
        } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
                int lost = rd_kafka_assignment_lost(rk);
                worker_log_partitions(lost ? "lost" : "revoked", parts);
                if (w->exactly_once) {
                        /* like examples/transactions.c: finish the work of the
                         * revoked partitions inside the current transaction */
                        if (lost && w->txn_open)
                                worker_txn_abort(w, "partitions lost");
                        else
                                worker_txn_commit(w, worker_now_ms() + w->shutdown_timeout_ms);
                } else if (!lost) {
                        if (worker_drain(w, parts, worker_now_ms() + w->shutdown_timeout_ms))
                                log_event(LOG_WARN, "revoke_drain",
                                          "in-flight work of revoked partitions not acknowledged "
                                          "in %lld ms; it will be redelivered",
                                          w->shutdown_timeout_ms);
                        worker_commit_sync(w, "revoke");
                }
                worker_forget(w, parts);
                if (cooperative)
                        error = rd_kafka_incremental_unassign(rk, parts);
                else
                        aerr = rd_kafka_assign(rk, NULL);
                atomic_fetch_sub(&w->stats.assigned, parts->cnt);
        } else {
                log_event(LOG_ERROR, "rebalance_error", "%s", rd_kafka_err2str(err));
                if (cooperative)
                        error = rd_kafka_incremental_unassign(rk, parts);
                else
                        aerr = rd_kafka_assign(rk, NULL);
        }
        if (error) {
                log_event(LOG_ERROR, "assign_failed", "%s", rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
        } else if (aerr) {
                log_event(LOG_ERROR, "assign_failed", "%s", rd_kafka_err2str(aerr));
        }
}

/* ---- setup ---- */

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
     * 64 MB). With fetch.queue.backoff.ms below, 4 MB (~2,500 articles,
     * 0.1 s of work) never runs dry: worker peak RSS 55-56 MB where 8 MB
     * gave 60-67 (docs/kafka.md). */
    {"consumer", "queued.max.messages.kbytes", "4096"},
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
                        if (instance)
                                snprintf(txid, sizeof(txid), "%s-%s", group, instance);
                        else
                                snprintf(txid, sizeof(txid), "%s-%s-%ld", group, host,
                                         (long)getpid());
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

struct worker *worker_new(const struct worker_options *o, struct pipeline_model *model,
                          char *errstr, size_t errstr_size)
{
        struct worker *w = calloc(1, sizeof(*w));
        rd_kafka_conf_t *conf;
        char err[512];
        int nctx;

        if (!w) {
                snprintf(errstr, errstr_size, "out of memory");
                pipeline_model_unref(model);
                return NULL;
        }
        pthread_mutex_init(&w->model_lock, NULL);
        w->model = model;
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
                goto fail;
        }
        if (!*w->dlq_topic) {
                snprintf(errstr, errstr_size, "dlq.topic: empty (a dead-letter topic is required)");
                goto fail;
        }
        worker_split_inputs(w, o->input_topics);
        if (!w->input_count) {
                snprintf(errstr, errstr_size, "input.topics: no input topic given");
                goto fail;
        }
        {
                char why[384];
                if (topic_templates_parse(&w->routes, o->output_topics, why, sizeof(why))) {
                        snprintf(errstr, errstr_size, "output.topics: %s", why);
                        goto fail;
                }
        }
        if (!worker_has_kafka_key(o, "bootstrap.servers") &&
            !worker_has_kafka_key(o, "metadata.broker.list")) {
                snprintf(errstr, errstr_size, "kafka.bootstrap.servers is not set");
                goto fail;
        }

        if (!(conf = worker_conf(w, o, 0, errstr, errstr_size)))
                goto fail;
        w->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
        if (!w->producer) {
                rd_kafka_conf_destroy(conf);
                snprintf(errstr, errstr_size, "producer: %s", err);
                goto fail;
        }
        if (!(conf = worker_conf(w, o, 1, errstr, errstr_size)))
                goto fail;
        w->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
        if (!w->consumer) {
                rd_kafka_conf_destroy(conf);
                snprintf(errstr, errstr_size, "consumer: %s", err);
                goto fail;
        }
        rd_kafka_poll_set_consumer(w->consumer);
        w->registry = route_registry_new(w->producer);
        if (!w->registry) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        /* Fail fast on what cannot heal by itself: missing fixed topics. */
        if (worker_check_topic(w, w->dlq_topic, "dlq.topic", errstr, errstr_size))
                goto fail;
        route_registry_lookup(w->registry, w->dlq_topic, 0, &w->dlq_rkt, err, sizeof(err));
        for (int i = 0; i < w->routes.count; i++)
                if (!w->routes.has_placeholder[i] &&
                    worker_check_topic(w, w->routes.tmpl[i], "output.topics", errstr, errstr_size))
                        goto fail;
        for (int i = 0; i < w->input_count; i++)
                if (w->input_topics[i][0] != '^' &&
                    worker_check_topic(w, w->input_topics[i], "input.topics", errstr, errstr_size))
                        goto fail;
        if (atomic_load(&w->failed)) {
                snprintf(errstr, errstr_size, "%s", w->fail_msg);
                goto fail;
        }

        w->nthreads = o->pipelines > 1 ? o->pipelines : 0;
        nctx = w->nthreads ? w->nthreads : 1;
        w->threads = calloc((size_t)nctx, sizeof(*w->threads));
        if (!w->threads) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        for (int i = 0; i < nctx; i++) {
                struct worker_thread *t = &w->threads[i];
                w->nctx = i + 1;
                t->w = w;
                pthread_mutex_init(&t->lock, NULL);
                pthread_cond_init(&t->cond, NULL);
                t->ctx = pipeline_ctx_new(o->pipeline);
                if (!t->ctx) {
                        snprintf(errstr, errstr_size, "pipeline context: out of memory");
                        goto fail;
                }
                if (w->nthreads) {
                        /* A short hand-off queue: the consumer thread waits when it is
                         * full (a few ms of classification), so unclassified messages
                         * do not pin fetch buffers by the thousand (RSS). */
                        t->cap = WORKER_THREAD_QUEUE;
                        t->ring = calloc(t->cap, sizeof(*t->ring));
                        if (!t->ring) {
                                snprintf(errstr, errstr_size, "out of memory");
                                goto fail;
                        }
                }
        }
        return w;
fail:
        worker_destroy(w);
        return NULL;
}

/* ---- run ---- */

static int worker_subscribe(struct worker *w, char *errstr, size_t errstr_size)
{
        rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(w->input_count);
        rd_kafka_resp_err_t err;
        for (int i = 0; i < w->input_count; i++)
                rd_kafka_topic_partition_list_add(sub, w->input_topics[i], RD_KAFKA_PARTITION_UA);
        err = rd_kafka_subscribe(w->consumer, sub);
        rd_kafka_topic_partition_list_destroy(sub);
        if (err) {
                snprintf(errstr, errstr_size, "subscribe: %s", rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}

static void worker_consume_error(struct worker *w, rd_kafka_message_t *m)
{
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
                return;
        WSTAT_ADD(w->stats.errors, 1);
        if (m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
            m->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED) {
                worker_fail(w, "consumer: %s", rd_kafka_message_errstr(m));
                return;
        }
        log_event(LOG_WARN, "consume_error", "%s%s%s", m->rkt ? rd_kafka_topic_name(m->rkt) : "",
                  m->rkt ? ": " : "", rd_kafka_message_errstr(m));
}

static int worker_start_threads(struct worker *w, char *errstr, size_t errstr_size)
{
        for (int i = 0; i < w->nthreads; i++)
                if (pthread_create(&w->threads[i].tid, NULL, worker_thread_main, &w->threads[i])) {
                        snprintf(errstr, errstr_size, "cannot start pipeline thread");
                        w->nthreads = i; /* joined on destroy */
                        return -1;
                }
        if (pthread_create(&w->poller, NULL, worker_poller_main, w)) {
                snprintf(errstr, errstr_size, "cannot start delivery thread");
                return -1;
        }
        w->poller_started = 1;
        return 0;
}

static void worker_stop_threads(struct worker *w, int abandon)
{
        for (int i = 0; i < w->nthreads; i++) {
                struct worker_thread *t = &w->threads[i];
                pthread_mutex_lock(&t->lock);
                t->stop = 1;
                t->abandon |= abandon;
                pthread_cond_broadcast(&t->cond);
                pthread_mutex_unlock(&t->lock);
                pthread_join(t->tid, NULL);
        }
        w->nthreads = 0;
}

int worker_run(struct worker *w, char *errstr, size_t errstr_size)
{
        long long deadline, last_advance_ms = 0;
        int drained, failed;

        if (w->exactly_once) {
                rd_kafka_error_t *error = rd_kafka_init_transactions(w->producer, 30000);
                if (error) {
                        snprintf(errstr, errstr_size, "init_transactions: %s",
                                 rd_kafka_error_string(error));
                        rd_kafka_error_destroy(error);
                        return -1;
                }
        }
        if (worker_start_threads(w, errstr, errstr_size) ||
            worker_subscribe(w, errstr, errstr_size))
                return -1;
        log_event(LOG_INFO, "started",
                  "%d input topic(s), %s, %d pipeline thread(s), %s%s, commit every %lld ms",
                  w->input_count, w->exactly_once ? "exactly_once" : "at_least_once",
                  w->nthreads ? w->nthreads : 1,
                  w->static_instance ? "static member " : "dynamic member",
                  w->static_instance ? w->static_instance : "", w->commit_interval_ms);

        while (!atomic_load(&w->stop) && !atomic_load(&w->failed)) {
                rd_kafka_message_t *m;
                size_t count;
                int timeout = 100;
                long long now = worker_now_ms();

                /* storing offsets every few ms is plenty (commits are seconds
                 * apart) and keeps the tracker scan off the per-message path */
                if (now - last_advance_ms >= 5 || w->paused) {
                        if (w->metrics)
                                metrics_heartbeat(w->metrics);
                        worker_advance(w);
                        worker_commit_maybe(w, now);
                        last_advance_ms = now;
                }
                count = otrack_count(w->track);
                if (!w->paused && (long long)count >= w->max_inflight)
                        worker_set_paused(w, 1);
                else if (w->paused && (long long)count <= w->max_inflight / 2)
                        worker_set_paused(w, 0);
                if (w->exactly_once && w->txn_open) {
                        long long age = worker_now_ms() - w->txn_start_ms;
                        if (w->txn_msgs >= w->txn_max_messages || age >= w->txn_max_ms) {
                                worker_txn_commit(w, worker_now_ms() + w->shutdown_timeout_ms);
                                continue;
                        }
                        timeout = (int)(w->txn_max_ms - age);
                }
                if (count && timeout > 10)
                        timeout = 10; /* keep storing offsets promptly */
                m = rd_kafka_consumer_poll(w->consumer, timeout);
                if (!m)
                        continue;
                if (m->err) {
                        worker_consume_error(w, m);
                        rd_kafka_message_destroy(m);
                        continue;
                }
                if (w->exactly_once && !w->txn_open) {
                        worker_txn_begin(w);
                        if (!w->txn_open) {
                                rd_kafka_message_destroy(m);
                                break;
                        }
                }
                struct otrack_entry *e =
                    otrack_add(w->track, rd_kafka_topic_name(m->rkt), m->partition, m->offset);
                if (!e) {
                        worker_fail(w, "out of memory tracking offsets");
                        rd_kafka_message_destroy(m);
                        break;
                }
                WSTAT_ADD(w->stats.consumed, 1);
                WSTAT_ADD(w->stats.inflight, 1);
                w->txn_msgs++;
                worker_dispatch(w, m, e);
        }

        /* Drain: stop fetching, finish in-flight, commit, leave, flush. */
        failed = atomic_load(&w->failed);
        deadline = worker_now_ms() + w->shutdown_timeout_ms;
        log_event(LOG_INFO, "draining", "%s; %zu messages in flight",
                  failed ? "fatal error" : "stop requested", otrack_count(w->track));
        worker_set_paused(w, 1);
        drained = worker_drain(w, NULL, deadline) == 0;
        if (!drained)
                worker_stop_threads(w, 1); /* queued work is dropped unstored: redelivered */
        if (w->exactly_once) {
                if (w->txn_open) {
                        if (drained && !failed)
                                worker_txn_commit(w, deadline);
                        else
                                worker_txn_abort(w, failed ? "fatal error" : "drain timed out");
                }
        } else {
                worker_advance(w);
                worker_commit_sync(w, "shutdown");
        }
        failed = atomic_load(&w->failed);
        if (!failed || !rd_kafka_fatal_error(w->consumer, NULL, 0))
                rd_kafka_consumer_close(w->consumer);
        worker_stop_threads(w, 0);
        {
                long long left = deadline - worker_now_ms();
                rd_kafka_flush(w->producer, (int)(left > 1000 ? left : 1000));
        }
        atomic_store(&w->poller_stop, 1);
        pthread_join(w->poller, NULL);
        w->poller_started = 0;
        worker_advance(w);

        if (failed) {
                snprintf(errstr, errstr_size, "%s", w->fail_msg);
                return -1;
        }
        if (!drained) {
                snprintf(errstr, errstr_size,
                         "shutdown.timeout.ms (%lld) passed before all in-flight messages were "
                         "acknowledged; they were not committed and will be processed again",
                         w->shutdown_timeout_ms);
                return -1;
        }
        {
                struct worker_stats_values v;
                unsigned long long dl = 0;
                worker_stats_snapshot(&w->stats, &v);
                for (int i = 0; i < WDLQ__COUNT; i++)
                        dl += v.dead_lettered[i];
                log_event(LOG_INFO, "stopped",
                          "consumed %llu, produced %llu, dead-lettered %llu, commits %llu, "
                          "rebalances %llu, pauses %llu, producer-queue-full waits %llu",
                          (unsigned long long)v.consumed, (unsigned long long)v.produced, dl,
                          (unsigned long long)v.commits, (unsigned long long)v.rebalances,
                          (unsigned long long)v.pauses, (unsigned long long)v.queue_full);
        }
        return 0;
}

void worker_stop(struct worker *w)
{
        atomic_store(&w->stop, 1);
}

void worker_swap_model(struct worker *w, struct pipeline_model *model)
{
        struct pipeline_model *old;
        pthread_mutex_lock(&w->model_lock);
        old = w->model;
        w->model = model;
        atomic_fetch_add(&w->model_gen, 1);
        pthread_mutex_unlock(&w->model_lock);
        pipeline_model_unref(old);
}

const struct worker_stats *worker_get_stats(const struct worker *w)
{
        return &w->stats;
}

void worker_metrics_pull(void *opaque, struct metrics_worker_values *out)
{
        const struct worker *w = opaque;
        struct worker_stats_values v;

        worker_stats_snapshot(&w->stats, &v);
        out->consumed = v.consumed;
        out->produced = v.produced;
        out->rebalances = v.rebalances;
        out->kafka_errors = v.errors;
        out->delivery_errors = v.delivery_errors;
        out->commits = v.commits;
        out->pauses = v.pauses;
        out->inflight = v.inflight;
        out->assigned = v.assigned;
        out->paused = v.paused;
        out->n_reasons = 0;
        for (int i = 0; i < WDLQ__COUNT && i < METRICS_MAX_REASONS; i++) {
                out->dlq_reason[i] = worker_dlq_reason_name((enum worker_dlq_reason)i);
                out->dlq_count[i] = v.dead_lettered[i];
                out->n_reasons++;
        }
}

void worker_destroy(struct worker *w)
{
        if (!w)
                return;
        worker_stop_threads(w, 1);
        if (w->poller_started) {
                atomic_store(&w->poller_stop, 1);
                pthread_join(w->poller, NULL);
        }
        if (w->consumer)
                rd_kafka_destroy_flags(w->consumer, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        route_registry_destroy(w->registry);
        if (w->producer) {
                rd_kafka_purge(w->producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
                rd_kafka_poll(w->producer, 0);
                rd_kafka_destroy(w->producer);
        }
        for (int i = 0; i < w->nctx; i++) {
                pipeline_ctx_destroy(w->threads[i].ctx);
                pipeline_model_unref(w->threads[i].model);
                free(w->threads[i].ring);
                pthread_mutex_destroy(&w->threads[i].lock);
                pthread_cond_destroy(&w->threads[i].cond);
        }
        free(w->threads);
        otrack_destroy(w->track);
        if (w->txn_offsets)
                rd_kafka_topic_partition_list_destroy(w->txn_offsets);
        topic_templates_clear(&w->routes);
        for (int i = 0; i < w->input_count; i++)
                free(w->input_topics[i]);
        free(w->dlq_topic);
        free(w->static_instance);
        pipeline_model_unref(w->model);
        pthread_mutex_destroy(&w->model_lock);
        free(w);
}
