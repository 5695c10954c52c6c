package registry

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hidal-go/hidalgo/kv/flat"
)

// groupKV wraps a flat key-value store so that several cayley writes can
// share one storage transaction. While a group is open, every read-write
// transaction cayley starts is the group's transaction (its Commit and
// Close do nothing); read-only transactions stay separate and do not see
// the group's writes until it commits.
//
// credreg needs this because cayley's kv ApplyDeltas loses statements when
// one call both adds a statement and removes others that share a node whose
// reference count falls overall (graph/log SplitDeltas puts such a node in
// DecNode only, so applyAddDeltas writes the added quad with a zero id for
// it). Replacing a record therefore runs its removals and its additions as
// two ApplyDeltas calls inside one group: atomic on disk, correct in cayley.
//
// Only one goroutine may open groups and start read-write transactions at a
// time; Store.mu ensures it.
type groupKV struct {
	flat.KV
	mu    sync.Mutex
	group flat.Tx
}

// Tx implements flat.KV.
func (g *groupKV) Tx(ctx context.Context, rw bool) (flat.Tx, error) {
	if rw {
		g.mu.Lock()
		tx := g.group
		g.mu.Unlock()
		if tx != nil {
			return groupMember{tx}, nil
		}
	}
	return g.KV.Tx(ctx, rw)
}

// View implements flat.KV.
func (g *groupKV) View(ctx context.Context, fn func(tx flat.Tx) error) error {
	return flat.View(ctx, g, fn)
}

// Update implements flat.KV.
func (g *groupKV) Update(ctx context.Context, fn func(tx flat.Tx) error) error {
	return flat.Update(ctx, g, fn)
}

// atomic runs fn with a group open and commits the group when fn succeeds;
// when fn fails, nothing fn wrote is kept.
func (g *groupKV) atomic(ctx context.Context, fn func() error) error {
	tx, err := g.KV.Tx(ctx, true)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	g.mu.Lock()
	if g.group != nil {
		g.mu.Unlock()
		_ = tx.Close()
		return errors.New("begin transaction: a group is already open")
	}
	g.group = tx
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.group = nil
		g.mu.Unlock()
		_ = tx.Close()
	}()
	if err := fn(); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// groupMember is a group's transaction as one cayley write sees it.
type groupMember struct{ flat.Tx }

func (groupMember) Commit(context.Context) error { return nil }
func (groupMember) Close() error                 { return nil }
