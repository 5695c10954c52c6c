package ingest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"unicode/utf8"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// Limits of the N-Quads reader.
const (
	// MaxNQuadsLine caps the length of one line.
	MaxNQuadsLine = 1 << 20
	// maxBlankNodes caps the blank nodes one input may name: the reader
	// remembers each one's record for the whole input.
	maxBlankNodes = 1_000_000
	// maxOrphanStatements caps the statements about blank nodes that
	// nothing has referred to yet, held until something does.
	maxOrphanStatements = 100_000
)

// nqStmt is one parsed statement with its line.
type nqStmt struct {
	s, p, o quad.Value
	line    int
}

// nqGroup is a record being read: the statements about its subject and
// fragments, and about the blank nodes it refers to.
type nqGroup struct {
	rec     string
	row     int
	merge   bool
	stmts   []nqStmt
	tooMany bool
	sameAs  map[string]bool
	// waiting counts the blank nodes the record refers to that no
	// statement has described yet; the record is held while it waits.
	waiting int
	done    bool
}

// blankNode is what the reader remembers of a blank node.
type blankNode struct {
	rec     string   // the record it belongs to
	frag    quad.IRI // its fragment IRI, once named
	content bool     // whether a statement has described it
}

// nquadsSource reads N-Quads or N-Triples as units, one per run of
// statements about one record.
type nquadsSource struct {
	name string
	base schema.Base
	size int64
	cr   *countingReader
	br   *bufio.Reader
	buf  []byte
	line int
	done bool
	err  error // a read error, returned after the units read before it

	cur      *nqGroup            // the record of the last placed IRI subject
	open     map[string]*nqGroup // records read and not emitted yet
	openList []*nqGroup          // the same, oldest first (emitted ones are skipped)
	openN    int                 // statements held in open records
	ready    []*nqGroup          // open records that stopped waiting
	queue    []*Unit
	emitted  map[string]bool

	blanks     map[string]blankNode
	waitingFor map[string]*nqGroup // undescribed blank node -> the record waiting for it
	orphans    map[string][]nqStmt // statements about blank nodes nothing refers to yet
	orphanN    int
	orphanLine map[string]int

	bad     *Unit // a run of statements whose subject cannot be placed
	badSubj string
	badN    int
	badFrom int
}

// maxOpenStatements caps the statements of records held while they wait
// for their blank nodes; past it, the oldest are emitted and what comes
// later about them is a part of its own (Merge). A variable for tests.
var maxOpenStatements = 100_000

// NQuads returns a Source streaming N-Quads or N-Triples from r (size is
// its length in bytes, or 0 if unknown, for progress). Graph labels are
// dropped. Statements are grouped into records by subject:
//
//   - a subject IRI under base belongs to the record of its IRI without the
//     fragment;
//   - a subject IRI of another registry whose last path segment is a CTID
//     (https://other.example/resources/ce-…) belongs to base.Resource(ctid),
//     a fragment IRI "…/ce-x#y" becomes base.Resource("ce-x")+"#y", and the
//     record keeps owl:sameAs the source IRI; object IRIs are rewritten the
//     same way (except values of owl:sameAs), so each thing has one IRI;
//   - a blank node belongs to the record of the first placed subject that
//     refers to it (directly or through other blank nodes) and becomes a
//     fragment of that record named from a hash of its content, so
//     re-importing a dump gives the same IRIs even when its blank node
//     labels change. Statements about a blank node that come before
//     anything refers to it are held (up to a limit) until something does.
//
// A subject that cannot be placed (no CTID, not under base, a blank node
// nothing placed refers to) is a problem naming its line, as is a
// malformed line (or one longer than MaxNQuadsLine); the other statements
// import.
//
// Dumps are usually grouped by subject: a record is emitted as a unit when
// the subject moves on to another record, unless it refers to blank nodes
// not described yet, in which case it is held until they are (at most
// maxOpenStatements statements are held; then the oldest go), so memory
// stays bounded. Statements about a record that come back after it was
// emitted are emitted as a unit of their own with Merge set, so that they
// add to what the earlier unit wrote instead of replacing it. The first
// unit of a record does not set Merge: a dump is the full description of
// what it names. (Such a later part is validated on its own by ingest.Run
// and the store, so it imports only if it is a valid record by itself.)
func NQuads(name string, r io.Reader, size int64, base schema.Base) (Source, error) {
	if base.String() == "" {
		return nil, errors.New("ingest.NQuads: a base IRI is required")
	}
	cr := &countingReader{r: r}
	return &nquadsSource{
		name: name, base: base, size: size, cr: cr, br: bufio.NewReaderSize(cr, 64<<10),
		open: map[string]*nqGroup{}, emitted: map[string]bool{}, blanks: map[string]blankNode{},
		waitingFor: map[string]*nqGroup{}, orphans: map[string][]nqStmt{}, orphanLine: map[string]int{},
	}, nil
}

func (s *nquadsSource) Name() string { return s.name }

// Position implements Sizer.
func (s *nquadsSource) Position() (done, total int64) { return s.cr.n, s.size }

func (s *nquadsSource) Next(ctx context.Context) (*Unit, error) {
	for len(s.queue) == 0 {
		if s.err != nil {
			return nil, s.err
		}
		if s.done {
			return nil, io.EOF
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := s.step(); err != nil {
			return nil, err
		}
	}
	u := s.queue[0]
	s.queue = s.queue[1:]
	return u, nil
}

// step reads one line (or finishes the input).
func (s *nquadsSource) step() error {
	line, tooLong, err := s.readLine()
	if errors.Is(err, io.EOF) {
		s.finish()
		return nil
	}
	if err != nil {
		// The records still open may be incomplete: they are not
		// emitted; what was emitted before is.
		s.flushBad()
		s.done = true
		s.err = fmt.Errorf("line %d: %w", s.line+1, err)
		return nil
	}
	s.line++
	if tooLong {
		s.lineProblem("", "", fmt.Sprintf("the line is longer than %d bytes", MaxNQuadsLine))
		return nil
	}
	text := bytes.TrimSpace(line)
	if len(text) == 0 || text[0] == '#' {
		return nil
	}
	if !utf8.Valid(text) {
		s.lineProblem("", "", "the line is not valid UTF-8")
		return nil
	}
	st, msg := parseNQuad(string(text))
	if msg != "" {
		s.lineProblem("", excerpt(string(text)), msg)
		return nil
	}
	st.line = s.line
	return s.statement(st)
}

func excerpt(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}

// readLine reads one line without its end, up to MaxNQuadsLine bytes; a
// longer line is skipped and reported as too long.
func (s *nquadsSource) readLine() (line []byte, tooLong bool, err error) {
	s.buf = s.buf[:0]
	for {
		chunk, err := s.br.ReadSlice('\n')
		if len(s.buf)+len(chunk) > MaxNQuadsLine+1 {
			tooLong = true
		} else if !tooLong {
			s.buf = append(s.buf, chunk...)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(chunk) == 0 && len(s.buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			return s.buf, tooLong, nil
		case err != nil:
			return nil, false, err
		}
		return s.buf, tooLong, nil
	}
}

// parseNQuad parses one statement (rdf.ParseNQuad) and writes its
// literal in the form credreg keeps.
func parseNQuad(line string) (st nqStmt, msg string) {
	q, err := rdf.ParseNQuad(line)
	if err != nil {
		return st, err.Error()
	}
	return nqStmt{s: q.Subject, p: q.Predicate, o: canonicalLiteral(q.Object)}, ""
}

// lineProblem queues a unit with a problem about the current line.
func (s *nquadsSource) lineProblem(column, value, msg string) {
	s.queue = append(s.queue, &Unit{Row: s.line, Problems: []Problem{{File: s.name, Row: s.line, Column: column, Value: value, Message: msg}}})
}

// place returns the record a subject IRI belongs to and the IRI it is
// written as, or ok false.
func (s *nquadsSource) place(iri string) (rec, mapped string, ok bool) {
	if _, under := s.base.Path(iri); under {
		return schema.RecordIRI(iri), iri, true
	}
	if m, ok := ResourceIRI(s.base, iri); ok {
		return schema.RecordIRI(m), m, true
	}
	return "", "", false
}

// statement places one statement.
func (s *nquadsSource) statement(st nqStmt) error {
	var g *nqGroup
	switch x := st.s.(type) {
	case quad.IRI:
		rec, mapped, ok := s.place(string(x))
		if !ok {
			s.unplaced(string(x), st.line)
			return nil
		}
		s.flushBad()
		s.switchTo(rec, st.line)
		g = s.cur
		st.s = quad.IRI(mapped)
		if mapped != string(x) && mapped == rec && !g.sameAs[string(x)] {
			g.sameAs[string(x)] = true
			s.add(g, nqStmt{s: quad.IRI(rec), p: quad.IRI(schema.SameAs), o: x, line: st.line})
		}
	case quad.BNode:
		s.flushBad()
		b, ok := s.blanks[string(x)]
		if !ok {
			return s.orphan(st)
		}
		g = s.open[b.rec]
		if g == nil {
			// The record was emitted: this is a later part of it.
			g = s.openGroup(b.rec, st.line)
		}
		s.described(string(x))
	}
	return s.addWithObjects(g, st)
}

// described notes that a blank node has a statement about it.
func (s *nquadsSource) described(b string) {
	info := s.blanks[b]
	if info.content {
		return
	}
	info.content = true
	s.blanks[b] = info
	if g := s.waitingFor[b]; g != nil {
		delete(s.waitingFor, b)
		g.waiting--
		if g.waiting == 0 && !g.done {
			s.ready = append(s.ready, g)
		}
	}
}

// addWithObjects adds a placed statement to g, claiming the blank nodes it
// refers to for g's record and taking in what was held about them.
func (s *nquadsSource) addWithObjects(g *nqGroup, st nqStmt) error {
	if iri, ok := st.o.(quad.IRI); ok && string(st.p.(quad.IRI)) != schema.SameAs {
		if m, ok := ResourceIRI(s.base, string(iri)); ok {
			st.o = quad.IRI(m)
		}
	}
	s.add(g, st)
	b, ok := st.o.(quad.BNode)
	if !ok {
		return nil
	}
	if _, claimed := s.blanks[string(b)]; claimed {
		return nil
	}
	if len(s.blanks) >= maxBlankNodes {
		return fmt.Errorf("line %d: more than %d blank nodes in one input; split the dump", st.line, maxBlankNodes)
	}
	s.blanks[string(b)] = blankNode{rec: g.rec}
	held := s.orphans[string(b)]
	if len(held) == 0 {
		g.waiting++
		s.waitingFor[string(b)] = g
		return nil
	}
	delete(s.orphans, string(b))
	delete(s.orphanLine, string(b))
	s.orphanN -= len(held)
	s.described(string(b))
	for _, h := range held {
		if err := s.addWithObjects(g, h); err != nil {
			return err
		}
	}
	return nil
}

func (s *nquadsSource) add(g *nqGroup, st nqStmt) {
	if g.tooMany {
		return
	}
	if len(g.stmts) >= maxUnitQuads {
		g.tooMany = true
		s.openN -= len(g.stmts)
		g.stmts = nil
		return
	}
	g.stmts = append(g.stmts, st)
	s.openN++
}

// orphan holds a statement about a blank node nothing has referred to yet.
func (s *nquadsSource) orphan(st nqStmt) error {
	b := string(st.s.(quad.BNode))
	if s.orphanN >= maxOrphanStatements {
		s.lineProblem("subject", "_:"+b, fmt.Sprintf("cannot place this statement: nothing before it refers to the blank node, and %d such statements are already waiting for a referrer", maxOrphanStatements))
		return nil
	}
	if _, ok := s.orphanLine[b]; !ok {
		s.orphanLine[b] = st.line
	}
	s.orphans[b] = append(s.orphans[b], st)
	s.orphanN++
	return nil
}

// unplaced records a statement whose subject cannot be placed; a run of
// them about one subject is one problem.
func (s *nquadsSource) unplaced(subj string, line int) {
	if s.bad != nil && s.badSubj == subj {
		s.badN++
		return
	}
	s.flushBad()
	s.bad = &Unit{Row: line}
	s.badSubj, s.badN, s.badFrom = subj, 1, line
}

func (s *nquadsSource) flushBad() {
	if s.bad == nil {
		return
	}
	msg := "cannot place this subject: its IRI is neither under the registry base " + s.base.String() + " nor ends in a CTID (…/ce-…)"
	if s.badN > 1 {
		msg += fmt.Sprintf(" (%d statements from this line on)", s.badN)
	}
	s.bad.Problems = []Problem{{File: s.name, Row: s.badFrom, Column: "subject", Value: s.badSubj, Message: msg}}
	s.queue = append(s.queue, s.bad)
	s.bad = nil
}

// openGroup starts reading a record.
func (s *nquadsSource) openGroup(rec string, line int) *nqGroup {
	g := &nqGroup{rec: rec, row: line, merge: s.emitted[rec], sameAs: map[string]bool{}}
	s.open[rec] = g
	s.openList = append(s.openList, g)
	return g
}

// switchTo makes rec the current record. The record left behind, and the
// records that stopped waiting for blank nodes, are emitted; so are the
// oldest held records when too many statements are held.
func (s *nquadsSource) switchTo(rec string, line int) {
	if s.cur != nil && s.cur.rec == rec && !s.cur.done {
		return
	}
	prev := s.cur
	if g := s.open[rec]; g != nil {
		s.cur = g
	} else {
		s.cur = s.openGroup(rec, line)
	}
	if prev != nil && !prev.done && prev.waiting == 0 {
		s.emit(prev)
	}
	for _, g := range s.ready {
		if g != s.cur && !g.done && g.waiting == 0 {
			s.emit(g)
		}
	}
	s.ready = s.ready[:0]
	if s.openN > maxOpenStatements {
		for _, g := range s.openList {
			if s.openN <= maxOpenStatements {
				break
			}
			if !g.done && g != s.cur {
				s.emit(g)
			}
		}
	}
	if len(s.openList) > 64 && len(s.openList) > 2*len(s.open) {
		live := s.openList[:0]
		for _, g := range s.openList {
			if !g.done {
				live = append(live, g)
			}
		}
		s.openList = live
	}
}

// emit emits a record as a unit.
func (s *nquadsSource) emit(g *nqGroup) {
	if g.done {
		return
	}
	g.done = true
	delete(s.open, g.rec)
	s.openN -= len(g.stmts)
	s.emitted[g.rec] = true
	if g == s.cur {
		s.cur = nil
	}
	if g.tooMany {
		s.queue = append(s.queue, &Unit{Row: g.row, Problems: []Problem{{File: s.name, Row: g.row, Column: "subject", Value: g.rec,
			Message: fmt.Sprintf("more than %d statements about one record; the record is not imported", maxUnitQuads)}}})
		return
	}
	s.nameBlanks(g)
	quads := make([]quad.Quad, 0, len(g.stmts))
	for _, st := range g.stmts {
		quads = append(quads, quad.Quad{Subject: s.term(st.s), Predicate: st.p, Object: s.term(st.o)})
	}
	g.stmts = nil
	s.queue = append(s.queue, &Unit{Row: g.row, Records: []registry.Record{{IRI: g.rec, Quads: quads, Merge: g.merge}}})
}

// term writes a blank node as its fragment IRI.
func (s *nquadsSource) term(v quad.Value) quad.Value {
	b, ok := v.(quad.BNode)
	if !ok {
		return v
	}
	info := s.blanks[string(b)]
	if info.frag == "" {
		// Not named with its record (it cannot happen for a record
		// emitted before): name it by its label.
		info.frag = quad.IRI(info.rec + "#" + labelName(string(b)))
		s.blanks[string(b)] = info
	}
	return info.frag
}

func labelName(label string) string {
	sum := sha256.Sum256([]byte("label:" + label))
	return "b" + hex.EncodeToString(sum[:])[:12]
}

// nameBlanks names the blank nodes of a record not named yet: from their
// content when the record holds statements about them, else from their
// label.
func (s *nquadsSource) nameBlanks(g *nqGroup) {
	out := map[quad.Value][]po{}
	for _, st := range g.stmts {
		if b, ok := st.s.(quad.BNode); ok {
			out[b] = append(out[b], po{st.p.(quad.IRI), st.o})
		}
	}
	var todo []quad.BNode
	seen := map[quad.BNode]bool{}
	note := func(v quad.Value) {
		b, ok := v.(quad.BNode)
		if !ok || seen[b] {
			return
		}
		seen[b] = true
		if info := s.blanks[string(b)]; info.frag == "" && info.rec == g.rec {
			todo = append(todo, b)
		}
	}
	for _, st := range g.stmts {
		note(st.s)
		note(st.o)
	}
	sort.Slice(todo, func(i, j int) bool { return todo[i] < todo[j] })
	pending := map[quad.Value]bool{}
	for _, b := range todo {
		pending[b] = true
	}
	h := &fragmentHasher{
		out:    func(n quad.Value) []po { return out[n] },
		inside: func(o quad.Value) bool { return pending[o] && len(out[o]) > 0 },
		term: func(o quad.Value) string {
			if b, ok := o.(quad.BNode); ok {
				if f := s.blanks[string(b)].frag; f != "" {
					return "<" + string(f) + ">"
				}
				return "_:" + labelName(string(b))
			}
			return termKey(o)
		},
		memo: map[quad.Value]string{}, onStack: map[quad.Value]bool{},
	}
	names := map[quad.BNode]string{}
	for _, b := range todo {
		if len(out[b]) > 0 {
			names[b] = h.name(b)
		} else {
			names[b] = labelName(string(b))
		}
	}
	for _, b := range todo {
		info := s.blanks[string(b)]
		info.frag = quad.IRI(g.rec + "#" + names[b])
		s.blanks[string(b)] = info
		if w := s.waitingFor[string(b)]; w != nil {
			delete(s.waitingFor, string(b))
		}
	}
}

// finish ends the input: the records still held, and a problem for each
// blank node nothing placed refers to.
func (s *nquadsSource) finish() {
	s.done = true
	s.flushBad()
	for _, g := range s.openList {
		s.emit(g)
	}
	s.openList, s.open, s.cur = nil, nil, nil
	labels := make([]string, 0, len(s.orphans))
	for b := range s.orphans {
		labels = append(labels, b)
	}
	sort.Slice(labels, func(i, j int) bool { return s.orphanLine[labels[i]] < s.orphanLine[labels[j]] })
	for _, b := range labels {
		line := s.orphanLine[b]
		n := len(s.orphans[b])
		msg := "cannot place this subject: no statement about a placed subject refers to the blank node"
		if n > 1 {
			msg += fmt.Sprintf(" (%d statements)", n)
		}
		s.queue = append(s.queue, &Unit{Row: line, Problems: []Problem{{File: s.name, Row: line, Column: "subject", Value: "_:" + b, Message: msg}}})
	}
	s.orphans = nil
}
