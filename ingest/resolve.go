package ingest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/cayleygraph/quad"

	"credreg/catalog"
	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// Resolver names what rows refer to: Career Clusters and Sub-Clusters by
// code or name, value criteria, organizations by CTID or name. It is built
// once per import from the store and learns the organizations the import
// creates.
type Resolver struct {
	base        schema.Base
	clusters    map[string]string // notation or schema.NameKey(label) -> IRI
	subClusters map[string]string
	parent      map[string]string // Sub-Cluster IRI -> Cluster IRI
	criteria    map[string]string
	orgs        map[string]string // schema.NameKey(name) -> IRI
	orgNames    map[string]string // IRI -> name, of the stored organizations
	regions     map[string]string // notation, NameKey(prefLabel) or NameKey(altLabel) -> prefLabel
	regionNames []string          // the regions' preferred labels, sorted
	areaNames   []string          // the Clusters' and Sub-Clusters' labels, for suggestions
	store       *registry.Store
	cat         *catalog.Catalog
}

// NewResolver reads the Framework, the value criteria and the
// organizations from the catalog's store; credentials are matched with the
// catalog.
func NewResolver(ctx context.Context, cat *catalog.Catalog) (*Resolver, error) {
	store := cat.Store()
	base := store.Base()
	r := &Resolver{
		base: base, clusters: map[string]string{}, subClusters: map[string]string{},
		parent: map[string]string{}, criteria: map[string]string{}, orgs: map[string]string{},
		orgNames: map[string]string{}, regions: map[string]string{}, store: store, cat: cat,
	}
	members, err := store.Members(ctx, base.Scheme(schema.SchemeCareerClusters))
	if err != nil {
		return nil, fmt.Errorf("read the Career Clusters: %w", err)
	}
	for _, m := range members {
		broader, err := store.Objects(ctx, m.Link, schema.Broader)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", m.Link, err)
		}
		alt, err := store.Objects(ctx, m.Link, schema.AltLabel)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", m.Link, err)
		}
		notation := m.Link[strings.LastIndexByte(m.Link, '/')+1:]
		into := r.subClusters
		if len(broader) == 0 {
			into = r.clusters
		} else {
			r.parent[m.Link] = strings.Trim(quad.ToString(broader[0]), "<>")
		}
		into[notation] = m.Link
		into[schema.NameKey(m.Text)] = m.Link
		if m.Text != "" {
			r.areaNames = append(r.areaNames, m.Text)
		}
		for _, a := range alt {
			if k := schema.NameKey(rdf.Lexical(a)); k != "" {
				if _, taken := into[k]; !taken {
					into[k] = m.Link
				}
			}
		}
	}
	crit, err := store.Members(ctx, base.Scheme(schema.SchemeValueCriteria))
	if err != nil {
		return nil, fmt.Errorf("read the value criteria: %w", err)
	}
	for _, m := range crit {
		notation := m.Link[strings.LastIndexByte(m.Link, '/')+1:]
		r.criteria[schema.NameKey(notation)] = m.Link
		r.criteria[schema.NameKey(m.Text)] = m.Link
	}
	for _, class := range []string{schema.ClassCredentialOrganization, schema.ClassQACredentialOrganization, schema.ClassAgency} {
		orgs, err := store.Subjects(ctx, schema.RDFType, quad.IRI(class))
		if err != nil {
			return nil, fmt.Errorf("read the organizations: %w", err)
		}
		for _, o := range orgs {
			name, err := store.Label(ctx, o)
			if err != nil {
				return nil, err
			}
			if name != "" {
				r.orgs[schema.NameKey(name)] = o
				r.orgNames[o] = name
			}
		}
	}
	regions, err := store.Members(ctx, base.Scheme(schema.SchemeRegions))
	if err != nil {
		return nil, fmt.Errorf("read the regions: %w", err)
	}
	for _, m := range regions {
		if m.Text == "" {
			continue
		}
		r.regionNames = append(r.regionNames, m.Text)
		alt, err := store.Objects(ctx, m.Link, schema.AltLabel)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", m.Link, err)
		}
		keys := []string{m.Link[strings.LastIndexByte(m.Link, '/')+1:], m.Text}
		for _, a := range alt {
			keys = append(keys, rdf.Lexical(a))
		}
		for _, k := range keys {
			if k := schema.NameKey(k); k != "" {
				if _, taken := r.regions[k]; !taken {
					r.regions[k] = m.Text
				}
			}
		}
	}
	sort.Strings(r.regionNames)
	return r, nil
}

// Region resolves a region by its name, another spelling of it or its
// notation, loosely (case, spacing and punctuation do not matter, nor a
// trailing "Region" or "Workforce Region"), and returns its preferred
// label. When none matches it returns the closest regions' names.
func (r *Resolver) Region(s string) (label string, suggestions []string, ok bool) {
	k := schema.NameKey(s)
	if l, ok := r.regions[k]; ok {
		return l, nil, true
	}
	trimmed := k
	for _, suffix := range []string{" workforce development region", " workforce region", " workforce area", " region", " area"} {
		trimmed = strings.TrimSuffix(trimmed, suffix)
	}
	for key, l := range r.regions {
		t := key
		for _, suffix := range []string{" workforce development region", " workforce region", " workforce area", " region", " area"} {
			t = strings.TrimSuffix(t, suffix)
		}
		if t == trimmed {
			return l, nil, true
		}
	}
	return "", closest(s, r.regionNames, 3), false
}

// Regions lists the regions' preferred labels, sorted.
func (r *Resolver) Regions() []string { return r.regionNames }

// Agency resolves an existing organization by CTID or name, for the
// agency of a sheet. When none matches it returns the closest names.
func (r *Resolver) Agency(s string) (iri string, suggestions []string, ok bool) {
	s = strings.TrimSpace(s)
	if schema.ValidCTID(strings.ToLower(s)) {
		iri := r.base.Resource(strings.ToLower(s))
		if _, ok := r.orgNames[iri]; ok {
			return iri, nil, true
		}
		return "", nil, false
	}
	if iri, ok := r.orgs[schema.NameKey(s)]; ok {
		if _, stored := r.orgNames[iri]; stored {
			return iri, nil, true
		}
	}
	names := make([]string, 0, len(r.orgNames))
	for _, n := range r.orgNames {
		names = append(names, n)
	}
	sort.Strings(names)
	return "", closest(s, names, 3), false
}

// OrganizationName returns the stored name of an organization, "" when
// the store holds none under iri.
func (r *Resolver) OrganizationName(iri string) string { return r.orgNames[iri] }

// MatchCredential finds the stored credential an import's row names (see
// registry.Store.MatchCredential).
func (r *Resolver) MatchCredential(ctx context.Context, k catalog.CredentialKey) (catalog.CredentialMatch, error) {
	if r.store == nil {
		return catalog.CredentialMatch{}, nil
	}
	return r.cat.MatchCredential(ctx, k)
}

// stored reads the stored record iri, nil when there is none.
func (r *Resolver) stored(ctx context.Context, iri string) (*registry.Record, error) {
	if r.store == nil {
		return nil, nil
	}
	rec, err := r.store.Get(ctx, iri)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, nil
	}
	return rec, err
}

// storedCredential reads the stored credential iri, nil when none is
// stored (or the record is not a credential).
func (r *Resolver) storedCredential(ctx context.Context, iri string) (*catalog.CredentialView, error) {
	if r.store == nil {
		return nil, nil
	}
	v, err := r.cat.Credential(ctx, iri)
	if errors.Is(err, registry.ErrNotFound) {
		return nil, nil
	}
	if err != nil || !v.IsCredential {
		return nil, err
	}
	return v, nil
}

// designationsOf returns the stored designations of a credential by an
// agency for a region (compared as NameKey folds it) that are not retired.
func (r *Resolver) designationsOf(ctx context.Context, cred, agency, region string) ([]*registry.Record, error) {
	if r.store == nil || region == "" {
		return nil, nil
	}
	recs, err := r.cat.Designations(ctx, cred)
	if err != nil {
		return nil, err
	}
	var out []*registry.Record
	for _, rec := range recs {
		d := catalog.ViewDesignation(rec)
		if d.Agency == agency && !d.Retired && schema.NameKey(d.Region) == schema.NameKey(region) {
			out = append(out, rec)
		}
	}
	return out, nil
}

// maxSuggestLen bounds the values closest compares (bytes): edit distance
// costs the product of the lengths.
const maxSuggestLen = 200

// closest returns up to n of names nearest to s by edit distance of their
// folded forms, the nearest first, leaving out those too far to help.
func closest(s string, names []string, n int) []string {
	if len(s) > maxSuggestLen {
		return nil // no name is that long: the cost would be for nothing
	}
	k := schema.NameKey(s)
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	for _, name := range names {
		nk := schema.NameKey(name)
		d := editDistance(k, nk)
		if strings.Contains(nk, k) || strings.Contains(k, nk) {
			d = min(d, 2)
		}
		if d <= max(2, len([]rune(nk))/3) {
			cs = append(cs, cand{name, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d || cs[i].d == cs[j].d && cs[i].name < cs[j].name })
	var out []string
	for _, c := range cs {
		if len(out) == n {
			break
		}
		out = append(out, c.name)
	}
	return out
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// Cluster resolves a Career Cluster or Sub-Cluster by code or name. It
// returns the Cluster IRI, the Sub-Cluster IRI ("" when s names a Cluster)
// and whether it found one.
func (r *Resolver) Cluster(s string) (cluster, sub string, ok bool) {
	k := strings.TrimSpace(s)
	if iri, ok := r.clusters[k]; ok {
		return iri, "", true
	}
	if iri, ok := r.subClusters[k]; ok {
		return r.parent[iri], iri, true
	}
	k = schema.NameKey(s)
	if iri, ok := r.clusters[k]; ok {
		return iri, "", true
	}
	if iri, ok := r.subClusters[k]; ok {
		return r.parent[iri], iri, true
	}
	return "", "", false
}

// ClosestAreas returns up to three Clusters or Sub-Clusters whose names
// are nearest to s.
func (r *Resolver) ClosestAreas(s string) []string { return closest(s, r.areaNames, 3) }

// ClusterNames lists the Clusters' names, for messages.
func (r *Resolver) ClusterNames() []string {
	seen := map[string]bool{}
	var out []string
	for k, iri := range r.clusters {
		if !seen[iri] && strings.Trim(k, "0123456789") != "" {
			seen[iri] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Criterion resolves a value criterion by its code ("high-wage") or name
// ("High wage").
func (r *Resolver) Criterion(s string) (string, bool) {
	iri, ok := r.criteria[schema.NameKey(s)]
	return iri, ok
}

// Organization resolves an organization by CTID or name. For a name it
// does not know it returns the IRI the organization gets (from its name)
// and created=true, and remembers it.
func (r *Resolver) Organization(s string) (iri, ctid string, created bool) {
	s = strings.TrimSpace(s)
	if schema.ValidCTID(s) {
		return r.base.Resource(s), s, false
	}
	k := schema.NameKey(s)
	if iri, ok := r.orgs[k]; ok {
		return iri, iri[strings.LastIndexByte(iri, '/')+1:], false
	}
	ctid = schema.DerivedCTID("organization", k)
	iri = r.base.Resource(ctid)
	r.orgs[k] = iri
	return iri, ctid, true
}
