package quadstore

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"credreg/registry/internal/termenc"
)

// Object counters (layout 4): statements are also counted by IRI object
// ("co") and by predicate and IRI object ("cw"), and, in counted graphs,
// by graph and IRI object ("cj") and by graph, predicate and IRI object
// ("ck"), in the same transactions as the statements. Count of a pattern
// binding an IRI object (and perhaps a predicate, or a counted graph)
// reads them. Literal and blank-node objects are not counted: a literal
// or blank node is mostly the object of one statement or a few, so a
// counter would cost a key per statement for a count that a short prefix
// scan gives.

// objectCacheSize is the number of object counters of each kind kept in
// memory by the writer (most recently used).
const objectCacheSize = 1 << 16

// objectCounters caches the object counters as of the last commit; only
// the writer reads and fills them.
type objectCounters struct {
	obj  *cache[uint64, uint64]
	po   *cache[[2]uint64, uint64]
	gobj *cache[[2]uint64, uint64]
	gpo  *cache[[3]uint64, uint64]
}

func newObjectCounters() objectCounters {
	return objectCounters{
		obj:  newCache[uint64, uint64](objectCacheSize),
		po:   newCache[[2]uint64, uint64](objectCacheSize),
		gobj: newCache[[2]uint64, uint64](objectCacheSize),
		gpo:  newCache[[3]uint64, uint64](objectCacheSize),
	}
}

// objectCounterPrefixes are the prefixes of every object counter.
var objectCounterPrefixes = [][]byte{pfxObjCount, pfxPOCount, pfxGOCount, pfxGPOCount}

// idSet is a set of term ids, one bit each.
type idSet []uint64

func (s idSet) has(id uint64) bool { return id/64 < uint64(len(s)) && s[id/64]&(1<<(id%64)) != 0 }

// iriIDs reads the ids of the IRIs in the dictionary: one sequential pass
// over "n" (a point read per object would cost a seek each, a minute at
// 100k credentials). Open's steps share one pass (openIRIs; nothing is
// written between them).
func (qs *QuadStore) iriIDs(txn *badger.Txn) (idSet, error) {
	if qs.openIRIs != nil {
		return qs.openIRIs, nil
	}
	set, err := qs.readIRIIDs(txn)
	if err == nil && qs.opening {
		qs.openIRIs = set
	}
	return set, err
}

func (qs *QuadStore) readIRIIDs(txn *badger.Txn) (idSet, error) {
	next, err := getCounter(txn, keyNextID)
	if err != nil {
		return nil, err
	}
	set := make(idSet, next/64+1)
	pfx := []byte{pfxNode}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: pfx, PrefetchValues: true, PrefetchSize: 256})
	defer it.Close()
	for it.Seek(pfx); it.ValidForPrefix(pfx); it.Next() {
		item := it.Item()
		key := item.Key()
		if len(key) != 1+idLen {
			return nil, fmt.Errorf("quadstore: corrupt term key %x", key)
		}
		id := binary.BigEndian.Uint64(key[1:])
		err := item.Value(func(v []byte) error {
			if len(v) > 0 && v[0] == termenc.KindIRI {
				if id/64 >= uint64(len(set)) {
					return fmt.Errorf("quadstore: term id %d is not below the next id %d", id, next)
				}
				set[id/64] |= 1 << (id % 64)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return set, nil
}

// countedIDs are the ids of the counted graphs that are in the store (0:
// the default graph).
func (qs *QuadStore) countedIDs(txn *badger.Txn) (map[uint64]bool, error) {
	out := map[uint64]bool{}
	for enc := range qs.counted {
		if enc == "" {
			out[0] = true
			continue
		}
		id, found, err := qs.lookupID(txn, []byte(enc))
		if err != nil {
			return nil, err
		}
		if found {
			out[id] = true
		}
	}
	return out, nil
}

// deletePrefixes deletes every key under the prefixes, in one write batch.
func (qs *QuadStore) deletePrefixes(pfxs ...[]byte) error {
	wb := qs.db.NewWriteBatch()
	defer wb.Cancel()
	err := qs.db.View(func(txn *badger.Txn) error {
		for _, pfx := range pfxs {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: pfx})
			for it.Seek(pfx); it.ValidForPrefix(pfx); it.Next() {
				if err := wb.Delete(it.Item().KeyCopy(nil)); err != nil {
					it.Close()
					return err
				}
			}
			it.Close()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return wb.Flush()
}

// countObjects counts the object counters of a store written by layout 3
// (or an older one on its way up); Open sets the layout key afterwards.
// It first deletes any object counter (an upgrade cut short by a crash
// leaves some; the layout key is still the older one, so the next Open
// starts again), then counts them in one pass over the dictionary (which
// ids are IRIs) and one over the keys of OSPG and OGSP (an IRI object's
// statements are one key range of each).
func (qs *QuadStore) countObjects() error {
	fail := func(err error) error {
		return fmt.Errorf("quadstore: upgrade %s to layout %d: count the objects: %w", qs.dir, LayoutVersion, err)
	}
	if err := qs.deletePrefixes(objectCounterPrefixes...); err != nil {
		return fail(err)
	}
	wb := qs.db.NewWriteBatch()
	defer wb.Cancel()
	objects := 0
	err := qs.db.View(func(txn *badger.Txn) error {
		counted, err := qs.countedIDs(txn)
		if err != nil {
			return err
		}
		iris, err := qs.iriIDs(txn)
		if err != nil {
			return err
		}
		// An IRI object's statements are one key range of OSPG (those of
		// ordinary graphs; a store before layout 5 has every statement
		// there) and one of OGSP (those of side graphs; before layout 5
		// every statement too): each index gives its own part, merged
		// object by object.
		parts := []struct {
			ix   *index
			it   *badger.Iterator
			keep func(g uint64) bool
		}{
			{ix: ospg, keep: func(g uint64) bool { return !counted[g] }},
			{ix: ogsp, keep: func(g uint64) bool { return counted[g] }},
		}
		for i := range parts {
			pfx := []byte{parts[i].ix.tag}
			parts[i].it = txn.NewIterator(badger.IteratorOptions{Prefix: pfx})
			defer parts[i].it.Close()
			parts[i].it.Seek(pfx)
		}
		// next is the object of a part's next key, or false at its end.
		next := func(i int) (uint64, bool, error) {
			it := parts[i].it
			if !it.ValidForPrefix([]byte{parts[i].ix.tag}) {
				return 0, false, nil
			}
			q, ok := parts[i].ix.decode(it.Item().Key())
			if !ok {
				return 0, false, fmt.Errorf("corrupt %s key %x", parts[i].ix.name, it.Item().Key())
			}
			return q[posO], true, nil
		}
		for {
			o, found := uint64(0), false
			for i := range parts {
				x, ok, err := next(i)
				if err != nil {
					return err
				}
				if ok && (!found || x < o) {
					o, found = x, true
				}
			}
			if !found {
				break
			}
			total := uint64(0)
			byPred := map[uint64]uint64{}
			byGraph := map[uint64]uint64{}
			byGP := map[[2]uint64]uint64{}
			iri := iris.has(o)
			for i := range parts {
				ix, it := parts[i].ix, parts[i].it
				grp := ix.prefix(ids{posO: o}, 1)
				if !iri {
					it.Seek(ix.prefix(ids{posO: o + 1}, 1))
					continue
				}
				for ; it.ValidForPrefix(grp); it.Next() {
					q, ok := ix.decode(it.Item().Key())
					if !ok {
						return fmt.Errorf("corrupt %s key %x", ix.name, it.Item().Key())
					}
					if !parts[i].keep(q[posG]) {
						continue
					}
					total++
					byPred[q[posP]]++
					if counted[q[posG]] {
						byGraph[q[posG]]++
						byGP[[2]uint64{q[posG], q[posP]}]++
					}
				}
			}
			if total == 0 {
				continue
			}
			objects++
			if err := wb.Set(objCountKey(o), idBytes(total)); err != nil {
				return err
			}
			for p, n := range byPred {
				if err := wb.Set(poCountKey([2]uint64{p, o}), idBytes(n)); err != nil {
					return err
				}
			}
			for g, n := range byGraph {
				if err := wb.Set(goCountKey([2]uint64{g, o}), idBytes(n)); err != nil {
					return err
				}
			}
			for gp, n := range byGP {
				if err := wb.Set(gpoCountKey([3]uint64{gp[0], gp[1], o}), idBytes(n)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		err = wb.Flush()
	}
	if err != nil {
		return fail(err)
	}
	qs.log.Info("counted the statements of every IRI object", "store", qs.dir, "objects", objects)
	return nil
}

// objectCount reads the counters of a pattern that binds an object, and
// perhaps a predicate, and nothing else, minus the counters of the
// excluded graphs in except (all of them counted graphs); or, binding a
// counted graph too, that graph's counter. ok is false when the object's
// counter is absent (the object is a literal or a blank node, or no
// statement has it): then the caller counts keys.
func (qs *QuadStore) objectCount(txn *badger.Txn, b ids, mask uint8, except map[uint64]bool) (n uint64, ok bool, err error) {
	o, p, g := b[posO], b[posP], b[posG]
	byPred := mask&(1<<posP) != 0
	var key []byte
	switch {
	case mask&(1<<posG) != 0 && byPred:
		key = gpoCountKey([3]uint64{g, p, o})
	case mask&(1<<posG) != 0:
		key = goCountKey([2]uint64{g, o})
	case byPred:
		key = poCountKey([2]uint64{p, o})
	default:
		key = objCountKey(o)
	}
	// The object's own counter tells an IRI (counted) from a literal.
	if _, err := txn.Get(objCountKey(o)); errors.Is(err, badger.ErrKeyNotFound) {
		return 0, false, nil
	} else if err != nil {
		return 0, false, fmt.Errorf("quadstore: read a counter: %w", err)
	}
	if n, err = getCounter(txn, key); err != nil {
		return 0, false, fmt.Errorf("quadstore: read a counter: %w", err)
	}
	if mask&(1<<posG) != 0 {
		return n, true, nil
	}
	for x := range except {
		k := goCountKey([2]uint64{x, o})
		if byPred {
			k = gpoCountKey([3]uint64{x, p, o})
		}
		m, err := getCounter(txn, k)
		if err != nil {
			return 0, false, fmt.Errorf("quadstore: read a counter: %w", err)
		}
		if m > n {
			return 0, false, fmt.Errorf("quadstore: counter %x exceeds %x: the counters are corrupt", k, key)
		}
		n -= m
	}
	return n, true, nil
}
