// Package ingesttest generates synthetic agency spreadsheets for tests and
// benchmarks of the ingest package: realistic rows in the default column
// layout, with a chosen share of bad rows.
package ingesttest

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// Codes used by the synthetic rows; all are in the fixtures' code lists.
var (
	socCodes   = []string{"15-1212", "15-1244", "15-1232", "29-2061", "49-3031", "51-4041", "47-2111", "43-4051", "11-9021", "13-2011"}
	cipCodes   = []string{"11.1003", "11.0901", "51.3901", "47.0605", "48.0501", "46.0302", "52.0301"}
	naicsCodes = []string{"541512", "622110", "811111", "332710", "238210", "541211"}
	subCluster = []string{"Network Systems & Cybersecurity", "IT Support & Services", "Physical Health", "Skilled Trades", "Production & Automation", "Accounting", "Maintenance & Repair"}
	types      = []string{"Certification", "Certificate", "License", "Associate Degree", "Apprenticeship Certificate", "Badge"}
	regions    = []string{"Statewide", "Northeast Heartland Workforce Region", "River Valley Workforce Region"}
)

// Header is the header row of the synthetic sheets.
var Header = []string{"Local ID", "Credential Name", "Type", "Owner", "Description", "SOC Codes", "CIP Codes", "NAICS Codes",
	"Sub-Cluster", "Region", "High Wage", "High Skill", "In Demand", "Median Wage", "Openings", "Data Source", "Data Year", "Valid From", "Valid Through"}

// Options shapes a synthetic sheet.
type Options struct {
	// BadEvery makes every BadEvery-th row invalid (0: none). Bad rows
	// carry a malformed SOC code and an unknown Sub-Cluster.
	BadEvery int
	// Owners is the number of distinct owning organizations (default 200).
	Owners int
	// Seed varies names, so that two sheets of one seed are identical.
	Seed int
}

// Row returns the cells of row i (0-based).
func Row(i int, o Options) []string {
	owners := o.Owners
	if owners <= 0 {
		owners = 200
	}
	soc := socCodes[i%len(socCodes)] + "; " + socCodes[(i/3+1)%len(socCodes)]
	sub := subCluster[i%len(subCluster)]
	if o.BadEvery > 0 && i%o.BadEvery == o.BadEvery-1 {
		soc = "15-12" // malformed
		sub = "Underwater Basket Weaving"
	}
	yes := func(b bool) string {
		if b {
			return "Y"
		}
		return "N"
	}
	return []string{
		"S" + strconv.Itoa(o.Seed) + "-" + strconv.Itoa(i),
		fmt.Sprintf("Synthetic Credential %d-%d", o.Seed, i),
		types[i%len(types)],
		fmt.Sprintf("Synthetic Training Provider %d", i%owners),
		fmt.Sprintf("A synthetic credential number %d for load tests, covering skills of its occupations.", i),
		soc,
		cipCodes[i%len(cipCodes)],
		naicsCodes[i%len(naicsCodes)],
		sub,
		regions[i%len(regions)],
		yes(i%2 == 0), yes(i%3 == 0), yes(i%5 != 0),
		strconv.Itoa(38000 + (i*37)%60000),
		strconv.Itoa(50 + i%900),
		"Heartland Workforce Commission, OEWS",
		"2025",
		"2025-07-01",
		"2027-06-30",
	}
}

// WriteCSV writes a header and n rows.
func WriteCSV(w io.Writer, n int, o Options) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if err := cw.Write(Row(i, o)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
