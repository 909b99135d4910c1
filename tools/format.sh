#!/usr/bin/env bash
# format.sh: the tree's C formatting, with the pinned clang-format (14, Debian 12's;
# other versions lay out some constructs differently, so the version is part of the
# style). `tools/format.sh` rewrites every tracked C/C++ file; `--check` only lists
# the files that differ and exits 1 if there is one (ctest format.check), 77 when
# clang-format-14 is not installed (tools/bootstrap.sh installs it on Debian 12).
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-clang-format-14}
command -v "$CLANG_FORMAT" >/dev/null || { echo "SKIP: $CLANG_FORMAT not installed"; exit 77; }
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cc' | grep -v '^tests/fuzz/corpus/')
if [ "${1:-}" = --check ]; then
	bad=0
	for f in "${files[@]}"; do
		"$CLANG_FORMAT" --dry-run -Werror "$f" >/dev/null 2>&1 || { echo "not formatted: $f"; bad=1; }
	done
	[ $bad = 0 ] && echo "${#files[@]} files formatted as $("$CLANG_FORMAT" --version | head -1)"
	exit $bad
fi
"$CLANG_FORMAT" -i "${files[@]}"
