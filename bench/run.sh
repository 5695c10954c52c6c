#!/usr/bin/env bash
# Benchmarks credreg's registry store on synthetic credentials, side by side
# with raw Badger v4 and with Oxigraph (WASM), and prints a summary against
# the read-path goals (cached JSON-LD < 50 µs, uncached JSON-LD < 1 ms).
#
#   bench/run.sh                          # 100000 credentials in the Get store
#   CREDREG_BENCH_N=20000 bench/run.sh    # quicker
#
# Environment:
#   CREDREG_BENCH_N      credentials in BenchmarkGet's store and the Oxigraph load (default 100000)
#   CREDREG_BENCHTIME    go test -benchtime for every benchmark (default 20000x:
#                        20000 credentials written by BenchmarkPut, 20000 lookups per Get case)
#   CREDREG_BENCH_KEEP   set to keep the work directory (N-Quads dump, raw outputs)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
N=${CREDREG_BENCH_N:-100000}
BENCHTIME=${CREDREG_BENCHTIME:-20000x}
work=$(mktemp -d "${TMPDIR:-/tmp}/credreg-bench.XXXXXX")
if [[ -z ${CREDREG_BENCH_KEEP:-} ]]; then
	trap 'rm -rf "$work"' EXIT
else
	echo "work directory: $work"
fi
cd "$root"

echo "== (a) registry: go test benchmarks (CREDREG_BENCH_N=$N, -benchtime $BENCHTIME)"
CREDREG_BENCH_N=$N go test -run '^$' -bench 'BenchmarkPut|BenchmarkGet' -benchtime "$BENCHTIME" \
	-timeout 2h ./registry/ | tee "$work/go.txt"

echo
echo "== (b) Oxigraph: in-memory load of the same $N credentials as N-Quads"
CREDREG_BENCH_N=$N CREDREG_BENCH_DUMP="$work/synth.nq" go test -count=1 -v \
	-run '^TestDumpSynthNQuads$' ./registry/ | grep '^credreg-bench:'
if [[ ! -f "$here/node_modules/oxigraph/package.json" ]] ||
	! cmp -s "$here/package-lock.json" "$here/node_modules/.package-lock.json"; then
	npm ci --prefix "$here" --no-audit --no-fund --loglevel=error >/dev/null
fi
node "$here/oxigraph-load.mjs" "$work/synth.nq" | tee "$work/ox.txt"

# field BEFORE UNIT in the line matching PATTERN of FILE
metric() { awk -v pat="$2" -v unit="$3" '$0 ~ pat { for (i = 2; i <= NF; i++) if ($i == unit) { print $(i-1); exit } }' "$1"; }
# value of KEY=value in the line matching PATTERN of FILE
kv() { awk -v pat="$2" -v key="$3" '$0 ~ pat { for (i = 1; i <= NF; i++) if (index($i, key "=") == 1) { print substr($i, length(key) + 2); exit } }' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
goal() { awk -v v="$1" -v max="$2" 'BEGIN { if (v == "") print "n/a"; else if (v + 0 < max + 0) print "met"; else print "NOT met" }'; }

put_reg=$(metric "$work/go.txt" '^BenchmarkPut/registry' 'quads/s')
put_raw=$(metric "$work/go.txt" '^BenchmarkPut/raw-badger' 'quads/s')
load_reg=$(kv "$work/go.txt" '^credreg-bench: load' 'quads/s')
load_batch=$(kv "$work/go.txt" '^credreg-bench: load' 'batch')
load_ox=$(kv "$work/ox.txt" '^oxigraph: load' 'quads/s')
get_q=$(metric "$work/go.txt" '^BenchmarkGet/quads' 'µs/op')
get_u=$(metric "$work/go.txt" '^BenchmarkGet/jsonld-uncached' 'µs/op')
get_c=$(metric "$work/go.txt" '^BenchmarkGet/jsonld-cached' 'µs/op')
get_n=$(metric "$work/go.txt" '^BenchmarkGet/nquads-cached' 'µs/op')

echo
echo "== (c) summary (N=$N credentials, 15 statements each; $(nproc) cores)"
printf '%-44s %14s %14s %10s\n' "write" "credreg" "baseline" "ratio"
printf '%-44s %14s %14s %10s\n' "Put, sync, 500/batch: quads/s vs raw Badger" "$put_reg" "$put_raw" "$(ratio "$put_raw" "$put_reg")x"
printf '%-44s %14s %14s %10s\n' "load, NoSync, ${load_batch}/batch: quads/s vs Oxigraph" "$load_reg" "$load_ox" "$(ratio "$load_ox" "$load_reg")x"
echo "(ratio = baseline / credreg: how many times faster the baseline is)"
echo
printf '%-44s %14s %14s %10s\n' "read one credential by IRI" "µs/op" "goal" ""
printf '%-44s %14s %14s %10s\n' "Get (quads)" "$get_q" "-" ""
printf '%-44s %14s %14s %10s\n' "JSON-LD, rendered per request" "$get_u" "< 1000" "$(goal "$get_u" 1000)"
printf '%-44s %14s %14s %10s\n' "JSON-LD, document cache (warm)" "$get_c" "< 50" "$(goal "$get_c" 50)"
printf '%-44s %14s %14s %10s\n' "N-Quads, document cache (warm)" "$get_n" "-" ""
