package badgerkv_test

import (
	"log/slog"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"credreg/registry/internal/badgerkv"
	"github.com/hidal-go/hidalgo/kv/flat"
)

// Small sizes keep the many stores the suites open light.
const (
	testMemTableSize   = 2 << 20
	testBlockCacheSize = 2 << 20
)

// testOptions returns options for a store in dir sized for tests; Badger's
// log goes to stderr from WARN on.
func testOptions(dir string) badgerkv.Options {
	return badgerkv.Options{
		Dir:            dir,
		MemTableSize:   testMemTableSize,
		BlockCacheSize: testBlockCacheSize,
		Logger:         slog.New(slog.NewTextHandler(stderr{}, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
}

// openTestKV opens a store in path with test options (for hidalgo's suite).
func openTestKV(path string) (flat.KV, error) {
	return badgerkv.Open(testOptions(path))
}

// openTemp opens a fresh store in a temporary directory and closes it at the
// end of the test.
func openTemp(t testing.TB) *badgerkv.DB {
	t.Helper()
	db, err := badgerkv.Open(testOptions(t.TempDir()))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	return db
}

// stderr writes to the current os.Stderr (the test runner may swap it).
type stderr struct{}

func (stderr) Write(p []byte) (int, error) { return os.Stderr.Write(p) }
