package catalog

// The employer's check and the labels people read.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"credreg/registry"
	"credreg/schema"
)

// --- labels ---------------------------------------------------------------

// Link is a linked resource with the name people read and, for a code-list
// concept, its code.
type Link struct {
	IRI   string `json:"iri"`
	Label string `json:"label,omitempty"`
	Code  string `json:"code,omitempty"`
}

// Labeler names linked resources, reading each once per request.
type Labeler struct {
	ctx   context.Context
	store *registry.Store
	base  schema.Base
	memo  map[string]string
	err   error
}

// NewLabeler returns a Labeler reading store, for one request.
func NewLabeler(ctx context.Context, store *registry.Store) *Labeler {
	return &Labeler{ctx: ctx, store: store, base: store.Base(), memo: map[string]string{}}
}

// Err is the first error reading a label, nil when every read succeeded.
func (l *Labeler) Err() error { return l.err }

// Link names iri: a label from the store for a resource under the base
// (with its code for a code-list concept), the vocabulary's label for
// another IRI.
func (l *Labeler) Link(iri string) Link {
	out := Link{IRI: iri}
	p, under := l.base.Path(iri)
	if !under {
		out.Label = schema.Label(iri)
		if out.Label == iri {
			out.Label = ""
		}
		return out
	}
	if rest, ok := strings.CutPrefix(p, "/schemes/"); ok {
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			if code, err := url.PathUnescape(rest[i+1:]); err == nil {
				out.Code = code
			}
		}
	}
	label, ok := l.memo[iri]
	if !ok && l.err == nil {
		label, l.err = l.store.Label(l.ctx, iri)
		l.memo[iri] = label
	}
	out.Label = label
	return out
}

// Links names each of iris (see Link).
func (l *Labeler) Links(iris []string) []Link {
	out := make([]Link, 0, len(iris))
	for _, iri := range iris {
		out = append(out, l.Link(iri))
	}
	return out
}

// --- the employer's check -------------------------------------------------

// Check is the employer's answer about one credential on one day.
type Check struct {
	// MatchedBy says how a check by name found the credential: by its
	// "name" or its "short name" (CCNA); absent for a check by CTID.
	MatchedBy  string            `json:"matchedBy,omitempty"`
	Date       string            `json:"date"`
	OfValue    bool              `json:"ofValue"`
	Summary    string            `json:"summary"`
	Credential CheckedCredential `json:"credential"`
	// Agencies, Clusters, SubClusters and Regions gather the designations
	// in force on Date.
	Agencies           []Link        `json:"agencies"`
	Clusters           []Link        `json:"clusters"`
	SubClusters        []Link        `json:"subClusters"`
	Regions            []string      `json:"regions"`
	ActiveDesignations []Designation `json:"activeDesignations"`
	OtherDesignations  []Designation `json:"otherDesignations"`
	Competencies       []Link        `json:"competencies"`
	Occupations        []Link        `json:"occupations"`
	Industries         []Link        `json:"industries"`
	Programs           []Link        `json:"programs"`
	Links              CheckLinks    `json:"links"`
	// Replacement is the check of the credential that supersedes this
	// one, when there is one: the answer follows the replacement.
	Replacement *Check `json:"replacement,omitempty"`
}

// CheckedCredential is what a check says of the credential itself.
type CheckedCredential struct {
	IRI         string `json:"iri"`
	CTID        string `json:"ctid"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Types       []Link `json:"types"`
	OwnedBy     []Link `json:"ownedBy"`
	OfferedBy   []Link `json:"offeredBy"`
	// Clusters and SubClusters are the credential's own alignment, which
	// may differ from the designations'.
	Clusters    []Link `json:"clusters"`
	SubClusters []Link `json:"subClusters"`
	Retired     bool   `json:"retired"`
	// SupersededBy names the credentials that replace this one;
	// LastVerified is when its description was last checked.
	SupersededBy []Link `json:"supersededBy"`
	LastVerified string `json:"lastVerified,omitempty"`
}

// Designation is one agency's designation as a check gives it, with its
// status on the check's day.
type Designation struct {
	IRI              string     `json:"iri"`
	CTID             string     `json:"ctid,omitempty"`
	Status           string     `json:"status"` // active, expired, not-yet-valid, retired
	Agency           Link       `json:"agency"`
	Clusters         []Link     `json:"clusters"`
	SubClusters      []Link     `json:"subClusters"`
	Region           string     `json:"region,omitempty"`
	ValidFrom        string     `json:"validFrom,omitempty"`
	ValidThrough     string     `json:"validThrough,omitempty"`
	Criteria         []Link     `json:"criteria"`
	Evidence         []Evidence `json:"evidence"`
	RetiredOn        string     `json:"retiredOn,omitempty"`
	RetirementReason string     `json:"retirementReason,omitempty"`
}

// Evidence backs a designation: wage and openings (JSON numbers), source
// and year.
type Evidence struct {
	MedianAnnualWage        json.Number `json:"medianAnnualWage,omitempty"`
	ProjectedAnnualOpenings json.Number `json:"projectedAnnualOpenings,omitempty"`
	DataSource              string      `json:"dataSource,omitempty"`
	DataYear                string      `json:"dataYear,omitempty"`
}

// CheckLinks are the credential's record, its designations side by side
// and its history.
type CheckLinks struct {
	Resource     string `json:"resource"`
	Designations string `json:"designations"`
	History      string `json:"history"`
}

// Candidate is one credential an ambiguous name may mean.
type Candidate struct {
	IRI     string `json:"iri"`
	CTID    string `json:"ctid"`
	Name    string `json:"name"`
	Types   []Link `json:"types"`
	OwnedBy []Link `json:"ownedBy"`
	Check   string `json:"check"`
}

// Ambiguous is the 300 answer to a name several credentials have.
type Ambiguous struct {
	Name       string      `json:"name"`
	Detail     string      `json:"detail"`
	Candidates []Candidate `json:"candidates"`
}

// NotCredentialError is returned for a record that is not a credential.
type NotCredentialError struct{ iri, types string }

// Error says what the record is instead.
func (e *NotCredentialError) Error() string {
	return fmt.Sprintf("%s is not a credential (it is a %s); /check answers about credentials", e.iri, e.types)
}

// number returns a decimal's lexical form as a JSON number, or "" when it
// is not one.
func number(s string) json.Number {
	if _, err := strconv.ParseFloat(s, 64); err != nil {
		return ""
	}
	return json.Number(s)
}

func designation(l *Labeler, d DesignationView, day string) Designation {
	out := Designation{
		IRI: d.IRI, CTID: d.CTID, Status: d.StatusOn(day),
		Agency:      l.Link(d.Agency),
		Clusters:    l.Links(d.Clusters),
		SubClusters: l.Links(d.SubClusters),
		Region:      d.Region, ValidFrom: d.ValidFrom, ValidThrough: d.ValidThrough,
		Criteria:         l.Links(d.Criteria),
		Evidence:         []Evidence{},
		RetiredOn:        d.RetiredOn,
		RetirementReason: d.RetirementReason,
	}
	for _, e := range d.Evidence {
		out.Evidence = append(out.Evidence, Evidence{
			MedianAnnualWage:        number(e.MedianAnnualWage),
			ProjectedAnnualOpenings: number(e.ProjectedAnnualOpenings),
			DataSource:              e.DataSource,
			DataYear:                e.DataYear,
		})
	}
	return out
}

// buildCheck answers about the credential iri on day.
func build(ctx context.Context, st *Catalog, iri, day string) (*Check, error) {
	cv, err := st.Credential(ctx, iri)
	if err != nil {
		return nil, err
	}
	if !cv.IsCredential {
		names := make([]string, len(cv.Types))
		for i, t := range cv.Types {
			names[i] = schema.Label(t)
		}
		return nil, &NotCredentialError{iri: iri, types: strings.Join(names, ", ")}
	}
	recs, err := st.Designations(ctx, iri)
	if err != nil {
		return nil, err
	}
	l := NewLabeler(ctx, st.store)
	typeLinks := make([]Link, len(cv.Types))
	for i, t := range cv.Types {
		typeLinks[i] = Link{IRI: t, Label: schema.Label(t)}
	}
	a := &Check{
		Date: day,
		Credential: CheckedCredential{
			IRI: iri, CTID: cv.CTID, Name: cv.Name, Description: cv.Description,
			Types: typeLinks, OwnedBy: l.Links(cv.OwnedBy), OfferedBy: l.Links(cv.OfferedBy),
			Clusters: l.Links(cv.Clusters), SubClusters: l.Links(cv.SubClusters), Retired: cv.Retired,
			SupersededBy: l.Links(cv.SupersededBy), LastVerified: cv.LastVerified,
		},
		Agencies: []Link{}, Clusters: []Link{}, SubClusters: []Link{}, Regions: []string{},
		ActiveDesignations: []Designation{}, OtherDesignations: []Designation{},
		Competencies: l.Links(cv.Competencies), Occupations: l.Links(cv.Occupations),
		Industries: l.Links(cv.Industries), Programs: l.Links(cv.Programs),
		Links: CheckLinks{Resource: iri, Designations: DesignationSetIRI(iri), History: iri + "/history"},
	}
	seen := map[string]bool{}
	for _, rec := range recs {
		d := ViewDesignation(rec)
		cd := designation(l, d, day)
		if cd.Status != StatusActive {
			a.OtherDesignations = append(a.OtherDesignations, cd)
			continue
		}
		a.OfValue = true
		a.ActiveDesignations = append(a.ActiveDesignations, cd)
		if !seen["a "+cd.Agency.IRI] {
			seen["a "+cd.Agency.IRI] = true
			a.Agencies = append(a.Agencies, cd.Agency)
		}
		for _, c := range cd.Clusters {
			if !seen["c "+c.IRI] {
				seen["c "+c.IRI] = true
				a.Clusters = append(a.Clusters, c)
			}
		}
		for _, c := range cd.SubClusters {
			if !seen["s "+c.IRI] {
				seen["s "+c.IRI] = true
				a.SubClusters = append(a.SubClusters, c)
			}
		}
		if cd.Region != "" && !seen["r "+cd.Region] {
			seen["r "+cd.Region] = true
			a.Regions = append(a.Regions, cd.Region)
		}
	}
	if l.err != nil {
		return nil, l.err
	}
	sort.Slice(a.Clusters, func(i, j int) bool { return a.Clusters[i].IRI < a.Clusters[j].IRI })
	sort.Slice(a.SubClusters, func(i, j int) bool { return a.SubClusters[i].IRI < a.SubClusters[j].IRI })
	sort.Strings(a.Regions)
	a.Summary = checkSummary(a)
	return a, nil
}

// maxReplacements bounds how far a check follows supersededBy links.
const maxReplacements = 3

// followReplacement adds to a the check of the credential that supersedes
// it (and so on, a few steps at most, never in a circle).
func followReplacement(ctx context.Context, st *Catalog, a *Check, day string) error {
	seen := map[string]bool{a.Credential.IRI: true}
	cur := a
	for i := 0; i < maxReplacements && len(cur.Credential.SupersededBy) > 0; i++ {
		next := cur.Credential.SupersededBy[0].IRI
		if seen[next] {
			break
		}
		seen[next] = true
		r, err := build(ctx, st, next, day)
		var nc *NotCredentialError
		if errors.Is(err, registry.ErrNotFound) || errors.As(err, &nc) {
			break // a link to nothing the registry knows as a credential
		}
		if err != nil {
			return err
		}
		cur.Replacement = r
		cur.Summary += " It is superseded by " + r.Summary
		cur = r
	}
	return nil
}

func checkSummary(a *Check) string {
	name := a.Credential.Name
	if name == "" {
		name = a.Credential.CTID
	}
	if !a.OfValue {
		s := fmt.Sprintf("%s is not designated of value by any agency on %s", name, a.Date)
		if n := len(a.OtherDesignations); n > 0 {
			s += fmt.Sprintf(" (%d designation%s not in force: %s)", n, plural(n), statusCounts(a.OtherDesignations))
		}
		return s + "."
	}
	parts := make([]string, len(a.ActiveDesignations))
	for i, d := range a.ActiveDesignations {
		who := d.Agency.Label
		if who == "" {
			who = d.Agency.IRI
		}
		var where []string
		for _, c := range append(append([]Link{}, d.Clusters...), d.SubClusters...) {
			if c.Label != "" {
				where = append(where, c.Label)
			}
		}
		p := who + " (" + d.Region
		if len(where) > 0 {
			p += "; " + strings.Join(where, ", ")
		}
		if d.ValidThrough != "" {
			p += "; through " + d.ValidThrough
		}
		parts[i] = p + ")"
	}
	return fmt.Sprintf("%s is of value on %s: designated by %s.", name, a.Date, strings.Join(parts, "; "))
}

func statusCounts(ds []Designation) string {
	n := map[string]int{}
	for _, d := range ds {
		n[d.Status]++
	}
	var out []string
	for _, st := range []string{StatusExpired, StatusNotYet, StatusRetiredNow} {
		if n[st] > 0 {
			out = append(out, fmt.Sprintf("%d %s", n[st], st))
		}
	}
	return strings.Join(out, ", ")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func candidates(ctx context.Context, st *Catalog, name, by string, iris []string) (*Ambiguous, error) {
	how := "named"
	if by == MatchedByShortName {
		how = "known by the short name"
	}
	amb := &Ambiguous{Name: name, Detail: fmt.Sprintf("%d credentials are %s %q; ask again with ?ctid= of the one meant", len(iris), how, name)}
	var views []*CredentialView
	for _, iri := range iris {
		cv, err := st.Credential(ctx, iri)
		if errors.Is(err, registry.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		views = append(views, cv)
	}
	var err error
	amb.Candidates, err = suggestions(ctx, st, views)
	return amb, err
}

// suggestions describes credentials a name may mean, for a person to pick
// one.
func suggestions(ctx context.Context, st *Catalog, views []*CredentialView) ([]Candidate, error) {
	l := NewLabeler(ctx, st.store)
	out := []Candidate{}
	for _, cv := range views {
		types := make([]Link, len(cv.Types))
		for i, t := range cv.Types {
			types[i] = Link{IRI: t, Label: schema.Label(t)}
		}
		owners := cv.OwnedBy
		if len(owners) == 0 {
			owners = cv.OfferedBy
		}
		out = append(out, Candidate{
			IRI: cv.IRI, CTID: cv.CTID, Name: cv.Name, Types: types, OwnedBy: l.Links(owners),
			Check: "/check?ctid=" + url.QueryEscape(cv.CTID),
		})
	}
	return out, l.err
}

// CheckCredential answers about the credential iri on day (YYYY-MM-DD),
// following the credentials that supersede it a few steps. It returns an
// error wrapping registry.ErrNotFound when there is no such record, and a
// *NotCredentialError for a record that is not a credential.
func CheckCredential(ctx context.Context, st *Catalog, iri, day string) (*Check, error) {
	a, err := build(ctx, st, iri, day)
	if err != nil {
		return nil, err
	}
	if err := followReplacement(ctx, st, a, day); err != nil {
		return nil, err
	}
	return a, nil
}

// NoMatchError is a check by a name no credential has; Suggestions are the
// closest credentials.
type NoMatchError struct {
	Name        string
	Suggestions []Candidate
}

// Error says that no credential has the name, and how names are compared.
func (e *NoMatchError) Error() string {
	detail := fmt.Sprintf("no credential is named %q (names are compared ignoring case and spacing, and short names such as CCNA are known)", e.Name)
	if len(e.Suggestions) > 0 {
		detail += fmt.Sprintf("; the %d closest are in suggestions", len(e.Suggestions))
	}
	return detail
}

// Error makes an ambiguous name an error of CheckName.
func (a *Ambiguous) Error() string { return a.Detail }

// CheckName answers about the credential a person names, on day: by its
// name (ignoring case and spacing), else its short name or initials
// (MatchedBy says which). A name no credential has is a *NoMatchError
// with up to maxSuggestions of the closest; a name several have is an
// *Ambiguous listing them.
func CheckName(ctx context.Context, st *Catalog, name, day string, maxSuggestions int) (*Check, error) {
	m, err := st.MatchName(ctx, name, maxSuggestions)
	if err != nil {
		return nil, err
	}
	switch len(m.Credentials) {
	case 0:
		sugg, err := suggestions(ctx, st, m.Candidates)
		if err != nil {
			return nil, err
		}
		return nil, &NoMatchError{Name: name, Suggestions: sugg}
	case 1:
	default:
		amb, err := candidates(ctx, st, name, m.By, m.Credentials)
		if err != nil {
			return nil, err
		}
		return nil, amb
	}
	a, err := CheckCredential(ctx, st, m.Credentials[0], day)
	if err != nil {
		return nil, err
	}
	a.MatchedBy = m.By
	return a, nil
}
