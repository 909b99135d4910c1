/* route: output topic templates ("articles.enriched,articles.{section}") and
 * the registry of topic handles that knows whether a routed topic exists.
 *
 * Policy (docs/worker.md): every output topic an article routes to must
 * exist. If one does not, the article goes to the dead-letter topic with
 * reason "route_missing" and a message naming the topic; nothing is produced
 * to the other outputs for that article, so each input is either complete in
 * the outputs or in the dead-letter topic. Topics without placeholders and the
 * dead-letter topic are checked at start-up instead (missing = fatal). */
#ifndef STEMTAG_ROUTE_H
#define STEMTAG_ROUTE_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#define ROUTE_MAX_TEMPLATES 16
#define ROUTE_TOPIC_MAX     250 /* Kafka's own limit is 249 characters */

struct route_templates {
        int count;
        char *tmpl[ROUTE_MAX_TEMPLATES]; /**< owned */
        int has_placeholder[ROUTE_MAX_TEMPLATES];
};

/** Parses the comma-separated list @p spec. Unknown {placeholders}, empty
 *  lists and too many entries fail, naming the entry. 0 / -1. */
int route_templates_parse(struct route_templates *rt, const char *spec, char *errstr,
                          size_t errstr_size);
void route_templates_clear(struct route_templates *rt);

/**
 * @brief Expands template @p tmpl with @p section (NULL -> "none") and
 * @p language (NULL -> "und"). Characters Kafka does not allow in topic names
 * become '_'. Writes a NUL-terminated name to @p out.
 * @returns 0, or -1 when the name would not fit in @p out_size.
 */
int route_expand(const char *tmpl, const char *section, const char *language, char *out,
                 size_t out_size);

/* Registry: name -> topic handle + existence, shared by all threads. */
struct route_registry;

/** @p rk is the producer (borrowed; must outlive the registry). NULL on OOM. */
struct route_registry *route_registry_new(rd_kafka_t *rk);
void route_registry_destroy(struct route_registry *r);

/**
 * @brief Topic handle for @p name (borrowed, valid until the registry is
 * destroyed) and whether the topic exists. Unknown names are looked up with a
 * metadata request (blocking, up to @p timeout_ms); a missing topic is looked
 * up again after 10 s, so creating it later heals the route.
 * @returns 1 exists, 0 does not exist, -1 cannot tell (broker unreachable:
 *          @p errstr says why).
 */
int route_registry_lookup(struct route_registry *r, const char *name, int timeout_ms,
                          rd_kafka_topic_t **rkt, char *errstr, size_t errstr_size);

#endif
