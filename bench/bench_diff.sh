#!/usr/bin/env bash
# What `stemtag diff` costs over 10,000 articles: the first 10,000 lines of the
# shared sib200-all train split (28 languages, short sentences) through the
# default model on both sides, the new side with classify.topic.margin 0.5
# instead of 0.25 (a real change: topics are dropped). Reference in the same
# runs: `stemtag classify` of the same articles, once (diff classifies twice
# and reads each record back). farm-bench pairs the runs (A/B ratio per pair);
# quote the medians. Prints the diff's own summary line and the paired timings.
# Usage: bench/bench_diff.sh [STEMTAG_BINARY] [RUNS]   (default build/stemtag, 5)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/stemtag}
runs=${2:-5}
shared=${STEMTAG_SHARED:-../shared}
src=$shared/corpora/news/sib200-all/train.jsonl
[ -x "$bin" ] || { echo "bench_diff: no binary $bin (build first)" >&2; exit 2; }
[ -f "$src" ] || { echo "bench_diff: no $src" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -n 10000 "$src" >"$tmp/articles.jsonl"
cat >"$tmp/new.conf" <<CONF
langid.model = $PWD/config/langid.model
taxonomy.files = $PWD/config/taxonomy
classify.topic.margin = 0.5
CONF
"$bin" diff --old config/taxonomy --new "$tmp/new.conf" --tolerance 100% --examples 0 \
	"$tmp/articles.jsonl" 2>"$tmp/diff.err" | sed -n '1,5p'
cat "$tmp/diff.err"
farm-bench -n "$runs" --timeout 600 --vs "sh -c 'exec $bin classify $tmp/articles.jsonl >/dev/null'" -- \
	sh -c "exec $bin diff --old config/taxonomy --new $tmp/new.conf --tolerance 100% --json $tmp/articles.jsonl >/dev/null 2>&1"
