package registry

// Baseline and export for bench/import.sh, which compares "credreg import"
// with loading the same statements into a bare cayley quad store and into
// Oxigraph. Both tests are skipped unless their variables are set:
//
//	CREDREG_DUMP_STORE=dir CREDREG_DUMP_OUT=out.nq go test -count=1 -v -run '^TestDumpStoreNQuads$' ./registry/
//	CREDREG_RAW_NQ=out.nq go test -count=1 -v -run '^TestRawCayleyLoad$' ./registry/

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/cayleygraph/quad"
	"github.com/cayleygraph/quad/nquads"

	"credreg/internal/synth"
	"credreg/rdf"
	"credreg/registry/internal/legacy"
)

// rawLoadBatch is the number of quads TestRawCayleyLoad commits at a time.
// cayley's quad writer otherwise commits every 200,000 quads
// (quad.DefaultBatch*20), which is over Badger's transaction limit.
const rawLoadBatch = 10_000

// TestRawCayleyLoad loads the N-Quads file $CREDREG_RAW_NQ into a fresh
// cayley kv quad store over badgerkv, opened as credreg opened its store
// before its own quad store (registry/internal/legacy: credreg's three
// indexes, no bloom filters, sync writes on), through cayley's own batch writer, 10,000 quads per commit.
// The time covers reading and parsing the file, the writes and closing the
// store. Skipped unless CREDREG_RAW_NQ is set.
func TestRawCayleyLoad(t *testing.T) {
	path := os.Getenv("CREDREG_RAW_NQ")
	if path == "" {
		t.Skip("set CREDREG_RAW_NQ=file.nq to time a raw cayley load of it")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	start := time.Now()
	old, err := legacy.Open(t.TempDir(), true, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	qs := old.QS
	r := nquads.NewReader(bufio.NewReaderSize(f, 1<<20), false)
	buf := make([]quad.Quad, 0, rawLoadBatch)
	n := 0
	flush := func() {
		if len(buf) == 0 {
			return
		}
		w, err := qs.NewQuadWriter()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.WriteQuads(buf); err != nil {
			_ = w.Close()
			t.Fatalf("write quads %d..%d: %v", n-len(buf)+1, n, err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("commit quads %d..%d: %v", n-len(buf)+1, n, err)
		}
		buf = buf[:0]
	}
	for {
		q, err := r.ReadQuad()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: quad %d: %v", path, n+1, err)
		}
		buf = append(buf, q)
		n++
		if len(buf) == rawLoadBatch {
			flush()
		}
	}
	flush()
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	sec := time.Since(start).Seconds()
	fmt.Printf("raw-cayley: quads=%d seconds=%.2f quads/s=%.0f\n", n, sec, float64(n)/sec)
}

// TestDumpStoreNQuads writes the statements of every record of the store
// in directory $CREDREG_DUMP_STORE, each with its record's graph label, as
// N-Quads to $CREDREG_DUMP_OUT, in the order they were written. The
// store's bookkeeping (the records and change-log graphs) is left out
// unless CREDREG_DUMP_BOOKKEEPING is set. Skipped unless both paths are
// set.
func TestDumpStoreNQuads(t *testing.T) {
	dir, out := os.Getenv("CREDREG_DUMP_STORE"), os.Getenv("CREDREG_DUMP_OUT")
	if dir == "" || out == "" {
		t.Skip("set CREDREG_DUMP_STORE=dir and CREDREG_DUMP_OUT=file.nq to export a store as N-Quads")
	}
	withBookkeeping := os.Getenv("CREDREG_DUMP_BOOKKEEPING") != ""
	ctx := context.Background()
	s, err := Open(ctx, "badger://"+dir, Options{Base: synth.Base(t), AdoptStoredBase: true, DocumentCache: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var content, bookkeeping int
	graphs := map[string]bool{}
	err = s.scanAllQuads(ctx, func(q quad.Quad) error {
		g := string(rdf.IRIOf(q.Label))
		if g == graphRecords || g == graphChanges {
			bookkeeping++
			if !withBookkeeping {
				return nil
			}
		} else {
			content++
			graphs[g] = true
		}
		_, err := w.WriteString(rdf.NQuadLine(q.Subject, q.Predicate, q.Object, q.Label))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	written := content
	if withBookkeeping {
		written += bookkeeping
	}
	fmt.Printf("store-dump: records=%d content-quads=%d bookkeeping-quads=%d written=%d file=%s\n",
		len(graphs), content, bookkeeping, written, out)
}
