#!/usr/bin/env bash
# soak.sh: bounded soak of one worker under steady load. Prints the worker's RSS
# at start (after warm-up) and end, its peak, messages in/out/dead-lettered,
# errors, and whether RSS stayed flat. A benchmark: it prints, never gates.
#
#   bench/soak.sh [SECONDS] [RATE]    default 600 s at 200 messages/s
#
# Starts its own broker (deploy/kafka/kafka.sh, a temporary dir, free ports) and
# stops it at the end; needs a built tree (build/stemtag, or $STEMTAG_BIN).
# Input: synthetic articles (tests/integration/gen_articles.awk), 2 % malformed,
# produced by kcat in one-second batches. "Flat" means: RSS at the end is within
# max(10 %, 8 MiB) of RSS after the warm-up (the first 10 % of the run, >= 20 s),
# when caches (stem cache, librdkafka buffers) have filled.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${1:-600}
RATE=${2:-200}
STEMTAG=${STEMTAG_BIN:-$root/build/stemtag}
[ -x "$STEMTAG" ] || { echo "soak: $STEMTAG not built (cmake --build build)" >&2; exit 1; }
KAFKA_SH=$root/deploy/kafka/kafka.sh
TMP=$(mktemp -d "${TMPDIR:-/tmp}/stemtag-soak.XXXXXX")
KDIR=$TMP/kafka
worker=""
feeder=""

cleanup() {
	[ -z "$feeder" ] || kill "$feeder" 2>/dev/null || true
	[ -z "$worker" ] || kill -KILL "$worker" 2>/dev/null || true
	wait 2>/dev/null || true
	"$KAFKA_SH" stop --dir "$KDIR" >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
KT=${STEMTAG_KT:-$root/build/tests/kt}
hwm() { "$KT" offsets -b "$BOOT" "$1" 2>/dev/null || echo 0; }

BOOT=$("$KAFKA_SH" start --dir "$KDIR" --fresh --watch-pid $$ 2>/dev/null)
for t in in out dlq; do "$KT" create -b "$BOOT" "soak-$t" 3 >/dev/null; done
for t in in out dlq; do "$KT" wait -b "$BOOT" "soak-$t" >/dev/null; done

# One second of load = RATE messages; 2 % malformed, varied languages/sections.
awk -v n="$RATE" -v prefix=soak -v bad_every=50 -v sentences=6 \
	-f "$root/tests/integration/gen_articles.awk" >"$TMP/batch.txt"

cat >"$TMP/worker.conf" <<CONF
kafka.bootstrap.servers = $BOOT
kafka.group.id = soak
input.topics = soak-in
output.topics = soak-out
dlq.topic = soak-dlq
langid.model = $root/config/langid.model
taxonomy.files = $root/config/taxonomy
metrics.listen =
log.level = warn
CONF
# Model files that do not exist (yet) are left out rather than failing the run.
[ -f "$root/config/langid.model" ] || sed -i 's|^langid.model = .*|langid.model =|' "$TMP/worker.conf"
tax=""
for f in sections topics geo; do
	[ -f "$root/config/taxonomy/$f.json" ] && tax="$tax${tax:+,}$root/config/taxonomy/$f.json"
done
sed -i "s|^taxonomy.files = .*|taxonomy.files = $tax|" "$TMP/worker.conf"

"$STEMTAG" run -c "$TMP/worker.conf" >"$TMP/worker.log" 2>&1 &
worker=$!

# Steady load: one batch per second, for DURATION seconds.
(
	end=$((SECONDS + DURATION))
	while [ $SECONDS -lt $end ]; do
		t0=$(date +%s%N)
		kcat -P -b "$BOOT" -t soak-in -K $'\t' -l "$TMP/batch.txt" 2>/dev/null
		t1=$(date +%s%N)
		left=$(( (1000000000 - (t1 - t0)) / 1000000 ))
		[ $left -le 0 ] || sleep "$(printf '0.%03d' "$left")"
	done
) &
feeder=$!

warm=$((DURATION / 10)); [ $warm -ge 20 ] || warm=20
[ $warm -lt "$DURATION" ] || warm=$((DURATION / 2))
t_start=$SECONDS
rss_first=$(rss_kb "$worker")
rss_warm=""
rss_peak=$rss_first
samples=$TMP/rss.txt
while kill -0 "$feeder" 2>/dev/null; do
	kill -0 "$worker" 2>/dev/null || { echo "soak: worker died; last log lines:"; tail -n 20 "$TMP/worker.log"; exit 1; }
	r=$(rss_kb "$worker")
	echo "$((SECONDS - t_start)) $r" >>"$samples"
	[ "$r" -le "$rss_peak" ] || rss_peak=$r
	[ -n "$rss_warm" ] || [ $((SECONDS - t_start)) -lt $warm ] || rss_warm=$r
	sleep 5   # sampling interval
done
wait "$feeder" || true
feeder=""
# Drain: wait until the worker has handled everything produced (bounded).
n_in=$(hwm soak-in)
deadline=$((SECONDS + 120))
while [ $(( $(hwm soak-out) + $(hwm soak-dlq) )) -lt "$n_in" ] && [ $SECONDS -lt $deadline ]; do
	sleep 1   # poll interval while the worker catches up
done
rss_end=$(rss_kb "$worker")
n_out=$(hwm soak-out)
n_dlq=$(hwm soak-dlq)
kill -TERM "$worker"
rc=0
wait "$worker" || rc=$?
worker=""
errors=$(grep -c '"level":"error"' "$TMP/worker.log" || true)

growth=$((rss_end - ${rss_warm:-$rss_first}))
limit=$(( ${rss_warm:-$rss_first} / 10 )); [ $limit -ge 8192 ] || limit=8192
verdict="flat"
[ $growth -le $limit ] || verdict="GROWING"
elapsed=$((SECONDS - t_start))
echo "soak: ${DURATION}s at ${RATE} msg/s, $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1))"
echo "soak: messages in $n_in, out $n_out, dead-lettered $n_dlq, unaccounted $((n_in - n_out - n_dlq))"
echo "soak: worker exit status $rc after SIGTERM, error log lines $errors"
echo "soak: RSS first ${rss_first} KiB, after ${warm}s warm-up ${rss_warm:-?} KiB, end ${rss_end} KiB, peak ${rss_peak} KiB"
echo "soak: RSS growth after warm-up ${growth} KiB (flat if <= ${limit} KiB): ${verdict}"
echo "soak: RSS samples (s KiB): $(awk 'NR % 12 == 1 { printf "%s:%s ", $1, $2 }' "$samples")"
echo "soak: wall time ${elapsed}s"
