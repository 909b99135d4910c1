#!/usr/bin/env bash
# Scale 1 -> 3 workers mid-stream, then 3 -> 1: no input id missing; duplicates
# counted and printed (cooperative-sticky + commit on revoke keep them at 0 in
# practice, but at-least-once allows them).
. "$(dirname "$0")/worker_lib.sh"

N=10000
in=$(fresh_name in); out=$(fresh_name out); dlq=$(fresh_name dlq); group=$(fresh_name g)
create_topic "$in" 6; create_topic "$out" 3; create_topic "$dlq" 1
gen_articles "$TMP/input.txt" $N scale 50
worker_setup "$in" "$out" "$dlq" "$group"

start_worker w1
w1=$SPAWNED
feed "$in" "$TMP/input.txt" 100 0.15
wait_until 120 "first inputs processed" processed_at_least $((N / 10)) "$out" "$dlq" -- "$w1"
start_worker w2 -X pipelines=2 # one replica with classification threads
w2=$SPAWNED
start_worker w3
w3=$SPAWNED
log "scaled 1 -> 3 at $(processed "$out" "$dlq") outputs"
# assigned_some NAME: the worker logged an assignment of at least one partition
assigned_some() { grep -q '"event":"assigned","msg":"[1-9]' "$TMP/$1.log"; }
both_assigned() { alive "$w1" "$w2" "$w3"; assigned_some w2 && assigned_some w3; }
wait_until 60 "w2 and w3 assigned partitions" both_assigned
alive "$w1" "$w2" "$w3"
wait_until 120 "half of the input processed by three workers" processed_at_least $((N / 2)) "$out" "$dlq" -- "$w1" "$w2" "$w3"
at3=$(processed "$out" "$dlq")
stop_worker "$w2" || fail "w2 exited with status $? on SIGTERM"
stop_worker "$w3" || fail "w3 exited with status $? on SIGTERM"
log "scaled 3 -> 1 at $(processed "$out" "$dlq") outputs (3 workers from $at3)"

wait "$FEED_PID" || fail "feeding the input failed"
[ "$(topic_count "$in")" -eq $N ] || fail "input holds $(topic_count "$in"), expected $N"
wait_until 120 "all $N inputs committed" committed_is "$group" "$in" $N "$w1"
stop_worker "$w1" || fail "w1 exited with status $? on SIGTERM"
check_accounting "$TMP/input.txt" "$out" "$dlq" $N
for w in w1 w2 w3; do
	log "$w: $(grep -c '"event":"assigned"' "$TMP/$w.log") assignments, $(grep -c '"event":"revoked"' "$TMP/$w.log") revocations"
done
log "ok: 1 -> 3 -> 1 workers; duplicates: $DUPS"
