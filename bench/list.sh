#!/usr/bin/env bash
# Benchmarks the umbrella list (GET /credentials) through the real HTTP
# server on loopback, on a registry of synthetic credentials designated by
# two agencies: CREDREG_LIST_ROWS rows (default 100000) imported by one
# agency and the first half of them again by another, so about 100k
# credentials carry about 150k designations. Prints p50/p95/p99 latency of
# each query against the goal p95 < 20 ms.
#
#   bench/list.sh                             # 100000 rows
#   CREDREG_LIST_ROWS=20000 bench/list.sh     # quicker
#   CREDREG_LIST_STORE=/path bench/list.sh    # reuse a store built before
#
# Environment:
#   CREDREG_LIST_ROWS    rows of the synthetic sheet (default 100000)
#   CREDREG_LIST_STORE   a store directory to build (if missing) and reuse
#   CREDREG_LIST_N       requests per query (default 300)
#   CREDREG_BENCH_BASELINE  a git revision whose list to measure too, on the
#                        same store in the same run (before, then now)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
ROWS=${CREDREG_LIST_ROWS:-100000}
N=${CREDREG_LIST_N:-300}
work=$(mktemp -d "${TMPDIR:-/tmp}/credreg-list-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
store=${CREDREG_LIST_STORE:-$work/store}
cd "$root"

go build -o "$work/credreg" ./cmd/credreg
if [[ ! -d $store ]]; then
	# Built aside and renamed once complete, so that a build stopped half
	# way is never reused.
	build=$store.building
	rm -rf "$build"
	echo "== synthetic sheet: $ROWS rows"
	CREDREG_SYNTH_CSV="$work/sheet.csv" CREDREG_SYNTH_ROWS=$ROWS \
		go test -count=1 -run '^TestWriteSyntheticCSV$' ./ingest/ >/dev/null
	head -n $((ROWS / 2 + 1)) "$work/sheet.csv" >"$work/half.csv"
	echo "== the reference data and the sample (credreg serve --sample, stopped once it listens)"
	"$work/credreg" serve --addr 127.0.0.1:0 --store "badger://$build" --sample >"$work/serve.out" 2>"$work/serve.err" &
	pid=$!
	# Loading the reference data takes a while on a busy machine: wait
	# while the server runs, up to ten minutes.
	for _ in $(seq 1 6000); do
		[[ -s $work/serve.out ]] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if [[ ! -s $work/serve.out ]]; then
		echo "credreg serve did not start:" >&2
		tail -n 20 "$work/serve.err" >&2
		exit 1
	fi
	echo "== import: all rows by the Heartland Workforce Commission"
	start=$(date +%s)
	"$work/credreg" import --store "badger://$build" --agency "Heartland Workforce Commission" --quiet "$work/sheet.csv" || [[ $? -eq 1 ]]
	echo "== import: the first half again by the Heartland Department of Education"
	"$work/credreg" import --store "badger://$build" --agency "Heartland Department of Education" --quiet "$work/half.csv" || [[ $? -eq 1 ]]
	echo "imports took $(($(date +%s) - start)) s"
	mv "$build" "$store"
fi
if [[ -n ${CREDREG_BENCH_BASELINE:-} ]]; then
	echo "== before: GET /credentials at $CREDREG_BENCH_BASELINE, $N requests per query, one client, JSON-LD"
	git -C "$root" worktree add -q --detach "$work/baseline-src" "$CREDREG_BENCH_BASELINE"
	# The baseline answers the queries of now (server/bench_test.go as it
	# is here), so that before and after measure the same ones.
	cp "$root/server/bench_test.go" "$work/baseline-src/server/bench_test.go"
	(cd "$work/baseline-src" && CREDREG_BENCH_STORE=$store go test -count=1 -run '^$' -bench '^BenchmarkListHTTP$' -benchtime "${N}x" -timeout 1h ./server/ |
		grep -oE '(list-bench:.*|^ok.*|^FAIL.*)') || true
	git -C "$root" worktree remove --force "$work/baseline-src"
	echo "== now: GET /credentials, $N requests per query, one client, JSON-LD"
else
	echo "== GET /credentials, $N requests per query, one client, JSON-LD"
fi
CREDREG_BENCH_STORE=$store go test -count=1 -run '^$' -bench '^BenchmarkListHTTP$' -benchtime "${N}x" -timeout 1h ./server/ |
	grep -oE '(list-bench:.*|^ok.*|^FAIL.*)'
