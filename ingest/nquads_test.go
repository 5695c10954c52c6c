package ingest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"credreg/registry"
	"credreg/schema"
)

const otherRes = "https://other.example/resources/"

// otherDump is a dump of another registry: an organization and a
// certification under https://other.example, with graph labels, comments,
// a fragment IRI and a blank node.
func otherDump() []string {
	org, cert, comp := "<"+otherRes+ctidOrg+">", "<"+otherRes+ctidCert+">", "<"+otherRes+ctidComp1+">"
	ct := func(t string) string { return "<" + schema.CETerms + t + ">" }
	typ := "<" + schema.RDFType + ">"
	return []string{
		"# other.example registry dump, 2026-07-01",
		org + " " + typ + " " + ct("CredentialOrganization") + " <https://other.example/graph/" + ctidOrg + "> .",
		org + " " + ct("ctid") + ` "` + ctidOrg + `" <https://other.example/graph/` + ctidOrg + "> .",
		org + " " + ct("name") + ` "Cloud Security Certification Council"@en-US <https://other.example/graph/` + ctidOrg + "> .",
		"",
		cert + " " + typ + " " + ct("Certification") + " .",
		cert + " " + ct("ctid") + ` "` + ctidCert + `"^^<http://www.w3.org/2001/XMLSchema#string> .`,
		cert + " " + ct("name") + ` "Certified Cloud Security Analyst"@en-US .`,
		cert + " " + ct("name") + ` "Analista Certificado en Seguridad en la Nube"@es .`,
		cert + " " + ct("description") + ` "Secures cloud workloads.\nSecond line with a \"quote\" and \u00e9." . # a comment`,
		cert + " " + ct("ownedBy") + " " + org + " .",
		cert + " " + ct("targetCompetency") + " " + comp + " .",
		cert + " " + ct("estimatedDuration") + " _:dur .",
		cert + " " + ct("requires") + " <" + otherRes + ctidCert + "#cond> .",
		"<" + otherRes + ctidCert + "#cond> " + typ + " " + ct("ConditionProfile") + " .",
		"<" + otherRes + ctidCert + "#cond> " + ct("targetCompetency") + " " + comp + " .",
		"_:dur " + typ + " " + ct("DurationProfile") + " .",
		"_:dur " + ct("exactDuration") + ` "P3M"^^<http://www.w3.org/2001/XMLSchema#duration> .`,
	}
}

func importNQuads(t *testing.T, s *registry.Store, name, data string, opts Options) *Report {
	t.Helper()
	src, err := NQuads(name, strings.NewReader(data), int64(len(data)), s.Base())
	if err != nil {
		t.Fatalf("NQuads: %v", err)
	}
	if opts.Actor == "" && !opts.DryRun {
		opts.Actor = "test agency"
	}
	rep, err := Run(context.Background(), s, src, "nquads", opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if sz, ok := src.(Sizer); ok {
		if done, total := sz.Position(); done != int64(len(data)) || total != int64(len(data)) {
			t.Errorf("position %d/%d after the end of %d bytes", done, total, len(data))
		}
	}
	return rep
}

func TestNQuadsOtherRegistryDump(t *testing.T) {
	s := newStore(t)
	base := s.Base()
	data := strings.Join(otherDump(), "\n") + "\n"
	rep := importNQuads(t, s, "other.nq", data, Options{})
	if !rep.OK() || rep.Units != 2 || rep.Imported != 2 || rep.Written != 2 {
		t.Fatalf("report: %+v\n%s", rep, problemsText(rep))
	}
	org := getRecord(t, s, base.Resource(ctidOrg))
	if !hasObject(org, org.IRI, schema.SameAs, quad.IRI(otherRes+ctidOrg)) ||
		!hasObject(org, org.IRI, schema.Name, quad.LangString{Value: "Cloud Security Certification Council", Lang: "en-us"}) {
		t.Errorf("organization: %v", org.Quads)
	}
	cert := getRecord(t, s, base.Resource(ctidCert))
	want := []struct {
		p string
		o quad.Value
	}{
		{schema.SameAs, quad.IRI(otherRes + ctidCert)},
		{schema.CTID, quad.String(ctidCert)},
		{schema.Name, quad.LangString{Value: "Analista Certificado en Seguridad en la Nube", Lang: "es"}},
		{schema.Description, quad.String("Secures cloud workloads.\nSecond line with a \"quote\" and é.")},
		{schema.OwnedBy, quad.IRI(base.Resource(ctidOrg))},
		{schema.TargetCompetency, quad.IRI(base.Resource(ctidComp1))},
		{schema.CETerms + "requires", quad.IRI(base.Resource(ctidCert) + "#cond")},
	}
	for _, w := range want {
		if !hasObject(cert, cert.IRI, w.p, w.o) {
			t.Errorf("missing %s %v; have %v", schema.Compact(w.p), w.o, objects(cert, cert.IRI, w.p))
		}
	}
	if !hasObject(cert, cert.IRI+"#cond", schema.TargetCompetency, quad.IRI(base.Resource(ctidComp1))) {
		t.Errorf("fragment: %v", cert.Quads)
	}
	dur := fragmentVia(t, cert, cert.IRI, schema.CETerms+"estimatedDuration")
	if !hasObject(cert, dur, schema.CETerms+"exactDuration", quad.TypedString{Value: "P3M", Type: schema.XSD + "duration"}) {
		t.Errorf("blank node: %v", cert.Quads)
	}
	for _, q := range cert.Quads {
		if strings.Contains(quad.ToString(q.Subject)+quad.ToString(q.Object), "other.example") && q.Predicate != quad.IRI(schema.SameAs) {
			t.Errorf("an IRI of the other registry is left: %v", q)
		}
	}

	// Re-importing the same file writes nothing; the blank node keeps
	// its IRI even when the dump names it differently.
	again := importNQuads(t, s, "other.nq", data, Options{})
	if !again.OK() || again.Written != 0 || again.Unchanged != 2 {
		t.Fatalf("re-import: %+v\n%s", again, problemsText(again))
	}
	relabeled := importNQuads(t, s, "other2.nq", strings.ReplaceAll(data, "_:dur", "_:b0"), Options{})
	if !relabeled.OK() || relabeled.Written != 0 {
		t.Fatalf("relabeled re-import: %+v\n%s", relabeled, problemsText(relabeled))
	}
}

func TestNQuadsMalformedLines(t *testing.T) {
	const at = 8 // the bad line goes here, inside the certification
	tests := []struct {
		name, line, want string
	}{
		{"unterminated literal", "<" + otherRes + ctidCert + `> <https://purl.org/ctdl/terms/keyword> "cloud .`, "not an N-Quads statement"},
		{"no final dot", "<" + otherRes + ctidCert + `> <https://purl.org/ctdl/terms/keyword> "cloud"`, "not an N-Quads statement"},
		{"bad escape", "<" + otherRes + ctidCert + `> <https://purl.org/ctdl/terms/keyword> "cl\qoud" .`, "not an N-Quads statement"},
		{"literal subject", `"cloud" <https://purl.org/ctdl/terms/keyword> "x" .`, "not an N-Quads statement"},
		{"relative IRI", "<" + otherRes + ctidCert + `> <keyword> "cloud" .`, "relative IRI"},
		{"IRI with a space", "<" + otherRes + ctidCert + `> <https://purl.org/ctdl/terms/subjectWebpage> <https://example.org/a page> .`, "not an N-Quads statement"},
		{"bad language tag", "<" + otherRes + ctidCert + `> <https://purl.org/ctdl/terms/keyword> "cloud"@en_US .`, "not an N-Quads statement"},
		{"overlong language tag", "<" + otherRes + ctidCert + `> <https://purl.org/ctdl/terms/keyword> "cloud"@abcdefghij .`, "not a language tag"},
		{"IRI with a brace", "<" + otherRes + ctidCert + `> <https://purl.org/ctdl/terms/subjectWebpage> <https://example.org/{id}> .`, "not an N-Quads statement"},
		{"IRI with an escaped space", "<" + otherRes + ctidCert + `> <https://purl.org/ctdl/terms/subjectWebpage> <https://example.org/a\u0020page> .`, "not an IRI"},
		{"Turtle", "<" + otherRes + ctidCert + `> a <https://purl.org/ctdl/terms/Badge> .`, "not an N-Quads statement"},
		{"unplaceable subject", `<https://example.org/about> <https://purl.org/ctdl/terms/name> "About" .`, "cannot place this subject"},
		{"too long", "<" + otherRes + ctidCert + `> <https://purl.org/ctdl/terms/keyword> "` + strings.Repeat("a", MaxNQuadsLine) + `" .`, "longer than"},
		{"not UTF-8", "<" + otherRes + ctidCert + "> <https://purl.org/ctdl/terms/keyword> \"\xff\xfe\" .", "UTF-8"},
	}
	s := newStore(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := otherDump()
			lines = append(lines[:at-1], append([]string{tc.line}, lines[at-1:]...)...)
			rep := importNQuads(t, s, "bad.nq", strings.Join(lines, "\n"), Options{DryRun: true})
			if rep.Failed != 1 || rep.Imported != 2 || len(rep.Problems) != 1 {
				t.Fatalf("report: %+v\n%s", rep, problemsText(rep))
			}
			p := rep.Problems[0]
			if p.File != "bad.nq" || p.Row != at || !strings.Contains(p.Message, tc.want) {
				t.Errorf("problem %s, want line %d: %s", p, at, tc.want)
			}
		})
	}
}

func TestNQuadsBlankNodes(t *testing.T) {
	base, _ := schema.NewBase(testBase)
	cert := "<" + otherRes + ctidCert + ">"
	p := func(t string) string { return "<" + schema.CETerms + t + ">" }
	head := []string{
		cert + " <" + schema.RDFType + "> " + p("Certification") + " .",
		cert + " " + p("ctid") + ` "` + ctidCert + `" .`,
		cert + " " + p("name") + ` "Certified Cloud Security Analyst" .`,
		cert + " " + p("ownedBy") + " <" + otherRes + ctidOrg + "> .",
	}
	org := []string{
		"<" + otherRes + ctidOrg + "> <" + schema.RDFType + "> " + p("CredentialOrganization") + " .",
		"<" + otherRes + ctidOrg + "> " + p("ctid") + ` "` + ctidOrg + `" .`,
		"<" + otherRes + ctidOrg + "> " + p("name") + ` "Council" .`,
	}
	tests := []struct {
		name     string
		lines    []string
		fails    int
		problems []int // lines
		check    func(t *testing.T, rec *registry.Record)
	}{
		{
			name: "blank nodes before their referrer",
			lines: append([]string{
				"_:a " + p("exactDuration") + ` "P3M" .`,
				"_:a " + p("jurisdiction") + " _:b .",
				"_:b " + p("globalJurisdiction") + ` "true"^^<http://www.w3.org/2001/XMLSchema#boolean> .`,
				cert + " " + p("estimatedDuration") + " _:a .",
			}, append(head, org...)...),
			check: func(t *testing.T, rec *registry.Record) {
				a := fragmentVia(t, rec, rec.IRI, schema.CETerms+"estimatedDuration")
				b := fragmentVia(t, rec, a, schema.CETerms+"jurisdiction")
				if !hasObject(rec, b, schema.CETerms+"globalJurisdiction", quad.TypedString{Value: "true", Type: schema.XSDBoolean}) {
					t.Errorf("chain of blank nodes: %v", rec.Quads)
				}
			},
		},
		{
			name: "blank node statements after another record",
			lines: append(append(append(head, cert+" "+p("estimatedDuration")+" _:late ."), org...),
				"_:late "+p("exactDuration")+` "P6M" .`,
				cert+" "+p("keyword")+` "late" .`),
			check: func(t *testing.T, rec *registry.Record) {
				d := fragmentVia(t, rec, rec.IRI, schema.CETerms+"estimatedDuration")
				if !hasObject(rec, d, schema.CETerms+"exactDuration", quad.String("P6M")) ||
					!hasObject(rec, rec.IRI, schema.CETerms+"keyword", quad.String("late")) ||
					!hasObject(rec, rec.IRI, schema.Name, quad.String("Certified Cloud Security Analyst")) {
					t.Errorf("late statements: %v", rec.Quads)
				}
			},
		},
		{
			name:     "a blank node nothing refers to",
			lines:    append(append(head, org...), "_:lost "+p("name")+` "lost" .`, "_:lost "+p("keyword")+` "x" .`),
			fails:    1,
			problems: []int{8},
		},
	}
	for _, tc := range tests {
		for _, batch := range []int{0, 20} {
			t.Run(fmt.Sprintf("%s/batch %d", tc.name, batch), func(t *testing.T) {
				s := newStore(t)
				rep := importNQuads(t, s, "blank.nq", strings.Join(tc.lines, "\n")+"\n", Options{BatchQuads: batch})
				if rep.Failed != tc.fails || rep.Imported != rep.Units-tc.fails {
					t.Fatalf("report: %+v\n%s", rep, problemsText(rep))
				}
				var rows []int
				for _, p := range rep.Problems {
					rows = append(rows, p.Row)
				}
				if fmt.Sprint(rows) != fmt.Sprint(tc.problems) && len(rows)+len(tc.problems) > 0 {
					t.Errorf("problem lines %v, want %v\n%s", rows, tc.problems, problemsText(rep))
				}
				rec := getRecord(t, s, base.Resource(ctidCert))
				for _, q := range rec.Quads {
					if _, ok := q.Subject.(quad.BNode); ok {
						t.Errorf("blank node left: %v", q)
					}
					if _, ok := q.Object.(quad.BNode); ok {
						t.Errorf("blank node left: %v", q)
					}
				}
				if tc.check != nil {
					tc.check(t, rec)
				}
				// Re-importing writes nothing.
				again := importNQuads(t, s, "blank.nq", strings.Join(tc.lines, "\n")+"\n", Options{BatchQuads: batch})
				if again.Written != 0 {
					t.Errorf("re-import wrote %d records\n%s", again.Written, problemsText(again))
				}
			})
		}
	}
}

func TestNTriplesUnderBase(t *testing.T) {
	s := newStore(t)
	base := s.Base()
	iri := base.Resource(ctidCert2)
	data := strings.Join([]string{
		"<" + iri + "> <" + schema.RDFType + "> <" + schema.CETerms + "Badge> .",
		"<" + iri + "> <" + schema.CTID + "> \"" + ctidCert2 + "\" .",
		"<" + iri + "> <" + schema.Name + "> \"Cloud Basics Badge\" .",
		"<" + iri + "> <" + schema.OwnedBy + "> <" + otherRes + ctidOrg + "> .",
		"<" + iri + "> <" + schema.OccupationType + "> <" + base.Concept(schema.SchemeSOC, "15-1232") + "> .",
		"<" + iri + "> <" + schema.CETerms + "alignment> <" + iri + "#a1> .",
		"<" + iri + "#a1> <" + schema.CETerms + "codedNotation> \"15-1232.00\" .",
	}, "\r\n") // no final newline, CRLF line ends
	rep := importNQuads(t, s, "badge.nt", data, Options{})
	if !rep.OK() || rep.Units != 1 || rep.Written != 1 {
		t.Fatalf("report: %+v\n%s", rep, problemsText(rep))
	}
	rec := getRecord(t, s, iri)
	if len(objects(rec, iri, schema.SameAs)) != 0 {
		t.Errorf("an IRI under the base needs no owl:sameAs: %v", objects(rec, iri, schema.SameAs))
	}
	if !hasObject(rec, iri, schema.OwnedBy, quad.IRI(base.Resource(ctidOrg))) ||
		!hasObject(rec, iri+"#a1", schema.CETerms+"codedNotation", quad.String("15-1232.00")) {
		t.Errorf("record: %v", rec.Quads)
	}
}

func TestNQuadsReadError(t *testing.T) {
	base, _ := schema.NewBase(testBase)
	src, err := NQuads("broken.nq", &failingReader{data: strings.Join(otherDump(), "\n")}, 0, base)
	if err != nil {
		t.Fatal(err)
	}
	var units int
	for {
		_, err := src.Next(context.Background())
		if err != nil {
			if !strings.Contains(err.Error(), "disk on fire") {
				t.Errorf("error: %v", err)
			}
			break
		}
		units++
	}
	if units != 1 {
		t.Errorf("%d units before the error, want the organization", units)
	}
}

// failingReader returns its data, then an error.
type failingReader struct {
	data string
	done bool
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.done {
		return 0, fmt.Errorf("disk on fire")
	}
	r.done = true
	return copy(p, r.data), nil
}

func TestNQuadsRecordComesBack(t *testing.T) {
	cert, org := "<"+otherRes+ctidCert+">", "<"+otherRes+ctidOrg+">"
	p := func(t string) string { return "<" + schema.CETerms + t + ">" }
	typ := "<" + schema.RDFType + ">"
	first := []string{
		cert + " " + typ + " " + p("Certification") + " .",
		cert + " " + p("ctid") + ` "` + ctidCert + `" .`,
		cert + " " + p("name") + ` "Certified Cloud Security Analyst" .`,
		cert + " " + p("ownedBy") + " " + org + " .",
	}
	orgLines := []string{
		org + " " + typ + " " + p("CredentialOrganization") + " .",
		org + " " + p("ctid") + ` "` + ctidOrg + `" .`,
		org + " " + p("name") + ` "Council" .`,
	}
	// The certification comes back, restated with a new statement.
	later := append(append([]string{}, first...), cert+" "+p("keyword")+` "cloud security" .`)
	data := strings.Join(append(append(append([]string{}, first...), orgLines...), later...), "\n")

	// The reader gives the certification twice, the second time to merge.
	base, _ := schema.NewBase(testBase)
	src, err := NQuads("back.nq", strings.NewReader(data), 0, base)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		u, err := src.Next(context.Background())
		if err != nil {
			break
		}
		for _, r := range u.Records {
			got = append(got, fmt.Sprintf("%d:%s:merge=%v", u.Row, r.IRI[strings.LastIndexByte(r.IRI, '/')+1:], r.Merge))
		}
	}
	want := []string{"1:" + ctidCert + ":merge=false", "5:" + ctidOrg + ":merge=false", "8:" + ctidCert + ":merge=true"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("units %v, want %v", got, want)
	}

	// Written in separate batches, the later part adds to the record.
	s := newStore(t)
	rep := importNQuads(t, s, "back.nq", data, Options{BatchQuads: 20})
	if !rep.OK() || rep.Units != 3 {
		t.Fatalf("report: %+v\n%s", rep, problemsText(rep))
	}
	rec := getRecord(t, s, s.Base().Resource(ctidCert))
	if !hasObject(rec, rec.IRI, schema.CETerms+"keyword", quad.String("cloud security")) ||
		!hasObject(rec, rec.IRI, schema.SameAs, quad.IRI(otherRes+ctidCert)) {
		t.Errorf("record: %v", rec.Quads)
	}
}

func TestNQuadsHoldLimit(t *testing.T) {
	defer func(n int) { maxOpenStatements = n }(maxOpenStatements)
	maxOpenStatements = 2
	base, _ := schema.NewBase(testBase)
	res := func(c string) string { return "<" + otherRes + c + ">" }
	p := func(t string) string { return "<" + schema.CETerms + t + ">" }
	lines := []string{
		res(ctidCert) + " " + p("name") + ` "A" .`,
		res(ctidCert) + " " + p("estimatedDuration") + " _:d .", // waits for _:d
		res(ctidOrg) + " " + p("name") + ` "B" .`,
		res(ctidOrg) + " " + p("keyword") + ` "b1" .`,
		res(ctidOrg) + " " + p("keyword") + ` "b2" .`,
		res(ctidComp1) + " " + p("name") + ` "C" .`, // over the limit: A goes
		"_:d " + p("exactDuration") + ` "P1M" .`,    // a later part of A
	}
	src, err := NQuads("hold.nq", strings.NewReader(strings.Join(lines, "\n")), 0, base)
	if err != nil {
		t.Fatal(err)
	}
	var recs []registry.Record
	for {
		u, err := src.Next(context.Background())
		if err != nil {
			break
		}
		recs = append(recs, u.Records...)
	}
	// A waits for _:d, but the held statements pass the limit when B
	// starts, so A goes without it and _:d comes as a later part.
	var order []string
	for _, r := range recs {
		order = append(order, fmt.Sprintf("%s:%v", r.IRI[strings.LastIndexByte(r.IRI, '/')+1:], r.Merge))
	}
	want := []string{ctidCert + ":false", ctidOrg + ":false", ctidComp1 + ":false", ctidCert + ":true"}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Fatalf("units %v, want %v", order, want)
	}
	var link quad.Value
	for _, q := range recs[0].Quads {
		if q.Predicate == quad.IRI(schema.CETerms+"estimatedDuration") {
			link = q.Object
		}
	}
	if link == nil || len(recs[3].Quads) != 1 || recs[3].Quads[0].Subject != link {
		t.Errorf("the later part is about %v, the record links %v", recs[3].Quads, link)
	}
}
