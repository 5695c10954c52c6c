package registry

import (
	"context"
	"fmt"

	cayleykv "github.com/cayleygraph/cayley/graph/kv"
	cproto "github.com/cayleygraph/cayley/graph/proto"
	"github.com/cayleygraph/quad"
	"github.com/cayleygraph/quad/pquads"
	hkv "github.com/hidal-go/hidalgo/kv"
	"github.com/hidal-go/hidalgo/kv/options"
	"google.golang.org/protobuf/proto"
)

// logBucket is cayley's kv bucket of primitives (nodes and statements) by
// id; it is cayley's storage layout, read here for whole-store scans.
var logBucket = hkv.Key{[]byte("log")}

// scanRecordQuads calls fn with every statement of the records (not of the
// store's bookkeeping graphs) whose predicate is in preds (any, when preds
// is nil). On a kv store it
// reads cayley's primitive log sequentially, twice in one snapshot: the
// statements first (told apart by graph and predicate ids), then the
// values of the nodes they use, so that no value costs a random read;
// elsewhere it falls back to scanQuads.
func (s *Store) scanRecordQuads(ctx context.Context, preds map[quad.IRI]bool, fn func(quad.Quad) error) error {
	qs, ok := s.qs().(*cayleykv.QuadStore)
	if !ok || s.kv == nil {
		return s.scanQuadsOf(ctx, preds, true, fn)
	}
	id := func(v quad.Value) uint64 {
		ref, err := qs.ValueOf(v)
		if err != nil || ref == nil {
			return 0
		}
		if n, ok := ref.(cayleykv.Int64Value); ok {
			return uint64(n)
		}
		return 0
	}
	skip := map[uint64]bool{}
	for _, g := range []string{graphRecords, graphChanges, graphTokens} {
		if n := id(quad.IRI(g)); n != 0 {
			skip[n] = true
		}
	}
	want := map[uint64]bool{}
	for p := range preds {
		if n := id(p); n != 0 {
			want[n] = true
		}
	}
	type prim struct{ s, p, o, l uint64 }
	var quads []prim
	values := map[uint64]quad.Value{}
	err := hkv.View(ctx, s.kv, func(tx hkv.Tx) error {
		scan := func(each func(*cproto.Primitive) error) error {
			it := tx.Scan(ctx, options.WithPrefixKV(logBucket))
			defer it.Close()
			var p cproto.Primitive
			for it.Next(ctx) {
				p.Reset()
				if err := proto.Unmarshal(it.Val(), &p); err != nil {
					return fmt.Errorf("read cayley's log: %w", err)
				}
				if err := each(&p); err != nil {
					return err
				}
			}
			return it.Err()
		}
		err := scan(func(p *cproto.Primitive) error {
			if p.IsNode() || p.Deleted || p.Label == 0 || skip[p.Label] || (preds != nil && !want[p.Predicate]) {
				return nil
			}
			quads = append(quads, prim{p.Subject, p.Predicate, p.Object, p.Label})
			for _, n := range []uint64{p.Subject, p.Predicate, p.Object, p.Label} {
				values[n] = nil
			}
			return nil
		})
		if err != nil {
			return err
		}
		return scan(func(p *cproto.Primitive) error {
			if !p.IsNode() {
				return nil
			}
			if _, ok := values[p.ID]; !ok {
				return nil
			}
			v, err := pquads.UnmarshalValue(p.Value)
			if err != nil {
				return fmt.Errorf("read cayley's log: node %d: %w", p.ID, err)
			}
			values[p.ID] = canonicalValue(v)
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("scan the store: %w", err)
	}
	for _, q := range quads {
		sv, pv, ov, lv := values[q.s], values[q.p], values[q.o], values[q.l]
		if sv == nil || pv == nil || ov == nil || lv == nil {
			continue // a node the snapshot lacks: not a whole statement
		}
		if err := fn(quad.Quad{Subject: sv, Predicate: pv, Object: ov, Label: lv}); err != nil {
			return err
		}
	}
	return ctx.Err()
}
