#!/usr/bin/env bash
# SIGTERM mid-stream: exit 0, everything produced is committed, and a
# restarted worker re-reads nothing (no duplicates at all).
. "$(dirname "$0")/worker_lib.sh"

N=5000
in=$(fresh_name in); out=$(fresh_name out); dlq=$(fresh_name dlq); group=$(fresh_name g)
create_topic "$in" 3; create_topic "$out" 3; create_topic "$dlq" 1
gen_articles "$TMP/input.txt" $N term 50
worker_setup "$in" "$out" "$dlq" "$group"

start_worker w1 -X pipelines=3 # drain through classification threads
w1=$SPAWNED
feed "$in" "$TMP/input.txt" 100 0.05
wait_until 120 "a fifth of the input processed" processed_at_least $((N / 5)) "$out" "$dlq" -- "$w1"
t0=$(date +%s%N)
stop_worker "$w1" 60 || fail "worker exited with status $? after SIGTERM (expected 0)"
ms=$((($(date +%s%N) - t0) / 1000000))
done1=$(processed "$out" "$dlq")
committed=$(group_committed "$group" "$in")
log "SIGTERM: exit 0 after ${ms} ms; outputs $done1, committed $committed"
[ "$committed" -eq "$done1" ] || fail "committed $committed != $done1 messages produced before exit"
grep -q '"event":"stopped"' "$TMP/w1.log" || fail "no 'stopped' log line"
commits=$(sed -n 's/.*"event":"stopped".*commits \([0-9]*\).*/\1/p' "$TMP/w1.log")
[ "${commits:-0}" -ge 1 ] || fail "the 'stopped' line counts ${commits:-no} commits for a worker that committed $committed"
log "stopped line: commits $commits"

wait "$FEED_PID" || fail "feeding the input failed"
start_worker w2
w2=$SPAWNED
# w2 must really run (and find nothing to re-read): wait for it to start first
wait_until 120 "w2 started" started w2 "$w2"
wait_until 120 "all $N inputs committed" committed_is "$group" "$in" $N "$w2"
stop_worker "$w2" || fail "w2 exited with status $?"
check_accounting "$TMP/input.txt" "$out" "$dlq" 0
[ "$(processed "$out" "$dlq")" -eq $N ] || fail "output + DLQ = $(processed "$out" "$dlq"), expected $N"
log "ok: restarted worker re-read nothing (duplicates $DUPS)"
