package badgerkv_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"credreg/registry/internal/badgerkv"
)

func TestOpenLocked(t *testing.T) {
	dir := t.TempDir()
	db, err := badgerkv.Open(testOptions(dir))
	require.NoError(t, err)

	for _, readOnly := range []bool{false, true} {
		opts := testOptions(dir)
		opts.ReadOnly = readOnly
		db2, err := badgerkv.Open(opts)
		require.Error(t, err, "read-only=%v", readOnly)
		require.Nil(t, db2)
		require.ErrorIs(t, err, badgerkv.ErrLocked)
		require.Equal(t,
			"open badger store at "+dir+": it is in use by another process (holds "+filepath.Join(dir, "LOCK")+")",
			err.Error())
		if runtime.GOOS == "linux" {
			require.ErrorIs(t, err, syscall.EWOULDBLOCK, "the flock error is wrapped too")
		}
	}

	require.NoError(t, db.Close())
	db, err = badgerkv.Open(testOptions(dir))
	require.NoError(t, err, "the lock is released on Close")
	require.NoError(t, db.Close())
}

func TestOpenErrors(t *testing.T) {
	base := t.TempDir()
	file := filepath.Join(base, "file")
	require.NoError(t, os.WriteFile(file, []byte("not a store"), 0o600))

	for _, c := range []struct {
		name     string
		dir      string
		readOnly bool
		mutate   func(*badgerkv.Options)
		msg      string // full message after "open badger store at DIR: ", up to the cause
		is       error
	}{
		{
			name: "path is a regular file",
			dir:  file,
			msg:  "path is a regular file, not a directory",
			is:   syscall.ENOTDIR,
		},
		{
			name: "path under a regular file",
			dir:  filepath.Join(file, "store"),
			msg:  "directory is not writable: cannot create it: mkdir " + file + ": not a directory",
			is:   syscall.ENOTDIR,
		},
		{
			name:     "read-only open of a missing directory",
			dir:      filepath.Join(base, "missing"),
			readOnly: true,
			msg:      "directory does not exist (a read-only open does not create it)",
			is:       fs.ErrNotExist,
		},
		{
			name:   "memtable too small",
			dir:    filepath.Join(base, "small"),
			mutate: func(o *badgerkv.Options) { o.MemTableSize = 1000 },
			msg:    "MemTableSize 1000 is below the minimum",
		},
		{
			name:   "negative block cache",
			dir:    filepath.Join(base, "cache"),
			mutate: func(o *badgerkv.Options) { o.BlockCacheSize = -1 },
			msg:    "BlockCacheSize -1 must not be negative",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := testOptions(c.dir)
			opts.ReadOnly = c.readOnly
			if c.mutate != nil {
				c.mutate(&opts)
			}
			db, err := badgerkv.Open(opts)
			require.Error(t, err)
			require.Nil(t, db)
			require.Contains(t, err.Error(), "open badger store at "+c.dir+": "+c.msg)
			if c.is != nil {
				require.ErrorIs(t, err, c.is)
			}
			require.False(t, errors.Is(err, badgerkv.ErrLocked))
		})
	}

	t.Run("empty Dir", func(t *testing.T) {
		_, err := badgerkv.Open(badgerkv.Options{})
		require.EqualError(t, err, "open badger store: Options.Dir is empty")
	})
}

// TestOpenUnwritable opens an existing directory that the process may not
// write to. Tests usually run as root, where mode 0500 does not stop writes;
// then the open runs on an OS thread without the capabilities that let root
// ignore file modes (see withoutDACOverride).
func TestOpenUnwritable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	require.NoError(t, os.Mkdir(dir, 0o700))
	// Create a store first, so that the failure is about writing, not creating.
	db, err := badgerkv.Open(testOptions(dir))
	require.NoError(t, err)
	require.NoError(t, db.Close())

	require.NoError(t, os.Chmod(dir, 0o500))
	t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })

	open := func() error {
		db, err := badgerkv.Open(testOptions(dir))
		if err == nil {
			_ = db.Close()
		}
		return err
	}
	var openErr error
	if canWrite(dir) {
		t.Log("mode 0500 does not stop this process from writing (root?): opening on a thread without CAP_DAC_OVERRIDE")
		var ok bool
		openErr, ok = withoutDACOverride(t, open)
		if !ok {
			t.Skip("mode 0500 does not stop this process from writing and capabilities cannot be dropped here")
		}
	} else {
		openErr = open()
	}
	require.Error(t, openErr)
	require.Contains(t, openErr.Error(), "open badger store at "+dir+": directory is not writable: ")
	require.ErrorIs(t, openErr, fs.ErrPermission)
	require.False(t, errors.Is(openErr, badgerkv.ErrLocked))

	// Read-only opens do not need to write.
	opts := testOptions(dir)
	opts.ReadOnly = true
	db, err = badgerkv.Open(opts)
	require.NoError(t, err)
	require.NoError(t, db.Close())
}

// canWrite reports whether this process can create a file in dir.
func canWrite(dir string) bool {
	f, err := os.CreateTemp(dir, "probe-*")
	if err != nil {
		return false
	}
	_ = f.Close()
	_ = os.Remove(f.Name())
	return true
}
