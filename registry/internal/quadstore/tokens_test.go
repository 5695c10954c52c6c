package quadstore

import (
	"context"
	"testing"
	"time"

	"github.com/cayleygraph/quad"
	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/require"

	"credreg/registry/internal/tokenrec"
)

func testTokens() []tokenrec.Token {
	created := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	return []tokenrec.Token{
		{ID: "0a0b0c0d0e0f", Hash: "sha256:aa", Agency: "https://r.example/a", Role: "agency", Created: created},
		{ID: "111111111111", Hash: "sha256:bb", Agency: "https://r.example/b", Role: "admin", Created: created, Expires: created.Add(time.Hour)},
		{ID: "222222222222", Hash: "sha256:cc", Agency: "https://r.example/a", Role: "agency", Created: created, Revoked: created.Add(time.Minute)},
	}
}

func TestTokenKeyspace(t *testing.T) {
	dir := t.TempDir()
	qs := openTest(t, dir, Options{})
	toks := testTokens()
	for _, tok := range toks {
		require.NoError(t, qs.PutToken(tok))
	}
	// A taken id writes nothing.
	dup := toks[0]
	dup.Hash = "sha256:other"
	require.ErrorIs(t, qs.PutToken(dup), ErrTokenExists)
	got, err := qs.Token(toks[0].ID)
	require.NoError(t, err)
	require.Equal(t, toks[0], got)
	_, err = qs.Token("ffffffffffff")
	require.ErrorIs(t, err, ErrNoToken)

	// Revoke: once, and not an unknown one.
	at := time.Date(2026, 4, 1, 0, 0, 0, 5, time.UTC)
	rev, err := qs.RevokeToken(toks[0].ID, at)
	require.NoError(t, err)
	require.Equal(t, at, rev.Revoked)
	_, err = qs.RevokeToken(toks[0].ID, at.Add(time.Hour))
	require.ErrorIs(t, err, ErrTokenRevoked)
	_, err = qs.RevokeToken("ffffffffffff", at)
	require.ErrorIs(t, err, ErrNoToken)
	toks[0].Revoked = at

	// Tokens are no statements, and they survive a reopen.
	n, err := qs.Count(context.Background(), Pattern{})
	require.NoError(t, err)
	require.Zero(t, n)
	require.NoError(t, qs.Close())
	qs = openTest(t, dir, Options{})
	list, err := qs.Tokens()
	require.NoError(t, err)
	require.Equal(t, toks, list)
	require.NoError(t, qs.Close())
	ro := openTest(t, dir, Options{ReadOnly: true})
	_, err = ro.RevokeToken(toks[1].ID, at)
	require.ErrorIs(t, err, ErrReadOnly)
	require.ErrorIs(t, ro.PutToken(tokenrec.Token{ID: "333333333333"}), ErrReadOnly)
}

// legacyStore makes a store as layout 2 (or 1) wrote it: the tokens as
// statements of the token graph beside other statements, no object
// counters, and the layout key. It returns the other statements.
func legacyStore(t *testing.T, dir string, layout string, toks []tokenrec.Token) []quad.Quad {
	t.Helper()
	qs := openTest(t, dir, Options{CountedGraphs: []quad.Value{quad.IRI(tokenrec.Graph)}})
	others := []quad.Quad{
		quad.MakeIRI("s1", "p1", "o1", "g1"),
		{Subject: quad.IRI("s2"), Predicate: quad.IRI(tokenrec.PredAgency), Object: quad.IRI("https://r.example/a"), Label: quad.IRI("g2")},
		// Not a token (no hash): stays where it is.
		{Subject: quad.IRI(tokenrec.SubjectPrefix + "ffffffffffff"), Predicate: quad.IRI(tokenrec.PredAgency), Object: quad.IRI("https://r.example/a"), Label: quad.IRI(tokenrec.Graph)},
	}
	add := append([]quad.Quad(nil), others...)
	for _, tok := range toks {
		add = append(add, tokenrec.ToStatements(tok)...)
	}
	require.NoError(t, qs.Replace(nil, add))
	require.NoError(t, qs.Close())
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	require.NoError(t, err)
	require.NoError(t, db.Update(func(txn *badger.Txn) error { return txn.Set(keyLayout, []byte(layout)) }))
	// Layouts before 4 had no object counters.
	require.NoError(t, db.DropPrefix(objectCounterPrefixes...))
	if layout == layoutV1 {
		require.NoError(t, db.DropPrefix(pfxGraphCount, pfxGPCount, keyCounted))
	}
	require.NoError(t, db.Close())
	return others
}

func checkUpgraded(t *testing.T, qs *QuadStore, toks []tokenrec.Token, others []quad.Quad) {
	t.Helper()
	ctx := context.Background()
	list, err := qs.Tokens()
	require.NoError(t, err)
	require.Equal(t, toks, list)
	var all []quad.Quad
	require.NoError(t, qs.Scan(ctx, Pattern{}, 0, func(q quad.Quad) error { all = append(all, q); return nil }))
	require.Equal(t, sortFull(others), sortFull(all))
	n, err := qs.Count(ctx, Pattern{Label: quad.IRI(tokenrec.Graph)})
	require.NoError(t, err)
	require.Equal(t, int64(1), n, "the token graph's counter")
	n, err = qs.Count(ctx, Pattern{})
	require.NoError(t, err)
	require.Equal(t, int64(len(others)), n)
	var layout []byte
	require.NoError(t, qs.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(keyLayout)
		if err == nil {
			layout, err = item.ValueCopy(nil)
		}
		return err
	}))
	require.Equal(t, Layout(), string(layout))
	checkObjectCounters(t, qs)
}

// TestUpgradeMovesTokens: a layout 2 store (and a layout 1 one, through
// 2) opens upgraded, its tokens out of the graph and in their keyspace;
// a read-only open refuses it; an upgrade cut short after writing the
// tokens is completed by the next open.
func TestUpgradeMovesTokens(t *testing.T) {
	for _, layout := range []string{layoutV2, layoutV1} {
		t.Run(layout, func(t *testing.T) {
			dir := t.TempDir()
			toks := testTokens()
			others := legacyStore(t, dir, layout, toks)
			_, err := Open(dir, Options{ReadOnly: true})
			require.ErrorIs(t, err, ErrLayout)
			qs := openTest(t, dir, Options{CountedGraphs: []quad.Value{quad.IRI(tokenrec.Graph)}})
			checkUpgraded(t, qs, toks, others)
			// Writes go on: a new token, a revocation.
			extra := tokenrec.Token{ID: "333333333333", Hash: "sha256:dd", Agency: "https://r.example/b", Role: "agency", Created: toks[0].Created}
			require.NoError(t, qs.PutToken(extra))
			require.NoError(t, qs.Close())
			qs = openTest(t, dir, Options{})
			list, err := qs.Tokens()
			require.NoError(t, err)
			require.Equal(t, append(append([]tokenrec.Token(nil), toks...), extra), list)
		})
	}
	t.Run("interrupted", func(t *testing.T) {
		dir := t.TempDir()
		toks := testTokens()
		others := legacyStore(t, dir, layoutV2, toks)
		// The first step done (the tokens written, one of them as an
		// older one), the statements still there, the layout still 2.
		db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
		require.NoError(t, err)
		stale := toks[2]
		stale.Revoked = time.Time{}
		val, err := tokenrec.Marshal(stale)
		require.NoError(t, err)
		require.NoError(t, db.Update(func(txn *badger.Txn) error { return txn.Set(tokenKey(stale.ID), val) }))
		require.NoError(t, db.Close())
		qs := openTest(t, dir, Options{CountedGraphs: []quad.Value{quad.IRI(tokenrec.Graph)}})
		checkUpgraded(t, qs, toks, others)
	})
}
