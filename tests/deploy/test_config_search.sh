#!/usr/bin/env bash
# The config search every config-reading command uses when no -c is given
# (config_default_path; `stemtag --help`, docs/configuration.md): -c FILE,
# else $STEMTAG_CONFIG, else ./config/stemtag.conf, else
# /etc/stemtag/stemtag.conf. Checked through check-config --dump (which file
# a key came from) and classify (tags only when a config with the model and
# taxonomy was found), in scratch directories.
set -euo pipefail
bin=${STEMTAG_BIN:?STEMTAG_BIN not set (run through ctest)}
src=${STEMTAG_SOURCE_DIR:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# pipelines: a plain integer key, so each file's value says which file won
# (--dump prints the effective config even when validation then fails).
mkdir -p "$tmp/checkout/config" "$tmp/empty" "$tmp/other"
printf 'pipelines = 3\n' >"$tmp/checkout/config/stemtag.conf"
printf 'pipelines = 5\n' >"$tmp/other/env.conf"
printf 'pipelines = 7\n' >"$tmp/other/named.conf"
pipelines() {
	local dir=$1
	shift
	{ (cd "$dir" && env -u STEMTAG_CONFIG "$@" "$bin" check-config --dump "${args[@]}" 2>/dev/null) || true; } |
		sed -n 's/^pipelines = \([0-9]*\).*/\1/p'
}

args=()
[ "$(pipelines "$tmp/checkout")" = 3 ] || fail "./config/stemtag.conf not found by the search"
[ "$(pipelines "$tmp/checkout" STEMTAG_CONFIG="$tmp/other/env.conf")" = 5 ] ||
	fail "\$STEMTAG_CONFIG does not win over ./config/stemtag.conf"
# An empty STEMTAG_CONFIG is unset, not a file name.
[ "$(pipelines "$tmp/checkout" STEMTAG_CONFIG=)" = 3 ] || fail "empty \$STEMTAG_CONFIG not ignored"
args=(-c "$tmp/other/named.conf")
[ "$(pipelines "$tmp/checkout" STEMTAG_CONFIG="$tmp/other/env.conf")" = 7 ] ||
	fail "-c does not win over \$STEMTAG_CONFIG"
args=()
if [ ! -e /etc/stemtag/stemtag.conf ]; then
	want=$(pipelines "$tmp/empty")
	[ -n "$want" ] && [ "$want" != 3 ] || fail "no config anywhere: expected the default pipelines, got '$want'"
fi

# A named file that is missing is an error naming it, never skipped for the next.
if out=$(cd "$tmp/checkout" && STEMTAG_CONFIG="$tmp/missing.conf" "$bin" check-config 2>&1); then
	fail "check-config accepted a missing \$STEMTAG_CONFIG"
fi
case $out in *"$tmp/missing.conf"*) ;; *) fail "error does not name the missing file: $out" ;; esac

# classify without -c: the found config's model and taxonomy tag the article
# (the image's case); with none found, built-in defaults without model: no tags.
article='{"id":"a","title":"Central bank raises interest rates","body":"The central bank raised interest rates again as inflation stays high, markets fell."}'
printf 'langid.model = %s\ntaxonomy.files = %s\n' "$src/config/langid.model" "$src/config/taxonomy" \
	>"$tmp/other/tags.conf"
tagged=$(cd "$tmp/empty" && printf '%s\n' "$article" | STEMTAG_CONFIG="$tmp/other/tags.conf" "$bin" classify)
case $tagged in *'"language":{"code":"en"'*'"section":{"id":"'*) ;; *) fail "classify ignored \$STEMTAG_CONFIG: $tagged" ;; esac
if [ ! -e /etc/stemtag/stemtag.conf ]; then
	untagged=$(cd "$tmp/empty" && printf '%s\n' "$article" | env -u STEMTAG_CONFIG "$bin" classify)
	case $untagged in *'"language":null'*) ;; *) fail "classify with no config found should not detect: $untagged" ;; esac
fi
echo "config search: -c > \$STEMTAG_CONFIG > ./config/stemtag.conf > defaults; classify follows it"
