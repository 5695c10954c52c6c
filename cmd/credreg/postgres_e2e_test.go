package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"credreg/internal/pgtest"
)

// designationJSON is a new designation of the sample's NREMT certification.
func designationJSON(base string, n int) string {
	d := map[string]any{
		"type":       "ValueDesignation",
		"credential": base + "/resources/ce-f33b4a20-d7ac-4dd2-8a40-b29a22d5103a",
		"subCluster": base + "/schemes/career-clusters/040301",
		"region":     "Statewide",
		"validFrom":  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n%365).Format("2006-01-02"),
		"criterion":  []string{base + "/schemes/value-criteria/in-demand"},
	}
	b, _ := json.Marshal(d)
	return string(b)
}

// agencyToken makes a write token for the sample's workforce agency.
func agencyToken(t *testing.T, store string) string {
	t.Helper()
	out, code := credreg(t, "token", "create", "--store", store, "--agency", "Heartland Workforce Commission", "--expires", "1d")
	if code != 0 {
		t.Fatalf("token create: %d\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

// postDesignation writes one designation; it returns the new record's IRI.
func postDesignation(client *http.Client, inst *instance, token, body string) (string, error) {
	req, _ := http.NewRequest(http.MethodPost, inst.url+"/designations", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/ld+json")
	res, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("POST /designations: %s: %s", res.Status, b)
	}
	return res.Header.Get("Location"), nil
}

var (
	feedObject   = regexp.MustCompile(`^<([^>]*#change-(\d+))> <https://www\.w3\.org/ns/activitystreams#object> <([^>]+)>`)
	feedSequence = regexp.MustCompile(`#change-(\d+)> <[^>]*sequence> "(\d+)"`)
)

// feedAll reads a server's whole change feed as N-Quads pages: the raw
// pages (to compare servers) and the resource of each change by sequence.
func feedAll(t *testing.T, inst *instance) ([]byte, map[int]string) {
	t.Helper()
	var all bytes.Buffer
	changes := map[int]string{}
	for since := 0; ; {
		_, page := get(t, fmt.Sprintf("%s/changes?since=%d&limit=1000", inst.url, since), "application/n-quads")
		all.Write(page)
		n := 0
		for _, line := range strings.Split(string(page), "\n") {
			if m := feedObject.FindStringSubmatch(line); m != nil {
				seq, _ := strconv.Atoi(m[2])
				if _, dup := changes[seq]; dup {
					t.Fatalf("%s: change %d twice in the feed", inst.url, seq)
				}
				changes[seq] = m[3]
				n++
				since = max(since, seq)
			}
			if m := feedSequence.FindStringSubmatch(line); m != nil && m[1] != m[2] {
				t.Fatalf("%s: activity #change-%s has sequence %s", inst.url, m[1], m[2])
			}
		}
		if n == 0 {
			return all.Bytes(), changes
		}
	}
}

// TestTwoServersOnePostgres runs two credreg processes on one database,
// 8 writers each, and checks that no acknowledged write is lost, the log's
// sequence has no gap and no repeat, and both servers end with the same
// feed and the same designations.
func TestTwoServersOnePostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	writes := 10_000
	if n, err := strconv.Atoi(os.Getenv("CREDREG_E2E_PG_WRITES")); err == nil && n > 0 {
		writes = n
	}
	a := start(t, dsn, "--max-writes-per-minute", "-1")
	b := start(t, dsn, "--max-writes-per-minute", "-1")
	if a.base != b.base {
		t.Fatalf("the servers serve different bases: %s and %s", a.base, b.base)
	}
	token := agencyToken(t, dsn)
	_, before := feedAll(t, a)
	head0 := len(before)

	const writersPerServer = 8
	var (
		wg      sync.WaitGroup
		next    atomic.Int64
		mu      sync.Mutex
		written = map[string]bool{}
		errs    []error
	)
	began := time.Now()
	for _, inst := range []*instance{a, b} {
		for range writersPerServer {
			wg.Add(1)
			go func() {
				defer wg.Done()
				client := &http.Client{Timeout: time.Minute}
				for {
					n := int(next.Add(1))
					if n > writes {
						return
					}
					iri, err := postDesignation(client, inst, token, designationJSON(a.base, n))
					if strings.HasPrefix(iri, "/") {
						iri = inst.base + iri
					}
					mu.Lock()
					if err != nil {
						errs = append(errs, err)
					} else {
						written[iri] = true
					}
					mu.Unlock()
					if err != nil {
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(began)
	if len(errs) > 0 {
		for _, inst := range []*instance{a, b} {
			for _, line := range strings.Split(inst.stderr.String(), "\n") {
				if strings.Contains(line, "ERROR") {
					t.Logf("%s: %s", inst.url, line)
				}
			}
		}
	}
	for _, err := range errs {
		t.Error(err)
	}
	t.Logf("%d designation writes through 2 servers × %d writers in %v (%.0f writes/s)", len(written), writersPerServer, elapsed.Round(time.Millisecond), float64(len(written))/elapsed.Seconds())
	if len(written) != writes {
		t.Fatalf("%d writes acknowledged with distinct records, want %d", len(written), writes)
	}

	// Within a second every server has followed every write.
	time.Sleep(time.Second)
	feedA, changesA := feedAll(t, a)
	feedB, _ := feedAll(t, b)
	if !bytes.Equal(feedA, feedB) {
		t.Errorf("the servers' feeds differ (%d and %d bytes)", len(feedA), len(feedB))
	}
	if want := head0 + writes; len(changesA) != want {
		t.Errorf("the feed holds %d changes, want %d", len(changesA), want)
	}
	for seq := 1; seq <= len(changesA); seq++ {
		if _, ok := changesA[seq]; !ok {
			t.Fatalf("change %d is missing from the feed (of %d)", seq, len(changesA))
		}
	}
	logged := map[string]bool{}
	for seq := head0 + 1; seq <= len(changesA); seq++ {
		logged[changesA[seq]] = true
	}
	var lost []string
	for iri := range written {
		if !logged[iri] {
			lost = append(lost, iri)
		}
	}
	sort.Strings(lost)
	if len(lost) > 0 {
		t.Errorf("%d acknowledged writes are not in the log, such as %v", len(lost), lost[:min(3, len(lost))])
	}
	// Both servers list the same designations side by side.
	path := "/resources/ce-f33b4a20-d7ac-4dd2-8a40-b29a22d5103a/designations"
	_, desA := get(t, a.url+path, "application/ld+json")
	_, desB := get(t, b.url+path, "application/ld+json")
	if !bytes.Equal(desA, desB) {
		t.Errorf("the servers answer %s differently", path)
	}
	_, listA := get(t, a.url+"/credentials?format=json&limit=200", "application/ld+json")
	_, listB := get(t, b.url+"/credentials?format=json&limit=200", "application/ld+json")
	if !bytes.Equal(listA, listB) {
		t.Errorf("the servers' lists of credentials of value differ")
	}
	for _, inst := range []*instance{a, b} {
		if err := inst.stop(t, syscall.SIGTERM); err != nil {
			t.Errorf("stop: %v", err)
		}
	}
}

// standbyReads is how many rows the standby has returned from the
// database's tables so far (pg_stat_database), to tell that reads go to it.
func standbyReads(t *testing.T, standby string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, standby)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int64
	if err := conn.QueryRow(ctx, "SELECT tup_returned + tup_fetched FROM pg_stat_database WHERE datname = current_database()").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReadReplica serves a registry from a primary and a hot standby made
// in the test (pg_basebackup into a second cluster on another port):
// reads are served from the standby, and a client reads its own writes.
func TestReadReplica(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	standby := pgtest.NewStandby(t, dsn)
	// The standby refuses writes: it is a replica indeed.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, standby)
	if err != nil {
		t.Fatal(err)
	}
	var inRecovery bool
	if err := conn.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil || !inRecovery {
		t.Fatalf("the standby is not in recovery: %v %v", inRecovery, err)
	}
	conn.Close(ctx)

	inst := start(t, dsn, "--read-store", standby, "--max-writes-per-minute", "-1")
	token := agencyToken(t, dsn)
	client := &http.Client{Timeout: time.Minute}
	before := standbyReads(t, standby)
	for n := range 50 {
		iri, err := postDesignation(client, inst, token, designationJSON(inst.base, n))
		if err != nil {
			t.Fatal(err)
		}
		// Read it at once: served from the standby, it is there.
		res, body := get(t, inst.url+iri, "application/ld+json")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("read %s right after writing it: %s\n%s", iri, res.Status, body)
		}
	}
	if after := standbyReads(t, standby); after <= before {
		t.Errorf("the standby returned no rows while the registry served reads (%d then %d)", before, after)
	}
	// A replace is read back as replaced.
	_, body := get(t, inst.url+"/resources/ce-f33b4a20-d7ac-4dd2-8a40-b29a22d5103a/designations", "application/ld+json")
	if c := strings.Count(string(body), "ValueDesignation"); c < 50 {
		t.Errorf("the designations side by side show %d designations after 50 writes", c)
	}
	if err := inst.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("stop: %v", err)
	}
}
