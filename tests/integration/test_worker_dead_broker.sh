#!/usr/bin/env bash
# SIGTERM with the broker already gone: the broker is frozen (SIGSTOP, by its
# pid: it accepts connections and answers nothing, the worst case, like an
# address that black-holes) mid-stream, the worker gets SIGTERM and must exit
# within shutdown.timeout.ms + slack, say in its log what it could not finish,
# and exit 1 when work is left uncommitted. Then the broker is restarted on the
# same data and a second worker finishes the input: nothing is lost
# (at_least_once: every id present; exactly_once: every id exactly once).
. "$(dirname "$0")/worker_lib.sh"

N=3000
STOP_S=10   # shutdown.timeout.ms of the stopped worker
SLACK_S=50  # generous: the worker's own bound is STOP_S + 4 s

broker_pid=
# A frozen or killed fixture broker must not outlive a failed test: the later
# tests need it (same ports and data).
revive_broker() {
	[ -n "$broker_pid" ] || return 0
	kill -CONT "$broker_pid" 2>/dev/null || true
	kill -KILL "$broker_pid" 2>/dev/null || true
	while kill -0 "$broker_pid" 2>/dev/null; do sleep 0.1; done
	broker_pid=
	"$KAFKA_SH" restart --dir "$STEMTAG_KAFKA_DIR" >"$TMP/restart.log" 2>&1 ||
		fail "broker restart failed: $(tail -3 "$TMP/restart.log")"
	[ "$(cat "$STEMTAG_KAFKA_DIR/bootstrap")" = "$BOOTSTRAP" ] || fail "broker came back on another address"
}
at_exit revive_broker

# exited PID: true once PID is gone (its status is collected by stop_after_term).
exited() { ! kill -0 "$1" 2>/dev/null; }

# run_case GUARANTEE MAX_DUPS
run_case() {
	local guarantee=$1 max_dups=$2 tag
	tag=${guarantee//_/}
	local in out dlq group
	in=$(fresh_name "in-$tag"); out=$(fresh_name "out-$tag"); dlq=$(fresh_name "dlq-$tag"); group=$(fresh_name "g-$tag")
	create_topic "$in" 3; create_topic "$out" 3; create_topic "$dlq" 1
	gen_articles "$TMP/input-$tag.txt" $N "dead$tag" 50
	worker_setup "$in" "$out" "$dlq" "$group"
	# commits seldom (at_least_once): work done since the first commit is only
	# stored when the broker goes, so the final commit is needed and cannot succeed.
	# Static member: w2's transactional.id is w1's, so w2 fences (aborts) an
	# open transaction of w1 at once instead of after transaction.timeout.ms.
	local args=(-X processing.guarantee="$guarantee" -X kafka.group.instance.id="dead-$tag")

	start_worker "w1-$tag" "${args[@]}" -X shutdown.timeout.ms=$((STOP_S * 1000)) -X commit.interval.ms=600000
	local w1=$SPAWNED
	rm -f "$TMP"/chunk.*
	feed "$in" "$TMP/input-$tag.txt" 50 0.05
	wait_until 120 "a quarter of the input processed" processed_at_least $((N / 4)) "$out" "$dlq" -- "$w1"
	local done0 committed0
	done0=$(processed "$out" "$dlq")
	committed0=$(group_committed "$group" "$in")

	broker_pid=$(cat "$STEMTAG_KAFKA_DIR/broker.pid")
	kill -STOP "$broker_pid" || fail "cannot stop broker $broker_pid"
	log "$guarantee: broker $broker_pid frozen at $done0 outputs ($committed0 inputs committed)"

	local t0 ms rc=0
	t0=$(date +%s%N)
	kill -TERM "$w1"
	wait_until $((STOP_S + SLACK_S)) "worker exits after SIGTERM with the broker gone" exited "$w1"
	ms=$((($(date +%s%N) - t0) / 1000000))
	wait "$w1" || rc=$?
	log "$guarantee: SIGTERM -> exit $rc after $ms ms (shutdown.timeout.ms $((STOP_S * 1000)))"
	grep -v '"event":"librdkafka"\|"event":"kafka_error"' "$TMP/w1-$tag.log" |
		grep '"event":"\(draining\|stop_incomplete\|close_timeout\|flush_timeout\|destroy_timeout\|shutdown_timeout\|txn_abort\|worker_failed\|stopped\)"' |
		sed 's/^/    /' | cut -c1-300
	if [ "$guarantee" = at_least_once ]; then
		[ $rc -eq 1 ] || fail "exit status $rc: the final commit cannot have succeeded (expected 1)"
		# the drain (output in flight) or else the final commit is what did not finish
		grep -q '"event":"worker_failed".*\(final offset commit failed\|before all in-flight messages were acknowledged\).*processed again' "$TMP/w1-$tag.log" ||
			fail "the exit reason names neither the drain nor the final offset commit"
	elif [ $rc -ne 0 ]; then
		# worker_failed: a bounded step did not finish; shutdown_timeout: the guard
		# ended a librdkafka call that ignored its timeout
		grep -q '"event":"\(worker_failed\|shutdown_timeout\)"' "$TMP/w1-$tag.log" ||
			fail "exit $rc without a worker_failed or shutdown_timeout line"
	else
		grep -q '"event":"stopped"' "$TMP/w1-$tag.log" || fail "exit 0 without a 'stopped' line"
	fi

	revive_broker
	log "$guarantee: broker restarted on the same data ($(cat "$STEMTAG_KAFKA_DIR/outage.ms") ms down)"
	wait "$FEED_PID" || fail "feeding the input failed"
	[ "$(topic_count "$in")" -eq $N ] || fail "input holds $(topic_count "$in"), expected $N"

	start_worker "w2-$tag" "${args[@]}"
	local w2=$SPAWNED
	wait_until 180 "all $N inputs committed" committed_is "$group" "$in" $N "$w2"
	stop_worker "$w2" || fail "w2 exited with status $? after SIGTERM (broker up: expected 0)"
	check_accounting "$TMP/input-$tag.txt" "$out" "$dlq" "$max_dups"
	log "ok $guarantee: stopped in $ms ms with the broker gone (exit $rc); after restart nothing missing, duplicates $DUPS"
}

run_case at_least_once $N
run_case exactly_once 0
