package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"credreg/internal/pgtest"
)

// dumpLines fetches a running registry's dump as sorted N-Quads lines.
func dumpLines(t *testing.T, inst *instance) []string {
	t.Helper()
	resp, err := http.Get(inst.url + "/dump.nq.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /dump.nq.gz: %s", resp.Status)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	sort.Strings(lines)
	return lines
}

// storeCopyRoundTrip serves a registry on from, copies it with "credreg
// migrate --from --to" to mid and back to a third store, and checks that
// each serves the same dump and change log.
func storeCopyRoundTrip(t *testing.T, from, mid, back string) {
	inst := start(t, from)
	want := dumpLines(t, inst)
	_, feedWant := get(t, inst.url+"/changes?since=0&limit=1000", "application/ld+json")
	if err := inst.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("stop: %v", err)
	}
	for _, hop := range [][2]string{{from, mid}, {mid, back}} {
		out, code := credreg(t, "migrate", "--from", hop[0], "--to", hop[1])
		if code != 0 || !strings.Contains(out, "statements verified") {
			t.Fatalf("migrate --from %s --to %s: exit %d\n%s", hop[0], hop[1], code, out)
		}
		// Safe to run again: it only verifies.
		out, code = credreg(t, "migrate", "--from", hop[0], "--to", hop[1], "--quiet")
		if code != 0 || !strings.Contains(out, "(0 written by this run)") {
			t.Fatalf("second migrate --from %s --to %s: exit %d\n%s", hop[0], hop[1], code, out)
		}
	}
	for _, store := range []string{mid, back} {
		inst := start(t, store)
		if got := dumpLines(t, inst); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s serves a dump of %d statements, the original %d", store, len(got), len(want))
		}
		_, feed := get(t, inst.url+"/changes?since=0&limit=1000", "application/ld+json")
		if !bytes.Equal(feed, feedWant) {
			t.Errorf("%s serves another change feed than the original", store)
		}
		if err := inst.stop(t, syscall.SIGTERM); err != nil {
			t.Fatalf("stop: %v", err)
		}
	}
}

func TestMigrateBetweenStores(t *testing.T) {
	dir := t.TempDir()
	storeCopyRoundTrip(t, "badger://"+filepath.Join(dir, "a"), "badger://"+filepath.Join(dir, "b"), "badger://"+filepath.Join(dir, "c"))

	// A copy into another registry is refused.
	other := "badger://" + filepath.Join(dir, "other")
	inst := start(t, other, "--base", "https://other.example")
	if err := inst.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	runFails(t, "another registry", "migrate", "--from", "badger://"+filepath.Join(dir, "a"), "--to", other)
	runFails(t, "--from and --to go together", "migrate", "--from", "badger://"+filepath.Join(dir, "a"))
}

// TestMigrateThroughPostgres: Badger → PostgreSQL → Badger with "credreg
// migrate", each store serving the same dump and change feed.
func TestMigrateThroughPostgres(t *testing.T) {
	dir := t.TempDir()
	storeCopyRoundTrip(t, "badger://"+filepath.Join(dir, "a"), pgtest.NewDatabase(t), "badger://"+filepath.Join(dir, "c"))
}
