/* bench_metrics: cost of the hot-path metrics calls (one metrics_tag for
 * language, one for section, one histogram observation per message), single
 * thread and 2 threads contending on the same labels, plus the cost of one
 * /metrics render and one librdkafka statistics document. Prints figures. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"

#define ITER 2000000

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *const langs[] = {"de", "en", "fr", "es", "it", "pt", "nl", "sv"};
static const char *const sections[] = {"politics",           "sport",  "economy-business-finance",
                                       "science-technology", "health", "none"};

static void *hammer(void *arg)
{
        struct metrics *m = arg;
        for (int i = 0; i < ITER; i++) {
                metrics_tag(m, "language", langs[i & 7]);
                metrics_tag(m, "section", sections[i % 6]);
                metrics_observe_processing(m, 0.0002);
        }
        return NULL;
}

int main(void)
{
        struct metrics *m = metrics_new();
        pthread_t t[2];
        double t0, t1;
        size_t len = 0;
        char *text, stats[8192];
        int n;

        if (!m)
                return 1;
        t0 = now_s();
        hammer(m);
        t1 = now_s();
        printf("hot path, 1 thread: %.1f ns per message (2 tags + 1 histogram observation), %d "
               "messages\n",
               (t1 - t0) * 1e9 / ITER, ITER);

        t0 = now_s();
        for (int i = 0; i < 2; i++)
                pthread_create(&t[i], NULL, hammer, m);
        for (int i = 0; i < 2; i++)
                pthread_join(t[i], NULL);
        t1 = now_s();
        printf(
            "hot path, 2 threads on the same labels: %.1f ns per message (wall / total messages)\n",
            (t1 - t0) * 1e9 / (2.0 * ITER));

        n = snprintf(stats, sizeof(stats),
                     "{\"type\":\"consumer\",\"brokers\":{\"b/1\":{\"state\":\"UP\"}},"
                     "\"cgrp\":{\"state\":\"up\"},\"topics\":{\"articles.raw\":{\"partitions\":{");
        for (int p = 0; p < 24; p++)
                n += snprintf(stats + n, sizeof(stats) - (size_t)n,
                              "%s\"%d\":{\"partition\":%d,\"desired\":true,\"consumer_lag\":%d}",
                              p ? "," : "", p, p, p * 10);
        snprintf(stats + n, sizeof(stats) - (size_t)n, "}}}}");
        t0 = now_s();
        for (int i = 0; i < 2000; i++)
                metrics_stats_json(m, stats, strlen(stats));
        t1 = now_s();
        printf("statistics JSON (24 partitions): %.1f us per document\n", (t1 - t0) * 1e6 / 2000);

        t0 = now_s();
        for (int i = 0; i < 2000; i++) {
                text = metrics_render(m, &len);
                free(text);
        }
        t1 = now_s();
        printf("/metrics render: %.1f us, %zu bytes\n", (t1 - t0) * 1e6 / 2000, len);
        metrics_destroy(m);
        return 0;
}
