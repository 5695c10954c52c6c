package catalog

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"credreg/schema"
)

// CredentialKey is what an import knows of a credential it is given, to
// find the one the registry already holds. Empty fields are not used.
type CredentialKey struct {
	// Source and Code are an organization's own key of the credential (an
	// agency's row key): a stored ceterms:identifier with that
	// credreg:identifierSource and code.
	Source, Code string
	// SameAs is another IRI of the credential (owl:sameAs).
	SameAs string
	// Name and Owner are the credential's name (compared as
	// schema.NameKey folds it) and its owning organization's IRI; with no
	// Owner, any credential of that name matches.
	Name, Owner string
}

// Match rules, in the order MatchCredential tries them.
const (
	MatchKey       = "agency key"
	MatchSameAs    = "owl:sameAs"
	MatchNameOwner = "name and owner"
	MatchName      = "name"
)

// CredentialMatch is what MatchCredential found under one rule.
type CredentialMatch struct {
	// Rule is the rule that found the candidates.
	Rule string
	// Candidates are the credentials it found, sorted by IRI: one is a
	// match, several are ambiguous.
	Candidates []*CredentialView
}

// MatchCredential finds the stored credentials k names, trying the rules
// in order (the agency's key, owl:sameAs, name and owner, name alone when
// k has no owner) and returning the first rule that finds any. Retired
// credentials are candidates too: a re-import must not recreate them. A
// zero CredentialMatch means none is stored.
func (c *Catalog) MatchCredential(ctx context.Context, k CredentialKey) (CredentialMatch, error) {
	ix, err := c.listIndex(ctx)
	if err != nil {
		return CredentialMatch{}, fmt.Errorf("match credential: %w", err)
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	try := func(rule, key string) (CredentialMatch, bool) {
		m := CredentialMatch{Rule: rule}
		ix.matchKeys.each(key, func(e *credEntry) {
			if rule == MatchNameOwner && !slices.Contains(e.view.OwnedBy, k.Owner) {
				return
			}
			m.Candidates = append(m.Candidates, e.view)
		})
		sort.Slice(m.Candidates, func(i, j int) bool { return m.Candidates[i].IRI < m.Candidates[j].IRI })
		return m, len(m.Candidates) > 0
	}
	if k.Code != "" {
		if m, ok := try(MatchKey, identifierKey(k.Source, k.Code)); ok {
			return m, nil
		}
	}
	if k.SameAs != "" {
		if m, ok := try(MatchSameAs, "same\x00"+k.SameAs); ok {
			return m, nil
		}
	}
	if name := schema.NameKey(k.Name); name != "" {
		rule := MatchName
		if k.Owner != "" {
			rule = MatchNameOwner
		}
		if m, ok := try(rule, "name\x00"+name); ok {
			return m, nil
		}
	}
	return CredentialMatch{}, nil
}

// credentialMatchKeys are the keys the index finds a credential by.
func credentialMatchKeys(v *CredentialView) []string {
	var out []string
	if k := schema.NameKey(v.Name); k != "" {
		out = append(out, "name\x00"+k)
	}
	for _, iri := range v.SameAs {
		out = append(out, "same\x00"+iri)
	}
	for _, id := range v.Identifiers {
		out = append(out, identifierKey(id.Source, id.Code))
	}
	return out
}

func identifierKey(source, code string) string {
	return "key\x00" + source + "\x00" + strings.ToLower(strings.TrimSpace(code))
}
