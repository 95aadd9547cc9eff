#!/usr/bin/env bash
# The CI upload benchmark of BENCHMARKS.md ("CI uploads"): builds tokenboard, serves it on
# loopback with a fresh data folder (demo data, an org token minted through the store by
# scripts/mint-tokens), and uploads a 10 MB and a 100 MB source file with the real sentry-cli
# ("sourcemaps upload", which bundles, gzips and posts the chunks, then assembles). It compares
# the upload's wall time with copying the same bytes to disk on this machine (cp, then sync),
# and reports the server's resident memory before the upload (VmRSS) and its peak (VmHWM): a
# server that streams grows by far less than the bundle.
#
# The server is restarted for each size, so each peak is that upload's alone.
#
# Usage: scripts/uploadbench.sh     (PORT, SIZES in MB, TOKENBOARD_SENTRY_CLI may be set)
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-19331}
SIZES=${SIZES:-"10 100"}
BASE="http://127.0.0.1:$PORT"
CLI=${TOKENBOARD_SENTRY_CLI:-node_modules/@sentry/cli-linux-x64/bin/sentry-cli}
[ -x "$CLI" ] || { echo "sentry-cli not found at $CLI: set TOKENBOARD_SENTRY_CLI"; exit 1; }
CLI=$(readlink -f "$CLI")
work=$(mktemp -d)
pid=
trap 'if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT

go build -o "$work/tokenboard" ./cmd/tokenboard
go build -o "$work/mint-tokens" ./scripts/mint-tokens
"$work/tokenboard" demo --data "$work/data" >/dev/null
eval "$("$work/mint-tokens" --data "$work/data" --base-url "$BASE")"

start() { # log-file
  "$work/tokenboard" serve --data "$work/data" --addr "127.0.0.1:$PORT" --base-url "$BASE" 2>"$1" &
  pid=$!
  for _ in $(seq 100); do curl -sf "$BASE/_health" >/dev/null && return; sleep 0.1; done
  echo "server did not start"; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }
kb() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$pid/status"; }
now() { date +%s.%N; }

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %10s %10s %8s %14s %14s %14s %10s\n' size upload_s cp_s ratio rss_before_MB peak_MB growth_MB server_s
for mb in $SIZES; do
  dist="$work/dist-$mb"
  mkdir -p "$dist"
  # Text like a minified bundle: base64 of random bytes (gzip shrinks it by about a quarter).
  head -c $((mb * 1024 * 1024 * 3 / 4)) /dev/urandom | base64 -w 0 | head -c $((mb * 1024 * 1024)) >"$dist/app.js"
  printf '\n//# sourceMappingURL=app.js.map\n' >>"$dist/app.js"
  printf '{"version":3,"sources":["app.ts"],"names":[],"mappings":"AAAA","file":"app.js"}' >"$dist/app.js.map"
  env -i HOME="$work" PATH=/usr/bin:/bin SENTRY_DISABLE_UPDATE_CHECK=1 "$CLI" sourcemaps inject "$dist" >/dev/null

  start "$work/server-$mb.log"
  rss=$(kb VmRSS)
  t0=$(now)
  env -i HOME="$work" PATH=/usr/bin:/bin SENTRY_DISABLE_UPDATE_CHECK=1 SENTRY_AUTH_TOKEN="$ORG_TOKEN" \
    "$CLI" sourcemaps upload -p web --release "bench-$mb" "$dist" >"$work/upload-$mb.log" 2>&1 \
    || { cat "$work/upload-$mb.log"; exit 1; }
  t1=$(now)
  hwm=$(kb VmHWM)
  stop

  sync
  t2=$(now)
  cp "$dist/app.js" "$work/copy-$mb.js"
  sync "$work/copy-$mb.js"
  t3=$(now)
  rm -f "$work/copy-$mb.js"

  # The time the server spent in requests (chunk POSTs run up to 8 at once, so this is a sum).
  server=$(grep -o 'duration_ms=[0-9.]*' "$work/server-$mb.log" | cut -d= -f2 | awk '{s += $1} END {printf "%.3f", s / 1000}')
  awk -v mb="$mb" -v up="$(echo "$t1 - $t0" | bc)" -v cp="$(echo "$t3 - $t2" | bc)" -v rss="$rss" -v hwm="$hwm" -v srv="$server" \
    'BEGIN { printf "%-6s %10.3f %10.3f %8.2f %14.1f %14.1f %14.1f %10s\n", mb "MB", up, cp, up / cp, rss / 1024, hwm / 1024, (hwm - rss) / 1024, srv }'
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -h "Uploaded\|Nothing\|error" "$work"/upload-*.log | sort | uniq -c || true
