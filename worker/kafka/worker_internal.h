/* worker_internal: private to the worker's own files (worker.c, worker_produce.c,
 * worker_offsets.c, worker_setup.c); nothing else includes it. It shares
 * struct worker and the few functions one part of the worker calls in another:
 *   worker.c          the run loop (consumer thread), stop, model swap, destroy
 *   worker_produce.c  classification threads, producing, dead letters, delivery
 *                     reports and the other librdkafka callbacks
 *   worker_offsets.c  offset storing, commits, drains, transactions, rebalances
 *   worker_setup.c    options -> librdkafka conf, topic checks, worker_new */
#ifndef STEMTAG_WORKER_INTERNAL_H
#define STEMTAG_WORKER_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "offset_tracker.h"
#include "route.h"
#include "worker.h"

#define WORKER_METADATA_TIMEOUT_MS 10000
#define WORKER_MAX_INPUT_TOPICS    64
#define WORKER_THREAD_QUEUE        256 /* messages waiting per classification thread */
/* Past the stop deadline: what the final commit or an abort and the group leave get after a
 * drain that used it all, and what destroying both clients may take. Their sum
 * stays within the 5 s the deployments add to shutdown.timeout.ms for their
 * grace period (deploy/k8s/statefulset.yaml, docker-compose.yml). */
#define WORKER_STOP_FLOOR_MS 500
#define WORKER_DESTROY_MS    1500
/* ... and when the process exits regardless (worker_stop_guard_main) */
#define WORKER_STOP_GUARD_MS 4000

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
        struct payload_pool *pool; /* its records until delivered (payload_pool.h) */
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

        /* shutdown (consumer thread): every blocking step ends by this
         * deadline, reachable broker or not; 0 while running */
        long long stop_deadline_ms;
        char stop_incomplete[512]; /* first thing the stop could not finish, or "" */
        /* last resort when a librdkafka call ignores its timeout (worker.c) */
        _Atomic(const char *) stop_step; /* the step under way, for its log line */
        pthread_t stop_guard;
        sem_t stop_sem;                 /* posted by worker_stop (async-signal-safe) */
        atomic_llong stop_requested_ms; /* when the stop began (guard or drain), 0 before */
        int stop_guard_started, stop_guard_cancel;
        pthread_mutex_t stop_guard_lock;
        pthread_cond_t stop_guard_cond;

        /* result of the synchronous commit being waited for (worker_commit_sync) */
        int sync_commit_done;
        rd_kafka_resp_err_t sync_commit_err;

        /* at_least_once commits (consumer thread) */
        int commit_due;           /* offsets stored since the last commit request */
        int committed_once;       /* a commit was requested since start */
        long long last_commit_ms; /* when the last commit was requested */

        /* exactly_once */
        int txn_open;
        long long txn_msgs, txn_start_ms;
        rd_kafka_topic_partition_list_t *txn_offsets;
};

static inline long long worker_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void worker_sleep_ms(long ms)
{
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) && errno == EINTR)
                ;
}

/* Records the first fatal cause; worker_run stops and reports it (worker.c). */
__attribute__((format(printf, 2, 3))) void worker_fail(struct worker *w, const char *fmt, ...);
/* Records the first step the shutdown could not finish (not fatal: worker_run
 * still closes everything, then exits 1 naming it) (worker.c). */
__attribute__((format(printf, 2, 3))) void worker_stop_incomplete(struct worker *w, const char *fmt,
                                                                  ...);
/* The stop's deadline once a stop is asked for, 0 before: also while the run
 * loop is still inside a transaction commit or a revoke when the signal comes,
 * so that those end by it too (worker_offsets.c). */
static inline long long worker_stop_deadline(struct worker *w)
{
        long long t0 = 0;
        if (w->stop_deadline_ms)
                return w->stop_deadline_ms;
        if (!atomic_load(&w->stop))
                return 0;
        atomic_compare_exchange_strong(&w->stop_requested_ms, &t0, worker_now_ms());
        return atomic_load(&w->stop_requested_ms) + w->shutdown_timeout_ms;
}

/* Milliseconds a blocking call may take: until @p deadline_ms, at least @p floor_ms
 * (a step that needs the broker gets a chance even after a slow drain). */
static inline int worker_ms_left(long long deadline_ms, long long floor_ms)
{
        long long left = deadline_ms - worker_now_ms();
        if (left < floor_ms)
                left = floor_ms;
        return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

/* worker_produce.c */
void *worker_thread_main(void *arg);
void *worker_poller_main(void *arg);
/* Hands one tracked message to its partition's thread (or classifies it here). */
void worker_dispatch(struct worker *w, rd_kafka_message_t *m, struct otrack_entry *e);
void worker_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);
void worker_on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque);
int worker_on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque);
void worker_on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf);

/* worker_offsets.c (consumer thread) */
void worker_advance(struct worker *w);
int worker_drain(struct worker *w, const rd_kafka_topic_partition_list_t *parts,
                 long long deadline_ms);
int worker_commit_sync(struct worker *w, const char *why, long long deadline_ms);
void worker_commit_maybe(struct worker *w, long long now);
void worker_txn_begin(struct worker *w);
void worker_txn_abort(struct worker *w, const char *why);
int worker_txn_commit(struct worker *w, long long deadline_ms);
void worker_set_paused(struct worker *w, int pause);
void worker_on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *offsets, void *opaque);
void worker_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque);

#endif
