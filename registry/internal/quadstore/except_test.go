package quadstore

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/quad"
	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"
)

// exceptData is statements in record graphs r0..r5, in two bookkeeping
// graphs (bk:a, bk:b) and the default graph, sharing subjects, predicates
// and objects (IRIs, plain, language and typed literals) across them.
func exceptData() []quad.Quad {
	var out []quad.Quad
	objects := []quad.Value{
		quad.IRI("o:shared"), quad.String("plain"), quad.LangString{Value: "Zertifikat", Lang: "de"},
		quad.TypedString{Value: "2025", Type: "http://www.w3.org/2001/XMLSchema#gYear"},
	}
	graphs := []quad.Value{quad.IRI("r0"), quad.IRI("r1"), quad.IRI("bk:a"), quad.IRI("r2"), quad.IRI("bk:b"), nil, quad.IRI("r3")}
	for i := range 140 {
		s := quad.IRI(fmt.Sprintf("s%d", i%9))
		p := quad.IRI(fmt.Sprintf("p%d", i%4))
		o := objects[i%len(objects)]
		if i%5 == 0 {
			o = quad.String(fmt.Sprintf("v%d", i))
		}
		out = append(out, quad.Quad{Subject: s, Predicate: p, Object: o, Label: graphs[(i/3)%len(graphs)]})
	}
	return out
}

// sortFull sorts statements by all four terms (sortQuads leaves the
// graph out).
func sortFull(qs []quad.Quad) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = fmt.Sprintf("%v|%v|%v|%v", q.Subject, q.Predicate, q.Object, q.Label)
	}
	sort.Strings(out)
	return out
}

var exceptGraphs = []quad.Value{quad.IRI("bk:a"), quad.IRI("bk:b"), nil, quad.IRI("bk:never")}

func excluded(q quad.Quad, except []quad.Value) bool {
	for _, g := range except {
		if g == q.Label {
			return true
		}
	}
	return false
}

// exceptPatterns are every kind of pattern, each binding the terms of some
// statement of data, with and without a graph, excluding except.
func exceptPatterns(data []quad.Quad, except []quad.Value) map[string]Pattern {
	out := map[string]Pattern{"unbound": {Except: except}}
	names := []string{"S", "P", "O", "G"}
	for i, q := range data {
		for mask := 1; mask < 16; mask++ {
			p := Pattern{Except: except}
			name := ""
			for k, v := range []quad.Value{q.Subject, q.Predicate, q.Object, q.Label} {
				if mask&(1<<k) == 0 {
					continue
				}
				name += names[k]
				switch k {
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
			out[fmt.Sprintf("%s/%d", name, i%7)] = p
		}
	}
	out["P-unknown"] = Pattern{Predicate: quad.IRI("p:none"), Except: except}
	out["O-lang-other"] = Pattern{Object: quad.LangString{Value: "Zertifikat", Lang: "fr"}, Except: except}
	return out
}

// checkExcept compares Count, paged Match and Scan of every pattern kind
// with a filter of data (the brute force).
func checkExcept(t *testing.T, qs *QuadStore, data []quad.Quad, except []quad.Value) {
	t.Helper()
	ctx := context.Background()
	for name, p := range exceptPatterns(data, except) {
		var want []quad.Quad
		for _, q := range data {
			if matches(p, q) && (p.Label != nil || p.DefaultGraph || !excluded(q, except)) {
				want = append(want, q)
			}
		}
		n, err := qs.Count(ctx, p)
		require.NoError(t, err)
		require.Equal(t, int64(len(want)), n, "count %s %+v", name, p)
		for _, limit := range []int{1, 7, 1000} {
			var got []quad.Quad
			seen := map[string]bool{}
			var after []byte
			for pages := 0; ; pages++ {
				page, next, err := qs.Match(ctx, p, after, limit)
				require.NoError(t, err)
				for _, q := range page {
					k := fmt.Sprintf("%v|%v|%v|%v", q.Subject, q.Predicate, q.Object, q.Label)
					require.False(t, seen[k], "%s: %v twice", name, q)
					seen[k] = true
				}
				got = append(got, page...)
				if next == nil {
					break
				}
				require.Len(t, page, limit)
				after = next
				require.Less(t, pages, 1000)
			}
			require.Equal(t, sortFull(want), sortFull(got), "match %s limit %d", name, limit)
		}
		// Skip ends where a page of the same length ends.
		for _, k := range []int{1, 3, len(want) - 1, len(want), len(want) + 1} {
			if k <= 0 {
				continue
			}
			cursor, passed, err := qs.Skip(ctx, p, nil, k)
			require.NoError(t, err)
			page, next, err := qs.Match(ctx, p, nil, k)
			require.NoError(t, err)
			if k > len(want) {
				require.Nil(t, cursor, "skip %s past the end", name)
				require.Equal(t, len(want), passed)
				continue
			}
			require.Equal(t, k, passed)
			require.Len(t, page, k)
			if next != nil {
				require.Equal(t, next, cursor, "skip %s %d", name, k)
				rest, _, err := qs.Match(ctx, p, cursor, 1000)
				require.NoError(t, err)
				require.Len(t, rest, len(want)-k)
			}
		}
		var got []quad.Quad
		require.NoError(t, qs.Scan(ctx, p, 0, func(q quad.Quad) error {
			got = append(got, q)
			return nil
		}))
		require.Equal(t, sortFull(want), sortFull(got), "scan %s", name)
	}
}

// TestExceptEveryPattern: with and without counted graphs, after adds and
// deletes, every pattern kind leaving out some graphs counts and pages
// exactly what a filter of the data finds.
func TestExceptEveryPattern(t *testing.T) {
	data := exceptData()
	for _, counted := range [][]quad.Value{nil, {quad.IRI("bk:a"), quad.IRI("bk:b"), nil}, {quad.IRI("bk:a")}} {
		t.Run(fmt.Sprint(len(counted)), func(t *testing.T) {
			qs := openTest(t, "", Options{CountedGraphs: counted})
			require.NoError(t, qs.ApplyDeltas(adds(data...), graph.IgnoreOpts{}))
			checkShape(t, qs)
			checkExcept(t, qs, data, nil)
			checkExcept(t, qs, data, exceptGraphs)
			checkExcept(t, qs, data, exceptGraphs[:1])
			// Delete a third, in several transactions.
			var keep, gone []quad.Quad
			for i, q := range data {
				if i%3 == 1 {
					gone = append(gone, q)
				} else {
					keep = append(keep, q)
				}
			}
			for i := 0; i < len(gone); i += 10 {
				require.NoError(t, qs.ApplyDeltasAtomic(dels(gone[i:min(i+10, len(gone))]...), graph.IgnoreOpts{}))
			}
			checkExcept(t, qs, keep, exceptGraphs)
			checkExcept(t, qs, keep, nil)
			checkShape(t, qs)
			// Every statement of bk:b goes: its term and counters go too.
			var bk, rest []quad.Quad
			for _, q := range keep {
				if q.Label == quad.IRI("bk:b") {
					bk = append(bk, q)
				} else {
					rest = append(rest, q)
				}
			}
			require.NotEmpty(t, bk)
			require.NoError(t, qs.ApplyDeltas(dels(bk...), graph.IgnoreOpts{}))
			checkExcept(t, qs, rest, exceptGraphs)
			require.NoError(t, qs.ApplyDeltas(adds(bk...), graph.IgnoreOpts{}))
			checkExcept(t, qs, keep, exceptGraphs)
		})
	}
}

// TestCountedGraphCounters: the counters of counted graphs equal a count
// of their keys after writes, after a reopen with another set (counted
// anew), and after an upgrade from layout 1 (which had none); Count of an
// Except pattern reads them rather than scanning.
func TestCountedGraphCounters(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := exceptData()
	counted := []quad.Value{quad.IRI("bk:a"), quad.IRI("bk:b"), nil}
	qs := openTest(t, dir, Options{CountedGraphs: counted})
	require.NoError(t, qs.ApplyDeltas(adds(data...), graph.IgnoreOpts{}))
	check := func(qs *QuadStore, graphs []quad.Value) {
		t.Helper()
		for _, g := range graphs {
			byPred := map[quad.Value]int64{}
			total := int64(0)
			for _, q := range data {
				if q.Label == g {
					byPred[q.Predicate]++
					total++
				}
			}
			n, err := qs.Count(ctx, Pattern{Label: g, DefaultGraph: g == nil})
			require.NoError(t, err)
			require.Equal(t, total, n, "graph %v", g)
			for p, want := range byPred {
				n, err := qs.Count(ctx, Pattern{Label: g, DefaultGraph: g == nil, Predicate: p})
				require.NoError(t, err)
				require.Equal(t, want, n, "graph %v predicate %v", g, p)
			}
		}
		checkExcept(t, qs, data, exceptGraphs)
	}
	check(qs, counted)
	// The counters are what Count reads: a wrong one shows.
	bkA, err := qs.ValueOf(quad.IRI("bk:a"))
	require.NoError(t, err)
	require.NoError(t, qs.db.Update(func(txn *badger.Txn) error {
		return txn.Set(graphCountKey(uint64(bkA.(NodeRef))), idBytes(1))
	}))
	n, err := qs.Count(ctx, Pattern{Label: quad.IRI("bk:a")})
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
	require.NoError(t, qs.Close())

	// Another set: counted anew (the corrupt counter goes).
	qs = openTest(t, dir, Options{CountedGraphs: counted[:2]})
	check(qs, counted[:2])
	require.NoError(t, qs.Close())
	// nil keeps the stored set.
	qs = openTest(t, dir, Options{})
	require.Equal(t, countedSet{"Ibk:a": true, "Ibk:b": true}, qs.counted)
	require.NoError(t, qs.Close())

	// A layout 1 store: no counters, no "mcounted". Open upgrades it.
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	require.NoError(t, err)
	require.NoError(t, db.DropPrefix(append([][]byte{pfxGraphCount, pfxGPCount, keyCounted}, objectCounterPrefixes...)...))
	require.NoError(t, db.Update(func(txn *badger.Txn) error { return txn.Set(keyLayout, []byte("credreg-quadstore 1")) }))
	require.NoError(t, db.Close())
	_, err = Open(dir, Options{ReadOnly: true})
	require.ErrorIs(t, err, ErrLayout)
	qs = openTest(t, dir, Options{CountedGraphs: counted})
	check(qs, counted)
	require.Equal(t, Layout(), "credreg-quadstore 5")
	checkObjectCounters(t, qs)
	require.NoError(t, qs.Close())
	qs = openTest(t, dir, Options{ReadOnly: true})
	check(qs, counted)
}

// TestScanReadsTermsEitherWay: Scan gives the same statements whether it
// reads the terms of a few statements into a map, or of a chunk by point
// reads or in one pass over the dictionary into a table by id, for every
// set of wanted positions.
func TestScanReadsTermsEitherWay(t *testing.T) {
	ctx := context.Background()
	qs := openTest(t, "", Options{})
	data := exceptData()
	require.NoError(t, qs.ApplyDeltas(adds(data...), graph.IgnoreOpts{}))
	oldSeq, oldChunk := scanSequential, scanChunk
	defer func() { scanSequential, scanChunk = oldSeq, oldChunk }()
	scan := func(p Pattern, want uint8) []string {
		var got []quad.Quad
		require.NoError(t, qs.Scan(ctx, p, want, func(q quad.Quad) error {
			got = append(got, q)
			return nil
		}))
		return sortFull(got)
	}
	for _, p := range []Pattern{{}, {Except: exceptGraphs}, {Predicate: quad.IRI("p1")}} {
		for want := uint8(1); want < 16; want++ {
			scanSequential, scanChunk = oldSeq, oldChunk
			points := scan(p, want)
			// Chunks of 7: 28 terms at most, past 4×scanSequential (the
			// map of a few statements' terms), then read one by one into
			// the bitset's map (20) or in one dictionary pass (0).
			for _, seq := range []int{20, 0} {
				scanSequential, scanChunk = seq, 7
				require.Equal(t, points, scan(p, want), "pattern %+v want %04b sequential %d", p, want, seq)
			}
		}
	}
}
