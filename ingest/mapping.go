package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"credreg/schema"
)

// Fields of the default spreadsheet layout. A sheet's headers are matched
// to fields by the names in defaultHeaders (regardless of case, spacing and
// punctuation) or by a Mapping.
const (
	FieldCTID               = "ctid"
	FieldLocalKey           = "local_key"
	FieldName               = "name"
	FieldType               = "type"
	FieldOwner              = "owner"
	FieldOfferedBy          = "offered_by"
	FieldDescription        = "description"
	FieldURL                = "url"
	FieldSOC                = "soc"
	FieldCIP                = "cip"
	FieldNAICS              = "naics"
	FieldCompetencies       = "competencies"
	FieldCluster            = "cluster"
	FieldSubCluster         = "subcluster"
	FieldAgency             = "agency"
	FieldRegion             = "region"
	FieldHighWage           = "high_wage"
	FieldHighSkill          = "high_skill"
	FieldInDemand           = "in_demand"
	FieldStackable          = "stackable"
	FieldIndustryRecognized = "industry_recognized"
	FieldCriteria           = "criteria"
	FieldMedianWage         = "median_wage"
	FieldOpenings           = "openings"
	FieldEvidenceSource     = "evidence_source"
	FieldEvidenceYear       = "evidence_year"
	FieldValidFrom          = "valid_from"
	FieldValidThrough       = "valid_through"
	// FieldDesignationCTID names the designation a row gives; without it
	// the designation's CTID derives from the agency, the credential and
	// the region (or the row's local key).
	FieldDesignationCTID = "designation_ctid"
	// FieldStatus retires the row's designation when it says "retired"
	// (other statuses follow from the dates and are not read), on the
	// day FieldRetiredOn gives, for FieldRetirementReason.
	FieldStatus           = "status"
	FieldRetiredOn        = "retired_on"
	FieldRetirementReason = "retirement_reason"
	// FieldCredentialStatus retires the row's credential when it says
	// "retired".
	FieldCredentialStatus = "credential_status"
)

// defaultHeaders are the header names each field is recognised by.
var defaultHeaders = map[string][]string{
	FieldCTID:               {"ctid", "credential ctid"},
	FieldLocalKey:           {"local key", "local id", "id", "key", "credential id", "agency key"},
	FieldName:               {"name", "credential name", "credential", "credential title", "title"},
	FieldType:               {"type", "credential type"},
	FieldOwner:              {"owner", "owned by", "issuer", "owning organization", "credential owner", "organization"},
	FieldOfferedBy:          {"offered by", "offering organization", "provider", "offerer"},
	FieldDescription:        {"description", "credential description"},
	FieldURL:                {"url", "web page", "webpage", "website", "link", "subject webpage"},
	FieldSOC:                {"soc", "soc code", "soc codes", "occupation", "occupations", "occupation codes"},
	FieldCIP:                {"cip", "cip code", "cip codes", "program", "programs"},
	FieldNAICS:              {"naics", "naics code", "naics codes", "industry", "industries"},
	FieldCompetencies:       {"competencies", "competency", "skills"},
	FieldCluster:            {"cluster", "career cluster", "career clusters", "clusters"},
	FieldSubCluster:         {"subcluster", "sub cluster", "sub clusters", "subclusters", "career subcluster", "career sub cluster"},
	FieldAgency:             {"agency", "designating agency", "designated by"},
	FieldRegion:             {"region", "workforce region", "area"},
	FieldHighWage:           {"high wage"},
	FieldHighSkill:          {"high skill"},
	FieldInDemand:           {"in demand"},
	FieldStackable:          {"stackable"},
	FieldIndustryRecognized: {"industry recognized"},
	FieldCriteria:           {"criteria", "value criteria"},
	FieldMedianWage:         {"median wage", "median annual wage", "wage"},
	FieldOpenings:           {"openings", "annual openings", "projected openings", "projected annual openings"},
	FieldEvidenceSource:     {"evidence source", "data source", "source"},
	FieldEvidenceYear:       {"evidence year", "data year", "year"},
	FieldValidFrom:          {"valid from", "start date", "effective date", "from"},
	FieldValidThrough:       {"valid through", "end date", "expiration date", "through", "valid until"},
	FieldDesignationCTID:    {"designation ctid"},
	FieldStatus:             {"status", "designation status"},
	FieldRetiredOn:          {"retired on", "retirement date"},
	FieldRetirementReason:   {"retirement reason"},
	FieldCredentialStatus:   {"credential status"},
}

// listFields hold several values a cell; a field that several columns map
// to gathers the values of all of them.
var listFields = map[string]bool{
	FieldSOC: true, FieldCIP: true, FieldNAICS: true, FieldCompetencies: true, FieldOfferedBy: true,
	FieldCluster: true, FieldSubCluster: true, FieldCriteria: true,
}

// Fields lists the fields of the default layout, sorted.
func Fields() []string {
	out := make([]string, 0, len(defaultHeaders))
	for f := range defaultHeaders {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Mapping adapts an agency's sheet to credreg without editing it: which of
// its headers hold which field, how its values are spelled, and defaults
// for what the sheet leaves out. It is read from a JSON or YAML file.
type Mapping struct {
	// Columns maps a field to the header (or headers) that hold it in the
	// sheet, e.g. {"name": "Credential Title", "soc": ["SOC 1", "SOC 2"]}.
	Columns map[string]stringList `json:"columns" yaml:"columns"`
	// Values maps, per field, the sheet's spelling to credreg's, e.g.
	// {"type": {"Industry Cert": "Certification"}, "region": {"NE": "Northeast Region"}}.
	Values map[string]map[string]string `json:"values" yaml:"values"`
	// Defaults give a field's value when a row leaves it empty, e.g.
	// {"region": "Statewide", "valid_from": "2025-07-01"}.
	Defaults map[string]string `json:"defaults" yaml:"defaults"`
}

// stringList reads a string or a list of strings.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("expected a header name or a list of header names")
	}
	*l = many
	return nil
}

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	var one string
	if err := n.Decode(&one); err == nil {
		*l = stringList{one}
		return nil
	}
	var many []string
	if err := n.Decode(&many); err != nil {
		return fmt.Errorf("line %d: expected a header name or a list of header names", n.Line)
	}
	*l = many
	return nil
}

// MaxMappingBytes caps a mapping (a file or an uploaded part).
const MaxMappingBytes = 1 << 20

// LoadMapping reads a mapping file, JSON or YAML by its extension (.json,
// .yaml, .yml), and checks that it names known fields only. Unlike
// ParseMapping it does not sniff: a file with another extension is refused.
func LoadMapping(path string) (*Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	if mappingSyntax(path) == "" && len(b) <= MaxMappingBytes {
		return nil, fmt.Errorf("mapping %s: use a .json, .yaml or .yml file", path)
	}
	return ParseMapping(path, b)
}

// ParseMapping parses a mapping named name (a file name, or the name of an
// upload), and checks that it names known fields only. It is JSON or YAML
// by the name's extension (.json, .yaml, .yml); a name with none of these
// is JSON when b starts with '{' (after white space) and YAML otherwise.
// Errors start with "mapping " and the name.
func ParseMapping(name string, b []byte) (*Mapping, error) {
	if len(b) > MaxMappingBytes {
		return nil, fmt.Errorf("mapping %s: %d bytes, over the limit of %d", name, len(b), MaxMappingBytes)
	}
	syntax := mappingSyntax(name)
	if syntax == "" {
		syntax = "yaml"
		if t := bytes.TrimLeft(b, " \t\r\n"); len(t) > 0 && t[0] == '{' {
			syntax = "json"
		}
	}
	var m Mapping
	var err error
	if syntax == "json" {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		err = dec.Decode(&m)
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		err = dec.Decode(&m)
	}
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", name, err)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("mapping %s: %w", name, err)
	}
	return &m, nil
}

// mappingSyntax is "json" or "yaml" by name's extension, or "".
func mappingSyntax(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return "json"
	case ".yaml", ".yml":
		return "yaml"
	}
	return ""
}

func (m *Mapping) check() error {
	var bad []string
	for _, section := range []map[string]bool{keys(m.Columns), keys(m.Values), keys(m.Defaults)} {
		for f := range section {
			if _, ok := defaultHeaders[f]; !ok {
				bad = append(bad, f)
			}
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("unknown field(s) %s; fields are: %s", strings.Join(bad, ", "), strings.Join(Fields(), ", "))
	}
	return nil
}

func keys[V any](m map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// value applies the mapping's spelling for a field.
func (m *Mapping) value(field, v string) string {
	if m == nil {
		return v
	}
	if spell, ok := m.Values[field]; ok {
		if to, ok := spell[v]; ok {
			return to
		}
		k := schema.NameKey(v)
		for from, to := range spell {
			if schema.NameKey(from) == k {
				return to
			}
		}
	}
	return v
}

func (m *Mapping) defaultFor(field string) string {
	if m == nil {
		return ""
	}
	return m.Defaults[field]
}
