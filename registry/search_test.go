package registry

import (
	"context"
	"slices"
	"testing"
)

func TestStem(t *testing.T) {
	// Each group's words must share one stem; words of different groups
	// must not.
	groups := [][]string{
		{"weld", "welds", "welding", "welded", "welder", "welders"},
		{"nurse", "nurses", "nursing"},
		{"technology", "technologies"},
		{"certify", "certified"},
		{"program", "programs", "programming", "programmed", "programmer"},
		{"operate", "operator", "operators", "operating"},
		{"class", "classes"},
		{"install", "installer", "installing"},
	}
	seen := map[string]int{}
	for g, ws := range groups {
		want := stem(ws[0])
		for _, w := range ws {
			if got := stem(w); got != want {
				t.Errorf("stem(%q) = %q, want %q (as %q)", w, got, want, ws[0])
			}
		}
		if other, ok := seen[want]; ok {
			t.Errorf("stem %q joins group %v and %v", want, groups[other], ws)
		}
		seen[want] = g
	}
	// Short words, codes and words with digits stay as they are.
	for _, w := range []string{"cna", "aws", "a+", "cpt", "220", "ccna", "4g"} {
		if got := stem(w); got != w && len(w) <= 3 {
			t.Errorf("stem(%q) = %q, want it unchanged", w, got)
		}
	}
	if got := stem("ccna"); got != "ccna" {
		t.Errorf("stem(ccna) = %q", got)
	}
}

func TestInitialsAndShortNames(t *testing.T) {
	tests := []struct {
		name, initials string
		short          []string // short names it has
		notShort       []string
	}{
		{"Certified Nursing Assistant", "cna", []string{"cna"}, []string{"cn", "cnas"}},
		{"Cisco Certified Network Associate (CCNA)", "ccna", []string{"ccna"}, []string{"cisco"}},
		{"Certified Production Technician (CPT 4.0)", "cpt", []string{"cpt4.0", "cpt"}, []string{"cpt4"}},
		{"Welder", "", nil, []string{"w"}},
		{"CompTIA A+ 220-1101", "", nil, []string{"ca2"}},
		{"Associate of Applied Science in Cybersecurity", "aasc", []string{"aasc"}, []string{"aas"}},
	}
	for _, tc := range tests {
		if got := initials(tc.name); got != tc.initials {
			t.Errorf("initials(%q) = %q, want %q", tc.name, got, tc.initials)
		}
		for _, s := range tc.short {
			if !hasShortName(tc.name, s) {
				t.Errorf("%q should have the short name %q", tc.name, s)
			}
		}
		for _, s := range tc.notShort {
			if hasShortName(tc.name, s) {
				t.Errorf("%q should not have the short name %q", tc.name, s)
			}
		}
	}
}

func TestSlips(t *testing.T) {
	tests := []struct {
		a, b string
		max  int
		want bool
	}{
		{"nursing", "nursign", 1, true},  // swapped neighbours
		{"welding", "weldng", 1, true},   // dropped letter
		{"welding", "wellding", 1, true}, // extra letter
		{"welding", "welting", 1, true},  // changed letter
		{"welding", "wedlnig", 1, false}, // two slips
		{"cybersecurity", "cybersecuirty", 2, true},
		{"cybersecurity", "cyberscuirty", 2, true},
		{"cybersecurity", "cybrscuirty", 2, false},
		{"nurse", "purse", 1, false}, // the first letter: another word
		{"nurse", "nurse", 0, true},
	}
	for _, tc := range tests {
		if got := slips(tc.a, tc.b, tc.max); got != tc.want {
			t.Errorf("slips(%q, %q, %d) = %v, want %v", tc.a, tc.b, tc.max, got, tc.want)
		}
	}
}

// searchStore is the sample with a few credentials real registries hold
// and the sample does not.
func searchStore(t *testing.T) *Store {
	t.Helper()
	s := fixtureStore(t)
	for ctid, name := range map[string]string{
		"ce-5ea4c000-0000-4000-8000-000000000001": "Cisco Certified Network Associate (CCNA)",
		"ce-5ea4c000-0000-4000-8000-000000000002": "Welding Technology Certificate",
		"ce-5ea4c000-0000-4000-8000-000000000003": "Cisco Certified Network Professional (CCNP)",
	} {
		putTwin(t, s, ctid, name)
	}
	return s
}

func TestForgivingSearch(t *testing.T) {
	ctx := context.Background()
	s := searchStore(t)
	search := func(q string) []string {
		t.Helper()
		page, err := s.List(ctx, ListQuery{Text: q, Active: ActiveAny, Limit: MaxListLimit})
		if err != nil {
			t.Fatalf("q=%q: %v", q, err)
		}
		var names []string
		for _, it := range page.Items {
			names = append(names, it.Credential.Name)
		}
		return names
	}
	tests := []struct {
		q        string
		first    string   // the best match ("" to skip)
		includes []string // among the results
		excludes []string
	}{
		{q: "welder", first: "AWS Certified Welder", includes: []string{"Welding Technology Certificate"}},
		{q: "welding", includes: []string{"AWS Certified Welder", "Welding Technology Certificate"}},
		{q: "nurse", first: "Licensed Practical Nurse", includes: []string{"Certified Nursing Assistant", "Associate Degree in Nursing"}},
		{q: "nurses", first: "Licensed Practical Nurse", includes: []string{"Certified Nursing Assistant"}},
		{q: "cna", first: "Certified Nursing Assistant"},
		{q: "ccna", first: "Cisco Certified Network Associate (CCNA)", excludes: []string{"Cisco Certified Network Professional (CCNP)"}},
		{q: "nursign", includes: []string{"Certified Nursing Assistant", "Associate Degree in Nursing"}},
		{q: "cybersecuirty", includes: []string{"Associate of Applied Science in Cybersecurity", "Cybersecurity Fundamentals Certificate"}},
		{q: "pharm tech", first: "Certified Pharmacy Technician (CPhT)"},
		{q: "cisco network", includes: []string{"Cisco Certified Network Associate (CCNA)", "Cisco Certified Network Professional (CCNP)"}},
		{q: "electrician license", first: "Heartland Journeyman Electrician License"},
		{q: "journeyman", first: "Heartland Journeyman Electrician License", excludes: []string{"Electrician Registered Apprenticeship"}},
	}
	for _, tc := range tests {
		got := search(tc.q)
		if tc.first != "" && (len(got) == 0 || got[0] != tc.first) {
			t.Errorf("q=%q: first %v, want %q", tc.q, got, tc.first)
		}
		for _, n := range tc.includes {
			if !slices.Contains(got, n) {
				t.Errorf("q=%q: %v lacks %q", tc.q, got, n)
			}
		}
		for _, n := range tc.excludes {
			if slices.Contains(got, n) {
				t.Errorf("q=%q: %v holds %q", tc.q, got, n)
			}
		}
	}
	// The forms of a word find the same credentials.
	a, b := search("welder"), search("welding")
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Errorf("welder finds %v, welding %v", a, b)
	}
}

func TestMatchName(t *testing.T) {
	ctx := context.Background()
	s := searchStore(t)
	ccna := res(s, "ce-5ea4c000-0000-4000-8000-000000000001")
	tests := []struct {
		name      string
		by        string
		want      []string // credential names matched
		candidate string   // the first candidate, when none matched
	}{
		{name: "Cisco Certified Network Associate (CCNA)", by: MatchedByName, want: []string{"Cisco Certified Network Associate (CCNA)"}},
		{name: "  cisco certified   network associate (ccna) ", by: MatchedByName, want: []string{"Cisco Certified Network Associate (CCNA)"}},
		{name: "ccna", by: MatchedByShortName, want: []string{"Cisco Certified Network Associate (CCNA)"}},
		{name: "CNA", by: MatchedByShortName, want: []string{"Certified Nursing Assistant"}},
		{name: "CPhT", by: MatchedByShortName, want: []string{"Certified Pharmacy Technician (CPhT)"}},
		{name: "Cisco Certified Network Asociate", candidate: "Cisco Certified Network Associate (CCNA)"},
		{name: "ccnx", candidate: "Cisco Certified Network Associate (CCNA)"},
		{name: "Nursing Assistant Certified", candidate: "Certified Nursing Assistant"},
		{name: "CompTIA", by: ""}, // an organization, not a credential
		{name: "Qqqqqq Zzzzzz"},
	}
	for _, tc := range tests {
		m, err := s.MatchName(ctx, tc.name, 5)
		if err != nil {
			t.Fatalf("%q: %v", tc.name, err)
		}
		var got []string
		for _, iri := range m.Credentials {
			cv, err := s.Credential(ctx, iri)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, cv.Name)
		}
		if m.By != tc.by || !slices.Equal(got, tc.want) {
			t.Errorf("MatchName(%q) = %v by %q, want %v by %q", tc.name, got, m.By, tc.want, tc.by)
		}
		switch {
		case len(m.Credentials) > 0 && len(m.Candidates) > 0:
			t.Errorf("MatchName(%q): candidates beside a match", tc.name)
		case tc.candidate != "" && (len(m.Candidates) == 0 || m.Candidates[0].Name != tc.candidate):
			var names []string
			for _, c := range m.Candidates {
				names = append(names, c.Name)
			}
			t.Errorf("MatchName(%q): candidates %v, want %q first", tc.name, names, tc.candidate)
		case len(m.Candidates) > 5:
			t.Errorf("MatchName(%q): %d candidates, asked for 5", tc.name, len(m.Candidates))
		}
	}
	// Two credentials with one short name: both, for the person to pick.
	putTwin(t, s, "ce-5ea4c000-0000-4000-8000-000000000004", "Cisco Certified Network Associate Exam Prep (CCNA)")
	m, err := s.MatchName(ctx, "CCNA", 5)
	if err != nil || len(m.Credentials) != 2 || !slices.Contains(m.Credentials, ccna) || m.By != MatchedByShortName {
		t.Errorf("a shared short name: %+v, %v", m, err)
	}
}
