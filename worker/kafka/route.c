#include "route.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUTE_NEGATIVE_TTL_MS 10000

struct route_topic {
        struct route_topic *next;
        char *name;
        rd_kafka_topic_t *rkt;
        int exists;
        long long checked_ms;
};

struct route_registry {
        rd_kafka_t *rk;
        pthread_mutex_t lock;
        struct route_topic *topics;
};

static long long route_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct route_registry *route_registry_new(rd_kafka_t *rk)
{
        struct route_registry *r = calloc(1, sizeof(*r));
        if (!r)
                return NULL;
        r->rk = rk;
        pthread_mutex_init(&r->lock, NULL);
        return r;
}

void route_registry_destroy(struct route_registry *r)
{
        struct route_topic *t, *n;
        if (!r)
                return;
        for (t = r->topics; t; t = n) {
                n = t->next;
                rd_kafka_topic_destroy(t->rkt);
                free(t->name);
                free(t);
        }
        pthread_mutex_destroy(&r->lock);
        free(r);
}

/* 1 / 0 / -1 as route_registry_lookup; called without the lock held. */
static int route_topic_exists(rd_kafka_t *rk, rd_kafka_topic_t *rkt, int timeout_ms, char *errstr,
                              size_t errstr_size)
{
        const struct rd_kafka_metadata *md;
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
        int rc;

        if (err) {
                snprintf(errstr, errstr_size, "metadata for topic %s: %s", rd_kafka_topic_name(rkt),
                         rd_kafka_err2str(err));
                return -1;
        }
        if (md->topic_cnt != 1) {
                rc = -1;
                snprintf(errstr, errstr_size, "metadata for topic %s: no answer",
                         rd_kafka_topic_name(rkt));
        } else if (md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                   md->topics[0].err == RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION) {
                rc = 0;
                snprintf(errstr, errstr_size, "topic %s does not exist", rd_kafka_topic_name(rkt));
        } else if (md->topics[0].err) {
                rc = -1;
                snprintf(errstr, errstr_size, "metadata for topic %s: %s", rd_kafka_topic_name(rkt),
                         rd_kafka_err2str(md->topics[0].err));
        } else {
                rc = md->topics[0].partition_cnt > 0 ? 1 : 0;
                if (!rc)
                        snprintf(errstr, errstr_size, "topic %s has no partitions",
                                 rd_kafka_topic_name(rkt));
        }
        rd_kafka_metadata_destroy(md);
        return rc;
}

int route_registry_lookup(struct route_registry *r, const char *name, int timeout_ms,
                          rd_kafka_topic_t **rkt, char *errstr, size_t errstr_size)
{
        struct route_topic *t;
        long long now;
        int rc;

        pthread_mutex_lock(&r->lock);
        for (t = r->topics; t; t = t->next)
                if (!strcmp(t->name, name))
                        break;
        if (t && t->exists) { /* every message's case: no clock read */
                *rkt = t->rkt;
                pthread_mutex_unlock(&r->lock);
                return 1;
        }
        now = route_now_ms();
        if (t && now - t->checked_ms < ROUTE_NEGATIVE_TTL_MS) { /* known missing */
                *rkt = t->rkt;
                pthread_mutex_unlock(&r->lock);
                snprintf(errstr, errstr_size, "topic %s does not exist", name);
                return 0;
        }
        if (!t) {
                t = calloc(1, sizeof(*t));
                if (!t || !(t->name = strdup(name)) ||
                    !(t->rkt = rd_kafka_topic_new(r->rk, name, NULL))) {
                        if (t)
                                free(t->name);
                        free(t);
                        pthread_mutex_unlock(&r->lock);
                        snprintf(errstr, errstr_size, "topic %s: cannot create handle", name);
                        return -1;
                }
                t->next = r->topics;
                r->topics = t;
        }
        *rkt = t->rkt;
        pthread_mutex_unlock(&r->lock);

        /* Concurrent first lookups of one name may both ask; harmless. */
        rc = route_topic_exists(r->rk, *rkt, timeout_ms, errstr, errstr_size);
        if (rc >= 0) {
                pthread_mutex_lock(&r->lock);
                t->exists = rc;
                t->checked_ms = now;
                pthread_mutex_unlock(&r->lock);
        }
        return rc;
}
