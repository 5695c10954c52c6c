package ingest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"credreg/schema"
)

// A credential nesting its offering organization: the nested node is a
// reference to the organization, never a replacement.
func credentialNesting(ctid, nested string) string {
	return `{
  "@context": "https://credreg.net/ctdl/schema/context/json",
  "@id": "` + ceResource + ctid + `",
  "@type": "ceterms:BachelorOfScienceDegree",
  "ceterms:ctid": "` + ctid + `",
  "ceterms:name": {"en-US": "BS in Cybersecurity"},
  "ceterms:ownedBy": ["` + ceResource + ctidOrg + `"],
  "ceterms:offeredBy": [` + nested + `]
}`
}

func TestCTDLNestedRecordIsAReference(t *testing.T) {
	const degree = "ce-4b0f1a7e-39f2-4d55-9a36-0c7f2e8d1b64"
	const other = "ce-5c1f2b8e-4a03-4e66-8b47-1d8f3f9e2c75"
	const thinCred = "ce-6d2a3c9f-5b14-4f77-9c58-2e9a4a0f3d86"
	stub := func(ctid, extra string) string {
		return `{"@id": "` + ceResource + ctid + `", "@type": "ceterms:CredentialOrganization", "ceterms:ctid": "` + ctid + `",
  "ceterms:name": {"en-US": "A short name in passing"}` + extra + `}`
	}
	s := newStore(t)
	base := s.Base()
	full := importCTDL(t, s, "org.json", orgCTDL(true), Options{})
	if !full.OK() {
		t.Fatalf("org: %s", problemsText(full))
	}
	before := getRecord(t, s, base.Resource(ctidOrg))

	// The stored organization keeps every statement; the stub adds only the
	// property the record lacked (an e-mail), and the report says so.
	rep := importCTDL(t, s, "degree.json", credentialNesting(degree, stub(ctidOrg, `, "ceterms:email": ["admissions@example.edu"]`)), Options{})
	if !rep.OK() || rep.References.Resolved != 1 || rep.References.Extended != 1 {
		t.Fatalf("report: %+v\n%s", rep.References, problemsText(rep))
	}
	after := getRecord(t, s, base.Resource(ctidOrg))
	for _, q := range before.Quads {
		if !hasObject(after, string(q.Subject.(quad.IRI)), string(q.Predicate.(quad.IRI)), q.Object) {
			t.Errorf("the stored organization lost %v", q)
		}
	}
	if len(after.Quads) != len(before.Quads)+1 || !hasObject(after, after.IRI, schema.CETerms+"email", quad.String("admissions@example.edu")) {
		t.Errorf("organization after the stub: %d statements (was %d)\n%v", len(after.Quads), len(before.Quads), after.Quads)
	}
	if hasObject(after, after.IRI, schema.Name, quad.LangString{Value: "A short name in passing", Lang: "en-us"}) {
		t.Error("the stub's name replaced the stored one")
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0].Message, "ceterms:email") || rep.Warnings[0].Value != base.Resource(ctidOrg) {
		t.Errorf("warnings: %+v", rep.Warnings)
	}
	// The same stub again changes nothing.
	again := importCTDL(t, s, "degree.json", credentialNesting(degree, stub(ctidOrg, `, "ceterms:email": ["admissions@example.edu"]`)), Options{})
	if !again.OK() || again.Written != 0 || getRecord(t, s, base.Resource(ctidOrg)).Hash != after.Hash {
		t.Errorf("re-import: %+v", again)
	}

	// A reference to a record the registry does not hold is created from
	// what the document gives, when that is a whole record.
	rep = importCTDL(t, s, "other.json", credentialNesting(degree, stub(other, "")), Options{})
	if !rep.OK() || rep.References.Created != 1 {
		t.Fatalf("report: %+v\n%s", rep.References, problemsText(rep))
	}
	getRecord(t, s, base.Resource(other))

	// One that is not a whole record (a credential with no owner) stays a
	// link, with a warning, and the credential naming it still imports.
	thin := `{"@id": "` + ceResource + thinCred + `", "@type": "ceterms:Certificate", "ceterms:ctid": "` + thinCred + `", "ceterms:name": {"en-US": "Named in passing"}}`
	doc := strings.Replace(credentialNesting(degree, stub(other, "")), `"ceterms:offeredBy"`, `"ceterms:isPreparationFor": [{"@type": "ceterms:ConditionProfile", "ceterms:targetCredential": [`+thin+`]}], "ceterms:offeredBy"`, 1)
	rep = importCTDL(t, s, "thin.json", doc, Options{})
	if !rep.OK() || rep.References.Dangling != 1 {
		t.Fatalf("report: %+v\n%s", rep.References, problemsText(rep))
	}
	if _, err := s.Get(context.Background(), base.Resource(thinCred)); err == nil {
		t.Error("a record was made of a description that is not a whole record")
	}
	if cc := rep.Classes["ceterms:BachelorOfScienceDegree"]; cc == nil || cc.Imported != 1 || cc.Rejected != 0 {
		t.Errorf("classes: %+v", rep.Classes)
	}
}

func TestCTDLEnvelopes(t *testing.T) {
	const cert = "ce-7e3b4d0a-6c25-4a88-8d69-3fab5b1a4e97"
	resource := `{"@context": "https://credreg.net/ctdl/schema/context/json", "@id": "` + ceResource + cert + `", "@type": "ceterms:Certification",
  "ceterms:ctid": "` + cert + `", "ceterms:name": {"en-US": "Enveloped"}, "ceterms:ownedBy": ["` + ceResource + ctidOrg + `"]}`
	jwt := "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString([]byte(resource)) + ".c2lnbmF0dXJl"
	decoded := `{"envelope_community": "ce_registry", "envelope_ctid": "` + cert + `", "envelope_type": "resource_data", "resource": "` + jwt + `", "decoded_resource": ` + resource + `}`
	jwtOnly := `{"envelope_id": "0b7d", "envelope_type": "resource_data", "resource": "` + jwt + `", "resource_format": "json"}`
	tests := []struct {
		name, doc string
		units     int
	}{
		{"decoded_resource", decoded, 1},
		{"JWT resource only", jwtOnly, 1},
		{"array of envelopes", "[" + decoded + "," + jwtOnly + "]", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			rep := importCTDL(t, s, "envelope.json", tc.doc, Options{})
			if !rep.OK() || rep.Units != tc.units || rep.Imported != tc.units {
				t.Fatalf("report: %+v\n%s", rep, problemsText(rep))
			}
			rec := getRecord(t, s, s.Base().Resource(cert))
			if !hasObject(rec, rec.IRI, schema.Name, quad.LangString{Value: "Enveloped", Lang: "en-us"}) {
				t.Errorf("record: %v", rec.Quads)
			}
		})
	}
	s := newStore(t)
	if _, err := CTDL("bad.json", strings.NewReader(`{"envelope_ctid": "`+cert+`", "resource": "not-a-jwt"}`), s.Base()); err == nil || !strings.Contains(err.Error(), "JWT") {
		t.Errorf("a bad envelope: %v", err)
	}
}

func TestCTDLAlignmentsAndCodes(t *testing.T) {
	const cert = "ce-8f4c5e1b-7d36-4b99-9e7a-40bc6c2b5fa8"
	align := func(code, name string) string {
		a := `{"@type": "ceterms:CredentialAlignmentObject", "ceterms:framework": "https://www.onetcenter.org/taxonomy/2019/list.html", "ceterms:targetNodeName": {"en-US": "` + name + `"}`
		if code != "" {
			a += `, "ceterms:codedNotation": "` + code + `"`
		}
		return a + "}"
	}
	doc := `{"@context": "https://credreg.net/ctdl/schema/context/json", "@id": "` + ceResource + cert + `", "@type": "ceterms:License",
  "ceterms:ctid": "` + cert + `", "ceterms:name": {"en-US": "Licensed"}, "ceterms:ownedBy": ["` + ceResource + ctidOrg + `"],
  "ceterms:occupationType": [` + align("11-1011.03", "Chief Sustainability Officers") + `, ` + align("15-1212", "Information Security Analysts") + `, ` + align("", "Wind turbine work") + `],
  "ceterms:industryType": [` + align("999999", "A made-up industry") + `]}`
	s := newStore(t)
	base := s.Base()
	official := getRecord(t, s, base.Concept(schema.SchemeSOC, "15-1212"))
	rep := importCTDL(t, s, "license.json", doc, Options{})
	if !rep.OK() {
		t.Fatalf("report: %s", problemsText(rep))
	}
	rec := getRecord(t, s, base.Resource(cert))
	for _, want := range []struct{ p, scheme, code string }{
		{schema.OccupationType, schema.SchemeSOC, "11-1011.03"},
		{schema.OccupationType, schema.SchemeSOC, "11-1011"},
		{schema.OccupationType, schema.SchemeSOC, "15-1212"},
		{schema.IndustryType, schema.SchemeNAICS, "999999"},
	} {
		if !hasObject(rec, rec.IRI, want.p, quad.IRI(base.Concept(want.scheme, want.code))) {
			t.Errorf("no link to %s %s", want.scheme, want.code)
		}
	}
	// The O*NET-SOC occupation and the unlisted code are concepts of their
	// own, with the data's label, marked as not from the official list.
	onet := getRecord(t, s, base.Concept(schema.SchemeSOC, "11-1011.03"))
	notOfficial := quad.TypedString{Value: "false", Type: schema.XSDBoolean}
	if !hasObject(onet, onet.IRI, schema.PrefLabel, quad.String("Chief Sustainability Officers")) ||
		!hasObject(onet, onet.IRI, schema.Broader, quad.IRI(base.Concept(schema.SchemeSOC, "11-1011"))) ||
		!hasObject(onet, onet.IRI, schema.OfficialList, notOfficial) {
		t.Errorf("O*NET-SOC concept: %v", onet.Quads)
	}
	made := getRecord(t, s, base.Concept(schema.SchemeNAICS, "999999"))
	if !hasObject(made, made.IRI, schema.OfficialList, notOfficial) || !hasObject(made, made.IRI, schema.PrefLabel, quad.String("A made-up industry")) {
		t.Errorf("unlisted code: %v", made.Quads)
	}
	// An official concept is never changed by the data's label.
	if getRecord(t, s, official.IRI).Hash != official.Hash {
		t.Error("the official SOC concept changed")
	}

	// The CTDL export gives the alignment objects back under their own
	// properties (the code-less one too) and none of the derived links.
	body, err := CTDLRecord(context.Background(), s, rec.IRI)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	occ, _ := out["ceterms:occupationType"].([]any)
	if len(occ) != 3 {
		t.Fatalf("occupationType: %v\n%s", out["ceterms:occupationType"], body)
	}
	for _, a := range occ {
		m, ok := a.(map[string]any)
		if !ok || m["@type"] != "ceterms:CredentialAlignmentObject" || m["@id"] != nil {
			t.Errorf("an occupation is not the alignment object it came as: %v", a)
		}
	}
	if strings.Contains(string(body), "/schemes/") || strings.Contains(string(body), schema.Credreg) {
		t.Errorf("the export carries credreg's derived links or terms:\n%s", body)
	}
	if ind, ok := out["ceterms:industryType"].(map[string]any); !ok || ind["ceterms:codedNotation"] != "999999" {
		t.Errorf("industryType: %v", out["ceterms:industryType"])
	}
}

func TestCTDLUnknownClassKept(t *testing.T) {
	const thing = "ce-9a5d6f2c-8e47-4caa-8f8b-51cd7d3c6ab9"
	doc := `{"@context": "https://credreg.net/ctdl/schema/context/json", "@id": "` + ceResource + thing + `", "@type": "ceterms:CredentialLikeThingOfTomorrow",
  "ceterms:ctid": "` + thing + `", "ceterms:name": {"en-US": "Tomorrow's thing"}, "ceterms:subjectWebpage": "https://example.org/tomorrow"}`
	s := newStore(t)
	rep := importCTDL(t, s, "tomorrow.json", doc, Options{})
	if !rep.OK() || len(rep.Warnings) != 1 || rep.Warnings[0].Column != "@type" || rep.Warnings[0].Value != "ceterms:CredentialLikeThingOfTomorrow" {
		t.Fatalf("report: %+v\n%s", rep.Warnings, problemsText(rep))
	}
	if c := rep.Classes["ceterms:CredentialLikeThingOfTomorrow"]; c == nil || c.Warnings != 1 {
		t.Errorf("classes: %+v", rep.Classes)
	}
	rec := getRecord(t, s, s.Base().Resource(thing))
	if !hasObject(rec, rec.IRI, schema.RDFType, quad.IRI(schema.CETerms+"CredentialLikeThingOfTomorrow")) ||
		!hasObject(rec, rec.IRI, schema.SubjectWebpage, quad.IRI("https://example.org/tomorrow")) {
		t.Errorf("record: %v", rec.Quads)
	}
}

// A nested node with an unusable CTID stays inside its parent, as it came,
// with a warning naming it; the parent imports.
func TestCTDLNestedBadCTIDKept(t *testing.T) {
	const degree = "ce-0b6e7a3d-9f58-4dbb-9a9c-62de8e4d7bca"
	nested := `{"@id": "https://example.edu/orgs/registrar", "@type": "ceterms:CredentialOrganization", "ceterms:ctid": "ce-12345", "ceterms:name": {"en-US": "Registrar"}}`
	s := newStore(t)
	importCTDL(t, s, "org.json", orgCTDL(true), Options{})
	rep := importCTDL(t, s, "degree.json", credentialNesting(degree, nested), Options{})
	if !rep.OK() || len(rep.Warnings) != 1 || rep.Warnings[0].Column != "ceterms:ctid" || rep.Warnings[0].Value != "ce-12345" {
		t.Fatalf("report: %+v\n%s", rep.Warnings, problemsText(rep))
	}
	rec := getRecord(t, s, s.Base().Resource(degree))
	org := fragmentVia(t, rec, rec.IRI, schema.OfferedBy)
	if !hasObject(rec, org, schema.CTID, quad.String("ce-12345")) || !hasObject(rec, org, schema.SameAs, quad.IRI("https://example.edu/orgs/registrar")) {
		t.Errorf("the nested node: %v", rec.Quads)
	}
}

// Keys JSON-LD would drop, and CTDL names CTDL does not define, are
// reported: nothing a publisher wrote disappears without a word.
func TestCTDLKeyWarnings(t *testing.T) {
	const cert = "ce-1c7f8b4e-0a69-4ecc-8bad-73ef9f5e8cdb"
	doc := `{"@context": "https://credreg.net/ctdl/schema/context/json", "@id": "urn:ctid:` + strings.ToUpper(cert) + `", "@type": "ceterms:Certificate",
  "ceterms:ctid": "` + cert + `", "ceterms:name": {"en-US": "Typos"}, "ceterms:ownedBy": ["` + ceResource + ctidOrg + `"],
  "name": "a bare word", "ceterms: dateEffective": "2024-01-01", "ceterms:nmae": {"en-US": "misspelt"},
  "ceterms:estimatedDuration": [{"@type": "ceterms:DurationProfile", "ceterms:exactDuraton": "P1Y"}]}`
	s := newStore(t)
	rep := importCTDL(t, s, "typos.json", doc, Options{})
	if !rep.OK() {
		t.Fatalf("report: %s", problemsText(rep))
	}
	want := map[string]string{
		"name":                   "drops it",
		"ceterms: dateEffective": "values are dropped",
		"ceterms:nmae":           "kept as it is",
		"ceterms:exactDuraton":   "kept as it is",
	}
	got := map[string]string{}
	for _, w := range rep.Warnings {
		got[w.Column] = w.Message
	}
	for k, part := range want {
		if !strings.Contains(got[k], part) {
			t.Errorf("warning for %q: %q, want it to say %q", k, got[k], part)
		}
	}
	// The misspelt property is kept; the urn:ctid IRI names the record.
	rec := getRecord(t, s, s.Base().Resource(cert))
	if !hasObject(rec, rec.IRI, schema.CETerms+"nmae", quad.LangString{Value: "misspelt", Lang: "en-us"}) {
		t.Errorf("record: %v", rec.Quads)
	}
}
