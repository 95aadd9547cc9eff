#!/usr/bin/env bash
# The third forward-auth figure of BENCHMARKS.md (issue 14): valid verifications from one
# address while another floods bad tokens. Builds tokenboard, serves it on loopback with a
# fresh data folder (demo data and minted tokens), then measures GET /_auth/verify with a
# valid org token (wrk, 16 connections, from 127.0.0.1) alone, and again while scripts/flood
# sends well-formed unknown tokens to the same endpoint from 127.0.0.2.
#
# Usage: scripts/verifyflood.sh   (PORT, DURATION may be set in the environment)
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-19323}
DURATION=${DURATION:-10s}
BASE="http://127.0.0.1:$PORT"
. scripts/demo-server.sh
wrk_work_dir
go build -o "$work/flood" ./scripts/flood
start_demo_server "$work" "$BASE" "$PORT"

URL="$BASE/_auth/verify?scope=org:ci&org=acme"
got=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ORG_TOKEN" "$URL")
[ "$got" = 200 ] || { echo "verify answered $got, want 200"; exit 1; }

verify() { wrk -t1 -c16 -d"$DURATION" -H "Authorization: Bearer $ORG_TOKEN" "$URL"; }
rps() { awk '/^Requests\/sec:/ {print $2}'; }

echo "Machine: $(nproc) CPUs, $(go env GOVERSION), load average $(cut -d' ' -f1-3 /proc/loadavg)"
wrk -t1 -c16 -d3s -H "Authorization: Bearer $ORG_TOKEN" "$URL" >/dev/null # warm up
quiet=$(verify | rps)
echo "verifications alone:         $quiet req/s"
verify >"$work/verify-f.txt" &
vpid=$!
"$work/flood" -url "$URL" -from 127.0.0.2 -c 64 -d "$DURATION" -token "$UNKNOWN_TOKEN" >"$work/flood.txt"
wait "$vpid"
flooded=$(rps <"$work/verify-f.txt")
echo "flood from 127.0.0.2:        $(cat "$work/flood.txt")"
echo "verifications beside it:     $flooded req/s ($(awk -v a="$flooded" -v b="$quiet" 'BEGIN {printf "%.2f", a / b}') x alone)"
non2xx=$(awk '/Non-2xx/ {print $5}' "$work/verify-f.txt")
echo "non-2xx beside the flood:    ${non2xx:-0}"
quiet2=$(verify | rps)
echo "verifications alone, again:  $quiet2 req/s"
