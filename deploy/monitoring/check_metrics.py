#!/usr/bin/env python3
"""check_metrics.py SCRAPE...: every stemtag_* metric name that alerts.yml and
grafana-dashboard.json use exists in what a real worker's /metrics exported
(SCRAPE: files holding /metrics answers, e.g. from deploy/ci/e2e.sh), and the
dashboard is well-formed (panels with targets, ids unique). Exit 1 naming
each unknown name. A family counts as exported when its # TYPE line is there
(labelled counters such as stemtag_errors_total have no sample until the
first event) and histograms export NAME_bucket/_sum/_count."""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NAME = re.compile(r"\bstemtag_[a-z0-9_]*[a-z0-9]\b")


def exported(paths):
    names = set()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line.startswith("# TYPE "):
                    _, _, name, kind = line.split()[:4]
                    names.add(name)
                    if kind == "histogram":
                        names.update(name + s for s in ("_bucket", "_sum", "_count"))
                elif line and not line.startswith("#"):
                    names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def dashboard_exprs(path):
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    ids, exprs = set(), []
    for p in d["panels"]:
        if p["id"] in ids:
            raise SystemExit(f"{path}: panel id {p['id']} twice")
        ids.add(p["id"])
        if not p.get("targets"):
            raise SystemExit(f"{path}: panel '{p['title']}' has no query")
        exprs += [t["expr"] for t in p["targets"]]
    exprs += [v.get("query", "") for v in d["templating"]["list"]]
    return exprs


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    have = exported(sys.argv[1:])
    if "stemtag_build_info" not in have:
        raise SystemExit("no stemtag_build_info in the scrape: not a Stemtag /metrics answer")
    used = {}
    with open(os.path.join(HERE, "alerts.yml"), encoding="utf-8") as f:
        for n in NAME.findall(f.read()):
            used.setdefault(n, set()).add("alerts.yml")
    for e in dashboard_exprs(os.path.join(HERE, "grafana-dashboard.json")):
        for n in NAME.findall(e):
            used.setdefault(n, set()).add("grafana-dashboard.json")
    missing = sorted(n for n in used if n not in have)
    for n in missing:
        print(f"check_metrics: {n} (used in {', '.join(sorted(used[n]))}) is not exported by /metrics")
    if missing:
        return 1
    print(f"check_metrics: all {len(used)} metric names in alerts.yml and grafana-dashboard.json are exported")
    return 0


if __name__ == "__main__":
    sys.exit(main())
