#!/usr/bin/env bash
# A message larger than the dead-letter topic accepts must not block its
# partition: its dead letter keeps the first dlq.max.bytes bytes and says so in
# header stemtag-truncated (the original size); the worker carries on, and the
# articles after it are tagged. Topics use the broker's default limit (~1 MB),
# except the input topic, which must take the 1.5 MB message at all.
. "$(dirname "$0")/worker_lib.sh"

BIG=1500000
in=$(fresh_name in); out=$(fresh_name out); dlq=$(fresh_name dlq); group=$(fresh_name g)
"$KT" create -b "$BOOTSTRAP" "$in" 1 -c max.message.bytes=4194304 || fail "cannot create $in"
"$KT" wait -b "$BOOTSTRAP" "$in" >/dev/null || fail "topic $in has no leaders"
create_topic "$out" 1
create_topic "$dlq" 1

# 1.5 MB of valid JSON: over input.max.bytes (1 MiB) -> too_large.
{
	printf '{"id":"big","title":"Budget","body":"'
	head -c $BIG /dev/zero | tr '\0' 'a'
	printf '"}'
} >"$TMP/big.json"
size=$(wc -c <"$TMP/big.json")
kcat -P -b "$BOOTSTRAP" -t "$in" -k trunc-bad-too_large-1 -X message.max.bytes=4194304 "$TMP/big.json" ||
	fail "cannot produce the big message"
printf 'trunc-ok-%d\t{"id":"after-%d","title":"Parliament votes","body":"The parliament approved the budget after a debate."}\n' 1 1 2 2 >"$TMP/after.txt"
produce_file "$in" "$TMP/after.txt"
printf 'trunc-bad-too_large-1\nx\ntrunc-ok-1\nx\ntrunc-ok-2\nx\n' | paste - - >"$TMP/keys.txt"

worker_setup "$in" "$out" "$dlq" "$group"
start_worker w1
w1=$SPAWNED
wait_until 120 "3 inputs committed by $group" committed_is "$group" "$in" 3 "$w1"
alive "$w1"
check_accounting "$TMP/keys.txt" "$out" "$dlq" 0

timeout 60 kcat -C -b "$BOOTSTRAP" -t "$dlq" -o beginning -e -q -f '%S %h\n' >"$TMP/dlq.txt" ||
	fail "cannot read $dlq"
read -r got headers <"$TMP/dlq.txt"
[ "$got" -eq 900000 ] || fail "dead letter holds $got bytes, expected the default dlq.max.bytes 900000"
case $headers in
*"stemtag-truncated=$size"*) ;;
*) fail "no stemtag-truncated=$size header: $headers" ;;
esac
stop_worker "$w1" || fail "worker did not exit 0 on SIGTERM"
log "input $size bytes -> dead letter $got bytes with stemtag-truncated=$size; 2 later articles tagged; worker exited 0"
