package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// csvRows reads CSV rows: a UTF-8 byte-order mark is dropped, CRLF and
// quoted newlines are handled, ragged rows are accepted. A row's number is
// the line it starts on.
type csvRows struct {
	r    *csv.Reader
	cr   *countingReader
	size int64
	row  int
}

// CSV returns a Source reading a spreadsheet saved as CSV from r (size is
// its length in bytes, or 0 if unknown, for progress).
func CSV(name string, r io.Reader, size int64, opts SheetOptions) (Source, error) {
	if opts.Resolver == nil {
		return nil, errors.New("ingest.CSV: a Resolver is required")
	}
	if strings.TrimSpace(opts.Sheet) != "" {
		return nil, errors.New("--sheet applies to XLSX workbooks only")
	}
	cr := &countingReader{r: r}
	br := bufio.NewReaderSize(cr, 64<<10)
	if bom, err := br.Peek(3); err == nil && bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	c := csv.NewReader(br)
	c.FieldsPerRecord = -1
	c.LazyQuotes = true
	c.ReuseRecord = false
	return newSheet(name, &csvRows{r: c, cr: cr, size: size}, opts), nil
}

func (c *csvRows) next() ([]string, int, error) {
	rec, err := c.r.Read()
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, pe.StartLine, fmt.Errorf("line %d, column %d: %w", pe.StartLine, pe.Column, pe.Err)
		}
		return nil, c.row + 1, fmt.Errorf("after line %d: %w", c.row, err)
	}
	// Rows are lines: what a text editor shows and, without multi-line
	// cells, what a spreadsheet shows.
	c.row, _ = c.r.FieldPos(0)
	return rec, c.row, nil
}

func (c *csvRows) position() (int64, int64) { return c.cr.n, c.size }

// numeric implements rowReader: a CSV cell is text.
func (c *csvRows) numeric(int) bool { return false }

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
