/* worker_stats: the Kafka worker's counters, the one place they are kept.
 * Every field is an atomic updated with relaxed increments by whichever thread
 * sees the event (main loop, pipeline threads, delivery reports); ops reads
 * them with worker_stats_snapshot() for /metrics. */
#ifndef STEMTAG_WORKER_STATS_H
#define STEMTAG_WORKER_STATS_H

#include <stdatomic.h>
#include <stdint.h>

/** Dead-letter reasons the worker counts separately (wire names below). */
enum worker_dlq_reason {
        WDLQ_EMPTY = 0,       /* "empty" */
        WDLQ_TOO_LARGE,       /* "too_large" */
        WDLQ_INVALID_UTF8,    /* "invalid_utf8" */
        WDLQ_JSON_SYNTAX,     /* "json_syntax" */
        WDLQ_JSON_NOT_OBJECT, /* "json_not_object" */
        WDLQ_FIELD_TYPE,      /* "field_type" */
        WDLQ_NO_TEXT,         /* "no_text" */
        WDLQ_ROUTE_MISSING,   /* "route_missing": a routed output topic does not exist */
        WDLQ_PRODUCE_ERROR,   /* "produce_error": the record could not be produced */
        WDLQ_OTHER,           /* any other reason string from the pipeline */
        WDLQ__COUNT
};

struct worker_stats {
        atomic_uint_fast64_t consumed; /**< input messages handed to a pipeline */
        atomic_uint_fast64_t produced; /**< output records acknowledged by the broker */
        atomic_uint_fast64_t dead_lettered[WDLQ__COUNT]; /**< DLQ messages acknowledged */
        atomic_uint_fast64_t errors;          /**< Kafka client errors reported (error_cb) */
        atomic_uint_fast64_t delivery_errors; /**< produce requests that failed for good */
        atomic_uint_fast64_t rebalances;      /**< assign + revoke + lost events */
        atomic_uint_fast64_t pauses;          /**< times input was paused by backpressure */
        atomic_uint_fast64_t queue_full;      /**< producer queue full retries */
        atomic_uint_fast64_t commits;         /**< offset commits (or committed transactions) */
        atomic_uint_fast64_t txn_aborts;      /**< exactly_once: aborted transactions */
        atomic_int_fast64_t inflight;         /**< consumed but not yet acknowledged */
        atomic_int_fast64_t assigned;         /**< partitions currently assigned */
        atomic_int paused;                    /**< 1 while input is paused */
};

/** Wire name of a reason index ("empty", ..., "other"). */
const char *worker_dlq_reason_name(enum worker_dlq_reason r);
/** Index of a pipeline reason string; WDLQ_OTHER when unknown. */
enum worker_dlq_reason worker_dlq_reason_index(const char *reason);

/** Plain copy for reporting (each field read atomically; the set is not a snapshot
 *  of one instant, which is fine for counters). */
struct worker_stats_values {
        uint64_t consumed, produced, dead_lettered[WDLQ__COUNT], errors, delivery_errors,
            rebalances, pauses, queue_full, commits, txn_aborts;
        int64_t inflight, assigned;
        int paused;
};
void worker_stats_snapshot(const struct worker_stats *s, struct worker_stats_values *out);

#define WSTAT_ADD(field, n) atomic_fetch_add_explicit(&(field), (n), memory_order_relaxed)

#endif
