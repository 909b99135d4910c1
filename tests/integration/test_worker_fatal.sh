#!/usr/bin/env bash
# Fatal start-up errors exit non-zero with one message naming the cause.
. "$(dirname "$0")/worker_lib.sh"

in=$(fresh_name in); out=$(fresh_name out); dlq=$(fresh_name dlq); group=$(fresh_name g)
create_topic "$in" 1; create_topic "$out" 1; create_topic "$dlq" 1
worker_setup "$in" "$out" "$dlq" "$group"

# expect_fatal NAME STATUS PATTERN [args...]
expect_fatal() {
	local name=$1 want=$2 pattern=$3 rc=0
	shift 3
	# shellcheck disable=SC2046
	timeout 60 env -u STEMTAG_KAFKA_DIR "$STEMTAG" run -c "$TMP/worker.conf" $(_model_args) "$@" \
		>"$TMP/$name.log" 2>&1 || rc=$?
	[ $rc -eq "$want" ] || fail "$name: exit status $rc, expected $want ($(tail -1 "$TMP/$name.log"))"
	grep -q '"level":"error"' "$TMP/$name.log" || fail "$name: no error line"
	grep -q -- "$pattern" "$TMP/$name.log" || fail "$name: message does not name the cause: $(tail -1 "$TMP/$name.log")"
	log "$name: exit $rc: $(grep '"level":"error"' "$TMP/$name.log" | tail -1 | sed 's/.*"msg":"\([^"]*\)".*/\1/')"
}
expect_fatal missing-input 1 "input.topics topic nope-$in does not exist" -X "input.topics=nope-$in"
expect_fatal missing-output 1 "output.topics topic nope-$out does not exist" -X "output.topics=nope-$out"
expect_fatal missing-dlq 1 "dlq.topic topic nope-$dlq does not exist" -X "dlq.topic=nope-$dlq"
expect_fatal bad-kafka-key 2 "kafka.no.such.property" -X kafka.no.such.property=1
expect_fatal bad-template 2 "unknown placeholder" -X "output.topics=$out.{sektion}"
expect_fatal no-broker 1 "brokers unreachable" -X kafka.bootstrap.servers=127.0.0.1:1 \
	-X kafka.socket.connection.setup.timeout.ms=1000
log "ok: fatal causes reported"
