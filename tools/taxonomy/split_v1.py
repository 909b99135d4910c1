#!/usr/bin/env python3
"""One-off (kept for the record): splits the monolithic taxonomy files of
2026.11 (sections.json, topics.json, geo.json) into labels.json plus one
keyword file per language under lang/. Run from the repository root."""
import json, os, sys

LANG_ORDER = "ar hy eu ca da nl en fi fr de el hi hu id ga it lt ne no pt ro ru sr es sv ta tr yi".split()
VERSION = "2026.12.1"


def dump_keyword_file(path, lang, per_label, order):
    with open(path, "w", encoding="utf-8") as f:
        f.write('{\n  "format": "stemtag.taxonomy.v1",\n  "language": %s,\n  "keywords": {\n' % json.dumps(lang))
        rows = ['    %s: %s' % (json.dumps(lid), json.dumps(per_label.get(lid, []), ensure_ascii=False))
                for lid in order]
        f.write(",\n".join(rows))
        f.write("\n  }\n}\n")


def main():
    src = "config/taxonomy"
    labels, aliases, per_lang, order = [], {}, {}, []
    for name in ("sections", "topics", "geo"):
        d = json.load(open(os.path.join(src, name + ".json"), encoding="utf-8"))
        aliases.update(d.get("aliases", {}))
        for l in d["labels"]:
            order.append(l["id"])
            kw = l.pop("keywords", {})
            labels.append(l)
            for lang, words in kw.items():
                per_lang.setdefault(lang, {})[l["id"]] = words
    with open(os.path.join(src, "labels.json"), "w", encoding="utf-8") as f:
        f.write('{\n  "format": "stemtag.taxonomy.v1",\n  "name": "default",\n  "version": "%s",\n' % VERSION)
        f.write('  "aliases": {\n')
        f.write(",\n".join('    %s: %s' % (json.dumps(k), json.dumps(v, ensure_ascii=False)) for k, v in aliases.items()))
        f.write('\n  },\n  "labels": [\n')
        f.write(",\n".join('    ' + json.dumps(l, ensure_ascii=False) for l in labels))
        f.write('\n  ]\n}\n')
    os.makedirs(os.path.join(src, "lang"), exist_ok=True)
    for lang, per_label in per_lang.items():
        dump_keyword_file(os.path.join(src, "lang", lang + ".json"), lang, per_label, order)


if __name__ == "__main__":
    main()
