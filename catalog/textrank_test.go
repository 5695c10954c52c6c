package catalog

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"credreg/schema"
)

// textRankStore is the in-memory list index of memListStore with n
// synthetic credentials, and names a phrase query tells apart.
func textRankStore(t *testing.T, n int) *testStore {
	t.Helper()
	s := memListStore(t, n)
	for i, name := range []string{
		"Nurse Aide", "Nurse Aide Training", "Aide to the Nurse", "Nursing Aide", "Certified Nurse Aide (CNA)",
		"Synthetic Credential Nurse Aide", "Welding Aide", "Nurse Aides Registry", "Home Health Aide",
	} {
		s.list.addCredential(&CredentialView{
			IRI:         fmt.Sprintf("http://bench.invalid/resources/ce-7e5700000-%d", i),
			Name:        name,
			Description: "A synthetic credential for the ranking tests: nurse aide, nursing assistant.",
		})
	}
	// Some credentials go, leaving postings that are no longer current,
	// and numbers that new credentials take again.
	var gone []string
	for i, cid := range s.list.nameOrder() {
		if i%7 == 0 {
			gone = append(gone, s.list.creds[cid].view.IRI)
		}
	}
	for _, iri := range gone {
		s.list.removeCredential(iri)
	}
	for i := 0; i < n/20; i++ {
		s.list.addCredential(&CredentialView{
			IRI:         fmt.Sprintf("http://bench.invalid/resources/ce-7e5700001-%d", i),
			Name:        fmt.Sprintf("Synthetic Credential Again %d", i),
			Description: "A synthetic credential that took a freed number.",
		})
	}
	return s
}

var textRankQueries = []string{
	"synthetic credential", "credential", "synth cred", "synthetc credentail", "synthetic 42", "credential number 17",
	"nurse aide", "aide nurse", "nurse", "nursing", "aides", "cna", "load tests covering skills", "again", "synthetic again 3",
}

// TestAccumulate checks that adding up scores term by term finds the
// credentials textScore finds, with its scores, whichever word goes first.
func TestAccumulate(t *testing.T) {
	s := textRankStore(t, 3000)
	ix := s.list
	ctx := context.Background()
	for _, q := range textRankQueries {
		m := &matcher{ix: ix, words: searchWords(q)}
		for _, w := range m.words {
			m.alts = append(m.alts, ix.expand(w))
		}
		want := map[int32]int{}
		for _, e := range ix.creds {
			if e == nil {
				continue
			}
			if score, ok := m.textScore(e); ok {
				want[e.cid] = score
			}
		}
		if len(want) == 0 && q != "synthetic again 3" {
			t.Errorf("q=%q finds nothing; the test compares too little", q)
		}
		for first := range m.alts {
			sc := getTextScratch(len(ix.creds))
			got := map[int32]int{}
			for _, cid := range m.accumulate(ctx, first, sc) {
				if _, dup := got[cid]; dup {
					t.Errorf("q=%q, word %d first: credential %d twice", q, first, cid)
				}
				got[cid] = int(sc.score[cid])
			}
			putTextScratch(sc)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("q=%q, word %d first: accumulated %d credentials, textScore %d (%v, want %v)", q, first, len(got), len(want), trim(got), trim(want))
			}
		}
	}
	// The scratch is clean between queries.
	sc := getTextScratch(len(ix.creds))
	for cid := range sc.score {
		if sc.score[cid] != 0 || sc.best[cid] != 0 || sc.written[cid] != 0 || sc.hits[cid] != 0 {
			t.Fatalf("scratch not clean at %d", cid)
		}
	}
	putTextScratch(sc)
}

func trim(m map[int32]int) string {
	s := fmt.Sprint(m)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// nameOrder returns the credentials' numbers in name order.
func (ix *listIndex) nameOrder() []int32 {
	order, _ := ix.sortedOrder()
	return order
}

// TestTextPages pages through text queries forward and back, a few items
// a page, and checks the items against ranking every credential by
// score, the phrase bonus, then name: each once, in that order, whatever
// the page size.
func TestTextPages(t *testing.T) {
	s := textRankStore(t, 2000)
	ix := s.list
	ctx := context.Background()
	for _, q := range textRankQueries {
		m := &matcher{ix: ix, words: searchWords(q)}
		for _, w := range m.words {
			m.alts = append(m.alts, ix.expand(w))
		}
		type hit struct {
			key   string
			score int
		}
		var want []hit
		keys := map[hit]string{}
		for _, e := range ix.creds {
			if e == nil {
				continue
			}
			score, ok := m.textScore(e)
			if !ok {
				continue
			}
			if len(m.words) > 1 && strings.Contains(e.nameKey, schema.NameKey(q)) {
				score += phraseBonus * matchExact
			}
			h := hit{e.view.Name + " " + e.view.IRI, score}
			want = append(want, h)
			keys[h] = e.key
		}
		sort.Slice(want, func(i, j int) bool {
			if want[i].score != want[j].score {
				return want[i].score > want[j].score
			}
			return keys[want[i]] < keys[want[j]]
		})
		for _, limit := range []int{1, 3, 50} {
			if limit == 1 && len(want) > 200 {
				continue
			}
			var got []hit
			var pages []*ListPage
			cursor := ""
			for {
				page, err := s.List(ctx, ListQuery{Text: q, Active: ActiveAny, Limit: limit, Cursor: cursor})
				if err != nil {
					t.Fatalf("q=%q: %v", q, err)
				}
				if page.Total != len(want) {
					t.Fatalf("q=%q limit %d: total %d, want %d", q, limit, page.Total, len(want))
				}
				pages = append(pages, page)
				for _, it := range page.Items {
					got = append(got, hit{it.Credential.Name + " " + it.Credential.IRI, it.Score})
				}
				if page.Next == "" || len(got) > len(want) {
					break
				}
				cursor = page.Next
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("q=%q limit %d: pages hold %d items, want %d:\n got %.400s\nwant %.400s", q, limit, len(got), len(want), fmt.Sprint(got), fmt.Sprint(want))
				continue
			}
			// Back from the last page, by the Prev cursors.
			for i := len(pages) - 1; i > 0; i-- {
				page, err := s.List(ctx, ListQuery{Text: q, Active: ActiveAny, Limit: limit, Cursor: pages[i].Prev})
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(page.Items) != fmt.Sprint(pages[i-1].Items) {
					t.Errorf("q=%q limit %d: page %d back is not page %d: %v, want %v", q, limit, i-1, i-1, pageNames(page), pageNames(pages[i-1]))
					break
				}
			}
		}
	}
}

func pageNames(p *ListPage) []string {
	var out []string
	for _, it := range p.Items {
		out = append(out, fmt.Sprintf("%s (%d)", it.Credential.Name, it.Score))
	}
	return out
}
