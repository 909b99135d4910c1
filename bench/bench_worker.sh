#!/usr/bin/env bash
# bench_worker.sh: end-to-end throughput of one `stemtag run` worker against a
# kcat consume->produce passthrough and against `stemtag classify` (the pure
# path, one thread) on the same messages, in one run; the same two with one
# core each (taskset: broker on CPU 0, worker then classify on CPU 1, R
# alternated rounds and their median ratio, 3 by default; --no-pin skips it);
# then 1 worker vs 2 workers in one group (producing only after every worker
# owns partitions); added latency at half the worker's maximum rate; peak RSS
# of every process.
# Prints figures; never passes or fails on them.
#
#   bench/bench_worker.sh [--build DIR] [-n ARTICLES] [-p PARTITIONS] [--pipelines N]
#                         [--scale-partitions P] [--no-scale] [--no-latency] [--no-pin]
#                         [--pin-rounds R]
#                         [-X kafka.KEY=VALUE]...
#
# Starts its own broker (deploy/kafka/kafka.sh, in a temporary directory) and
# stops it at exit. Articles come from tests/integration/gen_articles.awk
# (five languages, ten source sections, ~2 KB each: realistic news length).
# Throughput is measured from the output topic's own timestamps (first to last
# record, CreateTime set by the producing client), the same way for all runs.
# -X settings go to every worker (e.g. -X kafka.consumer.fetch.queue.backoff.ms=1000
# to compare with librdkafka's own default).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(dirname "$here")
build=$src/build
N=100000
PARTS=3
PIPELINES=1
SENTENCES=16
SCALE_PARTS=4
do_scale=1
do_latency=1
do_pin=1
PIN_ROUNDS=3
WX=()
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift ;;
	-n) N=$2; shift ;;
	-p) PARTS=$2; shift ;;
	--pipelines) PIPELINES=$2; shift ;;
	--scale-partitions) SCALE_PARTS=$2; shift ;;
	--no-scale) do_scale=0 ;;
	--no-latency) do_latency=0 ;;
	--no-pin) do_pin=0 ;;
	--pin-rounds) PIN_ROUNDS=$2; shift ;;
	-X) WX+=(-X "$2"); shift ;;
	*) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 2 ;;
	esac
	shift
done
STEMTAG=$build/stemtag
KT=$build/tests/kt
[ -x "$STEMTAG" ] && [ -x "$KT" ] || { echo "bench_worker: build first (cmake --build $build)" >&2; exit 2; }
command -v perl >/dev/null || { echo "bench_worker: perl needed for the paced producer" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/stemtag-bench.XXXXXX")
KDIR=$TMP/kafka
pids=()
cleanup() {
	# pipelines run in their own process group (setsid): kill the whole group
	for p in "${pids[@]+"${pids[@]}"}"; do kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	"$src/deploy/kafka/kafka.sh" stop --dir "$KDIR" >/dev/null 2>&1 || true
	rm -rf "$TMP"
}
trap cleanup EXIT
say() { printf '%s\n' "$*"; }

B=$("$src/deploy/kafka/kafka.sh" start --dir "$KDIR" --fresh --watch-pid $$ 2>/dev/null | tail -1)
say "broker $B, $N articles, $PARTS partitions, pipelines=$PIPELINES, $(nproc) CPUs (shared): $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
say "$("$STEMTAG" --version | awk '/librdkafka/ { $1 = $1; print }')${WX[*]:+; worker settings ${WX[*]}}"
for t in in out dlq pass lat.in lat.out lat.pass; do "$KT" create -b "$B" "$t" "$PARTS" >/dev/null; done

awk -v n="$N" -v prefix=bench -v bad_every=0 -v sentences=$SENTENCES -f "$src/tests/integration/gen_articles.awk" >"$TMP/input.txt"
bytes=$(cut -f2- "$TMP/input.txt" | wc -c)
say "input: $N articles, $bytes bytes (avg $((bytes / N)) B)"
kcat -P -b "$B" -t in -K $'\t' -l "$TMP/input.txt"
[ "$("$KT" offsets -b "$B" in)" -eq "$N" ] || { echo "input topic incomplete" >&2; exit 1; }

wait_count() { # TOPIC N SECONDS
	local deadline=$((SECONDS + $3))
	until [ "$("$KT" offsets -b "$B" "$1")" -ge "$2" ]; do
		[ $SECONDS -lt $deadline ] || { echo "timeout waiting for $2 messages in $1" >&2; exit 1; }
		sleep 0.2
	done
}
# first/last CreateTime (ms) of TOPIC -> "rate_msg_s rate_MB_s seconds"
rate_of() {
	kcat -C -b "$B" -t "$1" -o beginning -e -q -f '%T\n' | sort -n |
		awk -v n="$2" -v bytes="$3" 'NR == 1 { a = $1 } { z = $1 } END { s = (z - a) / 1000; if (s <= 0) s = 0.001; printf "%.0f %.1f %.2f\n", n / s, bytes / s / 1e6, s }'
}

conf=$TMP/worker.conf
cat >"$conf" <<CONF
kafka.bootstrap.servers = $B
input.topics = in
output.topics = out
dlq.topic = dlq
pipelines = $PIPELINES
metrics.listen =
log.level = warn
langid.model = $src/config/langid.model
taxonomy.files = $src/config/taxonomy
CONF

# CPU seconds (user+sys) of a live process
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f\n", ($14 + $15) / hz }' "/proc/$1/stat"; }
per_msg_us() { awk -v c="$1" -v n="$2" 'BEGIN { printf "%.0f", c * 1e6 / n }'; }

# 1. passthrough baseline: kcat consume -> kcat produce, same partitions
setsid bash -c '/usr/bin/time -f "%U %S %M" -o "$2/cpu.c" kcat -C -b "$1" -t in -o beginning -e -q -f "%k\t%s\n" |
	/usr/bin/time -f "%U %S %M" -o "$2/cpu.p" kcat -P -b "$1" -t pass -K "	"' pass "$B" "$TMP" &
ppid=$!
pids+=($ppid)
wait_count pass "$N" 600
wait $ppid || true
read -r p_rate p_mb p_s < <(rate_of pass "$N" "$bytes")
p_cpu=$(cat "$TMP/cpu.c" "$TMP/cpu.p" | awk '{ s += $1 + $2 } END { printf "%.2f", s }')
p_rss=$(cat "$TMP/cpu.c" "$TMP/cpu.p" | awk '{ printf "%s%d", (NR > 1 ? " + " : ""), $3 / 1024 }')
say "passthrough (kcat | kcat): $p_rate msg/s, $p_mb MB/s ($p_s s); CPU $p_cpu s = $(per_msg_us "$p_cpu" "$N") us/msg; peak RSS $p_rss MB"

# 2. the worker on the same input
env -u STEMTAG_KAFKA_DIR "$STEMTAG" run -c "$conf" "${WX[@]+"${WX[@]}"}" -X kafka.group.id=bench-tp 2>"$TMP/worker.log" &
wpid=$!
pids+=($wpid)
wait_count out "$N" 600
w_cpu=$(cpu_of $wpid)
read -r w_rate w_mb w_s < <(rate_of out "$N" "$bytes")
rss=$(awk '/VmHWM/ { print $2 }' /proc/$wpid/status)
kill -TERM $wpid; wait $wpid || true
[ "$("$KT" offsets -b "$B" dlq)" -eq 0 ] || say "note: $("$KT" offsets -b "$B" dlq) dead letters"
say "worker: $w_rate msg/s, $w_mb MB/s ($w_s s); ratio to passthrough $(awk -v a="$w_rate" -v b="$p_rate" 'BEGIN { printf "%.2f", a / b }'); CPU $w_cpu s = $(per_msg_us "$w_cpu" "$N") us/msg; peak RSS $((rss / 1024)) MB"

# the pure path alone on the same messages: `stemtag classify`, one thread, the
# same model and taxonomy; wall-clock msg/s (one core, like the worker) and CPU.
# The worker's rate runs from its first output to its last, so it leaves out
# its start-up (model and taxonomy load, group join); classify's rate leaves
# out its own: the best of three runs on no input.

# timed_classify TIMES INPUT [PREFIX...]: `stemtag classify` over INPUT (the
# records to $TMP/classify.out) under /usr/bin/time, "wall user sys maxrss-KB"
# in TIMES; PREFIX runs it (taskset).
timed_classify() {
	local times=$1 input=$2
	shift 2
	/usr/bin/time -f "%e %U %S %M" -o "$times" "$@" "$STEMTAG" classify --format jsonl \
		--langid-model "$src/config/langid.model" --taxonomy "$src/config/taxonomy" <"$input" >"$TMP/classify.out"
}
classify_startup() { # [PREFIX...] -> seconds
	local i
	for i in 1 2 3; do
		timed_classify "$TMP/cpu.empty" /dev/null "$@"
		cut -d' ' -f1 "$TMP/cpu.empty"
	done | sort -n | head -1
}
rate_less() { # N WALL STARTUP -> msg/s over WALL - STARTUP
	awk -v n="$1" -v s="$2" -v z="$3" 'BEGIN { s -= z; if (s <= 0) s = 0.001; printf "%.0f", n / s }'
}
cut -f2- "$TMP/input.txt" >"$TMP/input.values"
c_start=$(classify_startup)
timed_classify "$TMP/cpu.cl" "$TMP/input.values"
read -r c_wall c_cpu c_rss < <(awk '{ printf "%.2f %.2f %d\n", $1, $2 + $3, $4 / 1024 }' "$TMP/cpu.cl")
c_rate=$(rate_less "$N" "$c_wall" "$c_start")
[ "$(wc -l <"$TMP/classify.out")" -eq "$N" ] || say "note: classify wrote $(wc -l <"$TMP/classify.out") records for $N articles"
say "pure path (stemtag classify): $c_rate msg/s ($c_wall s, of which start-up $c_start s); CPU $c_cpu s = $(per_msg_us "$c_cpu" "$N") us/msg; peak RSS $c_rss MB"
# per CPU-second: what each would do on a core of its own (the wall-clock rates
# above also count waiting for a shared core)
w_cpurate=$(awk -v n="$N" -v c="$w_cpu" 'BEGIN { printf "%.0f", n / (c > 0 ? c : 0.001) }')
c_cpurate=$(awk -v n="$N" -v c="$c_cpu" 'BEGIN { printf "%.0f", n / (c > 0 ? c : 0.001) }')
say "Kafka overhead of the worker: $(per_msg_us "$(awk -v a="$w_cpu" -v b="$c_cpu" 'BEGIN { print a - b }')" "$N") us/msg; CPU-bound ceiling of one worker on one idle core: $(awk -v c="$w_cpu" -v n="$N" 'BEGIN { printf "%.0f", n / c }') msg/s"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# busy share: CPU seconds per wall second. On a shared machine neither gets a
# whole core; a worker that waits for fetches is busy less than classify is.
busy() { awk -v c="$1" -v s="$2" 'BEGIN { printf "%.0f%%", 100 * c / (s > 0 ? s : 0.001) }'; }
say "busy (CPU s per wall s): worker $(busy "$w_cpu" "$w_s"), classify $(busy "$c_cpu" "$c_wall"); load average $(cut -d' ' -f1 /proc/loadavg)"
say "SUMMARY worker $w_rate msg/s = $(ratio "$w_rate" "$c_rate")x stemtag classify ($c_rate msg/s), $(ratio "$w_rate" "$p_rate")x kcat passthrough ($p_rate msg/s); per CPU-second worker $w_cpurate vs classify $c_cpurate msg/s = $(ratio "$w_cpurate" "$c_cpurate")x; peak RSS worker $((rss / 1024)) MB, classify $c_rss MB, kcat $p_rss MB"

# One core each, literally: the broker's threads on CPU 0; the worker (all its
# threads: pipeline, librdkafka's, delivery reports) on CPU 1, then `stemtag
# classify` on CPU 1. Wall-clock msg/s of each over the same messages; each
# round the worker reads the input topic again with a fresh group into a fresh
# topic. Rounds alternate worker and classify, so that a neighbour's load on
# this shared machine hits both alike; the median of the per-round ratios is
# the figure (one run of either swings by 10-15 % here).
if [ $do_pin = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
	bpid=$(cat "$KDIR/broker.pid")
	for t in /proc/"$bpid"/task/*; do taskset -p -c 0 "${t##*/}" >/dev/null; done
	pc_start=$(classify_startup taskset -c 1)
	pin_ratios=() pin_rates=() pc_rates=() pin_rss_max=0
	for ((r = 1; r <= PIN_ROUNDS; r++)); do
		"$KT" create -b "$B" "pin$r.out" "$PARTS" >/dev/null
		taskset -c 1 env -u STEMTAG_KAFKA_DIR "$STEMTAG" run -c "$conf" "${WX[@]+"${WX[@]}"}" -X kafka.group.id="bench-pin$r" \
			-X output.topics="pin$r.out" 2>"$TMP/worker-pin$r.log" &
		wpid=$!
		pids+=($wpid)
		wait_count "pin$r.out" "$N" 600
		pin_cpu=$(cpu_of $wpid)
		pin_rss=$(awk '/VmHWM/ { print int($2 / 1024) }' /proc/$wpid/status)
		kill -TERM $wpid; wait $wpid || true
		read -r pin_rate _ pin_s < <(rate_of "pin$r.out" "$N" "$bytes")
		timed_classify "$TMP/cpu.pin" "$TMP/input.values" taskset -c 1
		read -r pc_wall pc_cpu < <(awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$TMP/cpu.pin")
		pc_rate=$(rate_less "$N" "$pc_wall" "$pc_start")
		pin_ratios+=("$(ratio "$pin_rate" "$pc_rate")") pin_rates+=("$pin_rate") pc_rates+=("$pc_rate")
		[ "$pin_rss" -le "$pin_rss_max" ] || pin_rss_max=$pin_rss
		say "one core each, round $r/$PIN_ROUNDS (broker on CPU 0; worker, then classify, on CPU 1): worker $pin_rate msg/s ($pin_s s, CPU $pin_cpu s, peak RSS $pin_rss MB), classify $pc_rate msg/s ($pc_wall s, of which start-up $pc_start s; CPU $pc_cpu s); worker/classify ${pin_ratios[-1]}x"
	done
	for t in /proc/"$bpid"/task/*; do taskset -p -c "0-$(($(nproc) - 1))" "${t##*/}" >/dev/null 2>&1 || true; done
	median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
	say "PINNED worker/classify with one core each: median $(median "${pin_ratios[@]}")x over $PIN_ROUNDS alternated rounds (range $(printf '%s\n' "${pin_ratios[@]}" | sort -g | sed -n '1p;$p' | paste -sd-)); worker median $(median "${pin_rates[@]}") msg/s, classify $(median "${pc_rates[@]}") msg/s; worker peak RSS up to $pin_rss_max MB"
fi

# 1 worker vs 2 workers in one group, on fresh topics of SCALE_PARTS partitions.
# The workers start on an empty topic and the articles are produced only once
# every worker owns partitions (the log's assigned/revoked/lost counts), so the
# second worker does not find the work already done; both runs the same way.
owned() { # LOG -> partitions the worker owns now
	awk 'match($0, /"event":"(assigned|revoked|lost)","msg":"[0-9]+/) {
		s = substr($0, RSTART, RLENGTH); n = s; sub(/.*"msg":"/, "", n)
		if (s ~ /assigned/) o += n; else o -= n } END { print o + 0 }' "$1"
}
scale_run() { # K -> sets sr_rate sr_s sr_rss (MB, one per worker, comma-separated)
	local k=$1 i o p deadline total ok rs=() wp=()
	"$KT" create -b "$B" "s$k.in" "$SCALE_PARTS" >/dev/null
	"$KT" create -b "$B" "s$k.out" "$SCALE_PARTS" >/dev/null
	for ((i = 1; i <= k; i++)); do
		env -u STEMTAG_KAFKA_DIR "$STEMTAG" run -c "$conf" "${WX[@]+"${WX[@]}"}" -X kafka.group.id="bench-s$k" \
			-X input.topics="s$k.in" -X output.topics="s$k.out" -X log.level=info 2>"$TMP/scale$k.$i.log" &
		wp+=($!)
		pids+=($!)
	done
	deadline=$((SECONDS + 120))
	while :; do
		total=0 ok=1
		for ((i = 1; i <= k; i++)); do
			o=$(owned "$TMP/scale$k.$i.log")
			[ "$o" -gt 0 ] || ok=0
			total=$((total + o))
		done
		[ $ok = 1 ] && [ $total -eq "$SCALE_PARTS" ] && break
		[ $SECONDS -lt $deadline ] || { echo "scale run $k: workers never shared the partitions" >&2; exit 1; }
		sleep 0.2
	done
	kcat -P -b "$B" -t "s$k.in" -K $'\t' -l "$TMP/input.txt"
	wait_count "s$k.out" "$N" 600
	for p in "${wp[@]}"; do rs+=("$(($(awk '/VmHWM/ { print $2 }' /proc/"$p"/status) / 1024))"); done
	for p in "${wp[@]}"; do kill -TERM "$p"; done
	for p in "${wp[@]}"; do wait "$p" || true; done
	read -r sr_rate _ sr_s < <(rate_of "s$k.out" "$N" "$bytes")
	sr_rss=$(IFS=,; echo "${rs[*]}")
}
if [ $do_scale = 1 ]; then
	scale_run 1
	s1_rate=$sr_rate s1_s=$sr_s s1_rss=$sr_rss
	scale_run 2
	s2_rate=$sr_rate s2_s=$sr_s s2_rss=$sr_rss
	say "group of 1 vs 2 workers ($SCALE_PARTS partitions, produced once all own partitions): 1 worker $s1_rate msg/s ($s1_s s, peak RSS $s1_rss MB); 2 workers $s2_rate msg/s ($s2_s s, peak RSS ${s2_rss/,/ + } MB); speed-up $(ratio "$s2_rate" "$s1_rate")x"
fi

# 3. latency at half the worker's maximum rate: a paced producer (perl, steady
# 10 ms ticks) feeds lat.in; latency = output CreateTime - input CreateTime
[ $do_latency = 1 ] || exit 0
rate=$((w_rate / 2))
LN=$((rate * 15)); [ $LN -gt "$N" ] && LN=$N
say "latency run: $LN articles at $rate msg/s (~15 s)"
pace() {
	perl -MTime::HiRes=time,sleep -e '
		my ($rate) = @ARGV; $| = 1; my $t0 = time; my $i = 0;
		while (my $l = <STDIN>) { print $l; $i++;
			my $due = $t0 + $i / $rate; my $d = $due - time; sleep($d) if $d > 0; }' "$1"
}
measure_latency() { # IN OUT -> "p50 p99" ms
	kcat -C -b "$B" -t "$1" -o beginning -e -q -f '%k %T\n' | sort >"$TMP/lat.a"
	kcat -C -b "$B" -t "$2" -o beginning -e -q -f '%k %T\n' | sort >"$TMP/lat.b"
	join "$TMP/lat.a" "$TMP/lat.b" | awk '{ print $3 - $2 }' | sort -n |
		awk '{ v[NR] = $1 } END { printf "%d %d\n", v[int(NR * 0.5) + 1], v[int(NR * 0.99) + 1] }'
}
env -u STEMTAG_KAFKA_DIR "$STEMTAG" run -c "$conf" "${WX[@]+"${WX[@]}"}" -X kafka.group.id=bench-lat -X input.topics=lat.in \
	-X output.topics=lat.out -X log.level=info 2>"$TMP/worker-lat.log" &
wpid=$!
pids+=($wpid)
# lat.in is empty: both start at its beginning, so nothing is missed
setsid bash -c 'kcat -C -b "$1" -t lat.in -o beginning -q -u -f "%k\t%s\n" | kcat -P -b "$1" -t lat.pass -K "	" -X linger.ms=5' pass "$B" &
pids+=($!)
deadline=$((SECONDS + 60))
until grep -q '"event":"assigned","msg":"[1-9]' "$TMP/worker-lat.log"; do
	[ $SECONDS -lt $deadline ] || { echo "latency worker never got partitions" >&2; exit 1; }
	sleep 0.2
done
head -n "$LN" "$TMP/input.txt" | pace "$rate" | kcat -P -b "$B" -t lat.in -K $'\t' -X linger.ms=5
wait_count lat.out "$LN" 300
# kcat -P may hold back its last stdin line: 99 % is enough for percentiles
wait_count lat.pass $((LN - LN / 100)) 300
read -r w50 w99 < <(measure_latency lat.in lat.out)
read -r k50 k99 < <(measure_latency lat.in lat.pass)
rss2=$(awk '/VmHWM/ { print $2 }' /proc/$wpid/status)
kill -TERM $wpid; wait $wpid || true
say "latency at $rate msg/s (input CreateTime -> output CreateTime): worker p50 ${w50} ms p99 ${w99} ms; passthrough p50 ${k50} ms p99 ${k99} ms; added p50 $((w50 - k50)) ms p99 $((w99 - k99)) ms"
say "peak RSS: throughput run $((rss / 1024)) MB, latency run $((rss2 / 1024)) MB"
