package harvest

import (
	"bytes"
	"context"
	"strconv"
	"testing"

	"github.com/cayleygraph/quad"

	"credreg/schema"
)

// TestPageCacheFollowsWrites: a page asked for again is the cached one; a
// write moves the store's position, so the next answer is read and
// rendered again (with the new count) and the pages of the old position
// are forgotten; every format renders, and an unknown one is refused.
func TestPageCacheFollowsWrites(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	h := New(s)
	put := func(i int) {
		t.Helper()
		if _, err := s.Put(ctx, "test", synthCredential(s.Base(), i)); err != nil {
			t.Fatal(err)
		}
	}
	put(1)
	req := FragmentRequest{Pattern: Pattern{Predicate: quad.IRI(schema.RDFType)}, Page: 1, Format: FormatNQuads,
		Query: "predicate=" + schema.RDFType}
	first, err := h.Page(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := h.Page(ctx, req)
	if err != nil || again != first {
		t.Fatalf("the second answer is not the cached page (%v)", err)
	}
	for _, f := range []Format{FormatJSONLD, FormatTriG, FormatTurtle} {
		r := req
		r.Format = f
		p, err := h.Page(ctx, r)
		if err != nil || len(p.Body) == 0 || bytes.Equal(p.Body, first.Body) {
			t.Errorf("format %s: %v, %d bytes", f, err, len(p.Body))
		}
	}
	if n := h.pages.len(); n != 4 {
		t.Errorf("the cache holds %d pages, want 4", n)
	}
	put(2)
	after, err := h.Page(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if after == first || after.Sequence != s.Sequence() || after.Sequence == first.Sequence {
		t.Fatalf("after a write: the page of sequence %d, the store at %d", after.Sequence, s.Sequence())
	}
	count := func(p *FragmentPage) bool {
		return bytes.Contains(p.Body, []byte(`<http://rdfs.org/ns/void#triples> "`+strconv.Itoa(2)+`"`))
	}
	if count(first) || !count(after) {
		t.Errorf("the page after the write does not count both statements")
	}
	if n := h.pages.len(); n != 1 {
		t.Errorf("after a write the cache holds %d pages, want the new one only", n)
	}
	r := req
	r.Format = "xml"
	if _, err := h.Page(ctx, r); !isQueryError(err, "format") {
		t.Errorf("an unknown format: %v", err)
	}
}

// TestPageCacheKeepsOnePosition: the cache keeps the pages of the latest
// position it saw: a page of an earlier one is neither kept nor served,
// and a later one replaces them all; past maxCachedPages the oldest go.
func TestPageCacheKeepsOnePosition(t *testing.T) {
	var c pageCache
	p := &FragmentPage{}
	c.put(5, "a", p)
	if got, ok := c.get(5, "a"); !ok || got != p {
		t.Fatal("a page put is not found")
	}
	if _, ok := c.get(4, "a"); ok {
		t.Error("a page is served at another position")
	}
	c.put(4, "b", p)
	if _, ok := c.get(4, "b"); ok || c.len() != 1 {
		t.Errorf("a page of an earlier position is kept (%d pages)", c.len())
	}
	c.put(6, "c", p)
	if _, ok := c.get(6, "a"); ok || c.len() != 1 {
		t.Errorf("a later position keeps the earlier pages (%d pages)", c.len())
	}
	for i := range maxCachedPages + 10 {
		c.put(6, strconv.Itoa(i), p)
	}
	if _, ok := c.get(6, "c"); ok || c.len() != maxCachedPages {
		t.Errorf("past the bound: %d pages, the oldest kept: %v", c.len(), ok)
	}
}
