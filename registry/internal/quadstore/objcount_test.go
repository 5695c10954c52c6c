package quadstore

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/quad"
	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"
)

// storedCounters reads every object counter of the store, by key.
func storedCounters(t *testing.T, qs *QuadStore) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	require.NoError(t, qs.db.View(func(txn *badger.Txn) error {
		for _, pfx := range objectCounterPrefixes {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: pfx})
			for it.Seek(pfx); it.ValidForPrefix(pfx); it.Next() {
				v, err := it.Item().ValueCopy(nil)
				if err != nil {
					it.Close()
					return err
				}
				out[string(it.Item().KeyCopy(nil))] = binary.BigEndian.Uint64(v)
			}
			it.Close()
		}
		return nil
	}))
	return out
}

// checkObjectCounters compares the store's object counters with a count
// of its statements (brute force): the same keys, the same values, no
// zero counter; and Count of every IRI object, alone, with its
// predicates, with the counted graphs excluded and in each counted graph,
// with a filter over every statement.
func checkObjectCounters(t *testing.T, qs *QuadStore) {
	t.Helper()
	ctx := context.Background()
	var all []quad.Quad
	require.NoError(t, qs.Scan(ctx, Pattern{}, 0, func(q quad.Quad) error { all = append(all, q); return nil }))
	id := func(v quad.Value) uint64 {
		if v == nil {
			return 0
		}
		r, err := qs.ValueOf(v)
		require.NoError(t, err)
		require.NotNil(t, r, "%v", v)
		return uint64(r.(NodeRef))
	}
	var counted []quad.Value
	for enc := range qs.counted {
		if enc == "" {
			counted = append(counted, nil)
			continue
		}
		v, err := decodeTerm([]byte(enc))
		require.NoError(t, err)
		counted = append(counted, v)
	}
	isCounted := func(g quad.Value) bool {
		for _, c := range counted {
			if c == g {
				return true
			}
		}
		return false
	}
	want := map[string]uint64{}
	objects := map[quad.Value]bool{}
	pairs := map[[2]quad.Value]bool{}
	for _, q := range all {
		if _, ok := q.Object.(quad.IRI); !ok {
			continue
		}
		objects[q.Object] = true
		pairs[[2]quad.Value{q.Predicate, q.Object}] = true
		p, o, g := id(q.Predicate), id(q.Object), id(q.Label)
		want[string(objCountKey(o))]++
		want[string(poCountKey([2]uint64{p, o}))]++
		if isCounted(q.Label) {
			want[string(goCountKey([2]uint64{g, o}))]++
			want[string(gpoCountKey([3]uint64{g, p, o}))]++
		}
	}
	require.Equal(t, want, storedCounters(t, qs), "object counters")
	brute := func(p Pattern) int64 {
		n := int64(0)
		for _, q := range all {
			if matches(p, q) && !(p.Label == nil && !p.DefaultGraph && excluded(q, p.Except)) {
				n++
			}
		}
		return n
	}
	check := func(p Pattern) {
		n, err := qs.Count(ctx, p)
		require.NoError(t, err)
		require.Equal(t, brute(p), n, "Count %+v", p)
	}
	for o := range objects {
		check(Pattern{Object: o})
		check(Pattern{Object: o, Except: counted})
		for _, g := range counted {
			check(Pattern{Object: o, Label: g, DefaultGraph: g == nil})
		}
	}
	for po := range pairs {
		check(Pattern{Predicate: po[0], Object: po[1]})
		check(Pattern{Predicate: po[0], Object: po[1], Except: counted})
		for _, g := range counted {
			check(Pattern{Predicate: po[0], Object: po[1], Label: g, DefaultGraph: g == nil})
		}
	}
}

// randomDeltas are n random adds and deletes over a small set of terms:
// IRI, literal and blank-node objects, in the default graph, counted
// graphs and others, so that counters rise, fall to zero and terms come
// and go.
func randomDeltas(r *rand.Rand, n int) []graph.Delta {
	objects := []quad.Value{quad.IRI("o:popular"), quad.IRI("o:a"), quad.IRI("o:b"), quad.IRI("p:x"), quad.String("lit"), quad.Int(7), quad.BNode("b1")}
	graphs := []quad.Value{nil, quad.IRI("bk:a"), quad.IRI("bk:b"), quad.IRI("g:1"), quad.IRI("g:2")}
	out := make([]graph.Delta, n)
	for i := range out {
		q := quad.Quad{
			Subject:   quad.IRI(fmt.Sprintf("s:%d", r.IntN(6))),
			Predicate: quad.IRI(fmt.Sprintf("p:%d", r.IntN(3))),
			Object:    objects[r.IntN(len(objects))],
			Label:     graphs[r.IntN(len(graphs))],
		}
		if r.IntN(4) == 0 {
			q.Object = quad.IRI(fmt.Sprintf("o:fresh%d", r.IntN(50)))
		}
		out[i] = graph.Delta{Quad: q, Action: graph.Add}
		if r.IntN(3) == 0 {
			out[i].Action = graph.Delete
		}
	}
	return out
}

// TestObjectCountersRandom: after random writes and removes, in calls of
// one or many transactions, the object counters equal a count of the
// statements, and Count of IRI-object patterns agrees with brute force;
// also after a reopen and after the counted graphs change.
func TestObjectCountersRandom(t *testing.T) {
	counted := []quad.Value{quad.IRI("bk:a"), quad.IRI("bk:b"), nil}
	for _, tc := range []struct {
		name  string
		batch int
		calls int
		size  int
	}{
		{"one delta per transaction", 1, 10, 30},
		{"small transactions", 7, 20, 60},
		{"one transaction per call", 0, 40, 40},
		{"large calls", 0, 5, 2000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			r := rand.New(rand.NewPCG(uint64(tc.batch), uint64(tc.calls)))
			qs := openTest(t, dir, Options{CountedGraphs: counted, BatchSize: tc.batch})
			for i := range tc.calls {
				require.NoError(t, qs.ApplyDeltas(randomDeltas(r, tc.size), graph.IgnoreOpts{IgnoreDup: true, IgnoreMissing: true}))
				if i%5 == 4 || i == tc.calls-1 {
					checkObjectCounters(t, qs)
				}
			}
			// Atomic replacements keep them too.
			if tc.batch != 0 {
				return
			}
			var live []quad.Quad
			require.NoError(t, qs.Scan(context.Background(), Pattern{Object: quad.IRI("o:popular")}, 0, func(q quad.Quad) error { live = append(live, q); return nil }))
			require.NoError(t, qs.Replace(live, []quad.Quad{quad.MakeIRI("s:new", "p:0", "o:popular", "bk:a")}))
			checkObjectCounters(t, qs)
			require.NoError(t, qs.Close())
			qs = openTest(t, dir, Options{CountedGraphs: counted[:1], BatchSize: tc.batch})
			checkObjectCounters(t, qs)
			require.NoError(t, qs.ApplyDeltas(randomDeltas(r, tc.size), graph.IgnoreOpts{IgnoreDup: true, IgnoreMissing: true}))
			checkObjectCounters(t, qs)
		})
	}
}

// TestCountReadsObjectCounters: Count of an IRI-object pattern is what
// the counters say (a wrong counter shows), a literal object's is counted
// from keys, and a cayley iterator's size of an IRI object is exact.
func TestCountReadsObjectCounters(t *testing.T) {
	ctx := context.Background()
	qs := openTest(t, "", Options{CountedGraphs: []quad.Value{quad.IRI("bk:a"), nil}})
	data := []quad.Quad{
		quad.MakeIRI("s1", "type", "C", "g1"),
		quad.MakeIRI("s2", "type", "C", "g2"),
		quad.MakeIRI("s3", "other", "C", "g2"),
		quad.MakeIRI("s1", "type", "C", "bk:a"),
		quad.MakeIRI("s1", "type", "C", ""),
		{Subject: quad.IRI("s1"), Predicate: quad.IRI("name"), Object: quad.String("C"), Label: quad.IRI("g1")},
	}
	require.NoError(t, qs.ApplyDeltas(adds(data...), graph.IgnoreOpts{}))
	except := []quad.Value{quad.IRI("bk:a"), nil}
	for _, tc := range []struct {
		p    Pattern
		want int64
	}{
		{Pattern{Object: quad.IRI("C")}, 5},
		{Pattern{Object: quad.IRI("C"), Except: except}, 3},
		{Pattern{Predicate: quad.IRI("type"), Object: quad.IRI("C")}, 4},
		{Pattern{Predicate: quad.IRI("type"), Object: quad.IRI("C"), Except: except}, 2},
		{Pattern{Object: quad.IRI("C"), Label: quad.IRI("bk:a")}, 1},
		{Pattern{Predicate: quad.IRI("type"), Object: quad.IRI("C"), DefaultGraph: true}, 1},
		{Pattern{Object: quad.String("C"), Except: except}, 1},
		// Not all excluded graphs counted: keys are counted.
		{Pattern{Object: quad.IRI("C"), Except: []quad.Value{quad.IRI("g2")}}, 3},
	} {
		n, err := qs.Count(ctx, tc.p)
		require.NoError(t, err)
		require.Equal(t, tc.want, n, "%+v", tc.p)
	}
	c, err := qs.ValueOf(quad.IRI("C"))
	require.NoError(t, err)
	sz, err := qs.QuadIteratorSize(ctx, quad.Object, c)
	require.NoError(t, err)
	require.Equal(t, int64(5), sz.Value)
	require.True(t, sz.Exact)
	// A wrong counter shows: Count reads it.
	require.NoError(t, qs.db.Update(func(txn *badger.Txn) error {
		return txn.Set(objCountKey(uint64(c.(NodeRef))), idBytes(1000))
	}))
	n, err := qs.Count(ctx, Pattern{Object: quad.IRI("C"), Except: except})
	require.NoError(t, err)
	require.Equal(t, int64(998), n)
}

// v3Store makes a store as layout 3 wrote it (this package's writes
// without the object counters, the layout key "credreg-quadstore 3"), or,
// with partial set, as an upgrade cut short left it: some object counters
// written, one of them wrong.
func v3Store(t *testing.T, dir string, counted []quad.Value, partial bool) {
	t.Helper()
	qs := openTest(t, dir, Options{CountedGraphs: counted})
	r := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		require.NoError(t, qs.ApplyDeltas(randomDeltas(r, 100), graph.IgnoreOpts{IgnoreDup: true, IgnoreMissing: true}))
	}
	loadRecords(t, qs, 0, 50)
	require.NoError(t, qs.Close())
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	require.NoError(t, err)
	require.NoError(t, db.DropPrefix(objectCounterPrefixes...))
	require.NoError(t, db.Update(func(txn *badger.Txn) error {
		if partial {
			if err := txn.Set(objCountKey(1), idBytes(12345)); err != nil {
				return err
			}
			if err := txn.Set(poCountKey([2]uint64{1 << 40, 1}), idBytes(1)); err != nil {
				return err
			}
		}
		return txn.Set(keyLayout, []byte(layoutV3))
	}))
	require.NoError(t, db.Close())
}

// TestUpgradeCountsObjects: a layout 3 store opens upgraded to layout 4
// with its object counters counted (a read-only open refuses it); an
// upgrade cut short (stray counters, the layout key still 3) is redone by
// the next open; writes go on keeping the counters.
func TestUpgradeCountsObjects(t *testing.T) {
	counted := []quad.Value{quad.IRI("bk:a"), quad.IRI("bk:b"), nil}
	for _, partial := range []bool{false, true} {
		t.Run(strconv.FormatBool(partial), func(t *testing.T) {
			dir := t.TempDir()
			v3Store(t, dir, counted, partial)
			_, err := Open(dir, Options{ReadOnly: true})
			require.ErrorIs(t, err, ErrLayout)
			qs := openTest(t, dir, Options{CountedGraphs: counted})
			var layout []byte
			require.NoError(t, qs.db.View(func(txn *badger.Txn) error {
				item, err := txn.Get(keyLayout)
				if err == nil {
					layout, err = item.ValueCopy(nil)
				}
				return err
			}))
			require.Equal(t, Layout(), string(layout))
			checkObjectCounters(t, qs)
			require.NoError(t, qs.ApplyDeltas(randomDeltas(rand.New(rand.NewPCG(5, 6)), 300), graph.IgnoreOpts{IgnoreDup: true, IgnoreMissing: true}))
			checkObjectCounters(t, qs)
			require.NoError(t, qs.Close())
			qs = openTest(t, dir, Options{ReadOnly: true})
			checkObjectCounters(t, qs)
		})
	}
}

// TestObjectCountersSurviveKill9 runs a child process that writes random
// calls of several transactions each and is killed with SIGKILL in the
// middle of one. The store opens, and its object counters equal a count
// of its statements (they are written in the statements' transactions).
func TestObjectCountersSurviveKill9(t *testing.T) {
	if dir := os.Getenv("CREDREG_OBJCOUNT_CHILD"); dir != "" {
		objcountChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("writes until killed")
	}
	for round := range 2 {
		t.Run(strconv.Itoa(round), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestObjectCountersSurviveKill9$", "-test.count=1")
			cmd.Env = append(os.Environ(), "CREDREG_OBJCOUNT_CHILD="+dir)
			out, err := cmd.StdoutPipe()
			require.NoError(t, err)
			cmd.Stderr = os.Stderr
			require.NoError(t, cmd.Start())
			killAt := 3 + 5*round
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if n, ok := strings.CutPrefix(sc.Text(), "call "); ok {
					if i, _ := strconv.Atoi(n); i >= killAt {
						break
					}
				}
			}
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			_ = cmd.Wait()
			qs := openTest(t, dir, Options{CountedGraphs: []quad.Value{quad.IRI("bk:a"), nil}})
			checkObjectCounters(t, qs)
		})
	}
}

// objcountChild writes random calls (each several transactions) until
// killed, printing the number of each call as it starts.
func objcountChild(dir string) {
	qs, err := Open(dir, Options{CountedGraphs: []quad.Value{quad.IRI("bk:a"), nil}, BatchSize: 50, MemTableSize: 4 << 20})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; ; i++ {
		fmt.Printf("call %d\n", i)
		if err := qs.ApplyDeltas(randomDeltas(r, 5000), graph.IgnoreOpts{IgnoreDup: true, IgnoreMissing: true}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}
