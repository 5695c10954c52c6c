package quadstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/cayley/graph/iterator"
	"github.com/cayleygraph/cayley/graph/refs"
	"github.com/cayleygraph/cayley/query/shape"
	"github.com/cayleygraph/quad"
	"github.com/dgraph-io/badger/v4"
)

// NodeRef is the cayley reference of a term: its id.
type NodeRef uint64

// Key implements refs.Ref.
func (n NodeRef) Key() any { return n }

// QuadRef is the cayley reference of a statement: its term ids in S, P, O,
// G order (G is 0 in the default graph).
type QuadRef [4]uint64

// Key implements refs.Ref.
func (q QuadRef) Key() any { return q }

// lookupID reads a term's id: from the cache, else from txn.
func (qs *QuadStore) lookupID(txn *badger.Txn, enc []byte) (uint64, bool, error) {
	if id, ok := qs.terms.get(string(enc)); ok {
		return id, true, nil
	}
	key := termKey(enc)
	if !qs.mayHaveTerm(key) {
		return 0, false, nil
	}
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, false, nil
	} else if err != nil {
		return 0, false, fmt.Errorf("quadstore: read dictionary: %w", err)
	}
	var id uint64
	err = item.Value(func(v []byte) error {
		id, err = getUint64(v)
		return err
	})
	return id, err == nil, err
}

// valueID is the id of v in txn; ok is false for an unknown term.
func (qs *QuadStore) valueID(txn *badger.Txn, v quad.Value) (uint64, bool, error) {
	enc, err := encodeTerm(v)
	if err != nil {
		return 0, false, err
	}
	return qs.lookupID(txn, enc)
}

// name reads the term with id.
func (qs *QuadStore) name(txn *badger.Txn, id uint64) (quad.Value, error) {
	if r, ok := qs.names.get(id); ok {
		return decodeTerm(r.enc)
	}
	item, err := txn.Get(nodeKey(id))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("quadstore: read term %d: %w", id, err)
	}
	enc, err := item.ValueCopy(nil)
	if err != nil {
		return nil, err
	}
	qs.names.put(id, nameRecord{enc})
	return decodeTerm(enc)
}

// ValueOf implements graph.Namer: the NodeRef of v, or nil for a value not
// in the store.
func (qs *QuadStore) ValueOf(v quad.Value) (graph.Ref, error) {
	if v == nil {
		return nil, nil
	}
	txn := qs.readTxn()
	defer txn.Discard()
	id, ok, err := qs.valueID(txn, v)
	if errors.Is(err, errUnsupValue) {
		return nil, nil
	}
	if err != nil || !ok {
		return nil, err
	}
	return NodeRef(id), nil
}

// NameOf implements graph.Namer.
func (qs *QuadStore) NameOf(r graph.Ref) (quad.Value, error) {
	switch r := r.(type) {
	case nil:
		return nil, nil
	case NodeRef:
		txn := qs.readTxn()
		defer txn.Discard()
		return qs.name(txn, uint64(r))
	case refs.PreFetchedValue:
		return r.NameOf(), nil
	}
	return nil, fmt.Errorf("quadstore: not a node reference: %T", r)
}

// ValuesOf implements refs.BatchNamer.
func (qs *QuadStore) ValuesOf(ctx context.Context, rs []graph.Ref) ([]quad.Value, error) {
	txn := qs.readTxn()
	defer txn.Discard()
	out := make([]quad.Value, len(rs))
	for i, r := range rs {
		var err error
		switch r := r.(type) {
		case NodeRef:
			out[i], err = qs.name(txn, uint64(r))
		default:
			out[i], err = qs.NameOf(r)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RefsOf implements refs.BatchNamer.
func (qs *QuadStore) RefsOf(ctx context.Context, vs []quad.Value) ([]graph.Ref, error) {
	txn := qs.readTxn()
	defer txn.Discard()
	out := make([]graph.Ref, len(vs))
	for i, v := range vs {
		id, ok, err := qs.valueID(txn, v)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("not found: %v", v)
		}
		out[i] = NodeRef(id)
	}
	return out, nil
}

// quadOf reads the terms of q.
func (qs *QuadStore) quadOf(txn *badger.Txn, q ids) (quad.Quad, error) {
	var vals [4]quad.Value
	for i, id := range q {
		if id == 0 {
			continue
		}
		v, err := qs.name(txn, id)
		if err != nil {
			return quad.Quad{}, err
		}
		if v == nil {
			return quad.Quad{}, fmt.Errorf("quadstore: term %d of a statement is missing", id)
		}
		vals[i] = v
	}
	return quad.Quad{Subject: vals[0], Predicate: vals[1], Object: vals[2], Label: vals[3]}, nil
}

// Quad implements graph.QuadIndexer.
func (qs *QuadStore) Quad(r graph.Ref) (quad.Quad, error) {
	q, ok := r.(QuadRef)
	if !ok {
		return quad.Quad{}, fmt.Errorf("quadstore: not a statement reference: %T", r)
	}
	txn := qs.readTxn()
	defer txn.Discard()
	return qs.quadOf(txn, ids(q))
}

// QuadDirection implements graph.QuadIndexer without reading the store.
func (qs *QuadStore) QuadDirection(r graph.Ref, d quad.Direction) (graph.Ref, error) {
	q, ok := r.(QuadRef)
	if !ok {
		return nil, fmt.Errorf("quadstore: not a statement reference: %T", r)
	}
	p, ok := dirPos(d)
	if !ok {
		return nil, fmt.Errorf("quadstore: bad direction %v", d)
	}
	if q[p] == 0 {
		return nil, nil
	}
	return NodeRef(q[p]), nil
}

func dirPos(d quad.Direction) (int, bool) {
	switch d {
	case quad.Subject:
		return posS, true
	case quad.Predicate:
		return posP, true
	case quad.Object:
		return posO, true
	case quad.Label:
		return posG, true
	}
	return 0, false
}

// nodeID is the id of a reference, resolving pre-fetched values.
func (qs *QuadStore) nodeID(r graph.Ref) (uint64, bool) {
	switch r := r.(type) {
	case NodeRef:
		return uint64(r), true
	case refs.PreFetchedValue:
		ref, err := qs.ValueOf(r.NameOf())
		if n, ok := ref.(NodeRef); ok && err == nil {
			return uint64(n), true
		}
	}
	return 0, false
}

// QuadIterator implements graph.QuadIndexer: a prefix scan of the index
// led by d.
func (qs *QuadStore) QuadIterator(d quad.Direction, r graph.Ref) iterator.Shape {
	p, ok := dirPos(d)
	id, ok2 := qs.nodeID(r)
	if !ok || !ok2 {
		return iterator.NewNull()
	}
	var b ids
	b[p] = id
	return qs.scanShapeOf(b, 1<<p)
}

// scanShapeOf is the iterator shape of newScan, or an error shape.
func (qs *QuadStore) scanShapeOf(b ids, mask uint8) iterator.Shape {
	s, err := qs.newScan(b, mask)
	if err != nil {
		return iterator.NewError(err)
	}
	return s
}

// QuadIteratorSize implements graph.QuadIndexer: exact for a predicate
// (from its counter) and for small sets, estimated otherwise.
func (qs *QuadStore) QuadIteratorSize(ctx context.Context, d quad.Direction, r graph.Ref) (refs.Size, error) {
	p, ok := dirPos(d)
	id, ok2 := qs.nodeID(r)
	if !ok || !ok2 {
		return refs.Size{Value: 0, Exact: true}, nil
	}
	var b ids
	b[p] = id
	s, err := qs.newScan(b, 1<<p)
	if err != nil {
		return refs.Size{}, err
	}
	return s.size(ctx)
}

// QuadsAllIterator implements graph.QuadStore: a scan of SPOG.
func (qs *QuadStore) QuadsAllIterator() iterator.Shape { return qs.scanShapeOf(ids{}, 0) }

// NodesAllIterator implements graph.QuadStore: a scan of the dictionary,
// which holds exactly the terms some statement uses.
func (qs *QuadStore) NodesAllIterator() iterator.Shape { return &nodesShape{qs: qs} }

// OptimizeShape implements shape.Optimizer: a set of quad filters with one
// fixed node per direction becomes one prefix scan.
func (qs *QuadStore) OptimizeShape(ctx context.Context, s shape.Shape) (shape.Shape, bool) {
	switch s := s.(type) {
	case shape.Quads:
		f := make(map[quad.Direction]graph.Ref, len(s))
		for _, q := range s {
			v, ok := shape.One(q.Values)
			if !ok {
				return s, false
			}
			if _, dup := f[q.Dir]; dup {
				return s, false
			}
			f[q.Dir] = v
		}
		if sc, ok := qs.scanShape(f); ok {
			return sc, true
		}
	case shape.QuadsAction:
		if sc, ok := qs.scanShape(s.Filter); ok {
			return s.SimplifyFrom(sc), true
		}
	}
	return s, false
}

func (qs *QuadStore) scanShape(f map[quad.Direction]graph.Ref) (shape.Shape, bool) {
	if len(f) < 2 {
		return nil, false // one filter already is one scan
	}
	var s scanOf
	for d, r := range f {
		p, ok := dirPos(d)
		n, ok2 := r.(NodeRef)
		if !ok || !ok2 {
			return nil, false
		}
		s.bound[p] = uint64(n)
		s.mask |= 1 << p
	}
	return s, true
}

// scanOf is the query shape of a multi-position prefix scan.
type scanOf struct {
	bound ids
	mask  uint8
}

func (s scanOf) BuildIterator(qs graph.QuadStore) iterator.Shape {
	q, ok := graph.Unwrap(qs).(*QuadStore)
	if !ok {
		return iterator.NewError(fmt.Errorf("quadstore: scan shape on %T", qs))
	}
	return q.scanShapeOf(s.bound, s.mask)
}

func (s scanOf) Optimize(ctx context.Context, r shape.Optimizer) (shape.Shape, bool) { return s, false }
