#!/usr/bin/env bash
# bootstrap.sh: install what Stemtag needs to build and test, and only what is
# missing. Idempotent; works as root or as a user with sudo. Then fetches the
# Kafka broker jars (deploy/kafka/kafka.sh fetch) into ~/.cache/stemtag.
# librdkafka >= 2.2: the distribution's librdkafka-dev where it is that new
# (Debian 13), else Debian 13's source package built once into ~/.cache/stemtag
# (tools/librdkafka.sh; ~2 min on 2 cores, then cached).
#   tools/bootstrap.sh            build + test dependencies + Kafka jars
#   tools/bootstrap.sh --no-kafka skip the Kafka jars
#   tools/bootstrap.sh --bench    also the comparison baselines (CLD2, fastText)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian package names that exist in Debian 12 and 13 alike (default-jre-headless:
# OpenJDK 17 on bookworm, 21 on trixie; both run the Kafka broker). Runtime
# libraries come with the -dev ones.
PACKAGES=(
	build-essential cmake pkg-config git
	libjansson-dev libstemmer-dev libutf8proc-dev libmicrohttpd-dev libcmocka-dev libxml2-dev
	kcat default-jre-headless maven
	python3 python3-yaml python3-jsonschema curl ca-certificates
)
# Sanitizers/fuzzing/lint (CI's robustness steps). libclang-rt-dev: the runtime
# of the release's default clang (14 on bookworm, 19 on trixie); on a
# distribution that lacks one, bootstrap warns and goes on (build and tests do not need them).
EXTRA_PACKAGES=(clang llvm libclang-rt-dev cppcheck clang-tidy clang-format valgrind)
BENCH_PACKAGES=(libcld2-dev fasttext g++)

# librdkafka: the package if the distribution's is new enough, else build it.
rdkafka_candidate() { apt-cache policy librdkafka-dev 2>/dev/null | awk '/Candidate:/ { print $2 }'; }
cand=$(rdkafka_candidate)
if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
	# no package lists yet (fresh container): decide by the release
	. /etc/os-release
	case "${ID:-}:${VERSION_ID:-0}" in debian:1[0-2] | debian:[0-9]) cand=2.0 ;; *) cand=2.2 ;; esac
fi
if dpkg --compare-versions "$cand" ge 2.2; then
	PACKAGES+=(librdkafka-dev)
	build_rdkafka=0
else
	build_rdkafka=1
fi

want_kafka=1
extras=("${EXTRA_PACKAGES[@]}")
for arg in "$@"; do
	case $arg in
	--no-kafka) want_kafka=0 ;;
	--bench) extras+=("${BENCH_PACKAGES[@]}") ;;
	*) echo "bootstrap.sh: unknown option $arg" >&2; exit 2 ;;
	esac
done

missing_of() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
	done
}
mapfile -t missing < <(missing_of "${PACKAGES[@]}")
mapfile -t missing_extra < <(missing_of "${extras[@]}")

if [ $((${#missing[@]} + ${#missing_extra[@]})) -gt 0 ]; then
	if [ "$(id -u)" -eq 0 ]; then
		SUDO=()
	elif command -v sudo >/dev/null; then
		SUDO=(sudo)
	else
		echo "bootstrap.sh: need root or sudo to install: ${missing[*]} ${missing_extra[*]}" >&2
		exit 1
	fi
	apt_install() { "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2; }
	echo "bootstrap.sh: installing ${missing[*]} ${missing_extra[*]}" >&2
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
	if [ ${#missing_extra[@]} -gt 0 ] && ! apt_install "${missing_extra[@]}" 2>/dev/null; then
		for p in "${missing_extra[@]}"; do
			apt_install "$p" 2>/dev/null || echo "bootstrap.sh: warning: optional package $p not installable here" >&2
		done
	fi
else
	echo "bootstrap.sh: all packages present" >&2
fi

if [ $build_rdkafka = 1 ]; then
	echo "bootstrap.sh: librdkafka-dev here is $cand (< 2.2): using Debian 13's, built into the cache" >&2
	"$here/tools/librdkafka.sh" >/dev/null
fi

if [ $want_kafka = 1 ]; then
	"$here/deploy/kafka/kafka.sh" fetch
fi
