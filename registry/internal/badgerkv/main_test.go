package badgerkv_test

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestMain caps the heap softly unless GOMEMLIMIT is set. Cayley's kv quad
// store allocates bloom filters sized for 100 million entries on every
// store it opens, about 300 MiB for a new store and 75 MiB for an existing
// one, whatever the backend; the suites open dozens of them in a row, and
// without a limit the garbage collector lets the process grow past 800 MiB.
// With it the run stays near 400 MiB at little cost in time.
func TestMain(m *testing.M) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(384 << 20)
	}
	os.Exit(m.Run())
}
