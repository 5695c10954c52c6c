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
	"time"

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
	// A worksheet larger than xlsxBombSize unzipped that inflates more
	// than xlsxBombRatio times is refused before it is read: sheets of
	// real data compress about 10:1, zip bombs a thousand times.
	xlsxBombSize  = 16 << 20
	xlsxBombRatio = 100
	// maxMergeRanges caps the merged ranges of the worksheet, and
	// maxMergedCells the cells they cover together.
	maxMergeRanges = 1 << 16
	maxMergedCells = 1 << 22
)

// XLSX returns a Source reading one worksheet of an Excel workbook (.xlsx)
// from r (size is its length in bytes, or 0 if unknown): the one
// opts.Sheet names, or the first visible worksheet.
//
// opts.Sheet is a worksheet's name (trimmed, regardless of case; a hidden
// worksheet may be named) or its position among the workbook's worksheets,
// 1 for the first (hidden ones count; chart sheets do not). A name wins
// over a position: "2025" is the worksheet named 2025 if there is one. A
// hidden worksheet is not read by its position, which would otherwise
// count a sheet that the person counting tabs does not see. A name or
// position that matches no worksheet is an error listing the worksheets.
// The Source says which worksheet it reads (SheetNamer).
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
		if _, serr := chooseWorksheet(parts, nil, opts.Sheet); serr != nil {
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
	text := textStyles(f)
	isoDates(f)
	choice, err := chooseWorksheet(parts, f.CharsetReader, opts.Sheet)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ws := choice.sheet
	scan, err := scanWorksheet(parts[strings.ToLower(ws.part)], f.CharsetReader)
	if err != nil {
		return nil, fmt.Errorf("%s: worksheet %q: %w", name, ws.name, err)
	}
	rows, err := f.Rows(ws.name)
	if err != nil {
		return nil, fmt.Errorf("%s: worksheet %q: %w", name, ws.name, err)
	}
	if strings.TrimSpace(opts.Sheet) == "" {
		choice.findOthers(parts, f.CharsetReader)
	}
	x := &xlsxRows{sheet: ws.name, f: f, rows: rows, last: scan.lastRow, merges: scan.merges,
		kinds: &cellKinds{zf: parts[strings.ToLower(ws.part)], charset: f.CharsetReader, text: text}}
	ok = true
	return &xlsxSource{sheet: newSheet(name, x, opts), rows: x, desc: choice.describe()}, nil
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

// SheetNamer is implemented by a Source that reads one sheet of a
// workbook: SheetName says which, for the import report.
type SheetNamer interface {
	SheetName() string
}

// xlsxSource is the sheet of a workbook; it closes the workbook.
type xlsxSource struct {
	*sheet
	rows *xlsxRows
	desc string
}

// Close releases the workbook and its temporary files. It may be called
// more than once.
func (s *xlsxSource) Close() error { return s.rows.close() }

// SheetName implements SheetNamer. It describes the worksheet read: its
// name quoted, its position among the workbook's worksheets and whether it
// is hidden, as in "Approved 2025" (2 of 3); when the worksheet was not
// chosen (SheetOptions.Sheet empty), it adds the other visible worksheets
// that hold data: "2025" (1 of 2); other worksheets not read: "2024".
func (s *xlsxSource) SheetName() string { return s.desc }

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

	kinds *cellKinds
	fill  map[int]bool // the current row's cells given a merged range's value: whether it is numeric
}

func (x *xlsxRows) close() error {
	if x.closed {
		return nil
	}
	x.closed = true
	x.kinds.close()
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

// numeric implements rowReader: whether the cell at column index col of
// the row next returned last holds a number shown by a number format
// other than Text (General, "0.00", a date...), rather than text. A cell
// given a merged range's value is numeric when the range's top-left cell
// is.
func (x *xlsxRows) numeric(col int) bool {
	if x.closed || x.n == 0 || col < 0 {
		return false
	}
	if v, ok := x.fill[col]; ok {
		return v
	}
	return x.kinds.numeric(x.n, col)
}

// mergeRange is a merged range of cells, 1-based and inclusive, with the
// value of its top-left cell once read, and whether that cell is numeric.
type mergeRange struct {
	c1, r1, c2, r2 int
	value          string
	numeric        bool
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
	clear(x.fill)
	isHeader := false
	if x.header == 0 && !blank(cells) {
		x.header, isHeader = x.n, true
	}
	for _, m := range x.active {
		if m.r1 == x.n && m.c1 <= len(cells) {
			m.value = cells[m.c1-1]
			m.numeric = x.kinds.numeric(x.n, m.c1-1)
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
		if x.fill == nil {
			x.fill = map[int]bool{}
		}
		for c := m.c1; c <= c2; c++ {
			cells[c-1] = m.value
			x.fill[c-1] = m.numeric
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
	if zf.UncompressedSize64 > xlsxBombSize && zf.UncompressedSize64 > xlsxBombRatio*max(zf.CompressedSize64, 1) {
		return nil, fmt.Errorf("the worksheet inflates from %d KiB to %d MiB (%d:1), as a zip bomb does (a real sheet compresses about 10:1); save it as CSV, or split it",
			zf.CompressedSize64>>10, zf.UncompressedSize64>>20, zf.UncompressedSize64/max(zf.CompressedSize64, 1))
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

func (s *wbSheet) hidden() bool      { return s.state != "" && s.state != "visible" }
func (s *wbSheet) isWorksheet() bool { return strings.HasSuffix(s.relType, "/worksheet") }

// wbChoice is the worksheet chosen to be read.
type wbChoice struct {
	sheet      *wbSheet
	pos        int        // its position among the worksheets, 1-based
	worksheets []*wbSheet // the workbook's worksheets (not chart sheets), in order
	others     []string   // other visible worksheets holding data (findOthers)
}

// chooseWorksheet finds the worksheet want names: a worksheet's name
// (trimmed, regardless of case), else its position among the worksheets
// (1-based, hidden ones counted); empty, the first visible worksheet.
func chooseWorksheet(parts map[string]*zip.File, charset charsetFunc, want string) (*wbChoice, error) {
	sheets, err := workbookSheets(parts, charset)
	if err != nil {
		return nil, err
	}
	c := &wbChoice{}
	for i := range sheets {
		if sheets[i].isWorksheet() {
			c.worksheets = append(c.worksheets, &sheets[i])
		}
	}
	pick := func(s *wbSheet) (*wbChoice, error) {
		// excelize finds a sheet by its name regardless of case: two
		// such names (which Excel does not allow) could read the other.
		for i := range sheets {
			if o := &sheets[i]; o != s && strings.EqualFold(o.name, s.name) {
				return nil, fmt.Errorf("the workbook has two sheets named %q and %q, which differ only in case; rename one", s.name, o.name)
			}
		}
		for i, w := range c.worksheets {
			if w == s {
				c.sheet, c.pos = s, i+1
			}
		}
		return c, nil
	}
	want = strings.TrimSpace(want)
	if want == "" {
		for _, s := range c.worksheets {
			if !s.hidden() {
				return pick(s)
			}
		}
		if len(sheets) == 0 {
			return nil, errors.New("the workbook has no sheet")
		}
		var names []string
		for i := range sheets {
			names = append(names, fmt.Sprintf("%q", sheets[i].name))
		}
		return nil, fmt.Errorf("the workbook has no visible worksheet (sheets: %s)", strings.Join(names, ", "))
	}
	for i := range sheets {
		if s := &sheets[i]; strings.EqualFold(strings.TrimSpace(s.name), want) {
			if !s.isWorksheet() {
				return nil, fmt.Errorf("the sheet %q is a chart or another kind of sheet, not a worksheet of rows; the workbook's worksheets: %s", s.name, c.list())
			}
			return pick(s)
		}
	}
	if n, ok := sheetPosition(want); ok {
		switch {
		case n < 1 || n > len(c.worksheets):
			return nil, fmt.Errorf("there is no worksheet %s: the workbook's worksheets are %s", want, c.list())
		case c.worksheets[n-1].hidden():
			return nil, fmt.Errorf("worksheet %d is %q, which is hidden: give its name to read it (the workbook's worksheets: %s)", n, c.worksheets[n-1].name, c.list())
		}
		return pick(c.worksheets[n-1])
	}
	return nil, fmt.Errorf("no worksheet is named %q: the workbook's worksheets are %s", want, c.list())
}

// sheetPosition reads a worksheet's position: decimal digits only.
func sheetPosition(s string) (int, bool) {
	if s == "" || len(s) > 6 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// list names the worksheets with their positions: 1 "Notes" (hidden),
// 2 "Approved 2025".
func (c *wbChoice) list() string {
	const most = 30
	if len(c.worksheets) == 0 {
		return "none"
	}
	var out []string
	for i, s := range c.worksheets {
		if i == most {
			out = append(out, fmt.Sprintf("and %d more", len(c.worksheets)-most))
			break
		}
		e := fmt.Sprintf("%d %q", i+1, s.name)
		if s.hidden() {
			e += " (hidden)"
		}
		out = append(out, e)
	}
	return strings.Join(out, ", ")
}

// findOthers lists the visible worksheets, other than the one chosen,
// that hold data. Hidden worksheets are left out: a workbook's author
// hides lookup lists and notes, not the data to import.
func (c *wbChoice) findOthers(parts map[string]*zip.File, charset charsetFunc) {
	budget := 1 << 22 // XML tokens over all the worksheets
	for _, s := range c.worksheets {
		if s != c.sheet && !s.hidden() && worksheetHasData(parts[partKey(s.part)], charset, &budget) {
			c.others = append(c.others, s.name)
		}
	}
}

// describe is what SheetName says.
func (c *wbChoice) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q (%d of %d", c.sheet.name, c.pos, len(c.worksheets))
	if c.sheet.hidden() {
		b.WriteString(", hidden")
	}
	b.WriteString(")")
	if len(c.others) > 0 {
		b.WriteString("; other worksheets not read: ")
		const most = 3
		for i, n := range c.others {
			if i == most {
				fmt.Fprintf(&b, " and %d more", len(c.others)-most)
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q", n)
		}
	}
	return b.String()
}

// worksheetHasData reports whether a worksheet holds a cell with a value
// or a formula, reading up to the first one. A worksheet not read to its
// end within the budget of XML tokens (shared by the caller's calls) is
// taken to hold data.
func worksheetHasData(zf *zip.File, charset charsetFunc, budget *int) bool {
	if zf == nil {
		return false
	}
	rc, err := zf.Open()
	if err != nil {
		return false
	}
	defer rc.Close()
	d := xml.NewDecoder(bufio.NewReaderSize(io.LimitReader(rc, xlsxUnzipLimit), 16<<10))
	d.CharsetReader = charset
	inV := false
	for ; *budget > 0; *budget-- {
		tok, err := d.RawToken()
		if err != nil {
			return false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "v":
				inV = true
			case "is", "f":
				return true
			}
		case xml.CharData:
			if inV && len(bytes.TrimSpace(t)) > 0 {
				return true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v":
				inV = false
			case "sheetData":
				return false
			}
		}
	}
	return true
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

// cellKinds reads the worksheet's XML a second time, beside excelize's
// iterator (which gives cells' text only), to tell which cells are numbers
// shown by a number format. It reads forward, a row only when asked for
// it (or a later one).
type cellKinds struct {
	zf      *zip.File
	charset charsetFunc
	text    []bool // by cell style: its number format is Text ("@")

	rc   io.ReadCloser
	d    *xml.Decoder
	done bool   // no more rows, or the XML could not be read
	row  int    // the row read last
	num  []bool // its cells by column index: numeric
}

// numeric reports whether the cell at column index col of row is numeric.
func (k *cellKinds) numeric(row, col int) bool {
	for !k.done && k.row < row {
		k.readRow()
	}
	return k.row == row && col >= 0 && col < len(k.num) && k.num[col]
}

func (k *cellKinds) close() {
	k.done = true
	if k.rc != nil {
		_ = k.rc.Close()
		k.rc, k.d = nil, nil
	}
}

// readRow reads the next row element's cells.
func (k *cellKinds) readRow() {
	defer func() {
		if p := recover(); p != nil {
			k.close()
		}
	}()
	if k.d == nil {
		if k.zf == nil {
			k.close()
			return
		}
		rc, err := k.zf.Open()
		if err != nil {
			k.close()
			return
		}
		k.rc = rc
		k.d = xml.NewDecoder(bufio.NewReaderSize(io.LimitReader(rc, xlsxUnzipLimit), 64<<10))
		k.d.CharsetReader = k.charset
	}
	// scanWorksheet checked the XML: RawToken, which does not check
	// nesting again, will do.
	for {
		tok, err := k.d.RawToken()
		if err != nil {
			k.close()
			return
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "row" {
				continue
			}
			n := k.row + 1
			if r, err := strconv.Atoi(attrValue(t, "r")); err == nil && r > 0 {
				n = r
			}
			k.row = n
			k.num = k.num[:0]
			k.readCells()
			return
		case xml.EndElement:
			if t.Name.Local == "sheetData" {
				k.close()
				return
			}
		}
	}
}

// readCells reads a row's cells up to the row's end.
func (k *cellKinds) readCells() {
	col := 0
	for {
		tok, err := k.d.RawToken()
		if err != nil {
			k.close()
			return
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "c" {
				continue
			}
			col++
			if r := attrValue(t, "r"); r != "" {
				if c, _, err := excelize.CellNameToCoordinates(r); err == nil {
					col = c
				}
			}
			typ := attrValue(t, "t")
			style, _ := strconv.Atoi(attrValue(t, "s"))
			if !k.cellHasValue() {
				continue
			}
			if (typ == "" || typ == "n") && (style < 0 || style >= len(k.text) || !k.text[style]) {
				for len(k.num) < col {
					k.num = append(k.num, false)
				}
				k.num[col-1] = true
			}
		case xml.EndElement:
			if t.Name.Local == "row" {
				return
			}
		}
	}
}

// cellHasValue reads a cell's elements up to its end: whether it has a
// value (<v>) that is not blank.
func (k *cellKinds) cellHasValue() bool {
	has, inV := false, false
	for {
		tok, err := k.d.RawToken()
		if err != nil {
			return has
		}
		switch t := tok.(type) {
		case xml.StartElement:
			inV = t.Name.Local == "v"
		case xml.CharData:
			if inV && len(bytes.TrimSpace(t)) > 0 {
				has = true
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "v":
				inV = false
			case "c":
				return has
			}
		}
	}
}

// textStyles tells, by cell style, which show a number with the Text
// format: built-in 49 ("@") or a custom format of a text section alone.
func textStyles(f *excelize.File) []bool {
	st := f.Styles
	if st == nil || st.CellXfs == nil {
		return nil
	}
	text := map[int]bool{49: true}
	if st.NumFmts != nil {
		for _, nf := range st.NumFmts.NumFmt {
			if nf == nil {
				continue
			}
			code := nf.FormatCode16
			if code == "" {
				code = nf.FormatCode
			}
			text[nf.NumFmtID] = strings.Contains(code, "@") && !strings.Contains(code, ";")
		}
	}
	out := make([]bool, len(st.CellXfs.Xf))
	for i, xf := range st.CellXfs.Xf {
		out[i] = xf.NumFmtID != nil && text[*xf.NumFmtID]
	}
	return out
}

// numberMarks strips the group separators a number format shows.
var numberMarks = strings.NewReplacer(",", "", " ", "", "\u00a0", "", "'", "")

// mangledCode says what a number cell has done to a code of the field
// (FieldSOC, FieldCIP, FieldNAICS) that was typed into it: shown is the
// cell's text as its number format shows it (as xlsxRows reads it; a date
// is YYYY-MM-DD). It returns "" when shown is the code as written, or
// a code in a form that loses nothing as a number, and otherwise a message
// saying what the cell holds, the code it probably was, and the fix.
//
// A number keeps no leading zero and no trailing zero of a fraction:
//
//   - CIP (NN.NNNN, groups NN.NN, series NN): "51.3901" (two digits, a
//     point, four) and "110701" or "1107" (a code without its point, whose
//     series is 10 or above) are fine. "1.0101" lost a leading zero
//     (01.0101), "11.071" a trailing one (11.0710), "10101" the leading
//     zero of 010101; "11.07" is 11.0700 as well as the group 11.07, "46"
//     46.0000 as well as the series 46: ambiguous, so each is a message.
//   - SOC (NN-NNNN): a number is fine. No SOC code starts with 0 and none
//     has a fraction, so 291141 is 29-1141 ("151252.00" too, which
//     NormalizeSOC reads); a wrong number of digits is a typing mistake
//     that the code's own check reports. But Excel makes a date of
//     11-YYYY typed into a General cell (11-2011 is November 2011): a
//     date 11/1/YYYY is SOC 11-YYYY, and any other date a message.
//   - NAICS (2 to 6 digits, none with a leading zero): an integer is fine;
//     decimals ("541512.00") are a format's and a message.
//
// For every field, a number its format shows otherwise ("151,252", "$46",
// "1.5E+05") is a message; a date in a CIP cell is probably NN.NN typed
// where dates are written day.month (11.07 is 11 July).
func mangledCode(field, shown string) string {
	var label string
	switch field {
	case FieldSOC:
		label = "SOC"
	case FieldCIP:
		label = "CIP"
	case FieldNAICS:
		label = "NAICS"
	default:
		return ""
	}
	t := strings.TrimSpace(shown)
	if t == "" {
		return ""
	}
	if day, err := time.Parse("2006-01-02", t); err == nil {
		switch {
		case field == FieldSOC && day.Month() == time.November && day.Day() == 1:
			code := fmt.Sprintf("11-%04d", day.Year())
			return fmt.Sprintf("the cell is the date November %d, which a spreadsheet makes of the SOC code %s typed into a General-format cell", day.Year(), code) + retypeCode(code)
		case field == FieldCIP:
			code := fmt.Sprintf("%02d.%02d", day.Day(), int(day.Month()))
			return fmt.Sprintf("the cell is the date %s, which a spreadsheet that writes dates day.month makes of %s typed into a General-format cell", t, code) + retypeCode(code)
		}
		return fmt.Sprintf("the cell is the date %s, not a %s code", t, label) + retypeCode("")
	}
	head, tail, dot := strings.Cut(t, ".")
	if !digits(head) || (dot && !digits(tail)) {
		if n := numberMarks.Replace(t); digits(n) {
			return fmt.Sprintf("the cell is the number %s, which its number format shows as %q", n, t) + retypeCode("")
		}
		return fmt.Sprintf("the cell is a number that its number format shows as %q, not a %s code", t, label) + retypeCode("")
	}
	switch field {
	case FieldSOC, FieldNAICS:
		if !dot || (field == FieldSOC && tail == "00") || strings.Trim(tail, "0") != "" {
			return "" // an integer loses nothing; a fraction is the code check's
		}
		return fmt.Sprintf("the cell is the number %s, which its number format shows with decimals (%s)", head, t) + retypeCode(head)
	}
	// CIP.
	if head[0] == '0' {
		return "" // not from a code: the code check's
	}
	if !dot {
		switch len(head) {
		case 6, 4:
			return ""
		case 5, 3:
			written := "0" + head
			code := written[:2] + "." + written[2:]
			return fmt.Sprintf("the cell is the number %s, which is what a General-format cell makes of %s (CIP %s), its leading zero lost", head, written, code) + retypeCode(code)
		case 2, 1:
			h := pad2(head)
			return ambiguousCode(t, h+".0000", "the series "+h, h+".0000 or "+h)
		}
		return ""
	}
	if len(head) > 2 || len(tail) > 4 {
		return ""
	}
	lead := len(head) == 1
	h := pad2(head)
	switch len(tail) {
	case 4:
		if !lead {
			return ""
		}
		return lostZeros(t, h+"."+tail, "leading zero")
	case 3:
		what := "trailing zero"
		if lead {
			what = "leading and trailing zeros"
		}
		return lostZeros(t, h+"."+tail+"0", what)
	case 2:
		return ambiguousCode(t, h+"."+tail+"00", "the group "+h+"."+tail, h+"."+tail+"00 or "+h+"."+tail)
	default: // 1
		return ambiguousCode(t, h+"."+tail+"000", "the group "+h+"."+tail+"0", h+"."+tail+"000 or "+h+"."+tail+"0")
	}
}

func lostZeros(number, code, what string) string {
	return fmt.Sprintf("the cell is the number %s, which is what a General-format cell makes of %s, its %s lost", number, code, what) + retypeCode(code)
}

func ambiguousCode(number, one, other, codes string) string {
	return fmt.Sprintf("the cell is the number %s, which a General-format cell shows for %s as well as for %s", number, one, other) + retypeCode(codes)
}

// retypeCode is the fix for a code a number cell changed.
func retypeCode(code string) string {
	if code != "" {
		code = " (" + code + ")"
	}
	return ": format the column as Text and type the code as it is written" + code + ", or type an apostrophe before the code, then import again"
}

// pad2 gives a series of one digit its leading zero.
func pad2(head string) string {
	if len(head) == 1 {
		return "0" + head
	}
	return head
}

func digits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
