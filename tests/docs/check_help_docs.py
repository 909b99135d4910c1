#!/usr/bin/env python3
"""Every option a command's --help lists is in that command's reference section
(docs/), and every command `stemtag --help` lists has a reference section, so
the two cannot drift apart. Usage: check_help_docs.py STEMTAG_BINARY SOURCE_DIR"""
import re
import subprocess
import sys

BIN, SRC = sys.argv[1], sys.argv[2]

# command -> [(doc file, heading regex of its section)]
SECTIONS = {
    "run": [("docs/worker.md", r"^# "), ("docs/configuration.md", r"^## Configuration")],
    "classify": [("docs/commands.md", r"^## `stemtag classify`")],
    "taxonomy": [("docs/commands.md", r"^## `stemtag taxonomy`")],
    "diff": [("docs/commands.md", r"^## `stemtag diff`")],
    "replay": [("docs/commands.md", r"^## `stemtag replay`")],
    "train": [("docs/commands.md", r"^## `stemtag train`"),
              ("docs/classifier.md", r"^## Learning weights: `stemtag train`")],
    "eval": [("docs/classifier.md", r"^## Measuring: `stemtag eval`")],
    "train-lang": [("docs/langid.md", r"^## Regenerate the model")],
    "check-config": [("docs/configuration.md", r"^## Configuration")],
}


def section(path, heading):
    """The lines from the heading to the next heading of the same or a higher level."""
    lines = open(f"{SRC}/{path}", encoding="utf-8").read().splitlines()
    start = next((i for i, l in enumerate(lines) if re.match(heading, l)), None)
    if start is None:
        return None
    level = len(lines[start]) - len(lines[start].lstrip("#"))
    out = [lines[start]]
    for l in lines[start + 1:]:
        m = re.match(r"^(#+) ", l)
        if m and len(m.group(1)) <= level:
            break
        out.append(l)
    return "\n".join(out)


def run_help(*args):
    return subprocess.run([BIN, *args, "--help"], capture_output=True, text=True, check=True).stdout


top = run_help()
commands = re.findall(r"^  ([a-z][a-z-]+)\s{2,}", top.split("Commands:")[1].split("\n\n")[0], re.M)
failures = []
for cmd in commands:
    if cmd not in SECTIONS:
        failures.append(f"{cmd}: listed by `stemtag --help` but has no reference section here")
        continue
    text = ""
    for path, heading in SECTIONS[cmd]:
        s = section(path, heading)
        if s is None:
            failures.append(f"{cmd}: {path} has no section matching {heading!r}")
        else:
            text += s + "\n"
    helptext = run_help(cmd)
    opts = sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+)", helptext)) - {"--help"})
    # "-c, --config FILE": the reference may use either form
    short = {l: s for s, l in re.findall(r"(?<![\w-])(-[a-zA-Z]), (--[a-z][a-z0-9-]+)", helptext)}

    def documented(o):
        forms = [o] + ([short[o]] if o in short else [])
        return any(re.search(r"(?<![\w-])" + re.escape(f) + r"(?![\w-])", text) for f in forms)

    missing = [o for o in opts if not documented(o)]
    print(f"{cmd:13} {len(opts):2} options in --help, {len(opts) - len(missing)} in its reference"
          + (f"; missing: {' '.join(missing)}" if missing else ""))
    if missing:
        failures.append(f"{cmd}: --help options not in {', '.join(p for p, _ in SECTIONS[cmd])}: "
                        + " ".join(missing))
for cmd in SECTIONS:
    if cmd not in commands:
        failures.append(f"{cmd}: has a reference section but `stemtag --help` does not list it")
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
