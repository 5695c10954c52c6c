package pgstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/cayleygraph/quad"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SchemaVersion is the version of the schema this package reads and
// writes (see the package documentation). Open creates it in an empty
// database, migrates an older one forward and refuses a newer one.
const SchemaVersion = 3

// Layout names the schema and its version, as credreg_schema_version's
// layout column holds it.
var Layout = fmt.Sprintf("credreg-pg %d", SchemaVersion)

// Errors a caller can test for with errors.Is.
var (
	// ErrConflict: Apply's precondition failed (a statement to remove is
	// not stored, or one to add is), or PostgreSQL aborted the
	// transaction for a concurrent writer (deadlock, serialization).
	// Nothing was written.
	ErrConflict = errors.New("pgstore: the store changed under this write")
	// ErrSchemaTooNew: the database was written by a newer credreg.
	ErrSchemaTooNew = errors.New("pgstore: the database's schema is newer than this credreg")
	// ErrBadCursor: Match was given a cursor it did not make for this
	// pattern.
	ErrBadCursor = errors.New("pgstore: bad cursor")
)

// advisoryLockKey is the key of the transaction-level advisory lock under
// which Open creates or migrates the schema ("credreg" in ASCII), so that
// servers starting together do it once.
const advisoryLockKey int64 = 0x6372656472656700

// DefaultMaxConns is the pool size when the URL gives no pool_max_conns.
const DefaultMaxConns = 16

// Options configures Open.
type Options struct {
	// Logger receives the store's logs; nil means slog.Default().
	Logger *slog.Logger
	// MaxConns bounds the connection pool when the URL has no
	// pool_max_conns; 0 means DefaultMaxConns.
	MaxConns int32
	// TermCache bounds each of the two in-memory term caches (key → id,
	// id → term); 0 means 1<<18 entries.
	TermCache int
	// ReadOnly opens a database this process only reads, such as a hot
	// standby: the schema is never created nor migrated; Open waits up to
	// SchemaWait for it to reach SchemaVersion (a standby replays what the
	// primary's first start created), then refuses.
	ReadOnly bool
	// SchemaWait bounds that wait; 0 means 30s.
	SchemaWait time.Duration
}

// Store is the credreg statement store on one PostgreSQL database. It is
// safe for concurrent use, and several processes may share the database.
type Store struct {
	pool *pgxpool.Pool
	log  *slog.Logger
	// ids maps term keys to ids and terms maps ids to terms. Terms are
	// never deleted and ids never reused, so neither goes stale; ids are
	// put in only after the commit that made them.
	ids   *boundedCache[string, int64]
	terms *boundedCache[int64, quad.Value]
}

// Pattern selects statements: a nil term matches any; a nil Graph matches
// every graph.
type Pattern struct {
	Subject, Predicate, Object, Graph quad.Value
	// Except leaves out the statements of these graphs (nil: the default
	// graph) when Graph is nil.
	Except []quad.Value
}

// Open connects to the database at dsn (a postgres:// or postgresql://
// URL, as pgx reads it), creates or migrates the schema, and returns the
// store.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: parse the database URL: %w", err)
	}
	if u, err := url.Parse(dsn); err != nil || !u.Query().Has("pool_max_conns") {
		cfg.MaxConns = opts.MaxConns
		if cfg.MaxConns <= 0 {
			cfg.MaxConns = DefaultMaxConns
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: connect: %w", err)
	}
	n := opts.TermCache
	if n <= 0 {
		n = 1 << 18
	}
	s := &Store{pool: pool, log: log, ids: newBoundedCache[string, int64](n), terms: newBoundedCache[int64, quad.Value](n)}
	if opts.ReadOnly {
		err = s.awaitSchema(ctx, opts.SchemaWait)
	} else {
		err = s.migrate(ctx)
	}
	if err != nil {
		pool.Close()
		return nil, err
	}
	var syncCommit string
	if err := pool.QueryRow(ctx, "SHOW synchronous_commit").Scan(&syncCommit); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: read synchronous_commit: %w", err)
	}
	if syncCommit == "off" {
		log.Warn("PostgreSQL has synchronous_commit off: an acknowledged write can be lost in a crash")
	}
	return s, nil
}

// migrations[v] takes the schema from version v-1 to v. A migration
// never drops data.
var migrations = map[int][]string{
	1: schemaV1,
	2: schemaV2,
	3: schemaV3,
}

// migrationSteps[v] runs after migrations[v]'s statements, in the same
// transaction, for what SQL alone cannot do (version 3 decodes the terms
// of the token statements it moves).
func (s *Store) migrationSteps() map[int]func(context.Context, pgx.Tx) error {
	return map[int]func(context.Context, pgx.Tx) error{3: s.moveTokens}
}

// schemaV2 adds the statements per graph and predicate, counted from the
// statements a version 1 database holds, so that counts of a graph, of a
// graph's predicate, and of everything but a few graphs read counters.
var schemaV2 = []string{
	`CREATE TABLE credreg_gpcounts (
		g bigint NOT NULL,
		p bigint NOT NULL,
		n bigint NOT NULL,
		PRIMARY KEY (g, p)
	)`,
	`INSERT INTO credreg_gpcounts (g, p, n) SELECT g, p, count(*) FROM credreg_quads GROUP BY g, p`,
}

// schemaV1 creates version 1 of the schema.
var schemaV1 = []string{
	`CREATE TABLE credreg_schema_version (
		version integer PRIMARY KEY,
		layout  text NOT NULL,
		applied timestamptz NOT NULL DEFAULT now()
	)`,
	`CREATE TABLE credreg_terms (
		id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
		k  bytea NOT NULL UNIQUE,
		v  bytea
	)`,
	`CREATE TABLE credreg_quads (
		s bigint NOT NULL,
		p bigint NOT NULL,
		o bigint NOT NULL,
		g bigint NOT NULL,
		PRIMARY KEY (s, p, o, g)
	)`,
	`CREATE INDEX credreg_quads_posg ON credreg_quads (p, o, s, g)`,
	`CREATE INDEX credreg_quads_ospg ON credreg_quads (o, s, p, g)`,
	`CREATE INDEX credreg_quads_gspo ON credreg_quads (g, s, p, o)`,
	`CREATE INDEX credreg_quads_pgos ON credreg_quads (p, g, o, s)`,
	`CREATE INDEX credreg_quads_ogsp ON credreg_quads (o, g, s, p)`,
	`CREATE TABLE credreg_pcounts (
		p bigint PRIMARY KEY,
		n bigint NOT NULL
	)`,
}

// migrate creates the schema in an empty database or brings an older one
// to SchemaVersion, under an advisory lock, in one transaction.
func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: begin the schema check: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", advisoryLockKey); err != nil {
		return fmt.Errorf("pgstore: take the schema lock: %w", err)
	}
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT to_regclass('credreg_schema_version') IS NOT NULL").Scan(&exists); err != nil {
		return fmt.Errorf("pgstore: look for the schema: %w", err)
	}
	current := 0
	if exists {
		if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM credreg_schema_version").Scan(&current); err != nil {
			return fmt.Errorf("pgstore: read the schema version: %w", err)
		}
	}
	if current > SchemaVersion {
		return fmt.Errorf("%w: it is version %d, this credreg knows versions up to %d; run a credreg at least as new as the one that wrote it", ErrSchemaTooNew, current, SchemaVersion)
	}
	if current == SchemaVersion {
		return nil
	}
	for v := current + 1; v <= SchemaVersion; v++ {
		for _, stmt := range migrations[v] {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("pgstore: migrate the schema to version %d: %w", v, err)
			}
		}
		if step := s.migrationSteps()[v]; step != nil {
			if err := step(ctx, tx); err != nil {
				return fmt.Errorf("pgstore: migrate the schema to version %d: %w", v, err)
			}
		}
		if _, err := tx.Exec(ctx, "INSERT INTO credreg_schema_version (version, layout) VALUES ($1, $2)", v, fmt.Sprintf("credreg-pg %d", v)); err != nil {
			return fmt.Errorf("pgstore: record schema version %d: %w", v, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: commit the schema: %w", err)
	}
	if current == 0 {
		s.log.Info("created the credreg schema", "layout", Layout)
	} else {
		s.log.Info("migrated the credreg schema", "from", current, "to", SchemaVersion)
	}
	return nil
}

// awaitSchema waits until the database holds schema version
// SchemaVersion, as a read-only open needs.
func (s *Store) awaitSchema(ctx context.Context, wait time.Duration) error {
	if wait <= 0 {
		wait = 30 * time.Second
	}
	deadline := time.Now().Add(wait)
	for {
		current := 0
		var exists bool
		err := s.pool.QueryRow(ctx, "SELECT to_regclass('credreg_schema_version') IS NOT NULL").Scan(&exists)
		if err == nil && exists {
			err = s.pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM credreg_schema_version").Scan(&current)
		}
		if err != nil {
			return fmt.Errorf("pgstore: read the schema version: %w", err)
		}
		switch {
		case current > SchemaVersion:
			return fmt.Errorf("%w: it is version %d, this credreg knows versions up to %d; run a credreg at least as new as the one that wrote it", ErrSchemaTooNew, current, SchemaVersion)
		case current == SchemaVersion:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("pgstore: the database holds credreg schema version %d, not %d, and this process only reads it (a read replica): start a server on the primary first, and check that the replica replays it", current, SchemaVersion)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Sync does nothing: a commit is durable when it returns (PostgreSQL's
// synchronous_commit, on by default; Open warns when it is off).
func (s *Store) Sync() error { return nil }

// Size returns the bytes the store's tables and indexes take.
func (s *Store) Size(ctx context.Context) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(c)), 0)::bigint
		FROM unnest(ARRAY['credreg_terms', 'credreg_quads', 'credreg_pcounts', 'credreg_gpcounts', 'credreg_tokens']::regclass[]) AS c`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("pgstore: size: %w", err)
	}
	return n, nil
}

// isConflict tells whether err is PostgreSQL aborting a transaction for a
// concurrent one: a unique violation, a deadlock or a serialization
// failure.
func isConflict(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505", "40P01", "40001":
			return true
		}
	}
	return false
}

// querier is what a pool and a transaction have in common.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// boundedCache is a map that forgets everything when it is full: cheap,
// and enough for caches of values that never go stale.
type boundedCache[K comparable, V any] struct {
	mu  sync.RWMutex
	max int
	m   map[K]V
}

func newBoundedCache[K comparable, V any](max int) *boundedCache[K, V] {
	return &boundedCache[K, V]{max: max, m: make(map[K]V)}
}

func (c *boundedCache[K, V]) get(k K) (V, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *boundedCache[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[k] = v
}
