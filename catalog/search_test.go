package catalog

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
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
func searchStore(t *testing.T) *testStore {
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

// expandByScan is expand as it was first written, comparing the word with
// every term for slips: the reference that the indexed search for slips
// must agree with.
func (ix *listIndex) expandByScan(word string) []alternative {
	s := stem(word)
	var alts []alternative
	if len(ix.text[s]) > 0 {
		alts = append(alts, alternative{s, ix.lookupID(textKey(s)), matchExact})
		if raw := rawTerm(word); len(ix.text[raw]) > 0 {
			alts = append(alts, alternative{raw, ix.lookupID(textKey(raw)), matchWritten})
		}
	}
	terms := ix.sortedTerms()
	if len(word) >= 3 {
		for _, p := range []string{word, s} {
			if p != word && len(p) < 3 {
				continue
			}
			for i := sort.SearchStrings(terms, p); i < len(terms) && strings.HasPrefix(terms[i], p) && len(alts) < maxExpansions; i++ {
				if t := terms[i]; !hasTerm(alts, t) && len(ix.text[t]) > 0 {
					alts = append(alts, alternative{t, ix.lookupID(textKey(t)), matchPrefix})
				}
			}
		}
	}
	if len(alts) > 0 || len(word) < 4 {
		return alts
	}
	maxSlips := 1
	if len(word) >= 8 {
		maxSlips = 2
	}
	for _, t := range terms {
		if len(alts) >= maxExpansions {
			break
		}
		target, forms := t, []string{s, word}
		if written, ok := strings.CutPrefix(t, rawMark); ok {
			target, forms = stem(written), []string{word}
			t = written
		}
		if len(ix.text[target]) == 0 || hasTerm(alts, target) {
			continue
		}
		for _, w := range forms {
			if d := len(t) - len(w); d <= maxSlips && d >= -maxSlips && slips(w, t, maxSlips) {
				alts = append(alts, alternative{target, ix.lookupID(textKey(target)), matchSlip})
				break
			}
		}
	}
	return alts
}

// TestSlipIndex checks that the search for slips, which compares a word
// only with the terms of a near length and near letters, finds what
// comparing it with every term finds, in the same order, also after
// credentials come and go.
func TestSlipIndex(t *testing.T) {
	names := []string{
		"CompTIA A+", "AWS Certified Welder", "Certified Nursing Assistant", "Licensed Practical Nurse",
		"Associate Degree in Nursing", "Cisco Certified Network Associate (CCNA)", "Welding Technology Certificate",
		"Cybersecurity Fundamentals Certificate", "Certified Pharmacy Technician (CPhT)", "Técnico en Soldadura",
		"Heartland Journeyman Electrician License", "Programming Programmers Programmed", "Operators Operating Operations",
		"Nationally Registered Emergency Medical Technician (NREMT)", "Electrocardiogram Technician", "Phlebotomy Technician",
		"Certified Welding Inspector", "Certified Welders Guild", "Nurse Aide", "Weld Tech 4G", "Sheet Metal Worker",
	}
	descs := []string{
		"Covers welding, brazing and cutting.", "For nurses and nursing assistants in long-term care.",
		"Networking, routing, switching and security.", "Prepares technicians for installation and maintenance.",
	}
	var views []*CredentialView
	for i := range 600 {
		v := &CredentialView{IRI: fmt.Sprintf("https://slip.invalid/ce-%d", i), Description: descs[i%len(descs)]}
		if i < len(names) {
			v.Name = names[i]
		} else {
			v.Name = fmt.Sprintf("Synthetic Credential 0-%d", i)
			v.Description = fmt.Sprintf("A synthetic credential number %d for load tests, covering skills of its occupations.", i)
		}
		views = append(views, v)
	}
	ix := newListIndex()
	for _, v := range views {
		cp := *v
		ix.addCredential(&cp)
	}
	// Words as people type them: right, slipped (a letter dropped,
	// doubled, changed, two swapped), and words nothing is near.
	var queries []string
	for _, w := range []string{"welding", "welder", "nursing", "nurse", "certificate", "certified", "cybersecurity",
		"technician", "journeyman", "electrician", "synthetic", "credential", "credentials", "occupations", "programming",
		"operators", "soldadura", "técnico", "phlebotomy", "inspector", "network", "associate", "4242", "12345", "590"} {
		queries = append(queries, w)
		for i := 0; i < len(w); i++ {
			queries = append(queries, w[:i]+w[i+1:], w[:i]+w[i:i+1]+w[i:], w[:i]+"x"+w[i+1:])
			if i+1 < len(w) {
				queries = append(queries, w[:i]+w[i+1:i+2]+w[i:i+1]+w[i+2:])
			}
		}
	}
	queries = append(queries, "qqqqqqq", "zzzz", "nursign", "synthetc", "credentail", "sythnetic", "cybersecuirty")
	compare := func(stage string) {
		t.Helper()
		slips := 0
		for _, q := range queries {
			for _, w := range searchWords(q) {
				got, want := ix.expand(w), ix.expandByScan(w)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: expand(%q) = %v, want %v", stage, w, got, want)
				}
				if len(want) > 0 && want[0].strength == matchSlip {
					slips++
				}
			}
		}
		if slips < 100 {
			t.Errorf("%s: only %d words matched by a slip; the test compares too little", stage, slips)
		}
	}
	compare("built")
	// Credentials go (their terms with them) and come (with new terms).
	for _, v := range views[:len(names):len(names)] {
		if strings.Contains(v.Name, "Weld") || strings.Contains(v.Name, "Nurs") {
			ix.removeCredential(v.IRI)
		}
	}
	ix.sweepText()
	compare("after removals")
	for _, name := range []string{"Welding Supervisor", "Registered Nurse", "Cyber Operations Specialist"} {
		ix.addCredential(&CredentialView{IRI: "https://slip.invalid/" + name, Name: name})
	}
	compare("after additions")
}
