package quadstore

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"testing"

	"github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/quad"
	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"
)

// checkShape checks that every statement has exactly the index keys of
// its graph's kind: SPOG, GSPO and OGSP for a side graph (a counted one),
// SPOG, POSG, OSPG and GSPO for an ordinary one, and that no other index
// key (a stray, or one of layout 4's PGOS) is stored.
func checkShape(t *testing.T, qs *QuadStore) {
	t.Helper()
	require.NoError(t, qs.db.View(func(txn *badger.Txn) error {
		side, err := qs.countedIDs(txn)
		require.NoError(t, err)
		want := map[string]bool{}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{gspo.tag}})
		for it.Rewind(); it.Valid(); it.Next() {
			q, ok := gspo.decode(it.Item().Key())
			require.True(t, ok)
			for _, ix := range indexesOf(side[q[posG]]) {
				want[string(ix.appendKey(nil, q))] = true
			}
		}
		it.Close()
		got := map[string]bool{}
		for _, tag := range []byte{'S', 'P', 'O', 'G', 'Q', 'R'} {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{tag}})
			for it.Rewind(); it.Valid(); it.Next() {
				got[string(it.Item().KeyCopy(nil))] = true
			}
			it.Close()
		}
		for k := range got {
			require.True(t, want[k], "stray index key %q", k)
		}
		for k := range want {
			require.True(t, got[k], "missing index key %q", k)
		}
		return nil
	}))
}

// layout4Indexes gives every statement of the store in dir the six index
// keys layout 4 wrote (SPOG, POSG, OSPG, GSPO, PGOS and OGSP, whatever its
// graph) and sets the layout key to 4: a store as layout 4 left it.
func layout4Indexes(t *testing.T, dir string) {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	require.NoError(t, err)
	wb := db.NewWriteBatch()
	require.NoError(t, db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{gspo.tag}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			q, ok := gspo.decode(it.Item().Key())
			require.True(t, ok)
			for _, ix := range []*index{spog, posg, ospg, gspo, ogsp} {
				require.NoError(t, wb.Set(ix.appendKey(nil, q), nil))
			}
			pgos := []byte{'Q'}
			for _, p := range []int{posP, posG, posO, posS} {
				pgos = binary.BigEndian.AppendUint64(pgos, q[p])
			}
			require.NoError(t, wb.Set(pgos, nil))
		}
		return nil
	}))
	require.NoError(t, wb.Flush())
	require.NoError(t, db.Update(func(txn *badger.Txn) error { return txn.Set(keyLayout, []byte(layoutV4)) }))
	require.NoError(t, db.Close())
}

// TestUpgradeToSideGraphs: a layout 4 store (every statement in six
// indexes) opens as layout 5: PGOS gone, the side graphs' statements out
// of POSG and OSPG, the ordinary graphs' out of OGSP; every pattern then
// counts and pages what a filter of the data finds, the counters are
// right, and writes go on. An upgrade cut short (some side statements
// moved, the layout key still 4) is completed by the next Open; a
// read-only Open refuses the old layout.
func TestUpgradeToSideGraphs(t *testing.T) {
	counted := []quad.Value{quad.IRI("bk:a"), quad.IRI("bk:b"), nil}
	for _, cut := range []bool{false, true} {
		t.Run(fmt.Sprint("cut short ", cut), func(t *testing.T) {
			dir := t.TempDir()
			data := exceptData()
			qs := openTest(t, dir, Options{CountedGraphs: counted})
			require.NoError(t, qs.ApplyDeltas(adds(data...), graph.IgnoreOpts{}))
			require.NoError(t, qs.Close())
			layout4Indexes(t, dir)
			if cut {
				// The default graph's statements moved, the others not.
				qs := &QuadStore{}
				db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
				require.NoError(t, err)
				qs.db, qs.dir, qs.log = db, dir, slog.New(slog.DiscardHandler)
				require.NoError(t, qs.relight(0, true))
				require.NoError(t, db.Close())
			}
			_, err := Open(dir, Options{ReadOnly: true})
			require.ErrorIs(t, err, ErrLayout)
			qs = openTest(t, dir, Options{CountedGraphs: counted})
			require.Equal(t, Layout(), "credreg-quadstore 5")
			checkShape(t, qs)
			checkExcept(t, qs, data, nil)
			checkExcept(t, qs, data, exceptGraphs)
			checkObjectCounters(t, qs)
			half := data[:len(data)/2]
			require.NoError(t, qs.ApplyDeltas(dels(half...), graph.IgnoreOpts{}))
			checkShape(t, qs)
			checkExcept(t, qs, data[len(data)/2:], exceptGraphs)
			checkObjectCounters(t, qs)
		})
	}
}

// TestCountedSetMovesGraphs: opening with another set of counted graphs
// moves the statements of the graphs that enter or leave it between the
// side and the ordinary indexes; a move cut short (the marker left with
// the graphs being moved) is completed by the next Open, even with yet
// another set.
func TestCountedSetMovesGraphs(t *testing.T) {
	dir := t.TempDir()
	data := exceptData()
	a, b := quad.IRI("bk:a"), quad.IRI("bk:b")
	qs := openTest(t, dir, Options{CountedGraphs: []quad.Value{a, nil}})
	require.NoError(t, qs.ApplyDeltas(adds(data...), graph.IgnoreOpts{}))
	checkShape(t, qs)
	require.NoError(t, qs.Close())
	for _, set := range [][]quad.Value{{b}, {a, b, nil}, {quad.IRI("r1")}, {}} {
		qs = openTest(t, dir, Options{CountedGraphs: set})
		checkShape(t, qs)
		checkExcept(t, qs, data, nil)
		checkExcept(t, qs, data, exceptGraphs)
		checkObjectCounters(t, qs)
		require.NoError(t, qs.Close())
	}
	// Cut short: the marker says bk:a and r2 were moving (to the set
	// {bk:a}), and only r2 was moved.
	qs = openTest(t, dir, Options{CountedGraphs: []quad.Value{}})
	r2, err := qs.ValueOf(quad.IRI("r2"))
	require.NoError(t, err)
	require.NoError(t, qs.relight(uint64(r2.(NodeRef)), true))
	moving, err := countedOf([]quad.Value{a, quad.IRI("r2")})
	require.NoError(t, err)
	require.NoError(t, qs.db.Update(func(txn *badger.Txn) error {
		return txn.Set(keyCounted, append(append([]byte{}, countedRebuilding...), moving.marshal()...))
	}))
	require.NoError(t, qs.Close())
	qs = openTest(t, dir, Options{CountedGraphs: []quad.Value{b}})
	checkShape(t, qs)
	checkExcept(t, qs, data, exceptGraphs)
	checkObjectCounters(t, qs)
}
