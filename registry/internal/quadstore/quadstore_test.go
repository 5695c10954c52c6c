package quadstore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"credreg/registry/internal/termenc"

	"github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/cayley/query/path"
	"github.com/cayleygraph/cayley/query/shape"
	"github.com/cayleygraph/quad"
	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"
)

func openTest(t testing.TB, dir string, opts Options) *QuadStore {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	opts.NoSync = true
	if opts.MemTableSize == 0 {
		opts.MemTableSize = 4 << 20
	}
	opts.BlockCacheSize = 4 << 20
	qs, err := Open(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = qs.Close() })
	return qs
}

// whileReading runs read in n goroutines, over and over, until the
// returned stop is called; stop waits for them and returns the first
// error a read returned (which ends that reader).
func whileReading(n int, read func() error) (stop func() error) {
	done := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := read(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	return func() error {
		close(done)
		wg.Wait()
		close(errs)
		return <-errs
	}
}

func adds(qs ...quad.Quad) []graph.Delta {
	d := make([]graph.Delta, len(qs))
	for i, q := range qs {
		d[i] = graph.Delta{Quad: q, Action: graph.Add}
	}
	return d
}

func dels(qs ...quad.Quad) []graph.Delta {
	d := adds(qs...)
	for i := range d {
		d[i].Action = graph.Delete
	}
	return d
}

// TestIndexesServeEveryPattern: every index key decodes to its statement,
// tags are distinct and apart from the other prefixes, and every set of
// bound positions is served by segments led by bound positions: all of
// them for a pattern with neither subject nor graph, and the subject or
// the graph for the others (whose remaining positions are few statements).
func TestIndexesServeEveryPattern(t *testing.T) {
	tags := map[byte]bool{}
	for _, ix := range indexes {
		require.False(t, tags[ix.tag])
		tags[ix.tag] = true
		require.NotContains(t, "mcthnk", string(ix.tag), "index tag collides with another prefix")
		q := ids{1, 2, 3, 4}
		got, ok := ix.decode(ix.appendKey(nil, q))
		require.True(t, ok)
		require.Equal(t, q, got)
	}
	qs := openTest(t, "", Options{CountedGraphs: []quad.Value{quad.IRI("bk:a"), nil}})
	require.NoError(t, qs.ApplyDeltas(adds(
		quad.Quad{Subject: quad.IRI("s"), Predicate: quad.IRI("p"), Object: quad.IRI("o"), Label: quad.IRI("bk:a")},
		quad.Quad{Subject: quad.IRI("s"), Predicate: quad.IRI("p"), Object: quad.IRI("o"), Label: quad.IRI("g")},
	), graph.IgnoreOpts{}))
	id := func(v quad.Value) uint64 {
		r, err := qs.ValueOf(v)
		require.NoError(t, err)
		return uint64(r.(NodeRef))
	}
	require.NoError(t, qs.db.View(func(txn *badger.Txn) error {
		side, err := qs.countedIDs(txn)
		require.NoError(t, err)
		for g, isSide := range map[uint64]bool{id(quad.IRI("g")): false, id(quad.IRI("bk:a")): true} {
			require.Equal(t, isSide, side[g])
			for mask := uint8(0); mask < 16; mask++ {
				s, err := qs.plan(txn, ids{id(quad.IRI("s")), id(quad.IRI("p")), id(quad.IRI("o")), g}, mask, nil)
				require.NoError(t, err)
				require.NotEmpty(t, s.segs)
				lead := s.segs[0].ix.prefixLen(mask)
				switch {
				case mask&(1<<posS|1<<posG) == 0:
					require.Equal(t, popcount(mask), lead, "mask %04b: %s", mask, s)
				default:
					require.GreaterOrEqual(t, lead, 1, "mask %04b: %s", mask, s)
				}
			}
		}
		return nil
	}))
}

func TestTermEncoding(t *testing.T) {
	now := time.Now()
	long := quad.String(strings.Repeat("long description ", 100))
	for _, v := range []quad.Value{
		quad.IRI("https://example.org/a"), quad.IRI(""), quad.BNode("b0"), quad.String(""), quad.String("x\x00y"),
		quad.LangString{Value: "Zertifikat", Lang: "de"}, quad.LangString{Value: "", Lang: "en-US"},
		quad.TypedString{Value: "2024-01-01", Type: "http://www.w3.org/2001/XMLSchema#date"},
		quad.Int(0), quad.Int(-1 << 63), quad.Int(1<<63 - 1), quad.Float(-1.5e-300), quad.Bool(true), quad.Bool(false),
		quad.Time(now), quad.Time(time.Unix(-1e10, 5)), long,
	} {
		enc, err := encodeTerm(v)
		require.NoError(t, err)
		got, err := decodeTerm(enc)
		require.NoError(t, err)
		if eq, ok := v.(quad.Equaler); ok {
			require.True(t, eq.Equal(got), "%#v vs %#v", v, got)
		} else {
			require.Equal(t, v, got)
		}
	}
	enc, _ := encodeTerm(long)
	require.Equal(t, byte(pfxHash), termKey(enc)[0])
	require.Len(t, termKey(enc), 33)
	_, err := encodeTerm(nil)
	require.ErrorIs(t, err, errUnsupValue)
	for _, bad := range [][]byte{nil, {'x'}, {termenc.KindInt, 1}, {termenc.KindLang, 9, 'a'}, {termenc.KindTime, 1}} {
		_, err := decodeTerm(bad)
		require.Error(t, err, "%q", bad)
	}
}

// sample is a small graph over a few subjects, predicates, objects and
// graphs, including the default graph and a long literal.
func sample() []quad.Quad {
	var out []quad.Quad
	long := quad.String(strings.Repeat("a long literal. ", 40))
	for i := range 12 {
		s := quad.IRI(fmt.Sprintf("s%d", i%5))
		p := quad.IRI(fmt.Sprintf("p%d", i%3))
		var o quad.Value = quad.IRI(fmt.Sprintf("s%d", (i+1)%5))
		switch i % 4 {
		case 1:
			o = quad.String(fmt.Sprintf("lit %d", i%2))
		case 2:
			o = long
		}
		var g quad.Value
		if i%3 != 0 {
			g = quad.IRI(fmt.Sprintf("g%d", i%2))
		}
		out = append(out, quad.Quad{Subject: s, Predicate: p, Object: o, Label: g})
	}
	return out
}

func matches(p Pattern, q quad.Quad) bool {
	eq := func(a, b quad.Value) bool { return a == nil || a == b }
	if p.DefaultGraph && p.Label == nil && q.Label != nil {
		return false
	}
	return eq(p.Subject, q.Subject) && eq(p.Predicate, q.Predicate) && eq(p.Object, q.Object) && eq(p.Label, q.Label)
}

func sortQuads(qs []quad.Quad) []quad.Quad {
	out := append([]quad.Quad(nil), qs...)
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// TestMatchAndCountEveryPattern compares Match (paged, through its cursor),
// Count, the cayley iterators and their sizes with a filter of the data,
// for every set of bound positions taken from every statement.
func TestMatchAndCountEveryPattern(t *testing.T) {
	ctx := context.Background()
	qs := openTest(t, "", Options{})
	data := sample()
	require.NoError(t, qs.ApplyDeltas(adds(data...), graph.IgnoreOpts{}))
	var patterns []Pattern
	for _, q := range data {
		for mask := range 16 {
			var p Pattern
			for i, v := range []quad.Value{q.Subject, q.Predicate, q.Object, q.Label} {
				if mask&(1<<i) == 0 {
					continue
				}
				switch i {
				case 0:
					p.Subject = v
				case 1:
					p.Predicate = v
				case 2:
					p.Object = v
				case 3:
					p.Label = v
					p.DefaultGraph = v == nil
				}
			}
			patterns = append(patterns, p)
		}
	}
	patterns = append(patterns, Pattern{Subject: quad.IRI("nope")}, Pattern{Object: quad.Int(3)})
	for _, p := range patterns {
		var want []quad.Quad
		for _, q := range data {
			if matches(p, q) {
				want = append(want, q)
			}
		}
		for _, limit := range []int{1, 2, 100} {
			var got []quad.Quad
			var after []byte
			for pages := 0; ; pages++ {
				page, next, err := qs.Match(ctx, p, after, limit)
				require.NoError(t, err)
				require.LessOrEqual(t, len(page), limit)
				got = append(got, page...)
				if next == nil {
					break
				}
				require.Len(t, page, limit)
				after = next
				require.Less(t, pages, 100)
			}
			require.Equal(t, sortQuads(want), sortQuads(got), "pattern %+v limit %d", p, limit)
		}
		n, err := qs.Count(ctx, p)
		require.NoError(t, err)
		require.Equal(t, int64(len(want)), n, "count %+v", p)
	}
	// The cayley iterator of one bound direction and its exact size.
	for _, d := range []quad.Direction{quad.Subject, quad.Predicate, quad.Object, quad.Label} {
		for _, q := range data {
			v := q.Get(d)
			if v == nil {
				continue
			}
			ref, err := qs.ValueOf(v)
			require.NoError(t, err)
			var want []quad.Quad
			for _, q2 := range data {
				if q2.Get(d) == v {
					want = append(want, q2)
				}
			}
			it := qs.QuadIterator(d, ref).Iterate()
			var got []quad.Quad
			for it.Next(ctx) {
				q, err := qs.Quad(it.Result())
				require.NoError(t, err)
				got = append(got, q)
			}
			require.NoError(t, it.Err())
			require.NoError(t, it.Close())
			require.Equal(t, sortQuads(want), sortQuads(got))
			sz, err := qs.QuadIteratorSize(ctx, d, ref)
			require.NoError(t, err)
			require.Equal(t, int64(len(want)), sz.Value)
			require.True(t, sz.Exact)
		}
	}
	_, _, err := qs.Match(ctx, Pattern{Predicate: quad.IRI("p1")}, []byte("garbage"), 5)
	require.ErrorIs(t, err, ErrBadCursor)
	_, next, err := qs.Match(ctx, Pattern{Predicate: quad.IRI("p1")}, nil, 1)
	require.NoError(t, err)
	_, _, err = qs.Match(ctx, Pattern{Predicate: quad.IRI("p2")}, next, 1)
	require.ErrorIs(t, err, ErrBadCursor)
}

// TestOptimizeShape checks that several fixed quad filters become one scan
// and that a path query over it answers as before.
func TestOptimizeShape(t *testing.T) {
	ctx := context.Background()
	qs := openTest(t, "", Options{})
	require.NoError(t, qs.ApplyDeltas(adds(sample()...), graph.IgnoreOpts{}))
	s0, _ := qs.ValueOf(quad.IRI("s0"))
	p0, _ := qs.ValueOf(quad.IRI("p0"))
	sh := shape.Quads{{Dir: quad.Subject, Values: shape.Fixed{s0}}, {Dir: quad.Predicate, Values: shape.Fixed{p0}}}
	opt, ok := qs.OptimizeShape(ctx, sh)
	require.True(t, ok)
	require.IsType(t, scanOf{}, opt)
	got, err := path.StartPath(qs, quad.IRI("s0")).Out(quad.IRI("p0")).Iterate(ctx).AllValues(qs)
	require.NoError(t, err)
	var want []quad.Value
	for _, q := range sample() {
		if q.Subject == quad.IRI("s0") && q.Predicate == quad.IRI("p0") {
			want = append(want, q.Object)
		}
	}
	require.ElementsMatch(t, want, got)
}

// TestCountsAndNodes follows the exact counters and the dictionary
// through adds, duplicates, deletes and re-adds.
func TestCountsAndNodes(t *testing.T) {
	ctx := context.Background()
	qs := openTest(t, "", Options{})
	q1 := quad.MakeIRI("a", "p", "b", "g")
	q2 := quad.MakeIRI("a", "p", "c", "")
	q3 := quad.MakeIRI("b", "q", "c", "g")
	check := func(quads, nodes int64, preds map[string]int64) {
		t.Helper()
		st, err := qs.Stats(ctx, true)
		require.NoError(t, err)
		require.Equal(t, quads, st.Quads.Value)
		require.Equal(t, nodes, st.Nodes.Value)
		for p, n := range preds {
			c, err := qs.Count(ctx, Pattern{Predicate: quad.IRI(p)})
			require.NoError(t, err)
			require.Equal(t, n, c, "predicate %s", p)
		}
		var inDict int64
		it := qs.NodesAllIterator().Iterate()
		for it.Next(ctx) {
			inDict++
		}
		require.NoError(t, it.Close())
		require.Equal(t, nodes, inDict)
	}
	require.NoError(t, qs.ApplyDeltas(adds(q1, q2, q1), graph.IgnoreOpts{IgnoreDup: true}))
	check(2, 5, map[string]int64{"p": 2, "q": 0})
	err := qs.ApplyDeltas(adds(q3, q1), graph.IgnoreOpts{})
	require.True(t, graph.IsQuadExist(err), "%v", err)
	check(2, 5, map[string]int64{"p": 2, "q": 0}) // nothing of the failed call
	require.NoError(t, qs.ApplyDeltas(adds(q3), graph.IgnoreOpts{}))
	check(3, 6, map[string]int64{"p": 2, "q": 1})
	err = qs.ApplyDeltas(dels(q2, quad.MakeIRI("a", "p", "zzz", "")), graph.IgnoreOpts{})
	require.True(t, graph.IsQuadNotExist(err), "%v", err)
	check(3, 6, nil)
	require.NoError(t, qs.ApplyDeltas(dels(q2, q2), graph.IgnoreOpts{IgnoreMissing: true}))
	check(2, 6, map[string]int64{"p": 1}) // "c" is still the object of q3
	require.NoError(t, qs.ApplyDeltas(dels(q3), graph.IgnoreOpts{}))
	check(1, 4, map[string]int64{"q": 0}) // "q" and "c" are gone
	for _, v := range []string{"q", "c"} {
		ref, err := qs.ValueOf(quad.IRI(v))
		require.NoError(t, err)
		require.Nil(t, ref, v)
	}
	// Add and delete in one call; re-add a collected term (a new id).
	require.NoError(t, qs.ApplyDeltas(append(adds(q3), dels(q3)...), graph.IgnoreOpts{}))
	check(1, 4, map[string]int64{"q": 0})
	require.NoError(t, qs.ApplyDeltas(append(dels(q1), adds(q1, q3)...), graph.IgnoreOpts{}))
	check(2, 6, map[string]int64{"p": 1, "q": 1})
	got, _, err := qs.Match(ctx, Pattern{Object: quad.IRI("c")}, nil, 10)
	require.NoError(t, err)
	require.Equal(t, []quad.Quad{q3}, got)
	// An invalid delta is refused before anything is written.
	err = qs.ApplyDeltas([]graph.Delta{{Quad: q2, Action: graph.Add}, {Quad: quad.Quad{Subject: quad.IRI("x")}, Action: graph.Add}}, graph.IgnoreOpts{})
	require.Error(t, err)
	check(2, 6, nil)
}

// TestBatchingAcrossTransactions writes calls that need many Badger
// transactions: by BatchSize, and by Badger's size limit with a tiny
// memtable (no "Txn is too big").
func TestBatchingAcrossTransactions(t *testing.T) {
	ctx := context.Background()
	records := func(n, from int) []graph.Delta {
		var out []quad.Quad
		for i := from; i < from+n; i++ {
			out = append(out, credentialRecord(i)...)
		}
		return adds(out...)
	}
	for _, tc := range []struct {
		name string
		opts Options
		recs int
	}{
		{"BatchSize 3", Options{BatchSize: 3}, 20},
		{"BatchSize 1", Options{BatchSize: 1}, 5},
		{"1 MiB memtable", Options{MemTableSize: 1 << 20, BatchSize: 1 << 30}, 2000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qs := openTest(t, "", tc.opts)
			in := records(tc.recs, 0)
			require.NoError(t, qs.ApplyDeltas(in, graph.IgnoreOpts{}))
			n, err := qs.Count(ctx, Pattern{})
			require.NoError(t, err)
			require.Equal(t, int64(len(in)), n)
			n, err = qs.Count(ctx, Pattern{Predicate: quad.IRI(ceterms + "name")})
			require.NoError(t, err)
			require.Equal(t, int64(tc.recs), n)
			// A multi-transaction call that fails at its end writes nothing.
			bad := append(records(tc.recs, tc.recs), in[len(in)-1])
			err = qs.ApplyDeltas(bad, graph.IgnoreOpts{})
			require.True(t, graph.IsQuadExist(err), "%v", err)
			n, _ = qs.Count(ctx, Pattern{})
			require.Equal(t, int64(len(in)), n)
			// With IgnoreDup it goes in, and deleting it all empties the store.
			require.NoError(t, qs.ApplyDeltas(bad, graph.IgnoreOpts{IgnoreDup: true}))
			n, _ = qs.Count(ctx, Pattern{})
			require.Equal(t, int64(len(in)+len(bad)-1), n)
			all := append(records(2*tc.recs, 0), dels(quad.MakeIRI("no", "such", "quad", ""))...)
			for i := range all {
				all[i].Action = graph.Delete
			}
			err = qs.ApplyDeltas(all, graph.IgnoreOpts{})
			require.True(t, graph.IsQuadNotExist(err), "%v", err)
			n, _ = qs.Count(ctx, Pattern{})
			require.Equal(t, int64(len(in)+len(bad)-1), n)
			require.NoError(t, qs.ApplyDeltas(all, graph.IgnoreOpts{IgnoreMissing: true}))
			st, err := qs.Stats(ctx, true)
			require.NoError(t, err)
			require.Equal(t, int64(0), st.Quads.Value)
			require.Equal(t, int64(0), st.Nodes.Value)
		})
	}
	t.Run("quad writer", func(t *testing.T) {
		qs := openTest(t, "", Options{BatchSize: 7})
		w, err := qs.NewQuadWriter()
		require.NoError(t, err)
		var in []quad.Quad
		for i := range 10 {
			in = append(in, credentialRecord(i)...)
		}
		n, err := w.WriteQuads(append(in, in[0]))
		require.NoError(t, err)
		require.Equal(t, len(in)+1, n)
		require.NoError(t, w.Close())
		c, _ := qs.Count(ctx, Pattern{})
		require.Equal(t, int64(len(in)), c)
	})
}

func TestApplyDeltasAtomic(t *testing.T) {
	ctx := context.Background()
	qs := openTest(t, "", Options{BatchSize: 20})
	in := adds(credentialRecord(1)...)
	require.NoError(t, qs.ApplyDeltasAtomic(in, graph.IgnoreOpts{}))
	more := adds(append(credentialRecord(2), credentialRecord(3)...)...)
	err := qs.ApplyDeltasAtomic(more, graph.IgnoreOpts{IgnoreDup: true, IgnoreMissing: true})
	require.ErrorIs(t, err, ErrTooBig)
	n, _ := qs.Count(ctx, Pattern{})
	require.Equal(t, int64(len(in)), n)
	// Replacing a record: its removals and additions in one call.
	repl := append(dels(credentialRecord(1)...), adds(credentialRecord(1)[:3]...)...)
	repl[0].Action = graph.Add // the type statement stays: added back at once
	require.True(t, graph.IsQuadExist(qs.ApplyDeltasAtomic(repl, graph.IgnoreOpts{})))
	repl = append(dels(credentialRecord(1)[1:]...), adds(credentialRecord(1)[1:3]...)...)
	require.NoError(t, qs.ApplyDeltasAtomic(repl, graph.IgnoreOpts{}))
	got, _, err := qs.Match(ctx, Pattern{Label: credentialRecord(1)[0].Label}, nil, 100)
	require.NoError(t, err)
	require.Equal(t, sortQuads(credentialRecord(1)[:3]), sortQuads(got))
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	qs, err := Open(dir, Options{})
	require.NoError(t, err)
	data := sample()
	require.NoError(t, qs.ApplyDeltas(adds(data...), graph.IgnoreOpts{}))
	require.NoError(t, qs.ApplyDeltas(dels(data[0]), graph.IgnoreOpts{}))
	st1, _ := qs.Stats(ctx, true)
	next := qs.nextID
	require.NoError(t, qs.Close())
	require.NoError(t, qs.Close())

	qs, err = Open(dir, Options{})
	require.NoError(t, err)
	defer qs.Close()
	st2, _ := qs.Stats(ctx, true)
	require.Equal(t, st1, st2)
	require.Equal(t, next, qs.nextID)
	got, _, err := qs.Match(ctx, Pattern{}, nil, 100)
	require.NoError(t, err)
	require.Equal(t, sortQuads(data[1:]), sortQuads(got))
	n, err := qs.Count(ctx, Pattern{Predicate: data[1].Predicate})
	require.NoError(t, err)
	var want int64
	for _, q := range data[1:] {
		if q.Predicate == data[1].Predicate {
			want++
		}
	}
	require.Equal(t, want, n)
	// New terms get new ids, never reused ones.
	require.NoError(t, qs.ApplyDeltas(adds(quad.MakeIRI("new", "p0", "x", "")), graph.IgnoreOpts{}))
	ref, _ := qs.ValueOf(quad.IRI("new"))
	require.GreaterOrEqual(t, uint64(ref.(NodeRef)), next)
}

func TestLayoutVersion(t *testing.T) {
	raw := func(t *testing.T, dir string, fn func(txn *badger.Txn) error) {
		db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
		require.NoError(t, err)
		require.NoError(t, db.Update(fn))
		require.NoError(t, db.Close())
	}
	t.Run("other version", func(t *testing.T) {
		dir := t.TempDir()
		qs, err := Open(dir, Options{NoSync: true})
		require.NoError(t, err)
		require.NoError(t, qs.Close())
		raw(t, dir, func(txn *badger.Txn) error { return txn.Set(keyLayout, []byte("credreg-quadstore 99")) })
		_, err = Open(dir, Options{})
		require.ErrorIs(t, err, ErrLayout)
		require.ErrorContains(t, err, `"credreg-quadstore 99"`)
	})
	t.Run("no layout key", func(t *testing.T) {
		dir := t.TempDir()
		raw(t, dir, func(txn *badger.Txn) error { return txn.Set([]byte("meta/version"), []byte("2")) })
		_, err := Open(dir, Options{})
		require.ErrorIs(t, err, ErrLayout)
		require.ErrorContains(t, err, "without a credreg-quadstore layout key")
	})
}

func TestCayleyRegistration(t *testing.T) {
	dir := t.TempDir()
	_, err := graph.NewQuadStore(Name, dir, nil)
	require.ErrorIs(t, err, graph.ErrNotInitialized)
	opts := graph.Options{OptNoSync: true, OptBatchSize: 2}
	require.NoError(t, graph.InitQuadStore(Name, dir, opts))
	require.ErrorIs(t, graph.InitQuadStore(Name, dir, opts), graph.ErrDatabaseExists)
	qs, err := graph.NewQuadStore(Name, dir, opts)
	require.NoError(t, err)
	defer qs.Close()
	require.Equal(t, 2, qs.(*QuadStore).batch)
	require.NoError(t, qs.ApplyDeltas(adds(sample()...), graph.IgnoreOpts{}))
	_, err = graph.NewQuadStore(Name, t.TempDir(), graph.Options{OptBatchSize: "x"})
	require.Error(t, err)
	require.True(t, errors.Is(graph.InitQuadStore(Name, "", nil), err) || graph.InitQuadStore(Name, "", nil) != nil)
}
