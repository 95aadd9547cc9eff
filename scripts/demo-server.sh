# Sourced by the load scripts (loadtest.sh, writeload.sh, verifyflood.sh, fwdauth-load.sh): the
# server they measure, the same way for each.
#
#   wrk_work_dir
#
# checks that wrk is installed, sets work to a fresh folder and an EXIT trap that kills the
# server ($pid, once started) and removes the folder (scripts with more to clean up set their
# own trap instead).
#
#   start_demo_server WORK BASE PORT [serve flags...]
#
# builds tokenboard and scripts/mint-tokens into WORK, seeds the demo data into WORK/data,
# mints tokens straight into the database (setting ORG_TOKEN, USER_TOKEN, UNKNOWN_TOKEN and the
# others mint-tokens prints), serves on 127.0.0.1:PORT with its log in WORK/server.log, sets
# pid to the server's process id and waits until it answers /_health. The caller's EXIT trap
# kills $pid.

wrk_work_dir() {
  command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)"; exit 1; }
  work=$(mktemp -d)
  trap 'if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
}

start_demo_server() {
  local work=$1 base=$2 port=$3
  shift 3
  go build -o "$work/tokenboard" ./cmd/tokenboard
  go build -o "$work/mint-tokens" ./scripts/mint-tokens
  "$work/tokenboard" demo --data "$work/data" >/dev/null
  eval "$("$work/mint-tokens" --data "$work/data" --base-url "$base")"
  "$work/tokenboard" serve --data "$work/data" --addr "127.0.0.1:$port" --base-url "$base" "$@" 2>"$work/server.log" &
  pid=$!
  for _ in $(seq 100); do curl -sf "$base/_health" >/dev/null && return 0; sleep 0.1; done
  echo "the server did not answer $base/_health" >&2
  return 1
}
