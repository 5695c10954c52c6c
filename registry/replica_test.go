package registry

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cayleygraph/quad"
)

// laggingPrimary is a backend whose commits reach a second backend (the
// "replica") only after lag, in order, as a hot standby replays them.
type laggingPrimary struct {
	Backend
	replica Backend
	lag     time.Duration
	mu      sync.Mutex
	queue   chan func()
}

func newLaggingPair(t *testing.T, lag time.Duration) (primary *laggingPrimary, replica Backend) {
	p, err := openBadgerBackend(t.TempDir(), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	r, err := openBadgerBackend(t.TempDir(), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	lp := &laggingPrimary{Backend: p, replica: r, lag: lag, queue: make(chan func(), 1024)}
	go func() {
		for f := range lp.queue {
			f()
		}
	}()
	t.Cleanup(func() { close(lp.queue) })
	return lp, r
}

func (l *laggingPrimary) Apply(ctx context.Context, remove, add []quad.Quad) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.Backend.Apply(ctx, remove, add); err != nil {
		return err
	}
	due := time.Now().Add(l.lag)
	l.queue <- func() {
		time.Sleep(time.Until(due))
		if err := l.replica.Apply(context.Background(), remove, add); err != nil {
			panic("replica replay: " + err.Error())
		}
	}
	return nil
}

func TestReadReplicaReadsYourWrites(t *testing.T) {
	ctx := context.Background()
	primary, replica := newLaggingPair(t, 30*time.Millisecond)
	s := &Store{base: testBaseIRI(t), url: "replicated", log: slog.New(slog.DiscardHandler), be: primary, sync: primary.Sync}
	if err := s.useReadReplica(replica, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	s, err := s.start(ctx, Options{Base: testBaseIRI(t), FollowEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	recs := sampleRecords(t)
	for i := range 5 {
		rec := renamedRecord(t, recs[0], "Version "+string(rune('A'+i)))
		start := time.Now()
		if _, err := s.Put(ctx, "a", rec); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		if waited := time.Since(start); waited < 30*time.Millisecond {
			t.Errorf("write %d acknowledged after %v, before the replica could replay it", i, waited)
		}
		// Read at once, from the replica: the write is there.
		got, err := s.Get(ctx, rec.IRI)
		if err != nil || nameOfRecord(got) != nameOfRecord(&rec) {
			t.Fatalf("read after write %d: %v, %v; want %q", i, got, err, nameOfRecord(&rec))
		}
		d, err := s.Document(ctx, rec.IRI)
		if err != nil || d.Hash != got.Hash {
			t.Fatalf("document after write %d: %v, %v", i, d, err)
		}
	}
	// The replica holds what the primary holds.
	sameKeys(t, "replica after the writes", scanAll(t, replica, Pattern{}), scanAll(t, primary.Backend, Pattern{}))
}

func TestWritesReadThePrimary(t *testing.T) {
	// A replica that never replays: writes still compute from the primary
	// (or a replace would remove statements the primary does not hold and
	// never succeed), and are acknowledged after ReplicaWait.
	ctx := context.Background()
	primary, replica := newLaggingPair(t, time.Hour)
	s := &Store{base: testBaseIRI(t), url: "replicated", log: slog.New(slog.DiscardHandler), be: primary, sync: primary.Sync}
	if err := s.useReadReplica(replica, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	s, err := s.start(ctx, Options{Base: testBaseIRI(t), FollowEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	recs := sampleRecords(t)
	if _, err := s.PutBatch(ctx, "a", recs); err != nil {
		t.Fatal(err)
	}
	c, err := s.Put(ctx, "a", renamedRecord(t, recs[0], "Second name"))
	if err != nil {
		t.Fatalf("replace with a stale replica: %v", err)
	}
	if c.Seq != uint64(len(recs))+1 {
		t.Errorf("replace logged as change %d, want %d", c.Seq, len(recs)+1)
	}
	if _, err := s.Retire(ctx, "a", recs[0].IRI, "withdrawn", time.Now()); err != nil {
		t.Fatalf("retire with a stale replica: %v", err)
	}
	r, err := s.getLocked(onPrimary(ctx), recs[0].IRI)
	if err != nil || !r.Retired() || nameOfRecord(&r.Record) != "Second name" {
		t.Errorf("primary holds %v, %v; want the second name, retired", r, err)
	}
}
