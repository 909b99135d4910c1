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
#include "payload_pool.h"
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

void worker_stop_incomplete(struct worker *w, const char *fmt, ...)
{
        va_list ap;
        char msg[sizeof(w->stop_incomplete)];

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        log_event(LOG_WARN, "stop_incomplete", "%s", msg);
        if (!w->stop_incomplete[0]) /* consumer thread only: no lock */
                snprintf(w->stop_incomplete, sizeof(w->stop_incomplete), "%s", msg);
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

static void worker_stop_guard_start(struct worker *w);

/* Transactions initialised, threads started, subscribed, stop guard waiting. */
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
        worker_stop_guard_start(w);
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

/* CLOCK_MONOTONIC time @p left_ms from now (now when <= 0), for a
 * pthread_cond_timedwait on a condition made with that clock. */
static void worker_monotonic_after(long long left_ms, struct timespec *ts)
{
        clock_gettime(CLOCK_MONOTONIC, ts);
        if (left_ms <= 0)
                return;
        ts->tv_sec += left_ms / 1000;
        ts->tv_nsec += (left_ms % 1000) * 1000000L;
        if (ts->tv_nsec >= 1000000000L) {
                ts->tv_sec++;
                ts->tv_nsec -= 1000000000L;
        }
}

/* The stop's last resort: some librdkafka calls wait for requests that an
 * unresponsive broker never answers, whatever timeout they are given (seen:
 * rd_kafka_send_offsets_to_transaction, rd_kafka_destroy), and a SIGTERM can
 * find the consumer thread inside one (a transaction commit of the run loop).
 * This thread waits for the stop (worker_stop's sem_post, or the drain's),
 * and past shutdown.timeout.ms + WORKER_STOP_GUARD_MS from then it exits the
 * process with status 1, naming the step that hung. Nothing is lost: offsets
 * not committed by then are redelivered, and an unfinished transaction is
 * aborted by the broker. _exit, not LOG_FATAL's exit: the other thread is
 * inside librdkafka, and atexit handlers must not run under it. */
static void *worker_stop_guard_main(void *arg)
{
        struct worker *w = arg;
        long long t0 = 0, left;
        struct timespec ts;
        int cancelled;

        while (sem_wait(&w->stop_sem) && errno == EINTR)
                ;
        atomic_compare_exchange_strong(&w->stop_requested_ms, &t0, worker_now_ms());
        left = atomic_load(&w->stop_requested_ms) + w->shutdown_timeout_ms + WORKER_STOP_GUARD_MS -
               worker_now_ms();
        worker_monotonic_after(left, &ts);
        pthread_mutex_lock(&w->stop_guard_lock);
        while (!w->stop_guard_cancel &&
               pthread_cond_timedwait(&w->stop_guard_cond, &w->stop_guard_lock, &ts) != ETIMEDOUT)
                ;
        cancelled = w->stop_guard_cancel;
        pthread_mutex_unlock(&w->stop_guard_lock);
        if (cancelled)
                return NULL;
        log_event(LOG_ERROR, "shutdown_timeout",
                  "still stopping %d ms after shutdown.timeout.ms (%lld ms), blocked in %s "
                  "(broker unreachable?); exiting now: uncommitted work is processed again",
                  WORKER_STOP_GUARD_MS, w->shutdown_timeout_ms, atomic_load(&w->stop_step));
        _exit(EXIT_FAILURE_RUNTIME);
}

/* Started with the run loop; the semaphore lives as long as the worker. */
static void worker_stop_guard_start(struct worker *w)
{
        pthread_condattr_t attr;

        if (pthread_condattr_init(&attr))
                return;
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_mutex_init(&w->stop_guard_lock, NULL);
        pthread_cond_init(&w->stop_guard_cond, &attr);
        pthread_condattr_destroy(&attr);
        atomic_store(&w->stop_step, "the run loop (a transaction commit or a rebalance)");
        if (pthread_create(&w->stop_guard, NULL, worker_stop_guard_main, w)) {
                /* without the guard the bounded steps still apply */
                pthread_mutex_destroy(&w->stop_guard_lock);
                pthread_cond_destroy(&w->stop_guard_cond);
                return;
        }
        w->stop_guard_started = 1;
}

static void worker_stop_guard_cancel(struct worker *w)
{
        if (!w->stop_guard_started)
                return;
        pthread_mutex_lock(&w->stop_guard_lock);
        w->stop_guard_cancel = 1;
        pthread_cond_signal(&w->stop_guard_cond);
        pthread_mutex_unlock(&w->stop_guard_lock);
        sem_post(&w->stop_sem); /* if it still waits for a stop */
        pthread_join(w->stop_guard, NULL);
        pthread_mutex_destroy(&w->stop_guard_lock);
        pthread_cond_destroy(&w->stop_guard_cond);
        w->stop_guard_started = 0;
}

/* Leaves the group (rebalance callbacks served here, their commits bounded
 * by the stop deadline) until @p deadline_ms. 0 when closed; -1 when the
 * broker did not answer in time: worker_destroy then drops the consumer
 * without closing it, and the group notices after session.timeout.ms. */
static int worker_close_consumer(struct worker *w, long long deadline_ms)
{
        rd_kafka_queue_t *q = rd_kafka_queue_new(w->consumer);
        rd_kafka_error_t *error;
        int closed;

        if (!q)
                return -1;
        error = rd_kafka_consumer_close_queue(w->consumer, q);
        if (error) {
                log_event(LOG_WARN, "close_failed", "consumer close: %s",
                          rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
                rd_kafka_queue_destroy(q);
                return -1;
        }
        while (!(closed = rd_kafka_consumer_closed(w->consumer))) {
                int left = worker_ms_left(deadline_ms, 0);
                rd_kafka_event_t *ev;
                if (!left)
                        break;
                /* rd_kafka_queue_poll, not rd_kafka_queue_poll_callback: a message
                 * still on the queue trips the latter's assert (rd_kafka_q_serve:
                 * res != RD_KAFKA_OP_RES_PASS). Rebalance and commit results may
                 * come back as events (callbacks set enable them): served as the
                 * callbacks would be. A message or an error is dropped: its offset
                 * is never stored, so it is redelivered. */
                ev = rd_kafka_queue_poll(q, left < 100 ? left : 100);
                if (!ev)
                        continue;
                if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE)
                        worker_on_rebalance(w->consumer, rd_kafka_event_error(ev),
                                            rd_kafka_event_topic_partition_list(ev), w);
                else if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_OFFSET_COMMIT)
                        worker_on_commit(w->consumer, rd_kafka_event_error(ev),
                                         rd_kafka_event_topic_partition_list(ev), w);
                rd_kafka_event_destroy(ev);
        }
        rd_kafka_queue_destroy(q);
        return closed ? 0 : -1;
}

/* Stop fetching, finish in-flight, commit, leave, flush; every step that
 * needs the broker ends by the one deadline, shutdown.timeout.ms from now
 * (plus WORKER_STOP_FLOOR_MS each for the commit or abort and the close when the drain
 * used it all; worker_destroy adds WORKER_DESTROY_MS at most). Returns whether everything in flight
 * was acknowledged before the deadline; *failed is whether the worker failed (before or during the
 * drain). What could not be finished is in w->stop_incomplete. */
static int worker_run_drain(struct worker *w, int *failed)
{
        long long deadline;
        int drained;

        *failed = atomic_load(&w->failed);
        {
                /* counted from the SIGTERM (the guard noted it), not from here: the
                 * run loop may have been inside a blocking call when it came */
                long long t0 = 0;
                atomic_compare_exchange_strong(&w->stop_requested_ms, &t0, worker_now_ms());
                deadline = atomic_load(&w->stop_requested_ms) + w->shutdown_timeout_ms;
        }
        w->stop_deadline_ms = deadline;
        sem_post(&w->stop_sem); /* a fatal error stops without worker_stop */
        atomic_store(&w->stop_step, "the drain");
        log_event(LOG_INFO, "draining", "%s; %zu messages in flight",
                  *failed ? "fatal error" : "stop requested", otrack_count(w->track));
        worker_set_paused(w, 1);
        drained = worker_drain(w, NULL, deadline) == 0;
        if (!drained)
                worker_stop_threads(w, 1); /* queued work is dropped unstored: redelivered */
        atomic_store(&w->stop_step,
                     w->exactly_once ? "the transaction's end" : "the offset commit");
        if (w->exactly_once) {
                if (w->txn_open) {
                        if (drained && !*failed)
                                worker_txn_commit(w, deadline);
                        else
                                worker_txn_abort(w, *failed ? "fatal error" : "drain timed out");
                }
        } else {
                worker_advance(w);
                /* what was acknowledged gets a short chance even after a drain
                 * that used all the time */
                if (worker_commit_sync(w, "shutdown", deadline + WORKER_STOP_FLOOR_MS) && !*failed)
                        worker_stop_incomplete(
                            w,
                            "the final offset commit failed (%s) within shutdown.timeout.ms "
                            "(%lld ms; broker unreachable?): messages processed since the last "
                            "commit will be processed again",
                            rd_kafka_err2str(w->sync_commit_err), w->shutdown_timeout_ms);
        }
        *failed = atomic_load(&w->failed);
        atomic_store(&w->stop_step, "the consumer close");
        if ((!*failed || !rd_kafka_fatal_error(w->consumer, NULL, 0)) &&
            worker_close_consumer(w, deadline + WORKER_STOP_FLOOR_MS))
                log_event(LOG_WARN, "close_timeout",
                          "could not leave the consumer group in time (broker unreachable?); "
                          "the group reassigns the partitions after session.timeout.ms");
        worker_stop_threads(w, 0);
        atomic_store(&w->stop_step, "the producer flush");
        if (rd_kafka_flush(w->producer, worker_ms_left(deadline, 0)))
                /* what is still queued or in flight is dropped by worker_destroy; its
                 * input offsets were never stored (at_least_once) or its transaction
                 * was aborted (exactly_once): it is processed again */
                log_event(LOG_WARN, "flush_timeout", "%d output messages not delivered at stop",
                          rd_kafka_outq_len(w->producer));
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
        if (w->stop_incomplete[0]) {
                snprintf(errstr, errstr_size, "%s", w->stop_incomplete);
                return -1;
        }
        worker_log_totals(w);
        return 0;
}

void worker_stop(struct worker *w)
{
        atomic_store(&w->stop, 1);
        sem_post(&w->stop_sem); /* wakes the stop guard */
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

/* rd_kafka_destroy on a helper thread, so that the caller can stop waiting:
 * with an unresponsive broker (stopped, or its address black-holed) it waits
 * for requests that time out only after socket.timeout.ms, again and again. */
struct worker_destroy_job {
        rd_kafka_t *rk;
        int flags;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        int done, abandoned;
};

static void worker_destroy_job_free(struct worker_destroy_job *j)
{
        pthread_mutex_destroy(&j->lock);
        pthread_cond_destroy(&j->cond);
        free(j);
}

static void *worker_destroy_main(void *arg)
{
        struct worker_destroy_job *j = arg;
        int abandoned;

        rd_kafka_destroy_flags(j->rk, j->flags);
        pthread_mutex_lock(&j->lock);
        j->done = 1;
        abandoned = j->abandoned;
        pthread_cond_signal(&j->cond);
        pthread_mutex_unlock(&j->lock);
        if (abandoned) /* the waiter gave up: the job is this thread's to free */
                worker_destroy_job_free(j);
        return NULL;
}

/* Destroys @p rk, waiting until @p deadline_ms at most. 0 when destroyed; -1
 * when abandoned: librdkafka's threads go on until the process exits (and may
 * still use the worker as their opaque, so the caller must not free it). */
static int worker_destroy_client(rd_kafka_t *rk, int flags, long long deadline_ms, const char *what)
{
        struct worker_destroy_job *j = calloc(1, sizeof(*j));
        pthread_condattr_t attr;
        pthread_t tid;
        struct timespec ts;
        long long left;
        int done;

        if (!j || pthread_condattr_init(&attr)) {
                free(j);
                rd_kafka_destroy_flags(rk, flags); /* unbounded, but nothing lost */
                return 0;
        }
        j->rk = rk;
        j->flags = flags;
        pthread_mutex_init(&j->lock, NULL);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&j->cond, &attr);
        pthread_condattr_destroy(&attr);
        if (pthread_create(&tid, NULL, worker_destroy_main, j)) {
                worker_destroy_job_free(j);
                rd_kafka_destroy_flags(rk, flags);
                return 0;
        }
        left = deadline_ms - worker_now_ms();
        worker_monotonic_after(left, &ts);
        pthread_mutex_lock(&j->lock);
        while (!j->done && pthread_cond_timedwait(&j->cond, &j->lock, &ts) != ETIMEDOUT)
                ;
        done = j->done;
        j->abandoned = !done;
        pthread_mutex_unlock(&j->lock);
        if (done) {
                pthread_join(tid, NULL);
                worker_destroy_job_free(j);
                return 0;
        }
        pthread_detach(tid);
        log_event(LOG_WARN, "destroy_timeout",
                  "%s: librdkafka did not finish closing in time (broker unreachable?); "
                  "exiting without waiting for it",
                  what);
        return -1;
}

void worker_destroy(struct worker *w)
{
        long long deadline;
        int abandoned = 0;

        if (!w)
                return;
        /* after a stop: what is left of shutdown.timeout.ms, plus a little;
         * otherwise (start-up failed) shutdown.timeout.ms */
        deadline = w->stop_deadline_ms > worker_now_ms() ? w->stop_deadline_ms : worker_now_ms();
        deadline += w->stop_deadline_ms ? WORKER_DESTROY_MS : w->shutdown_timeout_ms;
        worker_stop_threads(w, 1);
        if (w->poller_started) {
                atomic_store(&w->poller_stop, 1);
                pthread_join(w->poller, NULL);
        }
        atomic_store(&w->stop_step, "destroying the clients");
        if (w->consumer)
                abandoned |=
                    worker_destroy_client(w->consumer, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE,
                                          deadline, "consumer") != 0;
        route_registry_destroy(w->registry);
        if (w->producer) {
                /* undelivered output is dropped: its input offsets were never
                 * stored (at_least_once) or its transaction is aborted */
                rd_kafka_purge(w->producer, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
                rd_kafka_poll(w->producer, 0);
                abandoned |= worker_destroy_client(w->producer, 0, deadline, "producer") != 0;
        }
        worker_stop_guard_cancel(w);
        for (int i = 0; i < w->nctx; i++) {
                /* an abandoned producer may still reference its records */
                if (!abandoned)
                        payload_pool_destroy(w->threads[i].pool);
                pipeline_ctx_destroy(w->threads[i].ctx);
                pipeline_model_unref(w->threads[i].model);
                free(w->threads[i].ring);
                pthread_mutex_destroy(&w->threads[i].lock);
                pthread_cond_destroy(&w->threads[i].cond);
        }
        if (!abandoned) /* else it keeps the pools reachable: the producer may still use them */
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
        if (abandoned)
                return; /* w itself stays: an abandoned client may still use it */
        sem_destroy(&w->stop_sem);
        pthread_mutex_destroy(&w->model_lock);
        free(w);
}
