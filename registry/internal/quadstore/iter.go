package quadstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/cayleygraph/cayley/graph/iterator"
	"github.com/cayleygraph/cayley/graph/refs"
	"github.com/dgraph-io/badger/v4"
)

// sizeScanLimit is how many keys a size estimate counts before it gives up
// being exact.
const sizeScanLimit = 1000

func popcount(m uint8) int {
	n := 0
	for ; m != 0; m &= m - 1 {
		n++
	}
	return n
}

func (s *scan) matches(q ids) bool {
	for p := range 4 {
		if s.mask&(1<<p) != 0 && q[p] != s.bound[p] {
			return false
		}
	}
	return true
}

func (s *scan) String() string {
	var b strings.Builder
	b.WriteString("quadstore.Scan(")
	for i, seg := range s.segs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %x", seg.ix.name, seg.prefix[1:])
	}
	b.WriteString(")")
	return b.String()
}

func (s *scan) Iterate() iterator.Scanner { return &scanner{s: s} }

func (s *scan) Lookup() iterator.Index { return &scanLookup{s: s} }

func (s *scan) Optimize(ctx context.Context) (iterator.Shape, bool) { return s, false }

func (s *scan) SubIterators() []iterator.Shape { return nil }

func (s *scan) Stats(ctx context.Context) (iterator.Costs, error) {
	sz, err := s.size(ctx)
	return iterator.Costs{ContainsCost: 1, NextCost: 1, Size: sz}, err
}

// size is exact for no bound position (the total), a bound predicate (its
// counter), a bound IRI object alone or with a predicate (their counter)
// and sets of up to sizeScanLimit statements; otherwise an estimate from
// Badger's table sizes.
func (s *scan) size(ctx context.Context) (refs.Size, error) {
	switch s.mask {
	case 0:
		return refs.Size{Value: s.qs.quads.Load(), Exact: true}, nil
	case 1 << posP:
		n, err := s.qs.predicateCount(s.bound[posP])
		return refs.Size{Value: int64(n), Exact: true}, err
	}
	txn := s.qs.readTxn()
	defer txn.Discard()
	if s.mask == 1<<posO || s.mask == 1<<posO|1<<posP {
		n, ok, err := s.qs.objectCount(txn, s.bound, s.mask, nil)
		if err != nil || ok {
			return refs.Size{Value: int64(n), Exact: true}, err
		}
	}
	n := int64(0)
	exact := true
	err := s.walk(ctx, txn, nil, func([]byte, ids) (bool, error) {
		if n >= sizeScanLimit {
			exact = false
			return false, nil
		}
		n++
		return true, nil
	})
	if err != nil {
		return refs.Size{}, err
	}
	if !exact {
		raw := int64(0)
		for _, seg := range s.segs {
			_, r := s.qs.db.EstimateSize(seg.prefix)
			raw += int64(r)
		}
		est := max(n+1, raw/(quadKeyLen+8))
		return refs.Size{Value: min(est, s.qs.quads.Load()), Exact: false}, nil
	}
	return refs.Size{Value: n, Exact: true}, nil
}

// scanner iterates a scan in a read snapshot taken at its first Next,
// segment by segment.
type scanner struct {
	s   *scan
	txn *badger.Txn
	seg int // the segment it iterates
	it  *badger.Iterator
	res QuadRef
	err error
	end bool
}

func (it *scanner) String() string { return it.s.String() }

func (it *scanner) Next(ctx context.Context) bool {
	if it.end {
		return false
	}
	if err := ctx.Err(); err != nil {
		it.err, it.end = err, true
		return false
	}
	if it.txn == nil {
		it.txn = it.s.qs.readTxn()
		it.seg = -1
	} else if it.it != nil {
		it.it.Next()
	}
	for {
		if it.it == nil {
			if it.seg++; it.seg >= len(it.s.segs) {
				it.end = true
				return false
			}
			seg := &it.s.segs[it.seg]
			it.it = it.txn.NewIterator(badger.IteratorOptions{Prefix: seg.prefix})
			it.it.Seek(seg.prefix)
		}
		seg := &it.s.segs[it.seg]
		for ; it.it.ValidForPrefix(seg.prefix); it.it.Next() {
			q, ok := seg.ix.decode(it.it.Item().Key())
			if !ok {
				it.err, it.end = fmt.Errorf("quadstore: corrupt %s key %x", seg.ix.name, it.it.Item().Key()), true
				return false
			}
			if seg.filter && !it.s.matches(q) {
				continue
			}
			it.res = QuadRef(q)
			return true
		}
		it.it.Close()
		it.it = nil
	}
}

func (it *scanner) Result() refs.Ref {
	if it.txn == nil || it.end {
		return nil
	}
	return it.res
}

func (it *scanner) NextPath(ctx context.Context) bool { return false }

func (it *scanner) TagResults(map[string]refs.Ref) {}

func (it *scanner) Err() error { return it.err }

func (it *scanner) Close() error {
	it.end = true
	if it.it != nil {
		it.it.Close()
		it.it = nil
	}
	if it.txn != nil {
		it.txn.Discard()
		it.txn = nil
	}
	return nil
}

// scanLookup answers whether a statement reference matches the scan's
// bound positions. References come from this store's own iterators, so it
// does not read the store.
type scanLookup struct {
	s   *scan
	res refs.Ref
	err error
}

func (it *scanLookup) String() string { return it.s.String() }

func (it *scanLookup) Contains(ctx context.Context, v refs.Ref) bool {
	it.res = nil
	if err := ctx.Err(); err != nil {
		it.err = err
		return false
	}
	q, ok := v.(QuadRef)
	if !ok || !it.s.matches(ids(q)) {
		return false
	}
	it.res = q
	return true
}

func (it *scanLookup) Result() refs.Ref                  { return it.res }
func (it *scanLookup) NextPath(ctx context.Context) bool { return false }
func (it *scanLookup) TagResults(map[string]refs.Ref)    {}
func (it *scanLookup) Err() error                        { return it.err }
func (it *scanLookup) Close() error                      { return nil }

// nodesShape is the iterator shape of all terms: a scan of the id → term
// keys.
type nodesShape struct{ qs *QuadStore }

func (s *nodesShape) String() string                                      { return "quadstore.AllNodes" }
func (s *nodesShape) Iterate() iterator.Scanner                           { return &nodeScanner{qs: s.qs} }
func (s *nodesShape) Lookup() iterator.Index                              { return &nodeLookup{qs: s.qs} }
func (s *nodesShape) Optimize(ctx context.Context) (iterator.Shape, bool) { return s, false }
func (s *nodesShape) SubIterators() []iterator.Shape                      { return nil }
func (s *nodesShape) Stats(ctx context.Context) (iterator.Costs, error) {
	return iterator.Costs{ContainsCost: 2, NextCost: 1, Size: refs.Size{Value: s.qs.nodes.Load(), Exact: true}}, nil
}

type nodeScanner struct {
	qs  *QuadStore
	txn *badger.Txn
	it  *badger.Iterator
	res NodeRef
	err error
	end bool
}

var nodePrefix = []byte{pfxNode}

func (it *nodeScanner) String() string { return "quadstore.AllNodes" }

func (it *nodeScanner) Next(ctx context.Context) bool {
	if it.end {
		return false
	}
	if err := ctx.Err(); err != nil {
		it.err, it.end = err, true
		return false
	}
	if it.it == nil {
		it.txn = it.qs.readTxn()
		it.it = it.txn.NewIterator(badger.IteratorOptions{Prefix: nodePrefix})
		it.it.Seek(nodePrefix)
	} else {
		it.it.Next()
	}
	if !it.it.ValidForPrefix(nodePrefix) {
		it.end = true
		return false
	}
	id, err := getUint64(it.it.Item().Key()[1:])
	if err != nil {
		it.err, it.end = err, true
		return false
	}
	it.res = NodeRef(id)
	return true
}

func (it *nodeScanner) Result() refs.Ref {
	if it.it == nil || it.end {
		return nil
	}
	return it.res
}
func (it *nodeScanner) NextPath(ctx context.Context) bool { return false }
func (it *nodeScanner) TagResults(map[string]refs.Ref)    {}
func (it *nodeScanner) Err() error                        { return it.err }
func (it *nodeScanner) Close() error {
	it.end = true
	if it.it != nil {
		it.it.Close()
		it.it = nil
	}
	if it.txn != nil {
		it.txn.Discard()
		it.txn = nil
	}
	return nil
}

type nodeLookup struct {
	qs  *QuadStore
	res refs.Ref
	err error
}

func (it *nodeLookup) String() string { return "quadstore.AllNodes" }

func (it *nodeLookup) Contains(ctx context.Context, v refs.Ref) bool {
	it.res = nil
	id, ok := it.qs.nodeID(v)
	if !ok {
		return false
	}
	txn := it.qs.readTxn()
	defer txn.Discard()
	if _, err := txn.Get(nodeKey(id)); err != nil {
		if err != badger.ErrKeyNotFound {
			it.err = err
		}
		return false
	}
	it.res = NodeRef(id)
	return true
}

func (it *nodeLookup) Result() refs.Ref                  { return it.res }
func (it *nodeLookup) NextPath(ctx context.Context) bool { return false }
func (it *nodeLookup) TagResults(map[string]refs.Ref)    {}
func (it *nodeLookup) Err() error                        { return it.err }
func (it *nodeLookup) Close() error                      { return nil }
