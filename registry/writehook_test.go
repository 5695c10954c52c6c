package registry

import (
	"context"
	"errors"
	"testing"
)

// TestListenersAndClosers: a listener subscribed to an open store hears
// every later write with its sequence; HoldWrites sees the head; a write
// made by RemoveUnheard is logged but not heard; OnClose functions run
// once, while the store still reads.
func TestListenersAndClosers(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	recs := sampleRecords(t)
	if _, err := s.Put(ctx, "a", recs[0]); err != nil {
		t.Fatal(err)
	}
	var heard []string
	var seqs []uint64
	s.Subscribe(func(seq uint64, rs []Record) {
		seqs = append(seqs, seq)
		for _, r := range rs {
			heard = append(heard, r.IRI)
		}
	})
	if _, err := s.PutBatch(ctx, "a", recs[1:]); err != nil {
		t.Fatal(err)
	}
	if len(heard) != len(recs)-1 || len(seqs) != 1 || seqs[0] != s.Sequence() {
		t.Fatalf("heard %v at %v; want the batch's %d records at %d", heard, seqs, len(recs)-1, s.Sequence())
	}
	if err := s.HoldWrites(func(head uint64) error {
		if head != uint64(len(recs)) {
			t.Errorf("head %d under HoldWrites, want %d", head, len(recs))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	c, err := s.RemoveUnheard(ctx, "another server", recs[0].IRI)
	if err != nil {
		t.Fatal(err)
	}
	if len(heard) != len(recs)-1 || s.Sequence() != c.Seq {
		t.Errorf("after RemoveUnheard: heard %v, head %d; want nothing more heard, head %d", heard, s.Sequence(), c.Seq)
	}
	if logged, err := s.ChangeAt(ctx, c.Seq); err != nil || logged.IRI != recs[0].IRI || logged.Action != "delete" {
		t.Errorf("change %d = %+v, %v; want the removal", c.Seq, logged, err)
	}
	if quads, err := s.Statements(ctx, recs[0].IRI); err != nil || len(quads) != 0 {
		t.Errorf("statements of the removed record: %d, %v", len(quads), err)
	}
	if _, err := s.Get(ctx, recs[0].IRI); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get of the removed record: %v", err)
	}

	calls := 0
	s.OnClose(func() {
		calls++
		if _, err := s.Get(ctx, recs[1].IRI); err != nil {
			t.Errorf("the store does not read in OnClose: %v", err)
		}
	})
	for range 2 {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Errorf("OnClose function called %d times, want 1", calls)
	}
}
