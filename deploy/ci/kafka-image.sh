#!/usr/bin/env bash
# deploy/ci/kafka-image.sh: builds the Kafka stand-in image
# (deploy/kafka/image/Dockerfile, a test double of apache/kafka's contract)
# and tags it apache/kafka:3.9.1, the name docker-compose.yml uses. The jars
# are the ones the tests fetch (deploy/kafka/kafka.sh fetch, Maven Central).
# Does nothing if an image of that name exists already (e.g. the real one).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ci_podman_env

if podman image exists "$CI_KAFKA_IMAGE"; then
	ci_say "$CI_KAFKA_IMAGE present, not built"
	exit 0
fi
"$CI_ROOT/deploy/kafka/kafka.sh" fetch
version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$CI_ROOT/deploy/kafka/pom.xml")
[ "$CI_KAFKA_IMAGE" = "docker.io/apache/kafka:$version" ] ||
	ci_die "deploy/kafka/pom.xml has Kafka $version, docker-compose.yml uses $CI_KAFKA_IMAGE"
ctx=$CI_STATE/kafka-image
rm -rf "$ctx"
cp -r "$CI_ROOT/deploy/kafka/image" "$ctx"
# Hard links where the cache is on the same filesystem: 56 MB, no copy.
cp -rl "$CI_CACHE/kafka-$version/libs" "$ctx/libs" 2>/dev/null || cp -r "$CI_CACHE/kafka-$version/libs" "$ctx/libs"
rm -f "$ctx/libs/.complete"
podman build --format docker --pull=never -t "$CI_KAFKA_IMAGE" "$ctx" >"$CI_STATE/kafka-image.log" 2>&1 ||
	{ tail -n 30 "$CI_STATE/kafka-image.log" >&2; ci_die "Kafka stand-in build failed (log $CI_STATE/kafka-image.log)"; }
rm -rf "$ctx"
podman image inspect --format '{{.Size}}' "$CI_KAFKA_IMAGE" |
	awk -v n="$CI_KAFKA_IMAGE" '{ printf "deploy-ci: %s (stand-in) %.0f MB\n", n, $1 / 1e6 }'
