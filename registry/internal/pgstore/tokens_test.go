package pgstore

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/registry/internal/tokenrec"
)

func testTokens() []tokenrec.Token {
	created := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	return []tokenrec.Token{
		{ID: "0a0b0c0d0e0f", Hash: "sha256:aa", Agency: "https://r.example/a", Role: "agency", Created: created},
		{ID: "111111111111", Hash: "sha256:bb", Agency: "https://r.example/b", Role: "admin", Created: created, Expires: created.Add(time.Hour)},
		{ID: "222222222222", Hash: "sha256:cc", Agency: "https://r.example/a", Role: "agency", Created: created, Revoked: created.Add(time.Minute + time.Microsecond)},
	}
}

func TestTokenTable(t *testing.T) {
	st, dsn := openStore(t)
	toks := testTokens()
	for _, tok := range toks {
		if err := st.PutToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	dup := toks[0]
	dup.Hash = "sha256:other"
	if err := st.PutToken(ctx, dup); !errors.Is(err, ErrTokenExists) {
		t.Errorf("PutToken of a taken id = %v, want ErrTokenExists", err)
	}
	if got, err := st.Token(ctx, toks[0].ID); err != nil || !reflect.DeepEqual(got, toks[0]) {
		t.Errorf("Token = %+v, %v; want %+v", got, err, toks[0])
	}
	if _, err := st.Token(ctx, "ffffffffffff"); !errors.Is(err, ErrNoToken) {
		t.Errorf("Token of an unknown id = %v", err)
	}
	at := time.Date(2026, 4, 1, 0, 0, 0, 5000, time.UTC)
	if got, err := st.RevokeToken(ctx, toks[0].ID, at); err != nil || !got.Revoked.Equal(at) {
		t.Fatalf("RevokeToken = %+v, %v", got, err)
	}
	if got, err := st.RevokeToken(ctx, toks[0].ID, at.Add(time.Hour)); !errors.Is(err, ErrTokenRevoked) || !got.Revoked.Equal(at) {
		t.Errorf("second RevokeToken = %+v, %v; want ErrTokenRevoked with the first time", got, err)
	}
	if _, err := st.RevokeToken(ctx, "ffffffffffff", at); !errors.Is(err, ErrNoToken) {
		t.Errorf("RevokeToken of an unknown id = %v", err)
	}
	toks[0].Revoked = at
	// Another process sharing the database sees all of it at once.
	other, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if list, err := other.Tokens(ctx); err != nil || !reflect.DeepEqual(list, toks) {
		t.Errorf("Tokens from another store = %+v, %v; want %+v", list, err, toks)
	}
	// No statement was written.
	if n, err := st.Count(ctx, Pattern{}); err != nil || n != 0 {
		t.Errorf("Count = %d, %v; want 0", n, err)
	}
}

// TestMigrateTokensFromVersion2: a database of schema version 2 holding
// tokens as statements of the token graph opens migrated to version 3:
// the tokens in credreg_tokens, their statements and counts gone, the
// other statements (in that graph too) kept.
func TestMigrateTokensFromVersion2(t *testing.T) {
	st, dsn := openStore(t)
	toks := testTokens()
	others := dataset(200)
	notToken := quad.Quad{Subject: quad.IRI(tokenrec.SubjectPrefix + "ffffffffffff"), Predicate: quad.IRI(tokenrec.PredAgency), Object: quad.IRI("https://r.example/a"), Label: quad.IRI(tokenrec.Graph)}
	others = append(others, notToken)
	add := append([]quad.Quad(nil), others...)
	for _, tok := range toks {
		add = append(add, tokenrec.ToStatements(tok)...)
	}
	apply(t, st, nil, add)
	// Back to version 2, as a database written by the previous credreg.
	for _, sql := range []string{`DROP TABLE credreg_tokens`, `DELETE FROM credreg_schema_version WHERE version > 2`} {
		if _, err := st.pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	st, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatalf("open a version 2 database: %v", err)
	}
	defer st.Close()
	var version int
	if err := st.pool.QueryRow(ctx, `SELECT max(version) FROM credreg_schema_version`).Scan(&version); err != nil || version != SchemaVersion {
		t.Fatalf("schema version after the migration: %d, %v", version, err)
	}
	if list, err := st.Tokens(ctx); err != nil || !reflect.DeepEqual(list, toks) {
		t.Errorf("Tokens after the migration = %+v, %v; want %+v", list, err, toks)
	}
	same(t, "statements after the migration", scanAll(t, st, Pattern{}), others)
	for _, p := range []Pattern{{}, {Graph: quad.IRI(tokenrec.Graph)}, {Predicate: quad.IRI(tokenrec.PredAgency)}, {Graph: quad.IRI(tokenrec.Graph), Predicate: quad.IRI(tokenrec.PredHash)}} {
		if n, err := st.Count(ctx, p); err != nil || n != int64(len(matching(others, p))) {
			t.Errorf("after the migration, Count %+v = %d, %v; want %d", p, n, err, len(matching(others, p)))
		}
	}
	p := Pattern{Except: []quad.Value{quad.IRI(tokenrec.Graph)}}
	if n, err := st.Count(ctx, p); err != nil || n != int64(len(others)-1) {
		t.Errorf("after the migration, Count %+v = %d, %v; want %d", p, n, err, len(others)-1)
	}
	// And from version 1, through 2.
	apply(t, st, nil, tokenrec.ToStatements(toks[0]))
	for _, sql := range []string{`DROP TABLE credreg_tokens`, `DROP TABLE credreg_gpcounts`, `DELETE FROM credreg_schema_version WHERE version > 1`} {
		if _, err := st.pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	st, err = Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatalf("open a version 1 database: %v", err)
	}
	defer st.Close()
	if list, err := st.Tokens(ctx); err != nil || !reflect.DeepEqual(list, toks[:1]) {
		t.Errorf("Tokens after the migration from version 1 = %+v, %v", list, err)
	}
	same(t, "statements after the migration from version 1", scanAll(t, st, Pattern{}), others)
}
