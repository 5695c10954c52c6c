// Package catalog is the registry's domain over a registry.Store,
// independent of HTTP and of storage: the umbrella list's index (built by
// a scan or read from its snapshot, caught up from the change log, kept
// current by every write the store commits) and the list query, facets
// and Cluster report answered from it; credentials matched by name or by
// an agency's key; views of credentials and designations, every agency's
// designations of a credential side by side with where they disagree; the
// bulk lookup; the employer's check (is a credential of value on a day, by
// whom, for what, on which criteria and evidence) and the labels people
// read for linked resources. The server and the command line answer from
// it alike.
//
// A Catalog is made once per store by the process that serves it (cmd
// wires it; the server takes it), subscribes to the store's writes, and
// is closed before the store.
package catalog

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"

	"credreg/registry"
	"credreg/schema"
)

// Options configures New.
type Options struct {
	// Logger receives the catalog's logs (the list index's build and
	// snapshots); nil means slog.Default().
	Logger *slog.Logger
	// NoListSnapshot turns off the list index's snapshot (see
	// WriteListSnapshot): the index is then built by a scan at every
	// start, and none is written.
	NoListSnapshot bool
}

// Catalog answers the registry's domain questions over one store: the
// umbrella list and its facets, credentials by name or key, the
// designations of a credential side by side, the Cluster report and the
// bulk lookup. Its list index is built on first use (or by WarmList) and
// kept current by every write the store commits, its own or (on a shared
// store) another server's that the store follows. Make one per store with
// New, and Close it before the store. It is safe for concurrent use.
type Catalog struct {
	store *registry.Store
	base  schema.Base
	log   *slog.Logger

	list    *listIndex
	reports reportMemo // the last cluster report, while the list index holds

	// snapPath is the list index's snapshot file, "" when the catalog
	// keeps none; snapMu serialises writing it, snapOnce starts its loop.
	snapPath string
	snapMu   sync.Mutex
	snapOnce sync.Once

	// life ends when the catalog closes; background work (the list
	// index's build, the snapshot loop) runs under it and is waited for by
	// Close.
	life      context.Context
	stopLife  context.CancelFunc
	bg        sync.WaitGroup
	closeOnce sync.Once
}

// New returns the catalog of store, subscribed to its writes. The list
// index's snapshot, when the store has a directory for side files (see
// registry.Store.SideDir), is the file listindex.snap there.
func New(store *registry.Store, opts Options) *Catalog {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	c := &Catalog{store: store, base: store.Base(), log: log, list: newListIndex()}
	c.life, c.stopLife = context.WithCancel(context.Background())
	if dir := store.SideDir(); dir != "" && !opts.NoListSnapshot {
		c.snapPath = filepath.Join(dir, listSnapshotFile)
	}
	store.Subscribe(c.updateList)
	// Closing the store first closes the catalog, so that its snapshot is
	// written while the store still reads.
	store.OnClose(func() { _ = c.Close() })
	return c
}

// Store returns the store the catalog reads.
func (c *Catalog) Store() *registry.Store { return c.store }

// Close stops the catalog's background work and, when the list index is
// built, writes its snapshot, so that the next start reads it rather than
// scanning the store (failing to write it costs that start time, not
// data: it is logged, not returned). Close it before the store (closing
// the store closes it first, if it is still open); it is safe to call more
// than once. The catalog still answers after Close,
// from the store, but its index is no longer built in the background.
func (c *Catalog) Close() error {
	c.closeOnce.Do(func() {
		c.stopLife()
		c.bg.Wait()
		if _, err := c.WriteListSnapshot(context.Background()); err != nil {
			c.log.Warn("list index snapshot not written; the next start builds the index by a scan", "err", err)
		}
	})
	return nil
}
