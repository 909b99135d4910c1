#!/usr/bin/env bash
# deploy/ci/base-image.sh: the Debian base image the Dockerfiles' FROM names
# (debian:SUITE-slim), made without a registry: `debootstrap --variant=minbase`
# against the Debian mirror, imported with `podman import` under exactly that
# name. The root filesystem tarball is cached ($CACHE/base/SUITE-minbase.tar;
# delete it to refresh), so a second run only imports it (seconds).
# Prints the image name. Does nothing if an image of that name exists already
# (e.g. a real debian image a user loaded).
# Environment: STEMTAG_CI_SUITE (default bookworm), STEMTAG_DEBIAN_MIRROR.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
ci_podman_env

if podman image exists "$CI_BASE_IMAGE"; then
	ci_say "$CI_BASE_IMAGE present, not imported"
	echo "$CI_BASE_IMAGE"
	exit 0
fi
tarball=$CI_CACHE/base/$CI_SUITE-minbase.tar
if [ ! -s "$tarball" ]; then
	mkdir -p "$CI_CACHE/base"
	rootfs=$(mktemp -d "$CI_CACHE/base/rootfs.XXXXXX")
	trap 'rm -rf "$rootfs"' EXIT
	ci_say "debootstrap --variant=minbase $CI_SUITE from $CI_MIRROR (once; cached in $tarball)"
	debootstrap --variant=minbase "$CI_SUITE" "$rootfs" "$CI_MIRROR" >"$CI_STATE/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$CI_STATE/debootstrap.log" >&2; ci_die "debootstrap failed (log $CI_STATE/debootstrap.log)"; }
	# What the official -slim images leave out too: package lists, caches, docs.
	rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
		"$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
	# The mirror the image's apt uses (debootstrap wrote sources.list with it).
	tar --numeric-owner -C "$rootfs" -cf "$tarball.tmp" .
	mv "$tarball.tmp" "$tarball"
fi
podman import -q --change 'CMD ["bash"]' --message "debootstrap minbase $CI_SUITE (deploy/ci/base-image.sh)" \
	"$tarball" "$CI_BASE_IMAGE" >/dev/null
echo "$CI_BASE_IMAGE"
