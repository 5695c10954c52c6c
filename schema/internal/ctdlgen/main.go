// Command ctdlgen generates schema/ctdl_gen.go, credreg's tables of
// Credential Engine's CTDL, CTDL-ASN and QData vocabularies, from the
// published schema encodings and JSON-LD contexts kept in
// shared/reference/ctdl. It is run by go generate in the schema directory:
//
//	go run ./internal/ctdlgen [-ref DIR] [-out FILE]
//
// The tables hold full IRIs only. The schema encodings name their @context
// by URL, so their CURIEs are expanded with the prefixes of the two context
// files (each schema file with its own context's prefixes first, then the
// union of both).
//
// Where a JSON-LD context defines a term, the context decides whether the
// property's values are links, typed literals or language maps: that is how
// Credential Engine publishes data. Disagreements between a context and the
// schema ranges are listed in a comment of the generated file.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// The input files, in merge order: where two files declare the same class or
// property, the earlier one's label comes first and the others add to its
// superclasses and ranges.
const (
	ctdlContextFile  = "ctdl-context.json"
	asnContextFile   = "ctdlasn-context.json"
	ctdlSchemaFile   = "ctdl-schema.json"
	asnSchemaFile    = "ctdlasn-schema.json"
	qdataSchemaFile  = "qdata-schema-2023.json"
	ctidProperty     = "https://purl.org/ctdl/terms/ctid"
	ceasnNamespace   = "https://purl.org/ctdlasn/terms/"
	xsdNamespace     = "http://www.w3.org/2001/XMLSchema#"
	rdfNamespace     = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	rdfsNamespace    = "http://www.w3.org/2000/01/rdf-schema#"
	schemaNamespace  = "https://schema.org/"
	keywordID        = "@id"
	keywordVocab     = "@vocab"
	containerLangMap = "@language"
)

// schemaFiles lists the schema encodings read, with the context whose
// prefixes expand their CURIEs ("" = only the union of both contexts) and
// whether their ceterms:ctid domain decides which classes are top-level.
var schemaFiles = []struct {
	name, context string
	ctidDomain    bool
}{
	{ctdlSchemaFile, ctdlContextFile, true},
	{asnSchemaFile, asnContextFile, true},
	// The QData encoding's @context is http://credreg.net/qdata/schema/context/json,
	// which is not kept; its CURIEs use the CTDL prefixes.
	{qdataSchemaFile, "", false},
}

// classAliases maps a class name used in a domain or range to the class the
// schema declares. Credential Engine's encodings (both CTDL and CTDL-ASN)
// list the misspelled ceasn:CrtiterionLevel in the domain of ceterms:ctid;
// the class they declare is ceasn:CriterionLevel.
var classAliases = map[string]string{
	ceasnNamespace + "CrtiterionLevel": ceasnNamespace + "CriterionLevel",
}

// literalRanges are the ranges, besides xsd:* other than xsd:anyURI, whose
// values are literals. Every other range is a node or an IRI.
var literalRanges = map[string]bool{
	rdfNamespace + "langString":  true,
	rdfsNamespace + "Literal":    true,
	schemaNamespace + "Date":     true,
	schemaNamespace + "Duration": true,
}

func isLiteralRange(iri string) bool {
	if strings.HasPrefix(iri, xsdNamespace) {
		return iri != xsdNamespace+"anyURI"
	}
	return literalRanges[iri]
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("ctdlgen: ")
	ref := flag.String("ref", filepath.Join("..", "..", "shared", "reference", "ctdl"), "directory of the CTDL reference files")
	out := flag.String("out", "ctdl_gen.go", "generated Go file")
	flag.Parse()

	src, err := generate(*ref)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

// source is one input file as read, with its SHA-256.
type source struct {
	file, sha256   string
	classes, props int
	isSchema       bool // classes and props were counted
}

// reader reads the input files and remembers their digests.
type reader struct {
	dir     string
	sources []*source
}

func (r *reader) readJSON(name string, v any) (*source, error) {
	data, err := os.ReadFile(filepath.Join(r.dir, name))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	src := &source{file: name, sha256: hex.EncodeToString(sum[:])}
	r.sources = append(r.sources, src)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return src, nil
}

// termDef is one term definition of a context, with its IRI and @type
// expanded.
type termDef struct {
	key, iri, typ, container string
}

// context is one parsed JSON-LD context file.
type context struct {
	file     string
	prefixes map[string]string
	terms    map[string]termDef
}

// isPrefixIRI reports whether a simple term definition's IRI can serve as a
// prefix (JSON-LD 1.1: it ends with a gen-delim character).
func isPrefixIRI(iri string) bool {
	return iri != "" && strings.ContainsRune(":/?#[]@", rune(iri[len(iri)-1]))
}

// expander expands CURIEs with a list of prefix maps, earlier ones first.
type expander []map[string]string

// expand returns the full IRI of a CURIE or absolute IRI, and false when
// value is neither (a keyword, a bare word, an unknown prefix).
func (e expander) expand(value string) (string, bool) {
	if strings.HasPrefix(value, "@") || strings.HasPrefix(value, "_:") {
		return "", false
	}
	prefix, local, ok := strings.Cut(value, ":")
	if !ok {
		return "", false
	}
	if strings.HasPrefix(local, "//") {
		return value, true
	}
	for _, m := range e {
		if ns, ok := m[prefix]; ok {
			return ns + local, true
		}
	}
	return "", false
}

func readContext(r *reader, name string, union map[string]string) (*context, error) {
	var doc struct {
		Context map[string]any `json:"@context"`
	}
	if _, err := r.readJSON(name, &doc); err != nil {
		return nil, err
	}
	if doc.Context == nil {
		return nil, fmt.Errorf("%s: no @context object", name)
	}
	c := &context{file: name, prefixes: map[string]string{}, terms: map[string]termDef{}}
	// Prefixes first: term definitions are expanded with them.
	for key, v := range doc.Context {
		if s, ok := v.(string); ok && !strings.Contains(key, ":") && isPrefixIRI(s) {
			c.prefixes[key] = s
		}
	}
	exp := expander{c.prefixes, union}
	for key, v := range doc.Context {
		if strings.HasPrefix(key, "@") {
			continue // @vocab, @language, @version…: no term
		}
		if _, isPrefix := c.prefixes[key]; isPrefix {
			continue
		}
		def := termDef{key: key}
		switch v := v.(type) {
		case string:
			def.iri = v
		case map[string]any:
			if id, ok := v["@id"].(string); ok {
				def.iri = id
			}
			if t, ok := v["@type"].(string); ok {
				def.typ = t
			}
			if ct, ok := v["@container"].(string); ok {
				def.container = ct
			}
		default:
			return nil, fmt.Errorf("%s: term %q: unsupported definition %T", name, key, v)
		}
		if def.iri == "" {
			def.iri = key
		}
		iri, ok := exp.expand(def.iri)
		if !ok {
			return nil, fmt.Errorf("%s: term %q: cannot expand %q", name, key, def.iri)
		}
		def.iri = iri
		if def.typ != "" && def.typ != keywordID && def.typ != keywordVocab {
			t, ok := exp.expand(def.typ)
			if !ok {
				return nil, fmt.Errorf("%s: term %q: cannot expand @type %q", name, key, def.typ)
			}
			def.typ = t
		}
		c.terms[key] = def
	}
	return c, nil
}

// class and property are the merged declarations.
type class struct {
	iri, label string
	super      []string
	topLevel   bool
	declared   bool
}

type property struct {
	iri             string
	ranges          []string
	link            bool
	datatype        string
	langMap         bool
	declaredInGraph bool
}

// strs returns the strings of a JSON-LD value: a string, an {"@id": …}
// object or a list of them. Other values are dropped.
func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case map[string]any:
		if id, ok := v["@id"].(string); ok {
			return []string{id}
		}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, strs(e)...)
		}
		return out
	}
	return nil
}

// englishLabel picks the English label of a language map (en-US, then en,
// then any en-*), or a plain string label.
func englishLabel(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		for _, k := range []string{"en-US", "en-us", "en"} {
			if s, ok := v[k].(string); ok {
				return s
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			if strings.HasPrefix(strings.ToLower(k), "en") {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			if s, ok := v[k].(string); ok {
				return s
			}
		}
	}
	return ""
}

func hasType(entry map[string]any, t string) bool {
	for _, s := range strs(entry["@type"]) {
		if s == t {
			return true
		}
	}
	return false
}

func appendNew(list []string, values ...string) []string {
	for _, v := range values {
		found := false
		for _, have := range list {
			if have == v {
				found = true
				break
			}
		}
		if !found {
			list = append(list, v)
		}
	}
	return list
}

// model is everything read, merged, ready to print.
type model struct {
	sources    []*source
	prefixes   map[string]string
	terms      map[string]termDef
	classes    map[string]*class
	props      map[string]*property
	notes      map[string][]string // comment sections by heading
	noteOrder  []string
	ctidDomain int
}

func (m *model) note(section, format string, args ...any) {
	if _, ok := m.notes[section]; !ok {
		m.noteOrder = append(m.noteOrder, section)
	}
	m.notes[section] = append(m.notes[section], fmt.Sprintf(format, args...))
}

func generate(dir string) ([]byte, error) {
	m, err := load(dir)
	if err != nil {
		return nil, err
	}
	return m.render()
}

func load(dir string) (*model, error) {
	r := &reader{dir: dir}
	m := &model{classes: map[string]*class{}, props: map[string]*property{}, notes: map[string][]string{}}

	// The contexts. Prefixes are read first from both so that a term of one
	// context may use a prefix only the other defines.
	ctdlCtx, err := readContext(r, ctdlContextFile, nil)
	if err != nil {
		return nil, err
	}
	asnCtx, err := readContext(r, asnContextFile, ctdlCtx.prefixes)
	if err != nil {
		return nil, err
	}
	contexts := map[string]*context{ctdlContextFile: ctdlCtx, asnContextFile: asnCtx}

	const conflicts = "Definitions the two contexts give differently (the CTDL-ASN context is followed for ceasn: keys, the CTDL context otherwise)"
	m.prefixes = map[string]string{}
	for p, ns := range ctdlCtx.prefixes {
		m.prefixes[p] = ns
	}
	for _, p := range sortedKeys(asnCtx.prefixes) {
		ns := asnCtx.prefixes[p]
		if have, ok := m.prefixes[p]; ok && have != ns {
			m.note(conflicts, "prefix %s: %s %s, %s %s", p, ctdlContextFile, have, asnContextFile, ns)
			continue
		}
		m.prefixes[p] = ns
	}
	m.terms = map[string]termDef{}
	for k, d := range ctdlCtx.terms {
		m.terms[k] = d
	}
	for _, k := range sortedKeys(asnCtx.terms) {
		d := asnCtx.terms[k]
		if have, ok := m.terms[k]; ok && have != d {
			m.note(conflicts, "%s: %s %s, %s %s", k, ctdlContextFile, describeTerm(have), asnContextFile, describeTerm(d))
			if !strings.HasPrefix(k, "ceasn:") {
				continue
			}
		}
		m.terms[k] = d
	}
	if _, ok := m.notes[conflicts]; !ok {
		m.note(conflicts, "none: every key the two contexts share has the same definition")
	}

	// The schema encodings.
	union := expander{m.prefixes}
	var ctidDomain []string
	for _, f := range schemaFiles {
		var doc struct {
			Graph []map[string]any `json:"@graph"`
		}
		src, err := r.readJSON(f.name, &doc)
		if err != nil {
			return nil, err
		}
		if len(doc.Graph) == 0 {
			return nil, fmt.Errorf("%s: empty @graph", f.name)
		}
		exp := union
		if f.context != "" {
			exp = expander{contexts[f.context].prefixes, m.prefixes}
		}
		src.isSchema = true
		for _, e := range doc.Graph {
			id, _ := e["@id"].(string)
			iri, ok := exp.expand(id)
			isClass, isProp := hasType(e, "rdfs:Class"), hasType(e, "rdf:Property")
			if !isClass && !isProp {
				continue
			}
			if !ok {
				return nil, fmt.Errorf("%s: cannot expand @id %q", f.name, id)
			}
			if isClass {
				src.classes++
				c := m.classes[iri]
				if c == nil {
					c = &class{iri: iri}
					m.classes[iri] = c
				}
				c.declared = true
				if c.label == "" {
					c.label = englishLabel(e["rdfs:label"])
				}
				for _, s := range strs(e["rdfs:subClassOf"]) {
					if sup, ok := exp.expand(s); ok {
						c.super = appendNew(c.super, sup)
					} else {
						m.note("Superclasses skipped because they are not IRIs", "%s (%s): %q", id, f.name, s)
					}
				}
			}
			if isProp {
				src.props++
				p := m.props[iri]
				if p == nil {
					p = &property{iri: iri}
					m.props[iri] = p
				}
				p.declaredInGraph = true
				for _, s := range strs(e["schema:rangeIncludes"]) {
					if rng, ok := exp.expand(s); ok {
						p.ranges = appendNew(p.ranges, rng)
					} else {
						m.note("Ranges skipped because they are not IRIs", "%s (%s): %q", id, f.name, s)
					}
				}
				if iri == ctidProperty && f.ctidDomain {
					for _, s := range strs(e["schema:domainIncludes"]) {
						d, ok := exp.expand(s)
						if !ok {
							m.note("ceterms:ctid domain entries that are not IRIs", "%s: %q", f.name, s)
							continue
						}
						ctidDomain = appendNew(ctidDomain, d)
					}
				}
			}
		}
	}
	m.sources = r.sources

	// Top-level classes: the domain of ceterms:ctid.
	m.ctidDomain = len(ctidDomain)
	const undeclared = "Names in the ceterms:ctid domain of the CTDL and CTDL-ASN encodings that name no declared class"
	for _, d := range ctidDomain {
		if alias, ok := classAliases[d]; ok {
			m.note(undeclared, "%s: misspelling of %s (resolved by the generator's alias table)", compact(d, m.prefixes), compact(alias, m.prefixes))
			d = alias
		}
		c := m.classes[d]
		if c == nil {
			m.note(undeclared, "%s: no encoding declares it; known here as a top-level class without a label", compact(d, m.prefixes))
			c = &class{iri: d}
			m.classes[d] = c
		}
		c.topLevel = true
	}

	// Properties: the context's term definitions decide; the schema ranges
	// decide for properties no context defines.
	byIRI := map[string]string{}
	for _, k := range sortedKeys(m.terms) {
		d := m.terms[k]
		if have, ok := byIRI[d.iri]; ok {
			m.note("Context keys naming the same IRI (the first key is used)", "%s: %s, %s", d.iri, have, k)
			continue
		}
		byIRI[d.iri] = k
		if m.props[d.iri] == nil {
			m.props[d.iri] = &property{iri: d.iri}
		}
	}
	const disagree = "Properties on which the context and the schema disagree (the context is followed)"
	for _, iri := range sortedKeys(m.props) {
		p := m.props[iri]
		anyLiteral, anyLink := false, false
		for _, rng := range p.ranges {
			if isLiteralRange(rng) {
				anyLiteral = true
			} else {
				anyLink = true
			}
		}
		key, inContext := byIRI[iri]
		if !inContext {
			p.link = anyLink && !anyLiteral
			var lits []string
			for _, rng := range p.ranges {
				if isLiteralRange(rng) && rng != rdfNamespace+"langString" && rng != rdfsNamespace+"Literal" {
					lits = append(lits, rng)
				}
			}
			if !anyLink && len(lits) == 1 {
				p.datatype = lits[0]
			}
			m.note("Properties the contexts define no term for (kind taken from the schema ranges)", "%s: range %s", compact(iri, m.prefixes), compactList(p.ranges, m.prefixes))
			continue
		}
		d := m.terms[key]
		p.link = d.typ == keywordID || d.typ == keywordVocab
		if !p.link {
			p.datatype = d.typ
		}
		p.langMap = d.container == containerLangMap
		if !p.declaredInGraph || len(p.ranges) == 0 {
			continue
		}
		switch {
		case p.link && anyLiteral:
			m.note(disagree, "%s: context %q: %q; schema range %s", key, "@type", d.typ, compactList(p.ranges, m.prefixes))
		case !p.link && anyLink:
			m.note(disagree, "%s: context %s; schema range %s", key, describeTerm(d), compactList(p.ranges, m.prefixes))
		case p.datatype != "" && !contains(p.ranges, p.datatype):
			m.note(disagree, "%s: context %q: %q; schema range %s", key, "@type", compact(p.datatype, m.prefixes), compactList(p.ranges, m.prefixes))
		case p.langMap && !contains(p.ranges, rdfNamespace+"langString"):
			m.note(disagree, "%s: context language map; schema range %s", key, compactList(p.ranges, m.prefixes))
		}
	}
	if _, ok := m.notes[disagree]; !ok {
		m.note(disagree, "none")
	}
	return m, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func describeTerm(d termDef) string {
	var parts []string
	if d.typ != "" {
		parts = append(parts, fmt.Sprintf("%q: %q", "@type", d.typ))
	}
	if d.container != "" {
		parts = append(parts, fmt.Sprintf("%q: %q", "@container", d.container))
	}
	if len(parts) == 0 {
		return "(no @type, no @container) " + d.iri
	}
	return strings.Join(parts, ", ")
}

// compact shortens an IRI with the longest matching prefix, for comments.
func compact(iri string, prefixes map[string]string) string {
	best, bestNS := "", ""
	for _, p := range sortedKeys(prefixes) {
		ns := prefixes[p]
		if strings.HasPrefix(iri, ns) && len(ns) > len(bestNS) {
			best, bestNS = p, ns
		}
	}
	if bestNS == "" {
		return iri
	}
	return best + ":" + iri[len(bestNS):]
}

func compactList(iris []string, prefixes map[string]string) string {
	out := make([]string, len(iris))
	for i, s := range iris {
		out[i] = compact(s, prefixes)
	}
	return strings.Join(out, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func quoteList(list []string) string {
	if len(list) == 0 {
		return "nil"
	}
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	return "[]string{" + strings.Join(q, ", ") + "}"
}

func (m *model) render() ([]byte, error) {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	w("// Code generated by ctdlgen; DO NOT EDIT.\n\n")
	w("// Tables of Credential Engine's CTDL, CTDL-ASN and QData vocabularies, from\n")
	w("// the schema encodings and JSON-LD contexts in shared/reference/ctdl.\n")
	w("//\n")
	links, classesTop := 0, 0
	for _, p := range m.props {
		if p.link {
			links++
		}
	}
	for _, c := range m.classes {
		if c.topLevel {
			classesTop++
		}
	}
	w("// %d classes (%d top-level: the ceterms:ctid domain of %d names), %d properties\n", len(m.classes), classesTop, m.ctidDomain, len(m.props))
	w("// (%d with link values), %d context terms, %d prefixes.\n", links, len(m.terms), len(m.prefixes))
	for _, section := range m.noteOrder {
		w("//\n// %s:\n", section)
		for _, line := range m.notes[section] {
			w("//   - %s\n", line)
		}
	}
	w("\npackage schema\n\n")

	w("// ctdlSources lists the reference files the tables were generated from,\n")
	w("// with their SHA-256 and, for schema encodings, the number of classes and\n")
	w("// properties each declares.\n")
	w("var ctdlSources = []ctdlSource{\n")
	for _, s := range m.sources {
		w("{File: %q, SHA256: %q", s.file, s.sha256)
		if s.isSchema {
			w(", Classes: %d, Properties: %d", s.classes, s.props)
		}
		w("},\n")
	}
	w("}\n\n")

	w("// ctdlPrefixTable holds the prefix definitions of both contexts.\n")
	w("var ctdlPrefixTable = []ctdlPrefix{\n")
	for _, p := range sortedKeys(m.prefixes) {
		w("{%q, %q},\n", p, m.prefixes[p])
	}
	w("}\n\n")

	w("// ctdlTermTable holds the term definitions of both contexts, by key, with\n")
	w("// the IRI and @type expanded.\n")
	w("var ctdlTermTable = []ctdlTerm{\n")
	for _, k := range sortedKeys(m.terms) {
		d := m.terms[k]
		w("{Key: %q, IRI: %q", d.key, d.iri)
		if d.typ != "" {
			w(", Type: %q", d.typ)
		}
		if d.container != "" {
			w(", Container: %q", d.container)
		}
		w("},\n")
	}
	w("}\n\n")

	w("// ctdlClassTable holds every class of the encodings, merged, and the\n")
	w("// undeclared classes of the ceterms:ctid domain.\n")
	w("var ctdlClassTable = []CTDLClass{\n")
	for _, iri := range sortedKeys(m.classes) {
		c := m.classes[iri]
		w("{IRI: %q", c.iri)
		if c.label != "" {
			w(", Label: %q", c.label)
		}
		if len(c.super) > 0 {
			w(", Super: %s", quoteList(c.super))
		}
		if c.topLevel {
			w(", TopLevel: true")
		}
		w("},\n")
	}
	w("}\n\n")

	w("// ctdlPropertyTable holds every property of the encodings and every\n")
	w("// term of the contexts.\n")
	w("var ctdlPropertyTable = []CTDLProperty{\n")
	for _, iri := range sortedKeys(m.props) {
		p := m.props[iri]
		w("{IRI: %q", p.iri)
		if len(p.ranges) > 0 {
			w(", Range: %s", quoteList(p.ranges))
		}
		if p.link {
			w(", Link: true")
		}
		if p.datatype != "" {
			w(", Datatype: %q", p.datatype)
		}
		if p.langMap {
			w(", LanguageMap: true")
		}
		w("},\n")
	}
	w("}\n")

	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("formatting the output: %w", err)
	}
	return src, nil
}
