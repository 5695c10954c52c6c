package quadstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/quad"
	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"
)

func TestTermFilterBits(t *testing.T) {
	f := newTermFilter(10_000)
	key := func(i int) []byte { return fmt.Appendf(nil, "t\"term %d\"", i) }
	for i := range 10_000 {
		f.add(key(i))
	}
	for i := range 10_000 {
		require.True(t, f.mayHave(key(i)), "added key %d is said absent", i)
	}
	require.False(t, f.full())
	pass := 0
	for i := 10_000; i < 110_000; i++ {
		if f.mayHave(key(i)) {
			pass++
		}
	}
	// 16 bits and 6 probes per key: about 0.1% at capacity.
	require.Less(t, pass, 500, "absent keys that pass a filter at capacity, of 100,000")
	f.add(key(-1))
	require.True(t, f.full())
}

// filterSettled waits until qs has a ready filter and none being built.
func filterSettled(t *testing.T, qs *QuadStore) *termFilter {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		qs.wmu.Lock()
		f, next := qs.filter.Load(), qs.filterNext
		qs.wmu.Unlock()
		if f != nil && f.ready.Load() && next == nil {
			return f
		}
		if time.Now().After(deadline) {
			t.Fatal("the term filter was not built in 30 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// storedTermKeys lists the dictionary's keys.
func storedTermKeys(t *testing.T, qs *QuadStore) [][]byte {
	t.Helper()
	var keys [][]byte
	require.NoError(t, qs.db.View(func(txn *badger.Txn) error {
		for _, pfx := range []byte{pfxTerm, pfxHash} {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{pfx}})
			for it.Rewind(); it.Valid(); it.Next() {
				keys = append(keys, it.Item().KeyCopy(nil))
			}
			it.Close()
		}
		return nil
	}))
	return keys
}

// TestTermFilterKeepsEveryTerm: a store whose filter is built while it is
// written, then outgrown and built again (several times) while writes go
// on, never says a stored term is absent, and holds exactly what the same
// writes leave in a store without a filter: the same statements, the same
// number of terms (no term written twice under two ids).
func TestTermFilterKeepsEveryTerm(t *testing.T) {
	ctx := context.Background()
	seed := make([]quad.Quad, 0, 200*20)
	for i := range 200 {
		seed = append(seed, credentialRecord(i)...)
	}
	dir := t.TempDir()
	qs := openTest(t, dir, Options{})
	require.NoError(t, qs.ApplyDeltas(adds(seed...), graph.IgnoreOpts{}))
	require.NoError(t, qs.Close())

	// Reopened with a small filter: writes start before its first build
	// is done, and outgrow it.
	qs = openTest(t, dir, Options{termFilterMin: 2000})
	plain := openTest(t, "", Options{noTermFilter: true})
	require.NoError(t, plain.ApplyDeltas(adds(seed...), graph.IgnoreOpts{}))
	reads := 0
	stop := whileReading(1, func() error { // a reader looks up stored terms throughout
		want := credentialRecord(reads % 200)[3]
		reads++
		n, err := qs.Count(ctx, Pattern{Subject: want.Subject, Predicate: want.Predicate, Object: want.Object})
		if err == nil && n != 1 {
			err = fmt.Errorf("statement %v counted %d times", want, n)
		}
		return err
	})
	for i := 200; i < 1200; i += 50 {
		var batch []quad.Quad
		for j := i; j < i+50; j++ {
			batch = append(batch, credentialRecord(j)...)
		}
		// Rewrite a stored record too: its terms are looked up, not made.
		batch = append(batch, credentialRecord(i%200)...)
		require.NoError(t, qs.ApplyDeltas(adds(batch...), graph.IgnoreOpts{IgnoreDup: true}))
		require.NoError(t, plain.ApplyDeltas(adds(batch...), graph.IgnoreOpts{IgnoreDup: true}))
	}
	require.NoError(t, stop())
	f := filterSettled(t, qs)
	require.Greater(t, qs.filterBuilds.Load(), int64(1), "the filter was never outgrown")
	for _, k := range storedTermKeys(t, qs) {
		require.True(t, qs.mayHaveTerm(k), "stored term %q is said absent", k)
	}
	require.False(t, f.full())
	require.Equal(t, storeState(t, plain), storeState(t, qs))

	// Terms the filter says are absent are absent; and a write of them
	// makes them present at once.
	fresh := quad.Quad{Subject: quad.IRI(base + "resources/fresh"), Predicate: quad.IRI(ceterms + "name"), Object: quad.String("never written before")}
	n, err := qs.Count(ctx, Pattern{Object: fresh.Object})
	require.NoError(t, err)
	require.Zero(t, n)
	require.NoError(t, qs.ApplyDeltas(adds(fresh), graph.IgnoreOpts{}))
	n, err = qs.Count(ctx, Pattern{Object: fresh.Object})
	require.NoError(t, err)
	require.Equal(t, int64(1), n)
}

// TestTermFilterReadOnly: a read-only store keeps no filter (it cannot
// see another writer's terms); Close stops a build under way.
func TestTermFilterReadOnly(t *testing.T) {
	dir := t.TempDir()
	qs := openTest(t, dir, Options{})
	require.NoError(t, qs.ApplyDeltas(adds(credentialRecord(1)...), graph.IgnoreOpts{}))
	require.NoError(t, qs.Close())
	ro := openTest(t, dir, Options{ReadOnly: true})
	require.Nil(t, ro.filter.Load())
	require.True(t, ro.mayHaveTerm([]byte("t\"anything\"")))
	require.NoError(t, ro.Close())
}
