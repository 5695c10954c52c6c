// Package registry is credreg's store: records (one resource's description
// in its own named graph, replaced atomically), retirement, the append-only
// change log, and rendering of records as JSON-LD, N-Quads and a view for
// HTML pages. It sits on cayley; nothing above it sees cayley types.
//
// A Store is opened by URL: "badger:///path/to/dir" (or "badger://./dir"
// relative to the working directory) opens the embedded Badger v4 store.
package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cayleygraph/cayley/graph"
	cayleykv "github.com/cayleygraph/cayley/graph/kv"
	"github.com/cayleygraph/quad"
	hkv "github.com/hidal-go/hidalgo/kv"
	"github.com/hidal-go/hidalgo/kv/flat"

	"credreg/registry/badgerkv"
	"credreg/schema"
)

// Errors a caller can test for with errors.Is.
var (
	ErrNotFound     = errors.New("not found")
	ErrRetired      = errors.New("already retired")
	ErrBaseMismatch = errors.New("store was created with another base")
	// ErrNoRegistry is returned by Open with MustExist for a store that
	// holds no registry yet.
	ErrNoRegistry = errors.New("the store holds no registry yet")
)

// Options configures Open.
type Options struct {
	// Base is the registry's base IRI. Required. A store remembers the base
	// it was created with and refuses another one, since every IRI in it is
	// under that base.
	Base schema.Base
	// AdoptStoredBase makes a store that already has a base use it instead
	// of Base (which then only names the base of a new store). credreg
	// serve sets it when no --base is given, so that a restart on another
	// address keeps the registry's IRIs.
	AdoptStoredBase bool
	// Logger receives the store's logs; nil means slog.Default().
	Logger *slog.Logger
	// DocumentCache is the number of rendered documents kept in memory;
	// 0 means 4096, a negative value disables the cache.
	DocumentCache int
	// MustExist refuses to make a new registry: a store that holds none
	// yet is an error wrapping ErrNoRegistry, and is left without a base
	// (commands that only manage a registry must not fix its base).
	MustExist bool
	// NoSync turns off the fsync of every commit (the store otherwise
	// syncs once per acknowledged write or batch). Only for throwaway
	// stores (benchmarks); a registry must not acknowledge a write that a
	// power loss can take back.
	NoSync bool
}

// Store is credreg's registry store. It is safe for concurrent use; writes
// are serialised.
type Store struct {
	qsp   atomic.Pointer[graph.QuadStore]
	base  schema.Base
	log   *slog.Logger
	url   string
	close func() error
	// sync makes committed writes durable; every acknowledged write or
	// batch calls it exactly once (through syncStore), and none when
	// noSync is set. Tests replace it to count or fail syncs.
	sync   func() error
	noSync bool
	// size returns the bytes of the store's files as its engine last
	// measured them; nil when it cannot.
	size func() (lsm, vlog int64)

	// atomic runs a function whose cayley writes commit together; reopen
	// replaces qs after a failed write, dropping cayley's caches, which may
	// hold ids of nodes that were never committed.
	atomic func(ctx context.Context, fn func() error) error
	reopen func() (graph.QuadStore, error)

	values *valueCache
	docs   *docCache
	// exclusive is set when no other process can write the store (Badger
	// holds a lock), so the document cache can trust its own drops.
	exclusive bool

	list      *listIndex
	harvestIx *harvestIndex
	frags     fragmentCache
	// hooks are told of every committed write (see subscribe).
	hooks []writeHook
	// kv is the key-value store under cayley, for whole-store scans.
	kv hkv.KV
	// bdb is the Badger store under kv, for backups.
	bdb *badgerkv.DB
	// life ends when the store closes; background work (the list index's
	// build) runs under it and is waited for by Close.
	life     context.Context
	stopLife context.CancelFunc
	bg       sync.WaitGroup

	mu     sync.Mutex // serialises writes and guards seq
	seq    uint64
	closed bool
}

// Graph and node IRIs for credreg's bookkeeping. They are not under the
// base: they name the store's own records and change log.
const (
	graphRecords = "urn:credreg:graph:records"
	graphChanges = "urn:credreg:graph:changes"
	nodeStore    = "urn:credreg:store"
	changePrefix = "urn:credreg:change:"

	predBase        = schema.Credreg + "base"
	predContentHash = schema.Credreg + "contentHash"
	predLastChange  = schema.Credreg + "lastChange"
	predSequence    = schema.Credreg + "sequence"
	predActor       = schema.Credreg + "actor"
	predAction      = schema.Credreg + "action"
	predResource    = schema.Credreg + "resource"
	predModified    = schema.DCT + "modified"
	predCreated     = schema.DCT + "created"
	predDate        = schema.DCT + "date"
)

// metaNode is the node, in the records graph, that describes the record of
// iri: its content hash, times and last change.
func metaNode(iri string) quad.IRI { return quad.IRI(iri + "#record") }

// Open opens (creating if needed) the store at storeURL.
func Open(ctx context.Context, storeURL string, opts Options) (*Store, error) {
	if opts.Base.String() == "" {
		return nil, errors.New("open store: a base IRI is required")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	scheme, path, err := parseStoreURL(storeURL)
	if err != nil {
		return nil, err
	}
	s := &Store{base: opts.Base, log: log, url: storeURL, values: newValueCache(1 << 16), list: newListIndex(), harvestIx: &harvestIndex{}}
	s.subscribe(s.harvestIx.onWrite)
	s.life, s.stopLife = context.WithCancel(context.Background())
	switch scheme {
	case "badger":
		err = s.openBadger(path, opts)
	default:
		err = fmt.Errorf("store %q: unsupported kind %q (use badger:///path/to/dir)", storeURL, scheme)
	}
	if err != nil {
		return nil, err
	}
	if opts.DocumentCache >= 0 {
		n := opts.DocumentCache
		if n == 0 {
			n = 4096
		}
		s.docs = newDocCache(n)
	}
	if err := s.init(ctx, opts.AdoptStoredBase, opts.MustExist); err != nil {
		_ = s.close()
		return nil, err
	}
	return s, nil
}

// parseStoreURL splits "badger:///abs/dir" or "badger://./rel/dir" into the
// kind and the path.
func parseStoreURL(raw string) (kind, path string, err error) {
	i := strings.Index(raw, "://")
	if i <= 0 {
		return "", "", fmt.Errorf("store %q: expected a URL such as badger:///var/lib/credreg or badger://./credreg-data", raw)
	}
	kind = raw[:i]
	rest := raw[i+3:]
	switch kind {
	case "badger":
		if rest == "" || rest == "/" {
			return "", "", fmt.Errorf("store %q: no directory given (badger:///path/to/dir)", raw)
		}
		// badger:///abs/dir is absolute; badger://./dir, badger://../dir
		// and badger://dir are relative to the working directory.
		path = rest
		if p, err := url.PathUnescape(path); err == nil {
			path = p
		}
		return kind, path, nil
	}
	return kind, rest, nil
}

func (s *Store) openBadger(dir string, opts Options) error {
	// Badger's own SyncWrites stays off: the store syncs once after each
	// commit it acknowledges (syncStore), not once in the commit and once
	// more after it. Every write to the store runs under s.mu, commit and
	// sync together, so no memtable rotation (which does not sync the WAL
	// it retires) can come between a commit and its sync.
	db, err := badgerkv.Open(badgerkv.Options{Dir: dir, NoSync: true, Logger: s.log, MemTableSize: badgerMemTable})
	if err != nil {
		return fmt.Errorf("open store %s: %w", s.url, err)
	}
	g := &groupKV{KV: db}
	hk := flat.Upgrade(g)
	qs, err := openQuadStore(hk)
	if err != nil {
		_ = db.Close()
		return fmt.Errorf("open store %s: %w", s.url, err)
	}
	s.qsp.Store(&qs)
	s.kv = hk
	s.bdb = db
	s.sync = db.Sync
	s.noSync = opts.NoSync
	s.close = db.Close
	s.size = db.Badger().Size
	s.atomic = g.atomic
	s.exclusive = true
	s.reopen = func() (graph.QuadStore, error) { return cayleykv.New(hk, storeOptions) }
	return nil
}

// badgerMemTable is the Badger memtable size of a registry store. Badger
// caps one transaction at 15% of it, and one PutBatch of MaxBatchQuads
// statements is one transaction.
const badgerMemTable = 64 << 20

// quadIndexes are the indexes of credreg's quad stores: cayley's two
// defaults (forward by subject and predicate, reverse by object) and one by
// graph label and subject, which finds a record's statements in one scan.
var quadIndexes = []cayleykv.QuadIndex{
	{Dirs: []quad.Direction{quad.Subject, quad.Predicate}},
	{Dirs: []quad.Direction{quad.Object, quad.Predicate, quad.Subject}},
	{Dirs: []quad.Direction{quad.Label, quad.Subject}},
}

// storeOptions are cayley's options for the kv stores. The existence bloom
// filters are off: each costs about 80 MB and a scan of every quad at open.
var storeOptions = graph.Options{cayleykv.OptNoBloom: true}

// openQuadStore opens a cayley kv quad store, initialising an empty one
// with credreg's indexes.
func openQuadStore(db hkv.KV) (graph.QuadStore, error) {
	qs, err := cayleykv.New(db, storeOptions)
	if !errors.Is(err, graph.ErrNotInitialized) {
		return qs, err
	}
	if err := cayleykv.Init(db, storeOptions); err != nil {
		return nil, fmt.Errorf("initialise quad store: %w", err)
	}
	if err := setQuadIndexes(db); err != nil {
		return nil, err
	}
	return cayleykv.New(db, storeOptions)
}

// setQuadIndexes records credreg's index list in a freshly initialised
// store, before any quad is written. cayley reads the list from the
// "meta/indexes" key at open (graph/kv readIndexesMeta).
func setQuadIndexes(db hkv.KV) error {
	data, err := jsonMarshal(quadIndexes)
	if err != nil {
		return err
	}
	ctx := context.Background()
	return hkv.Update(ctx, db, func(tx hkv.Tx) error {
		for _, ind := range quadIndexes {
			b := make([]byte, len(ind.Dirs))
			for i, d := range ind.Dirs {
				b[i] = d.Prefix()
			}
			if err := hkv.CreateBucket(ctx, tx, hkv.Key{b}); err != nil {
				return fmt.Errorf("create index bucket: %w", err)
			}
		}
		return tx.Put(ctx, hkv.Key{[]byte("meta"), []byte("indexes")}, data)
	})
}

// init checks the store's base and reads the change log head.
func (s *Store) init(ctx context.Context, adopt, mustExist bool) error {
	bases, err := s.objects(ctx, quad.IRI(nodeStore), predBase, graphRecords)
	if err != nil {
		return fmt.Errorf("open store %s: %w", s.url, err)
	}
	if len(bases) > 0 {
		got := string(asIRI(bases[0]))
		if adopt && got != s.base.String() {
			b, err := schema.NewBase(got)
			if err != nil {
				return fmt.Errorf("open store %s: stored base: %w", s.url, err)
			}
			s.base = b
		}
		if got != s.base.String() {
			return fmt.Errorf("open store %s: %w: it holds IRIs under %s, not %s; start with --base %s or use another store", s.url, ErrBaseMismatch, got, s.base, got)
		}
	} else if mustExist {
		return fmt.Errorf("open store %s: %w: start it once with credreg serve --store %s --base https://your.registry (the base every IRI gets)", s.url, ErrNoRegistry, s.url)
	} else {
		err := s.qs().ApplyDeltas([]graph.Delta{{
			Quad:   quad.Quad{Subject: quad.IRI(nodeStore), Predicate: quad.IRI(predBase), Object: quad.IRI(s.base.String()), Label: quad.IRI(graphRecords)},
			Action: graph.Add,
		}}, graph.IgnoreOpts{IgnoreDup: true})
		if err != nil {
			return fmt.Errorf("open store %s: record base: %w", s.url, err)
		}
		if err := s.syncStore(); err != nil {
			return err
		}
	}
	s.seq, err = s.readHead(ctx)
	return err
}

// readHead finds the last change-log entry. Entries are numbered from 1
// without gaps, so a galloping search over their existence takes O(log n)
// lookups and no counter has to be rewritten on every write.
func (s *Store) readHead(ctx context.Context) (uint64, error) {
	exists := func(n uint64) (bool, error) {
		quads, err := s.quadsBySubject(ctx, changeNode(n))
		if err != nil {
			return false, fmt.Errorf("read change log head: %w", err)
		}
		return len(quads) > 0, nil
	}
	lo, hi := uint64(0), uint64(1) // entry lo exists (0 stands for "none"), entry hi is unknown
	for {
		ok, err := exists(hi)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := exists(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}

func changeNode(seq uint64) quad.IRI {
	return quad.IRI(changePrefix + strconv.FormatUint(seq, 10))
}

// qs returns the current cayley quad store.
func (s *Store) qs() graph.QuadStore { return *s.qsp.Load() }

// Base returns the store's base IRI.
func (s *Store) Base() schema.Base { return s.base }

// Sequence returns the sequence number of the last change.
func (s *Store) Sequence() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
}

// Close flushes and closes the store. It is safe to call more than once.
func (s *Store) Close() error {
	s.stopLife()
	// A backup registers with bg under mu after checking life: once mu
	// has been taken here, none can register unseen by Wait.
	s.mu.Lock()
	//lint:ignore SA2001 an empty critical section, on purpose
	s.mu.Unlock()
	s.bg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.sync != nil {
		if err := s.sync(); err != nil {
			errs = append(errs, fmt.Errorf("sync store %s: %w", s.url, err))
		}
	}
	if err := s.close(); err != nil {
		errs = append(errs, fmt.Errorf("close store %s: %w", s.url, err))
	}
	return errors.Join(errs...)
}

// syncStore makes the writes committed so far durable, unless the store
// was opened with NoSync. Writers call it once per acknowledged write,
// under s.mu.
func (s *Store) syncStore() error {
	if s.sync == nil || s.noSync {
		return nil
	}
	if err := s.sync(); err != nil {
		return fmt.Errorf("sync store %s: %w", s.url, err)
	}
	return nil
}

// objects returns the objects of (subject, predicate) in graph.
func (s *Store) objects(ctx context.Context, subject quad.Value, predicate, graphIRI string) ([]quad.Value, error) {
	quads, err := s.quadsBySubject(ctx, subject)
	if err != nil {
		return nil, err
	}
	var out []quad.Value
	for _, q := range quads {
		if asIRI(q.Predicate) == quad.IRI(predicate) && asIRI(q.Label) == quad.IRI(graphIRI) {
			out = append(out, q.Object)
		}
	}
	return out, nil
}

// quadsBySubject returns every statement with the given subject, in all
// graphs.
func (s *Store) quadsBySubject(ctx context.Context, subject quad.Value) ([]quad.Quad, error) {
	return s.quadsBy(ctx, quad.Subject, subject)
}

// quadsByGraph returns every statement in the named graph.
func (s *Store) quadsByGraph(ctx context.Context, label quad.Value) ([]quad.Quad, error) {
	return s.quadsBy(ctx, quad.Label, label)
}

// quadsBy resolves the statements having value v in direction dir. Node
// values are resolved in one batch and cached: cayley never reuses a node
// id for another value.
func (s *Store) quadsBy(ctx context.Context, dir quad.Direction, v quad.Value) ([]quad.Quad, error) {
	ref, err := s.qs().ValueOf(v)
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", quad.ToString(v), err)
	}
	if ref == nil {
		return nil, nil
	}
	it := s.qs().QuadIterator(dir, ref).Iterate()
	defer it.Close()
	var prims []graph.Ref
	for it.Next(ctx) {
		prims = append(prims, it.Result())
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("scan %s: %w", quad.ToString(v), err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.resolve(ctx, prims)
}

// resolve turns quad references into quads.
func (s *Store) resolve(ctx context.Context, prims []graph.Ref) ([]quad.Quad, error) {
	refs := make([][4]graph.Ref, len(prims))
	vals := map[any]quad.Value{}
	var missing []graph.Ref
	for i, p := range prims {
		for d, dir := range quad.Directions {
			r, err := s.qs().QuadDirection(p, dir)
			if err != nil {
				return nil, fmt.Errorf("resolve quad: %w", err)
			}
			refs[i][d] = r
			if r == nil || r.Key() == nil {
				continue
			}
			k := r.Key()
			if _, ok := vals[k]; ok {
				continue
			}
			if v, ok := s.values.get(k); ok {
				vals[k] = v
				continue
			}
			vals[k] = nil
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		got, err := graph.ValuesOf(ctx, s.qs(), missing)
		if err != nil {
			return nil, fmt.Errorf("resolve values: %w", err)
		}
		for i, r := range missing {
			if got[i] != nil {
				v := canonicalValue(got[i])
				vals[r.Key()] = v
				s.values.put(r.Key(), v)
			}
		}
	}
	out := make([]quad.Quad, 0, len(prims))
	for _, r := range refs {
		var q quad.Quad
		ok := true
		for d, dir := range quad.Directions {
			if r[d] == nil || r[d].Key() == nil {
				if dir != quad.Label {
					ok = false
				}
				continue
			}
			v := vals[r[d].Key()]
			if v == nil {
				ok = false
				break
			}
			q.Set(dir, v)
		}
		if ok {
			out = append(out, q)
		}
	}
	return out, nil
}

// valueCache maps cayley node keys to values. It is bounded by dropping
// everything when full, which keeps it simple and the hot set refills fast.
type valueCache struct {
	mu  sync.RWMutex
	max int
	m   map[any]quad.Value
}

func newValueCache(max int) *valueCache {
	return &valueCache{max: max, m: make(map[any]quad.Value)}
}

func (c *valueCache) get(k any) (quad.Value, bool) {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	return v, ok
}

func (c *valueCache) clear() {
	c.mu.Lock()
	c.m = make(map[any]quad.Value)
	c.mu.Unlock()
}

func (c *valueCache) put(k any, v quad.Value) {
	c.mu.Lock()
	if len(c.m) >= c.max {
		c.m = make(map[any]quad.Value, c.max)
	}
	c.m[k] = v
	c.mu.Unlock()
}

func asIRI(v quad.Value) quad.IRI {
	if iri, ok := v.(quad.IRI); ok {
		return iri
	}
	return ""
}

// Lexical returns the text of a literal (its lexical form, without
// language or datatype), or the IRI of an IRI.
func Lexical(v quad.Value) string { return literalOf(v) }

func literalOf(v quad.Value) string {
	switch x := canonicalValue(v).(type) {
	case quad.String:
		return string(x)
	case quad.TypedString:
		return string(x.Value)
	case quad.LangString:
		return string(x.Value)
	case quad.IRI:
		return string(x)
	}
	return ""
}

func timeLiteral(t time.Time) quad.Value {
	return quad.TypedString{Value: quad.String(t.UTC().Format(time.RFC3339Nano)), Type: quad.IRI(schema.XSDDateTime)}
}

func intLiteral(n uint64) quad.Value {
	return quad.TypedString{Value: quad.String(strconv.FormatUint(n, 10)), Type: quad.IRI(schema.XSDInteger)}
}

// scanAllQuads calls fn with every statement of the store, bookkeeping
// included, in the order of cayley's quad log.
func (s *Store) scanAllQuads(ctx context.Context, fn func(quad.Quad) error) error {
	return s.scanQuadsOf(ctx, nil, false, fn)
}

// scanQuads calls fn with every statement of the records (not of the
// store's bookkeeping graphs) whose predicate is in preds, reading cayley's
// quad log once. Statements are told apart by their graph and predicate
// before their other values are read, so the bookkeeping (more than half
// of the store) costs no value lookups.
func (s *Store) scanQuads(ctx context.Context, preds map[quad.IRI]bool, fn func(quad.Quad) error) error {
	return s.scanQuadsOf(ctx, preds, true, fn)
}

// scanQuadsOf is scanQuads for any predicate when preds is nil, and with
// the bookkeeping graphs unless records is set.
func (s *Store) scanQuadsOf(ctx context.Context, preds map[quad.IRI]bool, records bool, fn func(quad.Quad) error) error {
	qs := s.qs()
	keyOf := func(v quad.Value) (any, bool) {
		ref, err := qs.ValueOf(v)
		if err != nil || ref == nil || ref.Key() == nil {
			return nil, false
		}
		return ref.Key(), true
	}
	skip := map[any]bool{}
	for _, g := range []string{graphRecords, graphChanges, graphTokens} {
		if k, ok := keyOf(quad.IRI(g)); ok && records {
			skip[k] = true
		}
	}
	want := map[any]bool{}
	for p := range preds {
		if k, ok := keyOf(p); ok {
			want[k] = true
		}
	}
	it := qs.QuadsAllIterator().Iterate()
	defer it.Close()
	refs := make([]graph.Ref, 0, 10_000)
	emit := func() error {
		quads, err := s.resolve(ctx, refs)
		if err != nil {
			return err
		}
		refs = refs[:0]
		for _, q := range quads {
			if err := fn(q); err != nil {
				return err
			}
		}
		return nil
	}
	for it.Next(ctx) {
		ref := it.Result()
		l, err := qs.QuadDirection(ref, quad.Label)
		if err != nil {
			return fmt.Errorf("scan quads: %w", err)
		}
		if records && (l == nil || l.Key() == nil || skip[l.Key()]) {
			continue
		}
		if preds != nil {
			p, err := qs.QuadDirection(ref, quad.Predicate)
			if err != nil {
				return fmt.Errorf("scan quads: %w", err)
			}
			if p == nil || !want[p.Key()] {
				continue
			}
		}
		refs = append(refs, ref)
		if len(refs) == cap(refs) {
			if err := emit(); err != nil {
				return err
			}
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("scan quads: %w", err)
	}
	return emit()
}
