package registry

import (
	"context"
	"fmt"
	"testing"

	"github.com/cayleygraph/quad"
	"credreg/schema"
)

func TestDebugReplace(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	recs := sampleRecords(t)
	s.PutBatch(ctx, "a", recs)
	cred := recs[0]
	var next []quad.Quad
	for _, q := range cred.Quads {
		if q.Object == quad.IRI(testBase+"/schemes/soc/15-1244") { continue }
		if q.Predicate == quad.IRI(schema.Name) {
			q.Object = quad.String("New name")
		}
		next = append(next, q)
	}
	_, err := s.Put(ctx, "b", Record{IRI: cred.IRI, Quads: next})
	fmt.Println(err)
	s.values = newValueCache(1000)
	qs, _ := s.quadsBy(ctx, quad.Subject, quad.IRI(cred.IRI))
	fmt.Println(string(renderNQuadsG(qs)))
	qs, _ = s.quadsBy(ctx, quad.Object, quad.String("New name"))
	fmt.Println("by object", qs)
	qs, _ = s.quadsBy(ctx, quad.Label, quad.IRI(cred.IRI))
	fmt.Println("by label", len(qs))
}

func renderNQuadsG(qs []quad.Quad) []byte {
	var b []byte
	for _, q := range qs { b = append(b, nquadLine(q.Subject, q.Predicate, q.Object, q.Label)...) }
	return b
}
