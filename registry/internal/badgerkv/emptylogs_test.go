package badgerkv_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"github.com/hidal-go/hidalgo/kv/flat"
	"github.com/stretchr/testify/require"

	"credreg/registry/internal/badgerkv"
)

// TestOpenAfterKillWhileCreatingALog opens stores holding the empty log a
// process killed between creating a memtable or value log and sizing it
// leaves behind. Badger alone cannot open them (dgraph-io/badger#2207);
// a read-write Open removes the empty file and keeps every write, and a
// read-only Open refuses, naming the file and the repair.
func TestOpenAfterKillWhileCreatingALog(t *testing.T) {
	for _, empty := range []string{"00009.mem", "000009.vlog"} {
		t.Run(empty, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			db, err := badgerkv.Open(testOptions(dir))
			require.NoError(t, err)
			put(t, db, "a", "1", "b", "2")
			require.NoError(t, db.Close())
			require.NoError(t, os.WriteFile(filepath.Join(dir, empty), nil, 0o600))

			// The case is real: Badger alone refuses (a copy of) the store.
			cp := t.TempDir()
			require.NoError(t, os.CopyFS(cp, os.DirFS(dir)))
			bdb, err := badger.Open(badger.DefaultOptions(cp).WithLogger(nil))
			if err == nil {
				_ = bdb.Close()
				t.Fatal("badger.Open now opens a store with an empty log: the repair in badgerkv can go")
			}

			ro := testOptions(dir)
			ro.ReadOnly = true
			_, err = badgerkv.Open(ro)
			require.Error(t, err)
			require.Contains(t, err.Error(), "open badger store at "+dir+" read-only: it holds "+empty+", an empty log")
			require.Contains(t, err.Error(), "open the store once read-write")

			db, err = badgerkv.Open(testOptions(dir))
			require.NoError(t, err)
			fi, err := os.Stat(filepath.Join(dir, empty))
			if err == nil {
				require.NotZero(t, fi.Size(), "%s is empty after a read-write open", empty)
			} else {
				require.ErrorIs(t, err, os.ErrNotExist)
			}
			require.NoError(t, db.View(ctx, func(tx flat.Tx) error {
				for k, want := range map[string]string{"a": "1", "b": "2"} {
					v, err := tx.Get(ctx, flat.Key(k))
					if err != nil {
						return err
					}
					require.Equal(t, want, string(v), "key %s", k)
				}
				return nil
			}))
			put(t, db, "c", "3")
			require.NoError(t, db.Close())

			db, err = badgerkv.Open(ro)
			require.NoError(t, err, "once repaired, a read-only open works")
			require.NoError(t, db.Close())
		})
	}
}
