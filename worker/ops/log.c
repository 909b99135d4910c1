#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile int log_min_level = LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level lvl)
{
        log_min_level = lvl;
}

int log_level_parse(const char *s)
{
        for (int i = 0; i < 4; i++)
                if (s && strcmp(s, level_names[i]) == 0)
                        return i;
        return -1;
}

/* Appends @p s JSON-escaped; truncates rather than overflow. */
static size_t log_put_escaped(char *dst, size_t pos, size_t cap, const char *s)
{
        for (; *s && pos + 7 < cap; s++) {
                unsigned char ch = (unsigned char)*s;
                if (ch == '"' || ch == '\\') {
                        dst[pos++] = '\\';
                        dst[pos++] = (char)ch;
                } else if (ch < 0x20) {
                        pos += (size_t)snprintf(dst + pos, cap - pos, "\\u%04x", ch);
                } else {
                        dst[pos++] = (char)ch;
                }
        }
        return pos;
}

/* The format attribute lets clang's -Wformat-nonliteral (from -Wformat=2) see
 * that fmt is checked at the callers; without it the clang builds (fuzz) fail. */
__attribute__((format(printf, 5, 0))) static void log_vwrite(enum log_level lvl, const char *func,
                                                             int line, const char *event,
                                                             const char *fmt, va_list ap)
{
        char msg[2048], out[4608];
        struct timespec ts;
        struct tm tm;
        size_t pos;

        vsnprintf(msg, sizeof(msg), fmt, ap);
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        pos = strftime(out, sizeof(out), "{\"ts\":\"%Y-%m-%dT%H:%M:%S", &tm);
        pos += (size_t)snprintf(out + pos, sizeof(out) - pos,
                                ".%03ldZ\",\"level\":\"%s\",\"event\":\"", ts.tv_nsec / 1000000,
                                level_names[lvl]);
        pos = log_put_escaped(out, pos, sizeof(out) - 64, event);
        pos += (size_t)snprintf(out + pos, sizeof(out) - pos, "\",\"msg\":\"");
        pos = log_put_escaped(out, pos, sizeof(out) - 128, msg);
        if (func)
                pos += (size_t)snprintf(out + pos, sizeof(out) - pos,
                                        "\",\"func\":\"%s\",\"line\":%d}\n", func, line);
        else
                pos += (size_t)snprintf(out + pos, sizeof(out) - pos, "\"}\n");
        if (pos >= sizeof(out))
                pos = sizeof(out) - 1;
        /* One write per line so concurrent threads never interleave within a line. */
        if (write(STDERR_FILENO, out, pos) < 0) {
                /* stderr gone: nothing sensible left to do */
        }
}

void log_event(enum log_level lvl, const char *event, const char *fmt, ...)
{
        va_list ap;

        if ((int)lvl < log_min_level)
                return;
        va_start(ap, fmt);
        log_vwrite(lvl, NULL, 0, event, fmt, ap);
        va_end(ap);
}

void log_fatal_at(const char *func, int line, int code, const char *event, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        log_vwrite(LOG_ERROR, func, line, event, fmt, ap);
        va_end(ap);
        exit(code);
}
