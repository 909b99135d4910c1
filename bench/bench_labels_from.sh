#!/usr/bin/env bash
# Learning from the feed's own desk labels on de-headlines (URL sections as
# desk labels, in the corpus's "label" field): `stemtag train --labels-from
# source-section` on train.jsonl, then section accuracy on dev.jsonl with the
# de-headlines mapping of bench_zeroshot.py, beside the default taxonomy
# zero-shot on the same articles. The learned model goes to a temporary
# directory and is deleted (de-headlines is research-only: never commit it).
# Prints figures; never fails on them.
# Usage: bench/bench_labels_from.sh [STEMTAG_BINARY]   (default build/stemtag)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/stemtag}
corpus=${STEMTAG_SHARED_DIR:-../shared}/corpora/news/de-headlines
[ -x "$bin" ] || { echo "bench_labels_from: no binary $bin (build first)" >&2; exit 2; }
[ -f "$corpus/train.jsonl" ] || { echo "bench_labels_from: no $corpus: no figures"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== train --labels-from source-section on de-headlines/train.jsonl"
"$bin" train --labels-from source-section --section-field label \
	--input "$corpus/train.jsonl" --out "$tmp/deh.json" 2>&1 | sed 's/^stemtag train: /  /'
echo "== dev split, learned from desk labels"
STEMTAG_BIN=$bin python3 bench/bench_zeroshot.py --corpus de-headlines --split dev --quiet \
	-- --taxonomy "$tmp/deh.json" | head -1
echo "== dev split, default taxonomy (zero-shot)"
STEMTAG_BIN=$bin python3 bench/bench_zeroshot.py --corpus de-headlines --split dev --quiet | head -1
