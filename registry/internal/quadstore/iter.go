package quadstore

import (
	"context"
	"fmt"

	"github.com/cayleygraph/cayley/graph/iterator"
	"github.com/cayleygraph/cayley/graph/refs"
	"github.com/dgraph-io/badger/v4"
)

// sizeScanLimit is how many keys a size estimate counts before it gives up
// being exact.
const sizeScanLimit = 1000

// scan is the iterator shape of the statements with the bound positions
// (mask) of bound: a prefix scan of the best index.
type scan struct {
	qs     *QuadStore
	bound  ids
	mask   uint8
	ix     *index
	prefix []byte
	// filter is set when the bound positions are not all a prefix of ix.
	filter bool
	// except are the ids of the graphs left out (Pattern.Except); when
	// skipAt > 0 the graph is ix's position after the prefix, and its id
	// ends at key offset skipAt, so an excluded graph is skipped by a seek.
	except map[uint64]bool
	skipAt int
}

func (qs *QuadStore) newScan(bound ids, mask uint8) *scan {
	ix, n := bestIndex(mask)
	return &scan{qs: qs, bound: bound, mask: mask, ix: ix, prefix: ix.prefix(bound, n), filter: n != popcount(mask)}
}

// newScanExcept is newScan leaving out the graphs of except: through an
// index that has the graph right after the bound positions when there is
// one.
func (qs *QuadStore) newScanExcept(bound ids, mask uint8, except map[uint64]bool) *scan {
	if len(except) == 0 || mask&(1<<posG) != 0 {
		return qs.newScan(bound, mask)
	}
	n := popcount(mask)
	for i := range indexes {
		ix := &indexes[i]
		if ix.prefixLen(mask) == n && ix.order[n] == posG {
			return &scan{qs: qs, bound: bound, mask: mask, ix: ix, prefix: ix.prefix(bound, n), except: except, skipAt: 1 + (n+1)*idLen}
		}
	}
	s := qs.newScan(bound, mask)
	s.except = except
	return s
}

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

func (s *scan) String() string { return fmt.Sprintf("quadstore.Scan(%s %x)", s.ix.name, s.prefix[1:]) }

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
	txn := s.qs.db.NewTransaction(false)
	defer txn.Discard()
	if s.mask == 1<<posO || s.mask == 1<<posO|1<<posP {
		n, ok, err := s.qs.objectCount(txn, s.bound, s.mask, nil)
		if err != nil || ok {
			return refs.Size{Value: int64(n), Exact: true}, err
		}
	}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: s.prefix})
	defer it.Close()
	n := int64(0)
	for it.Seek(s.prefix); it.ValidForPrefix(s.prefix); it.Next() {
		if n >= sizeScanLimit {
			_, raw := s.qs.db.EstimateSize(s.prefix)
			est := max(n+1, int64(raw)/(quadKeyLen+8))
			return refs.Size{Value: min(est, s.qs.quads.Load()), Exact: false}, nil
		}
		if s.filter {
			if q, ok := s.ix.decode(it.Item().Key()); !ok || !s.matches(q) {
				continue
			}
		}
		n++
	}
	return refs.Size{Value: n, Exact: true}, ctx.Err()
}

// scanner iterates a scan in a read snapshot taken at its first Next.
type scanner struct {
	s   *scan
	txn *badger.Txn
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
	if it.it == nil {
		it.txn = it.s.qs.db.NewTransaction(false)
		it.it = it.txn.NewIterator(badger.IteratorOptions{Prefix: it.s.prefix})
		it.it.Seek(it.s.prefix)
	} else {
		it.it.Next()
	}
	for ; it.it.ValidForPrefix(it.s.prefix); it.it.Next() {
		q, ok := it.s.ix.decode(it.it.Item().Key())
		if !ok {
			it.err, it.end = fmt.Errorf("quadstore: corrupt %s key %x", it.s.ix.name, it.it.Item().Key()), true
			return false
		}
		if it.s.filter && !it.s.matches(q) {
			continue
		}
		it.res = QuadRef(q)
		return true
	}
	it.end = true
	return false
}

func (it *scanner) Result() refs.Ref {
	if it.it == nil || it.end {
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
		it.txn.Discard()
		it.it, it.txn = nil, nil
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
		it.txn = it.qs.db.NewTransaction(false)
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
		it.txn.Discard()
		it.it, it.txn = nil, nil
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
	txn := it.qs.db.NewTransaction(false)
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
