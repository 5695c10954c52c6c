package quadstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/dgraph-io/badger/v4"
)

// segment is one prefix scan of one index: a scan is one segment, or, for
// a pattern that binds a predicate or an object but neither subject nor
// graph, the ordinary graphs' segment (POSG or OSPG) followed by the side
// graphs' (OGSP, or GSPO graph by graph).
type segment struct {
	ix     *index
	prefix []byte
	// filter is set when bound positions lie outside the prefix: each
	// key is checked against them.
	filter bool
	// skipAt > 0 says the graph is ix's position right after the prefix
	// and its id ends at key offset skipAt, so that an excluded graph is
	// passed by one seek.
	skipAt int
}

// scan is the statements with the bound positions (mask) of bound, but
// those of the graphs in except: the segments that serve them, in order.
// It is also the cayley iterator shape of those statements.
type scan struct {
	qs     *QuadStore
	bound  ids
	mask   uint8
	except map[uint64]bool
	segs   []segment
}

// plan returns the scan of the statements with the bound positions (mask)
// of bound, leaving out the graphs in except when the pattern binds no
// graph, read in txn:
//
//   - a graph bound: GSPO from the graph on (a side graph's statements
//     with an object and no subject: OGSP, object and graph);
//   - a subject bound: SPOG from the subject on;
//   - nothing bound: SPOG, or GSPO when graphs are excluded (each passed
//     by a seek);
//   - a predicate or an object, or both, and nothing else: POSG or OSPG
//     (the ordinary graphs' statements), then the side graphs' that are
//     not excluded: OGSP from the object on (excluded graphs passed by
//     seeks), or for a predicate alone GSPO for each side graph whose
//     counter of the predicate is not 0.
func (qs *QuadStore) plan(txn *badger.Txn, bound ids, mask uint8, except map[uint64]bool) (*scan, error) {
	s := &scan{qs: qs, bound: bound, mask: mask}
	if mask&(1<<posG) == 0 {
		s.except = except
	}
	bound1 := func(p int) bool { return mask&(1<<p) != 0 }
	switch {
	case bound1(posG):
		ix := gspo
		if bound1(posO) && !bound1(posS) {
			side, err := qs.countedIDs(txn)
			if err != nil {
				return nil, err
			}
			if side[bound[posG]] {
				ix = ogsp
			}
		}
		s.add(ix, false)
	case bound1(posS):
		s.add(spog, false)
	case mask == 0 && len(s.except) > 0:
		s.add(gspo, true)
	case mask == 0:
		s.add(spog, false)
	default:
		if bound1(posP) {
			s.add(posg, false)
		} else {
			s.add(ospg, false)
		}
		side, err := qs.countedIDs(txn)
		if err != nil {
			return nil, err
		}
		var live []uint64
		for g := range side {
			if !s.except[g] {
				live = append(live, g)
			}
		}
		if len(live) == 0 {
			break
		}
		if bound1(posO) {
			s.add(ogsp, true)
			break
		}
		slices.Sort(live)
		for _, g := range live {
			n, err := getCounter(txn, gpCountKey(g, bound[posP]))
			if err != nil {
				return nil, fmt.Errorf("quadstore: read a counter: %w", err)
			}
			if n > 0 {
				s.segs = append(s.segs, segment{ix: gspo, prefix: gspo.prefix(ids{posG: g}, 1), filter: true})
			}
		}
	}
	return s, nil
}

// add appends the segment of ix from the bound positions that lead it;
// with skip, excluded graphs are passed by seeks where the graph comes
// right after them.
func (s *scan) add(ix *index, skip bool) {
	n := ix.prefixLen(s.mask)
	seg := segment{ix: ix, prefix: ix.prefix(s.bound, n), filter: n != popcount(s.mask)}
	if skip && len(s.except) > 0 && ix.order[n] == posG {
		seg.skipAt = 1 + (n+1)*idLen
	}
	s.segs = append(s.segs, seg)
}

// newScan plans a scan in a read transaction of its own (for cayley's
// iterators, which read in a snapshot of their own).
func (qs *QuadStore) newScan(bound ids, mask uint8) (*scan, error) {
	var s *scan
	err := qs.view(func(txn *badger.Txn) error {
		var err error
		s, err = qs.plan(txn, bound, mask, nil)
		return err
	})
	return s, err
}

// start returns the segment a walk after the cursor after starts in and
// the key it starts at (nil after: the first segment, from its prefix),
// or ErrBadCursor for a cursor that is not a key of s.
func (s *scan) start(after []byte) (int, []byte, error) {
	if after == nil {
		if len(s.segs) == 0 {
			return 0, nil, nil
		}
		return 0, s.segs[0].prefix, nil
	}
	if len(after) == quadKeyLen {
		for i, seg := range s.segs {
			if bytes.HasPrefix(after, seg.prefix) {
				return i, append(append([]byte{}, after...), 0), nil // the next key after it
			}
		}
	}
	return 0, nil, ErrBadCursor
}

// walk calls fn with the key and ids of every statement of s after the
// cursor after (nil: from the first), in segment and index order, until
// fn says stop; an excluded graph is passed by a seek where the index
// allows it, else read and dropped.
func (s *scan) walk(ctx context.Context, txn *badger.Txn, after []byte, fn func(key []byte, q ids) (bool, error)) error {
	first, from, err := s.start(after)
	if err != nil {
		return err
	}
	n := 0
	for i := first; i < len(s.segs); i++ {
		seg := &s.segs[i]
		if i > first {
			from = seg.prefix
		}
		more, err := s.walkSegment(ctx, txn, seg, from, &n, fn)
		if err != nil || !more {
			return err
		}
	}
	return ctx.Err()
}

// walkSegment is walk's part in one segment, from the key from on; n
// counts the keys read, for cancellation checks.
func (s *scan) walkSegment(ctx context.Context, txn *badger.Txn, seg *segment, from []byte, n *int, fn func(key []byte, q ids) (bool, error)) (bool, error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: seg.prefix})
	defer it.Close()
	for it.Seek(from); it.ValidForPrefix(seg.prefix); {
		key := it.Item().Key()
		q, ok := seg.ix.decode(key)
		if !ok {
			return false, fmt.Errorf("quadstore: corrupt %s key %x", seg.ix.name, key)
		}
		if *n++; *n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return false, err
			}
		}
		if s.except[q[posG]] {
			if seg.skipAt > 0 {
				// The graph's id ends at skipAt: seek to the next graph.
				next := append([]byte{}, key[:seg.skipAt]...)
				g := binary.BigEndian.Uint64(next[seg.skipAt-idLen:])
				if g == ^uint64(0) {
					return true, nil
				}
				binary.BigEndian.PutUint64(next[seg.skipAt-idLen:], g+1)
				it.Seek(next)
				continue
			}
			it.Next()
			continue
		}
		if seg.filter && !s.matches(q) {
			it.Next()
			continue
		}
		more, err := fn(key, q)
		if err != nil || !more {
			return false, err
		}
		it.Next()
	}
	return true, nil
}
