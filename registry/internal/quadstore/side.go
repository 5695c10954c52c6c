package quadstore

import (
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// progress logs how far a long step of an upgrade is, every
// progressEvery, so that an operator opening a large store sees it move.
type progress struct {
	qs    *QuadStore
	what  string
	n     int
	start time.Time
	next  time.Time
}

const progressEvery = 10 * time.Second

func (qs *QuadStore) newProgress(what string) *progress {
	now := time.Now()
	return &progress{qs: qs, what: what, start: now, next: now.Add(progressEvery)}
}

// step counts one more item, logging when progressEvery has passed.
func (p *progress) step() {
	p.n++
	if p.n%4096 != 0 {
		return
	}
	if now := time.Now(); now.After(p.next) {
		p.qs.log.Info("upgrading the store", "store", p.qs.dir, "step", p.what, "done", p.n, "elapsed", now.Sub(p.start).Round(time.Millisecond))
		p.next = now.Add(progressEvery)
	}
}

// Side graphs: the statements of a counted graph are kept in SPOG, GSPO
// and OGSP only, not in POSG and OSPG (see the package documentation).
// Which indexes hold a graph's statements therefore changes when the
// graph enters or leaves the counted set; relight moves them.

// relight puts the statements of graph g (0: the default graph) in the
// indexes of a side graph (side) or of an ordinary one, and takes them out
// of the others: one prefix scan of GSPO, whose keys every statement has.
// It is idempotent, so a move cut short by a crash is completed by doing
// it again.
func (qs *QuadStore) relight(g uint64, side bool) error {
	// SPOG and GSPO hold every statement; the others depend on the kind.
	want, drop := []*index{posg, ospg}, []*index{ogsp}
	if side {
		want, drop = drop, want
	}
	wb := qs.db.NewWriteBatch()
	defer wb.Cancel()
	moved := 0
	prog := qs.newProgress(fmt.Sprintf("move the statements of graph %d", g))
	err := qs.db.View(func(txn *badger.Txn) error {
		pfx := gspo.prefix(ids{posG: g}, 1)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: pfx})
		defer it.Close()
		for it.Seek(pfx); it.ValidForPrefix(pfx); it.Next() {
			q, ok := gspo.decode(it.Item().Key())
			if !ok {
				return fmt.Errorf("corrupt GSPO key %x", it.Item().Key())
			}
			for _, ix := range want {
				if err := wb.Set(ix.appendKey(nil, q), nil); err != nil {
					return err
				}
			}
			for _, ix := range drop {
				if err := wb.Delete(ix.appendKey(nil, q)); err != nil {
					return err
				}
			}
			moved++
			prog.step()
		}
		return nil
	})
	if err == nil {
		err = wb.Flush()
	}
	if err != nil {
		return fmt.Errorf("quadstore: move the statements of graph %d: %w", g, err)
	}
	if moved > 0 {
		qs.log.Info("moved a graph's statements to its indexes", "store", qs.dir, "graph", g, "side", side, "statements", moved)
	}
	return nil
}

// upgradeSideGraphs turns a layout 4 store (every statement in six
// indexes) into layout 5: it deletes PGOS, the OGSP keys of ordinary
// graphs, and the side graphs' POSG and OSPG keys. Each step is
// idempotent, and Open sets the layout key after it, so an upgrade cut
// short is redone by the next Open.
func (qs *QuadStore) upgradeSideGraphs() error {
	fail := func(err error) error {
		return fmt.Errorf("quadstore: upgrade %s to layout %d: %w", qs.dir, LayoutVersion, err)
	}
	qs.log.Info("upgrading the store to layout 5 (about 40 s a million statements, once)", "store", qs.dir)
	var side map[uint64]bool
	wb := qs.db.NewWriteBatch()
	defer wb.Cancel()
	dropped := 0
	prog := qs.newProgress("drop the ordinary graphs' OGSP keys")
	err := qs.db.View(func(txn *badger.Txn) error {
		var err error
		if side, err = qs.countedIDs(txn); err != nil {
			return err
		}
		pfx := []byte{ogsp.tag}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: pfx})
		defer it.Close()
		for it.Seek(pfx); it.ValidForPrefix(pfx); it.Next() {
			q, ok := ogsp.decode(it.Item().Key())
			if !ok {
				return fmt.Errorf("corrupt OGSP key %x", it.Item().Key())
			}
			prog.step()
			if side[q[posG]] {
				continue
			}
			if err := wb.Delete(it.Item().KeyCopy(nil)); err != nil {
				return err
			}
			dropped++
		}
		return nil
	})
	if err == nil {
		err = wb.Flush()
	}
	if err != nil {
		return fail(err)
	}
	for g := range side {
		if err := qs.relight(g, true); err != nil {
			return fail(err)
		}
	}
	// PGOS goes last: DropPrefix also flushes the memtables, so that
	// Flatten then compacts away the deletion markers the steps above
	// left, which every scan of POSG and OSPG would otherwise walk over
	// (a fragment of a literal found only in the change log: 73 ms
	// instead of a fraction of one) until compactions reach them.
	if err := qs.db.DropPrefix([]byte{'Q'}); err != nil { // PGOS
		return fail(err)
	}
	start := time.Now()
	if err := qs.db.Flatten(2); err != nil {
		return fail(fmt.Errorf("compact: %w", err))
	}
	qs.log.Info("upgraded the indexes to layout 5", "store", qs.dir, "ordinary statements dropped from OGSP", dropped, "compacted in", time.Since(start).Round(time.Millisecond))
	return nil
}
