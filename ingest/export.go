package ingest

import (
	"sort"
	"strings"

	"credreg/catalog"
	"credreg/schema"
)

// ExportHeader is the header row of a list export (ListRows): the default
// sheet layout's own column names, so that CSV and XLSX read an export
// back, followed by columns for people that an import ignores.
var ExportHeader = []string{
	"CTID", "Name", "Type", "Owner", "Offered By", "Description", "URL", "SOC Codes", "CIP Codes", "NAICS Codes", "Competencies",
	"Cluster", "Sub-Cluster", "Agency", "Designation CTID", "Local Key", "Region",
	"High Wage", "High Skill", "In Demand", "Stackable", "Industry Recognized", "Criteria",
	"Median Wage", "Openings", "Data Source", "Data Year", "Valid From", "Valid Through",
	// An import reads "retired" in Status and Credential Status (with the
	// date and reason) and ignores the other statuses, which follow from
	// the dates.
	"Status", "Retired On", "Retirement Reason", "Credential Status",
	// Read by people, not by an import:
	"Last Verified", "Superseded By", "Credential IRI", "Designation IRI",
}

// flagCriteria are the criteria with a yes/no column of their own, in
// ExportHeader's order.
var flagCriteria = []string{"high-wage", "high-skill", "in-demand", "stackable", "industry-recognized"}

// formulaStarts are the first characters that make a spreadsheet read a
// cell as a formula.
const formulaStarts = "=+-@\t\r"

// GuardCell puts an apostrophe before a cell that a spreadsheet would
// otherwise run as a formula (OWASP's CSV injection advice); the sheet
// readers take it off again.
func GuardCell(c string) string {
	if c != "" && strings.ContainsRune(formulaStarts, rune(c[0])) {
		return "'" + c
	}
	return c
}

// ListRows returns the rows of a page of the umbrella list in
// ExportHeader's layout: one per credential and designation, and one for a
// credential shown without any. Cells are guarded (GuardCell). Status is
// the designation's on the page's day ("" for a credential alone).
func ListRows(page *catalog.ListPage) [][]string {
	var rows [][]string
	name := func(iri string) string {
		if t, ok := page.Terms[iri]; ok && t.Label != "" {
			return t.Label
		}
		return iri
	}
	code := func(iris []string) string {
		out := make([]string, 0, len(iris))
		for _, iri := range iris {
			switch t := page.Terms[iri]; {
			case t.Notation != "":
				out = append(out, t.Notation)
			case strings.Contains(iri, "/schemes/"):
				// a concept the registry does not hold: its code is the
				// last segment of its IRI, which an import reads back
				out = append(out, iri[strings.LastIndexByte(iri, '/')+1:])
			default:
				out = append(out, iri)
			}
		}
		return strings.Join(out, "; ")
	}
	ctids := func(iris []string) string {
		out := make([]string, 0, len(iris))
		for _, iri := range iris {
			out = append(out, iri[strings.LastIndexByte(iri, '/')+1:])
		}
		return strings.Join(out, "; ")
	}
	for _, it := range page.Items {
		v := it.Credential
		var types, owners, offerers []string
		for _, t := range v.Types {
			if n, ok := schema.CredentialTypes[t]; ok {
				types = append(types, n)
			}
		}
		sort.Strings(types)
		for _, o := range v.OwnedBy {
			owners = append(owners, name(o))
		}
		for _, o := range v.OfferedBy {
			offerers = append(offerers, name(o))
		}
		cred := []string{v.CTID, v.Name, firstOf(types), firstOf(owners), strings.Join(offerers, "; "), v.Description, v.SubjectWebpage,
			code(v.Occupations), code(v.Programs), code(v.Industries), ctids(v.Competencies)}
		credStatus := ""
		if v.Retired {
			credStatus = catalog.StatusRetiredNow
		}
		tail := func(verified, desIRI string) []string {
			return []string{credStatus, verified, strings.Join(v.SupersededBy, "; "), v.IRI, desIRI}
		}
		keyOf := func(agency string) string {
			for _, id := range v.Identifiers {
				if id.Source == agency {
					return id.Code
				}
			}
			return ""
		}
		if len(it.Designations) == 0 {
			row := append(append([]string{}, cred...), make([]string, 21)...)
			rows = append(rows, guard(append(row, tail(v.LastVerified, "")...)))
			continue
		}
		for _, d := range it.Designations {
			var clusters, subs, others []string
			for _, c := range d.Clusters {
				clusters = append(clusters, name(c))
			}
			for _, c := range d.SubClusters {
				subs = append(subs, name(c))
			}
			has := map[string]bool{}
			for _, c := range d.Criteria {
				notation := page.Terms[c].Notation
				if notation == "" {
					notation = c[strings.LastIndexByte(c, '/')+1:]
				}
				has[notation] = true
				if !contains(flagCriteria, notation) {
					others = append(others, notation)
				}
			}
			row := append([]string{}, cred...)
			row = append(row, strings.Join(clusters, "; "), strings.Join(subs, "; "), name(d.Agency), d.CTID, keyOf(d.Agency), d.Region)
			for _, f := range flagCriteria {
				row = append(row, yesNo(has[f]))
			}
			row = append(row, strings.Join(others, "; "))
			var ev catalog.EvidenceView
			if len(d.Evidence) > 0 {
				ev = d.Evidence[0]
			}
			row = append(row, ev.MedianAnnualWage, ev.ProjectedAnnualOpenings, ev.DataSource, ev.DataYear, d.ValidFrom, d.ValidThrough)
			status := ""
			switch {
			case page.Day != "":
				status = d.StatusOn(page.Day)
			case d.Retired:
				status = catalog.StatusRetiredNow
			}
			retiredOn := d.RetiredOn
			if len(retiredOn) >= 10 {
				retiredOn = retiredOn[:10]
			}
			row = append(row, status, retiredOn, d.RetirementReason)
			verified := d.LastVerified
			if v.LastVerified > verified {
				verified = v.LastVerified
			}
			rows = append(rows, guard(append(row, tail(verified, d.IRI)...)))
		}
	}
	return rows
}

func guard(row []string) []string {
	for i, c := range row {
		row[i] = GuardCell(c)
	}
	return row
}

func firstOf(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func yesNo(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}
