package ingest

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const (
	parseYAML = "# an agency's layout\ncolumns:\n  name: Credential Title\n  soc: [SOC 1, SOC 2]\nvalues:\n  type: {Industry Cert: Certification}\ndefaults:\n  region: Statewide\n"
	parseJSON = `{"columns": {"name": "Credential Title", "soc": ["SOC 1", "SOC 2"]}, "values": {"type": {"Industry Cert": "Certification"}}, "defaults": {"region": "Statewide"}}`
)

// TestParseMapping parses the same mapping as JSON and YAML, by extension
// and by sniffing.
func TestParseMapping(t *testing.T) {
	for _, tc := range []struct{ name, content string }{
		{"mapping.json", parseJSON},
		{"MAPPING.JSON", parseJSON},
		{"mapping.yaml", parseYAML},
		{"mapping.yml", parseYAML},
		{"mapping", parseJSON},               // sniffed: JSON
		{"mapping", " \n\t\r\n" + parseJSON}, // sniffed: JSON after white space
		{"mapping.txt", parseYAML},           // sniffed: YAML
		{"", parseYAML},                      // no name at all
		{"upload", "---\n" + parseYAML},      // sniffed: a YAML document marker
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseMapping(tc.name, []byte(tc.content))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := []string(m.Columns[FieldName]), []string{"Credential Title"}; !reflect.DeepEqual(got, want) {
				t.Errorf("columns.name = %q, want %q", got, want)
			}
			if got, want := []string(m.Columns[FieldSOC]), []string{"SOC 1", "SOC 2"}; !reflect.DeepEqual(got, want) {
				t.Errorf("columns.soc = %q, want %q", got, want)
			}
			if got := m.value(FieldType, "industry cert"); got != "Certification" {
				t.Errorf("value(type, industry cert) = %q, want Certification", got)
			}
			if got := m.defaultFor(FieldRegion); got != "Statewide" {
				t.Errorf("default region = %q, want Statewide", got)
			}
		})
	}
}

func TestParseMappingErrors(t *testing.T) {
	tooLarge := "columns:\n  name: Title\n# " + strings.Repeat("x", MaxMappingBytes) + "\n"
	for _, tc := range []struct {
		test, name, content string
		want                []string // substrings of the error
	}{
		{"unknown field yaml", "m.yaml", "columns:\n  nmae: Title\n", []string{"mapping m.yaml: ", "unknown field(s) nmae", "fields are: "}},
		{"unknown field json", "m.json", `{"values": {"regoin": {"NE": "Northeast"}}, "defaults": {"clustr": "x"}}`, []string{"mapping m.json: ", "unknown field(s) clustr, regoin"}},
		{"unknown field sniffed json", "upload", `{"columns": {"nmae": "Title"}}`, []string{"mapping upload: ", "unknown field(s) nmae"}},
		{"unknown field sniffed yaml", "upload", "defaults:\n  regoin: Statewide\n", []string{"mapping upload: ", "unknown field(s) regoin"}},
		{"unknown key yaml", "m.yml", "colums:\n  name: Title\n", []string{"mapping m.yml: ", "colums"}},
		{"unknown key json", "m.json", `{"colums": {"name": "Title"}}`, []string{"mapping m.json: ", "colums"}},
		{"unknown key sniffed", "part", `{"colums": {"name": "Title"}}`, []string{"mapping part: ", "colums"}},
		{"bad list", "m.yaml", "columns:\n  soc: {a: b}\n", []string{"mapping m.yaml: ", "expected a header name or a list of header names"}},
		{"json by extension, yaml inside", "m.json", parseYAML, []string{"mapping m.json: ", "invalid character"}},
		{"yaml by extension, not a mapping", "m.yaml", "- a\n- b\n", []string{"mapping m.yaml: "}},
		// YAML's flow style starts with '{' too: sniffed as JSON, it is refused.
		{"yaml flow style sniffed", "upload", "{columns: {name: Title}}", []string{"mapping upload: ", "invalid character"}},
		{"too large", "big.yaml", tooLarge, []string{"mapping big.yaml: ", "over the limit of 1048576"}},
		{"too large sniffed", "big", tooLarge, []string{"mapping big: ", "over the limit of 1048576"}},
	} {
		t.Run(tc.test, func(t *testing.T) {
			m, err := ParseMapping(tc.name, []byte(tc.content))
			if err == nil {
				t.Fatalf("ParseMapping succeeded (%+v); want an error", m)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// LoadMapping keeps its behaviour: the extension decides, other extensions
// are refused (no sniffing of files), and errors name the path.
func TestLoadMappingParses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name, content string
		want          string // an error's substring; "" for success
	}{
		{"ok.yaml", parseYAML, ""},
		{"ok.json", parseJSON, ""},
		{"ok.txt", parseYAML, "use a .json, .yaml or .yml file"},
		{"big.txt", strings.Repeat("#", MaxMappingBytes+1), "over the limit of 1048576"},
		{"bad.yaml", "columns:\n  nmae: Title\n", "unknown field(s) nmae"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write(tc.name, tc.content)
			m, err := LoadMapping(p)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := []string(m.Columns[FieldName]); len(got) != 1 || got[0] != "Credential Title" {
					t.Errorf("columns.name = %q", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "mapping "+p) {
				t.Errorf("LoadMapping(%s) = %v; want an error naming the path and saying %q", tc.name, err, tc.want)
			}
		})
	}
	if _, err := LoadMapping(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("a missing file: %v", err)
	}
}
