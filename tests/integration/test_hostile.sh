#!/usr/bin/env bash
# Hostile input: every row of the table in docs/operations.md ("Hostile input")
# through both paths, with one answer each:
#   - `stemtag classify` (default auto format, one file per message), and
#   - the real worker in the default auto format (group A),
# which must agree exactly: the same reason and message for a rejection, the
# same record (apart from "input" and "processed_at") for an article. A second
# worker with input.format = json (group J) checks the table's json column.
# Both workers keep running; the accounting is exact (every key exactly once,
# in the output or the dead-letter topic); a dead letter keeps the original
# bytes; every record and dead letter validates against schema/.
[ -f "$(dirname "$0")/worker_lib.sh" ] || { echo "SKIP: tests/integration/worker_lib.sh not there yet"; exit 77; }
. "$(dirname "$0")/worker_lib.sh"

BIG=$((10 * 1024 * 1024))       # the 10 MB message
TOPIC_MAX=$((16 * 1024 * 1024)) # what the test topics and producers accept

inp=$(fresh_name in); group_a=$(fresh_name ga); group_j=$(fresh_name gj)
out_a=$(fresh_name outa); dlq_a=$(fresh_name dlqa); out_j=$(fresh_name outj); dlq_j=$(fresh_name dlqj)
# The 10 MB message must fit the input topic (to be produced) and the dead-letter
# topics (which keep the original bytes): topic-level max.message.bytes.
for t in "$inp" "$dlq_a" "$dlq_j"; do
	"$KT" create -b "$BOOTSTRAP" "$t" 2 -c max.message.bytes=$TOPIC_MAX || fail "cannot create $t"
done
create_topic "$out_a" 2
create_topic "$out_j" 2
for t in "$inp" "$dlq_a" "$dlq_j"; do "$KT" wait -b "$BOOTSTRAP" "$t" >/dev/null || fail "topic $t has no leaders"; done

C=$TMP/cases
mkdir -p "$C"
TABLE=$TMP/table.tsv
: >"$TABLE"
# row NAME AUTO JSON < bytes: one message; AUTO / JSON = the answer in that
# input.format: "record" or the dead-letter reason. (Fed by redirection, not a
# pipe: a pipe would run it in a subshell.)
row() {
	cat >"$C/$1"
	printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$TABLE"
}
article='{"id":"%s","title":"Parliament votes on the budget","body":"The parliament approved the budget after a long debate; the prime minister welcomed the vote."}'
deep_arrays() { awk -v d="$1" 'BEGIN { for (i = 0; i < d; i++) printf "["; for (i = 0; i < d; i++) printf "]" }'; }

row ok-first record record < <(printf "$article" first)
# deep nesting: one answer at any depth beyond 64 levels, in any position
row deep-64-array-at-limit json_not_object json_not_object < <(deep_arrays 64)
row deep-64-in-article record record < <(printf '{"id":"d64","title":"Parliament votes on the budget","body":"The parliament approved the budget.","x":'; deep_arrays 63; printf '}')
row deep-65-array json_syntax json_syntax < <(deep_arrays 65)
row deep-1000-array json_syntax json_syntax < <(deep_arrays 1000)
row deep-100000-array json_syntax json_syntax < <(deep_arrays 100000)
row deep-1000-objects json_syntax json_syntax < <(awk 'BEGIN { for (i = 0; i < 1000; i++) printf "{\"a\":"; printf "1"; for (i = 0; i < 1000; i++) printf "}" }')
row deep-100000-in-article json_syntax json_syntax < <(printf '{"title":"deep","body":"deep","x":'; deep_arrays 100000; printf '}')
# NUL bytes: a raw NUL is never text (invalid_utf8, like PostgreSQL's text);
# the \u0000 escape is refused by the JSON parser (json_syntax)
row nul-in-text invalid_utf8 invalid_utf8 < <(printf 'Parliament votes\0 on the budget after a long debate.')
row nul-in-json-string invalid_utf8 invalid_utf8 < <(printf '{"id":"nul","body":"a\0b"}')
row only-nuls invalid_utf8 invalid_utf8 < <(printf '\0\0\0\0')
row escaped-nul-in-json json_syntax json_syntax < <(printf '{"id":"nul","body":"a\\u0000b"}')
# lone surrogates: as bytes (CESU-8) ill-formed UTF-8; as a JSON escape a JSON error;
# in plain text "\ud800" is six ordinary characters
row cesu-surrogate-in-json invalid_utf8 invalid_utf8 < <(printf '{"id":"u","body":"CESU lone surrogate \xed\xa0\x80"}')
row cesu-surrogate-in-text invalid_utf8 invalid_utf8 < <(printf 'Parliament votes \xed\xa0\x80 on the budget.')
row escaped-lone-high-surrogate json_syntax json_syntax < <(printf '{"id":"u","body":"lone surrogate \\ud800 escape"}')
row escaped-lone-low-surrogate json_syntax json_syntax < <(printf '{"id":"u","body":"lone low \\udc00 escape"}')
row surrogate-escape-as-text record json_syntax < <(printf 'Parliament votes on the budget: the \\ud800 escape is text here.')
# non-object JSON (auto mode reads a whole JSON value as JSON, not as text)
row array-of-articles json_not_object json_not_object < <(printf '[{"id":"a","body":"an array of articles"}]')
row array-one json_not_object json_not_object < <(printf '[1]\n')
row number json_not_object json_not_object < <(printf '42')
row string json_not_object json_not_object < <(printf '"a string holding an article body"')
row json-null json_not_object json_not_object < <(printf 'null')
row json-true json_not_object json_not_object < <(printf 'true')
row text-opening-bracket record json_syntax < <(printf '[Update] Parliament votes on the budget after a long debate.')
# size, encoding, emptiness
prefix='{"id":"big","body":"'
row ten-mb too_large too_large < <({ printf '%s' "$prefix"; head -c $((BIG - ${#prefix} - 2)) /dev/zero | tr '\0' x; printf '"}'; })
row whitespace empty empty < <(printf '  \n\t  \r\n')
row truncated-sequence invalid_utf8 invalid_utf8 < <(printf '{"id":"u","body":"caf\xc3 trunc"}')
row ff-fe invalid_utf8 invalid_utf8 < <(printf '{"id":"u","body":"\xff\xfe bytes"}')
row overlong-2 invalid_utf8 invalid_utf8 < <(printf '{"id":"u","body":"overlong slash \xc0\xaf"}')
row overlong-3 invalid_utf8 invalid_utf8 < <(printf '{"id":"u","body":"overlong nul \xe0\x80\x80"}')
row above-max invalid_utf8 invalid_utf8 < <(printf '{"id":"u","body":"beyond U+10FFFF \xf4\x90\x80\x80"}')
# Binary garbage: fixed pseudo-random bytes (reproducible, ill-formed UTF-8), and
# control bytes that are well-formed UTF-8 without NUL: text in auto mode.
row binary-random invalid_utf8 invalid_utf8 < <(LC_ALL=C awk 'BEGIN { srand(8); for (i = 0; i < 4096; i++) printf "%c", int(rand() * 255) + 1 }')
row binary-control record json_syntax < <(printf '\x01\x02\x03\x1b[31m\x7f\x08')
# broken JSON, wrong types, no text
row unterminated json_syntax json_syntax < <(printf '{"id":"x","body":"unterminated')
row missing-colon json_syntax json_syntax < <(printf '{"id":"x" "body":"missing colon"}')
row trailing-garbage json_syntax json_syntax < <(printf '{"id":"x","body":"trailing"} garbage')
row title-number field_type field_type < <(printf '{"id":"t","title":123,"body":"x"}')
row body-array field_type field_type < <(printf '{"id":"t","body":["array","body"]}')
row section-object field_type field_type < <(printf '{"id":"t","title":"ok","section":{"x":1}}')
row no-text-fields no_text no_text < <(printf '{"id":"t"}')
row blank-text no_text no_text < <(printf '{"id":"t","title":"   ","body":"\\n\\t"}')
row integer-id record record < <(printf '{"id":42,"title":"Parliament votes on the budget","body":"The parliament approved the budget."}')
row ok-last record record < <(printf "$article" last)
# the empty message and the tombstone (null value): produced below, as "KEY<TAB>"
: >"$C/empty-message"; printf 'empty-message\tempty\tempty\n' >>"$TABLE"
: >"$C/tombstone"; printf 'tombstone\tempty\tempty\n' >>"$TABLE"

# Produce every case as one message keyed by its name (kcat reads a file argument
# as one message; it skips empty files, so those two go as "KEY<TAB>" lines).
n=0
while IFS=$'\t' read -r name _ _; do
	case $name in empty-message | tombstone) continue ;; esac
	kcat -P -b "$BOOTSTRAP" -t "$inp" -k "$name" -X message.max.bytes=$TOPIC_MAX "$C/$name" ||
		fail "kcat could not produce $name"
	n=$((n + 1))
done <"$TABLE"
printf 'empty-message\t\n' | kcat -P -b "$BOOTSTRAP" -t "$inp" -K $'\t' || fail "kcat could not produce the empty message"
printf 'tombstone\t\n' | kcat -P -b "$BOOTSTRAP" -t "$inp" -K $'\t' -Z || fail "kcat could not produce the tombstone"
n=$((n + 2))
[ "$(topic_count "$inp")" -eq $n ] || fail "input topic holds $(topic_count "$inp"), expected $n"
kcat -C -b "$BOOTSTRAP" -t "$inp" -o beginning -e -q -f '%k %S\n' >"$TMP/in.sizes" || fail "cannot read $inp"
grep -qx 'empty-message 0' "$TMP/in.sizes" || fail "the empty message is not empty"
grep -qx 'tombstone -1' "$TMP/in.sizes" || fail "the tombstone is not a null value"

# Path 1: the workers, auto (the default) and json, on the same input.
start_hostile_worker() { # NAME GROUP OUT DLQ [-X ...]
	local name=$1
	worker_setup "$inp" "$3" "$4" "$2"
	cat >>"$TMP/worker.conf" <<CONF
kafka.message.max.bytes = $TOPIC_MAX
# these dead-letter topics take 16 MB: keep every original byte (test_dlq_truncate covers the cut)
dlq.max.bytes = $TOPIC_MAX
CONF
	cp "$TMP/worker.conf" "$TMP/$name.conf"
	shift 4
	# shellcheck disable=SC2046
	spawn "$name" env -u STEMTAG_KAFKA_DIR "$STEMTAG" run -c "$TMP/$name.conf" $(_model_args) "$@"
}
start_hostile_worker wa "$group_a" "$out_a" "$dlq_a"
wa=$SPAWNED
start_hostile_worker wj "$group_j" "$out_j" "$dlq_j" -X input.format=json
wj=$SPAWNED
wait_until 240 "all $n inputs committed by the auto worker" committed_is "$group_a" "$inp" $n "$wa" "$wj"
wait_until 240 "all $n inputs committed by the json worker" committed_is "$group_j" "$inp" $n "$wa" "$wj"

# Still working after all that: one more valid article goes through both.
printf "$article" after >"$C/ok-after"
printf 'ok-after\trecord\trecord\n' >>"$TABLE"
kcat -P -b "$BOOTSTRAP" -t "$inp" -k ok-after "$C/ok-after" || fail "kcat could not produce the last article"
n=$((n + 1))
wait_until 60 "the article after the garbage committed (auto)" committed_is "$group_a" "$inp" $n "$wa" "$wj"
wait_until 60 "the article after the garbage committed (json)" committed_is "$group_j" "$inp" $n "$wa" "$wj"
stop_worker "$wa" || fail "auto worker exited with status $? after SIGTERM"
stop_worker "$wj" || fail "json worker exited with status $? after SIGTERM"

# Path 2: stemtag classify, default (auto) format, from the repository (its
# default language model and taxonomy: the ones the workers were given).
mkdir -p "$TMP/classify"
while IFS=$'\t' read -r name _ _; do
	(cd "$STEMTAG_SOURCE_DIR" && "$STEMTAG" classify "$C/$name") >"$TMP/classify/$name" 2>"$TMP/classify/$name.err" ||
		fail "stemtag classify $name exited with status $?: $(cat "$TMP/classify/$name.err")"
done <"$TABLE"

for t in "$out_a" "$dlq_a" "$out_j" "$dlq_j"; do
	timeout 120 kcat -C -b "$BOOTSTRAP" -t "$t" -o beginning -e -q -J >"$TMP/$t.json" || fail "could not read $t"
done
"$PYTHON3" "$(dirname "$0")/hostile_compare.py" "$TABLE" "$TMP/classify" \
	"$TMP/$out_a.json" "$TMP/$dlq_a.json" "$TMP/$out_j.json" "$TMP/$dlq_j.json" ||
	fail "the hostile table does not hold (see above)"

total_a=$(processed "$out_a" "$dlq_a"); total_j=$(processed "$out_j" "$dlq_j")
[ "$total_a" -eq $n ] || fail "auto: output + dead-letter = $total_a, expected exactly $n"
[ "$total_j" -eq $n ] || fail "json: output + dead-letter = $total_j, expected exactly $n"

# The dead letter holds the original bytes (sizes), also for the 10 MB and the binary ones.
for t in "$dlq_a" "$dlq_j"; do
	timeout 60 kcat -C -b "$BOOTSTRAP" -t "$t" -o beginning -e -q -f '%k %S\n' >"$TMP/dlq.sizes" ||
		fail "could not read $t"
	for name in ten-mb binary-random nul-in-json-string deep-100000-array; do
		got=$(grep "^$name " "$TMP/dlq.sizes" | cut -d' ' -f2)
		[ "$got" = "$(wc -c <"$C/$name")" ] || fail "dead letter $name in $t holds '$got' bytes, sent $(wc -c <"$C/$name")"
	done
done
validate_records "$out_a" "$out_j"
validate_dead_letters "$dlq_a" "$dlq_j"
log "ok: $n hostile/valid messages; auto: $(topic_count "$out_a") records + $(topic_count "$dlq_a") dead letters, json: $(topic_count "$out_j") + $(topic_count "$dlq_j"); classify agrees with the auto worker on every row; both workers exited 0"
