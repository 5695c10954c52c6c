package ingest

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/cayleygraph/quad"

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
}

// NewResolver reads the Framework, the value criteria and the
// organizations from store.
func NewResolver(ctx context.Context, store *registry.Store) (*Resolver, error) {
	base := store.Base()
	r := &Resolver{
		base: base, clusters: map[string]string{}, subClusters: map[string]string{},
		parent: map[string]string{}, criteria: map[string]string{}, orgs: map[string]string{},
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
		notation := m.Link[strings.LastIndexByte(m.Link, '/')+1:]
		if len(broader) == 0 {
			r.clusters[notation] = m.Link
			r.clusters[schema.NameKey(m.Text)] = m.Link
			continue
		}
		r.subClusters[notation] = m.Link
		r.subClusters[schema.NameKey(m.Text)] = m.Link
		r.parent[m.Link] = strings.Trim(quad.ToString(broader[0]), "<>")
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
			}
		}
	}
	return r, nil
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
