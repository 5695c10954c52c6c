package ingest

import (
	"fmt"
	"io"
	"mime"
	"path/filepath"
	"strings"

	"credreg/schema"
)

// Input formats.
const (
	FormatCSV    = "csv"
	FormatXLSX   = "xlsx"
	FormatCTDL   = "ctdl"
	FormatNQuads = "nquads"
)

// Formats lists the input formats.
var Formats = []string{FormatCSV, FormatXLSX, FormatCTDL, FormatNQuads}

// FormatOfFile guesses a format from a file name's extension.
func FormatOfFile(name string) (string, bool) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".txt":
		return FormatCSV, true
	case ".xlsx":
		return FormatXLSX, true
	case ".json", ".jsonld":
		return FormatCTDL, true
	case ".nq", ".nquads", ".nt", ".ntriples":
		return FormatNQuads, true
	}
	return "", false
}

// FormatOfMediaType maps a Content-Type to a format.
func FormatOfMediaType(ct string) (string, bool) {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", false
	}
	switch mt {
	case "text/csv":
		return FormatCSV, true
	case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
		return FormatXLSX, true
	case "application/ld+json", "application/json":
		return FormatCTDL, true
	case "application/n-quads", "application/n-triples":
		return FormatNQuads, true
	}
	return "", false
}

// Config is what a Source needs besides its input.
type Config struct {
	Base  schema.Base
	Sheet SheetOptions // for CSV and XLSX
}

// NewSource returns the Source for format reading r (size in bytes, 0 if
// unknown), named name in problems.
func NewSource(format, name string, r io.Reader, size int64, cfg Config) (Source, error) {
	switch format {
	case FormatCSV:
		return CSV(name, r, size, cfg.Sheet)
	case FormatXLSX:
		return XLSX(name, r, size, cfg.Sheet)
	case FormatCTDL:
		return CTDL(name, r, cfg.Base)
	case FormatNQuads:
		return NQuads(name, r, size, cfg.Base)
	}
	return nil, fmt.Errorf("unknown format %q: use one of %s", format, strings.Join(Formats, ", "))
}
