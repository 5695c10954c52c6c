package registry

// The token parts of the store contract suite (testBackendContract).

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"
)

func contractTokenData() []StoredToken {
	created := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	return []StoredToken{
		{Token: Token{ID: "0a0b0c0d0e0f", Agency: "https://example.org/resources/a", Role: RoleAgency, Created: created}, Hash: "sha256:" + fmt.Sprintf("%064x", 1)},
		{Token: Token{ID: "1a1b1c1d1e1f", Agency: "https://example.org/resources/b", Role: RoleAdmin, Created: created, Expires: created.Add(90 * 24 * time.Hour).Add(123456 * time.Microsecond)}, Hash: "sha256:" + fmt.Sprintf("%064x", 2)},
		{Token: Token{ID: "2a2b2c2d2e2f", Agency: "https://example.org/resources/a", Role: RoleAgency, Created: created, Revoked: created.Add(time.Minute + time.Microsecond)}, Hash: "sha256:" + fmt.Sprintf("%064x", 3)},
	}
}

// sameTokens compares tokens field by field, times by instant.
func sameTokens(t *testing.T, what string, got, want []StoredToken) {
	t.Helper()
	line := func(ts []StoredToken) []string {
		out := make([]string, len(ts))
		for i, tok := range ts {
			out[i] = tokenLine(tok)
		}
		return out
	}
	if !reflect.DeepEqual(line(got), line(want)) {
		t.Fatalf("%s:\ngot  %q\nwant %q", what, line(got), line(want))
	}
}

func contractTokens(t *testing.T, newBackend contractBackend) {
	be, _ := newBackend(t)
	if list, err := be.ListTokens(contractCtx); err != nil || len(list) != 0 {
		t.Fatalf("ListTokens of an empty store = %v, %v", list, err)
	}
	toks := contractTokenData()
	for _, i := range []int{2, 0, 1} { // listed in id order whatever the order of writing
		if err := be.PutToken(contractCtx, toks[i]); err != nil {
			t.Fatalf("PutToken %s: %v", toks[i].ID, err)
		}
	}
	for _, tok := range toks {
		got, err := be.GetToken(contractCtx, tok.ID)
		if err != nil {
			t.Fatalf("GetToken %s: %v", tok.ID, err)
		}
		sameTokens(t, "GetToken", []StoredToken{got}, []StoredToken{tok})
	}
	if _, err := be.GetToken(contractCtx, "ffffffffffff"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetToken of an unknown id = %v, want ErrNotFound", err)
	}
	// A taken id: ErrConflict, nothing written.
	other := toks[0]
	other.Hash, other.Agency = "sha256:"+fmt.Sprintf("%064x", 9), "https://example.org/resources/z"
	if err := be.PutToken(contractCtx, other); !errors.Is(err, ErrConflict) {
		t.Errorf("PutToken of a taken id = %v, want ErrConflict", err)
	}
	list, err := be.ListTokens(contractCtx)
	if err != nil {
		t.Fatal(err)
	}
	sameTokens(t, "ListTokens", list, toks)
	// Tokens are no statements.
	if n, err := be.Count(contractCtx, Pattern{}); err != nil || n != 0 {
		t.Errorf("Count with only tokens stored = %d, %v; want 0", n, err)
	}
	if got := scanAll(t, be, Pattern{}); len(got) != 0 {
		t.Errorf("Scan with only tokens stored = %d statements", len(got))
	}
	// And statements are no tokens.
	contractApplyOK(t, be, nil, contractData())
	list, err = be.ListTokens(contractCtx)
	if err != nil {
		t.Fatal(err)
	}
	sameTokens(t, "ListTokens beside statements", list, toks)
}

func contractTokenRevoke(t *testing.T, newBackend contractBackend) {
	be, _ := newBackend(t)
	toks := contractTokenData()
	for _, tok := range toks {
		if err := be.PutToken(contractCtx, tok); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 12, 1, 8, 0, 0, 5000, time.UTC)
	got, err := be.RevokeToken(contractCtx, toks[0].ID, at)
	if err != nil || !got.Revoked.Equal(at) || got.Hash != toks[0].Hash {
		t.Fatalf("RevokeToken = %+v, %v", got, err)
	}
	// Revoked once: a second revocation (or one of a revoked token) is
	// ErrConflict and keeps the first time.
	for _, id := range []string{toks[0].ID, toks[2].ID} {
		before, _ := be.GetToken(contractCtx, id)
		got, err := be.RevokeToken(contractCtx, id, at.Add(time.Hour))
		if !errors.Is(err, ErrConflict) || !got.Revoked.Equal(before.Revoked) {
			t.Errorf("RevokeToken of revoked %s = %+v, %v; want ErrConflict and the stored time %v", id, got, err, before.Revoked)
		}
	}
	if _, err := be.RevokeToken(contractCtx, "ffffffffffff", at); !errors.Is(err, ErrNotFound) {
		t.Errorf("RevokeToken of an unknown id = %v, want ErrNotFound", err)
	}
	if got, err := be.GetToken(contractCtx, toks[0].ID); err != nil || !got.Revoked.Equal(at) {
		t.Errorf("GetToken after the revocation = %+v, %v", got, err)
	}
	// Of writers revoking one token at once, one succeeds.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, conflicts := 0, 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := be.RevokeToken(contractCtx, toks[1].ID, at.Add(time.Duration(i)*time.Second))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, ErrConflict):
				conflicts++
			default:
				t.Errorf("concurrent RevokeToken: %v", err)
			}
		}(i)
	}
	wg.Wait()
	if wins != 1 || conflicts != 7 {
		t.Errorf("concurrent revocations: %d succeeded, %d conflicted; want 1 and 7", wins, conflicts)
	}
}

func contractTokensReopen(t *testing.T, newBackend contractBackend) {
	be, reopen := newBackend(t)
	toks := contractTokenData()
	for _, tok := range toks {
		if err := be.PutToken(contractCtx, tok); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	if _, err := be.RevokeToken(contractCtx, toks[1].ID, at); err != nil {
		t.Fatal(err)
	}
	toks[1].Revoked = at
	if err := be.Sync(); err != nil {
		t.Fatal(err)
	}
	be = reopen()
	list, err := be.ListTokens(contractCtx)
	if err != nil {
		t.Fatal(err)
	}
	sameTokens(t, "after a reopen", list, toks)
}
