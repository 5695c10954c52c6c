package ingest

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cayleygraph/quad"

	"credreg/registry"
	"credreg/schema"
)

// rowReader is a spreadsheet's rows: CSV or one XLSX worksheet.
type rowReader interface {
	// next returns the next row's cells and its row number (1-based, the
	// header being the first non-blank row), or io.EOF.
	next() ([]string, int, error)
	// position returns the bytes read and the input's size, 0 if unknown.
	position() (int64, int64)
}

// MaxCellBytes caps one cell: longer text is an error for its row.
const MaxCellBytes = 64 << 10

// SheetOptions configures the spreadsheet readers.
type SheetOptions struct {
	// Agency designates the rows' credentials when the sheet has no agency
	// column (a CTID or a name). Required for designations.
	Agency string
	// Mapping adapts the sheet's headers and spellings; nil for the
	// default layout.
	Mapping *Mapping
	// Resolver resolves Clusters, criteria and organizations. Required.
	Resolver *Resolver
	// Today is the default start of a designation's validity when the row
	// gives none (zero means the current date).
	Today time.Time
}

// sheet turns rows into units: an organization for each new owner, the
// credential, the agency's value designation, and new competencies.
type sheet struct {
	name string
	rows rowReader
	opts SheetOptions
	base schema.Base

	cols     map[string][]int // field -> column indexes
	headers  []string
	headerAt int
	fieldCol map[string]string // vocabulary field -> header, for ColumnOf
	done     bool
	known    map[string]bool // records this import already emitted once (new organizations, frameworks)
}

func newSheet(name string, rows rowReader, opts SheetOptions) *sheet {
	return &sheet{name: name, rows: rows, opts: opts, base: opts.Resolver.base, known: map[string]bool{}}
}

// Name implements Source.
func (s *sheet) Name() string { return s.name }

// Position implements Sizer.
func (s *sheet) Position() (int64, int64) { return s.rows.position() }

// ColumnOf implements ColumnNamer.
func (s *sheet) ColumnOf(field string) string { return s.fieldCol[field] }

// bindHeaders matches the header row to fields. Problems it returns end
// the import: which column holds what would be a guess.
func (s *sheet) bindHeaders(cells []string, row int) []Problem {
	for i, h := range cells {
		if !utf8.ValidString(h) {
			return []Problem{{File: s.name, Row: row, Column: "column " + columnLetter(i), Value: strings.ToValidUTF8(h, "?"),
				Message: "the header row is not UTF-8 text; save the sheet as \"CSV UTF-8\" (or XLSX) and import it again"}}
		}
	}
	s.headers, s.headerAt = cells, row
	s.cols = map[string][]int{}
	byKey := map[string]string{}
	for field, names := range defaultHeaders {
		for _, n := range names {
			byKey[schema.NameKey(n)] = field
		}
	}
	mapped := map[string]string{} // header key -> field, from the mapping
	if m := s.opts.Mapping; m != nil {
		for field, hs := range m.Columns {
			for _, h := range hs {
				mapped[schema.NameKey(h)] = field
			}
		}
	}
	var probs []Problem
	for i, h := range cells {
		k := schema.NameKey(h)
		if k == "" {
			continue
		}
		field, ok := mapped[k]
		if !ok && s.opts.Mapping != nil && len(s.opts.Mapping.Columns) > 0 {
			// A mapped field's default names no longer apply.
			if f, ok2 := byKey[k]; ok2 {
				if _, remapped := s.opts.Mapping.Columns[f]; !remapped {
					field, ok = f, true
				}
			}
		} else if !ok {
			field, ok = byKey[k]
		}
		if !ok {
			continue
		}
		s.cols[field] = append(s.cols[field], i)
	}
	for field, idx := range s.cols {
		if len(idx) > 1 && !listFields[field] {
			var names []string
			for _, i := range idx {
				names = append(names, fmt.Sprintf("%s %q", columnLetter(i), cells[i]))
			}
			probs = append(probs, Problem{File: s.name, Row: row, Column: cells[idx[1]],
				Message: fmt.Sprintf("%d columns hold the field %s (%s); keep one, or map one with a mapping file", len(idx), field, strings.Join(names, ", "))})
		}
	}
	if len(s.cols[FieldName]) == 0 && len(s.cols[FieldCTID]) == 0 {
		probs = append(probs, Problem{File: s.name, Row: row,
			Message: fmt.Sprintf("no column holds the credential name (headers seen: %s); name one of them in a mapping file's columns.name", strings.Join(nonEmpty(cells), ", "))})
	}
	s.fieldCol = map[string]string{}
	for vocab, field := range vocabField {
		if idx := s.cols[field]; len(idx) > 0 {
			s.fieldCol[vocab] = cells[idx[0]]
		}
	}
	return probs
}

// vocabField maps the vocabulary's field names (in validation problems)
// to sheet fields.
var vocabField = map[string]string{
	"ceterms:name": FieldName, "ceterms:ctid": FieldCTID, "ceterms:description": FieldDescription,
	"ceterms:subjectWebpage": FieldURL, "ceterms:ownedBy": FieldOwner, "ceterms:offeredBy": FieldOfferedBy,
	"ceterms:occupationType": FieldSOC, "ceterms:instructionalProgramType": FieldCIP, "ceterms:industryType": FieldNAICS,
	"credreg:cluster": FieldCluster, "credreg:subCluster": FieldSubCluster, "credreg:region": FieldRegion,
	"schema:validFrom": FieldValidFrom, "schema:validThrough": FieldValidThrough, "credreg:criterion": FieldCriteria,
	"credreg:medianAnnualWage": FieldMedianWage, "credreg:projectedAnnualOpenings": FieldOpenings,
	"credreg:dataYear": FieldEvidenceYear, "credreg:designatingAgency": FieldAgency, "@type": FieldType,
}

func nonEmpty(cells []string) []string {
	var out []string
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			out = append(out, fmt.Sprintf("%q", c))
		}
	}
	return out
}

// columnLetter names a column as a spreadsheet does: A, B, …, Z, AA.
func columnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// Next implements Source.
func (s *sheet) Next(ctx context.Context) (*Unit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.done {
		return nil, io.EOF
	}
	for {
		cells, row, err := s.rows.next()
		if err != nil {
			if err == io.EOF {
				s.done = true
				if s.headers == nil {
					return &Unit{Problems: []Problem{{File: s.name, Message: "the sheet is empty: no header row"}}}, nil
				}
			}
			return nil, err
		}
		if blank(cells) {
			continue
		}
		if s.headers == nil {
			if probs := s.bindHeaders(cells, row); len(probs) > 0 {
				s.done = true
				return &Unit{Row: row, Problems: probs}, nil
			}
			continue
		}
		return s.convert(cells, row), nil
	}
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// rowCtx is one row being converted.
type rowCtx struct {
	s     *sheet
	cells []string
	row   int
	probs []Problem
}

func (r *rowCtx) fail(field, value, format string, args ...any) {
	col := field
	if idx := r.s.cols[field]; len(idx) > 0 {
		col = r.s.headers[idx[0]]
	}
	r.probs = append(r.probs, Problem{File: r.s.name, Row: r.row, Column: col, Value: value, Message: fmt.Sprintf(format, args...)})
}

// get returns a single-valued field's cell, with the mapping's spelling
// and default applied.
func (r *rowCtx) get(field string) string {
	var v string
	for _, i := range r.s.cols[field] {
		if i < len(r.cells) {
			if c := unguard(strings.TrimSpace(r.cells[i])); c != "" {
				v = c
				break
			}
		}
	}
	if v == "" {
		v = r.s.opts.Mapping.defaultFor(field)
	}
	return r.s.opts.Mapping.value(field, v)
}

// list returns a list field's values from all its columns.
func (r *rowCtx) list(field string) []string {
	var out []string
	for _, i := range r.s.cols[field] {
		if i < len(r.cells) {
			for _, v := range SplitList(unguard(strings.TrimSpace(r.cells[i]))) {
				out = append(out, r.s.opts.Mapping.value(field, v))
			}
		}
	}
	if len(out) == 0 {
		if d := r.s.opts.Mapping.defaultFor(field); d != "" {
			out = SplitList(d)
		}
	}
	return out
}

// unguard takes off the apostrophe a spreadsheet export puts before a
// cell that would otherwise start a formula (see GuardCell).
func unguard(c string) string {
	if len(c) > 1 && c[0] == '\'' && strings.ContainsRune(formulaStarts, rune(c[1])) {
		return c[1:]
	}
	return c
}

// checkCells reports cells that are too long or not UTF-8 text.
func (r *rowCtx) checkCells() {
	for i, c := range r.cells {
		col := fmt.Sprintf("column %s", columnLetter(i))
		if i < len(r.s.headers) && strings.TrimSpace(r.s.headers[i]) != "" {
			col = r.s.headers[i]
		}
		if len(c) > MaxCellBytes {
			r.probs = append(r.probs, Problem{File: r.s.name, Row: r.row, Column: col, Value: strings.ToValidUTF8(c[:40], ""),
				Message: fmt.Sprintf("the cell holds %d bytes, over the limit of %d", len(c), MaxCellBytes)})
			r.cells[i] = ""
		} else if !utf8.ValidString(c) {
			r.probs = append(r.probs, Problem{File: r.s.name, Row: r.row, Column: col, Value: strings.ToValidUTF8(c, "?"),
				Message: "the cell is not UTF-8 text; save the sheet as \"CSV UTF-8\" (or XLSX) and import it again"})
			r.cells[i] = ""
		}
	}
}

var typeNames = func() map[string]string {
	m := map[string]string{}
	for iri, name := range schema.CredentialTypes {
		m[schema.NameKey(camelSpace(name))] = iri
		m[schema.NameKey(name)] = iri
	}
	for alias, name := range map[string]string{
		"industry certification": "Certification", "professional certification": "Certification",
		"licensure": "License", "licence": "License", "occupational license": "License",
		"associate": "AssociateDegree", "associates degree": "AssociateDegree", "associate of applied science": "AssociateDegree",
		"bachelors degree": "BachelorDegree", "bachelor": "BachelorDegree", "masters degree": "MasterDegree",
		"apprenticeship": "ApprenticeshipCertificate", "registered apprenticeship": "ApprenticeshipCertificate",
		"microcredential": "MicroCredential", "digital badge": "DigitalBadge", "diploma": "Diploma",
		"certificate of completion": "CertificateOfCompletion",
	} {
		m[schema.NameKey(alias)] = schema.CETerms + name
	}
	return m
}()

func camelSpace(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

var flagTrue = map[string]bool{"yes": true, "y": true, "true": true, "1": true, "x": true, "✓": true, "✔": true}
var flagFalse = map[string]bool{"no": true, "n": true, "false": true, "0": true, "": true, "-": true}

// convert turns one row into a unit.
func (s *sheet) convert(cells []string, row int) *Unit {
	r := &rowCtx{s: s, cells: cells, row: row}
	r.checkCells()
	res := s.opts.Resolver
	u := &Unit{Row: row}
	emit := func(rec registry.Record) { u.Records = append(u.Records, rec) }

	// Agency.
	agencyName := r.get(FieldAgency)
	if agencyName == "" {
		agencyName = s.opts.Agency
	}
	var agencyIRI string
	if agencyName != "" {
		iri, ctid, created := res.Organization(agencyName)
		agencyIRI = iri
		if created || s.known[iri] {
			s.known[iri] = true
			emit(orgRecord(iri, ctid, agencyName, true))
		}
	}

	// Owner and offerer.
	orgLink := func(field, v string) string {
		if v == "" {
			return ""
		}
		// A new name becomes an organization record, given again with every
		// row that names it so that each row imports on its own; a CTID is
		// a link only.
		iri, ctid, created := res.Organization(v)
		if created || s.known[iri] {
			s.known[iri] = true
			emit(orgRecord(iri, ctid, v, false))
		}
		return iri
	}
	owner := orgLink(FieldOwner, r.get(FieldOwner))
	var offerers []string
	for _, v := range r.list(FieldOfferedBy) {
		offerers = append(offerers, orgLink(FieldOfferedBy, v))
	}

	// The credential.
	name := r.get(FieldName)
	ctid := r.get(FieldCTID)
	key := r.get(FieldLocalKey)
	switch {
	case ctid != "":
		if err := schema.CheckCTID(strings.ToLower(ctid)); err != nil {
			r.fail(FieldCTID, ctid, "%v", err)
		}
		ctid = strings.ToLower(ctid)
	case name == "":
		r.fail(FieldName, "", "required: the credential's name (or its CTID)")
	case owner != "":
		ctid = schema.DerivedCTID("credential", schema.NameKey(name), owner)
	case key != "" && agencyIRI != "":
		ctid = schema.DerivedCTID("credential", agencyIRI, key)
	case agencyIRI != "":
		ctid = schema.DerivedCTID("credential", agencyIRI, schema.NameKey(name))
	default:
		r.fail(FieldOwner, "", "required: the owning organization, or an agency (a column or --agency), to identify a credential that has no CTID")
	}
	cred := s.base.Resource(ctid)
	c := &recBuilder{iri: cred}
	typ := schema.CETerms + "Credential"
	if t := r.get(FieldType); t != "" {
		if iri, ok := typeNames[schema.NameKey(t)]; ok {
			typ = iri
		} else {
			r.fail(FieldType, t, "unknown credential type; use one of Certification, Certificate, License, AssociateDegree, BachelorDegree, ApprenticeshipCertificate, Badge, MicroCredential, … (or map your spelling in a mapping file's values.type)")
		}
	}
	c.link(schema.RDFType, typ)
	c.text(schema.CTID, ctid)
	c.text(schema.Name, name)
	c.text(schema.Description, r.get(FieldDescription))
	if u := r.get(FieldURL); u != "" {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			r.fail(FieldURL, u, "a web page must be an http:// or https:// URL")
		} else {
			c.link(schema.SubjectWebpage, u)
		}
	}
	c.link(schema.OwnedBy, owner)
	for _, o := range offerers {
		c.link(schema.OfferedBy, o)
	}
	for _, v := range r.list(FieldSOC) {
		if code, err := schema.NormalizeSOC(v); err != nil {
			r.fail(FieldSOC, v, "%v", err)
		} else {
			c.link(schema.OccupationType, s.base.Concept(schema.SchemeSOC, code))
		}
	}
	for _, v := range r.list(FieldCIP) {
		if code, err := schema.NormalizeCIP(v); err != nil {
			r.fail(FieldCIP, v, "%v", err)
		} else {
			c.link(schema.InstructionalProgramType, s.base.Concept(schema.SchemeCIP, code))
		}
	}
	for _, v := range r.list(FieldNAICS) {
		if code, err := schema.NormalizeNAICS(v); err != nil {
			r.fail(FieldNAICS, v, "%v", err)
		} else {
			c.link(schema.IndustryType, s.base.Concept(schema.SchemeNAICS, code))
		}
	}
	// Clusters and Sub-Clusters, by code or name, in either column.
	var clusters, subs []string
	clusterGiven := false
	for _, field := range []string{FieldCluster, FieldSubCluster} {
		for _, v := range r.list(field) {
			clusterGiven = true
			cl, sub, ok := res.Cluster(v)
			if !ok {
				r.fail(field, v, "unknown Career Cluster or Sub-Cluster; use a code (like 060100) or a name of the Framework (see /schemes/career-clusters)")
				continue
			}
			clusters = appendNew(clusters, cl)
			if sub != "" {
				subs = appendNew(subs, sub)
			}
		}
	}
	for _, cl := range clusters {
		c.link(schema.Cluster, cl)
	}
	for _, sub := range subs {
		c.link(schema.SubCluster, sub)
	}
	// Competencies: CTIDs link; text names a competency of the agency's
	// imported-competencies framework.
	for _, v := range r.list(FieldCompetencies) {
		if schema.ValidCTID(v) {
			c.link(schema.TargetCompetency, s.base.Resource(v))
			continue
		}
		if agencyIRI == "" {
			r.fail(FieldCompetencies, v, "a competency given as text needs an agency to hold it (a column or --agency); or give its CTID")
			continue
		}
		fw := s.base.Resource(schema.DerivedCTID("framework", agencyIRI))
		if !s.known[fw] {
			s.known[fw] = true
			f := &recBuilder{iri: fw}
			f.link(schema.RDFType, schema.ClassCompetencyFramework)
			f.text(schema.CTID, ctidOf(fw))
			f.text(schema.Name, "Competencies named in "+agencyName+"'s imports")
			f.link(schema.CEASN+"publisher", agencyIRI)
			emit(f.record(true))
		}
		comp := s.base.Resource(schema.DerivedCTID("competency", fw, schema.NameKey(v)))
		k := &recBuilder{iri: comp}
		k.link(schema.RDFType, schema.ClassCompetency)
		k.text(schema.CTID, ctidOf(comp))
		k.text(schema.CompetencyText, v)
		k.link(schema.IsPartOf, fw)
		emit(k.record(true))
		c.link(schema.TargetCompetency, comp)
	}
	emit(c.record(true))

	// The agency's value designation, when the row says anything of value.
	r.designation(u, cred, agencyIRI, key, clusters, subs, clusterGiven)
	if len(r.probs) > 0 {
		return &Unit{Row: row, Problems: r.probs}
	}
	return u
}

func (r *rowCtx) designation(u *Unit, cred, agency, key string, clusters, subs []string, clusterGiven bool) {
	s := r.s
	res := s.opts.Resolver
	var criteria []string
	for field, code := range map[string]string{FieldHighWage: "high-wage", FieldHighSkill: "high-skill", FieldInDemand: "in-demand", FieldStackable: "stackable", FieldIndustryRecognized: "industry-recognized"} {
		v := strings.ToLower(r.get(field))
		switch {
		case flagTrue[v]:
			iri, ok := res.Criterion(code)
			if !ok {
				iri = s.base.Concept(schema.SchemeValueCriteria, code)
			}
			criteria = appendNew(criteria, iri)
		case flagFalse[v]:
		default:
			r.fail(field, v, "expected yes or no (y/n, true/false, 1/0, x)")
		}
	}
	for _, v := range r.list(FieldCriteria) {
		if iri, ok := res.Criterion(v); ok {
			criteria = appendNew(criteria, iri)
		} else {
			r.fail(FieldCriteria, v, "unknown value criterion; use high-wage, high-skill, in-demand, stackable, industry-recognized or leads-to-employment")
		}
	}
	region := r.get(FieldRegion)
	from, through := r.get(FieldValidFrom), r.get(FieldValidThrough)
	wage, openings := r.get(FieldMedianWage), r.get(FieldOpenings)
	source, year := r.get(FieldEvidenceSource), r.get(FieldEvidenceYear)
	says := clusterGiven || len(criteria) > 0 || region != "" || from != "" || through != "" || wage != "" || openings != ""
	if !says {
		return
	}
	if agency == "" {
		r.fail(FieldAgency, "", "required for a designation: the designating agency (a column, or --agency)")
		return
	}
	if !clusterGiven {
		r.fail(FieldCluster, "", "required for a designation: the Career Cluster or Sub-Cluster it is of value for")
	}
	if region == "" {
		r.fail(FieldRegion, "", "required for a designation: the region (\"Statewide\" or a workforce region; a mapping file can give a default)")
	}
	if from == "" {
		today := s.opts.Today
		if today.IsZero() {
			today = time.Now()
		}
		from = today.Format("2006-01-02")
	}
	var err error
	if from, err = parseDate(from); err != nil {
		r.fail(FieldValidFrom, r.get(FieldValidFrom), "%v", err)
	}
	if through != "" {
		if through, err = parseDate(through); err != nil {
			r.fail(FieldValidThrough, r.get(FieldValidThrough), "%v", err)
		}
	}
	var id string
	if given := r.get(FieldDesignationCTID); given != "" {
		id = strings.ToLower(given)
		if err := schema.CheckCTID(id); err != nil {
			r.fail(FieldDesignationCTID, given, "%v", err)
		}
	} else if key != "" {
		id = schema.DerivedCTID("designation", agency, key)
	} else {
		id = schema.DerivedCTID("designation", agency, cred, schema.NameKey(region))
	}
	iri := s.base.Resource(id)
	d := &recBuilder{iri: iri}
	d.link(schema.RDFType, schema.ClassValueDesignation)
	d.text(schema.CTID, id)
	d.link(schema.DesignatingAgency, agency)
	d.link(schema.DesignatedFor, cred)
	for _, cl := range clusters {
		d.link(schema.Cluster, cl)
	}
	for _, sub := range subs {
		d.link(schema.SubCluster, sub)
	}
	d.text(schema.Region, region)
	d.typed(schema.ValidFrom, from, schema.XSDDate)
	d.typed(schema.ValidThrough, through, schema.XSDDate)
	for _, c := range criteria {
		d.link(schema.Criterion, c)
	}
	if wage != "" || openings != "" || source != "" || year != "" {
		ev := iri + "#evidence"
		d.link(schema.Evidence, ev)
		e := &recBuilder{iri: ev, quads: d.quads}
		e.link(schema.RDFType, schema.ClassEvidence)
		if wage != "" {
			w := strings.NewReplacer("$", "", ",", "", " ", "").Replace(wage)
			if _, err := strconv.ParseFloat(w, 64); err != nil || strings.ContainsAny(w, "eE") {
				r.fail(FieldMedianWage, wage, "not an amount (expected like 58240 or $58,240)")
			}
			e.typed(schema.MedianAnnualWage, w, schema.XSDDecimal)
		}
		if openings != "" {
			o := strings.ReplaceAll(openings, ",", "")
			if _, err := strconv.ParseUint(o, 10, 64); err != nil {
				r.fail(FieldOpenings, openings, "not a whole number of openings")
			}
			e.typed(schema.ProjectedOpenings, o, schema.XSDInteger)
		}
		e.text(schema.Credreg+"dataSource", source)
		if year != "" {
			if !regexp.MustCompile(`^\d{4}$`).MatchString(year) {
				r.fail(FieldEvidenceYear, year, "not a year (expected like 2025)")
			}
			e.typed(schema.DataYear, year, schema.XSDGYear)
		}
		d.quads = e.quads
	}
	u.Records = append(u.Records, d.record(false))
}

// dateLayouts are the ways sheets write dates (US month-first where the
// order is ambiguous), with or without a time of day.
var dateLayouts = []string{
	"2006-01-02", "1/2/2006", "01/02/2006", "1/2/06", "2006/01/02", "2006-01-02T15:04:05Z07:00",
	"2006-01-02 15:04", "2006-01-02 15:04:05", "1/2/2006 15:04", "1/2/2006 15:04:05", "1/2/06 15:04",
	"Jan 2, 2006", "January 2, 2006", "2-Jan-2006", "2-Jan-06", "02-Jan-06",
}

// parseDate reads a date as sheets write it and returns it as YYYY-MM-DD.
func parseDate(s string) (string, error) {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.Format("2006-01-02"), nil
		}
	}
	return "", fmt.Errorf("not a date (expected YYYY-MM-DD or M/D/YYYY)")
}

func appendNew(list []string, v string) []string {
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

func ctidOf(iri string) string { return iri[strings.LastIndexByte(iri, '/')+1:] }

func orgRecord(iri, ctid, name string, agency bool) registry.Record {
	b := &recBuilder{iri: iri}
	b.link(schema.RDFType, schema.ClassCredentialOrganization)
	if agency {
		b.link(schema.RDFType, schema.ClassAgency)
	}
	b.text(schema.CTID, ctid)
	b.text(schema.Name, name)
	return b.record(true)
}

// recBuilder collects a record's statements.
type recBuilder struct {
	iri   string
	quads []quad.Quad
}

func (b *recBuilder) subject() quad.IRI {
	return quad.IRI(b.iri)
}

func (b *recBuilder) link(p, o string) {
	if o != "" {
		b.quads = append(b.quads, quad.Quad{Subject: b.subject(), Predicate: quad.IRI(p), Object: quad.IRI(o)})
	}
}

func (b *recBuilder) text(p, o string) {
	if o != "" {
		b.quads = append(b.quads, quad.Quad{Subject: b.subject(), Predicate: quad.IRI(p), Object: quad.String(o)})
	}
}

func (b *recBuilder) typed(p, o, dt string) {
	if o != "" {
		b.quads = append(b.quads, quad.Quad{Subject: b.subject(), Predicate: quad.IRI(p), Object: quad.TypedString{Value: quad.String(o), Type: quad.IRI(dt)}})
	}
}

// record returns the built record; its IRI is the record of the first
// node (sub-nodes share it).
func (b *recBuilder) record(merge bool) registry.Record {
	return registry.Record{IRI: schema.RecordIRI(b.iri), Quads: b.quads, Merge: merge}
}
