/* topic_read: bounded read of one topic (see topic_read.h). */
#include "topic_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "worker.h"

struct topic_reader {
        rd_kafka_t *rk;
        size_t n;           /* partitions in the range */
        int32_t *partition; /* [n] */
        int64_t *end;       /* [n] offset after the last message to read */
        int *done;          /* [n] */
        size_t n_done;
        rd_kafka_topic_partition_list_t *pos; /* partitions read from, next offsets */
        char *topic;
        long long timeout_ms;
};

static long long topic_read_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int topic_read_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *errstr,
                          size_t errstr_size)
{
        char err[256];
        if (rd_kafka_conf_set(conf, key, value, err, sizeof(err)) == RD_KAFKA_CONF_OK)
                return 0;
        snprintf(errstr, errstr_size, "kafka.%s: %s", key, err);
        return -1;
}

/* Partition ids of the topic (all, or just @p only), from metadata. */
static int topic_read_partitions(struct topic_reader *r, int32_t only, char *errstr,
                                 size_t errstr_size)
{
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(r->rk, r->topic, NULL);
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err;
        int rc = -1;
        if (!rkt) {
                snprintf(errstr, errstr_size, "topic %s: %s", r->topic,
                         rd_kafka_err2str(rd_kafka_last_error()));
                return -1;
        }
        err = rd_kafka_metadata(r->rk, 0, rkt, &md, (int)r->timeout_ms);
        if (err) {
                snprintf(errstr, errstr_size,
                         "cannot read metadata of %s (brokers unreachable?): %s", r->topic,
                         rd_kafka_err2str(err));
                goto out;
        }
        if (md->topic_cnt != 1 || md->topics[0].err || !md->topics[0].partition_cnt) {
                snprintf(errstr, errstr_size, "topic %s does not exist", r->topic);
                goto out;
        }
        r->partition = calloc((size_t)md->topics[0].partition_cnt, sizeof(*r->partition));
        r->end = calloc((size_t)md->topics[0].partition_cnt, sizeof(*r->end));
        r->done = calloc((size_t)md->topics[0].partition_cnt, sizeof(*r->done));
        if (!r->partition || !r->end || !r->done) {
                snprintf(errstr, errstr_size, "out of memory");
                goto out;
        }
        for (int i = 0; i < md->topics[0].partition_cnt; i++)
                if (only < 0 || md->topics[0].partitions[i].id == only)
                        r->partition[r->n++] = md->topics[0].partitions[i].id;
        if (!r->n) {
                snprintf(errstr, errstr_size, "topic %s has no partition %d", r->topic, (int)only);
                goto out;
        }
        rc = 0;
out:
        if (md)
                rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        return rc;
}

struct topic_reader *topic_reader_open(const struct topic_read_options *o, char *errstr,
                                       size_t errstr_size)
{
        struct topic_reader *r = calloc(1, sizeof(*r));
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_topic_partition_list_t *assign = NULL;
        char err[512];
        if (!r || !conf || !(r->topic = strdup(o->topic)) ||
            !(r->pos = rd_kafka_topic_partition_list_new(8))) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        r->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 30000;
        if (worker_kafka_conf_apply(conf, o->kafka, 1, errstr, errstr_size) ||
            (o->group && topic_read_set(conf, "group.id", o->group, errstr, errstr_size)) ||
            topic_read_set(conf, "enable.partition.eof", "true", errstr, errstr_size) ||
            topic_read_set(conf, "enable.auto.commit", "false", errstr, errstr_size) ||
            topic_read_set(conf, "enable.auto.offset.store", "false", errstr, errstr_size))
                goto fail;
        r->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
        if (!r->rk) {
                snprintf(errstr, errstr_size, "cannot create the consumer: %s", err);
                goto fail;
        }
        conf = NULL; /* the consumer owns it now */
        rd_kafka_poll_set_consumer(r->rk);
        if (topic_read_partitions(r, o->partition, errstr, errstr_size))
                goto fail;

        rd_kafka_topic_partition_list_t *committed = rd_kafka_topic_partition_list_new((int)r->n);
        assign = rd_kafka_topic_partition_list_new((int)r->n);
        if (!committed || !assign) {
                if (committed)
                        rd_kafka_topic_partition_list_destroy(committed);
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        for (size_t i = 0; i < r->n; i++)
                rd_kafka_topic_partition_list_add(committed, r->topic, r->partition[i]);
        if (o->use_committed) {
                rd_kafka_resp_err_t e = rd_kafka_committed(r->rk, committed, (int)r->timeout_ms);
                if (e) {
                        snprintf(errstr, errstr_size, "cannot read committed offsets of %s: %s",
                                 r->topic, rd_kafka_err2str(e));
                        rd_kafka_topic_partition_list_destroy(committed);
                        goto fail;
                }
        }
        for (size_t i = 0; i < r->n; i++) {
                int64_t low, high, start;
                rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(
                    r->rk, r->topic, r->partition[i], &low, &high, (int)r->timeout_ms);
                if (e) {
                        snprintf(errstr, errstr_size, "cannot read the offsets of %s [%d]: %s",
                                 r->topic, (int)r->partition[i], rd_kafka_err2str(e));
                        rd_kafka_topic_partition_list_destroy(committed);
                        goto fail;
                }
                start = low;
                if (o->use_committed && committed->elems[i].offset > start)
                        start = committed->elems[i].offset;
                if (o->from_offset > start)
                        start = o->from_offset;
                r->end[i] = high;
                if (o->to_offset >= 0 && o->to_offset + 1 < r->end[i])
                        r->end[i] = o->to_offset + 1;
                if (start >= r->end[i]) {
                        r->done[i] = 1;
                        r->n_done++;
                        continue;
                }
                rd_kafka_topic_partition_list_add(assign, r->topic, r->partition[i])->offset =
                    start;
        }
        rd_kafka_topic_partition_list_destroy(committed);
        if (assign->cnt) {
                rd_kafka_resp_err_t e = rd_kafka_assign(r->rk, assign);
                if (e) {
                        snprintf(errstr, errstr_size, "cannot assign %s: %s", r->topic,
                                 rd_kafka_err2str(e));
                        goto fail;
                }
        }
        rd_kafka_topic_partition_list_destroy(assign);
        return r;
fail:
        if (assign)
                rd_kafka_topic_partition_list_destroy(assign);
        if (conf)
                rd_kafka_conf_destroy(conf);
        topic_reader_close(r);
        return NULL;
}

static size_t topic_read_index(const struct topic_reader *r, int32_t partition)
{
        for (size_t i = 0; i < r->n; i++)
                if (r->partition[i] == partition)
                        return i;
        return r->n;
}

static void topic_read_mark_done(struct topic_reader *r, size_t i)
{
        if (i < r->n && !r->done[i]) {
                r->done[i] = 1;
                r->n_done++;
        }
}

int topic_reader_next(struct topic_reader *r, rd_kafka_message_t **out, char *errstr,
                      size_t errstr_size)
{
        long long deadline = topic_read_now_ms() + r->timeout_ms;
        while (r->n_done < r->n) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(r->rk, 200);
                if (!m) {
                        if (topic_read_now_ms() > deadline) {
                                snprintf(errstr, errstr_size,
                                         "%s: nothing received for %lld ms (brokers unreachable?)",
                                         r->topic, r->timeout_ms);
                                return -1;
                        }
                        continue;
                }
                size_t i = topic_read_index(r, m->partition);
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        /* read_committed: also the last stable offset below an open
                         * transaction, which this read does not wait for */
                        topic_read_mark_done(r, i);
                        rd_kafka_message_destroy(m);
                        continue;
                }
                if (m->err) {
                        int fatal = m->err != RD_KAFKA_RESP_ERR__TRANSPORT &&
                                    m->err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN;
                        snprintf(errstr, errstr_size, "%s: %s", r->topic,
                                 rd_kafka_message_errstr(m));
                        rd_kafka_message_destroy(m);
                        if (fatal)
                                return -1;
                        continue; /* librdkafka reconnects; the deadline bounds the wait */
                }
                if (i >= r->n || r->done[i] || m->offset >= r->end[i]) {
                        topic_read_mark_done(r, i);
                        rd_kafka_message_destroy(m);
                        continue;
                }
                if (m->offset + 1 >= r->end[i])
                        topic_read_mark_done(r, i);
                rd_kafka_topic_partition_t *p =
                    rd_kafka_topic_partition_list_find(r->pos, r->topic, m->partition);
                if (!p)
                        p = rd_kafka_topic_partition_list_add(r->pos, r->topic, m->partition);
                p->offset = m->offset + 1;
                *out = m;
                return 1;
        }
        return 0;
}

rd_kafka_t *topic_reader_consumer(struct topic_reader *r)
{
        return r->rk;
}

rd_kafka_topic_partition_list_t *topic_reader_positions(struct topic_reader *r)
{
        return r->pos;
}

void topic_reader_close(struct topic_reader *r)
{
        if (!r)
                return;
        if (r->rk) {
                rd_kafka_consumer_close(r->rk);
                rd_kafka_destroy(r->rk);
        }
        if (r->pos)
                rd_kafka_topic_partition_list_destroy(r->pos);
        free(r->partition);
        free(r->end);
        free(r->done);
        free(r->topic);
        free(r);
}
