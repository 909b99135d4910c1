#!/usr/bin/env bash
# stemtag replay killed (SIGKILL) in the middle of a run, then run again: every
# dead letter reaches the target exactly once for a read_committed reader (the
# killed run's open transaction is aborted when the next run fences it), and the
# group's offsets end at the dead-letter topic's end. The dead letters here are
# of the older kind (no stemtag-source-headers): the input's headers are all but
# the worker's stemtag-* ones. --to sends them to another topic than their
# stemtag-source-topic (which does not exist). --reason skips what it does not name;
# offset and time filters and --limit are checked in dry runs first.
. "$(dirname "$0")/lib.sh"

N=3000
dlq=$(fresh_name dlq); target=$(fresh_name target); rgroup=$(fresh_name replay)
create_topic "$dlq" 2
create_topic "$target" 2
seq -f 'crash-%05g' 1 $N | awk '{ printf "%s\t{\"id\":\"%s\",\"title\":\"t\",\"body\":\"b\"}\n", $1, $1 }' >"$TMP/dl.txt"
kcat -P -b "$BOOTSTRAP" -t "$dlq" -K $'\t' -l -H trace=z -H stemtag-reason=route_missing \
	-H stemtag-message=gone -H "stemtag-source-topic=gone-$target" -H stemtag-source-partition=0 \
	-H stemtag-source-offset=7 -H stemtag-source-timestamp=-1 "$TMP/dl.txt" || fail "cannot produce dead letters"
printf 'other-1\t{}\n' | kcat -P -b "$BOOTSTRAP" -t "$dlq" -K $'\t' -H stemtag-reason=json_syntax \
	-H "stemtag-source-topic=gone-$target" || fail "cannot produce a dead letter"

args=(replay -b "$BOOTSTRAP" --topic "$dlq" --to "$target" -g "$rgroup" --reason route_missing --json)
committed() { "$KT" committed -b "$BOOTSTRAP" -g "$rgroup" "$dlq"; }
jfield() { "$PYTHON3" -c 'import json,sys; d=json.load(sys.stdin); print(d["total"][sys.argv[1]])' "$1"; }
# Filters, in dry runs (nothing sent, nothing committed).
dry() { env -u STEMTAG_KAFKA_DIR "$STEMTAG" "${args[@]}" --dry-run "$@" 2>>"$TMP/dry.err"; }
r=$(dry --partition 0 --from-offset 10 --to-offset 19)
[ "$(jfield read <<<"$r")" -eq 10 ] || fail "offsets 10..19 of partition 0: $r"
r=$(dry --until 1000)
[ "$(jfield skipped <<<"$r")" -eq $((N + 1)) ] || fail "--until 1000 (1970) skipped not all: $r"
r=$(dry --since 2000-01-01T00:00:00Z)
[ "$(jfield replayed <<<"$r")" -eq $N ] || fail "--since 2000: $r"
r=$(dry --limit 5)
[ "$(jfield replayed <<<"$r")" -eq 5 ] || fail "--limit 5: $r"
[ "$(committed)" -eq 0 ] || fail "a dry run committed offsets"
log "filters: offsets, --until, --since, --limit counted as expected; dry runs committed nothing"
some_committed() { local c; c=$(committed 2>/dev/null) && [ "$c" -gt 0 ]; }
spawn r1 env -u STEMTAG_KAFKA_DIR "$STEMTAG" "${args[@]}" --batch 10
r1=$SPAWNED
wait_until 120 "the first replay commits a batch" some_committed
kill -KILL "$r1" 2>/dev/null || true
wait "$r1" 2>/dev/null || true
# (while the killed run's transaction is open its offsets are unstable: the
# broker answers a read of them only once the next run has fenced it)
at_kill=$(committed 2>/dev/null || echo "(unstable: transaction open)")
log "first replay killed with $at_kill of $((N + 1)) dead letters committed"

env -u STEMTAG_KAFKA_DIR "$STEMTAG" "${args[@]}" --batch 500 >"$TMP/r2.json" 2>"$TMP/r2.err" ||
	fail "second replay exited $?: $(tail -3 "$TMP/r2.err")"
log "replay 2: $(cat "$TMP/r2.json")"
[ "$(committed)" -eq $((N + 1)) ] || fail "group offsets end at $(committed), expected $((N + 1))"

timeout 120 kcat -C -b "$BOOTSTRAP" -t "$target" -o beginning -e -q -X isolation.level=read_committed \
	-f '%k %h\n' >"$TMP/got.txt" || fail "cannot read $target"
got=$(wc -l <"$TMP/got.txt")
uniq=$(cut -d' ' -f1 "$TMP/got.txt" | sort -u | wc -l)
timeout 120 kcat -C -b "$BOOTSTRAP" -t "$target" -o beginning -e -q -X isolation.level=read_uncommitted \
	-f '%k\n' >"$TMP/all.txt" || fail "cannot read $target"
log "target: $got committed records ($uniq keys); $(wc -l <"$TMP/all.txt") including aborted batches"
[ "$uniq" -eq $N ] || fail "$uniq distinct dead letters replayed, expected $N"
[ "$got" -eq $N ] || fail "$got records for $N dead letters: duplicates after the crash"
if grep -q 'other-1' "$TMP/got.txt"; then fail "--reason route_missing replayed a json_syntax dead letter"; fi
bad=$(awk '$2 != "trace=z,stemtag-replayed=1"' "$TMP/got.txt" | wc -l)
[ "$bad" -eq 0 ] || fail "$bad records with other headers than trace=z,stemtag-replayed=1: $(awk '$2 != "trace=z,stemtag-replayed=1"' "$TMP/got.txt" | head -2)"
log "ok: killed mid-run at $at_kill, rerun: $N exactly once, headers restored, json_syntax skipped"
