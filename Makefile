# flowlens — build, test and benchmark. `make test` is what CI runs.
GO      ?= go
PKGS    := ./...
# A count, not a duration: a duration races Go 1.26's fuzz coordinator at its deadline and fails
# with a bare "context deadline exceeded" (golang/go#75804, fixed in Go 1.27).
FUZZTIME ?= 20000x
BENCHTIME ?= 1s
# gzip backend: ISA-L's igzip (-tags isal, cgo) when libisal-dev is installed (its header compiles
# and -lisal links), else klauspost/compress (pure Go). `make build TAGS=` forces the pure-Go one.
ISAL_PROBE = [ "$$($(GO) env CGO_ENABLED)" = 1 ] && printf '\#include <isa-l.h>\nint main(void){struct inflate_state s; isal_inflate_init(&s); return 0;}\n' | $$($(GO) env CC) -x c - -lisal -o /dev/null >/dev/null 2>&1
TAGS ?= $(shell $(ISAL_PROBE) && echo isal)

.PHONY: all build test test-race fuzz fuzz-long bench bench-query bench-compare fmt lint vet clean demo versitygw chromium duckdb

all: build

build:
	$(GO) build -tags '$(TAGS)' -o bin/flowlens ./cmd/flowlens

vet:
	$(GO) vet $(PKGS)

# The S3 integration tests run against versitygw, installed once into .cache/ (ignored by git) and
# started by the tests themselves on a random loopback port.
VERSITYGW_VERSION := v1.8.0
VERSITYGW := $(CURDIR)/.cache/bin/versitygw-$(VERSITYGW_VERSION)

$(VERSITYGW):
	@mkdir -p $(CURDIR)/.cache/gobin $(dir $@)
	@echo "installing versitygw $(VERSITYGW_VERSION) for the S3 tests (once; about two minutes)"
	GOBIN=$(CURDIR)/.cache/gobin $(GO) install github.com/versity/versitygw/cmd/versitygw@$(VERSITYGW_VERSION)
	mv $(CURDIR)/.cache/gobin/versitygw $@

versitygw: $(VERSITYGW)

# DuckDB (@duckdb/node-api, from the npm registry) for the test that reads a converted dataset with
# the types athena-ddl declares: installed quietly into a cache outside the repository (the one
# bench-compare uses) when node and npm are there; without them that test skips and says why.
DUCKDB_DIR = $${FLOWLENS_DUCKDB_DIR:-$${XDG_CACHE_HOME:-$$HOME/.cache}/flowlens-bench/duckdb}

duckdb:
	@d="$(DUCKDB_DIR)"; \
	if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && [ ! -f "$$d/node_modules/@duckdb/node-api/package.json" ]; then \
		{ mkdir -p "$$d" && { [ -f "$$d/package.json" ] || echo '{"name": "flowlens-bench-duckdb", "private": true}' > "$$d/package.json"; } && \
		  (cd "$$d" && npm install --no-audit --no-fund --silent @duckdb/node-api >/dev/null 2>&1); } || \
		echo "@duckdb/node-api could not be installed: the DuckDB check of athena-ddl will skip"; \
	fi

# vet, every test (the S3 ones against versitygw); the packages that read batches again with freed
# buffers poisoned (a read after release fails the test); the decoder on the ISA-L backend; then a
# short run of each fuzz target.
test: vet $(VERSITYGW) chromium duckdb
	FLOWLENS_VERSITYGW=$(VERSITYGW) $(GO) test -count=1 $(PKGS)
	FLOWLENS_VERSITYGW=$(VERSITYGW) $(GO) test -count=1 -tags poisonfree ./aggregate/... ./query/... ./report/... ./nat/... ./output/... ./cmd/...
	@if ! { $(ISAL_PROBE); } && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing libisal-dev (Debian) for the ISA-L gzip backend's tests"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q libisal-dev >/dev/null 2>&1 || \
			{ apt-get update -q >/dev/null 2>&1 && apt-get install -y -q libisal-dev >/dev/null 2>&1; } || true; \
	fi; \
	if $(ISAL_PROBE); then \
		echo "$(GO) vet -tags isal ./flowlog/... && $(GO) test -count=1 -tags isal,poisonfree ./flowlog/..."; \
		$(GO) vet -tags isal ./flowlog/... && FLOWLENS_VERSITYGW=$(VERSITYGW) $(GO) test -count=1 -tags isal,poisonfree ./flowlog/... || exit 1; \
	else \
		echo "libisal-dev not available: testing the pure-Go gzip backend alone"; \
	fi
	$(MAKE) --no-print-directory fuzz

# The HTML report's browser test (cmd/flowlens TestHTMLInBrowser) drives headless Chromium: Debian's
# chromium is installed when missing, as root, and quietly not otherwise (not root, no apt-get,
# offline); without it that test alone is skipped and says why.
chromium:
	@if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 && \
		[ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium (Debian) for the HTML report's browser test"; \
		export DEBIAN_FRONTEND=noninteractive; \
		timeout 900 apt-get install -y -q chromium >/dev/null 2>&1 || \
			{ timeout 300 apt-get update -q >/dev/null 2>&1 && timeout 900 apt-get install -y -q chromium >/dev/null 2>&1; } || \
			echo "chromium could not be installed: the browser test will be skipped"; \
	fi

FUZZPKGS := ./flowlog ./query/sql

fuzz:
	@for p in $(FUZZPKGS); do \
		for t in $$($(GO) test -list '^Fuzz' $$p | grep '^Fuzz'); do \
			echo "fuzz $$p $$t ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$p || exit 1; \
		done; \
	done

# Every fuzz target for longer than make test's short run: FUZZLONG executions each (a count, for the
# reason above), e.g. make fuzz-long FUZZLONG=5000000x.
FUZZLONG ?= 1000000x

fuzz-long:
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZLONG)

test-race: $(VERSITYGW)
	FLOWLENS_VERSITYGW=$(VERSITYGW) $(GO) test -race -count=1 $(PKGS)

# Go benchmarks of each stage, then the standard report end to end against gunzip alone over
# 2 × 20 M generated records (generated once into bench/data, which git ignores), then analysts'
# queries over the gzip text against the same records converted to Parquet.
bench: build
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -benchmem $(PKGS)
	$(GO) run ./bench/reportbench -flowlens bin/flowlens
	$(GO) run ./bench/querybench -flowlens bin/flowlens

bench-query: build
	$(GO) run ./bench/querybench -flowlens bin/flowlens

# flowlens side by side with DuckDB (installed once from the npm registry into a cache outside the
# repository) over the same gzip text and Parquet; writes bench/RESULTS.md. Long: about an hour.
# The pure-Go build answers every question; when the ISA-L build is made (libisal-dev), it also runs
# the standard report over gzip text, and igzip (Debian package isal, installed when root) times
# ISA-L's gunzip alone.
bench-compare: build
	$(GO) build -o bin/flowlens-purego ./cmd/flowlens
	@if [ -n "$(TAGS)" ] && ! command -v igzip >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing isal (Debian: igzip) for the ISA-L gunzip floor"; \
		apt-get install -y -q isal >/dev/null 2>&1 || \
			{ apt-get update -q >/dev/null 2>&1 && apt-get install -y -q isal >/dev/null 2>&1; } || true; \
	fi
	$(GO) run ./bench/compare -flowlens bin/flowlens-purego $(if $(TAGS),-flowlens-isal bin/flowlens) $(COMPARE_FLAGS)

fmt:
	gofmt -w $$(git ls-files '*.go')

lint: vet
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1)

# The README's first command: a day of generated flow logs and the standard report on it, as a
# table (FORMAT=json for the JSON document).
FORMAT ?= table
demo:
	$(GO) run ./cmd/flowlens demo --format $(FORMAT)

clean:
	rm -rf bin
