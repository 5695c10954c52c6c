package ingest

// Records written in Credential Engine's own JSON-LD shape, for consumers
// that know its registry: CTDL's context and terms, nested profiles and
// alignment objects where they came in, typed values and language maps as
// CTDL's context declares them. What the CTDL reader stored comes back as
// it came in: the links credreg derived from alignment objects are left
// out and the alignment objects put back under their properties; credreg's
// own terms are left out. The CTDL reader reads an export back into the
// same statements.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// CTDLContextURL is the JSON-LD context of Credential Engine's CTDL
// documents; a CTDL export names it (and nothing fetches it).
const CTDLContextURL = "https://credreg.net/ctdl/schema/context/json"

// CTDLLanguage is the language of the language maps a CTDL export writes
// for the names of the alignment objects it makes for code-list links.
const CTDLLanguage = "en-US"

// ErrNotCTDL is returned for a record CTDL cannot express: one of
// credreg's own classes only, such as a value designation.
var ErrNotCTDL = errors.New("the record is of credreg's own classes only, which CTDL does not define")

// maxCTDLGraphParts caps the records a CTDL graph export gathers.
const maxCTDLGraphParts = registry.MaxWholeParts

// ctdlFrameworks are the code lists of CTDL alignments: the framework's
// IRI and name.
var ctdlFrameworks = map[string][2]string{
	schema.SchemeSOC:   {"https://www.bls.gov/soc/2018/", "Standard Occupational Classification"},
	schema.SchemeNAICS: {"https://www.census.gov/naics/", "North American Industry Classification System"},
	schema.SchemeCIP:   {"https://nces.ed.gov/ipeds/cipcode/", "Classification of Instructional Programs"},
}

// CTDLRecord returns the record iri as a CTDL JSON-LD document. It returns
// an error wrapping registry.ErrNotFound when there is no such record and
// ErrNotCTDL for a record of credreg's own classes only.
func CTDLRecord(ctx context.Context, store *registry.Store, iri string) ([]byte, error) {
	rec, err := store.Get(ctx, iri)
	if err != nil {
		return nil, err
	}
	node, err := ctdlNodeOf(ctx, store, rec)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"@context": CTDLContextURL}
	for k, v := range node {
		out[k] = v
	}
	return marshalCTDL(out, iri)
}

// CTDLGraph returns the record iri with the records that are part of it
// (ceasn:isPartOf it, as a framework's competencies, or skos:inScheme it,
// as a concept scheme's concepts) in Credential Engine's "@graph" shape:
// the resource first, then its parts in IRI order.
func CTDLGraph(ctx context.Context, store *registry.Store, iri string) ([]byte, error) {
	rec, err := store.Get(ctx, iri)
	if err != nil {
		return nil, err
	}
	main, err := ctdlNodeOf(ctx, store, rec)
	if err != nil {
		return nil, err
	}
	nodes := []any{main}
	seen := map[string]bool{iri: true}
	var parts []string
	for _, p := range []string{schema.IsPartOf, schema.InScheme} {
		subs, err := store.Subjects(ctx, p, quad.IRI(iri))
		if err != nil {
			return nil, fmt.Errorf("parts of %s: %w", iri, err)
		}
		for _, s := range subs {
			if !seen[s] && schema.RecordIRI(s) == s {
				seen[s] = true
				parts = append(parts, s)
			}
		}
	}
	if len(parts) > maxCTDLGraphParts {
		return nil, fmt.Errorf("%s has %d parts, more than the %d a graph export gathers", iri, len(parts), maxCTDLGraphParts)
	}
	sort.Strings(parts)
	for _, p := range parts {
		part, err := store.Get(ctx, p)
		if errors.Is(err, registry.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("part %s of %s: %w", p, iri, err)
		}
		n, err := ctdlNodeOf(ctx, store, part)
		if errors.Is(err, ErrNotCTDL) {
			continue
		}
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	graphIRI := iri
	if c := ctidOfIRI(store.Base(), iri); c != "" {
		graphIRI = store.Base().String() + "/graph/" + c
	}
	return marshalCTDL(map[string]any{"@context": CTDLContextURL, "@id": graphIRI, "@graph": nodes}, iri)
}

func marshalCTDL(doc map[string]any, iri string) ([]byte, error) {
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("CTDL export of %s: %w", iri, err)
	}
	return append(b, '\n'), nil
}

// ctdlExport is one record being written in CTDL's shape.
type ctdlExport struct {
	ctx   context.Context
	store *registry.Store
	rec   *registry.Record
	out   map[quad.Value][]po // the statements to write, by subject
	refs  map[quad.Value]int  // how often each fragment node is an object
	names map[quad.Value]string
	err   error
}

// ctdlNodeOf writes a record's node, its fragment nodes nested in it.
func ctdlNodeOf(ctx context.Context, store *registry.Store, rec *registry.Record) (map[string]any, error) {
	x := &ctdlExport{ctx: ctx, store: store, rec: rec, out: map[quad.Value][]po{}, refs: map[quad.Value]int{}, names: map[quad.Value]string{}}
	x.prepare()
	root := quad.IRI(rec.IRI)
	ctdlTypes := false
	for _, st := range x.out[root] {
		if string(st.p) == schema.RDFType {
			ctdlTypes = true
		}
	}
	if !ctdlTypes {
		return nil, fmt.Errorf("%s: %w", rec.IRI, ErrNotCTDL)
	}
	n := x.node(root, map[quad.Value]bool{})
	if x.err != nil {
		return nil, x.err
	}
	return n, nil
}

// prepare selects the statements to write: credreg's own terms are left
// out, alignment objects kept under credreg:sourceAlignment go back under
// the property they came with, and the links credreg derived from them
// are left out. A record no CTDL reader made (no alignment object kept)
// gets alignment objects made for its code-list and competency links.
func (x *ctdlExport) prepare() {
	root := quad.IRI(x.rec.IRI)
	type link struct {
		s quad.Value
		p string
		o quad.Value
	}
	holder := map[quad.Value]quad.Value{} // alignment node -> its node
	alignProp := map[quad.Value]string{}
	derived := map[link]bool{}
	for _, q := range x.rec.Quads {
		switch string(q.Predicate.(quad.IRI)) {
		case schema.SourceAlignment:
			holder[q.Object] = q.Subject
		case schema.AlignmentProperty:
			alignProp[q.Subject] = string(rdf.IRIOf(q.Object))
		}
	}
	for _, q := range x.rec.Quads {
		if string(q.Predicate.(quad.IRI)) != schema.DerivedLink {
			continue
		}
		if p, ok := alignProp[q.Subject]; ok {
			derived[link{holder[q.Subject], p, q.Object}] = true
		} else {
			derived[link{root, schema.TargetCompetency, q.Object}] = true
		}
	}
	for _, q := range x.rec.Quads {
		p := string(q.Predicate.(quad.IRI))
		switch {
		case p == schema.SourceAlignment:
			if ap, ok := alignProp[q.Object]; ok {
				x.add(q.Subject, ap, q.Object)
			}
			continue
		case strings.HasPrefix(p, schema.Credreg):
			continue
		case p == schema.RDFType && strings.HasPrefix(string(rdf.IRIOf(q.Object)), schema.Credreg):
			continue
		case derived[link{q.Subject, p, q.Object}]:
			continue
		}
		if len(alignProp) == 0 && q.Subject == root {
			if a := x.madeAlignment(p, q.Object); a != nil {
				x.add(q.Subject, p, a)
				continue
			}
		}
		x.add(q.Subject, p, q.Object)
	}
}

func (x *ctdlExport) add(s quad.Value, p string, o quad.Value) {
	x.out[s] = append(x.out[s], po{quad.IRI(p), o})
	if x.fragment(o) {
		x.refs[o]++
	}
}

// fragment reports whether v is a node of the record other than its own.
func (x *ctdlExport) fragment(v quad.Value) bool {
	iri, ok := v.(quad.IRI)
	return ok && strings.HasPrefix(string(iri), x.rec.IRI+"#")
}

// madeAlignment returns a CredentialAlignmentObject for a code-list or
// competency link of a record no CTDL reader made, as a literal JSON
// object node; nil when the link is not one.
func (x *ctdlExport) madeAlignment(p string, o quad.Value) quad.Value {
	iri, ok := o.(quad.IRI)
	if !ok {
		return nil
	}
	base := x.store.Base()
	var a map[string]any
	switch p {
	case schema.OccupationType, schema.IndustryType, schema.InstructionalProgramType:
		scheme := alignmentSchemes[p]
		code, ok := strings.CutPrefix(string(iri), base.Scheme(scheme)+"/")
		if !ok {
			return nil
		}
		a = map[string]any{"@type": "ceterms:CredentialAlignmentObject", "ceterms:targetNode": string(iri)}
		if n, err := url.PathUnescape(code); err == nil {
			a["ceterms:codedNotation"] = n
		}
		fw := ctdlFrameworks[scheme]
		a["ceterms:framework"] = fw[0]
		a["ceterms:frameworkName"] = map[string]string{CTDLLanguage: fw[1]}
	case schema.TargetCompetency:
		a = map[string]any{"@type": "ceterms:CredentialAlignmentObject", "ceterms:targetNode": string(iri)}
	default:
		return nil
	}
	name, err := x.store.Label(x.ctx, string(iri))
	if err != nil && x.err == nil {
		x.err = err
	}
	if name != "" {
		a["ceterms:targetNodeName"] = map[string]string{CTDLLanguage: name}
	}
	return madeNode{a}
}

// madeNode is a node object the export makes (not a stored node); it
// carries its JSON as it is written.
type madeNode struct{ json map[string]any }

func (madeNode) String() string { return "made node" }
func (madeNode) Native() any    { return nil }

// node writes a node object: "@id" (none for a node that came in as a
// blank node, the source IRI for one that came with a foreign IRI),
// "@type", then its properties.
func (x *ctdlExport) node(s quad.Value, onPath map[quad.Value]bool) map[string]any {
	onPath[s] = true
	defer delete(onPath, s)
	out := map[string]any{}
	if id := x.idOf(s); id != "" {
		out["@id"] = id
	}
	sts := x.out[s]
	byProp := map[string][]quad.Value{}
	var props []string
	sameAs := x.sourceIRI(s)
	for _, st := range sts {
		p := string(st.p)
		if p == schema.SameAs && sameAs != "" && st.o == quad.IRI(sameAs) {
			continue // written as the node's @id
		}
		if _, ok := byProp[p]; !ok {
			props = append(props, p)
		}
		byProp[p] = append(byProp[p], st.o)
	}
	sort.Strings(props)
	for _, p := range props {
		vals := byProp[p]
		if p == schema.RDFType {
			var types []any
			for _, v := range vals {
				types = append(types, ctdlCompact(string(rdf.IRIOf(v))))
			}
			out["@type"] = single(types)
			continue
		}
		x.property(out, p, vals, onPath)
	}
	return out
}

// sourceIRI returns the foreign IRI a fragment node came in with (its one
// owl:sameAs), or "".
func (x *ctdlExport) sourceIRI(s quad.Value) string {
	if !x.fragment(s) {
		return ""
	}
	var same []string
	for _, st := range x.out[s] {
		if string(st.p) == schema.SameAs {
			if iri, ok := st.o.(quad.IRI); ok {
				same = append(same, string(iri))
			}
		}
	}
	if len(same) == 1 {
		return same[0]
	}
	return ""
}

// idOf returns the "@id" a node is written with, "" for none.
func (x *ctdlExport) idOf(s quad.Value) string {
	iri := string(rdf.IRIOf(s))
	if !x.fragment(s) {
		return iri
	}
	if src := x.sourceIRI(s); src != "" {
		return src
	}
	frag := iri[len(x.rec.IRI)+1:]
	if strings.HasPrefix(frag, "b") && len(frag) == 13 {
		// came in as a blank node: written as one
		if x.refs[s] > 1 {
			return "_:" + frag
		}
		return ""
	}
	return iri
}

// property writes the values of one property the way CTDL's context
// declares its term: a language map for "@container": "@language", bare
// IRIs for "@type": "@id", bare lexical forms (or JSON numbers and
// booleans that read back the same) for a declared datatype, and value
// objects where the value is not of the declared kind.
func (x *ctdlExport) property(out map[string]any, p string, vals []quad.Value, onPath map[quad.Value]bool) {
	key, typ, container, ok := schema.CTDLTermDefinition(p)
	if !ok {
		key = ctdlCompact(p)
		if key == p {
			key = p
		}
	}
	if container == "@language" {
		langs := map[string][]string{}
		var rest []quad.Value
		for _, v := range vals {
			if ls, ok := v.(quad.LangString); ok {
				tag := languageTag(ls.Lang)
				langs[tag] = append(langs[tag], string(ls.Value))
			} else {
				rest = append(rest, v)
			}
		}
		if len(langs) > 0 {
			m := map[string]any{}
			for tag, ss := range langs {
				if len(ss) == 1 {
					m[tag] = ss[0]
				} else {
					m[tag] = ss
				}
			}
			out[key] = m
			if len(rest) > 0 {
				// Values of another kind cannot share the language map:
				// they go under the full IRI, which no term definition
				// applies to.
				var objs []any
				for _, v := range rest {
					objs = append(objs, x.value(v, "", onPath))
				}
				out[p] = single(objs)
			}
			return
		}
	}
	var objs []any
	for _, v := range vals {
		objs = append(objs, x.value(v, typ, onPath))
	}
	out[key] = single(objs)
}

// value writes one value of a property whose term has "@type" typ.
func (x *ctdlExport) value(v quad.Value, typ string, onPath map[quad.Value]bool) any {
	switch t := v.(type) {
	case madeNode:
		return t.json
	case quad.IRI:
		if x.fragment(v) {
			if onPath[v] || x.refs[v] > 1 && x.written(v) {
				return map[string]any{"@id": x.idOf(v)}
			}
			x.markWritten(v)
			return x.node(v, onPath)
		}
		if typ == "@id" || typ == "@vocab" {
			return string(t)
		}
		return map[string]any{"@id": string(t)}
	case quad.LangString:
		return map[string]any{"@value": string(t.Value), "@language": languageTag(t.Lang)}
	case quad.String:
		if typ == "" || typ == schema.XSDString {
			return string(t)
		}
		return map[string]any{"@value": string(t)}
	case quad.TypedString:
		lex, dt := string(t.Value), string(t.Type)
		if dt == typ {
			if n, ok := nativeValue(lex, dt); ok {
				return n
			}
			return lex
		}
		return map[string]any{"@value": lex, "@type": ctdlCompact(dt)}
	}
	return map[string]any{"@value": rdf.Lexical(v)}
}

// written tracks the shared fragment nodes already written in full.
func (x *ctdlExport) written(v quad.Value) bool { return x.names[v] == "written" }
func (x *ctdlExport) markWritten(v quad.Value)  { x.names[v] = "written" }

// nativeValue returns the JSON number or boolean a typed value can be
// written as, when JSON-LD's conversion to RDF gives back the same lexical
// form (so "1500"^^xsd:float is 1500, "4.55E1"^^xsd:float is 45.5, but
// "45.50"^^xsd:decimal stays a string).
func nativeValue(lex, dt string) (any, bool) {
	switch dt {
	case schema.XSDBoolean:
		switch lex {
		case "true":
			return true, true
		case "false":
			return false, true
		}
		return nil, false
	case schema.XSDInteger, schema.XSD + "float", schema.XSD + "double", schema.XSDDecimal:
	default:
		return nil, false
	}
	f, err := strconv.ParseFloat(lex, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, false
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 && dt != schema.XSD+"double" {
		if strconv.FormatFloat(f, 'f', 0, 64) == lex && math.Abs(f) < 1<<53 {
			return json.Number(lex), true
		}
		return nil, false
	}
	if dt == schema.XSDInteger {
		return nil, false
	}
	if canonicalDouble(f) == lex {
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), true
	}
	return nil, false
}

// canonicalDouble writes f the way JSON-LD's RDF conversion writes a
// non-integral number: "4.55E1".
func canonicalDouble(f float64) string {
	s := strconv.FormatFloat(f, 'e', 15, 64) // d.ddddddddddddddde±XX
	mant, exp, _ := strings.Cut(s, "e")
	if strings.Contains(mant, ".") {
		mant = strings.TrimRight(mant, "0")
		if strings.HasSuffix(mant, ".") {
			mant += "0"
		}
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// languageTag writes a language tag in its usual case: "en-us" is
// "en-US", "zh-hant" is "zh-Hant".
func languageTag(tag string) string {
	parts := strings.Split(tag, "-")
	for i, p := range parts {
		switch {
		case i == 0:
			parts[i] = strings.ToLower(p)
		case len(p) == 2:
			parts[i] = strings.ToUpper(p)
		case len(p) == 4:
			parts[i] = strings.ToUpper(p[:1]) + strings.ToLower(p[1:])
		default:
			parts[i] = strings.ToLower(p)
		}
	}
	return strings.Join(parts, "-")
}

func single(vs []any) any {
	if len(vs) == 1 {
		return vs[0]
	}
	return vs
}
