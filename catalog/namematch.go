package catalog

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/cayleygraph/quad"

	"credreg/schema"
)

// Matching a credential's name as a person types it, for the employer's
// check: the exact name first, then a short name, then the closest
// credentials by the list's forgiving search (see search.go).

// NameMatch is what a name, as a person types it, finds among the
// credentials.
type NameMatch struct {
	// Credentials are the IRIs the name means, sorted: the credentials
	// named so (ignoring case and spacing), or else those whose short
	// name it is: the part of the name in parentheses ("Cisco Certified
	// Network Associate (CCNA)": CCNA) or its initials ("Certified Nursing
	// Assistant": CNA).
	Credentials []string
	// By says how Credentials matched: MatchedByName or MatchedByShortName;
	// "" when none did.
	By string
	// Candidates are the closest credentials when none matched, best
	// first: those holding the most words of the name, then by the
	// search's rank.
	Candidates []*CredentialView
}

// How a NameMatch's credentials matched.
const (
	MatchedByName      = "name"
	MatchedByShortName = "short name"
)

// MaxNameCandidates caps the candidates MatchName returns.
const MaxNameCandidates = 20

// MatchName finds the credentials a name means, or at most n candidates
// (capped at MaxNameCandidates) close to it.
func (c *Catalog) MatchName(ctx context.Context, name string, n int) (*NameMatch, error) {
	name = strings.TrimSpace(name)
	out := &NameMatch{}
	if name == "" {
		return out, nil
	}
	exact, err := c.exactName(ctx, name)
	if err != nil {
		return nil, err
	}
	if len(exact) > 0 {
		out.Credentials, out.By = exact, MatchedByName
		return out, nil
	}
	ix, err := c.listIndex(ctx)
	if err != nil {
		return nil, fmt.Errorf("match name %q: %w", name, err)
	}
	ws := searchWords(name)
	if len(ws) == 0 {
		return out, nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	hits := ix.nameHits(ws)
	want := foldName(name)
	for _, h := range hits {
		if h.words == len(ws) && strings.HasPrefix(h.e.key, want+"\x00") {
			out.Credentials = append(out.Credentials, h.e.view.IRI)
		}
	}
	if len(out.Credentials) == 0 {
		short := strings.ReplaceAll(want, " ", "")
		for _, h := range hits {
			if h.words == len(ws) && hasShortName(h.e.view.Name, short) {
				out.Credentials = append(out.Credentials, h.e.view.IRI)
			}
		}
		if len(out.Credentials) > 0 {
			out.By = MatchedByShortName
		}
	} else {
		out.By = MatchedByName
	}
	if len(out.Credentials) > 0 {
		sort.Strings(out.Credentials)
		return out, nil
	}
	n = min(max(n, 0), MaxNameCandidates)
	for _, h := range hits[:min(n, len(hits))] {
		out.Candidates = append(out.Candidates, h.e.view)
	}
	return out, nil
}

// exactName returns the credentials whose ceterms:name is exactly name.
func (c *Catalog) exactName(ctx context.Context, name string) ([]string, error) {
	subjects, err := c.store.RecordsWith(ctx, schema.Name, quad.String(name))
	if err != nil {
		return nil, fmt.Errorf("find %q: %w", name, err)
	}
	var out []string
	for _, iri := range subjects {
		ok, err := c.isCredential(ctx, iri)
		if err != nil {
			return nil, fmt.Errorf("find %q: %w", name, err)
		}
		if ok {
			out = append(out, iri)
		}
	}
	return out, nil
}

// nameHit is a credential holding some words of a name.
type nameHit struct {
	e     *credEntry
	words int // how many of the name's words it holds
	score int
}

// nameHits returns the current credentials holding at least one word of
// ws, most words first, then by score, then in list order. The caller
// holds ix.mu for reading.
func (ix *listIndex) nameHits(ws []string) []nameHit {
	byCred := map[*credEntry]*nameHit{}
	for _, w := range ws {
		alts := ix.expand(w)
		best := map[*credEntry]int{}
		written := map[*credEntry]int{}
		for _, a := range alts {
			for _, p := range ix.text[a.term] {
				if !ix.currentPosting(p) {
					continue
				}
				e := ix.creds[p.cid]
				n := int(p.weight) * a.strength
				if a.raw() {
					written[e] = n
				} else if n > best[e] {
					best[e] = n
				}
			}
		}
		for e, n := range best {
			h := byCred[e]
			if h == nil {
				h = &nameHit{e: e}
				byCred[e] = h
			}
			h.words++
			h.score += n + written[e]
		}
	}
	hits := make([]nameHit, 0, len(byCred))
	for _, h := range byCred {
		hits = append(hits, *h)
	}
	sort.Slice(hits, func(i, j int) bool {
		a, b := hits[i], hits[j]
		if a.words != b.words {
			return a.words > b.words
		}
		if a.score != b.score {
			return a.score > b.score
		}
		return a.e.key < b.e.key
	})
	return hits
}

// hasShortName reports whether short (folded, without spaces) is the part
// of name in parentheses or the initials of the rest.
func hasShortName(name, short string) bool {
	if short == "" {
		return false
	}
	if i := strings.IndexByte(name, '('); i >= 0 {
		if j := strings.IndexByte(name[i:], ')'); j > 0 {
			if strings.ReplaceAll(foldName(name[i+1:i+j]), " ", "") == short {
				return true
			}
		}
	}
	return initials(name) == short
}
