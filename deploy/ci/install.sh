#!/usr/bin/env bash
# deploy/ci/install.sh: the packages the container CI step needs, from
# Debian's mirror only (no image registry, no prebuilt downloads):
#   podman + runc    the container engine (docker-compatible API socket)
#   debootstrap      the base image, made from the mirror (base-image.sh)
#   docker-compose   compose v1 (Debian's), talks to podman's socket
#   prometheus       promtool, to check deploy/monitoring/alerts.yml
#   default-jre-headless, maven: the Kafka jars of the stand-in image
# Installs only what is missing (root, or sudo).
set -euo pipefail
need=()
for pair in podman:podman runc:runc debootstrap:debootstrap docker-compose:docker-compose \
	promtool:prometheus mvn:maven java:default-jre-headless; do
	command -v "${pair%%:*}" >/dev/null || need+=("${pair##*:}")
done
[ ${#need[@]} -gt 0 ] || { echo "deploy-ci: all tools present"; exit 0; }
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
echo "deploy-ci: apt-get install ${need[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
	"${need[@]}" uidmap slirp4netns netavark aardvark-dns >/dev/null
