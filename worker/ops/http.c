/* http: /metrics, /healthz, /readyz via libmicrohttpd. */
#include "http.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "metrics.h"

struct http_server {
        struct MHD_Daemon *daemon;
        struct metrics *m;
        int64_t stall_ms;
        int port;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
                             char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
        struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
        enum MHD_Result rc;

        if (!r) {
                if (mode == MHD_RESPMEM_MUST_FREE)
                        free(body);
                return MHD_NO;
        }
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        rc = MHD_queue_response(conn, status, r);
        MHD_destroy_response(r);
        return rc;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *text)
{
        char *copy = strdup(text);

        if (!copy)
                return MHD_NO;
        return reply(conn, status, "text/plain; charset=utf-8", copy, strlen(copy),
                     MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result http_handle(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **req_cls)
{
        struct http_server *s = cls;
        char why[300], msg[320];

        (void)version;
        (void)upload_data;
        (void)upload_data_size;
        (void)req_cls;
        if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
                return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
        if (!strcmp(url, "/metrics")) {
                size_t len;
                char *body = metrics_render(s->m, &len);

                if (!body)
                        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
                return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body,
                             len, MHD_RESPMEM_MUST_FREE);
        }
        if (!strcmp(url, "/healthz")) {
                if (metrics_healthy(s->m, s->stall_ms, why, sizeof(why)))
                        return reply_text(conn, MHD_HTTP_OK, "ok\n");
                snprintf(msg, sizeof(msg), "unhealthy: %s\n", why);
                return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
        }
        if (!strcmp(url, "/readyz")) {
                if (metrics_ready(s->m, why, sizeof(why)))
                        return reply_text(conn, MHD_HTTP_OK, "ready\n");
                snprintf(msg, sizeof(msg), "not ready: %s\n", why);
                return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
        }
        return reply_text(conn, MHD_HTTP_NOT_FOUND,
                          "not found; try /metrics, /healthz or /readyz\n");
}

/* Splits "host:port" / "[v6]:port"; an empty or "*" host means any address. */
static int split_listen(const char *listen, char *host, size_t host_size, char *port,
                        size_t port_size)
{
        const char *colon = strrchr(listen, ':');
        size_t hlen;
        const char *h = listen;

        if (!colon || !colon[1] || strlen(colon + 1) >= port_size)
                return -1;
        hlen = (size_t)(colon - listen);
        if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
                h++;
                hlen -= 2;
        }
        if (hlen >= host_size)
                return -1;
        memcpy(host, h, hlen);
        host[hlen] = '\0';
        if (!strcmp(host, "*"))
                host[0] = '\0';
        strcpy(port, colon + 1);
        return 0;
}

struct http_server *http_start(const char *listen, struct metrics *m, int64_t stall_ms,
                               char *errstr, size_t errstr_size)
{
        struct addrinfo hints, *ai = NULL;
        struct http_server *s;
        char host[256], port[16];
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
        const union MHD_DaemonInfo *info;
        int gai;

        if (split_listen(listen, host, sizeof(host), port, sizeof(port)) < 0) {
                snprintf(errstr, errstr_size, "metrics.listen '%s': expected host:port", listen);
                return NULL;
        }
        memset(&hints, 0, sizeof(hints));
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
        gai = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
        if (gai) {
                snprintf(errstr, errstr_size, "metrics.listen '%s': %s", listen, gai_strerror(gai));
                return NULL;
        }
        s = calloc(1, sizeof(*s));
        if (!s) {
                freeaddrinfo(ai);
                snprintf(errstr, errstr_size, "metrics.listen '%s': out of memory", listen);
                return NULL;
        }
        s->m = m;
        s->stall_ms = stall_ms;
        if (ai->ai_family == AF_INET6)
                flags |= MHD_USE_IPv6;
        s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, http_handle, s, MHD_OPTION_SOCK_ADDR,
                                     ai->ai_addr, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
                                     MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
        freeaddrinfo(ai);
        if (!s->daemon) {
                snprintf(errstr, errstr_size,
                         "metrics.listen '%s': cannot listen (address in use or not local?)",
                         listen);
                free(s);
                return NULL;
        }
        info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
        s->port = info ? (int)info->port : atoi(port);
        return s;
}

int http_port(const struct http_server *s)
{
        return s->port;
}

void http_stop(struct http_server *s)
{
        if (!s)
                return;
        MHD_stop_daemon(s->daemon);
        free(s);
}
