package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"credreg/catalog/catalogtest"
	"credreg/ingest/ingesttest"
)

// sendWith sends body as JSON-LD with token (none when "") and the extra
// headers, and returns the answer.
func sendWith(t *testing.T, method, url, token, body string, header map[string]string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/ld+json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return res.StatusCode, res.Header, b.String()
}

// TestConditionalWrites checks If-Match, If-None-Match: * and
// If-Unmodified-Since on PUT and retire, and that a replace keeps a
// retirement unless it says ?unretire=true.
func TestConditionalWrites(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	tokA, agencyA := tokenFor(t, store, "Heartland Workforce Commission")
	base := store.Base().String()
	body := designationBody(base, agencyA)
	code, h, _ := sendWith(t, http.MethodPost, srv.URL+"/designations", tokA, body, nil)
	if code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	url := srv.URL + h.Get("Location")
	etag := func() string {
		res, _ := do(t, http.MethodGet, url, map[string]string{"Accept": "application/n-quads"})
		return res.Header.Get("ETag")
	}
	first := etag()

	// If-None-Match: * on an existing record.
	if code, _, b := sendWith(t, http.MethodPut, url, tokA, body, map[string]string{"If-None-Match": "*"}); code != http.StatusPreconditionFailed {
		t.Errorf("If-None-Match: * over a record: %d %s", code, b)
	}
	// A bogus and a matching If-Match (the ETag of another representation of the same version matches).
	if code, _, b := sendWith(t, http.MethodPut, url, tokA, body, map[string]string{"If-Match": `"0000000000000000-x-nq"`}); code != http.StatusPreconditionFailed {
		t.Errorf("bogus If-Match: %d %s", code, b)
	}
	next := strings.Replace(body, "Northeast Heartland Workforce Region", "Statewide", 1)
	if code, _, b := sendWith(t, http.MethodPut, url, tokA, next, map[string]string{"If-Match": first}); code != http.StatusOK {
		t.Errorf("If-Match with the current ETag: %d %s", code, b)
	}
	// The first ETag is stale now.
	if code, _, b := sendWith(t, http.MethodPut, url, tokA, body, map[string]string{"If-Match": first}); code != http.StatusPreconditionFailed || !strings.Contains(b, "read it again") {
		t.Errorf("stale If-Match: %d %s", code, b)
	}
	if code, _, b := sendWith(t, http.MethodPut, url, tokA, body, map[string]string{"If-Unmodified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}); code != http.StatusPreconditionFailed {
		t.Errorf("If-Unmodified-Since in the past: %d %s", code, b)
	}
	// Retire with a stale tag fails, with the current one succeeds.
	if code, _, b := sendWith(t, http.MethodPost, url+"/retire", tokA, `{"reason":"superseded"}`, map[string]string{"If-Match": first}); code != http.StatusPreconditionFailed {
		t.Errorf("retire with a stale If-Match: %d %s", code, b)
	}
	if code, _, b := sendWith(t, http.MethodPost, url+"/retire", tokA, `{"reason":"superseded"}`, map[string]string{"If-Match": etag()}); code != http.StatusOK {
		t.Fatalf("retire: %d %s", code, b)
	}
	// A replace keeps the retirement; ?unretire=true lifts it.
	if code, _, b := sendWith(t, http.MethodPut, url, tokA, body, nil); code != http.StatusOK || !strings.Contains(b, "Retired") {
		t.Errorf("replace of a retired record: %d, retirement kept: %v", code, strings.Contains(b, "Retired"))
	}
	if code, _, b := sendWith(t, http.MethodPut, url+"?unretire=true", tokA, body, nil); code != http.StatusOK || strings.Contains(b, "Retired") {
		t.Errorf("replace with ?unretire=true: %d, still retired: %v", code, strings.Contains(b, "Retired"))
	}
}

// TestPutRacingRetireKeepsTheRetirement runs replaces and a retire of one
// designation at once: the retirement is never erased.
func TestPutRacingRetireKeepsTheRetirement(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	tokA, agencyA := tokenFor(t, store, "Heartland Workforce Commission")
	base := store.Base().String()
	body := designationBody(base, agencyA)
	for round := 0; round < 5; round++ {
		code, h, _ := sendWith(t, http.MethodPost, srv.URL+"/designations", tokA, body, nil)
		if code != http.StatusCreated {
			t.Fatalf("create: %d", code)
		}
		url := srv.URL + h.Get("Location")
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				b := body
				if i%2 == 1 {
					b = strings.Replace(body, "Northeast Heartland Workforce Region", "Statewide", 1)
				}
				sendWith(t, http.MethodPut, url, tokA, b, nil)
			}(i)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, _, b := sendWith(t, http.MethodPost, url+"/retire", tokA, `{"reason":"race"}`, nil); code != http.StatusOK {
				t.Errorf("retire: %d %s", code, b)
			}
		}()
		wg.Wait()
		if _, b := do(t, http.MethodGet, url, map[string]string{"Accept": "application/ld+json"}); !strings.Contains(b, "Retired") {
			t.Errorf("round %d: the retirement was erased by a racing replace:\n%s", round, b)
		}
	}
}

// TestTokenInURLIsRefused sends a token as ?access_token=: 400, the query
// not logged, and nosniff on every answer.
func TestTokenInURLIsRefused(t *testing.T) {
	var logs strings.Builder
	srv, store := newImportServer(t, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	tok, _ := tokenFor(t, store, "Heartland Workforce Commission")
	res, body := do(t, http.MethodGet, srv.URL+"/credentials?access_token="+tok, nil)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Authorization header") {
		t.Errorf("?access_token=: %d %s", res.StatusCode, body)
	}
	if strings.Contains(logs.String(), tok) || !strings.Contains(logs.String(), "query withheld") {
		t.Errorf("the request log:\n%s", logs.String())
	}
	for _, path := range []string{"/", "/check?name=CompTIA+Security%2B", "/healthz", "/context.jsonld", "/resources/" + securityPlus} {
		if res, _ := do(t, http.MethodGet, srv.URL+path, nil); res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
	}
}

// TestUploadContentEncoding sends a gzip-compressed sheet (imported), an
// unknown coding (415) and bytes that claim gzip but are not (400).
func TestUploadContentEncoding(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	tok, _ := tokenFor(t, store, "Heartland Workforce Commission")
	sheet := "Credential Name,Owner,Career Cluster,Region\nGzipped Cert,CompTIA,Digital Technology,Statewide\n"
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(sheet))
	zw.Close()
	post := func(enc string, body []byte) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/import", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "text/csv")
		req.Header.Set("Content-Encoding", enc)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, b := post("gzip", zipped.Bytes()); code != http.StatusOK || !strings.Contains(b, `"imported": 1`) {
		t.Errorf("gzip: %d %s", code, b)
	}
	if code, b := post("br", []byte(sheet)); code != http.StatusUnsupportedMediaType {
		t.Errorf("br: %d %s", code, b)
	}
	if code, b := post("gzip", []byte(sheet)); code != http.StatusBadRequest || !strings.Contains(b, "not gzip data") {
		t.Errorf("plain bytes as gzip: %d %s", code, b)
	}
}

// TestPutWithTooManyValuesIsRefusedFast sends a record with 8,000 values
// of one property: refused before JSON-LD processing, quickly.
func TestPutWithTooManyValuesIsRefusedFast(t *testing.T) {
	_, store := newImportServer(t, Config{})
	tok, agency := tokenFor(t, store, "Heartland Workforce Commission")
	var vals []string
	for i := 0; i < 8000; i++ {
		vals = append(vals, fmt.Sprintf(`"value %d"`, i))
	}
	body := `{"type": "CredentialOrganization", "name": "X", "description": [` + strings.Join(vals, ",") + `]}`
	start := time.Now()
	code, _, b := sendWith(t, http.MethodPut, agency, tok, body, nil)
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(b, `\"description\" has 8000 values`) {
		t.Errorf("%d %s", code, b)
	}
	t.Logf("refused in %v", time.Since(start))
	// Many objects, no property over its limit: the object limit holds.
	var objs []string
	for i := 0; i < 900; i++ {
		objs = append(objs, fmt.Sprintf(`{"@value": "v%d"}`, i))
	}
	list := "[" + strings.Join(objs, ",") + "]"
	body = `{"type": "CredentialOrganization", "name": ` + list + `, "description": ` + list + `, "alternateName": ` + list + `}`
	if code, _, b := sendWith(t, http.MethodPut, agency, tok, body, nil); code != http.StatusRequestEntityTooLarge || !strings.Contains(b, "more than 2000 JSON objects") {
		t.Errorf("2,700 objects: %d %s", code, b)
	}

}

// TestCTDLImportWithTooManyValuesIsRefusedFast uploads a CTDL document
// with 8,000 values of one property (json-gold would spend seconds on
// it): the unit is refused before JSON-LD processing, naming the
// property.
func TestCTDLImportWithTooManyValuesIsRefusedFast(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	tok, _ := tokenFor(t, store, "Heartland Workforce Commission")
	var vals []string
	for i := 0; i < 8000; i++ {
		vals = append(vals, fmt.Sprintf(`{"en-US": "keyword %d"}`, i))
	}
	doc := `{"@context": "https://credreg.net/ctdl/schema/context/json", "@type": "ceterms:Certification",
  "ceterms:ctid": "ce-9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a", "ceterms:name": {"en-US": "Many Keywords"},
  "ceterms:keyword": [` + strings.Join(vals, ",") + `]}`
	start := time.Now()
	status, rep := importAs(t, srv.URL, tok, "application/ld+json", doc)
	if status != http.StatusUnprocessableEntity || !strings.Contains(problemText(rep.Problems), `"ceterms:keyword" has 8000 values, over the limit of 4000`) {
		t.Errorf("%d %v", status, rep.Problems)
	}
	t.Logf("refused in %v", time.Since(start))
}

// TestImportStopsWhenTheClientLeaves starts a long import and hangs up:
// the server stops writing soon after, long before the sheet's end.
func TestImportStopsWhenTheClientLeaves(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	tok, _ := tokenFor(t, store, "Heartland Workforce Commission")
	var sheet bytes.Buffer
	const rows = 20000
	if err := ingesttest.WriteCSV(&sheet, rows, ingesttest.Options{}); err != nil {
		t.Fatal(err)
	}
	before := store.Sequence()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/import", bytes.NewReader(sheet.Bytes()))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "text/csv")
	done := make(chan struct{})
	go func() {
		defer close(done)
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	// Hang up once the import is writing.
	deadline := time.Now().Add(30 * time.Second)
	for store.Sequence() == before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	time.Sleep(time.Second) // the batch in flight
	stopped := store.Sequence()
	time.Sleep(2 * time.Second)
	if after := store.Sequence(); after != stopped {
		t.Errorf("the import went on after the client left: %d more changes", after-stopped)
	}
	if stopped == before || stopped-before >= rows {
		t.Errorf("%d changes written; want some, far fewer than the sheet's %d rows", stopped-before, rows)
	}
	t.Logf("%d changes written before the import stopped", stopped-before)
}

// TestFailedAuthenticationsAreRateLimited sends a burst of wrong tokens
// from one address: after the limit, 429 with Retry-After.
func TestFailedAuthenticationsAreRateLimited(t *testing.T) {
	srv, _ := newImportServer(t, Config{MaxAuthFailures: 5})
	codes := map[int]int{}
	var retry string
	for i := 0; i < 30; i++ {
		code, h, _ := sendWith(t, http.MethodPost, srv.URL+"/designations", fmt.Sprintf("crt_%012d_wrong", i), "{}", nil)
		codes[code]++
		if code == http.StatusTooManyRequests {
			retry = h.Get("Retry-After")
		}
	}
	if codes[http.StatusUnauthorized] != 5 || codes[http.StatusTooManyRequests] != 25 || retry == "" {
		t.Errorf("answers %v, Retry-After %q; want 5 × 401 then 25 × 429 with Retry-After", codes, retry)
	}
}

// TestWritesAreRateLimitedPerToken: a token over its writes per minute
// gets 429 with Retry-After; another agency's token is not held back.
func TestWritesAreRateLimitedPerToken(t *testing.T) {
	srv, store := newImportServer(t, Config{MaxWritesPerMinute: 3})
	tokA, _ := tokenFor(t, store, "Heartland Workforce Commission")
	tokB, _ := tokenFor(t, store, "Heartland Department of Education")
	base := store.Base().String()
	var codes []int
	var retry string
	for i := 0; i < 5; i++ {
		code, h, _ := sendWith(t, http.MethodPost, srv.URL+"/designations", tokA, designationBody(base, ""), nil)
		codes = append(codes, code)
		if code == http.StatusTooManyRequests {
			retry = h.Get("Retry-After")
		}
	}
	if fmt.Sprint(codes) != "[201 201 201 429 429]" || retry == "" || retry == "0" {
		t.Errorf("answers %v, Retry-After %q; want 3 × 201 then 429 with Retry-After", codes, retry)
	}
	if code, _, b := sendWith(t, http.MethodPost, srv.URL+"/designations", tokB, designationBody(base, ""), nil); code != http.StatusCreated {
		t.Errorf("B held back by A's rate: %d %s", code, b)
	}
}

func TestWriteLimiterRefills(t *testing.T) {
	l := newWriteLimiter(60) // one a second
	now := time.Unix(0, 0)
	for i := 0; i < 60; i++ {
		if _, ok := l.take("t", now); !ok {
			t.Fatalf("write %d of the burst refused", i+1)
		}
	}
	wait, ok := l.take("t", now)
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("over the burst: ok %v, wait %v", ok, wait)
	}
	if _, ok := l.take("t", now.Add(wait)); !ok {
		t.Error("refused after waiting as told")
	}
	if _, ok := l.take("other", now); !ok {
		t.Error("another token refused")
	}
	var none *writeLimiter
	if _, ok := none.take("t", now); !ok {
		t.Error("no limiter refused")
	}
}

// TestReadiness: /readyz is 503 until the list index is built, then 200;
// /healthz is 200 throughout.
func TestReadiness(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	if res, _ := do(t, http.MethodGet, srv.URL+"/healthz", nil); res.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %d", res.StatusCode)
	}
	if catalogtest.Of(t, store).ListReady() {
		t.Fatal("the list index is built before any list query: the test cannot see /readyz wait")
	}
	if res, _ := do(t, http.MethodGet, srv.URL+"/readyz", nil); res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("/readyz before the index: %d", res.StatusCode)
	}
	if err := catalogtest.Of(t, store).WarmList(t.Context()); err != nil {
		t.Fatal(err)
	}
	if res, body := do(t, http.MethodGet, srv.URL+"/readyz", nil); res.StatusCode != http.StatusOK || !strings.Contains(body, `"ready"`) {
		t.Errorf("/readyz after the index: %d %s", res.StatusCode, body)
	}
}

// TestWriteRefusesWhatJSONLDWouldDrop sends a bad language tag and an id
// with spaces: 422 naming them, instead of a 200 that drops them.
func TestWriteRefusesWhatJSONLDWouldDrop(t *testing.T) {
	_, store := newImportServer(t, Config{})
	tok, agency := tokenFor(t, store, "Heartland Workforce Commission")
	for _, tc := range []struct{ body, want string }{
		{`{"type": "CredentialOrganization", "name": {"@value": "Heartland Workforce Commission", "@language": "not a tag!"}}`, "not a language tag"},
		{`{"type": "CredentialOrganization", "name": "Heartland Workforce Commission", "subjectWebpage": {"id": "https://example.org/a page"}}`, "not an IRI"},
	} {
		code, _, b := sendWith(t, http.MethodPut, agency, tok, tc.body, nil)
		if code != http.StatusUnprocessableEntity || !strings.Contains(b, tc.want) {
			t.Errorf("%s: %d %s", tc.body, code, b)
		}
	}
	good := `{"type": "CredentialOrganization", "name": {"@value": "Heartland Workforce Commission", "@language": "en-US"}}`
	if code, _, b := sendWith(t, http.MethodPut, agency, tok, good, nil); code != http.StatusOK {
		t.Errorf("a good tag: %d %s", code, b)
	}
}

// TestConcurrentImportsAreBounded holds the only import slot with a slow
// upload: a second import meanwhile gets 429 with Retry-After, and one
// after it finishes runs.
func TestConcurrentImportsAreBounded(t *testing.T) {
	srv, store := newImportServer(t, Config{MaxConcurrentImports: 1})
	tok, _ := tokenFor(t, store, "Heartland Workforce Commission")
	pr, pw := io.Pipe()
	done := make(chan int)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/import", pr)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "text/csv")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- 0
			return
		}
		res.Body.Close()
		done <- res.StatusCode
	}()
	pw.Write([]byte("Credential Name,Owner\n"))
	sheet := "Credential Name,Owner\nSlot Cert,CompTIA\n"
	var code int
	var retry string
	for i := 0; i < 500; i++ { // until the slow upload holds the slot (seconds on a loaded machine)
		var h http.Header
		code, h, _ = sendWith(t, http.MethodPost, srv.URL+"/import", tok, sheet, map[string]string{"Content-Type": "text/csv"})
		retry = h.Get("Retry-After")
		if code == http.StatusTooManyRequests {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code != http.StatusTooManyRequests || retry == "" {
		t.Errorf("a second import while one runs: %d, Retry-After %q", code, retry)
	}
	pw.Write([]byte("Slow Cert,CompTIA\n"))
	pw.Close()
	if c := <-done; c != http.StatusOK {
		t.Errorf("the slow import: %d", c)
	}
	if code, _, b := sendWith(t, http.MethodPost, srv.URL+"/import", tok, sheet, map[string]string{"Content-Type": "text/csv"}); code != http.StatusOK {
		t.Errorf("an import after it: %d %s", code, b)
	}
}

// TestConcurrentUnconditionalPuts: many PUTs of one record without
// preconditions all succeed (none is answered 412: the client asked for
// no condition), and the record ends as one of them, whole.
func TestConcurrentUnconditionalPuts(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	tokA, agencyA := tokenFor(t, store, "Heartland Workforce Commission")
	base := store.Base().String()
	code, h, _ := sendWith(t, http.MethodPost, srv.URL+"/designations", tokA, designationBody(base, agencyA), nil)
	if code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	url := srv.URL + h.Get("Location")
	const writers = 12
	regions := make([]string, writers)
	codes := make([]int, writers)
	var wg sync.WaitGroup
	for i := range writers {
		regions[i] = fmt.Sprintf("Region written by writer %d", i)
		body := strings.Replace(designationBody(base, agencyA), "Northeast Heartland Workforce Region", regions[i], 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				c, _, b := sendWith(t, http.MethodPut, url, tokA, body, nil)
				if c != http.StatusOK {
					codes[i] = c
					t.Errorf("writer %d: %d %s", i, c, b)
					return
				}
			}
		}()
	}
	wg.Wait()
	_, body := do(t, http.MethodGet, url, map[string]string{"Accept": "application/n-quads"})
	found := 0
	for _, r := range regions {
		// The closing quote keeps "writer 1" from matching "writer 11".
		if strings.Contains(body, `"`+r+`"`) {
			found++
		}
	}
	if found != 1 {
		t.Errorf("the record holds %d writers' regions, want exactly one (a whole write):\n%s", found, body)
	}
}
