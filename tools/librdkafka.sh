#!/usr/bin/env bash
# librdkafka.sh: librdkafka >= 2.2 where the distribution packages an older one
# (Debian 12 has 2.0.2). Builds Debian 13 (trixie)'s librdkafka source package
# into Debian packages once and keeps them in the cache, like the Kafka jars:
#   $CACHE/librdkafka/VERSION/debs/   librdkafka1, librdkafka++1, librdkafka-dev .debs
#   $CACHE/librdkafka/VERSION/root/   all unpacked (usr/include, usr/lib/<multiarch>,
#                                     rdkafka.pc pointing here): what CMake uses,
#                                     the binaries find the library by their RUNPATH
#   $CACHE/librdkafka/current         -> VERSION (CMakeLists.txt looks here)
# CACHE is $STEMTAG_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/stemtag.
#   tools/librdkafka.sh             build unless cached; print the root
#   tools/librdkafka.sh --root      print the root if built, else exit 1
# The source comes through apt with a private source list and private state
# (options below): the system's apt configuration is neither read for sources
# nor changed. Build dependencies are installed when missing (root or sudo).
# Environment: STEMTAG_LIBRDKAFKA_VERSION (Debian version, default 2.8.0-1),
# STEMTAG_DEBIAN_MIRROR (default http://deb.debian.org/debian), JOBS.
set -euo pipefail

VERSION=${STEMTAG_LIBRDKAFKA_VERSION:-2.8.0-1}
MIRROR=${STEMTAG_DEBIAN_MIRROR:-http://deb.debian.org/debian}
CACHE=${STEMTAG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stemtag}
BASE=$CACHE/librdkafka
DEST=$BASE/$VERSION
JOBS=${JOBS:-$(nproc)}
# Build-Depends of trixie's librdkafka 2.8.0-1 (none is versioned; bookworm has
# them all), and what dpkg-buildpackage itself needs.
BUILD_DEPS=(debhelper dpkg-dev fakeroot pkgconf libcurl4-openssl-dev liblz4-dev libsasl2-dev
	libssl-dev libzstd-dev python3 rapidjson-dev zlib1g-dev)

say() { echo "librdkafka.sh: $*" >&2; }

if [ "${1:-}" = --root ]; then
	[ -f "$DEST/built" ] || exit 1
	echo "$DEST/root"
	exit 0
elif [ $# -gt 0 ]; then
	awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2
	exit 2
fi

mkdir -p "$BASE"
# One build at a time (CI steps, two worktrees): the second waits, then finds it built.
exec 9>"$BASE/lock"
flock 9
if [ -f "$DEST/built" ]; then
	ln -sfn "$VERSION" "$BASE/current"
	echo "$DEST/root"
	exit 0
fi

missing=()
for p in "${BUILD_DEPS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
		say "need root or sudo to install the build dependencies: ${missing[*]}"
		exit 1
	fi
	say "installing build dependencies: ${missing[*]}"
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >&2
fi

t0=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/stemtag-librdkafka.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Private apt: only trixie's deb-src, own lists and cache; the archive keyring
# (bookworm's debian-archive-keyring carries the trixie keys) checks the Release file.
apt=$work/apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts" "$work/src"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR trixie main" >"$apt/sources.list"
APT_OPTS=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/parts"
	-o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o "APT::Sandbox::User=root" -q)
say "fetching Debian 13's librdkafka $VERSION source package from $MIRROR"
log=$work/fetch.log
apt-get "${APT_OPTS[@]}" update >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
if ! (cd "$work/src" && apt-get "${APT_OPTS[@]}" source --download-only "librdkafka=$VERSION" >>"$log" 2>&1); then
	cat "$log" >&2
	say "librdkafka $VERSION is not in trixie (any more); trixie has: $(apt-cache "${APT_OPTS[@]}" showsrc librdkafka 2>/dev/null | awk '/^Version:/ { printf "%s ", $2 }')"
	say "set STEMTAG_LIBRDKAFKA_VERSION to one of them"
	exit 1
fi
# The .dsc's checksums came through the signed Sources index (apt checked them)
# and dpkg-source checks the tarballs against the .dsc. (Its warning that the
# maintainer's own signature cannot be verified is about debian-keyring, which
# is not needed for that.)
(cd "$work/src" && dpkg-source -x "librdkafka_$VERSION.dsc" build >>"$log" 2>&1) ||
	{ cat "$log" >&2; exit 1; }
say "building librdkafka $VERSION (dpkg-buildpackage, $JOBS jobs; about 2 min on 2 cores)"
(cd "$work/src/build" && DEB_BUILD_OPTIONS="nocheck parallel=$JOBS" \
	dpkg-buildpackage -b -uc -us >"$work/build.log" 2>&1) ||
	{ tail -40 "$work/build.log" >&2; say "build failed (log above)"; exit 1; }

rm -rf "$DEST"
mkdir -p "$DEST/debs" "$DEST/root"
# librdkafka-dev needs librdkafka++1 of the same version (for an image's build stage)
cp "$work/src"/librdkafka1_*.deb "$work/src"/librdkafka++1_*.deb "$work/src"/librdkafka-dev_*.deb "$DEST/debs/"
for deb in "$DEST"/debs/*.deb; do dpkg-deb -x "$deb" "$DEST/root"; done
# The .pc files say prefix=/usr, libdir=/usr/lib/..., includedir=/usr/include:
# point them at the unpacked tree.
for pc in "$DEST"/root/usr/lib/*/pkgconfig/rdkafka*.pc; do
	sed -i -E "s#^(prefix|exec_prefix|libdir|includedir)=/usr(/|\$)#\1=$DEST/root/usr\2#" "$pc"
done
pc=$(echo "$DEST"/root/usr/lib/*/pkgconfig/rdkafka.pc)
PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --modversion rdkafka >/dev/null ||
	{ say "unpacked rdkafka.pc does not work: $pc"; exit 1; }
echo "$VERSION" >"$DEST/built"
ln -sfn "$VERSION" "$BASE/current"
say "librdkafka $VERSION built in $((SECONDS - t0)) s: $DEST"
echo "$DEST/root"
