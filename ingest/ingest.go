// Package ingest brings agencies' data into the registry: spreadsheets
// (CSV, XLSX) in their own column names, Credential Engine CTDL JSON-LD and
// other registries' N-Quads. Every reader is a Source of units (a row, a
// document, a subject's statements); Run validates each unit, writes valid
// ones in atomic batches and reports every problem with its file, row or
// line, column or field and value. Valid units import even when others
// fail, and re-running an import writes only what changed.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// Problem is one thing wrong with the input, placed as precisely as the
// reader can: the file, the row or line (1-based; 0 when it concerns the
// whole file), the column or field, and the value.
type Problem struct {
	File    string `json:"file"`
	Row     int    `json:"row,omitempty"`
	Column  string `json:"column,omitempty"`
	Value   string `json:"value,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	s := p.File
	if p.Row > 0 {
		s += fmt.Sprintf(":%d", p.Row)
	}
	if p.Column != "" {
		s += " [" + p.Column + "]"
	}
	if p.Value != "" {
		v := p.Value
		if len(v) > 60 {
			v = v[:57] + "..."
		}
		s += fmt.Sprintf(" %q", v)
	}
	return s + ": " + p.Message
}

// Unit is what a Source yields: the records read from one row, document or
// subject, or the problems that kept them from being read.
type Unit struct {
	// Row is the row or line the unit starts at (1-based), 0 if none.
	Row int
	// Records are the unit's records. A unit imports whole or not at all.
	Records []registry.Record
	// Problems are what the reader found wrong; a unit with problems is
	// not imported.
	Problems []Problem
	// References are records the unit names inside another (an
	// organization given in a credential's ceterms:offeredBy with its CTID
	// and a name): never a replacement of a stored record. Run links to
	// the stored record and adds only what it lacks, or creates it when
	// none is stored (see Reference).
	References []Reference
	// Warnings are what the reader kept but wants the agency to know (a
	// class CTDL does not define, a code no official list holds); they do
	// not keep the unit from importing.
	Warnings []Problem
	// Classes name the classes of the unit's resources ("ceterms:Course"),
	// its own first, for the report's counts by class.
	Classes []string
	// Header marks the problems of a sheet's header row: they end the
	// import, and the header is not counted as a row.
	Header bool
	// NotRead marks a row that was not read because of a problem that
	// ended the import (its header's): it counts as a failed row, with no
	// problem of its own.
	NotRead bool
	// Credential is the credential a sheet's row describes, and Rule how
	// the row found it among the stored ones: a registry.Match* rule,
	// "ctid" for a CTID the row gives, "" when it is new.
	Credential, Rule string
}

// Reference is a record a unit names inside another one.
type Reference struct {
	Record registry.Record
	row    int // the row of the unit that named it (set by Run)
	// CreateOnly leaves a stored record exactly as it is (a code-list
	// concept made for a code: an official concept is never changed);
	// otherwise the stored record gains the properties of its node it
	// lacks.
	CreateOnly bool
	// Class is the reference's class, for the report.
	Class string
}

// Source reads one input as units.
type Source interface {
	// Name names the input in problems and reports (a file name or "-").
	Name() string
	// Next returns the next unit, or io.EOF after the last. Any other error
	// ends the reading; units read before it are still imported.
	Next(ctx context.Context) (*Unit, error)
}

// ColumnNamer is implemented by sources that can say which column of the
// input a record field came from, so that the store's validation problems
// point at the input rather than at the vocabulary.
type ColumnNamer interface {
	ColumnOf(field string) string
}

// MessageNamer is implemented by sources that can put a message about
// vocabulary terms ("schema:validFrom must not be after
// schema:validThrough") in the input's words ("\"Effective Date\" must
// not be after \"Expiration Date\"").
type MessageNamer interface {
	InColumns(msg string) string
}

// Sizer is implemented by sources that know how far through the input they
// are, for progress and ETA.
type Sizer interface {
	// Position returns the bytes read so far and the input's size (0 if
	// unknown).
	Position() (done, total int64)
}

// Options configures Run.
type Options struct {
	// Actor names the writer in the change log (the agency). Required
	// unless DryRun.
	Actor string
	// Agency, when set, is the organization the import writes for (the
	// token's agency over HTTP, --agency on the command line): every
	// record of every unit must pass registry.Authorize for it, and a
	// unit with a record it may not write is refused (counted in
	// Report.Forbidden). Empty means the registry's operator, who may
	// write anything.
	Agency string
	// DryRun validates and reports without writing.
	DryRun bool
	// BatchQuads caps the statements of one write (a unit bigger than it
	// is a write of its own); 0 means registry.PreferredBatchQuads, and
	// no cap is above registry.MaxBatchQuads. Each batch commits
	// atomically with its change-log entries.
	BatchQuads int
	// Progress, when set, receives progress lines (rows done, rate, errors,
	// ETA); see NewProgress.
	Progress *Progress
	// Logger receives per-batch debug logs; nil means slog.Default().
	Logger *slog.Logger
}

// Report is the outcome of importing one input.
type Report struct {
	File   string `json:"file"`
	Format string `json:"format"`
	Sheet  string `json:"sheet,omitempty"` // the worksheet of a workbook read (SheetNamer)
	DryRun bool   `json:"dryRun"`
	// Atomic is set for an all-or-nothing import (RunAtomic): with any
	// unit failed, nothing was written.
	Atomic   bool `json:"atomic"`
	Units    int  `json:"units"`    // rows, documents or subjects read
	Imported int  `json:"imported"` // units whose records were stored (or would be, in a dry run)
	Failed   int  `json:"failed"`   // units refused
	// Written counts the records the import wrote (new or changed), and
	// Unchanged those it gave as they were already stored; each record
	// once, however many batches named it.
	Written   int `json:"written"`
	Unchanged int `json:"unchanged"`
	Forbidden int `json:"forbidden"` // units refused because the agency may not write one of their records (also in Failed)
	// LeftOut counts the records whose facts a unit gave but the agency
	// may not change (another publisher's credential named on a sheet's
	// row): the unit's own records were written, linked to the stored
	// record, and a warning says what was left out.
	LeftOut int `json:"leftOut"`
	// OnBehalf counts the records written that the import's agency
	// published for another owner (their ceterms:ownedBy names another
	// organization); they name the agency as schema.PublishedBy.
	OnBehalf int `json:"publishedOnBehalf"`
	// Statements counts the statements of the records written, as the
	// store holds them after the import (duplicates dropped, a merged
	// record's stored statements included), not counting the store's own
	// bookkeeping.
	Statements int       `json:"statements"`
	Batches    int       `json:"batches"`
	Problems   []Problem `json:"problems"`
	// ProblemsOmitted counts the problems past MaxProblems, not kept.
	ProblemsOmitted int `json:"problemsOmitted"`
	// Warnings are what was imported but deserves a look: unknown classes,
	// codes no official list holds, references to stored records.
	Warnings []Problem `json:"warnings"`
	// WarningsOmitted counts the warnings past MaxWarnings, not kept.
	WarningsOmitted int `json:"warningsOmitted"`
	// Classes counts resources by class: imported, imported with warnings,
	// rejected. Only readers that know classes (CTDL) fill it.
	Classes map[string]*ClassCount `json:"classes,omitempty"`
	// References counts the records named inside others.
	References ReferenceCount `json:"references"`
	// Credentials counts the credentials a sheet's rows gave, each once:
	// created, or matched with a stored one (by rule), and of those how
	// many the import left unchanged. Sheets have it (with zeros when
	// every row failed); other inputs do not.
	Credentials *CredentialCount `json:"credentials,omitempty"`
	Started     time.Time        `json:"started"`
	Duration    string           `json:"duration"`
	// Aborted is set when reading stopped early (an I/O error or a
	// cancelled context); what was read before it is imported.
	Aborted string `json:"aborted,omitempty"`
}

// ClassCount is the outcome of the resources of one class.
type ClassCount struct {
	Imported int `json:"imported"`
	Warnings int `json:"withWarnings"`
	Rejected int `json:"rejected"`
}

// ReferenceCount is the outcome of the references of an import.
type ReferenceCount struct {
	// Resolved references name a stored record or one of this input.
	Resolved int `json:"resolved"`
	// Extended counts the resolved ones whose record gained properties it
	// lacked.
	Extended int `json:"extended"`
	// Created references named no record, and their description was
	// stored as a new one.
	Created int `json:"created"`
	// Dangling references named no record, and their description is not
	// a whole record: the link is kept, the record is not made.
	Dangling int `json:"dangling"`
}

// CredentialCount is what an import did with the credentials its rows
// name.
type CredentialCount struct {
	// Created counts the credentials the registry did not hold.
	Created int `json:"created"`
	// Matched counts, by rule ("agency key", "ctid", "owl:sameAs", "name
	// and owner", "name"), the stored credentials rows named.
	Matched map[string]int `json:"matched"`
	// Unchanged counts the matched credentials the import did not change.
	Unchanged int `json:"unchanged"`
}

// RunAtomic imports all of an input or none of it: it reads the input once
// as a dry run (validation, authorization, merging with stored records)
// and, only when every unit passes, reads it again (open gives a new
// Source over the same input) and writes it. A refused input writes
// nothing and its report is the dry run's, with Atomic set. The store may
// change between the two readings: a unit that fails in the second (a
// record another writer changed meanwhile) is reported, and the units
// before it are written.
func RunAtomic(ctx context.Context, store *registry.Store, open func() (Source, error), format string, opts Options) (*Report, error) {
	dry := opts
	dry.DryRun, dry.Progress = true, nil
	src, err := open()
	if err != nil {
		return nil, err
	}
	rep, err := Run(ctx, store, src, format, dry)
	if err != nil || opts.DryRun || !rep.OK() {
		if rep != nil {
			rep.Atomic = true
			rep.DryRun = opts.DryRun
			if !rep.OK() && !opts.DryRun {
				rep.Imported = 0 // nothing was written
			}
		}
		return rep, err
	}
	if src, err = open(); err != nil {
		return nil, err
	}
	rep, err = Run(ctx, store, src, format, opts)
	if rep != nil {
		rep.Atomic = true
	}
	return rep, err
}

// OK reports whether every unit imported.
func (r *Report) OK() bool { return r.Failed == 0 && r.Aborted == "" }

// Run reads every unit of src, validates it, and writes valid units to
// store in atomic batches. It returns the report, and an error only when
// the store itself fails (problems with the input are in the report).
func Run(ctx context.Context, store *registry.Store, src Source, format string, opts Options) (*Report, error) {
	if c, ok := src.(io.Closer); ok {
		defer c.Close()
	}
	if opts.Actor == "" && !opts.DryRun {
		return nil, errors.New("import: an actor (the agency writing) is required")
	}
	limit := opts.BatchQuads
	if limit <= 0 {
		limit = registry.PreferredBatchQuads
	}
	limit = min(limit, registry.MaxBatchQuads)
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	r := &runner{
		ctx: ctx, store: store, src: src, opts: opts, limit: limit, log: log,
		rep: &Report{File: src.Name(), Format: format, DryRun: opts.DryRun, Started: time.Now().UTC(), Problems: []Problem{}, Warnings: []Problem{}},
	}
	if sn, ok := src.(SheetNamer); ok {
		r.rep.Sheet = sn.SheetName()
	}
	if _, ok := src.(ColumnNamer); ok {
		// A sheet's report always counts its credentials, none or more.
		r.rep.Credentials = &CredentialCount{Matched: map[string]int{}}
	}
	r.reset()
	r.checked, r.counted = map[string]bool{}, map[string]bool{}
	r.outcomes, r.seed = map[uint64]int32{}, maphash.MakeSeed()
	err := r.run()
	r.rep.Duration = time.Since(r.rep.Started).Round(time.Millisecond).String()
	if opts.Progress != nil {
		opts.Progress.Done(r.rep)
	}
	return r.rep, err
}

type runner struct {
	ctx   context.Context
	store *registry.Store
	src   Source
	opts  Options
	limit int
	log   *slog.Logger
	rep   *Report

	// the batch being built
	order    []string
	recs     map[string]*registry.Record
	units    []*Unit
	size     int
	refOrder []string
	refs     map[string]*Reference
	checked  map[string]bool // link targets checked for dangling, over the whole run
	// credentials counted in the report, over the whole run
	counted map[string]bool
	// outcomes tallies the report's records over the whole run, each
	// once however many batches name it (see tally).
	outcomes map[uint64]int32
	seed     maphash.Seed
	cache    readCache // what the checks read (see stored)
}

func (r *runner) reset() {
	r.order, r.recs, r.units, r.size = nil, map[string]*registry.Record{}, nil, 0
	r.refOrder, r.refs = nil, map[string]*Reference{}
}

func (r *runner) run() error {
	namer, _ := r.src.(ColumnNamer)
	for {
		u, err := r.src.Next(r.ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			r.rep.Aborted = err.Error()
			r.rep.Problems = append(r.rep.Problems, Problem{File: r.src.Name(), Message: "reading stopped: " + err.Error()})
			break
		}
		if u.Header {
			r.problems(u.Problems)
			continue
		}
		r.rep.Units++
		if u.NotRead {
			r.rep.Failed++
			r.progress()
			continue
		}
		if len(u.Problems) == 0 && r.opts.Agency != "" {
			if err := r.authorize(u); err != nil {
				return err
			}
		}
		if len(u.Problems) == 0 {
			for _, rec := range u.Records {
				if rec.Merge {
					continue // checked as it will be stored, when the batch is written
				}
				for _, p := range r.store.Validate(rec) {
					u.Problems = append(u.Problems, r.problem(u.Row, rec.IRI, p, namer))
				}
			}
		}
		if len(u.Problems) > 0 {
			r.fail(u)
			r.progress()
			continue
		}
		n := unitSize(u)
		if r.size > 0 && r.size+n > r.limit {
			if err := r.flush(); err != nil {
				return err
			}
		}
		r.add(u, n)
		r.progress()
	}
	return r.flush()
}

// authorize applies registry.Authorize to every record of a unit for the
// import's agency. A record it may not write refuses the unit, with two
// exceptions that keep what the agency may write: a reference to a stored
// record is kept as a link only, and so is a part of a stored record
// another publisher owns (a sheet row's credential facts) when the unit
// has records of its own beside it (the row's designation): those land,
// linked to the stored record, and a warning names what was left out. A
// record the write would not change needs no authority.
func (r *runner) authorize(u *Unit) error {
	base := r.store.Base()
	stored := r.stored
	forbidden := false
	namer, _ := r.src.(ColumnNamer)
	refuse := func(fe *registry.ForbiddenError, rec *registry.Record) {
		forbidden = true
		p := Problem{File: r.src.Name(), Row: u.Row, Value: fe.IRI, Message: "forbidden (403): " + r.store.WithNames(r.ctx, fe.Reason)}
		if _, ok := registry.DesignatingAgency(rec); ok && namer != nil {
			// A sheet's designation is refused for the agency it names.
			p.Column = namer.ColumnOf(schema.Compact(schema.DesignatingAgency))
		}
		u.Problems = append(u.Problems, p)
	}
	kept := u.Records[:0:0]
	for i := range u.Records {
		rec := u.Records[i]
		old, err := stored(rec.IRI)
		if err != nil {
			return fmt.Errorf("import %s: %w", r.src.Name(), err)
		}
		added, changed := registry.Changed(old, rec)
		if !changed {
			kept = append(kept, rec)
			continue
		}
		err = registry.Authorize(base, r.opts.Agency, old, &rec)
		if err == nil {
			kept = append(kept, rec)
			continue
		}
		var fe *registry.ForbiddenError
		if !errors.As(err, &fe) {
			return err
		}
		if fe.Publisher != "" && old != nil && rec.Merge && len(u.Records) > 1 {
			cols, what := r.leftOut(rec.IRI, added, namer)
			u.Warnings = append(u.Warnings, Problem{File: r.src.Name(), Row: u.Row, Column: cols, Value: rec.IRI,
				Message: fmt.Sprintf("left out: %s; the row's other records are written, linked to the record as it is stored, which is not this agency's to change: %s", what, r.store.WithNames(r.ctx, fe.Reason))})
			r.rep.LeftOut++
			continue
		}
		refuse(fe, &rec)
		kept = append(kept, rec)
	}
	u.Records = kept
	for i := range u.References {
		ref := &u.References[i]
		old, err := stored(ref.Record.IRI)
		if err != nil {
			return fmt.Errorf("import %s: %w", r.src.Name(), err)
		}
		if err := registry.Authorize(base, r.opts.Agency, old, &ref.Record); err != nil {
			if old != nil {
				ref.CreateOnly = true // linked to, not changed
				continue
			}
			var fe *registry.ForbiddenError
			if !errors.As(err, &fe) {
				return err
			}
			refuse(fe, &ref.Record)
		}
	}
	if forbidden {
		r.rep.Forbidden++
	}
	return nil
}

// leftOut names what a row gave for a stored record that it leaves out
// (added: the statements that would have changed it): the columns that
// gave them, when the input is a sheet ("Description, URL"), and a
// phrase for the message ("the row's \"Description\" and \"URL\"", or
// the vocabulary's properties for other inputs).
func (r *runner) leftOut(iri string, added []quad.Quad, namer ColumnNamer) (cols, what string) {
	var names, quoted []string
	seen := map[string]bool{}
	for _, q := range added {
		if q.Subject != quad.IRI(iri) {
			continue
		}
		term := schema.Compact(string(rdf.IRIOf(q.Predicate)))
		name := term
		if namer != nil {
			if c := namer.ColumnOf(term); c != "" {
				name = c
			}
		}
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
			quoted = append(quoted, strconv.Quote(name))
		}
	}
	switch len(names) {
	case 0:
		return "", "this row's changes to it"
	case 1:
		return names[0], "this row's " + quoted[0]
	default:
		return strings.Join(names, ", "), "this row's " + strings.Join(quoted[:len(quoted)-1], ", ") + " and " + quoted[len(quoted)-1]
	}
}

// maxReadCache bounds the records readCache holds.
const maxReadCache = 4096

// readCache holds the stored records an import's checks read (nil for
// one not stored), as of the store's change-log head seq: most rows name
// a record rows before them named (the organization that owns many
// credentials), which would otherwise be read once a row. The import's
// own batch drops the records it wrote (wrote); any other write moves
// the head past what the import's writes explain, which empties it. What
// it saves is the import's own check; the registry checks each write
// again under its write lock (PutBatchAs), so an entry that a write made
// stale in the moment between reading the head and reading the record
// cannot let anything through.
type readCache struct {
	seq  uint64
	recs map[string]*registry.Record
}

// wrote keeps the cache across a batch of the import's own, which moved
// the head from before to after: the records the batch wrote leave it,
// the others stay, unless another write came between (the head moved
// more than the batch's changes), which empties it.
func (c *readCache) wrote(before, after uint64, recs []registry.Record, changes []registry.Change) {
	n := uint64(0)
	for i, ch := range changes {
		if ch.Seq > 0 {
			n++
			delete(c.recs, recs[i].IRI)
		}
	}
	if c.seq != before || after != before+n {
		c.recs = nil
		return
	}
	c.seq = after
}

// stored reads the record iri as stored, or nil when none is, through
// the run's readCache.
func (r *runner) stored(iri string) (*registry.Record, error) {
	c := &r.cache
	if seq := r.store.Sequence(); c.recs == nil || seq != c.seq || len(c.recs) >= maxReadCache {
		c.seq, c.recs = seq, make(map[string]*registry.Record)
	}
	if rec, ok := c.recs[iri]; ok {
		return rec, nil
	}
	rec, err := r.store.Get(r.ctx, iri)
	if errors.Is(err, registry.ErrNotFound) {
		rec, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	c.recs[iri] = rec
	return rec, nil
}

// onBehalf reports whether rec, created by agency, is owned by another
// organization (ceterms:ownedBy names one and not agency).
func onBehalf(rec registry.Record, agency string) bool {
	if agency == "" {
		return false
	}
	owned := false
	for _, q := range rec.Quads {
		if q.Subject == quad.IRI(rec.IRI) && q.Predicate == quad.IRI(schema.OwnedBy) {
			if q.Object == quad.IRI(agency) {
				return false
			}
			owned = true
		}
	}
	return owned && rec.IRI != agency
}

// problem turns a store validation problem into an input problem.
func (r *runner) problem(row int, iri string, p schema.Problem, namer ColumnNamer) Problem {
	col := p.Field
	if namer != nil {
		if c := namer.ColumnOf(p.Field); c != "" {
			col = c
		}
	}
	msg := p.Message
	if n, ok := namer.(MessageNamer); ok {
		msg = n.InColumns(msg)
	}
	if p.Node != "" && p.Node != iri {
		msg += " (in " + p.Node + ")"
	}
	return Problem{File: r.src.Name(), Row: row, Column: col, Value: p.Value, Message: msg}
}

func (r *runner) fail(u *Unit) {
	r.rep.Failed++
	r.problems(u.Problems)
	for _, w := range u.Warnings {
		r.warning(w)
	}
	if len(u.Classes) > 0 {
		r.class(u.Classes[0]).Rejected++
	}
}

// MaxWarnings caps the warnings a report keeps; the rest are counted.
const MaxWarnings = 1000

// MaxProblems caps the problems a report keeps, so that the answer to a
// huge bad upload stays small; the rest are counted in ProblemsOmitted.
const MaxProblems = 10000

// problems keeps problems in the report up to MaxProblems.
func (r *runner) problems(ps []Problem) {
	for _, p := range ps {
		if len(r.rep.Problems) >= MaxProblems {
			r.rep.ProblemsOmitted++
			continue
		}
		r.rep.Problems = append(r.rep.Problems, p)
	}
}

// warning keeps a warning in the report, or counts it past MaxWarnings.
func (r *runner) warning(p Problem) {
	if len(r.rep.Warnings) >= MaxWarnings {
		r.rep.WarningsOmitted++
		return
	}
	r.rep.Warnings = append(r.rep.Warnings, p)
}

// imported counts a unit that was stored.
func (r *runner) imported(u *Unit) {
	for _, w := range u.Warnings {
		r.warning(w)
	}
	for _, c := range u.Classes {
		if len(u.Warnings) > 0 {
			r.class(c).Warnings++
		} else {
			r.class(c).Imported++
		}
	}
}

func (r *runner) class(name string) *ClassCount {
	if r.rep.Classes == nil {
		r.rep.Classes = map[string]*ClassCount{}
	}
	c := r.rep.Classes[name]
	if c == nil {
		c = &ClassCount{}
		r.rep.Classes[name] = c
	}
	return c
}

func unitSize(u *Unit) int {
	n := 0
	for _, rec := range u.Records {
		n += len(rec.Quads) + registry.BookkeepingQuads
	}
	for _, ref := range u.References {
		n += len(ref.Record.Quads) + registry.BookkeepingQuads
	}
	return n
}

// add puts a unit's records into the batch, combining records that several
// units of the batch give (such as an organization named on many rows).
func (r *runner) add(u *Unit, n int) {
	r.units = append(r.units, u)
	r.size += n
	for _, rec := range u.Records {
		cur, ok := r.recs[rec.IRI]
		if !ok {
			c := rec
			c.Quads = append(c.Quads[:0:0], rec.Quads...)
			r.recs[rec.IRI] = &c
			r.order = append(r.order, rec.IRI)
			continue
		}
		cur.Quads = append(cur.Quads, rec.Quads...)
		// A full record among the parts makes the combination a full record.
		cur.Merge = cur.Merge && rec.Merge
	}
	for _, ref := range u.References {
		cur, ok := r.refs[ref.Record.IRI]
		if !ok {
			c := ref
			c.row = u.Row
			r.refs[ref.Record.IRI] = &c
			r.refOrder = append(r.refOrder, ref.Record.IRI)
			continue
		}
		// Two descriptions of one reference: the first one's values stand.
		cur.Record.Quads = withMissing(cur.Record.IRI, cur.Record.Quads, ref.Record.Quads)
		cur.CreateOnly = cur.CreateOnly && ref.CreateOnly
	}
}

// flush writes the batch. Records that fail as combined (two rows giving
// different single values, say) fail the units that gave them; the rest
// is written.
func (r *runner) flush() error {
	defer r.reset()
	if len(r.units) == 0 {
		return nil
	}
	extra, err := r.resolveReferences()
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		recs := make([]registry.Record, 0, len(r.order)+len(extra))
		for _, iri := range r.order {
			recs = append(recs, *r.recs[iri])
		}
		recs = append(recs, extra...)
		for i := range recs {
			recs[i].Publisher = r.opts.Agency
		}
		if r.opts.DryRun {
			bad := map[string]schema.Problems{}
			for _, rec := range recs {
				ps, err := r.store.ValidateAsStored(r.ctx, rec)
				if err != nil {
					return err
				}
				if len(ps) > 0 {
					bad[rec.IRI] = ps
				}
			}
			if len(bad) == 0 || attempt > 0 {
				r.referencesWritten(extra)
				r.rep.Imported += len(r.units)
				for _, u := range r.units {
					r.imported(u)
				}
				r.countCredentials(nil, nil)
				r.rep.Batches++
				return nil
			}
			r.dropFailing(bad, nil)
			extra = withoutRecords(extra, bad)
			continue
		}
		before := r.store.Sequence()
		changes, err := r.put(recs)
		if err == nil {
			r.cache.wrote(before, r.store.Sequence(), recs, changes)
		}
		var be *registry.BatchError
		if errors.Is(err, registry.ErrPrecondition) && attempt < maxFlushAttempts {
			// A reference the batch creates was created meanwhile.
			var dropped bool
			var derr error
			if extra, dropped, derr = r.dropMadeMeanwhile(extra); derr != nil {
				return derr
			}
			if dropped {
				continue
			}
		}
		if errors.As(err, &be) && attempt < maxFlushAttempts {
			bad := map[string]schema.Problems{}
			forbidden := map[string]bool{}
			for _, re := range be.Records {
				bad[re.IRI] = re.Problems
				var fe *registry.ForbiddenError
				if errors.As(re, &fe) {
					forbidden[re.IRI] = true
					if ref, ok := r.refs[re.IRI]; ok && r.recs[re.IRI] == nil {
						r.warn(ref, "named inside another record; linked to the stored record, left as it is, which this agency may not change: "+r.store.WithNames(r.ctx, fe.Reason))
					}
				}
			}
			r.dropFailing(bad, forbidden)
			extra = withoutRecords(extra, bad)
			if len(r.units) == 0 {
				return nil
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("import %s: write batch %d: %w", r.src.Name(), r.rep.Batches+1, err)
		}
		r.rep.Batches++
		r.referencesWritten(extra)
		r.rep.Imported += len(r.units)
		for _, u := range r.units {
			r.imported(u)
		}
		for i, c := range changes {
			r.tally(recs[i].IRI, c)
			if c.Seq > 0 && c.Action == registry.ActionCreate && onBehalf(recs[i], r.opts.Agency) {
				r.rep.OnBehalf++
			}
		}
		r.countCredentials(recs, changes)
		if err := r.danglingLinks(recs); err != nil {
			return err
		}
		r.log.Debug("import batch written", "file", r.src.Name(), "batch", r.rep.Batches, "records", len(recs), "units", len(r.units))
		return nil
	}
}

// maxFlushAttempts bounds how often flush writes a batch again after
// taking out what failed: records that became invalid or forbidden when
// combined or when another write came between the checks and the write,
// and references another write created.
const maxFlushAttempts = 3

// put writes a batch: for the agency, when the import has one, so that
// the registry checks authorize's decisions again under its write lock,
// against the records as stored at the write (another agency may have
// created or changed one since authorize read it).
func (r *runner) put(recs []registry.Record) ([]registry.Change, error) {
	if r.opts.Agency == "" {
		return r.store.PutBatch(r.ctx, r.opts.Actor, recs)
	}
	return r.store.PutBatchAs(r.ctx, r.opts.Agency, r.opts.Actor, recs)
}

// tally counts a record of a written batch in the report, once per run:
// a record written in any batch is Written, with its statements as its
// last write stored them; one no batch changed is Unchanged. A record
// often comes back in later batches (the organization that owns many
// rows, a credential named on several): counting it per batch would make
// the report depend on the batch size. Records are told apart by a 64-bit
// hash of their IRI, which keeps the tally small and out of the
// collector's way (a collision, with odds of about one in 30 million at a
// million records, would miscount one record and change nothing stored).
func (r *runner) tally(iri string, c registry.Change) {
	const unchanged = -1
	h := maphash.String(r.seed, iri)
	before, seen := r.outcomes[h]
	switch {
	case c.Seq == 0 && !seen:
		r.outcomes[h] = unchanged
		r.rep.Unchanged++
	case c.Seq == 0:
		// Unchanged now, as it was or as an earlier batch wrote it.
	case !seen || before == unchanged:
		if seen {
			r.rep.Unchanged--
		}
		r.rep.Written++
		r.rep.Statements += c.Statements
		r.outcomes[h] = int32(c.Statements)
	default:
		r.rep.Statements += c.Statements - int(before)
		r.outcomes[h] = int32(c.Statements)
	}
}

// countCredentials counts the batch's credentials in the report, each
// once per run: by the change written (a create is a new credential), or
// by the rule that found it in a dry run (changes nil).
func (r *runner) countCredentials(recs []registry.Record, changes []registry.Change) {
	action := map[string]registry.Change{}
	for i, c := range changes {
		action[recs[i].IRI] = c
	}
	for _, u := range r.units {
		if u.Credential == "" || r.counted[u.Credential] {
			continue
		}
		r.counted[u.Credential] = true
		cc := r.rep.Credentials
		if cc == nil {
			cc = &CredentialCount{Matched: map[string]int{}}
			r.rep.Credentials = cc
		}
		c, written := action[u.Credential]
		switch {
		case changes != nil && written && c.Action == registry.ActionCreate, u.Rule == "" && changes == nil:
			cc.Created++
			continue
		case u.Rule == "":
			cc.Matched["ctid"]++ // the import's own credential, already stored
		default:
			cc.Matched[u.Rule]++
		}
		if changes != nil && c.Seq == 0 {
			cc.Unchanged++
		}
	}
}

// withoutRecords returns recs without those named in bad.
func withoutRecords(recs []registry.Record, bad map[string]schema.Problems) []registry.Record {
	out := recs[:0:0]
	for _, rec := range recs {
		if _, ok := bad[rec.IRI]; !ok {
			out = append(out, rec)
		}
	}
	return out
}

// dropFailing removes from the batch the units that contributed to a
// failing record, reporting them, and rebuilds the batch from the rest.
// forbidden names the records that failed because the agency may not
// write them as stored now (PutBatchAs), not for their content.
func (r *runner) dropFailing(bad map[string]schema.Problems, forbidden map[string]bool) {
	units := r.units
	r.reset()
	namer, _ := r.src.(ColumnNamer)
	for _, u := range units {
		var probs []Problem
		refused := false
		for _, rec := range u.Records {
			for _, p := range bad[rec.IRI] {
				pr := r.problem(u.Row, rec.IRI, p, namer)
				if forbidden[rec.IRI] {
					pr.Message = r.store.WithNames(r.ctx, pr.Message) + " (the stored record changed after this import read it)"
					refused = true
				} else {
					pr.Message += " (in " + rec.IRI + " as it would be stored, after combining this input's parts of it and any stored record it adds to)"
				}
				probs = append(probs, pr)
			}
		}
		if refused {
			r.rep.Forbidden++
		}
		if len(probs) > 0 {
			u.Problems = probs
			r.fail(u)
			continue
		}
		r.add(u, unitSize(u))
	}
	sort.SliceStable(r.rep.Problems, func(i, j int) bool { return r.rep.Problems[i].Row < r.rep.Problems[j].Row })
}

func (r *runner) progress() {
	if r.opts.Progress == nil {
		return
	}
	var done, total int64
	if s, ok := r.src.(Sizer); ok {
		done, total = s.Position()
	}
	r.opts.Progress.Update(r.rep.Units, r.rep.Failed, done, total)
}
