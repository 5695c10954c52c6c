// Package harvest is what harvesters take from a registry: Triple Pattern
// Fragments of the published statements (pages with their count, cursor
// and TPF hypermedia controls, in JSON-LD, N-Quads, TriG and Turtle), the
// change feed (the change log as ActivityStreams pages), the dump of every
// record as N-Quads, and the dataset description (VoID and DCAT).
//
// A Harvester reads a *registry.Store through its read-only view of the
// published statements (registry.Published: never the store's bookkeeping)
// and its change log; it knows neither HTTP nor storage. Rendered fragment
// pages are kept in its one cache, keyed by the store's change-log
// position: a write moves the position, and the cache forgets every page
// of the old one.
package harvest

import (
	"sync"

	"credreg/registry"
	"credreg/schema"
)

// Harvester answers the harvest reads of one store. It is safe for
// concurrent use.
type Harvester struct {
	store *registry.Store
	base  schema.Base
	pages pageCache
}

// New returns the Harvester of store.
func New(store *registry.Store) *Harvester {
	return &Harvester{store: store, base: store.Base()}
}

// Sequence returns the change-log position of the store: what a page read
// now reflects.
func (h *Harvester) Sequence() uint64 { return h.store.Sequence() }

// maxCachedPages bounds the rendered pages the cache keeps.
const maxCachedPages = 2048

// pageCache keeps rendered fragment pages of one change-log position, by
// format and query; the oldest go first past maxCachedPages. A page of a
// later position empties it, and a page of an earlier one is not kept, so
// a page rendered before a write is never served after it.
type pageCache struct {
	mu    sync.Mutex
	seq   uint64
	pages map[string]*FragmentPage
	order []string
}

// get returns the page kept for key at seq.
func (c *pageCache) get(seq uint64, key string) (*FragmentPage, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if seq != c.seq {
		return nil, false
	}
	p, ok := c.pages[key]
	return p, ok
}

// put keeps p for key at seq.
func (c *pageCache) put(seq uint64, key string, p *FragmentPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case seq < c.seq:
		return
	case seq > c.seq || c.pages == nil:
		c.seq, c.pages, c.order = seq, map[string]*FragmentPage{}, nil
	}
	if _, ok := c.pages[key]; ok {
		return
	}
	c.pages[key] = p
	c.order = append(c.order, key)
	for len(c.order) > maxCachedPages {
		delete(c.pages, c.order[0])
		c.order = c.order[1:]
	}
}

// len returns the number of pages kept.
func (c *pageCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pages)
}
