// Package legacy reads (and, for tests and baselines, writes) stores in
// the layout credreg used before its storage port: cayley's generic kv
// quad store (graph/kv, data version 2) over hidalgo's flat KV on Badger
// v4 (registry/badgerkv), with the indexes SP, OPS and LS and no bloom
// filters. credreg migrate reads an old store through it; nothing else in
// credreg does.
package legacy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/cayleygraph/cayley/graph"
	cayleykv "github.com/cayleygraph/cayley/graph/kv"
	"github.com/cayleygraph/quad"
	hkv "github.com/hidal-go/hidalgo/kv"
	"github.com/hidal-go/hidalgo/kv/flat"

	"credreg/registry/internal/badgerkv"
)

// MemTableSize is the Badger memtable size the old layout was written with.
const MemTableSize = 64 << 20

// quadIndexes are the indexes of the old stores: cayley's two defaults
// (forward by subject and predicate, reverse by object) and one by graph
// label and subject.
var quadIndexes = []cayleykv.QuadIndex{
	{Dirs: []quad.Direction{quad.Subject, quad.Predicate}},
	{Dirs: []quad.Direction{quad.Object, quad.Predicate, quad.Subject}},
	{Dirs: []quad.Direction{quad.Label, quad.Subject}},
}

// storeOptions are cayley's options for the old stores: no bloom filters.
var storeOptions = graph.Options{cayleykv.OptNoBloom: true}

// Store is an old-layout store, open.
type Store struct {
	DB *badgerkv.DB
	QS graph.QuadStore
}

// ErrNotLegacy is returned by Open for a directory that holds no old-layout
// quad store.
var ErrNotLegacy = errors.New("not a cayley kv store")

// Open opens the old-layout store in dir. With create, an empty directory
// gets a new old-layout store (tests and baselines only); otherwise a
// directory without one is ErrNotLegacy.
func Open(dir string, create bool, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.Default()
	}
	db, err := badgerkv.Open(badgerkv.Options{Dir: dir, Logger: log, MemTableSize: MemTableSize})
	if err != nil {
		return nil, err
	}
	hk := flat.Upgrade(db)
	qs, err := cayleykv.New(hk, storeOptions)
	if errors.Is(err, graph.ErrNotInitialized) {
		if !create {
			_ = db.Close()
			return nil, fmt.Errorf("%s: %w", dir, ErrNotLegacy)
		}
		if err = cayleykv.Init(hk, storeOptions); err == nil {
			if err = setQuadIndexes(hk); err == nil {
				qs, err = cayleykv.New(hk, storeOptions)
			}
		}
	}
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open the cayley kv store in %s: %w", dir, err)
	}
	return &Store{DB: db, QS: qs}, nil
}

// setQuadIndexes records the index list in a freshly initialised store,
// before any quad is written. cayley reads the list from the
// "meta/indexes" key at open (graph/kv readIndexesMeta).
func setQuadIndexes(db hkv.KV) error {
	data, err := json.Marshal(quadIndexes)
	if err != nil {
		return err
	}
	ctx := context.Background()
	return hkv.Update(ctx, db, func(tx hkv.Tx) error {
		for _, ind := range quadIndexes {
			b := make([]byte, len(ind.Dirs))
			for i, d := range ind.Dirs {
				b[i] = d.Prefix()
			}
			if err := hkv.CreateBucket(ctx, tx, hkv.Key{b}); err != nil {
				return fmt.Errorf("create index bucket: %w", err)
			}
		}
		return tx.Put(ctx, hkv.Key{[]byte("meta"), []byte("indexes")}, data)
	})
}

// Close closes the store.
func (s *Store) Close() error {
	err := s.QS.Close()
	return errors.Join(err, s.DB.Close())
}

// Each calls fn with every statement of the store, in batches resolved
// together, from cayley's quad iterator.
func (s *Store) Each(ctx context.Context, fn func(quad.Quad) error) error {
	it := s.QS.QuadsAllIterator().Iterate()
	defer it.Close()
	refs := make([]graph.Ref, 0, 4096)
	flush := func() error {
		for _, r := range refs {
			q, err := s.QS.Quad(r)
			if err != nil {
				return fmt.Errorf("read a statement: %w", err)
			}
			if err := fn(q); err != nil {
				return err
			}
		}
		refs = refs[:0]
		return nil
	}
	for it.Next(ctx) {
		refs = append(refs, it.Result())
		if len(refs) == cap(refs) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("scan the store: %w", err)
	}
	if err := flush(); err != nil {
		return err
	}
	return ctx.Err()
}

// Count returns the number of statements the store's statistics give.
func (s *Store) Count(ctx context.Context) (int64, error) {
	st, err := s.QS.Stats(ctx, true)
	if err != nil {
		return 0, err
	}
	return st.Quads.Value, nil
}
