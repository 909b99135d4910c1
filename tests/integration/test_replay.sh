#!/usr/bin/env bash
# stemtag replay against a real broker: 100 articles dead-lettered under a bad
# route template (their {language} topic does not exist: route_missing), the
# template fixed, one replay -> every article in the output exactly once (read
# committed), its key, value and headers restored and stemtag-replayed=1 added;
# a second replay sends nothing; a dead letter already replayed --max-replays
# times and a truncated one are refused, not sent.
. "$(dirname "$0")/worker_lib.sh"

N=100
in=$(fresh_name in); out=$(fresh_name out); dlq=$(fresh_name dlq); group=$(fresh_name g)
rgroup=$(fresh_name replay)
create_topic "$in" 3
create_topic "$out" 2
create_topic "$dlq" 2
gen_articles "$TMP/input.txt" $N replay 0
kcat -P -b "$BOOTSTRAP" -t "$in" -K $'\t' -l -H trace=t-1 -H origin=test "$TMP/input.txt" ||
	fail "cannot produce the input"

worker_setup "$in" "$out" "$dlq" "$group"
replay() { env -u STEMTAG_KAFKA_DIR "$STEMTAG" replay -c "$TMP/worker.conf" -g "$rgroup" --json "$@"; }
json_field() { "$PYTHON3" -c 'import json,sys; d=json.load(sys.stdin); print(eval("d"+sys.argv[1]))' "$1"; }

# 1. The bad template: every article routes to "<missing>-<language>".
start_worker w1 -X "output.topics=nosuch-$out-{language}"
w1=$SPAWNED
wait_until 120 "all $N inputs committed by $group" committed_is "$group" "$in" $N "$w1"
stop_worker "$w1" || fail "worker w1 exited with status $? after SIGTERM"
[ "$(topic_count "$dlq")" -eq $N ] || fail "dead-letter topic holds $(topic_count "$dlq"), expected $N"
[ "$(topic_count "$out")" -eq 0 ] || fail "output holds $(topic_count "$out") before the replay"

# 2. The template fixed; the worker is idle (everything committed) until the replay.
start_worker w2
w2=$SPAWNED
replay >"$TMP/r1.json" || fail "replay exited with status $?: $(cat "$TMP/r1.json")"
log "replay 1: $(cat "$TMP/r1.json")"
[ "$(json_field '["total"]["replayed"]' <"$TMP/r1.json")" -eq $N ] || fail "replay 1 did not replay $N"
[ "$(json_field '["reasons"]["route_missing"]["replayed"]' <"$TMP/r1.json")" -eq $N ] ||
	fail "replay 1: route_missing count"
wait_until 120 "the $N replayed inputs committed by $group" committed_is "$group" "$in" $((2 * N)) "$w2"
stop_worker "$w2" || fail "worker w2 exited with status $? after SIGTERM"

# Exactly once in the output, every article.
_read_topic "$out" '%k\n' | sort >"$TMP/out.keys"
cut -f1 "$TMP/input.txt" | sort >"$TMP/in.keys"
[ "$(wc -l <"$TMP/out.keys")" -eq $N ] || fail "output holds $(wc -l <"$TMP/out.keys") records, expected $N"
cmp -s "$TMP/out.keys" "$TMP/in.keys" || fail "output keys differ from the input keys"
# The replayed inputs are the originals, byte for byte: each key/value twice in $in.
_read_topic "$in" '%k\t%s\n' | sort | uniq -c | awk '$1 != 2' >"$TMP/in.odd"
[ ! -s "$TMP/in.odd" ] || fail "input topic: $(wc -l <"$TMP/in.odd") key/value pairs not exactly twice"
# Headers restored in order, the count added, nothing of the dead letter kept.
_read_topic "$in" '%o %h\n' | awk '$1 >= 0' | grep -c 'stemtag-replayed=1' >"$TMP/n.replayed" || true
[ "$(cat "$TMP/n.replayed")" -eq $N ] || fail "$(cat "$TMP/n.replayed") replayed inputs carry stemtag-replayed=1"
if _read_topic "$in" '%h\n' | grep -q 'stemtag-reason\|stemtag-source'; then
	fail "a replayed input carries dead-letter headers"
fi
_read_topic "$in" '%h\n' | grep 'stemtag-replayed' | grep -vc '^trace=t-1,origin=test,stemtag-replayed=1$' >"$TMP/n.badhdr" || true
[ "$(cat "$TMP/n.badhdr")" -eq 0 ] || fail "replayed headers differ from trace=t-1,origin=test,stemtag-replayed=1"
_read_topic "$out" '%h\n' | grep -c 'stemtag-replayed=1' >"$TMP/n.outhdr" || true
[ "$(cat "$TMP/n.outhdr")" -eq $N ] || fail "output records do not all carry stemtag-replayed=1"
validate_dead_letters "$dlq"

# 3. A second replay: nothing left to send.
replay >"$TMP/r2.json" || fail "replay 2 exited with status $?"
log "replay 2: $(cat "$TMP/r2.json")"
[ "$(json_field '["total"]["read"]' <"$TMP/r2.json")" -eq 0 ] || fail "replay 2 read dead letters again"
# (high watermarks count transaction markers too: count what a reader sees)
in_count() { _read_topic "$in" '%k\n' | wc -l; }
[ "$(in_count)" -eq $((2 * N)) ] || fail "replay 2 sent something: $in holds $(in_count)"

# 4. Refusals: one dead letter replayed 3 times already, one truncated.
before=$(in_count)
printf 'k-max\t{"id":"x","title":"t","body":"b"}\n' |
	kcat -P -b "$BOOTSTRAP" -t "$dlq" -K $'\t' -H stemtag-replayed=3 -H stemtag-source-headers=1 \
		-H stemtag-reason=route_missing -H "stemtag-source-topic=$in" -H stemtag-source-partition=0 ||
	fail "cannot produce a dead letter"
printf 'k-trunc\t{"id":"y","ti\n' |
	kcat -P -b "$BOOTSTRAP" -t "$dlq" -K $'\t' -H stemtag-source-headers=0 -H stemtag-reason=too_large \
		-H "stemtag-source-topic=$in" -H stemtag-source-partition=0 -H stemtag-truncated=2000000 ||
	fail "cannot produce a dead letter"
replay --max-replays 3 >"$TMP/r3.json" || fail "replay 3 exited with status $?"
log "replay 3: $(cat "$TMP/r3.json")"
[ "$(json_field '["total"]["refused_max_replays"]' <"$TMP/r3.json")" -eq 1 ] || fail "the over-limit dead letter was not refused"
[ "$(json_field '["total"]["refused_truncated"]' <"$TMP/r3.json")" -eq 1 ] || fail "the truncated dead letter was not refused"
[ "$(json_field '["total"]["replayed"]' <"$TMP/r3.json")" -eq 0 ] || fail "replay 3 sent something"
[ "$(in_count)" -eq "$before" ] || fail "refused dead letters reached $in"

# 5. Usage errors exit 2 before connecting.
set +e
env -u STEMTAG_KAFKA_DIR "$STEMTAG" replay --batch 0 >/dev/null 2>&1; rc=$?
set -e
[ $rc -eq 2 ] || fail "replay --batch 0 exited $rc, expected 2"
log "ok: $N dead-lettered, replayed once, $N records exactly once; second replay sent nothing; over-limit and truncated refused"
