#!/usr/bin/env bash
# run.sh: build the libFuzzer targets (fuzz/fuzz_*.c) with clang + ASan + UBSan
# in their own build dir and run each one for a bounded time.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]    default 60 s each, all targets
#
# TARGET is a name like "pipeline" (= fuzz/fuzz_pipeline.c). Seeds come from
# tests/fuzz/corpus/<target>/ (read-only); inputs the fuzzer finds go to
# $BUILD_DIR/fuzz-corpus/<target>/ and are reused by the next run; a crashing
# input is saved to $BUILD_DIR/fuzz-artifacts/<target>/ (reproduce with
# `$BUILD_DIR/fuzz/fuzz_<target> FILE`).
# Fails (exit 1) on any crash, leak, timeout, out-of-memory or sanitizer report.
# Environment: BUILD_DIR (default build-fuzz), JOBS (build parallelism, default 2),
# FUZZ_ARGS (extra libFuzzer flags, e.g. "-max_len=65536").
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
SECONDS_EACH=${1:-60}
[ $# -gt 0 ] && shift
case $SECONDS_EACH in '' | *[!0-9]*) echo "run.sh: SECONDS must be a number" >&2; exit 2 ;; esac
BUILD_DIR=${BUILD_DIR:-build-fuzz}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$root/$BUILD_DIR ;; esac
JOBS=${JOBS:-2}

command -v clang >/dev/null || { echo "run.sh: clang not found (tools/bootstrap.sh)" >&2; exit 1; }
CC=clang cmake -S . -B "$BUILD_DIR" -DSTEMTAG_FUZZ=ON -DSTEMTAG_WERROR=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

if [ $# -gt 0 ]; then
	targets=("$@")
else
	targets=()
	for src in fuzz/fuzz_*.c; do
		n=$(basename "$src" .c)
		targets+=("${n#fuzz_}")
	done
fi
cmake --build "$BUILD_DIR" -j "$JOBS" --target "${targets[@]/#/fuzz_}"

# Sanitizers stop at the first report, so any finding ends the run non-zero.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=0
summary=()
for t in "${targets[@]}"; do
	bin=$BUILD_DIR/fuzz/fuzz_$t
	[ -x "$bin" ] || { echo "run.sh: no target $t ($bin)" >&2; failed=1; continue; }
	seeds=$root/tests/fuzz/corpus/$t
	work=$BUILD_DIR/fuzz-corpus/$t
	art=$BUILD_DIR/fuzz-artifacts/$t
	log=$BUILD_DIR/fuzz-$t.log
	mkdir -p "$work" "$art"
	dict=()
	case $t in
	pipeline | taxonomy) dict=(-dict="$root/tests/fuzz/json.dict") ;;
	config) dict=(-dict="$root/tests/fuzz/config.dict") ;;
	esac
	echo "== fuzz_$t: ${SECONDS_EACH}s (log $log)"
	rc=0
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$SECONDS_EACH" -timeout=25 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$art/" "${dict[@]}" ${FUZZ_ARGS:-} \
		"$work" "$seeds" >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[0-9a-zA-Z]*' "$log" | tail -n 1 || true)
	if [ $rc -ne 0 ] || grep -Eq 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:|==ERROR: libFuzzer' "$log"; then
		echo "FAIL fuzz_$t (exit $rc) after ${execs:-?} execs; report:" >&2
		grep -E -A 30 'ERROR: |runtime error:|deadly signal|Test unit written' "$log" | head -n 60 >&2 || tail -n 40 "$log" >&2
		failed=1
		summary+=("fuzz_$t FAIL execs=${execs:-?}")
	else
		summary+=("fuzz_$t ok execs=${execs:-?} seconds=${secs:-?} ${cov}")
	fi
done

echo "== fuzz summary (${SECONDS_EACH}s each)"
printf '  %s\n' "${summary[@]}"
exit $failed
