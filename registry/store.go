// Package registry is credreg's store: records (one resource's description
// in its own named graph, replaced atomically), retirement, the append-only
// change log, and documents (records rendered as JSON-LD, N-Quads and a
// view for HTML pages). Writes notify listeners (Subscribe): the store's
// own document cache, and the catalog's list index (package catalog, which
// holds the domain above records: lists, views, reports). Harvesters'
// reads (package harvest) go through Published, a read-only view of the
// records' statements that never shows the bookkeeping graphs below.
// Nothing above it sees cayley or Badger types.
//
// A Store is opened by URL: "badger:///path/to/dir" (or "badger://./dir"
// relative to the working directory) opens the embedded Badger v4 store;
// "postgres://user@host/db?..." (or "postgresql://") opens the store in a
// PostgreSQL database that several credreg servers may share (the URL is
// pgx's: sslmode, pool_max_conns and the other libpq parameters apply).
//
// # Storage port
//
// Store reads and writes only through Backend, the storage port:
//
//	Apply(ctx, remove, add)          one atomic commit: removals, then additions
//	Match(ctx, pattern, after, n)    a page of matching statements and the cursor of the next
//	Skip(ctx, pattern, after, n)     the cursor n matching statements on (keys only)
//	Count(ctx, pattern)              the exact number of matching statements
//	Scan(ctx, pattern, want, fn)     every matching statement from one snapshot
//	PutToken, GetToken, ListTokens,  write tokens, in a keyspace of their own:
//	RevokeToken                      conditional put and revocation, read by id
//	Sync(), Close()
//
// A pattern binds any of subject, predicate, object and graph, or leaves
// graphs out (Pattern.Except: Published leaves out the bookkeeping graphs
// below, whose statements the Badger backend counts, so its counts are
// counter reads). Everything the registry keeps but the write tokens is
// statements, in these graphs:
//
//   - a record: the graph named by the resource's IRI holds its
//     description; reading a record is Scan{Graph: iri}, replacing it is
//     one Apply of the statements that go and those that come;
//   - urn:credreg:graph:records: each record's bookkeeping on the node
//     {iri}#record (credreg:contentHash, dct:created, dct:modified,
//     credreg:lastChange), and the store's base (urn:credreg:store
//     credreg:base);
//   - urn:credreg:graph:changes: change-log entry N on the node
//     urn:credreg:change:N (credreg:sequence N, dct:date, credreg:actor,
//     credreg:action, credreg:resource, credreg:contentHash). Entries are
//     numbered from 1 without gaps and written in the same Apply as the
//     records they log, so the log's head is Count{Predicate:
//     credreg:sequence, Graph: changes}, and reading the log from N is
//     Scan{Subject: urn:credreg:change:M} for M > N;
//   - urn:credreg:graph:tokens: where older credregs kept the write
//     tokens; it is empty now. Tokens (hash of the secret, agency, role,
//     dates) are in the backend's token keyspace (a "k" key each on
//     Badger, the credreg_tokens table on PostgreSQL), read by id on
//     every authenticated request; the backends' upgrades (Badger layout
//     3, PostgreSQL schema 3) move the older statements there.
//
// A batch of record replacements with their bookkeeping and change-log
// entries is one Apply (one Badger transaction), so a crash keeps all of
// a batch or none of it; the store then syncs once (Options.NoSync skips
// it) before the write is acknowledged.
//
// # Layout of the Badger backend, and its version
//
// The Badger backend is credreg's own cayley quad store,
// registry/internal/quadstore, whose package documentation defines its
// keys: a term dictionary (fixed-width ids), indexes (SPOG POSG OSPG GSPO
// for the records' statements; SPOG GSPO OGSP for the bookkeeping graphs',
// its side graphs) so that every pattern is a prefix scan of one index or
// two, and exact counters. Its "mlayout" key holds the layout and version,
// StoreLayout ("credreg-quadstore 5"; version 1 to 4 stores are upgraded in place
// at open);
// a store with another value is refused. A store
// written by credreg before the port (cayley's generic kv layout over
// hidalgo's flat KV, with no layout key of this kind) is refused with
// ErrOldLayout and a message naming "credreg migrate", which copies it
// into the current layout through the old reader
// (registry/internal/legacy, used by nothing else) and swaps it in place
// (Migrate).
//
// # Schema of the PostgreSQL backend, and its version
//
// The PostgreSQL backend (pgBackend) is credreg's own SQL,
// registry/internal/pgstore, whose package documentation defines the
// tables (a term dictionary, a statements table of four term ids with six
// indexes, per-predicate counts), says why it is not cayley's SQL layout,
// and how the schema is created, versioned and migrated (its version is in
// the credreg_schema_version table; a database with a newer one is
// refused). Other processes may write the database, so such a store is not
// exclusive: the document cache checks a record's content hash before it
// serves a rendering. Backups of a PostgreSQL store are PostgreSQL's
// (pg_dump); credreg backup refuses it.
package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
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
	// BulkLoad tunes a Badger store for an import that writes much at once
	// (credreg import): Badger compacts less often while it runs, and a
	// later open without it catches up in the background. No effect on
	// PostgreSQL.
	BulkLoad bool
	// NoSync turns off the fsync of every commit (the store otherwise
	// syncs once per acknowledged write or batch). Only for throwaway
	// stores (benchmarks); a registry must not acknowledge a write that a
	// power loss can take back.
	NoSync bool
	// ReadStore, when set, is a read replica of the store (a PostgreSQL
	// hot standby of the primary's database): reads go to it, writes to
	// the store, and a write is acknowledged once the replica has replayed
	// it, so a client reads its own writes (see replica.go).
	ReadStore string
	// ReplicaWait bounds how long a write waits for the read replica
	// before it is acknowledged anyway; 0 means 10s.
	ReplicaWait time.Duration
	// FollowEvery is how often a store that other processes also write
	// (PostgreSQL) reads the shared change log for their writes, besides
	// when the backend announces one; 0 means 250ms. A store its process
	// holds alone (Badger) does not follow.
	FollowEvery time.Duration
}

// Store is credreg's registry store. It is safe for concurrent use; writes
// are serialised.
type Store struct {
	// be is the storage port's backend; every statement is read and
	// written through it.
	be   Backend
	base schema.Base
	log  *slog.Logger
	url  string
	// sync makes committed writes durable; every acknowledged write or
	// batch calls it exactly once (through syncStore), and none when
	// noSync is set. Tests replace it to count or fail syncs.
	sync   func() error
	noSync bool

	docs *docCache
	// exclusive is set when no other process can write the store (Badger
	// holds a lock), so the document cache can trust its own drops.
	exclusive bool

	// sideDir is the directory for files kept beside the store (see
	// SideDir), "" for none.
	sideDir string
	// hooks are told of every committed write (see subscribe); closers
	// are called when the store closes (see OnClose).
	hooks   []writeHook
	closers []func()
	// life ends when the store closes; background work (a backup, the
	// loop that follows other processes' writes) runs under it and is
	// waited for by Close.
	life     context.Context
	stopLife context.CancelFunc
	bg       sync.WaitGroup

	// replicaWait bounds how long a write waits for the read replica
	// (see replica.go).
	replicaWait time.Duration

	mu     sync.Mutex // serialises writes and guards seq
	seq    uint64
	closed bool
	// head is seq for readers, who do not wait for a write to read it:
	// set with it (setSeq), under mu.
	head atomic.Uint64
}

// setSeq moves the change log's head to n; the caller holds s.mu.
func (s *Store) setSeq(n uint64) {
	s.seq = n
	s.head.Store(n)
}

// Graph and node IRIs for credreg's bookkeeping. They are not under the
// base: they name the store's own records and change log.
const (
	graphRecords = "urn:credreg:graph:records"
	graphChanges = "urn:credreg:graph:changes"
	nodeStore    = "urn:credreg:store"
	changePrefix = "urn:credreg:change:"

	predBase        = schema.Credreg + "base"
	predContentHash = schema.PropContentHash
	predLastChange  = schema.Credreg + "lastChange"
	predSequence    = schema.PropSequence
	predActor       = schema.PropActorName
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
	s := &Store{base: opts.Base, log: log, url: storeURL}
	switch scheme {
	case "badger":
		err = s.openBadger(path, opts)
	case "postgres", "postgresql":
		s.url = redactURL(storeURL)
		err = s.openPostgres(ctx, storeURL, opts)
	default:
		err = fmt.Errorf("store %q: unsupported kind %q (use badger:///path/to/dir or postgres://user@host/db)", storeURL, scheme)
	}
	if err != nil {
		return nil, err
	}
	if opts.ReadStore != "" {
		if scheme == "badger" {
			_ = s.be.Close()
			return nil, fmt.Errorf("open store %s: a read replica (%s) needs a database server's store (postgres://); a Badger directory is held by one process", s.url, RedactStoreURL(opts.ReadStore))
		}
		replica, err := openReplicaURL(ctx, opts.ReadStore, log)
		if err != nil {
			_ = s.be.Close()
			return nil, fmt.Errorf("open read replica %s: %w", RedactStoreURL(opts.ReadStore), err)
		}
		if err := s.useReadReplica(replica, opts.ReplicaWait); err != nil {
			_ = s.be.Close()
			return nil, err
		}
	}
	return s.start(ctx, opts)
}

// start makes a Store of s, whose backend is open: caches, listeners, the
// base and the log's head, and (on a store shared with other processes)
// the loop that follows their writes.
func (s *Store) start(ctx context.Context, opts Options) (*Store, error) {
	s.life, s.stopLife = context.WithCancel(context.Background())
	if opts.DocumentCache >= 0 {
		n := opts.DocumentCache
		if n == 0 {
			n = 4096
		}
		s.docs = newDocCache(n)
	}
	// The store's own listener, told of every write, local or followed
	// from the shared change log: the document cache forgets what changed.
	// Others (the catalog's list index) subscribe once the store is open.
	s.subscribe(func(_ uint64, ws []recordWrite) {
		iris := make([]string, len(ws))
		for i, w := range ws {
			iris[i] = w.New.IRI
		}
		s.docs.drop(iris)
	})
	if err := s.init(ctx, opts.AdoptStoredBase, opts.MustExist); err != nil {
		s.stopLife()
		_ = s.be.Close()
		return nil, err
	}
	if !s.exclusive {
		s.startFollowing(opts.FollowEvery)
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

// openPostgres opens the store on the PostgreSQL database at dsn. Other
// processes may write it, so the store is not exclusive: the document
// cache checks a record's content hash before serving it.
func (s *Store) openPostgres(ctx context.Context, dsn string, opts Options) error {
	be, err := openPGBackend(ctx, dsn, s.log)
	if err != nil {
		return fmt.Errorf("open store %s: %w", s.url, err)
	}
	s.be = be
	s.sync = be.Sync
	s.noSync = opts.NoSync
	s.exclusive = false
	return nil
}

// RedactStoreURL returns the store URL storeURL with any password hidden,
// for logs and messages.
func RedactStoreURL(storeURL string) string {
	if kind, _, err := parseStoreURL(storeURL); err == nil && kind == "badger" {
		return storeURL
	}
	return redactURL(storeURL)
}

// redactURL hides the password of a database URL, for messages and logs.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(a database URL that does not parse)"
	}
	return u.Redacted()
}

func (s *Store) openBadger(dir string, opts Options) error {
	// The backend never syncs on its own: the store syncs once after each
	// commit it acknowledges (syncStore). Every write to the store runs
	// under s.mu, commit and sync together.
	be, err := openBadgerBackend(dir, s.log, opts.BulkLoad)
	if err != nil {
		return fmt.Errorf("open store %s: %w", s.url, err)
	}
	s.be = be
	s.sync = be.Sync
	s.noSync = opts.NoSync
	s.sideDir = dir
	s.exclusive = true
	return nil
}

// init checks the store's base and reads the change log head, from the
// primary when the store has a read replica.
func (s *Store) init(ctx context.Context, adopt, mustExist bool) error {
	ctx = onPrimary(ctx)
	bases, err := s.objects(ctx, quad.IRI(nodeStore), predBase, graphRecords)
	if err != nil {
		return fmt.Errorf("open store %s: %w", s.url, err)
	}
	if len(bases) > 0 {
		got := string(rdf.IRIOf(bases[0]))
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
		err := s.be.Apply(ctx, nil, []quad.Quad{
			{Subject: quad.IRI(nodeStore), Predicate: quad.IRI(predBase), Object: quad.IRI(s.base.String()), Label: quad.IRI(graphRecords)},
		})
		if errors.Is(err, ErrConflict) && !s.exclusive {
			// Another server recorded a base first: check against it.
			return s.init(ctx, adopt, mustExist)
		}
		if err != nil {
			return fmt.Errorf("open store %s: record base: %w", s.url, err)
		}
		if err := s.syncStore(); err != nil {
			return err
		}
	}
	head, err := s.readHead(ctx)
	s.setSeq(head)
	return err
}

// readHead finds the last change-log entry. Entries are numbered from 1
// without gaps and each has one sequence statement in the changes graph,
// so their exact count is the head.
func (s *Store) readHead(ctx context.Context) (uint64, error) {
	n, err := s.be.Count(ctx, Pattern{Predicate: quad.IRI(predSequence), Graph: quad.IRI(graphChanges)})
	if err != nil {
		return 0, fmt.Errorf("read change log head: %w", err)
	}
	return uint64(n), nil
}

func changeNode(seq uint64) quad.IRI {
	return quad.IRI(changePrefix + strconv.FormatUint(seq, 10))
}

// SideDir is the directory where a process may keep files of its own
// beside the store, such as the catalog's list index snapshot: the Badger
// store's directory (Badger ignores files it did not make). It is "" for
// a store with no directory of its own (PostgreSQL, shared by several
// servers).
func (s *Store) SideDir() string { return s.sideDir }

// Base returns the store's base IRI.
func (s *Store) Base() schema.Base { return s.base }

// Sequence returns the sequence number of the last change.
func (s *Store) Sequence() uint64 {
	return s.head.Load()
}

// Close flushes and closes the store. It is safe to call more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	closers := s.closers
	s.closers = nil
	s.mu.Unlock()
	for _, fn := range closers {
		fn()
	}
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
	if err := s.be.Close(); err != nil {
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
		if rdf.IRIOf(q.Predicate) == quad.IRI(predicate) && rdf.IRIOf(q.Label) == quad.IRI(graphIRI) {
			out = append(out, q.Object)
		}
	}
	return out, nil
}

// quadsBySubject returns every statement with the given subject, in all
// graphs.
func (s *Store) quadsBySubject(ctx context.Context, subject quad.Value) ([]quad.Quad, error) {
	return s.match(ctx, Pattern{Subject: subject})
}

// quadsByGraph returns every statement in the named graph.
func (s *Store) quadsByGraph(ctx context.Context, label quad.Value) ([]quad.Quad, error) {
	return s.match(ctx, Pattern{Graph: label})
}

// quadsBy returns the statements having value v in direction dir.
func (s *Store) quadsBy(ctx context.Context, dir quad.Direction, v quad.Value) ([]quad.Quad, error) {
	var p Pattern
	switch dir {
	case quad.Subject:
		p.Subject = v
	case quad.Predicate:
		p.Predicate = v
	case quad.Object:
		p.Object = v
	case quad.Label:
		p.Graph = v
	}
	return s.match(ctx, p)
}

// match returns every statement matching p, read from one snapshot.
func (s *Store) match(ctx context.Context, p Pattern) ([]quad.Quad, error) {
	var out []quad.Quad
	err := s.be.Scan(ctx, p, PosAll, func(q quad.Quad) error {
		out = append(out, q)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("match %s: %w", patternKey(p), err)
	}
	return out, nil
}

// scanAllQuads calls fn with every statement of the store, bookkeeping
// included, from one snapshot.
func (s *Store) scanAllQuads(ctx context.Context, fn func(quad.Quad) error) error {
	return s.be.Scan(ctx, Pattern{}, PosAll, fn)
}

// bookkeeping reports whether a graph is one of the store's own (records'
// bookkeeping, change log, tokens) rather than a record.
func bookkeeping(label quad.Value) bool {
	l := string(rdf.IRIOf(label))
	return l == "" || strings.HasPrefix(l, "urn:credreg:")
}

// scanRecordQuads calls fn with every statement of the records (not of
// the store's bookkeeping graphs) whose predicate is in preds (any, when
// preds is nil): one Scan of the store, or one per predicate (of the
// predicate index) for a few predicates.
func (s *Store) scanRecordQuads(ctx context.Context, preds map[quad.IRI]bool, fn func(quad.Quad) error) error {
	each := func(q quad.Quad) error {
		if bookkeeping(q.Label) {
			return nil
		}
		return fn(q)
	}
	if len(preds) > manyPredicates {
		// Most of the store: one scan, filtered here, costs less than
		// one per predicate.
		return s.be.Scan(ctx, Pattern{}, PosAll, func(q quad.Quad) error {
			if !preds[rdf.IRIOf(q.Predicate)] {
				return nil
			}
			return each(q)
		})
	}
	for _, p := range patternsOf(preds) {
		if err := s.be.Scan(ctx, p, PosAll, each); err != nil {
			return err
		}
	}
	return nil
}

// manyPredicates is the number of predicates above which scanRecordQuads
// reads the whole store once rather than each predicate's statements.
const manyPredicates = 8

// scanQuads is scanRecordQuads through the port's paged Match instead of
// its Scan: another path to the same statements, which tests compare.
func (s *Store) scanQuads(ctx context.Context, preds map[quad.IRI]bool, fn func(quad.Quad) error) error {
	for _, p := range patternsOf(preds) {
		var after []byte
		for {
			quads, next, err := s.be.Match(ctx, p, after, 10_000)
			if err != nil {
				return err
			}
			for _, q := range quads {
				if bookkeeping(q.Label) {
					continue
				}
				if err := fn(q); err != nil {
					return err
				}
			}
			if next == nil {
				break
			}
			after = next
		}
	}
	return nil
}

// patternsOf returns one pattern per predicate of preds, in order, or the
// pattern of every statement when preds is nil.
func patternsOf(preds map[quad.IRI]bool) []Pattern {
	if preds == nil {
		return []Pattern{{}}
	}
	ps := make([]string, 0, len(preds))
	for p := range preds {
		ps = append(ps, string(p))
	}
	sort.Strings(ps)
	out := make([]Pattern, len(ps))
	for i, p := range ps {
		out[i] = Pattern{Predicate: quad.IRI(p)}
	}
	return out
}
