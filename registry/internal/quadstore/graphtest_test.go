package quadstore

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	"github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/cayley/graph/graphtest"
	"github.com/cayleygraph/quad"
	"github.com/stretchr/testify/require"
)

// TestCayleyConformance runs cayley's quad store suite (graph/graphtest)
// with every capability on: typed values round-trip exactly (times to the
// nanosecond), sizes are exact after deletes, deleted statements leave
// iterators, and the integration tests always run.
//
// The "paths" and "integration" sub-tests load cayley's data/testdata.nq
// relative to the working directory, so the test runs from the directory of
// graphtest's source in the module cache.
func TestCayleyConformance(t *testing.T) {
	t.Chdir(graphtestDir(t))
	gen := func(t testing.TB) (graph.QuadStore, graph.Options) {
		qs, err := Open(t.TempDir(), Options{NoSync: true, MemTableSize: 4 << 20, BlockCacheSize: 4 << 20})
		require.NoError(t, err)
		t.Cleanup(func() { _ = qs.Close() })
		return qs, nil
	}
	graphtest.TestAll(t, gen, &graphtest.Config{AlwaysRunIntegration: true})
}

// TestCayleyConformanceSideGraph runs the suite with the default graph,
// where it writes nearly everything, as a side graph (Options.
// CountedGraphs): its statements are then only in SPOG, GSPO and OGSP,
// and patterns by predicate or object read them graph by graph.
func TestCayleyConformanceSideGraph(t *testing.T) {
	t.Chdir(graphtestDir(t))
	gen := func(t testing.TB) (graph.QuadStore, graph.Options) {
		qs, err := Open(t.TempDir(), Options{NoSync: true, MemTableSize: 4 << 20, BlockCacheSize: 4 << 20, CountedGraphs: []quad.Value{nil}})
		require.NoError(t, err)
		t.Cleanup(func() { _ = qs.Close() })
		return qs, nil
	}
	graphtest.TestAll(t, gen, &graphtest.Config{AlwaysRunIntegration: true})
}

// graphtestDir is the directory of cayley's graphtest package source, from
// which ../../data/testdata.nq resolves.
func graphtestDir(t *testing.T) string {
	t.Helper()
	pc := reflect.ValueOf(graphtest.TestAll).Pointer()
	file, _ := runtime.FuncForPC(pc).FileLine(pc)
	dir := filepath.Dir(file)
	if _, err := os.Stat(filepath.Join(dir, "../../data/testdata.nq")); err != nil {
		t.Fatalf("cannot find cayley's test data next to %s: %v", dir, err)
	}
	return dir
}
