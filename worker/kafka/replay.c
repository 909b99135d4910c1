/* replay: dead letters back to their topic, once (see replay.h). */
#include "replay.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "topic_read.h"
#include "worker.h"

/* Headers the worker adds to a dead letter (worker_dead_letter). Older dead
 * letters lack stemtag-source-headers: their input headers are all the
 * others. */
static const char *const replay_dlq_headers[] = {
    "stemtag-source-headers",   "stemtag-reason",           "stemtag-message",
    "stemtag-source-topic",     "stemtag-source-partition", "stemtag-source-offset",
    "stemtag-source-timestamp", "stemtag-truncated",        NULL,
};

/* One dead letter, decoded. Strings are NUL-terminated copies (bounded). */
struct replay_letter {
        char reason[48];
        char topic[256];
        int32_t partition; /* -1 unknown */
        int truncated;
        long replayed;            /* the input's stemtag-replayed count */
        rd_kafka_headers_t *orig; /* the input's headers, owned */
};

static int replay_is_dlq_header(const char *name)
{
        for (const char *const *h = replay_dlq_headers; *h; h++)
                if (!strcmp(*h, name))
                        return 1;
        return 0;
}

static void replay_copy_text(char *dst, size_t cap, const void *val, size_t size)
{
        size_t n = val ? (size < cap - 1 ? size : cap - 1) : 0;
        if (n)
                memcpy(dst, val, n);
        dst[n] = '\0';
}

/* Decodes the dead letter's headers. -1 when out of memory. */
static int replay_decode(const rd_kafka_message_t *m, struct replay_letter *l)
{
        rd_kafka_headers_t *h = NULL;
        const char *name;
        const void *val;
        size_t size;
        char num[32];
        long n_orig = -1;

        memset(l, 0, sizeof(*l));
        l->partition = -1;
        snprintf(l->reason, sizeof(l->reason), "unknown");
        if (!(l->orig = rd_kafka_headers_new(8)))
                return -1;
        if (rd_kafka_message_headers(m, &h) || !h)
                return 0;
        if (!rd_kafka_header_get_last(h, "stemtag-source-headers", &val, &size)) {
                replay_copy_text(num, sizeof(num), val, size);
                n_orig = strtol(num, NULL, 10);
        }
        for (size_t i = 0; !rd_kafka_header_get_all(h, i, &name, &val, &size); i++) {
                int original = n_orig >= 0 ? (long)i < n_orig : !replay_is_dlq_header(name);
                if (original) {
                        if (!strcmp(name, REPLAY_HEADER_COUNT)) {
                                replay_copy_text(num, sizeof(num), val, size);
                                l->replayed = strtol(num, NULL, 10);
                                continue; /* re-added with the new count */
                        }
                        if (rd_kafka_header_add(l->orig, name, -1, val, (ssize_t)size))
                                return -1;
                        continue;
                }
                if (!strcmp(name, "stemtag-reason"))
                        replay_copy_text(l->reason, sizeof(l->reason), val, size);
                else if (!strcmp(name, "stemtag-source-topic"))
                        replay_copy_text(l->topic, sizeof(l->topic), val, size);
                else if (!strcmp(name, "stemtag-source-partition")) {
                        replay_copy_text(num, sizeof(num), val, size);
                        l->partition = (int32_t)strtol(num, NULL, 10);
                } else if (!strcmp(name, "stemtag-truncated"))
                        l->truncated = 1;
        }
        return 0;
}

/* Index of @p reason in the report; past REPLAY_MAX_REASONS - 1 names, "other". */
static size_t replay_reason_index(struct replay_report *rep, const char *reason)
{
        for (int pass = 0; pass < 2; pass++) {
                for (size_t i = 0; i < rep->n_reasons; i++)
                        if (!strcmp(rep->reason[i], reason))
                                return i;
                if (rep->n_reasons < REPLAY_MAX_REASONS - 1)
                        break;
                reason = "other"; /* the last slot */
        }
        snprintf(rep->reason[rep->n_reasons], sizeof(rep->reason[0]), "%s", reason);
        return rep->n_reasons++;
}

static void replay_counts_add(struct replay_counts *a, const struct replay_counts *b)
{
        a->read += b->read;
        a->replayed += b->replayed;
        a->skipped += b->skipped;
        a->refused_replays += b->refused_replays;
        a->refused_truncated += b->refused_truncated;
        a->refused_source += b->refused_source;
}

static int replay_reason_selected(const struct replay_options *o, const char *reason)
{
        if (!o->reasons)
                return 1;
        for (const char *const *r = o->reasons; *r; r++)
                if (!strcmp(*r, reason))
                        return 1;
        return 0;
}

/* A transactional producer whose id is fixed per group: a new run fences a
 * crashed one and aborts its open batch. */
static rd_kafka_t *replay_producer(const struct replay_options *o, char *errstr, size_t errstr_size)
{
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char txid[512], err[512];
        rd_kafka_t *rk;
        snprintf(txid, sizeof(txid), "stemtag-replay-%s", o->group);
        if (worker_kafka_conf_apply(conf, o->kafka, 0, errstr, errstr_size)) {
                rd_kafka_conf_destroy(conf);
                return NULL;
        }
        if (rd_kafka_conf_set(conf, "transactional.id", txid, err, sizeof(err)) ||
            rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof(err))) {
                snprintf(errstr, errstr_size, "producer: %s", err);
                rd_kafka_conf_destroy(conf);
                return NULL;
        }
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
        if (!rk) {
                snprintf(errstr, errstr_size, "cannot create the producer: %s", err);
                rd_kafka_conf_destroy(conf);
                return NULL;
        }
        return rk;
}

/* librdkafka error object -> errstr, destroyed. Always -1. */
static int replay_txn_fail(rd_kafka_error_t *e, const char *what, char *errstr, size_t errstr_size)
{
        snprintf(errstr, errstr_size, "%s: %s", what, rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        return -1;
}

/* Sends the reader's positions with the open transaction and commits it. */
static int replay_commit(rd_kafka_t *prod, struct topic_reader *rd, int timeout_ms, char *errstr,
                         size_t errstr_size)
{
        rd_kafka_consumer_group_metadata_t *cgmd =
            rd_kafka_consumer_group_metadata(topic_reader_consumer(rd));
        rd_kafka_error_t *e;
        if (!cgmd) {
                snprintf(errstr, errstr_size, "no consumer group metadata");
                return -1;
        }
        e = rd_kafka_send_offsets_to_transaction(prod, topic_reader_positions(rd), cgmd,
                                                 timeout_ms);
        rd_kafka_consumer_group_metadata_destroy(cgmd);
        if (e)
                return replay_txn_fail(e, "committing the replay group's offsets", errstr,
                                       errstr_size);
        if ((e = rd_kafka_commit_transaction(prod, timeout_ms)))
                return replay_txn_fail(e, "committing the transaction", errstr, errstr_size);
        return 0;
}

/* Produces one dead letter's original message; takes over l->orig. */
static int replay_send(rd_kafka_t *prod, const rd_kafka_message_t *m, struct replay_letter *l,
                       const char *target, int32_t partition, char *errstr, size_t errstr_size)
{
        char num[32];
        rd_kafka_resp_err_t err;
        snprintf(num, sizeof(num), "%ld", l->replayed + 1);
        if (rd_kafka_header_add(l->orig, REPLAY_HEADER_COUNT, -1, num, -1)) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        for (;;) {
                err = rd_kafka_producev(
                    prod, RD_KAFKA_V_TOPIC(target), RD_KAFKA_V_PARTITION(partition),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(m->payload, m->len),
                    RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_HEADERS(l->orig),
                    RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                rd_kafka_poll(prod, 100); /* the local queue drains as the broker acks */
        }
        if (err) {
                snprintf(errstr, errstr_size, "producing to %s: %s", target, rd_kafka_err2str(err));
                return -1;
        }
        l->orig = NULL; /* the message owns it now */
        return 0;
}

int replay_run(const struct replay_options *o, struct replay_report *rep, char *errstr,
               size_t errstr_size)
{
        struct topic_read_options ro = {
            .kafka = o->kafka,
            .topic = o->dlq_topic,
            .group = o->group,
            .use_committed = 1,
            .partition = o->partition,
            .from_offset = o->from_offset,
            .to_offset = o->to_offset,
            .timeout_ms = o->timeout_ms,
        };
        int timeout_ms = o->timeout_ms > 0 ? (int)o->timeout_ms : 30000;
        struct replay_counts pend_total = {0}, pend[REPLAY_MAX_REASONS];
        struct topic_reader *rd = NULL;
        rd_kafka_t *prod = NULL;
        rd_kafka_error_t *e;
        int in_txn = 0, rc = -1;
        long long in_batch = 0;

        memset(rep, 0, sizeof(*rep));
        memset(pend, 0, sizeof(pend));
        if (!o->dry_run) {
                if (!(prod = replay_producer(o, errstr, errstr_size)))
                        return -1;
                /* fences an earlier run of the same group and aborts its open batch */
                if ((e = rd_kafka_init_transactions(prod, timeout_ms))) {
                        replay_txn_fail(e, "initialising transactions", errstr, errstr_size);
                        goto out;
                }
        }
        if (!(rd = topic_reader_open(&ro, errstr, errstr_size)))
                goto out;
        for (;;) {
                if (o->limit && rep->total.replayed + pend_total.replayed >= (uint64_t)o->limit)
                        break;
                rd_kafka_message_t *m = NULL;
                int got = topic_reader_next(rd, &m, errstr, errstr_size);
                if (got < 0)
                        goto out;
                if (!got)
                        break;
                if (!o->dry_run && !in_txn) {
                        if ((e = rd_kafka_begin_transaction(prod))) {
                                rd_kafka_message_destroy(m);
                                replay_txn_fail(e, "beginning a transaction", errstr, errstr_size);
                                goto out;
                        }
                        in_txn = 1;
                }
                struct replay_letter l;
                if (replay_decode(m, &l)) {
                        rd_kafka_headers_destroy(l.orig);
                        rd_kafka_message_destroy(m);
                        snprintf(errstr, errstr_size, "out of memory");
                        goto out;
                }
                struct replay_counts *c = &pend[replay_reason_index(rep, l.reason)];
                rd_kafka_timestamp_type_t tstype;
                int64_t ts = rd_kafka_message_timestamp(m, &tstype);
                const char *target = o->to_topic ? o->to_topic : l.topic;
                c->read++;
                pend_total.read++;
                if (!replay_reason_selected(o, l.reason) ||
                    (o->since_ms >= 0 && ts < o->since_ms) ||
                    (o->until_ms >= 0 && ts >= o->until_ms)) {
                        c->skipped++;
                        pend_total.skipped++;
                } else if (l.replayed >= o->max_replays) {
                        c->refused_replays++;
                        pend_total.refused_replays++;
                } else if (l.truncated) {
                        c->refused_truncated++;
                        pend_total.refused_truncated++;
                } else if (!*target) {
                        c->refused_source++;
                        pend_total.refused_source++;
                } else {
                        /* back to the partition it was read from: the original
                         * producer's choice, whatever partitioner it used */
                        int32_t part =
                            !o->to_topic && l.partition >= 0 ? l.partition : RD_KAFKA_PARTITION_UA;
                        if (!o->dry_run &&
                            replay_send(prod, m, &l, target, part, errstr, errstr_size)) {
                                rd_kafka_headers_destroy(l.orig);
                                rd_kafka_message_destroy(m);
                                goto out;
                        }
                        c->replayed++;
                        pend_total.replayed++;
                }
                if (l.orig)
                        rd_kafka_headers_destroy(l.orig);
                rd_kafka_message_destroy(m);
                if (++in_batch >= o->batch || o->dry_run) {
                        if (in_txn && replay_commit(prod, rd, timeout_ms, errstr, errstr_size))
                                goto out;
                        in_txn = 0;
                        in_batch = 0;
                        rep->transactions += !o->dry_run;
                        replay_counts_add(&rep->total, &pend_total);
                        for (size_t i = 0; i < rep->n_reasons; i++)
                                replay_counts_add(&rep->by_reason[i], &pend[i]);
                        memset(&pend_total, 0, sizeof(pend_total));
                        memset(pend, 0, sizeof(pend));
                }
        }
        if (in_txn) {
                if (replay_commit(prod, rd, timeout_ms, errstr, errstr_size))
                        goto out;
                in_txn = 0;
                rep->transactions++;
        }
        replay_counts_add(&rep->total, &pend_total);
        for (size_t i = 0; i < rep->n_reasons; i++)
                replay_counts_add(&rep->by_reason[i], &pend[i]);
        rc = 0;
out:
        if (in_txn && (e = rd_kafka_abort_transaction(prod, timeout_ms)))
                rd_kafka_error_destroy(e); /* the broker aborts it after the timeout anyway */
        topic_reader_close(rd);
        if (prod)
                rd_kafka_destroy(prod);
        return rc;
}
