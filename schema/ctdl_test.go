package schema

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/piprate/json-gold/ld"
)

const (
	qdataNS = "https://credreg.net/qdata/terms/"
	asnNS   = "http://purl.org/ASN/schema/core/"
)

func TestCTDLClasses(t *testing.T) {
	tests := []struct {
		iri        string
		label      string
		topLevel   bool
		credential bool
		super      []string // some of the direct superclasses
	}{
		{CETerms + "BachelorOfScienceDegree", "Bachelor of Science Degree", true, true, []string{CETerms + "BachelorDegree"}},
		{CETerms + "Credential", "Credential", true, true, []string{Schema + "CreativeWork"}},
		{CETerms + "QualityAssuranceCredential", "Quality Assurance Credential", true, true, nil},
		{CETerms + "OpenBadge", "Open Badge", true, true, []string{CETerms + "Badge"}},
		{CETerms + "Organization", "Organization", true, false, []string{CETerms + "Agent", DCT + "Agent"}},
		{CETerms + "CredentialOrganization", "Credential Organization", true, false, []string{CETerms + "Organization"}},
		{CETerms + "LearningProgram", "Learning Program", true, false, []string{CETerms + "LearningOpportunityProfile", Schema + "EducationalOccupationalProgram"}},
		{CETerms + "Course", "Course", true, false, []string{CETerms + "LearningOpportunityProfile"}},
		{CETerms + "Pathway", "Pathway", true, false, nil},
		{CETerms + "TransferValueProfile", "Transfer Value Profile", true, false, nil},
		{CETerms + "ProcessProfile", "Process Profile", true, false, []string{Schema + "CreativeWork"}},
		{qdataNS + "DataSetProfile", "Data Set Profile", true, false, nil},
		{CEASN + "CompetencyFramework", "Competency Framework", true, false, nil},
		{CEASN + "Competency", "Competency", true, false, nil},
		{CEASN + "CriterionLevel", "Criterion Level", true, false, nil}, // ctid's domain misspells it
		{SKOS + "ConceptScheme", "Concept Scheme", true, false, nil},
		{SKOS + "Concept", "Concept", true, false, nil},
		{asnNS + "ProgressionModel", "Progression Model", true, false, []string{SKOS + "ConceptScheme"}},
		{qdataNS + "Metric", "", true, false, nil}, // named in ctid's domain, declared nowhere
		{CETerms + "CredentialAlignmentObject", "Credential Alignment Object", false, false, []string{Schema + "AlignmentObject"}},
		{CETerms + "ConditionProfile", "Condition Profile", false, false, []string{Schema + "CreativeWork"}},
		{CETerms + "EarningsProfile", "Earnings Profile", false, false, []string{CETerms + "AggregateDataProfile"}},
		{Schema + "QuantitativeValue", "Quantitative Value", false, false, nil},
	}
	for _, tt := range tests {
		t.Run(Compact(tt.iri), func(t *testing.T) {
			c, ok := LookupCTDLClass(tt.iri)
			if !ok {
				t.Fatalf("LookupCTDLClass(%s): not found", tt.iri)
			}
			if c.IRI != tt.iri || c.Label != tt.label || c.TopLevel != tt.topLevel {
				t.Errorf("got IRI %q Label %q TopLevel %v, want %q %q %v", c.IRI, c.Label, c.TopLevel, tt.iri, tt.label, tt.topLevel)
			}
			for _, s := range tt.super {
				if !contains(c.Super, s) {
					t.Errorf("Super %v lacks %s", c.Super, s)
				}
			}
			if got := IsCTDLSubClassOf(tt.iri, CETerms+"Credential"); got != tt.credential {
				t.Errorf("IsCTDLSubClassOf(Credential) = %v, want %v", got, tt.credential)
			}
			if got := IsCredentialType(tt.iri); got != tt.credential {
				t.Errorf("IsCredentialType = %v, want %v", got, tt.credential)
			}
		})
	}
	for _, iri := range []string{CEASN + "CrtiterionLevel", CETerms + "NoSuchClass", Schema + "CreativeWork", ""} {
		if _, ok := LookupCTDLClass(iri); ok {
			t.Errorf("LookupCTDLClass(%q) found an undeclared class", iri)
		}
	}
	// The returned slice is the caller's.
	c, _ := LookupCTDLClass(CETerms + "BachelorOfScienceDegree")
	c.Super[0] = "mutated"
	if c2, _ := LookupCTDLClass(CETerms + "BachelorOfScienceDegree"); c2.Super[0] != CETerms+"BachelorDegree" {
		t.Errorf("mutating Super changed the table: %v", c2.Super)
	}
}

func TestIsCTDLSubClassOf(t *testing.T) {
	tests := []struct {
		iri, ancestor string
		want          bool
	}{
		{CETerms + "BachelorOfScienceDegree", CETerms + "BachelorOfScienceDegree", true},
		{CETerms + "BachelorOfScienceDegree", CETerms + "BachelorDegree", true},
		{CETerms + "BachelorOfScienceDegree", CETerms + "Degree", true},
		{CETerms + "BachelorOfScienceDegree", Schema + "CreativeWork", true},
		{CETerms + "BachelorDegree", CETerms + "BachelorOfScienceDegree", false},
		{CETerms + "CredentialOrganization", DCT + "Agent", true},
		{asnNS + "ProgressionLevel", SKOS + "Concept", true},
		{CETerms + "Course", CETerms + "LearningOpportunityProfile", true},
		{CETerms + "Organization", CETerms + "Credential", false},
		{CETerms + "NoSuchClass", CETerms + "Credential", false},
	}
	for _, tt := range tests {
		if got := IsCTDLSubClassOf(tt.iri, tt.ancestor); got != tt.want {
			t.Errorf("IsCTDLSubClassOf(%s, %s) = %v, want %v", Compact(tt.iri), Compact(tt.ancestor), got, tt.want)
		}
	}
}

func TestCTDLCounts(t *testing.T) {
	declared := map[string]ctdlSource{}
	for _, s := range ctdlSources {
		declared[s.File] = s
	}
	// The counts Credential Engine's encodings declare (see the reference README).
	for file, want := range map[string][2]int{
		"ctdl-schema.json":       {139, 411},
		"ctdlasn-schema.json":    {11, 101},
		"qdata-schema-2023.json": {13, 85},
	} {
		if s := declared[file]; s.Classes != want[0] || s.Properties != want[1] {
			t.Errorf("%s: %d classes, %d properties; want %d, %d", file, s.Classes, s.Properties, want[0], want[1])
		}
	}

	classes := CTDLClasses()
	if !sort.StringsAreSorted(classes) {
		t.Error("CTDLClasses is not sorted")
	}
	top := 0
	for _, iri := range classes {
		if c, _ := LookupCTDLClass(iri); c.TopLevel {
			top++
		}
	}
	links, linkTerms := 0, 0
	for _, p := range ctdlPropertyTable {
		if p.Link {
			links++
		}
	}
	for _, term := range ctdlTermTable {
		if term.Type == "@id" {
			linkTerms++
		}
	}
	got := map[string]int{
		// 139 + 11 + 13 declarations, 9 of them QData re-declarations of CTDL
		// classes, plus the undeclared qdata:Metric.
		"classes": len(classes),
		// The 113 names of ceterms:ctid's domain, one of them misspelled.
		"top-level classes": top,
		// ceterms:Credential and its 48 subclasses.
		"credential types": len(CredentialTypes),
		// 554 declared properties and the 56 terms only the contexts define.
		"properties": len(ctdlPropertyTable),
		// The 442 terms the contexts type "@id" and qdata:distributionFile,
		// which no context defines and the schema ranges on xsd:anyURI.
		"link properties":     links,
		"context link terms":  linkTerms,
		"context terms":       len(ctdlTermTable),
		"prefixes":            len(CTDLPrefixes()),
		"language-map terms":  countTerms(func(t ctdlTerm) bool { return t.Container == "@language" }),
		"ceterms: link terms": countTerms(func(t ctdlTerm) bool { return t.Type == "@id" && strings.HasPrefix(t.Key, "ceterms:") }),
	}
	want := map[string]int{
		"classes":             155,
		"top-level classes":   113,
		"credential types":    49,
		"properties":          610,
		"link properties":     443,
		"context link terms":  442,
		"context terms":       609,
		"prefixes":            66,
		"language-map terms":  80,
		"ceterms: link terms": 305,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("counts:\n got %v\nwant %v", got, want)
	}
}

func countTerms(f func(ctdlTerm) bool) int {
	n := 0
	for _, t := range ctdlTermTable {
		if f(t) {
			n++
		}
	}
	return n
}

func TestCTDLProperties(t *testing.T) {
	const (
		xsd       = XSD
		langMap   = "langmap"
		link      = "link"
		untyped   = ""
		duration  = Schema + "Duration"
		stringXSD = xsd + "string"
	)
	tests := []struct {
		iri  string
		kind string // link, langmap, untyped or the datatype IRI
		rng  string // one of the schema ranges ("" for none)
	}{
		{CETerms + "ownedBy", link, CETerms + "CredentialOrganization"},
		{CETerms + "offers", link, ""},
		{CETerms + "geoURI", link, xsd + "anyURI"},
		{CETerms + "targetOccupation", link, CETerms + "Occupation"},
		{CETerms + "supersedes", link, ""},
		{CETerms + "subjectWebpage", link, xsd + "anyURI"},
		{SKOS + "topConceptOf", link, SKOS + "ConceptScheme"},
		{SKOS + "inScheme", link, ""},
		{CEASN + "isPartOf", link, CEASN + "CompetencyFramework"},
		// The context says "@id" although the schema ranges them on literals.
		{CETerms + "medianEarnings", link, xsd + "decimal"},
		{CETerms + "approximateStartDate", link, Schema + "Date"},
		{CEASN + "approximateDateCreated", link, Schema + "Date"},
		{CETerms + "leftSource", link, RDFS + "Literal"},
		// Only in the schema: the kind comes from its range.
		{qdataNS + "distributionFile", link, xsd + "anyURI"},
		// Only in the context.
		{qdataNS + "hasMetric", link, ""},
		{qdataNS + "mean", xsd + "float", ""},
		{CETerms + "name", langMap, RDF + "langString"},
		{CETerms + "description", langMap, RDF + "langString"},
		{CEASN + "competencyText", langMap, RDF + "langString"},
		{SKOS + "prefLabel", langMap, RDF + "langString"},
		{CETerms + "ctid", stringXSD, stringXSD},
		{SKOS + "notation", stringXSD, ""},
		{CETerms + "dateEffective", xsd + "date", xsd + "date"},
		{CETerms + "startTime", xsd + "dateTime", xsd + "dateTime"},
		{CEASN + "dateModified", xsd + "dateTime", ""},
		{CETerms + "isNonCredit", xsd + "boolean", xsd + "boolean"},
		{CETerms + "latitude", xsd + "float", xsd + "float"},
		{CETerms + "price", xsd + "decimal", xsd + "decimal"},
		{CETerms + "inLanguage", xsd + "language", xsd + "language"},
		{CETerms + "exactDuration", duration, duration},
		{CETerms + "basePeriod", xsd + "duration", xsd + "duration"},
		{CETerms + "minimumAge", xsd + "integer", xsd + "integer"},
	}
	for _, tt := range tests {
		t.Run(Compact(tt.iri), func(t *testing.T) {
			p, ok := LookupCTDLProperty(tt.iri)
			if !ok {
				t.Fatalf("LookupCTDLProperty(%s): not found", tt.iri)
			}
			var kind string
			switch {
			case p.Link:
				kind = link
			case p.LanguageMap:
				kind = langMap
			default:
				kind = p.Datatype
			}
			if kind != tt.kind {
				t.Errorf("kind %q, want %q (%+v)", kind, tt.kind, p)
			}
			if p.Link && p.Datatype != "" || p.LanguageMap && p.Datatype != "" {
				t.Errorf("link or language map with a datatype: %+v", p)
			}
			if tt.rng != "" && !contains(p.Range, tt.rng) {
				t.Errorf("Range %v lacks %s", p.Range, tt.rng)
			}
		})
	}
	if _, ok := LookupCTDLProperty(CETerms + "noSuchProperty"); ok {
		t.Error("found an undeclared property")
	}
}

// TestCTDLDisagreements pins the properties the context makes links although
// the schema ranges them (also) on literals: the 8 the reference README
// lists, leftSource and rightSource, and two CTDL-ASN dates.
func TestCTDLDisagreements(t *testing.T) {
	var got []string
	for _, p := range ctdlPropertyTable {
		if !p.Link {
			continue
		}
		for _, r := range p.Range {
			if strings.HasPrefix(r, XSD) && r != XSD+"anyURI" || r == Schema+"Date" || r == RDFS+"Literal" {
				got = append(got, Compact(p.IRI))
				break
			}
		}
	}
	want := []string{
		"ceasn:approximateDateCreated", "ceasn:approximateDateModified",
		"ceterms:approximateClosingDate", "ceterms:approximateDateEffective", "ceterms:approximateEndDate",
		"ceterms:approximateExpirationDate", "ceterms:approximateStartDate",
		"ceterms:highEarnings", "ceterms:leftSource", "ceterms:lowEarnings", "ceterms:medianEarnings", "ceterms:rightSource",
	}
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("context links on literal ranges:\n got %v\nwant %v", got, want)
	}
}

func TestCTDLTermKeyAndPrefixes(t *testing.T) {
	for iri, want := range map[string]string{
		CETerms + "name":             "ceterms:name",
		CEASN + "competencyText":     "ceasn:competencyText",
		SKOS + "topConceptOf":        "skos:topConceptOf",
		qdataNS + "hasMetric":        "qdata:hasMetric",
		RDFS + "label":               "rdfs:label",
		qdataNS + "distributionFile": "",
		Credreg + "cluster":          "",
	} {
		if got := CTDLTermKey(iri); got != want {
			t.Errorf("CTDLTermKey(%s) = %q, want %q", iri, got, want)
		}
	}
	p := CTDLPrefixes()
	for prefix, ns := range map[string]string{
		"ceterms": CETerms, "ceasn": CEASN, "qdata": qdataNS, "skos": SKOS, "schema": Schema,
		"xsd": XSD, "rdfs": RDFS, "rdf": RDF, "dct": DCT, "asn": asnNS,
		"audLevel":  "https://purl.org/ctdl/vocabs/audLevel/", // only in the CTDL context
		"asnscheme": "http://purl.org/asn/scheme/",            // only in the CTDL-ASN context
	} {
		if p[prefix] != ns {
			t.Errorf("prefix %s = %q, want %q", prefix, p[prefix], ns)
		}
	}
	p["ceterms"] = "mutated"
	if CTDLPrefixes()["ceterms"] != CETerms {
		t.Error("CTDLPrefixes returned the shared map")
	}
}

func TestCTDLContextDocument(t *testing.T) {
	var doc struct {
		Context map[string]any `json:"@context"`
	}
	raw := CTDLContext()
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("CTDLContext is not JSON: %v", err)
	}
	if len(doc.Context) != len(ctdlPrefixTable)+len(ctdlTermTable) {
		t.Errorf("%d context entries, want %d prefixes + %d terms", len(doc.Context), len(ctdlPrefixTable), len(ctdlTermTable))
	}
	if doc.Context["ceterms"] != CETerms {
		t.Errorf("ceterms prefix = %v", doc.Context["ceterms"])
	}
	for key, want := range map[string]map[string]any{
		"ceterms:name":          {"@container": "@language"},
		"ceterms:ownedBy":       {"@type": "@id"},
		"ceterms:dateEffective": {"@type": XSD + "date"},
	} {
		if got := doc.Context[key]; !reflect.DeepEqual(got, any(want)) {
			t.Errorf("%s = %v, want %v", key, got, want)
		}
	}
	raw[0] = 'X'
	if CTDLContext()[0] != '{' {
		t.Error("CTDLContext returned the shared slice")
	}
}

// ctdlOnlyLoader serves CTDLContext at Credential Engine's context URL and
// nothing else.
type ctdlOnlyLoader struct{}

const ceContextURL = "https://credreg.net/ctdl/schema/context/json"

func (ctdlOnlyLoader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	if u != ceContextURL {
		return nil, fmt.Errorf("no document %s", u)
	}
	var doc any
	if err := json.Unmarshal(CTDLContext(), &doc); err != nil {
		return nil, err
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}

func TestCTDLContextExpandsCTDL(t *testing.T) {
	const src = `{
	  "@context": "` + ceContextURL + `",
	  "@id": "https://example.org/credential/1",
	  "@type": "ceterms:BachelorOfScienceDegree",
	  "ceterms:ctid": "ce-753d4e3a-bc16-4cc6-9d35-37f186c36532",
	  "ceterms:name": {"en-US": "Bachelor of Science in Nursing"},
	  "ceterms:ownedBy": ["https://example.org/org/1"],
	  "ceterms:subjectWebpage": "https://example.org/bsn",
	  "ceterms:dateEffective": "2020-08-01",
	  "ceterms:isNonCredit": "false",
	  "ceterms:inLanguage": ["en"],
	  "ceasn:dateModified": "2024-01-02T03:04:05Z",
	  "ceterms:medianEarnings": 52000,
	  "ceterms:estimatedDuration": [{"@type": "ceterms:DurationProfile", "ceterms:exactDuration": "P4Y"}],
	  "ceterms:estimatedCost": [{"@type": "ceterms:CostProfile", "ceterms:price": "1200.50"}]
	}`
	var doc any
	if err := json.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = ctdlOnlyLoader{}
	expanded, err := ld.NewJsonLdProcessor().Expand(doc, opts)
	if err != nil {
		t.Fatalf("expand: %v", err)
	}
	if len(expanded) != 1 {
		t.Fatalf("expanded to %d nodes", len(expanded))
	}
	node := expanded[0].(map[string]any)
	if got := node["@type"]; !reflect.DeepEqual(got, []any{CETerms + "BachelorOfScienceDegree"}) {
		t.Errorf("@type = %v", got)
	}
	lit := func(v, dt string) map[string]any { return map[string]any{"@value": v, "@type": dt} }
	tests := []struct {
		path []string // property, then a property of its first value
		want map[string]any
	}{
		{[]string{CETerms + "ctid"}, lit("ce-753d4e3a-bc16-4cc6-9d35-37f186c36532", XSD+"string")},
		{[]string{CETerms + "ownedBy"}, map[string]any{"@id": "https://example.org/org/1"}},
		{[]string{CETerms + "subjectWebpage"}, map[string]any{"@id": "https://example.org/bsn"}},
		{[]string{CETerms + "dateEffective"}, lit("2020-08-01", XSD+"date")},
		{[]string{CETerms + "isNonCredit"}, lit("false", XSD+"boolean")},
		{[]string{CETerms + "inLanguage"}, lit("en", XSD+"language")},
		{[]string{CEASN + "dateModified"}, lit("2024-01-02T03:04:05Z", XSD+"dateTime")},
		// "@type": "@id" coerces strings only: CE's numbers stay numbers.
		{[]string{CETerms + "medianEarnings"}, map[string]any{"@value": float64(52000)}},
		{[]string{CETerms + "estimatedDuration", CETerms + "exactDuration"}, lit("P4Y", Schema+"Duration")},
		{[]string{CETerms + "estimatedCost", CETerms + "price"}, lit("1200.50", XSD+"decimal")},
	}
	for _, tt := range tests {
		t.Run(Compact(tt.path[len(tt.path)-1]), func(t *testing.T) {
			got := firstValue(t, node, tt.path)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%v = %v, want %v", tt.path, got, tt.want)
			}
		})
	}
	name := firstValue(t, node, []string{CETerms + "name"})
	if name["@value"] != "Bachelor of Science in Nursing" || !strings.EqualFold(fmt.Sprint(name["@language"]), "en-US") {
		t.Errorf("ceterms:name = %v, want a language-tagged string (en-US)", name)
	}
}

func firstValue(t *testing.T, node map[string]any, path []string) map[string]any {
	t.Helper()
	var v map[string]any
	for _, p := range path {
		vals, _ := node[p].([]any)
		if len(vals) == 0 {
			t.Fatalf("no value for %s in %v", p, node)
		}
		v, _ = vals[0].(map[string]any)
		node = v
	}
	return v
}

// referenceDir returns the directory of shared/reference/name, skipping
// the test when it is absent (a checkout without shared/), except on CI,
// where the generated tables must be checked.
func referenceDir(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "reference", name)
	if _, err := os.Stat(dir); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		if os.Getenv("CI") == "true" {
			t.Fatalf("reference %s not found at %s: on CI the generated tables must be checked", name, dir)
		}
		t.Skipf("reference %s not found at %s; staleness not checked", name, dir)
	}
	return dir
}

// TestCTDLGeneratedIsCurrent fails when ctdl_gen.go is not what the
// generator makes of the reference files: run go generate ./schema.
func TestCTDLGeneratedIsCurrent(t *testing.T) {
	dir := referenceDir(t, "ctdl")
	for _, s := range ctdlSources {
		data, err := os.ReadFile(filepath.Join(dir, s.File))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != s.SHA256 {
			t.Errorf("%s changed since ctdl_gen.go was generated (run go generate ./schema)", s.File)
		}
	}
	out := filepath.Join(t.TempDir(), "ctdl_gen.go")
	cmd := exec.Command("go", "run", "./internal/ctdlgen", "-ref", dir, "-out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./internal/ctdlgen: %v\n%s", err, msg)
	}
	fresh, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	checked, err := os.ReadFile("ctdl_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, checked) {
		t.Error("ctdl_gen.go is stale: run go generate ./schema")
	}
}

// TestCTDLContextMatchesReference checks every term and prefix of both
// reference contexts against CTDLContext.
func TestCTDLContextMatchesReference(t *testing.T) {
	dir := referenceDir(t, "ctdl")
	var ours struct {
		Context map[string]any `json:"@context"`
	}
	if err := json.Unmarshal(CTDLContext(), &ours); err != nil {
		t.Fatal(err)
	}
	prefixes := CTDLPrefixes()
	expand := func(s string) string {
		if s == "@id" || s == "@vocab" {
			return s
		}
		if full := expandCURIE(s, prefixes); full != "" {
			return full
		}
		return s
	}
	for _, file := range []string{"ctdl-context.json", "ctdlasn-context.json"} {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		var ref struct {
			Context map[string]any `json:"@context"`
		}
		if err := json.Unmarshal(data, &ref); err != nil {
			t.Fatal(err)
		}
		for key, def := range ref.Context {
			got, ok := ours.Context[key]
			if !ok {
				t.Errorf("%s: %s missing", file, key)
				continue
			}
			if s, isPrefix := def.(string); isPrefix {
				if got != s {
					t.Errorf("%s: prefix %s = %v, want %s", file, key, got, s)
				}
				continue
			}
			want := map[string]any{}
			for k, v := range def.(map[string]any) {
				if k == "@type" {
					v = expand(v.(string))
				}
				want[k] = v
			}
			if !reflect.DeepEqual(got, any(want)) {
				t.Errorf("%s: %s = %v, want %v", file, key, got, want)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
