package ingest

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cayleygraph/quad"

	"credreg/catalog/catalogtest"
	"credreg/registry"
	"credreg/schema"
)

// The fixtures' agencies.
const (
	agencyHWC = "Heartland Workforce Commission"
	agencyHDE = "Heartland Department of Education"
)

// wantProblem is a problem a test expects: every field is compared
// exactly except message, which must be contained in the problem's, and a
// value of anyValue, which matches any.
const anyValue = "\x00any"

type wantProblem struct {
	row     int
	column  string
	value   string
	message string
}

// expectProblems checks that rep holds, for file, each wanted problem.
func expectProblems(t *testing.T, rep *Report, file string, want ...wantProblem) {
	t.Helper()
	for _, w := range want {
		found := false
		for _, p := range rep.Problems {
			if p.File == file && p.Row == w.row && p.Column == w.column && (w.value == anyValue || p.Value == w.value) && strings.Contains(p.Message, w.message) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("missing problem %s:%d [%s] %q: …%s…\nproblems:\n%s", file, w.row, w.column, w.value, w.message, problemList(rep.Problems))
		}
	}
}

func problemList(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  ")
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	if b.Len() == 0 {
		return "  (none)\n"
	}
	return b.String()
}

// expectCounts checks the report's counts; -1 skips a count.
func expectCounts(t *testing.T, rep *Report, units, imported, failed int) {
	t.Helper()
	if (units >= 0 && rep.Units != units) || (imported >= 0 && rep.Imported != imported) || (failed >= 0 && rep.Failed != failed) {
		t.Errorf("units/imported/failed = %d/%d/%d, want %d/%d/%d\nproblems:\n%s", rep.Units, rep.Imported, rep.Failed, units, imported, failed, problemList(rep.Problems))
	}
}

// valueString returns a statement object as a plain string: an IRI or a
// literal's lexical form.
func valueString(v quad.Value) string {
	switch x := v.(type) {
	case quad.IRI:
		return string(x)
	case quad.String:
		return string(x)
	case quad.TypedString:
		return string(x.Value)
	case quad.LangString:
		return string(x.Value)
	}
	return quad.ToString(v)
}

// objectsOf returns the values of (node, pred) in the node's stored record.
func objectsOf(t *testing.T, s *registry.Store, node, pred string) []string {
	t.Helper()
	rec, err := s.Get(context.Background(), schema.RecordIRI(node))
	if err != nil {
		t.Fatalf("get %s: %v", node, err)
	}
	var out []string
	for _, q := range rec.Quads {
		if valueString(q.Subject) == node && valueString(q.Predicate) == pred {
			out = append(out, valueString(q.Object))
		}
	}
	sort.Strings(out)
	return out
}

// expectObjects checks the values of (node, pred), in any order.
func expectObjects(t *testing.T, s *registry.Store, node, pred string, want ...string) {
	t.Helper()
	got := objectsOf(t, s, node, pred)
	w := append([]string(nil), want...)
	sort.Strings(w)
	if strings.Join(got, "\n") != strings.Join(w, "\n") {
		t.Errorf("%s %s = %q, want %q", node, schema.Compact(pred), got, w)
	}
}

// credentialNamed returns the IRI of the one credential stored with the
// name, failing the test if there is none or more than one.
func credentialNamed(t *testing.T, s *registry.Store, name string) string {
	t.Helper()
	subjects, err := s.Subjects(context.Background(), schema.Name, quad.String(name))
	if err != nil {
		t.Fatal(err)
	}
	var creds []string
	for _, sub := range subjects {
		for _, typ := range objectsOf(t, s, sub, schema.RDFType) {
			if schema.IsCredentialType(typ) {
				creds = append(creds, sub)
				break
			}
		}
	}
	if len(creds) != 1 {
		t.Fatalf("credentials named %q: %q, want exactly one", name, creds)
	}
	return creds[0]
}

// noCredentialNamed checks that nothing is stored with the name.
func noCredentialNamed(t *testing.T, s *registry.Store, name string) {
	t.Helper()
	subjects, err := s.Subjects(context.Background(), schema.Name, quad.String(name))
	if err != nil {
		t.Fatal(err)
	}
	if len(subjects) > 0 {
		t.Errorf("%q was stored as %q; want nothing", name, subjects)
	}
}

// designationsOf returns the value designations of a credential.
func designationsOf(t *testing.T, s *registry.Store, cred string) []string {
	t.Helper()
	ds, err := s.Subjects(context.Background(), schema.DesignatedFor, quad.IRI(cred))
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// oneDesignation returns the credential's only designation.
func oneDesignation(t *testing.T, s *registry.Store, cred string) string {
	t.Helper()
	ds := designationsOf(t, s, cred)
	if len(ds) != 1 {
		t.Fatalf("designations of %s: %q, want one", cred, ds)
	}
	return ds[0]
}

func concept(s *registry.Store, scheme, notation string) string {
	return s.Base().Concept(scheme, notation)
}

// writeTemp writes a file in a test's temporary directory.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	mappingYAML = `# Northeast Heartland's layout
columns:
  name: Title
  type: Kind
  owner: Provider
  soc: [Occupations Cd, Occupations Cd 2]
  region: Area
  cluster: Pathway
values:
  type:
    Industry Cert: Certification
  region:
    NE: Northeast Heartland Workforce Region
defaults:
  valid_from: 2025-07-01
`
	mappingJSON = `{
  "columns": {"name": "Title", "type": "Kind", "owner": "Provider", "soc": ["Occupations Cd", "Occupations Cd 2"], "region": "Area", "cluster": "Pathway"},
  "values": {"type": {"Industry Cert": "Certification"}, "region": {"NE": "Northeast Heartland Workforce Region"}},
  "defaults": {"valid_from": "2025-07-01"}
}`
	mappedSheet = "Title,Kind,Provider,Occupations Cd,Occupations Cd 2,Area,Pathway\n" +
		"Data Center Technician,Industry Cert,CompTIA,151244,15-1232.00,NE,Digital Technology\n" +
		"Mapped Bad Type,Industry Certificate of Awesomeness,CompTIA,151244,,ne,digital technology\n"
)

// checkMapped checks mappedSheet imported with mappingYAML or mappingJSON.
func checkMapped(t *testing.T, s *registry.Store, rep *Report) {
	t.Helper()
	cred := credentialNamed(t, s, "Data Center Technician")
	expectObjects(t, s, cred, schema.RDFType, schema.CETerms+"Certification")
	expectObjects(t, s, cred, schema.OccupationType, concept(s, schema.SchemeSOC, "15-1244"), concept(s, schema.SchemeSOC, "15-1232"))
	d := oneDesignation(t, s, cred)
	expectObjects(t, s, d, schema.Region, "Northeast Heartland Workforce Region")
	expectObjects(t, s, d, schema.Cluster, concept(s, schema.SchemeCareerClusters, "060100"))
	expectObjects(t, s, d, schema.ValidFrom, "2025-07-01")
}

func TestCSVMessy(t *testing.T) {
	const h = "Credential Name,Type,Owner,SOC Codes,Career Cluster,Region\n"
	tenMB := strings.Repeat("x", 10<<20)
	cases := []struct {
		name string
		data string
		opts SheetOptions
		// mapping, when set, is written to a file of this name (its
		// extension says JSON or YAML) and loaded with LoadMapping.
		mappingFile, mapping string
		want                 []wantProblem
		// units, imported, failed are the report's counts (-1: any).
		units, imported, failed int
		// exactProblems requires the report to hold only the wanted problems.
		exactProblems bool
		check         func(t *testing.T, s *registry.Store, rep *Report)
	}{
		{
			name:  "utf-8 byte-order mark",
			data:  "\xEF\xBB\xBF" + h + "BOM Cert,Certification,CompTIA,15-1252,Digital Technology,Statewide\n",
			units: 1, imported: 1, failed: 0, exactProblems: true,
			check: func(t *testing.T, s *registry.Store, rep *Report) {
				cred := credentialNamed(t, s, "BOM Cert")
				expectObjects(t, s, cred, schema.OccupationType, concept(s, schema.SchemeSOC, "15-1252"))
				expectObjects(t, s, cred, schema.Cluster, concept(s, schema.SchemeCareerClusters, "060100"))
			},
		},
		{
			name: "CRLF line endings",
			data: strings.ReplaceAll(h+"CRLF Cert,Certification,CompTIA,15-1252,Digital Technology,Statewide\n"+
				"CRLF Bad,Certification,CompTIA,15-12,Digital Technology,Statewide\n", "\n", "\r\n"),
			want:  []wantProblem{{3, "SOC Codes", "15-12", "is not a SOC code"}},
			units: 2, imported: 1, failed: 1, exactProblems: true,
			check: func(t *testing.T, s *registry.Store, rep *Report) {
				cred := credentialNamed(t, s, "CRLF Cert") // no trailing \r
				expectObjects(t, s, oneDesignation(t, s, cred), schema.Region, "Statewide")
			},
		},
		{
			name: "quoted newlines in a description",
			data: "Credential Name,Description,Owner,SOC Codes,Career Cluster,Region\n" +
				"Multi Line Cert,\"Line one\nLine two, with a comma\n\"\"Quoted\"\" line three\",CompTIA,15-1252,Digital Technology,Statewide\n" +
				"After Multi Line,One line,CompTIA,15-12,Digital Technology,Statewide\n",
			// The bad row starts on line 5: lines 2-4 are the first row.
			want:  []wantProblem{{5, "SOC Codes", "15-12", "is not a SOC code"}},
			units: 2, imported: 1, failed: 1, exactProblems: true,
			check: func(t *testing.T, s *registry.Store, rep *Report) {
				cred := credentialNamed(t, s, "Multi Line Cert")
				expectObjects(t, s, cred, schema.Description, "Line one\nLine two, with a comma\n\"Quoted\" line three")
			},
		},
		{
			name: "quoted CRLF newlines and a blank line inside a cell",
			data: "Credential Name,Description,Owner,SOC Codes,Career Cluster,Region\r\n" +
				"CRLF Multi,\"Para one\r\n\r\nPara two\",CompTIA,15-1252,Digital Technology,Statewide\r\n" +
				"CRLF After,x,CompTIA,15-12,Digital Technology,Statewide\r\n",
			want:  []wantProblem{{5, "SOC Codes", "15-12", "is not a SOC code"}},
			units: 2, imported: 1, failed: 1, exactProblems: true,
			check: func(t *testing.T, s *registry.Store, rep *Report) {
				expectObjects(t, s, credentialNamed(t, s, "CRLF Multi"), schema.Description, "Para one\n\nPara two")
			},
		},
		{
			name: "blank rows in the middle keep line numbers",
			data: h + "Before Blanks,Certification,CompTIA,15-1252,Digital Technology,Statewide\n" +
				"\n" + ",,,,,\n" + "  ,\t, ,\n" +
				"After Blanks,Certification,CompTIA,15-12,Digital Technology,Statewide\n",
			want:  []wantProblem{{6, "SOC Codes", "15-12", "is not a SOC code"}},
			units: 2, imported: 1, failed: 1, exactProblems: true,
			check: func(t *testing.T, s *registry.Store, rep *Report) {
				credentialNamed(t, s, "Before Blanks")
				noCredentialNamed(t, s, "After Blanks")
			},
		},
		{
			name:  "blank lines before the header",
			data:  "\n,,\n" + h + "Late Header,Certification,CompTIA,15-12,Digital Technology,Statewide\n",
			want:  []wantProblem{{4, "SOC Codes", "15-12", "is not a SOC code"}},
			units: 1, imported: 0, failed: 1, exactProblems: true,
		},
		{
			name: "duplicate headers of a single-value field",
			data: "Credential Name,Owner,Region,Workforce Region,Career Cluster\n" +
				"Dup Region,CompTIA,Statewide,Statewide,Digital Technology\n" +
				"Dup Region 2,CompTIA,Statewide,Statewide,Digital Technology\n",
			want: []wantProblem{{1, "Workforce Region", "", `2 columns hold the field region (C "Region", D "Workforce Region")`}},
			// The whole file fails: which column is the region would be a guess.
			// Both rows count as read and failed, with the header's problem.
			units: 2, imported: 0, failed: 2, exactProblems: true,
			check: func(t *testing.T, s *registry.Store, rep *Report) {
				noCredentialNamed(t, s, "Dup Region")
				noCredentialNamed(t, s, "Dup Region 2")
			},
		},
		{
			name: "duplicate headers of a list field gather values",
			data: "Credential Name,Owner,SOC Codes,SOC Codes,Occupation,Career Cluster,Region\n" +
				"Listy,CompTIA,15-1252,151244,29-2061.00; 15-1232,Digital Technology,Statewide\n",
			units: 1, imported: 1, failed: 0, exactProblems: true,
			check: func(t *testing.T, s *registry.Store, rep *Report) {
				expectObjects(t, s, credentialNamed(t, s, "Listy"), schema.OccupationType,
					concept(s, schema.SchemeSOC, "15-1252"), concept(s, schema.SchemeSOC, "15-1244"),
					concept(s, schema.SchemeSOC, "29-2061"), concept(s, schema.SchemeSOC, "15-1232"))
			},
		},
		{
			name: "unknown Cluster",
			data: h + "Weaving Cert,Certification,CompTIA,15-1252,Underwater Basket Weaving,Statewide\n" +
				"Good Cluster,Certification,CompTIA,15-1252,Digital Technology,Statewide\n",
			want:  []wantProblem{{2, "Career Cluster", "Underwater Basket Weaving", "unknown Career Cluster or Sub-Cluster"}},
			units: 2, imported: 1, failed: 1, exactProblems: true,
			check: func(t *testing.T, s *registry.Store, rep *Report) {
				noCredentialNamed(t, s, "Weaving Cert")
				credentialNamed(t, s, "Good Cluster")
			},
		},
		{
			name: "Cluster names regardless of case, spacing and & or and",
			data: "Credential Name,Owner,Career Cluster,Region\n" +
				"Arts A,CompTIA,\"arts, entertainment and design\",Statewide\n" +
				"Arts B,CompTIA,ARTS ENTERTAINMENT & DESIGN,Statewide\n" +
				"Arts C,CompTIA,\"  Arts,Entertainment&Design \",Statewide\n" +
				"Arts D,CompTIA,020100,Statewide\n" +
				"Arts E,CompTIA,design and digital arts,Statewide\n",
			units: 5, imported: 5, failed: 0, exactProblems: true,
			check: func(t *testing.T, s *registry.Store, rep *Report) {
				arts := concept(s, schema.SchemeCareerClusters, "020100")
				for _, n := range []string{"Arts A", "Arts B", "Arts C", "Arts D", "Arts E"} {
					cred := credentialNamed(t, s, n)
					expectObjects(t, s, cred, schema.Cluster, arts)
					expectObjects(t, s, oneDesignation(t, s, cred), schema.Cluster, arts)
				}
				expectObjects(t, s, credentialNamed(t, s, "Arts E"), schema.SubCluster, concept(s, schema.SchemeCareerClusters, "020101"))
			},
		},
		{
			name: "SOC codes with and without .00 and as 6 digits",
			data: "Credential Name,Owner,SOC Code\n" +
				"SOC A,CompTIA,15-1252\n" +
				"SOC B,CompTIA,15-1252.00\n" +
				"SOC C,CompTIA,151252\n" +
				"SOC D,CompTIA,15 1252\n" +
				"SOC E,CompTIA,151252.00; 15-1252\n",
			units: 5, imported: 5, failed: 0, exactProblems: true,
			check: func(t *testing.T, s *registry.Store, rep *Report) {
				for _, n := range []string{"SOC A", "SOC B", "SOC C", "SOC D", "SOC E"} {
					expectObjects(t, s, credentialNamed(t, s, n), schema.OccupationType, concept(s, schema.SchemeSOC, "15-1252"))
				}
			},
		},
		{
			name: "CIP codes with and without the dot",
			data: "Credential Name,Owner,CIP Code\n" +
				"CIP A,CompTIA,11.0701\n" +
				"CIP B,CompTIA,110701\n" +
				"CIP C,CompTIA,11.07.01\n" +
				"CIP D,CompTIA,1.0101\n" +
				"CIP E,CompTIA,11.07011\n",
			want:  []wantProblem{{6, "CIP Code", "11.07011", "is not a CIP code"}},
			units: 5, imported: 4, failed: 1, exactProblems: true,
			check: func(t *testing.T, s *registry.Store, rep *Report) {
				for _, n := range []string{"CIP A", "CIP B", "CIP C"} {
					expectObjects(t, s, credentialNamed(t, s, n), schema.InstructionalProgramType, concept(s, schema.SchemeCIP, "11.0701"))
				}
				expectObjects(t, s, credentialNamed(t, s, "CIP D"), schema.InstructionalProgramType, concept(s, schema.SchemeCIP, "01.0101"))
			},
		},
		{
			name: "Windows-1252 bytes",
			data: "Credential Name,Owner,Career Cluster,Region\n" +
				"Caf\xe9 Manager,CompTIA,Digital Technology,Statewide\n" +
				"Plain Manager,CompTIA,Digital Technology,Statewide\n",
			want:  []wantProblem{{2, "Credential Name", "Caf? Manager", "the cell is not UTF-8 text"}},
			units: 2, imported: 1, failed: 1,
			check: func(t *testing.T, s *registry.Store, rep *Report) {
				credentialNamed(t, s, "Plain Manager")
				for _, p := range rep.Problems {
					if p.Row != 2 {
						t.Errorf("problem on another row than the bad one: %s", p)
					}
				}
			},
		},
		{
			name: "a 10 MB cell fails its row alone",
			data: "Credential Name,Description,Owner,Career Cluster,Region\n" +
				"Small Before,ok,CompTIA,Digital Technology,Statewide\n" +
				"Huge Description," + tenMB + ",CompTIA,Digital Technology,Statewide\n" +
				"Small After,ok,CompTIA,Digital Technology,Statewide\n",
			want:  []wantProblem{{3, "Description", strings.Repeat("x", 40), "the cell holds 10485760 bytes, over the limit of 65536"}},
			units: 3, imported: 2, failed: 1, exactProblems: true,
			check: func(t *testing.T, s *registry.Store, rep *Report) {
				credentialNamed(t, s, "Small Before")
				credentialNamed(t, s, "Small After")
				noCredentialNamed(t, s, "Huge Description")
			},
		},
		{
			name:        "YAML mapping of headers and spellings",
			mappingFile: "northeast.yaml", mapping: mappingYAML,
			data:  mappedSheet,
			want:  []wantProblem{{3, "Kind", "Industry Certificate of Awesomeness", "unknown credential type"}},
			units: 2, imported: 1, failed: 1, exactProblems: true,
			check: checkMapped,
		},
		{
			name:        "JSON mapping of headers and spellings",
			mappingFile: "northeast.json", mapping: mappingJSON,
			data:  mappedSheet,
			want:  []wantProblem{{3, "Kind", "Industry Certificate of Awesomeness", "unknown credential type"}},
			units: 2, imported: 1, failed: 1, exactProblems: true,
			check: checkMapped,
		},
		{
			name: "a row without a name",
			data: "Credential Name,Owner,Career Cluster,Region\n" +
				",CompTIA,Digital Technology,Statewide\n" +
				"Named,CompTIA,Digital Technology,Statewide\n",
			want:  []wantProblem{{2, "Credential Name", "", "required: the credential's name"}},
			units: 2, imported: 1, failed: 1, exactProblems: true,
		},
		{
			name: "a sheet without a name column",
			data: "Program Title,Owner,Career Cluster\n" +
				"Something,CompTIA,Digital Technology\n" +
				"Something Else,CompTIA,Digital Technology\n",
			want:  []wantProblem{{1, "", "", `no column holds the credential name (headers seen: "Program Title", "Owner", "Career Cluster")`}},
			units: 2, imported: 0, failed: 2, exactProblems: true,
		},
		{
			name:  "an empty file",
			data:  "",
			want:  []wantProblem{{0, "", "", "the sheet is empty: no header row"}},
			units: 1, imported: 0, failed: 1, exactProblems: true,
		},
		{
			name:  "only a byte-order mark and blank lines",
			data:  "\xEF\xBB\xBF\r\n,,,\r\n",
			want:  []wantProblem{{0, "", "", "the sheet is empty: no header row"}},
			units: 1, imported: 0, failed: 1, exactProblems: true,
		},
		{
			name: "ragged rows and padded headers",
			data: " Credential Name ,  OWNER,career   cluster,Region\n" +
				"Short Row,CompTIA\n" +
				"Long Row,CompTIA,Digital Technology,Statewide,extra,cells\n",
			units: 2, imported: 2, failed: 0, exactProblems: true,
			check: func(t *testing.T, s *registry.Store, rep *Report) {
				if ds := designationsOf(t, s, credentialNamed(t, s, "Short Row")); len(ds) != 0 {
					t.Errorf("a row that designates nothing got designations %q", ds)
				}
				oneDesignation(t, s, credentialNamed(t, s, "Long Row"))
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			opts := SheetOptions{Agency: agencyHWC}
			if tc.mappingFile != "" {
				m, err := LoadMapping(writeTemp(t, tc.mappingFile, tc.mapping))
				if err != nil {
					t.Fatalf("LoadMapping: %v", err)
				}
				opts.Mapping = m
			}
			file := "agency-sheet.csv"
			rep := importCSV(t, s, file, tc.data, opts, false)
			expectCounts(t, rep, tc.units, tc.imported, tc.failed)
			expectProblems(t, rep, file, tc.want...)
			if tc.exactProblems && len(rep.Problems) != len(tc.want) {
				t.Errorf("%d problems, want %d:\n%s", len(rep.Problems), len(tc.want), problemList(rep.Problems))
			}
			if tc.check != nil {
				tc.check(t, s, rep)
			}
		})
	}
}

func TestLoadMappingErrors(t *testing.T) {
	cases := []struct {
		file, content string
		want          []string // substrings of the error
	}{
		{"unknown-field.yaml", "columns:\n  nmae: Title\n  name: Title\n", []string{"unknown-field.yaml", "unknown field(s) nmae", "fields are: "}},
		{"unknown-field.json", `{"columns": {"name": "Title"}, "values": {"regoin": {"NE": "Northeast"}}, "defaults": {"clustr": "x"}}`, []string{"unknown-field.json", "unknown field(s) clustr, regoin"}},
		{"unknown-section.yaml", "colums:\n  name: Title\n", []string{"unknown-section.yaml", "colums"}},
		{"unknown-section.json", `{"colums": {"name": "Title"}}`, []string{"unknown-section.json", "colums"}},
		{"bad-list.yaml", "columns:\n  soc: {a: b}\n", []string{"bad-list.yaml", "expected a header name or a list of header names"}},
		{"mapping.txt", "columns: {}\n", []string{"use a .json, .yaml or .yml file"}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			_, err := LoadMapping(writeTemp(t, tc.file, tc.content))
			if err == nil {
				t.Fatal("LoadMapping succeeded; want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// Two agencies' sheets name the same credential (same name and owner):
// one credential, a designation from each agency.
func TestCSVTwoAgenciesOneCredential(t *testing.T) {
	s := newStore(t)
	const sheet = "Credential Name,Type,Owner,SOC Codes,Career Cluster,Region,High Wage\n" +
		"Shared Cloud Practitioner,Certification,Acme Cloud Academy,15-1232,Digital Technology,Statewide,yes\n"
	repA := importCSV(t, s, "workforce.csv", sheet, SheetOptions{Agency: agencyHWC}, false)
	repB := importCSV(t, s, "education.csv", strings.Replace(sheet, "Statewide", "Northeast Heartland Workforce Region", 1), SheetOptions{Agency: agencyHDE}, false)
	for _, rep := range []*Report{repA, repB} {
		expectCounts(t, rep, 1, 1, 0)
	}
	cred := credentialNamed(t, s, "Shared Cloud Practitioner")
	ds := designationsOf(t, s, cred)
	if len(ds) != 2 {
		t.Fatalf("designations of %s: %q, want two", cred, ds)
	}
	var agencies, regions []string
	for _, d := range ds {
		expectObjects(t, s, d, schema.RDFType, schema.ClassValueDesignation)
		agencies = append(agencies, objectsOf(t, s, d, schema.DesignatingAgency)...)
		regions = append(regions, objectsOf(t, s, d, schema.Region)...)
	}
	res, err := NewResolver(context.Background(), catalogtest.Of(t, s))
	if err != nil {
		t.Fatal(err)
	}
	hwc, _, created1 := res.Organization(agencyHWC)
	hde, _, created2 := res.Organization(agencyHDE)
	if created1 || created2 {
		t.Fatal("the fixtures' agencies are not in the store")
	}
	sort.Strings(agencies)
	want := []string{hwc, hde}
	sort.Strings(want)
	if strings.Join(agencies, " ") != strings.Join(want, " ") {
		t.Errorf("designating agencies %q, want %q", agencies, want)
	}
	sort.Strings(regions)
	if strings.Join(regions, "|") != "Northeast Heartland Workforce Region|Statewide" {
		t.Errorf("regions %q", regions)
	}
	// The credential itself is described once, not twice.
	expectObjects(t, s, cred, schema.Name, "Shared Cloud Practitioner")
	expectObjects(t, s, cred, schema.OccupationType, concept(s, schema.SchemeSOC, "15-1232"))
}

// Importing the same sheet again changes nothing.
func TestCSVReimportWritesNothing(t *testing.T) {
	s := newStore(t)
	const sheet = "Credential Name,Type,Owner,Description,SOC Codes,CIP Code,Career Cluster,Region,High Wage,In Demand,Median Wage,Openings,Data Year,Valid From,Competencies\n" +
		"Again A,Certification,CompTIA,First,15-1252,11.0701,Digital Technology,Statewide,yes,yes,\"$61,200\",\"1,200\",2025,7/1/2025,Troubleshooting; Networking\n" +
		"Again B,License,New Owner Co,Second,29-2061.00,51.3901,Healthcare & Human Services,Northeast Heartland Workforce Region,no,y,48000,300,2024,2025-07-01,\n" +
		"Again Bad,License,New Owner Co,Third,29-20,51.3901,Healthcare & Human Services,Statewide,,,,,,,\n"
	first := importCSV(t, s, "again.csv", sheet, SheetOptions{Agency: agencyHWC}, false)
	expectCounts(t, first, 3, 2, 1)
	if first.Written == 0 {
		t.Fatal("the first import wrote nothing")
	}
	seq := s.Sequence()
	second := importCSV(t, s, "again.csv", sheet, SheetOptions{Agency: agencyHWC}, false)
	expectCounts(t, second, 3, 2, 1)
	if second.Written != 0 || s.Sequence() != seq {
		t.Errorf("re-import wrote %d records (sequence %d -> %d); want none", second.Written, seq, s.Sequence())
	}
	if second.Unchanged == 0 {
		t.Errorf("re-import reported no unchanged records")
	}
	if len(second.Problems) != len(first.Problems) {
		t.Errorf("re-import problems differ:\n%s\nvs\n%s", problemList(first.Problems), problemList(second.Problems))
	}
}

// A dry run writes nothing and reports what the real import reports.
func TestCSVDryRun(t *testing.T) {
	s := newStore(t)
	const sheet = "Credential Name,Owner,SOC Codes,Career Cluster,Region,High Wage,Median Wage,Valid From\n" +
		"Dry Good,CompTIA,15-1252,Digital Technology,Statewide,yes,50000,2025-07-01\n" +
		"Dry Bad,CompTIA,15-12,Nowhere,Statewide,perhaps,lots,31/31/2025\n" +
		",CompTIA,,,,,,\n"
	seq := s.Sequence()
	dry := importCSV(t, s, "dry.csv", sheet, SheetOptions{Agency: agencyHWC}, true)
	if !dry.DryRun || dry.Written != 0 || s.Sequence() != seq {
		t.Fatalf("dry run: DryRun=%v written=%d sequence %d -> %d; want nothing written", dry.DryRun, dry.Written, seq, s.Sequence())
	}
	noCredentialNamed(t, s, "Dry Good")
	expectCounts(t, dry, 3, 1, 2)
	expectProblems(t, dry, "dry.csv",
		wantProblem{3, "SOC Codes", "15-12", "is not a SOC code"},
		wantProblem{3, "Career Cluster", "Nowhere", "unknown Career Cluster"},
		wantProblem{3, "High Wage", "perhaps", "expected yes or no"},
		wantProblem{3, "Median Wage", "lots", "not an amount"},
		wantProblem{3, "Valid From", "31/31/2025", "not a date"},
		wantProblem{4, "Credential Name", "", "required: the credential's name"},
	)
	real := importCSV(t, s, "dry.csv", sheet, SheetOptions{Agency: agencyHWC}, false)
	expectCounts(t, real, dry.Units, dry.Imported, dry.Failed)
	if problemList(real.Problems) != problemList(dry.Problems) {
		t.Errorf("the dry run's problems differ from the import's:\ndry:\n%s\nreal:\n%s", problemList(dry.Problems), problemList(real.Problems))
	}
	if real.Written == 0 || s.Sequence() == seq {
		t.Errorf("the real import wrote nothing")
	}
	credentialNamed(t, s, "Dry Good")
}

// Rows that describe the same records are combined in a batch: a new
// owner named on several rows, a row given twice, and a credential given
// two different descriptions. Dry runs report what imports report.
func TestCSVRowsCombined(t *testing.T) {
	const h = "Credential Name,Owner,Description,Career Cluster,Region\n"
	cases := []struct {
		name                    string
		data                    string
		units, imported, failed int
		want                    []wantProblem
		check                   func(t *testing.T, s *registry.Store)
	}{
		{
			name: "a new owner on several rows",
			data: h + "Owner Row One,Brand New Training Co,One,Digital Technology,Statewide\n" +
				"Owner Row Two,Brand New Training Co,Two,Digital Technology,Statewide\n",
			units: 2, imported: 2, failed: 0,
			check: func(t *testing.T, s *registry.Store) {
				one, two := credentialNamed(t, s, "Owner Row One"), credentialNamed(t, s, "Owner Row Two")
				owners := objectsOf(t, s, one, schema.OwnedBy)
				if len(owners) != 1 || strings.Join(objectsOf(t, s, two, schema.OwnedBy), "") != owners[0] {
					t.Fatalf("owners %q and %q, want the same one", owners, objectsOf(t, s, two, schema.OwnedBy))
				}
				expectObjects(t, s, owners[0], schema.Name, "Brand New Training Co")
			},
		},
		{
			name: "the same row twice",
			data: h + "Twice Given,CompTIA,Same,Digital Technology,Statewide\n" +
				"Twice Given,CompTIA,Same,Digital Technology,Statewide\n",
			units: 2, imported: 2, failed: 0,
			check: func(t *testing.T, s *registry.Store) {
				oneDesignation(t, s, credentialNamed(t, s, "Twice Given"))
			},
		},
		{
			name: "one credential with two descriptions",
			data: h + "Twice Described,CompTIA,First description,Digital Technology,Statewide\n" +
				"Twice Described,CompTIA,Second description,Digital Technology,Statewide\n",
			units: 2, imported: 0, failed: 2,
			want: []wantProblem{
				{2, "Description", anyValue, "only one value is allowed, found 2 (in "},
				{3, "Description", anyValue, "only one value is allowed, found 2 (in "},
			},
			check: func(t *testing.T, s *registry.Store) { noCredentialNamed(t, s, "Twice Described") },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			dry := importCSV(t, s, "combined.csv", tc.data, SheetOptions{Agency: agencyHWC}, true)
			real := importCSV(t, s, "combined.csv", tc.data, SheetOptions{Agency: agencyHWC}, false)
			for _, rep := range []*Report{dry, real} {
				expectCounts(t, rep, tc.units, tc.imported, tc.failed)
				expectProblems(t, rep, "combined.csv", tc.want...)
				if len(rep.Problems) != len(tc.want) {
					t.Errorf("%d problems, want %d:\n%s", len(rep.Problems), len(tc.want), problemList(rep.Problems))
				}
			}
			tc.check(t, s)
		})
	}
}
