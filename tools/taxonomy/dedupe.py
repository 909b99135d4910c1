#!/usr/bin/env python3
"""dedupe.py: merges keywords of one label and language that stem alike (the
loader would merge them anyway, keeping the largest weight; the structural test
tests/unit/test_taxonomy_files.c rejects them so that editors see one entry per
stem). Stems with the system's libstemmer, the same library the worker uses.

  tools/taxonomy/dedupe.py config/taxonomy/lang/xx.json...   (rewrites in place)
"""
import ctypes
import ctypes.util
import json
import sys
import unicodedata

lib = ctypes.CDLL(ctypes.util.find_library("stemmer") or "libstemmer.so.0d")
lib.sb_stemmer_new.restype = ctypes.c_void_p
lib.sb_stemmer_new.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
lib.sb_stemmer_stem.restype = ctypes.POINTER(ctypes.c_ubyte)
lib.sb_stemmer_stem.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
lib.sb_stemmer_length.argtypes = [ctypes.c_void_p]
WORD_CATS = {"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Nd", "Nl", "No"}


def parse(kw):
    s = kw[1:] if kw.startswith("-") else kw
    w = 1.0
    if ":" in s:
        head, _, tail = s.rpartition(":")
        try:
            w = float(tail)
            s = head
        except ValueError:
            pass
    return s, (-w if kw.startswith("-") else w)


def stem_key(st, text):
    folded = unicodedata.normalize("NFC", text).casefold()
    words, cur = [], []
    for ch in folded:
        if unicodedata.category(ch) in WORD_CATS:
            cur.append(ch)
        elif cur:
            words.append("".join(cur))
            cur = []
    if cur:
        words.append("".join(cur))
    out = []
    for w in words:
        if st:
            b = w.encode()
            p = lib.sb_stemmer_stem(st, b, len(b))
            n = lib.sb_stemmer_length(st)
            out.append(bytes(p[:n]).decode("utf-8", "replace") if n > 0 else w)
        else:
            out.append(w)
    return " ".join(out)


def fmt(text, w):
    sign = "-" if w < 0 else ""
    a = abs(w)
    if a == 1.0 and sign == "":
        return text
    return "%s%s:%s" % (sign, text, ("%g" % a))


def dedupe_list(st, lst):
    seen = {}
    out = []
    for kw in lst:
        text, w = parse(kw)
        key = stem_key(st, text)
        if key in seen:
            i = seen[key]
            t0, w0 = parse(out[i])
            if abs(w) > abs(w0) and (w > 0) == (w0 > 0):
                out[i] = fmt(t0, w)
            continue
        seen[key] = len(out)
        out.append(kw)
    return out


def main():
    for path in sys.argv[1:]:
        d = json.load(open(path, encoding="utf-8"))
        lang = d.get("language")
        if not lang:
            continue
        st = lib.sb_stemmer_new(lang.encode(), b"UTF_8") if lang != "*" else None
        removed = 0
        for label, lst in d["keywords"].items():
            new = dedupe_list(st, lst)
            removed += len(lst) - len(new)
            d["keywords"][label] = new
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write('{\n  "format": "stemtag.taxonomy.v1",\n  "language": %s,\n  "keywords": {\n' % json.dumps(lang))
            f.write(",\n".join("    %s: %s" % (json.dumps(k), json.dumps(v, ensure_ascii=False))
                               for k, v in d["keywords"].items()))
            f.write("\n  }\n}\n")
        import os
        os.replace(path + ".tmp", path)
        print("%s: %d duplicate keywords merged" % (path, removed))


if __name__ == "__main__":
    main()
