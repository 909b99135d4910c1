# shellcheck shell=bash disable=SC2034 # sourced: the names are used by the scripts
# deploy/ci/lib.sh: sourced by the deploy/ci scripts. Owns the timed-step
# helper, the podman environment (containers.conf for this sandbox), the
# bookkeeping of the images a run creates, and the names the scripts share.
# Nothing here starts a process.

# Where the scripts keep state between their steps (containers.conf, logs,
# the ids of what they created): one directory per run, under the build dir.
CI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CI_STATE=${STEMTAG_CI_STATE:-$CI_ROOT/build/deploy-ci}
CI_CACHE=${STEMTAG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stemtag}
# The Debian suite of the images (deploy/Dockerfile's FROM, the Kafka stand-in's).
CI_SUITE=${STEMTAG_CI_SUITE:-bookworm}
CI_MIRROR=${STEMTAG_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# Exactly the names the Dockerfiles and docker-compose.yml use.
CI_BASE_IMAGE=docker.io/library/debian:$CI_SUITE-slim
CI_KAFKA_IMAGE=docker.io/apache/kafka:3.9.1
CI_STEMTAG_IMAGE=localhost/stemtag:local
mkdir -p "$CI_STATE"

ci_say() { printf 'deploy-ci: %s\n' "$*" >&2; }
ci_die() { ci_say "FAIL: $*"; exit 1; }

# ci_step NAME CMD...: runs CMD, prints its wall time; a failure stops the script.
ci_step() {
	local name=$1 t0=$SECONDS
	shift
	echo "== deploy-ci: $name"
	"$@"
	echo "== deploy-ci: $name done in $((SECONDS - t0)) s"
}

# ci_images_note FILE: the ids of the images present now. ci_images_remove_new
# FILE: removes the images created since (their base image if it was imported,
# build stages, the images built), never one that existed before the run;
# STEMTAG_CI_KEEP_IMAGES=1 keeps them.
ci_images_note() { podman images -a -q --no-trunc | sort -u >"$1"; }
ci_images_remove_new() {
	[ "${STEMTAG_CI_KEEP_IMAGES:-0}" != 1 ] || return 0
	podman images -a -q --no-trunc | sort -u | comm -13 "$1" - | xargs -r podman rmi -f >/dev/null 2>&1
}

# Podman as root in this sandbox needs two settings its defaults lack: the
# sandbox's hard rlimits (podman's default ulimits fail with "setrlimit ...
# Operation not permitted") and runc (crun 1.8 refuses the hybrid cgroup
# setup). A private containers.conf keeps the system's files untouched.
# nproc is capped at 32768: runc was refused the sandbox's full hard limit
# (96367 here: "error setting rlimit type 6"), 32768 is accepted.
ci_podman_env() {
	local nofile nproc
	nofile=$(ulimit -Hn)
	nproc=$(ulimit -Hu)
	[ "$nofile" != unlimited ] || nofile=1048576
	[ "$nproc" != unlimited ] && [ "$nproc" -le 32768 ] || nproc=32768
	cat >"$CI_STATE/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
CONF
	export CONTAINERS_CONF=$CI_STATE/containers.conf
}
