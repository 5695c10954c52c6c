package ingest

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable prints a report's problems as a table, at most max rows (0
// means all), and says how many more there are.
func WriteTable(w io.Writer, r *Report, max int) {
	if len(r.Problems) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tROW\tCOLUMN\tVALUE\tPROBLEM")
	for i, p := range r.Problems {
		if max > 0 && i == max {
			break
		}
		row := ""
		if p.Row > 0 {
			row = fmt.Sprint(p.Row)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.File, row, cell(p.Column, 30), cell(p.Value, 30), p.Message)
	}
	_ = tw.Flush()
	if max > 0 && len(r.Problems) > max {
		fmt.Fprintf(w, "... and %d more problems (write them all with --report FILE)\n", len(r.Problems)-max)
	}
}

func cell(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
	if len([]rune(s)) > n {
		return string([]rune(s)[:n-1]) + "…"
	}
	return s
}
