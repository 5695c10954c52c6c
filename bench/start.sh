#!/usr/bin/env bash
# Times start to ready of the real binary (credreg serve until GET /readyz
# answers 200) on a copy of a store, three ways side by side in one run:
#
#   rebuild    no list index snapshot: the index is built by a scan
#   snapshot   the snapshot a clean stop left, at the store's head
#   behind     a snapshot CREDREG_START_BEHIND changes behind the store
#              (written, then rows imported by another agency, then the
#              old snapshot put back: a crash after the import), caught
#              up from the change log
#
# Each start is stopped with SIGTERM (a clean close, which writes the
# snapshot when the index changed). The store given is copied and never
# opened itself.
#
#   CREDREG_START_STORE=/tmp/listbench-store bench/start.sh
#
# Environment:
#   CREDREG_START_STORE   the store directory to copy (required)
#   CREDREG_START_BEHIND  rows imported for the "behind" start (default 10000)
#   CREDREG_START_RUNS    rounds of the three starts (default 2)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
src=${CREDREG_START_STORE:?set CREDREG_START_STORE to a store directory to copy}
BEHIND=${CREDREG_START_BEHIND:-10000}
RUNS=${CREDREG_START_RUNS:-2}
work=$(mktemp -d "${TMPDIR:-/tmp}/credreg-start-bench.XXXXXX")
pid=
cleanup() {
	[[ -n $pid ]] && kill "$pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
cd "$root"

go build -o "$work/credreg" ./cmd/credreg
echo "== copy of $src ($(du -sh "$src" | cut -f1))"
cp -a "$src" "$work/store"
rm -f "$work/store/listindex.snap" "$work/store/listindex.snap.tmp"
store="badger://$work/store"
snap="$work/store/listindex.snap"

now() { date +%s.%N; }

# start LABEL: serve, poll /readyz every 20 ms, stop with SIGTERM; print
# seconds to listening and to ready, the stop's time, and the index's log.
start() {
	local label=$1 t0 t1 t2 t3 addr=
	t0=$(now)
	"$work/credreg" serve --addr 127.0.0.1:0 --store "$store" >"$work/out" 2>"$work/err" &
	pid=$!
	while [[ -z $addr ]]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "credreg serve exited:" >&2
			tail -n 20 "$work/err" >&2
			exit 1
		fi
		sleep 0.02
		addr=$(sed -n 's|^credreg serving .* on http://||p' "$work/out")
	done
	t1=$(now)
	until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$addr/readyz") == 200 ]]; do
		sleep 0.02
	done
	t2=$(now)
	# Peak resident memory so far: the build's, not yet the stop's.
	local rss
	rss=$(awk '/^VmHWM/ {printf "%d MiB", $2 / 1024}' "/proc/$pid/status")
	kill -TERM "$pid"
	wait "$pid" || true
	pid=
	t3=$(now)
	printf '%-9s listening %6.2f s   ready %6.2f s   peak RSS %s   (stop %5.2f s)   load %s\n' "$label" \
		"$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t0" | bc)" "$rss" "$(echo "$t3 - $t2" | bc)" \
		"$(cut -d' ' -f1-3 /proc/loadavg)"
	grep -oE 'list index (ready|: snapshot (loaded|not used)).*' "$work/err" | sed 's/^/          /' || true
	grep -oE '(list index snapshot written|harvest index ready).*' "$work/err" | sed 's/^/          /' || true
}

echo "== prepare: a snapshot, then $BEHIND rows imported by another agency"
start prepare >/dev/null
cp "$snap" "$work/snap.behind"
CREDREG_SYNTH_CSV="$work/sheet.csv" CREDREG_SYNTH_ROWS=$BEHIND \
	go test -count=1 -run '^TestWriteSyntheticCSV$' ./ingest/ >/dev/null
"$work/credreg" import --store "$store" --agency "Heartland Higher Education Coordinating Board" --quiet "$work/sheet.csv" \
	>"$work/import.out" 2>&1 || [[ $? -eq 1 ]]
tail -n 3 "$work/import.out"

echo "== start to ready, $RUNS rounds, $(nproc) cores"
for round in $(seq 1 "$RUNS"); do
	echo "-- round $round"
	rm -f "$snap"
	start rebuild
	start snapshot
	cp "$work/snap.behind" "$snap"
	start behind
done
