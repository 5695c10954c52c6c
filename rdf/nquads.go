package rdf

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/cayleygraph/quad"
	"github.com/cayleygraph/quad/nquads"
)

// NQuads writes statements as N-Quads lines, sorted, without graph
// labels.
func NQuads(quads []quad.Quad) []byte {
	lines := make([]string, len(quads))
	for i, q := range quads {
		lines[i] = NQuadLine(q.Subject, q.Predicate, q.Object, nil)
	}
	sort.Strings(lines)
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
	}
	return b.Bytes()
}

// NQuadLine formats one statement as an N-Quads line with a newline.
func NQuadLine(s, p, o, g quad.Value) string {
	return string(AppendNQuad(nil, s, p, o, g))
}

// AppendNQuad appends the N-Quads line of a statement (with its newline)
// to b, as NQuadLine formats it, without allocating beyond b's growth.
func AppendNQuad(b []byte, s, p, o, g quad.Value) []byte {
	b = AppendTerm(b, s)
	b = append(b, ' ')
	b = AppendTerm(b, p)
	b = append(b, ' ')
	b = AppendTerm(b, o)
	if g != nil {
		b = append(b, ' ')
		b = AppendTerm(b, g)
	}
	return append(b, " .\n"...)
}

// TermString formats a term in N-Quads syntax ("" for none).
func TermString(v quad.Value) string {
	return string(AppendTerm(nil, v))
}

// AppendTerm appends a term in N-Quads syntax to b (nothing for none).
func AppendTerm(b []byte, v quad.Value) []byte {
	switch x := v.(type) {
	case nil:
		return b
	case quad.IRI:
		b = append(b, '<')
		b = append(b, escapeIRI(string(x))...)
		return append(b, '>')
	case quad.BNode:
		b = append(b, "_:"...)
		return append(b, x...)
	case quad.String:
		b = append(b, '"')
		b = appendEscapedLiteral(b, string(x))
		return append(b, '"')
	case quad.LangString:
		b = append(b, '"')
		b = appendEscapedLiteral(b, string(x.Value))
		b = append(b, `"@`...)
		return append(b, x.Lang...)
	case quad.TypedString:
		b = append(b, '"')
		b = appendEscapedLiteral(b, string(x.Value))
		b = append(b, `"^^<`...)
		b = append(b, escapeIRI(string(x.Type))...)
		return append(b, '>')
	}
	if c := CanonicalTerm(v); c != v {
		return AppendTerm(b, c)
	}
	return append(b, quad.StringOf(v)...)
}

// appendEscapedLiteral appends s escaped as the lexical form of an N-Quads
// literal (invalid UTF-8 becomes U+FFFD).
func appendEscapedLiteral(b []byte, s string) []byte {
	if !strings.ContainsAny(s, "\\\"\n\r") && utf8.ValidString(s) {
		return append(b, s...)
	}
	for _, r := range s {
		switch r {
		case '\\':
			b = append(b, `\\`...)
		case '"':
			b = append(b, `\"`...)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}

func escapeIRI(s string) string {
	if !strings.ContainsAny(s, "<>\"{}|^`\\ ") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r <= 0x20 || strings.ContainsRune("<>\"{}|^`\\", r) {
			fmt.Fprintf(&b, `\u%04X`, r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Canonicalize returns the record's statements deduplicated and sorted,
// with canonical values, and the content hash over them: sha256 of their
// N-Quads lines (without graph), sorted, concatenated. Its scratch space
// (the lines) is reused across calls: a write canonicalizes each record
// several times, and at import rates that garbage was a tenth of the
// allocations.
func Canonicalize(quads []quad.Quad) ([]quad.Quad, string) {
	sc := canonScratch.Get().(*canonical)
	defer sc.release()
	for _, q := range quads {
		q = quad.Quad{Subject: CanonicalTerm(q.Subject), Predicate: CanonicalTerm(q.Predicate), Object: CanonicalTerm(q.Object)}
		start := len(sc.buf)
		sc.buf = AppendNQuad(sc.buf, q.Subject, q.Predicate, q.Object, nil)
		sc.lines = append(sc.lines, canonLine{start, len(sc.buf), q})
	}
	buf, lines := sc.buf, sc.lines
	slices.SortStableFunc(lines, func(a, b canonLine) int { return bytes.Compare(buf[a.start:a.end], buf[b.start:b.end]) })
	h := sha256.New()
	out := make([]quad.Quad, 0, len(lines))
	for i, l := range lines {
		// Equal lines are adjacent once sorted: keep the first.
		if i > 0 && bytes.Equal(buf[l.start:l.end], buf[lines[i-1].start:lines[i-1].end]) {
			continue
		}
		h.Write(buf[l.start:l.end])
		out = append(out, l.q)
	}
	var sum [sha256.Size]byte
	return out, "sha256:" + hex.EncodeToString(h.Sum(sum[:0]))
}

// canonLine is a statement of Canonicalize and its line: a span of the
// shared buffer.
type canonLine struct {
	start, end int
	q          quad.Quad
}

// canonical is Canonicalize's scratch space.
type canonical struct {
	buf   []byte
	lines []canonLine
}

var canonScratch = sync.Pool{New: func() any { return new(canonical) }}

// release returns the scratch space to the pool, unless one record made
// it too large to keep.
func (c *canonical) release() {
	if cap(c.buf) > 1<<20 || cap(c.lines) > 1<<14 {
		return
	}
	clear(c.lines) // the statements' values: let them go
	c.buf, c.lines = c.buf[:0], c.lines[:0]
	canonScratch.Put(c)
}

// ContentHash returns the hash a record with these statements has
// ("sha256:…" over its canonical N-Quads), for checking a record read back.
func ContentHash(quads []quad.Quad) string {
	_, h := Canonicalize(quads)
	return h
}

// ParseNQuad parses one N-Quads statement, keeping its literal as written,
// and checks its terms: absolute IRIs without the characters IRIs do not
// allow, language tags of BCP 47's shape, an IRI or blank node subject and
// an IRI predicate. Its error says what is wrong in words the person who
// wrote the line understands. A graph label, if any, is kept.
func ParseNQuad(line string) (q quad.Quad, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("not an N-Quads statement (%v)", p)
		}
	}()
	q, err = nquads.ParseRaw(line)
	if err != nil {
		return quad.Quad{}, fmt.Errorf("not an N-Quads statement: %w", err)
	}
	for _, c := range []struct {
		what  string
		v     quad.Value
		kinds string // 'i' IRI, 'b' blank node, 'l' literal
	}{{"subject", q.Subject, "ib"}, {"predicate", q.Predicate, "i"}, {"object", q.Object, "ibl"}} {
		if msg := checkTerm(c.what, c.v, c.kinds); msg != "" {
			return quad.Quad{}, errors.New(msg)
		}
	}
	return q, nil
}

// checkTerm says what is wrong with the term v in the position what, which
// may hold the kinds of terms kinds lists, or returns "".
func checkTerm(what string, v quad.Value, kinds string) string {
	var kind byte
	switch x := v.(type) {
	case quad.IRI:
		if i := strings.IndexByte(string(x), ':'); i <= 0 || !ValidIRI(string(x)[:i]+":x") {
			return fmt.Sprintf("the %s <%s> is a relative IRI; N-Quads needs absolute IRIs", what, string(x))
		}
		if !ValidIRI(string(x)) {
			return fmt.Sprintf("the %s <%s> is not an IRI (it holds white space or a character IRIs do not allow)", what, string(x))
		}
		kind = 'i'
	case quad.BNode:
		kind = 'b'
	case quad.LangString:
		if !ValidLanguageTag(x.Lang) {
			return fmt.Sprintf("the %s's language tag %q is not a language tag (BCP 47, like en or es-MX)", what, x.Lang)
		}
		kind = 'l'
	case quad.TypedString:
		if !ValidIRI(string(x.Type)) {
			return fmt.Sprintf("the %s's datatype <%s> is not an absolute IRI", what, string(x.Type))
		}
		kind = 'l'
	case quad.String:
		kind = 'l'
	case nil:
		return "missing " + what
	}
	if kind == 0 || !strings.ContainsRune(kinds, rune(kind)) {
		switch kinds {
		case "i":
			return fmt.Sprintf("the %s must be an IRI", what)
		case "ib":
			return fmt.Sprintf("the %s must be an IRI or a blank node", what)
		}
		return fmt.Sprintf("the %s must be an IRI, a blank node or a literal", what)
	}
	return ""
}
