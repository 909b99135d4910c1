#!/usr/bin/env bash
# 10,000 articles, 2 % malformed of five kinds -> every valid id exactly once in
# the output, every malformed one in the dead-letter topic with its reason,
# headers kept and added, nothing missing; committed offsets = input count.
# Then two fixed output topics plus a repeat of the first: each gets every
# record once.
. "$(dirname "$0")/worker_lib.sh"

N=10000
in=$(fresh_name in); out=$(fresh_name out); dlq=$(fresh_name dlq); group=$(fresh_name g)
create_topic "$in" 3
create_topic "$out" 3
create_topic "$dlq" 1
gen_articles "$TMP/input.txt" $N acct 50
produce_file "$in" "$TMP/input.txt"
[ "$(topic_count "$in")" -eq $N ] || fail "input topic holds $(topic_count "$in"), expected $N"

worker_setup "$in" "$out" "$dlq" "$group"
start_worker w1
w1=$SPAWNED
wait_until 120 "all $N inputs committed by $group" committed_is "$group" "$in" $N "$w1"
stop_worker "$w1" || fail "worker exited with status $? after SIGTERM"

check_accounting "$TMP/input.txt" "$out" "$dlq" 0
[ "$(processed "$out" "$dlq")" -eq $N ] || fail "output + dead-letter = $(processed "$out" "$dlq"), expected exactly $N"

# Headers: the output keeps the key and carries content-type + stemtag-language;
# dead letters carry the source coordinates.
hdr=$(kcat -C -b "$BOOTSTRAP" -t "$out" -o beginning -c 1 -e -q -f '%h')
case $hdr in *content-type=application/json*stemtag-language=*) ;; *) fail "output headers: $hdr" ;; esac
dh=$(kcat -C -b "$BOOTSTRAP" -t "$dlq" -o beginning -c 1 -e -q -f '%h')
for h in stemtag-reason stemtag-message stemtag-source-topic=$in stemtag-source-partition \
	stemtag-source-offset stemtag-source-timestamp; do
	case $dh in *"$h"*) ;; *) fail "dead-letter headers lack $h: $dh" ;; esac
done
# The dead letter holds the original bytes: compare one malformed message byte for byte.
key=$(grep -m1 -- '-bad-json_syntax-' "$TMP/input.txt" | cut -f1)
want=$(grep -m1 -- "^$key	" "$TMP/input.txt" | cut -f2-)
got=$(kcat -C -b "$BOOTSTRAP" -t "$dlq" -o beginning -e -q -f '%k\t%s\n' | grep -- "^$key	" | cut -f2-)
[ "$got" = "$want" ] || fail "dead letter for $key is not the original bytes"
log "ok: $N in, committed $(group_committed "$group" "$in"), headers and original bytes checked"

# Two fixed routes and the first repeated: every record in each topic once (the
# repeat is dropped), dead letters as above.
out2=$(fresh_name out); out3=$(fresh_name out); dlq2=$(fresh_name dlq); group2=$(fresh_name g)
create_topic "$out2" 3
create_topic "$out3" 1
create_topic "$dlq2" 1
worker_setup "$in" "$out2, $out3, $out2" "$dlq2" "$group2"
start_worker w2
w2=$SPAWNED
wait_until 120 "all $N inputs committed by $group2" committed_is "$group2" "$in" $N "$w2"
stop_worker "$w2" || fail "worker w2 exited with status $? after SIGTERM"
want=$(topic_count "$out")
for t in "$out2" "$out3"; do
	[ "$(topic_count "$t")" -eq "$want" ] || fail "$t holds $(topic_count "$t") records, expected $want"
	dups=$(kcat -C -b "$BOOTSTRAP" -t "$t" -o beginning -e -q -f '%k\n' | sort | uniq -d | wc -l)
	[ "$dups" -eq 0 ] || fail "$t holds $dups keys more than once"
done
[ "$(topic_count "$dlq2")" -eq "$(topic_count "$dlq")" ] || fail "dead letters $(topic_count "$dlq2"), expected $(topic_count "$dlq")"
log "ok: two fixed routes and a repeat, $want records in each"
