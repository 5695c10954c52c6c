package registry

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cayleygraph/quad"
)

// refTermString is the string-building formatting that appendTerm
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
	return refTermString(canonicalValue(v))
}

// refCanonicalHash is the content hash as canonical computed it before it
// shared one buffer: sorted distinct lines, concatenated, sha256.
func refCanonicalHash(quads []quad.Quad) string {
	seen := map[string]bool{}
	var lines []string
	for _, q := range quads {
		l := refTermString(canonicalValue(q.Subject)) + " " + refTermString(canonicalValue(q.Predicate)) + " " + refTermString(canonicalValue(q.Object)) + " .\n"
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
			if got := termString(tt.v); got != want {
				t.Errorf("termString = %q, want %q", got, want)
			}
			if got := string(appendTerm([]byte("prefix "), tt.v)); got != "prefix "+want {
				t.Errorf("appendTerm after a prefix = %q, want %q", got, "prefix "+want)
			}
			line := nquadLine(quad.IRI("urn:s"), quad.IRI("urn:p"), tt.v, quad.IRI("urn:g"))
			if want := "<urn:s> <urn:p> " + want + " <urn:g> .\n"; line != want {
				t.Errorf("nquadLine = %q, want %q", line, want)
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
			out, hash := canonical(tt.quads)
			if want := refCanonicalHash(tt.quads); hash != want {
				t.Errorf("hash %s, want %s", hash, want)
			}
			if len(out) != tt.want {
				t.Errorf("%d statements, want %d: %v", len(out), tt.want, out)
			}
			for i := 1; i < len(out); i++ {
				a := nquadLine(out[i-1].Subject, out[i-1].Predicate, out[i-1].Object, nil)
				b := nquadLine(out[i].Subject, out[i].Predicate, out[i].Object, nil)
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

func TestDiffRecord(t *testing.T) {
	iri := "https://registry.example.gov/resources/ce-1"
	label := quad.IRI(iri)
	st := func(p, o string, g quad.Value) quad.Quad {
		return quad.Quad{Subject: quad.IRI(iri), Predicate: quad.IRI(p), Object: quad.String(o), Label: g}
	}
	meta := func(p, o string) quad.Quad {
		return quad.Quad{Subject: metaNode(iri), Predicate: quad.IRI(p), Object: quad.String(o), Label: quad.IRI(graphRecords)}
	}
	strip := func(qs ...quad.Quad) []quad.Quad { // as a stored record holds them
		out := make([]quad.Quad, len(qs))
		for i, q := range qs {
			q.Label = nil
			out[i] = q
		}
		return out
	}
	tests := []struct {
		name        string
		old         *stored
		next        []quad.Quad
		wantAdd     []quad.Quad
		wantRemoved []quad.Quad
	}{
		{
			name:        "all kept",
			old:         &stored{Record: Record{Quads: strip(st("urn:a", "1", nil))}, meta: []quad.Quad{meta("urn:m", "x")}},
			next:        []quad.Quad{st("urn:a", "1", label), meta("urn:m", "x")},
			wantAdd:     nil,
			wantRemoved: nil,
		},
		{
			name:        "one replaced, one kept, bookkeeping changed",
			old:         &stored{Record: Record{Quads: strip(st("urn:a", "1", nil), st("urn:b", "2", nil))}, meta: []quad.Quad{meta("urn:m", "x"), meta("urn:created", "c")}},
			next:        []quad.Quad{st("urn:a", "1", label), st("urn:b", "3", label), meta("urn:m", "y"), meta("urn:created", "c")},
			wantAdd:     []quad.Quad{st("urn:b", "3", label), meta("urn:m", "y")},
			wantRemoved: []quad.Quad{st("urn:b", "2", label), meta("urn:m", "x")},
		},
		{
			name:        "everything new",
			old:         &stored{Record: Record{Quads: strip(st("urn:a", "1", nil))}},
			next:        []quad.Quad{st("urn:c", "9", label)},
			wantAdd:     []quad.Quad{st("urn:c", "9", label)},
			wantRemoved: []quad.Quad{st("urn:a", "1", label)},
		},
		{
			name:        "same statement in another graph is not kept",
			old:         &stored{Record: Record{Quads: strip(st("urn:a", "1", nil))}},
			next:        []quad.Quad{st("urn:a", "1", quad.IRI("urn:other"))},
			wantAdd:     []quad.Quad{st("urn:a", "1", quad.IRI("urn:other"))},
			wantRemoved: []quad.Quad{st("urn:a", "1", label)},
		},
	}
	lines := func(qs []quad.Quad) string {
		var b strings.Builder
		for _, q := range qs {
			b.WriteString(nquadLine(q.Subject, q.Predicate, q.Object, q.Label))
		}
		return b.String()
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prior := quad.Quad{Subject: quad.IRI("urn:earlier"), Predicate: quad.IRI("urn:p"), Object: quad.String("o"), Label: quad.IRI("urn:earlier")}
			added, removed := diffRecord([]quad.Quad{prior}, tt.old, label, tt.next)
			if got, want := lines(added), lines(tt.wantAdd); got != want {
				t.Errorf("added:\n%s\nwant:\n%s", got, want)
			}
			if got, want := lines(removed), lines(append([]quad.Quad{prior}, tt.wantRemoved...)); got != want {
				t.Errorf("removed (after the earlier records' removals):\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func BenchmarkCanonical(b *testing.B) {
	rec := synthCredential(benchBase(b), 1)
	b.ReportAllocs()
	for b.Loop() {
		canonical(rec.Quads)
	}
}
