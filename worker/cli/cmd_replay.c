/* stemtag replay: dead letters back to the topic they came from, once
 * (worker/kafka/replay.h), with a report of what was done. */
#define _GNU_SOURCE /* timegm, strptime */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli_config.h"
#include "cli_kafka.h"
#include "commands.h"
#include "config.h"
#include "log.h"
#include "replay.h"

static void replay_usage(FILE *out)
{
        fprintf(out,
                "Usage: stemtag replay [options]\n\n"
                "Reads the dead-letter topic and produces each dead letter's original message\n"
                "(value, key and headers as the worker received them) to the topic it came\n"
                "from, same partition, with header stemtag-replayed = how often it was\n"
                "replayed. Progress is the offsets of the replay's own consumer group,\n"
                "committed in the same Kafka transaction as the messages: a second run sends\n"
                "nothing twice, a crashed run's open batch is aborted and read again. Every\n"
                "dead letter read (replayed, skipped by a filter or refused) is behind the\n"
                "group's offset afterwards: to replay another selection later, use another\n"
                "--group. Kafka settings (kafka.*) come from the config, as for `run`.\n\n"
                "Options:\n"
                "  -c, --config FILE      config file (kafka.*, dlq.topic)\n"
                "  -X key=value           set one config key (repeatable)\n"
                "  -b, --brokers LIST     = -X kafka.bootstrap.servers=LIST\n"
                "      --topic TOPIC      dead-letter topic (default: dlq.topic)\n"
                "      --to TOPIC         produce here instead of each stemtag-source-topic\n"
                "                         (partition chosen by key)\n"
                "  -g, --group ID         the replay's consumer group (default stemtag-replay)\n"
                "      --reason R[,R...]  only these stemtag-reason values (repeatable)\n"
                "      --partition N      only this dead-letter partition\n"
                "      --from-offset N    only dead letters at or after offset N\n"
                "      --to-offset N      only dead letters at or before offset N\n"
                "      --since TIME       only dead letters written at or after TIME\n"
                "      --until TIME       only dead letters written before TIME (TIME: ms since\n"
                "                         the epoch or YYYY-MM-DDTHH:MM:SS[Z], UTC)\n"
                "      --limit N          replay at most N, then stop (the rest stays for the\n"
                "                         next run)\n"
                "      --max-replays N    refuse messages already replayed N times (default 3)\n"
                "      --batch N          dead letters per transaction (default 1000)\n"
                "      --timeout-ms N     give up on Kafka after N ms (default 30000)\n"
                "      --dry-run          read and count only: nothing produced or committed\n"
                "      --json             the report as one JSON object\n"
                "  -h, --help             this help\n\n"
                "Refused (never sent, counted): already replayed --max-replays times,\n"
                "truncated dead letters (stemtag-truncated: the original value is lost), and\n"
                "dead letters without stemtag-source-topic when --to is not given.\n"
                "Exit status: 0 done, 1 Kafka error (batches committed before it stay\n"
                "committed; the report says how many), 2 usage or config error.\n");
}

/* ms since the epoch, or YYYY-MM-DDTHH:MM:SS[Z] in UTC. -1 on a bad value. */
static int replay_parse_time(const char *s, int64_t *out)
{
        char *end;
        struct tm tm;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (!errno && end != s && !*end && v >= 0) {
                *out = v;
                return 0;
        }
        memset(&tm, 0, sizeof(tm));
        end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
        if (!end || (*end && strcmp(end, "Z")))
                return -1;
        *out = (int64_t)timegm(&tm) * 1000;
        return 0;
}

static int replay_parse_num(const char *opt, const char *s, long long min, long long *out)
{
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || end == s || *end || v < min) {
                fprintf(stderr, "stemtag replay: %s: expected an integer >= %lld, not '%s'\n", opt,
                        min, s);
                return -1;
        }
        *out = v;
        return 0;
}

static void replay_print_counts(const char *name, const struct replay_counts *c)
{
        printf("%-20s %8llu %8llu %8llu %8llu %9llu %9llu\n", name, (unsigned long long)c->read,
               (unsigned long long)c->replayed, (unsigned long long)c->skipped,
               (unsigned long long)c->refused_replays, (unsigned long long)c->refused_truncated,
               (unsigned long long)c->refused_source);
}

static json_t *replay_json_counts(const struct replay_counts *c)
{
        return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "read", (json_int_t)c->read, "replayed",
                         (json_int_t)c->replayed, "skipped", (json_int_t)c->skipped,
                         "refused_max_replays", (json_int_t)c->refused_replays, "refused_truncated",
                         (json_int_t)c->refused_truncated, "refused_no_source",
                         (json_int_t)c->refused_source);
}

static void replay_print(const struct replay_options *o, const struct replay_report *rep, int json,
                         const char *error)
{
        if (json) {
                json_t *reasons = json_object();
                for (size_t i = 0; i < rep->n_reasons; i++)
                        json_object_set_new(reasons, rep->reason[i],
                                            replay_json_counts(&rep->by_reason[i]));
                json_t *doc = json_pack(
                    "{s:s,s:s,s:b,s:I,s:o,s:o,s:s?}", "topic", o->dlq_topic, "group", o->group,
                    "dry_run", o->dry_run, "transactions", (json_int_t)rep->transactions, "total",
                    replay_json_counts(&rep->total), "reasons", reasons, "error", error);
                if (!doc || json_dumpf(doc, stdout, JSON_COMPACT) < 0)
                        LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "cannot write the JSON report");
                fputc('\n', stdout);
                json_decref(doc);
                return;
        }
        printf("replay of %s (group %s%s): %llu transaction(s)\n", o->dlq_topic, o->group,
               o->dry_run ? ", dry run: nothing sent" : "", (unsigned long long)rep->transactions);
        printf("%-20s %8s %8s %8s %8s %9s %9s\n", "reason", "read", "replayed", "skipped",
               "refused:", "truncated", "no-source");
        printf("%-20s %8s %8s %8s %8s %9s %9s\n", "", "", "", "", "max", "", "");
        for (size_t i = 0; i < rep->n_reasons; i++)
                replay_print_counts(rep->reason[i], &rep->by_reason[i]);
        replay_print_counts("total", &rep->total);
}

int cmd_replay(int argc, char **argv)
{
        enum {
                O_TOPIC = 256,
                O_TO,
                O_REASON,
                O_PARTITION,
                O_FROM,
                O_UNTIL_OFF,
                O_SINCE,
                O_UNTIL,
                O_LIMIT,
                O_MAX,
                O_BATCH,
                O_TIMEOUT,
                O_DRY,
                O_JSON,
        };
        static const struct option longopts[] = {
            {"config", required_argument, NULL, 'c'},
            {"brokers", required_argument, NULL, 'b'},
            {"group", required_argument, NULL, 'g'},
            {"topic", required_argument, NULL, O_TOPIC},
            {"to", required_argument, NULL, O_TO},
            {"reason", required_argument, NULL, O_REASON},
            {"partition", required_argument, NULL, O_PARTITION},
            {"from-offset", required_argument, NULL, O_FROM},
            {"to-offset", required_argument, NULL, O_UNTIL_OFF},
            {"since", required_argument, NULL, O_SINCE},
            {"until", required_argument, NULL, O_UNTIL},
            {"limit", required_argument, NULL, O_LIMIT},
            {"max-replays", required_argument, NULL, O_MAX},
            {"batch", required_argument, NULL, O_BATCH},
            {"timeout-ms", required_argument, NULL, O_TIMEOUT},
            {"dry-run", no_argument, NULL, O_DRY},
            {"json", no_argument, NULL, O_JSON},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        struct replay_options o = {
            .group = "stemtag-replay",
            .partition = -1,
            .from_offset = -1,
            .to_offset = -1,
            .since_ms = -1,
            .until_ms = -1,
            .max_replays = 3,
            .batch = 1000,
            .timeout_ms = 30000,
        };
        struct cli_config_args args;
        int json = 0, rc = EXIT_USAGE, opt;
        long long v;
        char **reasons = calloc((size_t)argc * 8 + 1, sizeof(*reasons));
        size_t nreasons = 0;
        struct config *cfg = NULL;
        const char **kafka = NULL;
        char err[1024];
        if (!reasons)
                LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
        cli_config_args_init(&args, argc);

        optind = 1;
        while ((opt = getopt_long(argc, argv, "c:X:b:g:h", longopts, NULL)) != -1) {
                if (cli_config_args_take(&args, opt, optarg))
                        continue;
                switch (opt) {
                case 'g':
                        o.group = optarg;
                        break;
                case O_TOPIC:
                        o.dlq_topic = optarg;
                        break;
                case O_TO:
                        o.to_topic = optarg;
                        break;
                case O_REASON: {
                        char *copy = strdup(optarg), *save = NULL;
                        if (!copy)
                                LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
                        for (char *t = strtok_r(copy, ",", &save); t;
                             t = strtok_r(NULL, ",", &save))
                                if (nreasons < (size_t)argc * 8 &&
                                    !(reasons[nreasons++] = strdup(t)))
                                        LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
                        free(copy);
                        break;
                }
                case O_PARTITION:
                        if (replay_parse_num("--partition", optarg, 0, &v))
                                goto out;
                        o.partition = (int32_t)v;
                        break;
                case O_FROM:
                        if (replay_parse_num("--from-offset", optarg, 0, &v))
                                goto out;
                        o.from_offset = v;
                        break;
                case O_UNTIL_OFF:
                        if (replay_parse_num("--to-offset", optarg, 0, &v))
                                goto out;
                        o.to_offset = v;
                        break;
                case O_SINCE:
                case O_UNTIL:
                        if (replay_parse_time(optarg, opt == O_SINCE ? &o.since_ms : &o.until_ms)) {
                                fprintf(stderr,
                                        "stemtag replay: --%s: expected ms since the epoch or "
                                        "YYYY-MM-DDTHH:MM:SS[Z], not '%s'\n",
                                        opt == O_SINCE ? "since" : "until", optarg);
                                goto out;
                        }
                        break;
                case O_LIMIT:
                        if (replay_parse_num("--limit", optarg, 1, &o.limit))
                                goto out;
                        break;
                case O_MAX:
                        if (replay_parse_num("--max-replays", optarg, 1, &v))
                                goto out;
                        o.max_replays = (int)(v > 1000000 ? 1000000 : v);
                        break;
                case O_BATCH:
                        if (replay_parse_num("--batch", optarg, 1, &o.batch))
                                goto out;
                        break;
                case O_TIMEOUT:
                        if (replay_parse_num("--timeout-ms", optarg, 1, &o.timeout_ms))
                                goto out;
                        break;
                case O_DRY:
                        o.dry_run = 1;
                        break;
                case O_JSON:
                        json = 1;
                        break;
                case 'h':
                        replay_usage(stdout);
                        rc = EXIT_OK;
                        goto out;
                default:
                        replay_usage(stderr);
                        goto out;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "stemtag replay: unexpected argument '%s'\n", argv[optind]);
                replay_usage(stderr);
                goto out;
        }
        if (o.from_offset >= 0 && o.to_offset >= 0 && o.to_offset < o.from_offset) {
                fprintf(stderr, "stemtag replay: --to-offset is before --from-offset\n");
                goto out;
        }
        if (!*o.group) {
                fprintf(stderr, "stemtag replay: --group: empty\n");
                goto out;
        }
        reasons[nreasons] = NULL;
        o.reasons = nreasons ? (const char *const *)reasons : NULL;
        cfg = cli_config_load(&args, 0, err, sizeof(err));
        if (!cfg) {
                fprintf(stderr, "stemtag replay: %s\n", err);
                goto out;
        }
        if (!o.dlq_topic)
                o.dlq_topic = config_get(cfg, "dlq.topic");
        if (!o.dlq_topic || !*o.dlq_topic) {
                fprintf(stderr, "stemtag replay: no dead-letter topic (--topic or dlq.topic)\n");
                goto out;
        }
        if (!(kafka = cli_kafka_pairs(cfg)))
                LOG_FATAL(EXIT_FAILURE_RUNTIME, "oom", "out of memory");
        o.kafka = kafka;

        struct replay_report rep;
        int failed = replay_run(&o, &rep, err, sizeof(err)) < 0;
        if (failed) {
                /* bad kafka.* keys are config errors, the rest Kafka's */
                fprintf(stderr, "stemtag replay: %s\n", err);
                rc = !strncmp(err, "kafka.", 6) ? EXIT_USAGE : EXIT_FAILURE_RUNTIME;
        } else {
                rc = EXIT_OK;
        }
        if (!failed || rep.total.read)
                replay_print(&o, &rep, json, failed ? err : NULL);
        if (fflush(stdout) || ferror(stdout)) {
                fprintf(stderr, "stemtag replay: write error on stdout: %s\n", strerror(errno));
                rc = EXIT_FAILURE_RUNTIME;
        }
out:
        free(kafka);
        config_destroy(cfg);
        for (size_t i = 0; i < nreasons; i++)
                free(reasons[i]);
        free(reasons);
        cli_config_args_free(&args);
        return rc;
}
