package rdf

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cayleygraph/quad"
)

// refTermString is the string-building formatting that AppendTerm
// replaced, kept as the reference its output must equal byte for byte
// (content hashes are computed over it).
func refTermString(v quad.Value) string {
	esc := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			switch r {
			case '\\':
				b.WriteString(`\\`)
			case '"':
				b.WriteString(`\"`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			default:
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	switch x := v.(type) {
	case quad.IRI:
		return "<" + escapeIRI(string(x)) + ">"
	case quad.BNode:
		return "_:" + string(x)
	case quad.String:
		return `"` + esc(string(x)) + `"`
	case quad.LangString:
		return `"` + esc(string(x.Value)) + `"@` + x.Lang
	case quad.TypedString:
		return `"` + esc(string(x.Value)) + `"^^<` + escapeIRI(string(x.Type)) + ">"
	}
	return refTermString(CanonicalTerm(v))
}

// refCanonicalHash is the content hash as canonical computed it before it
// shared one buffer: sorted distinct lines, concatenated, sha256.
func refCanonicalHash(quads []quad.Quad) string {
	seen := map[string]bool{}
	var lines []string
	for _, q := range quads {
		l := refTermString(CanonicalTerm(q.Subject)) + " " + refTermString(CanonicalTerm(q.Predicate)) + " " + refTermString(CanonicalTerm(q.Object)) + " .\n"
		if !seen[l] {
			seen[l] = true
			lines = append(lines, l)
		}
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func TestAppendTermMatchesReference(t *testing.T) {
	tests := []struct {
		name string
		v    quad.Value
	}{
		{"iri", quad.IRI("https://registry.example.gov/resources/ce-1")},
		{"iri to escape", quad.IRI("https://x.example/a b<c>\"{}|^`\\")},
		{"blank node", quad.BNode("b0")},
		{"plain string", quad.String("Welding Certificate")},
		{"string to escape", quad.String("line 1\nline \"2\"\r\\ end")},
		{"non-ASCII string", quad.String("Técnico en soldadura — nivel 2")},
		{"invalid UTF-8", quad.String("bad \xff byte")},
		{"empty string", quad.String("")},
		{"language string", quad.LangString{Value: "Soudure \"niveau\"", Lang: "fr"}},
		{"typed string", quad.TypedString{Value: "2026-07-01", Type: "http://www.w3.org/2001/XMLSchema#date"}},
		{"typed string, odd type", quad.TypedString{Value: "x\ny", Type: "urn:type with space"}},
		{"int", quad.Int(42)},
		{"bool", quad.Bool(true)},
		{"float", quad.Float(1.5)},
		{"time", quad.Time(time.Date(2026, 7, 1, 12, 0, 0, 5, time.UTC))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := refTermString(tt.v)
			if got := TermString(tt.v); got != want {
				t.Errorf("TermString = %q, want %q", got, want)
			}
			if got := string(AppendTerm([]byte("prefix "), tt.v)); got != "prefix "+want {
				t.Errorf("AppendTerm after a prefix = %q, want %q", got, "prefix "+want)
			}
			line := NQuadLine(quad.IRI("urn:s"), quad.IRI("urn:p"), tt.v, quad.IRI("urn:g"))
			if want := "<urn:s> <urn:p> " + want + " <urn:g> .\n"; line != want {
				t.Errorf("NQuadLine = %q, want %q", line, want)
			}
		})
	}
}

func TestCanonicalHashUnchanged(t *testing.T) {
	s := quad.IRI("https://registry.example.gov/resources/ce-1")
	name := quad.IRI("http://purl.org/ctdl/terms/name")
	tests := []struct {
		name  string
		quads []quad.Quad
		want  int // statements after deduplication
	}{
		{"empty", nil, 0},
		{"one", []quad.Quad{{Subject: s, Predicate: name, Object: quad.String("A")}}, 1},
		{"duplicates", []quad.Quad{
			{Subject: s, Predicate: name, Object: quad.String("B")},
			{Subject: s, Predicate: name, Object: quad.String("A")},
			{Subject: s, Predicate: name, Object: quad.String("B")},
		}, 2},
		{"same line from different value types", []quad.Quad{
			{Subject: s, Predicate: name, Object: quad.String("A")},
			{Subject: s, Predicate: name, Object: quad.TypedString{Value: "A", Type: "http://www.w3.org/2001/XMLSchema#string"}},
		}, 1},
		{"graph labels are ignored", []quad.Quad{
			{Subject: s, Predicate: name, Object: quad.String("A"), Label: quad.IRI("urn:g1")},
			{Subject: s, Predicate: name, Object: quad.String("A"), Label: quad.IRI("urn:g2")},
		}, 1},
		{"escapes and typed values", []quad.Quad{
			{Subject: s, Predicate: name, Object: quad.LangString{Value: "x\"y", Lang: "en"}},
			{Subject: s, Predicate: quad.IRI("urn:n"), Object: quad.Int(7)},
			{Subject: quad.IRI(string(s) + "#evidence"), Predicate: name, Object: quad.String("a\nb")},
		}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, hash := Canonicalize(tt.quads)
			if want := refCanonicalHash(tt.quads); hash != want {
				t.Errorf("hash %s, want %s", hash, want)
			}
			if len(out) != tt.want {
				t.Errorf("%d statements, want %d: %v", len(out), tt.want, out)
			}
			for i := 1; i < len(out); i++ {
				a := NQuadLine(out[i-1].Subject, out[i-1].Predicate, out[i-1].Object, nil)
				b := NQuadLine(out[i].Subject, out[i].Predicate, out[i].Object, nil)
				if a >= b {
					t.Errorf("statements %d and %d out of order: %q, %q", i-1, i, a, b)
				}
			}
			for _, q := range out {
				if q.Label != nil {
					t.Errorf("statement %v keeps a graph label", q)
				}
			}
		})
	}
}

func TestParseNQuad(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       quad.Quad // zero when the line is refused
		err        string    // part of the error
	}{
		{name: "IRI object", line: `<https://a.example/s> <https://a.example/p> <https://a.example/o> .`,
			want: quad.Quad{Subject: quad.IRI("https://a.example/s"), Predicate: quad.IRI("https://a.example/p"), Object: quad.IRI("https://a.example/o")}},
		{name: "language string and graph", line: `_:b1 <https://a.example/p> "Pflege"@de <https://a.example/g> .`,
			want: quad.Quad{Subject: quad.BNode("b1"), Predicate: quad.IRI("https://a.example/p"), Object: quad.LangString{Value: "Pflege", Lang: "de"}, Label: quad.IRI("https://a.example/g")}},
		{name: "typed literal kept as written", line: `<https://a.example/s> <https://a.example/p> "007"^^<http://www.w3.org/2001/XMLSchema#integer> .`,
			want: quad.Quad{Subject: quad.IRI("https://a.example/s"), Predicate: quad.IRI("https://a.example/p"), Object: quad.TypedString{Value: "007", Type: "http://www.w3.org/2001/XMLSchema#integer"}}},
		{name: "relative IRI", line: `<s> <https://a.example/p> "x" .`, err: "the subject <s> is a relative IRI"},
		{name: "space in IRI", line: `<https://a.example/s> <https://a.example/p> <https://a.example/o o> .`, err: "not an N-Quads statement"},
		{name: "bad language tag", line: `<https://a.example/s> <https://a.example/p> "x"@en_US .`, err: "not an N-Quads statement"},
		{name: "literal subject", line: `"x" <https://a.example/p> "y" .`, err: "not an N-Quads statement"},
		{name: "blank predicate", line: `<https://a.example/s> _:p "y" .`, err: "not an N-Quads statement"},
		{name: "no dot", line: `<https://a.example/s> <https://a.example/p> "y"`, err: "not an N-Quads statement"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseNQuad(tc.line)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseNQuad(%q) = %v, %v; want an error with %q", tc.line, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseNQuad(%q) = %#v, %v; want %#v", tc.line, got, err, tc.want)
			}
		})
	}
}
