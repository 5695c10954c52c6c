#!/usr/bin/env bash
# Benchmarks credreg on its two stores side by side, in one run, on the same
# data: an embedded Badger store and a PostgreSQL database (issue 15).
#
#   1. import: "credreg import" of one synthetic agency sheet (1% bad rows)
#      into each store, both prepared as "credreg serve --sample" leaves a
#      new store (reference data and sample): rows/s, wall time, peak RSS.
#   2. list: the umbrella list queries of bench/list.sh (BenchmarkListHTTP
#      in server/, pointed at a running server by CREDREG_BENCH_URL), one
#      client, CREDREG_BACKENDS_LIST_N requests each: p50/p95/p99.
#   3. resource reads: GET /resources/{id} (JSON-LD) of the imported
#      credentials in a random order from CREDREG_BACKENDS_CONNS connections
#      for CREDREG_BACKENDS_SECONDS (bench/loadgen) against one server on
#      Badger, one server on PostgreSQL, and two servers on the same
#      PostgreSQL database with the requests split between them (round
#      robin): req/s, p50/p99, and PostgreSQL transactions per request
#      (pg_stat_database's count over the phase; a lower bound of its round
#      trips, since a read transaction may hold several queries).
#
# It prints a summary with the ratios PostgreSQL ÷ Badger, and the load
# average (the servers, PostgreSQL and the load generator share the
# machine's cores: figures from a busy machine are lower bounds, and the
# PostgreSQL ones suffer more, having more processes to schedule).
#
#   bench/backends.sh                              # 20000 rows
#   CREDREG_BACKENDS_ROWS=5000 bench/backends.sh   # quicker
#   CREDREG_BACKENDS_PG=postgres://me:pw@db:5432/postgres bench/backends.sh
#
# Environment:
#   CREDREG_BACKENDS_ROWS     rows of the synthetic sheet (default 20000)
#   CREDREG_BACKENDS_PG       URL of a PostgreSQL database whose role may
#                             CREATE DATABASE (default
#                             postgres://postgres:postgres@127.0.0.1:5432/postgres);
#                             the run creates credreg_bench_backends_<pid>
#                             beside it and drops it at the end
#   CREDREG_BACKENDS_CONNS    concurrent connections of the read phase (default 32)
#   CREDREG_BACKENDS_SECONDS  seconds of each read phase (default 5), after
#                             CREDREG_BACKENDS_WARMUP seconds unmeasured (default 2)
#   CREDREG_BACKENDS_LIST_N   requests per list query (default 100)
#   CREDREG_BENCH_KEEP        set to keep the work directory and the database
#
# Where PostgreSQL is slower, and why. Badger is in the server's process:
# a read is a few in-memory LSM lookups and the write path is one Badger
# transaction, with no network and no other process. Every PostgreSQL read
# is a round trip to another process (loopback here, a network hop in
# production) through pgx's pool, plus PostgreSQL's parsing, planning and
# executor on top of the index range itself:
#   - reading a record (Store.getLocked) is two index-range queries (its
#     bookkeeping by subject, its statements by graph), each with one more
#     to look up a term id the id cache lacks and one more to read the
#     terms of ids the term cache lacks (pgstore's resolve and values);
#   - GET /resources/{id} is served from the rendered-document cache (4096
#     documents); on Badger a server owns its store, so a cached document
#     is served without reading anything, while on PostgreSQL other servers
#     may have changed the record, so even a cache hit reads the record's
#     bookkeeping (one query) to check its content hash, and a miss reads
#     that and then the record (three queries);
#   - a write (import writes records in batches) takes the write queue's
#     advisory lock, catches up with the change log (others' writes),
#     reads what it replaces, then runs one transaction (term ids: lookup,
#     insert of the missing ones; delete; insert; predicate counts; the
#     change-log entry), commits durably (synchronous_commit: a WAL flush
#     in another process) and announces it (NOTIFY); Badger does the
#     reads in memory and the commit is one fsync'd value-log append.
# Reads that the in-memory list index answers (the umbrella list) touch the
# store only to render a page's members, so the list is closer between the
# two. Several servers on one database add read capacity only where the
# database has some to spare: on one machine they share its cores.
#
# Measured on 2 shared cores (load average 4-12 from other builds), 20,000
# rows, two runs (2026-12-07): GET /resources/{id} 0.70-0.71x Badger's
# req/s on PostgreSQL, p50 1.5-2.5x, 3.9 PostgreSQL transactions a GET
# (most reads miss the 4096-document cache); two servers on the database
# 0.77-0.87x one server's req/s (no cores to spare here); list p50 1.0-1.7x,
# p95 up to 2.5-4.3x (q-word, q-broad, of-value-today: pages whose members
# are rendered from the store); import 0.99-1.30x Badger's rows/s: a
# batched write pays its round trips once per batch, and Badger's own work
# (LSM, value log, compactions) is in credreg's process, 52-65 CPU seconds
# and 1.3 GiB peak RSS against 32-38 s and 0.26 GiB for credreg on
# PostgreSQL (whose own CPU is not counted); the database is 4.9x the
# Badger directory (650 MiB against 133: six indexes, see pgstore's doc).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
ROWS=${CREDREG_BACKENDS_ROWS:-20000}
CONNS=${CREDREG_BACKENDS_CONNS:-32}
DURATION=${CREDREG_BACKENDS_SECONDS:-5}
WARMUP=${CREDREG_BACKENDS_WARMUP:-2}
LIST_N=${CREDREG_BACKENDS_LIST_N:-100}
PG_ADMIN=${CREDREG_BACKENDS_PG:-postgres://postgres:postgres@127.0.0.1:5432/postgres}
AGENCY="Heartland Workforce Commission"
BASE=http://registry.bench.invalid

db=credreg_bench_backends_$$
pg_prefix=${PG_ADMIN%%\?*}
pg_query=${PG_ADMIN#"$pg_prefix"}
PG_STORE=${pg_prefix%/*}/$db$pg_query
BADGER_STORE=
work=$(mktemp -d "${TMPDIR:-/tmp}/credreg-backends-bench.XXXXXX")
BADGER_STORE=badger://$work/badger
cd "$root"

psql_admin() { psql "$PG_ADMIN" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

servers=()
cleanup() {
	local pid
	for pid in "${servers[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [[ -z ${CREDREG_BENCH_KEEP:-} ]]; then
		psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
		rm -rf "$work"
	else
		echo "kept: work directory $work, database $db"
	fi
}
trap cleanup EXIT

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
load_start=$(loadavg)

echo "== (a) build credreg, the load generator and server's benchmarks (load average $load_start)"
go build -o "$work/credreg" ./cmd/credreg
go build -o "$work/loadgen" ./bench/loadgen
go test -c -o "$work/server.test" ./server/

echo
echo "== (b) synthetic sheet: $ROWS rows, 1% bad"
CREDREG_SYNTH_CSV="$work/sheet.csv" CREDREG_SYNTH_ROWS=$ROWS \
	go test -count=1 -run '^TestWriteSyntheticCSV$' ./ingest/ >"$work/synth.log" 2>&1 || {
	cat "$work/synth.log" >&2
	exit 1
}

echo
echo "== (c) database $db"
psql_admin -c "CREATE DATABASE $db" >/dev/null

# serve NAME STORE [FLAGS...]: starts credreg serve on STORE on a free
# loopback port and waits until it is ready (/readyz: the list index is
# built); sets $url and $pid.
serve() {
	local name=$1 store=$2 i
	shift 2
	"$work/credreg" serve --addr 127.0.0.1:0 --store "$store" --log-level warn "$@" \
		>"$work/$name.out" 2>"$work/$name.err" &
	pid=$!
	servers+=("$pid")
	url=
	# A first start loads the reference data: allow ten minutes on a busy machine.
	for i in $(seq 1 6000); do
		if [[ -z $url && -s $work/$name.out ]]; then
			url=$(grep -oE 'on http://[0-9.:]+' "$work/$name.out" | head -n 1 | cut -c4-)
		fi
		if [[ -n $url ]] && curl -fsS -o /dev/null "$url/readyz" 2>/dev/null; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		# A server that could not build its list index never gets ready.
		grep -q 'level=ERROR' "$work/$name.err" && break
		sleep 0.1
	done
	echo "credreg serve ($name) did not become ready after $((i / 10)) s:" >&2
	tail -n 20 "$work/$name.err" >&2
	exit 1
}
# stop PID: stops one server started by serve.
stop() {
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

echo
echo "== (d) both stores as credreg serve --sample leaves them (reference data and sample)"
t0=$(date +%s.%N)
serve prepare-badger "$BADGER_STORE" --sample --base "$BASE"
stop "$pid"
t1=$(date +%s.%N)
serve prepare-pg "$PG_STORE" --sample --base "$BASE"
stop "$pid"
t2=$(date +%s.%N)
prep_badger=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
prep_pg=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.1f", b - a }')
echo "first start: Badger ${prep_badger}s, PostgreSQL ${prep_pg}s"

# run_import NAME STORE: credreg import of the sheet into STORE under
# /usr/bin/time -v; exit status 1 (some rows failed) is expected.
run_import() {
	local name=$1 store=$2 rc=0
	/usr/bin/time -v -o "$work/time-$name.txt" "$work/credreg" import --store "$store" \
		--agency "$AGENCY" --quiet --report "$work/report-$name.json" "$work/sheet.csv" \
		>"$work/import-$name.out" 2>"$work/import-$name.err" || rc=$?
	if [[ $rc -gt 1 || ! -s $work/report-$name.json ]]; then
		echo "credreg import ($name) failed (exit $rc):" >&2
		tail -n 20 "$work/import-$name.err" "$work/time-$name.txt" >&2
		exit 1
	fi
}
wall() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$work/time-$1.txt"; }
cpu() { awk -F': ' '/(User|System) time/ { s += $2 } END { printf "%.1f", s }' "$work/time-$1.txt"; }
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$work/time-$1.txt"; }
field() {
	python3 -c 'import json, sys; print(sum(r[sys.argv[2]] for r in json.load(open(sys.argv[1]))["reports"]))' \
		"$work/report-$1.json" "$2"
}
rate() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.0f", a / b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
# value of KEY=value in the first line of FILE holding the string TEXT
# (units stripped)
kv() { awk -v text="$2" -v key="$3" 'index($0, text) { for (i = 1; i <= NF; i++) if (index($i, key "=") == 1) { v = substr($i, length(key) + 2); sub(/ms$/, "", v); print v; exit } }' "$1"; }

declare -A load
for b in badger pg; do
	store=$BADGER_STORE
	[[ $b == pg ]] && store=$PG_STORE
	echo
	echo "== (e) credreg import into $b (load average $(loadavg))"
	load[import-$b]=$(loadavg)
	run_import "$b" "$store"
	printf 'units=%s imported=%s failed=%s written=%s statements=%s wall=%ss cpu=%ss peak-rss=%sMiB rows/s=%s\n' \
		"$(field "$b" units)" "$(field "$b" imported)" "$(field "$b" failed)" "$(field "$b" written)" \
		"$(field "$b" statements)" "$(wall "$b")" "$(cpu "$b")" "$(rss "$b")" "$(rate "$(field "$b" units)" "$(wall "$b")")" |
		tee "$work/import-$b.txt"
done
size_badger=$(du -sm "$work/badger" | cut -f1)
size_pg=$(psql_admin -c "SELECT pg_database_size('$db') / 1048576")

# list NAME URL: the list queries against the server at URL.
list() {
	(cd server && CREDREG_BENCH_URL=$2 "$work/server.test" -test.run '^$' -test.bench '^BenchmarkListHTTP$' \
		-test.benchtime "${LIST_N}x" -test.timeout 1h) >"$work/list-$1.log" 2>&1 || {
		cat "$work/list-$1.log" >&2
		exit 1
	}
	grep -oE 'list-bench:.*' "$work/list-$1.log" | tee "$work/list-$1.txt"
}
# xacts: transactions committed and rolled back in the database so far.
# Servers' backends report their counts at most a second late: wait first.
xacts() {
	sleep 2
	psql_admin -c "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$db'"
}
# reads NAME URL...: warm-up, then the measured GET /resources/{id} phase;
# on PostgreSQL (NAME pg…) also the database's transactions per request.
declare -A tx
reads() {
	local name=$1 x0 x1 n
	shift
	local urls
	urls=$(
		IFS=,
		echo "$*"
	)
	"$work/loadgen" -urls "$urls" -conns "$CONNS" -duration "${WARMUP}s" -paths "$work/paths-$name.txt" >/dev/null
	if [[ $name == pg* ]]; then x0=$(xacts); fi
	load[reads-$name]=$(loadavg)
	"$work/loadgen" -urls "$urls" -conns "$CONNS" -duration "${DURATION}s" -paths "$work/paths-$name.txt" |
		tee "$work/reads-$name.txt"
	if [[ $name == pg* ]]; then
		x1=$(xacts)
		n=$(kv "$work/reads-$name.txt" 'loadgen:' requests)
		tx[$name]=$(awk -v x="$((x1 - x0))" -v n="$n" 'BEGIN { if (n > 0) printf "%.2f", x / n; else print "n/a" }')
		echo "PostgreSQL transactions: $((x1 - x0)) for $n requests (${tx[$name]} a request)"
	fi
}

echo
echo "== (f) one server on Badger: list, then GET /resources/{id} at $CONNS connections"
serve badger "$BADGER_STORE"
"$work/loadgen" -urls "$url" -collect "$work/paths-badger.txt"
load[list-badger]=$(loadavg)
list badger "$url"
reads badger "$url"
stop "$pid"

echo
echo "== (g) one server on PostgreSQL: list, then GET /resources/{id} at $CONNS connections"
serve pg1 "$PG_STORE"
pg1=$pid url1=$url
"$work/loadgen" -urls "$url1" -collect "$work/paths-pg.txt"
cp "$work/paths-pg.txt" "$work/paths-pg2.txt"
load[list-pg]=$(loadavg)
list pg "$url1"
# The second server starts now, so that its start is not in the phase.
serve pg2 "$PG_STORE"
pg2=$pid url2=$url
reads pg "$url1"

echo
echo "== (h) two servers on the same PostgreSQL database, requests split between them"
reads pg2 "$url1" "$url2"
stop "$pg1"
stop "$pg2"

rows_b=$(rate "$(field badger units)" "$(wall badger)")
rows_p=$(rate "$(field pg units)" "$(wall pg)")
rps_b=$(kv "$work/reads-badger.txt" 'loadgen:' rps)
rps_p=$(kv "$work/reads-pg.txt" 'loadgen:' rps)
rps_p2=$(kv "$work/reads-pg2.txt" 'loadgen:' rps)

echo
echo "== (i) summary ($ROWS rows, 1% bad; $(nproc) cores; load average: at start $load_start, now $(loadavg))"
row() { printf '%-40s %16s %16s %10s %16s %10s\n' "$@"; }
row "" "Badger" "PostgreSQL" "PG÷Badger" "PG, 2 servers" "÷Badger"
row "first start (reference data, sample) s" "$prep_badger" "$prep_pg" "$(ratio "$prep_pg" "$prep_badger")" "" ""
row "import rows/s" "$rows_b" "$rows_p" "$(ratio "$rows_p" "$rows_b")" "" ""
row "import wall s" "$(wall badger)" "$(wall pg)" "$(ratio "$(wall pg)" "$(wall badger)")" "" ""
row "import CPU s, credreg process only" "$(cpu badger)" "$(cpu pg)" "$(ratio "$(cpu pg)" "$(cpu badger)")" "" ""
row "import peak RSS MiB (credreg)" "$(rss badger)" "$(rss pg)" "$(ratio "$(rss pg)" "$(rss badger)")" "" ""
row "store size MiB after import" "$size_badger" "$size_pg" "$(ratio "$size_pg" "$size_badger")" "" ""
while read -r q; do
	for pct in p50 p95 p99; do
		vb=$(kv "$work/list-badger.txt" "query=$q " "$pct")
		vp=$(kv "$work/list-pg.txt" "query=$q " "$pct")
		row "list $q $pct ms" "$vb" "$vp" "$(ratio "$vp" "$vb")" "" ""
	done
done < <(grep -oE 'query=[^ ]+' "$work/list-badger.txt" | cut -d= -f2)
row "GET /resources/{id} req/s ($CONNS conns)" "$rps_b" "$rps_p" "$(ratio "$rps_p" "$rps_b")" "$rps_p2" "$(ratio "$rps_p2" "$rps_b")"
for pct in p50 p99; do
	vb=$(kv "$work/reads-badger.txt" 'loadgen:' "$pct")
	vp=$(kv "$work/reads-pg.txt" 'loadgen:' "$pct")
	vp2=$(kv "$work/reads-pg2.txt" 'loadgen:' "$pct")
	row "GET /resources/{id} $pct ms" "$vb" "$vp" "$(ratio "$vp" "$vb")" "$vp2" "$(ratio "$vp2" "$vb")"
done
row "PostgreSQL transactions per GET" "-" "${tx[pg]}" "" "${tx[pg2]}" ""
echo "(2 servers ÷ 1 server on PostgreSQL: $(ratio "$rps_p2" "$rps_p")x the req/s;" \
	"requests per server: $(kv "$work/reads-pg2.txt" 'loadgen:' per-server))"
echo "(load average when each phase began: import badger ${load[import-badger]}, import pg ${load[import-pg]};" \
	"list badger ${load[list-badger]}, list pg ${load[list-pg]}; reads badger ${load[reads-badger]}," \
	"reads pg ${load[reads-pg]}, reads pg×2 ${load[reads-pg2]})"
echo "(the read phases ask for $(wc -l <"$work/paths-badger.txt") credentials in a random order; a server's"
echo " document cache holds 4096; the load generator runs on the same cores as the servers and PostgreSQL)"
