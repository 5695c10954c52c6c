package ingest

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
)

// WriteTable prints the worksheet read, when the report names one
// (file.xlsx, worksheet "Approved 2025" (2 of 3)), and the report's
// problems as a table, at most max rows (0 means all), and says how many
// more there are.
func WriteTable(w io.Writer, r *Report, max int) {
	if r.Sheet != "" {
		fmt.Fprintf(w, "%s, worksheet %s\n", r.File, r.Sheet)
	}
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
		fmt.Fprintf(w, "... and %d more problems (write them all with --report FILE)\n", len(r.Problems)-max+r.ProblemsOmitted)
	} else if r.ProblemsOmitted > 0 {
		fmt.Fprintf(w, "... and %d more problems, not kept\n", r.ProblemsOmitted)
	}
}

// WriteWarnings prints a report's warnings (what was imported but
// deserves a look) as a table, at most max rows (0 means all).
func WriteWarnings(w io.Writer, r *Report, max int) {
	if len(r.Warnings) == 0 {
		return
	}
	n := len(r.Warnings) + r.WarningsOmitted
	noun := "warnings"
	if n == 1 {
		noun = "warning"
	}
	fmt.Fprintf(w, "%d %s (imported, worth a look):\n", n, noun)
	WriteTable(w, &Report{Problems: r.Warnings}, max)
	if r.WarningsOmitted > 0 {
		fmt.Fprintf(w, "... and %d more warnings not kept in the report\n", r.WarningsOmitted)
	}
}

// WriteClasses prints the counts by class and of references, for readers
// that know classes (CTDL).
func WriteClasses(w io.Writer, r *Report) {
	if len(r.Classes) == 0 {
		return
	}
	names := make([]string, 0, len(r.Classes))
	for n := range r.Classes {
		names = append(names, n)
	}
	sort.Strings(names)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CLASS\tIMPORTED\tWITH WARNINGS\tREJECTED")
	for _, n := range names {
		c := r.Classes[n]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", n, c.Imported, c.Warnings, c.Rejected)
	}
	_ = tw.Flush()
	ref := r.References
	fmt.Fprintf(w, "references to other records: %d resolved (%d gained properties they lacked), %d created, %d left as links to records the registry does not hold\n",
		ref.Resolved, ref.Extended, ref.Created, ref.Dangling)
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
