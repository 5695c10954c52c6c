package schema

import (
	"fmt"
	"math/big"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cayleygraph/quad"
)

// Problem is one thing wrong with a record: the field (a compact property
// name such as "ceterms:name", or "@id"/"@type"), the offending value if
// any, and what is wrong.
type Problem struct {
	Node    string `json:"node,omitempty"`
	Field   string `json:"field"`
	Value   string `json:"value,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	s := p.Field
	if p.Value != "" {
		s += fmt.Sprintf(" = %q", p.Value)
	}
	return s + ": " + p.Message
}

// Problems is every problem found in a record. It is an error when not
// empty.
type Problems []Problem

func (ps Problems) Error() string {
	if len(ps) == 1 {
		return ps[0].String()
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return fmt.Sprintf("%d problems: %s", len(ps), strings.Join(parts, "; "))
}

// Err returns ps as an error, or nil when there is no problem.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// node is the description of one subject inside a record.
type node struct {
	iri   string
	props map[string][]quad.Value
}

func (n *node) types() []string {
	var out []string
	for _, v := range n.props[RDFType] {
		if iri, ok := v.(quad.IRI); ok {
			out = append(out, string(iri))
		}
	}
	return out
}

func (n *node) has(t string) bool {
	for _, x := range n.types() {
		if x == t {
			return true
		}
	}
	return false
}

// Validate checks the description of the record iri (the statements whose
// subject is iri or one of its fragment IRIs) against credreg's rules and
// returns every problem found, not just the first. The statements' graph
// labels are ignored.
func Validate(base Base, iri string, quads []quad.Quad) Problems {
	v := validator{base: base, iri: iri}
	v.run(quads)
	return v.problems
}

type validator struct {
	base     Base
	iri      string
	problems Problems
	node     string
}

func (v *validator) add(field, value, format string, args ...any) {
	v.problems = append(v.problems, Problem{Node: v.node, Field: field, Value: value, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) run(quads []quad.Quad) {
	kind, ctid := v.checkRecordIRI()
	if len(quads) == 0 {
		v.add("@id", v.iri, "the record has no statements")
		return
	}
	nodes := map[string]*node{}
	var order []string
	foreign := map[string]bool{}
	for _, q := range quads {
		s, ok := q.Subject.(quad.IRI)
		if !ok {
			if foreign["_:"+quad.ToString(q.Subject)] {
				continue
			}
			foreign["_:"+quad.ToString(q.Subject)] = true
			v.add("@id", quad.ToString(q.Subject), "every node needs an IRI (blank nodes are not accepted in a record; give sub-nodes a fragment IRI of the record such as %s#evidence)", v.iri)
			continue
		}
		if RecordIRI(string(s)) != v.iri {
			if foreign[string(s)] {
				continue
			}
			foreign[string(s)] = true
			v.add("@id", string(s), "node does not belong to record %s (a record holds its own node and fragment IRIs under it)", v.iri)
			continue
		}
		p, ok := q.Predicate.(quad.IRI)
		if !ok {
			v.add("@predicate", quad.ToString(q.Predicate), "a predicate must be an IRI")
			continue
		}
		if q.Object == nil {
			v.add(Compact(string(p)), "", "missing object")
			continue
		}
		if _, ok := q.Object.(quad.BNode); ok {
			if foreign["_:"+quad.ToString(q.Object)] {
				continue
			}
			foreign["_:"+quad.ToString(q.Object)] = true
			v.add(Compact(string(p)), quad.ToString(q.Object), "blank node objects are not accepted; use a fragment IRI of the record")
			continue
		}
		if lex, ok := literalText(q.Object); ok && hasControl(lex) {
			v.add(Compact(string(p)), strconv.QuoteToASCII(lex), "the text holds control characters (NUL, BEL, ESC, …) that no reader shows; remove them (tab and line breaks are fine)")
			continue
		}
		n := nodes[string(s)]
		if n == nil {
			n = &node{iri: string(s), props: map[string][]quad.Value{}}
			nodes[string(s)] = n
			order = append(order, string(s))
		}
		n.props[string(p)] = append(n.props[string(p)], q.Object)
	}
	main := nodes[v.iri]
	if main == nil {
		if len(nodes) > 0 {
			v.add("@id", v.iri, "the record has no statement about its own IRI")
		}
		return
	}
	sort.Strings(order)
	for _, s := range order {
		n := nodes[s]
		v.node = s
		v.checkLiterals(n)
		v.checkLinks(n)
		v.checkSingleValues(n)
		if s == v.iri {
			v.checkMain(n, kind, ctid)
		} else {
			v.checkSubNode(n, nodes)
		}
	}
}

type recordKind int

const (
	kindUnknown recordKind = iota
	kindResource
	kindScheme
	kindConcept
)

// checkRecordIRI checks that the record IRI is one credreg can serve and
// returns its kind and CTID (for resources).
func (v *validator) checkRecordIRI() (recordKind, string) {
	path, ok := v.base.Path(v.iri)
	if !ok {
		v.add("@id", v.iri, "the record IRI must be under the registry base %s", v.base)
		return kindUnknown, ""
	}
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	switch {
	case len(parts) == 2 && parts[0] == "resources":
		if err := CheckCTID(parts[1]); err != nil {
			v.add("@id", v.iri, "%v", err)
			return kindUnknown, ""
		}
		return kindResource, parts[1]
	case len(parts) == 2 && parts[0] == "schemes":
		if !ValidSchemeName(parts[1]) {
			v.add("@id", v.iri, "scheme name %q must be lowercase letters, digits and '-'", parts[1])
		}
		return kindScheme, ""
	case len(parts) == 3 && parts[0] == "schemes":
		if !ValidSchemeName(parts[1]) {
			v.add("@id", v.iri, "scheme name %q must be lowercase letters, digits and '-'", parts[1])
		}
		return kindConcept, ""
	}
	v.add("@id", v.iri, "a record IRI must be {base}/resources/{ctid} or {base}/schemes/{scheme}[/{notation}]")
	return kindUnknown, ""
}

// nameProperties are the properties any of which names a framework,
// organization or scheme: CTDL-ASN names its frameworks and schemes with
// ceasn:name, CTDL with ceterms:name.
var nameProperties = []string{Name, CEASNName, Title, PrefLabel}

func (v *validator) checkMain(n *node, kind recordKind, ctid string) {
	types := n.types()
	if len(types) == 0 {
		v.add("@type", "", "required: the type of the resource (e.g. ceterms:Certification, ceasn:Competency, credreg:ValueDesignation)")
		return
	}
	// Any class is accepted: CTDL's own (see LookupCTDLClass), credreg's,
	// and classes neither knows, which an importer reports as a warning;
	// but not one under the registry's own base, which is what JSON-LD
	// makes of a type name its context does not define ("Organization"
	// becomes {base}/Organization): that would be stored silently wrong.
	isCredential := false
	for _, t := range types {
		isCredential = isCredential || IsCredentialType(t)
		if p, under := v.base.Path(t); under && v.base.String() != "" {
			name := strings.TrimPrefix(p, "/")
			msg := "unknown type %q: the JSON-LD context defines no such term, so it would be stored as %s; name a class such as ceterms:Certification, ceterms:CredentialOrganization or ceasn:Competency"
			if _, ok := LookupCTDLClass(CETerms + name); ok {
				msg = "unknown type %q: the JSON-LD context defines no such term, so it would be stored as %s; CTDL's class is ceterms:" + name
			}
			v.add("@type", name, msg, name, t)
		}
	}
	switch kind {
	case kindResource:
		v.checkCTID(n, ctid)
	case kindScheme:
		if !n.has(ClassConceptScheme) {
			v.add("@type", Compact(types[0]), "a record under /schemes/{scheme} must be a skos:ConceptScheme")
		}
	case kindConcept:
		if !n.has(ClassConcept) {
			v.add("@type", Compact(types[0]), "a record under /schemes/{scheme}/{notation} must be a skos:Concept")
		}
	}
	switch {
	case isCredential:
		v.required(n, Name)
		v.checkCredential(n)
	case n.has(ClassValueDesignation):
		v.checkDesignation(n)
	case n.has(ClassCompetency):
		v.requiredOneOf(n, CompetencyText, CEASN+"competencyLabel")
	case n.has(ClassCompetencyFramework), n.has(ClassCredentialOrganization), n.has(ClassQACredentialOrganization), n.has(ClassAgency):
		v.requiredOneOf(n, nameProperties...)
	case n.has(ClassConceptScheme) && kind == kindScheme:
		v.required(n, Title)
	case n.has(ClassConceptScheme):
		v.requiredOneOf(n, nameProperties...)
	case n.has(ClassConcept) && kind == kindConcept:
		v.checkConcept(n)
	case n.has(ClassConcept):
		// A concept of a scheme published as resources (with CTIDs) is
		// named by a label, a definition or a notation; many real schemes
		// give only a definition.
		v.requiredOneOf(n, PrefLabel, Definition, Notation)
	}
}

func (v *validator) checkCTID(n *node, ctid string) {
	vals := n.props[CTID]
	switch {
	case len(vals) == 0 && v.minted(n, ctid):
		// named by its source IRI, with a CTID credreg derived from it
	case len(vals) == 0:
		v.add("ceterms:ctid", "", "required: the CTID (%s)", ctid)
	case len(vals) > 1:
		// checkSingleValues reports it.
	default:
		got := literal(vals[0])
		if got != ctid {
			v.add("ceterms:ctid", got, "must equal the CTID in the resource IRI (%s)", ctid)
		}
	}
}

// minted reports whether ctid is the CTID credreg mints for one of the
// node's owl:sameAs IRIs (a resource published without a CTID).
func (v *validator) minted(n *node, ctid string) bool {
	for _, val := range n.props[SameAs] {
		if iri, ok := val.(quad.IRI); ok && MintedCTID(string(iri)) == ctid {
			return true
		}
	}
	return false
}

// requiredOneOf reports a problem when the node has none of props.
func (v *validator) requiredOneOf(n *node, props ...string) {
	for _, p := range props {
		if len(n.props[p]) > 0 {
			return
		}
	}
	names := make([]string, len(props))
	for i, p := range props {
		names[i] = Compact(p)
	}
	v.add(names[0], "", "required: one of %s", strings.Join(names, ", "))
}

func (v *validator) required(n *node, prop string) {
	if len(n.props[prop]) == 0 {
		v.add(Compact(prop), "", "required")
	}
}

// linkRules lists properties whose values must be IRIs, and, where it
// matters, the scheme their concepts must come from.
var linkRules = map[string]string{
	SubjectWebpage:           "",
	OwnedBy:                  "",
	OfferedBy:                "",
	OccupationType:           SchemeSOC,
	IndustryType:             SchemeNAICS,
	InstructionalProgramType: SchemeCIP,
	TargetCompetency:         "",
	IsPreparationFor:         "",
	RequiresCredential:       "",
	Cluster:                  SchemeCareerClusters,
	SubCluster:               SchemeCareerClusters,
	SameAs:                   "",
	SupersededBy:             "",
	Supersedes:               "",
	IsPartOf:                 "",
	InScheme:                 "",
	TopConceptOf:             "",
	Broader:                  "",
	Narrower:                 "",
	RelatedMatch:             "",
	DesignatingAgency:        "",
	DesignatedFor:            "",
	Criterion:                SchemeValueCriteria,
	Evidence:                 "",
	RecordStatus:             "",
	PublishedBy:              "",
	RDFType:                  "",
}

func (v *validator) checkLinks(n *node) {
	for prop, scheme := range linkRules {
		for _, val := range n.props[prop] {
			iri, ok := val.(quad.IRI)
			if !ok {
				v.add(Compact(prop), literal(val), "must be an IRI (a link), not a literal")
				continue
			}
			u, err := url.Parse(string(iri))
			if err != nil || !u.IsAbs() {
				v.add(Compact(prop), string(iri), "must be an absolute IRI")
				continue
			}
			if prop == SubjectWebpage && u.Scheme != "http" && u.Scheme != "https" {
				v.add(Compact(prop), string(iri), "a web page must be an http or https URL")
				continue
			}
			if scheme != "" {
				v.checkConceptIRI(prop, string(iri), scheme)
			}
		}
	}
}

// checkConceptIRI checks that iri names a concept of scheme under the base
// with a well-formed notation.
func (v *validator) checkConceptIRI(prop, iri, scheme string) {
	prefix := v.base.Scheme(scheme) + "/"
	if !strings.HasPrefix(iri, prefix) {
		v.add(Compact(prop), iri, "must be a concept of the %s scheme (%s{code})", scheme, prefix)
		return
	}
	notation, err := url.PathUnescape(iri[len(prefix):])
	if err == nil {
		err = CheckNotation(scheme, notation)
	}
	if err != nil {
		v.add(Compact(prop), iri, "%v", err)
	}
}

// literalRules gives the datatype each literal-valued property must have.
var literalRules = map[string]string{
	CTID:                     XSDString,
	ValidFrom:                XSDDate,
	ValidThrough:             XSDDate,
	MedianAnnualWage:         XSDDecimal,
	ProjectedOpenings:        XSDInteger,
	DataYear:                 XSDGYear,
	RetiredOn:                XSDDateTime,
	Credreg + "crossCutting": XSDBoolean,
}

func (v *validator) checkLiterals(n *node) {
	for prop, dt := range literalRules {
		for _, val := range n.props[prop] {
			if _, ok := val.(quad.IRI); ok {
				v.add(Compact(prop), quad.ToString(val), "must be a literal (%s), not a link", Compact(dt))
				continue
			}
			if err := checkLexical(dt, literal(val)); err != nil {
				v.add(Compact(prop), literal(val), "%v", err)
			}
		}
	}
	for _, prop := range []string{Name, Description, PrefLabel, CompetencyText, Title} {
		for _, val := range n.props[prop] {
			if _, ok := val.(quad.IRI); ok {
				v.add(Compact(prop), quad.ToString(val), "must be text, not a link")
			} else if strings.TrimSpace(literal(val)) == "" {
				v.add(Compact(prop), "", "must not be empty")
			}
		}
	}
}

var gYear = regexp.MustCompile(`^-?[0-9]{4,}$`)

func checkLexical(dt, s string) error {
	var err error
	switch dt {
	case XSDDate:
		_, err = time.Parse("2006-01-02", s)
		if err != nil {
			return fmt.Errorf("not a date (expected YYYY-MM-DD)")
		}
	case XSDDateTime:
		_, err = time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("not a date-time (expected RFC 3339, e.g. 2025-07-01T00:00:00Z)")
		}
	case XSDDecimal:
		if _, ok := new(big.Rat).SetString(s); !ok || strings.ContainsAny(s, "eE/") {
			return fmt.Errorf("not a decimal number (expected digits with an optional '.', no thousands separators)")
		}
	case XSDInteger:
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			return fmt.Errorf("not a whole number")
		}
	case XSDGYear:
		if !gYear.MatchString(s) {
			return fmt.Errorf("not a year (expected YYYY)")
		}
	case XSDBoolean:
		if s != "true" && s != "false" {
			return fmt.Errorf("not a boolean (true or false)")
		}
	case XSDString:
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("must not be empty")
		}
	}
	return nil
}

func (v *validator) checkCredential(n *node) {
	if len(n.props[OwnedBy]) == 0 && len(n.props[OfferedBy]) == 0 {
		v.add("ceterms:ownedBy", "", "required: the organization that owns or offers the credential (ceterms:ownedBy or ceterms:offeredBy)")
	}
}

func (v *validator) checkDesignation(n *node) {
	v.required(n, DesignatingAgency)
	v.required(n, DesignatedFor)
	if len(n.props[Cluster]) == 0 && len(n.props[SubCluster]) == 0 {
		v.add("credreg:cluster", "", "required: the Career Cluster or Sub-Cluster the credential is of value for (credreg:cluster or credreg:subCluster)")
	}
	v.required(n, Region)
	v.required(n, ValidFrom)
	from, _ := time.Parse("2006-01-02", firstLiteral(n, ValidFrom))
	through, err := time.Parse("2006-01-02", firstLiteral(n, ValidThrough))
	if err == nil && !from.IsZero() && through.Before(from) {
		v.add("schema:validThrough", firstLiteral(n, ValidThrough), "must not be before schema:validFrom (%s)", firstLiteral(n, ValidFrom))
	}
}

func (v *validator) checkConcept(n *node) {
	v.required(n, PrefLabel)
	v.required(n, Notation)
	v.required(n, InScheme)
	path, _ := v.base.Path(v.iri)
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) != 3 {
		return
	}
	scheme, notation := parts[1], parts[2]
	if un, err := url.PathUnescape(notation); err == nil {
		notation = un
	}
	if err := CheckNotation(scheme, notation); err != nil {
		v.add("@id", v.iri, "%v", err)
	}
	if got := firstLiteral(n, Notation); got != "" && got != notation {
		v.add("skos:notation", got, "must equal the notation in the concept IRI (%s)", notation)
	}
	for _, s := range n.props[InScheme] {
		if iri, ok := s.(quad.IRI); ok && string(iri) != v.base.Scheme(scheme) {
			v.add("skos:inScheme", string(iri), "must be the scheme in the concept IRI (%s)", v.base.Scheme(scheme))
		}
	}
}

// checkSingleValues reports properties given more than one value where a
// node has at most one, such as two names or two CTIDs. Values in
// different languages count as one value each language.
func (v *validator) checkSingleValues(n *node) {
	props := make([]string, 0, len(n.props))
	for p := range n.props {
		props = append(props, p)
	}
	sort.Strings(props)
	for _, p := range props {
		if !SingleValued(p) || len(n.props[p]) < 2 {
			continue
		}
		langs := map[string]int{}
		for _, val := range n.props[p] {
			if ls, ok := val.(quad.LangString); ok {
				langs[ls.Lang]++
			} else {
				langs[""]++
			}
		}
		for _, c := range langs {
			if c > 1 {
				var vals []string
				for _, val := range n.props[p] {
					vals = append(vals, literal(val))
				}
				v.add(Compact(p), strings.Join(vals, " | "), "only one value is allowed, found %d", len(n.props[p]))
				break
			}
		}
	}
}

// checkSubNode checks that a fragment node is linked from another node of
// the record; an unlinked one would be invisible in the rendered document.
func (v *validator) checkSubNode(n *node, nodes map[string]*node) {
	for _, other := range nodes {
		for _, vals := range other.props {
			for _, val := range vals {
				if iri, ok := val.(quad.IRI); ok && string(iri) == n.iri {
					return
				}
			}
		}
	}
	v.add("@id", n.iri, "this node of the record is not linked from any other node of it")
}

func firstLiteral(n *node, prop string) string {
	vals := n.props[prop]
	if len(vals) == 0 {
		return ""
	}
	return literal(vals[0])
}

// literal returns the lexical form of a literal value, or the IRI string.
func literal(v quad.Value) string {
	switch x := v.(type) {
	case quad.String:
		return string(x)
	case quad.TypedString:
		return string(x.Value)
	case quad.LangString:
		return string(x.Value)
	case quad.IRI:
		return string(x)
	case nil:
		return ""
	}
	return quad.StringOf(v)
}

// literalText returns a literal's lexical form.
func literalText(v quad.Value) (string, bool) {
	switch x := v.(type) {
	case quad.String:
		return string(x), true
	case quad.LangString:
		return string(x.Value), true
	case quad.TypedString:
		return string(x.Value), true
	}
	return "", false
}

// hasControl reports whether s holds a C0 control character other than
// tab, line feed and carriage return, or DEL.
func hasControl(s string) bool {
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f {
			return true
		}
	}
	return false
}
