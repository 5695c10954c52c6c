package ingest

// The import benchmark and the synthetic sheet that bench/import.sh feeds
// to "credreg import". Neither runs in a plain "go test ./ingest/":
//
//	go test -run '^$' -bench BenchmarkImportCSV -benchtime 20000x ./ingest/
//	CREDREG_SYNTH_CSV=/tmp/sheet.csv CREDREG_SYNTH_ROWS=100000 \
//		go test -count=1 -run '^TestWriteSyntheticCSV$' ./ingest/

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"credreg/catalog/catalogtest"
	"credreg/ingest/ingesttest"
	"credreg/registry"
)

// synthBadEvery makes 1% of the synthetic rows bad.
const synthBadEvery = 100

// synthOptions are the options of the synthetic sheets: 1% bad rows, and
// CREDREG_SYNTH_OWNERS owning organizations (default: ingesttest's 200).
func synthOptions(tb testing.TB) ingesttest.Options {
	o := ingesttest.Options{BadEvery: synthBadEvery}
	if v := os.Getenv("CREDREG_SYNTH_OWNERS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			tb.Fatalf("CREDREG_SYNTH_OWNERS=%q: want a positive number", v)
		}
		o.Owners = n
	}
	return o
}

// TestWriteSyntheticCSV writes CREDREG_SYNTH_ROWS (default 100000)
// synthetic rows, 1% of them bad, to $CREDREG_SYNTH_CSV. Skipped unless
// that variable is set. CREDREG_SYNTH_OWNERS sets the number of owners.
func TestWriteSyntheticCSV(t *testing.T) {
	path := os.Getenv("CREDREG_SYNTH_CSV")
	if path == "" {
		t.Skip("set CREDREG_SYNTH_CSV=path (and CREDREG_SYNTH_ROWS=n) to write a synthetic sheet")
	}
	n := 100_000
	if v := os.Getenv("CREDREG_SYNTH_ROWS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("CREDREG_SYNTH_ROWS=%q: want a positive number", v)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	o := synthOptions(t)
	if err := ingesttest.WriteCSV(w, n, o); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	owners := o.Owners
	if owners == 0 {
		owners = 200 // ingesttest's default
	}
	fmt.Printf("synthetic-csv: rows=%d bad=%d owners=%d bytes=%d file=%s\n", n, n/synthBadEvery, owners, fi.Size(), path)
}

// BenchmarkImportCSV imports b.N synthetic rows (one op = one row; 1% bad)
// through CSV and Run into a fresh Badger store holding the fixtures, with
// sync writes on as "credreg import" has them. Building the sheet, opening
// the store and loading the fixtures are not timed. It reports rows/s,
// statements/s (the content statements written, as Report.Statements counts
// them) and all-statements/s (with the store's bookkeeping).
func BenchmarkImportCSV(b *testing.B) {
	var buf bytes.Buffer
	if err := ingesttest.WriteCSV(&buf, b.N, synthOptions(b)); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	ctx := context.Background()
	s := newStore(b)
	res, err := NewResolver(ctx, catalogtest.Of(b, s))
	if err != nil {
		b.Fatal(err)
	}
	src, err := CSV("bench.csv", bytes.NewReader(data), int64(len(data)), SheetOptions{
		Agency:   "Heartland Workforce Commission",
		Resolver: res,
		Today:    time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	rep, err := Run(ctx, s, src, "csv", Options{Actor: "Heartland Workforce Commission", Logger: slog.New(slog.DiscardHandler)})
	b.StopTimer()
	if err != nil {
		b.Fatalf("Run: %v", err)
	}
	if rep.Units != b.N {
		b.Fatalf("read %d rows, want %d", rep.Units, b.N)
	}
	if want := b.N / synthBadEvery; rep.Failed != want {
		// Measured anyway, but the rate is not that of a clean 1%-bad sheet.
		msg := ""
		for _, p := range rep.Problems {
			if !strings.Contains(p.Value, "15-12") && !strings.Contains(p.Value, "Underwater") {
				msg = p.String()
				break
			}
		}
		b.Logf("WARNING: %d of %d rows failed, want %d (the synthetic bad rows); first other problem: %s", rep.Failed, b.N, want, msg)
	}
	sec := b.Elapsed().Seconds()
	if sec <= 0 {
		return
	}
	b.ReportMetric(float64(rep.Units)/sec, "rows/s")
	b.ReportMetric(float64(rep.Statements)/sec, "statements/s")
	b.ReportMetric(float64(rep.Statements+rep.Written*registry.BookkeepingQuads)/sec, "all-statements/s")
	b.ReportMetric(float64(rep.Failed), "failed-rows")
}
