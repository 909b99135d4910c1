/* worker: the Kafka consume -> classify -> produce loop (`stemtag run`).
 *
 * Shape: one consumer thread (this module's worker_run) owns the consumer,
 * the offset tracker, rebalances, backpressure and commits; `pipelines`
 * classification threads (or the consumer thread itself when pipelines = 1)
 * run the pure path and produce; one poller thread serves the producer's
 * delivery reports. All messages of one partition go to the same pipeline
 * thread, so per-partition (and so per-key) order is kept in the outputs.
 * Guarantees and policies are described in docs/worker.md. */
#ifndef STEMTAG_WORKER_H
#define STEMTAG_WORKER_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "pipeline.h"
#include "worker_stats.h"

struct worker;

/** What the worker needs from the config (strings borrowed for worker_new only). */
struct worker_options {
        const char *input_topics;  /**< comma list; "^..." entries are regexes */
        const char *output_topics; /**< comma list of templates ({section}, {language}) */
        const char *dlq_topic;
        /** Dead letters carry at most this many bytes of the original value, so a
         *  message too large for the dead-letter topic cannot block its partition. */
        long long dlq_max_bytes;
        int exactly_once;       /**< processing.guarantee = exactly_once */
        int pipelines;          /**< classification threads (>= 1) */
        long long max_inflight; /**< pause input above this many unacknowledged messages */
        long long shutdown_timeout_ms;
        long long txn_max_messages;
        long long txn_max_ms;
        /** at_least_once: stored offsets are committed (async) as soon as the
         *  first outputs are acknowledged, then at most this often. A crash
         *  duplicates at most what was processed since the last commit. */
        long long commit_interval_ms;
        /** kafka.* settings, prefix stripped: key0, value0, key1, ..., NULL.
         *  "consumer.X" / "producer.X" apply to one client only. */
        const char *const *kafka;
        const struct pipeline_options *pipeline; /**< for the per-thread contexts */
        /** Optional (borrowed; must outlive the worker): processing latency,
         *  tags, heartbeat, librdkafka statistics, broker reachability. */
        struct metrics *metrics;
};

/**
 * @brief Creates the clients, checks the topics and starts nothing yet.
 * @p model: one reference is taken over by the worker.
 * @returns a new worker (worker_destroy), or NULL with @p errstr naming the
 *          cause (bad kafka.* key, missing topic, unreachable brokers, ...).
 */
struct worker *worker_new(const struct worker_options *opts, struct pipeline_model *model,
                          char *errstr, size_t errstr_size);

/**
 * @brief Runs until worker_stop() or a fatal error, then drains, commits,
 * closes the consumer and flushes the producer, all within shutdown.timeout.ms
 * of the stop, broker reachable or not. Should a librdkafka call outlast that
 * by 4 s, the process exits with status 1 (log event shutdown_timeout).
 * @returns 0 after a clean stop; -1 on a fatal error, or when the stop left
 * work uncommitted (to be processed again), with @p errstr naming it.
 */
int worker_run(struct worker *w, char *errstr, size_t errstr_size);

/** Asks worker_run to stop gracefully. Async-signal-safe. */
void worker_stop(struct worker *w);

/** Swaps the model (SIGHUP reload): takes over one reference of @p model;
 *  messages already being classified finish on the old one. Thread-safe. */
void worker_swap_model(struct worker *w, struct pipeline_model *model);

/** The worker's counters (borrowed; valid until worker_destroy). */
const struct worker_stats *worker_get_stats(const struct worker *w);

struct metrics_worker_values;
/** metrics_pull_fn for metrics_set_pull(): copies the counters; @p opaque is the worker. */
void worker_metrics_pull(void *opaque, struct metrics_worker_values *out);

/** Frees everything; NULL is a no-op. Waits for librdkafka at most 1.5 s
 *  past the stop's deadline: a client that is still closing then is left to
 *  the process exit, and @p w stays allocated for it (log event destroy_timeout). */
void worker_destroy(struct worker *w);

/**
 * @brief The @p i-th librdkafka property the worker sets before the user's
 * kafka.* keys (which may override it); docs/configuration.md lists them
 * (tests/unit/test_config_doc.c checks). @p client: "consumer" or "producer"
 * for one client only, NULL for both. Static strings.
 * @returns 0, or -1 when @p i is past the end.
 */
int worker_kafka_default(size_t i, const char **client, const char **key, const char **value);

/**
 * @brief What worker_new sets on each client before its own needs: the
 * defaults above (worker_kafka_default), then the user's kafka.* pairs
 * @p kafka (key0, value0, ..., NULL, prefix stripped; "consumer.X" /
 * "producer.X" to one client only, group.id to the consumer only). Other
 * Kafka tools (`stemtag replay`, `stemtag diff --topic`) connect the same way.
 * @returns 0, or -1 with @p errstr naming the kafka.* key.
 */
int worker_kafka_conf_apply(rd_kafka_conf_t *conf, const char *const *kafka, int consumer,
                            char *errstr, size_t errstr_size);

#endif
