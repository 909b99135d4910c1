#!/usr/bin/env bash
# Authenticated Kafka: a second broker of our own with a SASL_PLAINTEXT
# (SCRAM-SHA-256) listener (the shared fixture broker has none).
#  1. credentials from the environment (STEMTAG_KAFKA_SASL_USERNAME/PASSWORD ->
#     kafka.sasl.*): the worker tags every article; accounting exact.
#  2. a wrong password: the worker exits non-zero with a message naming the cause
#     (authentication), and does not hang.
#  3. neither password appears anywhere in the worker's stdout/stderr, nor in
#     `check-config --dump`.
# Until the worker (and its test helpers) exist, skip rather than fail.
[ -f "$(dirname "$0")/worker_lib.sh" ] || { echo "SKIP: tests/integration/worker_lib.sh not there yet"; exit 77; }
. "$(dirname "$0")/worker_lib.sh"

N=200
SASL_DIR=$TMP/kafka-sasl
at_exit "$KAFKA_SH" stop --dir "$SASL_DIR"
"$KAFKA_SH" start --dir "$SASL_DIR" --fresh --sasl --watch-pid $$ >"$TMP/broker-start.log" 2>&1 ||
	{ cat "$TMP/broker-start.log" >&2; fail "could not start the SASL broker"; }
[ -s "$SASL_DIR/bootstrap.sasl" ] && [ -s "$SASL_DIR/sasl.password" ] ||
	fail "kafka.sh --sasl wrote no bootstrap.sasl / sasl.password"
SASL_BOOTSTRAP=$(cat "$SASL_DIR/bootstrap.sasl")
PASSWORD=$(cat "$SASL_DIR/sasl.password")
# Topic admin, counts and reads go through this broker's PLAINTEXT listener
# (all lib.sh helpers use $BOOTSTRAP); only the worker authenticates.
BOOTSTRAP=$(cat "$SASL_DIR/bootstrap")

# The listener really requires credentials: kcat without them gets no metadata.
if timeout 20 kcat -L -b "$SASL_BOOTSTRAP" -X security.protocol=SASL_PLAINTEXT \
	-X sasl.mechanisms=SCRAM-SHA-256 -X sasl.username=stemtag -X sasl.password=not-it -m 5 \
	>/dev/null 2>&1; then
	fail "the SASL listener accepted a wrong password"
fi

in=$(fresh_name in); out=$(fresh_name out); dlq=$(fresh_name dlq)
create_topic "$in" 2
create_topic "$out" 2
create_topic "$dlq" 1
gen_articles "$TMP/input.txt" $N sasl 20
produce_file "$in" "$TMP/input.txt"
[ "$(topic_count "$in")" -eq $N ] || fail "input topic holds $(topic_count "$in"), expected $N"

# worker.conf names the broker and the mechanism; the credentials come from env only.
sasl_conf() {
	worker_setup "$in" "$out" "$dlq" "$1"
	sed -i "s|^kafka.bootstrap.servers = .*|kafka.bootstrap.servers = $SASL_BOOTSTRAP|" "$TMP/worker.conf"
	cat >>"$TMP/worker.conf" <<CONF
kafka.security.protocol = SASL_PLAINTEXT
kafka.sasl.mechanisms = SCRAM-SHA-256
CONF
	grep -q sasl.password "$TMP/worker.conf" && fail "test bug: password in worker.conf"
	return 0
}

# 1. Right credentials.
group=$(fresh_name g)
sasl_conf "$group"
export STEMTAG_KAFKA_SASL_USERNAME=stemtag
export STEMTAG_KAFKA_SASL_PASSWORD=$PASSWORD
start_worker good
good=$SPAWNED
wait_until 120 "all $N inputs committed by $group over SASL" committed_is "$group" "$in" $N "$good"
stop_worker "$good" || fail "worker (good credentials) exited with status $? after SIGTERM"
check_accounting "$TMP/input.txt" "$out" "$dlq" 0
[ "$(processed "$out" "$dlq")" -eq $N ] || fail "output + dead-letter = $(processed "$out" "$dlq"), expected $N"

# The effective config shows that a password is set, never its value.
# shellcheck disable=SC2046
"$STEMTAG" check-config -c "$TMP/worker.conf" $(_model_args) --dump >"$TMP/dump.log" 2>&1 ||
	{ cat "$TMP/dump.log" >&2; fail "check-config rejected the SASL config"; }
grep -q '^kafka.sasl.password' "$TMP/dump.log" || fail "check-config --dump does not list kafka.sasl.password"

# 2. Wrong password: a clear fatal error, soon, and a non-zero exit.
WRONG=wrong-$RANDOM$RANDOM-pw
export STEMTAG_KAFKA_SASL_PASSWORD=$WRONG
sasl_conf "$(fresh_name g)"
start_worker bad
bad=$SPAWNED
deadline=$((SECONDS + 90))
while kill -0 "$bad" 2>/dev/null; do
	[ $SECONDS -lt $deadline ] || fail "worker with a wrong password still running after 90 s"
	sleep 0.2   # poll interval; the exit, not the sleep, ends the wait
done
rc=0
wait "$bad" || rc=$?
[ $rc -ne 0 ] || fail "worker with a wrong password exited 0"
# The last line is the fatal one, and it names the cause.
last=$(tail -n 1 "$TMP/bad.log")
echo "$last" | grep -qi 'authenticat' || fail "last log line does not name authentication: $last"
log "wrong password: exit $rc, last line: $last"

# 3. No password anywhere in what the worker printed.
for f in "$TMP"/good.log "$TMP"/bad.log "$TMP"/dump.log; do
	if grep -qF -e "$PASSWORD" -e "$WRONG" "$f"; then
		fail "a password appears in $(basename "$f")"
	fi
done
log "ok: $N articles over SASL/SCRAM-SHA-256 with credentials from env; wrong password -> exit $rc; no password in logs"
