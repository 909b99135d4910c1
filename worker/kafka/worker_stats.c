#include "worker_stats.h"

#include <string.h>

static const char *const reason_names[WDLQ__COUNT] = {
    "empty",      "too_large", "invalid_utf8",  "json_syntax",   "json_not_object",
    "field_type", "no_text",   "route_missing", "produce_error", "other",
};

const char *worker_dlq_reason_name(enum worker_dlq_reason r)
{
        return (unsigned)r < WDLQ__COUNT ? reason_names[r] : "other";
}

enum worker_dlq_reason worker_dlq_reason_index(const char *reason)
{
        for (int i = 0; reason && i < WDLQ_OTHER; i++)
                if (!strcmp(reason, reason_names[i]))
                        return (enum worker_dlq_reason)i;
        return WDLQ_OTHER;
}

#define LD(f) atomic_load_explicit(&s->f, memory_order_relaxed)

void worker_stats_snapshot(const struct worker_stats *s, struct worker_stats_values *out)
{
        out->consumed = LD(consumed);
        out->produced = LD(produced);
        for (int i = 0; i < WDLQ__COUNT; i++)
                out->dead_lettered[i] = LD(dead_lettered[i]);
        out->errors = LD(errors);
        out->delivery_errors = LD(delivery_errors);
        out->rebalances = LD(rebalances);
        out->pauses = LD(pauses);
        out->queue_full = LD(queue_full);
        out->commits = LD(commits);
        out->txn_aborts = LD(txn_aborts);
        out->inflight = LD(inflight);
        out->assigned = LD(assigned);
        out->paused = LD(paused);
}
