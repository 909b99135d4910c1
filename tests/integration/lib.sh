# lib.sh: shared helpers for the real-Kafka tests (tests/integration/test_*.sh).
# Source it first thing:  . "$(dirname "$0")/lib.sh"
#
# Provides: BOOTSTRAP (the ctest fixture's broker), KT, STEMTAG, TMP (a fresh
# directory removed at exit), fresh_name, create_topic, wait_until, spawn/reap of
# background processes (all killed at exit, also on failure or interrupt), at_exit
# for other cleanup, ok/fail/skip reporting, and validate_records /
# validate_dead_letters (schema/*.json, with Debian's python3-jsonschema).
#
# Processes: a test ends only what it started, by the pids it recorded
# (track_pid), never by name. Under tools/test.sh (STEMTAG_TEST_PIDS_DIR set)
# each pid is also written there with its start time, so that a test killed
# before its own cleanup ran is still cleaned up by pid, never by pattern.
set -euo pipefail

: "${STEMTAG_KAFKA_DIR:?run under ctest (the kafka fixture sets it)}"
: "${STEMTAG_BIN:?}"
: "${STEMTAG_KT:?}"
STEMTAG=$STEMTAG_BIN
KT=$STEMTAG_KT
KAFKA_SH=$STEMTAG_SOURCE_DIR/deploy/kafka/kafka.sh
TEST_NAME=$(basename "$0" .sh)

[ -f "$STEMTAG_KAFKA_DIR/bootstrap" ] || { echo "FAIL $TEST_NAME: no broker (fixture kafka.start failed?)"; exit 1; }
BOOTSTRAP=$(cat "$STEMTAG_KAFKA_DIR/bootstrap")

TMP=$(mktemp -d "${TMPDIR:-/tmp}/stemtag-$TEST_NAME.XXXXXX")
_pids=()
_at_exit=()
_pidfile=
if [ -n "${STEMTAG_TEST_PIDS_DIR:-}" ] && [ -d "$STEMTAG_TEST_PIDS_DIR" ]; then
	_pidfile=$STEMTAG_TEST_PIDS_DIR/$TEST_NAME.$$
fi

# pid_start_time PID: field 22 of /proc/PID/stat (after "comm", which may hold
# spaces): with the pid it names one process, even after the pid is reused.
pid_start_time() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

# track_pid PID: killed at exit if still alive (and recorded for tools/test.sh).
track_pid() {
	_pids+=("$1")
	[ -z "$_pidfile" ] || echo "$1 $(pid_start_time "$1")" >>"$_pidfile"
}

# at_exit COMMAND...: run COMMAND at exit, after the spawned processes are killed
# and before $TMP is removed (e.g. stop a second broker the test started).
at_exit() { _at_exit+=("$(printf '%q ' "$@")"); }

_cleanup() {
	local rc=$?
	for pid in "${_pids[@]+"${_pids[@]}"}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	[ -z "$_pidfile" ] || rm -f "$_pidfile"
	for cmd in "${_at_exit[@]+"${_at_exit[@]}"}"; do
		eval "$cmd" || true
	done
	if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
		echo "--- $TEST_NAME failed (rc $rc); logs in $TMP:" >&2
		for f in "$TMP"/*.log; do
			[ -f "$f" ] && { echo "== $f" >&2; tail -n 20 "$f" >&2; }
		done
	else
		rm -rf "$TMP"
	fi
	exit $rc
}
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

log() { printf '[%s] %s\n' "$TEST_NAME" "$*"; }
fail() { printf 'FAIL %s: %s\n' "$TEST_NAME" "$*" >&2; exit 1; }
skip() { printf 'SKIP %s: %s\n' "$TEST_NAME" "$*"; exit 77; }

# A topic/group name nobody used before: test name + time + random.
fresh_name() { printf '%s-%s-%s-%s' "${1:-t}" "$TEST_NAME" "$(date +%s%N)" "$RANDOM"; }

# create_topic NAME PARTITIONS: create and wait until every partition has a leader.
create_topic() {
	"$KT" create -b "$BOOTSTRAP" "$1" "$2" || fail "cannot create topic $1"
	"$KT" wait -b "$BOOTSTRAP" "$1" >/dev/null || fail "topic $1 has no leaders"
}

# wait_until SECONDS DESCRIPTION COMMAND...: poll COMMAND until it succeeds or the deadline.
wait_until() {
	local limit=$1 what=$2
	shift 2
	local deadline=$((SECONDS + limit))
	until "$@"; do
		[ $SECONDS -lt $deadline ] || fail "timed out after ${limit}s waiting for: $what"
		sleep 0.2   # poll interval; the condition, not the sleep, ends the wait
	done
}

# Sum of high watermarks of TOPIC (= messages ever written to it).
topic_count() { "$KT" offsets -b "$BOOTSTRAP" "$1"; }
# Sum of GROUP's committed offsets on TOPIC.
group_committed() { "$KT" committed -b "$BOOTSTRAP" -g "$1" "$2"; }

# spawn NAME COMMAND...: run in the background, stdout+stderr to $TMP/NAME.log;
# the pid is in $SPAWNED and killed at exit if still alive.
spawn() {
	local name=$1
	shift
	"$@" >"$TMP/$name.log" 2>&1 &
	SPAWNED=$!
	track_pid "$SPAWNED"
}

# consume_all TOPIC N FILE [kcat args...]: read exactly N messages from the
# beginning of TOPIC into FILE (one value per line), failing after 120 s.
consume_all() {
	local topic=$1 n=$2 out=$3
	shift 3
	timeout 120 kcat -C -b "$BOOTSTRAP" -t "$topic" -o beginning -c "$n" -q -f '%s\n' "$@" >"$out" ||
		fail "could not read $n messages from $topic (got $(wc -l <"$out"))"
}

# Schema checks (schema/*.json) with Debian's python3-jsonschema (tools/bootstrap.sh
# installs it); /usr/bin/python3 so that a python of another origin on PATH does not
# decide which validator runs.
PYTHON3=/usr/bin/python3
[ -x "$PYTHON3" ] || PYTHON3=python3
VALIDATE=$STEMTAG_SOURCE_DIR/tests/integration/validate_schema.py
SCHEMA_DIR=$STEMTAG_SOURCE_DIR/schema

_validate() {
	local mode=$1 schema=$2 in=$3
	"$PYTHON3" "$VALIDATE" "$mode" "$SCHEMA_DIR/$schema" <"$in" >"$TMP/validate.out" 2>&1 ||
		{ cat "$TMP/validate.out" >&2; fail "$mode of $in do not match schema/$schema"; }
	log "schema: $(cat "$TMP/validate.out")"
}
# validate_records TOPIC...: every record (read_committed) matches stemtag.article.v1.
validate_records() {
	local t
	for t in "$@"; do
		timeout 120 kcat -C -b "$BOOTSTRAP" -t "$t" -o beginning -e -q -X isolation.level=read_committed \
			-f '%s\n' >"$TMP/validate.records" || fail "could not read topic $t"
		_validate records stemtag.article.v1.json "$TMP/validate.records"
	done
}
# validate_dead_letters TOPIC...: every dead letter's headers match stemtag.deadletter.v1.
validate_dead_letters() {
	local t
	for t in "$@"; do
		timeout 120 kcat -C -b "$BOOTSTRAP" -t "$t" -o beginning -e -q -X isolation.level=read_committed \
			-J >"$TMP/validate.dlq" || fail "could not read topic $t"
		_validate deadletters stemtag.deadletter.v1.json "$TMP/validate.dlq"
	done
}
