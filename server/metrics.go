package server

// GET /metrics: Prometheus metrics in the text exposition format 0.0.4.
// Requests are counted by route template (never the raw path, so the
// series stay bounded), imports by format, and the store's size and the
// list index's state are read at scrape time from counters the store
// keeps (nothing is scanned per scrape).

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"credreg/catalog"
	"credreg/ingest"
	"credreg/registry"
)

// otherLabel stands for a route, method or format outside the known set.
const otherLabel = "other"

// latencyBuckets are the request latency histogram's upper bounds, in
// seconds: cached reads take a millisecond, imports and the dump a minute.
var latencyBuckets = []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// metrics are a Server's Prometheus metrics, on a registry of their own
// (a process may run several Servers, as the tests do).
type metrics struct {
	handler        http.Handler
	requests       *prometheus.CounterVec   // route, method, code
	latency        *prometheus.HistogramVec // route
	imports        *prometheus.CounterVec   // format, dry_run
	importRows     *prometheus.CounterVec   // format, outcome
	importProblems *prometheus.CounterVec   // format
	importWarnings *prometheus.CounterVec   // format
	importWritten  *prometheus.CounterVec   // format
}

func newMetrics(cat *catalog.Catalog, log *slog.Logger) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "credreg_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "credreg_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route template.",
			Buckets: latencyBuckets,
		}, []string{"route"}),
		imports: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "credreg_imports_total",
			Help: "Imports (POST /import) that ran to a report, by format and whether they were dry runs.",
		}, []string{"format", "dry_run"}),
		importRows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "credreg_import_rows_total",
			Help: "Units imports read (sheet rows, CTDL documents, N-Quads subjects), by format and outcome (imported or failed).",
		}, []string{"format", "outcome"}),
		importProblems: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "credreg_import_problems_total",
			Help: "Problems imports reported (including those past the report's limit), by format.",
		}, []string{"format"}),
		importWarnings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "credreg_import_warnings_total",
			Help: "Warnings imports reported (including those past the report's limit), by format.",
		}, []string{"format"}),
		importWritten: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "credreg_import_records_written_total",
			Help: "Records imports wrote (new or changed; none in a dry run), by format.",
		}, []string{"format"}),
	}
	reg.MustRegister(m.requests, m.latency, m.imports, m.importRows, m.importProblems, m.importWarnings, m.importWritten,
		storeCollector{cat.Store(), cat},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      promLogger{log},
		ErrorHandling: promhttp.ContinueOnError, // a store that does not answer leaves out its gauges only
	})
	return m
}

// observe counts a request answered.
func (m *metrics) observe(rec *statusRecorder, method string, took time.Duration) {
	route := rec.route
	if route == "" {
		route = otherLabel
	}
	m.requests.WithLabelValues(route, methodLabel(method), strconv.Itoa(rec.status)).Inc()
	m.latency.WithLabelValues(route).Observe(took.Seconds())
}

// methodLabel is method when it is a standard one, else "other": a
// client can send any token as a method.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete,
		http.MethodPatch, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return otherLabel
}

// formatLabel is an import format when it is one of ingest.Formats.
func formatLabel(f string) string {
	for _, k := range ingest.Formats {
		if f == k {
			return f
		}
	}
	return otherLabel
}

// imported counts an import that ran to its report.
func (m *metrics) imported(rep *ingest.Report, format string, dryRun bool) {
	f := formatLabel(format)
	m.imports.WithLabelValues(f, strconv.FormatBool(dryRun)).Inc()
	m.importRows.WithLabelValues(f, "imported").Add(float64(rep.Imported))
	m.importRows.WithLabelValues(f, "failed").Add(float64(rep.Failed))
	m.importProblems.WithLabelValues(f).Add(float64(len(rep.Problems) + rep.ProblemsOmitted))
	m.importWarnings.WithLabelValues(f).Add(float64(len(rep.Warnings) + rep.WarningsOmitted))
	m.importWritten.WithLabelValues(f).Add(float64(rep.Written))
}

// routeLabel is router middleware (it runs for matched routes only) that
// tells the request's statusRecorder the route's template.
func routeLabel(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec := recorderOf(w); rec != nil {
			if rt := mux.CurrentRoute(r); rt != nil {
				if t, err := rt.GetPathTemplate(); err == nil {
					rec.route = t
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// recorderOf finds the statusRecorder ServeHTTP wraps the response in,
// under the gzip writer when there is one.
func recorderOf(w http.ResponseWriter) *statusRecorder {
	switch w := w.(type) {
	case *statusRecorder:
		return w
	case *gzipWriter:
		rec, _ := w.ResponseWriter.(*statusRecorder)
		return rec
	}
	return nil
}

// serveMetrics serves GET /metrics.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	s.metrics.handler.ServeHTTP(w, r)
}

// storeCollector reads the store's gauges at scrape time, from counters
// the store keeps: the statement count cayley maintains on write, the
// change-log head, Badger's measured file sizes and the list index's
// state. Nothing is scanned.
type storeCollector struct {
	store *registry.Store
	cat   *catalog.Catalog
}

var (
	descStatements = prometheus.NewDesc("credreg_store_statements", "Statements (quads) in the store, the registry's bookkeeping included.", nil, nil)
	descSequence   = prometheus.NewDesc("credreg_store_sequence", "The change log's head: the number of the last change written.", nil, nil)
	descBytes      = prometheus.NewDesc("credreg_store_bytes", "Bytes of the store's files as Badger last measured them (about once a minute), by part (lsm, vlog).", []string{"part"}, nil)
	descListReady  = prometheus.NewDesc("credreg_list_index_ready", "1 once the umbrella list's index is built (see /readyz), else 0.", nil, nil)
	descListBuild  = prometheus.NewDesc("credreg_list_index_build_seconds", "Seconds the build of the list index took (0 until it is ready).", nil, nil)
	descListCreds  = prometheus.NewDesc("credreg_list_index_credentials", "Credentials the list index holds (reported once it is ready).", nil, nil)
	descListDesigs = prometheus.NewDesc("credreg_list_index_designations", "Value designations the list index holds (reported once it is ready).", nil, nil)
)

func (c storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descStatements, descSequence, descBytes, descListReady, descListBuild, descListCreds, descListDesigs} {
		ch <- d
	}
}

func (c storeCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if st, err := c.store.Stats(ctx); err != nil {
		ch <- prometheus.NewInvalidMetric(descStatements, err)
	} else {
		ch <- prometheus.MustNewConstMetric(descStatements, prometheus.GaugeValue, float64(st.Quads))
	}
	ch <- prometheus.MustNewConstMetric(descSequence, prometheus.GaugeValue, float64(c.store.Sequence()))
	if lsm, vlog, ok := c.store.DiskSize(); ok {
		ch <- prometheus.MustNewConstMetric(descBytes, prometheus.GaugeValue, float64(lsm), "lsm")
		ch <- prometheus.MustNewConstMetric(descBytes, prometheus.GaugeValue, float64(vlog), "vlog")
	}
	ls := c.cat.ListStatus()
	ready := 0.0
	if ls.Ready {
		ready = 1
	}
	ch <- prometheus.MustNewConstMetric(descListReady, prometheus.GaugeValue, ready)
	ch <- prometheus.MustNewConstMetric(descListBuild, prometheus.GaugeValue, ls.BuildTime.Seconds())
	if ls.Ready {
		ch <- prometheus.MustNewConstMetric(descListCreds, prometheus.GaugeValue, float64(ls.Credentials))
		ch <- prometheus.MustNewConstMetric(descListDesigs, prometheus.GaugeValue, float64(ls.Designations))
	}
}

// promLogger sends promhttp's errors (a collector failing) to the log.
type promLogger struct{ log *slog.Logger }

func (l promLogger) Println(v ...any) {
	l.log.Error("metrics: " + strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}
