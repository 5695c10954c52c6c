package quadstore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/quad"
	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"
)

// journalOpts make a store whose transactions hold about 1,600 entries:
// a replacement of a few dozen records does not fit one.
var journalOpts = Options{MemTableSize: 1 << 20, BatchSize: 1 << 30, CountedGraphs: []quad.Value{quad.IRI("bk:log")}}

// journalWrite is a big atomic write over a store holding records 0–199:
// records 0–99 replaced by a new version, 100 new records (200–299), and a
// change-log statement per record in the counted graph.
func journalWrite() (seed, remove, add []quad.Quad) {
	for i := range 200 {
		seed = append(seed, credentialRecord(i)...)
	}
	for i := range 100 {
		old := credentialRecord(i)
		remove = append(remove, old...)
		for _, q := range old {
			if q.Predicate == quad.IRI(ceterms+"name") {
				q.Object = quad.LangString{Value: quad.String(fmt.Sprintf("Renamed credential %d", i)), Lang: "en"}
			}
			add = append(add, q)
		}
	}
	for i := 200; i < 300; i++ {
		add = append(add, credentialRecord(i)...)
	}
	for i := range 300 {
		add = append(add, quad.Quad{Subject: quad.IRI(fmt.Sprintf("bk:change/%d", i)), Predicate: quad.IRI("bk:record"),
			Object: credentialRecord(i)[0].Subject, Label: quad.IRI("bk:log")})
	}
	return seed, remove, add
}

// storeState is what a test compares of two stores: every statement
// (sorted), Stats and the count of each predicate.
func storeState(t *testing.T, qs *QuadStore) []string {
	t.Helper()
	ctx := context.Background()
	var all []quad.Quad
	require.NoError(t, qs.Scan(ctx, Pattern{}, 0, func(q quad.Quad) error { all = append(all, q); return nil }))
	out := sortFull(all)
	st, err := qs.Stats(ctx, true)
	require.NoError(t, err)
	out = append(out, fmt.Sprintf("stats %d quads %d nodes", st.Quads.Value, st.Nodes.Value))
	preds := map[quad.Value]bool{}
	for _, q := range all {
		preds[q.Predicate] = true
	}
	for _, p := range slices.SortedFunc(maps.Keys(preds), func(a, b quad.Value) int { return strings.Compare(a.String(), b.String()) }) {
		n, err := qs.Count(ctx, Pattern{Predicate: p})
		require.NoError(t, err)
		m, err := qs.Count(ctx, Pattern{Predicate: p, Except: journalOpts.CountedGraphs})
		require.NoError(t, err)
		out = append(out, fmt.Sprintf("count %v: %d, %d without the log", p, n, m))
	}
	return out
}

// wantState is the state of journalWrite written on a store whose
// memtable holds it in one transaction.
func wantState(t *testing.T) []string {
	seed, remove, add := journalWrite()
	opts := journalOpts
	opts.MemTableSize = 64 << 20
	qs := openTest(t, "", opts)
	require.NoError(t, qs.ApplyDeltas(adds(seed...), graph.IgnoreOpts{}))
	require.NoError(t, qs.Replace(remove, add))
	return storeState(t, qs)
}

// seededStore opens a store in dir with journalOpts, holding seed. The
// caller closes it (a test reopens the same directory).
func seededStore(t *testing.T, dir string, seed []quad.Quad) *QuadStore {
	t.Helper()
	qs, err := Open(dir, journalOpts)
	require.NoError(t, err)
	require.NoError(t, qs.ApplyDeltas(adds(seed...), graph.IgnoreOpts{}))
	return qs
}

func checkNoJournal(t *testing.T, qs *QuadStore) {
	t.Helper()
	require.NoError(t, qs.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: keyJournal})
		defer it.Close()
		it.Rewind()
		require.False(t, it.Valid(), "a journal key is left: %q", func() []byte {
			if it.Valid() {
				return it.Item().KeyCopy(nil)
			}
			return nil
		}())
		return nil
	}))
}

// TestJournalledWrite: an atomic write too big for one Badger transaction
// lands whole, as the same write in one transaction would, and readers
// meanwhile see the store before it or after it, never a part.
func TestJournalledWrite(t *testing.T) {
	ctx := context.Background()
	want := wantState(t)
	seed, remove, add := journalWrite()
	qs := openTest(t, "", journalOpts)
	require.NoError(t, qs.ApplyDeltas(adds(seed...), graph.IgnoreOpts{}))
	before, err := qs.Count(ctx, Pattern{})
	require.NoError(t, err)
	after := before - int64(len(remove)) + int64(len(add))

	chunks := 0
	qs.afterChunk = func() error { chunks++; return nil }
	var seen sync.Map
	stop := whileReading(2, func() error {
		n, err := qs.Count(ctx, Pattern{})
		if err != nil {
			return err
		}
		// A scan of a replaced record's graph, too.
		var names int
		err = qs.Scan(ctx, Pattern{Label: credentialRecord(7)[0].Label}, 0, func(q quad.Quad) error {
			if q.Predicate == quad.IRI(ceterms+"name") {
				names++
			}
			return nil
		})
		if err != nil {
			return err
		}
		seen.Store(fmt.Sprintf("count %d, names %d", n, names), true)
		return nil
	})
	require.NoError(t, qs.Replace(remove, add))
	require.NoError(t, stop())
	require.Greater(t, chunks, 3, "the write should have needed several transactions")
	seen.Range(func(k, _ any) bool {
		s := k.(string)
		require.Contains(t, []string{fmt.Sprintf("count %d, names 1", before), fmt.Sprintf("count %d, names 1", after)}, s)
		return true
	})
	require.Equal(t, want, storeState(t, qs))
	checkShape(t, qs)
	checkObjectCounters(t, qs)
	checkNoJournal(t, qs)

	// The precondition is checked whole: a statement to remove that is not
	// stored, even at the end, refuses the write and writes nothing.
	_, _, again := journalWrite()
	err = qs.Replace(append(add[:len(add):len(add)], quad.Quad{Subject: quad.IRI("no:such"), Predicate: quad.IRI("no:p"), Object: quad.String("x")}), again)
	require.ErrorIs(t, err, ErrPrecondition)
	require.Equal(t, want, storeState(t, qs))
	checkNoJournal(t, qs)
}

// TestJournalFinishedAtOpen: a journalled write cut short after some of
// its transactions (as by a crash) is finished by the next Open, to the
// state the whole write gives; a journal whose write had landed changes
// nothing when finished again; parts without a header are dropped.
func TestJournalFinishedAtOpen(t *testing.T) {
	ctx := context.Background()
	want := wantState(t)
	seed, remove, add := journalWrite()
	for _, cut := range []int{1, 4} {
		t.Run(fmt.Sprintf("cut after %d", cut), func(t *testing.T) {
			dir := t.TempDir()
			qs := seededStore(t, dir, seed)
			chunks := 0
			qs.afterChunk = func() error {
				if chunks++; chunks == cut {
					return errCut
				}
				return nil
			}
			require.ErrorIs(t, qs.Replace(remove, add), errCut)
			require.NoError(t, qs.Close())

			// Read-only, the store refuses to show the part.
			ro := journalOpts
			ro.ReadOnly = true
			_, err := Open(dir, ro)
			require.ErrorContains(t, err, "a write a crash interrupted")

			qs, err = Open(dir, journalOpts)
			require.NoError(t, err)
			require.Equal(t, want, storeState(t, qs))
			checkShape(t, qs)
			checkObjectCounters(t, qs)
			checkNoJournal(t, qs)
			require.NoError(t, qs.Close())
		})
	}
	t.Run("finished twice", func(t *testing.T) {
		dir := t.TempDir()
		qs := seededStore(t, dir, seed)
		require.NoError(t, qs.Replace(remove, add))
		ps, err := prepareAll(append(dels(remove...), adds(add...)...))
		require.NoError(t, err)
		require.NoError(t, qs.writeJournal(encodeJournal(ps)))
		require.NoError(t, qs.Close())
		qs, err = Open(dir, journalOpts)
		require.NoError(t, err)
		require.Equal(t, want, storeState(t, qs))
		checkObjectCounters(t, qs)
		checkNoJournal(t, qs)
		require.NoError(t, qs.Close())
	})
	t.Run("parts without a header", func(t *testing.T) {
		dir := t.TempDir()
		qs := seededStore(t, dir, seed)
		state := storeState(t, qs)
		require.NoError(t, qs.db.Update(func(txn *badger.Txn) error {
			return txn.Set(journalPartKey(0), encodeJournal(nil))
		}))
		require.NoError(t, qs.Close())
		qs, err := Open(dir, journalOpts)
		require.NoError(t, err)
		require.Equal(t, state, storeState(t, qs))
		checkNoJournal(t, qs)
		n, err := qs.Count(ctx, Pattern{})
		require.NoError(t, err)
		require.Equal(t, int64(len(seed)), n)
		require.NoError(t, qs.Close())
	})
}

func TestJournalEncoding(t *testing.T) {
	in := append(dels(credentialRecord(3)...), adds(append(credentialRecord(4), quad.Quad{
		Subject: quad.BNode("b1"), Predicate: quad.IRI("p:x"), Object: quad.Int(-7)})...)...)
	ps, err := prepareAll(in)
	require.NoError(t, err)
	blob := encodeJournal(ps)
	got, err := decodeJournal(blob)
	require.NoError(t, err)
	require.Equal(t, len(ps), len(got))
	for i := range ps {
		require.Equal(t, ps[i].d.Action, got[i].d.Action, "delta %d", i)
		require.Equal(t, ps[i].enc, got[i].enc, "delta %d", i)
		require.Equal(t, ps[i].count, got[i].count, "delta %d", i)
	}
	for _, bad := range [][]byte{blob[:len(blob)-1], {'x'}, {journalAdd, 0, 0, 0, 0}} {
		_, err := decodeJournal(bad)
		require.Error(t, err, "%q", bad)
	}
}
