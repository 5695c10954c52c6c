package registry

import (
	"context"
	"fmt"
	"time"

	"credreg/rdf"

	"github.com/cayleygraph/quad"
)

// recordWrite is what a committed write did to one record: the record as
// it was (nil when the write created it, and for a write another process
// made, which the store learns from the shared change log) and as it is
// now (no statements when it is gone).
type recordWrite struct {
	Old *Record
	New Record
}

// writeHook is told of every committed write, in order, under the store's
// write lock (so it must not take it, nor block): seq is the change-log
// position after the write. Writes are the one way the store's listeners
// learn of changes: the document cache and the list index subscribe when
// the store starts (Store.start), and a write followed from another
// process's log (Follow) is told like a local one.
type writeHook func(seq uint64, ws []recordWrite)

// subscribe adds a write hook. Call it before the store is shared, or
// holding s.mu (Subscribe).
func (s *Store) subscribe(h writeHook) { s.hooks = append(s.hooks, h) }

// notifyWrite tells the hooks of a committed write. Called by write with
// the write lock held.
func (s *Store) notifyWrite(seq uint64, ws []recordWrite) {
	for _, h := range s.hooks {
		h(seq, ws)
	}
}

// Listener is told of every committed write, local or followed from the
// shared change log (Follow), in order: seq is the change-log position
// after the write, and recs are the records as the write left them, each
// with its statements (none when the record is gone). It is called under
// the store's write lock, so it must be quick, must not block, and must
// not call the store's methods that write or take the lock (Sequence,
// HoldWrites, the writes). Listeners keep state derived from the records
// (the catalog's list index) current with the store.
type Listener func(seq uint64, recs []Record)

// Subscribe adds a listener, told of every write committed after it
// returns. A listener subscribed after the store was opened catches up on
// the writes before it from the change log (ChangeAt), holding the writes
// still (HoldWrites) for the last step so that none slips between.
func (s *Store) Subscribe(l Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subscribe(func(seq uint64, ws []recordWrite) {
		recs := make([]Record, len(ws))
		for i, w := range ws {
			recs[i] = w.New
		}
		l(seq, recs)
	})
}

// OnClose has fn called once when the store closes, first (the store
// still reads): a listener that keeps state beside the store, such as the
// catalog's list index snapshot, saves it then if its owner has not closed
// it already. fn must not close the store.
func (s *Store) OnClose(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closers = append(s.closers, fn)
}

// HoldWrites calls fn with the change-log head while no write can commit
// (it holds the store's write lock, as listeners are called), and returns
// its error. fn must not write nor call Sequence; it may read.
func (s *Store) HoldWrites(fn func(head uint64) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fn(s.seq)
}

// RemoveUnheard removes the record iri and logs its removal (action
// "delete", by actor) without telling this store's listeners, as a write
// of another process sharing the store would be: the listeners learn of it
// only from the change log. The registry has no delete of its own (a
// record is retired, never removed); this is for tests of listeners that
// catch up from the log. The store's own document cache forgets the
// record. It returns the change logged.
func (s *Store) RemoveUnheard(ctx context.Context, actor, iri string) (Change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.getLocked(ctx, iri)
	if err != nil {
		return Change{}, fmt.Errorf("remove %s: %w", iri, err)
	}
	var remove []quad.Quad
	for _, q := range st.Quads {
		q.Label = quad.IRI(iri)
		remove = append(remove, q)
	}
	remove = append(remove, st.meta...)
	c := Change{Seq: s.seq + 1, Time: time.Now().UTC(), Actor: actor, Action: "delete", IRI: iri}
	e := changeNode(c.Seq)
	g := quad.IRI(graphChanges)
	add := []quad.Quad{
		{Subject: e, Predicate: quad.IRI(predSequence), Object: rdf.Integer(c.Seq), Label: g},
		{Subject: e, Predicate: quad.IRI(predDate), Object: rdf.DateTime(c.Time), Label: g},
		{Subject: e, Predicate: quad.IRI(predActor), Object: quad.String(actor), Label: g},
		{Subject: e, Predicate: quad.IRI(predAction), Object: quad.String(c.Action), Label: g},
		{Subject: e, Predicate: quad.IRI(predResource), Object: quad.IRI(iri), Label: g},
	}
	if err := s.be.Apply(ctx, remove, add); err != nil {
		return Change{}, fmt.Errorf("remove %s: %w", iri, err)
	}
	s.setSeq(c.Seq)
	s.docs.drop([]string{iri})
	return c, s.syncStore()
}
