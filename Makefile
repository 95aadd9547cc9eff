# tokenboard: the two commands a newcomer needs are `make run` and `make test`.

.PHONY: run test check generate bench fuzz loadtest

## run: serve on 127.0.0.1:9000 with the demo organizations (embedded SQLite under ./data)
run:
	go run ./cmd/tokenboard --demo

## test: install what the suite needs (Chromium, nginx, PostgreSQL, sentry-cli), then run every check and test
test:
	bash scripts/test.sh

## generate: regenerate the templ components
generate:
	go generate ./...

## bench: the Go benchmarks (see BENCHMARKS.md for the load tests)
bench:
	go test -run '^$$' -bench . -benchmem ./...

## loadtest: the API load test with wrk (about 5 minutes; see BENCHMARKS.md)
loadtest:
	bash scripts/loadtest.sh
