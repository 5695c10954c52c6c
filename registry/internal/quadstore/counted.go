package quadstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/cayleygraph/quad"
	"github.com/dgraph-io/badger/v4"
)

// Counted graphs: the graphs whose statements are also counted per graph
// ("cg") and per graph and predicate ("cx"), so that "every statement but
// those of graphs X and Y" (Pattern.Except) is counted from counters, for
// no pattern or a predicate alone. They are few (a caller's bookkeeping
// graphs): a counter per record graph would cost a key per graph and
// predicate for no use.

// countedRebuilding is the "mcounted" value while the counters are being
// rebuilt: it equals no set, so an interrupted rebuild starts again.
var countedRebuilding = []byte("rebuilding")

// countedSet is a set of counted graphs by encoded term; "" is the
// default graph.
type countedSet map[string]bool

// countedOf encodes a list of graphs (nil: the default graph).
func countedOf(graphs []quad.Value) (countedSet, error) {
	set := countedSet{}
	for _, g := range graphs {
		if g == nil {
			set[""] = true
			continue
		}
		enc, err := encodeTerm(g)
		if err != nil {
			return nil, fmt.Errorf("quadstore: counted graph %v: %w", g, err)
		}
		set[string(enc)] = true
	}
	return set, nil
}

// marshal is the "mcounted" value: each graph's encoding, sorted, as a
// uvarint length and the bytes (length 0: the default graph).
func (c countedSet) marshal() []byte {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b []byte
	for _, k := range keys {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
	}
	return b
}

func unmarshalCounted(b []byte) (countedSet, bool) {
	set := countedSet{}
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return nil, false
		}
		set[string(b[k:k+int(n)])] = true
		b = b[k+int(n):]
	}
	return set, true
}

// countedGraph tells whether the graph of an encoded term (nil: the
// default graph) is counted.
func (qs *QuadStore) countedGraph(enc []byte) bool {
	return qs.counted[string(enc)]
}

// loadCounted reads the store's counted graphs and, when want is not nil
// and differs (and the store is writable), counts want's graphs anew.
func (qs *QuadStore) loadCounted(want []quad.Value) error {
	var stored []byte
	err := qs.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(keyCounted)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		stored, err = item.ValueCopy(nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("quadstore: read the counted graphs: %w", err)
	}
	set, ok := unmarshalCounted(stored)
	// A recount cut short left the graphs it was moving between the side
	// and the ordinary indexes after the marker.
	pending := countedSet{}
	if rest, cut := bytes.CutPrefix(stored, countedRebuilding); cut {
		ok = false
		if p, valid := unmarshalCounted(rest); valid {
			pending = p
		}
	}
	if want != nil && !qs.readOnly {
		wantSet, err := countedOf(want)
		if err != nil {
			return err
		}
		if !ok || !bytes.Equal(wantSet.marshal(), stored) {
			// The graphs whose statements change indexes: those
			// entering or leaving the set; after a recount cut short,
			// those it was moving and every graph of the new set (which
			// graphs the store then counted is not known). An upgrade
			// to layout 5 moves every side graph itself.
			moving := pending
			if len(pending) > 0 {
				for g := range wantSet {
					moving[g] = true
				}
			}
			if ok && !qs.upgrading {
				for g := range set {
					if !wantSet[g] {
						moving[g] = true
					}
				}
				for g := range wantSet {
					if !set[g] {
						moving[g] = true
					}
				}
			}
			if err := qs.recount(wantSet, moving); err != nil {
				return err
			}
		}
		set, ok = wantSet, true
	}
	if !ok {
		if qs.readOnly {
			return fmt.Errorf("quadstore: %s: the counters of its counted graphs are incomplete (open it writable once)", qs.dir)
		}
		if err := qs.recount(countedSet{}, pending); err != nil {
			return err
		}
		set = countedSet{}
	}
	qs.counted = set
	return nil
}

// recount drops every graph counter (with the graph's object counters),
// counts the statements of set's graphs (one prefix scan of GSPO per
// graph), and moves the statements of the graphs in moving (those
// entering or leaving the set) to the indexes of side graphs or of
// ordinary ones (relight). Until it is done "mcounted" says "rebuilding"
// followed by moving, so that a recount cut short by a crash is done
// again, moving the same graphs.
func (qs *QuadStore) recount(set, moving countedSet) error {
	marker := append(append([]byte{}, countedRebuilding...), moving.marshal()...)
	if err := qs.db.Update(func(txn *badger.Txn) error { return txn.Set(keyCounted, marker) }); err != nil {
		return fmt.Errorf("quadstore: recount: %w", err)
	}
	if err := qs.deletePrefixes(pfxGraphCount, pfxGPCount, pfxGOCount, pfxGPOCount); err != nil {
		return fmt.Errorf("quadstore: recount: %w", err)
	}
	wb := qs.db.NewWriteBatch()
	defer wb.Cancel()
	err := qs.db.View(func(txn *badger.Txn) error {
		var iris idSet
		if len(set) > 0 {
			var err error
			if iris, err = qs.iriIDs(txn); err != nil {
				return err
			}
		}
		for enc := range set {
			var g uint64
			if enc != "" {
				id, found, err := qs.lookupID(txn, []byte(enc))
				if err != nil {
					return err
				}
				if !found {
					continue // no statement is in it yet
				}
				g = id
			}
			total := uint64(0)
			byPred := map[uint64]uint64{}
			byObj := map[uint64]uint64{}
			byPO := map[[2]uint64]uint64{}
			pfx := gspo.prefix(ids{posG: g}, 1)
			it := txn.NewIterator(badger.IteratorOptions{Prefix: pfx})
			for it.Seek(pfx); it.ValidForPrefix(pfx); it.Next() {
				q, ok := gspo.decode(it.Item().Key())
				if !ok {
					it.Close()
					return fmt.Errorf("quadstore: corrupt GSPO key %x", it.Item().Key())
				}
				byPred[q[posP]]++
				total++
				if iris.has(q[posO]) {
					byObj[q[posO]]++
					byPO[[2]uint64{q[posP], q[posO]}]++
				}
			}
			it.Close()
			if total == 0 {
				continue
			}
			if err := wb.Set(graphCountKey(g), idBytes(total)); err != nil {
				return err
			}
			for p, n := range byPred {
				if err := wb.Set(gpCountKey(g, p), idBytes(n)); err != nil {
					return err
				}
			}
			for o, n := range byObj {
				if err := wb.Set(goCountKey([2]uint64{g, o}), idBytes(n)); err != nil {
					return err
				}
			}
			for po, n := range byPO {
				if err := wb.Set(gpoCountKey([3]uint64{g, po[0], po[1]}), idBytes(n)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err == nil {
		err = wb.Flush()
	}
	if err == nil {
		err = qs.relightAll(moving, set)
	}
	if err == nil {
		err = qs.db.Update(func(txn *badger.Txn) error { return txn.Set(keyCounted, set.marshal()) })
	}
	if err == nil {
		err = qs.db.Sync()
	}
	if err != nil {
		return fmt.Errorf("quadstore: count the counted graphs: %w", err)
	}
	return nil
}

// exceptIDs resolves p.Except in txn: the ids of the graphs that are in
// the store (0 for the default graph), and whether all of them are
// counted graphs.
func (qs *QuadStore) exceptIDs(txn *badger.Txn, p Pattern) (map[uint64]bool, bool, error) {
	if len(p.Except) == 0 || p.Label != nil || p.DefaultGraph {
		return nil, true, nil
	}
	out := map[uint64]bool{}
	all := true
	for _, g := range p.Except {
		if g == nil {
			out[0] = true
			all = all && qs.counted[""]
			continue
		}
		enc, err := encodeTerm(g)
		if errors.Is(err, errUnsupValue) {
			continue
		} else if err != nil {
			return nil, false, err
		}
		id, found, err := qs.lookupID(txn, enc)
		if err != nil {
			return nil, false, err
		}
		if !found {
			continue
		}
		out[id] = true
		all = all && qs.counted[string(enc)]
	}
	return out, all, nil
}

// relightAll moves the statements of each graph of moving that is in the
// store to the indexes of a side graph when set has it, of an ordinary
// graph when not.
func (qs *QuadStore) relightAll(moving, set countedSet) error {
	for enc := range moving {
		var g uint64
		if enc != "" {
			var found bool
			err := qs.db.View(func(txn *badger.Txn) error {
				var err error
				g, found, err = qs.lookupID(txn, []byte(enc))
				return err
			})
			if err != nil {
				return err
			}
			if !found {
				continue
			}
		}
		if err := qs.relight(g, set[enc]); err != nil {
			return err
		}
	}
	return nil
}
