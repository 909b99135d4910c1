#!/usr/bin/env bash
# SIGHUP reload takes effect, and a broken model file does not: batch A runs
# without language model and taxonomy (records say "language": null and
# "taxonomy": null); the config then names the real model and taxonomy and
# SIGHUP swaps them in, so every record of batch B carries a detected language
# and the taxonomy version; then the config names a corrupt language model,
# the reload fails (old model kept whole, reason logged) and batch C is still
# detected and classified. Nothing lost or duplicated across the swaps.
. "$(dirname "$0")/worker_lib.sh"

MODEL=$STEMTAG_SOURCE_DIR/config/langid.model
[ -f "$MODEL" ] || skip "config/langid.model not in the repository"
TAX=""
[ -f "$STEMTAG_SOURCE_DIR/config/taxonomy/labels.json" ] && TAX=$STEMTAG_SOURCE_DIR/config/taxonomy
[ -n "$TAX" ] || skip "no default taxonomy in the repository"
N=400
in=$(fresh_name in); out=$(fresh_name out); dlq=$(fresh_name dlq); group=$(fresh_name g)
create_topic "$in" 3
create_topic "$out" 3
create_topic "$dlq" 1
for b in a b c; do gen_articles "$TMP/$b.txt" $N "re$b" 0; done
cat "$TMP/a.txt" "$TMP/b.txt" "$TMP/c.txt" >"$TMP/all.txt"

worker_setup "$in" "$out" "$dlq" "$group"
cp "$TMP/worker.conf" "$TMP/base.conf"
set_model() { { cat "$TMP/base.conf"; printf 'langid.model = %s\ntaxonomy.files = %s\n' "$1" "$2"; } >"$TMP/worker.conf"; }
count() { grep -c "\"event\":\"$1\"" "$TMP/w1.log" || true; }
# records of batch PREFIX whose "language" is null
null_language() { kcat -C -b "$BOOTSTRAP" -t "$out" -o beginning -e -q -f '%k %s\n' | grep "^$1-" | grep -c '"language":null' || true; }
# records of batch PREFIX that name no taxonomy (no classifier loaded)
null_taxonomy() { kcat -C -b "$BOOTSTRAP" -t "$out" -o beginning -e -q -f '%k %s\n' | grep "^$1-" | grep -c '"taxonomy":null' || true; }

set_model "" ""
# No -X here: what the reload re-reads must be the file.
spawn w1 env -u STEMTAG_KAFKA_DIR "$STEMTAG" run -c "$TMP/worker.conf"
w1=$SPAWNED

produce_file "$in" "$TMP/a.txt"
wait_until 120 "batch a processed" processed_at_least $N "$out" "$dlq" -- "$w1"
[ "$(null_language rea)" -eq $N ] || fail "without a model, $(null_language rea) of $N records have language null"
[ "$(null_taxonomy rea)" -eq $N ] || fail "without a taxonomy, $(null_taxonomy rea) of $N records name none"

set_model "$MODEL" "$TAX"
ok=$(count reload_ok)
kill -HUP "$w1"
wait_until 60 "reload to the real model" bash -c "[ \$(grep -c '\"event\":\"reload_ok\"' '$TMP/w1.log') -gt $ok ]"
log "$(grep '"event":"reload_ok"' "$TMP/w1.log" | tail -1 | sed 's/.*"msg":"\([^:]*\):.*/\1/')"
produce_file "$in" "$TMP/b.txt"
wait_until 120 "batch b processed" processed_at_least $((2 * N)) "$out" "$dlq" -- "$w1"
[ "$(null_language reb)" -eq 0 ] || fail "after the reload, $(null_language reb) of $N records still have no language"
[ "$(null_taxonomy reb)" -eq 0 ] || fail "after the reload, $(null_taxonomy reb) of $N records still name no taxonomy"

printf 'stemtag langid model? no: corrupt on purpose\n' >"$TMP/corrupt.model"
set_model "$TMP/corrupt.model" "$TAX"
failed=$(count reload_failed)
kill -HUP "$w1"
wait_until 60 "reload of a corrupt model reported" bash -c "[ \$(grep -c '\"event\":\"reload_failed\"' '$TMP/w1.log') -gt $failed ]"
grep '"event":"reload_failed"' "$TMP/w1.log" | tail -1 | grep -q "corrupt.model" ||
	fail "reload_failed does not name the file: $(grep reload_failed "$TMP/w1.log" | tail -1)"
produce_file "$in" "$TMP/c.txt"
wait_until 120 "batch c processed" processed_at_least $((3 * N)) "$out" "$dlq" -- "$w1"
[ "$(null_language rec)" -eq 0 ] || fail "after a failed reload, $(null_language rec) records lost their language: the old model was not kept"
[ "$(null_taxonomy rec)" -eq 0 ] || fail "after a failed reload, $(null_taxonomy rec) records lost the taxonomy"

wait_until 120 "all inputs committed" committed_is "$group" "$in" $((3 * N)) "$w1"
stop_worker "$w1" || fail "worker exited with status $? after SIGTERM"
check_accounting "$TMP/all.txt" "$out" "$dlq" 0
log "ok: no model -> $N null languages/taxonomies; reload -> 0 of $N null; corrupt reload kept the model -> 0 of $N null; $((3 * N)) in, none lost or duplicated"
