package registry

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cayleygraph/quad"
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
	// Only the hash is stored.
	quads, _ := s.quadsByGraph(ctx, quad.IRI(graphTokens))
	for _, q := range quads {
		if strings.Contains(q.Object.String(), secret[17:]) {
			t.Fatalf("the secret is stored in clear: %v", q)
		}
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
