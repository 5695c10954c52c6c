package registry

import (
	"context"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/schema"
)

// TestPublishedLeavesOutBookkeeping: for every kind of pattern, the
// published view's Count, Match (page by page) and Scan agree with a
// brute-force scan of the whole store that drops the bookkeeping graphs;
// a pattern naming a bookkeeping graph or a literal predicate matches
// nothing; Records counts the records, a retired one included.
func TestPublishedLeavesOutBookkeeping(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	recs := sampleRecords(t)
	if _, err := s.PutBatch(ctx, "test", recs); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Retire(ctx, "test", recs[2].IRI, "superseded", time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateToken(ctx, recs[1].IRI, RoleAgency, time.Time{}); err != nil {
		t.Fatal(err)
	}
	var all []quad.Quad
	if err := s.scanAllQuads(ctx, func(q quad.Quad) error {
		if !bookkeeping(q.Label) {
			all = append(all, q)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cred := quad.IRI(recs[0].IRI)
	tests := []struct {
		name string
		p    StatementPattern
		min  int
	}{
		{"unbound", StatementPattern{}, 20},
		{"S", StatementPattern{Subject: cred}, 5},
		{"P", StatementPattern{Predicate: quad.IRI(schema.RDFType)}, 3},
		{"P-bookkeeping-only", StatementPattern{Predicate: quad.IRI(predContentHash)}, 0},
		{"P-shared-with-bookkeeping", StatementPattern{Predicate: quad.IRI(predModified)}, 0},
		{"P-literal", StatementPattern{Predicate: quad.String(schema.RDFType)}, 0},
		{"O", StatementPattern{Object: quad.IRI(recs[1].IRI)}, 2},
		{"G", StatementPattern{Graph: cred}, 5},
		{"G-records", StatementPattern{Graph: quad.IRI(graphRecords)}, 0},
		{"G-changes", StatementPattern{Graph: quad.IRI(graphChanges)}, 0},
		{"G-tokens", StatementPattern{Graph: quad.IRI(graphTokens)}, 0},
		{"S-change", StatementPattern{Subject: changeNode(1)}, 0},
	}
	pub := s.Published()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := map[string]bool{}
			for _, q := range all {
				if (tc.p.Subject == nil || q.Subject == tc.p.Subject) && (tc.p.Predicate == nil || q.Predicate == tc.p.Predicate) &&
					(tc.p.Object == nil || q.Object == tc.p.Object) && (tc.p.Graph == nil || q.Label == tc.p.Graph) {
					want[quadKey(q)] = true
				}
			}
			if len(want) < tc.min {
				t.Fatalf("the store has %d matches, the test wants at least %d", len(want), tc.min)
			}
			if n, err := pub.Count(ctx, tc.p); err != nil || n != int64(len(want)) {
				t.Errorf("Count = %d, %v; the brute force finds %d", n, err, len(want))
			}
			seen := map[string]bool{}
			var after []byte
			for {
				page, next, err := pub.Match(ctx, tc.p, after, 4)
				if err != nil {
					t.Fatal(err)
				}
				for _, q := range page {
					if !want[quadKey(q)] || seen[quadKey(q)] {
						t.Errorf("Match gives %v: not wanted, or twice", q)
					}
					seen[quadKey(q)] = true
				}
				if next == nil {
					break
				}
				after = next
			}
			if len(seen) != len(want) {
				t.Errorf("Match pages hold %d statements, the brute force %d", len(seen), len(want))
			}
			scanned := 0
			if err := pub.Scan(ctx, tc.p, func(q quad.Quad) error {
				if !want[quadKey(q)] {
					t.Errorf("Scan gives %v", q)
				}
				scanned++
				return nil
			}); err != nil || scanned != len(want) {
				t.Errorf("Scan: %d statements, %v; the brute force %d", scanned, err, len(want))
			}
			if len(want) > 2 {
				c, err := pub.Skip(ctx, tc.p, nil, 2)
				if err != nil || c == nil {
					t.Fatalf("Skip 2: %x, %v", c, err)
				}
				rest, _, err := pub.Match(ctx, tc.p, c, len(want))
				if err != nil || len(rest) != len(want)-2 {
					t.Errorf("after Skip 2: %d statements, %v; want %d", len(rest), err, len(want)-2)
				}
			}
		})
	}
	if n, err := pub.Records(ctx); err != nil || n != int64(len(recs)) {
		t.Errorf("Records = %d, %v; want %d", n, err, len(recs))
	}
}
