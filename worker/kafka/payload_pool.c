#include "payload_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SLAB_SIZE  65536 /* a power of two: a payload's slab is its address masked */
#define SLAB_HEAD  64    /* the header's cache line; payloads follow */
#define SLAB_ALIGN 16
#define KEEP_FREE  8 /* empty slabs kept for reuse (512 KB); more are freed */

_Static_assert(PAYLOAD_POOL_MAX_LEN <= SLAB_SIZE - SLAB_HEAD, "a record fits a slab");

struct slab {
        /* records not yet released, plus one while the pool writes into it */
        atomic_uint refs;
        struct payload_pool *pool;
        struct slab *prev, *next; /* every slab of the pool (destroy frees them) */
        struct slab *next_free;
};

_Static_assert(sizeof(struct slab) <= SLAB_HEAD, "the header fits its cache line");

struct payload_pool {
        pthread_mutex_t lock; /* the lists below: the writer and releasers share them */
        struct slab *all, *free;
        int nfree;
        size_t nslabs;
        struct slab *cur; /* the writer's own: no lock */
        size_t off;
};

struct payload_pool *payload_pool_new(void)
{
        struct payload_pool *p = calloc(1, sizeof(*p));
        if (!p)
                return NULL;
        if (pthread_mutex_init(&p->lock, NULL)) {
                free(p);
                return NULL;
        }
        return p;
}

void payload_pool_destroy(struct payload_pool *p)
{
        if (!p)
                return;
        for (struct slab *s = p->all, *n; s; s = n) {
                n = s->next;
                free(s);
        }
        pthread_mutex_destroy(&p->lock);
        free(p);
}

/* The last reference is gone: keep the slab for reuse or free it. */
static void slab_recycle(struct slab *s)
{
        struct payload_pool *p = s->pool;

        pthread_mutex_lock(&p->lock);
        if (p->nfree < KEEP_FREE) {
                s->next_free = p->free;
                p->free = s;
                p->nfree++;
                s = NULL;
        } else {
                p->nslabs--;
                if (s->prev)
                        s->prev->next = s->next;
                else
                        p->all = s->next;
                if (s->next)
                        s->next->prev = s->prev;
        }
        pthread_mutex_unlock(&p->lock);
        free(s);
}

static void slab_unref(struct slab *s)
{
        if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
                slab_recycle(s);
}

/* Retires the current slab and starts writing into an empty one. */
static int pool_next_slab(struct payload_pool *p)
{
        struct slab *s;

        if (p->cur) {
                struct slab *old = p->cur;
                p->cur = NULL;
                slab_unref(old);
        }
        pthread_mutex_lock(&p->lock);
        s = p->free;
        if (s) {
                p->free = s->next_free;
                p->nfree--;
        }
        pthread_mutex_unlock(&p->lock);
        if (!s) {
                s = aligned_alloc(SLAB_SIZE, SLAB_SIZE);
                if (!s)
                        return -1;
                s->pool = p;
                s->prev = NULL;
                pthread_mutex_lock(&p->lock);
                s->next = p->all;
                if (p->all)
                        p->all->prev = s;
                p->all = s;
                p->nslabs++;
                pthread_mutex_unlock(&p->lock);
        }
        atomic_init(&s->refs, 1);
        p->cur = s;
        p->off = SLAB_HEAD;
        return 0;
}

void *payload_pool_put(struct payload_pool *p, const void *data, size_t len)
{
        /* at least SLAB_ALIGN: a payload never starts at the slab's end */
        size_t need = (len + SLAB_ALIGN) & ~(size_t)(SLAB_ALIGN - 1);
        char *dst;

        if (len > PAYLOAD_POOL_MAX_LEN)
                return NULL;
        if ((!p->cur || p->off + need > SLAB_SIZE) && pool_next_slab(p))
                return NULL;
        atomic_fetch_add_explicit(&p->cur->refs, 1, memory_order_relaxed);
        dst = (char *)p->cur + p->off;
        p->off += need;
        memcpy(dst, data, len);
        return dst;
}

void payload_pool_release(void *payload)
{
        slab_unref((struct slab *)((uintptr_t)payload & ~(uintptr_t)(SLAB_SIZE - 1)));
}

size_t payload_pool_slabs(struct payload_pool *p)
{
        size_t n;

        pthread_mutex_lock(&p->lock);
        n = p->nslabs;
        pthread_mutex_unlock(&p->lock);
        return n;
}
