#!/usr/bin/env bash
# stemtag diff over a sample of a Kafka topic: the fixture articles of
# tests/data/diff produced to a fresh topic give the same verdict as the file
# (2 of 6 changed: exit 4), --limit bounds the sample, nothing is committed.
. "$(dirname "$0")/lib.sh"

topic=$(fresh_name in)
create_topic "$topic" 2
awk '{ printf "k%d\t%s\n", NR, $0 }' "$STEMTAG_TEST_DATA/diff/articles.jsonl" | grep -v $'^k[0-9]*\t$' >"$TMP/in.txt"
kcat -P -b "$BOOTSTRAP" -t "$topic" -K $'\t' -l "$TMP/in.txt" || fail "cannot produce"
diff_topic() {
	(cd "$STEMTAG_SOURCE_DIR" && env -u STEMTAG_KAFKA_DIR "$STEMTAG" diff \
		--old tests/data/diff/old.json --new tests/data/diff/new.json -X input.format=json \
		-b "$BOOTSTRAP" --topic "$topic" --json "$@")
}
rc=0
diff_topic >"$TMP/d.json" 2>"$TMP/d.err" || rc=$?
log "diff: rc $rc $(cat "$TMP/d.json")"
[ $rc -eq 4 ] || fail "diff --topic exited $rc, expected 4: $(tail -3 "$TMP/d.err")"
field() { "$PYTHON3" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$TMP/d.json" "$1"; }
[ "$(field articles)" -eq 6 ] || fail "read $(field articles) articles, expected 6"
[ "$(field changed)" -eq 2 ] || fail "$(field changed) changed, expected 2"
rc=0
diff_topic --limit 2 --tolerance 2 >"$TMP/d.json" 2>"$TMP/d.err" || rc=$?
[ $rc -eq 0 ] || fail "diff --limit 2 --tolerance 2 exited $rc"
[ "$(field articles)" -eq 2 ] || fail "--limit 2 read $(field articles) articles"
[ "$(group_committed stemtag-diff "$topic")" -eq 0 ] || fail "diff committed offsets"
log "ok: topic sample: 6 articles, 2 changed (exit 4); --limit 2 read 2; nothing committed"
