#!/usr/bin/env bash
# scripts/postgres.sh start DIR   — a throwaway PostgreSQL 15 (Debian's postgresql package) in
#                                   DIR on a free loopback port; prints its URL
#                                   (postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable).
# scripts/postgres.sh stop DIR    — stops it (DIR can then be removed).
#
# Used by scripts/test.sh for the PostgreSQL half of the contract suite and the two-instance
# tests, and by scripts/pg-load.sh. As root it runs the server as the postgres user (initdb
# refuses root); otherwise as the caller.
set -euo pipefail
cmd=${1:?start or stop}
dir=${2:?folder}
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
as_owner() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case $cmd in
start)
	if [ ! -x "$bin/initdb" ]; then
		echo "PostgreSQL 15 is not installed ($bin/initdb): apt-get install postgresql" >&2
		exit 1
	fi
	mkdir -p "$dir"
	if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	as_owner "$bin/initdb" -D "$dir/db" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	# PG_FSYNC=off (scripts/test.sh): a test cluster thrown away after the run need not survive
	# a power cut. Benchmarks keep the default, on.
	as_owner "$bin/pg_ctl" -D "$dir/db" -w -l "$dir/log" \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=${PG_FSYNC:-on} -c max_connections=300" start >/dev/null
	echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
	;;
stop)
	as_owner "$bin/pg_ctl" -D "$dir/db" -w -m fast stop >/dev/null
	;;
*)
	echo "usage: $0 start|stop DIR" >&2
	exit 2
	;;
esac
