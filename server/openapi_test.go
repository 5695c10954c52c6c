package server

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"credreg/catalog/catalogtest"
	"credreg/registry"
	"credreg/schema"
)

// openAPIDoc is the part of the OpenAPI document the tests read.
type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]openAPIOp       `json:"paths"`
	Components map[string]map[string]json.RawMessage `json:"components"`
}

type openAPIOp struct {
	OperationID string                       `json:"operationId"`
	Parameters  []map[string]any             `json:"parameters"`
	RequestBody json.RawMessage              `json:"requestBody"`
	Responses   map[string]map[string]any    `json:"responses"`
	Security    []map[string]json.RawMessage `json:"security"`
}

func parseOpenAPI(t *testing.T, b []byte) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	return doc
}

// muxVar matches a mux path variable, with its pattern if it has one.
var muxVar = regexp.MustCompile(`\{([^}:]+)(:[^}]*)?\}`)

// openAPIPath turns a mux template into an OpenAPI path: {id:.*} is {id}.
func openAPIPath(tmpl string) string { return muxVar.ReplaceAllString(tmpl, "{$1}") }

// routes lists the router's path templates (OpenAPI style) with their
// methods, lowercased; a route without methods (a 405 fallback) lists
// none.
func routes(t *testing.T, r *mux.Router) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tmpl, err := route.GetPathTemplate()
		if err != nil {
			return err
		}
		p := openAPIPath(tmpl)
		if _, ok := out[p]; !ok {
			out[p] = nil
		}
		ms, err := route.GetMethods()
		if err != nil {
			return nil // no methods: a fallback answering 405
		}
		for _, m := range ms {
			out[p] = append(out[p], strings.ToLower(m))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestOpenAPIPathConversion(t *testing.T) {
	for in, want := range map[string]string{
		"/resources/{id}":              "/resources/{id}",
		"/files/{path:.*}":             "/files/{path}",
		"/schemes/{scheme}/{n:[0-9]+}": "/schemes/{scheme}/{n}",
		"/healthz":                     "/healthz",
	} {
		if got := openAPIPath(in); got != want {
			t.Errorf("openAPIPath(%q) = %q, want %q", in, got, want)
		}
	}
}

var httpMethods = []string{"get", "head", "post", "put", "delete", "patch", "options", "trace"}

// TestOpenAPICoversRoutes holds the document to the router, both ways:
// every route and method is described, every operation described is a
// route.
func TestOpenAPICoversRoutes(t *testing.T) {
	base, _ := schema.NewBase("http://127.0.0.1:1")
	store, err := registry.Open(context.Background(), "badger://"+t.TempDir(), registry.Options{Base: base, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	s, err := New(Config{Catalog: catalogtest.Of(t, store), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	doc := parseOpenAPI(t, openAPIDocument)
	real := routes(t, s.router)
	if len(real) < 20 {
		t.Fatalf("the walk found %d paths: %v", len(real), real)
	}
	for p, methods := range real {
		ops, ok := doc.Paths[p]
		if !ok {
			t.Errorf("route %s %v is not in openapi.json", p, methods)
			continue
		}
		for _, m := range methods {
			if _, ok := ops[m]; !ok {
				t.Errorf("route %s %s is not in openapi.json", strings.ToUpper(m), p)
			}
		}
	}
	var described []string
	for p, ops := range doc.Paths {
		for m := range ops {
			if !slices.Contains(httpMethods, m) {
				continue // parameters, summary…
			}
			described = append(described, strings.ToUpper(m)+" "+p)
			if !slices.Contains(real[p], m) {
				t.Errorf("openapi.json describes %s %s, which is no route", strings.ToUpper(m), p)
			}
		}
	}
	sort.Strings(described)
	t.Logf("%d operations described", len(described))
}

// TestOpenAPIOperations checks each operation against the document's own
// rules: unique ids, path parameters declared, references that resolve,
// the bearer scheme on writes (and only there), a request body on every
// write that takes one, problem+json for errors.
func TestOpenAPIOperations(t *testing.T) {
	doc := parseOpenAPI(t, openAPIDocument)
	resolve := func(v map[string]any) map[string]any {
		ref, ok := v["$ref"].(string)
		if !ok {
			return v
		}
		parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
		raw, ok := doc.Components[parts[0]][parts[1]]
		if len(parts) != 2 || !ok {
			t.Errorf("$ref %s does not resolve", ref)
			return nil
		}
		var out map[string]any
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// Every $ref anywhere resolves.
	for _, ref := range regexp.MustCompile(`"\$ref": "([^"]+)"`).FindAllStringSubmatch(string(openAPIDocument), -1) {
		resolve(map[string]any{"$ref": ref[1]})
	}
	if _, ok := doc.Components["securitySchemes"]["bearerAuth"]; !ok {
		t.Fatal("no bearerAuth security scheme")
	}
	ids := map[string]string{}
	withBody := map[string]bool{"PUT /resources/{id}": true, "POST /designations": true, "POST /import": true, "POST /resources/{id}/retire": true, "POST /resources/lookup": true, "POST /tokens": true}
	for p, ops := range doc.Paths {
		for m, op := range ops {
			name := strings.ToUpper(m) + " " + p
			if prev, dup := ids[op.OperationID]; dup || op.OperationID == "" {
				t.Errorf("%s: operationId %q (also %s)", name, op.OperationID, prev)
			}
			ids[op.OperationID] = name
			declared := map[string]bool{}
			for _, prm := range op.Parameters {
				prm = resolve(prm)
				if prm["in"] == "path" {
					declared[prm["name"].(string)] = true
					if prm["required"] != true {
						t.Errorf("%s: path parameter %v is not required", name, prm["name"])
					}
				}
			}
			for _, v := range muxVar.FindAllStringSubmatch(p, -1) {
				if !declared[v[1]] {
					t.Errorf("%s: path parameter {%s} is not declared", name, v[1])
				}
				delete(declared, v[1])
			}
			if len(declared) > 0 {
				t.Errorf("%s: path parameters %v are not in the path", name, declared)
			}
			write := m == "put" || m == "post"
			secured := false
			for _, sec := range op.Security {
				_, secured = sec["bearerAuth"]
			}
			if write && p != "/resources/lookup" && !secured {
				t.Errorf("%s: a write without the bearer scheme", name)
			}
			// Reads are public; the operator's backup and the list of
			// tokens are the reads that need a token.
			if tokenRead := p == "/admin/backup" || p == "/tokens"; !write && secured != tokenRead {
				t.Errorf("%s: a read that asks for a token, or the backup or token list without one", name)
			}
			if withBody[name] != (len(op.RequestBody) > 0) {
				t.Errorf("%s: request body %v, want %v", name, len(op.RequestBody) > 0, withBody[name])
			}
			if len(op.Responses) == 0 {
				t.Errorf("%s: no responses", name)
			}
			for code, resp := range op.Responses {
				if code[0] < '4' || m == "head" {
					continue
				}
				resp = resolve(resp)
				content, _ := resp["content"].(map[string]any)
				if report, _ := json.Marshal(content[typeJSON]); strings.Contains(string(report), "#/components/schemas/ImportReport") {
					continue // an import refused unit by unit answers its report
				}
				if _, ok := content[typeProblem]; !ok {
					t.Errorf("%s: %s is not described as %s", name, code, typeProblem)
				}
			}
			if secured {
				if _, ok := op.Responses["401"]; !ok {
					t.Errorf("%s: a write without its 401", name)
				}
			}
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	srv, _ := newTestServer(t)
	res, body := do(t, http.MethodGet, srv.URL+"/openapi.json", nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != typeJSON || res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("/openapi.json: %d, %q, nosniff %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("X-Content-Type-Options"))
	}
	if body != string(openAPIDocument) {
		t.Error("/openapi.json is not the embedded document")
	}
	parseOpenAPI(t, []byte(body))
	res, _ = do(t, http.MethodGet, srv.URL+"/openapi.json", map[string]string{"If-None-Match": res.Header.Get("ETag")})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET: %d, want 304", res.StatusCode)
	}
	res, _ = do(t, http.MethodPost, srv.URL+"/openapi.json", nil)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /openapi.json: %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
	res, _ = do(t, http.MethodPut, srv.URL+"/metrics", nil)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("PUT /metrics: %d, Allow %q", res.StatusCode, res.Header.Get("Allow"))
	}
}
