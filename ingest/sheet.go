package ingest

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cayleygraph/quad"

	"credreg/catalog"
	"credreg/rdf"
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
	// numeric reports whether the cell at column index col of the row
	// next returned last was a number shown by a number format (General,
	// "0.00", a date; not Text), rather than a text cell: its text may not
	// be what was typed (a code's leading zero lost). Always false for CSV.
	numeric(col int) bool
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
	// NewAgency lets Agency and the sheet's agency column name an
	// organization the registry does not hold yet; it is created as an
	// agency. Without it such a name is an error with the closest names
	// the registry holds, so that a typo cannot create an agency.
	NewAgency bool
	// Sheet chooses the worksheet of an XLSX workbook: its name (trimmed,
	// regardless of case; a hidden one too) or its position among the
	// workbook's worksheets, "1" for the first. Empty means the first
	// visible worksheet. For CSV it must be empty.
	Sheet string
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

	// The agency of Options.Agency, resolved once before any row.
	agencyIRI, agencyName string
	agencyNew             bool
	// warnings found at the header, given with the first row read.
	headerWarnings []Problem
	// headerFailed is set when the header's problems end the import: the
	// rows after it are counted, not read.
	headerFailed bool
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

// headerOf returns the header of the column holding field, or the field.
func (s *sheet) headerOf(field string) string {
	if idx := s.cols[field]; len(idx) > 0 {
		return s.headers[idx[0]]
	}
	return field
}

func credentialIRIs(vs []*catalog.CredentialView) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.IRI
	}
	return out
}

// InColumns implements MessageNamer: the vocabulary terms the sheet has a
// column for are replaced by the column's header, quoted.
func (s *sheet) InColumns(msg string) string {
	terms := make([]string, 0, len(s.fieldCol))
	for term := range s.fieldCol {
		terms = append(terms, term)
	}
	// Longer terms first, so that no term replaces a part of another.
	sort.Slice(terms, func(i, j int) bool {
		return len(terms[i]) > len(terms[j]) || len(terms[i]) == len(terms[j]) && terms[i] < terms[j]
	})
	for _, term := range terms {
		msg = strings.ReplaceAll(msg, term, fmt.Sprintf("%q", s.fieldCol[term]))
	}
	return msg
}

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
	probs = append(probs, s.checkMapping(cells, row)...)
	if len(s.cols[FieldName]) == 0 && len(s.cols[FieldCTID]) == 0 {
		probs = append(probs, Problem{File: s.name, Row: row,
			Message: fmt.Sprintf("no column holds the credential name (headers seen: %s); name one of them in a mapping file's columns.name", strings.Join(nonEmpty(cells), ", "))})
	}
	probs = append(probs, s.checkAgency(row)...)
	s.fieldCol = map[string]string{}
	for vocab, field := range vocabField {
		if idx := s.cols[field]; len(idx) > 0 {
			s.fieldCol[vocab] = cells[idx[0]]
		}
	}
	return probs
}

// checkMapping reports the headers a mapping names that the sheet lacks
// (an error: the column's data would be lost without a word), and warns of
// the sheet's columns no field reads.
func (s *sheet) checkMapping(cells []string, row int) []Problem {
	have := map[string]bool{}
	for _, h := range cells {
		have[schema.NameKey(h)] = true
	}
	var probs []Problem
	if m := s.opts.Mapping; m != nil {
		fields := make([]string, 0, len(m.Columns))
		for f := range m.Columns {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		for _, f := range fields {
			for _, h := range m.Columns[f] {
				if have[schema.NameKey(h)] {
					continue
				}
				msg := fmt.Sprintf("the mapping reads the field %s from the column %q, which the sheet does not have", f, h)
				if near := closest(h, nonBlank(cells), 3); len(near) > 0 {
					msg += fmt.Sprintf("; did you mean %s?", quoteAll(near))
				}
				msg += fmt.Sprintf(" The sheet's headers are: %s. Correct the mapping's columns.%s and import again", strings.Join(nonEmpty(cells), ", "), f)
				probs = append(probs, Problem{File: s.name, Row: row, Column: h, Message: msg})
			}
		}
	}
	used := map[int]bool{}
	for _, idx := range s.cols {
		for _, i := range idx {
			used[i] = true
		}
	}
	var unused []string
	for i, h := range cells {
		if !used[i] && strings.TrimSpace(h) != "" && !exportOnly[schema.NameKey(h)] {
			unused = append(unused, fmt.Sprintf("%s %q", columnLetter(i), h))
		}
	}
	if len(unused) > 0 {
		s.headerWarnings = append(s.headerWarnings, Problem{File: s.name, Row: row,
			Message: fmt.Sprintf("%d column(s) not imported, no field reads them: %s; map them in a mapping file's columns if they hold data to keep", len(unused), strings.Join(unused, ", "))})
	}
	return probs
}

// exportOnly are the columns of ExportHeader an import does not read.
var exportOnly = map[string]bool{
	schema.NameKey("Last Verified"): true, schema.NameKey("Superseded By"): true,
	schema.NameKey("Credential IRI"): true, schema.NameKey("Designation IRI"): true,
}

// designationFields are the fields that make a row say something of value,
// so that it needs an agency.
var designationFields = []string{FieldCluster, FieldSubCluster, FieldRegion, FieldHighWage, FieldHighSkill, FieldInDemand,
	FieldStackable, FieldIndustryRecognized, FieldCriteria, FieldMedianWage, FieldOpenings, FieldValidFrom, FieldValidThrough}

// checkAgency resolves Options.Agency once, before any row: it must name
// an organization the registry holds unless NewAgency is set. A sheet with
// designation columns needs an agency from somewhere.
func (s *sheet) checkAgency(row int) []Problem {
	res := s.opts.Resolver
	if a := strings.TrimSpace(s.opts.Agency); a != "" {
		if iri, near, ok := res.Agency(a); ok {
			s.agencyIRI, s.agencyName = iri, res.OrganizationName(iri)
		} else if s.opts.NewAgency && !schema.ValidCTID(strings.ToLower(a)) {
			iri, _, _ := res.Organization(a)
			s.agencyIRI, s.agencyName, s.agencyNew = iri, a, true
		} else {
			return []Problem{{File: s.name, Value: a, Column: "--agency", Message: unknownAgency(a, near)}}
		}
		return nil
	}
	if len(s.cols[FieldAgency]) > 0 || s.opts.Mapping.defaultFor(FieldAgency) != "" {
		return nil
	}
	var cols []string
	for _, f := range designationFields {
		for _, i := range s.cols[f] {
			cols = append(cols, fmt.Sprintf("%q", s.headers[i]))
		}
	}
	if len(cols) == 0 {
		return nil
	}
	return []Problem{{File: s.name, Row: row, Column: "--agency",
		Message: fmt.Sprintf("the sheet designates credentials (columns %s) but names no agency: give --agency (the agency's name or CTID) or add an Agency column", strings.Join(cols, ", "))}}
}

func unknownAgency(name string, near []string) string {
	msg := fmt.Sprintf("the registry holds no organization named %q", name)
	if len(near) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", quoteAll(near))
	} else {
		msg += "."
	}
	return msg + " Give an organization's exact name or CTID, or --new-agency to create this agency"
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, x := range ss {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, " or ")
}

func nonBlank(cells []string) []string {
	var out []string
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			out = append(out, c)
		}
	}
	return out
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
		if s.headerFailed {
			return &Unit{Row: row, NotRead: true}, nil
		}
		if s.headers == nil {
			if probs := s.bindHeaders(cells, row); len(probs) > 0 {
				s.headerFailed = true
				return &Unit{Row: row, Header: true, Problems: probs}, nil
			}
			continue
		}
		u := s.convert(ctx, cells, row)
		if len(s.headerWarnings) > 0 {
			u.Warnings = append(s.headerWarnings, u.Warnings...)
			s.headerWarnings = nil
		}
		return u, nil
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
	r.probs = append(r.probs, Problem{File: r.s.name, Row: r.row, Column: r.s.headerOf(field), Value: value, Message: fmt.Sprintf(format, args...)})
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

// codeFields are the fields a spreadsheet's number format can mangle.
var codeFields = map[string]bool{FieldSOC: true, FieldCIP: true, FieldNAICS: true}

// list returns a list field's values from all its columns. A code in a
// number cell that its format has changed (CIP 46.0000 shown as 46) is an
// error with the fix, not a silent change.
func (r *rowCtx) list(field string) []string {
	var out []string
	for _, i := range r.s.cols[field] {
		if i < len(r.cells) {
			if codeFields[field] && r.s.rows.numeric(i) {
				if msg := mangledCode(field, strings.TrimSpace(r.cells[i])); msg != "" {
					r.fail(field, r.cells[i], "%s", msg)
					continue
				}
			}
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

// evidenceYear is what an evidence year cell must be: four digits.
var evidenceYear = regexp.MustCompile(`^[0-9]{4}$`)

// amountMarks strips what a spreadsheet writes around an amount ($58,240).
var amountMarks = strings.NewReplacer("$", "", ",", "", " ", "")

var flagTrue = map[string]bool{"yes": true, "y": true, "true": true, "1": true, "x": true, "✓": true, "✔": true}
var flagFalse = map[string]bool{"no": true, "n": true, "false": true, "0": true, "": true, "-": true}

// convert turns one row into a unit.
func (s *sheet) convert(ctx context.Context, cells []string, row int) *Unit {
	r := &rowCtx{s: s, cells: cells, row: row}
	r.checkCells()
	res := s.opts.Resolver
	u := &Unit{Row: row}
	emit := func(rec registry.Record) { u.Records = append(u.Records, rec) }

	// Agency: the row's, or the sheet's (resolved before any row). It
	// must be an organization the registry holds, unless NewAgency.
	agencyName, agencyIRI := s.agencyName, s.agencyIRI
	newAgency := s.agencyNew
	if a := r.get(FieldAgency); a != "" {
		agencyName, agencyIRI, newAgency = a, "", false
		if iri, near, ok := res.Agency(a); ok {
			agencyIRI, agencyName = iri, res.OrganizationName(iri)
		} else if s.opts.NewAgency && !schema.ValidCTID(strings.ToLower(a)) {
			agencyIRI, _, _ = res.Organization(a)
			newAgency = true
		} else {
			r.fail(FieldAgency, a, "%s", unknownAgency(a, near))
		}
	}
	if newAgency {
		// Given again with every row that names it, so that each row
		// imports on its own.
		emit(orgRecord(agencyIRI, ctidOf(agencyIRI), agencyName, true))
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
		if created {
			// Said once per import: a new organization, maybe a spelling
			// of a stored one.
			msg := fmt.Sprintf("%q is an organization the registry does not hold: it is created", v)
			if _, near, _ := res.Agency(v); len(near) > 0 {
				msg += fmt.Sprintf("; did you mean %s? Use the stored name (or its CTID) to link to it", quoteAll(near))
			}
			u.Warnings = append(u.Warnings, Problem{File: s.name, Row: row, Column: s.headerOf(field), Value: v, Message: msg})
		}
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

	// The credential: the stored one the row names (by the agency's key,
	// its CTID, or its name and owner), or a new one.
	name := r.get(FieldName)
	ctid := r.get(FieldCTID)
	key := r.get(FieldLocalKey)
	switch {
	case ctid != "":
		if err := schema.CheckCTID(strings.ToLower(ctid)); err != nil {
			r.fail(FieldCTID, ctid, "%v", err)
		}
		ctid = strings.ToLower(ctid)
		u.Rule = "ctid"
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
	var match *catalog.CredentialView
	if u.Rule == "ctid" {
		if v, err := res.storedCredential(ctx, s.base.Resource(ctid)); err != nil {
			r.fail(FieldCTID, ctid, "could not read the stored credential: %v", err)
		} else {
			match = v
		}
	}
	if u.Rule == "" && ctid != "" {
		if found, rule := r.matchStored(ctx, catalog.CredentialKey{Source: agencyIRI, Code: key, Name: name, Owner: owner}, s.base.Resource(ctid)); found != nil {
			ctid, u.Rule, match = found.CTID, rule, found
		}
	}
	if match == nil && u.Rule == "" && name != "" {
		// A new credential: say so when the registry holds one of that
		// name under another owner (a spelling of the owner, or another
		// credential of the same name).
		if same, err := res.MatchCredential(ctx, catalog.CredentialKey{Name: name}); err == nil && len(same.Candidates) > 0 && !contains(credentialIRIs(same.Candidates), s.base.Resource(ctid)) {
			var list []string
			for _, c := range same.Candidates {
				owners := make([]string, 0, len(c.OwnedBy))
				for _, o := range c.OwnedBy {
					owners = append(owners, firstNonEmpty(res.OrganizationName(o), ctidOf(o)))
				}
				list = append(list, fmt.Sprintf("%s owned by %s", c.CTID, firstNonEmpty(strings.Join(owners, ", "), "no one")))
				if len(list) == 5 {
					break
				}
			}
			u.Warnings = append(u.Warnings, Problem{File: s.name, Row: row, Column: s.headerOf(FieldName), Value: name,
				Message: fmt.Sprintf("a new credential: the registry holds %d of this name under another owner (%s); if it is the same, give its CTID or its owner's stored name", len(same.Candidates), strings.Join(list, "; "))})
		}
	}
	if match != nil && schema.NameKey(match.Name) == schema.NameKey(name) {
		// The same name in the sheet's spelling ("Comptia  A+"): the
		// stored spelling stays.
		name = ""
	}
	cred := s.base.Resource(ctid)
	u.Credential = cred
	c := &recBuilder{iri: cred}
	typ := schema.CETerms + "Credential"
	if t := r.get(FieldType); t != "" {
		if iri, ok := typeNames[schema.NameKey(t)]; ok {
			typ = iri
		} else {
			r.fail(FieldType, t, "unknown credential type; use one of Certification, Certificate, License, AssociateDegree, BachelorDegree, ApprenticeshipCertificate, Badge, MicroCredential, … (or map your spelling in a mapping file's values.type)")
		}
	}
	if match != nil && len(match.Types) > 0 {
		// A stored credential keeps its class: a row adds none (the
		// default ceterms:Credential least of all), and says so when its
		// type differs.
		if t := r.get(FieldType); t != "" && typ != schema.CETerms+"Credential" && !contains(match.Types, typ) {
			var names []string
			for _, mt := range match.Types {
				names = append(names, schema.CredentialTypes[mt])
			}
			u.Warnings = append(u.Warnings, Problem{File: s.name, Row: row, Column: s.headerOf(FieldType), Value: t,
				Message: fmt.Sprintf("the stored credential is a %s; its type is kept (a sheet does not change a credential's class)", strings.Join(names, ", "))})
		}
	} else {
		c.link(schema.RDFType, typ)
	}
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
	if key != "" && agencyIRI != "" {
		// The agency's own key, the first rule a re-import matches by.
		id := cred + "#key-" + schema.DerivedCTID("key", agencyIRI, strings.ToLower(key))[3:11]
		c.link(schema.Identifier, id)
		k := &recBuilder{iri: id, quads: c.quads}
		k.link(schema.RDFType, schema.ClassIdentifierValue)
		k.text(schema.IdentifierValueCode, key)
		k.link(schema.IdentifierSource, agencyIRI)
		c.quads = k.quads
	}
	for _, code := range []struct{ field, scheme, property string }{
		{FieldSOC, schema.SchemeSOC, schema.OccupationType},
		{FieldCIP, schema.SchemeCIP, schema.InstructionalProgramType},
		{FieldNAICS, schema.SchemeNAICS, schema.IndustryType},
	} {
		for _, v := range r.list(code.field) {
			for _, iri := range r.code(u, code.field, code.scheme, v) {
				c.link(code.property, iri)
			}
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
				msg := "unknown Career Cluster or Sub-Cluster"
				if near := res.ClosestAreas(v); len(near) > 0 {
					msg += fmt.Sprintf("; did you mean %s?", quoteAll(near))
				}
				r.fail(field, v, "%s; use a code (like 060100) or a name of the Framework (see /schemes/career-clusters), or map your spelling in a mapping file's values.cluster", msg)
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
	if strings.EqualFold(r.get(FieldCredentialStatus), catalog.StatusRetiredNow) {
		retired := match != nil && match.Retired
		if match == nil {
			rec, err := res.stored(ctx, cred)
			if err != nil {
				r.fail(FieldCredentialStatus, "", "could not read the stored credential: %v", err)
			}
			retired = rec != nil && rec.Retired()
		}
		if !retired {
			r.retire(c, "", "")
		}
	}
	emit(c.record(true))

	// The agency's value designation, when the row says anything of value.
	r.designation(ctx, u, cred, agencyIRI, key, clusters, subs, clusterGiven)
	if len(r.probs) > 0 {
		return &Unit{Row: row, Problems: r.probs}
	}
	return u
}

// code reads one code of a code-list column and returns the concepts it
// links to. A code of the official list links to its concept; an
// O*NET-SOC code ("29-2061.01") to a concept of its own under its SOC
// occupation, and to the occupation; a well-formed code the official list
// does not hold (a SOC 2010 code, a local code) is kept, with a concept
// made for it marked as not from the list, and a warning, so that
// nothing the sheet says is lost and nothing passes unsaid.
func (r *rowCtx) code(u *Unit, field, scheme, v string) []string {
	n, err := normalizeCell(scheme, v)
	if err != nil {
		r.fail(field, v, "%v", err)
		return nil
	}
	base := r.s.base
	if _, ok := schema.LookupCode(scheme, n); ok {
		return []string{base.Concept(scheme, n)}
	}
	if scheme == schema.SchemeSOC && len(n) > 7 {
		if occ, ok := schema.LookupCode(scheme, n[:7]); ok {
			u.References = append(u.References, localConcept(base, scheme, n, n, base.Concept(scheme, occ.Notation)))
			return []string{base.Concept(scheme, n), base.Concept(scheme, occ.Notation)}
		}
	}
	u.References = append(u.References, localConcept(base, scheme, n, n, ""))
	u.Warnings = append(u.Warnings, Problem{File: r.s.name, Row: r.row, Column: r.s.headerOf(field), Value: v,
		Message: fmt.Sprintf("%s is not a code of the official %s list; it is kept as a local code, with no title: check it (a typo, or a code of an older edition?)", n, schema.CodeListTitle(scheme))})
	return []string{base.Concept(scheme, n)}
}

// normalizeCell reads a code as a sheet writes it: an O*NET-SOC code is
// kept whole ("29-2061.01"; ".00" is the SOC occupation itself).
func normalizeCell(scheme, v string) (string, error) {
	switch scheme {
	case schema.SchemeSOC:
		t := strings.TrimSpace(v)
		if len(t) == 10 && t[7] == '.' && !strings.HasSuffix(t, ".00") {
			if occ, err := schema.NormalizeSOC(t[:7]); err == nil && isDigits(t[8:]) {
				return occ + t[7:], nil
			}
		}
		return schema.NormalizeSOC(t)
	case schema.SchemeCIP:
		return schema.NormalizeCIP(v)
	default:
		return schema.NormalizeNAICS(v)
	}
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// localConcept is the reference a row makes to a code-list concept the
// official list does not hold: made with the code as its label, marked as
// not from the list, when the store does not hold it already.
func localConcept(base schema.Base, scheme, notation, label, broader string) Reference {
	iri := base.Concept(scheme, notation)
	b := &recBuilder{iri: iri}
	b.link(schema.RDFType, schema.ClassConcept)
	b.text(schema.PrefLabel, label)
	b.text(schema.Notation, notation)
	b.link(schema.InScheme, base.Scheme(scheme))
	b.link(schema.Broader, broader)
	b.typed(schema.OfficialList, "false", schema.XSDBoolean)
	return Reference{Record: registry.Record{IRI: iri, Quads: b.quads}, CreateOnly: true, Class: "skos:Concept"}
}

// matchStored finds the stored credential a row names. derived is the IRI
// the row's credential gets when it is new: among several candidates it is
// the one this agency's earlier import made. Several others are a row
// error listing them.
func (r *rowCtx) matchStored(ctx context.Context, k catalog.CredentialKey, derived string) (*catalog.CredentialView, string) {
	m, err := r.s.opts.Resolver.MatchCredential(ctx, k)
	if err != nil {
		r.fail(FieldName, k.Name, "could not look for the credential among the stored ones: %v", err)
		return nil, ""
	}
	switch len(m.Candidates) {
	case 0:
		return nil, ""
	case 1:
		return m.Candidates[0], m.Rule
	}
	var list []string
	for _, c := range m.Candidates {
		if c.IRI == derived {
			return c, m.Rule
		}
		owners := make([]string, 0, len(c.OwnedBy))
		for _, o := range c.OwnedBy {
			if n := r.s.opts.Resolver.OrganizationName(o); n != "" {
				owners = append(owners, n)
			} else {
				owners = append(owners, ctidOf(o))
			}
		}
		entry := fmt.Sprintf("%s %q", c.CTID, c.Name)
		if len(owners) > 0 {
			entry += " owned by " + strings.Join(owners, ", ")
		}
		list = append(list, entry)
		if len(list) == 10 {
			list = append(list, fmt.Sprintf("and %d more", len(m.Candidates)-10))
			break
		}
	}
	field, what := FieldName, "name"
	switch m.Rule {
	case catalog.MatchKey:
		field, what = FieldLocalKey, "key"
	case catalog.MatchNameOwner:
		what = "name and owner"
	}
	r.fail(field, firstNonEmpty(k.Code, k.Name), "%d stored credentials have this %s: %s; give the credential's CTID (a CTID column) or its owner to say which", len(m.Candidates), what, strings.Join(list, "; "))
	return nil, ""
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func (r *rowCtx) designation(ctx context.Context, u *Unit, cred, agency, key string, clusters, subs []string, clusterGiven bool) {
	s := r.s
	res := s.opts.Resolver
	var criteria []string
	for _, fc := range flagFields {
		v := strings.ToLower(r.get(fc.field))
		switch {
		case flagTrue[v]:
			iri, ok := res.Criterion(fc.code)
			if !ok {
				iri = s.base.Concept(schema.SchemeValueCriteria, fc.code)
			}
			criteria = appendNew(criteria, iri)
		case flagFalse[v]:
		default:
			r.fail(fc.field, v, "expected yes or no (y/n, true/false, 1/0, x)")
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
		if r.get(FieldAgency) == "" { // an unknown agency is reported already
			r.fail(FieldAgency, "", "required for a designation: the designating agency (a column, or --agency)")
		}
		return
	}
	if region != "" {
		if label, near, ok := res.Region(region); ok {
			region = label
		} else {
			msg := "not a region of the registry"
			if len(near) > 0 {
				msg += fmt.Sprintf("; did you mean %s?", quoteAll(near))
			}
			r.fail(FieldRegion, region, "%s (the registry's regions: %s; an agency adds one with credreg regions add)", msg, strings.Join(res.Regions(), ", "))
		}
	}
	var id string
	if given := r.get(FieldDesignationCTID); given != "" {
		id = strings.ToLower(given)
		if err := schema.CheckCTID(id); err != nil {
			r.fail(FieldDesignationCTID, given, "%v", err)
			return
		}
	} else if key != "" {
		id = schema.DerivedCTID("designation", agency, key)
	} else {
		id = schema.DerivedCTID("designation", agency, cred, schema.NameKey(region))
	}
	iri := s.base.Resource(id)
	// A stored designation keeps what the sheet has no column for: a
	// re-import never removes a value because a column is missing.
	stored, err := res.stored(ctx, iri)
	if err != nil {
		r.fail(FieldDesignationCTID, id, "could not read the stored designation: %v", err)
		return
	}
	if stored == nil && r.get(FieldDesignationCTID) == "" {
		// The agency's designation of this credential for this region,
		// made elsewhere (by hand, another sheet), is the one the row
		// updates: an agency has one per credential and region.
		same, err := res.designationsOf(ctx, cred, agency, region)
		if err != nil {
			r.fail(FieldDesignationCTID, "", "could not read the stored designations: %v", err)
			return
		}
		switch len(same) {
		case 0:
		case 1:
			iri, id, stored = same[0].IRI, ctidOf(same[0].IRI), same[0]
		default:
			var ids []string
			for _, d := range same {
				ids = append(ids, ctidOf(d.IRI))
			}
			r.fail(FieldDesignationCTID, "", "the agency has %d designations of this credential for %s (%s): give the one this row updates in a Designation CTID column", len(same), region, strings.Join(ids, ", "))
			return
		}
	}
	if !clusterGiven && (stored == nil || r.has(FieldCluster) || r.has(FieldSubCluster)) {
		r.fail(FieldCluster, "", "required for a designation: the Career Cluster or Sub-Cluster it is of value for")
	}
	if region == "" && (stored == nil || r.has(FieldRegion)) {
		r.fail(FieldRegion, "", "required for a designation: the region (\"Statewide\" or a workforce region; a mapping file can give a default)")
	}
	if from == "" && (stored == nil || r.has(FieldValidFrom)) {
		today := s.opts.Today
		if today.IsZero() {
			today = time.Now()
		}
		from = today.Format("2006-01-02")
	}
	if from != "" {
		if from, err = parseDate(from); err != nil {
			r.fail(FieldValidFrom, r.get(FieldValidFrom), "%v", err)
		}
	}
	if through != "" {
		if through, err = parseDate(through); err != nil {
			r.fail(FieldValidThrough, r.get(FieldValidThrough), "%v", err)
		}
	}
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
	ev := iri + "#evidence"
	if wage != "" || openings != "" || source != "" || year != "" {
		d.link(schema.Evidence, ev)
		e := &recBuilder{iri: ev, quads: d.quads}
		e.link(schema.RDFType, schema.ClassEvidence)
		if wage != "" {
			w := amountMarks.Replace(wage)
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
		e.text(schema.DataSource, source)
		if year != "" {
			if !evidenceYear.MatchString(year) {
				r.fail(FieldEvidenceYear, year, "not a year (expected like 2025)")
			}
			e.typed(schema.DataYear, year, schema.XSDGYear)
		}
		d.quads = e.quads
	}
	if strings.EqualFold(r.get(FieldStatus), catalog.StatusRetiredNow) && (stored == nil || !stored.Retired()) {
		r.retire(d, r.get(FieldRetiredOn), r.get(FieldRetirementReason))
	}
	if stored != nil {
		d.quads = r.keepStored(d.quads, stored, iri, ev)
	}
	u.Records = append(u.Records, d.record(false))
}

// retire adds a retirement to a record a row gives: on the day given (or
// the import's), for the reason given (or one saying where it came from).
// An import retires; it never brings a retired record back.
func (r *rowCtx) retire(b *recBuilder, on, reason string) {
	day := r.s.opts.Today
	if day.IsZero() {
		day = time.Now().UTC()
	}
	at := day.UTC().Format(time.RFC3339)
	if on != "" {
		d, err := parseDate(on)
		if err != nil {
			r.fail(FieldRetiredOn, on, "%v", err)
			return
		}
		at = d + "T00:00:00Z"
	}
	if strings.TrimSpace(reason) == "" {
		reason = "retired in " + r.s.name
	}
	b.link(schema.RecordStatus, schema.StatusRetired)
	b.typed(schema.RetiredOn, at, schema.XSDDateTime)
	b.text(schema.RetirementReason, reason)
}

// flagFields are the yes/no columns of the value criteria.
var flagFields = []struct{ field, code string }{
	{FieldHighWage, "high-wage"}, {FieldHighSkill, "high-skill"}, {FieldInDemand, "in-demand"},
	{FieldStackable, "stackable"}, {FieldIndustryRecognized, "industry-recognized"},
}

// has reports whether the sheet speaks for a field: a column holds it, or
// the mapping gives it a default.
func (r *rowCtx) has(field string) bool {
	return len(r.s.cols[field]) > 0 || r.s.opts.Mapping.defaultFor(field) != ""
}

// keepStored adds to a designation's new statements those of its stored
// record that no column of the sheet could have given: properties whose
// columns the sheet lacks, criteria no present column names, its evidence
// fields likewise, and what no sheet gives (retirement, verification).
func (r *rowCtx) keepStored(quads []quad.Quad, stored *registry.Record, iri, ev string) []quad.Quad {
	speaks := map[string]bool{
		schema.RDFType: true, schema.CTID: true, schema.DesignatingAgency: true, schema.DesignatedFor: true,
		schema.Cluster:           r.has(FieldCluster) || r.has(FieldSubCluster),
		schema.SubCluster:        r.has(FieldCluster) || r.has(FieldSubCluster),
		schema.Region:            r.has(FieldRegion),
		schema.ValidFrom:         r.has(FieldValidFrom),
		schema.ValidThrough:      r.has(FieldValidThrough),
		schema.MedianAnnualWage:  r.has(FieldMedianWage),
		schema.ProjectedOpenings: r.has(FieldOpenings),
		schema.DataSource:        r.has(FieldEvidenceSource),
		schema.DataYear:          r.has(FieldEvidenceYear),
	}
	// A criterion is the sheet's to say when its flag column or the
	// criteria column is present.
	flagOf := map[string]string{}
	for _, fc := range flagFields {
		flagOf[r.s.base.Concept(schema.SchemeValueCriteria, fc.code)] = fc.field
	}
	criterionSaid := func(c string) bool {
		if r.has(FieldCriteria) {
			return true
		}
		f, ok := flagOf[c]
		return ok && r.has(f)
	}
	var kept []quad.Quad
	evidenceKept := false
	for _, q := range stored.Quads {
		p := string(rdf.IRIOf(q.Predicate))
		switch q.Subject {
		case quad.IRI(iri):
			switch {
			case p == schema.Evidence:
				continue // linked again below when evidence is kept
			case p == schema.Criterion:
				if criterionSaid(string(rdf.IRIOf(q.Object))) {
					continue
				}
			case speaks[p]:
				continue
			}
		case quad.IRI(ev):
			if p == schema.RDFType || speaks[p] {
				continue
			}
			evidenceKept = true
		default:
			continue // no other node of a designation comes from a sheet
		}
		kept = append(kept, q)
	}
	if evidenceKept {
		kept = append(kept,
			quad.Quad{Subject: quad.IRI(iri), Predicate: quad.IRI(schema.Evidence), Object: quad.IRI(ev)},
			quad.Quad{Subject: quad.IRI(ev), Predicate: quad.IRI(schema.RDFType), Object: quad.IRI(schema.ClassEvidence)})
	}
	have := map[string]bool{}
	for _, q := range quads {
		have[q.String()] = true
	}
	for _, q := range kept {
		if !have[q.String()] {
			have[q.String()] = true
			quads = append(quads, q)
		}
	}
	return quads
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
