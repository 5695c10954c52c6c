package harvest

// The dataset description: VoID and DCAT.

import (
	"context"
	"fmt"
	"strings"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/schema"
)

// DatasetInfo is what a dataset description says besides the counts.
type DatasetInfo struct {
	IRI, Title, Description string
	// License is an IRI or a text; "" leaves it out.
	License string
	// Fragments is the TPF search template, Dump the dump's URL, Feed the
	// change feed's, URISpace the prefix of every resource IRI.
	Fragments, Dataset, Dump, Feed, URISpace string
	// Classes are the class partitions (credentials by class), in order,
	// and Designations the value designations: what the catalog counts
	// (catalog.Catalog's Facets' Types, ListStatus' Designations).
	Classes      []ClassCount
	Designations int
}

// ClassCount is the number of entities of one class.
type ClassCount struct {
	IRI   string
	Count int
}

// DatasetDescription describes the registry as a VoID and DCAT dataset:
// its statements and records, credentials by class and designations (as
// info gives them), the fragments' search template, the dump, the change
// feed and the license. It returns JSON-LD and N-Quads. The statement and
// record counts are registry.Published's Count and Records, which the
// Badger backend answers from counters: no answer scans the store.
func (h *Harvester) DatasetDescription(ctx context.Context, info DatasetInfo) (jsonld, nquads []byte, err error) {
	triples, records, err := h.counts(ctx)
	if err != nil {
		return nil, nil, err
	}

	d := rdf.NewNode(info.IRI, schema.ClassVoidDataset, schema.ClassDCATDataset)
	d.Add(schema.Title, quad.String(info.Title)).Add(schema.PropDCTDescription, quad.String(info.Description))
	switch {
	case rdf.ValidIRI(info.License):
		d.Add(schema.PropDCTLicense, quad.IRI(info.License))
	case info.License != "":
		d.Add(schema.PropDCTLicense, quad.String(info.License))
	}
	d.Add(schema.PropVoidTriples, rdf.Integer(uint64(triples)))
	d.Add(schema.PropVoidEntities, rdf.Integer(uint64(records)))
	d.Add(schema.PropVoidURISpace, quad.String(info.URISpace))
	d.Links(schema.PropVoidDataDump, info.Dump)
	d.Links(schema.PropChangeFeed, info.Feed)
	d.Add(schema.PropSequence, rdf.Integer(h.store.Sequence()))
	for _, v := range []string{schema.CETerms, schema.CEASN, schema.Credreg, schema.SKOS} {
		d.Add(schema.PropVoidVocabulary, quad.IRI(v))
	}
	d.Add(schema.PropVoidFeature, quad.IRI(schema.FormatNQuads))
	dist := rdf.NewNode(info.IRI+"-dump", schema.ClassDCATDistrib)
	dist.Links(schema.PropDCATDownloadURL, info.Dump)
	dist.Add(schema.PropDCATMediaType, quad.String("application/gzip"))
	dist.Add(schema.Title, quad.String("Every record as gzipped N-Quads, one named graph per record"))
	d.Add(schema.PropDCATDistribution, dist)
	tmpl := rdf.NewNode(info.Dataset+"#triplePattern", schema.ClassHydraIriTemp)
	tmpl.Add(schema.PropHydraTemplate, quad.String(info.Fragments))
	tmpl.Add(schema.PropHydraVarRepr, quad.IRI(schema.HydraExplicitRepr))
	for _, v := range []string{"subject", "predicate", "object"} {
		m := rdf.NewNode(info.Dataset+"#"+v, schema.ClassHydraMapping)
		m.Add(schema.PropHydraVariable, quad.String(v)).Add(schema.PropHydraProperty, quad.IRI(schema.RDF+v))
		tmpl.Add(schema.PropHydraMapping, m)
	}
	d.Add(schema.PropHydraSearch, tmpl)
	// The class partitions are nodes of the description's document (one
	// "#" per IRI: info.IRI has its own fragment already).
	doc := info.IRI[:strings.IndexByte(info.IRI+"#", '#')]
	d.Always(schema.PropVoidClassPart)
	for i, t := range info.Classes {
		p := rdf.NewNode(fmt.Sprintf("%s#class-%d", doc, i+1))
		p.Add(schema.PropVoidClass, quad.IRI(t.IRI)).Add(schema.PropVoidEntities, rdf.Integer(uint64(t.Count)))
		d.Add(schema.PropVoidClassPart, p)
	}
	p := rdf.NewNode(doc + "#class-designations")
	p.Add(schema.PropVoidClass, quad.IRI(schema.ClassValueDesignation)).Add(schema.PropVoidEntities, rdf.Integer(uint64(info.Designations)))
	d.Add(schema.PropVoidClassPart, p)
	js, err := d.JSONLD(h.base)
	if err != nil {
		return nil, nil, fmt.Errorf("describe the dataset: %w", err)
	}
	return js, d.NQuads(), nil
}

// counts returns the number of published statements and of records (two
// counts the Badger backend answers from counters).
func (h *Harvester) counts(ctx context.Context) (triples, records int, err error) {
	pub := h.store.Published()
	t, err := pub.Count(ctx, Pattern{})
	if err != nil {
		return 0, 0, fmt.Errorf("dataset description: %w", err)
	}
	r, err := pub.Records(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("dataset description: %w", err)
	}
	return int(t), int(r), nil
}
