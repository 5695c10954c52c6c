package quadstore

import (
	"fmt"

	"github.com/cayleygraph/quad"
)

const (
	ceterms = "https://purl.org/ctdl/terms/"
	base    = "https://registry.example.gov/"
	xsd     = "http://www.w3.org/2001/XMLSchema#"
	rdfType = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
)

var credentialTypes = []string{"Certificate", "Certification", "License", "AssociateDegree", "BachelorDegree", "ApprenticeshipCertificate", "Badge"}

// credentialRecord is a credential-like record of 15 statements in its own
// named graph, linking to shared organizations and code-list concepts.
func credentialRecord(i int) []quad.Quad {
	ctid := fmt.Sprintf("ce-%08x-%04x-4%03x-8%03x-%012x", i*2654435761%(1<<32), i%65536, i%4096, (i*7)%4096, i*11)
	s := quad.IRI(base + "resources/" + ctid)
	g := s
	org := quad.IRI(fmt.Sprintf("%sresources/ce-org-%04d", base, i%500))
	concept := func(scheme string, n, mod int) quad.IRI {
		return quad.IRI(fmt.Sprintf("%sschemes/%s/%d", base, scheme, (n*31)%mod))
	}
	q := func(p string, o quad.Value) quad.Quad {
		return quad.Quad{Subject: s, Predicate: quad.IRI(ceterms + p), Object: o, Label: g}
	}
	return []quad.Quad{
		{Subject: s, Predicate: quad.IRI(rdfType), Object: quad.IRI(ceterms + credentialTypes[i%len(credentialTypes)]), Label: g},
		q("ctid", quad.String(ctid)),
		q("name", quad.LangString{Value: quad.String(fmt.Sprintf("Certificate in Applied Skills %d", i)), Lang: "en"}),
		q("description", quad.LangString{Value: quad.String(fmt.Sprintf("A credential that shows the holder can do the work of occupation %d at the level employers in the region expect; record %d.", i%800, i)), Lang: "en"}),
		q("ownedBy", org),
		q("offeredBy", org),
		q("credentialStatusType", quad.IRI(ceterms+"CredentialStatus/Active")),
		q("occupationType", concept("soc", i, 800)),
		q("industryType", concept("naics", i, 1000)),
		q("instructionalProgramType", concept("cip", i, 1500)),
		q("subject", concept("subclusters", i, 72)),
		q("dateEffective", quad.TypedString{Value: quad.String(fmt.Sprintf("20%02d-%02d-01", 10+i%15, 1+i%12)), Type: xsd + "date"}),
		q("subjectWebpage", quad.IRI(fmt.Sprintf("https://provider%d.example.edu/programs/%d", i%500, i))),
		q("inLanguage", quad.String("en")),
		q("estimatedDuration", quad.TypedString{Value: quad.String(fmt.Sprintf("P%dM", 1+i%24)), Type: xsd + "duration"}),
	}
}
