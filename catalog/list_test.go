package catalog

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"credreg/rdf"
	"credreg/registry"

	"github.com/cayleygraph/quad"
)

// The list fixture: six credentials and seven designations over the
// Framework, the code lists, the criteria, the organizations and the
// competencies of fixtures/data, built for the list tests. The day the
// tests look at is listDay.
const listDay = "2026-11-25"

const (
	lc1 = "ce-11111111-0000-4000-8000-000000000001" // Alpha Registered Nursing Certificate
	lc2 = "ce-11111111-0000-4000-8000-000000000002" // Beta Cyber Security Certification
	lc3 = "ce-11111111-0000-4000-8000-000000000003" // Gamma Welding License
	lc4 = "ce-11111111-0000-4000-8000-000000000004" // Delta Network Badge
	lc5 = "ce-11111111-0000-4000-8000-000000000005" // Epsilon Nurse Aide License (retired)
	lc6 = "ce-11111111-0000-4000-8000-000000000006" // Zeta Accounting Certificate

	listCompetency = "ce-1bca756d-08c5-4633-9889-2d11be12644e"
)

// listFixture is the fixture as JSON-LD in credreg's context.
func listFixture() string {
	cred := func(ctid, typ, name, desc, extra string) string {
		return fmt.Sprintf(`{"id":"resources/%s","type":"%s","ctid":"%s","name":%q,"description":%q,"ownedBy":"resources/%s"%s}`,
			ctid, typ, ctid, name, desc, fxCompTIA, extra)
	}
	n := 0
	des := func(cred, agency, where, region, from, through string, criteria []string, extra string) string {
		n++
		ctid := fmt.Sprintf("ce-22222222-0000-4000-8000-%012d", n)
		var crit []string
		for _, c := range criteria {
			crit = append(crit, `"schemes/value-criteria/`+c+`"`)
		}
		dates := `"validFrom":"` + from + `"`
		if through != "" {
			dates += `,"validThrough":"` + through + `"`
		}
		return fmt.Sprintf(`{"id":"resources/%s","type":"ValueDesignation","ctid":"%s","agency":"resources/%s","credential":"resources/%s",%s,"region":%q,%s,"criterion":[%s]%s}`,
			ctid, ctid, agency, cred, where, region, dates, strings.Join(crit, ","), extra)
	}
	sub := func(n string) string { return `"subCluster":"schemes/career-clusters/` + n + `"` }
	nodes := []string{
		cred(lc1, "Certificate", "Alpha Registered Nursing Certificate", "Prepares registered nurses for hospital practice.",
			`,"occupationType":"schemes/soc/29-1141","instructionalProgramType":"schemes/cip/51.3801","industryType":"schemes/naics/622110"`),
		cred(lc2, "Certification", "Beta Cyber Security Certification", "Security analysts defend networks; security first.",
			`,"occupationType":"schemes/soc/15-1212","lastVerified":"2026-03-01"`),
		cred(lc3, "License", "Gamma Welding License", "Certifies welders in structural steel.",
			`,"occupationType":"schemes/soc/51-4121","industryType":"schemes/naics/332710","targetCompetency":"resources/`+listCompetency+`"`),
		cred(lc4, "Badge", "Delta Network Badge", "Entry network skills; cyber security basics.", `,"occupationType":"schemes/soc/15-1244"`),
		cred(lc5, "License", "Epsilon Nurse Aide License", "Basic patient care.", `,"occupationType":"schemes/soc/31-1131"`),
		cred(lc6, "Certificate", "Zeta Accounting Certificate", "Bookkeeping and accounting.", `,"occupationType":"schemes/soc/13-2011"`),
		des(lc1, fxWorkforce, sub("040206"), "Statewide", "2025-07-01", "2027-06-30", []string{"high-wage", "in-demand"}, `,"lastVerified":"2026-06-01"`),
		des(lc1, fxDeptEd, `"cluster":"schemes/career-clusters/040200"`, "River Valley Workforce Region", "2025-07-01", "2026-06-30", []string{"in-demand"}, ""),
		des(lc2, fxWorkforce, sub("060103"), "Statewide", "2025-01-01", "2027-12-31", []string{"high-wage", "high-skill", "in-demand"}, ""),
		des(lc2, fxHigherEd, sub("060103"), "Capital Area Workforce Region", "2026-01-01", "", []string{"high-skill"}, ""),
		des(lc3, fxWorkforce, sub("010204"), "Statewide", "2024-07-01", "2027-06-30", []string{"in-demand", "stackable"}, ""),
		des(lc4, fxDeptEd, sub("060102"), "Statewide", "2027-01-01", "2028-12-31", []string{"high-skill"}, ""),
		des(lc5, fxWorkforce, sub("040206"), "Statewide", "2025-07-01", "2027-06-30", []string{"high-wage"}, ""),
	}
	return `{"@context":"https://w3id.org/credreg/context/v1.jsonld","@graph":[` + strings.Join(nodes, ",\n") + `]}`
}

// listStore opens a store with the reference data of fixtures/data (no
// sample credentials or designations) and the list fixture, and retires
// lc5.
func listStore(t testing.TB) *testStore {
	t.Helper()
	s := openStore(t, t.TempDir())
	fillListStore(t, s)
	return s
}

// fillListStore writes listStore's records into s.
func fillListStore(t testing.TB, s *testStore) {
	t.Helper()
	ctx := context.Background()
	var all []registry.Record
	for _, f := range []string{"career-clusters", "value-criteria", "organizations", "competencies"} {
		all = append(all, mustRecords(t, s, fixtureFile(t, f))...)
	}
	all = append(all, mustRecords(t, s, []byte(listFixture()))...)
	all = append(all, codeConcepts(s.Base(), all)...)
	if _, err := s.PutBatch(ctx, fxActor, all); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Retire(ctx, fxActor, res(s, lc5), "replaced by a newer license", time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
}

func mustRecords(t testing.TB, s *testStore, doc []byte) []registry.Record {
	t.Helper()
	quads, err := rdf.ParseJSONLD(s.Base(), doc)
	if err != nil {
		t.Fatal(err)
	}
	recs, problems := registry.GroupRecords(quads)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	return recs
}

func TestListFilters(t *testing.T) {
	ctx := context.Background()
	s := listStore(t)
	q := func(mod func(*ListQuery)) ListQuery {
		lq := ListQuery{Active: listDay}
		mod(&lq)
		return lq
	}
	tests := []struct {
		name  string
		query ListQuery
		want  []string // in order
	}{
		{"of value on the day", q(func(*ListQuery) {}), []string{lc1, lc2, lc3}},
		{"everything, by name", q(func(l *ListQuery) { l.Active = ActiveAny }), []string{lc1, lc2, lc4, lc5, lc3, lc6}},
		{"a later day: a designation starts, another ends", q(func(l *ListQuery) { l.Active = "2027-03-01" }), []string{lc1, lc2, lc4, lc3}},
		{"cluster by name, through a Sub-Cluster", q(func(l *ListQuery) { l.Cluster = []string{"Digital Technology"} }), []string{lc2}},
		{"cluster by code", q(func(l *ListQuery) { l.Cluster = []string{"040200"} }), []string{lc1}},
		{"cluster by spelling, any status", q(func(l *ListQuery) {
			l.Cluster, l.Active = []string{"healthcare and human services"}, ActiveAny
		}), []string{lc1, lc5}},
		{"two clusters: either", q(func(l *ListQuery) { l.Cluster = []string{"Construction", "060100"} }), []string{lc2, lc3}},
		{"sub-cluster", q(func(l *ListQuery) { l.SubCluster = []string{"Network Systems & Cybersecurity"} }), []string{lc2}},
		{"agency by name", q(func(l *ListQuery) { l.Agency = []string{"Heartland Higher Education Coordinating Board"} }), []string{lc2}},
		{"agency by CTID: nothing in force", q(func(l *ListQuery) { l.Agency = []string{fxDeptEd} }), nil},
		{"agency by CTID, any status", q(func(l *ListQuery) { l.Agency, l.Active = []string{fxDeptEd}, ActiveAny }), []string{lc1, lc4}},
		{"region", q(func(l *ListQuery) { l.Region = []string{"Capital Area Workforce Region"} }), []string{lc2}},
		{"region, other case, any status", q(func(l *ListQuery) { l.Region, l.Active = []string{"river valley workforce region"}, ActiveAny }), []string{lc1}},
		{"criterion", q(func(l *ListQuery) { l.Criteria = []string{"high-wage"} }), []string{lc1, lc2}},
		{"criteria: all of them", q(func(l *ListQuery) { l.Criteria = []string{"High skill", "in-demand"} }), []string{lc2}},
		{"criterion and agency on one designation", q(func(l *ListQuery) {
			l.Criteria, l.Agency = []string{"high-skill"}, []string{"Heartland Higher Education Coordinating Board"}
		}), []string{lc2}},
		{"criterion and agency on different designations", q(func(l *ListQuery) {
			l.Criteria, l.Agency = []string{"in-demand"}, []string{"Heartland Higher Education Coordinating Board"}
		}), nil},
		{"cluster and region", q(func(l *ListQuery) { l.Cluster, l.Region = []string{"Digital Technology"}, []string{"statewide"} }), []string{lc2}},
		{"SOC in O*NET form", q(func(l *ListQuery) { l.SOC = []string{"29-1141.00"} }), []string{lc1}},
		{"SOC and a cluster it is not in", q(func(l *ListQuery) { l.SOC, l.Cluster = []string{"15-1212"}, []string{"Construction"} }), nil},
		{"SOC by name", q(func(l *ListQuery) { l.SOC = []string{"Information Security Analysts"} }), []string{lc2}},
		{"NAICS", q(func(l *ListQuery) { l.NAICS = []string{"332710"} }), []string{lc3}},
		{"CIP without its dot", q(func(l *ListQuery) { l.CIP = []string{"513801"} }), []string{lc1}},
		{"competency by CTID", q(func(l *ListQuery) { l.Competency = []string{listCompetency} }), []string{lc3}},
		{"competency by text", q(func(l *ListQuery) {
			l.Competency = []string{"Identify the internal components of desktop and laptop computers and explain the role of each."}
		}), []string{lc3}},
		{"type, any status", q(func(l *ListQuery) { l.Type, l.Active = []string{"License"}, ActiveAny }), []string{lc5, lc3}},
		{"type by CTDL name", q(func(l *ListQuery) { l.Type = []string{"ceterms:Certification"} }), []string{lc2}},
		{"text", q(func(l *ListQuery) { l.Text = "security" }), []string{lc2}},
		{"text, ranked: the name first", q(func(l *ListQuery) { l.Text, l.Active = "nurses", ActiveAny }), []string{lc5, lc1}},
		{"text, two words: all must occur", q(func(l *ListQuery) { l.Text, l.Active = "Cyber security", ActiveAny }), []string{lc2, lc4}},
		{"text and a filter", q(func(l *ListQuery) { l.Text, l.Active, l.Type = "security", ActiveAny, []string{"Badge"} }), []string{lc4}},
		{"verified since: a designation's date", q(func(l *ListQuery) { l.VerifiedSince = "2026-05-01" }), []string{lc1}},
		{"verified since: the credential's date", q(func(l *ListQuery) { l.VerifiedSince = "2026-01-01" }), []string{lc1, lc2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, err := s.List(ctx, tc.query)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range page.Items {
				got = append(got, it.Credential.CTID)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %s\nwant %s", names(got), names(tc.want))
			}
			if page.Total != len(tc.want) {
				t.Errorf("total %d, want %d", page.Total, len(tc.want))
			}
			if page.Next != "" || page.Prev != "" {
				t.Errorf("one page, but cursors %q %q", page.Next, page.Prev)
			}
		})
	}
}

var listNames = map[string]string{lc1: "alpha", lc2: "beta", lc3: "gamma", lc4: "delta", lc5: "epsilon", lc6: "zeta"}

func names(ctids []string) string {
	var out []string
	for _, c := range ctids {
		out = append(out, listNames[c])
	}
	return "[" + strings.Join(out, " ") + "]"
}

func TestListItemDesignations(t *testing.T) {
	s := listStore(t)
	page, err := s.List(context.Background(), ListQuery{Active: listDay, Text: "nursing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || len(page.Items[0].Designations) != 1 {
		t.Fatalf("items %+v", page.Items)
	}
	d := page.Items[0].Designations[0]
	if d.Agency != res(s, fxWorkforce) || d.LastVerified != "2026-06-01" || d.Region != "Statewide" {
		t.Errorf("the designation in force is %+v", d)
	}
	if tm := page.Terms[d.Agency]; tm.Label != "Heartland Workforce Commission" {
		t.Errorf("agency named %+v", tm)
	}
	if tm := page.Terms[d.SubClusters[0]]; tm.Notation != "040206" || tm.Parent == "" {
		t.Errorf("sub-cluster named %+v", tm)
	}
	// Every designation when none has to pass.
	page, err = s.List(context.Background(), ListQuery{Active: ActiveAny, Text: "nursing"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(page.Items[0].Designations); n != 2 {
		t.Errorf("active=any shows %d designations, want 2", n)
	}
}

func TestListQueryErrors(t *testing.T) {
	s := listStore(t)
	tests := []struct {
		query       ListQuery
		param, want string
	}{
		{ListQuery{Cluster: []string{"Underwater Basket Weaving"}}, "cluster", "Digital Technology (060100)"},
		{ListQuery{SOC: []string{"99-9999"}}, "soc", "no SOC occupation"},
		{ListQuery{Agency: []string{"ce-99999999-9999-4999-8999-999999999999"}}, "agency", "no organization has this IRI or CTID"},
		{ListQuery{Region: []string{"Mars"}}, "region", "Statewide"},
		{ListQuery{Criteria: []string{"cheap"}}, "criteria", "High wage (high-wage)"},
		{ListQuery{Type: []string{"Diplomat"}}, "type", "not a credential type"},
		{ListQuery{Active: "yesterday"}, "active", "YYYY-MM-DD"},
		{ListQuery{VerifiedSince: "2026-13-01"}, "verifiedSince", "YYYY-MM-DD"},
		{ListQuery{Text: "the of"}, "q", "no word"},
		{ListQuery{Cursor: "not-a-cursor"}, "cursor", "not a cursor"},
		{ListQuery{Limit: MaxListLimit + 1}, "limit", "1 to"},
		{ListQuery{Cluster: []string{" "}}, "cluster", "empty"},
	}
	for _, tc := range tests {
		_, err := s.List(context.Background(), tc.query)
		var qe *registry.QueryError
		if !errors.As(err, &qe) || qe.Param != tc.param || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want a registry.QueryError on %s saying %q", tc.query, err, tc.param, tc.want)
		}
	}
}

func TestListPaging(t *testing.T) {
	ctx := context.Background()
	s := listStore(t)
	var got []string
	var pages []*ListPage
	q := ListQuery{Active: ActiveAny, Limit: 4}
	for {
		page, err := s.List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 6 {
			t.Errorf("total %d", page.Total)
		}
		pages = append(pages, page)
		for _, it := range page.Items {
			got = append(got, it.Credential.CTID)
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	if want := []string{lc1, lc2, lc4, lc5, lc3, lc6}; !reflect.DeepEqual(got, want) {
		t.Fatalf("paged through %s, want %s", names(got), names(want))
	}
	if len(pages) != 2 || pages[0].Prev != "" || pages[1].Prev == "" {
		t.Fatalf("%d pages, prev cursors %q %q", len(pages), pages[0].Prev, pages[len(pages)-1].Prev)
	}
	// Back from the last page.
	back, err := s.List(ctx, ListQuery{Active: ActiveAny, Limit: 4, Cursor: pages[1].Prev})
	if err != nil {
		t.Fatal(err)
	}
	var again []string
	for _, it := range back.Items {
		again = append(again, it.Credential.CTID)
	}
	if want := []string{lc1, lc2, lc4, lc5}; !reflect.DeepEqual(again, want) || back.Prev != "" || back.Next == "" {
		t.Errorf("back: %s prev %q next %q", names(again), back.Prev, back.Next)
	}
	// A ranked listing pages by score, then name.
	first, err := s.List(ctx, ListQuery{Active: ActiveAny, Text: "nurse", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.List(ctx, ListQuery{Active: ActiveAny, Text: "nurse", Limit: 1, Cursor: first.Next})
	if err != nil {
		t.Fatal(err)
	}
	if first.Items[0].Credential.CTID != lc5 || second.Items[0].Credential.CTID != lc1 || second.Next != "" {
		t.Errorf("ranked pages: %s then %s", first.Items[0].Credential.Name, second.Items[0].Credential.Name)
	}
}

// TestListPagingDuringWrites pages through a list while other credentials
// are written, designated and retired: every credential there throughout
// comes exactly once.
func TestListPagingDuringWrites(t *testing.T) {
	ctx := context.Background()
	s := listStore(t)
	// Sixty more credentials, designated of value.
	var recs []registry.Record
	var want []string
	for i := 0; i < 60; i++ {
		ctid := fmt.Sprintf("ce-33333333-0000-4000-8000-%012d", i)
		doc := fmt.Sprintf(`{"@context":"https://w3id.org/credreg/context/v1.jsonld","@graph":[
			{"id":"resources/%s","type":"Certificate","ctid":"%s","name":"Paging Credential %03d","ownedBy":"resources/%s"},
			{"id":"resources/ce-44444444-0000-4000-8000-%012d","type":"ValueDesignation","ctid":"ce-44444444-0000-4000-8000-%012d",
			 "agency":"resources/%s","credential":"resources/%s","cluster":"schemes/career-clusters/060100","region":"Statewide","validFrom":"2025-01-01"}]}`,
			ctid, ctid, i*2, fxCompTIA, i, i, fxWorkforce, ctid)
		recs = append(recs, mustRecords(t, s, []byte(doc))...)
		want = append(want, ctid)
	}
	if _, err := s.PutBatch(ctx, "test", recs); err != nil {
		t.Fatal(err)
	}
	want = append([]string{lc2}, want...) // Beta comes before "Paging"
	// Writer: new credentials whose names fall between the others, and
	// retirements of designations outside the filter.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var writeErr error
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			ctid := fmt.Sprintf("ce-55555555-0000-4000-8000-%012d", i)
			doc := fmt.Sprintf(`{"@context":"https://w3id.org/credreg/context/v1.jsonld","@graph":[
				{"id":"resources/%s","type":"Certificate","ctid":"%s","name":"Paging Credential %03d","ownedBy":"resources/%s"},
				{"id":"resources/ce-66666666-0000-4000-8000-%012d","type":"ValueDesignation","ctid":"ce-66666666-0000-4000-8000-%012d",
				 "agency":"resources/%s","credential":"resources/%s","cluster":"schemes/career-clusters/060100","region":"Statewide","validFrom":"2025-01-01"}]}`,
				ctid, ctid, (i*7)%120+1, fxCompTIA, i, i, fxWorkforce, ctid)
			if _, err := s.PutBatch(ctx, "writer", mustRecords(t, s, []byte(doc))); err != nil {
				writeErr = err
				return
			}
		}
	}()
	seen := map[string]int{}
	q := ListQuery{Active: listDay, Cluster: []string{"Digital Technology"}, Limit: 7}
	pages := 0
	for {
		page, err := s.List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, it := range page.Items {
			seen[it.Credential.CTID]++
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
		time.Sleep(2 * time.Millisecond) // let the writer in
	}
	close(stop)
	wg.Wait()
	if writeErr != nil {
		t.Fatal(writeErr)
	}
	for _, c := range want {
		if seen[c] != 1 {
			t.Errorf("%s listed %d times", c, seen[c])
		}
	}
	for c, n := range seen {
		if n > 1 {
			t.Errorf("%s listed %d times", c, n)
		}
	}
	if s.Sequence() < 70 {
		t.Errorf("the writer wrote little (sequence %d): the test proves less than it says", s.Sequence())
	}
	t.Logf("%d pages, %d credentials listed, sequence %d", pages, len(seen), s.Sequence())
}

// TestListIndexBuiltFromStore reopens a store: the index built by a scan
// answers as the one kept by writes did.
func TestListIndexBuiltFromStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openStore(t, dir)
	var all []registry.Record
	for _, f := range []string{"career-clusters", "value-criteria", "organizations", "competencies"} {
		all = append(all, mustRecords(t, s, fixtureFile(t, f))...)
	}
	// Build the index before the list fixture is written: writes keep it.
	if err := s.WarmList(ctx); err != nil {
		t.Fatal(err)
	}
	all = append(all, mustRecords(t, s, []byte(listFixture()))...)
	all = append(all, codeConcepts(s.Base(), all)...)
	if _, err := s.PutBatch(ctx, fxActor, all); err != nil {
		t.Fatal(err)
	}
	kept, err := s.List(ctx, ListQuery{Active: ActiveAny})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir)
	built, err := s.List(ctx, ListQuery{Active: ActiveAny})
	if err != nil {
		t.Fatal(err)
	}
	if len(kept.Items) != 6 || !reflect.DeepEqual(listed(kept), listed(built)) {
		t.Errorf("kept by writes %v\nbuilt by a scan %v", listed(kept), listed(built))
	}
}

func listed(p *ListPage) []string {
	var out []string
	for _, it := range p.Items {
		line := it.Credential.Name
		for _, d := range it.Designations {
			line += " | " + d.CTID + " " + d.Region + " " + strings.Join(d.Criteria, ",")
		}
		out = append(out, line)
	}
	return out
}

// TestListRender reads a page's JSON-LD back with json-gold: the same
// statements as its N-Quads.
func TestListRender(t *testing.T) {
	s := listStore(t)
	page, err := s.List(context.Background(), ListQuery{Active: ActiveAny, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	b := s.Base().String()
	links := ListLinks{Collection: b + "/credentials?active=any", View: b + "/credentials?active=any&limit=3",
		First: b + "/credentials?active=any&limit=3", Next: b + "/credentials?active=any&limit=3&cursor=" + page.Next}
	js, err := page.JSONLD(s.Base(), links)
	if err != nil {
		t.Fatal(err)
	}
	nq := page.NQuads(links)
	quads, err := rdf.ParseJSONLD(s.Base(), js)
	if err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	q, _ := rdf.Canonicalize(quads)
	if got := string(rdf.NQuads(q)); got != string(nq) {
		t.Errorf("JSON-LD reads as\n%s\nN-Quads say\n%s\nJSON-LD:\n%s", got, nq, js)
	}
	for _, want := range []string{
		`"type": "Collection"`, `"totalItems": 6`, `"type": "PartialCollectionView"`, `"next": "` + links.Next,
		`"name": "Alpha Registered Nursing Certificate"`, `"designation": [`, `"type": "ValueDesignation"`,
		`"validFrom": "2025-07-01"`, `"name": "Heartland Workforce Commission"`, `"prefLabel": "Physical Health"`, `"notation": "040206"`,
	} {
		if !strings.Contains(string(js), want) {
			t.Errorf("the JSON-LD lacks %s", want)
		}
	}
	if strings.Contains(string(js), "http://www.w3.org/ns/hydra") || strings.Contains(string(js), "https://purl.org/ctdl") {
		t.Errorf("full IRIs where terms were expected:\n%s", js)
	}
}

// TestListFollowsReplacement: a credential replaced with other
// statements is listed as it is now, its designations reaching the new
// entry, and the scan the index is built by does not read the replaced
// statements (registry's TestScanRecordQuads compares that scan with
// another path to the same statements).
func TestListFollowsReplacement(t *testing.T) {
	ctx := context.Background()
	s := listStore(t)
	// Replace a credential with other statements.
	doc := strings.Replace(listFixture(), "Alpha Registered Nursing Certificate", "Alpha Registered Nursing Certificate, renamed", 1)
	var renamed []registry.Record
	for _, r := range mustRecords(t, s, []byte(doc)) {
		if r.IRI == res(s, lc1) {
			renamed = append(renamed, r)
		}
	}
	if _, err := s.PutBatch(ctx, "test", renamed); err != nil {
		t.Fatal(err)
	}
	// The list follows the replacement: the designations reach the new
	// credential entry.
	page, err := s.List(ctx, ListQuery{Active: listDay, Cluster: []string{"040200"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 || page.Items[0].Credential.Name != "Alpha Registered Nursing Certificate, renamed" {
		t.Errorf("after the replacement the list shows %+v", page.Items)
	}
	fast := map[string]bool{}
	if err := s.ScanRecords(ctx, listPredicates, func(q quad.Quad) error {
		fast[rdf.NQuadLine(q.Subject, q.Predicate, q.Object, q.Label)] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(fast) < 1000 {
		t.Errorf("the scan found %d statements", len(fast))
	}
	for l := range fast {
		if strings.Contains(l, `"Alpha Registered Nursing Certificate" `) {
			t.Errorf("a replaced statement is scanned: %s", l)
		}
	}
}
