package catalog

// The umbrella list: credentials of value, filtered by what they link to
// and by their designations, searched by full text, in a stable order
// paged by cursors. It reads the list index only.

import (
	"container/heap"
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// List sizes.
const (
	DefaultListLimit = 50
	MaxListLimit     = 1000
	// ActiveAny as ListQuery.Active lists every credential, whatever its
	// designations say.
	ActiveAny = "any"
)

// ListQuery selects credentials of the umbrella list. Each filter holds
// values given by code (notation), name, CTID or IRI; a credential must
// pass every filter given, a filter of several values passes on any one of
// them, except Criteria, whose values a designation must all meet.
//
// Cluster, SubCluster, Agency, Region and Criteria are designation
// filters: one designation of the credential must pass all of them at
// once (a Sub-Cluster counts for its Cluster). SOC, CIP, NAICS,
// Competency, Type and Text are about the credential itself.
type ListQuery struct {
	Cluster, SubCluster, SOC, CIP, NAICS, Competency, Agency, Region, Criteria, Type []string
	// Active is the day (YYYY-MM-DD) designations must be in force on,
	// default today; ActiveAny drops that condition and lists credentials
	// without designations too (when no designation filter is given).
	// Retired credentials are listed only with ActiveAny.
	Active string
	// VerifiedSince (YYYY-MM-DD) keeps credentials checked on or after the
	// day: the credential's own last-verified date, or that of a
	// designation that passes the designation filters.
	VerifiedSince string
	// Text is a full-text query over names and descriptions: every term
	// must occur; a credential ranks by where its terms occur (a name
	// weighs three times a description) and whether its name holds the
	// whole query.
	Text string
	// Cursor continues a listing (ListPage.Next or Prev); "" starts it.
	Cursor string
	// Limit is the page size, DefaultListLimit when 0, at most
	// MaxListLimit.
	Limit int
}

// ListFilter is one filter as the list understood it.
type ListFilter struct {
	Param, Value string
	IRIs         []string // what the value names ("" for free text)
	Labels       []string // their names
}

// ListPage is one page of the umbrella list.
type ListPage struct {
	Items []ListItem
	// Total counts every credential that passes the filters.
	Total int
	// Next and Prev are cursors for the neighbouring pages, "" at an end.
	Next, Prev string
	// Day is the day designations were checked on; "" for ActiveAny.
	Day     string
	Filters []ListFilter
	// Terms names what the items link to: organizations, Clusters and
	// Sub-Clusters, codes, criteria.
	Terms map[string]Term
	// Generation changes whenever the index does.
	Generation uint64
}

// ListItem is one credential of a page, with the designations that put it
// on the list (every designation, when none had to pass).
type ListItem struct {
	Credential   *CredentialView
	Designations []*DesignationView
	// Score is the full-text rank (0 without a text query).
	Score int
}

// Term is a linked resource as the list names it.
type Term struct {
	Label, Notation, Kind string
	Parent                string // a Sub-Cluster's Cluster
}

// listFilter is a resolved filter: a facet and the interned values any
// one of which passes.
type listFilter struct {
	facet byte
	ids   []uint32
}

// List answers a list query from the index.
func (c *Catalog) List(ctx context.Context, q ListQuery) (*ListPage, error) {
	ix, err := c.listIndex(ctx)
	if err != nil {
		return nil, err
	}
	limit := q.Limit
	switch {
	case limit == 0:
		limit = DefaultListLimit
	case limit < 0 || limit > MaxListLimit:
		return nil, &registry.QueryError{Param: "limit", Value: strconv.Itoa(q.Limit), Message: fmt.Sprintf("the page size must be 1 to %d", MaxListLimit)}
	}
	cur, err := decodeCursor(q.Cursor)
	if err != nil {
		return nil, err
	}
	day := strings.TrimSpace(q.Active)
	switch day {
	case "":
		day = time.Now().UTC().Format(time.DateOnly)
	case ActiveAny:
		day = ""
	default:
		if _, err := time.Parse(time.DateOnly, day); err != nil {
			return nil, &registry.QueryError{Param: "active", Value: q.Active, Message: "expected a date YYYY-MM-DD or \"any\""}
		}
	}
	since := strings.TrimSpace(q.VerifiedSince)
	if since != "" {
		if _, err := time.Parse(time.DateOnly, since); err != nil {
			return nil, &registry.QueryError{Param: "verifiedSince", Value: q.VerifiedSince, Message: "expected a date YYYY-MM-DD"}
		}
	}
	var words []string
	if strings.TrimSpace(q.Text) != "" {
		words = searchWords(q.Text)
		if len(words) == 0 {
			return nil, &registry.QueryError{Param: "q", Value: q.Text, Message: "the query has no word to search for (only punctuation or words like \"the\" and \"of\")"}
		}
	}

	ix.mu.RLock()
	defer ix.mu.RUnlock()
	page := &ListPage{Day: day, Generation: ix.gen, Terms: map[string]Term{}}
	var credFilters, desFilters []listFilter
	for _, spec := range []struct {
		param  string
		values []string
		kind   string
		facet  byte
		des    bool
	}{
		{"cluster", q.Cluster, kindCluster, facetCluster, true},
		{"subcluster", q.SubCluster, kindSubCluster, facetCluster, true},
		{"agency", q.Agency, kindOrg, facetAgency, true},
		{"region", q.Region, "", facetRegion, true},
		{"soc", q.SOC, kindSOC, facetSOC, false},
		{"cip", q.CIP, kindCIP, facetCIP, false},
		{"naics", q.NAICS, kindNAICS, facetNAICS, false},
		{"competency", q.Competency, kindCompetency, facetCompetency, false},
		{"type", q.Type, "", facetType, false},
	} {
		if len(spec.values) == 0 {
			continue
		}
		f := listFilter{facet: spec.facet}
		for _, v := range spec.values {
			lf, err := ix.resolveFilter(c.base, spec.param, spec.kind, v)
			if err != nil {
				return nil, err
			}
			page.Filters = append(page.Filters, lf)
			for _, iri := range lf.IRIs {
				f.ids = append(f.ids, ix.lookupID(iri))
				if spec.facet == facetCluster {
					for _, sub := range ix.children[iri] {
						f.ids = append(f.ids, ix.lookupID(sub))
					}
				}
			}
		}
		if spec.des {
			desFilters = append(desFilters, f)
		} else {
			credFilters = append(credFilters, f)
		}
	}
	for _, v := range q.Criteria {
		lf, err := ix.resolveFilter(c.base, "criteria", kindCriterion, v)
		if err != nil {
			return nil, err
		}
		page.Filters = append(page.Filters, lf)
		// Each criterion is its own filter: all must hold.
		for _, c := range lf.IRIs {
			desFilters = append(desFilters, listFilter{facet: facetCriterion, ids: []uint32{ix.lookupID(c)}})
		}
	}
	if q.Text != "" {
		page.Filters = append(page.Filters, ListFilter{Param: "q", Value: q.Text})
	}
	if since != "" {
		page.Filters = append(page.Filters, ListFilter{Param: "verifiedSince", Value: since})
	}

	m := &matcher{ix: ix, day: dayNumber(day), since: dayNumber(since), cred: credFilters, des: desFilters, words: words, phrase: schema.NameKey(q.Text)}
	for _, w := range words {
		m.alts = append(m.alts, ix.expand(w))
	}
	order, rank := ix.sortedOrder()
	var items []ranked
	var next, prev string
	if len(words) > 0 {
		sel := newPageSelector(ix, order, cur, limit)
		if err := m.rank(ctx, rank, sel); err != nil {
			return nil, err
		}
		page.Total = sel.total
		items, next, prev = sel.result()
	} else {
		matched, err := m.matches(ctx)
		if err != nil {
			return nil, err
		}
		page.Total = matched.count()
		items, next, prev = m.walk(order, matched, cur, limit)
	}
	for _, it := range items {
		li := ListItem{Credential: it.e.view, Score: it.score}
		for _, d := range m.designations(it.e) {
			li.Designations = append(li.Designations, d.view)
		}
		page.Items = append(page.Items, li)
		page.addTerms(ix, li)
	}
	page.Next, page.Prev = next, prev
	return page, nil
}

// addTerms names what an item links to.
func (p *ListPage) addTerms(ix *listIndex, li ListItem) {
	add := func(iris ...string) {
		for _, iri := range iris {
			if _, ok := p.Terms[iri]; ok {
				continue
			}
			t := Term{Label: schema.Label(iri)}
			if x := ix.terms[iri]; x != nil {
				t = Term{Label: x.label, Notation: x.notation, Kind: x.kind, Parent: x.parent}
			}
			p.Terms[iri] = t
		}
	}
	v := li.Credential
	add(v.Types...)
	add(v.OwnedBy...)
	add(v.OfferedBy...)
	add(v.Occupations...)
	add(v.Programs...)
	add(v.Industries...)
	for _, d := range li.Designations {
		add(d.Agency)
		add(d.Clusters...)
		add(d.SubClusters...)
		add(d.Criteria...)
	}
}

// resolveFilter finds what a filter value names. kind "" is for the
// filters that need no term: region (matched by name) and type.
func (ix *listIndex) resolveFilter(base schema.Base, param, kind, value string) (ListFilter, error) {
	v := strings.TrimSpace(value)
	lf := ListFilter{Param: param, Value: value}
	fail := func(msg string, candidates ...string) (ListFilter, error) {
		return lf, &registry.QueryError{Param: param, Value: value, Message: msg, Candidates: candidates}
	}
	if v == "" {
		return fail("empty value")
	}
	switch param {
	case "region":
		k := regionKey(v)
		if ix.desFacetBits[facetKey{facetRegion, ix.lookupID(k)}].count() == 0 {
			return fail("no designation names this region", ix.regions(12)...)
		}
		lf.IRIs, lf.Labels = []string{k}, []string{v}
		return lf, nil
	case "type":
		want := strings.ReplaceAll(schema.NameKey(strings.TrimPrefix(v, "ceterms:")), " ", "")
		for iri, name := range schema.CredentialTypes {
			if v == iri || want == strings.ToLower(name) {
				lf.IRIs, lf.Labels = []string{iri}, []string{schema.Label(iri)}
				return lf, nil
			}
		}
		return fail("not a credential type credreg knows (such as Certification, License, Certificate, Badge, AssociateDegree)")
	}
	// An IRI, or a CTID of a resource.
	iri := ""
	switch {
	case strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://"):
		iri = v
	case schema.ValidCTID(strings.ToLower(v)):
		iri = base.Resource(strings.ToLower(v))
	}
	if iri != "" {
		if t := ix.terms[iri]; t != nil && t.kind == kind {
			lf.IRIs, lf.Labels = []string{iri}, []string{t.label}
			return lf, nil
		}
		return fail(fmt.Sprintf("no %s has this IRI or CTID", kindNoun[kind]))
	}
	keys := ix.termKeys[kind]
	var found []string
	// A code in any of its spellings, then the name.
	code := strings.ToLower(v)
	switch kind {
	case kindSOC:
		if c, err := schema.NormalizeSOC(v); err == nil {
			code = c
		}
	case kindCIP:
		if c, err := schema.NormalizeCIP(v); err == nil {
			code = c
		}
	}
	found = keys[code]
	if len(found) == 0 {
		found = keys[schema.NameKey(v)]
	}
	switch {
	case len(found) == 1:
		lf.IRIs, lf.Labels = found, []string{ix.terms[found[0]].label}
		return lf, nil
	case len(found) > 1:
		var cands []string
		for _, iri := range found {
			cands = append(cands, ix.describe(iri))
		}
		sort.Strings(cands)
		return fail(fmt.Sprintf("the name is ambiguous: %d %ss have it; give a code or CTID", len(found), kindNoun[kind]), cands...)
	}
	var known []string
	if kind == kindCluster || kind == kindCriterion {
		for _, t := range ix.terms {
			if t.kind == kind {
				known = append(known, ix.describe(t.iri))
			}
		}
		sort.Strings(known)
	}
	return fail(fmt.Sprintf("no %s has this code or name", kindNoun[kind]), known...)
}

var kindNoun = map[string]string{
	kindCluster: "Career Cluster", kindSubCluster: "Sub-Cluster", kindSOC: "SOC occupation",
	kindCIP: "CIP program", kindNAICS: "NAICS industry", kindCriterion: "value criterion",
	kindOrg: "organization", kindCompetency: "competency",
}

// describe names a term for messages: "label (notation)".
func (ix *listIndex) describe(iri string) string {
	t := ix.terms[iri]
	switch {
	case t == nil:
		return iri
	case t.notation != "" && t.label != "":
		return t.label + " (" + t.notation + ")"
	case t.label != "":
		return t.label + " <" + iri + ">"
	}
	return iri
}

// regions lists up to max region names designations use.
func (ix *listIndex) regions(max int) []string {
	seen := map[string]bool{}
	var out []string
	for k, b := range ix.desFacetBits {
		if k.facet != facetRegion {
			continue
		}
		b.each(func(did int32) bool {
			r := ix.dents[did].view.Region
			if !seen[schema.NameKey(r)] {
				seen[schema.NameKey(r)] = true
				out = append(out, r)
			}
			return false
		})
	}
	sort.Strings(out)
	if len(out) > max {
		out = append(out[:max], "…")
	}
	return out
}

// matcher tests credentials against a resolved query.
type matcher struct {
	ix     *listIndex
	day    int32 // YYYYMMDD; 0 for any day
	since  int32 // YYYYMMDD; 0 for no condition
	cred   []listFilter
	des    []listFilter
	words  []string
	alts   [][]alternative // by word: the terms it matches
	phrase string
}

// matches returns the numbers of the credentials that pass every filter
// but the full text. With a designation condition it starts from the
// designations: the bitsets of the designation filters' values, and'ed,
// then each designation's dates and verification, in number order; else
// from the postings of the most selective credential filter, or every
// credential.
func (m *matcher) matches(ctx context.Context) (bitset, error) {
	ix := m.ix
	var out bitset
	n := 0
	tick := func() bool {
		n++
		return n%8192 != 0 || ctx.Err() == nil
	}
	if m.day == 0 && len(m.des) == 0 {
		pass := func(e *credEntry) {
			if !m.credentialPasses(e) {
				return
			}
			if m.since != 0 && e.lastVerified < m.since {
				verified := false
				for _, d := range e.slot.desigs {
					verified = verified || d.lastVerified >= m.since
				}
				if !verified {
					return
				}
			}
			out.set(e.cid)
		}
		best := m.bestCredFilter()
		if best < 0 {
			ix.liveC.each(func(cid int32) bool {
				pass(ix.creds[cid])
				return tick()
			})
			return out, ctx.Err()
		}
		f := m.cred[best]
		for _, id := range f.ids {
			for cid := range ix.credFacets[facetKey{f.facet, id}] {
				pass(ix.creds[cid])
			}
		}
		return out, ctx.Err()
	}
	designations := m.designationSet()
	// The credentials the credential filters let through, as a bitset.
	var creds bitset
	for i, f := range m.cred {
		var fb bitset
		for _, id := range f.ids {
			for cid := range ix.credFacets[facetKey{f.facet, id}] {
				fb.set(cid)
			}
		}
		if i == 0 {
			creds = fb
		} else {
			creds.and(fb)
		}
	}
	if len(m.cred) > 0 && creds.count()*4 < designations.count() {
		// The credential filters are the more selective: test their
		// credentials one by one.
		creds.each(func(cid int32) bool {
			if e := ix.creds[cid]; m.passes(e) {
				out.set(cid)
			}
			return tick()
		})
		return out, ctx.Err()
	}
	// Scan the designations: arrays and bitsets only.
	designations.each(func(did int32) bool {
		h := &ix.dhot[did]
		if m.day != 0 && !h.activeOn(m.day) {
			return tick()
		}
		cid := h.cid
		if cid < 0 || out.has(cid) || (len(m.cred) > 0 && !creds.has(cid)) {
			return tick()
		}
		c := &ix.chot[cid]
		if m.day != 0 && c.retired {
			return tick()
		}
		if m.since != 0 && c.lastVerified < m.since && h.lastVerified < m.since {
			return tick()
		}
		out.set(cid)
		return tick()
	})
	return out, ctx.Err()
}

// credPostings counts the credentials of a credential filter's values.
func (ix *listIndex) credPostings(f listFilter) int {
	n := 0
	for _, id := range f.ids {
		n += len(ix.credFacets[facetKey{f.facet, id}])
	}
	return n
}

// bestCredFilter returns the credential filter with the fewest postings,
// -1 when there is none.
func (m *matcher) bestCredFilter() int {
	best := -1
	for i, f := range m.cred {
		if best < 0 || m.ix.credPostings(f) < m.ix.credPostings(m.cred[best]) {
			best = i
		}
	}
	return best
}

// designationSet returns the designations that pass the designation
// filters (their values' bitsets, or'ed per filter, and'ed across
// filters): every designation when there is no filter. The result may be
// the index's own bitset: read it only.
func (m *matcher) designationSet() bitset {
	designations := m.ix.liveD
	for i, f := range m.des {
		var fb bitset
		for _, id := range f.ids {
			fb.or(m.ix.desFacetBits[facetKey{f.facet, id}])
		}
		if i == 0 {
			designations = fb
		} else {
			designations.and(fb)
		}
	}
	return designations
}

// passes tests one credential against every filter but the text.
func (m *matcher) passes(e *credEntry) bool {
	if !m.credentialPasses(e) {
		return false
	}
	if !m.needDesignation(e) {
		return true
	}
	for _, d := range e.slot.desigs {
		if m.designationPasses(e, d) {
			return true
		}
	}
	return false
}

// rank offers sel the credentials that pass and hold every word of the
// text query, with their scores. When the words' postings are few beside
// the rarest word's (a broad query), it adds up the scores term by term
// over arrays by credential number (accumulate); otherwise it walks the
// rarest word's postings and scores each credential from its terms. Either
// way it tests the other filters on the credentials found, from a bitset
// of those that pass when that costs less.
func (m *matcher) rank(ctx context.Context, rank []int32, sel *pageSelector) error {
	postingsOf := func(alts []alternative) int {
		n := 0
		for _, a := range alts {
			if !a.raw() { // a raw term's credentials hold its stem too
				n += len(m.ix.text[a.term])
			}
		}
		return n
	}
	rarest, all := 0, 0
	for i, alts := range m.alts {
		n := postingsOf(alts)
		all += n
		if n < postingsOf(m.alts[rarest]) {
			rarest = i
		}
	}
	if len(m.alts[rarest]) == 0 {
		return nil // a word that matches nothing
	}
	sc := getTextScratch(len(m.ix.creds))
	defer putTextScratch(sc)
	var cands []int32
	var scoreOf func(cid int32, e *credEntry) (int, bool)
	if rare := postingsOf(m.alts[rarest]); all <= accumulateRatio*rare && len(m.alts) < 255 {
		cands = m.accumulate(ctx, rarest, sc)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		scoreOf = func(cid int32, _ *credEntry) (int, bool) { return int(sc.score[cid]), true }
	} else {
		// The rarest word's credentials, each once (a word may match
		// several of its terms).
		cands = sc.touched[0][:0]
		for _, a := range m.alts[rarest] {
			if a.raw() {
				continue
			}
			for _, p := range m.ix.text[a.term] {
				if m.ix.currentPosting(p) && sc.hits[p.cid] == 0 {
					sc.hits[p.cid] = 1
					cands = append(cands, p.cid)
				}
			}
		}
		for _, cid := range cands {
			sc.hits[cid] = 0
		}
		sc.touched[0] = cands
		scoreOf = func(_ int32, e *credEntry) (int, bool) { return m.textScore(e) }
	}
	var matched bitset
	byBitset := false
	if m.day != 0 || len(m.des) > 0 || len(m.cred) > 0 || m.since != 0 {
		cost := m.designationSet().count()
		if m.day == 0 && len(m.des) == 0 {
			cost = m.ix.liveC.count()
			if best := m.bestCredFilter(); best >= 0 {
				cost = m.ix.credPostings(m.cred[best])
			}
		}
		// Testing a credential costs about four designations of a scan
		// over the designations' array (it follows pointers).
		if cost < 4*len(cands) {
			var err error
			if matched, err = m.matches(ctx); err != nil {
				return err
			}
			byBitset = true
		}
	}
	phraseGrams := trigramBits(m.phrase)
	for i, cid := range cands {
		if i%8192 == 8191 && ctx.Err() != nil {
			return ctx.Err()
		}
		e := m.ix.creds[cid]
		if byBitset {
			if !matched.has(cid) {
				continue
			}
		} else if !m.passes(e) {
			continue
		}
		score, ok := scoreOf(cid, e)
		if !ok {
			continue
		}
		// The phrase bonus only matters to a credential that could make
		// the page with or without it, or that it moves across the
		// cursor; the name's trigrams rule most names out without
		// reading them.
		if len(m.words) > 1 && sel.phraseMatters(rank[cid], score, score+phraseBonus*matchExact) &&
			holdsBits(m.ix.nameGrams[cid], phraseGrams) && strings.Contains(e.nameKey, m.phrase) {
			score += phraseBonus * matchExact
		}
		sel.offer(e, rank[cid], score)
	}
	return nil
}

// accumulateRatio: a query whose words have at most this many times the
// postings of its rarest word adds up scores term by term (accumulate).
const accumulateRatio = 8

// accumulate scores the credentials that hold every word of the query,
// term by term: the rarest word first, then each other word only for the
// credentials that held the words before. It returns their numbers, with
// their scores in sc.score (textScore's, before the phrase bonus); the
// scratch arrays are clean again when sc is put back.
func (m *matcher) accumulate(ctx context.Context, rarest int, sc *textScratch) []int32 {
	ix := m.ix
	words := make([]int, 0, len(m.alts))
	words = append(words, rarest)
	for i := range m.alts {
		if i != rarest {
			words = append(words, i)
		}
	}
	var touched []int32
	for wi, w := range words {
		if ctx.Err() != nil {
			return nil
		}
		touched = sc.touched[wi%2][:0]
		held := uint8(wi) // the words a credential held so far
		// The best of the word's terms, then the bonus of the name's word
		// as written, which only a credential holding the stem has.
		for _, a := range m.alts[w] {
			if a.raw() {
				continue
			}
			strength := int32(a.strength)
			for _, p := range ix.text[a.term] {
				cid := p.cid
				if sc.hits[cid] != held || !ix.currentPosting(p) {
					continue
				}
				v := p.weight * strength
				if sc.best[cid] == 0 {
					touched = append(touched, cid)
				}
				sc.best[cid] = max(sc.best[cid], v)
			}
		}
		for _, a := range m.alts[w] {
			if !a.raw() {
				continue
			}
			strength := int32(a.strength)
			for _, p := range ix.text[a.term] {
				if cid := p.cid; sc.best[cid] > 0 && ix.currentPosting(p) {
					sc.written[cid] = p.weight * strength
				}
			}
		}
		for _, cid := range touched {
			sc.score[cid] += sc.best[cid] + sc.written[cid]
			sc.best[cid], sc.written[cid] = 0, 0
			sc.hits[cid]++
		}
		sc.touched[wi%2] = touched
		if wi == 0 {
			// The rarest word's credentials hold every score and hit
			// count set; they are cleared from this list.
			sc.first = append(sc.first[:0], touched...)
		}
	}
	return touched
}

// textScratch holds a text query's arrays by credential number: zero
// between queries.
type textScratch struct {
	score, best, written []int32
	hits                 []uint8 // words held so far
	first                []int32 // the credentials whose score or hits are set
	touched              [2][]int32
}

var textScratchPool sync.Pool

func getTextScratch(n int) *textScratch {
	sc, _ := textScratchPool.Get().(*textScratch)
	if sc == nil {
		sc = &textScratch{}
	}
	if len(sc.score) < n {
		n += n / 8
		sc.score, sc.best, sc.written = make([]int32, n), make([]int32, n), make([]int32, n)
		sc.hits = make([]uint8, n)
	}
	return sc
}

func putTextScratch(sc *textScratch) {
	for _, cid := range sc.first {
		sc.score[cid], sc.hits[cid] = 0, 0
	}
	sc.first = sc.first[:0]
	textScratchPool.Put(sc)
}

// walk returns the page of matched credentials in name order after (or
// before) the cursor, walking the index's name order, and the cursors of
// the neighbouring pages.
func (m *matcher) walk(order []int32, matched bitset, cur cursor, limit int) (items []ranked, next, prev string) {
	ix := m.ix
	key := func(i int) string { return ix.creds[order[i]].key }
	pos := 0
	switch cur.dir {
	case 'a':
		pos = sort.Search(len(order), func(i int) bool { return key(i) > cur.key })
	case 'b':
		pos = sort.Search(len(order), func(i int) bool { return key(i) >= cur.key })
	}
	anyIn := func(from, to, step int) bool {
		for i := from; i != to; i += step {
			if matched.has(order[i]) {
				return true
			}
		}
		return false
	}
	var hasNext, hasPrev bool
	if cur.dir == 'b' {
		for i := pos - 1; i >= 0 && len(items) <= limit; i-- {
			if matched.has(order[i]) {
				items = append(items, ranked{e: ix.creds[order[i]]})
			}
		}
		hasPrev = len(items) > limit
		if hasPrev {
			items = items[:limit]
		}
		for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
			items[i], items[j] = items[j], items[i]
		}
		hasNext = anyIn(pos, len(order), 1)
	} else {
		for i := pos; i < len(order) && len(items) <= limit; i++ {
			if matched.has(order[i]) {
				items = append(items, ranked{e: ix.creds[order[i]]})
			}
		}
		hasNext = len(items) > limit
		if hasNext {
			items = items[:limit]
		}
		hasPrev = cur.dir == 'a' && anyIn(pos-1, -1, -1)
	}
	if len(items) == 0 {
		return nil, "", ""
	}
	if hasNext {
		next = cursor{'a', 0, items[len(items)-1].e.key}.encode()
	}
	if hasPrev {
		prev = cursor{'b', 0, items[0].e.key}.encode()
	}
	return items, next, prev
}

// credentialPasses tests the credential's own filters and its status.
func (m *matcher) credentialPasses(e *credEntry) bool {
	if m.day != 0 && e.retired {
		return false
	}
	for _, f := range m.cred {
		if !anyOf(e.facets[f.facet], f.ids) {
			return false
		}
	}
	return true
}

// phraseBonus is added to the score of a credential whose name holds the
// words of the query as the query has them.
const phraseBonus = 5

// textScore tells whether the credential matches every word of the text
// query, with its score before the phrase bonus: for each word, the best
// of its terms' weight in the credential times the strength of the match,
// plus a bonus when the credential's name has the word as written.
func (m *matcher) textScore(e *credEntry) (int, bool) {
	score := 0
	for _, alts := range m.alts {
		best, written := 0, 0
		for _, a := range alts {
			n := e.weight(a.id) * a.strength
			switch {
			case a.raw():
				written = n
			case n > best:
				best = n
			}
		}
		if best == 0 {
			return 0, false
		}
		score += best + written
	}
	return score, true
}

// needDesignation tells whether a credential is listed only through a
// designation that passes.
func (m *matcher) needDesignation(e *credEntry) bool {
	return m.day != 0 || len(m.des) > 0 || (m.since != 0 && e.lastVerified < m.since)
}

func (m *matcher) designationPasses(e *credEntry, d *desigEntry) bool {
	if m.day != 0 && !d.activeOn(m.day) {
		return false
	}
	if m.since != 0 && e.lastVerified < m.since && d.lastVerified < m.since {
		return false
	}
	for _, f := range m.des {
		var vals []uint32
		switch f.facet {
		case facetCluster:
			vals = d.areas
		case facetAgency:
			if !hasID(f.ids, d.agency) {
				return false
			}
			continue
		case facetRegion:
			if !hasID(f.ids, d.region) {
				return false
			}
			continue
		case facetCriterion:
			vals = d.criteria
		}
		if !anyOf(vals, f.ids) {
			return false
		}
	}
	return true
}

// designations are the designations an item shows, by agency, start and
// IRI.
func (m *matcher) designations(e *credEntry) []*desigEntry {
	need := m.needDesignation(e)
	var out []*desigEntry
	for _, d := range e.slot.desigs {
		if !need || m.designationPasses(e, d) {
			out = append(out, d)
		}
	}
	return out
}

func sortDesignations(ds []*desigEntry) {
	sort.Slice(ds, func(i, j int) bool {
		a, b := ds[i].view, ds[j].view
		if a.Agency != b.Agency {
			return a.Agency < b.Agency
		}
		if a.ValidFrom != b.ValidFrom {
			return a.ValidFrom < b.ValidFrom
		}
		return a.IRI < b.IRI
	})
}

// anyOf tells whether vals and ids share a value (both are short).
func anyOf(vals, ids []uint32) bool {
	for _, v := range vals {
		if hasID(ids, v) {
			return true
		}
	}
	return false
}

func hasID(ids []uint32, v uint32) bool {
	for _, id := range ids {
		if id == v && v != 0 {
			return true
		}
	}
	return false
}

// A cursor is a position in the list's order: after ('a') or before
// ('b') the item of a score and key.
type cursor struct {
	dir   byte // 0: none
	score int
	key   string
}

func (c cursor) encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte(string(c.dir) + strconv.Itoa(c.score) + "\x00" + c.key))
}

func decodeCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	bad := &registry.QueryError{Param: "cursor", Value: s, Message: "not a cursor of this list; follow the next and previous links of a page"}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 3 || (b[0] != 'a' && b[0] != 'b') {
		return cursor{}, bad
	}
	num, key, ok := strings.Cut(string(b[1:]), "\x00")
	score, err := strconv.Atoi(num)
	if !ok || err != nil || key == "" {
		return cursor{}, bad
	}
	return cursor{dir: b[0], score: score, key: key}, nil
}

// ranked is a credential in list order: by score, then by its position
// in the name order.
type ranked struct {
	e     *credEntry
	pos   int32
	score int
}

// before tells whether a comes before b: higher score first, then name.
func before(a, b ranked) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.pos < b.pos
}

// pageSelector keeps a ranked page's items from the credentials offered
// in any order: the first limit+1 after the cursor (or the last limit+1
// before it), with a bounded heap. Positions compare as numbers; the
// cursor's name is placed in the name order once.
type pageSelector struct {
	cur   cursor
	bound int32 // the cursor's position in the name order
	limit int
	total int
	// outside counts the items on the other side of the cursor.
	outside int
	h       rankHeap
}

func newPageSelector(ix *listIndex, order []int32, cur cursor, limit int) *pageSelector {
	p := &pageSelector{cur: cur, limit: limit, h: rankHeap{reverse: cur.dir == 'b'}}
	switch cur.dir {
	case 'a': // after: from the first name past the cursor's
		p.bound = int32(sort.Search(len(order), func(i int) bool { return ix.creds[order[i]].key > cur.key }))
	case 'b': // before: up to the first name at or past it
		p.bound = int32(sort.Search(len(order), func(i int) bool { return ix.creds[order[i]].key >= cur.key }))
	}
	return p
}

// inWindow tells whether an item at pos with score lies past the cursor,
// on the page's side of it.
func (p *pageSelector) inWindow(pos int32, score int) bool {
	switch p.cur.dir {
	case 'a':
		return score < p.cur.score || (score == p.cur.score && pos >= p.bound)
	case 'b':
		return score > p.cur.score || (score == p.cur.score && pos < p.bound)
	}
	return true
}

// couldEnter tells whether an item at pos with score would be kept now.
func (p *pageSelector) couldEnter(pos int32, score int) bool {
	if !p.inWindow(pos, score) {
		return false
	}
	return p.h.Len() <= p.limit || p.h.nearer(ranked{pos: pos, score: score}, p.h.items[0])
}

// phraseMatters tells whether it matters to the page whether an item at
// pos scores score or withBonus: whether it could be kept with either
// (before a cursor, the lower score is the nearer), or the bonus moves it
// across the cursor. Offered with the wrong score, it would show on the
// page again, or count on the wrong side.
func (p *pageSelector) phraseMatters(pos int32, score, withBonus int) bool {
	return p.couldEnter(pos, withBonus) || p.couldEnter(pos, score) || p.inWindow(pos, score) != p.inWindow(pos, withBonus)
}

func (p *pageSelector) offer(e *credEntry, pos int32, score int) {
	p.total++
	if !p.inWindow(pos, score) {
		p.outside++
		return
	}
	r := ranked{e, pos, score}
	if p.h.Len() <= p.limit {
		heap.Push(&p.h, r)
		return
	}
	// The heap's root is the item furthest from the cursor: replace it
	// when r is nearer.
	if p.h.nearer(r, p.h.items[0]) {
		p.h.items[0] = r
		heap.Fix(&p.h, 0)
	}
}

// result returns the page's items in list order and the cursors.
func (p *pageSelector) result() (items []ranked, next, prev string) {
	items = append([]ranked{}, p.h.items...)
	sort.Slice(items, func(i, j int) bool { return before(items[i], items[j]) })
	more := len(items) > p.limit
	if p.cur.dir == 'b' {
		if more {
			items = items[1:]
		}
	} else if more {
		items = items[:p.limit]
	}
	if len(items) == 0 {
		return nil, "", ""
	}
	first, last := items[0], items[len(items)-1]
	hasNext := more
	hasPrev := p.cur.dir == 'a' && p.outside > 0
	if p.cur.dir == 'b' {
		hasNext, hasPrev = p.outside > 0, more
	}
	if hasNext {
		next = cursor{'a', last.score, last.e.key}.encode()
	}
	if hasPrev {
		prev = cursor{'b', first.score, first.e.key}.encode()
	}
	return items, next, prev
}

// rankHeap is a heap whose root is the item furthest from the cursor: the
// latest in list order (or the earliest, reversed, before a cursor).
type rankHeap struct {
	items   []ranked
	reverse bool
}

// nearer tells whether a is nearer the cursor than b.
func (h *rankHeap) nearer(a, b ranked) bool {
	if h.reverse {
		return before(b, a)
	}
	return before(a, b)
}

func (h rankHeap) Len() int           { return len(h.items) }
func (h rankHeap) Less(i, j int) bool { return h.nearer(h.items[j], h.items[i]) }
func (h rankHeap) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *rankHeap) Push(x any)        { h.items = append(h.items, x.(ranked)) }
func (h *rankHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// ListLinks are the IRIs a page of the list is published under: the
// collection (the list with its filters), this view of it (with its
// cursor) and the neighbouring views ("" when none).
type ListLinks struct {
	Collection, View, First, Next, Previous string
}

// JSONLD returns the page as compacted JSON-LD: a hydra:Collection with
// its hydra:totalItems and a hydra:PartialCollectionView, whose members are
// the credentials (their type, CTID, name, description, owners and
// codes), each with the designations that put it on the list under
// credreg:designation (the inverse of credreg:credential), the
// organizations and Framework concepts named.
func (p *ListPage) JSONLD(base schema.Base, links ListLinks) ([]byte, error) {
	js, err := p.tree(links).JSONLD(base)
	if err != nil {
		return nil, fmt.Errorf("render the list: %w", err)
	}
	return js, nil
}

// NQuads returns the statements of the page's JSON-LD as N-Quads.
func (p *ListPage) NQuads(links ListLinks) []byte { return p.tree(links).NQuads() }

func (p *ListPage) tree(links ListLinks) *rdf.Node {
	coll := rdf.NewNode(links.Collection, schema.ClassCollection)
	coll.Add(schema.TotalItems, rdf.Integer(uint64(p.Total)))
	view := rdf.NewNode(links.View, schema.ClassPartialCollectionView).
		Links(schema.PropFirst, links.First).Links(schema.PropNext, links.Next).Links(schema.PropPrevious, links.Previous)
	coll.Add(schema.PropView, view)
	coll.Always(schema.Member)
	for _, it := range p.Items {
		coll.Add(schema.Member, p.credentialNode(it))
	}
	return coll
}

// named returns a node for a linked resource with its name.
func (p *ListPage) named(iri, labelProp string) *rdf.Node {
	n := rdf.NewNode(iri)
	t := p.Terms[iri]
	n.Add(labelProp, quad.String(t.Label))
	if t.Notation != "" && labelProp == schema.PrefLabel && t.Kind != kindCriterion {
		n.Add(schema.Notation, quad.String(t.Notation))
	}
	return n
}

func (p *ListPage) credentialNode(it ListItem) *rdf.Node {
	v := it.Credential
	n := rdf.NewNode(v.IRI, v.Types...)
	n.Add(schema.CTID, quad.String(v.CTID)).Add(schema.Name, quad.String(v.Name)).Add(schema.Description, quad.String(v.Description))
	// A member's owners, offerers and codes are always there, [] when it
	// has none, so every member has the same keys.
	n.Always(schema.OwnedBy)
	for _, o := range v.OwnedBy {
		n.Add(schema.OwnedBy, p.named(o, schema.Name))
	}
	n.Always(schema.OfferedBy).Links(schema.OfferedBy, v.OfferedBy...)
	n.Always(schema.OccupationType).Links(schema.OccupationType, v.Occupations...)
	n.Always(schema.IndustryType).Links(schema.IndustryType, v.Industries...)
	n.Always(schema.InstructionalProgramType).Links(schema.InstructionalProgramType, v.Programs...)
	n.Links(schema.SupersededBy, v.SupersededBy...)
	if v.LastVerified != "" {
		n.Add(schema.LastVerified, quad.TypedString{Value: quad.String(v.LastVerified), Type: quad.IRI(schema.XSDDate)})
	}
	if v.Retired {
		n.Add(schema.RecordStatus, quad.IRI(schema.StatusRetired))
	}
	n.Always(PropDesignation) // [] for a credential no designation puts on the list (active=any)
	for _, d := range it.Designations {
		n.Add(PropDesignation, p.designationNode(d))
	}
	return n
}

func dateValue(s string) quad.Value {
	if s == "" {
		return nil
	}
	return quad.TypedString{Value: quad.String(s), Type: quad.IRI(schema.XSDDate)}
}

func typedValue(s, datatype string) quad.Value {
	if s == "" {
		return nil
	}
	return quad.TypedString{Value: quad.String(s), Type: quad.IRI(datatype)}
}

func (p *ListPage) designationNode(d *DesignationView) *rdf.Node {
	n := rdf.NewNode(d.IRI, schema.ClassValueDesignation)
	n.Add(schema.CTID, quad.String(d.CTID))
	n.Add(schema.DesignatingAgency, p.named(d.Agency, schema.Name))
	n.Links(schema.DesignatedFor, d.Credential)
	for _, c := range d.Clusters {
		n.Add(schema.Cluster, p.named(c, schema.PrefLabel))
	}
	for _, c := range d.SubClusters {
		n.Add(schema.SubCluster, p.named(c, schema.PrefLabel))
	}
	n.Add(schema.Region, quad.String(d.Region))
	n.Add(schema.ValidFrom, dateValue(d.ValidFrom)).Add(schema.ValidThrough, dateValue(d.ValidThrough))
	for _, c := range d.Criteria {
		n.Add(schema.Criterion, p.named(c, schema.PrefLabel))
	}
	n.Add(schema.LastVerified, dateValue(d.LastVerified))
	for _, e := range d.Evidence {
		en := rdf.NewNode(e.IRI)
		en.Add(schema.MedianAnnualWage, typedValue(e.MedianAnnualWage, schema.XSDDecimal))
		en.Add(schema.ProjectedOpenings, typedValue(e.ProjectedAnnualOpenings, schema.XSDInteger))
		en.Add(dataSource, quad.String(e.DataSource))
		en.Add(schema.DataYear, typedValue(e.DataYear, schema.XSDGYear))
		n.Add(schema.Evidence, en)
	}
	if d.Retired {
		n.Add(schema.RecordStatus, quad.IRI(schema.StatusRetired))
	}
	return n
}

// FacetValue is a value a list filter can take, with how many
// designations (or credentials, for types) have it.
type FacetValue struct {
	IRI, Label, Notation string
	Count                int
	// SubClusters are a Cluster's Sub-Clusters.
	SubClusters []FacetValue
}

// ListFacets are the values the list's filters can take, for forms.
type ListFacets struct {
	Clusters []FacetValue // with their Sub-Clusters, by code
	Agencies []FacetValue // that have designations, by name
	Criteria []FacetValue // by code
	Types    []FacetValue // credential types in use, by name
	Regions  []string     // named by designations, sorted
}

// Facets returns the values the list's filters can take.
func (c *Catalog) Facets(ctx context.Context) (*ListFacets, error) {
	ix, err := c.listIndex(ctx)
	if err != nil {
		return nil, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	f := &ListFacets{}
	value := func(iri string, n int) FacetValue {
		v := FacetValue{IRI: iri, Count: n, Label: schema.Label(iri)}
		if t := ix.terms[iri]; t != nil {
			v.Label, v.Notation = t.label, t.notation
		}
		return v
	}
	var regions []string
	for k, b := range ix.desFacetBits {
		n := b.count()
		if n == 0 {
			continue
		}
		switch k.facet {
		case facetAgency:
			f.Agencies = append(f.Agencies, value(ix.names[k.value], n))
		case facetRegion:
			b.each(func(did int32) bool {
				regions = append(regions, ix.dents[did].view.Region)
				return false
			})
		}
	}
	count := func(facet byte, iri string) int { return ix.desFacetBits[facetKey{facet, ix.lookupID(iri)}].count() }
	for _, t := range ix.terms {
		switch t.kind {
		case kindCluster:
			c := value(t.iri, count(facetCluster, t.iri))
			for _, sub := range ix.children[t.iri] {
				c.SubClusters = append(c.SubClusters, value(sub, count(facetCluster, sub)))
			}
			sort.Slice(c.SubClusters, func(i, j int) bool { return c.SubClusters[i].Notation < c.SubClusters[j].Notation })
			f.Clusters = append(f.Clusters, c)
		case kindCriterion:
			f.Criteria = append(f.Criteria, value(t.iri, count(facetCriterion, t.iri)))
		}
	}
	for k, set := range ix.credFacets {
		if k.facet == facetType {
			f.Types = append(f.Types, value(ix.names[k.value], len(set)))
		}
	}
	sort.Strings(regions)
	f.Regions = regions
	byNotation := func(vs []FacetValue) {
		sort.Slice(vs, func(i, j int) bool { return vs[i].Notation+vs[i].IRI < vs[j].Notation+vs[j].IRI })
	}
	byLabel := func(vs []FacetValue) {
		sort.Slice(vs, func(i, j int) bool { return vs[i].Label+vs[i].IRI < vs[j].Label+vs[j].IRI })
	}
	byNotation(f.Clusters)
	byNotation(f.Criteria)
	byLabel(f.Agencies)
	byLabel(f.Types)
	return f, nil
}
