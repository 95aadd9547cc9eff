#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine: installs what the tests need (Chromium for
# the browser tests, the sentry-cli npm package for the client tests, nginx for the
# forward-auth test, PostgreSQL 15 for the PostgreSQL backend), then checks formatting,
# generated code and vet, and runs every test with the race detector: once on SQLite, then the
# store's contract suite and the web's create/use/revoke tests again on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "dependencies"
# The browser, sentry-cli and nginx tests run the real programs. A plain `go test ./...` skips
# them when a program is missing; here a missing one fails its test (apptest.Tool), so CI
# never passes without them.
export TOKENBOARD_REQUIRE_TOOLS=1
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
chromium --version 2>/dev/null | grep -v 'unexpected operator' || true
# nginx for the forward-auth test (web/forwardauth), which runs the README's snippet.
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nginx >/dev/null
fi
# A test whose tool is missing fails here instead of skipping.
export TOKENBOARD_REQUIRE_TOOLS=1
if [ ! -x node_modules/@sentry/cli-linux-x64/bin/sentry-cli ]; then
  npm install --no-save --no-audit --no-fund --ignore-scripts @sentry/cli-linux-x64@3.8.0 >/dev/null
fi
export TOKENBOARD_SENTRY_CLI="$PWD/node_modules/@sentry/cli-linux-x64/bin/sentry-cli"
"$TOKENBOARD_SENTRY_CLI" --version
go mod download

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi

step "generated code is up to date"
go generate ./...
if [ -n "$(git status --porcelain -- '*_templ.go')" ]; then
  echo "go generate changed files: commit the regenerated *_templ.go"; git status --porcelain -- '*_templ.go'; exit 1
fi

step "go vet"
go vet ./...

step "PostgreSQL"
# A throwaway server for the run, stopped on exit: the tests create their databases on it.
pgdir=$(mktemp -d /tmp/tokenboard-pg.XXXXXX)
trap 'bash scripts/postgres.sh stop "$pgdir" 2>/dev/null || true; rm -rf "$pgdir"' EXIT
TOKENBOARD_TEST_POSTGRES=$(PG_FSYNC=off bash scripts/postgres.sh start "$pgdir")
export TOKENBOARD_TEST_POSTGRES
pg_addr=${TOKENBOARD_TEST_POSTGRES#*@}
echo "PostgreSQL $(/usr/lib/postgresql/15/bin/postgres --version | awk '{print $3}') at ${pg_addr%%/*}"

step "tests (race detector on)"
# The race detector instruments our code and every Go library we use, except SQLite's C
# transpiled to Go (modernc.org/sqlite/lib) and the C runtime it runs on (modernc.org/libc,
# modernc.org/memory, its malloc): per-package -gcflags come after the -race that go test
# passes to every package, so -race=false turns instrumentation off for those alone. With it
# on, every memory access of the C engine was checked (internal/store alone took 147 s, 60 s
# without), and a race report inside transpiled C would not be ours to act on: SQLite
# serializes its own threads. The Go driver (modernc.org/sqlite) and everything that calls it
# stay instrumented: a test that writes a store's BaseURL while CreateOrgToken reads it is
# still reported as a race.
race=(-race -gcflags='modernc.org/sqlite/lib=-race=false' -gcflags='modernc.org/libc/...=-race=false'
  -gcflags='modernc.org/memory=-race=false')
# The fuzz corpora under testdata/fuzz run as ordinary tests here. go test starts packages in
# the order given: the slowest first (the browser tests of web/ui take most of the run, then
# the store, the program and the API), so the small packages run beside them instead of the
# browser tests starting last, alone.
go test "${race[@]}" -count=1 -timeout 30m ./web/ui/ ./internal/store/ ./cmd/tokenboard/ ./web/api/ ./... 2>&1 |
  tee /tmp/tokenboard-test.log

step "tests on PostgreSQL: the store's contract suite, the API, and the screens' create/use/revoke"
# Left out here: the tests that make their own PostgreSQL database (pgtest) whichever backend
# the run is on, the import of a SQLite file and the PostgreSQL blob store and migrations.
# The first pass above already ran them on this server; a second run would be the same test
# (the import of 10,000 tokens alone takes about 25 s).
same_on_both='^(TestCopySQLiteToPostgres|TestCopyRefusesWhatPostgresLacks|TestConcurrentPostgresMigrations|TestPostgresBlobsKeepTheStoreContract|TestPostgresBlobsAreSharedByInstances)$'
TOKENBOARD_TEST_BACKEND=postgres go test "${race[@]}" -count=1 -timeout 30m -skip "$same_on_both" \
  ./internal/store/... ./web/api/ 2>&1 | tee -a /tmp/tokenboard-test.log
TOKENBOARD_TEST_BACKEND=postgres go test "${race[@]}" -count=1 -timeout 30m -run \
  'TestBrowserOrgTokenIsShownOnceAndOnlyAnOwnerRevokes|TestOrgTokenScreensEnforceEveryRole|TestBrowserUserTokenCreateRenameRevoke|TestBrowserOwnerManagesAnIntegrationsTokens|TestCopiedSessionCookieStopsWorkingAfterSignOut|TestOrgTokenCreationEmailsEveryOwner|TestSignIn$' \
  ./web/ui/ 2>&1 | tee -a /tmp/tokenboard-test.log
