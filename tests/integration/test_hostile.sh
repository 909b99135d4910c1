#!/usr/bin/env bash
# Hostile input through the real worker: every kind of garbage a shared bus can
# carry is dead-lettered with its stable reason (article.h), the original bytes
# kept; valid articles around it are tagged; the worker keeps running; the
# accounting is exact: N in = N out + N dead-lettered, every key exactly once.
#
# The worker runs with input.format = json (the strict mode), so that binary
# garbage and the like are json_syntax; in the default "auto" mode they would be
# plain text (top-level JSON arrays/strings/numbers are json_not_object there too).
#
# Each case is one message whose key says what must happen to it:
#   hostile-ok-<name>             a record in the output topic
#   hostile-bad-<reason>-<name>   a dead letter with stemtag-reason = <reason>
# Until the worker (and its test helpers) exist, skip rather than fail.
[ -f "$(dirname "$0")/worker_lib.sh" ] || { echo "SKIP: tests/integration/worker_lib.sh not there yet"; exit 77; }
. "$(dirname "$0")/worker_lib.sh"

BIG=$((10 * 1024 * 1024))     # the 10 MB message
TOPIC_MAX=$((16 * 1024 * 1024)) # what the test topics and producers accept

in=$(fresh_name in); out=$(fresh_name out); dlq=$(fresh_name dlq); group=$(fresh_name g)
# The 10 MB message must fit the input topic (to be produced) and the dead-letter
# topic (which keeps the original bytes): topic-level max.message.bytes.
"$KT" create -b "$BOOTSTRAP" "$in" 2 -c max.message.bytes=$TOPIC_MAX || fail "cannot create $in"
"$KT" create -b "$BOOTSTRAP" "$dlq" 1 -c max.message.bytes=$TOPIC_MAX || fail "cannot create $dlq"
create_topic "$out" 2
for t in "$in" "$dlq"; do "$KT" wait -b "$BOOTSTRAP" "$t" >/dev/null || fail "topic $t has no leaders"; done

C=$TMP/cases
mkdir -p "$C"
ok() { printf '{"id":"%s","title":"Parliament votes on the budget","body":"The parliament approved the budget after a long debate; the prime minister welcomed the vote."}' "$1" >"$C/hostile-ok-$1"; }
# bad REASON NAME < bytes (fed by redirection, not a pipe: a pipe would run it in
# a subshell and lose KEY and the counter). Keys end in a number (worker_lib's check_accounting
# reads the reason between "-bad-" and it); KEY[NAME] is the key.
declare -A KEY
nbad=0
bad() {
	nbad=$((nbad + 1))
	KEY[$2]=hostile-bad-$1-$nbad
	cat >"$C/${KEY[$2]}"
	printf '%s\t%s\n' "${KEY[$2]}" "$2" >>"$TMP/names.txt"
}

ok first
bad json_syntax unterminated < <(printf '{"id":"x","body":"unterminated')
bad json_syntax missing-colon < <(printf '{"id":"x" "body":"missing colon"}')
bad json_syntax trailing-garbage < <(printf '{"id":"x","body":"trailing"} garbage')
# 1000-deep nesting: valid JSON (Jansson's limit is 2048) -> a record only if it
# has text; here the text-less object is no_text and the top-level array is not an object.
bad no_text deep-1000-objects < <(awk 'BEGIN { s = ""; for (i = 0; i < 1000; i++) s = s "{\"a\":"; s = s "1"; for (i = 0; i < 1000; i++) s = s "}"; printf "%s", s }')
bad json_not_object deep-1000-arrays < <(awk 'BEGIN { for (i = 0; i < 1000; i++) printf "["; for (i = 0; i < 1000; i++) printf "]" }')
bad json_syntax deep-100000 < <(awk 'BEGIN { printf "{\"title\":\"deep\",\"x\":"; for (i = 0; i < 100000; i++) printf "["; for (i = 0; i < 100000; i++) printf "]"; printf "}" }')
# 10 MB: over input.max.bytes (1 MiB) -> too_large, and the dead letter keeps all of it.
prefix='{"id":"big","body":"'
bad too_large ten-mb < <({ printf '%s' "$prefix"; head -c $((BIG - ${#prefix} - 2)) /dev/zero | tr '\0' x; printf '"}'; })
bad json_syntax raw-nul-in-string < <(printf '{"id":"nul","body":"a\0b"}')
bad json_syntax escaped-nul < <(printf '{"id":"nul","body":"a\\u0000b"}')
bad json_syntax only-nuls < <(printf '\0\0\0\0')
bad invalid_utf8 truncated-sequence < <(printf '{"id":"u","body":"caf\xc3 trunc"}')
bad invalid_utf8 ff-fe < <(printf '{"id":"u","body":"\xff\xfe bytes"}')
bad invalid_utf8 overlong-2 < <(printf '{"id":"u","body":"overlong slash \xc0\xaf"}')
bad invalid_utf8 overlong-3 < <(printf '{"id":"u","body":"overlong nul \xe0\x80\x80"}')
bad invalid_utf8 above-max < <(printf '{"id":"u","body":"beyond U+10FFFF \xf4\x90\x80\x80"}')
bad invalid_utf8 cesu-surrogate < <(printf '{"id":"u","body":"CESU lone surrogate \xed\xa0\x80"}')
bad json_syntax escaped-lone-surrogate < <(printf '{"id":"u","body":"lone surrogate \\ud800 escape"}')
bad json_syntax escaped-lone-low-surrogate < <(printf '{"id":"u","body":"lone low \\udc00 escape"}')
bad empty whitespace < <(printf '  \n\t  \r\n')
bad json_not_object array < <(printf '[{"id":"a","body":"an array of articles"}]')
bad json_not_object number < <(printf '42')
bad json_not_object string < <(printf '"a string holding an article body"')
bad json_not_object json-null < <(printf 'null')
bad json_not_object json-true < <(printf 'true')
bad field_type title-number < <(printf '{"id":"t","title":123,"body":"x"}')
bad field_type body-array < <(printf '{"id":"t","body":["array","body"]}')
bad field_type section-object < <(printf '{"id":"t","title":"ok","section":{"x":1}}')
bad no_text no-text-fields < <(printf '{"id":"t"}')
bad no_text blank-text < <(printf '{"id":"t","title":"   ","body":"\\n\\t"}')
# Binary garbage: fixed pseudo-random bytes (reproducible) with invalid UTF-8 in them,
# and control bytes that are valid UTF-8 but no JSON.
bad invalid_utf8 binary-random < <(LC_ALL=C awk 'BEGIN { srand(8); for (i = 0; i < 4096; i++) printf "%c", int(rand() * 256) }')
bad json_syntax binary-control < <(printf '\x01\x02\x03\x1b[31m\x7f\x08')
ok last

# Produce every case as one message (kcat reads a file argument as one message).
n=0
for f in "$C"/*; do
	kcat -P -b "$BOOTSTRAP" -t "$in" -k "$(basename "$f")" -X message.max.bytes=$TOPIC_MAX "$f" ||
		fail "kcat could not produce $(basename "$f")"
	n=$((n + 1))
done
# kcat skips empty files: the empty message and the tombstone (null value, -Z)
# go as "KEY<TAB>" lines.
printf 'hostile-bad-empty-0\t\n' | kcat -P -b "$BOOTSTRAP" -t "$in" -K $'\t' ||
	fail "kcat could not produce the empty message"
printf 'hostile-bad-empty-00\t\n' | kcat -P -b "$BOOTSTRAP" -t "$in" -K $'\t' -Z ||
	fail "kcat could not produce the tombstone"
n=$((n + 2))
[ "$(topic_count "$in")" -eq $n ] || fail "input topic holds $(topic_count "$in"), expected $n"
kcat -C -b "$BOOTSTRAP" -t "$in" -o beginning -e -q -f '%k %S\n' >"$TMP/in.sizes" || fail "cannot read $in"
grep -qx 'hostile-bad-empty-0 0' "$TMP/in.sizes" || fail "the empty message is not empty"
grep -qx 'hostile-bad-empty-00 -1' "$TMP/in.sizes" || fail "the tombstone is not a null value"

worker_setup "$in" "$out" "$dlq" "$group"
cat >>"$TMP/worker.conf" <<CONF
input.format = json
kafka.message.max.bytes = $TOPIC_MAX
# this dead-letter topic takes 16 MB: keep every original byte (test_dlq_truncate covers the cut)
dlq.max.bytes = $TOPIC_MAX
CONF
start_worker w1
w1=$SPAWNED
wait_until 180 "all $n inputs committed by $group" committed_is "$group" "$in" $n "$w1"

# Still working after all that: one more valid article goes through.
ok after
kcat -P -b "$BOOTSTRAP" -t "$in" -k hostile-ok-after "$C/hostile-ok-after" || fail "kcat could not produce the last article"
n=$((n + 1))
wait_until 60 "the article after the garbage committed" committed_is "$group" "$in" $n "$w1"
stop_worker "$w1" || fail "worker exited with status $? after SIGTERM"

# Exact accounting, reason by reason (check_accounting reads "-bad-<reason>-" from the key).
ls "$C" | sed 's/$/\tx/' >"$TMP/keys.txt"
printf 'hostile-bad-empty-0\tx\nhostile-bad-empty-00\tx\n' >>"$TMP/keys.txt"
check_accounting "$TMP/keys.txt" "$out" "$dlq" 0
total=$(processed "$out" "$dlq")
[ "$total" -eq $n ] || fail "output + dead-letter = $total, expected exactly $n"

# The dead letter holds the original bytes (sizes), also for the 10 MB and the binary ones.
timeout 60 kcat -C -b "$BOOTSTRAP" -t "$dlq" -o beginning -e -q -f '%k %S\n' >"$TMP/dlq.sizes" ||
	fail "could not read $dlq"
for name in ten-mb binary-random raw-nul-in-string deep-100000; do
	key=${KEY[$name]}
	got=$(grep "^$key " "$TMP/dlq.sizes" | cut -d' ' -f2)
	[ "$got" = "$(wc -c <"$C/$key")" ] || fail "dead letter $name ($key) holds '$got' bytes, sent $(wc -c <"$C/$key")"
done
log "ok: $n hostile/valid messages -> $(topic_count "$out") records + $(topic_count "$dlq") dead letters; worker survived and exited 0"
