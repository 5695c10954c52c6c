package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"credreg/ingest/seed"
	"credreg/schema"
)

// binary is the credreg binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "credreg-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "credreg")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build credreg:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// instance is a running credreg process.
type instance struct {
	cmd    *exec.Cmd
	base   string // the registry's base IRI
	url    string // where it listens
	stderr *strings.Builder
	done   chan error
}

var servingLine = regexp.MustCompile(`^credreg serving (\S+) on http://(\S+)$`)

// start runs "credreg serve" on a free loopback port with the given store
// and waits until it serves.
func start(t *testing.T, store string, extra ...string) *instance {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--store", store, "--sample"}, extra...)
	cmd := exec.Command(binary, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	inst := &instance{cmd: cmd, stderr: &strings.Builder{}, done: make(chan error, 1)}
	cmd.Stderr = &lockedWriter{b: inst.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	go func() { inst.done <- cmd.Wait() }()
	select {
	case l := <-lines:
		m := servingLine.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("unexpected first line %q", l)
		}
		inst.base, inst.url = m[1], "http://"+m[2]
	case err := <-inst.done:
		t.Fatalf("credreg exited before serving: %v\n%s", err, inst.stderr.String())
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("credreg did not start within 60s\n%s", inst.stderr.String())
	}
	t.Cleanup(func() { inst.stop(t, syscall.SIGKILL) })
	return inst
}

// stop signals the process and waits for it; it returns the exit error.
func (i *instance) stop(t *testing.T, sig syscall.Signal) error {
	t.Helper()
	if i.cmd.ProcessState != nil {
		return nil
	}
	_ = i.cmd.Process.Signal(sig)
	select {
	case err := <-i.done:
		i.done <- err
		return err
	case <-time.After(30 * time.Second):
		_ = i.cmd.Process.Kill()
		t.Fatalf("credreg did not stop within 30s after %v", sig)
	}
	return nil
}

type lockedWriter struct{ b *strings.Builder }

func (w *lockedWriter) Write(p []byte) (int, error) { return w.b.Write(p) }

func get(t *testing.T, url, accept string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

// Security+ in the sample registry (fixtures/data/credentials.jsonld).
const securityPlus = "ce-753d4e3a-bc16-4cc6-9d35-37f186c36532"

func TestServesFixtureCredentialInEveryFormat(t *testing.T) {
	inst := start(t, "badger://"+t.TempDir())
	url := inst.url + "/resources/" + securityPlus
	if inst.url != inst.base {
		t.Fatalf("a new store's default base %s is not where it listens (%s)", inst.base, inst.url)
	}

	res, body := get(t, url, "application/ld+json")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/ld+json" {
		t.Fatalf("JSON-LD: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("JSON-LD does not parse: %v", err)
	}
	if doc["id"] != url || doc["name"] != "CompTIA Security+" || doc["type"] != "Certification" || doc["@context"] != inst.base+"/contexts/v"+schema.ContextVersion+".jsonld" {
		t.Errorf("JSON-LD document = %v", doc)
	}

	res, body = get(t, url, "application/n-quads")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/n-quads" {
		t.Fatalf("N-Quads: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if !strings.Contains(string(body), "<"+url+"> <https://purl.org/ctdl/terms/name> \"CompTIA Security+\" .\n") {
		t.Errorf("N-Quads lack the name statement:\n%s", body)
	}

	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
	res, body = get(t, url, browser)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("HTML: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, want := range []string{"<!doctype html>", "<h1>CompTIA Security&#43;</h1>", `href="/resources/`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, accept := range []string{"application/ld+json", "application/n-quads", browser} {
		res, _ := get(t, url, accept)
		if !strings.Contains(res.Header.Get("Vary"), "Accept") {
			t.Errorf("%s: Vary = %q, want Accept", accept, res.Header.Get("Vary"))
		}
	}
}

func TestBadRequestsGetClearProblems(t *testing.T) {
	inst := start(t, "badger://"+t.TempDir())
	tests := []struct {
		path, accept string
		status       int
		detail       string
	}{
		{"/resources/ce-00000000-0000-4000-8000-000000000000", "application/ld+json", 404, "no record with IRI"},
		{"/resources/not-a-ctid", "application/ld+json", 400, "malformed resource id"},
		{"/resources/ce-753D4E3A-BC16-4CC6-9D35-37F186C36532", "", 400, "lowercase hex"},
		{"/resources/" + securityPlus, "image/png", 406, "offered: application/ld+json, application/n-quads"},
		{"/schemes/soc/151252", "", 400, "expected like 15-1252"},
		{"/schemes/Bad_Scheme", "", 400, "malformed scheme name"},
		{"/nowhere", "", 404, "no resource at /nowhere"},
		{"/resources/" + securityPlus + "?format=pdf", "", 400, "unknown format"},
	}
	for _, tt := range tests {
		res, body := get(t, inst.url+tt.path, tt.accept)
		if res.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.path, res.StatusCode, tt.status)
			continue
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: Content-Type %q, want application/problem+json", tt.path, ct)
		}
		var p struct {
			Status int
			Detail string
		}
		if err := json.Unmarshal(body, &p); err != nil || p.Status != tt.status || !strings.Contains(p.Detail, tt.detail) {
			t.Errorf("%s: problem %s, want detail containing %q", tt.path, body, tt.detail)
		}
	}
	// The server survives all of it.
	if res, _ := get(t, inst.url+"/healthz", ""); res.StatusCode != 200 {
		t.Errorf("healthz after bad requests: %d", res.StatusCode)
	}
}

func TestRestartKeepsDataAndDoesNotReloadFixtures(t *testing.T) {
	dir := t.TempDir()
	store := "badger://" + dir
	inst := start(t, store)
	_, body := get(t, inst.url+"/healthz", "")
	var h1 struct{ Sequence, Quads int64 }
	if err := json.Unmarshal(body, &h1); err != nil || h1.Sequence == 0 {
		t.Fatalf("healthz = %s", body)
	}
	if err := inst.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, inst.stderr)
	}
	if !strings.Contains(inst.stderr.String(), "shutting down") {
		t.Errorf("no shutdown log line:\n%s", inst.stderr)
	}
	inst2 := start(t, store)
	_, body = get(t, inst2.url+"/healthz", "")
	var h2 struct{ Sequence, Quads int64 }
	_ = json.Unmarshal(body, &h2)
	if h2 != h1 {
		t.Errorf("after restart healthz = %+v, want %+v (fixtures must load once)", h2, h1)
	}
	if inst2.base != inst.base {
		t.Errorf("restart on another port changed the base from %s to %s", inst.base, inst2.base)
	}
	if strings.Contains(inst2.stderr.String(), "loaded fixtures") {
		t.Error("fixtures were loaded again on the second start")
	}
	// A crash (kill -9) leaves a store that opens with everything in it.
	if err := inst2.stop(t, syscall.SIGKILL); err == nil {
		t.Error("kill -9 reported a clean exit")
	}
	inst3 := start(t, store)
	res, _ := get(t, inst3.url+"/resources/"+securityPlus, "application/ld+json")
	if res.StatusCode != 200 {
		t.Errorf("after kill -9 and restart: %d", res.StatusCode)
	}
	_, body = get(t, inst3.url+"/healthz", "")
	var h3 struct{ Sequence, Quads int64 }
	_ = json.Unmarshal(body, &h3)
	if h3 != h1 {
		t.Errorf("after kill -9 healthz = %+v, want %+v", h3, h1)
	}
}

// runFails runs credreg and expects a quick failure with a message.
func runFails(t *testing.T, want string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, args...).CombinedOutput()
	if err == nil {
		t.Fatalf("credreg %v succeeded:\n%s", args, out)
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 && ee.ExitCode() != 2 {
		t.Errorf("credreg %v: %v, want exit code 1 or 2", args, err)
	}
	if !strings.Contains(string(out), want) {
		t.Errorf("credreg %v output lacks %q:\n%s", args, want, out)
	}
	if strings.Contains(string(out), "panic") || strings.Contains(string(out), "goroutine ") {
		t.Errorf("credreg %v panicked:\n%s", args, out)
	}
}

func TestStoreProblemsAreClear(t *testing.T) {
	dir := t.TempDir()
	inst := start(t, "badger://"+dir)
	runFails(t, "in use by another process", "serve", "--addr", "127.0.0.1:0", "--store", "badger://"+dir)
	// The held store is unharmed.
	if res, _ := get(t, inst.url+"/resources/"+securityPlus, ""); res.StatusCode != 200 {
		t.Errorf("held store answers %d after a second process tried it", res.StatusCode)
	}

	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	runFails(t, file, "serve", "--addr", "127.0.0.1:0", "--store", "badger://"+file)
	runFails(t, file, "serve", "--addr", "127.0.0.1:0", "--store", "badger://"+file+"/sub")
	runFails(t, "unsupported kind", "serve", "--addr", "127.0.0.1:0", "--store", "mysql://x")
	runFails(t, "--base", "serve", "--addr", "127.0.0.1:0", "--base", "ftp://x", "--store", "badger://"+t.TempDir())
	if err := inst.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	runFails(t, "created with another base", "serve", "--addr", "127.0.0.1:0", "--base", "https://other.example", "--store", "badger://"+dir)
}

func TestHelpAndVersion(t *testing.T) {
	out, err := exec.Command(binary, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "credreg ") {
		t.Errorf("version: %v %s", err, out)
	}
	out, _ = exec.Command(binary, "serve", "--help").CombinedOutput()
	for _, flag := range []string{"-addr", "-base", "-store", "CREDREG_ADDR", "CREDREG_BASE", "CREDREG_STORE"} {
		if !strings.Contains(string(out), flag) {
			t.Errorf("serve --help lacks %s:\n%s", flag, out)
		}
	}
	runFails(t, "unknown command", "frobnicate")
}

func TestEnvironmentConfiguresServe(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(binary, "serve")
	cmd.Env = append(os.Environ(), "CREDREG_ADDR=127.0.0.1:0", "CREDREG_STORE=badger://"+dir, "CREDREG_BASE=https://registry.example.gov", "CREDREG_SAMPLE=true")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	m := servingLine.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil || m[1] != "https://registry.example.gov" {
		t.Fatalf("serving line %q, want base https://registry.example.gov", line)
	}
	res, body := get(t, "http://"+m[2]+"/resources/"+securityPlus, "application/ld+json")
	if res.StatusCode != 200 || !strings.Contains(string(body), `"id": "https://registry.example.gov/resources/`+securityPlus+`"`) {
		t.Errorf("resource under the configured base: %d\n%s", res.StatusCode, body)
	}
}

// TestJSONLDIsIsomorphicToNQuads has jsonld.js expand the JSON-LD of every
// fixture resource and compares it with the served N-Quads.
func TestJSONLDIsIsomorphicToNQuads(t *testing.T) {
	interop, err := filepath.Abs("../../interop")
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if _, statErr := os.Stat(filepath.Join(interop, "node_modules", "jsonld")); err != nil || statErr != nil {
		msg := "node or interop/node_modules/jsonld missing: run `npm ci --prefix interop` (the Makefile's test target does)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	inst := start(t, "badger://"+t.TempDir())
	base, err := schema.NewBase(inst.base)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := seed.Records(base, true)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	codes := 0
	for _, r := range recs {
		p, ok := base.Path(r.IRI)
		if !ok {
			t.Fatalf("fixture IRI %s is not under the base", r.IRI)
		}
		if strings.HasPrefix(p, "/schemes/soc/") || strings.HasPrefix(p, "/schemes/naics/") || strings.HasPrefix(p, "/schemes/cip/") {
			// every 40th concept of the official code lists
			if codes++; codes%40 != 0 {
				continue
			}
		}
		paths = append(paths, p)
	}
	paths = append(paths, "/schemes", "/resources/ce-f33b4a20-d7ac-4dd2-8a40-b29a22d5103a/designations", "/resources/"+securityPlus+"/designations",
		"/credentials?limit=7", "/credentials?active=any&limit=1000", "/credentials?q=zzqqxxkk", "/credentials?q=nurse&cluster=040200&active=any",
		"/reports/clusters?date=2026-11-25",
		"/fragments", "/fragments?predicate=https%3A%2F%2Fpurl.org%2Fctdl%2Fterms%2Fname&page=2",
		"/fragments?subject="+url.QueryEscape(inst.base+"/resources/"+securityPlus),
		"/fragments?object=%22CompTIA+Security%2B%22", "/changes?since=0&limit=40", "/changes?since=700", "/.well-known/void",
		"/graph/ce-971b8659-e19d-4527-ae1e-10ab2de2e7dd", "/graph/"+securityPlus)
	cmd := exec.Command(node, filepath.Join(interop, "jsonld-isomorphic.mjs"), inst.url)
	cmd.Stdin = strings.NewReader(strings.Join(paths, "\n"))
	out, err := cmd.CombinedOutput()
	summary := lastLine(string(out))
	if err != nil {
		t.Fatalf("jsonld.js found differences (%s):\n%s", summary, failures(string(out)))
	}
	if want := fmt.Sprintf("%d passed, 0 failed", len(paths)); summary != want {
		t.Errorf("jsonld.js: %q, want %q", summary, want)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func failures(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "ok ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestPagesInRealBrowser has Debian's Chromium, driven by playwright-core,
// walk the pages of a running credreg as a person would (home, search, a
// credential, its Cluster, the list by region, the check, an organization),
// at desktop and phone widths, with names holding markup; it checks each
// page's embedded schema.org JSON-LD with jsonld.js and schema-dts, page
// weights, the list's form and paging, the report's chart, and that no
// console error or CSP violation occurs (interop/pages.mjs). Screenshots
// of the pages go to $CREDREG_SCREENSHOTS, default test-output/screenshots.
func TestPagesInRealBrowser(t *testing.T) {
	interop, err := filepath.Abs("../../interop")
	if err != nil {
		t.Fatal(err)
	}
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	node, err := exec.LookPath("node")
	_, statErr := os.Stat(filepath.Join(interop, "node_modules", "playwright-core"))
	_, dtsErr := os.Stat(filepath.Join(interop, "node_modules", "schema-dts"))
	_, chromeErr := os.Stat(chromium)
	if err != nil || statErr != nil || dtsErr != nil || chromeErr != nil {
		msg := "node, interop/node_modules (playwright-core, schema-dts) or " + chromium + " missing: run `npm ci --prefix interop` and install Debian's chromium package"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	shots := os.Getenv("CREDREG_SCREENSHOTS")
	if shots == "" {
		shots = filepath.Join(interop, "..", "test-output", "screenshots")
	}
	// The sample, then an agency's token to write what the sample lacks:
	// a credential known by a short name, and one whose name, description
	// and web page hold markup.
	store := "badger://" + t.TempDir()
	inst := start(t, store)
	if err := inst.stop(t, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	out, code := credreg(t, "token", "create", "--store", store, "--agency", "Heartland Workforce Commission")
	if code != 0 {
		t.Fatalf("token create: %d\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]
	inst = start(t, store)
	const (
		cisco = "ce-5ea4c000-0000-4000-8000-0000000000c0"
		ccna  = "ce-5ea4c000-0000-4000-8000-000000000001"
		evil  = "ce-0badc0de-0000-4000-8000-0000000000aa"
	)
	nremt := inst.base + "/resources/ce-390f71ba-ec12-4579-a4b4-cb10e009bb9b"
	for _, w := range []struct{ ctid, body string }{
		{cisco, `{"type": "CredentialOrganization", "name": "Cisco Systems"}`},
		{ccna, `{"type": "Certification", "name": "Cisco Certified Network Associate (CCNA)", "description": "Networking certification.", "ownedBy": "` + inst.base + `/resources/` + cisco + `", "occupationType": "` + inst.base + `/schemes/soc/15-1241"}`},
		{evil, `{"type": "Certification", "name": "Evil </script><script>alert(1)</script> \"quoted\" & <b>bold</b>", "description": "<img src=x onerror=alert(2)> and more", "subjectWebpage": "https://example.org/?q=\"><script>alert(3)</script>", "sameAs": "javascript:alert(4)", "ownedBy": "` + nremt + `"}`},
	} {
		req, _ := http.NewRequest(http.MethodPut, inst.url+"/resources/"+w.ctid, strings.NewReader(w.body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/ld+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			t.Fatalf("PUT %s: %d\n%s", w.ctid, res.StatusCode, b)
		}
	}
	cmd := exec.Command(node, filepath.Join(interop, "pages.mjs"), inst.url)
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium, "EVIL_CTID="+evil, "SCREENSHOTS="+shots)
	outb, err := cmd.CombinedOutput()
	summary := lastLine(string(outb))
	if err != nil {
		t.Fatalf("the browser checks failed (%s):\n%s", summary, failures(string(outb)))
	}
	if !strings.HasSuffix(summary, " 0 failed") {
		t.Errorf("browser checks: %q", summary)
	}
	for _, l := range strings.Split(string(outb), "\n") {
		if strings.HasPrefix(l, "page weights") {
			t.Log(l)
		}
	}
	t.Logf("%s; screenshots in %s", summary, shots)
}

// TestHarvestersAgree has Comunica run SPARQL queries over the Triple
// Pattern Fragments of a running credreg and Oxigraph run them over its
// dump; the answers must be equal (interop/harvest.mjs).
func TestHarvestersAgree(t *testing.T) {
	interop, err := filepath.Abs("../../interop")
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	_, e1 := os.Stat(filepath.Join(interop, "node_modules", "@comunica", "query-sparql"))
	_, e2 := os.Stat(filepath.Join(interop, "node_modules", "oxigraph"))
	if err != nil || e1 != nil || e2 != nil {
		msg := "node or interop/node_modules (Comunica, Oxigraph) missing: run `npm ci --prefix interop` (the Makefile's test target does)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	inst := start(t, "badger://"+t.TempDir())
	cmd := exec.Command(node, filepath.Join(interop, "harvest.mjs"), inst.url)
	out, err := cmd.CombinedOutput()
	summary := lastLine(string(out))
	if err != nil {
		t.Fatalf("Comunica and Oxigraph disagree (%s):\n%s", summary, out)
	}
	if !strings.HasSuffix(summary, " 0 failed") || strings.HasPrefix(summary, "0 passed") {
		t.Errorf("harvest checks: %q", summary)
	}
	t.Logf("%s", out)
}
