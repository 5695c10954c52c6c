package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
)

// v1SHA256 is the hash of context v1 as it was published. Documents and
// caches name /contexts/v1.jsonld: what it serves must never change.
const v1SHA256 = "58fc0df96272448fe4b88b5f0d334843a3f78b69fb52479c552e442d609da370"

func TestContextV1Unchanged(t *testing.T) {
	sum := sha256.Sum256(ContextDocumentOf("1"))
	if got := hex.EncodeToString(sum[:]); got != v1SHA256 {
		t.Fatalf("context v1 changed (sha256 %s): a published version is never edited; make a new version instead", got)
	}
}

type termDefinition struct {
	ID        string `json:"@id"`
	Type      string `json:"@type"`
	Container string `json:"@container"`
}

func readContext(t *testing.T, doc []byte) map[string]termDefinition {
	t.Helper()
	var c struct {
		Context map[string]json.RawMessage `json:"@context"`
	}
	if err := json.Unmarshal(doc, &c); err != nil {
		t.Fatal(err)
	}
	out := map[string]termDefinition{}
	for name, raw := range c.Context {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			out[name] = termDefinition{ID: s}
			continue
		}
		var d termDefinition
		if err := json.Unmarshal(raw, &d); err != nil {
			t.Fatalf("term %s: %v", name, err)
		}
		out[name] = d
	}
	return out
}

// TestContextV2KeepsV1Terms checks that version 2 only adds terms and
// "@container": "@set": every v1 term keeps its IRI and coercion, so a
// document written against v1 expands to the same statements with v2.
func TestContextV2KeepsV1Terms(t *testing.T) {
	v1, v2 := readContext(t, ContextDocumentOf("1")), readContext(t, ContextDocumentOf("2"))
	for name, d1 := range v1 {
		d2, ok := v2[name]
		if !ok {
			t.Errorf("v2 drops the term %q", name)
			continue
		}
		if d1.ID != d2.ID || d1.Type != d2.Type {
			t.Errorf("term %q: v1 %+v, v2 %+v", name, d1, d2)
		}
	}
	// The shape rules: the multi-valued properties are sets, counts are
	// integers, VoID's and DCAT's terms are short names.
	for _, name := range []string{"member", "items", "industryType", "occupationType", "designation", "offeredBy", "ownedBy", "criterion", "vocabulary", "classPartition", "distribution", "mapping"} {
		if v2[name].Container != "@set" {
			t.Errorf("term %q is not a set", name)
		}
	}
	for _, name := range []string{"totalItems", "sequence", "triples", "entities", "distinctSubjects", "credentialCount", "projectedAnnualOpenings", "itemsPerPage"} {
		if v2[name].Type != "xsd:integer" {
			t.Errorf("term %q is not an xsd:integer: %+v", name, v2[name])
		}
	}
	// Single-valued properties are not sets (they stay a bare value).
	for name, d := range v2 {
		iri := d.ID
		if p, local, ok := strings.Cut(iri, ":"); ok {
			if ns, ok := Prefixes[p]; ok {
				iri = ns + local
			}
		}
		if SingleValued(iri) && d.Container == "@set" {
			t.Errorf("term %q names a single-valued property but is a set", name)
		}
	}
}

func TestContextDocumentsKnowEveryVersion(t *testing.T) {
	base, err := NewBase("https://registry.example.gov")
	if err != nil {
		t.Fatal(err)
	}
	docs := ContextDocuments(base)
	for _, v := range ContextVersions {
		for _, u := range []string{ContextURLOf(v), base.ContextOf(v)} {
			if string(docs[u]) != string(ContextDocumentOf(v)) {
				t.Errorf("%s does not serve v%s", u, v)
			}
		}
	}
	if string(docs[base.ContextLatest()]) != string(ContextDocument()) || base.Context() != "https://registry.example.gov/contexts/v"+ContextVersion+".jsonld" {
		t.Errorf("the current context: %s", base.Context())
	}
	if len(docs) != 2*len(ContextVersions)+1 {
		t.Errorf("%d context IRIs", len(docs))
	}
}
