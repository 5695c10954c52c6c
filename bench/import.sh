#!/usr/bin/env bash
# Benchmarks "credreg import" of a synthetic agency spreadsheet (1% bad
# rows) into a fresh Badger store, and compares it with loading the same
# statements into a bare cayley quad store (cayley's batch writer, same
# Badger options, sync writes on) and into Oxigraph (WASM, in memory). Then
# re-imports the same sheet, which should write nothing. Prints a summary
# against the import goals: ≥ 50% of raw cayley's rate, faster than
# Oxigraph, peak RSS < 1 GiB, about a minute for 100,000 rows.
#
#   bench/import.sh                              # 100000 rows
#   CREDREG_IMPORT_ROWS=20000 bench/import.sh    # quicker
#   CREDREG_BENCH_BASELINE=c5a3e76 bench/import.sh   # and an earlier commit's import, side by side
#
# The store imported into holds what a registry starts with (the reference
# data: the Framework and the complete code lists) and the sample, as
# "credreg serve --sample" leaves it, so that rows are matched against
# stored credentials.
#
# Environment:
#   CREDREG_IMPORT_ROWS    rows of the synthetic sheet (default 100000)
#   CREDREG_IMPORT_OWNERS  distinct owning organizations in the sheet
#                          (default: ingesttest's 200)
#   CREDREG_BENCH_KEEP     set to keep the work directory (sheet, store,
#                          reports, N-Quads export, raw outputs)
#   CREDREG_BENCH_BASELINE a commit whose credreg import runs the same sheet
#                          into its own store (as its serve left it) first
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
ROWS=${CREDREG_IMPORT_ROWS:-100000}
OWNERS=${CREDREG_IMPORT_OWNERS:-}
AGENCY="Heartland Workforce Commission"
work=$(mktemp -d "${TMPDIR:-/tmp}/credreg-import-bench.XXXXXX")
if [[ -z ${CREDREG_BENCH_KEEP:-} ]]; then
	trap 'rm -rf "$work"' EXIT
else
	echo "work directory: $work"
fi
cd "$root"

if [[ ! -x /usr/bin/time ]]; then
	echo "installing GNU time (/usr/bin/time)"
	sudo=""
	[[ $(id -u) -eq 0 ]] || sudo=sudo
	$sudo apt-get update -qq >/dev/null
	$sudo apt-get install -y -qq time >/dev/null
fi

# gotest NAME PATTERN ARGS...: runs go test -v ARGS, keeping its output in
# $work/NAME.log (shown if it fails) and the lines matching PATTERN in
# $work/NAME.txt (shown).
gotest() {
	local name=$1 pat=$2
	shift 2
	if ! go test -count=1 -v -timeout 2h "$@" >"$work/$name.log" 2>&1; then
		cat "$work/$name.log" >&2
		exit 1
	fi
	grep "$pat" "$work/$name.log" | tee "$work/$name.txt"
}

echo "== (a) build credreg"
go build -o "$work/credreg" ./cmd/credreg

echo
echo "== (b) synthetic sheet: $ROWS rows, 1% bad"
CREDREG_SYNTH_CSV="$work/sheet.csv" CREDREG_SYNTH_ROWS=$ROWS CREDREG_SYNTH_OWNERS=$OWNERS \
	gotest synth '^synthetic-csv:' -run '^TestWriteSyntheticCSV$' ./ingest/

# prepare BINARY STORE [FLAGS...]: starts BINARY serve on STORE until it
# serves (it loads what an empty store gets), then stops it.
prepare() {
	local bin=$1 store=$2
	shift 2
	"$bin" serve --addr 127.0.0.1:0 --store "badger://$store" "$@" >"$work/prepare.out" 2>"$work/prepare.err" &
	local pid=$! i
	for i in $(seq 1 600); do
		if [[ -s $work/prepare.out ]]; then break; fi
		sleep 0.1
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if [[ ! -s $work/prepare.out ]]; then
		echo "$bin serve did not start:" >&2
		tail -n 20 "$work/prepare.err" >&2
		exit 1
	fi
}

BASELINE=${CREDREG_BENCH_BASELINE:-}
if [[ -n $BASELINE ]]; then
	echo
	echo "== (a') build credreg at $BASELINE"
	git -C "$root" worktree add -q --detach "$work/baseline-src" "$BASELINE"
	(cd "$work/baseline-src" && go build -o "$work/credreg-baseline" ./cmd/credreg)
	git -C "$root" worktree remove --force "$work/baseline-src"
fi

echo
echo "== (a'') stores holding the reference data and the sample"
prepare "$work/credreg" "$work/store" --sample
if [[ -n $BASELINE ]]; then
	prepare "$work/credreg-baseline" "$work/store-baseline" --sample
fi

# run_import N [BINARY STORE]: runs credreg import under /usr/bin/time -v
# into $work/store (or STORE), writing $work/reportN.json and
# $work/timeN.txt. Exit status 1 (some rows failed) is expected with bad
# rows; anything else is an error.
run_import() {
	local n=$1 rc=0 bin=${2:-$work/credreg} store=${3:-$work/store}
	/usr/bin/time -v -o "$work/time$n.txt" "$bin" import --store "badger://$store" \
		--agency "$AGENCY" --quiet --report "$work/report$n.json" "$work/sheet.csv" \
		>"$work/import$n.out" 2>"$work/import$n.err" || rc=$?
	if [[ $rc -gt 1 || ! -s $work/report$n.json ]]; then
		echo "credreg import failed (exit $rc):" >&2
		tail -n 20 "$work/import$n.err" "$work/time$n.txt" >&2
		exit 1
	fi
}
# wall N: the import's wall-clock seconds; rss N: its peak RSS in MiB
wall() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$work/time$1.txt"; }
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$work/time$1.txt"; }
# field N KEY: a count of the import report, summed over its files
field() {
	python3 -c 'import json, sys; print(sum(r[sys.argv[2]] for r in json.load(open(sys.argv[1]))["reports"]))' \
		"$work/report$1.json" "$2"
}
# duration N: seconds of ingest.Run (the report's Go duration), summed
duration() {
	python3 - "$work/report$1.json" <<-'EOF'
		import json, re, sys
		units = {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "µs": 1e-6, "us": 1e-6, "ns": 1e-9}
		total = 0.0
		for r in json.load(open(sys.argv[1]))["reports"]:
		    for num, unit in re.findall(r"([0-9.]+)(h|ms|µs|us|ns|m|s)", r["duration"]):
		        total += float(num) * units[unit]
		print(f"{total:.3f}")
	EOF
}
summary() {
	local n=$1
	printf 'units=%s imported=%s failed=%s written=%s unchanged=%s statements=%s wall=%ss run=%ss peak-rss=%sMiB\n' \
		"$(field "$n" units)" "$(field "$n" imported)" "$(field "$n" failed)" "$(field "$n" written)" \
		"$(field "$n" unchanged)" "$(field "$n" statements)" "$(wall "$n")" "$(duration "$n")" "$(rss "$n")"
}
# value of KEY=value in the line matching PATTERN of FILE
kv() { awk -v pat="$2" -v key="$3" '$0 ~ pat { for (i = 1; i <= NF; i++) if (index($i, key "=") == 1) { print substr($i, length(key) + 2); exit } }' "$1"; }
rate() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.0f", a / b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
atleast() { awk -v v="$1" -v min="$2" 'BEGIN { if (v == "" || v == "n/a") print "n/a"; else if (v + 0 >= min + 0) print "met"; else print "NOT met" }'; }
above() { awk -v v="$1" -v min="$2" 'BEGIN { if (v == "" || v == "n/a") print "n/a"; else if (v + 0 > min + 0) print "met"; else print "NOT met" }'; }
below() { awk -v v="$1" -v max="$2" 'BEGIN { if (v == "" || v == "n/a") print "n/a"; else if (v + 0 < max + 0) print "met"; else print "NOT met" }'; }

if [[ -n $BASELINE ]]; then
	echo
	echo "== (c') credreg import at $BASELINE (sync writes)"
	run_import 0 "$work/credreg-baseline" "$work/store-baseline"
	summary 0 | tee "$work/import0.txt"
fi

echo
echo "== (c) credreg import into the store (sync writes)"
run_import 1
summary 1 | tee "$work/import1.txt"
if [[ $(field 1 failed) -ne $((ROWS / 100)) ]]; then
	echo "WARNING: $(field 1 failed) rows failed, the sheet has $((ROWS / 100)) bad rows; first other problems:"
	python3 - "$work/report1.json" <<-'EOF'
		import json, sys
		n = 0
		for r in json.load(open(sys.argv[1]))["reports"]:
		    for p in r["problems"]:
		        if "15-12" in p.get("value", "") or "Underwater" in p.get("value", ""):
		            continue
		        print(f'  {p["file"]}:{p.get("row", 0)} [{p.get("column", "")}] {p["message"]}')
		        n += 1
		        if n == 3:
		            sys.exit()
	EOF
fi

echo
echo "== (d) export the store's records as N-Quads"
CREDREG_DUMP_STORE="$work/store" CREDREG_DUMP_OUT="$work/store.nq" \
	gotest dump '^store-dump:' -run '^TestDumpStoreNQuads$' ./registry/

echo
echo "== (e) load the export into raw cayley (batch writer, 10000 quads/commit, sync) and Oxigraph (in memory)"
CREDREG_RAW_NQ="$work/store.nq" gotest raw '^raw-cayley:' -run '^TestRawCayleyLoad$' ./registry/
if [[ ! -f "$here/node_modules/oxigraph/package.json" ]] ||
	! cmp -s "$here/package-lock.json" "$here/node_modules/.package-lock.json"; then
	npm ci --prefix "$here" --no-audit --no-fund --loglevel=error >/dev/null
fi
node "$here/oxigraph-load.mjs" "$work/store.nq" | tee "$work/ox.txt"

echo
echo "== (f) re-import the same sheet into the same store (should write nothing)"
run_import 2
summary 2 | tee "$work/import2.txt"
if [[ $(field 2 written) -ne 0 ]]; then
	echo "WARNING: the re-import wrote $(field 2 written) records, expected 0"
fi

units=$(field 1 units)
stmts=$(field 1 statements)
written=$(field 1 written)
all=$((stmts + 10 * written)) # with registry.BookkeepingQuads per record written
w1=$(wall 1)
rss1=$(rss 1)
run1=$(duration 1)
raw=$(kv "$work/raw.txt" '^raw-cayley:' 'quads/s')
ox=$(kv "$work/ox.txt" '^oxigraph: load' 'quads/s')
rows_s=$(rate "$units" "$w1")
stmts_s=$(rate "$stmts" "$w1")
all_s=$(rate "$all" "$w1")
goal_s=$(awk -v n="$ROWS" 'BEGIN { printf "%.0f", 60 * n / 100000 }')

echo
echo "== (g) summary ($ROWS rows, 1% bad; $(nproc) cores; rates over the import's wall-clock time)"
printf '%-52s %14s %14s %10s\n' "credreg import" "value" "goal" ""
printf '%-52s %14s %14s %10s\n' "rows/s (rows read)" "$rows_s" "" ""
printf '%-52s %14s %14s %10s\n' "statements/s (content, report.statements)" "$stmts_s" "" ""
printf '%-52s %14s %14s %10s\n' "statements/s (content + 10 bookkeeping/record)" "$all_s" "" ""
printf '%-52s %14s %14s %10s\n' "wall seconds (ingest.Run: ${run1}s)" "$w1" "~ $goal_s" "$(below "$w1" "$(awk -v g="$goal_s" 'BEGIN { print g * 1.1 }')")"
printf '%-52s %14s %14s %10s\n' "peak RSS MiB" "$rss1" "< 1024" "$(below "$rss1" 1024)"
printf '%-52s %14s %14s %10s\n' "re-import wall seconds (written=$(field 2 written))" "$(wall 2)" "" ""
if [[ -n $BASELINE ]]; then
	echo
	printf '%-52s %14s %14s %10s\n' "the same sheet, imported at $BASELINE" "value" "this ÷ it" ""
	printf '%-52s %14s %14s %10s\n' "rows/s (rows read)" "$(rate "$(field 0 units)" "$(wall 0)")" "$(ratio "$rows_s" "$(rate "$(field 0 units)" "$(wall 0)")")" ""
	printf '%-52s %14s %14s %10s\n' "peak RSS MiB" "$(rss 0)" "$(ratio "$rss1" "$(rss 0)")" ""
fi
echo
printf '%-52s %14s %14s %10s\n' "baselines: loading the store's content N-Quads" "quads/s" "" ""
printf '%-52s %14s %14s %10s\n' "raw cayley (batch writer, 10000/commit, sync)" "$raw" "" ""
printf '%-52s %14s %14s %10s\n' "Oxigraph (WASM, in memory)" "$ox" "" ""
echo
printf '%-52s %14s %14s %10s\n' "ratios (import content statements/s ÷ baseline)" "ratio" "goal" ""
printf '%-52s %14s %14s %10s\n' "÷ raw cayley quads/s" "$(ratio "$stmts_s" "$raw")" ">= 0.50" "$(atleast "$(ratio "$stmts_s" "$raw")" 0.5)"
printf '%-52s %14s %14s %10s\n' "÷ Oxigraph quads/s" "$(ratio "$stmts_s" "$ox")" "> 1.00" "$(above "$(ratio "$stmts_s" "$ox")" 1)"
printf '%-52s %14s %14s %10s\n' "(with bookkeeping) ÷ raw cayley quads/s" "$(ratio "$all_s" "$raw")" "" ""
echo "(statements = the content statements of the records written, report.statements; the store adds"
echo " 10 bookkeeping statements per record written on top, counted only in the 'with bookkeeping' rows."
echo " The N-Quads export holds the content statements of every record in the store, fixtures included:"
echo " $(cat "$work/dump.txt"))"
