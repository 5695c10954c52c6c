#!/usr/bin/env bash
# Load test on loopback: credreg's GET /resources/{id} (JSON-LD) and TPF
# pages at 64 connections, beside a static file server serving the same
# bytes from disk in the same run; then the dump's speed. Prints req/s,
# p50/p99 and the ratio (goal: >= 0.50 of the static server, p99 < 10 ms).
#
#   bench/load.sh                          # fixtures, 5 s per phase
#   CREDREG_LOAD_SECONDS=20 bench/load.sh
#   CREDREG_BENCH_STORE=/path bench/load.sh   # a bigger store (bench/list.sh builds one)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
go test -count=1 -run '^$' -bench '^BenchmarkLoad$' -benchtime 1x -timeout 30m ./server/ | grep -oE '(load-bench:.*|^ok.*|^FAIL.*)'
