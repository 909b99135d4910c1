#!/usr/bin/env python3
"""validate_schema.py records|deadletters SCHEMA < INPUT

records:     INPUT is one enriched record (JSON) per line.
deadletters: INPUT is kcat -J output (one JSON envelope per line); the
             message headers become an object name -> value and are checked.
Validates every item with python3-jsonschema (Debian), prints the count, and
exits 1 naming the first few failures (Kafka coordinates or line number)."""
import json
import sys

import jsonschema


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("records", "deadletters"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema)
    n, bad = 0, []
    # kcat writes payload bytes as they are; bytes that are not UTF-8 must not stop us
    for lineno, raw in enumerate(sys.stdin.buffer, 1):
        line = raw.decode("utf-8", "surrogateescape").rstrip("\n")
        if not line:
            continue
        where = "line %d" % lineno
        try:
            doc = json.loads(line, strict=False)
        except ValueError as e:
            bad.append("%s: not JSON: %s" % (where, e))
            continue
        if mode == "deadletters":
            where = "%s [%s] @%s" % (doc.get("topic"), doc.get("partition"), doc.get("offset"))
            h = doc.get("headers") or []
            doc = {h[i]: h[i + 1] for i in range(0, len(h) - 1, 2)}
        n += 1
        for err in validator.iter_errors(doc):
            bad.append("%s: %s at %s" % (where, err.message[:300], "/".join(map(str, err.absolute_path)) or "(root)"))
    if bad:
        for b in bad[:10]:
            print("schema %s: %s" % (path.rsplit("/", 1)[-1], b), file=sys.stderr)
        print("%d of %d %s do not validate" % (len(bad), n, mode), file=sys.stderr)
        return 1
    print("%d %s valid against %s" % (n, mode, path.rsplit("/", 1)[-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
