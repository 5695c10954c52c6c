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
	"strings"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/schema"
)

// Write tokens. A token is bound to one agency; the store keeps only its
// hash, in a graph of its own that is never published.
const (
	graphTokens = "urn:credreg:graph:tokens"
	tokenPrefix = "urn:credreg:token:"

	predTokenHash = schema.Credreg + "tokenHash"
	predAgency    = schema.Credreg + "agency"
	predExpires   = schema.Credreg + "expires"
	predRevoked   = schema.Credreg + "revoked"
	predRole      = schema.Credreg + "role"
)

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

// ErrUnauthorized is returned by Authenticate for a token that is unknown,
// wrong, revoked or expired. It does not say which, on purpose.
var ErrUnauthorized = errors.New("invalid token")

// Token describes a write token; its secret is shown once, at creation.
type Token struct {
	ID      string    `json:"id"`
	Agency  string    `json:"agency"` // the agency's IRI
	Role    Role      `json:"role"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires,omitempty"` // zero: never
	Revoked time.Time `json:"revoked,omitempty"` // zero: not revoked
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
	tok := Token{ID: id, Agency: agencyIRI, Role: role, Created: time.Now().UTC().Truncate(time.Second), Expires: expires.UTC()}
	node := quad.IRI(tokenPrefix + id)
	q := func(p string, o quad.Value) quad.Quad {
		return quad.Quad{Subject: node, Predicate: quad.IRI(p), Object: o, Label: quad.IRI(graphTokens)}
	}
	deltas := []quad.Quad{
		q(predTokenHash, quad.String(hashSecret(plain))),
		q(predAgency, quad.IRI(agencyIRI)),
		q(predCreated, timeLiteral(tok.Created)),
		q(predRole, quad.String(string(role))),
	}
	if !expires.IsZero() {
		deltas = append(deltas, q(predExpires, timeLiteral(tok.Expires)))
	}
	if err := s.applyLocked(nil, deltas); err != nil {
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

// applyLocked removes and adds statements atomically under the write lock and syncs.
func (s *Store) applyLocked(remove, add []quad.Quad) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("the store is closed")
	}
	if err := s.be.Apply(context.Background(), remove, add); err != nil {
		return err
	}
	return s.syncStore()
}

// token reads a token's description, or ErrNotFound.
func (s *Store) token(ctx context.Context, id string) (Token, string, error) {
	quads, err := s.quadsBySubject(ctx, quad.IRI(tokenPrefix+id))
	if err != nil {
		return Token{}, "", err
	}
	tok := Token{ID: id, Role: RoleAgency}
	var hash string
	for _, q := range quads {
		if asIRI(q.Label) != graphTokens {
			continue
		}
		switch asIRI(q.Predicate) {
		case predTokenHash:
			hash = literalOf(q.Object)
		case predAgency:
			tok.Agency = string(asIRI(q.Object))
		case predCreated:
			tok.Created, _ = time.Parse(time.RFC3339Nano, literalOf(q.Object))
		case predExpires:
			tok.Expires, _ = time.Parse(time.RFC3339Nano, literalOf(q.Object))
		case predRevoked:
			tok.Revoked, _ = time.Parse(time.RFC3339Nano, literalOf(q.Object))
		case predRole:
			if literalOf(q.Object) == string(RoleAdmin) {
				tok.Role = RoleAdmin
			}
		}
	}
	if hash == "" {
		return Token{}, "", fmt.Errorf("token %s: %w", id, ErrNotFound)
	}
	return tok, hash, nil
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
	quads, err := s.quadsByGraph(ctx, quad.IRI(graphTokens))
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	seen := map[string]bool{}
	var out []Token
	for _, q := range quads {
		id := strings.TrimPrefix(string(asIRI(q.Subject)), tokenPrefix)
		if seen[id] {
			continue
		}
		seen[id] = true
		tok, _, err := s.token(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, tok)
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
// takes effect at once, on a running server too: every write
// authenticates against the store.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	tok, _, err := s.token(ctx, id)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if !tok.Revoked.IsZero() {
		return fmt.Errorf("revoke token %s: already revoked on %s", id, tok.Revoked.Format(time.RFC3339))
	}
	return s.applyLocked(nil, []quad.Quad{
		{Subject: quad.IRI(tokenPrefix + id), Predicate: quad.IRI(predRevoked), Object: timeLiteral(time.Now().UTC()), Label: quad.IRI(graphTokens)},
	})
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
