#!/usr/bin/env bash
# Record identity across a change: runs `stemtag classify` (default config,
# --explain, so evidence is compared too) over every shared train/dev file and
# prints one sha256 per file plus a total. Save the output before a change and
# diff it after:  bench/check_records.sh > /tmp/before.txt; ...;
#                 bench/check_records.sh | diff /tmp/before.txt - && echo identical
# `processed_at` (the wall clock) is blanked before hashing; everything else
# in the record is compared byte for byte.
# With NO_FINGERPRINT=1 the "fingerprint" member is cut out before hashing, to
# compare records across the change that added it (or one meant to move it).
# Usage: bench/check_records.sh [STEMTAG_BINARY]   (default build/stemtag)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/stemtag}
shared=${STEMTAG_SHARED_DIR:-../shared}
[ -x "$bin" ] || { echo "check_records: no binary $bin (build first)" >&2; exit 2; }
all=$(mktemp)
trap 'rm -f "$all"' EXIT
for f in "$shared"/corpora/news/*/dev.jsonl "$shared"/corpora/news/*/train.jsonl; do
	[ -f "$f" ] || continue
	h=$("$bin" classify -c config/stemtag.conf --explain "$f" |
		sed -E 's/"processed_at":"[^"]*"/"processed_at":""/' |
		if [ "${NO_FINGERPRINT:-0}" = 1 ]; then sed -E 's/,"fingerprint":(\{[^}]*\}|null)//'; else cat; fi | tee -a "$all" | sha256sum | cut -c1-16)
	printf '%s  %s\n' "$h" "${f#"$shared"/}"
done
printf '%s  %s (%d records)\n' "$(sha256sum <"$all" | cut -c1-16)" total "$(wc -l <"$all")"
