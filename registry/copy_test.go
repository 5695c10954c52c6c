package registry

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/schema"
)

// copySource makes a closed registry store with records, a retirement, a
// replacement in its log and a write token, and returns its URL and the
// token's secret.
func copySource(t *testing.T) string {
	url, _ := copySourceWithToken(t)
	return url
}

func copySourceWithToken(t *testing.T) (string, string) {
	t.Helper()
	ctx := context.Background()
	url := "badger://" + t.TempDir()
	s, err := Open(ctx, url, Options{Base: testBaseIRI(t)})
	if err != nil {
		t.Fatal(err)
	}
	recs := sampleRecords(t)
	if _, err := s.PutBatch(ctx, "a", recs); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "a", renamedRecord(t, recs[0], "Renamed")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Retire(ctx, "a", recs[2].IRI, "superseded", time.Now()); err != nil {
		t.Fatal(err)
	}
	secret, _, err := s.CreateToken(ctx, recs[1].IRI, RoleAgency, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// A revoked admin token too (its revocation time to the
	// microsecond, which PostgreSQL keeps).
	_, admin, err := s.CreateToken(ctx, recs[1].IRI, RoleAdmin, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, admin.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return url, secret
}

// allTokens is every token of the store at url.
func allTokens(t *testing.T, url string) []StoredToken {
	t.Helper()
	be, err := openBackendURL(context.Background(), url, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	toks, err := be.ListTokens(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return toks
}

func allStatements(t *testing.T, url string) []quad.Quad {
	t.Helper()
	be, err := openBackendURL(context.Background(), url, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	defer be.Close()
	return scanAll(t, be, Pattern{})
}

func TestCopyBetweenStores(t *testing.T) {
	ctx := context.Background()
	from, secret := copySourceWithToken(t)
	to := "badger://" + t.TempDir()
	info, err := Copy(ctx, from, to, CopyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := allStatements(t, from)
	if info.Statements != int64(len(want)) || info.Written != info.Statements || info.Sequence != 5 || info.Base != testBase {
		t.Errorf("Copy = %+v; want %d statements all written, change log at 5, base %s", info, len(want), testBase)
	}
	sameKeys(t, "the copy", allStatements(t, to), want)
	if info.Tokens != 2 || info.TokensWritten != 2 {
		t.Errorf("Copy = %+v; want 2 tokens, both written", info)
	}
	sameTokens(t, "the copy's tokens", allTokens(t, to), allTokens(t, from))

	// The copy is the same registry: it opens, its log and records read
	// back, and its next write continues the log.
	s, err := Open(ctx, to, Options{Base: testBaseIRI(t), MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.Sequence() != 5 {
		t.Errorf("copy's head %d, want 5", s.Sequence())
	}
	assertLogContiguous(t, s)
	if tok, err := s.Authenticate(ctx, secret); err != nil || tok.Agency != sampleRecords(t)[1].IRI {
		t.Errorf("the source's token on the copy: %+v, %v", tok, err)
	}
	c, err := s.Put(ctx, "b", renamedRecord(t, sampleRecords(t)[0], "After the copy"))
	if err != nil || c.Seq != 6 {
		t.Errorf("first write on the copy: %+v, %v; want change 6", c, err)
	}
	s.Close()

	// Back again into a third store: a round trip keeps every statement.
	back := "badger://" + t.TempDir()
	if _, err := Copy(ctx, to, back, CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	sameKeys(t, "the round trip", allStatements(t, back), allStatements(t, to))
	sameTokens(t, "the round trip's tokens", allTokens(t, back), allTokens(t, from))
}

func TestCopyRunsAgainSafely(t *testing.T) {
	ctx := context.Background()
	from := copySource(t)
	to := "badger://" + t.TempDir()
	var progress []int64
	if _, err := Copy(ctx, from, to, CopyOptions{Progress: func(n, total int64) { progress = append(progress, n, total) }}); err != nil {
		t.Fatal(err)
	}
	if len(progress) == 0 || progress[len(progress)-2] != progress[len(progress)-1] {
		t.Errorf("progress %v: want the last call to report all of the total", progress)
	}
	// Finished: a second run writes nothing and verifies.
	info, err := Copy(ctx, from, to, CopyOptions{})
	if err != nil || info.Written != 0 || info.TokensWritten != 0 || info.Tokens != 2 {
		t.Fatalf("second run: %+v, %v; want nothing written", info, err)
	}
	// Interrupted: the destination lacks part of the source; a run
	// completes it.
	be, err := openBackendURL(ctx, to, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	all := scanAll(t, be, Pattern{})
	lost := all[len(all)/3 : len(all)/2]
	contractApplyOK(t, be, lost, nil)
	be.Close()
	info, err = Copy(ctx, from, to, CopyOptions{})
	if err != nil || info.Written != int64(len(lost)) {
		t.Fatalf("completing run: %+v, %v; want %d written", info, err, len(lost))
	}
	sameKeys(t, "completed copy", allStatements(t, to), allStatements(t, from))
}

func TestCopyRefusesAnotherRegistry(t *testing.T) {
	ctx := context.Background()
	from := copySource(t)
	// A destination with another base: refused, untouched.
	other := "badger://" + t.TempDir()
	otherBase, _ := schema.NewBase("https://other.example")
	s, err := Open(ctx, other, Options{Base: otherBase})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	before := allStatements(t, other)
	if _, err := Copy(ctx, from, other, CopyOptions{}); err == nil || !strings.Contains(err.Error(), "another registry") {
		t.Errorf("copy into another registry: %v", err)
	}
	sameKeys(t, "the other registry", allStatements(t, other), before)

	// A destination of the same base holding something the source lacks:
	// the check fails and says so.
	to := "badger://" + t.TempDir()
	if _, err := Copy(ctx, from, to, CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	be, err := openBackendURL(ctx, to, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	contractApplyOK(t, be, nil, []quad.Quad{{Subject: quad.IRI(testBase + "/resources/stray"), Predicate: quad.IRI(schema.Name), Object: quad.String("stray"), Label: quad.IRI(testBase + "/resources/stray")}})
	be.Close()
	if _, err := Copy(ctx, from, to, CopyOptions{}); err == nil || !strings.Contains(err.Error(), "source lacks") {
		t.Errorf("copy into a store with extra statements: %v", err)
	}
	// Tokens: one the source lacks fails the check; one of the same id
	// but different from the source's is named.
	to = "badger://" + t.TempDir()
	if _, err := Copy(ctx, from, to, CopyOptions{}); err != nil {
		t.Fatal(err)
	}
	be, err = openBackendURL(ctx, to, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	toks, err := be.ListTokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stray := toks[0]
	stray.ID = "ffffffffffff"
	if err := be.PutToken(ctx, stray); err != nil {
		t.Fatal(err)
	}
	be.Close()
	if _, err := Copy(ctx, from, to, CopyOptions{}); err == nil || !strings.Contains(err.Error(), "tokens the source lacks") {
		t.Errorf("copy into a store with an extra token: %v", err)
	}
	to = "badger://" + t.TempDir()
	be, err = openBackendURL(ctx, to, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	changed := toks[0]
	changed.Hash = "sha256:" + strings.Repeat("0", 64)
	if err := be.PutToken(ctx, changed); err != nil {
		t.Fatal(err)
	}
	be.Close()
	if _, err := Copy(ctx, from, to, CopyOptions{}); err == nil || !strings.Contains(err.Error(), "another token "+changed.ID) {
		t.Errorf("copy into a store with another token of the same id: %v", err)
	}
	// No registry in the source, and the same store twice.
	empty := "badger://" + t.TempDir()
	if _, err := Copy(ctx, empty, "badger://"+t.TempDir(), CopyOptions{}); err == nil || !strings.Contains(err.Error(), ErrNoRegistry.Error()) {
		t.Errorf("copy from an empty store: %v", err)
	}
	if _, err := Copy(ctx, from, from, CopyOptions{}); err == nil {
		t.Errorf("copy of a store onto itself succeeded")
	}
}
