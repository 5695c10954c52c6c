package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/registry/internal/pgstore"
)

// pgBackend is the Backend on PostgreSQL: credreg's own schema,
// registry/internal/pgstore, whose package documentation defines the
// tables and says why it is not cayley's SQL layout. Several processes
// may share the database.
type pgBackend struct {
	st *pgstore.Store
}

// openPGBackend connects to the database at dsn, creating or migrating
// credreg's schema in it.
func openPGBackend(ctx context.Context, dsn string, log *slog.Logger) (*pgBackend, error) {
	return openPG(ctx, dsn, pgstore.Options{Logger: log})
}

// openPGReplica connects to a read replica (a hot standby): its schema is
// never created nor migrated, only awaited.
func openPGReplica(ctx context.Context, dsn string, log *slog.Logger) (*pgBackend, error) {
	return openPG(ctx, dsn, pgstore.Options{Logger: log, ReadOnly: true})
}

func openPG(ctx context.Context, dsn string, opts pgstore.Options) (*pgBackend, error) {
	st, err := pgstore.Open(ctx, dsn, opts)
	if err != nil {
		return nil, err
	}
	return &pgBackend{st: st}, nil
}

func ppattern(p Pattern) pgstore.Pattern {
	return pgstore.Pattern{Subject: p.Subject, Predicate: p.Predicate, Object: p.Object, Graph: p.Graph, Except: p.Except}
}

func (b *pgBackend) Apply(ctx context.Context, remove, add []quad.Quad) error {
	err := b.st.Apply(ctx, remove, add)
	if errors.Is(err, pgstore.ErrConflict) {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	if err == nil {
		// Tell the other servers; if this is lost, they poll.
		if nerr := b.st.Announce(context.WithoutCancel(ctx)); nerr != nil {
			slog.Debug("announce a commit", "err", nerr)
		}
	}
	return err
}

func (b *pgBackend) Match(ctx context.Context, p Pattern, after []byte, limit int) ([]quad.Quad, []byte, error) {
	quads, next, err := b.st.Match(ctx, ppattern(p), after, limit)
	if errors.Is(err, pgstore.ErrBadCursor) {
		err = fmt.Errorf("%w: %w", ErrBadCursor, err)
	}
	for i := range quads {
		quads[i] = canonicalQuad(quads[i])
	}
	return quads, next, err
}

func (b *pgBackend) Skip(ctx context.Context, p Pattern, after []byte, n int) ([]byte, error) {
	cursor, err := b.st.Skip(ctx, ppattern(p), after, n)
	if errors.Is(err, pgstore.ErrBadCursor) {
		err = fmt.Errorf("%w: %w", ErrBadCursor, err)
	}
	return cursor, err
}

func (b *pgBackend) Count(ctx context.Context, p Pattern) (int64, error) {
	return b.st.Count(ctx, ppattern(p))
}

func (b *pgBackend) Scan(ctx context.Context, p Pattern, want Positions, fn func(quad.Quad) error) error {
	return b.st.Scan(ctx, ppattern(p), uint8(want), func(q quad.Quad) error { return fn(canonicalQuad(q)) })
}

func (b *pgBackend) PutToken(ctx context.Context, t StoredToken) error {
	err := b.st.PutToken(ctx, tokenRec(t))
	if errors.Is(err, pgstore.ErrTokenExists) {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}

func (b *pgBackend) GetToken(ctx context.Context, id string) (StoredToken, error) {
	t, err := b.st.Token(ctx, id)
	if errors.Is(err, pgstore.ErrNoToken) {
		return StoredToken{}, fmt.Errorf("token %s: %w", id, ErrNotFound)
	}
	return storedToken(t), err
}

func (b *pgBackend) ListTokens(ctx context.Context) ([]StoredToken, error) {
	ts, err := b.st.Tokens(ctx)
	return storedTokens(ts), err
}

func (b *pgBackend) RevokeToken(ctx context.Context, id string, at time.Time) (StoredToken, error) {
	t, err := b.st.RevokeToken(ctx, id, at)
	switch {
	case errors.Is(err, pgstore.ErrNoToken):
		return StoredToken{}, fmt.Errorf("token %s: %w", id, ErrNotFound)
	case errors.Is(err, pgstore.ErrTokenRevoked):
		return storedToken(t), fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return storedToken(t), err
}

func (b *pgBackend) Sync() error  { return b.st.Sync() }
func (b *pgBackend) Close() error { return b.st.Close() }

// WatchChanges passes on the announcements of commits that any process
// sharing the database makes (LISTEN), so that the store follows the
// change log at once.
func (b *pgBackend) WatchChanges(ctx context.Context) <-chan struct{} { return b.st.Watch(ctx) }

// LockWrites takes the database's write lock, which queues the writers of
// every server sharing it (see follow.go's writeLocker).
func (b *pgBackend) LockWrites(ctx context.Context) (func(), error) { return b.st.LockWrites(ctx) }
