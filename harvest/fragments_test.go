package harvest

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/ingest/seed"
	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// harvestWrites changes the fixture store in every way a write can:
// replacements with fewer and with other predicates, a merge, a
// retirement, an unchanged write, new records and a token (bookkeeping).
func harvestWrites(t *testing.T, s *registry.Store) {
	t.Helper()
	ctx := context.Background()
	cred := res(s, fxNetworkPlus)
	rec, err := s.Get(ctx, cred)
	if err != nil {
		t.Fatal(err)
	}
	// Replace: keep a few statements, add one of a predicate new to the store.
	var fewer []quad.Quad
	for _, q := range rec.Quads {
		switch string(rdf.IRIOf(q.Predicate)) {
		case schema.RDFType, schema.CTID, schema.Name, schema.OwnedBy:
			fewer = append(fewer, q)
		}
	}
	fewer = append(fewer, quad.Quad{Subject: quad.IRI(cred), Predicate: quad.IRI(schema.Description), Object: quad.String("Replaced by the harvest test.")})
	if _, err := s.Put(ctx, "test", registry.Record{IRI: cred, Quads: fewer}); err != nil {
		t.Fatal(err)
	}
	// Unchanged: nothing written.
	if _, err := s.Put(ctx, "test", registry.Record{IRI: cred, Quads: fewer}); err != nil {
		t.Fatal(err)
	}
	// Merge a value into another credential.
	if _, err := s.Put(ctx, "test", registry.Record{IRI: res(s, fxCompTIA), Merge: true, Quads: []quad.Quad{
		{Subject: quad.IRI(res(s, fxCompTIA)), Predicate: quad.IRI(schema.Description), Object: quad.String("Merged by the harvest test.")},
	}}); err != nil {
		t.Fatal(err)
	}
	// Retire: three statements more.
	if _, err := s.Retire(ctx, "test", cred, "superseded", time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	// Create: synthetic credentials, whose IRIs fall among the others.
	var recs []registry.Record
	for i := range 40 {
		recs = append(recs, synthCredential(s.Base(), i))
	}
	if _, err := s.PutBatch(ctx, "test", recs); err != nil {
		t.Fatal(err)
	}
	// Replace one of them again, with a subject fragment.
	r := synthCredential(s.Base(), 3)
	r.Quads = append(r.Quads[:6], quad.Quad{Subject: quad.IRI(r.IRI + "#note"), Predicate: quad.IRI(schema.Name), Object: quad.String("a node of the record")},
		quad.Quad{Subject: quad.IRI(r.IRI), Predicate: quad.IRI(schema.SameAs), Object: quad.IRI(r.IRI + "#note")})
	if _, err := s.Put(ctx, "test", r); err != nil {
		t.Fatal(err)
	}
	// A token: bookkeeping, no record.
	if _, _, err := s.CreateToken(ctx, res(s, fxWorkforce), registry.RoleAgency, time.Time{}); err != nil {
		t.Fatal(err)
	}
}

// pageThrough reads every page of the fragment of p: following the
// cursors when cursors is set, by page number otherwise. It fails on a
// count that changes, a statement seen twice and bookkeeping.
func pageThrough(t *testing.T, h *Harvester, p Pattern, cursors bool) ([]string, int) {
	t.Helper()
	var out []string
	seen := map[string]bool{}
	total, cursor := -1, ""
	for page := 1; ; page++ {
		if page > 100_000 {
			t.Fatal("the pages do not end")
		}
		f, err := h.FragmentAfter(context.Background(), p, page, cursor)
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if total >= 0 && f.Total != total {
			t.Fatalf("page %d counts %d, page 1 %d", page, f.Total, total)
		}
		total = f.Total
		if len(f.Triples) > FragmentPageSize {
			t.Fatalf("page %d holds %d statements", page, len(f.Triples))
		}
		for _, q := range f.Triples {
			if q.Label != nil {
				t.Fatalf("page %d: a statement with a graph: %v", page, q)
			}
			l := lineOf(q)
			if seen[l] {
				t.Fatalf("page %d: %s again", page, l)
			}
			if strings.Contains(l, "urn:credreg:") {
				t.Fatalf("page %d shows bookkeeping: %s", page, l)
			}
			seen[l] = true
			out = append(out, l)
		}
		if f.Next == "" {
			if page*FragmentPageSize < f.Total {
				t.Fatalf("page %d of %d statements has no next page", page, f.Total)
			}
			return out, total
		}
		if len(f.Triples) != FragmentPageSize {
			t.Fatalf("page %d holds %d statements and has a next page", page, len(f.Triples))
		}
		if cursors {
			cursor = f.Next
		}
	}
}

// TestFragmentsEveryPattern: for every kind of pattern (unbound, one, two
// or three bound positions, with and without a graph; IRI, plain,
// language-tagged and typed literal objects; bookkeeping terms and graphs)
// the pages, followed by cursor and by page number, hold exactly the
// published statements that match, each once, never bookkeeping, and the
// count is exact; a page past the end is empty with the count.
func TestFragmentsEveryPattern(t *testing.T) {
	s := fixtureStore(t)
	h := New(s)
	harvestWrites(t, s)
	ctx := context.Background()
	// Literals of every kind: a record with language-tagged and typed ones.
	lit := synthCredential(s.Base(), 900)
	lit.Quads = append(lit.Quads,
		quad.Quad{Subject: quad.IRI(lit.IRI), Predicate: quad.IRI(schema.CETerms + "keyword"), Object: quad.LangString{Value: "Zertifikat", Lang: "de"}},
		quad.Quad{Subject: quad.IRI(lit.IRI), Predicate: quad.IRI(schema.CETerms + "keyword"), Object: quad.LangString{Value: "Zertifikat", Lang: "en"}},
		quad.Quad{Subject: quad.IRI(lit.IRI), Predicate: quad.IRI(schema.DataYear), Object: quad.TypedString{Value: "2025", Type: "http://www.w3.org/2001/XMLSchema#gYear"}})
	if _, err := s.Put(ctx, "test", lit); err != nil {
		t.Fatal(err)
	}
	all := publishedQuads(t, s)
	// Terms of the fixture: the most frequent object and predicate, a
	// subject and a statement of each literal kind.
	objects, preds := map[quad.Value]int{}, map[quad.Value]int{}
	var lang, typed, plain, iriObj quad.Quad
	for _, q := range all {
		objects[q.Object]++
		preds[q.Predicate]++
		switch q.Object.(type) {
		case quad.LangString:
			lang = q
		case quad.TypedString:
			typed = q
		case quad.String:
			plain = q
		case quad.IRI:
			if rdf.IRIOf(q.Predicate) != schema.RDFType {
				iriObj = q
			}
		}
	}
	top := func(m map[quad.Value]int) quad.Value {
		var best quad.Value
		for v, n := range m {
			if best == nil || n > m[best] || n == m[best] && rdf.TermString(v) < rdf.TermString(best) {
				best = v
			}
		}
		return best
	}
	for _, q := range []quad.Quad{lang, typed, plain, iriObj} {
		if q.Subject == nil {
			t.Fatal("the fixture lacks a literal kind")
		}
	}
	cred := quad.IRI(res(s, fxCompTIA))
	typ := quad.IRI(schema.RDFType)
	bk := quad.IRI(schema.PropContentHash)
	tests := []struct {
		name string
		p    Pattern
		min  int // at least this many statements match
	}{
		{"unbound", Pattern{}, 2000},
		{"S", Pattern{Subject: cred}, 5},
		{"S-bookkeeping", Pattern{Subject: quad.IRI("urn:credreg:change:1")}, 0},
		{"P", Pattern{Predicate: typ}, 500},
		{"P-top", Pattern{Predicate: top(preds)}, 500},
		{"P-bookkeeping", Pattern{Predicate: bk}, 0},
		{"P-shared-with-bookkeeping", Pattern{Predicate: quad.IRI(schema.PropDCTModified)}, 0},
		{"P-unknown", Pattern{Predicate: quad.IRI("https://example.org/none")}, 0},
		{"P-literal", Pattern{Predicate: quad.String("x")}, 0},
		{"O-top", Pattern{Object: top(objects)}, 100},
		{"O-iri", Pattern{Object: iriObj.Object}, 1},
		{"O-plain", Pattern{Object: plain.Object}, 1},
		{"O-lang", Pattern{Object: lang.Object}, 1},
		{"O-lang-other", Pattern{Object: quad.LangString{Value: lang.Object.(quad.LangString).Value, Lang: "zz"}}, 0},
		{"O-typed", Pattern{Object: typed.Object}, 1},
		{"O-bookkeeping", Pattern{Object: quad.String("create")}, 0},
		{"SP", Pattern{Subject: cred, Predicate: typ}, 1},
		{"PO", Pattern{Predicate: typ, Object: quad.IRI(schema.CETerms + "Certification")}, 5},
		{"PO-lang", Pattern{Predicate: lang.Predicate, Object: lang.Object}, 1},
		{"SO", Pattern{Subject: iriObj.Subject, Object: iriObj.Object}, 1},
		{"SPO", Pattern{Subject: typed.Subject, Predicate: typed.Predicate, Object: typed.Object}, 1},
		{"G", Pattern{Graph: cred}, 5},
		{"G-bookkeeping", Pattern{Graph: quad.IRI("urn:credreg:graph:changes")}, 0},
		{"G-tokens", Pattern{Graph: quad.IRI("urn:credreg:graph:tokens")}, 0},
		{"SG", Pattern{Subject: cred, Graph: cred}, 5},
		{"PG", Pattern{Predicate: typ, Graph: cred}, 1},
		{"OG", Pattern{Object: plain.Object, Graph: plain.Label}, 1},
		{"SPOG", Pattern{Subject: plain.Subject, Predicate: plain.Predicate, Object: plain.Object, Graph: plain.Label}, 1},
		{"SPOG-other-graph", Pattern{Subject: plain.Subject, Predicate: plain.Predicate, Object: plain.Object, Graph: cred}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for _, q := range all {
				if (tc.p.Subject == nil || q.Subject == tc.p.Subject) && (tc.p.Predicate == nil || q.Predicate == tc.p.Predicate) &&
					(tc.p.Object == nil || rdf.TermString(q.Object) == rdf.TermString(tc.p.Object)) && (tc.p.Graph == nil || q.Label == tc.p.Graph) {
					want = append(want, lineOf(q))
				}
			}
			sort.Strings(want)
			if len(want) < tc.min {
				t.Fatalf("the fixture has %d matches, the test wants at least %d", len(want), tc.min)
			}
			for _, cursors := range []bool{true, false} {
				got, total := pageThrough(t, h, tc.p, cursors)
				if total != len(want) {
					t.Errorf("cursors %v: the count says %d, the brute force finds %d", cursors, total, len(want))
				}
				sort.Strings(got)
				if strings.Join(got, "") != strings.Join(want, "") {
					t.Errorf("cursors %v: %d statements, the brute force %d", cursors, len(got), len(want))
				}
			}
			f, err := h.Fragment(ctx, tc.p, MaxFragmentPage)
			if err != nil || len(f.Triples) != 0 || f.Total != len(want) || f.Next != "" {
				t.Errorf("far past the end: %v, %d statements, count %d", err, len(f.Triples), f.Total)
			}
		})
	}
	if _, err := h.FragmentAfter(ctx, Pattern{}, 2, "not a cursor!"); !isQueryError(err, "after") {
		t.Errorf("a bad cursor: %v", err)
	}
	first, err := h.Fragment(ctx, Pattern{Predicate: typ}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.FragmentAfter(ctx, Pattern{Subject: cred}, 2, first.Next); !isQueryError(err, "after") {
		t.Errorf("another pattern's cursor: %v", err)
	}
}

func isQueryError(err error, param string) bool {
	qe, ok := err.(*registry.QueryError)
	return ok && qe.Param == param
}

// TestFragmentPagesStable: a page read by number equals the page reached
// through the cursors, so page=N links and next links agree.
func TestFragmentPagesStable(t *testing.T) {
	h := New(fixtureStore(t))
	ctx := context.Background()
	for _, p := range []Pattern{{}, {Predicate: quad.IRI(schema.RDFType)}} {
		cursor := ""
		for page := 1; page <= 6; page++ {
			byCursor, err := h.FragmentAfter(ctx, p, page, cursor)
			if err != nil {
				t.Fatal(err)
			}
			byNumber, err := h.Fragment(ctx, p, page)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(byCursor.Triples) != fmt.Sprint(byNumber.Triples) || byCursor.Next != byNumber.Next {
				t.Fatalf("pattern %s page %d differs by cursor and by number", patternString(p), page)
			}
			cursor = byCursor.Next
		}
	}
}

// dumpGraphs reads the store's dump: its statements by graph, in the
// dump's order, and the order of the graphs.
func dumpGraphs(t *testing.T, h *Harvester) (DumpStats, map[string][]string, []string) {
	t.Helper()
	var b bytes.Buffer
	st, err := h.Dump(context.Background(), &b)
	if err != nil {
		t.Fatal(err)
	}
	byGraph := map[string][]string{}
	var order []string
	for _, l := range strings.SplitAfter(b.String(), "\n") {
		if l == "" {
			continue
		}
		body := strings.TrimSuffix(l, " .\n")
		i := strings.LastIndex(body, " <")
		g := strings.Trim(body[i+1:], "<>")
		if byGraph[g] == nil {
			order = append(order, g)
		} else if order[len(order)-1] != g {
			t.Fatalf("the dump comes back to graph %s", g)
		}
		byGraph[g] = append(byGraph[g], body[:i]+" .\n")
	}
	return st, byGraph, order
}

// TestDumpIsTheRecords: the dump is every record, each once and whole
// (its statements together, as Get reads them), retired ones included, no
// bookkeeping; its stats count them; its sequence is the log's head.
func TestDumpIsTheRecords(t *testing.T) {
	s := fixtureStore(t)
	harvestWrites(t, s)
	ctx := context.Background()
	st, byGraph, order := dumpGraphs(t, New(s))
	if st.Sequence != s.Sequence() || st.Records != len(order) {
		t.Errorf("stats %+v: %d graphs, the log ends at %d", st, len(order), s.Sequence())
	}
	n := 0
	retired := false
	for _, iri := range order {
		if strings.HasPrefix(iri, "urn:credreg:") {
			t.Fatalf("the dump holds bookkeeping graph %s", iri)
		}
		rec, err := s.Get(ctx, iri)
		if err != nil {
			t.Fatalf("%s: %v", iri, err)
		}
		var want []string
		for _, q := range rec.Quads {
			want = append(want, lineOf(q))
		}
		got := append([]string(nil), byGraph[iri]...)
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, "") != strings.Join(want, "") {
			t.Errorf("%s: the dump has %d statements, the record %d", iri, len(got), len(want))
		}
		n += len(got)
		retired = retired || rec.Retired()
	}
	if st.Quads != n || !retired {
		t.Errorf("stats say %d statements, the dump has %d; a retired record: %v", st.Quads, n, retired)
	}
	// Every record is there: the brute force's graphs.
	graphs := map[string]bool{}
	for _, q := range publishedQuads(t, s) {
		graphs[string(rdf.IRIOf(q.Label))] = true
	}
	if len(graphs) != len(order) {
		t.Errorf("the store has %d records, the dump %d", len(graphs), len(order))
	}
}

// TestHarvestCountsFollowWrites: the dataset description's counts equal a
// brute-force count after writes of every kind, and after the store is
// opened again.
func TestHarvestCountsFollowWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	sample, err := seed.Sample(s.Base())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(sample); i += 100 {
		if _, err := s.PutBatch(ctx, seed.Actor, sample[i:min(i+100, len(sample))]); err != nil {
			t.Fatal(err)
		}
	}
	check := func(s *registry.Store) {
		t.Helper()
		h := New(s)
		all := publishedQuads(t, s)
		graphs := map[string]bool{}
		for _, q := range all {
			graphs[string(rdf.IRIOf(q.Label))] = true
		}
		_, nq, err := h.DatasetDescription(ctx, DatasetInfo{IRI: "http://x.invalid/void", Dataset: "http://x.invalid/fragments"})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range []string{
			`<http://rdfs.org/ns/void#triples> "` + strconv.Itoa(len(all)) + `"^^<http://www.w3.org/2001/XMLSchema#integer>`,
			`<http://rdfs.org/ns/void#entities> "` + strconv.Itoa(len(graphs)) + `"^^<http://www.w3.org/2001/XMLSchema#integer>`,
		} {
			if !strings.Contains(string(nq), "<http://x.invalid/void> "+l) {
				t.Errorf("the dataset description lacks %s", l)
			}
		}
		f, err := h.Fragment(ctx, Pattern{}, 1)
		if err != nil || f.Total != len(all) {
			t.Errorf("the unbound fragment counts %d, the brute force %d (%v)", f.Total, len(all), err)
		}
	}
	check(s)
	harvestWrites(t, s)
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check(openStore(t, dir))
}

// TestDeepPageNeedsACursor: a page number past MaxPageWithoutCursor
// alone is refused with a message naming the cursor; with the cursor of
// the page before, it is served; past the end it is an empty page.
func TestDeepPageNeedsACursor(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	h := New(s)
	// Enough statements for MaxPageWithoutCursor+1 pages of one predicate.
	n := MaxPageWithoutCursor*FragmentPageSize + 3
	var recs []registry.Record
	pred := quad.IRI(schema.CETerms + "keyword")
	org := testBaseIRI(t).Resource(orgCTID)
	for i := 0; i < n; i += 500 {
		ctid := fmt.Sprintf("ce-%08d-0000-4000-8000-000000000000", i)
		iri := testBaseIRI(t).Resource(ctid)
		qs := []quad.Quad{
			registry.Statement(iri, schema.RDFType, schema.CETerms+"Certificate"),
			{Subject: quad.IRI(iri), Predicate: quad.IRI(schema.CTID), Object: quad.String(ctid)},
			{Subject: quad.IRI(iri), Predicate: quad.IRI(schema.Name), Object: quad.String("Certificate " + ctid)},
			registry.Statement(iri, schema.OwnedBy, org),
		}
		for j := i; j < min(i+500, n); j++ {
			qs = append(qs, quad.Quad{Subject: quad.IRI(iri), Predicate: pred, Object: quad.String(fmt.Sprintf("keyword %d", j))})
		}
		q, h := rdf.Canonicalize(qs)
		recs = append(recs, registry.Record{IRI: iri, Quads: q, Hash: h})
	}
	for i := 0; i < len(recs); i += 20 {
		if _, err := s.PutBatch(ctx, "test", recs[i:min(i+20, len(recs))]); err != nil {
			msg := err.Error()
			t.Fatalf("write: %s", msg[:min(len(msg), 500)])
		}
	}
	p := Pattern{Predicate: pred}
	_, err := h.Fragment(ctx, p, MaxPageWithoutCursor+1)
	if qe, ok := err.(*registry.QueryError); !ok || qe.Param != "page" || !strings.Contains(qe.Message, "after=") {
		t.Fatalf("page %d by number: %v, want a page error naming the cursor", MaxPageWithoutCursor+1, err)
	}
	last, err := h.Fragment(ctx, p, MaxPageWithoutCursor)
	if err != nil || last.Next == "" {
		t.Fatalf("page %d: %v, next %q", MaxPageWithoutCursor, err, last.Next)
	}
	deep, err := h.FragmentAfter(ctx, p, MaxPageWithoutCursor+1, last.Next)
	if err != nil || len(deep.Triples) != 3 || deep.Total != n {
		t.Fatalf("page %d by cursor: %v, %d statements of %d", MaxPageWithoutCursor+1, err, len(deep.Triples), deep.Total)
	}
	if f, err := h.Fragment(ctx, p, MaxPageWithoutCursor+10); err != nil || len(f.Triples) != 0 {
		t.Errorf("past the end by number: %v, %d statements", err, len(f.Triples))
	}
}
