#!/usr/bin/env python3
"""bench_html.py: main-text extraction from real web pages, side by side.

Runs `stemtag classify --format html -X record.body=true` (the worker's own
path) over the shared trafilatura evaluation pages
(../shared/corpora/html/trafilatura-eval, scoring as its SOURCES.md says:
every `with` snippet found in the extraction is a true positive, missing a
false negative; every `without` snippet found a false positive), and the same
pages through trafilatura and readability-lxml from PyPI (installed into a
venv under bench/out/ on first use; --no-peers skips them). Prints precision,
recall, F1 and MB/s of HTML per core for each, and how often a page's tags
agree with the tags of its own extracted text sent as clean text.
Figures only; never fails on them. Throughput of stemtag's extractor alone:
build/bench/bench_html.

  bench/bench_html.py [--no-peers] [--limit N]
"""
import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("STEMTAG_BIN", os.path.join(SRC, "build", "stemtag"))
SHARED = os.environ.get("STEMTAG_SHARED_DIR", os.path.join(SRC, "..", "shared"))
CORPUS = os.path.join(SHARED, "corpora", "html", "trafilatura-eval")
VENV = os.path.join(SRC, "bench", "out", "html-venv")
WS = re.compile(r"\s+")


def norm(s):
    return WS.sub(" ", s or "").strip()


def score(pages, texts):
    tp = fn = fp = tn = 0
    for p, t in zip(pages, texts):
        t = norm(t)
        for s in p["with"]:
            if norm(s) in t:
                tp += 1
            else:
                fn += 1
        for s in p["without"]:
            if norm(s) in t:
                fp += 1
            else:
                tn += 1
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


PEER = r'''
import json, sys, time
pages = [open(p, "rb").read() for p in json.load(open(sys.argv[2]))]
which = sys.argv[1]
# each tool's title and main text, as stemtag's record carries both
if which == "trafilatura":
    import trafilatura
    def run(h):
        d = trafilatura.bare_extraction(h, include_comments=False, with_metadata=True)
        if d is None:
            return ""
        d = d if isinstance(d, dict) else d.as_dict()
        return (d.get("title") or "") + "\n\n" + (d.get("text") or "")
else:
    from readability import Document
    import lxml.html
    def run(h):
        try:
            doc = Document(h)
            return doc.title() + "\n\n" + lxml.html.fromstring(doc.summary()).text_content()
        except Exception:
            return ""
t0 = time.process_time()
out = [run(h) for h in pages]
t = time.process_time() - t0
json.dump({"texts": out, "cpu": t}, sys.stdout)
'''


def ensure_venv():
    py = os.path.join(VENV, "bin", "python")
    if os.path.exists(py):
        return py
    print("bench_html: creating %s (trafilatura, readability-lxml from PyPI)" % VENV, flush=True)
    subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
    subprocess.run([py, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([py, "-m", "pip", "install", "-q", "trafilatura", "readability-lxml",
                    "lxml_html_clean"], check=True)
    return py


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--show", type=int, default=0, help="print N worst pages of stemtag")
    ap.add_argument("extra", nargs="*", help="after --: passed to stemtag classify")
    a = ap.parse_args()
    index = os.path.join(CORPUS, "index.jsonl")
    if not os.path.exists(index):
        print("bench_html: %s absent: no figures (the corpus is not in the repo)" % CORPUS)
        return 0
    pages = [json.loads(l) for l in open(index, encoding="utf-8")]
    if a.limit:
        pages = pages[:a.limit]
    tmp = tempfile.mkdtemp(prefix="bench_html.")
    paths = []
    total = 0
    for i, p in enumerate(pages):
        raw = gzip.open(os.path.join(CORPUS, p["page"])).read()
        total += len(raw)
        path = os.path.join(tmp, "%04d.html" % i)
        open(path, "wb").write(raw)
        paths.append(path)
    mb = total / 1e6
    print("bench_html: %d pages, %.1f MB of HTML (%s)" % (len(pages), mb, CORPUS))

    t0 = time.process_time()
    # the pages as they are: no size limit, ill-formed bytes replaced (pages
    # the worker would dead-letter still count for extraction quality)
    r = subprocess.run([BIN, "classify", "--format", "html", "-X", "record.body=true",
                        "-X", "input.max.bytes=100000000", "-X", "input.utf8.policy=replace"]
                       + a.extra + paths,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=SRC,
                       preexec_fn=None)
    cpu = os.times().children_user + os.times().children_system
    recs = [json.loads(l) for l in r.stdout.decode().split("\n") if l]
    # what the record carries as the article's text: its title and body
    texts = [(x.get("title") or "") + "\n\n" + x.get("body", "") if "error" not in x else ""
             for x in recs]
    P, R, F = score(pages, texts)
    print("%-18s P %.3f  R %.3f  F1 %.3f   %5.1f MB/s (whole classify: parse, extract, "
          "language, tags)" % ("stemtag", P, R, F, mb / cpu if cpu else 0))
    alone = os.path.join(os.path.dirname(BIN), "bench", "bench_html")
    if os.access(alone, os.X_OK):
        out = subprocess.run([alone] + paths, stdout=subprocess.PIPE).stdout.decode()
        for line in out.splitlines()[1:]:
            print("  " + line)
    errors = sum(1 for x in recs if "error" in x)
    if errors:
        print("  %d pages rejected: %s" % (errors, sorted({x["error"]["reason"] for x in recs
                                                          if "error" in x})))

    # Tags of the page vs tags of its own text as a clean article.
    # the same title, body, desk label and language, as a JSON message
    clean = "".join(json.dumps({"title": x.get("title") or "", "body": x.get("body", ""),
                                "section": (x.get("section") or {}).get("source_label"),
                                "language": (x.get("language") or {}).get("code")},
                               ensure_ascii=False) + "\n" for x in recs if "error" not in x)
    r2 = subprocess.run([BIN, "classify", "--format", "jsonl"] + a.extra, input=clean.encode(),
                        stdout=subprocess.PIPE, cwd=SRC, check=True)
    recs2 = [json.loads(l) for l in r2.stdout.decode().split("\n") if l]
    ok = [x for x in recs if "error" not in x]
    same_sec = sum(1 for x, y in zip(ok, recs2)
                   if (x.get("section") or {}).get("id") == (y.get("section") or {}).get("id"))
    same_top = sum(1 for x, y in zip(ok, recs2)
                   if [t["id"] for t in x.get("topics") or []] ==
                   [t["id"] for t in y.get("topics") or []])
    print("  tags of the page = tags of its text as clean JSON: section %d/%d, topics %d/%d"
          % (same_sec, len(ok), same_top, len(ok)))
    if a.show:
        worst = []
        for p, t in zip(pages, texts):
            t = norm(t)
            miss = sum(1 for s in p["with"] if norm(s) not in t)
            bad = sum(1 for s in p["without"] if norm(s) in t)
            worst.append((miss + bad, miss, bad, p["source_file"]))
        for w in sorted(worst, reverse=True)[:a.show]:
            print("   worst: %d missing, %d boilerplate  %s" % (w[1], w[2], w[3]))

    if not a.no_peers:
        try:
            py = ensure_venv()
        except (subprocess.CalledProcessError, OSError) as e:
            print("bench_html: peers not installable here (%s): stemtag figures only" % e)
            return 0
        listing = os.path.join(tmp, "pages.json")
        json.dump(paths, open(listing, "w"))
        for name in ("trafilatura", "readability-lxml"):
            which = "trafilatura" if name == "trafilatura" else "readability"
            r = subprocess.run([py, "-c", PEER, which, listing], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
            if r.returncode:
                print("%-18s failed (exit %d)" % (name, r.returncode))
                continue
            out = json.loads(r.stdout)
            P, R, F = score(pages, out["texts"])
            print("%-18s P %.3f  R %.3f  F1 %.3f   %5.1f MB/s (extraction only)"
                  % (name, P, R, F, mb / out["cpu"] if out["cpu"] else 0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
