package server

// GET /reports/clusters: credentials of value per Career Cluster and
// Sub-Cluster on a day, by agency, type and region, with the agencies'
// agreement; JSON-LD, N-Quads, CSV and HTML with an inline SVG bar chart.

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"credreg/catalog"
	"credreg/ingest"
)

func (s *Server) clusterReport(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	for name, vals := range v {
		if name != "date" && name != "format" {
			writeProblemDoc(w, r, problem{Status: http.StatusBadRequest, Parameter: name,
				Detail: fmt.Sprintf("unknown parameter %q; the report takes date (YYYY-MM-DD) and format", name)})
			return
		}
		if len(vals) > 1 {
			writeProblemDoc(w, r, problem{Status: http.StatusBadRequest, Parameter: name, Detail: fmt.Sprintf("%s is given %d times; give it once", name, len(vals))})
			return
		}
	}
	f, ok := pickListFormat(w, r)
	if !ok {
		return
	}
	day := v.Get("date")
	if day == "" {
		day = today()
	}
	rep, err := s.cat.ClusterReport(r.Context(), day)
	if err != nil {
		s.listError(w, r, err)
		return
	}
	iri := s.base.String() + "/reports/clusters?date=" + url.QueryEscape(rep.Day)
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "public, max-age=60")
	h.Set("X-Content-Type-Options", "nosniff")
	var body []byte
	switch f {
	case formatHTML:
		s.writePage(w, r, http.StatusOK, "report", s.reportPage(rep))
		return
	case formatCSV:
		var b strings.Builder
		b.WriteString("\ufeff")
		cw := csv.NewWriter(&b)
		for _, row := range rep.Columns() {
			for i, c := range row {
				row[i] = ingest.GuardCell(c)
			}
			_ = cw.Write(row)
		}
		cw.Flush()
		body = []byte(b.String())
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="clusters-%s.csv"`, rep.Day))
	default:
		js, nq, err := rep.Render(s.base, iri)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		body = js
		if f != formatJSONLD {
			body = nq
		}
		h.Add("Link", fmt.Sprintf(`<%s>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`, s.base.Context()))
	}
	if h.Get("Content-Type") != typeJSON {
		h.Set("Content-Type", f.contentType())
	}
	sum := sha256.Sum256(body)
	h.Set("ETag", fmt.Sprintf(`"%s-%s-%s"`, hex.EncodeToString(sum[:8]), s.renderTag, f))
	http.ServeContent(w, r, "", time.Time{}, strings.NewReader(string(body)))
}

// reportPage is the report's HTML page.
type reportPage struct {
	pageData
	Report *catalog.ClusterReport
	Chart  reportChart
	Rows   []reportRow
}

type reportRow struct {
	catalog.ClusterRow
	Sub      bool
	Agencies string
	Types    string
	Regions  string
	Href     string // the list of its credentials of value
}

// reportChart is a horizontal bar chart of credentials of value per
// Cluster, laid out for inline SVG.
type reportChart struct {
	Width, Height int
	Bars          []reportBar
	Description   string
}

type reportBar struct {
	Label          string
	N              int
	Y, TextY       int
	BarX, BarWidth int
	ValueX         int
}

const (
	chartWidth  = 720
	chartLabels = 280 // width of the label column
	chartBar    = 22
	chartGap    = 8
)

func (s *Server) reportPage(rep *catalog.ClusterReport) *reportPage {
	p := &reportPage{
		pageData: pageData{Title: "Credentials of value by Career Cluster", Base: s.base.String(), Section: "reports", Alternates: []alternate{
			{typeJSONLD, "?date=" + rep.Day + "&format=jsonld", "JSON-LD"},
			{typeNQuads, "?date=" + rep.Day + "&format=nq", "N-Quads"},
			{typeCSV, "?date=" + rep.Day + "&format=csv", "CSV"},
		}},
		Report: rep,
	}
	max := 1
	for _, row := range rep.Rows {
		if row.Parent == "" && row.Credentials > max {
			max = row.Credentials
		}
	}
	var desc []string
	y := 0
	for _, row := range rep.Rows {
		rr := reportRow{ClusterRow: row, Sub: row.Parent != "",
			Agencies: countText(row.ByAgency), Types: countText(row.ByType), Regions: countText(row.ByRegion)}
		param := "cluster"
		if rr.Sub {
			param = "subcluster"
		}
		rr.Href = "/credentials?" + url.Values{param: {row.Notation}, "active": {rep.Day}}.Encode()
		p.Rows = append(p.Rows, rr)
		if rr.Sub {
			continue
		}
		w := row.Credentials * (chartWidth - chartLabels - 60) / max
		p.Chart.Bars = append(p.Chart.Bars, reportBar{Label: row.Label, N: row.Credentials, Y: y, TextY: y + chartBar/2 + 5,
			BarX: chartLabels, BarWidth: w, ValueX: chartLabels + w + 6})
		desc = append(desc, fmt.Sprintf("%s: %d", row.Label, row.Credentials))
		y += chartBar + chartGap
	}
	p.Chart.Width, p.Chart.Height = chartWidth, y
	p.Chart.Description = "Credentials of value per Career Cluster on " + rep.Day + ". " + strings.Join(desc, "; ") + "."
	return p
}

// countText writes counts as "A 3, B 2".
func countText(cs []catalog.Count) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s %d", c.Label, c.N)
	}
	return strings.Join(parts, ", ")
}
