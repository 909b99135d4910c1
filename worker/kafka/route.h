/* route: the registry of output topic handles that knows whether a routed
 * topic exists (the templates themselves: worker/ops/topic_template.h).
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

#include "topic_template.h"

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
