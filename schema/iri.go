package schema

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Base mints and recognises credreg's IRIs under one configured base such
// as "https://registry.example.gov". The zero value is not usable; build one
// with NewBase.
type Base struct {
	s string // no trailing slash
}

// NewBase checks and normalises a base IRI: absolute http(s), no query or
// fragment; a trailing slash is removed.
func NewBase(raw string) (Base, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Base{}, fmt.Errorf("base %q is not a URL: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return Base{}, fmt.Errorf("base %q must start with http:// or https://", raw)
	}
	if u.Host == "" {
		return Base{}, fmt.Errorf("base %q has no host", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Base{}, fmt.Errorf("base %q must not have a query or fragment", raw)
	}
	return Base{s: strings.TrimRight(raw, "/")}, nil
}

// String returns the base without a trailing slash.
func (b Base) String() string { return b.s }

// Resource returns the IRI of the resource with the given CTID.
func (b Base) Resource(ctid string) string { return b.s + "/resources/" + ctid }

// Scheme returns the IRI of a concept scheme, such as "career-clusters".
func (b Base) Scheme(scheme string) string { return b.s + "/schemes/" + scheme }

// Concept returns the IRI of the concept with the given notation in scheme.
func (b Base) Concept(scheme, notation string) string {
	return b.s + "/schemes/" + scheme + "/" + url.PathEscape(notation)
}

// Context returns the IRI documents name as their JSON-LD context: the
// current version's own, never-changing IRI ({base}/contexts/v2.jsonld),
// so a harvester's or a cache's copy of it never goes stale.
func (b Base) Context() string { return b.ContextOf(ContextVersion) }

// ContextOf returns the IRI at which a context version is served.
func (b Base) ContextOf(version string) string { return b.s + "/contexts/v" + version + ".jsonld" }

// ContextLatest returns the IRI that serves the current context, whatever
// its version ({base}/context.jsonld).
func (b Base) ContextLatest() string { return b.s + "/context.jsonld" }

// Path returns the path of iri below the base ("/resources/ce-…"), and
// whether iri is under the base at all.
func (b Base) Path(iri string) (string, bool) {
	if !strings.HasPrefix(iri, b.s+"/") {
		return "", false
	}
	return iri[len(b.s):], true
}

// RecordIRI returns the IRI of the record a node belongs to: the node's IRI
// without its fragment, so "…/resources/ce-x#evidence" belongs to
// "…/resources/ce-x".
func RecordIRI(node string) string {
	if i := strings.IndexByte(node, '#'); i >= 0 {
		return node[:i]
	}
	return node
}

// Well-known scheme names.
const (
	SchemeCareerClusters = "career-clusters"
	SchemeSOC            = "soc"
	SchemeNAICS          = "naics"
	SchemeCIP            = "cip"
	SchemeValueCriteria  = "value-criteria"
	// SchemeRegions is the registry's list of regions a designation can
	// be for: statewide and the state's workforce regions.
	SchemeRegions = "regions"
)

var schemeName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// ValidSchemeName reports whether s may name a concept scheme in an IRI.
func ValidSchemeName(s string) bool { return schemeName.MatchString(s) }

var notationPatterns = map[string]*regexp.Regexp{
	SchemeCareerClusters: regexp.MustCompile(`^[0-9]{6}$`),
	SchemeSOC:            regexp.MustCompile(`^[0-9]{2}-[0-9]{4}(\.(0[1-9]|[1-9][0-9]))?$`), // SOC, or O*NET-SOC under it (".00" is the SOC code itself)
	SchemeNAICS:          regexp.MustCompile(`^([0-9]{2,6}|31-33|44-45|48-49)$`),            // the sectors 31-33, 44-45 and 48-49 span several two-digit codes
	SchemeCIP:            regexp.MustCompile(`^[0-9]{2}(\.[0-9]{2}([0-9]{2})?)?$`),
	SchemeValueCriteria:  regexp.MustCompile(`^[a-z0-9-]{1,64}$`),
}

var anyNotation = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// CheckNotation explains what is wrong with a notation in a scheme, or
// returns nil. Known schemes have their own syntax (SOC "15-1252", CIP
// "11.0701", NAICS "541512", Career Clusters "010100").
func CheckNotation(scheme, notation string) error {
	if p, ok := notationPatterns[scheme]; ok {
		if !p.MatchString(notation) {
			return fmt.Errorf("%q is not a well-formed %s code (expected like %s)", notation, scheme, notationExample[scheme])
		}
		return nil
	}
	if !anyNotation.MatchString(notation) {
		return fmt.Errorf("%q is not a well-formed notation (letters, digits, '.', '_' or '-', at most 64)", notation)
	}
	return nil
}

var notationExample = map[string]string{
	SchemeCareerClusters: "010100",
	SchemeSOC:            "15-1252",
	SchemeNAICS:          "541512",
	SchemeCIP:            "11.0701",
	SchemeValueCriteria:  "high-wage",
}
