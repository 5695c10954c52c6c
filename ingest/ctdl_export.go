package ingest

// A credential written in CTDL's own JSON-LD shape, for consumers that
// know Credential Engine's registry: CTDL's context, language maps for
// names and descriptions, and codes as ceterms:CredentialAlignmentObject
// nodes. The CTDL reader (CTDL) reads it back.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/cayleygraph/quad"

	"credreg/registry"
	"credreg/schema"
)

// CTDLContextURL is the JSON-LD context of Credential Engine's CTDL
// documents; a CTDL export names it (and nothing fetches it).
const CTDLContextURL = "https://credreg.net/ctdl/schema/context/json"

// CTDLLanguage is the language of the language maps a CTDL export writes
// for names and descriptions stored without one.
const CTDLLanguage = "en-US"

// ErrNotCTDLCredential is returned by CTDLCredential for a record that is
// not a credential.
var ErrNotCTDLCredential = errors.New("the CTDL export is for credentials")

// ctdlFrameworks are the code lists of CTDL alignments: the framework's
// IRI and name.
var ctdlFrameworks = map[string][2]string{
	schema.SchemeSOC:   {"https://www.bls.gov/soc/2018/", "Standard Occupational Classification"},
	schema.SchemeNAICS: {"https://www.census.gov/naics/", "North American Industry Classification System"},
	schema.SchemeCIP:   {"https://nces.ed.gov/ipeds/cipcode/", "Classification of Instructional Programs"},
}

// CTDLCredential returns the credential iri as a CTDL JSON-LD document:
// its CTDL type, CTID, name and description as language maps, owners and
// offerers, web page, occupations, industries and programs as
// CredentialAlignmentObjects (with the code, its name, the framework and
// credreg's concept as the target node), competencies as alignments to
// credreg's competencies, and the credentials it is superseded by. The
// credential keeps its credreg IRI. credreg's own terms (Clusters,
// designations) are not CTDL and are left out.
func CTDLCredential(ctx context.Context, store *registry.Store, iri string) ([]byte, error) {
	v, err := store.Credential(ctx, iri)
	if err != nil {
		return nil, err
	}
	if !v.IsCredential {
		return nil, fmt.Errorf("%s: %w", iri, ErrNotCTDLCredential)
	}
	doc := map[string]any{
		"@context":     CTDLContextURL,
		"@id":          v.IRI,
		"@type":        ctdlType(v.Types),
		"ceterms:ctid": v.CTID,
		"ceterms:name": langMap(v.Record, iri, schema.Name),
	}
	if d := langMap(v.Record, iri, schema.Description); d != nil {
		doc["ceterms:description"] = d
	}
	if len(v.OwnedBy) > 0 {
		doc["ceterms:ownedBy"] = v.OwnedBy
	}
	if len(v.OfferedBy) > 0 {
		doc["ceterms:offeredBy"] = v.OfferedBy
	}
	for _, q := range v.Record.Quads {
		if q.Subject == quad.IRI(iri) && q.Predicate == quad.IRI(schema.SubjectWebpage) {
			doc["ceterms:subjectWebpage"] = registry.Lexical(q.Object)
		}
	}
	base := store.Base()
	for prop, links := range map[string]struct {
		scheme string
		iris   []string
	}{
		"ceterms:occupationType":           {schema.SchemeSOC, v.Occupations},
		"ceterms:industryType":             {schema.SchemeNAICS, v.Industries},
		"ceterms:instructionalProgramType": {schema.SchemeCIP, v.Programs},
	} {
		var aligns []any
		for _, c := range links.iris {
			a, err := alignmentOf(ctx, store, base, links.scheme, c)
			if err != nil {
				return nil, err
			}
			aligns = append(aligns, a)
		}
		if len(aligns) > 0 {
			doc[prop] = aligns
		}
	}
	var comps []any
	for _, c := range v.Competencies {
		name, err := store.Label(ctx, c)
		if err != nil {
			return nil, err
		}
		a := map[string]any{"@type": "ceterms:CredentialAlignmentObject", "ceterms:targetNode": c}
		if name != "" {
			a["ceterms:targetNodeName"] = map[string]string{CTDLLanguage: name}
		}
		comps = append(comps, a)
	}
	if len(comps) > 0 {
		doc["ceterms:targetCompetency"] = comps
	}
	if len(v.SupersededBy) > 0 {
		doc["ceterms:supersededBy"] = v.SupersededBy
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("CTDL export of %s: %w", iri, err)
	}
	return append(b, '\n'), nil
}

// ctdlType is the credential's CTDL class (the first in name order).
func ctdlType(types []string) string {
	var out []string
	for _, t := range types {
		if schema.IsCredentialType(t) {
			out = append(out, "ceterms:"+strings.TrimPrefix(t, schema.CETerms))
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return "ceterms:Credential"
	}
	return out[0]
}

// langMap returns a CTDL language map of a text property of the node:
// each value under its language, or CTDLLanguage when it has none.
func langMap(rec *registry.Record, node, prop string) map[string]string {
	m := map[string]string{}
	for _, q := range rec.Quads {
		if q.Subject != quad.IRI(node) || q.Predicate != quad.IRI(prop) {
			continue
		}
		lang := CTDLLanguage
		if ls, ok := q.Object.(quad.LangString); ok {
			lang = ls.Lang
		}
		if _, seen := m[lang]; !seen {
			m[lang] = registry.Lexical(q.Object)
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// alignmentOf writes a code-list concept as a CredentialAlignmentObject.
func alignmentOf(ctx context.Context, store *registry.Store, base schema.Base, scheme, concept string) (map[string]any, error) {
	a := map[string]any{"@type": "ceterms:CredentialAlignmentObject", "ceterms:targetNode": concept}
	if code, ok := strings.CutPrefix(concept, base.Scheme(scheme)+"/"); ok {
		if n, err := url.PathUnescape(code); err == nil {
			a["ceterms:codedNotation"] = n
		}
	}
	name, err := store.Label(ctx, concept)
	if err != nil {
		return nil, err
	}
	if name != "" {
		a["ceterms:targetNodeName"] = map[string]string{CTDLLanguage: name}
	}
	if fw, ok := ctdlFrameworks[scheme]; ok {
		a["ceterms:framework"] = fw[0]
		a["ceterms:frameworkName"] = map[string]string{CTDLLanguage: fw[1]}
	}
	return a, nil
}
