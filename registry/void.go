package registry

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
	// Classes count the credentials by class, and Designations the value
	// designations: the dataset's class partitions.
	Classes      []ClassCount
	Designations int
}

// ClassCount is how many resources of a class the registry holds.
type ClassCount struct {
	IRI   string
	Count int
}

// DatasetDescription describes the registry as a VoID and schema.DCAT dataset:
// its statements and records,
// credentials by class, designations, the fragments' search template, the
// dump, the change feed and the license. It returns JSON-LD and N-Quads.
// The statement and record counts are read from the backend's counters
// (Count without the bookkeeping graphs, and of the records' bookkeeping
// nodes); the class partitions and designations are the caller's (the
// catalog's list index counts them). No answer scans the store.
func (s *Store) DatasetDescription(ctx context.Context, info DatasetInfo) (jsonld, nquads []byte, err error) {
	triples, records, err := s.counts(ctx)
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
	d.Add(schema.PropVoidTriples, intLiteral(uint64(triples)))
	d.Add(schema.PropVoidEntities, intLiteral(uint64(records)))
	d.Add(schema.PropVoidURISpace, quad.String(info.URISpace))
	d.Links(schema.PropVoidDataDump, info.Dump)
	d.Links(schema.PropChangeFeed, info.Feed)
	d.Add(PropSequence, intLiteral(s.Sequence()))
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
		p.Add(schema.PropVoidClass, quad.IRI(t.IRI)).Add(schema.PropVoidEntities, intLiteral(uint64(t.Count)))
		d.Add(schema.PropVoidClassPart, p)
	}
	p := rdf.NewNode(doc + "#class-designations")
	p.Add(schema.PropVoidClass, quad.IRI(schema.ClassValueDesignation)).Add(schema.PropVoidEntities, intLiteral(uint64(info.Designations)))
	d.Add(schema.PropVoidClassPart, p)
	js, err := d.JSONLD(s.base)
	if err != nil {
		return nil, nil, fmt.Errorf("describe the dataset: %w", err)
	}
	return js, d.NQuads(), nil
}

// counts returns the number of record statements (every statement
// outside the bookkeeping graphs) and of records (each has one
// credreg:contentHash on its bookkeeping node, retired or not): two counts
// the backend answers from counters.
func (s *Store) counts(ctx context.Context) (triples, records int, err error) {
	t, err := s.be.Count(ctx, Pattern{Except: bookkeepingGraphs})
	if err != nil {
		return 0, 0, fmt.Errorf("count the statements: %w", err)
	}
	r, err := s.be.Count(ctx, Pattern{Predicate: quad.IRI(predContentHash), Graph: quad.IRI(graphRecords)})
	if err != nil {
		return 0, 0, fmt.Errorf("count the records: %w", err)
	}
	return int(t), int(r), nil
}
