package harvest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/cayleygraph/quad"

	"credreg/registry"
	"credreg/schema"
)

// TestFeedNamesItsActors: an activity written by an agency (an actor that
// is the IRI of an organization record) gives the IRI as actor and the
// organization's name as actorName; one written by the operator's
// loader (an actor that is no IRI) gives that name alone.
func TestFeedNamesItsActors(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	base := s.Base()
	agency := base.Resource("ce-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa")
	org := registry.Record{IRI: agency, Quads: []quad.Quad{
		{Subject: quad.IRI(agency), Predicate: quad.IRI(schema.RDFType), Object: quad.IRI(schema.ClassCredentialOrganization)},
		{Subject: quad.IRI(agency), Predicate: quad.IRI(schema.CTID), Object: quad.String("ce-aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa")},
		{Subject: quad.IRI(agency), Predicate: quad.IRI(schema.Name), Object: quad.String("Heartland Workforce Commission")},
	}}
	if _, err := s.Put(ctx, "credreg-reference", org); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, agency, synthCredential(base, 1)); err != nil {
		t.Fatal(err)
	}
	page, err := New(s).Feed(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	body, err := page.JSONLD(base, FeedLinks{Collection: base.String() + "/changes", Page: base.String() + "/changes?since=0"})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Items []struct {
			Actor     string `json:"actor"`
			ActorName string `json:"actorName"`
			Sequence  int    `json:"sequence"`
		} `json:"items"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || len(doc.Items) != 2 {
		t.Fatalf("feed page (%v):\n%s", err, body)
	}
	want := []struct{ actor, name string }{{"", "credreg-reference"}, {agency, "Heartland Workforce Commission"}}
	for i, it := range doc.Items {
		if it.Actor != want[i].actor || it.ActorName != want[i].name {
			t.Errorf("activity %d: actor %q, actorName %q; want %q, %q", it.Sequence, it.Actor, it.ActorName, want[i].actor, want[i].name)
		}
	}
}
