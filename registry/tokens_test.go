package registry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cayleygraph/quad"
	"github.com/dgraph-io/badger/v4"

	"credreg/internal/pgtest"
	"credreg/registry/internal/tokenrec"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	recs := sampleRecords(t)
	if _, err := s.PutBatch(ctx, "a", recs); err != nil {
		t.Fatal(err)
	}
	agency := recs[1].IRI
	if _, _, err := s.CreateToken(ctx, recs[0].IRI, RoleAgency, time.Time{}); err == nil || !strings.Contains(err.Error(), "not an organization") {
		t.Errorf("token for a credential: %v", err)
	}
	secret, tok, err := s.CreateToken(ctx, agency, RoleAgency, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "crt_"+tok.ID+"_") || len(secret) < 40 {
		t.Errorf("secret %q does not look like a token", secret)
	}
	got, err := s.Authenticate(ctx, secret)
	if err != nil || got.Agency != agency || got.ID != tok.ID {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "crt_", "crt_" + tok.ID + "_wrong", secret + "x", "crt_000000000000_" + secret[17:], strings.ToUpper(secret)} {
		if _, err := s.Authenticate(ctx, bad); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("Authenticate(%q) = %v, want ErrUnauthorized", bad, err)
		}
	}
	// Only the hash is stored, in the token keyspace, not as statements.
	stored, err := s.be.GetToken(ctx, tok.ID)
	if err != nil || stored.Hash != hashSecret(secret) || strings.Contains(fmt.Sprintf("%+v", stored), secret[17:]) {
		t.Fatalf("stored token = %+v, %v; want only the secret's hash", stored, err)
	}
	if quads, err := s.quadsByGraph(ctx, quad.IRI(graphTokens)); err != nil || len(quads) != 0 {
		t.Fatalf("the token graph holds %d statements (%v), want none", len(quads), err)
	}
	expired, _, err := s.CreateToken(ctx, agency, RoleAgency, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, expired); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("an expired token authenticates: %v", err)
	}
	list, err := s.Tokens(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("Tokens = %v, %v", list, err)
	}
	if err := s.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, tok.ID); err == nil {
		t.Error("revoking twice succeeded")
	}
	if _, err := s.Authenticate(ctx, secret); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("a revoked token authenticates: %v", err)
	}
	// Tokens survive a restart and stay out of records.
	_ = s.Close()
	s2 := openStore(t, dir)
	if list, _ := s2.Tokens(ctx); len(list) != 2 || list[0].Revoked.IsZero() == list[1].Revoked.IsZero() {
		t.Errorf("tokens after reopen = %+v", list)
	}
	if s2.Sequence() != 3 {
		t.Errorf("token writes entered the change log: sequence %d, want 3", s2.Sequence())
	}
}

func TestFindOrganization(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	recs := sampleRecords(t)
	if _, err := s.PutBatch(ctx, "a", recs); err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{"Heartland Workforce Commission", "heartland workforce commission", orgCTID} {
		if iri, err := s.FindOrganization(ctx, in); err != nil || iri != recs[1].IRI {
			t.Errorf("FindOrganization(%q) = %q, %v", in, iri, err)
		}
	}
	if _, err := s.FindOrganization(ctx, "Nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown organization: %v", err)
	}
	if _, err := s.FindOrganization(ctx, credCTID); err == nil {
		t.Error("a credential's CTID was taken for an organization")
	}
}

// legacyTokenStore writes a registry store in dir as credreg with layout
// 2 ("credreg-quadstore 2") left it: the sample records, and its tokens
// as statements of the token graph, as that credreg's CreateToken and
// RevokeToken wrote them (straight through the backend, outside the
// change log). It returns the secrets of an active agency token, of an
// admin token and of a revoked token.
func legacyTokenStore(t *testing.T, dir string) (active, admin, revoked string) {
	t.Helper()
	ctx := context.Background()
	s := openStore(t, dir)
	recs := sampleRecords(t)
	if _, err := s.PutBatch(ctx, "a", recs); err != nil {
		t.Fatal(err)
	}
	created := time.Now().UTC().Truncate(time.Second)
	var secrets []string
	for i, tok := range []Token{
		{ID: "0a0b0c0d0e0f", Agency: recs[1].IRI, Role: RoleAgency, Created: created, Expires: created.Add(time.Hour)},
		{ID: "1a1b1c1d1e1f", Agency: recs[1].IRI, Role: RoleAdmin, Created: created},
		{ID: "2a2b2c2d2e2f", Agency: recs[1].IRI, Role: RoleAgency, Created: created, Revoked: created.Add(time.Second + 123456789)},
	} {
		secret := fmt.Sprintf("crt_%s_secret-%d-%s", tok.ID, i, strings.Repeat("x", 36))
		secrets = append(secrets, secret)
		if err := s.be.Apply(ctx, nil, tokenrec.ToStatements(tokenRec(StoredToken{Token: tok, Hash: hashSecret(secret)}))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	setLayoutKey(t, dir, "credreg-quadstore 2")
	return secrets[0], secrets[1], secrets[2]
}

// setLayoutKey writes a Badger store's layout key.
func setLayoutKey(t *testing.T, dir, layout string) {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(txn *badger.Txn) error { return txn.Set([]byte("mlayout"), []byte(layout)) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// checkLegacyTokens checks a store upgraded from legacyTokenStore: its
// tokens work as they did, the token graph is empty and the change log
// untouched.
func checkLegacyTokens(t *testing.T, s *Store, active, admin, revoked string) {
	t.Helper()
	ctx := context.Background()
	if tok, err := s.Authenticate(ctx, active); err != nil || tok.Admin() || tok.Expires.IsZero() {
		t.Errorf("the active token after the upgrade: %+v, %v", tok, err)
	}
	if tok, err := s.Authenticate(ctx, admin); err != nil || !tok.Admin() {
		t.Errorf("the admin token after the upgrade: %+v, %v", tok, err)
	}
	if _, err := s.Authenticate(ctx, revoked); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("the revoked token after the upgrade: %v, want ErrUnauthorized", err)
	}
	if list, err := s.Tokens(ctx); err != nil || len(list) != 3 {
		t.Errorf("Tokens after the upgrade = %+v, %v", list, err)
	}
	if quads, err := s.quadsByGraph(ctx, quad.IRI(graphTokens)); err != nil || len(quads) != 0 {
		t.Errorf("the token graph holds %d statements after the upgrade (%v)", len(quads), err)
	}
	if s.Sequence() != 3 {
		t.Errorf("sequence %d after the upgrade, want 3", s.Sequence())
	}
}

// TestOpenMovesTokensOutOfTheGraph: a store written with layout 2 opens
// upgraded to layout 3, its tokens in the token keyspace and working as
// before; it writes on.
func TestOpenMovesTokensOutOfTheGraph(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	active, admin, revoked := legacyTokenStore(t, dir)
	s := openStore(t, dir)
	checkLegacyTokens(t, s, active, admin, revoked)
	if err := s.RevokeToken(ctx, "0a0b0c0d0e0f"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, active); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("a token revoked after the upgrade authenticates: %v", err)
	}
	if err := s.RevokeToken(ctx, "2a2b2c2d2e2f"); err == nil || !strings.Contains(err.Error(), "already revoked") {
		t.Errorf("revoking a token revoked before the upgrade: %v", err)
	}
}

// TestTokensAcrossServersOnPostgres: servers sharing one PostgreSQL see
// a token made on one at once on the others, and a token revoked on one
// stops working on the others at once.
func TestTokensAcrossServersOnPostgres(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	open := func() *Store {
		s, err := Open(ctx, dsn, Options{Base: testBaseIRI(t), FollowEvery: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	a, b := open(), open()
	recs := sampleRecords(t)
	if _, err := a.PutBatch(ctx, "a", recs); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Authenticate(ctx, "crt_0a0b0c0d0e0f_"+strings.Repeat("x", 43)); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("an unknown token on b: %v", err)
	}
	secret, tok, err := a.CreateToken(ctx, recs[1].IRI, RoleAgency, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.Authenticate(ctx, secret); err != nil || got.ID != tok.ID {
		t.Fatalf("a token made on a, on b: %+v, %v", got, err)
	}
	if err := b.RevokeToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Authenticate(ctx, secret); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("a token revoked on b still works on a: %v", err)
	}
	if err := a.RevokeToken(ctx, tok.ID); err == nil || !strings.Contains(err.Error(), "already revoked") {
		t.Errorf("revoking on a what b revoked: %v", err)
	}
}
