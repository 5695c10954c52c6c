package registry

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/schema"
)

// ErrForbidden is wrapped by the errors Authorize returns.
var ErrForbidden = errors.New("forbidden")

// ForbiddenError says why an agency may not write a record.
type ForbiddenError struct {
	IRI, Reason string
	// Publisher is set when the record is refused because it is another
	// publisher's ("operator" for the operator's records): a unit that
	// only links to it may still be written without its facts.
	Publisher string
}

func (e *ForbiddenError) Error() string { return fmt.Sprintf("%s: %s", e.IRI, e.Reason) }

// Unwrap makes errors.Is(err, ErrForbidden) hold.
func (e *ForbiddenError) Unwrap() error { return ErrForbidden }

// Authorize is the one rule every write path applies before an agency's
// write (HTTP routes, and every unit of every import format): may the
// agency (an organization's IRI) replace old (nil when none is stored) by
// next (nil for a retirement)? A registry administrator is not asked: the
// callers let an admin token (and the operator's command line) through.
//
//   - A value designation is its designating agency's: an agency writes,
//     replaces and retires only designations that name it as their agency,
//     and never turns another agency's designation into something else.
//     Any agency may designate any credential.
//   - The reference data (every record under /schemes/: the Framework, the
//     code lists, the value criteria, the regions) is changed by the
//     registry's operator only; an agency may add a concept that is not
//     stored yet (a region, a code the official lists lack), never replace
//     or retire one.
//   - Every other record (a credential, an organization, a competency, a
//     program) is its publisher's (schema.PublishedBy: the agency whose
//     write created it). Only the publisher replaces or retires it, and an
//     organization its own record. A record stored without a publisher
//     (loaded by the operator) is the operator's. A write never names a
//     publisher other than the writing agency, nor changes a stored one.
//
// It returns nil or a *ForbiddenError.
func Authorize(base schema.Base, agency string, old, next *Record) error {
	iri := ""
	switch {
	case next != nil:
		iri = next.IRI
	case old != nil:
		iri = old.IRI
	}
	if strings.HasPrefix(iri, base.Scheme("")) {
		if old != nil {
			return &ForbiddenError{IRI: iri, Reason: "reference data (the Framework, the code lists, the value criteria and the regions) is changed by the registry's operator only"}
		}
		if next != nil && !isConcept(next) {
			return &ForbiddenError{IRI: iri, Reason: "an agency may add a concept to a scheme, not a scheme or anything else under /schemes/"}
		}
		return nil
	}
	designation := false
	for _, rec := range []*Record{old, next} {
		if rec == nil {
			continue
		}
		of, ok := DesignatingAgency(rec)
		designation = designation || ok
		if ok && of != agency {
			who := "no agency"
			if of != "" {
				who = of
			}
			return &ForbiddenError{IRI: iri, Reason: fmt.Sprintf("a designation of %s; an agency writes only its own designations (yours: %s)", who, agency)}
		}
	}
	if old != nil && !designation && agency != iri {
		switch pub := Publisher(old); pub {
		case agency:
		case "":
			return &ForbiddenError{IRI: iri, Reason: "published by the registry's operator (it names no publisher); only an administrator changes or retires it", Publisher: "operator"}
		default:
			return &ForbiddenError{IRI: iri, Reason: fmt.Sprintf("published by %s; only its publisher or an administrator changes or retires it (yours: %s)", pub, agency), Publisher: pub}
		}
	}
	if next != nil {
		pub, want := Publisher(next), agency
		if old != nil {
			if p := Publisher(old); p != "" {
				want = p
			}
		}
		if pub != "" && pub != want {
			return &ForbiddenError{IRI: iri, Reason: fmt.Sprintf("%s names %s as its publisher; a record's publisher is the agency that creates it (%s), and only an administrator changes it", schema.Compact(schema.PublishedBy), pub, want)}
		}
	}
	return nil
}

// Publisher returns the publisher a record names (schema.PublishedBy), or
// "" when it names none.
func Publisher(rec *Record) string {
	for _, q := range rec.Quads {
		if q.Subject == quad.IRI(rec.IRI) && q.Predicate == quad.IRI(schema.PublishedBy) {
			return string(rdf.IRIOf(q.Object))
		}
	}
	return ""
}

// DesignatingAgency returns a designation record's agency ("" when it
// names none), and whether the record is a designation at all.
func DesignatingAgency(rec *Record) (string, bool) {
	is, agency := false, ""
	for _, q := range rec.Quads {
		if q.Subject != quad.IRI(rec.IRI) {
			continue
		}
		switch q.Predicate {
		case quad.IRI(schema.RDFType):
			is = is || q.Object == quad.IRI(schema.ClassValueDesignation)
		case quad.IRI(schema.DesignatingAgency):
			agency = string(rdf.IRIOf(q.Object))
		}
	}
	return agency, is
}

func isConcept(rec *Record) bool {
	for _, q := range rec.Quads {
		if q.Subject == quad.IRI(rec.IRI) && q.Predicate == quad.IRI(schema.RDFType) && q.Object == quad.IRI(schema.ClassConcept) {
			return true
		}
	}
	return false
}
