/* offset_tracker: an offset is reported only when all its acknowledgements
 * arrived and every earlier offset of its partition is done; failures stop
 * the partition; forgotten partitions drain silently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "offset_tracker.h"

/* Next offset reported for topic/partition in @p l, or -1. */
static int64_t reported(const rd_kafka_topic_partition_list_t *l, const char *topic, int32_t p)
{
        for (int i = 0; i < l->cnt; i++)
                if (!strcmp(l->elems[i].topic, topic) && l->elems[i].partition == p)
                        return l->elems[i].offset;
        return -1;
}

static int64_t advance(struct otrack *t, const char *topic, int32_t p, size_t *popped)
{
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(4);
        struct otrack_entry *failed = NULL;
        size_t n = otrack_advance(t, l, &failed);
        int64_t off = reported(l, topic, p);
        if (popped)
                *popped = n;
        rd_kafka_topic_partition_list_destroy(l);
        return off;
}

static void test_in_order_completion(void **state)
{
        struct otrack *t = otrack_new();
        struct otrack_entry *e[3];
        size_t popped;
        (void)state;

        for (int i = 0; i < 3; i++) {
                e[i] = otrack_add(t, "in", 0, 10 + i);
                otrack_entry_hold(e[i]); /* one output each */
        }
        /* classification done for all; the output of 11 is acked first */
        for (int i = 0; i < 3; i++)
                otrack_entry_release(e[i], 0);
        otrack_entry_release(e[1], 0);
        assert_int_equal(advance(t, "in", 0, &popped), -1); /* 10 still pending */
        assert_int_equal(popped, 0);
        assert_int_equal(otrack_pending(t, NULL), 2);
        otrack_entry_release(e[0], 0);
        assert_int_equal(advance(t, "in", 0, &popped), 12); /* 10 and 11 done */
        assert_int_equal(popped, 2);
        otrack_entry_release(e[2], 0);
        assert_int_equal(advance(t, "in", 0, &popped), 13);
        assert_int_equal(otrack_count(t), 0);
        otrack_destroy(t);
}

static void test_all_outputs_needed(void **state)
{
        struct otrack *t = otrack_new();
        struct otrack_entry *e = otrack_add(t, "in", 1, 5);
        (void)state;

        otrack_entry_hold(e);
        otrack_entry_hold(e); /* fan-out: two output topics */
        otrack_entry_release(e, 0);
        otrack_entry_release(e, 0);
        assert_int_equal(advance(t, "in", 1, NULL), -1);
        otrack_entry_release(e, 0);
        assert_int_equal(advance(t, "in", 1, NULL), 6);
        otrack_destroy(t);
}

static void test_partitions_independent(void **state)
{
        struct otrack *t = otrack_new();
        struct otrack_entry *a = otrack_add(t, "in", 0, 100);
        struct otrack_entry *b = otrack_add(t, "in", 1, 7);
        struct otrack_entry *c = otrack_add(t, "other", 0, 3);
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(4);
        (void)state;

        otrack_entry_release(b, 0);
        otrack_entry_release(c, 0);
        otrack_advance(t, l, NULL);
        assert_int_equal(reported(l, "in", 0), -1);
        assert_int_equal(reported(l, "in", 1), 8);
        assert_int_equal(reported(l, "other", 0), 4);
        assert_int_equal(otrack_count(t), 1);
        otrack_entry_release(a, 0);
        rd_kafka_topic_partition_list_destroy(l);
        otrack_destroy(t);
}

static void test_failure_stops_partition(void **state)
{
        struct otrack *t = otrack_new();
        struct otrack_entry *e0 = otrack_add(t, "in", 0, 0);
        struct otrack_entry *e1 = otrack_add(t, "in", 0, 1);
        struct otrack_entry *e2 = otrack_add(t, "in", 0, 2);
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(4);
        struct otrack_entry *failed = NULL;
        (void)state;

        otrack_entry_release(e0, 0);
        otrack_entry_release(e1, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT);
        otrack_entry_release(e2, 0);
        otrack_advance(t, l, &failed);
        assert_ptr_equal(failed, e1);
        assert_int_equal(otrack_entry_error(failed), RD_KAFKA_RESP_ERR__MSG_TIMED_OUT);
        assert_int_equal(reported(l, "in", 0), 1); /* 0 done; never past the failure */
        assert_int_equal(otrack_count(t), 2);
        /* a forgotten (revoked/rewound) partition drains silently */
        otrack_forget(t, "in", 0);
        rd_kafka_topic_partition_list_destroy(l);
        l = rd_kafka_topic_partition_list_new(4);
        otrack_advance(t, l, NULL);
        assert_int_equal(l->cnt, 0);
        assert_int_equal(otrack_count(t), 0);
        rd_kafka_topic_partition_list_destroy(l);
        otrack_destroy(t);
}

static void test_forget_then_reassign(void **state)
{
        struct otrack *t = otrack_new();
        struct otrack_entry *old = otrack_add(t, "in", 0, 50);
        struct otrack_entry *fresh;
        rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
        (void)state;

        rd_kafka_topic_partition_list_add(parts, "in", 0);
        otrack_forget(t, "in", 0);
        fresh = otrack_add(t, "in", 0, 40); /* re-assigned, rewound to 40 */
        assert_int_equal(otrack_pending(t, parts), 2);
        otrack_entry_release(fresh, 0);
        assert_int_equal(advance(t, "in", 0, NULL), 41); /* the ghost does not block it */
        otrack_entry_release(old, 0);
        assert_int_equal(advance(t, "in", 0, NULL), -1); /* ghost never reported */
        assert_int_equal(otrack_count(t), 0);
        rd_kafka_topic_partition_list_destroy(parts);
        otrack_destroy(t);
}

static void test_destroy_null(void **state)
{
        (void)state;
        otrack_destroy(NULL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_in_order_completion),
            cmocka_unit_test(test_all_outputs_needed),
            cmocka_unit_test(test_partitions_independent),
            cmocka_unit_test(test_failure_stops_partition),
            cmocka_unit_test(test_forget_then_reassign),
            cmocka_unit_test(test_destroy_null),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
