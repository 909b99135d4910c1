#!/usr/bin/env bash
# SIGKILL the worker mid-stream, start another: no input id is missing from the
# output (at-least-once: duplicates are allowed and counted).
. "$(dirname "$0")/worker_lib.sh"

N=10000
in=$(fresh_name in); out=$(fresh_name out); dlq=$(fresh_name dlq); group=$(fresh_name g)
create_topic "$in" 3; create_topic "$out" 3; create_topic "$dlq" 1
gen_articles "$TMP/input.txt" $N crash 50
worker_setup "$in" "$out" "$dlq" "$group"

start_worker w1
w1=$SPAWNED
feed "$in" "$TMP/input.txt" 200 0.1
wait_until 120 "a quarter of the input processed" processed_at_least $((N / 4)) "$out" "$dlq" -- "$w1"
kill -KILL "$w1"
wait "$w1" 2>/dev/null || true
at_kill=$(processed "$out" "$dlq")
committed_at_kill=$(group_committed "$group" "$in")
log "SIGKILL at $at_kill outputs, $committed_at_kill committed"

start_worker w2
w2=$SPAWNED
wait "$FEED_PID" || fail "feeding the input failed"
[ "$(topic_count "$in")" -eq $N ] || fail "input holds $(topic_count "$in"), expected $N"
wait_until 120 "all $N inputs committed" committed_is "$group" "$in" $N "$w2"
stop_worker "$w2" || fail "restarted worker exited with status $?"

check_accounting "$TMP/input.txt" "$out" "$dlq" $N
log "ok: killed after $at_kill outputs ($committed_at_kill committed); duplicates after restart: $DUPS"
