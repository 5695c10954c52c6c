package ingest

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"credreg/internal/synth"
	"credreg/registry"
	"credreg/schema"
)

// racedSource yields its units; races[i], when set, is another agency's
// write made before it yields unit i (races[len(units)]: before it says
// it is done, so after the runner checked every unit but before it
// writes their batch).
type racedSource struct {
	units []*Unit
	races map[int]func() error
	next  int
}

func (s *racedSource) Name() string { return "raced.jsonld" }

func (s *racedSource) Next(context.Context) (*Unit, error) {
	if race := s.races[s.next]; race != nil {
		delete(s.races, s.next)
		if err := race(); err != nil {
			return nil, err
		}
	}
	if s.next == len(s.units) {
		return nil, io.EOF
	}
	s.next++
	return s.units[s.next-1], nil
}

// TestImportAuthorizesAtTheWrite: an import checks each unit when it
// reads it, and writes it later, with its batch. Another agency's write
// in between (creating the record the unit creates, or changing the one
// it leaves as it is) must not let the import replace that agency's
// record: the registry checks again under its write lock, the unit fails
// as forbidden, and the other agency's record stays as it wrote it.
func TestImportAuthorizesAtTheWrite(t *testing.T) {
	ctx := context.Background()
	const agencyA, agencyB = testBase + "/resources/ce-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", testBase + "/resources/ce-bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
	renamed := func(quads []quad.Quad, name string) []quad.Quad {
		out := make([]quad.Quad, len(quads))
		for i, q := range quads {
			if q.Predicate == quad.IRI(schema.Name) {
				q.Object = quad.String(name)
			}
			out[i] = q
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		stored bool // agency B's record is stored before the import reads it
	}{
		{name: "created by another agency meanwhile"},
		{name: "changed by its publisher meanwhile", stored: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			iri, quads := synth.Credential(s.Base(), 1)
			asB := func(q []quad.Quad) error {
				_, err := s.PutBatchAs(ctx, agencyB, agencyB, []registry.Record{{IRI: iri, Quads: q, Publisher: agencyB}})
				return err
			}
			unit := quads // what the import writes: a new record, or B's as stored
			if tc.stored {
				if err := asB(quads); err != nil {
					t.Fatal(err)
				}
				stored, err := s.Get(ctx, iri)
				if err != nil {
					t.Fatal(err)
				}
				unit = stored.Quads
			}
			src := &racedSource{
				units: []*Unit{{Row: 1, Records: []registry.Record{{IRI: iri, Quads: unit}}, Classes: []string{"ceterms:Certification"}}},
				races: map[int]func() error{1: func() error { return asB(renamed(quads, "Agency B's own name")) }},
			}
			rep, err := Run(ctx, s, src, "jsonld", Options{Actor: agencyA, Agency: agencyA})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if rep.Imported != 0 || rep.Failed != 1 || rep.Forbidden != 1 || len(rep.Problems) != 1 {
				t.Fatalf("report: %d imported, %d failed, %d forbidden, problems %v; want the unit failed as forbidden", rep.Imported, rep.Failed, rep.Forbidden, rep.Problems)
			}
			p := rep.Problems[0]
			if p.Row != 1 || !strings.Contains(p.Message, "forbidden (403): published by "+agencyB) || !strings.Contains(p.Message, "changed after this import read it") {
				t.Errorf("problem %+v: want row 1, forbidden as published by agency B, changed since it was read", p)
			}
			got, err := s.Get(ctx, iri)
			if err != nil {
				t.Fatal(err)
			}
			if registry.Publisher(got) != agencyB || !strings.Contains(quadsText(got.Quads), "Agency B's own name") {
				t.Errorf("agency B's record was changed by the import: %v", got.Quads)
			}
		})
	}
}

// TestImportReadsAgainAfterAWrite: the records an import's checks read
// are kept for the rows after (an organization named on every row is
// read once a batch), until any write: a record another agency creates
// after one row read it as absent is seen as it is by the next row, which
// is refused when it is read; and the first row's reference to it, which
// would now add to another agency's record, is linked to it as it is.
func TestImportReadsAgainAfterAWrite(t *testing.T) {
	ctx := context.Background()
	const agencyA, agencyB = testBase + "/resources/ce-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", testBase + "/resources/ce-bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
	s := newStore(t)
	own, ownQuads := synth.Credential(s.Base(), 1)
	x, xQuads := synth.Credential(s.Base(), 2)
	var bQuads []quad.Quad // agency B's x lacks the webpage the import gives
	for _, q := range xQuads {
		if q.Predicate != quad.IRI(schema.SubjectWebpage) {
			bQuads = append(bQuads, q)
		}
	}
	src := &racedSource{
		units: []*Unit{
			{Row: 1, Records: []registry.Record{{IRI: own, Quads: ownQuads}}, References: []Reference{{Record: registry.Record{IRI: x, Quads: xQuads}, Class: "ceterms:Certification"}}},
			{Row: 2, Records: []registry.Record{{IRI: x, Quads: xQuads}}},
		},
		races: map[int]func() error{1: func() error {
			_, err := s.PutBatchAs(ctx, agencyB, agencyB, []registry.Record{{IRI: x, Quads: bQuads, Publisher: agencyB}})
			return err
		}},
	}
	rep, err := Run(ctx, s, src, "jsonld", Options{Actor: agencyA, Agency: agencyA})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Imported != 1 || rep.Failed != 1 || rep.Forbidden != 1 || len(rep.Problems) != 1 {
		t.Fatalf("report: %d imported, %d failed, %d forbidden, problems %v; want row 1 imported, row 2 refused", rep.Imported, rep.Failed, rep.Forbidden, rep.Problems)
	}
	if p := rep.Problems[0]; p.Row != 2 || !strings.Contains(p.Message, "forbidden (403): published by "+agencyB) || strings.Contains(p.Message, "changed after") {
		t.Errorf("problem %+v: want row 2 refused when it was read (its check read agency B's record, not a kept absence)", p)
	}
	warned := false
	for _, w := range rep.Warnings {
		warned = warned || (w.Row == 1 && w.Value == x && strings.Contains(w.Message, "left as it is, which this agency may not change"))
		if w.Value == x && strings.Contains(w.Message, "gained") {
			t.Errorf("a warning says what was not done: %v", w)
		}
	}
	if !warned || rep.References.Extended != 0 {
		t.Errorf("warnings %v, %d extended; want row 1's reference linked to agency B's record as it is", rep.Warnings, rep.References.Extended)
	}
	got, err := s.Get(ctx, x)
	if err != nil || registry.Publisher(got) != agencyB || strings.Contains(quadsText(got.Quads), string(schema.SubjectWebpage)) {
		t.Errorf("agency B's record changed: %v %v", err, got)
	}
	if _, err := s.Get(ctx, own); err != nil {
		t.Errorf("row 1's credential: %v", err)
	}
}

func quadsText(quads []quad.Quad) string {
	var b strings.Builder
	for _, q := range quads {
		b.WriteString(q.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// TestReadCacheWrote: the import's own batch keeps what it did not write
// and drops what it wrote; a head that moved more than the batch
// explains (another write, before or during it) empties the cache.
func TestReadCacheWrote(t *testing.T) {
	org, cred, other := &registry.Record{IRI: "org"}, &registry.Record{IRI: "cred"}, &registry.Record{IRI: "other"}
	recs := []registry.Record{*cred, *org}
	for _, tc := range []struct {
		name           string
		cached, before uint64
		after          uint64
		changes        []registry.Change
		keep           []string
		seq            uint64
	}{
		{name: "own batch", cached: 10, before: 10, after: 11, changes: []registry.Change{{Seq: 11}, {}}, keep: []string{"org", "other"}, seq: 11},
		{name: "own batch writing nothing", cached: 10, before: 10, after: 10, changes: []registry.Change{{}, {}}, keep: []string{"org", "cred", "other"}, seq: 10},
		{name: "another write before the batch", cached: 9, before: 10, after: 11, changes: []registry.Change{{Seq: 11}, {}}},
		{name: "another write during the batch", cached: 10, before: 10, after: 12, changes: []registry.Change{{Seq: 12}, {}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := readCache{seq: tc.cached, recs: map[string]*registry.Record{"org": org, "cred": cred, "other": other}}
			c.wrote(tc.before, tc.after, recs, tc.changes)
			if len(c.recs) != len(tc.keep) {
				t.Fatalf("cache holds %v; want %v", c.recs, tc.keep)
			}
			for _, iri := range tc.keep {
				if _, ok := c.recs[iri]; !ok {
					t.Errorf("cache lost %s", iri)
				}
			}
			if len(tc.keep) > 0 && c.seq != tc.seq {
				t.Errorf("cache is as of %d; want %d", c.seq, tc.seq)
			}
		})
	}
}

// TestDropMadeMeanwhile: a reference the batch would create, which
// another write created after resolveReferences found it absent, is
// taken out of the batch and linked to as stored, with a warning, and
// counted as resolved; the others stay.
func TestDropMadeMeanwhile(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	made, madeQuads := synth.Credential(s.Base(), 1)
	absent, absentQuads := synth.Credential(s.Base(), 2)
	if _, err := s.PutBatch(ctx, "another writer", []registry.Record{{IRI: made, Quads: madeQuads}}); err != nil {
		t.Fatal(err)
	}
	r := &runner{ctx: ctx, store: s, src: &racedSource{}, rep: &Report{Warnings: []Problem{}},
		refs: map[string]*Reference{made: {Record: registry.Record{IRI: made}, row: 7}}}
	extra := []registry.Record{
		{IRI: made, Quads: madeQuads, IfMatch: registry.NoRecord},
		{IRI: absent, Quads: absentQuads, IfMatch: registry.NoRecord},
	}
	out, dropped, err := r.dropMadeMeanwhile(extra)
	if err != nil || !dropped || len(out) != 1 || out[0].IRI != absent {
		t.Fatalf("dropMadeMeanwhile = %v, %v, %v; want only the absent reference kept", out, dropped, err)
	}
	// References are counted created when written (referencesWritten),
	// so the one taken out counts as resolved only.
	if rc := r.rep.References; rc.Created != 0 || rc.Resolved != 1 {
		t.Errorf("references %+v; want 1 resolved, none created", rc)
	}
	if len(r.rep.Warnings) != 1 || r.rep.Warnings[0].Row != 7 || !strings.Contains(r.rep.Warnings[0].Message, "another write created it") {
		t.Errorf("warnings %v; want row 7's reference linked to what another write created", r.rep.Warnings)
	}
	if _, dropped, _ := r.dropMadeMeanwhile(out); dropped {
		t.Error("a reference still absent was taken out")
	}
}
