#!/usr/bin/env python3
"""hostile_compare.py TABLE CLASSIFY_DIR OUT_A DLQ_A OUT_J DLQ_J

TABLE: lines NAME<TAB>AUTO<TAB>JSON (expected answer: "record" or a reason).
CLASSIFY_DIR/NAME: what `stemtag classify` (auto) wrote for message NAME.
OUT_*/DLQ_*: kcat -J dumps of the auto (A) and json (J) workers' output and
dead-letter topics, messages keyed by NAME.

Checks, per row: each worker answered exactly once, as the table says; the
classify answer is the table's auto answer and identical to the auto worker's:
the same reason and message (for too_large the sizes in the message may
differ: classify stops reading at the limit), or the same record apart from
"input" and "processed_at". Prints the table; exits 1 on any mismatch."""
import json
import re
import sys


def load_lines(path):
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode("utf-8", "surrogateescape").rstrip("\n")
            if line:
                yield json.loads(line, strict=False)


def worker_answers(out_path, dlq_path):
    got = {}
    for m in load_lines(out_path):
        got.setdefault(m.get("key"), []).append(("record", json.loads(m["payload"])))
    for m in load_lines(dlq_path):
        h = m.get("headers") or []
        hd = {h[i]: h[i + 1] for i in range(0, len(h) - 1, 2)}
        got.setdefault(m.get("key"), []).append((hd.get("stemtag-reason"), hd.get("stemtag-message")))
    return got


def classify_answer(path):
    with open(path, "rb") as f:
        lines = [l for l in f.read().decode("utf-8", "surrogateescape").split("\n") if l]
    if len(lines) != 1:
        return ("%d lines" % len(lines), None)
    doc = json.loads(lines[0])
    if "error" in doc:
        return (doc["error"]["reason"], doc["error"]["message"])
    return ("record", doc)


def strip(rec):
    return {k: v for k, v in rec.items() if k not in ("input", "processed_at")}


def same(a, b):
    if a[0] != b[0]:
        return False
    if a[0] == "record":
        return strip(a[1]) == strip(b[1])
    if a[0] == "too_large":
        return re.sub(r"[0-9]+", "N", a[1] or "") == re.sub(r"[0-9]+", "N", b[1] or "")
    return a[1] == b[1]


def main():
    table, cdir, out_a, dlq_a, out_j, dlq_j = sys.argv[1:7]
    wa, wj = worker_answers(out_a, dlq_a), worker_answers(out_j, dlq_j)
    rows = [l.rstrip("\n").split("\t") for l in open(table) if l.strip()]
    bad = 0
    fmt = "%-30s %-16s %-16s %-16s %-9s | %-16s %-16s"
    print(fmt % ("input", "auto: expected", "classify", "worker", "identical", "json: expected", "worker"))
    for name, exp_a, exp_j in rows:
        c = classify_answer("%s/%s" % (cdir, name))
        a, j = wa.pop(name, []), wj.pop(name, [])
        a1 = a[0] if len(a) == 1 else ("%d answers" % len(a), None)
        j1 = j[0] if len(j) == 1 else ("%d answers" % len(j), None)
        ident = same(c, a1)
        ok = c[0] == exp_a and a1[0] == exp_a and j1[0] == exp_j and ident
        print(fmt % (name, exp_a, c[0], a1[0], "yes" if ident else "NO", exp_j, j1[0]) + ("" if ok else "   <-- MISMATCH"))
        if not ok:
            bad += 1
            if not ident:
                print("    classify: %.300s" % (c[1] if c[0] != "record" else json.dumps(strip(c[1]))))
                print("    worker:   %.300s" % (a1[1] if a1[0] != "record" else json.dumps(strip(a1[1]))))
    for label, left in (("auto", wa), ("json", wj)):
        if left:
            bad += 1
            print("%s worker answered keys not in the table: %s" % (label, sorted(map(str, left))[:5]))
    print("%d rows, %d mismatches" % (len(rows), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
