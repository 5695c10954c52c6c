#!/usr/bin/env bash
# Harvest figures (dump, fragments, dataset description) of a prepared
# store, old against new in one run: the old code (a git revision, default
# 52e150e, the last with the harvest index) on one copy of the store, then
# this tree's code on another copy (whose first open upgrades a layout 1
# store in place). The prepared store itself is never opened.
#
#   bench/harvest.sh /tmp/listbench-store            # old 52e150e, then this tree
#   CREDREG_HARVEST_OLD= bench/harvest.sh STORE      # this tree only
#
# Environment:
#   CREDREG_HARVEST_OLD   the old revision (empty: skip it)
#   CREDREG_BENCH_KEEP    set to keep the work directory (copies, old tree)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
src=${1:?usage: bench/harvest.sh STORE-DIR}
old=${CREDREG_HARVEST_OLD-52e150e}
work=$(mktemp -d "${TMPDIR:-/tmp}/credreg-harvest.XXXXXX")
if [[ -z ${CREDREG_BENCH_KEEP:-} ]]; then
	trap 'rm -rf "$work"' EXIT
else
	echo "work directory: $work"
fi

if [[ -n $old ]]; then
	echo "== old ($old) on a copy of $src"
	cp -a "$src" "$work/store-old"
	mkdir "$work/old"
	git -C "$root" archive "$old" | tar -x -C "$work/old"
	cp "$here/harvest_old_test.go.txt" "$work/old/registry/zz_harvest_old_test.go"
	(cd "$work/old" && CREDREG_HARVEST_STORE="$work/store-old" go test -count=1 -v -timeout 30m \
		-run '^TestHarvestFiguresOld$' ./registry/ | grep '^credreg-bench:')
	rm -rf "$work/store-old"
fi
echo "== new (this tree) on a copy of $src"
cp -a "$src" "$work/store-new"
(cd "$root" && CREDREG_HARVEST_STORE="$work/store-new" go test -count=1 -v -timeout 30m \
	-run '^TestHarvestFigures$' ./harvest/ | grep '^credreg-bench:')
