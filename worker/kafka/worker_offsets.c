/* worker_offsets: offsets, drains, transactions and rebalances, all on the
 * consumer thread: acknowledged offsets stored and committed (at_least_once)
 * or sent with the transaction (exactly_once); pause/resume; partitions
 * drained before they are given away. Shared state: worker_internal.h. */

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "log.h"
#include "metrics.h"
#include "offset_tracker.h"
#include "route.h"
#include "worker_internal.h"

/* Adds or updates @p src's partitions in @p dst. */
static void worker_offsets_merge(rd_kafka_topic_partition_list_t *dst,
                                 const rd_kafka_topic_partition_list_t *src)
{
        for (int i = 0; i < src->cnt; i++) {
                rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(
                    dst, src->elems[i].topic, src->elems[i].partition);
                if (!p)
                        p = rd_kafka_topic_partition_list_add(dst, src->elems[i].topic,
                                                              src->elems[i].partition);
                p->offset = src->elems[i].offset;
        }
}

/* Pops acknowledged work. at_least_once: stores the offsets; exactly_once:
 * collects them for the open transaction. */
void worker_advance(struct worker *w)
{
        rd_kafka_topic_partition_list_t *done;
        struct otrack_entry *failed = NULL;
        size_t popped;

        if (!otrack_count(w->track))
                return;
        done = rd_kafka_topic_partition_list_new(8);
        popped = otrack_advance(w->track, done, &failed);
        if (popped) {
                atomic_fetch_sub(&w->stats.inflight, (int_fast64_t)popped);
        }
        if (done->cnt) {
                if (w->exactly_once) {
                        worker_offsets_merge(w->txn_offsets, done);
                } else {
                        rd_kafka_resp_err_t err = rd_kafka_offsets_store(w->consumer, done);
                        if (err && err != RD_KAFKA_RESP_ERR__STATE)
                                log_event(LOG_WARN, "offsets_store", "%s", rd_kafka_err2str(err));
                        else
                                w->commit_due = 1;
                }
        }
        rd_kafka_topic_partition_list_destroy(done);
        if (failed && !w->exactly_once)
                worker_fail(w,
                            "output for %s [%d] @%lld could not be delivered: %s (offset not "
                            "stored; it will be processed again after restart)",
                            otrack_entry_topic(failed), (int)otrack_entry_partition(failed),
                            (long long)otrack_entry_offset(failed),
                            rd_kafka_err2str(otrack_entry_error(failed)));
}

/* Waits until the work for @p parts (NULL: all) is acknowledged, storing
 * offsets as it goes. 0 when drained, -1 on deadline or failure. */
int worker_drain(struct worker *w, const rd_kafka_topic_partition_list_t *parts,
                 long long deadline_ms)
{
        for (;;) {
                long long stop_deadline = worker_stop_deadline(w);
                if (stop_deadline && stop_deadline < deadline_ms)
                        deadline_ms = stop_deadline; /* a SIGTERM came meanwhile */
                worker_advance(w);
                if (!otrack_pending(w->track, parts)) {
                        worker_advance(w);
                        return 0;
                }
                if (worker_now_ms() >= deadline_ms)
                        return -1;
                if (atomic_load(&w->failed) && !w->exactly_once)
                        return -1;
                worker_sleep_ms(1);
        }
}

static void worker_forget(struct worker *w, const rd_kafka_topic_partition_list_t *parts)
{
        for (int i = 0; i < parts->cnt; i++)
                otrack_forget(w->track, parts->elems[i].topic, parts->elems[i].partition);
        worker_advance(w);
}

/* Result of every offset commit, async (served by consumer_poll) or sync
 * (served inside rd_kafka_commit_queue): the one place commits are counted. */
void worker_on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
        struct worker *w = opaque;
        (void)rk;
        (void)offsets;
        if (!err)
                WSTAT_ADD(w->stats.commits, 1);
        else if (err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                log_event(LOG_WARN, "commit_failed", "offset commit: %s", rd_kafka_err2str(err));
}

/* The synchronous commit's result, served from its own queue. */
static void worker_on_sync_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                                  rd_kafka_topic_partition_list_t *offsets, void *opaque)
{
        struct worker *w = opaque;
        worker_on_commit(rk, err, offsets, opaque);
        w->sync_commit_err = err;
        w->sync_commit_done = 1;
}

/* Commits the stored offsets and waits for the answer until @p deadline_ms
 * (rd_kafka_commit_queue with no queue would wait for a coordinator without
 * end: an unresponsive broker held the worker's stop for minutes). Nothing
 * stored counts as committed. 0 when committed; -1 on failure or no answer
 * in time (the offsets stay uncommitted: that work is processed again). */
int worker_commit_sync(struct worker *w, const char *why, long long deadline_ms)
{
        rd_kafka_queue_t *q = rd_kafka_queue_new(w->consumer);
        rd_kafka_resp_err_t err;

        w->commit_due = 0;
        w->committed_once = 1;
        w->last_commit_ms = worker_now_ms();
        if (!q) {
                log_event(LOG_WARN, "commit_failed", "commit on %s: out of memory", why);
                return -1;
        }
        w->sync_commit_done = 0;
        err = rd_kafka_commit_queue(w->consumer, NULL, q, worker_on_sync_commit, w);
        while (!err && !w->sync_commit_done) {
                int left = worker_ms_left(deadline_ms, 0);
                if (!left) {
                        err = RD_KAFKA_RESP_ERR__TIMED_OUT;
                        break;
                }
                rd_kafka_queue_poll_callback(q, left < 100 ? left : 100);
        }
        if (!err)
                err = w->sync_commit_err;
        w->sync_commit_err = err; /* for the caller's message */
        /* a late answer is dropped with the queue */
        rd_kafka_queue_destroy(q);
        if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
                return 0;
        if (err) {
                log_event(LOG_WARN, "commit_failed", "commit on %s: %s", why,
                          rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}

/* at_least_once: commits what is stored, asynchronously, right after the first
 * outputs are acknowledged and then every commit.interval.ms, so a crash
 * redoes at most about commit.interval.ms of work (docs/operations.md "Duplicates after a crash").
 */
void worker_commit_maybe(struct worker *w, long long now)
{
        if (w->exactly_once || !w->commit_due)
                return;
        if (w->committed_once && now - w->last_commit_ms < w->commit_interval_ms)
                return;
        rd_kafka_resp_err_t err = rd_kafka_commit(w->consumer, NULL, 1);
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                log_event(LOG_WARN, "commit_failed", "periodic commit: %s", rd_kafka_err2str(err));
        w->commit_due = 0;
        w->committed_once = 1;
        w->last_commit_ms = now;
}

void worker_txn_begin(struct worker *w)
{
        rd_kafka_error_t *error = rd_kafka_begin_transaction(w->producer);
        if (error) {
                worker_fail(w, "begin_transaction: %s", rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
                return;
        }
        w->txn_open = 1;
        w->txn_msgs = 0;
        w->txn_start_ms = worker_now_ms();
}

/* Aborts the open transaction and rewinds every assigned partition to its
 * last committed offset (examples/transactions.c: rewind_consumer). */
void worker_txn_abort(struct worker *w, const char *why)
{
        rd_kafka_error_t *error;
        rd_kafka_topic_partition_list_t *a = NULL;
        long long stop_deadline = worker_stop_deadline(w);

        log_event(LOG_WARN, "txn_abort", "aborting transaction: %s", why);
        /* no thread may produce into the next transaction what belonged here */
        worker_drain(w, NULL,
                     stop_deadline ? stop_deadline : worker_now_ms() + w->shutdown_timeout_ms);
        /* stopping: at most what is left of shutdown.timeout.ms (a little at least) */
        error = rd_kafka_abort_transaction(
            w->producer, stop_deadline ? worker_ms_left(stop_deadline, WORKER_STOP_FLOOR_MS) : -1);
        if (error && stop_deadline) {
                /* not fatal: nothing of it is visible to read_committed readers, the
                 * broker aborts it (transaction.timeout.ms, or at once when the next
                 * producer with this transactional.id starts), and its input
                 * offsets were never committed: redelivered */
                worker_stop_incomplete(w,
                                       "the open transaction (%s) could not be aborted before "
                                       "shutdown.timeout.ms: %s; the broker aborts it (output and "
                                       "input offsets stay together), its input is processed again",
                                       why, rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
        } else if (error) {
                worker_fail(w, "abort_transaction: %s", rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
        } else if (stop_deadline) {
                worker_stop_incomplete(w,
                                       "transaction aborted at shutdown (%s); its input will be "
                                       "processed again",
                                       why);
        }
        WSTAT_ADD(w->stats.txn_aborts, 1);
        w->txn_open = 0;
        otrack_forget_all(w->track);
        worker_advance(w);
        rd_kafka_topic_partition_list_destroy(w->txn_offsets);
        w->txn_offsets = rd_kafka_topic_partition_list_new(8);

        /* stopping: the next owner starts from the committed offsets anyway */
        if (stop_deadline || rd_kafka_assignment(w->consumer, &a) || !a)
                return;
        if (a->cnt) {
                rd_kafka_resp_err_t err = rd_kafka_committed(w->consumer, a, 10000);
                if (err) {
                        worker_fail(w, "rewind after abort: committed offsets: %s",
                                    rd_kafka_err2str(err));
                } else {
                        for (int i = 0; i < a->cnt; i++)
                                if (a->elems[i].offset < 0)
                                        a->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
                        error = rd_kafka_seek_partitions(w->consumer, a, 10000);
                        if (error) {
                                worker_fail(w, "rewind after abort: seek: %s",
                                            rd_kafka_error_string(error));
                                rd_kafka_error_destroy(error);
                        }
                }
        }
        rd_kafka_topic_partition_list_destroy(a);
}

/* Commits the open transaction with the consumed offsets. 0 / -1 (aborted). */
int worker_txn_commit(struct worker *w, long long deadline_ms)
{
        rd_kafka_error_t *error = NULL;
        rd_kafka_consumer_group_metadata_t *cgmd;
        struct otrack_entry *failed = NULL;
        rd_kafka_topic_partition_list_t *done;

        long long stop_deadline = worker_stop_deadline(w);

        if (!w->txn_open)
                return 0;
        if (stop_deadline && stop_deadline < deadline_ms)
                deadline_ms = stop_deadline;
        if (worker_drain(w, NULL, deadline_ms)) {
                worker_txn_abort(w, "in-flight messages not acknowledged in time");
                return -1;
        }
        done = rd_kafka_topic_partition_list_new(8);
        otrack_advance(w->track, done, &failed);
        worker_offsets_merge(w->txn_offsets, done);
        rd_kafka_topic_partition_list_destroy(done);
        if (failed) {
                char why[300];
                snprintf(why, sizeof(why), "delivery failed for %s [%d] @%lld: %s",
                         otrack_entry_topic(failed), (int)otrack_entry_partition(failed),
                         (long long)otrack_entry_offset(failed),
                         rd_kafka_err2str(otrack_entry_error(failed)));
                worker_txn_abort(w, why);
                return -1;
        }
        if (w->txn_offsets->cnt) {
                cgmd = rd_kafka_consumer_group_metadata(w->consumer);
                error = rd_kafka_send_offsets_to_transaction(
                    w->producer, w->txn_offsets, cgmd,
                    stop_deadline ? worker_ms_left(deadline_ms, 1) : -1);
                rd_kafka_consumer_group_metadata_destroy(cgmd);
        }
        while (!error) {
                /* stopping: no longer than shutdown.timeout.ms allows (-1 would wait
                 * for transaction.timeout.ms, 60 s by default) */
                error = rd_kafka_commit_transaction(
                    w->producer, stop_deadline ? worker_ms_left(deadline_ms, 1) : -1);
                if (!error)
                        break;
                if (rd_kafka_error_is_retriable(error) && worker_now_ms() < deadline_ms) {
                        rd_kafka_error_destroy(error);
                        error = NULL;
                        continue;
                }
                break;
        }
        if (error) {
                char why[300];
                snprintf(why, sizeof(why), "commit: %s", rd_kafka_error_string(error));
                if (rd_kafka_error_txn_requires_abort(error) || rd_kafka_error_is_retriable(error))
                        worker_txn_abort(w, why);
                else
                        worker_fail(w, "transaction %s", why);
                rd_kafka_error_destroy(error);
                return -1;
        }
        rd_kafka_topic_partition_list_destroy(w->txn_offsets);
        w->txn_offsets = rd_kafka_topic_partition_list_new(8);
        w->txn_open = 0;
        WSTAT_ADD(w->stats.commits, 1);
        return 0;
}

void worker_set_paused(struct worker *w, int pause)
{
        rd_kafka_topic_partition_list_t *a = NULL;

        if (rd_kafka_assignment(w->consumer, &a) || !a)
                return;
        if (pause)
                rd_kafka_pause_partitions(w->consumer, a);
        else
                rd_kafka_resume_partitions(w->consumer, a);
        rd_kafka_topic_partition_list_destroy(a);
        w->paused = pause;
        atomic_store(&w->stats.paused, pause);
        if (pause)
                WSTAT_ADD(w->stats.pauses, 1);
        log_event(LOG_DEBUG, pause ? "paused" : "resumed", "%lld messages in flight",
                  (long long)otrack_count(w->track));
}

static void worker_log_partitions(const char *event, const rd_kafka_topic_partition_list_t *parts)
{
        char buf[1024];
        size_t pos = 0;
        buf[0] = '\0';
        for (int i = 0; i < parts->cnt && pos + 64 < sizeof(buf); i++)
                pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "%s%s[%d]", i ? "," : "",
                                        parts->elems[i].topic, (int)parts->elems[i].partition);
        log_event(LOG_INFO, event, "%d partitions: %s", parts->cnt, buf);
}

void worker_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
        struct worker *w = opaque;
        int cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
        rd_kafka_error_t *error = NULL;
        rd_kafka_resp_err_t aerr = 0;

        WSTAT_ADD(w->stats.rebalances, 1);
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                worker_log_partitions("assigned", parts);
                if (cooperative)
                        error = rd_kafka_incremental_assign(rk, parts);
                else
                        aerr = rd_kafka_assign(rk, parts);
                if (w->paused)
                        rd_kafka_pause_partitions(rk, parts);
                atomic_fetch_add(&w->stats.assigned, parts->cnt);
        } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
                int lost = rd_kafka_assignment_lost(rk);
                worker_log_partitions(lost ? "lost" : "revoked", parts);
                if (w->exactly_once) {
                        /* like examples/transactions.c: finish the work of the
                         * revoked partitions inside the current transaction */
                        if (lost && w->txn_open)
                                worker_txn_abort(w, "partitions lost");
                        else
                                worker_txn_commit(w, worker_now_ms() + w->shutdown_timeout_ms);
                } else if (!lost) {
                        if (worker_drain(w, parts, worker_now_ms() + w->shutdown_timeout_ms))
                                log_event(LOG_WARN, "revoke_drain",
                                          "in-flight work of revoked partitions not acknowledged "
                                          "in %lld ms; it will be redelivered",
                                          w->shutdown_timeout_ms);
                        worker_commit_sync(w, "revoke",
                                           worker_stop_deadline(w)
                                               ? worker_stop_deadline(w)
                                               : worker_now_ms() + w->shutdown_timeout_ms);
                }
                worker_forget(w, parts);
                if (cooperative)
                        error = rd_kafka_incremental_unassign(rk, parts);
                else
                        aerr = rd_kafka_assign(rk, NULL);
                atomic_fetch_sub(&w->stats.assigned, parts->cnt);
        } else {
                log_event(LOG_ERROR, "rebalance_error", "%s", rd_kafka_err2str(err));
                if (cooperative)
                        error = rd_kafka_incremental_unassign(rk, parts);
                else
                        aerr = rd_kafka_assign(rk, NULL);
        }
        if (error) {
                log_event(LOG_ERROR, "assign_failed", "%s", rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
        } else if (aerr) {
                log_event(LOG_ERROR, "assign_failed", "%s", rd_kafka_err2str(aerr));
        }
}
