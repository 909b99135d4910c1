#!/usr/bin/env bash
# deploy/ci/debian13.sh: Debian 13 (trixie), the reference platform, checked
# on this machine without a registry. Steps, each timed:
#   base      debian:trixie-slim made by debootstrap --variant=minbase
#             (base-image.sh with STEMTAG_CI_SUITE=trixie; tarball cached in
#             $CACHE/base/trixie-minbase.tar, so later runs only import it)
#   clone     a fresh clone of this checkout's HEAD (commit first: uncommitted
#             changes are not checked), ../shared mounted read-only beside it
#   readme    in a podman container of that image (--network=host, root), the
#             README's two commands verbatim: tools/quickstart.sh (its
#             tools/bootstrap.sh must install librdkafka-dev >= 2.2 from the
#             distribution, nothing built into the cache; the worker must print
#             enriched records and exit cleanly), then tools/test.sh (unit +
#             real-Kafka suites, -Werror with trixie's GCC); the binary must run
#             the system's librdkafka
#   records   bench/check_records.sh inside trixie, diffed against the host's
#             (build/stemtag of this checkout, or $STEMTAG_RECORDS_BASE): a
#             difference is printed and reported, not hidden (another
#             libstemmer/utf8proc may tag differently); it fails the run only
#             with STEMTAG_CI_RECORDS_STRICT=1
#   image     (with --image) deploy/Dockerfile built for trixie
#             (--build-arg DEBIAN_SUITE=trixie RUNTIME_LIBS=...): size, build
#             time, non-root, --version (librdkafka from the package), ldd inside
#             (nothing missing), classify of tests/data/samples.jsonl in the
#             image vs the host's build/stemtag (a difference is printed)
# Kept between runs: apt's downloaded .debs ($CACHE/debian13/); the Kafka jars
# are the host's ($CACHE/kafka-VERSION, mounted read-only: see run_inside). A
# cached run downloads nothing but package lists.
# Cleans up only what it started: its container (by name), the images that were
# not there before (STEMTAG_CI_KEEP_IMAGES=1 keeps them), the clone.
# Usage: deploy/ci/debian13.sh [--image]   (root or sudo; podman, debootstrap: install.sh)
# Environment: STEMTAG_CI_TIMEOUT13 (s, default 2400) bounds the container run;
# STEMTAG_CI_KEEP_IMAGES=1 keeps the images; STEMTAG_RECORDS_BASE (above).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# Not exported: stemtag warns about every STEMTAG_* variable it does not know.
STEMTAG_CI_SUITE=trixie
# shellcheck source=lib.sh
. "$here/lib.sh"
unset STEMTAG_CI_SUITE
cd "$CI_ROOT"
T0=$SECONDS
TIMEOUT=${STEMTAG_CI_TIMEOUT13:-2400}
NAME=stemtag-debian13-$$
WORK=$CI_STATE/debian13
KEEP=$CI_CACHE/debian13
SHARED=$(cd "$CI_ROOT/.." && pwd)/shared
started=0 with_image=0
TRIXIE_IMAGE=localhost/stemtag:trixie-ci$$
for arg in "$@"; do
	case $arg in
	--image) with_image=1 ;;
	*) ci_die "unknown option $arg (usage: deploy/ci/debian13.sh [--image])" ;;
	esac
done

ci_step "install tools" "$here/install.sh"
ci_podman_env
[ -d "$SHARED" ] || ci_die "no ../shared beside the checkout ($SHARED)"
mkdir -p "$WORK"
ci_images_note "$WORK/images.before"

cleanup() {
	local rc=$?
	set +e
	[ "$started" = 0 ] || podman rm -f "$NAME" >/dev/null 2>&1
	ci_images_remove_new "$WORK/images.before"
	rm -rf "$WORK/stemtag"
	[ "$rc" = 0 ] || ci_say "debian13 failed (exit $rc); logs in $WORK"
	echo "== deploy-ci: debian13 total $((SECONDS - T0)) s"
}
trap cleanup EXIT

ci_step "base image $CI_BASE_IMAGE (debootstrap, cached)" env STEMTAG_CI_SUITE=trixie "$here/base-image.sh"

fresh_clone() {
	rm -rf "$WORK/stemtag"
	mkdir -p "$WORK" "$KEEP/apt-archives" "$KEEP/cache"
	local rev
	rev=$(git -C "$CI_ROOT" rev-parse HEAD)
	git clone -q --no-checkout "$CI_ROOT" "$WORK/stemtag"
	git -C "$WORK/stemtag" checkout -q "$rev"
	git -C "$CI_ROOT" diff --quiet HEAD || ci_say "note: uncommitted changes in $CI_ROOT are not part of this check"
	echo "deploy-ci: clone of $(git -C "$WORK/stemtag" rev-parse --short=12 HEAD) in $WORK/stemtag"
}
ci_step "fresh clone" fresh_clone

# What runs inside trixie. The checks after each README command say what
# "Debian 13 is the reference platform" means.
inside() {
	cat <<'SH'
set -euo pipefail
cd /ci/stemtag
. /etc/os-release
echo "debian13: $PRETTY_NAME"
echo "== debian13: tools/quickstart.sh (runs tools/bootstrap.sh first)"
t=$SECONDS
tools/quickstart.sh >/ci/out/quickstart.out 2>/ci/out/quickstart.err || { tail -n 30 /ci/out/quickstart.err; exit 1; }
n=$(grep -c '"schema":"stemtag.article.v1"' /ci/out/quickstart.out || true)
grep -q 'worker exited cleanly' /ci/out/quickstart.err && [ "$n" -gt 0 ] ||
	{ tail -n 30 /ci/out/quickstart.err; echo "debian13: FAIL: quickstart printed $n records / no clean worker exit"; exit 1; }
echo "== debian13: tools/quickstart.sh done in $((SECONDS - t)) s: $n enriched records, worker exited cleanly"
v=$(dpkg-query -W -f='${Version}' librdkafka-dev)
dpkg --compare-versions "$v" ge 2.2 || { echo "debian13: FAIL: librdkafka-dev $v < 2.2"; exit 1; }
[ ! -e /root/.cache/stemtag/librdkafka ] || { echo "debian13: FAIL: bootstrap built librdkafka instead of using the package"; exit 1; }
echo "debian13: librdkafka-dev $v from the distribution; nothing built"
echo "== debian13: tools/test.sh"
t=$SECONDS
tools/test.sh
echo "== debian13: tools/test.sh done in $((SECONDS - t)) s"
lib=$(ldd build/stemtag | awk '/librdkafka/ { print $3 }')
owner=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | cut -d: -f1)
echo "debian13: build/stemtag loads $lib (package ${owner:-none}); $(build/stemtag --version | grep -i rdkafka)"
[ -n "$owner" ] || { echo "debian13: FAIL: librdkafka not from a Debian package"; exit 1; }
echo "debian13: toolchain and libraries:"
gcc --version | head -1
dpkg-query -W -f='  ${Package} ${Version}\n' librdkafka1 libstemmer0d 'libutf8proc*' 'libjansson4' \
	'libxml2*' 'libmicrohttpd1*' 'libcmocka0' 2>/dev/null | awk 'NF == 2 && $1 !~ /-dev$/' || true
echo "== debian13: bench/check_records.sh"
t=$SECONDS
bench/check_records.sh >/ci/out/records.trixie
echo "== debian13: bench/check_records.sh done in $((SECONDS - t)) s"
SH
}

run_inside() {
	inside >"$WORK/inside.sh"
	# HTTPS from inside a container fails on this machine (its outgoing TLS is
	# re-signed by a CA only the host trusts: curl says "self-signed certificate
	# in certificate chain", Maven "could not transfer"), so the Kafka jars come
	# from the host's cache, fetched there first; apt uses the plain-HTTP mirror.
	"$CI_ROOT/deploy/kafka/kafka.sh" fetch
	local kafka_libs
	kafka_libs=$CI_CACHE/kafka-$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$CI_ROOT/deploy/kafka/pom.xml")
	[ -f "$kafka_libs/libs/.complete" ] || ci_die "no Kafka jars in $kafka_libs after kafka.sh fetch"
	rm -f "$WORK/records.trixie"
	started=1
	# --network=host: the tests' Kafka broker listens on 127.0.0.1 in the
	# container; --no-healthcheck: podman 4.3 would want systemd timers.
	# The whole output goes to inside.log; dpkg's per-package lines stay out of the console.
	set +e
	timeout --kill-after=30 "$TIMEOUT" podman run --name "$NAME" --rm --network=host --no-healthcheck \
		-v "$WORK/stemtag:/ci/stemtag" -v "$SHARED:/ci/shared:ro" -v "$WORK:/ci/out" \
		-v "$KEEP/apt-archives:/var/cache/apt/archives" -v "$KEEP/cache:/root/.cache" \
		-v "$kafka_libs:/root/.cache/stemtag/${kafka_libs#"$CI_CACHE"/}:ro" \
		"$CI_BASE_IMAGE" bash /ci/out/inside.sh 2>&1 | tee "$WORK/inside.log" |
		grep --line-buffered -v -E '^(Selecting|Preparing|Unpacking|Setting up|Processing|Adding |Created symlink|update-alternatives|\(Reading database)'
	local rc=${PIPESTATUS[0]}
	set -e
	[ "$rc" != 124 ] || ci_die "trixie run timed out after $TIMEOUT s (STEMTAG_CI_TIMEOUT13)"
	[ "$rc" = 0 ] || ci_die "trixie run failed (exit $rc; log $WORK/inside.log)"
}
ci_step "trixie: tools/quickstart.sh, tools/test.sh, check_records" run_inside

compare_records() {
	local base=${STEMTAG_RECORDS_BASE:-}
	if [ -z "$base" ]; then
		[ -x build/stemtag ] || ci_die "build/stemtag missing: build this checkout first (or set STEMTAG_RECORDS_BASE)"
		base=$WORK/records.host
		bench/check_records.sh >"$base"
	fi
	if diff -u "$base" "$WORK/records.trixie" >"$WORK/records.diff"; then
		echo "deploy-ci: records identical on trixie and the host ($(tail -1 "$base"))"
	else
		cat "$WORK/records.diff"
		ci_say "records differ between trixie and the host (above; $WORK/records.diff)"
		[ "${STEMTAG_CI_RECORDS_STRICT:-0}" != 1 ] || ci_die "records differ (STEMTAG_CI_RECORDS_STRICT=1)"
	fi
}
ci_step "records: trixie vs host" compare_records

[ "$with_image" = 1 ] || exit 0

# The runtime image on Debian 13: the Dockerfile's trixie variant.
trixie_image() {
	local t=$SECONDS
	podman build --format docker --pull=never -f deploy/Dockerfile \
		--build-arg DEBIAN_SUITE=trixie --build-arg RUNTIME_LIBS="libutf8proc3 libmicrohttpd12t64" \
		--build-arg STEMTAG_GIT_REV="$(git -C "$WORK/stemtag" rev-parse --short=12 HEAD)" \
		-t "$TRIXIE_IMAGE" "$WORK/stemtag" >"$WORK/image.log" 2>&1 ||
		{ tail -n 40 "$WORK/image.log" >&2; ci_die "deploy/Dockerfile (trixie) build failed (log $WORK/image.log)"; }
	echo "deploy-ci: trixie image built in $((SECONDS - t)) s, $(podman image inspect --format '{{.Size}}' "$TRIXIE_IMAGE" |
		awk '{ printf "%.1f MB", $1 / 1e6 }')"
	local run=(podman run --rm -i --no-healthcheck) user missing
	"${run[@]}" "$TRIXIE_IMAGE" --version | tee "$WORK/image-version.txt"
	grep -Eq 'librdkafka +2\.([2-9]|[1-9][0-9])' "$WORK/image-version.txt" || ci_die "the trixie image does not run librdkafka >= 2.2"
	user=$(podman image inspect --format '{{.Config.User}}' "$TRIXIE_IMAGE")
	[ -n "$user" ] && [ "${user%%:*}" != 0 ] && [ "${user%%:*}" != root ] || ci_die "the trixie image runs as root"
	"${run[@]}" --entrypoint ldd "$TRIXIE_IMAGE" /usr/local/bin/stemtag >"$WORK/image-ldd.txt"
	missing=$(grep -c 'not found' "$WORK/image-ldd.txt" || true)
	[ "$missing" = 0 ] || { cat "$WORK/image-ldd.txt" >&2; ci_die "ldd in the trixie image: $missing libraries not found"; }
	"${run[@]}" --entrypoint dpkg-query "$TRIXIE_IMAGE" -W -f '${Package} ${Version}\n' \
		librdkafka1 libutf8proc3 libmicrohttpd12t64 libstemmer0d libjansson4 libxml2 | sed 's/^/deploy-ci:   /'
	echo "deploy-ci: trixie image: user $user, $(wc -l <"$WORK/image-ldd.txt") libraries, none missing"
	local stamp='s/"processed_at":"[^"]*"/"processed_at":"-"/'
	[ -x build/stemtag ] || ci_die "build/stemtag missing: build this checkout first"
	build/stemtag classify -c config/stemtag.conf tests/data/samples.jsonl | sed "$stamp" >"$WORK/classify.host"
	"${run[@]}" "$TRIXIE_IMAGE" classify <tests/data/samples.jsonl | sed "$stamp" >"$WORK/classify.image"
	if diff -u "$WORK/classify.host" "$WORK/classify.image" >"$WORK/classify.diff"; then
		echo "deploy-ci: classify in the trixie image: $(wc -l <"$WORK/classify.image") records, identical to the host's build"
	else
		cat "$WORK/classify.diff"
		ci_say "classify in the trixie image differs from the host's build (above)"
		[ "${STEMTAG_CI_RECORDS_STRICT:-0}" != 1 ] || ci_die "records differ (STEMTAG_CI_RECORDS_STRICT=1)"
	fi
}
ci_step "trixie runtime image (deploy/Dockerfile, DEBIAN_SUITE=trixie)" trixie_image
