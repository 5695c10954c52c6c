package ingest

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"credreg/catalog/catalogtest"
	"credreg/ingest/ingesttest"
	"credreg/registry"
)

// fuzzShared is the store and resolver every fuzz iteration of a process
// uses: loading the fixtures takes about a second, an iteration must not.
var fuzzShared struct {
	once  sync.Once
	store *registry.Store
	res   *Resolver
	err   error
}

// fuzzStore opens the shared store once per process (go test -fuzz runs
// the fuzz target once in each worker process, then its iterations), in a
// temporary directory removed when the fuzz target ends; a later run of
// the target (-count=2) opens a new one.
func fuzzStore(f *testing.F) (*registry.Store, *Resolver) {
	f.Helper()
	fuzzShared.once.Do(func() {
		s := newStore(f) // closed and removed by f's cleanup, after the reset below
		fuzzShared.store = s
		fuzzShared.res, fuzzShared.err = NewResolver(context.Background(), catalogtest.Of(f, s))
		f.Cleanup(func() {
			fuzzShared.store, fuzzShared.res, fuzzShared.err = nil, nil, nil
			fuzzShared.once = sync.Once{}
		})
	})
	if fuzzShared.err != nil {
		f.Fatal(fuzzShared.err)
	}
	return fuzzShared.store, fuzzShared.res
}

// cloneResolver copies a resolver so that the organizations one import
// learns do not leak into the next.
func cloneResolver(r *Resolver) *Resolver {
	c := *r
	c.orgs = maps.Clone(r.orgs)
	return &c
}

// FuzzCSV reads any bytes as a CSV sheet and validates it in a dry run:
// it must never panic, and every problem must name the file and say what
// is wrong.
func FuzzCSV(f *testing.F) {
	seeds := []string{
		"Credential Name,Type,Owner,SOC Codes,Career Cluster,Region,High Wage,In Demand,Median Wage,Valid From\n" +
			"Cloud Support Associate,Certification,Acme Cloud Academy,15-1232.00; 151244,Digital Technology,Statewide,yes,Y,\"$61,200\",7/1/2025\n" +
			"Bad Row,Certification,Acme Cloud Academy,15-12,No Such Cluster,Statewide,maybe,,,\n",
		"\xEF\xBB\xBFCredential Name,Description,Owner,CIP Code,NAICS,Sub-Cluster,Region,Valid Through\r\n" +
			"Multi,\"Line one\r\nLine \"\"two\"\"\",CompTIA,110701,541512,Network Systems & Cybersecurity,Northeast Heartland Workforce Region,2027-06-30\r\n" +
			"\r\n,,,,\r\n" +
			"Caf\xe9,x,CompTIA,11.07,5415,arts entertainment and design,Statewide,soon\r\n",
		"CTID,Local ID,Credential Name,Agency,Competencies,Criteria,Openings,Data Year,Data Source,URL\n" +
			"ce-00000000-0000-4000-8000-000000000000,K1,By CTID,Heartland Department of Education,Troubleshooting; Networking,high-wage|stackable,\"1,200\",2025,BLS,https://example.org/c\n" +
			"not-a-ctid,K2,,,,,lots,25,,ftp://x\n",
		"Region,Region,SOC,SOC\nA,B,C,D\n",
		"Title X,Owner\nfoo,bar\n",
		"",
		"\"unterminated,quote\nrow",
		"Credential Name\n\"a\"\"b\",\"\n",
		"\xbfNAme\n,00", // a header that is not UTF-8 (found by the fuzzer)
	}
	var synth bytes.Buffer
	if err := ingesttest.WriteCSV(&synth, 12, ingesttest.Options{BadEvery: 4}); err != nil {
		f.Fatal(err)
	}
	seeds = append(seeds, synth.String())
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	store, base := fuzzStore(f)
	today := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	quiet := slog.New(slog.DiscardHandler)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			t.Skip("kept small so that each iteration is fast")
		}
		const name = "fuzz.csv"
		src, err := CSV(name, bytes.NewReader(data), int64(len(data)), SheetOptions{Agency: agencyHWC, Resolver: cloneResolver(base), Today: today})
		if err != nil {
			t.Fatalf("CSV: %v", err)
		}
		rep, err := Run(context.Background(), store, src, "csv", Options{DryRun: true, Logger: quiet})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		checkReport(t, rep, name)
	})
}

// checkReport checks what holds for every report.
func checkReport(t *testing.T, rep *Report, name string) {
	t.Helper()
	if rep.File != name {
		t.Errorf("report file %q, want %q", rep.File, name)
	}
	for _, p := range rep.Problems {
		if p.File != name || p.Message == "" || p.Row < 0 {
			t.Errorf("problem without a file, a message or a row: %#v", p)
		}
		for _, s := range []string{p.Column, p.Value, p.Message} {
			if !utf8.ValidString(s) {
				t.Errorf("problem with text that is not UTF-8: %#v", p)
			}
		}
	}
	if rep.Aborted == "" && rep.Units != rep.Imported+rep.Failed {
		t.Errorf("units %d != imported %d + failed %d", rep.Units, rep.Imported, rep.Failed)
	}
	if (rep.Failed > 0 || rep.Aborted != "") && len(rep.Problems) == 0 {
		t.Errorf("%d failed units (aborted %q) and no problem", rep.Failed, rep.Aborted)
	}
	if rep.Written != 0 {
		t.Errorf("a dry run wrote %d records", rep.Written)
	}
}
