#!/usr/bin/env bash
# Deployment files checked without Docker or a cluster (see check_deploy.py).
# Skipped (77) where python3 is absent, e.g. the image's build stage.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
exec python3 "$here/check_deploy.py"
