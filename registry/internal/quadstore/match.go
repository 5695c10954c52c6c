package quadstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cayleygraph/quad"
	"github.com/dgraph-io/badger/v4"
)

// ErrBadCursor is returned by Match for an after key that is not a cursor
// Match returned for the same pattern.
var ErrBadCursor = errors.New("quadstore: cursor does not belong to this pattern")

// Pattern selects statements: a nil field matches any term; a non-nil one
// only that term. A nil Label matches every graph unless DefaultGraph is
// set, which matches only statements in the default graph.
type Pattern struct {
	Subject, Predicate, Object, Label quad.Value
	DefaultGraph                      bool
	// Except leaves out the statements of these graphs (nil: the default
	// graph) when the pattern binds no graph. A pattern that binds no
	// subject is served by an index whose next position after the bound
	// ones is the graph (GSPO, PGOS, OGSP), so an excluded graph is
	// skipped by one seek, not read; otherwise excluded statements are
	// read and dropped.
	Except []quad.Value
}

// resolve turns p into bound ids; ok is false when a term of p is not in
// the store (so nothing matches).
func (qs *QuadStore) resolve(txn *badger.Txn, p Pattern) (b ids, mask uint8, ok bool, err error) {
	for i, v := range [4]quad.Value{p.Subject, p.Predicate, p.Object, p.Label} {
		if v == nil {
			continue
		}
		id, found, err := qs.valueID(txn, v)
		if errors.Is(err, errUnsupValue) {
			return b, 0, false, nil
		}
		if err != nil || !found {
			return b, 0, false, err
		}
		b[i] = id
		mask |= 1 << i
	}
	if p.DefaultGraph && p.Label == nil {
		mask |= 1 << posG
	}
	return b, mask, true, nil
}

// Match returns up to limit statements that match p, in the order of the
// index that serves p, starting after the cursor after (nil for the first
// page), and the cursor of the next page (nil when there is none). Every
// combination of bound positions is one prefix scan; a page costs one seek
// and limit+1 keys, however deep it is (plus one seek per excluded graph
// passed, and the excluded statements read where no seek skips them).
func (qs *QuadStore) Match(ctx context.Context, p Pattern, after []byte, limit int) ([]quad.Quad, []byte, error) {
	if limit <= 0 {
		return nil, nil, errors.New("quadstore: Match needs a positive limit")
	}
	txn := qs.readTxn()
	defer txn.Discard()
	s, ok, err := qs.scanFor(txn, p)
	if err != nil || !ok {
		return nil, nil, err
	}
	var out []quad.Quad
	var last []byte
	more := false
	err = s.walk(ctx, txn, after, func(key []byte, q ids) (bool, error) {
		if len(out) == limit {
			more = true
			return false, nil
		}
		v, err := qs.quadOf(txn, q)
		if err != nil {
			return false, err
		}
		out = append(out, v)
		last = append(last[:0:0], key...)
		return true, nil
	})
	if err != nil {
		return nil, nil, err
	}
	if !more {
		last = nil
	}
	return out, last, nil
}

// Skip passes n statements that match p after the cursor after (nil: from
// the first), reading keys only, and returns the cursor of the last one
// passed, as Match would after a page ending there, or nil when fewer than
// n remain (then passed says how many did).
func (qs *QuadStore) Skip(ctx context.Context, p Pattern, after []byte, n int) (cursor []byte, passed int, err error) {
	if n <= 0 {
		return after, 0, nil
	}
	txn := qs.readTxn()
	defer txn.Discard()
	s, ok, err := qs.scanFor(txn, p)
	if err != nil || !ok {
		return nil, 0, err
	}
	err = s.walk(ctx, txn, after, func(key []byte, _ ids) (bool, error) {
		passed++
		if passed == n {
			cursor = append([]byte{}, key...)
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		return nil, 0, err
	}
	return cursor, passed, nil
}

// scanFor resolves p in txn: the scan that serves it (with its excluded
// graphs), or ok false when nothing can match.
func (qs *QuadStore) scanFor(txn *badger.Txn, p Pattern) (*scan, bool, error) {
	b, mask, ok, err := qs.resolve(txn, p)
	if err != nil || !ok {
		return nil, false, err
	}
	except, _, err := qs.exceptIDs(txn, p)
	if err != nil {
		return nil, false, err
	}
	sc, err := qs.plan(txn, b, mask, except)
	if err != nil {
		return nil, false, err
	}
	return sc, true, nil
}

// Count returns the exact number of statements that match p. It reads
// counters for no bound position, only the predicate bound, or an IRI
// object bound alone or with the predicate (minus the excluded graphs'
// counters when all of them are counted graphs), and for a counted graph
// alone or with a predicate, an IRI object or both; otherwise it counts
// the keys of one prefix scan (keys only, no values).
func (qs *QuadStore) Count(ctx context.Context, p Pattern) (int64, error) {
	txn := qs.readTxn()
	defer txn.Discard()
	b, mask, ok, err := qs.resolve(txn, p)
	if err != nil || !ok {
		return 0, err
	}
	except, allCounted, err := qs.exceptIDs(txn, p)
	if err != nil {
		return 0, err
	}
	gCounted := mask&(1<<posG) != 0 && qs.labelCounted(p)
	switch {
	case mask == 0 && allCounted:
		n, err := getCounter(txn, keyQuadCount)
		if err != nil {
			return 0, err
		}
		for g := range except {
			m, err := getCounter(txn, graphCountKey(g))
			if err != nil {
				return 0, err
			}
			n -= m
		}
		return int64(n), nil
	case mask == 1<<posP && allCounted:
		n, err := getCounter(txn, predCountKey(b[posP]))
		if err != nil {
			return 0, err
		}
		for g := range except {
			m, err := getCounter(txn, gpCountKey(g, b[posP]))
			if err != nil {
				return 0, err
			}
			n -= m
		}
		return int64(n), nil
	case mask == 1<<posG && gCounted:
		n, err := getCounter(txn, graphCountKey(b[posG]))
		return int64(n), err
	case mask == 1<<posG|1<<posP && gCounted:
		n, err := getCounter(txn, gpCountKey(b[posG], b[posP]))
		return int64(n), err
	case (mask == 1<<posO || mask == 1<<posO|1<<posP) && allCounted,
		(mask == 1<<posO|1<<posG || mask == 1<<posO|1<<posP|1<<posG) && gCounted:
		n, ok, err := qs.objectCount(txn, b, mask, except)
		if err != nil || ok {
			return int64(n), err
		}
	}
	s, err := qs.plan(txn, b, mask, except)
	if err != nil {
		return 0, err
	}
	n := int64(0)
	err = s.walk(ctx, txn, nil, func([]byte, ids) (bool, error) {
		n++
		return true, nil
	})
	return n, err
}

// labelCounted tells whether the graph p binds is a counted graph.
func (qs *QuadStore) labelCounted(p Pattern) bool {
	if p.Label == nil {
		return p.DefaultGraph && qs.counted[""]
	}
	enc, err := encodeTerm(p.Label)
	return err == nil && qs.counted[string(enc)]
}

// predicateCount reads the counter of a predicate id.
func (qs *QuadStore) predicateCount(p uint64) (uint64, error) {
	txn := qs.readTxn()
	defer txn.Discard()
	return getCounter(txn, predCountKey(p))
}

// Scan's batching: it reads the keys of up to scanChunk statements, then
// their terms, then hands them on. When a chunk needs more than
// scanSequential terms and an eighth of the dictionary, they are read in
// one sequential pass over the dictionary rather than one point read each.
// (Variables so that tests can take both paths on small data.)
var (
	scanChunk      = 1 << 21
	scanSequential = 1 << 13
)

// Scan calls fn with every statement that matches p, in the order of the
// index that serves p, all read from one snapshot (one Badger read
// transaction). Terms are decoded only for the positions in want (a mask
// of 1<<0 subject, 1<<1 predicate, 1<<2 object, 1<<3 graph; 0 means all);
// the others are left nil. An error from fn ends the scan and is returned.
func (qs *QuadStore) Scan(ctx context.Context, p Pattern, want uint8, fn func(quad.Quad) error) error {
	if want == 0 {
		want = 0xf
	}
	txn := qs.readTxn()
	defer txn.Discard()
	s, ok, err := qs.scanFor(txn, p)
	if err != nil || !ok {
		return err
	}
	chunk := make([]ids, 0, 1024)
	err = s.walk(ctx, txn, nil, func(_ []byte, q ids) (bool, error) {
		chunk = append(chunk, q)
		if len(chunk) == scanChunk {
			if err := qs.emit(ctx, txn, chunk, want, fn); err != nil {
				return false, err
			}
			chunk = chunk[:0]
		}
		return true, nil
	})
	if err != nil {
		return err
	}
	if err := qs.emit(ctx, txn, chunk, want, fn); err != nil {
		return err
	}
	return ctx.Err()
}

// emit reads the wanted terms of chunk and calls fn with each statement.
// The terms are marked in a bitset by id; many of them (more than
// scanSequential and an eighth of the dictionary) are read in one pass over
// the dictionary into a table indexed by id, a few by point reads.
func (qs *QuadStore) emit(ctx context.Context, txn *badger.Txn, chunk []ids, want uint8, fn func(quad.Quad) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(chunk)*4 <= scanSequential {
		// Few terms (a record, a page): point reads into a map. A bitset
		// by id would cost an allocation as large as the dictionary's
		// highest id over 64 words for every such scan (a megabyte each
		// at 100k credentials), which the garbage collector then spent
		// most of an import on.
		few, err := qs.readTerms(txn, chunk, want, len(chunk)*2)
		if err != nil {
			return err
		}
		return emitWith(ctx, chunk, want, func(id uint64) quad.Value { return few[id] }, fn)
	}
	maxID := uint64(0)
	for _, q := range chunk {
		for i, id := range q {
			if want&(1<<i) != 0 && id > maxID {
				maxID = id
			}
		}
	}
	marked := make([]uint64, maxID/64+1)
	distinct := 0
	for _, q := range chunk {
		for i, id := range q {
			if id != 0 && want&(1<<i) != 0 && marked[id>>6]&(1<<(id&63)) == 0 {
				marked[id>>6] |= 1 << (id & 63)
				distinct++
			}
		}
	}
	var table []quad.Value
	var few map[uint64]quad.Value
	if distinct > max(scanSequential, int(qs.nodes.Load()/8)) {
		table = make([]quad.Value, maxID+1)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: nodePrefix, PrefetchValues: true, PrefetchSize: 256})
		for it.Seek(nodePrefix); it.ValidForPrefix(nodePrefix); it.Next() {
			key := it.Item().Key()
			if len(key) != 1+idLen {
				continue
			}
			id := binary.BigEndian.Uint64(key[1:])
			if id > maxID {
				break
			}
			if marked[id>>6]&(1<<(id&63)) == 0 {
				continue
			}
			var v quad.Value
			err := it.Item().Value(func(enc []byte) error {
				var err error
				v, err = decodeTerm(enc)
				return err
			})
			if err != nil {
				it.Close()
				return fmt.Errorf("quadstore: read term %d: %w", id, err)
			}
			table[id] = v
		}
		it.Close()
	} else {
		var err error
		if few, err = qs.readTerms(txn, chunk, want, distinct); err != nil {
			return err
		}
	}
	term := func(id uint64) quad.Value {
		if table != nil {
			return table[id]
		}
		return few[id]
	}
	return emitWith(ctx, chunk, want, term, fn)
}

// readTerms reads the wanted terms of chunk by point reads, into a map by
// id (size: a hint of how many there are).
func (qs *QuadStore) readTerms(txn *badger.Txn, chunk []ids, want uint8, size int) (map[uint64]quad.Value, error) {
	few := make(map[uint64]quad.Value, size)
	for _, q := range chunk {
		for i, id := range q {
			if id == 0 || want&(1<<i) == 0 {
				continue
			}
			if _, ok := few[id]; ok {
				continue
			}
			v, err := qs.name(txn, id)
			if err != nil {
				return nil, err
			}
			few[id] = v
		}
	}
	return few, nil
}

// emitWith calls fn with each statement of chunk, its wanted terms read
// by term.
func emitWith(ctx context.Context, chunk []ids, want uint8, term func(uint64) quad.Value, fn func(quad.Quad) error) error {
	for n, q := range chunk {
		if n%4096 == 4095 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var vals [4]quad.Value
		for i, id := range q {
			if id == 0 || want&(1<<i) == 0 {
				continue
			}
			v := term(id)
			if v == nil {
				return fmt.Errorf("quadstore: term %d of a statement is missing", id)
			}
			vals[i] = v
		}
		if err := fn(quad.Quad{Subject: vals[0], Predicate: vals[1], Object: vals[2], Label: vals[3]}); err != nil {
			return err
		}
	}
	return nil
}
