#!/usr/bin/env bash
# bootstrap.sh: install what Stemtag needs to build and test, and only what is
# missing. Idempotent; works as root or as a user with sudo. Then fetches the
# Kafka broker jars (deploy/kafka/kafka.sh fetch) into ~/.cache/stemtag.
#   tools/bootstrap.sh            build + test dependencies + Kafka jars
#   tools/bootstrap.sh --no-kafka skip the Kafka jars
#   tools/bootstrap.sh --bench    also the comparison baselines (CLD2, fastText)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian package names (bookworm). Runtime libraries come with the -dev ones.
PACKAGES=(
	build-essential cmake pkg-config git
	librdkafka-dev libjansson-dev libstemmer-dev libutf8proc-dev libmicrohttpd-dev libcmocka-dev libxml2-dev
	kcat openjdk-17-jre-headless maven
	python3 python3-yaml python3-jsonschema curl ca-certificates
)
# Sanitizers/fuzzing/lint (CI's robustness steps). Names follow bookworm; on a
# distribution that lacks one, bootstrap warns and goes on (build and tests do not need them).
EXTRA_PACKAGES=(clang llvm libclang-rt-14-dev cppcheck clang-tidy clang-format valgrind)
BENCH_PACKAGES=(libcld2-dev fasttext g++)

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

if [ $want_kafka = 1 ]; then
	"$here/deploy/kafka/kafka.sh" fetch
fi
