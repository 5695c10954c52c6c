package badgerkv_test

import (
	"bytes"
	"os"
	"runtime/debug"
	"strings"
	"testing"
)

// TestNoBadgerV2 checks that this test binary, which links Cayley's and
// hidalgo's test suites, does not link Badger v2 (hidalgo's flat/badger and
// Cayley's graph/kv/badger and graph/kv/all would bring it in).
//
// The module list of runtime/debug.ReadBuildInfo is checked first. The go
// command leaves that list empty in test binaries of non-main packages
// (golang/go#33976, golang/go#76926), so the test also looks for the
// packages' symbols in the executable: the function name table that every
// Go binary carries names each linked function with its package path.
func TestNoBadgerV2(t *testing.T) {
	// Built at run time, so the searched names are not literals in this binary.
	const badger = "github.com/dgraph-io/badger"
	v2, v4 := strings.Join([]string{badger, "v2"}, "/"), strings.Join([]string{badger, "v4"}, "/")

	info, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("no build information in the test binary")
	}
	var sawV4 bool
	for _, dep := range info.Deps {
		for _, m := range []*debug.Module{dep, dep.Replace} {
			switch {
			case m == nil:
			case m.Path == v2:
				t.Errorf("build info lists %s %s", m.Path, m.Version)
			case m.Path == v4:
				sawV4 = true
			}
		}
	}
	if len(info.Deps) > 0 && !sawV4 {
		t.Errorf("build info lists %d modules but not %s", len(info.Deps), v4)
	}
	t.Logf("build info lists %d modules", len(info.Deps))

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(bin, []byte(v4+".")) {
		t.Fatalf("no %s symbols found in %s: the symbol check cannot see linked packages", v4, exe)
	}
	if i := bytes.Index(bin, []byte(v2+".")); i >= 0 {
		end := min(i+120, len(bin))
		if j := bytes.IndexByte(bin[i:end], 0); j > 0 {
			end = i + j
		}
		t.Errorf("the test binary links %s: found %q", v2, bin[i:end])
	}
}
