package badgerkv_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/cayleygraph/quad"
	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"

	"credreg/registry/internal/badgerkv"
	"github.com/cayleygraph/cayley/graph"
	cayleykv "github.com/cayleygraph/cayley/graph/kv"
	hkv "github.com/hidal-go/hidalgo/kv"
	"github.com/hidal-go/hidalgo/kv/flat"
)

func TestRegister(t *testing.T) {
	// Idempotent, also when called concurrently from several packages.
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			badgerkv.Register()
		}()
	}
	wg.Wait()
	badgerkv.Register()

	require.NotNil(t, flat.ByName(badgerkv.Name), "hidalgo flat registry")
	require.NotNil(t, hkv.ByName("flat."+badgerkv.Name), "hidalgo hierarchical registry")
	require.True(t, graph.IsRegistered(badgerkv.Name), "cayley registry")
	require.True(t, graph.IsPersistent(badgerkv.Name))

	// hidalgo's registration opens a working store.
	reg := flat.ByName(badgerkv.Name)
	db, err := reg.OpenPath(t.TempDir())
	require.NoError(t, err)
	require.IsType(t, &badgerkv.DB{}, db)
	require.NoError(t, db.Close())
}

func TestCayleyQuadStoreDurability(t *testing.T) {
	badgerkv.Register()
	dir := t.TempDir()

	// NewQuadStore on a directory that was never initialized must fail
	// without leaving the directory locked.
	_, err := graph.NewQuadStore(badgerkv.Name, dir, nil)
	require.ErrorIs(t, err, graph.ErrNotInitialized)

	require.NoError(t, graph.InitQuadStore(badgerkv.Name, dir, nil))
	require.ErrorIs(t, graph.InitQuadStore(badgerkv.Name, dir, nil), graph.ErrDatabaseExists)

	viaDeltas := []quad.Quad{
		quad.MakeIRI("alice", "follows", "bob", ""),
		quad.MakeIRI("bob", "follows", "carol", "g"),
		quad.Make(quad.IRI("alice"), quad.IRI("name"), quad.String("Alice"), nil),
	}
	viaWriter := []quad.Quad{
		quad.MakeIRI("carol", "follows", "alice", ""),
		quad.Make(quad.IRI("carol"), quad.IRI("age"), quad.Int(42), nil),
	}

	qs, err := graph.NewQuadStore(badgerkv.Name, dir, nil)
	require.NoError(t, err)
	deltas := make([]graph.Delta, 0, len(viaDeltas))
	for _, q := range viaDeltas {
		deltas = append(deltas, graph.Delta{Quad: q, Action: graph.Add})
	}
	require.NoError(t, qs.ApplyDeltas(deltas, graph.IgnoreOpts{}))
	w, err := qs.NewQuadWriter()
	require.NoError(t, err)
	_, err = w.WriteQuads(viaWriter)
	require.NoError(t, err)
	require.NoError(t, w.Close())

	// While open, the directory is locked.
	_, err = graph.NewQuadStore(badgerkv.Name, dir, nil)
	require.ErrorIs(t, err, badgerkv.ErrLocked)
	require.NoError(t, qs.Close())

	// Reopen (with the nosync option, which is accepted) and read back.
	qs, err = graph.NewQuadStore(badgerkv.Name, dir, graph.Options{"nosync": true})
	require.NoError(t, err)
	defer qs.Close()
	got, err := quad.ReadAll(graph.NewQuadStoreReader(qs))
	require.NoError(t, err)

	want := append(append([]quad.Quad{}, viaDeltas...), viaWriter...)
	require.Equal(t, sortedQuads(want), sortedQuads(got))
	st, err := qs.Stats(context.Background(), true)
	require.NoError(t, err)
	require.EqualValues(t, len(want), st.Quads.Value)
}

func TestCayleyBadOptions(t *testing.T) {
	badgerkv.Register()
	err := graph.InitQuadStore(badgerkv.Name, t.TempDir(), graph.Options{"nosync": "yes"})
	require.Error(t, err)
	err = graph.InitQuadStore(badgerkv.Name, "", nil)
	require.Error(t, err)
}

func sortedQuads(qs []quad.Quad) []string {
	out := make([]string, 0, len(qs))
	for _, q := range qs {
		out = append(out, q.NQuad())
	}
	sort.Strings(out)
	return out
}

// TestCayleyWriterTxnTooBig writes more quads through one Cayley quad writer
// than one Badger transaction holds. The error must reach the caller as
// badger.ErrTxnTooBig, without a panic.
//
// After such a failure Cayley's QuadStore keeps index entries of the failed
// transaction in memory and writes them with the next successful write,
// pointing at quad IDs that get reused; the safe recovery is to close the
// quad store and open it again, which this test also checks.
func TestCayleyWriterTxnTooBig(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	open := func() graph.QuadStore {
		opts := testOptions(dir)
		opts.MemTableSize = 1 << 20 // about 1600 entries per transaction
		db, err := badgerkv.Open(opts)
		require.NoError(t, err)
		qs, err := cayleykv.New(flat.Upgrade(db), nil)
		if errors.Is(err, graph.ErrNotInitialized) {
			require.NoError(t, cayleykv.Init(flat.Upgrade(db), nil))
			qs, err = cayleykv.New(flat.Upgrade(db), nil)
		}
		require.NoError(t, err)
		return qs
	}

	// 60 nodes and 3600 quads: the nodes fit, the quads do not.
	var quads []quad.Quad
	for i := 0; i < 60; i++ {
		for j := 0; j < 60; j++ {
			quads = append(quads, quad.MakeIRI(fmt.Sprintf("n%d", i), "p", fmt.Sprintf("n%d", j), ""))
		}
	}
	qs := open()
	w, err := qs.NewQuadWriter()
	require.NoError(t, err)
	require.NotPanics(t, func() { _, err = w.WriteQuads(quads) })
	require.ErrorIs(t, err, badger.ErrTxnTooBig)
	require.Contains(t, err.Error(), "transaction too big")
	require.ErrorIs(t, w.Close(), badger.ErrTxnTooBig)
	require.NoError(t, qs.Close())

	qs = open()
	defer qs.Close()
	require.NoError(t, qs.ApplyDeltas([]graph.Delta{{Quad: quad.MakeIRI("x", "y", "z", ""), Action: graph.Add}}, graph.IgnoreOpts{}))
	z, err := qs.ValueOf(quad.IRI("z"))
	require.NoError(t, err)
	it := qs.QuadIterator(quad.Object, z).Iterate()
	defer it.Close()
	var got []quad.Quad
	for it.Next(ctx) {
		q, err := qs.Quad(it.Result())
		require.NoError(t, err)
		got = append(got, q)
	}
	require.NoError(t, it.Err())
	require.Equal(t, []quad.Quad{quad.MakeIRI("x", "y", "z", "")}, got)
}
