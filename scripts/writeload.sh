#!/usr/bin/env bash
# The write-load and flood tests of BENCHMARKS.md ("Writes under load", "A flood of bad
# tokens"). Builds tokenboard, serves it on loopback with a fresh data folder (demo data and
# minted tokens), then:
#
#   reads     wrk, 16 connections: GET /api/0/organizations/acme/ with a user token, alone
#   writes    wrk, 64 connections: POST /api/0/organizations/acme/org-auth-tokens/ with an
#             owner's session (each creation writes the token, an audit entry and one email per
#             owner), while the same reads run beside it
#   flood     the reads again while scripts/flood sends well-formed unknown tokens from
#             127.0.0.2 (wrk cannot choose its source address)
#
# Usage: scripts/writeload.sh   (PORT, DURATION may be set in the environment)
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-19322}
DURATION=${DURATION:-30s}
BASE="http://127.0.0.1:$PORT"
. scripts/demo-server.sh
wrk_work_dir
go build -o "$work/flood" ./scripts/flood
start_demo_server "$work" "$BASE" "$PORT"

# An owner's session: a browser's same-origin request passes the CSRF check by its
# Sec-Fetch-Site header, so wrk sends that header with the session cookie.
curl -s -o /dev/null -c "$work/jar" -H 'Sec-Fetch-Site: same-origin' -H "Origin: $BASE" \
  --data-urlencode 'email=owner@acme.test' --data-urlencode 'password=tokenboard-demo' "$BASE/auth/login/"
# curl writes HttpOnly cookies (the session's and the CSRF cookie) as "#HttpOnly_<domain>" lines.
COOKIE=$(sed 's/^#HttpOnly_//' "$work/jar" | awk '!/^#/ && NF >= 7 {printf "%s%s=%s", sep, $6, $7; sep="; "}')
[ -n "$COOKIE" ] || { echo "sign-in failed"; exit 1; }
export COOKIE BASE


got=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Cookie: $COOKIE" -H 'Sec-Fetch-Site: same-origin' \
  -H "Origin: $BASE" -H 'Content-Type: application/json' -d '{"name":"probe"}' "$BASE/api/0/organizations/acme/org-auth-tokens/")
[ "$got" = 201 ] || { echo "token creation answered $got, want 201"; exit 1; }

reads() { wrk -t1 -c16 -d"$DURATION" --latency -H "Authorization: Bearer $USER_TOKEN" "$BASE/api/0/organizations/acme/"; }
rps() { awk '/^Requests\/sec:/ {print $2}'; }

echo "Machine: $(nproc) CPUs, $(go env GOVERSION), wrk $(dpkg-query -W -f='${Version}' wrk 2>/dev/null || echo '?')"
wrk -t1 -c16 -d3s "$BASE/_health" >/dev/null # warm up

quiet=$(reads | rps)
echo "reads alone:               $quiet req/s"

reads >"$work/reads-w.txt" &
rpid=$!
wrk -t1 -c64 -d"$DURATION" --timeout 10s -s scripts/create-tokens.lua "$BASE/api/0/organizations/acme/org-auth-tokens/" >"$work/writes.txt"
wait "$rpid"
during=$(rps <"$work/reads-w.txt")
echo "writes (64 connections):   $(rps <"$work/writes.txt") req/s, $(awk '/requests in/ {print $1}' "$work/writes.txt") requests"
grep -E '^(ERRORS|LATENCY)|Non-2xx' "$work/writes.txt" | sed 's/^/  /'
echo "reads beside the writes:   $during req/s ($(awk -v a="$during" -v b="$quiet" 'BEGIN {printf "%.2f", a / b}') x alone)"
echo "server log lines with 'database is locked': $(grep -c 'database is locked' "$work/server.log" || true), write answers 503: $(grep -c 'status=503' "$work/server.log" || true)"

# On a shared machine the load changes within minutes: measure the reads alone again right
# before the flood, and compare the flood's figure with both.
quiet2=$(reads | rps)
echo "reads alone, again:        $quiet2 req/s"

reads >"$work/reads-f.txt" &
rpid=$!
"$work/flood" -url "$BASE/api/0/organizations/acme/" -from 127.0.0.2 -c 64 -d "$DURATION" \
  -token "$UNKNOWN_TOKEN" >"$work/flood.txt"
wait "$rpid"
flooded=$(rps <"$work/reads-f.txt")
echo "flood from 127.0.0.2:      $(cat "$work/flood.txt")"
echo "reads beside the flood:    $flooded req/s ($(awk -v a="$flooded" -v b="$quiet" 'BEGIN {printf "%.2f", a / b}') x alone, $(awk -v a="$flooded" -v b="$quiet2" 'BEGIN {printf "%.2f", a / b}') x alone again)"
kill -TERM "$pid"
wait "$pid" || true
pid=
# After the shutdown, which writes the last interval's failure lines.
echo "server log: $(wc -l <"$work/server.log") lines, $(wc -c <"$work/server.log") bytes;" \
  "request lines with status=401: $(grep -c 'status=401' "$work/server.log" || true), status=429: $(grep -c 'status=429' "$work/server.log" || true);" \
  "aggregated failure lines: $(grep -c 'bearer authentication failures' "$work/server.log" || true)"
{ grep 'bearer authentication failures' "$work/server.log" || true; } | head -3 | sed 's/^/  /'

