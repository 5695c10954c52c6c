// Package catalogtest gives tests of the packages above the catalog
// (ingest, server) the catalog of a store, as a server or credreg import
// holds one.
package catalogtest

import (
	"log/slog"
	"sync"
	"testing"

	"credreg/catalog"
	"credreg/registry"
)

// catalogs holds the catalog of each store a test asked for (Of).
var catalogs sync.Map // *registry.Store -> *catalog.Catalog

// Of returns the catalog of store: made on first use (its logs
// discarded) and closed, before the store, when the test that made it
// ends. Every call for one store returns the same catalog.
func Of(tb testing.TB, store *registry.Store) *catalog.Catalog {
	tb.Helper()
	if c, ok := catalogs.Load(store); ok {
		return c.(*catalog.Catalog)
	}
	c := catalog.New(store, catalog.Options{Logger: slog.New(slog.DiscardHandler)})
	if prev, loaded := catalogs.LoadOrStore(store, c); loaded {
		_ = c.Close()
		return prev.(*catalog.Catalog)
	}
	tb.Cleanup(func() {
		catalogs.Delete(store)
		_ = c.Close()
	})
	return c
}
