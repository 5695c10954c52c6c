package registry

import (
	"bytes"
	"context"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/schema"
)

// dumpLines returns the store's dump as (graph, N-Triples line) pairs, in
// the dump's order.
func dumpLines(t *testing.T, s *Store) [][2]string {
	t.Helper()
	var b bytes.Buffer
	if _, err := s.Dump(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	for _, l := range strings.SplitAfter(b.String(), "\n") {
		if l == "" {
			continue
		}
		body := strings.TrimSuffix(l, " .\n")
		i := strings.LastIndex(body, " <")
		out = append(out, [2]string{strings.Trim(body[i+1:], "<>"), body[:i] + " .\n"})
	}
	return out
}

// scanMatch is the fragment as it was answered before the harvest index:
// a read of the whole log, the statements of predicate (any when nil)
// kept, each once, in N-Triples order.
func scanMatch(t *testing.T, s *Store, predicate quad.Value) []string {
	t.Helper()
	var preds map[quad.IRI]bool
	if predicate != nil {
		preds = map[quad.IRI]bool{asIRI(predicate): true}
	}
	var keep []quad.Quad
	if err := s.scanRecordQuads(context.Background(), preds, func(q quad.Quad) error {
		if label := string(asIRI(q.Label)); label != "" && !strings.HasPrefix(label, "urn:credreg:") {
			keep = append(keep, q)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	triples, _ := canonical(keep)
	out := make([]string, len(triples))
	for i, q := range triples {
		out[i] = nquadLine(q.Subject, q.Predicate, q.Object, nil)
	}
	return out
}

// fragmentLines pages through the fragment of predicate (nil: three
// variables) and returns its statements in page order and its count.
func fragmentLines(t *testing.T, s *Store, predicate quad.Value) ([]string, int) {
	t.Helper()
	var out []string
	total := -1
	for page := 1; ; page++ {
		f, err := s.Fragment(context.Background(), Pattern{Predicate: predicate}, page)
		if err != nil {
			t.Fatal(err)
		}
		if total >= 0 && f.Total != total {
			t.Fatalf("page %d counts %d, page 1 %d", page, f.Total, total)
		}
		total = f.Total
		for _, q := range f.Triples {
			out = append(out, nquadLine(q.Subject, q.Predicate, q.Object, nil))
		}
		if len(f.Triples) < FragmentPageSize {
			if page*FragmentPageSize < f.Total {
				t.Fatalf("page %d holds %d statements of %d", page, len(f.Triples), f.Total)
			}
			return out, total
		}
	}
}

// harvestWrites changes the fixture store in every way a write can:
// replacements with fewer and with other predicates, a merge, a
// retirement, an unchanged write, new records and a token (bookkeeping).
func harvestWrites(t *testing.T, s *Store) {
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
		switch string(asIRI(q.Predicate)) {
		case schema.RDFType, schema.CTID, schema.Name, schema.OwnedBy:
			fewer = append(fewer, q)
		}
	}
	fewer = append(fewer, quad.Quad{Subject: quad.IRI(cred), Predicate: quad.IRI(schema.Description), Object: quad.String("Replaced by the harvest test.")})
	if _, err := s.Put(ctx, "test", Record{IRI: cred, Quads: fewer}); err != nil {
		t.Fatal(err)
	}
	// Unchanged: nothing written.
	if _, err := s.Put(ctx, "test", Record{IRI: cred, Quads: fewer}); err != nil {
		t.Fatal(err)
	}
	// Merge a value into another credential.
	if _, err := s.Put(ctx, "test", Record{IRI: res(s, fxCompTIA), Merge: true, Quads: []quad.Quad{
		{Subject: quad.IRI(res(s, fxCompTIA)), Predicate: quad.IRI(schema.Description), Object: quad.String("Merged by the harvest test.")},
	}}); err != nil {
		t.Fatal(err)
	}
	// Retire: three statements more.
	if _, err := s.Retire(ctx, "test", cred, "superseded", time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	// Create: synthetic credentials, whose IRIs fall among the others.
	var recs []Record
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
	if _, _, err := s.CreateToken(ctx, res(s, fxWorkforce), RoleAgency, time.Time{}); err != nil {
		t.Fatal(err)
	}
}

// TestIndexedFragmentsMatchTheScan compares the fragments of a predicate
// alone, and of three variables, with the scan they replace and with a
// filter over the dump, on the fixture store after writes of every kind:
// the same statements, counted exactly, each once, in record order.
func TestIndexedFragmentsMatchTheScan(t *testing.T) {
	s := fixtureStore(t)
	if err := s.WarmHarvest(context.Background()); err != nil {
		t.Fatal(err)
	}
	harvestWrites(t, s) // through the write hook
	dump := dumpLines(t, s)
	for _, p := range []quad.Value{
		nil, // three variables
		quad.IRI(schema.RDFType), quad.IRI(schema.Name), quad.IRI(schema.OccupationType),
		quad.IRI(schema.Description), quad.IRI(schema.SameAs), quad.IRI(schema.RecordStatus),
		quad.IRI(predContentHash), // bookkeeping only: empty
		quad.IRI("https://example.org/none"),
	} {
		name := "unbound"
		if p != nil {
			name = string(asIRI(p))
		}
		t.Run(name, func(t *testing.T) {
			got, total := fragmentLines(t, s, p)
			// The dump, filtered: records in IRI order, each in N-Triples order.
			var want []string
			for _, l := range dump {
				if p == nil || strings.Contains(l[1], "> "+quad.ToString(p)+" ") {
					want = append(want, l[1])
				}
			}
			if len(got)+len(want) > 0 && !reflect.DeepEqual(got, want) {
				t.Errorf("%d statements, the dump filtered %d", len(got), len(want))
				for i := range min(len(got), len(want)) {
					if got[i] != want[i] {
						t.Fatalf("statement %d: %s; the dump's: %s", i, got[i], want[i])
					}
				}
			}
			old := scanMatch(t, s, p)
			sorted := append([]string(nil), got...)
			sort.Strings(sorted)
			if len(sorted)+len(old) > 0 && !reflect.DeepEqual(sorted, old) {
				t.Errorf("%d statements, the scan %d", len(sorted), len(old))
			}
			if total != len(old) {
				t.Errorf("the count says %d, the scan finds %d distinct statements", total, len(old))
			}
			if p == quad.IRI(schema.RDFType) && total < 500 {
				t.Errorf("only %d types: the fixture store is not loaded", total)
			}
			// Far past the end: empty, with the count.
			f, err := s.Fragment(context.Background(), Pattern{Predicate: p}, MaxFragmentPage)
			if err != nil || len(f.Triples) != 0 || f.Total != total {
				t.Errorf("the last page: %v, %d statements, count %d", err, len(f.Triples), f.Total)
			}
		})
	}
}

// indexState is what an index holds, by IRI, for comparisons.
type indexState struct {
	Statements, Records int
	Order               []string
	Counts              map[string]map[string]uint32 // record → predicate → statements
	Predicates          map[string]int               // predicate → statements (those held)
	Holders             map[string]int               // predicate → records
}

func stateOf(d *harvestData) indexState {
	st := indexState{Statements: d.statements, Records: d.records, Counts: map[string]map[string]uint32{},
		Predicates: map[string]int{}, Holders: map[string]int{}}
	for _, rid := range d.order {
		st.Order = append(st.Order, d.iris[rid])
	}
	for iri, rid := range d.rids {
		m := map[string]uint32{}
		sum := uint32(0)
		for _, c := range d.counts[rid] {
			m[d.pnames[c.pid]] = c.n
			sum += c.n
		}
		if sum != d.sizes[rid] {
			st.Records = -1 // sizes out of step with counts
		}
		st.Counts[iri] = m
	}
	for pid, name := range d.pnames {
		if d.pstmts[pid] != 0 {
			st.Predicates[name] = d.pstmts[pid]
		}
		if n := d.holders[pid].count(); n != 0 {
			st.Holders[name] = n
		}
	}
	return st
}

func compareStates(t *testing.T, what string, got, want indexState) {
	t.Helper()
	if got.Statements != want.Statements || got.Records != want.Records {
		t.Errorf("%s: %d statements in %d records, a fresh count %d in %d", what, got.Statements, got.Records, want.Statements, want.Records)
	}
	if !reflect.DeepEqual(got.Order, want.Order) {
		t.Errorf("%s: the record order differs (%d records, fresh %d)", what, len(got.Order), len(want.Order))
	}
	if !reflect.DeepEqual(got.Counts, want.Counts) {
		for iri, m := range want.Counts {
			if !reflect.DeepEqual(got.Counts[iri], m) {
				t.Errorf("%s: %s holds %v, fresh %v", what, iri, got.Counts[iri], m)
			}
		}
		for iri := range got.Counts {
			if want.Counts[iri] == nil {
				t.Errorf("%s: %s is indexed, gone from the store", what, iri)
			}
		}
	}
	if !reflect.DeepEqual(got.Predicates, want.Predicates) || !reflect.DeepEqual(got.Holders, want.Holders) {
		t.Errorf("%s: by predicate %v / %v, fresh %v / %v", what, got.Predicates, got.Holders, want.Predicates, want.Holders)
	}
}

// TestHarvestCountsFollowWrites: the counts kept by the write hook equal
// a fresh count of the store after writes of every kind, the dataset
// description states them, and a store opened again counts the same.
func TestHarvestCountsFollowWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	if _, err := s.PutBatch(ctx, "test", sampleRecords(t)); err != nil {
		t.Fatal(err)
	}
	if err := s.WarmHarvest(ctx); err != nil {
		t.Fatal(err)
	}
	// The fixture writes need the fixture IRIs: load them.
	for _, name := range []string{"organizations", "credentials"} {
		recs := mustRecords(t, s, fixtureFile(t, name))
		if _, err := s.PutBatch(ctx, fxActor, recs); err != nil {
			t.Fatal(err)
		}
	}
	harvestWrites(t, s)

	fresh := func(s *Store) indexState {
		d, err := s.scanHarvestData(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return stateOf(d)
	}
	want := fresh(s)
	ix, err := s.harvest(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	compareStates(t, "kept by the writes", stateOf(ix.data), want)

	// Against an independent count: cayley's iterators, not the log.
	n, graphs := 0, map[string]bool{}
	if err := s.scanQuads(ctx, nil, func(q quad.Quad) error {
		n++
		graphs[string(asIRI(q.Label))] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want.Statements != n || want.Records != len(graphs) {
		t.Errorf("the index counts %d statements in %d records, the iterators %d in %d", want.Statements, want.Records, n, len(graphs))
	}
	_, nq, err := s.DatasetDescription(ctx, DatasetInfo{IRI: "http://x.invalid/void", Dataset: "http://x.invalid/fragments"})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{
		`<http://rdfs.org/ns/void#triples> "` + strconv.Itoa(n) + `"^^<http://www.w3.org/2001/XMLSchema#integer>`,
		`<http://rdfs.org/ns/void#entities> "` + strconv.Itoa(len(graphs)) + `"^^<http://www.w3.org/2001/XMLSchema#integer>`,
	} {
		if !strings.Contains(string(nq), "<http://x.invalid/void> "+l) {
			t.Errorf("the dataset description lacks %s", l)
		}
	}

	// Reopened: built from the log, the same.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := openStore(t, dir)
	ix2, err := s2.harvest(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	compareStates(t, "built at open", stateOf(ix2.data), want)
}

// TestHarvestDataRemovesRecords: a record that goes (no write path of the
// store deletes one yet; the index takes a record without statements as
// gone) leaves the index as if it had never been.
func TestHarvestDataRemovesRecords(t *testing.T) {
	base := testBaseIRI(t)
	a, b, c := synthCredential(base, 1), synthCredential(base, 2), synthCredential(base, 3)
	d := newHarvestData()
	d.update([]Record{a, b, c})
	d.update([]Record{{IRI: b.IRI}})
	d.update([]Record{{IRI: "http://nowhere.invalid/x"}}) // never indexed
	want := newHarvestData()
	want.update([]Record{c, a})
	got, exp := stateOf(d), stateOf(want)
	if !reflect.DeepEqual(got.Order, exp.Order) || !reflect.DeepEqual(got.Counts, exp.Counts) ||
		got.Statements != exp.Statements || got.Records != exp.Records || !reflect.DeepEqual(got.Predicates, exp.Predicates) ||
		!reflect.DeepEqual(got.Holders, exp.Holders) {
		t.Errorf("after removing %s:\n%+v\nwant\n%+v", b.IRI, got, exp)
	}
	// Its number is taken again by the next record, placed in order.
	e := synthCredential(base, 4)
	d.update([]Record{e, {IRI: a.IRI}})
	if d.records != 2 || len(d.order) != 2 || d.iris[d.order[0]] > d.iris[d.order[1]] {
		t.Errorf("after a removal and an addition: %d records, order %v", d.records, d.order)
	}
}

// TestHarvestIndexBusy: a read while the index is being built waits a
// little, then answers a BusyError.
func TestHarvestIndexBusy(t *testing.T) {
	s := openStore(t, t.TempDir())
	ix := s.harvestIx
	ix.buildMu.Lock()
	ix.building = &indexBuild{done: make(chan struct{})} // a build that does not end
	ix.buildMu.Unlock()
	old := harvestWait
	harvestWait = 50 * time.Millisecond
	defer func() { harvestWait = old }()
	_, err := s.Fragment(context.Background(), Pattern{Predicate: quad.IRI(schema.Name)}, 1)
	if be, ok := err.(*BusyError); !ok || be.RetryAfter <= 0 {
		t.Fatalf("a fragment during the build: %v", err)
	}
	ix.buildMu.Lock()
	ix.building.err = context.Canceled
	close(ix.building.done)
	ix.building = nil
	ix.buildMu.Unlock()
}
