package registry

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

// subscribe adds a write hook. Call it before the store is shared.
func (s *Store) subscribe(h writeHook) { s.hooks = append(s.hooks, h) }

// notifyWrite tells the hooks of a committed write. Called by write with
// the write lock held.
func (s *Store) notifyWrite(seq uint64, ws []recordWrite) {
	for _, h := range s.hooks {
		h(seq, ws)
	}
}
