package registry

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/registry/internal/tokenrec"
	"credreg/schema"
)

// Write tokens. A token is bound to one agency; the store keeps only its
// hash, in the backend's token keyspace (Backend.PutToken and its
// siblings), apart from the statements and never published.
//
// graphTokens is the graph where older credregs kept tokens as
// statements; the backends' upgrades move them out (tokenrec), and it
// stays among the bookkeeping graphs, which fragments and the dump leave
// out.
const graphTokens = tokenrec.Graph

// Role is what a token may do.
type Role string

// Roles of tokens.
const (
	// RoleAgency writes for its agency under registry.Authorize's rule.
	RoleAgency Role = "agency"
	// RoleAdmin is the registry's operator over HTTP: it may write
	// anything (reference data, any agency's records) and revoke any
	// token; its writes are named in the change log by its agency.
	RoleAdmin Role = "admin"
)

// ParseRole reads a role's name.
func ParseRole(s string) (Role, error) {
	switch Role(strings.ToLower(strings.TrimSpace(s))) {
	case RoleAgency, "":
		return RoleAgency, nil
	case RoleAdmin:
		return RoleAdmin, nil
	}
	return "", fmt.Errorf("%q is not a role: use agency or admin", s)
}

// maxTokenDays bounds a token's life given in days (100 years).
const maxTokenDays = 36500

// ParseExpiry reads when a token stops working, as given by whoever
// makes it: a date (2027-06-30: the end of that day, UTC), a number of
// days from now (90d), or an RFC 3339 time. It must be after now.
func ParseExpiry(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	var t time.Time
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 || n > maxTokenDays {
			return time.Time{}, fmt.Errorf("%q: expected a number of days from 1 to %d, like 90d", s, maxTokenDays)
		}
		return now.AddDate(0, 0, n), nil
	}
	if at, err := time.Parse(time.RFC3339, s); err == nil {
		t = at
	} else if day, err := time.Parse(time.DateOnly, s); err == nil {
		t = day.Add(24*time.Hour - time.Second)
	} else {
		return time.Time{}, fmt.Errorf("%q: expected a date (2027-06-30), days (90d) or an RFC 3339 time", s)
	}
	if !t.After(now) {
		return time.Time{}, fmt.Errorf("%q is in the past", s)
	}
	return t, nil
}

// ErrUnauthorized is returned by Authenticate for a token that is unknown,
// wrong, revoked or expired. It does not say which, on purpose.
var ErrUnauthorized = errors.New("invalid token")

// Token describes a write token; its secret is shown once, at creation.
type Token struct {
	ID      string    `json:"id"`
	Agency  string    `json:"agency"` // the agency's IRI
	Role    Role      `json:"role"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires,omitzero"` // zero (absent in JSON): never
	Revoked time.Time `json:"revoked,omitzero"` // zero (absent in JSON): not revoked
}

// Admin reports whether the token is an administrator's.
func (t Token) Admin() bool { return t.Role == RoleAdmin }

// Active reports whether the token may be used at time t.
func (t Token) Active(at time.Time) bool {
	return t.Revoked.IsZero() && (t.Expires.IsZero() || at.Before(t.Expires))
}

// CreateToken makes a token for the agency (an organization record in the
// store) and returns its secret, which is not stored and cannot be shown
// again.
func (s *Store) CreateToken(ctx context.Context, agencyIRI string, role Role, expires time.Time) (string, Token, error) {
	if role != RoleAgency && role != RoleAdmin {
		return "", Token{}, fmt.Errorf("create token: %q is not a role", role)
	}
	rec, err := s.Get(ctx, agencyIRI)
	if err != nil {
		return "", Token{}, fmt.Errorf("create token: agency %s: %w", agencyIRI, err)
	}
	if !isOrganization(rec) {
		return "", Token{}, fmt.Errorf("create token: %s is not an organization", agencyIRI)
	}
	var idb [6]byte
	var secret [32]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return "", Token{}, fmt.Errorf("create token: %w", err)
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return "", Token{}, fmt.Errorf("create token: %w", err)
	}
	id := hex.EncodeToString(idb[:])
	plain := "crt_" + id + "_" + base64.RawURLEncoding.EncodeToString(secret[:])
	tok := Token{ID: id, Agency: agencyIRI, Role: role, Created: time.Now().UTC().Truncate(time.Second)}
	if !expires.IsZero() {
		tok.Expires = expires.UTC().Truncate(tokenrec.Precision)
	}
	err = s.tokenWrite(func() error {
		return s.be.PutToken(ctx, StoredToken{Token: tok, Hash: hashSecret(plain)})
	})
	if err != nil {
		return "", Token{}, fmt.Errorf("create token: %w", err)
	}
	return plain, tok, nil
}

func isOrganization(rec *Record) bool {
	for _, q := range rec.Quads {
		if q.Subject == quad.IRI(rec.IRI) && q.Predicate == quad.IRI(schema.RDFType) {
			switch q.Object {
			case quad.IRI(schema.ClassCredentialOrganization), quad.IRI(schema.ClassQACredentialOrganization), quad.IRI(schema.ClassAgency):
				return true
			}
		}
	}
	return false
}

func hashSecret(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// tokenWrite runs a token write under the write lock, then syncs.
func (s *Store) tokenWrite(write func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("the store is closed")
	}
	if err := write(); err != nil {
		return err
	}
	return s.syncStore()
}

// token reads a token's description and its secret's hash, or an error
// wrapping ErrNotFound.
func (s *Store) token(ctx context.Context, id string) (Token, string, error) {
	t, err := s.be.GetToken(ctx, id)
	if err != nil {
		return Token{}, "", err
	}
	if t.Role != RoleAdmin {
		t.Role = RoleAgency
	}
	return t.Token, t.Hash, nil
}

// Authenticate returns the token a secret belongs to, if it is active; the
// comparison of hashes takes constant time.
func (s *Store) Authenticate(ctx context.Context, secret string) (Token, error) {
	parts := strings.SplitN(secret, "_", 3)
	if len(parts) != 3 || parts[0] != "crt" || len(parts[1]) != 12 || !isHex(parts[1]) {
		return Token{}, ErrUnauthorized
	}
	tok, hash, err := s.token(ctx, parts[1])
	if errors.Is(err, ErrNotFound) {
		return Token{}, ErrUnauthorized
	}
	if err != nil {
		return Token{}, err
	}
	if subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(hash)) != 1 || !tok.Active(time.Now()) {
		return Token{}, ErrUnauthorized
	}
	return tok, nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// Tokens lists every token, newest first.
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	stored, err := s.be.ListTokens(ctx)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	out := make([]Token, len(stored))
	for i, t := range stored {
		out[i] = t.Token
		if out[i].Role != RoleAdmin {
			out[i].Role = RoleAgency
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Created.After(out[j].Created) || out[i].Created.Equal(out[j].Created) && out[i].ID < out[j].ID
	})
	return out, nil
}

// Token returns the token id, an error wrapping ErrNotFound when there is
// none.
func (s *Store) Token(ctx context.Context, id string) (Token, error) {
	tok, _, err := s.token(ctx, id)
	return tok, err
}

// RevokeToken revokes a token by its id; revoking twice is an error. It
// takes effect at once, on a running server too, and on every server
// sharing the store: every write authenticates against the store.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	var stored StoredToken
	err := s.tokenWrite(func() error {
		var err error
		stored, err = s.be.RevokeToken(ctx, id, time.Now().UTC().Truncate(tokenrec.Precision))
		return err
	})
	if errors.Is(err, ErrConflict) && !stored.Revoked.IsZero() {
		return fmt.Errorf("revoke token %s: already revoked on %s", id, stored.Revoked.Format(time.RFC3339))
	}
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// FindOrganization resolves an organization by CTID or by its exact name
// (regardless of case). It fails when none or several match.
func (s *Store) FindOrganization(ctx context.Context, nameOrCTID string) (string, error) {
	v := strings.TrimSpace(nameOrCTID)
	if schema.ValidCTID(v) {
		iri := s.base.Resource(v)
		rec, err := s.Get(ctx, iri)
		if err != nil {
			return "", fmt.Errorf("organization %s: %w", v, err)
		}
		if !isOrganization(rec) {
			return "", fmt.Errorf("%s is not an organization", v)
		}
		return iri, nil
	}
	var found []string
	for _, class := range []string{schema.ClassCredentialOrganization, schema.ClassQACredentialOrganization, schema.ClassAgency} {
		orgs, err := s.Subjects(ctx, schema.RDFType, quad.IRI(class))
		if err != nil {
			return "", err
		}
		for _, o := range orgs {
			name, err := s.Label(ctx, o)
			if err != nil {
				return "", err
			}
			if strings.EqualFold(name, v) && !contains(found, o) {
				found = append(found, o)
			}
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("no organization named %q: %w", v, ErrNotFound)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%d organizations are named %q (%s): give the CTID", len(found), v, strings.Join(found, ", "))
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
