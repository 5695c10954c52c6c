package server

// The pages people read, beside the generic record page: home, a Career
// Cluster or Sub-Cluster, a code-list concept, a credential, an
// organization and the organizations. Each answers what its reader came
// for first (is this credential of value? what is in this Cluster?) and
// embeds a schema.org description for search engines.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"credreg/catalog"
	"credreg/registry"
	"credreg/schema"
)

// codeLink is a code-list concept for people: its system, code and title.
type codeLink struct {
	System string // "SOC", "O*NET-SOC", "NAICS", "CIP", or "" for another scheme
	Class  string // the system's CSS class: soc, naics, cip
	Code   string
	Label  string
	Href   string
}

// systemOf names the classification a code of scheme belongs to.
func systemOf(scheme, code string) (name, class string) {
	switch scheme {
	case schema.SchemeSOC:
		if strings.Contains(code, ".") {
			return "O*NET-SOC", "soc"
		}
		return "SOC", "soc"
	case schema.SchemeNAICS:
		return "NAICS", "naics"
	case schema.SchemeCIP:
		return "CIP", "cip"
	case schema.SchemeCareerClusters:
		return "Cluster", ""
	}
	return "", ""
}

// schemeOf splits the IRI of a concept under the base into its scheme and
// notation; ok is false for any other IRI.
func (s *Server) schemeOf(iri string) (scheme, notation string, ok bool) {
	p, under := s.base.Path(iri)
	if !under {
		return "", "", false
	}
	rest, ok := strings.CutPrefix(p, "/schemes/")
	if !ok {
		return "", "", false
	}
	scheme, notation, ok = strings.Cut(rest, "/")
	if !ok {
		return "", "", false
	}
	if n, err := url.PathUnescape(notation); err == nil {
		notation = n
	}
	return scheme, notation, true
}

// codeLinks names code-list concepts by system, code and title, ordered by
// system and code. Titles of official codes come from the lists, others
// from the store.
func (s *Server) codeLinks(l *catalog.Labeler, iris []string) []codeLink {
	out := make([]codeLink, 0, len(iris))
	for _, iri := range iris {
		c := codeLink{Href: s.href(iri)}
		scheme, code, ok := s.schemeOf(iri)
		if ok {
			c.Code = code
			c.System, c.Class = systemOf(scheme, code)
			if official, found := schema.LookupCode(scheme, code); found {
				c.Label = official.Title
			}
		}
		if c.Label == "" {
			c.Label = l.Link(iri).Label
		}
		if c.Label == "" {
			c.Label = firstNonEmpty(c.Code, iri)
		}
		out = append(out, c)
	}
	order := map[string]int{"Cluster": 0, "SOC": 1, "O*NET-SOC": 1, "NAICS": 2, "CIP": 3}
	sort.SliceStable(out, func(i, j int) bool {
		if oi, oj := order[out[i].System], order[out[j].System]; oi != oj {
			return oi < oj
		}
		return out[i].Code < out[j].Code
	})
	return out
}

// codesBySystem splits code links by system, for pages that list
// occupations, industries and programs apart.
type codesBySystem struct {
	Occupations, Industries, Programs, Other []codeLink
}

func splitCodes(cs []codeLink) codesBySystem {
	var out codesBySystem
	for _, c := range cs {
		switch c.Class {
		case "soc":
			out.Occupations = append(out.Occupations, c)
		case "naics":
			out.Industries = append(out.Industries, c)
		case "cip":
			out.Programs = append(out.Programs, c)
		default:
			out.Other = append(out.Other, c)
		}
	}
	return out
}

// Empty reports whether there is no code at all.
func (c codesBySystem) Empty() bool {
	return len(c.Occupations)+len(c.Industries)+len(c.Programs)+len(c.Other) == 0
}

// recordHTML renders the page of a record: a page of its own for a
// credential, an organization, a Career Cluster and a code-list concept,
// the generic record page otherwise. shared is true when the page shows
// other records too (designations, credentials of value), so that its
// validators must follow every write, not the record's alone.
func (s *Server) recordHTML(ctx context.Context, doc *registry.Document) (body []byte, shared bool, err error) {
	v, err := doc.View(ctx)
	if err != nil {
		return nil, false, err
	}
	types := make([]string, 0, len(v.Types))
	for _, t := range v.Types {
		types = append(types, t.Link)
	}
	has := func(class string) bool {
		for _, t := range types {
			if t == class {
				return true
			}
		}
		return false
	}
	isCredential := false
	for _, t := range types {
		isCredential = isCredential || schema.IsCredentialType(t)
	}
	switch {
	case isCredential:
		b, err := s.credentialHTML(ctx, doc, v)
		return b, true, err
	case registry.IsOrganization(types):
		b, err := s.organizationHTML(ctx, doc, v)
		return b, true, err
	case has(schema.ClassConcept):
		if scheme, code, ok := s.schemeOf(doc.IRI); ok {
			b, err := s.conceptHTML(ctx, doc, v, scheme, code)
			return b, true, err
		}
	case has(schema.ClassConceptScheme):
		b, err := s.schemeHTML(ctx, doc, v)
		return b, false, err
	}
	b, err := renderPage("record", s.recordData(doc, v))
	return b, false, err
}

func (s *Server) recordData(doc *registry.Document, v *registry.View) recordPage {
	return recordPage{
		pageData: pageData{
			Title: v.Title, Base: s.base.String(),
			Alternates: recordAlternates(),
		},
		View: v, Doc: doc,
	}
}

func recordAlternates() []alternate {
	return []alternate{
		{typeJSONLD, "?format=jsonld", "JSON-LD"},
		{typeNQuads, "?format=nq", "N-Quads"},
		{typeTurtle, "?format=ttl", "Turtle"},
	}
}

// resourceAlternates are recordAlternates and, for a record under
// /resources/, its CTDL rendering.
func resourceAlternates() []alternate {
	return append(recordAlternates(), alternate{ctdlMediaType, "?profile=ctdl", "CTDL JSON-LD"})
}

// --- home -----------------------------------------------------------------

type homePage struct {
	pageData
	Day          string
	Clusters     []catalog.ClusterRow
	Credentials  int
	Designations int
	Agencies     int
	Stats        registry.Stats
}

func (s *Server) homeHTML(ctx context.Context, st registry.Stats) ([]byte, error) {
	day := today()
	rep, err := s.cat.ClusterReport(ctx, day)
	if err != nil {
		return nil, err
	}
	page := homePage{
		pageData: pageData{Title: "Credentials of value", Base: s.base.String()},
		Day:      day, Credentials: rep.Credentials, Designations: rep.Designations, Stats: st,
	}
	agencies := map[string]bool{}
	for _, row := range rep.Rows {
		if row.Parent == "" {
			page.Clusters = append(page.Clusters, row)
		}
		for _, a := range row.ByAgency {
			agencies[a.IRI] = true
		}
	}
	page.Agencies = len(agencies)
	page.SchemaOrg = schemaOrgJSON(map[string]any{
		"@context": schemaOrgContext,
		"@type":    "WebSite",
		"name":     "credreg: credentials of value",
		"url":      s.base.String() + "/",
		"potentialAction": map[string]any{
			"@type":  "SearchAction",
			"target": s.base.String() + "/credentials?q={search_term_string}",
		},
	})
	return renderPage("home", page)
}

// --- Clusters and code-list concepts ---------------------------------------

type conceptPage struct {
	pageData
	IRI, Label, Code, System, Scheme, SchemeTitle string
	Notes                                         []string
	AltLabels                                     []string
	// Kind is "cluster", "subcluster" or "code".
	Kind         string
	CrossCutting bool
	Official     bool
	// Broader are the concepts above, the top first; Narrower those under.
	Broader  []codeLink
	Narrower []codeLink
	// SubClusters are a Cluster's Sub-Clusters with their crosswalks.
	SubClusters []subClusterRow
	// Codes are a Sub-Cluster's crosswalk.
	Codes codesBySystem
	// LinkedClusters are the Sub-Clusters that crosswalk to a code.
	LinkedClusters []codeLink
	// Credentials of value in it (or linking to the code), the first of
	// them, and the list of all of them.
	Day         string
	Total       int
	Items       []listRow
	Caption     string
	ListHref    string
	ByAgency    []catalog.Count
	ReportCount int
}

type subClusterRow struct {
	codeLink
	Credentials int
	Codes       codesBySystem
}

// maxPageCredentials caps the credentials a Cluster, concept or
// organization page lists; the list has them all.
const maxPageCredentials = 25

func (s *Server) conceptHTML(ctx context.Context, doc *registry.Document, v *registry.View, scheme, code string) ([]byte, error) {
	f, err := s.store.Facts(ctx, doc.IRI)
	if err != nil {
		return nil, err
	}
	l := s.newLabeler(ctx)
	page := conceptPage{
		pageData: pageData{Base: s.base.String(), Section: "clusters", Alternates: recordAlternates()},
		IRI:      doc.IRI, Code: code, Scheme: scheme,
		Label:     firstNonEmpty(f.First(schema.PrefLabel), v.Title, code),
		AltLabels: f.All(schema.AltLabel),
		Official:  f.First(schema.OfficialList) != "false",
		Day:       today(),
	}
	page.System, _ = systemOf(scheme, code)
	page.SchemeTitle = schema.CodeListTitle(scheme)
	if page.SchemeTitle == "" {
		page.SchemeTitle = l.Link(s.base.Scheme(scheme)).Label
	}
	for _, p := range []string{schema.Definition, schema.ScopeNote} {
		page.Notes = append(page.Notes, f.All(p)...)
	}
	// The chain of broader concepts, the top first (a few steps at most).
	seen := map[string]bool{doc.IRI: true}
	for up := f.First(schema.Broader); up != "" && !seen[up] && len(page.Broader) < 6; {
		seen[up] = true
		page.Broader = append([]codeLink{s.codeLinks(l, []string{up})[0]}, page.Broader...)
		uf, err := s.store.Facts(ctx, up)
		if errors.Is(err, registry.ErrNotFound) {
			break
		}
		if err != nil {
			return nil, err
		}
		up = uf.First(schema.Broader)
	}
	// The concepts under it: those it names, and those that name it as
	// broader (the code lists state only the latter).
	under, err := s.store.LinkedFrom(ctx, schema.Broader, doc.IRI)
	if err != nil {
		return nil, err
	}
	page.Narrower = s.codeLinks(l, union(f.All(schema.Narrower), under))
	q := catalog.ListQuery{Limit: maxPageCredentials}
	listParam := ""
	switch {
	case scheme == schema.SchemeCareerClusters && len(page.Broader) == 0:
		page.Kind, page.Section = "cluster", "clusters"
		page.CrossCutting = f.First(schema.CrossCutting) == "true"
		q.Cluster, listParam = []string{doc.IRI}, "cluster"
		rep, err := s.cat.ClusterReport(ctx, page.Day)
		if err != nil {
			return nil, err
		}
		counts := map[string]int{}
		for _, row := range rep.Rows {
			counts[row.IRI] = row.Credentials
			if row.IRI == doc.IRI {
				page.ByAgency = row.ByAgency
				page.ReportCount = row.Credentials
			}
		}
		for _, sub := range page.Narrower {
			subIRI := s.base.Concept(scheme, sub.Code)
			sf, err := s.store.Facts(ctx, subIRI)
			if err != nil && !errors.Is(err, registry.ErrNotFound) {
				return nil, err
			}
			row := subClusterRow{codeLink: sub, Credentials: counts[subIRI]}
			if sf != nil {
				row.Codes = splitCodes(s.codeLinks(l, sf.All(schema.RelatedMatch)))
			}
			page.SubClusters = append(page.SubClusters, row)
		}
		page.Narrower = nil
	case scheme == schema.SchemeCareerClusters:
		page.Kind, page.Section = "subcluster", "clusters"
		page.Codes = splitCodes(s.codeLinks(l, f.All(schema.RelatedMatch)))
		q.SubCluster, listParam = []string{doc.IRI}, "subcluster"
	default:
		page.Kind, page.Section = "code", ""
		subs, err := s.store.LinkedFrom(ctx, schema.RelatedMatch, doc.IRI)
		if err != nil {
			return nil, err
		}
		page.LinkedClusters = s.codeLinks(l, subs)
		switch scheme {
		case schema.SchemeSOC:
			q.SOC, listParam = []string{doc.IRI}, "soc"
		case schema.SchemeNAICS:
			q.NAICS, listParam = []string{doc.IRI}, "naics"
		case schema.SchemeCIP:
			q.CIP, listParam = []string{doc.IRI}, "cip"
		}
	}
	if listParam != "" {
		if err := s.pageCredentials(ctx, q, listParam, code, &page.Total, &page.Items, &page.ListHref); err != nil {
			return nil, err
		}
		page.Caption = "Credentials of value on " + formatDate(page.Day) + ", in name order, with the designations that make them so."
	}
	if l.Err() != nil {
		return nil, l.Err()
	}
	page.Title = page.Label
	if page.System != "" && page.Kind == "code" {
		page.Title = page.Label + " (" + page.System + " " + code + ")"
	}
	page.SchemaOrg = s.conceptSchemaOrg(&page)
	return renderPage("concept", page)
}

// pageCredentials fills the first credentials of value a list query finds,
// their total and the link to the whole list filtered by param=value.
func (s *Server) pageCredentials(ctx context.Context, q catalog.ListQuery, param, value string, total *int, items *[]listRow, href *string) error {
	res, err := s.cat.List(ctx, q)
	if err != nil {
		var qe *registry.QueryError
		if errors.As(err, &qe) {
			return nil // a code the list does not know: nothing of value links to it
		}
		return err
	}
	*total = res.Total
	*items = s.listRows(res)
	*href = "/credentials?" + url.Values{param: {value}}.Encode()
	return nil
}

// schemeHTML renders a concept scheme: a large list shows its top
// concepts only (every concept is a link away).
func (s *Server) schemeHTML(ctx context.Context, doc *registry.Document, v *registry.View) ([]byte, error) {
	data := s.recordData(doc, v)
	data.Section = "clusters"
	members, err := s.store.Members(ctx, doc.IRI)
	if err != nil {
		return nil, err
	}
	f, err := s.store.Facts(ctx, doc.IRI)
	if err != nil {
		return nil, err
	}
	if tops := f.All(schema.HasTopConcept); len(members) > maxSchemeMembers && len(tops) > 0 {
		keep := map[string]bool{}
		for _, t := range tops {
			keep[t] = true
		}
		var top []registry.Value
		for _, m := range members {
			if keep[m.Link] {
				top = append(top, m)
			}
		}
		data.MembersNote = fmt.Sprintf("%s concepts in all; the %d at the top are listed here, and each page lists the concepts under it.", formatCount(len(members)), len(top))
		members = top
	} else if len(members) > maxSchemeMembers {
		data.MembersNote = fmt.Sprintf("%s concepts in all; the first %d are listed here.", formatCount(len(members)), maxSchemeMembers)
		members = members[:maxSchemeMembers]
	}
	data.Members = members
	return renderPage("record", data)
}

// maxSchemeMembers caps the concepts a scheme's page lists.
const maxSchemeMembers = 300

// --- credentials ----------------------------------------------------------

type credentialPage struct {
	pageData
	Check        *catalog.Check
	IRI, CTID    string
	Webpage      string
	Codes        codesBySystem
	Competencies []link
	PreparesFor  []link
	PreparedBy   []link
	Requires     []link
	RequiredBy   []link
	Supersedes   []link
	Identifiers  []catalog.Identifier
	SameAs       []string
	Side         *sidePage
	Record       recordPage
	Retired      bool
}

func (s *Server) credentialHTML(ctx context.Context, doc *registry.Document, v *registry.View) ([]byte, error) {
	day := today()
	a, err := catalog.CheckCredential(ctx, s.cat, doc.IRI, day)
	if err != nil {
		return nil, err
	}
	cv, err := s.cat.Credential(ctx, doc.IRI)
	if err != nil {
		return nil, err
	}
	f, err := s.store.Facts(ctx, doc.IRI)
	if err != nil {
		return nil, err
	}
	l := s.newLabeler(ctx)
	page := credentialPage{
		pageData: pageData{
			Title: firstNonEmpty(cv.Name, cv.CTID), Base: s.base.String(), Section: "credentials",
			Alternates: resourceAlternates(), Print: true,
		},
		Check: a, IRI: doc.IRI, CTID: cv.CTID, Webpage: cv.SubjectWebpage,
		Competencies: l.Links(cv.Competencies),
		PreparesFor:  l.Links(f.All(schema.IsPreparationFor)),
		Requires:     l.Links(f.All(schema.RequiresCredential)),
		Identifiers:  cv.Identifiers, SameAs: cv.SameAs, Retired: cv.Retired,
		Record: s.recordData(doc, v),
	}
	var codes []string
	codes = append(codes, cv.Occupations...)
	codes = append(codes, cv.Industries...)
	codes = append(codes, cv.Programs...)
	page.Codes = splitCodes(s.codeLinks(l, codes))
	for _, rel := range []struct {
		pred string
		dst  *[]link
	}{
		{schema.IsPreparationFor, &page.PreparedBy},
		{schema.RequiresCredential, &page.RequiredBy},
		{schema.SupersededBy, &page.Supersedes},
	} {
		iris, err := s.store.LinkedFrom(ctx, rel.pred, doc.IRI)
		if err != nil {
			return nil, err
		}
		*rel.dst = l.Links(iris)
	}
	set, err := s.cat.DesignationSet(ctx, doc.IRI)
	if err != nil {
		return nil, err
	}
	if len(set.Designations) > 0 {
		if page.Side, err = s.sideBySide(ctx, set, day); err != nil {
			return nil, err
		}
	}
	if l.Err() != nil {
		return nil, l.Err()
	}
	page.SchemaOrg = s.credentialSchemaOrg(&page, cv)
	return renderPage("credential", page)
}

// --- organizations --------------------------------------------------------

type organizationPage struct {
	pageData
	IRI, CTID, Name, Description, Webpage string
	Types                                 []string
	Owns, Offers                          []link
	OwnsTotal, OffersTotal                int
	// Designations: the credentials of value it designates today.
	Day      string
	Total    int
	Items    []listRow
	Caption  string
	ListHref string
	Record   recordPage
}

// maxOrgCredentials caps the credentials an organization page names as
// owned or offered.
const maxOrgCredentials = 200

func (s *Server) organizationHTML(ctx context.Context, doc *registry.Document, v *registry.View) ([]byte, error) {
	f, err := s.store.Facts(ctx, doc.IRI)
	if err != nil {
		return nil, err
	}
	l := s.newLabeler(ctx)
	page := organizationPage{
		pageData: pageData{Title: v.Title, Base: s.base.String(), Section: "organizations", Alternates: resourceAlternates()},
		IRI:      doc.IRI, CTID: f.First(schema.CTID), Name: firstNonEmpty(f.First(schema.Name), v.Title),
		Description: f.First(schema.Description), Webpage: f.First(schema.SubjectWebpage),
		Day: today(), Record: s.recordData(doc, v),
	}
	for _, t := range v.Types {
		page.Types = append(page.Types, t.Text)
	}
	for _, rel := range []struct {
		pred  string
		dst   *[]link
		total *int
	}{{schema.OwnedBy, &page.Owns, &page.OwnsTotal}, {schema.OfferedBy, &page.Offers, &page.OffersTotal}} {
		iris, err := s.store.LinkedFrom(ctx, rel.pred, doc.IRI)
		if err != nil {
			return nil, err
		}
		*rel.total = len(iris)
		links := l.Links(iris)
		sort.SliceStable(links, func(i, j int) bool { return strings.ToLower(links[i].Label) < strings.ToLower(links[j].Label) })
		if len(links) > maxOrgCredentials {
			links = links[:maxOrgCredentials]
		}
		*rel.dst = links
	}
	q := catalog.ListQuery{Agency: []string{doc.IRI}, Limit: maxPageCredentials}
	if err := s.pageCredentials(ctx, q, "agency", doc.IRI, &page.Total, &page.Items, &page.ListHref); err != nil {
		return nil, err
	}
	page.Caption = "Credentials it designates of value on " + formatDate(page.Day) + ", in name order."
	if l.Err() != nil {
		return nil, l.Err()
	}
	page.SchemaOrg = schemaOrgJSON(s.organizationSchemaOrg(&page))
	return renderPage("organization", page)
}

// orgIndexEntry is one organization of the index.
type orgIndexEntry struct {
	IRI, Href, Name string
	Types           []string
	Designates      int // credentials of value it designates today
}

type organizationsPage struct {
	pageData
	Agencies []orgIndexEntry
	All      []orgIndexEntry
	Total    int
	Page     int
	Pages    int
	Next     string
	Prev     string
	Letters  []string
	Letter   string
}

// orgsPerPage is the size of a page of the organizations index.
const orgsPerPage = 200

// orgIndex caches the organizations by name for one store sequence.
type orgIndex struct {
	mu   sync.Mutex
	seq  uint64
	orgs []orgIndexEntry
}

func (s *Server) organizationIndex(ctx context.Context) ([]orgIndexEntry, error) {
	s.orgs.mu.Lock()
	defer s.orgs.mu.Unlock()
	seq := s.store.Sequence()
	if s.orgs.orgs != nil && s.orgs.seq == seq {
		return s.orgs.orgs, nil
	}
	classes := []string{schema.ClassAgency}
	for _, c := range schema.CTDLClasses() {
		if schema.IsCTDLSubClassOf(c, schema.CETerms+"Organization") {
			classes = append(classes, c)
		}
	}
	byIRI := map[string]*orgIndexEntry{}
	l := s.newLabeler(ctx)
	for _, c := range classes {
		iris, err := s.store.LinkedFrom(ctx, schema.RDFType, c)
		if err != nil {
			return nil, err
		}
		for _, iri := range iris {
			e := byIRI[iri]
			if e == nil {
				e = &orgIndexEntry{IRI: iri, Href: s.href(iri), Name: firstNonEmpty(l.Link(iri).Label, iri)}
				byIRI[iri] = e
			}
			e.Types = append(e.Types, schema.Label(c))
		}
	}
	if l.Err() != nil {
		return nil, l.Err()
	}
	out := make([]orgIndexEntry, 0, len(byIRI))
	for _, e := range byIRI {
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := strings.ToLower(out[i].Name), strings.ToLower(out[j].Name)
		if a != b {
			return a < b
		}
		return out[i].IRI < out[j].IRI
	})
	s.orgs.seq, s.orgs.orgs = seq, out
	return out, nil
}

// organizations serves GET /organizations: the designating agencies with
// their counts, then every organization by name, in pages (HTML, or JSON-LD
// as a collection).
func (s *Server) organizations(w http.ResponseWriter, r *http.Request) {
	html, ok := pickPage(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	for name := range q {
		if name != "page" && name != "format" && name != "letter" {
			writeProblemDoc(w, r, problem{Status: http.StatusBadRequest, Parameter: name, Detail: fmt.Sprintf("unknown parameter %q; /organizations takes page, letter and format", name)})
			return
		}
	}
	pageNo := 1
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			writeProblemDoc(w, r, problem{Status: http.StatusBadRequest, Parameter: "page", Detail: fmt.Sprintf("page=%q: give a page number from 1", p)})
			return
		}
		pageNo = n
	}
	letter := strings.ToUpper(strings.TrimSpace(q.Get("letter")))
	if len(letter) > 1 {
		writeProblemDoc(w, r, problem{Status: http.StatusBadRequest, Parameter: "letter", Detail: fmt.Sprintf("letter=%q: give one letter, or # for names that start otherwise", q.Get("letter"))})
		return
	}
	all, err := s.organizationIndex(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	facets, err := s.cat.Facets(r.Context())
	if err != nil {
		s.listError(w, r, err)
		return
	}
	page := organizationsPage{pageData: pageData{Title: "Organizations", Base: s.base.String(), Section: "organizations",
		Alternates: []alternate{{typeJSON, "?format=json", "JSON"}}}, Letter: letter}
	designates := map[string]int{}
	for _, a := range facets.Agencies {
		designates[a.IRI] = a.Count
	}
	letters := map[string]bool{}
	var shown []orgIndexEntry
	for _, e := range all {
		e.Designates = designates[e.IRI]
		first := initialOf(e.Name)
		letters[first] = true
		if e.Designates > 0 {
			page.Agencies = append(page.Agencies, e)
		}
		if letter == "" || first == letter {
			shown = append(shown, e)
		}
	}
	for c := range letters {
		page.Letters = append(page.Letters, c)
	}
	sort.Strings(page.Letters)
	page.Total = len(shown)
	page.Pages = (len(shown) + orgsPerPage - 1) / orgsPerPage
	if page.Pages == 0 {
		page.Pages = 1
	}
	if pageNo > page.Pages {
		writeProblemDoc(w, r, problem{Status: http.StatusNotFound, Parameter: "page", Detail: fmt.Sprintf("page %d is past the last page, %d", pageNo, page.Pages)})
		return
	}
	page.Page = pageNo
	lo, hi := (pageNo-1)*orgsPerPage, pageNo*orgsPerPage
	if hi > len(shown) {
		hi = len(shown)
	}
	page.All = shown[lo:hi]
	link := func(n int) string {
		v := url.Values{}
		if letter != "" {
			v.Set("letter", letter)
		}
		if n > 1 {
			v.Set("page", strconv.Itoa(n))
		}
		if len(v) == 0 {
			return "/organizations"
		}
		return "/organizations?" + v.Encode()
	}
	if pageNo < page.Pages {
		page.Next = link(pageNo + 1)
	}
	if pageNo > 1 {
		page.Prev = link(pageNo - 1)
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	if html {
		s.writePage(w, r, http.StatusOK, "organizations", page)
		return
	}
	type member struct {
		ID         string   `json:"id"`
		Name       string   `json:"name"`
		Types      []string `json:"types"`
		Designates int      `json:"designatesOfValue"`
	}
	out := struct {
		ID         string   `json:"id"`
		TotalItems int      `json:"totalItems"`
		Page       int      `json:"page"`
		Pages      int      `json:"pages"`
		Next       string   `json:"next,omitempty"`
		Previous   string   `json:"previous,omitempty"`
		Member     []member `json:"member"`
	}{ID: s.base.String() + r.URL.Path, TotalItems: page.Total, Page: page.Page, Pages: page.Pages, Member: []member{}}
	if page.Next != "" {
		out.Next = s.base.String() + page.Next
	}
	if page.Prev != "" {
		out.Previous = s.base.String() + page.Prev
	}
	for _, e := range page.All {
		out.Member = append(out.Member, member{ID: e.IRI, Name: e.Name, Types: e.Types, Designates: e.Designates})
	}
	writeJSON(w, r, http.StatusOK, out)
}

// initialOf is the index letter of a name: its first letter, upper case,
// or "#".
func initialOf(name string) string {
	c, _ := utf8.DecodeRuneInString(name)
	if c >= 'a' && c <= 'z' {
		c -= 'a' - 'A'
	}
	if c >= 'A' && c <= 'Z' {
		return string(c)
	}
	return "#"
}

// union returns the strings of a and b, each once, in a's order then b's.
func union(a, b []string) []string {
	seen := make(map[string]bool, len(a)+len(b))
	out := make([]string, 0, len(a)+len(b))
	for _, x := range append(append([]string{}, a...), b...) {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
