package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"credreg/rdf"
	"credreg/schema"
)

// The JSON shape test reads credreg's documents the way a hiring system
// or a harvester that knows no JSON-LD does: plain JSON decoded into typed
// structs, where a list is a Go slice and a count a Go int. json.Unmarshal
// fails on an object where a slice is expected or on a string where an int
// is, so every document decoding proves its shape. The same code reads
// every case: pages of 0, 1 and many results, the change feed, VoID, a
// credential with one and with several industries, the check.

// A credential as a list page's member: its owner embedded with its name,
// its codes as IRIs, the designations that put it on the list.
type shapeListCredential struct {
	ID                       string       `json:"id"`
	Type                     string       `json:"type"`
	CTID                     string       `json:"ctid"`
	Name                     string       `json:"name"`
	OwnedBy                  []shapeNamed `json:"ownedBy"`
	OfferedBy                []string     `json:"offeredBy"`
	OccupationType           []string     `json:"occupationType"`
	IndustryType             []string     `json:"industryType"`
	InstructionalProgramType []string     `json:"instructionalProgramType"`
	Designation              []struct {
		ID         string       `json:"id"`
		Agency     shapeNamed   `json:"agency"`
		Cluster    []shapeNamed `json:"cluster"`
		SubCluster []shapeNamed `json:"subCluster"`
		Criterion  []shapeNamed `json:"criterion"`
		Evidence   []struct {
			ProjectedAnnualOpenings int    `json:"projectedAnnualOpenings"`
			MedianAnnualWage        string `json:"medianAnnualWage"` // a decimal: kept a string
		} `json:"evidence"`
	} `json:"designation"`
}

type shapeNamed struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	PrefLabel string `json:"prefLabel"`
}

// A page of the list (and the designations side by side): a collection.
type shapeCollection[M any] struct {
	Context    string `json:"@context"`
	ID         string `json:"id"`
	Type       string `json:"type"`
	TotalItems int    `json:"totalItems"`
	View       struct {
		First, Next, Previous string
	} `json:"view"`
	Member []M `json:"member"`
}

// A credential's own document.
type shapeCredential struct {
	Context                  string   `json:"@context"`
	ID                       string   `json:"id"`
	Type                     string   `json:"type"`
	Name                     string   `json:"name"`
	OwnedBy                  []string `json:"ownedBy"`
	OfferedBy                []string `json:"offeredBy"`
	OccupationType           []string `json:"occupationType"`
	IndustryType             []string `json:"industryType"`
	InstructionalProgramType []string `json:"instructionalProgramType"`
	Cluster                  []string `json:"cluster"`
	SubCluster               []string `json:"subCluster"`
}

// A designation's own document, as a member of the designations side by
// side.
type shapeDesignation struct {
	ID         string   `json:"id"`
	Agency     string   `json:"agency"`
	Cluster    []string `json:"cluster"`
	SubCluster []string `json:"subCluster"`
	Criterion  []string `json:"criterion"`
	Evidence   []struct {
		ProjectedAnnualOpenings int `json:"projectedAnnualOpenings"`
	} `json:"evidence"`
}

// A page of the change feed.
type shapeFeed struct {
	Context []json.RawMessage `json:"@context"`
	ID      string            `json:"id"`
	Type    string            `json:"type"`
	PartOf  struct {
		ID         string `json:"id"`
		TotalItems int    `json:"totalItems"`
	} `json:"partOf"`
	Next  string `json:"next"`
	Prev  string `json:"prev"`
	Items []struct {
		ID        string `json:"id"`
		Object    string `json:"object"`
		Published string `json:"published"`
		Sequence  int    `json:"sequence"`
	} `json:"items"`
}

// The VoID and DCAT description.
type shapeVoID struct {
	ID           string   `json:"id"`
	Type         []string `json:"type"`
	Triples      int      `json:"triples"`
	Entities     int      `json:"entities"`
	Sequence     int      `json:"sequence"`
	DataDump     string   `json:"dataDump"`
	ChangeFeed   string   `json:"changeFeed"`
	Vocabulary   []string `json:"vocabulary"`
	Feature      []string `json:"feature"`
	Distribution []struct {
		ID          string `json:"id"`
		DownloadURL string `json:"downloadURL"`
		MediaType   string `json:"mediaType"`
	} `json:"distribution"`
	Search struct {
		Template string `json:"template"`
		Mapping  []struct {
			Variable       string `json:"variable"`
			MappedProperty string `json:"mappedProperty"`
		} `json:"mapping"`
	} `json:"search"`
	ClassPartition []struct {
		ID       string `json:"id"`
		Class    string `json:"class"`
		Entities int    `json:"entities"`
	} `json:"classPartition"`
}

// The employer's check (plain JSON).
type shapeCheck struct {
	Date       string `json:"date"`
	OfValue    bool   `json:"ofValue"`
	Credential struct {
		IRI          string      `json:"iri"`
		Types        []shapeLink `json:"types"`
		OwnedBy      []shapeLink `json:"ownedBy"`
		OfferedBy    []shapeLink `json:"offeredBy"`
		Clusters     []shapeLink `json:"clusters"`
		SubClusters  []shapeLink `json:"subClusters"`
		SupersededBy []shapeLink `json:"supersededBy"`
	} `json:"credential"`
	Agencies           []shapeLink `json:"agencies"`
	Clusters           []shapeLink `json:"clusters"`
	SubClusters        []shapeLink `json:"subClusters"`
	Regions            []string    `json:"regions"`
	ActiveDesignations []struct {
		Clusters []shapeLink `json:"clusters"`
		Criteria []shapeLink `json:"criteria"`
		Evidence []struct {
			ProjectedAnnualOpenings json.Number `json:"projectedAnnualOpenings"`
		} `json:"evidence"`
	} `json:"activeDesignations"`
	OtherDesignations []json.RawMessage `json:"otherDesignations"`
	Competencies      []shapeLink       `json:"competencies"`
	Occupations       []shapeLink       `json:"occupations"`
	Industries        []shapeLink       `json:"industries"`
	Programs          []shapeLink       `json:"programs"`
}

type shapeLink struct {
	IRI   string `json:"iri"`
	Label string `json:"label"`
}

// A problem answer.
type shapeProblem struct {
	Status     int      `json:"status"`
	Parameter  string   `json:"parameter"`
	Candidates []string `json:"candidates"`
}

// The history of a record.
type shapeHistory struct {
	Resource string `json:"resource"`
	Changes  []struct {
		Seq int    `json:"seq"`
		IRI string `json:"iri"`
	} `json:"changes"`
}

// A bulk lookup: the result node first, then the resources found.
type shapeLookup struct {
	Graph []json.RawMessage `json:"@graph"`
}

type shapeLookupHead struct {
	Type      string   `json:"type"`
	Unknown   []string `json:"unknown"`
	Malformed []struct {
		Value, Message string
	} `json:"malformed"`
}

// shapeDecode decodes a document into a typed struct, refusing fields a
// struct has of the wrong JSON type (that is json.Unmarshal's own rule),
// and checks that every key named in arrays is present and is a JSON array
// (null, absent or an object fail), so that an empty list is [] too.
func shapeDecode[T any](t *testing.T, name string, body []byte, arrays ...string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: a plain JSON client cannot read it: %v\n%.1500s", name, err, body)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, k := range arrays {
		raw, ok := top[k]
		if !ok || !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
			t.Errorf("%s: %q is not an array: %.200s", name, k, raw)
		}
	}
	return v
}

func TestJSONShapeIsFixed(t *testing.T) {
	srv, store := newUmbrellaServer(t)
	base := srv.URL
	ctx2 := base + "/contexts/v" + schema.ContextVersion + ".jsonld"
	const (
		oneIndustry = "ce-f947817e-d517-4f06-a635-d070698928f3" // AAS in Cybersecurity: NAICS 541512
		nremt       = umbNREMT                                  // two industries, two agencies
	)
	head := store.Sequence()
	tests := []struct {
		name, method, path, body string
		status                   int
		check                    func(t *testing.T, body []byte)
	}{
		{name: "list page of 0 results", path: "/credentials?q=zzqqxxkk", check: func(t *testing.T, b []byte) {
			p := shapeDecode[shapeCollection[shapeListCredential]](t, "list", b, "member")
			if p.TotalItems != 0 || len(p.Member) != 0 || p.Context != ctx2 {
				t.Errorf("empty page: %d items, %d members, context %s", p.TotalItems, len(p.Member), p.Context)
			}
		}},
		{name: "list page of 1 result", path: "/credentials?limit=1", check: func(t *testing.T, b []byte) {
			p := shapeDecode[shapeCollection[shapeListCredential]](t, "list", b, "member")
			if len(p.Member) != 1 || p.TotalItems < 2 || p.View.Next == "" {
				t.Fatalf("page of one: %d members of %d, next %q", len(p.Member), p.TotalItems, p.View.Next)
			}
			if m := p.Member[0]; len(m.OwnedBy) != 1 || m.OwnedBy[0].Name == "" || len(m.Designation) == 0 {
				t.Errorf("member: %+v", m)
			}
		}},
		{name: "list page of many results", path: "/credentials?limit=50", check: func(t *testing.T, b []byte) {
			p := shapeDecode[shapeCollection[shapeListCredential]](t, "list", b, "member")
			if len(p.Member) < 20 || p.TotalItems != len(p.Member) {
				t.Fatalf("%d members of %d", len(p.Member), p.TotalItems)
			}
			ones, openings := 0, 0
			for _, m := range p.Member {
				if len(m.IndustryType) == 1 {
					ones++
				}
				for _, d := range m.Designation {
					for _, e := range d.Evidence {
						openings += e.ProjectedAnnualOpenings
					}
				}
			}
			if ones == 0 || openings == 0 {
				t.Errorf("no member with one industry (%d) or no openings counted (%d)", ones, openings)
			}
		}},
		{name: "list page with credentials of no designation", path: "/credentials?active=any&limit=1000", check: func(t *testing.T, b []byte) {
			p := shapeDecode[shapeCollection[json.RawMessage]](t, "list", b, "member")
			none := 0
			for _, raw := range p.Member {
				m := shapeDecode[shapeListCredential](t, "member", raw, "designation", "ownedBy", "offeredBy", "occupationType", "industryType", "instructionalProgramType")
				if len(m.Designation) == 0 {
					none++
				}
			}
			if none == 0 || len(p.Member) != p.TotalItems {
				t.Errorf("%d members of %d, %d without designations", len(p.Member), p.TotalItems, none)
			}
		}},
		{name: "a credential with one industry", path: "/resources/" + oneIndustry, check: func(t *testing.T, b []byte) {
			c := shapeDecode[shapeCredential](t, "credential", b, "industryType", "ownedBy", "offeredBy", "occupationType", "instructionalProgramType")
			if len(c.IndustryType) != 1 || c.Context != ctx2 {
				t.Errorf("industries %v, context %s", c.IndustryType, c.Context)
			}
		}},
		{name: "a credential with several industries", path: "/resources/" + nremt, check: func(t *testing.T, b []byte) {
			c := shapeDecode[shapeCredential](t, "credential", b, "industryType", "cluster", "subCluster")
			if len(c.IndustryType) != 2 || len(c.OwnedBy) != 1 || len(c.OccupationType) != 1 {
				t.Errorf("industries %v, owners %v, occupations %v", c.IndustryType, c.OwnedBy, c.OccupationType)
			}
		}},
		{name: "designations side by side", path: "/resources/" + nremt + "/designations", check: func(t *testing.T, b []byte) {
			p := shapeDecode[shapeCollection[shapeDesignation]](t, "designations", b, "member")
			if p.TotalItems != 2 || len(p.Member) != 2 || len(p.Member[0].Evidence) != 1 || p.Member[0].Evidence[0].ProjectedAnnualOpenings == 0 {
				t.Errorf("designations: %+v", p)
			}
		}},
		{name: "the change feed", path: "/changes?since=0&limit=3", check: func(t *testing.T, b []byte) {
			f := shapeDecode[shapeFeed](t, "feed", b, "items")
			if len(f.Items) != 3 || f.Items[2].Sequence != 3 || f.PartOf.TotalItems != int(head) || !strings.Contains(f.Next, "since=3") {
				t.Errorf("feed page: %+v", f)
			}
			if len(f.Context) != 2 || string(f.Context[0]) != `"`+ctx2+`"` {
				t.Errorf("feed context: %s", f.Context)
			}
		}},
		{name: "the head of the change feed", path: "/changes?since=" + strconv.FormatUint(head, 10), check: func(t *testing.T, b []byte) {
			f := shapeDecode[shapeFeed](t, "feed", b, "items")
			if len(f.Items) != 0 || f.Next == "" || f.PartOf.TotalItems != int(head) {
				t.Errorf("feed head: %+v", f)
			}
		}},
		{name: "VoID", path: "/.well-known/void", check: func(t *testing.T, b []byte) {
			v := shapeDecode[shapeVoID](t, "VoID", b, "vocabulary", "feature", "distribution", "classPartition", "type")
			if v.Triples == 0 || v.Entities == 0 || v.Sequence != int(head) || len(v.ClassPartition) < 2 || v.ClassPartition[0].Entities == 0 ||
				len(v.Distribution) != 1 || v.Distribution[0].DownloadURL != base+"/dump.nq.gz" || len(v.Search.Mapping) != 3 || v.Search.Mapping[0].MappedProperty == "" {
				t.Errorf("VoID: %+v", v)
			}
			// Short terms only: no full IRI (and no compact IRI) as a key.
			for _, k := range jsonKeys(t, b) {
				if strings.Contains(k, ":") {
					t.Errorf("VoID key %q is an IRI, not a term", k)
				}
			}
			for _, iri := range jsonIRIs(t, b) {
				if strings.Count(iri, "#") > 1 {
					t.Errorf("VoID names an IRI with more than one '#': %s", iri)
				}
			}
		}},
		{name: "the check", path: "/check?ctid=" + nremt, check: func(t *testing.T, b []byte) {
			c := shapeDecode[shapeCheck](t, "check", b, "agencies", "clusters", "subClusters", "regions", "activeDesignations", "otherDesignations", "competencies", "occupations", "industries", "programs")
			if !c.OfValue || len(c.Agencies) != 2 || len(c.Industries) != 2 || len(c.Credential.OwnedBy) != 1 || c.Credential.SupersededBy == nil {
				t.Errorf("check: %+v", c)
			}
		}},
		{name: "the check of a credential no longer of value", path: "/check?ctid=" + umbAWSCloud, check: func(t *testing.T, b []byte) {
			c := shapeDecode[shapeCheck](t, "check", b, "agencies", "clusters", "subClusters", "regions", "activeDesignations", "otherDesignations")
			if c.OfValue || len(c.Agencies) != 0 || len(c.OtherDesignations) != 1 {
				t.Errorf("check: %+v", c)
			}
		}},
		{name: "a problem", path: "/credentials?cluster=Digital+Technolgy", status: http.StatusBadRequest, check: func(t *testing.T, b []byte) {
			p := shapeDecode[shapeProblem](t, "problem", b, "candidates")
			if p.Status != http.StatusBadRequest || p.Parameter != "cluster" || len(p.Candidates) == 0 {
				t.Errorf("problem: %+v", p)
			}
		}},
		{name: "history", path: "/resources/" + nremt + "/history", check: func(t *testing.T, b []byte) {
			h := shapeDecode[shapeHistory](t, "history", b, "changes")
			if len(h.Changes) == 0 || h.Changes[0].Seq == 0 {
				t.Errorf("history: %+v", h)
			}
		}},
		{name: "lookup", method: http.MethodPost, path: "/resources/lookup", body: `["` + nremt + `", "` + umbNoSuch + `", "nope"]`, check: func(t *testing.T, b []byte) {
			l := shapeDecode[shapeLookup](t, "lookup", b, "@graph")
			if len(l.Graph) != 2 {
				t.Fatalf("lookup: %d nodes", len(l.Graph))
			}
			h := shapeDecode[shapeLookupHead](t, "lookup result", l.Graph[0], "unknown", "malformed")
			if len(h.Unknown) != 1 || len(h.Malformed) != 1 {
				t.Errorf("lookup head: %+v", h)
			}
			c := shapeDecode[shapeCredential](t, "lookup credential", l.Graph[1], "industryType")
			if len(c.IndustryType) != 2 {
				t.Errorf("looked-up credential: %+v", c)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			method, status := tc.method, tc.status
			if method == "" {
				method = http.MethodGet
			}
			if status == 0 {
				status = http.StatusOK
			}
			req, err := http.NewRequest(method, base+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Accept", "application/json")
			if tc.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			_, _ = b.ReadFrom(res.Body)
			res.Body.Close()
			if res.StatusCode != status {
				t.Fatalf("%s %s: %d, want %d\n%.800s", method, tc.path, res.StatusCode, status, b.Bytes())
			}
			tc.check(t, b.Bytes())
		})
	}
}

// TestJSONShapeRoundTrips checks that the documents whose shape changed
// still say exactly what their N-Quads say once a JSON-LD processor reads
// them: counts written as JSON numbers come back as xsd:integer literals
// with the same lexical form, and the feed's embedded context gives its
// terms their ActivityStreams meaning.
func TestJSONShapeRoundTrips(t *testing.T) {
	srv, store := newUmbrellaServer(t)
	for _, path := range []string{
		"/changes?since=0&limit=5",
		"/changes?since=" + strconv.FormatUint(store.Sequence(), 10),
		"/.well-known/void",
		"/credentials?q=zzqqxxkk",
		"/credentials?limit=2",
		"/resources/" + umbNREMT + "/designations",
		"/resources/ce-bed19894-d81d-41ac-9e0b-98330eeca6bc",
	} {
		_, js := do(t, http.MethodGet, srv.URL+path, map[string]string{"Accept": "application/ld+json"})
		_, nq := do(t, http.MethodGet, srv.URL+path, map[string]string{"Accept": "application/n-quads"})
		fromJSON, err := rdf.ParseJSONLD(store.Base(), []byte(js))
		if err != nil {
			t.Fatalf("%s: %v\n%s", path, err, js)
		}
		if a, b := lineSet(fromJSON), lineSet(readNQuads(t, nq)); !reflect.DeepEqual(a, b) {
			t.Errorf("%s: the JSON-LD reads as\n%v\nthe N-Quads say\n%v", path, a, b)
		}
		if strings.Contains(path, "changes") && !strings.Contains(nq, "<"+schema.PropASNext+">") {
			t.Errorf("%s: no as:next", path)
		}
		if !strings.Contains(path, "resources/ce-bed") && !strings.Contains(nq, "^^<"+schema.XSD+"integer>") {
			t.Errorf("%s: no integer in the N-Quads", path)
		}
	}
}

// TestContextVersionsServed checks that every version of the context is
// served under its own IRI and the current one at /context.jsonld.
func TestContextVersionsServed(t *testing.T) {
	srv, _ := newTestServer(t)
	for _, v := range schema.ContextVersions {
		res, body := do(t, http.MethodGet, srv.URL+"/contexts/v"+v+".jsonld", nil)
		if res.StatusCode != http.StatusOK || body != string(schema.ContextDocumentOf(v)) || !strings.HasPrefix(res.Header.Get("ETag"), strings.TrimSuffix(schema.ContextETagOf(v), `"`)) ||
			!strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("v%s: %d ETag %s Cache-Control %s", v, res.StatusCode, res.Header.Get("ETag"), res.Header.Get("Cache-Control"))
		}
	}
	res, body := do(t, http.MethodGet, srv.URL+"/context.jsonld", nil)
	if res.StatusCode != http.StatusOK || body != string(schema.ContextDocument()) || strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("/context.jsonld: %d %s", res.StatusCode, res.Header.Get("Cache-Control"))
	}
	if string(schema.ContextDocumentOf("1")) == string(schema.ContextDocument()) {
		t.Error("v1 and the current context are the same document")
	}
}

// jsonKeys returns every object key of a JSON document.
func jsonKeys(t *testing.T, b []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				out = append(out, k)
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// jsonIRIs returns every string value of a JSON document that is an
// absolute http(s) IRI.
func jsonIRIs(t *testing.T, b []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case string:
			if strings.HasPrefix(x, "http://") || strings.HasPrefix(x, "https://") {
				out = append(out, x)
			}
		}
	}
	walk(v)
	return out
}
