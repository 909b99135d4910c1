#!/usr/bin/env python3
"""fit_confidence.py: fits the logistic confidence coefficients of
worker/core/classify.h (CONF_SECTION_*, CONF_TOPIC_*) on the shared corpora's
train+dev files (never test splits), from `stemtag classify --explain` of the
default taxonomy. Prints the coefficients to paste into classify.h; the
resulting calibration is measured by bench/bench_zeroshot.py.

Sections: every scored article of sib200-all, bbc, xglue-nc-de and
de-headlines (each corpus weighted equally); topics: the five Reuters topics
with a gold counterpart. These are a handful of calibration constants, like
thresholds; no keyword weight is learned from the corpora.

  tools/taxonomy/fit_confidence.py [--max-per-corpus N]
"""
import argparse
import math
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import bench_zeroshot as bz  # noqa: E402

CONF_EVIDENCE_CAP = 8   # worker/core/classify.h
CONF_SHORT_TOKENS = 16  # worker/core/classify.h


def section_rows(corpus, docs, recs):
    m = bz.SECTION_MAPS[corpus]
    rows = []
    for d, r in zip(docs, recs):
        if d["label"] not in m or not isinstance(r.get("section"), dict):
            continue
        sec = r["section"]
        labels = r["explain"]["labels"]
        me = next(l for l in labels if l["id"] == sec["id"])
        others = [l["score"] for l in labels if l["kind"] == "section" and l["id"] != sec["id"]]
        runner = max([0.0] + others)
        n_ev = sum(1 for c in me["contributions"] if c["weight"] > 0)
        s = sec["score"]
        margin = (s - max(runner, 0.0)) / s if s > 0 else 0.0
        # evidence: ln of the distinct keywords (capped), so that the third and
        # fourth keyword still count; short: a headline or one-line item (fewer
        # than CONF_SHORT_TOKENS tokens) gives the section less context
        x = [1.0, math.log1p(s), margin, math.log(min(max(n_ev, 1), CONF_EVIDENCE_CAP)),
             1.0 if r["explain"]["tokens"] < CONF_SHORT_TOKENS else 0.0]
        rows.append((x, 1.0 if sec["id"] in m[d["label"]] else 0.0))
    return rows


def topic_rows(docs, recs):
    rows = []
    for d, r in zip(docs, recs):
        gold = set(d["label"])
        topics = r.get("topics") or []
        if not topics:
            continue
        best = topics[0]["score"]
        expl = {l["id"]: l for l in r["explain"]["labels"]}
        for t in topics:
            if t["id"] not in bz.REUTERS_TOPICS:
                continue
            e = expl[t["id"]]
            n_ev = sum(1 for c in e["contributions"] if c["weight"] > 0)
            over = t["score"] / e["threshold"] if e["threshold"] > 0 else t["score"]
            # the evidence count is left out (coefficient 0): on these five
            # topics it came out negative given the score, and a confidence
            # must not fall when more keywords speak for a tag
            x = [1.0, math.log(max(over, 1e-9)), t["score"] / best, 0.0]
            rows.append((x, 1.0 if gold & bz.REUTERS_TOPICS[t["id"]] else 0.0))
    return rows


def fit(rows, weights, iters=3000, lr=0.5, l2=1e-3):
    k = len(rows[0][0])
    b = [0.0] * k
    wsum = sum(weights)
    for _ in range(iters):
        g = [0.0] * k
        for (x, y), w in zip(rows, weights):
            z = sum(bi * xi for bi, xi in zip(b, x))
            p = 1.0 / (1.0 + math.exp(-max(min(z, 30), -30)))
            for i in range(k):
                g[i] += w * (p - y) * x[i]
        for i in range(k):
            b[i] -= lr * (g[i] / wsum + l2 * b[i])
    return b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-per-corpus", type=int, default=4000)
    a = ap.parse_args()
    rnd = random.Random(1)
    rows, weights = [], []
    for corpus in ["sib200-all", "bbc", "xglue-nc-de", "de-headlines"]:
        docs = bz.read_gold(corpus, ["train", "dev"])
        rnd.shuffle(docs)
        docs = docs[:a.max_per_corpus * 3]
        recs = bz.classify(docs, ["--explain"])
        rs = section_rows(corpus, docs, recs)[:a.max_per_corpus]
        print("%s: %d section tags, %.3f right" % (corpus, len(rs), sum(y for _, y in rs) / max(len(rs), 1)))
        rows += rs
        weights += [1.0 / len(rs)] * len(rs)
    b = fit(rows, weights)
    print("#define CONF_SECTION_B0         (%.3f)" % b[0])
    print("#define CONF_SECTION_B_SCORE    %.3f" % b[1])
    print("#define CONF_SECTION_B_MARGIN   %.3f" % b[2])
    print("#define CONF_SECTION_B_EVIDENCE %.3f" % b[3])
    print("#define CONF_SECTION_B_SHORT    (%.3f)" % b[4])
    docs = bz.read_gold("reuters", ["train", "dev"])
    recs = bz.classify(docs, ["--explain"])
    rt = topic_rows(docs, recs)
    print("reuters: %d topic tags, %.3f right" % (len(rt), sum(y for _, y in rt) / max(len(rt), 1)))
    b = fit(rt, [1.0] * len(rt))
    print("#define CONF_TOPIC_B0           (%.3f)" % b[0])
    print("#define CONF_TOPIC_B_SCORE      %.3f" % b[1])
    print("#define CONF_TOPIC_B_REL        %.3f" % b[2])
    print("#define CONF_TOPIC_B_EVIDENCE   %.3f" % b[3])  # 0: left out (see topic_rows)


if __name__ == "__main__":
    main()
