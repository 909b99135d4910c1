#!/usr/bin/env bash
# deploy/ci/e2e.sh: the container images and docker-compose.yml for real, as a
# user would run them, with podman (Debian's) and compose v1 (Debian's
# docker-compose) on podman's Docker-compatible socket. No image registry is
# needed: the base image comes from debootstrap (base-image.sh), Kafka from a
# stand-in built from Maven jars (kafka-image.sh). Steps, each timed:
#   install     podman, runc, debootstrap, docker-compose, promtool (install.sh)
#   images      base image, Kafka stand-in, deploy/Dockerfile -> stemtag:local
#               (size printed; non-root; ldd inside the image: nothing missing)
#   image cli   `stemtag --version`; `classify` without -c tags the samples as
#               the checkout's build does with config/stemtag.conf
#   compose up  docker-compose.yml unmodified; waits (bounded) until the
#               printing consumer has shown every sample enriched, then sends
#               bad records and waits for exactly those on the dead-letter topic
#   probes      /readyz and /metrics of every worker replica, from a container
#               on the compose network; the counters add up; every metric named
#               in deploy/monitoring/ is exported
#   down        `docker-compose stop` (SIGTERM), every worker exited 0, `down`
# Cleans up only what it started (the compose project, podman's API service,
# the images that were not there before); the cached base tarball stays.
# Usage: deploy/ci/e2e.sh   (root or sudo; ~3-8 min cold, see docs/operations.md)
# Environment: STEMTAG_CI_TIMEOUT (s, default 300) bounds each wait;
# STEMTAG_CI_KEEP_IMAGES=1 keeps the built images.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"
cd "$CI_ROOT"
T0=$SECONDS
TIMEOUT=${STEMTAG_CI_TIMEOUT:-300}
PROJECT=stemtagci$$
SOCK=$CI_STATE/podman.sock
service_pid='' pump_pid='' compose_up=0
images_before=$CI_STATE/images.before

ci_step "install tools" "$here/install.sh"
ci_podman_env
export DOCKER_HOST=unix://$SOCK COMPOSE_PROJECT_NAME=$PROJECT DOCKER_BUILDKIT=0

ci_images_note "$images_before"

compose() { docker-compose -f "$CI_ROOT/docker-compose.yml" "$@"; }

cleanup() {
	local rc=$?
	set +e
	if [ "$compose_up" = 1 ]; then
		if [ "$rc" != 0 ]; then
			{ compose ps; compose logs --no-color --tail=40; } >"$CI_STATE/compose-failure.log" 2>&1
			tail -n 120 "$CI_STATE/compose-failure.log" >&2
		fi
		compose down -t 5 >/dev/null 2>&1
	fi
	[ -z "$pump_pid" ] || kill "$pump_pid" 2>/dev/null
	[ -z "$service_pid" ] || kill "$service_pid" 2>/dev/null
	[ -z "$service_pid" ] || wait "$service_pid" 2>/dev/null
	ci_images_remove_new "$images_before"
	rm -f "$SOCK"
	[ "$rc" = 0 ] || ci_say "failed (exit $rc); logs in $CI_STATE"
	echo "== deploy-ci: total $((SECONDS - T0)) s"
}
trap cleanup EXIT

# --- images ------------------------------------------------------------------
build_images() {
	"$here/base-image.sh" >/dev/null
	"$here/kafka-image.sh"
	local rev
	rev=$(git -C "$CI_ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
	# --format docker: the OCI format has no HEALTHCHECK, podman would drop it.
	podman build --format docker --pull=never -f deploy/Dockerfile --build-arg STEMTAG_GIT_REV="$rev" \
		-t "$CI_STEMTAG_IMAGE" . >"$CI_STATE/stemtag-image.log" 2>&1 ||
		{ tail -n 40 "$CI_STATE/stemtag-image.log" >&2; ci_die "deploy/Dockerfile build failed (log $CI_STATE/stemtag-image.log)"; }
	podman image inspect --format '{{.Size}}' "$CI_STEMTAG_IMAGE" |
		awk '{ printf "deploy-ci: stemtag image size %.1f MB\n", $1 / 1e6 }'
}
ci_step "images (base, Kafka stand-in, deploy/Dockerfile)" build_images

# --no-healthcheck: podman 4.3 would try systemd timers for it (absent here).
in_image() { podman run --rm -i --no-healthcheck "$@"; }

check_image() {
	local user healthcheck missing
	in_image "$CI_STEMTAG_IMAGE" --version | tee "$CI_STATE/version.txt"
	grep -q '^stemtag ' "$CI_STATE/version.txt" || ci_die "stemtag --version printed no version line"
	user=$(podman image inspect --format '{{.Config.User}}' "$CI_STEMTAG_IMAGE")
	[ -n "$user" ] && [ "${user%%:*}" != 0 ] && [ "${user%%:*}" != root ] ||
		ci_die "the image runs as root (User '$user')"
	healthcheck=$(podman image inspect --format '{{.Config.Healthcheck}}' "$CI_STEMTAG_IMAGE")
	case $healthcheck in *stemtag-healthcheck*) ;; *) ci_die "the image lost its HEALTHCHECK ($healthcheck)" ;; esac
	# The runtime stage has every library the binary links (tests/deploy checks
	# the Dockerfile's package list against the host build; this is the image).
	in_image --entrypoint ldd "$CI_STEMTAG_IMAGE" /usr/local/bin/stemtag >"$CI_STATE/ldd.txt"
	missing=$(grep -c 'not found' "$CI_STATE/ldd.txt" || true)
	[ "$missing" = 0 ] || { cat "$CI_STATE/ldd.txt" >&2; ci_die "ldd in the image: $missing libraries not found"; }
	echo "deploy-ci: user $user, $(wc -l <"$CI_STATE/ldd.txt") libraries, none missing"

	# classify without -c: the image's default config (STEMTAG_CONFIG), and with
	# STEMTAG_CONFIG unset the install location /etc/stemtag/stemtag.conf; both
	# must tag like the checkout's build with config/stemtag.conf.
	local host=build/stemtag
	[ -x "$host" ] || ci_die "$host missing: build the checkout first (tools/test.sh)"
	# processed_at is the wall clock: the one field that may differ.
	local stamp='s/"processed_at":"[^"]*"/"processed_at":"-"/'
	"$host" classify -c config/stemtag.conf tests/data/samples.jsonl | sed "$stamp" >"$CI_STATE/classify.host"
	in_image "$CI_STEMTAG_IMAGE" classify <tests/data/samples.jsonl | sed "$stamp" >"$CI_STATE/classify.image"
	in_image -e STEMTAG_CONFIG= "$CI_STEMTAG_IMAGE" classify <tests/data/samples.jsonl |
		sed "$stamp" >"$CI_STATE/classify.image-etc"
	local tagged
	tagged=$(grep -c '"section":{' "$CI_STATE/classify.image" || true)
	[ "$tagged" -gt 0 ] || ci_die "classify in the image tagged no section"
	diff -u "$CI_STATE/classify.host" "$CI_STATE/classify.image" >&2 ||
		ci_die "classify in the image (STEMTAG_CONFIG) differs from the checkout's"
	diff -u "$CI_STATE/classify.host" "$CI_STATE/classify.image-etc" >&2 ||
		ci_die "classify in the image (/etc/stemtag) differs from the checkout's"
	echo "deploy-ci: classify in the image: $(wc -l <"$CI_STATE/classify.image") records, $tagged with a section, identical to the checkout's"
}
ci_step "image: --version, non-root, ldd, classify" check_image

# --- compose -----------------------------------------------------------------
start_engine() {
	rm -f "$SOCK"
	# --time 0: no idle exit while this run lasts; stopped by pid in cleanup.
	podman system service --time 0 "unix://$SOCK" >"$CI_STATE/podman-service.log" 2>&1 &
	service_pid=$!
	local deadline=$((SECONDS + 60))
	until docker-compose version >/dev/null 2>&1 && [ -S "$SOCK" ] &&
		podman --url "unix://$SOCK" version >/dev/null 2>&1; do
		[ $SECONDS -lt $deadline ] || ci_die "podman system service did not answer on $SOCK"
		kill -0 "$service_pid" 2>/dev/null || ci_die "podman system service exited (log $CI_STATE/podman-service.log)"
		sleep 0.2
	done
	# Podman 4.3 runs HEALTHCHECKs only from systemd timers, which this machine
	# lacks: run them here, so that depends_on: service_healthy can release.
	(
		while :; do
			for id in $(podman ps -q --filter "label=com.docker.compose.project=$PROJECT"); do
				podman healthcheck run "$id" >/dev/null 2>&1 || true
			done
			sleep 3
		done
	) &
	pump_pid=$!
}
ci_step "podman API service + healthcheck runner" start_engine

# wait_for DESCRIPTION COMMAND...: until COMMAND succeeds, at most $TIMEOUT s.
wait_for() {
	local what=$1 deadline=$((SECONDS + TIMEOUT))
	shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || { ci_say "timed out after $TIMEOUT s: $what"; return 1; }
		sleep 2
	done
}

sample_ids=()
mapfile -t sample_ids < <(sed -n 's/^{ *"id": *"\([^"]*\)".*/\1/p' tests/data/samples.jsonl)
[ ${#sample_ids[@]} -eq "$(grep -c . tests/data/samples.jsonl)" ] || ci_die "could not read every sample id"

consumer_shows_all() {
	compose logs --no-color consumer >"$CI_STATE/consumer.log" 2>&1 || return 1
	local id
	for id in "${sample_ids[@]}"; do
		grep -q "\"id\":\"$id\"" "$CI_STATE/consumer.log" || return 1
	done
	# enriched: every printed record has the tags the worker adds
	[ "$(grep -c '"topics":' "$CI_STATE/consumer.log")" -ge ${#sample_ids[@]} ]
}

compose_run() {
	compose_up=1
	compose up -d --no-build >"$CI_STATE/compose-up.log" 2>&1 ||
		{ cat "$CI_STATE/compose-up.log" >&2; ci_die "docker-compose up failed"; }
	compose ps
	local n
	n=$(compose ps -q worker | grep -c .)
	[ "$n" = 3 ] || ci_die "$n worker replicas running, docker-compose.yml asks for 3"
	wait_for "consumer printing all ${#sample_ids[@]} samples enriched" consumer_shows_all
	echo "deploy-ci: the consumer printed all ${#sample_ids[@]} samples, enriched"
}
ci_step "compose up; every sample enriched" compose_run

# Bad input the worker must dead-letter, not drop or crash on: broken JSON,
# and JSON with neither title nor body (reasons json_syntax and no_text).
BAD=('{"id":"ci-bad-syntax"' '{"id":"ci-bad-no-text","title":""}')
kafka_sh() { compose exec -T kafka bash -c "$1"; }
dlq_has_bad() {
	kafka_sh '/opt/kafka/bin/kafka-console-consumer.sh --bootstrap-server kafka:9092 \
		--topic articles.deadletter --from-beginning --timeout-ms 10000 \
		--property print.headers=true 2>/dev/null' >"$CI_STATE/deadletter.txt" || true
	[ "$(grep -c . "$CI_STATE/deadletter.txt")" -ge ${#BAD[@]} ]
}
dead_letter() {
	printf '%s\n' "${BAD[@]}" | compose exec -T kafka /opt/kafka/bin/kafka-console-producer.sh \
		--bootstrap-server kafka:9092 --topic articles.raw
	wait_for "${#BAD[@]} records on articles.deadletter" dlq_has_bad
	local n
	n=$(grep -c . "$CI_STATE/deadletter.txt")
	[ "$n" = ${#BAD[@]} ] || { cat "$CI_STATE/deadletter.txt" >&2; ci_die "articles.deadletter has $n records, expected ${#BAD[@]}"; }
	echo "deploy-ci: articles.deadletter holds exactly the ${#BAD[@]} bad records"
}
ci_step "bad records dead-lettered" dead_letter

# GET PATH from container NAME's port 9464, from the kafka container (on the
# compose network; bash's /dev/tcp, as the image's HEALTHCHECK does).
http_get() {
	kafka_sh "exec 3<>/dev/tcp/$1/9464 && printf 'GET $2 HTTP/1.0\r\nHost: $1\r\n\r\n' >&3 && cat <&3"
}
probes() {
	local name out total_in=0 total_dlq=0 v
	for name in $(compose ps -q worker | xargs -r podman inspect --format '{{.Name}}'); do
		out=$(http_get "$name" /readyz)
		case $out in "HTTP/1."?" 200 "*) ;; *) ci_die "$name /readyz: ${out%%$'\r'*}" ;; esac
		http_get "$name" /metrics | tr -d '\r' >"$CI_STATE/metrics.$name"
		grep -q '^stemtag_build_info' "$CI_STATE/metrics.$name" || ci_die "$name /metrics has no stemtag_build_info"
		v=$(awk '$1 ~ /^stemtag_messages_consumed_total/ { s += $2 } END { print s + 0 }' "$CI_STATE/metrics.$name")
		total_in=$((total_in + v))
		v=$(awk '$1 ~ /^stemtag_messages_dead_lettered_total/ { s += $2 } END { print s + 0 }' "$CI_STATE/metrics.$name")
		total_dlq=$((total_dlq + v))
		echo "deploy-ci: $name /readyz 200, /metrics $(grep -c '^stemtag_' "$CI_STATE/metrics.$name") samples"
	done
	local want=$((${#sample_ids[@]} + ${#BAD[@]}))
	[ "$total_in" = "$want" ] || ci_die "replicas consumed $total_in messages in all, expected $want"
	[ "$total_dlq" = ${#BAD[@]} ] || ci_die "replicas dead-lettered $total_dlq, expected ${#BAD[@]}"
	echo "deploy-ci: consumed $total_in, dead-lettered $total_dlq across the replicas"
	if [ -f "$here/../monitoring/check_metrics.py" ]; then
		cat "$CI_STATE"/metrics.* >"$CI_STATE/metrics.all"
		python3 "$here/../monitoring/check_metrics.py" "$CI_STATE/metrics.all"
	fi
}
ci_step "/readyz and /metrics from the compose network" probes

compose_stop() {
	local ids id code
	ids=$(compose ps -q worker)
	compose stop >"$CI_STATE/compose-stop.log" 2>&1 || { cat "$CI_STATE/compose-stop.log" >&2; ci_die "docker-compose stop failed"; }
	for id in $ids; do
		code=$(podman inspect --format '{{.State.ExitCode}}' "$id")
		[ "$code" = 0 ] || { podman logs --tail 20 "$id" >&2; ci_die "worker $id exited $code after SIGTERM"; }
	done
	echo "deploy-ci: $(echo "$ids" | grep -c .) workers exited 0 on SIGTERM"
	compose down >"$CI_STATE/compose-down.log" 2>&1 || { cat "$CI_STATE/compose-down.log" >&2; ci_die "docker-compose down failed"; }
	compose_up=0
}
ci_step "compose stop (SIGTERM), clean exit, down" compose_stop
