package quadstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"

	"github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/cayley/graph/refs"
	"github.com/cayleygraph/quad"
	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// LayoutVersion is the version of the key layout this package reads and
// writes (see the package documentation).
const LayoutVersion = 5

// Defaults of Options.
const (
	DefaultBatchSize      = 10000
	DefaultMemTableSize   = 64 << 20
	DefaultBlockCacheSize = 64 << 20
	DefaultTermCache      = 1 << 17
)

// ErrLayout is wrapped by Open's error for a directory whose keys are not
// in this package's layout version.
var ErrLayout = errors.New("quadstore: unsupported store layout")

// ErrReadOnly is returned by writes to a store opened read-only.
var ErrReadOnly = errors.New("quadstore: store is read-only")

// Options configures Open.
type Options struct {
	// NoSync skips the fsync at the end of every ApplyDeltas. Only for
	// throwaway stores (tests, benchmarks).
	NoSync bool
	// ReadOnly opens the store read-only.
	ReadOnly bool
	// BatchSize is the most deltas written in one Badger transaction
	// (0 means DefaultBatchSize). A transaction is also split before it
	// would exceed Badger's size and entry limits.
	BatchSize int
	// MemTableSize is Badger's memtable size (0 means DefaultMemTableSize);
	// Badger caps one transaction at 15% of it.
	MemTableSize int64
	// BlockCacheSize is Badger's block cache (0 means
	// DefaultBlockCacheSize).
	BlockCacheSize int64
	// TermCache is the number of term ids (and of decoded terms) kept in
	// memory (0 means DefaultTermCache).
	TermCache int
	// Logger receives Badger's warnings and errors (nil: slog.Default()).
	Logger *slog.Logger
	// CountedGraphs are the graphs (nil: the default graph) whose
	// statements are also counted per graph and per graph and predicate,
	// so that Count of a pattern with Except among them, binding nothing
	// or a predicate alone, reads counters (see the package
	// documentation). The store keeps its set; Open with another set
	// counts the new set's graphs anew (one scan of each), and nil keeps
	// the stored set.
	CountedGraphs []quad.Value
	// BulkLoad tunes Badger for writing much at once (an import): it lets
	// more memtable flushes pile up before compacting them (see
	// bulkLevelZeroTables). A store opened without it afterwards compacts
	// them down in the background.
	BulkLoad bool
	// OpenBadger, when set, opens Badger in place of badger.Open (so a
	// caller can classify open errors, such as a held directory lock).
	OpenBadger func(badger.Options) (*badger.DB, error)
	// mustExist and mustBeNew are set by cayley's NewFunc and InitFunc.
	mustExist, mustBeNew bool
	// noTermFilter turns the term filter off, and termFilterMin sets the
	// smallest capacity a term filter is built for (0 means
	// minTermFilterCapacity): tests compare with the one and grow filters
	// with the other.
	noTermFilter  bool
	termFilterMin int64
}

// QuadStore is credreg's cayley quad store on Badger v4. It is safe for
// concurrent use; writes are serialised.
type QuadStore struct {
	db       *badger.DB
	dir      string
	noSync   bool
	readOnly bool
	batch    int
	log      *slog.Logger

	// wmu serialises writes and guards nextID and predCounts.
	wmu        sync.Mutex
	nextID     uint64
	predCounts map[uint64]uint64
	// graphCounts and gpCounts cache the counters of counted graphs (by
	// graph id, and by graph and predicate id), read on first use.
	graphCounts map[uint64]uint64
	gpCounts    map[[2]uint64]uint64
	// objCounts caches object counters (bounded).
	objCounts objectCounters
	// opening is set while Open counts; openIRIs are the IRI ids its
	// counting steps share.
	opening  bool
	openIRIs idSet
	// counted are the counted graphs' encoded terms ("" is the default
	// graph); set at Open.
	counted countedSet
	// upgrading is set while Open upgrades a store of a layout before 5,
	// whose statements are in every index: a delete then removes a
	// statement's keys from all of them.
	upgrading bool

	quads, nodes atomic.Int64

	// whole is held by a journalled write while it commits its
	// transactions, and briefly by readTxn: no reader starts a
	// transaction in the middle of one.
	whole sync.RWMutex
	// journalled counts the writes journalled since Open.
	journalled atomic.Uint64
	// broken, once set, fails every write: a journalled write could not
	// be finished (Open finishes it).
	broken error
	// afterChunk, when set (by tests), runs after each transaction of a
	// write but the last; an error stops the write there.
	afterChunk func() error

	terms *cache[string, uint64]     // encoded term → id; only writers insert
	names *cache[uint64, nameRecord] // id → value (ids are never reused)

	// filter tells the terms surely not in the dictionary (see
	// termFilter); nil in a read-only store. filterNext is a larger one
	// being built and filterFailed is set once a build failed (both
	// guarded by wmu); filterBuilds counts the builds.
	filter       atomic.Pointer[termFilter]
	filterNext   *termFilter
	filterFailed bool
	filterBuilds atomic.Int64
	filterMin    int64

	// bg runs the background work (the term filter's builds), stopped
	// by bgCtx at Close; closing (guarded by wmu) stops new work.
	bg       sync.WaitGroup
	bgCtx    context.Context
	bgCancel context.CancelFunc
	closing  bool

	closeOnce sync.Once
	closeErr  error
}

type nameRecord struct{ enc []byte }

var (
	_ graph.QuadStore = (*QuadStore)(nil)
	_ refs.BatchNamer = (*QuadStore)(nil)
)

// Level-0 tables: how many memtable flushes Badger lets pile up in level
// 0 before it compacts them into the next level. Every statement writes
// keys under each index's prefix, so every flushed table spans the whole
// key space and each compaction out of level 0 rewrites the whole of the
// level below: fewer, larger ones write less. On a 100,000-row import
// (2 cores) Badger's 5 took 3:53–3:56 and peaked at 1,527–1,685 MiB
// resident; 10 took 3:11–3:45 at 1,401–1,465 MiB; 16 took 2:51–2:53 at
// 1,255–1,290 MiB; 32, 3:14 at 1,320 MiB. But a scan merges every level-0
// table, and compaction leaves up to that many in place, so only a bulk
// load (Options.BulkLoad) uses more.
const (
	levelZeroTables     = 5
	bulkLevelZeroTables = 16
)

// Open opens the store in dir, creating it (and the directory) when it is
// new. A directory that holds Badger data in another layout (such as
// cayley's generic kv layout) or another layout version is refused with an
// error wrapping ErrLayout.
func Open(dir string, opts Options) (*QuadStore, error) {
	if dir == "" {
		return nil, errors.New("quadstore: no directory given")
	}
	if opts.BatchSize < 0 || opts.MemTableSize < 0 || opts.BlockCacheSize < 0 || opts.TermCache < 0 {
		return nil, errors.New("quadstore: negative option")
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("quadstore: open %s: %w", dir, err)
		}
	}
	mem := opts.MemTableSize
	if mem == 0 {
		mem = DefaultMemTableSize
	}
	bc := opts.BlockCacheSize
	if bc == 0 {
		bc = DefaultBlockCacheSize
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	l0 := levelZeroTables
	if opts.BulkLoad {
		l0 = bulkLevelZeroTables
	}
	bo := badger.DefaultOptions(dir).
		WithLogger(badgerLogger{log.With("store", dir)}).
		// One fsync per ApplyDeltas (QuadStore.Sync), not one per
		// Badger transaction.
		WithSyncWrites(false).
		// One writer at a time (wmu): no conflicts to detect.
		WithDetectConflicts(false).
		WithReadOnly(opts.ReadOnly).
		WithMemTableSize(mem).
		WithBlockCacheSize(bc).
		WithNumMemtables(3).
		WithNumCompactors(2).
		WithNumLevelZeroTables(l0).
		WithNumLevelZeroTablesStall(3 * l0).
		// Zstandard at level 1 rather than Badger's Snappy. On the
		// 100,000-row import (2 cores) the store is 310 MB rather than
		// 493 MB and the import as fast (2:09 against 2:10), and as
		// Badger maps its tables, the peak resident memory is 100 MiB
		// lower (1,148 against 1,227–1,287 MiB). Reads of whole
		// ranges decompress more: the dump of that store took 8.9 s
		// rather than 7.1 s, every fragment's first page at most 4.4 ms
		// cold. Tables written before keep their compression.
		WithCompression(options.ZSTD).
		WithZSTDCompressionLevel(1)
	if limit := mem * 15 / 100; bo.ValueThreshold > limit/4 {
		bo = bo.WithValueThreshold(limit / 4)
	}
	open := opts.OpenBadger
	if open == nil {
		open = badger.Open
	}
	db, err := open(bo)
	if err != nil {
		return nil, fmt.Errorf("quadstore: open %s: %w", dir, err)
	}
	qs := &QuadStore{db: db, dir: dir, noSync: opts.NoSync, readOnly: opts.ReadOnly, batch: opts.BatchSize, log: log,
		predCounts: map[uint64]uint64{}, graphCounts: map[uint64]uint64{}, gpCounts: map[[2]uint64]uint64{},
		objCounts: newObjectCounters()}
	if qs.batch == 0 {
		qs.batch = DefaultBatchSize
	}
	tc := opts.TermCache
	if tc == 0 {
		tc = DefaultTermCache
	}
	qs.terms = newCache[string, uint64](tc)
	qs.names = newCache[uint64, nameRecord](tc)
	qs.bgCtx, qs.bgCancel = context.WithCancel(context.Background())
	qs.filterMin = cmp.Or(opts.termFilterMin, minTermFilterCapacity)
	qs.opening = true
	err = qs.init(opts)
	qs.opening, qs.openIRIs = false, nil
	if err != nil {
		qs.bgCancel()
		_ = db.Close()
		return nil, err
	}
	if !opts.ReadOnly && !opts.noTermFilter {
		qs.startTermFilter(qs.nodes.Load() * termFilterGrowth)
	}
	return qs, nil
}

// init checks the layout version (writing it into an empty store) and
// loads the counters.
func (qs *QuadStore) init(opts Options) error {
	var layout []byte
	empty := true
	err := qs.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		it.Rewind()
		empty = !it.Valid()
		item, err := txn.Get(keyLayout)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		layout, err = item.ValueCopy(nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("quadstore: open %s: %w", qs.dir, err)
	}
	// An older layout is upgraded in steps below, once the counters are
	// loaded: the side graphs' indexes (from 4), the object counters
	// (from 3), the tokens (from 2), then the layout key. Each step is
	// idempotent and the key is set last, so a crash in between is
	// completed by the next Open.
	upgradeTokens, upgradeObjects, upgradeSide := false, false, false
	switch {
	case layout == nil && empty:
		if opts.mustExist {
			return graph.ErrNotInitialized
		}
		if opts.ReadOnly {
			return fmt.Errorf("quadstore: open %s read-only: the store is empty", qs.dir)
		}
		err := qs.db.Update(func(txn *badger.Txn) error {
			if err := txn.Set(keyLayout, layoutValue); err != nil {
				return err
			}
			return txn.Set(keyNextID, idBytes(1))
		})
		if err == nil {
			err = qs.db.Sync()
		}
		if err != nil {
			return fmt.Errorf("quadstore: initialise %s: %w", qs.dir, err)
		}
	case layout == nil:
		return fmt.Errorf("%w: %s holds Badger data without a credreg-quadstore layout key (an older cayley kv store?); this build reads layout %d", ErrLayout, qs.dir, LayoutVersion)
	case string(layout) == layoutV1 && !opts.ReadOnly:
		// Version 2 adds the counted graphs' counters to version 1; a
		// version 1 store has none, which loadCounted counts below.
		err := qs.db.Update(func(txn *badger.Txn) error {
			if err := txn.Set(keyCounted, countedRebuilding); err != nil {
				return err
			}
			return txn.Set(keyLayout, []byte(layoutV2))
		})
		if err != nil {
			return fmt.Errorf("quadstore: upgrade %s from layout 1: %w", qs.dir, err)
		}
		upgradeTokens, upgradeObjects, upgradeSide = true, true, true
	case string(layout) == layoutV2 && !opts.ReadOnly:
		// Version 3 keeps tokens in a keyspace of their own, where
		// version 2 kept them as statements: upgradeTokens moves them
		// below. The object counters are counted first, so that the
		// token statements' removal keeps them.
		upgradeTokens, upgradeObjects, upgradeSide = true, true, true
	case string(layout) == layoutV3 && !opts.ReadOnly:
		// Version 4 counts statements by IRI object.
		upgradeObjects, upgradeSide = true, true
	case string(layout) == layoutV4 && !opts.ReadOnly:
		// Version 5 keeps the side graphs' statements out of POSG and
		// OSPG, the ordinary graphs' out of OGSP, and has no PGOS.
		upgradeSide = true
	case string(layout) != string(layoutValue):
		return fmt.Errorf("%w: %s has layout %q; this build reads %q", ErrLayout, qs.dir, layout, layoutValue)
	default:
		if opts.mustBeNew {
			return graph.ErrDatabaseExists
		}
	}
	qs.upgrading = upgradeSide
	if err := qs.loadCounted(opts.CountedGraphs); err != nil {
		return err
	}
	err = qs.db.View(func(txn *badger.Txn) error {
		var err error
		if qs.nextID, err = getCounter(txn, keyNextID); err != nil {
			return err
		}
		if qs.nextID == 0 {
			return fmt.Errorf("quadstore: %s: no next-id key", qs.dir)
		}
		n, err := getCounter(txn, keyQuadCount)
		if err != nil {
			return err
		}
		qs.quads.Store(int64(n))
		n, err = getCounter(txn, keyNodeCount)
		qs.nodes.Store(int64(n))
		return err
	})
	if err == nil && !opts.ReadOnly {
		err = qs.finishJournal()
	} else if err == nil {
		var found bool
		if _, found, err = qs.readJournal(); err == nil && found {
			err = fmt.Errorf("quadstore: %s holds a write a crash interrupted; open it writable once to finish it", qs.dir)
		}
	}
	if err != nil || !upgradeSide {
		return err
	}
	// The side graphs' indexes first: the object counters are then
	// counted from indexes in this layout's shape.
	if err := qs.upgradeSideGraphs(); err != nil {
		return err
	}
	if upgradeObjects {
		if err := qs.countObjects(); err != nil {
			return err
		}
	}
	if upgradeTokens {
		if err := qs.upgradeTokens(); err != nil {
			return err
		}
	}
	qs.upgrading = false
	if err := qs.db.Update(func(txn *badger.Txn) error { return txn.Set(keyLayout, layoutValue) }); err != nil {
		return fmt.Errorf("quadstore: upgrade %s to layout %d: %w", qs.dir, LayoutVersion, err)
	}
	if err := qs.db.Sync(); err != nil {
		return fmt.Errorf("quadstore: upgrade %s to layout %d: %w", qs.dir, LayoutVersion, err)
	}
	return nil
}

// getCounter reads an 8-byte counter; a missing key is 0.
func getCounter(txn *badger.Txn, key []byte) (uint64, error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	var n uint64
	err = item.Value(func(v []byte) error {
		n, err = getUint64(v)
		return err
	})
	return n, err
}

// Stats returns the exact numbers of nodes and statements, from counters.
func (qs *QuadStore) Stats(ctx context.Context, exact bool) (graph.Stats, error) {
	return graph.Stats{
		Nodes: refs.Size{Value: qs.nodes.Load(), Exact: true},
		Quads: refs.Size{Value: qs.quads.Load(), Exact: true},
	}, nil
}

// Sync flushes Badger's logs to disk.
func (qs *QuadStore) Sync() error { return qs.db.Sync() }

// Badger is the underlying database, for backups and maintenance. Writing
// to it directly breaks the store's invariants.
func (qs *QuadStore) Badger() *badger.DB { return qs.db }

// Close closes the store. Later calls return the first call's result.
func (qs *QuadStore) Close() error {
	qs.closeOnce.Do(func() {
		qs.wmu.Lock()
		qs.closing = true
		qs.wmu.Unlock()
		qs.bgCancel()
		qs.bg.Wait()
		qs.wmu.Lock()
		defer qs.wmu.Unlock()
		qs.closeErr = qs.db.Close()
	})
	return qs.closeErr
}

// badgerLogger sends Badger's warnings and errors to slog, its chatter at
// debug level.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any)   { b.l.Error("badger: " + fmt.Sprintf(f, a...)) }
func (b badgerLogger) Warningf(f string, a ...any) { b.l.Warn("badger: " + fmt.Sprintf(f, a...)) }
func (b badgerLogger) Infof(f string, a ...any)    { b.l.Debug("badger: " + fmt.Sprintf(f, a...)) }
func (b badgerLogger) Debugf(f string, a ...any)   { b.l.Debug("badger: " + fmt.Sprintf(f, a...)) }

// Layout returns the layout key's value of this version:
// "credreg-quadstore" and LayoutVersion.
func Layout() string { return string(layoutValue) }
