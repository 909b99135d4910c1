#!/usr/bin/env bash
# test.sh: the whole test suite from a fresh clone: install what is missing,
# build (warnings are errors), run every ctest test (unit + real Kafka).
#   tools/test.sh                 everything
#   tools/test.sh -L unit         only unit tests (any ctest arguments pass through)
# Environment: BUILD_DIR (default build), CMAKE_ARGS (extra configure flags), JOBS.
# Whatever happens (failure, Ctrl-C), no broker or worker is left running.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
BUILD_DIR=${BUILD_DIR:-build}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$root/$BUILD_DIR ;; esac
JOBS=${JOBS:-$(nproc)}

cleanup() {
	"$root/deploy/kafka/kafka.sh" stop --dir "$BUILD_DIR/kafka-test" >/dev/null 2>&1 || true
	# Workers and tools that tests started from this build, if a test was killed mid-way.
	pkill -KILL -f "^$BUILD_DIR/(stemtag|tests/kt)( |$)" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tools/bootstrap.sh
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -DSTEMTAG_WERROR=ON ${CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" "$@"
