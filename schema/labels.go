package schema

import (
	"strings"
	"unicode"
)

// labels are the names people read for credreg's terms, in pages and
// reports. Machines use the IRIs.
var labels = map[string]string{
	RDFType:                  "Type",
	CTID:                     "CTID",
	Name:                     "Name",
	Description:              "Description",
	SubjectWebpage:           "Web page",
	OwnedBy:                  "Owned by",
	OfferedBy:                "Offered by",
	OccupationType:           "Occupations (SOC)",
	IndustryType:             "Industries (NAICS)",
	InstructionalProgramType: "Programs (CIP)",
	TargetCompetency:         "Competencies",
	IsPreparationFor:         "Prepares for",
	RequiresCredential:       "Requires",
	Cluster:                  "Career Cluster",
	SubCluster:               "Sub-Cluster",
	SameAs:                   "Same as",
	SupersededBy:             "Superseded by",
	Supersedes:               "Supersedes",
	LastVerified:             "Last verified",
	Schema + "areaServed":    "Area served",
	CompetencyText:           "Competency",
	CompetencyCategory:       "Category",
	CodedNotation:            "Code",
	IsPartOf:                 "Framework",
	CEASN + "publisher":      "Publisher",
	PrefLabel:                "Label",
	Notation:                 "Code",
	SKOS + "definition":      "Definition",
	SKOS + "scopeNote":       "Note",
	InScheme:                 "Code list",
	TopConceptOf:             "Top concept of",
	SKOS + "hasTopConcept":   "Top concepts",
	Broader:                  "Broader",
	Narrower:                 "Narrower",
	RelatedMatch:             "Crosswalk",
	Title:                    "Title",
	DCT + "source":           "Source",
	Credreg + "crossCutting": "Cross-cutting",
	DesignatingAgency:        "Designated by",
	DesignatedFor:            "Credential",
	Region:                   "Region",
	ValidFrom:                "Valid from",
	ValidThrough:             "Valid through",
	Criterion:                "Criteria",
	Evidence:                 "Evidence",
	MedianAnnualWage:         "Median annual wage (USD)",
	ProjectedOpenings:        "Projected annual openings",
	Credreg + "dataSource":   "Data source",
	DataYear:                 "Data year",
	RecordStatus:             "Status",
	RetiredOn:                "Retired on",
	RetirementReason:         "Reason retired",
	PublishedBy:              "Published by",
	Member:                   "Members",
	TotalItems:               "Total",

	ClassCredentialOrganization:   "Organization",
	ClassQACredentialOrganization: "Quality assurance organization",
	ClassAgency:                   "Agency",
	ClassCompetency:               "Competency",
	ClassCompetencyFramework:      "Competency framework",
	ClassConcept:                  "Concept",
	ClassConceptScheme:            "Code list",
	ClassValueDesignation:         "Value designation",
	ClassEvidence:                 "Evidence",
	ClassCollection:               "Collection",
	StatusRetired:                 "Retired",
}

// Label returns the name a person reads for a term IRI: a label for
// credreg's known terms, the compact IRI for others.
func Label(iri string) string {
	if l, ok := labels[iri]; ok {
		return l
	}
	if name, ok := CredentialTypes[iri]; ok {
		return spaceWords(name)
	}
	return Compact(iri)
}

// spaceWords writes a CamelCase class name as words: "AssociateDegree" is
// "Associate Degree".
func spaceWords(name string) string {
	var b strings.Builder
	for i, r := range name {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
