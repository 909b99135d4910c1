/* log: one JSON object per line on stderr, e.g.
 *   {"ts":"2026-11-25T10:00:00.123Z","level":"info","event":"assigned","msg":"..."}
 * and the single fatal path (LOG_FATAL) that names function and line, then
 * exits with a documented code. Thread-safe: each line is one write(2). */
#ifndef STEMTAG_LOG_H
#define STEMTAG_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/** Exit codes of every command (docs/configuration.md "Exit codes"); a
 *  command returns one of these, never a bare number. */
enum stemtag_exit {
        EXIT_OK = 0,
        EXIT_FAILURE_RUNTIME = 1, /* I/O error, fatal Kafka error (auth, unknown topic), OOM */
        EXIT_USAGE = 2,           /* bad command line or config */
        EXIT_MODEL = 3,           /* language model or taxonomy cannot be loaded */
        EXIT_CHANGED = 4,         /* diff: more changed than --tolerance allows */
};

void log_set_level(enum log_level lvl);
/** Parses "debug"|"info"|"warn"|"error"; -1 if none of them. */
int log_level_parse(const char *s);

/** Logs one event; @p event is a short machine-readable name. */
void log_event(enum log_level lvl, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Logs at error level with function and line, then exits with @p code. */
#define LOG_FATAL(code, event, ...) log_fatal_at(__func__, __LINE__, (code), (event), __VA_ARGS__)
void log_fatal_at(const char *func, int line, int code, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 5, 6), noreturn));

#endif
