#!/usr/bin/env bash
# The broker fixture works end to end: create a 3-partition topic, produce N
# messages with kcat, consume them back, and compare the exact count and bytes.
. "$(dirname "$0")/lib.sh"

N=2000
topic=$(fresh_name raw)
create_topic "$topic" 3

# Distinct, non-trivial payloads (UTF-8, spaces, punctuation), one per line.
for i in $(seq 1 $N); do
	printf '{"id":"a-%05d","title":"Größe %d — naïve café","body":"x%.0s"}\n' "$i" "$i" 
done >"$TMP/sent.txt"

kcat -P -b "$BOOTSTRAP" -t "$topic" -l "$TMP/sent.txt" || fail "kcat produce failed"
count=$(topic_count "$topic")
[ "$count" -eq $N ] || fail "high watermarks sum to $count, expected $N"

consume_all "$topic" $N "$TMP/got.txt"
# Order across partitions is not defined: compare as sorted multisets, byte for byte.
sort "$TMP/sent.txt" >"$TMP/sent.sorted"
sort "$TMP/got.txt" >"$TMP/got.sorted"
cmp -s "$TMP/sent.sorted" "$TMP/got.sorted" || fail "consumed bytes differ from produced bytes"
log "sent $N, high watermark $count, consumed $(wc -l <"$TMP/got.txt"), bytes $(wc -c <"$TMP/got.txt") identical"
