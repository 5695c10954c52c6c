package schema

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestCodeListSizes(t *testing.T) {
	// The official structures: SOC 2018 (BLS), NAICS 2022 (Census; the file's
	// five "99 Unknown" rows are left out), CIP 2020 (NCES, as the file holds it).
	want := map[string]map[CodeLevel]int{
		SchemeSOC: {SOCMajorGroup: 23, SOCMinorGroup: 98, SOCBroadOccupation: 459, SOCDetailedOccupation: 867},
		SchemeNAICS: {NAICSSector: 20, NAICSSubsector: 96, NAICSIndustryGroup: 308, NAICSIndustry: 689,
			NAICSNationalIndustry: 1012},
		SchemeCIP: {CIPSeries: 50, CIPGroup: 473, CIPProgram: 2325},
	}
	total := map[string]int{SchemeSOC: 1447, SchemeNAICS: 2125, SchemeCIP: 2848}
	for _, scheme := range CodeListSchemes() {
		list := CodeList(scheme)
		if len(list) != total[scheme] {
			t.Errorf("%s: %d codes, want %d", scheme, len(list), total[scheme])
		}
		got := map[CodeLevel]int{}
		for _, c := range list {
			got[c.Level]++
		}
		for level, n := range want[scheme] {
			if got[level] != n {
				t.Errorf("%s: %d codes at level %s, want %d", scheme, got[level], level, n)
			}
		}
		if len(got) != len(want[scheme]) {
			t.Errorf("%s: levels %v, want %v", scheme, got, want[scheme])
		}
	}
}

func TestCodeListStructure(t *testing.T) {
	for _, scheme := range CodeListSchemes() {
		seen := map[string]Code{}
		for i, c := range CodeList(scheme) {
			if c.Scheme != scheme {
				t.Errorf("%s #%d: scheme %q", scheme, i, c.Scheme)
			}
			if _, dup := seen[c.Notation]; dup {
				t.Errorf("%s %s: listed twice", scheme, c.Notation)
			}
			if err := CheckNotation(scheme, c.Notation); err != nil {
				t.Errorf("%s: %v", scheme, err)
			}
			if c.Title == "" || c.Level == 0 || c.Level.String() == "" {
				t.Errorf("%s %s: %+v", scheme, c.Notation, c)
			}
			if c.Level.Depth() == 1 {
				if c.Parent != "" {
					t.Errorf("%s %s: top level with parent %s", scheme, c.Notation, c.Parent)
				}
			} else if p, ok := seen[c.Parent]; !ok {
				t.Errorf("%s %s: parent %q not listed before it", scheme, c.Notation, c.Parent)
			} else if p.Level.Depth() != c.Level.Depth()-1 {
				t.Errorf("%s %s (%s): parent %s is a %s", scheme, c.Notation, c.Level, p.Notation, p.Level)
			}
			if got, ok := LookupCode(scheme, c.Notation); !ok || got != c {
				t.Errorf("LookupCode(%s, %s) = %+v, %v; want %+v", scheme, c.Notation, got, ok, c)
			}
			seen[c.Notation] = c
		}
	}
	// The canonical forms the normalizers give are the lists' notations.
	for _, tt := range []struct {
		scheme, in string
		norm       func(string) (string, error)
	}{
		{SchemeSOC, "151252", NormalizeSOC},
		{SchemeSOC, "15-1252.00", NormalizeSOC},
		{SchemeNAICS, "31", NormalizeNAICS},
		{SchemeNAICS, "45", NormalizeNAICS},
		{SchemeNAICS, "49", NormalizeNAICS},
		{SchemeNAICS, "541512", NormalizeNAICS},
		{SchemeCIP, "110701", NormalizeCIP},
		{SchemeCIP, "1.0205", NormalizeCIP},
		{SchemeCIP, "11.07", NormalizeCIP},
		{SchemeCIP, "11", NormalizeCIP},
	} {
		n, err := tt.norm(tt.in)
		if err != nil {
			t.Errorf("%s %q: %v", tt.scheme, tt.in, err)
			continue
		}
		if _, ok := LookupCode(tt.scheme, n); !ok {
			t.Errorf("%s %q normalizes to %q, which is not listed", tt.scheme, tt.in, n)
		}
	}
}

func TestLookupCode(t *testing.T) {
	// Each checked against the reference CSV files.
	tests := []struct {
		scheme, notation, title, parent string
		level                           CodeLevel
	}{
		{SchemeSOC, "11-0000", "Management Occupations", "", SOCMajorGroup},
		{SchemeSOC, "11-1000", "Top Executives", "11-0000", SOCMinorGroup},
		{SchemeSOC, "11-1010", "Chief Executives", "11-1000", SOCBroadOccupation},
		{SchemeSOC, "11-1011", "Chief Executives", "11-1010", SOCDetailedOccupation},
		{SchemeSOC, "51-9161", "Computer Numerically Controlled Tool Operators", "51-9160", SOCDetailedOccupation},
		{SchemeSOC, "51-9162", "Computer Numerically Controlled Tool Programmers", "51-9160", SOCDetailedOccupation},
		{SchemeSOC, "31-9091", "Dental Assistants", "31-9090", SOCDetailedOccupation},
		{SchemeSOC, "37-3012", "Pesticide Handlers, Sprayers, and Applicators, Vegetation", "37-3010", SOCDetailedOccupation},
		{SchemeSOC, "29-2061", "Licensed Practical and Licensed Vocational Nurses", "29-2060", SOCDetailedOccupation},
		{SchemeSOC, "15-1212", "Information Security Analysts", "15-1210", SOCDetailedOccupation},
		{SchemeSOC, "33-3051", "Police and Sheriff\u2019s Patrol Officers", "33-3050", SOCDetailedOccupation},
		{SchemeNAICS, "541512", "Computer Systems Design Services", "54151", NAICSNationalIndustry},
		{SchemeNAICS, "54151", "Computer Systems Design and Related Services", "5415", NAICSIndustry},
		{SchemeNAICS, "31-33", "Manufacturing", "", NAICSSector},
		{SchemeNAICS, "44-45", "Retail Trade", "", NAICSSector},
		{SchemeNAICS, "48-49", "Transportation and Warehousing", "", NAICSSector},
		{SchemeNAICS, "311", "Food Manufacturing", "31-33", NAICSSubsector},
		{SchemeNAICS, "336", "Transportation Equipment Manufacturing", "31-33", NAICSSubsector},
		{SchemeNAICS, "3111", "Animal Food Manufacturing", "311", NAICSIndustryGroup},
		{SchemeNAICS, "11", "Agriculture, Forestry, Fishing and Hunting", "", NAICSSector},
		{SchemeCIP, "01", "Agricultural/Animal/Plant/Veterinary Science and Related Fields", "", CIPSeries},
		{SchemeCIP, "01.00", "Agriculture, General", "01", CIPGroup},
		{SchemeCIP, "01.0000", "Agriculture, General", "01.00", CIPProgram},
		{SchemeCIP, "01.0205", "Agricultural Mechanics and Equipment/Machine Technology/Technician", "01.02", CIPProgram},
		{SchemeCIP, "11", "Computer and Information Sciences and Support Services", "", CIPSeries},
		{SchemeCIP, "11.07", "Computer Science", "11", CIPGroup},
		{SchemeCIP, "15", "Engineering/Engineering-Related Technologies/Technicians", "", CIPSeries},
		{SchemeCIP, "37", "Personal Awareness and Self-Improvement", "", CIPSeries},
		{SchemeCIP, "46.0000", "Construction Trades, General", "46.00", CIPProgram},
		{SchemeCIP, "51.0601", "Dental Assisting/Assistant", "51.06", CIPProgram},
		{SchemeCIP, "51.3901", "Licensed Practical/Vocational Nurse Training", "51.39", CIPProgram},
		{SchemeCIP, "60.0809", "Drug Information Pharmacy Residency/Fellowship Program", "60.08", CIPProgram},
	}
	for _, tt := range tests {
		got, ok := LookupCode(tt.scheme, tt.notation)
		want := Code{Scheme: tt.scheme, Notation: tt.notation, Title: tt.title, Parent: tt.parent, Level: tt.level}
		if !ok || got != want {
			t.Errorf("LookupCode(%s, %s) = %+v, %v; want %+v", tt.scheme, tt.notation, got, ok, want)
		}
	}

	absent := []struct{ scheme, notation string }{
		{SchemeSOC, "51-4011"},    // SOC 2010
		{SchemeSOC, "21-1018"},    // a BLS OEWS aggregate
		{SchemeSOC, "99-9999"},    // no such code
		{SchemeSOC, "15-1252.00"}, // not canonical
		{SchemeSOC, "11-1011.03"}, // O*NET-SOC
		{SchemeNAICS, "31"},       // the sector is 31-33
		{SchemeNAICS, "99"},       // the file's "Unknown" rows are left out
		{SchemeNAICS, "999999"},
		{SchemeCIP, "110701"}, // not canonical
		{SchemeCIP, "01.0205."},
		{SchemeCareerClusters, "060100"},
		{"nope", "11-1011"},
	}
	for _, tt := range absent {
		if c, ok := LookupCode(tt.scheme, tt.notation); ok {
			t.Errorf("LookupCode(%s, %s) = %+v, want none", tt.scheme, tt.notation, c)
		}
	}
}

func TestCodeListMetadata(t *testing.T) {
	tests := []struct{ scheme, title, source string }{
		{SchemeSOC, "Standard Occupational Classification (SOC) 2018", "U.S. Bureau of Labor Statistics"},
		{SchemeNAICS, "North American Industry Classification System (NAICS) 2022", "U.S. Census Bureau"},
		{SchemeCIP, "Classification of Instructional Programs (CIP) 2020", "National Center for Education Statistics"},
	}
	for _, tt := range tests {
		if got := CodeListTitle(tt.scheme); got != tt.title {
			t.Errorf("CodeListTitle(%s) = %q, want %q", tt.scheme, got, tt.title)
		}
		if got := CodeListSource(tt.scheme); got != tt.source {
			t.Errorf("CodeListSource(%s) = %q, want %q", tt.scheme, got, tt.source)
		}
		// The version is the hash of the rows as the generator defines it.
		h := sha256.New()
		for _, c := range CodeList(tt.scheme) {
			fmt.Fprintf(h, "%s\t%s\t%s\t%d\n", c.Notation, c.Title, c.Parent, c.Level.Depth())
		}
		if got, want := CodeListVersion(tt.scheme), "sha256:"+hex.EncodeToString(h.Sum(nil))[:16]; got != want {
			t.Errorf("CodeListVersion(%s) = %q, want %q", tt.scheme, got, want)
		}
	}
	for _, f := range []func(string) string{CodeListTitle, CodeListSource, CodeListVersion} {
		if got := f(SchemeCareerClusters); got != "" {
			t.Errorf("a scheme without an official list: %q", got)
		}
	}
	if CodeList(SchemeCareerClusters) != nil {
		t.Error("CodeList of a scheme without an official list is not nil")
	}
	// CodeList's slice is the caller's.
	l := CodeList(SchemeSOC)
	l[0].Title = "changed"
	if CodeList(SchemeSOC)[0].Title == "changed" {
		t.Error("CodeList shares its slice")
	}
}

func TestCodeLevel(t *testing.T) {
	for _, tt := range []struct {
		level CodeLevel
		name  string
		depth int
	}{
		{SOCMajorGroup, "SOC major group", 1},
		{SOCDetailedOccupation, "SOC detailed occupation", 4},
		{NAICSSector, "NAICS sector", 1},
		{NAICSNationalIndustry, "NAICS national industry", 5},
		{CIPSeries, "CIP series", 1},
		{CIPProgram, "CIP program", 3},
		{0, "", 0},
	} {
		if tt.level.String() != tt.name || tt.level.Depth() != tt.depth {
			t.Errorf("level %d: %q depth %d, want %q depth %d", tt.level, tt.level, tt.level.Depth(), tt.name, tt.depth)
		}
	}
}

// TestCodesGeneratedIsCurrent fails when codes_gen.go is not what the
// generator makes of the official lists: run go generate ./schema.
func TestCodesGeneratedIsCurrent(t *testing.T) {
	dir := referenceDir(t, "codes")
	for _, s := range codeSources {
		data, err := os.ReadFile(filepath.Join(dir, s.File))
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != s.SHA256 {
			t.Errorf("%s changed since codes_gen.go was generated (run go generate ./schema)", s.File)
		}
	}
	out := filepath.Join(t.TempDir(), "codes_gen.go")
	cmd := exec.Command("go", "run", "./internal/codesgen", "-ref", dir, "-out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./internal/codesgen: %v\n%s", err, msg)
	}
	fresh, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	checked, err := os.ReadFile("codes_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(fresh, checked) {
		t.Error("codes_gen.go is stale: run go generate ./schema")
	}
}
