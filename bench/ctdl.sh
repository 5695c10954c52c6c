#!/usr/bin/env bash
# Round trip of a corpus of Credential Engine CTDL documents: imports each
# file into a fresh store with "credreg import --format ctdl" (one process
# per file, timed), serves the store, and has interop/ctdl-roundtrip.mjs
# (jsonld.js) compare each file's facts with the CTDL exports credreg serves
# for it (GET /resources/{ctid}?profile=ctdl and /graph/{ctid}?profile=ctdl).
#
#   bench/ctdl.sh                      # ingest/testdata/ctdl-corpus
#   bench/ctdl.sh DIR                  # the NN-*.json files of DIR
#   CREDREG_CTDL_VERBOSE=1 bench/ctdl.sh   # list missing and extra facts
#
# Environment:
#   CREDREG_CTDL_CONTEXTS  the folder with ctdl-context.json and
#                          ctdlasn-context.json (default: ../shared/reference/ctdl
#                          beside the repository)
#   CREDREG_CTDL_VERBOSE   set to pass --verbose to ctdl-roundtrip.mjs
#   CREDREG_BENCH_KEEP     set to keep the work directory (store, reports,
#                          import logs, saved exports)
#
# Exit status: 0 every file passed, 1 some failed, 2 missing inputs.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
dir=${1:-$root/ingest/testdata/ctdl-corpus}
contexts=${CREDREG_CTDL_CONTEXTS:-$root/../shared/reference/ctdl}

if [[ ! -f $contexts/ctdl-context.json || ! -f $contexts/ctdlasn-context.json ]]; then
	echo "ctdl.sh: the CTDL contexts are missing: want $contexts/ctdl-context.json and ctdlasn-context.json (set CREDREG_CTDL_CONTEXTS)" >&2
	exit 2
fi
contexts=$(cd "$contexts" && pwd)
if [[ ! -d $dir ]]; then
	echo "ctdl.sh: no corpus folder $dir" >&2
	exit 2
fi
dir=$(cd "$dir" && pwd)
shopt -s nullglob
files=("$dir"/[0-9][0-9]-*.json)
shopt -u nullglob
if [[ ${#files[@]} -eq 0 ]]; then
	echo "ctdl.sh: no NN-*.json file in $dir" >&2
	exit 2
fi
if ! command -v node >/dev/null; then
	echo "ctdl.sh: node is missing (Node.js 20)" >&2
	exit 2
fi
if [[ ! -d $root/interop/node_modules/jsonld ]]; then
	echo "installing the interop clients (npm ci --prefix interop)"
	npm ci --prefix "$root/interop" --no-audit --no-fund >/dev/null
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/credreg-ctdl-bench.XXXXXX")
server=""
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
	if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	if [[ -z ${CREDREG_BENCH_KEEP:-} ]]; then
		rm -rf "$work"
	else
		echo "work directory: $work"
	fi
}
trap cleanup EXIT
mkdir -p "$work/reports" "$work/logs" "$work/saved"
store="badger://$work/store"

echo "== build credreg"
(cd "$root" && go build -o "$work/credreg" ./cmd/credreg)

# field REPORT NAME: the sum of a numeric field over a report's files.
field() {
	node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
console.log((r.reports || []).reduce((n, x) => n + ((x && x[process.argv[2]]) || 0), 0));' "$1" "$2"
}

echo
echo "== import (one credreg import per file, into one fresh store)"
printf '%-44s %8s %9s %7s %9s\n' file units imported failed seconds
names=()
for f in "${files[@]}"; do
	name=$(basename "$f")
	stem=${name%.json}
	names+=("$name")
	report="$work/reports/$stem.report.json"
	start=$EPOCHREALTIME
	code=0
	"$work/credreg" import --store "$store" --format ctdl --quiet --report "$report" "$f" >"$work/logs/$stem.log" 2>&1 || code=$?
	end=$EPOCHREALTIME
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
	if [[ -f $report ]]; then
		printf '%-44s %8s %9s %7s %9s\n' "$name" "$(field "$report" units)" "$(field "$report" imported)" "$(field "$report" failed)" "$secs"
	else
		printf '%-44s %8s %9s %7s %9s  (exit %d, no report)\n' "$name" - - - "$secs" "$code"
		sed 's/^/    /' "$work/logs/$stem.log" | head -5
	fi
done

echo
echo "== serve"
"$work/credreg" serve --addr 127.0.0.1:0 --store "$store" >"$work/serve.out" 2>"$work/serve.err" &
server=$!
line=""
for _ in $(seq 600); do
	line=$(head -n 1 "$work/serve.out")
	[[ -n $line ]] && break
	if ! kill -0 "$server" 2>/dev/null; then
		echo "ctdl.sh: credreg serve exited:" >&2
		cat "$work/serve.err" >&2
		exit 1
	fi
	sleep 0.1
done
if [[ ! $line =~ ^credreg\ serving\ ([^ ]+)\ on\ (http://[^ ]+)$ ]]; then
	echo "ctdl.sh: unexpected first line from credreg serve: ${line:-nothing within 60 s}" >&2
	cat "$work/serve.err" >&2
	exit 1
fi
base=${BASH_REMATCH[1]}
url=${BASH_REMATCH[2]}
echo "$line"

echo
echo "== round trip (interop/ctdl-roundtrip.mjs)"
args=(--server "$url" --base "$base" --contexts "$contexts" --report-dir "$work/reports" --save "$work/saved")
if [[ -n ${CREDREG_CTDL_VERBOSE:-} ]]; then
	args+=(--verbose)
fi
rc=0
(cd "$dir" && node "$root/interop/ctdl-roundtrip.mjs" "${args[@]}" "${names[@]}") || rc=$?
exit "$rc"
