package registry

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/cayleygraph/quad"
	"github.com/dgraph-io/badger/v4"

	"credreg/rdf"
	"credreg/registry/internal/badgerkv"
	"credreg/registry/internal/quadstore"
	"credreg/registry/internal/tokenrec"
)

// Backend is the registry's storage port: what the record store needs from
// a quad store, and nothing more. Records, their bookkeeping and the
// change log are statements (see the package documentation for the graphs
// they live in), so the port speaks statements; the write tokens are not:
// a backend keeps them in a keyspace of its own (a key prefix on Badger,
// a table on PostgreSQL), read by id. The Badger quad store
// (badgerBackend) is its first implementation, PostgreSQL (pgBackend)
// its second.
//
// Every method is safe for concurrent use. Terms are cayley's quad values
// (the project's RDF term model); no other cayley or Badger type crosses
// the port.
type Backend interface {
	// Apply removes the statements of remove, then adds those of add, as
	// one atomic commit: after a crash either all of it is stored or none.
	// A statement of remove must be stored and one of add must not be
	// (a replacement computes both against what it read under the write
	// lock); otherwise nothing is written and the error wraps ErrConflict.
	// That makes Apply a compare-and-swap: where several processes share
	// one database, a writer whose reads went stale meets ErrConflict
	// (every write adds the change-log entry after the head it read, so
	// two writers never both succeed from the same head). Apply
	// commits; Sync makes commits durable (the registry calls it once per
	// acknowledged write). It is how a batch of record replacements is
	// written together with their change-log entries.
	Apply(ctx context.Context, remove, add []quad.Quad) error
	// Match returns up to limit statements matching p (a nil term matches
	// any; a nil Graph matches every graph but those of p.Except),
	// starting after the cursor after (nil for the first page), and the
	// cursor of the next page (nil on the last), in an order that is
	// stable while the store is not written. A cursor is opaque and valid
	// only for the same pattern; a page costs the same however deep.
	Match(ctx context.Context, p Pattern, after []byte, limit int) ([]quad.Quad, []byte, error)
	// Skip passes n statements matching p after the cursor after (nil:
	// from the first), in Match's order, reading no term, and returns the
	// cursor Match would give after a page ending at the last one passed,
	// or nil when fewer than n remain. It is how a page addressed by
	// number finds where it starts.
	Skip(ctx context.Context, p Pattern, after []byte, n int) ([]byte, error)
	// Count returns the exact number of statements matching p. Counting
	// every statement, or a predicate's, outside the bookkeeping graphs
	// (p.Except = bookkeepingGraphs) reads counters, as does a bookkeeping
	// graph's count, alone or with a predicate; others may count keys.
	Count(ctx context.Context, p Pattern) (int64, error)
	// Scan calls fn with every statement matching p, all from one
	// snapshot; a scan with p.Except and no bound term goes graph by graph
	// (the order the dump writes) and skips the excluded graphs unread. Only the terms of the positions in want are set (the
	// others are nil): a scan that needs only graphs and predicates costs
	// no other term. An error from fn ends the scan and is returned.
	Scan(ctx context.Context, p Pattern, want Positions, fn func(quad.Quad) error) error
	// PutToken stores a new write token (its description and the hash
	// of its secret). An id that is taken is an error wrapping
	// ErrConflict, and nothing is written. Like Apply it commits; Sync
	// makes it durable.
	PutToken(ctx context.Context, t StoredToken) error
	// GetToken reads the token id, or an error wrapping ErrNotFound. It
	// reads what the store holds now, never a copy that can lag (a read
	// replica's, a cache's): a token made or revoked by any process
	// sharing the store counts at once. It is every authenticated
	// request's read, so it is one lookup by key.
	GetToken(ctx context.Context, id string) (StoredToken, error)
	// ListTokens reads every token, in id order.
	ListTokens(ctx context.Context) ([]StoredToken, error)
	// RevokeToken sets token id's revocation time to at, unless it is
	// revoked already (an error wrapping ErrConflict; nothing is
	// written, and the token is returned as stored) or unknown (an error
	// wrapping ErrNotFound), as one conditional write: of two processes
	// revoking a token at once, one succeeds. It returns the token as
	// stored.
	RevokeToken(ctx context.Context, id string, at time.Time) (StoredToken, error)
	// Sync makes every commit so far durable.
	Sync() error
	// Close closes the backend.
	Close() error
}

// ErrConflict is wrapped by Backend.Apply's error when a statement to
// remove is not stored or one to add already is: what the write was
// computed from has changed since it was read. Nothing was written; the
// writer may read again and retry.
var ErrConflict = errors.New("the store changed under this write")

// StoredToken is a write token as a backend stores it: its description
// and the hash of its secret ("sha256:" and hex). Its times are kept to
// the microsecond (tokenrec.Precision) by every backend.
type StoredToken struct {
	Token
	Hash string
}

// tokenRec and storedToken convert between the port's token and the
// backends' (registry/internal/tokenrec).
func tokenRec(t StoredToken) tokenrec.Token {
	return tokenrec.Token{ID: t.ID, Hash: t.Hash, Agency: t.Agency, Role: string(t.Role), Created: t.Created, Expires: t.Expires, Revoked: t.Revoked}
}

func storedToken(t tokenrec.Token) StoredToken {
	return StoredToken{Token: Token{ID: t.ID, Agency: t.Agency, Role: Role(t.Role), Created: t.Created, Expires: t.Expires, Revoked: t.Revoked}, Hash: t.Hash}
}

func storedTokens(ts []tokenrec.Token) []StoredToken {
	out := make([]StoredToken, len(ts))
	for i, t := range ts {
		out[i] = storedToken(t)
	}
	return out
}

// ErrBadCursor is wrapped by Backend.Match's and Skip's error for a cursor
// that is not one of the pattern's.
var ErrBadCursor = errors.New("the cursor does not belong to this pattern")

// Positions is a set of the positions of a statement.
type Positions uint8

// The positions of a statement, for Backend.Scan.
const (
	PosSubject Positions = 1 << iota
	PosPredicate
	PosObject
	PosGraph
	PosAll = PosSubject | PosPredicate | PosObject | PosGraph
)

// sizer is implemented by backends that can tell the size of their files.
type sizer interface {
	Size() (lsm, vlog int64)
}

// badgerDB is implemented by backends on Badger, for backups.
type badgerDB interface {
	Badger() *badger.DB
}

// Storage layout of the default backend: credreg's quad store on Badger v4,
// registry/internal/quadstore, whose package documentation defines the keys.
const (
	// StoreLayout names the layout and its version, as the store's
	// "mlayout" key holds it.
	StoreLayout = "credreg-quadstore 5"
	// badgerMemTable is the Badger memtable size of a registry store. It
	// is most of an import's memory: the arena (the memtable size plus a
	// transaction's worth, allocated whole on the Go heap, so it raises
	// the garbage collector's goal by as much), its mapped write-ahead
	// log, and at each switch the full one, with the table builder's
	// buffers of about twice its size, while the next fills. At 128 MiB a
	// 100,000-row import's live heap rose by 330 MB at every switch.
	//
	// Badger caps one transaction at 15% of the memtable (about 94,000
	// entries at 64 MiB, the size over 96-byte entries). A PutBatch is
	// atomic whatever its size: one that does not fit a transaction is
	// journalled by the quad store (written twice). PreferredBatchQuads
	// is the batch that fits: four index keys a statement (three for the
	// bookkeeping) and two dictionary entries for each new term, at most
	// two a statement (its subject and object: predicates are the
	// schema's, the graph is its record's), twice for a replacement.
	badgerMemTable = 64 << 20
)

// testMemTable, when set (by tests, before a store opens), replaces
// badgerMemTable: a small memtable makes every batch journalled.
var testMemTable int64

// ErrLocked is wrapped by the error of opening a Badger store that another
// process holds (a running server): stop it, or use the server's HTTP
// routes.
var ErrLocked = badgerkv.ErrLocked

// ErrOldLayout is wrapped by Open's error for a store written by an older
// credreg in cayley's kv layout; credreg migrate upgrades it.
var ErrOldLayout = errors.New("this store was written by an older credreg (cayley kv layout)")

// badgerBackend is the Backend on credreg's Badger v4 quad store.
type badgerBackend struct {
	qs *quadstore.QuadStore
}

// openBadgerBackend opens (creating if needed) the quad store in dir;
// bulk tunes it for an import (quadstore.Options.BulkLoad).
func openBadgerBackend(dir string, log *slog.Logger, bulk bool) (*badgerBackend, error) {
	if err := badgerkv.PrepareDir(dir, false, log); err != nil {
		return nil, err
	}
	qs, err := quadstore.Open(dir, quadstore.Options{
		// The registry syncs once per acknowledged write (Sync).
		NoSync:       true,
		MemTableSize: cmp.Or(testMemTable, badgerMemTable),
		BulkLoad:     bulk,
		// Only Badger's own limits split a write: Apply needs one
		// transaction, so there is no count limit below them.
		BatchSize: 1 << 30,
		// Counts without the bookkeeping graphs (fragments, the dataset
		// description) read their counters.
		CountedGraphs: bookkeepingGraphs,
		Logger:        log,
		OpenBadger: func(o badger.Options) (*badger.DB, error) {
			db, err := badger.Open(o)
			if err != nil {
				return nil, badgerkv.ClassifyOpenError(dir, false, err)
			}
			return db, nil
		},
	})
	if errors.Is(err, quadstore.ErrLayout) && strings.Contains(err.Error(), "without a credreg-quadstore layout key") {
		return nil, fmt.Errorf("%w; run `credreg migrate --store badger://%s` to upgrade it (%w)", ErrOldLayout, dir, err)
	}
	if err != nil {
		return nil, err
	}
	return &badgerBackend{qs: qs}, nil
}

func (b *badgerBackend) Apply(ctx context.Context, remove, add []quad.Quad) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := b.qs.Replace(remove, add)
	if errors.Is(err, quadstore.ErrPrecondition) {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}

func qpattern(p Pattern) quadstore.Pattern {
	return quadstore.Pattern{Subject: p.Subject, Predicate: p.Predicate, Object: p.Object, Label: p.Graph, Except: p.Except}
}

func canonicalQuad(q quad.Quad) quad.Quad {
	for _, d := range quad.Directions {
		if v := q.Get(d); v != nil {
			q.Set(d, rdf.CanonicalTerm(v))
		}
	}
	return q
}

func (b *badgerBackend) Match(ctx context.Context, p Pattern, after []byte, limit int) ([]quad.Quad, []byte, error) {
	quads, next, err := b.qs.Match(ctx, qpattern(p), after, limit)
	if errors.Is(err, quadstore.ErrBadCursor) {
		err = fmt.Errorf("%w: %w", ErrBadCursor, err)
	}
	for i := range quads {
		quads[i] = canonicalQuad(quads[i])
	}
	return quads, next, err
}

func (b *badgerBackend) Skip(ctx context.Context, p Pattern, after []byte, n int) ([]byte, error) {
	cursor, _, err := b.qs.Skip(ctx, qpattern(p), after, n)
	if errors.Is(err, quadstore.ErrBadCursor) {
		err = fmt.Errorf("%w: %w", ErrBadCursor, err)
	}
	return cursor, err
}

func (b *badgerBackend) Count(ctx context.Context, p Pattern) (int64, error) {
	return b.qs.Count(ctx, qpattern(p))
}

func (b *badgerBackend) Scan(ctx context.Context, p Pattern, want Positions, fn func(quad.Quad) error) error {
	return b.qs.Scan(ctx, qpattern(p), uint8(want), func(q quad.Quad) error { return fn(canonicalQuad(q)) })
}

func (b *badgerBackend) PutToken(ctx context.Context, t StoredToken) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := b.qs.PutToken(tokenRec(t))
	if errors.Is(err, quadstore.ErrTokenExists) {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}

func (b *badgerBackend) GetToken(ctx context.Context, id string) (StoredToken, error) {
	if err := ctx.Err(); err != nil {
		return StoredToken{}, err
	}
	t, err := b.qs.Token(id)
	if errors.Is(err, quadstore.ErrNoToken) {
		return StoredToken{}, fmt.Errorf("token %s: %w", id, ErrNotFound)
	}
	return storedToken(t), err
}

func (b *badgerBackend) ListTokens(ctx context.Context) ([]StoredToken, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ts, err := b.qs.Tokens()
	return storedTokens(ts), err
}

func (b *badgerBackend) RevokeToken(ctx context.Context, id string, at time.Time) (StoredToken, error) {
	if err := ctx.Err(); err != nil {
		return StoredToken{}, err
	}
	t, err := b.qs.RevokeToken(id, at)
	switch {
	case errors.Is(err, quadstore.ErrNoToken):
		return StoredToken{}, fmt.Errorf("token %s: %w", id, ErrNotFound)
	case errors.Is(err, quadstore.ErrTokenRevoked):
		return storedToken(t), fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return storedToken(t), err
}

func (b *badgerBackend) Sync() error  { return b.qs.Sync() }
func (b *badgerBackend) Close() error { return b.qs.Close() }

func (b *badgerBackend) Size() (lsm, vlog int64) { return b.qs.Badger().Size() }

func (b *badgerBackend) Badger() *badger.DB { return b.qs.Badger() }

// Pattern is the storage port's triple pattern: nil for a variable.
// Graph, when set, keeps the statements of one graph (a record's, or a
// bookkeeping graph).
type Pattern struct {
	Subject, Predicate, Object quad.Value
	Graph                      quad.Value
	// Except leaves out the statements of these graphs (nil: the default
	// graph) when Graph is nil. A backend answers it without reading the
	// excluded statements where its indexes allow (Backend.Count from
	// counters for the bookkeeping graphs, whose counts it keeps).
	Except []quad.Value
}

// patternKey writes p with "?" for its variables, for messages.
func patternKey(p Pattern) string {
	t := func(v quad.Value) string {
		if v == nil {
			return "?"
		}
		return rdf.TermString(v)
	}
	return t(p.Subject) + " " + t(p.Predicate) + " " + t(p.Object) + " " + t(p.Graph)
}
