package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/ingest/ingesttest"
	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

func writeSheet(t *testing.T, rows int, o ingesttest.Options) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sheet.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := ingesttest.WriteCSV(f, rows, o); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

type importReport struct {
	Reports []struct {
		Units, Imported, Failed, Written, Unchanged int
		Problems                                    []struct {
			File, Column, Value, Message string
			Row                          int
		}
	}
}

func runImport(t *testing.T, args ...string) (importReport, string, int) {
	t.Helper()
	reportPath := filepath.Join(t.TempDir(), "report.json")
	args = append([]string{"import", "--report", reportPath}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("credreg %v: %v\n%s", args, err, out)
	}
	var rep importReport
	if b, err := os.ReadFile(reportPath); err == nil {
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatalf("report: %v", err)
		}
	}
	return rep, string(out), code
}

// addRegions adds the workforce regions the generated sheets use to the
// store's list of regions, as an agency would before its first import.
func addRegions(t *testing.T, store string) {
	t.Helper()
	// credreg regions manages a registry, it does not make one: an
	// import (of a sheet with no rows) makes it here, as serve would.
	empty := filepath.Join(t.TempDir(), "empty.csv")
	if err := os.WriteFile(empty, []byte("Credential Name\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(binary, "regions", "list", "--store", store).CombinedOutput(); err == nil || !strings.Contains(string(out), "holds no registry yet") {
		t.Fatalf("credreg regions on a new store: %v\n%s", err, out)
	}
	if out, err := exec.Command(binary, "import", "--store", store, "--quiet", empty).CombinedOutput(); err != nil {
		t.Fatalf("credreg import of an empty sheet: %v\n%s", err, out)
	}
	for _, r := range []string{"Northeast Heartland Workforce Region", "River Valley Workforce Region"} {
		if out, err := exec.Command(binary, "regions", "add", "--store", store, r).CombinedOutput(); err != nil {
			t.Fatalf("credreg regions add %q: %v\n%s", r, err, out)
		}
	}
}

func TestImportCommand(t *testing.T) {
	store := "badger://" + t.TempDir()
	addRegions(t, store)
	sheet := writeSheet(t, 300, ingesttest.Options{BadEvery: 100})
	rep, out, code := runImport(t, "--store", store, "--agency", "Heartland Workforce Commission", "--new-agency", sheet)
	if code != 1 {
		t.Errorf("exit code %d with 3 bad rows, want 1\n%s", code, out)
	}
	r := rep.Reports[0]
	if r.Units != 300 || r.Imported != 297 || r.Failed != 3 {
		t.Errorf("report = %+v, want 300 rows, 297 imported, 3 failed", r)
	}
	for _, p := range r.Problems {
		if p.File != sheet || p.Row == 0 || p.Column == "" || p.Message == "" {
			t.Errorf("imprecise problem %+v", p)
		}
	}
	if !strings.Contains(out, "FILE") || !strings.Contains(out, "SOC Codes") || !strings.Contains(out, "15-12") {
		t.Errorf("the problem table is missing from the output:\n%s", out)
	}
	// Again: nothing changes.
	rep, out, _ = runImport(t, "--store", store, "--agency", "Heartland Workforce Commission", "--new-agency", sheet)
	if r := rep.Reports[0]; r.Written != 0 || r.Imported != 297 {
		t.Errorf("re-import = %+v, want nothing written\n%s", r, out)
	}
	// Usage errors.
	_, out, code = runImport(t, "--store", store, filepath.Join(t.TempDir(), "data.pdf"))
	if code != 2 || !strings.Contains(out, "--format") {
		t.Errorf("unknown extension: exit %d\n%s", code, out)
	}
}

// TestImportSurvivesKill9 kills an import mid-way; the store must open with
// only whole records, and running the same import again must finish it
// with the right counts and no duplicates.
func TestImportSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 20,000 rows")
	}
	const rows = 20000
	dir := t.TempDir()
	store := "badger://" + dir
	addRegions(t, store)
	sheet := writeSheet(t, rows, ingesttest.Options{})
	// A first import, killed once a few batches are in.
	cmd := exec.Command(binary, "import", "--store", store, "--agency", "Heartland Workforce Commission", "--new-agency", sheet)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			// Progress lines: "sheet.csv: 1234 rows, …". Kill past 4,000.
			var n int
			if i := strings.Index(sc.Text(), ": "); i >= 0 {
				fmt.Sscanf(sc.Text()[i+2:], "%d rows", &n)
			}
			if n >= 4000 {
				_ = cmd.Process.Signal(syscall.SIGKILL)
				close(killed)
				break
			}
		}
		for sc.Scan() {
		}
	}()
	waitErr := cmd.Wait()
	select {
	case <-killed:
	default:
		t.Fatalf("the import finished before it could be killed (%v); make it slower or bigger", waitErr)
	}

	// The store opens, and holds only whole records.
	base, _ := schema.NewBase("http://127.0.0.1:8080")
	ctx := context.Background()
	st, err := registry.Open(ctx, store, registry.Options{Base: base, AdoptStoredBase: true})
	if err != nil {
		t.Fatalf("store after kill -9: %v", err)
	}
	creds, err := st.Subjects(ctx, schema.RDFType, quad.IRI(schema.CETerms+"Certification"))
	if err != nil {
		t.Fatal(err)
	}
	partial := len(creds)
	if partial == 0 {
		t.Error("no credential was written before the kill")
	}
	for _, iri := range creds {
		rec, err := st.Get(ctx, iri)
		if err != nil {
			t.Fatal(err)
		}
		if got := rdf.ContentHash(rec.Quads); got != rec.Hash {
			t.Fatalf("%s is not whole after kill -9: content hash %s, recorded %s", iri, got, rec.Hash)
		}
	}
	seq := st.Sequence()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// The same import again completes it.
	rep, out, code := runImport(t, "--store", store, "--agency", "Heartland Workforce Commission", "--new-agency", "--quiet", sheet)
	if code != 0 {
		t.Fatalf("re-run: exit %d\n%s", code, out)
	}
	r := rep.Reports[0]
	if r.Units != rows || r.Imported != rows || r.Failed != 0 {
		t.Errorf("re-run report = %+v, want all %d rows imported", r, rows)
	}
	st, err = registry.Open(ctx, store, registry.Options{Base: base, AdoptStoredBase: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	designations, _ := st.Subjects(ctx, schema.RDFType, quad.IRI(schema.ClassValueDesignation))
	var total int
	for _, typ := range []string{"Certification", "Certificate", "License", "AssociateDegree", "ApprenticeshipCertificate", "Badge"} {
		c, _ := st.Subjects(ctx, schema.RDFType, quad.IRI(schema.CETerms+typ))
		total += len(c)
	}
	// The store held the reference data only: every designation is the
	// sheet's.
	if total < rows || len(designations) != rows {
		t.Errorf("after the re-run: %d synthetic-type credentials (want at least %d) and %d designations (want %d)", total, rows, len(designations), rows)
	}
	if st.Sequence() <= seq {
		t.Errorf("the re-run wrote nothing (sequence %d -> %d)", seq, st.Sequence())
	}
	t.Logf("killed after %d credentials; re-run wrote %d records, %d unchanged", partial, r.Written, r.Unchanged)
}

// TestRegionsCommand manages the list of regions: add, a spelling added
// to a region, a spelling another region holds refused, list.
func TestRegionsCommand(t *testing.T) {
	store := "badger://" + t.TempDir()
	addRegions(t, store)
	run := func(args ...string) (string, error) {
		out, err := exec.Command(binary, append([]string{"regions"}, args...)...).CombinedOutput()
		return string(out), err
	}
	if out, err := run("add", "--store", store, "--alt", "NE Heartland", "Northeast Heartland Workforce Region"); err != nil || !strings.HasPrefix(out, "updated ") {
		t.Errorf("adding a spelling: %v\n%s", err, out)
	}
	if out, err := run("add", "--store", store, "--alt", "ne heartland", "Lakeshore Workforce Region"); err == nil || !strings.Contains(out, `already names the region "Northeast Heartland Workforce Region"`) {
		t.Errorf("an ambiguous spelling: %v\n%s", err, out)
	}
	out, err := run("list", "--store", store)
	if err != nil || !strings.Contains(out, "Northeast Heartland Workforce Region  NE Heartland") || !strings.Contains(out, "Statewide") || strings.Contains(out, "Lakeshore") {
		t.Errorf("list: %v\n%s", err, out)
	}
}

// TestImportAtomic imports a sheet with bad rows with --atomic: nothing is
// written; without the bad rows everything is.
func TestImportAtomic(t *testing.T) {
	ctx := context.Background()
	store := "badger://" + t.TempDir()
	addRegions(t, store)
	seqOf := func() uint64 {
		base, _ := schema.NewBase("http://127.0.0.1:8080")
		st, err := registry.Open(ctx, store, registry.Options{Base: base, AdoptStoredBase: true})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		return st.Sequence()
	}
	before := seqOf()
	bad := writeSheet(t, 300, ingesttest.Options{BadEvery: 100})
	rep, out, code := runImport(t, "--store", store, "--agency", "Heartland Workforce Commission", "--new-agency", "--atomic", "--quiet", bad)
	if code != 1 || len(rep.Reports) != 1 || rep.Reports[0].Failed != 3 || rep.Reports[0].Written != 0 || seqOf() != before {
		t.Errorf("--atomic with 3 bad rows: exit %d, report %+v, %d changes written\n%s", code, rep.Reports, seqOf()-before, out)
	}
	good := writeSheet(t, 300, ingesttest.Options{})
	rep, out, code = runImport(t, "--store", store, "--agency", "Heartland Workforce Commission", "--new-agency", "--atomic", "--quiet", good)
	if code != 0 || rep.Reports[0].Imported != 300 || seqOf() == before {
		t.Errorf("--atomic, all good: exit %d, report %+v\n%s", code, rep.Reports, out)
	}
	if _, out, code := runImport(t, "--store", store, "--atomic", "--format", "csv", "-"); code != 1 || !strings.Contains(out, "give a file, not -") {
		t.Errorf("--atomic from standard input: exit %d\n%s", code, out)
	}
}
