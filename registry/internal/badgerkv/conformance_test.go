package badgerkv_test

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/require"

	"credreg/registry/internal/badgerkv"
	"github.com/cayleygraph/cayley/graph"
	cayleykvtest "github.com/cayleygraph/cayley/graph/kv/kvtest"
	hkv "github.com/hidal-go/hidalgo/kv"
	"github.com/hidal-go/hidalgo/kv/flat"
	"github.com/hidal-go/hidalgo/kv/kvtest"
)

// TestHidalgoConformance runs hidalgo's key-value suite (basic, read-only,
// seek, concurrent increment) on stores in real temporary directories.
// The suite closes every store twice.
func TestHidalgoConformance(t *testing.T) {
	kvtest.RunTestLocal(t, flat.UpgradeOpenPath(openTestKV), nil)
}

// TestCayleyKV runs Cayley's quad-store suite for kv backends, with and
// without Cayley's bloom filters, on this adapter.
//
// Its "paths" sub-tests load Cayley's data/testdata.nq, looked up relative
// to the working directory (cwd, then up to four parents), which only works
// inside Cayley's source tree; they fail the same way for every backend run
// from elsewhere. The test therefore runs from the directory of Cayley's kv
// test package in the module cache, where the fixture is found, instead of
// skipping them.
func TestCayleyKV(t *testing.T) {
	t.Chdir(cayleyKVTestDir(t))
	gen := func(t testing.TB) (hkv.KV, graph.Options, func()) {
		db, err := badgerkv.Open(testOptions(t.TempDir()))
		require.NoError(t, err)
		// The suite closes the quad store (and so db) itself; the returned
		// closer only runs when setting the store up fails.
		return flat.Upgrade(db), nil, func() { _ = db.Close() }
	}
	cayleykvtest.TestAll(t, gen, nil)
}

// cayleyKVTestDir returns the directory of Cayley's graph/kv/kvtest package
// source, from which ../../../data/testdata.nq resolves.
func cayleyKVTestDir(t *testing.T) string {
	t.Helper()
	const fixture = "../../../data/testdata.nq"
	var candidates []string
	// The source path compiled into the binary (absent with -trimpath).
	pc := reflect.ValueOf(cayleykvtest.TestAll).Pointer()
	if file, _ := runtime.FuncForPC(pc).FileLine(pc); filepath.IsAbs(file) {
		candidates = append(candidates, filepath.Dir(file))
	}
	// The module cache copy of the Cayley version this binary uses.
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/cayleygraph/cayley" {
				candidates = append(candidates, filepath.Join(moduleCache(),
					"github.com/cayleygraph/cayley@"+dep.Version, "graph/kv/kvtest"))
			}
		}
	}
	for _, dir := range candidates {
		if _, err := os.Stat(filepath.Join(dir, fixture)); err == nil {
			return dir
		}
	}
	t.Fatalf("cannot find Cayley's test fixture %s relative to any of %q", fixture, candidates)
	return ""
}

func moduleCache() string {
	if dir := os.Getenv("GOMODCACHE"); dir != "" {
		return dir
	}
	if gopath := os.Getenv("GOPATH"); gopath != "" {
		return filepath.Join(filepath.SplitList(gopath)[0], "pkg", "mod")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, "go", "pkg", "mod")
}
