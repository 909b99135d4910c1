/* worker_produce: the classification threads and the produce path: one
 * message classified, routed and produced (or dead-lettered), delivery reports
 * (poller thread), and the other librdkafka callbacks. Shared state:
 * worker_internal.h. */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
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

/* A message's opaque: its offset entry, the low bit set when its value is in
 * a payload pool (released at its delivery report). Entries are aligned. */
#define WORKER_OPAQUE_POOLED ((uintptr_t)1)

/* A string literal and its length, for rd_kafka_header_add (no strlen) */
#define WORKER_LIT(s) (s), (ssize_t)(sizeof(s) - 1)

/* Produces one message, waiting while the producer queue is full (the poller
 * thread keeps draining it): never drops. The value goes into @p pool when
 * one is given and it fits (librdkafka then references it, no copy), else
 * librdkafka copies it. Takes over @p hdrs. On error the entry is not marked:
 * the caller decides (worker_mark_failed or dead-letter). */
static rd_kafka_resp_err_t worker_produce(struct worker *w, struct payload_pool *pool,
                                          rd_kafka_topic_t *rkt, const void *value,
                                          size_t value_len, const void *key, size_t key_len,
                                          rd_kafka_headers_t *hdrs, struct otrack_entry *e)
{
        rd_kafka_resp_err_t err;
        void *pooled = pool ? payload_pool_put(pool, value, value_len) : NULL;
        uintptr_t opaque = (uintptr_t)e;
        /* a variable: librdkafka's RD_KAFKA_V_MSGFLAGS casts its argument unparenthesised */
        int msgflags = RD_KAFKA_MSG_F_COPY;

        if (pooled) {
                value = pooled;
                opaque |= WORKER_OPAQUE_POOLED;
                msgflags = 0;
        }
        otrack_entry_hold(e);
        for (;;) {
                err = rd_kafka_producev(
                    w->producer, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(msgflags),
                    RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_KEY(key, key_len),
                    RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE((void *)opaque), RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                WSTAT_ADD(w->stats.queue_full, 1);
                worker_sleep_ms(1);
        }
        if (err) {
                rd_kafka_headers_destroy(hdrs);
                if (pooled)
                        payload_pool_release(pooled);
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
        err = worker_produce(w, NULL, w->dlq_rkt, m->payload, len, m->key, m->key_len, h, e);
        if (err)
                worker_mark_failed(e, err);
        if (err)
                log_event(LOG_ERROR, "dlq_produce_failed", "dead-letter for %s [%d] @%lld: %s",
                          rd_kafka_topic_name(m->rkt), (int)m->partition, (long long)m->offset,
                          rd_kafka_err2str(err));
}

static void worker_produce_record(struct worker *w, struct payload_pool *pool,
                                  rd_kafka_message_t *m, struct otrack_entry *e,
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

                rd_kafka_header_add(h, WORKER_LIT("content-type"), WORKER_LIT("application/json"));
                rd_kafka_header_add(h, WORKER_LIT("stemtag-language"),
                                    res->language ? res->language : "und", -1);
                if (res->section)
                        rd_kafka_header_add(h, WORKER_LIT("stemtag-section"), res->section, -1);
                err = worker_produce(w, pool, rkts[i], res->json, res->json_len, m->key, m->key_len,
                                     h, e);
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
                        worker_produce_record(w, t->pool, m, e, &res);
                else
                        worker_dead_letter(w, m, e, res.reason ? res.reason : "other", res.message);
                otrack_entry_release(e, 0);
        }
        rd_kafka_message_destroy(m);
}

void *worker_thread_main(void *arg)
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

void worker_dispatch(struct worker *w, rd_kafka_message_t *m, struct otrack_entry *e)
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

void worker_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
        struct worker *w = opaque;
        uintptr_t op = (uintptr_t)m->_private;
        struct otrack_entry *e = (struct otrack_entry *)(op & ~WORKER_OPAQUE_POOLED);

        if (op & WORKER_OPAQUE_POOLED)
                payload_pool_release(m->payload);
        if (m->err) {
                WSTAT_ADD(w->stats.delivery_errors, 1);
        } else if (m->rkt == w->dlq_rkt) {
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

void worker_on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
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

int worker_on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
        struct worker *w = opaque;
        if (w->metrics)
                metrics_stats_json(w->metrics, json, len);
        return 0; /* librdkafka frees json */
}

void worker_on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
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

void *worker_poller_main(void *arg)
{
        struct worker *w = arg;
        while (!atomic_load(&w->poller_stop))
                rd_kafka_poll(w->producer, 50);
        return NULL;
}
