#!/usr/bin/env bash
# exactly_once + SIGKILL mid-stream: a read_committed consumer of the output
# sees each valid id exactly once (and each malformed one once in the DLQ).
. "$(dirname "$0")/worker_lib.sh"

N=10000
in=$(fresh_name in); out=$(fresh_name out); dlq=$(fresh_name dlq); group=$(fresh_name g)
create_topic "$in" 3; create_topic "$out" 3; create_topic "$dlq" 1
gen_articles "$TMP/input.txt" $N eos 50
worker_setup "$in" "$out" "$dlq" "$group"
# A stable transactional.id per replica: the restarted worker fences the killed
# one and aborts its open transaction at once.
eos=(-X processing.guarantee=exactly_once -X "kafka.transactional.id=$group-replica-0"
	-X transaction.max.messages=500 -X transaction.max.ms=100)

start_worker w1 "${eos[@]}"
w1=$SPAWNED
feed "$in" "$TMP/input.txt" 200 0.1
wait_until 120 "a quarter of the input produced" processed_at_least $((N / 4)) "$out" "$dlq" -- "$w1"
kill -KILL "$w1"
wait "$w1" 2>/dev/null || true
log "SIGKILL at $(processed "$out" "$dlq") messages written (committed or not), $(group_committed "$group" "$in") offsets committed"

start_worker w2 "${eos[@]}"
w2=$SPAWNED
wait "$FEED_PID" || fail "feeding the input failed"
[ "$(topic_count "$in")" -eq $N ] || fail "input holds $(topic_count "$in"), expected $N"
wait_until 120 "all $N inputs committed" committed_is "$group" "$in" $N "$w2"
stop_worker "$w2" || fail "worker exited with status $? after SIGTERM"
written=$(processed "$out" "$dlq")
check_accounting "$TMP/input.txt" "$out" "$dlq" 0
log "ok: exactly once under read_committed after SIGKILL ($written log entries incl. aborted and markers)"
