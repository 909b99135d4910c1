#!/usr/bin/env bash
# bench_classifier.sh: trains stemtag models on the news corpora (train.jsonl),
# evaluates them on dev.jsonl, and does the same with Debian's fastText on the
# same files, printing both side by side. Also: the default taxonomy zero-shot
# on BBC News dev. Prints figures; never fails on them. Test splits are never
# read. Models are written under bench/out/ (gitignored): never commit them.
#
#   bench/bench_classifier.sh [dataset...]    (default: all five)
#
# Env: STEMTAG_BIN (default build/stemtag), STEMTAG_SHARED_DIR (default ../shared),
#      OUT (default bench/out/classifier), FASTTEXT (default fasttext; "" skips it).
set -uo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${STEMTAG_BIN:-$SRC/build/stemtag}
SHARED=${STEMTAG_SHARED_DIR:-$SRC/../shared}
CORPORA=$SHARED/corpora/news
OUT=${OUT:-$SRC/bench/out/classifier}
FASTTEXT=${FASTTEXT-fasttext}
DATASETS=("$@")
[ ${#DATASETS[@]} -eq 0 ] && DATASETS=(bbc reuters de-headlines xglue-nc-de sib200)

if [ ! -d "$CORPORA" ]; then
        echo "bench_classifier: $CORPORA absent: no figures (corpora are not in the repo)"
        exit 0
fi
if [ ! -x "$BIN" ]; then
        echo "bench_classifier: $BIN not built" >&2
        exit 2
fi
if [ -n "$FASTTEXT" ] && ! command -v "$FASTTEXT" >/dev/null; then
        echo "bench_classifier: fasttext not installed: comparing nothing"
        FASTTEXT=""
fi
mkdir -p "$OUT"
SUMMARY=$OUT/summary.txt
: >"$SUMMARY"

kind_of() { [ "$1" = reuters ] && echo topic || echo section; }

# fastText input: "__label__a __label__b text", lower-cased, punctuation split off.
to_fasttext() {
        jq -r '[(.label | if type == "array" then .[] else . end | gsub(" "; "_") | "__label__" + .)]
               + [((.title + " " + .body) | ascii_downcase | gsub("[^\\p{L}\\p{N}]+"; " "))]
               | join(" ")' "$1"
}

# Single-label: accuracy of the top prediction. Multi-label: micro/macro-F1 of
# labels with probability >= 0.5 (macro over labels present in gold, as ours).
fasttext_score() { # kind gold.txt pred.txt
        awk -v kind="$1" '
        FNR == NR { n++; for (i = 1; i <= NF; i++) if ($i ~ /^__label__/) { g[n, $i] = 1; G[$i] = 1; gl[n] = gl[n] " " $i } ; next }
        { m++; line[m] = $0 }
        END {
                if (kind == "section") {
                        ok = 0
                        for (d = 1; d <= n; d++) { split(line[d], a, " "); if ((d, a[1]) in g) ok++ }
                        printf "accuracy %.4f\n", ok / n
                        exit
                }
                for (d = 1; d <= n; d++) {
                        k = split(line[d], a, " ")
                        delete seen
                        for (i = 1; i <= k; i += 2) {
                                if (a[i] == "") continue
                                seen[a[i]] = 1
                                if ((d, a[i]) in g) { tp++; TPl[a[i]]++ } else { fp++; FPl[a[i]]++ }
                        }
                        k = split(gl[d], b, " ")
                        for (i = 1; i <= k; i++) if (!(b[i] in seen)) { fn++; FNl[b[i]]++ }
                }
                p = tp / (tp + fp + 1e-12); r = tp / (tp + fn + 1e-12)
                nl = 0; macro = 0
                for (l in G) {
                        nl++; pl = TPl[l] / (TPl[l] + FPl[l] + 1e-12); rl = TPl[l] / (TPl[l] + FNl[l] + 1e-12)
                        macro += (pl + rl > 0) ? 2 * pl * rl / (pl + rl) : 0
                }
                printf "micro-F1 %.4f  macro-F1 %.4f\n", 2 * p * r / (p + r + 1e-12), macro / nl
        }' "$2" "$3"
}

run_fasttext() { # dataset kind
        local d=$1 kind=$2 loss=softmax
        [ "$kind" = topic ] && loss=ova
        # fastText does not shuffle and the corpora are grouped by label: shuffle
        # (deterministically) or single-thread SGD forgets all but the last labels.
        to_fasttext "$CORPORA/$d/train.jsonl" | shuf --random-source=<(yes) >"$OUT/$d.ft.train"
        to_fasttext "$CORPORA/$d/dev.jsonl" >"$OUT/$d.ft.dev"
        local t0 t1
        t0=$(date +%s.%N)
        "$FASTTEXT" supervised -input "$OUT/$d.ft.train" -output "$OUT/$d.ft" -epoch 25 -lr 0.5 \
                -wordNgrams 2 -dim 50 -minCount 1 -bucket 200000 -loss $loss -thread 1 -seed 1 \
                -verbose 0 >/dev/null
        t1=$(date +%s.%N)
        sed 's/^\(__label__[^ ]* \)*//' "$OUT/$d.ft.dev" >"$OUT/$d.ft.dev.text"
        if [ "$kind" = topic ]; then
                "$FASTTEXT" predict-prob "$OUT/$d.ft.bin" "$OUT/$d.ft.dev.text" -1 0.5 >"$OUT/$d.ft.pred"
        else
                "$FASTTEXT" predict "$OUT/$d.ft.bin" "$OUT/$d.ft.dev.text" 1 >"$OUT/$d.ft.pred"
        fi
        echo "fastText: $(fasttext_score "$kind" "$OUT/$d.ft.dev" "$OUT/$d.ft.pred")" \
                "(train $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s)"
}

for d in "${DATASETS[@]}"; do
        [ -f "$CORPORA/$d/train.jsonl" ] || { echo "== $d: absent"; continue; }
        kind=$(kind_of "$d")
        echo "== $d ($kind; train $(wc -l <"$CORPORA/$d/train.jsonl"), dev $(wc -l <"$CORPORA/$d/dev.jsonl"))"
        t0=$(date +%s.%N)
        "$BIN" train --input "$CORPORA/$d/train.jsonl" --out "$OUT/$d.json" --kind "$kind" 2>"$OUT/$d.train.log" ||
                { echo "stemtag train failed:"; cat "$OUT/$d.train.log"; continue; }
        t1=$(date +%s.%N)
        ours=$("$BIN" eval --model "$OUT/$d.json" --input "$CORPORA/$d/dev.jsonl" --kind "$kind" --quiet)
        fig=$(echo "$ours" | grep -E '^(accuracy|micro-P)' | sed 's/  (.*//')
        tput=$(echo "$ours" | grep '^throughput' | sed 's/throughput: //')
        size=$(stat -c %s "$OUT/$d.json")
        echo "stemtag:  $fig (train $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s," \
                "model $((size / 1024)) KiB)"
        echo "          $tput"
        ft="(fastText skipped)"
        [ -n "$FASTTEXT" ] && ft=$(run_fasttext "$d" "$kind") && echo "$ft"
        printf '%-14s stemtag: %s | %s\n' "$d" "$fig" "$ft" >>"$SUMMARY"
done

# The shipped taxonomy, no training: BBC labels mapped onto the IPTC sections.
if [ -f "$SRC/config/taxonomy/sections.json" ] && [ -f "$CORPORA/bbc/dev.jsonl" ]; then
        echo "== default taxonomy, zero-shot on bbc dev"
        zs=$("$BIN" eval --model "$SRC/config/taxonomy/sections.json" --input "$CORPORA/bbc/dev.jsonl" \
                --kind section --quiet \
                --map business=economy-business-finance,entertainment=arts-culture-entertainment,tech=science-technology)
        echo "$zs" | grep -E '^(accuracy|throughput)'
        printf '%-14s %s\n' "zero-shot-bbc" "$(echo "$zs" | grep '^accuracy')" >>"$SUMMARY"
fi
echo
echo "== summary (dev splits; models in $OUT)"
cat "$SUMMARY"
