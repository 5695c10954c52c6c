package schema

import (
	"strings"
	"testing"

	"github.com/cayleygraph/quad"
)

func TestCheckCTID(t *testing.T) {
	tests := []struct {
		in      string
		wantErr string
	}{
		{"ce-5e3d1d9c-0f7f-4f5e-9a52-1c2b3d4e5f60", ""},
		{"5e3d1d9c-0f7f-4f5e-9a52-1c2b3d4e5f60", `must start with "ce-"`},
		{"ce-5E3D1D9C-0F7F-4F5E-9A52-1C2B3D4E5F60", "not a lowercase hex digit"},
		{"ce-5e3d1d9c0f7f4f5e9a521c2b3d4e5f60", "36-character UUID"},
		{"ce-5e3d1d9c-0f7f-4f5e-9a52-1c2b3d4e5f6", "36-character UUID"},
		{"ce-5e3d1d9c_0f7f-4f5e-9a52-1c2b3d4e5f60", "expected '-'"},
		{"ce-zz3d1d9c-0f7f-4f5e-9a52-1c2b3d4e5f60", "not a lowercase hex digit"},
		{"", `must start with "ce-"`},
	}
	for _, tt := range tests {
		err := CheckCTID(tt.in)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("CheckCTID(%q) = %v, want nil", tt.in, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("CheckCTID(%q) = %v, want error containing %q", tt.in, err, tt.wantErr)
		}
	}
}

func TestNewAndDerivedCTID(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		c := NewCTID()
		if !ValidCTID(c) {
			t.Fatalf("NewCTID() = %q is not valid", c)
		}
		if seen[c] {
			t.Fatalf("NewCTID() repeated %q", c)
		}
		seen[c] = true
	}
	a := DerivedCTID("agency", "CompTIA A+")
	if !ValidCTID(a) {
		t.Fatalf("DerivedCTID = %q is not valid", a)
	}
	if b := DerivedCTID("agency", "CompTIA A+"); a != b {
		t.Errorf("DerivedCTID is not deterministic: %q vs %q", a, b)
	}
	// Joining is unambiguous: ("ab","c") and ("a","bc") differ.
	if DerivedCTID("ab", "c") == DerivedCTID("a", "bc") {
		t.Error("DerivedCTID(ab, c) == DerivedCTID(a, bc)")
	}
}

func TestNewBase(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{"https://registry.example.gov", "https://registry.example.gov", ""},
		{"https://registry.example.gov/", "https://registry.example.gov", ""},
		{"http://127.0.0.1:8080/credreg/", "http://127.0.0.1:8080/credreg", ""},
		{"ftp://example.gov", "", "must start with http"},
		{"registry.example.gov", "", "must start with http"},
		{"https://", "", "no host"},
		{"https://example.gov/?a=b", "", "query or fragment"},
	}
	for _, tt := range tests {
		b, err := NewBase(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NewBase(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || b.String() != tt.want {
			t.Errorf("NewBase(%q) = %q, %v; want %q", tt.in, b, err, tt.want)
		}
	}
	b, _ := NewBase("https://r.example.gov")
	if got := b.Resource("ce-x"); got != "https://r.example.gov/resources/ce-x" {
		t.Errorf("Resource = %q", got)
	}
	if got := b.Concept("soc", "15-1252"); got != "https://r.example.gov/schemes/soc/15-1252" {
		t.Errorf("Concept = %q", got)
	}
	if p, ok := b.Path("https://r.example.gov/schemes/cip/11.0701"); !ok || p != "/schemes/cip/11.0701" {
		t.Errorf("Path = %q, %v", p, ok)
	}
	if _, ok := b.Path("https://r.example.gov.evil/x"); ok {
		t.Error("Path accepted an IRI on another host that shares the prefix")
	}
}

func TestCheckNotation(t *testing.T) {
	tests := []struct {
		scheme, notation string
		ok               bool
	}{
		{SchemeSOC, "15-1252", true},
		{SchemeSOC, "151252", false},
		{SchemeSOC, "15-1252.00", false},
		{SchemeCIP, "11.0701", true},
		{SchemeCIP, "11", true},
		{SchemeCIP, "110701", false},
		{SchemeNAICS, "541512", true},
		{SchemeNAICS, "54151a", false},
		{SchemeCareerClusters, "010100", true},
		{SchemeCareerClusters, "Advanced Manufacturing", false},
		{SchemeValueCriteria, "high-wage", true},
		{"other", "A.b_c-1", true},
		{"other", "a b", false},
	}
	for _, tt := range tests {
		err := CheckNotation(tt.scheme, tt.notation)
		if (err == nil) != tt.ok {
			t.Errorf("CheckNotation(%q, %q) = %v, want ok=%v", tt.scheme, tt.notation, err, tt.ok)
		}
	}
}

func TestCompact(t *testing.T) {
	for in, want := range map[string]string{
		CETerms + "name":             "ceterms:name",
		SKOS + "prefLabel":           "skos:prefLabel",
		"https://example.org/x":      "https://example.org/x",
		Credreg + "ValueDesignation": "credreg:ValueDesignation",
	} {
		if got := Compact(in); got != want {
			t.Errorf("Compact(%q) = %q, want %q", in, got, want)
		}
	}
}

const testBase = "https://r.example.gov"

func iri(s string) quad.IRI { return quad.IRI(s) }

func typed(v, dt string) quad.Value {
	return quad.TypedString{Value: quad.String(v), Type: quad.IRI(dt)}
}

func TestValidate(t *testing.T) {
	base, _ := NewBase(testBase)
	const ctid = "ce-5e3d1d9c-0f7f-4f5e-9a52-1c2b3d4e5f60"
	res := base.Resource(ctid)
	org := base.Resource("ce-00000000-0000-4000-8000-000000000001")
	st := func(s, p string, o quad.Value) quad.Quad {
		return quad.Quad{Subject: iri(s), Predicate: iri(p), Object: o}
	}
	credential := []quad.Quad{
		st(res, RDFType, iri(CETerms+"Certification")),
		st(res, CTID, quad.String(ctid)),
		st(res, Name, quad.String("Security+")),
		st(res, OwnedBy, iri(org)),
		st(res, OccupationType, iri(base.Concept(SchemeSOC, "15-1212"))),
	}
	designation := func(extra ...quad.Quad) []quad.Quad {
		return append([]quad.Quad{
			st(res, RDFType, iri(ClassValueDesignation)),
			st(res, CTID, quad.String(ctid)),
			st(res, DesignatingAgency, iri(org)),
			st(res, DesignatedFor, iri(base.Resource("ce-00000000-0000-4000-8000-000000000002"))),
			st(res, SubCluster, iri(base.Concept(SchemeCareerClusters, "060103"))),
			st(res, Region, quad.String("Statewide")),
		}, extra...)
	}
	tests := []struct {
		name  string
		iri   string
		quads []quad.Quad
		want  []string // "field: message part", one per expected problem
	}{
		{"valid credential", res, credential, nil},
		{"empty record", res, nil, []string{"@id: the record has no statements"}},
		{"missing name and owner", res, credential[:2], []string{"ceterms:name: required", "ceterms:ownedBy: required"}},
		{"wrong ctid", res, append(credential[:1:1], st(res, CTID, quad.String("ce-00000000-0000-4000-8000-000000000009")), credential[2], credential[3]), []string{"ceterms:ctid: must equal the CTID"}},
		{"malformed record IRI", base.Resource("ce-nope"), credential, []string{"@id: CTID", "@id: node does not belong to record"}},
		{"IRI outside base", "https://elsewhere.example/resources/" + ctid, credential, []string{"@id: the record IRI must be under the registry base", "@id: node does not belong to record"}},
		// A class credreg does not know is kept (the importer warns of it).
		{"unknown type", res, []quad.Quad{st(res, RDFType, iri("https://example.org/Thing")), st(res, CTID, quad.String(ctid))}, nil},
		{"CTDL class beyond credentials", res, []quad.Quad{st(res, RDFType, iri(CETerms+"LearningProgram")), st(res, CTID, quad.String(ctid))}, nil},
		{"minted CTID from its source IRI", base.Resource(MintedCTID("https://case.example/uri/7")), []quad.Quad{
			st(base.Resource(MintedCTID("https://case.example/uri/7")), RDFType, iri(ClassCompetency)),
			st(base.Resource(MintedCTID("https://case.example/uri/7")), CompetencyText, quad.String("x")),
			st(base.Resource(MintedCTID("https://case.example/uri/7")), SameAs, iri("https://case.example/uri/7"))}, nil},
		{"no CTID and no source IRI", res, []quad.Quad{st(res, RDFType, iri(ClassCompetency)), st(res, CompetencyText, quad.String("x"))}, []string{"ceterms:ctid: required"}},
		{"concept with only a definition", res, []quad.Quad{st(res, RDFType, iri(ClassConcept)), st(res, CTID, quad.String(ctid)), st(res, Definition, quad.String("d"))}, nil},
		{"concept with no label", res, []quad.Quad{st(res, RDFType, iri(ClassConcept)), st(res, CTID, quad.String(ctid))}, []string{"skos:prefLabel: required: one of"}},
		{"bad SOC code", res, append(append([]quad.Quad{}, credential...), st(res, OccupationType, iri(base.Concept(SchemeSOC, "151212")))), []string{"ceterms:occupationType: \"151212\" is not a well-formed soc code"}},
		{"SOC link to another scheme", res, append(append([]quad.Quad{}, credential...), st(res, OccupationType, iri(base.Concept(SchemeCIP, "11.0701")))), []string{"ceterms:occupationType: must be a concept of the soc scheme"}},
		{"script URL as web page", res, append(append([]quad.Quad{}, credential...), st(res, SubjectWebpage, iri("javascript:alert(1)"))), []string{"ceterms:subjectWebpage: a web page must be an http or https URL"}},
		{"literal where a link belongs", res, append(append([]quad.Quad{}, credential...), st(res, OfferedBy, quad.String("CompTIA"))), []string{"ceterms:offeredBy: must be an IRI"}},
		{"blank node", res, append(append([]quad.Quad{}, credential...), quad.Quad{Subject: quad.BNode("b0"), Predicate: iri(Name), Object: quad.String("x")}), []string{"@id: every node needs an IRI"}},
		{"foreign subject", res, append(append([]quad.Quad{}, credential...), st(org, Name, quad.String("x"))), []string{"@id: node does not belong to record"}},
		{"valid designation", res, designation(st(res, ValidFrom, typed("2025-07-01", XSDDate)), st(res, ValidThrough, typed("2027-06-30", XSDDate))), nil},
		{"designation: every problem at once", res, designation(
			st(res, ValidFrom, typed("2025-13-01", XSDDate)),
			st(res, ValidThrough, typed("soon", XSDDate)),
			st(res, res+"#evidence", iri(res+"#evidence")),
			st(res+"#evidence", MedianAnnualWage, typed("58,000", XSDDecimal)),
			st(res+"#evidence", ProjectedOpenings, typed("12.5", XSDInteger)),
			st(res+"#evidence", DataYear, typed("25", XSDGYear)),
		), []string{
			"schema:validFrom: not a date",
			"schema:validThrough: not a date",
			"credreg:medianAnnualWage: not a decimal",
			"credreg:projectedAnnualOpenings: not a whole number",
			"credreg:dataYear: not a year",
		}},
		{"designation: through before from", res, designation(st(res, ValidFrom, typed("2026-07-01", XSDDate)), st(res, ValidThrough, typed("2025-06-30", XSDDate))), []string{"schema:validThrough: must not be before"}},
		{"designation: missing agency and cluster", res, []quad.Quad{st(res, RDFType, iri(ClassValueDesignation)), st(res, CTID, quad.String(ctid)), st(res, ValidFrom, typed("2025-07-01", XSDDate))}, []string{"credreg:designatingAgency: required", "credreg:credential: required", "credreg:cluster: required", "credreg:region: required"}},
		{"orphan fragment", res, append(append([]quad.Quad{}, credential...), st(res+"#x", Name, quad.String("x"))), []string{"@id: this node of the record is not linked"}},
		{"concept notation mismatch", base.Concept(SchemeSOC, "15-1212"), []quad.Quad{
			st(base.Concept(SchemeSOC, "15-1212"), RDFType, iri(ClassConcept)),
			st(base.Concept(SchemeSOC, "15-1212"), PrefLabel, quad.String("Information Security Analysts")),
			st(base.Concept(SchemeSOC, "15-1212"), Notation, quad.String("15-1211")),
			st(base.Concept(SchemeSOC, "15-1212"), InScheme, iri(base.Scheme(SchemeCIP))),
		}, []string{"skos:notation: must equal the notation", "skos:inScheme: must be the scheme"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Validate(base, tt.iri, tt.quads)
			if len(tt.want) == 0 && len(got) > 0 {
				t.Fatalf("unexpected problems: %v", got)
			}
			for _, w := range tt.want {
				field, msg, _ := strings.Cut(w, ": ")
				found := false
				for _, p := range got {
					if p.Field == field && (strings.Contains(p.Message, msg) || strings.Contains(p.String(), msg)) {
						found = true
					}
				}
				if !found {
					t.Errorf("missing problem %q in %v", w, got)
				}
			}
			if len(tt.want) > 0 && len(got) != len(tt.want) {
				t.Errorf("got %d problems, want %d: %v", len(got), len(tt.want), got)
			}
		})
	}
}

func TestContextIsJSONLD(t *testing.T) {
	if !strings.Contains(string(ContextDocument()), `"@context"`) {
		t.Fatal("embedded context has no @context")
	}
	if ContextETag() == "" || ContextETag()[0] != '"' {
		t.Errorf("ContextETag = %q, want a quoted strong tag", ContextETag())
	}
}

func TestValidateRefusesControlCharacters(t *testing.T) {
	base, _ := NewBase("https://registry.example.gov")
	iri := base.Resource("ce-11111111-2222-4333-8444-555555555555")
	for _, text := range []string{"bell\a", "nul\x00", "esc\x1b[31m", "del\x7f"} {
		quads := []quad.Quad{
			{Subject: quad.IRI(iri), Predicate: quad.IRI(RDFType), Object: quad.IRI(ClassCredentialOrganization)},
			{Subject: quad.IRI(iri), Predicate: quad.IRI(CTID), Object: quad.String("ce-11111111-2222-4333-8444-555555555555")},
			{Subject: quad.IRI(iri), Predicate: quad.IRI(Name), Object: quad.String(text)},
		}
		ps := Validate(base, iri, quads)
		if len(ps) == 0 || ps[0].Field != "ceterms:name" || !strings.Contains(ps[0].Message, "control characters") {
			t.Errorf("%q: %v", text, ps)
		}
	}
	ok := []quad.Quad{
		{Subject: quad.IRI(iri), Predicate: quad.IRI(RDFType), Object: quad.IRI(ClassCredentialOrganization)},
		{Subject: quad.IRI(iri), Predicate: quad.IRI(CTID), Object: quad.String("ce-11111111-2222-4333-8444-555555555555")},
		{Subject: quad.IRI(iri), Predicate: quad.IRI(Name), Object: quad.String("Two\tlines\r\nof text")},
	}
	if ps := Validate(base, iri, ok); len(ps) > 0 {
		t.Errorf("tab and line breaks refused: %v", ps)
	}
}
