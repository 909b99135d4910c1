#!/usr/bin/env bash
# test.sh: the whole test suite from a fresh clone: install what is missing,
# build (warnings are errors), run every ctest test (unit + real Kafka).
#   tools/test.sh                 everything
#   tools/test.sh -L unit         only unit tests (any ctest arguments pass through)
# Environment: BUILD_DIR (default build), CMAKE_ARGS (extra configure flags), JOBS.
# Whatever happens (failure, Ctrl-C), no broker or worker this run started is left
# running, and nothing it did not start is touched.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
BUILD_DIR=${BUILD_DIR:-build}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$root/$BUILD_DIR ;; esac
JOBS=${JOBS:-$(nproc)}

# Only what this run started is ever ended, by recorded pid, never by name: the
# tests write "PID START_TIME" of each background process they start into
# $STEMTAG_TEST_PIDS_DIR (tests/integration/lib.sh) and remove the file when
# they clean up themselves; a test killed before that leaves its file here.
# The start time guards against a pid reused by someone else's process.
STEMTAG_TEST_PIDS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/stemtag-test-pids.XXXXXX")
export STEMTAG_TEST_PIDS_DIR
broker_pidfile=$BUILD_DIR/kafka-test/broker.pid
broker_before=$(cat "$broker_pidfile" 2>/dev/null || true)

start_time() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

cleanup() {
	local f pid start
	for f in "$STEMTAG_TEST_PIDS_DIR"/*; do
		[ -f "$f" ] || continue
		while read -r pid start; do
			if [ -n "$start" ] && [ "$(start_time "$pid")" = "$start" ]; then
				kill -KILL "$pid" 2>/dev/null || true
			fi
		done <"$f"
	done
	rm -rf "$STEMTAG_TEST_PIDS_DIR"
	# The broker of this run's kafka.start fixture, if ctest did not stop it (it
	# also watches ctest and stops itself): only when this run wrote its pid file.
	local now
	now=$(cat "$broker_pidfile" 2>/dev/null || true)
	if [ -n "$now" ] && [ "$now" != "$broker_before" ]; then
		"$root/deploy/kafka/kafka.sh" stop --dir "$BUILD_DIR/kafka-test" >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tools/bootstrap.sh
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -DSTEMTAG_WERROR=ON ${CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" "$@"
