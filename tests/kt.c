/* kt: Kafka test tool for the integration tests (real broker, librdkafka admin API).
 *   kt create   -b BROKERS TOPIC PARTITIONS [-c KEY=VALUE]...
 *                                                 create a topic (with topic configs,
 *                                                 e.g. max.message.bytes), wait for the result
 *   kt wait     -b BROKERS TOPIC                  wait until the topic's metadata has leaders
 *   kt offsets  -b BROKERS TOPIC                  print the sum of high watermarks
 *   kt committed -b BROKERS -g GROUP TOPIC        print the sum of committed offsets
 * Exit 0 on success, 1 on failure with a message on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#define KT_TIMEOUT_MS 30000

static void kt_die(const char *what, const char *detail)
{
        fprintf(stderr, "kt: %s: %s\n", what, detail);
        exit(1);
}

static rd_kafka_t *kt_client(rd_kafka_type_t type, const char *brokers, const char *group)
{
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *rk;

        if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr)) ||
            (group && rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof(errstr))))
                kt_die("config", errstr);
        rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
        if (!rk)
                kt_die("client", errstr);
        return rk;
}

static int kt_create(const char *brokers, const char *topic, int partitions, char *const *configs,
                     int n_configs)
{
        char errstr[512];
        rd_kafka_t *rk = kt_client(RD_KAFKA_PRODUCER, brokers, NULL);
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_NewTopic_t *nt =
            rd_kafka_NewTopic_new(topic, partitions, 1, errstr, sizeof(errstr));
        rd_kafka_event_t *ev;
        const rd_kafka_topic_result_t **res;
        size_t n;
        int rc = 0;

        if (!nt)
                kt_die("new topic", errstr);
        for (int i = 0; i < n_configs; i++) {
                char *eq = strchr(configs[i], '=');
                if (!eq)
                        kt_die("topic config must be KEY=VALUE", configs[i]);
                *eq = '\0';
                if (rd_kafka_NewTopic_set_config(nt, configs[i], eq + 1))
                        kt_die("topic config", configs[i]);
        }
        rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
        ev = rd_kafka_queue_poll(q, KT_TIMEOUT_MS);
        if (!ev)
                kt_die("create topic", "timed out");
        if (rd_kafka_event_error(ev))
                kt_die("create topic", rd_kafka_event_error_string(ev));
        res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
        for (size_t i = 0; i < n; i++)
                if (rd_kafka_topic_result_error(res[i])) {
                        fprintf(stderr, "kt: create topic %s: %s\n",
                                rd_kafka_topic_result_name(res[i]),
                                rd_kafka_topic_result_error_string(res[i]));
                        rc = 1;
                }
        rd_kafka_event_destroy(ev);
        rd_kafka_NewTopic_destroy(nt);
        rd_kafka_queue_destroy(q);
        rd_kafka_destroy(rk);
        return rc;
}

/* Partition count of @p topic once every partition has a leader; 0 if not yet. */
static int kt_partitions(rd_kafka_t *rk, const char *topic)
{
        const struct rd_kafka_metadata *md;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        int n = 0;

        if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                if (md->topic_cnt == 1 && !md->topics[0].err) {
                        n = md->topics[0].partition_cnt;
                        for (int i = 0; i < md->topics[0].partition_cnt; i++)
                                if (md->topics[0].partitions[i].leader < 0)
                                        n = 0;
                }
                rd_kafka_metadata_destroy(md);
        }
        rd_kafka_topic_destroy(rkt);
        return n;
}

static int kt_wait(const char *brokers, const char *topic)
{
        rd_kafka_t *rk = kt_client(RD_KAFKA_PRODUCER, brokers, NULL);
        int n = 0;

        for (int tries = 0; tries < 120 && !(n = kt_partitions(rk, topic)); tries++)
                rd_kafka_poll(rk, 500);
        rd_kafka_destroy(rk);
        if (!n)
                kt_die(topic, "no leaders after 60 s");
        printf("%d\n", n);
        return 0;
}

/* A fresh topic's partition can have a leader in the metadata while that
 * broker still answers "not leader" to ListOffsets: waited out (every 200 ms,
 * up to 60 s) like kt_wait's leaders, so callers polling a count see a number,
 * never an error, in that window. */
static rd_kafka_resp_err_t kt_watermarks(rd_kafka_t *rk, const char *topic, int partition,
                                         int64_t *lo, int64_t *hi)
{
        rd_kafka_resp_err_t err;
        for (int tries = 0;; tries++) {
                err = rd_kafka_query_watermark_offsets(rk, topic, partition, lo, hi, KT_TIMEOUT_MS);
                if ((err != RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION &&
                     err != RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE) ||
                    tries == 300)
                        return err;
                rd_kafka_poll(rk, 200);
        }
}

/* Sum of high watermarks (@p group NULL) or of committed offsets (@p group set). */
static int kt_sum(const char *brokers, const char *group, const char *topic)
{
        rd_kafka_t *rk = kt_client(group ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER, brokers, group);
        rd_kafka_topic_partition_list_t *parts;
        int n = kt_partitions(rk, topic);
        long long sum = 0;

        if (!n)
                kt_die(topic, "unknown topic or no leader");
        parts = rd_kafka_topic_partition_list_new(n);
        for (int p = 0; p < n; p++)
                rd_kafka_topic_partition_list_add(parts, topic, p);
        if (group) {
                rd_kafka_resp_err_t err = rd_kafka_committed(rk, parts, KT_TIMEOUT_MS);
                if (err)
                        kt_die("committed", rd_kafka_err2str(err));
                for (int p = 0; p < n; p++)
                        if (parts->elems[p].offset >= 0)
                                sum += parts->elems[p].offset;
        } else {
                for (int p = 0; p < n; p++) {
                        int64_t lo, hi;
                        rd_kafka_resp_err_t err = kt_watermarks(rk, topic, p, &lo, &hi);
                        if (err)
                                kt_die("watermarks", rd_kafka_err2str(err));
                        sum += hi;
                }
        }
        printf("%lld\n", sum);
        rd_kafka_topic_partition_list_destroy(parts);
        if (group)
                rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return 0;
}

static void kt_usage(void)
{
        fprintf(stderr, "usage: kt create -b BROKERS TOPIC PARTITIONS [-c KEY=VALUE]...\n"
                        "       kt wait -b BROKERS TOPIC\n"
                        "       kt offsets -b BROKERS TOPIC\n"
                        "       kt committed -b BROKERS -g GROUP TOPIC\n");
        exit(2);
}

int main(int argc, char **argv)
{
        const char *brokers = NULL, *group = NULL, *args[3] = {0};
        char *configs[16];
        int nargs = 0, n_configs = 0;

        if (argc < 2)
                kt_usage();
        for (int i = 2; i < argc; i++) {
                if (!strcmp(argv[i], "-b") && i + 1 < argc)
                        brokers = argv[++i];
                else if (!strcmp(argv[i], "-g") && i + 1 < argc)
                        group = argv[++i];
                else if (!strcmp(argv[i], "-c") && i + 1 < argc && n_configs < 16)
                        configs[n_configs++] = argv[++i];
                else if (nargs < 3)
                        args[nargs++] = argv[i];
                else
                        kt_usage();
        }
        if (!brokers)
                kt_usage();
        if (!strcmp(argv[1], "create") && nargs == 2)
                return kt_create(brokers, args[0], atoi(args[1]), configs, n_configs);
        if (!strcmp(argv[1], "wait") && nargs == 1)
                return kt_wait(brokers, args[0]);
        if (!strcmp(argv[1], "offsets") && nargs == 1)
                return kt_sum(brokers, NULL, args[0]);
        if (!strcmp(argv[1], "committed") && nargs == 1 && group)
                return kt_sum(brokers, group, args[0]);
        kt_usage();
        return 2;
}
