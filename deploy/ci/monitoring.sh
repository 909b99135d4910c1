#!/usr/bin/env bash
# deploy/ci/monitoring.sh: deploy/monitoring/ checked without a Prometheus
# server: the rules parse (`promtool check rules`), fire where they should
# (`promtool test rules alerts_test.yml`), and the Grafana dashboard is valid
# JSON with a query in every panel. That every metric name they use is
# exported is checked against real scrapes (check_metrics.py, from e2e.sh and
# tests/integration/test_ops_metrics_reload.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mon=$here/../monitoring
command -v promtool >/dev/null || "$here/install.sh"
promtool check rules "$mon/alerts.yml"
(cd "$mon" && promtool test rules alerts_test.yml)
python3 - "$mon/grafana-dashboard.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
bad = [p.get("title") for p in d["panels"] if not p.get("targets") or not all(t.get("expr") for t in p["targets"])]
if bad:
    sys.exit(f"grafana-dashboard.json: panels without a query: {bad}")
print(f"grafana-dashboard.json: {len(d['panels'])} panels, each with a query")
PY
