package quadstore

import (
	"context"
	"flag"
	"os"
	"testing"

	"github.com/cayleygraph/cayley/graph/memstore"
	"github.com/cayleygraph/cayley/query/path"
	"github.com/cayleygraph/quad"
)

// orderDependent is the one case of cayley's suite that this store skips
// (unless -skip is given): pathtest's "follows recursive loop", optimized.
// Its expected tags depend on the order in which a node's out-links are
// iterated, through a bug in cayley's iterator.recursiveContains: when
// Contains finds a value by iterating further (not in its seen map), it
// keeps the tags of the previous Contains call. memstore passes because it
// iterates in insertion order, the order the test was written in; this
// store iterates in id order. TestRecursiveTagsDependOnOrder shows memstore
// failing the same way when two of the test's statements are inserted the
// other way round. The unoptimized variant of the case runs and passes.
const orderDependent = "TestCayleyConformance/paths/follows_recursive_loop$"

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.skip"); f != nil && f.Value.String() == "" {
		_ = f.Value.Set(orderDependent)
	}
	code := m.Run()
	if fixture.dir != "" {
		_ = os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

// TestRecursiveTagsDependOnOrder runs the query of pathtest's "follows
// recursive loop" on cayley's memstore with "2 knows 1" inserted before
// "2 knows 3": memstore then reports pid 1 for id 3 too (the suite expects
// 2), as this store does in any order. If cayley fixes the bug this test
// fails, and orderDependent should go.
func TestRecursiveTagsDependOnOrder(t *testing.T) {
	qs := memstore.New(
		quad.MakeIRI("1", "relatesTo", "x", ""),
		quad.MakeIRI("2", "relatesTo", "x", ""),
		quad.MakeIRI("3", "relatesTo", "y", ""),
		quad.MakeIRI("1", "knows", "2", ""),
		quad.MakeIRI("2", "knows", "1", ""),
		quad.MakeIRI("2", "knows", "3", ""),
	)
	qu := path.StartPath(qs, quad.IRI("1")).FollowRecursive(
		path.StartMorphism().Tag("pid").Out(quad.IRI("knows")), 2, nil,
	).Has(quad.IRI("relatesTo")).Tag("id")
	got := map[quad.Value]quad.Value{}
	err := qu.Iterate(context.Background()).Paths(true).TagValues(qs, func(m map[string]quad.Value) error {
		got[m["id"]] = m["pid"]
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got[quad.IRI("3")] != quad.IRI("1") {
		t.Fatalf("memstore gave pid %v for id 3; cayley's recursive tags may be fixed: drop orderDependent", got[quad.IRI("3")])
	}
}
