#include "offset_tracker.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define OTRACK_BUCKETS 64

struct otrack_part;

struct otrack_entry {
        struct otrack_part *part;
        struct otrack_entry *next;
        int64_t offset;
        atomic_int holds;
        atomic_int err;
};

/* One partition: FIFO of entries. A forgotten partition keeps a "ghost"
 * generation whose entries drain silently; a new generation for the same
 * topic/partition gets its own struct so the two never mix. */
struct otrack_part {
        struct otrack_part *next; /* hash chain */
        char *topic;
        int32_t partition;
        int active;
        struct otrack_entry *head, *tail;
        size_t count;
};

struct otrack {
        struct otrack_part *buckets[OTRACK_BUCKETS];
        size_t count;
        struct otrack_part *last; /* last lookup, most messages come in runs */
};

static unsigned otrack_hash(const char *topic, int32_t partition)
{
        unsigned h = 2166136261u;
        for (const unsigned char *p = (const unsigned char *)topic; *p; p++)
                h = (h ^ *p) * 16777619u;
        h ^= (unsigned)partition * 2654435761u;
        return h % OTRACK_BUCKETS;
}

struct otrack *otrack_new(void)
{
        return calloc(1, sizeof(struct otrack));
}

static void otrack_part_free(struct otrack_part *p)
{
        struct otrack_entry *e = p->head, *n;
        for (; e; e = n) {
                n = e->next;
                free(e);
        }
        free(p->topic);
        free(p);
}

void otrack_destroy(struct otrack *t)
{
        if (!t)
                return;
        for (int b = 0; b < OTRACK_BUCKETS; b++) {
                struct otrack_part *p = t->buckets[b], *n;
                for (; p; p = n) {
                        n = p->next;
                        otrack_part_free(p);
                }
        }
        free(t);
}

static struct otrack_part *otrack_find(const struct otrack *t, const char *topic, int32_t partition)
{
        struct otrack_part *p;
        if (t->last && t->last->active && t->last->partition == partition &&
            !strcmp(t->last->topic, topic))
                return t->last;
        for (p = t->buckets[otrack_hash(topic, partition)]; p; p = p->next)
                if (p->active && p->partition == partition && !strcmp(p->topic, topic))
                        return p;
        return NULL;
}

struct otrack_entry *otrack_add(struct otrack *t, const char *topic, int32_t partition,
                                int64_t offset)
{
        struct otrack_part *p = otrack_find(t, topic, partition);
        struct otrack_entry *e;

        if (!p) {
                unsigned b = otrack_hash(topic, partition);
                p = calloc(1, sizeof(*p));
                if (!p || !(p->topic = strdup(topic))) {
                        free(p);
                        return NULL;
                }
                p->partition = partition;
                p->active = 1;
                p->next = t->buckets[b];
                t->buckets[b] = p;
        }
        t->last = p;
        e = malloc(sizeof(*e));
        if (!e)
                return NULL;
        e->part = p;
        e->next = NULL;
        e->offset = offset;
        atomic_init(&e->holds, 1);
        atomic_init(&e->err, 0);
        if (p->tail)
                p->tail->next = e;
        else
                p->head = e;
        p->tail = e;
        p->count++;
        t->count++;
        return e;
}

void otrack_entry_hold(struct otrack_entry *e)
{
        atomic_fetch_add_explicit(&e->holds, 1, memory_order_relaxed);
}

void otrack_entry_release(struct otrack_entry *e, int err)
{
        if (err) {
                int zero = 0;
                atomic_compare_exchange_strong(&e->err, &zero, err);
        }
        /* release: the consumer thread that sees 0 also sees err and all
         * writes made before the last release. */
        atomic_fetch_sub_explicit(&e->holds, 1, memory_order_release);
}

const char *otrack_entry_topic(const struct otrack_entry *e)
{
        return e->part->topic;
}

int32_t otrack_entry_partition(const struct otrack_entry *e)
{
        return e->part->partition;
}

int64_t otrack_entry_offset(const struct otrack_entry *e)
{
        return e->offset;
}

size_t otrack_advance(struct otrack *t, rd_kafka_topic_partition_list_t *out,
                      struct otrack_entry **failed)
{
        size_t popped = 0;

        for (int b = 0; b < OTRACK_BUCKETS; b++) {
                struct otrack_part **pp = &t->buckets[b];
                while (*pp) {
                        struct otrack_part *p = *pp;
                        int64_t next = -1;
                        while (p->head &&
                               atomic_load_explicit(&p->head->holds, memory_order_acquire) == 0) {
                                struct otrack_entry *e = p->head;
                                if (p->active && atomic_load(&e->err)) {
                                        if (failed)
                                                *failed = e;
                                        break;
                                }
                                next = e->offset + 1;
                                p->head = e->next;
                                if (!p->head)
                                        p->tail = NULL;
                                free(e);
                                p->count--;
                                t->count--;
                                popped++;
                        }
                        if (next >= 0 && p->active && out)
                                rd_kafka_topic_partition_list_add(out, p->topic, p->partition)
                                    ->offset = next;
                        if (!p->active && !p->head) {
                                *pp = p->next;
                                if (t->last == p)
                                        t->last = NULL;
                                otrack_part_free(p);
                                continue;
                        }
                        pp = &p->next;
                }
        }
        return popped;
}

size_t otrack_count(const struct otrack *t)
{
        return t->count;
}

static size_t otrack_part_pending(const struct otrack_part *p)
{
        size_t n = 0;
        for (const struct otrack_entry *e = p->head; e; e = e->next)
                if (atomic_load_explicit(&((struct otrack_entry *)e)->holds, memory_order_acquire))
                        n++;
        return n;
}

size_t otrack_pending(const struct otrack *t, const rd_kafka_topic_partition_list_t *parts)
{
        size_t n = 0;
        if (!parts) {
                for (int b = 0; b < OTRACK_BUCKETS; b++)
                        for (const struct otrack_part *p = t->buckets[b]; p; p = p->next)
                                n += otrack_part_pending(p);
                return n;
        }
        for (int i = 0; i < parts->cnt; i++) {
                const char *topic = parts->elems[i].topic;
                int32_t partition = parts->elems[i].partition;
                /* ghosts count too: their outputs are still in flight */
                for (const struct otrack_part *p = t->buckets[otrack_hash(topic, partition)]; p;
                     p = p->next)
                        if (p->partition == partition && !strcmp(p->topic, topic))
                                n += otrack_part_pending(p);
        }
        return n;
}

int otrack_entry_error(const struct otrack_entry *e)
{
        return atomic_load(&((struct otrack_entry *)e)->err);
}

void otrack_forget(struct otrack *t, const char *topic, int32_t partition)
{
        struct otrack_part *p = otrack_find(t, topic, partition);
        if (p)
                p->active = 0;
        if (t->last == p)
                t->last = NULL;
}

void otrack_forget_all(struct otrack *t)
{
        for (int b = 0; b < OTRACK_BUCKETS; b++)
                for (struct otrack_part *p = t->buckets[b]; p; p = p->next)
                        p->active = 0;
        t->last = NULL;
}
