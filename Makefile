# vigie: the two commands a new user needs are `make demo` and `make test`.
GO        ?= go
# gosnmp_nodebug compiles gosnmp's debug logging out of the hot path
# (PERFORMANCE.md: 36 -> 9 allocations per decoded varbind).
TAGS      ?= gosnmp_nodebug
GOFLAGS_T := -tags $(TAGS)
BIN       := bin

.PHONY: all build demo test unit deps vet fuzz bench bench-peers bench-fleet bench-soak bench-pages clean

all: build

build:
	$(GO) build $(GOFLAGS_T) -o $(BIN)/ ./cmd/...

## demo: run vigie on an embedded simulated RIE (no config), metrics on :9742
demo: build
	$(BIN)/vigie demo

## test: install the real peers (Debian packages) if missing, then build, vet, unit and end-to-end tests
test: deps vet unit fuzz

deps:
	./scripts/deps.sh

vet:
	$(GO) vet $(GOFLAGS_T) ./...

unit:
	$(GO) test $(GOFLAGS_T) -count=1 -timeout 30m ./...

## fuzz: a short bounded run of every fuzz target (corpus in testdata/fuzz)
fuzz:
	./scripts/fuzz.sh 10s

## bench: the benchmarks whose figures are in BENCHMARKS.md
bench:
	$(GO) test $(GOFLAGS_T) -run '^$$' -bench . -benchmem -timeout 30m ./...

clean:
	rm -rf $(BIN)

## bench-peers: vigie vs snmp_exporter vs snmpbulkwalk on one simulated fleet (figures in BENCHMARKS.md)
bench-peers:
	./bench/peers.sh

## bench-fleet: the whole daemon on the full simulated RIE (figures in BENCHMARKS.md)
bench-fleet:
	./bench/fleet.sh

## bench-soak: the full simulated RIE with 2 % of devices faulty for DURATION (default 30m): PASS/FAIL on
## goroutine and memory growth, missed cycles of healthy devices, events lost in the store (docs/reliability.md)
bench-soak:
	./bench/soak.sh

## bench-pages: pages and tickets per incident (internet cut, aggregation router, overseas cable, one site's
## access) on the full simulated RIE, through Debian's Prometheus and Alertmanager with the shipped rules and
## alertmanager.yml (docs/alerting.md); SITES (default 14000), FOR_SCALE divides the rules' "for" (default 2)
SITES     ?= 14000
FOR_SCALE ?= 2
bench-pages:
	VIGIE_PAGES_SITES=$(SITES) VIGIE_PAGES_FOR_SCALE=$(FOR_SCALE) VIGIE_PAGES_LONGEST_FOR=10m VIGIE_PAGES_INCIDENTS=all $(GO) test $(GOFLAGS_T) ./alerting -run '^TestPagesPerIncident$$' -count=1 -v -timeout 90m
