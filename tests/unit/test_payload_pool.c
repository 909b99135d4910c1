/* payload_pool: a payload is an exact copy until released, from any thread;
 * slabs are reused once empty, so memory stays bounded by what is in flight;
 * records the pool does not take are refused, not truncated. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "payload_pool.h"

static void fill(unsigned char *buf, size_t len, unsigned seed)
{
        for (size_t i = 0; i < len; i++)
                buf[i] = (unsigned char)((size_t)seed * 31u + i * 7u);
}

static void test_copies_are_exact_until_released(void **state)
{
        enum { N = 3000 };
        struct payload_pool *p = payload_pool_new();
        static unsigned char src[5000];
        unsigned char *got[N];
        size_t len[N];
        (void)state;

        assert_non_null(p);
        for (unsigned i = 0; i < N; i++) {
                len[i] = ((size_t)i * 977u) % sizeof(src); /* 0 .. 4999 bytes */
                fill(src, len[i], i);
                got[i] = payload_pool_put(p, src, len[i]);
                assert_non_null(got[i]);
                for (unsigned j = 0; j < i; j += 97) /* no payload overlaps another */
                        assert_true(got[j] + len[j] <= got[i] || got[i] + len[i] <= got[j] ||
                                    (len[i] == 0 && got[i] != got[j]));
        }
        for (unsigned i = 0; i < N; i++) {
                fill(src, len[i], i);
                if (len[i])
                        assert_memory_equal(got[i], src, len[i]);
        }
        /* released out of order: every slab but the one being written empties */
        for (unsigned i = 0; i < N; i += 2)
                payload_pool_release(got[i]);
        for (unsigned i = 1; i < N; i += 2)
                payload_pool_release(got[i]);
        assert_true(payload_pool_slabs(p) <= 9); /* the kept empty ones and the current */
        payload_pool_destroy(p);
}

static void test_memory_follows_what_is_in_flight(void **state)
{
        enum { INFLIGHT = 200, ROUNDS = 20000 };
        struct payload_pool *p = payload_pool_new();
        unsigned char src[1400];
        void *ring[INFLIGHT] = {0};
        size_t most = 0;
        (void)state;

        assert_non_null(p);
        fill(src, sizeof(src), 1);
        for (unsigned i = 0; i < ROUNDS; i++) {
                unsigned k = i % INFLIGHT;
                if (ring[k])
                        payload_pool_release(ring[k]);
                ring[k] = payload_pool_put(p, src, sizeof(src));
                assert_non_null(ring[k]);
                if (payload_pool_slabs(p) > most)
                        most = payload_pool_slabs(p);
        }
        /* 200 records of 1.4 KB span 5 slabs of 64 KB; a few more while they turn over */
        assert_true(most >= 5);
        assert_true(most <= 8);
        for (unsigned k = 0; k < INFLIGHT; k++)
                payload_pool_release(ring[k]);
        payload_pool_destroy(p);
}

static void test_refuses_what_it_cannot_hold(void **state)
{
        struct payload_pool *p = payload_pool_new();
        static unsigned char big[PAYLOAD_POOL_MAX_LEN + 1];
        void *at_max;
        (void)state;

        assert_non_null(p);
        assert_null(payload_pool_put(p, big, sizeof(big)));
        at_max = payload_pool_put(p, big, PAYLOAD_POOL_MAX_LEN);
        assert_non_null(at_max);
        payload_pool_release(at_max);
        payload_pool_destroy(p);
}

/* Delivery reports release on another thread while the writer goes on. */
struct releaser {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        void **q;
        size_t head, tail, cap;
        int done;
        size_t bad;
};

static void *release_main(void *arg)
{
        struct releaser *r = arg;
        for (;;) {
                void *x;
                pthread_mutex_lock(&r->lock);
                while (r->head == r->tail && !r->done)
                        pthread_cond_wait(&r->cond, &r->lock);
                if (r->head == r->tail) {
                        pthread_mutex_unlock(&r->lock);
                        return NULL;
                }
                x = r->q[r->head++ % r->cap];
                pthread_cond_broadcast(&r->cond);
                pthread_mutex_unlock(&r->lock);
                if (((unsigned char *)x)[0] != 0xa5 || ((unsigned char *)x)[999] != 0x5a)
                        r->bad++;
                payload_pool_release(x);
        }
}

static void test_release_from_another_thread(void **state)
{
        enum { N = 100000 };
        struct payload_pool *p = payload_pool_new();
        struct releaser r = {.cap = 512};
        unsigned char src[1000];
        pthread_t tid;
        (void)state;

        assert_non_null(p);
        r.q = calloc(r.cap, sizeof(*r.q));
        assert_non_null(r.q);
        pthread_mutex_init(&r.lock, NULL);
        pthread_cond_init(&r.cond, NULL);
        memset(src, 0, sizeof(src));
        src[0] = 0xa5;
        src[999] = 0x5a;
        assert_int_equal(pthread_create(&tid, NULL, release_main, &r), 0);
        for (unsigned i = 0; i < N; i++) {
                void *x = payload_pool_put(p, src, sizeof(src));
                assert_non_null(x);
                pthread_mutex_lock(&r.lock);
                while (r.tail - r.head == r.cap)
                        pthread_cond_wait(&r.cond, &r.lock);
                r.q[r.tail++ % r.cap] = x;
                pthread_cond_broadcast(&r.cond);
                pthread_mutex_unlock(&r.lock);
        }
        pthread_mutex_lock(&r.lock);
        r.done = 1;
        pthread_cond_broadcast(&r.cond);
        pthread_mutex_unlock(&r.lock);
        pthread_join(tid, NULL);
        assert_int_equal(r.bad, 0);
        /* at most 512 records of 1 KB in flight: 8 slabs, plus the kept ones */
        assert_true(payload_pool_slabs(p) <= 18);
        pthread_mutex_destroy(&r.lock);
        pthread_cond_destroy(&r.cond);
        free(r.q);
        payload_pool_destroy(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_copies_are_exact_until_released),
            cmocka_unit_test(test_memory_follows_what_is_in_flight),
            cmocka_unit_test(test_refuses_what_it_cannot_hold),
            cmocka_unit_test(test_release_from_another_thread),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
