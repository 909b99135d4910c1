/* offset_tracker: which input offsets may be stored (at-least-once) or sent to
 * the transaction (exactly-once). One entry per consumed message, kept in
 * per-partition FIFO order. An entry is complete when every hold on it is
 * released: one hold for the classification step plus one per produced message
 * (output records, or the dead-letter message). A partition's next offset to
 * commit advances only over a prefix of complete entries, so an offset is
 * stored only when ALL its outputs and all earlier offsets of that partition
 * are acknowledged.
 *
 * Threads: otrack_add/advance/forget/count are called by the consumer thread
 * only; otrack_entry_hold/release may be called from any thread (they touch
 * one atomic). */
#ifndef STEMTAG_OFFSET_TRACKER_H
#define STEMTAG_OFFSET_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

struct otrack;
struct otrack_entry;

/** New empty tracker (caller owns; otrack_destroy). NULL on OOM. */
struct otrack *otrack_new(void);
/** Frees the tracker and every entry still in it. Only call once nobody holds
 *  entries any more (producer flushed / purged). NULL is a no-op. */
void otrack_destroy(struct otrack *t);

/**
 * @brief Registers consumed message @p offset of @p topic/@p partition.
 * @returns the entry with one hold (the caller's), owned by the tracker; it
 *          stays valid until it is complete and otrack_advance() popped it.
 *          NULL on OOM.
 */
struct otrack_entry *otrack_add(struct otrack *t, const char *topic, int32_t partition,
                                int64_t offset);

/** One more pending acknowledgement (before each produce). Any thread. */
void otrack_entry_hold(struct otrack_entry *e);
/** One acknowledgement arrived; @p err != 0 marks the entry failed. Any thread. */
void otrack_entry_release(struct otrack_entry *e, int err);

/** Topic/partition/offset of an entry (borrowed; valid while the entry is). */
const char *otrack_entry_topic(const struct otrack_entry *e);
int32_t otrack_entry_partition(const struct otrack_entry *e);
int64_t otrack_entry_offset(const struct otrack_entry *e);

/**
 * @brief Pops complete entries from the head of every partition.
 * For each active partition that advanced, adds topic/partition with offset =
 * last popped offset + 1 to @p out (if @p out is not NULL).
 * @returns number of entries popped. If a head entry failed, stops at it and
 *          sets *@p failed to that entry (valid until otrack_forget/reset), else
 *          leaves *@p failed untouched.
 */
size_t otrack_advance(struct otrack *t, rd_kafka_topic_partition_list_t *out,
                      struct otrack_entry **failed);

/** Entries (complete or not) still tracked, all partitions. */
size_t otrack_count(const struct otrack *t);
/** Entries not yet complete (holds left) for the partitions in @p parts
 *  (offsets ignored), or in all partitions when @p parts is NULL. Scans. */
size_t otrack_pending(const struct otrack *t, const rd_kafka_topic_partition_list_t *parts);
/** Error code a failed entry was released with (0 if none). */
int otrack_entry_error(const struct otrack_entry *e);

/**
 * @brief The partition is no longer ours (revoked, lost, or rewound): its
 * entries are popped silently as they complete and never reported.
 */
void otrack_forget(struct otrack *t, const char *topic, int32_t partition);
/** otrack_forget() for every partition. */
void otrack_forget_all(struct otrack *t);

#endif
