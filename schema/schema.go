// Package schema is credreg's vocabulary: the namespaces and terms it uses
// (CTDL, CTDL-ASN, SKOS, schema.org, Dublin Core and credreg's own terms),
// the JSON-LD context, CTID syntax, IRI minting from the configured base, and
// the validation rules for a record.
//
// schema knows vocabulary, not storage: it works on RDF terms and statements
// and never opens a database.
package schema

// Namespaces used by credreg.
const (
	CETerms = "https://purl.org/ctdl/terms/"
	CEASN   = "https://purl.org/ctdlasn/terms/"
	Credreg = "https://w3id.org/credreg/vocab#"
	SKOS    = "http://www.w3.org/2004/02/skos/core#"
	Schema  = "https://schema.org/"
	DCT     = "http://purl.org/dc/terms/"
	OWL     = "http://www.w3.org/2002/07/owl#"
	RDF     = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
	RDFS    = "http://www.w3.org/2000/01/rdf-schema#"
	XSD     = "http://www.w3.org/2001/XMLSchema#"
	Hydra   = "http://www.w3.org/ns/hydra/core#"
)

// Prefixes maps the compact prefixes of the JSON-LD context to their
// namespaces, for rendering IRIs short in HTML and messages.
var Prefixes = map[string]string{
	"ceterms": CETerms,
	"ceasn":   CEASN,
	"credreg": Credreg,
	"skos":    SKOS,
	"schema":  Schema,
	"dct":     DCT,
	"owl":     OWL,
	"rdf":     RDF,
	"rdfs":    RDFS,
	"xsd":     XSD,
	"hydra":   Hydra,
	"void":    VOID,
	"foaf":    FOAF,
	"as":      AS,
	"dcat":    DCAT,
}

// Classes.
const (
	ClassCredentialOrganization   = CETerms + "CredentialOrganization"
	ClassQACredentialOrganization = CETerms + "QACredentialOrganization"
	ClassAgency                   = Credreg + "Agency"
	ClassCompetency               = CEASN + "Competency"
	ClassCompetencyFramework      = CEASN + "CompetencyFramework"
	ClassConcept                  = SKOS + "Concept"
	ClassConceptScheme            = SKOS + "ConceptScheme"
	ClassValueDesignation         = Credreg + "ValueDesignation"
	ClassEvidence                 = Credreg + "Evidence"
	ClassCollection               = Hydra + "Collection"
)

// Properties.
const (
	RDFType = RDF + "type"

	CTID                     = CETerms + "ctid"
	Name                     = CETerms + "name"
	Description              = CETerms + "description"
	SubjectWebpage           = CETerms + "subjectWebpage"
	OwnedBy                  = CETerms + "ownedBy"
	OfferedBy                = CETerms + "offeredBy"
	OccupationType           = CETerms + "occupationType"
	IndustryType             = CETerms + "industryType"
	InstructionalProgramType = CETerms + "instructionalProgramType"
	TargetCompetency         = CETerms + "targetCompetency"
	IsPreparationFor         = CETerms + "isPreparationFor"
	RequiresCredential       = Credreg + "requiresCredential"
	Cluster                  = Credreg + "cluster"
	SubCluster               = Credreg + "subCluster"
	SameAs                   = OWL + "sameAs"
	SupersededBy             = CETerms + "supersededBy"
	Supersedes               = CETerms + "supersedes"
	LastVerified             = Credreg + "lastVerified"
	// SourceAlignment keeps an alignment object (such as a CTDL
	// CredentialAlignmentObject) a link was read from, or could not be.
	SourceAlignment = Credreg + "sourceAlignment"
	// AlignmentProperty names, on an alignment object kept under
	// SourceAlignment, the property of its node it was the value of
	// (ceterms:occupationType, ceterms:targetCompetency…).
	AlignmentProperty = Credreg + "alignmentProperty"
	// DerivedLink names, on an alignment object, a link credreg added to
	// the record's node because of it (the SOC concept of an occupation
	// alignment, the competency of a condition's competency alignment).
	// The CTDL export leaves such links out and gives the alignment back.
	DerivedLink = Credreg + "derivedLink"
	// OfficialList is false on a code-list concept credreg made for a code
	// the official list does not hold (an O*NET-SOC code, a local code),
	// with the label the data gave.
	OfficialList = Credreg + "officialList"
	// CrossCutting marks a Career Cluster whose skills apply across every
	// Cluster (Digital Technology, Management & Entrepreneurship).
	CrossCutting = Credreg + "crossCutting"

	// Identifier links a resource to a ceterms:IdentifierValue node: a
	// code someone knows it by. IdentifierSource names, on such a node,
	// the organization whose code it is (an agency's own key of a
	// credential, from its sheet's key column).
	Identifier           = CETerms + "identifier"
	IdentifierValueCode  = CETerms + "identifierValueCode"
	IdentifierSource     = Credreg + "identifierSource"
	ClassIdentifierValue = CETerms + "IdentifierValue"

	CEASNName          = CEASN + "name"
	CEASNDescription   = CEASN + "description"
	Definition         = SKOS + "definition"
	CompetencyText     = CEASN + "competencyText"
	CompetencyCategory = CEASN + "competencyCategory"
	CodedNotation      = CEASN + "codedNotation"
	IsPartOf           = CEASN + "isPartOf"

	PrefLabel    = SKOS + "prefLabel"
	Notation     = SKOS + "notation"
	InScheme     = SKOS + "inScheme"
	TopConceptOf = SKOS + "topConceptOf"
	Broader      = SKOS + "broader"
	Narrower     = SKOS + "narrower"
	RelatedMatch = SKOS + "relatedMatch"
	ScopeNote    = SKOS + "scopeNote"
	Title        = DCT + "title"
	Source       = DCT + "source"
	// HasTopConcept links a concept scheme to its top concepts.
	HasTopConcept = SKOS + "hasTopConcept"
	// VersionInfo is the version of a reference scheme's content.
	VersionInfo = OWL + "versionInfo"
	// AltLabel is another name of a concept (a region's other spellings).
	AltLabel   = SKOS + "altLabel"
	Member     = Hydra + "member"
	TotalItems = Hydra + "totalItems"

	DesignatingAgency = Credreg + "designatingAgency"
	DesignatedFor     = Credreg + "credential"
	Region            = Credreg + "region"
	ValidFrom         = Schema + "validFrom"
	ValidThrough      = Schema + "validThrough"
	Criterion         = Credreg + "criterion"
	Evidence          = Credreg + "evidence"
	MedianAnnualWage  = Credreg + "medianAnnualWage"
	ProjectedOpenings = Credreg + "projectedAnnualOpenings"
	DataYear          = Credreg + "dataYear"
	DataSource        = Credreg + "dataSource"

	RecordStatus     = Credreg + "recordStatus"
	StatusRetired    = Credreg + "Retired"
	RetiredOn        = Credreg + "retiredOn"
	RetirementReason = Credreg + "retirementReason"

	// PublishedBy names a record's publisher: the agency whose write
	// created it. Only the publisher (or, for an organization's own
	// record, the organization) and the registry's administrators replace
	// or retire it; the store keeps it across replacements. A record
	// whose ceterms:ownedBy is another organization is published on that
	// owner's behalf.
	PublishedBy = Credreg + "publishedBy"
)

// Datatypes.
const (
	XSDString   = XSD + "string"
	XSDBoolean  = XSD + "boolean"
	XSDDate     = XSD + "date"
	XSDDateTime = XSD + "dateTime"
	XSDDecimal  = XSD + "decimal"
	XSDInteger  = XSD + "integer"
	XSDGYear    = XSD + "gYear"
)

// CredentialTypes lists the CTDL credential classes credreg accepts, by
// their full IRI: ceterms:Credential and every class that is transitively an
// rdfs:subClassOf it in Credential Engine's schema (see ctdl_gen.go). The
// value is the class's local name ("BachelorOfScienceDegree").
var CredentialTypes = ctdlCredentialTypes()

// IsCredentialType reports whether iri names a CTDL credential class credreg
// accepts.
func IsCredentialType(iri string) bool {
	_, ok := CredentialTypes[iri]
	return ok
}

// Compact shortens iri with the context's prefixes ("ceterms:name"); an IRI
// in no known namespace is returned unchanged.
func Compact(iri string) string {
	best, bestNS := "", ""
	for p, ns := range Prefixes {
		if len(ns) > len(bestNS) && len(iri) > len(ns) && iri[:len(ns)] == ns {
			best, bestNS = p, ns
		}
	}
	if bestNS == "" {
		return iri
	}
	return best + ":" + iri[len(bestNS):]
}

// singleValued lists the properties a node has at most one value of.
var singleValued = map[string]bool{
	RDFType:           false,
	CTID:              true,
	Name:              true,
	Description:       true,
	CompetencyText:    true,
	PrefLabel:         true,
	Notation:          true,
	Title:             true,
	DesignatingAgency: true,
	DesignatedFor:     true,
	Region:            true,
	ValidFrom:         true,
	ValidThrough:      true,
	RecordStatus:      true,
	RetiredOn:         true,
	RetirementReason:  true,
	PublishedBy:       true,
	LastVerified:      true,
	MedianAnnualWage:  true,
	ProjectedOpenings: true,
	DataYear:          true,
}

// SingleValued reports whether a node has at most one value of the
// property: a new value replaces the old one when records are merged.
func SingleValued(property string) bool { return singleValued[property] }
