#!/usr/bin/env bash
# Operations under a real run: /healthz and /readyz answer, /metrics counters
# equal what the topics hold (consumed = sent, produced = output records,
# dead-lettered by reason = dead letters by reason), tags add up, consumer lag
# drains to 0; meanwhile SIGHUP reloads the model several times under load
# (one of them with a broken config, which must keep the old model), and the
# exact accounting still holds: nothing lost, nothing duplicated.
. "$(dirname "$0")/worker_lib.sh"

N=6000
RELOADS=4
in=$(fresh_name in); out=$(fresh_name out); dlq=$(fresh_name dlq); group=$(fresh_name g)
create_topic "$in" 3
create_topic "$out" 3
create_topic "$dlq" 1
gen_articles "$TMP/input.txt" $N ops 40

worker_setup "$in" "$out" "$dlq" "$group"
cp "$TMP/worker.conf" "$TMP/worker.conf.good"

http_get() { # PATH -> "STATUS BODY..." (curl-free: bash /dev/tcp like the image's HEALTHCHECK)
	local line status body=""
	exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
	printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$1" >&3
	IFS= read -r line <&3 || { exec 3<&-; return 1; }
	status=${line#HTTP/1.? }
	status=${status%% *}
	while IFS= read -r line <&3; do [ "$line" = $'\r' ] && break; done
	body=$(cat <&3)
	exec 3<&-
	HTTP_STATUS=$status
	HTTP_BODY=$body
}
status_is() { http_get "$1" && [ "$HTTP_STATUS" = "$2" ]; }
scrape() { http_get /metrics && [ "$HTTP_STATUS" = 200 ] && printf '%s\n' "$HTTP_BODY" >"$TMP/metrics.txt"; }
# metric SERIES: its value in the last scrape (0 when absent)
metric() { awk -v s="$1" '$1 == s { v = $2 } END { print (v == "" ? 0 : v) + 0 }' "$TMP/metrics.txt"; }
# metric_sum PREFIX: sum over every series starting with PREFIX
metric_sum() { awk -v p="$1" 'index($1, p) == 1 && $1 !~ /^#/ { s += $2 } END { print s + 0 }' "$TMP/metrics.txt"; }
reloads_logged() { grep -c "\"event\":\"$1\"" "$TMP/w1.log" || true; }

# Port 0: the kernel picks a free port; the worker logs it (http_listening).
start_worker w1 -X "metrics.listen=127.0.0.1:0"
w1=$SPAWNED
wait_until 60 "the worker logs its HTTP port" grep -q '"event":"http_listening"' "$TMP/w1.log"
port=$(sed -n 's/.*"event":"http_listening".*(port \([0-9]*\)).*/\1/p' "$TMP/w1.log" | head -1)
[ -n "$port" ] && [ "$port" -gt 0 ] || fail "no port in: $(grep http_listening "$TMP/w1.log")"
wait_until 60 "/healthz answers 200" status_is /healthz 200
grep -q '^ok' <<<"$HTTP_BODY" || fail "/healthz body: $HTTP_BODY"
STEMTAG_METRICS_LISTEN=127.0.0.1:$port "$STEMTAG_SOURCE_DIR/deploy/healthcheck.sh" ||
	fail "deploy/healthcheck.sh (the image HEALTHCHECK) fails against a healthy worker"
wait_until 60 "/readyz answers 200 (partitions assigned or group joined)" status_is /readyz 200
status_is /nope 404 || fail "unknown path answered $HTTP_STATUS"

# A stream of input while the model is reloaded again and again.
feed "$in" "$TMP/input.txt" 300 0.3
ok_before=0
for i in $(seq 1 $RELOADS); do
	if [ "$i" = 2 ]; then
		# Broken config: the reload must fail and keep the old model in service.
		printf 'pipelines = many\n' >>"$TMP/worker.conf"
		failed_before=$(reloads_logged reload_failed)
		kill -HUP "$w1"
		wait_until 60 "reload $i reported as failed" bash -c "[ \$(grep -c '\"event\":\"reload_failed\"' '$TMP/w1.log') -gt $failed_before ]"
		cp "$TMP/worker.conf.good" "$TMP/worker.conf"
		grep '"event":"reload_failed"' "$TMP/w1.log" | tail -1 | grep -q "pipelines" ||
			fail "reload_failed does not name the bad key: $(grep reload_failed "$TMP/w1.log" | tail -1)"
		continue
	fi
	kill -HUP "$w1"
	wait_until 60 "reload $i in service" bash -c "[ \$(grep -c '\"event\":\"reload_ok\"' '$TMP/w1.log') -gt $ok_before ]"
	ok_before=$((ok_before + 1))
	alive "$w1"
	log "reload $i in service with $(processed "$out" "$dlq") of $N processed"
	# Mid-stream scrape: acknowledged never exceeds consumed, nothing goes backwards.
	scrape || fail "/metrics did not answer during the run"
	c=$(metric stemtag_messages_consumed_total)
	a=$(($(metric stemtag_messages_produced_total) + $(metric_sum 'stemtag_messages_dead_lettered_total{')))
	[ "$a" -le "$c" ] && [ "$c" -le $N ] || fail "mid-run: produced+dead-lettered $a, consumed $c, sent $N"
	[ "$c" -ge "${last_c:-0}" ] && [ "$a" -ge "${last_a:-0}" ] || fail "mid-run counters went backwards"
	last_c=$c
	last_a=$a
done
# The reloads must overlap the stream, or this proves nothing about "under load".
kill -0 "$FEED_PID" 2>/dev/null || fail "the input stream ended before the reloads did; slow the feed down"
wait "$FEED_PID" || fail "feeding the input failed: $(tail -3 "$TMP/feed.log")"
[ "$(topic_count "$in")" -eq $N ] || fail "input topic holds $(topic_count "$in"), expected $N"
wait_until 180 "all $N inputs committed by $group" committed_is "$group" "$in" $N "$w1"

# Counters against the topics. Counters are updated when the broker
# acknowledges, before the commit, so after the commit they are final.
scrape || fail "/metrics did not answer 200"
n_out=$(topic_count "$out")
n_dlq=$(topic_count "$dlq")
consumed=$(metric stemtag_messages_consumed_total)
produced=$(metric stemtag_messages_produced_total)
dead=$(metric_sum 'stemtag_messages_dead_lettered_total{')
log "metrics: consumed $consumed produced $produced dead-lettered $dead | topics: out $n_out dlq $n_dlq (sent $N)"
[ "$consumed" -eq $N ] || fail "stemtag_messages_consumed_total = $consumed, sent $N"
[ "$produced" -eq "$n_out" ] || fail "stemtag_messages_produced_total = $produced, output topic holds $n_out"
[ "$dead" -eq "$n_dlq" ] || fail "dead-lettered total = $dead, dead-letter topic holds $n_dlq"
[ $((produced + dead)) -eq $N ] || fail "produced + dead-lettered = $((produced + dead)), sent $N"
# Per reason: the keys say which reason each malformed input must get.
for reason in $(cut -f1 "$TMP/input.txt" | sed -n 's/.*-bad-\([a-z_0-9]*\)-[0-9]*$/\1/p' | sort -u); do
	want=$(cut -f1 "$TMP/input.txt" | grep -c -- "-bad-$reason-")
	got=$(metric "stemtag_messages_dead_lettered_total{reason=\"$reason\"}")
	[ "$got" -eq "$want" ] || fail "dead-lettered{reason=$reason} = $got, expected $want"
done
# Every record was tagged with one language and one section (or "none"/"und").
lang=$(metric_sum 'stemtag_tags_total{kind="language"')
sect=$(metric_sum 'stemtag_tags_total{kind="section"')
[ "$lang" -eq "$produced" ] || fail "language tags $lang != records $produced"
[ "$sect" -eq "$produced" ] || fail "section tags $sect != records $produced"
hist=$(metric stemtag_processing_seconds_count)
[ "$hist" -eq $N ] || fail "stemtag_processing_seconds_count = $hist, expected $N"
rel_ok=$(metric 'stemtag_model_reloads_total{result="ok"}')
rel_failed=$(metric 'stemtag_model_reloads_total{result="failed"}')
[ "$rel_ok" -eq $((RELOADS - 1)) ] || fail "reloads ok = $rel_ok, expected $((RELOADS - 1))"
[ "$rel_failed" -eq 1 ] || fail "reloads failed = $rel_failed, expected 1"
grep -q '^stemtag_build_info{version="[0-9]' "$TMP/metrics.txt" || fail "no stemtag_build_info with a version"
grep -q "^stemtag_assigned_partitions 3$" "$TMP/metrics.txt" || fail "assigned partitions: $(grep ^stemtag_assigned "$TMP/metrics.txt")"
# The operators' alert rules and dashboard name only metrics a worker exports.
python3 "$STEMTAG_SOURCE_DIR/deploy/monitoring/check_metrics.py" "$TMP/metrics.txt" ||
	fail "deploy/monitoring/ uses a metric name /metrics does not export"

# Lag per input partition comes from librdkafka statistics and drains to 0.
lag_zero() {
	scrape || return 1
	[ "$(grep -c "^stemtag_consumer_lag{topic=\"$in\"" "$TMP/metrics.txt")" -eq 3 ] &&
		[ "$(metric_sum "stemtag_consumer_lag{topic=\"$in\"")" -eq 0 ]
}
wait_until 60 "stemtag_consumer_lag reported for 3 partitions and 0" lag_zero

stop_worker "$w1" || fail "worker exited with status $? after SIGTERM"
check_accounting "$TMP/input.txt" "$out" "$dlq" 0
log "ok: $N in = $produced records + $dead dead letters, metrics match topics, $rel_ok reloads ok + $rel_failed failed under load, nothing lost or duplicated"
