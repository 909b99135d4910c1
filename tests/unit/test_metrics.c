/* metrics + http: rendering, histogram, labels, librdkafka statistics,
 * health/readiness, concurrency of the hot-path counters, and the HTTP
 * endpoints over a real socket. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "http.h"
#include "metrics.h"

/* Value of the first sample line that starts with @p series + ' '; -1 if none. */
static double sample(const char *text, const char *series)
{
        size_t n = strlen(series);

        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (!strncmp(p, series, n) && p[n] == ' ')
                        return strtod(p + n + 1, NULL);
        return -1;
}

static char *render(struct metrics *m)
{
        size_t len = 0;
        char *s = metrics_render(m, &len);
        assert_non_null(s);
        assert_int_equal(strlen(s), len);
        return s;
}

struct fake_worker {
        uint64_t consumed, produced, dlq_json;
        int64_t assigned;
};

static void pull(void *opaque, struct metrics_worker_values *out)
{
        struct fake_worker *w = opaque;
        out->consumed = w->consumed;
        out->produced = w->produced;
        out->rebalances = 2;
        out->kafka_errors = 1;
        out->assigned = w->assigned;
        out->n_reasons = 2;
        out->dlq_reason[0] = "json_syntax";
        out->dlq_count[0] = w->dlq_json;
        out->dlq_reason[1] = "too_large";
        out->dlq_count[1] = 0;
}

static void test_render_pulls_worker_counters(void **state)
{
        struct metrics *m = metrics_new();
        struct fake_worker w = {.consumed = 10, .produced = 7, .dlq_json = 3, .assigned = 0};
        char *s;
        (void)state;

        s = render(m);
        /* Without a worker the counters exist and are zero. */
        assert_true(sample(s, "stemtag_messages_consumed_total") == 0);
        assert_non_null(strstr(s, "# TYPE stemtag_messages_consumed_total counter\n"));
        free(s);

        metrics_set_build_info(m, "1.2.3", "abc\"def");
        metrics_set_pull(m, pull, &w);
        s = render(m);
        assert_non_null(strstr(
            s, "stemtag_build_info{version=\"1.2.3\",revision=\"abc\\\"def\",librdkafka=\""));
        assert_true(sample(s, "stemtag_messages_consumed_total") == 10);
        assert_true(sample(s, "stemtag_messages_produced_total") == 7);
        assert_true(sample(s, "stemtag_messages_dead_lettered_total{reason=\"json_syntax\"}") == 3);
        assert_true(sample(s, "stemtag_messages_dead_lettered_total{reason=\"too_large\"}") == 0);
        assert_true(sample(s, "stemtag_rebalances_total") == 2);
        assert_true(sample(s, "stemtag_errors_total{kind=\"kafka\"}") == 1);
        free(s);
        w.consumed = 11;
        s = render(m);
        assert_true(sample(s, "stemtag_messages_consumed_total") == 11);
        free(s);
        metrics_destroy(m);
        metrics_destroy(NULL);
}

static void test_histogram(void **state)
{
        struct metrics *m = metrics_new();
        char *s;
        (void)state;

        metrics_observe_processing(m, 0.00003); /* first bucket */
        metrics_observe_processing(m, 0.002);   /* le 0.0025 */
        metrics_observe_processing(m, 0.002);
        metrics_observe_processing(m, 100.0); /* +Inf only */
        metrics_observe_processing(m, -1.0);  /* clamped to 0 */
        s = render(m);
        assert_true(sample(s, "stemtag_processing_seconds_bucket{le=\"5e-05\"}") == 2);
        assert_true(sample(s, "stemtag_processing_seconds_bucket{le=\"0.001\"}") == 2);
        assert_true(sample(s, "stemtag_processing_seconds_bucket{le=\"0.0025\"}") == 4);
        assert_true(sample(s, "stemtag_processing_seconds_bucket{le=\"2.5\"}") == 4);
        assert_true(sample(s, "stemtag_processing_seconds_bucket{le=\"+Inf\"}") == 5);
        assert_true(sample(s, "stemtag_processing_seconds_count") == 5);
        {
                double sum = sample(s, "stemtag_processing_seconds_sum");
                assert_true(sum > 100.0039 && sum < 100.0041);
        }
        free(s);
        metrics_destroy(m);
}

static void test_tags_and_errors(void **state)
{
        struct metrics *m = metrics_new();
        char *s;
        (void)state;

        metrics_tag(m, "language", "de");
        metrics_tag(m, "language", "de");
        metrics_tag(m, "language", "en");
        metrics_tag(m, "section", "politics");
        metrics_tag(m, "section", NULL);
        metrics_tag(m, "section", "we\"ird\\");
        metrics_error(m, "reload");
        metrics_model_reload(m, 0);
        metrics_model_reload(m, 1);
        s = render(m);
        assert_true(sample(s, "stemtag_tags_total{kind=\"language\",value=\"de\"}") == 2);
        assert_true(sample(s, "stemtag_tags_total{kind=\"language\",value=\"en\"}") == 1);
        assert_true(sample(s, "stemtag_tags_total{kind=\"section\",value=\"politics\"}") == 1);
        assert_true(sample(s, "stemtag_tags_total{kind=\"section\",value=\"none\"}") == 1);
        assert_true(sample(s, "stemtag_tags_total{kind=\"section\",value=\"we\\\"ird\\\\\"}") == 1);
        assert_true(sample(s, "stemtag_errors_total{kind=\"reload\"}") == 1);
        assert_true(sample(s, "stemtag_model_reloads_total{result=\"ok\"}") == 1);
        assert_true(sample(s, "stemtag_model_reloads_total{result=\"failed\"}") == 1);
        free(s);

        /* Unbounded label values fold into _other instead of growing forever. */
        for (int i = 0; i < 2000; i++) {
                char v[32];
                snprintf(v, sizeof(v), "v%d", i);
                metrics_tag(m, "section", v);
        }
        s = render(m);
        {
                double other = sample(s, "stemtag_tags_total{kind=\"section\",value=\"_other\"}");
                double first = sample(s, "stemtag_tags_total{kind=\"section\",value=\"v0\"}");
                assert_true(other > 1000);
                assert_true(first == 1);
        }
        free(s);
        metrics_destroy(m);
}

struct hammer {
        struct metrics *m;
        int id;
};

static void *hammer_run(void *arg)
{
        struct hammer *h = arg;
        static const char *const langs[] = {"de", "en", "fr", "es"};
        for (int i = 0; i < 50000; i++) {
                metrics_tag(h->m, "language", langs[(i + h->id) % 4]);
                metrics_observe_processing(h->m, 0.0001);
        }
        return NULL;
}

static void test_concurrent_counts_exact(void **state)
{
        struct metrics *m = metrics_new();
        pthread_t t[4];
        struct hammer h[4];
        double total = 0;
        char *s;
        (void)state;

        for (int i = 0; i < 4; i++) {
                h[i].m = m;
                h[i].id = i;
                assert_int_equal(pthread_create(&t[i], NULL, hammer_run, &h[i]), 0);
        }
        for (int i = 0; i < 4; i++)
                pthread_join(t[i], NULL);
        s = render(m);
        total += sample(s, "stemtag_tags_total{kind=\"language\",value=\"de\"}");
        total += sample(s, "stemtag_tags_total{kind=\"language\",value=\"en\"}");
        total += sample(s, "stemtag_tags_total{kind=\"language\",value=\"fr\"}");
        total += sample(s, "stemtag_tags_total{kind=\"language\",value=\"es\"}");
        assert_true(total == 200000);
        assert_true(sample(s, "stemtag_tags_total{kind=\"language\",value=\"de\"}") == 50000);
        assert_true(sample(s, "stemtag_processing_seconds_count") == 200000);
        free(s);
        metrics_destroy(m);
}

static char *read_fixture(const char *name, size_t *len)
{
        char path[1024];
        const char *dir = getenv("STEMTAG_TEST_DATA");
        FILE *f;
        char *buf;
        long n;

        snprintf(path, sizeof(path), "%s/ops/%s", dir ? dir : "tests/data", name);
        f = fopen(path, "r");
        if (!f)
                fail_msg("cannot open %s", path);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        buf = malloc((size_t)n + 1);
        assert_non_null(buf);
        assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
        buf[n] = '\0';
        fclose(f);
        *len = (size_t)n;
        return buf;
}

static void test_stats_json(void **state)
{
        struct metrics *m = metrics_new();
        struct fake_worker w = {0};
        size_t len;
        char *json = read_fixture("stats-consumer.json", &len), *s, why[300];
        static const char producer[] = "{\"type\":\"producer\",\"msg_cnt\":42,\"brokers\":{}}";
        static const char down[] =
            "{\"type\":\"consumer\",\"brokers\":{\"b/1\":{\"state\":\"DOWN\"}},"
            "\"cgrp\":{\"state\":\"up\"},\"topics\":{}}";
        (void)state;

        w.assigned = 0;
        metrics_set_pull(m, pull, &w);
        /* No statistics yet and nothing assigned: not ready, and says why. */
        assert_int_equal(metrics_ready(m, why, sizeof(why)), 0);
        assert_non_null(strstr(why, "no partitions assigned"));

        assert_int_equal(metrics_stats_json(m, json, len), 0);
        assert_int_equal(metrics_stats_json(m, producer, sizeof(producer) - 1), 0);
        s = render(m);
        assert_true(sample(s, "stemtag_consumer_lag{topic=\"articles.raw\",partition=\"0\"}") ==
                    10);
        assert_true(sample(s, "stemtag_consumer_lag{topic=\"articles.raw\",partition=\"1\"}") == 0);
        /* not desired (revoked), unknown lag (-1) and the internal partition are left out */
        assert_null(strstr(s, "partition=\"2\""));
        assert_null(strstr(s, "partition=\"3\""));
        assert_null(strstr(s, "partition=\"-1\""));
        assert_true(sample(s, "stemtag_consumer_lag{topic=\"other\\\"topic\",partition=\"5\"}") ==
                    1234);
        assert_true(sample(s, "stemtag_producer_queue_messages") == 42);
        assert_true(sample(s, "stemtag_broker_up") == 1);
        free(s);
        /* Group joined (cgrp up) with zero partitions of our own is ready: more
         * replicas than partitions is normal. */
        assert_int_equal(metrics_ready(m, why, sizeof(why)), 1);

        assert_int_equal(metrics_stats_json(m, down, sizeof(down) - 1), 0);
        assert_int_equal(metrics_ready(m, why, sizeof(why)), 0);
        assert_non_null(strstr(why, "broker"));
        s = render(m);
        /* A new consumer document replaces the lag table. */
        assert_null(strstr(s, "stemtag_consumer_lag{"));
        free(s);
        metrics_set_brokers_up(m, 1);
        w.assigned = 3;
        assert_int_equal(metrics_ready(m, why, sizeof(why)), 1);

        assert_int_equal(metrics_stats_json(m, "{not json", 9), -1);
        s = render(m);
        assert_true(sample(s, "stemtag_errors_total{kind=\"stats\"}") == 1);
        free(s);
        free(json);
        metrics_destroy(m);
}

static void test_health(void **state)
{
        struct metrics *m = metrics_new();
        char why[300] = "";
        (void)state;

        /* Young process, no heartbeat yet: healthy within the grace period. */
        assert_int_equal(metrics_healthy(m, 60000, why, sizeof(why)), 1);
        assert_int_equal(metrics_healthy(m, -1, why, sizeof(why)), 0);
        assert_non_null(strstr(why, "not started"));
        metrics_heartbeat(m);
        assert_int_equal(metrics_healthy(m, 60000, why, sizeof(why)), 1);
        assert_int_equal(metrics_healthy(m, -1, why, sizeof(why)), 0);
        assert_non_null(strstr(why, "last turned"));
        metrics_destroy(m);
}

/* Minimal HTTP/1.0 GET; returns the status code, body in @p body. */
static int http_get(int port, const char *path, char *body, size_t body_size)
{
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
        char req[256], resp[65536];
        size_t got = 0;
        ssize_t n;
        int fd = socket(AF_INET, SOCK_STREAM, 0), status = -1;
        char *sep;

        assert_true(fd >= 0);
        inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", path);
        assert_true(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
        while (got < sizeof(resp) - 1 && (n = read(fd, resp + got, sizeof(resp) - 1 - got)) > 0)
                got += (size_t)n;
        resp[got] = '\0';
        close(fd);
        sscanf(resp, "HTTP/1.%*d %d", &status);
        sep = strstr(resp, "\r\n\r\n");
        snprintf(body, body_size, "%s", sep ? sep + 4 : "");
        return status;
}

static void test_http_endpoints(void **state)
{
        struct metrics *m = metrics_new();
        struct fake_worker w = {.consumed = 5, .assigned = 2};
        char err[256], body[65536];
        struct http_server *s;
        (void)state;

        metrics_set_pull(m, pull, &w);
        s = http_start("127.0.0.1:0", m, 60000, err, sizeof(err));
        if (!s)
                fail_msg("http_start: %s", err);
        assert_true(http_port(s) > 0);
        assert_int_equal(http_get(http_port(s), "/metrics", body, sizeof(body)), 200);
        assert_true(sample(body, "stemtag_messages_consumed_total") == 5);
        assert_int_equal(http_get(http_port(s), "/healthz", body, sizeof(body)), 200);
        assert_int_equal(http_get(http_port(s), "/readyz", body, sizeof(body)), 200);
        w.assigned = 0;
        assert_int_equal(http_get(http_port(s), "/readyz", body, sizeof(body)), 503);
        assert_non_null(strstr(body, "not ready"));
        assert_int_equal(http_get(http_port(s), "/nope", body, sizeof(body)), 404);
        {
                /* A second server on the same port fails and names the address. */
                char spec[64];
                snprintf(spec, sizeof(spec), "127.0.0.1:%d", http_port(s));
                assert_null(http_start(spec, m, 1000, err, sizeof(err)));
                assert_non_null(strstr(err, spec));
        }
        assert_null(http_start("nonsense", m, 1000, err, sizeof(err)));
        assert_non_null(strstr(err, "nonsense"));
        http_stop(s);
        http_stop(NULL);
        metrics_destroy(m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_render_pulls_worker_counters),
            cmocka_unit_test(test_histogram),
            cmocka_unit_test(test_tags_and_errors),
            cmocka_unit_test(test_concurrent_counts_exact),
            cmocka_unit_test(test_stats_json),
            cmocka_unit_test(test_health),
            cmocka_unit_test(test_http_endpoints),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
