package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/internal/pgtest"
)

var ctx = context.Background()

// openStore opens a store on a fresh database.
func openStore(t *testing.T) (*Store, string) {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	st, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st, dsn
}

// key tells statements apart exactly: the encodings of its terms.
func key(t *testing.T, q quad.Quad) string {
	t.Helper()
	var parts []string
	for _, v := range []quad.Value{q.Subject, q.Predicate, q.Object, q.Label} {
		if v == nil {
			parts = append(parts, "-")
			continue
		}
		b, err := encodeTerm(v)
		if err != nil {
			t.Fatalf("encode %v: %v", v, err)
		}
		parts = append(parts, fmt.Sprintf("%x", b))
	}
	return strings.Join(parts, " ")
}

func keys(t *testing.T, qs []quad.Quad) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = key(t, q)
	}
	sort.Strings(out)
	return out
}

func scanAll(t *testing.T, st *Store, p Pattern) []quad.Quad {
	t.Helper()
	var out []quad.Quad
	if err := st.Scan(ctx, p, PosAll, func(q quad.Quad) error { out = append(out, q); return nil }); err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return out
}

func same(t *testing.T, what string, got, want []quad.Quad) {
	t.Helper()
	g, w := keys(t, got), keys(t, want)
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Fatalf("%s: got %d statements, want %d\ngot  %q\nwant %q", what, len(g), len(w), g, w)
	}
}

func apply(t *testing.T, st *Store, remove, add []quad.Quad) {
	t.Helper()
	if err := st.Apply(ctx, remove, add); err != nil {
		t.Fatalf("Apply(%d, %d): %v", len(remove), len(add), err)
	}
}

func TestTermRoundTrip(t *testing.T) {
	st, _ := openStore(t)
	long := strings.Repeat("x", 3000)
	nano := time.Date(2026, 12, 7, 15, 30, 1, 123456789, time.UTC)
	g := quad.IRI("https://example.org/g")
	p := quad.IRI("https://example.org/p")
	tests := []struct {
		name string
		v    quad.Value
	}{
		{"IRI", quad.IRI("https://example.org/a")},
		{"long IRI", quad.IRI("https://example.org/" + long)},
		{"blank node", quad.BNode("b0")},
		{"string", quad.String("Welding Certificate")},
		{"empty string", quad.String("")},
		{"unicode string", quad.String("Certificat de soudage é ü 日本")},
		{"long string", quad.String(strings.Repeat("é", 2000))},
		{"string at the inline limit", quad.String(strings.Repeat("a", maxInlineTerm-1))},
		{"string past the inline limit", quad.String(strings.Repeat("a", maxInlineTerm))},
		{"language string", quad.LangString{Value: "soudage", Lang: "fr"}},
		{"language string with region", quad.LangString{Value: "colour", Lang: "en-GB"}},
		{"long language string", quad.LangString{Value: quad.String(long), Lang: "en"}},
		{"typed string", quad.TypedString{Value: "42", Type: "http://www.w3.org/2001/XMLSchema#integer"}},
		{"typed string, custom type", quad.TypedString{Value: "x", Type: "https://example.org/datatype/custom"}},
		{"long typed string", quad.TypedString{Value: quad.String(long), Type: "https://example.org/t"}},
		{"int", quad.Int(-42)},
		{"max int", quad.Int(math.MaxInt64)},
		{"float", quad.Float(3.5)},
		{"negative float", quad.Float(-0.125)},
		{"bool true", quad.Bool(true)},
		{"bool false", quad.Bool(false)},
		{"time with nanoseconds", quad.Time(nano)},
		{"time before 1970", quad.Time(time.Date(1900, 1, 2, 3, 4, 5, 6, time.UTC))},
	}
	var all []quad.Quad
	for i, tc := range tests {
		subj := quad.IRI(fmt.Sprintf("https://example.org/s%d", i))
		all = append(all, quad.Quad{Subject: subj, Predicate: p, Object: tc.v, Label: g})
	}
	// A long IRI in every position.
	longIRI := tests[1].v
	all = append(all, quad.Quad{Subject: longIRI, Predicate: longIRI, Object: longIRI, Label: longIRI})
	apply(t, st, nil, all)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Back by its value as a pattern, from Scan and Match.
			pat := Pattern{Object: tc.v, Subject: all[i].Subject}
			got := scanAll(t, st, pat)
			if len(got) != 1 {
				t.Fatalf("Scan by the value: %d statements", len(got))
			}
			if key(t, got[0]) != key(t, all[i]) {
				t.Errorf("Scan: got %#v, want %#v", got[0].Object, tc.v)
			}
			if tm, ok := tc.v.(quad.Time); ok && !time.Time(got[0].Object.(quad.Time)).Equal(time.Time(tm)) {
				t.Errorf("time: got %v, want %v", got[0].Object, tc.v)
			} else if !ok && got[0].Object != tc.v {
				t.Errorf("value: got %#v, want %#v", got[0].Object, tc.v)
			}
			page, _, err := st.Match(ctx, pat, nil, 10)
			if err != nil || len(page) != 1 || key(t, page[0]) != key(t, all[i]) {
				t.Errorf("Match by the value: %v, %v", page, err)
			}
			// Encoding alone.
			b, err := encodeTerm(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			back, err := decodeTerm(b)
			if err != nil {
				t.Fatal(err)
			}
			if k, _ := encodeTerm(back); string(k) != string(b) {
				t.Errorf("decode(encode(v)) = %#v", back)
			}
		})
	}
	if n, err := st.Count(ctx, Pattern{Graph: longIRI}); err != nil || n != 1 {
		t.Errorf("Count by a long IRI graph = %d, %v", n, err)
	}
	same(t, "everything", scanAll(t, st, Pattern{}), all)
}

func TestDefaultGraph(t *testing.T) {
	st, _ := openStore(t)
	q := quad.Quad{Subject: quad.IRI("s"), Predicate: quad.IRI("p"), Object: quad.String("o")}
	named := q
	named.Label = quad.IRI("g")
	apply(t, st, nil, []quad.Quad{q, named})
	same(t, "both graphs", scanAll(t, st, Pattern{Subject: quad.IRI("s")}), []quad.Quad{q, named})
	same(t, "the named graph", scanAll(t, st, Pattern{Graph: quad.IRI("g")}), []quad.Quad{named})
	apply(t, st, []quad.Quad{q}, nil)
	same(t, "after removing the default graph's", scanAll(t, st, Pattern{}), []quad.Quad{named})
}

// counts reads the store's table sizes: statements, terms, predicate
// count total.
func counts(t *testing.T, st *Store) [3]int64 {
	t.Helper()
	var c [3]int64
	err := st.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM credreg_quads), (SELECT count(*) FROM credreg_terms),
		(SELECT coalesce(sum(n), 0)::int8 FROM credreg_pcounts)`).Scan(&c[0], &c[1], &c[2])
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func stmt(s, p string, o quad.Value, g string) quad.Quad {
	return quad.Quad{Subject: quad.IRI(s), Predicate: quad.IRI(p), Object: o, Label: quad.IRI(g)}
}

func TestApplyConflictWritesNothing(t *testing.T) {
	st, _ := openStore(t)
	base := []quad.Quad{
		stmt("a", "name", quad.String("A"), "ga"),
		stmt("a", "knows", quad.IRI("b"), "ga"),
		stmt("b", "name", quad.String("B"), "gb"),
	}
	apply(t, st, nil, base)
	before := counts(t, st)
	fresh := stmt("c", "brand-new-predicate", quad.String("brand new value"), "gc")
	tests := []struct {
		name        string
		remove, add []quad.Quad
	}{
		{"stale remove", []quad.Quad{base[0], stmt("a", "name", quad.String("gone"), "ga")}, []quad.Quad{fresh}},
		{"remove with an unknown term", []quad.Quad{stmt("zz", "name", quad.String("A"), "ga")}, nil},
		{"duplicate add", []quad.Quad{base[0]}, []quad.Quad{fresh, base[1]}},
		{"same statement added twice", nil, []quad.Quad{fresh, fresh}},
		{"same statement removed twice", []quad.Quad{base[2], base[2]}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := st.Apply(ctx, tc.remove, tc.add)
			if !errors.Is(err, ErrConflict) {
				t.Fatalf("Apply = %v, want ErrConflict", err)
			}
			same(t, "nothing written", scanAll(t, st, Pattern{}), base)
			if got := counts(t, st); got != before {
				t.Errorf("tables (statements, terms, counted) = %v, want %v", got, before)
			}
		})
	}
	// An invalid statement is an error, not a conflict, and writes nothing.
	if err := st.Apply(ctx, nil, []quad.Quad{{Subject: quad.IRI("x"), Object: quad.String("y")}}); err == nil || errors.Is(err, ErrConflict) {
		t.Errorf("Apply of a statement without predicate = %v", err)
	}
	// Removing and adding one statement in one call keeps it.
	apply(t, st, base[:1], base[:1])
	same(t, "replaced by itself", scanAll(t, st, Pattern{}), base)
}

// dataset is n statements over a few subjects, predicates, objects and
// graphs, so that every pattern has matches.
func dataset(n int) []quad.Quad {
	var out []quad.Quad
	for i := range n {
		out = append(out, quad.Quad{
			Subject:   quad.IRI(fmt.Sprintf("s%d", i%37)),
			Predicate: quad.IRI(fmt.Sprintf("p%d", i%7)),
			Object:    quad.String(fmt.Sprintf("o%d", i%53)),
			Label:     quad.IRI(fmt.Sprintf("g%d", i%11)),
		})
	}
	// i and i + 37·7·53·11 coincide; keep each once.
	seen := map[quad.Quad]bool{}
	var uniq []quad.Quad
	for _, q := range out {
		if !seen[q] {
			seen[q] = true
			uniq = append(uniq, q)
		}
	}
	return uniq
}

func patterns(q quad.Quad) []Pattern {
	var out []Pattern
	for mask := range 16 {
		var p Pattern
		if mask&1 != 0 {
			p.Subject = q.Subject
		}
		if mask&2 != 0 {
			p.Predicate = q.Predicate
		}
		if mask&4 != 0 {
			p.Object = q.Object
		}
		if mask&8 != 0 {
			p.Graph = q.Label
		}
		out = append(out, p)
	}
	return out
}

func matching(all []quad.Quad, p Pattern) []quad.Quad {
	var out []quad.Quad
	for _, q := range all {
		if (p.Subject == nil || q.Subject == p.Subject) && (p.Predicate == nil || q.Predicate == p.Predicate) &&
			(p.Object == nil || q.Object == p.Object) && (p.Graph == nil || q.Label == p.Graph) {
			out = append(out, q)
		}
	}
	return out
}

func TestCountAndMatchAgainstBruteForce(t *testing.T) {
	st, _ := openStore(t)
	all := dataset(3000)
	apply(t, st, nil, all)
	// Remove some, so that the predicate counts have gone down too.
	apply(t, st, all[:200], nil)
	all = all[200:]
	for _, p := range append(patterns(all[0]), patterns(all[1234])...) {
		want := matching(all, p)
		n, err := st.Count(ctx, p)
		if err != nil || n != int64(len(want)) {
			t.Errorf("Count %+v = %d, %v; want %d", p, n, err, len(want))
		}
		for _, limit := range []int{1, 7, 500, len(want) + 1} {
			var got []quad.Quad
			var after []byte
			for pages := 0; ; pages++ {
				page, next, err := st.Match(ctx, p, after, limit)
				if err != nil {
					t.Fatalf("Match %+v by %d: %v", p, limit, err)
				}
				if len(page) > limit || (next != nil && len(page) != limit) {
					t.Fatalf("Match %+v by %d: a page of %d, next %v", p, limit, len(page), next != nil)
				}
				got = append(got, page...)
				if next == nil {
					break
				}
				after = next
				if pages > len(want) {
					t.Fatalf("Match %+v by %d: endless pages", p, limit)
				}
			}
			same(t, fmt.Sprintf("Match %+v by %d", p, limit), got, want)
		}
	}
	// A term that is not stored matches nothing.
	if n, err := st.Count(ctx, Pattern{Subject: quad.IRI("nobody")}); err != nil || n != 0 {
		t.Errorf("Count of an unknown term = %d, %v", n, err)
	}
	// A cursor of another pattern is refused.
	_, next, err := st.Match(ctx, Pattern{Predicate: all[0].Predicate}, nil, 1)
	if err != nil || next == nil {
		t.Fatal(next, err)
	}
	if _, _, err := st.Match(ctx, Pattern{Predicate: all[1].Predicate}, next, 1); !errors.Is(err, ErrBadCursor) {
		t.Errorf("Match with another pattern's cursor = %v, want ErrBadCursor", err)
	}
}

// TestLongScanIsOneSnapshot: a scan of several pages does not see a write
// committed while it runs.
func TestLongScanIsOneSnapshot(t *testing.T) {
	st, _ := openStore(t)
	var all []quad.Quad
	for i := range 2*scanPage + 10 {
		all = append(all, stmt(fmt.Sprintf("s%05d", i), "p", quad.Int(int64(i)), "g"))
	}
	apply(t, st, nil, all)
	extra := []quad.Quad{stmt("s00000-extra", "p", quad.Int(-1), "g"), stmt("zzz", "p", quad.Int(-2), "g")}
	var got []quad.Quad
	wrote := false
	err := st.Scan(ctx, Pattern{Predicate: quad.IRI("p")}, PosAll, func(q quad.Quad) error {
		got = append(got, q)
		if !wrote && len(got) == scanPage+5 {
			wrote = true
			// Remove statements both read and still to read; add some
			// on both sides of the scan's position.
			return st.Apply(ctx, []quad.Quad{all[0], all[len(all)-1]}, extra)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	same(t, "the scan sees the store as it began", got, all)
	want := append(append([]quad.Quad{}, all[1:len(all)-1]...), extra...)
	same(t, "the next scan sees the write", scanAll(t, st, Pattern{}), want)
	// Only the wanted positions are set.
	n := 0
	if err := st.Scan(ctx, Pattern{}, PosObject|PosGraph, func(q quad.Quad) error {
		if q.Subject != nil || q.Predicate != nil || q.Object == nil || q.Label == nil {
			return fmt.Errorf("positions: %#v", q)
		}
		n++
		return nil
	}); err != nil || n != len(want) {
		t.Errorf("Scan of objects and graphs: %d statements, %v", n, err)
	}
}

// TestConcurrentWritersOneWinner: writers adding the same change-log entry
// (a new term each) from one head: exactly one wins, the others conflict.
func TestConcurrentWritersOneWinner(t *testing.T) {
	st, _ := openStore(t)
	for round := range 3 {
		const writers = 6
		errs := make([]error, writers)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				node := fmt.Sprintf("urn:credreg:change:%d", round+1)
				errs[i] = st.Apply(ctx, nil, []quad.Quad{
					stmt(node, "sequence", quad.Int(int64(round+1)), "changes"),
					stmt(node, "actor", quad.String(fmt.Sprintf("writer %d", i)), "changes"),
				})
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else if !errors.Is(err, ErrConflict) {
				t.Errorf("round %d: %v", round, err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d winners", round, won)
		}
	}
	if n, err := st.Count(ctx, Pattern{Predicate: quad.IRI("sequence"), Graph: quad.IRI("changes")}); err != nil || n != 3 {
		t.Errorf("head = %d, %v; want 3", n, err)
	}
	if n, err := st.Count(ctx, Pattern{}); err != nil || n != 6 {
		t.Errorf("Count = %d, %v; want 6", n, err)
	}
}

// TestSchema: servers starting together create the schema once; a
// database with a newer schema is refused.
func TestSchema(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := Open(ctx, dsn, Options{MaxConns: 2})
			if err == nil {
				st.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d of 4 at once: %v", i, err)
		}
	}
	st, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var versions []int
	rows, err := st.pool.Query(ctx, `SELECT version FROM credreg_schema_version ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, v)
	}
	var all []int
	for v := 1; v <= SchemaVersion; v++ {
		all = append(all, v)
	}
	if fmt.Sprint(versions) != fmt.Sprint(all) {
		t.Errorf("schema versions recorded: %v", versions)
	}
	if _, err := st.pool.Exec(ctx, `INSERT INTO credreg_schema_version (version, layout) VALUES ($1, 'from the future')`, SchemaVersion+1); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, dsn, Options{}); !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("Open of a newer schema = %v, want ErrSchemaTooNew", err)
	} else {
		t.Logf("refused with: %v", err)
	}
}

// TestMigrateFromVersion1: a database of schema version 1 holding
// statements opens migrated to the current version, with its statements
// kept and the graph counts that version 2 adds counted from them.
func TestMigrateFromVersion1(t *testing.T) {
	st, dsn := openStore(t)
	all := dataset(2000)
	apply(t, st, nil, all)
	apply(t, st, all[:100], nil)
	all = all[100:]
	// Back to version 1, as a database written by the previous credreg.
	for _, sql := range []string{`DROP TABLE credreg_tokens`, `DROP TABLE credreg_gpcounts`, `DELETE FROM credreg_schema_version WHERE version > 1`} {
		if _, err := st.pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	st, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatalf("open a version 1 database: %v", err)
	}
	defer st.Close()
	var version int
	if err := st.pool.QueryRow(ctx, `SELECT max(version) FROM credreg_schema_version`).Scan(&version); err != nil || version != SchemaVersion {
		t.Fatalf("schema version after the migration: %d, %v", version, err)
	}
	for _, p := range append(patterns(all[0]), Pattern{}, Pattern{Graph: all[0].Label}, Pattern{Graph: all[0].Label, Predicate: all[0].Predicate}) {
		want := matching(all, p)
		if n, err := st.Count(ctx, p); err != nil || n != int64(len(want)) {
			t.Errorf("after the migration, Count %+v = %d, %v; want %d", p, n, err, len(want))
		}
	}
	// Writes go on counting.
	apply(t, st, all[:50], nil)
	all = all[50:]
	p := Pattern{Graph: all[0].Label}
	if n, err := st.Count(ctx, p); err != nil || n != int64(len(matching(all, p))) {
		t.Errorf("after a write, Count %+v = %d, %v; want %d", p, n, err, len(matching(all, p)))
	}
	p = Pattern{Predicate: all[0].Predicate, Except: []quad.Value{all[0].Label}}
	var want int
	for _, q := range matching(all, Pattern{Predicate: all[0].Predicate}) {
		if q.Label != all[0].Label {
			want++
		}
	}
	if n, err := st.Count(ctx, p); err != nil || n != int64(want) {
		t.Errorf("Count %+v = %d, %v; want %d", p, n, err, want)
	}
}

// A read whose terms are partly in the term cache must not lose those when
// the cache fills up (and forgets everything) while the others are put in:
// it answered "statement refers to term N, which is not in the
// dictionary" once a server had read more terms than the cache holds
// (bench/backends.sh at 20,000 rows, 404,064 terms against 262,144).
func TestReadWhenTermCacheFills(t *testing.T) {
	st, dsn := openStore(t)
	all := dataset(500)
	apply(t, st, nil, all)
	small, err := Open(ctx, dsn, Options{TermCache: 8})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer small.Close()
	// Some terms in the cache, then a read of many more.
	for _, p := range []Pattern{{Subject: quad.IRI("s0")}, {}} {
		same(t, fmt.Sprintf("Scan(%v)", p), scanAll(t, small, p), matching(all, p))
	}
}

// TestReadOnlyOpen: a read-only open (a replica) never creates the
// schema; it waits for it, and refuses, clearly, when it does not come.
func TestReadOnlyOpen(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	if _, err := Open(ctx, dsn, Options{ReadOnly: true, SchemaWait: 300 * time.Millisecond}); err == nil || !strings.Contains(err.Error(), "read replica") {
		t.Fatalf("read-only open of an empty database: %v", err)
	}
	// It created nothing.
	probe, err := Open(ctx, dsn, Options{ReadOnly: true, SchemaWait: time.Millisecond})
	if err == nil {
		probe.Close()
		t.Fatal("the schema exists after read-only opens")
	}
	// The schema comes while a read-only open waits: it opens.
	done := make(chan error, 1)
	go func() {
		st, err := Open(ctx, dsn, Options{ReadOnly: true, SchemaWait: 20 * time.Second})
		if err == nil {
			st.Close()
		}
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	st, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := <-done; err != nil {
		t.Errorf("read-only open waiting for the schema: %v", err)
	}
}
