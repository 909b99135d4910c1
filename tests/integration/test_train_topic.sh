#!/usr/bin/env bash
# stemtag train --labels-from source-section --topic: the raw articles of
# tests/data/train-source-sections.jsonl produced to fresh topics teach the
# same thing as the file: the same mapping report and the same three sections
# (the model of a one-partition topic is byte-identical to the file's; a
# two-partition topic gives the same file on every read, whatever order the
# partitions arrive in); --limit bounds the sample, a message that is not
# JSON names its partition and offset (exit 1), nothing is committed.
. "$(dirname "$0")/lib.sh"

data=$STEMTAG_TEST_DATA/train-source-sections.jsonl
awk '{ printf "k%d\t%s\n", NR, $0 }' "$data" >"$TMP/in.txt"
two=$(fresh_name two)
one=$(fresh_name one)
bad=$(fresh_name bad)
create_topic "$two" 2
create_topic "$one" 1
create_topic "$bad" 1
# both partitions hold articles, in an order other than the file's
head -n 6 "$TMP/in.txt" >"$TMP/p1.txt"
tail -n +7 "$TMP/in.txt" >"$TMP/p0.txt"
kcat -P -b "$BOOTSTRAP" -t "$two" -p 1 -K $'\t' -l "$TMP/p1.txt" || fail "cannot produce to $two"
kcat -P -b "$BOOTSTRAP" -t "$two" -p 0 -K $'\t' -l "$TMP/p0.txt" || fail "cannot produce to $two"
kcat -P -b "$BOOTSTRAP" -t "$one" -K $'\t' -l "$TMP/in.txt" || fail "cannot produce to $one"
{ head -n 2 "$TMP/in.txt"; printf 'k3\tnot json\n'; } >"$TMP/bad.txt"
kcat -P -b "$BOOTSTRAP" -t "$bad" -K $'\t' -l "$TMP/bad.txt" || fail "cannot produce to $bad"

# train OUT ARGS...: exit status in $rc, stderr in $TMP/OUT.err
train() {
	local out=$1
	shift
	rc=0
	(cd "$STEMTAG_SOURCE_DIR" && env -u STEMTAG_KAFKA_DIR "$STEMTAG" train \
		--labels-from source-section --min-df 1 --name learned-fixture \
		--out "$TMP/$out.json" "$@") 2>"$TMP/$out.err" || rc=$?
}
report='12 articles; source section "section" mapped for 9 (75.0 %), unmapped 2, missing 1'
labels() { "$PYTHON3" -c 'import json,sys; print(" ".join(sorted(l["id"] for l in json.load(open(sys.argv[1]))["labels"])))' "$1"; }

train file --input "$data"
[ $rc -eq 0 ] || fail "train --input exited $rc: $(tail -3 "$TMP/file.err")"

train two -b "$BOOTSTRAP" --topic "$two"
[ $rc -eq 0 ] || fail "train --topic $two exited $rc: $(tail -3 "$TMP/two.err")"
grep -qF "$two: read 12 articles" "$TMP/two.err" || fail "no read count: $(cat "$TMP/two.err")"
grep -qF "$report" "$TMP/two.err" || fail "report differs from the file's: $(cat "$TMP/two.err")"
grep -qE '^stemtag train:   Yazarlar +\(unmapped\) +2$' "$TMP/two.err" || fail "Yazarlar not reported unmapped: $(cat "$TMP/two.err")"
[ "$(labels "$TMP/two.json")" = "economy-business-finance politics sport" ] ||
	fail "learned $(labels "$TMP/two.json"), expected the three mapped sections"
[ "$(labels "$TMP/two.json")" = "$(labels "$TMP/file.json")" ] || fail "labels differ from the file's"
train two-again -b "$BOOTSTRAP" --topic "$two"
[ $rc -eq 0 ] || fail "second train --topic $two exited $rc"
cmp -s "$TMP/two.json" "$TMP/two-again.json" || fail "two reads of $two gave different models"

train one -b "$BOOTSTRAP" --topic "$one"
[ $rc -eq 0 ] || fail "train --topic $one exited $rc: $(tail -3 "$TMP/one.err")"
grep -qF "$report" "$TMP/one.err" || fail "report differs from the file's: $(cat "$TMP/one.err")"
cmp -s "$TMP/one.json" "$TMP/file.json" || fail "the one-partition topic's model differs from the file's"

train limit -b "$BOOTSTRAP" --topic "$one" --limit 5
[ $rc -eq 0 ] || fail "train --limit 5 exited $rc: $(tail -3 "$TMP/limit.err")"
grep -qF "read 5 articles (--limit)" "$TMP/limit.err" || fail "--limit 5: $(cat "$TMP/limit.err")"
grep -qF ": 5 articles; source section" "$TMP/limit.err" || fail "--limit 5 report: $(cat "$TMP/limit.err")"

train bad -b "$BOOTSTRAP" --topic "$bad"
[ $rc -eq 1 ] || fail "a message that is not JSON: exit $rc, expected 1"
grep -qF "$bad[0]@2: " "$TMP/bad.err" || fail "the error does not name the message: $(cat "$TMP/bad.err")"
[ ! -e "$TMP/bad.json" ] || fail "a model was written despite the bad message"

for t in "$two" "$one" "$bad"; do
	[ "$(group_committed stemtag-train "$t")" -eq 0 ] || fail "train committed offsets on $t"
done
log "ok: topics of 2 and 1 partitions give the file's report and labels (1 partition: byte-identical model; 2: stable); --limit 5 read 5; a bad message names $bad[0]@2 (exit 1); nothing committed"
