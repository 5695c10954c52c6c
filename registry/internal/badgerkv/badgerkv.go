// Package badgerkv adapts Badger v4 (github.com/dgraph-io/badger/v4) to
// hidalgo's flat key-value interface (github.com/hidal-go/hidalgo/kv/flat.KV)
// and registers it as the "badger4" backend for hidalgo and for Cayley's
// key-value quad store (see Register).
//
// The adapter favours durability and clear errors:
//
//   - Writes are fsynced on every commit unless Options.NoSync is set.
//   - Opening a directory that another Badger handle holds fails with an error
//     matching ErrLocked; unwritable directories and paths that are regular
//     files fail with messages that name the directory and the cause.
//   - A write that does not fit into one Badger transaction returns an error
//     wrapping badger.ErrTxnTooBig; the transaction stays usable, so callers
//     can commit what they have and continue in a new transaction.
//
// A DB is safe for concurrent use by multiple goroutines. A transaction and
// its iterators are not: use each from one goroutine at a time.
package badgerkv

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/dgraph-io/badger/v4"
	"github.com/hidal-go/hidalgo/kv/flat"
)

const (
	// defaultMemTableSize is used when Options.MemTableSize is 0. Badger's own
	// default is 64 MiB. 16 MiB keeps processes that open many stores (tests,
	// tools) light, while still allowing transactions of about 2.4 MiB:
	// Badger caps a transaction at 15% of the memtable size.
	defaultMemTableSize = 16 << 20
	// minMemTableSize is the smallest accepted Options.MemTableSize.
	minMemTableSize = 1 << 20
	// defaultBlockCacheSize is used when Options.BlockCacheSize is 0. Badger's
	// default is 256 MiB. The block cache holds decompressed SSTable blocks;
	// 32 MiB serves the hot part of typical small and medium stores.
	defaultBlockCacheSize = 32 << 20
	numMemtables          = 3
	numCompactors         = 2
)

// Options configures Open.
type Options struct {
	// Dir is the data directory. It is created with mode 0700 if missing
	// (unless ReadOnly is set, in which case it must exist).
	Dir string
	// NoSync disables fsync on commit. The default (false) turns Badger's
	// SyncWrites on, so every committed transaction is durable once Commit
	// returns. Setting NoSync trades that guarantee for write throughput:
	// recent commits may be lost on a crash (but not on a clean Close).
	NoSync bool
	// Logger receives Badger's log output (nil means slog.Default()). Badger's
	// chatty INFO and DEBUG lines are logged at slog.LevelDebug, WARNING at
	// slog.LevelWarn and ERROR at slog.LevelError.
	Logger *slog.Logger
	// ReadOnly opens the store read-only. Several read-only handles (also from
	// other processes) can share a directory; a read-write handle cannot be
	// opened next to them. Read-write transactions fail with flat.ErrReadOnly.
	ReadOnly bool
	// MemTableSize is the size of Badger's memtable in bytes. Zero selects
	// 16 MiB (Badger's default is 64 MiB), which keeps processes that open
	// many stores light. It also bounds the size of one transaction to about
	// 15% of it; see badger.ErrTxnTooBig. Values below 1 MiB are rejected.
	MemTableSize int64
	// BlockCacheSize is the size of Badger's block cache in bytes. Zero
	// selects 32 MiB (Badger's default is 256 MiB). It must be positive
	// because the adapter keeps Badger's default block compression.
	BlockCacheSize int64
}

// DB is a Badger v4 database that implements flat.KV. Create it with Open.
type DB struct {
	bdb      *badger.DB
	dir      string
	readOnly bool

	closed    atomic.Bool
	closeOnce sync.Once
}

var _ flat.KV = (*DB)(nil)

// errClosed is returned by operations on a closed DB.
var errClosed = fmt.Errorf("badgerkv: database is closed: %w", badger.ErrDBClosed)

// Open opens (creating if needed) the Badger store described by opts.
//
// Errors name the directory and say what to do: see ErrLocked for a store
// that is already open, and the package documentation for other cases. They
// wrap the underlying cause with %w where one is available.
func Open(opts Options) (*DB, error) {
	if opts.Dir == "" {
		return nil, errors.New("open badger store: Options.Dir is empty")
	}
	dir := opts.Dir
	if err := prepareDir(dir, opts.ReadOnly, opts.Logger); err != nil {
		return nil, err
	}
	bopts, err := badgerOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("open badger store at %s: %w", dir, err)
	}
	bdb, err := badger.Open(bopts)
	if err != nil {
		return nil, classifyOpenError(dir, opts.ReadOnly, err)
	}
	return &DB{bdb: bdb, dir: dir, readOnly: opts.ReadOnly}, nil
}

// badgerOptions translates Options into Badger's options.
func badgerOptions(opts Options) (badger.Options, error) {
	memSize := opts.MemTableSize
	switch {
	case memSize == 0:
		memSize = defaultMemTableSize
	case memSize < minMemTableSize:
		return badger.Options{}, fmt.Errorf("MemTableSize %d is below the minimum of %d bytes", memSize, minMemTableSize)
	}
	cacheSize := opts.BlockCacheSize
	switch {
	case cacheSize == 0:
		cacheSize = defaultBlockCacheSize
	case cacheSize < 0:
		return badger.Options{}, fmt.Errorf("BlockCacheSize %d must not be negative", cacheSize)
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}

	bopts := badger.DefaultOptions(opts.Dir).
		WithLogger(newSlogLogger(logger, opts.Dir)).
		WithSyncWrites(!opts.NoSync).
		WithReadOnly(opts.ReadOnly).
		WithMemTableSize(memSize).
		WithBlockCacheSize(cacheSize).
		// Fewer memtables and compactors than Badger's defaults (5 and 4):
		// on a small machine they hold most of the memory of a bulk load
		// (memtable arenas and compaction table builders) while the
		// writes wait on the disk anyway.
		WithNumMemtables(numMemtables).
		WithNumCompactors(numCompactors)

	// Values up to ValueThreshold are stored inline in the LSM tree and count
	// fully towards the transaction limit (15% of the memtable); Badger
	// refuses to open if the threshold exceeds that limit. Keep it at a
	// quarter of the limit, so that one value cannot fill a transaction.
	if maxBatch := memSize * 15 / 100; bopts.ValueThreshold > maxBatch/4 {
		bopts = bopts.WithValueThreshold(maxBatch / 4)
	}
	return bopts, nil
}

// prepareDir makes sure dir is a usable directory before Badger sees it, so
// that the common mistakes get a precise error.
func prepareDir(dir string, readOnly bool, log *slog.Logger) error {
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("open badger store at %s: path is a %s, not a directory: %w",
				dir, fileKind(fi.Mode()), syscall.ENOTDIR)
		}
		if readOnly {
			return checkNoEmptyLogs(dir)
		}
		removed, err := removeEmptyLogs(dir)
		if len(removed) > 0 {
			if log == nil {
				log = slog.Default()
			}
			log.Warn("removed empty logs a process killed while creating them left; they held nothing", "store", dir, "files", removed)
		}
		return err
	}
	// ENOTDIR: a parent is not a directory, so dir does not exist either.
	if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("open badger store at %s: %w", dir, err)
	}
	if readOnly {
		return fmt.Errorf("open badger store at %s: directory does not exist (a read-only open does not create it): %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("open badger store at %s: directory is not writable: cannot create it: %w", dir, err)
	}
	return nil
}

func fileKind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "regular file"
	case m&fs.ModeSymlink != 0:
		return "symbolic link"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	default:
		return "non-directory file"
	}
}

// Badger returns the underlying Badger handle, for benchmarks and for
// maintenance such as value-log GC or backups. Closing it directly leaves
// the DB unusable; use DB.Close instead.
func (db *DB) Badger() *badger.DB {
	return db.bdb
}

// Sync flushes Badger's write-ahead and value logs to disk. With the default
// options every commit is already synced; Sync is useful with NoSync.
func (db *DB) Sync() error {
	if db.closed.Load() {
		return errClosed
	}
	if err := db.bdb.Sync(); err != nil {
		return fmt.Errorf("badgerkv: sync %s: %w", db.dir, err)
	}
	return nil
}

// Close closes the store, flushing pending writes and releasing the
// directory lock. It returns Badger's error from the first call; later calls
// do nothing and return nil. All transactions must be finished before Close.
func (db *DB) Close() error {
	var err error
	db.closeOnce.Do(func() {
		db.closed.Store(true)
		if cerr := db.bdb.Close(); cerr != nil {
			err = fmt.Errorf("badgerkv: close %s: %w", db.dir, cerr)
		}
	})
	return err
}

// Tx starts a transaction; rw selects a read-write one. The caller must
// Close (or Commit) it. A read-write transaction on a store opened with
// Options.ReadOnly fails with flat.ErrReadOnly.
func (db *DB) Tx(ctx context.Context, rw bool) (flat.Tx, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if db.closed.Load() {
		return nil, errClosed
	}
	if rw && db.readOnly {
		return nil, flat.ErrReadOnly
	}
	return &tx{db: db, txn: db.bdb.NewTransaction(rw), rw: rw}, nil
}

// View runs fn in a read-only transaction.
func (db *DB) View(ctx context.Context, fn func(tx flat.Tx) error) error {
	return flat.View(ctx, db, fn)
}

// Update runs fn in a read-write transaction and commits it. fn is called
// again when the commit conflicts with a concurrent transaction, so it must
// not have side effects outside the transaction.
func (db *DB) Update(ctx context.Context, fn func(tx flat.Tx) error) error {
	return flat.Update(ctx, db, fn)
}
