package harvest

// The change feed: the change log as ActivityStreams pages.

import (
	"context"
	"fmt"

	"github.com/cayleygraph/quad"

	"credreg/rdf"
	"credreg/registry"
	"credreg/schema"
)

// Sizes of a change-feed page.
const (
	MaxFeedPage     = 1000
	DefaultFeedPage = 100
)

// feedActivityFragmentPre starts the fragment of an activity's IRI.
const feedActivityFragmentPre = "#change-"

// FeedPage is a page of the change feed: the changes after Since.
type FeedPage struct {
	Since   uint64
	Head    uint64 // the last change when the page was read
	Changes []registry.Change
	// Names are the names of the actors that are IRIs of records (the
	// agencies), read with the page ("" for a record without a name).
	Names map[string]string
}

// Feed returns up to limit changes after since. since beyond the head is
// an error (a registry.QueryError on "since"), as is a limit out of range
// (on "limit").
func (h *Harvester) Feed(ctx context.Context, since uint64, limit int) (*FeedPage, error) {
	head := h.store.Sequence()
	if since > head {
		return nil, &registry.QueryError{Param: "since", Value: fmt.Sprint(since),
			Message: fmt.Sprintf("the change log ends at %d; ask for since=0 to %d", head, head)}
	}
	if limit <= 0 || limit > MaxFeedPage {
		return nil, &registry.QueryError{Param: "limit", Value: fmt.Sprint(limit), Message: fmt.Sprintf("a page holds 1 to %d changes", MaxFeedPage)}
	}
	cs, err := h.store.Changes(ctx, since, limit)
	if err != nil {
		return nil, fmt.Errorf("change feed after %d: %w", since, err)
	}
	names := map[string]string{}
	for _, c := range cs {
		if _, seen := names[c.Actor]; seen || !rdf.ValidIRI(c.Actor) {
			continue
		}
		name, err := h.store.Label(ctx, c.Actor)
		if err != nil {
			return nil, fmt.Errorf("change feed after %d: name of %s: %w", since, c.Actor, err)
		}
		names[c.Actor] = name
	}
	return &FeedPage{Since: since, Head: head, Changes: cs, Names: names}, nil
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
// hash. The activities' IRIs are {collection}#change-{seq}. An actor's
// name is its record's name when it has one (Names), else the actor as
// the change log has it.
func (p *FeedPage) tree(l FeedLinks) *rdf.Node {
	page := rdf.NewNode(l.Page, schema.ClassOrderedCollPage)
	page.Add(schema.PropASPartOf, rdf.NewNode(l.Collection, schema.ClassOrderedCollection).Add(schema.PropASTotalItems, rdf.Integer(p.Head)))
	page.Links(schema.PropASNext, l.Next).Links(schema.PropASPrev, l.Prev)
	page.Always(schema.PropASItems)
	for _, c := range p.Changes {
		types := []string{schema.ClassUpdate}
		switch c.Action {
		case registry.ActionCreate:
			types = []string{schema.ClassCreate}
		case registry.ActionRetire:
			types = []string{schema.ClassUpdate, schema.ClassRetire}
		}
		a := rdf.NewNode(l.Collection+feedActivityFragmentPre+fmt.Sprint(c.Seq), types...)
		a.Add(schema.PropASObject, quad.IRI(c.IRI))
		a.Add(schema.PropASPublished, rdf.DateTime(c.Time))
		if rdf.ValidIRI(c.Actor) {
			a.Add(schema.PropASActor, quad.IRI(c.Actor))
		}
		name := c.Actor
		if n := p.Names[c.Actor]; n != "" {
			name = n
		}
		a.Add(schema.PropActorName, quad.String(name))
		a.Add(schema.PropSequence, rdf.Integer(c.Seq))
		a.Add(schema.PropContentHash, quad.String(c.Hash))
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
