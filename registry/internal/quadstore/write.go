package quadstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/quad"
	"github.com/dgraph-io/badger/v4"

	"credreg/registry/internal/termenc"
)

// ErrTooBig is returned by ApplyDeltasAtomic for more deltas than
// Options.BatchSize.
var ErrTooBig = errors.New("quadstore: more deltas than BatchSize in one atomic write")

// errNeedValidation makes ApplyDeltas check a whole multi-transaction call
// before writing any of it.
var errNeedValidation = errors.New("quadstore: validate first")

// entryOverhead is Badger's per-entry accounting beyond key and value
// (meta bytes, version), rounded up.
const entryOverhead = 16

// ApplyDeltas adds and deletes statements.
//
// IgnoreDup makes adding a statement that exists (or was added earlier in
// the same call) a no-op; without it that is a *graph.DeltaError wrapping
// graph.ErrQuadExists. IgnoreMissing does the same for deleting a statement
// that does not exist (graph.ErrQuadNotExist). A delta error leaves nothing
// of the call written: a call that fits one Badger transaction is atomic; a
// larger one is first checked as a whole in a read-only pass (under the
// write lock, so nothing changes in between) unless the options rule the
// errors out (IgnoreDup for adds, IgnoreMissing for deletes), and is then
// written in several transactions — a crash or an I/O error in the middle
// can leave a prefix of it (use ApplyDeltasAtomic where that matters). One
// fsync follows the last transaction.
func (qs *QuadStore) ApplyDeltas(in []graph.Delta, opts graph.IgnoreOpts) error {
	return qs.apply(in, opts, false)
}

// ApplyDeltasAtomic is ApplyDeltas made atomic even across a crash: all of
// in is written, or nothing. In one Badger transaction when it fits; a
// write too big for one is journalled (see writeJournalled), so readers
// and a crash see all of it or none. More deltas than Options.BatchSize
// are refused with an error wrapping ErrTooBig. A record's replacement
// with its change-log entry needs this.
func (qs *QuadStore) ApplyDeltasAtomic(in []graph.Delta, opts graph.IgnoreOpts) error {
	return qs.apply(in, opts, true)
}

func (qs *QuadStore) apply(in []graph.Delta, opts graph.IgnoreOpts, atomic bool) error {
	if qs.readOnly {
		return ErrReadOnly
	}
	// A call can fail on ErrQuadExists only with adds and without
	// IgnoreDup, on ErrQuadNotExist only with deletes and without
	// IgnoreMissing; otherwise it needs no check before a split.
	validated := true
	for _, d := range in {
		if (d.Action == graph.Add && !opts.IgnoreDup) || (d.Action == graph.Delete && !opts.IgnoreMissing) {
			validated = false
		}
		if d.Action != graph.Add && d.Action != graph.Delete {
			return &graph.DeltaError{Delta: d, Err: graph.ErrInvalidAction}
		}
		if !d.Quad.IsValid() {
			return &graph.DeltaError{Delta: d, Err: errors.New("invalid quad: subject, predicate and object are required")}
		}
	}
	if len(in) == 0 {
		return nil
	}
	qs.wmu.Lock()
	defer qs.wmu.Unlock()
	defer qs.growTermFilter()
	if err := qs.broken; err != nil {
		return err
	}
	if atomic {
		err := qs.write(in, opts, false)
		if errors.Is(err, errNeedValidation) {
			if len(in) > qs.batch {
				return fmt.Errorf("%w: %d deltas (BatchSize %d)", ErrTooBig, len(in), qs.batch)
			}
			err = qs.writeJournalled(in, opts)
		}
		if err != nil {
			return err
		}
		return qs.sync()
	}
	err := qs.write(in, opts, validated)
	if errors.Is(err, errNeedValidation) {
		var ps []prepared
		if ps, err = prepareAll(in); err != nil {
			return err
		}
		if err := qs.validate(ps, opts); err != nil {
			return err
		}
		err = qs.writePrepared(ps, opts)
	}
	if err != nil {
		return err
	}
	return qs.sync()
}

// sync makes the committed writes durable unless Options.NoSync.
func (qs *QuadStore) sync() error {
	if qs.noSync {
		return nil
	}
	if err := qs.db.Sync(); err != nil {
		return fmt.Errorf("quadstore: sync: %w", err)
	}
	return nil
}

// write writes in in transactions of at most qs.batch deltas that fit
// Badger's limits. Unless validated, it refuses (errNeedValidation) to
// commit a first transaction that does not hold all of in.
func (qs *QuadStore) write(in []graph.Delta, opts graph.IgnoreOpts, validated bool) error {
	return qs.writeEach(len(in), func(i int) (prepared, error) { return prepare(in[i]) }, opts, validated)
}

// writeEach is write of the n deltas that delta(i) prepares, in order.
func (qs *QuadStore) writeEach(total int, delta func(i int) (prepared, error), opts graph.IgnoreOpts, validated bool) error {
	maxCount := qs.db.MaxBatchCount() * 9 / 10
	maxSize := qs.db.MaxBatchSize() * 9 / 10
	for i := 0; i < total; {
		c := qs.newChunk(min(total-i, qs.batch))
		for n := 0; i < total && n < qs.batch; n++ {
			p, err := delta(i)
			if err != nil {
				c.discard()
				return err
			}
			if n > 0 && (c.count+c.resCount+p.count+c.reserve() >= maxCount || c.size+c.resSize+p.size+c.reserve()*40 >= maxSize) {
				break
			}
			if err := c.apply(p, opts); err != nil {
				c.discard()
				return err
			}
			i++
		}
		if i < total && !validated {
			c.discard()
			return errNeedValidation
		}
		validated = true // the rest belongs to an already partly written call
		if err := c.commit(); err != nil {
			return err
		}
		if i < total && qs.afterChunk != nil {
			if err := qs.afterChunk(); err != nil {
				return err
			}
		}
	}
	return nil
}

type logged struct {
	q   ids
	add bool
}

// prepared is a delta with its terms encoded and its worst-case cost in
// Badger entries and bytes.
type prepared struct {
	d   graph.Delta
	enc [4][]byte
	// count and size bound the entries the delta writes; dictCount and
	// dictSize are their dictionary part, which for a delete is written
	// at commit (collect).
	count, size         int64
	dictCount, dictSize int64
}

func prepare(d graph.Delta) (prepared, error) {
	var enc [4][]byte
	for i, v := range [4]quad.Value{d.Quad.Subject, d.Quad.Predicate, d.Quad.Object, d.Quad.Label} {
		if v == nil {
			continue
		}
		e, err := encodeTerm(v)
		if err != nil {
			return prepared{d: d}, &graph.DeltaError{Delta: d, Err: err}
		}
		enc[i] = e
	}
	return prepareEncoded(d, enc), nil
}

// prepareAll prepares every delta of in.
func prepareAll(in []graph.Delta) ([]prepared, error) {
	ps := make([]prepared, len(in))
	for i, d := range in {
		p, err := prepare(d)
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	return ps, nil
}

// writePrepared is write of deltas already prepared and checked whole.
func (qs *QuadStore) writePrepared(ps []prepared, opts graph.IgnoreOpts) error {
	return qs.writeEach(len(ps), func(i int) (prepared, error) { return ps[i], nil }, opts, true)
}

// prepareEncoded is prepare of a delta whose terms are encoded (enc).
func prepareEncoded(d graph.Delta, enc [4][]byte) prepared {
	p := prepared{d: d, enc: enc}
	for _, e := range enc {
		if e == nil {
			continue
		}
		// A new term costs two dictionary entries; a deleted statement
		// may drop the same two.
		p.dictCount += 2
		p.dictSize += termEntriesSize(e)
	}
	p.count, p.size = p.dictCount, p.dictSize
	p.count += maxIndexKeys
	p.size += maxIndexKeys * (quadKeyLen + entryOverhead)
	return p
}

// termEntriesSize bounds the bytes of a term's two dictionary entries.
func termEntriesSize(enc []byte) int64 {
	k := int64(len(enc))
	if k > maxInlineTerm {
		k = 33
	}
	return 2*entryOverhead + 2*(1+idLen) + 1 + k + int64(len(enc))
}

// chunk is one Badger transaction of a write, with the bookkeeping that
// becomes the store's state when it commits.
type chunk struct {
	qs  *QuadStore
	txn *badger.Txn
	// ids holds the ids of the terms looked up or allocated here.
	ids map[string]uint64
	// fresh are the ids allocated here; a statement with one of them
	// cannot be stored yet, so it is written without a lookup.
	fresh map[uint64]bool
	// blind are the statements with a fresh id written (and not deleted
	// again) here.
	blind     map[ids]bool
	predDelta map[uint64]int64
	// graphDelta and gpDelta change the counters of counted graphs.
	graphDelta map[uint64]int64
	gpDelta    map[[2]uint64]int64
	// objDelta and poDelta change the counters of IRI objects (by object,
	// by predicate and object); goDelta and gpoDelta those of IRI objects
	// in counted graphs (by graph and object, by graph, predicate and
	// object).
	objDelta  map[uint64]int64
	poDelta   map[[2]uint64]int64
	goDelta   map[[2]uint64]int64
	gpoDelta  map[[3]uint64]int64
	quadDelta int64
	nodeDelta int64
	nextID    uint64
	// gc are the ids of terms of deleted statements: dropped from the
	// dictionary at commit when no statement uses them any more.
	gc      map[uint64]bool
	dropped []string
	// log is the statements added and deleted here, in order.
	log []logged
	// count and size are the entries written so far; resCount and resSize
	// those that collect may write at commit.
	count, size       int64
	resCount, resSize int64
	// slab is where the keys written here are cut from: Badger keeps a
	// key until the commit, so each is its own part of it, never reused.
	slab []byte
}

// chunkSlab is the size of the blocks keys are cut from.
const chunkSlab = 64 << 10

// newChunk starts a transaction for up to n deltas (a hint for sizing).
func (qs *QuadStore) newChunk(n int) *chunk {
	n = min(n, 1<<16)
	return &chunk{qs: qs, txn: qs.db.NewTransaction(true), ids: make(map[string]uint64, n), fresh: make(map[uint64]bool, n/2),
		blind: make(map[ids]bool, n), predDelta: map[uint64]int64{}, graphDelta: map[uint64]int64{}, gpDelta: map[[2]uint64]int64{},
		objDelta: map[uint64]int64{}, poDelta: map[[2]uint64]int64{}, goDelta: map[[2]uint64]int64{}, gpoDelta: map[[3]uint64]int64{},
		gc: map[uint64]bool{}, nextID: qs.nextID,
		log: make([]logged, 0, n)}
}

// alloc returns n bytes of zero length and capacity n for a key of this
// transaction.
func (c *chunk) alloc(n int) []byte {
	if n > chunkSlab/8 {
		return make([]byte, 0, n)
	}
	if cap(c.slab)-len(c.slab) < n {
		c.slab = make([]byte, 0, chunkSlab)
	}
	b := c.slab[len(c.slab) : len(c.slab) : len(c.slab)+n]
	c.slab = c.slab[:len(c.slab)+n]
	return b
}

// reserve is the number of entries commit adds: counters, next id.
func (c *chunk) reserve() int64 {
	return int64(len(c.predDelta)+len(c.graphDelta)+len(c.gpDelta)+len(c.objDelta)+len(c.poDelta)+len(c.goDelta)+len(c.gpoDelta)) + 4
}

func (c *chunk) discard() { c.txn.Discard() }

func (c *chunk) set(k, v []byte) error {
	c.count++
	c.size += int64(len(k)+len(v)) + entryOverhead
	if err := c.txn.Set(k, v); err != nil {
		return txnErr(err)
	}
	return nil
}

func (c *chunk) del(k []byte) error {
	c.count++
	c.size += int64(len(k)) + entryOverhead
	if err := c.txn.Delete(k); err != nil {
		return txnErr(err)
	}
	return nil
}

func txnErr(err error) error {
	if errors.Is(err, badger.ErrTxnTooBig) {
		return fmt.Errorf("quadstore: write does not fit one Badger transaction (lower BatchSize or raise MemTableSize): %w", err)
	}
	return fmt.Errorf("quadstore: write: %w", err)
}

// termID finds (or, with create, allocates) the id of an encoded term.
func (c *chunk) termID(enc []byte, create bool) (id uint64, ok bool, err error) {
	if id, ok := c.ids[string(enc)]; ok {
		return id, true, nil
	}
	if id, ok := c.qs.terms.get(string(enc)); ok {
		c.ids[string(enc)] = id
		return id, true, nil
	}
	tk := c.termKey(enc)
	var item *badger.Item
	err = badger.ErrKeyNotFound
	if c.qs.mayHaveTerm(tk) {
		item, err = c.txn.Get(tk)
	}
	switch {
	case err == nil:
		err = item.Value(func(v []byte) error {
			id, err = getUint64(v)
			return err
		})
		if err != nil {
			return 0, false, err
		}
		c.ids[string(enc)] = id
		return id, true, nil
	case !errors.Is(err, badger.ErrKeyNotFound):
		return 0, false, fmt.Errorf("quadstore: read dictionary: %w", err)
	case !create:
		return 0, false, nil
	}
	id = c.nextID
	c.nextID++
	c.qs.addTerm(tk)
	if err := c.set(tk, binary.BigEndian.AppendUint64(c.alloc(idLen), id)); err != nil {
		return 0, false, err
	}
	if err := c.set(binary.BigEndian.AppendUint64(append(c.alloc(1+idLen), pfxNode), id), enc); err != nil {
		return 0, false, err
	}
	c.ids[string(enc)] = id
	c.fresh[id] = true
	c.nodeDelta++
	return id, true, nil
}

// termKey is termKey(enc), cut from the chunk's slab.
func (c *chunk) termKey(enc []byte) []byte {
	if len(enc) > maxInlineTerm {
		return termKey(enc)
	}
	return append(append(c.alloc(1+len(enc)), pfxTerm), enc...)
}

// exists tells whether the statement q is stored (as of this transaction).
// deleteIndexes are the indexes a delete of a statement of a side graph
// (side) or of an ordinary graph removes its keys from: while an older
// store is upgraded, all of them.
func (qs *QuadStore) deleteIndexes(side bool) []*index {
	if qs.upgrading {
		return []*index{spog, posg, ospg, gspo, ogsp}
	}
	return indexesOf(side)
}

func (c *chunk) exists(q ids, fresh bool) (bool, error) {
	if fresh {
		return c.blind[q], nil
	}
	_, err := c.txn.Get(spog.appendKey(nil, q))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("quadstore: read statement: %w", err)
	}
	return true, nil
}

func (c *chunk) apply(p prepared, opts graph.IgnoreOpts) error {
	add := p.d.Action == graph.Add
	var q ids
	fresh := false
	for i, enc := range p.enc {
		if enc == nil {
			continue
		}
		id, ok, err := c.termID(enc, add)
		if err != nil {
			return err
		}
		if !ok { // deleting a statement with an unknown term
			if opts.IgnoreMissing {
				return nil
			}
			return &graph.DeltaError{Delta: p.d, Err: graph.ErrQuadNotExist}
		}
		q[i] = id
		fresh = fresh || c.fresh[id]
	}
	ok, err := c.exists(q, fresh)
	if err != nil {
		return err
	}
	if add {
		if ok {
			if opts.IgnoreDup {
				return nil
			}
			return &graph.DeltaError{Delta: p.d, Err: graph.ErrQuadExists}
		}
		ixs := indexesOf(c.qs.countedGraph(p.enc[posG]))
		keys := c.alloc(len(ixs) * quadKeyLen)
		for _, ix := range ixs {
			keys = ix.appendKey(keys, q)
			if err := c.set(keys[len(keys)-quadKeyLen:], nil); err != nil {
				return err
			}
		}
		if fresh {
			c.blind[q] = true
		}
		c.log = append(c.log, logged{q, true})
		c.count1(p, q, 1)
		return nil
	}
	if !ok {
		if opts.IgnoreMissing {
			return nil
		}
		return &graph.DeltaError{Delta: p.d, Err: graph.ErrQuadNotExist}
	}
	for _, ix := range c.qs.deleteIndexes(c.qs.countedGraph(p.enc[posG])) {
		if err := c.del(ix.appendKey(nil, q)); err != nil {
			return err
		}
	}
	delete(c.blind, q)
	c.log = append(c.log, logged{q, false})
	c.count1(p, q, -1)
	// Commit may drop each term of the statement: two dictionary deletes
	// reserved per term, once per transaction.
	for i, id := range q {
		if id != 0 && !c.gc[id] {
			c.gc[id] = true
			c.resCount += 2
			c.resSize += termEntriesSize(p.enc[i])
		}
	}
	return nil
}

// count1 adds d (1 for an add, -1 for a delete) to the counters of the
// statement q (p its encoded terms).
func (c *chunk) count1(p prepared, q ids, d int64) {
	c.predDelta[q[posP]] += d
	c.quadDelta += d
	iri := p.enc[posO][0] == termenc.KindIRI
	if iri {
		c.objDelta[q[posO]] += d
		c.poDelta[[2]uint64{q[posP], q[posO]}] += d
	}
	if c.qs.countedGraph(p.enc[posG]) {
		c.graphDelta[q[posG]] += d
		c.gpDelta[[2]uint64{q[posG], q[posP]}] += d
		if iri {
			c.goDelta[[2]uint64{q[posG], q[posO]}] += d
			c.gpoDelta[[3]uint64{q[posG], q[posP], q[posO]}] += d
		}
	}
}

// predCount is the stored count of predicate p before this transaction.
func (c *chunk) predCount(p uint64) (uint64, error) {
	if n, ok := c.qs.predCounts[p]; ok {
		return n, nil
	}
	n, err := getCounter(c.txn, predCountKey(p))
	if err != nil {
		return 0, fmt.Errorf("quadstore: read predicate count: %w", err)
	}
	c.qs.predCounts[p] = n
	return n, nil
}

// collect drops the terms of deleted statements that no statement uses.
// A term lives on when a statement added here uses it, when it is a
// predicate with a positive count, or when a stored statement not deleted
// here has it: one bounded prefix scan per index led by its position, in
// a read snapshot (the state before this transaction, as there is one
// writer). Bounded scans matter: an unbounded seek would walk the runs of
// deletion markers a bulk delete leaves until compaction drops them.
func (c *chunk) collect() error {
	if len(c.gc) == 0 {
		return nil
	}
	net := make(map[ids]bool, len(c.log))
	for _, l := range c.log {
		net[l.q] = l.add
	}
	usedHere := map[uint64]bool{}
	for q, added := range net {
		if added {
			for _, id := range q {
				usedHere[id] = true
			}
		}
	}
	rtx := c.qs.db.NewTransaction(false)
	defer rtx.Discard()
	var dead []uint64
	for id := range c.gc {
		if usedHere[id] {
			continue
		}
		// A predicate is used while its counter is positive (POSG does
		// not hold the side graphs' statements, so no seek would tell).
		n, known := c.qs.predCounts[id]
		if !known {
			var err error
			if n, err = getCounter(rtx, predCountKey(id)); err != nil {
				return fmt.Errorf("quadstore: read predicate count: %w", err)
			}
		}
		if int64(n)+c.predDelta[id] > 0 {
			continue
		}
		live, err := c.storedUse(rtx, id, net)
		if err != nil {
			return err
		}
		if !live {
			dead = append(dead, id)
		}
	}
	for _, id := range dead {
		item, err := c.txn.Get(nodeKey(id))
		if err != nil {
			return fmt.Errorf("quadstore: read term %d: %w", id, err)
		}
		enc, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		if err := c.del(termKey(enc)); err != nil {
			return err
		}
		if err := c.del(nodeKey(id)); err != nil {
			return err
		}
		c.nodeDelta--
		c.dropped = append(c.dropped, string(enc))
	}
	return nil
}

// storedUse tells whether a stored statement that this transaction does
// not delete uses id as its subject, object or graph (the predicates are
// told by their counters): a seek in each index led by one of those
// positions (OSPG for ordinary graphs, OGSP for side graphs).
func (c *chunk) storedUse(rtx *badger.Txn, id uint64, net map[ids]bool) (bool, error) {
	for _, ix := range []*index{spog, ospg, gspo, ogsp} {
		pfx := binary.BigEndian.AppendUint64([]byte{ix.tag}, id)
		it := rtx.NewIterator(badger.IteratorOptions{Prefix: pfx})
		live := false
		for it.Rewind(); it.Valid(); it.Next() {
			q, ok := ix.decode(it.Item().Key())
			if !ok {
				it.Close()
				return false, fmt.Errorf("quadstore: corrupt %s key %x", ix.name, it.Item().Key())
			}
			if added, touched := net[q]; touched && !added {
				continue
			}
			live = true
			break
		}
		it.Close()
		if live {
			return true, nil
		}
	}
	return false, nil
}

// commit writes the counters and commits; then the store's in-memory state
// follows.
func (c *chunk) commit() error {
	defer c.txn.Discard()
	if err := c.collect(); err != nil {
		return err
	}
	newCounts := make(map[uint64]uint64, len(c.predDelta))
	for p, d := range c.predDelta {
		if d == 0 {
			continue
		}
		n, err := c.predCount(p)
		if err != nil {
			return err
		}
		if int64(n)+d < 0 {
			return fmt.Errorf("quadstore: predicate %d count would fall below zero: the counters are corrupt", p)
		}
		n = uint64(int64(n) + d)
		newCounts[p] = n
		if n == 0 {
			err = c.del(predCountKey(p))
		} else {
			err = c.set(predCountKey(p), idBytes(n))
		}
		if err != nil {
			return err
		}
	}
	newGraph, err := writeCounters(c, c.graphDelta, mapLookup(c.qs.graphCounts), graphCountKey)
	if err != nil {
		return err
	}
	newGP, err := writeCounters(c, c.gpDelta, mapLookup(c.qs.gpCounts), func(k [2]uint64) []byte { return gpCountKey(k[0], k[1]) })
	if err != nil {
		return err
	}
	// An object id allocated here has no counters yet: no read.
	oc := c.qs.objCounts
	newObj, err := writeCounters(c, c.objDelta, func(o uint64) (uint64, bool) {
		if c.fresh[o] {
			return 0, true
		}
		return oc.obj.get(o)
	}, objCountKey)
	if err != nil {
		return err
	}
	newPO, err := writeCounters(c, c.poDelta, func(k [2]uint64) (uint64, bool) {
		if c.fresh[k[0]] || c.fresh[k[1]] {
			return 0, true
		}
		return oc.po.get(k)
	}, poCountKey)
	if err != nil {
		return err
	}
	newGO, err := writeCounters(c, c.goDelta, func(k [2]uint64) (uint64, bool) {
		if c.fresh[k[0]] || c.fresh[k[1]] {
			return 0, true
		}
		return oc.gobj.get(k)
	}, goCountKey)
	if err != nil {
		return err
	}
	newGPO, err := writeCounters(c, c.gpoDelta, func(k [3]uint64) (uint64, bool) {
		if c.fresh[k[0]] || c.fresh[k[1]] || c.fresh[k[2]] {
			return 0, true
		}
		return oc.gpo.get(k)
	}, gpoCountKey)
	if err != nil {
		return err
	}
	quads := c.qs.quads.Load() + c.quadDelta
	nodes := c.qs.nodes.Load() + c.nodeDelta
	if c.quadDelta != 0 {
		if err := c.set(keyQuadCount, idBytes(uint64(quads))); err != nil {
			return err
		}
	}
	if c.nodeDelta != 0 {
		if err := c.set(keyNodeCount, idBytes(uint64(nodes))); err != nil {
			return err
		}
	}
	if c.nextID != c.qs.nextID {
		if err := c.set(keyNextID, idBytes(c.nextID)); err != nil {
			return err
		}
	}
	if err := c.txn.Commit(); err != nil {
		return fmt.Errorf("quadstore: commit: %w", err)
	}
	qs := c.qs
	for p, n := range newCounts {
		qs.predCounts[p] = n
	}
	for g, n := range newGraph {
		qs.graphCounts[g] = n
	}
	for k, n := range newGP {
		qs.gpCounts[k] = n
	}
	for k, n := range newObj {
		oc.obj.put(k, n)
	}
	for k, n := range newPO {
		oc.po.put(k, n)
	}
	for k, n := range newGO {
		oc.gobj.put(k, n)
	}
	for k, n := range newGPO {
		oc.gpo.put(k, n)
	}
	qs.quads.Store(quads)
	qs.nodes.Store(nodes)
	qs.nextID = c.nextID
	dropped := make(map[string]bool, len(c.dropped))
	for _, enc := range c.dropped {
		qs.terms.del(enc)
		dropped[enc] = true
	}
	for enc, id := range c.ids {
		if !dropped[enc] {
			qs.terms.put(enc, id)
		}
	}
	return nil
}

// mapLookup looks counters up in a map.
func mapLookup[K comparable](m map[K]uint64) func(K) (uint64, bool) {
	return func(k K) (uint64, bool) {
		n, ok := m[k]
		return n, ok
	}
}

// writeCounters writes the counters that deltas change (known gives the
// values known before this transaction; the others are read) and returns
// their new values, for the caches once the transaction commits.
func writeCounters[K comparable](c *chunk, deltas map[K]int64, known func(K) (uint64, bool), key func(K) []byte) (map[K]uint64, error) {
	out := make(map[K]uint64, len(deltas))
	for k, d := range deltas {
		if d == 0 {
			continue
		}
		n, ok := known(k)
		if !ok {
			var err error
			if n, err = getCounter(c.txn, key(k)); err != nil {
				return nil, fmt.Errorf("quadstore: read a counter: %w", err)
			}
		}
		if int64(n)+d < 0 {
			return nil, fmt.Errorf("quadstore: counter %x would fall below zero: the counters are corrupt", key(k))
		}
		n = uint64(int64(n) + d)
		out[k] = n
		var err error
		if n == 0 {
			err = c.del(key(k))
		} else {
			err = c.set(key(k), idBytes(n))
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// validate checks a whole call for ErrQuadExists and ErrQuadNotExist, as
// write would meet them, without writing.
func (qs *QuadStore) validate(ps []prepared, opts graph.IgnoreOpts) error {
	txn := qs.db.NewTransaction(false)
	defer txn.Discard()
	state := map[string]bool{}
	for _, p := range ps {
		d := p.d
		var key strings.Builder
		for _, enc := range p.enc {
			key.Write(binary.AppendUvarint(nil, uint64(len(enc))))
			key.Write(enc)
		}
		ok, seen := state[key.String()]
		if !seen {
			var err error
			if ok, err = qs.storedQuad(txn, p.enc); err != nil {
				return err
			}
		}
		if d.Action == graph.Add {
			if ok && !opts.IgnoreDup {
				return &graph.DeltaError{Delta: d, Err: graph.ErrQuadExists}
			}
		} else if !ok && !opts.IgnoreMissing {
			return &graph.DeltaError{Delta: d, Err: graph.ErrQuadNotExist}
		}
		state[key.String()] = d.Action == graph.Add
	}
	return nil
}

// storedQuad tells whether the statement of encoded terms is stored.
func (qs *QuadStore) storedQuad(txn *badger.Txn, enc [4][]byte) (bool, error) {
	var q ids
	for i, e := range enc {
		if e == nil {
			continue
		}
		id, ok, err := qs.lookupID(txn, e)
		if err != nil || !ok {
			return false, err
		}
		q[i] = id
	}
	_, err := txn.Get(spog.appendKey(nil, q))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// NewQuadWriter returns a writer that adds statements in batches of
// BatchSize, ignoring duplicates; Close writes the last batch.
func (qs *QuadStore) NewQuadWriter() (quad.WriteCloser, error) {
	return &quadWriter{qs: qs}, nil
}

type quadWriter struct {
	qs  *QuadStore
	buf []graph.Delta
	err error
}

func (w *quadWriter) WriteQuad(q quad.Quad) error {
	_, err := w.WriteQuads([]quad.Quad{q})
	return err
}

func (w *quadWriter) WriteQuads(qs []quad.Quad) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	for _, q := range qs {
		w.buf = append(w.buf, graph.Delta{Quad: q, Action: graph.Add})
		if len(w.buf) >= w.qs.batch {
			if err := w.flush(); err != nil {
				return 0, err
			}
		}
	}
	return len(qs), nil
}

func (w *quadWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	w.err = w.qs.ApplyDeltas(w.buf, graph.IgnoreOpts{IgnoreDup: true})
	w.buf = w.buf[:0]
	return w.err
}

func (w *quadWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	return w.flush()
}

// ErrPrecondition is wrapped by Replace's error when a statement to remove
// is not stored or one to add already is.
var ErrPrecondition = errors.New("quadstore: a statement to remove is not stored, or one to add is")

// Replace removes the statements of remove and adds those of add in one
// Badger transaction (ApplyDeltasAtomic): every one of remove must be
// stored and none of add, or nothing is written and the error wraps
// ErrPrecondition (and cayley's ErrQuadNotExist or ErrQuadExists).
func (qs *QuadStore) Replace(remove, add []quad.Quad) error {
	deltas := make([]graph.Delta, 0, len(remove)+len(add))
	for _, q := range remove {
		deltas = append(deltas, graph.Delta{Quad: q, Action: graph.Delete})
	}
	for _, q := range add {
		deltas = append(deltas, graph.Delta{Quad: q, Action: graph.Add})
	}
	err := qs.ApplyDeltasAtomic(deltas, graph.IgnoreOpts{})
	if errors.Is(err, graph.ErrQuadExists) || errors.Is(err, graph.ErrQuadNotExist) {
		return fmt.Errorf("%w: %w", ErrPrecondition, err)
	}
	return err
}

// AddNew adds the statements of add that are not stored yet, in batches
// of BatchSize (not one transaction), and ignores the others.
func (qs *QuadStore) AddNew(add []quad.Quad) error {
	deltas := make([]graph.Delta, len(add))
	for i, q := range add {
		deltas[i] = graph.Delta{Quad: q, Action: graph.Add}
	}
	return qs.ApplyDeltas(deltas, graph.IgnoreOpts{IgnoreDup: true})
}
