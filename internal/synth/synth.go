// Package synth builds the synthetic credentials of credreg's benchmarks
// and large tests (registry's, harvest's): records that depend only on the
// base and their number, so that figures taken in different packages and
// runs are of the same data. It imports no credreg package but schema, so
// the registry's own tests can use it.
package synth

import (
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/cayleygraph/quad"

	"credreg/schema"
)

// Code lists the synthetic credentials draw from: well-formed codes.
var (
	credTypes = []string{"Certificate", "Certification", "License", "AssociateDegree", "BachelorDegree", "ApprenticeshipCertificate", "Badge"}
	soc       = []string{"15-1211", "15-1212", "15-1232", "15-1244", "15-1252", "29-1141", "29-2061", "47-2111", "49-9021", "51-4121", "13-2011", "11-3021"}
	naics     = []string{"541511", "541512", "622110", "238210", "333249", "524114", "611310"}
	cip       = []string{"11.0701", "11.1003", "51.3801", "46.0302", "47.0201", "52.0301", "15.0613"}
	sub       = []string{"060103", "060102", "060106", "010102", "010204", "040206", "050100", "020100"}
	topics    = []string{"Network Security", "Registered Nursing", "Electrical Installation", "Welding", "Cloud Administration", "Medical Coding", "HVAC Service", "Data Analytics"}
)

const (
	// Orgs is the number of organizations that own and offer the
	// credentials.
	Orgs = 50
	// Competences is the number of competencies the credentials target.
	Competences = 3000
	// QuadsPerCredential is the number of statements Credential builds
	// (registry's TestSynthCredentialIsValid checks it).
	QuadsPerCredential = 15
)

// Credential builds the record of the i-th synthetic credential: its IRI
// and 15 statements, with a CTID derived from i, owned and offered by one
// of 50 organizations, two SOC occupations, one NAICS industry, one CIP
// program, one Sub-Cluster and three competencies. It depends only on
// base and i.
func Credential(base schema.Base, i int) (iri string, quads []quad.Quad) {
	ctid := schema.DerivedCTID("bench", strconv.Itoa(i))
	iri = base.Resource(ctid)
	s := quad.IRI(iri)
	org := func(k int) quad.IRI {
		return quad.IRI(base.Resource(schema.DerivedCTID("bench-org", strconv.Itoa(k%Orgs))))
	}
	comp := func(k int) quad.IRI {
		return quad.IRI(base.Resource(schema.DerivedCTID("bench-competency", strconv.Itoa(k%Competences))))
	}
	concept := func(scheme, code string) quad.IRI { return quad.IRI(base.Concept(scheme, code)) }
	soc1 := i % len(soc)
	soc2 := (soc1 + 1 + (i/len(soc))%(len(soc)-1)) % len(soc) // never soc1
	topic := topics[i%len(topics)]
	typ := credTypes[i%len(credTypes)]
	st := func(p string, o quad.Value) quad.Quad {
		return quad.Quad{Subject: s, Predicate: quad.IRI(p), Object: o}
	}
	return iri, []quad.Quad{
		st(schema.RDFType, quad.IRI(schema.CETerms+typ)),
		st(schema.CTID, quad.String(ctid)),
		st(schema.Name, quad.String(fmt.Sprintf("%s %s %d", topic, typ, i))),
		st(schema.Description, quad.String(fmt.Sprintf("Synthetic %s no. %d: validates entry-level %s knowledge and skills, assessed by a proctored exam and a practical task.", typ, i, topic))),
		st(schema.SubjectWebpage, quad.IRI(fmt.Sprintf("https://credentials.example.org/%d", i))),
		st(schema.OwnedBy, org(i)),
		st(schema.OfferedBy, org(i*7+3)),
		st(schema.OccupationType, concept(schema.SchemeSOC, soc[soc1])),
		st(schema.OccupationType, concept(schema.SchemeSOC, soc[soc2])),
		st(schema.IndustryType, concept(schema.SchemeNAICS, naics[i%len(naics)])),
		st(schema.InstructionalProgramType, concept(schema.SchemeCIP, cip[i%len(cip)])),
		st(schema.SubCluster, concept(schema.SchemeCareerClusters, sub[i%len(sub)])),
		st(schema.TargetCompetency, comp(3*i)),
		st(schema.TargetCompetency, comp(3*i+1)),
		st(schema.TargetCompetency, comp(3*i+2)),
	}
}

// Base is the benchmarks' registry base, https://registry.example.gov.
func Base(tb testing.TB) schema.Base {
	tb.Helper()
	b, err := schema.NewBase("https://registry.example.gov")
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// N is the size of a benchmark's store: $CREDREG_BENCH_N, or 100,000.
func N(tb testing.TB) int {
	tb.Helper()
	v := os.Getenv("CREDREG_BENCH_N")
	if v == "" {
		return 100_000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		tb.Fatalf("CREDREG_BENCH_N=%q: want a positive number", v)
	}
	return n
}
