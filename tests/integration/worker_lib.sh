# worker_lib.sh: helpers for the `stemtag run` tests, on top of lib.sh.
# Source it first thing:  . "$(dirname "$0")/worker_lib.sh"
#
#   gen_articles FILE N PREFIX [BAD_EVERY] [SENTENCES]   synthetic input (gen_articles.awk)
#   produce_file TOPIC FILE                              KEY<TAB>VALUE lines -> TOPIC
#   feed TOPIC FILE CHUNK [PAUSE]                        produce FILE in CHUNK-line pieces, in
#                                                        the background (a stream), PAUSE seconds
#                                                        apart (the stream's pace); pid in FEED_PID
#   worker_setup IN OUT DLQ GROUP                        writes $TMP/worker.conf
#   start_worker NAME [-X k=v]...                        `stemtag run` in the background; pid in SPAWNED
#   processed TOPICS...                                  messages in those topics (high watermarks)
#   stop_worker PID [SECONDS]                            SIGTERM, wait, return its exit status
#   check_accounting FILE OUT DLQ [MAX_DUPS]             exact accounting; fails on any missing id,
#                                                        wrong dead-letter reason, or more duplicates
#                                                        than MAX_DUPS (default 0); sets DUPS
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GEN_AWK=$(dirname "${BASH_SOURCE[0]}")/gen_articles.awk

gen_articles() {
	awk -v n="$2" -v prefix="$3" -v bad_every="${4:-50}" -v sentences="${5:-4}" -f "$GEN_AWK" >"$1"
}

produce_file() {
	kcat -P -b "$BOOTSTRAP" -t "$1" -K $'\t' -l "$2" || fail "kcat could not produce $2 to $1"
}

feed() {
	local topic=$1 file=$2 chunk=$3 pause=${4:-0}
	split -l "$chunk" -d -a 4 "$file" "$TMP/chunk."
	(
		for f in "$TMP"/chunk.*; do
			# -E: ride out a broker outage; idempotence: no duplicate inputs on retry
			kcat -P -E -X enable.idempotence=true -b "$BOOTSTRAP" -t "$topic" -K $'\t' -l "$f" || exit 1
			# pacing the stream (not synchronisation): faults must land mid-stream
			[ "$pause" = 0 ] || sleep "$pause"
		done
	) >"$TMP/feed.log" 2>&1 &
	FEED_PID=$!
	track_pid "$FEED_PID"
}

worker_setup() {
	cat >"$TMP/worker.conf" <<CONF
kafka.bootstrap.servers = $BOOTSTRAP
kafka.group.id = $4
# a SIGKILLed dynamic member is noticed after 6 s (the broker's minimum), not 10 s
kafka.session.timeout.ms = 6000
kafka.heartbeat.interval.ms = 1000
input.topics = $1
output.topics = $2
dlq.topic = $3
shutdown.timeout.ms = 30000
log.level = info
metrics.listen =
CONF
	WORKER_GROUP=$4
}

# The default model files, when the repository has them (langid, taxonomy).
_model_args() {
	local cfg=$STEMTAG_SOURCE_DIR/config
	if [ -f "$cfg/langid.model" ]; then echo "-X langid.model=$cfg/langid.model"; else echo "-X langid.model="; fi
	# the default taxonomy directory, as `stemtag classify` uses it from the repository
	if [ -f "$cfg/taxonomy/labels.json" ]; then echo "-X taxonomy.files=$cfg/taxonomy"; else echo "-X taxonomy.files="; fi
}

# STEMTAG_KAFKA_DIR (the fixture's directory) would read as config key kafka.dir.
start_worker() {
	local name=$1
	shift
	# shellcheck disable=SC2046
	spawn "$name" env -u STEMTAG_KAFKA_DIR "$STEMTAG" run -c "$TMP/worker.conf" $(_model_args) "$@"
}

# started NAME PID: the worker NAME (log $TMP/NAME.log) has joined its group; fails if it died.
started() {
	alive "$2"
	grep -q '"event":"assigned"\|"event":"started"' "$TMP/$1.log"
}

# alive PID...: fails the test at once if a worker died (instead of waiting out a deadline).
alive() {
	local p
	for p in "$@"; do
		kill -0 "$p" 2>/dev/null || { wait "$p"; fail "worker $p exited early (status $?)"; }
	done
}

# committed_is GROUP TOPIC N PID...: true when GROUP committed N on TOPIC; fails if a worker died.
committed_is() {
	local g=$1 t=$2 n=$3
	shift 3
	alive "$@"
	[ "$(group_committed "$g" "$t")" -eq "$n" ]
}
# processed_at_least N TOPICS... -- PID...: output+DLQ reached N; fails if a worker died.
processed_at_least() {
	local n=$1 topics=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do topics+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	alive "$@"
	[ "$(processed "${topics[@]}")" -ge "$n" ]
}

processed() {
	local sum=0 t
	for t in "$@"; do sum=$((sum + $(topic_count "$t"))); done
	echo "$sum"
}

stop_worker() {
	local pid=$1 limit=${2:-60} rc=0
	kill -TERM "$pid" 2>/dev/null || return 0
	local deadline=$((SECONDS + limit))
	while kill -0 "$pid" 2>/dev/null; do
		[ $SECONDS -lt $deadline ] || fail "worker $pid did not exit within ${limit}s of SIGTERM"
		sleep 0.1   # poll interval; the exit, not the sleep, ends the wait
	done
	wait "$pid" || rc=$?
	return $rc
}

# kcat reading a whole topic up to its end (read_committed: the LSO).
_read_topic() {
	timeout 120 kcat -C -b "$BOOTSTRAP" -t "$1" -o beginning -e -q -X isolation.level=read_committed \
		-f "$2" || fail "could not read topic $1"
}

check_accounting() {
	local file=$1 out=$2 dlq=$3 max_dups=${4:-0}
	local n valid bad n_out uniq_out n_dlq missing unexpected wrong bad_missing
	cut -f1 "$file" | grep -- '-ok-' | sort >"$TMP/exp.valid" || true
	cut -f1 "$file" | grep -- '-bad-' | sort >"$TMP/exp.bad" || true
	n=$(wc -l <"$file")
	valid=$(wc -l <"$TMP/exp.valid")
	bad=$(wc -l <"$TMP/exp.bad")
	_read_topic "$out" '%k\n' >"$TMP/got.out"
	_read_topic "$dlq" '%k %h\n' >"$TMP/got.dlq"
	n_out=$(wc -l <"$TMP/got.out")
	sort -u "$TMP/got.out" >"$TMP/got.out.u"
	uniq_out=$(wc -l <"$TMP/got.out.u")
	DUPS=$((n_out - uniq_out))
	missing=$(comm -23 "$TMP/exp.valid" "$TMP/got.out.u" | wc -l)
	unexpected=$(comm -13 "$TMP/exp.valid" "$TMP/got.out.u" | wc -l)
	# dead letters: "KEY stemtag-reason=R,..." -> "KEY R"; the key names the expected reason
	sed -n 's/^\([^ ]*\) .*stemtag-reason=\([a-z_0-9]*\).*/\1 \2/p' "$TMP/got.dlq" | sort -u >"$TMP/got.dlq.kr"
	n_dlq=$(wc -l <"$TMP/got.dlq")
	cut -d' ' -f1 "$TMP/got.dlq.kr" | sort -u >"$TMP/got.dlq.u"
	bad_missing=$(comm -23 "$TMP/exp.bad" "$TMP/got.dlq.u" | wc -l)
	wrong=$(awk '{ split($1, p, "-bad-"); if (p[2] == "") { print; next } r = p[2]; sub(/-[0-9]+$/, "", r); if (r != $2) print }' "$TMP/got.dlq.kr" | wc -l)
	log "accounting: input $n = valid $valid + malformed $bad | output records $n_out (unique $uniq_out, duplicates $DUPS) | dead-lettered $n_dlq (unique $(wc -l <"$TMP/got.dlq.u")) | missing valid $missing | missing malformed $bad_missing | unexpected in output $unexpected | wrong reason $wrong"
	if [ "$wrong" -gt 0 ]; then
		awk '{ split($1, p, "-bad-"); r = p[2]; sub(/-[0-9]+$/, "", r); if (r != $2) print "  wrong reason: " $0 }' "$TMP/got.dlq.kr" | head -5
	fi
	[ "$missing" -eq 0 ] || fail "$missing valid ids missing from $out (e.g. $(comm -23 "$TMP/exp.valid" "$TMP/got.out.u" | head -3 | tr '\n' ' '))"
	[ "$bad_missing" -eq 0 ] || fail "$bad_missing malformed ids missing from $dlq (e.g. $(comm -23 "$TMP/exp.bad" "$TMP/got.dlq.u" | head -3 | tr '\n' ' '))"
	[ "$unexpected" -eq 0 ] || fail "$unexpected ids in $out that are not valid inputs"
	[ "$wrong" -eq 0 ] || fail "$wrong dead letters carry the wrong reason"
	[ "$DUPS" -le "$max_dups" ] || fail "$DUPS duplicate records in $out (allowed: $max_dups)"
	validate_records "$out"
	validate_dead_letters "$dlq"
}
