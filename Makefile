# vigie: the two commands a new user needs are `make demo` and `make test`.
GO        ?= go
# gosnmp_nodebug compiles gosnmp's debug logging out of the hot path
# (PERFORMANCE.md: 36 -> 9 allocations per decoded varbind).
TAGS      ?= gosnmp_nodebug
GOFLAGS_T := -tags $(TAGS)
BIN       := bin

.PHONY: all build demo test unit deps vet fuzz bench bench-peers bench-fleet bench-soak clean

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
	$(GO) test $(GOFLAGS_T) -count=1 -timeout 20m ./...

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
