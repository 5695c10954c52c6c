# credreg's build, test and lint entry points. `make test` is the README's
# test command and what CI runs.

GO           ?= go
STATICCHECK  := honnef.co/go/tools/cmd/staticcheck@v0.8.2
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: all build run test test-go interop lint fuzz bench clean

all: lint test

build:
	$(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o bin/credreg ./cmd/credreg

run:
	$(GO) run ./cmd/credreg serve --sample

# interop installs the third-party clients the interoperability tests run
# (jsonld.js), pinned by interop/package-lock.json.
interop: interop/node_modules/.package-lock.json

interop/node_modules/.package-lock.json: interop/package.json interop/package-lock.json
	npm ci --prefix interop --no-audit --no-fund

test: interop
	$(GO) test -count=1 -timeout 30m ./...

lint:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# fuzz runs each fuzz target briefly (CI); FUZZTIME=10m for a longer run.
FUZZTIME ?= 15s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzCSV$$' -fuzztime $(FUZZTIME) ./ingest/
	$(GO) test -run '^$$' -fuzz '^FuzzCTDL$$' -fuzztime $(FUZZTIME) ./ingest/

bench:
	bash bench/run.sh
	bash bench/import.sh

clean:
	rm -rf bin interop/node_modules bench/node_modules
