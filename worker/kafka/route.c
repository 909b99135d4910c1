#include "route.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUTE_NEGATIVE_TTL_MS 10000

int route_templates_parse(struct route_templates *rt, const char *spec, char *errstr,
                          size_t errstr_size)
{
        const char *p = spec ? spec : "";

        memset(rt, 0, sizeof(*rt));
        while (*p) {
                const char *end = strchr(p, ',');
                size_t len = end ? (size_t)(end - p) : strlen(p);
                const char *s = p, *brace;
                char *t;

                while (len && (*s == ' ' || *s == '\t')) {
                        s++;
                        len--;
                }
                while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
                        len--;
                p = end ? end + 1 : p + strlen(p);
                if (!len)
                        continue;
                if (rt->count == ROUTE_MAX_TEMPLATES) {
                        snprintf(errstr, errstr_size, "output.topics: more than %d topics",
                                 ROUTE_MAX_TEMPLATES);
                        goto fail;
                }
                t = strndup(s, len);
                if (!t) {
                        snprintf(errstr, errstr_size, "output.topics: out of memory");
                        goto fail;
                }
                rt->tmpl[rt->count++] = t;
                for (brace = strchr(t, '{'); brace; brace = strchr(brace + 1, '{')) {
                        if (strncmp(brace, "{section}", 9) && strncmp(brace, "{language}", 10)) {
                                snprintf(errstr, errstr_size,
                                         "output.topics: '%s': unknown placeholder (only "
                                         "{section} and {language} are expanded)",
                                         t);
                                goto fail;
                        }
                        rt->has_placeholder[rt->count - 1] = 1;
                }
        }
        if (!rt->count) {
                snprintf(errstr, errstr_size, "output.topics: no output topic given");
                goto fail;
        }
        return 0;
fail:
        route_templates_clear(rt);
        return -1;
}

void route_templates_clear(struct route_templates *rt)
{
        for (int i = 0; i < rt->count; i++)
                free(rt->tmpl[i]);
        memset(rt, 0, sizeof(*rt));
}

static int route_put(char *out, size_t out_size, size_t *pos, const char *s, int sanitize)
{
        for (; *s; s++) {
                char c = *s;
                if (*pos + 1 >= out_size)
                        return -1;
                if (sanitize && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
                        c = '_';
                out[(*pos)++] = c;
        }
        return 0;
}

int route_expand(const char *tmpl, const char *section, const char *language, char *out,
                 size_t out_size)
{
        size_t pos = 0;
        const char *p = tmpl;

        if (!out_size)
                return -1;
        while (*p) {
                char one[2] = {*p, 0};
                if (!strncmp(p, "{section}", 9)) {
                        if (route_put(out, out_size, &pos, section && *section ? section : "none",
                                      1))
                                return -1;
                        p += 9;
                } else if (!strncmp(p, "{language}", 10)) {
                        if (route_put(out, out_size, &pos, language && *language ? language : "und",
                                      1))
                                return -1;
                        p += 10;
                } else {
                        if (route_put(out, out_size, &pos, one, 0))
                                return -1;
                        p++;
                }
        }
        out[pos] = '\0';
        return 0;
}

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
        long long now = route_now_ms();
        int rc;

        pthread_mutex_lock(&r->lock);
        for (t = r->topics; t; t = t->next)
                if (!strcmp(t->name, name))
                        break;
        if (t && (t->exists || now - t->checked_ms < ROUTE_NEGATIVE_TTL_MS)) {
                *rkt = t->rkt;
                rc = t->exists;
                pthread_mutex_unlock(&r->lock);
                if (!rc)
                        snprintf(errstr, errstr_size, "topic %s does not exist", name);
                return rc;
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
