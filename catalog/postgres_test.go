package catalog

import (
	"context"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/internal/pgtest"
	"credreg/registry"
	"credreg/schema"
)

// TestPostgresCatalog runs catalog tests written for Badger on a store
// opened by a postgres:// URL (openStore's testStoreURL; a database per
// store directory, so a test that reopens its store reopens its
// database).
func TestPostgresCatalog(t *testing.T) {
	pgtest.NewDatabase(t) // skips (fails under CI) without a PostgreSQL
	saved := testStoreURL
	testStoreURL = pgtest.DatabasePerDir()
	t.Cleanup(func() { testStoreURL = saved })
	for _, tc := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"ListFilters", TestListFilters},
		{"ListPaging", TestListPaging},
		{"ListPagingDuringWrites", TestListPagingDuringWrites},
		{"ListIndexBuiltFromStore", TestListIndexBuiltFromStore},
		{"DesignationsSideBySide", TestDesignationsSideBySide},
	} {
		t.Run(tc.name, tc.run)
	}
}

// TestListFollowsOtherServers: two servers over one PostgreSQL database,
// each with its catalog. The list index of each is current with the
// other's writes, which its store follows from the shared change log: on
// its own (the follow loop) and when asked (Follow).
func TestListFollowsOtherServers(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	ctx := context.Background()
	a := openURL(t, dsn, Options{})
	b := openURL(t, dsn, Options{})
	for _, s := range []*testStore{a, b} {
		if err := s.WarmList(ctx); err != nil {
			t.Fatal(err)
		}
	}
	fillListStore(t, a)
	// b follows on its own, within a few seconds.
	deadline := time.Now().Add(5 * time.Second)
	for b.Sequence() != a.Sequence() {
		if time.Now().After(deadline) {
			t.Fatalf("b's head is %d seconds after a wrote %d", b.Sequence(), a.Sequence())
		}
		time.Sleep(5 * time.Millisecond)
	}
	for name, s := range map[string]*testStore{"a": a, "b": b} {
		page, err := s.List(ctx, ListQuery{Active: ActiveAny})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 6 {
			t.Errorf("%s lists %v, want the 6 credentials a wrote", name, listed(page))
		}
		if st := s.ListStatus(); !st.Ready || st.Designations == 0 {
			t.Errorf("%s's list index: %+v", name, st)
		}
	}
	// b renames a credential; a sees it once it follows.
	rec, err := b.Get(ctx, res(b, lc4))
	if err != nil {
		t.Fatal(err)
	}
	var quads []quad.Quad
	for _, q := range rec.Quads {
		if q.Subject == quad.IRI(rec.IRI) && q.Predicate == quad.IRI(schema.Name) {
			q.Object = quad.String("Omega Renamed Badge")
		}
		quads = append(quads, q)
	}
	if _, err := b.Put(ctx, "b", registry.Record{IRI: rec.IRI, Quads: quads}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Follow(ctx); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*testStore{"a": a, "b": b} {
		page, err := s.List(ctx, ListQuery{Active: ActiveAny, Text: "omega renamed"})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].Credential.IRI != rec.IRI {
			t.Errorf("%s's list does not find b's new name: %v", name, listed(page))
		}
	}
	// Nothing is left to catch up: the writes reached both indexes.
	for name, s := range map[string]*testStore{"a": a, "b": b} {
		if n, err := s.CatchUpList(ctx); err != nil || n != 0 {
			t.Errorf("%s caught up %d records (%v) after following; want 0", name, n, err)
		}
	}
}
