/* worker: consume -> classify -> produce, after librdkafka's examples/transactions.c
 * and INTRODUCTION.md "At-least-once processing". This file holds the run
 * loop (consumer thread) and the public API; the produce path, offsets and
 * transactions, and setup live beside it (worker_internal.h lists them). */
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
#include "worker_internal.h"

/* Records the first fatal cause; worker_run stops and reports it. */
void worker_fail(struct worker *w, const char *fmt, ...)
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

/* Transactions initialised, threads started, subscribed. */
static int worker_run_start(struct worker *w, char *errstr, size_t errstr_size)
{
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
        return 0;
}

/* Consumes until stopped or failed: offsets stored and committed every few
 * ms, input paused above max.inflight, transactions cut by size and age. */
static void worker_run_loop(struct worker *w)
{
        long long last_advance_ms = 0;

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
}

/* Stop fetching, finish in-flight, commit, leave, flush. Returns whether
 * everything in flight was acknowledged before the deadline; *failed is
 * whether the worker failed (before or during the drain). */
static int worker_run_drain(struct worker *w, int *failed)
{
        long long deadline;
        int drained;

        *failed = atomic_load(&w->failed);
        deadline = worker_now_ms() + w->shutdown_timeout_ms;
        log_event(LOG_INFO, "draining", "%s; %zu messages in flight",
                  *failed ? "fatal error" : "stop requested", otrack_count(w->track));
        worker_set_paused(w, 1);
        drained = worker_drain(w, NULL, deadline) == 0;
        if (!drained)
                worker_stop_threads(w, 1); /* queued work is dropped unstored: redelivered */
        if (w->exactly_once) {
                if (w->txn_open) {
                        if (drained && !*failed)
                                worker_txn_commit(w, deadline);
                        else
                                worker_txn_abort(w, *failed ? "fatal error" : "drain timed out");
                }
        } else {
                worker_advance(w);
                worker_commit_sync(w, "shutdown");
        }
        *failed = atomic_load(&w->failed);
        if (!*failed || !rd_kafka_fatal_error(w->consumer, NULL, 0))
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
        return drained;
}

static void worker_log_totals(const struct worker *w)
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

int worker_run(struct worker *w, char *errstr, size_t errstr_size)
{
        int drained, failed;

        if (worker_run_start(w, errstr, errstr_size))
                return -1;
        worker_run_loop(w);
        drained = worker_run_drain(w, &failed);
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
        worker_log_totals(w);
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
