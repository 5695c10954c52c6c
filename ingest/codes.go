package ingest

import "strings"

// SplitList splits a cell holding several values on ';' or '|', trimming
// each and dropping empty ones.
func SplitList(cell string) []string {
	parts := strings.FieldsFunc(cell, func(r rune) bool { return r == ';' || r == '|' })
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
