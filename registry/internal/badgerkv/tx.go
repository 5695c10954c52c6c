package badgerkv

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/hidal-go/hidalgo/kv/flat"
)

// errTxDone is returned by operations on a committed or closed transaction.
var errTxDone = fmt.Errorf("badgerkv: transaction already committed or closed: %w", badger.ErrDiscardedTxn)

// tx is a flat.Tx over a badger.Txn.
//
// Badger panics when a transaction is discarded with iterators still open,
// so tx tracks its iterators and closes them first in Commit and Close.
type tx struct {
	db   *DB
	txn  *badger.Txn
	rw   bool
	done bool

	mu    sync.Mutex // guards iters: iterators may be closed from other goroutines
	iters map[*iterator]struct{}
}

var _ flat.Tx = (*tx)(nil)

// Get returns a copy of the value stored under key, or flat.ErrNotFound
// (also for an empty key, which can never be stored). An existing empty
// value is returned as a non-nil empty slice.
func (t *tx) Get(ctx context.Context, key flat.Key) (flat.Value, error) {
	if err := t.usable(); err != nil {
		return nil, err
	}
	if len(key) == 0 {
		return nil, flat.ErrNotFound
	}
	item, err := t.txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, flat.ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("badgerkv: get: %w", err)
	}
	val, err := item.ValueCopy(nil)
	if err != nil {
		return nil, fmt.Errorf("badgerkv: read value: %w", err)
	}
	if val == nil {
		val = flat.Value{}
	}
	return val, nil
}

// GetBatch returns the values for keys, with nil for missing keys.
func (t *tx) GetBatch(ctx context.Context, keys []flat.Key) ([]flat.Value, error) {
	vals := make([]flat.Value, len(keys))
	for i, k := range keys {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v, err := t.Get(ctx, k)
		switch {
		case errors.Is(err, flat.ErrNotFound):
		case err != nil:
			return nil, err
		default:
			vals[i] = v
		}
	}
	return vals, nil
}

// Put stores a copy of k and v; the caller may reuse both afterwards.
func (t *tx) Put(ctx context.Context, k flat.Key, v flat.Value) error {
	if err := t.writable(); err != nil {
		return err
	}
	// Badger keeps the slices until the transaction ends; copy both into one
	// allocation so callers can reuse their buffers.
	buf := make([]byte, len(k)+len(v))
	n := copy(buf, k)
	copy(buf[n:], v)
	return t.mapWriteErr("put", t.txn.Set(buf[:n:n], buf[n:]))
}

// Del removes k. Removing a missing key is not an error.
func (t *tx) Del(ctx context.Context, k flat.Key) error {
	if err := t.writable(); err != nil {
		return err
	}
	if len(k) == 0 {
		return nil // an empty key cannot exist
	}
	return t.mapWriteErr("delete", t.txn.Delete(k.Clone()))
}

func (t *tx) writable() error {
	if !t.rw {
		return flat.ErrReadOnly
	}
	return t.usable()
}

// usable reports why the transaction cannot be used, if it cannot.
func (t *tx) usable() error {
	if t.done {
		return errTxDone
	}
	if t.db.closed.Load() {
		return errClosed
	}
	return nil
}

// mapWriteErr translates Badger's errors for Put and Del. The sentinel errors
// of flat are returned as they are, because callers (flat.Update, hidalgo's
// tests) compare them with ==.
func (t *tx) mapWriteErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, badger.ErrConflict):
		return flat.ErrConflict
	case errors.Is(err, badger.ErrReadOnlyTxn):
		return flat.ErrReadOnly
	case errors.Is(err, badger.ErrTxnTooBig):
		return t.db.txnTooBig(err)
	default:
		return fmt.Errorf("badgerkv: %s: %w", op, err)
	}
}

// Commit applies the transaction. A conflict with a concurrent transaction
// returns flat.ErrConflict; the caller should retry the whole transaction
// (flat.Update does). Committing a read-only transaction just ends it. If
// ctx is already done the transaction is discarded and ctx.Err() returned.
func (t *tx) Commit(ctx context.Context) error {
	if t.done {
		return errTxDone
	}
	if t.db.closed.Load() {
		t.abandon()
		return errClosed
	}
	t.closeIterators(errTxDone)
	defer t.finish()
	if err := ctx.Err(); err != nil {
		return err
	}
	err := t.txn.Commit()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, badger.ErrConflict):
		return flat.ErrConflict
	default:
		return fmt.Errorf("badgerkv: commit: %w", err)
	}
}

// Close discards the transaction and closes its open iterators. It is a
// no-op after Commit or a previous Close.
func (t *tx) Close() error {
	if t.done {
		return nil
	}
	if t.db.closed.Load() {
		t.abandon()
		return nil
	}
	t.closeIterators(errTxDone)
	t.finish()
	return nil
}

// abandon ends a transaction whose DB was closed under it. Badger's state
// is gone, so nothing is released through it; the iterators are only
// marked closed.
func (t *tx) abandon() {
	t.done = true
	t.closeIterators(errClosed)
}

func (t *tx) finish() {
	t.done = true
	t.txn.Discard() // no-op after a successful Commit
}

// Scan returns an iterator over the transaction's view of the store, in key
// order. flat.PrefixIterator and flat.Seeker are implemented natively.
func (t *tx) Scan(ctx context.Context, opts ...flat.IteratorOption) flat.Iterator {
	it := &iterator{tx: t}
	if err := t.usable(); err != nil {
		it.err = err
		it.closed = true
	}
	return flat.ApplyIteratorOptions(it, opts)
}

func (t *tx) addIterator(it *iterator) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.iters == nil {
		t.iters = make(map[*iterator]struct{})
	}
	t.iters[it] = struct{}{}
}

func (t *tx) removeIterator(it *iterator) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.iters, it)
}

func (t *tx) closeIterators(reason error) {
	t.mu.Lock()
	iters := make([]*iterator, 0, len(t.iters))
	for it := range t.iters {
		iters = append(iters, it)
	}
	t.mu.Unlock()
	for _, it := range iters {
		it.closeWith(reason)
	}
}
