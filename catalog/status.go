package catalog

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
func (c *Catalog) ListStatus() ListStatus {
	ix := c.list
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ListStatus{Ready: ix.ready, BuildTime: ix.buildTime, Credentials: ix.liveC.count(), Designations: len(ix.desigs),
		FromSnapshot: ix.fromSnapshot}
}
