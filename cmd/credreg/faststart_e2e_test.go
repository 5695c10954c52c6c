package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitReady polls /readyz until it answers 200 and returns how long that
// took.
func waitReady(t *testing.T, inst *instance) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 60*time.Second {
		res, err := http.Get(inst.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return time.Since(start)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("not ready within 60s\n%s", inst.stderr)
	return 0
}

// TestRestartReadsTheListSnapshot: a clean stop leaves the list index's
// snapshot beside the store; the next start reads it rather than scanning
// and lists the same, in every format; a crash after that (kill -9)
// starts from the same snapshot, and a damaged one is refused and the
// index rebuilt, answering the same.
func TestRestartReadsTheListSnapshot(t *testing.T) {
	dir := t.TempDir()
	store := "badger://" + dir
	lists := []struct{ path, accept string }{
		{"/credentials?active=any&limit=100", "application/ld+json"},
		{"/credentials?cluster=Digital+Technology", "text/csv"},
		{"/credentials?q=security&active=any", "application/n-quads"},
	}
	answers := func(inst *instance) []string {
		var out []string
		for _, l := range lists {
			res, body := get(t, inst.url+l.path, l.accept)
			if res.StatusCode != 200 {
				t.Fatalf("GET %s: %d\n%s", l.path, res.StatusCode, body)
			}
			out = append(out, string(body))
		}
		return out
	}
	inst := start(t, store)
	waitReady(t, inst)
	want := answers(inst)
	if err := inst.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, inst.stderr)
	}
	if !strings.Contains(inst.stderr.String(), "from=scan") {
		t.Errorf("the first start did not build the index by a scan:\n%s", inst.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "listindex.snap")); err != nil {
		t.Fatalf("no snapshot after a clean stop: %v", err)
	}
	for _, step := range []struct {
		name string
		prep func()
		from string
	}{
		{"after a clean stop", func() {}, "from=snapshot"},
		{"after kill -9", func() {}, "from=snapshot"},
		{"with a damaged snapshot", func() {
			path := filepath.Join(dir, "listindex.snap")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 1
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "from=scan"},
	} {
		step.prep()
		inst := start(t, store)
		took := waitReady(t, inst)
		t.Logf("%s: ready %v after listening", step.name, took.Round(time.Millisecond))
		if !strings.Contains(inst.stderr.String(), step.from) {
			t.Errorf("%s: the index was not built %s:\n%s", step.name, step.from, inst.stderr)
		}
		got := answers(inst)
		for i := range lists {
			if got[i] != want[i] {
				t.Errorf("%s: GET %s answers otherwise than before the restart", step.name, lists[i].path)
			}
		}
		sig := syscall.SIGTERM
		if step.name == "after a clean stop" {
			sig = syscall.SIGKILL // the next step starts after a crash
		}
		_ = inst.stop(t, sig)
	}
}
