package catalog

// The read side of the umbrella list: every agency's designations of a
// credential side by side with where they disagree (a record's history is
// the store's: registry.Store.History), finding credentials by name, a credential read for the
// employer's check, and the bulk lookup of many resources in one JSON-LD
// document.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// MaxLookup is the most resources one Lookup returns.
const MaxLookup = 1000

// dataSource is the evidence's data source (credreg:dataSource).
const dataSource = schema.Credreg + "dataSource"

// Terms of the documents built here that credreg's context does not name
// yet; they compact to "credreg:…" and are valid JSON-LD as they are.
const (
	ClassDisagreement  = schema.Credreg + "Disagreement"
	ClassLookupResult  = schema.Credreg + "LookupResult"
	PropDisagreement   = schema.Credreg + "disagreement"
	PropProperty       = schema.Credreg + "property"
	PropDesignation    = schema.Credreg + "designation"
	PropUnknown        = schema.Credreg + "unknown"
	PropMalformed      = schema.Credreg + "malformed"
	PropProblemValue   = schema.Credreg + "value"
	PropProblemMessage = schema.Credreg + "message"
)

// Designations returns every value designation of the credential: the
// credreg:ValueDesignation records whose credreg:credential is it, retired
// ones included, sorted by agency IRI, then valid-from date, then IRI.
func (c *Catalog) Designations(ctx context.Context, credentialIRI string) ([]*registry.Record, error) {
	iris, err := c.store.RecordsWith(ctx, schema.DesignatedFor, quad.IRI(credentialIRI))
	if err != nil {
		return nil, fmt.Errorf("designations of %s: %w", credentialIRI, err)
	}
	type keyed struct {
		rec           *registry.Record
		agency, start string
	}
	var list []keyed
	for _, iri := range iris {
		rec, err := c.store.Get(ctx, iri)
		if errors.Is(err, registry.ErrNotFound) {
			continue // written between the scan and the read: not ours to show
		}
		if err != nil {
			return nil, fmt.Errorf("designations of %s: %w", credentialIRI, err)
		}
		d := ViewDesignation(rec)
		if !d.isDesignation || d.Credential != credentialIRI {
			continue
		}
		list = append(list, keyed{rec, d.Agency, d.ValidFrom})
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.agency != b.agency {
			return a.agency < b.agency
		}
		if a.start != b.start {
			return a.start < b.start
		}
		return a.rec.IRI < b.rec.IRI
	})
	out := make([]*registry.Record, len(list))
	for i, k := range list {
		out[i] = k.rec
	}
	return out, nil
}

// DesignationView is a value designation read from its record: which agency
// designates which credential of value, for which Clusters and
// Sub-Clusters, region and period, on which criteria and evidence.
type DesignationView struct {
	IRI         string
	CTID        string
	Agency      string   // IRI of the designating agency
	Credential  string   // IRI of the credential
	Clusters    []string // IRIs, sorted
	SubClusters []string // IRIs, sorted
	Region      string
	// ValidFrom and ValidThrough are dates (YYYY-MM-DD); "" when not given.
	ValidFrom, ValidThrough string
	Criteria                []string // IRIs, sorted
	Evidence                []EvidenceView
	Retired                 bool
	RetiredOn               string // xsd:dateTime lexical form
	RetirementReason        string
	// LastVerified is the date the agency last checked the designation.
	LastVerified string
	Record       *registry.Record

	isDesignation bool
}

// EvidenceView is one evidence node of a designation. Numbers are kept in
// their lexical form.
type EvidenceView struct {
	IRI                     string
	MedianAnnualWage        string
	ProjectedAnnualOpenings string
	DataSource              string
	DataYear                string
}

// Designation statuses on a day.
const (
	StatusActive     = "active"
	StatusExpired    = "expired"
	StatusNotYet     = "not-yet-valid"
	StatusRetiredNow = "retired"
)

// ViewDesignation reads a designation record.
func ViewDesignation(rec *registry.Record) DesignationView {
	d := DesignationView{IRI: rec.IRI, Record: rec}
	evidence := map[string]*EvidenceView{}
	var evOrder []string
	for _, q := range rec.Quads {
		subj := string(rdf.IRIOf(q.Subject))
		pred := string(rdf.IRIOf(q.Predicate))
		if subj != rec.IRI {
			if subj == "" {
				continue
			}
			e := evidence[subj]
			if e == nil {
				e = &EvidenceView{IRI: subj}
				evidence[subj] = e
			}
			switch pred {
			case schema.MedianAnnualWage:
				e.MedianAnnualWage = rdf.Lexical(q.Object)
			case schema.ProjectedOpenings:
				e.ProjectedAnnualOpenings = rdf.Lexical(q.Object)
			case dataSource:
				e.DataSource = rdf.Lexical(q.Object)
			case schema.DataYear:
				e.DataYear = rdf.Lexical(q.Object)
			}
			continue
		}
		switch pred {
		case schema.RDFType:
			if rdf.IRIOf(q.Object) == schema.ClassValueDesignation {
				d.isDesignation = true
			}
		case schema.CTID:
			d.CTID = rdf.Lexical(q.Object)
		case schema.DesignatingAgency:
			d.Agency = rdf.Lexical(q.Object)
		case schema.DesignatedFor:
			d.Credential = rdf.Lexical(q.Object)
		case schema.Cluster:
			d.Clusters = append(d.Clusters, rdf.Lexical(q.Object))
		case schema.SubCluster:
			d.SubClusters = append(d.SubClusters, rdf.Lexical(q.Object))
		case schema.Region:
			d.Region = rdf.Lexical(q.Object)
		case schema.ValidFrom:
			d.ValidFrom = dateOf(rdf.Lexical(q.Object))
		case schema.ValidThrough:
			d.ValidThrough = dateOf(rdf.Lexical(q.Object))
		case schema.Criterion:
			d.Criteria = append(d.Criteria, rdf.Lexical(q.Object))
		case schema.Evidence:
			if iri := string(rdf.IRIOf(q.Object)); iri != "" {
				evOrder = append(evOrder, iri)
			}
		case schema.RecordStatus:
			if rdf.IRIOf(q.Object) == schema.StatusRetired {
				d.Retired = true
			}
		case schema.RetiredOn:
			d.RetiredOn = rdf.Lexical(q.Object)
		case schema.RetirementReason:
			d.RetirementReason = rdf.Lexical(q.Object)
		case schema.LastVerified:
			d.LastVerified = dateOf(rdf.Lexical(q.Object))
		}
	}
	sort.Strings(d.Clusters)
	sort.Strings(d.SubClusters)
	sort.Strings(d.Criteria)
	sort.Strings(evOrder)
	for _, iri := range evOrder {
		if e := evidence[iri]; e != nil {
			d.Evidence = append(d.Evidence, *e)
		} else {
			d.Evidence = append(d.Evidence, EvidenceView{IRI: iri})
		}
	}
	return d
}

// dateOf returns the YYYY-MM-DD part of an xsd:date (which may carry a
// time zone).
func dateOf(s string) string {
	if len(s) >= 10 {
		if _, err := time.Parse("2006-01-02", s[:10]); err == nil {
			return s[:10]
		}
	}
	return s
}

// StatusOn tells whether the designation is in force on day (YYYY-MM-DD):
// StatusRetiredNow when retired, StatusNotYet before its valid-from date,
// StatusExpired after its valid-through date, else StatusActive. A missing
// date leaves that end open.
func (d DesignationView) StatusOn(day string) string {
	switch {
	case d.Retired:
		return StatusRetiredNow
	case d.ValidFrom != "" && day < d.ValidFrom:
		return StatusNotYet
	case d.ValidThrough != "" && day > d.ValidThrough:
		return StatusExpired
	}
	return StatusActive
}

// Disagreement is a property on which designations by different agencies
// of one credential differ.
type Disagreement struct {
	Property string // IRI of the property compared, such as credreg:subCluster
	Label    string // its name for people
	// Designations are the IRIs of the designations that differ from a
	// designation by another agency on the property, sorted.
	Designations []string
}

// disagreementProperties are compared, in the order reported.
var disagreementProperties = []string{
	schema.Cluster, schema.SubCluster, schema.Region, schema.ValidFrom, schema.ValidThrough,
	schema.Criterion, schema.RecordStatus, schema.Evidence,
}

// comparable returns the value of a designation compared for property.
func (d DesignationView) comparable(property string) string {
	switch property {
	case schema.Cluster:
		return strings.Join(d.Clusters, " ")
	case schema.SubCluster:
		return strings.Join(d.SubClusters, " ")
	case schema.Region:
		return d.Region
	case schema.ValidFrom:
		return d.ValidFrom
	case schema.ValidThrough:
		return d.ValidThrough
	case schema.Criterion:
		return strings.Join(d.Criteria, " ")
	case schema.RecordStatus:
		if d.Retired {
			return "retired"
		}
		return "current"
	case schema.Evidence:
		parts := make([]string, len(d.Evidence))
		for i, e := range d.Evidence {
			parts[i] = strings.Join([]string{e.MedianAnnualWage, e.ProjectedAnnualOpenings, e.DataSource, e.DataYear}, "\x1f")
		}
		sort.Strings(parts)
		return strings.Join(parts, "\x1e")
	}
	return ""
}

// Disagreements compares designations of one credential property by
// property. A property is in disagreement when two designations by
// different agencies have different values for it (sets compared as
// sets; "retired" against "current" for the status); designations of the
// same agency (a renewal, another region) are not compared with each
// other.
func Disagreements(ds []DesignationView) []Disagreement {
	var out []Disagreement
	for _, p := range disagreementProperties {
		involved := map[string]bool{}
		for i := range ds {
			for j := i + 1; j < len(ds); j++ {
				if ds[i].Agency == ds[j].Agency {
					continue
				}
				if ds[i].comparable(p) != ds[j].comparable(p) {
					involved[ds[i].IRI] = true
					involved[ds[j].IRI] = true
				}
			}
		}
		if len(involved) == 0 {
			continue
		}
		d := Disagreement{Property: p, Label: schema.Label(p)}
		for iri := range involved {
			d.Designations = append(d.Designations, iri)
		}
		sort.Strings(d.Designations)
		out = append(out, d)
	}
	return out
}

// DesignationSet is every designation of one credential side by side, and
// where the agencies disagree.
type DesignationSet struct {
	// IRI is the collection's IRI: the credential's IRI + "/designations".
	IRI           string
	Credential    string
	Designations  []DesignationView
	Disagreements []Disagreement
	// Document renders the set: a hydra:Collection whose members are the
	// designations' own statements, with one credreg:Disagreement node
	// ("{IRI}#disagreement-{property}") per disagreement.
	Document *registry.Document
}

// DesignationSetIRI is the IRI of the designations of a credential.
func DesignationSetIRI(credentialIRI string) string { return credentialIRI + "/designations" }

// DesignationSet returns the designations of the credential side by side.
// It returns an error wrapping ErrNotFound when there is no record
// credentialIRI.
func (c *Catalog) DesignationSet(ctx context.Context, credentialIRI string) (*DesignationSet, error) {
	// The credential's record must exist (its document is cached).
	if _, err := c.store.Document(ctx, credentialIRI); err != nil {
		return nil, err
	}
	recs, err := c.Designations(ctx, credentialIRI)
	if err != nil {
		return nil, err
	}
	set := &DesignationSet{IRI: DesignationSetIRI(credentialIRI), Credential: credentialIRI}
	coll := quad.IRI(set.IRI)
	quads := []quad.Quad{
		{Subject: coll, Predicate: quad.IRI(schema.RDFType), Object: quad.IRI(schema.ClassCollection)},
		{Subject: coll, Predicate: quad.IRI(schema.TotalItems), Object: rdf.Integer(uint64(len(recs)))},
	}
	for _, rec := range recs {
		set.Designations = append(set.Designations, ViewDesignation(rec))
		quads = append(quads, quad.Quad{Subject: coll, Predicate: quad.IRI(schema.Member), Object: quad.IRI(rec.IRI)})
		quads = append(quads, rec.Quads...)
	}
	set.Disagreements = Disagreements(set.Designations)
	for _, d := range set.Disagreements {
		node := quad.IRI(set.IRI + "#disagreement-" + localName(d.Property))
		quads = append(quads,
			quad.Quad{Subject: coll, Predicate: quad.IRI(PropDisagreement), Object: node},
			quad.Quad{Subject: node, Predicate: quad.IRI(schema.RDFType), Object: quad.IRI(ClassDisagreement)},
			quad.Quad{Subject: node, Predicate: quad.IRI(PropProperty), Object: quad.IRI(d.Property)},
			quad.Quad{Subject: node, Predicate: quad.IRI(schema.Title), Object: quad.String("The agencies differ on: " + d.Label)},
		)
		for _, des := range d.Designations {
			quads = append(quads, quad.Quad{Subject: node, Predicate: quad.IRI(PropDesignation), Object: quad.IRI(des)})
		}
	}
	// Rendered now, as a tree: the designations nested as members.
	set.Document = c.store.TreeDocument(set.IRI, quads, schema.Member)
	return set, nil
}

// localName is the part of a term IRI after its namespace.
func localName(iri string) string {
	if i := strings.LastIndexAny(iri, "#/"); i >= 0 {
		return iri[i+1:]
	}
	return iri
}

// FindByName returns the IRIs of the credentials named name (ceterms:name),
// sorted: those with exactly that name, or else those whose name is the
// same ignoring case and runs of white space (from the list index).
func (c *Catalog) FindByName(ctx context.Context, name string) ([]string, error) {
	m, err := c.MatchName(ctx, name, 0)
	if err != nil || m.By != MatchedByName {
		return nil, err
	}
	return m.Credentials, nil
}

// foldName normalises a name for comparison: case folded, runs of white
// space as one space.
func foldName(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// isCredential reports whether the record node iri has a credential type.
func (c *Catalog) isCredential(ctx context.Context, iri string) (bool, error) {
	types, err := c.store.Objects(ctx, iri, schema.RDFType)
	if err != nil {
		return false, err
	}
	for _, t := range types {
		if schema.IsCredentialType(string(rdf.IRIOf(t))) {
			return true, nil
		}
	}
	return false, nil
}

// CredentialView is a credential read for the employer's check: what it is,
// who owns and offers it, and what it links to. Links are IRIs, sorted.
type CredentialView struct {
	IRI, CTID, Name, Description string
	// SubjectWebpage is the credential's web page, "" when none.
	SubjectWebpage        string
	Types                 []string
	OwnedBy, OfferedBy    []string
	Competencies          []string
	Occupations           []string
	Industries            []string
	Programs              []string
	Clusters, SubClusters []string
	// SupersededBy names the credentials that replace this one.
	SupersededBy []string
	// LastVerified is the date someone last checked the description.
	LastVerified string
	Retired      bool
	// IsCredential is set when the record has a credential type.
	IsCredential bool
	// SameAs are the other IRIs of the credential (owl:sameAs).
	SameAs []string
	// Identifiers are the keys agencies know the credential by
	// (ceterms:identifier nodes with credreg:identifierSource).
	Identifiers []Identifier
	Record      *registry.Record
}

// Identifier is a key an organization gives a credential: a
// ceterms:IdentifierValue's ceterms:identifierValueCode, and its
// credreg:identifierSource (the agency whose key it is), "" when unsaid.
type Identifier struct {
	Source, Code string
}

// Credential reads the record iri as a credential. It returns an error
// wrapping ErrNotFound when there is no such record; a record that is not a
// credential comes back with IsCredential false.
func (c *Catalog) Credential(ctx context.Context, iri string) (*CredentialView, error) {
	rec, err := c.store.Get(ctx, iri)
	if err != nil {
		return nil, err
	}
	return viewCredential(rec), nil
}

// viewCredential reads a record as a credential.
func viewCredential(rec *registry.Record) *CredentialView {
	iri := rec.IRI
	v := &CredentialView{IRI: iri, Record: rec, Retired: rec.Retired()}
	var ids []quad.Value
	for _, q := range rec.Quads {
		if string(rdf.IRIOf(q.Subject)) != iri {
			continue
		}
		o := rdf.Lexical(q.Object)
		switch string(rdf.IRIOf(q.Predicate)) {
		case schema.RDFType:
			v.Types = append(v.Types, o)
			if schema.IsCredentialType(o) {
				v.IsCredential = true
			}
		case schema.CTID:
			v.CTID = o
		case schema.Name:
			if v.Name == "" || o < v.Name {
				v.Name = o
			}
		case schema.Description:
			if v.Description == "" || o < v.Description {
				v.Description = o
			}
		case schema.SubjectWebpage:
			if v.SubjectWebpage == "" || o < v.SubjectWebpage {
				v.SubjectWebpage = o
			}
		case schema.OwnedBy:
			v.OwnedBy = append(v.OwnedBy, o)
		case schema.OfferedBy:
			v.OfferedBy = append(v.OfferedBy, o)
		case schema.TargetCompetency:
			v.Competencies = append(v.Competencies, o)
		case schema.OccupationType:
			v.Occupations = append(v.Occupations, o)
		case schema.IndustryType:
			v.Industries = append(v.Industries, o)
		case schema.InstructionalProgramType:
			v.Programs = append(v.Programs, o)
		case schema.Cluster:
			v.Clusters = append(v.Clusters, o)
		case schema.SubCluster:
			v.SubClusters = append(v.SubClusters, o)
		case schema.SupersededBy:
			v.SupersededBy = append(v.SupersededBy, o)
		case schema.LastVerified:
			v.LastVerified = rdf.Lexical(q.Object)
		case schema.SameAs:
			v.SameAs = append(v.SameAs, o)
		case schema.Identifier:
			ids = append(ids, q.Object)
		}
	}
	for _, id := range ids {
		var ident Identifier
		for _, q := range rec.Quads {
			if q.Subject != id {
				continue
			}
			switch string(rdf.IRIOf(q.Predicate)) {
			case schema.IdentifierValueCode:
				ident.Code = rdf.Lexical(q.Object)
			case schema.IdentifierSource:
				ident.Source = rdf.Lexical(q.Object)
			}
		}
		if ident.Code != "" {
			v.Identifiers = append(v.Identifiers, ident)
		}
	}
	sort.Slice(v.Identifiers, func(i, j int) bool {
		a, b := v.Identifiers[i], v.Identifiers[j]
		return a.Source < b.Source || a.Source == b.Source && a.Code < b.Code
	})
	for _, l := range [][]string{v.SameAs, v.Types, v.OwnedBy, v.OfferedBy, v.Competencies, v.Occupations, v.Industries, v.Programs, v.Clusters, v.SubClusters, v.SupersededBy} {
		sort.Strings(l)
	}
	return v
}

// LookupResult is the answer to a bulk lookup.
type LookupResult struct {
	Found     []string // IRIs of the resources found, in the order asked
	Unknown   []string // IRIs of well-formed CTIDs with no record
	Malformed schema.Problems
	// JSONLD is one JSON-LD document: {"@context", "@graph": [...]} whose
	// first node is the credreg:LookupResult (a blank node listing
	// credreg:unknown IRIs and credreg:malformed entries, each with
	// credreg:value and credreg:message), followed by the compacted nodes
	// of every resource found, as each renders on its own.
	JSONLD []byte
}

// Lookup finds many resources by CTID at once. Each id is a CTID or an IRI
// ending in /resources/{ctid}; repeats count once. Unknown CTIDs are
// listed, not an error; malformed ones are listed as problems. More than
// MaxLookup ids is an error.
func (c *Catalog) Lookup(ctx context.Context, ids []string) (*LookupResult, error) {
	if len(ids) > MaxLookup {
		return nil, fmt.Errorf("lookup: %d ids, at most %d at once", len(ids), MaxLookup)
	}
	res := &LookupResult{}
	seen := map[string]bool{}
	graph := []json.RawMessage{nil} // the result node goes first
	for i, id := range ids {
		ctid := strings.TrimSpace(id)
		if j := strings.LastIndex(ctid, "/resources/"); j >= 0 && (strings.HasPrefix(ctid, "http://") || strings.HasPrefix(ctid, "https://")) {
			ctid = ctid[j+len("/resources/"):]
		}
		if err := schema.CheckCTID(ctid); err != nil {
			res.Malformed = append(res.Malformed, schema.Problem{Field: fmt.Sprintf("ctids[%d]", i), Value: id, Message: err.Error()})
			continue
		}
		iri := c.base.Resource(ctid)
		if seen[iri] {
			continue
		}
		seen[iri] = true
		doc, err := c.store.Document(ctx, iri)
		if errors.Is(err, registry.ErrNotFound) {
			res.Unknown = append(res.Unknown, iri)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("lookup %s: %w", iri, err)
		}
		js, err := doc.JSONLD()
		if err != nil {
			return nil, fmt.Errorf("lookup %s: %w", iri, err)
		}
		nodes, err := topNodes(js)
		if err != nil {
			return nil, fmt.Errorf("lookup %s: %w", iri, err)
		}
		graph = append(graph, nodes...)
		res.Found = append(res.Found, iri)
	}
	// Terms of the context: "unknown" holds IRIs, "malformed" nodes with
	// a "value" and a "message".
	unknown := append([]string{}, res.Unknown...)
	malformed := make([]map[string]string, len(res.Malformed))
	for i, p := range res.Malformed {
		malformed[i] = map[string]string{"value": p.Value, "message": p.Message}
	}
	head, err := json.Marshal(map[string]any{
		"type":      "LookupResult",
		"unknown":   unknown,
		"malformed": malformed,
	})
	if err != nil {
		return nil, err
	}
	graph[0] = head
	body, err := rdf.MarshalDocument(map[string]any{"@context": c.base.Context(), "@graph": graph})
	if err != nil {
		return nil, fmt.Errorf("lookup: %w", err)
	}
	res.JSONLD = body
	return res, nil
}

// topNodes returns the top-level node objects of a compacted document in
// credreg's context, without its "@context": the document itself, or the
// members of its "@graph".
func topNodes(doc []byte) ([]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, err
	}
	delete(m, "@context")
	if g, ok := m["@graph"]; ok && len(m) == 1 {
		var nodes []json.RawMessage
		if err := json.Unmarshal(g, &nodes); err != nil {
			return nil, err
		}
		return nodes, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return []json.RawMessage{b}, nil
}
