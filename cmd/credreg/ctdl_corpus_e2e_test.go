package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The CTDL corpus (Credential Engine documents, one shape a file) and the
// published CTDL contexts ctdl-roundtrip.mjs expands them with.
const (
	ctdlCorpusDir   = "../../ingest/testdata/ctdl-corpus"
	ctdlContextsDir = "../../../shared/reference/ctdl"
)

// TestCTDLCorpusRoundTrip imports every file of the CTDL corpus with the
// binary (one "credreg import --format ctdl" per file, timed), serves the
// store and has jsonld.js compare each file's facts with credreg's CTDL
// exports of it (interop/ctdl-roundtrip.mjs): every file must import whole
// and come back whole, an error file (-error- in its name) must import in
// part with a problem reported (CREDREG_CTDL_CORPUS names another folder
// of NN-*.json files to run it on). Then the fixed point: the exports, imported
// into a second fresh store, must come back from it whole.
func TestCTDLCorpusRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the CTDL corpus round trip imports the whole corpus twice")
	}
	node, interop, contexts := ctdlPrerequisites(t)
	dir := ctdlCorpusDir
	if d := os.Getenv("CREDREG_CTDL_CORPUS"); d != "" {
		dir = d // another corpus, for trying documents out
	}
	corpus, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(corpus, "[0-9][0-9]-*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("no NN-*.json file in %s", corpus)
	}
	script := filepath.Join(interop, "ctdl-roundtrip.mjs")

	// (a) The corpus, one import process per file.
	work := t.TempDir()
	reports, saved := filepath.Join(work, "reports"), filepath.Join(work, "saved")
	for _, d := range []string{reports, saved} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	store := "badger://" + filepath.Join(work, "store")
	var names []string
	largest, largestUnits := "", -1
	for _, f := range files {
		name := filepath.Base(f)
		names = append(names, name)
		report := filepath.Join(reports, strings.TrimSuffix(name, ".json")+".report.json")
		took, out, code := ctdlImport(t, store, report, f)
		rep, err := readCTDLReport(report)
		if err != nil {
			t.Errorf("%s: credreg import exited %d without a report (%v):\n%s", name, code, err, out)
			continue
		}
		units, imported, failed := rep.totals()
		t.Logf("import %-44s units=%d imported=%d failed=%d %.2fs", name, units, imported, failed, took.Seconds())
		if units > largestUnits {
			largest, largestUnits = name, units
		}
		if code != 0 && code != 1 {
			t.Errorf("%s: credreg import exited %d (want 0, or 1 when units failed):\n%s", name, code, out)
		}
	}
	if largest != "" {
		t.Logf("largest corpus file %s: %d units", largest, largestUnits)
	}
	inst := start(t, store)
	text, err := ctdlRoundTrip(t, node, script, corpus, append([]string{"--server", inst.url, "--base", inst.base, "--contexts", contexts,
		"--report-dir", reports, "--save", saved, "--verbose", "--"}, names...)...)
	t.Logf("ctdl-roundtrip.mjs over the corpus:\n%s", text)
	if want := fmt.Sprintf("%d passed, 0 failed", len(files)); err != nil || lastLine(text) != want {
		t.Errorf("corpus round trip: %q, want %q (%v)", lastLine(text), want, err)
	}
	ctdlOwnFormats(t, node, interop, inst, saved)
	_ = inst.stop(t, syscall.SIGTERM)

	// (b) The fixed point: credreg's exports, imported into a second store,
	// come back from it whole.
	exports, err := filepath.Glob(filepath.Join(saved, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(exports) == 0 {
		t.Fatal("fixed point: the round trip saved no export (every GET failed)")
	}
	reports2 := filepath.Join(work, "reports2")
	if err := os.Mkdir(reports2, 0o755); err != nil {
		t.Fatal(err)
	}
	store2 := "badger://" + filepath.Join(work, "store2")
	all := filepath.Join(work, "exports.report.json")
	took, importOut, code := ctdlImport(t, store2, all, exports...)
	if code != 0 && code != 1 {
		t.Fatalf("fixed point: credreg import of %d exports exited %d:\n%s", len(exports), code, importOut)
	}
	if err := splitCTDLReport(all, reports2); err != nil {
		t.Fatalf("fixed point: %v\n%s", err, importOut)
	}
	t.Logf("fixed point: imported %d exports in %.2fs", len(exports), took.Seconds())
	inst2 := start(t, store2)
	var exportNames []string
	for _, e := range exports {
		exportNames = append(exportNames, filepath.Base(e))
	}
	text2, err := ctdlRoundTrip(t, node, script, saved, append([]string{"--server", inst2.url, "--base", inst2.base, "--contexts", contexts,
		"--report-dir", reports2, "--verbose", "--"}, exportNames...)...)
	if want := fmt.Sprintf("%d passed, 0 failed", len(exports)); err != nil || lastLine(text2) != want {
		t.Errorf("fixed point: %q, want %q (%v); the files that did not come back whole:\n%s", lastLine(text2), want, err, ctdlFailedFiles(text2))
	} else {
		t.Logf("fixed point: %s", lastLine(text2))
	}
}

// ctdlOwnFormats checks credreg's own representations of the imported
// CTDL records (those the corpus gives at top level, but for 20 of the
// large concept scheme's concepts, at most 300, and their /graph documents): each page answers 200 as HTML, and jsonld.js finds each
// JSON-LD document isomorphic to its N-Quads.
func ctdlOwnFormats(t *testing.T, node, interop string, inst *instance, saved string) {
	t.Helper()
	exports, err := filepath.Glob(filepath.Join(saved, "ce-*.graph.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Every record but the concepts of the large scheme, of which 20.
	var paths []string
	concepts := 0
	for _, e := range exports {
		body, err := os.ReadFile(e)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(body), `"@type": "skos:Concept"`) {
			if concepts++; concepts > 20 {
				continue
			}
		}
		if len(paths) >= 600 {
			break
		}
		ctid := strings.TrimSuffix(filepath.Base(e), ".graph.json")
		paths = append(paths, "/resources/"+ctid, "/graph/"+ctid)
	}
	for _, p := range paths {
		req, _ := http.NewRequest(http.MethodGet, inst.url+p, nil)
		req.Header.Set("Accept", "text/html")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s as HTML: %d", p, res.StatusCode)
		}
	}
	cmd := exec.Command(node, filepath.Join(interop, "jsonld-isomorphic.mjs"), inst.url)
	cmd.Env = append(os.Environ(), "CREDREG_REGISTRY_BASE="+inst.base)
	cmd.Stdin = strings.NewReader(strings.Join(paths, "\n"))
	out, err := cmd.CombinedOutput()
	if want := fmt.Sprintf("%d passed, 0 failed", len(paths)); err != nil || lastLine(string(out)) != want {
		t.Errorf("credreg's own JSON-LD of the CTDL records (%s, want %s):\n%s", lastLine(string(out)), want, failures(string(out)))
	} else {
		t.Logf("credreg's JSON-LD of %d CTDL records and graphs: %s", len(paths), lastLine(string(out)))
	}
}

// ctdlPrerequisites finds node, interop/ (with jsonld.js) and the CTDL
// contexts, skipping the test when one is missing, or failing it when
// CI=true.
func ctdlPrerequisites(t *testing.T) (node, interop, contexts string) {
	t.Helper()
	missing := func(msg string) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	interop, err := filepath.Abs("../../interop")
	if err != nil {
		t.Fatal(err)
	}
	node, err = exec.LookPath("node")
	if _, statErr := os.Stat(filepath.Join(interop, "node_modules", "jsonld")); err != nil || statErr != nil {
		missing("node or interop/node_modules/jsonld missing: run `npm ci --prefix interop` (the Makefile's test target does)")
	}
	contexts, err = filepath.Abs(ctdlContextsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ctdl-context.json", "ctdlasn-context.json"} {
		if _, err := os.Stat(filepath.Join(contexts, f)); err != nil {
			missing(fmt.Sprintf("the CTDL contexts are missing (%v): shared/reference/ctdl beside the repository holds them", err))
		}
	}
	return node, interop, contexts
}

// ctdlImport runs one "credreg import --format ctdl" of files into store,
// writing its report to report; it returns how long it took, its output
// and exit code.
func ctdlImport(t *testing.T, store, report string, files ...string) (time.Duration, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	args := append([]string{"import", "--store", store, "--format", "ctdl", "--quiet", "--report", report}, files...)
	began := time.Now()
	out, err := exec.CommandContext(ctx, binary, args...).CombinedOutput()
	took := time.Since(began)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("credreg import: %v\n%s", err, out)
	}
	return took, string(out), code
}

// ctdlReport is the part of "credreg import --report" the test reads.
type ctdlReport struct {
	Reports []struct {
		File                    string
		Units, Imported, Failed int
	}
}

func (r ctdlReport) totals() (units, imported, failed int) {
	for _, x := range r.Reports {
		units, imported, failed = units+x.Units, imported+x.Imported, failed+x.Failed
	}
	return units, imported, failed
}

func readCTDLReport(path string) (ctdlReport, error) {
	var rep ctdlReport
	b, err := os.ReadFile(path)
	if err != nil {
		return rep, err
	}
	return rep, json.Unmarshal(b, &rep)
}

// splitCTDLReport writes each file's report of one import of several files
// as DIR/<name>.report.json (<name>.json the file), the layout
// ctdl-roundtrip.mjs --report-dir reads.
func splitCTDLReport(path, dir string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("import report: %w", err)
	}
	var all struct{ Reports []json.RawMessage }
	if err := json.Unmarshal(b, &all); err != nil {
		return fmt.Errorf("import report %s: %w", path, err)
	}
	for _, raw := range all.Reports {
		var r struct{ File string }
		if err := json.Unmarshal(raw, &r); err != nil || r.File == "" {
			return fmt.Errorf("import report %s: a report without its file", path)
		}
		one, _ := json.Marshal(map[string]any{"reports": []json.RawMessage{raw}})
		name := strings.TrimSuffix(filepath.Base(r.File), ".json") + ".report.json"
		if err := os.WriteFile(filepath.Join(dir, name), one, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ctdlRoundTrip runs ctdl-roundtrip.mjs in dir (the files are named
// relative to it) and returns its output and exit error.
func ctdlRoundTrip(t *testing.T, node, script, dir string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append([]string{script}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("ctdl-roundtrip.mjs did not finish within 15 minutes:\n%s", out)
	}
	return string(out), err
}

// ctdlFailedFiles keeps, of ctdl-roundtrip.mjs's output, the blocks of the
// files that failed (their line and indented notes), at most 40 files.
func ctdlFailedFiles(out string) string {
	var blocks []string
	var cur []string
	flush := func() {
		for _, l := range cur {
			if strings.HasPrefix(l, "  FAIL:") {
				blocks = append(blocks, strings.Join(cur, "\n"))
				break
			}
		}
		cur = nil
	}
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "  ") {
			flush()
		}
		cur = append(cur, l)
	}
	flush()
	if len(blocks) > 40 {
		blocks = append(blocks[:40], fmt.Sprintf("… and %d more", len(blocks)-40))
	}
	return strings.Join(blocks, "\n")
}
