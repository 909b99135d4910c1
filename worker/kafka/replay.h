/* replay: sends dead letters back (`stemtag replay`). Reads a range of the
 * dead-letter topic (topic_read), restores each message's original value,
 * key and headers (the worker keeps them: value and key are the dead letter's
 * own, the input's headers are its first `stemtag-source-headers` headers),
 * adds or increments header stemtag-replayed, and produces it to the topic it
 * came from (stemtag-source-topic, same partition) or to a given topic.
 *
 * Guarantee: the produced messages and the replay group's offsets on the
 * dead-letter topic are committed in one Kafka transaction per batch, with a
 * transactional.id fixed per group, so a run that crashes is fenced by the
 * next: its open batch is aborted and read again. A consumer of the target
 * topic that reads committed data (librdkafka's default, the worker's too)
 * sees each dead letter replayed once per group; read_uncommitted consumers
 * may also see the messages of an aborted batch. */
#ifndef STEMTAG_REPLAY_H
#define STEMTAG_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#define REPLAY_HEADER_COUNT "stemtag-replayed"
#define REPLAY_MAX_REASONS  32

struct replay_options {
        const char *const *kafka; /**< kafka.* pairs (worker_kafka_conf_apply) */
        const char *dlq_topic;
        const char *group;          /**< the replay's own consumer group (its progress) */
        const char *to_topic;       /**< NULL: each message's stemtag-source-topic */
        const char *const *reasons; /**< NULL-terminated; NULL: every reason */
        int32_t partition;          /**< dead-letter partition, -1: all */
        int64_t from_offset;        /**< -1: none (inclusive bounds) */
        int64_t to_offset;          /**< -1: none */
        int64_t since_ms;           /**< dead letters written at or after (-1: none) */
        int64_t until_ms;           /**< dead letters written before (-1: none) */
        long long limit;            /**< replay at most this many (0: all) */
        int max_replays;            /**< refuse messages already replayed this often */
        long long batch;            /**< dead letters per transaction */
        long long timeout_ms;       /**< Kafka operations give up after this */
        int dry_run;                /**< count only: no produce, no commit */
};

struct replay_counts {
        uint64_t read;              /**< dead letters looked at */
        uint64_t replayed;          /**< produced (committed) */
        uint64_t skipped;           /**< outside the filters (reason, time) */
        uint64_t refused_replays;   /**< already replayed max_replays times */
        uint64_t refused_truncated; /**< value cut to dlq.max.bytes: original lost */
        uint64_t refused_source;    /**< no target: no stemtag-source-topic and no to_topic */
};

struct replay_report {
        struct replay_counts total;
        size_t n_reasons;
        char reason[REPLAY_MAX_REASONS][48]; /**< "other" collects the rest */
        struct replay_counts by_reason[REPLAY_MAX_REASONS];
        uint64_t transactions;
};

/**
 * @brief Runs one replay. @p rep holds what was done (also on failure: the
 * batches committed before it).
 * @returns 0, or -1 with @p errstr (the open batch is aborted: nothing of it
 *          is sent or committed).
 */
int replay_run(const struct replay_options *o, struct replay_report *rep, char *errstr,
               size_t errstr_size);

#endif
