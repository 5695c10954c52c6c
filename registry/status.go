package registry

import "time"

// ListStatus is the state of the umbrella list's index, for monitoring.
type ListStatus struct {
	// Ready is set once the index is built (see ListReady).
	Ready bool
	// BuildTime is what the build that made the index ready took; 0
	// before.
	BuildTime time.Duration
	// Credentials and Designations count what the index holds; 0 before
	// it is ready.
	Credentials, Designations int
	// FromSnapshot is set when the index was read from its snapshot (and
	// caught up) rather than built by a scan of the store.
	FromSnapshot bool
}

// ListStatus reports the list index's state and counts. It reads the
// index's own counters, never the store, so it is cheap to call often
// (a metrics scrape).
func (s *Store) ListStatus() ListStatus {
	ix := s.list
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ListStatus{Ready: ix.ready, BuildTime: ix.buildTime, Credentials: ix.liveC.count(), Designations: len(ix.desigs),
		FromSnapshot: ix.fromSnapshot}
}

// DiskSize returns the bytes of the store's LSM tree and value log as
// Badger last measured them (at open and about once a minute after); it
// reads no file. ok is false for a store that cannot tell.
func (s *Store) DiskSize() (lsm, vlog int64, ok bool) {
	sz, ok := s.be.(sizer)
	if !ok {
		return 0, 0, false
	}
	lsm, vlog = sz.Size()
	return lsm, vlog, true
}
