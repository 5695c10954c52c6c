package registry

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/schema"
)

// Record is the description of one resource: the statements about its IRI
// and its fragment IRIs ("…#evidence"), kept in a named graph of its own.
type Record struct {
	// IRI names the resource and its record's graph.
	IRI string
	// Quads are the statements, without graph labels.
	Quads []quad.Quad
	// Merge asks PutBatch to combine Quads with the stored record instead
	// of replacing it: the stored statements stay, except those of the
	// record's own node whose property Quads gives a value for and that is
	// single-valued (see schema.SingleValued). Several agencies' sheets
	// that name one credential so add to it rather than undo each other.
	// A merged record is validated as it will be stored, so Quads alone
	// may be a part of a record.
	Merge bool
	// IfMatch makes the write conditional, checked under the store's write
	// lock so that no other write slips between: the stored record's Hash
	// must be IfMatch, or no record may be stored when it is NoRecord.
	// Empty means no condition. A failed condition is an error wrapping
	// ErrPrecondition and writes nothing.
	IfMatch string
	// Publisher is the agency whose write this is, recorded as the
	// record's schema.PublishedBy when the write creates the record and
	// gives none itself. A replacement keeps the stored publisher when it
	// names none. Records under /schemes/ (reference data) get none.
	Publisher string

	// The fields below are filled in by the store.

	// Hash is the SHA-256 of the record's canonical N-Quads ("sha256:…").
	Hash string
	// Created and Modified are the times of the first and the last change.
	Created, Modified time.Time
	// Version is the sequence number of the record's last change.
	Version uint64
}

// NoRecord, as Record.IfMatch, writes only when no record is stored.
const NoRecord = "none"

// ErrPrecondition is wrapped by the error of a conditional write whose
// condition failed (see Record.IfMatch).
var ErrPrecondition = errors.New("precondition failed")

// Retired reports whether the record carries a retirement status.
func (r *Record) Retired() bool {
	for _, q := range r.Quads {
		if q.Subject == quad.IRI(r.IRI) && q.Predicate == quad.IRI(schema.RecordStatus) && q.Object == quad.IRI(schema.StatusRetired) {
			return true
		}
	}
	return false
}

// Actions in the change log.
const (
	ActionCreate = "create"
	ActionUpdate = "update"
	ActionRetire = "retire"
)

// Change is one entry of the append-only change log.
type Change struct {
	Seq    uint64    `json:"seq"`
	Time   time.Time `json:"time"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	IRI    string    `json:"iri"`
	Hash   string    `json:"hash"`
	// Statements is the number of the record's statements as this write
	// stored them (duplicates dropped, a merge's stored statements and
	// the publisher included), for a writer's report; 0 in the change
	// log as read back.
	Statements int `json:"-"`
}

// RecordError reports the problems of one record of a batch.
type RecordError struct {
	Index    int // position in the batch
	IRI      string
	Problems schema.Problems
	// Err is the cause when it is not invalid content: a *ForbiddenError
	// when the writing agency may not make this change (PutBatchAs).
	Err error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("record %d (%s): %v", e.Index+1, e.IRI, e.Problems)
}

// Unwrap returns the cause (nil for invalid content), so that
// errors.Is(err, ErrForbidden) tells a refused record.
func (e *RecordError) Unwrap() error { return e.Err }

// BatchError lists every record of a batch that is invalid or, for
// PutBatchAs, forbidden. When PutBatch or PutBatchAs returns
// one, nothing of the batch was written.
type BatchError struct {
	Records []*RecordError
}

// Unwrap returns the records' errors, so that errors.Is and errors.As
// look into them.
func (e *BatchError) Unwrap() []error {
	out := make([]error, len(e.Records))
	for i, r := range e.Records {
		out[i] = r
	}
	return out
}

func (e *BatchError) Error() string {
	if len(e.Records) == 1 {
		return e.Records[0].Error()
	}
	parts := make([]string, len(e.Records))
	for i, r := range e.Records {
		parts[i] = r.Error()
	}
	return fmt.Sprintf("%d records refused: %s", len(e.Records), strings.Join(parts, "; "))
}

// MaxBatchQuads caps the statements one PutBatch writes, counting
// BookkeepingQuads for each record: the most one atomic write holds (in
// memory, and in the Badger store's journal when it does not fit one
// transaction). Callers split larger imports into batches.
const MaxBatchQuads = 15_000

// PreferredBatchQuads is the batch size an importer should aim for: on
// the default Badger store a batch of new or replaced records this big
// commits in one transaction. A bigger one, up to MaxBatchQuads (a large
// CTDL document is one batch), is journalled, which writes it twice.
const PreferredBatchQuads = 6_000

// BookkeepingQuads is the number of statements the store adds for each
// record it writes: its hash, times and last change, and the change-log
// entry.
const BookkeepingQuads = 10

// GroupRecords splits statements into records by their subject's record
// IRI (the subject without its fragment), in order of first appearance.
// Statements about blank nodes cannot be placed and are returned as
// problems.
func GroupRecords(quads []quad.Quad) ([]Record, schema.Problems) {
	var out []Record
	index := map[string]int{}
	var problems schema.Problems
	for _, q := range quads {
		s, ok := q.Subject.(quad.IRI)
		if !ok {
			problems = append(problems, schema.Problem{Field: "@id", Value: quad.ToString(q.Subject), Message: "statement about a blank node; give the node an IRI (a fragment of its record, such as …/resources/ce-…#evidence)"})
			continue
		}
		iri := schema.RecordIRI(string(s))
		i, ok := index[iri]
		if !ok {
			i = len(out)
			index[iri] = i
			out = append(out, Record{IRI: iri})
		}
		q.Label = nil
		out[i].Quads = append(out[i].Quads, q)
	}
	return out, problems
}

// Statement builds a statement with an IRI object, for callers that add a
// link to a record.
func Statement(subject, predicate, object string) quad.Quad {
	return quad.Quad{Subject: quad.IRI(subject), Predicate: quad.IRI(predicate), Object: quad.IRI(object)}
}

// Validate checks a record against the schema rules without writing it.
// Repeated statements count once.
func (s *Store) Validate(rec Record) schema.Problems {
	quads, _ := rdf.Canonicalize(rec.Quads)
	return schema.Validate(s.base, rec.IRI, quads)
}

// ValidateAsStored checks a record as PutBatch would store it: a Merge
// record combined with the stored record it adds to, others as they are.
func (s *Store) ValidateAsStored(ctx context.Context, rec Record) (schema.Problems, error) {
	if !rec.Merge {
		return s.Validate(rec), nil
	}
	quads := rec.Quads
	old, err := s.Get(ctx, rec.IRI)
	switch {
	case err == nil:
		quads, _ = merge(rec.IRI, old.Quads, rec.Quads)
	case errors.Is(err, ErrNotFound):
		quads, _ = rdf.Canonicalize(quads)
	default:
		return nil, fmt.Errorf("validate %s: %w", rec.IRI, err)
	}
	return schema.Validate(s.base, rec.IRI, quads), nil
}

// Put stores rec, replacing the record with the same IRI atomically, and
// appends one change-log entry naming actor. An unchanged record writes
// nothing and returns a zero Change.
func (s *Store) Put(ctx context.Context, actor string, rec Record) (Change, error) {
	return s.put(ctx, actor, "", rec)
}

// PutAs is Put for a write on behalf of agency, which Authorize's rule
// binds at the write (see PutBatchAs): a change the agency may not make
// returns a *RecordError wrapping ErrForbidden, and nothing is written.
func (s *Store) PutAs(ctx context.Context, agency, actor string, rec Record) (Change, error) {
	if agency == "" {
		return Change{}, errors.New("put: the agency the write is made for is required")
	}
	return s.put(ctx, actor, agency, rec)
}

// put is Put, and PutAs when agency is not "".
func (s *Store) put(ctx context.Context, actor, agency string, rec Record) (Change, error) {
	changes, err := s.putBatch(ctx, actor, agency, []Record{rec})
	if err != nil {
		var be *BatchError
		if errors.As(err, &be) && len(be.Records) == 1 {
			return Change{}, be.Records[0]
		}
		if len(changes) == 1 {
			return changes[0], err // committed, the sync failed
		}
		return Change{}, err
	}
	return changes[0], nil
}

// PutBatch validates every record, then stores all of them in one atomic
// transaction with their change-log entries, and syncs to disk before it
// returns. If any record is invalid it returns a *BatchError listing every
// problem of every record and writes nothing. The returned changes match
// recs by position; an unchanged record has a zero Change. When the sync
// after the commit fails, it returns the changes with the sync's error:
// the batch is stored and logged (the next write follows it in the change
// log) but a power loss may take it back.
func (s *Store) PutBatch(ctx context.Context, actor string, recs []Record) ([]Change, error) {
	return s.putBatch(ctx, actor, "", recs)
}

// PutBatchAs is PutBatch for a write on behalf of agency (an
// organization's IRI), which Authorize's rule binds: every record the
// batch changes must pass Authorize against the record stored at the
// moment of the write, read under the write lock, as the write itself
// reads it. A caller's own check, made earlier, can have gone stale: the
// record it found absent may have been created since by another agency,
// or the one it found unchanged changed by its publisher. A record that
// fails is in the *BatchError, with a problem that says why and Err
// wrapping ErrForbidden, and nothing of the batch is written. A record
// the batch leaves as stored needs no authority.
func (s *Store) PutBatchAs(ctx context.Context, agency, actor string, recs []Record) ([]Change, error) {
	if agency == "" {
		return nil, errors.New("put: the agency the write is made for is required")
	}
	return s.putBatch(ctx, actor, agency, recs)
}

// putBatch is PutBatch, and PutBatchAs when agency is not "".
func (s *Store) putBatch(ctx context.Context, actor, agency string, recs []Record) ([]Change, error) {
	if actor == "" {
		return nil, errors.New("put: an actor (the writing agency) is required")
	}
	var bad []*RecordError
	seen := map[string]int{}
	total := 0
	prepared := make([]Record, len(recs))
	for i, rec := range recs {
		total += len(rec.Quads) + BookkeepingQuads
		if j, dup := seen[rec.IRI]; dup {
			bad = append(bad, &RecordError{Index: i, IRI: rec.IRI, Problems: schema.Problems{{Field: "@id", Value: rec.IRI, Message: fmt.Sprintf("the same record appears twice in one batch (also at %d)", j+1)}}})
			continue
		}
		seen[rec.IRI] = i
		quads, hash := rdf.Canonicalize(rec.Quads)
		// A merged record is checked as it will be stored, in write.
		if !rec.Merge {
			if ps := schema.Validate(s.base, rec.IRI, quads); len(ps) > 0 { // as Validate
				bad = append(bad, &RecordError{Index: i, IRI: rec.IRI, Problems: ps})
				continue
			}
		}
		reserved := rec.IRI + "#record"
		for _, q := range rec.Quads {
			if string(rdf.IRIOf(q.Subject)) == reserved {
				bad = append(bad, &RecordError{Index: i, IRI: rec.IRI, Problems: schema.Problems{{Field: "@id", Value: rec.IRI + "#record", Message: "the fragment #record is reserved for the registry's bookkeeping"}}})
				break
			}
		}
		prepared[i] = Record{IRI: rec.IRI, Quads: quads, Hash: hash, Merge: rec.Merge, IfMatch: rec.IfMatch, Publisher: rec.Publisher}
	}
	if len(bad) > 0 {
		return nil, &BatchError{Records: bad}
	}
	if total > MaxBatchQuads {
		return nil, fmt.Errorf("put: a batch of %d records writes about %d statements (with %d of bookkeeping each), over the limit of %d; split it", len(recs), total, BookkeepingQuads, MaxBatchQuads)
	}
	return s.write(ctx, actor, agency, prepared, func(old *Record, _ Record) string {
		if old == nil {
			return ActionCreate
		}
		return ActionUpdate
	})
}

// Retire marks the record iri as retired at time at, with a reason, and
// keeps it: it stays readable, with its status, date and reason.
func (s *Store) Retire(ctx context.Context, actor, iri, reason string, at time.Time) (Change, error) {
	return s.RetireIf(ctx, actor, iri, reason, at, "")
}

// RetireIf is Retire made conditional: ifMatch, when not empty, is the
// Hash the stored record must have (checked under the write lock), or the
// error wraps ErrPrecondition.
func (s *Store) RetireIf(ctx context.Context, actor, iri, reason string, at time.Time, ifMatch string) (Change, error) {
	return s.retire(ctx, actor, "", iri, reason, at, ifMatch)
}

// RetireAs is RetireIf for a retirement by agency (its change-log actor
// too), which Authorize's rule binds at the write: the record stored
// when the retirement is written, read under the write lock, must be one
// the agency may retire, or the error wraps ErrForbidden (a
// *ForbiddenError) and nothing is written.
func (s *Store) RetireAs(ctx context.Context, agency, iri, reason string, at time.Time, ifMatch string) (Change, error) {
	if agency == "" {
		return Change{}, errors.New("retire: the agency the retirement is made for is required")
	}
	return s.retire(ctx, agency, agency, iri, reason, at, ifMatch)
}

// retire is RetireIf, and RetireAs when agency is not "".
func (s *Store) retire(ctx context.Context, actor, agency, iri, reason string, at time.Time, ifMatch string) (Change, error) {
	if actor == "" {
		return Change{}, errors.New("retire: an actor (the writing agency) is required")
	}
	if strings.TrimSpace(reason) == "" {
		return Change{}, fmt.Errorf("retire %s: a reason is required", iri)
	}
	// Read and write under one hold of the write lock: no other write can
	// come between, so none is lost to the retirement, and a retirement
	// never fails because other writes keep changing the record. (On a
	// store shared with other processes, one of theirs can: the write
	// then meets ErrConflict and the retirement is made again from a new
	// read.)
	var change Change
	err := s.lockedRetry(ctx, func(ctx context.Context) error {
		var err error
		change, err = s.retireLocked(ctx, actor, agency, iri, reason, at, ifMatch)
		return err
	})
	return change, err
}

// retireLocked is RetireIf for a caller holding s.mu.
func (s *Store) retireLocked(ctx context.Context, actor, agency, iri, reason string, at time.Time, ifMatch string) (Change, error) {
	old, err := s.getLocked(ctx, iri)
	if err != nil {
		return Change{}, fmt.Errorf("retire: %w", err)
	}
	if agency != "" {
		if err := Authorize(s.base, agency, old.record(), nil); err != nil {
			return Change{}, fmt.Errorf("retire: %w", err)
		}
	}
	if ifMatch != "" && old.Hash != ifMatch {
		return Change{}, fmt.Errorf("retire %s: %w: the request expected %s, it is now %s (version %d)", iri, ErrPrecondition, ifMatch, old.Hash, old.Version)
	}
	if old.Retired() {
		return Change{}, fmt.Errorf("retire %s: %w", iri, ErrRetired)
	}
	subj := quad.IRI(iri)
	quads := append([]quad.Quad(nil), old.Quads...)
	quads = append(quads,
		quad.Quad{Subject: subj, Predicate: quad.IRI(schema.RecordStatus), Object: quad.IRI(schema.StatusRetired)},
		quad.Quad{Subject: subj, Predicate: quad.IRI(schema.RetiredOn), Object: rdf.DateTime(at)},
		quad.Quad{Subject: subj, Predicate: quad.IRI(schema.RetirementReason), Object: quad.String(reason)},
	)
	q, hash := rdf.Canonicalize(quads)
	changes, err := s.writeLocked(ctx, actor, "", []Record{{IRI: iri, Quads: q, Hash: hash, IfMatch: old.Hash}}, func(cur *Record, _ Record) string {
		return ActionRetire
	})
	if err != nil {
		if len(changes) == 1 {
			return changes[0], err // committed, the sync failed
		}
		return Change{}, err
	}
	return changes[0], nil
}

// write replaces records (already canonical and validated) in one
// transaction: the statements that changed, the records' bookkeeping, one
// change-log entry each, and the log head. When agency is not "", each
// change must pass Authorize for it (see PutBatchAs).
func (s *Store) write(ctx context.Context, actor, agency string, recs []Record, action func(old *Record, rec Record) string) ([]Change, error) {
	var changes []Change
	err := s.lockedRetry(ctx, func(ctx context.Context) error {
		var err error
		changes, err = s.writeLocked(ctx, actor, agency, recs, action)
		return err
	})
	return changes, err
}

// writeLocked is write for a caller that holds s.mu, so that what it read
// under the lock is still what is stored when it writes.
func (s *Store) writeLocked(ctx context.Context, actor, agency string, recs []Record, action func(old *Record, rec Record) string) ([]Change, error) {
	if s.closed {
		return nil, errors.New("write: the store is closed")
	}
	now := time.Now().UTC()
	// Statements to remove and to add. Records never share a statement
	// (each has its own graph and bookkeeping node, each change-log entry
	// its own node), so what a record keeps is found record by record.
	var remove, adds []quad.Quad
	add := func(s, p, o quad.Value, g string) {
		adds = append(adds, quad.Quad{Subject: s, Predicate: p, Object: o, Label: quad.IRI(g)})
	}
	changes := make([]Change, len(recs))
	var written []Record // as stored, for the list index
	var writes []recordWrite
	seq := s.seq
	var bad []*RecordError
	for i, rec := range recs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// The stored content hash alone tells a new record (none) and
		// most unchanged ones; only the others read the stored record.
		hash, err := s.storedHash(ctx, rec.IRI)
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", rec.IRI, err)
		}
		if s.unchanged(rec, hash) {
			continue // unchanged: nothing to write, nothing to log
		}
		var old *stored
		if hash != "" {
			if old, err = s.getLocked(ctx, rec.IRI); err != nil {
				return nil, fmt.Errorf("write %s: %w", rec.IRI, err)
			}
		}
		switch {
		case rec.IfMatch == "":
		case rec.IfMatch == NoRecord && old != nil:
			return nil, fmt.Errorf("write %s: %w: a record is stored (version %d)", rec.IRI, ErrPrecondition, old.Version)
		case rec.IfMatch != NoRecord && (old == nil || old.Hash != rec.IfMatch):
			now := "none is stored"
			if old != nil {
				now = fmt.Sprintf("it is now %s (version %d)", old.Hash, old.Version)
			}
			return nil, fmt.Errorf("write %s: %w: the write expected %s, %s", rec.IRI, ErrPrecondition, rec.IfMatch, now)
		}
		if rec.Merge {
			if old != nil {
				rec.Quads, rec.Hash = merge(rec.IRI, old.Quads, rec.Quads)
			}
			if ps := schema.Validate(s.base, rec.IRI, rec.Quads); len(ps) > 0 {
				bad = append(bad, &RecordError{Index: i, IRI: rec.IRI, Problems: ps})
				continue
			}
		}
		rec.Quads, rec.Hash = s.keepPublisher(old.record(), rec)
		if old != nil && old.Hash == rec.Hash {
			continue // unchanged: nothing to write, nothing to log
		}
		if agency != "" {
			// The record as it will be stored, against the one stored now.
			if err := Authorize(s.base, agency, old.record(), &rec); err != nil {
				var fe *ForbiddenError
				if !errors.As(err, &fe) {
					return nil, fmt.Errorf("write %s: %w", rec.IRI, err)
				}
				bad = append(bad, &RecordError{Index: i, IRI: rec.IRI, Err: fe,
					Problems: schema.Problems{{Field: "@id", Value: rec.IRI, Message: "forbidden (403): " + fe.Reason}}})
				continue
			}
		}
		seq++
		label := quad.IRI(rec.IRI)
		first := len(adds)
		for _, q := range rec.Quads {
			q.Label = label
			adds = append(adds, q)
		}
		// Bookkeeping.
		meta := metaNode(rec.IRI)
		created := now
		if old != nil && !old.Created.IsZero() {
			created = old.Created
		}
		add(meta, quad.IRI(predContentHash), quad.String(rec.Hash), graphRecords)
		add(meta, quad.IRI(predCreated), rdf.DateTime(created), graphRecords)
		add(meta, quad.IRI(predModified), rdf.DateTime(now), graphRecords)
		add(meta, quad.IRI(predLastChange), rdf.Integer(seq), graphRecords)
		if old != nil {
			// What stays is neither removed nor added.
			var kept []quad.Quad
			kept, remove = diffRecord(remove, old, label, adds[first:])
			adds = append(adds[:first], kept...)
		}
		// The change-log entry. Its sequence statement is new by
		// construction: a second writer of the same number fails.
		c := Change{Seq: seq, Time: now, Actor: actor, Action: action(old.record(), rec), IRI: rec.IRI, Hash: rec.Hash, Statements: len(rec.Quads)}
		entry := changeNode(seq)
		add(entry, quad.IRI(predSequence), rdf.Integer(seq), graphChanges)
		add(entry, quad.IRI(predDate), rdf.DateTime(now), graphChanges)
		add(entry, quad.IRI(predActor), quad.String(actor), graphChanges)
		add(entry, quad.IRI(predAction), quad.String(c.Action), graphChanges)
		add(entry, quad.IRI(predResource), quad.IRI(rec.IRI), graphChanges)
		add(entry, quad.IRI(predContentHash), quad.String(rec.Hash), graphChanges)
		changes[i] = c
		written = append(written, Record{IRI: rec.IRI, Quads: rec.Quads})
		writes = append(writes, recordWrite{Old: old.record(), New: written[len(written)-1]})
	}
	if len(bad) > 0 {
		return nil, &BatchError{Records: bad}
	}
	if seq == s.seq {
		return changes, nil
	}
	// One atomic commit: the replaced statements go, the new ones and the
	// change-log entries come, or nothing changes.
	if err := s.be.Apply(ctx, remove, adds); err != nil {
		return nil, fmt.Errorf("write %d records: %w", len(recs), err)
	}
	// The transaction is committed: what follows must match it whether or
	// not the sync succeeds, or the next write would reuse a sequence
	// number the log already holds and the listeners (document cache,
	// list index) would miss this one.
	s.setSeq(seq)
	s.notifyWrite(seq, writes)
	if err := s.syncStore(); err != nil {
		return changes, fmt.Errorf("write %d records: committed as far as change %d, but not made durable: %w", len(recs), seq, err)
	}
	return changes, nil
}

// unchanged tells, from the stored record's content hash alone ("" when
// none is stored), that writing rec would change nothing: rec replaces
// the record whole (no Merge), expects nothing or the stored version, and
// the stored hash is rec's, or rec's with rec.Publisher as its publisher
// (what keepPublisher would store). Equal hashes are equal statements, so
// the stored record then has no other publisher to keep. Most records of
// a re-imported sheet are such, and this spares reading their statements.
// False means the full write path decides.
func (s *Store) unchanged(rec Record, hash string) bool {
	if hash == "" || rec.Merge || rec.IfMatch == NoRecord || rec.Hash == "" || (rec.IfMatch != "" && rec.IfMatch != hash) {
		return false
	}
	if hash == rec.Hash {
		return true
	}
	if rec.Publisher == "" || Publisher(&rec) != "" || strings.HasPrefix(rec.IRI, s.base.Scheme("")) {
		return false // keepPublisher would store rec as it is
	}
	_, withPublisher := rdf.Canonicalize(append(rec.Quads[:len(rec.Quads):len(rec.Quads)], Statement(rec.IRI, schema.PublishedBy, rec.Publisher)))
	return hash == withPublisher
}

// storedHash reads only the content hash of the stored record iri ("" when
// none is stored): one statement, one term read.
func (s *Store) storedHash(ctx context.Context, iri string) (string, error) {
	var hash string
	p := Pattern{Subject: metaNode(iri), Predicate: quad.IRI(predContentHash), Graph: quad.IRI(graphRecords)}
	err := s.be.Scan(ctx, p, PosObject, func(q quad.Quad) error {
		hash = rdf.Lexical(q.Object)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("read the content hash of %s: %w", iri, err)
	}
	return hash, nil
}

// diffRecord compares a stored record (its statements in graph label and
// its bookkeeping) with the statements that replace them, next (with
// their graphs): it returns the statements of next that are not stored
// yet, and appends to remove the stored ones that next lacks.
func diffRecord(remove []quad.Quad, old *stored, label quad.Value, next []quad.Quad) (added, removeOut []quad.Quad) {
	var buf []byte
	line := func(q quad.Quad) string {
		buf = rdf.AppendNQuad(buf[:0], q.Subject, q.Predicate, q.Object, q.Label)
		return string(buf)
	}
	have := make(map[string]bool, len(old.Quads)+len(old.meta))
	for _, q := range old.Quads {
		q.Label = label
		have[line(q)] = false
	}
	for _, q := range old.meta {
		have[line(q)] = false
	}
	for _, q := range next {
		l := line(q)
		if _, ok := have[l]; ok {
			have[l] = true
			continue
		}
		added = append(added, q)
	}
	for _, q := range old.Quads {
		q.Label = label
		if !have[line(q)] {
			remove = append(remove, q)
		}
	}
	for _, q := range old.meta {
		if !have[line(q)] {
			remove = append(remove, q)
		}
	}
	return added, remove
}

// keepPublisher returns the statements and hash rec is stored with: with
// the stored record's publisher when rec names none, or with
// rec.Publisher when rec creates the record. Reference data gets none.
func (s *Store) keepPublisher(old *Record, rec Record) ([]quad.Quad, string) {
	if Publisher(&rec) != "" || strings.HasPrefix(rec.IRI, s.base.Scheme("")) {
		return rec.Quads, rec.Hash
	}
	pub := rec.Publisher
	if old != nil {
		pub = Publisher(old)
	}
	if pub == "" {
		return rec.Quads, rec.Hash
	}
	return rdf.Canonicalize(append(rec.Quads[:len(rec.Quads):len(rec.Quads)], Statement(rec.IRI, schema.PublishedBy, pub)))
}

// Changed returns what writing rec over the stored record old would add
// to it: the statements of the record as it would be stored (merged with
// old for a Merge record) that old lacks, and whether anything at all
// would change (an addition or a removal). It lets a writer tell a write
// that changes nothing from one that needs authority over old.
func Changed(old *Record, rec Record) (added []quad.Quad, changed bool) {
	next, hash := rdf.Canonicalize(rec.Quads)
	if old == nil {
		return next, true
	}
	if rec.Merge {
		next, hash = merge(rec.IRI, old.Quads, rec.Quads)
	}
	if Publisher(&rec) == "" {
		if pub := Publisher(old); pub != "" {
			next, hash = rdf.Canonicalize(append(next, Statement(rec.IRI, schema.PublishedBy, pub)))
		}
	}
	if hash == old.Hash || hash == rdf.ContentHash(old.Quads) {
		return nil, false
	}
	have := map[string]bool{}
	for _, q := range old.Quads {
		have[rdf.NQuadLine(q.Subject, q.Predicate, q.Object, nil)] = true
	}
	for _, q := range next {
		if !have[rdf.NQuadLine(q.Subject, q.Predicate, q.Object, nil)] {
			added = append(added, q)
		}
	}
	return added, true
}

// merge combines a stored record with new statements: the new ones win
// for the single-valued properties of the record's node they give, every
// other stored statement stays.
func merge(iri string, old, next []quad.Quad) ([]quad.Quad, string) {
	given := map[quad.Value]bool{}
	for _, q := range next {
		if q.Subject == quad.IRI(iri) && schema.SingleValued(string(rdf.IRIOf(q.Predicate))) {
			given[q.Predicate] = true
		}
	}
	out := make([]quad.Quad, 0, len(old)+len(next))
	for _, q := range old {
		if q.Subject == quad.IRI(iri) && given[q.Predicate] {
			continue
		}
		out = append(out, q)
	}
	return rdf.Canonicalize(append(out, next...))
}

// stored is a record as read back, with its bookkeeping statements.
type stored struct {
	Record
	meta []quad.Quad
}

func (st *stored) record() *Record {
	if st == nil {
		return nil
	}
	return &st.Record
}

// Get returns the record iri, or an error wrapping ErrNotFound.
func (s *Store) Get(ctx context.Context, iri string) (*Record, error) {
	st, err := s.getLocked(ctx, iri)
	if err != nil {
		return nil, err
	}
	return &st.Record, nil
}

// getLocked reads a record and its bookkeeping. It takes no lock itself;
// the name says that writers call it while holding s.mu.
func (s *Store) getLocked(ctx context.Context, iri string) (*stored, error) {
	meta, err := s.quadsBySubject(ctx, metaNode(iri))
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", iri, err)
	}
	if len(meta) == 0 {
		return nil, fmt.Errorf("%s: %w", iri, ErrNotFound)
	}
	st := &stored{Record: Record{IRI: iri}}
	for _, q := range meta {
		if rdf.IRIOf(q.Label) != graphRecords {
			continue
		}
		st.meta = append(st.meta, q)
		switch rdf.IRIOf(q.Predicate) {
		case predContentHash:
			st.Hash = rdf.Lexical(q.Object)
		case predCreated:
			st.Created, _ = time.Parse(time.RFC3339Nano, rdf.Lexical(q.Object))
		case predModified:
			st.Modified, _ = time.Parse(time.RFC3339Nano, rdf.Lexical(q.Object))
		case predLastChange:
			st.Version, _ = strconv.ParseUint(rdf.Lexical(q.Object), 10, 64)
		}
	}
	quads, err := s.quadsByGraph(ctx, quad.IRI(iri))
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", iri, err)
	}
	for i := range quads {
		quads[i].Label = nil
	}
	st.Quads, _ = rdf.Canonicalize(quads)
	return st, nil
}

// meta reads only the bookkeeping of a record: enough to tell whether a
// cached rendering is current.
func (s *Store) meta(ctx context.Context, iri string) (hash string, version uint64, modified time.Time, err error) {
	meta, err := s.quadsBySubject(ctx, metaNode(iri))
	if err != nil {
		return "", 0, time.Time{}, fmt.Errorf("get %s: %w", iri, err)
	}
	if len(meta) == 0 {
		return "", 0, time.Time{}, fmt.Errorf("%s: %w", iri, ErrNotFound)
	}
	for _, q := range meta {
		switch rdf.IRIOf(q.Predicate) {
		case predContentHash:
			hash = rdf.Lexical(q.Object)
		case predLastChange:
			version, _ = strconv.ParseUint(rdf.Lexical(q.Object), 10, 64)
		case predModified:
			modified, _ = time.Parse(time.RFC3339Nano, rdf.Lexical(q.Object))
		}
	}
	return hash, version, modified, nil
}

// Changes returns up to limit change-log entries after sequence number
// since, oldest first.
func (s *Store) Changes(ctx context.Context, since uint64, limit int) ([]Change, error) {
	head := s.Sequence()
	var out []Change
	for seq := since + 1; seq <= head && len(out) < limit; seq++ {
		c, err := s.readChange(ctx, seq)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// readChange reads change-log entry seq (its statements in the changes
// graph).
func (s *Store) readChange(ctx context.Context, seq uint64) (Change, error) {
	quads, err := s.quadsBySubject(ctx, changeNode(seq))
	if err != nil {
		return Change{}, fmt.Errorf("read change %d: %w", seq, err)
	}
	c := Change{Seq: seq}
	for _, q := range quads {
		if rdf.IRIOf(q.Label) != graphChanges {
			continue
		}
		switch rdf.IRIOf(q.Predicate) {
		case predDate:
			c.Time, _ = time.Parse(time.RFC3339Nano, rdf.Lexical(q.Object))
		case predActor:
			c.Actor = rdf.Lexical(q.Object)
		case predAction:
			c.Action = rdf.Lexical(q.Object)
		case predResource:
			c.IRI = string(rdf.IRIOf(q.Object))
		case predContentHash:
			c.Hash = rdf.Lexical(q.Object)
		}
	}
	if c.IRI == "" {
		return Change{}, fmt.Errorf("read change %d: entry missing from the log", seq)
	}
	return c, nil
}

// History returns every change-log entry of the record iri, oldest first:
// who (the actor), when, the action and the content hash of the version
// written. The log keeps hashes, not earlier versions, so it cannot say
// which statements a change added or removed. A record never written has
// no history (an empty list, no error).
func (s *Store) History(ctx context.Context, iri string) ([]Change, error) {
	quads, err := s.quadsByObjectPredicate(ctx, quad.IRI(iri), predResource)
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", iri, err)
	}
	var seqs []uint64
	seen := map[uint64]bool{}
	for _, q := range quads {
		if rdf.IRIOf(q.Label) != graphChanges {
			continue
		}
		n, ok := strings.CutPrefix(string(rdf.IRIOf(q.Subject)), changePrefix)
		if !ok {
			continue
		}
		seq, err := strconv.ParseUint(n, 10, 64)
		if err != nil || seen[seq] {
			continue
		}
		seen[seq] = true
		seqs = append(seqs, seq)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	out := make([]Change, 0, len(seqs))
	for _, seq := range seqs {
		c, err := s.readChange(ctx, seq)
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", iri, err)
		}
		if c.IRI != iri {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// ChangeAt returns change-log entry seq, or an error when the log has no
// such entry.
func (s *Store) ChangeAt(ctx context.Context, seq uint64) (Change, error) {
	return s.readChange(ctx, seq)
}

// Statements returns the statements of the record iri as they are stored
// now, each in the record's graph, in no particular order; none (and no
// error) when there is no such record. Unlike Get it reads no bookkeeping
// and does not canonicalize: it is the read that catching up with the
// change log makes for every record an entry names.
func (s *Store) Statements(ctx context.Context, iri string) ([]quad.Quad, error) {
	return s.quadsByGraph(ctx, quad.IRI(iri))
}

// QueryError is a list parameter the list cannot use.
type QueryError struct {
	Param, Value, Message string
	// Candidates are the values meant, when a name was ambiguous, or the
	// known values, when few.
	Candidates []string
}

func (e *QueryError) Error() string {
	msg := fmt.Sprintf("%s=%q: %s", e.Param, e.Value, e.Message)
	if len(e.Candidates) > 0 {
		msg += " (" + strings.Join(e.Candidates, "; ") + ")"
	}
	return msg
}
