package server

// schema.org descriptions embedded in the pages, for search engines and
// job boards: a credential as an EducationalOccupationalCredential, an
// organization as an Organization, an occupation as an Occupation, other
// codes as DefinedTerms. Each uses schema.org terms only, with the
// vocabulary given inline (no processor has to fetch a context).

import (
	"html/template"
	"time"

	"credreg/catalog"
	"credreg/schema"
)

type jsonObject = map[string]any

// schemaOrgCode describes a code as a schema.org CategoryCode in its code
// set (SOC, NAICS, CIP) or a DefinedTerm of the Framework.
func schemaOrgCode(base string, c codeLink) jsonObject {
	set := c.System
	switch c.Class {
	case "soc":
		set = "Standard Occupational Classification (SOC) 2018"
		if c.System == "O*NET-SOC" {
			set = "O*NET-SOC Taxonomy"
		}
	case "naics":
		set = "North American Industry Classification System (NAICS) 2022"
	case "cip":
		set = "Classification of Instructional Programs (CIP) 2020"
	case "":
		return jsonObject{"@type": "DefinedTerm", "@id": base + c.Href, "name": c.Label, "termCode": c.Code,
			"inDefinedTermSet": jsonObject{"@type": "DefinedTermSet", "name": "National Career Clusters Framework"}}
	}
	return jsonObject{"@type": "CategoryCode", "@id": base + c.Href, "name": c.Label, "codeValue": c.Code,
		"inCodeSet": jsonObject{"@type": "CategoryCodeSet", "name": set}}
}

func schemaOrgLinks(links []link, typ string) []jsonObject {
	out := make([]jsonObject, 0, len(links))
	for _, l := range links {
		o := jsonObject{"@type": typ, "@id": l.IRI}
		if l.Label != "" {
			o["name"] = l.Label
		}
		out = append(out, o)
	}
	return out
}

func (s *Server) credentialSchemaOrg(p *credentialPage, cv *catalog.CredentialView) template.JS {
	base := s.base.String()
	o := jsonObject{
		"@context":   schemaOrgContext,
		"@type":      "EducationalOccupationalCredential",
		"@id":        p.IRI,
		"url":        p.IRI,
		"name":       firstNonEmpty(cv.Name, cv.CTID),
		"identifier": cv.CTID,
	}
	if cv.Description != "" {
		o["description"] = cv.Description
	}
	var cats []jsonObject
	for _, t := range p.Check.Credential.Types {
		cats = append(cats, jsonObject{"@type": "DefinedTerm", "name": t.Label, "url": t.IRI,
			"inDefinedTermSet": "https://purl.org/ctdl/terms/"})
	}
	if len(cats) > 0 {
		o["credentialCategory"] = cats
	}
	if len(p.Check.Credential.OwnedBy) > 0 {
		o["creator"] = schemaOrgLinks(p.Check.Credential.OwnedBy, "Organization")
	}
	if len(p.Check.Credential.OfferedBy) > 0 {
		o["provider"] = schemaOrgLinks(p.Check.Credential.OfferedBy, "Organization")
	}
	// The agencies that designate it of value today recognize it.
	if len(p.Check.Agencies) > 0 {
		o["recognizedBy"] = schemaOrgLinks(p.Check.Agencies, "Organization")
	}
	if len(p.Competencies) > 0 {
		var cs []jsonObject
		for _, c := range p.Competencies {
			cs = append(cs, jsonObject{"@type": "DefinedTerm", "@id": c.IRI, "name": firstNonEmpty(c.Label, c.IRI)})
		}
		o["competencyRequired"] = cs
	}
	// schema.org gives a credential no occupationalCategory of its own:
	// the occupations it prepares for are Occupations it is about, each
	// with its occupationalCategory (a SOC code).
	var about []jsonObject
	for _, c := range p.Codes.Occupations {
		about = append(about, jsonObject{"@type": "Occupation", "@id": base + c.Href, "name": c.Label,
			"occupationalCategory": schemaOrgCode(base, c)})
	}
	for _, c := range append(append([]link{}, p.Check.Clusters...), p.Check.SubClusters...) {
		about = append(about, jsonObject{"@type": "DefinedTerm", "@id": c.IRI, "name": c.Label, "termCode": c.Code,
			"inDefinedTermSet": jsonObject{"@type": "DefinedTermSet", "name": "National Career Clusters Framework"}})
	}
	if len(about) > 0 {
		o["about"] = about
	}
	var educ []jsonObject
	for _, c := range p.Codes.Programs {
		educ = append(educ, schemaOrgCode(base, c))
	}
	if len(educ) > 0 {
		o["educationalAlignment"] = alignments(educ)
	}
	if len(cv.SameAs) > 0 || p.Webpage != "" {
		var same []string
		if p.Webpage != "" {
			same = append(same, p.Webpage)
		}
		o["sameAs"] = append(same, cv.SameAs...)
	}
	if cv.Record != nil && !p.Record.Doc.Modified.IsZero() {
		o["dateModified"] = p.Record.Doc.Modified.UTC().Format(time.RFC3339)
	}
	return schemaOrgJSON(o)
}

// alignments states programs of study (CIP) as AlignmentObjects.
func alignments(codes []jsonObject) []jsonObject {
	out := make([]jsonObject, 0, len(codes))
	for _, c := range codes {
		out = append(out, jsonObject{"@type": "AlignmentObject", "alignmentType": "educationalSubject",
			"targetName": c["name"], "targetUrl": c["@id"], "educationalFramework": "Classification of Instructional Programs (CIP) 2020"})
	}
	return out
}

func (s *Server) organizationSchemaOrg(p *organizationPage) jsonObject {
	o := jsonObject{
		"@context": schemaOrgContext,
		"@type":    "Organization",
		"@id":      p.IRI,
		"name":     firstNonEmpty(p.Name, p.CTID),
		"url":      p.IRI,
	}
	if p.CTID != "" {
		o["identifier"] = p.CTID
	}
	if p.Description != "" {
		o["description"] = p.Description
	}
	if p.Webpage != "" {
		o["sameAs"] = []string{p.Webpage}
	}
	return o
}

func (s *Server) conceptSchemaOrg(p *conceptPage) template.JS {
	base := s.base.String()
	self := codeLink{System: p.System, Code: p.Code, Label: p.Label, Href: s.href(p.IRI)}
	switch p.Scheme {
	case schema.SchemeSOC:
		self.Class = "soc"
		o := jsonObject{
			"@context":             schemaOrgContext,
			"@type":                "Occupation",
			"@id":                  p.IRI,
			"name":                 p.Label,
			"occupationalCategory": schemaOrgCode(base, self),
		}
		if len(p.Notes) > 0 {
			o["description"] = p.Notes[0]
		}
		return schemaOrgJSON(o)
	case schema.SchemeNAICS:
		self.Class = "naics"
	case schema.SchemeCIP:
		self.Class = "cip"
	}
	o := schemaOrgCode(base, self)
	o["@context"] = schemaOrgContext
	if len(p.Notes) > 0 {
		o["description"] = p.Notes[0]
	}
	return schemaOrgJSON(o)
}
