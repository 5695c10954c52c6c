package catalog

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestEntrySets runs random adds and removes against a plain map of sets:
// every key's set is the same after each step, however often a
// credential is added to a key, removed from it or removed when absent.
func TestEntrySets(t *testing.T) {
	entries := make([]*credEntry, 6)
	for i := range entries {
		entries[i] = &credEntry{cid: int32(i)}
	}
	keys := []string{"name\x00a", "name\x00b", "key\x00x\x001"}
	r := rand.New(rand.NewPCG(1, 2))
	s := newEntrySets(0)
	want := map[string]map[*credEntry]bool{}
	got := func(k string) []int32 {
		var out []int32
		s.each(k, func(e *credEntry) { out = append(out, e.cid) })
		slices.Sort(out)
		return out
	}
	for step := range 5000 {
		k := keys[r.IntN(len(keys))]
		e := entries[r.IntN(len(entries))]
		op := "add"
		if r.IntN(2) == 0 {
			op = "remove"
			s.remove(k, e)
			delete(want[k], e)
		} else {
			s.add(k, e)
			if want[k] == nil {
				want[k] = map[*credEntry]bool{}
			}
			want[k][e] = true
		}
		for _, k := range keys {
			var w []int32
			for e := range want[k] {
				w = append(w, e.cid)
			}
			slices.Sort(w)
			if g := got(k); !slices.Equal(g, w) {
				t.Fatalf("step %d (%s %d to %q): set of %q is %v, want %v", step, op, e.cid, k, k, g, w)
			}
			_, one := s.one[k]
			if one && len(s.many[k]) > 0 {
				t.Fatalf("step %d: %q is both single and a set", step, k)
			}
			if len(s.many[k]) == 1 {
				t.Fatalf("step %d: %q keeps a set of one", step, k)
			}
		}
	}
	if fmt.Sprint(got("no such key")) != "[]" {
		t.Errorf("an unknown key has %v", got("no such key"))
	}
}
