/* http: the operations endpoints on metrics.listen, served by libmicrohttpd
 * from its own thread:
 *   GET /metrics  Prometheus text format (metrics_render)
 *   GET /healthz  200 "ok" while the worker loop turns, else 503 and why
 *   GET /readyz   200 "ready" when partitions are assigned or the group is
 *                 joined and brokers are reachable, else 503 and why
 * Anything else is 404; methods other than GET/HEAD are 405. */
#ifndef STEMTAG_HTTP_H
#define STEMTAG_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct http_server;
struct metrics;

/**
 * @brief Listens on @p listen ("host:port", "[v6]:port", ":port" or
 * "*:port" for any address; port 0 picks a free one) and serves @p m
 * (borrowed: must outlive the server). @p stall_ms is /healthz's limit.
 * @returns a running server (stop with http_stop), or NULL with @p errstr
 *          naming the address and the cause.
 */
struct http_server *http_start(const char *listen, struct metrics *m, int64_t stall_ms,
                               char *errstr, size_t errstr_size);
/** The port actually bound (useful with port 0). */
int http_port(const struct http_server *s);
/** Stops serving and frees; in-flight requests finish first. NULL is a no-op. */
void http_stop(struct http_server *s);

#endif
