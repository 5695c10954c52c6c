package registry

// The store contract suite: what every Backend must do, run on each one
// (TestBadgerBackendContract here; PostgreSQL runs the same function).
// A backend passes when it keeps the promises of the Backend interface's
// documentation: atomic, conditional Apply (ErrConflict, nothing written),
// exact counts, resumable pages that cover every match once, one-snapshot
// scans, terms read back as written, durability across a reopen; and
// the token keyspace: conditional puts and revocations, reads by id,
// apart from the statements.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/schema"
)

// contractBackend opens a backend for the contract suite: a new, empty
// store, and a function that closes it and opens the same store again.
type contractBackend func(t *testing.T) (be Backend, reopen func() Backend)

func TestBadgerBackendContract(t *testing.T) {
	testBackendContract(t, func(t *testing.T) (Backend, func() Backend) {
		dir := t.TempDir()
		open := func() Backend {
			be, err := openBadgerBackend(dir, nil, false)
			if err != nil {
				t.Fatalf("open badger backend: %v", err)
			}
			return be
		}
		be := open()
		cur := be
		t.Cleanup(func() { cur.Close() })
		return be, func() Backend {
			if err := cur.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			cur = open()
			return cur
		}
	})
}

// testBackendContract runs the contract suite on the backends newBackend
// opens (a new one per subtest).
func testBackendContract(t *testing.T, newBackend contractBackend) {
	tests := []struct {
		name string
		run  func(t *testing.T, newBackend contractBackend)
	}{
		{"Empty", contractEmpty},
		{"TermsRoundTrip", contractTerms},
		{"EveryPattern", contractEveryPattern},
		{"ApplyRemovesThenAdds", contractApply},
		{"ConflictWritesNothing", contractConflict},
		{"OneWinnerFromOneHead", contractOneWinner},
		{"PagesCoverEachOnce", contractPages},
		{"PagesResumeAcrossWrites", contractPagesAcrossWrites},
		{"ScanIsOneSnapshot", contractScanSnapshot},
		{"ScanWantedPositions", contractScanWant},
		{"ScanStopsOnError", contractScanError},
		{"CancelledContext", contractCancelled},
		{"SurvivesReopen", contractReopen},
		{"ExceptLeavesGraphsOut", contractExcept},
		{"SkipFindsMatchsCursors", contractSkip},
		{"TokensPutGetList", contractTokens},
		{"TokenRevokedOnce", contractTokenRevoke},
		{"TokensSurviveReopen", contractTokensReopen},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newBackend) })
	}
}

var contractCtx = context.Background()

// contractData is a small graph with every kind of term the registry
// writes, two record graphs, a bookkeeping graph and shared terms, so that
// every pattern has several matches and some have none.
func contractData() []quad.Quad {
	const ex = "https://example.org/resources/"
	a, b, c := quad.IRI(ex+"a"), quad.IRI(ex+"b"), quad.IRI(ex+"c")
	name, knows, age, when := quad.IRI(schema.CETerms+"name"), quad.IRI(ex+"knows"), quad.IRI(ex+"age"), quad.IRI(schema.DCT+"modified")
	ga, gb, gr := quad.IRI(ex+"a"), quad.IRI(ex+"b"), quad.IRI(graphRecords)
	long := quad.IRI(ex + strings.Repeat("long-", 600)) // 3 KB: past any btree key limit
	return []quad.Quad{
		{Subject: a, Predicate: name, Object: quad.String("Welding Certificate"), Label: ga},
		{Subject: a, Predicate: name, Object: quad.LangString{Value: "Certificat de soudage", Lang: "fr"}, Label: ga},
		{Subject: a, Predicate: knows, Object: b, Label: ga},
		{Subject: a, Predicate: knows, Object: c, Label: ga},
		{Subject: a, Predicate: age, Object: rdf.Literal("42", schema.XSD+"integer", ""), Label: ga},
		{Subject: a, Predicate: when, Object: rdf.Literal("2026-11-25T10:00:00.123456789Z", schema.XSD+"dateTime", ""), Label: ga},
		{Subject: a, Predicate: knows, Object: long, Label: ga},
		{Subject: b, Predicate: name, Object: quad.String("Welding Certificate"), Label: gb},
		{Subject: b, Predicate: knows, Object: a, Label: gb},
		{Subject: b, Predicate: age, Object: rdf.Literal("3.50", schema.XSD+"decimal", ""), Label: gb},
		{Subject: b, Predicate: name, Object: quad.String(strings.Repeat("é", 2000)), Label: gb},
		{Subject: b, Predicate: name, Object: quad.String(""), Label: gb},
		{Subject: quad.IRI(ex + "a#record"), Predicate: when, Object: rdf.Literal("2026-11-25T10:00:00Z", schema.XSD+"dateTime", ""), Label: gr},
		{Subject: quad.IRI(ex + "a#record"), Predicate: quad.IRI(predContentHash), Object: quad.String("sha256:00"), Label: gr},
		{Subject: long, Predicate: name, Object: rdf.Literal("x", "https://example.org/datatype/custom", ""), Label: gb},
		// the same triple in two graphs
		{Subject: c, Predicate: name, Object: quad.String("Welding Certificate"), Label: ga},
		{Subject: c, Predicate: name, Object: quad.String("Welding Certificate"), Label: gb},
	}
}

func contractApplyOK(t *testing.T, be Backend, remove, add []quad.Quad) {
	t.Helper()
	if err := be.Apply(contractCtx, remove, add); err != nil {
		t.Fatalf("Apply(%d removals, %d additions): %v", len(remove), len(add), err)
	}
}

// quadKey is a statement's N-Quads line, which tells terms apart exactly
// (a missing term is empty).
func quadKey(q quad.Quad) string {
	return rdf.TermString(q.Subject) + " " + rdf.TermString(q.Predicate) + " " + rdf.TermString(q.Object) + " " + rdf.TermString(q.Label) + " .\n"
}

func quadKeys(qs []quad.Quad) []string {
	keys := make([]string, len(qs))
	for i, q := range qs {
		keys[i] = quadKey(q)
	}
	sort.Strings(keys)
	return keys
}

// matches is the brute-force answer: the statements of all that p matches.
func matches(all []quad.Quad, p Pattern) []quad.Quad {
	var out []quad.Quad
	for _, q := range all {
		if (p.Subject == nil || quadKey(quad.Quad{Subject: p.Subject}) == quadKey(quad.Quad{Subject: q.Subject})) &&
			(p.Predicate == nil || p.Predicate == q.Predicate) &&
			(p.Object == nil || quadKey(quad.Quad{Object: p.Object}) == quadKey(quad.Quad{Object: q.Object})) &&
			(p.Graph == nil || quadKey(quad.Quad{Label: p.Graph}) == quadKey(quad.Quad{Label: q.Label})) {
			out = append(out, q)
		}
	}
	return out
}

// everyPattern is every pattern whose bound terms come from q: the 16
// combinations of bound and free positions.
func everyPattern(q quad.Quad) []Pattern {
	var ps []Pattern
	for mask := 0; mask < 16; mask++ {
		var p Pattern
		if mask&1 != 0 {
			p.Subject = q.Subject
		}
		if mask&2 != 0 {
			p.Predicate = q.Predicate
		}
		if mask&4 != 0 {
			p.Object = q.Object
		}
		if mask&8 != 0 {
			p.Graph = q.Label
		}
		ps = append(ps, p)
	}
	return ps
}

func patternString(p Pattern) string {
	term := func(v quad.Value) string {
		if v == nil {
			return "?"
		}
		s := v.String()
		if len(s) > 60 {
			s = s[:60] + "…"
		}
		return s
	}
	return fmt.Sprintf("{%s %s %s %s}", term(p.Subject), term(p.Predicate), term(p.Object), term(p.Graph))
}

// matchAll reads every page of p, limit statements at a time.
func matchAll(t *testing.T, be Backend, p Pattern, limit int) []quad.Quad {
	t.Helper()
	var out []quad.Quad
	var after []byte
	for pages := 0; ; pages++ {
		if pages > 10_000 {
			t.Fatalf("Match %s: more than 10,000 pages", patternString(p))
		}
		page, next, err := be.Match(contractCtx, p, after, limit)
		if err != nil {
			t.Fatalf("Match %s: %v", patternString(p), err)
		}
		if len(page) > limit {
			t.Fatalf("Match %s: %d statements in a page of %d", patternString(p), len(page), limit)
		}
		out = append(out, page...)
		if next == nil {
			return out
		}
		if len(page) == 0 {
			t.Fatalf("Match %s: an empty page with a next cursor", patternString(p))
		}
		after = next
	}
}

func scanAll(t *testing.T, be Backend, p Pattern) []quad.Quad {
	t.Helper()
	var out []quad.Quad
	if err := be.Scan(contractCtx, p, PosAll, func(q quad.Quad) error {
		out = append(out, q)
		return nil
	}); err != nil {
		t.Fatalf("Scan %s: %v", patternString(p), err)
	}
	return out
}

func sameKeys(t *testing.T, what string, got, want []quad.Quad) {
	t.Helper()
	g, w := quadKeys(got), quadKeys(want)
	if strings.Join(g, "") != strings.Join(w, "") {
		t.Fatalf("%s: got %d statements, want %d\ngot:\n%s\nwant:\n%s", what, len(g), len(w), strings.Join(g, ""), strings.Join(w, ""))
	}
}

func contractEmpty(t *testing.T, newBackend contractBackend) {
	be, _ := newBackend(t)
	for _, p := range everyPattern(contractData()[0]) {
		n, err := be.Count(contractCtx, p)
		if err != nil || n != 0 {
			t.Errorf("Count %s on an empty store = %d, %v; want 0", patternString(p), n, err)
		}
		page, next, err := be.Match(contractCtx, p, nil, 10)
		if err != nil || len(page) != 0 || next != nil {
			t.Errorf("Match %s on an empty store = %d statements, next %q, %v", patternString(p), len(page), next, err)
		}
		if got := scanAll(t, be, p); len(got) != 0 {
			t.Errorf("Scan %s on an empty store gave %d statements", patternString(p), len(got))
		}
	}
	if err := be.Sync(); err != nil {
		t.Errorf("Sync on an empty store: %v", err)
	}
}

func contractTerms(t *testing.T, newBackend contractBackend) {
	be, _ := newBackend(t)
	data := contractData()
	contractApplyOK(t, be, nil, data)
	// Each statement is found by its own terms, all four bound, and reads
	// back exactly as written.
	for _, q := range data {
		p := Pattern{Subject: q.Subject, Predicate: q.Predicate, Object: q.Object, Graph: q.Label}
		got := scanAll(t, be, p)
		sameKeys(t, "Scan "+patternString(p), got, []quad.Quad{q})
		for i := range got {
			if fmt.Sprintf("%#v", got[i].Object) != fmt.Sprintf("%#v", q.Object) {
				t.Errorf("object read back as %#v, written as %#v", got[i].Object, q.Object)
			}
		}
	}
}

func contractEveryPattern(t *testing.T, newBackend contractBackend) {
	be, _ := newBackend(t)
	data := contractData()
	contractApplyOK(t, be, nil, data)
	// Patterns bound from each statement, and from terms no statement has.
	absent := quad.Quad{Subject: quad.IRI("https://example.org/none"), Predicate: quad.IRI("https://example.org/none"), Object: quad.String("none"), Label: quad.IRI("https://example.org/none")}
	seen := map[string]bool{}
	for _, src := range append(data, absent) {
		for _, p := range everyPattern(src) {
			key := patternString(p) + fmt.Sprintf("%#v", p)
			if seen[key] {
				continue
			}
			seen[key] = true
			want := matches(data, p)
			n, err := be.Count(contractCtx, p)
			if err != nil {
				t.Fatalf("Count %s: %v", patternString(p), err)
			}
			if n != int64(len(want)) {
				t.Errorf("Count %s = %d, want %d", patternString(p), n, len(want))
			}
			sameKeys(t, "Scan "+patternString(p), scanAll(t, be, p), want)
			sameKeys(t, "Match "+patternString(p), matchAll(t, be, p, 1000), want)
		}
	}
}

func contractApply(t *testing.T, newBackend contractBackend) {
	be, _ := newBackend(t)
	data := contractData()
	contractApplyOK(t, be, nil, data[:10])
	// One commit that removes some statements and adds others, one of
	// them a statement it also removes (a replacement keeping a value).
	remove := []quad.Quad{data[0], data[2], data[3]}
	add := append([]quad.Quad{data[2]}, data[10:]...)
	contractApplyOK(t, be, remove, add)
	want := append(append([]quad.Quad{data[1]}, data[4:]...), data[2])
	sameKeys(t, "after a replacement", scanAll(t, be, Pattern{}), want)
	if n, err := be.Count(contractCtx, Pattern{}); err != nil || n != int64(len(want)) {
		t.Errorf("Count after a replacement = %d, %v; want %d", n, err, len(want))
	}
	// Removing everything leaves an empty store, counts included.
	contractApplyOK(t, be, want, nil)
	for _, p := range everyPattern(data[0]) {
		if n, err := be.Count(contractCtx, p); err != nil || n != 0 {
			t.Errorf("Count %s after removing everything = %d, %v", patternString(p), n, err)
		}
	}
	// A statement removed can be added again.
	contractApplyOK(t, be, nil, data[:1])
	sameKeys(t, "added again", scanAll(t, be, Pattern{}), data[:1])
}

func contractConflict(t *testing.T, newBackend contractBackend) {
	be, _ := newBackend(t)
	data := contractData()
	contractApplyOK(t, be, nil, data[:5])
	notStored := data[6]
	for _, tc := range []struct {
		name        string
		remove, add []quad.Quad
	}{
		{"remove one not stored", []quad.Quad{data[0], notStored}, data[7:9]},
		{"add one stored", []quad.Quad{data[1]}, []quad.Quad{data[9], data[2]}},
		{"add one stored, alone", nil, []quad.Quad{data[3]}},
		{"remove one not stored, alone", []quad.Quad{notStored}, nil},
	} {
		err := be.Apply(contractCtx, tc.remove, tc.add)
		if !errors.Is(err, ErrConflict) {
			t.Errorf("%s: Apply = %v, want an error wrapping ErrConflict", tc.name, err)
		}
		sameKeys(t, tc.name+": nothing written", scanAll(t, be, Pattern{}), data[:5])
		if n, err := be.Count(contractCtx, Pattern{}); err != nil || n != 5 {
			t.Errorf("%s: Count = %d, %v; want 5", tc.name, n, err)
		}
	}
}

// contractOneWinner: writers that each add the change-log entry after the
// head they read; of those starting from one head, exactly one succeeds.
func contractOneWinner(t *testing.T, newBackend contractBackend) {
	be, _ := newBackend(t)
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := changeNode(1)
			errs[i] = be.Apply(contractCtx, nil, []quad.Quad{
				{Subject: node, Predicate: quad.IRI(predSequence), Object: rdf.Integer(1), Label: quad.IRI(graphChanges)},
				{Subject: node, Predicate: quad.IRI(predActor), Object: quad.String(fmt.Sprintf("writer %d", i)), Label: quad.IRI(graphChanges)},
			})
		}()
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, ErrConflict):
			t.Errorf("writer %d: %v, want nil or ErrConflict", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d writers succeeded from one head, want 1", won)
	}
	if n, err := be.Count(contractCtx, Pattern{Graph: quad.IRI(graphChanges)}); err != nil || n != 2 {
		t.Errorf("change log holds %d statements, %v; want the winner's 2", n, err)
	}
}

func contractPages(t *testing.T, newBackend contractBackend) {
	be, _ := newBackend(t)
	data := contractData()
	contractApplyOK(t, be, nil, data)
	for _, p := range []Pattern{{}, {Predicate: data[0].Predicate}, {Graph: data[0].Label}, {Subject: data[0].Subject}, {Object: data[0].Object}} {
		want := matches(data, p)
		for _, limit := range []int{1, 2, 3, 7, len(want), len(want) + 1} {
			got := matchAll(t, be, p, limit)
			if len(got) != len(want) {
				t.Errorf("Match %s by %d: %d statements, want %d", patternString(p), limit, len(got), len(want))
			}
			sameKeys(t, fmt.Sprintf("Match %s by %d", patternString(p), limit), got, want)
			// Pages are in one stable order.
			again := matchAll(t, be, p, limit)
			for i := range got {
				if quadKey(got[i]) != quadKey(again[i]) {
					t.Fatalf("Match %s by %d: order changed between two reads at %d", patternString(p), limit, i)
				}
			}
		}
	}
}

// contractPagesAcrossWrites: a cursor stays valid after writes; the pages
// that follow it never repeat a statement already read.
func contractPagesAcrossWrites(t *testing.T, newBackend contractBackend) {
	be, _ := newBackend(t)
	data := contractData()
	contractApplyOK(t, be, nil, data[:8])
	first, next, err := be.Match(contractCtx, Pattern{}, nil, 3)
	if err != nil || len(first) != 3 || next == nil {
		t.Fatalf("first page: %d statements, next %v, %v", len(first), next != nil, err)
	}
	contractApplyOK(t, be, nil, data[8:])
	seen := map[string]bool{}
	for _, q := range first {
		seen[quadKey(q)] = true
	}
	after := next
	for after != nil {
		var page []quad.Quad
		page, after, err = be.Match(contractCtx, Pattern{}, after, 3)
		if err != nil {
			t.Fatalf("Match after a write: %v", err)
		}
		for _, q := range page {
			if seen[quadKey(q)] {
				t.Fatalf("statement read twice across a write: %s", quadKey(q))
			}
			seen[quadKey(q)] = true
		}
	}
	// Every statement stored before the first page was read is read.
	for _, q := range data[:8] {
		if !seen[quadKey(q)] {
			t.Errorf("statement stored before paging began was never read: %s", quadKey(q))
		}
	}
}

func contractScanSnapshot(t *testing.T, newBackend contractBackend) {
	be, _ := newBackend(t)
	data := contractData()
	contractApplyOK(t, be, nil, data[:8])
	var got []quad.Quad
	wrote := false
	err := be.Scan(contractCtx, Pattern{}, PosAll, func(q quad.Quad) error {
		if !wrote {
			wrote = true
			// Another writer changes the store during the scan.
			done := make(chan error, 1)
			go func() { done <- be.Apply(contractCtx, data[:1], data[8:]) }()
			if err := <-done; err != nil {
				return fmt.Errorf("write during the scan: %w", err)
			}
		}
		got = append(got, q)
		return nil
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	sameKeys(t, "a scan sees the store as it began", got, data[:8])
	sameKeys(t, "the next scan sees the write", scanAll(t, be, Pattern{}), data[1:])
}

func contractScanWant(t *testing.T, newBackend contractBackend) {
	be, _ := newBackend(t)
	data := contractData()
	contractApplyOK(t, be, nil, data)
	want := PosGraph | PosPredicate
	var got []string
	if err := be.Scan(contractCtx, Pattern{}, want, func(q quad.Quad) error {
		if q.Predicate == nil || q.Label == nil {
			return fmt.Errorf("wanted position missing in %v", q)
		}
		got = append(got, quadKey(quad.Quad{Predicate: q.Predicate, Label: q.Label}))
		return nil
	}); err != nil {
		t.Fatalf("Scan: %v", err)
	}
	var expect []string
	for _, q := range data {
		expect = append(expect, quadKey(quad.Quad{Predicate: q.Predicate, Label: q.Label}))
	}
	sort.Strings(got)
	sort.Strings(expect)
	if strings.Join(got, "") != strings.Join(expect, "") {
		t.Errorf("Scan of graphs and predicates:\ngot  %q\nwant %q", got, expect)
	}
}

func contractScanError(t *testing.T, newBackend contractBackend) {
	be, _ := newBackend(t)
	contractApplyOK(t, be, nil, contractData())
	stop := errors.New("enough")
	calls := 0
	err := be.Scan(contractCtx, Pattern{}, PosAll, func(quad.Quad) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 2 {
		t.Errorf("Scan whose callback fails on the 2nd statement: %v after %d calls", err, calls)
	}
}

func contractCancelled(t *testing.T, newBackend contractBackend) {
	be, _ := newBackend(t)
	data := contractData()
	contractApplyOK(t, be, nil, data[:3])
	ctx, cancel := context.WithCancel(contractCtx)
	cancel()
	if err := be.Apply(ctx, nil, data[3:]); err == nil {
		t.Errorf("Apply with a cancelled context succeeded")
	}
	if err := be.Scan(ctx, Pattern{}, PosAll, func(quad.Quad) error { return nil }); err == nil {
		t.Errorf("Scan with a cancelled context succeeded")
	}
	sameKeys(t, "after a cancelled Apply", scanAll(t, be, Pattern{}), data[:3])
}

func contractReopen(t *testing.T, newBackend contractBackend) {
	be, reopen := newBackend(t)
	data := contractData()
	contractApplyOK(t, be, nil, data)
	contractApplyOK(t, be, data[:2], nil)
	if err := be.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	be = reopen()
	sameKeys(t, "after a reopen", scanAll(t, be, Pattern{}), data[2:])
	if n, err := be.Count(contractCtx, Pattern{Predicate: data[0].Predicate}); err != nil || n != int64(len(matches(data[2:], Pattern{Predicate: data[0].Predicate}))) {
		t.Errorf("Count by predicate after a reopen = %d, %v", n, err)
	}
	// It goes on writing where it left off.
	contractApplyOK(t, be, nil, data[:2])
	sameKeys(t, "written after a reopen", scanAll(t, be, Pattern{}), data)
}

// exceptPattern is p leaving out the bookkeeping graphs.
func exceptPattern(p Pattern) Pattern {
	p.Except = bookkeepingGraphs
	return p
}

func contractExcept(t *testing.T, newBackend contractBackend) {
	be, _ := newBackend(t)
	data := contractData()
	contractApplyOK(t, be, nil, data)
	published := func(qs []quad.Quad) []quad.Quad {
		var out []quad.Quad
		for _, q := range qs {
			if q.Label != nil && q.Label != quad.IRI(graphRecords) {
				out = append(out, q)
			}
		}
		return out
	}
	for _, src := range data {
		for _, p := range everyPattern(src) {
			if p.Graph != nil {
				continue
			}
			p = exceptPattern(p)
			want := published(matches(data, p))
			n, err := be.Count(contractCtx, p)
			if err != nil || n != int64(len(want)) {
				t.Errorf("Count %s except bookkeeping = %d, %v; want %d", patternString(p), n, err, len(want))
			}
			sameKeys(t, "Scan except "+patternString(p), scanAll(t, be, p), want)
			sameKeys(t, "Match except "+patternString(p), matchAll(t, be, p, 3), want)
		}
	}
}

func contractSkip(t *testing.T, newBackend contractBackend) {
	be, _ := newBackend(t)
	data := contractData()
	contractApplyOK(t, be, nil, data)
	for _, p := range []Pattern{{}, {Predicate: data[0].Predicate}, exceptPattern(Pattern{}), {Subject: data[0].Subject}} {
		all := matchAll(t, be, p, 1000) // Match's order
		for k := 1; k <= len(all); k++ {
			// From the start, and in two steps.
			for _, steps := range [][]int{{k}, {k / 2, k - k/2}} {
				var cursor []byte
				var err error
				for _, n := range steps {
					if n == 0 {
						continue
					}
					if cursor, err = be.Skip(contractCtx, p, cursor, n); err != nil {
						t.Fatalf("Skip %s %v: %v", patternString(p), steps, err)
					}
				}
				if cursor == nil {
					t.Fatalf("Skip %s %v of %d: no cursor", patternString(p), steps, len(all))
				}
				rest, _, err := be.Match(contractCtx, p, cursor, 1000)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Join(quadKeysInOrder(rest), "") != strings.Join(quadKeysInOrder(all[k:]), "") {
					t.Fatalf("Skip %s %v of %d, then Match: %d statements, want the %d after the %d-th", patternString(p), steps, len(all), len(rest), len(all)-k, k)
				}
			}
		}
		if got, err := be.Skip(contractCtx, p, nil, len(all)+1); err != nil || got != nil {
			t.Errorf("Skip %s past the end: %x, %v; want nil", patternString(p), got, err)
		}
	}
}

func quadKeysInOrder(qs []quad.Quad) []string {
	keys := make([]string, len(qs))
	for i, q := range qs {
		keys[i] = quadKey(q)
	}
	return keys
}
