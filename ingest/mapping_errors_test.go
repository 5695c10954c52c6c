package ingest

import (
	"strings"
	"testing"

	"credreg/catalog/catalogtest"
	"credreg/schema"
)

// laborSheet is a small sheet in an agency's own headers.
const laborSheet = "Program ID,Credential Title,Issuing Body,Career Cluster,Area,High Wage (Y/N),Median Annual Wage,Effective Date,Reviewer Notes\n" +
	"LD-1,Dental Assistant Certification,Dental Assisting National Board,Healthcare & Human Services,Statewide,Y,\"$44,820\",7/1/2025,ok\n" +
	"LD-2,Phlebotomy Technician Certification,National Healthcareer Association,Healthcare & Human Services,River Valley,N,\"$38,530\",7/1/2025,\n"

func laborMapping(highWage string) *Mapping {
	return &Mapping{Columns: map[string]stringList{
		FieldLocalKey: {"Program ID"}, FieldName: {"Credential Title"}, FieldOwner: {"Issuing Body"},
		FieldCluster: {"Career Cluster"}, FieldRegion: {"Area"}, FieldHighWage: {highWage},
		FieldMedianWage: {"Median Annual Wage"}, FieldValidFrom: {"Effective Date"},
	}}
}

func TestMappingCannotDropAColumn(t *testing.T) {
	tests := []struct {
		name    string
		sheet   string
		opts    SheetOptions
		want    []wantProblem
		units   int
		written bool
	}{
		{
			name:  "a mapped header the sheet lacks",
			sheet: laborSheet,
			opts:  SheetOptions{Agency: agencyHWC, Mapping: laborMapping("High Wage")},
			want:  []wantProblem{{1, "High Wage", "", `the mapping reads the field high_wage from the column "High Wage", which the sheet does not have; did you mean "High Wage (Y/N)"? The sheet's headers are: "Program ID", "Credential Title"`}},
			units: 2,
		},
		{
			name:  "a typo in --agency",
			sheet: laborSheet,
			opts:  SheetOptions{Agency: "Heartland Workforce Comission", Mapping: laborMapping("High Wage (Y/N)")},
			want:  []wantProblem{{0, "--agency", "Heartland Workforce Comission", `the registry holds no organization named "Heartland Workforce Comission"; did you mean "Heartland Workforce Commission"?`}},
			units: 2,
		},
		{
			name:  "no agency for a sheet that designates",
			sheet: laborSheet,
			opts:  SheetOptions{Mapping: laborMapping("High Wage (Y/N)")},
			want:  []wantProblem{{1, "--agency", "", `the sheet designates credentials (columns "Career Cluster", "Area", "High Wage (Y/N)", "Median Annual Wage", "Effective Date") but names no agency`}},
			units: 2,
		},
		{
			name:  "an unknown agency in the agency column",
			sheet: "Credential Name,Owner,Agency,Career Cluster,Region\nX Cert,CompTIA,Heartland Workforce Comission,Digital Technology,Statewide\n",
			want:  []wantProblem{{2, "Agency", "Heartland Workforce Comission", `did you mean "Heartland Workforce Commission"?`}},
			units: 1,
		},
		{
			name:  "an unknown region",
			sheet: "Credential Name,Owner,Career Cluster,Region\nX Cert,CompTIA,Digital Technology,Lake Country\n",
			opts:  SheetOptions{Agency: agencyHWC},
			want:  []wantProblem{{2, "Region", "Lake Country", `not a region of the registry (the registry's regions: Capital Area Workforce Region, Northeast Heartland Workforce Region`}},
			units: 1,
		},
		{
			name:  "a Cluster in another spelling",
			sheet: "Credential Name,Owner,Career Cluster,Region\nX Cert,CompTIA,Health Care and Human Services,Statewide\n",
			opts:  SheetOptions{Agency: agencyHWC},
			want:  []wantProblem{{2, "Career Cluster", "Health Care and Human Services", `unknown Career Cluster or Sub-Cluster; did you mean "Healthcare & Human Services"?`}},
			units: 1,
		},
		{
			name:  "a vocabulary rule in the sheet's words",
			sheet: "Credential Name,Owner,Career Cluster,Region,Start,End\nX Cert,CompTIA,Digital Technology,Statewide,2026-07-01,2025-06-30\n",
			opts:  SheetOptions{Agency: agencyHWC, Mapping: &Mapping{Columns: map[string]stringList{FieldValidFrom: {"Start"}, FieldValidThrough: {"End"}}}},
			want:  []wantProblem{{2, "End", "2025-06-30", `must not be before "Start" (2026-07-01)`}},
			units: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			seq := s.Sequence()
			rep := importCSV(t, s, "sheet.csv", tc.sheet, tc.opts, false)
			expectCounts(t, rep, tc.units, 0, tc.units)
			expectProblems(t, rep, "sheet.csv", tc.want...)
			if len(rep.Problems) != len(tc.want) {
				t.Errorf("%d problems, want %d (one, not one per row):\n%s", len(rep.Problems), len(tc.want), problemList(rep.Problems))
			}
			for _, p := range rep.Problems {
				if strings.Contains(p.Message, "schema:") || strings.Contains(p.Message, "credreg:") {
					t.Errorf("the message names a vocabulary term: %s", p.Message)
				}
			}
			if s.Sequence() != seq {
				t.Errorf("a refused import wrote %d changes", s.Sequence()-seq)
			}
		})
	}
}

// TestMissingColumnKeepsStoredValues imports a sheet, then the same sheet
// without its High Wage and wage columns: the designations keep their
// criterion and evidence. The unread column is warned of.
func TestMissingColumnKeepsStoredValues(t *testing.T) {
	s := newStore(t)
	opts := SheetOptions{Agency: agencyHWC, Mapping: laborMapping("High Wage (Y/N)")}
	first := importCSV(t, s, "labor.csv", laborSheet, opts, false)
	expectCounts(t, first, 2, 2, 0)
	if len(first.Warnings) == 0 || !strings.Contains(first.Warnings[0].Message, `I "Reviewer Notes"`) {
		t.Errorf("warnings %v; want the unread column Reviewer Notes named first", first.Warnings)
	}
	cred := credentialNamed(t, s, "Dental Assistant Certification")
	d := oneDesignation(t, s, cred)
	res, err := NewResolver(t.Context(), catalogtest.Of(t, s))
	if err != nil {
		t.Fatal(err)
	}
	highWage, _ := res.Criterion("high-wage")
	expectObjects(t, s, d, schema.Criterion, highWage)
	expectObjects(t, s, d+"#evidence", schema.MedianAnnualWage, "44820")

	// The agency's next sheet lacks the two columns.
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(laborSheet), "\n") {
		cells := strings.Split(strings.NewReplacer(`"$44,820"`, "W", `"$38,530"`, "W").Replace(l), ",")
		cells = append(cells[:5], cells[7:]...)
		lines = append(lines, strings.Join(cells, ","))
	}
	less := strings.Join(lines, "\n") + "\n"
	m := laborMapping("High Wage (Y/N)")
	delete(m.Columns, FieldHighWage)
	delete(m.Columns, FieldMedianWage)
	again := importCSV(t, s, "labor-2.csv", less, SheetOptions{Agency: agencyHWC, Mapping: m}, false)
	expectCounts(t, again, 2, 2, 0)
	if again.Written != 0 {
		t.Errorf("the sheet without the columns wrote %d records", again.Written)
	}
	expectObjects(t, s, d, schema.Criterion, highWage)
	expectObjects(t, s, d+"#evidence", schema.MedianAnnualWage, "44820")
}

// TestReportKeepsAtMostMaxProblems imports a sheet whose every row fails:
// the report keeps MaxProblems problems and counts the rest.
func TestReportKeepsAtMostMaxProblems(t *testing.T) {
	s := newStore(t)
	var b strings.Builder
	b.WriteString("Credential Name,Owner,Career Cluster,Region\n")
	rows := MaxProblems + 500
	for i := 0; i < rows; i++ {
		b.WriteString("A Cert,CompTIA,No Such Cluster,Statewide\n")
	}
	rep := importCSV(t, s, "bad.csv", b.String(), SheetOptions{Agency: agencyHWC}, true)
	if rep.Failed != rows || len(rep.Problems) != MaxProblems || rep.ProblemsOmitted != 500 {
		t.Errorf("%d failed, %d problems kept, %d omitted; want %d, %d, 500", rep.Failed, len(rep.Problems), rep.ProblemsOmitted, rows, MaxProblems)
	}
}
