package ingest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"credreg/catalog/catalogtest"
	"credreg/fixtures/fixturestest"
	"credreg/ingest/ingesttest"
	"credreg/registry"
	"credreg/schema"
)

const testBase = "http://registry.test"

// newStore opens a Badger store with the reference data and the sample
// loaded (a copy of a template store).
func newStore(t testing.TB) *registry.Store {
	t.Helper()
	base, _ := schema.NewBase(testBase)
	return fixturestest.Open(t, base, true)
}

func importCSV(t *testing.T, s *registry.Store, name, data string, opts SheetOptions, dry bool) *Report {
	t.Helper()
	return importCSVWith(t, s, name, data, opts, Options{Actor: "test agency", DryRun: dry})
}

// importCSVWith is importCSV with the run's options.
func importCSVWith(t *testing.T, s *registry.Store, name, data string, opts SheetOptions, run Options) *Report {
	t.Helper()
	res, err := NewResolver(context.Background(), catalogtest.Of(t, s))
	if err != nil {
		t.Fatal(err)
	}
	opts.Resolver = res
	if opts.Today.IsZero() {
		opts.Today = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	}
	src, err := CSV(name, strings.NewReader(data), int64(len(data)), opts)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), s, src, "csv", run)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

func TestCSVSmoke(t *testing.T) {
	s := newStore(t)
	data := "Credential Name,Type,Owner,SOC Codes,Career Cluster,Region,High Wage,In Demand,Median Wage,Valid From\n" +
		"Cloud Support Associate,Certification,Acme Cloud Academy,15-1232.00; 151244,Digital Technology,Statewide,yes,Y,\"$61,200\",7/1/2025\n" +
		"Bad Row,Certification,Acme Cloud Academy,15-12,No Such Cluster,Statewide,maybe,,,\n"
	rep := importCSV(t, s, "sheet.csv", data, SheetOptions{Agency: "Heartland Workforce Commission"}, false)
	if rep.Units != 2 || rep.Imported != 1 || rep.Failed != 1 || rep.Written < 2 || rep.Statements == 0 {
		b, _ := json.MarshalIndent(rep, "", "  ")
		t.Fatalf("want 2 rows, 1 imported (credential and designation written), 1 failed; got %s", b)
	}
	// The bad row's problems name its row and each bad cell.
	bad := map[string]bool{}
	for _, p := range rep.Problems {
		if p.File != "sheet.csv" || p.Row != 3 {
			t.Errorf("problem %v: want sheet.csv row 3", p)
		}
		bad[p.Column] = true
	}
	for _, col := range []string{"SOC Codes", "Career Cluster", "High Wage"} {
		if !bad[col] {
			t.Errorf("no problem names column %q: %v", col, rep.Problems)
		}
	}
}

// TestReportCountsEachRecordOnce: a record that several batches name (the
// organization that owns many rows) counts once, so the report of one
// sheet is the same whatever the batch size, and its statements are those
// the store holds.
func TestReportCountsEachRecordOnce(t *testing.T) {
	var sheet strings.Builder
	if err := ingesttest.WriteCSV(&sheet, 90, ingesttest.Options{Owners: 3, BadEvery: 10}); err != nil {
		t.Fatal(err)
	}
	run := func(s *registry.Store, batch int) *Report {
		t.Helper()
		return importCSVWith(t, s, "sheet.csv", sheet.String(), SheetOptions{Agency: "Heartland Workforce Commission"},
			Options{Actor: "test agency", BatchQuads: batch})
	}
	type counts struct{ written, unchanged, statements, failed int }
	of := func(r *Report) counts { return counts{r.Written, r.Unchanged, r.Statements, r.Failed} }
	var first, again []counts
	for _, batch := range []int{0, 400} {
		s := newStore(t)
		ctx := context.Background()
		before := s.Sequence()
		rep := run(s, batch)
		if batch > 0 && rep.Batches < 10 {
			t.Fatalf("batches of %d statements: the sheet took %d batches, want many", batch, rep.Batches)
		}
		// What the report says was written is what the change log and
		// the store hold.
		changes, err := s.Changes(ctx, before, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		written := map[string]bool{}
		for _, c := range changes {
			written[c.IRI] = true
		}
		statements := 0
		for iri := range written {
			rec, err := s.Get(ctx, iri)
			if err != nil {
				t.Fatal(err)
			}
			statements += len(rec.Quads)
		}
		if rep.Written != len(written) || rep.Statements != statements {
			t.Errorf("batches of %d: report says %d records and %d statements written; the store holds %d records and %d statements written by it",
				batch, rep.Written, rep.Statements, len(written), statements)
		}
		if rep.Failed != 9 {
			t.Errorf("batches of %d: %d rows failed, want 9", batch, rep.Failed)
		}
		first = append(first, of(rep))
		// The same sheet again writes nothing: every row's credential and
		// designation is unchanged, once (the owners are now stored
		// organizations it links to, not records it writes).
		rep = run(s, batch)
		if rep.Written != 0 || rep.Statements != 0 || s.Sequence() != before+uint64(len(changes)) {
			t.Errorf("batches of %d: re-import wrote %d records (%d statements)", batch, rep.Written, rep.Statements)
		}
		if want := 2 * rep.Imported; rep.Unchanged != want {
			t.Errorf("batches of %d: re-import reports %d records unchanged, want %d (a credential and a designation for each of %d rows)", batch, rep.Unchanged, want, rep.Imported)
		}
		again = append(again, of(rep))
	}
	if first[0] != first[1] || again[0] != again[1] {
		t.Errorf("the report depends on the batch size: one batch %+v then %+v; small batches %+v then %+v", first[0], again[0], first[1], again[1])
	}
}
