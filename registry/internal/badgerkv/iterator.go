package badgerkv

import (
	"bytes"
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	"github.com/hidal-go/hidalgo/kv/flat"
)

// iterator is a flat.Iterator over a badger.Iterator.
//
// The Badger iterator is created on first use, so that a prefix set by
// WithPrefix (the options are applied right after Scan) is passed to Badger
// as IteratorOptions.Prefix; Badger then skips tables that cannot hold the
// prefix. Values are not prefetched: the adapter's values are small and live
// in the LSM tree, where prefetching only adds a goroutine per entry.
type iterator struct {
	tx     *tx
	bit    *badger.Iterator // nil until first use, and after Close
	prefix flat.Key

	started bool         // positioned since creation or Reset
	item    *badger.Item // current entry; nil when not positioned on one
	val     flat.Value   // copy of item's value, once read
	valRead bool

	err      error
	closed   bool
	closedBy error // why the transaction closed the iterator, reported on use
}

var (
	_ flat.Seeker         = (*iterator)(nil)
	_ flat.PrefixIterator = (*iterator)(nil)
)

// WithPrefix limits the iterator to keys starting with pref and rewinds it.
func (it *iterator) WithPrefix(pref flat.Key) flat.Iterator {
	if it.closed {
		return it
	}
	it.releaseBadger() // Badger takes the prefix at creation time
	it.prefix = pref.Clone()
	it.Reset()
	return it
}

// Reset rewinds the iterator to before the first key. It keeps seeing the
// snapshot it was created with.
func (it *iterator) Reset() {
	if it.closed {
		return
	}
	it.started = false
	it.err = nil
	it.unposition()
}

// Next advances to the next key and reports whether there is one.
func (it *iterator) Next(ctx context.Context) bool {
	if !it.usable(ctx) {
		return false
	}
	switch {
	case !it.started:
		it.started = true
		it.bit.Rewind() // with a prefix, Badger seeks to it
	case it.item != nil:
		it.bit.Next()
	default:
		return false // exhausted
	}
	return it.position()
}

// Seek positions the iterator at the first key >= key and reports whether
// there is one (within the prefix, if any).
func (it *iterator) Seek(ctx context.Context, key flat.Key) bool {
	if !it.usable(ctx) {
		return false
	}
	it.started = true
	if bytes.Compare(key, it.prefix) < 0 {
		// Badger stops at once when seeking before the prefix.
		key = it.prefix
	}
	it.bit.Seek(key)
	return it.position()
}

// usable reports whether the iterator can move, creating the Badger
// iterator on first use.
func (it *iterator) usable(ctx context.Context) bool {
	if it.closed {
		if it.closedBy != nil && it.err == nil {
			it.err = it.closedBy
		}
		return false
	}
	if it.err != nil {
		return false
	}
	if err := ctx.Err(); err != nil {
		it.err = err
		it.unposition()
		return false
	}
	if it.tx.db.closed.Load() {
		it.err = errClosed
		it.unposition()
		return false
	}
	if it.bit == nil {
		if err := it.tx.usable(); err != nil {
			it.err = err
			return false
		}
		it.bit = it.tx.txn.NewIterator(badger.IteratorOptions{Prefix: it.prefix})
		it.tx.addIterator(it)
	}
	return true
}

func (it *iterator) position() bool {
	it.unposition()
	if !it.bit.Valid() {
		return false
	}
	it.item = it.bit.Item()
	return true
}

func (it *iterator) unposition() {
	it.item = nil
	it.val = nil
	it.valRead = false
}

// Key returns the current key, or nil. It is valid until Next, Seek, Reset
// or Close.
func (it *iterator) Key() flat.Key {
	if it.item == nil {
		return nil
	}
	return it.item.Key()
}

// Val returns the current value, or nil; a failure to read it is reported
// by Err. The value is copied once per position, so the returned slice stays
// valid after Next (beyond what flat.Iterator promises).
func (it *iterator) Val() flat.Value {
	if it.item == nil {
		return nil
	}
	if it.valRead {
		return it.val
	}
	v, err := it.item.ValueCopy(nil)
	if err != nil {
		it.err = fmt.Errorf("badgerkv: read value of key %q: %w", it.item.Key(), err)
		return nil
	}
	if v == nil {
		v = flat.Value{}
	}
	it.val, it.valRead = v, true
	return v
}

// Err returns the error that stopped the iteration, if any.
func (it *iterator) Err() error {
	return it.err
}

// Close releases the iterator. It is safe to call more than once, and after
// the transaction ended. Iteration errors are reported by Err, not Close.
func (it *iterator) Close() error {
	it.closeWith(nil)
	return nil
}

// closeWith closes the iterator; reason, if set, is reported by Err if the
// iterator is used again.
func (it *iterator) closeWith(reason error) {
	if it.closed {
		return
	}
	it.closed = true
	it.closedBy = reason
	it.unposition()
	it.releaseBadger()
}

func (it *iterator) releaseBadger() {
	if it.bit == nil {
		return
	}
	if !it.tx.db.closed.Load() { // a closed DB has released everything
		it.bit.Close()
	}
	it.bit = nil
	it.tx.removeIterator(it)
}
