package server

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"

	"credreg/catalog/catalogtest"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// scrape GETs /metrics and parses it as the text exposition format.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	res, body := do(t, http.MethodGet, base+"/metrics", nil)
	if res.StatusCode != 200 {
		t.Fatalf("/metrics: %d %s", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("/metrics Content-Type = %q, want the text format 0.0.4", ct)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("/metrics headers: nosniff %q, Cache-Control %q", res.Header.Get("X-Content-Type-Options"), res.Header.Get("Cache-Control"))
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, body)
	}
	return fams
}

// sample returns the metric of family name whose labels are labels, nil
// when there is none.
func sample(fams map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	f := fams[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.Metric {
		if len(m.Label) != len(labels)/2 {
			continue
		}
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.Label {
				found = found || l.GetName() == labels[i] && l.GetValue() == labels[i+1]
			}
			if !found {
				continue next
			}
		}
		return m
	}
	return nil
}

// value returns the value of a counter or gauge, -1 when absent.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	m := sample(fams, name, labels...)
	switch {
	case m == nil:
		return -1
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return -1
}

func TestMetricsRequestsAndLatency(t *testing.T) {
	srv, store := newTestServer(t)
	res, _ := do(t, http.MethodGet, srv.URL+"/resources/"+securityPlus, map[string]string{"Accept": "application/ld+json"})
	if res.StatusCode != 200 {
		t.Fatalf("GET resource: %d", res.StatusCode)
	}
	// Without the client's transparent gzip: the plain writer path.
	res, _ = do(t, http.MethodGet, srv.URL+"/resources/"+securityPlus, map[string]string{"Accept": "text/turtle", "Accept-Encoding": "identity"})
	if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "" {
		t.Fatalf("GET resource, identity: %d %q", res.StatusCode, res.Header.Get("Content-Encoding"))
	}
	for _, tc := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/resources/not-a-ctid", 400},
		{http.MethodGet, "/schemes/career-clusters/060100", 200},
		{http.MethodGet, "/no/such/thing", 404},
		{http.MethodDelete, "/resources/" + securityPlus, 405},
		{http.MethodGet, "/resources/lookup", 405}, // the fallback route of a POST-only path
		{http.MethodGet, "/changes?token=crt_x", 400},
	} {
		if res, _ := do(t, tc.method, srv.URL+tc.path, nil); res.StatusCode != tc.status {
			t.Fatalf("%s %s: %d, want %d", tc.method, tc.path, res.StatusCode, tc.status)
		}
	}

	fams := scrape(t, srv.URL)
	for _, c := range []struct {
		route, method, code string
		want                float64
	}{
		{"/resources/{id}", "GET", "200", 2},
		{"/resources/{id}", "GET", "400", 1},
		{"/schemes/{scheme}/{notation}", "GET", "200", 1},
		{"/resources/lookup", "GET", "405", 1},
		{"other", "GET", "404", 1},
		{"other", "DELETE", "405", 1},
		{"other", "GET", "400", 1},     // refused for the token in its query, before routing
		{"/metrics", "GET", "200", -1}, // a scrape is counted after it answers
	} {
		if got := value(fams, "credreg_http_requests_total", "route", c.route, "method", c.method, "code", c.code); got != c.want {
			t.Errorf("credreg_http_requests_total{route=%q,method=%q,code=%q} = %v, want %v", c.route, c.method, c.code, got, c.want)
		}
	}
	// Raw paths never become labels.
	for _, m := range fams["credreg_http_requests_total"].Metric {
		for _, l := range m.Label {
			if strings.Contains(l.GetValue(), securityPlus) || strings.Contains(l.GetValue(), "no/such") {
				t.Errorf("label %s=%q holds a raw path", l.GetName(), l.GetValue())
			}
		}
	}

	h := sample(fams, "credreg_http_request_duration_seconds", "route", "/resources/{id}")
	if h == nil || h.Histogram == nil {
		t.Fatalf("no latency histogram for /resources/{id}: %v", fams["credreg_http_request_duration_seconds"])
	}
	if h.Histogram.GetSampleCount() != 3 || h.Histogram.GetSampleSum() <= 0 {
		t.Errorf("latency of /resources/{id}: count %d, sum %v; want 3 and > 0", h.Histogram.GetSampleCount(), h.Histogram.GetSampleSum())
	}
	bs := h.Histogram.Bucket
	if len(bs) != len(latencyBuckets)+1 || !math.IsInf(bs[len(bs)-1].GetUpperBound(), 1) {
		t.Fatalf("%d buckets, want %d and +Inf", len(bs), len(latencyBuckets))
	}
	for i, b := range bs[:len(latencyBuckets)] {
		if b.GetUpperBound() != latencyBuckets[i] || i > 0 && b.GetCumulativeCount() < bs[i-1].GetCumulativeCount() {
			t.Errorf("bucket %d: le=%v count %d", i, b.GetUpperBound(), b.GetCumulativeCount())
		}
	}
	if last := bs[len(latencyBuckets)-1]; last.GetCumulativeCount() != 3 {
		t.Errorf("le=%v holds %d requests, want all 3", last.GetUpperBound(), last.GetCumulativeCount())
	}

	// The store's gauges come from its counters, and match them.
	st, err := store.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := value(fams, "credreg_store_statements"); got != float64(st.Quads) || got <= 0 {
		t.Errorf("credreg_store_statements = %v, want %d", got, st.Quads)
	}
	if got := value(fams, "credreg_store_sequence"); got != float64(store.Sequence()) {
		t.Errorf("credreg_store_sequence = %v, want %d", got, store.Sequence())
	}
	if value(fams, "credreg_store_bytes", "part", "lsm") < 0 || value(fams, "credreg_store_bytes", "part", "vlog") < 0 {
		t.Error("credreg_store_bytes is missing a part")
	}
	if fams["go_goroutines"] == nil || fams["process_resident_memory_bytes"] == nil {
		t.Error("the Go and process collectors are missing")
	}

	fams = scrape(t, srv.URL)
	if got := value(fams, "credreg_http_requests_total", "route", "/metrics", "method", "GET", "code", "200"); got != 1 {
		t.Errorf("the first scrape counted %v times, want 1", got)
	}
}

func TestMetricsListIndex(t *testing.T) {
	srv, store := newTestServer(t)
	fams := scrape(t, srv.URL)
	if catalogtest.Of(t, store).ListReady() {
		t.Skip("the list index was built already") // not by this test's server: nothing listed yet
	}
	if got := value(fams, "credreg_list_index_ready"); got != 0 {
		t.Errorf("credreg_list_index_ready before a build = %v, want 0", got)
	}
	if got := value(fams, "credreg_list_index_build_seconds"); got != 0 {
		t.Errorf("credreg_list_index_build_seconds before a build = %v, want 0", got)
	}
	if sample(fams, "credreg_list_index_credentials") != nil {
		t.Error("credential count reported before the index is built")
	}
	if res, _ := do(t, http.MethodGet, srv.URL+"/credentials", map[string]string{"Accept": "application/json"}); res.StatusCode != 200 {
		t.Fatalf("/credentials: %d", res.StatusCode)
	}
	fams = scrape(t, srv.URL)
	ls := catalogtest.Of(t, store).ListStatus()
	if !ls.Ready || ls.Credentials == 0 || ls.Designations == 0 {
		t.Fatalf("list status after a list query = %+v", ls)
	}
	if got := value(fams, "credreg_list_index_ready"); got != 1 {
		t.Errorf("credreg_list_index_ready = %v, want 1", got)
	}
	if got := value(fams, "credreg_list_index_build_seconds"); got <= 0 || got != ls.BuildTime.Seconds() {
		t.Errorf("credreg_list_index_build_seconds = %v, want %v (> 0)", got, ls.BuildTime.Seconds())
	}
	if got := value(fams, "credreg_list_index_credentials"); got != float64(ls.Credentials) {
		t.Errorf("credreg_list_index_credentials = %v, want %d", got, ls.Credentials)
	}
	if got := value(fams, "credreg_list_index_designations"); got != float64(ls.Designations) {
		t.Errorf("credreg_list_index_designations = %v, want %d", got, ls.Designations)
	}
}

func TestMetricsImports(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	token, _ := tokenFor(t, store, "Heartland Workforce Commission")
	if code, body := post(t, srv.URL+"/import?dry_run=true", token, "text/csv", sheet); code != http.StatusMultiStatus {
		t.Fatalf("dry run: %d %s", code, body)
	}
	code, body := post(t, srv.URL+"/import", token, "text/csv", sheet)
	var rep struct {
		Imported, Failed, Written int
		Problems, Warnings        []json.RawMessage
	}
	if err := json.Unmarshal([]byte(body), &rep); err != nil || code != http.StatusMultiStatus {
		t.Fatalf("import: %d %s", code, body)
	}
	if rep.Imported != 1 || rep.Failed != 1 || rep.Written == 0 || len(rep.Problems) == 0 {
		t.Fatalf("report = %+v", rep)
	}
	// Refused before a report: not counted as an import.
	if code, _ := post(t, srv.URL+"/import", "", "text/csv", sheet); code != 401 {
		t.Fatalf("no token: %d", code)
	}
	fams := scrape(t, srv.URL)
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"credreg_imports_total", []string{"format", "csv", "dry_run", "false"}, 1},
		{"credreg_imports_total", []string{"format", "csv", "dry_run", "true"}, 1},
		{"credreg_import_rows_total", []string{"format", "csv", "outcome", "imported"}, 2}, // the dry run's row too
		{"credreg_import_rows_total", []string{"format", "csv", "outcome", "failed"}, 2},
		{"credreg_import_problems_total", []string{"format", "csv"}, float64(2 * len(rep.Problems))},
		{"credreg_import_warnings_total", []string{"format", "csv"}, float64(2 * len(rep.Warnings))},
		{"credreg_import_records_written_total", []string{"format", "csv"}, float64(rep.Written)},
		{"credreg_http_requests_total", []string{"route", "/import", "method", "POST", "code", "207"}, 2},
		{"credreg_http_requests_total", []string{"route", "/import", "method", "POST", "code", "401"}, 1},
	} {
		if got := value(fams, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if sample(fams, "credreg_imports_total", "format", "xlsx", "dry_run", "false") != nil {
		t.Error("a format never imported has a series")
	}
}
