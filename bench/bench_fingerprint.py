#!/usr/bin/env python3
"""bench_fingerprint.py: how well the record's fingerprint (SimHash v1,
docs/formats.md "Fingerprint") tells near-duplicates from unrelated articles
on the shared news corpora (train+dev; test splits are never read).

For a sample of articles per corpus it makes light edits of each one
  ws        whitespace changed (spaces doubled, line breaks moved)
  headline  the title replaced by another article's title
  paragraph one paragraph dropped (a line-separated block when the body has
            three or more; else a run of a fifth of its sentences)
  reword    one sentence reworded: two words replaced, two neighbours swapped
  all3      headline + paragraph + reword together
and pairs of unrelated articles from the same corpus, runs everything through
`stemtag classify` (the worker's own path, language detected as in
production), and prints the Hamming distance distribution of each kind, then
for thresholds t the false-duplicate rate (unrelated pairs with distance <= t)
and the miss rate (edited pairs with distance > t). Headline-only corpora
(de-headlines, sib200) get the unrelated distribution only: a headline has no
paragraph to drop. Prints figures; never fails on them.

  bench/bench_fingerprint.py [--corpus NAME]... [--sample N] [--seed S]

Env: STEMTAG_BIN (default build/stemtag), STEMTAG_SHARED_DIR (default ../shared).
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("STEMTAG_BIN", os.path.join(SRC, "build", "stemtag"))
SHARED = os.environ.get("STEMTAG_SHARED_DIR", os.path.join(SRC, "..", "shared"))
NEWS = os.path.join(SHARED, "corpora", "news")
LONG = ["bbc", "reuters", "xglue-nc-de"]
SHORT = ["de-headlines", "sib200"]
EDITS = ["ws", "headline", "paragraph", "reword", "all3"]
LIGHT = ["ws", "headline", "paragraph", "reword"]


def read(corpus):
    docs = []
    for split in ("dev", "train"):
        path = os.path.join(NEWS, corpus, split + ".jsonl")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                docs += [json.loads(line) for line in f if line.strip()]
    return docs


def sentences(body):
    return [s for s in re.split(r"(?<=[.!?])\s+", body) if s]


def drop_paragraph(body, rnd):
    paras = [p for p in body.split("\n") if p.strip()]
    if len(paras) >= 3:
        del paras[rnd.randrange(len(paras))]
        return "\n".join(paras)
    sents = sentences(body)
    if len(sents) < 3:
        return None
    k = max(1, len(sents) // 5)
    i = rnd.randrange(len(sents) - k + 1)
    return " ".join(sents[:i] + sents[i + k:])


def reword(body, rnd, donor):
    sents = sentences(body)
    if not sents:
        return None
    cand = [i for i, s in enumerate(sents) if len(s.split()) >= 6] or list(range(len(sents)))
    i = rnd.choice(cand)
    words = sents[i].split()
    dwords = donor.split() or ["item"]
    if len(words) < 3:
        return None
    for _ in range(2):
        words[rnd.randrange(len(words))] = rnd.choice(dwords)
    j = rnd.randrange(len(words) - 1)
    words[j], words[j + 1] = words[j + 1], words[j]
    sents[i] = " ".join(words)
    return " ".join(sents)


def respace(text, rnd):
    return re.sub(r"\s+", lambda m: rnd.choice(["  ", "\n", " \t", "   "]), text) + "\n"


def fingerprints(items):
    payload = "".join(json.dumps({"title": t, "body": b}, ensure_ascii=False) + "\n"
                      for t, b in items)
    out = subprocess.run([BIN, "classify", "-c", "config/stemtag.conf", "--format", "jsonl"],
                         input=payload.encode(), stdout=subprocess.PIPE, check=True, cwd=SRC)
    recs = [json.loads(line) for line in out.stdout.decode().split("\n") if line]
    if len(recs) != len(items):
        sys.exit("bench_fingerprint: %d records for %d articles" % (len(recs), len(items)))
    return [int(r["fingerprint"]["simhash"], 16) if r.get("fingerprint") else None
            for r in recs]


def dist(a, b):
    return bin(a ^ b).count("1") if a is not None and b is not None else None


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")


def summary(name, v):
    if not v:
        return
    print("  %-10s n=%5d  min %2d  p1 %2d  p5 %2d  median %2d  p95 %2d  p99 %2d  max %2d  mean %5.2f"
          % (name, len(v), min(v), pct(v, .01), pct(v, .05), pct(v, .5), pct(v, .95), pct(v, .99),
             max(v), sum(v) / len(v)))


def run_corpus(corpus, n, seed, pooled):
    docs = [d for d in read(corpus) if (d.get("title") or d.get("body"))]
    if not docs:
        print("%s: not found under %s: skipped" % (corpus, NEWS))
        return
    rnd = random.Random("%s/%d" % (corpus, seed))
    sample = rnd.sample(docs, min(n, len(docs)))
    long = corpus not in SHORT
    items, jobs = [], []  # jobs: (kind, index of a, index of b)

    def add(t, b):
        items.append((t or "", b or ""))
        return len(items) - 1

    for d in sample:
        t, b = d.get("title") or "", d.get("body") or ""
        base = add(t, b)
        if long:
            donor = rnd.choice(docs)
            dt, db = donor.get("title") or "", donor.get("body") or ""
            jobs.append(("ws", base, add(respace(t, rnd), respace(b, rnd))))
            if dt and dt != t:
                jobs.append(("headline", base, add(dt, b)))
            p = drop_paragraph(b, rnd)
            if p:
                jobs.append(("paragraph", base, add(t, p)))
            r = reword(b, rnd, db)
            if r:
                jobs.append(("reword", base, add(t, r)))
            if dt and dt != t and p:
                r3 = reword(p, rnd, db)
                if r3:
                    jobs.append(("all3", base, add(dt, r3)))
    seen = set()
    for _ in range(len(sample) * 2):
        a, b = rnd.sample(docs, 2)
        if (a.get("title"), a.get("body")) == (b.get("title"), b.get("body")):
            continue  # the corpus's own exact duplicates are not unrelated
        key = (a["id"], b["id"])
        if key in seen:
            continue
        seen.add(key)
        jobs.append(("unrelated", add(a.get("title"), a.get("body")), add(b.get("title"),
                                                                          b.get("body"))))
    fps = fingerprints(items)
    by = {}
    for kind, i, j in jobs:
        d = dist(fps[i], fps[j])
        if d is not None:
            by.setdefault(kind, []).append(d)
    print("%s: %d articles sampled (%s)" % (corpus, len(sample),
                                           "title + body" if long else "headline/sentence only"))
    for kind in EDITS + ["unrelated"]:
        summary(kind, by.get(kind, []))
        pooled.setdefault((long, kind), []).extend(by.get(kind, []))


def thresholds(name, unrel, edited, all3):
    print("%s: threshold t (near-duplicate when distance <= t)" % name)
    print("  %3s %12s %12s %12s" % ("t", "false-dup", "miss light", "miss all3"))
    best = None
    for t in range(2, 21):
        fd = sum(d <= t for d in unrel) / len(unrel)
        miss = sum(d > t for d in edited) / len(edited) if edited else 0.0
        m3 = sum(d > t for d in all3) / len(all3) if all3 else 0.0
        print("  %3d %11.3f%% %11.2f%% %11.2f%%" % (t, 100 * fd, 100 * miss, 100 * m3))
        if best is None or fd + miss < best[1]:
            best = (t, fd + miss, fd, miss)
    print("  lowest false-dup + miss(light): t = %d (false-dup %.3f %%, miss %.2f %%)"
          % (best[0], 100 * best[2], 100 * best[3]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", action="append")
    ap.add_argument("--sample", type=int, default=600)
    ap.add_argument("--seed", type=int, default=16)
    a = ap.parse_args()
    if not os.path.isdir(NEWS):
        print("bench_fingerprint: no corpora under %s: no figures" % NEWS)
        return 0
    pooled = {}
    for c in a.corpus or LONG + SHORT:
        run_corpus(c, a.sample, a.seed, pooled)
    unrel = pooled.get((True, "unrelated"), [])
    if unrel:
        edited = [d for k in LIGHT for d in pooled.get((True, k), [])]
        print("pooled, title + body corpora:")
        for kind in EDITS + ["unrelated"]:
            summary(kind, pooled.get((True, kind), []))
        thresholds("pooled, title + body corpora", unrel, edited, pooled.get((True, "all3"), []))
    short = pooled.get((False, "unrelated"), [])
    if short:
        print("headline-only corpora, unrelated pairs: false-dup at t=3/6/9/12: %s" % " / ".join(
            "%.3f %%" % (100 * sum(d <= t for d in short) / len(short)) for t in (3, 6, 9, 12)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
