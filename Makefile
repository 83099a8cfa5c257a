# eventspec — developer entry points. `make test` is what CI runs.
GO        ?= go
PKGS      ?= ./...
# Fuzz budgets are execution counts, not durations: Go 1.26's fuzz
# coordinator can fail a duration run with a spurious "context deadline
# exceeded" when the machine is loaded (golang/go#75804). Targets in
# ./postgresadapter make a database round trip per input and get fewer.
FUZZTIME    ?= 100000x
FUZZTIME_PG ?= 500x
PG_DSN    ?= postgres://postgres@127.0.0.1:5432/eventspec_test?sslmode=disable

.PHONY: test test-postgres fuzz fuzz-long bench bench-compare certify certify-postgres lint fmt

## test: vet, the whole suite with the race detector, and short fuzz runs.
## PostgreSQL tests run when EVENTSPEC_PG_DSN is set (or Docker answers);
## otherwise they skip loudly, unless EVENTSPEC_REQUIRE_PG=1.
test: lint
	$(GO) test -race -count=1 $(PKGS)
	$(MAKE) fuzz

## test-postgres: the same suite against a local PostgreSQL, required.
test-postgres:
	EVENTSPEC_PG_DSN="$${EVENTSPEC_PG_DSN:-$(PG_DSN)}" EVENTSPEC_REQUIRE_PG=1 $(MAKE) test

## fuzz: each fuzz target for FUZZTIME inputs (FUZZTIME_PG for the
## PostgreSQL adapter's); short in CI, `make fuzz-long` for more.
fuzz:
	@set -e; for spec in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
	  budget=$(FUZZTIME); [ "$$spec" = ./postgresadapter ] && budget=$(FUZZTIME_PG); \
	  for f in $$(grep -h '^func Fuzz' $$spec/*_test.go | sed 's/func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
	    echo "fuzz $$spec $$f ($$budget)"; \
	    $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$$budget $$spec; \
	  done; \
	done

fuzz-long:
	$(MAKE) fuzz FUZZTIME=20000000x FUZZTIME_PG=50000x

## bench: benchmarks with their same-run baselines (ratios are reported).
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -count=1 ./bench/...

## bench-compare: bench/ at BASE (a git revision) against the working
## tree, run alternately; medians and ratios (BENCH, BENCHTIME, N refine it).
BENCH     ?= EngineDispatch$$
BENCHTIME ?= 20000x
N         ?= 6
bench-compare:
	@test -n "$(BASE)" || { echo "usage: make bench-compare BASE=<git revision> [BENCH=regexp] [BENCHTIME=20000x] [N=6]"; exit 2; }
	$(GO) run ./bench/benchcompare -base "$(BASE)" -bench '$(BENCH)' -benchtime $(BENCHTIME) -n $(N)

## certify: the conformance suite on the embedded in-memory store.
certify:
	$(GO) run ./cmd/eventspec certify

certify-postgres:
	$(GO) run ./cmd/eventspec certify --postgres "$${EVENTSPEC_PG_DSN:-$(PG_DSN)}"

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet $(PKGS)

fmt:
	gofmt -w $$(git ls-files '*.go')
