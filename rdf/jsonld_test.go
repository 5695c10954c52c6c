package rdf

import (
	"reflect"
	"testing"

	"credreg/schema"
)

// TestNativeValue checks which literals become JSON numbers: only those a
// JSON-LD processor turns back into the same literal.
func TestNativeValue(t *testing.T) {
	integer, decimal := schema.XSD+"integer", schema.XSD+"decimal"
	for _, tc := range []struct {
		lexical, datatype string
		want              any
	}{
		{"0", integer, int64(0)},
		{"816", integer, int64(816)},
		{"-3", integer, int64(-3)},
		{"9007199254740992", integer, int64(9007199254740992)},
		{"9007199254740993", integer, nil}, // beyond 2^53: a JSON number would lose it
		{"007", integer, nil},              // not canonical: a number would come back "7"
		{"+5", integer, nil},
		{"5.0", integer, nil},
		{"89600", decimal, nil}, // a decimal stays a string
		{"true", schema.XSD + "boolean", nil},
	} {
		got, ok := nativeValue(tc.lexical, tc.datatype)
		if (tc.want != nil) != ok || ok && got != tc.want {
			t.Errorf("nativeValue(%q, %s) = %v, %v; want %v", tc.lexical, tc.datatype, got, ok, tc.want)
		}
	}
}

// TestNativeValues checks the rewriting of json-gold's compacted output:
// strings under integer terms and integer value objects under keys with
// no coercion become numbers; everything else is left alone.
func TestNativeValues(t *testing.T) {
	in := map[string]any{
		"totalItems":              "32",
		"projectedAnnualOpenings": []any{"350", "007"},
		"medianAnnualWage":        "89600",
		"name":                    "42",
		"ceterms:foo":             map[string]any{"@value": "12", "@type": "xsd:integer"},
		"ceterms:bar":             map[string]any{"@value": "12", "@type": "xsd:decimal"},
		"evidence":                []any{map[string]any{"projectedAnnualOpenings": "5"}},
		"@graph":                  []any{map[string]any{"sequence": "6732"}},
	}
	want := map[string]any{
		"totalItems":              int64(32),
		"projectedAnnualOpenings": []any{int64(350), "007"},
		"medianAnnualWage":        "89600",
		"name":                    "42",
		"ceterms:foo":             int64(12),
		"ceterms:bar":             map[string]any{"@value": "12", "@type": "xsd:decimal"},
		"evidence":                []any{map[string]any{"projectedAnnualOpenings": int64(5)}},
		"@graph":                  []any{map[string]any{"sequence": int64(6732)}},
	}
	if got := nativeValues(in, termDef{}); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

// TestEveryContextVersionParses checks that documents naming any version
// of the context, under any of its IRIs, are read, and that a document
// written against v1 (bare values, counts as strings) and the same one in
// v2's shape (arrays, numbers) give the same statements.
func TestEveryContextVersionParses(t *testing.T) {
	base := testBase(t)
	body := func(ctx, shape string) []byte {
		return []byte(`{"@context": "` + ctx + `", "id": "resources/ce-00000000-0000-4000-8000-000000000001",
		  "type": "ValueDesignation", ` + shape + `}`)
	}
	v1Shape := `"criterion": "schemes/value-criteria/high-wage", "evidence": {"id": "resources/ce-00000000-0000-4000-8000-000000000001#evidence", "projectedAnnualOpenings": "350"}`
	v2Shape := `"criterion": ["schemes/value-criteria/high-wage"], "evidence": [{"id": "resources/ce-00000000-0000-4000-8000-000000000001#evidence", "projectedAnnualOpenings": 350}]`
	want, err := ParseJSONLD(base, body(schema.ContextURLOf("1"), v1Shape))
	if err != nil {
		t.Fatal(err)
	}
	if len(want) != 4 {
		t.Fatalf("%d statements: %v", len(want), want)
	}
	for _, ctx := range []string{schema.ContextURLOf("1"), schema.ContextURLOf("2"), base.ContextOf("1"), base.ContextOf("2"), base.ContextLatest()} {
		for _, shape := range []string{v1Shape, v2Shape} {
			got, err := ParseJSONLD(base, body(ctx, shape))
			if err != nil {
				t.Fatalf("%s: %v", ctx, err)
			}
			if a, b := NQuads(got), NQuads(want); string(a) != string(b) {
				t.Errorf("%s: %s\nwant %s", ctx, a, b)
			}
		}
	}
}

func testBase(t testing.TB) schema.Base {
	t.Helper()
	b, err := schema.NewBase("https://registry.example.gov")
	if err != nil {
		t.Fatal(err)
	}
	return b
}
