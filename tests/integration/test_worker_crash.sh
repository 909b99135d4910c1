#!/usr/bin/env bash
# SIGKILL the worker mid-stream and start its replacement under the same static
# member name (kafka.group.instance.id, as a StatefulSet pod would be): the
# replacement takes the partitions over at once (no session timeout to wait),
# within 10 s; no input id is missing; the duplicates are printed and stay
# within the documented bound (docs/operations.md "Duplicates after a crash"):
#   duplicates <= what was processed since the last commit
#              <= rate x (commit.interval.ms + 1 s)
. "$(dirname "$0")/worker_lib.sh"

N=10000
TAKEOVER_MAX_MS=10000
COMMIT_INTERVAL_MS=1000
in=$(fresh_name in); out=$(fresh_name out); dlq=$(fresh_name dlq); group=$(fresh_name g)
replica=$(fresh_name replica)
create_topic "$in" 3; create_topic "$out" 3; create_topic "$dlq" 1
gen_articles "$TMP/input.txt" $N crash 50
worker_setup "$in" "$out" "$dlq" "$group"
now_ms() { echo $(($(date +%s%N) / 1000000)); }

start_worker w1 -X kafka.group.instance.id="$replica" -X commit.interval.ms=$COMMIT_INTERVAL_MS
w1=$SPAWNED
# Paced to last >= 25 s: the SIGKILL must land mid-stream even when the worker
# keeps up with the feed and the checks below are slow (under ASan, 10,000
# inputs at 200 per 0.1 s were all processed before the kill, and the
# replacement had nothing left to produce).
feed "$in" "$TMP/input.txt" 100 0.25
wait_until 120 "a quarter of the input processed" processed_at_least $((N / 4)) "$out" "$dlq" -- "$w1"
# The rate just before the crash: time 500 more outputs (a condition, not a sleep).
r0=$(processed "$out" "$dlq"); t0=$(now_ms)
wait_until 120 "500 more outputs" processed_at_least $((r0 + 500)) "$out" "$dlq" -- "$w1"
r1=$(processed "$out" "$dlq"); t1=$(now_ms)
rate=$(((r1 - r0) * 1000 / (t1 - t0 > 0 ? t1 - t0 : 1)))

kill -KILL "$w1"
t_kill=$(now_ms)
wait "$w1" 2>/dev/null || true
at_kill=$(processed "$out" "$dlq")
committed_at_kill=$(group_committed "$group" "$in")
since_commit=$((at_kill - committed_at_kill))
bound=$((rate * (COMMIT_INTERVAL_MS + 1000) / 1000))
log "SIGKILL at $at_kill outputs, $committed_at_kill committed ($since_commit processed since the last commit); rate $rate msg/s"
grep -q '"event":"stopped"' "$TMP/w1.log" && fail "w1 was not killed mid-stream"
[ "$at_kill" -lt $N ] || fail "the feed ended before the SIGKILL: not a crash mid-stream (slow the feed)"

start_worker w2 -X kafka.group.instance.id="$replica" -X commit.interval.ms=$COMMIT_INTERVAL_MS
w2=$SPAWNED
# Takeover: the replacement produces its first output (it starts at the committed offsets).
wait_until 60 "the replacement produces" processed_at_least $((at_kill + 1)) "$out" "$dlq" -- "$w2"
takeover_ms=$(($(now_ms) - t_kill))
wait "$FEED_PID" || fail "feeding the input failed"
[ "$(topic_count "$in")" -eq $N ] || fail "input holds $(topic_count "$in"), expected $N"
wait_until 120 "all $N inputs committed" committed_is "$group" "$in" $N "$w2"
all_ms=$(($(now_ms) - t_kill))
stop_worker "$w2" || fail "replacement exited with status $?"

check_accounting "$TMP/input.txt" "$out" "$dlq" $N
# DUPS counts the output topic; the dead-letter topic may repeat too: count all.
total=$(processed "$out" "$dlq")
dups_all=$((total - N))
log "takeover ${takeover_ms} ms after SIGKILL (limit ${TAKEOVER_MAX_MS}); all $N committed ${all_ms} ms after it"
log "duplicates $dups_all (records $DUPS + dead letters $((dups_all - DUPS))); processed since the last commit $since_commit; documented bound rate x (commit.interval.ms + 1 s) = $rate x $(((COMMIT_INTERVAL_MS + 1000) / 1000)) s = $bound"
[ "$takeover_ms" -le $TAKEOVER_MAX_MS ] || fail "takeover took ${takeover_ms} ms (> ${TAKEOVER_MAX_MS})"
[ "$dups_all" -le "$since_commit" ] || fail "$dups_all duplicates > $since_commit processed since the last commit"
[ "$dups_all" -le "$bound" ] || fail "$dups_all duplicates > documented bound $bound"
log "ok: 0 lost, takeover ${takeover_ms} ms, duplicates $dups_all <= $since_commit (since last commit) <= bound $bound"
