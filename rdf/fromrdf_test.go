package rdf

import (
	"fmt"
	"io/fs"
	"reflect"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"credreg/fixtures"
	"credreg/schema"
)

// TestFromRDFIsJSONGolds: the linear fromRDF gives what json-gold's
// FromRDF gives, on every term kind and on the embedded reference data
// and sample (each file's statements, made canonical as records are).
func TestFromRDFIsJSONGolds(t *testing.T) {
	base := testBase(t)
	s, p := quad.IRI("https://a.example/s"), quad.IRI("https://a.example/p")
	cases := map[string][]quad.Quad{
		"empty": nil,
		"every term kind": {
			{Subject: s, Predicate: quad.IRI(schema.RDFType), Object: quad.IRI("https://a.example/C")},
			{Subject: s, Predicate: quad.IRI(schema.RDFType), Object: quad.IRI("https://a.example/D")},
			{Subject: s, Predicate: p, Object: quad.IRI("https://a.example/o")},
			{Subject: s, Predicate: p, Object: quad.BNode("b1")},
			{Subject: quad.BNode("b1"), Predicate: p, Object: quad.String("x")},
			{Subject: s, Predicate: p, Object: quad.LangString{Value: "Pflege", Lang: "de"}},
			{Subject: s, Predicate: p, Object: quad.TypedString{Value: "7", Type: schema.XSD + "integer"}},
			{Subject: s, Predicate: p, Object: quad.TypedString{Value: "x", Type: schema.XSDString}},
			{Subject: s, Predicate: quad.IRI(schema.RDFType), Object: quad.BNode("t")},
		},
		"a list goes to json-gold": {
			{Subject: s, Predicate: p, Object: quad.BNode("l1")},
			{Subject: quad.BNode("l1"), Predicate: quad.IRI(schema.RDF + "first"), Object: quad.String("a")},
			{Subject: quad.BNode("l1"), Predicate: quad.IRI(schema.RDF + "rest"), Object: quad.IRI(schema.RDF + "nil")},
		},
	}
	err := fs.WalkDir(fixtures.Files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".jsonld") {
			return err
		}
		doc, err := fs.ReadFile(fixtures.Files, path)
		if err != nil {
			return err
		}
		qs, err := ParseJSONLD(base, doc)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		cases[path], _ = Canonicalize(qs)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 5 {
		t.Fatalf("only %d cases: the embedded data was not found", len(cases))
	}
	for name, qs := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := fromRDF(base, qs)
			if err != nil {
				t.Fatal(err)
			}
			want, err := jsonGoldFromRDF(base, qs)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) || (len(got) > 0 && !reflect.DeepEqual(got, want)) {
				t.Errorf("fromRDF differs from json-gold's FromRDF:\n got %v\nwant %v", got, want)
			}
		})
	}
}

// BenchmarkRenderTree renders designation sets of growing size: the time
// per member should stay about flat (json-gold's FromRDF took 2.3 s for
// 4,000 members and grew with the square). Compare the ns/member figures
// of one run.
func BenchmarkRenderTree(b *testing.B) {
	base := testBase(b)
	for _, n := range []int{1000, 8000} {
		set := base.String() + "/resources/ce-x/designations"
		qs := []quad.Quad{{Subject: quad.IRI(set), Predicate: quad.IRI(schema.RDFType), Object: quad.IRI(schema.AS + "Collection")}}
		for i := 0; i < n; i++ {
			d := quad.IRI(fmt.Sprintf("%s/resources/ce-%08d", base.String(), i))
			qs = append(qs, quad.Quad{Subject: quad.IRI(set), Predicate: quad.IRI(schema.Member), Object: d})
			for j := 0; j < 8; j++ {
				qs = append(qs, quad.Quad{Subject: d, Predicate: quad.IRI(fmt.Sprintf("https://w3id.org/credreg/vocab#p%d", j)), Object: quad.String(fmt.Sprint(i, j))})
			}
		}
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			for b.Loop() {
				doc, err := RenderTree(base, set, qs, schema.Member)
				if err != nil {
					b.Fatal(err)
				}
				if got := strings.Count(string(doc), `"id": "`+base.String()+`/resources/ce-0`); got != n {
					b.Fatalf("%d members rendered, want %d", got, n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/member")
		})
	}
}
