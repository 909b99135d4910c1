#!/bin/bash
# Container HEALTHCHECK: GET /healthz on the metrics port without curl.
# Port from STEMTAG_METRICS_LISTEN (host:port) when set, else metrics.listen's
# default 9464; path as $1 (default /healthz). Exit 0 only on HTTP 200.
set -u
port=${STEMTAG_METRICS_LISTEN:-0.0.0.0:9464}
port=${port##*:}
path=${1:-/healthz}
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$path" >&3
IFS= read -r -t 5 status <&3 || exit 1
case $status in
"HTTP/1."?" 200 "*) exit 0 ;;
*) exit 1 ;;
esac
