#!/usr/bin/env bash
# Deployment files checked without Docker or a cluster (see check_deploy.py).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/check_deploy.py"
