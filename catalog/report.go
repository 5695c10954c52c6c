package catalog

// The report by Career Cluster: per Cluster and Sub-Cluster, the
// credentials of value on a day, by agency, credential type and region,
// and how far the agencies agree. It reads the list index only.

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// ClusterReport is the report on a day.
type ClusterReport struct {
	Day string
	// Rows are the Clusters by code, each followed by its Sub-Clusters.
	Rows []ClusterRow
	// Credentials and Designations count, over all Clusters, the
	// credentials of value and the designations in force.
	Credentials, Designations int
	Generation                uint64
}

// ClusterRow is one Cluster or Sub-Cluster of the report. Counts are of
// distinct credentials of value, unless named otherwise.
type ClusterRow struct {
	IRI, Label, Notation string
	Parent               string // the Cluster of a Sub-Cluster; "" for a Cluster
	Credentials          int
	Designations         int // designations in force for it
	ByAgency             []Count
	ByType               []Count
	ByRegion             []Count
	// Agreement between agencies: credentials designated for this
	// Cluster or Sub-Cluster by one agency, by several, and those that
	// another agency designates of value for other Clusters only.
	SingleAgency, MultiAgency, Contested int
}

// Count is a number of credentials for one agency, type or region.
type Count struct {
	IRI   string // the agency or type ("" for a region)
	Label string
	N     int
}

// reportMemo keeps the last report made, for as long as the list index
// does not change: the home page and every Cluster page read it.
type reportMemo struct {
	mu  sync.Mutex
	rep *ClusterReport
}

// ClusterReport reports on day (YYYY-MM-DD; "" for today). The report is
// shared with other callers until the list index changes: read it, never
// modify it.
func (c *Catalog) ClusterReport(ctx context.Context, day string) (*ClusterReport, error) {
	if day == "" {
		day = time.Now().UTC().Format(time.DateOnly)
	}
	if _, err := time.Parse(time.DateOnly, day); err != nil {
		return nil, &registry.QueryError{Param: "date", Value: day, Message: "expected a date YYYY-MM-DD"}
	}
	ix, err := c.listIndex(ctx)
	if err != nil {
		return nil, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	c.reports.mu.Lock()
	defer c.reports.mu.Unlock()
	if m := c.reports.rep; m != nil && m.Day == day && m.Generation == ix.gen {
		return m, nil
	}
	rep, err := c.clusterReport(ctx, ix, day)
	if err == nil {
		c.reports.rep = rep
	}
	return rep, err
}

// clusterReport builds the report on day from ix, read-locked.
func (c *Catalog) clusterReport(ctx context.Context, ix *listIndex, day string) (*ClusterReport, error) {
	rep := &ClusterReport{Day: day, Generation: ix.gen}

	type acc struct {
		creds    map[string]map[string]bool // credential -> agencies
		desigs   int
		byAgency map[string]map[string]bool
		byType   map[string]map[string]bool
		byRegion map[string]map[string]bool
	}
	rows := map[string]*acc{}
	get := func(iri string) *acc {
		a := rows[iri]
		if a == nil {
			a = &acc{creds: map[string]map[string]bool{}, byAgency: map[string]map[string]bool{},
				byType: map[string]map[string]bool{}, byRegion: map[string]map[string]bool{}}
			rows[iri] = a
		}
		return a
	}
	mark := func(m map[string]map[string]bool, k, cred string) {
		if m[k] == nil {
			m[k] = map[string]bool{}
		}
		m[k][cred] = true
	}
	agenciesOf := map[string]map[string]bool{} // credential -> agencies designating it of value
	regionLabel := map[string]string{}
	allCreds := map[string]bool{}
	for _, de := range ix.desigs {
		d, e := de.view, de.slot.entry
		if e == nil || e.view.Retired || d.StatusOn(day) != StatusActive {
			continue
		}
		rep.Designations++
		allCreds[d.Credential] = true
		mark(agenciesOf, d.Credential, d.Agency)
		concepts := map[string]bool{}
		for _, c := range d.Clusters {
			concepts[c] = true
		}
		for _, sc := range d.SubClusters {
			concepts[sc] = true
			if t := ix.terms[sc]; t != nil && t.parent != "" {
				concepts[t.parent] = true
			}
		}
		rk := schema.NameKey(d.Region)
		if _, ok := regionLabel[rk]; !ok {
			regionLabel[rk] = d.Region
		}
		for c := range concepts {
			a := get(c)
			a.desigs++
			if a.creds[d.Credential] == nil {
				a.creds[d.Credential] = map[string]bool{}
			}
			a.creds[d.Credential][d.Agency] = true
			mark(a.byAgency, d.Agency, d.Credential)
			for _, t := range e.view.Types {
				mark(a.byType, t, d.Credential)
			}
			mark(a.byRegion, rk, d.Credential)
		}
	}
	rep.Credentials = len(allCreds)
	counts := func(m map[string]map[string]bool, label func(string) (string, string)) []Count {
		out := make([]Count, 0, len(m))
		for k, set := range m {
			iri, l := label(k)
			out = append(out, Count{IRI: iri, Label: l, N: len(set)})
		}
		sort.Slice(out, func(i, j int) bool {
			if out[i].N != out[j].N {
				return out[i].N > out[j].N
			}
			return out[i].Label < out[j].Label
		})
		return out
	}
	termLabel := func(iri string) (string, string) {
		if t := ix.terms[iri]; t != nil && t.label != "" {
			return iri, t.label
		}
		return iri, schema.Label(iri)
	}
	row := func(t *term) ClusterRow {
		r := ClusterRow{IRI: t.iri, Label: t.label, Notation: t.notation, Parent: t.parent}
		a := rows[t.iri]
		if a == nil {
			return r
		}
		r.Credentials, r.Designations = len(a.creds), a.desigs
		r.ByAgency = counts(a.byAgency, termLabel)
		r.ByType = counts(a.byType, termLabel)
		r.ByRegion = counts(a.byRegion, func(k string) (string, string) { return "", regionLabel[k] })
		for cred, agencies := range a.creds {
			if len(agencies) > 1 {
				r.MultiAgency++
			} else {
				r.SingleAgency++
			}
			if len(agenciesOf[cred]) > len(agencies) {
				r.Contested++
			}
		}
		return r
	}
	var clusters []*term
	for _, t := range ix.terms {
		if t.kind == kindCluster {
			clusters = append(clusters, t)
		}
	}
	byCode := func(ts []*term) {
		sort.Slice(ts, func(i, j int) bool { return ts[i].notation+ts[i].iri < ts[j].notation+ts[j].iri })
	}
	byCode(clusters)
	for _, c := range clusters {
		rep.Rows = append(rep.Rows, row(c))
		var subs []*term
		for _, sc := range ix.children[c.iri] {
			if t := ix.terms[sc]; t != nil {
				subs = append(subs, t)
			}
		}
		byCode(subs)
		for _, sc := range subs {
			rep.Rows = append(rep.Rows, row(sc))
		}
	}
	return rep, ctx.Err()
}

// Render returns the report as compacted JSON-LD and as N-Quads, published
// at iri: a credreg:ClusterReport with one credreg:ClusterSummary per
// Cluster and Sub-Cluster ("{iri}#{code}") and its breakdowns
// ("{iri}#{code}-agency-1", …).
func (r *ClusterReport) Render(base schema.Base, iri string) (jsonld, nquads []byte, err error) {
	root := rdf.NewNode(iri, schema.ClassClusterReport)
	root.Add(schema.PropDate, dateValue(r.Day))
	root.Add(schema.PropCredentialCount, rdf.Integer(uint64(r.Credentials)))
	root.Add(schema.PropDesignationCount, rdf.Integer(uint64(r.Designations)))
	root.Always(schema.PropSummary)
	for _, row := range r.Rows {
		id := iri + "#" + row.Notation
		if row.Notation == "" {
			id = iri + "#" + localName(row.IRI)
		}
		n := rdf.NewNode(id, schema.ClassClusterSummary)
		concept := rdf.NewNode(row.IRI).Add(schema.PrefLabel, quad.String(row.Label)).Add(schema.Notation, quad.String(row.Notation))
		if row.Parent == "" {
			n.Add(schema.Cluster, concept)
		} else {
			n.Add(schema.SubCluster, concept)
		}
		n.Add(schema.PropCredentialCount, rdf.Integer(uint64(row.Credentials)))
		n.Add(schema.PropDesignationCount, rdf.Integer(uint64(row.Designations)))
		n.Add(schema.PropSingleAgency, rdf.Integer(uint64(row.SingleAgency)))
		n.Add(schema.PropMultiAgency, rdf.Integer(uint64(row.MultiAgency)))
		n.Add(schema.PropContested, rdf.Integer(uint64(row.Contested)))
		for _, part := range []struct {
			prop, name, labelProp string
			counts                []Count
		}{
			{schema.PropByAgency, "agency", schema.Name, row.ByAgency},
			{schema.PropByType, "type", schema.PrefLabel, row.ByType},
			{schema.PropByRegion, "region", "", row.ByRegion},
		} {
			for i, c := range part.counts {
				b := rdf.NewNode(fmt.Sprintf("%s-%s-%d", id, part.name, i+1), schema.ClassBreakdown)
				if c.IRI != "" {
					b.Add(schema.PropItem, rdf.NewNode(c.IRI).Add(part.labelProp, quad.String(c.Label)))
				} else {
					b.Add(schema.PropItem, quad.String(c.Label))
				}
				b.Add(schema.PropCredentialCount, rdf.Integer(uint64(c.N)))
				n.Add(part.prop, b)
			}
		}
		root.Add(schema.PropSummary, n)
	}
	js, err := root.JSONLD(base)
	if err != nil {
		return nil, nil, fmt.Errorf("render the report: %w", err)
	}
	return js, root.NQuads(), nil
}

// Columns returns the report as a table for a spreadsheet: a header row,
// then one row per Cluster and Sub-Cluster, with a column per agency, type
// and region met anywhere in the report.
func (r *ClusterReport) Columns() [][]string {
	type col struct{ kind, key, label string }
	seen := map[string]bool{}
	var cols []col
	for _, row := range r.Rows {
		for _, part := range []struct {
			kind   string
			counts []Count
		}{{"Agency", row.ByAgency}, {"Type", row.ByType}, {"Region", row.ByRegion}} {
			for _, c := range part.counts {
				k := part.kind + "\x00" + c.IRI + "\x00" + c.Label
				if !seen[k] {
					seen[k] = true
					cols = append(cols, col{part.kind, c.IRI + "\x00" + c.Label, part.kind + ": " + c.Label})
				}
			}
		}
	}
	order := map[string]int{"Agency": 0, "Type": 1, "Region": 2}
	sort.SliceStable(cols, func(i, j int) bool {
		if cols[i].kind != cols[j].kind {
			return order[cols[i].kind] < order[cols[j].kind]
		}
		return cols[i].label < cols[j].label
	})
	header := []string{"Code", "Name", "Level", "Cluster code", "Credentials of value", "Designations in force",
		"Designated by one agency", "Designated by several agencies", "Contested", "Date"}
	for _, c := range cols {
		header = append(header, c.label)
	}
	out := [][]string{header}
	codes := map[string]string{}
	for _, row := range r.Rows {
		codes[row.IRI] = row.Notation
	}
	for _, row := range r.Rows {
		level := "Cluster"
		if row.Parent != "" {
			level = "Sub-Cluster"
		}
		line := []string{row.Notation, row.Label, level, codes[row.Parent], itoa(row.Credentials), itoa(row.Designations),
			itoa(row.SingleAgency), itoa(row.MultiAgency), itoa(row.Contested), r.Day}
		have := map[string]int{}
		for _, part := range []struct {
			kind   string
			counts []Count
		}{{"Agency", row.ByAgency}, {"Type", row.ByType}, {"Region", row.ByRegion}} {
			for _, c := range part.counts {
				have[part.kind+"\x00"+c.IRI+"\x00"+c.Label] = c.N
			}
		}
		for _, c := range cols {
			line = append(line, itoa(have[c.kind+"\x00"+c.key]))
		}
		out = append(out, line)
	}
	return out
}

func itoa(n int) string { return fmt.Sprint(n) }
