package registry

// The umbrella list's index: credentials, their value designations and the
// names of what they link to, held in memory so that the list's filters,
// full-text search and paging never walk quads. It is built from one scan
// of the store on first use and kept current by every write, under the
// store's write lock, so a list read after a write sees it.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/cayleygraph/quad"

	"credreg/schema"
)

// Facets a credential or a designation is indexed under.
const (
	facetSOC byte = iota + 1
	facetCIP
	facetNAICS
	facetCompetency
	facetType
	facetCluster // a designation's Cluster or Sub-Cluster
	facetAgency
	facetRegion // NameKey of the region
	facetCriterion
)

type facetKey struct {
	facet byte
	value string
}

// credEntry is one credential of the index.
type credEntry struct {
	view *CredentialView
	// key orders the list: the folded name, then the IRI.
	key string
	// tokens are the credential's full-text terms with their weight; the
	// text postings that name this entry are valid while it is current.
	tokens  map[string]int
	current bool
}

// textPosting is one credential of a term's posting list. Postings are
// appended and never removed one by one: those of entries that are no
// longer current are skipped and swept out when they pile up.
type textPosting struct {
	e      *credEntry
	weight int
}

// term is a resource other than a credential or designation that filters
// and pages name: a Cluster or Sub-Cluster, a SOC, CIP or NAICS code, a
// value criterion, an organization or a competency.
type term struct {
	iri, label, notation, kind string
	parent                     string // a Sub-Cluster's Cluster
}

// Kinds of terms.
const (
	kindCluster    = "cluster"
	kindSubCluster = "subcluster"
	kindSOC        = "soc"
	kindCIP        = "cip"
	kindNAICS      = "naics"
	kindCriterion  = "criteria"
	kindOrg        = "agency"
	kindCompetency = "competency"
)

// listIndex is the index. Readers take mu for reading; updates run under
// the store's write lock and take mu for writing.
type listIndex struct {
	buildMu sync.Mutex // one build at a time

	mu    sync.RWMutex
	ready bool
	seq   uint64 // the change-log sequence the index reflects
	gen   uint64 // bumped by every update

	creds  map[string]*credEntry
	desigs map[string]*DesignationView
	// byCred holds the designations of each credential IRI, whether or
	// not the credential itself is indexed yet.
	byCred     map[string]map[string]*DesignationView
	credFacets map[facetKey]map[*credEntry]struct{}
	desFacets  map[facetKey]map[*DesignationView]struct{}
	text       map[string][]textPosting
	stale      int // postings of entries no longer current

	terms    map[string]*term
	termKeys map[string]map[string][]string // kind -> NameKey(label) or notation -> IRIs
	children map[string][]string            // Cluster IRI -> Sub-Cluster IRIs
}

func newListIndex() *listIndex {
	return &listIndex{
		creds:      map[string]*credEntry{},
		desigs:     map[string]*DesignationView{},
		byCred:     map[string]map[string]*DesignationView{},
		credFacets: map[facetKey]map[*credEntry]struct{}{},
		desFacets:  map[facetKey]map[*DesignationView]struct{}{},
		text:       map[string][]textPosting{},
		terms:      map[string]*term{},
		termKeys:   map[string]map[string][]string{},
		children:   map[string][]string{},
	}
}

// listIndex returns the store's list index, building it on first use.
func (s *Store) listIndex(ctx context.Context) (*listIndex, error) {
	ix := s.list
	ix.mu.RLock()
	ready := ix.ready
	ix.mu.RUnlock()
	if ready {
		return ix, nil
	}
	ix.buildMu.Lock()
	defer ix.buildMu.Unlock()
	ix.mu.RLock()
	ready = ix.ready
	ix.mu.RUnlock()
	if ready {
		return ix, nil
	}
	if err := s.buildListIndex(ctx); err != nil {
		return nil, err
	}
	return ix, nil
}

// WarmList builds the umbrella list's index now (it is otherwise built by
// the first list query), logging its progress. Servers call it at start.
func (s *Store) WarmList(ctx context.Context) error {
	_, err := s.listIndex(ctx)
	return err
}

// listPredicates are the statements the index reads; the scan that
// builds it keeps no other.
var listPredicates = map[quad.IRI]bool{}

func init() {
	for _, p := range []string{
		schema.RDFType, schema.CTID, schema.Name, schema.Description, schema.OwnedBy, schema.OfferedBy,
		schema.OccupationType, schema.IndustryType, schema.InstructionalProgramType, schema.TargetCompetency,
		schema.Cluster, schema.SubCluster, schema.SupersededBy, schema.LastVerified, schema.RecordStatus,
		schema.RetiredOn, schema.RetirementReason, schema.DesignatingAgency, schema.DesignatedFor,
		schema.Region, schema.ValidFrom, schema.ValidThrough, schema.Criterion, schema.Evidence,
		schema.MedianAnnualWage, schema.ProjectedOpenings, dataSource, schema.DataYear,
		schema.PrefLabel, schema.Notation, schema.InScheme, schema.Broader, schema.CompetencyText, schema.Title,
	} {
		listPredicates[quad.IRI(p)] = true
	}
}

// buildListIndex scans the store once, then catches up with the writes
// that committed during the scan (from the change log, under the write
// lock) and marks the index ready. Called with buildMu held.
func (s *Store) buildListIndex(ctx context.Context) error {
	start := time.Now()
	from := s.Sequence()
	records := map[string][]quad.Quad{}
	n := 0
	err := s.scanAllQuads(ctx, func(q quad.Quad) error {
		n++
		if n%500_000 == 0 {
			s.log.Info("list index: scanning", "statements", n, "records", len(records), "elapsed", time.Since(start).Round(time.Millisecond))
		}
		label := string(asIRI(q.Label))
		if label == "" || strings.HasPrefix(label, "urn:credreg:") || !listPredicates[asIRI(q.Predicate)] {
			return nil
		}
		records[label] = append(records[label], q)
		return nil
	})
	if err != nil {
		return fmt.Errorf("build the list index: %w", err)
	}
	ix := s.list
	ix.mu.Lock()
	for iri, quads := range records {
		ix.apply(s.base, iri, quads)
	}
	ix.mu.Unlock()
	// Writes that committed during the scan may be missing or half seen:
	// read them again, holding the write lock so that none slips between.
	s.mu.Lock()
	defer s.mu.Unlock()
	to := s.seq
	for seq := from + 1; seq <= to; seq++ {
		c, err := s.readChange(ctx, seq)
		if err != nil {
			return fmt.Errorf("build the list index: catch up at change %d: %w", seq, err)
		}
		rec, err := s.getLocked(ctx, c.IRI)
		var quads []quad.Quad
		if err == nil {
			quads = rec.Quads
		} else if !isNotFound(err) {
			return fmt.Errorf("build the list index: catch up %s: %w", c.IRI, err)
		}
		ix.mu.Lock()
		ix.apply(s.base, c.IRI, quads)
		ix.mu.Unlock()
	}
	ix.mu.Lock()
	ix.seq = to
	ix.ready = true
	creds, desigs := len(ix.creds), len(ix.desigs)
	ix.mu.Unlock()
	s.log.Info("list index ready", "credentials", creds, "designations", desigs,
		"statements_scanned", n, "caught_up", to-from, "elapsed", time.Since(start).Round(time.Millisecond))
	return nil
}

// updateList applies written records to the index. It runs under the
// store's write lock, after the write committed; before the index is built
// it does nothing (the build catches up from the change log).
func (s *Store) updateList(seq uint64, recs []Record) {
	ix := s.list
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.ready {
		return
	}
	for _, r := range recs {
		ix.apply(s.base, r.IRI, r.Quads)
	}
	ix.seq = seq
}

// apply replaces whatever the index holds for the record iri by what its
// statements say (nothing, when quads is empty). Called with mu held.
func (ix *listIndex) apply(base schema.Base, iri string, quads []quad.Quad) {
	ix.gen++
	ix.removeCredential(iri)
	ix.removeDesignation(iri)
	ix.removeTerm(iri)
	if len(quads) == 0 {
		return
	}
	rec := &Record{IRI: iri, Quads: quads}
	var isCred, isDesig bool
	var types []string
	for _, q := range quads {
		if asIRI(q.Subject) == quad.IRI(iri) && asIRI(q.Predicate) == schema.RDFType {
			t := string(asIRI(q.Object))
			types = append(types, t)
			isCred = isCred || schema.IsCredentialType(t)
			isDesig = isDesig || t == schema.ClassValueDesignation
		}
	}
	switch {
	case isCred:
		ix.addCredential(viewCredential(rec))
	case isDesig:
		d := ViewDesignation(rec)
		d.Record = nil
		ix.addDesignation(&d)
	default:
		ix.addTerm(base, iri, types, quads)
	}
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

func (ix *listIndex) addCredential(v *CredentialView) {
	v.Record = nil
	e := &credEntry{view: v, key: foldName(v.Name) + "\x00" + v.IRI, current: true, tokens: map[string]int{}}
	ix.creds[v.IRI] = e
	add := func(f byte, vals ...string) {
		for _, val := range vals {
			k := facetKey{f, val}
			set := ix.credFacets[k]
			if set == nil {
				set = map[*credEntry]struct{}{}
				ix.credFacets[k] = set
			}
			set[e] = struct{}{}
		}
	}
	add(facetSOC, v.Occupations...)
	add(facetCIP, v.Programs...)
	add(facetNAICS, v.Industries...)
	add(facetCompetency, v.Competencies...)
	add(facetType, v.Types...)
	// Full text: a term in the name weighs 3, in the description 1 per
	// occurrence (at most 3).
	for _, t := range textTerms(v.Name) {
		if e.tokens[t] < 3 {
			e.tokens[t] += 3
		}
	}
	desc := map[string]int{}
	for _, t := range textTerms(v.Description) {
		desc[t]++
	}
	for t, n := range desc {
		e.tokens[t] += min(n, 3)
	}
	for t, w := range e.tokens {
		ix.text[t] = append(ix.text[t], textPosting{e, w})
	}
}

func (ix *listIndex) removeCredential(iri string) {
	e := ix.creds[iri]
	if e == nil {
		return
	}
	delete(ix.creds, iri)
	e.current = false
	v := e.view
	del := func(f byte, vals ...string) {
		for _, val := range vals {
			k := facetKey{f, val}
			if set := ix.credFacets[k]; set != nil {
				delete(set, e)
				if len(set) == 0 {
					delete(ix.credFacets, k)
				}
			}
		}
	}
	del(facetSOC, v.Occupations...)
	del(facetCIP, v.Programs...)
	del(facetNAICS, v.Industries...)
	del(facetCompetency, v.Competencies...)
	del(facetType, v.Types...)
	ix.stale += len(e.tokens)
	if ix.stale > 1<<16 && ix.stale > len(ix.creds)*4 {
		ix.sweepText()
	}
}

// sweepText drops the postings of entries that are no longer current.
func (ix *listIndex) sweepText() {
	for t, ps := range ix.text {
		out := ps[:0]
		for _, p := range ps {
			if p.e.current {
				out = append(out, p)
			}
		}
		if len(out) == 0 {
			delete(ix.text, t)
			continue
		}
		clear(ps[len(out):])
		ix.text[t] = out
	}
	ix.stale = 0
}

// designationFacets are the facet keys of a designation.
func designationFacets(d *DesignationView) []facetKey {
	var ks []facetKey
	for _, c := range d.Clusters {
		ks = append(ks, facetKey{facetCluster, c})
	}
	for _, c := range d.SubClusters {
		ks = append(ks, facetKey{facetCluster, c})
	}
	if d.Agency != "" {
		ks = append(ks, facetKey{facetAgency, d.Agency})
	}
	if d.Region != "" {
		ks = append(ks, facetKey{facetRegion, schema.NameKey(d.Region)})
	}
	for _, c := range d.Criteria {
		ks = append(ks, facetKey{facetCriterion, c})
	}
	return ks
}

func (ix *listIndex) addDesignation(d *DesignationView) {
	ix.desigs[d.IRI] = d
	m := ix.byCred[d.Credential]
	if m == nil {
		m = map[string]*DesignationView{}
		ix.byCred[d.Credential] = m
	}
	m[d.IRI] = d
	for _, k := range designationFacets(d) {
		set := ix.desFacets[k]
		if set == nil {
			set = map[*DesignationView]struct{}{}
			ix.desFacets[k] = set
		}
		set[d] = struct{}{}
	}
}

func (ix *listIndex) removeDesignation(iri string) {
	d := ix.desigs[iri]
	if d == nil {
		return
	}
	delete(ix.desigs, iri)
	if m := ix.byCred[d.Credential]; m != nil {
		delete(m, iri)
		if len(m) == 0 {
			delete(ix.byCred, d.Credential)
		}
	}
	for _, k := range designationFacets(d) {
		if set := ix.desFacets[k]; set != nil {
			delete(set, d)
			if len(set) == 0 {
				delete(ix.desFacets, k)
			}
		}
	}
}

// addTerm indexes a resource filters name: concepts of the Framework, the
// code lists and the value criteria, organizations and competencies.
func (ix *listIndex) addTerm(base schema.Base, iri string, types []string, quads []quad.Quad) {
	t := &term{iri: iri}
	var scheme, broader, prefLabel, name, text string
	for _, q := range quads {
		if asIRI(q.Subject) != quad.IRI(iri) {
			continue
		}
		o := literalOf(q.Object)
		switch string(asIRI(q.Predicate)) {
		case schema.InScheme:
			scheme = o
		case schema.Broader:
			broader = o
		case schema.Notation:
			t.notation = o
		case schema.PrefLabel:
			prefLabel = o
		case schema.Name:
			name = o
		case schema.CompetencyText:
			text = o
		}
	}
	t.label = firstNonEmpty(prefLabel, name, text)
	for _, ty := range types {
		switch ty {
		case schema.ClassConcept:
			switch scheme {
			case base.Scheme(schema.SchemeCareerClusters):
				t.kind = kindCluster
				if broader != "" {
					t.kind, t.parent = kindSubCluster, broader
				}
			case base.Scheme(schema.SchemeSOC):
				t.kind = kindSOC
			case base.Scheme(schema.SchemeCIP):
				t.kind = kindCIP
			case base.Scheme(schema.SchemeNAICS):
				t.kind = kindNAICS
			case base.Scheme(schema.SchemeValueCriteria):
				t.kind = kindCriterion
				if t.notation == "" {
					t.notation = iri[strings.LastIndexByte(iri, '/')+1:]
				}
			}
		case schema.ClassCredentialOrganization, schema.ClassQACredentialOrganization, schema.ClassAgency:
			t.kind = kindOrg
		case schema.ClassCompetency:
			t.kind = kindCompetency
		}
	}
	if t.kind == "" && t.label == "" {
		return
	}
	ix.terms[iri] = t
	if t.kind == "" {
		return // named, but no filter names it
	}
	keys := ix.termKeys[t.kind]
	if keys == nil {
		keys = map[string][]string{}
		ix.termKeys[t.kind] = keys
	}
	for _, k := range termLookupKeys(t) {
		keys[k] = append(keys[k], iri)
	}
	if t.parent != "" {
		ix.children[t.parent] = append(ix.children[t.parent], iri)
	}
}

// termLookupKeys are the keys a term is found by: its NameKey'd label and
// its notation.
func termLookupKeys(t *term) []string {
	var ks []string
	if t.label != "" {
		ks = append(ks, schema.NameKey(t.label))
	}
	if t.notation != "" && schema.NameKey(t.notation) != schema.NameKey(t.label) {
		ks = append(ks, strings.ToLower(t.notation))
	}
	return ks
}

func (ix *listIndex) removeTerm(iri string) {
	t := ix.terms[iri]
	if t == nil {
		return
	}
	delete(ix.terms, iri)
	if keys := ix.termKeys[t.kind]; keys != nil {
		for _, k := range termLookupKeys(t) {
			keys[k] = removeString(keys[k], iri)
			if len(keys[k]) == 0 {
				delete(keys, k)
			}
		}
	}
	if t.parent != "" {
		ix.children[t.parent] = removeString(ix.children[t.parent], iri)
		if len(ix.children[t.parent]) == 0 {
			delete(ix.children, t.parent)
		}
	}
}

func removeString(list []string, s string) []string {
	out := list[:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// stopWords are left out of the full-text index and of queries.
var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "the": true, "of": true, "for": true, "in": true, "to": true,
	"with": true, "on": true, "or": true, "by": true, "at": true, "as": true, "is": true, "its": true,
}

// textTerms splits text into full-text terms: lower-cased runs of letters
// and digits, stop words left out, a plural "s" taken off ("nurses" and
// "nurse" are one term).
func textTerms(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if stopWords[w] {
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

// stem takes a plural ending off a word: "ies" becomes "y", a final "s"
// goes unless the word ends in "ss", "us" or "is", or is short.
func stem(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") &&
		!strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:len(w)-1]
	}
	return w
}
