package ingest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/cayleygraph/quad"
	"github.com/piprate/json-gold/ld"

	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// ctdlContextJSON is the JSON-LD context the CTDL reader expands CTDL
// documents with: Credential Engine's CTDL and CTDL-ASN term definitions,
// generated from their published contexts (schema.CTDLContext). It stands
// in for the published contexts, which credreg never fetches.
var ctdlContextJSON = schema.CTDLContext()

// CTDLContextURLs are the context IRIs CTDL documents use. The CTDL reader
// serves the embedded term map for them and refuses every other remote
// context.
var CTDLContextURLs = []string{
	"https://credreg.net/ctdl/schema/context/json",
	"https://credreg.net/ctdlasn/schema/context/json",
	"http://credreg.net/ctdl/schema/context/json",
	"http://credreg.net/ctdlasn/schema/context/json",
	"https://credreg.net/qdata/schema/context/json",
	"http://credreg.net/qdata/schema/context/json",
}

// Limits of the CTDL reader.
const (
	// MaxCTDLBytes caps a CTDL input.
	MaxCTDLBytes = 16 << 20
	// maxCTDLDepth caps the nesting of JSON objects and arrays.
	maxCTDLDepth = 64
	// ctdlValuesPerProperty and ctdlObjectsPerDocument bound a CTDL
	// document before JSON-LD processing (ctdlLimits): json-gold
	// spends about 0.6 s of a core on one property of 4,000 values (and
	// four times as long on twice as many), while a document's "@graph"
	// may hold many nodes.
	ctdlValuesPerProperty  = 4000
	ctdlObjectsPerDocument = 200_000
	// maxCTDLValues caps the values one document expands to, and so the
	// statements it converts to.
	maxCTDLValues = 300_000
	// maxCTDLContextLoads caps the context loads while processing one
	// document, so that contexts that refer to each other fail instead of
	// recursing (json-gold overflows the stack on a context cycle).
	maxCTDLContextLoads = 8
	// maxUnitQuads caps the statements of one unit so that it fits one
	// store batch with its bookkeeping.
	maxUnitQuads = registry.MaxBatchQuads - 16*registry.BookkeepingQuads
)

// SourceAlignment links a node to a CTDL CredentialAlignmentObject (or
// another alignment value) that credreg read a link from or could not map:
// the CTDL reader turns ceterms:occupationType, ceterms:industryType and
// ceterms:instructionalProgramType alignments into links to credreg's
// SOC, NAICS and CIP concepts and keeps the alignment objects themselves
// under this property, and likewise for competency alignments.
const SourceAlignment = schema.SourceAlignment

// Properties the CTDL reader maps.
const (
	ctdlCodedNotation  = schema.CETerms + "codedNotation"
	ctdlTargetNode     = schema.CETerms + "targetNode"
	ctdlTargetNodeName = schema.CETerms + "targetNodeName"
	ctdlRequires       = schema.CETerms + "requires"
	ctdlRecommends     = schema.CETerms + "recommends"
	ctdlIsRecommended  = schema.CETerms + "isRecommendedFor"
	ceasnName          = schema.CEASN + "name"
	xsdStringIRI       = quad.IRI(schema.XSDString)
	markerPrefix       = "urn:x-credreg-ctdl-top:"
	remoteContextLabel = "@context"
)

// alignmentSchemes maps the CTDL alignment properties to credreg's code
// list schemes.
var alignmentSchemes = map[string]string{
	schema.OccupationType:           schema.SchemeSOC,
	schema.IndustryType:             schema.SchemeNAICS,
	schema.InstructionalProgramType: schema.SchemeCIP,
}

// conditionProperties are the ConditionProfile properties whose
// ceterms:targetCompetency alignments become direct ceterms:targetCompetency
// links of the resource.
var conditionProperties = map[string]bool{
	ctdlRequires:      true,
	ctdlRecommends:    true,
	ctdlIsRecommended: true,
}

// ctdlLangContainers lists the compact property names the embedded context
// declares as language maps.
var ctdlLangContainers = func() map[string]bool {
	var doc struct {
		Context map[string]any `json:"@context"`
	}
	if err := json.Unmarshal(ctdlContextJSON, &doc); err != nil {
		panic(fmt.Sprintf("ingest: embedded CTDL context does not parse: %v", err))
	}
	out := map[string]bool{}
	for k, v := range doc.Context {
		if m, ok := v.(map[string]any); ok && m["@container"] == "@language" {
			out[k] = true
		}
	}
	return out
}()

// ctdlLoader is the JSON-LD document loader of the CTDL reader. It serves
// the embedded CTDL term map under the CTDL context IRIs and credreg's own
// context under its IRIs, each load a fresh copy (json-gold may modify a
// loaded context), and refuses every other IRI with an error wrapping
// registry.ErrRemoteContext, without any network or file access. It counts
// loads and fails after maxCTDLContextLoads, so use one per document.
type ctdlLoader struct {
	docs    map[string][]byte
	loads   int
	max     int
	refused string // the last IRI refused
}

func newCTDLLoader(base schema.Base) *ctdlLoader {
	l := &ctdlLoader{docs: map[string][]byte{}, max: maxCTDLContextLoads}
	for _, u := range CTDLContextURLs {
		l.docs[u] = ctdlContextJSON
	}
	for u, doc := range schema.ContextDocuments(base) {
		l.docs[u] = doc
	}
	return l
}

// LoadDocument implements ld.DocumentLoader.
func (l *ctdlLoader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	l.loads++
	if l.loads > l.max {
		l.refused = u
		return nil, fmt.Errorf("JSON-LD context %q: more than %d context loads for one document (a context cycle?)", u, l.max)
	}
	raw, ok := l.docs[u]
	if !ok {
		l.refused = u
		return nil, fmt.Errorf("JSON-LD context %q: %w (the CTDL reader knows only the CTDL contexts %s and credreg's own; it never fetches contexts)",
			u, rdf.ErrRemoteContext, strings.Join(CTDLContextURLs[:2], " and "))
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("JSON-LD context %q: %w", u, err)
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}

// ctdlSource reads CTDL JSON-LD documents as units, one per top-level
// resource.
type ctdlSource struct {
	name   string
	base   schema.Base
	size   int64
	docs   []any
	multi  bool
	next   int // next document
	row    int // resources numbered so far
	marker string
	queue  []*Unit
	// given maps the records this input gave so far to their content, so
	// that a resource nested again identically (an organization nested in
	// every credential it owns, say) is not written again with every unit.
	// A unit's own resource is always given.
	given map[string]string
}

// CTDL returns a Source reading Credential Engine CTDL JSON-LD from r: a
// single resource document, a document with "@graph" (a resource and
// related nodes, as the Credential Engine Registry's graph endpoint
// serves), or a JSON array of such documents. The input is capped at
// MaxCTDLBytes.
//
// Contexts are never fetched: the CTDL and CTDL-ASN context IRIs resolve to
// an embedded term map (which also applies to documents without
// "@context"), credreg's own context to its embedded copy, and any other
// remote context is refused (a problem for that document wrapping
// registry.ErrRemoteContext).
//
// Each top-level node with a ceterms:ctid becomes a unit with a record at
// base.Resource(ctid) (Merge false: the CTDL description is the whole
// description of the resource); its source IRI is kept as owl:sameAs.
// Every IRI whose last path segment is a CTID is rewritten to credreg's IRI
// for it. Blank nodes (and nodes with a foreign IRI described inside the
// document) become fragment nodes of the record that refers to them, named
// from a hash of their content, so re-importing a document gives the same
// IRIs; nodes with a CTID nested inside a resource become records of their
// own in the same unit. Alignments to occupations, industries and programs
// become links to credreg's SOC, NAICS and CIP concepts, and competencies
// required or recommended through ConditionProfiles become
// ceterms:targetCompetency links; the alignment objects are kept under
// SourceAlignment. Every other property is kept as it is.
//
// A unit's Row is the resource's 1-based position among the top-level
// nodes of the input. A top-level node without a well-formed CTID is a
// problem for its own unit only.
func CTDL(name string, r io.Reader, base schema.Base) (Source, error) {
	if base.String() == "" {
		return nil, errors.New("ingest.CTDL: a base IRI is required")
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxCTDLBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: read: %w", name, err)
	}
	if len(data) > MaxCTDLBytes {
		return nil, fmt.Errorf("%s: the CTDL input is larger than %d MiB; split it into several files", name, MaxCTDLBytes>>20)
	}
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: not JSON: %w", name, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: unexpected data after the JSON document", name)
	}
	s := &ctdlSource{name: name, base: base, size: int64(len(data)), marker: markerPrefix + randomHex(8) + ":", given: map[string]string{}}
	doc, err = unwrapEnvelopes(doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	switch x := doc.(type) {
	case map[string]any:
		s.docs = []any{x}
	case []any:
		if len(x) == 0 {
			return nil, fmt.Errorf("%s: the JSON array holds no CTDL document", name)
		}
		s.docs, s.multi = x, true
	default:
		return nil, fmt.Errorf("%s: a CTDL input must be a JSON object (a document) or an array of documents", name)
	}
	return s, nil
}

// unwrapEnvelopes replaces Credential Engine registry envelopes (objects
// with "envelope_ctid", "envelope_type", "decoded_resource"…) by the CTDL
// documents they carry: "decoded_resource" when present, else the payload
// of the JWT in "resource". An array's elements are unwrapped one by one.
func unwrapEnvelopes(doc any) (any, error) {
	switch x := doc.(type) {
	case []any:
		for i, e := range x {
			u, err := unwrapEnvelopes(e)
			if err != nil {
				return nil, fmt.Errorf("element %d of the array: %w", i+1, err)
			}
			x[i] = u
		}
		return x, nil
	case map[string]any:
		if !isEnvelope(x) {
			return x, nil
		}
		if d, ok := x["decoded_resource"]; ok && d != nil {
			return d, nil
		}
		if jwt, ok := x["resource"].(string); ok {
			return jwtPayload(jwt)
		}
		if r, ok := x["resource"].(map[string]any); ok {
			return r, nil
		}
		return nil, fmt.Errorf("a registry envelope (envelope_ctid %v) without decoded_resource or resource", x["envelope_ctid"])
	}
	return doc, nil
}

func isEnvelope(m map[string]any) bool {
	if _, ok := m["@context"]; ok {
		return false
	}
	for _, k := range []string{"envelope_ctid", "envelope_id", "envelope_type", "envelope_community", "decoded_resource"} {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// jwtPayload decodes the JSON payload of a JWT (its signature is not
// checked: the registry that signed it is not the one importing).
func jwtPayload(jwt string) (any, error) {
	parts := strings.Split(strings.TrimSpace(jwt), ".")
	if len(parts) != 3 {
		return nil, errors.New("the envelope's resource is neither a JSON document nor a JWT (three dot-separated parts)")
	}
	seg := strings.NewReplacer("\r", "", "\n", "", "=", "").Replace(parts[1])
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(seg); err != nil {
			return nil, fmt.Errorf("the envelope's resource JWT payload is not base64: %w", err)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("the envelope's resource JWT payload is not JSON: %w", err)
	}
	return doc, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("ingest: crypto/rand failed: %v", err))
	}
	return hex.EncodeToString(b)
}

func (s *ctdlSource) Name() string { return s.name }

// Position implements Sizer: the input is read whole, so the position is
// the share of documents processed.
func (s *ctdlSource) Position() (done, total int64) {
	if len(s.docs) == 0 {
		return s.size, s.size
	}
	return s.size * int64(s.next) / int64(len(s.docs)), s.size
}

func (s *ctdlSource) Next(ctx context.Context) (*Unit, error) {
	for len(s.queue) == 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if s.next >= len(s.docs) {
			return nil, io.EOF
		}
		i := s.next
		doc := s.docs[i]
		s.docs[i] = nil // let it go once read
		s.next++
		s.queue = s.document(doc, i+1)
	}
	u := s.queue[0]
	s.queue = s.queue[1:]
	return u, nil
}

// docProblem is a unit for a problem with a whole document.
func (s *ctdlSource) docProblem(n int, column, value, msg string) []*Unit {
	if s.multi {
		msg = fmt.Sprintf("document %d of the array: %s", n, msg)
	}
	return []*Unit{{Problems: []Problem{{File: s.name, Column: column, Value: value, Message: msg}}}}
}

// document reads one CTDL document into units.
func (s *ctdlSource) document(doc any, n int) (units []*Unit) {
	defer func() {
		if p := recover(); p != nil {
			units = s.docProblem(n, "", "", fmt.Sprintf("the JSON-LD processor failed on this document (%v)", p))
		}
	}()
	m, ok := doc.(map[string]any)
	if !ok {
		return s.docProblem(n, "", "", "not a JSON object (a CTDL document)")
	}
	if err := prepareCTDL(m, 0); err != nil {
		return s.docProblem(n, "", "", err.Error())
	}
	if why := registry.CheckDocumentSize(m, ctdlLimits); why != "" {
		// Before JSON-LD processing, whose cost grows with the square of
		// one property's values.
		return s.docProblem(n, "", "", why+"; split the document")
	}
	if ps := registry.CheckDocumentTerms(m); len(ps) > 0 {
		// JSON-LD processing would drop these without a word.
		u := s.docProblem(n, ps[0].Field, ps[0].Value, ps[0].Message)
		for _, p := range ps[1:] {
			u[0].Problems = append(u[0].Problems, s.docProblem(n, p.Field, p.Value, p.Message)[0].Problems...)
		}
		return u
	}
	keyWarnings := s.checkKeys(m)
	defer func() {
		if len(units) > 0 && len(units[0].Problems) == 0 {
			units[0].Warnings = append(keyWarnings, units[0].Warnings...)
		}
	}()
	first := s.row + 1
	s.markTops(m)
	loader := newCTDLLoader(s.base)
	quads, err := ctdlToRDF(m, s.base, loader)
	if err != nil {
		col, val := "", ""
		if loader.refused != "" {
			col, val = remoteContextLabel, loader.refused
		}
		return s.docProblem(n, col, val, err.Error())
	}
	g := newCTDLGraph(s.base, s.name, s.marker, quads)
	units = g.units()
	if len(units) == 0 {
		u := s.docProblem(n, "", "", "the document describes no resource (no node with ceterms:ctid)")
		u[0].Row = first
		return u
	}
	for _, u := range units {
		if len(u.Problems) > 0 {
			continue
		}
		recs := u.Records[:0]
		for i, rec := range u.Records {
			h := contentKey(rec.Quads)
			if i > 0 && s.given[rec.IRI] == h {
				continue
			}
			s.given[rec.IRI] = h
			recs = append(recs, rec)
		}
		u.Records = recs
		refs := u.References[:0]
		for _, ref := range u.References {
			h := contentKey(ref.Record.Quads)
			if s.given[ref.Record.IRI] == h {
				continue
			}
			s.given[ref.Record.IRI] = h
			refs = append(refs, ref)
		}
		u.References = refs
	}
	return units
}

// ctdlLimits are the bounds of a CTDL document checked before JSON-LD
// processing.
var ctdlLimits = registry.DocumentLimits{MaxValues: ctdlValuesPerProperty, MaxNodes: ctdlObjectsPerDocument, Unbounded: []string{"@graph"}}

// contentKey is a hash of statements regardless of their order.
func contentKey(quads []quad.Quad) string {
	lines := make([]string, len(quads))
	for i, q := range quads {
		lines[i] = termKey(q.Subject) + " " + termKey(q.Predicate) + " " + termKey(q.Object)
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// markTops marks the top-level nodes of a document (the document itself,
// or the nodes of its "@graph") with a marker property giving their
// position, so that they can be told apart after RDF conversion.
func (s *ctdlSource) markTops(m map[string]any) {
	mark := func(n map[string]any) {
		for _, k := range []string{"@value", "@list", "@set"} {
			if _, ok := n[k]; ok {
				return
			}
		}
		s.row++
		n[s.marker+"position"] = strconv.Itoa(s.row)
	}
	g, hasGraph := m["@graph"]
	onlyGraph := true
	for k := range m {
		if k != "@context" && k != "@graph" && k != "@id" {
			onlyGraph = false
		}
	}
	if !hasGraph || !onlyGraph {
		mark(m)
	}
	if hasGraph {
		list, ok := g.([]any)
		if !ok {
			list = []any{g}
			m["@graph"] = list
		}
		for _, v := range list {
			if n, ok := v.(map[string]any); ok {
				mark(n)
			}
		}
	}
}

// ctdlTermKeys are the keys of the CTDL context (terms and prefixes).
var ctdlTermKeys = func() map[string]bool {
	var doc struct {
		Context map[string]any `json:"@context"`
	}
	if err := json.Unmarshal(ctdlContextJSON, &doc); err != nil {
		panic(fmt.Sprintf("ingest: the CTDL context does not parse: %v", err))
	}
	out := make(map[string]bool, len(doc.Context))
	for k := range doc.Context {
		out[k] = true
	}
	return out
}()

// checkKeys warns of the keys of a document that JSON-LD processing would
// drop or that name no CTDL property: a bare word no context defines
// ("name"), a prefixed name with a space or nothing after the prefix
// ("ceterms: dateEffective"), and a CTDL, CTDL-ASN or QData name that
// CTDL does not define ("ceterms:nmae", kept as it is, but likely a
// misspelling). Terms of the document's own inline contexts count as
// defined.
func (s *ctdlSource) checkKeys(doc map[string]any) []Problem {
	own := map[string]bool{}
	var collect func(v any)
	collect = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				if k == "@context" {
					addContextKeys(val, own)
					continue
				}
				collect(val)
			}
		case []any:
			for _, e := range x {
				collect(e)
			}
		}
	}
	collect(doc)
	seen := map[string]bool{}
	var out []Problem
	warn := func(key, msg string) {
		if !seen[key] {
			seen[key] = true
			out = append(out, Problem{File: s.name, Column: key, Message: msg})
		}
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if _, isValue := x["@value"]; isValue {
				return
			}
			for k, val := range x {
				if k == "@context" || ctdlLangContainers[k] {
					continue // a language map's keys are languages
				}
				if !strings.HasPrefix(k, "@") && !own[k] && !strings.HasPrefix(k, markerPrefix) {
					prefix, rest, hasColon := strings.Cut(k, ":")
					switch {
					case !hasColon && !ctdlTermKeys[k]:
						warn(k, "not a term of CTDL's context nor an IRI: JSON-LD processing drops it and its values (a misspelling, or a prefix missing?)")
					case hasColon && ctdlTermKeys[prefix] && (strings.TrimSpace(rest) != rest || rest == ""):
						warn(k, "a space or nothing after the prefix: not a CTDL term, and its values are dropped")
					case hasColon && ctdlTermKeys[prefix] && !strings.HasPrefix(rest, "//"):
						iri := ctdlPrefixes[prefix] + rest
						if _, known := schema.LookupCTDLProperty(iri); !known && isCTDLNamespace(iri) {
							warn(k, "not a property CTDL defines (a misspelling?); kept as it is, as an unknown property")
						}
					}
				}
				walk(val)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(doc)
	sort.Slice(out, func(i, j int) bool { return out[i].Column < out[j].Column })
	return out
}

func isCTDLNamespace(iri string) bool {
	for _, ns := range []string{schema.CETerms, schema.CEASN, ctdlPrefixes["qdata"]} {
		if ns != "" && strings.HasPrefix(iri, ns) {
			return true
		}
	}
	return false
}

// addContextKeys adds the terms an inline context defines to keys.
func addContextKeys(ctx any, keys map[string]bool) {
	switch x := ctx.(type) {
	case map[string]any:
		for k := range x {
			keys[k] = true
		}
	case []any:
		for _, e := range x {
			addContextKeys(e, keys)
		}
	}
}

var langTag = regexp.MustCompile(`^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$`)

// prepareCTDL checks the nesting depth of a decoded document and prepares
// it for json-gold: numbers become float64 (or, beyond float64, their
// text), and language maps ({"en-US": "…"}) of properties the embedded
// context does not declare as language maps become language-tagged values,
// so unknown CTDL text properties keep their text instead of being
// dropped. Contexts are left alone.
func prepareCTDL(v any, depth int) error {
	if depth > maxCTDLDepth {
		return fmt.Errorf("the JSON nests deeper than %d levels", maxCTDLDepth)
	}
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if k == "@context" {
				continue
			}
			if num, ok := val.(json.Number); ok {
				x[k] = numberValue(num)
				continue
			}
			if lm, ok := val.(map[string]any); ok && strings.Contains(k, ":") && !strings.HasPrefix(k, "@") && !ctdlLangContainers[k] {
				if vals, ok := languageMap(lm); ok {
					x[k] = vals
					continue
				}
			}
			if err := prepareCTDL(val, depth+1); err != nil {
				return err
			}
		}
	case []any:
		for i, val := range x {
			if num, ok := val.(json.Number); ok {
				x[i] = numberValue(num)
				continue
			}
			if err := prepareCTDL(val, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func numberValue(n json.Number) any {
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return n.String()
	}
	return f
}

// languageMap turns a language map into language-tagged value objects, or
// reports that m is not one.
func languageMap(m map[string]any) ([]any, bool) {
	if len(m) == 0 {
		return nil, false
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if !langTag.MatchString(k) {
			return nil, false
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []any
	for _, k := range keys {
		switch v := m[k].(type) {
		case string:
			out = append(out, map[string]any{"@value": v, "@language": k})
		case []any:
			for _, e := range v {
				s, ok := e.(string)
				if !ok {
					return nil, false
				}
				out = append(out, map[string]any{"@value": s, "@language": k})
			}
		default:
			return nil, false
		}
	}
	return out, true
}

// ctdlToRDF expands a document with the CTDL loader and converts it to
// statements, graph labels dropped.
func ctdlToRDF(doc map[string]any, base schema.Base, loader *ctdlLoader) ([]quad.Quad, error) {
	opts := ld.NewJsonLdOptions(base.String() + "/")
	opts.DocumentLoader = loader
	opts.ProcessingMode = ld.JsonLd_1_0
	var expandCtx any
	if err := json.Unmarshal(ctdlContextJSON, &expandCtx); err != nil {
		return nil, err
	}
	// Documents without "@context" get the CTDL term map.
	opts.ExpandContext = expandCtx.(map[string]any)["@context"]
	expanded, err := ld.NewJsonLdProcessor().Expand(doc, opts)
	if err != nil {
		return nil, fmt.Errorf("JSON-LD expansion: %w", err)
	}
	if n := countValues(expanded, 0); n > maxCTDLValues {
		return nil, fmt.Errorf("the document expands to more than %d values; split it", maxCTDLValues)
	}
	ds, err := ld.NewJsonLdApi().ToRDF(expanded, opts)
	if err != nil {
		return nil, fmt.Errorf("JSON-LD to RDF: %w", err)
	}
	names := make([]string, 0, len(ds.Graphs))
	for g := range ds.Graphs {
		names = append(names, g)
	}
	sort.Strings(names)
	var out []quad.Quad
	for _, g := range names {
		for _, q := range ds.Graphs[g] {
			s, p, o := rdf.FromJSONLDNode(q.Subject), rdf.FromJSONLDNode(q.Predicate), rdf.FromJSONLDNode(q.Object)
			if s == nil || p == nil || o == nil {
				continue
			}
			out = append(out, quad.Quad{Subject: s, Predicate: p, Object: o})
		}
	}
	return out, nil
}

// countValues counts the nodes and values of an expanded document, up to a
// little past the cap.
func countValues(v any, n int) int {
	if n > maxCTDLValues {
		return n
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			n = countValues(e, n)
		}
	case map[string]any:
		n++
		for _, e := range x {
			n = countValues(e, n)
		}
	default:
		n++
	}
	return n
}

// canonicalLiteral returns a parsed value in registry.Literal's canonical form,
// with its language tag in lower case as JSON-LD processing gives it.
func canonicalLiteral(v quad.Value) quad.Value {
	switch x := v.(type) {
	case quad.TypedString:
		if x.Type == xsdStringIRI {
			return quad.String(x.Value)
		}
	case quad.LangString:
		return quad.LangString{Value: x.Value, Lang: strings.ToLower(x.Lang)}
	}
	return v
}

// ResourceIRI maps an IRI of another registry to credreg's: an http(s) IRI
// whose last path segment is a CTID names credreg's resource with that CTID
// (a fragment is kept: "…/ce-x#y" becomes base.Resource("ce-x")+"#y").
// IRIs under base, and others, are returned unchanged with ok false.
func ResourceIRI(base schema.Base, iri string) (mapped string, ok bool) {
	if _, under := base.Path(iri); under {
		return iri, false
	}
	rest, frag := iri, ""
	if i := strings.IndexByte(iri, '#'); i >= 0 {
		rest, frag = iri[:i], iri[i:]
	}
	if c, ok := strings.CutPrefix(rest, "urn:ctid:"); ok && schema.ValidCTID(c) {
		return base.Resource(c) + frag, true // the 2017 registry's CTID URNs
	}
	u, err := url.Parse(rest)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return iri, false
	}
	seg := u.Path[strings.LastIndexByte(u.Path, '/')+1:]
	if !schema.ValidCTID(seg) {
		return iri, false
	}
	return base.Resource(seg) + frag, true
}

// ctidOfIRI returns the CTID of a credreg resource IRI (…/resources/ce-…),
// or "".
func ctidOfIRI(base schema.Base, iri string) string {
	p, ok := base.Path(iri)
	if !ok || !strings.HasPrefix(p, "/resources/") {
		return ""
	}
	c := strings.TrimPrefix(p, "/resources/")
	if !schema.ValidCTID(c) {
		return ""
	}
	return c
}

// po is one statement of a subject.
type po struct {
	p quad.IRI
	o quad.Value
}

// fragmentHasher names blank nodes (and other nodes described inside a
// record) from their content: a hash over their statements, the nodes
// they refer to named the same way (a cycle refers back as "cycle"), so
// that the same content gives the same fragment on every import.
type fragmentHasher struct {
	out     func(quad.Value) []po
	inside  func(quad.Value) bool   // whether an object is named by content too
	term    func(quad.Value) string // how an outside object is written
	memo    map[quad.Value]string
	onStack map[quad.Value]bool
	extra   func(quad.Value) string // extra content of a node (its IRI), or ""
}

func (h *fragmentHasher) name(n quad.Value) string {
	return h.hash(n, 0)
}

func (h *fragmentHasher) hash(n quad.Value, depth int) string {
	if v, ok := h.memo[n]; ok {
		return v
	}
	if h.onStack[n] {
		return "cycle"
	}
	if depth > 256 {
		return "deep"
	}
	h.onStack[n] = true
	var lines []string
	if h.extra != nil {
		if e := h.extra(n); e != "" {
			lines = append(lines, "@id "+e)
		}
	}
	for _, st := range h.out(n) {
		var o string
		if h.inside(st.o) {
			o = "_:" + h.hash(st.o, depth+1)
		} else {
			o = h.term(st.o)
		}
		lines = append(lines, "<"+string(st.p)+"> "+o)
	}
	sort.Strings(lines)
	sum := sha256.New()
	for _, l := range lines {
		sum.Write([]byte(l))
		sum.Write([]byte{'\n'})
	}
	v := "b" + hex.EncodeToString(sum.Sum(nil))[:12]
	delete(h.onStack, n)
	h.memo[n] = v
	return v
}

// termKey writes a term for hashing.
func termKey(v quad.Value) string {
	switch x := v.(type) {
	case quad.IRI:
		return "<" + string(x) + ">"
	case quad.BNode:
		return "_:" + string(x)
	case quad.String:
		return strconv.Quote(string(x))
	case quad.LangString:
		return strconv.Quote(string(x.Value)) + "@" + x.Lang
	case quad.TypedString:
		return strconv.Quote(string(x.Value)) + "^^<" + string(x.Type) + ">"
	}
	return strconv.Quote(quad.StringOf(v))
}

// ctdlGraph is one document's statements, by subject.
type ctdlGraph struct {
	base   schema.Base
	file   string
	out    map[quad.Value][]po
	order  []quad.Value
	top    map[quad.Value]int // top-level node -> row
	res    map[quad.Value]*ctdlResource
	member map[quad.Value]bool // nodes absorbed into some record
	// nested nodes with an unusable CTID, kept inside their parent
	badNested map[quad.Value][]Problem

	// of the unit being built
	refs     []Reference // code-list concepts its alignments name
	warnings []Problem
	row      int
}

type ctdlResource struct {
	node     quad.Value
	ctid     string
	iri      string
	minted   bool // named by its IRI, not by a ceterms:ctid of its own
	problems []Problem
}

func newCTDLGraph(base schema.Base, file, marker string, quads []quad.Quad) *ctdlGraph {
	g := &ctdlGraph{base: base, file: file, out: map[quad.Value][]po{}, top: map[quad.Value]int{}, res: map[quad.Value]*ctdlResource{}, member: map[quad.Value]bool{}, badNested: map[quad.Value][]Problem{}}
	seen := map[[3]string]bool{}
	for _, q := range quads {
		p, ok := q.Predicate.(quad.IRI)
		if !ok {
			continue
		}
		q.Subject, q.Object = foldCTIDs(q.Subject), foldCTIDs(q.Object)
		if strings.HasPrefix(string(p), marker) {
			if row, err := strconv.Atoi(rdf.Lexical(q.Object)); err == nil {
				if _, dup := g.top[q.Subject]; !dup {
					g.top[q.Subject] = row
				}
			}
			continue
		}
		if string(p) == schema.CTID {
			if c, ok := schema.FoldCTID(strings.TrimSpace(rdf.Lexical(q.Object))); ok {
				q.Object = quad.String(c)
			}
		}
		key := [3]string{termKey(q.Subject), string(p), termKey(q.Object)}
		if seen[key] {
			continue
		}
		seen[key] = true
		if _, ok := g.out[q.Subject]; !ok {
			g.order = append(g.order, q.Subject)
		}
		g.out[q.Subject] = append(g.out[q.Subject], po{p, q.Object})
	}
	for _, s := range g.order {
		r := g.resource(s)
		if r == nil {
			continue
		}
		if _, top := g.top[s]; !top && len(r.problems) > 0 {
			// A nested node whose CTID is unusable is kept inside the
			// record that names it, as it came, with a warning: it is
			// neither a record of its own nor a reason to refuse its
			// parent, and no link is re-pointed.
			g.badNested[s] = r.problems
			continue
		}
		g.res[s] = r
	}
	return g
}

// foldCTIDs writes the CTID an IRI ends with in lower case
// ("…/resources/ce-1A4A…" is "…/resources/ce-1a4a…"): Credential Engine
// treats CTIDs case-insensitively, credreg stores them lower-case.
func foldCTIDs(v quad.Value) quad.Value {
	iri, ok := v.(quad.IRI)
	if !ok {
		return v
	}
	s := string(iri)
	end := len(s)
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		end = i
	}
	start := strings.LastIndexByte(s[:end], '/') + 1
	if strings.HasPrefix(s, "urn:ctid:") {
		start = len("urn:ctid:")
	}
	if c, ok := schema.FoldCTID(s[start:end]); ok && c != s[start:end] {
		return quad.IRI(s[:start] + c + s[end:])
	}
	return v
}

// resource reads the CTID of a node, or returns nil when it has none.
func (g *ctdlGraph) resource(n quad.Value) *ctdlResource {
	var ctids []string
	for _, st := range g.out[n] {
		if string(st.p) != schema.CTID {
			continue
		}
		c := rdf.Lexical(st.o)
		dup := false
		for _, x := range ctids {
			dup = dup || x == c
		}
		if !dup {
			ctids = append(ctids, c)
		}
	}
	if len(ctids) == 0 {
		return g.minted(n)
	}
	r := &ctdlResource{node: n, ctid: ctids[0]}
	prob := func(col, val, format string, args ...any) {
		r.problems = append(r.problems, Problem{File: g.file, Column: col, Value: val, Message: fmt.Sprintf(format, args...)})
	}
	switch {
	case len(ctids) > 1:
		prob("ceterms:ctid", strings.Join(ctids, ", "), "a resource has one CTID, found %d", len(ctids))
	case schema.CheckCTID(ctids[0]) != nil:
		prob("ceterms:ctid", ctids[0], "%v", schema.CheckCTID(ctids[0]))
	default:
		r.iri = g.base.Resource(ctids[0])
		if iri, ok := n.(quad.IRI); ok {
			if m, ok := ResourceIRI(g.base, string(iri)); ok && schema.RecordIRI(m) != r.iri {
				prob("@id", string(iri), "the CTID in the resource's IRI differs from its ceterms:ctid %s", ctids[0])
			} else if c := ctidOfIRI(g.base, string(iri)); c != "" && c != ctids[0] {
				prob("@id", string(iri), "the CTID in the resource's IRI differs from its ceterms:ctid %s", ctids[0])
			}
		}
	}
	return r
}

// minted makes a resource of a top-level node that has an IRI but no
// CTID (the competencies of a framework published without item CTIDs):
// a node under credreg's /resources/ keeps its IRI, any other gets the
// CTID schema.MintedCTID derives from its IRI, and keeps that IRI as
// owl:sameAs. Other nodes without a CTID return nil.
func (g *ctdlGraph) minted(n quad.Value) *ctdlResource {
	iri, ok := n.(quad.IRI)
	if _, top := g.top[n]; !ok || !top {
		return nil
	}
	if c := ctidOfIRI(g.base, string(iri)); c != "" {
		if g.base.Resource(c) != string(iri) {
			return nil // a fragment of a credreg record
		}
		return &ctdlResource{node: n, ctid: c, iri: string(iri), minted: true}
	}
	if _, mapped := ResourceIRI(g.base, string(iri)); mapped {
		return nil // names a CTID: a resource of another registry's, not described by one
	}
	u, err := url.Parse(string(iri))
	if err != nil || !u.IsAbs() {
		return nil
	}
	c := schema.MintedCTID(string(iri))
	return &ctdlResource{node: n, ctid: c, iri: g.base.Resource(c), minted: true}
}

// rewrite maps an IRI to credreg's IRI for the same thing.
func (g *ctdlGraph) rewrite(iri quad.IRI) quad.IRI {
	if r := g.res[iri]; r != nil && r.iri != "" {
		return quad.IRI(r.iri)
	}
	m, _ := ResourceIRI(g.base, string(iri))
	return quad.IRI(m)
}

// absorbable reports whether an object node is described inside the record
// that refers to it: blank nodes, and described nodes with a foreign IRI.
// Resources and credreg's own things (and nodes another registry names by
// CTID) are linked, not absorbed.
func (g *ctdlGraph) absorbable(o quad.Value) bool {
	if g.res[o] != nil {
		return false
	}
	switch x := o.(type) {
	case quad.BNode:
		return true
	case quad.IRI:
		if len(g.out[o]) == 0 {
			return false
		}
		m := g.rewrite(x)
		if _, under := g.base.Path(string(m)); under {
			return false
		}
		return true
	}
	return false
}

// units builds the document's units: one per top-level resource, and one
// per top-level node without a CTID that no record absorbs.
func (g *ctdlGraph) units() []*Unit {
	var units []*Unit
	type topNode struct {
		n   quad.Value
		row int
	}
	var tops []topNode
	for n, row := range g.top {
		tops = append(tops, topNode{n, row})
	}
	sort.Slice(tops, func(i, j int) bool { return tops[i].row < tops[j].row })
	for _, t := range tops {
		r := g.res[t.n]
		if r == nil {
			continue
		}
		units = append(units, g.unit(r, t.row))
	}
	for _, t := range tops {
		if g.res[t.n] != nil || g.member[t.n] || len(g.out[t.n]) == 0 {
			continue
		}
		val := ""
		if iri, ok := t.n.(quad.IRI); ok {
			val = string(iri)
		} else {
			val = g.label(t.n)
		}
		units = append(units, &Unit{Row: t.row, Problems: []Problem{{File: g.file, Row: t.row, Column: "ceterms:ctid", Value: val,
			Message: "required: every top-level resource needs its CTID (ceterms:ctid, \"ce-\" and a UUID)"}}})
	}
	sort.SliceStable(units, func(i, j int) bool { return units[i].Row < units[j].Row })
	return units
}

// label names a node for a problem: its name, if any.
func (g *ctdlGraph) label(n quad.Value) string {
	for _, st := range g.out[n] {
		if string(st.p) == schema.Name || string(st.p) == ceasnName || string(st.p) == schema.CompetencyText {
			return rdf.Lexical(st.o)
		}
	}
	return ""
}

// unit builds the unit of a top-level resource: its record, and as
// references the resources with a CTID nested inside it (a reference
// never replaces a stored record; see Reference) and the code-list
// concepts its alignments name.
func (g *ctdlGraph) unit(r *ctdlResource, row int) *Unit {
	u := &Unit{Row: row}
	g.refs, g.warnings, g.row = nil, nil, row
	queue := []*ctdlResource{r}
	done := map[quad.Value]bool{r.node: true}
	total := 0
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if len(cur.problems) > 0 {
			for _, p := range cur.problems {
				p.Row = row
				if cur != r {
					p.Message += fmt.Sprintf(" (a node nested in %s)", r.iri)
				}
				u.Problems = append(u.Problems, p)
			}
			continue
		}
		rec, nested := g.record(cur)
		total += len(rec.Quads) + registry.BookkeepingQuads
		class := g.className(cur.node, row)
		if cur == r {
			u.Records = append(u.Records, rec)
			u.Classes = append([]string{class}, u.Classes...)
		} else {
			u.References = append(u.References, Reference{Record: rec, Class: class})
		}
		for _, n := range nested {
			if done[n.node] {
				continue
			}
			done[n.node] = true
			if _, isTop := g.top[n.node]; isTop {
				continue // it has a unit of its own
			}
			queue = append(queue, n)
		}
	}
	u.References = append(u.References, g.refs...)
	for _, ref := range g.refs {
		total += len(ref.Record.Quads) + registry.BookkeepingQuads
	}
	u.Warnings = append(u.Warnings, g.warnings...)
	if total > maxUnitQuads {
		u.Problems = append(u.Problems, Problem{File: g.file, Row: row, Column: "@id", Value: r.iri,
			Message: fmt.Sprintf("the resource is described by about %d statements, more than the %d one import unit may write", total, maxUnitQuads)})
	}
	if len(u.Problems) > 0 {
		u.Records, u.References, u.Warnings = nil, nil, nil
		if len(u.Classes) == 0 {
			u.Classes = []string{g.className(r.node, 0)}
		}
	}
	return u
}

// className names the class of a node for the report ("ceterms:Course"),
// and warns (when row > 0) of classes CTDL does not define.
func (g *ctdlGraph) className(n quad.Value, row int) string {
	var types []string
	for _, st := range g.out[n] {
		if string(st.p) == schema.RDFType {
			if iri, ok := st.o.(quad.IRI); ok {
				types = append(types, string(iri))
			}
		}
	}
	if len(types) == 0 {
		return "(no type)"
	}
	sort.Strings(types)
	name := ""
	for _, t := range types {
		_, known := schema.LookupCTDLClass(t)
		if !known && !strings.HasPrefix(t, schema.Credreg) && row > 0 {
			g.warnings = append(g.warnings, Problem{File: g.file, Row: row, Column: "@type", Value: ctdlCompact(t),
				Message: "a class Credential Engine's published CTDL does not define; the node is kept with its type and properties"})
		}
		if name == "" || known && !strings.Contains(name, ":") {
			name = ctdlCompact(t)
		}
	}
	return name
}

// ctdlCompact shortens an IRI with the CTDL contexts' prefixes.
func ctdlCompact(iri string) string {
	best, bestNS := "", ""
	for p, ns := range ctdlPrefixes {
		if len(ns) > len(bestNS) && strings.HasPrefix(iri, ns) && len(iri) > len(ns) {
			best, bestNS = p, ns
		}
	}
	if bestNS == "" {
		return iri
	}
	return best + ":" + iri[len(bestNS):]
}

var ctdlPrefixes = schema.CTDLPrefixes()

// record builds the record of a resource and returns the resources it
// links to.
func (g *ctdlGraph) record(r *ctdlResource) (registry.Record, []*ctdlResource) {
	root := quad.IRI(r.iri)
	// The nodes of the record: the resource and what it absorbs.
	members := map[quad.Value]bool{}
	var order []quad.Value
	var nested []*ctdlResource
	seenRes := map[quad.Value]bool{}
	queue := []quad.Value{r.node}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, st := range g.out[n] {
			if string(st.p) == schema.SameAs {
				continue
			}
			if res := g.res[st.o]; res != nil && st.o != r.node {
				if !seenRes[st.o] {
					seenRes[st.o] = true
					nested = append(nested, res)
				}
				continue
			}
			if st.o == r.node || members[st.o] || !g.absorbable(st.o) {
				continue
			}
			members[st.o] = true
			order = append(order, st.o)
			g.member[st.o] = true
			queue = append(queue, st.o)
			for _, p := range g.badNested[st.o] {
				p.Row = g.row
				p.Message += fmt.Sprintf("; the node is kept as it came inside %s, not as a record of its own", r.iri)
				g.warnings = append(g.warnings, p)
			}
		}
	}
	// Name the absorbed nodes by content.
	h := &fragmentHasher{
		out:    func(n quad.Value) []po { return g.out[n] },
		inside: func(o quad.Value) bool { return members[o] },
		term: func(o quad.Value) string {
			if o == r.node {
				return "<" + r.iri + ">"
			}
			return termKey(g.object(o))
		},
		extra: func(n quad.Value) string {
			if iri, ok := n.(quad.IRI); ok {
				return string(iri)
			}
			return ""
		},
		memo: map[quad.Value]string{}, onStack: map[quad.Value]bool{},
	}
	sort.Slice(order, func(i, j int) bool { return termKey(order[i]) < termKey(order[j]) })
	frag := map[quad.Value]quad.IRI{r.node: root}
	for _, n := range order {
		frag[n] = quad.IRI(r.iri + "#" + h.name(n))
	}
	obj := func(p string, o quad.Value) quad.Value {
		if f, ok := frag[o]; ok {
			return f
		}
		if res := g.res[o]; res != nil && res.iri != "" {
			return quad.IRI(res.iri)
		}
		if iri, ok := o.(quad.IRI); ok && p != schema.SameAs {
			return g.rewrite(iri)
		}
		if b, ok := o.(quad.BNode); ok {
			// a blank node of a resource with problems: name it by label
			return quad.IRI(r.iri + "#x" + string(b))
		}
		return o
	}
	var quads []quad.Quad
	add := func(s quad.IRI, p string, o quad.Value) {
		quads = append(quads, quad.Quad{Subject: s, Predicate: quad.IRI(p), Object: o})
	}
	links := map[string]bool{}
	link := func(s quad.IRI, p string, o quad.IRI) {
		k := string(s) + " " + p + " " + string(o)
		if !links[k] {
			links[k] = true
			add(s, p, o)
		}
	}
	// What the resource itself states, so that a link credreg derives is
	// marked as derived only when the source did not state it too.
	stated := map[string]bool{}
	for _, st := range g.out[r.node] {
		if iri, ok := obj(string(st.p), st.o).(quad.IRI); ok {
			stated[string(st.p)+" "+string(iri)] = true
		}
	}
	derive := func(holder quad.IRI, p string, target quad.IRI, alignment quad.Value) {
		link(holder, p, target)
		if a, ok := frag[alignment]; ok && a != holder && !(holder == root && stated[p+" "+string(target)]) {
			add(a, schema.DerivedLink, target)
		}
	}
	nodes := append([]quad.Value{r.node}, order...)
	for _, n := range nodes {
		s := frag[n]
		isRoot := n == r.node
		for _, st := range g.out[n] {
			p := string(st.p)
			if scheme, ok := alignmentSchemes[p]; ok {
				g.alignment(s, p, scheme, st.o, obj, members, add, derive)
				continue
			}
			if isRoot && p == schema.TargetCompetency && members[st.o] {
				if c := g.competencyOf(st.o); c != "" {
					derive(s, schema.TargetCompetency, quad.IRI(c), st.o)
				}
				add(s, SourceAlignment, obj(p, st.o))
				add(frag[st.o], schema.AlignmentProperty, quad.IRI(p))
				continue
			}
			if p == schema.CTID {
				// a plain string, even under a default language
				add(s, p, quad.String(rdf.Lexical(st.o)))
				continue
			}
			add(s, p, obj(p, st.o))
			if isRoot && conditionProperties[p] && members[st.o] {
				for _, t := range g.out[st.o] {
					if string(t.p) != schema.TargetCompetency {
						continue
					}
					if c := g.competencyOf(t.o); c != "" {
						derive(s, schema.TargetCompetency, quad.IRI(c), t.o)
					}
				}
			}
		}
		if iri, ok := n.(quad.IRI); ok && quad.IRI(s) != iri {
			add(s, schema.SameAs, iri)
		}
	}
	return registry.Record{IRI: r.iri, Quads: quads, Merge: false}, nested
}

// object returns the value an outside object is written as (for hashing).
func (g *ctdlGraph) object(o quad.Value) quad.Value {
	if res := g.res[o]; res != nil && res.iri != "" {
		return quad.IRI(res.iri)
	}
	if iri, ok := o.(quad.IRI); ok {
		return g.rewrite(iri)
	}
	return o
}

// alignment maps one value of ceterms:occupationType, industryType or
// instructionalProgramType. A link to a credreg concept stays a link. An
// alignment object (or a code) is kept under SourceAlignment, marked with
// the property it was the value of, and its code becomes a link to
// credreg's concept for it (an O*NET-SOC code to its own concept and to
// its SOC occupation), each marked as derived on the alignment object. A
// code no stored list holds gets a concept made for it with the label the
// data gives, marked as not from the official list.
func (g *ctdlGraph) alignment(s quad.IRI, p, scheme string, o quad.Value, obj func(string, quad.Value) quad.Value,
	members map[quad.Value]bool, add func(quad.IRI, string, quad.Value), derive func(quad.IRI, string, quad.IRI, quad.Value)) {
	var codes []string
	switch x := o.(type) {
	case quad.IRI:
		iri := string(g.rewrite(x))
		prefix := g.base.Scheme(scheme) + "/"
		if strings.HasPrefix(iri, prefix) {
			if n, err := url.PathUnescape(iri[len(prefix):]); err == nil && schema.CheckNotation(scheme, n) == nil {
				add(s, p, quad.IRI(iri))
				return
			}
		}
		codes = append(codes, lastSegment(iri))
	case quad.String, quad.LangString, quad.TypedString:
		codes = append(codes, rdf.Lexical(x), lastSegment(rdf.Lexical(x)))
	}
	label := ""
	if members[o] {
		var fromNode []string
		for _, st := range g.out[o] {
			switch string(st.p) {
			case ctdlCodedNotation, schema.CodedNotation:
				fromNode = append(fromNode, rdf.Lexical(st.o))
			case ctdlTargetNodeName:
				if label == "" {
					label = strings.TrimSpace(rdf.Lexical(st.o))
				}
			}
		}
		for _, st := range g.out[o] {
			if string(st.p) == ctdlTargetNode {
				if iri, ok := st.o.(quad.IRI); ok {
					fromNode = append(fromNode, lastSegment(string(iri)))
				}
			}
		}
		codes = append(fromNode, codes...)
	}
	add(s, SourceAlignment, obj(p, o))
	if f, ok := obj(p, o).(quad.IRI); ok && members[o] {
		add(f, schema.AlignmentProperty, quad.IRI(p))
	}
	for _, c := range codes {
		n, ok := normalizeCode(scheme, c)
		if !ok {
			continue
		}
		concept := quad.IRI(g.base.Concept(scheme, n))
		derive(s, p, concept, o)
		g.conceptRef(scheme, n, label)
		if scheme == schema.SchemeSOC && len(n) > 7 {
			// an O*NET-SOC occupation: also its SOC occupation
			derive(s, p, quad.IRI(g.base.Concept(scheme, n[:7])), o)
			g.conceptRef(scheme, n[:7], "")
		}
		return
	}
	if len(codes) > 0 && codes[0] != "" {
		g.warnings = append(g.warnings, Problem{File: g.file, Row: g.row, Column: schema.Compact(p), Value: codes[0],
			Message: fmt.Sprintf("not a %s code; the alignment is kept as it came, with no link to a %s concept", scheme, scheme)})
	}
}

// conceptRef names a code-list concept for a code the data gives: it is
// made, with the data's label and marked as not from the official list,
// only when the store does not hold it (see Reference.CreateOnly).
func (g *ctdlGraph) conceptRef(scheme, notation, label string) {
	iri := g.base.Concept(scheme, notation)
	for _, ref := range g.refs {
		if ref.Record.IRI == iri {
			return
		}
	}
	subj := quad.IRI(iri)
	if c, ok := schema.LookupCode(scheme, notation); ok {
		// A code of the official list: its concept as the list has it
		// (the reference data holds it; made only in a store without).
		quads := []quad.Quad{
			{Subject: subj, Predicate: quad.IRI(schema.RDFType), Object: quad.IRI(schema.ClassConcept)},
			{Subject: subj, Predicate: quad.IRI(schema.PrefLabel), Object: quad.String(c.Title)},
			{Subject: subj, Predicate: quad.IRI(schema.Notation), Object: quad.String(notation)},
			{Subject: subj, Predicate: quad.IRI(schema.InScheme), Object: quad.IRI(g.base.Scheme(scheme))},
		}
		if c.Parent != "" {
			quads = append(quads, quad.Quad{Subject: subj, Predicate: quad.IRI(schema.Broader), Object: quad.IRI(g.base.Concept(scheme, c.Parent))})
		}
		g.refs = append(g.refs, Reference{Record: registry.Record{IRI: iri, Quads: quads}, CreateOnly: true, Class: "skos:Concept"})
		return
	}
	broader := ""
	if scheme == schema.SchemeSOC && len(notation) > 7 {
		broader = g.base.Concept(scheme, notation[:7])
	}
	if broader == "" || !isOfficial(scheme, notation[:7]) {
		g.warnings = append(g.warnings, Problem{File: g.file, Row: g.row, Column: scheme, Value: notation,
			Message: fmt.Sprintf("%s is not a code of the official %s list; it is kept as a local code with the data's label, marked credreg:officialList false", notation, schema.CodeListTitle(scheme))})
	}
	if label == "" {
		label = notation
	}
	g.refs = append(g.refs, localConcept(g.base, scheme, notation, label, broader))
}

func isOfficial(scheme, notation string) bool {
	_, ok := schema.LookupCode(scheme, notation)
	return ok
}

// competencyOf returns credreg's IRI of the competency a
// ceterms:targetCompetency value names (directly or as an alignment
// object's ceterms:targetNode), when it names one by CTID.
func (g *ctdlGraph) competencyOf(o quad.Value) string {
	try := func(v quad.Value) string {
		if res := g.res[v]; res != nil {
			return res.iri
		}
		iri, ok := v.(quad.IRI)
		if !ok {
			return ""
		}
		m := string(g.rewrite(iri))
		if ctidOfIRI(g.base, m) == "" {
			return ""
		}
		return m
	}
	if c := try(o); c != "" {
		return c
	}
	if _, ok := o.(quad.IRI); ok && len(g.out[o]) == 0 {
		return ""
	}
	for _, st := range g.out[o] {
		if string(st.p) == ctdlTargetNode {
			if c := try(st.o); c != "" {
				return c
			}
		}
	}
	return ""
}

func lastSegment(iri string) string {
	if i := strings.IndexAny(iri, "?#"); i >= 0 {
		iri = iri[:i]
	}
	iri = strings.TrimRight(iri, "/")
	seg := iri[strings.LastIndexByte(iri, '/')+1:]
	if u, err := url.PathUnescape(seg); err == nil {
		seg = u
	}
	return seg
}

var onetSOC = regexp.MustCompile(`^[0-9]{2}-[0-9]{4}\.[0-9]{2}$`)

// normalizeCode returns the canonical notation of a code in a scheme: SOC
// codes also from O*NET-SOC codes ("15-1299.08" is SOC 15-1299).
func normalizeCode(scheme, code string) (string, bool) {
	code = strings.TrimSpace(code)
	var n string
	var err error
	switch scheme {
	case schema.SchemeSOC:
		if onetSOC.MatchString(code) && !strings.HasSuffix(code, ".00") {
			return code, true // an O*NET-SOC occupation below a SOC one
		}
		n, err = schema.NormalizeSOC(code)
	case schema.SchemeNAICS:
		n, err = schema.NormalizeNAICS(code)
	case schema.SchemeCIP:
		n, err = schema.NormalizeCIP(code)
	default:
		return "", false
	}
	if err != nil || schema.CheckNotation(scheme, n) != nil {
		return "", false
	}
	return n, true
}
