package pgstore

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/internal/pgtest"
	"credreg/registry/internal/termenc"
)

// BenchmarkAtScale measures reads on a store of CREDREG_BENCH_N synthetic
// credentials (default 100,000) of 70 statements each, with their
// bookkeeping and change-log entries, loaded once through Apply in
// batches of 100 credentials (the load rate is printed).
// CREDREG_PG_BENCH_DB names a database to use instead of a fresh one; it
// is loaded only when empty, so repeated runs skip the load.
//
//	go test ./registry/internal/pgstore -run XXX -bench AtScale -benchtime 200x
func BenchmarkAtScale(b *testing.B) {
	st := scaleStore(b)
	rdfType := quad.IRI("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
	seq := quad.IRI("https://credreg.example/terms/sequence")
	changes := quad.IRI("urn:credreg:graph:changes")
	code := quad.IRI("https://reg.example/schemes/soc/c17")
	rec := quad.IRI(credIRI(scale.n / 2))
	var pgCount int64
	for _, bc := range []struct {
		name string
		run  func() error
	}{
		{"Count-all(counts)", func() error { _, err := st.Count(ctx, Pattern{}); return err }},
		{"Count-P=type(counts)", func() error { _, err := st.Count(ctx, Pattern{Predicate: rdfType}); return err }},
		{"Count-P=sequence,G=changes(range)", func() error {
			_, err := st.Count(ctx, Pattern{Predicate: seq, Graph: changes})
			return err
		}},
		{"Count-S=change:N,P=sequence(point)", func() error {
			_, err := st.Count(ctx, Pattern{Subject: quad.IRI("urn:credreg:change:" + strconv.Itoa(scale.n/2)), Predicate: seq})
			return err
		}},
		{"Count-P,O=code(range)", func() error {
			_, err := st.Count(ctx, Pattern{Predicate: quad.IRI("https://reg.example/terms/code3"), Object: code})
			return err
		}},
		{"SQL-count-all(no counts)", func() error {
			return st.pool.QueryRow(ctx, `SELECT count(*) FROM credreg_quads`).Scan(&pgCount)
		}},
		{"SQL-count-P=type(no counts)", func() error {
			return st.pool.QueryRow(ctx, `SELECT count(*) FROM credreg_quads WHERE p = (SELECT id FROM credreg_terms WHERE k = $1)`, append([]byte{termenc.KindIRI}, rdfType...)).Scan(&pgCount)
		}},
		{"Match-P=type-first100", func() error { _, _, err := st.Match(ctx, Pattern{Predicate: rdfType}, nil, 100); return err }},
		{"Match-all-first100", func() error { _, _, err := st.Match(ctx, Pattern{}, nil, 100); return err }},
		{"Scan-G=record", func() error {
			return st.Scan(ctx, Pattern{Graph: rec}, PosAll, func(quad.Quad) error { return nil })
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if err := bc.run(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/op")
		})
	}
	// A deep page: the cursor from the middle of rdf:type's statements.
	b.Run("Match-P=type-deep100", func(b *testing.B) {
		var after []byte
		for range 3 {
			_, next, err := st.Match(ctx, Pattern{Predicate: rdfType}, after, scale.n/4)
			if err != nil {
				b.Fatal(err)
			}
			after = next
		}
		for b.Loop() {
			if _, _, err := st.Match(ctx, Pattern{Predicate: rdfType}, after, 100); err != nil {
				b.Fatal(err)
			}
		}
	})
}

var scale struct {
	once sync.Once
	st   *Store
	n    int
	err  error
}

func credIRI(i int) string { return fmt.Sprintf("https://reg.example/resources/ce-%08d", i) }

// synthCredential is credential i's statements: 70 in its graph, 4 of
// bookkeeping and 6 of its change-log entry.
func synthCredential(i int) []quad.Quad {
	iri := quad.IRI(credIRI(i))
	t := "https://reg.example/terms/"
	types := []string{"Certification", "Certificate", "License", "Badge", "Degree"}
	out := []quad.Quad{
		{Subject: iri, Predicate: quad.IRI("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), Object: quad.IRI(t + types[i%5]), Label: iri},
		{Subject: iri, Predicate: quad.IRI(t + "name"), Object: quad.LangString{Value: quad.String(fmt.Sprintf("Credential number %d", i)), Lang: "en"}, Label: iri},
		{Subject: iri, Predicate: quad.IRI(t + "description"), Object: quad.String(fmt.Sprintf("A synthetic credential, number %d, with a description about as long as a real one, which says what it certifies and for whom.", i)), Label: iri},
		{Subject: iri, Predicate: quad.IRI(t + "ctid"), Object: quad.String(fmt.Sprintf("ce-%08d", i)), Label: iri},
		{Subject: iri, Predicate: quad.IRI(t + "ownedBy"), Object: quad.IRI(fmt.Sprintf("https://reg.example/resources/org-%d", i%1000)), Label: iri},
	}
	for k := range 20 {
		out = append(out, quad.Quad{Subject: iri, Predicate: quad.IRI(fmt.Sprintf("%scode%d", t, k%10)), Object: quad.IRI(fmt.Sprintf("https://reg.example/schemes/soc/c%d", (i*31+k*17)%2000)), Label: iri})
	}
	for k := range 45 {
		out = append(out, quad.Quad{Subject: iri, Predicate: quad.IRI(fmt.Sprintf("%sprop%d", t, k)), Object: quad.String(fmt.Sprintf("value %d of %d", k, i)), Label: iri})
	}
	meta := quad.IRI(credIRI(i) + "#record")
	recs := quad.IRI("urn:credreg:graph:records")
	when := quad.Time(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second))
	hash := quad.String(fmt.Sprintf("sha256:%064x", i))
	out = append(out,
		quad.Quad{Subject: meta, Predicate: quad.IRI("https://credreg.example/terms/contentHash"), Object: hash, Label: recs},
		quad.Quad{Subject: meta, Predicate: quad.IRI("http://purl.org/dc/terms/created"), Object: when, Label: recs},
		quad.Quad{Subject: meta, Predicate: quad.IRI("http://purl.org/dc/terms/modified"), Object: when, Label: recs},
		quad.Quad{Subject: meta, Predicate: quad.IRI("https://credreg.example/terms/lastChange"), Object: quad.Int(int64(i + 1)), Label: recs},
	)
	ch := quad.IRI("urn:credreg:change:" + strconv.Itoa(i+1))
	chg := quad.IRI("urn:credreg:graph:changes")
	out = append(out,
		quad.Quad{Subject: ch, Predicate: quad.IRI("https://credreg.example/terms/sequence"), Object: quad.Int(int64(i + 1)), Label: chg},
		quad.Quad{Subject: ch, Predicate: quad.IRI("http://purl.org/dc/terms/date"), Object: when, Label: chg},
		quad.Quad{Subject: ch, Predicate: quad.IRI("https://credreg.example/terms/actor"), Object: quad.String("bench"), Label: chg},
		quad.Quad{Subject: ch, Predicate: quad.IRI("https://credreg.example/terms/action"), Object: quad.String("create"), Label: chg},
		quad.Quad{Subject: ch, Predicate: quad.IRI("https://credreg.example/terms/resource"), Object: iri, Label: chg},
		quad.Quad{Subject: ch, Predicate: quad.IRI("https://credreg.example/terms/contentHash"), Object: hash, Label: chg},
	)
	return out
}

func scaleStore(b *testing.B) *Store {
	scale.once.Do(func() {
		scale.n = 100_000
		if v := os.Getenv("CREDREG_BENCH_N"); v != "" {
			scale.n, scale.err = strconv.Atoi(v)
			if scale.err != nil {
				return
			}
		}
		dsn := os.Getenv("CREDREG_PG_BENCH_DB")
		if dsn == "" {
			dsn = pgtest.NewDatabase(b) // dropped when this benchmark ends
		}
		st, err := Open(ctx, dsn, Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			scale.err = err
			return
		}
		scale.st = st
		have, err := st.Count(ctx, Pattern{})
		if err != nil || have > 0 {
			scale.err = err
			return
		}
		start := time.Now()
		total := 0
		const batch = 100
		for lo := 0; lo < scale.n; lo += batch {
			var add []quad.Quad
			for i := lo; i < min(lo+batch, scale.n); i++ {
				add = append(add, synthCredential(i)...)
			}
			if err := st.Apply(ctx, nil, add); err != nil {
				scale.err = fmt.Errorf("load credentials from %d: %w", lo, err)
				return
			}
			total += len(add)
		}
		el := time.Since(start)
		size, _ := st.Size(ctx)
		fmt.Printf("pgstore-scale: load credentials=%d statements=%d seconds=%.1f statements/s=%.0f size=%d MiB\n",
			scale.n, total, el.Seconds(), float64(total)/el.Seconds(), size>>20)
	})
	if scale.err != nil {
		b.Fatalf("scale store: %v", scale.err)
	}
	return scale.st
}
