package server

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"credreg/rdf"
	"credreg/registry"
)

// harvester is a copy of the registry as a harvester keeps it: each
// record's statements (N-Triples lines) by record IRI.
type harvester map[string][]string

// loadDump reads /dump.nq.gz into a harvester and returns the change it
// starts from.
func loadDump(t *testing.T, srv string) (harvester, uint64) {
	t.Helper()
	res, err := http.Get(srv + "/dump.nq.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/gzip" {
		t.Fatalf("dump: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	seq, err := strconv.ParseUint(res.Header.Get("X-Credreg-Sequence"), 10, 64)
	if err != nil {
		t.Fatalf("dump sequence %q: %v", res.Header.Get("X-Credreg-Sequence"), err)
	}
	gz, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	h := harvester{}
	sc := bufio.NewScanner(gz)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		// "<s> <p> o <g> ." : the graph is the last IRI.
		body := strings.TrimSuffix(line, " .")
		i := strings.LastIndex(body, " <")
		if i < 0 {
			t.Fatalf("a dump line without a graph: %s", line)
		}
		g := strings.Trim(body[i+1:], "<>")
		h[g] = append(h[g], body[:i]+" .")
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return h, seq
}

// replay applies the change feed from since: each changed record is read
// again (N-Quads) and replaces the harvester's copy. It returns the last
// change applied.
func (h harvester) replay(t *testing.T, srv string, since uint64) uint64 {
	t.Helper()
	next := fmt.Sprintf("%s/changes?since=%d&limit=7", srv, since)
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("the feed does not end")
		}
		req, _ := http.NewRequest(http.MethodGet, next, nil)
		req.Header.Set("Accept", "application/ld+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Next  string            `json:"next"`
			Items []json.RawMessage `json:"items"`
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", next, res.StatusCode, body)
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatalf("%v\n%s", err, body)
		}
		items := page.Items
		if !strings.Contains(string(body), `"items": [`) {
			t.Fatalf("feed items are not an array: %s", body)
		}
		if len(items) == 0 {
			return since
		}
		for _, raw := range items {
			var a struct {
				Object string `json:"object"`
				Seq    uint64 `json:"sequence"`
			}
			if err := json.Unmarshal(raw, &a); err != nil {
				t.Fatalf("%v\n%s", err, raw)
			}
			n := a.Seq
			if n == 0 || a.Object == "" {
				t.Fatalf("an activity without sequence or object: %s", raw)
			}
			since = max(since, n)
			_, nq := do(t, http.MethodGet, a.Object+"?format=nq", nil)
			var lines []string
			for _, l := range strings.Split(strings.TrimSpace(nq), "\n") {
				if l != "" {
					lines = append(lines, l)
				}
			}
			h[a.Object] = lines
		}
		if page.Next == "" {
			t.Fatalf("a feed page without a next link: %s", body)
		}
		next = page.Next
	}
}

func (h harvester) lines() []string {
	var out []string
	for g, ls := range h {
		for _, l := range ls {
			out = append(out, g+" "+l)
		}
	}
	sort.Strings(out)
	return out
}

// TestDumpAndFeedReplay takes a dump while agencies write, then replays
// the change feed from the dump's sequence: the harvester then holds
// exactly what a fresh dump holds, retirements and replacements included.
func TestDumpAndFeedReplay(t *testing.T) {
	srv, store := newUmbrellaServer(t)
	ctx := context.Background()
	writes := func(from, n int) {
		for i := from; i < from+n; i++ {
			ctid := fmt.Sprintf("ce-88888888-0000-4000-8000-%012d", i)
			doc := fmt.Sprintf(`{"@context":"https://w3id.org/credreg/context/v1.jsonld","@graph":[
				{"id":"resources/%s","type":"Certificate","ctid":"%s","name":"Harvest Credential %d","ownedBy":"resources/%s"}]}`,
				ctid, ctid, i, umbDeptEd)
			quads, err := rdf.ParseJSONLD(store.Base(), []byte(doc))
			if err != nil {
				t.Error(err)
				return
			}
			recs, _ := registry.GroupRecords(quads)
			if _, err := store.PutBatch(ctx, "writer", recs); err != nil {
				t.Error(err)
				return
			}
		}
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); writes(0, 40) }()
	copyOf, seq := loadDump(t, srv.URL)
	wg.Wait()
	// More changes after the dump: new records, a replacement and a
	// retirement.
	writes(40, 5)
	writes(0, 1) // unchanged: no change
	if _, err := store.Retire(ctx, "writer", store.Base().Resource("ce-88888888-0000-4000-8000-000000000003"), "withdrawn", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Retire(ctx, "writer", store.Base().Resource(umbNREMT), "replaced", time.Now()); err != nil {
		t.Fatal(err)
	}
	last := copyOf.replay(t, srv.URL, seq)
	if last != store.Sequence() {
		t.Errorf("replayed up to change %d, the log ends at %d", last, store.Sequence())
	}
	fresh, freshSeq := loadDump(t, srv.URL)
	if freshSeq != store.Sequence() {
		t.Errorf("a quiet dump states change %d, the log ends at %d", freshSeq, store.Sequence())
	}
	a, b := copyOf.lines(), fresh.lines()
	if len(a) != len(b) || strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("the replayed copy has %d statements, a fresh dump %d", len(a), len(b))
		seen := map[string]bool{}
		for _, l := range b {
			seen[l] = true
		}
		n := 0
		for _, l := range a {
			if !seen[l] && n < 5 {
				t.Errorf("only in the copy: %s", l)
				n++
			}
		}
	}
	if !strings.Contains(strings.Join(b, "\n"), "retirementReason> \"withdrawn\"") {
		t.Error("the dump lacks the retirement")
	}
}

func TestHarvestInputErrors(t *testing.T) {
	srv, store := newUmbrellaServer(t)
	head := store.Sequence()
	tests := []struct {
		path, param, want string
		status            int
	}{
		{"/fragments?subject=not-an-iri", "subject", "not an absolute IRI", 400},
		{"/fragments?subject=%22literal%22", "subject", "only an object", 400},
		{"/fragments?object=%22unclosed", "object", "closing quote", 400},
		{"/fragments?object=%22x%22%5E%5Enot+an+iri", "object", "datatype", 400},
		{"/fragments?object=%22x%22@not_a_lang", "object", "@language or ^^datatype", 400},
		{"/fragments?object=_:b0", "object", "blank node", 400},
		{"/fragments?page=0", "page", "numbered 1 to", 400},
		{"/fragments?page=99999999999999999999", "page", "numbered 1 to", 400},
		{"/fragments?page=-3", "page", "numbered 1 to", 400},
		{"/fragments?subjekt=x", "subjekt", "unknown parameter", 400},
		{"/fragments?subject=a&subject=b", "subject", "give it once", 400},
		{"/fragments?subject=" + strings.Repeat("a", 5000), "subject", "at most 4096", 400},
		{"/changes?since=-1", "since", "a change number", 400},
		{fmt.Sprintf("/changes?since=%d", head+1), "since", fmt.Sprintf("ends at %d", head), 400},
		{"/changes?since=99999999999999999999", "since", "a change number", 400},
		{"/changes?limit=0", "limit", "1 to 1000", 400},
		{"/changes?limit=1001", "limit", "1 to 1000", 400},
		{"/.well-known/void?x=1", "x", "unknown parameter", 400},
	}
	for _, tc := range tests {
		res, body := do(t, http.MethodGet, srv.URL+tc.path, nil)
		var p problem
		_ = json.Unmarshal([]byte(body), &p)
		if res.StatusCode != tc.status || p.Parameter != tc.param || !strings.Contains(p.Detail, tc.want) {
			t.Errorf("%s: %d parameter %q: %s", tc.path, res.StatusCode, p.Parameter, body)
		}
	}
	// A page past the end is empty, not an error, and links back.
	res, body := do(t, http.MethodGet, srv.URL+"/fragments?predicate="+url.QueryEscape("https://purl.org/ctdl/terms/name")+"&page=999", map[string]string{"Accept": "application/n-quads"})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, "hydra/core#previous") || strings.Contains(body, "hydra/core#next") {
		t.Errorf("a page past the end: %d\n%.500s", res.StatusCode, body)
	}
	// since at the head: an empty page whose next link waits there.
	res, body = do(t, http.MethodGet, fmt.Sprintf("%s/changes?since=%d", srv.URL, head), nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, fmt.Sprintf("since=%d", head)) {
		t.Errorf("the feed at its head: %d\n%.500s", res.StatusCode, body)
	}
}

// TestFragmentsNeverShowBookkeeping: no fragment holds the store's own
// records, change log or tokens.
func TestFragmentsNeverShowBookkeeping(t *testing.T) {
	srv, store := newUmbrellaServer(t)
	if _, _, err := store.CreateToken(context.Background(), store.Base().Resource(umbWorkforce), registry.RoleAgency, time.Time{}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"", "?predicate=" + url.QueryEscape("https://w3id.org/credreg/vocab#contentHash"),
		"?predicate=" + url.QueryEscape("https://w3id.org/credreg/vocab#actor"),
		"?subject=" + url.QueryEscape("urn:credreg:change:1"), "?graph=" + url.QueryEscape("urn:credreg:graph:tokens")} {
		for page := 1; page < 200; page++ {
			u := srv.URL + "/fragments" + q
			if page > 1 {
				sep := "?"
				if q != "" {
					sep = "&"
				}
				u += sep + "page=" + strconv.Itoa(page)
			}
			_, body := do(t, http.MethodGet, u, map[string]string{"Accept": "application/n-quads"})
			for _, l := range strings.Split(body, "\n") {
				if strings.Contains(l, "#metadata>") || l == "" {
					continue
				}
				if strings.Contains(l, "urn:credreg:") || strings.Contains(l, "vocab#contentHash") || strings.Contains(l, "vocab#tokenHash") {
					t.Fatalf("%s shows bookkeeping: %s", u, l)
				}
			}
			if !strings.Contains(body, "hydra/core#next") {
				break
			}
		}
	}
}

func TestWholeRecord(t *testing.T) {
	srv, _ := newUmbrellaServer(t)
	const framework = "ce-971b8659-e19d-4527-ae1e-10ab2de2e7dd" // Heartland Digital Skills Framework
	res, body := do(t, http.MethodGet, srv.URL+"/graph/"+framework, map[string]string{"Accept": "application/n-quads"})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	competencies := strings.Count(body, "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://purl.org/ctdlasn/terms/Competency>")
	frameworks := strings.Count(body, "<https://purl.org/ctdlasn/terms/CompetencyFramework>")
	if competencies != 50 || frameworks != 1 {
		t.Errorf("the framework's graph has %d competencies and %d frameworks, want 50 and 1", competencies, frameworks)
	}
	if strings.Contains(body, "/graph/") {
		t.Error("a node got a second IRI under /graph/")
	}
	for path, status := range map[string]int{"/graph/not-a-ctid": 400, "/graph/" + umbNoSuch: 404} {
		if res, body := do(t, http.MethodGet, srv.URL+path, nil); res.StatusCode != status {
			t.Errorf("%s: %d %s", path, res.StatusCode, body)
		}
	}
}

// TestUnboundFragmentPagesThroughEverything follows the next links of
// the fragment of three variables: its pages hold every statement of the
// dump, as many as its count says.
func TestUnboundFragmentPagesThroughEverything(t *testing.T) {
	srv, _ := newUmbrellaServer(t)
	dump, _ := loadDump(t, srv.URL)
	want := map[string]bool{}
	for _, ls := range dump {
		for _, l := range ls {
			want[l] = true
		}
	}
	got := map[string]bool{}
	lines, total := 0, ""
	next := srv.URL + "/fragments"
	for pages := 0; next != ""; pages++ {
		if pages > 1000 {
			t.Fatal("the next links do not end")
		}
		_, body := do(t, http.MethodGet, next, map[string]string{"Accept": "application/n-quads"})
		next = ""
		for _, l := range strings.Split(strings.TrimSpace(body), "\n") {
			switch {
			case strings.Contains(l, "#metadata> ."):
				if strings.Contains(l, "hydra/core#next>") {
					next = strings.Trim(strings.Fields(l)[2], "<>")
				}
				if strings.Contains(l, "void#triples>") {
					total = strings.Trim(strings.Fields(l)[2], `"`)
					total = total[:strings.IndexByte(total, '"')]
				}
			case l != "":
				got[l] = true
				lines++
			}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the unbound fragment holds %d distinct statements, the dump %d", len(got), len(want))
	}
	if total != strconv.Itoa(lines) {
		t.Errorf("the count says %s, the pages hold %d", total, lines)
	}
}
