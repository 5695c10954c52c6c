package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/ingest"
	"credreg/registry"
	"credreg/schema"
)

// problemText joins the messages of a report's problems or warnings.
func problemText(ps []ingest.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.Message)
		b.WriteByte('\n')
	}
	return b.String()
}

// TestRecordsBelongToTheirPublisher walks the ownership rule through the
// real server: a credential A creates is A's; B's token cannot replace or
// retire it through PUT, retire, a sheet, N-Quads or CTDL (403, the record
// unchanged), though B's sheet may still designate it; A cannot name
// another publisher; an organization edits its own record; records the
// operator loaded are the operator's; an admin transfers a record.
func TestRecordsBelongToTheirPublisher(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	ctx := context.Background()
	tokA, agencyA := tokenFor(t, store, "Heartland Workforce Commission")
	tokB, agencyB := tokenFor(t, store, "Heartland Department of Education")
	base := store.Base().String()
	const ctid = "ce-0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
	iri := base + "/resources/" + ctid
	comptia := base + "/resources/ce-68c7408a-031d-4c10-a7dc-4937df07e692"
	credential := func(description, extra string) string {
		return `{"type": "Certification", "name": "Ownership Test Certificate", "description": "` + description + `", "ownedBy": "` + comptia + `"` + extra + `}`
	}
	stored := func() *registry.Record {
		t.Helper()
		rec, err := store.Get(ctx, iri)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}

	// A creates it: A is its publisher.
	if code, _, b := send(t, http.MethodPut, iri, tokA, credential("First words.", "")); code != http.StatusCreated && code != http.StatusOK {
		t.Fatalf("A creates: %d %s", code, b)
	}
	if pub := registry.Publisher(stored()); pub != agencyA {
		t.Fatalf("publisher %q, want A (%s)", pub, agencyA)
	}
	if _, body := do(t, http.MethodGet, iri, map[string]string{"Accept": "application/ld+json"}); !strings.Contains(body, `"publishedBy": "`+agencyA+`"`) {
		t.Errorf("the record does not say who published it:\n%s", body)
	}
	before := stored()

	// B, through every write path: refused, nothing changes.
	refusals := []struct {
		name string
		try  func() (int, string)
	}{
		{"PUT", func() (int, string) {
			code, _, b := send(t, http.MethodPut, iri, tokB, credential("Rewritten by B.", ""))
			return code, b
		}},
		{"retire", func() (int, string) {
			code, _, b := send(t, http.MethodPost, iri+"/retire", tokB, `{"reason":"not ours"}`)
			return code, b
		}},
		{"N-Quads", func() (int, string) {
			code, rep := importAs(t, srv.URL, tokB, "application/n-quads",
				"<"+iri+"> <"+schema.RDFType+"> <"+schema.Credreg+"Certification> .\n"+
					"<"+iri+"> <"+schema.CTID+"> \""+ctid+"\" .\n"+
					"<"+iri+"> <"+schema.Name+"> \"Taken over\" .\n")
			return code, problemText(rep.Problems)
		}},
		{"CTDL", func() (int, string) {
			code, rep := importAs(t, srv.URL, tokB, "application/ld+json", `{
  "@context": "https://credreg.net/ctdl/schema/context/json",
  "@id": "https://credentialengineregistry.org/resources/`+ctid+`",
  "@type": "ceterms:Certification",
  "ceterms:ctid": "`+ctid+`",
  "ceterms:name": {"en-US": "Taken over"},
  "ceterms:subjectWebpage": "https://attacker.example/"
}`)
			return code, problemText(rep.Problems)
		}},
	}
	for _, tc := range refusals {
		code, body := tc.try()
		if code != http.StatusForbidden || !strings.Contains(body, "published by "+agencyA) {
			t.Errorf("B's %s over A's credential: %d %s", tc.name, code, body)
		}
		if after := stored(); after.Hash != before.Hash || after.Version != before.Version {
			t.Errorf("B's %s changed A's credential", tc.name)
		}
	}

	// A may not hand its record to B, nor claim B published it.
	if code, _, b := send(t, http.MethodPut, iri, tokA, credential("Given away.", `, "publishedBy": "`+agencyB+`"`)); code != http.StatusForbidden || !strings.Contains(b, "publisher") {
		t.Errorf("A names B as publisher: %d %s", code, b)
	}
	// A replaces it without naming a publisher: still A's.
	if code, _, b := send(t, http.MethodPut, iri, tokA, credential("Second words.", "")); code != http.StatusOK {
		t.Fatalf("A replaces: %d %s", code, b)
	}
	if rec := stored(); registry.Publisher(rec) != agencyA || rec.Version != before.Version+1 {
		t.Errorf("after A's replace: publisher %q, version %d", registry.Publisher(rec), rec.Version)
	}
	before = stored()

	// B's sheet names A's credential with a description: B's designation
	// lands, linked to the credential; the description is left out, with
	// a warning.
	status, rep := importAs(t, srv.URL, tokB, "text/csv",
		"Credential Name,Owner,Description,Career Cluster,Region\n"+
			"Ownership Test Certificate,CompTIA,Rewritten on B's sheet.,Digital Technology,Statewide\n")
	if status != http.StatusOK || rep.Imported != 1 || rep.LeftOut != 1 || rep.Forbidden != 0 {
		t.Errorf("B's sheet: %d, %d imported, %d left out, %d forbidden: %v", status, rep.Imported, rep.LeftOut, rep.Forbidden, rep.Problems)
	}
	named := false
	for _, w := range rep.Warnings {
		// In the sheet's words: its column, not the vocabulary's property.
		named = named || w.Row == 2 && strings.HasPrefix(w.Column, "Description") && strings.Contains(w.Message, `left out: this row's "Description"`) &&
			strings.Contains(w.Message, "not this agency's to change: published by "+agencyA+" (Heartland Workforce Commission)")
	}
	if !named {
		t.Errorf("no warning names the column left out and why: %v", rep.Warnings)
	}
	if after := stored(); after.Hash != before.Hash {
		t.Error("B's sheet changed A's credential")
	}
	designations, err := store.Subjects(ctx, schema.DesignatedFor, quad.IRI(iri))
	if err != nil {
		t.Fatal(err)
	}
	ofB := 0
	for _, d := range designations {
		rec, err := store.Get(ctx, string(d))
		if err != nil {
			t.Fatal(err)
		}
		if a, _ := registry.DesignatingAgency(rec); a == agencyB {
			ofB++
		}
	}
	if ofB != 1 {
		t.Errorf("B's sheet made %d designations of A's credential, want 1", ofB)
	}

	// Records the operator loaded (the sample) are the operator's.
	aPlus := base + "/resources/ce-05babcca-7acb-4e55-b691-924cfe262cf8"
	if code, _, b := send(t, http.MethodPut, aPlus, tokA, `{"type": "Certification", "name": "CompTIA A+", "description": "Rewritten."}`); code != http.StatusForbidden || !strings.Contains(b, "operator") {
		t.Errorf("A rewrites an operator's credential: %d %s", code, b)
	}
	// An organization edits its own record, not another's.
	org := func(name string) string {
		return `{"type": "CredentialOrganization", "name": "` + name + `", "subjectWebpage": "https://education.heartland.example/"}`
	}
	if code, _, b := send(t, http.MethodPut, agencyB, tokB, org("Heartland Department of Education")); code != http.StatusOK {
		t.Errorf("B edits its own organization: %d %s", code, b)
	}
	if code, _, b := send(t, http.MethodPut, agencyB, tokA, org("Renamed by A")); code != http.StatusForbidden {
		t.Errorf("A renames B: %d %s", code, b)
	}
	if code, _, b := send(t, http.MethodPost, agencyB+"/retire", tokA, `{"reason":"gone"}`); code != http.StatusForbidden {
		t.Errorf("A retires B: %d %s", code, b)
	}

	// An admin transfers A's credential to B; then B may write it, A not.
	hwc, err := store.FindOrganization(ctx, "Heartland Workforce Commission")
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := store.CreateToken(ctx, hwc, registry.RoleAdmin, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if code, _, b := send(t, http.MethodPut, iri, admin, credential("Transferred.", `, "publishedBy": "`+agencyB+`"`)); code != http.StatusOK {
		t.Fatalf("admin transfers: %d %s", code, b)
	}
	if pub := registry.Publisher(stored()); pub != agencyB {
		t.Errorf("after the transfer the publisher is %q", pub)
	}
	if code, _, b := send(t, http.MethodPut, iri, tokB, credential("B's words now.", "")); code != http.StatusOK {
		t.Errorf("B writes its credential: %d %s", code, b)
	}
	if code, _, b := send(t, http.MethodPost, iri+"/retire", tokA, `{"reason":"not any more"}`); code != http.StatusForbidden {
		t.Errorf("A retires what is now B's: %d %s", code, b)
	}
}

// TestImportSaysWhatItPublishesOnBehalf: a credential an agency imports
// for its issuer names the agency as publisher and the issuer as owner,
// and the report counts it.
func TestImportSaysWhatItPublishesOnBehalf(t *testing.T) {
	srv, store := newImportServer(t, Config{})
	tokA, agencyA := tokenFor(t, store, "Heartland Workforce Commission")
	status, rep := importAs(t, srv.URL, tokA, "text/csv",
		"Credential Name,Owner,Career Cluster,Region\n"+
			"On Behalf Certificate,CompTIA,Digital Technology,Statewide\n")
	if status != http.StatusOK || rep.OnBehalf != 1 {
		t.Fatalf("%d, %d published on behalf: %v", status, rep.OnBehalf, rep.Problems)
	}
	a := checkNamed(t, srv.URL, "On Behalf Certificate")
	if a == nil {
		t.Fatal("the credential is not stored")
	}
	rec, err := store.Get(context.Background(), a.Credential.IRI)
	if err != nil {
		t.Fatal(err)
	}
	owner := ""
	for _, q := range rec.Quads {
		if q.Subject == quad.IRI(rec.IRI) && q.Predicate == quad.IRI(schema.OwnedBy) {
			owner = string(q.Object.(quad.IRI))
		}
	}
	if registry.Publisher(rec) != agencyA || owner == agencyA || owner == "" {
		t.Errorf("publisher %q, owner %q", registry.Publisher(rec), owner)
	}
}
