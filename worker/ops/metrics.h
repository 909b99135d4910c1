/* metrics: the process's Prometheus metrics and the health/readiness state
 * behind /metrics, /healthz and /readyz (http.h serves them).
 *
 * Owns: the processing-latency histogram, tags by kind/value, errors by kind,
 * model reloads, and what librdkafka's statistics JSON says (consumer lag per
 * partition, producer queue depth, group state, broker reachability).
 * Counters the Kafka worker already keeps (consumed, produced, dead-lettered,
 * rebalances, ...) are not duplicated: a pull callback copies them into
 * struct metrics_worker_values at scrape time.
 *
 * Threads: every metrics_* update is safe from any thread. Hot-path updates
 * (metrics_observe_processing, metrics_tag) are relaxed atomic increments
 * after a lock-free label lookup; only the first sighting of a new label
 * value takes a mutex. Statistics parsing and rendering take a mutex but run
 * only on the stats interval / per scrape. */
#ifndef STEMTAG_METRICS_H
#define STEMTAG_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct metrics;

#define METRICS_MAX_REASONS 16

/** The worker's own counters, copied at scrape time (see metrics_set_pull). */
struct metrics_worker_values {
        uint64_t consumed;                           /**< input messages taken from Kafka */
        uint64_t produced;                           /**< output records acknowledged */
        uint64_t rebalances;                         /**< assign/revoke/lost events */
        uint64_t kafka_errors;                       /**< client errors (error_cb) */
        uint64_t delivery_errors;                    /**< produce requests failed for good */
        uint64_t commits;                            /**< offset commits / committed transactions */
        uint64_t pauses;                             /**< times input was paused by backpressure */
        int64_t inflight;                            /**< consumed, not yet acknowledged */
        int64_t assigned;                            /**< partitions assigned now; -1 unknown */
        int paused;                                  /**< 1 while input is paused */
        size_t n_reasons;                            /**< entries used in the two arrays below */
        const char *dlq_reason[METRICS_MAX_REASONS]; /**< static strings */
        uint64_t dlq_count[METRICS_MAX_REASONS];     /**< acknowledged dead letters */
};

/** Fills @p out (zeroed by the caller) with the worker's current counters. */
typedef void (*metrics_pull_fn)(void *opaque, struct metrics_worker_values *out);

/** @brief New registry; caller owns it (metrics_destroy). NULL on OOM. */
struct metrics *metrics_new(void);
/** NULL is a no-op. Stop the HTTP server first: it reads the registry. */
void metrics_destroy(struct metrics *m);

/** Labels of stemtag_build_info (copied; NULL leaves a label empty). */
void metrics_set_build_info(struct metrics *m, const char *version, const char *revision);

/** Sets the pull callback (NULL to remove). Thread-safe. */
void metrics_set_pull(struct metrics *m, metrics_pull_fn fn, void *opaque);

/** One message went through the pure path in @p seconds. Hot path. */
void metrics_observe_processing(struct metrics *m, double seconds);
/** Counts one tag: @p kind "language" or "section" and its value (copied on
 *  first sight). More than a few hundred distinct values fold into "_other". */
void metrics_tag(struct metrics *m, const char *kind, const char *value);
/** Counts one error of @p kind ("reload", "stats", ...). */
void metrics_error(struct metrics *m, const char *kind);
/** A model reload finished; @p ok 1 success, 0 failure (old model kept). */
void metrics_model_reload(struct metrics *m, int ok);

/** The worker loop turned (call once per poll). Cheap: one atomic store. */
void metrics_heartbeat(struct metrics *m);
/** Broker reachability from error_cb: 1 up, 0 all brokers down. */
void metrics_set_brokers_up(struct metrics *m, int up);
/** Producer queue depth (rd_kafka_outq_len), if the caller polls it. */
void metrics_set_producer_queue(struct metrics *m, int64_t n);

/**
 * @brief Feeds one librdkafka statistics JSON document (stats_cb payload).
 * Consumer documents replace the lag table and group state; producer
 * documents set the queue depth; both update broker reachability.
 * @returns 0, or -1 when the JSON cannot be parsed (counted as an error).
 */
int metrics_stats_json(struct metrics *m, const char *json, size_t len);

/**
 * @brief Renders every metric in the Prometheus text format 0.0.4.
 * @returns a new NUL-terminated string (caller frees), @p len_out set; NULL on OOM.
 */
char *metrics_render(struct metrics *m, size_t *len_out);

/** /healthz: 1 when the loop turned within @p stall_ms (or never turned yet
 *  and the process is younger than that). @p why explains a 0. */
int metrics_healthy(struct metrics *m, int64_t stall_ms, char *why, size_t why_size);
/** /readyz: 1 when partitions are assigned or the group is joined, and no
 *  sign says the brokers are unreachable. @p why explains a 0. */
int metrics_ready(struct metrics *m, char *why, size_t why_size);

#endif
