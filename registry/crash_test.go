package registry

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"credreg/internal/synth"
	"credreg/rdf"
	"credreg/schema"
)

// crashBatch is the records of one batch the crash child writes; with
// about 15 statements each (and the bookkeeping), a batch is a few
// thousand statements, many Badger keys.
const crashBatch = 200

// crashMemTables are the memtables the crash child's store runs with: the
// registry's, where a batch is one transaction, and one where it does not
// fit one and is journalled.
var crashMemTables = []struct {
	name   string
	size   int64
	rounds int
	step   time.Duration // how much later each round kills, into the next batch
}{
	{"one transaction", 0, 3, 7 * time.Millisecond},
	{"journalled", 4 << 20, 3, 25 * time.Millisecond},
}

// TestAcknowledgedBatchesSurviveKill9 runs a child process that writes
// batches of new records and, after each PutBatch returns, prints how many
// records are acknowledged; it is killed with SIGKILL in the middle of a
// later batch. The store must open, hold every acknowledged record whole
// (its statements match its content hash) and no half record, and its
// change log must run without a gap from 1 to its head. With a small
// memtable every batch is journalled; a kill in the middle of one (the
// later rounds) leaves it to the next Open to finish, so the store may
// hold one batch more than was acknowledged, whole.
func TestAcknowledgedBatchesSurviveKill9(t *testing.T) {
	if dir := os.Getenv("CREDREG_CRASH_CHILD"); dir != "" {
		crashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("writes batches until killed")
	}
	for _, mt := range crashMemTables {
		for round := range mt.rounds {
			t.Run(fmt.Sprintf("%s/%d", mt.name, round), func(t *testing.T) { testKill9(t, mt.size, round, mt.step) })
		}
	}
}

func testKill9(t *testing.T, memTable int64, round int, step time.Duration) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestAcknowledgedBatchesSurviveKill9$", "-test.count=1")
	cmd.Env = append(os.Environ(), "CREDREG_CRASH_CHILD="+dir, "CREDREG_CRASH_MEMTABLE="+strconv.FormatInt(memTable, 10))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill after a few batches (more in later rounds), as soon as
	// the next one has begun.
	killAt := 3 + 4*round
	acked := 0
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if n, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
			acked, _ = strconv.Atoi(n)
			if acked >= killAt*crashBatch {
				time.Sleep(time.Duration(round) * step) // into the next batch
				_ = cmd.Process.Signal(syscall.SIGKILL)
				break
			}
		}
	}
	_ = cmd.Wait()
	if acked < killAt*crashBatch {
		t.Fatalf("the child stopped after %d records, before it could be killed", acked)
	}
	ctx := context.Background()
	s, err := Open(ctx, "badger://"+dir, Options{Base: synth.Base(t), AdoptStoredBase: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("open after kill -9: %v", err)
	}
	defer s.Close()
	head := s.Sequence()
	if head < uint64(acked) {
		t.Fatalf("change log head %d after kill -9, but %d records were acknowledged", head, acked)
	}
	if head%crashBatch != 0 {
		t.Errorf("change log head %d: a batch of %d was written in part", head, crashBatch)
	}
	changes, err := s.Changes(ctx, 0, int(head))
	if err != nil || uint64(len(changes)) != head {
		t.Fatalf("change log: %d entries to head %d (%v)", len(changes), head, err)
	}
	for i, c := range changes {
		if c.Seq != uint64(i+1) {
			t.Fatalf("change %d has sequence %d", i+1, c.Seq)
		}
	}
	for i := range int(head) {
		rec := synthCredential(synth.Base(t), i)
		got, err := s.Get(ctx, rec.IRI)
		if err != nil {
			t.Fatalf("record %d (acknowledged: %v): %v", i, i < acked, err)
		}
		if rdf.ContentHash(got.Quads) != got.Hash || len(got.Quads) != len(rec.Quads) {
			t.Fatalf("record %d is not whole: %d statements (want %d), hash %s recorded %s", i, len(got.Quads), len(rec.Quads), rdf.ContentHash(got.Quads), got.Hash)
		}
	}
	if _, err := s.Get(ctx, synthCredential(synth.Base(t), int(head)).IRI); !errors.Is(err, ErrNotFound) {
		t.Errorf("a record past the change log's head: %v", err)
	}
	t.Logf("killed after %d acknowledged records; the store holds %d", acked, head)
}

// crashChild writes batches of new records into the store in dir until it
// is killed, printing "acked N" after each batch is acknowledged.
func crashChild(dir string) {
	ctx := context.Background()
	base, _ := benchBaseOK()
	if n, _ := strconv.ParseInt(os.Getenv("CREDREG_CRASH_MEMTABLE"), 10, 64); n > 0 {
		testMemTable = n
	}
	s, err := Open(ctx, "badger://"+dir, Options{Base: base, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(2)
	}
	for n := 0; ; n += crashBatch {
		recs := make([]Record, crashBatch)
		for i := range recs {
			recs[i] = synthCredential(base, n+i)
		}
		if _, err := s.PutBatch(ctx, "crash", recs); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(2)
		}
		fmt.Printf("acked %d\n", n+crashBatch)
	}
}

func benchBaseOK() (schema.Base, error) { return schema.NewBase("https://registry.example.gov") }

// TestOpenAfterKillWhileCreatingAMemtable opens a store holding the empty
// memtable log a process killed between creating and sizing it leaves (as
// TestAcknowledgedBatchesSurviveKill9 did once, in CI): the store opens
// and holds every record it had.
func TestOpenAfterKillWhileCreatingAMemtable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	opts := Options{Base: synth.Base(t), Logger: slog.New(slog.DiscardHandler)}
	s, err := Open(ctx, "badger://"+dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]Record, 20)
	for i := range recs {
		recs[i] = synthCredential(synth.Base(t), i)
	}
	if _, err := s.PutBatch(ctx, "crash", recs); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/99999.mem", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, "badger://"+dir, opts)
	if err != nil {
		t.Fatalf("open with an empty memtable log: %v", err)
	}
	defer s.Close()
	for i, rec := range recs {
		got, err := s.Get(ctx, rec.IRI)
		if err != nil || got.Hash != rdf.ContentHash(rec.Quads) {
			t.Fatalf("record %d after the reopen: %v", i, err)
		}
	}
}
