#!/usr/bin/env bash
# The forward-authentication load test of BENCHMARKS.md ("Forward authentication"): builds
# tokenboard, serves it on loopback with the demo data and an org token, starts nginx (as root,
# its own prefix) with docs/nginx-forward-auth.conf, the snippet the README shows, in front of
# an upstream that nginx itself answers, and runs wrk (2 threads, CONNS connections, DURATION
# each, ROUNDS rounds interleaved; the median round is reported) on:
#
#   floor     GET /_health                              tokenboard's own floor
#   verify    GET /_auth/verify?scope=org:ci&org=acme   org token, straight to tokenboard
#   noauth    GET /x through nginx                      the same proxy location, no auth_request
#                                                       (the same request, token included)
#   auth      GET /x through nginx                      the snippet's location: auth_request
#   authfloor GET /x through nginx                      control: the snippet's location again, its
#                                                       auth subrequest answered by nginx itself
#                                                       (return 200 with tokenboard's headers)
#
# All three nginx scenarios proxy to the same upstream, a server block of the same nginx that
# answers "ok" (return 200): the cheapest protected service there is, so the ratios show the
# whole cost of the check. authfloor is what auth would give if tokenboard answered for free:
# the ceiling of auth/noauth for any auth service behind auth_request on this machine.
#
# Targets: verify >= 0.9 x floor; auth >= 0.7 x noauth.
# Usage: sudo scripts/fwdauth-load.sh   (PORT, DURATION, CONNS and ROUNDS may be set)
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-19421}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-16}
ROUNDS=${ROUNDS:-3}
BASE="http://127.0.0.1:$PORT"
AUTH="127.0.0.1:$((PORT + 1))"
NOAUTH="127.0.0.1:$((PORT + 2))"
UPSTREAM="127.0.0.1:$((PORT + 3))"
AUTHFLOOR="127.0.0.1:$((PORT + 4))"
AUTHFLOOR_ANSWER="127.0.0.1:$((PORT + 5))"
work=$(mktemp -d)
cleanup() {
  if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; fi
  if [ -n "${npid:-}" ]; then kill "$npid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)"; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "nginx is required (apt-get install nginx)"; exit 1; }
. scripts/demo-server.sh
start_demo_server "$work" "$BASE" "$PORT" --behind-proxy

# nginx: the documented snippet, placeholders filled in, plus the same location without
# auth_request and the upstream both proxy to.
sed -e "s/TOKENBOARD_ADDR/127.0.0.1:$PORT/" -e "s/UPSTREAM_ADDR/$UPSTREAM/" -e "s/LISTEN_ADDR/$AUTH/" \
  docs/nginx-forward-auth.conf >"$work/forward-auth.conf"
# The control: the same snippet under other names (its protected_service upstream is already
# defined above), checking against an nginx server block that answers as tokenboard does.
sed -e "s/TOKENBOARD_ADDR/$AUTHFLOOR_ANSWER/" -e "s/LISTEN_ADDR/$AUTHFLOOR/" \
  -e "s|upstream tokenboard {|upstream tokenboard_floor {|" -e "s|http://tokenboard/|http://tokenboard_floor/|" \
  -e '/^upstream protected_service {/,/^}/d' \
  docs/nginx-forward-auth.conf >"$work/forward-auth-floor.conf"
answer=$(curl -sf -D - -o /dev/null -H "Authorization: Bearer $ORG_TOKEN" "$BASE/_auth/verify?scope=project:write&scope=org:ci&org=acme" |
  tr -d '\r' | awk -F': ' '$1 ~ /^X-/ || $1 ~ /^(Cache-Control|Content-Security-Policy|Referrer-Policy)$/ {printf "add_header %s \"%s\";\n", $1, $2}')
[ -n "$answer" ] || { echo "no answer headers from /_auth/verify"; exit 1; }
cat >"$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log $work/error.log warn;
worker_processes 1;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/client_body;
    proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi;
    uwsgi_temp_path $work/uwsgi;
    scgi_temp_path $work/scgi;
    include $work/forward-auth.conf;
    include $work/forward-auth-floor.conf;
    server {
        listen $NOAUTH;
        location / {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://protected_service;
        }
    }
    server {
        listen $UPSTREAM;
        location / { return 200 "ok\n"; }
    }
    server {
        listen $AUTHFLOOR_ANSWER;
        location = /_auth/verify {
            $answer
            return 200;
        }
    }
}
CONF
"$NGINX" -p "$work" -c "$work/nginx.conf" -g 'daemon off;' &
npid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://$NOAUTH/x" && break; sleep 0.1; done

check() { # expected-status url [header]
  local got
  got=$(curl -s -o /dev/null -w '%{http_code}' ${3:+-H "$3"} "$2")
  [ "$got" = "$1" ] || { echo "$2 answered $got, want $1"; exit 1; }
}
check 200 "$BASE/_health"
check 200 "$BASE/_auth/verify?scope=org:ci&org=acme" "Authorization: Bearer $ORG_TOKEN"
check 200 "http://$NOAUTH/x"
check 200 "http://$AUTH/x" "Authorization: Bearer $ORG_TOKEN"
check 401 "http://$AUTH/x"
check 200 "http://$AUTHFLOOR/x" "Authorization: Bearer $ORG_TOKEN"

results="$work/results"
: >"$results"
# CPU time per request of each process, from /proc (user + system, kernel work done in the
# process's name included): the three share the machine's two CPUs, so when they keep them
# busy, requests/s follows the sum. nginx counts its worker, which also answers the upstream
# (and, for authfloor, the check).
hz=$(getconf CLK_TCK)
ticks() { # pid... -> user+system clock ticks
  local t=0 p
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo "$t"
}
workers=$(pgrep -P "$npid" | tr '\n' ' ')
scenario() { # name url [header]
  local name=$1 url=$2 out
  shift 2
  local ng0 tb0 ng1 tb1
  ng0=$(ticks $workers) tb0=$(ticks "$pid")
  { TIMEFORMAT='%3U %3S'; time wrk -t2 -c"$CONNS" -d"$DURATION" --latency ${1:+-H "$1"} "$url" >"$work/wrk.out"; } 2>"$work/wrk.time"
  ng1=$(ticks $workers) tb1=$(ticks "$pid")
  out=$(<"$work/wrk.out")
  local rps p50 p99 non2xx n cpu
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
  n=$(awk '/ requests in / {print $1}' <<<"$out")
  cpu=$(awk -v n="$n" -v hz="$hz" -v ng=$((ng1 - ng0)) -v tb=$((tb1 - tb0)) '{
    printf "%.1f %.1f %.1f", ng / hz * 1e6 / n, tb / hz * 1e6 / n, ($1 + $2) * 1e6 / n }' "$work/wrk.time")
  printf '%s %s %s %s %s %s %s\n' "$name" "$rps" "$p50" "$p99" "${non2xx:-0}" "$cpu" "$round" >>"$results"
}

wrk -t2 -c"$CONNS" -d2s "$BASE/_health" >/dev/null # warm up
for round in $(seq "$ROUNDS"); do
  scenario floor "$BASE/_health"
  scenario verify "$BASE/_auth/verify?scope=org:ci&org=acme" "Authorization: Bearer $ORG_TOKEN"
  scenario noauth "http://$NOAUTH/x" "Authorization: Bearer $ORG_TOKEN"
  scenario auth "http://$AUTH/x" "Authorization: Bearer $ORG_TOKEN"
  scenario authfloor "http://$AUTHFLOOR/x" "Authorization: Bearer $ORG_TOKEN"
done

echo
echo "Machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end, $(go version | awk '{print $3}'), $("$NGINX" -v 2>&1 | awk '{print $3}'), $CONNS connections, $DURATION x $ROUNDS rounds"
echo
echo "Every round, in the order run (requests/s; CPU µs per request of nginx, tokenboard, wrk):"
echo
awk '{ printf "round %s  %-9s %9.0f/s   nginx %6s  tokenboard %6s  wrk %6s\n", $9, $1, $2, $6, $7, $8 }' "$results"
echo
echo "The median round of each scenario:"
echo
# "CPU ratio" is the ratio the CPU sums predict (base sum / scenario sum): what requests/s
# come to when the three processes keep both CPUs busy and nothing else runs. It moves far
# less than requests/s when other work shares the machine.
echo "| scenario | requests/s | ratio | p50 | p99 | non-2xx | CPU µs/req nginx | tokenboard | wrk | sum | CPU ratio |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
sort -k1,1 -k2,2g "$results" | awk -v rounds="$ROUNDS" '
  { n[$1]++; if (n[$1] == int((rounds + 1) / 2)) median[$1] = $0 }
  END {
    split(median["floor"], fl, " "); split(median["noauth"], na, " ")
    base["floor"] = fl[2]; base["verify"] = fl[2]; base["noauth"] = na[2]; base["auth"] = na[2]
    base["authfloor"] = na[2]
    cpu["floor"] = fl[6] + fl[7] + fl[8]; cpu["noauth"] = na[6] + na[7] + na[8]
    cbase["floor"] = "floor"; cbase["verify"] = "floor"; cbase["noauth"] = "noauth"
    cbase["auth"] = "noauth"; cbase["authfloor"] = "noauth"
    label["floor"] = "(floor)"; label["noauth"] = "(base)"
    split("floor verify noauth auth authfloor", order, " ")
    for (i = 1; i <= 5; i++) {
      split(median[order[i]], f, " ")
      r = (order[i] in label) ? label[order[i]] : sprintf("%.2f x", f[2] / base[order[i]])
      sum = f[6] + f[7] + f[8]
      cr = (order[i] in label) ? label[order[i]] : sprintf("%.2f x", cpu[cbase[order[i]]] / sum)
      printf "| %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %.1f | %s |\n", f[1], f[2], r, f[3], f[4], f[5], f[6], f[7], f[8], sum, cr
    }
  }'
