package registry

// What harvesters take: the change feed (the change log as ActivityStreams
// pages) and a dump of every record.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/schema"
)

// ActivityStreams terms of the change feed.
const (
	PropSequence            = predSequence
	PropActorName           = predActor
	PropContentHash         = predContentHash
	MaxFeedPage             = 1000
	DefaultFeedPage         = 100
	feedActivityFragmentPre = "#change-"
)

// FeedPage is a page of the change feed: the changes after Since.
type FeedPage struct {
	Since   uint64
	Head    uint64 // the last change when the page was read
	Changes []Change
}

// Feed returns up to limit changes after since. since beyond the head is
// an error (a QueryError on "since").
func (s *Store) Feed(ctx context.Context, since uint64, limit int) (*FeedPage, error) {
	head := s.Sequence()
	if since > head {
		return nil, &QueryError{Param: "since", Value: fmt.Sprint(since),
			Message: fmt.Sprintf("the change log ends at %d; ask for since=0 to %d", head, head)}
	}
	if limit <= 0 || limit > MaxFeedPage {
		return nil, &QueryError{Param: "limit", Value: fmt.Sprint(limit), Message: fmt.Sprintf("a page holds 1 to %d changes", MaxFeedPage)}
	}
	cs, err := s.Changes(ctx, since, limit)
	if err != nil {
		return nil, err
	}
	return &FeedPage{Since: since, Head: head, Changes: cs}, nil
}

// FeedLinks are the IRIs of a feed page.
type FeedLinks struct {
	Collection string // the feed ({base}/changes)
	Page       string // this page
	Next, Prev string // "" when none
}

// tree builds the page as an as:OrderedCollectionPage whose as:items are
// the activities: as:Create, as:Update, or as:Update and credreg:Retire,
// each with its resource (as:object), time (as:published), actor (an IRI
// as as:actor; always its name as credreg:actor), sequence and content
// hash. The activities' IRIs are {collection}#change-{seq}.
func (p *FeedPage) tree(l FeedLinks) *rdf.Node {
	page := rdf.NewNode(l.Page, schema.ClassOrderedCollPage)
	page.Add(schema.PropASPartOf, rdf.NewNode(l.Collection, schema.ClassOrderedCollection).Add(schema.PropASTotalItems, intLiteral(p.Head)))
	page.Links(schema.PropASNext, l.Next).Links(schema.PropASPrev, l.Prev)
	page.Always(schema.PropASItems)
	for _, c := range p.Changes {
		types := []string{schema.ClassUpdate}
		switch c.Action {
		case ActionCreate:
			types = []string{schema.ClassCreate}
		case ActionRetire:
			types = []string{schema.ClassUpdate, schema.ClassRetire}
		}
		a := rdf.NewNode(l.Collection+feedActivityFragmentPre+fmt.Sprint(c.Seq), types...)
		a.Add(schema.PropASObject, quad.IRI(c.IRI))
		a.Add(schema.PropASPublished, timeLiteral(c.Time))
		if rdf.ValidIRI(c.Actor) {
			a.Add(schema.PropASActor, quad.IRI(c.Actor))
		}
		a.Add(PropActorName, quad.String(c.Actor))
		a.Add(PropSequence, intLiteral(c.Seq))
		a.Add(PropContentHash, quad.String(c.Hash))
		page.Add(schema.PropASItems, a)
	}
	return page
}

// JSONLD renders the page in credreg's context with the feed's own
// ActivityStreams terms (see feedContext).
func (p *FeedPage) JSONLD(base schema.Base, l FeedLinks) ([]byte, error) {
	return p.tree(l).JSONLDIn(feedContext(base))
}

// feedLocalTerms are the ActivityStreams terms whose names credreg's
// context gives to Hydra (a list page's "next", a collection's
// "totalItems"): the feed's documents redefine them.
var feedLocalTerms = []rdf.LocalTerm{
	{Name: "next", IRI: schema.PropASNext, Coerce: "@id"},
	{Name: "prev", IRI: schema.PropASPrev, Coerce: "@id"},
	{Name: "totalItems", IRI: schema.PropASTotalItems, Coerce: schema.XSD + "integer"},
}

// feedContext is the context of a change-feed page: credreg's context
// followed by an embedded context that gives "next", "prev" and
// "totalItems" their ActivityStreams meaning (as:next, as:prev,
// as:totalItems) in this document only. Everywhere else (list pages,
// fragments) the same names are Hydra's; the embedded context is JSON-LD
// 1.0, so every processor reads it the same way.
func feedContext(base schema.Base) rdf.Context {
	return rdf.DefaultContext(base).Redefine(feedLocalTerms...)
}

// NQuads renders the page's statements.
func (p *FeedPage) NQuads(l FeedLinks) []byte { return p.tree(l).NQuads() }

// DumpStats says what a dump wrote.
type DumpStats struct {
	Sequence uint64 // the change-log position the dump starts from
	Records  int
	Quads    int
}

// Dump writes every record as N-Quads, each statement in its record's
// graph, streamed from one snapshot of the store (one Backend.Scan of
// every statement outside the bookkeeping graphs, graph by graph: the
// Badger backend's GSPO order, so each record's statements are together)
// through a buffered writer; the store's bookkeeping and tokens are not
// written. Sequence is the change-log position when the dump began: the
// snapshot is as of that change or later, so a harvester that loads the
// dump and then replays the change feed from Sequence (re-reading each
// changed record) holds the registry's current graph. Records counts the
// records written (retired ones too: they keep their statements), Quads
// the statements.
func (s *Store) Dump(ctx context.Context, w io.Writer) (DumpStats, error) {
	st := DumpStats{Sequence: s.Sequence()}
	bw := bufio.NewWriterSize(w, dumpBuffer)
	var last quad.Value
	var line []byte
	err := s.be.Scan(ctx, Pattern{Except: bookkeepingGraphs}, PosAll, func(q quad.Quad) error {
		if bookkeeping(q.Label) {
			return nil // a urn:credreg: graph not in bookkeepingGraphs
		}
		if q.Label != last {
			st.Records++
			last = q.Label
		}
		line = rdf.AppendNQuad(line[:0], q.Subject, q.Predicate, q.Object, q.Label)
		if _, err := bw.Write(line); err != nil {
			return err
		}
		st.Quads++
		return nil
	})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return st, fmt.Errorf("dump: %w", err)
	}
	return st, ctx.Err()
}

// dumpBuffer is the size of the dump's write buffer.
const dumpBuffer = 256 << 10

// MaxWholeParts caps the records a whole-record document gathers.
const MaxWholeParts = 10_000

// Whole returns a resource together with the records it owns: the
// resource's own record (with its nodes, such as a credential's condition
// profiles or a designation's evidence) and every record that is part of
// it (ceasn:isPartOf it, as a framework's competencies). Every node keeps
// the IRI it has under /resources/. It returns an error wrapping
// ErrNotFound when there is no record iri.
func (s *Store) Whole(ctx context.Context, iri string) (*Document, error) {
	rec, err := s.Get(ctx, iri)
	if err != nil {
		return nil, err
	}
	quads := append([]quad.Quad{}, rec.Quads...)
	parts, err := s.recordSubjects(ctx, schema.IsPartOf, quad.IRI(iri))
	if err != nil {
		return nil, fmt.Errorf("parts of %s: %w", iri, err)
	}
	if len(parts) > MaxWholeParts {
		return nil, fmt.Errorf("%s has %d parts, more than %d", iri, len(parts), MaxWholeParts)
	}
	modified := rec.Modified
	for _, p := range parts {
		part, err := s.Get(ctx, p)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("part %s of %s: %w", p, iri, err)
		}
		quads = append(quads, part.Quads...)
		if part.Modified.After(modified) {
			modified = part.Modified
		}
	}
	q, hash := rdf.Canonicalize(quads)
	return &Document{IRI: iri, Hash: hash, Version: s.Sequence(), Modified: modified, Retired: rec.Retired(), store: s, quads: q}, nil
}
