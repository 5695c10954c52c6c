// Package tokenrec is the stored form of a registry write token, shared
// by the registry and its backends (registry/internal/quadstore and
// registry/internal/pgstore), which keep tokens in a keyspace of their
// own, apart from the statements.
//
// It also reads the form older credregs stored tokens in: statements in
// the graph urn:credreg:graph:tokens (Graph), one subject per token
// (urn:credreg:token:ID) with its secret's hash, agency, creation time,
// role, and optionally its expiry and revocation times. The backends'
// upgrades (Badger layout 3, PostgreSQL schema 3) and the registry's
// migration of cayley kv stores use FromStatements to move them out.
package tokenrec

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/schema"
)

// Precision is that of a token's times: PostgreSQL's timestamptz keeps
// microseconds, so every backend keeps the same (the registry and
// FromStatements round to it), and a copy between backends is exact.
const Precision = time.Microsecond

// Token is a stored write token. Times are UTC, to Precision; a zero time
// is absent.
type Token struct {
	ID      string    `json:"id"`
	Hash    string    `json:"hash"` // "sha256:" and the hex SHA-256 of the secret
	Agency  string    `json:"agency"`
	Role    string    `json:"role"` // "agency" or "admin"
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires,omitzero"`
	Revoked time.Time `json:"revoked,omitzero"`
}

// Marshal is the byte form of t that the Badger backend stores (JSON).
func Marshal(t Token) ([]byte, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("encode token %s: %w", t.ID, err)
	}
	return b, nil
}

// Unmarshal is the inverse of Marshal.
func Unmarshal(b []byte) (Token, error) {
	var t Token
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("decode a stored token: %w", err)
	}
	return t, nil
}

// The statements older credregs stored tokens as.
const (
	// Graph is the graph that held them.
	Graph = "urn:credreg:graph:tokens"
	// SubjectPrefix and the token's id are a token's subject.
	SubjectPrefix = "urn:credreg:token:"

	PredHash    = schema.Credreg + "tokenHash"
	PredAgency  = schema.Credreg + "agency"
	PredExpires = schema.Credreg + "expires"
	PredRevoked = schema.Credreg + "revoked"
	PredRole    = schema.Credreg + "role"
	PredCreated = schema.DCT + "created"
)

// FromStatements reads the tokens of the statements of Graph (statements
// of other graphs are ignored). It returns the tokens, in id order, and
// the statements they were read from (what an upgrade removes); a subject
// without a hash is no token (older credregs did not accept it either)
// and its statements are neither.
func FromStatements(quads []quad.Quad) ([]Token, []quad.Quad) {
	bySubject := map[string][]quad.Quad{}
	for _, q := range quads {
		if string(rdf.IRIOf(q.Label)) != Graph {
			continue
		}
		s := string(rdf.IRIOf(q.Subject))
		if !strings.HasPrefix(s, SubjectPrefix) {
			continue
		}
		bySubject[s] = append(bySubject[s], q)
	}
	var toks []Token
	var used []quad.Quad
	for s, qs := range bySubject {
		t := Token{ID: strings.TrimPrefix(s, SubjectPrefix), Role: "agency"}
		for _, q := range qs {
			switch string(rdf.IRIOf(q.Predicate)) {
			case PredHash:
				t.Hash = rdf.Lexical(q.Object)
			case PredAgency:
				t.Agency = string(rdf.IRIOf(q.Object))
			case PredCreated:
				t.Created = timeOf(q.Object)
			case PredExpires:
				t.Expires = timeOf(q.Object)
			case PredRevoked:
				// Older credregs added one statement per revocation and
				// refused a second; the earliest is the revocation.
				if r := timeOf(q.Object); t.Revoked.IsZero() || r.Before(t.Revoked) {
					t.Revoked = r
				}
			case PredRole:
				if rdf.Lexical(q.Object) == "admin" {
					t.Role = "admin"
				}
			}
		}
		if t.Hash == "" {
			continue
		}
		toks = append(toks, t)
		used = append(used, qs...)
	}
	sort.Slice(toks, func(i, j int) bool { return toks[i].ID < toks[j].ID })
	return toks, used
}

func timeOf(v quad.Value) time.Time {
	if t, ok := v.(quad.Time); ok {
		return time.Time(t).UTC().Truncate(Precision)
	}
	t, err := time.Parse(time.RFC3339Nano, rdf.Lexical(v))
	if err != nil {
		return time.Time{}
	}
	return t.UTC().Truncate(Precision)
}

// ToStatements is t as the statements older credregs stored (what
// FromStatements reads): tests use it to make stores of those versions.
func ToStatements(t Token) []quad.Quad {
	node := quad.IRI(SubjectPrefix + t.ID)
	q := func(p string, o quad.Value) quad.Quad {
		return quad.Quad{Subject: node, Predicate: quad.IRI(p), Object: o, Label: quad.IRI(Graph)}
	}
	out := []quad.Quad{
		q(PredHash, quad.String(t.Hash)),
		q(PredAgency, quad.IRI(t.Agency)),
		q(PredCreated, rdf.DateTime(t.Created)),
		q(PredRole, quad.String(t.Role)),
	}
	if !t.Expires.IsZero() {
		out = append(out, q(PredExpires, rdf.DateTime(t.Expires)))
	}
	if !t.Revoked.IsZero() {
		out = append(out, q(PredRevoked, rdf.DateTime(t.Revoked)))
	}
	return out
}
