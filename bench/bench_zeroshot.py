#!/usr/bin/env python3
"""bench_zeroshot.py: the default taxonomy, zero-shot (no training), on the
shared news corpora (train+dev; test splits are never read). Runs
`stemtag classify` -- the worker's own pipeline, language detected as in
production -- and prints accuracy, null rate, per-label precision/recall/F1,
confusions, per-language accuracy (sib200-all) and, for tags that carry a
confidence, a reliability table with the expected calibration error.
Prints figures; never fails on them.

  bench/bench_zeroshot.py [--corpus NAME]... [--split train,dev] [--quiet]
                          [-- extra stemtag classify arguments, e.g. -X k=v]

Env: STEMTAG_BIN (default build/stemtag), STEMTAG_SHARED_DIR (default ../shared).
Label mappings are the ones of issues 13 and 19 (see bench/README.md).
"""
import argparse
import collections
import json
import os
import subprocess
import sys

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("STEMTAG_BIN", os.path.join(SRC, "build", "stemtag"))
SHARED = os.environ.get("STEMTAG_SHARED_DIR", os.path.join(SRC, "..", "shared"))
NEWS = os.path.join(SHARED, "corpora", "news")

# gold label -> set of accepted sections; labels absent here are not scored.
SECTION_MAPS = {
    "bbc": {
        "business": {"economy-business-finance"},
        "entertainment": {"arts-culture-entertainment"},
        "politics": {"politics"},
        "sport": {"sport"},
        "tech": {"science-technology"},
    },
    "de-headlines": {
        "Inland": {"politics"},
        "International": {"politics", "conflict-war-peace"},
        "Kultur": {"arts-culture-entertainment"},
        "Wirtschaft": {"economy-business-finance"},
        "Sport": {"sport"},
        "Wissenschaft": {"science-technology", "health", "environment"},
        "Digital": {"science-technology"},
    },
    "xglue-nc-de": {
        "sports": {"sport"},
        "entertainment": {"arts-culture-entertainment"},
        "finance": {"economy-business-finance"},
        "health": {"health"},
        "lifestyle": {"lifestyle-leisure"},
        "travel": {"lifestyle-leisure"},
    },
    "sib200-all": {
        "science/technology": {"science-technology"},
        "politics": {"politics", "conflict-war-peace"},
        "sports": {"sport"},
        "health": {"health"},
        "entertainment": {"arts-culture-entertainment", "lifestyle-leisure"},
    },
}
# topic -> gold Reuters codes that make it right
REUTERS_TOPICS = {
    "energy": {"crude", "nat-gas", "fuel", "gas", "heat", "propane", "jet", "naphtha"},
    "trade": {"trade"},
    "central-banks": {"interest"},
    "transport": {"ship"},
    "agriculture": {"grain", "wheat", "corn", "soybean", "oilseed", "rice", "barley",
                    "sorghum", "cotton", "coffee", "cocoa", "sugar", "veg-oil", "livestock",
                    "carcass"},
}
CORPORA = ["bbc", "xglue-nc-de", "de-headlines", "sib200-all", "reuters"]


def read_gold(corpus, splits):
    docs = []
    for split in splits:
        path = os.path.join(NEWS, corpus, split + ".jsonl")
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    docs.append(json.loads(line))
    return docs


def classify(docs, extra):
    """Records from `stemtag classify` for docs, in order."""
    payload = "".join(
        json.dumps({"id": d["id"], "title": d.get("title", ""), "body": d.get("body", "")},
                   ensure_ascii=False) + "\n" for d in docs)
    out = subprocess.run([BIN, "classify", "--format", "jsonl"] + extra,
                         input=payload.encode(), stdout=subprocess.PIPE, check=True, cwd=SRC)
    recs = [json.loads(line) for line in out.stdout.decode().split("\n") if line]
    if len(recs) != len(docs):
        sys.exit("bench_zeroshot: %d records for %d articles" % (len(recs), len(docs)))
    return recs


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


class Calib:
    """Reliability of confidences: bins of 0.1, ECE over all tags."""

    def __init__(self):
        self.bins = [[0, 0, 0.0] for _ in range(10)]  # n, right, sum conf

    def add(self, conf, right):
        if conf is None:
            return
        b = min(int(conf * 10), 9)
        self.bins[b][0] += 1
        self.bins[b][1] += 1 if right else 0
        self.bins[b][2] += conf

    def report(self, name):
        n = sum(b[0] for b in self.bins)
        if not n:
            return
        ece = sum(abs(b[1] / b[0] - b[2] / b[0]) * b[0] / n for b in self.bins if b[0])
        hi = [b for b in self.bins[9:]]
        hin = sum(b[0] for b in hi)
        hir = sum(b[1] for b in hi)
        print("  calibration (%s): %d tags, ECE %.3f; confidence >= 0.9: %d tags, %.1f %% right"
              % (name, n, ece, hin, 100.0 * hir / hin if hin else 0.0))
        print("    %-9s %6s %8s %8s" % ("conf", "tags", "mean", "right"))
        for i, b in enumerate(self.bins):
            if b[0]:
                print("    [%.1f,%.1f) %6d %8.3f %8.3f" % (i / 10, (i + 1) / 10, b[0], b[2] / b[0],
                                                    b[1] / b[0]))


def conf_of(tag):
    c = tag.get("confidence") if isinstance(tag, dict) else None
    return c if isinstance(c, (int, float)) else None


def eval_sections(corpus, docs, recs, quiet):
    m = SECTION_MAPS[corpus]
    ok = n = nulls = 0
    per_lang = collections.defaultdict(lambda: [0, 0])
    tp = collections.Counter()
    fp = collections.Counter()
    fn = collections.Counter()
    confusion = collections.Counter()
    calib = Calib()
    for d, r in zip(docs, recs):
        gold = d["label"]
        if gold not in m:
            continue
        sec = r.get("section")
        pred = sec["id"] if isinstance(sec, dict) else None
        right = pred in m[gold]
        n += 1
        ok += right
        nulls += pred is None
        pl = per_lang[d.get("lang", "?")]
        pl[0] += 1
        pl[1] += right
        if pred is not None:
            calib.add(conf_of(sec), right)
        if right:
            tp[gold] += 1
        else:
            fn[gold] += 1
            if pred is not None:
                # a wrong section is a false positive of every gold label it is accepted for
                for g, acc in m.items():
                    if pred in acc:
                        fp[g] += 1
            confusion[(gold, pred or "(none)")] += 1
    print("%s: sections, %d scored articles: accuracy %.3f, section null %.1f %%"
          % (corpus, n, ok / n if n else 0, 100.0 * nulls / n if n else 0))
    if len(per_lang) > 1:
        accs = {lang: v[1] / v[0] for lang, v in per_lang.items()}
        macro = sum(accs.values()) / len(accs)
        print("  per language (macro %.3f, min %.3f %s):" % (
            macro, min(accs.values()), min(accs, key=accs.get)))
        row = sorted(accs.items())
        for i in range(0, len(row), 7):
            print("    " + "  ".join("%s %.3f" % kv for kv in row[i:i + 7]))
    if not quiet:
        print("  %-16s %6s %6s %6s %6s" % ("gold", "P", "R", "F1", "n"))
        for g in m:
            p, rr, f = prf(tp[g], fp[g], fn[g])
            print("  %-16s %6.3f %6.3f %6.3f %6d" % (g, p, rr, f, tp[g] + fn[g]))
        print("  top confusions (gold -> predicted):")
        for (g, p), c in confusion.most_common(8):
            print("    %-16s -> %-28s %5d" % (g, p, c))
    calib.report("section")
    return ok / n if n else 0.0


def eval_reuters(docs, recs, quiet):
    tp = collections.Counter()
    fp = collections.Counter()
    fn = collections.Counter()
    ntopics = 0
    calib = Calib()
    for d, r in zip(docs, recs):
        gold = set(d["label"])
        pred = {}
        for t in r.get("topics") or []:
            pred[t["id"]] = t
        ntopics += len(pred)
        for topic, codes in REUTERS_TOPICS.items():
            g = bool(gold & codes)
            p = topic in pred
            if p:
                calib.add(conf_of(pred[topic]), g)
            if g and p:
                tp[topic] += 1
            elif p:
                fp[topic] += 1
            elif g:
                fn[topic] += 1
    P, R, F = prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    print("reuters: 5 topics, %d articles: micro-F1 %.3f (P %.3f, R %.3f); %.2f topics per article"
          % (len(docs), F, P, R, ntopics / len(docs)))
    if not quiet:
        print("  %-16s %6s %6s %6s %6s" % ("topic", "P", "R", "F1", "gold"))
        for t in REUTERS_TOPICS:
            p, rr, f = prf(tp[t], fp[t], fn[t])
            print("  %-16s %6.3f %6.3f %6.3f %6d" % (t, p, rr, f, tp[t] + fn[t]))
    calib.report("topic")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", action="append", choices=CORPORA)
    ap.add_argument("--split", default="train,dev")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--lang", action="append", help="sib200-all: only these languages")
    ap.add_argument("extra", nargs="*", help="after --: passed to stemtag classify")
    a = ap.parse_args()
    if not os.path.isdir(NEWS):
        print("bench_zeroshot: %s absent: no figures (corpora are not in the repo)" % NEWS)
        return 0
    if not os.access(BIN, os.X_OK):
        sys.exit("bench_zeroshot: %s not built" % BIN)
    for corpus in a.corpus or CORPORA:
        if not os.path.isdir(os.path.join(NEWS, corpus)):
            print("%s: absent, skipped" % corpus)
            continue
        docs = read_gold(corpus, a.split.split(","))
        if a.lang and corpus == "sib200-all":
            docs = [d for d in docs if d.get("lang") in a.lang]
        recs = classify(docs, a.extra)
        if corpus == "reuters":
            eval_reuters(docs, recs, a.quiet)
        else:
            eval_sections(corpus, docs, recs, a.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
