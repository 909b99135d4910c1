#!/usr/bin/env bash
# The README's command blocks marked `<!-- runnable ... -->` run as written, so
# they cannot go stale: each block runs from the source root in bash -e, with
# only what must differ per run substituted (the build directory, and for the
# worker walkthrough the broker directory and metrics port, so parallel runs
# never meet). Then the output is checked: every classify record tagged, the
# walkthrough's 8 records out and its metrics showing them.
set -euo pipefail
src=${STEMTAG_SOURCE_DIR:?} build=${STEMTAG_BUILD_DIR:?}
cd "$src"
[ -d ../shared/examples ] || { echo "SKIP: ../shared (examples) not beside the repository"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp" <<'PY'
import re, sys
s = open("README.md", encoding="utf-8").read()
blocks = re.findall(r"<!-- runnable[^>]*-->\n```sh\n(.*?)```", s, re.S)
assert len(blocks) >= 3, "README: expected the classify, worker and diff blocks marked runnable"
for i, b in enumerate(blocks):
    open(f"{sys.argv[1]}/block{i}.sh", "w").write(b)
PY

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
fail=0
for block in "$tmp"/block*.sh; do
	name=$(basename "$block" .sh)
	script=$tmp/$name.run.sh
	{
		# cleanup by pid of what the block started, whatever happens
		echo 'trap '\''set +e; [ -z "${WORKER:-}" ] || kill "$WORKER" 2>/dev/null; [ -z "${KDIR:-}" ] || deploy/kafka/kafka.sh stop --dir "$KDIR" >/dev/null 2>&1'\'' EXIT'
		sed -e "s#\\bbuild/stemtag#$build/stemtag#g" \
			-e "s#^KDIR=/tmp/stemtag-kafka METRICS=127.0.0.1:9464#KDIR=$tmp/kafka METRICS=127.0.0.1:$(free_port)#" "$block"
	} >"$script"
	echo "== $name"
	if ! timeout 300 bash -eo pipefail "$script" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
		echo "FAIL: README block $name exited non-zero"; cat "$script" "$tmp/$name.err"; fail=1; continue
	fi
	if grep -q 'stemtag classify' "$block"; then
		# every record is tagged: a language and a section, never an error
		python3 - "$tmp/$name.out" <<'PY' || fail=1
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
bad = [r.get("id") for r in recs if "error" in r or not r.get("section") or not r.get("language")]
print(f"{len(recs)} records, untagged: {bad}")
sys.exit(1 if bad or len(recs) < 3 else 0)
PY
	fi
	if grep -q 'stemtag run' "$block"; then
		n=$(grep -c '^{"schema":"stemtag.article.v1"' "$tmp/$name.out" || true)
		echo "$n enriched records printed"
		[ "$n" -eq 8 ] || { echo "FAIL: expected 8 records"; cat "$tmp/$name.out"; fail=1; }
		grep -qx 'stemtag_messages_produced_total 8' "$tmp/$name.out" ||
			{ echo "FAIL: /metrics does not show 8 produced"; fail=1; }
	fi
	if grep -q 'stemtag diff' "$block"; then
		# `|| echo` keeps the block's exit 0: the printed line is what can fail
		grep -qx 'exit 4 (changed beyond tolerance)' "$tmp/$name.out" ||
			{ echo "FAIL: diff block did not report exit 4"; cat "$tmp/$name.out"; fail=1; }
	fi
done
exit $fail
