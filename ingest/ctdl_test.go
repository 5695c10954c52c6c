package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// CTIDs of the hand-written CTDL documents.
const (
	ctidCert   = "ce-3f7c0d1e-2b4a-4c8e-9a51-6d2f8e0b7c13"
	ctidOrg    = "ce-9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
	ctidFw     = "ce-5b1e2c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
	ctidComp1  = "ce-7c2d3e4f-5a6b-4c7d-9e8f-0a1b2c3d4e5f"
	ctidComp2  = "ce-8d3e4f5a-6b7c-4d8e-8f9a-1b2c3d4e5f6a"
	ctidCert2  = "ce-0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b"
	ceResource = "https://credentialengineregistry.org/resources/"
)

// certificationCTDL is a Credential Engine style CTDL description of a
// certification, as the registry's "resources" endpoint serves one.
var certificationCTDL = `{
  "@context": "https://credreg.net/ctdl/schema/context/json",
  "@id": "` + ceResource + ctidCert + `",
  "@type": "ceterms:Certification",
  "ceterms:ctid": "` + ctidCert + `",
  "ceterms:name": {
    "en-US": "Certified Cloud Security Analyst",
    "es": "Analista Certificado en Seguridad en la Nube"
  },
  "ceterms:description": {
    "en-US": "Industry certification for analysts who secure cloud workloads: identity and access management, network controls, logging and incident response."
  },
  "ceterms:subjectWebpage": "https://certs.example.org/ccsa",
  "ceterms:inLanguage": ["en-US"],
  "ceterms:dateEffective": "2024-01-15",
  "ceterms:credentialStatusType": {
    "@type": "ceterms:CredentialAlignmentObject",
    "ceterms:framework": "https://credreg.net/ctdl/terms/CredentialStatus",
    "ceterms:targetNode": "credentialStat:Active",
    "ceterms:frameworkName": { "en-US": "Credential Status" },
    "ceterms:targetNodeName": { "en-US": "Active" }
  },
  "ceterms:ownedBy": ["` + ceResource + ctidOrg + `"],
  "ceterms:offeredBy": ["` + ceResource + ctidOrg + `"],
  "ceterms:occupationType": [
    {
      "@type": "ceterms:CredentialAlignmentObject",
      "ceterms:framework": "https://www.onetcenter.org/taxonomy/2019/list.html",
      "ceterms:frameworkName": { "en-US": "Standard Occupational Classification" },
      "ceterms:targetNode": "https://www.onetonline.org/link/summary/15-1212.00",
      "ceterms:targetNodeName": { "en-US": "Information Security Analysts" },
      "ceterms:codedNotation": "15-1212.00"
    }
  ],
  "ceterms:industryType": [
    {
      "@type": "ceterms:CredentialAlignmentObject",
      "ceterms:framework": "https://www.census.gov/naics/",
      "ceterms:frameworkName": { "en-US": "North American Industry Classification System" },
      "ceterms:targetNodeName": { "en-US": "Computer Systems Design Services" },
      "ceterms:codedNotation": "541512"
    }
  ],
  "ceterms:instructionalProgramType": [
    {
      "@type": "ceterms:CredentialAlignmentObject",
      "ceterms:framework": "https://nces.ed.gov/ipeds/cipcode/",
      "ceterms:frameworkName": { "en-US": "Classification of Instructional Programs" },
      "ceterms:targetNodeName": { "en-US": "Computer and Information Systems Security/Auditing/Information Assurance" },
      "ceterms:codedNotation": "11.1003"
    }
  ],
  "ceterms:requires": [
    {
      "@type": "ceterms:ConditionProfile",
      "ceterms:description": { "en-US": "Pass the certification exam, which assesses the competencies below." },
      "ceterms:targetCompetency": [
        {
          "@type": "ceterms:CredentialAlignmentObject",
          "ceterms:framework": "` + ceResource + ctidFw + `",
          "ceterms:targetNode": "` + ceResource + ctidComp1 + `",
          "ceterms:targetNodeName": { "en-US": "Configure identity and access management for cloud workloads." }
        },
        {
          "@type": "ceterms:CredentialAlignmentObject",
          "ceterms:framework": "` + ceResource + ctidFw + `",
          "ceterms:targetNode": "` + ceResource + ctidComp2 + `",
          "ceterms:targetNodeName": { "en-US": "Investigate and respond to security incidents in cloud environments." }
        }
      ]
    }
  ],
  "ceterms:estimatedDuration": [
    {
      "@type": "ceterms:DurationProfile",
      "ceterms:description": { "en-US": "Typical preparation time" },
      "ceterms:exactDuration": "P3M"
    }
  ]
}`

func orgCTDL(withContext bool) string {
	ctx := ""
	if withContext {
		ctx = `"@context": "https://credreg.net/ctdl/schema/context/json",`
	}
	return `{` + ctx + `
  "@id": "` + ceResource + ctidOrg + `",
  "@type": "ceterms:CredentialOrganization",
  "ceterms:ctid": "` + ctidOrg + `",
  "ceterms:name": { "en-US": "Cloud Security Certification Council" },
  "ceterms:subjectWebpage": "https://certs.example.org",
  "ceterms:agentType": [{
    "@type": "ceterms:CredentialAlignmentObject",
    "ceterms:targetNode": "orgType:CertificationBody",
    "ceterms:targetNodeName": { "en-US": "Certification Body" }
  }]
}`
}

// graphCTDL is a graph document: the certification, its owner, a
// competency framework and its competencies, and a blank node for an
// organization that has no CTID.
func graphCTDL(extra ...string) string {
	cert := strings.Replace(certificationCTDL, `"@context": "https://credreg.net/ctdl/schema/context/json",`, "", 1)
	cert = strings.Replace(cert, `"ceterms:offeredBy": ["`+ceResource+ctidOrg+`"],`,
		`"ceterms:offeredBy": ["`+ceResource+ctidOrg+`", "_:testing"],`, 1)
	nodes := []string{cert, orgCTDL(false), `{
  "@id": "` + ceResource + ctidFw + `",
  "@type": "ceasn:CompetencyFramework",
  "ceterms:ctid": "` + ctidFw + `",
  "ceasn:name": { "en-US": "Cloud Security Analyst Competencies" },
  "ceasn:description": { "en-US": "What a cloud security analyst can do." },
  "ceasn:publisher": ["` + ceResource + ctidOrg + `"],
  "ceasn:hasTopChild": ["` + ceResource + ctidComp1 + `", "` + ceResource + ctidComp2 + `"]
}`, `{
  "@id": "` + ceResource + ctidComp1 + `",
  "@type": "ceasn:Competency",
  "ceterms:ctid": "` + ctidComp1 + `",
  "ceasn:competencyText": { "en-US": "Configure identity and access management for cloud workloads." },
  "ceasn:codedNotation": "CSA-1",
  "ceasn:isPartOf": "` + ceResource + ctidFw + `",
  "ceasn:isTopChildOf": "` + ceResource + ctidFw + `"
}`, `{
  "@id": "` + ceResource + ctidComp2 + `",
  "@type": "ceasn:Competency",
  "ceterms:ctid": "` + ctidComp2 + `",
  "ceasn:competencyText": { "en-US": "Investigate and respond to security incidents in cloud environments." },
  "ceasn:codedNotation": "CSA-2",
  "ceasn:isPartOf": "` + ceResource + ctidFw + `",
  "ceasn:isTopChildOf": "` + ceResource + ctidFw + `"
}`, `{
  "@id": "_:testing",
  "@type": "ceterms:CredentialOrganization",
  "ceterms:name": { "en-US": "Heartland Testing Center" },
  "ceterms:subjectWebpage": "https://testing.example.org"
}`}
	nodes = append(nodes, extra...)
	return `{
  "@context": "https://credreg.net/ctdlasn/schema/context/json",
  "@id": "https://credentialengineregistry.org/graph/` + ctidCert + `",
  "@graph": [` + strings.Join(nodes, ",\n") + `]
}`
}

func importCTDL(t *testing.T, s *registry.Store, name, doc string, opts Options) *Report {
	t.Helper()
	src, err := CTDL(name, strings.NewReader(doc), s.Base())
	if err != nil {
		t.Fatalf("CTDL: %v", err)
	}
	if opts.Actor == "" && !opts.DryRun {
		opts.Actor = "test agency"
	}
	rep, err := Run(context.Background(), s, src, "ctdl", opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

func getRecord(t *testing.T, s *registry.Store, iri string) *registry.Record {
	t.Helper()
	rec, err := s.Get(context.Background(), iri)
	if err != nil {
		t.Fatalf("get %s: %v", iri, err)
	}
	return rec
}

// objects returns the objects of the statements of rec about subject
// with predicate.
func objects(rec *registry.Record, subject, predicate string) []quad.Value {
	var out []quad.Value
	for _, q := range rec.Quads {
		if q.Subject == quad.IRI(subject) && q.Predicate == quad.IRI(predicate) {
			out = append(out, q.Object)
		}
	}
	return out
}

func hasObject(rec *registry.Record, subject, predicate string, want quad.Value) bool {
	for _, o := range objects(rec, subject, predicate) {
		if o == want {
			return true
		}
	}
	return false
}

// fragmentVia returns the single fragment node rec's subject links to
// with predicate.
func fragmentVia(t *testing.T, rec *registry.Record, subject, predicate string) string {
	t.Helper()
	var frags []string
	for _, o := range objects(rec, subject, predicate) {
		if iri, ok := o.(quad.IRI); ok && strings.HasPrefix(string(iri), rec.IRI+"#") {
			frags = append(frags, string(iri))
		}
	}
	if len(frags) != 1 {
		t.Fatalf("%s %s: want one fragment node, got %v", subject, schema.Compact(predicate), frags)
	}
	return frags[0]
}

func problemsText(rep *Report) string {
	var b strings.Builder
	for _, p := range rep.Problems {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func TestCTDLCertificationRoundTrip(t *testing.T) {
	s := newStore(t)
	base := s.Base()
	rep := importCTDL(t, s, "ccsa.json", certificationCTDL, Options{})
	if !rep.OK() || rep.Units != 1 || rep.Imported != 1 || rep.Written != 1 {
		t.Fatalf("report: %+v\n%s", rep, problemsText(rep))
	}
	iri := base.Resource(ctidCert)
	rec := getRecord(t, s, iri)
	if rec.IRI != iri {
		t.Fatalf("record IRI %s", rec.IRI)
	}
	want := []struct {
		p string
		o quad.Value
	}{
		{schema.RDFType, quad.IRI(schema.CETerms + "Certification")},
		{schema.CTID, quad.String(ctidCert)},
		{schema.SameAs, quad.IRI(ceResource + ctidCert)},
		{schema.Name, quad.LangString{Value: "Certified Cloud Security Analyst", Lang: "en-us"}},
		{schema.Name, quad.LangString{Value: "Analista Certificado en Seguridad en la Nube", Lang: "es"}},
		{schema.SubjectWebpage, quad.IRI("https://certs.example.org/ccsa")},
		{schema.OwnedBy, quad.IRI(base.Resource(ctidOrg))},
		{schema.OfferedBy, quad.IRI(base.Resource(ctidOrg))},
		{schema.OccupationType, quad.IRI(base.Concept(schema.SchemeSOC, "15-1212"))},
		{schema.IndustryType, quad.IRI(base.Concept(schema.SchemeNAICS, "541512"))},
		{schema.InstructionalProgramType, quad.IRI(base.Concept(schema.SchemeCIP, "11.1003"))},
		{schema.TargetCompetency, quad.IRI(base.Resource(ctidComp1))},
		{schema.TargetCompetency, quad.IRI(base.Resource(ctidComp2))},
		{schema.CETerms + "inLanguage", quad.TypedString{Value: "en-US", Type: schema.XSD + "language"}},
		{schema.CETerms + "dateEffective", quad.TypedString{Value: "2024-01-15", Type: schema.XSDDate}},
	}
	for _, w := range want {
		if !hasObject(rec, iri, w.p, w.o) {
			t.Errorf("missing %s %s; have %v", schema.Compact(w.p), w.o, objects(rec, iri, w.p))
		}
	}
	if got := objects(rec, iri, schema.Description); len(got) != 1 {
		t.Errorf("description: %v", got)
	}
	// No IRI of the other registry is left but the owl:sameAs.
	for _, q := range rec.Quads {
		if o, ok := q.Object.(quad.IRI); ok && strings.HasPrefix(string(o), ceResource) && q.Predicate != quad.IRI(schema.SameAs) {
			t.Errorf("an IRI of the other registry is left: %v", q)
		}
	}
	// The unknown property is kept, as a fragment node.
	dur := fragmentVia(t, rec, iri, schema.CETerms+"estimatedDuration")
	if !hasObject(rec, dur, schema.RDFType, quad.IRI(schema.CETerms+"DurationProfile")) ||
		!hasObject(rec, dur, schema.CETerms+"exactDuration", quad.TypedString{Value: "P3M", Type: schema.Schema + "Duration"}) ||
		!hasObject(rec, dur, schema.Description, quad.LangString{Value: "Typical preparation time", Lang: "en-us"}) {
		t.Errorf("duration profile %s: %v", dur, rec.Quads)
	}
	// The ConditionProfile and its alignments are kept, linking to
	// credreg's IRIs of the competencies.
	cond := fragmentVia(t, rec, iri, schema.CETerms+"requires")
	aligns := objects(rec, cond, schema.TargetCompetency)
	if len(aligns) != 2 {
		t.Fatalf("condition profile alignments: %v", aligns)
	}
	var targets []string
	for _, a := range aligns {
		for _, o := range objects(rec, string(a.(quad.IRI)), schema.CETerms+"targetNode") {
			targets = append(targets, quad.ToString(o))
		}
	}
	if len(targets) != 2 || !strings.Contains(strings.Join(targets, " "), base.Resource(ctidComp1)) {
		t.Errorf("alignment targets: %v", targets)
	}
	// The occupation alignment object is kept under credreg:sourceAlignment.
	var codes []string
	for _, a := range objects(rec, iri, SourceAlignment) {
		for _, c := range objects(rec, string(a.(quad.IRI)), schema.CETerms+"codedNotation") {
			codes = append(codes, rdf.Lexical(c))
		}
	}
	if len(codes) != 3 || !strings.Contains(strings.Join(codes, " "), "15-1212.00") {
		t.Errorf("source alignments: %v", codes)
	}
	// A concept scheme term of CTDL expands with its prefix.
	status := fragmentVia(t, rec, iri, schema.CETerms+"credentialStatusType")
	if !hasObject(rec, status, schema.CETerms+"targetNode", quad.IRI("https://purl.org/ctdl/vocabs/credentialStat/Active")) {
		t.Errorf("credential status: %v", objects(rec, status, schema.CETerms+"targetNode"))
	}
	// Every node of the record is the resource or a fragment of it.
	for _, q := range rec.Quads {
		if schema.RecordIRI(quad.ToString(q.Subject)[1:len(quad.ToString(q.Subject))-1]) != iri {
			t.Errorf("statement outside the record: %v", q)
		}
	}

	// Re-importing gives the same IRIs and writes nothing.
	again := importCTDL(t, s, "ccsa.json", certificationCTDL, Options{})
	if !again.OK() || again.Written != 0 || again.Unchanged != 1 {
		t.Fatalf("re-import: %+v\n%s", again, problemsText(again))
	}
	after := getRecord(t, s, iri)
	if after.Hash != rec.Hash || after.Version != rec.Version {
		t.Errorf("re-import changed the record: %s@%d -> %s@%d", rec.Hash, rec.Version, after.Hash, after.Version)
	}
}

func TestCTDLGraphDocument(t *testing.T) {
	s := newStore(t)
	base := s.Base()
	noCTID := `{
  "@id": "https://credentials.example.org/badges/42",
  "@type": "ceterms:Badge",
  "ceterms:name": { "en-US": "A badge without a CTID" },
  "ceterms:ownedBy": ["` + ceResource + ctidOrg + `"]
}`
	upperCTID := `{
  "@type": "ceterms:Certificate",
  "ceterms:ctid": "CE-0E1F2A3B-4C5D-4E6F-8A7B-9C0D1E2F3A4B",
  "ceterms:name": { "en-US": "A certificate with an uppercase CTID" },
  "ceterms:ownedBy": ["` + ceResource + strings.ToUpper(ctidOrg) + `"]
}`
	badCTID := `{
  "@type": "ceterms:Certificate",
  "ceterms:ctid": "ce-1234",
  "ceterms:name": { "en-US": "A certificate with a malformed CTID" },
  "ceterms:ownedBy": ["` + ceResource + ctidOrg + `"]
}`
	blankNoCTID := `{
  "@type": "ceterms:Badge",
  "ceterms:name": { "en-US": "A badge with neither an IRI nor a CTID" },
  "ceterms:ownedBy": ["` + ceResource + ctidOrg + `"]
}`
	minted := base.Resource(schema.MintedCTID("https://credentials.example.org/badges/42"))
	tests := []struct {
		name         string
		doc          string
		units, fails int
		problemRows  []int
		imported     []string
	}{
		{"graph", graphCTDL(), 5, 0, nil, nil},
		// A node with an IRI but no CTID keeps its IRI as identity.
		{"graph with a node without a CTID", graphCTDL(noCTID), 6, 0, nil, []string{minted}},
		// CTIDs are case-insensitive, in values and inside IRIs.
		{"graph with an upper-case CTID", graphCTDL(upperCTID), 6, 0, nil, []string{base.Resource(ctidCert2)}},
		{"graph with a malformed CTID and a blank node without one", graphCTDL(badCTID, blankNoCTID), 7, 2, []int{7, 8}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := importCTDL(t, s, "graph.json", tc.doc, Options{})
			if rep.Units != tc.units || rep.Failed != tc.fails || rep.Imported != tc.units-tc.fails {
				t.Fatalf("report: %+v\n%s", rep, problemsText(rep))
			}
			var rows []int
			for _, p := range rep.Problems {
				rows = append(rows, p.Row)
				if p.File != "graph.json" || p.Column != "ceterms:ctid" {
					t.Errorf("problem: %+v", p)
				}
			}
			if fmt.Sprint(rows) != fmt.Sprint(tc.problemRows) && !(len(rows) == 0 && len(tc.problemRows) == 0) {
				t.Errorf("problem rows %v, want %v\n%s", rows, tc.problemRows, problemsText(rep))
			}
			for _, c := range []string{ctidCert, ctidOrg, ctidFw, ctidComp1, ctidComp2} {
				rec := getRecord(t, s, base.Resource(c))
				if !hasObject(rec, rec.IRI, schema.SameAs, quad.IRI(ceResource+c)) {
					t.Errorf("%s: no owl:sameAs the source IRI", c)
				}
			}
			for _, iri := range tc.imported {
				rec := getRecord(t, s, iri)
				if !hasObject(rec, rec.IRI, schema.OwnedBy, quad.IRI(base.Resource(ctidOrg))) {
					t.Errorf("%s: owner not linked by its lower-case CTID: %v", iri, rec.Quads)
				}
			}
		})
	}

	cert := getRecord(t, s, base.Resource(ctidCert))
	// The blank organization became a fragment of the certification.
	var testing []string
	for _, o := range objects(cert, cert.IRI, schema.OfferedBy) {
		if strings.HasPrefix(quad.ToString(o), "<"+cert.IRI+"#") {
			testing = append(testing, string(o.(quad.IRI)))
		}
	}
	if len(testing) != 1 || !hasObject(cert, testing[0], schema.Name, quad.LangString{Value: "Heartland Testing Center", Lang: "en-us"}) {
		t.Errorf("blank organization: %v", testing)
	}
	fw := getRecord(t, s, base.Resource(ctidFw))
	if !hasObject(fw, fw.IRI, schema.CEASNName, quad.LangString{Value: "Cloud Security Analyst Competencies", Lang: "en-us"}) ||
		!hasObject(fw, fw.IRI, schema.CEASN+"hasTopChild", quad.IRI(base.Resource(ctidComp1))) ||
		!hasObject(fw, fw.IRI, schema.CEASN+"publisher", quad.IRI(base.Resource(ctidOrg))) {
		t.Errorf("framework: %v", fw.Quads)
	}
	comp := getRecord(t, s, base.Resource(ctidComp2))
	if !hasObject(comp, comp.IRI, schema.IsPartOf, quad.IRI(base.Resource(ctidFw))) ||
		!hasObject(comp, comp.IRI, schema.RDFType, quad.IRI(schema.ClassCompetency)) {
		t.Errorf("competency: %v", comp.Quads)
	}
	org := getRecord(t, s, base.Resource(ctidOrg))
	if !hasObject(org, org.IRI, schema.RDFType, quad.IRI(schema.ClassCredentialOrganization)) {
		t.Errorf("organization: %v", org.Quads)
	}
}

func TestCTDLArrayAndNesting(t *testing.T) {
	s := newStore(t)
	base := s.Base()
	// An array of documents; the second nests its owner, with a CTID,
	// inside the credential.
	nested := `{
  "@context": "https://credreg.net/ctdl/schema/context/json",
  "@type": "ceterms:Certificate",
  "ceterms:ctid": "` + ctidCert2 + `",
  "ceterms:name": { "en-US": "Cloud Foundations Certificate" },
  "ceterms:ownedBy": [` + orgCTDL(false) + `],
  "ceterms:occupationType": ["https://www.onetonline.org/link/summary/15-1299.08"]
}`
	doc := "[" + orgCTDL(true) + ",\n" + nested + "]"
	rep := importCTDL(t, s, "array.json", doc, Options{})
	if !rep.OK() || rep.Units != 2 || rep.Imported != 2 {
		t.Fatalf("report: %+v\n%s", rep, problemsText(rep))
	}
	cert := getRecord(t, s, base.Resource(ctidCert2))
	if !hasObject(cert, cert.IRI, schema.OwnedBy, quad.IRI(base.Resource(ctidOrg))) {
		t.Errorf("nested owner: %v", cert.Quads)
	}
	if len(objects(cert, cert.IRI, schema.SameAs)) != 0 {
		t.Errorf("a blank resource has no source IRI to keep: %v", objects(cert, cert.IRI, schema.SameAs))
	}
	// An O*NET-SOC occupation IRI maps to its own concept and its SOC
	// occupation, and is kept.
	if !hasObject(cert, cert.IRI, schema.OccupationType, quad.IRI(base.Concept(schema.SchemeSOC, "15-1299"))) ||
		!hasObject(cert, cert.IRI, schema.OccupationType, quad.IRI(base.Concept(schema.SchemeSOC, "15-1299.08"))) ||
		!hasObject(cert, cert.IRI, SourceAlignment, quad.IRI("https://www.onetonline.org/link/summary/15-1299.08")) {
		t.Errorf("occupation: %v", cert.Quads)
	}
	org := getRecord(t, s, base.Resource(ctidOrg))
	if !hasObject(org, org.IRI, schema.Name, quad.LangString{Value: "Cloud Security Certification Council", Lang: "en-us"}) {
		t.Errorf("organization: %v", org.Quads)
	}
}

func TestCTDLRemoteContextRefused(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/ld+json")
		_, _ = w.Write([]byte(`{"@context": {"name": "https://purl.org/ctdl/terms/name"}}`))
	}))
	defer srv.Close()
	s := newStore(t)
	body := `"@type": "ceterms:Certification", "ceterms:ctid": "` + ctidCert2 + `", "ceterms:name": "X", "ceterms:ownedBy": "` + ceResource + ctidOrg + `"`
	tests := []struct {
		name, context, refused string
	}{
		{"unknown URL", `"` + srv.URL + `/context.jsonld"`, srv.URL + "/context.jsonld"},
		{"after a known one", `["https://credreg.net/ctdl/schema/context/json", "` + srv.URL + `/ctx"]`, srv.URL + "/ctx"},
		{"redirect-looking", `"` + srv.URL + `/redirect?to=https://credreg.net/ctdl/schema/context/json"`, srv.URL + "/redirect?to=https://credreg.net/ctdl/schema/context/json"},
		{"local file path", `"/etc/hostname"`, testBase + "/etc/hostname"},
		{"file URL", `"file:///etc/passwd"`, "file:///etc/passwd"},
		{"a look-alike of the CTDL context", `"https://credreg.net/ctdl/schema/context/json?x=1"`, "https://credreg.net/ctdl/schema/context/json?x=1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := `{"@context": ` + tc.context + `, ` + body + `}`
			rep := importCTDL(t, s, "remote.json", doc, Options{})
			if rep.OK() || rep.Failed != 1 || rep.Imported != 0 || len(rep.Problems) != 1 {
				t.Fatalf("report: %+v\n%s", rep, problemsText(rep))
			}
			p := rep.Problems[0]
			if p.Column != "@context" || p.Value != tc.refused || !strings.Contains(p.Message, rdf.ErrRemoteContext.Error()) || !strings.Contains(p.Message, "never fetches") {
				t.Errorf("problem: %+v", p)
			}
		})
	}
	// A context nested inside a node is refused the same way.
	nested := `{"@context": "https://credreg.net/ctdl/schema/context/json", ` + body + `, "ceterms:estimatedDuration": {"@context": "` + srv.URL + `/n", "ceterms:exactDuration": "P1M"}}`
	if rep := importCTDL(t, s, "nested.json", nested, Options{}); rep.Failed != 1 {
		t.Errorf("nested context: %+v", rep)
	}
	// The error wraps registry.ErrRemoteContext.
	_, err := ctdlToRDF(map[string]any{"@context": srv.URL}, s.Base(), newCTDLLoader(s.Base()))
	if !errors.Is(err, rdf.ErrRemoteContext) {
		t.Errorf("error %v does not wrap ErrRemoteContext", err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the reader made %d requests to the context server", n)
	}
	if _, err := s.Get(context.Background(), s.Base().Resource(ctidCert2)); err == nil {
		t.Errorf("a document with a refused context was imported")
	}
}

func TestCTDLContextLoadLimit(t *testing.T) {
	s := newStore(t)
	base := s.Base()
	// Contexts that refer to each other: json-gold would recurse until
	// the stack overflows (a fatal error); the loader stops it.
	loader := newCTDLLoader(base)
	loader.docs["https://a.example/ctx"] = []byte(`{"@context": "https://b.example/ctx"}`)
	loader.docs["https://b.example/ctx"] = []byte(`{"@context": ["https://a.example/ctx", {"x": "https://x.example/"}]}`)
	_, err := ctdlToRDF(map[string]any{"@context": "https://a.example/ctx", "x:y": "z"}, base, loader)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("more than %d context loads", maxCTDLContextLoads)) {
		t.Fatalf("context cycle: %v", err)
	}

	// Too many context loads in one document.
	node := `{"@type": "ceterms:Certification", "ceterms:ctid": "` + ctidCert2 + `", "ceterms:name": "Deep", "ceterms:ownedBy": "` + ceResource + ctidOrg + `"`
	doc := node
	for i := 0; i < maxCTDLContextLoads+1; i++ {
		doc += `, "ceterms:hasPart": {"@context": "https://credreg.net/ctdl/schema/context/json", "ceterms:name": "part"`
	}
	doc += strings.Repeat("}", maxCTDLContextLoads+1) + "}"
	doc = strings.Replace(doc, "{", `{"@context": "https://credreg.net/ctdl/schema/context/json", `, 1)
	rep := importCTDL(t, s, "loads.json", doc, Options{})
	if rep.Failed != 1 || len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].Message, "context loads") {
		t.Fatalf("report: %+v\n%s", rep, problemsText(rep))
	}
	// The same context twice in one list fails cleanly too.
	twice := `{"@context": ["https://credreg.net/ctdl/schema/context/json", "https://credreg.net/ctdl/schema/context/json"], ` + node[1:] + `}`
	// (json-gold takes it for a recursive inclusion and refuses it.)
	if rep := importCTDL(t, s, "twice.json", twice, Options{DryRun: true}); rep.Units != 1 ||
		(rep.Imported != 1 && !strings.Contains(problemsText(rep), "recursive context inclusion")) {
		t.Errorf("twice: %+v\n%s", rep, problemsText(rep))
	}
	// Each document of an array has its own count.
	var docs []string
	for i := 0; i < maxCTDLContextLoads+2; i++ {
		docs = append(docs, orgCTDL(true))
	}
	if rep := importCTDL(t, s, "many.json", "["+strings.Join(docs, ",")+"]", Options{}); !rep.OK() || rep.Imported != len(docs) {
		t.Errorf("array of documents: %+v\n%s", rep, problemsText(rep))
	}
}

func TestCTDLInputErrors(t *testing.T) {
	base, _ := schema.NewBase(testBase)
	tests := []struct {
		name, input, want string
	}{
		{"not JSON", `{"@context": `, "not JSON"},
		{"scalar", `"ce-0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b"`, "must be a JSON object"},
		{"empty array", `[]`, "no CTDL document"},
		{"trailing data", `{} {}`, "after the JSON document"},
		{"too large", `{"x": "` + strings.Repeat("a", MaxCTDLBytes) + `"}`, "larger than 16 MiB"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CTDL("bad.json", strings.NewReader(tc.input), base)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.json") {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCTDLDocumentProblems(t *testing.T) {
	s := newStore(t)
	deep := strings.Repeat(`{"ceterms:hasPart": `, maxCTDLDepth+2) + `"x"` + strings.Repeat("}", maxCTDLDepth+2)
	tests := []struct {
		name, doc, want string
	}{
		{"no resource", `{"@context": "https://credreg.net/ctdl/schema/context/json", "@type": "ceterms:Certification"}`, "ceterms:ctid"},
		{"empty", `{}`, "describes no resource"},
		{"too deep", deep, "nests deeper"},
		{"not a document", `[1]`, "not a JSON object"},
		{"bad JSON-LD", `{"@context": {"@base": 5}, "ceterms:ctid": "x"}`, "JSON-LD"},
		{"a property with too many values", `{"@type": "ceterms:Certification", "ceterms:ctid": "` + ctidCert2 + `", "ceterms:keyword": [` + strings.TrimSuffix(strings.Repeat(`"k",`, ctdlValuesPerProperty+1), ",") + `]}`, `"ceterms:keyword" has 4001 values, over the limit of 4000`},
		{"too many objects", `{"@graph": [` + strings.TrimSuffix(strings.Repeat(`{"ceterms:name": "n"},`, ctdlObjectsPerDocument+1), ",") + `]}`, "more than 200000 JSON objects"},
		{"a bad language tag", `{"@type": "ceterms:Certification", "ceterms:ctid": "` + ctidCert2 + `", "ceterms:name": {"@value": "N", "@language": "en_US"}, "ceterms:ownedBy": "` + ceResource + ctidOrg + `"}`, `[ceterms:name] "en_US": not a language tag`},
		{"an id that is not an IRI", `{"@type": "ceterms:Certification", "ceterms:ctid": "` + ctidCert2 + `", "ceterms:name": "N", "ceterms:ownedBy": {"@id": "https://example.org/an owner"}}`, `[ceterms:ownedBy] "https://example.org/an owner": not an IRI`},
		{"huge number", `{"@type": "ceterms:Certification", "ceterms:ctid": "` + ctidCert2 + `", "ceterms:name": "N", "ceterms:ownedBy": "` + ceResource + ctidOrg + `", "ceterms:creditValue": 1e999}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := importCTDL(t, s, "doc.json", tc.doc, Options{DryRun: true})
			if tc.want == "" {
				if !rep.OK() {
					t.Errorf("report: %+v\n%s", rep, problemsText(rep))
				}
				return
			}
			if rep.OK() || !strings.Contains(problemsText(rep), tc.want) {
				t.Errorf("report: %+v\n%s", rep, problemsText(rep))
			}
			for _, p := range rep.Problems {
				if p.File != "doc.json" {
					t.Errorf("problem without the file: %+v", p)
				}
			}
		})
	}
}

func TestResourceIRI(t *testing.T) {
	base, _ := schema.NewBase(testBase)
	tests := []struct {
		in, want string
		ok       bool
	}{
		{ceResource + ctidCert, base.Resource(ctidCert), true},
		{"https://other.example/resources/" + ctidCert + "#cond", base.Resource(ctidCert) + "#cond", true},
		{"https://credentialengineregistry.org/graph/" + ctidCert, base.Resource(ctidCert), true},
		{"http://other.example/x/" + ctidCert + "?format=json", base.Resource(ctidCert), true},
		{base.Resource(ctidCert), base.Resource(ctidCert), false},
		{"https://other.example/resources/CE-3F7C0D1E-2B4A-4C8E-9A51-6D2F8E0B7C13", "https://other.example/resources/CE-3F7C0D1E-2B4A-4C8E-9A51-6D2F8E0B7C13", false},
		{"https://other.example/resources/" + ctidCert + "/", "https://other.example/resources/" + ctidCert + "/", false},
		{"urn:ctid:" + ctidCert, base.Resource(ctidCert), true}, // the 2017 registry's CTID URNs
		{"urn:isbn:0451450523", "urn:isbn:0451450523", false},
		{"https://example.org/about", "https://example.org/about", false},
	}
	for _, tc := range tests {
		got, ok := ResourceIRI(base, tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ResourceIRI(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
