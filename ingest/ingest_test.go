package ingest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"credreg/catalog/catalogtest"
	"credreg/fixtures/fixturestest"
	"credreg/registry"
	"credreg/schema"
)

const testBase = "http://registry.test"

// newStore opens a Badger store with the reference data and the sample
// loaded (a copy of a template store).
func newStore(t testing.TB) *registry.Store {
	t.Helper()
	base, _ := schema.NewBase(testBase)
	return fixturestest.Open(t, base, true)
}

func importCSV(t *testing.T, s *registry.Store, name, data string, opts SheetOptions, dry bool) *Report {
	t.Helper()
	res, err := NewResolver(context.Background(), catalogtest.Of(t, s))
	if err != nil {
		t.Fatal(err)
	}
	opts.Resolver = res
	if opts.Today.IsZero() {
		opts.Today = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	}
	src, err := CSV(name, strings.NewReader(data), int64(len(data)), opts)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), s, src, "csv", Options{Actor: "test agency", DryRun: dry})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

func TestCSVSmoke(t *testing.T) {
	s := newStore(t)
	data := "Credential Name,Type,Owner,SOC Codes,Career Cluster,Region,High Wage,In Demand,Median Wage,Valid From\n" +
		"Cloud Support Associate,Certification,Acme Cloud Academy,15-1232.00; 151244,Digital Technology,Statewide,yes,Y,\"$61,200\",7/1/2025\n" +
		"Bad Row,Certification,Acme Cloud Academy,15-12,No Such Cluster,Statewide,maybe,,,\n"
	rep := importCSV(t, s, "sheet.csv", data, SheetOptions{Agency: "Heartland Workforce Commission"}, false)
	b, _ := json.MarshalIndent(rep, "", "  ")
	t.Logf("%s", b)
}
