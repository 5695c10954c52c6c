package registry

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cayleygraph/cayley/graph"
	"github.com/cayleygraph/quad"

	"credreg/registry/internal/legacy"
	"credreg/registry/internal/tokenrec"
	"credreg/schema"
)

// legacyStore writes a store in the old layout (cayley's kv layout) into
// dir holding exactly the statements of s: the records, their
// bookkeeping and the change log, and its tokens as statements of the
// token graph, as the credreg before the storage port wrote them (the
// statement model of records is unchanged; the layout under it differs).
func legacyStore(t *testing.T, s *Store, dir string) []quad.Quad {
	t.Helper()
	ctx := context.Background()
	var all []quad.Quad
	if err := s.scanAllQuads(ctx, func(q quad.Quad) error { all = append(all, q); return nil }); err != nil {
		t.Fatal(err)
	}
	// The old layout kept the tokens as statements of the token graph.
	toks, err := s.be.ListTokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		all = append(all, tokenrec.ToStatements(tokenRec(tok))...)
	}
	old, err := legacy.Open(dir, true, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	deltas := make([]graph.Delta, len(all))
	for i, q := range all {
		deltas[i] = graph.Delta{Quad: q, Action: graph.Add}
	}
	for lo := 0; lo < len(deltas); lo += 5000 {
		if err := old.QS.ApplyDeltas(deltas[lo:min(lo+5000, len(deltas))], graph.IgnoreOpts{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(old.DB.Sync(), old.Close()); err != nil {
		t.Fatal(err)
	}
	return all
}

func TestMigrateFromTheOldLayout(t *testing.T) {
	ctx := context.Background()
	src := openStore(t, t.TempDir())
	recs := sampleRecords(t)
	if _, err := src.PutBatch(ctx, "agency-a", recs); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Retire(ctx, "agency-a", recs[0].IRI, "superseded", time.Now()); err != nil {
		t.Fatal(err)
	}
	secret, tok, err := src.CreateToken(ctx, recs[1].IRI, RoleAgency, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	seq := src.Sequence()
	changes, err := src.Changes(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*Record{}
	for _, r := range recs {
		got, err := src.Get(ctx, r.IRI)
		if err != nil {
			t.Fatal(err)
		}
		want[r.IRI] = got
	}

	dir := t.TempDir() + "/store"
	all := legacyStore(t, src, dir)
	url := "badger://" + dir

	// An old store opens with a message naming the command.
	_, err = Open(ctx, url, Options{Base: testBaseIRI(t)})
	if !errors.Is(err, ErrOldLayout) || !strings.Contains(err.Error(), "run `credreg migrate --store "+url+"`") {
		t.Fatalf("open of an old store = %v, want ErrOldLayout naming credreg migrate --store %s", err, url)
	}

	// A failed migration (cancelled) leaves the original as it was.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Migrate(cancelled, url, MigrateOptions{Logger: slog.New(slog.DiscardHandler)}); err == nil {
		t.Fatal("a cancelled migration succeeded")
	}
	if _, err := os.Stat(dir + ".migrating"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed migration left its copy: %v", err)
	}
	if _, err := Open(ctx, url, Options{Base: testBaseIRI(t)}); !errors.Is(err, ErrOldLayout) {
		t.Fatalf("after a failed migration the store opens with %v, want ErrOldLayout", err)
	}

	info, err := Migrate(ctx, url, MigrateOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	tokenStatements := int64(len(tokenrec.ToStatements(tokenRec(StoredToken{Token: tok}))))
	if info.Statements != int64(len(all))-tokenStatements || info.Tokens != 1 || info.Sequence != seq || info.Base != testBase || info.Old != dir+".cayley-kv" {
		t.Errorf("migrate = %+v, want %d statements and 1 token, sequence %d, base %s, the original in %s.cayley-kv", info, int64(len(all))-tokenStatements, seq, testBase, dir)
	}
	if _, err := os.Stat(info.Old); err != nil {
		t.Errorf("the original was not kept: %v", err)
	}

	s := openStore(t, dir)
	if s.Sequence() != seq {
		t.Errorf("sequence %d after the migration, want %d", s.Sequence(), seq)
	}
	for iri, w := range want {
		got, err := s.Get(ctx, iri)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s after the migration:\n%+v\nwant\n%+v", iri, got, w)
		}
	}
	gotChanges, err := s.Changes(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotChanges, changes) {
		t.Errorf("change log after the migration:\n%+v\nwant\n%+v", gotChanges, changes)
	}
	got, err := s.Authenticate(ctx, secret)
	if err != nil || got.ID != tok.ID || got.Agency != tok.Agency {
		t.Errorf("token after the migration: %+v %v, want %+v", got, err, tok)
	}
	// The sequence continues.
	renamed := recs[1]
	renamed.Quads = append([]quad.Quad(nil), renamed.Quads...)
	for i, q := range renamed.Quads {
		if q.Subject == quad.IRI(renamed.IRI) && q.Predicate == quad.IRI(schema.Name) {
			renamed.Quads[i].Object = quad.String("Renamed after the migration")
		}
	}
	c, err := s.Put(ctx, "agency-a", renamed)
	if err != nil {
		t.Fatal(err)
	}
	if c.Seq != seq+1 {
		t.Errorf("the first write after the migration is change %d, want %d", c.Seq, seq+1)
	}
	_ = s.Close()

	// A current store needs no migration.
	if _, err := Migrate(ctx, url, MigrateOptions{Logger: slog.New(slog.DiscardHandler)}); !errors.Is(err, ErrCurrentLayout) {
		t.Errorf("migrating a current store: %v, want ErrCurrentLayout", err)
	}
}
