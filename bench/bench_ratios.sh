#!/usr/bin/env bash
# Stemtag's whole pure path beside two yardsticks, on the same articles, one
# core each, in one run: CLD2 language detection alone (build/bench/
# bench_cld2_lines) and fastText supervised predict (Debian's fasttext, a
# model trained here on the same file's labels). Prints articles/s per
# CPU-second for each and the ratios Stemtag / CLD2 and Stemtag / fastText.
#  - Stemtag: build/bench/bench_classify on the JSON lines (parse, langid,
#    tokenize, stem, classify, record), thread CPU time, best of 3 passes.
#  - CLD2: title + " " + body per line, thread CPU time, best of 3 passes.
#  - fastText: `fasttext predict` CPU time (user+sys) on the same text,
#    lower-cased and split as bench_classifier.sh feeds it (that
#    preprocessing is not timed), minus its time on an empty file (model load).
# Install the yardsticks with tools/bootstrap.sh --bench; a missing one is
# skipped with a note. Figures only, never a verdict; ±10 % run to run on
# shared cores.
# Usage: bench/bench_ratios.sh [CORPUS...]   (default: bbc reuters de-headlines sib200;
#        train.jsonl of each under ../shared/corpora/news/)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${STEMTAG_SHARED:-../shared}
corpora=("$@")
[ ${#corpora[@]} -gt 0 ] || corpora=(bbc reuters de-headlines sib200)
BC=build/bench/bench_classify CLD=build/bench/bench_cld2_lines FT=${FASTTEXT:-fasttext}
[ -x "$BC" ] || { echo "bench_ratios: build first ($BC missing)" >&2; exit 2; }
[ -x "$CLD" ] || { echo "bench_ratios: $CLD not built (libcld2 missing: tools/bootstrap.sh --bench): CLD2 skipped"; CLD=; }
command -v "$FT" >/dev/null || { echo "bench_ratios: fasttext not installed: fastText skipped"; FT=; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cpu_of() { # command... -> user+sys seconds of the command (stdout discarded)
	local TIMEFORMAT='%U %S' t
	t=$({ time "$@" >/dev/null 2>&1; } 2>&1)
	awk '{ printf "%.3f", $1 + $2 }' <<<"$t"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
printf '%-14s %8s %8s %12s %12s %12s %10s %10s\n' corpus articles bytes/art stemtag/s cld2/s fasttext/s vs_cld2 vs_fasttext
for c in "${corpora[@]}"; do
	f=$shared/corpora/news/$c/train.jsonl
	[ -f "$f" ] || { echo "$c: no $f, skipped"; continue; }
	n=$(wc -l <"$f")
	bpa=$(( $(wc -c <"$f") / n ))
	st=$("$BC" --full-only --passes 3 "$f" | awk -v f="$f" 'index($1, "/") && index(f, $1) { print $6 }')
	cl=-
	if [ -n "$CLD" ]; then
		jq -r '(.title + " " + .body) | gsub("[\\n\\r]"; " ")' "$f" >"$TMP/text"
		cl=$("$CLD" "$TMP/text" | awk '{ print $6 }')
	fi
	ft=-
	if [ -n "$FT" ]; then
		jq -r '[(.label | if type == "array" then .[] else . end | tostring | gsub(" "; "_") | "__label__" + .)]
		       + [((.title + " " + .body) | ascii_downcase | gsub("[^\\p{L}\\p{N}]+"; " "))] | join(" ")' \
			"$f" >"$TMP/ft.train"
		sed -E 's/(__label__[^ ]* )+//' "$TMP/ft.train" >"$TMP/ft.text"
		"$FT" supervised -input "$TMP/ft.train" -output "$TMP/ft" -epoch 5 -thread 1 -verbose 0 >/dev/null 2>&1
		: >"$TMP/empty"
		t0=$(cpu_of "$FT" predict "$TMP/ft.bin" "$TMP/empty")
		t1=$(cpu_of "$FT" predict "$TMP/ft.bin" "$TMP/ft.text")
		ft=$(awk -v n="$n" -v a="$t1" -v b="$t0" 'BEGIN { d = a - b; if (d > 0) printf "%.0f", n / d; else print "-" }')
	fi
	printf '%-14s %8d %8d %12s %12s %12s %10s %10s\n' "$c" "$n" "$bpa" "$st" "$cl" "$ft" \
		"$(ratio "$st" "$cl")" "$(ratio "$st" "$ft")"
done
echo "stemtag/s: full pure path (bench_classify); cld2/s: language detection alone; fasttext/s: predict alone (model load subtracted). vs_*: stemtag/s divided by the yardstick's."
