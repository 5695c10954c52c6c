package quadstore

import (
	"context"
	"hash/maphash"
	"math/bits"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// A term filter answers "is this term surely not in the dictionary?"
// without asking Badger. A write looks up every term of its statements,
// and most terms of an import are new: each of those lookups is a Badger
// miss, which searches every memtable and asks every table's bloom filter
// (16 level-0 tables in a bulk load) before it says no. On the 100,000-row
// import that was about 14% of the writer's time.
//
// It is a Bloom filter of the dictionary's keys (termKey): no false
// negatives, so "absent" is exact, and "maybe" goes to Badger as before.
// The rule that keeps it exact: every term key a write creates is added
// before the write commits (chunk.termID, under wmu), and a filter is
// filled from a snapshot taken after it was registered with the writer, so
// a key is either in that snapshot or added by a later write. Keys are
// never removed: a collected term stays a "maybe" until the filter is
// built again. Only a writable store keeps one, built in the background
// at Open; until it is ready every lookup asks Badger.
//
// A filter is sized for a capacity of terms; when the terms added since it
// was built would pass it, a filter four times as large is built beside it
// (the writer adds to both) and replaces it when ready.
type termFilter struct {
	seed     maphash.Seed
	words    []atomic.Uint64 // the bits; len is a power of two
	mask     uint64          // len(words)*64 - 1
	capacity int64           // terms it was sized for
	added    atomic.Int64    // keys added (by the build and by writes)
	ready    atomic.Bool     // set once the build's scan is complete
}

const (
	// termFilterBits is the filter's bits per term of capacity, and
	// termFilterProbes the bits a key sets: at capacity about 0.1% of
	// absent keys pass.
	termFilterBits   = 16
	termFilterProbes = 6
	// minTermFilterCapacity is the smallest capacity built (256 KiB).
	minTermFilterCapacity = 1 << 17
	// termFilterGrowth is how many times the stored terms a new filter
	// is sized for.
	termFilterGrowth = 4
)

func newTermFilter(capacity int64) *termFilter {
	capacity = max(capacity, 64)
	nbits := uint64(1) << bits.Len64(uint64(capacity*termFilterBits)-1)
	return &termFilter{seed: maphash.MakeSeed(), words: make([]atomic.Uint64, nbits/64), mask: nbits - 1, capacity: capacity}
}

// probes calls fn with the bit positions of key.
func (f *termFilter) probes(key []byte, fn func(bit uint64) bool) bool {
	h := maphash.Bytes(f.seed, key)
	h1, h2 := h, (h>>32|h<<32)|1
	for i := 0; i < termFilterProbes; i++ {
		if !fn((h1 + uint64(i)*h2) & f.mask) {
			return false
		}
	}
	return true
}

func (f *termFilter) add(key []byte) {
	f.probes(key, func(bit uint64) bool {
		f.words[bit/64].Or(1 << (bit % 64))
		return true
	})
	f.added.Add(1)
}

// mayHave is false only for a key never added.
func (f *termFilter) mayHave(key []byte) bool {
	return f.probes(key, func(bit uint64) bool {
		return f.words[bit/64].Load()&(1<<(bit%64)) != 0
	})
}

// full tells when the filter holds more keys than it was sized for.
func (f *termFilter) full() bool { return f.added.Load() > f.capacity }

// mayHaveTerm is false only when the term key is surely not stored.
func (qs *QuadStore) mayHaveTerm(key []byte) bool {
	f := qs.filter.Load()
	return f == nil || !f.ready.Load() || f.mayHave(key)
}

// addTerm records a term key a write is creating. Called with wmu held,
// before the write commits.
func (qs *QuadStore) addTerm(key []byte) {
	if f := qs.filter.Load(); f != nil {
		f.add(key)
	}
	if qs.filterNext != nil {
		qs.filterNext.add(key)
	}
}

// growTermFilter starts a larger filter when the one in use is full.
// Called with wmu held at the end of a write, when every term key a write
// added is committed (or never will be): the new filter's snapshot holds
// them all.
func (qs *QuadStore) growTermFilter() {
	if f := qs.filter.Load(); f != nil && f.ready.Load() && f.full() && qs.filterNext == nil && !qs.filterFailed {
		qs.startTermFilter(qs.nodes.Load() * termFilterGrowth)
	}
}

// startTermFilter builds a filter of the given capacity in the background
// (wmu held, between writes, or no writer yet): registered first, so that
// writes add to it, then filled from a snapshot taken after. The first one
// is used as it is built (not consulted before it is ready); a later one
// replaces the filter in use once ready.
func (qs *QuadStore) startTermFilter(capacity int64) {
	if qs.closing {
		return
	}
	nf := newTermFilter(max(capacity, qs.filterMin))
	if qs.filter.Load() == nil {
		qs.filter.Store(nf)
	} else {
		qs.filterNext = nf
	}
	qs.filterBuilds.Add(1)
	txn := qs.db.NewTransaction(false) // the snapshot, taken after registration
	qs.bg.Add(1)
	go func() {
		defer qs.bg.Done()
		defer txn.Discard()
		start := time.Now()
		n, err := fillTermFilter(qs.bgCtx, txn, nf)
		if err != nil {
			if qs.bgCtx.Err() == nil {
				qs.log.Warn("term filter not built; dictionary lookups ask Badger", "err", err)
			}
			// A filter that is not ready is never consulted: drop it,
			// and build no other until the store is opened again (the
			// one in use stays, a little less useful as it fills).
			qs.wmu.Lock()
			if qs.filterNext == nf {
				qs.filterNext = nil
			}
			qs.filterFailed = true
			qs.wmu.Unlock()
			return
		}
		qs.wmu.Lock()
		nf.ready.Store(true)
		if qs.filterNext == nf {
			qs.filter.Store(nf)
			qs.filterNext = nil
		}
		qs.wmu.Unlock()
		qs.log.Debug("term filter ready", "terms", n, "capacity", nf.capacity, "took", time.Since(start).Round(time.Millisecond))
	}()
}

// fillTermFilter adds every dictionary key of txn's snapshot to f.
func fillTermFilter(ctx context.Context, txn *badger.Txn, f *termFilter) (int, error) {
	n := 0
	for _, pfx := range []byte{pfxTerm, pfxHash} {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{pfx}})
		for it.Rewind(); it.Valid(); it.Next() {
			if n%4096 == 0 && ctx.Err() != nil {
				it.Close()
				return n, ctx.Err()
			}
			f.add(it.Item().Key())
			n++
		}
		it.Close()
	}
	return n, nil
}
