#!/usr/bin/env bash
# The figures of BENCHMARKS.md, "PostgreSQL and several instances", side by side in one run on
# one machine: a throwaway PostgreSQL 15 with fsync on (scripts/postgres.sh), tokenboard on it
# as two instances A and B (each its own data folder), and the SQLite build beside them, each
# with the demo data and tokens minted by scripts/mint-tokens (the same kinds of token, the same
# requests).
#
#   api       wrk (2 threads; 16 and 64 connections; DURATION each) on
#             GET /api/0/organizations/acme/ with a user token: SQLite, then A, ROUNDS times
#             over, interleaved; each row is the round with the median throughput
#   uncached  scripts/uncached-auth on each backend: the database work of that request when
#             the cache cannot answer (token, organization, role read straight from the store)
#   writes    wrk, 64 connections, WDURATION: POST /api/0/organizations/acme/org-auth-tokens/
#             with an owner's session (token, audit entry, one email per owner), on A, then on
#             SQLite
#   revoke    scripts/revoke-latency: SAMPLES tokens revoked on A, B polled until it refuses
#
# Usage: scripts/pg-load.sh   (PORT, DURATION, ROUNDS, WDURATION, SAMPLES may be set)
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-19331} # SQLite on PORT, A on PORT+1, B on PORT+2
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
WDURATION=${WDURATION:-30s}
SAMPLES=${SAMPLES:-500}
LITE="http://127.0.0.1:$PORT"
A="http://127.0.0.1:$((PORT + 1))"
B="http://127.0.0.1:$((PORT + 2))"
work=$(mktemp -d)
# PostgreSQL's own folder, outside $work: as root, postgres.sh runs the server as the postgres
# user, who must reach it (mktemp's folders are the caller's only).
pgdir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -d "$pgdir/db" ]; then scripts/postgres.sh stop "$pgdir" || true; fi
  rm -rf "$work" "$pgdir"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)"; exit 1; }
for p in tokenboard; do go build -o "$work/$p" ./cmd/$p; done
for p in mint-tokens revoke-latency uncached-auth; do go build -o "$work/$p" ./scripts/$p; done

# fsync stays on (the default): these are the figures of a database that survives a power cut.
PGURL=$(scripts/postgres.sh start "$pgdir")
echo "PostgreSQL: $("${PG_BIN:-/usr/lib/postgresql/15/bin}/postgres" --version), fsync on"

"$work/tokenboard" demo --data "$work/lite" >/dev/null
eval "$("$work/mint-tokens" --data "$work/lite" --base-url "$LITE" | sed 's/^/LITE_/')"
"$work/tokenboard" demo --data "$work/a" --database-url "$PGURL" >/dev/null
eval "$("$work/mint-tokens" --data "$work/a" --database-url "$PGURL" --base-url "$A" | sed 's/^/PG_/')"

serve() { # data base-url [--database-url URL]
  local data=$1 base=$2
  shift 2
  "$work/tokenboard" serve --data "$data" --addr "${base#http://}" --base-url "$base" "$@" 2>"$data.log" &
  pids+=($!)
  for _ in $(seq 100); do curl -sf "$base/_health" >/dev/null && return; sleep 0.1; done
  echo "$base did not start:"; cat "$data.log"; exit 1
}
serve "$work/lite" "$LITE"
serve "$work/a" "$A" --database-url "$PGURL"
serve "$work/b" "$B" --database-url "$PGURL"

check() { # expected-status url [header]
  local got
  got=$(curl -s -o /dev/null -w '%{http_code}' ${3:+-H "$3"} "$2")
  [ "$got" = "$1" ] || { echo "$2 answered $got, want $1"; exit 1; }
}
check 200 "$LITE/api/0/organizations/acme/" "Authorization: Bearer $LITE_USER_TOKEN"
check 200 "$A/api/0/organizations/acme/" "Authorization: Bearer $PG_USER_TOKEN"
check 200 "$B/api/0/organizations/acme/" "Authorization: Bearer $PG_USER_TOKEN"

echo "Machine: $(nproc) CPUs, $(awk -F': *' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(go env GOVERSION), wrk $(wrk -v 2>&1 | awk 'NR==1 {print $2}')"
echo "load before: $(uptime | sed 's/.*load average/load average/')"

echo
echo "== api: GET /api/0/organizations/acme/ with a user token (every run; rows below are medians)"
results="$work/results"
: >"$results"
api() { # backend connections base token
  local out rps p50 p99 non2xx
  out=$(wrk -t2 -c"$2" -d"$DURATION" --latency -H "Authorization: Bearer $4" "$3/api/0/organizations/acme/")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
  echo "$1 $2 $rps $p50 $p99 ${non2xx:-0}" | tee -a "$results"
}
wrk -t2 -c16 -d3s -H "Authorization: Bearer $LITE_USER_TOKEN" "$LITE/api/0/organizations/acme/" >/dev/null
wrk -t2 -c16 -d3s -H "Authorization: Bearer $PG_USER_TOKEN" "$A/api/0/organizations/acme/" >/dev/null
for round in $(seq "$ROUNDS"); do
  for conns in 16 64; do
    api sqlite "$conns" "$LITE" "$LITE_USER_TOKEN"
    api postgresql "$conns" "$A" "$PG_USER_TOKEN"
  done
  echo "  load after round $round: $(uptime | sed 's/.*load average: //')"
done
echo
echo "| backend | connections | requests/s | vs SQLite | p50 | p99 | non-2xx |"
echo "|---|---:|---:|---:|---:|---:|---:|"
sort -k1,1 -k2,2n -k3,3g "$results" | awk -v rounds="$ROUNDS" '
  { key = $1 " " $2; n[key]++; if (n[key] == int((rounds + 1) / 2)) median[key] = $0 }
  END {
    for (c = 16; c <= 64; c += 48) {
      split(median["sqlite " c], s, " ")
      split(median["postgresql " c], p, " ")
      printf "| sqlite | %s | %.0f | 1.00 | %s | %s | %s |\n", c, s[3], s[4], s[5], s[6]
      printf "| postgresql | %s | %.0f | %.2f | %s | %s | %s |\n", c, p[3], p[3] / s[3], p[4], p[5], p[6]
    }
  }'

echo
echo "== uncached: the same request's database work, without the cache (16 concurrent, 10 s)"
"$work/uncached-auth" -data "$work/lite" -c 16 -d 10s
"$work/uncached-auth" -database-url "$PGURL" -c 16 -d 10s
"$work/uncached-auth" -data "$work/lite" -c 16 -d 10s
"$work/uncached-auth" -database-url "$PGURL" -c 16 -d 10s

echo
echo "== writes: token creation, 64 connections, $WDURATION"
writes() { # name base log
  local jar="$work/jar-$1" cookie out
  curl -s -o /dev/null -c "$jar" -H 'Sec-Fetch-Site: same-origin' -H "Origin: $2" \
    --data-urlencode 'email=owner@acme.test' --data-urlencode 'password=tokenboard-demo' "$2/auth/login/"
  cookie=$(sed 's/^#HttpOnly_//' "$jar" | awk '!/^#/ && NF >= 7 {printf "%s%s=%s", sep, $6, $7; sep="; "}')
  [ -n "$cookie" ] || { echo "sign-in on $2 failed"; exit 1; }
  local before
  before=$(grep -c 'status=503' "$3" || true)
  out=$(COOKIE=$cookie BASE=$2 wrk -t1 -c64 -d"$WDURATION" --timeout 10s -s scripts/create-tokens.lua "$2/api/0/organizations/acme/org-auth-tokens/")
  echo "$1: $(awk '/^Requests\/sec:/ {print $2}' <<<"$out") tokens/s, $(awk '/requests in/ {print $1}' <<<"$out") requests," \
    "non-2xx: $(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out" | grep . || echo 0)," \
    "503 in the server log: $(($(grep -c 'status=503' "$3" || true) - before))"
  grep -E 'ERRORS|LATENCY' <<<"$out" | sed 's/^/  /'
}
writes postgresql "$A" "$work/a.log"
echo "  load: $(uptime | sed 's/.*load average: //')"
writes sqlite "$LITE" "$work/lite.log"
echo "  load: $(uptime | sed 's/.*load average: //')"

echo
echo "== revoke: $SAMPLES tokens revoked on A, B asked until it refuses"
"$work/revoke-latency" -a "$A" -b "$B" -n "$SAMPLES"
echo "load after: $(uptime | sed 's/.*load average/load average/')"

echo
echo "== answers in each server's log (the whole run)"
for s in lite a b; do
  echo "$s: $(grep -o 'status=[0-9]*' "$work/$s.log" | sort | uniq -c | awk '{printf "%s %s, ", $2, $1}')"
done
