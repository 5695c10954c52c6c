package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/schema"
)

// sharedBackend lets several Stores use one backend, as several servers
// use one database: closing a Store does not close it.
type sharedBackend struct{ Backend }

func (sharedBackend) Close() error { return nil }

// openSharedStores opens n Stores over one backend, each believing other
// processes write it too (not exclusive), following every 20ms or, with
// an every argument, as often as it says.
func openSharedStores(t *testing.T, be Backend, n int, every ...time.Duration) []*Store {
	follow := 20 * time.Millisecond
	if len(every) > 0 {
		follow = every[0]
	}
	t.Helper()
	stores := make([]*Store, n)
	for i := range stores {
		s := &Store{base: testBaseIRI(t), url: fmt.Sprintf("shared #%d", i), log: slog.New(slog.DiscardHandler), be: sharedBackend{be}, sync: be.Sync}
		s, err := s.start(context.Background(), Options{Base: testBaseIRI(t), FollowEvery: follow})
		if err != nil {
			t.Fatalf("open shared store %d: %v", i, err)
		}
		t.Cleanup(func() { _ = s.Close() })
		stores[i] = s
	}
	return stores
}

func badgerForSharing(t *testing.T) Backend {
	be, err := openBadgerBackend(t.TempDir(), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	return be
}

func TestSeveralStoresOnOneBackend(t *testing.T) {
	testSeveralWriters(t, badgerForSharing)
}

// testSeveralWriters is what several servers over one database must keep
// (run on every backend that other processes may write).
func testSeveralWriters(t *testing.T, newBackend func(t *testing.T) Backend) {
	t.Run("WriteSeenByTheOther", func(t *testing.T) {
		ctx := context.Background()
		st := openSharedStores(t, newBackend(t), 2)
		a, b := st[0], st[1]
		heard := []func() heardRecords{listen(a), listen(b)}
		recs := sampleRecords(t)
		if _, err := a.PutBatch(ctx, "a", recs); err != nil {
			t.Fatal(err)
		}
		// b follows on its own, within a second.
		deadline := time.Now().Add(time.Second)
		for b.Sequence() != a.Sequence() {
			if time.Now().After(deadline) {
				t.Fatalf("b's head is %d a second after a wrote %d", b.Sequence(), a.Sequence())
			}
			time.Sleep(5 * time.Millisecond)
		}
		stored, err := a.Get(ctx, recs[0].IRI)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range st {
			if got := heard[i](); len(got.credentials) != 1 || got.names[recs[0].IRI] == "" {
				t.Errorf("%s's listener heard of credentials %v, want the one a wrote", s.url, got.credentials)
			}
			d, err := s.Document(ctx, recs[0].IRI)
			if err != nil {
				t.Fatalf("%s: %v", s.url, err)
			}
			if d.Hash != stored.Hash {
				t.Errorf("%s renders %s, want %s", s.url, d.Hash, stored.Hash)
			}
		}
		// b replaces what a wrote (its picture is current); a sees it.
		renamed := renamedRecord(t, recs[0], "Network Security Certification II")
		if _, err := b.Put(ctx, "b", renamed); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Follow(ctx); err != nil {
			t.Fatal(err)
		}
		got, err := a.Get(ctx, recs[0].IRI)
		if err != nil || nameOfRecord(got) != "Network Security Certification II" {
			t.Fatalf("a reads %v, %v after b's replace; want b's new name", got, err)
		}
		if d, err := a.Document(ctx, recs[0].IRI); err != nil || d.Hash != got.Hash {
			t.Errorf("a renders %v, %v after b's replace; want %s", d, err, got.Hash)
		}
		if got := heard[0](); got.names[recs[0].IRI] != "Network Security Certification II" {
			t.Errorf("a's listener heard of %q, not of b's new name", got.names[recs[0].IRI])
		}
	})

	t.Run("StaleWriterRetries", func(t *testing.T) {
		ctx := context.Background()
		be := newBackend(t)
		st := openSharedStores(t, be, 2, time.Hour) // b follows only when it must
		a, b := st[0], st[1]
		heardB := listen(b)
		recs := sampleRecords(t)
		if _, err := a.PutBatch(ctx, "a", recs); err != nil {
			t.Fatal(err)
		}
		// b writes before it has followed a's write: its first attempt
		// is computed from a stale head and must be made again, not lost
		// and not numbered twice.
		if b.Sequence() != 0 {
			t.Fatalf("b followed a's write on its own (head %d)", b.Sequence())
		}
		renamed := renamedRecord(t, recs[0], "Renamed by b")
		c, err := b.Put(ctx, "b", renamed)
		if err != nil {
			t.Fatal(err)
		}
		if want := uint64(len(recs)) + 1; c.Seq != want {
			t.Errorf("b's write got change %d, want %d (after a's)", c.Seq, want)
		}
		if _, err := a.Follow(ctx); err != nil {
			t.Fatal(err)
		}
		if r, err := a.Get(ctx, recs[0].IRI); err != nil || nameOfRecord(r) != "Renamed by b" {
			t.Errorf("a reads %v, %v; want b's write", r, err)
		}
		// b's listener learnt of a's designation and organization on the
		// way.
		if got := heardB(); len(got.names) != len(recs) || got.names[recs[0].IRI] != "Renamed by b" {
			t.Errorf("b's listener heard of %v; want a's %d records and b's write", got.names, len(recs))
		}
		// A retirement from a stale picture is made again too.
		if _, err := a.Put(ctx, "a", renamedRecord(t, recs[0], "Renamed by a")); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Retire(ctx, "b", recs[0].IRI, "withdrawn", time.Now()); err != nil {
			t.Fatal(err)
		}
		r, err := a.Get(ctx, recs[0].IRI)
		if err != nil || !r.Retired() || nameOfRecord(r) != "Renamed by a" {
			t.Errorf("after b's retirement a reads %q retired=%v (%v); want a's last name, retired", nameOfRecord(r), r != nil && r.Retired(), err)
		}
		assertLogContiguous(t, a)
	})

	t.Run("ConcurrentWritersLoseNothing", func(t *testing.T) {
		ctx := context.Background()
		st := openSharedStores(t, newBackend(t), 2)
		heard := []func() heardRecords{listen(st[0]), listen(st[1])}
		recs := sampleRecords(t)
		if _, err := st[0].PutBatch(ctx, "setup", recs); err != nil {
			t.Fatal(err)
		}
		const writersPerStore, writesEach = 4, 15
		var (
			wg      sync.WaitGroup
			written atomic.Int64
			mu      sync.Mutex
			seqs    = map[uint64]string{}
			errs    []error
		)
		for si, s := range st {
			for w := range writersPerStore {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range writesEach {
						// Each writer its own credential, and all of them the
						// shared one (whole replacements that race).
						own := renamedRecord(t, recs[0], fmt.Sprintf("writer %d.%d write %d", si, w, i))
						own = withCTID(t, own, writerCTID(si, w))
						shared := renamedRecord(t, recs[0], fmt.Sprintf("shared by %d.%d at %d", si, w, i))
						for _, rec := range []Record{own, shared} {
							c, err := s.Put(ctx, fmt.Sprintf("writer %d.%d", si, w), rec)
							mu.Lock()
							if err != nil {
								errs = append(errs, err)
							} else if c.Seq != 0 {
								if prev, dup := seqs[c.Seq]; dup {
									errs = append(errs, fmt.Errorf("change %d acknowledged twice: %s and %s", c.Seq, prev, rec.IRI))
								}
								seqs[c.Seq] = rec.IRI
								written.Add(1)
							}
							mu.Unlock()
						}
					}
				}()
			}
		}
		wg.Wait()
		for _, err := range errs {
			t.Error(err)
		}
		for _, s := range st {
			if _, err := s.Follow(ctx); err != nil {
				t.Fatal(err)
			}
		}
		head := st[0].Sequence()
		if st[1].Sequence() != head {
			t.Fatalf("heads differ: %d and %d", head, st[1].Sequence())
		}
		if want := uint64(len(recs)) + uint64(written.Load()); head != want {
			t.Errorf("log head %d, want %d (setup %d + acknowledged %d)", head, want, len(recs), written.Load())
		}
		assertLogContiguous(t, st[0])
		// Every writer's own credential holds its last write, whole.
		for si := range st {
			for w := range writersPerStore {
				iri := testBaseIRI(t).Resource(writerCTID(si, w))
				r, err := st[1-si].Get(ctx, iri)
				if err != nil {
					t.Fatal(err)
				}
				if want := fmt.Sprintf("writer %d.%d write %d", si, w, writesEach-1); nameOfRecord(r) != want {
					t.Errorf("%s holds %q, want %q", iri, nameOfRecord(r), want)
				}
			}
		}
		// The shared credential holds one writer's whole record, the same
		// that both stores' listeners heard of last.
		r, err := st[0].Get(ctx, recs[0].IRI)
		if err != nil {
			t.Fatal(err)
		}
		if _, h := rdf.Canonicalize(r.Quads); h != r.Hash {
			t.Errorf("shared record's content hash %s does not match its statements (%s): a mix of writes", r.Hash, h)
		}
		var totals []int
		for i := range st {
			got := heard[i]()
			totals = append(totals, len(got.credentials))
			if got.names[recs[0].IRI] != nameOfRecord(r) {
				t.Errorf("store %d's listener heard last of %q, the store holds %q", i, got.names[recs[0].IRI], nameOfRecord(r))
			}
		}
		if want := 1 + 2*writersPerStore; totals[0] != want || totals[1] != want {
			t.Errorf("listeners heard of %v credentials, want %d in both", totals, want)
		}
	})
}

// heardRecords is what a listener was told of: the name of every record
// (from its last write; "" for a record with no name) and the
// credentials among them.
type heardRecords struct {
	names       map[string]string
	credentials map[string]bool
}

// listen subscribes a listener to s and returns what it has heard so far.
func listen(s *Store) func() heardRecords {
	var mu sync.Mutex
	h := heardRecords{names: map[string]string{}, credentials: map[string]bool{}}
	s.Subscribe(func(_ uint64, recs []Record) {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range recs {
			delete(h.credentials, r.IRI)
			if len(r.Quads) == 0 {
				delete(h.names, r.IRI)
				continue
			}
			h.names[r.IRI] = nameOfRecord(&r)
			for _, q := range r.Quads {
				if q.Subject == quad.IRI(r.IRI) && q.Predicate == quad.IRI(schema.RDFType) && schema.IsCredentialType(string(rdf.IRIOf(q.Object))) {
					h.credentials[r.IRI] = true
				}
			}
		}
	})
	return func() heardRecords {
		mu.Lock()
		defer mu.Unlock()
		return heardRecords{names: maps.Clone(h.names), credentials: maps.Clone(h.credentials)}
	}
}

func assertLogContiguous(t *testing.T, s *Store) {
	t.Helper()
	head := s.Sequence()
	changes, err := s.Changes(context.Background(), 0, int(head)+1)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(changes)) != head {
		t.Fatalf("log holds %d entries, head %d", len(changes), head)
	}
	for i, c := range changes {
		if c.Seq != uint64(i+1) {
			t.Fatalf("entry %d has sequence %d", i+1, c.Seq)
		}
	}
}

func nameOfRecord(r *Record) string {
	for _, q := range r.Quads {
		if q.Subject == quad.IRI(r.IRI) && q.Predicate == quad.IRI(schema.Name) {
			return rdf.Lexical(q.Object)
		}
	}
	return ""
}

// renamedRecord is rec with another name.
func renamedRecord(t *testing.T, rec Record, name string) Record {
	t.Helper()
	var quads []quad.Quad
	for _, q := range rec.Quads {
		if q.Subject == quad.IRI(rec.IRI) && q.Predicate == quad.IRI(schema.Name) {
			q.Object = quad.String(name)
		}
		quads = append(quads, q)
	}
	q, h := rdf.Canonicalize(quads)
	return Record{IRI: rec.IRI, Quads: q, Hash: h}
}

func writerCTID(store, writer int) string {
	return fmt.Sprintf("ce-%08d-1111-4111-8111-111111111111", store*100+writer)
}

// withCTID is rec moved to the IRI of another CTID.
func withCTID(t *testing.T, rec Record, ctid string) Record {
	t.Helper()
	iri := testBaseIRI(t).Resource(ctid)
	var quads []quad.Quad
	for _, q := range rec.Quads {
		if q.Subject == quad.IRI(rec.IRI) {
			q.Subject = quad.IRI(iri)
		}
		if q.Predicate == quad.IRI(schema.CTID) {
			q.Object = quad.String(ctid)
		}
		quads = append(quads, q)
	}
	q, h := rdf.Canonicalize(quads)
	return Record{IRI: iri, Quads: q, Hash: h}
}

// TestFollowNoticesALogThatWentBack: a server whose head is past the
// shared log's (the database was restored from an older backup) is told
// so, and writes nothing.
func TestFollowNoticesALogThatWentBack(t *testing.T) {
	ctx := context.Background()
	be := badgerForSharing(t)
	st := openSharedStores(t, be, 2, time.Hour)
	a, b := st[0], st[1]
	recs := sampleRecords(t)
	if _, err := a.PutBatch(ctx, "a", recs); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Follow(ctx); err != nil || b.Sequence() != a.Sequence() {
		t.Fatalf("b follows: %v, head %d", err, b.Sequence())
	}
	// The last entry goes, as in a restore of a backup taken before it.
	last := changeNode(a.Sequence())
	entry := scanAll(t, be, Pattern{Subject: last})
	if err := be.Apply(ctx, entry, nil); err != nil {
		t.Fatal(err)
	}
	_, err := b.Follow(ctx)
	if err == nil || !strings.Contains(err.Error(), "restored from an older backup") {
		t.Fatalf("follow after the log went back: %v", err)
	}
	if _, err := b.Put(ctx, "b", renamedRecord(t, recs[0], "After the restore")); err == nil {
		t.Errorf("a write on a server whose head is past the log succeeded")
	}
}

// alwaysConflicting is a real backend whose Apply always answers
// ErrConflict, as a database other writers never stop changing would.
type alwaysConflicting struct {
	Backend
	applies atomic.Int64
}

func (b *alwaysConflicting) Apply(context.Context, []quad.Quad, []quad.Quad) error {
	b.applies.Add(1)
	return fmt.Errorf("injected: %w", ErrConflict)
}

// TestConflictRetriesAreBounded: a write to a shared store that keeps
// meeting conflicts is computed again maxConflictRetries times, then
// fails with an error that wraps ErrConflict and says how often it tried,
// and the store's head has not moved.
func TestConflictRetriesAreBounded(t *testing.T) {
	s := openStore(t, t.TempDir())
	head := s.Sequence()
	be := &alwaysConflicting{Backend: s.be}
	s.be, s.exclusive = be, false
	_, err := s.Put(context.Background(), "tester", sampleRecords(t)[0])
	if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), fmt.Sprintf("tried %d times", maxConflictRetries+1)) {
		t.Fatalf("Put = %v, want ErrConflict after %d tries", err, maxConflictRetries+1)
	}
	if n := be.applies.Load(); n != maxConflictRetries+1 {
		t.Errorf("%d applies, want %d", n, maxConflictRetries+1)
	}
	if s.Sequence() != head {
		t.Errorf("the head moved from %d to %d", head, s.Sequence())
	}
}
