#!/usr/bin/env bash
# quickstart.sh: the main job on one machine, end to end:
#   install what is missing -> build -> start a local Kafka (KRaft) -> create the
#   topics -> start one worker -> produce the sample articles in tests/data/ ->
#   print the enriched records (and any dead letters) -> stop everything.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
BUILD_DIR=$root/build
KDIR=${TMPDIR:-/tmp}/stemtag-quickstart-$(id -u)
STEMTAG=$BUILD_DIR/stemtag
worker_pid=""

cleanup() {
	if [ -n "$worker_pid" ] && kill -0 "$worker_pid" 2>/dev/null; then
		kill -TERM "$worker_pid" 2>/dev/null || true
		wait "$worker_pid" 2>/dev/null || true
	fi
	deploy/kafka/kafka.sh stop --dir "$KDIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() { printf '\n==> %s\n' "$*" >&2; }

step "dependencies"
tools/bootstrap.sh
step "build"
cmake -S . -B "$BUILD_DIR" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)" >/dev/null
step "local Kafka broker"
boot=$(deploy/kafka/kafka.sh start --dir "$KDIR" --fresh --watch-pid $$)
kt=$BUILD_DIR/tests/kt
for t in articles.raw:3 articles.enriched:3 articles.deadletter:1; do
	"$kt" create -b "$boot" "${t%:*}" "${t#*:}"
	"$kt" wait -b "$boot" "${t%:*}" >/dev/null
done

samples=(tests/data/samples.jsonl)
texts=(tests/data/articles/*.txt)
[ -e "${texts[0]}" ] || texts=()
pages=(tests/data/html/en-news.html tests/data/html/de-news-latin1.html)
n_json=$(grep -c . "${samples[@]}")
expected=$((n_json + ${#texts[@]} + ${#pages[@]}))

if "$STEMTAG" run --help >/dev/null 2>&1; then
	step "worker (stemtag run) on $boot"
	"$STEMTAG" run -c config/stemtag.conf -X kafka.bootstrap.servers="$boot" \
		-X kafka.group.id=stemtag-quickstart -X metrics.listen= 2>"$KDIR/worker.log" &
	worker_pid=$!
	step "producing $expected sample articles ($n_json JSON lines, one with an HTML body; ${#texts[@]} plain text; ${#pages[@]} HTML pages)"
	kcat -P -b "$boot" -t articles.raw -l "${samples[@]}"
	[ ${#texts[@]} -eq 0 ] || kcat -P -b "$boot" -t articles.raw "${texts[@]}"
	kcat -P -b "$boot" -t articles.raw "${pages[@]}"
	step "enriched records (articles.enriched)"
	deadline=$((SECONDS + 120))
	until [ $(($("$kt" offsets -b "$boot" articles.enriched) + $("$kt" offsets -b "$boot" articles.deadletter))) -ge $expected ]; do
		kill -0 "$worker_pid" 2>/dev/null || { cat "$KDIR/worker.log" >&2; exit 1; }
		[ $SECONDS -lt $deadline ] || { echo "timed out waiting for records" >&2; exit 1; }
		sleep 0.2
	done
	kcat -C -b "$boot" -t articles.enriched -o beginning -e -q
	dead=$("$kt" offsets -b "$boot" articles.deadletter)
	if [ "$dead" -gt 0 ]; then
		step "dead letters"
		kcat -C -b "$boot" -t articles.deadletter -o beginning -e -q -f 'reason=%h\n%s\n'
	fi
	step "stopping the worker (SIGTERM: drain, commit, leave the group)"
	kill -TERM "$worker_pid"
	wait "$worker_pid" && echo "worker exited cleanly" >&2
	worker_pid=""
else
	# The Kafka worker is not in this build yet: run the same pure path offline.
	step "stemtag run is not available in this build; classifying the samples offline"
	"$STEMTAG" classify "${samples[@]}"
	for t in "${texts[@]}"; do "$STEMTAG" classify --format text "$t"; done
	"$STEMTAG" classify --format html "${pages[@]}"
fi
