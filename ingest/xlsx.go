package ingest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Limits on an XLSX input, so that a hostile workbook cannot exhaust
// memory or time.
const (
	// MaxXLSXBytes caps an .xlsx file as stored (zipped). The whole file is
	// held in memory while it is opened.
	MaxXLSXBytes = 64 << 20
	// xlsxUnzipLimit caps the unzipped size of all the workbook's parts.
	xlsxUnzipLimit = 256 << 20
	// xlsxInMemoryLimit: a worksheet or the shared strings larger than
	// this, unzipped, go to a temporary file rather than memory.
	xlsxInMemoryLimit = 64 << 20
	// maxMergeRanges caps the merged ranges of the worksheet, and
	// maxMergedCells the cells they cover together.
	maxMergeRanges = 1 << 16
	maxMergedCells = 1 << 22
)

// XLSX returns a Source reading the first visible worksheet of an Excel
// workbook (.xlsx) from r (size is its length in bytes, or 0 if unknown).
//
// Cells are read as a person sees them: numbers formatted by their cell's
// number format ("$61,200", "151252", "TRUE"), except dates: a cell whose
// format shows a day, or a month and a year, reads as the date it shows
// written YYYY-MM-DD (7/1/2025, 01/07/2025 in a day-first format, July 1,
// 2025, 1-Jul-25 and 7/1/25 0:00 all read 2025-07-01), so that no date is
// misread day for month and parseDate needs no regional layouts. A format
// of a year alone ("yyyy") shows the year as it is.
// A merged cell's value is given to every cell of its range: a header
// "SOC Codes" merged over three columns names three SOC columns, and a
// Cluster merged down several rows gives each of them that Cluster. A
// range that starts on the header row fills the header row only. Rows
// are numbered as the spreadsheet numbers them.
//
// The returned Source holds the workbook (and may hold temporary files)
// until its last row is read; a caller that stops early should Close it
// (it implements io.Closer).
func XLSX(name string, r io.Reader, size int64, opts SheetOptions) (src Source, err error) {
	if opts.Resolver == nil {
		return nil, errors.New("ingest.XLSX: a Resolver is required")
	}
	defer func() {
		// excelize is a large parser of untrusted input: a panic in it
		// must fail this file, not the process.
		if p := recover(); p != nil {
			src, err = nil, fmt.Errorf("%s: the workbook could not be read (%v)", name, p)
		}
	}()
	tooLarge := size > MaxXLSXBytes
	var data []byte
	if !tooLarge {
		if data, err = io.ReadAll(io.LimitReader(r, MaxXLSXBytes+1)); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		tooLarge = len(data) > MaxXLSXBytes
	}
	if tooLarge {
		return nil, fmt.Errorf("%s: the file is over the limit of %d MiB for an .xlsx workbook; split it, or save it as CSV", name, MaxXLSXBytes>>20)
	}
	switch {
	case len(data) == 0:
		return nil, fmt.Errorf("%s: the file is empty", name)
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		return nil, fmt.Errorf("%s: the workbook is password-protected (encrypted) or an old Excel 97-2003 .xls file; save it as an Excel Workbook (.xlsx) without a password, or as CSV UTF-8", name)
	case !bytes.HasPrefix(data, []byte("PK\x03\x04")) && !bytes.HasPrefix(data, []byte("PK\x05\x06")):
		return nil, fmt.Errorf("%s: not an .xlsx workbook (an .xlsx file is a zip archive; this file is not); save it as an Excel Workbook (.xlsx), or import it as CSV", name)
	}

	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable .xlsx workbook: %w", name, openError(err))
	}
	parts := zipParts(zr)
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    xlsxUnzipLimit,
		UnzipXMLSizeLimit: xlsxInMemoryLimit,
		// Excel shows built-in format 14 in the reader's regional short
		// date; ISO is unambiguous for parseDate.
		ShortDatePattern: "yyyy-mm-dd",
	})
	if err != nil {
		if f != nil {
			_ = f.Close()
		}
		// The package's structure says more than excelize's error.
		if _, serr := firstVisibleWorksheet(parts, nil); serr != nil {
			return nil, fmt.Errorf("%s: %w", name, serr)
		}
		return nil, fmt.Errorf("%s: not a readable .xlsx workbook: %w", name, openError(err))
	}
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
		}
	}()
	isoDates(f)
	ws, err := firstVisibleWorksheet(parts, f.CharsetReader)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	scan, err := scanWorksheet(parts[strings.ToLower(ws.part)], f.CharsetReader)
	if err != nil {
		return nil, fmt.Errorf("%s: worksheet %q: %w", name, ws.name, err)
	}
	rows, err := f.Rows(ws.name)
	if err != nil {
		return nil, fmt.Errorf("%s: worksheet %q: %w", name, ws.name, err)
	}
	x := &xlsxRows{sheet: ws.name, f: f, rows: rows, last: scan.lastRow, merges: scan.merges}
	ok = true
	return &xlsxSource{sheet: newSheet(name, x, opts), rows: x}, nil
}

// isoDates makes the workbook's date formats read as YYYY-MM-DD: custom
// date formats are rewritten, and cell formats using a built-in date
// format use built-in format 14, which ShortDatePattern writes in ISO.
// The workbook is only read, never saved, so only its reading changes.
func isoDates(f *excelize.File) {
	st := f.Styles
	if st == nil || st.CellXfs == nil {
		return
	}
	custom := map[int]bool{}
	if st.NumFmts != nil {
		for _, nf := range st.NumFmts.NumFmt {
			if nf == nil {
				continue
			}
			custom[nf.NumFmtID] = true
			code := nf.FormatCode16
			if code == "" {
				code = nf.FormatCode
			}
			if isDateFormat(code) {
				nf.FormatCode, nf.FormatCode16 = "yyyy-mm-dd", ""
			}
		}
	}
	if custom[14] {
		return // 14 is redefined (and rewritten above if it is a date)
	}
	iso := 14
	for i := range st.CellXfs.Xf {
		if id := st.CellXfs.Xf[i].NumFmtID; id != nil && !custom[*id] && builtinDateFormats[*id] {
			st.CellXfs.Xf[i].NumFmtID = &iso
		}
	}
}

// builtinDateFormats are the built-in number formats that show a date:
// 14-17 and 22 (m/d/yyyy, d-mmm-yy, d-mmm, mmm-yy, m/d/yy h:mm) and the
// East Asian regional dates.
var builtinDateFormats = map[int]bool{
	14: true, 15: true, 16: true, 17: true, 22: true,
	27: true, 28: true, 29: true, 30: true, 31: true, 36: true,
	50: true, 51: true, 52: true, 53: true, 54: true, 55: true, 56: true, 57: true, 58: true,
}

// isDateFormat reports whether a number format code shows a date: a day,
// or a month with a year. Quoted text, escaped characters and bracketed
// parts ([Red], [$-409], [h]) are not format tokens.
func isDateFormat(code string) bool {
	var b strings.Builder
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '"':
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				i = len(code)
			}
		case '\\', '_', '*':
			i++ // an escaped character, a space the width of one, a fill
		case '[':
			if j := strings.IndexByte(code[i:], ']'); j >= 0 {
				i += j
			} else {
				i = len(code)
			}
		default:
			b.WriteByte(c | 0x20) // lower-case letters; other bytes do not matter
		}
	}
	s := strings.ReplaceAll(b.String(), "general", "")
	return strings.ContainsRune(s, 'd') || (strings.ContainsRune(s, 'y') && strings.ContainsRune(s, 'm'))
}

// openError makes excelize's errors say what to do.
func openError(err error) error {
	switch {
	case errors.Is(err, zip.ErrFormat), errors.Is(err, zip.ErrAlgorithm), errors.Is(err, zip.ErrChecksum):
		return fmt.Errorf("the zip archive is damaged or not a workbook (%v)", err)
	case errors.Is(err, excelize.ErrWorkbookFileFormat), errors.Is(err, excelize.ErrWorkbookPassword):
		return fmt.Errorf("%v; save it as an Excel Workbook (.xlsx) without a password", err)
	case strings.Contains(err.Error(), "unzip size exceeds"):
		return fmt.Errorf("unzipped, the workbook is over the limit of %d MiB; split it, or save it as CSV (%v)", xlsxUnzipLimit>>20, err)
	}
	return err
}

// xlsxSource is the sheet of a workbook; it closes the workbook.
type xlsxSource struct {
	*sheet
	rows *xlsxRows
}

// Close releases the workbook and its temporary files. It may be called
// more than once.
func (s *xlsxSource) Close() error { return s.rows.close() }

// xlsxRows reads a worksheet's rows with excelize's streaming iterator.
type xlsxRows struct {
	sheet  string
	f      *excelize.File
	rows   *excelize.Rows
	closed bool

	n    int // the current row's number
	last int // the last row's number (from the scan)

	merges []*mergeRange // by first row
	mi     int           // merges before mi have started
	active []*mergeRange
	header int // the header row's number, 0 before it
	width  int // the header row's cells
}

func (x *xlsxRows) close() error {
	if x.closed {
		return nil
	}
	x.closed = true
	err := x.rows.Close()
	if cerr := x.f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (x *xlsxRows) next() (cells []string, row int, err error) {
	if x.closed {
		return nil, 0, io.EOF
	}
	defer func() {
		if p := recover(); p != nil {
			_ = x.close()
			cells, row, err = nil, x.n, fmt.Errorf("row %d of worksheet %q could not be read (%v)", x.n, x.sheet, p)
		}
	}()
	if !x.rows.Next() {
		rerr := x.rows.Error()
		_ = x.close()
		if rerr != nil {
			return nil, x.n + 1, fmt.Errorf("worksheet %q, after row %d: %w", x.sheet, x.n, rerr)
		}
		if x.n < x.last {
			return nil, x.n + 1, fmt.Errorf("worksheet %q: reading stopped after row %d of %d", x.sheet, x.n, x.last)
		}
		return nil, 0, io.EOF
	}
	x.n++
	cells, err = x.rows.Columns()
	if err != nil {
		_ = x.close()
		return nil, x.n, fmt.Errorf("worksheet %q, row %d: %w", x.sheet, x.n, err)
	}
	return x.merge(cells), x.n, nil
}

// position reports rows rather than bytes: the current row of the last.
func (x *xlsxRows) position() (int64, int64) { return int64(x.n), int64(x.last) }

// mergeRange is a merged range of cells, 1-based and inclusive, with the
// value of its top-left cell once read.
type mergeRange struct {
	c1, r1, c2, r2 int
	value          string
}

// merge gives the cells of the merged ranges that cover the current row
// the value of their range.
func (x *xlsxRows) merge(cells []string) []string {
	for x.mi < len(x.merges) && x.merges[x.mi].r1 <= x.n {
		x.active = append(x.active, x.merges[x.mi])
		x.mi++
	}
	keep := x.active[:0]
	for _, m := range x.active {
		if m.r2 >= x.n {
			keep = append(keep, m)
		}
	}
	x.active = keep
	isHeader := false
	if x.header == 0 && !blank(cells) {
		x.header, isHeader = x.n, true
	}
	for _, m := range x.active {
		if m.r1 == x.n && m.c1 <= len(cells) {
			m.value = cells[m.c1-1]
		}
		if strings.TrimSpace(m.value) == "" || (m.r1 == x.header && !isHeader) {
			continue // nothing to give, or a header range (a two-row header's sub-headers are not data)
		}
		c2 := m.c2
		if !isHeader && c2 > x.width {
			c2 = x.width // columns without a header are not read
		}
		if c2 > len(cells) {
			cells = append(cells, make([]string, c2-len(cells))...)
		}
		for c := m.c1; c <= c2; c++ {
			cells[c-1] = m.value
		}
	}
	if isHeader {
		x.width = len(cells)
	}
	return cells
}

// worksheetScan is what a pass over a worksheet's XML finds before its
// rows are read: the merged ranges (which follow the rows in the file)
// and the last row's number.
type worksheetScan struct {
	merges  []*mergeRange
	lastRow int
}

// scanWorksheet reads a worksheet's XML as excelize's iterator will, to
// find its merged ranges and last row, and to refuse malformed XML that
// the iterator would silently cut short.
func scanWorksheet(zf *zip.File, charset charsetFunc) (*worksheetScan, error) {
	if zf == nil {
		return nil, errors.New("the worksheet is missing from the workbook")
	}
	if zf.UncompressedSize64 > xlsxUnzipLimit {
		return nil, fmt.Errorf("unzipped, the worksheet is over the limit of %d MiB", xlsxUnzipLimit>>20)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	d := xml.NewDecoder(bufio.NewReaderSize(io.LimitReader(rc, xlsxUnzipLimit), 64<<10))
	d.CharsetReader = charset
	s := &worksheetScan{}
	var area int64
	row := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("the worksheet's XML is malformed: %w", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "row":
			n := row + 1
			if v := attrValue(se, "r"); v != "" {
				if r, err := strconv.Atoi(v); err == nil && r > 0 {
					n = r
				}
			}
			if n <= row {
				return nil, fmt.Errorf("row %d follows row %d: the rows are out of order", n, row)
			}
			if n > excelize.TotalRows {
				return nil, fmt.Errorf("row %d is beyond the %d rows a worksheet can have", n, excelize.TotalRows)
			}
			row = n
		case "mergeCell":
			ref := attrValue(se, "ref")
			m, err := parseMergeRef(ref)
			if err != nil {
				return nil, fmt.Errorf("merged range %q: %w", ref, err)
			}
			if len(s.merges) == maxMergeRanges {
				return nil, fmt.Errorf("more than %d merged ranges; unmerge the cells", maxMergeRanges)
			}
			if area += int64(m.c2-m.c1+1) * int64(m.r2-m.r1+1); area > maxMergedCells {
				return nil, fmt.Errorf("merged ranges cover more than %d cells; unmerge the cells", maxMergedCells)
			}
			s.merges = append(s.merges, m)
		}
	}
	s.lastRow = row
	sort.SliceStable(s.merges, func(i, j int) bool { return s.merges[i].r1 < s.merges[j].r1 })
	return s, nil
}

func parseMergeRef(ref string) (*mergeRange, error) {
	a, b, ok := strings.Cut(ref, ":")
	if !ok {
		b = a
	}
	c1, r1, err := excelize.CellNameToCoordinates(a)
	if err != nil {
		return nil, err
	}
	c2, r2, err := excelize.CellNameToCoordinates(b)
	if err != nil {
		return nil, err
	}
	if c2 < c1 {
		c1, c2 = c2, c1
	}
	if r2 < r1 {
		r1, r2 = r2, r1
	}
	return &mergeRange{c1: c1, r1: r1, c2: c2, r2: r2}, nil
}

func attrValue(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// zipParts indexes a zip's files by part name (lower case, '/'-separated,
// without a leading '/'), as OPC names parts regardless of case.
func zipParts(zr *zip.Reader) map[string]*zip.File {
	m := make(map[string]*zip.File, len(zr.File))
	for _, f := range zr.File {
		m[partKey(f.Name)] = f
	}
	return m
}

func partKey(name string) string {
	return strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(name, "\\", "/"), "/"))
}

// charsetFunc decodes XML declared in another encoding than UTF-8.
type charsetFunc = func(label string, r io.Reader) (io.Reader, error)

// wbSheet is a sheet of the workbook.
type wbSheet struct {
	name, state, part, relType string
}

type opcRels struct {
	Rels []struct {
		ID     string `xml:"Id,attr"`
		Type   string `xml:"Type,attr"`
		Target string `xml:"Target,attr"`
	} `xml:"Relationship"`
}

type opcWorkbook struct {
	Sheets struct {
		Sheet []struct {
			Name  string     `xml:"name,attr"`
			State string     `xml:"state,attr"`
			Attrs []xml.Attr `xml:",any,attr"`
		} `xml:"sheet"`
	} `xml:"sheets"`
}

// firstVisibleWorksheet finds the workbook's first sheet that is a
// worksheet (not a chart) and not hidden.
func firstVisibleWorksheet(parts map[string]*zip.File, charset charsetFunc) (*wbSheet, error) {
	sheets, err := workbookSheets(parts, charset)
	if err != nil {
		return nil, err
	}
	var names []string
	for i := range sheets {
		s := &sheets[i]
		names = append(names, fmt.Sprintf("%q", s.name))
		if (s.state == "" || s.state == "visible") && strings.HasSuffix(s.relType, "/worksheet") {
			return s, nil
		}
	}
	if len(sheets) == 0 {
		return nil, errors.New("the workbook has no sheet")
	}
	return nil, fmt.Errorf("the workbook has no visible worksheet (sheets: %s)", strings.Join(names, ", "))
}

// workbookSheets lists the workbook's sheets in order, with the parts
// that hold them.
func workbookSheets(parts map[string]*zip.File, charset charsetFunc) ([]wbSheet, error) {
	wbPath := "xl/workbook.xml"
	var root opcRels
	if err := readPartXML(parts, "_rels/.rels", charset, &root); err != nil {
		return nil, err
	}
	for _, r := range root.Rels {
		if strings.HasSuffix(r.Type, "/officeDocument") {
			wbPath = strings.TrimPrefix(path.Clean("/"+strings.ReplaceAll(r.Target, "\\", "/")), "/")
			break
		}
	}
	var wb opcWorkbook
	if err := readPartXML(parts, wbPath, charset, &wb); err != nil {
		return nil, err
	}
	var rels opcRels
	if err := readPartXML(parts, path.Join(path.Dir(wbPath), "_rels", path.Base(wbPath)+".rels"), charset, &rels); err != nil {
		return nil, err
	}
	byID := map[string]int{}
	for i, r := range rels.Rels {
		byID[r.ID] = i
	}
	var out []wbSheet
	for _, s := range wb.Sheets.Sheet {
		ws := wbSheet{name: s.Name, state: s.State}
		for _, a := range s.Attrs {
			if a.Name.Local != "id" || a.Name.Space == "" {
				continue
			}
			if i, ok := byID[a.Value]; ok {
				r := rels.Rels[i]
				t := strings.ReplaceAll(r.Target, "\\", "/")
				if strings.HasPrefix(t, "/") {
					ws.part = strings.TrimPrefix(path.Clean(t), "/")
				} else {
					ws.part = strings.TrimPrefix(path.Clean("/"+path.Join(path.Dir(wbPath), t)), "/")
				}
				ws.relType = r.Type
			}
		}
		out = append(out, ws)
	}
	return out, nil
}

// readPartXML decodes a small part of the package.
func readPartXML(parts map[string]*zip.File, name string, charset charsetFunc, v any) error {
	zf := parts[partKey(name)]
	if zf == nil {
		return fmt.Errorf("the workbook is incomplete: %s is missing", name)
	}
	rc, err := zf.Open()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer rc.Close()
	d := xml.NewDecoder(io.LimitReader(rc, xlsxInMemoryLimit))
	d.CharsetReader = charset
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%s is malformed: %w", name, err)
	}
	return nil
}
