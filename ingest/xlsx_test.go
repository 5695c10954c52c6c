package ingest

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"credreg/catalog/catalogtest"
	"credreg/registry"
	"credreg/schema"
)

// workbook builds an .xlsx in memory.
type workbook struct {
	t *testing.T
	f *excelize.File
}

func newWorkbook(t *testing.T, sheet string) *workbook {
	t.Helper()
	f := excelize.NewFile()
	t.Cleanup(func() { _ = f.Close() })
	if sheet != "Sheet1" {
		if err := f.SetSheetName("Sheet1", sheet); err != nil {
			t.Fatal(err)
		}
	}
	return &workbook{t: t, f: f}
}

// row sets the cells of a row from column A.
func (w *workbook) row(sheet string, n int, values ...any) {
	w.t.Helper()
	for i, v := range values {
		if v == nil {
			continue
		}
		cell, err := excelize.CoordinatesToCellName(i+1, n)
		if err != nil {
			w.t.Fatal(err)
		}
		if err := w.f.SetCellValue(sheet, cell, v); err != nil {
			w.t.Fatal(err)
		}
	}
}

// style gives a cell a number format: a built-in one by id, or a custom
// format code.
func (w *workbook) style(sheet, cell string, numFmt int, custom string) {
	w.t.Helper()
	st := &excelize.Style{NumFmt: numFmt}
	if custom != "" {
		st = &excelize.Style{CustomNumFmt: &custom}
	}
	id, err := w.f.NewStyle(st)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.f.SetCellStyle(sheet, cell, cell, id); err != nil {
		w.t.Fatal(err)
	}
}

func (w *workbook) merge(sheet, from, to string) {
	w.t.Helper()
	if err := w.f.MergeCell(sheet, from, to); err != nil {
		w.t.Fatal(err)
	}
}

func (w *workbook) bytes(opts ...excelize.Options) []byte {
	w.t.Helper()
	var buf bytes.Buffer
	if _, err := w.f.WriteTo(&buf, opts...); err != nil {
		w.t.Fatal(err)
	}
	return buf.Bytes()
}

func xlsxSourceOf(t *testing.T, s *registry.Store, name string, data []byte, opts SheetOptions) Source {
	t.Helper()
	res, err := NewResolver(context.Background(), catalogtest.Of(t, s))
	if err != nil {
		t.Fatal(err)
	}
	opts.Resolver = res
	if opts.Today.IsZero() {
		opts.Today = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	}
	src, err := XLSX(name, bytes.NewReader(data), int64(len(data)), opts)
	if err != nil {
		t.Fatalf("XLSX: %v", err)
	}
	return src
}

func importXLSX(t *testing.T, s *registry.Store, name string, data []byte, opts SheetOptions, dry bool) *Report {
	t.Helper()
	src := xlsxSourceOf(t, s, name, data, opts)
	rep, err := Run(context.Background(), s, src, "xlsx", Options{Actor: "test agency", DryRun: dry})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if c, ok := src.(io.Closer); !ok {
		t.Error("the XLSX source is not an io.Closer")
	} else if err := c.Close(); err != nil {
		t.Errorf("Close after the last row: %v", err)
	}
	return rep
}

// readCells reads a workbook's rows as the XLSX reader gives them to the
// sheet, keyed by row number.
func readCells(t *testing.T, data []byte) map[int][]string {
	t.Helper()
	s := newStore(t)
	src := xlsxSourceOf(t, s, "cells.xlsx", data, SheetOptions{})
	x := src.(*xlsxSource).rows
	out := map[int][]string{}
	for {
		cells, n, err := x.next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("row %d: %v", n, err)
		}
		if !blank(cells) {
			out[n] = cells
		}
	}
}

func TestXLSXImport(t *testing.T) {
	const sh = "Credentials"
	w := newWorkbook(t, sh)
	w.row(sh, 1, "Credential Name", "Type", "Owner", "SOC Codes", nil, nil, "CIP Code", "NAICS", "Career Cluster", "Region",
		"Valid From", "Median Wage", "Openings", "Data Year", "High Wage")
	w.merge(sh, "D1", "F1") // "SOC Codes" over D, E and F
	w.row(sh, 2, "Cloud Support Associate", "Certification", "CompTIA", 151252, "15-1244.00", nil, 11.0701, 541512,
		"Digital Technology", "Statewide", time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), 61200, 1200, 2025, true)
	w.style(sh, "K2", 14, "")
	w.style(sh, "L2", 0, `"$"#,##0`)
	w.style(sh, "M2", 3, "") // #,##0
	// Rows 3 and 4 are blank.
	w.row(sh, 5, "Bad SOC Row", "Certification", "CompTIA", "15-12", nil, nil, nil, nil, "Digital Technology", "Statewide")
	// Rows 6 and 7 do not exist in the file at all.
	// A CIP code typed as text keeps its leading zero (as a number it
	// would be an error: TestXLSXMangledCodeIsAnError).
	w.row(sh, 8, "Later Row", "License", "CompTIA", nil, nil, 291141, "01.0101", nil, "healthcare and human services", "Statewide")
	data := w.bytes()

	s := newStore(t)
	rep := importXLSX(t, s, "agency.xlsx", data, SheetOptions{Agency: agencyHWC}, false)
	expectCounts(t, rep, 3, 2, 1)
	expectProblems(t, rep, "agency.xlsx", wantProblem{5, "SOC Codes", "15-12", "is not a SOC code"})
	if len(rep.Problems) != 1 {
		t.Errorf("problems:\n%s", problemList(rep.Problems))
	}

	cred := credentialNamed(t, s, "Cloud Support Associate")
	expectObjects(t, s, cred, schema.RDFType, schema.CETerms+"Certification")
	expectObjects(t, s, cred, schema.OccupationType, concept(s, schema.SchemeSOC, "15-1252"), concept(s, schema.SchemeSOC, "15-1244"))
	expectObjects(t, s, cred, schema.InstructionalProgramType, concept(s, schema.SchemeCIP, "11.0701"))
	expectObjects(t, s, cred, schema.IndustryType, concept(s, schema.SchemeNAICS, "541512"))
	d := oneDesignation(t, s, cred)
	expectObjects(t, s, d, schema.ValidFrom, "2025-07-01")
	expectObjects(t, s, d, schema.Region, "Statewide")
	res, err := NewResolver(context.Background(), catalogtest.Of(t, s))
	if err != nil {
		t.Fatal(err)
	}
	highWage, _ := res.Criterion("high-wage")
	expectObjects(t, s, d, schema.Criterion, highWage)
	ev := d + "#evidence"
	expectObjects(t, s, ev, schema.MedianAnnualWage, "61200")
	expectObjects(t, s, ev, schema.ProjectedOpenings, "1200")
	expectObjects(t, s, ev, schema.DataYear, "2025")

	later := credentialNamed(t, s, "Later Row")
	expectObjects(t, s, later, schema.OccupationType, concept(s, schema.SchemeSOC, "29-1141")) // from F, the merge's third column
	expectObjects(t, s, later, schema.InstructionalProgramType, concept(s, schema.SchemeCIP, "01.0101"))
	expectObjects(t, s, oneDesignation(t, s, later), schema.Cluster, concept(s, schema.SchemeCareerClusters, "040200"))

	// Importing the workbook again writes nothing.
	seq := s.Sequence()
	again := importXLSX(t, s, "agency.xlsx", data, SheetOptions{Agency: agencyHWC}, false)
	if again.Written != 0 || s.Sequence() != seq {
		t.Errorf("re-import wrote %d records", again.Written)
	}
}

// What the reader gives the sheet: numbers as shown, dates as YYYY-MM-DD,
// merged cells filled, and the spreadsheet's own row numbers.
func TestXLSXCellText(t *testing.T) {
	const sh = "Sheet1"
	day := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	at := time.Date(2025, 7, 1, 14, 30, 0, 0, time.UTC)
	w := newWorkbook(t, sh)
	w.row(sh, 1, "Credential Name", "Career Cluster", "Value")
	cases := []struct {
		value         any
		numFmt        int
		custom        string
		want, comment string
	}{
		{day, 14, "", "2025-07-01", "built-in 14, the regional short date (US: 7/1/2025)"},
		{day, 15, "", "2025-07-01", "built-in 15 d-mmm-yy"},
		{day, 16, "", "2025-07-01", "built-in 16 d-mmm"},
		{day, 17, "", "2025-07-01", "built-in 17 mmm-yy"},
		{at, 22, "", "2025-07-01", "built-in 22 m/d/yy h:mm"},
		{day, 0, "m/d/yyyy", "2025-07-01", ""},
		{day, 0, "mm/dd/yyyy", "2025-07-01", ""},
		{day, 0, "m/d/yy", "2025-07-01", ""},
		{day, 0, "dd/mm/yyyy", "2025-07-01", "day first"},
		{day, 0, "yyyy-mm-dd", "2025-07-01", ""},
		{day, 0, "[$-409]mmmm d, yyyy;@", "2025-07-01", ""},
		{day, 0, "[$-F800]dddd, mmmm dd, yyyy", "2025-07-01", "Excel's long date"},
		{day, 0, `d "de" mmmm "de" yyyy`, "2025-07-01", ""},
		{at, 0, "m/d/yyyy h:mm AM/PM", "2025-07-01", ""},
		{day, 0, "yyyy", "2025", "a year alone stays as shown"},
		{at, 0, "h:mm AM/PM", "2:30 PM", "a time stays as shown"},
		{151252, 0, "", "151252", "a number in General"},
		{11.0701, 0, "", "11.0701", ""},
		{61200, 0, `"$"#,##0`, "$61,200", ""},
		{1200, 3, "", "1,200", "built-in 3 #,##0"},
		{0.25, 9, "", "25%", "built-in 9 0%"},
		{true, 0, "", "TRUE", ""},
		{"  text with spaces ", 0, "", "  text with spaces ", ""},
		{"Line one\nLine two", 0, "", "Line one\nLine two", ""},
	}
	for i, c := range cases {
		r := i + 2
		w.row(sh, r, "Row", "Digital Technology", c.value)
		if c.numFmt != 0 || c.custom != "" {
			cell, _ := excelize.CoordinatesToCellName(3, r)
			w.style(sh, cell, c.numFmt, c.custom)
		}
	}
	// A blank row, a gap of rows missing from the file, and a Cluster
	// merged down three rows.
	base := len(cases) + 2
	w.row(sh, base+5, "Merged A", "Arts, Entertainment & Design", "x")
	w.row(sh, base+6, "Merged B", nil, "y")
	w.row(sh, base+7, "Merged C", nil, "z")
	w.merge(sh, "B"+itoa(base+5), "B"+itoa(base+7))
	got := readCells(t, w.bytes())

	for i, c := range cases {
		cells := got[i+2]
		if len(cells) < 3 || cells[2] != c.want {
			t.Errorf("row %d: %v with format %d %q reads %q, want %q (%s)", i+2, c.value, c.numFmt, c.custom, cells, c.want, c.comment)
		}
	}
	for k, name := range []string{"Merged A", "Merged B", "Merged C"} {
		cells := got[base+5+k]
		if len(cells) < 2 || cells[0] != name || cells[1] != "Arts, Entertainment & Design" {
			t.Errorf("row %d reads %q, want %s with the merged Cluster", base+5+k, cells, name)
		}
	}
	if len(got) != len(cases)+1+3 {
		t.Errorf("%d non-blank rows, want %d", len(got), len(cases)+4)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// Dates in every common format import as the date they show.
func TestXLSXDates(t *testing.T) {
	const sh = "Sheet1"
	formats := []struct {
		numFmt int
		custom string
	}{{14, ""}, {15, ""}, {22, ""}, {0, "m/d/yyyy"}, {0, "m/d/yy"}, {0, "dd/mm/yyyy"}, {0, "mmmm d, yyyy"}, {0, "[$-F800]dddd, mmmm dd, yyyy"}, {0, "yyyy-mm-dd"}}
	w := newWorkbook(t, sh)
	w.row(sh, 1, "Credential Name", "Owner", "Career Cluster", "Region", "Valid From", "Valid Through")
	for i, f := range formats {
		r := i + 2
		w.row(sh, r, "Dated "+itoa(r), "CompTIA", "Digital Technology", "Statewide",
			time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC))
		for _, col := range []string{"E", "F"} {
			w.style(sh, col+itoa(r), f.numFmt, f.custom)
		}
	}
	s := newStore(t)
	rep := importXLSX(t, s, "dates.xlsx", w.bytes(), SheetOptions{Agency: agencyHWC}, false)
	expectCounts(t, rep, len(formats), len(formats), 0)
	for i := range formats {
		d := oneDesignation(t, s, credentialNamed(t, s, "Dated "+itoa(i+2)))
		expectObjects(t, s, d, schema.ValidFrom, "2025-07-01")
		expectObjects(t, s, d, schema.ValidThrough, "2027-06-30")
	}
}

// Dates typed as text in a CSV (or a text cell): what parseDate reads.
func TestCSVDates(t *testing.T) {
	cases := []struct {
		text, want string
		bug        string
	}{
		{"2025-07-01", "2025-07-01", ""},
		{"7/1/2025", "2025-07-01", ""},
		{"07/01/2025", "2025-07-01", ""},
		{"2025/07/01", "2025-07-01", ""},
		{"July 1, 2025", "2025-07-01", ""},
		{"Jul 1, 2025", "2025-07-01", ""},
		{"1-Jul-25", "2025-07-01", "parseDate (sheet.go) has \"02-Jan-06\" but not \"2-Jan-06\": a one-digit day with a two-digit year, as Excel's d-mmm-yy format (built-in 15) shows and exports to CSV, is not read"},
		{"01-Jul-25", "2025-07-01", ""},
		{"1-Jul-2025", "2025-07-01", ""},
		{"7/1/25", "2025-07-01", "parseDate (sheet.go) has no layout for M/D/YY (\"1/2/06\"), the short date Excel shows for a custom m/d/yy format and that people type"},
		{"2025-07-01 00:00", "2025-07-01", "parseDate (sheet.go) has no layout for a date with a time (\"2006-01-02 15:04\", \"2006-01-02 15:04:05\", \"1/2/2006 15:04\"), as database exports and Excel's format 22 write"},
		{" 2025-07-01 ", "2025-07-01", ""},
	}
	var b strings.Builder
	b.WriteString("Credential Name,Owner,Career Cluster,Region,Valid From\n")
	for i, c := range cases {
		b.WriteString("Date Text " + itoa(i+2) + ",CompTIA,Digital Technology,Statewide,\"" + c.text + "\"\n")
	}
	s := newStore(t)
	rep := importCSV(t, s, "dates.csv", b.String(), SheetOptions{Agency: agencyHWC}, false)
	for i, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			row := i + 2
			for _, p := range rep.Problems {
				if p.Row == row {
					t.Fatalf("%q: %s", c.text, p)
				}
			}
			d := oneDesignation(t, s, credentialNamed(t, s, "Date Text "+itoa(row)))
			expectObjects(t, s, d, schema.ValidFrom, c.want)
		})
	}
	// Not dates: each a precise problem.
	bad := importCSV(t, s, "bad-dates.csv", "Credential Name,Owner,Career Cluster,Region,Valid From\n"+
		"No Date A,CompTIA,Digital Technology,Statewide,31/31/2025\n"+
		"No Date B,CompTIA,Digital Technology,Statewide,soon\n", SheetOptions{Agency: agencyHWC}, false)
	expectProblems(t, bad, "bad-dates.csv",
		wantProblem{2, "Valid From", "31/31/2025", "not a date"},
		wantProblem{3, "Valid From", "soon", "not a date"})
}

// "SOC Codes" merged over three columns makes three columns of the soc
// list field; a single-value field merged over two columns is the
// duplicate-header error.
func TestXLSXMergedHeaders(t *testing.T) {
	t.Run("list field", func(t *testing.T) {
		const sh = "Sheet1"
		w := newWorkbook(t, sh)
		w.row(sh, 1, "Credential Name", "Owner", "SOC Codes", nil, nil, "Career Cluster", "Region")
		w.merge(sh, "C1", "E1")
		w.row(sh, 2, "Three SOC", "CompTIA", "15-1252", 151244, "15-1232.00", "Digital Technology", "Statewide")
		w.row(sh, 3, "Third Bad", "CompTIA", nil, nil, "15-123", "Digital Technology", "Statewide")
		s := newStore(t)
		rep := importXLSX(t, s, "merged.xlsx", w.bytes(), SheetOptions{Agency: agencyHWC}, false)
		expectCounts(t, rep, 2, 1, 1)
		// A problem in any column of the merge names the header.
		expectProblems(t, rep, "merged.xlsx", wantProblem{3, "SOC Codes", "15-123", "is not a SOC code"})
		expectObjects(t, s, credentialNamed(t, s, "Three SOC"), schema.OccupationType,
			concept(s, schema.SchemeSOC, "15-1252"), concept(s, schema.SchemeSOC, "15-1244"), concept(s, schema.SchemeSOC, "15-1232"))
	})
	t.Run("single-value field", func(t *testing.T) {
		const sh = "Sheet1"
		w := newWorkbook(t, sh)
		w.row(sh, 1, "Credential Name", "Owner", "Region", nil, "Career Cluster")
		w.merge(sh, "C1", "D1")
		w.row(sh, 2, "Two Regions", "CompTIA", "Statewide", "Statewide", "Digital Technology")
		s := newStore(t)
		rep := importXLSX(t, s, "merged.xlsx", w.bytes(), SheetOptions{Agency: agencyHWC}, false)
		expectCounts(t, rep, 1, 0, 1)
		expectProblems(t, rep, "merged.xlsx", wantProblem{1, "Region", "", `2 columns hold the field region (C "Region", D "Region")`})
		noCredentialNamed(t, s, "Two Regions")
	})
	t.Run("a two-row header does not fill data", func(t *testing.T) {
		// "Credential Name" merged down A1:A2 over a second header row:
		// the second row is read as data, and its name cell stays empty.
		const sh = "Sheet1"
		w := newWorkbook(t, sh)
		w.row(sh, 1, "Credential Name", "Owner", "Career Cluster", "Region")
		w.merge(sh, "A1", "A2")
		w.row(sh, 2, nil, "(organization)", nil, nil)
		w.row(sh, 3, "Under Two Rows", "CompTIA", "Digital Technology", "Statewide")
		s := newStore(t)
		rep := importXLSX(t, s, "two-row-header.xlsx", w.bytes(), SheetOptions{Agency: agencyHWC}, false)
		expectCounts(t, rep, 2, 1, 1)
		expectProblems(t, rep, "two-row-header.xlsx", wantProblem{2, "Credential Name", "", "required: the credential's name"})
		noCredentialNamed(t, s, "Credential Name")
		credentialNamed(t, s, "Under Two Rows")
	})
}

// The first visible worksheet is read; hidden sheets and charts are not.
func TestXLSXFirstVisibleSheet(t *testing.T) {
	w := newWorkbook(t, "Notes")
	w.row("Notes", 1, "These are notes, not credentials")
	if _, err := w.f.NewSheet("Credentials"); err != nil {
		t.Fatal(err)
	}
	w.row("Credentials", 1, "Credential Name", "Owner", "Career Cluster", "Region")
	w.row("Credentials", 2, "From The Visible Sheet", "CompTIA", "Digital Technology", "Statewide")
	w.f.SetActiveSheet(1)
	if err := w.f.SetSheetVisible("Notes", false); err != nil {
		t.Fatal(err)
	}
	s := newStore(t)
	rep := importXLSX(t, s, "two-sheets.xlsx", w.bytes(), SheetOptions{Agency: agencyHWC}, false)
	expectCounts(t, rep, 1, 1, 0)
	credentialNamed(t, s, "From The Visible Sheet")
}

func TestXLSXDryRun(t *testing.T) {
	w := newWorkbook(t, "Sheet1")
	w.row("Sheet1", 1, "Credential Name", "Owner", "SOC Codes", "Career Cluster", "Region")
	w.row("Sheet1", 2, "Dry XLSX Good", "CompTIA", 151252, "Digital Technology", "Statewide")
	w.row("Sheet1", 4, "Dry XLSX Bad", "CompTIA", 1512, "Nowhere", "Statewide")
	data := w.bytes()
	s := newStore(t)
	seq := s.Sequence()
	dry := importXLSX(t, s, "dry.xlsx", data, SheetOptions{Agency: agencyHWC}, true)
	if dry.Written != 0 || s.Sequence() != seq {
		t.Fatalf("a dry run wrote %d records", dry.Written)
	}
	noCredentialNamed(t, s, "Dry XLSX Good")
	real := importXLSX(t, s, "dry.xlsx", data, SheetOptions{Agency: agencyHWC}, false)
	expectCounts(t, dry, 2, 1, 1)
	expectCounts(t, real, 2, 1, 1)
	expectProblems(t, dry, "dry.xlsx",
		wantProblem{4, "SOC Codes", "1512", "is not a SOC code"},
		wantProblem{4, "Career Cluster", "Nowhere", "unknown Career Cluster"})
	if problemList(dry.Problems) != problemList(real.Problems) {
		t.Errorf("dry run and import differ:\n%s\nvs\n%s", problemList(dry.Problems), problemList(real.Problems))
	}
	credentialNamed(t, s, "Dry XLSX Good")
}

// A cell over the limit fails its row alone.
func TestXLSXLongCell(t *testing.T) {
	w := newWorkbook(t, "Sheet1")
	w.row("Sheet1", 1, "Credential Name", "Description", "Owner", "Career Cluster", "Region")
	w.row("Sheet1", 2, "Long Before", "ok", "CompTIA", "Digital Technology", "Statewide")
	w.row("Sheet1", 3, "Long Description", "PLACEHOLDER", "CompTIA", "Digital Technology", "Statewide")
	w.row("Sheet1", 4, "Long After", "ok", "CompTIA", "Digital Technology", "Statewide")
	// Excel (and excelize) stop at 32767 characters a cell; a file made
	// by another program need not.
	data := rezip(t, w.bytes(), "xl/sharedStrings.xml", func(b []byte) []byte {
		return bytes.Replace(b, []byte("PLACEHOLDER"), []byte(strings.Repeat("é", 40000)), 1)
	})
	s := newStore(t)
	rep := importXLSX(t, s, "long.xlsx", data, SheetOptions{Agency: agencyHWC}, false)
	expectCounts(t, rep, 3, 2, 1)
	expectProblems(t, rep, "long.xlsx", wantProblem{3, "Description", strings.Repeat("é", 20), "the cell holds 80000 bytes, over the limit of 65536"})
	credentialNamed(t, s, "Long Before")
	credentialNamed(t, s, "Long After")
}

func TestXLSXNotAWorkbook(t *testing.T) {
	s := newStore(t)
	res, err := NewResolver(context.Background(), catalogtest.Of(t, s))
	if err != nil {
		t.Fatal(err)
	}
	valid := func() []byte {
		w := newWorkbook(t, "Sheet1")
		w.row("Sheet1", 1, "Credential Name")
		w.row("Sheet1", 2, "x")
		return w.bytes()
	}
	var otherZip bytes.Buffer
	zw := zip.NewWriter(&otherZip)
	fw, _ := zw.Create("readme.txt")
	_, _ = fw.Write([]byte("hello"))
	_ = zw.Close()
	encrypted := func() []byte {
		w := newWorkbook(t, "Sheet1")
		w.row("Sheet1", 1, "Credential Name")
		return w.bytes(excelize.Options{Password: "secret"})
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"csv.xlsx", []byte("Credential Name,Owner\nA,B\n"), "not an .xlsx workbook"},
		{"empty.xlsx", nil, "the file is empty"},
		{"other.zip", otherZip.Bytes(), "the workbook is incomplete: _rels/.rels is missing"},
		{"truncated.xlsx", valid()[:2000], "not a readable .xlsx workbook"},
		{"locked.xlsx", encrypted(), "password-protected"},
		{"old.xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 504)...), "old Excel 97-2003 .xls"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src, err := XLSX(c.name, bytes.NewReader(c.data), int64(len(c.data)), SheetOptions{Resolver: res})
			if err == nil {
				t.Fatalf("XLSX accepted %s", c.name)
			}
			if src != nil {
				t.Errorf("a Source with the error")
			}
			if !strings.HasPrefix(err.Error(), c.name+": ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q; want it to name %s and say %q", err, c.name, c.want)
			}
		})
	}
	t.Run("too large", func(t *testing.T) {
		r := io.MultiReader(strings.NewReader("PK\x03\x04"), io.LimitReader(zeros{}, MaxXLSXBytes))
		_, err := XLSX("huge.xlsx", r, 0, SheetOptions{Resolver: res})
		if err == nil || !strings.Contains(err.Error(), "huge.xlsx: the file is over the limit") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("too large by its size", func(t *testing.T) {
		_, err := XLSX("huge.xlsx", strings.NewReader("PK\x03\x04"), MaxXLSXBytes+1, SheetOptions{Resolver: res})
		if err == nil || !strings.Contains(err.Error(), "huge.xlsx: the file is over the limit of 64 MiB") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("no resolver", func(t *testing.T) {
		if _, err := XLSX("x.xlsx", bytes.NewReader(valid()), 0, SheetOptions{}); err == nil {
			t.Error("no error without a Resolver")
		}
	})
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// A workbook of several visible-less or empty sheets, and one whose only
// sheet is empty.
func TestXLSXEmpty(t *testing.T) {
	s := newStore(t)
	w := newWorkbook(t, "Sheet1")
	rep := importXLSX(t, s, "empty-sheet.xlsx", w.bytes(), SheetOptions{Agency: agencyHWC}, true)
	expectCounts(t, rep, 1, 0, 1)
	expectProblems(t, rep, "empty-sheet.xlsx", wantProblem{0, "", "", "the sheet is empty: no header row"})

	res, err := NewResolver(context.Background(), catalogtest.Of(t, s))
	if err != nil {
		t.Fatal(err)
	}
	h := newWorkbook(t, "Hidden")
	if _, err := h.f.NewSheet("Also Hidden"); err != nil {
		t.Fatal(err)
	}
	h.f.SetActiveSheet(1)
	if err := h.f.SetSheetVisible("Hidden", false); err != nil {
		t.Fatal(err)
	}
	// excelize keeps one sheet visible; hide it in the workbook XML.
	data := h.bytes()
	data = rezip(t, data, "xl/workbook.xml", func(b []byte) []byte {
		return bytes.Replace(b, []byte(`name="Also Hidden" sheetId="2"`), []byte(`name="Also Hidden" sheetId="2" state="hidden"`), 1)
	})
	_, err = XLSX("hidden.xlsx", bytes.NewReader(data), 0, SheetOptions{Resolver: res})
	if err == nil || !strings.Contains(err.Error(), `hidden.xlsx: the workbook has no visible worksheet (sheets: "Hidden", "Also Hidden")`) {
		t.Errorf("error %v", err)
	}
}

// rezip rewrites one part of a zip.
func rezip(t *testing.T, data []byte, part string, edit func([]byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	found := false
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		_ = rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == part {
			found = true
			nb := edit(b)
			if bytes.Equal(nb, b) {
				t.Fatalf("the edit of %s changed nothing", part)
			}
			b = nb
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("no part %s", part)
	}
	return out.Bytes()
}

// Malformed worksheet XML is refused, not silently cut short.
func TestXLSXMalformedSheet(t *testing.T) {
	s := newStore(t)
	res, err := NewResolver(context.Background(), catalogtest.Of(t, s))
	if err != nil {
		t.Fatal(err)
	}
	w := newWorkbook(t, "Sheet1")
	w.row("Sheet1", 1, "Credential Name", "Owner")
	w.row("Sheet1", 2, "A", "B")
	w.row("Sheet1", 3, "C", "D")
	data := w.bytes()
	cases := []struct {
		name string
		edit func([]byte) []byte
		want string
	}{
		{"broken.xlsx", func(b []byte) []byte { return bytes.Replace(b, []byte(`<row r="3"`), []byte(`<row r="3"><oops`), 1) }, "the worksheet's XML is malformed"},
		{"unordered.xlsx", func(b []byte) []byte { return bytes.Replace(b, []byte(`<row r="3"`), []byte(`<row r="1"`), 1) }, "row 1 follows row 2: the rows are out of order"},
		{"badmerge.xlsx", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`</sheetData>`), []byte(`</sheetData><mergeCells count="1"><mergeCell ref="A1:ZZZZ9"/></mergeCells>`), 1)
		}, `merged range "A1:ZZZZ9"`},
		{"hugemerge.xlsx", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`</sheetData>`), []byte(`</sheetData><mergeCells count="1"><mergeCell ref="A2:XFD1000"/></mergeCells>`), 1)
		}, "merged ranges cover more than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := rezip(t, data, "xl/worksheets/sheet1.xml", c.edit)
			_, err := XLSX(c.name, bytes.NewReader(bad), 0, SheetOptions{Resolver: res})
			if err == nil || !strings.HasPrefix(err.Error(), c.name+": ") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v; want %q", err, c.want)
			}
		})
	}
}

// A header below blank rows that are missing from the file: rows keep
// the spreadsheet's numbers.
func TestXLSXHeaderBelowMissingRows(t *testing.T) {
	w := newWorkbook(t, "Sheet1")
	w.row("Sheet1", 3, nil, "Credential Name", "Owner", "SOC Codes", "Career Cluster", "Region")
	w.row("Sheet1", 4, nil, "Low Good", "CompTIA", "15-1252", "Digital Technology", "Statewide")
	w.row("Sheet1", 7, nil, "Low Bad", "CompTIA", "15-1252", "Digital Technologies", "Statewide")
	s := newStore(t)
	rep := importXLSX(t, s, "low.xlsx", w.bytes(), SheetOptions{Agency: agencyHWC}, false)
	expectCounts(t, rep, 2, 1, 1)
	expectProblems(t, rep, "low.xlsx", wantProblem{7, "Career Cluster", "Digital Technologies", "unknown Career Cluster"})
	credentialNamed(t, s, "Low Good")
}

// sheetsWorkbook has four worksheets, each a sheet of one credential
// named after it: "2024 List", "Approved 2025", "Lookups" (hidden) and
// "Empty" (no cells).
func sheetsWorkbook(t *testing.T) *workbook {
	t.Helper()
	w := newWorkbook(t, "2024 List")
	for _, sh := range []string{"Approved 2025", "Lookups", "Empty"} {
		if _, err := w.f.NewSheet(sh); err != nil {
			t.Fatal(err)
		}
	}
	for _, sh := range []string{"2024 List", "Approved 2025", "Lookups"} {
		w.row(sh, 1, "Credential Name", "Owner", "Career Cluster", "Region")
		w.row(sh, 2, "From "+sh, "CompTIA", "Digital Technology", "Statewide")
	}
	w.f.SetActiveSheet(0)
	if err := w.f.SetSheetVisible("Lookups", false); err != nil {
		t.Fatal(err)
	}
	return w
}

// firstName reads a source's rows up to the first after the header and
// gives its first cell.
func firstName(t *testing.T, src Source) string {
	t.Helper()
	x := src.(*xlsxSource).rows
	defer x.close()
	header := false
	for {
		cells, n, err := x.next()
		if err != nil {
			t.Fatalf("row %d: %v", n, err)
		}
		if blank(cells) {
			continue
		}
		if header {
			return cells[0]
		}
		header = true
	}
}

// SheetOptions.Sheet chooses the worksheet by name or position.
func TestXLSXSheetChoice(t *testing.T) {
	data := sheetsWorkbook(t).bytes()
	s := newStore(t)
	res, err := NewResolver(context.Background(), catalogtest.Of(t, s))
	if err != nil {
		t.Fatal(err)
	}
	const all = `1 "2024 List", 2 "Approved 2025", 3 "Lookups" (hidden), 4 "Empty"`
	cases := []struct {
		sheet      string
		read, desc string // the credential read, SheetName
		err        string // or the error after "book.xlsx: "
	}{
		{sheet: "", read: "From 2024 List", desc: `"2024 List" (1 of 4); other worksheets not read: "Approved 2025"`},
		{sheet: "Approved 2025", read: "From Approved 2025", desc: `"Approved 2025" (2 of 4)`},
		{sheet: "  APPROVED 2025 ", read: "From Approved 2025", desc: `"Approved 2025" (2 of 4)`},
		{sheet: "2", read: "From Approved 2025", desc: `"Approved 2025" (2 of 4)`},
		{sheet: " 1 ", read: "From 2024 List", desc: `"2024 List" (1 of 4)`},
		{sheet: "lookups", read: "From Lookups", desc: `"Lookups" (3 of 4, hidden)`},
		{sheet: "3", err: `worksheet 3 is "Lookups", which is hidden: give its name to read it (the workbook's worksheets: ` + all + `)`},
		{sheet: "5", err: `there is no worksheet 5: the workbook's worksheets are ` + all},
		{sheet: "0", err: `there is no worksheet 0: the workbook's worksheets are ` + all},
		{sheet: "Approved", err: `no worksheet is named "Approved": the workbook's worksheets are ` + all},
		{sheet: "-1", err: `no worksheet is named "-1": the workbook's worksheets are ` + all},
	}
	for _, c := range cases {
		t.Run(c.sheet, func(t *testing.T) {
			src, err := XLSX("book.xlsx", bytes.NewReader(data), int64(len(data)), SheetOptions{Resolver: res, Sheet: c.sheet})
			if c.err != "" {
				if err == nil || err.Error() != "book.xlsx: "+c.err {
					t.Fatalf("error %v\nwant  book.xlsx: %s", err, c.err)
				}
				if src != nil {
					t.Error("a Source with the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sn, ok := src.(SheetNamer)
			if !ok {
				t.Fatal("the XLSX source is not a SheetNamer")
			}
			if got := sn.SheetName(); got != c.desc {
				t.Errorf("SheetName %q, want %q", got, c.desc)
			}
			if got := firstName(t, src); got != c.read {
				t.Errorf("read %q, want %q", got, c.read)
			}
		})
	}
}

// More choice: a name wins over a position, names that differ only in
// case are refused, and the note of other worksheets stays short.
func TestXLSXSheetChoiceMore(t *testing.T) {
	s := newStore(t)
	res, err := NewResolver(context.Background(), catalogtest.Of(t, s))
	if err != nil {
		t.Fatal(err)
	}
	named := func(sheets ...string) *workbook {
		w := newWorkbook(t, sheets[0])
		for i, sh := range sheets {
			if i > 0 {
				if _, err := w.f.NewSheet(sh); err != nil {
					t.Fatal(err)
				}
			}
			w.row(sh, 1, "Credential Name")
			w.row(sh, 2, "From "+sh)
		}
		return w
	}
	twins := rezip(t, sheetsWorkbook(t).bytes(), "xl/workbook.xml", func(b []byte) []byte {
		return bytes.Replace(b, []byte(`name="Empty"`), []byte(`name="approved 2025"`), 1)
	})
	cases := []struct {
		name, sheet string
		data        []byte
		read, desc  string
		err         string
	}{
		{name: "name before position", sheet: "1", data: named("Intro", "1").bytes(), read: "From 1", desc: `"1" (2 of 2)`},
		{name: "position", sheet: "2", data: named("Intro", "Data").bytes(), read: "From Data", desc: `"Data" (2 of 2)`},
		{name: "many others", data: named("S1", "S2", "S3", "S4", "S5", "S6").bytes(), read: "From S1",
			desc: `"S1" (1 of 6); other worksheets not read: "S2", "S3", "S4" and 2 more`},
		{name: "one worksheet", data: named("Only").bytes(), read: "From Only", desc: `"Only" (1 of 1)`},
		{name: "twins", sheet: "Approved 2025", data: twins,
			err: `the workbook has two sheets named "Approved 2025" and "approved 2025", which differ only in case; rename one`},
		{name: "twins, another chosen", data: twins, read: "From 2024 List", desc: `"2024 List" (1 of 4); other worksheets not read: "Approved 2025"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src, err := XLSX("more.xlsx", bytes.NewReader(c.data), 0, SheetOptions{Resolver: res, Sheet: c.sheet})
			if c.err != "" {
				if err == nil || err.Error() != "more.xlsx: "+c.err {
					t.Fatalf("error %v\nwant  more.xlsx: %s", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := src.(SheetNamer).SheetName(); got != c.desc {
				t.Errorf("SheetName %q, want %q", got, c.desc)
			}
			if got := firstName(t, src); got != c.read {
				t.Errorf("read %q, want %q", got, c.read)
			}
		})
	}
}

// The report names the worksheet read; a CSV's names none.
func TestXLSXSheetInReport(t *testing.T) {
	s := newStore(t)
	data := sheetsWorkbook(t).bytes()
	cases := []struct {
		sheet, want, read string
	}{
		{"", `"2024 List" (1 of 4); other worksheets not read: "Approved 2025"`, "From 2024 List"},
		{"approved 2025", `"Approved 2025" (2 of 4)`, "From Approved 2025"},
		{"Lookups", `"Lookups" (3 of 4, hidden)`, "From Lookups"},
	}
	for _, c := range cases {
		t.Run(c.sheet, func(t *testing.T) {
			rep := importXLSX(t, s, "book.xlsx", data, SheetOptions{Agency: agencyHWC, Sheet: c.sheet}, false)
			expectCounts(t, rep, 1, 1, 0)
			if rep.Sheet != c.want {
				t.Errorf("report's Sheet %q, want %q", rep.Sheet, c.want)
			}
			b, _ := json.Marshal(rep)
			if want, _ := json.Marshal(c.want); !bytes.Contains(b, append([]byte(`"sheet":`), want...)) {
				t.Errorf("JSON without the sheet: %s", b)
			}
			credentialNamed(t, s, c.read)
		})
	}
	csv := importCSV(t, s, "list.csv", "Credential Name,Owner,Career Cluster,Region\nFrom CSV,CompTIA,Digital Technology,Statewide\n", SheetOptions{Agency: agencyHWC}, true)
	if csv.Sheet != "" {
		t.Errorf("a CSV's report names the sheet %q", csv.Sheet)
	}
	if b, _ := json.Marshal(csv); bytes.Contains(b, []byte(`"sheet"`)) {
		t.Errorf("a CSV's JSON report has a sheet: %s", b)
	}
}

func TestWriteTableSheet(t *testing.T) {
	prob := Problem{File: "file.xlsx", Row: 4, Column: "SOC Codes", Value: "15-12", Message: "is not a SOC code"}
	cases := []struct {
		name string
		rep  Report
		want string // the output's start ("" for none)
	}{
		{"sheet, no problems", Report{File: "file.xlsx", Sheet: `"Approved 2025" (2 of 3)`},
			"file.xlsx, worksheet \"Approved 2025\" (2 of 3)\n"},
		{"sheet and problems", Report{File: "file.xlsx", Sheet: `"Approved 2025" (2 of 3)`, Problems: []Problem{prob}},
			"file.xlsx, worksheet \"Approved 2025\" (2 of 3)\nFILE "},
		{"others not read", Report{File: "file.xlsx", Sheet: `"2025" (1 of 2); other worksheets not read: "2024"`},
			"file.xlsx, worksheet \"2025\" (1 of 2); other worksheets not read: \"2024\"\n"},
		{"no sheet, no problems", Report{File: "list.csv"}, ""},
		{"no sheet", Report{File: "list.csv", Problems: []Problem{prob}}, "FILE "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			WriteTable(&b, &c.rep, 0)
			if !strings.HasPrefix(b.String(), c.want) || (c.want == "" && b.Len() > 0) || (len(c.rep.Problems) == 0 && b.String() != c.want) {
				t.Errorf("output\n%s\nwant it to start with\n%s", b.String(), c.want)
			}
		})
	}
	// The warnings' table does not repeat the worksheet.
	var b strings.Builder
	WriteWarnings(&b, &Report{File: "file.xlsx", Sheet: `"A" (1 of 1)`, Warnings: []Problem{prob}}, 0)
	if strings.Contains(b.String(), "worksheet") {
		t.Errorf("warnings name the worksheet:\n%s", b.String())
	}
}

func TestCSVSheetOption(t *testing.T) {
	s := newStore(t)
	res, err := NewResolver(context.Background(), catalogtest.Of(t, s))
	if err != nil {
		t.Fatal(err)
	}
	const data = "Credential Name\nx\n"
	for _, sheet := range []string{"2", "Sheet1", " "} {
		t.Run(sheet, func(t *testing.T) {
			src, err := CSV("list.csv", strings.NewReader(data), 0, SheetOptions{Resolver: res, Sheet: sheet})
			if strings.TrimSpace(sheet) == "" {
				if err != nil {
					t.Errorf("a blank Sheet: %v", err)
				}
				return
			}
			if err == nil || err.Error() != "--sheet applies to XLSX workbooks only" || src != nil {
				t.Errorf("CSV with Sheet %q: %v", sheet, err)
			}
		})
	}
	// A CSV cell is never numeric.
	src, err := CSV("list.csv", strings.NewReader("SOC Codes,CIP Codes\n151252,46\n"), 0, SheetOptions{Resolver: res})
	if err != nil {
		t.Fatal(err)
	}
	rows := src.(*sheet).rows
	for {
		if _, _, err := rows.next(); err != nil {
			break
		}
		if rows.numeric(0) || rows.numeric(1) {
			t.Error("a CSV cell is numeric")
		}
	}
}

// numeric tells the number cells shown by a number format from text.
func TestXLSXNumericCells(t *testing.T) {
	const sh = "Sheet1"
	day := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	w := newWorkbook(t, sh)
	w.row(sh, 1, "Credential Name", "SOC Codes", "CIP Codes", "NAICS", "Valid From", "Note", "Flag", "Merged")
	w.row(sh, 2, "Row Two", 151252, 46, "541512", day, 11.07, true, 1.0101)
	w.style(sh, "E2", 14, "")
	w.style(sh, "F2", 49, "") // Text
	w.merge(sh, "H2", "H4")   // H3 and H4 get H2's number
	w.row(sh, 3, "Row Three", "15-1252", 11.0701, 541512, nil, 51.39, "yes")
	w.style(sh, "C3", 0, "0.0000")
	w.style(sh, "F3", 0, "@") // a custom Text format
	w.row(sh, 4, 7, nil, nil, nil, nil, nil, nil)
	// Rows 5 and 6 are not in the file.
	w.row(sh, 7, "Row Seven", nil, 1.5, nil, nil, nil, nil, "text")
	w.style(sh, "B7", 0, "0.00") // a style on an empty cell
	cases := []struct {
		row     int
		cells   []string // as read
		numeric []int    // the numeric columns' indexes
	}{
		{1, []string{"Credential Name", "SOC Codes", "CIP Codes", "NAICS", "Valid From", "Note", "Flag", "Merged"}, nil},
		{2, []string{"Row Two", "151252", "46", "541512", "2025-07-01", "11.07", "TRUE", "1.0101"}, []int{1, 2, 4, 7}},
		{3, []string{"Row Three", "15-1252", "11.0701", "541512", "", "51.39", "yes", "1.0101"}, []int{2, 3, 7}},
		{4, []string{"7", "", "", "", "", "", "", "1.0101"}, []int{0, 7}},
		{5, nil, nil},
		{6, nil, nil},
		{7, []string{"Row Seven", "", "1.5", "", "", "", "", "text"}, []int{2}},
	}
	s := newStore(t)
	x := xlsxSourceOf(t, s, "numeric.xlsx", w.bytes(), SheetOptions{}).(*xlsxSource).rows
	for _, c := range cases {
		cells, n, err := x.next()
		if err != nil || n != c.row {
			t.Fatalf("row %d: %v (row %d)", c.row, err, n)
		}
		if strings.Join(cells, "|") != strings.Join(c.cells, "|") {
			t.Errorf("row %d reads %q, want %q", n, cells, c.cells)
		}
		want := map[int]bool{}
		for _, i := range c.numeric {
			want[i] = true
		}
		for i := -1; i < 10; i++ {
			if got := x.numeric(i); got != want[i] {
				t.Errorf("row %d, column %d (%q): numeric %v, want %v", n, i, at(cells, i), got, want[i])
			}
		}
	}
	if _, _, err := x.next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last row: %v", err)
	}
	if x.numeric(2) {
		t.Error("numeric after the last row")
	}
}

func at(cells []string, i int) string {
	if i < 0 || i >= len(cells) {
		return ""
	}
	return cells[i]
}

// Cells without a reference (r="B2") are numbered in order, as excelize
// reads them; rows asked for out of turn are read up to.
func TestXLSXNumericCellsUnreferenced(t *testing.T) {
	const sh = "Sheet1"
	w := newWorkbook(t, sh)
	w.row(sh, 1, "Credential Name", "SOC Codes", "CIP Codes")
	w.row(sh, 2, "A", 151252, "x")
	w.row(sh, 3, "B", "y", 46)
	data := rezip(t, w.bytes(), "xl/worksheets/sheet1.xml", func(b []byte) []byte {
		return regexp.MustCompile(`<c r="[A-Z]+[0-9]+"`).ReplaceAll(b, []byte("<c"))
	})
	s := newStore(t)
	x := xlsxSourceOf(t, s, "unreferenced.xlsx", data, SheetOptions{}).(*xlsxSource).rows
	want := map[int][]bool{1: {false, false, false}, 2: {false, true, false}, 3: {false, false, true}}
	for r := 1; r <= 3; r++ {
		cells, n, err := x.next()
		if err != nil || n != r {
			t.Fatalf("row %d: %v", r, err)
		}
		// Asked for in reverse, and twice.
		for i := 2; i >= 0; i-- {
			first, second := x.numeric(i), x.numeric(i)
			if first != want[r][i] || second != want[r][i] {
				t.Errorf("row %d, column %d (%q): numeric %v then %v", r, i, at(cells, i), first, second)
			}
		}
	}
}

func TestMangledCode(t *testing.T) {
	cases := []struct {
		field, shown string
		want         []string // what the message says; none: ""
	}{
		// CIP: two digits, a point, four are the code as written.
		{FieldCIP, "51.3901", nil},
		{FieldCIP, "11.0701", nil},
		{FieldCIP, " 01.0101 ", nil}, // a format of 00.0000
		{FieldCIP, "110701", nil},    // without its point: nothing lost
		{FieldCIP, "1107", nil},
		{FieldCIP, "46", []string{"the cell is the number 46, which a General-format cell shows for 46.0000 as well as for the series 46", "(46.0000 or 46)"}},
		{FieldCIP, "11.07", []string{"the number 11.07, which a General-format cell shows for 11.0700 as well as for the group 11.07", "(11.0700 or 11.07)"}},
		{FieldCIP, "51.39", []string{"shows for 51.3900 as well as for the group 51.39", "(51.3900 or 51.39)"}},
		{FieldCIP, "1.0101", []string{"the number 1.0101, which is what a General-format cell makes of 01.0101, its leading zero lost", "(01.0101)"}},
		{FieldCIP, "11.071", []string{"makes of 11.0710, its trailing zero lost", "(11.0710)"}},
		{FieldCIP, "1.011", []string{"makes of 01.0110, its leading and trailing zeros lost", "(01.0110)"}},
		{FieldCIP, "1.01", []string{"shows for 01.0100 as well as for the group 01.01"}},
		{FieldCIP, "11.7", []string{"shows for 11.7000 as well as for the group 11.70"}},
		{FieldCIP, "1", []string{"shows for 01.0000 as well as for the series 01", "(01.0000 or 01)"}},
		{FieldCIP, "10101", []string{"the number 10101, which is what a General-format cell makes of 010101 (CIP 01.0101), its leading zero lost", "(01.0101)"}},
		{FieldCIP, "101", []string{"makes of 0101 (CIP 01.01)", "(01.01)"}},
		{FieldCIP, "2025-07-11", []string{"the date 2025-07-11, which a spreadsheet that writes dates day.month makes of 11.07", "(11.07)"}},
		{FieldCIP, "110,701", []string{`the number 110701, which its number format shows as "110,701"`}},
		{FieldCIP, "1.10E+05", []string{`a number that its number format shows as "1.10E+05", not a CIP code`}},
		{FieldCIP, "110.701", nil}, // not a shape a number makes of a code: the code check's
		{FieldCIP, "1234567", nil},
		{FieldCIP, "0.5", nil},
		{FieldCIP, "", nil},
		// SOC: no code starts with 0 or has a fraction: a number loses nothing.
		{FieldSOC, "291141", nil},
		{FieldSOC, "151252.00", nil},
		{FieldSOC, "15.1252", nil},
		{FieldSOC, "1512", nil},
		{FieldSOC, "151252.5", nil},
		{FieldSOC, "151252.0", []string{"the number 151252, which its number format shows with decimals (151252.0)", "(151252)"}},
		{FieldSOC, "2011-11-01", []string{"the date November 2011, which a spreadsheet makes of the SOC code 11-2011 typed into a General-format cell", "(11-2011)"}},
		{FieldSOC, "2025-07-01", []string{"the date 2025-07-01, not a SOC code"}},
		{FieldSOC, "151,252", []string{`the number 151252, which its number format shows as "151,252"`}},
		// NAICS: an integer is fine.
		{FieldNAICS, "541512", nil},
		{FieldNAICS, "62", nil},
		{FieldNAICS, "541512.00", []string{"the number 541512, which its number format shows with decimals (541512.00)", "(541512)"}},
		{FieldNAICS, "$541,512", []string{`a number that its number format shows as "$541,512", not a NAICS code`}},
		{FieldNAICS, "2025-07-01", []string{"not a NAICS code"}},
		// Not a code field.
		{FieldName, "46", nil},
		{FieldMedianWage, "1.0101", nil},
	}
	for _, c := range cases {
		t.Run(c.field+" "+c.shown, func(t *testing.T) {
			got := mangledCode(c.field, c.shown)
			if len(c.want) == 0 {
				if got != "" {
					t.Errorf("%q", got)
				}
				return
			}
			if !strings.HasPrefix(got, "the cell is ") || !strings.HasSuffix(got, "format the column as Text and type the code as it is written"+after(got)) {
				t.Errorf("%q: not what the cell is and the fix", got)
			}
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("%q\nwant it to say %q", got, w)
				}
			}
		})
	}
	// A message whole.
	const want = "the cell is the number 46, which a General-format cell shows for 46.0000 as well as for the series 46: " +
		"format the column as Text and type the code as it is written (46.0000 or 46), or type an apostrophe before the code, then import again"
	if got := mangledCode(FieldCIP, "46"); got != want {
		t.Errorf("%q\nwant %q", got, want)
	}
}

// after is the end of a fix message after "as it is written".
func after(msg string) string {
	_, tail, _ := strings.Cut(msg, "as it is written")
	if !strings.HasSuffix(tail, ", or type an apostrophe before the code, then import again") {
		return "\x00" // fails the caller's check
	}
	return tail
}

// TestXLSXMangledCodeIsAnError imports a workbook whose CIP column is a
// General-format number column: 46.0000 shows as 46 and 01.0101 as
// 1.0101. Those rows fail with the fix; the row whose number keeps its
// code imports.
func TestXLSXMangledCodeIsAnError(t *testing.T) {
	const sh = "Sheet1"
	w := newWorkbook(t, sh)
	w.row(sh, 1, "Credential Name", "Owner", "CIP Codes")
	w.row(sh, 2, "Construction Trades Certificate", "Heartland Community College", 46)
	w.row(sh, 3, "Agribusiness Certificate", "Heartland Community College", 1.0101)
	w.row(sh, 4, "Practical Nursing Certificate", "Heartland Community College", 51.3901)
	s := newStore(t)
	rep := importXLSX(t, s, "codes.xlsx", w.bytes(), SheetOptions{}, false)
	if rep.Imported != 1 || rep.Failed != 2 {
		t.Fatalf("%d imported, %d failed; want 1 and 2: %v", rep.Imported, rep.Failed, rep.Problems)
	}
	for i, want := range []struct {
		row  int
		text string
	}{{2, "46.0000"}, {3, "01.0101"}} {
		p := rep.Problems[i]
		if p.Row != want.row || p.Column != "CIP Codes" || !strings.Contains(p.Message, want.text) || !strings.Contains(p.Message, "Text") {
			t.Errorf("problem %d = %+v; want row %d in CIP Codes naming %s and the Text format", i, p, want.row, want.text)
		}
	}
}

// TestXLSXZipBombRefused pads a small workbook's worksheet with 20 MiB of
// white space, which deflate squeezes a thousandfold: the import refuses
// it at once, without reading it.
func TestXLSXZipBombRefused(t *testing.T) {
	const sh = "Sheet1"
	w := newWorkbook(t, sh)
	w.row(sh, 1, "Credential Name", "Owner")
	w.row(sh, 2, "A Cert", "CompTIA")
	data := rezip(t, w.bytes(), "xl/worksheets/sheet1.xml", func(b []byte) []byte {
		return bytes.Replace(b, []byte("<sheetData>"), append([]byte("<sheetData>"), bytes.Repeat([]byte(" "), 20<<20)...), 1)
	})
	if len(data) > 1<<20 {
		t.Fatalf("the padded workbook is %d bytes; the test wants a small one", len(data))
	}
	s := newStore(t)
	res, err := NewResolver(t.Context(), catalogtest.Of(t, s))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = XLSX("bomb.xlsx", bytes.NewReader(data), int64(len(data)), SheetOptions{Resolver: res})
	if err == nil || !strings.Contains(err.Error(), "as a zip bomb does") {
		t.Fatalf("XLSX = %v; want the zip bomb refused", err)
	}
	t.Logf("refused in %v: %v", time.Since(start), err)
}
