/* topic_read: a bounded read of one Kafka topic, for the commands that look
 * at a topic and stop (`stemtag replay` reads the dead-letter topic, `stemtag
 * diff --topic` a sample of the input). Partitions are assigned, not
 * subscribed (no group rebalance): each is read from a start offset (the
 * group's committed offset, else the first kept one, or a given one) to its
 * end as it was when the read started, so a topic that keeps growing still
 * ends the read. With read_committed (the librdkafka default) the end of a
 * partition with an open transaction is its last stable offset: the read
 * stops there rather than wait for the transaction. */
#ifndef STEMTAG_TOPIC_READ_H
#define STEMTAG_TOPIC_READ_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

struct topic_reader;

struct topic_read_options {
        const char *const *kafka; /**< kafka.* pairs (worker_kafka_conf_apply) */
        const char *topic;
        const char *group;    /**< group.id whose committed offsets are the start; NULL:
                                   kafka.group.id, and start at the beginning */
        int use_committed;    /**< 1: start at the group's committed offsets */
        int32_t partition;    /**< -1: every partition */
        int64_t from_offset;  /**< -1: none; else no message before it */
        int64_t to_offset;    /**< -1: none; else no message after it (inclusive) */
        long long timeout_ms; /**< give up when nothing arrives for this long */
};

/** @brief Connects, looks up partitions and their ends, assigns.
 *  @returns a reader (topic_reader_close), or NULL with @p errstr. */
struct topic_reader *topic_reader_open(const struct topic_read_options *o, char *errstr,
                                       size_t errstr_size);

/**
 * @brief The next message of the range (the caller destroys it with
 * rd_kafka_message_destroy).
 * @returns 1 with *@p out, 0 when every partition is read to its end,
 *          -1 on an error or timeout (@p errstr).
 */
int topic_reader_next(struct topic_reader *r, rd_kafka_message_t **out, char *errstr,
                      size_t errstr_size);

/** The consumer (borrowed): for group metadata and offsets in transactions. */
rd_kafka_t *topic_reader_consumer(struct topic_reader *r);

/** Partitions with the offset after the last message returned of each (for
 *  committing progress); borrowed, valid until the next call on @p r. */
rd_kafka_topic_partition_list_t *topic_reader_positions(struct topic_reader *r);

/** Closes the consumer (no commit) and frees; NULL is a no-op. */
void topic_reader_close(struct topic_reader *r);

#endif
