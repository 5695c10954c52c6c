package registry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/registry/internal/badgerkv"
	"credreg/schema"
)

const (
	testBase = "http://registry.test"
	credCTID = "ce-11111111-1111-4111-8111-111111111111"
	orgCTID  = "ce-22222222-2222-4222-8222-222222222222"
	desCTID  = "ce-33333333-3333-4333-8333-333333333333"
)

func testBaseIRI(t testing.TB) schema.Base {
	b, err := schema.NewBase(testBase)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testStoreURL gives the URL of the store openStore opens for dir: a
// Badger store in dir, unless a test runs the store tests on another
// backend (TestPostgresStore).
var testStoreURL = func(t testing.TB, dir string) string { return "badger://" + dir }

func openStore(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), testStoreURL(t, dir), Options{Base: testBaseIRI(t)})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

const sampleDoc = `{"@context":"https://w3id.org/credreg/context/v1.jsonld","@graph":[
 {"id":"resources/` + credCTID + `","type":"Certification","ctid":"` + credCTID + `","name":"Network Security Certification",
  "description":"Validates baseline security skills.","ownedBy":"resources/` + orgCTID + `","occupationType":["schemes/soc/15-1212","schemes/soc/15-1244"]},
 {"id":"resources/` + orgCTID + `","type":["CredentialOrganization","Agency"],"ctid":"` + orgCTID + `","name":"Heartland Workforce Commission"},
 {"id":"resources/` + desCTID + `","type":"ValueDesignation","ctid":"` + desCTID + `","agency":"resources/` + orgCTID + `",
  "credential":"resources/` + credCTID + `","subCluster":"schemes/career-clusters/060103","region":"Statewide","validFrom":"2025-07-01","validThrough":"2027-06-30",
  "criterion":["schemes/value-criteria/high-wage","schemes/value-criteria/in-demand"],
  "evidence":{"id":"resources/` + desCTID + `#evidence","type":"Evidence","medianAnnualWage":"104310","projectedAnnualOpenings":"410","dataSource":"OEWS","dataYear":"2025"}}
]}`

func sampleRecords(t testing.TB) []Record {
	t.Helper()
	quads, err := rdf.ParseJSONLD(testBaseIRI(t), []byte(sampleDoc))
	if err != nil {
		t.Fatalf("parse sample: %v", err)
	}
	recs, problems := GroupRecords(quads)
	if len(problems) > 0 {
		t.Fatalf("group sample: %v", problems)
	}
	if len(recs) != 3 {
		t.Fatalf("sample has %d records, want 3", len(recs))
	}
	// Order them credential, organization, designation.
	out := make([]Record, 3)
	for _, r := range recs {
		switch {
		case strings.HasSuffix(r.IRI, credCTID):
			out[0] = r
		case strings.HasSuffix(r.IRI, orgCTID):
			out[1] = r
		case strings.HasSuffix(r.IRI, desCTID):
			out[2] = r
		}
	}
	return out
}

func lines(quads []quad.Quad) map[string]bool {
	out := map[string]bool{}
	for _, q := range quads {
		out[rdf.NQuadLine(q.Subject, q.Predicate, q.Object, nil)] = true
	}
	return out
}

func TestPutGetRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	recs := sampleRecords(t)
	changes, err := s.PutBatch(ctx, "Heartland Workforce Commission", recs)
	if err != nil {
		t.Fatalf("PutBatch: %v", err)
	}
	for i, c := range changes {
		if c.Seq != uint64(i+1) || c.Action != ActionCreate || c.IRI != recs[i].IRI || !strings.HasPrefix(c.Hash, "sha256:") {
			t.Errorf("change %d = %+v", i, c)
		}
	}
	for _, rec := range recs {
		got, err := s.Get(ctx, rec.IRI)
		if err != nil {
			t.Fatalf("Get %s: %v", rec.IRI, err)
		}
		want, hash := rdf.Canonicalize(rec.Quads)
		if got.Hash != hash {
			t.Errorf("%s: hash %s, want %s", rec.IRI, got.Hash, hash)
		}
		gl, wl := lines(got.Quads), lines(want)
		if len(gl) != len(wl) {
			t.Errorf("%s: %d statements back, want %d", rec.IRI, len(gl), len(wl))
		}
		for l := range wl {
			if !gl[l] {
				t.Errorf("%s: statement lost: %s", rec.IRI, l)
			}
		}
		if got.Version == 0 || got.Created.IsZero() || got.Modified.IsZero() {
			t.Errorf("%s: bookkeeping missing: %+v", rec.IRI, got)
		}
	}
	if _, err := s.Get(ctx, testBase+"/resources/ce-99999999-9999-4999-8999-999999999999"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get unknown: %v, want ErrNotFound", err)
	}
}

func TestReplaceRemovesOldStatements(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	recs := sampleRecords(t)
	if _, err := s.PutBatch(ctx, "a", recs); err != nil {
		t.Fatal(err)
	}
	cred := recs[0]
	// The new version drops one occupation and renames the credential.
	var next []quad.Quad
	for _, q := range cred.Quads {
		switch {
		case q.Object == quad.IRI(testBase+"/schemes/soc/15-1244"):
			continue
		case q.Predicate == quad.IRI(schema.Name):
			q.Object = quad.String("Network Security Certification (2025 edition)")
		}
		next = append(next, q)
	}
	c, err := s.Put(ctx, "b", Record{IRI: cred.IRI, Quads: next})
	if err != nil {
		t.Fatal(err)
	}
	if c.Action != ActionUpdate || c.Seq != 4 || c.Actor != "b" {
		t.Errorf("change = %+v, want update #4 by b", c)
	}
	got, err := s.Get(ctx, cred.IRI)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Quads) != len(next) {
		t.Errorf("record has %d statements, want %d:\n%s", len(got.Quads), len(next), rdf.NQuads(got.Quads))
	}
	// The old statements are gone from the whole store, not only hidden.
	old, err := s.quadsBy(ctx, quad.Object, quad.IRI(testBase+"/schemes/soc/15-1244"))
	if err != nil {
		t.Fatal(err)
	}
	if len(old) != 0 {
		t.Errorf("old occupation link still stored: %v", old)
	}
	oldName, err := s.quadsBy(ctx, quad.Object, quad.String("Network Security Certification"))
	if err != nil {
		t.Fatal(err)
	}
	if len(oldName) != 0 {
		t.Errorf("old name still stored: %v", oldName)
	}
	// Exactly one bookkeeping hash remains.
	hashes, err := s.objects(ctx, metaNode(cred.IRI), predContentHash, graphRecords)
	if err != nil || len(hashes) != 1 {
		t.Errorf("bookkeeping hashes = %v, %v; want exactly one", hashes, err)
	}
}

func TestUnchangedRecordWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	recs := sampleRecords(t)
	if _, err := s.PutBatch(ctx, "a", recs); err != nil {
		t.Fatal(err)
	}
	before, _ := s.Stats(ctx)
	changes, err := s.PutBatch(ctx, "a", sampleRecords(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range changes {
		if c.Seq != 0 {
			t.Errorf("unchanged record logged a change: %+v", c)
		}
	}
	after, _ := s.Stats(ctx)
	if after != before {
		t.Errorf("stats changed from %+v to %+v", before, after)
	}
}

func TestCloseAndReopenLosesNothing(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	recs := sampleRecords(t)
	if _, err := s.PutBatch(ctx, "a", recs); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Retire(ctx, "a", recs[2].IRI, "superseded by the 2026 list", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, r := range recs {
		got, err := s.Get(ctx, r.IRI)
		if err != nil {
			t.Fatal(err)
		}
		want[r.IRI] = got.Hash
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	s2 := openStore(t, dir)
	if s2.Sequence() != 4 {
		t.Errorf("sequence after reopen = %d, want 4", s2.Sequence())
	}
	for iri, h := range want {
		got, err := s2.Get(ctx, iri)
		if err != nil {
			t.Fatalf("after reopen: %v", err)
		}
		if got.Hash != h {
			t.Errorf("%s: hash %s after reopen, want %s", iri, got.Hash, h)
		}
	}
	changes, err := s2.Changes(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 4 || changes[3].Action != ActionRetire || changes[3].Actor != "a" {
		t.Errorf("change log after reopen = %+v", changes)
	}
	// New writes continue the sequence.
	c, err := s2.Put(ctx, "b", recs[0])
	if err != nil || c.Seq != 0 {
		t.Errorf("unchanged put after reopen = %+v, %v", c, err)
	}
}

func TestInvalidBatchWritesNothing(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	recs := sampleRecords(t)
	// Break the designation: no region, and a malformed date.
	var broken []quad.Quad
	for _, q := range recs[2].Quads {
		switch q.Predicate {
		case quad.IRI(schema.Region):
			continue
		case quad.IRI(schema.ValidFrom):
			q.Object = quad.TypedString{Value: "July 2025", Type: quad.IRI(schema.XSDDate)}
		}
		broken = append(broken, q)
	}
	recs[2].Quads = broken
	_, err := s.PutBatch(ctx, "a", recs)
	var be *BatchError
	if !errors.As(err, &be) {
		t.Fatalf("PutBatch = %v, want *BatchError", err)
	}
	if len(be.Records) != 1 || be.Records[0].Index != 2 || be.Records[0].IRI != recs[2].IRI {
		t.Fatalf("BatchError = %+v", be)
	}
	fields := map[string]bool{}
	for _, p := range be.Records[0].Problems {
		fields[p.Field] = true
	}
	if !fields["credreg:region"] || !fields["schema:validFrom"] {
		t.Errorf("problems %v do not name both credreg:region and schema:validFrom", be.Records[0].Problems)
	}
	if s.Sequence() != 0 {
		t.Errorf("sequence = %d after a refused batch, want 0", s.Sequence())
	}
	if _, err := s.Get(ctx, recs[0].IRI); !errors.Is(err, ErrNotFound) {
		t.Errorf("valid record of a refused batch was written: %v", err)
	}
}

func TestRetire(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	recs := sampleRecords(t)
	if _, err := s.PutBatch(ctx, "a", recs); err != nil {
		t.Fatal(err)
	}
	iri := recs[2].IRI
	if _, err := s.Retire(ctx, "a", iri, " ", time.Now()); err == nil {
		t.Error("retire without a reason succeeded")
	}
	at := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	c, err := s.Retire(ctx, "Heartland Workforce Commission", iri, "no longer in demand", at)
	if err != nil {
		t.Fatal(err)
	}
	if c.Action != ActionRetire || c.Actor != "Heartland Workforce Commission" {
		t.Errorf("change = %+v", c)
	}
	doc, err := s.Document(ctx, iri)
	if err != nil {
		t.Fatal(err)
	}
	if !doc.Retired {
		t.Error("document not marked retired")
	}
	js, err := doc.JSONLD()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"recordStatus": "Retired"`, `"retirementReason": "no longer in demand"`, `"retiredOn": "2026-06-30T00:00:00Z"`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("retired JSON-LD lacks %s:\n%s", want, js)
		}
	}
	if _, err := s.Retire(ctx, "a", iri, "again", at); !errors.Is(err, ErrRetired) {
		t.Errorf("second retire = %v, want ErrRetired", err)
	}
	if _, err := s.Retire(ctx, "a", testBase+"/resources/ce-99999999-9999-4999-8999-999999999999", "x", at); !errors.Is(err, ErrNotFound) {
		t.Errorf("retire unknown = %v, want ErrNotFound", err)
	}
}

func TestDocumentRendersAndCaches(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	recs := sampleRecords(t)
	if _, err := s.PutBatch(ctx, "a", recs); err != nil {
		t.Fatal(err)
	}
	iri := recs[2].IRI
	d1, err := s.Document(ctx, iri)
	if err != nil {
		t.Fatal(err)
	}
	js, err := d1.JSONLD()
	if err != nil {
		t.Fatal(err)
	}
	// The rendering is one tree: the evidence node is embedded (in an
	// array: evidence is a set in context v2).
	if !strings.Contains(string(js), "\"evidence\": [\n    {") || strings.Contains(string(js), `"@graph"`) {
		t.Errorf("JSON-LD is not a single embedded tree:\n%s", js)
	}
	if !strings.Contains(string(js), `"@context": "`+testBase+`/contexts/v`+schema.ContextVersion+`.jsonld"`) {
		t.Errorf("JSON-LD does not name the served context:\n%s", js)
	}
	// Reading the rendering back gives the same statements.
	back, err := rdf.ParseJSONLD(testBaseIRI(t), js)
	if err != nil {
		t.Fatalf("parse rendered JSON-LD: %v", err)
	}
	_, h1 := rdf.Canonicalize(back)
	if h1 != d1.Hash {
		t.Errorf("rendered JSON-LD reads back to other statements:\n%s", js)
	}
	if d2, _ := s.Document(ctx, iri); d2 != d1 {
		t.Error("unchanged record was rendered again")
	}
	if _, err := s.Retire(ctx, "a", iri, "test", time.Now()); err != nil {
		t.Fatal(err)
	}
	d3, err := s.Document(ctx, iri)
	if err != nil {
		t.Fatal(err)
	}
	if d3 == d1 || !d3.Retired {
		t.Error("changed record served from a stale cache entry")
	}
	v, err := d1.View(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var agencyLabel string
	for _, p := range v.Nodes[0].Properties {
		if p.IRI == schema.DesignatingAgency {
			agencyLabel = p.Values[0].Text
		}
	}
	if agencyLabel != "Heartland Workforce Commission" {
		t.Errorf("view labels the agency link %q, want its name", agencyLabel)
	}
}

func TestBaseMismatchIsRefused(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	other, _ := schema.NewBase("https://other.example")
	_, err := Open(context.Background(), "badger://"+dir, Options{Base: other})
	if !errors.Is(err, ErrBaseMismatch) || !strings.Contains(err.Error(), "--base "+testBase) {
		t.Errorf("open with another base = %v, want ErrBaseMismatch naming --base %s", err, testBase)
	}
}

func TestOpenErrors(t *testing.T) {
	base := testBaseIRI(t)
	dir := t.TempDir()
	s := openStore(t, dir)
	_ = s
	_, err := Open(context.Background(), "badger://"+dir, Options{Base: base})
	if !errors.Is(err, badgerkv.ErrLocked) || !strings.Contains(err.Error(), dir) {
		t.Errorf("second open of a held store = %v, want ErrLocked naming the dir", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{"badger://" + file, "badger://" + file + "/sub", "postgres://nowhere/x", "nonsense", "badger://"} {
		if _, err := Open(context.Background(), url, Options{Base: base}); err == nil {
			t.Errorf("Open(%q) succeeded", url)
		} else if !strings.Contains(err.Error(), url) && !strings.Contains(err.Error(), file) {
			t.Errorf("Open(%q) error does not name the store: %v", url, err)
		}
	}
}

func TestBatchLimit(t *testing.T) {
	s := openStore(t, t.TempDir())
	base := testBaseIRI(t)
	var recs []Record
	for i := 0; len(recs)*(3+BookkeepingQuads) <= MaxBatchQuads; i++ {
		ctid := schema.DerivedCTID("batch", string(rune(i)), time.Now().String())
		iri := base.Resource(ctid)
		recs = append(recs, Record{IRI: iri, Quads: []quad.Quad{
			{Subject: quad.IRI(iri), Predicate: quad.IRI(schema.RDFType), Object: quad.IRI(schema.ClassCredentialOrganization)},
			{Subject: quad.IRI(iri), Predicate: quad.IRI(schema.CTID), Object: quad.String(ctid)},
			{Subject: quad.IRI(iri), Predicate: quad.IRI(schema.Name), Object: quad.String("Org")},
		}})
	}
	_, err := s.PutBatch(context.Background(), "a", recs)
	if err == nil || !strings.Contains(err.Error(), "over the limit") {
		t.Errorf("oversized batch = %v, want a limit error", err)
	}
}

// TestBatchAtLimit writes a batch of MaxBatchQuads statements of new
// records, the largest a caller may send, and rewrites every record of it:
// both land whole. The rewrite of 20-statement records does not fit one
// Badger transaction of the registry's memtable: the quad store journals
// it. A batch of PreferredBatchQuads, what importers send, is never
// journalled, new or rewritten.
func TestBatchAtLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a full batch")
	}
	for _, limit := range []int{MaxBatchQuads, PreferredBatchQuads} {
		for _, perRecord := range []int{4, 20} {
			t.Run(fmt.Sprintf("%d/%d", limit, perRecord), func(t *testing.T) { testBatchAtLimit(t, limit, perRecord) })
		}
	}
}

func testBatchAtLimit(t *testing.T, limit, perRecord int) {
	s := openStore(t, t.TempDir())
	base := testBaseIRI(t)
	journalled := func() uint64 {
		if b, ok := s.be.(*badgerBackend); ok {
			return b.qs.JournalledWrites()
		}
		return 0
	}
	build := func(version string) []Record {
		var recs []Record
		for i := 0; (len(recs)+1)*(perRecord+BookkeepingQuads) <= limit; i++ {
			ctid := schema.DerivedCTID("limit", strconv.Itoa(i))
			iri := base.Resource(ctid)
			q := []quad.Quad{
				{Subject: quad.IRI(iri), Predicate: quad.IRI(schema.RDFType), Object: quad.IRI(schema.ClassCompetency)},
				{Subject: quad.IRI(iri), Predicate: quad.IRI(schema.CTID), Object: quad.String(ctid)},
				{Subject: quad.IRI(iri), Predicate: quad.IRI(schema.CompetencyText), Object: quad.String("Competency " + strconv.Itoa(i) + " " + version)},
				{Subject: quad.IRI(iri), Predicate: quad.IRI(schema.IsPartOf), Object: quad.IRI(base.Resource(orgCTID))},
			}
			for j := len(q); j < perRecord; j++ {
				q = append(q, quad.Quad{Subject: quad.IRI(iri), Predicate: quad.IRI(schema.CompetencyCategory), Object: quad.String(fmt.Sprintf("category %d.%d %s", i, j, version))})
			}
			recs = append(recs, Record{IRI: iri, Quads: q})
		}
		return recs
	}
	for _, version := range []string{"v1", "v2"} {
		changes, err := s.PutBatch(context.Background(), "a", build(version))
		if err != nil {
			t.Fatalf("%s: a batch at the limit failed: %v", version, err)
		}
		if changes[len(changes)-1].Seq == 0 {
			t.Fatalf("%s: last record not written", version)
		}
		recs := build(version)
		for _, want := range []Record{recs[0], recs[len(recs)/2], recs[len(recs)-1]} {
			got, err := s.Get(context.Background(), want.IRI)
			if err != nil {
				t.Fatalf("%s: get %s: %v", version, want.IRI, err)
			}
			if len(got.Quads) != len(want.Quads) || !strings.Contains(fmt.Sprint(got.Quads), " "+version) {
				t.Fatalf("%s: %s holds %d statements, want %d of %s: %v", version, want.IRI, len(got.Quads), len(want.Quads), version, got.Quads)
			}
		}
	}
	_, onBadger := s.be.(*badgerBackend)
	switch n := journalled(); {
	case limit == PreferredBatchQuads && n > 0:
		t.Errorf("%d batches of PreferredBatchQuads were journalled: they should fit one transaction", n)
	case onBadger && limit == MaxBatchQuads && perRecord == 20 && n == 0:
		t.Errorf("the rewrite of a full batch of 20-statement records was not journalled: the test no longer covers the journal")
	}
}

func TestMergeAddsToAStoredRecord(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	recs := sampleRecords(t)
	if _, err := s.PutBatch(ctx, "a", recs); err != nil {
		t.Fatal(err)
	}
	cred := recs[0]
	iri := quad.IRI(cred.IRI)
	// Another agency's sheet knows the credential by name and owner, with
	// one more occupation and a new description.
	next := Record{IRI: cred.IRI, Merge: true, Quads: []quad.Quad{
		{Subject: iri, Predicate: quad.IRI(schema.RDFType), Object: quad.IRI(schema.CETerms + "Certification")},
		{Subject: iri, Predicate: quad.IRI(schema.CTID), Object: quad.String(credCTID)},
		{Subject: iri, Predicate: quad.IRI(schema.Name), Object: quad.String("Network Security Certification")},
		{Subject: iri, Predicate: quad.IRI(schema.Description), Object: quad.String("New words.")},
		{Subject: iri, Predicate: quad.IRI(schema.OwnedBy), Object: quad.IRI(testBase + "/resources/" + orgCTID)},
		{Subject: iri, Predicate: quad.IRI(schema.OccupationType), Object: quad.IRI(testBase + "/schemes/soc/15-1299")},
	}}
	c, err := s.Put(ctx, "b", next)
	if err != nil || c.Action != ActionUpdate {
		t.Fatalf("merge put = %+v, %v", c, err)
	}
	got, _ := s.Get(ctx, cred.IRI)
	l := lines(got.Quads)
	for _, want := range []string{
		"<" + cred.IRI + "> <" + schema.OccupationType + "> <" + testBase + "/schemes/soc/15-1212> .\n",
		"<" + cred.IRI + "> <" + schema.OccupationType + "> <" + testBase + "/schemes/soc/15-1299> .\n",
		"<" + cred.IRI + "> <" + schema.Description + "> \"New words.\" .\n",
	} {
		if !l[want] {
			t.Errorf("merged record lacks %s", want)
		}
	}
	if l["<"+cred.IRI+"> <"+schema.Description+"> \"Validates baseline security skills.\" .\n"] {
		t.Error("merged record kept the replaced description")
	}
	// Merging the same again changes nothing.
	if c, err := s.Put(ctx, "b", next); err != nil || c.Seq != 0 {
		t.Errorf("repeated merge = %+v, %v; want no change", c, err)
	}
}

// TestConcurrentReadsAndWrites renders documents from many goroutines
// while a writer replaces them; run under -race it checks that the shared
// JSON-LD context and the caches are safe, and that no reader is served a
// stale document after a write returned.
func TestConcurrentReadsAndWrites(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	recs := sampleRecords(t)
	if _, err := s.PutBatch(ctx, "a", recs); err != nil {
		t.Fatal(err)
	}
	cred := recs[0]
	done := make(chan struct{})
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				for _, r := range recs {
					d, err := s.Document(ctx, r.IRI)
					if err == nil {
						_, err = d.JSONLD()
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	for i := 0; i < 20; i++ {
		name := fmt.Sprintf("Network Security Certification, edition %d", i)
		var next []quad.Quad
		for _, q := range cred.Quads {
			if q.Predicate == quad.IRI(schema.Name) {
				q.Object = quad.String(name)
			}
			next = append(next, q)
		}
		if _, err := s.Put(ctx, "a", Record{IRI: cred.IRI, Quads: next}); err != nil {
			t.Fatal(err)
		}
		d, err := s.Document(ctx, cred.IRI)
		if err != nil {
			t.Fatal(err)
		}
		js, _ := d.JSONLD()
		if !strings.Contains(string(js), name) {
			t.Fatalf("after write %d the document is stale:\n%s", i, js)
		}
	}
	close(done)
	for g := 0; g < 4; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestCancelledViewIsNotCached renders a document's view with a cancelled
// context, then again with a live one: the failure of the first is not
// kept, the second gets the full view.
func TestCancelledViewIsNotCached(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	recs := sampleRecords(t)
	if _, err := s.PutBatch(ctx, "a", recs); err != nil {
		t.Fatal(err)
	}
	d, err := s.Document(ctx, recs[2].IRI)
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.View(cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("view with a cancelled context = %v, want context.Canceled", err)
	}
	if d2, _ := s.Document(ctx, recs[2].IRI); d2 != d {
		t.Fatal("the document was not kept in the cache")
	}
	v, err := d.View(ctx)
	if err != nil {
		t.Fatalf("view after a cancelled one: %v", err)
	}
	if v == nil || !strings.Contains(v.Title, "Heartland Workforce Commission") || len(v.Nodes) == 0 {
		t.Fatalf("view after a cancelled one is incomplete: %+v", v)
	}
	// A view that succeeded is kept.
	if v2, err := d.View(cancelled); err != nil || v2 != v {
		t.Errorf("a rendered view was not kept: %v, %p != %p", err, v2, v)
	}
}

// TestRetireRacingUpdatesLosesNothing runs a retirement of one record
// while several writers update it, many times: the retirement never fails
// for want of a condition nobody gave, and afterwards the record is
// retired and holds the update the change log names last (no update is
// lost to a retirement that read the record before it).
func TestRetireRacingUpdatesLosesNothing(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "badger://"+t.TempDir(), Options{Base: testBaseIRI(t), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	nameOf := func(r *Record) string {
		for _, q := range r.Quads {
			if q.Subject == quad.IRI(r.IRI) && q.Predicate == quad.IRI(schema.Name) {
				return rdf.Lexical(q.Object)
			}
		}
		return ""
	}
	// A retirement changes the status and nothing else of the record it
	// finds stored: the store's own write hook sees both.
	var (
		lostMu sync.Mutex
		lost   []string
	)
	s.subscribe(func(seq uint64, ws []recordWrite) {
		for _, w := range ws {
			if w.Old != nil && !w.Old.Retired() && w.New.Retired() && nameOf(w.Old) != nameOf(&w.New) {
				lostMu.Lock()
				lost = append(lost, fmt.Sprintf("change %d retired %q over the stored %q", seq, nameOf(&w.New), nameOf(w.Old)))
				lostMu.Unlock()
			}
		}
	})
	recs := sampleRecords(t)
	if _, err := s.PutBatch(ctx, "a", recs); err != nil {
		t.Fatal(err)
	}
	cred := recs[0]
	named := func(quads []quad.Quad, name string) []quad.Quad {
		var out []quad.Quad
		for _, q := range quads {
			switch {
			case q.Subject == quad.IRI(cred.IRI) && q.Predicate == quad.IRI(schema.Name):
				q.Object = quad.String(name)
			case q.Predicate == quad.IRI(schema.RecordStatus), q.Predicate == quad.IRI(schema.RetiredOn), q.Predicate == quad.IRI(schema.RetirementReason):
				continue // unretired
			}
			out = append(out, q)
		}
		return out
	}
	const writers = 4
	for round := 0; round < 20; round++ {
		// A fresh, unretired record for each round.
		if _, err := s.Put(ctx, "a", Record{IRI: cred.IRI, Quads: named(cred.Quads, fmt.Sprintf("round %d", round))}); err != nil {
			t.Fatal(err)
		}
		type result struct {
			c    Change
			name string
			err  error
		}
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			results []result
			retired = make(chan struct{})
			started = make(chan struct{}, writers)
		)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				// Write until the retirement is done.
				for i := 0; ; i++ {
					if i > 0 {
						select {
						case <-retired:
							return
						default:
						}
					}
					name := fmt.Sprintf("round %d writer %d update %d", round, w, i)
					// A merge keeps what it does not give (the
					// retirement); a replace of a retired record is
					// the server's to decide (?unretire).
					c, err := s.Put(ctx, "a", Record{IRI: cred.IRI, Quads: named(cred.Quads, name), Merge: true})
					mu.Lock()
					results = append(results, result{c, name, err})
					mu.Unlock()
					if i == 0 {
						started <- struct{}{}
					}
				}
			}(w)
		}
		for w := 0; w < writers; w++ {
			<-started
		}
		_, rerr := s.Retire(ctx, "b", cred.IRI, "race", time.Now())
		close(retired)
		wg.Wait()
		if rerr != nil {
			t.Fatalf("round %d: the retirement failed: %v", round, rerr)
		}
		var lastName string
		var lastSeq uint64
		for _, r := range results {
			if r.err != nil {
				t.Fatalf("round %d: an update failed: %v", round, r.err)
			}
			if r.c.Seq > lastSeq {
				lastSeq, lastName = r.c.Seq, r.name
			}
		}
		got, err := s.Get(ctx, cred.IRI)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Retired() {
			t.Fatalf("round %d: the retirement was lost to an update", round)
		}
		lostMu.Lock()
		if len(lost) > 0 {
			t.Fatalf("round %d: an update was lost to the retirement: %s", round, strings.Join(lost, "; "))
		}
		lostMu.Unlock()
		if name := nameOf(got); name != lastName {
			t.Fatalf("round %d: the record is named %q, want the last update's %q (an update was lost to the retirement)", round, name, lastName)
		}
	}
}

// countSyncs replaces the store's syncer with one that counts its calls
// and fails while fail returns true.
func countSyncs(s *Store, fail func() bool) *atomic.Int64 {
	var n atomic.Int64
	next := s.sync
	s.sync = func() error {
		n.Add(1)
		if fail != nil && fail() {
			return errors.New("injected sync failure")
		}
		return next()
	}
	return &n
}

// TestOneSyncPerWrite checks that every acknowledged write is synced once
// (Badger's own sync on commit is off, the store's sync after it runs),
// an unchanged record costs no sync, and NoSync turns every sync off.
func TestOneSyncPerWrite(t *testing.T) {
	ctx := context.Background()
	for _, noSync := range []bool{false, true} {
		t.Run(fmt.Sprintf("NoSync=%v", noSync), func(t *testing.T) {
			s, err := Open(ctx, "badger://"+t.TempDir(), Options{Base: testBaseIRI(t), NoSync: noSync})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			if s.be.(badgerDB).Badger().Opts().SyncWrites {
				t.Fatal("Badger syncs every commit itself (SyncWrites): a write is synced twice")
			}
			syncs := countSyncs(s, nil)
			per := int64(1)
			if noSync {
				per = 0
			}
			recs := sampleRecords(t)
			step := func(what string, want int64, fn func() error) {
				t.Helper()
				before := syncs.Load()
				if err := fn(); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if got := syncs.Load() - before; got != want {
					t.Errorf("%s: %d syncs, want %d", what, got, want)
				}
			}
			step("a batch of 3 records", per, func() error { _, err := s.PutBatch(ctx, "a", recs); return err })
			renamed := Record{IRI: recs[0].IRI, Quads: append([]quad.Quad(nil), recs[0].Quads...)}
			for i, q := range renamed.Quads {
				if q.Predicate == quad.IRI(schema.Name) {
					renamed.Quads[i].Object = quad.String("Renamed")
				}
			}
			step("a replacement", per, func() error { _, err := s.Put(ctx, "a", renamed); return err })
			step("an unchanged record", 0, func() error { _, err := s.Put(ctx, "a", renamed); return err })
			step("a retirement", per, func() error { _, err := s.Retire(ctx, "a", recs[2].IRI, "test", time.Now()); return err })
			step("a token", per, func() error { _, _, err := s.CreateToken(ctx, recs[1].IRI, RoleAgency, time.Time{}); return err })
		})
	}
}

// TestFailedSyncKeepsTheSequence fails the sync after a committed write:
// the write reports the error with its change, and the store's sequence
// follows what was committed, so the next write gets the next number and
// the change log has no gap and no duplicate, also after a reopen.
func TestFailedSyncKeepsTheSequence(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, "badger://"+dir, Options{Base: testBaseIRI(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	recs := sampleRecords(t)
	if _, err := s.PutBatch(ctx, "a", recs[1:]); err != nil {
		t.Fatal(err)
	}
	head := s.Sequence()
	var failing atomic.Bool
	failing.Store(true)
	syncs := countSyncs(s, failing.Load)
	c, err := s.Put(ctx, "a", recs[0])
	if err == nil || !strings.Contains(err.Error(), "injected sync failure") {
		t.Fatalf("write with a failing sync = %v, want the sync's error", err)
	}
	if syncs.Load() != 1 {
		t.Errorf("%d syncs for one write", syncs.Load())
	}
	if c.Seq != head+1 {
		t.Errorf("the committed write reports change %d, want %d", c.Seq, head+1)
	}
	if got := s.Sequence(); got != head+1 {
		t.Errorf("after a committed write whose sync failed the sequence is %d, want %d", got, head+1)
	}
	failing.Store(false)
	c2, err := s.Retire(ctx, "a", recs[0].IRI, "test", time.Now())
	if err != nil {
		t.Fatalf("the write after a failed sync: %v", err)
	}
	if c2.Seq != head+2 {
		t.Errorf("the write after a failed sync is change %d, want %d", c2.Seq, head+2)
	}
	checkLog := func(s *Store) {
		t.Helper()
		changes, err := s.Changes(ctx, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if uint64(len(changes)) != head+2 {
			t.Fatalf("change log has %d entries, want %d", len(changes), head+2)
		}
		for i, ch := range changes {
			if ch.Seq != uint64(i+1) {
				t.Fatalf("change log entry %d has number %d: a gap or a duplicate", i+1, ch.Seq)
			}
		}
		if got := changes[head]; got.IRI != recs[0].IRI || got.Action != ActionCreate {
			t.Errorf("change %d = %+v, want the creation of %s", head+1, got, recs[0].IRI)
		}
		if got := changes[head+1]; got.IRI != recs[0].IRI || got.Action != ActionRetire {
			t.Errorf("change %d = %+v, want the retirement of %s", head+2, got, recs[0].IRI)
		}
	}
	checkLog(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openStore(t, dir)
	if got := s2.Sequence(); got != head+2 {
		t.Errorf("reopened, the sequence is %d, want %d", got, head+2)
	}
	checkLog(s2)
}

// TestBulkLoadTunesBadger: Options.BulkLoad reaches the Badger store (more
// level-0 tables before a compaction), and a store written so opens
// without it, its records all there.
func TestBulkLoadTunesBadger(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l0 := func(s *Store) int { return s.be.(*badgerBackend).qs.Badger().Opts().NumLevelZeroTables }
	s, err := Open(ctx, "badger://"+dir, Options{Base: testBaseIRI(t), BulkLoad: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := l0(s); got != 16 {
		t.Errorf("bulk load: %d level-0 tables, want 16", got)
	}
	recs := sampleRecords(t)
	if _, err := s.PutBatch(ctx, "a", recs); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, "badger://"+dir, Options{Base: testBaseIRI(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := l0(s); got != 5 {
		t.Errorf("default: %d level-0 tables, want Badger's 5", got)
	}
	for _, rec := range recs {
		if _, err := s.Get(ctx, rec.IRI); err != nil {
			t.Errorf("%s after the bulk load: %v", rec.IRI, err)
		}
	}
}
