package ingest

import (
	"log/slog"
	"sync"
	"testing"

	"credreg/catalog"
	"credreg/registry"
)

// catalogs holds the catalog of each store a test opened, made on first
// use (catalogOf).
var catalogs sync.Map // *registry.Store -> *catalog.Catalog

// catalogOf returns the catalog of store, as a server or credreg import
// holds one: made on first use and closed (before the store, which was
// opened first) when the test that made it ends.
func catalogOf(tb testing.TB, store *registry.Store) *catalog.Catalog {
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
