package quadstore

import (
	"bytes"
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
// and limit+1 keys, however deep it is.
func (qs *QuadStore) Match(ctx context.Context, p Pattern, after []byte, limit int) ([]quad.Quad, []byte, error) {
	if limit <= 0 {
		return nil, nil, errors.New("quadstore: Match needs a positive limit")
	}
	txn := qs.db.NewTransaction(false)
	defer txn.Discard()
	b, mask, ok, err := qs.resolve(txn, p)
	if err != nil || !ok {
		return nil, nil, err
	}
	s := qs.newScan(b, mask)
	start := s.prefix
	if after != nil {
		if len(after) != quadKeyLen || !bytes.HasPrefix(after, s.prefix) {
			return nil, nil, ErrBadCursor
		}
		start = append(append([]byte{}, after...), 0) // the next key after it
	}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: s.prefix})
	defer it.Close()
	var out []quad.Quad
	var last []byte
	for it.Seek(start); it.ValidForPrefix(s.prefix); it.Next() {
		key := it.Item().Key()
		q, ok := s.ix.decode(key)
		if !ok {
			return nil, nil, fmt.Errorf("quadstore: corrupt %s key %x", s.ix.name, key)
		}
		if s.filter && !s.matches(q) {
			continue
		}
		if len(out) == limit {
			return out, last, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		v, err := qs.quadOf(txn, q)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, v)
		last = it.Item().KeyCopy(last[:0:0])
	}
	return out, nil, nil
}

// Count returns the exact number of statements that match p. With no
// bound position or only the predicate bound it reads a counter; otherwise
// it counts the keys of one prefix scan (keys only, no values).
func (qs *QuadStore) Count(ctx context.Context, p Pattern) (int64, error) {
	txn := qs.db.NewTransaction(false)
	defer txn.Discard()
	b, mask, ok, err := qs.resolve(txn, p)
	if err != nil || !ok {
		return 0, err
	}
	switch mask {
	case 0:
		n, err := getCounter(txn, keyQuadCount)
		return int64(n), err
	case 1 << posP:
		n, err := getCounter(txn, predCountKey(b[posP]))
		return int64(n), err
	}
	s := qs.newScan(b, mask)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: s.prefix})
	defer it.Close()
	n := int64(0)
	for it.Seek(s.prefix); it.ValidForPrefix(s.prefix); it.Next() {
		if s.filter {
			if q, ok := s.ix.decode(it.Item().Key()); !ok || !s.matches(q) {
				continue
			}
		}
		n++
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

// predicateCount reads the counter of a predicate id.
func (qs *QuadStore) predicateCount(p uint64) (uint64, error) {
	txn := qs.db.NewTransaction(false)
	defer txn.Discard()
	return getCounter(txn, predCountKey(p))
}

// Scan's batching: it reads the keys of up to scanChunk statements, then
// their terms, then hands them on. When a chunk needs more than
// scanSequential terms and an eighth of the dictionary, they are read in
// one sequential pass over the dictionary rather than one point read each.
const (
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
	txn := qs.db.NewTransaction(false)
	defer txn.Discard()
	b, mask, ok, err := qs.resolve(txn, p)
	if err != nil || !ok {
		return err
	}
	s := qs.newScan(b, mask)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: s.prefix})
	defer it.Close()
	chunk := make([]ids, 0, 1024)
	for it.Seek(s.prefix); it.ValidForPrefix(s.prefix); it.Next() {
		key := it.Item().Key()
		q, ok := s.ix.decode(key)
		if !ok {
			return fmt.Errorf("quadstore: corrupt %s key %x", s.ix.name, key)
		}
		if s.filter && !s.matches(q) {
			continue
		}
		chunk = append(chunk, q)
		if len(chunk) == scanChunk {
			if err := qs.emit(ctx, txn, chunk, want, fn); err != nil {
				return err
			}
			chunk = chunk[:0]
		}
	}
	if err := qs.emit(ctx, txn, chunk, want, fn); err != nil {
		return err
	}
	return ctx.Err()
}

// emit reads the wanted terms of chunk and calls fn with each statement.
func (qs *QuadStore) emit(ctx context.Context, txn *badger.Txn, chunk []ids, want uint8, fn func(quad.Quad) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	terms := map[uint64]quad.Value{}
	for _, q := range chunk {
		for i, id := range q {
			if id != 0 && want&(1<<i) != 0 {
				terms[id] = nil
			}
		}
	}
	if len(terms) > max(scanSequential, int(qs.nodes.Load()/8)) {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: nodePrefix, PrefetchValues: true, PrefetchSize: 256})
		for it.Seek(nodePrefix); it.ValidForPrefix(nodePrefix); it.Next() {
			key := it.Item().Key()
			if len(key) != 1+idLen {
				continue
			}
			id := binary.BigEndian.Uint64(key[1:])
			if _, ok := terms[id]; !ok {
				continue
			}
			enc, err := it.Item().ValueCopy(nil)
			if err != nil {
				it.Close()
				return fmt.Errorf("quadstore: read term %d: %w", id, err)
			}
			v, err := decodeTerm(enc)
			if err != nil {
				it.Close()
				return err
			}
			terms[id] = v
		}
		it.Close()
	} else {
		for id := range terms {
			v, err := qs.name(txn, id)
			if err != nil {
				return err
			}
			terms[id] = v
		}
	}
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
			v := terms[id]
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
