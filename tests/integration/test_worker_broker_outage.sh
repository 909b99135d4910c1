#!/usr/bin/env bash
# Stop the broker for ~10 s mid-stream and start it again on the same ports and
# data: the worker rides it out and no input id is missing.
. "$(dirname "$0")/worker_lib.sh"

N=10000
OUTAGE=10
in=$(fresh_name in); out=$(fresh_name out); dlq=$(fresh_name dlq); group=$(fresh_name g)
create_topic "$in" 3; create_topic "$out" 3; create_topic "$dlq" 1
gen_articles "$TMP/input.txt" $N outage 50
worker_setup "$in" "$out" "$dlq" "$group"

start_worker w1
w1=$SPAWNED
feed "$in" "$TMP/input.txt" 200 0.1
wait_until 120 "a quarter of the input processed" processed_at_least $((N / 4)) "$out" "$dlq" -- "$w1"
before=$(processed "$out" "$dlq")
"$KAFKA_SH" restart --dir "$STEMTAG_KAFKA_DIR" --down-seconds $OUTAGE >"$TMP/restart.log" 2>&1 ||
	fail "broker restart failed: $(tail -3 "$TMP/restart.log")"
[ "$(cat "$STEMTAG_KAFKA_DIR/bootstrap")" = "$BOOTSTRAP" ] || fail "broker came back on another address"
outage_ms=$(cat "$STEMTAG_KAFKA_DIR/outage.ms")
log "broker outage at $before outputs: $(grep -o 'restart: .*' "$TMP/restart.log")"
log "measured outage: ${outage_ms} ms (asked ${OUTAGE} s)"
alive "$w1"

wait "$FEED_PID" || fail "feeding the input failed"
[ "$(topic_count "$in")" -eq $N ] || fail "input holds $(topic_count "$in"), expected $N"
wait_until 180 "all $N inputs committed" committed_is "$group" "$in" $N "$w1"
stop_worker "$w1" || fail "worker exited with status $? after SIGTERM"
check_accounting "$TMP/input.txt" "$out" "$dlq" $N
log "ok: broker outage of ${OUTAGE}s survived by one worker; duplicates: $DUPS"
