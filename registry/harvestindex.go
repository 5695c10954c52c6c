package registry

// The harvest index: for every record, how many statements of each
// predicate it holds, in memory, with the records in IRI order. The
// dataset description's counts and the triple pattern fragments of a
// predicate alone (or of three variables) answer from it: a page reads
// only the records it shows, a count reads nothing.
//
// It is built by one read of cayley's log (ids only: no value but those of
// the graphs and predicates is read) on first use or when the server
// starts (WarmHarvest), and kept current by every write through the
// store's write hook, under the write lock, so a read after a write sees
// it. Memory: per record its IRI and 8 bytes per distinct predicate, per
// predicate a bitset of the records holding it; no string per statement.

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/cayleygraph/quad"
)

// BusyError is a read the store cannot answer now without more work than
// a request may cost (such as while an index is being built); the caller
// may try again after RetryAfter.
type BusyError struct {
	Reason     string
	RetryAfter time.Duration
}

func (e *BusyError) Error() string { return e.Reason }

// harvestWait is how long a read waits for the harvest index's build
// before it is answered with a BusyError.
var harvestWait = 2 * time.Second

// predCount is how many statements of one predicate a record holds.
type predCount struct{ pid, n uint32 }

// harvestIndex is the index; data is replaced whole by a build and changed
// in place by writes, both under mu.
type harvestIndex struct {
	buildMu  sync.Mutex
	building *indexBuild

	mu    sync.RWMutex
	ready bool
	seq   uint64 // the change-log position the index reflects
	data  *harvestData
}

// harvestData is what the index holds.
type harvestData struct {
	rids   map[string]uint32 // record IRI → number
	iris   []string          // by number; "" for a free number
	free   []uint32
	counts [][]predCount // by record number, by predicate number
	sizes  []uint32      // statements by record number
	order  []uint32      // the records' numbers by IRI

	pids    map[string]uint32 // predicate IRI → number
	pnames  []string
	holders []bitset // by predicate number: the records holding it
	pstmts  []int    // by predicate number: its statements

	statements, records int
}

func newHarvestData() *harvestData {
	return &harvestData{rids: map[string]uint32{}, pids: map[string]uint32{}}
}

// pid interns a predicate IRI.
func (d *harvestData) pid(iri string) uint32 {
	if n, ok := d.pids[iri]; ok {
		return n
	}
	n := uint32(len(d.pnames))
	d.pids[iri] = n
	d.pnames = append(d.pnames, iri)
	d.holders = append(d.holders, nil)
	d.pstmts = append(d.pstmts, 0)
	return n
}

// countsOf returns the statements of a record by predicate, sorted by
// predicate number. quads are distinct (a record as stored).
func (d *harvestData) countsOf(quads []quad.Quad) []predCount {
	var out []predCount
	for _, q := range quads {
		out = addCount(out, d.pid(string(asIRI(q.Predicate))), 1)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pid < out[j].pid })
	return append([]predCount(nil), out...) // no spare capacity kept
}

// addCount adds n statements of predicate pid to counts.
func addCount(counts []predCount, pid, n uint32) []predCount {
	for i := range counts {
		if counts[i].pid == pid {
			counts[i].n += n
			return counts
		}
	}
	return append(counts, predCount{pid, n})
}

// number returns the record number of iri, taking a new one (not yet in
// order) when create is set.
func (d *harvestData) number(iri string, create bool) (uint32, bool) {
	if n, ok := d.rids[iri]; ok || !create {
		return n, ok
	}
	var n uint32
	if k := len(d.free); k > 0 {
		n, d.free = d.free[k-1], d.free[:k-1]
	} else {
		n = uint32(len(d.iris))
		d.iris = append(d.iris, "")
		d.counts = append(d.counts, nil)
		d.sizes = append(d.sizes, 0)
	}
	d.rids[iri] = n
	d.iris[n] = iri
	d.records++
	return n, true
}

// put replaces what the index holds of record iri by counts (sorted by
// predicate number; none: the record is gone). It returns the number of a
// record new to the index, which the caller places in order (see
// placeNew), or -1.
func (d *harvestData) put(iri string, counts []predCount) int64 {
	rid, ok := d.number(iri, false)
	if ok {
		for _, c := range d.counts[rid] {
			d.pstmts[c.pid] -= int(c.n)
			d.holders[c.pid].clear(int32(rid))
		}
		d.statements -= int(d.sizes[rid])
		d.counts[rid], d.sizes[rid] = nil, 0
	}
	if len(counts) == 0 {
		if ok {
			d.removeFromOrder(rid)
			delete(d.rids, iri)
			d.iris[rid] = ""
			d.free = append(d.free, rid)
			d.records--
		}
		return -1
	}
	added := int64(-1)
	if !ok {
		rid, _ = d.number(iri, true)
		added = int64(rid)
	}
	size := uint32(0)
	for _, c := range counts {
		d.pstmts[c.pid] += int(c.n)
		d.holders[c.pid].set(int32(rid))
		size += c.n
	}
	d.counts[rid] = counts
	d.sizes[rid] = size
	d.statements += int(size)
	return added
}

// update applies records as stored (no statements: gone) to the index.
// Each IRI appears once.
func (d *harvestData) update(recs []Record) {
	var added []uint32
	for _, r := range recs {
		if n := d.put(r.IRI, d.countsOf(r.Quads)); n >= 0 {
			added = append(added, uint32(n))
		}
	}
	d.placeNew(added)
}

// removeFromOrder takes record rid out of order.
func (d *harvestData) removeFromOrder(rid uint32) {
	iri := d.iris[rid]
	i := sort.Search(len(d.order), func(i int) bool { return d.iris[d.order[i]] >= iri })
	if i < len(d.order) && d.order[i] == rid {
		d.order = append(d.order[:i], d.order[i+1:]...)
	}
}

// placeNew merges records new to the index into order.
func (d *harvestData) placeNew(added []uint32) {
	if len(added) == 0 {
		return
	}
	less := func(a, b uint32) bool { return d.iris[a] < d.iris[b] }
	sort.Slice(added, func(i, j int) bool { return less(added[i], added[j]) })
	if len(d.order) == 0 {
		d.order = added
		return
	}
	merged := make([]uint32, 0, len(d.order)+len(added))
	i, j := 0, 0
	for i < len(d.order) && j < len(added) {
		if less(added[j], d.order[i]) {
			merged = append(merged, added[j])
			j++
		} else {
			merged = append(merged, d.order[i])
			i++
		}
	}
	merged = append(append(merged, d.order[i:]...), added[j:]...)
	d.order = merged
}

// count returns the statements of predicate pid that record rid holds.
func (d *harvestData) count(rid, pid uint32) uint32 {
	cs := d.counts[rid]
	i := sort.Search(len(cs), func(i int) bool { return cs[i].pid >= pid })
	if i < len(cs) && cs[i].pid == pid {
		return cs[i].n
	}
	return 0
}

// pageSpan is the part of one record a fragment page shows: its
// statements (of the pattern's predicate) skip to skip+take, in N-Triples
// order.
type pageSpan struct {
	iri        string
	skip, take int
}

// spans returns the records holding the statements offset to offset+limit
// of predicate (every statement when predicate is ""), records in IRI
// order and each record's statements in N-Triples order, and how many
// statements there are in all. It walks the records in order, reading
// counts only: O(records), no statement is read.
func (d *harvestData) spans(predicate string, offset, limit int) ([]pageSpan, int) {
	pid, all := uint32(0), predicate == ""
	total := d.statements
	if !all {
		var ok bool
		if pid, ok = d.pids[predicate]; !ok {
			return nil, 0
		}
		total = d.pstmts[pid]
	}
	if offset >= total {
		return nil, total
	}
	var out []pageSpan
	pos, got := 0, 0
	for _, rid := range d.order {
		var n int
		if all {
			n = int(d.sizes[rid])
		} else {
			if !d.holders[pid].has(int32(rid)) {
				continue
			}
			n = int(d.count(rid, pid))
		}
		if pos+n <= offset {
			pos += n
			continue
		}
		skip := max(0, offset-pos)
		take := min(n-skip, limit-got)
		out = append(out, pageSpan{iri: d.iris[rid], skip: skip, take: take})
		got += take
		pos += n
		if got == limit {
			break
		}
	}
	return out, total
}

// harvest returns the store's harvest index, built. It starts the build
// when none is under way (once for all callers, under the store's
// lifetime) and waits for it up to wait (no limit when wait is 0), then
// answers a BusyError: at most one build runs, and no request waits on
// one for long.
func (s *Store) harvest(ctx context.Context, wait time.Duration) (*harvestIndex, error) {
	ix := s.harvestIx
	ix.mu.RLock()
	ready := ix.ready
	ix.mu.RUnlock()
	if ready {
		return ix, nil
	}
	b := s.startBuild(&ix.buildMu, &ix.building, s.buildHarvestIndex)
	var timeout <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-b.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("the harvest index is being built: %w", ctx.Err())
	case <-timeout:
		return nil, &BusyError{Reason: "the index of statements by predicate (for fragments, the dump and the dataset description) is being built, once after the server starts; try again shortly", RetryAfter: 5 * time.Second}
	}
	if b.err != nil {
		return nil, b.err
	}
	return ix, nil
}

// WarmHarvest builds the harvest index now (it is otherwise built by the
// first fragment, dump or dataset description) and waits for it. Servers
// call it at start.
func (s *Store) WarmHarvest(ctx context.Context) error {
	_, err := s.harvest(ctx, 0)
	return err
}

// buildHarvestIndex reads the log once, then catches up with the writes
// that committed meanwhile (from the change log, under the write lock) and
// marks the index ready.
func (s *Store) buildHarvestIndex(ctx context.Context) error {
	start := time.Now()
	from := s.Sequence()
	d, err := s.scanHarvestData(ctx)
	if err != nil {
		return fmt.Errorf("build the harvest index: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	to := s.seq
	latest := map[string]bool{}
	var recs []Record
	for seq := from + 1; seq <= to; seq++ {
		c, err := s.readChange(ctx, seq)
		if err != nil {
			return fmt.Errorf("build the harvest index: catch up at change %d: %w", seq, err)
		}
		if latest[c.IRI] {
			continue
		}
		latest[c.IRI] = true
		rec := Record{IRI: c.IRI}
		if st, err := s.getLocked(ctx, c.IRI); err == nil {
			rec.Quads = st.Quads
		} else if !isNotFound(err) {
			return fmt.Errorf("build the harvest index: catch up %s: %w", c.IRI, err)
		}
		recs = append(recs, rec)
	}
	d.update(recs)
	ix := s.harvestIx
	ix.mu.Lock()
	ix.data, ix.seq, ix.ready = d, to, true
	ix.mu.Unlock()
	s.log.Info("harvest index ready", "records", d.records, "statements", d.statements, "predicates", len(d.pnames),
		"caught_up", to-from, "elapsed", time.Since(start).Round(time.Millisecond))
	return nil
}

// onWrite is the harvest index's write hook: the records as written
// replace what it holds of them. Before the index is built it does nothing
// (the build catches up from the change log).
func (ix *harvestIndex) onWrite(seq uint64, ws []recordWrite) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.ready {
		return
	}
	recs := make([]Record, len(ws))
	for i, w := range ws {
		recs[i] = w.New
	}
	ix.data.update(recs)
	ix.seq = seq
}

// scanHarvestData reads the record statements' graphs and predicates in
// one scan of the store, reading no other term.
func (s *Store) scanHarvestData(ctx context.Context) (*harvestData, error) {
	d := newHarvestData()
	finish := func() *harvestData {
		for rid, cs := range d.counts {
			sort.Slice(cs, func(i, j int) bool { return cs[i].pid < cs[j].pid })
			cs = append([]predCount(nil), cs...) // no spare capacity kept
			d.counts[rid] = cs
			for _, c := range cs {
				d.pstmts[c.pid] += int(c.n)
				d.holders[c.pid].set(int32(rid))
				d.sizes[rid] += c.n
			}
			d.statements += int(d.sizes[rid])
		}
		added := make([]uint32, 0, len(d.rids))
		for _, rid := range d.rids {
			added = append(added, rid)
		}
		d.placeNew(added)
		return d
	}
	// One scan of every statement in one snapshot, decoding only graphs
	// and predicates.
	err := s.be.Scan(ctx, Pattern{}, PosGraph|PosPredicate, func(q quad.Quad) error {
		if bookkeeping(q.Label) {
			return nil
		}
		rid, _ := d.number(string(asIRI(q.Label)), true)
		d.counts[rid] = addCount(d.counts[rid], d.pid(string(asIRI(q.Predicate))), 1)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scan the store: %w", err)
	}
	return finish(), nil
}
