package badgerkv

import (
	"context"
	"errors"
	"sync"

	"github.com/cayleygraph/cayley/graph"
	cayleykv "github.com/cayleygraph/cayley/graph/kv"
	"github.com/hidal-go/hidalgo/base"
	hkv "github.com/hidal-go/hidalgo/kv"
	"github.com/hidal-go/hidalgo/kv/flat"
)

// Name is the backend name under which Register makes this adapter known to
// hidalgo (flat registry "badger4", hierarchical registry "flat.badger4")
// and to Cayley (graph.InitQuadStore / graph.NewQuadStore with "badger4").
const Name = "badger4"

// optNoSync is the Cayley database option (db_options) that sets
// Options.NoSync, named like the option of Cayley's bolt backend.
const optNoSync = "nosync"

var registerOnce sync.Once

// Register makes the adapter available as Name to hidalgo's flat registry
// (flat.ByName) and as a Cayley quad-store backend, so that
// graph.InitQuadStore(Name, dir, opts) and graph.NewQuadStore(Name, dir, opts)
// work. The Cayley option "nosync" (bool) maps to Options.NoSync.
//
// Register is idempotent and may be called from several packages; a name
// that something else already registered is left alone. Like the
// registries it writes to, it must not race with other registrations or
// lookups: call it from init or early in main.
//
// Cayley's own bridge from hidalgo (in graph/kv's init) cannot pick this
// backend up, because it runs before any code of this package does; hence
// the explicit Cayley registration.
func Register() {
	registerOnce.Do(func() {
		// flat.Register also registers "flat."+Name with hidalgo's
		// hierarchical registry, and panics if either name is taken.
		if flat.ByName(Name) == nil && hkv.ByName("flat."+Name) == nil {
			flat.Register(flat.Registration{
				Registration: base.Registration{Name: Name, Title: "Badger v4", Local: true},
				OpenPath:     openPath,
			})
		}
		if !graph.IsRegistered(Name) {
			cayleykv.Register(Name, cayleykv.Registration{
				InitFunc:     openCayley,
				NewFunc:      newCayley,
				IsPersistent: true,
			})
		}
	})
}

// openPath opens a store in path with default options, for hidalgo.
func openPath(path string) (flat.KV, error) {
	return Open(Options{Dir: path})
}

// openCayley opens a store for Cayley's kv quad store.
func openCayley(path string, opts graph.Options) (hkv.KV, error) {
	if path == "" {
		return nil, cayleykv.ErrEmptyPath
	}
	noSync, err := opts.BoolKey(optNoSync, false)
	if err != nil {
		return nil, err
	}
	db, err := Open(Options{Dir: path, NoSync: noSync})
	if err != nil {
		return nil, err
	}
	return flat.Upgrade(db), nil
}

// newCayley opens an initialized store for graph.NewQuadStore.
//
// Cayley does not close the store when creating the quad store fails, which
// for Badger would keep the directory locked for the rest of the process
// (and InitQuadStore would then report it as in use). The most common
// failure, a directory that InitQuadStore never initialized, is therefore
// detected here, from the "meta"/"version" key Cayley writes on Init.
func newCayley(path string, opts graph.Options) (hkv.KV, error) {
	db, err := openCayley(path, opts)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	err = db.View(ctx, func(tx hkv.Tx) error {
		_, err := tx.Get(ctx, hkv.Key{[]byte("meta"), []byte("version")})
		return err
	})
	if err != nil {
		_ = db.Close()
		if errors.Is(err, hkv.ErrNotFound) {
			return nil, graph.ErrNotInitialized
		}
		return nil, err
	}
	return db, nil
}
